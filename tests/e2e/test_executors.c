/*
 * ROS 2 executors against schedules worked out by hand, to the
 * nanosecond (tests/e2e/executor-chain.xml): the single-threaded
 * executor's polling points (a callback ready in the middle of a round
 * waits for the round's end, then for the timers a polling point puts
 * first), the events executor's first-come order, and two threads of the
 * multi-threaded executor on two cores running callbacks side by side.
 * Each job's release is the instant its callback became ready (a timer's
 * expiry, its sample's arrival); its start is when the executor took it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "scenario_run.h"
#include "toposim/scenario.h"
#include "toposim/trace.h"
#include "toposim/world.h"

#define US 1000LL
#define MS 1000000LL
#define SCENARIO "tests/e2e/executor-chain.xml"

/* Loads the scenario with the --set overrides given, runs it, loads the
 * trace. */
static ts_trace *run_set(const char *const *sets, size_t n_sets)
{
    return scenario_run_set(SCENARIO, sets, n_sets, NULL, NULL);
}

/* The component's first job: release, start, finish. */
static void expect(const ts_trace *t, const char *component, int64_t release, int64_t start,
                   int64_t finish)
{
    int c = ROW(t, components, component);
    for (size_t i = 0; i < t->n_jobs; i++) {
        const ts_trace_job *j = &t->jobs[i];
        if (j->component != c || j->seq != 0)
            continue;
        if (j->release_ns != release || j->start_ns != start || j->finish_ns != finish)
            fail_msg("%s: release %lld start %lld finish %lld, expected %lld %lld %lld",
                     component, (long long)j->release_ns, (long long)j->start_ns,
                     (long long)j->finish_ns, (long long)release, (long long)start,
                     (long long)finish);
        return;
    }
    fail_msg("%s has no job", component);
}

/* Ready: camera and z at 0 (timers), raw for filter at 1 ms (camera's
 * end; a topic within a node takes no time), scan for y at 1.2 ms, the
 * timer hk at 4 ms, filtered for fusion at filter's end.
 *   polling point 0:     {camera, z}         timers, registration order
 *   camera 0-1, z 1-1.5
 *   polling point 1.5:   {filter, y}         subscriptions, registration order
 *   filter 1.5-3.5       (fusion ready at 3.5: not in this round)
 *   y 3.5-4.5            (hk ready at 4: not in this round)
 *   polling point 4.5:   {hk, fusion}        timers first
 *   hk 4.5-5, fusion 5-6 */
static void test_single_threaded_polling_points(void **state)
{
    (void)state;
    ts_trace *t = run_set(NULL, 0);
    expect(t, "lidar", 0, 0, 1092 * US);
    expect(t, "camera", 0, 0, MS);
    expect(t, "z", 0, MS, 1500 * US);
    expect(t, "filter", MS, 1500 * US, 3500 * US);
    expect(t, "y", 1200 * US, 3500 * US, 4500 * US);
    expect(t, "hk", 4 * MS, 4500 * US, 5 * MS);
    expect(t, "fusion", 3500 * US, 5 * MS, 6 * MS);
    ts_trace_free(t);
}

/* The same arrivals, first in first out:
 *   camera 0-1, z 1-1.5 (queued at 0, after camera)
 *   filter 1.5-3.5 (raw at 1), y 3.5-4.5 (scan at 1.2)
 *   fusion 4.5-5.5 (filtered at 3.5, before hk at 4), hk 5.5-6 */
static void test_events_executor_first_come(void **state)
{
    (void)state;
    const char *sets[] = {"process[perception].executor=events"};
    ts_trace *t = run_set(sets, 1);
    expect(t, "camera", 0, 0, MS);
    expect(t, "z", 0, MS, 1500 * US);
    expect(t, "filter", MS, 1500 * US, 3500 * US);
    expect(t, "y", 1200 * US, 3500 * US, 4500 * US);
    expect(t, "fusion", 3500 * US, 4500 * US, 5500 * US);
    expect(t, "hk", 4 * MS, 5500 * US, 6 * MS);
    ts_trace_free(t);
}

/* Two threads on two cores: camera and z start together; filter at its
 * sample (1 ms) and y at its (1.2 ms) on the two threads; fusion at
 * filter's end (3 ms); hk at its expiry (4 ms). */
static void test_multi_threaded_two_threads(void **state)
{
    (void)state;
    const char *sets[] = {"process[perception].executor=multi-threaded",
                          "process[perception].threads=2", "node[n1].cores=2"};
    ts_trace *t = run_set(sets, 3);
    expect(t, "camera", 0, 0, MS);
    expect(t, "z", 0, 0, 500 * US);
    expect(t, "filter", MS, MS, 3 * MS);
    expect(t, "y", 1200 * US, 1200 * US, 2200 * US);
    expect(t, "fusion", 3 * MS, 3 * MS, 4 * MS);
    expect(t, "hk", 4 * MS, 4 * MS, 4500 * US);
    ts_trace_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_threaded_polling_points),
        cmocka_unit_test(test_events_executor_first_come),
        cmocka_unit_test(test_multi_threaded_two_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
