/*
 * Scenario loading, the meaning half: walks a schema-valid <scenario> tree
 * into the plain ts_scenario arrays. The schema has fixed the shape; this
 * file reads the quantities (units.h), merges hardware models with inline
 * overrides, resolves every reference and refuses what cannot mean
 * anything (duplicate ids, dangling references, self-links, zero
 * bandwidth...). Each error names the offending element's line.
 *
 * Order matters only for which error is reported first: nodes, sites and
 * media before links (links may name nodes and media declared after
 * them), the platform before components (pins), configuration, QoS
 * profiles and security zones before components and topics (which name
 * them), components before topics, topics before services, allow rules,
 * fleets and rollouts, those before requirements, everything before
 * faults. Items keep document order in the arrays, which is the order
 * placement and the engine see (a component's replicas follow it); only
 * faults are reordered, by time (stable, so faults at the same time keep
 * document order). What the deployment code alone reads (profiles,
 * redundancy, services, policies, fleets, rollouts) is read in
 * deploy_fields.c; fleets are expanded after the walk (fleet_expand.c).
 *
 * Merging with models: a node's <power> and <thermal> lay their
 * attributes over the model's one by one (modes, when given, replace the
 * model's list as a whole); a link's <jitter> and <loss> replace the
 * model's. A link on a medium needs neither latency (default 0, added to
 * the medium's) nor bandwidth (the medium's capacity is shared; a given
 * bandwidth is kept in the struct but the simulation ignores it, and
 * without one bandwidth_bps is the medium's capacity).
 */
#include "loader.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/hash.h>

#include "toposim/alloc.h"
#include "toposim/limits.h"
#include "toposim/units.h"

/* A link with neither an inline queue nor a model's: 64 KiB per direction,
 * a small switch port buffer. A medium without queue= gets the same. */
#define DEFAULT_QUEUE_BYTES ((int64_t)64 * 1024)

/* Defaults of the scenario root's ambient= and sample-period=. */
#define DEFAULT_AMBIENT_C 25.0
#define DEFAULT_SAMPLE_PERIOD_NS ((int64_t)100 * 1000 * 1000)

/* A component's fair-share weight without weight= (CFS's nice-0 weight). */
#define DEFAULT_WEIGHT 1024

/* Failure detection defaults: three missed heartbeats (the usual fixed
 * timeout), and phi 8 (Cassandra's phi_convict_threshold). */
#define DEFAULT_MISSES 3
#define DEFAULT_PHI 8.0

static const char NODE_EXPECTED[] =
    "expected the id of a computer, jetson, server, node or switch";

typedef ts__builder builder;

/* ---- small helpers (shared with deploy_fields.c) ------------------------ */

int ts__oom(builder *b, int line)
{
    return ts_error_set(b->L->err, TS_ENOMEM, b->file, line, "out of memory");
}

/* Returns arr grown (zero-filled) to hold one more than n items, or NULL
 * (arr untouched) when memory runs out. */
void *ts__grow(void *arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return arr;
    size_t next = *cap ? *cap * 2 : 16;
    char *p = ts_realloc(arr, next * elem);
    if (!p)
        return NULL;
    memset(p + *cap * elem, 0, (next - *cap) * elem);
    *cap = next;
    return p;
}

/* Adds id -> index; returns -1 when added, the existing index for a
 * duplicate, or -2 when memory runs out. */
int ts__id_add(xmlHashTablePtr t, const char *id, size_t index)
{
    void *prev = xmlHashLookup(t, BAD_CAST id);
    if (prev)
        return (int)((intptr_t)prev - 1);
    if (xmlHashAddEntry(t, BAD_CAST id, (void *)(intptr_t)(index + 1)) != 0)
        return -2;
    return -1;
}

int ts__id_find(xmlHashTablePtr t, const char *id)
{
    void *p = xmlHashLookup(t, BAD_CAST id);
    return p ? (int)((intptr_t)p - 1) : -1;
}

static const xmlNode *first_child(const xmlNode *parent)
{
    return ts__first_child(parent);
}

static const xmlNode *next_sibling(const xmlNode *n)
{
    return ts__next_sibling(n);
}

const xmlNode *ts__child_named(const xmlNode *parent, const char *name)
{
    for (const xmlNode *c = first_child(parent); c; c = next_sibling(c))
        if (xmlStrEqual(c->name, BAD_CAST name))
            return c;
    return NULL;
}

static int named(const xmlNode *el, const char *name)
{
    return xmlStrEqual(el->name, BAD_CAST name);
}

static const char *el_name(const xmlNode *el)
{
    return (const char *)el->name;
}

/* "component control_loop": how messages name an element. */
void ts__who_of(const xmlNode *el, char *buf, size_t size)
{
    const char *id = ts__attr(el, "id");
    if (id)
        snprintf(buf, size, "%s %s", el_name(el), id);
    else
        snprintf(buf, size, "%s", el_name(el));
}

/* Reads an optional quantity attribute; *present says whether it was
 * there. Integer kinds fill *i, real kinds *d. */
int ts__bquantity(builder *b, const xmlNode *el, const char *attr,
                  ts__qkind k, int64_t *i, double *d, int *present)
{
    char who[320];
    ts__who_of(el, who, sizeof who);
    ts__at at = {b->L->err, b->file, who, b->L->owner};
    return ts__quantity(&at, el, attr, k, i, d, present);
}

int ts__bpositive(builder *b, const xmlNode *el, const char *attr)
{
    char who[320];
    ts__who_of(el, who, sizeof who);
    return ts_error_set(b->L->err, TS_EINVAL, b->file, ts__line(el),
                        "%s: %s=\"%s\" must be greater than 0", who, attr,
                        ts__attr(el, attr));
}

/* An xs:int attribute the schema has already checked. */
int ts__int_attr(const xmlNode *el, const char *attr, int *out)
{
    const char *v = ts__attr(el, attr);
    if (!v)
        return 0;
    *out = (int)strtol(v, NULL, 10);
    return 1;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* ---- scenario attributes ------------------------------------------------- */

static int scenario_attrs(builder *b, const xmlNode *root)
{
    ts_scenario *s = b->s;
    int line = ts__line(root);
    const char *name = ts__attr(root, "name");
    if (name) {
        s->name = ts_strdup(name);
    } else {
        /* The file's base name without its extension. */
        const char *base = strrchr(b->file, '/');
        base = base ? base + 1 : b->file;
        const char *dot = strrchr(base, '.');
        size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
        if (n == 0) {
            base = "scenario";
            n = strlen(base);
        }
        s->name = ts_malloc(n + 1);
        if (s->name) {
            memcpy(s->name, base, n);
            s->name[n] = '\0';
        }
    }
    if (!s->name)
        return ts__oom(b, line);

    const char *seed = ts__attr(root, "seed");
    /* xs:unsignedLong in the schema: digits only, fits 64 bits. */
    s->seed = seed ? strtoull(seed, NULL, 10) : 1;

    int rc = ts__bquantity(b, root, "duration", TS__Q_TIME, &s->duration_ns, NULL,
                      NULL);
    if (rc)
        return rc;
    if (s->duration_ns <= 0)
        return ts__bpositive(b, root, "duration");
    int present;
    rc = ts__bquantity(b, root, "ambient", TS__Q_CELSIUS, NULL, &s->ambient_c,
                  &present);
    if (rc)
        return rc;
    if (!present)
        s->ambient_c = DEFAULT_AMBIENT_C;
    rc = ts__bquantity(b, root, "sample-period", TS__Q_TIME, &s->sample_period_ns,
                  NULL, &present);
    if (rc)
        return rc;
    if (!present)
        s->sample_period_ns = DEFAULT_SAMPLE_PERIOD_NS;
    else if (s->sample_period_ns <= 0)
        return ts__bpositive(b, root, "sample-period");
    /* <trace level="full|summary"/>: the trace level when the command
     * line names none (the schema allows only the two words). */
    const xmlNode *trace = ts__child_named(root, "trace");
    const char *level = trace ? ts__attr(trace, "level") : NULL;
    s->trace_level = !level ? -1 : strcmp(level, "summary") == 0 ? 1 : 0;
    return TS_OK;
}

/* ---- platform: sites and nodes ------------------------------------------ */

static int add_site(builder *b, const xmlNode *el, ts_tier tier, int *index)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    const char *id = ts__attr(el, "id");
    ts_scenario_site *sites = ts__grow(s->sites, &b->cap_sites, s->n_sites,
                                   sizeof *sites);
    if (!sites)
        return ts__oom(b, line);
    s->sites = sites;
    int prev = ts__id_add(b->site_ids, id, s->n_sites);
    if (prev == -2)
        return ts__oom(b, line);
    if (prev >= 0)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "duplicate site id \"%s\": the %s at line %d "
                            "already uses it (robot, edge and cloud ids "
                            "must differ)",
                            id, ts_tier_name(s->sites[prev].tier),
                            s->sites[prev].line);
    ts_scenario_site *site = &s->sites[s->n_sites++];
    site->tier = tier;
    site->line = line;
    site->safe_state_category = -1;
    site->fleet = -1;
    site->fleet_member = -1;
    site->id = ts_strdup(id);
    if (!site->id)
        return ts__oom(b, line);
    *index = (int)(s->n_sites - 1);

    /* Only robots carry a battery (the schema allows it nowhere else). */
    int has_battery, has_low;
    int rc = ts__bquantity(b, el, "battery", TS__Q_ENERGY, NULL, &site->battery_wh,
                      &has_battery);
    if (!rc)
        rc = ts__bquantity(b, el, "low-battery", TS__Q_FRACTION, NULL,
                      &site->low_battery_fraction, &has_low);
    if (rc)
        return rc;
    if (has_battery && !(site->battery_wh > 0))
        return ts__bpositive(b, el, "battery");
    if (has_low && !has_battery)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "robot %s: low-battery=\"%s\" but no battery= "
                            "capacity (add battery=\"...Wh\")",
                            id, ts__attr(el, "low-battery"));

    /* "stop-0", "stop-1", "stop-2": the schema has checked the spelling */
    const char *safe = ts__attr(el, "safe-state");
    if (safe)
        site->safe_state_category = (int)strtol(strchr(safe, '-') + 1, NULL,
                                                10);
    int has_budget;
    rc = ts__bquantity(b, el, "safe-state-budget", TS__Q_TIME,
                       &site->safe_state_budget_ns, NULL, &has_budget);
    if (rc)
        return rc;
    if (has_budget && !safe)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "robot %s: safe-state-budget=\"%s\" but no "
                            "safe-state= to reach (add safe-state=\"stop-0\", "
                            "\"stop-1\" or \"stop-2\")",
                            id, ts__attr(el, "safe-state-budget"));
    return TS_OK;
}

static ts__model_kind model_kind_for(ts_node_kind kind)
{
    switch (kind) {
    case TS_NODE_JETSON: return TS__MODEL_JETSON;
    case TS_NODE_SERVER: return TS__MODEL_SERVER;
    case TS_NODE_CLOUD: return TS__MODEL_CLOUD;
    default: return TS__MODEL_COMPUTER;
    }
}

/* Picks the initial power mode from mode="NAME" (default: the first). */
static int node_mode(builder *b, const xmlNode *el, ts_scenario_node *n,
                     const char *who)
{
    const char *mode = ts__attr(el, "mode");
    if (!mode)
        return TS_OK;
    int line = ts__line(el);
    if (!n->has_power || n->power->n_modes == 0)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: mode=\"%s\" but the node has no power "
                            "modes (give <power> <mode> children, or a "
                            "model that has them)", who, mode);
    for (size_t i = 0; i < n->power->n_modes; i++)
        if (ts__token_eq(n->power->modes[i].name, mode)) {
            n->power->initial_mode = (int)i;
            return TS_OK;
        }
    char names[400] = "";
    for (size_t i = 0, used = 0; i < n->power->n_modes && used < sizeof names;
         i++) {
        int w = snprintf(names + used, sizeof names - used, "%s%s",
                         i ? ", " : "", n->power->modes[i].name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                        "%s: mode=\"%s\" is not one of its power modes (%s)",
                        who, mode, names);
}

/* The model's power and thermal models, then the node's own <power> and
 * <thermal> over them attribute by attribute, then defaults and checks on
 * the result (at the inline element's line, or the node's). */
static int node_power_thermal(builder *b, const xmlNode *el,
                              ts_scenario_node *n, const ts__model *m)
{
    int line = ts__line(el);
    char node_who[320], who[360];
    ts__who_of(el, node_who, sizeof node_who);
    ts__at at = {b->L->err, b->file, who, b->L->owner};
    const xmlNode *pel = ts__child_named(el, "power");
    const xmlNode *tel = ts__child_named(el, "thermal");
    unsigned pset = 0, tset = 0;
    int rc;

    snprintf(who, sizeof who, "%s <power>", node_who);
    if (m && m->has_power) {
        if (ts__power_copy(n->power, &m->power))
            return ts__oom(b, line);
        pset = m->power_set;
        n->has_power = 1;
    }
    if (pel) {
        n->has_power = 1;
        rc = ts__power_read(&at, pel, n->power, &pset);
        if (rc)
            return rc;
    }
    if (n->has_power) {
        rc = ts__power_finish(&at, pel ? ts__line(pel) : line, n->power,
                              pset, n->cores, n->gpus);
        if (rc)
            return rc;
    }

    snprintf(who, sizeof who, "%s <thermal>", node_who);
    if (m && m->has_thermal) {
        *n->thermal = m->thermal;
        tset = m->thermal_set;
        n->has_thermal = 1;
    }
    if (tel) {
        n->has_thermal = 1;
        rc = ts__thermal_read(&at, tel, n->thermal, &tset);
        if (rc)
            return rc;
    }
    if (n->has_thermal) {
        rc = ts__thermal_finish(&at, tel ? ts__line(tel) : line, n->thermal,
                                tset);
        if (rc)
            return rc;
    }
    return node_mode(b, el, n, node_who);
}

/* Model values first, then each inline attribute overrides its own. */
static int node_resources(builder *b, const xmlNode *el, ts_scenario_node *n)
{
    int line = ts__line(el);
    char who[320];
    ts__who_of(el, who, sizeof who);
    int have_cores = 0, have_memory = 0, present, rc;

    const char *model = ts__attr(el, "model");
    const ts__model *m = NULL;
    if (model) {
        rc = ts__model_get(b->L, model, model_kind_for(n->kind), el, &m);
        if (rc)
            return rc;
        n->model = ts_strdup(model);
        if (!n->model)
            return ts__oom(b, line);
        n->cores = m->cores;
        n->memory_bytes = m->memory_bytes;
        n->gpus = m->gpus;
        n->gpu_memory_bytes = m->gpu_memory_bytes;
        n->gpu_timeslice_ns = m->gpu_timeslice_ns;
        n->gpu_partition = (unsigned char)m->gpu_partition;
        have_cores = have_memory = 1;
    }
    if (ts__int_attr(el, "cores", &n->cores))
        have_cores = 1;
    ts__int_attr(el, "gpus", &n->gpus);
    rc = ts__bquantity(b, el, "memory", TS__Q_BYTES, &n->memory_bytes, NULL,
                  &present);
    if (rc)
        return rc;
    if (present) {
        have_memory = 1;
        if (n->memory_bytes <= 0)
            return ts__bpositive(b, el, "memory");
    }
    rc = ts__bquantity(b, el, "gpu-memory", TS__Q_BYTES, &n->gpu_memory_bytes, NULL,
                  NULL);
    if (rc)
        return rc;
    rc = ts__bquantity(b, el, "gpu-timeslice", TS__Q_TIME, &n->gpu_timeslice_ns,
                       NULL, &present);
    if (rc)
        return rc;
    if (present && n->gpu_timeslice_ns <= 0)
        return ts__bpositive(b, el, "gpu-timeslice");
    const char *sharing = ts__attr(el, "gpu-sharing");
    if (sharing)
        n->gpu_partition = ts__token_eq(sharing, "partition");
    if (!have_cores)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: no CPU cores given (set cores=\"...\" or "
                            "name a model=\"...\")", who);
    if (!have_memory)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: no memory given (set memory=\"...\" or "
                            "name a model=\"...\")", who);
    if (n->cores < 1)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: a compute node needs at least 1 core", who);
    if ((uint64_t)n->cores > ts_limit(TS_LIMIT_CORES))
        return ts_limit_error(b->L->err, TS_LIMIT_CORES, b->file, line,
                              "%s: %d cores%s", who, n->cores,
                              model && !ts__attr(el, "cores") ? " (from its model)" : "");
    return node_power_thermal(b, el, n, m);
}

static int add_node(builder *b, const xmlNode *el, ts_node_kind kind,
                    int site)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    const char *id = ts__attr(el, "id");
    ts_scenario_node *nodes = ts__grow(s->nodes, &b->cap_nodes, s->n_nodes,
                                   sizeof *nodes);
    if (!nodes)
        return ts__oom(b, line);
    s->nodes = nodes;
    int prev = ts__id_add(b->node_ids, id, s->n_nodes);
    if (prev == -2)
        return ts__oom(b, line);
    if (prev >= 0)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "duplicate node id \"%s\": the %s at line %d "
                            "already uses it (node ids are unique across "
                            "the platform)",
                            id, ts_node_kind_name(s->nodes[prev].kind),
                            s->nodes[prev].line);
    ts_scenario_node *n = &s->nodes[s->n_nodes++];
    if (ts__node_models_new(n))
        return ts__oom(b, line);
    n->kind = kind;
    n->site = site;
    n->line = line;
    n->power->initial_mode = -1;
    if (kind == TS_NODE_SWITCH)
        n->tier = TS_TIER_NETWORK;
    else
        n->tier = s->sites[site].tier;
    n->id = ts_strdup(id);
    if (!n->id)
        return ts__oom(b, line);
    if (kind == TS_NODE_SWITCH)
        return TS_OK;
    return node_resources(b, el, n);
}

/* A robot's <power-manager>: its node must be one of the robot's, with
 * two power modes or more to choose from. */
static int add_power_manager(builder *b, const xmlNode *el, int site, size_t first_node)
{
    ts_scenario *s = b->s;
    ts_scenario_site *st = &s->sites[site];
    int line = ts__line(el);
    const char *node = ts__attr(el, "node");
    size_t n = first_node;
    while (n < s->n_nodes && !ts__token_eq(s->nodes[n].id, node))
        n++;
    if (n == s->n_nodes)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "robot %s: <power-manager node=\"%s\"> names no node of this "
                            "robot", st->id, node);
    const ts_scenario_node *nd = &s->nodes[n];
    if (!nd->has_power || nd->power->n_modes < 2)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "robot %s: <power-manager node=\"%s\">: the node has %zu power "
                            "mode%s, a manager needs two or more to choose from",
                            st->id, node, nd->has_power ? nd->power->n_modes : (size_t)0,
                            nd->has_power && nd->power->n_modes == 1 ? "" : "s");
    st->power_manager = 1;
    st->pm_node_pos = (int)(n - first_node);
    st->pm_period_ns = 1000000000;  /* assumption: a decision a second */
    st->pm_headroom_c = 5.0;        /* assumption: the thermal trips' 5 C
                                       hysteresis (models/) */
    int has_period, has_headroom;
    int rc = ts__bquantity(b, el, "period", TS__Q_TIME, &st->pm_period_ns, NULL, &has_period);
    if (!rc)
        rc = ts__bquantity(b, el, "reserve", TS__Q_ENERGY, NULL, &st->pm_reserve_wh, NULL);
    if (!rc)
        rc = ts__bquantity(b, el, "headroom", TS__Q_CELSIUS, NULL, &st->pm_headroom_c,
                           &has_headroom);
    if (!rc)
        rc = ts__bquantity(b, el, "raise", TS__Q_FRACTION, NULL, &st->pm_raise_util, NULL);
    if (rc)
        return rc;
    if (!(st->pm_period_ns > 0))
        return ts__bpositive(b, el, "period");
    if (!(st->pm_headroom_c >= 0))
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "robot %s: <power-manager headroom=\"%s\"> must be 0C or more "
                            "(a band below the throttle point)", st->id,
                            ts__attr(el, "headroom"));
    return TS_OK;
}

static int walk_site(builder *b, const xmlNode *el)
{
    ts_tier tier = named(el, "robot")  ? TS_TIER_ROBOT
                   : named(el, "edge") ? TS_TIER_EDGE
                                       : TS_TIER_CLOUD;
    int site = -1;
    int rc = add_site(b, el, tier, &site);
    const xmlNode *manager = NULL;
    size_t first_node = b->s->n_nodes;
    for (const xmlNode *c = first_child(el); c && !rc; c = next_sibling(c)) {
        ts_node_kind kind;
        if (named(c, "power-manager")) {
            if (manager)
                return ts_error_set(b->L->err, TS_EINVAL, b->file, ts__line(c),
                                    "robot %s: a second <power-manager> (the one at line %d "
                                    "already chooses its power mode)",
                                    ts__attr(el, "id"), ts__line(manager));
            manager = c;
            continue;
        }
        if (named(c, "computer"))
            kind = TS_NODE_COMPUTER;
        else if (named(c, "jetson"))
            kind = TS_NODE_JETSON;
        else if (named(c, "server"))
            kind = TS_NODE_SERVER;
        else if (named(c, "node"))
            kind = TS_NODE_CLOUD;
        else
            kind = TS_NODE_SWITCH;
        rc = add_node(b, c, kind, site);
    }
    if (!rc && manager)
        rc = add_power_manager(b, manager, site, first_node);
    return rc;
}

/* ---- platform: media ----------------------------------------------------- */

/* A <medium> and its profile of <at> points, each in strictly increasing
 * time; a point's missing capacity or latency carries the previous one. */
static int add_medium(builder *b, const xmlNode *el)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    const char *id = ts__attr(el, "id");
    ts_scenario_medium *media = ts__grow(s->media, &b->cap_media, s->n_media,
                                     sizeof *media);
    if (!media)
        return ts__oom(b, line);
    s->media = media;
    int prev = ts__id_add(b->medium_ids, id, s->n_media);
    if (prev == -2)
        return ts__oom(b, line);
    if (prev >= 0)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "duplicate medium id \"%s\": the medium at line "
                            "%d already uses it", id, s->media[prev].line);
    ts_scenario_medium *md = &s->media[s->n_media++];
    md->line = line;
    md->id = ts_strdup(id);
    if (!md->id)
        return ts__oom(b, line);
    int present;
    int rc = ts__bquantity(b, el, "capacity", TS__Q_BITRATE, NULL,
                      &md->capacity_bps, NULL);
    if (rc)
        return rc;
    if (!(md->capacity_bps > 0))
        return ts__bpositive(b, el, "capacity");
    rc = ts__bquantity(b, el, "latency", TS__Q_TIME, &md->latency_ns, NULL, NULL);
    if (!rc)
        rc = ts__bquantity(b, el, "queue", TS__Q_BYTES, &md->queue_bytes, NULL,
                      &present);
    if (rc)
        return rc;
    if (!present)
        md->queue_bytes = DEFAULT_QUEUE_BYTES;
    else if (md->queue_bytes <= 0)
        return ts__bpositive(b, el, "queue");

    size_t n = 0;
    for (const xmlNode *c = first_child(el); c; c = next_sibling(c))
        n++;
    if (n == 0)
        return TS_OK;
    md->profile = ts_calloc(n, sizeof *md->profile);
    if (!md->profile)
        return ts__oom(b, line);
    double capacity = md->capacity_bps;
    int64_t latency = md->latency_ns;
    int prev_line = 0;
    char who[320];
    snprintf(who, sizeof who, "medium %s <at>", id);
    ts__at at = {b->L->err, b->file, who, b->L->owner};
    for (const xmlNode *c = first_child(el); c; c = next_sibling(c)) {
        ts_scenario_medium_point *pt = &md->profile[md->n_profile];
        int has_cap, has_lat;
        rc = ts__quantity(&at, c, "time", TS__Q_TIME, &pt->at_ns, NULL, NULL);
        if (!rc)
            rc = ts__quantity(&at, c, "capacity", TS__Q_BITRATE, NULL,
                              &pt->capacity_bps, &has_cap);
        if (!rc)
            rc = ts__quantity(&at, c, "latency", TS__Q_TIME, &pt->latency_ns,
                              NULL, &has_lat);
        if (rc)
            return rc;
        if (md->n_profile > 0 &&
            pt->at_ns <= md->profile[md->n_profile - 1].at_ns)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, ts__line(c),
                                "medium %s: <at time=\"%s\"> is not after "
                                "the point at line %d (profile times must "
                                "increase)", id, ts__attr(c, "time"),
                                prev_line);
        if (has_cap && !(pt->capacity_bps > 0))
            return ts_error_set(b->L->err, TS_EINVAL, b->file, ts__line(c),
                                "medium %s: <at capacity=\"%s\"> must be "
                                "greater than 0 (a fault takes a medium "
                                "down, not its profile)",
                                id, ts__attr(c, "capacity"));
        if (!has_cap)
            pt->capacity_bps = capacity;
        if (!has_lat)
            pt->latency_ns = latency;
        capacity = pt->capacity_bps;
        latency = pt->latency_ns;
        prev_line = ts__line(c);
        md->n_profile++;
    }
    return TS_OK;
}

/* ---- platform: links ----------------------------------------------------- */

static int link_end(builder *b, const xmlNode *el, const char *attr, int *out)
{
    const char *v = ts__attr(el, attr);
    *out = ts__id_find(b->node_ids, v);
    if (*out >= 0)
        return TS_OK;
    return ts_error_set(b->L->err, TS_ENOENT, b->file, ts__line(el),
                        "link %s: %s=\"%s\" names no node (%s)",
                        ts__attr(el, "id"), attr, v, NODE_EXPECTED);
}

/* The model's options (in *opts), then the link's own over them. */
static int link_options(builder *b, const xmlNode *el, ts_scenario_link *k,
                        ts__link_options *opts, const char *who)
{
    ts__at at = {b->L->err, b->file, who, b->L->owner};
    ts__link_options own;
    memset(&own, 0, sizeof own);
    int rc = ts__link_options_read(&at, el, &own);
    if (rc)
        return rc;
    if (own.set & TS__LINK_QUEUE_PACKETS)
        opts->queue_packets = own.queue_packets;
    if (own.set & TS__LINK_MTU)
        opts->mtu_bytes = own.mtu_bytes;
    if (own.set & TS__LINK_HEADER)
        opts->header_bytes = own.header_bytes;
    if (own.set & TS__LINK_REORDER)
        opts->reorder_allowed = own.reorder_allowed;
    if (own.set & TS__LINK_JITTER)
        opts->jitter = own.jitter;
    if (own.set & TS__LINK_LOSS)
        opts->loss = own.loss;
    opts->set |= own.set;
    /* Checked on the merged options (a model's header under the link's
     * mtu, or the other way): every fragment carries a header and some
     * payload, so the network would refuse the link at run time. */
    if (opts->mtu_bytes > 0 && opts->mtu_bytes <= opts->header_bytes)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, ts__line(el),
                            "%s: the MTU (%lld bytes) must exceed the header (%lld "
                            "bytes)%s: each fragment carries a header and some payload",
                            who, (long long)opts->mtu_bytes, (long long)opts->header_bytes,
                            ts__attr(el, "model") && (!(own.set & TS__LINK_MTU) ||
                                                      !(own.set & TS__LINK_HEADER))
                                ? " (one of them from its model)" : "");
    k->queue_packets = opts->queue_packets;
    k->mtu_bytes = opts->mtu_bytes;
    k->header_bytes = opts->header_bytes;
    k->reorder_allowed = opts->reorder_allowed;
    *k->jitter = opts->jitter;
    *k->loss = opts->loss;
    return TS_OK;
}

static int add_link(builder *b, const xmlNode *el)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    const char *id = ts__attr(el, "id");
    char who[320];
    ts__who_of(el, who, sizeof who);
    ts_scenario_link *links = ts__grow(s->links, &b->cap_links, s->n_links,
                                   sizeof *links);
    if (!links)
        return ts__oom(b, line);
    s->links = links;
    int prev = ts__id_add(b->link_ids, id, s->n_links);
    if (prev == -2)
        return ts__oom(b, line);
    if (prev >= 0)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "duplicate link id \"%s\": the link at line %d "
                            "already uses it",
                            id, s->links[prev].line);
    ts_scenario_link *k = &s->links[s->n_links++];
    if (ts__link_shape_new(k))
        return ts__oom(b, line);
    k->line = line;
    k->id = ts_strdup(id);
    if (!k->id)
        return ts__oom(b, line);

    int rc = link_end(b, el, "from", &k->a);
    if (!rc)
        rc = link_end(b, el, "to", &k->b);
    if (rc)
        return rc;
    if (k->a == k->b)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: from and to are both \"%s\" (a link joins "
                            "two different nodes)",
                            who, s->nodes[k->a].id);

    k->medium = -1;
    const char *medium = ts__attr(el, "medium");
    if (medium) {
        k->medium = ts__id_find(b->medium_ids, medium);
        if (k->medium < 0)
            return ts_error_set(b->L->err, TS_ENOENT, b->file, line,
                                "%s: medium=\"%s\" names no medium (declare "
                                "it with <medium id=\"%s\" capacity=...> in "
                                "the platform)", who, medium, medium);
    }

    int have_latency = 0, have_bandwidth = 0, have_queue = 0, present;
    ts__link_options opts;
    memset(&opts, 0, sizeof opts);
    const char *model = ts__attr(el, "model");
    if (model) {
        const ts__model *m;
        rc = ts__model_get(b->L, model, TS__MODEL_LINK, el, &m);
        if (rc)
            return rc;
        k->model = ts_strdup(model);
        if (!k->model)
            return ts__oom(b, line);
        k->latency_ns = m->latency_ns;
        k->bandwidth_bps = m->bandwidth_bps;
        k->queue_bytes = m->queue_bytes;
        have_latency = have_bandwidth = 1;
        have_queue = m->queue_bytes > 0;
        opts = m->options;
    }
    rc = ts__bquantity(b, el, "latency", TS__Q_TIME, &k->latency_ns, NULL, &present);
    if (rc)
        return rc;
    have_latency |= present;
    rc = ts__bquantity(b, el, "bandwidth", TS__Q_BITRATE, NULL, &k->bandwidth_bps,
                  &present);
    if (rc)
        return rc;
    if (present && !(k->bandwidth_bps > 0))
        return ts__bpositive(b, el, "bandwidth");
    have_bandwidth |= present;
    rc = ts__bquantity(b, el, "queue", TS__Q_BYTES, &k->queue_bytes, NULL, &present);
    if (rc)
        return rc;
    if (present && k->queue_bytes <= 0)
        return ts__bpositive(b, el, "queue");
    have_queue |= present;

    if (!have_latency && k->medium < 0)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: no latency given (set latency=\"...\" or "
                            "name a link model=\"...\")", who);
    if (!have_bandwidth && k->medium < 0)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: no bandwidth given (set bandwidth=\"...\" "
                            "or name a link model=\"...\")", who);
    if (!have_bandwidth)
        k->bandwidth_bps = s->media[k->medium].capacity_bps;
    if (!have_queue)
        k->queue_bytes = DEFAULT_QUEUE_BYTES;
    return link_options(b, el, k, &opts, who);
}

static int walk_platform(builder *b, const xmlNode *platform)
{
    int rc = TS_OK;
    /* Pass 1: sites, nodes and media, so that links may name any. */
    for (const xmlNode *c = first_child(platform); c && !rc;
         c = next_sibling(c)) {
        if (named(c, "robot") || named(c, "edge") || named(c, "cloud"))
            rc = walk_site(b, c);
        else if (named(c, "switch"))
            rc = add_node(b, c, TS_NODE_SWITCH, -1);
        else if (named(c, "medium"))
            rc = add_medium(b, c);
    }
    /* Pass 2: links. */
    for (const xmlNode *c = first_child(platform); c && !rc;
         c = next_sibling(c))
        if (named(c, "link"))
            rc = add_link(b, c);
    return rc;
}

/* ---- components ---------------------------------------------------------- */

static const struct {
    const char *name;
    uint32_t bit;
} flag_names[] = {
    {"real-time-critical", TS_FLAG_REAL_TIME_CRITICAL},
    {"computation-heavy", TS_FLAG_COMPUTATION_HEAVY},
    {"data-processing", TS_FLAG_DATA_PROCESSING},
    {"safety-critical", TS_FLAG_SAFETY_CRITICAL},
};

static int parse_flags(builder *b, const xmlNode *el, uint32_t *flags)
{
    const char *p = ts__attr(el, "flags");
    if (!p)
        return TS_OK; /* none, or a backup's inherited ones */
    *flags = 0;
    while (p && *p) {
        while (is_blank(*p))
            p++;
        const char *start = p;
        while (*p && !is_blank(*p))
            p++;
        size_t n = (size_t)(p - start);
        if (n == 0)
            break;
        size_t f;
        for (f = 0; f < sizeof flag_names / sizeof flag_names[0]; f++)
            if (strlen(flag_names[f].name) == n &&
                memcmp(flag_names[f].name, start, n) == 0)
                break;
        if (f == sizeof flag_names / sizeof flag_names[0])
            return ts_error_set(b->L->err, TS_EINVAL, b->file, ts__line(el),
                                "component %s: unknown flag \"%.*s\" "
                                "(expected real-time-critical, "
                                "computation-heavy, data-processing or "
                                "safety-critical)",
                                ts__attr(el, "id"), (int)n, start);
        *flags |= flag_names[f].bit;
    }
    return TS_OK;
}

/* The execution time: exec= (and exec-min=), or an <exec> distribution,
 * which then sets exec_ns to its largest value, or to its mean when it
 * has no largest (exec_min_ns = exec_ns: the uniform range is unused). */
static int component_exec(builder *b, const xmlNode *el,
                          ts_scenario_component *c, const char *who)
{
    int line = ts__line(el);
    if (ts__attr(el, "model"))
        return ts__dnn_component(b, el, c, who);
    const xmlNode *dist = ts__child_named(el, "exec");
    if (dist) {
        /* exec= and exec-min= are unused then, but still must be valid */
        int64_t unused;
        int rc = ts__bquantity(b, el, "exec", TS__Q_TIME, &unused, NULL, NULL);
        if (!rc)
            rc = ts__bquantity(b, el, "exec-min", TS__Q_TIME, &unused, NULL,
                          NULL);
        if (rc)
            return rc;
        char dwho[360];
        snprintf(dwho, sizeof dwho, "%s <exec>", who);
        ts__at at = {b->L->err, b->file, dwho, b->L->owner};
        rc = ts__dist_read(&at, dist, c->shared->exec_dist);
        if (rc)
            return rc;
        int dline = ts__line(dist);
        if (c->shared->exec_dist->kind == TS_DIST_NONE)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, dline,
                                "%s: dist=\"none\" gives no execution time "
                                "(leave <exec> out and use exec=, or pick a "
                                "distribution)", dwho);
        double v = ts_dist_max(c->shared->exec_dist);
        if (!isfinite(v))
            v = ts_dist_mean(c->shared->exec_dist);
        if (!isfinite(v))
            return ts_error_set(b->L->err, TS_EINVAL, b->file, dline,
                                "%s: the distribution has no finite mean "
                                "(a Pareto execution time needs shape > 1)",
                                dwho);
        if (!(v < 9.2e18))
            return ts_error_set(b->L->err, TS_ERANGE, b->file, dline,
                                "%s: execution time too long", dwho);
        c->shared->exec_ns = llround(v);
        if (c->shared->exec_ns <= 0)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, dline,
                                "%s: the execution time must be greater "
                                "than 0 (its %s is 0)", dwho,
                                isfinite(ts_dist_max(c->shared->exec_dist))
                                    ? "largest value"
                                    : "mean");
        c->shared->exec_min_ns = c->shared->exec_ns;
        return TS_OK;
    }

    int present;
    int64_t exec_ns = 0;
    int rc = ts__bquantity(b, el, "exec", TS__Q_TIME, &exec_ns, NULL, &present);
    if (rc)
        return rc;
    if (!present && c->backup_of >= 0) {
        /* a backup keeps its primary's execution time, but exec-min alone
         * must still fit under it */
        rc = ts__bquantity(b, el, "exec-min", TS__Q_TIME, &exec_ns, NULL,
                           &present);
        if (rc || !present)
            return rc;
        if (exec_ns <= 0)
            return ts__bpositive(b, el, "exec-min");
        if (exec_ns > c->shared->exec_ns) {
            char e[32];
            ts__format_ns(c->shared->exec_ns, e, sizeof e);
            return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                "%s: exec-min=\"%s\" is longer than the "
                                "exec=%s it takes from its primary", who,
                                ts__attr(el, "exec-min"), e);
        }
        c->shared->exec_min_ns = exec_ns;
        return TS_OK;
    }
    c->shared->exec_ns = exec_ns;
    memset(c->shared->exec_dist, 0, sizeof *c->shared->exec_dist);
    if (!present)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: no execution time given (set exec=\"...\", "
                            "the worst case, or add an <exec dist=...> "
                            "element)", who);
    if (c->shared->exec_ns <= 0)
        return ts__bpositive(b, el, "exec");
    rc = ts__bquantity(b, el, "exec-min", TS__Q_TIME, &c->shared->exec_min_ns, NULL,
                  &present);
    if (rc)
        return rc;
    if (!present)
        c->shared->exec_min_ns = c->shared->exec_ns;
    else if (c->shared->exec_min_ns <= 0)
        return ts__bpositive(b, el, "exec-min");
    else if (c->shared->exec_min_ns > c->shared->exec_ns)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: exec-min=\"%s\" is longer than exec=\"%s\" "
                            "(exec is the worst case, exec-min the best)",
                            who, ts__attr(el, "exec-min"),
                            ts__attr(el, "exec"));
    return TS_OK;
}

/* policy, weight, affinity (cores=), reserve-cores and gpu-exec; after
 * the pin, which bounds the affinity's core indices. */
static int component_scheduling(builder *b, const xmlNode *el,
                                ts_scenario_component *c, const char *who)
{
    int line = ts__line(el);
    /* absent: fifo and the default weight, or a backup's inherited ones */
    const char *policy = ts__attr(el, "policy");
    if (policy)
        c->shared->policy = ts__token_eq(policy, "fair");
    if (ts__int_attr(el, "weight", &c->shared->weight) && c->shared->weight <= 0)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: weight=\"%s\" must be greater than 0 (its "
                            "share of CPU time against other fair "
                            "components; the default is %d)",
                            who, ts__attr(el, "weight"), DEFAULT_WEIGHT);

    const char *cores = ts__attr(el, "cores");
    for (const char *p = cores; p && *p;) {
        while (is_blank(*p))
            p++;
        if (!*p)
            break;
        /* the schema holds each item to an integer in 0..63 */
        char *end;
        long core = strtol(p, &end, 10);
        p = end;
        uint64_t bit = UINT64_C(1) << core;
        if (c->shared->affinity & bit)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                "%s: cores=\"%s\" lists core %ld twice",
                                who, cores, core);
        c->shared->affinity |= bit;
        if (c->pin >= 0 && core >= b->s->nodes[c->pin].cores)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                "%s: cores=\"%s\" names core %ld, but node "
                                "%s has %d cores (0 to %d)",
                                who, cores, core, b->s->nodes[c->pin].id,
                                b->s->nodes[c->pin].cores,
                                b->s->nodes[c->pin].cores - 1);
    }
    const char *reserve = ts__attr(el, "reserve-cores");
    c->shared->reserve_cores = ts__bool_attr(el, "reserve-cores");
    if (c->shared->reserve_cores && c->shared->affinity == 0)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: reserve-cores=\"%s\" needs a cores= list "
                            "(the cores to reserve)", who, reserve);

    if (c->shared->dnn)     /* its variants give the GPU time (dnn.c) */
        return ts__dnn_component_node(b, el, c, who);
    int rc = ts__bquantity(b, el, "gpu-exec", TS__Q_TIME, &c->shared->gpu_exec_ns, NULL,
                      NULL);
    if (rc)
        return rc;
    if (c->shared->gpu_exec_ns > 0 && c->shared->gpus < 1 &&
        c->shared->gpu_share_milli == 0)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: gpu-exec=\"%s\" but the component asks for "
                            "no GPU (add gpus=\"1\" for a whole GPU, or a "
                            "share of one such as gpus=\"0.25\")", who,
                            ts__attr(el, "gpu-exec"));
    return TS_OK;
}

/* When its jobs are released: trigger= (a topic, resolved once topics
 * are read: resolve_triggers), arrival="poisson" with rate=, or
 * arrival="sporadic" with min-interarrival= and an optional <gap>
 * distribution; else periodic on rate=. Each arrival takes only its own
 * attributes. */
static int component_arrival(builder *b, const xmlNode *el, ts_scenario_component *c,
                             const char *who, int has_rate)
{
    int line = ts__line(el);
    const char *trigger = ts__attr(el, "trigger");
    const char *arrival = ts__attr(el, "arrival");
    const xmlNode *gap = ts__child_named(el, "gap");
    int has_min;
    int64_t min_ns = 0;
    int rc = ts__bquantity(b, el, "min-interarrival", TS__Q_TIME, &min_ns, NULL, &has_min);
    if (rc)
        return rc;
    if (trigger) {
        if (arrival)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                "%s: trigger=\"%s\" and arrival=\"%s\" both say "
                                "when its jobs are released (a triggered "
                                "component runs once per sample it receives; "
                                "leave arrival= out)", who, trigger, arrival);
        if (has_rate)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                "%s: trigger=\"%s\" with rate=\"%s\": a triggered "
                                "component runs once per sample of %s it "
                                "receives, not on a timer (leave rate= out)",
                                who, trigger, ts__attr(el, "rate"), trigger);
        if (has_min || gap)
            return ts_error_set(b->L->err, TS_EINVAL, b->file,
                                gap && !has_min ? ts__line(gap) : line,
                                "%s: %s applies to arrival=\"sporadic\", not to "
                                "a trigger= component", who,
                                has_min ? "min-interarrival=" : "<gap>");
        c->shared->arrival = TS_ARRIVAL_TRIGGER;
        c->shared->period_ns = 0;   /* the topic's, once it is read */
        return TS_OK;
    }
    if (!arrival) {
        if (c->backup_of >= 0 && c->shared->arrival != TS_ARRIVAL_PERIODIC && !has_rate &&
            !has_min && !gap)
            return TS_OK;   /* a backup keeps its primary's arrival */
        arrival = "periodic";
    }
    int kind = ts__token_eq(arrival, "poisson")    ? TS_ARRIVAL_POISSON
               : ts__token_eq(arrival, "sporadic") ? TS_ARRIVAL_SPORADIC
               : ts__token_eq(arrival, "batch")    ? TS_ARRIVAL_BATCH
                                                   : TS_ARRIVAL_PERIODIC;
    if (kind == TS_ARRIVAL_BATCH) {
        if (has_rate || has_min || gap)
            return ts_error_set(b->L->err, TS_EINVAL, b->file,
                                gap && !has_rate && !has_min ? ts__line(gap) : line,
                                "%s: %s does not apply to arrival=\"batch\" (one job, "
                                "released at offset=, that runs to completion)", who,
                                has_rate ? "rate=" : has_min ? "min-interarrival=" : "<gap>");
        c->shared->arrival = TS_ARRIVAL_BATCH;
        c->shared->min_interarrival_ns = 0;
        memset(c->shared->gap_dist, 0, sizeof *c->shared->gap_dist);
        /* one job per run: for placement and the default deadline, its
         * period is the run */
        c->shared->period_ns = b->s->duration_ns;
        return TS_OK;
    }
    c->shared->arrival = (unsigned char)kind;
    c->shared->min_interarrival_ns = 0;
    memset(c->shared->gap_dist, 0, sizeof *c->shared->gap_dist);
    if ((has_min || gap) && kind != TS_ARRIVAL_SPORADIC)
        return ts_error_set(b->L->err, TS_EINVAL, b->file,
                            gap && !has_min ? ts__line(gap) : line,
                            "%s: %s applies to arrival=\"sporadic\" (this "
                            "component's arrival is %s)", who,
                            has_min ? "min-interarrival=" : "<gap>", arrival);
    if (kind == TS_ARRIVAL_POISSON) {
        if (!has_rate)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                "%s: arrival=\"poisson\" needs rate= (the mean "
                                "arrival rate, e.g. rate=\"50Hz\")", who);
        /* Exponential gaps of mean 1/rate: a Poisson process */
        c->shared->gap_dist->kind = TS_DIST_EXPONENTIAL;
        c->shared->gap_dist->a = (double)c->shared->period_ns;
    } else if (kind == TS_ARRIVAL_SPORADIC) {
        if (has_rate)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                "%s: rate= does not apply to arrival=\"sporadic\" "
                                "(its releases are min-interarrival= apart plus "
                                "a <gap> drawn each time)", who);
        if (!has_min)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                "%s: arrival=\"sporadic\" needs min-interarrival= "
                                "(the least time between two releases, e.g. "
                                "min-interarrival=\"5ms\")", who);
        double mean_gap = 0;
        if (gap) {
            char dwho[360];
            snprintf(dwho, sizeof dwho, "%s <gap>", who);
            ts__at at = {b->L->err, b->file, dwho, b->L->owner};
            rc = ts__dist_read(&at, gap, c->shared->gap_dist);
            if (rc)
                return rc;
            mean_gap = ts_dist_mean(c->shared->gap_dist);
            if (!isfinite(mean_gap) || !(mean_gap < 9.2e18))
                return ts_error_set(b->L->err, TS_EINVAL, b->file, ts__line(gap),
                                    "%s: the distribution has no finite mean "
                                    "(a Pareto gap needs shape > 1)", dwho);
        }
        c->shared->min_interarrival_ns = min_ns;
        if (!((double)min_ns + mean_gap < 9.2e18))
            return ts_error_set(b->L->err, TS_ERANGE, b->file, line,
                                "%s: min-interarrival= plus the mean gap is too long", who);
        c->shared->period_ns = min_ns + llround(mean_gap);
        if (c->shared->period_ns <= 0)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                "%s: min-interarrival=\"%s\" and its <gap> give "
                                "no time between releases (their mean must be "
                                "greater than 0)", who, ts__attr(el, "min-interarrival"));
    }
    return TS_OK;
}

/* gpus= (whole GPUs, or a share of one time-sliced GPU: "0.25") and
 * gpu-memory=; absent ones keep a backup's inherited values. */
static int gpu_request(builder *b, const xmlNode *el, ts_scenario_component *c,
                       const char *who)
{
    int line = ts__line(el);
    const char *v = ts__attr(el, "gpus");
    if (v) {
        /* the schema holds it to [0-9]{1,9}(.[0-9]{1,3})? */
        char *end;
        long whole = strtol(v, &end, 10);
        int milli = 0;
        if (*end == '.') {
            int scale = 100;
            for (const char *p = end + 1; *p >= '0' && *p <= '9'; p++, scale /= 10)
                milli += (*p - '0') * scale;
        }
        if (milli > 0 && whole > 0)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                "%s: gpus=\"%s\" is more than one GPU but not "
                                "whole (a share time-slices one GPU: from "
                                "0.001 to 0.999; or ask for whole GPUs)",
                                who, v);
        c->shared->gpus = (int)whole;
        c->shared->gpu_share_milli = milli;
    }
    int present, rc = ts__bquantity(b, el, "gpu-memory", TS__Q_BYTES,
                                    &c->shared->gpu_memory_bytes, NULL, &present);
    if (rc)
        return rc;
    if (present && c->shared->gpu_memory_bytes > 0 && c->shared->gpus < 1 &&
        c->shared->gpu_share_milli == 0)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: gpu-memory=\"%s\" but the component asks "
                            "for no GPU (add gpus=\"1\" or a share such as "
                            "gpus=\"0.25\")", who, ts__attr(el, "gpu-memory"));
    return TS_OK;
}

static int add_component(builder *b, const xmlNode *el)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    const char *id = ts__attr(el, "id");
    char who[320];
    ts__who_of(el, who, sizeof who);
    ts_scenario_component *cs = ts__grow(s->components, &b->cap_components,
                                     s->n_components, sizeof *cs);
    if (!cs)
        return ts__oom(b, line);
    s->components = cs;
    int prev = ts__id_add(b->component_ids, id, s->n_components);
    if (prev == -2)
        return ts__oom(b, line);
    if (prev >= 0)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "duplicate component id \"%s\": the component "
                            "at line %d already uses it",
                            id, s->components[prev].line);
    int index = (int)s->n_components;
    ts_scenario_component *c = &s->components[s->n_components++];
    if (ts__component_shape_new(c))
        return ts__oom(b, line);
    c->line = line;
    c->pin = -1;
    c->trigger = -1;
    c->process = -1;
    c->backup_of = -1;
    c->zone = -1;
    c->replica_of = -1;
    c->site = -1;
    c->shared->detector = TS_DETECT_TIMEOUT;
    c->shared->misses = DEFAULT_MISSES;
    c->shared->phi_threshold = DEFAULT_PHI;
    c->shared->weight = DEFAULT_WEIGHT;
    c->id = ts_strdup(id);
    if (!c->id)
        return ts__oom(b, line);

    /* A backup starts as its primary's copy; what it gives overrides. */
    int present, rc = ts__component_backup(b, el, index);
    if (rc)
        return rc;
    int backup = c->backup_of >= 0, has_rate;
    rc = ts__bquantity(b, el, "rate", TS__Q_PERIOD, &c->shared->period_ns, NULL,
                       &has_rate);
    if (rc)
        return rc;
    rc = component_arrival(b, el, c, who, has_rate);
    if (rc)
        return rc;
    if (!has_rate && !backup && c->shared->arrival == TS_ARRIVAL_PERIODIC)
        /* the schema's words: only backups and the other arrivals omit it */
        return ts_error_set(b->L->err, TS_EPARSE, b->file, line,
                            "Element 'component': The attribute 'rate' is "
                            "required but missing (only a backup-of= "
                            "component takes its primary's); a trigger= or "
                            "arrival=\"sporadic\" component runs without one");
    rc = component_exec(b, el, c, who);
    if (rc)
        return rc;
    rc = ts__bquantity(b, el, "deadline", TS__Q_TIME, &c->shared->deadline_ns, NULL,
                  &present);
    if (rc)
        return rc;
    if (!present) {
        /* a backup with its own rate gets its own period as deadline */
        if (!backup || has_rate)
            c->shared->deadline_ns = c->shared->period_ns;
    } else if (c->shared->deadline_ns <= 0) {
        return ts__bpositive(b, el, "deadline");
    }
    rc = ts__bquantity(b, el, "offset", TS__Q_TIME, &c->shared->offset_ns, NULL, NULL);
    if (!rc)
        rc = ts__bquantity(b, el, "cpu", TS__Q_CPU, &c->shared->cpu_millicores, NULL, NULL);
    if (!rc)
        rc = ts__bquantity(b, el, "memory", TS__Q_BYTES, &c->shared->memory_bytes, NULL,
                      NULL);
    if (!rc)
        rc = parse_flags(b, el, &c->shared->flags);
    if (rc)
        return rc;
    ts__int_attr(el, "priority", &c->shared->priority);
    rc = gpu_request(b, el, c, who);
    if (rc)
        return rc;

    const char *pin = ts__attr(el, "node");
    if (pin) {
        c->pin = ts__id_find(b->node_ids, pin);
        if (c->pin < 0)
            return ts_error_set(b->L->err, TS_ENOENT, b->file, line,
                                "%s: node=\"%s\" names no node (expected "
                                "the id of a computer, jetson, server or "
                                "node to pin it to)", who, pin);
        if (s->nodes[c->pin].kind == TS_NODE_SWITCH)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                "%s: node=\"%s\" is a switch, which forwards "
                                "but never runs components (pin it to a "
                                "computer, jetson, server or node)",
                                who, pin);
    }
    rc = component_scheduling(b, el, c, who);
    if (!rc)
        rc = ts__variety_component(b, el, index);
    if (!rc)
        rc = ts__component_deploy(b, el, index);
    return rc;
}

int ts__component_rebuild(builder *b, const xmlNode *el, ts_scenario_component *out)
{
    /* Built in the next slot under its template's id, which is lent to it
     * for the while, then taken back out. */
    ts_scenario *s = b->s;
    size_t n = s->n_components;
    const char *id = ts__attr(el, "id");
    int tmpl = ts__id_find(b->component_ids, id);
    xmlHashRemoveEntry(b->component_ids, BAD_CAST id, NULL);
    int rc = add_component(b, el);
    memset(out, 0, sizeof *out);
    if (s->n_components > n) {
        *out = s->components[n];
        memset(&s->components[n], 0, sizeof s->components[n]);
    }
    s->n_components = n;
    xmlHashRemoveEntry(b->component_ids, BAD_CAST id, NULL);
    if (tmpl >= 0 && ts__id_add(b->component_ids, id, (size_t)tmpl) == -2)
        return ts__oom(b, ts__line(el));
    return rc;
}

/* ---- topics -------------------------------------------------------------- */

static int topic_subscribers(builder *b, const xmlNode *el,
                             ts_scenario_topic *t)
{
    int line = ts__line(el);
    const char *list = ts__attr(el, "subscribers");
    size_t len = strlen(list);
    /* At most one subscriber per two characters ("a b c"). */
    t->subscribers = ts_malloc((len / 2 + 1) * sizeof *t->subscribers);
    char *copy = ts_malloc(len + 1);
    if (!t->subscribers || !copy) {
        ts_free(copy);
        return ts__oom(b, line);
    }
    memcpy(copy, list, len + 1);
    int rc = TS_OK;
    char *p = copy;
    while (*p && !rc) {
        while (is_blank(*p))
            p++;
        if (!*p)
            break;
        char *start = p;
        while (*p && !is_blank(*p))
            p++;
        if (*p)
            *p++ = '\0';
        int c = ts__id_find(b->component_ids, start);
        if (c < 0) {
            rc = ts_error_set(b->L->err, TS_ENOENT, b->file, line,
                              "topic %s: subscriber \"%s\" names no "
                              "component (subscribers=\"...\" lists "
                              "component ids)", t->id, start);
            break;
        }
        for (size_t i = 0; i < t->n_subscribers; i++)
            if (t->subscribers[i] == c)
                rc = ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                  "topic %s: subscriber \"%s\" is listed "
                                  "twice", t->id, start);
        if (!rc)
            t->subscribers[t->n_subscribers++] = c;
    }
    ts_free(copy);
    return rc;
}

/* size=, or a <size> distribution (of bytes), which then sets size_bytes
 * to its largest value, or to its mean when it has no largest. */
static int topic_size(builder *b, const xmlNode *el, ts_scenario_topic *t, const char *who)
{
    const xmlNode *dist = ts__child_named(el, "size");
    int present;
    int rc = ts__bquantity(b, el, "size", TS__Q_BYTES, &t->size_bytes, NULL, &present);
    if (rc)
        return rc;
    if (!dist) {
        if (!present)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, ts__line(el),
                                "%s: no message size given (set size=\"...\" or "
                                "add a <size dist=...> element)", who);
        return t->size_bytes <= 0 ? ts__bpositive(b, el, "size") : TS_OK;
    }
    int line = ts__line(dist);
    char dwho[360];
    snprintf(dwho, sizeof dwho, "%s <size>", who);
    if (present)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: size=\"%s\" and a <size> distribution both "
                            "give the message size (keep one)", dwho,
                            ts__attr(el, "size"));
    ts_dist *d = ts_calloc(1, sizeof *d);
    if (!d)
        return ts__oom(b, line);
    t->size_dist = d;
    ts__at at = {b->L->err, b->file, dwho, b->L->owner};
    rc = ts__dist_read_as(&at, dist, TS__Q_BYTES, d);
    if (rc)
        return rc;
    if (d->kind == TS_DIST_NONE)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: dist=\"none\" gives no size (use size= or "
                            "pick a distribution)", dwho);
    double v = ts_dist_max(d);
    if (!isfinite(v))
        v = ts_dist_mean(d);
    if (!isfinite(v) || !(v < 9.2e18))
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: the distribution has no finite mean (a "
                            "Pareto size needs shape > 1)", dwho);
    t->size_bytes = llround(v);
    if (t->size_bytes <= 0)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: the message size must be greater than 0", dwho);
    return TS_OK;
}

static int add_topic(builder *b, const xmlNode *el)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    const char *id = ts__attr(el, "id");
    char who[320];
    ts__who_of(el, who, sizeof who);
    ts_scenario_topic *ts = ts__grow(s->topics, &b->cap_topics, s->n_topics,
                                 sizeof *ts);
    if (!ts)
        return ts__oom(b, line);
    s->topics = ts;
    int prev = ts__id_add(b->topic_ids, id, s->n_topics);
    if (prev == -2)
        return ts__oom(b, line);
    if (prev >= 0)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "duplicate topic id \"%s\": the topic at line "
                            "%d already uses it",
                            id, s->topics[prev].line);
    ts_scenario_topic *t = &s->topics[s->n_topics++];
    ts__topic_init(t);
    t->line = line;
    t->id = ts_strdup(id);
    if (!t->id)
        return ts__oom(b, line);

    const char *pub = ts__attr(el, "publisher");
    t->publisher = ts__id_find(b->component_ids, pub);
    if (t->publisher < 0)
        return ts_error_set(b->L->err, TS_ENOENT, b->file, line,
                            "%s: publisher=\"%s\" names no component "
                            "(expected the id of a <component>)", who, pub);
    int rc = topic_subscribers(b, el, t);
    if (!rc)
        rc = topic_size(b, el, t, who);
    if (rc)
        return rc;
    int present;
    rc = ts__bquantity(b, el, "rate", TS__Q_PERIOD, &t->period_ns, NULL, &present);
    if (rc)
        return rc;
    const ts_scenario_component *p = &s->components[t->publisher];
    if (present && t->period_ns < p->shared->period_ns) {
        char tp[32], pp[32];
        ts__format_ns(t->period_ns, tp, sizeof tp);
        ts__format_ns(p->shared->period_ns, pp, sizeof pp);
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: rate=\"%s\" (every %s) is faster than its "
                            "publisher %s runs (every %s); a topic is "
                            "published at most once per publisher job",
                            who, ts__attr(el, "rate"), tp, p->id, pp);
    }
    rc = ts__bquantity(b, el, "budget", TS__Q_TIME, &t->budget_ns, NULL,
                       NULL);
    if (!rc)
        rc = ts__topic_qos(b, el, t);
    if (!rc)
        rc = ts__topic_transport(b, el, t);
    return rc;
}

int ts__topic_rebuild(builder *b, const xmlNode *el, ts_scenario_topic *out)
{
    /* as ts__component_rebuild */
    ts_scenario *s = b->s;
    size_t n = s->n_topics;
    const char *id = ts__attr(el, "id");
    int tmpl = ts__id_find(b->topic_ids, id);
    xmlHashRemoveEntry(b->topic_ids, BAD_CAST id, NULL);
    int rc = add_topic(b, el);
    memset(out, 0, sizeof *out);
    ts__topic_init(out);
    if (s->n_topics > n) {
        *out = s->topics[n];
        memset(&s->topics[n], 0, sizeof s->topics[n]);
    }
    s->n_topics = n;
    xmlHashRemoveEntry(b->topic_ids, BAD_CAST id, NULL);
    if (tmpl >= 0 && ts__id_add(b->topic_ids, id, (size_t)tmpl) == -2)
        return ts__oom(b, ts__line(el));
    return rc;
}

int ts__node_rebuild(builder *b, const xmlNode *el, int kind, int site, ts_scenario_node *out)
{
    /* as ts__component_rebuild */
    ts_scenario *s = b->s;
    size_t n = s->n_nodes;
    const char *id = ts__attr(el, "id");
    int tmpl = ts__id_find(b->node_ids, id);
    xmlHashRemoveEntry(b->node_ids, BAD_CAST id, NULL);
    int rc = add_node(b, el, (ts_node_kind)kind, site);
    memset(out, 0, sizeof *out);
    if (s->n_nodes > n) {
        *out = s->nodes[n];
        memset(&s->nodes[n], 0, sizeof s->nodes[n]);
    }
    s->n_nodes = n;
    xmlHashRemoveEntry(b->node_ids, BAD_CAST id, NULL);
    if (tmpl >= 0 && ts__id_add(b->node_ids, id, (size_t)tmpl) == -2)
        return ts__oom(b, ts__line(el));
    return rc;
}

int ts__link_rebuild(builder *b, const xmlNode *el, ts_scenario_link *out)
{
    /* as ts__component_rebuild */
    ts_scenario *s = b->s;
    size_t n = s->n_links;
    const char *id = ts__attr(el, "id");
    int tmpl = ts__id_find(b->link_ids, id);
    xmlHashRemoveEntry(b->link_ids, BAD_CAST id, NULL);
    int rc = add_link(b, el);
    memset(out, 0, sizeof *out);
    if (s->n_links > n) {
        *out = s->links[n];
        memset(&s->links[n], 0, sizeof s->links[n]);
    }
    s->n_links = n;
    xmlHashRemoveEntry(b->link_ids, BAD_CAST id, NULL);
    if (tmpl >= 0 && ts__id_add(b->link_ids, id, (size_t)tmpl) == -2)
        return ts__oom(b, ts__line(el));
    return rc;
}

/* ---- faults -------------------------------------------------------------- */

/* Resolves attr (an id of kind `what`) through table; -1 with an error
 * when it names nothing. */
static int fault_ref(builder *b, const xmlNode *el, const char *attr,
                     xmlHashTablePtr table, const char *what, int *out)
{
    const char *v = ts__attr(el, attr);
    *out = ts__id_find(table, v);
    if (*out >= 0)
        return TS_OK;
    return ts_error_set(b->L->err, TS_ENOENT, b->file, ts__line(el),
                        "%s: %s=\"%s\" names no %s", el_name(el), attr, v,
                        what);
}

/* partition links="a b": every id a link, none twice. */
static int fault_links(builder *b, const xmlNode *el, ts_scenario_fault *f)
{
    int line = ts__line(el);
    const char *list = ts__attr(el, "links");
    size_t len = strlen(list);
    f->links = ts_malloc((len / 2 + 1) * sizeof *f->links);
    if (!f->links)
        return ts__oom(b, line);
    for (const char *p = list; *p;) {
        while (is_blank(*p))
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && !is_blank(*p))
            p++;
        char id[256];
        size_t n = (size_t)(p - start);
        int k = -1;
        if (n < sizeof id) {
            memcpy(id, start, n);
            id[n] = '\0';
            /* a link, or (fleet_variety.c) a copy's */
            int rc = ts__variety_partition_link(b, el, id, &k);
            if (rc)
                return rc;
        } else {
            snprintf(id, sizeof id, "%.*s...", 200, start);
        }
        if (k == -1)
            return ts_error_set(b->L->err, TS_ENOENT, b->file, line,
                                "partition: links=\"...\" names \"%s\", "
                                "which is no link", id);
        for (size_t i = 0; i < f->n_links; i++) {
            int r1, r2;
            const ts__variety *v = b->L->variety;
            int same = f->links[i] == k ||
                       (k < -1 && f->links[i] < -1 &&
                        ts__variety_pending(v, k, TS__REF_LINK, &r1) ==
                            ts__variety_pending(v, f->links[i], TS__REF_LINK, &r2) &&
                        r1 == r2);
            if (same)
                return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                    "partition: link \"%s\" is listed twice",
                                    id);
        }
        f->links[f->n_links++] = k;
    }
    return TS_OK;
}

static int add_fault(builder *b, const xmlNode *el)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    ts_scenario_fault *fs = ts__grow(s->faults, &b->cap_faults, s->n_faults,
                                 sizeof *fs);
    if (!fs)
        return ts__oom(b, line);
    s->faults = fs;
    ts_scenario_fault *f = &s->faults[s->n_faults++];
    f->line = line;
    f->target = -1;
    f->mode = -1;
    f->robot = -1;
    int rc = ts__bquantity(b, el, "at", TS__Q_TIME, &f->at_ns, NULL, NULL);
    if (!rc)
        rc = ts__bquantity(b, el, "duration", TS__Q_TIME, &f->duration_ns, NULL,
                      NULL);
    if (rc)
        return rc;
    ts__at at = {b->L->err, b->file, el_name(el), b->L->owner};

    if (named(el, "link-down") || named(el, "loss-burst") ||
        named(el, "latency-spike")) {
        rc = ts__variety_fault_ref(b, el, "link", TS__REF_LINK, &f->target, &f->robot);
        if (rc)
            return rc;
        if (named(el, "link-down")) {
            f->kind = TS_FAULT_LINK_DOWN;
        } else if (named(el, "loss-burst")) {
            f->kind = TS_FAULT_LOSS_BURST;
            return ts__loss_read(&at, el, &f->loss, 0);
        } else {
            f->kind = TS_FAULT_LATENCY_SPIKE;
            rc = ts__bquantity(b, el, "extra", TS__Q_TIME, &f->extra_ns, NULL,
                          NULL);
            if (rc)
                return rc;
            if (f->extra_ns <= 0)
                return ts__bpositive(b, el, "extra");
            f->value = (double)f->extra_ns;
        }
        return TS_OK;
    }
    if (named(el, "ambient")) {
        f->kind = TS_FAULT_AMBIENT;
        if (ts__attr(el, "node")) {
            rc = ts__variety_fault_ref(b, el, "node", TS__REF_NODE, &f->target, &f->robot);
            if (rc)
                return rc;
            const ts_scenario_node *n = &s->nodes[f->target];
            if (!n->has_thermal)
                return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                    "ambient: node \"%s\" has no thermal "
                                    "model, so its ambient temperature "
                                    "changes nothing (give it <thermal> or "
                                    "a model that has one)", n->id);
        }
        return ts__bquantity(b, el, "temperature", TS__Q_CELSIUS, NULL, &f->value,
                        NULL);
    }
    if (named(el, "power-mode")) {
        f->kind = TS_FAULT_POWER_MODE;
        rc = ts__variety_fault_ref(b, el, "node", TS__REF_NODE, &f->target, &f->robot);
        if (rc)
            return rc;
        ts_scenario_node *n = &s->nodes[f->target];
        const char *mode = ts__attr(el, "mode");
        for (size_t i = 0; n->has_power && i < n->power->n_modes; i++)
            if (ts__token_eq(n->power->modes[i].name, mode)) {
                f->mode = (int)i;
                f->value = (double)i;
                return TS_OK;
            }
        /* Reuse the node's own message: it lists the modes there are. */
        char who[320];
        snprintf(who, sizeof who, "power-mode: node %s", n->id);
        int initial = n->power->initial_mode;
        rc = node_mode(b, el, n, who);
        n->power->initial_mode = initial;
        return rc ? rc
                  : ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                 "power-mode: no mode \"%s\"", mode);
    }
    if (named(el, "medium-change")) {
        f->kind = TS_FAULT_MEDIUM;
        rc = fault_ref(b, el, "medium", b->medium_ids, "medium", &f->target);
        if (!rc)
            rc = ts__bquantity(b, el, "capacity", TS__Q_BITRATE, NULL, &f->value,
                          NULL);
        if (!rc)
            rc = ts__bquantity(b, el, "latency", TS__Q_TIME, &f->extra_ns, NULL,
                          NULL);
        if (rc)
            return rc;
        if (!(f->value > 0))
            return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                "medium-change: capacity=\"%s\" must be "
                                "greater than 0", ts__attr(el, "capacity"));
        return TS_OK;
    }
    if (named(el, "node-crash")) {
        f->kind = TS_FAULT_NODE_CRASH;
        return ts__variety_fault_ref(b, el, "node", TS__REF_NODE, &f->target, &f->robot);
    }
    if (named(el, "component-crash")) {
        f->kind = TS_FAULT_COMPONENT_CRASH;
        return ts__variety_fault_ref(b, el, "component", TS__REF_COMPONENT, &f->target,
                                     &f->robot);
    }
    f->kind = TS_FAULT_PARTITION;
    return fault_links(b, el, f);
}

/* Stable merge sort of the faults by time: equal times keep document
 * order, which the timeline relies on for reproducible tie-breaking. */
static int sort_faults(builder *b)
{
    ts_scenario *s = b->s;
    size_t n = s->n_faults;
    if (n < 2)
        return TS_OK;
    ts_scenario_fault *tmp = ts_malloc(n * sizeof *tmp);
    if (!tmp)
        return ts__oom(b, 0);
    ts_scenario_fault *src = s->faults, *dst = tmp;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = src[j].at_ns < src[i].at_ns ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        ts_scenario_fault *t = src;
        src = dst;
        dst = t;
    }
    if (src != s->faults)
        memcpy(s->faults, src, n * sizeof *src);
    ts_free(tmp);
    return TS_OK;
}

/* ---- triggers ------------------------------------------------------------ */

/* Points component i (and its replicas) at the topic its trigger= names,
 * which it must subscribe to. */
static int trigger_topic(builder *b, const xmlNode *el, int i, const char *name)
{
    ts_scenario *s = b->s;
    int t = ts__id_find(b->topic_ids, name);
    if (t < 0)
        return ts_error_set(b->L->err, TS_ENOENT, b->file, ts__line(el),
                            "component %s: trigger=\"%s\" names no topic "
                            "(expected the id of a <topic> it subscribes to)",
                            s->components[i].id, name);
    for (size_t k = 0; k < s->n_components; k++) {
        ts_scenario_component *c = &s->components[k];
        if ((int)k != i && c->replica_of != i)
            continue;
        const ts_scenario_topic *tp = &s->topics[t];
        int subscribes = 0;
        for (size_t m = 0; m < tp->n_subscribers; m++)
            subscribes |= tp->subscribers[m] == (int)k;
        if (!subscribes)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, ts__line(el),
                                "component %s: trigger=\"%s\" names a topic it "
                                "does not subscribe to (add %s to the "
                                "subscribers= of topic %s at line %d)",
                                c->id, name, c->id, name, tp->line);
        c->trigger = t;
    }
    return TS_OK;
}

/* A triggered component's period: its topic's rate=, else its publisher's
 * period (resolved first when the publisher is triggered too); a loop of
 * triggers never runs and is refused. state: 0 not seen, 1 on the path,
 * 2 done. */
static int trigger_period(builder *b, int i, unsigned char *state)
{
    ts_scenario *s = b->s;
    ts_scenario_component *c = &s->components[i];
    if (state[i] == 2 || c->shared->arrival != TS_ARRIVAL_TRIGGER)
        return TS_OK;
    const ts_scenario_topic *tp = &s->topics[c->trigger];
    if (state[i] == 1)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, c->line,
                            "component %s: its trigger=\"%s\" comes back to it "
                            "through a loop of triggered components, so none "
                            "of them would ever run (give one of them a rate= "
                            "or an arrival=)", c->id, tp->id);
    state[i] = 1;
    int rc = trigger_period(b, tp->publisher, state);
    if (rc)
        return rc;
    state[i] = 2;
    /* A fleet's copies share the shape: set once, the same for each. */
    c->shared->period_ns = tp->period_ns > 0 ? tp->period_ns
                                             : s->components[tp->publisher].shared->period_ns;
    if (c->shared->deadline_ns == 0)
        c->shared->deadline_ns = c->shared->period_ns;
    if (c->shared->n_versions > 0 && c->shared->versions[0].period_ns == 0)
        c->shared->versions[0].period_ns = c->shared->period_ns;
    return TS_OK;
}

/* After the topics: trigger= names a topic the component subscribes to;
 * a backup without its own trigger= follows its primary's topic. */
static int resolve_triggers(builder *b, const xmlNode *sec)
{
    ts_scenario *s = b->s;
    for (const xmlNode *el = first_child(sec); el; el = next_sibling(el)) {
        const char *name = ts__attr(el, "trigger");
        if (!name)
            continue;
        int rc = trigger_topic(b, el, ts__id_find(b->component_ids, ts__attr(el, "id")), name);
        if (rc)
            return rc;
    }
    for (size_t k = 0; k < s->n_components; k++) {
        ts_scenario_component *c = &s->components[k];
        if (c->shared->arrival != TS_ARRIVAL_TRIGGER || c->trigger >= 0)
            continue;
        /* only a backup of a triggered primary gets here */
        const ts_scenario_component *pr = &s->components[c->backup_of];
        const ts_scenario_topic *tp = &s->topics[pr->trigger];
        int subscribes = 0;
        for (size_t m = 0; m < tp->n_subscribers; m++)
            subscribes |= tp->subscribers[m] == (int)k;
        if (!subscribes)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, c->line,
                                "component %s: a backup of %s, which runs on "
                                "samples of %s, but it does not subscribe to %s "
                                "(add it to the subscribers= at line %d, or give "
                                "it a rate=)", c->id, pr->id, tp->id, tp->id, tp->line);
        c->trigger = pr->trigger;
    }
    unsigned char *state = ts_calloc(s->n_components ? s->n_components : 1, 1);
    if (!state)
        return ts__oom(b, 0);
    int rc = TS_OK;
    for (size_t k = 0; k < s->n_components && !rc; k++)
        rc = trigger_period(b, (int)k, state);
    ts_free(state);
    return rc;
}

/* ---- processes ----------------------------------------------------------- */

/* <process id= executor= threads= components="a b c">: every component
 * named once, in no other process, all pinned to the same node. */
static int add_process(builder *b, const xmlNode *el)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    const char *id = ts__attr(el, "id");
    for (size_t i = 0; i < s->n_processes; i++)
        if (!strcmp(s->processes[i].id, id))
            return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                "duplicate process id \"%s\": the process at "
                                "line %d already uses it", id, s->processes[i].line);
    ts_scenario_process *ps = ts_realloc(s->processes, (s->n_processes + 1) * sizeof *ps);
    if (!ps)
        return ts__oom(b, line);
    s->processes = ps;
    int index = (int)s->n_processes;
    ts_scenario_process *p = &s->processes[s->n_processes++];
    memset(p, 0, sizeof *p);
    p->line = line;
    p->id = ts_strdup(id);
    const char *list = ts__attr(el, "components");
    size_t len = strlen(list);
    p->components = ts_malloc((len / 2 + 1) * sizeof *p->components);
    char *copy = ts_strdup(list);
    if (!p->id || !p->components || !copy) {
        ts_free(copy);
        return ts__oom(b, line);
    }
    const char *kind = ts__attr(el, "executor");
    p->executor = !kind || ts__token_eq(kind, "single-threaded") ? TS_EXECUTOR_SINGLE_THREADED
                  : ts__token_eq(kind, "multi-threaded")         ? TS_EXECUTOR_MULTI_THREADED
                                                                 : TS_EXECUTOR_EVENTS;
    p->threads = 1;
    int has_threads = ts__int_attr(el, "threads", &p->threads);
    int rc = TS_OK;
    if (has_threads && p->executor != TS_EXECUTOR_MULTI_THREADED)
        rc = ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                          "process %s: threads= applies to executor=\"multi-threaded\" "
                          "(the %s executor has one thread)", id, kind ? kind : "single-threaded");
    else if (p->executor == TS_EXECUTOR_MULTI_THREADED && !has_threads)
        rc = ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                          "process %s: executor=\"multi-threaded\" needs threads= (rclcpp "
                          "defaults to the machine's cores; say how many)", id);
    else if (p->threads < 1)
        rc = ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                          "process %s: threads=\"%s\" must be at least 1", id,
                          ts__attr(el, "threads"));
    for (char *q = copy; !rc && *q;) {
        while (is_blank(*q))
            q++;
        if (!*q)
            break;
        char *start = q;
        while (*q && !is_blank(*q))
            q++;
        if (*q)
            *q++ = '\0';
        int c = ts__id_find(b->component_ids, start);
        if (c < 0) {
            rc = ts_error_set(b->L->err, TS_ENOENT, b->file, line,
                              "process %s: component \"%s\" names no component", id, start);
            break;
        }
        ts_scenario_component *cp = &s->components[c];
        if (cp->process >= 0) {
            rc = ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                              "process %s: component %s is already in process %s (a "
                              "component runs in one process)", id, start,
                              s->processes[cp->process].id);
            break;
        }
        if (cp->pin < 0 || (p->n_components > 0 &&
                            cp->pin != s->components[p->components[0]].pin)) {
            rc = ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                              "process %s: component %s must be pinned (node=) to the "
                              "node of the process's other components%s%s (a process "
                              "runs on one node)", id, start,
                              p->n_components ? ", " : "",
                              p->n_components ? s->nodes[s->components[p->components[0]].pin].id
                                              : "");
            break;
        }
        cp->process = index;
        p->components[p->n_components++] = c;
    }
    ts_free(copy);
    if (!rc && p->n_components == 0)
        rc = ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                          "process %s: components= lists no component", id);
    return rc;
}

/* ---- the walk ------------------------------------------------------------ */

static int walk(builder *b, const xmlNode *root)
{
    int rc = scenario_attrs(b, root);
    if (!rc)
        rc = walk_platform(b, ts__child_named(root, "platform"));
    if (!rc)
        rc = ts__walk_transport(b, ts__child_named(root, "platform"));
    if (!rc)
        rc = ts__walk_config(b, ts__child_named(root, "config"));
    if (!rc)
        rc = ts__walk_profiles(b, ts__child_named(root, "qos-profiles"));
    const xmlNode *policies = ts__child_named(root, "policies");
    if (!rc)
        rc = ts__walk_zones(b, policies);
    const xmlNode *sec = ts__child_named(root, "components");
    for (const xmlNode *c = first_child(sec); c && !rc; c = next_sibling(c))
        rc = add_component(b, c);
    if (!rc)
        rc = ts__check_backups(b);
    const xmlNode *components = sec;
    sec = ts__child_named(root, "topics");
    for (const xmlNode *c = first_child(sec); c && !rc; c = next_sibling(c))
        rc = add_topic(b, c);
    if (!rc)
        rc = resolve_triggers(b, components);
    sec = ts__child_named(root, "processes");
    for (const xmlNode *c = first_child(sec); c && !rc; c = next_sibling(c))
        rc = add_process(b, c);
    if (!rc)
        rc = ts__walk_chains(b, ts__child_named(root, "chains"));
    if (!rc)
        rc = ts__walk_services(b, ts__child_named(root, "services"));
    if (!rc)
        rc = ts__walk_allows(b, policies);
    for (const xmlNode *c = first_child(root); c && !rc; c = next_sibling(c))
        if (named(c, "fleet"))
            rc = ts__add_fleet(b, c);
    if (!rc)
        rc = ts__walk_rollouts(b, ts__child_named(root, "rollouts"));
    if (!rc)
        rc = ts__walk_requirements(b, ts__child_named(root, "requirements"));
    sec = ts__child_named(root, "faults");
    for (const xmlNode *c = first_child(sec); c && !rc; c = next_sibling(c))
        rc = add_fault(b, c);
    if (!rc)
        rc = sort_faults(b);
    if (!rc)
        rc = ts__walk_discovery(b, ts__child_named(root, "discovery"));
    return rc;
}

int ts__build(ts__loader *L, const xmlNode *root, ts_scenario *s)
{
    builder b;
    memset(&b, 0, sizeof b);
    b.L = L;
    b.s = s;
    b.file = L->file;
    b.site_ids = xmlHashCreate(16);
    b.node_ids = xmlHashCreate(64);
    b.link_ids = xmlHashCreate(64);
    b.component_ids = xmlHashCreate(64);
    b.topic_ids = xmlHashCreate(64);
    b.medium_ids = xmlHashCreate(16);
    b.profile_ids = xmlHashCreate(16);
    b.zone_ids = xmlHashCreate(16);
    b.service_ids = xmlHashCreate(16);
    int rc;
    if (!b.site_ids || !b.node_ids || !b.link_ids || !b.component_ids ||
        !b.topic_ids || !b.medium_ids || !b.profile_ids || !b.zone_ids ||
        !b.service_ids)
        rc = ts__oom(&b, 0);
    else
        rc = walk(&b, root);
    xmlHashFree(b.site_ids, NULL);
    xmlHashFree(b.node_ids, NULL);
    xmlHashFree(b.link_ids, NULL);
    xmlHashFree(b.component_ids, NULL);
    xmlHashFree(b.topic_ids, NULL);
    xmlHashFree(b.medium_ids, NULL);
    xmlHashFree(b.profile_ids, NULL);
    xmlHashFree(b.zone_ids, NULL);
    xmlHashFree(b.service_ids, NULL);
    return rc;
}
