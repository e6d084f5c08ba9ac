/* Tests for src/engine/: event order, cancellation, clock, stop, pool growth,
 * the queue's arbitrary removal, allocation-free steady state, and the
 * per-entity random streams. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_statistics_double.h>

#include "toposim/alloc.h"
#include "toposim/error.h"
#include "toposim/sim.h"

/* ---- a log of executed events ---- */

typedef struct log {
    size_t n;
    size_t cap;
    uint64_t *args;
    ts_time *times;
} log_t;

static void log_init(log_t *l, size_t cap)
{
    l->n = 0;
    l->cap = cap;
    l->args = malloc(cap * sizeof *l->args);
    l->times = malloc(cap * sizeof *l->times);
    assert_non_null(l->args);
    assert_non_null(l->times);
}

static void log_fini(log_t *l)
{
    free(l->args);
    free(l->times);
}

static void record(ts_engine *e, void *ctx, uint64_t arg)
{
    log_t *l = ctx;
    assert_true(l->n < l->cap);
    l->args[l->n] = arg;
    l->times[l->n] = ts_engine_now(e);
    l->n++;
}

/* ---- order ---- */

static void test_time_order(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(8);
    assert_non_null(e);
    log_t l;
    log_init(&l, 16);
    static const ts_time at[] = {50, 10, 40, 20, 30};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(ts_engine_schedule(e, at[i], record, &l, i, NULL), TS_OK);
    assert_int_equal(ts_engine_pending(e), 5);
    assert_int_equal(ts_engine_run(e, 100), 5);
    /* args of 10, 20, 30, 40, 50 in that order */
    static const uint64_t want[] = {1, 3, 4, 2, 0};
    assert_int_equal(l.n, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(l.args[i], want[i]);
        assert_int_equal(l.times[i], (ts_time)(10 * (i + 1)));
    }
    assert_int_equal(ts_engine_executed(e), 5);
    assert_int_equal(ts_engine_pending(e), 0);
    log_fini(&l);
    ts_engine_free(e);
}

static void test_equal_times_insertion_order(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(4); /* also forces growth */
    log_t l;
    log_init(&l, 64);
    for (uint64_t i = 0; i < 50; i++)
        assert_int_equal(ts_engine_schedule(e, i % 2 ? 7 : 5, record, &l, i, NULL), TS_OK);
    assert_int_equal(ts_engine_run(e, 10), 50);
    /* the 25 even args at t=5 in ascending order, then the 25 odd at t=7 */
    for (size_t i = 0; i < 25; i++) {
        assert_int_equal(l.args[i], 2 * i);
        assert_int_equal(l.times[i], 5);
        assert_int_equal(l.args[25 + i], 2 * i + 1);
        assert_int_equal(l.times[25 + i], 7);
    }
    log_fini(&l);
    ts_engine_free(e);
}

/* ---- cancel ---- */

static void test_cancel_and_stale_handles(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    log_t l;
    log_init(&l, 16);
    ts_event_handle h[4];
    for (uint64_t i = 0; i < 4; i++)
        assert_int_equal(ts_engine_schedule(e, 10 * (ts_time)(i + 1), record, &l, i, &h[i]), TS_OK);
    assert_int_equal(ts_engine_cancel(e, h[1]), TS_OK);
    assert_int_equal(ts_engine_cancel(e, h[1]), TS_ENOENT); /* cancelled */
    assert_int_equal(ts_engine_pending(e), 3);

    /* The freed slot is reused at once (LIFO): the old handle must not
     * cancel the new event that now lives there. */
    ts_event_handle h5;
    assert_int_equal(ts_engine_schedule(e, 25, record, &l, 5, &h5), TS_OK);
    assert_int_equal((uint32_t)h5, (uint32_t)h[1]); /* same slot ... */
    assert_true(h5 != h[1]);                          /* ... new handle */
    assert_int_equal(ts_engine_cancel(e, h[1]), TS_ENOENT);
    assert_int_equal(ts_engine_pending(e), 4);

    assert_int_equal(ts_engine_run(e, 15), 1); /* runs arg 0 at t=10 */
    assert_int_equal(ts_engine_cancel(e, h[0]), TS_ENOENT); /* already ran */

    /* Handles that never named an event. */
    assert_int_equal(ts_engine_cancel(e, 0), TS_ENOENT);
    assert_int_equal(ts_engine_cancel(e, (uint64_t)1 << 32 | 9999u), TS_ENOENT);
    assert_int_equal(ts_engine_cancel(e, UINT64_MAX), TS_ENOENT);

    assert_int_equal(ts_engine_cancel(e, h[3]), TS_OK);
    assert_int_equal(ts_engine_run(e, 100), 2);
    static const uint64_t want[] = {0, 5, 2};
    assert_int_equal(l.n, 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(l.args[i], want[i]);
    log_fini(&l);
    ts_engine_free(e);
}

/* An action that cancels the event named by *ctx: cancelling a later event
 * from inside an action, and the running event's own handle is stale. */
typedef struct canceller {
    ts_event_handle victim;
    ts_event_handle self;
    int victim_rc;
    int self_rc;
} canceller;

static void cancel_action(ts_engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    canceller *c = ctx;
    c->victim_rc = ts_engine_cancel(e, c->victim);
    c->self_rc = ts_engine_cancel(e, c->self);
}

static void test_cancel_from_action(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    log_t l;
    log_init(&l, 4);
    canceller c;
    assert_int_equal(ts_engine_schedule(e, 20, record, &l, 1, &c.victim), TS_OK);
    assert_int_equal(ts_engine_schedule(e, 10, cancel_action, &c, 0, &c.self), TS_OK);
    assert_int_equal(ts_engine_run(e, 100), 1);
    assert_int_equal(c.victim_rc, TS_OK);
    assert_int_equal(c.self_rc, TS_ENOENT);
    assert_int_equal(l.n, 0);
    log_fini(&l);
    ts_engine_free(e);
}

/* ---- clock ---- */

static void test_past_is_einval(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    log_t l;
    log_init(&l, 4);
    assert_int_equal(ts_engine_run(e, 1000), 0);
    assert_int_equal(ts_engine_now(e), 1000);
    ts_event_handle h = 12345;
    assert_int_equal(ts_engine_schedule(e, 999, record, &l, 0, &h), TS_EINVAL);
    assert_int_equal(h, 12345); /* untouched on failure */
    assert_int_equal(ts_engine_schedule(e, -1, record, &l, 0, NULL), TS_EINVAL);
    assert_int_equal(ts_engine_schedule(e, 1000, NULL, &l, 0, NULL), TS_EINVAL);
    assert_int_equal(ts_engine_pending(e), 0);
    assert_int_equal(ts_engine_schedule(e, 1000, record, &l, 0, NULL), TS_OK);
    log_fini(&l);
    ts_engine_free(e);
}

static void test_run_until(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    log_t l;
    log_init(&l, 8);
    assert_int_equal(ts_engine_now(e), 0);
    for (uint64_t i = 0; i < 4; i++)
        assert_int_equal(ts_engine_schedule(e, 100 * (ts_time)(i + 1), record, &l, i, NULL), TS_OK);
    /* until is inclusive: the event at exactly 200 runs */
    assert_int_equal(ts_engine_run(e, 200), 2);
    assert_int_equal(ts_engine_now(e), 200);
    assert_int_equal(ts_engine_run(e, 250), 0);
    assert_int_equal(ts_engine_now(e), 250);
    /* the clock never runs backwards */
    assert_int_equal(ts_engine_run(e, 100), 0);
    assert_int_equal(ts_engine_now(e), 250);
    assert_int_equal(ts_engine_run(e, 5 * TS_S), 2);
    assert_int_equal(ts_engine_now(e), 5 * TS_S);
    assert_int_equal(l.times[3], 400);
    log_fini(&l);
    ts_engine_free(e);
}

/* ---- actions that schedule ---- */

typedef struct chain {
    log_t *log;
    int remaining;
} chain;

/* Logs itself, then schedules one event at the current time and one 10 ns
 * later; the one at the current time must run before the later one and
 * after everything already queued for now. */
static void chain_action(ts_engine *e, void *ctx, uint64_t arg)
{
    chain *c = ctx;
    record(e, c->log, arg);
    if (c->remaining-- <= 0)
        return;
    ts_time now = ts_engine_now(e);
    assert_int_equal(ts_engine_schedule(e, now, chain_action, c, arg * 10 + 1, NULL), TS_OK);
    assert_int_equal(ts_engine_schedule(e, now + 10, chain_action, c, arg * 10 + 2, NULL), TS_OK);
}

static void test_actions_schedule(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(2); /* growth from inside actions too */
    log_t l;
    log_init(&l, 64);
    chain c = {&l, 3};
    assert_int_equal(ts_engine_schedule(e, 0, chain_action, &c, 1, NULL), TS_OK);
    assert_int_equal(ts_engine_schedule(e, 0, record, &l, 99, NULL), TS_OK);
    assert_int_equal(ts_engine_run(e, 1000), 8);
    /* t=0: 1 (schedules 11@0, 12@10), 99, 11 (schedules 111@0, 112@10),
     * 111 (schedules 1111@0, 1112@10), 1111 (remaining exhausted);
     * t=10: 12, 112, 1112 in insertion order. */
    static const uint64_t want[] = {1, 99, 11, 111, 1111, 12, 112, 1112};
    static const ts_time when[] = {0, 0, 0, 0, 0, 10, 10, 10};
    assert_int_equal(l.n, 8);
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(l.args[i], want[i]);
        assert_int_equal(l.times[i], when[i]);
    }
    log_fini(&l);
    ts_engine_free(e);
}

/* ---- stop ---- */

static void stop_action(ts_engine *e, void *ctx, uint64_t arg)
{
    record(e, ctx, arg);
    ts_engine_stop(e);
}

static void test_stop(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    log_t l;
    log_init(&l, 8);
    assert_int_equal(ts_engine_schedule(e, 10, record, &l, 0, NULL), TS_OK);
    assert_int_equal(ts_engine_schedule(e, 20, stop_action, &l, 1, NULL), TS_OK);
    assert_int_equal(ts_engine_schedule(e, 20, record, &l, 2, NULL), TS_OK);
    assert_int_equal(ts_engine_schedule(e, 30, record, &l, 3, NULL), TS_OK);
    assert_int_equal(ts_engine_run(e, 1000), 2);
    assert_int_equal(ts_engine_now(e), 20); /* the stop time, not until */
    assert_int_equal(ts_engine_pending(e), 2);
    /* a new run carries on where the stopped one left off */
    assert_int_equal(ts_engine_run(e, 1000), 2);
    assert_int_equal(ts_engine_now(e), 1000);
    static const uint64_t want[] = {0, 1, 2, 3};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(l.args[i], want[i]);
    log_fini(&l);
    ts_engine_free(e);
}

/* ---- poll ---- */

static void reschedule(ts_engine *e, void *ctx, uint64_t arg)
{
    (void)ctx;
    ts_engine_schedule(e, ts_engine_now(e) + 1, reschedule, NULL, arg, NULL);
}

typedef struct poll_log {
    int calls;
    uint64_t executed[4];
    int stop_at;            /* the call that asks to stop */
} poll_log;

static int poll_fn(void *ctx, const ts_engine *e)
{
    poll_log *p = ctx;
    if (p->calls < 4)
        p->executed[p->calls] = ts_engine_executed(e);
    return ++p->calls == p->stop_at;
}

/* The poll runs between actions every 8192 events, and its nonzero
 * answer stops the run as ts_engine_stop does; no poll, no stop. */
static void test_poll(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    poll_log p = {0, {0}, 3};
    ts_engine_set_poll(e, poll_fn, &p);
    assert_int_equal(ts_engine_schedule(e, 0, reschedule, NULL, 0, NULL), TS_OK);
    assert_int_equal(ts_engine_run(e, 100000), 3 * 8192);
    assert_int_equal(p.calls, 3);
    assert_int_equal(p.executed[0], 8192);
    assert_int_equal(p.executed[1], 2 * 8192);
    assert_int_equal(ts_engine_now(e), 3 * 8192 - 1);
    /* carries on; without a poll it runs to the end */
    ts_engine_set_poll(e, NULL, NULL);
    assert_int_equal(ts_engine_run(e, 100000), 100000 - 3 * 8192 + 1);
    assert_int_equal(ts_engine_now(e), 100000);
    ts_engine_free(e);
}

/* An action that tries to re-enter run: refused, the outer run goes on. */
static void nested_run_action(ts_engine *e, void *ctx, uint64_t arg)
{
    uint64_t *inner = ctx;
    *inner = ts_engine_run(e, TS_TIME_MAX);
    (void)arg;
}

static void test_nested_run_refused(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    log_t l;
    log_init(&l, 4);
    uint64_t inner = 12345;
    assert_int_equal(ts_engine_schedule(e, 10, nested_run_action, &inner, 0, NULL), TS_OK);
    assert_int_equal(ts_engine_schedule(e, 20, record, &l, 1, NULL), TS_OK);
    assert_int_equal(ts_engine_run(e, 100), 2);
    assert_int_equal(inner, 0);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.times[0], 20);
    assert_int_equal(ts_engine_now(e), 100);
    log_fini(&l);
    ts_engine_free(e);
}

/* ---- pool growth ---- */

static int cmp_time(const void *a, const void *b)
{
    ts_time x = *(const ts_time *)a, y = *(const ts_time *)b;
    return (x > y) - (x < y);
}

static void test_growth_keeps_order(void **state)
{
    (void)state;
    enum { N = 100000 };
    ts_engine *e = ts_engine_new(64);
    log_t l;
    log_init(&l, N);
    ts_time *sorted = malloc(N * sizeof *sorted);
    assert_non_null(sorted);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    for (uint64_t i = 0; i < N; i++) {
        /* few distinct times, so many ties must keep insertion order */
        ts_time t = (ts_time)gsl_rng_uniform_int(r, 5000);
        sorted[i] = t;
        assert_int_equal(ts_engine_schedule(e, t, record, &l, i, NULL), TS_OK);
    }
    qsort(sorted, N, sizeof *sorted, cmp_time);
    assert_int_equal(ts_engine_pending(e), N);
    assert_int_equal(ts_engine_run(e, TS_S), N);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(l.times[i], sorted[i]);
        if (i > 0 && l.times[i] == l.times[i - 1])
            assert_true(l.args[i] > l.args[i - 1]);
    }
    gsl_rng_free(r);
    free(sorted);
    log_fini(&l);
    ts_engine_free(e);
}

/* ---- allocation behaviour ---- */

static void hold_action(ts_engine *e, void *ctx, uint64_t arg)
{
    gsl_rng *r = ctx;
    ts_time step = 1 + (ts_time)gsl_rng_uniform_int(r, 2000);
    ts_event_handle h;
    /* schedule, cancel, reschedule: exercise every hot-path function */
    assert_int_equal(ts_engine_schedule(e, ts_engine_now(e) + step, hold_action, r, arg, &h), TS_OK);
    if (arg % 3 == 0) {
        assert_int_equal(ts_engine_cancel(e, h), TS_OK);
        assert_int_equal(ts_engine_schedule(e, ts_engine_now(e) + step, hold_action, r, arg, NULL), TS_OK);
    }
}

static void test_steady_state_no_alloc(void **state)
{
    (void)state;
    enum { PENDING = 1000 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    ts_engine *e = ts_engine_new(16);
    for (uint64_t i = 0; i < PENDING; i++)
        assert_int_equal(ts_engine_schedule(e, (ts_time)gsl_rng_uniform_int(r, 2000), hold_action, r, i, NULL), TS_OK);
    /* warm-up: the pool has already grown to hold PENDING */
    ts_engine_run(e, 10000);
    long live = ts_alloc_live();
    /* Any allocation from here (even a realloc in place, which the live
     * count would miss) takes the armed failure and fails the schedule. */
    ts_alloc_fail_after(1);
    uint64_t ran = 0;
    for (int step = 0; step < 200; step++) {
        ran += ts_engine_run(e, ts_engine_now(e) + 1000);
        assert_int_equal(ts_alloc_live(), live);
    }
    /* the armed failure was never consumed */
    void *p = ts_malloc(1);
    ts_alloc_fail_after(0);
    assert_null(p);
    assert_true(ran > 100000);
    assert_int_equal(ts_engine_pending(e), PENDING);
    ts_engine_free(e);
    gsl_rng_free(r);
}

static void test_enomem_is_clean(void **state)
{
    (void)state;
    long live0 = ts_alloc_live();
    /* engine creation failing at each of its allocations leaks nothing */
    for (long n = 1; n <= 8; n++) {
        ts_alloc_fail_after(n);
        ts_engine *e = ts_engine_new(16);
        ts_alloc_fail_after(0);
        if (e)
            ts_engine_free(e);
        assert_int_equal(ts_alloc_live(), live0);
    }
    /* growth failing at each of its allocations leaves the engine usable */
    ts_engine *e = ts_engine_new(16);
    assert_non_null(e);
    log_t l;
    log_init(&l, 64);
    uint64_t next = 0;
    for (; next < 16; next++)
        assert_int_equal(ts_engine_schedule(e, 100 - (ts_time)next, record, &l, next, NULL), TS_OK);
    int failures = 0;
    for (long n = 1; n <= 4; n++) {
        ts_alloc_fail_after(n);
        size_t before = ts_engine_pending(e);
        int rc = ts_engine_schedule(e, 100 - (ts_time)next, record, &l, next, NULL);
        ts_alloc_fail_after(0);
        if (rc == TS_ENOMEM) {
            failures++;
            assert_int_equal(ts_engine_pending(e), before);
        } else {
            assert_int_equal(rc, TS_OK);
            next++;
        }
    }
    assert_true(failures >= 1);
    for (uint64_t k = 0; k < 20; k++, next++)
        assert_int_equal(ts_engine_schedule(e, 100 - (ts_time)next, record, &l, next, NULL), TS_OK);
    assert_int_equal(ts_engine_run(e, 1000), next);
    for (size_t i = 1; i < l.n; i++)
        assert_true(l.times[i] > l.times[i - 1]);
    log_fini(&l);
    ts_engine_free(e);
    assert_int_equal(ts_alloc_live(), live0);
}

/* ---- the queue on its own ---- */

static void test_queue_remove_keeps_order(void **state)
{
    (void)state;
    enum { N = 5000 };
    ts_queue *q = ts_queue_new(8); /* grows past its capacity */
    assert_non_null(q);
    assert_int_equal(ts_queue_peek_time(q), TS_TIME_MAX);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    static ts_time time_of[N];
    static int queued[N];
    for (uint32_t id = 0; id < N; id++) {
        time_of[id] = (ts_time)gsl_rng_uniform_int(r, 1000);
        ts_queue_key k = {time_of[id], id};
        assert_int_equal(ts_queue_push(q, id, k), TS_OK);
        queued[id] = 1;
    }
    assert_int_equal(ts_queue_push(q, 17, (ts_queue_key){0, N}), TS_EINVAL);
    /* remove a random half */
    size_t left = N;
    for (int i = 0; i < N; i++) {
        uint32_t id = (uint32_t)gsl_rng_uniform_int(r, N);
        int rc = ts_queue_remove(q, id);
        assert_int_equal(rc, queued[id] ? TS_OK : TS_ENOENT);
        if (queued[id]) {
            queued[id] = 0;
            left--;
        }
    }
    assert_int_equal(ts_queue_remove(q, N + 100), TS_ENOENT);
    assert_int_equal(ts_queue_size(q), left);
    /* pops come out in (time, id) order and are exactly the survivors */
    ts_time last_t = -1;
    uint64_t last_seq = 0;
    size_t popped = 0;
    while (ts_queue_size(q) > 0) {
        ts_time peek = ts_queue_peek_time(q);
        uint32_t peek_id = ts__queue_peek_id(q);
        ts_queue_key k;
        uint32_t id = ts_queue_pop(q, &k);
        assert_int_equal(id, peek_id);
        assert_int_equal(k.time, peek);
        assert_int_equal(k.time, time_of[id]);
        assert_int_equal(k.seq, id);
        assert_true(queued[id]);
        queued[id] = 0;
        assert_true(k.time > last_t || (k.time == last_t && k.seq > last_seq));
        last_t = k.time;
        last_seq = k.seq;
        popped++;
        assert_int_equal(ts_queue_remove(q, id), TS_ENOENT);
    }
    assert_int_equal(popped, left);
    assert_int_equal(ts_queue_peek_time(q), TS_TIME_MAX);
    assert_int_equal(ts__queue_peek_id(q), UINT32_MAX);
    /* an id can be queued again after it left */
    assert_int_equal(ts_queue_push(q, 42, (ts_queue_key){5, 1}), TS_OK);
    assert_int_equal(ts_queue_size(q), 1);
    gsl_rng_free(r);
    ts_queue_free(q);
}

/* ---- random streams ---- */

static void test_seed_for(void **state)
{
    (void)state;
    /* Pinned values (computed independently from the published FNV-1a-64
     * and splitmix64 definitions): traces depend on them never changing. */
    assert_true(ts_rng_seed_for(0, "") == 0x5b21f68ffa77f14cu);
    assert_true(ts_rng_seed_for(42, "robot1/jetson") == 0x576afaa33a9f81eau);
    assert_true(ts_rng_seed_for(42, "robot2/jetson") == 0xf904ced8613e5a11u);
    assert_true(ts_rng_seed_for(1, "robot1/jetson") == 0xbd12d625993077cau);
    /* deterministic */
    assert_true(ts_rng_seed_for(42, "robot1/jetson") == ts_rng_seed_for(42, "robot1/jetson"));
    /* differs across names and seeds */
    static const char *names[] = {"a", "b", "ab", "ba", "robot1", "robot10",
                                  "robot1/cam", "robot1/lidar", ""};
    enum { NN = sizeof names / sizeof *names };
    uint64_t s[3][NN];
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < NN; i++)
            s[k][i] = ts_rng_seed_for((uint64_t)k, names[i]);
    for (int a = 0; a < 3 * NN; a++)
        for (int b = a + 1; b < 3 * NN; b++)
            assert_true(s[a / NN][a % NN] != s[b / NN][b % NN]);
}

/* taus2 written out from its published recurrence (L'Ecuyer 1996; GSL
 * manual, "Random number generator algorithms"), the ground truth for the
 * stream ts_rng_new must produce. */
typedef struct ref_taus {
    uint32_t s1, s2, s3;
} ref_taus;

static uint32_t ref_taus_next(ref_taus *t)
{
    t->s1 = ((t->s1 & 4294967294u) << 12) ^ (((t->s1 << 13) ^ t->s1) >> 19);
    t->s2 = ((t->s2 & 4294967288u) << 4) ^ (((t->s2 << 2) ^ t->s2) >> 25);
    t->s3 = ((t->s3 & 4294967280u) << 17) ^ (((t->s3 << 3) ^ t->s3) >> 11);
    return t->s1 ^ t->s2 ^ t->s3;
}

static uint64_t ref_splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

static void test_rng_streams(void **state)
{
    (void)state;
    /* The stream is taus2 whose three words are the 64-bit seed's halves
     * and the low half of its splitmix64 image, warmed up by six draws. */
    gsl_rng *got = ts_rng_new(42, "robot1/jetson");
    assert_non_null(got);
    assert_string_equal(gsl_rng_name(got), "taus2");
    assert_true(gsl_rng_size(got) <= 4 * sizeof(unsigned long)); /* a few words */
    uint64_t s = 0x576afaa33a9f81eau; /* ts_rng_seed_for(42, "robot1/jetson") */
    ref_taus want = {(uint32_t)s, (uint32_t)(s >> 32), (uint32_t)ref_splitmix64(s)};
    for (int i = 0; i < 6; i++)
        (void)ref_taus_next(&want);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(gsl_rng_get(got), ref_taus_next(&want));
    gsl_rng_free(got);

    /* Deterministic: two streams of one name and seed draw alike. */
    gsl_rng *a = ts_rng_new(42, "robot1/jetson");
    gsl_rng *b = ts_rng_new(42, "robot1/jetson");
    for (int i = 0; i < 10000; i++)
        assert_int_equal(gsl_rng_get(a), gsl_rng_get(b)); /* deterministic */
    gsl_rng_free(a);
    gsl_rng_free(b);

    /* Adding an entity leaves another's draws alone: build a fleet of two,
     * then of three with the newcomer created first, and compare. */
    static const char *small[] = {"robot1", "robot2"};
    static const char *large[] = {"robot0", "robot1", "robot2"};
    unsigned long d_small[2][4], d_large[3][4];
    for (int i = 0; i < 2; i++) {
        gsl_rng *r = ts_rng_new(7, small[i]);
        for (int j = 0; j < 4; j++)
            d_small[i][j] = gsl_rng_get(r);
        gsl_rng_free(r);
    }
    for (int i = 0; i < 3; i++) {
        gsl_rng *r = ts_rng_new(7, large[i]);
        for (int j = 0; j < 4; j++)
            d_large[i][j] = gsl_rng_get(r);
        gsl_rng_free(r);
    }
    for (int j = 0; j < 4; j++) {
        assert_int_equal(d_small[0][j], d_large[1][j]);
        assert_int_equal(d_small[1][j], d_large[2][j]);
    }
    /* and different entities draw differently */
    assert_true(d_large[0][0] != d_large[1][0]);
    assert_true(d_large[1][0] != d_large[2][0]);
    /* a different scenario seed changes the stream */
    gsl_rng *other = ts_rng_new(8, "robot1");
    assert_true(gsl_rng_get(other) != d_small[0][0]);
    gsl_rng_free(other);
}

static const char *block_name(void *ctx, size_t i)
{
    return ((const char *const *)ctx)[i];
}

/* A block's streams draw exactly what separately made ones do, so a
 * fleet's traces do not depend on how its streams were allocated. */
static void test_rng_block(void **state)
{
    (void)state;
    static const char *const names[] = {"r0_pub", "r1_pub", "", "robot1/jetson", "r0_pub"};
    enum { N = sizeof names / sizeof names[0] };
    long live = ts_alloc_live();
    gsl_rng *block = ts_rng_block_new(42, N, block_name, (void *)names);
    assert_non_null(block);
    assert_int_equal(ts_alloc_live(), live + 1); /* one allocation */
    for (size_t i = 0; i < N; i++) {
        gsl_rng *one = ts_rng_new(42, names[i]);
        assert_string_equal(gsl_rng_name(&block[i]), "taus2");
        for (int k = 0; k < 1000; k++)
            assert_int_equal(gsl_rng_get(&block[i]), gsl_rng_get(one));
        /* the distributions read the same state too */
        assert_true(gsl_rng_uniform(&block[i]) == gsl_rng_uniform(one));
        gsl_rng_free(one);
    }
    /* streams of one block do not share state: the last repeats the first */
    gsl_rng *first = ts_rng_new(42, names[0]);
    for (int k = 0; k < 1001; k++)
        (void)gsl_rng_get(first);
    assert_int_equal(gsl_rng_get(first), gsl_rng_get(&block[4]));
    gsl_rng_free(first);
    ts_rng_block_free(block);
    /* an empty block is fine, and a failed allocation says so */
    block = ts_rng_block_new(1, 0, block_name, NULL);
    assert_non_null(block);
    ts_rng_block_free(block);
    ts_alloc_fail_after(1);
    assert_null(ts_rng_block_new(1, 2, block_name, (void *)names));
    ts_alloc_fail_after(0);
    assert_int_equal(ts_alloc_live(), live);
}

/* Distribution sanity of one stream and independence of two, with GSL's
 * statistics; every bound is about 5 standard errors, and the draws are
 * fixed by the seeds, so the test is deterministic. */
static void test_rng_quality(void **state)
{
    (void)state;
    enum { N = 200000, BINS = 16 };
    double *x = malloc(N * sizeof *x);
    double *y = malloc(N * sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    gsl_rng *rx = ts_rng_new(1, "r0_l/ab");
    gsl_rng *ry = ts_rng_new(1, "r1_l/ab");
    unsigned long bins[BINS] = {0};
    for (int i = 0; i < N; i++) {
        x[i] = gsl_rng_uniform(rx);
        y[i] = gsl_rng_uniform(ry);
        bins[(int)(x[i] * BINS)]++;
    }
    double se = 1.0 / sqrt((double)N);
    /* U(0,1): mean 1/2 (sd 0.289/sqrt N), variance 1/12 (sd 0.0745/sqrt N) */
    assert_true(fabs(gsl_stats_mean(x, 1, N) - 0.5) < 5 * 0.2887 * se);
    assert_true(fabs(gsl_stats_variance(x, 1, N) - 1.0 / 12) < 5 * 0.0745 * se);
    /* no serial correlation within a stream, none between two streams */
    assert_true(fabs(gsl_stats_lag1_autocorrelation(x, 1, N)) < 5 * se);
    assert_true(fabs(gsl_stats_correlation(x, 1, y, 1, N)) < 5 * se);
    /* equal bins: chi-square with 15 degrees of freedom; P(X > 37.7) = 0.001 */
    double chi2 = 0, expect = (double)N / BINS;
    for (int k = 0; k < BINS; k++)
        chi2 += ((double)bins[k] - expect) * ((double)bins[k] - expect) / expect;
    assert_true(chi2 < 37.7);
    gsl_rng_free(rx);
    gsl_rng_free(ry);
    free(x);
    free(y);
}

static void count_event(ts_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    (*(int *)ctx)++;
}

/* Running to the end of time drains the queue and stops, rather than
 * popping an empty queue whose next time reads TS_TIME_MAX. */
static void test_run_to_end_of_time_drains(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(4);
    assert_non_null(e);
    int fired = 0;
    assert_int_equal(ts_engine_schedule(e, 5, count_event, &fired, 0, NULL), TS_OK);
    assert_int_equal(ts_engine_schedule(e, 9, count_event, &fired, 0, NULL), TS_OK);
    assert_int_equal(ts_engine_run(e, TS_TIME_MAX), 2);
    assert_int_equal(fired, 2);
    assert_int_equal(ts_engine_pending(e), 0);
    assert_int_equal(ts_engine_run(e, TS_TIME_MAX), 0);  /* empty from the start */
    ts_engine_free(e);
}

/* Each run of it schedules two more: the pending events double without
 * end, as a model gone wrong would make them. */
static void fork_event(ts_engine *e, void *ctx, uint64_t arg)
{
    (*(int *)ctx)++;
    ts_time now = ts_engine_now(e);
    if (ts_engine_schedule(e, now + 1, fork_event, ctx, arg, NULL) != TS_OK)
        return;
    ts_engine_schedule(e, now + 1, fork_event, ctx, arg, NULL);
}

/* Beyond the pending bound a schedule fails with TS_ERANGE and the run
 * stops after that action; without a bound the pool just grows. */
static void test_pending_bound_stops_the_run(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    assert_non_null(e);
    ts_engine_set_max_pending(e, 100);
    int fired = 0;
    assert_int_equal(ts_engine_schedule(e, 0, fork_event, &fired, 0, NULL), TS_OK);
    assert_int_equal(ts_engine_over_limit(e), 0);
    ts_engine_run(e, 1000000);
    assert_int_equal(ts_engine_over_limit(e), 1);
    assert_true(ts_engine_pending(e) >= 100);
    assert_true(ts_engine_pending(e) <= 256);  /* the pool grew by doubling to it */
    assert_true(ts_engine_now(e) < 20);         /* stopped, not run to the end */
    /* a later run does not resume past the bound */
    int before = fired;
    ts_engine_run(e, 1000000);
    assert_int_equal(fired, before);
    ts_engine_free(e);

    e = ts_engine_new(16);
    fired = 0;
    assert_int_equal(ts_engine_schedule(e, 0, fork_event, &fired, 0, NULL), TS_OK);
    ts_engine_run(e, 8);
    assert_int_equal(ts_engine_over_limit(e), 0);
    assert_int_equal(ts_engine_pending(e), 512);
    ts_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_to_end_of_time_drains),
        cmocka_unit_test(test_pending_bound_stops_the_run),
        cmocka_unit_test(test_time_order),
        cmocka_unit_test(test_equal_times_insertion_order),
        cmocka_unit_test(test_cancel_and_stale_handles),
        cmocka_unit_test(test_cancel_from_action),
        cmocka_unit_test(test_past_is_einval),
        cmocka_unit_test(test_run_until),
        cmocka_unit_test(test_actions_schedule),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_poll),
        cmocka_unit_test(test_nested_run_refused),
        cmocka_unit_test(test_growth_keeps_order),
        cmocka_unit_test(test_steady_state_no_alloc),
        cmocka_unit_test(test_enomem_is_clean),
        cmocka_unit_test(test_queue_remove_keeps_order),
        cmocka_unit_test(test_seed_for),
        cmocka_unit_test(test_rng_streams),
        cmocka_unit_test(test_rng_block),
        cmocka_unit_test(test_rng_quality),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
