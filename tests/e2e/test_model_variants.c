/*
 * Model variants end to end (README, "Model variants"): on an Orin NX in
 * its 15W mode an INT8 build of YOLOv8s meets a 20 ms deadline that the
 * FP32 build misses; plan picks it and says why, the run's jobs take its
 * hand-computed time and meet the deadline, and a pinned FP32 build is
 * honoured and misses every one. At 30 Hz the DLA build meets the
 * deadline at less power and is picked instead; with a deadline no build
 * meets, plan refuses.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "toposim/alloc.h"
#include "toposim/scenario.h"
#include "toposim/trace.h"
#include "toposim/world.h"

#include "scenario_run.h"

#define MS 1000000LL

/* The 15W mode's clocks against the figures' reference clocks: the CPU
 * part 3 ms at 1651.2 MHz instead of 2 GHz is 3,633,720.9 ns, which the
 * compute model ends on the next nanosecond; the GPU part at 612 MHz
 * instead of 918 MHz is 1.5 times as long. */
#define CPU_PART 3633721LL
#define INT8_GPU (5580000LL * 3 / 2)
#define FP32_GPU (22530000LL * 3 / 2)

static const char INT8_REASON[] =
    "variant int8-gpu: 12 ms meets 20 ms at 6 W; fp32-gpu 37.4 ms misses; "
    "fp16-gpu 15.3 ms meets at 7.5 W; int8-dla 21.6 ms misses; pinned to nx";

/* Loads and plans path; the caller frees both. */
static ts_plan *plan_of(const char *path, ts_scenario **s)
{
    ts_error err;
    ts_scenario_options opts = {.models_dir = "models"};
    if (ts_scenario_load(path, &opts, s, &err) != TS_OK)
        fail_msg("%s:%d: %s", err.file, err.line, err.msg);
    ts_plan *plan = NULL;
    if (ts_plan_new(*s, &plan, &err) != TS_OK)
        fail_msg("%s:%d: %s", err.file, err.line, err.msg);
    return plan;
}

static void test_plan_picks_int8_with_the_reason(void **state)
{
    (void)state;
    ts_scenario *s = NULL;
    ts_plan *plan = plan_of("tests/e2e/variant-orin-nx.xml", &s);
    assert_non_null(plan->variants);
    const ts_plan_variant *v = &plan->variants[0];
    assert_string_equal(s->dnns[0].variants[v->variant].name, "int8-gpu");
    assert_int_equal(v->meets, 1);
    assert_int_equal(v->response_ns, CPU_PART + INT8_GPU);
    assert_int_equal(v->exec_ns, 3 * MS);
    assert_int_equal(v->gpu_exec_ns, 5580000);
    assert_memory_equal(plan->placement[0].reason, INT8_REASON, sizeof INT8_REASON - 1);
    ts_plan_free(plan);
    ts_scenario_free(s);
}

static void test_run_meets_the_deadline_with_int8(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("tests/e2e/variant-orin-nx.xml");
    int c = ROW(t, components, "detector");
    /* the component table shows the chosen build's CPU part */
    assert_int_equal(t->components[c].exec_ns, 3 * MS);
    size_t jobs = 0;
    for (size_t i = 0; i < t->n_jobs; i++) {
        const ts_trace_job *j = &t->jobs[i];
        if (j->component != c || j->finish_ns < 0)
            continue;
        /* alone on the node: each job takes exactly the INT8 build's time */
        assert_int_equal(j->release_ns, (int64_t)j->seq * 20 * MS);
        assert_int_equal(j->finish_ns - j->release_ns, CPU_PART + INT8_GPU);
        assert_true(j->finish_ns <= j->deadline_ns);
        jobs++;
    }
    assert_int_equal(jobs, 50);
    /* the trace's placement reason carries the choice */
    int found = 0;
    for (size_t i = 0; i < t->n_placement; i++)
        if (t->placement[i].component == c) {
            assert_memory_equal(t->placement[i].reason, INT8_REASON, sizeof INT8_REASON - 1);
            found = 1;
        }
    assert_true(found);
    ts_trace_free(t);
}

static void test_pinned_fp32_is_honoured_and_misses(void **state)
{
    (void)state;
    ts_scenario *s = NULL;
    ts_plan *plan = plan_of("tests/e2e/variant-pinned-fp32.xml", &s);
    const ts_plan_variant *v = &plan->variants[0];
    assert_string_equal(s->dnns[0].variants[v->variant].name, "fp32-gpu");
    assert_int_equal(v->meets, 0);
    const char want[] = "pinned variant fp32-gpu: 37.4 ms misses 20 ms at 9 W; ";
    assert_memory_equal(plan->placement[0].reason, want, sizeof want - 1);
    ts_plan_free(plan);
    ts_scenario_free(s);

    ts_trace *t = scenario_run("tests/e2e/variant-pinned-fp32.xml");
    int c = ROW(t, components, "detector");
    size_t jobs = 0, missed = 0;
    for (size_t i = 0; i < t->n_jobs; i++) {
        const ts_trace_job *j = &t->jobs[i];
        if (j->component != c)
            continue;
        if (j->seq == 0)
            assert_int_equal(j->finish_ns, CPU_PART + FP32_GPU);
        jobs++;
        missed += j->finish_ns < 0 || j->finish_ns > j->deadline_ns;
    }
    assert_true(jobs > 0);
    assert_int_equal(missed, jobs);
    ts_trace_free(t);
}

/* The same detector at `rate` with `deadline` (empty: the period). */
static int plan_rate(const char *rate, const char *deadline, ts_scenario **s, ts_plan **plan,
                     ts_error *err)
{
    char text[1024];
    snprintf(text, sizeof text,
             "<scenario name=\"v\" seed=\"1\" duration=\"1s\"><platform><robot id=\"h1\">"
             "<jetson id=\"nx\" model=\"jetson-orin-nx-16gb\" mode=\"15W\"/></robot>"
             "</platform><components><component id=\"detector\" rate=\"%s\" %s cpu=\"1\""
             " memory=\"512MiB\" gpus=\"1\" model=\"yolov8s\" node=\"nx\"/></components>"
             "</scenario>",
             rate, deadline);
    ts_scenario_options opts = {.models_dir = "models"};
    int rc = ts_scenario_load_memory(text, strlen(text), "v.xml", &opts, s, err);
    assert_int_equal(rc, TS_OK);
    return ts_plan_new(*s, plan, err);
}

static void test_dla_wins_at_30hz(void **state)
{
    (void)state;
    ts_scenario *s = NULL;
    ts_plan *plan = NULL;
    ts_error err;
    assert_int_equal(plan_rate("30Hz", "", &s, &plan, &err), TS_OK);
    /* 21.6 ms now meets 33.3 ms, at 2.5 W against int8-gpu's 6 W */
    const char want[] = "variant int8-dla: 21.6 ms meets 33.3 ms at 2.5 W; ";
    assert_memory_equal(plan->placement[0].reason, want, sizeof want - 1);
    ts_plan_free(plan);
    ts_scenario_free(s);
}

static void test_no_variant_meets_is_refused(void **state)
{
    (void)state;
    ts_scenario *s = NULL;
    ts_plan *plan = NULL;
    ts_error err;
    assert_int_equal(plan_rate("50Hz", "deadline=\"10ms\"", &s, &plan, &err), TS_EINFEASIBLE);
    assert_null(plan);
    assert_non_null(strstr(err.msg, "component detector: model yolov8s on node nx "
                                    "(jetson-orin-nx-16gb): no variant meets 10 ms; "
                                    "fp32-gpu 37.4 ms misses"));
    assert_string_equal(err.file, "v.xml");
    assert_int_equal(err.line, 1);
    ts_scenario_free(s);
}

/* In a fleet each copy chooses on its own node: a robot whose camera an
 * override slows to 30 Hz gets the DLA build, the others INT8 on the GPU. */
static void test_fleet_copies_choose_per_robot(void **state)
{
    (void)state;
    static const char text[] =
        "<scenario name=\"vf\" seed=\"1\" duration=\"200ms\"><platform>"
        "<robot id=\"h1\"><jetson id=\"h1_nx\" model=\"jetson-orin-nx-16gb\" mode=\"15W\"/>"
        "</robot><switch id=\"ap\"/><link id=\"h1_l\" from=\"h1_nx\" to=\"ap\" model=\"wifi6\"/>"
        "</platform><components><component id=\"det\" robot=\"h1\" rate=\"50Hz\" cpu=\"1\""
        " memory=\"512MiB\" gpus=\"1\" model=\"yolov8s\" node=\"h1_nx\"/></components>"
        "<fleet id=\"f\" template=\"h1\" count=\"3\">"
        "<robot-override robot=\"r2\" set=\"component[det].rate=30Hz\"/></fleet></scenario>";
    ts_scenario_options opts = {.models_dir = "models"};
    ts_scenario *s = NULL;
    ts_plan *plan = NULL;
    ts_error err;
    assert_int_equal(ts_scenario_load_memory(text, sizeof text - 1, "vf.xml", &opts, &s, &err),
                     TS_OK);
    assert_int_equal(ts_plan_new(s, &plan, &err), TS_OK);
    assert_int_equal(s->n_components, 3);
    for (size_t c = 0; c < 3; c++) {
        const char *want = strcmp(s->components[c].id, "det_r2") == 0 ? "int8-dla" : "int8-gpu";
        assert_string_equal(s->dnns[0].variants[plan->variants[c].variant].name, want);
    }
    ts_plan_free(plan);
    ts_scenario_free(s);
}

/* Placement chooses per candidate node: an Orin Nano in its 7W mode comes
 * first but no build meets 15 ms there (INT8: 4 ms x 1500/960 + 8.2 ms x
 * 625/408 = 6.25 + 12.56 = 18.81 ms; FP16 6.25 + 17.46 = 23.7 ms), while
 * INT8 on the Orin NX in its 15W mode takes 12.00 ms: the detector goes
 * to the NX, and its memory there is its own 512 MiB plus INT8's 150 MiB
 * (also in the GPU's memory, which is the same DRAM). */
static void test_placement_skips_a_node_where_none_meets(void **state)
{
    (void)state;
    static const char text[] =
        "<scenario name=\"v2\" seed=\"1\" duration=\"1s\"><platform><robot id=\"h1\">"
        "<jetson id=\"nano\" model=\"jetson-orin-nano-8gb\" mode=\"7W\"/>"
        "<jetson id=\"nx\" model=\"jetson-orin-nx-16gb\" mode=\"15W\"/></robot>"
        "<switch id=\"sw\"/><link id=\"l1\" from=\"nano\" to=\"sw\" model=\"gbe\"/>"
        "<link id=\"l2\" from=\"nx\" to=\"sw\" model=\"gbe\"/></platform><components>"
        "<component id=\"detector\" rate=\"50Hz\" deadline=\"15ms\" cpu=\"1\""
        " memory=\"512MiB\" gpus=\"1\" model=\"yolov8s\"/></components></scenario>";
    ts_scenario_options opts = {.models_dir = "models"};
    ts_scenario *s = NULL;
    ts_plan *plan = NULL;
    ts_error err;
    assert_int_equal(ts_scenario_load_memory(text, sizeof text - 1, "v2.xml", &opts, &s, &err),
                     TS_OK);
    assert_int_equal(ts_plan_new(s, &plan, &err), TS_OK);
    assert_string_equal(s->nodes[plan->node_of[0]].id, "nx");
    assert_string_equal(s->dnns[0].variants[plan->variants[0].variant].name, "int8-gpu");
    assert_int_equal(plan->variants[0].response_ns, CPU_PART + INT8_GPU);
    const char want[] = "variant int8-gpu: 12 ms meets 15 ms at 6 W; fp32-gpu 37.4 ms misses; "
                        "fp16-gpu 15.3 ms misses; int8-dla 21.6 ms misses; default (no tier "
                        "flag) -> robot; skipped nano (model variant: no variant meets 15ms); "
                        "first fit nx (cpu 1000m of 4000m free, mem 662MiB of 16GiB free";
    assert_memory_equal(plan->placement[0].reason, want, sizeof want - 1);
    ts_place_usage u[4];
    assert_true(s->n_nodes <= 4);
    assert_int_equal(ts_plan_usage(s, plan, u, &err), TS_OK);
    int nx = plan->node_of[0];
    assert_int_equal(u[nx].memory_used_bytes, (512LL + 150) << 20);
    assert_int_equal(u[nx].gpu_memory_used_bytes, 150LL << 20);
    assert_int_equal(u[1 - nx].memory_used_bytes, 0);
    ts_plan_free(plan);
    ts_scenario_free(s);
}

/* Joules drawn over [a, b] by a node whose power is `w` during
 * [s, e) (ns), zero elsewhere. */
static double overlap_j(int64_t a, int64_t b, int64_t s, int64_t e, double w)
{
    int64_t lo = a > s ? a : s, hi = b < e ? b : e;
    return hi > lo ? w * (double)(hi - lo) * 1e-9 : 0.0;
}

/* The Orin NX (models/jetson-orin-nx-16gb.xml): idle 4 W, a busy core
 * 1.5 W and a busy GPU 9 W at the reference clocks, scaling with the
 * clock squared (exponent 2). In the 15W mode a busy core draws 1.5 x
 * 0.8256^2 = 1.02242304 W above idle, and a GPU kernel of a variant its
 * figure x (612/918)^2: INT8's 6 W is 2.6667 W, FP32's 9 W (the module's
 * whole gpu-dyn) is 4 W. */
#define NX_IDLE 4.0
#define NX_CORE (1.5 * 0.8256 * 0.8256)
#define NX_GPU_SCALE2 ((612.0 / 918.0) * (612.0 / 918.0))

/* /node_state's power is each window's mean: energy / window. INT8 runs
 * each 20 ms job's CPU part then its kernel at 6 W scaled; FP32 at 9 W. */
static void test_variant_power_in_node_state(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("tests/e2e/variant-orin-nx.xml");
    int nx = ROW(t, nodes, "nx");
    size_t rows = 0;
    int64_t prev = 0;
    double int8_first = 0;
    for (size_t i = 0; i < t->n_node_state; i++) {
        const ts_trace_node_state *r = &t->node_state[i];
        if (r->node != nx)
            continue;
        double j = NX_IDLE * (double)(r->time_ns - prev) * 1e-9;
        for (int64_t k = 0; k < 50; k++) {
            int64_t rel = k * 20 * MS;
            j += overlap_j(prev, r->time_ns, rel, rel + CPU_PART, NX_CORE);
            j += overlap_j(prev, r->time_ns, rel + CPU_PART, rel + CPU_PART + INT8_GPU,
                           6.0 * NX_GPU_SCALE2);
        }
        double want = j / ((double)(r->time_ns - prev) * 1e-9);
        if (fabs(r->power_w - want) > 1e-9)
            fail_msg("window ending %lld: %.12f W, hand-computed %.12f W",
                     (long long)r->time_ns, r->power_w, want);
        if (rows == 0)
            int8_first = r->power_w;
        prev = r->time_ns;
        rows++;
    }
    assert_true(rows >= 5);
    /* the first 100 ms: 5 jobs, 4 + 50 x (3.633721 ms x 1.02242304 W +
     * 8.37 ms x 2.6667 W) = 5.30176 W */
    assert_true(fabs(int8_first - 5.3017599) < 1e-6);
    ts_trace_free(t);

    /* FP32 pinned: its jobs run back to back (37.43 ms each, one thread),
     * each the CPU part then a 33.795 ms kernel at 4 W: in the first
     * 100 ms three CPU parts and kernels until 100 ms */
    t = scenario_run("tests/e2e/variant-pinned-fp32.xml");
    nx = ROW(t, nodes, "nx");
    const ts_trace_node_state *first = NULL;
    for (size_t i = 0; i < t->n_node_state && !first; i++)
        if (t->node_state[i].node == nx)
            first = &t->node_state[i];
    assert_non_null(first);
    assert_int_equal(first->time_ns, 100 * MS);
    double j = NX_IDLE * 0.1;
    for (int64_t k = 0; k < 3; k++) {
        int64_t start = k * (CPU_PART + FP32_GPU);
        j += overlap_j(0, 100 * MS, start, start + CPU_PART, NX_CORE);
        j += overlap_j(0, 100 * MS, start + CPU_PART, start + CPU_PART + FP32_GPU,
                       9.0 * NX_GPU_SCALE2);
    }
    if (fabs(first->power_w - j / 0.1) > 1e-9)
        fail_msg("FP32 first window %.12f W, hand-computed %.12f W", first->power_w, j / 0.1);
    /* INT8 draws less than FP32 */
    assert_true(int8_first < first->power_w - 1.0);
    ts_trace_free(t);
}

/* Load and plan with allocation n failing (0: none); *made: the
 * allocations requested. */
static int load_and_plan(long n, ts_error *err, long *made)
{
    long before = ts_alloc_requests();
    ts_scenario_options opts = {.models_dir = "models"};
    ts_scenario *s = NULL;
    ts_plan *plan = NULL;
    ts_alloc_fail_after(n);
    int rc = ts_scenario_load("tests/e2e/variant-orin-nx.xml", &opts, &s, err);
    if (rc == TS_OK)
        rc = ts_plan_new(s, &plan, err);
    ts_alloc_fail_after(0);
    *made = ts_alloc_requests() - before;
    ts_plan_free(plan);
    ts_scenario_free(s);
    return rc;
}

/* Reading the network's file and choosing its variant fail cleanly, with
 * nothing left allocated, whichever allocation fails. */
static void test_every_allocation_may_fail(void **state)
{
    (void)state;
    long live = ts_alloc_live(), total;
    ts_error err;
    assert_int_equal(load_and_plan(0, &err, &total), TS_OK);
    for (long n = 1; n <= total; n++) {
        long made;
        int rc = load_and_plan(n, &err, &made);
        if (ts_alloc_live() != live)
            fail_msg("n=%ld: %ld blocks left live (%s)", n, ts_alloc_live() - live,
                     rc == TS_OK ? "plan succeeded" : err.msg);
        if (rc == TS_OK)
            fail_msg("n=%ld of %ld: the plan succeeded past a failed allocation", n, total);
        if (rc != TS_ENOMEM && !strstr(err.msg, "memory"))
            fail_msg("n=%ld: failed with %d \"%s\", not for want of memory", n, rc, err.msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_picks_int8_with_the_reason),
        cmocka_unit_test(test_run_meets_the_deadline_with_int8),
        cmocka_unit_test(test_pinned_fp32_is_honoured_and_misses),
        cmocka_unit_test(test_dla_wins_at_30hz),
        cmocka_unit_test(test_no_variant_meets_is_refused),
        cmocka_unit_test(test_fleet_copies_choose_per_robot),
        cmocka_unit_test(test_placement_skips_a_node_where_none_meets),
        cmocka_unit_test(test_variant_power_in_node_state),
        cmocka_unit_test(test_every_allocation_may_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
