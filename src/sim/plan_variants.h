/*
 * Plan's model variants: which build of its network each component with
 * model= runs on the node placement chose (plan_variants.c).
 */
#ifndef TOPOSIM_SIM_PLAN_VARIANTS_H
#define TOPOSIM_SIM_PLAN_VARIANTS_H

#include "toposim/deploy_variant.h"
#include "toposim/world.h"

/* Longest variant explanation kept per component. */
#define TS_PLAN_VARIANT_REASON 384

/* After placement and pack: fills plan->variants (left NULL when s names
 * no model) and puts each choice's reason in front of the placement's.
 * TS_OK; TS_EINFEASIBLE naming the component when no variant meets its
 * deadline on its node (none pinned) or its pinned variant cannot run
 * there; TS_ENOMEM. */
/* Component c's variants as they would run on node `node` (the
 * placement's ts_place_variants_fn, ctx the scenario): each one's
 * response-time estimate there (< 0 without figures for the node's
 * hardware model), power, accuracy and memory. */
void ts__plan_variant_options(void *ctx, int c, int node, ts_variant_option *out);

/* The memory of the variant plan chose for component c (0: none). */
int64_t ts__plan_variant_memory(const ts_scenario *s, const ts_plan *plan, size_t c);

int ts__plan_variants(const ts_scenario *s, ts_plan *plan, ts_error *err);

#endif
