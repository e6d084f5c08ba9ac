/*
 * Tests for the QoS writer and reader (src/deploy/qos_writer.c,
 * qos_reader.c, qos_match.c) driven through the fake runtime: matching and
 * incompatible pairs, reliable delivery over loss (in order, exactly once,
 * within history), best-effort loss, KEEP_LAST overflow during an outage,
 * KEEP_ALL resource limits, transient-local late joiners, lifespan,
 * deadlines and liveliness at exact times, and no allocation per message.
 * The fake delivers every message 1 ms after it is sent unless a filter
 * drops it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_runtime.h"
#include "toposim/alloc.h"
#include "toposim/deploy.h"
#include "toposim/error.h"

#define MS INT64_C(1000000)
#define TOPIC 7
#define WRITER 1
#define READER 2
#define READER2 3
#define WRITER2 4
#define MAX_GOT 4096

/* ---- fixtures ------------------------------------------------------------ */

typedef struct got {
    size_t n;
    ts_qos_sample s[MAX_GOT];
} got;

static void on_sample(void *ctx, const ts_qos_sample *s)
{
    got *g = ctx;
    if (g->n < MAX_GOT)
        g->s[g->n] = *s;
    g->n++;
}

/* A configurable loss: drop every nth DATA, everything sent in a time
 * window, every message of one kind, or DATA with seq in [lo, hi] (always,
 * or only its first transmission). */
typedef struct filt {
    fake_runtime *f;
    int nth;
    uint64_t n_data;
    int64_t from, until;
    uint32_t kind;
    uint64_t lo, hi;
    int once;
    uint8_t seen[256];
} filt;

static int drop(void *ctx, const ts_rt_message *m)
{
    filt *d = ctx;
    int64_t now = ts_engine_now(d->f->engine);
    if (d->until > d->from && now >= d->from && now < d->until)
        return 1;
    if (d->kind && m->kind == d->kind)
        return 1;
    if (m->kind != TS_QOS_MSG_DATA)
        return 0;
    if (d->hi && m->seq >= d->lo && m->seq <= d->hi) {
        if (!d->once)
            return 1;
        if (m->seq < 256 && !d->seen[m->seq]) {
            d->seen[m->seq] = 1;
            return 1;
        }
    }
    if (d->nth && ++d->n_data % (uint64_t)d->nth == 0)
        return 1;
    return 0;
}

typedef struct env {
    fake_runtime *f;
    ts_qos_domain *d;
    filt loss;
    got *g, *g2;
    long live0;
} env;

static int setup(void **state)
{
    env *e = calloc(1, sizeof *e);
    e->live0 = ts_alloc_live();
    e->f = fake_runtime_new();
    e->g = calloc(1, sizeof *e->g);
    e->g2 = calloc(1, sizeof *e->g2);
    e->loss.f = e->f;
    e->f->drop = drop;
    e->f->drop_ctx = &e->loss;
    assert_int_equal(ts_qos_domain_new(&e->f->rt, &e->d, NULL), TS_OK);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    env *e = *state;
    ts_qos_domain_free(e->d);
    /* Timers the domain cancelled must never fire into freed memory. */
    fake_runtime_run(e->f, ts_engine_now(e->f->engine) + 10000 * MS);
    fake_runtime_free(e->f);
    assert_int_equal(ts_alloc_live(), e->live0);
    free(e->g);
    free(e->g2);
    free(e);
    return 0;
}

static ts_qos profile(const char *name)
{
    ts_qos q;
    assert_int_equal(ts_qos_builtin(name, &q), TS_OK);
    return q;
}

static ts_qos_writer *writer_at(env *e, int ep, ts_qos q, int64_t bytes)
{
    ts_qos_writer_desc wd = {TOPIC, "odom", ep, q, bytes, 0};
    ts_qos_writer *w = NULL;
    assert_int_equal(ts_qos_writer_new(e->d, &wd, &w, NULL), TS_OK);
    return w;
}

static ts_qos_reader *reader_at(env *e, int ep, ts_qos q, got *g)
{
    ts_qos_reader_desc rd = {TOPIC, "odom", ep, q, on_sample, g};
    ts_qos_reader *r = NULL;
    assert_int_equal(ts_qos_reader_new(e->d, &rd, &r, NULL), TS_OK);
    return r;
}

/* Writes `count` samples, one every `period` from `first`. */
typedef struct pub {
    fake_runtime *f;
    ts_qos_writer *w;
    int64_t period;
    int remaining;
    int rejected;
} pub;

static void pub_tick(void *ctx, uint64_t arg)
{
    (void)arg;
    pub *p = ctx;
    if (p->remaining <= 0)
        return;
    p->remaining--;
    if (ts_qos_writer_write(p->w, -1, NULL) != TS_OK)
        p->rejected++;
    if (p->remaining > 0)
        ts_rt_timer_start(&p->f->rt, p->period, pub_tick, p, 0, NULL);
}

static void pub_start(pub *p, fake_runtime *f, ts_qos_writer *w, int64_t first, int64_t period,
                      int count)
{
    *p = (pub){f, w, period, count, 0};
    ts_rt_timer_start(&f->rt, first - ts_engine_now(f->engine), pub_tick, p, 0, NULL);
}

static double total(const fake_runtime *f, const char *kind)
{
    double sum = 0;
    const fake_record *r;
    for (size_t i = 0; (r = fake_runtime_find(f, kind, i)); i++)
        sum += r->value;
    return sum;
}

/* Every delivery in g is from writer `w`, with seqs exactly `want`. */
static void expect_seqs(const got *g, const uint64_t *want, size_t n)
{
    assert_int_equal(g->n, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(g->s[i].seq, want[i]);
}

static void expect_all_in_order(const got *g, uint64_t n)
{
    assert_int_equal(g->n, n);
    for (uint64_t i = 0; i < n; i++) {
        assert_int_equal(g->s[i].seq, i + 1);
        assert_true(g->s[i].delivered >= g->s[i].arrival);
        assert_true(g->s[i].arrival > g->s[i].stamp);
    }
}

/* ---- matching ------------------------------------------------------------ */

static void test_incompatible_never_connects(void **state)
{
    env *e = *state;
    ts_qos_writer *w = writer_at(e, WRITER, profile("best_effort"), 100);
    ts_qos_reader *r = reader_at(e, READER, profile("standard"), e->g);
    assert_int_equal(ts_qos_connect(w, r, NULL), 0);
    assert_int_equal(ts_qos_connect(w, r, NULL), 0); /* again: recorded once */
    assert_int_equal(fake_runtime_count(e->f, "qos_incompatible"), 2);
    const fake_record *a = fake_runtime_find(e->f, "qos_incompatible", 0);
    const fake_record *b = fake_runtime_find(e->f, "qos_incompatible", 1);
    assert_int_equal(a->component, WRITER);
    assert_int_equal(b->component, READER);
    assert_int_equal(a->value, TS_QOS_POLICY_RELIABILITY);
    assert_int_equal(a->time, 0);
    assert_true(strncmp(a->detail, "RELIABILITY:", 12) == 0);
    assert_non_null(strstr(a->detail, "odom"));
    assert_non_null(strstr(a->detail, "BEST_EFFORT"));
    assert_string_equal(a->detail, b->detail);
    for (int i = 0; i < 5; i++) {
        fake_runtime_run(e->f, (i + 1) * 10 * MS);
        assert_int_equal(ts_qos_writer_write(w, -1, NULL), TS_OK);
    }
    fake_runtime_run(e->f, 1000 * MS);
    assert_int_equal(e->g->n, 0);
    assert_int_equal(fake_runtime_sent(e->f, TS_PORT_TOPIC, UINT32_MAX), 0);
    ts_qos_writer_stats ws;
    ts_qos_writer_get_stats(w, &ws);
    assert_int_equal(ws.matched, 0);
    assert_int_equal(ws.written, 5);
}

static void test_incompatible_each_policy_named(void **state)
{
    env *e = *state;
    struct {
        const char *policy;
        ts_qos w, r;
    } cases[4];
    for (int i = 0; i < 4; i++)
        cases[i].w = cases[i].r = profile("standard");
    cases[0].policy = "RELIABILITY";
    cases[0].w.reliability = TS_QOS_BEST_EFFORT;
    cases[1].policy = "DURABILITY";
    cases[1].r.durability = TS_QOS_TRANSIENT_LOCAL;
    cases[2].policy = "DEADLINE";
    cases[2].r.deadline_ns = 10 * MS;
    cases[3].policy = "LIVELINESS";
    cases[3].r.liveliness = TS_QOS_MANUAL_BY_TOPIC;
    for (int i = 0; i < 4; i++) {
        ts_qos_writer_desc wd = {100 + i, NULL, WRITER, cases[i].w, 10, 0};
        ts_qos_reader_desc rd = {100 + i, NULL, READER, cases[i].r, NULL, NULL};
        ts_qos_writer *w;
        ts_qos_reader *r;
        assert_int_equal(ts_qos_writer_new(e->d, &wd, &w, NULL), TS_OK);
        assert_int_equal(ts_qos_reader_new(e->d, &rd, &r, NULL), TS_OK);
        assert_int_equal(ts_qos_connect(w, r, NULL), 0);
        const fake_record *rec = fake_runtime_find(e->f, "qos_incompatible", 2 * (size_t)i + 1);
        assert_non_null(rec);
        assert_int_equal(rec->component, READER);
        assert_int_equal(rec->value, i + 1);
        assert_true(strncmp(rec->detail, cases[i].policy, strlen(cases[i].policy)) == 0);
        char topic[32];
        snprintf(topic, sizeof topic, "topic %d", 100 + i);
        assert_non_null(strstr(rec->detail, topic));
    }
    assert_int_equal(fake_runtime_count(e->f, "qos_incompatible"), 8);
}

static void test_topic_new_and_errors(void **state)
{
    env *e = *state;
    int readers[2] = {READER, READER2};
    ts_qos rq[2] = {profile("standard"), profile("standard")};
    rq[1].durability = TS_QOS_TRANSIENT_LOCAL; /* incompatible with a volatile writer */
    ts_qos_topic_desc td = {TOPIC, "cmd", WRITER, profile("standard"), 32, 0,
                            readers, rq, 2, on_sample, e->g};
    ts_qos_writer *w;
    ts_qos_reader *r[2];
    assert_int_equal(ts_qos_topic_new(e->d, &td, &w, r, NULL), TS_OK);
    assert_ptr_equal(ts_qos_domain_writer(e->d, WRITER, TOPIC), w);
    assert_ptr_equal(ts_qos_domain_reader(e->d, READER2, TOPIC), r[1]);
    assert_null(ts_qos_domain_reader(e->d, READER2, TOPIC + 1));
    assert_null(ts_qos_domain_reader(e->d, 999, TOPIC));
    const fake_record *rec = fake_runtime_find(e->f, "qos_incompatible", 1);
    assert_non_null(rec);
    assert_int_equal(rec->component, READER2);
    assert_true(strncmp(rec->detail, "DURABILITY:", 11) == 0);
    assert_int_equal(fake_runtime_count(e->f, "qos_incompatible"), 2);

    /* A second writer of the topic reuses the readers. */
    ts_qos_topic_desc td2 = td;
    td2.writer = WRITER2;
    ts_qos_reader *r2[2];
    assert_int_equal(ts_qos_topic_new(e->d, &td2, NULL, r2, NULL), TS_OK);
    assert_ptr_equal(r2[0], r[0]);
    assert_ptr_equal(r2[1], r[1]);

    /* One writer per (endpoint, topic); topics must agree; QoS validated. */
    ts_error err;
    ts_qos_writer_desc dup = {TOPIC, NULL, WRITER, profile("standard"), 1, 0};
    ts_qos_writer *x;
    assert_int_equal(ts_qos_writer_new(e->d, &dup, &x, &err), TS_EINVAL);
    assert_null(x);
    ts_qos_reader_desc other = {TOPIC + 1, NULL, READER, profile("standard"), NULL, NULL};
    ts_qos_reader *y;
    assert_int_equal(ts_qos_reader_new(e->d, &other, &y, NULL), TS_OK);
    assert_int_equal(ts_qos_connect(w, y, &err), TS_EINVAL);
    ts_qos_reader_desc badq = {TOPIC + 2, NULL, READER, profile("standard"), NULL, NULL};
    badq.qos.depth = 0;
    assert_int_equal(ts_qos_reader_new(e->d, &badq, &y, &err), TS_EINVAL);
    assert_non_null(strstr(err.msg, "depth"));

    /* Connected pairs carry data, with the payload size on the wire. */
    assert_int_equal(ts_qos_connect(w, r[0], NULL), 1); /* already: no-op */
    fake_runtime_run(e->f, 5 * MS);
    uint64_t seq = 0;
    assert_int_equal(ts_qos_writer_write(w, -1, &seq), TS_OK);
    assert_int_equal(seq, 1);
    assert_int_equal(e->f->n_sent, 1);
    assert_int_equal(e->f->sent[0].wire_bytes, 32 + TS_QOS_DATA_OVERHEAD_BYTES);
    assert_int_equal(e->f->sent[0].channel, TOPIC);
    assert_int_equal(e->f->sent[0].port, TS_PORT_TOPIC);
    fake_runtime_run(e->f, 50 * MS);
    assert_int_equal(e->g->n, 1);
    assert_int_equal(e->g->s[0].bytes, 32);
    assert_int_equal(e->g->s[0].stamp, 5 * MS);
    assert_int_equal(e->g->s[0].arrival, 6 * MS);
    assert_int_equal(e->g->s[0].writer, WRITER);
    assert_int_equal(e->g->s[0].reader, READER);
}

/* ---- reliability ----------------------------------------------------------- */

static void test_reliable_over_lossy_link(void **state)
{
    env *e = *state;
    e->loss.nth = 3; /* every third DATA, retransmissions included */
    ts_qos_writer *w = writer_at(e, WRITER, profile("standard"), 1000);
    ts_qos_reader *r = reader_at(e, READER, profile("standard"), e->g);
    assert_int_equal(ts_qos_connect(w, r, NULL), 1);
    pub p;
    pub_start(&p, e->f, w, 10 * MS, 10 * MS, 200);
    fake_runtime_run(e->f, 3000 * MS);
    expect_all_in_order(e->g, 200);
    ts_qos_reader_stats rs;
    ts_qos_reader_get_stats(r, &rs);
    assert_int_equal(rs.lost, 0);
    assert_int_equal(rs.delivered, 200);
    assert_true(rs.duplicates < 20);
    ts_qos_writer_stats ws;
    ts_qos_writer_get_stats(w, &ws);
    assert_true(ws.retransmitted >= 66);
    assert_true(e->f->dropped >= 66 + 33);
    assert_int_equal(fake_runtime_count(e->f, "samples_lost"), 0);
    /* A sample that waited for a retransmission is handed over late. */
    int waited = 0;
    for (size_t i = 0; i < e->g->n; i++)
        waited += e->g->s[i].delivered > e->g->s[i].arrival;
    assert_true(waited > 0);
    /* Everything acknowledged in the end: heartbeats stop. */
    size_t hb = fake_runtime_sent(e->f, TS_PORT_TOPIC, TS_QOS_MSG_HEARTBEAT);
    fake_runtime_run(e->f, 6000 * MS);
    assert_int_equal(fake_runtime_sent(e->f, TS_PORT_TOPIC, TS_QOS_MSG_HEARTBEAT), hb);
}

static void test_reliable_burst_within_history(void **state)
{
    env *e = *state;
    /* 5 samples (10..14) lost in a burst, fewer than the depth of 10. */
    e->loss.from = 95 * MS;
    e->loss.until = 150 * MS;
    ts_qos_writer *w = writer_at(e, WRITER, profile("standard"), 100);
    ts_qos_reader *r = reader_at(e, READER, profile("standard"), e->g);
    ts_qos_connect(w, r, NULL);
    pub p;
    pub_start(&p, e->f, w, 10 * MS, 10 * MS, 30);
    fake_runtime_run(e->f, 1000 * MS);
    expect_all_in_order(e->g, 30);
    /* 15 (sent at 150 ms) arrives at 151 ms and NACKs 10..14: they are
     * re-sent at 152 ms and handed over with 15 at 153 ms. */
    assert_int_equal(e->g->s[9].seq, 10);
    assert_int_equal(e->g->s[9].delivered, 153 * MS);
    assert_int_equal(e->g->s[14].delivered, 153 * MS);
    assert_int_equal(e->g->s[14].arrival, 151 * MS);
}

static void test_tail_loss_recovered_by_heartbeat(void **state)
{
    env *e = *state;
    e->loss.lo = e->loss.hi = 3; /* the last sample, once */
    e->loss.once = 1;
    ts_qos_writer_desc wd = {TOPIC, "odom", WRITER, profile("standard"), 10, 20 * MS};
    ts_qos_writer *w;
    assert_int_equal(ts_qos_writer_new(e->d, &wd, &w, NULL), TS_OK);
    ts_qos_reader *r = reader_at(e, READER, profile("standard"), e->g);
    ts_qos_connect(w, r, NULL);
    pub p;
    pub_start(&p, e->f, w, 10 * MS, 10 * MS, 3);
    fake_runtime_run(e->f, 500 * MS);
    expect_all_in_order(e->g, 3);
    /* The heartbeat armed at the first write (10 ms) fires at 30 ms just
     * before the write of 3 (armed earlier, same instant), so only the
     * next one, at 50 ms, reveals 3: NACK at 51, re-sent at 52, delivered
     * at 53 ms. */
    assert_int_equal(e->g->s[2].delivered, 53 * MS);
}

static void test_best_effort_loses(void **state)
{
    env *e = *state;
    e->loss.nth = 3;
    ts_qos_writer *w = writer_at(e, WRITER, profile("best_effort"), 100);
    ts_qos_reader *r = reader_at(e, READER, profile("best_effort"), e->g);
    ts_qos_connect(w, r, NULL);
    pub p;
    pub_start(&p, e->f, w, 10 * MS, 10 * MS, 99);
    fake_runtime_run(e->f, 3000 * MS);
    assert_int_equal(e->g->n, 66);
    for (size_t i = 0; i < e->g->n; i++)
        assert_int_equal(e->g->s[i].seq % 3 != 0, 1);
    for (size_t i = 1; i < e->g->n; i++)
        assert_true(e->g->s[i].seq > e->g->s[i - 1].seq);
    assert_int_equal(total(e->f, "samples_lost"), 32); /* 99 never followed */
    assert_int_equal(fake_runtime_sent(e->f, TS_PORT_TOPIC, TS_QOS_MSG_DATA), 99);
    assert_int_equal(fake_runtime_sent(e->f, TS_PORT_TOPIC, TS_QOS_MSG_ACKNACK), 0);
    assert_int_equal(fake_runtime_sent(e->f, TS_PORT_TOPIC, TS_QOS_MSG_HEARTBEAT), 0);
}

static void test_reliable_and_best_effort_readers_of_one_writer(void **state)
{
    env *e = *state;
    e->loss.nth = 4;
    ts_qos_writer *w = writer_at(e, WRITER, profile("standard"), 100);
    ts_qos_reader *rel = reader_at(e, READER, profile("standard"), e->g);
    ts_qos_reader *be = reader_at(e, READER2, profile("sensor_data"), e->g2);
    assert_int_equal(ts_qos_connect(w, rel, NULL), 1);
    assert_int_equal(ts_qos_connect(w, be, NULL), 1); /* RELIABLE offered >= BEST_EFFORT */
    pub p;
    pub_start(&p, e->f, w, 10 * MS, 10 * MS, 100);
    fake_runtime_run(e->f, 3000 * MS);
    expect_all_in_order(e->g, 100);
    assert_true(e->g2->n < 100 && e->g2->n >= 40);
    ts_qos_reader_stats bs;
    ts_qos_reader_get_stats(be, &bs);
    assert_int_equal(bs.acknacks, 0);
    assert_int_equal(bs.delivered + bs.lost, 100 - (e->g2->s[e->g2->n - 1].seq < 100 ? 1 : 0));
}

static void test_keep_last_outage_loses_all_but_depth(void **state)
{
    env *e = *state;
    e->loss.from = 35 * MS;
    e->loss.until = 200 * MS;
    ts_qos wq = profile("standard");
    wq.depth = 2;
    ts_qos_writer *w = writer_at(e, WRITER, wq, 100);
    ts_qos_reader *r = reader_at(e, READER, profile("standard"), e->g);
    ts_qos_connect(w, r, NULL);
    pub p;
    pub_start(&p, e->f, w, 10 * MS, 10 * MS, 10);
    fake_runtime_run(e->f, 2000 * MS);
    /* 1..3 before the outage; of 4..10, only the 2 still in history. */
    const uint64_t want[] = {1, 2, 3, 9, 10};
    expect_seqs(e->g, want, 5);
    assert_int_equal(fake_runtime_count(e->f, "samples_lost"), 1);
    const fake_record *rec = fake_runtime_find(e->f, "samples_lost", 0);
    assert_int_equal(rec->value, 5);
    assert_int_equal(rec->component, READER);
    /* Heartbeats at 110 ms (dropped) and 210 ms, heard at 211 ms. */
    assert_int_equal(rec->time, 211 * MS);
    assert_non_null(strstr(rec->detail, "seq 4..8"));
    assert_int_equal(e->g->s[3].delivered, 213 * MS);
}

static void test_keep_last_reader_window_gives_up(void **state)
{
    env *e = *state;
    e->loss.lo = 2; /* seqs 2..4 never get through */
    e->loss.hi = 4;
    ts_qos rq = profile("standard");
    rq.depth = 2;
    ts_qos_writer *w = writer_at(e, WRITER, profile("standard"), 100);
    ts_qos_reader *r = reader_at(e, READER, rq, e->g);
    ts_qos_connect(w, r, NULL);
    pub p;
    pub_start(&p, e->f, w, 10 * MS, 10 * MS, 10);
    fake_runtime_run(e->f, 2000 * MS);
    const uint64_t want[] = {1, 5, 6, 7, 8, 9, 10};
    expect_seqs(e->g, want, 7);
    ts_qos_reader_stats rs;
    ts_qos_reader_get_stats(r, &rs);
    assert_int_equal(rs.lost, 3);
    assert_int_equal(total(e->f, "samples_lost"), 3);
    /* 5 arrives at 51 ms: 2 and 3 given up; 6 at 61 ms: 4 given up. */
    assert_int_equal(fake_runtime_find(e->f, "samples_lost", 0)->time, 51 * MS);
    assert_int_equal(fake_runtime_find(e->f, "samples_lost", 1)->time, 61 * MS);
}

static void test_keep_all_rejects_when_full(void **state)
{
    env *e = *state;
    e->loss.from = 0;
    e->loss.until = 100 * MS;
    ts_qos q = profile("standard");
    q.history = TS_QOS_KEEP_ALL;
    q.max_samples = 3;
    ts_qos_writer *w = writer_at(e, WRITER, q, 100);
    ts_qos_reader *r = reader_at(e, READER, q, e->g);
    ts_qos_connect(w, r, NULL);
    for (int i = 1; i <= 5; i++) {
        fake_runtime_run(e->f, i * 10 * MS);
        assert_int_equal(ts_qos_writer_write(w, -1, NULL), i <= 3 ? TS_OK : TS_ERANGE);
    }
    assert_int_equal(fake_runtime_count(e->f, "write_rejected"), 2);
    const fake_record *rec = fake_runtime_find(e->f, "write_rejected", 0);
    assert_int_equal(rec->time, 40 * MS);
    assert_int_equal(rec->component, WRITER);
    assert_int_equal(rec->value, 3);
    /* Outage over: the heartbeat at 110 ms recovers 1..3, the one at
     * 210 ms collects the acknowledgement, and the history drains. */
    fake_runtime_run(e->f, 150 * MS);
    expect_all_in_order(e->g, 3);
    assert_int_equal(ts_qos_writer_write(w, -1, NULL), TS_ERANGE); /* not yet acked */
    fake_runtime_run(e->f, 250 * MS);
    assert_int_equal(ts_qos_writer_write(w, -1, NULL), TS_OK);
    fake_runtime_run(e->f, 1000 * MS);
    ts_qos_writer_stats ws;
    ts_qos_writer_get_stats(w, &ws);
    assert_int_equal(ws.rejected, 3);
    assert_int_equal(ws.written, 4);
    assert_int_equal(e->g->n, 4);
    assert_int_equal(e->g->s[3].seq, 4);
}

static void test_keep_all_unlimited_and_best_effort_never_block(void **state)
{
    env *e = *state;
    e->loss.kind = TS_QOS_MSG_ACKNACK; /* nothing is ever acknowledged */
    ts_qos q = profile("standard");
    q.history = TS_QOS_KEEP_ALL;
    q.max_samples = 0;
    ts_qos_writer *w = writer_at(e, WRITER, q, 10);
    ts_qos_reader *r = reader_at(e, READER, q, e->g);
    ts_qos_connect(w, r, NULL);
    for (int i = 0; i < 300; i++)
        assert_int_equal(ts_qos_writer_write(w, -1, NULL), TS_OK);
    ts_qos_writer_stats ws;
    ts_qos_writer_get_stats(w, &ws);
    assert_int_equal(ws.history, 300);
    /* KEEP_ALL with max_samples but best-effort readers only: sent is done. */
    ts_qos bq = profile("best_effort");
    bq.history = TS_QOS_KEEP_ALL;
    bq.max_samples = 2;
    ts_qos_writer_desc wd = {TOPIC + 1, NULL, WRITER, bq, 10, 0};
    ts_qos_reader_desc rd = {TOPIC + 1, NULL, READER, profile("best_effort"), NULL, NULL};
    ts_qos_writer *bw;
    ts_qos_reader *br;
    ts_qos_writer_new(e->d, &wd, &bw, NULL);
    ts_qos_reader_new(e->d, &rd, &br, NULL);
    ts_qos_connect(bw, br, NULL);
    for (int i = 0; i < 10; i++)
        assert_int_equal(ts_qos_writer_write(bw, -1, NULL), TS_OK);
    assert_int_equal(fake_runtime_count(e->f, "write_rejected"), 0);
}

/* ---- durability -------------------------------------------------------- */

static void test_transient_local_late_joiner(void **state)
{
    env *e = *state;
    ts_qos wq = profile("standard");
    wq.durability = TS_QOS_TRANSIENT_LOCAL;
    wq.depth = 3;
    ts_qos_writer *w = writer_at(e, WRITER, wq, 100);
    for (int i = 1; i <= 5; i++) {
        fake_runtime_run(e->f, i * 10 * MS);
        ts_qos_writer_write(w, -1, NULL);
    }
    fake_runtime_run(e->f, 100 * MS);
    ts_qos rq = profile("standard");
    rq.durability = TS_QOS_TRANSIENT_LOCAL;
    ts_qos_reader *late = reader_at(e, READER, rq, e->g);
    assert_int_equal(ts_qos_connect(w, late, NULL), 1);
    /* A TRANSIENT_LOCAL reader of depth 2 gets only the last 2. */
    rq.depth = 2;
    ts_qos_reader *small = reader_at(e, READER2, rq, e->g2);
    assert_int_equal(ts_qos_connect(w, small, NULL), 1);
    fake_runtime_run(e->f, 200 * MS);
    const uint64_t want[] = {3, 4, 5};
    expect_seqs(e->g, want, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(e->g->s[i].arrival, 101 * MS);
        assert_int_equal(e->g->s[i].stamp, (i + 3) * 10 * MS);
    }
    const uint64_t want2[] = {4, 5};
    expect_seqs(e->g2, want2, 2);
    /* A VOLATILE late joiner gets nothing old, then the next write. */
    got *g3 = calloc(1, sizeof *g3);
    ts_qos_reader_desc rd = {TOPIC, NULL, 5, profile("standard"), on_sample, g3};
    ts_qos_reader *vol;
    ts_qos_reader_new(e->d, &rd, &vol, NULL);
    assert_int_equal(ts_qos_connect(w, vol, NULL), 1);
    fake_runtime_run(e->f, 300 * MS);
    assert_int_equal(g3->n, 0);
    ts_qos_writer_write(w, -1, NULL);
    fake_runtime_run(e->f, 400 * MS);
    assert_int_equal(g3->n, 1);
    assert_int_equal(g3->s[0].seq, 6);
    assert_int_equal(e->g->n, 4);
    assert_int_equal(e->g->s[3].seq, 6);
    assert_int_equal(fake_runtime_count(e->f, "samples_lost"), 0);
    free(g3);
}

static void test_transient_local_replay_survives_loss(void **state)
{
    env *e = *state;
    ts_qos q = profile("standard");
    q.durability = TS_QOS_TRANSIENT_LOCAL;
    ts_qos_writer *w = writer_at(e, WRITER, q, 100);
    for (int i = 0; i < 6; i++)
        ts_qos_writer_write(w, -1, NULL);
    fake_runtime_run(e->f, 50 * MS);
    e->loss.lo = 2; /* two replayed samples lost once each */
    e->loss.hi = 3;
    e->loss.once = 1;
    ts_qos_reader *r = reader_at(e, READER, q, e->g);
    ts_qos_connect(w, r, NULL);
    fake_runtime_run(e->f, 1000 * MS);
    expect_all_in_order(e->g, 6);
}

/* ---- lifespan ------------------------------------------------------------- */

static void test_lifespan_expired_on_arrival(void **state)
{
    env *e = *state;
    e->f->latency_ns = 10 * MS;
    ts_qos q = profile("best_effort");
    q.lifespan_ns = 5 * MS;
    ts_qos_writer *w = writer_at(e, WRITER, q, 100);
    ts_qos_reader *r = reader_at(e, READER, profile("best_effort"), e->g);
    ts_qos_connect(w, r, NULL);
    pub p;
    pub_start(&p, e->f, w, 10 * MS, 10 * MS, 5);
    fake_runtime_run(e->f, 500 * MS);
    assert_int_equal(e->g->n, 0);
    assert_int_equal(fake_runtime_count(e->f, "sample_expired"), 5);
    const fake_record *rec = fake_runtime_find(e->f, "sample_expired", 0);
    assert_int_equal(rec->time, 20 * MS);
    assert_int_equal(rec->value, 1);
    assert_int_equal(rec->component, READER);
    ts_qos_reader_stats rs;
    ts_qos_reader_get_stats(r, &rs);
    assert_int_equal(rs.expired, 5);
    assert_int_equal(rs.lost, 0);
}

static void test_lifespan_not_retransmitted(void **state)
{
    env *e = *state;
    e->loss.lo = e->loss.hi = 2; /* seq 2's first transmission */
    e->loss.once = 1;
    ts_qos q = profile("standard");
    q.lifespan_ns = 8 * MS;
    ts_qos_writer *w = writer_at(e, WRITER, q, 100);
    ts_qos_reader *r = reader_at(e, READER, profile("standard"), e->g);
    ts_qos_connect(w, r, NULL);
    pub p;
    pub_start(&p, e->f, w, 10 * MS, 10 * MS, 4);
    fake_runtime_run(e->f, 1000 * MS);
    /* 3 arrives at 31 ms and NACKs 2; at 32 ms seq 2 is 12 ms old, past its
     * 8 ms lifespan: the writer sends a heartbeat instead and the reader
     * gives 2 up at 33 ms as expired. */
    const uint64_t want[] = {1, 3, 4};
    expect_seqs(e->g, want, 3);
    assert_int_equal(e->g->s[1].delivered, 33 * MS);
    assert_int_equal(fake_runtime_count(e->f, "sample_expired"), 1);
    const fake_record *rec = fake_runtime_find(e->f, "sample_expired", 0);
    assert_int_equal(rec->time, 33 * MS);
    assert_int_equal(rec->value, 1);
    assert_int_equal(fake_runtime_count(e->f, "samples_lost"), 0);
    ts_qos_writer_stats ws;
    ts_qos_writer_get_stats(w, &ws);
    assert_int_equal(ws.retransmitted, 0);
}

static void test_lifespan_expires_while_waiting(void **state)
{
    env *e = *state;
    e->loss.lo = e->loss.hi = 2;
    e->loss.once = 1;
    ts_qos q = profile("standard");
    q.lifespan_ns = 12 * MS;
    ts_qos_writer *w = writer_at(e, WRITER, q, 100);
    ts_qos_reader *r = reader_at(e, READER, profile("standard"), e->g);
    ts_qos_connect(w, r, NULL);
    /* Seq 2 lost; seq 3 written 1 ms later, then 3 arrives and waits. The
     * retransmitted 2 arrives at 14 ms (age 3: delivered); 3 is 1 ms old. */
    fake_runtime_run(e->f, 10 * MS);
    ts_qos_writer_write(w, -1, NULL);
    ts_qos_writer_write(w, -1, NULL);
    fake_runtime_run(e->f, 11 * MS);
    ts_qos_writer_write(w, INT64_C(0), NULL); /* stamped at 0: 12 ms old at 12 */
    fake_runtime_run(e->f, 1000 * MS);
    /* 3 (stamp 0) arrives at 12 ms, waits for 2, which comes back at 14 ms;
     * by then 3 is 14 ms old and is dropped at delivery. */
    const uint64_t want[] = {1, 2};
    expect_seqs(e->g, want, 2);
    assert_int_equal(fake_runtime_count(e->f, "sample_expired"), 1);
    assert_int_equal(fake_runtime_find(e->f, "sample_expired", 0)->time, 14 * MS);
}

/* ---- deadline --------------------------------------------------------------- */

static void test_deadline_missed_both_sides(void **state)
{
    env *e = *state;
    ts_qos q = profile("standard");
    q.deadline_ns = 10 * MS;
    ts_qos_writer *w = writer_at(e, WRITER, q, 100);
    ts_qos_reader *r = reader_at(e, READER, q, e->g);
    ts_qos_connect(w, r, NULL);
    for (int t = 5; t <= 15; t += 5) {
        fake_runtime_run(e->f, t * MS);
        ts_qos_writer_write(w, -1, NULL);
    }
    fake_runtime_run(e->f, 50 * MS);
    /* Last write at 15 ms: the writer misses just after 25, 35, 45 ms;
     * last delivery at 16 ms: the reader just after 26, 36, 46 ms. */
    assert_int_equal(fake_runtime_count(e->f, "offered_deadline_missed"), 3);
    assert_int_equal(fake_runtime_count(e->f, "requested_deadline_missed"), 3);
    for (size_t i = 0; i < 3; i++) {
        const fake_record *o = fake_runtime_find(e->f, "offered_deadline_missed", i);
        const fake_record *q2 = fake_runtime_find(e->f, "requested_deadline_missed", i);
        assert_int_equal(o->time, (int64_t)(25 + 10 * i) * MS + 1);
        assert_int_equal(q2->time, (int64_t)(26 + 10 * i) * MS + 1);
        assert_int_equal(o->value, i + 1);
        assert_int_equal(o->component, WRITER);
        assert_int_equal(q2->component, READER);
    }
    /* Writing again resets both clocks. */
    ts_qos_writer_write(w, -1, NULL);
    fake_runtime_run(e->f, 60 * MS);
    assert_int_equal(fake_runtime_count(e->f, "offered_deadline_missed"), 3);
    fake_runtime_run(e->f, 60 * MS + 1);
    assert_int_equal(fake_runtime_count(e->f, "offered_deadline_missed"), 4);
    assert_int_equal(fake_runtime_find(e->f, "offered_deadline_missed", 3)->time, 60 * MS + 1);
    fake_runtime_run(e->f, 61 * MS);
    assert_int_equal(fake_runtime_count(e->f, "requested_deadline_missed"), 3);
    fake_runtime_run(e->f, 61 * MS + 1);
    assert_int_equal(fake_runtime_count(e->f, "requested_deadline_missed"), 4);
}

static void test_deadline_reader_never_fed_and_writer_never_written(void **state)
{
    env *e = *state;
    ts_qos q = profile("standard");
    q.deadline_ns = 10 * MS;
    ts_qos_writer *w = writer_at(e, WRITER, q, 100);
    fake_runtime_run(e->f, 3 * MS);
    ts_qos_reader *r = reader_at(e, READER, q, e->g);
    ts_qos_connect(w, r, NULL);
    fake_runtime_run(e->f, 30 * MS);
    /* The writer's clock starts at its first write; the reader's at its
     * match (3 ms). */
    assert_int_equal(fake_runtime_count(e->f, "offered_deadline_missed"), 0);
    assert_int_equal(fake_runtime_count(e->f, "requested_deadline_missed"), 2);
    assert_int_equal(fake_runtime_find(e->f, "requested_deadline_missed", 0)->time, 13 * MS + 1);
    assert_int_equal(fake_runtime_find(e->f, "requested_deadline_missed", 1)->time, 23 * MS + 1);
}

static void test_deadline_silent_while_dead(void **state)
{
    env *e = *state;
    ts_qos q = profile("standard");
    q.deadline_ns = 10 * MS;
    ts_qos_writer *w = writer_at(e, WRITER, q, 100);
    ts_qos_writer_write(w, -1, NULL);
    fake_runtime_run(e->f, 5 * MS);
    e->f->component_alive[WRITER] = 0;
    fake_runtime_run(e->f, 100 * MS);
    assert_int_equal(fake_runtime_count(e->f, "offered_deadline_missed"), 0);
    /* While dead the checks fall 1 ns after each 10 ms. Back after the
     * one at 100 ms + 1 ns: misses from just after 110 ms on. */
    fake_runtime_run(e->f, 100 * MS + 1);
    assert_int_equal(fake_runtime_count(e->f, "offered_deadline_missed"), 0);
    e->f->component_alive[WRITER] = 1;
    fake_runtime_run(e->f, 120 * MS + 1);
    assert_int_equal(fake_runtime_count(e->f, "offered_deadline_missed"), 2);
    assert_int_equal(fake_runtime_find(e->f, "offered_deadline_missed", 0)->time, 110 * MS + 1);
    assert_int_equal(fake_runtime_find(e->f, "offered_deadline_missed", 1)->time, 120 * MS + 1);
}

/* 100 Hz under a 10 ms deadline (the real_time profile's): every gap is
 * exactly the deadline, which meets it on both sides; a sample 1 ns late
 * misses it, at that very nanosecond. */
static void test_deadline_exact_period_meets(void **state)
{
    env *e = *state;
    ts_qos q = profile("real_time");
    assert_int_equal(q.deadline_ns, 10 * MS);
    ts_qos_writer *w = writer_at(e, WRITER, q, 100);
    ts_qos_reader *r = reader_at(e, READER, q, e->g);
    ts_qos_connect(w, r, NULL);
    for (int k = 0; k <= 100; k++) {
        fake_runtime_run(e->f, k * 10 * MS);
        ts_qos_writer_write(w, -1, NULL);
    }
    /* Last write at 1000 ms, delivered 1 ms later. */
    fake_runtime_run(e->f, 1010 * MS);
    assert_int_equal(fake_runtime_count(e->f, "offered_deadline_missed"), 0);
    fake_runtime_run(e->f, 1011 * MS);
    assert_int_equal(fake_runtime_count(e->f, "requested_deadline_missed"), 0);
    assert_int_equal(fake_runtime_count(e->f, "offered_deadline_missed"), 1);
    assert_int_equal(fake_runtime_find(e->f, "offered_deadline_missed", 0)->time,
                     1010 * MS + 1);
    fake_runtime_run(e->f, 1011 * MS + 1);
    assert_int_equal(fake_runtime_count(e->f, "requested_deadline_missed"), 1);
    assert_int_equal(fake_runtime_find(e->f, "requested_deadline_missed", 0)->time,
                     1011 * MS + 1);
}

/* A write 1 ns past the deadline comes after the miss it could not
 * prevent; the next period starts at the missed deadline. */
static void test_deadline_one_ns_late_misses(void **state)
{
    env *e = *state;
    ts_qos q = profile("standard");
    q.deadline_ns = 10 * MS;
    ts_qos_writer *w = writer_at(e, WRITER, q, 100);
    ts_qos_writer_write(w, -1, NULL);
    fake_runtime_run(e->f, 10 * MS + 1);
    assert_int_equal(fake_runtime_count(e->f, "offered_deadline_missed"), 1);
    assert_int_equal(fake_runtime_find(e->f, "offered_deadline_missed", 0)->time, 10 * MS + 1);
    ts_qos_writer_write(w, -1, NULL);
    /* Written at 10 ms + 1 ns: met through 20 ms + 1 ns. */
    fake_runtime_run(e->f, 20 * MS + 1);
    assert_int_equal(fake_runtime_count(e->f, "offered_deadline_missed"), 1);
    fake_runtime_run(e->f, 20 * MS + 2);
    assert_int_equal(fake_runtime_count(e->f, "offered_deadline_missed"), 2);
}

/* ---- liveliness ------------------------------------------------------------- */

static void test_liveliness_automatic(void **state)
{
    env *e = *state;
    ts_qos q = profile("standard");
    q.lease_ns = 30 * MS;
    ts_qos_writer *w = writer_at(e, WRITER, q, 100);
    ts_qos_reader *r = reader_at(e, READER, q, e->g);
    ts_qos_connect(w, r, NULL);
    /* Assertions every 10 ms keep it alive without writes. */
    fake_runtime_run(e->f, 45 * MS);
    assert_int_equal(fake_runtime_sent(e->f, TS_PORT_TOPIC, TS_QOS_MSG_LIVELINESS), 4);
    e->f->component_alive[WRITER] = 0; /* the process dies */
    fake_runtime_run(e->f, 95 * MS);
    assert_int_equal(fake_runtime_count(e->f, "liveliness_lost"), 1);
    const fake_record *lost = fake_runtime_find(e->f, "liveliness_lost", 0);
    assert_int_equal(lost->time, 71 * MS); /* last assertion heard at 41 ms */
    assert_int_equal(lost->value, 30 * MS);
    assert_int_equal(lost->component, READER);
    assert_non_null(strstr(lost->detail, "writer 1"));
    e->f->component_alive[WRITER] = 1;
    fake_runtime_run(e->f, 200 * MS);
    assert_int_equal(fake_runtime_count(e->f, "liveliness_regained"), 1);
    const fake_record *back = fake_runtime_find(e->f, "liveliness_regained", 0);
    assert_int_equal(back->time, 101 * MS); /* asserted at 100 ms */
    assert_int_equal(back->value, 30 * MS);
    assert_int_equal(fake_runtime_count(e->f, "liveliness_lost"), 1);
    /* Writes count as assertions: no liveliness messages while writing. */
    size_t before = fake_runtime_sent(e->f, TS_PORT_TOPIC, TS_QOS_MSG_LIVELINESS);
    pub p;
    pub_start(&p, e->f, w, 205 * MS, 5 * MS, 20);
    fake_runtime_run(e->f, 300 * MS);
    assert_int_equal(fake_runtime_sent(e->f, TS_PORT_TOPIC, TS_QOS_MSG_LIVELINESS), before);
}

static void test_liveliness_manual_by_topic(void **state)
{
    env *e = *state;
    e->loss.kind = TS_QOS_MSG_ACKNACK; /* the writer keeps heartbeating */
    ts_qos q = profile("standard");
    q.liveliness = TS_QOS_MANUAL_BY_TOPIC;
    q.lease_ns = 30 * MS;
    ts_qos_writer_desc wd = {TOPIC, "odom", WRITER, q, 10, 5 * MS};
    ts_qos_writer *w;
    ts_qos_writer_new(e->d, &wd, &w, NULL);
    ts_qos_reader *r = reader_at(e, READER, q, e->g);
    ts_qos_connect(w, r, NULL);
    fake_runtime_run(e->f, 10 * MS);
    ts_qos_writer_write(w, -1, NULL);
    fake_runtime_run(e->f, 20 * MS);
    ts_qos_writer_write(w, -1, NULL);
    fake_runtime_run(e->f, 59 * MS);
    /* Heartbeats kept flowing but do not assert a manual writer: lost 30 ms
     * after the last write was heard (21 ms). */
    assert_true(fake_runtime_sent(e->f, TS_PORT_TOPIC, TS_QOS_MSG_HEARTBEAT) >= 6);
    assert_int_equal(fake_runtime_sent(e->f, TS_PORT_TOPIC, TS_QOS_MSG_LIVELINESS), 0);
    assert_int_equal(fake_runtime_count(e->f, "liveliness_lost"), 1);
    assert_int_equal(fake_runtime_find(e->f, "liveliness_lost", 0)->time, 51 * MS);
    fake_runtime_run(e->f, 60 * MS);
    assert_int_equal(ts_qos_writer_assert_liveliness(w), TS_OK);
    fake_runtime_run(e->f, 100 * MS);
    assert_int_equal(fake_runtime_count(e->f, "liveliness_regained"), 1);
    const fake_record *back = fake_runtime_find(e->f, "liveliness_regained", 0);
    assert_int_equal(back->time, 61 * MS);
    assert_int_equal(back->value, 10 * MS);
    /* Lost again 30 ms after the assertion. */
    assert_int_equal(fake_runtime_count(e->f, "liveliness_lost"), 2);
    assert_int_equal(fake_runtime_find(e->f, "liveliness_lost", 1)->time, 91 * MS);
}

/* ---- several writers, allocation -------------------------------------------- */

static void test_two_writers_one_reader(void **state)
{
    env *e = *state;
    e->loss.nth = 5;
    ts_qos_writer *a = writer_at(e, WRITER, profile("standard"), 10);
    ts_qos_writer *b = writer_at(e, WRITER2, profile("standard"), 10);
    ts_qos_reader *r = reader_at(e, READER, profile("standard"), e->g);
    ts_qos_connect(a, r, NULL);
    ts_qos_connect(b, r, NULL);
    pub pa, pb;
    pub_start(&pa, e->f, a, 10 * MS, 10 * MS, 20);
    pub_start(&pb, e->f, b, 15 * MS, 10 * MS, 20);
    fake_runtime_run(e->f, 2000 * MS);
    assert_int_equal(e->g->n, 40);
    uint64_t next[2] = {1, 1};
    for (size_t i = 0; i < e->g->n; i++) {
        int k = e->g->s[i].writer == WRITER ? 0 : 1;
        assert_int_equal(e->g->s[i].seq, next[k]);
        next[k]++;
    }
    ts_qos_reader_stats rs;
    ts_qos_reader_get_stats(r, &rs);
    assert_int_equal(rs.matched, 2);
}

static void test_no_allocation_per_message(void **state)
{
    env *e = *state;
    e->loss.nth = 3;
    ts_qos q = profile("standard");
    q.lease_ns = 50 * MS;
    q.deadline_ns = 20 * MS;
    q.lifespan_ns = 500 * MS;
    ts_qos_writer *w = writer_at(e, WRITER, q, 100);
    ts_qos_reader *r = reader_at(e, READER, q, e->g);
    ts_qos_writer *bw = writer_at(e, WRITER2, profile("sensor_data"), 100);
    ts_qos_reader_desc rd = {TOPIC, NULL, READER2, profile("sensor_data"), NULL, NULL};
    ts_qos_reader *br;
    ts_qos_reader_new(e->d, &rd, &br, NULL);
    ts_qos_connect(w, r, NULL);
    ts_qos_connect(bw, br, NULL);
    pub p, pb;
    pub_start(&p, e->f, w, 10 * MS, 10 * MS, 2000);
    pub_start(&pb, e->f, bw, 10 * MS, 10 * MS, 2000);
    fake_runtime_run(e->f, 2000 * MS);
    long live = ts_alloc_live();
    size_t n0 = e->g->n;
    fake_runtime_run(e->f, 18000 * MS);
    assert_int_equal(ts_alloc_live(), live);
    assert_true(e->g->n - n0 >= 1500);
    fake_runtime_run(e->f, 30000 * MS);
    expect_all_in_order(e->g, 2000);
}

/* ---- reordering, duplicates, allocation failures ---------------------- */

static void test_reordering(void **state)
{
    env *e = *state;
    ts_qos_writer *rw = writer_at(e, WRITER, profile("standard"), 10);
    ts_qos_reader *rr = reader_at(e, READER, profile("standard"), e->g);
    ts_qos_connect(rw, rr, NULL);
    ts_qos_writer_desc bd = {TOPIC + 1, NULL, WRITER, profile("best_effort"), 10, 0};
    ts_qos_reader_desc brd = {TOPIC + 1, NULL, READER, profile("best_effort"), on_sample, e->g2};
    ts_qos_writer *bw;
    ts_qos_reader *br;
    ts_qos_writer_new(e->d, &bd, &bw, NULL);
    ts_qos_reader_new(e->d, &brd, &br, NULL);
    ts_qos_connect(bw, br, NULL);
    /* Seq 1 takes 5 ms, seq 2 only 1 ms: 2 overtakes 1. */
    e->f->latency_ns = 5 * MS;
    ts_qos_writer_write(rw, -1, NULL);
    ts_qos_writer_write(bw, -1, NULL);
    e->f->latency_ns = 1 * MS;
    ts_qos_writer_write(rw, -1, NULL);
    ts_qos_writer_write(bw, -1, NULL);
    fake_runtime_run(e->f, 1000 * MS);
    /* Reliable: 2 waits for 1; its NACK (sent at 1 ms) brings 1 back at
     * 3 ms, before the original at 5 ms, which is then a duplicate. */
    expect_all_in_order(e->g, 2);
    assert_int_equal(e->g->s[0].delivered, 3 * MS);
    assert_int_equal(e->g->s[1].arrival, 1 * MS);
    assert_int_equal(e->g->s[1].delivered, 3 * MS);
    ts_qos_reader_stats rs;
    ts_qos_reader_get_stats(rr, &rs);
    assert_int_equal(rs.duplicates, 1);
    assert_int_equal(rs.delivered, 2);
    /* Best effort never goes back: 2 delivered, 1 counted lost then dropped. */
    const uint64_t want[] = {2};
    expect_seqs(e->g2, want, 1);
    ts_qos_reader_get_stats(br, &rs);
    assert_int_equal(rs.dropped_late, 1);
    assert_int_equal(rs.lost, 1);
    const fake_record *rec = fake_runtime_find(e->f, "samples_lost", 0);
    assert_non_null(rec);
    assert_int_equal(rec->time, 1 * MS);
    assert_int_equal(rec->value, 1);
}

static void test_duplicate_heartbeats_and_acks(void **state)
{
    env *e = *state;
    ts_qos_writer_desc wd = {TOPIC, NULL, WRITER, profile("standard"), 10, 2 * MS};
    ts_qos_writer *w;
    ts_qos_writer_new(e->d, &wd, &w, NULL);
    ts_qos_reader *r = reader_at(e, READER, profile("standard"), e->g);
    ts_qos_connect(w, r, NULL);
    /* Connecting twice is a no-op; every seq is still delivered once. */
    assert_int_equal(ts_qos_connect(w, r, NULL), 1);
    e->loss.kind = TS_QOS_MSG_ACKNACK; /* heartbeats repeat until acked */
    for (int i = 0; i < 5; i++)
        ts_qos_writer_write(w, -1, NULL);
    fake_runtime_run(e->f, 20 * MS);
    e->loss.kind = 0;
    fake_runtime_run(e->f, 200 * MS);
    expect_all_in_order(e->g, 5);
    ts_qos_writer_stats ws;
    ts_qos_writer_get_stats(w, &ws);
    assert_int_equal(ws.matched, 1);
    assert_int_equal(ws.retransmitted, 0);
    assert_true(ws.heartbeats >= 9);
    size_t hb = fake_runtime_sent(e->f, TS_PORT_TOPIC, TS_QOS_MSG_HEARTBEAT);
    fake_runtime_run(e->f, 400 * MS);
    assert_int_equal(fake_runtime_sent(e->f, TS_PORT_TOPIC, TS_QOS_MSG_HEARTBEAT), hb);
}

/* Builds a small domain; any step may fail when an allocation does. */
static int build(fake_runtime *f, got *g, ts_qos_domain **out)
{
    int rc = ts_qos_domain_new(&f->rt, out, NULL);
    if (rc != TS_OK)
        return rc;
    int readers[3] = {READER, READER2, 5};
    ts_qos q = profile("standard");
    q.durability = TS_QOS_TRANSIENT_LOCAL;
    q.lease_ns = 30 * MS;
    ts_qos rq[3] = {q, q, q};
    ts_qos_topic_desc td = {TOPIC, "odom", WRITER, q, 10, 0, readers, rq, 3, on_sample, g};
    ts_qos_writer *w;
    rc = ts_qos_topic_new(*out, &td, &w, NULL, NULL);
    if (rc != TS_OK)
        return rc;
    for (int i = 0; i < 3; i++)
        if ((rc = ts_qos_writer_write(w, -1, NULL)) != TS_OK)
            return rc;
    td.topic = TOPIC + 1;
    td.writer = WRITER2;
    td.writer_qos.history = TS_QOS_KEEP_ALL;
    td.writer_qos.max_samples = 0;
    rc = ts_qos_topic_new(*out, &td, &w, NULL, NULL);
    if (rc != TS_OK)
        return rc;
    for (int i = 0; i < 100; i++)
        if ((rc = ts_qos_writer_write(w, -1, NULL)) != TS_OK)
            return rc;
    return TS_OK;
}

static void test_allocation_failures(void **state)
{
    env *e = *state;
    long base = ts_alloc_live();
    int ok = 0;
    for (long n = 1; n < 200 && !ok; n++) {
        fake_runtime *f = fake_runtime_new();
        long before = ts_alloc_live();
        ts_qos_domain *d = NULL;
        ts_alloc_fail_after(n);
        int rc = build(f, e->g, &d);
        ts_alloc_fail_after(0);
        if (rc == TS_OK)
            ok = 1;
        else
            assert_int_equal(rc, TS_ENOMEM);
        fake_runtime_run(f, 100 * MS);
        ts_qos_domain_free(d);
        assert_int_equal(ts_alloc_live(), before);
        fake_runtime_run(f, 1000 * MS);
        fake_runtime_free(f);
    }
    assert_true(ok);
    assert_int_equal(ts_alloc_live(), base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_incompatible_never_connects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_incompatible_each_policy_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_topic_new_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reliable_over_lossy_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reliable_burst_within_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_loss_recovered_by_heartbeat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_best_effort_loses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reliable_and_best_effort_readers_of_one_writer,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_last_outage_loses_all_but_depth, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_keep_last_reader_window_gives_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_all_rejects_when_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_all_unlimited_and_best_effort_never_block,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_transient_local_late_joiner, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transient_local_replay_survives_loss, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lifespan_expired_on_arrival, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lifespan_not_retransmitted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lifespan_expires_while_waiting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline_missed_both_sides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline_reader_never_fed_and_writer_never_written,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline_silent_while_dead, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline_exact_period_meets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline_one_ns_late_misses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_liveliness_automatic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_liveliness_manual_by_topic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_writers_one_reader, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_allocation_per_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reordering, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_heartbeats_and_acks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allocation_failures, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
