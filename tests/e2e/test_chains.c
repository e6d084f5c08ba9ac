/*
 * Processing chains end to end (src/sim/chains.c, src/validate/chains.c):
 * tests/e2e/chain-three-stage.xml's instances against a schedule computed
 * by hand to the nanosecond, its scores and chain-deadline gate, the
 * same rows at the summary level, a run too short for any output failing
 * the gate closed, humanoid-basic's perception chain passing, and a
 * baseline comparison of a chain's data age and misses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "scenario_run.h"
#include "toposim/trace.h"
#include "toposim/validate.h"
#include "toposim/world.h"

#define US INT64_C(1000)
#define MS INT64_C(1000000)

static const char *const THREE = "tests/e2e/chain-three-stage.xml";

static ts_validation *validate(const ts_trace *t)
{
    ts_validation *v = NULL;
    ts_error err;
    if (ts_validate(t, &v, &err) != TS_OK)
        fail_msg("validate: %s", err.msg);
    return v;
}

static const ts_gate *gate(const ts_validation *v, const char *name)
{
    for (size_t i = 0; i < v->n_gates; i++)
        if (strcmp(v->gates[i].name, name) == 0)
            return &v->gates[i];
    fail_msg("no gate %s", name);
    return NULL;
}

/*
 * The schedule, each stage alone on its core with a fixed execution time
 * (no contention, no preemption), links without header or fragmentation:
 *
 * camera: released at 10k ms, runs 2 ms, ends at 10k + 2 ms and sends
 *   frame k (1000 B): 1000 B x 8 bit / 8 Mbit/s = 1 ms on the wire, then
 *   1 ms propagation, so it reaches vision at 10k + 4 ms, stamped 10k ms.
 * vision: released at 5 + 20j ms, starts at once, reads the latest frame
 *   delivered by then: frames arrive at 4, 14, 24, ... so at 5 + 20j the
 *   newest is frame 2j (arrived 20j + 4 ms), stamp 20j ms. It ends at
 *   8 + 20j ms and sends features (100 B: 100 us on the wire + 1 ms), which
 *   reach control at 9.1 + 20j ms.
 * control: released at 10i ms, reads at its start the latest features
 *   delivered by then and ends 1 ms later. At 0 nothing has arrived (no
 *   output). At 10 and 20 the newest is vision's first (arrived 9.1,
 *   stamp 0); at 30 and 40 its second (29.1, stamp 20); and so on: output
 *   at 10i + 1 ms carries stamp 20 * floor((i - 1) / 2) ms, i = 1..9 (the
 *   run ends at 100 ms).
 *
 * Data ages: 11, 21, 11, 21, ... ms; against the 15 ms budget 5 of 9 meet
 * it. Reaction times: each new stamp 20m first shows at 20m + 11 ms, 20m
 * + 11 - 20(m - 1) = 31 ms after the stamp before it (m = 1..4).
 */
static void test_three_stage_schedule(void **state)
{
    (void)state;
    ts_trace *t = scenario_run(THREE);
    assert_int_equal(t->n_chains, 1);
    const ts_trace_chain *ch = &t->chains[0];
    assert_string_equal(ch->name, "see_act");
    assert_true(ch->budget_ns == 15 * MS);
    assert_int_equal(ch->n_stages, 5);
    assert_int_equal(ch->first, ROW(t, components, "camera"));
    assert_int_equal(ch->last, ROW(t, components, "control"));
    assert_string_equal(ch->stages, "camera frame vision features control");

    /* The network part of the computation, from /messages: frame 0 sent
     * at 2 ms arrives at 4 ms, features 0 sent at 8 ms at 9.1 ms. */
    int frame = ROW(t, topics, "frame"), features = ROW(t, topics, "features");
    for (size_t i = 0; i < t->n_messages; i++) {
        const ts_trace_message *m = &t->messages[i];
        if (m->topic == frame)
            assert_true(m->recv_ns - m->send_ns == 2 * MS);
        if (m->topic == features)
            assert_true(m->recv_ns - m->send_ns == 1 * MS + 100 * US);
    }

    assert_int_equal(t->n_chain_instances, 9);
    for (int i = 1; i <= 9; i++) {
        const ts_trace_chain_instance *in = &t->chain_instances[i - 1];
        assert_int_equal(in->chain, 0);
        assert_int_equal(in->dropped, 0);
        assert_true(in->input_ns == 20 * ((i - 1) / 2) * MS);
        assert_true(in->output_ns == (10 * i + 1) * MS);
    }

    ts_validation *v = validate(t);
    assert_int_equal(v->n_chains, 1);
    const ts_chain_score *s = &v->chains[0];
    assert_int_equal(s->outputs, 9);
    assert_int_equal(s->dropped, 0);
    assert_int_equal(s->met, 5);
    assert_true(fabs(s->compliance - 5.0 / 9.0) < 1e-12);
    /* Sorted ages: five of 11 ms, four of 21 ms; GSL's quantile at 0.5
     * is the 5th (11 ms), at 0.99 between the 8th and 9th (21 ms). */
    assert_true(s->age_p50_ns == 11 * MS);
    assert_true(s->age_p99_ns == 21 * MS);
    assert_true(s->age_max_ns == 21 * MS);
    assert_int_equal(s->reactions, 4);
    assert_true(s->reaction_p50_ns == 31 * MS);
    assert_true(s->reaction_max_ns == 31 * MS);
    const ts_gate *g = gate(v, "chain-deadline:see_act");
    assert_false(g->pass);
    assert_true(fabs(g->actual - 5.0 / 9.0) < 1e-12);
    assert_true(g->required == 0.99);
    assert_false(v->all_pass);
    ts_validation_free(v);
    ts_trace_free(t);
}

/* The summary level keeps every chain instance as it is. */
static void test_summary_level_same_rows(void **state)
{
    (void)state;
    ts_trace *full = scenario_run(THREE);
    ts_run_options opts;
    memset(&opts, 0, sizeof opts);
    opts.trace_level = TS_TRACE_LEVEL_SUMMARY;
    ts_trace *sum = scenario_run_with(THREE, &opts);
    assert_int_equal(sum->n_chain_instances, full->n_chain_instances);
    assert_memory_equal(sum->chain_instances, full->chain_instances,
                        full->n_chain_instances * sizeof *full->chain_instances);
    ts_trace_free(full);
    ts_trace_free(sum);
}

/* 8 ms: control's only job (at 0) finds nothing delivered, so the chain
 * has no output, and its gate fails rather than passing on no evidence. */
static void test_zero_outputs_fail_closed(void **state)
{
    (void)state;
    ts_run_options opts;
    memset(&opts, 0, sizeof opts);
    opts.duration_ns = 8 * MS;
    ts_trace *t = scenario_run_with(THREE, &opts);
    assert_int_equal(t->n_chains, 1);
    assert_int_equal(t->n_chain_instances, 0);
    ts_validation *v = validate(t);
    assert_int_equal(v->chains[0].outputs, 0);
    assert_true(v->chains[0].age_p50_ns == -1);
    assert_true(v->chains[0].reaction_max_ns == -1);
    const ts_gate *g = gate(v, "chain-deadline:see_act");
    assert_false(g->pass);
    assert_true(isnan(g->actual));
    assert_non_null(strstr(g->message, "no output"));
    ts_validation_free(v);
    ts_trace_free(t);
}

/* The default scenario's perception chain: every output within 150 ms,
 * data age at least the frame's ~24 ms trip over Wi-Fi plus the stages'
 * execution, and the gate passes. */
static void test_humanoid_perception(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("scenarios/humanoid-basic.xml");
    assert_int_equal(t->n_chains, 1);
    ts_validation *v = validate(t);
    const ts_chain_score *s = &v->chains[0];
    assert_string_equal(s->name, "perception");
    assert_true(s->outputs > 4000); /* balance_controller at 500 Hz, 10 s */
    assert_int_equal(s->dropped, 0);
    assert_true(s->age_p50_ns > 24 * MS + 20 * MS);
    assert_true(s->age_max_ns <= s->budget_ns);
    assert_true(s->reaction_max_ns > s->age_p50_ns);
    assert_true(gate(v, "chain-deadline:perception")->pass);
    assert_true(v->all_pass);
    ts_validation_free(v);
    ts_trace_free(t);
}

/* A baseline comparison holds a chain's p99 data age and miss ratio to
 * the tolerances: 21 ms may grow to 23.1 ms (10 %), not beyond. */
static void test_baseline_compares_chains(void **state)
{
    (void)state;
    ts_trace *t = scenario_run(THREE);
    ts_validation *before = validate(t), *after = validate(t);
    ts_comparison *c = NULL;
    ts_error err;
    after->chains[0].age_p99_ns = 23 * MS;
    assert_int_equal(ts_validation_compare(before, after, NULL, &c, &err), TS_OK);
    size_t seen = 0;
    for (size_t i = 0; i < c->n_deltas; i++)
        if (strcmp(c->deltas[i].item, "see_act") == 0) {
            seen++;
            assert_false(c->deltas[i].regression);
            if (strcmp(c->deltas[i].metric, "p99") == 0)
                assert_true(fabs(c->deltas[i].limit - 23.1 * MS) < 1.0);
        }
    assert_int_equal(seen, 2);
    ts_comparison_free(c);
    after->chains[0].age_p99_ns = 24 * MS;
    after->chains[0].compliance = 0.5;
    assert_int_equal(ts_validation_compare(before, after, NULL, &c, &err), TS_OK);
    assert_int_equal(c->regressions, 2);
    ts_comparison_free(c);
    ts_validation_free(before);
    ts_validation_free(after);
    ts_trace_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_stage_schedule),
        cmocka_unit_test(test_summary_level_same_rows),
        cmocka_unit_test(test_zero_outputs_fail_closed),
        cmocka_unit_test(test_humanoid_perception),
        cmocka_unit_test(test_baseline_compares_chains),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
