/*
 * Placement: which node runs each component, which cores it reserves, and
 * why. Tier rules pick a preferred tier (a pin overrides them); a
 * resource-aware first-fit-decreasing packing over cpu, memory, GPUs,
 * per-GPU memory and shares of time-sliced GPUs then picks the node, honouring reserved cores for
 * safety-critical components, isolation levels, primary/backup
 * anti-affinity, replica spread and per-topic latency budgets, and falling
 * back outward (robot -> edge -> cloud) when a tier is full and timing
 * allows. A component with model variants (deploy_variant.h) takes, on
 * each candidate node, the variant the variant rule picks there; a node
 * where none meets its deadline is no candidate, and the chosen one's
 * memory is packed with the component's. Pure code over plain
 * descriptions: routes and variant figures are seen only through the
 * caller's callbacks, so the same code places a real fleet.
 */
#ifndef TOPOSIM_DEPLOY_PLACEMENT_H
#define TOPOSIM_DEPLOY_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "toposim/deploy_variant.h"
#include "toposim/error.h"

/* The tier a node belongs to; same order as the scenario's tiers, and the
 * order of fallback (outward). */
typedef enum {
    TS_PLACE_ROBOT = 0,
    TS_PLACE_EDGE = 1,
    TS_PLACE_CLOUD = 2,
    TS_PLACE_NONE = 3       /* network-only node: never hosts components */
} ts_place_tier;

/* Component traits that drive the tier rules (same bits as the scenario's
 * TS_FLAG_* values). */
#define TS_PLACE_REAL_TIME_CRITICAL 0x1u
#define TS_PLACE_COMPUTATION_HEAVY 0x2u
#define TS_PLACE_DATA_PROCESSING 0x4u
#define TS_PLACE_SAFETY_CRITICAL 0x8u

/* How much of a node a component keeps to itself (same values as the
 * scenario's ts_isolation). */
typedef enum {
    TS_PLACE_ISOLATION_NONE = 0,
    TS_PLACE_ISOLATION_CORE = 1,    /* reserved cores of its own */
    TS_PLACE_ISOLATION_NODE = 2,    /* a node of its own */
    TS_PLACE_ISOLATION_HIGHEST = 3  /* a node of its own and reserved cores */
} ts_place_isolation;

typedef struct ts_place_node {
    const char *id;
    ts_place_tier tier;
    int64_t cpu_millicores;   /* capacity: cores * 1000; whole cores
                                 (at most 64) are what can be reserved */
    int64_t memory_bytes;
    int gpus;
    /* Added with the second version; zero keeps the first version's
     * behaviour. */
    int64_t gpu_memory_bytes; /* of each GPU */
    uint64_t reservable_cores;/* bit i: core i may be reserved; 0: every
                                 whole core of the node */
} ts_place_node;

/* One latency budget of a consumer: the route latency alone from the
 * publisher's node to the consumer's node must not exceed budget_ns. */
typedef struct ts_place_latency {
    int publisher;            /* component index */
    int64_t budget_ns;        /* >= 0 */
} ts_place_latency;

typedef struct ts_place_component {
    const char *id;
    uint32_t flags;           /* TS_PLACE_* */
    int64_t cpu_millicores;   /* demand */
    int64_t memory_bytes;
    int gpus;                 /* whole GPUs, not shared */
    int pin;                  /* node index, or -1 */
    /* Added with the second version. Index fields use -1 for "none", so
     * start from ts_place_component_init rather than from zeros. */
    int64_t gpu_memory_bytes; /* needed on each of its GPUs */
    ts_place_isolation isolation;
    int backup_of;            /* primary's component index, or -1 */
    int core_redundancy;      /* with its primary (either side may set it):
                                 may share a node, never a core; both then
                                 reserve cores */
    int replica_of;           /* another replica of the same service
                                 (usually the first), or -1 */
    const ts_place_latency *latency; /* borrowed; n_latency entries */
    size_t n_latency;
    /* Added with the third version; zero keeps the second's behaviour. */
    int gpu_share_milli;      /* a share of one GPU in thousandths
                                 (1..999), time-sliced with the others
                                 on that GPU; gpus must then be 0, and
                                 gpu_memory_bytes is its own on that GPU */
    /* Added with the fourth version: model variants (deploy_variant.h).
     * With n_variants > 0 a node is a candidate only when the variant
     * rule chooses one there (the pinned one when it can run there, else
     * one that meets deadline_ns), and the chosen one's memory counts on
     * top of memory_bytes (and of gpu_memory_bytes on a node that
     * declares GPU memory). A component pinned to a node keeps it even
     * when no variant meets there: the caller refuses with the figures. */
    size_t n_variants;        /* 0: no variants (at most TS_VARIANT_MAX) */
    int pinned_variant;       /* the variant pinned, or -1 */
    int64_t deadline_ns;      /* what a chosen variant must meet */
} ts_place_component;

/* Which rule chose the tier (or the node, for a pin). */
typedef enum {
    TS_RULE_PIN = 0,
    TS_RULE_REAL_TIME_CRITICAL = 1,
    TS_RULE_COMPUTATION_HEAVY = 2,
    TS_RULE_DATA_PROCESSING = 3,
    TS_RULE_DEFAULT_ROBOT = 4,
    TS_RULE_SAFETY_CRITICAL = 5
} ts_place_rule;

typedef struct ts_place_result {
    int node;                 /* chosen node index */
    ts_place_rule rule;
    char reason[192];         /* e.g. "real-time-critical -> robot; first
                                 fit h1_rt (cpu 500m of 3500m free, ...)" */
    /* Added with the second version. */
    uint64_t core_mask;       /* cores reserved on the node (bit i = core
                                 i); the runtime pins it there and runs
                                 nothing else on them. 0: no reservation */
    int fell_back;            /* tiers moved outward from the rule's tier */
    /* Added with the third version. */
    int gpu;                  /* a shared component: the node's GPU (from
                                 0) it time-slices; -1 otherwise */
    /* Added with the fourth version. */
    int variant;              /* the variant chosen on its node, or -1 */
    int64_t variant_memory_bytes; /* that variant's memory, counted there */
} ts_place_result;

/* Route latency alone (propagation, no queueing) from one node to another,
 * in ns, or -1 when no route exists. Never asked for from == to (that is
 * 0). Must answer the same for the same arguments during one call. */
typedef int64_t (*ts_place_route_fn)(void *ctx, int from_node, int to_node);

/* Component `component`'s variants as they would run on node `node`:
 * fills out[0..n_variants) (response_ns < 0 where one cannot run). Must
 * answer the same for the same arguments during one call. */
typedef void (*ts_place_variants_fn)(void *ctx, int component, int node,
                                     ts_variant_option *out);

typedef struct ts_place_options {
    ts_place_route_fn route_latency; /* NULL: no latency budget may be given */
    void *route_ctx;
    ts_place_variants_fn variants;   /* NULL: no component may have variants */
    void *variants_ctx;
} ts_place_options;

/* Per-node usage after a placement, as `toposim plan` prints it. */
typedef struct ts_place_usage {
    int64_t cpu_used_millicores;    /* reserved cores count 1000m each */
    int64_t cpu_capacity_millicores;
    int64_t memory_used_bytes;
    int64_t memory_capacity_bytes;
    int gpus_used;                  /* whole GPUs */
    int gpus_capacity;
    int64_t gpu_share_used_milli;   /* shares of time-sliced GPUs summed,
                                       in thousandths of a GPU */
    int64_t gpu_memory_used_bytes;  /* summed over its GPUs */
    int64_t gpu_memory_capacity_bytes;
    uint64_t reserved_cores;        /* union of its components' core masks */
    int components;                 /* how many are placed on it */
    int exclusive;                  /* 1: held by a node-isolated component */
} ts_place_usage;

/* A component description with no flags, demands or relations: pin,
 * backup_of and replica_of -1, everything else zero. */
void ts_place_component_init(ts_place_component *c, const char *id);

/* ts_placement_compute_ex without routes: any latency budget is TS_EINVAL. */
int ts_placement_compute(const ts_place_node *nodes, size_t n_nodes,
                         const ts_place_component *components,
                         size_t n_components, ts_place_result *results,
                         ts_error *err);

/* Places every component and fills results[0..n_components) (node -1 for
 * those left unplaced on failure).
 *
 * Tier rule: real-time-critical or safety-critical -> robot,
 * computation-heavy -> edge, data-processing -> cloud, else robot (in that
 * precedence); a pin chooses the node outright but is still checked
 * against resources, isolation, anti-affinity and latency budgets.
 * Reserved cores: safety-critical components, isolation core/highest and
 * both sides of a core-level redundancy pair take max(1, ceil(cpu/1000))
 * whole cores from the node's reservable cores, highest index first.
 * Isolation node/highest: only onto an empty node, and nothing joins it.
 * A backup never shares a node with its primary unless core_redundancy.
 * GPUs: a whole request takes GPUs no share is on, and its GPU memory
 * must fit each; a share goes to one GPU no whole request holds, whose
 * shares stay within one GPU and whose shares' GPU memory within the
 * GPU's: the fitting GPU with the least share free (lowest index on
 * ties), so shares pack and whole GPUs stay free.
 * A replica goes to a node with no replica of its group when one fits,
 * else to the one with fewest (said in the reason). A latency budget
 * excludes nodes whose route latency from the publisher's node (or, when
 * placing a publisher, to a consumer already placed) exceeds it.
 * Order: pins (input order), then the rest by list scheduling: a component
 * whose publishers are all placed goes before one still waiting (cycles
 * broken by rank); rank is node-isolated first, then tier-locked
 * (real-time-/safety-critical), then larger dominant share over its tier's
 * cpu, memory, GPUs and GPU memory, then input index. Within a tier the
 * first node in input order that passes wins. A full tier falls back
 * outward except for real-time-/safety-critical components.
 * Returns TS_OK; TS_EINFEASIBLE with err naming the component and the
 * binding constraint (a resource, isolation, anti-affinity, latency budget
 * or tier); TS_EINVAL for a malformed description; TS_ENOMEM. opts may be
 * NULL. Deterministic; allocates nothing the caller must free. */
int ts_placement_compute_ex(const ts_place_node *nodes, size_t n_nodes,
                            const ts_place_component *components,
                            size_t n_components, const ts_place_options *opts,
                            ts_place_result *results, ts_error *err);

/* Fills usage[0..n_nodes) from a successful placement's results.
 * Returns TS_OK, or TS_EINVAL when a result names no valid node. */
int ts_placement_usage(const ts_place_node *nodes, size_t n_nodes,
                       const ts_place_component *components,
                       size_t n_components, const ts_place_result *results,
                       ts_place_usage *usage, ts_error *err);

/* Writes one node's usage as "cpu 2500m/4000m, mem 1.5GiB/8GiB[, gpu 1/2
 * or, with shares, gpu 1.75/2]
 * [, gpu mem 8GiB/16GiB][, reserved cores 2-3][, exclusive]" into buf
 * (always NUL-terminated when size > 0). */
void ts_place_usage_format(const ts_place_usage *usage, char *buf,
                           size_t size);

/* Static name of a rule ("pin", "real-time-critical", ...). */
const char *ts_place_rule_name(ts_place_rule rule);

#endif
