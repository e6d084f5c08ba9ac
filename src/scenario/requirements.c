/*
 * <requirements>: the gates a run is judged by and the events it provokes
 * on purpose (<expect>). Each gate's target is resolved here and must be
 * something the gate can judge (a failover gate needs a failover group, a
 * thermal gate a node with a thermal model...): a gate that could never
 * see anything is a mistake in the scenario, reported at its line, not a
 * pass. Runs after components, topics, services, fleets and rollouts.
 */
#include "loader.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libxml/hash.h>

#include "toposim/alloc.h"

/* Health scores run from 0 to 100 (see the validator's README). */
#define HEALTH_MAX 100.0

static int named(const xmlNode *el, const char *name)
{
    return xmlStrEqual(el->name, BAD_CAST name);
}

static const char *el_name(const xmlNode *el)
{
    return (const char *)el->name;
}

static int fail(ts__builder *b, const xmlNode *el, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Error "<element>: message" at el's line. */
static int fail(ts__builder *b, const xmlNode *el, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ts_error_set(b->L->err, code, b->file, ts__line(el), "%s: %s", el_name(el), msg);
}

/* Resolves optional attribute attr through table into *out (-1 when
 * absent); an id naming nothing is an error saying what it should name. */
static int resolve(ts__builder *b, const xmlNode *el, const char *attr, xmlHashTablePtr table,
                   const char *what, int *out)
{
    *out = -1;
    const char *v = ts__attr(el, attr);
    if (!v)
        return TS_OK;
    *out = ts__id_find(table, v);
    if (*out >= 0)
        return TS_OK;
    return fail(b, el, TS_ENOENT, "%s=\"%s\" names no %s (leave %s= out to mean every one)",
                attr, v, what, attr);
}

/* ---- what each gate needs to see ---- */

static int is_primary(const ts_scenario *s, int c)
{
    for (size_t i = 0; i < s->n_components; i++)
        if (s->components[i].backup_of == c)
            return 1;
    return 0;
}

static int has_safe_state(const ts_scenario *s, int site)
{
    return s->sites[site].tier == TS_TIER_ROBOT && s->sites[site].safe_state_category >= 0;
}

static int topic_has_deadline(const ts_scenario_topic *t)
{
    return t->has_qos && (t->writer_qos->deadline_ns > 0 || t->reader_qos->deadline_ns > 0);
}

/* A budget or an over-current limit (what the gate then judges by). */
static int node_has_budget(const ts_scenario_node *n)
{
    for (size_t m = 0; n->has_power && m < n->power->n_modes; m++)
        if (n->power->modes[m].budget_w > 0 || n->power->modes[m].oc_limit_w > 0)
            return 1;
    return 0;
}

/* Checks the gate's target, or with none that something of its kind
 * exists. */
static int check_target(ts__builder *b, const xmlNode *el, const ts_scenario_requirement *r)
{
    const ts_scenario *s = b->s;
    switch (r->kind) {
    case TS_REQ_FAILOVER:
        if (r->target >= 0 && !is_primary(s, r->target))
            return fail(b, el, TS_EINVAL,
                        "component %s has no backup: a failover gate needs a failover group "
                        "(a component with backup-of=\"%s\")",
                        s->components[r->target].id, s->components[r->target].id);
        for (size_t i = 0; r->target < 0 && i < s->n_components; i++)
            if (s->components[i].backup_of >= 0)
                return TS_OK;
        if (r->target < 0)
            return fail(b, el, TS_EINVAL,
                        "the scenario has no failover group to judge (no component has "
                        "backup-of=)");
        return TS_OK;
    case TS_REQ_SAFE_STATE:
        if (r->object >= 0 && !has_safe_state(s, r->object))
            return fail(b, el, TS_EINVAL,
                        "robot %s declares no safe state (add safe-state=\"stop-0\", "
                        "\"stop-1\" or \"stop-2\" to it)",
                        s->sites[r->object].id);
        for (size_t i = 0; r->object < 0 && i < s->n_sites; i++)
            if (has_safe_state(s, (int)i))
                return TS_OK;
        if (r->object < 0)
            return fail(b, el, TS_EINVAL,
                        "no robot declares a safe state (safe-state=)");
        return TS_OK;
    case TS_REQ_ROLLOUT:
        if (s->n_rollouts == 0)
            return fail(b, el, TS_EINVAL, "the scenario has no <rollout> to judge");
        return TS_OK;
    case TS_REQ_QOS_DEADLINE:
        if (r->object >= 0 && !topic_has_deadline(&s->topics[r->object]))
            return fail(b, el, TS_EINVAL,
                        "topic %s has no QoS deadline (give it a qos= profile with a "
                        "deadline, such as \"real_time\")",
                        s->topics[r->object].id);
        return TS_OK;
    case TS_REQ_SERVICE:
        if (s->n_services == 0)
            return fail(b, el, TS_EINVAL, "the scenario has no <service> to judge");
        return TS_OK;
    case TS_REQ_THERMAL_HEADROOM:
        if (r->object >= 0 && !s->nodes[r->object].has_thermal)
            return fail(b, el, TS_EINVAL,
                        "node %s has no thermal model (no <thermal> in it or its model)",
                        s->nodes[r->object].id);
        for (size_t i = 0; r->object < 0 && i < s->n_nodes; i++)
            if (s->nodes[i].has_thermal)
                return TS_OK;
        if (r->object < 0)
            return fail(b, el, TS_EINVAL, "no node has a thermal model");
        return TS_OK;
    case TS_REQ_POWER_BUDGET:
        if (r->object >= 0 && !node_has_budget(&s->nodes[r->object]))
            return fail(b, el, TS_EINVAL,
                        "node %s has no power mode with a budget (budget= on a <mode>)",
                        s->nodes[r->object].id);
        for (size_t i = 0; r->object < 0 && i < s->n_nodes; i++)
            if (node_has_budget(&s->nodes[i]))
                return TS_OK;
        if (r->object < 0)
            return fail(b, el, TS_EINVAL,
                        "no node has a power mode with a budget (budget= on a <mode>)");
        return TS_OK;
    default:
        return TS_OK;
    }
}

/* ---- one gate ---- */

static const struct {
    const char *element;
    ts_requirement_kind kind;
} GATES[] = {
    {"topic-deadline", TS_REQ_TOPIC_DEADLINE},
    {"component-deadline", TS_REQ_COMPONENT_DEADLINE},
    {"failover", TS_REQ_FAILOVER},
    {"safe-state", TS_REQ_SAFE_STATE},
    {"safety-coverage", TS_REQ_SAFETY_COVERAGE},
    {"health", TS_REQ_HEALTH},
    {"integration", TS_REQ_INTEGRATION},
    {"rollout", TS_REQ_ROLLOUT},
    {"qos-deadline", TS_REQ_QOS_DEADLINE},
    {"service", TS_REQ_SERVICE},
    {"thermal-headroom", TS_REQ_THERMAL_HEADROOM},
    {"power-budget", TS_REQ_POWER_BUDGET},
};

/* The rollout whose component= is id, or -1. */
static int find_rollout(const ts_scenario *s, const char *id)
{
    for (size_t i = 0; i < s->n_rollouts; i++)
        if (strcmp(s->rollouts[i].component, id) == 0)
            return (int)i;
    return -1;
}

/* Reads the gate's target attribute into target or object. */
static int read_target(ts__builder *b, const xmlNode *el, ts_scenario_requirement *r)
{
    switch (r->kind) {
    case TS_REQ_TOPIC_DEADLINE:
        return resolve(b, el, "topic", b->topic_ids, "topic", &r->target);
    case TS_REQ_COMPONENT_DEADLINE:
    case TS_REQ_FAILOVER:
        return resolve(b, el, "component", b->component_ids, "component", &r->target);
    case TS_REQ_SAFE_STATE: {
        int rc = resolve(b, el, "robot", b->site_ids, "robot", &r->object);
        if (rc == TS_OK && r->object >= 0 && b->s->sites[r->object].tier != TS_TIER_ROBOT)
            return fail(b, el, TS_EINVAL, "robot=\"%s\" names %s, expected a robot's id",
                        ts__attr(el, "robot"),
                        b->s->sites[r->object].tier == TS_TIER_EDGE ? "an edge rack"
                                                                    : "a cloud region");
        return rc;
    }
    case TS_REQ_ROLLOUT: {
        const char *v = ts__attr(el, "component");
        if (!v)
            return TS_OK;
        r->object = find_rollout(b->s, v);
        if (r->object < 0)
            return fail(b, el, TS_ENOENT,
                        "component=\"%s\" is rolled out by no <rollout> (leave component= "
                        "out to mean every rollout)",
                        v);
        return TS_OK;
    }
    case TS_REQ_QOS_DEADLINE:
        return resolve(b, el, "topic", b->topic_ids, "topic", &r->object);
    case TS_REQ_SERVICE:
        return resolve(b, el, "service", b->service_ids, "service", &r->object);
    case TS_REQ_THERMAL_HEADROOM:
    case TS_REQ_POWER_BUDGET:
        return resolve(b, el, "node", b->node_ids, "node", &r->object);
    default:
        return TS_OK;
    }
}

/* Reads the gate's bound: min_fraction and threshold as scenario.h says. */
static int read_bound(ts__builder *b, const xmlNode *el, ts_scenario_requirement *r)
{
    int rc = TS_OK;
    r->threshold = NAN;
    switch (r->kind) {
    case TS_REQ_TOPIC_DEADLINE:
    case TS_REQ_COMPONENT_DEADLINE:
    case TS_REQ_SAFETY_COVERAGE:
    case TS_REQ_SERVICE:
        rc = ts__bquantity(b, el, "min", TS__Q_FRACTION, NULL, &r->min_fraction, NULL);
        r->threshold = r->min_fraction;
        return rc;
    case TS_REQ_HEALTH:
        rc = ts__bquantity(b, el, "min", TS__Q_NUMBER, NULL, &r->threshold, NULL);
        if (rc == TS_OK && !(r->threshold <= HEALTH_MAX))
            return fail(b, el, TS_EINVAL,
                        "min=\"%s\": a health score runs from 0 to 100",
                        ts__attr(el, "min"));
        return rc;
    case TS_REQ_THERMAL_HEADROOM:
        return ts__bquantity(b, el, "min", TS__Q_CELSIUS, NULL, &r->threshold, NULL);
    case TS_REQ_QOS_DEADLINE: {
        int max = 0;
        ts__int_attr(el, "max", &max);
        r->threshold = max;
        return TS_OK;
    }
    default:
        return TS_OK;
    }
}

static int add_gate(ts__builder *b, const xmlNode *el, ts_requirement_kind kind)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    ts_scenario_requirement *rs = ts__grow(s->requirements, &b->cap_requirements,
                                           s->n_requirements, sizeof *rs);
    if (!rs)
        return ts__oom(b, line);
    s->requirements = rs;
    ts_scenario_requirement *r = &s->requirements[s->n_requirements++];
    r->kind = kind;
    r->line = line;
    r->target = -1;
    r->object = -1;
    int rc = read_target(b, el, r);
    if (rc == TS_OK)
        rc = read_bound(b, el, r);
    if (rc == TS_OK)
        rc = check_target(b, el, r);
    return rc;
}

/* ---- <expect> ---- */

/* resolve(), or a fleet copy's node or component ("h1_rt_r3"), which the
 * expansion puts in place of the pending code (fleet_variety.c). */
static int resolve_copy(ts__builder *b, const xmlNode *el, const char *attr, ts__ref_kind kind,
                        int *out)
{
    xmlHashTablePtr table = kind == TS__REF_NODE ? b->node_ids : b->component_ids;
    const char *v = ts__attr(el, attr);
    if (v && ts__id_find(table, v) < 0) {
        int rc = ts__variety_copy_code(b, v, kind, ts__line(el), out);
        if (rc || *out != -1)
            return rc;
    }
    return resolve(b, el, attr, table, kind == TS__REF_NODE ? "node" : "component", out);
}

static int add_expect(ts__builder *b, const xmlNode *el)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    ts_scenario_expect *es = ts__grow(s->expects, &b->cap_expects, s->n_expects, sizeof *es);
    if (!es)
        return ts__oom(b, line);
    s->expects = es;
    ts_scenario_expect *e = &s->expects[s->n_expects++];
    e->line = line;
    e->min_count = 1;
    e->max_count = -1;
    e->event = ts__token_dup(ts__attr(el, "event"));
    if (!e->event)
        return ts__oom(b, line);
    int rc = resolve_copy(b, el, "component", TS__REF_COMPONENT, &e->component);
    if (rc == TS_OK)
        rc = resolve_copy(b, el, "node", TS__REF_NODE, &e->node);
    if (rc != TS_OK)
        return rc;
    int v;
    if (ts__int_attr(el, "min", &v))
        e->min_count = v;
    if (ts__int_attr(el, "max", &v))
        e->max_count = v;
    if (e->max_count >= 0 && e->max_count < e->min_count)
        return fail(b, el, TS_EINVAL,
                    "max=\"%s\" is below min=\"%s\" (min defaults to 1)",
                    ts__attr(el, "max"), ts__attr(el, "min") ? ts__attr(el, "min") : "1");
    return TS_OK;
}

int ts__walk_requirements(ts__builder *b, const xmlNode *requirements)
{
    int rc = TS_OK;
    for (const xmlNode *c = ts__first_child(requirements); c && !rc; c = ts__next_sibling(c)) {
        if (named(c, "expect")) {
            rc = add_expect(b, c);
            continue;
        }
        size_t k = 0;
        while (k < sizeof GATES / sizeof GATES[0] && !named(c, GATES[k].element))
            k++;
        /* The schema admits no other element here. */
        if (k == sizeof GATES / sizeof GATES[0])
            return ts_error_set(b->L->err, TS_EPARSE, b->file, ts__line(c),
                                "<%s>: not a requirement", el_name(c));
        rc = add_gate(b, c, GATES[k].kind);
    }
    return rc;
}
