/*
 * A cloud pipeline end to end (scenarios/cloud-pipeline.xml): batch jobs
 * gang-scheduled on a 4-GPU node against their schedule worked out by
 * hand, and autoscaled message-triggered workers: the metric each decision records
 * against the queue length recomputed from /jobs (a triggered job is in
 * its replica's queue from its release, the sample's delivery, to its
 * finish: a KEEP_LAST overwrite changes the sample, not the count); the
 * replica count over time against the HPA rule re-implemented here and
 * fed those metrics, and against the timeline worked out by hand from the
 * load ramp; each sample taken by exactly one replica, and only by one
 * that serves; cold starts and drains of their declared length; the
 * validator's cost against the billed timeline summed by hand.
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
#define TARGET 1.0
#define TOLERANCE 0.1           /* the HPA default the simulator uses */
#define PERIOD (2 * S)
#define UP_WINDOW 0
#define DOWN_WINDOW (10 * S)
#define COLD_START (3 * S)
#define DRAIN (2 * S)
#define PRICE 0.768
#define DURATION (90 * S)

static ts_trace *trace;
static int slot_row[4];         /* /components rows of ingest, ingest_2.. */

static int setup(void **state)
{
    (void)state;
    trace = scenario_run("scenarios/cloud-pipeline.xml");
    if (!trace)
        return -1;
    static const char *const ids[] = {"ingest", "ingest_2", "ingest_3", "ingest_4"};
    for (int k = 0; k < 4; k++) {
        slot_row[k] = -1;
        for (size_t c = 0; c < trace->n_components; c++)
            if (strcmp(trace->components[c].name, ids[k]) == 0)
                slot_row[k] = (int)c;
        if (slot_row[k] < 0)
            return -1;
    }
    return 0;
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

static int slot_of(int component)
{
    for (int k = 0; k < 4; k++)
        if (slot_row[k] == component)
            return k;
    return -1;
}

/* The pool's samples queued (released, unfinished jobs of its replicas)
 * integrated over [from, to), divided by its length. */
static double mean_queued(const ts_trace *t, int64_t from, int64_t to)
{
    double area = 0;
    for (size_t i = 0; i < t->n_jobs; i++) {
        const ts_trace_job *j = &t->jobs[i];
        if (slot_of(j->component) < 0)
            continue;
        int64_t a = j->release_ns > from ? j->release_ns : from;
        int64_t end = j->finish_ns < 0 ? DURATION : j->finish_ns;
        int64_t b = end < to ? end : to;
        if (b > a)
            area += (double)(b - a);
    }
    return area / (double)(to - from);
}

/* Each decision's metric is the pool's queue, time-averaged over the
 * period just past, as recomputed from /jobs. */
static void test_metric_is_the_mean_queue_from_the_jobs(void **state)
{
    (void)state;
    size_t decisions = 0;
    for (size_t i = 0; i < trace->n_events; i++) {
        const ts_trace_event *e = &trace->events[i];
        if (!is(e, "autoscale_eval"))
            continue;
        decisions++;
        double want = mean_queued(trace, e->time_ns - PERIOD, e->time_ns);
        assert_true(fabs(e->value - want) <= 1e-9 * (1 + want));
    }
    assert_int_equal(decisions, 45);    /* one per period over 90 s */
}

/* Each decision's final count is the one the HPA rule, re-implemented
 * from the Kubernetes documentation (hpa_oracle.h, shared with
 * tests/e2e/test_autoscale.c), gives. */
static void test_replica_count_follows_the_hpa_rule(void **state)
{
    (void)state;
    const hpa_policy policy = {MIN_REPLICAS, MAX_REPLICAS, TARGET, TOLERANCE,
                               PERIOD,       UP_WINDOW,    DOWN_WINDOW};
    size_t scales;
    hpa_oracle_check(trace, &policy, &scales);
    assert_true(scales >= 2);
}

/* The timeline by hand. A replica takes 4 ms per sample; by Little's law
 * the pool holds rate x 4 ms samples while it keeps up.
 *  - 0..20 s, 100/s: 0.4 queued, within target on 1 replica.
 *  - 20 s, 600/s: the one replica serves 250/s and its queue fills; the
 *    decision at 22 s sees about 10 (the KEEP_LAST depth) against 1: max,
 *    4, ready at 25 s after the 3 s cold start.
 *  - 600/s on 4 is 2.4 queued, 0.6 each: raw ceil(4 x 0.6) = 3 from the
 *    decision at 28 s (26 s still saw the backlog), held by the 10 s down
 *    window until the recommendations newer than 26 s are all 3: scale in
 *    to 3 at 36 s, the withdrawn replica stopped after its 2 s drain.
 *  - 600/s on 3 is 2.4, 0.8 each: raw 3, steady.
 *  - 60 s, 100/s: 0.4 queued, raw 1 from 62 s; the 60 s decision (raw 3)
 *    leaves the window at 70 s: scale in to 1. */
static void test_replica_timeline_by_hand(void **state)
{
    (void)state;
    static const hpa_scale_step want[] = {
        {"scale_out", 22 * S, 4}, {"scale_in", 36 * S, 3}, {"scale_in", 70 * S, 1},
    };
    hpa_expect_scales(trace, want, sizeof want / sizeof want[0]);
}

/* Each replica launched serves exactly the cold start later; each
 * withdrawn one stops exactly the drain after its scale-in. */
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
            assert_true(slot_of(e->component) > 0);
            assert_int_equal(e->time_ns, last_scale_in + DRAIN);
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
    assert_int_equal(launched, 3);  /* slots 1..3 at 22 s */
    assert_int_equal(stopped, 3);   /* slot 3 at 38 s, slots 1 and 2 at 72 s */
}

/* Each sample is taken by exactly one replica, and only by one taking
 * samples: a job of slot k was released while k served (from its ready
 * record to its scale-in, plus the sample's time on the WAN uplink, 20 ms and microseconds). The
 * samples released as jobs or overwritten in a queue are the telemetry's
 * samples. Round robin: while 3 serve at 600/s, each takes a third. */
static void test_samples_go_to_one_serving_replica(void **state)
{
    (void)state;
    const ts_trace *t = trace;
    int64_t from[4] = {0, 25 * S, 25 * S, 25 * S};
    int64_t to[4] = {DURATION, 70 * S, 70 * S, 36 * S};
    size_t jobs = 0, per_slot_40_60[4] = {0};
    int telemetry = -1;
    for (size_t c = 0; c < t->n_components; c++)
        if (strcmp(t->components[c].name, "telemetry") == 0)
            telemetry = (int)c;
    assert_true(telemetry >= 0);
    size_t published = 0, delivered_by_end = 0, maybe_by_end = 0;
    for (size_t i = 0; i < t->n_jobs; i++) {
        const ts_trace_job *j = &t->jobs[i];
        if (j->component == telemetry && j->finish_ns >= 0) {
            published++;
            /* delivered one WAN latency (20 ms) and microseconds later */
            delivered_by_end += j->finish_ns < DURATION - 21 * MS;
            maybe_by_end += j->finish_ns < DURATION - 20 * MS;
        }
        int k = slot_of(j->component);
        if (k < 0)
            continue;
        jobs++;
        assert_true(j->release_ns >= from[k] && j->release_ns < to[k] + 21 * MS);
        if (j->release_ns >= 40 * S && j->release_ns < 60 * S)
            per_slot_40_60[k]++;
    }
    size_t drops = 0;
    for (size_t i = 0; i < t->n_events; i++)
        drops += is(&t->events[i], "queue_drop") && slot_of(t->events[i].component) >= 0;
    /* 100/s for 20 s, 600/s for 40 s, 100/s for 30 s (the first 10 ms
     * after 0) */
    assert_int_equal(published, 28999);
    assert_true(jobs + drops >= delivered_by_end && jobs + drops <= maybe_by_end);
    assert_true(drops > 0);             /* the overload before 25 s */
    assert_int_equal(per_slot_40_60[0], 4000);
    assert_int_equal(per_slot_40_60[1], 4000);
    assert_int_equal(per_slot_40_60[2], 4000);
    assert_int_equal(per_slot_40_60[3], 0);
}

/* Billed replicas by hand: 1 on [0, 22 s), 4 on [22, 38), 3 on [38, 72),
 * 1 on [72, 90]: 22 + 64 + 102 + 18 = 206 replica-seconds at 0.768 an
 * hour. The samples released in the cold start (22..25 s) wait in the
 * full queue of the one replica, some 10 x 4 ms, against 4 ms otherwise. */
static void test_cost_and_cold_start_latency(void **state)
{
    (void)state;
    ts_validation *v = NULL;
    ts_error err;
    assert_int_equal(ts_validate(trace, &v, &err), TS_OK);
    assert_int_equal(v->n_autoscaling, 1);
    const ts_autoscale_report *r = &v->autoscaling[0];
    assert_string_equal(r->service, "ingest");
    assert_int_equal(r->workers, 1);
    assert_true(fabs(r->replica_hours - 206.0 / 3600.0) < 1e-12);
    assert_true(fabs(r->cost - 206.0 / 3600.0 * PRICE) < 1e-12);
    assert_int_equal(r->billed_min, 1);
    assert_int_equal(r->billed_peak, 4);
    assert_int_equal(r->scale_outs, 1);
    assert_int_equal(r->scale_ins, 2);
    assert_int_equal(r->cold_ns, 3 * S);
    assert_true(r->steady_p50_ns >= 4 * MS && r->steady_p50_ns < 5 * MS);
    assert_true(r->cold_p50_ns > 36 * MS);
    assert_true(v->all_pass);
    ts_validation_free(v);
}

static const ts_trace_job *only_job(const char *id)
{
    const ts_trace_job *found = NULL;
    for (size_t i = 0; i < trace->n_jobs; i++) {
        const ts_trace_job *j = &trace->jobs[i];
        if (strcmp(trace->components[j->component].name, id) != 0)
            continue;
        assert_null(found);     /* a batch job runs once */
        found = &trace->jobs[i];
    }
    assert_non_null(found);
    return found;
}

/* By hand (the scenario's comment): finetune released at 5 s, 1 s of CPU,
 * then 30 s of GPU work on 2 GPUs: 6..21 s. train released at 10 s, ready
 * for 4 GPUs at 11 s, waits for finetune's 2 and runs 160 / 4 = 40 s
 * from 21 s: done at 61 s, its deadline 10 + 60 s. */
static void test_batch_jobs_by_hand(void **state)
{
    (void)state;
    const ts_trace_job *ft = only_job("finetune"), *tr = only_job("train");
    assert_int_equal(ft->release_ns, 5 * S);
    assert_int_equal(ft->start_ns, 5 * S);
    assert_int_equal(ft->finish_ns, 21 * S);
    assert_int_equal(tr->release_ns, 10 * S);
    assert_int_equal(tr->start_ns, 10 * S);
    assert_int_equal(tr->finish_ns, 61 * S);
    assert_int_equal(tr->deadline_ns, 70 * S);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metric_is_the_mean_queue_from_the_jobs),
        cmocka_unit_test(test_replica_count_follows_the_hpa_rule),
        cmocka_unit_test(test_replica_timeline_by_hand),
        cmocka_unit_test(test_cold_starts_and_drains_take_their_declared_time),
        cmocka_unit_test(test_samples_go_to_one_serving_replica),
        cmocka_unit_test(test_cost_and_cold_start_latency),
        cmocka_unit_test(test_batch_jobs_by_hand),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
