/*
 * Placement: which node runs each component, and why. Tier rules first,
 * then a resource fit; pins override. Pure code over plain descriptions.
 */
#ifndef TOPOSIM_DEPLOY_PLACEMENT_H
#define TOPOSIM_DEPLOY_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "toposim/error.h"

/* The tier a node belongs to; same order as the scenario's tiers. */
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

typedef struct ts_place_node {
    const char *id;
    ts_place_tier tier;
    int64_t cpu_millicores;   /* capacity: cores * 1000 */
    int64_t memory_bytes;
    int gpus;
} ts_place_node;

typedef struct ts_place_component {
    const char *id;
    uint32_t flags;           /* TS_PLACE_* */
    int64_t cpu_millicores;   /* demand */
    int64_t memory_bytes;
    int gpus;
    int pin;                  /* node index, or -1 */
} ts_place_component;

/* Which rule chose the tier (or the node, for a pin). */
typedef enum {
    TS_RULE_PIN = 0,
    TS_RULE_REAL_TIME_CRITICAL = 1,
    TS_RULE_COMPUTATION_HEAVY = 2,
    TS_RULE_DATA_PROCESSING = 3,
    TS_RULE_DEFAULT_ROBOT = 4
} ts_place_rule;

typedef struct ts_place_result {
    int node;                 /* chosen node index */
    ts_place_rule rule;
    char reason[192];         /* e.g. "real-time-critical -> robot; fits
                                 h1_rt: cpu 500m of 3500m free" */
} ts_place_result;

/* Places every component: tier rule (real-time-critical -> robot,
 * computation-heavy -> edge, data-processing -> cloud, else robot; a pin
 * overrides), then fits cpu, memory and GPU demand into that tier's nodes.
 * Fills results[0..n_components). Deterministic for the same input order.
 * Returns TS_OK, or TS_EINFEASIBLE with err naming the component and the
 * binding resource, or TS_EINVAL for a bad pin index. Allocates nothing
 * the caller must free. */
int ts_placement_compute(const ts_place_node *nodes, size_t n_nodes,
                         const ts_place_component *components,
                         size_t n_components, ts_place_result *results,
                         ts_error *err);

/* Static name of a rule ("pin", "real-time-critical", ...). */
const char *ts_place_rule_name(ts_place_rule rule);

#endif
