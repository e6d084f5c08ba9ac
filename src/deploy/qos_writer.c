/*
 * The QoS writer: a topic's publishing side on one component endpoint.
 * It keeps the history (KEEP_LAST ring of depth, or KEEP_ALL up to
 * max_samples), sends each write to every matched reader, serves reliable
 * readers' NACKs from that history, heartbeats while samples are
 * unacknowledged, asserts liveliness and watches its offered deadline.
 * The protocol is described in deploy_qos.h.
 *
 * History is the seq range [first, next) in a ring indexed by seq % cap
 * (removal is always from the old end: KEEP_LAST overwrites the oldest,
 * KEEP_ALL drops what is expired or, when VOLATILE, acknowledged by every
 * reliable reader). live_from is the lifespan watermark: every seq below
 * it has expired (stamps never decrease, so expiry is a prefix).
 */
#include "toposim/deploy.h"

#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"
#include "toposim/error.h"

enum { T_HEARTBEAT = 1, T_DEADLINE = 2, T_LIVELINESS = 3 };

/* A matched reader as the writer sees it. */
typedef struct rproxy {
    int endpoint;
    int reliable;           /* both sides RELIABLE */
    uint64_t acked;         /* every seq below is acknowledged */
} rproxy;

struct ts_qos_writer {
    const ts_runtime *rt;
    int topic, endpoint;
    char name[48];
    ts_qos qos;
    int64_t sample_bytes, hb_ns;

    int64_t *stamps;        /* ring, cap slots */
    size_t cap;
    int grows;              /* KEEP_ALL without max_samples */
    uint64_t first, next, live_from;
    int64_t last_stamp;     /* stamp of seq next - 1 */

    rproxy *rp;             /* in match order (stable indices) */
    uint32_t *order;        /* rp indices sorted by endpoint */
    size_t n_rp, cap_rp, n_reliable;

    const ts_qos_reader **reported; /* incompatible pairs already recorded */
    size_t n_reported, cap_reported;

    ts_rt_timer hb_timer, dl_timer, lv_timer;
    int64_t dl_anchor, last_assert, lv_period;
    uint64_t hb_count;
    ts_qos_writer_stats st;
};

static void put_u64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, sizeof v);
}

static void on_timer(void *ctx, uint64_t arg);

static int self_alive(const ts_qos_writer *w)
{
    return ts_rt_alive(w->rt, TS_RT_COMPONENT, w->endpoint) != 0;
}

static void arm(ts_qos_writer *w, ts_rt_timer *t, int64_t delay, uint64_t kind)
{
    if (delay < 0)
        delay = 0;
    if (ts_rt_timer_start(w->rt, delay, on_timer, w, kind, t) != TS_OK)
        *t = 0;
}

static int64_t stamp_of(const ts_qos_writer *w, uint64_t seq)
{
    return w->stamps[seq % w->cap];
}

static int expired(const ts_qos_writer *w, int64_t stamp, int64_t now)
{
    return w->qos.lifespan_ns > 0 && now - stamp > w->qos.lifespan_ns;
}

/* Moves the lifespan watermark past every expired retained sample. */
static void advance_live(ts_qos_writer *w, int64_t now)
{
    if (w->qos.lifespan_ns <= 0)
        return;
    if (w->first == w->next) {
        if (w->next > 1 && w->live_from < w->next && expired(w, w->last_stamp, now))
            w->live_from = w->next;
        return;
    }
    uint64_t s0 = w->live_from > w->first ? w->live_from : w->first, s = s0;
    while (s < w->next && expired(w, stamp_of(w, s), now))
        s++;
    /* Below `first` nothing is known unless `first` itself expired. */
    if (s > s0 || w->live_from >= w->first)
        w->live_from = s;
}

static uint64_t available_from(const ts_qos_writer *w)
{
    return w->live_from > w->first ? w->live_from : w->first;
}

static void send_data(ts_qos_writer *w, int to, uint64_t seq)
{
    ts_rt_message m = {0};
    m.from = w->endpoint;
    m.to = to;
    m.port = TS_PORT_TOPIC;
    m.kind = TS_QOS_MSG_DATA;
    m.channel = w->topic;
    m.seq = seq;
    m.stamp = stamp_of(w, seq);
    m.wire_bytes = w->sample_bytes + TS_QOS_DATA_OVERHEAD_BYTES;
    ts_rt_send(w->rt, &m);
    w->st.data_sent++;
}

static void send_heartbeat(ts_qos_writer *w, int to)
{
    ts_rt_message m = {0};
    m.from = w->endpoint;
    m.to = to;
    m.port = TS_PORT_TOPIC;
    m.kind = TS_QOS_MSG_HEARTBEAT;
    m.channel = w->topic;
    m.seq = ++w->hb_count;
    m.stamp = ts_rt_now(w->rt);
    m.wire_bytes = TS_QOS_HEARTBEAT_BYTES;
    put_u64(m.body, w->first);
    put_u64(m.body + 8, w->live_from);
    put_u64(m.body + 16, w->next - 1);
    m.body_len = 24;
    ts_rt_send(w->rt, &m);
    w->st.heartbeats++;
}

static void send_liveliness(ts_qos_writer *w)
{
    int64_t now = ts_rt_now(w->rt);
    for (size_t i = 0; i < w->n_rp; i++) {
        ts_rt_message m = {0};
        m.from = w->endpoint;
        m.to = w->rp[i].endpoint;
        m.port = TS_PORT_TOPIC;
        m.kind = TS_QOS_MSG_LIVELINESS;
        m.channel = w->topic;
        m.stamp = now;
        m.wire_bytes = TS_QOS_LIVELINESS_BYTES;
        ts_rt_send(w->rt, &m);
        w->st.liveliness_sent++;
    }
    w->last_assert = now;
}

static void heartbeat_tick(ts_qos_writer *w)
{
    advance_live(w, ts_rt_now(w->rt));
    int any = 0;
    for (size_t i = 0; i < w->n_rp; i++)
        if (w->rp[i].reliable && w->rp[i].acked < w->next) {
            send_heartbeat(w, w->rp[i].endpoint);
            any = 1;
        }
    if (any)
        arm(w, &w->hb_timer, w->hb_ns, T_HEARTBEAT);
}

/* DDS DEADLINE (DDS 1.4, 2.2.3.7): a new sample "at least once every
 * deadline period", so a gap of exactly the period meets it. A miss is
 * thus known only 1 ns after anchor + d, whatever order events at the
 * same instant run in; a 100 Hz topic with a 10 ms deadline, whose
 * samples come exactly 10 ms apart, misses nothing. After a miss the
 * next period starts where the missed one ended, 1 ns before the check. */
static void deadline_tick(ts_qos_writer *w, int64_t now)
{
    int64_t d = w->qos.deadline_ns;
    if (now - w->dl_anchor <= d) {
        arm(w, &w->dl_timer, w->dl_anchor + d + 1 - now, T_DEADLINE);
        return;
    }
    w->st.deadline_missed++;
    w->dl_anchor = now - 1;  /* where the missed period ended */
    char detail[160];
    snprintf(detail, sizeof detail, "%s: writer %d wrote nothing within its %lld ns deadline",
             w->name, w->endpoint, (long long)d);
    ts_rt_note(w->rt, "offered_deadline_missed", w->endpoint, -1, (double)w->st.deadline_missed,
               detail);
    arm(w, &w->dl_timer, w->dl_anchor + d + 1 - now, T_DEADLINE);
}

static void liveliness_tick(ts_qos_writer *w, int64_t now)
{
    if (now - w->last_assert >= w->lv_period)
        send_liveliness(w);
    arm(w, &w->lv_timer, w->last_assert + w->lv_period - now, T_LIVELINESS);
}

static void on_timer(void *ctx, uint64_t arg)
{
    ts_qos_writer *w = ctx;
    int64_t now = ts_rt_now(w->rt);
    int alive = self_alive(w);
    switch (arg) {
    case T_HEARTBEAT:
        w->hb_timer = 0;
        if (alive)
            heartbeat_tick(w);
        else
            arm(w, &w->hb_timer, w->hb_ns, T_HEARTBEAT);
        break;
    case T_DEADLINE:
        w->dl_timer = 0;
        if (!alive)
            w->dl_anchor = now - 1; /* a dead process misses nothing it can report */
        deadline_tick(w, now);
        break;
    case T_LIVELINESS:
        w->lv_timer = 0;
        if (alive)
            liveliness_tick(w, now);
        else
            arm(w, &w->lv_timer, w->lv_period, T_LIVELINESS);
        break;
    default:
        break;
    }
}

int ts_qos_writer_new(ts_qos_domain *d, const ts_qos_writer_desc *desc, ts_qos_writer **out,
                      ts_error *err)
{
    if (out)
        *out = NULL;
    if (!d || !desc || !out)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "qos writer: missing description");
    int rc = ts_qos_validate(&desc->qos, err);
    if (rc != TS_OK)
        return rc;
    if (desc->sample_bytes < 0 || desc->heartbeat_ns < 0 || desc->endpoint < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "qos writer: negative size, heartbeat or endpoint");
    ts_qos_writer *w = ts_calloc(1, sizeof *w);
    if (!w)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "qos writer: out of memory");
    w->rt = ts__qos_domain_rt(d);
    w->topic = desc->topic;
    w->endpoint = desc->endpoint;
    if (desc->name)
        snprintf(w->name, sizeof w->name, "%s", desc->name);
    else
        snprintf(w->name, sizeof w->name, "topic %d", desc->topic);
    w->qos = desc->qos;
    w->sample_bytes = desc->sample_bytes;
    w->hb_ns = desc->heartbeat_ns ? desc->heartbeat_ns : TS_QOS_HEARTBEAT_DEFAULT_NS;
    if (w->qos.history == TS_QOS_KEEP_LAST)
        w->cap = (size_t)w->qos.depth;
    else if (w->qos.max_samples > 0)
        w->cap = (size_t)w->qos.max_samples;
    else {
        w->cap = 64;
        w->grows = 1;
    }
    w->stamps = ts_calloc(w->cap, sizeof *w->stamps);
    if (!w->stamps) {
        ts_free(w);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "qos writer: out of memory");
    }
    w->first = w->next = w->live_from = 1;
    rc = ts__qos_domain_add(d, w->endpoint, w->topic, w, NULL, err);
    if (rc != TS_OK) {
        ts_free(w->stamps);
        ts_free(w);
        return rc;
    }
    w->last_assert = ts_rt_now(w->rt);
    if (w->qos.lease_ns > 0 && w->qos.liveliness == TS_QOS_AUTOMATIC) {
        /* rmw_fastrtps announces every 2/3 of the lease; a third lets one
         * lost assertion pass without costing liveliness. */
        w->lv_period = w->qos.lease_ns / 3 > 0 ? w->qos.lease_ns / 3 : 1;
        arm(w, &w->lv_timer, w->lv_period, T_LIVELINESS);
    }
    *out = w;
    return TS_OK;
}

void ts__qos_writer_free(ts_qos_writer *w)
{
    if (!w)
        return;
    ts_rt_timer_cancel(w->rt, w->hb_timer);
    ts_rt_timer_cancel(w->rt, w->dl_timer);
    ts_rt_timer_cancel(w->rt, w->lv_timer);
    ts_free(w->stamps);
    ts_free(w->rp);
    ts_free(w->order);
    ts_free(w->reported);
    ts_free(w);
}

static rproxy *lookup(ts_qos_writer *w, int endpoint)
{
    size_t lo = 0, hi = w->n_rp;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        rproxy *p = &w->rp[w->order[mid]];
        if (p->endpoint == endpoint)
            return p;
        if (p->endpoint < endpoint)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Doubles an unlimited KEEP_ALL ring, keeping each seq at seq % cap. */
static int grow_history(ts_qos_writer *w)
{
    size_t cap = w->cap * 2;
    int64_t *s = ts_calloc(cap, sizeof *s);
    if (!s)
        return TS_ENOMEM;
    for (uint64_t q = w->first; q < w->next; q++)
        s[q % cap] = w->stamps[q % w->cap];
    ts_free(w->stamps);
    w->stamps = s;
    w->cap = cap;
    return TS_OK;
}

/* KEEP_ALL: frees what no reader can still need. */
static void make_room(ts_qos_writer *w, int64_t now)
{
    advance_live(w, now);
    uint64_t keep = w->live_from;
    if (w->qos.durability == TS_QOS_VOLATILE) {
        uint64_t acked = w->next;
        for (size_t i = 0; i < w->n_rp; i++)
            if (w->rp[i].reliable && w->rp[i].acked < acked)
                acked = w->rp[i].acked;
        if (acked > keep)
            keep = acked;
    }
    while (w->first < w->next && w->first < keep)
        w->first++;
}

int ts_qos_writer_write(ts_qos_writer *w, int64_t stamp_ns, uint64_t *seq)
{
    if (!w)
        return TS_EINVAL;
    int64_t now = ts_rt_now(w->rt);
    int64_t stamp = stamp_ns < 0 ? now : stamp_ns;
    if (w->next - w->first == w->cap) {
        if (w->qos.history == TS_QOS_KEEP_LAST) {
            w->first++;
        } else {
            make_room(w, now);
            if (w->next - w->first == w->cap) {
                int rc = w->grows ? grow_history(w) : TS_ERANGE;
                if (rc != TS_OK) {
                    w->st.rejected++;
                    char detail[160];
                    snprintf(detail, sizeof detail,
                             "%s: writer %d KEEP_ALL history full (%zu samples) with "
                             "unacknowledged reliable readers",
                             w->name, w->endpoint, w->cap);
                    ts_rt_note(w->rt, "write_rejected", w->endpoint, -1, (double)w->cap,
                               detail);
                    return rc;
                }
            }
        }
    }
    uint64_t s = w->next++;
    w->stamps[s % w->cap] = stamp;
    w->last_stamp = stamp;
    w->st.written++;
    /* Fan-out in match order (rp), never endpoint order, so a run's message
     * sequence depends only on the order the glue connected readers. */
    for (size_t i = 0; i < w->n_rp; i++)
        send_data(w, w->rp[i].endpoint, s);
    w->last_assert = now;
    if (w->qos.deadline_ns > 0) {
        w->dl_anchor = now;
        if (!w->dl_timer)
            arm(w, &w->dl_timer, w->qos.deadline_ns + 1, T_DEADLINE);
    }
    if (w->n_reliable && !w->hb_timer)
        arm(w, &w->hb_timer, w->hb_ns, T_HEARTBEAT);
    if (seq)
        *seq = s;
    return TS_OK;
}

int ts_qos_writer_assert_liveliness(ts_qos_writer *w)
{
    if (!w)
        return TS_EINVAL;
    send_liveliness(w);
    return TS_OK;
}

void ts__qos_writer_receive(ts_qos_writer *w, const ts_rt_message *m)
{
    if (m->kind != TS_QOS_MSG_ACKNACK || m->body_len < 36)
        return;
    rproxy *p = lookup(w, m->from);
    if (!p || !p->reliable)
        return;
    uint64_t base = m->seq < w->next ? m->seq : w->next;
    if (base > p->acked)
        p->acked = base;
    uint64_t words[TS_QOS_NACK_BITS / 64];
    uint32_t nbits;
    memcpy(words, m->body, sizeof words);
    memcpy(&nbits, m->body + sizeof words, sizeof nbits);
    if (nbits > TS_QOS_NACK_BITS)
        nbits = TS_QOS_NACK_BITS;
    advance_live(w, ts_rt_now(w->rt));
    uint64_t avail = available_from(w);
    int gone = 0;
    for (uint32_t i = 0; i < nbits; i++) {
        if (!(words[i / 64] >> (i % 64) & 1u))
            continue;
        uint64_t s = m->seq + i;
        if (s >= w->next)
            break;
        if (s < avail) {
            gone = 1;
            continue;
        }
        send_data(w, p->endpoint, s);
        w->st.retransmitted++;
    }
    if (gone)
        send_heartbeat(w, p->endpoint);
}

uint64_t ts__qos_writer_start_seq(ts_qos_writer *w, const ts_qos *requested)
{
    if (w->qos.durability == TS_QOS_VOLATILE || requested->durability == TS_QOS_VOLATILE)
        return w->next;
    advance_live(w, ts_rt_now(w->rt));
    uint64_t s = available_from(w);
    if (requested->history == TS_QOS_KEEP_LAST && w->next - s > (uint64_t)requested->depth)
        s = w->next - (uint64_t)requested->depth;
    return s;
}

int ts__qos_writer_attach(ts_qos_writer *w, int reader_endpoint, const ts_qos *requested,
                          uint64_t start)
{
    if (w->n_rp == w->cap_rp) {
        size_t c = w->cap_rp ? w->cap_rp * 2 : 4;
        rproxy *rp = ts_realloc(w->rp, c * sizeof *rp);
        if (!rp)
            return TS_ENOMEM;
        w->rp = rp;
        uint32_t *o = ts_realloc(w->order, c * sizeof *o);
        if (!o)
            return TS_ENOMEM;
        w->order = o;
        w->cap_rp = c;
    }
    size_t idx = w->n_rp++;
    rproxy *p = &w->rp[idx];
    p->endpoint = reader_endpoint;
    p->reliable = w->qos.reliability == TS_QOS_RELIABLE &&
                  requested->reliability == TS_QOS_RELIABLE;
    p->acked = start;
    size_t at = idx;
    while (at > 0 && w->rp[w->order[at - 1]].endpoint > reader_endpoint) {
        w->order[at] = w->order[at - 1];
        at--;
    }
    w->order[at] = (uint32_t)idx;
    if (p->reliable)
        w->n_reliable++;
    uint64_t avail = available_from(w);
    for (uint64_t s = start > avail ? start : avail; s < w->next; s++)
        send_data(w, reader_endpoint, s);
    if (p->reliable && p->acked < w->next && !w->hb_timer)
        arm(w, &w->hb_timer, w->hb_ns, T_HEARTBEAT);
    return TS_OK;
}

int ts__qos_writer_has_reader(const ts_qos_writer *w, int reader_endpoint)
{
    return lookup((ts_qos_writer *)w, reader_endpoint) != NULL;
}

int ts__qos_writer_first_report(ts_qos_writer *w, const ts_qos_reader *r)
{
    for (size_t i = 0; i < w->n_reported; i++)
        if (w->reported[i] == r)
            return 0;
    if (w->n_reported == w->cap_reported) {
        size_t c = w->cap_reported ? w->cap_reported * 2 : 4;
        const ts_qos_reader **p = ts_realloc(w->reported, c * sizeof *p);
        if (!p)
            return 1; /* report again rather than never */
        w->reported = p;
        w->cap_reported = c;
    }
    w->reported[w->n_reported++] = r;
    return 1;
}

const char *ts__qos_writer_name(const ts_qos_writer *w)
{
    return w->name;
}

const ts_runtime *ts__qos_writer_rt(const ts_qos_writer *w)
{
    return w->rt;
}

void ts_qos_writer_get_stats(const ts_qos_writer *w, ts_qos_writer_stats *out)
{
    *out = w->st;
    out->matched = w->n_rp;
    out->history = (size_t)(w->next - w->first);
}

const ts_qos *ts_qos_writer_qos(const ts_qos_writer *w)
{
    return &w->qos;
}

int ts_qos_writer_endpoint(const ts_qos_writer *w)
{
    return w->endpoint;
}

int ts_qos_writer_topic(const ts_qos_writer *w)
{
    return w->topic;
}
