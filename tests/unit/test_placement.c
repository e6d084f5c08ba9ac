/*
 * Tests for src/deploy/placement.c: tier rules and their precedence, pins,
 * first-fit-decreasing order, the infeasibility messages (binding resource
 * named), reasons, determinism, and the allocation contract.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "toposim/alloc.h"
#include "toposim/deploy.h"
#include "toposim/error.h"

#define MiB (INT64_C(1) << 20)
#define GiB (INT64_C(1) << 30)

#define RT TS_PLACE_REAL_TIME_CRITICAL
#define CH TS_PLACE_COMPUTATION_HEAVY
#define DP TS_PLACE_DATA_PROCESSING
#define SC TS_PLACE_SAFETY_CRITICAL

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static ts_place_node node(const char *id, ts_place_tier tier, int64_t cpu,
                          int64_t mem, int gpus)
{
    ts_place_node n = {id, tier, cpu, mem, gpus};
    return n;
}

static ts_place_component comp(const char *id, uint32_t flags, int64_t cpu,
                               int64_t mem, int gpus, int pin)
{
    ts_place_component c = {id, flags, cpu, mem, gpus, pin};
    return c;
}

/* Asserts msg contains needle, printing both when it does not. */
#define assert_has(msg, needle)                                              \
    do {                                                                     \
        if (!strstr((msg), (needle)))                                        \
            fail_msg("\"%s\" not found in \"%s\"", (needle), (msg));         \
    } while (0)

/* Plain first fit in input order (no sorting, no pins): used only to prove
 * that the FFD test inputs really defeat it. Returns 1 if all fit. */
static int naive_first_fit(const ts_place_node *nodes, size_t n_nodes,
                           const ts_place_component *cs, size_t n,
                           ts_place_tier tier)
{
    int64_t cpu[8], mem[8], gpu[8];
    for (size_t j = 0; j < n_nodes; j++) {
        cpu[j] = nodes[j].cpu_millicores;
        mem[j] = nodes[j].memory_bytes;
        gpu[j] = nodes[j].gpus;
    }
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        for (; j < n_nodes; j++)
            if (nodes[j].tier == tier && cs[i].cpu_millicores <= cpu[j] &&
                cs[i].memory_bytes <= mem[j] && cs[i].gpus <= gpu[j])
                break;
        if (j == n_nodes)
            return 0;
        cpu[j] -= cs[i].cpu_millicores;
        mem[j] -= cs[i].memory_bytes;
        gpu[j] -= cs[i].gpus;
    }
    return 1;
}

static void test_rule_names(void **state)
{
    (void)state;
    assert_string_equal(ts_place_rule_name(TS_RULE_PIN), "pin");
    assert_string_equal(ts_place_rule_name(TS_RULE_REAL_TIME_CRITICAL),
                        "real-time-critical");
    assert_string_equal(ts_place_rule_name(TS_RULE_COMPUTATION_HEAVY),
                        "computation-heavy");
    assert_string_equal(ts_place_rule_name(TS_RULE_DATA_PROCESSING),
                        "data-processing");
    assert_string_equal(ts_place_rule_name(TS_RULE_DEFAULT_ROBOT),
                        "default-robot");
    assert_string_equal(ts_place_rule_name((ts_place_rule)42), "unknown");
}

/* A network node listed first and hosts of every tier: each rule must land
 * on its own tier's node. */
static const ts_place_node three_tiers[] = {
    {"switch0", TS_PLACE_NONE, 0, 0, 0},
    {"robot0", TS_PLACE_ROBOT, 4000, 8 * GiB, 0},
    {"edge0", TS_PLACE_EDGE, 16000, 64 * GiB, 2},
    {"cloud0", TS_PLACE_CLOUD, 64000, 256 * GiB, 8},
};

static void test_tier_rules(void **state)
{
    (void)state;
    ts_place_component cs[] = {
        comp("rt", RT, 100, MiB, 0, -1),
        comp("heavy", CH, 100, MiB, 1, -1),
        comp("data", DP, 100, MiB, 0, -1),
        comp("plain", 0, 100, MiB, 0, -1),
        comp("safety", SC, 100, MiB, 0, -1),
    };
    ts_place_result r[N_OF(cs)];
    ts_error err;
    assert_int_equal(ts_placement_compute(three_tiers, N_OF(three_tiers), cs,
                                          N_OF(cs), r, &err),
                     TS_OK);
    assert_int_equal(err.code, TS_OK);
    static const int want_node[] = {1, 2, 3, 1, 1};
    static const ts_place_rule want_rule[] = {
        TS_RULE_REAL_TIME_CRITICAL, TS_RULE_COMPUTATION_HEAVY,
        TS_RULE_DATA_PROCESSING, TS_RULE_DEFAULT_ROBOT, TS_RULE_DEFAULT_ROBOT};
    for (size_t i = 0; i < N_OF(cs); i++) {
        assert_int_equal(r[i].node, want_node[i]);
        assert_int_equal(r[i].rule, want_rule[i]);
    }
    assert_has(r[1].reason, "computation-heavy -> edge");
    assert_has(r[2].reason, "data-processing -> cloud");
    assert_has(r[3].reason, "-> robot");
}

static void test_flag_precedence(void **state)
{
    (void)state;
    ts_place_component cs[] = {
        comp("rt_ch", RT | CH, 100, MiB, 0, -1),
        comp("ch_dp", CH | DP, 100, MiB, 0, -1),
        comp("all", RT | CH | DP | SC, 100, MiB, 0, -1),
        comp("dp_sc", DP | SC, 100, MiB, 0, -1),
        comp("rt_dp", RT | DP, 100, MiB, 0, -1),
        comp("unknown_bits", 0xF0u, 100, MiB, 0, -1),
    };
    ts_place_result r[N_OF(cs)];
    ts_error err;
    assert_int_equal(ts_placement_compute(three_tiers, N_OF(three_tiers), cs,
                                          N_OF(cs), r, &err),
                     TS_OK);
    assert_int_equal(r[0].rule, TS_RULE_REAL_TIME_CRITICAL);
    assert_int_equal(r[0].node, 1);
    assert_int_equal(r[1].rule, TS_RULE_COMPUTATION_HEAVY);
    assert_int_equal(r[1].node, 2);
    assert_int_equal(r[2].rule, TS_RULE_REAL_TIME_CRITICAL);
    assert_int_equal(r[2].node, 1);
    assert_int_equal(r[3].rule, TS_RULE_DATA_PROCESSING);
    assert_int_equal(r[3].node, 3);
    assert_int_equal(r[4].rule, TS_RULE_REAL_TIME_CRITICAL);
    assert_int_equal(r[4].node, 1);
    assert_int_equal(r[5].rule, TS_RULE_DEFAULT_ROBOT);
    assert_int_equal(r[5].node, 1);
}

/* A pin beats the flags, and claims capacity before unpinned components
 * are fitted, even those declared before it. */
static void test_pin_overrides_and_consumes(void **state)
{
    (void)state;
    ts_place_node ns[] = {
        node("r1", TS_PLACE_ROBOT, 1000, 2 * GiB, 0),
        node("r2", TS_PLACE_ROBOT, 1000, 2 * GiB, 0),
        node("e1", TS_PLACE_EDGE, 8000, 16 * GiB, 1),
    };
    ts_place_component cs[] = {
        comp("early_rt", RT, 500, 100 * MiB, 0, -1),
        comp("rt_on_edge", RT, 200, 100 * MiB, 0, 2),
        comp("pinned_r1", 0, 800, 100 * MiB, 0, 0),
    };
    ts_place_result r[N_OF(cs)];
    ts_error err;
    assert_int_equal(
        ts_placement_compute(ns, N_OF(ns), cs, N_OF(cs), r, &err), TS_OK);
    assert_int_equal(r[1].node, 2);
    assert_int_equal(r[1].rule, TS_RULE_PIN);
    assert_int_equal(r[2].node, 0);
    assert_int_equal(r[2].rule, TS_RULE_PIN);
    /* r1 has only 200m left after the pin, so the earlier-declared
     * real-time component must go to r2. */
    assert_int_equal(r[0].node, 1);
    assert_int_equal(r[0].rule, TS_RULE_REAL_TIME_CRITICAL);
    assert_has(r[0].reason, "r2");
    assert_has(r[1].reason, "pinned to e1");
    assert_has(r[2].reason, "pinned to r1 (cpu 800m of 1000m free");
}

/* cpu: input-order first fit puts the small one on the big node and then
 * has nowhere for the big one; FFD places the big one first. */
static void test_ffd_cpu(void **state)
{
    (void)state;
    ts_place_node ns[] = {
        node("big_node", TS_PLACE_ROBOT, 2000, 4 * GiB, 0),
        node("small_node", TS_PLACE_ROBOT, 1000, 4 * GiB, 0),
    };
    ts_place_component cs[] = {
        comp("small", 0, 1000, 10 * MiB, 0, -1),
        comp("big", 0, 2000, 10 * MiB, 0, -1),
    };
    assert_int_equal(naive_first_fit(ns, N_OF(ns), cs, N_OF(cs),
                                     TS_PLACE_ROBOT), 0);
    ts_place_result r[N_OF(cs)];
    ts_error err;
    assert_int_equal(
        ts_placement_compute(ns, N_OF(ns), cs, N_OF(cs), r, &err), TS_OK);
    assert_int_equal(r[1].node, 0);
    assert_int_equal(r[0].node, 1);
    assert_has(r[1].reason, "first fit big_node (cpu 2000m of 2000m free");
    assert_has(r[0].reason, "first fit small_node (cpu 1000m of 1000m free");
}

/* The sort key is the dominant share, not cpu: the memory-hungry component
 * with little cpu must go first. */
static void test_ffd_dominant_memory(void **state)
{
    (void)state;
    ts_place_node ns[] = {
        node("n0", TS_PLACE_EDGE, 4000, 4 * GiB, 0),
        node("n1", TS_PLACE_EDGE, 4000, 2 * GiB, 0),
    };
    /* shares: cpu_heavy max(3000/8000, 2/6) = 0.375; mem_heavy
     * max(100/8000, 3/6) = 0.5. */
    ts_place_component cs[] = {
        comp("cpu_heavy", CH, 3000, 2 * GiB, 0, -1),
        comp("mem_heavy", CH, 100, 3 * GiB, 0, -1),
    };
    assert_int_equal(naive_first_fit(ns, N_OF(ns), cs, N_OF(cs),
                                     TS_PLACE_EDGE), 0);
    ts_place_result r[N_OF(cs)];
    ts_error err;
    assert_int_equal(
        ts_placement_compute(ns, N_OF(ns), cs, N_OF(cs), r, &err), TS_OK);
    assert_int_equal(r[1].node, 0);
    assert_int_equal(r[0].node, 1);
}

/* Equal shares keep input order; the first declared gets the first node. */
static void test_ffd_ties_keep_input_order(void **state)
{
    (void)state;
    ts_place_node ns[] = {
        node("a", TS_PLACE_ROBOT, 1000, GiB, 0),
        node("b", TS_PLACE_ROBOT, 1000, GiB, 0),
        node("c", TS_PLACE_ROBOT, 1000, GiB, 0),
    };
    /* Same share reached through different resources: 1000/3000 cpu,
     * 1GiB/3GiB memory, and 1/3 exactly as both. */
    ts_place_component cs[] = {
        comp("x", 0, 1000, 0, 0, -1),
        comp("y", 0, 0, GiB, 0, -1),
        comp("z", 0, 1000, GiB, 0, -1),
    };
    ts_place_result r[N_OF(cs)];
    ts_error err;
    assert_int_equal(
        ts_placement_compute(ns, N_OF(ns), cs, N_OF(cs), r, &err), TS_OK);
    /* x takes a's cpu, y fits beside it on a (memory only), z needs both
     * and goes to b. */
    assert_int_equal(r[0].node, 0);
    assert_int_equal(r[1].node, 0);
    assert_int_equal(r[2].node, 1);

    ts_place_component swapped[] = {cs[2], cs[1], cs[0]};
    assert_int_equal(ts_placement_compute(ns, N_OF(ns), swapped, 3, r, &err),
                     TS_OK);
    assert_int_equal(r[0].node, 0); /* z */
    assert_int_equal(r[1].node, 1); /* y */
    assert_int_equal(r[2].node, 1); /* x */
}

static void test_infeasible_memory(void **state)
{
    (void)state;
    ts_place_node ns[] = {
        node("r1", TS_PLACE_ROBOT, 4000, GiB, 0),
        node("r2", TS_PLACE_ROBOT, 4000, 2 * GiB, 0),
    };
    ts_place_component cs[] = {comp("big_map", 0, 500, 3 * GiB, 0, -1)};
    ts_place_result r[1];
    ts_error err;
    assert_int_equal(ts_placement_compute(ns, 2, cs, 1, r, &err),
                     TS_EINFEASIBLE);
    assert_int_equal(err.code, TS_EINFEASIBLE);
    assert_string_equal(err.msg,
                        "component big_map: no robot node has 3GiB memory "
                        "free (needs 3GiB memory, 500m cpu; largest free: r2 "
                        "with 2GiB memory)");
    assert_int_equal(r[0].node, -1);

    /* cpu and memory both short on the only node: the tie goes to memory
     * (GPUs, then memory, then cpu). A NULL err is allowed. */
    ts_place_node one[] = {node("tiny", TS_PLACE_ROBOT, 100, 512 * MiB, 0)};
    ts_place_component both[] = {comp("arm", 0, 1000, GiB, 0, -1)};
    assert_int_equal(ts_placement_compute(one, 1, both, 1, r, NULL),
                     TS_EINFEASIBLE);
    assert_int_equal(ts_placement_compute(one, 1, both, 1, r, &err),
                     TS_EINFEASIBLE);
    assert_has(err.msg, "component arm: no robot node has 1GiB memory free "
                        "(needs 1GiB memory, 1000m cpu; largest free: tiny "
                        "with 512MiB memory)");
}

static void test_infeasible_cpu_after_consumption(void **state)
{
    (void)state;
    ts_place_node ns[] = {node("e1", TS_PLACE_EDGE, 1000, 8 * GiB, 0)};
    ts_place_component cs[] = {
        comp("first", CH, 600, MiB, 0, -1),
        comp("second", CH, 600, MiB, 0, -1),
    };
    ts_place_result r[2];
    ts_error err;
    assert_int_equal(ts_placement_compute(ns, 1, cs, 2, r, &err),
                     TS_EINFEASIBLE);
    assert_has(err.msg, "component second:");
    assert_has(err.msg, "no edge node has 600m cpu free");
    assert_has(err.msg, "largest free: e1 with 400m cpu");
}

/* The brief's own example, reproduced exactly. */
static void test_infeasible_gpu(void **state)
{
    (void)state;
    ts_place_node ns[] = {
        node("edge1", TS_PLACE_EDGE, 8000, 32 * GiB, 1),
        node("edge2", TS_PLACE_EDGE, 8000, 32 * GiB, 0),
    };
    ts_place_component cs[] = {
        comp("vision_processing", CH, 500, 4 * GiB, 2, -1)};
    ts_place_result r[1];
    ts_error err;
    assert_int_equal(ts_placement_compute(ns, 2, cs, 1, r, &err),
                     TS_EINFEASIBLE);
    assert_string_equal(err.msg,
                        "component vision_processing: no edge node has 2 "
                        "GPUs free (needs 2 GPUs, 500m cpu, 4GiB memory; "
                        "largest free: edge1 with 1 GPU)");
}

/* No single resource rules out every node: the one short on most nodes is
 * named, and the message says it is short on only some. */
static void test_infeasible_mixed_binding(void **state)
{
    (void)state;
    ts_place_node ns[] = {
        node("c_short", TS_PLACE_ROBOT, 100, 8 * GiB, 0),
        node("m_short1", TS_PLACE_ROBOT, 4000, 512 * MiB, 0),
        node("m_short2", TS_PLACE_ROBOT, 4000, 768 * MiB, 0),
    };
    ts_place_component cs[] = {comp("planner", RT, 1000, GiB, 0, -1)};
    ts_place_result r[1];
    ts_error err;
    assert_int_equal(ts_placement_compute(ns, 3, cs, 1, r, &err),
                     TS_EINFEASIBLE);
    assert_has(err.msg, "component planner:");
    assert_has(err.msg, "memory is short on 2 of 3 robot nodes");
    assert_has(err.msg, "largest free memory: c_short with 8GiB memory");
}

static void test_empty_tier(void **state)
{
    (void)state;
    ts_place_node ns[] = {node("r1", TS_PLACE_ROBOT, 4000, 8 * GiB, 0)};
    ts_place_component cs[] = {
        comp("logger", DP, 100, MiB, 0, -1),
        comp("ctrl", RT, 100, MiB, 0, -1),
    };
    ts_place_result r[2];
    ts_error err;
    assert_int_equal(ts_placement_compute(ns, 1, cs, 2, r, &err),
                     TS_EINFEASIBLE);
    assert_has(err.msg, "component logger:");
    assert_has(err.msg, "no cloud-tier node exists");

    assert_int_equal(ts_placement_compute(ns, 0, cs + 1, 1, r, &err),
                     TS_EINFEASIBLE);
    assert_has(err.msg, "no robot-tier node exists");
}

static void test_pin_to_network_node(void **state)
{
    (void)state;
    ts_place_component cs[] = {comp("gateway", 0, 100, MiB, 0, 0)};
    ts_place_result r[1];
    ts_error err;
    assert_int_equal(ts_placement_compute(three_tiers, N_OF(three_tiers), cs,
                                          1, r, &err),
                     TS_EINVAL);
    assert_has(err.msg, "component gateway");
    assert_has(err.msg, "switch0");
    assert_has(err.msg, "network-only");
}

static void test_bad_pin_index(void **state)
{
    (void)state;
    ts_place_component cs[] = {comp("lost", 0, 100, MiB, 0, 4)};
    ts_place_result r[1];
    ts_error err;
    assert_int_equal(ts_placement_compute(three_tiers, N_OF(three_tiers), cs,
                                          1, r, &err),
                     TS_EINVAL);
    assert_has(err.msg, "component lost");
    assert_has(err.msg, "pin 4");

    cs[0].pin = -2;
    assert_int_equal(ts_placement_compute(three_tiers, N_OF(three_tiers), cs,
                                          1, r, &err),
                     TS_EINVAL);
    assert_has(err.msg, "pin -2");
}

/* A bad pin is reported even when an earlier component is infeasible. */
static void test_invalid_input_before_fitting(void **state)
{
    (void)state;
    ts_place_component cs[] = {
        comp("too_big", 0, 100000, MiB, 0, -1),
        comp("bad_pin", 0, 1, 1, 0, 99),
    };
    ts_place_result r[2];
    ts_error err;
    assert_int_equal(ts_placement_compute(three_tiers, N_OF(three_tiers), cs,
                                          2, r, &err),
                     TS_EINVAL);
    assert_has(err.msg, "component bad_pin");

    ts_place_component neg[] = {comp("neg", 0, -1, MiB, 0, -1)};
    assert_int_equal(ts_placement_compute(three_tiers, N_OF(three_tiers), neg,
                                          1, r, &err),
                     TS_EINVAL);
    assert_has(err.msg, "component neg");

    assert_int_equal(ts_placement_compute(NULL, 3, neg, 1, r, &err),
                     TS_EINVAL);
    assert_int_equal(ts_placement_compute(three_tiers, 4, NULL, 0, NULL, &err),
                     TS_OK);
}

static void test_pin_does_not_fit(void **state)
{
    (void)state;
    ts_place_node ns[] = {node("r1", TS_PLACE_ROBOT, 4000, 2 * GiB, 0)};
    ts_place_component cs[] = {
        comp("a", 0, 100, 1536 * MiB, 0, 0),
        comp("b", RT, 100, GiB, 0, 0),
    };
    ts_place_result r[2];
    ts_error err;
    assert_int_equal(ts_placement_compute(ns, 1, cs, 2, r, &err),
                     TS_EINFEASIBLE);
    assert_string_equal(err.msg, "component b: pinned node r1 has only "
                                 "512MiB memory free (needs 1GiB memory)");

    ts_place_component g[] = {comp("cuda", 0, 100, MiB, 1, 0)};
    assert_int_equal(ts_placement_compute(ns, 1, g, 1, r, &err),
                     TS_EINFEASIBLE);
    assert_has(err.msg, "component cuda: pinned node r1 has only 0 GPUs");

    /* Free space rounds down, demand rounds up, so the numbers never read
     * as if the component fitted. */
    ts_place_node odd[] = {node("r9", TS_PLACE_ROBOT, 4000, GiB + 80 * MiB, 0)};
    ts_place_component m[] = {comp("m", 0, 1, GiB + 100 * MiB, 0, 0)};
    assert_int_equal(ts_placement_compute(odd, 1, m, 1, r, &err),
                     TS_EINFEASIBLE);
    assert_string_equal(err.msg, "component m: pinned node r9 has only "
                                 "1.0GiB memory free (needs 1.1GiB memory)");
}

/* Exact reasons, with free capacity as it stood before each claim and
 * memory rounded down to one decimal. */
static void test_reason_text(void **state)
{
    (void)state;
    ts_place_node ns[] = {
        node("h1_rt", TS_PLACE_ROBOT, 4000, 8 * GiB, 0),
        node("e1", TS_PLACE_EDGE, 8000, 16 * GiB, 2),
    };
    ts_place_component cs[] = {
        comp("ctrl", RT, 500, 64 * MiB, 0, -1),
        comp("estop", SC, 500, 64 * MiB, 0, 0),
        comp("vision", CH, 1500, 3 * GiB + 512 * MiB, 1, -1),
    };
    ts_place_result r[3];
    ts_error err;
    assert_int_equal(ts_placement_compute(ns, 2, cs, 3, r, &err), TS_OK);
    assert_string_equal(r[1].reason, "pinned to h1_rt (cpu 500m of 4000m "
                                     "free, mem 64MiB of 8GiB free)");
    assert_string_equal(r[0].reason,
                        "real-time-critical -> robot; first fit h1_rt (cpu "
                        "500m of 3500m free, mem 64MiB of 7.9GiB free)");
    assert_string_equal(r[2].reason,
                        "computation-heavy -> edge; first fit e1 (cpu 1500m "
                        "of 8000m free, mem 3.5GiB of 16GiB free, gpu 1 of 2 "
                        "free)");
}

static int valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int extra = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1
                                  : (*p & 0xF0) == 0xE0 ? 2
                                  : (*p & 0xF8) == 0xF0 ? 3 : -1;
        if (extra < 0)
            return 0;
        p++;
        for (int k = 0; k < extra; k++, p++)
            if ((*p & 0xC0) != 0x80)
                return 0;
    }
    return 1;
}

/* An over-long id is cut inside the 192-byte field, at a character
 * boundary, and the cut is marked. */
static void test_reason_truncated_safely(void **state)
{
    (void)state;
    static char long_id[2 * 150 + 2];
    /* "é" is two bytes; an odd prefix puts a naive cut mid-character. */
    long_id[0] = 'x';
    for (int k = 0; k < 150; k++)
        memcpy(long_id + 1 + 2 * k, "\xc3\xa9", 2);
    long_id[301] = '\0';
    for (int shift = 0; shift < 2; shift++) {
        const char *id = long_id + shift;
        ts_place_node ns[] = {node(id, TS_PLACE_ROBOT, 1000, GiB, 0)};
        ts_place_component cs[] = {comp("c", 0, 1, 1, 0, -1)};
        ts_place_result r[1];
        ts_error err;
        assert_int_equal(ts_placement_compute(ns, 1, cs, 1, r, &err), TS_OK);
        size_t len = strlen(r[0].reason);
        assert_true(len < sizeof r[0].reason);
        assert_true(len >= sizeof r[0].reason - 5);
        assert_string_equal(r[0].reason + len - 3, "...");
        assert_true(valid_utf8(r[0].reason));
    }
}

static const ts_place_node fleet[] = {
    {"r0_rt", TS_PLACE_ROBOT, 2000, 4 * GiB, 0},
    {"r0_main", TS_PLACE_ROBOT, 6000, 8 * GiB, 1},
    {"sw", TS_PLACE_NONE, 0, 0, 0},
    {"edge_a", TS_PLACE_EDGE, 16000, 32 * GiB, 1},
    {"edge_b", TS_PLACE_EDGE, 16000, 64 * GiB, 2},
    {"cloud", TS_PLACE_CLOUD, 64000, 256 * GiB, 4},
};

static const ts_place_component fleet_cs[] = {
    {"ctrl", RT | SC, 500, 64 * MiB, 0, -1},
    {"estop", SC, 200, 32 * MiB, 0, 0},
    {"slam", CH, 6000, 8 * GiB, 1, -1},
    {"vision", CH, 4000, 6 * GiB, 1, -1},
    {"planner", RT, 1500, 2 * GiB, 0, -1},
    {"nav", 0, 1000, GiB, 0, -1},
    {"logger", DP, 1000, 4 * GiB, 0, -1},
    {"trainer", DP | CH, 8000, 16 * GiB, 1, -1},
    {"mapper", DP, 8000, 32 * GiB, 2, -1},
    {"teleop", 0, 300, 256 * MiB, 0, 1},
};

static void test_deterministic(void **state)
{
    (void)state;
    enum { N = N_OF(fleet_cs) };
    ts_place_result a[N], b[N];
    ts_error err;
    /* Different garbage in the output buffers must not matter. */
    memset(a, 0xAA, sizeof a);
    memset(b, 0x55, sizeof b);
    assert_int_equal(
        ts_placement_compute(fleet, N_OF(fleet), fleet_cs, N, a, &err), TS_OK);
    assert_int_equal(
        ts_placement_compute(fleet, N_OF(fleet), fleet_cs, N, b, &err), TS_OK);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(a[i].node, b[i].node);
        assert_int_equal(a[i].rule, b[i].rule);
        assert_string_equal(a[i].reason, b[i].reason);
    }
    /* Worked by hand. Pins first: estop leaves r0_rt 1800m, teleop leaves
     * r0_main 5700m. Robot shares (of 8000m, 12GiB, 1 GPU): planner 0.1875,
     * nav 0.125, ctrl 0.0625, so planner takes r0_rt (300m left) and nav,
     * ctrl go to r0_main. Edge shares are all 1/3 (one GPU of three), so
     * input order: slam takes edge_a's only GPU, vision and trainer (CH
     * beats DP) go to edge_b. Cloud holds mapper and logger. */
    static const int want[N] = {1, 0, 3, 4, 0, 1, 5, 4, 5, 1};
    for (size_t i = 0; i < N; i++)
        assert_int_equal(a[i].node, want[i]);
}

/* Every successful reason is non-empty and names its node. */
static void test_reasons_name_node(void **state)
{
    (void)state;
    enum { N = N_OF(fleet_cs) };
    ts_place_result r[N];
    ts_error err;
    assert_int_equal(
        ts_placement_compute(fleet, N_OF(fleet), fleet_cs, N, r, &err), TS_OK);
    for (size_t i = 0; i < N; i++) {
        assert_true(r[i].node >= 0 && (size_t)r[i].node < N_OF(fleet));
        assert_true(r[i].reason[0] != '\0');
        assert_has(r[i].reason, fleet[r[i].node].id);
        if (r[i].rule != TS_RULE_PIN && r[i].rule != TS_RULE_DEFAULT_ROBOT)
            assert_has(r[i].reason, ts_place_rule_name(r[i].rule));
    }
}

/* Working arrays come from the hook, are all released, and an allocation
 * failure is reported as TS_ENOMEM. */
static void test_allocation(void **state)
{
    (void)state;
    enum { N = N_OF(fleet_cs) };
    ts_place_result r[N];
    ts_error err;
    long live = ts_alloc_live();
    assert_int_equal(
        ts_placement_compute(fleet, N_OF(fleet), fleet_cs, N, r, &err), TS_OK);
    assert_int_equal(ts_alloc_live(), live);

    ts_place_component big[] = {comp("huge", 0, 1, 1024 * GiB, 0, -1)};
    assert_int_equal(
        ts_placement_compute(fleet, N_OF(fleet), big, 1, r, &err),
        TS_EINFEASIBLE);
    assert_int_equal(ts_alloc_live(), live);

    for (long nth = 1; nth <= 2; nth++) {
        ts_alloc_fail_after(nth);
        assert_int_equal(
            ts_placement_compute(fleet, N_OF(fleet), fleet_cs, N, r, &err),
            TS_ENOMEM);
        assert_int_equal(err.code, TS_ENOMEM);
        ts_alloc_fail_after(0);
        assert_int_equal(ts_alloc_live(), live);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_names),
        cmocka_unit_test(test_tier_rules),
        cmocka_unit_test(test_flag_precedence),
        cmocka_unit_test(test_pin_overrides_and_consumes),
        cmocka_unit_test(test_ffd_cpu),
        cmocka_unit_test(test_ffd_dominant_memory),
        cmocka_unit_test(test_ffd_ties_keep_input_order),
        cmocka_unit_test(test_infeasible_memory),
        cmocka_unit_test(test_infeasible_cpu_after_consumption),
        cmocka_unit_test(test_infeasible_gpu),
        cmocka_unit_test(test_infeasible_mixed_binding),
        cmocka_unit_test(test_empty_tier),
        cmocka_unit_test(test_pin_to_network_node),
        cmocka_unit_test(test_bad_pin_index),
        cmocka_unit_test(test_invalid_input_before_fitting),
        cmocka_unit_test(test_pin_does_not_fit),
        cmocka_unit_test(test_reason_text),
        cmocka_unit_test(test_reason_truncated_safely),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_reasons_name_node),
        cmocka_unit_test(test_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
