/*
 * Tests for src/deploy/placement.c: tier rules and their precedence, pins,
 * first-fit-decreasing order, the infeasibility messages (binding resource
 * named), reasons, determinism, and the allocation contract (first
 * version); reserved cores with exact masks, isolation levels,
 * primary/backup anti-affinity (node and core level), replica spread,
 * latency budgets through a route callback, publisher-first order,
 * fallback outward with its reason, an error naming every kind of binding
 * constraint, GPU memory, and the per-node usage (second version);
 * shares of time-sliced GPUs packed per GPU with their memory (third).
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
#define MS INT64_C(1000000)
#define US INT64_C(1000)

#define RT TS_PLACE_REAL_TIME_CRITICAL
#define CH TS_PLACE_COMPUTATION_HEAVY
#define DP TS_PLACE_DATA_PROCESSING
#define SC TS_PLACE_SAFETY_CRITICAL

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Static tables: designated, so the relation indices get their -1. */
#define NODE(id_, tier_, cpu_, mem_, gpus_)                                  \
    {.id = (id_), .tier = (tier_), .cpu_millicores = (cpu_),                 \
     .memory_bytes = (mem_), .gpus = (gpus_)}
#define COMP(id_, flags_, cpu_, mem_, gpus_, pin_)                           \
    {.id = (id_), .flags = (flags_), .cpu_millicores = (cpu_),               \
     .memory_bytes = (mem_), .gpus = (gpus_), .pin = (pin_),                 \
     .backup_of = -1, .replica_of = -1}

static ts_place_node node(const char *id, ts_place_tier tier, int64_t cpu,
                          int64_t mem, int gpus)
{
    ts_place_node n = NODE(id, tier, cpu, mem, gpus);
    return n;
}

static ts_place_component comp(const char *id, uint32_t flags, int64_t cpu,
                               int64_t mem, int gpus, int pin)
{
    ts_place_component c;
    ts_place_component_init(&c, id);
    c.flags = flags;
    c.cpu_millicores = cpu;
    c.memory_bytes = mem;
    c.gpus = gpus;
    c.pin = pin;
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
    assert_string_equal(ts_place_rule_name(TS_RULE_SAFETY_CRITICAL),
                        "safety-critical");
    assert_string_equal(ts_place_rule_name((ts_place_rule)42), "unknown");
}

/* A network node listed first and hosts of every tier: each rule must land
 * on its own tier's node. */
static const ts_place_node three_tiers[] = {
    NODE("switch0", TS_PLACE_NONE, 0, 0, 0),
    NODE("robot0", TS_PLACE_ROBOT, 4000, 8 * GiB, 0),
    NODE("edge0", TS_PLACE_EDGE, 16000, 64 * GiB, 2),
    NODE("cloud0", TS_PLACE_CLOUD, 64000, 256 * GiB, 8),
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
    /* Second version: safety-critical is a rule of its own (robot), no
     * longer the default. */
    static const int want_node[] = {1, 2, 3, 1, 1};
    static const ts_place_rule want_rule[] = {
        TS_RULE_REAL_TIME_CRITICAL, TS_RULE_COMPUTATION_HEAVY,
        TS_RULE_DATA_PROCESSING, TS_RULE_DEFAULT_ROBOT,
        TS_RULE_SAFETY_CRITICAL};
    for (size_t i = 0; i < N_OF(cs); i++) {
        assert_int_equal(r[i].node, want_node[i]);
        assert_int_equal(r[i].rule, want_rule[i]);
    }
    assert_has(r[1].reason, "computation-heavy -> edge");
    assert_has(r[2].reason, "data-processing -> cloud");
    assert_has(r[3].reason, "-> robot");
    assert_has(r[4].reason, "safety-critical -> robot");
    /* Only the safety-critical one reserves a core (the highest). */
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(r[i].core_mask, 0);
    assert_int_equal(r[4].core_mask, 0x8);
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
    /* Second version: safety-critical beats computation-heavy and
     * data-processing (it never leaves the robot); real-time-critical
     * still comes first. */
    assert_int_equal(r[3].rule, TS_RULE_SAFETY_CRITICAL);
    assert_int_equal(r[3].node, 1);
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
    /* Second version: the safety-critical pin reserves a whole core
     * (the highest), so ctrl sees 3000m free, not 3500m. */
    assert_string_equal(r[1].reason, "pinned to h1_rt (core 3 reserved for "
                                     "cpu 500m, mem 64MiB of 8GiB free)");
    assert_int_equal(r[1].core_mask, 0x8);
    assert_string_equal(r[0].reason,
                        "real-time-critical -> robot; first fit h1_rt (cpu "
                        "500m of 3000m free, mem 64MiB of 7.9GiB free)");
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
    NODE("r0_rt", TS_PLACE_ROBOT, 2000, 4 * GiB, 0),
    NODE("r0_main", TS_PLACE_ROBOT, 6000, 8 * GiB, 1),
    NODE("sw", TS_PLACE_NONE, 0, 0, 0),
    NODE("edge_a", TS_PLACE_EDGE, 16000, 32 * GiB, 1),
    NODE("edge_b", TS_PLACE_EDGE, 16000, 64 * GiB, 2),
    NODE("cloud", TS_PLACE_CLOUD, 64000, 256 * GiB, 4),
};

static const ts_place_component fleet_cs[] = {
    COMP("ctrl", RT | SC, 500, 64 * MiB, 0, -1),
    COMP("estop", SC, 200, 32 * MiB, 0, 0),
    COMP("slam", CH, 6000, 8 * GiB, 1, -1),
    COMP("vision", CH, 4000, 6 * GiB, 1, -1),
    COMP("planner", RT, 1500, 2 * GiB, 0, -1),
    COMP("nav", 0, 1000, GiB, 0, -1),
    COMP("logger", DP, 1000, 4 * GiB, 0, -1),
    COMP("trainer", DP | CH, 8000, 16 * GiB, 1, -1),
    COMP("mapper", DP, 8000, 32 * GiB, 2, -1),
    COMP("teleop", 0, 300, 256 * MiB, 0, 1),
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
    /* Worked by hand (second version: safety-critical components reserve
     * whole cores, tier-locked ones rank first). Pins first: estop
     * reserves r0_rt's core 1 (1000m left, core 0 reservable), teleop
     * leaves r0_main 5700m. Tier-locked, by share of the robot's 8000m,
     * 12GiB: planner 0.1875 does not fit r0_rt's 1000m and goes to
     * r0_main (4200m left); ctrl (one whole core, 0.125) takes r0_rt's
     * core 0. Then the rest by share: mapper 0.5 (two of four cloud GPUs)
     * to the cloud; slam, vision, trainer 1/3 each (one GPU of three) in
     * input order: slam takes edge_a's only GPU, vision and trainer go to
     * edge_b; nav to r0_main (r0_rt is full); logger to the cloud. */
    static const int want[N] = {0, 0, 3, 4, 1, 1, 5, 4, 5, 1};
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(a[i].node, want[i]);
        assert_int_equal(a[i].core_mask, b[i].core_mask);
        assert_int_equal(a[i].fell_back, 0);
    }
    assert_int_equal(a[0].core_mask, 0x1);
    assert_int_equal(a[1].core_mask, 0x2);
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

    for (long nth = 1; nth <= 5; nth++) {
        ts_alloc_fail_after(nth);
        assert_int_equal(
            ts_placement_compute(fleet, N_OF(fleet), fleet_cs, N, r, &err),
            TS_ENOMEM);
        assert_int_equal(err.code, TS_ENOMEM);
        ts_alloc_fail_after(0);
        assert_int_equal(ts_alloc_live(), live);
    }
}

/* ---- Second version ---- */

/* A route table for the latency callback: lat[from][to] in ns, -1 for no
 * route; counts calls so a test can see the deployment code asked. */
typedef struct routes {
    int64_t lat[8][8];
    int calls;
    int same_node_asked;
} routes;

static int64_t route_cb(void *ctx, int from, int to)
{
    routes *rt = ctx;
    rt->calls++;
    if (from == to)
        rt->same_node_asked = 1;
    return rt->lat[from][to];
}

static void routes_fill(routes *rt, int64_t v)
{
    memset(rt, 0, sizeof *rt);
    for (int a = 0; a < 8; a++)
        for (int b = 0; b < 8; b++)
            rt->lat[a][b] = a == b ? 0 : v;
}

static void routes_set(routes *rt, int a, int b, int64_t v)
{
    rt->lat[a][b] = rt->lat[b][a] = v;
}

static void test_component_init(void **state)
{
    (void)state;
    ts_place_component c;
    memset(&c, 0x5A, sizeof c);
    ts_place_component_init(&c, "x");
    assert_string_equal(c.id, "x");
    assert_int_equal(c.pin, -1);
    assert_int_equal(c.backup_of, -1);
    assert_int_equal(c.replica_of, -1);
    assert_int_equal(c.isolation, TS_PLACE_ISOLATION_NONE);
    assert_int_equal(c.flags, 0);
    assert_int_equal(c.cpu_millicores, 0);
    assert_int_equal(c.gpu_memory_bytes, 0);
    assert_int_equal(c.core_redundancy, 0);
    assert_null(c.latency);
    assert_int_equal(c.n_latency, 0);
}

/* Safety-critical components reserve ceil(cpu) whole cores (at least one),
 * highest index first, and the cpu they take is the whole cores. */
static void test_safety_reserved_cores(void **state)
{
    (void)state;
    ts_place_node ns[] = {node("r1", TS_PLACE_ROBOT, 6000, 8 * GiB, 0)};
    ts_place_component cs[] = {
        comp("small_sc", SC, 500, 64 * MiB, 0, -1),   /* 1 core */
        comp("big_sc", SC, 1500, 64 * MiB, 0, -1),    /* 2 cores */
        comp("zero_sc", SC, 0, 64 * MiB, 0, -1),      /* at least 1 */
        comp("shared", 0, 1500, 64 * MiB, 0, -1),
    };
    ts_place_result r[N_OF(cs) + 1];
    ts_error err;
    assert_int_equal(
        ts_placement_compute(ns, 1, cs, N_OF(cs), r, &err), TS_OK);
    /* Tier-locked first, by share of 6000m: big_sc (2000m) takes cores
     * 5,4; small_sc (1000m) core 3; zero_sc (1000m, later index) core 2.
     * shared fits the 1500m left and reserves nothing. */
    assert_int_equal(r[1].core_mask, 0x30);
    assert_int_equal(r[0].core_mask, 0x08);
    assert_int_equal(r[2].core_mask, 0x04);
    assert_int_equal(r[3].core_mask, 0);
    for (size_t i = 0; i < N_OF(cs); i++)
        assert_int_equal(r[i].node, 0);
    assert_int_equal(r[1].rule, TS_RULE_SAFETY_CRITICAL);
    assert_string_equal(r[1].reason,
                        "safety-critical -> robot; first fit r1 (cores 4-5 "
                        "reserved for cpu 1500m, mem 64MiB of 8GiB free)");
    assert_has(r[3].reason, "cpu 1500m of 2000m free");

    /* One more safety-critical core would need 1000m: only 500m is left. */
    ts_place_component more[N_OF(cs) + 1];
    memcpy(more, cs, sizeof cs);
    more[N_OF(cs)] = comp("one_more", SC, 100, MiB, 0, -1);
    assert_int_equal(
        ts_placement_compute(ns, 1, more, N_OF(more), r, &err),
        TS_EINFEASIBLE);
    assert_has(err.msg, "component shared:");
    /* (the locked one_more went first, so the shared one is the loser) */
    assert_has(err.msg, "no robot node has 1500m cpu free");
}

/* A node's reservable cores limit which cores may be reserved; running
 * out names reservable cores as the binding resource. */
static void test_reservable_cores(void **state)
{
    (void)state;
    ts_place_node ns[] = {node("r1", TS_PLACE_ROBOT, 4000, 8 * GiB, 0)};
    ns[0].reservable_cores = 0x6; /* cores 1 and 2 only */
    ts_place_component cs[] = {
        comp("a", SC, 800, 64 * MiB, 0, -1),
        comp("b", SC, 800, 64 * MiB, 0, -1),
    };
    ts_place_result r[3];
    ts_error err;
    assert_int_equal(ts_placement_compute(ns, 1, cs, 2, r, &err), TS_OK);
    assert_int_equal(r[0].core_mask, 0x4);
    assert_int_equal(r[1].core_mask, 0x2);

    ts_place_component three[] = {cs[0], cs[1],
                                  comp("c", SC, 800, 64 * MiB, 0, -1)};
    assert_int_equal(ts_placement_compute(ns, 1, three, 3, r, &err),
                     TS_EINFEASIBLE);
    assert_string_equal(err.msg,
                        "component c: no robot node has 1 reservable core "
                        "free (needs 1 reservable core, 1000m cpu, 64MiB "
                        "memory; largest free: r1 with 0 reservable cores)");

    /* Pinned, they claim in input order and the third is refused. */
    three[0].pin = three[1].pin = three[2].pin = 0;
    assert_int_equal(ts_placement_compute(ns, 1, three, 3, r, &err),
                     TS_EINFEASIBLE);
    assert_has(err.msg, "component");
    assert_has(err.msg, "pinned node r1 has only 0 reservable cores free "
                        "(needs 1 reservable core)");
}

/* isolation="core" reserves cores but shares the node; "node" takes an
 * empty node without cores; "highest" takes an empty node and cores, and
 * nothing else joins either. */
static void test_isolation_levels(void **state)
{
    (void)state;
    ts_place_node ns[] = {
        node("r1", TS_PLACE_ROBOT, 4000, 8 * GiB, 0),
        node("r2", TS_PLACE_ROBOT, 4000, 8 * GiB, 0),
        node("r3", TS_PLACE_ROBOT, 4000, 8 * GiB, 0),
    };
    ts_place_component cs[] = {
        comp("early", 0, 100, MiB, 0, -1),
        comp("vault", 0, 500, MiB, 0, -1),
        comp("cored", 0, 1200, MiB, 0, -1),
        comp("late", 0, 100, MiB, 0, -1),
        comp("alone", 0, 100, MiB, 0, -1),
    };
    cs[1].isolation = TS_PLACE_ISOLATION_HIGHEST;
    cs[2].isolation = TS_PLACE_ISOLATION_CORE;
    cs[4].isolation = TS_PLACE_ISOLATION_NODE;
    ts_place_result r[N_OF(cs)];
    ts_error err;
    assert_int_equal(
        ts_placement_compute(ns, 3, cs, N_OF(cs), r, &err), TS_OK);
    /* Node-isolated first (vault, alone: equal share -> input order):
     * vault r1, alone r2. Then cored (2 cores = 2000m) and early, late
     * on r3, the only node not held. */
    assert_int_equal(r[1].node, 0);
    assert_int_equal(r[4].node, 1);
    assert_int_equal(r[2].node, 2);
    assert_int_equal(r[0].node, 2);
    assert_int_equal(r[3].node, 2);
    assert_int_equal(r[1].core_mask, 0x8);
    assert_int_equal(r[4].core_mask, 0);
    assert_int_equal(r[2].core_mask, 0xC);
    assert_int_equal(r[0].core_mask, 0);
    assert_has(r[1].reason, "a node of its own (isolation highest)");
    assert_has(r[4].reason, "a node of its own (isolation node)");
    assert_has(r[0].reason, "skipped r1 (isolation: held by vault "
                            "(isolation highest))");

    /* A pinned component makes its node unusable for a node-isolated
     * one, which takes the next empty node. */
    ts_place_component p[] = {comp("pinned", 0, 100, MiB, 0, 0), cs[1]};
    assert_int_equal(ts_placement_compute(ns, 3, p, 2, r, &err), TS_OK);
    assert_int_equal(r[1].node, 1);
    assert_has(r[1].reason, "skipped r1 (isolation: already hosts pinned)");
}

static void test_isolation_infeasible(void **state)
{
    (void)state;
    ts_place_node ns[] = {
        node("r1", TS_PLACE_ROBOT, 4000, 8 * GiB, 0),
        node("r2", TS_PLACE_ROBOT, 4000, 8 * GiB, 0),
    };
    /* No empty node left for the isolated one. */
    ts_place_component a[] = {
        comp("p1", 0, 100, MiB, 0, 0),
        comp("p2", 0, 100, MiB, 0, 1),
        comp("vault", 0, 100, MiB, 0, -1),
    };
    a[2].isolation = TS_PLACE_ISOLATION_NODE;
    ts_place_result r[3];
    ts_error err;
    assert_int_equal(ts_placement_compute(ns, 2, a, 3, r, &err),
                     TS_EINFEASIBLE);
    assert_string_equal(err.msg,
                        "component vault: isolation rules out every robot "
                        "node (it needs a node of its own): r1 already hosts "
                        "p1; r2 already hosts p2");

    /* The isolated ones hold every node: the ordinary one has nowhere. */
    ts_place_component b[] = {
        comp("v1", 0, 100, MiB, 0, -1),
        comp("v2", 0, 100, MiB, 0, -1),
        comp("plain", 0, 100, MiB, 0, -1),
    };
    b[0].isolation = TS_PLACE_ISOLATION_HIGHEST;
    b[1].isolation = TS_PLACE_ISOLATION_NODE;
    assert_int_equal(ts_placement_compute(ns, 2, b, 3, r, &err),
                     TS_EINFEASIBLE);
    assert_has(err.msg, "component plain: isolation rules out every robot "
                        "node: r1 held by v1");

    /* Pinned onto a node that already hosts a pin. */
    ts_place_component c[] = {
        comp("first", 0, 100, MiB, 0, 0),
        comp("vault", 0, 100, MiB, 0, 0),
    };
    c[1].isolation = TS_PLACE_ISOLATION_HIGHEST;
    assert_int_equal(ts_placement_compute(ns, 2, c, 2, r, &err),
                     TS_EINFEASIBLE);
    assert_string_equal(err.msg, "component vault: pinned node r1 breaks "
                                 "isolation: already hosts first (it needs "
                                 "a node of its own)");
    /* ... and the other way round. */
    ts_place_component d[] = {c[1], c[0]};
    assert_int_equal(ts_placement_compute(ns, 2, d, 2, r, &err),
                     TS_EINFEASIBLE);
    assert_has(err.msg, "component first: pinned node r1 breaks isolation: "
                        "held by vault");
}

/* A backup never shares its primary's node, whichever is placed first. */
static void test_primary_backup(void **state)
{
    (void)state;
    ts_place_node ns[] = {
        node("r1", TS_PLACE_ROBOT, 4000, 8 * GiB, 0),
        node("r2", TS_PLACE_ROBOT, 4000, 8 * GiB, 0),
    };
    ts_place_component cs[] = {
        comp("planner", 0, 500, MiB, 0, -1),
        comp("planner_b", 0, 500, MiB, 0, -1),
    };
    cs[1].backup_of = 0;
    ts_place_result r[2];
    ts_error err;
    assert_int_equal(ts_placement_compute(ns, 2, cs, 2, r, &err), TS_OK);
    assert_int_equal(r[0].node, 0);
    assert_int_equal(r[1].node, 1);
    assert_has(r[1].reason, "skipped r1 (anti-affinity: hosts its primary "
                            "planner)");
    assert_has(r[1].reason, "apart from primary planner (r1)");

    /* Backup declared first (and larger, so it goes first): the primary
     * moves instead. */
    ts_place_component rev[] = {
        comp("planner_b", 0, 600, MiB, 0, -1),
        comp("planner", 0, 500, MiB, 0, -1),
    };
    rev[0].backup_of = 1;
    assert_int_equal(ts_placement_compute(ns, 2, rev, 2, r, &err), TS_OK);
    assert_int_equal(r[0].node, 0);
    assert_int_equal(r[1].node, 1);
    assert_has(r[1].reason, "anti-affinity: hosts its backup planner_b");

    /* One node only: infeasible, naming anti-affinity. */
    assert_int_equal(ts_placement_compute(ns, 1, cs, 2, r, &err),
                     TS_EINFEASIBLE);
    assert_string_equal(err.msg, "component planner_b: anti-affinity rules "
                                 "out every robot node: r1 hosts its primary "
                                 "planner");
    /* Both pinned together. */
    cs[0].pin = cs[1].pin = 1;
    assert_int_equal(ts_placement_compute(ns, 2, cs, 2, r, &err),
                     TS_EINFEASIBLE);
    assert_string_equal(err.msg, "component planner_b: pinned node r2 "
                                 "breaks anti-affinity: hosts its primary "
                                 "planner");
}

/* Core-level redundancy: primary and backup may share a node, each on
 * reserved cores of its own, so never a core. */
static void test_core_level_redundancy(void **state)
{
    (void)state;
    ts_place_node ns[] = {
        node("r1", TS_PLACE_ROBOT, 4000, 8 * GiB, 0),
        node("r2", TS_PLACE_ROBOT, 4000, 8 * GiB, 0),
    };
    ts_place_component cs[] = {
        comp("monitor", RT, 500, MiB, 0, -1),
        comp("monitor_b", RT, 1500, MiB, 0, -1),
    };
    cs[1].backup_of = 0;
    cs[1].core_redundancy = 1;
    ts_place_result r[2];
    ts_error err;
    assert_int_equal(ts_placement_compute(ns, 2, cs, 2, r, &err), TS_OK);
    /* monitor_b (2 cores) ranks first: cores 3,2 of r1; monitor then
     * core 1 of the same node. */
    assert_int_equal(r[0].node, 0);
    assert_int_equal(r[1].node, 0);
    assert_int_equal(r[1].core_mask, 0xC);
    assert_int_equal(r[0].core_mask, 0x2);
    assert_int_equal(r[0].core_mask & r[1].core_mask, 0);

    /* The flag may sit on the primary instead; the result is the same. */
    cs[1].core_redundancy = 0;
    cs[0].core_redundancy = 1;
    ts_place_result r2[2];
    assert_int_equal(ts_placement_compute(ns, 2, cs, 2, r2, &err), TS_OK);
    assert_int_equal(r2[0].node, 0);
    assert_int_equal(r2[1].node, 0);
    assert_int_equal(r2[1].core_mask, 0xC);
    assert_int_equal(r2[0].core_mask, 0x2);
    assert_has(r2[0].reason, "first fit r1 (core 1 reserved for cpu 500m");

    /* Backup placed second: the reason says core-level. */
    ts_place_component sw[] = {cs[0], cs[1]};
    sw[1].cpu_millicores = 200;
    sw[1].backup_of = 0;
    assert_int_equal(ts_placement_compute(ns, 2, sw, 2, r, &err), TS_OK);
    assert_int_equal(r[1].node, r[0].node);
    assert_has(r[1].reason, "core-level redundancy with primary monitor");

    /* With one single-core node the pair cannot have two cores. */
    ts_place_node one[] = {node("tiny", TS_PLACE_ROBOT, 1000, GiB, 0)};
    assert_int_equal(ts_placement_compute(one, 1, sw, 2, r, &err),
                     TS_EINFEASIBLE);
    assert_has(err.msg, "reservable core");
}

/* Replicas spread: each goes to a node hosting no other replica of its
 * group when one fits, else shares the least crowded, and says so. */
static void test_replica_spread(void **state)
{
    (void)state;
    ts_place_node ns[] = {
        node("r1", TS_PLACE_ROBOT, 8000, 8 * GiB, 0),
        node("r2", TS_PLACE_ROBOT, 8000, 8 * GiB, 0),
        node("r3", TS_PLACE_ROBOT, 8000, 8 * GiB, 0),
    };
    ts_place_component cs[] = {
        comp("svc_0", 0, 500, MiB, 0, -1),
        comp("svc_1", 0, 500, MiB, 0, -1),
        comp("other", 0, 500, MiB, 0, -1),
        comp("svc_2", 0, 500, MiB, 0, -1),
        comp("svc_3", 0, 500, MiB, 0, -1),
    };
    cs[1].replica_of = 0;
    cs[3].replica_of = 0;
    cs[4].replica_of = 1; /* through svc_1: still the same group */
    ts_place_result r[N_OF(cs)];
    ts_error err;
    assert_int_equal(
        ts_placement_compute(ns, 3, cs, N_OF(cs), r, &err), TS_OK);
    assert_int_equal(r[0].node, 0);
    assert_int_equal(r[1].node, 1);
    assert_int_equal(r[2].node, 0); /* not a replica: plain first fit */
    assert_int_equal(r[3].node, 2);
    assert_int_equal(r[4].node, 0); /* all hold one: the first, fewest */
    assert_has(r[1].reason, "spread from other replicas of svc_0");
    assert_has(r[3].reason, "spread from other replicas of svc_0");
    assert_has(r[4].reason, "shares with 1 replica of svc_0 (every fitting "
                            "robot node hosts one)");
    assert_true(strstr(r[2].reason, "replica") == NULL);

    /* A full node does not count as "hosting none": r2 cannot take it, so
     * the second replica goes to r3. */
    ts_place_component full[] = {
        comp("hog", 0, 8000, MiB, 0, 1),
        comp("svc_0", 0, 500, MiB, 0, -1),
        comp("svc_1", 0, 500, MiB, 0, -1),
    };
    full[2].replica_of = 1;
    assert_int_equal(ts_placement_compute(ns, 3, full, 3, r, &err), TS_OK);
    assert_int_equal(r[1].node, 0);
    assert_int_equal(r[2].node, 2);
}

/* The latency rule skips a node too far from the publisher and takes a
 * nearer one; the callback is never asked about a node to itself. */
static void test_latency_nearer_node(void **state)
{
    (void)state;
    ts_place_node ns[] = {
        node("r0", TS_PLACE_ROBOT, 4000, 8 * GiB, 0),
        node("e_far", TS_PLACE_EDGE, 16000, 32 * GiB, 1),
        node("e_near", TS_PLACE_EDGE, 16000, 32 * GiB, 1),
    };
    routes rt;
    routes_fill(&rt, 0);
    routes_set(&rt, 0, 1, 12 * MS);
    routes_set(&rt, 0, 2, 3100 * US);
    routes_set(&rt, 1, 2, 100 * US);
    ts_place_options opts = {route_cb, &rt, NULL, NULL};
    ts_place_latency budget[] = {{0, 10 * MS}};
    ts_place_component cs[] = {
        comp("camera", 0, 500, MiB, 0, 0),
        comp("vision", CH, 4000, 4 * GiB, 1, -1),
    };
    cs[1].latency = budget;
    cs[1].n_latency = 1;
    ts_place_result r[2];
    ts_error err;
    assert_int_equal(
        ts_placement_compute_ex(ns, 3, cs, 2, &opts, r, &err), TS_OK);
    assert_int_equal(r[1].node, 2);
    assert_string_equal(r[1].reason,
                        "computation-heavy -> edge; skipped e_far (latency "
                        "budget: 12ms from camera over budget 10ms); first "
                        "fit e_near (cpu 4000m of 16000m free, mem 4GiB of "
                        "32GiB free, gpu 1 of 1 free)");
    assert_true(rt.calls > 0);
    assert_false(rt.same_node_asked);

    /* Exactly at the budget is within it; one ns more is not. */
    budget[0].budget_ns = 12 * MS;
    assert_int_equal(
        ts_placement_compute_ex(ns, 3, cs, 2, &opts, r, &err), TS_OK);
    assert_int_equal(r[1].node, 1);
    routes_set(&rt, 0, 1, 12 * MS + 1);
    assert_int_equal(
        ts_placement_compute_ex(ns, 3, cs, 2, &opts, r, &err), TS_OK);
    assert_int_equal(r[1].node, 2);
    assert_has(r[1].reason, "(latency budget: 12000.001us from camera over "
                            "budget 12ms)");

    /* No route at all counts as over any budget. */
    routes_set(&rt, 0, 1, -1);
    assert_int_equal(
        ts_placement_compute_ex(ns, 3, cs, 2, &opts, r, &err), TS_OK);
    assert_int_equal(r[1].node, 2);
    assert_has(r[1].reason, "skipped e_far (latency budget: unreachable "
                            "from camera)");

    /* Budgets without a route function are a malformed call. */
    assert_int_equal(ts_placement_compute(ns, 3, cs, 2, r, &err), TS_EINVAL);
    assert_has(err.msg, "no route-latency function");
}

/* Placing a publisher after its consumer still honours the consumer's
 * budget (the rule is about the pair, not the order). */
static void test_latency_publisher_side(void **state)
{
    (void)state;
    ts_place_node ns[] = {
        node("r_far", TS_PLACE_ROBOT, 4000, 8 * GiB, 0),
        node("r_near", TS_PLACE_ROBOT, 4000, 8 * GiB, 0),
        node("e1", TS_PLACE_EDGE, 16000, 32 * GiB, 1),
    };
    routes rt;
    routes_fill(&rt, MS);
    routes_set(&rt, 0, 2, 20 * MS);
    routes_set(&rt, 1, 2, 2 * MS);
    ts_place_options opts = {route_cb, &rt, NULL, NULL};
    ts_place_latency budget[] = {{1, 5 * MS}};
    ts_place_component cs[] = {
        comp("fusion", CH, 100, MiB, 0, 2),
        comp("imu", 0, 100, MiB, 0, -1),
    };
    cs[0].latency = budget;
    cs[0].n_latency = 1;
    ts_place_result r[2];
    ts_error err;
    assert_int_equal(
        ts_placement_compute_ex(ns, 3, cs, 2, &opts, r, &err), TS_OK);
    assert_int_equal(r[1].node, 1);
    assert_has(r[1].reason, "skipped r_far (latency budget: 20ms to fusion "
                            "over its budget 5ms)");
}

/* Publishers are placed before their consumers where possible: here the
 * consumer ranks first by share, and placing it first would strand the
 * publisher (real-time-critical, one robot node, route too long). */
static void test_publishers_first(void **state)
{
    (void)state;
    ts_place_node ns[] = {
        node("r0", TS_PLACE_ROBOT, 2000, 4 * GiB, 0),
        node("e_far", TS_PLACE_EDGE, 16000, 32 * GiB, 1),
        node("e_near", TS_PLACE_EDGE, 16000, 32 * GiB, 1),
    };
    routes rt;
    routes_fill(&rt, 0);
    routes_set(&rt, 0, 1, 30 * MS);
    routes_set(&rt, 0, 2, 4 * MS);
    ts_place_options opts = {route_cb, &rt, NULL, NULL};
    ts_place_latency budget[] = {{1, 10 * MS}};
    ts_place_component cs[] = {
        comp("vision", CH, 8000, 16 * GiB, 1, -1),
        comp("camera", RT, 100, MiB, 0, -1),
    };
    cs[0].latency = budget;
    cs[0].n_latency = 1;
    ts_place_result r[2];
    ts_error err;
    assert_int_equal(
        ts_placement_compute_ex(ns, 3, cs, 2, &opts, r, &err), TS_OK);
    assert_int_equal(r[1].node, 0);
    assert_int_equal(r[0].node, 2);

    /* The consumer outranks its publisher (tier-locked before the rest):
     * placed first it would take r_a, 5ms from the only edge node, and
     * strand the publisher; publisher first, it skips r_a for r_b. */
    ts_place_node two_robots[] = {
        node("r_a", TS_PLACE_ROBOT, 2000, 4 * GiB, 0),
        node("r_b", TS_PLACE_ROBOT, 2000, 4 * GiB, 0),
        node("e_x", TS_PLACE_EDGE, 16000, 32 * GiB, 1),
    };
    routes_fill(&rt, 0);
    routes_set(&rt, 0, 2, 5 * MS);
    routes_set(&rt, 1, 2, MS);
    ts_place_latency from_detect[] = {{1, 2 * MS}};
    ts_place_component pc[] = {
        comp("balance", RT, 500, MiB, 0, -1),
        comp("detect", CH, 2000, GiB, 1, -1),
    };
    pc[0].latency = from_detect;
    pc[0].n_latency = 1;
    assert_int_equal(
        ts_placement_compute_ex(two_robots, 3, pc, 2, &opts, r, &err), TS_OK);
    assert_int_equal(r[1].node, 2);
    assert_int_equal(r[0].node, 1);
    assert_has(r[0].reason, "skipped r_a (latency budget: 5ms from detect "
                            "over budget 2ms)");
    routes_fill(&rt, 0);
    routes_set(&rt, 0, 1, 30 * MS);
    routes_set(&rt, 0, 2, 4 * MS);

    /* A cycle of budgets is broken by rank and still honoured both ways. */
    ts_place_latency ab[] = {{1, 5 * MS}}, ba[] = {{0, 5 * MS}};
    ts_place_component cyc[] = {
        comp("a", CH, 100, MiB, 0, -1),
        comp("b", CH, 100, MiB, 0, -1),
    };
    cyc[0].latency = ab;
    cyc[0].n_latency = 1;
    cyc[1].latency = ba;
    cyc[1].n_latency = 1;
    cyc[1].backup_of = 0; /* forces them apart */
    routes_set(&rt, 1, 2, 6 * MS);
    assert_int_equal(
        ts_placement_compute_ex(ns, 3, cyc, 2, &opts, r, &err),
        TS_EINFEASIBLE);
    assert_string_equal(err.msg, "component b: no edge node satisfies "
                                 "every constraint (anti-affinity on 1, "
                                 "latency budget on 1 of 2 nodes): e_far "
                                 "(anti-affinity) "
                                 "hosts its primary a; e_near (latency "
                                 "budget) route latency 6ms from a (on "
                                 "e_far) over budget 5ms");
    routes_set(&rt, 1, 2, 5 * MS);
    assert_int_equal(
        ts_placement_compute_ex(ns, 3, cyc, 2, &opts, r, &err), TS_OK);
    assert_int_equal(r[0].node, 1);
    assert_int_equal(r[1].node, 2);
}

/* A full robot tier falls back to the edge when timing allows, and the
 * reason says so; the real-time-critical one never leaves. */
static void test_fallback_with_reason(void **state)
{
    (void)state;
    ts_place_node ns[] = {
        node("r1", TS_PLACE_ROBOT, 1000, 4 * GiB, 0),
        node("e1", TS_PLACE_EDGE, 8000, 16 * GiB, 0),
        node("c1", TS_PLACE_CLOUD, 64000, 64 * GiB, 0),
    };
    routes rt;
    routes_fill(&rt, 40 * MS);
    routes_set(&rt, 0, 1, 3100 * US);
    ts_place_options opts = {route_cb, &rt, NULL, NULL};
    ts_place_latency budget[] = {{0, 10 * MS}};
    ts_place_component cs[] = {
        comp("ctrl", RT, 800, 64 * MiB, 0, -1),
        comp("nav", 0, 500, 64 * MiB, 0, -1),
    };
    cs[1].latency = budget;
    cs[1].n_latency = 1;
    ts_place_result r[2];
    ts_error err;
    assert_int_equal(
        ts_placement_compute_ex(ns, 3, cs, 2, &opts, r, &err), TS_OK);
    assert_int_equal(r[0].node, 0);
    assert_int_equal(r[1].node, 1);
    assert_int_equal(r[1].fell_back, 1);
    assert_int_equal(r[0].fell_back, 0);
    assert_string_equal(r[1].reason,
                        "default (no tier flag) -> robot; robot tier full "
                        "(cpu); fell back to edge: route latency 3.1ms "
                        "within budget 10ms; first fit e1 (cpu 500m of "
                        "8000m free, mem 64MiB of 16GiB free)");

    /* Without a budget the fallback says there was none to honour; with
     * the edge full too it goes on to the cloud. */
    ts_place_component two[] = {
        comp("ctrl", RT, 800, 64 * MiB, 0, -1),
        comp("edge_hog", CH, 8000, MiB, 0, -1),
        comp("logger", 0, 500, 64 * MiB, 0, -1),
    };
    ts_place_result r3[3];
    assert_int_equal(
        ts_placement_compute_ex(ns, 3, two, 3, &opts, r3, &err), TS_OK);
    assert_int_equal(r3[2].node, 2);
    assert_int_equal(r3[2].fell_back, 2);
    assert_has(r3[2].reason, "robot tier full (cpu); edge tier full (cpu); "
                             "fell back to cloud: no latency budget");

    /* Timing does not allow it: a 2ms budget rules out the edge (3.1ms)
     * and the cloud (40ms), and the error says which tier failed how. */
    budget[0].budget_ns = 2 * MS;
    assert_int_equal(
        ts_placement_compute_ex(ns, 3, cs, 2, &opts, r, &err),
        TS_EINFEASIBLE);
    assert_string_equal(err.msg,
                        "component nav: no robot node has 500m cpu free "
                        "(needs 500m cpu, 64MiB memory; largest free: r1 "
                        "with 200m cpu); fallback to edge: latency budget "
                        "rules out every edge node: e1 route latency 3.1ms "
                        "from ctrl (on r1) over budget 2ms; fallback to "
                        "cloud: latency budget rules out every cloud node: "
                        "c1 route latency 40ms from ctrl (on r1) over "
                        "budget 2ms");

    /* Real-time-critical components never leave the robot tier. */
    ts_place_component rt2[] = {
        comp("ctrl", RT, 800, 64 * MiB, 0, -1),
        comp("ctrl2", RT, 500, 64 * MiB, 0, -1),
    };
    assert_int_equal(ts_placement_compute(ns, 3, rt2, 2, r, &err),
                     TS_EINFEASIBLE);
    assert_string_equal(err.msg,
                        "component ctrl2: no robot node has 500m cpu free "
                        "(needs 500m cpu, 64MiB memory; largest free: r1 "
                        "with 200m cpu); tier: real-time-critical "
                        "components never leave the robot tier");
    /* Safety-critical likewise; its whole core (1000m) is the demand. */
    ts_place_component sc[] = {
        comp("hog", 0, 500, 64 * MiB, 0, 0),
        comp("guard", SC, 100, 64 * MiB, 0, -1),
    };
    assert_int_equal(ts_placement_compute(ns, 3, sc, 2, r, &err),
                     TS_EINFEASIBLE);
    assert_string_equal(err.msg,
                        "component guard: no robot node has 1000m cpu free "
                        "(needs 1000m cpu, 64MiB memory, 1 reservable core; "
                        "largest free: r1 with 500m cpu); tier: "
                        "safety-critical components never leave the robot "
                        "tier");

    /* A robot tier with no node at all: default components fall back,
     * real-time-critical ones are infeasible on the tier rule. */
    ts_place_component plain[] = {comp("nav", 0, 100, MiB, 0, -1)};
    assert_int_equal(ts_placement_compute(ns + 1, 2, plain, 1, r, &err),
                     TS_OK);
    assert_int_equal(r[0].node, 0);
    assert_has(r[0].reason, "-> robot; no robot-tier node; fell back to "
                            "edge: no latency budget; first fit e1");
    assert_int_equal(ts_placement_compute(ns + 1, 2, rt2, 1, r, &err),
                     TS_EINFEASIBLE);
    assert_string_equal(err.msg, "component ctrl: no robot-tier node exists "
                                 "(rule real-time-critical); tier: "
                                 "real-time-critical components never leave "
                                 "the robot tier");
}

/* When different nodes fail for different reasons, the error lists each
 * node with its own binding constraint. */
static void test_infeasible_mixed_kinds(void **state)
{
    (void)state;
    ts_place_node ns[] = {
        node("r1", TS_PLACE_ROBOT, 4000, 8 * GiB, 0),
        node("r2", TS_PLACE_ROBOT, 4000, 8 * GiB, 0),
        node("r3", TS_PLACE_ROBOT, 1000, 8 * GiB, 0),
        node("r4", TS_PLACE_ROBOT, 4000, 8 * GiB, 0),
    };
    routes rt;
    routes_fill(&rt, 50 * US);
    routes_set(&rt, 0, 3, 9 * MS);
    ts_place_options opts = {route_cb, &rt, NULL, NULL};
    ts_place_latency budget[] = {{0, MS}};
    ts_place_component cs[] = {
        comp("src", 0, 100, MiB, 0, 0),
        comp("vault", 0, 100, MiB, 0, 1),
        comp("sink", RT, 2000, MiB, 0, -1),
    };
    cs[1].isolation = TS_PLACE_ISOLATION_NODE;
    cs[2].backup_of = 0;
    cs[2].latency = budget;
    cs[2].n_latency = 1;
    ts_place_result r[3];
    ts_error err;
    assert_int_equal(
        ts_placement_compute_ex(ns, 4, cs, 3, &opts, r, &err),
        TS_EINFEASIBLE);
    assert_string_equal(err.msg,
                        "component sink: no robot node satisfies every "
                        "constraint (isolation on 1, anti-affinity on 1, "
                        "latency budget on 1, cpu on 1 of 4 nodes): r1 "
                        "(anti-affinity) hosts its primary "
                        "src; r2 (isolation) held by vault (isolation node: "
                        "a node of its own); r3 (cpu) has 1000m cpu free, "
                        "needs 2000m cpu; r4 (latency budget) route latency "
                        "9ms from src (on r1) over budget 1ms");
}

/* A fleet-sized tier: the error lists the first six nodes and counts the
 * rest; a reason summarises a mixed tier by counts. */
static void test_error_list_capped(void **state)
{
    (void)state;
    static const char *const ids[] = {"r0", "r1", "r2", "r3", "r4",
                                      "r5", "r6", "r7", "r8"};
    ts_place_node ns[10];
    for (int j = 0; j < 9; j++)
        ns[j] = node(ids[j], TS_PLACE_ROBOT, 1000, GiB, 0);
    ns[9] = node("e1", TS_PLACE_EDGE, 8000, 8 * GiB, 0);
    ts_place_component cs[] = {
        comp("v", 0, 100, MiB, 0, 0),
        comp("b", 0, 2000, MiB, 0, -1),
    };
    cs[0].isolation = TS_PLACE_ISOLATION_NODE;
    ts_place_result r[2];
    ts_error err;
    assert_int_equal(ts_placement_compute(ns, 9, cs, 2, r, &err),
                     TS_EINFEASIBLE);
    assert_string_equal(err.msg,
                        "component b: no robot node satisfies every "
                        "constraint (isolation on 1, cpu on 8 of 9 nodes): "
                        "r0 (isolation) held by v (isolation node: a node "
                        "of its own); r1 (cpu) has 1000m cpu free, needs "
                        "2000m cpu; r2 (cpu) has 1000m cpu free, needs "
                        "2000m cpu; r3 (cpu) has 1000m cpu free, needs "
                        "2000m cpu; r4 (cpu) has 1000m cpu free, needs "
                        "2000m cpu; r5 (cpu) has 1000m cpu free, needs "
                        "2000m cpu; and 3 more");
    assert_int_equal(ts_placement_compute(ns, 10, cs, 2, r, &err), TS_OK);
    assert_int_equal(r[1].node, 9);
    assert_has(r[1].reason, "-> robot; robot tier ruled out (isolation on "
                            "1, cpu on 8 of 9 nodes); fell back to edge: no "
                            "latency budget; first fit e1");
}

/* Per-GPU memory: a GPU that is too small does not count, whatever the
 * node's GPU count. */
static void test_gpu_memory(void **state)
{
    (void)state;
    ts_place_node ns[] = {
        node("e_small", TS_PLACE_EDGE, 16000, 64 * GiB, 4),
        node("e_big", TS_PLACE_EDGE, 16000, 64 * GiB, 1),
    };
    ns[0].gpu_memory_bytes = 8 * GiB;
    ns[1].gpu_memory_bytes = 24 * GiB;
    ts_place_component cs[] = {comp("llm", CH, 2000, 8 * GiB, 1, -1)};
    cs[0].gpu_memory_bytes = 16 * GiB;
    ts_place_result r[1];
    ts_error err;
    assert_int_equal(ts_placement_compute(ns, 2, cs, 1, r, &err), TS_OK);
    assert_int_equal(r[0].node, 1);
    assert_has(r[0].reason, "gpu 1 of 1 free, 16GiB of 24GiB per GPU");

    cs[0].gpu_memory_bytes = 32 * GiB;
    assert_int_equal(ts_placement_compute(ns, 2, cs, 1, r, &err),
                     TS_EINFEASIBLE);
    assert_string_equal(err.msg,
                        "component llm: no edge node has 32GiB GPU memory "
                        "free (needs 32GiB GPU memory, 2000m cpu, 8GiB "
                        "memory, 1 GPU; largest free: e_big with 24GiB GPU "
                        "memory)");
}

/* Shares of time-sliced GPUs (third version): they pack onto the GPU
 * with least share free that fits, so four quarters fill GPU 0 and a
 * fifth spills to GPU 1; a whole GPU then takes only an untouched one;
 * with one GPU the fifth quarter is refused, naming the share. */
static void test_gpu_shares_pack(void **state)
{
    (void)state;
    ts_place_node ns[] = {node("e1", TS_PLACE_EDGE, 16000, 64 * GiB, 2)};
    ns[0].gpu_memory_bytes = 8 * GiB;
    ts_place_component cs[7];
    char ids[7][16];
    for (int i = 0; i < 5; i++) {
        snprintf(ids[i], sizeof ids[i], "v%d", i + 1);
        cs[i] = comp(ids[i], CH, 1000, GiB, 0, -1);
        cs[i].gpu_share_milli = 250;
        cs[i].gpu_memory_bytes = GiB;
    }
    ts_place_result r[7];
    ts_error err;
    assert_int_equal(ts_placement_compute(ns, 1, cs, 5, r, &err), TS_OK);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(r[i].node, 0);
        assert_int_equal(r[i].gpu, 0);
    }
    assert_int_equal(r[4].gpu, 1);
    assert_has(r[0].reason, "gpu 0.25 of 1 free on GPU 0, 1GiB of 8GiB GPU "
                            "memory there");
    assert_has(r[3].reason, "gpu 0.25 of 0.25 free on GPU 0, 1GiB of 5GiB");
    assert_has(r[4].reason, "gpu 0.25 of 1 free on GPU 1");
    ts_place_usage u;
    assert_int_equal(ts_placement_usage(ns, 1, cs, 5, r, &u, &err), TS_OK);
    assert_int_equal(u.gpu_share_used_milli, 1250);
    assert_int_equal(u.gpu_memory_used_bytes, 5 * GiB);
    char buf[160];
    ts_place_usage_format(&u, buf, sizeof buf);
    assert_has(buf, "gpu 1.25/2, gpu mem 5GiB/16GiB");

    /* A whole-GPU component ranks first (the larger dominant share) and
     * takes GPU 0 whole: the quarters then share GPU 1, and the fifth is
     * refused, as no GPU has a quarter free. */
    cs[5] = comp("det", CH, 1000, GiB, 1, -1);
    assert_int_equal(ts_placement_compute(ns, 1, cs, 6, r, &err), TS_EINFEASIBLE);
    assert_has(err.msg, "component v5: no edge node has 0.25 of one GPU free");
    assert_has(err.msg, "largest free: e1 with 0 of one GPU");
    cs[4] = cs[5];
    assert_int_equal(ts_placement_compute(ns, 1, cs, 5, r, &err), TS_OK);
    assert_int_equal(r[4].gpu, -1);
    assert_has(r[4].reason, "gpu 1 of 2 free");
    for (int i = 0; i < 4; i++)
        assert_int_equal(r[i].gpu, 1);

    /* One GPU: the fifth quarter is refused. */
    ns[0].gpus = 1;
    for (int i = 0; i < 5; i++) {
        cs[i] = comp(ids[i], CH, 1000, GiB, 0, -1);
        cs[i].gpu_share_milli = 250;
    }
    assert_int_equal(ts_placement_compute(ns, 1, cs, 5, r, &err), TS_EINFEASIBLE);
    assert_string_equal(err.msg,
                        "component v5: no edge node has 0.25 of one GPU free "
                        "(needs 0.25 of one GPU, 1000m cpu, 1GiB memory; "
                        "largest free: e1 with 0 of one GPU)");
}

/* Shares' GPU memory adds up per GPU: a second 3 GiB share does not fit
 * a 4 GiB GPU that has the share free, and the reason says so; pinned,
 * the same. Malformed shares are TS_EINVAL. */
static void test_gpu_share_memory(void **state)
{
    (void)state;
    ts_place_node ns[] = {node("e1", TS_PLACE_EDGE, 16000, 64 * GiB, 1)};
    ns[0].gpu_memory_bytes = 4 * GiB;
    ts_place_component cs[2] = {comp("a", CH, 1000, GiB, 0, -1),
                                comp("b", CH, 1000, GiB, 0, -1)};
    for (int i = 0; i < 2; i++) {
        cs[i].gpu_share_milli = 250;
        cs[i].gpu_memory_bytes = 3 * GiB;
    }
    ts_place_result r[2];
    ts_error err;
    assert_int_equal(ts_placement_compute(ns, 1, cs, 2, r, &err), TS_EINFEASIBLE);
    assert_string_equal(err.msg,
                        "component b: no edge node has 3GiB GPU memory on one "
                        "GPU free (needs 3GiB GPU memory on one GPU, 1000m "
                        "cpu, 1GiB memory, 0.25 of one GPU; largest free: e1 "
                        "with 1GiB GPU memory on one GPU)");
    cs[1].pin = 0;
    assert_int_equal(ts_placement_compute(ns, 1, cs, 2, r, &err), TS_EINFEASIBLE);
    /* the pin claims first, so a is the one left without memory */
    assert_string_equal(err.msg,
                        "component a: no edge node has 3GiB GPU memory on one "
                        "GPU free (needs 3GiB GPU memory on one GPU, 1000m "
                        "cpu, 1GiB memory, 0.25 of one GPU; largest free: e1 "
                        "with 1GiB GPU memory on one GPU)");
    cs[0].pin = 0;
    assert_int_equal(ts_placement_compute(ns, 1, cs, 2, r, &err), TS_EINFEASIBLE);
    assert_string_equal(err.msg,
                        "component b: pinned node e1 has only 1GiB GPU memory "
                        "on one GPU free (needs 3GiB GPU memory on one GPU)");
    cs[1].gpu_memory_bytes = GiB;
    assert_int_equal(ts_placement_compute(ns, 1, cs, 2, r, &err), TS_OK);
    assert_int_equal(r[1].gpu, 0);

    cs[1].gpu_share_milli = 1000;
    assert_int_equal(ts_placement_compute(ns, 1, cs, 2, r, &err), TS_EINVAL);
    assert_has(err.msg, "component b: a GPU share is 1..999 thousandths");
    cs[1].gpu_share_milli = 500;
    cs[1].gpus = 1;
    assert_int_equal(ts_placement_compute(ns, 1, cs, 2, r, &err), TS_EINVAL);
    cs[1].gpus = 0;
    cs[1].gpu_share_milli = -5;
    assert_int_equal(ts_placement_compute(ns, 1, cs, 2, r, &err), TS_EINVAL);
}

/* Malformed second-version fields are TS_EINVAL, before any fitting. */
static void test_invalid_relations(void **state)
{
    (void)state;
    ts_place_node ns[] = {node("r1", TS_PLACE_ROBOT, 4000, 8 * GiB, 0)};
    ts_place_result r[2];
    ts_error err;
    routes rt;
    routes_fill(&rt, 0);
    ts_place_options opts = {route_cb, &rt, NULL, NULL};
    ts_place_component cs[2];

    cs[0] = comp("a", 0, 1, 1, 0, -1);
    cs[1] = comp("b", 0, 1, 1, 0, -1);
    cs[1].backup_of = 1;
    assert_int_equal(ts_placement_compute(ns, 1, cs, 2, r, &err), TS_EINVAL);
    assert_has(err.msg, "component b: backup_of 1");
    cs[1].backup_of = 2;
    assert_int_equal(ts_placement_compute(ns, 1, cs, 2, r, &err), TS_EINVAL);
    cs[1].backup_of = -1;

    cs[1].replica_of = 5;
    assert_int_equal(ts_placement_compute(ns, 1, cs, 2, r, &err), TS_EINVAL);
    assert_has(err.msg, "replica_of 5");
    cs[1].replica_of = 1; /* itself: allowed, a group of one */
    assert_int_equal(ts_placement_compute(ns, 1, cs, 2, r, &err), TS_OK);
    cs[1].replica_of = -1;

    cs[1].isolation = (ts_place_isolation)7;
    assert_int_equal(ts_placement_compute(ns, 1, cs, 2, r, &err), TS_EINVAL);
    assert_has(err.msg, "isolation 7");
    cs[1].isolation = TS_PLACE_ISOLATION_NONE;

    cs[1].gpu_memory_bytes = GiB;
    assert_int_equal(ts_placement_compute(ns, 1, cs, 2, r, &err), TS_EINVAL);
    assert_has(err.msg, "GPU memory but no GPU");
    cs[1].gpu_memory_bytes = 0;

    ts_place_latency bad_pub[] = {{9, MS}}, neg[] = {{0, -1}},
                     self[] = {{1, 0}};
    cs[1].latency = bad_pub;
    cs[1].n_latency = 1;
    assert_int_equal(
        ts_placement_compute_ex(ns, 1, cs, 2, &opts, r, &err), TS_EINVAL);
    assert_has(err.msg, "publisher 9");
    cs[1].latency = neg;
    assert_int_equal(
        ts_placement_compute_ex(ns, 1, cs, 2, &opts, r, &err), TS_EINVAL);
    assert_has(err.msg, "negative latency budget from a");
    cs[1].latency = NULL;
    assert_int_equal(
        ts_placement_compute_ex(ns, 1, cs, 2, &opts, r, &err), TS_EINVAL);
    /* A budget on its own output always holds (same node, 0ns). */
    cs[1].latency = self;
    assert_int_equal(
        ts_placement_compute_ex(ns, 1, cs, 2, &opts, r, &err), TS_OK);
    cs[1].n_latency = 0;

    ns[0].reservable_cores = 0x10; /* core 4 of a 4-core node */
    assert_int_equal(ts_placement_compute(ns, 1, cs, 2, r, &err), TS_EINVAL);
    assert_has(err.msg, "node r1: reservable cores 0x10");
}

/* Every feature at once, twice, with different garbage in the outputs and
 * a route table whose answers do not depend on call order. */
static void test_deterministic_full(void **state)
{
    (void)state;
    ts_place_node ns[] = {
        node("r_rt", TS_PLACE_ROBOT, 4000, 8 * GiB, 0),
        node("r_main", TS_PLACE_ROBOT, 8000, 16 * GiB, 1),
        node("e1", TS_PLACE_EDGE, 16000, 64 * GiB, 2),
        node("e2", TS_PLACE_EDGE, 16000, 64 * GiB, 2),
        node("c1", TS_PLACE_CLOUD, 64000, 256 * GiB, 4),
    };
    ns[2].gpu_memory_bytes = ns[3].gpu_memory_bytes = 16 * GiB;
    ns[4].gpu_memory_bytes = 80 * GiB;
    routes rt;
    routes_fill(&rt, 30 * MS);
    routes_set(&rt, 0, 1, 100 * US);
    routes_set(&rt, 0, 2, 3 * MS);
    routes_set(&rt, 1, 2, 3 * MS);
    routes_set(&rt, 0, 3, 5 * MS);
    routes_set(&rt, 1, 3, 5 * MS);
    routes_set(&rt, 2, 3, 200 * US);
    ts_place_options opts = {route_cb, &rt, NULL, NULL};
    ts_place_latency to_vision[] = {{2, 60 * MS}}, to_det[] = {{4, 10 * MS}},
                     to_bal[] = {{0, MS}, {5, 50 * MS}};
    ts_place_component cs[] = {
        comp("control", RT | SC, 500, 64 * MiB, 0, -1),
        comp("balance", RT, 500, 128 * MiB, 0, -1),
        comp("camera", 0, 500, 256 * MiB, 0, 1),
        comp("monitor", SC, 250, 64 * MiB, 0, -1),
        comp("vision", CH, 4000, 8 * GiB, 1, -1),
        comp("detect", CH, 2000, 4 * GiB, 1, -1),
        comp("vision_b", CH, 4000, 8 * GiB, 1, -1),
        comp("telemetry", DP, 500, 512 * MiB, 0, -1),
        comp("api_0", 0, 1000, GiB, 0, -1),
        comp("api_1", 0, 1000, GiB, 0, -1),
        comp("vault", 0, 500, GiB, 0, -1),
    };
    cs[4].latency = to_vision;
    cs[4].n_latency = 1;
    cs[4].gpu_memory_bytes = 12 * GiB;
    cs[5].latency = to_det;
    cs[5].n_latency = 1;
    cs[1].latency = to_bal;
    cs[1].n_latency = 2;
    cs[6].backup_of = 4;
    cs[3].backup_of = 0;
    cs[3].core_redundancy = 1;
    cs[9].replica_of = 8;
    cs[10].isolation = TS_PLACE_ISOLATION_HIGHEST;
    enum { N = N_OF(cs) };
    ts_place_result a[N], b[N];
    ts_error err;
    memset(a, 0xAA, sizeof a);
    memset(b, 0x55, sizeof b);
    assert_int_equal(
        ts_placement_compute_ex(ns, 5, cs, N, &opts, a, &err), TS_OK);
    assert_int_equal(
        ts_placement_compute_ex(ns, 5, cs, N, &opts, b, &err), TS_OK);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(a[i].node, b[i].node);
        assert_int_equal(a[i].rule, b[i].rule);
        assert_int_equal(a[i].core_mask, b[i].core_mask);
        assert_int_equal(a[i].fell_back, b[i].fell_back);
        assert_string_equal(a[i].reason, b[i].reason);
    }
    /* Worked by hand. Pin: camera on r_main (7500m left). Node-isolated
     * first: vault takes the first empty robot node, r_rt, and its core
     * 3; nothing else may join it. Tier-locked next (robot totals 12000m,
     * 24GiB): control and monitor (one whole core each, share 1/12, input
     * order); balance waits for its publishers control and detect.
     * control -> r_main core 7; monitor -> r_main core 6 (core-level
     * with control: same node, other core). Then by share (edge totals
     * 32000m, 128GiB, 4 GPUs, 64GiB GPU memory): vision 1/4 (its GPU),
     * vision_b 1/4, detect 1/4 once vision is placed. vision -> e1 (3ms
     * from camera, budget 60ms); detect -> e1 (same node as vision, one
     * GPU left); balance (ready now) -> r_main (0 from control, 3ms from
     * detect); vision_b -> e2 (e1 hosts its primary, and has no GPU
     * left); api_0 -> r_main; api_1 shares r_main (r_rt is held);
     * telemetry -> c1. */
    static const int want[N] = {1, 1, 1, 1, 2, 2, 3, 4, 1, 1, 0};
    for (size_t i = 0; i < N; i++)
        assert_int_equal(a[i].node, want[i]);
    assert_int_equal(a[10].core_mask, 0x8);
    assert_int_equal(a[0].core_mask, 0x80);
    assert_int_equal(a[3].core_mask, 0x40);
    assert_has(a[9].reason, "shares with 1 replica of api_0");
    assert_has(a[6].reason, "apart from primary vision (e1)");
}

/* Usage per node, exact, and its one-line form. */
static void test_usage(void **state)
{
    (void)state;
    ts_place_node ns[] = {
        node("r1", TS_PLACE_ROBOT, 4000, 8 * GiB, 0),
        node("sw", TS_PLACE_NONE, 0, 0, 0),
        node("e1", TS_PLACE_EDGE, 16000, 64 * GiB, 2),
    };
    ns[2].gpu_memory_bytes = 16 * GiB;
    ts_place_component cs[] = {
        comp("ctrl", SC, 1500, 64 * MiB, 0, -1),   /* 2 cores: 2000m */
        comp("nav", 0, 700, 512 * MiB, 0, -1),
        comp("vision", CH, 4000, 6 * GiB, 1, -1),
        comp("vault", CH, 500, GiB, 0, -1),
    };
    cs[2].gpu_memory_bytes = 10 * GiB;
    cs[3].isolation = TS_PLACE_ISOLATION_NODE;
    ts_place_result r[4];
    ts_error err;
    ts_place_usage u[3];
    memset(u, 0x7F, sizeof u);

    ts_place_component cs3[] = {cs[0], cs[1], cs[2]};
    assert_int_equal(ts_placement_compute(ns, 3, cs3, 3, r, &err), TS_OK);
    assert_int_equal(r[0].node, 0);
    assert_int_equal(r[1].node, 0);
    assert_int_equal(r[2].node, 2);
    assert_int_equal(ts_placement_usage(ns, 3, cs3, 3, r, u, &err), TS_OK);
    assert_int_equal(u[0].cpu_used_millicores, 2700);
    assert_int_equal(u[0].cpu_capacity_millicores, 4000);
    assert_int_equal(u[0].memory_used_bytes, 576 * MiB);
    assert_int_equal(u[0].memory_capacity_bytes, 8 * GiB);
    assert_int_equal(u[0].gpus_used, 0);
    assert_int_equal(u[0].reserved_cores, 0xC);
    assert_int_equal(u[0].components, 2);
    assert_int_equal(u[0].exclusive, 0);
    assert_int_equal(u[1].components, 0);
    assert_int_equal(u[1].cpu_capacity_millicores, 0);
    assert_int_equal(u[2].cpu_used_millicores, 4000);
    assert_int_equal(u[2].memory_used_bytes, 6 * GiB);
    assert_int_equal(u[2].gpus_used, 1);
    assert_int_equal(u[2].gpus_capacity, 2);
    assert_int_equal(u[2].gpu_memory_used_bytes, 10 * GiB);
    assert_int_equal(u[2].gpu_memory_capacity_bytes, 32 * GiB);
    assert_int_equal(u[2].reserved_cores, 0);

    char line[160];
    ts_place_usage_format(&u[0], line, sizeof line);
    assert_string_equal(line, "cpu 2700m/4000m, mem 576MiB/8GiB, reserved "
                              "cores 2-3");
    ts_place_usage_format(&u[2], line, sizeof line);
    assert_string_equal(line, "cpu 4000m/16000m, mem 6GiB/64GiB, gpu 1/2, "
                              "gpu mem 10GiB/32GiB");
    ts_place_usage_format(&u[1], line, 8);
    assert_string_equal(line, "cpu 0m/");

    /* Node-isolated: marked exclusive. */
    ts_place_component iso[] = {cs[3]};
    assert_int_equal(ts_placement_compute(ns, 3, iso, 1, r, &err), TS_OK);
    assert_int_equal(ts_placement_usage(ns, 3, iso, 1, r, u, &err), TS_OK);
    assert_int_equal(u[2].exclusive, 1);
    ts_place_usage_format(&u[2], line, sizeof line);
    assert_string_equal(line, "cpu 500m/16000m, mem 1GiB/64GiB, gpu 0/2, "
                              "gpu mem 0B/32GiB, exclusive");

    /* A result without a node is refused. */
    r[0].node = -1;
    assert_int_equal(ts_placement_usage(ns, 3, iso, 1, r, u, &err),
                     TS_EINVAL);
    assert_has(err.msg, "component vault");
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
        cmocka_unit_test(test_component_init),
        cmocka_unit_test(test_safety_reserved_cores),
        cmocka_unit_test(test_reservable_cores),
        cmocka_unit_test(test_isolation_levels),
        cmocka_unit_test(test_isolation_infeasible),
        cmocka_unit_test(test_primary_backup),
        cmocka_unit_test(test_core_level_redundancy),
        cmocka_unit_test(test_replica_spread),
        cmocka_unit_test(test_latency_nearer_node),
        cmocka_unit_test(test_latency_publisher_side),
        cmocka_unit_test(test_publishers_first),
        cmocka_unit_test(test_fallback_with_reason),
        cmocka_unit_test(test_infeasible_mixed_kinds),
        cmocka_unit_test(test_error_list_capped),
        cmocka_unit_test(test_gpu_memory),
        cmocka_unit_test(test_invalid_relations),
        cmocka_unit_test(test_deterministic_full),
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_gpu_shares_pack),
        cmocka_unit_test(test_gpu_share_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
