/*
 * A chain whose stages are all on a fleet's template robot is copied with
 * the robot: each copy's chain follows its own components and topics and
 * gets its own gate (README, "Chains"). From the traces of
 * tests/e2e/fleet-chain*.xml, three robots, each with chain-executor.xml's
 * single-threaded process and the chain camera -> image -> vision ->
 * features -> detect:
 * - the loaded scenario has one chain per robot, over its robot's
 *   components and topics;
 * - the template's instances are the hand-computed schedule's (input: the
 *   camera's release, 20k ms; output: detect's end, 7.508175 ms later,
 *   tests/e2e/test_fleet_executors.c derives it), and in lockstep r1's
 *   and r2's are the template's to the nanosecond;
 * - with phases r1 = 3 ms and r2 = 7 ms every instance of a copy is the
 *   template's shifted by its robot's phase;
 * - r2's camera at 25 Hz (a robot-override) gives r2's chain inputs at 0
 *   and 40 ms alone; r0 and r1 keep theirs;
 * - a crash of r2's computer before its first frame is out leaves
 *   perception_r2 without outputs, failing its gate, while the other two
 *   chains keep every instance and pass; the scorecard rolls the three
 *   up in one row whose worst copy is r2;
 * - a chain with a stage off the robot stays the template's alone;
 * - rings sized from the budget (a fleet keeps a chain per robot): with
 *   a 5 ms budget at 1 kHz, frames held 15 ms on the way outrun the
 *   8-entry ring, the lost entries are reported for the chain and fail
 *   its gate; with 30 ms the 33-entry ring loses none
 *   (chain-ring-window*.xml);
 * - failing each allocation of the load in turn gives out of memory or a
 *   whole scenario, and leaves no block live (a half-made copy of a
 *   chain is freed as a copy, its id and stages in the fleet's block).
 */
#include <math.h>
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
#include "toposim/validate.h"

#define NS INT64_C(1)
#define MS INT64_C(1000000)
#define PERIOD (20 * MS)
#define PERIODS 3                     /* releases at 0, 20 and 40 ms */
#define AGE (7508175 * NS)            /* camera release to detect's end */

static const char LOCKSTEP[] = "tests/e2e/fleet-chain.xml";
static const char PHASES[] = "tests/e2e/fleet-chain-phases.xml";
static const char FAULT[] = "tests/e2e/fleet-chain-fault.xml";
static const char OVERRIDE[] = "tests/e2e/fleet-chain-override.xml";

static const char *const CHAINS[] = {"perception", "perception_r1", "perception_r2"};

/* The instances of chain `name`, in the trace's (output) order. */
static size_t instances_of(const ts_trace *t, const char *name,
                           const ts_trace_chain_instance **out, size_t cap)
{
    int row = ROW(t, chains, name);
    assert_true(row >= 0);
    size_t n = 0;
    for (size_t i = 0; i < t->n_chain_instances; i++)
        if (t->chain_instances[i].chain == row) {
            assert_true(n < cap);
            out[n++] = &t->chain_instances[i];
        }
    return n;
}

/* Robot r's chain: n instances a camera period apart, input at the
 * camera's release shifted by `shift`, output AGE later. */
static void expect_every(const ts_trace *t, int robot, size_t count, int64_t period,
                         int64_t shift)
{
    const ts_trace_chain_instance *in[16];
    size_t n = instances_of(t, CHAINS[robot], in, 16);
    assert_int_equal(n, count);
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(in[k]->dropped, 0);
        assert_int_equal(in[k]->input_ns, (int64_t)k * period + shift);
        assert_int_equal(in[k]->output_ns, (int64_t)k * period + shift + AGE);
    }
}

static void expect_instances(const ts_trace *t, int robot, int64_t shift)
{
    expect_every(t, robot, PERIODS, PERIOD, shift);
}

static const ts_gate *gate(const ts_validation *v, const char *name)
{
    for (size_t i = 0; i < v->n_gates; i++)
        if (strcmp(v->gates[i].name, name) == 0)
            return &v->gates[i];
    fail_msg("no gate %s", name);
    return NULL;
}

static void each_robot_has_its_chain(void **state)
{
    (void)state;
    ts_scenario *s = NULL;
    ts_trace *t = scenario_run_set(LOCKSTEP, NULL, 0, NULL, &s);
    assert_int_equal(s->n_chains, 3);
    static const char *const STAGES[] = {"camera", "image", "vision", "features", "detect"};
    for (int r = 0; r < 3; r++) {
        const ts_scenario_chain *ch = &s->chains[r];
        assert_string_equal(ch->id, CHAINS[r]);
        assert_int_equal(ch->budget_ns, 10 * MS);
        assert_int_equal(ch->n_stages, 5);
        for (size_t k = 0; k < 5; k++) {
            char want[64];
            if (r == 0)
                snprintf(want, sizeof want, "%s", STAGES[k]);
            else
                snprintf(want, sizeof want, "%s_r%d", STAGES[k], r);
            const char *got = k % 2 == 0 ? s->components[ch->stages[k]].id
                                         : s->topics[ch->stages[k]].id;
            assert_string_equal(got, want);
        }
    }
    /* the trace's /chains names each robot's stages */
    int row = ROW(t, chains, "perception_r2");
    assert_true(row >= 0);
    assert_string_equal(t->chains[row].stages,
                        "camera_r2 image_r2 vision_r2 features_r2 detect_r2");
    assert_int_equal(t->chains[row].first, ROW(t, components, "camera_r2"));
    assert_int_equal(t->chains[row].last, ROW(t, components, "detect_r2"));
    ts_trace_free(t);
    ts_scenario_free(s);
}

static void copies_follow_in_lockstep(void **state)
{
    (void)state;
    ts_trace *t = scenario_run_set(LOCKSTEP, NULL, 0, NULL, NULL);
    for (int r = 0; r < 3; r++)
        expect_instances(t, r, 0);
    ts_trace_free(t);
}

static void copies_shift_by_their_phase(void **state)
{
    (void)state;
    static const int64_t phase[] = {0, 3 * MS, 7 * MS};
    ts_trace *t = scenario_run_set(PHASES, NULL, 0, NULL, NULL);
    for (int r = 0; r < 3; r++)
        expect_instances(t, r, phase[r]);
    ts_trace_free(t);
}

/* r2's camera at 25 Hz: its chain's inputs at 0 and 40 ms */
static void override_changes_only_its_robots_chain(void **state)
{
    (void)state;
    ts_trace *t = scenario_run_set(OVERRIDE, NULL, 0, NULL, NULL);
    expect_instances(t, 0, 0);
    expect_instances(t, 1, 0);
    expect_every(t, 2, 2, 2 * PERIOD, 0);
    ts_trace_free(t);
}

static void crash_on_r2_fails_only_its_chain(void **state)
{
    (void)state;
    ts_trace *t = scenario_run_set(FAULT, NULL, 0, NULL, NULL);
    expect_instances(t, 0, 0);
    expect_instances(t, 1, 0);
    const ts_trace_chain_instance *in[16];
    assert_int_equal(instances_of(t, "perception_r2", in, 16), 0);
    ts_validation *v = NULL;
    ts_error err;
    assert_int_equal(ts_validate(t, &v, &err), TS_OK);
    assert_true(gate(v, "chain-deadline:perception")->pass);
    assert_true(gate(v, "chain-deadline:perception_r1")->pass);
    const ts_gate *g = gate(v, "chain-deadline:perception_r2");
    assert_false(g->pass);
    assert_true(isnan(g->actual));
    /* the scores: one row per robot's chain, in the trace's order */
    assert_int_equal(v->n_chains, 3);
    for (int r = 0; r < 3; r++) {
        assert_string_equal(v->chains[r].name, CHAINS[r]);
        assert_int_equal(v->chains[r].outputs, r == 2 ? 0 : PERIODS);
        if (r < 2)
            assert_int_equal(v->chains[r].age_max_ns, AGE);
        /* rolled up as topics are: one group, its worst copy r2 */
        assert_int_equal(v->chains[r].rollup, 0);
        char copy[16];
        snprintf(copy, sizeof copy, "r%d", r);
        assert_string_equal(v->chains[r].copy, copy);
    }
    assert_int_equal(v->chains[0].copies, 3);
    assert_int_equal(v->chains[0].worst_copy, 2);
    ts_validation_free(v);
    ts_trace_free(t);
}

/* mapper, on the edge, reads every robot's image: a chain through it
 * stays the template's; the chain on the robot is copied. */
static const char MIXED[] =
    "<scenario name=\"mixed\" seed=\"1\" duration=\"1s\">"
    "<platform><robot id=\"h1\"><computer id=\"h1_cpu\" cores=\"2\" memory=\"1GiB\"/></robot>"
    "<edge id=\"rack\"><server id=\"edge1\" cores=\"4\" memory=\"8GiB\"/></edge>"
    "<link id=\"h1_uplink\" from=\"h1_cpu\" to=\"edge1\" model=\"gbe\"/></platform>"
    "<components>"
    "<component id=\"camera\" robot=\"h1\" rate=\"50Hz\" exec=\"1ms\" node=\"h1_cpu\"/>"
    "<component id=\"vision\" robot=\"h1\" trigger=\"image\" exec=\"2ms\" node=\"h1_cpu\"/>"
    "<component id=\"mapper\" rate=\"10Hz\" exec=\"5ms\" node=\"edge1\"/>"
    "</components>"
    "<topics><topic id=\"image\" publisher=\"camera\" subscribers=\"vision mapper\" "
    "size=\"1000B\"/></topics>"
    "<chains>"
    "<chain id=\"onboard\" budget=\"10ms\"><stage component=\"camera\"/>"
    "<stage topic=\"image\"/><stage component=\"vision\"/></chain>"
    "<chain id=\"mapping\" budget=\"200ms\"><stage component=\"camera\"/>"
    "<stage topic=\"image\"/><stage component=\"mapper\"/></chain>"
    "</chains>"
    "<fleet id=\"trio\" template=\"h1\" count=\"3\"/>"
    "</scenario>";

static void chain_through_a_shared_stage_stays_the_templates(void **state)
{
    (void)state;
    ts_scenario *s = NULL;
    ts_error err;
    int rc = ts_scenario_load_memory(MIXED, sizeof MIXED - 1, "mixed.xml", NULL, &s, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_int_equal(s->n_chains, 4);
    assert_string_equal(s->chains[0].id, "onboard");
    assert_string_equal(s->chains[1].id, "mapping");
    assert_string_equal(s->chains[2].id, "onboard_r1");
    assert_string_equal(s->chains[3].id, "onboard_r2");
    /* the template's mapping chain reads the template's image */
    assert_string_equal(s->topics[s->chains[1].stages[1]].id, "image");
    assert_string_equal(s->components[s->chains[3].stages[2]].id, "vision_r2");
    ts_scenario_free(s);
}

/* The 20 frames camera sends during the spike (jobs 20..39, sent at
 * k + 0.1 ms, delivered at k + 16.1 ms) each find camera's ring of 8
 * past their job: at least 20 lost entries, all of chain loop's. */
static void ring_from_the_budget_fails_closed(void **state)
{
    (void)state;
    ts_trace *t = scenario_run_set("tests/e2e/chain-ring-window.xml", NULL, 0, NULL, NULL);
    assert_int_equal(scenario_count(t, "chain_ring_overflow"), 1);
    const ts_trace_event *e = scenario_event(t, "chain_ring_overflow", -1, 0);
    assert_non_null(e);
    assert_true(e->value >= 20);
    assert_memory_equal(e->detail, "chain loop: ", 12);
    ts_validation *v = NULL;
    ts_error err;
    assert_int_equal(ts_validate(t, &v, &err), TS_OK);
    assert_true(v->chains[0].outputs > 0);
    const ts_gate *g = gate(v, "chain-deadline:loop");
    assert_false(g->pass);
    assert_non_null(strstr(g->message, "ring entries"));
    ts_validation_free(v);
    ts_trace_free(t);

    /* 30 ms: 33 entries, more than the 17 jobs camera ends while a
     * spiked frame is on the way; every control job but the first (at
     * 0.5 ms, before the first frame arrives at 1.1 ms) gives an output:
     * 59 of 60 */
    t = scenario_run_set("tests/e2e/chain-ring-window-wide.xml", NULL, 0, NULL, NULL);
    assert_int_equal(scenario_count(t, "chain_ring_overflow"), 0);
    assert_int_equal(ts_validate(t, &v, &err), TS_OK);
    assert_int_equal(v->chains[0].outputs, 59);
    assert_true(gate(v, "chain-deadline:loop")->pass);
    ts_validation_free(v);
    ts_trace_free(t);
}

static void has_three_chains(const ts_scenario *s)
{
    assert_int_equal(s->n_chains, 3);
}

static void load_survives_each_failed_allocation(void **state)
{
    (void)state;
    scenario_load_each_failure(PHASES, has_three_chains);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_robot_has_its_chain),
        cmocka_unit_test(copies_follow_in_lockstep),
        cmocka_unit_test(copies_shift_by_their_phase),
        cmocka_unit_test(override_changes_only_its_robots_chain),
        cmocka_unit_test(crash_on_r2_fails_only_its_chain),
        cmocka_unit_test(chain_through_a_shared_stage_stays_the_templates),
        cmocka_unit_test(ring_from_the_budget_fails_closed),
        cmocka_unit_test(load_survives_each_failed_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
