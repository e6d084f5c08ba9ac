/*
 * Power management end to end, checked in the trace against hand-computed
 * instants and watts: a node driven past its power mode's over-current
 * limit is throttled at once and released only when its demand falls to
 * the release point (tests/e2e/oc-throttle.xml), and the power manager
 * moves a battery-powered robot to a lower mode when its battery would
 * not last the scenario (tests/e2e/power-manager-battery.xml).
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

#include "scenario_run.h"

#define MS 1000000LL

/* The /node_state row of node at time_ns (fails the test when absent). */
static const ts_trace_node_state *state_at(const ts_trace *t, int node, int64_t time_ns)
{
    for (size_t i = 0; i < t->n_node_state; i++)
        if (t->node_state[i].node == node && t->node_state[i].time_ns == time_ns)
            return &t->node_state[i];
    fail_msg("no node_state row of node %d at %lld ns", node, (long long)time_ns);
    return NULL;
}

static const ts_trace_job *job_of(const ts_trace *t, const char *component, uint64_t seq)
{
    int c = ROW(t, components, component);
    for (size_t i = 0; i < t->n_jobs; i++)
        if (t->jobs[i].component == c && t->jobs[i].seq == seq)
            return &t->jobs[i];
    fail_msg("no job %llu of %s", (unsigned long long)seq, component);
    return NULL;
}

/* Three 1-core jobs push a 4 W-per-core node (idle 2 W) to a 14 W demand
 * over its 10 W limit at 0: clocks halved; c3 (2 ms) ends at 4 ms, the
 * demand of 10 W is above the 8 W release point so the throttle holds;
 * c1 and c2 (4 ms) end at 8 ms and the 2 W demand releases it. */
static void test_oc_throttle_fires_and_releases_at_the_limits(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("tests/e2e/oc-throttle.xml");
    int node = ROW(t, nodes, "r1_cpu");

    assert_int_equal(scenario_count(t, "oc_throttle"), 1);
    assert_int_equal(scenario_count(t, "oc_release"), 1);
    const ts_trace_event *th = scenario_event(t, "oc_throttle", -1, 0);
    const ts_trace_event *rel = scenario_event(t, "oc_release", -1, 0);
    assert_int_equal(th->node, node);
    assert_int_equal(th->time_ns, 0);
    assert_true(fabs(th->value - 14.0) < 1e-9);        /* 2 + 3 x 4 W */
    assert_int_equal(rel->time_ns, 8 * MS);
    assert_true(fabs(rel->value - 2.0) < 1e-9);        /* idle alone */

    /* Job times: at half clock c3's 2 ms take 4 ms, and c1's and c2's
     * 4 ms take 8 ms (the throttle holds through 4..8 ms). */
    assert_int_equal(job_of(t, "c3", 0)->finish_ns, 4 * MS);
    assert_int_equal(job_of(t, "c1", 0)->finish_ns, 8 * MS);
    assert_int_equal(job_of(t, "c2", 0)->finish_ns, 8 * MS);

    /* /node_state: clocks and throttle level, and the mean power of each
     * 1 ms window: 2 + 3 x 4 x 0.5^2 = 5 W while three cores run at half
     * clock, 2 + 2 x 1 = 4 W with two, 2 W idle at full clock. */
    const ts_trace_node_state *s;
    s = state_at(t, node, 1 * MS);
    assert_int_equal(s->throttle_level, 2);
    assert_true(s->cpu_freq_hz == 0.5e9);
    assert_true(fabs(s->power_w - 5.0) < 1e-9);
    s = state_at(t, node, 6 * MS);
    assert_int_equal(s->throttle_level, 2);
    assert_true(fabs(s->power_w - 4.0) < 1e-9);
    s = state_at(t, node, 9 * MS);
    assert_int_equal(s->throttle_level, 0);
    assert_true(s->cpu_freq_hz == 1e9);
    assert_true(fabs(s->power_w - 2.0) < 1e-9);

    /* The limits are in the trace, and the power-budget gate judges the
     * draw against the over-current limit. */
    assert_int_equal(t->n_power_limits, 1);
    assert_int_equal(t->power_limits[0].node, node);
    assert_string_equal(t->power_limits[0].mode, "10W");
    assert_true(t->power_limits[0].oc_limit_w == 10.0);
    assert_true(t->power_limits[0].oc_release_w == 8.0);
    assert_true(t->power_limits[0].oc_scale == 0.5);
    ts_trace_free(t);
}

#define S 1000000000LL

/* A 2.5 Wh robot drawing 10 W, then 18 W from 95 s, in a 600 s run: the
 * manager's decision at 110 s finds 2.1611 Wh left where 490 s at 18 W
 * need 2.45 Wh and moves HIGH -> LOW; at 260 s the battery would last in
 * HIGH (1.9111 Wh left, 340 s at a projected 20 W need 1.8889 Wh) and the
 * busy cores move it back up. The platform applied both, from /node_state. */
static void test_power_manager_lowers_the_mode_when_the_battery_would_not_last(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("tests/e2e/power-manager-battery.xml");
    int node = ROW(t, nodes, "r1_cpu");

    assert_int_equal(scenario_count(t, "power_mode_change"), 2);
    const ts_trace_event *down = scenario_event(t, "power_mode_change", -1, 0);
    assert_int_equal(down->node, node);
    assert_int_equal(down->time_ns, 110 * S);
    assert_true(down->value == 6.0);                   /* LOW's label */
    assert_non_null(strstr(down->detail, "HIGH -> LOW: battery: 2.161 Wh left"));
    assert_non_null(strstr(down->detail, "lasts 432.2 s at 18.000 W, 490.0 s to go"));
    const ts_trace_event *up = scenario_event(t, "power_mode_change", -1, 1);
    assert_int_equal(up->time_ns, 260 * S);
    assert_non_null(strstr(up->detail, "LOW -> HIGH: workload"));

    /* The platform applied each: a "power_mode" event at the same instant. */
    assert_int_equal(scenario_count(t, "power_mode"), 2);
    assert_int_equal(scenario_event(t, "power_mode", -1, 0)->time_ns, 110 * S);
    assert_int_equal(scenario_event(t, "power_mode", -1, 1)->time_ns, 260 * S);

    /* /node_state every 10 s: 14 W over 90..100 s, 18 W over 100..110 s,
     * LOW's 6 W at 500 MHz over 110..120 s, HIGH's 18 W again from 260 s;
     * the battery at the end is the hand-computed 0.2111 Wh. */
    const ts_trace_node_state *s;
    s = state_at(t, node, 100 * S);
    assert_true(fabs(s->power_w - 14.0) < 1e-9);
    s = state_at(t, node, 110 * S);   /* sampled before the decision at 110 s */
    assert_true(fabs(s->power_w - 18.0) < 1e-9);
    assert_string_equal(s->power_mode, "HIGH");
    s = state_at(t, node, 120 * S);
    assert_true(fabs(s->power_w - 6.0) < 1e-9);
    assert_true(s->cpu_freq_hz == 0.5e9);
    assert_string_equal(s->power_mode, "LOW");
    s = state_at(t, node, 270 * S);
    assert_true(fabs(s->power_w - 18.0) < 1e-9);
    assert_string_equal(s->power_mode, "HIGH");
    s = state_at(t, node, 600 * S);
    assert_true(fabs(s->battery_wh - (2.5 - (950.0 + 90 + 180 + 6 * 150 + 18 * 340) / 3600)) <
                1e-9);
    ts_trace_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oc_throttle_fires_and_releases_at_the_limits),
        cmocka_unit_test(test_power_manager_lowers_the_mode_when_the_battery_would_not_last),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
