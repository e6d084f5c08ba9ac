/*
 * Plan's model variants: which build of its network each component with
 * model= runs on the node placement chose (plan_variants.c).
 */
#ifndef TOPOSIM_SIM_PLAN_VARIANTS_H
#define TOPOSIM_SIM_PLAN_VARIANTS_H

#include "toposim/world.h"

/* Longest variant explanation kept per component. */
#define TS_PLAN_VARIANT_REASON 384

/* After placement and pack: fills plan->variants (left NULL when s names
 * no model) and puts each choice's reason in front of the placement's.
 * TS_OK; TS_EINFEASIBLE naming the component when no variant meets its
 * deadline on its node (none pinned) or its pinned variant cannot run
 * there; TS_ENOMEM. */
int ts__plan_variants(const ts_scenario *s, ts_plan *plan, ts_error *err);

#endif
