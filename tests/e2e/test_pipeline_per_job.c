/*
 * Ingestion to serving under a load ramp (tests/e2e/pipeline-per-job.xml):
 * a client that calls once per job of its triggered worker
 * (<client per="job">) makes exactly one request per finished job, sent at
 * the job's finish, so the serving load follows the source's ramp, and the
 * autoscaled service scales out after the step up and back in after the
 * step down (each decision against the HPA rule, hpa_oracle.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "toposim/trace.h"

#include "hpa_oracle.h"
#include "scenario_run.h"

#define S 1000000000LL

/* The scenario's policy and load, as declared. */
#define MIN_REPLICAS 1
#define MAX_REPLICAS 4
#define TARGET 0.6
#define TOLERANCE 0.1           /* the HPA default the simulator uses */
#define PERIOD (2 * S)
#define UP_WINDOW 0
#define DOWN_WINDOW (10 * S)
#define TIMEOUT (1 * S)
#define STEP_UP (20 * S)        /* 40/s -> 160/s */
#define STEP_DOWN (50 * S)      /* 160/s -> 40/s */
#define QUIET (80 * S)          /* -> 0.001/s: one more arrival, then none */

static ts_trace *trace;
static int worker = -1;

static int setup(void **state)
{
    (void)state;
    trace = scenario_run("tests/e2e/pipeline-per-job.xml");
    if (!trace)
        return -1;
    for (size_t c = 0; c < trace->n_components; c++)
        if (strcmp(trace->components[c].name, "ingest") == 0)
            worker = (int)c;
    return worker >= 0 ? 0 : -1;
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

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* When the worker's request behind an outcome event was sent: a response
 * carries its latency, a timeout comes one timeout after the send, a
 * refused call (table full, no replica) is recorded as it is made. -1:
 * not an outcome of the worker's calls. */
static int64_t sent_at(const ts_trace_event *e)
{
    if (e->component != worker)
        return -1;
    if (is(e, "response"))
        return e->time_ns - (int64_t)e->value;
    if (is(e, "request_timeout"))
        return e->time_ns - TIMEOUT;
    if (is(e, "request_rejected") || is(e, "request_no_replica"))
        return e->time_ns;
    return -1;
}

/* Send times of all the worker's requests, sorted; *n of them. */
static int64_t *request_times(size_t *n)
{
    int64_t *t = malloc((trace->n_events + 1) * sizeof *t);
    assert_non_null(t);
    *n = 0;
    for (size_t i = 0; i < trace->n_events; i++) {
        int64_t at = sent_at(&trace->events[i]);
        if (at >= 0)
            t[(*n)++] = at;
    }
    qsort(t, *n, sizeof *t, cmp_i64);
    return t;
}

/* One request per finished job of the worker, sent at the nanosecond the
 * job finished: the sorted send times equal the sorted finish times, and
 * the /clients row counts as many. */
static void test_one_request_per_finished_job(void **state)
{
    (void)state;
    int64_t *fin = malloc((trace->n_jobs + 1) * sizeof *fin);
    assert_non_null(fin);
    size_t n_fin = 0;
    for (size_t i = 0; i < trace->n_jobs; i++)
        if (trace->jobs[i].component == worker && trace->jobs[i].finish_ns >= 0)
            fin[n_fin++] = trace->jobs[i].finish_ns;
    qsort(fin, n_fin, sizeof *fin, cmp_i64);
    size_t n_req;
    int64_t *req = request_times(&n_req);
    /* about 40 x 20 + 160 x 30 + 40 x 30 samples */
    assert_true(n_fin > 6000);
    assert_int_equal(n_req, n_fin);
    for (size_t i = 0; i < n_fin; i++)
        assert_int_equal(req[i], fin[i]);
    assert_int_equal(trace->n_clients, 1);
    const ts_trace_client *cl = &trace->clients[0];
    assert_int_equal(cl->component, worker);
    assert_int_equal(cl->period_ns, 0);
    assert_int_equal(cl->requests, n_fin);
    assert_int_equal(cl->answered + cl->timeouts + cl->rejected + cl->no_replica, n_fin);
    free(fin);
    free(req);
}

/* Requests sent in [from, to) per second. */
static double rate_in(const int64_t *req, size_t n, int64_t from, int64_t to)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += req[i] >= from && req[i] < to;
    return (double)k / ((double)(to - from) / S);
}

/* The request rate is the source's: a Poisson count over a window of T
 * seconds at rate r has standard deviation sqrt(r T); each window is
 * within 4 of them of the declared rate (the worker's 1 ms delay moves a
 * handful of requests across a boundary at most). After the quiet step
 * no more than the one arrival at the old rate. */
static void test_request_rate_follows_the_ramp(void **state)
{
    (void)state;
    size_t n;
    int64_t *req = request_times(&n);
    struct {
        int64_t from, to;
        double rate;
    } win[] = {{1 * S, STEP_UP, 40}, {STEP_UP + 1 * S, STEP_DOWN, 160},
               {STEP_DOWN + 1 * S, QUIET, 40}};
    for (size_t i = 0; i < sizeof win / sizeof win[0]; i++) {
        double secs = (double)(win[i].to - win[i].from) / S;
        double got = rate_in(req, n, win[i].from, win[i].to);
        double sd = sqrt(win[i].rate * secs) / secs;
        assert_true(fabs(got - win[i].rate) < 4 * sd);
    }
    size_t late = 0;
    for (size_t i = 0; i < n; i++)
        late += req[i] >= QUIET;
    assert_true(late <= 1);
    free(req);
}

/* Every decision follows the HPA rule fed the metric the trace records;
 * the count goes out after the step up (one replica cannot serve 160/s
 * at 10 ms each) and back to the minimum after the step down. */
static void test_service_scales_out_and_back_in(void **state)
{
    (void)state;
    const hpa_policy policy = {MIN_REPLICAS, MAX_REPLICAS, TARGET, TOLERANCE,
                               PERIOD,       UP_WINDOW,    DOWN_WINDOW};
    size_t scales;
    size_t decisions = hpa_oracle_check(trace, &policy, &scales);
    assert_int_equal(decisions, 45);    /* one per 2 s over 90 s */
    int64_t first_out = -1, last_in = -1;
    int first_out_to = -1;
    int peak = MIN_REPLICAS, last = MIN_REPLICAS;
    for (size_t i = 0; i < trace->n_events; i++) {
        const ts_trace_event *e = &trace->events[i];
        if (is(e, "scale_out") && first_out < 0) {
            first_out = e->time_ns;
            first_out_to = (int)e->value;
        }
        if (is(e, "scale_out") || is(e, "scale_in")) {
            last = (int)e->value;
            if (last > peak)
                peak = last;
        }
        if (is(e, "scale_in"))
            last_in = e->time_ns;
    }
    /* No scale-out before the step. The decision at 20 s covers
     * [18 s, 20 s) at 40/s; the one at 22 s sees one replica serving 100/s
     * of 160/s, a backlog growing by 60/s, far above 0.6 in flight:
     * ceil(metric / 0.6) > 4, so the maximum. */
    assert_int_equal(first_out, STEP_UP + PERIOD);
    assert_int_equal(first_out_to, MAX_REPLICAS);
    assert_true(peak >= 2);
    assert_true(last_in > STEP_DOWN);
    assert_int_equal(last, MIN_REPLICAS);
    assert_true(scales >= 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_request_per_finished_job),
        cmocka_unit_test(test_request_rate_follows_the_ramp),
        cmocka_unit_test(test_service_scales_out_and_back_in),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
