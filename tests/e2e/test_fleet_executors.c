/*
 * A process on a fleet's template robot is copied with the robot: each
 * copy runs its own executor over its own components (README,
 * "Executors"). From the traces of tests/e2e/fleet-executor*.xml, three
 * robots, each with chain-executor.xml's single-threaded process on one
 * core:
 * - the loaded scenario has one process per robot, each over its own
 *   robot's components in the template's order;
 * - the template's jobs follow the hand-computed schedule below, and in
 *   lockstep r1's and r2's are the template's to the nanosecond;
 * - with phases r1 = 3 ms and r2 = 7 ms every job of a copy is the
 *   template's shifted by its robot's phase;
 * - r2's z at 100 Hz (a robot-override of a component in the process)
 *   changes r2's executor alone, as hand-computed; r0 and r1 keep the
 *   lockstep schedule;
 * - a robot's overrides may move a whole process to another of its
 *   nodes (tests/bad/fleet-process-override-moves.xml: not a part of it);
 * - failing each allocation of the load in turn gives out of memory or a
 *   whole scenario, and leaves no block live (a half-made copy of a
 *   process is freed as a copy, or not at all).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "scenario_run.h"
#include "toposim/alloc.h"
#include "toposim/scenario.h"
#include "toposim/trace.h"

#define NS INT64_C(1)
#define MS INT64_C(1000000)
#define PERIOD (20 * MS)
#define PERIODS 3 /* releases at 0, 20 and 40 ms in the 59 ms run */

static const char LOCKSTEP[] = "tests/e2e/fleet-executor.xml";
static const char PHASES[] = "tests/e2e/fleet-executor-phases.xml";
static const char OVERRIDE[] = "tests/e2e/fleet-executor-override.xml";

static const char *const COMPONENTS[] = {"camera", "z", "hk", "vision", "detect"};
#define N_COMPONENTS (sizeof COMPONENTS / sizeof *COMPONENTS)

/*
 * One period of the template (the schedule of chain-executor.xml, as
 * tests/e2e/test_chain_triggers.c derives it): shared memory takes 8175 ns
 * for the image and 8018 ns for the features; polling points at 0
 * {camera}, 1.008175 ms {vision}, 3.008175 {z}, 6.008175 {hk, detect},
 * timers first. The executor is idle from 7.508175 ms to the next period,
 * so period k is period 0 shifted by 20k ms.
 */
typedef struct expected {
    int64_t release, start, finish;
} expected;

static const expected SCHEDULE[N_COMPONENTS] = {
    {0, 0, 1 * MS},                                /* camera */
    {2 * MS, 3008175 * NS, 6008175 * NS},          /* z */
    {4 * MS, 6008175 * NS, 6508175 * NS},          /* hk */
    {1008175 * NS, 1008175 * NS, 3008175 * NS},    /* vision */
    {3016193 * NS, 6508175 * NS, 7508175 * NS},    /* detect */
};

/* Component `id` of robot r ("z", "z_r1", ...). */
static int row_of(const ts_trace *t, const char *id, int robot)
{
    char name[64];
    if (robot == 0)
        snprintf(name, sizeof name, "%s", id);
    else
        snprintf(name, sizeof name, "%s_r%d", id, robot);
    return ROW(t, components, name);
}

/* The jobs of component row c, in seq order (the trace's order). */
static size_t jobs_of(const ts_trace *t, int c, const ts_trace_job **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_jobs; i++)
        if (t->jobs[i].component == c) {
            assert_true(n < cap);
            out[n++] = &t->jobs[i];
        }
    return n;
}

static void expect_job(const ts_trace_job *j, const char *what, int64_t release, int64_t start,
                       int64_t finish)
{
    if (j->release_ns != release || j->start_ns != start || j->finish_ns != finish)
        fail_msg("%s #%llu: release %lld start %lld finish %lld, expected %lld %lld %lld", what,
                 (unsigned long long)j->seq, (long long)j->release_ns, (long long)j->start_ns,
                 (long long)j->finish_ns, (long long)release, (long long)start,
                 (long long)finish);
}

/* Robot r's component `id` ran exactly the template's schedule, shifted
 * by `shift`, one job per period. */
static void expect_schedule(const ts_trace *t, int robot, size_t k, int64_t shift)
{
    const ts_trace_job *jobs[16];
    size_t n = jobs_of(t, row_of(t, COMPONENTS[k], robot), jobs, 16);
    assert_int_equal(n, PERIODS);
    for (size_t p = 0; p < n; p++) {
        int64_t at = (int64_t)p * PERIOD + shift;
        char what[64];
        snprintf(what, sizeof what, "r%d %s", robot, COMPONENTS[k]);
        expect_job(jobs[p], what, SCHEDULE[k].release + at, SCHEDULE[k].start + at,
                   SCHEDULE[k].finish + at);
    }
}

static void each_robot_has_its_process(void **state)
{
    (void)state;
    ts_scenario *s = NULL;
    ts_trace *t = scenario_run_set(LOCKSTEP, NULL, 0, NULL, &s);
    assert_int_equal(s->n_processes, 3);
    for (int r = 0; r < 3; r++) {
        const ts_scenario_process *p = &s->processes[r];
        char id[32];
        snprintf(id, sizeof id, r ? "perception_r%d" : "perception", r);
        assert_string_equal(p->id, id);
        assert_int_equal(p->executor, TS_EXECUTOR_SINGLE_THREADED);
        assert_int_equal(p->n_components, N_COMPONENTS);
        for (size_t k = 0; k < N_COMPONENTS; k++) {
            const ts_scenario_component *c = &s->components[p->components[k]];
            char cid[32];
            snprintf(cid, sizeof cid, r ? "%s_r%d" : "%s", COMPONENTS[k], r);
            assert_string_equal(c->id, cid);
            assert_int_equal(c->process, r);
            assert_int_equal(c->fleet_member, r);
        }
    }
    ts_scenario_free(s);
    ts_trace_free(t);
}

static void copies_run_in_lockstep(void **state)
{
    (void)state;
    ts_trace *t = scenario_run_set(LOCKSTEP, NULL, 0, NULL, NULL);
    for (int r = 0; r < 3; r++)
        for (size_t k = 0; k < N_COMPONENTS; k++)
            expect_schedule(t, r, k, 0);
    ts_trace_free(t);
}

static void copies_shift_by_their_phase(void **state)
{
    (void)state;
    static const int64_t phase[] = {0, 3 * MS, 7 * MS};
    ts_scenario *s = NULL;
    ts_trace *t = scenario_run_set(PHASES, NULL, 0, NULL, &s);
    /* the loaded phases are the file's */
    for (size_t i = 0; i < s->n_components; i++) {
        const ts_scenario_component *c = &s->components[i];
        if (c->shared->period_ns > 0)
            assert_int_equal(c->release_shift_ns, phase[c->fleet_member]);
    }
    for (int r = 0; r < 3; r++)
        for (size_t k = 0; k < N_COMPONENTS; k++)
            expect_schedule(t, r, k, phase[r]);
    ts_scenario_free(s);
    ts_trace_free(t);
}

/*
 * r2's z at 100 Hz: released at 2, 12, 22, 32, 42 and 52 ms. At 12, 32
 * and 52 the executor is idle: z runs at once for 3 ms. At 22 and 42 it
 * is as at 2 (vision runs until 20 + 3.008175 ms, the next polling point
 * takes z): 3.008175 ms into the period. Everything else of r2, and all
 * of r0 and r1, keep the lockstep schedule.
 */
static void override_changes_only_its_robot(void **state)
{
    (void)state;
    ts_trace *t = scenario_run_set(OVERRIDE, NULL, 0, NULL, NULL);
    for (int r = 0; r < 3; r++)
        for (size_t k = 0; k < N_COMPONENTS; k++)
            if (r != 2 || strcmp(COMPONENTS[k], "z"))
                expect_schedule(t, r, k, 0);
    const ts_trace_job *jobs[16];
    size_t n = jobs_of(t, row_of(t, "z", 2), jobs, 16);
    assert_int_equal(n, 6);
    for (size_t i = 0; i < n; i++) {
        int64_t release = 2 * MS + (int64_t)i * 10 * MS;
        int64_t start = i % 2 ? release : release + 1008175 * NS;
        expect_job(jobs[i], "r2 z", release, start, start + 3 * MS);
    }
    ts_trace_free(t);
}

static const char MOVED[] =
    "<scenario name=\"moved\" seed=\"1\" duration=\"1s\">\n"
    "  <platform>\n"
    "    <robot id=\"h1\">\n"
    "      <computer id=\"h1_cpu\" cores=\"2\" memory=\"1GiB\"/>\n"
    "      <computer id=\"h1_aux\" cores=\"2\" memory=\"1GiB\"/>\n"
    "    </robot>\n"
    "    <edge id=\"rack\"><server id=\"edge1\" cores=\"4\" memory=\"8GiB\"/></edge>\n"
    "    <link id=\"h1_bus\" from=\"h1_cpu\" to=\"h1_aux\" model=\"gbe\"/>\n"
    "    <link id=\"h1_uplink\" from=\"h1_cpu\" to=\"edge1\" model=\"gbe\"/>\n"
    "  </platform>\n"
    "  <components>\n"
    "    <component id=\"camera\" robot=\"h1\" rate=\"50Hz\" exec=\"1ms\" node=\"h1_cpu\"/>\n"
    "    <component id=\"vision\" robot=\"h1\" rate=\"50Hz\" exec=\"2ms\" node=\"h1_cpu\"/>\n"
    "  </components>\n"
    "  <processes>\n"
    "    <process id=\"perception\" components=\"camera vision\"/>\n"
    "  </processes>\n"
    "  <fleet id=\"trio\" template=\"h1\" count=\"3\">\n"
    "    <robot-override robot=\"r2\" set=\"component[camera].node=h1_aux\"/>\n"
    "    <robot-override robot=\"r2\" set=\"component[vision].node=h1_aux\"/>\n"
    "  </fleet>\n"
    "</scenario>\n";

static void overrides_move_a_whole_process(void **state)
{
    (void)state;
    ts_scenario *s = NULL;
    ts_error err;
    ts_error_clear(&err);
    int rc = ts_scenario_load_memory(MOVED, sizeof MOVED - 1, "moved.xml", NULL, &s, &err);
    if (rc != TS_OK) {
        char buf[1200];
        ts_error_format(&err, buf, sizeof buf);
        fail_msg("%s", buf);
    }
    assert_int_equal(s->n_processes, 3);
    static const char *const node[] = {"h1_cpu", "h1_cpu_r1", "h1_aux_r2"};
    for (int r = 0; r < 3; r++) {
        const ts_scenario_process *p = &s->processes[r];
        assert_int_equal(p->n_components, 2);
        for (size_t m = 0; m < 2; m++)
            assert_string_equal(s->nodes[s->components[p->components[m]].pin].id, node[r]);
    }
    ts_scenario_free(s);
}

static void has_three_processes(const ts_scenario *s)
{
    assert_int_equal(s->n_processes, 3);
}

static void load_survives_each_failed_allocation(void **state)
{
    (void)state;
    scenario_load_each_failure(OVERRIDE, has_three_processes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_robot_has_its_process),
        cmocka_unit_test(copies_run_in_lockstep),
        cmocka_unit_test(copies_shift_by_their_phase),
        cmocka_unit_test(override_changes_only_its_robot),
        cmocka_unit_test(overrides_move_a_whole_process),
        cmocka_unit_test(load_survives_each_failed_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
