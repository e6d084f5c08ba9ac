/*
 * Names of fleet copies where a fault or an expect names a node, link or
 * component (README, "Fleet variety"): the copy's expanded name
 * ("h1_rt_r3") or the template's with robot="r3". The walk knows the
 * fleets but not yet their copies, so a reference keeps the template's
 * index and the copy's number (a fault's robot, or a pending code where
 * only an index fits) until fleet_expand.c puts the copy's index there.
 */
#include "variety.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toposim/alloc.h"

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
    ts__variety *v = ts__variety_of(b);
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

