/*
 * Tests for model variants in placement (src/deploy/placement.c, fourth
 * version): per candidate node the variant rule (deploy_variant.h) picks
 * a variant, a node where none meets the deadline is no candidate, the
 * chosen variant's memory counts in node memory and, on a node that
 * declares it, in GPU memory; a pinned component keeps its node.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "toposim/deploy.h"
#include "toposim/error.h"

#define MiB (INT64_C(1) << 20)
#define GiB (INT64_C(1) << 30)
#define MS INT64_C(1000000)

/* Two variants, their figures per node: node 0 a slow module (FP32
 * 40 ms, INT8 25 ms), the others fast (FP32 15 ms, INT8 9 ms). FP32
 * takes 300 MiB and 9 W, INT8 150 MiB and 6 W. */
typedef struct figures {
    int calls;
    int last_component;
} figures;

static void variants_cb(void *ctx, int component, int node, ts_variant_option *out)
{
    figures *f = ctx;
    f->calls++;
    f->last_component = component;
    int slow = node == 0;
    out[0] = (ts_variant_option){"fp32-gpu", slow ? 40 * MS : 15 * MS, 9.0, 0.447, 300 * MiB};
    out[1] = (ts_variant_option){"int8-gpu", slow ? 25 * MS : 9 * MS, 6.0, 0.412, 150 * MiB};
}

static ts_place_node robot(const char *id, int64_t mem, int64_t gpu_mem)
{
    return (ts_place_node){.id = id, .tier = TS_PLACE_ROBOT, .cpu_millicores = 4000,
                           .memory_bytes = mem, .gpus = 1, .gpu_memory_bytes = gpu_mem};
}

static ts_place_component detector(int64_t deadline)
{
    ts_place_component c;
    ts_place_component_init(&c, "detector");
    c.cpu_millicores = 1000;
    c.memory_bytes = 512 * MiB;
    c.gpus = 1;
    c.n_variants = 2;
    c.deadline_ns = deadline;
    return c;
}

static void test_node_without_a_meeting_variant_is_skipped(void **state)
{
    (void)state;
    ts_place_node ns[] = {robot("slow", 8 * GiB, 0), robot("fast", 8 * GiB, 0)};
    ts_place_component cs[] = {detector(20 * MS)};
    figures f = {0, -1};
    ts_place_options opts = {NULL, NULL, variants_cb, &f};
    ts_place_result r[1];
    ts_error err;
    assert_int_equal(ts_placement_compute_ex(ns, 2, cs, 1, &opts, r, &err), TS_OK);
    /* on "slow" both miss 20 ms; on "fast" both meet, INT8 at less power */
    assert_int_equal(r[0].node, 1);
    assert_int_equal(r[0].variant, 1);
    assert_int_equal(r[0].variant_memory_bytes, 150 * MiB);
    assert_string_equal(r[0].reason,
                        "default (no tier flag) -> robot; skipped slow (model variant: no "
                        "variant meets 20ms); first fit fast (cpu 1000m of "
                        "4000m free, mem 662MiB of 8GiB free, gpu 1 of 1 free)");
    assert_true(f.calls >= 2);
    assert_int_equal(f.last_component, 0);

    /* at 30 ms INT8 meets on "slow" too: the first node takes it */
    cs[0].deadline_ns = 30 * MS;
    assert_int_equal(ts_placement_compute_ex(ns, 2, cs, 1, &opts, r, &err), TS_OK);
    assert_int_equal(r[0].node, 0);
    assert_int_equal(r[0].variant, 1);
}

static void test_variant_memory_counts(void **state)
{
    (void)state;
    /* "small" has 650 MiB: the component's 512 MiB alone would fit, with
     * INT8's 150 MiB (662 MiB) it does not, so "big" takes it */
    ts_place_node ns[] = {robot("slow", 8 * GiB, 0), robot("small", 650 * MiB, 0),
                          robot("big", 8 * GiB, 0)};
    figures f = {0, -1};
    ts_place_options opts = {NULL, NULL, variants_cb, &f};
    ts_place_component cs[] = {detector(20 * MS)};
    ts_place_result r[1];
    ts_error err;
    assert_int_equal(ts_placement_compute_ex(ns, 3, cs, 1, &opts, r, &err), TS_OK);
    assert_int_equal(r[0].node, 2);
    assert_int_equal(r[0].variant, 1);
    assert_non_null(strstr(r[0].reason, "mem 662MiB of 8GiB free"));
    /* the usage counts it: 512 + 150 MiB on big */
    ts_place_usage u[3];
    assert_int_equal(ts_placement_usage(ns, 3, cs, 1, r, u, &err), TS_OK);
    assert_int_equal(u[2].memory_used_bytes, 662 * MiB);
    assert_int_equal(u[2].gpu_memory_used_bytes, 0);

    /* 700 MiB holds INT8 (662) */
    ns[1].memory_bytes = 700 * MiB;
    assert_int_equal(ts_placement_compute_ex(ns, 3, cs, 1, &opts, r, &err), TS_OK);
    assert_int_equal(r[0].node, 1);
    /* but not a pinned FP32 (812): a pinned variant is a candidate
     * wherever it can run, met or missed, so the first node with room
     * takes it, here "slow" */
    cs[0].pinned_variant = 0;
    assert_int_equal(ts_placement_compute_ex(ns, 3, cs, 1, &opts, r, &err), TS_OK);
    assert_int_equal(r[0].node, 0);
    assert_int_equal(r[0].variant, 0);
    assert_int_equal(r[0].variant_memory_bytes, 300 * MiB);
    cs[0].pin = 1;
    assert_int_equal(ts_placement_compute_ex(ns, 3, cs, 1, &opts, r, &err), TS_EINFEASIBLE);
    if (!strstr(err.msg, "pinned node small has only 700MiB memory free (needs 812MiB memory)"))
        /* the tier sentence names each rule: the variant on "slow", the GPU
     * memory with the variant's on the others */
    assert_string_equal(err.msg,
                        "component detector: no robot node satisfies every constraint "
                        "(model variant on 1, GPU memory on 2 of 3 nodes): slow (model "
                        "variant) no variant of its model meets its deadline 20ms there; "
                        "tight (GPU memory) has 1.0GiB GPU memory free, needs 1.2GiB GPU "
                        "memory; roomy (GPU memory) has 1.1GiB GPU memory free, needs "
                        "1.2GiB GPU memory");
}

static void test_variant_gpu_memory_when_declared(void **state)
{
    (void)state;
    /* A node declaring GPU memory counts the variant there too: a share
     * asking 1 GiB with INT8's 150 MiB needs 1174 MiB of the GPU's. */
    ts_place_node ns[] = {robot("slow", 8 * GiB, 16 * GiB), robot("tight", 8 * GiB, GiB + 100 * MiB),
                          robot("roomy", 8 * GiB, GiB + 150 * MiB)};
    ts_place_component cs[] = {detector(20 * MS)};
    cs[0].gpus = 0;
    cs[0].gpu_share_milli = 500;
    cs[0].gpu_memory_bytes = GiB;
    figures f = {0, -1};
    ts_place_options opts = {NULL, NULL, variants_cb, &f};
    ts_place_result r[1];
    ts_error err;
    assert_int_equal(ts_placement_compute_ex(ns, 3, cs, 1, &opts, r, &err), TS_OK);
    assert_int_equal(r[0].node, 2);
    assert_int_equal(r[0].gpu, 0);
    if (!strstr(r[0].reason, "on GPU 0, 1.2GiB"))
        fail_msg("%s", r[0].reason);
    ts_place_usage u[3];
    assert_int_equal(ts_placement_usage(ns, 3, cs, 1, r, u, &err), TS_OK);
    assert_int_equal(u[2].gpu_memory_used_bytes, GiB + 150 * MiB);
    assert_int_equal(u[2].memory_used_bytes, 512 * MiB + 150 * MiB);

    /* whole GPU: the per-GPU memory check includes it */
    cs[0].gpu_share_milli = 0;
    cs[0].gpus = 1;
    ns[2].gpu_memory_bytes = GiB + 149 * MiB;
    assert_int_equal(ts_placement_compute_ex(ns, 3, cs, 1, &opts, r, &err), TS_EINFEASIBLE);
    /* the tier sentence names each rule: the variant on "slow", the GPU
     * memory with the variant's on the others */
    assert_string_equal(err.msg,
                        "component detector: no robot node satisfies every constraint "
                        "(model variant on 1, GPU memory on 2 of 3 nodes): slow (model "
                        "variant) no variant of its model meets its deadline 20ms there; "
                        "tight (GPU memory) has 1.0GiB GPU memory free, needs 1.2GiB GPU "
                        "memory; roomy (GPU memory) has 1.1GiB GPU memory free, needs "
                        "1.2GiB GPU memory");
}

static void test_pinned_component_keeps_its_node(void **state)
{
    (void)state;
    /* pinned to the slow node where nothing meets 20 ms: placement keeps
     * the pin (plan refuses afterwards with every variant's figures) */
    ts_place_node ns[] = {robot("slow", 8 * GiB, 0), robot("fast", 8 * GiB, 0)};
    ts_place_component cs[] = {detector(20 * MS)};
    cs[0].pin = 0;
    figures f = {0, -1};
    ts_place_options opts = {NULL, NULL, variants_cb, &f};
    ts_place_result r[1];
    ts_error err;
    assert_int_equal(ts_placement_compute_ex(ns, 2, cs, 1, &opts, r, &err), TS_OK);
    assert_int_equal(r[0].node, 0);
    assert_int_equal(r[0].variant, -1);
    assert_int_equal(r[0].variant_memory_bytes, 0);
}

static void test_falls_back_to_edge_and_refuses(void **state)
{
    (void)state;
    ts_place_node ns[] = {robot("slow", 8 * GiB, 0), robot("fast", 8 * GiB, 0)};
    ns[1].tier = TS_PLACE_EDGE;
    ts_place_component cs[] = {detector(20 * MS)};
    figures f = {0, -1};
    ts_place_options opts = {NULL, NULL, variants_cb, &f};
    ts_place_result r[1];
    ts_error err;
    assert_int_equal(ts_placement_compute_ex(ns, 2, cs, 1, &opts, r, &err), TS_OK);
    assert_int_equal(r[0].node, 1);
    assert_int_equal(r[0].fell_back, 1);
    assert_non_null(strstr(r[0].reason, "robot tier ruled out by model variant"));
    /* 5 ms: nothing anywhere */
    cs[0].deadline_ns = 5 * MS;
    assert_int_equal(ts_placement_compute_ex(ns, 2, cs, 1, &opts, r, &err), TS_EINFEASIBLE);
    assert_non_null(strstr(err.msg, "model variant rules out every robot node: slow no "
                                    "variant of its model meets its deadline 5ms there"));
}

static void test_bad_input(void **state)
{
    (void)state;
    ts_place_node ns[] = {robot("fast", 8 * GiB, 0)};
    ts_place_component cs[] = {detector(20 * MS)};
    ts_place_result r[1];
    ts_error err;
    /* variants but no function to ask */
    assert_int_equal(ts_placement_compute(ns, 1, cs, 1, r, &err), TS_EINVAL);
    assert_non_null(strstr(err.msg, "model variants given but no variants function"));
    figures f = {0, -1};
    ts_place_options opts = {NULL, NULL, variants_cb, &f};
    cs[0].pinned_variant = 2;
    assert_int_equal(ts_placement_compute_ex(ns, 1, cs, 1, &opts, r, &err), TS_EINVAL);
    cs[0].pinned_variant = -1;
    cs[0].n_variants = TS_VARIANT_MAX + 1;
    assert_int_equal(ts_placement_compute_ex(ns, 1, cs, 1, &opts, r, &err), TS_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_without_a_meeting_variant_is_skipped),
        cmocka_unit_test(test_variant_memory_counts),
        cmocka_unit_test(test_variant_gpu_memory_when_declared),
        cmocka_unit_test(test_pinned_component_keeps_its_node),
        cmocka_unit_test(test_falls_back_to_edge_and_refuses),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
