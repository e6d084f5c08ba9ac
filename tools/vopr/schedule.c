/* Random fault schedules written into a scenario's document (schedule.h). */
#include "schedule.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "toposim/sim.h"

#define MS 1000000LL

static const char *const fault_names[VOPR_FAULT_KINDS] = {
    "node-crash", "component-crash", "link-down", "partition", "loss-burst",
    "latency-spike", "medium-change", "ambient", "power-mode"};

/* How often each kind is drawn, among those the scenario has targets
 * for: crashes most (they exercise failover and safe state), the
 * network next, the platform's slow dynamics least. */
static const unsigned kind_weight[VOPR_FAULT_KINDS] = {3, 3, 2, 1, 2, 2, 1, 1, 1};

const char *vopr_fault_name(int kind)
{
    return kind >= 0 && kind < VOPR_FAULT_KINDS ? fault_names[kind] : "?";
}

/* Ids a fault may name. Fleet copies (robot "_rK" and what it holds)
 * are made after the document's ids are resolved, so faults name the
 * template's items only. */
typedef struct targets {
    int *nodes, *components, *links, *thermal, *powered;
    size_t n_nodes, n_components, n_links, n_thermal, n_powered;
} targets;

static int node_is_copy(const ts_scenario *s, int node)
{
    int site = s->nodes[node].site;
    return site >= 0 && s->sites[site].fleet_member > 0;
}

static void targets_free(targets *t)
{
    free(t->nodes);
    free(t->components);
    free(t->links);
    free(t->thermal);
    free(t->powered);
}

static int targets_of(const ts_scenario *s, targets *t)
{
    memset(t, 0, sizeof *t);
    size_t nn = s->n_nodes + 1, nc = s->n_components + 1, nl = s->n_links + 1;
    t->nodes = malloc(nn * sizeof *t->nodes);
    t->thermal = malloc(nn * sizeof *t->thermal);
    t->powered = malloc(nn * sizeof *t->powered);
    t->components = malloc(nc * sizeof *t->components);
    t->links = malloc(nl * sizeof *t->links);
    if (!t->nodes || !t->thermal || !t->powered || !t->components || !t->links) {
        targets_free(t);
        return TS_ENOMEM;
    }
    for (size_t i = 0; i < s->n_nodes; i++) {
        if (node_is_copy(s, (int)i))
            continue;
        t->nodes[t->n_nodes++] = (int)i;
        if (s->nodes[i].has_thermal)
            t->thermal[t->n_thermal++] = (int)i;
        if (s->nodes[i].has_power && s->nodes[i].power->n_modes > 0)
            t->powered[t->n_powered++] = (int)i;
    }
    for (size_t i = 0; i < s->n_components; i++)
        if (s->components[i].fleet_member <= 0)
            t->components[t->n_components++] = (int)i;
    for (size_t i = 0; i < s->n_links; i++)
        if (!node_is_copy(s, s->links[i].a) && !node_is_copy(s, s->links[i].b))
            t->links[t->n_links++] = (int)i;
    return TS_OK;
}

static size_t targets_for(const ts_scenario *s, const targets *t, int kind)
{
    switch (kind) {
    case VOPR_NODE_CRASH: return t->n_nodes;
    case VOPR_COMPONENT_CRASH: return t->n_components;
    case VOPR_LINK_DOWN:
    case VOPR_LOSS_BURST:
    case VOPR_LATENCY_SPIKE: return t->n_links;
    case VOPR_PARTITION: return t->n_links >= 2 ? t->n_links : 0;
    case VOPR_MEDIUM_CHANGE: return s->n_media;
    case VOPR_AMBIENT: return t->n_thermal;
    case VOPR_POWER_MODE: return t->n_powered;
    }
    return 0;
}

/* ---- drawing ---- */

static size_t pick(gsl_rng *r, size_t n)
{
    return (size_t)gsl_rng_uniform_int(r, (unsigned long)n);
}

/* Log-uniform in [lo, hi] ns: short faults (shorter than a failure
 * detector's timeout, racing it) are drawn as often as long ones. */
static int64_t log_uniform(gsl_rng *r, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return lo;
    double x = exp(log((double)lo) + gsl_rng_uniform(r) * (log((double)hi) - log((double)lo)));
    int64_t v = (int64_t)x;
    return v < lo ? lo : v > hi ? hi : v;
}

/* A duration attribute for a fault that may last to the end of the run
 * (absent) with probability p_forever, else log-uniform in [1 ms, max]. */
static int64_t draw_duration(gsl_rng *r, double p_forever, int64_t max)
{
    if (gsl_rng_uniform(r) < p_forever)
        return 0;
    return log_uniform(r, MS, max > 2 * MS ? max : 2 * MS);
}

static int add_attr(xmlNode *el, const char *name, const char *value)
{
    return xmlNewProp(el, BAD_CAST name, BAD_CAST value) ? TS_OK : TS_ENOMEM;
}

static int add_time(xmlNode *el, const char *name, int64_t ns)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lldns", (long long)ns);
    return add_attr(el, name, buf);
}

/* Appends one fault of `kind` to the <faults> element. */
static int add_fault(const ts_scenario *s, const targets *t, gsl_rng *r, int kind,
                     int64_t duration_ns, xmlNode *faults, vopr_schedule_info *info)
{
    xmlNode *el = xmlNewChild(faults, NULL, BAD_CAST fault_names[kind], NULL);
    if (!el)
        return TS_ENOMEM;
    /* Whole microseconds keep the document readable. */
    int64_t at = (int64_t)(gsl_rng_uniform(r) * (double)(duration_ns / 1000)) * 1000;
    int64_t span = duration_ns / 2;
    char buf[64];
    int rc = TS_OK;
    switch (kind) {
    case VOPR_NODE_CRASH: {
        rc = add_attr(el, "node", s->nodes[t->nodes[pick(r, t->n_nodes)]].id);
        int64_t d = draw_duration(r, 0.25, span);
        if (rc == TS_OK && d)
            rc = add_time(el, "duration", d);
        break;
    }
    case VOPR_COMPONENT_CRASH: {
        rc = add_attr(el, "component", s->components[t->components[pick(r, t->n_components)]].id);
        int64_t d = draw_duration(r, 0.25, span);
        if (rc == TS_OK && d)
            rc = add_time(el, "duration", d);
        break;
    }
    case VOPR_LINK_DOWN:
    case VOPR_LOSS_BURST:
    case VOPR_LATENCY_SPIKE: {
        rc = add_attr(el, "link", s->links[t->links[pick(r, t->n_links)]].id);
        int64_t d = draw_duration(r, kind == VOPR_LINK_DOWN ? 0.1 : 0.0, span);
        if (rc == TS_OK && d)
            rc = add_time(el, "duration", d);
        if (rc == TS_OK && kind == VOPR_LOSS_BURST) {
            if (gsl_rng_uniform(r) < 0.5) {
                snprintf(buf, sizeof buf, "%.1f%%", 1.0 + 99.0 * gsl_rng_uniform(r));
                rc = add_attr(el, "p", buf);
            } else {
                /* Gilbert-Elliott from a mean and a burst length needs
                 * p_good_bad = mean / ((1 - mean) burst) <= 1, i.e.
                 * mean <= burst / (1 + burst) (src/scenario's check). */
                double burst = 1.0 + 0.1 * (double)pick(r, 191);
                double most = 100.0 * burst / (1.0 + burst) - 0.2;
                if (most > 90.0)
                    most = 90.0;
                snprintf(buf, sizeof buf, "%.1f", burst);
                rc = add_attr(el, "burst", buf);
                snprintf(buf, sizeof buf, "%.1f%%", 1.0 + (most - 1.0) * gsl_rng_uniform(r));
                if (rc == TS_OK)
                    rc = add_attr(el, "mean-loss", buf);
            }
        } else if (rc == TS_OK && kind == VOPR_LATENCY_SPIKE) {
            int64_t extra = log_uniform(r, MS / 10, 100 * MS);
            if (extra > info->max_extra_latency_ns)
                info->max_extra_latency_ns = extra;
            rc = add_time(el, "extra", extra);
        }
        break;
    }
    case VOPR_PARTITION: {
        size_t most = t->n_links < 4 ? t->n_links : 4;
        size_t n = 2 + pick(r, most - 1);
        /* n distinct links: a partial Fisher-Yates shuffle of a copy. */
        int *order = malloc(t->n_links * sizeof *order);
        if (!order)
            return TS_ENOMEM;
        memcpy(order, t->links, t->n_links * sizeof *order);
        for (size_t i = 0; i < n; i++) {
            size_t j = i + pick(r, t->n_links - i);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        size_t len = 0, cap = 1;
        for (size_t i = 0; i < n; i++)
            cap += strlen(s->links[order[i]].id) + 1;
        char *list = malloc(cap);
        if (!list) {
            free(order);
            return TS_ENOMEM;
        }
        list[0] = '\0';
        for (size_t i = 0; i < n; i++)
            len += (size_t)snprintf(list + len, cap - len, "%s%s", i ? " " : "",
                                    s->links[order[i]].id);
        rc = add_attr(el, "links", list);
        free(list);
        free(order);
        int64_t d = draw_duration(r, 0.1, span);
        if (rc == TS_OK && d)
            rc = add_time(el, "duration", d);
        break;
    }
    case VOPR_MEDIUM_CHANGE: {
        const ts_scenario_medium *m = &s->media[pick(r, s->n_media)];
        rc = add_attr(el, "medium", m->id);
        int64_t d = draw_duration(r, 0.0, span);
        if (rc == TS_OK && d)
            rc = add_time(el, "duration", d);
        double cap = m->capacity_bps * (0.01 + 0.99 * gsl_rng_uniform(r));
        snprintf(buf, sizeof buf, "%.0fbps", cap > 1000 ? cap : 1000);
        if (rc == TS_OK)
            rc = add_attr(el, "capacity", buf);
        int64_t lat = (int64_t)(gsl_rng_uniform(r) * 20.0 * MS);
        if (lat > info->max_extra_latency_ns)
            info->max_extra_latency_ns = lat;
        if (rc == TS_OK)
            rc = add_time(el, "latency", lat);
        break;
    }
    case VOPR_AMBIENT: {
        /* Mostly one node; sometimes every node (no node=). */
        if (gsl_rng_uniform(r) < 0.8)
            rc = add_attr(el, "node", s->nodes[t->thermal[pick(r, t->n_thermal)]].id);
        int64_t d = draw_duration(r, 0.3, span);
        if (rc == TS_OK && d)
            rc = add_time(el, "duration", d);
        snprintf(buf, sizeof buf, "%.1fC", 70.0 * gsl_rng_uniform(r));
        if (rc == TS_OK)
            rc = add_attr(el, "temperature", buf);
        break;
    }
    case VOPR_POWER_MODE: {
        const ts_scenario_node *n = &s->nodes[t->powered[pick(r, t->n_powered)]];
        rc = add_attr(el, "node", n->id);
        if (rc == TS_OK)
            rc = add_attr(el, "mode", n->power->modes[pick(r, n->power->n_modes)].name);
        break;
    }
    }
    if (rc == TS_OK)
        rc = add_time(el, "at", at);
    info->per_kind[kind]++;
    info->n_faults++;
    return rc;
}

/* The root's <faults> child, made (last, where the schema puts it) when
 * absent. */
static xmlNode *faults_of(xmlNode *root)
{
    for (xmlNode *c = root->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, BAD_CAST "faults"))
            return c;
    return xmlNewChild(root, NULL, BAD_CAST "faults", NULL);
}

int vopr_schedule_build(const ts_scenario *s, uint64_t seed, int64_t duration_ns,
                        char **text, size_t *len, vopr_schedule_info *info,
                        ts_error *err)
{
    *text = NULL;
    *len = 0;
    memset(info, 0, sizeof *info);
    targets t;
    if (targets_of(s, &t) != TS_OK)
        return ts_error_set(err, TS_ENOMEM, s->path, 0, "out of memory");
    /* The schedule's own stream, apart from the run's (which the same
     * seed also drives, under the entities' names). */
    gsl_rng *r = ts_rng_new(seed, "vopr-schedule");
    /* The scenario text parses (the loader read it); no network, no
     * entities, big line numbers, as the loader parses it. */
    xmlDocPtr doc = r ? xmlReadMemory(s->text, (int)strlen(s->text), s->path, NULL,
                                      XML_PARSE_NONET | XML_PARSE_BIG_LINES)
                      : NULL;
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlNode *faults = root ? faults_of(root) : NULL;
    int rc = faults ? TS_OK : r && !root ? TS_EPARSE : TS_ENOMEM;
    unsigned total = 0;
    for (int k = 0; k < VOPR_FAULT_KINDS; k++)
        total += targets_for(s, &t, k) ? kind_weight[k] : 0;
    int n = rc == TS_OK && total ? 1 + (int)pick(r, 8) : 0;
    for (int i = 0; i < n && rc == TS_OK; i++) {
        unsigned w = (unsigned)pick(r, total);
        int kind = 0;
        for (; kind < VOPR_FAULT_KINDS; kind++) {
            unsigned kw = targets_for(s, &t, kind) ? kind_weight[kind] : 0;
            if (w < kw)
                break;
            w -= kw;
        }
        rc = add_fault(s, &t, r, kind, duration_ns, faults, info);
    }
    if (rc == TS_OK) {
        xmlChar *mem = NULL;
        int size = 0;
        xmlDocDumpMemory(doc, &mem, &size);
        if (mem && size > 0 && (*text = malloc((size_t)size + 1))) {
            memcpy(*text, mem, (size_t)size);
            (*text)[size] = '\0';
            *len = (size_t)size;
        } else {
            rc = TS_ENOMEM;
        }
        xmlFree(mem);
    }
    xmlFreeDoc(doc);
    if (r)
        gsl_rng_free(r);
    targets_free(&t);
    if (rc == TS_EPARSE)
        return ts_error_set(err, rc, s->path, 0, "the scenario's text does not parse");
    if (rc != TS_OK)
        return ts_error_set(err, rc, s->path, 0, "out of memory building a schedule");
    return TS_OK;
}
