/*
 * Plan: hands the scenario's nodes and components to the deployment code's
 * placement (as plain descriptions; the deployment code never sees the
 * scenario) and checks that every topic has a route from its publisher's
 * node to each subscriber's node.
 */
#include "toposim/world.h"

#include "plan_variants.h"

#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"
#include "toposim/dynamics.h"
#include "toposim/platform.h"
#include "toposim/topology.h"

static ts_place_tier place_tier(ts_tier tier)
{
    switch (tier) {
    case TS_TIER_ROBOT: return TS_PLACE_ROBOT;
    case TS_TIER_EDGE: return TS_PLACE_EDGE;
    case TS_TIER_CLOUD: return TS_PLACE_CLOUD;
    default: return TS_PLACE_NONE;
    }
}

static ts_net_link_desc *link_descs(const ts_scenario *s)
{
    ts_net_link_desc *links = ts_calloc(s->n_links ? s->n_links : 1, sizeof *links);
    if (!links)
        return NULL;
    for (size_t i = 0; i < s->n_links; i++)
        links[i] = (ts_net_link_desc){.a = s->links[i].a,
                                      .b = s->links[i].b,
                                      .latency_ns = s->links[i].latency_ns,
                                      .bandwidth_bps = s->links[i].bandwidth_bps,
                                      .queue_bytes = s->links[i].queue_bytes};
    return links;
}

/* The placement asks route latencies through this: the deployment code
 * never sees routes itself. */
static int64_t route_latency(void *ctx, int from, int to)
{
    return ts_routes_latency(ctx, from, to);
}

/* The topology of the scenario: each node in its site's zone where the
 * site qualifies (topology.h). */
static int build_topology(const ts_scenario *s, const ts_net_link_desc *links,
                          ts_topology **out, ts_error *err)
{
    int *site = ts_malloc((s->n_nodes ? s->n_nodes : 1) * sizeof *site);
    if (!site)
        return ts_error_set(err, TS_ENOMEM, s->path, 0, "no memory for the topology");
    for (size_t i = 0; i < s->n_nodes; i++)
        site[i] = s->nodes[i].site;
    int rc = ts_topology_new(s->n_nodes, site, links, s->n_links, out, err);
    ts_free(site);
    return rc;
}

/* Route check: every publisher -> subscriber pair must be connected. */
static int check_topic_routes(const ts_scenario *s, const ts_plan *plan,
                              const ts_routes *routes, ts_error *err)
{
    for (size_t t = 0; t < s->n_topics; t++) {
        const ts_scenario_topic *tp = &s->topics[t];
        int from = plan->node_of[tp->publisher];
        for (size_t k = 0; k < tp->n_subscribers; k++) {
            int sub = tp->subscribers[k];
            int to = plan->node_of[sub];
            if (ts_routes_hops(routes, from, to) < 0)
                return ts_error_set(err, TS_EINFEASIBLE, s->path, tp->line,
                                    "topic %s: no route from node %s (publisher %s) "
                                    "to node %s (subscriber %s)",
                                    tp->id, s->nodes[from].id,
                                    s->components[tp->publisher].id,
                                    s->nodes[to].id, s->components[sub].id);
        }
    }
    return TS_OK;
}

/* Each subscriber's latency budgets: (publisher, budget) for every topic
 * with a budget it subscribes to, in topic order (then subscriber order):
 * counted, then filled, in one pass over the topics each. */
static ts_place_latency *latency_lists(const ts_scenario *s, size_t *first, size_t *count)
{
    size_t total = 0;
    for (size_t t = 0; t < s->n_topics; t++) {
        const ts_scenario_topic *tp = &s->topics[t];
        if (tp->budget_ns <= 0)
            continue;
        for (size_t k = 0; k < tp->n_subscribers; k++)
            if (tp->subscribers[k] != tp->publisher) {
                count[tp->subscribers[k]]++;
                total++;
            }
    }
    ts_place_latency *all = ts_calloc(total ? total : 1, sizeof *all);
    if (!all)
        return NULL;
    size_t at = 0;
    for (size_t c = 0; c < s->n_components; c++) {
        first[c] = at;
        at += count[c];
        count[c] = 0;
    }
    for (size_t t = 0; t < s->n_topics; t++) {
        const ts_scenario_topic *tp = &s->topics[t];
        if (tp->budget_ns <= 0)
            continue;
        for (size_t k = 0; k < tp->n_subscribers; k++) {
            int c = tp->subscribers[k];
            if (c != tp->publisher)
                all[first[c] + count[c]++] = (ts_place_latency){tp->publisher, tp->budget_ns};
        }
    }
    return all;
}

/* The plan's entries from the deployment code's results: each reason
 * copied at its own length into one block. TS_OK or TS_ENOMEM. */
static int pack_results(ts_plan *plan, const ts_place_result *results, size_t n)
{
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += strnlen(results[i].reason, sizeof results[i].reason - 1) + 1;
    plan->placement = ts_calloc(n ? n : 1, sizeof *plan->placement);
    plan->reasons = ts_malloc(total);
    if (!plan->placement || !plan->reasons)
        return TS_ENOMEM;
    char *at = plan->reasons;
    for (size_t i = 0; i < n; i++) {
        const ts_place_result *r = &results[i];
        size_t len = strnlen(r->reason, sizeof r->reason - 1);
        memcpy(at, r->reason, len);
        at[len] = '\0';
        plan->placement[i] = (ts_plan_place){.node = r->node,
                                             .rule = r->rule,
                                             .fell_back = r->fell_back,
                                             .shared_gpu = r->gpu >= 0 && r->gpu < UINT16_MAX
                                                               ? (uint16_t)(r->gpu + 1) : 0,
                                             .core_mask = r->core_mask,
                                             .reason = at};
        at += len + 1;
    }
    return TS_OK;
}

/* What a node offers the placement in the power mode it starts in: the
 * mode's online cores only (nvpmodel takes the others offline, so they can
 * be neither used nor reserved). The caps are the dynamics model's own
 * rule (ts_power_mode_caps), so plan and run agree. The mode's clock cap
 * is not folded in: cpu= requests are whole or milli cores, as Kubernetes
 * requests are, and reserved cores count whole; a lower clock shows as
 * longer jobs in the run. A node without power modes offers all its
 * cores. */
static void node_capacity(const ts_scenario_node *n, ts_place_node *out)
{
    out->cpu_millicores = (int64_t)n->cores * 1000;
    if (!n->has_power || n->power->initial_mode < 0 ||
        (size_t)n->power->initial_mode >= n->power->n_modes)
        return;
    const ts_scenario_power_mode *sm = &n->power->modes[n->power->initial_mode];
    ts_power_mode mode = {sm->name, sm->online_cores, sm->cpu_max_hz, sm->gpu_max_hz,
                          sm->budget_w, sm->oc_limit_w, sm->oc_release_w};
    ts_power_desc d = {.cpu_ref_hz = n->power->cpu_ref_hz,
                       .gpu_ref_hz = n->power->gpu_ref_hz,
                       .modes = &mode,
                       .n_modes = 1,
                       .initial_mode = 0};
    ts_power_caps caps;
    ts_power_mode_caps(&d, 0, n->cores, &caps);
    if (caps.online_cores >= n->cores)
        return;
    out->cpu_millicores = (int64_t)caps.online_cores * 1000;
    if (caps.online_cores < 64)
        out->reservable_cores = (UINT64_C(1) << caps.online_cores) - 1;
}

/* The deployment code's view of the scenario's nodes and components (the
 * latency lists are the caller's). */
static void place_nodes(const ts_scenario *s, ts_place_node *nodes)
{
    for (size_t i = 0; i < s->n_nodes; i++) {
        const ts_scenario_node *n = &s->nodes[i];
        nodes[i] = (ts_place_node){.id = n->id,
                                   .tier = place_tier(n->tier),
                                   .memory_bytes = n->memory_bytes,
                                   .gpus = n->gpus,
                                   .gpu_memory_bytes = n->gpu_memory_bytes};
        node_capacity(n, &nodes[i]);
    }
}

static void place_components(const ts_scenario *s, ts_place_component *comps)
{
    for (size_t i = 0; i < s->n_components; i++) {
        const ts_scenario_component *c = &s->components[i];
        ts_place_component *pc = &comps[i];
        ts_place_component_init(pc, c->id);
        pc->flags = c->shared->flags;
        pc->cpu_millicores = c->shared->cpu_millicores;
        pc->memory_bytes = c->shared->memory_bytes;
        pc->gpus = c->shared->gpus;
        pc->gpu_share_milli = c->shared->gpu_share_milli;
        pc->gpu_memory_bytes = c->shared->gpu_memory_bytes;
        pc->pin = c->pin;
        pc->isolation = (ts_place_isolation)c->shared->isolation;
        pc->backup_of = c->backup_of;
        pc->core_redundancy = c->shared->core_redundancy;
        pc->replica_of = c->replica_of;
        if (c->shared->dnn) {
            pc->n_variants = s->dnns[c->shared->dnn - 1].n_variants;
            pc->pinned_variant = (int)c->shared->dnn_variant - 1;
            pc->deadline_ns = c->shared->deadline_ns;
        }
    }
}

int ts_plan_usage(const ts_scenario *s, const ts_plan *plan, ts_place_usage *usage,
                  ts_error *err)
{
    size_t nn = s->n_nodes ? s->n_nodes : 1, nc = s->n_components ? s->n_components : 1;
    ts_place_node *nodes = ts_calloc(nn, sizeof *nodes);
    ts_place_component *comps = ts_calloc(nc, sizeof *comps);
    ts_place_result *results = ts_calloc(nc, sizeof *results);
    int rc;
    if (!nodes || !comps || !results) {
        rc = ts_error_set(err, TS_ENOMEM, s->path, 0, "no memory for the plan's use");
    } else {
        place_nodes(s, nodes);
        place_components(s, comps);
        for (size_t i = 0; i < s->n_components; i++) {
            results[i].node = plan->placement[i].node;
            results[i].rule = plan->placement[i].rule;
            results[i].core_mask = plan->placement[i].core_mask;
            results[i].fell_back = plan->placement[i].fell_back;
            results[i].variant_memory_bytes = ts__plan_variant_memory(s, plan, i);
        }
        rc = ts_placement_usage(nodes, s->n_nodes, comps, s->n_components, results,
                                usage, err);
    }
    ts_free(nodes);
    ts_free(comps);
    ts_free(results);
    return rc;
}

int ts_plan_new(const ts_scenario *s, ts_plan **out, ts_error *err)
{
    *out = NULL;
    size_t nn = s->n_nodes ? s->n_nodes : 1, nc = s->n_components ? s->n_components : 1;
    ts_place_node *nodes = ts_calloc(nn, sizeof *nodes);
    ts_place_component *comps = ts_calloc(nc, sizeof *comps);
    size_t *lat_first = ts_calloc(nc, sizeof *lat_first);
    size_t *lat_count = ts_calloc(nc, sizeof *lat_count);
    ts_place_latency *lat = lat_first && lat_count ? latency_lists(s, lat_first, lat_count) : NULL;
    ts_net_link_desc *links = link_descs(s);
    /* The deployment code's results, with their fixed-size reasons, live
     * only until they are packed into the plan below. */
    ts_place_result *results = ts_calloc(nc, sizeof *results);
    ts_plan *plan = ts_calloc(1, sizeof *plan);
    if (plan)
        plan->node_of = ts_calloc(nc, sizeof *plan->node_of);
    ts_routes *routes = NULL;
    int rc = TS_OK;
    if (!nodes || !comps || !lat_first || !lat_count || !lat || !links || !results ||
        !plan || !plan->node_of) {
        rc = ts_error_set(err, TS_ENOMEM, s->path, 0, "no memory for the plan");
        goto out;
    }
    plan->n_components = s->n_components;
    plan->n_nodes = s->n_nodes;
    /* The placement weighs links by their own latency (a medium's is not
     * counted here, as before the topology was shared). */
    if ((rc = build_topology(s, links, &plan->topology, err)) != TS_OK ||
        (rc = ts_routes_new_on(plan->topology, NULL, &routes, err)) != TS_OK)
        goto out;
    place_nodes(s, nodes);
    place_components(s, comps);
    for (size_t i = 0; i < s->n_components; i++) {
        comps[i].latency = &lat[lat_first[i]];
        comps[i].n_latency = lat_count[i];
    }
    /* Variants are chosen per candidate node by the placement itself
     * (a node where none meets the deadline is no candidate), from the
     * figures plan_variants.c reads off the scenario. */
    ts_place_options opts = {route_latency, routes, ts__plan_variant_options, (void *)s};
    rc = ts_placement_compute_ex(nodes, s->n_nodes, comps, s->n_components, &opts,
                                 results, err);
    /* A route the placement could not compute for want of memory looked
     * unreachable to it: that is no verdict on the scenario. */
    if (rc != TS_OK && ts_routes_out_of_memory(routes)) {
        rc = ts_error_set(err, TS_ENOMEM, s->path, 0, "no memory for routes");
        goto out;
    }
    if (rc != TS_OK) {
        /* Point the placement's message at the scenario: which file, and the
         * line of the component it is about ("component ID: ..."). */
        int line = 0;
        if (err && !strncmp(err->msg, "component ", 10)) {
            const char *id = err->msg + 10;
            size_t len = strcspn(id, ": ");
            for (size_t i = 0; i < s->n_components; i++)
                if (strlen(s->components[i].id) == len &&
                    !strncmp(s->components[i].id, id, len)) {
                    line = s->components[i].line;
                    break;
                }
        }
        if (err) {
            snprintf(err->file, sizeof err->file, "%s", s->path);
            err->line = line;
        }
        goto out;
    }
    for (size_t i = 0; i < s->n_components; i++)
        plan->node_of[i] = results[i].node;
    if ((rc = check_topic_routes(s, plan, routes, err)) != TS_OK) {
        if (ts_routes_out_of_memory(routes))
            rc = ts_error_set(err, TS_ENOMEM, s->path, 0, "no memory for routes");
        goto out;
    }
    if ((rc = pack_results(plan, results, s->n_components)) != TS_OK)
        rc = ts_error_set(err, rc, s->path, 0, "no memory for the plan");
    else
        rc = ts__plan_variants(s, plan, err);
out:
    ts_free(results);
    ts_routes_free(routes);
    ts_free(nodes);
    ts_free(comps);
    ts_free(lat_first);
    ts_free(lat_count);
    ts_free(lat);
    ts_free(links);
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
    ts_free(plan->reasons);
    ts_free(plan->node_of);
    ts_free(plan->variants);
    ts_topology_free(plan->topology);
    ts_free(plan);
}
