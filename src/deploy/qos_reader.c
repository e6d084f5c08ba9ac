/*
 * The QoS reader: a topic's subscribing side on one component endpoint.
 * Per matched writer it keeps the next seq it owes the application and,
 * for a reliable pair, a reorder window (a ring of slots indexed by
 * seq % window, sized at match time) from which samples are handed over
 * strictly in order. It answers heartbeats with ACKNACKs, NACKs a gap as
 * soon as one opens, gives up samples the writer no longer has
 * ("samples_lost") or that expired ("sample_expired"), watches each
 * writer's liveliness lease and its own requested deadline.
 *
 * Window: a KEEP_LAST reader holds its depth; when a sample arrives
 * `depth` or more past the oldest one still owed, it gives up the oldest
 * missing ones (keeping the last depth, as KEEP_LAST means). A KEEP_ALL
 * reader holds max_samples (or, unlimited, the writer's history bound or
 * TS_QOS_WINDOW_UNBOUNDED) and refuses a sample beyond it, unacknowledged,
 * so the writer re-sends it later.
 *
 * Best effort: DDS never presents a best-effort reader's samples out of
 * order (RTPS 2.x, BestEffortReader: a change is kept only when its seq is
 * above the last one received), so a sample older than the last delivered
 * is dropped ("dropped_late" in the stats) and a jump forward counts the
 * skipped seqs as lost.
 */
#include "toposim/deploy.h"

#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"
#include "toposim/error.h"

typedef struct slot {
    uint64_t seq;
    int64_t stamp, arrival, bytes;
    int have;
} slot;

/* A matched writer as the reader sees it. */
typedef struct wproxy {
    int endpoint;
    int reliable;           /* both sides RELIABLE */
    ts_qos offered;
    uint64_t next;          /* next seq owed to the application */
    uint64_t highest;       /* largest seq known to exist */
    slot *ring;             /* reliable only */
    size_t window;
    int alive;
    int64_t last_assert, lost_at;
    ts_rt_timer lv_timer;
} wproxy;

struct ts_qos_reader {
    const ts_runtime *rt;
    int topic, endpoint;
    char name[48];
    ts_qos qos;
    ts_qos_deliver_fn fn;
    void *ctx;
    wproxy *wp;             /* in match order (stable indices: timer args) */
    uint32_t *order;        /* wp indices sorted by endpoint */
    size_t n_wp, cap_wp;
    ts_rt_timer dl_timer;
    int64_t dl_anchor;
    int dl_started;
    ts_qos_reader_stats st;
};

/* Timer args: 0 is the deadline, 1 + i writer proxy i's lease. */
#define T_DEADLINE 0u

static void on_timer(void *ctx, uint64_t arg);

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static int64_t payload_of(const ts_rt_message *m)
{
    return m->wire_bytes > TS_QOS_DATA_OVERHEAD_BYTES ? m->wire_bytes - TS_QOS_DATA_OVERHEAD_BYTES
                                                      : 0;
}

static void arm(ts_qos_reader *r, ts_rt_timer *t, int64_t delay, uint64_t arg)
{
    if (delay < 0)
        delay = 0;
    if (ts_rt_timer_start(r->rt, delay, on_timer, r, arg, t) != TS_OK)
        *t = 0;
}

static void note_count(ts_qos_reader *r, const wproxy *p, const char *kind, uint64_t n,
                       uint64_t lo, uint64_t hi)
{
    char detail[160];
    snprintf(detail, sizeof detail, "%s: %llu samples from writer %d %s (seq %llu..%llu)",
             r->name, (unsigned long long)n, p->endpoint,
             strcmp(kind, "samples_lost") == 0 ? "lost" : "expired", (unsigned long long)lo,
             (unsigned long long)hi);
    ts_rt_note(r->rt, kind, r->endpoint, -1, (double)n, detail);
}

/* Hands one sample to the application unless its lifespan has passed. */
static void deliver(ts_qos_reader *r, wproxy *p, const slot *c)
{
    int64_t now = ts_rt_now(r->rt);
    if (p->offered.lifespan_ns > 0 && now - c->stamp > p->offered.lifespan_ns) {
        r->st.expired++;
        note_count(r, p, "sample_expired", 1, c->seq, c->seq);
        return;
    }
    r->st.delivered++;
    r->dl_anchor = now;
    if (r->fn) {
        ts_qos_sample s = {r->topic, p->endpoint, r->endpoint, c->seq,
                           c->stamp, c->arrival, now,     c->bytes};
        r->fn(r->ctx, &s);
    }
}

static slot *slot_of(wproxy *p, uint64_t seq)
{
    return &p->ring[seq % p->window];
}

static int holds(wproxy *p, uint64_t seq)
{
    slot *s = slot_of(p, seq);
    return s->have && s->seq == seq;
}

/* Delivers every buffered sample from next on, in order. */
static void drain(ts_qos_reader *r, wproxy *p)
{
    while (holds(p, p->next)) {
        slot s = *slot_of(p, p->next);
        slot_of(p, p->next)->have = 0;
        p->next++;
        deliver(r, p, &s);
    }
}

/* Stops waiting for every seq below target: buffered ones are delivered in
 * order, missing ones below live_from count as expired, the rest as lost. */
static void give_up(ts_qos_reader *r, wproxy *p, uint64_t target, uint64_t live_from)
{
    if (target <= p->next)
        return;
    uint64_t lo = p->next, lost = 0, exp = 0;
    uint64_t scan_end = target - lo > p->window ? lo + p->window : target;
    for (uint64_t s = lo; s < scan_end; s++) {
        if (holds(p, s))
            continue;
        if (s < live_from)
            exp++;
        else
            lost++;
    }
    uint64_t rest = target - scan_end;
    uint64_t rest_exp = live_from > scan_end ? (live_from < target ? live_from : target) - scan_end
                                             : 0;
    exp += rest_exp;
    lost += rest - rest_exp;
    if (lost) {
        r->st.lost += lost;
        note_count(r, p, "samples_lost", lost, lo, target - 1);
    }
    if (exp) {
        r->st.expired += exp;
        note_count(r, p, "sample_expired", exp, lo, target - 1);
    }
    for (uint64_t s = lo; s < scan_end; s++)
        if (holds(p, s)) {
            slot c = *slot_of(p, s);
            slot_of(p, s)->have = 0;
            p->next = s + 1;
            deliver(r, p, &c);
        }
    p->next = target;
    drain(r, p);
}

static void send_acknack(ts_qos_reader *r, wproxy *p)
{
    uint64_t words[TS_QOS_NACK_BITS / 64] = {0};
    uint32_t n = 0, limit = p->window < TS_QOS_NACK_BITS ? (uint32_t)p->window : TS_QOS_NACK_BITS;
    for (; n < limit && p->next + n <= p->highest; n++)
        if (!holds(p, p->next + n))
            words[n / 64] |= (uint64_t)1 << (n % 64);
    ts_rt_message m = {0};
    m.from = r->endpoint;
    m.to = p->endpoint;
    m.port = TS_PORT_TOPIC;
    m.kind = TS_QOS_MSG_ACKNACK;
    m.channel = r->topic;
    m.seq = p->next;
    m.stamp = ts_rt_now(r->rt);
    m.wire_bytes = TS_QOS_ACKNACK_BYTES;
    memcpy(m.body, words, sizeof words);
    memcpy(m.body + sizeof words, &n, sizeof n);
    m.body_len = sizeof words + sizeof n;
    ts_rt_send(r->rt, &m);
    r->st.acknacks++;
}

/* The writer showed it is alive. */
static void assert_live(ts_qos_reader *r, wproxy *p, int64_t now)
{
    if (p->offered.lease_ns <= 0)
        return;
    p->last_assert = now;
    if (p->alive)
        return;
    p->alive = 1;
    char detail[160];
    snprintf(detail, sizeof detail, "%s: writer %d alive again after %lld ns", r->name,
             p->endpoint, (long long)(now - p->lost_at));
    ts_rt_note(r->rt, "liveliness_regained", r->endpoint, -1, (double)(now - p->lost_at),
               detail);
    if (!p->lv_timer)
        arm(r, &p->lv_timer, p->offered.lease_ns, 1 + (uint64_t)(p - r->wp));
}

static void on_data_best_effort(ts_qos_reader *r, wproxy *p, const ts_rt_message *m,
                                int64_t now)
{
    uint64_t s = m->seq;
    if (s < p->next) {
        r->st.dropped_late++;
        return;
    }
    if (s > p->next) {
        r->st.lost += s - p->next;
        note_count(r, p, "samples_lost", s - p->next, p->next, s - 1);
    }
    p->next = s + 1;
    slot c = {s, m->stamp, now, payload_of(m), 1};
    deliver(r, p, &c);
}

static void on_data_reliable(ts_qos_reader *r, wproxy *p, const ts_rt_message *m, int64_t now)
{
    uint64_t s = m->seq;
    if (s < p->next) {
        r->st.duplicates++;
        return;
    }
    if (s - p->next >= p->window) {
        if (r->qos.history == TS_QOS_KEEP_LAST) {
            give_up(r, p, s - p->window + 1, 0);
        } else {
            if (s > p->highest)
                p->highest = s;
            return; /* full: not accepted, so not acknowledged either */
        }
    }
    if (holds(p, s)) {
        r->st.duplicates++;
        return;
    }
    *slot_of(p, s) = (slot){s, m->stamp, now, payload_of(m), 1};
    uint64_t prev = p->highest;
    if (s > p->highest)
        p->highest = s;
    if (s == p->next)
        drain(r, p);
    else if (s > prev + 1)
        send_acknack(r, p); /* a new gap: NACK it now rather than at the heartbeat */
}

static void on_heartbeat(ts_qos_reader *r, wproxy *p, const ts_rt_message *m)
{
    if (m->body_len < 24)
        return;
    uint64_t first = get_u64(m->body), live_from = get_u64(m->body + 8),
             last = get_u64(m->body + 16);
    uint64_t avail = first > live_from ? first : live_from;
    if (avail > p->next)
        give_up(r, p, avail, live_from);
    if (last > p->highest)
        p->highest = last;
    send_acknack(r, p);
}

static wproxy *lookup(ts_qos_reader *r, int endpoint)
{
    size_t lo = 0, hi = r->n_wp;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        wproxy *p = &r->wp[r->order[mid]];
        if (p->endpoint == endpoint)
            return p;
        if (p->endpoint < endpoint)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

void ts__qos_reader_receive(ts_qos_reader *r, const ts_rt_message *m)
{
    wproxy *p = lookup(r, m->from);
    if (!p)
        return;
    int64_t now = ts_rt_now(r->rt);
    switch (m->kind) {
    case TS_QOS_MSG_DATA:
        r->st.received++;
        assert_live(r, p, now);
        if (p->reliable)
            on_data_reliable(r, p, m, now);
        else
            on_data_best_effort(r, p, m, now);
        break;
    case TS_QOS_MSG_HEARTBEAT:
        /* Any traffic shows the writer's process alive; only a write or an
         * explicit assertion counts for MANUAL_BY_TOPIC. */
        if (p->offered.liveliness == TS_QOS_AUTOMATIC)
            assert_live(r, p, now);
        if (p->reliable)
            on_heartbeat(r, p, m);
        break;
    case TS_QOS_MSG_LIVELINESS:
        assert_live(r, p, now);
        break;
    default:
        break;
    }
}

/* DDS DEADLINE (DDS 1.4, 2.2.3.7): a new sample "at least once every
 * deadline period", so a gap of exactly the period meets it. A miss is
 * thus known only 1 ns after anchor + d, whatever order events at the
 * same instant run in; a 100 Hz topic with a 10 ms deadline, whose
 * samples come exactly 10 ms apart, misses nothing. After a miss the
 * next period starts where the missed one ended, 1 ns before the check. */
static void deadline_tick(ts_qos_reader *r, int64_t now)
{
    int64_t d = r->qos.deadline_ns;
    if (now - r->dl_anchor <= d) {
        arm(r, &r->dl_timer, r->dl_anchor + d + 1 - now, T_DEADLINE);
        return;
    }
    r->st.deadline_missed++;
    r->dl_anchor = now - 1;  /* where the missed period ended */
    char detail[160];
    snprintf(detail, sizeof detail, "%s: reader %d got no new sample within its %lld ns deadline",
             r->name, r->endpoint, (long long)d);
    ts_rt_note(r->rt, "requested_deadline_missed", r->endpoint, -1,
               (double)r->st.deadline_missed, detail);
    arm(r, &r->dl_timer, r->dl_anchor + d + 1 - now, T_DEADLINE);
}

static void lease_tick(ts_qos_reader *r, wproxy *p, int64_t now, int alive)
{
    int64_t lease = p->offered.lease_ns;
    if (!alive)
        p->last_assert = now; /* a dead reader observes nothing */
    if (now - p->last_assert < lease) {
        arm(r, &p->lv_timer, p->last_assert + lease - now, 1 + (uint64_t)(p - r->wp));
        return;
    }
    p->alive = 0;
    p->lost_at = now;
    char detail[160];
    snprintf(detail, sizeof detail, "%s: writer %d not asserted within its %lld ns lease",
             r->name, p->endpoint, (long long)lease);
    ts_rt_note(r->rt, "liveliness_lost", r->endpoint, -1, (double)lease, detail);
}

static void on_timer(void *ctx, uint64_t arg)
{
    ts_qos_reader *r = ctx;
    int64_t now = ts_rt_now(r->rt);
    int alive = ts_rt_alive(r->rt, TS_RT_COMPONENT, r->endpoint) != 0;
    if (arg == T_DEADLINE) {
        r->dl_timer = 0;
        if (!alive)
            r->dl_anchor = now - 1; /* a dead reader observes nothing */
        deadline_tick(r, now);
        return;
    }
    if (arg - 1 >= r->n_wp)
        return;
    wproxy *p = &r->wp[arg - 1];
    p->lv_timer = 0;
    lease_tick(r, p, now, alive);
}

int ts_qos_reader_new(ts_qos_domain *d, const ts_qos_reader_desc *desc, ts_qos_reader **out,
                      ts_error *err)
{
    if (out)
        *out = NULL;
    if (!d || !desc || !out)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "qos reader: missing description");
    int rc = ts_qos_validate(&desc->qos, err);
    if (rc != TS_OK)
        return rc;
    if (desc->endpoint < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "qos reader: endpoint %d",
                            desc->endpoint);
    ts_qos_reader *r = ts_calloc(1, sizeof *r);
    if (!r)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "qos reader: out of memory");
    r->rt = ts__qos_domain_rt(d);
    r->topic = desc->topic;
    r->endpoint = desc->endpoint;
    if (desc->name)
        snprintf(r->name, sizeof r->name, "%s", desc->name);
    else
        snprintf(r->name, sizeof r->name, "topic %d", desc->topic);
    r->qos = desc->qos;
    r->fn = desc->on_sample;
    r->ctx = desc->ctx;
    rc = ts__qos_domain_add(d, r->endpoint, r->topic, NULL, r, err);
    if (rc != TS_OK) {
        ts_free(r);
        return rc;
    }
    *out = r;
    return TS_OK;
}

void ts__qos_reader_free(ts_qos_reader *r)
{
    if (!r)
        return;
    ts_rt_timer_cancel(r->rt, r->dl_timer);
    for (size_t i = 0; i < r->n_wp; i++) {
        ts_rt_timer_cancel(r->rt, r->wp[i].lv_timer);
        ts_free(r->wp[i].ring);
    }
    ts_free(r->wp);
    ts_free(r->order);
    ts_free(r);
}

/* How many samples a reliable pair's reorder window holds. */
static size_t window_of(const ts_qos *req, const ts_qos *off)
{
    if (req->history == TS_QOS_KEEP_LAST)
        return (size_t)req->depth;
    if (req->max_samples > 0)
        return (size_t)req->max_samples;
    if (off->history == TS_QOS_KEEP_LAST)
        return (size_t)off->depth;
    if (off->max_samples > 0)
        return (size_t)off->max_samples;
    return TS_QOS_WINDOW_UNBOUNDED;
}

int ts__qos_reader_attach(ts_qos_reader *r, int writer_endpoint, const ts_qos *offered,
                          uint64_t start)
{
    if (lookup(r, writer_endpoint))
        return TS_OK;
    if (r->n_wp == r->cap_wp) {
        size_t c = r->cap_wp ? r->cap_wp * 2 : 2;
        wproxy *wp = ts_realloc(r->wp, c * sizeof *wp);
        if (!wp)
            return TS_ENOMEM;
        r->wp = wp;
        uint32_t *o = ts_realloc(r->order, c * sizeof *o);
        if (!o)
            return TS_ENOMEM;
        r->order = o;
        r->cap_wp = c;
    }
    wproxy p = {0};
    p.endpoint = writer_endpoint;
    p.reliable = offered->reliability == TS_QOS_RELIABLE &&
                 r->qos.reliability == TS_QOS_RELIABLE;
    p.offered = *offered;
    p.next = start;
    p.highest = start - 1;
    if (p.reliable) {
        p.window = window_of(&r->qos, offered);
        p.ring = ts_calloc(p.window, sizeof *p.ring);
        if (!p.ring)
            return TS_ENOMEM;
    }
    int64_t now = ts_rt_now(r->rt);
    size_t idx = r->n_wp++;
    r->wp[idx] = p;
    size_t at = idx;
    while (at > 0 && r->wp[r->order[at - 1]].endpoint > writer_endpoint) {
        r->order[at] = r->order[at - 1];
        at--;
    }
    r->order[at] = (uint32_t)idx;
    wproxy *q = &r->wp[idx];
    if (offered->lease_ns > 0) {
        q->alive = 1;
        q->last_assert = now;
        arm(r, &q->lv_timer, offered->lease_ns, 1 + (uint64_t)idx);
    }
    if (r->qos.deadline_ns > 0 && !r->dl_started) {
        r->dl_started = 1;
        r->dl_anchor = now;
        arm(r, &r->dl_timer, r->qos.deadline_ns + 1, T_DEADLINE);
    }
    return TS_OK;
}

void ts_qos_reader_get_stats(const ts_qos_reader *r, ts_qos_reader_stats *out)
{
    *out = r->st;
    out->matched = r->n_wp;
}

const ts_qos *ts_qos_reader_qos(const ts_qos_reader *r)
{
    return &r->qos;
}

int ts_qos_reader_endpoint(const ts_qos_reader *r)
{
    return r->endpoint;
}

int ts_qos_reader_topic(const ts_qos_reader *r)
{
    return r->topic;
}
