/* The scenario and its plan as the trace's static tables. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/tables.h"
#include "toposim/alloc.h"

/* The loader refuses an id the trace's name columns cannot hold whole. */
_Static_assert(TS_SCENARIO_ID_MAX < TS_TRACE_NAME_LEN, "ids fit the trace's names");

static void copy_name(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static const char *isolation_name(ts_isolation iso)
{
    switch (iso) {
    case TS_ISOLATION_CORE: return "core";
    case TS_ISOLATION_NODE: return "node";
    case TS_ISOLATION_HIGHEST: return "highest";
    default: return "none";
    }
}

/* The trace table a requirement kind's target indexes ("" for none), as
 * trace.h's ts_trace_requirement lists them. */
static const char *requirement_table(ts_requirement_kind kind)
{
    switch (kind) {
    case TS_REQ_TOPIC_DEADLINE:
    case TS_REQ_QOS_DEADLINE: return "topics";
    case TS_REQ_COMPONENT_DEADLINE:
    case TS_REQ_FAILOVER: return "components";
    case TS_REQ_SAFE_STATE: return "sites";
    case TS_REQ_ROLLOUT: return "rollouts";
    case TS_REQ_SERVICE: return "services";
    case TS_REQ_THERMAL_HEADROOM:
    case TS_REQ_POWER_BUDGET: return "nodes";
    default: return "";
    }
}

static int is_fraction_kind(ts_requirement_kind kind)
{
    return kind == TS_REQ_TOPIC_DEADLINE || kind == TS_REQ_COMPONENT_DEADLINE ||
           kind == TS_REQ_SAFETY_COVERAGE || kind == TS_REQ_SERVICE;
}

/* The robot site a component belongs to (its own site, else the robot of
 * its node), or -1. */
static int robot_of(const ts__tables *w, int c)
{
    const ts_scenario *s = w->s;
    if (s->components[c].site >= 0)
        return s->components[c].site;
    int node = w->plan->node_of[c];
    int site = s->nodes[node].site;
    return site >= 0 && s->sites[site].tier == TS_TIER_ROBOT ? site : -1;
}

/* /media: each shared medium as declared, with its links counted. */
static int write_media(const ts__tables *w, ts_error *err)
{
    const ts_scenario *s = w->s;
    ts_trace_medium *media = ts_calloc(s->n_media ? s->n_media : 1, sizeof *media);
    if (!media)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for /media");
    for (size_t m = 0; m < s->n_media; m++) {
        copy_name(media[m].name, sizeof media[m].name, s->media[m].id);
        media[m].capacity_bps = s->media[m].capacity_bps;
        media[m].latency_ns = s->media[m].latency_ns;
        media[m].queue_bytes = s->media[m].queue_bytes;
    }
    for (size_t l = 0; l < s->n_links; l++)
        if (s->links[l].medium >= 0 && (size_t)s->links[l].medium < s->n_media)
            media[s->links[l].medium].links++;
    int rc = ts_trace_write_media(w->trace, media, s->n_media, err);
    ts_free(media);
    return rc;
}

/* The scenario and plan as the trace's static tables. */
int ts__tables_write(const ts__tables *w, ts_error *err)
{
    const ts_scenario *s = w->s;
    size_t most = s->n_nodes;
    if (s->n_links > most) most = s->n_links;
    if (s->n_components > most) most = s->n_components;
    if (s->n_topics > most) most = s->n_topics;
    if (s->n_requirements > most) most = s->n_requirements;
    size_t row_size = sizeof(ts_trace_placement);
    if (sizeof(ts_trace_node) > row_size) row_size = sizeof(ts_trace_node);
    if (sizeof(ts_trace_component) > row_size) row_size = sizeof(ts_trace_component);
    void *buf = ts_calloc(most ? most : 1, row_size);
    if (!buf)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for trace tables");
    int rc;

    ts_trace_node *nodes = buf;
    for (size_t i = 0; i < s->n_nodes; i++) {
        const ts_scenario_node *n = &s->nodes[i];
        memset(&nodes[i], 0, sizeof nodes[i]);
        copy_name(nodes[i].name, sizeof nodes[i].name, n->id);
        copy_name(nodes[i].kind, sizeof nodes[i].kind, ts_node_kind_name(n->kind));
        copy_name(nodes[i].tier, sizeof nodes[i].tier, ts_tier_name(n->tier));
        copy_name(nodes[i].site, sizeof nodes[i].site, n->site >= 0 ? s->sites[n->site].id : "");
        nodes[i].cores = n->cores;
        nodes[i].memory_bytes = n->memory_bytes;
        nodes[i].gpus = n->gpus;
        nodes[i].site_row = n->site;
        nodes[i].throttle_c = n->has_thermal ? n->thermal->throttle_c : NAN;
        nodes[i].shutdown_c = n->has_thermal ? n->thermal->shutdown_c : NAN;
        if (n->has_power && n->power->initial_mode >= 0)
            copy_name(nodes[i].power_mode, sizeof nodes[i].power_mode,
                      n->power->modes[n->power->initial_mode].name);
    }
    rc = ts_trace_write_nodes(w->trace, nodes, s->n_nodes, err);

    ts_trace_link *links = buf;
    for (size_t i = 0; rc == TS_OK && i < s->n_links; i++) {
        const ts_scenario_link *l = &s->links[i];
        memset(&links[i], 0, sizeof links[i]);
        copy_name(links[i].name, sizeof links[i].name, l->id);
        links[i].node_a = l->a;
        links[i].node_b = l->b;
        links[i].latency_ns = l->latency_ns;
        links[i].bandwidth_bps = l->bandwidth_bps;
        links[i].queue_bytes = l->queue_bytes;
        links[i].medium = l->medium >= 0 && (size_t)l->medium < s->n_media ? l->medium : -1;
    }
    if (rc == TS_OK)
        rc = ts_trace_write_links(w->trace, links, s->n_links, err);

    ts_trace_component *comps = buf;
    for (size_t i = 0; rc == TS_OK && i < s->n_components; i++) {
        const ts_scenario_component *c = &s->components[i];
        memset(&comps[i], 0, sizeof comps[i]);
        copy_name(comps[i].name, sizeof comps[i].name, c->id);
        comps[i].flags = c->shared->flags;
        comps[i].period_ns = c->shared->period_ns;
        comps[i].deadline_ns = c->shared->deadline_ns;
        /* a model= component: the CPU part of the variant plan chose */
        comps[i].exec_ns = w->plan->variants && w->plan->variants[i].variant >= 0
                               ? w->plan->variants[i].exec_ns
                               : c->shared->exec_ns;
        comps[i].cpu_millicores = c->shared->cpu_millicores;
        comps[i].memory_bytes = c->shared->memory_bytes;
        comps[i].gpus = c->shared->gpus;
        comps[i].priority = c->shared->priority;
        comps[i].robot = robot_of(w, (int)i);
        comps[i].needed = c->shared->needed;
        comps[i].backup_of = c->backup_of;
        comps[i].replica_of = c->replica_of;
        copy_name(comps[i].isolation, sizeof comps[i].isolation, isolation_name(c->shared->isolation));
        copy_name(comps[i].zone, sizeof comps[i].zone, c->zone >= 0 ? s->zones[c->zone].id : "");
        comps[i].n_versions = c->shared->n_versions ? (int32_t)c->shared->n_versions : 1;
    }
    if (rc == TS_OK)
        rc = ts_trace_write_components(w->trace, comps, s->n_components, err);

    ts_trace_topic *topics = buf;
    for (size_t i = 0; rc == TS_OK && i < s->n_topics; i++) {
        const ts_scenario_topic *t = &s->topics[i];
        memset(&topics[i], 0, sizeof topics[i]);
        copy_name(topics[i].name, sizeof topics[i].name, t->id);
        topics[i].publisher = t->publisher;
        topics[i].size_bytes = t->size_bytes;
        topics[i].period_ns = t->period_ns;
        topics[i].budget_ns = t->budget_ns;
        topics[i].n_subscribers = (int32_t)t->n_subscribers;
    }
    if (rc == TS_OK)
        rc = ts_trace_write_topics(w->trace, topics, s->n_topics, err);

    ts_trace_placement *place = buf;
    for (size_t i = 0; rc == TS_OK && i < s->n_components; i++) {
        memset(&place[i], 0, sizeof place[i]);
        place[i].component = (int32_t)i;
        place[i].node = w->plan->node_of[i];
        copy_name(place[i].rule, sizeof place[i].rule,
                  ts_place_rule_name(w->plan->placement[i].rule));
        copy_name(place[i].reason, sizeof place[i].reason, w->plan->placement[i].reason);
        place[i].reserved_cores = w->plan->placement[i].core_mask;
        place[i].fell_back = w->plan->placement[i].fell_back;
    }
    if (rc == TS_OK)
        rc = ts_trace_write_placement(w->trace, place, s->n_components, err);

    ts_trace_requirement *reqs = buf;
    for (size_t i = 0; rc == TS_OK && i < s->n_requirements; i++) {
        const ts_scenario_requirement *r = &s->requirements[i];
        memset(&reqs[i], 0, sizeof reqs[i]);
        copy_name(reqs[i].kind, sizeof reqs[i].kind, ts_requirement_kind_name(r->kind));
        const char *table = requirement_table(r->kind);
        copy_name(reqs[i].target_table, sizeof reqs[i].target_table, table);
        /* Topic and component targets live in target (fleet copies remap
         * them), the others in object; the trace has one column. */
        reqs[i].target = !table[0] ? -1 : r->target >= 0 ? r->target : r->object;
        reqs[i].min_fraction = is_fraction_kind(r->kind) ? r->min_fraction : 0;
        reqs[i].threshold = r->threshold;
        reqs[i].line = r->line;
    }
    if (rc == TS_OK)
        rc = ts_trace_write_requirements(w->trace, reqs, s->n_requirements, err);
    ts_free(buf);
    if (rc == TS_OK)
        rc = write_media(w, err);
    if (rc == TS_OK)
        rc = ts__tables_write_deploy(w, err);
    return rc;
}

