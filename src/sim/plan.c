/*
 * Plan: hands the scenario's nodes and components to the deployment code's
 * placement (as plain descriptions; the deployment code never sees the
 * scenario) and checks that every topic has a route from its publisher's
 * node to each subscriber's node.
 */
#include "toposim/world.h"

#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"
#include "toposim/platform.h"

static ts_place_tier place_tier(ts_tier tier)
{
    switch (tier) {
    case TS_TIER_ROBOT: return TS_PLACE_ROBOT;
    case TS_TIER_EDGE: return TS_PLACE_EDGE;
    case TS_TIER_CLOUD: return TS_PLACE_CLOUD;
    default: return TS_PLACE_NONE;
    }
}

/* Route check: every publisher -> subscriber pair must be connected. */
static int check_topic_routes(const ts_scenario *s, const ts_plan *plan,
                              ts_error *err)
{
    ts_net_link_desc *links = ts_malloc((s->n_links ? s->n_links : 1) * sizeof *links);
    if (!links)
        return ts_error_set(err, TS_ENOMEM, s->path, 0, "no memory for routes");
    for (size_t i = 0; i < s->n_links; i++)
        links[i] = (ts_net_link_desc){.a = s->links[i].a,
                                      .b = s->links[i].b,
                                      .latency_ns = s->links[i].latency_ns,
                                      .bandwidth_bps = s->links[i].bandwidth_bps,
                                      .queue_bytes = s->links[i].queue_bytes};
    ts_routes *routes = NULL;
    int rc = ts_routes_new(s->n_nodes, links, s->n_links, &routes, err);
    ts_free(links);
    if (rc != TS_OK)
        return rc;
    for (size_t t = 0; t < s->n_topics && rc == TS_OK; t++) {
        const ts_scenario_topic *tp = &s->topics[t];
        int from = plan->placement[tp->publisher].node;
        for (size_t k = 0; k < tp->n_subscribers; k++) {
            int sub = tp->subscribers[k];
            int to = plan->placement[sub].node;
            if (ts_routes_hops(routes, from, to) < 0) {
                rc = ts_error_set(err, TS_EINFEASIBLE, s->path, tp->line,
                                  "topic %s: no route from node %s (publisher %s) "
                                  "to node %s (subscriber %s)",
                                  tp->id, s->nodes[from].id,
                                  s->components[tp->publisher].id,
                                  s->nodes[to].id, s->components[sub].id);
                break;
            }
        }
    }
    ts_routes_free(routes);
    return rc;
}

int ts_plan_new(const ts_scenario *s, ts_plan **out, ts_error *err)
{
    *out = NULL;
    size_t nn = s->n_nodes ? s->n_nodes : 1, nc = s->n_components ? s->n_components : 1;
    ts_place_node *nodes = ts_malloc(nn * sizeof *nodes);
    ts_place_component *comps = ts_malloc(nc * sizeof *comps);
    ts_plan *plan = ts_calloc(1, sizeof *plan);
    if (plan)
        plan->placement = ts_calloc(nc, sizeof *plan->placement);
    if (!nodes || !comps || !plan || !plan->placement) {
        ts_free(nodes);
        ts_free(comps);
        ts_plan_free(plan);
        return ts_error_set(err, TS_ENOMEM, s->path, 0, "no memory for the plan");
    }
    plan->n_components = s->n_components;
    for (size_t i = 0; i < s->n_nodes; i++) {
        const ts_scenario_node *n = &s->nodes[i];
        nodes[i] = (ts_place_node){n->id, place_tier(n->tier),
                                   (int64_t)n->cores * 1000, n->memory_bytes, n->gpus};
    }
    for (size_t i = 0; i < s->n_components; i++) {
        const ts_scenario_component *c = &s->components[i];
        comps[i] = (ts_place_component){c->id, c->flags, c->cpu_millicores,
                                        c->memory_bytes, c->gpus, c->pin};
    }
    int rc = ts_placement_compute(nodes, s->n_nodes, comps, s->n_components,
                                  plan->placement, err);
    if (rc != TS_OK) {
        /* Point the placement's message at the scenario: which file, and the
         * line of the component it names when it names one. */
        int line = 0;
        for (size_t i = 0; i < s->n_components && err; i++) {
            size_t len = strlen(s->components[i].id);
            const char *hit = strstr(err->msg, s->components[i].id);
            if (hit && (hit[len] == ':' || hit[len] == ' ' || hit[len] == '\0') &&
                (hit == err->msg || hit[-1] == ' ')) {
                line = s->components[i].line;
                break;
            }
        }
        if (err) {
            snprintf(err->file, sizeof err->file, "%s", s->path);
            err->line = line;
        }
    } else {
        rc = check_topic_routes(s, plan, err);
    }
    ts_free(nodes);
    ts_free(comps);
    if (rc != TS_OK) {
        ts_plan_free(plan);
        return rc;
    }
    *out = plan;
    return TS_OK;
}

void ts_plan_free(ts_plan *plan)
{
    if (!plan)
        return;
    ts_free(plan->placement);
    ts_free(plan);
}
