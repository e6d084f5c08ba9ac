/* Tests for every event-queue implementation in src/engine/ (the binary
 * heap and the ladder queue), the same cases on each: pops come out in
 * exact (time, seq) order under random pushes, pops and removals with
 * several time distributions (checked against a plain sorted reference),
 * arbitrary removal, duplicate and out-of-range ids, extreme times, and no
 * allocation once grown. The engine's own tests (test_engine.c) run on
 * whichever implementation the build selects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "toposim/alloc.h"
#include "toposim/error.h"
#include "toposim/sim.h"

#include "engine/queue_impls.h"

typedef struct queue_ops {
    const char *name;
    ts_queue *(*make)(size_t);
    void (*destroy)(ts_queue *);
    int (*push)(ts_queue *, uint32_t, ts_queue_key);
    uint32_t (*pop)(ts_queue *, ts_queue_key *);
    ts_time (*peek_time)(const ts_queue *);
    int (*remove)(ts_queue *, uint32_t);
    size_t (*size)(const ts_queue *);
    uint32_t (*peek_id)(const ts_queue *);
} queue_ops;

static const queue_ops heap_ops = {
    "heap", ts__heapq_new, ts__heapq_free, ts__heapq_push, ts__heapq_pop,
    ts__heapq_peek_time, ts__heapq_remove, ts__heapq_size, ts__heapq_peek_id};
static const queue_ops ladder_ops = {
    "ladder", ts__ladderq_new, ts__ladderq_free, ts__ladderq_push, ts__ladderq_pop,
    ts__ladderq_peek_time, ts__ladderq_remove, ts__ladderq_size, ts__ladderq_peek_id};

/* ---- a reference: the queued keys kept per id, the minimum found by a
 * linear scan (obviously right, and fast enough for a few thousand) ---- */

enum { MAX_IDS = 4096 };

typedef struct reference {
    int queued[MAX_IDS];
    ts_queue_key key[MAX_IDS];
    size_t n;
} reference;

static int key_before(ts_queue_key a, ts_queue_key b)
{
    return a.time < b.time || (a.time == b.time && a.seq < b.seq);
}

static uint32_t ref_min(const reference *r)
{
    uint32_t best = UINT32_MAX;
    for (uint32_t i = 0; i < MAX_IDS; i++)
        if (r->queued[i] && (best == UINT32_MAX || key_before(r->key[i], r->key[best])))
            best = i;
    return best;
}

/* How a test draws the delay of a new event after the current time. */
typedef enum delay_kind {
    DELAY_EXPONENTIAL, /* mean 1 us: many distinct times */
    DELAY_TIES,        /* 0..3 ns: most events share a time with others */
    DELAY_BIMODAL,     /* mostly 0..100 ns, sometimes 1..10 s ahead (timers) */
    DELAY_WIDE,        /* uniform over 2^62 ns: buckets wider than any span */
} delay_kind;

static ts_time draw_delay(gsl_rng *r, delay_kind kind)
{
    switch (kind) {
    case DELAY_EXPONENTIAL:
        return (ts_time)gsl_ran_exponential(r, 1000.0);
    case DELAY_TIES:
        return (ts_time)gsl_rng_uniform_int(r, 4);
    case DELAY_BIMODAL:
        if (gsl_rng_uniform(r) < 0.05)
            return TS_S + (ts_time)(gsl_rng_uniform(r) * 9e9);
        return (ts_time)gsl_rng_uniform_int(r, 101);
    case DELAY_WIDE:
        return (ts_time)(gsl_rng_get(r) & 0xffffffffu) << 30;
    }
    return 0;
}

/* Random pushes, pops and removals, every pop checked against the
 * reference; the pending count wanders around `target`. */
static void differential(const queue_ops *ops, delay_kind kind, size_t target,
                         unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(r, seed);
    ts_queue *q = ops->make(16);
    assert_non_null(q);
    static reference ref;
    memset(&ref, 0, sizeof ref);
    uint64_t seq = 0;
    ts_time now = 0;
    for (int step = 0; step < 60000; step++) {
        double u = gsl_rng_uniform(r);
        double p_push = ref.n < target ? 0.6 : 0.4;
        if (u < p_push && ref.n < MAX_IDS) {
            uint32_t id;
            do
                id = (uint32_t)gsl_rng_uniform_int(r, MAX_IDS);
            while (ref.queued[id]);
            ts_time d = draw_delay(r, kind);
            ts_queue_key k = {d > TS_TIME_MAX - now ? TS_TIME_MAX : now + d, seq++};
            assert_int_equal(ops->push(q, id, k), TS_OK);
            ref.queued[id] = 1;
            ref.key[id] = k;
            ref.n++;
        } else if (u < 0.9 && ref.n > 0) {
            uint32_t want = ref_min(&ref);
            assert_int_equal(ops->peek_id(q), want);
            assert_int_equal(ops->peek_time(q), ref.key[want].time);
            ts_queue_key k;
            assert_int_equal(ops->pop(q, &k), want);
            assert_int_equal(k.time, ref.key[want].time);
            assert_int_equal(k.seq, ref.key[want].seq);
            ref.queued[want] = 0;
            ref.n--;
            now = k.time;
        } else {
            uint32_t id = (uint32_t)gsl_rng_uniform_int(r, MAX_IDS);
            assert_int_equal(ops->remove(q, id), ref.queued[id] ? TS_OK : TS_ENOENT);
            if (ref.queued[id]) {
                ref.queued[id] = 0;
                ref.n--;
            }
        }
        assert_int_equal(ops->size(q), ref.n);
    }
    /* drain */
    while (ref.n > 0) {
        uint32_t want = ref_min(&ref);
        ts_queue_key k;
        assert_int_equal(ops->pop(q, &k), want);
        assert_int_equal(k.seq, ref.key[want].seq);
        ref.queued[want] = 0;
        ref.n--;
    }
    assert_int_equal(ops->size(q), 0);
    assert_int_equal(ops->peek_time(q), TS_TIME_MAX);
    assert_int_equal(ops->peek_id(q), UINT32_MAX);
    ops->destroy(q);
    gsl_rng_free(r);
}

static void run_differential(const queue_ops *ops)
{
    static const size_t targets[] = {3, 200, 3000};
    unsigned long seed = 1;
    for (int kind = DELAY_EXPONENTIAL; kind <= DELAY_WIDE; kind++)
        for (size_t i = 0; i < sizeof targets / sizeof *targets; i++)
            differential(ops, (delay_kind)kind, targets[i], seed++);
}

static void test_differential_heap(void **state)
{
    (void)state;
    run_differential(&heap_ops);
}

static void test_differential_ladder(void **state)
{
    (void)state;
    run_differential(&ladder_ops);
}

/* ---- fixed cases ---- */

static void run_fixed_cases(const queue_ops *ops)
{
    ts_queue *q = ops->make(4);
    assert_non_null(q);
    assert_int_equal(ops->size(q), 0);
    assert_int_equal(ops->pop(q, NULL), UINT32_MAX);
    /* equal times come out by seq, whatever order they went in */
    for (uint32_t id = 0; id < 100; id++)
        assert_int_equal(ops->push(q, id, (ts_queue_key){7, 1000 - id}), TS_OK);
    /* an id already queued is refused, as is the reserved id */
    assert_int_equal(ops->push(q, 5, (ts_queue_key){1, 1}), TS_EINVAL);
    assert_int_equal(ops->push(q, UINT32_MAX, (ts_queue_key){1, 1}), TS_EINVAL);
    /* an id far beyond the capacity grows the index */
    assert_int_equal(ops->push(q, 100000, (ts_queue_key){7, 0}), TS_OK);
    /* the latest time there is */
    assert_int_equal(ops->push(q, 200, (ts_queue_key){TS_TIME_MAX, 1}), TS_OK);
    assert_int_equal(ops->push(q, 201, (ts_queue_key){TS_TIME_MAX, 0}), TS_OK);
    assert_int_equal(ops->remove(q, 100001), TS_ENOENT);
    assert_int_equal(ops->remove(q, 50), TS_OK);
    assert_int_equal(ops->remove(q, 50), TS_ENOENT);
    ts_queue_key k;
    assert_int_equal(ops->pop(q, &k), 100000);
    assert_int_equal(k.seq, 0);
    for (uint32_t want = 99;; want--) {
        if (want == 50)
            continue;
        assert_int_equal(ops->pop(q, &k), want);
        assert_int_equal(k.time, 7);
        if (want == 0)
            break;
    }
    assert_int_equal(ops->pop(q, &k), 201);
    assert_int_equal(ops->pop(q, &k), 200);
    assert_int_equal(k.time, TS_TIME_MAX);
    assert_int_equal(ops->size(q), 0);
    /* an id can be queued again after it left */
    assert_int_equal(ops->push(q, 200, (ts_queue_key){0, 5}), TS_OK);
    assert_int_equal(ops->peek_id(q), 200);
    ops->destroy(q);
}

static void test_fixed_heap(void **state)
{
    (void)state;
    run_fixed_cases(&heap_ops);
}

static void test_fixed_ladder(void **state)
{
    (void)state;
    run_fixed_cases(&ladder_ops);
}

/* Once grown for N pending ids, a HOLD workload (pop one, push one) with
 * any of the delay shapes allocates nothing. */
static void run_no_alloc(const queue_ops *ops)
{
    enum { N = 2000 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(r, 5);
    ts_queue *q = ops->make(16);
    assert_non_null(q);
    uint64_t seq = 0;
    for (uint32_t id = 0; id < N; id++)
        assert_int_equal(ops->push(q, id, (ts_queue_key){draw_delay(r, DELAY_EXPONENTIAL), seq++}), TS_OK);
    ts_alloc_fail_after(1);
    for (int kind = DELAY_EXPONENTIAL; kind <= DELAY_BIMODAL; kind++)
        for (int i = 0; i < 50000; i++) {
            ts_queue_key k;
            uint32_t id = ops->pop(q, &k);
            ts_time d = draw_delay(r, (delay_kind)kind);
            assert_int_equal(ops->push(q, id, (ts_queue_key){k.time + d, seq++}), TS_OK);
        }
    void *p = ts_malloc(1); /* the armed failure was never consumed */
    ts_alloc_fail_after(0);
    assert_null(p);
    assert_int_equal(ops->size(q), N);
    ops->destroy(q);
    gsl_rng_free(r);
}

static void test_no_alloc_heap(void **state)
{
    (void)state;
    run_no_alloc(&heap_ops);
}

static void test_no_alloc_ladder(void **state)
{
    (void)state;
    run_no_alloc(&ladder_ops);
}

/* Creation failing at each allocation leaks nothing; growth failing in
 * push leaves the queue as it was. */
static void run_enomem(const queue_ops *ops)
{
    long live0 = ts_alloc_live();
    for (long n = 1; n <= 12; n++) {
        ts_alloc_fail_after(n);
        ts_queue *q = ops->make(16);
        ts_alloc_fail_after(0);
        ops->destroy(q);
        assert_int_equal(ts_alloc_live(), live0);
    }
    ts_queue *q = ops->make(16);
    assert_non_null(q);
    uint32_t id = 0;
    for (; id < 16; id++)
        assert_int_equal(ops->push(q, id, (ts_queue_key){100 - id, id}), TS_OK);
    int failures = 0;
    for (long n = 1; n <= 3; n++, id++) {
        size_t before = ops->size(q);
        ts_alloc_fail_after(n);
        int rc = ops->push(q, id, (ts_queue_key){100 - id, id});
        ts_alloc_fail_after(0);
        if (rc == TS_ENOMEM) {
            failures++;
            assert_int_equal(ops->size(q), before);
        } else {
            assert_int_equal(rc, TS_OK);
        }
    }
    assert_true(failures >= 1);
    ts_time last = -1;
    while (ops->size(q) > 0) {
        ts_queue_key k;
        ops->pop(q, &k);
        assert_true(k.time > last);
        last = k.time;
    }
    ops->destroy(q);
    assert_int_equal(ts_alloc_live(), live0);
}

static void test_enomem_heap(void **state)
{
    (void)state;
    run_enomem(&heap_ops);
}

static void test_enomem_ladder(void **state)
{
    (void)state;
    run_enomem(&ladder_ops);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_differential_heap),
        cmocka_unit_test(test_differential_ladder),
        cmocka_unit_test(test_fixed_heap),
        cmocka_unit_test(test_fixed_ladder),
        cmocka_unit_test(test_no_alloc_heap),
        cmocka_unit_test(test_no_alloc_ladder),
        cmocka_unit_test(test_enomem_heap),
        cmocka_unit_test(test_enomem_ladder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
