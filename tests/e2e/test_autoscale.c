/*
 * Autoscaling end to end (scenarios/cloud-autoscale.xml): the replica
 * count over time, read from /events, against the policy twice over (a
 * re-implementation of the HPA rule here, fed the metric the trace
 * records at each decision, and the timeline worked out by hand from the
 * load ramp); cold starts of exactly the declared length and visible as a
 * latency rise; the validator's cost against the billed timeline summed
 * by hand.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "toposim/trace.h"
#include "toposim/validate.h"

#include "hpa_oracle.h"
#include "scenario_run.h"

#define S 1000000000LL
#define MS 1000000LL

/* The scenario's policy, as declared in its <autoscale>. */
#define MIN_REPLICAS 1
#define MAX_REPLICAS 4
#define TARGET 0.6
#define TOLERANCE 0.1           /* the HPA default the simulator uses */
#define PERIOD (2 * S)
#define UP_WINDOW 0
#define DOWN_WINDOW (20 * S)
#define COLD_START (3 * S)
#define PRICE 0.768
#define TIMEOUT (1 * S)         /* the service's: a drained replica stops
                                   one timeout after it leaves */

static ts_trace *trace;

static int setup(void **state)
{
    (void)state;
    trace = scenario_run("scenarios/cloud-autoscale.xml");
    return trace ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ts_trace_free(trace);
    return 0;
}

static int is(const ts_trace_event *e, const char *kind)
{
    return strncmp(e->kind, kind, sizeof e->kind) == 0;
}

/* Each decision's final count is the one the HPA rule, re-implemented
 * from the Kubernetes documentation (hpa_oracle.h), gives. */
static void test_replica_count_follows_the_hpa_rule(void **state)
{
    (void)state;
    const hpa_policy policy = {MIN_REPLICAS, MAX_REPLICAS, TARGET, TOLERANCE,
                               PERIOD,       UP_WINDOW,    DOWN_WINDOW};
    size_t scales;
    size_t decisions = hpa_oracle_check(trace, &policy, &scales);
    /* One decision per period over the 140 s run. */
    assert_int_equal(decisions, 70);
    assert_int_equal(scales, 5);
}

/* The timeline by hand. One replica answers in 10 ms (100/s).
 *  - 0..20 s, 40/s: 0.4 in flight (plus microseconds on the wire), within
 *    target: 1 replica.
 *  - 20 s, 110/s: one replica falls behind by 10/s; the decision at 22 s
 *    sees a queue far above 0.6 and asks for ceil(metric / 0.6) > 4, so
 *    max: 4, ready at 25 s after the 3 s cold start.
 *  - 110/s on 4 replicas is 1.1 in flight, 0.275 each: raw ceil(1.1 /
 *    0.6) = 2 from the decision at 28 s (26 s still saw the backlog), held
 *    by the 20 s down window until the recommendations newer than 26 s
 *    are all 2: scale in to 2 at 46 s, stopped one timeout later (47 s).
 *  - 50 s, 190/s: 1.9 in flight on 2, 0.95 each: at 52 s ceil(1.9 / 0.6)
 *    = 4: scale out to 4, ready at 55 s.
 *  - 80 s, 110/s: raw 2 from 82 s; the 80 s decision (190/s, raw 4) leaves
 *    the window at 100 s: scale in to 2.
 *  - 100 s, 40/s: raw 1 from 102 s; the 100 s decision (raw 2) leaves the
 *    window at 120 s: scale in to 1.
 * Scale-out first, then in: the count returns to the minimum. */
static void test_replica_timeline_by_hand(void **state)
{
    (void)state;
    static const hpa_scale_step want[] = {
        {"scale_out", 22 * S, 4}, {"scale_in", 46 * S, 2},  {"scale_out", 52 * S, 4},
        {"scale_in", 100 * S, 2}, {"scale_in", 120 * S, 1},
    };
    hpa_expect_scales(trace, want, sizeof want / sizeof want[0]);
}

/* Each replica launched during the run serves exactly the cold start
 * later; each drained one stops one request timeout after its scale-in;
 * the serving count the replica_ready records carry follows. */
static void test_cold_starts_and_drains_take_their_declared_time(void **state)
{
    (void)state;
    const ts_trace *t = trace;
    size_t launched = 0, stopped = 0;
    int64_t last_scale_in = -1;
    for (size_t i = 0; i < t->n_events; i++) {
        const ts_trace_event *e = &t->events[i];
        if (is(e, "scale_in"))
            last_scale_in = e->time_ns;
        if (is(e, "replica_stopped")) {
            stopped++;
            assert_int_equal(e->time_ns, last_scale_in + TIMEOUT);
        }
        if (!is(e, "replica_start") || e->time_ns == 0)
            continue;
        launched++;
        int found = 0;
        for (size_t j = i + 1; j < t->n_events && !found; j++) {
            const ts_trace_event *r = &t->events[j];
            if (is(r, "replica_ready") && r->component == e->component) {
                assert_int_equal(r->time_ns, e->time_ns + COLD_START);
                found = 1;
            }
        }
        assert_true(found);
    }
    assert_int_equal(launched, 5);  /* 3 at 22 s, 2 at 52 s */
    assert_int_equal(stopped, 5);   /* 2 at 47 s, 2 at 101 s, 1 at 121 s */
}

/* Latency of the requests the gateway sent in [from, to) ("response"
 * events carry the latency; sent = time - latency): the largest. */
static double max_latency_sent(const ts_trace *t, int64_t from, int64_t to, size_t *count)
{
    double worst = 0;
    *count = 0;
    for (size_t i = 0; i < t->n_events; i++) {
        const ts_trace_event *e = &t->events[i];
        if (!is(e, "response"))
            continue;
        int64_t sent = e->time_ns - (int64_t)e->value;
        if (sent >= from && sent < to) {
            (*count)++;
            if (e->value > worst)
                worst = e->value;
        }
    }
    return worst;
}

/* Before the ramp every request takes one 10 ms service time and the
 * wire (a 16 KiB request and a 1 KiB response over two 10GbE hops each
 * way: well under 1 ms). In the cold start after 22 s the one serving
 * replica has a backlog of 10/s x 2 s or more, so requests wait 200 ms
 * and more. The validator sees the same: p99 in cold starts far above
 * the steady p99. */
static void test_cold_start_shows_in_latency(void **state)
{
    (void)state;
    size_t n_steady, n_cold;
    double steady = max_latency_sent(trace, 5 * S, 20 * S, &n_steady);
    double cold = max_latency_sent(trace, 22 * S, 25 * S, &n_cold);
    assert_int_equal(n_steady, 15 * 40);
    assert_true(n_cold > 300);
    assert_true(steady >= 10 * MS && steady < 11 * MS);
    assert_true(cold > 200 * MS);

    ts_validation *v = NULL;
    ts_error err;
    assert_int_equal(ts_validate(trace, &v, &err), TS_OK);
    assert_int_equal(v->n_autoscaling, 1);
    const ts_autoscale_report *r = &v->autoscaling[0];
    assert_string_equal(r->service, "infer");
    assert_int_equal(r->cold_ns, 6 * S);          /* 22..25 s and 52..55 s */
    assert_int_equal(r->cold_starts, 5);
    assert_true(r->cold_p99_ns > 3 * r->steady_p99_ns);
    assert_true(r->steady_p50_ns >= 10 * MS && r->steady_p50_ns < 11 * MS);
    ts_validation_free(v);
}

/* Billed replicas by hand: 1 on [0, 22 s), 4 on [22, 47), 2 on [47, 52),
 * 4 on [52, 101), 2 on [101, 121), 1 on [121, 140]: 22 + 100 + 10 + 196 +
 * 40 + 19 = 387 replica-seconds, 0.1075 replica-hours at 0.768 an hour. */
static void test_cost_by_hand(void **state)
{
    (void)state;
    ts_validation *v = NULL;
    ts_error err;
    assert_int_equal(ts_validate(trace, &v, &err), TS_OK);
    const ts_autoscale_report *r = &v->autoscaling[0];
    assert_true(fabs(r->replica_hours - 387.0 / 3600.0) < 1e-12);
    assert_true(fabs(r->cost - 387.0 / 3600.0 * PRICE) < 1e-12);
    assert_true(fabs(r->price_per_hour - PRICE) < 1e-12);
    assert_int_equal(r->billed_min, 1);
    assert_int_equal(r->billed_peak, 4);
    assert_int_equal(r->scale_outs, 2);
    assert_int_equal(r->scale_ins, 3);
    assert_true(v->all_pass);
    ts_validation_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replica_count_follows_the_hpa_rule),
        cmocka_unit_test(test_replica_timeline_by_hand),
        cmocka_unit_test(test_cold_starts_and_drains_take_their_declared_time),
        cmocka_unit_test(test_cold_start_shows_in_latency),
        cmocka_unit_test(test_cost_by_hand),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
