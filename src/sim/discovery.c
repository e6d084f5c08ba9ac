/*
 * DDS discovery over the simulated network: the Simple Participant and
 * Endpoint Discovery Protocols (DDSI-RTPS 2.x, 8.5) as Fast DDS runs them
 * by default (fast-dds.docs.eprosima.com, "SIMPLE Discovery Settings").
 *
 * Participants. One per node hosting a component (assumption: a node's
 * components form one process, whose context is one participant as ROS 2
 * has had since Foxy). Participant k, in node order, joins at start + k *
 * join-interval.
 *
 * SPDP. From its join a participant announces itself initial-announcements
 * times every initial-period, then every period. Fast DDS sends the
 * periodic announcement to every discovered participant's unicast locator
 * as well as to the multicast group (DiscoverySettings,
 * leaseDuration_announcementperiod); the network model has no multicast, so
 * every announcement is one unicast copy to each participant that has
 * joined (assumption: a copy per receiver, the airtime of a multicast
 * frame to absent listeners not counted). Announcements are best effort:
 * a lost one waits for the next.
 *
 * SEDP. A participant that hears of a new peer sends it its endpoints
 * (one message: a header and a part per writer and reader), then a
 * preemptive ACKNACK asking for the peer's (Fast DDS's matched writer
 * proxy sends an initial ACKNACK: fastrtps rtps/reader/timedevent/
 * InitialAckNack; assumption: at once, without its delay). A receiver
 * accepts either only once it has itself heard the sender's announcement
 * (an unknown participant's builtin endpoints are not matched, so their
 * messages are dropped); it acknowledges endpoints it accepts, and answers
 * the ACKNACK by re-sending its own endpoints if they are not yet
 * acknowledged, which settles the race of endpoints arriving before the
 * announcement that makes them welcome. Until acknowledged the sender
 * re-sends them with each periodic announcement to that peer: the builtin
 * writer is
 * reliable and re-sends on its heartbeat, whose Fast DDS default
 * (WriterTimes::heartbeat_period, 3 s) equals the announcement period
 * (assumption: the two timers in phase).
 *
 * Matching. Endpoints on one participant match at its join, locally. A
 * writer on participant A and a reader on B match when A has accepted B's
 * endpoints (the writer knows the reader) and B has accepted A's (the
 * reader knows the writer): the later of the two. A pair whose QoS is
 * incompatible never matches; the DDS layer records it when discovered.
 *
 * Not modelled: leases expiring (participants never leave: the lease is
 * only announced), a reply announcement to a newly discovered peer,
 * fragmentation of large endpoint messages beyond what the network does.
 *
 * Cost. Per received message O(1) work plus the pairs between the two
 * participants (found by binary search in the receiver's list, sorted by
 * peer); an announcement costs one send per participant, which is the
 * protocol's own message count, spread over events of at most
 * ANNOUNCE_BATCH receivers each. Knowledge is one byte per ordered
 * participant pair, made at load time.
 */
#include "sim/discovery.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toposim/alloc.h"
#include "toposim/deploy_qos.h"

/* Message kinds, carried in the packet's seq. */
enum { MSG_SPDP = 1, MSG_SEDP = 2, MSG_ACK = 3, MSG_NACK = 4 };

/* Bits of know[receiver * n + sender]. */
enum {
    KNOWS = 1,      /* receiver heard sender's announcement */
    HAS_EDP = 2,    /* receiver accepted sender's endpoints */
    ACKED = 4       /* receiver's endpoints acknowledged by sender */
};

/* Above this many participants the knowledge matrix (n^2 bytes) would
 * pass 256 MiB: refused at the start, naming the limit. */
#define MAX_PARTICIPANTS 16384

typedef struct participant {
    int node;
    int announced;          /* announcements sent so far */
    int64_t join;
    int64_t sedp_bytes;     /* its endpoint message */
} participant;

typedef struct pair {
    int32_t writer_p, reader_p;
    int32_t topic, slot;
    int64_t writer_side, reader_side; /* when each side learnt the other; -1 */
    int64_t matched_at;     /* -1 while unmatched */
    uint64_t unmatched;     /* samples published before the match */
    int compatible;         /* 0: QoS incompatible, never matches */
} pair;

/* A pair seen from one of its participants (a pair within one
 * participant is listed once, with itself as the peer). */
typedef struct remote {
    int32_t peer, pair;
} remote;

struct ts__discovery {
    ts__shared sh;
    ts_network *net;
    ts__discovery_hooks hooks;
    const ts_scenario_discovery *cfg;
    participant *parts;
    size_t n;
    int32_t *part_of_node;  /* -1: no participant */
    uint8_t *know;          /* n * n */
    pair *pairs;
    size_t n_pairs;
    size_t *first;          /* per topic: its first pair */
    uint32_t *remote_first; /* per participant (CSR over remotes) */
    remote *remotes;
    int failed;
};

static void post(ts__discovery *d, ts_event_kind kind, int node, int component, double value,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void post(ts__discovery *d, ts_event_kind kind, int node, int component, double value,
                 const char *fmt, ...)
{
    ts_platform_event ev;
    memset(&ev, 0, sizeof ev);
    ev.time = ts_engine_now(d->sh.engine);
    ev.kind = kind;
    ev.node = node;
    ev.link = -1;
    ev.component = component;
    ev.value = value;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev.detail, sizeof ev.detail, fmt, ap);
    va_end(ap);
    ts__bus_post(d->sh.bus, &ev);
}

static void fail(ts__discovery *d, int code, const char *what)
{
    if (d->failed)
        return;
    d->failed = 1;
    ts_error e;
    ts_error_set(&e, code, NULL, 0, "%s", what);
    ts__bus_fail(d->sh.bus, &e);
}

static void send(ts__discovery *d, int kind, size_t from, size_t to, int64_t bytes)
{
    ts_packet p = {
        .topic = TS__DISCOVERY_TOPIC,
        .publisher = (int32_t)from,
        .subscriber = (int32_t)to,
        .seq = (uint64_t)kind,
        .src = d->parts[from].node,
        .dst = d->parts[to].node,
        .bytes = bytes,
    };
    if (ts_network_send(d->net, &p) != TS_OK)
        fail(d, TS_ENOMEM, "no memory for discovery packets");
}

static const char *component_id(const ts__discovery *d, int c)
{
    return d->sh.s->components[c].id;
}

/* The pair matched now: the DDS layer connects it, the trace records it
 * and what the reader missed. */
static void match(ts__discovery *d, pair *x)
{
    int64_t now = ts_engine_now(d->sh.engine);
    x->matched_at = now;
    const ts_scenario *s = d->sh.s;
    const ts_scenario_topic *tp = &s->topics[x->topic];
    int reader = tp->subscribers[x->slot];
    uint64_t replayed = d->hooks.matched ? d->hooks.matched(d->hooks.ctx, x->topic, x->slot) : 0;
    int64_t joined = d->parts[x->writer_p].join > d->parts[x->reader_p].join
                         ? d->parts[x->writer_p].join
                         : d->parts[x->reader_p].join;
    int64_t delay = now - joined;
    int rnode = d->sh.plan->node_of[reader];
    post(d, TS_EV_DDS_MATCH, rnode, reader, (double)delay,
         "topic %s: writer %s matched reader %s %.3f ms after both joined", tp->id,
         component_id(d, tp->publisher), component_id(d, reader), (double)delay / 1e6);
    uint64_t missed = x->unmatched > replayed ? x->unmatched - replayed : 0;
    if (missed)
        post(d, TS_EV_DDS_UNMATCHED_SAMPLES, rnode, reader, (double)missed,
             "topic %s: %llu sample(s) of writer %s published before the match, not delivered "
             "to reader %s", tp->id, (unsigned long long)missed,
             component_id(d, tp->publisher), component_id(d, reader));
}

static void side_learnt(ts__discovery *d, pair *x, int writer_side)
{
    int64_t now = ts_engine_now(d->sh.engine);
    if (writer_side && x->writer_side < 0)
        x->writer_side = now;
    else if (!writer_side && x->reader_side < 0)
        x->reader_side = now;
    if (x->compatible && x->matched_at < 0 && x->writer_side >= 0 && x->reader_side >= 0)
        match(d, x);
    else if (!x->compatible && x->writer_side >= 0 && x->reader_side >= 0 && d->hooks.matched &&
             x->matched_at < 0) {
        /* Discovered but incompatible: the DDS layer records it once. */
        x->matched_at = -2;
        d->hooks.matched(d->hooks.ctx, x->topic, x->slot);
    }
}

/* The first of b's remotes whose peer is a (or past them). */
static uint32_t first_with_peer(const ts__discovery *d, size_t b, size_t a)
{
    uint32_t lo = d->remote_first[b], hi = d->remote_first[b + 1];
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (d->remotes[mid].peer < (int32_t)a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Receiver b accepted sender a's endpoints: each pair between them learns
 * its side on b. */
static void endpoints_accepted(ts__discovery *d, size_t b, size_t a)
{
    for (uint32_t i = first_with_peer(d, b, a); i < d->remote_first[b + 1] && d->remotes[i].peer == (int32_t)a; i++) {
        pair *x = &d->pairs[d->remotes[i].pair];
        side_learnt(d, x, x->writer_p == (int32_t)b);
    }
}

/* An announcement goes to at most this many receivers per engine event;
 * the rest follow in events at the same instant, so no event's work grows
 * with the number of participants. */
#define ANNOUNCE_BATCH 64

/* arg: the participant (low 32 bits) and the first receiver of this batch
 * (high 32 bits; 0 for a new announcement). */
static void on_announce(ts_engine *engine, void *ctx, uint64_t arg)
{
    ts__discovery *d = ctx;
    size_t p = (size_t)(arg & 0xffffffffu), from = (size_t)(arg >> 32);
    participant *me = &d->parts[p];
    int64_t now = ts_engine_now(engine);
    int periodic = me->announced >= d->cfg->initial_announcements;
    size_t to = from + ANNOUNCE_BATCH < d->n ? from + ANNOUNCE_BATCH : d->n;
    /* Receivers in participant order (fixes queue order on shared links). */
    for (size_t q = from; q < to && !d->failed; q++) {
        if (q == p || d->parts[q].join > now)
            continue;
        send(d, MSG_SPDP, p, q, d->cfg->spdp_bytes);
        uint8_t k = d->know[p * d->n + q];
        if (periodic && (k & KNOWS) && !(k & ACKED))
            send(d, MSG_SEDP, p, q, me->sedp_bytes);
    }
    if (d->failed)
        return;
    if (to < d->n) {
        if (ts_engine_schedule(engine, now, on_announce, d, (uint64_t)to << 32 | p, NULL) != TS_OK)
            fail(d, TS_ENOMEM, "no memory for discovery announcements");
        return;
    }
    me->announced++;
    int64_t next = now + (me->announced < d->cfg->initial_announcements ? d->cfg->initial_period_ns
                                                                          : d->cfg->period_ns);
    if (ts_engine_schedule(engine, next, on_announce, d, p, NULL) != TS_OK)
        fail(d, TS_ENOMEM, "no memory for discovery announcements");
}

/* A participant joins: its own endpoints match each other at once (a
 * participant matches its local endpoints without the network), then it
 * announces itself. */
static void on_join(ts_engine *engine, void *ctx, uint64_t arg)
{
    ts__discovery *d = ctx;
    size_t p = (size_t)arg;
    for (uint32_t i = first_with_peer(d, p, p);
         i < d->remote_first[p + 1] && d->remotes[i].peer == (int32_t)p; i++) {
        pair *x = &d->pairs[d->remotes[i].pair];
        x->writer_side = ts_engine_now(engine);
        side_learnt(d, x, 0);
    }
    on_announce(engine, ctx, arg);
}

void ts__discovery_packet(ts__discovery *d, const ts_packet *p)
{
    if (!d || p->status != TS_PKT_DELIVERED)
        return; /* lost, dropped or still in flight at the end */
    size_t a = (size_t)p->publisher, b = (size_t)p->subscriber;
    uint8_t *k = &d->know[b * d->n + a];
    switch ((int)p->seq) {
    case MSG_SPDP:
        if (!(*k & KNOWS)) {
            *k |= KNOWS;
            send(d, MSG_SEDP, b, a, d->parts[b].sedp_bytes);
            send(d, MSG_NACK, b, a, d->cfg->ack_bytes);
        }
        break;
    case MSG_NACK:
        /* a asks for b's endpoints: b re-sends them unless a has them. */
        if ((*k & KNOWS) && !(*k & ACKED))
            send(d, MSG_SEDP, b, a, d->parts[b].sedp_bytes);
        break;
    case MSG_SEDP:
        if (!(*k & KNOWS))
            break; /* from a participant b has not heard of: dropped */
        if (!(*k & HAS_EDP)) {
            *k |= HAS_EDP;
            endpoints_accepted(d, b, a);
        }
        send(d, MSG_ACK, b, a, d->cfg->ack_bytes);
        break;
    default: /* MSG_ACK: b's endpoints reached a */
        *k |= ACKED;
        break;
    }
}

int ts__discovery_deliverable(ts__discovery *d, int topic, int k)
{
    if (!d)
        return 1;
    pair *x = &d->pairs[d->first[topic] + (size_t)k];
    if (x->matched_at >= 0)
        return 1;
    if (x->compatible)
        x->unmatched++;
    return 0;
}

int ts__discovery_matched(const ts__discovery *d, int topic, int k)
{
    return !d || d->pairs[d->first[topic] + (size_t)k].matched_at >= 0;
}

void ts__discovery_connect(ts__discovery *d, const ts__discovery_hooks *hooks)
{
    if (d)
        d->hooks = *hooks;
}

static int by_peer(const void *l, const void *r)
{
    const remote *a = l, *b = r;
    if (a->peer != b->peer)
        return a->peer < b->peer ? -1 : 1;
    return a->pair < b->pair ? -1 : a->pair > b->pair;
}

static int build_participants(ts__discovery *d, ts_error *err)
{
    const ts_scenario *s = d->sh.s;
    d->part_of_node = ts_malloc((s->n_nodes ? s->n_nodes : 1) * sizeof *d->part_of_node);
    if (!d->part_of_node)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for discovery");
    for (size_t n = 0; n < s->n_nodes; n++) {
        int hosts = d->sh.node_first[n + 1] > d->sh.node_first[n];
        d->part_of_node[n] = hosts ? (int32_t)d->n++ : -1;
    }
    if (d->n > MAX_PARTICIPANTS)
        return ts_error_set(err, TS_ERANGE, s->path, s->discovery.line,
                            "discovery: %zu participants (nodes with components), more than "
                            "the %d the model holds (it keeps a byte per pair)",
                            d->n, MAX_PARTICIPANTS);
    d->parts = ts_calloc(d->n ? d->n : 1, sizeof *d->parts);
    d->know = ts_calloc(d->n ? d->n * d->n : 1, 1);
    if (!d->parts || !d->know)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for discovery");
    size_t k = 0;
    for (size_t n = 0; n < s->n_nodes; n++) {
        if (d->part_of_node[n] < 0)
            continue;
        participant *p = &d->parts[k];
        p->node = (int)n;
        /* Past the longest time a scenario may name, it never joins. */
        int64_t step = s->discovery.join_interval_ns, start = s->discovery.start_ns;
        p->join = step > 0 && (int64_t)k > (TS_SIM_TIME_LIMIT - start) / step
                      ? TS_TIME_MAX
                      : start + (int64_t)k * step;
        p->sedp_bytes = s->discovery.sedp_header_bytes;
        k++;
    }
    return TS_OK;
}

static int build_pairs(ts__discovery *d, ts_error *err)
{
    const ts_scenario *s = d->sh.s;
    const int *node_of = d->sh.plan->node_of;
    d->first = ts_calloc(s->n_topics ? s->n_topics : 1, sizeof *d->first);
    if (!d->first)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for discovery");
    for (size_t t = 0; t < s->n_topics; t++) {
        d->first[t] = d->n_pairs;
        d->n_pairs += s->topics[t].n_subscribers;
    }
    d->pairs = ts_calloc(d->n_pairs ? d->n_pairs : 1, sizeof *d->pairs);
    d->remote_first = ts_calloc(d->n + 1, sizeof *d->remote_first);
    if (!d->pairs || !d->remote_first)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for discovery");
    size_t n_remote = 0;
    for (size_t t = 0; t < s->n_topics; t++) {
        const ts_scenario_topic *tp = &s->topics[t];
        int32_t wp = d->part_of_node[node_of[tp->publisher]];
        d->parts[wp].sedp_bytes += s->discovery.sedp_endpoint_bytes;
        int compatible = !tp->has_qos || ts_qos_compatible(tp->writer_qos, tp->reader_qos, NULL);
        for (size_t k = 0; k < tp->n_subscribers; k++) {
            pair *x = &d->pairs[d->first[t] + k];
            x->topic = (int32_t)t;
            x->slot = (int32_t)k;
            x->writer_p = wp;
            x->reader_p = d->part_of_node[node_of[tp->subscribers[k]]];
            x->writer_side = x->reader_side = x->matched_at = -1;
            x->compatible = compatible;
            d->parts[x->reader_p].sedp_bytes += s->discovery.sedp_endpoint_bytes;
            d->remote_first[x->writer_p + 1]++;
            n_remote++;
            if (x->writer_p != x->reader_p) {
                d->remote_first[x->reader_p + 1]++;
                n_remote++;
            }
        }
    }
    for (size_t p = 0; p < d->n; p++)
        d->remote_first[p + 1] += d->remote_first[p];
    d->remotes = ts_malloc((n_remote ? n_remote : 1) * sizeof *d->remotes);
    uint32_t *fill = ts_calloc(d->n ? d->n : 1, sizeof *fill);
    if (!d->remotes || !fill) {
        ts_free(fill);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for discovery");
    }
    for (size_t i = 0; i < d->n_pairs; i++) {
        const pair *x = &d->pairs[i];
        d->remotes[d->remote_first[x->writer_p] + fill[x->writer_p]++] =
            (remote){x->reader_p, (int32_t)i};
        if (x->writer_p != x->reader_p)
            d->remotes[d->remote_first[x->reader_p] + fill[x->reader_p]++] =
                (remote){x->writer_p, (int32_t)i};
    }
    ts_free(fill);
    for (size_t p = 0; p < d->n; p++)
        qsort(d->remotes + d->remote_first[p], d->remote_first[p + 1] - d->remote_first[p],
              sizeof *d->remotes, by_peer);
    return TS_OK;
}

int ts__discovery_start(const ts__shared *sh, ts_network *net, ts__discovery **out,
                        ts_error *err)
{
    *out = NULL;
    if (!sh->s->discovery.enabled)
        return TS_OK;
    ts__discovery *d = ts_calloc(1, sizeof *d);
    *out = d;
    if (!d)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for discovery");
    d->sh = *sh;
    d->net = net;
    d->cfg = &sh->s->discovery;
    int rc = build_participants(d, err);
    if (rc == TS_OK)
        rc = build_pairs(d, err);
    if (rc != TS_OK)
        return rc;
    size_t to_match = 0;
    for (size_t i = 0; i < d->n_pairs; i++)
        to_match += d->pairs[i].compatible != 0;
    post(d, TS_EV_DDS_DISCOVERY, -1, -1, (double)to_match,
         "%zu participants, %zu writer-reader pairs to match; announcements %d x %.0f ms then "
         "every %.3f s, lease %.3f s", d->n, to_match, d->cfg->initial_announcements,
         (double)d->cfg->initial_period_ns / 1e6, (double)d->cfg->period_ns / 1e9,
         (double)d->cfg->lease_ns / 1e9);
    for (size_t p = 0; p < d->n; p++)
        if (d->parts[p].join != TS_TIME_MAX &&
            ts_engine_schedule(sh->engine, d->parts[p].join, on_join, d, p, NULL) != TS_OK)
            return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for discovery");
    return TS_OK;
}

void ts__discovery_finish(ts__discovery *d)
{
    if (!d)
        return;
    const ts_scenario *s = d->sh.s;
    for (size_t i = 0; i < d->n_pairs; i++) {
        const pair *x = &d->pairs[i];
        if (!x->compatible || x->matched_at >= 0)
            continue;
        const ts_scenario_topic *tp = &s->topics[x->topic];
        int reader = tp->subscribers[x->slot];
        int rnode = d->sh.plan->node_of[reader];
        const char *why = x->writer_side < 0 && x->reader_side < 0 ? "neither side"
                          : x->writer_side < 0                     ? "the writer's side"
                                                                   : "the reader's side";
        post(d, TS_EV_DDS_NO_MATCH, rnode, reader, (double)x->unmatched,
             "topic %s: writer %s never matched reader %s (%s had not discovered the other)",
             tp->id, component_id(d, tp->publisher), component_id(d, reader), why);
        if (x->unmatched)
            post(d, TS_EV_DDS_UNMATCHED_SAMPLES, rnode, reader, (double)x->unmatched,
                 "topic %s: %llu sample(s) of writer %s published, none matched to reader %s",
                 tp->id, (unsigned long long)x->unmatched, component_id(d, tp->publisher),
                 component_id(d, reader));
    }
}

void ts__discovery_free(ts__discovery *d)
{
    if (!d)
        return;
    ts_free(d->part_of_node);
    ts_free(d->parts);
    ts_free(d->know);
    ts_free(d->pairs);
    ts_free(d->first);
    ts_free(d->remote_first);
    ts_free(d->remotes);
    ts_free(d);
}
