/*
 * What differs between the robots of a fleet (README, "Fleet variety").
 * A fleet of N copies of one template is N robots in lockstep unless the
 * scenario says otherwise; real robots are switched on at different
 * moments and their clocks disagree, so their periodic work does not line
 * up, and a few robots differ (a camera run slower on one).
 *
 * - phase= (on a <fleet>, on a <component>, or on one robot's
 *   <robot-override>): the release phase of a component on each robot, a
 *   duration or uniform(LO,HI), each bound a duration or the word
 *   "period" (the component's own). The most specific wins: the robot's,
 *   then its overridden component's, then the component's, then the
 *   fleet's.
 * - clock-offset= (on a <fleet> or one robot): the robot's clock error
 *   against the reference, a signed duration or uniform(LO,HI). It shifts
 *   every periodic release of the robot's components. Assumption: only
 *   release times follow the robot's clock; heartbeats, timeouts and the
 *   deployment code's timers run on the reference clock.
 * - A release shifted before the start of the run is folded forward by
 *   whole periods: the component was already running, and its next
 *   release falls within the first period.
 * - uniform(LO,HI) draws from [LO, HI) with the scenario's seed, from a
 *   stream per component ("<id>/phase") and per robot ("<id>/clock-offset")
 *   (engine/rng.c), so a run is reproducible and adding a robot changes no
 *   other robot's draw.
 * - <robot-override robot="rK" set="component[ID].ATTR=VALUE"/>: the
 *   template component's element is copied, the attribute set as --set
 *   would (override.c's path syntax), the copy checked against the schema
 *   in a document of its own and built as any component is; copy K then
 *   takes the built fields. Robot r0 is the template itself, which every
 *   copy is made from, so it is changed in the template's own element
 *   instead.
 * - A fault names a copy's entity by its expanded name ("h1_rt_r3") or by
 *   the template's name with robot="r3".
 */
#include "loader.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>
#include <libxml/hash.h>
#include <libxml/tree.h>

#include "toposim/alloc.h"
#include "toposim/sim.h"
#include "toposim/units.h"

enum { T_NONE = 0, T_FIXED = 1, T_UNIFORM = 2 };

/* A phase or clock offset: fixed (lo) or uniform in [lo, hi); a bound
 * flagged as period is the component's period. */
typedef struct timing {
    unsigned char kind;
    unsigned char lo_period, hi_period;
    int line;
    int64_t lo_ns, hi_ns;
    char *text;                /* for errors found when drawing: the
                                  document's, copied (owned) */
} timing;

/* One robot's phase and clock offset. */
typedef struct robot_timing {
    int fleet, member;
    timing phase, clock;
} robot_timing;

enum { O_COMPONENT = 0, O_TOPIC = 1, O_NODE = 2, O_LINK = 3 };

/* One robot's overridden template component or topic. */
typedef struct comp_override {
    int fleet, member;
    int kind;                  /* O_COMPONENT, O_TOPIC, O_NODE or O_LINK */
    int comp;                  /* the template component's (topic's, node's,
                                  link's) index */
    int line;                  /* its first robot-override's */
    char *first_set;           /* that override's set=, for errors (owned) */
    xmlNode *el;               /* the template's element, overridden; freed
                                  once built */
    timing phase;              /* a phase= the override sets */
    ts_scenario_component built; /* owned until grafted onto the copy */
    ts_scenario_topic built_topic; /* (for a topic) */
    ts_scenario_node built_node;   /* (for a node) */
    ts_scenario_link built_link;   /* (for a link) */
    int has_built;
} comp_override;

struct ts__variety {
    timing *comp_phase;        /* by component index (originals) */
    size_t n_comp_phase;
    timing *fleet_phase, *fleet_clock; /* by fleet index */
    size_t n_fleet;
    robot_timing *robots;
    size_t n_robots, cap_robots;
    comp_override *overrides;
    size_t n_overrides, cap_overrides;
    size_t graft_at;           /* overrides before it are grafted */
    ts__pending_ref *pending;  /* partition links and expects naming copies */
    size_t n_pending, cap_pending;
    xmlHashTablePtr keys;      /* "t F K", "c F K C", "a F K C ATTR" */
};

/* ---- the record ------------------------------------------------------- */

static ts__variety *variety_of(ts__builder *b)
{
    if (!b->L->variety) {
        b->L->variety = ts_calloc(1, sizeof *b->L->variety);
        if (b->L->variety && !(b->L->variety->keys = xmlHashCreate(64))) {
            ts_free(b->L->variety);
            b->L->variety = NULL;
        }
    }
    return b->L->variety;
}

static void timing_fini(timing *t)
{
    ts_free(t->text);
    t->text = NULL;
}

/* Frees what a built override owns. */
static void built_fini(comp_override *o)
{
    if (o->kind == O_COMPONENT) {
        ts__component_fini(&o->built);
        return;
    }
    if (o->kind == O_NODE) {
        /* as ts_scenario_free frees a node */
        ts_free(o->built_node.id);
        ts_free(o->built_node.model);
        if (o->built_node.power) {
            ts__power_fini(o->built_node.power);
            ts_free(o->built_node.power);
        }
        memset(&o->built_node, 0, sizeof o->built_node);
        return;
    }
    if (o->kind == O_LINK) {
        ts_free(o->built_link.id);
        ts_free(o->built_link.model);
        ts_free(o->built_link.jitter);
        memset(&o->built_link, 0, sizeof o->built_link);
        return;
    }
    ts_free(o->built_topic.id);
    ts_free(o->built_topic.subscribers);
    ts__topic_fini(&o->built_topic);
    o->built_topic.id = NULL;
    o->built_topic.subscribers = NULL;
}

void ts__variety_free(ts__variety *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n_comp_phase; i++)
        timing_fini(&v->comp_phase[i]);
    for (size_t i = 0; i < v->n_fleet; i++) {
        timing_fini(&v->fleet_phase[i]);
        timing_fini(&v->fleet_clock[i]);
    }
    for (size_t i = 0; i < v->n_robots; i++) {
        timing_fini(&v->robots[i].phase);
        timing_fini(&v->robots[i].clock);
    }
    for (size_t i = 0; i < v->n_overrides; i++) {
        comp_override *o = &v->overrides[i];
        timing_fini(&o->phase);
        ts_free(o->first_set);
        if (o->el)
            xmlFreeNode(o->el);
        if (o->has_built)
            built_fini(o);
    }
    ts_free(v->comp_phase);
    ts_free(v->fleet_phase);
    ts_free(v->fleet_clock);
    ts_free(v->robots);
    ts_free(v->overrides);
    ts_free(v->pending);
    xmlHashFree(v->keys, NULL);
    ts_free(v);
}

/* ---- phase and clock-offset expressions ------------------------------- */

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* One bound: "period" (when allowed), "0", or a duration, signed when
 * allowed. 0 with *why set when it is none of those. */
static int read_bound(const char *p, size_t n, int allow_period, int allow_negative,
                      unsigned char *is_period, int64_t *ns, const char **why)
{
    while (n && is_blank(*p))
        p++, n--;
    while (n && is_blank(p[n - 1]))
        n--;
    char buf[64];
    if (n == 0 || n >= sizeof buf) {
        *why = "a bound is empty or too long";
        return 0;
    }
    memcpy(buf, p, n);
    buf[n] = '\0';
    *is_period = 0;
    if (!strcmp(buf, "period")) {
        if (!allow_period) {
            *why = "\"period\" is a bound of a phase only";
            return 0;
        }
        *is_period = 1;
        *ns = 0;
        return 1;
    }
    int negative = buf[0] == '-';
    if (negative && !allow_negative) {
        *why = "a phase must not be negative";
        return 0;
    }
    const char *text = buf + negative;
    if (!strcmp(text, "0")) {
        *ns = 0;
        return 1;
    }
    if (ts_unit_time(text, ns, why) != TS_OK)
        return 0;
    if (negative)
        *ns = -*ns;
    return 1;
}

/* Reads attr of el (absent: kind none). */
static int read_timing(ts__builder *b, const xmlNode *el, const char *who, const char *attr,
                       int is_phase, timing *t)
{
    const char *text = ts__attr(el, attr);
    memset(t, 0, sizeof *t);
    if (!text)
        return TS_OK;
    const char *p = text;
    while (is_blank(*p))
        p++;
    size_t n = strlen(p);
    while (n && is_blank(p[n - 1]))
        n--;
    const char *why = NULL;
    int ok;
    t->line = ts__line(el);
    if (n > 8 && !strncmp(p, "uniform(", 8) && p[n - 1] == ')') {
        const char *args = p + 8, *end = p + n - 1;
        const char *comma = memchr(args, ',', (size_t)(end - args));
        ok = comma && !memchr(comma + 1, ',', (size_t)(end - comma - 1)) &&
             read_bound(args, (size_t)(comma - args), is_phase, !is_phase, &t->lo_period,
                        &t->lo_ns, &why) &&
             read_bound(comma + 1, (size_t)(end - comma - 1), is_phase, !is_phase,
                        &t->hi_period, &t->hi_ns, &why);
        if (ok && !comma)
            why = "uniform takes two bounds";
        t->kind = T_UNIFORM;
        if (ok && !t->lo_period && !t->hi_period && t->lo_ns > t->hi_ns) {
            why = "its low bound is above its high bound";
            ok = 0;
        }
        if (ok && t->lo_period && !t->hi_period) {
            why = "its low bound is the period, so its high bound must be too";
            ok = 0;
        }
    } else {
        ok = read_bound(p, n, is_phase, !is_phase, &t->lo_period, &t->lo_ns, &why);
        t->kind = T_FIXED;
    }
    if (!ok)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, t->line,
                            "%s: %s=\"%s\": %s (%s is %s or uniform(LO,HI)%s)", who, attr,
                            text, why ? why : "not an expression", attr,
                            is_phase ? "a duration (\"12ms\")" : "a signed duration (\"-2ms\")",
                            is_phase ? " with each bound a duration or the word period"
                                     : " with each bound a signed duration");
    if (!(t->text = ts_strdup(text)))
        return ts__oom(b, t->line);
    return TS_OK;
}

/* The value of t for a component of this period; TS_EINVAL when a bound
 * past the period makes it empty. */
static int draw(const timing *t, int64_t period, gsl_rng *r, int64_t *out)
{
    int64_t lo = t->lo_period ? period : t->lo_ns;
    int64_t hi = t->hi_period ? period : t->hi_ns;
    if (t->kind == T_FIXED) {
        *out = lo;
        return TS_OK;
    }
    if (lo > hi)
        return TS_EINVAL;
    *out = lo + (int64_t)floor(gsl_rng_uniform(r) * (double)(hi - lo));
    return TS_OK;
}

/* ---- keys ------------------------------------------------------------- */

static int key_find(const ts__variety *v, const char *key)
{
    void *p = xmlHashLookup(v->keys, BAD_CAST key);
    return p ? (int)((intptr_t)p - 1) : -1;
}

static int key_add(ts__variety *v, const char *key, size_t i)
{
    return xmlHashAddEntry(v->keys, BAD_CAST key, (void *)(intptr_t)(i + 1)) ? TS_ENOMEM
                                                                             : TS_OK;
}

/* ---- the walk: components and fleets ---------------------------------- */

int ts__variety_component(ts__builder *b, const xmlNode *el, int index)
{
    if (!ts__attr(el, "phase"))
        return TS_OK;
    ts__variety *v = variety_of(b);
    if (!v)
        return ts__oom(b, ts__line(el));
    if ((size_t)index >= v->n_comp_phase) {
        size_t n = (size_t)index + 1 + (size_t)index / 2;
        timing *t = ts_realloc(v->comp_phase, n * sizeof *t);
        if (!t)
            return ts__oom(b, ts__line(el));
        memset(t + v->n_comp_phase, 0, (n - v->n_comp_phase) * sizeof *t);
        v->comp_phase = t;
        v->n_comp_phase = n;
    }
    char who[320];
    ts__who_of(el, who, sizeof who);
    timing_fini(&v->comp_phase[index]);
    return read_timing(b, el, who, "phase", 1, &v->comp_phase[index]);
}

/* An error at el's line. */
#define err_at(b, code, el, ...) \
    ts_error_set((b)->L->err, (code), (b)->file, ts__line(el), __VA_ARGS__)

/* robot="rK" (the schema's pattern) within the fleet: K, or -1 with an
 * error. */
static int robot_number(ts__builder *b, const xmlNode *el, const ts_scenario_fleet *f)
{
    const char *r = ts__attr(el, "robot");
    char *end;
    long k = strtol(r + 1, &end, 10);
    if (r[0] != 'r' || end == r + 1 || *end || k < 0 || k >= f->count) {
        char last[32];
        snprintf(last, sizeof last, "r%d", f->count - 1);
        err_at(b, TS_EINVAL, el, "fleet %s: robot=\"%s\" names no robot of it (its robots "
               "are r0, the template, to %s)", f->id, r, last);
        return -1;
    }
    return (int)k;
}

static robot_timing *robot_entry(ts__builder *b, ts__variety *v, int fleet, int member,
                                 const xmlNode *el)
{
    char key[64];
    snprintf(key, sizeof key, "t %d %d", fleet, member);
    int i = key_find(v, key);
    if (i >= 0)
        return &v->robots[i];
    robot_timing *r = ts__grow(v->robots, &v->cap_robots, v->n_robots, sizeof *r);
    if (!r || key_add(v, key, v->n_robots)) {
        if (r)
            v->robots = r;
        ts__oom(b, ts__line(el));
        return NULL;
    }
    v->robots = r;
    r = &v->robots[v->n_robots++];
    r->fleet = fleet;
    r->member = member;
    return r;
}

/* The <component> (<topic>) element whose id is `id`, in the document's
 * section of them. */
static const xmlNode *section_element(const xmlNode *fleet_el, const char *section,
                                      const char *id)
{
    const xmlNode *comps = ts__child_named(fleet_el->parent, section);
    for (const xmlNode *c = comps ? ts__first_child(comps) : NULL; c; c = ts__next_sibling(c)) {
        const char *cid = ts__attr(c, "id");
        if (cid && !strcmp(cid, id))
            return c;
    }
    return NULL;
}

/* Attributes a robot may not change: what makes the component (topic)
 * the same one on every robot, or other components, and what the copies
 * share with their template (a topic's QoS). */
static const char *const FIXED_ATTRIBUTES[] = {"id", "replicas", "backup-of", "robot", NULL};
static const char *const FIXED_TOPIC_ATTRIBUTES[] = {
    "id", "publisher", "subscribers", "qos", "writer-qos", "reader-qos", NULL};
/* A node's and a link's models (power, thermal, jitter, loss) and its
 * place in the network are its template's on every copy. */
static const char *const FIXED_NODE_ATTRIBUTES[] = {"id", "model", "mode", NULL};
static const char *const FIXED_LINK_ATTRIBUTES[] = {"id", "from", "to", "model", "medium",
                                                    NULL};
static const char *const NODE_ELEMENTS[] = {"node", "computer", "jetson", "server", NULL};

static int kind_of_element(const char *element)
{
    if (!strcmp(element, "component"))
        return O_COMPONENT;
    if (!strcmp(element, "topic"))
        return O_TOPIC;
    if (!strcmp(element, "link"))
        return O_LINK;
    for (const char *const *k = NODE_ELEMENTS; *k; k++)
        if (!strcmp(element, *k))
            return O_NODE;
    return -1;
}

/* The template robot's element for node (link) id: in its <robot>, or
 * among the platform's links. */
static const xmlNode *platform_element(const xmlNode *fleet_el, const char *robot, int kind,
                                       const char *id)
{
    const xmlNode *platform = ts__child_named(fleet_el->parent, "platform");
    for (const xmlNode *c = platform ? ts__first_child(platform) : NULL; c;
         c = ts__next_sibling(c)) {
        const char *cid = ts__attr(c, "id");
        if (kind == O_LINK && xmlStrEqual(c->name, BAD_CAST "link") && cid && !strcmp(cid, id))
            return c;
        if (kind == O_NODE && xmlStrEqual(c->name, BAD_CAST "robot") && cid &&
            !strcmp(cid, robot))
            for (const xmlNode *n = ts__first_child(c); n; n = ts__next_sibling(n)) {
                const char *nid = ts__attr(n, "id");
                if (nid && !strcmp(nid, id))
                    return n;
            }
    }
    return NULL;
}

/* Whether topic i is copied with the template robot (as fleet_expand.c
 * decides: its publisher or a subscriber is the robot's). */
static int topic_of_robot(const ts_scenario *s, int i, int site)
{
    const ts_scenario_topic *tp = &s->topics[i];
    if (s->components[tp->publisher].site == site)
        return 1;
    for (size_t k = 0; k < tp->n_subscribers; k++)
        if (s->components[tp->subscribers[k]].site == site)
            return 1;
    return 0;
}

static int robot_set(ts__builder *b, ts__variety *v, const xmlNode *el, int fleet,
                     int member)
{
    const ts_scenario *s = b->s;
    const ts_scenario_fleet *f = &s->fleets[fleet];
    const char *set = ts__attr(el, "set");
    ts__override_path p;
    const char *value;
    ts_error scratch;
    if (ts__override_parse(set, &p, &value, &scratch) != TS_OK)
        return err_at(b, TS_EINVAL, el,
                      "fleet %s: robot-override set=\"%s\": expected ELEMENT[ID].ATTRIBUTE="
                      "VALUE as --set takes it, e.g. component[camera_driver].rate=15Hz",
                      f->id, set);
    int kind = kind_of_element(p.element);
    if (kind < 0 || !p.keyed)
        return err_at(b, TS_EINVAL, el,
                      "fleet %s: robot-override set=\"%s\": a robot may differ in the "
                      "attributes of its components, topics, nodes and links; expected "
                      "component[ID].ATTRIBUTE, topic[ID], node[ID] or link[ID]", f->id, set);
    xmlHashTablePtr ids = kind == O_TOPIC   ? b->topic_ids
                          : kind == O_NODE ? b->node_ids
                          : kind == O_LINK ? b->link_ids
                                           : b->component_ids;
    int comp = ts__id_find(ids, p.key);
    int site = f->template_site, on_robot = 0;
    if (comp >= 0) {
        if (kind == O_COMPONENT)
            on_robot = s->components[comp].site == site;
        else if (kind == O_TOPIC)
            on_robot = topic_of_robot(s, comp, site);
        else if (kind == O_NODE)
            on_robot = s->nodes[comp].site == site && s->nodes[comp].kind != TS_NODE_SWITCH;
        else
            on_robot = s->nodes[s->links[comp].a].site == site ||
                       s->nodes[s->links[comp].b].site == site;
    }
    if (!on_robot)
        return err_at(b, TS_ENOENT, el,
                      "fleet %s: robot-override set=\"%s\": no %s of the template "
                      "robot %s has the id \"%s\"%s", f->id, set,
                      kind == O_NODE ? "compute node" : p.element, s->sites[site].id, p.key,
                      kind == O_NODE && comp >= 0 && s->nodes[comp].kind == TS_NODE_SWITCH
                          ? " (a switch has nothing to change)"
                          : "");
    if (kind == O_NODE && strcmp(p.element, "node") &&
        strcmp(p.element, ts_node_kind_name((ts_node_kind)s->nodes[comp].kind)))
        return err_at(b, TS_EINVAL, el,
                      "fleet %s: robot-override set=\"%s\": %s is a %s, not a %s (node[%s] "
                      "names any kind)", f->id, set, p.key,
                      ts_node_kind_name((ts_node_kind)s->nodes[comp].kind), p.element, p.key);
    const char *const *fixed = kind == O_TOPIC  ? FIXED_TOPIC_ATTRIBUTES
                               : kind == O_NODE ? FIXED_NODE_ATTRIBUTES
                               : kind == O_LINK ? FIXED_LINK_ATTRIBUTES
                                                : FIXED_ATTRIBUTES;
    for (const char *const *a = fixed; *a; a++)
        if (!strcmp(p.attribute, *a))
            return err_at(b, TS_EINVAL, el,
                          "fleet %s: robot-override set=\"%s\": %s= is the same on every "
                          "robot of a fleet", f->id, set, *a);
    if (kind == O_COMPONENT && s->components[comp].replica_of >= 0)
        return err_at(b, TS_EINVAL, el,
                      "fleet %s: robot-override set=\"%s\": %s is a service replica, the "
                      "same on every robot", f->id, set, p.key);
    char key[400];
    snprintf(key, sizeof key, "a %d %d %d %d %s", fleet, member, kind, comp, p.attribute);
    if (key_find(v, key) >= 0)
        return err_at(b, TS_EINVAL, el,
                      "fleet %s: robot-override set=\"%s\": robot %s sets this attribute "
                      "twice", f->id, set, ts__attr(el, "robot"));
    if (key_add(v, key, 0))
        return ts__oom(b, ts__line(el));
    snprintf(key, sizeof key, "c %d %d %d %d", fleet, member, kind, comp);
    int i = key_find(v, key);
    if (i < 0) {
        const xmlNode *tmpl =
            kind == O_NODE || kind == O_LINK
                ? platform_element(el->parent, s->sites[site].id, kind, p.key)
                : section_element(el->parent, kind == O_TOPIC ? "topics" : "components", p.key);
        if (!tmpl) /* replicas' ids, which no element has, are refused above */
            return err_at(b, TS_ENOENT, el, "fleet %s: robot-override set=\"%s\": no "
                          "<%s id=\"%s\">", f->id, set, p.element, p.key);
        comp_override *o = ts__grow(v->overrides, &v->cap_overrides, v->n_overrides,
                                    sizeof *o);
        if (!o)
            return ts__oom(b, ts__line(el));
        v->overrides = o;
        o = &v->overrides[v->n_overrides];
        o->fleet = fleet;
        o->member = member;
        o->kind = kind;
        o->comp = comp;
        o->line = ts__line(el);
        o->el = xmlCopyNode((xmlNode *)tmpl, 1);
        o->first_set = ts_strdup(set);
        if (!o->el || !o->first_set || key_add(v, key, v->n_overrides)) {
            v->n_overrides++; /* freed with the rest */
            return ts__oom(b, ts__line(el));
        }
        i = (int)v->n_overrides++;
    }
    if (!xmlSetProp(v->overrides[i].el, BAD_CAST p.attribute, BAD_CAST value))
        return ts__oom(b, ts__line(el));
    return TS_OK;
}

/* Rewrites an error a built override met as the override's. */
static int blame(ts__builder *b, const comp_override *o, const char *robot_of, int rc)
{
    ts_error *err = b->L->err;
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s", err->msg);
    return ts_error_set(err, rc, b->file, o->line,
                        "robot-override robot=\"%s\" set=\"%.200s\": %.700s", robot_of,
                        o->first_set, msg);
}

/* Checks an overridden element against the schema (in a document of its
 * own, beside a platform the schema needs), then builds it. */
static int build_override(ts__builder *b, ts__variety *v, comp_override *o)
{
    const ts_scenario *s = b->s;
    char robot_of[32];
    snprintf(robot_of, sizeof robot_of, "r%d", o->member);
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNode *root = doc ? xmlNewNode(NULL, BAD_CAST "scenario") : NULL;
    xmlNode *platform = root ? xmlNewChild(root, NULL, BAD_CAST "platform", NULL) : NULL;
    /* the platform holds a switch (it may not be empty), a link beside
     * it, a node in a robot */
    xmlNode *sw = platform ? xmlNewChild(platform, NULL,
                                         BAD_CAST(o->kind == O_NODE ? "robot" : "switch"), NULL)
                           : NULL;
    xmlNode *comps = !sw                 ? NULL
                     : o->kind == O_NODE ? sw
                     : o->kind == O_LINK ? platform
                                         : xmlNewChild(root, NULL,
                                                       BAD_CAST(o->kind == O_TOPIC ? "topics"
                                                                                   : "components"),
                                                       NULL);
    if (!comps || !xmlSetProp(root, BAD_CAST "duration", BAD_CAST "1s") ||
        !xmlSetProp(sw, BAD_CAST "id", BAD_CAST "s")) {
        if (root) /* not the document's yet */
            xmlFreeNode(root);
        xmlFreeDoc(doc);
        return ts__oom(b, o->line);
    }
    xmlDocSetRootElement(doc, root);
    xmlAddChild(comps, o->el);
    xmlNode *el = o->el;
    o->el = NULL; /* the document's now */
    int rc = ts__xml_validate(b->L, doc, b->file);
    if (rc) {
        rc = blame(b, o, robot_of, rc);
        xmlFreeDoc(doc);
        return rc;
    }
    /* a phase= it sets is the robot's (the built one is not the template's) */
    size_t slot = s->n_components;
    if (o->kind != O_COMPONENT) {
        const ts_scenario_node *tn = o->kind == O_NODE ? &s->nodes[o->comp] : NULL;
        rc = o->kind == O_TOPIC  ? ts__topic_rebuild(b, el, &o->built_topic)
             : o->kind == O_NODE ? ts__node_rebuild(b, el, tn->kind, tn->site, &o->built_node)
                                 : ts__link_rebuild(b, el, &o->built_link);
        o->has_built = 1;
        xmlFreeDoc(doc);
        return rc ? blame(b, o, robot_of, rc) : TS_OK;
    }
    rc = ts__component_rebuild(b, el, &o->built);
    o->has_built = 1;
    if (slot < v->n_comp_phase) { /* the slot's, not a component's */
        timing_fini(&v->comp_phase[slot]);
        memset(&v->comp_phase[slot], 0, sizeof v->comp_phase[slot]);
    }
    if (!rc && ts__attr(el, "phase")) {
        char who[320];
        ts__who_of(el, who, sizeof who);
        rc = read_timing(b, el, who, "phase", 1, &o->phase);
    }
    xmlFreeDoc(doc);
    if (rc)
        return blame(b, o, robot_of, rc);
    const ts_scenario_component *t = &s->components[o->comp];
    if (o->built.site != t->site)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, o->line,
                            "robot-override robot=\"%s\" set=\"%s\": it would move %s off the "
                            "robot (a copy's node= names a node of the template robot)",
                            robot_of, o->first_set, t->id);
    return TS_OK;
}

int ts__variety_fleet(ts__builder *b, const xmlNode *el, int fleet)
{
    const ts_scenario_fleet *f = &b->s->fleets[fleet];
    int any = ts__attr(el, "phase") || ts__attr(el, "clock-offset");
    for (const xmlNode *c = ts__first_child(el); c && !any; c = ts__next_sibling(c))
        any = xmlStrEqual(c->name, BAD_CAST "robot-override");
    if (!any)
        return TS_OK;
    ts__variety *v = variety_of(b);
    if (!v)
        return ts__oom(b, ts__line(el));
    if ((size_t)fleet >= v->n_fleet) {
        size_t n = b->s->n_fleets;
        timing *p = ts_realloc(v->fleet_phase, n * sizeof *p);
        if (p)
            v->fleet_phase = p;
        timing *c = p ? ts_realloc(v->fleet_clock, n * sizeof *c) : NULL;
        if (!c)
            return ts__oom(b, ts__line(el));
        v->fleet_clock = c;
        memset(p + v->n_fleet, 0, (n - v->n_fleet) * sizeof *p);
        memset(c + v->n_fleet, 0, (n - v->n_fleet) * sizeof *c);
        v->n_fleet = n;
    }
    char who[320];
    snprintf(who, sizeof who, "fleet %s", f->id);
    int rc = read_timing(b, el, who, "phase", 1, &v->fleet_phase[fleet]);
    if (!rc)
        rc = read_timing(b, el, who, "clock-offset", 0, &v->fleet_clock[fleet]);
    size_t first_override = v->n_overrides;
    for (const xmlNode *c = ts__first_child(el); c && !rc; c = ts__next_sibling(c)) {
        if (!xmlStrEqual(c->name, BAD_CAST "robot-override"))
            continue;
        int member = robot_number(b, c, f);
        if (member < 0)
            return TS_EINVAL;
        int has_timing = ts__attr(c, "phase") || ts__attr(c, "clock-offset");
        if (!has_timing && !ts__attr(c, "set"))
            return err_at(b, TS_EINVAL, c,
                          "fleet %s: robot-override robot=\"%s\" changes nothing (give "
                          "set=, phase= or clock-offset=)", f->id, ts__attr(c, "robot"));
        if (ts__attr(c, "set") && member == 0)
            return err_at(b, TS_EINVAL, c,
                          "fleet %s: robot-override robot=\"r0\" set=\"%s\": r0 is the "
                          "template robot %s itself, which every copy is made from; change "
                          "its element instead", f->id, ts__attr(c, "set"),
                          b->s->sites[f->template_site].id);
        if (has_timing) {
            robot_timing *r = robot_entry(b, v, fleet, member, c);
            if (!r)
                return TS_ENOMEM;
            snprintf(who, sizeof who, "fleet %s: robot-override robot=\"%s\"", f->id,
                     ts__attr(c, "robot"));
            if ((ts__attr(c, "phase") && r->phase.kind) ||
                (ts__attr(c, "clock-offset") && r->clock.kind))
                return err_at(b, TS_EINVAL, c, "%s: the robot's %s is given twice (first at "
                              "line %d)", who,
                              ts__attr(c, "phase") && r->phase.kind ? "phase" : "clock offset",
                              ts__attr(c, "phase") && r->phase.kind ? r->phase.line
                                                                     : r->clock.line);
            if (ts__attr(c, "phase"))
                rc = read_timing(b, c, who, "phase", 1, &r->phase);
            if (!rc && ts__attr(c, "clock-offset"))
                rc = read_timing(b, c, who, "clock-offset", 0, &r->clock);
        }
        if (!rc && ts__attr(c, "set"))
            rc = robot_set(b, v, c, fleet, member);
    }
    for (size_t i = first_override; i < v->n_overrides && !rc; i++)
        rc = build_override(b, v, &v->overrides[i]);
    return rc;
}

/* ---- faults naming copies --------------------------------------------- */

static int site_of(const ts_scenario *s, ts__ref_kind kind, int i)
{
    if (kind == TS__REF_NODE)
        return s->nodes[i].site;
    if (kind == TS__REF_COMPONENT)
        return s->components[i].site;
    const ts_scenario_link *l = &s->links[i];
    int a = s->nodes[l->a].site, c = s->nodes[l->b].site;
    for (size_t f = 0; f < s->n_fleets; f++)
        if (s->fleets[f].template_site == a)
            return a;
    return c;
}

/* The fleet whose template robot holds entity i, or -1. */
static int fleet_of(const ts_scenario *s, ts__ref_kind kind, int i)
{
    int site = site_of(s, kind, i);
    for (size_t f = 0; site >= 0 && f < s->n_fleets; f++)
        if (s->fleets[f].template_site == site)
            return (int)f;
    return -1;
}

static const char *const REF_NAMES[] = {"node", "link", "component"};

/* Whether name is a copy's ("<template's>_r<K>", K from 1 to its fleet's
 * count - 1): 1 with *target (the template's) and *robot. When it has
 * the form and names a template's entity, *fleet (if not NULL) is that
 * fleet even when K is past it. */
static int copy_name(ts__builder *b, const char *name, ts__ref_kind kind, int *target,
                     int *robot, int *fleet)
{
    const ts_scenario *s = b->s;
    xmlHashTablePtr table = kind == TS__REF_NODE   ? b->node_ids
                            : kind == TS__REF_LINK ? b->link_ids
                                                   : b->component_ids;
    const char *suffix = NULL;
    for (const char *p = strstr(name, "_r"); p; p = strstr(p + 1, "_r"))
        suffix = p;
    if (!suffix || suffix[2] < '1' || suffix[2] > '9')
        return 0;
    char *end;
    long k = strtol(suffix + 2, &end, 10);
    char base[256];
    size_t n = (size_t)(suffix - name);
    if (*end || n >= sizeof base)
        return 0;
    memcpy(base, name, n);
    base[n] = '\0';
    int j = ts__id_find(table, base);
    int f = j >= 0 ? fleet_of(s, kind, j) : -1;
    if (fleet)
        *fleet = f;
    if (f < 0 || k >= s->fleets[f].count)
        return 0;
    *target = j;
    *robot = (int)k;
    return 1;
}

/* What name (given as attr= of el, with el's robot=) names: as
 * ts__variety_fault_ref. */
static int resolve(ts__builder *b, const xmlNode *el, const char *attr, const char *name,
                   ts__ref_kind kind, int *target, int *robot)
{
    const ts_scenario *s = b->s;
    xmlHashTablePtr table = kind == TS__REF_NODE   ? b->node_ids
                            : kind == TS__REF_LINK ? b->link_ids
                                                   : b->component_ids;
    const char *what = REF_NAMES[kind];
    const char *fault = (const char *)el->name;
    const char *robot_attr = ts__attr(el, "robot");
    int line = ts__line(el);
    *robot = -1;
    int i = ts__id_find(table, name);
    if (robot_attr) {
        if (i < 0)
            return ts_error_set(b->L->err, TS_ENOENT, b->file, line,
                                "%s: %s=\"%s\" names no %s (with robot=, name the template "
                                "robot's %s)", fault, attr, name, what, what);
        int f = fleet_of(s, kind, i);
        if (f < 0)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                "%s: robot=\"%s\", but %s %s is on no fleet's template robot",
                                fault, robot_attr, what, name);
        const ts_scenario_fleet *fl = &s->fleets[f];
        char *end;
        long k = strtol(robot_attr + 1, &end, 10);
        if (robot_attr[0] != 'r' || end == robot_attr + 1 || *end || k < 0 || k >= fl->count)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                "%s: robot=\"%s\" names no robot of fleet %s (its robots are "
                                "r0, the template, to r%d)", fault, robot_attr, fl->id,
                                fl->count - 1);
        *target = i;
        *robot = k > 0 ? (int)k : -1;
        return TS_OK;
    }
    if (i >= 0) {
        *target = i;
        return TS_OK;
    }
    int fleet = -1;
    if (copy_name(b, name, kind, target, robot, &fleet))
        return TS_OK;
    if (fleet >= 0) {
        const ts_scenario_fleet *fl = &s->fleets[fleet];
        int base = (int)(strrchr(name, '_') - name);
        return ts_error_set(b->L->err, TS_ENOENT, b->file, line,
                            "%s: %s=\"%s\" names no %s: %.*s is on robot %s, the template "
                            "of fleet %s, whose copies are %.*s_r1 to %.*s_r%d", fault, attr,
                            name, what, base, name, s->sites[fl->template_site].id, fl->id,
                            base, name, base, name, fl->count - 1);
    }
    if (!strcmp(attr, "links")) /* one of a list */
        return ts_error_set(b->L->err, TS_ENOENT, b->file, line,
                            "%s: links=\"...\" names \"%s\", which is no link", fault, name);
    return ts_error_set(b->L->err, TS_ENOENT, b->file, line, "%s: %s=\"%s\" names no %s",
                        fault, attr, name, what);
}

int ts__variety_fault_ref(ts__builder *b, const xmlNode *el, const char *attr,
                          ts__ref_kind kind, int *target, int *robot)
{
    return resolve(b, el, attr, ts__attr(el, attr), kind, target, robot);
}

/* A pending code for copy `robot` of template entity `target`. */
static int pending_code(ts__builder *b, ts__ref_kind kind, int target, int robot, int line,
                        int *code)
{
    ts__variety *v = variety_of(b);
    if (!v)
        return ts__oom(b, line);
    ts__pending_ref *p = ts__grow(v->pending, &v->cap_pending, v->n_pending, sizeof *p);
    if (!p)
        return ts__oom(b, line);
    v->pending = p;
    v->pending[v->n_pending].kind = kind;
    v->pending[v->n_pending].index = target;
    v->pending[v->n_pending].robot = robot;
    *code = TS__PENDING_REF(v->n_pending);
    v->n_pending++;
    return TS_OK;
}

int ts__variety_partition_link(ts__builder *b, const xmlNode *el, const char *name, int *link)
{
    int target, robot;
    int rc = resolve(b, el, "links", name, TS__REF_LINK, &target, &robot);
    if (rc || robot < 1) {
        *link = target;
        return rc;
    }
    return pending_code(b, TS__REF_LINK, target, robot, ts__line(el), link);
}

int ts__variety_copy_code(ts__builder *b, const char *name, ts__ref_kind kind, int line,
                          int *code)
{
    int target, robot;
    *code = -1;
    if (!copy_name(b, name, kind, &target, &robot, NULL))
        return TS_OK;
    return pending_code(b, kind, target, robot, line, code);
}

int ts__variety_pending(const ts__variety *v, int code, ts__ref_kind kind, int *robot)
{
    size_t k = (size_t)(-(int64_t)code - 2);
    if (!v || code > -2 || k >= v->n_pending || v->pending[k].kind != (int)kind)
        return -1;
    *robot = v->pending[k].robot;
    return v->pending[k].index;
}

/* ---- the expansion ----------------------------------------------------- */

static int by_robot(const void *a, const void *b)
{
    const comp_override *x = a, *y = b;
    if (x->fleet != y->fleet)
        return x->fleet < y->fleet ? -1 : 1;
    if (x->member != y->member)
        return x->member < y->member ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return (x->comp > y->comp) - (x->comp < y->comp);
}

static int timing_by_robot(const void *a, const void *b)
{
    const robot_timing *x = a, *y = b;
    if (x->fleet != y->fleet)
        return x->fleet < y->fleet ? -1 : 1;
    return (x->member > y->member) - (x->member < y->member);
}

void ts__variety_prepare(ts__variety *v)
{
    /* the walk's order is the document's; the expansion's is by robot */
    if (!v)
        return;
    if (v->n_overrides > 1)
        qsort(v->overrides, v->n_overrides, sizeof *v->overrides, by_robot);
    if (v->n_robots > 1)
        qsort(v->robots, v->n_robots, sizeof *v->robots, timing_by_robot);
}

int ts__variety_graft(ts__variety *v, ts_scenario *s, int fleet, int member, size_t first,
                      const int *node_map, const int *topic_map, const int *links,
                      size_t n_links, size_t first_link, const char *file, ts_error *err)
{
    if (!v || v->n_overrides == 0)
        return TS_OK;
    /* Overrides of fleets and robots before this one were grafted (or
     * their fleet made no copies). */
    while (v->graft_at < v->n_overrides &&
           (v->overrides[v->graft_at].fleet < fleet ||
            (v->overrides[v->graft_at].fleet == fleet &&
             v->overrides[v->graft_at].member < member)))
        v->graft_at++;
    for (; v->graft_at < v->n_overrides; v->graft_at++) {
        comp_override *o = &v->overrides[v->graft_at];
        if (o->fleet != fleet || o->member != member)
            break;
        if (o->kind == O_NODE) {
            /* the copy's own scalars; its models stay its template's */
            int nci = node_map[o->comp];
            ts_scenario_node *nc = &s->nodes[nci];
            /* the copy's components pinned to cores of it must still fit */
            for (size_t j = first; j < s->n_components; j++) {
                const ts_scenario_component *c = &s->components[j];
                int cores = o->built_node.cores;
                if (c->pin == nci && cores < 64 && (c->shared->affinity >> cores) != 0)
                    return ts_error_set(err, TS_EINVAL, file, o->line,
                                        "robot-override: robot r%d's %s would have %d cores, "
                                        "but its component %s is pinned to cores beyond them",
                                        member, nc->id, cores, c->id);
            }
            nc->cores = o->built_node.cores;
            nc->gpus = o->built_node.gpus;
            nc->memory_bytes = o->built_node.memory_bytes;
            nc->gpu_memory_bytes = o->built_node.gpu_memory_bytes;
            built_fini(o);
            o->has_built = 0;
            continue;
        }
        if (o->kind == O_LINK) {
            size_t pos = 0;
            while (pos < n_links && links[pos] != o->comp)
                pos++;
            if (pos == n_links)
                return ts_error_set(err, TS_EINVAL, file, o->line,
                                    "robot-override: robot r%d has no copy of link %s", member,
                                    s->links[o->comp].id);
            ts_scenario_link *lc = &s->links[first_link + pos];
            const ts_scenario_link *bl = &o->built_link;
            lc->latency_ns = bl->latency_ns;
            lc->bandwidth_bps = bl->bandwidth_bps;
            lc->queue_bytes = bl->queue_bytes;
            lc->queue_packets = bl->queue_packets;
            lc->mtu_bytes = bl->mtu_bytes;
            lc->header_bytes = bl->header_bytes;
            lc->reorder_allowed = bl->reorder_allowed;
            built_fini(o);
            o->has_built = 0;
            continue;
        }
        if (o->kind == O_TOPIC) {
            /* the copy's own scalars; its QoS and lists stay its own */
            ts_scenario_topic *tc = &s->topics[topic_map[o->comp]];
            tc->size_bytes = o->built_topic.size_bytes;
            tc->period_ns = o->built_topic.period_ns;
            tc->budget_ns = o->built_topic.budget_ns;
            built_fini(o);
            o->has_built = 0;
            continue;
        }
        size_t j = first;
        while (j < s->n_components && s->components[j].fleet_template != o->comp)
            j++;
        if (j == s->n_components)
            return ts_error_set(err, TS_EINVAL, file, o->line,
                                "robot-override: robot r%d has no copy of %s", member,
                                s->components[o->comp].id);
        ts_scenario_component *c = &s->components[j];
        c->shared = o->built.shared;
        o->built.shared = NULL;
        c->zone = o->built.zone;
        c->pin = o->built.pin >= 0 && node_map[o->built.pin] >= 0 ? node_map[o->built.pin]
                                                                   : o->built.pin;
        ts__component_fini(&o->built);
        o->has_built = 0;
    }
    return TS_OK;
}

void ts__variety_free_shapes(ts_scenario *s)
{
    for (size_t i = 0; i < s->n_components; i++) {
        ts_scenario_component *c = &s->components[i];
        if (c->fleet_member <= 0 || !c->shared || c->fleet_template < 0 ||
            c->shared == s->components[c->fleet_template].shared)
            continue;
        /* its own shape, which a robot-override gave it */
        ts_scenario_component own = *c;
        own.id = NULL;
        own.fleet_member = 0;
        ts__component_fini(&own);
        c->shared = NULL;
    }
}

static const robot_timing *find_robot(const ts__variety *v, int fleet, int member)
{
    size_t lo = 0, hi = v->n_robots;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const robot_timing *r = &v->robots[mid];
        if (r->fleet == fleet && r->member == member)
            return r;
        if (r->fleet < fleet || (r->fleet == fleet && r->member < member))
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The phase a robot's override of component comp sets, or NULL. */
static const timing *find_override_phase(const ts__variety *v, int fleet, int member, int comp)
{
    size_t lo = 0, hi = v->n_overrides;
    comp_override key = {.fleet = fleet, .member = member, .kind = O_COMPONENT, .comp = comp};
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = by_robot(&v->overrides[mid], &key);
        if (c == 0)
            return v->overrides[mid].phase.kind ? &v->overrides[mid].phase : NULL;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int seeded(gsl_rng **r, uint64_t seed, const char *id, const char *what)
{
    char name[512];
    snprintf(name, sizeof name, "%s/%s", id, what);
    gsl_rng_free(*r);
    *r = ts_rng_new(seed, name);
    return *r ? TS_OK : TS_ENOMEM;
}

int ts__variety_timing(ts__variety *v, ts_scenario *s, const char *file, ts_error *err)
{
    if (!v)
        return TS_OK;
    int64_t *clock = ts_calloc(s->n_sites ? s->n_sites : 1, sizeof *clock);
    unsigned char *clock_known = ts_calloc(s->n_sites ? s->n_sites : 1, 1);
    gsl_rng *r = NULL;
    int rc = clock && clock_known ? TS_OK : ts_error_set(err, TS_ENOMEM, file, 0, "out of memory");
    for (size_t i = 0; i < s->n_components && !rc; i++) {
        ts_scenario_component *c = &s->components[i];
        int member = c->fleet_member;
        int fleet = member >= 0 && c->site >= 0 ? s->sites[c->site].fleet : -1;
        int tmpl = member >= 0 ? c->fleet_template : c->replica_of >= 0 ? c->replica_of : (int)i;
        const robot_timing *rt = fleet >= 0 ? find_robot(v, fleet, member) : NULL;
        const timing *phase = NULL, *clk = NULL;
        if (rt && rt->phase.kind)
            phase = &rt->phase;
        if (!phase && fleet >= 0)
            phase = find_override_phase(v, fleet, member, tmpl);
        if (!phase && (size_t)tmpl < v->n_comp_phase && v->comp_phase[tmpl].kind)
            phase = &v->comp_phase[tmpl];
        if (!phase && fleet >= 0 && (size_t)fleet < v->n_fleet && v->fleet_phase[fleet].kind)
            phase = &v->fleet_phase[fleet];
        if (rt && rt->clock.kind)
            clk = &rt->clock;
        else if (fleet >= 0 && (size_t)fleet < v->n_fleet && v->fleet_clock[fleet].kind)
            clk = &v->fleet_clock[fleet];
        if (!phase && !clk)
            continue;
        int64_t period = c->shared->period_ns, shift = 0, part;
        if (phase) {
            rc = phase->kind == T_UNIFORM ? seeded(&r, s->seed, c->id, "phase") : TS_OK;
            if (rc)
                break;
            if (draw(phase, period, r, &part) != TS_OK) {
                char p[32];
                ts__format_ns(period, p, sizeof p);
                rc = ts_error_set(err, TS_EINVAL, file, phase->line,
                                  "phase=\"%s\": for component %s (period %s) its low bound "
                                  "is above its high bound", phase->text, c->id, p);
                break;
            }
            shift += part;
        }
        if (clk) {
            if (!clock_known[c->site]) {
                rc = clk->kind == T_UNIFORM
                         ? seeded(&r, s->seed, s->sites[c->site].id, "clock-offset")
                         : TS_OK;
                if (rc)
                    break;
                draw(clk, 0, r, &clock[c->site]);
                clock_known[c->site] = 1;
            }
            shift += clock[c->site];
        }
        /* Folded forward by whole periods when it would start before the
         * run: the component was already running. */
        int64_t start = c->shared->offset_ns + shift;
        if (start < 0 && period > 0)
            start += ((-start + period - 1) / period) * period;
        c->release_shift_ns = start - c->shared->offset_ns;
    }
    if (rc == TS_ENOMEM)
        ts_error_set(err, TS_ENOMEM, file, 0, "out of memory");
    gsl_rng_free(r);
    ts_free(clock);
    ts_free(clock_known);
    return rc;
}
