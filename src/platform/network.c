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
 * departures (messages of all its links, in transmission order). */
typedef struct backlog_entry {
    ts_time tx_end;
    int64_t bytes, packets;
    int slot;                 /* its message; still that one while tx_end > now */
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

/* A link's jitter and configured loss, kept only for links that have
 * either: most links have neither, and the two took 112 of a link's 144
 * bytes. */
typedef struct link_draws {
    ts_dist jitter;           /* prepared copy */
    ts_loss_desc loss_cfg;    /* as configured, for ts_network_set_loss(NULL) */
} link_draws;

typedef struct link_state {
    char *name;
    link_draws *draws;        /* NULL: no jitter, no configured loss */
    int64_t latency_ns;       /* as configured */
    int64_t route_latency;    /* routing weight: link + medium latency */
    int up;
} link_state;

/* A hop's running counts (ts_link_counters less what a query computes),
 * the ones every sent message updates first. */
typedef struct hop_counters {
    uint64_t sent_messages, sent_packets, sent_bytes;
    uint64_t dropped_messages, dropped_packets, dropped_bytes;
    uint64_t lost_messages, lost_packets;
    uint64_t down_messages, down_packets, down_bytes;
} hop_counters;

/* What a hop draws at random, for hops that draw anything (jitter or
 * loss): its own stream and its loss state. Most hops draw nothing, and
 * these 80 bytes were a quarter of every hop. */
typedef struct hop_draws {
    gsl_rng *rng;
    const ts_dist *jitter;    /* its link's, prepared; kind NONE: none */
    ts_loss_desc loss;
    int ge_bad;               /* Gilbert-Elliott state */
    int64_t ge_left;          /* packets left in this state; 0: draw anew */
} hop_draws;

/* Ordered by use: what every message reads and writes comes first, so a
 * message touches two or three of its cache lines, not six (at fleet
 * scale each is a miss); loss and jitter only matter on lossy links and
 * live apart (`draws`). The hop's link is hop / 2, its other end the
 * reverse hop's `to`. */
typedef struct hop_state {
    int to;
    int up;                   /* its link's, copied for the forward path */
    int head, tail, cursor;   /* slot list, and the first not yet sent */
    int reorder_allowed;
    int64_t mtu, header;
    int64_t latency_ns, extra_ns;
    medium_state *medium;     /* NULL: the private transmitter `own` */
    tx_state own;
    hop_draws *draws;         /* NULL while the hop draws nothing */
    ts_time last_arrival;     /* for the no-overtaking rule */
    int64_t backlog_bytes, backlog_packets, backlog_ser;
    ts_time own_scheduled;    /* serialisation of this hop's messages */
    int64_t queue_bytes, queue_packets;  /* limits, 0: none */
    hop_counters c;
} hop_state;

/* No jitter and no loss, for links without link_draws. */
static const ts_dist NO_JITTER = {.kind = TS_DIST_NONE};
static const ts_loss_desc NO_LOSS = {.model = TS_LOSS_NONE};

static const ts_dist *link_jitter(const link_state *ls)
{
    return ls->draws ? &ls->draws->jitter : &NO_JITTER;
}

static const ts_loss_desc *link_loss(const link_state *ls)
{
    return ls->draws ? &ls->draws->loss_cfg : &NO_LOSS;
}

typedef struct packet_slot {
    ts_packet pkt;
    uint64_t order;           /* send order, for the end-of-run flush */
    int at;                   /* node it is at, or heading to on `hop` */
    int hop;                  /* -1 when on no hop */
    int prev, next;           /* hop list; next is also the free list */
    int in_use;
    int64_t frags, wire, lost_frags;
    ts_time tx_end, ser;      /* ser: tx_end - ser is when it started */
    ts_time delay;            /* propagation on this hop, jitter included */
    ts_time arrival;          /* TS_TIME_MAX: never (no event) */
    ts_time seg_at;           /* the work below is what was left at seg_at */
    uint64_t left_nb;         /* nanobits, exact; NB_INEXACT: use left_d */
    double left_d;
    ts_event_handle ev;       /* 0: none */
} packet_slot;

struct ts_network {
    ts_engine *engine;
    size_t n_nodes;
    link_state *links;
    size_t n_links;
    hop_state *hops;
    size_t n_hops;
    medium_state *media;
    size_t n_media;
    size_t *medium_first;     /* n_media + 1 offsets into medium_hops */
    int *medium_hops;         /* each medium's hops, in hop order */
    ts_topology *own_topology; /* when the config gave none */
    ts_routes *routes;
    int *batch;               /* scratch for link batches, n_links */
    unsigned char *node_down; /* per node: 1 while crashed */
    unsigned char *down_ends; /* per link: its ends that are down (0-2) */
    int64_t *weights;
    packet_slot **slot_chunks; /* SLOT_CHUNK slots each, never moved */
    size_t n_slot_chunks, cap_slot_chunks;
    size_t n_slots;
    int free_head;
    uint64_t next_order;
    uint64_t seed;
    ts_packet_done_fn done;
    ts_platform_event_fn event;
    void *ctx;
};

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

/* Takes `elapsed` ns of sending at `bps` off the slot's work left. */
static void work_advance(packet_slot *s, ts_time elapsed, double bps)
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
 * slots of 184 bytes). Slot i is at chunk i / SLOT_CHUNK; chunks never
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
        sl->in_use = 0;
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
    slot_at(net, i)->in_use = 1;
    slot_at(net, i)->hop = -1;
    return i;
}

/* Reports the packet and frees its slot. The callback may send (and so
 * take slots): callers hold indices, not slot pointers, across it. */
static void finish(ts_network *net, int slot, int status)
{
    packet_slot *s = slot_at(net, slot);
    s->pkt.status = status;
    if (status != TS_PKT_DELIVERED)
        s->pkt.received = -1;
    ts_packet copy = s->pkt;
    s->in_use = 0;
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

/* Queues the message in `slot` on hop `hop`: decides its transmission,
 * loss and arrival now and schedules the arrival. */
static void enqueue(ts_network *net, int slot, int hop)
{
    ts_time now = ts_engine_now(net->engine);
    hop_state *h = &net->hops[hop];
    medium_state *m = h->medium;
    packet_slot *s = slot_at(net, slot);
    ts_fragments(s->pkt.bytes, h->mtu, h->header, &s->frags, &s->wire);
    drain_hop(net, h, now);
    int refused = (h->queue_bytes > 0 && h->backlog_bytes + s->wire > h->queue_bytes) ||
                  (h->queue_packets > 0 && h->backlog_packets + s->frags > h->queue_packets);
    if (!refused && m) {
        drain_medium(m, now);
        refused = (m->queue_bytes > 0 && m->backlog_bytes + s->wire > m->queue_bytes) ||
                  (m->queue_packets > 0 && m->backlog_packets + s->frags > m->queue_packets) ||
                  ring_reserve(m) != TS_OK;
    }
    tx_state *tx = m ? &m->tx : &h->own;
    ts_time arrival = 0;
    if (!refused) {
        ts_time start = tx->busy_until > now ? tx->busy_until : now;
        work_of(s->wire, &s->left_nb, &s->left_d);
        s->seg_at = start;
        s->ser = work_ns(s->left_nb, s->left_d, tx->rate_bps);
        s->tx_end = add_sat(start, s->ser);
        /* Loss first, then jitter: both from the hop's one stream, in
         * queue order, so a run is reproducible whatever else happens. */
        hop_draws *dr = h->draws;
        s->lost_frags = dr ? draw_loss(dr, s->frags) : 0;
        ts_time delay = add_sat(add_sat(h->latency_ns, h->extra_ns), m ? m->latency_ns : 0);
        if (dr && dr->jitter->kind != TS_DIST_NONE) {
            double j = ts_dist_draw(dr->jitter, dr->rng);
            delay = add_sat(delay, j < 4e18 ? (int64_t)llround(j) : (int64_t)4e18);
        }
        s->delay = delay;
        arrival = add_sat(s->tx_end, delay);
        if (!h->reorder_allowed && arrival < h->last_arrival)
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
        h->c.dropped_messages++;
        h->c.dropped_packets += (uint64_t)s->frags;
        h->c.dropped_bytes += (uint64_t)s->wire;
        finish(net, slot, TS_PKT_DROPPED_QUEUE);
        return;
    }
    s->arrival = arrival;
    if (!h->reorder_allowed)
        h->last_arrival = arrival;
    tx->busy_until = s->tx_end;
    tx->busy_scheduled = add_sat(tx->busy_scheduled, s->ser);
    h->own_scheduled = add_sat(h->own_scheduled, s->ser);
    if (m) {
        m->ring[(m->ring_head + m->ring_count) % m->ring_cap] =
            (backlog_entry){s->tx_end, s->wire, s->frags, slot};
        m->ring_count++;
        m->backlog_bytes += s->wire;
        m->backlog_packets += s->frags;
    }
    s->hop = hop;
    list_append(net, h, slot);
    h->backlog_bytes += s->wire;
    h->backlog_packets += s->frags;
    h->backlog_ser = add_sat(h->backlog_ser, s->ser);
    h->c.sent_messages++;
    h->c.sent_packets += (uint64_t)s->frags;
    h->c.sent_bytes += (uint64_t)s->wire;
}

/* A link carries traffic while it is up and neither end node is down. */
static int link_live(const ts_network *net, size_t link)
{
    return net->links[link].up && !net->down_ends[link];
}

/* The hops' copy of link_live, which the forward path reads; set wherever
 * the link's state or its ends' change. */
static void sync_hop_up(ts_network *net, size_t link)
{
    int live = link_live(net, link);
    net->hops[2 * link].up = live;
    net->hops[2 * link + 1].up = live;
}

/* Puts the packet in `slot` on the next hop toward its destination. */
static void forward(ts_network *net, int slot)
{
    packet_slot *s = slot_at(net, slot);
    if (s->at == s->pkt.dst) {
        s->pkt.received = ts_engine_now(net->engine);
        finish(net, slot, TS_PKT_DELIVERED);
        return;
    }
    int hop = ts_routes_next_hop(net->routes, s->at, s->pkt.dst);
    /* The up check covers routes that could not be rebuilt (no memory). */
    if (hop < 0 || !net->hops[hop].up) {
        finish(net, slot, TS_PKT_NO_ROUTE);
        return;
    }
    enqueue(net, slot, hop);
}

static void on_arrival(ts_engine *engine, void *ctx, uint64_t arg)
{
    ts_network *net = ctx;
    int slot = (int)arg;
    packet_slot *s = slot_at(net, slot);
    hop_state *h = &net->hops[s->hop];
    /* Arrival is at or after tx_end, so this moves the cursor past s. */
    drain_hop(net, h, ts_engine_now(engine));
    list_remove(net, h, slot);
    s->hop = -1;
    if (s->lost_frags > 0) {
        h->c.lost_messages++;
        h->c.lost_packets += (uint64_t)s->lost_frags;
        finish(net, slot, TS_PKT_LOST);
        return;
    }
    s->at = h->to;
    forward(net, slot);
}

/* ---- Construction ---- */

static gsl_rng *hop_rng(ts_network *net, size_t hop)
{
    const char *name = net->links[hop / 2].name;
    size_t len = strlen(name);
    char *buf = ts_malloc(len + 4);
    if (!buf)
        return NULL;
    memcpy(buf, name, len);
    memcpy(buf + len, hop % 2 ? "/ba" : "/ab", 4);
    gsl_rng *r = ts_rng_new(net->seed, buf);
    ts_free(buf);
    return r;
}

/* Sets the hop's loss model, with its Gilbert-Elliott state anew, and
 * gives the hop its draws (its stream) when it now draws anything (jitter
 * or loss); a hop that never drew keeps none. TS_OK or TS_ENOMEM (then the
 * hop draws as before). */
static int set_hop_loss(ts_network *net, size_t hop, const ts_loss_desc *loss)
{
    hop_state *h = &net->hops[hop];
    const ts_dist *jitter = link_jitter(&net->links[hop / 2]);
    if (!h->draws) {
        if (jitter->kind == TS_DIST_NONE && loss->model == TS_LOSS_NONE)
            return TS_OK;
        hop_draws *d = ts_calloc(1, sizeof *d);
        if (!d)
            return TS_ENOMEM;
        if (!(d->rng = hop_rng(net, hop))) {
            ts_free(d);
            return TS_ENOMEM;
        }
        d->jitter = jitter;
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
    net->links = ts_calloc(nl, sizeof *net->links);
    net->hops = ts_calloc(2 * nl, sizeof *net->hops);
    net->media = ts_calloc(cfg->n_media ? cfg->n_media : 1, sizeof *net->media);
    net->batch = ts_malloc(nl * sizeof *net->batch);
    net->weights = ts_malloc(nl * sizeof *net->weights);
    net->node_down = ts_calloc(cfg->n_nodes ? cfg->n_nodes : 1, 1);
    net->down_ends = ts_calloc(nl, 1);
    if (!net->links || !net->hops || !net->media || !net->batch ||
        !net->weights || !net->node_down || !net->down_ends || grow_slots(net) != TS_OK)
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
    for (size_t l = 0; l < cfg->n_links; l++) {
        const ts_net_link_desc *d = &cfg->links[l];
        link_state *ls = &net->links[l];
        ls->name = name_or(d->name, "link", l);
        if (!ls->name)
            goto nomem;
        if (d->jitter.kind != TS_DIST_NONE || d->loss.model != TS_LOSS_NONE) {
            if (!(ls->draws = ts_calloc(1, sizeof *ls->draws)))
                goto nomem;
            ls->draws->jitter = d->jitter;
            ls->draws->jitter.table = NULL;
            ls->draws->loss_cfg = d->loss;
            ts_error derr;
            if (ls->draws->jitter.kind != TS_DIST_NONE &&
                (rc = ts_dist_prepare(&ls->draws->jitter, &derr)) != TS_OK) {
                ts_error_set(err, rc, NULL, 0, "link %s: jitter: %s", ls->name, derr.msg);
                ts_network_free(net);
                return rc;
            }
        }
        ls->up = 1;
        medium_state *m = d->medium ? &net->media[d->medium - 1] : NULL;
        ls->latency_ns = d->latency_ns;
        ls->route_latency = add_sat(d->latency_ns, m ? m->latency_ns : 0);
        for (int dir = 0; dir < 2; dir++) {
            size_t hop = 2 * l + (size_t)dir;
            hop_state *h = &net->hops[hop];
            h->to = dir ? d->a : d->b;
            h->latency_ns = d->latency_ns;
            h->queue_bytes = d->queue_bytes;
            h->queue_packets = d->queue_packets;
            h->mtu = d->mtu_bytes;
            h->header = d->header_bytes;
            h->reorder_allowed = d->reorder_allowed;
            h->medium = m;
            h->own.rate_bps = d->bandwidth_bps;
            h->head = h->tail = h->cursor = -1;
            h->up = 1;
            if (set_hop_loss(net, hop, &d->loss) != TS_OK)
                goto nomem;
        }
    }
    /* Each medium's hops, for its counters. */
    net->medium_first = ts_calloc(cfg->n_media + 1, sizeof *net->medium_first);
    net->medium_hops = ts_malloc(2 * nl * sizeof *net->medium_hops);
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
    for (size_t l = 0; rc == TS_OK && l < cfg->n_links; l++)
        net->weights[l] = net->links[l].route_latency;
    if (rc == TS_OK)
        rc = ts_routes_new_on(topo, net->weights, &net->routes, err);
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
            if (slot_at(net, i)->in_use && slot_at(net, i)->hop >= 0 && slot_at(net, i)->ev)
                ts_engine_cancel(net->engine, slot_at(net, i)->ev);
    if (net->hops)
        for (size_t i = 0; i < net->n_hops; i++)
            if (net->hops[i].draws) {
                gsl_rng_free(net->hops[i].draws->rng);
                ts_free(net->hops[i].draws);
            }
    if (net->links)
        for (size_t l = 0; l < net->n_links; l++) {
            ts_free(net->links[l].name);
            if (net->links[l].draws) {
                ts_dist_fini(&net->links[l].draws->jitter);
                ts_free(net->links[l].draws);
            }
        }
    if (net->media)
        for (size_t i = 0; i < net->n_media; i++) {
            ts_free(net->media[i].ring);
            ts_free(net->media[i].name);
        }
    ts_routes_free(net->routes);
    ts_topology_free(net->own_topology);
    ts_free(net->links);
    ts_free(net->hops);
    ts_free(net->media);
    ts_free(net->batch);
    ts_free(net->node_down);
    ts_free(net->down_ends);
    ts_free(net->weights);
    ts_free(net->medium_first);
    ts_free(net->medium_hops);
    for (size_t i = 0; i < net->n_slot_chunks; i++)
        ts_free(net->slot_chunks[i]);
    ts_free(net->slot_chunks);
    ts_free(net);
}

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
        hop_state *h = &net->hops[s->hop];
        ts_time start = s->tx_end - s->ser;
        ts_time ser = s->ser, tx_end;
        if (k == 0 && start < now) {
            /* On the air since `start`: at a new rate, the bits left
             * (exact for whole bit/s rates) go at it from now; `ser`
             * stays the span from its start, so the counters' part-way
             * arithmetic holds. */
            if (rerate) {
                work_advance(s, now - s->seg_at, old_rate);
                s->seg_at = now;
                ts_time rest = work_ns(s->left_nb, s->left_d, m->tx.rate_bps);
                ser = add_sat(now - start, rest);
                tx_end = add_sat(now, rest);
            } else {
                tx_end = s->tx_end;
            }
        } else {
            start = t;
            work_of(s->wire, &s->left_nb, &s->left_d);
            s->seg_at = start;
            if (rerate)
                ser = work_ns(s->left_nb, s->left_d, m->tx.rate_bps);
            tx_end = add_sat(start, ser);
        }
        /* Differences of two values in [0, TS_TIME_MAX] cannot overflow. */
        h->own_scheduled = add_sat(h->own_scheduled, ser - s->ser);
        h->backlog_ser = add_sat(h->backlog_ser, ser - s->ser);
        s->ser = ser;
        s->tx_end = e->tx_end = tx_end;
        t = tx_end;
        ts_time arrival = add_sat(tx_end, s->delay);
        if (!h->reorder_allowed && s->prev >= 0 && slot_at(net, s->prev)->arrival > arrival)
            arrival = slot_at(net, s->prev)->arrival;
        if (arrival != s->arrival)
            set_arrival(net, slot, arrival);
        if (!h->reorder_allowed && slot == h->tail)
            h->last_arrival = s->arrival;
    }
    if (m->ring_count > 0)
        m->tx.busy_until = t;
    else if (m->tx.busy_until > now)
        m->tx.busy_until = now;
    m->tx.busy_scheduled =
        add_sat(sent, m->tx.busy_until > now ? m->tx.busy_until - now : 0);
}

/* Takes hop `hop`'s messages out of the medium's queue, then lets the
 * others move up. */
static void remove_from_medium(ts_network *net, medium_state *m, int hop, ts_time now)
{
    drain_medium(m, now);
    size_t kept = 0;
    for (size_t k = 0; k < m->ring_count; k++) {
        backlog_entry e = m->ring[(m->ring_head + k) % m->ring_cap];
        if (slot_at(net, e.slot)->hop == hop) {
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
    if (h->medium && !keep_medium)
        remove_from_medium(net, h->medium, (int)(h - net->hops), now);
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
    if (!h->medium && h->own.busy_until > now) {
        /* The transmitter's busy span has no gaps (as on a medium). */
        h->own.busy_scheduled -= h->own.busy_until - now;
        h->own.busy_until = now;
    }
    return first;
}

/* Reports everything on the hop as lost to the link going down and
 * returns how many messages that was. */
static size_t kill_hop(ts_network *net, size_t hop)
{
    hop_state *h = &net->hops[hop];
    size_t n = 0;
    for (int i = clear_hop(net, h, 0); i >= 0; n++) {
        packet_slot *s = slot_at(net, i);
        int next = s->next;     /* read first: finish() recycles the slot */
        h->c.down_messages++;
        h->c.down_packets += (uint64_t)s->frags;
        h->c.down_bytes += (uint64_t)s->wire;
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
    s->pkt = *packet;
    s->pkt.sent = ts_engine_now(net->engine);
    s->pkt.received = -1;
    s->at = packet->src;
    s->order = net->next_order++;
    if (packet->src < 0 || packet->dst < 0 || (size_t)packet->src >= net->n_nodes ||
        (size_t)packet->dst >= net->n_nodes) {
        finish(net, slot, TS_PKT_NO_ROUTE);
        return TS_OK;
    }
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
    for (size_t i = 0; i < net->n_hops; i++)
        clear_hop(net, &net->hops[i], 1);
    for (size_t i = 0; i < net->n_media; i++)
        empty_medium(&net->media[i], now);
    size_t n = 0;
    for (size_t i = 0; i < net->n_slots; i++)
        n += slot_at(net, i)->in_use != 0;
    if (n == 0)
        return TS_OK;
    order_entry *list = ts_malloc(n * sizeof *list);
    if (!list) {
        /* Without room to sort, report in slot order rather than lose rows,
         * and say so: the order is not the documented one. */
        for (size_t i = 0; i < net->n_slots; i++)
            if (slot_at(net, i)->in_use)
                finish(net, (int)i, TS_PKT_IN_FLIGHT);
        return TS_ENOMEM;
    }
    n = 0;
    for (size_t i = 0; i < net->n_slots; i++)
        if (slot_at(net, i)->in_use)
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
            sync_hop_up(net, (size_t)links[i]);
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
    unsigned char state = (unsigned char)(up && !net->down_ends[net->batch[0]]);
    int rc = TS_OK;
    if (m == 1) {
        rc = ts_routes_set_links(net->routes, net->batch, 1, &state, NULL, &changed, &err);
    } else {
        unsigned char *ups = ts_malloc(m);
        if (!ups)
            rc = TS_ENOMEM;
        else {
            for (size_t i = 0; i < m; i++)
                ups[i] = (unsigned char)(up && !net->down_ends[net->batch[i]]);
            rc = ts_routes_set_links(net->routes, net->batch, m, ups, NULL, &changed, &err);
            ts_free(ups);
        }
    }
    char detail[sizeof ((ts_platform_event *)0)->detail];
    for (size_t i = 0; i < m; i++) {
        int link = net->batch[i];
        link_state *ls = &net->links[link];
        if (!up) {
            /* Reported in hop order (a->b, then b->a), each in queue order. */
            size_t lost = kill_hop(net, 2 * (size_t)link);
            lost += kill_hop(net, 2 * (size_t)link + 1);
            snprintf(detail, sizeof detail, "link %s down: %zu messages on it lost",
                     ls->name, lost);
            emit(net, TS_EV_LINK_DOWN, link, (double)lost, detail);
        } else {
            snprintf(detail, sizeof detail, "link %s up", ls->name);
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
                     "take a new next hop", net->links[link].name, up ? "up" : "down",
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
    for (size_t l = 0; l < net->n_links; l++) {
        /* hop 2l runs from the link's a end to its b end, hop 2l + 1 back */
        if (net->hops[2 * l + 1].to != node && net->hops[2 * l].to != node)
            continue;
        int before = link_live(net, l);
        net->down_ends[l] = (unsigned char)(net->down_ends[l] + (up ? -1 : 1));
        sync_hop_up(net, l);
        if (link_live(net, l) != before)
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
    const ts_loss_desc *l = loss ? loss : link_loss(&net->links[link]);
    if (!check_loss(l))
        return TS_EINVAL;
    for (size_t dir = 0; dir < 2; dir++)
        if (set_hop_loss(net, 2 * (size_t)link + dir, l) != TS_OK)
            return TS_ENOMEM;
    return TS_OK;
}

int ts_network_set_extra_latency(ts_network *net, int link, int64_t ns)
{
    if (link < 0 || (size_t)link >= net->n_links || ns < 0)
        return TS_EINVAL;
    net->hops[2 * (size_t)link].extra_ns = ns;
    net->hops[2 * (size_t)link + 1].extra_ns = ns;
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
        net->links[l].route_latency = add_sat(net->links[l].latency_ns, latency_ns);
        net->batch[k] = (int)l;
        net->weights[k++] = net->links[l].route_latency;
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

static void add_counts(ts_link_counters *out, const hop_counters *c)
{
    out->sent_packets += c->sent_packets;
    out->dropped_packets += c->dropped_packets;
    out->sent_bytes += c->sent_bytes;
    out->dropped_bytes += c->dropped_bytes;
    out->lost_packets += c->lost_packets;
    out->down_packets += c->down_packets;
    out->down_bytes += c->down_bytes;
    out->sent_messages += c->sent_messages;
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
    const hop_state *h = &net->hops[directed_hop];
    ts_time now = ts_engine_now(net->engine);
    memset(out, 0, sizeof *out);
    add_counts(out, &h->c);
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
    out->up = net->links[directed_hop / 2].up;
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
        const hop_state *h = &net->hops[net->medium_hops[k]];
        add_counts(out, &h->c);
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
