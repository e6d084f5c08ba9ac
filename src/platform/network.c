/*
 * The network model: each directed hop queues messages for a FIFO
 * transmitter, its own or its medium's. A message that reaches a hop is
 * dropped if the hop's (or medium's) bytes or packets waiting or in
 * transmission plus its own would exceed the limit (drop-tail); otherwise
 * it starts sending when the transmitter is free, takes its wire size /
 * rate to serialise and arrives propagation (+ medium latency + extra
 * latency + jitter) later at the next node, which forwards it the same
 * way (store and forward). FIFO order makes each transmitter's departure
 * time a running maximum, so one engine event per hop is enough: the
 * outcome (times, loss) is decided when the message joins the queue, and
 * the backlog is drained lazily when the next message comes.
 *
 * Each hop keeps its messages, from queued to arrived, on an intrusive
 * doubly-linked list through the packet slots (in queue order), with a
 * cursor at the first one not yet fully transmitted: that gives the
 * backlog, the exact busy time, and, when the link goes down, every
 * message to report, all without allocating per event.
 *
 * The outcome is revised in two cases only, both on a shared medium and
 * both rare next to sends: a link going down takes its messages out of the
 * medium's queue, and a capacity change re-rates what is not yet sent. The
 * medium's ring names each message's slot, so either walks the unsent
 * messages in transmission order, re-times them back to back and moves
 * the arrival events that changed. To re-rate the message on the air
 * exactly, each message keeps the work it has left in nanobits (bits x
 * 1e9, so that at r bit/s it takes work / r ns): integer arithmetic for
 * whole bit/s rates, as ts_serialisation_ns.
 *
 * Time saturates at TS_TIME_MAX, which stands for "never": such an
 * arrival gets no engine event and the message stays in flight.
 */
#include "toposim/platform.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "platform/topology_internal.h"
#include "toposim/alloc.h"
#include "toposim/topology.h"

/* A medium's shared transmitter remembers what it has queued in a ring of
 * departures (messages of all its links, in transmission order). The work
 * left of a message on a medium, which a change of the medium's rate
 * re-times, lives here and not in its packet slot: only a medium's
 * messages need it, and at fleet scale a slot per robot is in flight on
 * private links (24 of a slot's 168 bytes). */
typedef struct backlog_entry {
    ts_time tx_end;
    int64_t bytes, packets;
    int slot;                 /* its message; still that one while tx_end > now */
    ts_time seg_at;           /* the work below is what was left at seg_at */
    uint64_t left_nb;         /* nanobits, exact; NB_INEXACT: use left_d */
    double left_d;
} backlog_entry;

typedef struct tx_state {
    double rate_bps;
    ts_time busy_until;
    ts_time busy_scheduled;   /* serialisation ever scheduled */
} tx_state;

typedef struct medium_state {
    char *name;
    tx_state tx;
    int64_t latency_ns;
    int64_t queue_bytes, queue_packets;  /* limits, 0: none */
    int64_t backlog_bytes, backlog_packets;
    backlog_entry *ring;
    size_t ring_cap, ring_head, ring_count;
} medium_state;

/* What a link is configured with, shared by every link configured alike
 * (a fleet's copies of one robot's link): a link then costs its own few
 * words, not a copy of these 128 bytes. Fixed once built. */
typedef struct link_cfg {
    int64_t latency_ns;       /* as configured */
    int64_t mtu, header;
    int64_t queue_bytes, queue_packets;  /* limits per direction, 0: none */
    double rate_bps;          /* a private transmitter's */
    medium_state *medium;     /* NULL: private transmitters */
    int reorder_allowed;
    int draws;                /* 1: jitter or a configured loss below */
    ts_dist jitter;           /* prepared copy; kind NONE: none */
    ts_loss_desc loss;        /* as configured, for ts_network_set_loss(NULL) */
} link_cfg;

/* A link: its configuration and what only it has. Its two directed hops
 * (hop = 2 * link + direction) get their state when they first carry a
 * message, draw at random or take an extra latency; in a fleet most
 * links only ever carry traffic one way. */
typedef struct link_state {
    const link_cfg *cfg;
    uint32_t name;            /* offset in the network's names block */
    int32_t hop[2];           /* the directions' states, -1: none yet */
    unsigned char up;         /* as set by ts_network_set_link(s)_up */
    unsigned char down_ends;  /* its ends that are down (0-2) */
    unsigned char live;       /* carries traffic: up and no end down */
} link_state;

/* A hop's counts of messages that did not get through (ts_link_counters
 * less what a query computes), made at its first such message: most hops
 * of a fleet never drop or lose one, and these 64 bytes were a third of
 * every hop's state. */
typedef struct hop_losses {
    uint64_t dropped_messages, dropped_packets, dropped_bytes;
    uint64_t lost_messages, lost_packets;
    uint64_t down_messages, down_packets, down_bytes;
} hop_losses;

/* What a hop draws at random, for hops that draw anything (jitter or
 * loss): its own stream and its loss state. Most hops draw nothing. */
typedef struct hop_draws {
    gsl_rng *rng;             /* a block of one (ts_rng_block_new) */
    ts_loss_desc loss;
    int ge_bad;               /* Gilbert-Elliott state */
    int64_t ge_left;          /* packets left in this state; 0: draw anew */
} hop_draws;

/* A directed hop's state, made on first use. Ordered by use: what every
 * message reads and writes comes first, so a message touches two or three
 * of its cache lines (at fleet scale each is a miss); the configuration
 * is its link's, shared. The hop's link is hop / 2, its other end the
 * node `to`. */
typedef struct hop_state {
    const link_cfg *cfg;
    int hop;                  /* its number, link * 2 + direction */
    int to;
    int head, tail, cursor;   /* slot list, and the first not yet sent */
    ts_time busy_until;       /* its private transmitter (no medium); its
                                 busy time is own_scheduled's */
    hop_draws *draws;         /* NULL while the hop draws nothing */
    ts_time last_arrival;     /* for the no-overtaking rule */
    int64_t backlog_bytes, backlog_packets, backlog_ser;
    ts_time own_scheduled;    /* serialisation of this hop's messages */
    int64_t extra_ns;         /* ts_network_set_extra_latency */
    uint64_t sent_messages, sent_packets, sent_bytes;
    hop_losses *losses;       /* NULL until one did not get through */
} hop_state;

/* A packet as sent: ts_packet less its status and receive time, which
 * finish() fills in when it reports the packet (16 bytes of every slot,
 * and at fleet scale a slot per robot is in flight). */
typedef struct sent_packet {
    uint64_t seq, tag;
    int64_t bytes;
    ts_time sent;
    int32_t topic, publisher, subscriber;
    int src, dst;
} sent_packet;

typedef struct packet_slot {
    sent_packet pkt;
    int at;                   /* node it is at, or heading to on `hop` */
    int hop;                  /* its hop state's index, -1 when on none,
                                 SLOT_FREE when the slot holds no packet */
    int prev, next;           /* hop list; next is also the free list */
    uint64_t order;           /* send order, for the end-of-run flush */
    int64_t frags, wire, lost_frags;
    ts_time tx_end, ser;      /* ser: tx_end - ser is when it started */
    ts_time delay;            /* propagation on this hop, jitter included */
    ts_time arrival;          /* TS_TIME_MAX: never (no event) */
    ts_event_handle ev;       /* 0: none */
} packet_slot;

#define SLOT_FREE (-2)
/* A same-node packet waiting out its node's transport latency: on no hop,
 * its delivery event in ev. */
#define SLOT_LOCAL (-3)

static inline int in_use(const packet_slot *s) { return s->hop != SLOT_FREE; }

struct ts_network {
    ts_engine *engine;
    size_t n_nodes;
    link_state *links;
    size_t n_links;
    size_t n_hops;
    link_cfg *cfgs;           /* the distinct link configurations */
    size_t n_cfgs;
    char *names;              /* every link's name, NUL-terminated, in one block */
    hop_state **hop_chunks;   /* HOP_CHUNK hop states each, never moved */
    size_t n_hop_chunks, cap_hop_chunks;
    size_t n_hop_states;
    medium_state *media;
    size_t n_media;
    size_t *medium_first;     /* n_media + 1 offsets into medium_hops */
    int *medium_hops;         /* each medium's hops, in hop order */
    ts_topology *own_topology; /* when the config gave none */
    ts_routes *routes;
    int *batch;               /* scratch for link batches, n_links */
    unsigned char *node_down; /* per node: 1 while crashed */
    int64_t *weights;         /* scratch for a medium's links' weights */
    packet_slot **slot_chunks; /* SLOT_CHUNK slots each, never moved */
    size_t n_slot_chunks, cap_slot_chunks;
    size_t n_slots;
    int free_head;
    uint64_t next_order;
    uint64_t seed;
    int out_of_memory;        /* a hop's state could not be made (sticky) */
    ts_packet_done_fn done;
    ts_platform_event_fn event;
    void *ctx;
};

static const char *link_name(const ts_network *net, size_t link)
{
    return net->names + net->links[link].name;
}

/* ---- Hop states ---- */

/* Hop states come in chunks, as packet slots do, so that a pointer to one
 * stays valid while a callback sends and makes others. */
#define HOP_CHUNK_BITS 6
#define HOP_CHUNK ((size_t)1 << HOP_CHUNK_BITS)

static inline hop_state *hop_at(const ts_network *net, size_t i)
{
    return &net->hop_chunks[i >> HOP_CHUNK_BITS][i & (HOP_CHUNK - 1)];
}

/* The hop's state, or NULL when it has none yet. */
static inline hop_state *hop_find(const ts_network *net, size_t hop)
{
    int i = net->links[hop / 2].hop[hop % 2];
    return i >= 0 ? hop_at(net, (size_t)i) : NULL;
}

static int set_hop_loss(ts_network *net, hop_state *h, const ts_loss_desc *loss);

/* The hop's loss counts, made at its first message that does not get
 * through; NULL when out of memory (remembered: the run is void, as its
 * counts would be short). */
static hop_losses *losses_of(ts_network *net, hop_state *h)
{
    if (!h->losses && !(h->losses = ts_calloc(1, sizeof *h->losses)))
        net->out_of_memory = 1;
    return h->losses;
}

/* The hop's state, made (idle, with its link's configured loss) on first
 * use; NULL when out of memory, which is remembered for
 * ts_network_out_of_memory. */
static hop_state *hop_get(ts_network *net, size_t hop)
{
    hop_state *h = hop_find(net, hop);
    if (h)
        return h;
    size_t i = net->n_hop_states;
    if (i >= (size_t)INT32_MAX)
        goto nomem;
    if ((i & (HOP_CHUNK - 1)) == 0) {
        if (net->n_hop_chunks == net->cap_hop_chunks) {
            size_t n = net->cap_hop_chunks ? 2 * net->cap_hop_chunks : 16;
            hop_state **chunks = ts_realloc(net->hop_chunks, n * sizeof *chunks);
            if (!chunks)
                goto nomem;
            net->hop_chunks = chunks;
            net->cap_hop_chunks = n;
        }
        hop_state *chunk = ts_malloc(HOP_CHUNK * sizeof *chunk);
        if (!chunk)
            goto nomem;
        net->hop_chunks[net->n_hop_chunks++] = chunk;
    }
    link_state *ls = &net->links[hop / 2];
    const ts_topology *t = ts_routes_topology(net->routes);
    h = hop_at(net, i);
    memset(h, 0, sizeof *h);
    h->cfg = ls->cfg;
    h->hop = (int)hop;
    h->to = hop % 2 ? t->link_a[hop / 2] : t->link_b[hop / 2];
    h->head = h->tail = h->cursor = -1;
    if (ls->cfg->draws && set_hop_loss(net, h, &ls->cfg->loss) != TS_OK)
        goto nomem;           /* the slot stays free for the next */
    net->n_hop_states++;
    ls->hop[hop % 2] = (int32_t)i;
    return h;
nomem:
    net->out_of_memory = 1;
    return NULL;
}

/* ---- Small pieces ---- */

/* a + b, held within [INT64_MIN, TS_TIME_MAX] instead of wrapping. */
static ts_time add_sat(ts_time a, ts_time b)
{
    if (b > 0 && a > TS_TIME_MAX - b)
        return TS_TIME_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

/* 2^63 as a double: the first value a ts_time cannot hold. */
#define TIME_LIMIT_D 9223372036854775808.0

/* Marks work too large for 64-bit nanobits. No exact value equals it:
 * whole messages are multiples of 8e9 (UINT64_MAX is odd), and sending
 * only lowers them. */
#define NB_INEXACT UINT64_MAX

/* Whole-bit/s rates (all that units.h produces for "100Mbps" and the
 * like) take the integer paths, so results are exact to the nanosecond. */
static int whole_rate(double bps, uint64_t *r)
{
    if (!(bps >= 1.0 && bps < 1.8e19) || floor(bps) != bps)
        return 0;
    *r = (uint64_t)bps;
    return 1;
}

/* The work of `bytes` in nanobits: exactly below about 2.3 GB, else only
 * as the double. */
static void work_of(int64_t bytes, uint64_t *nb, double *d)
{
    if (bytes < 0)
        bytes = 0;
    *d = (double)bytes * 8.0 * 1e9;
    *nb = (uint64_t)bytes <= UINT64_MAX / 8000000000u ? (uint64_t)bytes * 8000000000u
                                                       : NB_INEXACT;
}

/* Time to send that work at `bps`, rounded up to whole nanoseconds (the
 * last bit must have left) and saturated at TS_TIME_MAX; the clamp comes
 * before any cast, so no rate or size can wrap or overflow. */
static ts_time work_ns(uint64_t nb, double d, double bps)
{
    uint64_t r;
    if (nb != NB_INEXACT && whole_rate(bps, &r)) {
        uint64_t q = nb / r + (nb % r != 0);
        return q > (uint64_t)TS_TIME_MAX ? TS_TIME_MAX : (ts_time)q;
    }
    double v = ceil(d / bps);
    return v >= 0 && v < TIME_LIMIT_D ? (ts_time)v : TS_TIME_MAX;
}

/* Takes `elapsed` ns of sending at `bps` off the entry's work left. */
static void work_advance(backlog_entry *s, ts_time elapsed, double bps)
{
    if (elapsed <= 0)
        return;
    uint64_t r;
    if (s->left_nb != NB_INEXACT && whole_rate(bps, &r) &&
        (uint64_t)elapsed <= UINT64_MAX / r) {
        uint64_t done = (uint64_t)elapsed * r;
        s->left_nb = done < s->left_nb ? s->left_nb - done : 0;
        s->left_d = (double)s->left_nb;
        return;
    }
    s->left_nb = NB_INEXACT;
    s->left_d -= (double)elapsed * bps;
    if (!(s->left_d > 0))
        s->left_d = 0;
}

int64_t ts_serialisation_ns(int64_t bytes, double bandwidth_bps)
{
    if (bytes <= 0)
        return 0;
    uint64_t nb;
    double d;
    work_of(bytes, &nb, &d);
    return work_ns(nb, d, bandwidth_bps);
}

void ts_fragments(int64_t bytes, int64_t mtu_bytes, int64_t header_bytes,
                  int64_t *packets, int64_t *wire_bytes)
{
    if (bytes < 0)
        bytes = 0;
    if (header_bytes < 0)
        header_bytes = 0;
    int64_t n = 1;
    if (mtu_bytes > header_bytes) {
        int64_t payload = mtu_bytes - header_bytes;
        n = bytes > 0 ? bytes / payload + (bytes % payload != 0) : 1;
    }
    *packets = n;
    *wire_bytes = bytes + n * header_bytes;
}

static int prob_ok(double p) { return p >= 0 && p <= 1; }

static int check_loss(const ts_loss_desc *l)
{
    switch (l->model) {
    case TS_LOSS_NONE:
        return 1;
    case TS_LOSS_BERNOULLI:
        return prob_ok(l->p);
    case TS_LOSS_GILBERT_ELLIOTT:
        return prob_ok(l->p_good_bad) && prob_ok(l->p_bad_good) &&
               prob_ok(l->loss_good) && prob_ok(l->loss_bad);
    }
    return 0;
}

int ts_loss_from_mean_burst(double mean_loss, double mean_burst,
                            ts_loss_desc *out, ts_error *err)
{
    memset(out, 0, sizeof *out);
    if (!(mean_loss >= 0 && mean_loss < 1) || !(mean_burst >= 1) || !isfinite(mean_burst))
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "Gilbert-Elliott needs 0 <= mean loss < 1 and burst >= 1");
    out->model = TS_LOSS_GILBERT_ELLIOTT;
    out->loss_good = 0;
    out->loss_bad = 1;
    out->p_bad_good = 1.0 / mean_burst;
    out->p_good_bad = out->p_bad_good * mean_loss / (1.0 - mean_loss);
    return TS_OK;
}

double ts_loss_mean(const ts_loss_desc *l)
{
    switch (l->model) {
    case TS_LOSS_BERNOULLI:
        return l->p;
    case TS_LOSS_GILBERT_ELLIOTT: {
        double s = l->p_good_bad + l->p_bad_good;
        if (s <= 0)
            return l->loss_good;   /* never leaves the good start state */
        double bad = l->p_good_bad / s;
        return (1 - bad) * l->loss_good + bad * l->loss_bad;
    }
    case TS_LOSS_NONE:
    default:
        return 0;
    }
}

/* Hands a platform event for `link` to the owner's callback, if any. */
static void emit(ts_network *net, ts_event_kind kind, int link, double value,
                 const char *detail)
{
    if (!net->event)
        return;
    ts_platform_event ev = {.time = ts_engine_now(net->engine), .kind = kind,
                            .node = -1, .link = link, .component = -1,
                            .value = value};
    snprintf(ev.detail, sizeof ev.detail, "%s", detail);
    net->event(net->ctx, &ev);
}

/* ---- Packet slots ---- */

/* Slots come in chunks of SLOT_CHUNK, added as messages in flight need
 * them: what stands unused is at most one chunk, where a doubled array
 * left up to half of itself (at 10,000 robots publishing at once, 6,000
 * slots of 184 bytes, now 144). Slot i is at chunk i / SLOT_CHUNK; chunks never
 * move. */
#define SLOT_CHUNK_BITS 8
#define SLOT_CHUNK ((size_t)1 << SLOT_CHUNK_BITS)

static inline packet_slot *slot_at(const ts_network *net, size_t i)
{
    return &net->slot_chunks[i >> SLOT_CHUNK_BITS][i & (SLOT_CHUNK - 1)];
}

static int grow_slots(ts_network *net)
{
    size_t old = net->n_slots;
    size_t cap = old + SLOT_CHUNK;
    if (cap > (size_t)INT32_MAX)
        return TS_ENOMEM;
    if (net->n_slot_chunks == net->cap_slot_chunks) {
        size_t n = net->cap_slot_chunks ? 2 * net->cap_slot_chunks : 16;
        packet_slot **chunks = ts_realloc(net->slot_chunks, n * sizeof *chunks);
        if (!chunks)
            return TS_ENOMEM;
        net->slot_chunks = chunks;
        net->cap_slot_chunks = n;
    }
    packet_slot *chunk = ts_malloc(SLOT_CHUNK * sizeof *chunk);
    if (!chunk)
        return TS_ENOMEM;
    net->slot_chunks[net->n_slot_chunks++] = chunk;
    /* Handed out in index order, as from one array. */
    for (size_t i = old; i < cap; i++) {
        packet_slot *sl = slot_at(net, i);
        sl->hop = SLOT_FREE;
        sl->next = (i + 1 < cap) ? (int)(i + 1) : net->free_head;
    }
    net->free_head = (int)old;
    net->n_slots = cap;
    return TS_OK;
}

static int take_slot(ts_network *net)
{
    if (net->free_head < 0 && grow_slots(net) != TS_OK)
        return -1;
    int i = net->free_head;
    net->free_head = slot_at(net, i)->next;
    slot_at(net, i)->hop = -1;
    return i;
}

/* Reports the packet and frees its slot. The callback may send (and so
 * take slots): callers hold indices, not slot pointers, across it. */
static void finish(ts_network *net, int slot, int status)
{
    packet_slot *s = slot_at(net, slot);
    const sent_packet *p = &s->pkt;
    /* delivered: now, as it reached its destination (forward) */
    ts_packet copy = {.topic = p->topic, .publisher = p->publisher,
                      .subscriber = p->subscriber, .status = status, .seq = p->seq,
                      .src = p->src, .dst = p->dst, .bytes = p->bytes, .sent = p->sent,
                      .received = status == TS_PKT_DELIVERED ? ts_engine_now(net->engine) : -1,
                      .tag = p->tag};
    s->hop = SLOT_FREE;
    s->next = net->free_head;
    net->free_head = slot;
    net->done(net->ctx, &copy);
}

/* ---- Hop lists and backlogs ---- */

static void list_append(ts_network *net, hop_state *h, int slot)
{
    packet_slot *s = slot_at(net, slot);
    s->prev = h->tail;
    s->next = -1;
    if (h->tail >= 0)
        slot_at(net, h->tail)->next = slot;
    else
        h->head = slot;
    h->tail = slot;
    if (h->cursor < 0)
        h->cursor = slot;
}

static void list_remove(ts_network *net, hop_state *h, int slot)
{
    packet_slot *s = slot_at(net, slot);
    if (s->prev >= 0)
        slot_at(net, s->prev)->next = s->next;
    else
        h->head = s->next;
    if (s->next >= 0)
        slot_at(net, s->next)->prev = s->prev;
    else
        h->tail = s->prev;
}

/* Moves the cursor past messages fully transmitted by `now`. */
static void drain_hop(ts_network *net, hop_state *h, ts_time now)
{
    while (h->cursor >= 0 && slot_at(net, h->cursor)->tx_end <= now) {
        const packet_slot *s = slot_at(net, h->cursor);
        h->backlog_bytes -= s->wire;
        h->backlog_packets -= s->frags;
        h->backlog_ser -= s->ser;
        h->cursor = s->next;
    }
}

static void drain_medium(medium_state *m, ts_time now)
{
    while (m->ring_count > 0 && m->ring[m->ring_head].tx_end <= now) {
        m->backlog_bytes -= m->ring[m->ring_head].bytes;
        m->backlog_packets -= m->ring[m->ring_head].packets;
        m->ring_head = (m->ring_head + 1) % m->ring_cap;
        m->ring_count--;
    }
}

static int ring_reserve(medium_state *m)
{
    if (m->ring_count < m->ring_cap)
        return TS_OK;
    size_t cap = m->ring_cap ? m->ring_cap * 2 : 64;
    backlog_entry *r = ts_malloc(cap * sizeof *r);
    if (!r)
        return TS_ENOMEM;
    for (size_t i = 0; i < m->ring_count; i++)
        r[i] = m->ring[(m->ring_head + i) % m->ring_cap];
    ts_free(m->ring);
    m->ring = r;
    m->ring_cap = cap;
    m->ring_head = 0;
    return TS_OK;
}

/* ---- Loss ---- */

/* Lost among n packets that each are lost with probability q. */
static int64_t losses(gsl_rng *rng, int64_t n, double q)
{
    if (q <= 0 || n <= 0)
        return 0;
    if (q >= 1)
        return n;
    if (n == 1)
        return gsl_rng_uniform(rng) < q;
    if (n > (int64_t)UINT32_MAX) {
        int64_t k = 0;
        for (; n > (int64_t)UINT32_MAX; n -= (int64_t)UINT32_MAX)
            k += gsl_ran_binomial(rng, q, UINT32_MAX);
        return k + gsl_ran_binomial(rng, q, (unsigned)n);
    }
    return gsl_ran_binomial(rng, q, (unsigned)n);
}

/* Number of trials up to and including the first success of probability
 * p (0 < p < 1): the inversion gsl_ran_geometric uses (GSL
 * randist/geometric.c), kept in 64 bits because that one returns an
 * unsigned int, which a small p overflows. */
static int64_t geometric(gsl_rng *rng, double p)
{
    double k = floor(log(gsl_rng_uniform_pos(rng)) / log1p(-p)) + 1;
    return k < 4e18 ? (int64_t)k : (int64_t)4e18;
}

/* Lost packets among the next n through the hop's loss model. A
 * Gilbert-Elliott chain that steps after every packet stays in a state for
 * a geometric number of packets, so drawing that run length once is the
 * same process as a draw per packet, at a cost per state change instead
 * of per fragment; within a run packets are independent (binomial). */
static int64_t draw_loss(hop_draws *h, int64_t n)
{
    const ts_loss_desc *l = &h->loss;
    switch (l->model) {
    case TS_LOSS_BERNOULLI:
        return losses(h->rng, n, l->p);
    case TS_LOSS_GILBERT_ELLIOTT: {
        int64_t lost = 0;
        while (n > 0) {
            if (h->ge_left == 0) {
                double leave = h->ge_bad ? l->p_bad_good : l->p_good_bad;
                if (leave <= 0)
                    h->ge_left = INT64_MAX;
                else if (leave >= 1)
                    h->ge_left = 1;
                else
                    h->ge_left = geometric(h->rng, leave);
            }
            int64_t m = n < h->ge_left ? n : h->ge_left;
            lost += losses(h->rng, m, h->ge_bad ? l->loss_bad : l->loss_good);
            n -= m;
            if (h->ge_left != INT64_MAX)
                h->ge_left -= m;
            if (h->ge_left == 0)
                h->ge_bad = !h->ge_bad;
        }
        return lost;
    }
    case TS_LOSS_NONE:
    default:
        return 0;
    }
}

/* ---- Forwarding ---- */

static void on_arrival(ts_engine *engine, void *ctx, uint64_t arg);

/* Queues the message in `slot` on hop state `hi` (h): decides its
 * transmission, loss and arrival now and schedules the arrival. */
static void enqueue(ts_network *net, int slot, int hi, hop_state *h)
{
    ts_time now = ts_engine_now(net->engine);
    const link_cfg *cfg = h->cfg;
    medium_state *m = cfg->medium;
    packet_slot *s = slot_at(net, slot);
    ts_fragments(s->pkt.bytes, cfg->mtu, cfg->header, &s->frags, &s->wire);
    drain_hop(net, h, now);
    int refused = (cfg->queue_bytes > 0 && h->backlog_bytes + s->wire > cfg->queue_bytes) ||
                  (cfg->queue_packets > 0 && h->backlog_packets + s->frags > cfg->queue_packets);
    if (!refused && m) {
        drain_medium(m, now);
        refused = (m->queue_bytes > 0 && m->backlog_bytes + s->wire > m->queue_bytes) ||
                  (m->queue_packets > 0 && m->backlog_packets + s->frags > m->queue_packets) ||
                  ring_reserve(m) != TS_OK;
    }
    /* The transmitter: the medium's, or the hop's own at the link's rate. */
    ts_time *busy_until = m ? &m->tx.busy_until : &h->busy_until;
    double rate = m ? m->tx.rate_bps : cfg->rate_bps;
    ts_time arrival = 0;
    ts_time seg_at = 0;       /* the work left, kept by a medium's ring */
    uint64_t left_nb = 0;
    double left_d = 0;
    if (!refused) {
        ts_time start = *busy_until > now ? *busy_until : now;
        work_of(s->wire, &left_nb, &left_d);
        seg_at = start;
        s->ser = work_ns(left_nb, left_d, rate);
        s->tx_end = add_sat(start, s->ser);
        /* Loss first, then jitter: both from the hop's one stream, in
         * queue order, so a run is reproducible whatever else happens. */
        hop_draws *dr = h->draws;
        s->lost_frags = dr ? draw_loss(dr, s->frags) : 0;
        ts_time delay = add_sat(add_sat(cfg->latency_ns, h->extra_ns), m ? m->latency_ns : 0);
        if (dr && cfg->jitter.kind != TS_DIST_NONE) {
            double j = ts_dist_draw(&cfg->jitter, dr->rng);
            delay = add_sat(delay, j < 4e18 ? (int64_t)llround(j) : (int64_t)4e18);
        }
        s->delay = delay;
        arrival = add_sat(s->tx_end, delay);
        if (!cfg->reorder_allowed && arrival < h->last_arrival)
            arrival = h->last_arrival;
        /* Scheduled before anything is committed, so running out of
         * engine memory leaves the queue as it was (a drop). An arrival
         * at TS_TIME_MAX never comes: no event, the message stays in
         * flight until the end-of-run flush. */
        s->ev = 0;
        if (arrival < TS_TIME_MAX)
            refused = ts_engine_schedule(net->engine, arrival, on_arrival, net,
                                         (uint64_t)slot, &s->ev) != TS_OK;
    }
    if (refused) {
        hop_losses *x = losses_of(net, h);
        if (x) {
            x->dropped_messages++;
            x->dropped_packets += (uint64_t)s->frags;
            x->dropped_bytes += (uint64_t)s->wire;
        }
        finish(net, slot, TS_PKT_DROPPED_QUEUE);
        return;
    }
    s->arrival = arrival;
    if (!cfg->reorder_allowed)
        h->last_arrival = arrival;
    *busy_until = s->tx_end;
    h->own_scheduled = add_sat(h->own_scheduled, s->ser);
    if (m) {
        m->tx.busy_scheduled = add_sat(m->tx.busy_scheduled, s->ser);
        m->ring[(m->ring_head + m->ring_count) % m->ring_cap] =
            (backlog_entry){s->tx_end, s->wire, s->frags, slot, seg_at, left_nb, left_d};
        m->ring_count++;
        m->backlog_bytes += s->wire;
        m->backlog_packets += s->frags;
    }
    s->hop = hi;
    list_append(net, h, slot);
    h->backlog_bytes += s->wire;
    h->backlog_packets += s->frags;
    h->backlog_ser = add_sat(h->backlog_ser, s->ser);
    h->sent_messages++;
    h->sent_packets += (uint64_t)s->frags;
    h->sent_bytes += (uint64_t)s->wire;
}

/* A link carries traffic while it is up and neither end node is down;
 * `live` keeps that for the forward path, set wherever the link's state
 * or its ends' change. */
static void sync_live(ts_network *net, size_t link)
{
    link_state *ls = &net->links[link];
    ls->live = ls->up && !ls->down_ends;
}

/* Puts the packet in `slot` on the next hop toward its destination. */
static void forward(ts_network *net, int slot)
{
    packet_slot *s = slot_at(net, slot);
    if (s->at == s->pkt.dst) {
        finish(net, slot, TS_PKT_DELIVERED);
        return;
    }
    int hop = ts_routes_next_hop(net->routes, s->at, s->pkt.dst);
    /* The live check covers routes that could not be rebuilt (no memory).
     * A hop whose state cannot be made sends to "no route", as a route
     * that cannot be made does; ts_network_out_of_memory tells. */
    hop_state *h;
    if (hop < 0 || !net->links[hop / 2].live || !(h = hop_get(net, (size_t)hop))) {
        finish(net, slot, TS_PKT_NO_ROUTE);
        return;
    }
    enqueue(net, slot, net->links[hop / 2].hop[hop % 2], h);
}

static void on_arrival(ts_engine *engine, void *ctx, uint64_t arg)
{
    ts_network *net = ctx;
    int slot = (int)arg;
    packet_slot *s = slot_at(net, slot);
    hop_state *h = hop_at(net, (size_t)s->hop);
    /* Arrival is at or after tx_end, so this moves the cursor past s. */
    drain_hop(net, h, ts_engine_now(engine));
    list_remove(net, h, slot);
    s->hop = -1;
    if (s->lost_frags > 0) {
        hop_losses *x = losses_of(net, h);
        if (x) {
            x->lost_messages++;
            x->lost_packets += (uint64_t)s->lost_frags;
        }
        finish(net, slot, TS_PKT_LOST);
        return;
    }
    s->at = h->to;
    forward(net, slot);
}

/* A same-node packet's transport latency is over. */
static void on_local_arrival(ts_engine *engine, void *ctx, uint64_t arg)
{
    (void)engine;
    ts_network *net = ctx;
    int slot = (int)arg;
    slot_at(net, slot)->ev = 0;
    finish(net, slot, TS_PKT_DELIVERED);
}

/* Delivers a same-node packet after its node's transport latency: one
 * engine event, no hop, so it neither queues behind nor delays anything
 * (the copy is the cores' work, not a link's). */
static int deliver_local(ts_network *net, int slot, ts_time delay)
{
    packet_slot *s = slot_at(net, slot);
    s->hop = SLOT_LOCAL;
    s->ev = 0;
    s->arrival = add_sat(ts_engine_now(net->engine), delay);
    if (s->arrival < TS_TIME_MAX &&
        ts_engine_schedule(net->engine, s->arrival, on_local_arrival, net, (uint64_t)slot,
                           &s->ev) != TS_OK) {
        net->out_of_memory = 1;
        finish(net, slot, TS_PKT_NO_ROUTE);
        return TS_ENOMEM;
    }
    return TS_OK;
}

/* ---- Construction ---- */

static const char *one_name(void *ctx, size_t i)
{
    (void)i;
    return ctx;
}

/* The hop's own stream, "<link name>/ab" or "/ba", in a block of one. */
static gsl_rng *hop_rng(ts_network *net, size_t hop)
{
    const char *name = link_name(net, hop / 2);
    size_t len = strlen(name);
    char *buf = ts_malloc(len + 4);
    if (!buf)
        return NULL;
    memcpy(buf, name, len);
    memcpy(buf + len, hop % 2 ? "/ba" : "/ab", 4);
    gsl_rng *r = ts_rng_block_new(net->seed, 1, one_name, buf);
    ts_free(buf);
    return r;
}

/* Sets the hop's loss model, with its Gilbert-Elliott state anew, and
 * gives the hop its draws (its stream) when it now draws anything (jitter
 * or loss); a hop that never drew keeps none. TS_OK or TS_ENOMEM (then the
 * hop draws as before). */
static int set_hop_loss(ts_network *net, hop_state *h, const ts_loss_desc *loss)
{
    if (!h->draws) {
        if (h->cfg->jitter.kind == TS_DIST_NONE && loss->model == TS_LOSS_NONE)
            return TS_OK;
        hop_draws *d = ts_calloc(1, sizeof *d);
        if (!d)
            return TS_ENOMEM;
        if (!(d->rng = hop_rng(net, (size_t)h->hop))) {
            ts_free(d);
            return TS_ENOMEM;
        }
        h->draws = d;
    }
    h->draws->loss = *loss;
    h->draws->ge_bad = 0;
    h->draws->ge_left = 0;
    return TS_OK;
}

static char *name_or(const char *name, const char *prefix, size_t index)
{
    if (name)
        return ts_strdup(name);
    char buf[48];
    snprintf(buf, sizeof buf, "%s%zu", prefix, index);
    return ts_strdup(buf);
}

/* Doubles compared bit for bit: the same bits behave alike. */
static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static uint64_t double_bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* Links described alike share one configuration (everything but their
 * ends and name). A histogram's bins are compared by address: equal
 * addresses are equal bins, and unequal ones only cost a copy. */
static int same_link_cfg(const ts_net_link_desc *a, const ts_net_link_desc *b)
{
    return a->latency_ns == b->latency_ns && same_bits(a->bandwidth_bps, b->bandwidth_bps) &&
           a->queue_bytes == b->queue_bytes && a->queue_packets == b->queue_packets &&
           a->mtu_bytes == b->mtu_bytes && a->header_bytes == b->header_bytes &&
           a->reorder_allowed == b->reorder_allowed && a->medium == b->medium &&
           a->jitter.kind == b->jitter.kind && same_bits(a->jitter.a, b->jitter.a) &&
           same_bits(a->jitter.b, b->jitter.b) && a->jitter.n_bins == b->jitter.n_bins &&
           a->jitter.edges == b->jitter.edges && a->jitter.weights == b->jitter.weights &&
           a->loss.model == b->loss.model && same_bits(a->loss.p, b->loss.p) &&
           same_bits(a->loss.p_good_bad, b->loss.p_good_bad) &&
           same_bits(a->loss.p_bad_good, b->loss.p_bad_good) &&
           same_bits(a->loss.loss_good, b->loss.loss_good) &&
           same_bits(a->loss.loss_bad, b->loss.loss_bad);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    /* FNV-1a over the value's 8 bytes */
    for (int i = 0; i < 8; i++, v >>= 8)
        h = (h ^ (v & 0xffu)) * 1099511628211u;
    return h;
}

static uint64_t link_cfg_hash(const ts_net_link_desc *d)
{
    uint64_t h = 14695981039346656037u;
    h = mix(h, (uint64_t)d->latency_ns);
    h = mix(h, double_bits(d->bandwidth_bps));
    h = mix(h, (uint64_t)d->queue_bytes);
    h = mix(h, (uint64_t)d->queue_packets);
    h = mix(h, (uint64_t)d->mtu_bytes);
    h = mix(h, (uint64_t)d->header_bytes);
    h = mix(h, (uint64_t)(int64_t)d->reorder_allowed);
    h = mix(h, (uint64_t)(int64_t)d->medium);
    h = mix(h, (uint64_t)d->jitter.kind);
    h = mix(h, double_bits(d->jitter.a));
    h = mix(h, (uint64_t)d->loss.model);
    h = mix(h, double_bits(d->loss.p));
    return h;
}

/* Fills the configuration of link desc d (its jitter prepared). */
static int make_link_cfg(ts_network *net, link_cfg *c, const ts_net_link_desc *d,
                         const char *name, ts_error *err)
{
    memset(c, 0, sizeof *c);
    c->latency_ns = d->latency_ns;
    c->mtu = d->mtu_bytes;
    c->header = d->header_bytes;
    c->queue_bytes = d->queue_bytes;
    c->queue_packets = d->queue_packets;
    c->rate_bps = d->bandwidth_bps;
    c->medium = d->medium ? &net->media[d->medium - 1] : NULL;
    c->reorder_allowed = d->reorder_allowed;
    c->loss = d->loss;
    c->draws = d->jitter.kind != TS_DIST_NONE || d->loss.model != TS_LOSS_NONE;
    if (d->jitter.kind == TS_DIST_NONE)
        return TS_OK;
    c->jitter = d->jitter;
    c->jitter.table = NULL;
    c->jitter.owned = NULL;
    ts_error derr;
    int rc = ts_dist_prepare(&c->jitter, &derr);
    if (rc != TS_OK) {
        c->jitter.kind = TS_DIST_NONE;   /* nothing of it to release */
        return ts_error_set(err, rc, NULL, 0, "link %s: jitter: %s", name, derr.msg);
    }
    return TS_OK;
}

/* Every link's name (or "link<index>") into one block; offsets in
 * links[].name. TS_OK or TS_ENOMEM. */
static int make_names(ts_network *net, const ts_network_config *cfg)
{
    char buf[48];
    size_t total = 0;
    for (size_t l = 0; l < cfg->n_links; l++) {
        const char *name = cfg->links[l].name;
        total += (name ? strlen(name) : (size_t)snprintf(buf, sizeof buf, "link%zu", l)) + 1;
    }
    if (total > UINT32_MAX || !(net->names = ts_malloc(total ? total : 1)))
        return TS_ENOMEM;
    size_t at = 0;
    for (size_t l = 0; l < cfg->n_links; l++) {
        const char *name = cfg->links[l].name;
        if (!name) {
            snprintf(buf, sizeof buf, "link%zu", l);
            name = buf;
        }
        size_t len = strlen(name) + 1;
        memcpy(net->names + at, name, len);
        net->links[l].name = (uint32_t)at;
        at += len;
    }
    return TS_OK;
}

/* The distinct configurations of the links, each link pointing at its
 * own. TS_OK, TS_ENOMEM or a jitter's error. */
static int make_link_cfgs(ts_network *net, const ts_network_config *cfg, ts_error *err)
{
    size_t nl = cfg->n_links, slots = 16;
    while (slots < 2 * nl)
        slots *= 2;
    int *index = ts_malloc(slots * sizeof *index);
    uint32_t *cfg_of = ts_malloc((nl ? nl : 1) * sizeof *cfg_of);
    size_t *first = NULL, cap = 0;
    int rc = TS_OK;
    if (!index || !cfg_of) {
        rc = ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the network");
        goto out;
    }
    for (size_t i = 0; i < slots; i++)
        index[i] = -1;
    for (size_t l = 0; l < nl; l++) {
        const ts_net_link_desc *d = &cfg->links[l];
        size_t i = link_cfg_hash(d) & (slots - 1);
        for (; index[i] >= 0; i = (i + 1) & (slots - 1))
            if (same_link_cfg(&cfg->links[first[index[i]]], d))
                break;
        if (index[i] < 0) {
            if (net->n_cfgs == cap) {
                size_t n = cap ? 2 * cap : 8;
                link_cfg *c = ts_realloc(net->cfgs, n * sizeof *c);
                if (c)
                    net->cfgs = c;
                size_t *f = ts_realloc(first, n * sizeof *f);
                if (f)
                    first = f;
                if (!c || !f) {
                    rc = ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the network");
                    goto out;
                }
                cap = n;
            }
            if ((rc = make_link_cfg(net, &net->cfgs[net->n_cfgs], d, link_name(net, l),
                                    err)) != TS_OK)
                goto out;
            first[net->n_cfgs] = l;
            index[i] = (int)net->n_cfgs++;
        }
        cfg_of[l] = (uint32_t)index[i];
    }
    for (size_t l = 0; l < nl; l++)
        net->links[l].cfg = &net->cfgs[cfg_of[l]];
out:
    ts_free(index);
    ts_free(cfg_of);
    ts_free(first);
    return rc;
}

static int check_config(const ts_network_config *cfg, ts_error *err)
{
    if (!cfg->done)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "the network needs a done callback");
    if ((cfg->n_links && !cfg->links) || (cfg->n_media && !cfg->media))
        return ts_error_set(err, TS_EINVAL, NULL, 0, "links or media missing");
    for (size_t i = 0; i < cfg->n_media; i++) {
        const ts_medium_desc *m = &cfg->media[i];
        if (!(m->capacity_bps > 0) || !isfinite(m->capacity_bps) || m->latency_ns < 0 ||
            m->queue_bytes < 0 || m->queue_packets < 0)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "medium %s: needs capacity > 0, latency >= 0 and "
                                "queues >= 0", m->name ? m->name : "(unnamed)");
    }
    for (size_t i = 0; i < cfg->n_links; i++) {
        const ts_net_link_desc *l = &cfg->links[i];
        const char *what = NULL;
        if (l->a < 0 || l->b < 0 || (size_t)l->a >= cfg->n_nodes ||
            (size_t)l->b >= cfg->n_nodes)
            what = "names a node out of range";
        else if (l->latency_ns < 0)
            what = "has a negative latency";
        else if (l->medium < 0 || (size_t)l->medium > cfg->n_media)
            what = "names a medium out of range";
        else if (l->medium == 0 && (!(l->bandwidth_bps > 0) || !isfinite(l->bandwidth_bps)))
            what = "needs a bandwidth > 0";
        else if (l->queue_bytes < 0 || l->queue_packets < 0)
            what = "has a negative queue";
        else if (l->header_bytes < 0 || l->mtu_bytes < 0 ||
                 (l->mtu_bytes > 0 && l->mtu_bytes <= l->header_bytes))
            what = "needs 0 <= header < mtu";
        else if (!check_loss(&l->loss))
            what = "has a loss probability outside [0, 1]";
        if (what) {
            if (l->name)
                return ts_error_set(err, TS_EINVAL, NULL, 0, "link %s %s", l->name, what);
            return ts_error_set(err, TS_EINVAL, NULL, 0, "link %zu %s", i, what);
        }
    }
    return TS_OK;
}

/* The given topology must describe the same nodes and links. */
static int check_topology(const ts_network_config *cfg, ts_error *err)
{
    const ts_topology *t = cfg->topology;
    int same = ts_topology_nodes(t) == cfg->n_nodes && ts_topology_links(t) == cfg->n_links;
    for (size_t l = 0; same && l < cfg->n_links; l++)
        same = t->link_a[l] == cfg->links[l].a && t->link_b[l] == cfg->links[l].b;
    if (!same)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "the topology does not match the network's nodes and links");
    return TS_OK;
}

int ts_network_new(ts_engine *engine, const ts_network_config *cfg,
                   ts_network **out, ts_error *err)
{
    *out = NULL;
    int rc = check_config(cfg, err);
    if (rc != TS_OK)
        return rc;
    ts_network *net = ts_calloc(1, sizeof *net);
    if (!net)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the network");
    net->engine = engine;
    net->n_nodes = cfg->n_nodes;
    net->seed = cfg->seed;
    net->done = cfg->done;
    net->event = cfg->event;
    net->ctx = cfg->ctx;
    net->free_head = -1;
    net->n_links = cfg->n_links;
    net->n_hops = 2 * cfg->n_links;
    net->n_media = cfg->n_media;
    size_t nl = cfg->n_links ? cfg->n_links : 1;
    /* Links on a medium: its member lists and the weights of a latency
     * change are sized by them. */
    size_t on_media = 0;
    for (size_t l = 0; l < cfg->n_links; l++)
        on_media += cfg->links[l].medium > 0;
    int64_t *weights = NULL;
    net->links = ts_calloc(nl, sizeof *net->links);
    net->media = ts_calloc(cfg->n_media ? cfg->n_media : 1, sizeof *net->media);
    net->batch = ts_malloc(nl * sizeof *net->batch);
    net->weights = ts_malloc((on_media ? on_media : 1) * sizeof *net->weights);
    net->node_down = ts_calloc(cfg->n_nodes ? cfg->n_nodes : 1, 1);
    if (!net->links || !net->media || !net->batch || !net->weights || !net->node_down ||
        grow_slots(net) != TS_OK || make_names(net, cfg) != TS_OK)
        goto nomem;
    for (size_t i = 0; i < cfg->n_media; i++) {
        const ts_medium_desc *d = &cfg->media[i];
        medium_state *m = &net->media[i];
        if (!(m->name = name_or(d->name, "medium", i)))
            goto nomem;
        m->tx.rate_bps = d->capacity_bps;
        m->latency_ns = d->latency_ns;
        m->queue_bytes = d->queue_bytes;
        m->queue_packets = d->queue_packets;
    }
    if ((rc = make_link_cfgs(net, cfg, err)) != TS_OK) {
        ts_network_free(net);
        return rc;
    }
    for (size_t l = 0; l < cfg->n_links; l++) {
        link_state *ls = &net->links[l];
        ls->hop[0] = ls->hop[1] = -1;
        ls->up = ls->live = 1;
    }
    /* Each medium's hops, for its counters. */
    net->medium_first = ts_calloc(cfg->n_media + 1, sizeof *net->medium_first);
    net->medium_hops = ts_malloc((on_media ? 2 * on_media : 1) * sizeof *net->medium_hops);
    if (!net->medium_first || !net->medium_hops)
        goto nomem;
    for (size_t l = 0; l < cfg->n_links; l++)
        if (cfg->links[l].medium > 0)
            net->medium_first[cfg->links[l].medium] += 2;
    for (size_t i = 0; i < cfg->n_media; i++)
        net->medium_first[i + 1] += net->medium_first[i];
    {
        size_t *fill = ts_calloc(cfg->n_media + 1, sizeof *fill);
        if (!fill)
            goto nomem;
        for (size_t h = 0; h < net->n_hops; h++) {
            int md = cfg->links[h / 2].medium;
            if (md > 0)
                net->medium_hops[net->medium_first[md - 1] + fill[md - 1]++] = (int)h;
        }
        ts_free(fill);
    }
    const ts_topology *topo = cfg->topology;
    if (topo)
        rc = check_topology(cfg, err);
    else if ((rc = ts_topology_new(cfg->n_nodes, NULL, cfg->links, cfg->n_links,
                                   &net->own_topology, err)) == TS_OK)
        topo = net->own_topology;
    /* Routes weigh a link by its latency plus its medium's. */
    if (rc == TS_OK && !(weights = ts_malloc(nl * sizeof *weights)))
        goto nomem;
    for (size_t l = 0; rc == TS_OK && l < cfg->n_links; l++) {
        const link_cfg *c = net->links[l].cfg;
        weights[l] = add_sat(c->latency_ns, c->medium ? c->medium->latency_ns : 0);
    }
    if (rc == TS_OK)
        rc = ts_routes_new_on(topo, weights, &net->routes, err);
    ts_free(weights);
    if (rc != TS_OK) {
        ts_network_free(net);
        return rc;
    }
    *out = net;
    return TS_OK;
nomem:
    ts_network_free(net);
    return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the network");
}

void ts_network_free(ts_network *net)
{
    if (!net)
        return;
    /* Every message on a hop has (at most) its arrival pending: cancel
     * them, so the engine can run on without calling into freed memory. */
    if (net->slot_chunks)
        for (size_t i = 0; i < net->n_slots; i++)
            if ((slot_at(net, i)->hop >= 0 || slot_at(net, i)->hop == SLOT_LOCAL) &&
                slot_at(net, i)->ev)
                ts_engine_cancel(net->engine, slot_at(net, i)->ev);
    for (size_t i = 0; i < net->n_hop_states; i++) {
        hop_state *h = hop_at(net, i);
        if (h->draws) {
            ts_rng_block_free(h->draws->rng);
            ts_free(h->draws);
        }
        ts_free(h->losses);
    }
    for (size_t i = 0; i < net->n_hop_chunks; i++)
        ts_free(net->hop_chunks[i]);
    ts_free(net->hop_chunks);
    for (size_t i = 0; i < net->n_cfgs; i++)
        ts_dist_fini(&net->cfgs[i].jitter);
    ts_free(net->cfgs);
    if (net->media)
        for (size_t i = 0; i < net->n_media; i++) {
            ts_free(net->media[i].ring);
            ts_free(net->media[i].name);
        }
    ts_routes_free(net->routes);
    ts_topology_free(net->own_topology);
    ts_free(net->links);
    ts_free(net->names);
    ts_free(net->media);
    ts_free(net->batch);
    ts_free(net->node_down);
    ts_free(net->weights);
    ts_free(net->medium_first);
    ts_free(net->medium_hops);
    for (size_t i = 0; i < net->n_slot_chunks; i++)
        ts_free(net->slot_chunks[i]);
    ts_free(net->slot_chunks);
    ts_free(net);
}

int ts_network_out_of_memory(const ts_network *net) { return net->out_of_memory; }

/* ---- Re-timing a medium ---- */

/* Moves the message's arrival to `at`. Cancelling first frees an engine
 * slot for the new event, so this cannot run out of event memory unless
 * the message had no event (its arrival was "never"): then it stays so. */
static void set_arrival(ts_network *net, int slot, ts_time at)
{
    packet_slot *s = slot_at(net, slot);
    if (s->ev)
        ts_engine_cancel(net->engine, s->ev);
    s->ev = 0;
    s->arrival = TS_TIME_MAX;
    if (at < TS_TIME_MAX &&
        ts_engine_schedule(net->engine, at, on_arrival, net, (uint64_t)slot, &s->ev) == TS_OK)
        s->arrival = at;
    else
        s->ev = 0;
}

/* Lays the medium's queued messages out again from now, in transmission
 * order and back to back, at its current rate; `old_rate` is the rate the
 * message on the air has been sent at since its seg_at. With an unchanged
 * rate the message on the air keeps its time and only the ones behind a
 * removed message move up. Arrivals follow their new ends (each keeps its
 * own delay, and the no-overtaking rule against the message ahead on its
 * hop); only the events that move are rescheduled. The caller has
 * drained the ring by now, so every entry names a live slot. */
static void retime_medium(ts_network *net, medium_state *m, ts_time now, double old_rate)
{
    int rerate = old_rate != m->tx.rate_bps;
    /* No gaps from the start of the first entry to busy_until (messages
     * behind it were queued while it was busy), so the air time sent so
     * far is what was scheduled minus that span's part after now. */
    ts_time sent = m->tx.busy_scheduled -
                   (m->tx.busy_until > now ? m->tx.busy_until - now : 0);
    ts_time t = now;
    for (size_t k = 0; k < m->ring_count; k++) {
        backlog_entry *e = &m->ring[(m->ring_head + k) % m->ring_cap];
        int slot = e->slot;
        packet_slot *s = slot_at(net, slot);
        hop_state *h = hop_at(net, (size_t)s->hop);
        ts_time start = s->tx_end - s->ser;
        ts_time ser = s->ser, tx_end;
        if (k == 0 && start < now) {
            /* On the air since `start`: at a new rate, the bits left
             * (exact for whole bit/s rates) go at it from now; `ser`
             * stays the span from its start, so the counters' part-way
             * arithmetic holds. */
            if (rerate) {
                work_advance(e, now - e->seg_at, old_rate);
                e->seg_at = now;
                ts_time rest = work_ns(e->left_nb, e->left_d, m->tx.rate_bps);
                ser = add_sat(now - start, rest);
                tx_end = add_sat(now, rest);
            } else {
                tx_end = s->tx_end;
            }
        } else {
            start = t;
            work_of(s->wire, &e->left_nb, &e->left_d);
            e->seg_at = start;
            if (rerate)
                ser = work_ns(e->left_nb, e->left_d, m->tx.rate_bps);
            tx_end = add_sat(start, ser);
        }
        /* Differences of two values in [0, TS_TIME_MAX] cannot overflow. */
        h->own_scheduled = add_sat(h->own_scheduled, ser - s->ser);
        h->backlog_ser = add_sat(h->backlog_ser, ser - s->ser);
        s->ser = ser;
        s->tx_end = e->tx_end = tx_end;
        t = tx_end;
        ts_time arrival = add_sat(tx_end, s->delay);
        if (!h->cfg->reorder_allowed && s->prev >= 0 &&
            slot_at(net, s->prev)->arrival > arrival)
            arrival = slot_at(net, s->prev)->arrival;
        if (arrival != s->arrival)
            set_arrival(net, slot, arrival);
        if (!h->cfg->reorder_allowed && slot == h->tail)
            h->last_arrival = s->arrival;
    }
    if (m->ring_count > 0)
        m->tx.busy_until = t;
    else if (m->tx.busy_until > now)
        m->tx.busy_until = now;
    m->tx.busy_scheduled =
        add_sat(sent, m->tx.busy_until > now ? m->tx.busy_until - now : 0);
}

/* Takes the messages of hop state `hi` out of the medium's queue, then
 * lets the others move up. */
static void remove_from_medium(ts_network *net, medium_state *m, int hi, ts_time now)
{
    drain_medium(m, now);
    size_t kept = 0;
    for (size_t k = 0; k < m->ring_count; k++) {
        backlog_entry e = m->ring[(m->ring_head + k) % m->ring_cap];
        if (slot_at(net, e.slot)->hop == hi) {
            m->backlog_bytes -= e.bytes;
            m->backlog_packets -= e.packets;
            continue;
        }
        m->ring[(m->ring_head + kept++) % m->ring_cap] = e;
    }
    m->ring_count = kept;
    retime_medium(net, m, now, m->tx.rate_bps);
}

/* Empties the medium's queue (the end-of-run flush): the air time keeps
 * only what was sent by now. */
static void empty_medium(medium_state *m, ts_time now)
{
    if (m->tx.busy_until > now) {
        m->tx.busy_scheduled -= m->tx.busy_until - now;
        m->tx.busy_until = now;
    }
    m->ring_head = m->ring_count = 0;
    m->backlog_bytes = m->backlog_packets = 0;
}

/* ---- Emptying a hop ---- */

/* Empties the hop: cancels its messages' arrivals and returns the first
 * of them (chained through `next`, in queue order) for the caller to
 * report. Busy time keeps only what was sent by now: a private
 * transmitter falls idle (no other hop shares it); on a medium the hop's
 * messages leave the shared queue, the one on the air (if it is the
 * hop's) cut short at once as on a private transmitter, and the other
 * links' messages behind them move up, unless `keep_medium` (the flush
 * empties the media itself). */
static int clear_hop(ts_network *net, hop_state *h, int keep_medium)
{
    ts_time now = ts_engine_now(net->engine);
    drain_hop(net, h, now);
    medium_state *m = h->cfg->medium;
    if (m && !keep_medium)
        remove_from_medium(net, m, net->links[h->hop / 2].hop[h->hop % 2], now);
    /* Left to send: all from the cursor on but the part of the first one
     * already sent, from the running sums as the counters compute it, so
     * that saturated times stay consistent with them. */
    ts_time unsent = h->backlog_ser;
    if (h->cursor >= 0) {
        const packet_slot *c = slot_at(net, h->cursor);
        ts_time start = c->tx_end - c->ser;
        if (start < now)
            unsent -= now - start;
    }
    int first = h->head;
    for (int i = first; i >= 0; i = slot_at(net, i)->next) {
        packet_slot *s = slot_at(net, i);
        if (s->ev)
            ts_engine_cancel(net->engine, s->ev);
        s->ev = 0;
        s->hop = -1;
    }
    h->head = h->tail = h->cursor = -1;
    h->backlog_bytes = h->backlog_packets = h->backlog_ser = 0;
    h->last_arrival = 0;
    h->own_scheduled -= unsent;
    if (!m && h->busy_until > now) {
        /* The transmitter's busy span has no gaps (as on a medium). */
        h->busy_until = now;
    }
    return first;
}

/* Reports everything on the hop as lost to the link going down and
 * returns how many messages that was. */
static size_t kill_hop(ts_network *net, size_t hop)
{
    hop_state *h = hop_find(net, hop);
    size_t n = 0;
    if (!h)
        return 0;             /* never carried anything */
    for (int i = clear_hop(net, h, 0); i >= 0; n++) {
        packet_slot *s = slot_at(net, i);
        int next = s->next;     /* read first: finish() recycles the slot */
        hop_losses *x = losses_of(net, h);
        if (x) {
            x->down_messages++;
            x->down_packets += (uint64_t)s->frags;
            x->down_bytes += (uint64_t)s->wire;
        }
        finish(net, i, TS_PKT_LINK_DOWN);
        i = next;
    }
    return n;
}

/* ---- Sending and flushing ---- */

int ts_network_send(ts_network *net, const ts_packet *packet)
{
    int slot = take_slot(net);
    if (slot < 0)
        return TS_ENOMEM;
    packet_slot *s = slot_at(net, slot);
    s->pkt = (sent_packet){.seq = packet->seq, .tag = packet->tag, .bytes = packet->bytes,
                           .sent = ts_engine_now(net->engine), .topic = packet->topic,
                           .publisher = packet->publisher, .subscriber = packet->subscriber,
                           .src = packet->src, .dst = packet->dst};
    s->at = packet->src;
    s->order = net->next_order++;
    if (packet->src < 0 || packet->dst < 0 || (size_t)packet->src >= net->n_nodes ||
        (size_t)packet->dst >= net->n_nodes) {
        finish(net, slot, TS_PKT_NO_ROUTE);
        return TS_OK;
    }
    if (packet->src == packet->dst && packet->local_ns > 0)
        return deliver_local(net, slot, packet->local_ns);
    forward(net, slot);
    return TS_OK;
}

typedef struct order_entry {
    uint64_t order;
    int slot;
} order_entry;

static int by_order(const void *x, const void *y)
{
    const order_entry *a = x, *b = y;
    return (a->order > b->order) - (a->order < b->order);
}

int ts_network_flush_in_flight(ts_network *net)
{
    /* Every packet in flight is on a hop: empty the hops (their arrivals
     * cancelled) and the media, then report all of them in send order. */
    ts_time now = ts_engine_now(net->engine);
    for (size_t i = 0; i < net->n_hops; i++) {
        hop_state *h = hop_find(net, i);
        if (h)
            clear_hop(net, h, 1);
    }
    for (size_t i = 0; i < net->n_media; i++)
        empty_medium(&net->media[i], now);
    /* Same-node packets are on no hop: their deliveries are cancelled
     * here. */
    for (size_t i = 0; i < net->n_slots; i++) {
        packet_slot *s = slot_at(net, i);
        if (s->hop == SLOT_LOCAL) {
            if (s->ev)
                ts_engine_cancel(net->engine, s->ev);
            s->ev = 0;
            s->hop = -1;
        }
    }
    size_t n = 0;
    for (size_t i = 0; i < net->n_slots; i++)
        n += in_use(slot_at(net, i));
    if (n == 0)
        return TS_OK;
    order_entry *list = ts_malloc(n * sizeof *list);
    if (!list) {
        /* Without room to sort, report in slot order rather than lose rows,
         * and say so: the order is not the documented one. */
        for (size_t i = 0; i < net->n_slots; i++)
            if (in_use(slot_at(net, i)))
                finish(net, (int)i, TS_PKT_IN_FLIGHT);
        return TS_ENOMEM;
    }
    n = 0;
    for (size_t i = 0; i < net->n_slots; i++)
        if (in_use(slot_at(net, i)))
            list[n++] = (order_entry){slot_at(net, i)->order, (int)i};
    qsort(list, n, sizeof *list, by_order);
    for (size_t i = 0; i < n; i++)
        finish(net, list[i].slot, TS_PKT_IN_FLIGHT);
    ts_free(list);
    return TS_OK;
}

/* ---- Faults and changes ---- */

int ts_network_set_link_up(ts_network *net, int link, int up)
{
    return ts_network_set_links_up(net, &link, 1, up);
}

int ts_network_set_links_up(ts_network *net, const int *links, size_t n, int up)
{
    for (size_t i = 0; i < n; i++)
        if (links[i] < 0 || (size_t)links[i] >= net->n_links)
            return TS_EINVAL;
    up = up != 0;
    /* The links that change, each once, in the order given. */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        link_state *ls = &net->links[links[i]];
        if (ls->up != up) {
            ls->up = up;
            sync_live(net, (size_t)links[i]);
            net->batch[m++] = links[i];
        }
    }
    if (m == 0)
        return TS_OK;
    /* Routes first, so a done callback that sends from inside the loss
     * reports below already takes the new paths. */
    size_t changed = 0;
    ts_error err;
    /* A link that comes up between crashed nodes stays out of the routes. */
    unsigned char state = (unsigned char)(up && !net->links[net->batch[0]].down_ends);
    int rc = TS_OK;
    if (m == 1) {
        rc = ts_routes_set_links(net->routes, net->batch, 1, &state, NULL, &changed, &err);
    } else {
        unsigned char *ups = ts_malloc(m);
        if (!ups)
            rc = TS_ENOMEM;
        else {
            for (size_t i = 0; i < m; i++)
                ups[i] = (unsigned char)(up && !net->links[net->batch[i]].down_ends);
            rc = ts_routes_set_links(net->routes, net->batch, m, ups, NULL, &changed, &err);
            ts_free(ups);
        }
    }
    char detail[sizeof ((ts_platform_event *)0)->detail];
    for (size_t i = 0; i < m; i++) {
        int link = net->batch[i];
        if (!up) {
            /* Reported in hop order (a->b, then b->a), each in queue order. */
            size_t lost = kill_hop(net, 2 * (size_t)link);
            lost += kill_hop(net, 2 * (size_t)link + 1);
            snprintf(detail, sizeof detail, "link %s down: %zu messages on it lost",
                     link_name(net, (size_t)link), lost);
            emit(net, TS_EV_LINK_DOWN, link, (double)lost, detail);
        } else {
            snprintf(detail, sizeof detail, "link %s up", link_name(net, (size_t)link));
            emit(net, TS_EV_LINK_UP, link, 0, detail);
        }
    }
    if (rc != TS_OK)
        return rc;
    if (changed > 0) {
        int link = net->batch[0];
        if (m == 1)
            snprintf(detail, sizeof detail,
                     "routes recomputed after link %s went %s: %zu node pairs "
                     "take a new next hop", link_name(net, (size_t)link), up ? "up" : "down",
                     changed);
        else
            snprintf(detail, sizeof detail,
                     "routes recomputed after %zu links went %s: %zu node pairs "
                     "take a new next hop", m, up ? "up" : "down", changed);
        emit(net, TS_EV_ROUTE_CHANGE, link, (double)changed, detail);
    }
    return TS_OK;
}

int ts_network_link_up(const ts_network *net, int link)
{
    if (link < 0 || (size_t)link >= net->n_links)
        return -1;
    return net->links[link].up;
}

int ts_network_set_node_up(ts_network *net, int node, int up)
{
    if (node < 0 || (size_t)node >= net->n_nodes)
        return TS_EINVAL;
    up = up != 0;
    if (net->node_down[node] == !up)
        return TS_OK;
    net->node_down[node] = (unsigned char)!up;
    /* The node's links that start or stop carrying traffic; a scan of
     * every link, as this happens once per crash, never per message. */
    size_t m = 0;
    const ts_topology *t = ts_routes_topology(net->routes);
    for (size_t l = 0; l < net->n_links; l++) {
        if (t->link_a[l] != node && t->link_b[l] != node)
            continue;
        link_state *ls = &net->links[l];
        int before = ls->live;
        ls->down_ends = (unsigned char)(ls->down_ends + (up ? -1 : 1));
        sync_live(net, l);
        if (ls->live != before)
            net->batch[m++] = (int)l;
    }
    if (m == 0)
        return TS_OK;
    size_t changed = 0, lost = 0;
    ts_error err;
    unsigned char *ups = ts_malloc(m);
    int rc = ups ? TS_OK : TS_ENOMEM;
    if (ups) {
        memset(ups, up, m);
        rc = ts_routes_set_links(net->routes, net->batch, m, ups, NULL, &changed, &err);
        ts_free(ups);
    }
    /* What was on its links is lost as on a link going down (the links'
     * down counters count it); later messages toward it find no live
     * hop and are reported TS_PKT_NO_ROUTE, or take another path. */
    if (!up)
        for (size_t i = 0; i < m; i++) {
            lost += kill_hop(net, 2 * (size_t)net->batch[i]);
            lost += kill_hop(net, 2 * (size_t)net->batch[i] + 1);
        }
    if (net->event && (changed > 0 || lost > 0)) {
        ts_platform_event ev = {.time = ts_engine_now(net->engine),
                                .kind = TS_EV_ROUTE_CHANGE, .node = node,
                                .link = net->batch[0], .component = -1,
                                .value = (double)changed};
        snprintf(ev.detail, sizeof ev.detail,
                 "routes recomputed after node %d went %s: %zu node pairs take a "
                 "new next hop; %zu messages on its %zu links lost", node,
                 up ? "up" : "down", changed, lost, m);
        net->event(net->ctx, &ev);
    }
    return rc;
}

int ts_network_node_up(const ts_network *net, int node)
{
    if (node < 0 || (size_t)node >= net->n_nodes)
        return -1;
    return !net->node_down[node];
}

int ts_network_set_loss(ts_network *net, int link, const ts_loss_desc *loss)
{
    if (link < 0 || (size_t)link >= net->n_links)
        return TS_EINVAL;
    const link_cfg *c = net->links[link].cfg;
    const ts_loss_desc *l = loss ? loss : &c->loss;
    if (!check_loss(l))
        return TS_EINVAL;
    for (size_t dir = 0; dir < 2; dir++) {
        size_t hop = 2 * (size_t)link + dir;
        hop_state *h = hop_find(net, hop);
        /* A hop without state that would be made drawing nothing needs
         * none for a loss of none: it starts that way. */
        if (!h && !c->draws && l->model == TS_LOSS_NONE)
            continue;
        if ((!h && !(h = hop_get(net, hop))) || set_hop_loss(net, h, l) != TS_OK)
            return TS_ENOMEM;
    }
    return TS_OK;
}

int ts_network_set_extra_latency(ts_network *net, int link, int64_t ns)
{
    if (link < 0 || (size_t)link >= net->n_links || ns < 0)
        return TS_EINVAL;
    for (size_t dir = 0; dir < 2; dir++) {
        size_t hop = 2 * (size_t)link + dir;
        hop_state *h = ns ? hop_get(net, hop) : hop_find(net, hop);
        if (h)
            h->extra_ns = ns;
        else if (ns)
            return TS_ENOMEM; /* remembered for ts_network_out_of_memory */
    }
    return TS_OK;
}

int ts_network_set_medium(ts_network *net, int medium, double capacity_bps,
                          int64_t latency_ns)
{
    if (medium < 0 || (size_t)medium >= net->n_media || !(capacity_bps > 0) ||
        !isfinite(capacity_bps) || latency_ns < 0)
        return TS_EINVAL;
    medium_state *m = &net->media[medium];
    if (capacity_bps != m->tx.rate_bps) {
        ts_time now = ts_engine_now(net->engine);
        double old = m->tx.rate_bps;
        drain_medium(m, now);
        m->tx.rate_bps = capacity_bps;
        retime_medium(net, m, now, old);
    }
    if (latency_ns == m->latency_ns)
        return TS_OK;
    /* Queued messages keep the delay they were given; the routes weigh
     * the new latency from now, as after a link going down or up. */
    m->latency_ns = latency_ns;
    size_t k = 0;
    /* The medium's links, from its hops (two per link, in link order). */
    for (size_t i = net->medium_first[medium]; i < net->medium_first[medium + 1]; i += 2) {
        size_t l = (size_t)net->medium_hops[i] / 2;
        net->batch[k] = (int)l;
        net->weights[k++] = add_sat(net->links[l].cfg->latency_ns, latency_ns);
    }
    size_t changed = 0;
    ts_error err;
    int rc = ts_routes_set_links(net->routes, net->batch, k, NULL, net->weights, &changed,
                                 &err);
    if (rc != TS_OK)
        return rc;
    if (changed > 0) {
        char detail[sizeof ((ts_platform_event *)0)->detail];
        snprintf(detail, sizeof detail,
                 "routes recomputed after medium %s's latency changed: %zu node "
                 "pairs take a new next hop", m->name, changed);
        emit(net, TS_EV_ROUTE_CHANGE, -1, (double)changed, detail);
    }
    return TS_OK;
}

const ts_routes *ts_network_routes(const ts_network *net) { return net->routes; }

/* ---- Counters ---- */

static void add_counts(ts_link_counters *out, const hop_state *h)
{
    out->sent_packets += h->sent_packets;
    out->sent_bytes += h->sent_bytes;
    out->sent_messages += h->sent_messages;
    const hop_losses *c = h->losses;
    if (!c)
        return;
    out->dropped_packets += c->dropped_packets;
    out->dropped_bytes += c->dropped_bytes;
    out->lost_packets += c->lost_packets;
    out->down_packets += c->down_packets;
    out->down_bytes += c->down_bytes;
    out->dropped_messages += c->dropped_messages;
    out->lost_messages += c->lost_messages;
    out->down_messages += c->down_messages;
}

void ts_network_counters(const ts_network *net, int directed_hop,
                         ts_link_counters *out)
{
    if (directed_hop < 0 || (size_t)directed_hop >= net->n_hops) {
        memset(out, 0, sizeof *out);
        return;
    }
    const hop_state *h = hop_find(net, (size_t)directed_hop);
    ts_time now = ts_engine_now(net->engine);
    memset(out, 0, sizeof *out);
    out->up = net->links[directed_hop / 2].up;
    if (!h)
        return;               /* it never carried anything */
    add_counts(out, h);
    /* The drain without moving the cursor (this is a query). */
    int64_t bytes = h->backlog_bytes, packets = h->backlog_packets;
    ts_time unsent = h->backlog_ser;
    int i = h->cursor;
    while (i >= 0 && slot_at(net, i)->tx_end <= now) {
        bytes -= slot_at(net, i)->wire;
        packets -= slot_at(net, i)->frags;
        unsent -= slot_at(net, i)->ser;
        i = slot_at(net, i)->next;
    }
    /* Only the first message not yet sent can be part-way through. */
    if (i >= 0) {
        ts_time start = slot_at(net, i)->tx_end - slot_at(net, i)->ser;
        if (start < now)
            unsent -= now - start;
    }
    out->busy_ns = h->own_scheduled - unsent;
    out->queue_bytes = bytes;
    out->queue_packets = packets;
}

int ts_network_hop_rank(const ts_network *net, int directed_hop)
{
    if (directed_hop < 0 || (size_t)directed_hop >= net->n_hops)
        return -1;
    /* hop_get numbers the states densely in the order it makes them */
    return net->links[directed_hop / 2].hop[directed_hop % 2];
}

size_t ts_network_hop_ranks(const ts_network *net)
{
    return net->n_hop_states;
}

void ts_network_medium_counters(const ts_network *net, int medium,
                                ts_link_counters *out)
{
    memset(out, 0, sizeof *out);
    if (medium < 0 || (size_t)medium >= net->n_media)
        return;
    const medium_state *m = &net->media[medium];
    /* Sums over the medium's own hops, in hop order. */
    for (size_t k = net->medium_first[medium]; k < net->medium_first[medium + 1]; k++) {
        const hop_state *h = hop_find(net, (size_t)net->medium_hops[k]);
        if (h)
            add_counts(out, h);
    }
    ts_time now = ts_engine_now(net->engine);
    out->busy_ns = m->tx.busy_scheduled - (m->tx.busy_until > now ? m->tx.busy_until - now : 0);
    int64_t bytes = m->backlog_bytes, packets = m->backlog_packets;
    for (size_t k = 0; k < m->ring_count; k++) {
        const backlog_entry *e = &m->ring[(m->ring_head + k) % m->ring_cap];
        if (e->tx_end > now)
            break;
        bytes -= e->bytes;
        packets -= e->packets;
    }
    out->queue_bytes = bytes;
    out->queue_packets = packets;
    out->up = 1;
}
