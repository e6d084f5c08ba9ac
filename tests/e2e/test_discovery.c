/*
 * End to end: scenarios/discovery-wifi-join.xml at 5, 20 and 50 robots
 * (fleet.count overridden as --set does). Read from each trace alone: every
 * writer-reader pair matches (two per robot), none is left unmatched, and
 * the mean match delay (the dds_match values) rises with the number of
 * robots, as their announcements crowd the one access point. The figures
 * are printed. A rerun gives the same events (determinism).
 */
#define _POSIX_C_SOURCE 200809L
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

static const char SCENARIO[] = "scenarios/discovery-wifi-join.xml";

/* The scenario run with fleet.count=robots; the caller frees the trace. */
static ts_trace *run_fleet(int robots)
{
    char set[64];
    snprintf(set, sizeof set, "fleet.count=%d", robots);
    const char *overrides[] = {set};
    return scenario_run_set(SCENARIO, overrides, 1, NULL, NULL);
}

typedef struct figures {
    size_t matches, no_matches;
    double mean_ms, max_ms;
    double unmatched_samples;
} figures;

static figures figures_of(const ts_trace *t)
{
    figures f = {0};
    double sum = 0;
    for (size_t i = 0; i < t->n_events; i++) {
        const ts_trace_event *e = &t->events[i];
        if (!strcmp(e->kind, "dds_match")) {
            f.matches++;
            sum += e->value;
            if (e->value / 1e6 > f.max_ms)
                f.max_ms = e->value / 1e6;
        } else if (!strcmp(e->kind, "dds_no_match")) {
            f.no_matches++;
        } else if (!strcmp(e->kind, "dds_unmatched_samples")) {
            f.unmatched_samples += e->value;
        }
    }
    f.mean_ms = f.matches ? sum / (double)f.matches / 1e6 : 0;
    return f;
}

static void match_delay_rises_with_fleet(void **state)
{
    (void)state;
    const int robots[] = {5, 20, 50};
    double previous = -1;
    for (size_t i = 0; i < 3; i++) {
        ts_trace *t = run_fleet(robots[i]);
        figures f = figures_of(t);
        printf("discovery-wifi-join, %2d robots: %zu pairs matched, %zu never, mean match "
               "delay %.3f ms, max %.3f ms, %.0f samples published before their match\n",
               robots[i], f.matches, f.no_matches, f.mean_ms, f.max_ms, f.unmatched_samples);
        /* Each robot's status to the manager and the manager's map to it. */
        assert_int_equal(f.matches, 2 * (size_t)robots[i]);
        assert_int_equal(f.no_matches, 0);
        assert_true(f.mean_ms > previous);
        previous = f.mean_ms;
        ts_trace_free(t);
    }
}

static void same_events_on_rerun(void **state)
{
    (void)state;
    ts_trace *a = run_fleet(20), *b = run_fleet(20);
    assert_int_equal(a->n_events, b->n_events);
    for (size_t i = 0; i < a->n_events; i++) {
        assert_int_equal(a->events[i].time_ns, b->events[i].time_ns);
        assert_string_equal(a->events[i].kind, b->events[i].kind);
        assert_true(a->events[i].value == b->events[i].value);
    }
    ts_trace_free(a);
    ts_trace_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(match_delay_rises_with_fleet),
        cmocka_unit_test(same_events_on_rerun),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
