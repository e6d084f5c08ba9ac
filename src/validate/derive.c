/*
 * Facts several families read, derived once from the trace: where each
 * component was placed, its failover group (from /failover_groups in a
 * format 3 trace; before, only groups a recorded failover formed, from
 * the "failover" events' "replacing N"), who serves a group when (from
 * /component_state), and each failover with its window from the fault to
 * the new member serving.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toposim/alloc.h"
#include "validate/validate_internal.h"

/* The component a failover event says was replaced ("replacing N"). */
static int32_t replaced(const ts_trace_event *e)
{
    char detail[sizeof e->detail + 1];
    ts__copy_name(detail, sizeof detail, e->detail, sizeof e->detail);
    const char *p = strstr(detail, "replacing ");
    if (!p)
        return -1;
    char *end;
    long n = strtol(p + strlen("replacing "), &end, 10);
    return end == p + strlen("replacing ") || n < 0 || n > INT32_MAX ? -1 : (int32_t)n;
}

/* The budget a failover_time event states ("its 10.000 ms budget"), or -1. */
static int64_t stated_budget(const ts_trace_event *e)
{
    char detail[sizeof e->detail + 1];
    ts__copy_name(detail, sizeof detail, e->detail, sizeof e->detail);
    const char *p = strstr(detail, " its ");
    double ms;
    if (!p || sscanf(p, " its %lf ms budget", &ms) != 1 || !(ms >= 0))
        return -1;
    return (int64_t)(ms * 1e6 + 0.5);
}

static int32_t join_group(ts__ctx *c, int32_t from, int32_t to)
{
    int32_t g = c->comp_group[from];
    if (g < 0 && to >= 0)
        g = c->comp_group[to];
    if (g < 0) {
        g = (int32_t)c->n_groups++;
        c->group_primary[g] = from;
    }
    c->comp_group[from] = g;
    if (to >= 0)
        c->comp_group[to] = g;
    return g;
}

/* The failover_time event recorded with failover event i (same time, same
 * component), or NULL. */
static const ts_trace_event *failover_time_of(const ts_trace *t, size_t i)
{
    const ts_trace_event *e = &t->events[i];
    for (size_t k = i; k-- > 0 && t->events[k].time_ns == e->time_ns;)
        if (ts__event_is(&t->events[k], "failover_time") && t->events[k].component == e->component)
            return &t->events[k];
    for (size_t k = i + 1; k < t->n_events && t->events[k].time_ns == e->time_ns; k++)
        if (ts__event_is(&t->events[k], "failover_time") && t->events[k].component == e->component)
            return &t->events[k];
    return NULL;
}

static int derive_failovers(ts__ctx *c)
{
    const ts_trace *t = c->t;
    for (size_t i = 0; i < t->n_events; i++) {
        const ts_trace_event *e = &t->events[i];
        if (!ts__event_is(e, "failover") || e->component < 0)
            continue;
        int32_t from = replaced(e);
        if (!ts__in_range(from, t->n_components) || from == e->component)
            continue;
        int32_t g = c->groups_declared ? c->comp_group[e->component]
                                       : join_group(c, from, e->component);
        if (g < 0)
            continue; /* a takeover outside any declared group: not ours */
        ts_failover *f = ts__add_failover(c);
        if (!f)
            return TS_ENOMEM;
        snprintf(f->group, sizeof f->group, "%s", ts__comp_name(t, c->group_primary[g]));
        snprintf(f->serving, sizeof f->serving, "%s", ts__comp_name(t, e->component));
        f->from = from;
        f->to = e->component;
        f->serving_ns = e->time_ns;
        f->budget_ns = -1;
        /* The event's value is the time since the replaced member was last
         * heard: the fault lies at most that far back. failover_time, when
         * the run knew the fault, gives it exactly. */
        f->fault_ns = e->time_ns - (int64_t)e->value;
        const ts_trace_event *ft = failover_time_of(t, i);
        if (ft) {
            f->fault_ns = e->time_ns - (int64_t)ft->value;
            f->budget_ns = stated_budget(ft);
        }
        if (c->groups_declared && t->failover_groups[g].failover_budget_ns > 0)
            f->budget_ns = t->failover_groups[g].failover_budget_ns;
        if (f->fault_ns > f->serving_ns || f->fault_ns < 0)
            f->fault_ns = f->serving_ns;
        f->took_ns = f->serving_ns - f->fault_ns;
        f->within = f->budget_ns < 0 || f->took_ns <= f->budget_ns;
    }
    return TS_OK;
}

/* Serving and alive of component comp at time t: its last state row at or
 * before t, (1, 1) before its first. */
static void state_at(const ts__ctx *c, int32_t comp, int64_t t, int *serving, int *alive)
{
    *serving = *alive = 1;
    size_t lo = c->cs_start[comp], hi = c->cs_start[comp + 1];
    /* Binary search for the first row after t. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->t->component_state[c->cs_rows[mid]].time_ns <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > c->cs_start[comp]) {
        const ts_trace_component_state *s = &c->t->component_state[c->cs_rows[lo - 1]];
        *serving = s->serving != 0;
        *alive = s->alive != 0;
    }
}

int32_t ts__serving(const ts__ctx *c, int32_t g, int64_t t)
{
    const ts_trace *t_ = c->t;
    if (c->groups_declared && t_->n_component_state) {
        /* Members in rank order: the primary, then backups by rank (the
         * table lists them in takeover order). */
        int32_t live = -1, any = -1;
        int s, a;
        int32_t p = c->group_primary[g];
        state_at(c, p, t, &s, &a);
        if (s && a)
            return p;
        if (s)
            any = p;
        for (size_t i = 0; i < t_->n_failover_backups && live < 0; i++) {
            const ts_trace_failover_backup *b = &t_->failover_backups[i];
            if (b->group != g || !ts__in_range(b->component, t_->n_components))
                continue;
            state_at(c, b->component, t, &s, &a);
            if (s && a)
                live = b->component;
            else if (s && any < 0)
                any = b->component;
        }
        return live >= 0 ? live : any >= 0 ? any : p;
    }
    int32_t who = c->group_primary[g];
    /* Failovers are in event (time) order: the last one not after t wins. */
    for (size_t i = 0; i < c->v->n_failovers; i++) {
        const ts_failover *f = &c->v->failovers[i];
        if (f->to >= 0 && c->comp_group[f->to] == g && f->serving_ns <= t)
            who = f->to;
    }
    return who;
}

int ts__expected(const ts__ctx *c, const char *kind, int32_t component, int32_t node)
{
    const ts_trace *t = c->t;
    for (size_t i = 0; i < t->n_expects; i++) {
        const ts_trace_expect *x = &t->expects[i];
        if (strncmp(x->event, kind, sizeof x->event) != 0)
            continue;
        if (x->component >= 0 && component >= 0 && x->component != component)
            continue;
        if (x->node >= 0 && node >= 0 && x->node != node)
            continue;
        return 1;
    }
    return 0;
}

static int index_component_state(ts__ctx *c)
{
    const ts_trace *t = c->t;
    size_t nc = t->n_components;
    c->cs_start = ts_calloc(nc + 2, sizeof *c->cs_start);
    c->cs_rows = ts_malloc((t->n_component_state ? t->n_component_state : 1) * sizeof *c->cs_rows);
    size_t *fill = ts_calloc(nc + 1, sizeof *fill);
    if (!c->cs_start || !c->cs_rows || !fill) {
        ts_free(fill);
        return ts_error_set(c->err, TS_ENOMEM, NULL, 0, "out of memory validating");
    }
    for (size_t i = 0; i < t->n_component_state; i++)
        c->cs_start[t->component_state[i].component + 1]++;
    for (size_t i = 0; i < nc; i++)
        c->cs_start[i + 1] += c->cs_start[i];
    memcpy(fill, c->cs_start, (nc + 1) * sizeof *fill);
    /* Rows are in time order in the table (checked), so a stable bucket
     * keeps them in time order per component. */
    for (size_t i = 0; i < t->n_component_state; i++)
        c->cs_rows[fill[t->component_state[i].component]++] = i;
    ts_free(fill);
    return TS_OK;
}

int ts__derive(ts__ctx *c)
{
    const ts_trace *t = c->t;
    size_t nc = t->n_components ? t->n_components : 1;
    c->comp_node = ts_malloc(nc * sizeof *c->comp_node);
    c->comp_group = ts_malloc(nc * sizeof *c->comp_group);
    c->group_primary = ts_malloc((nc + t->n_failover_groups) * sizeof *c->group_primary);
    if (!c->comp_node || !c->comp_group || !c->group_primary)
        return ts_error_set(c->err, TS_ENOMEM, NULL, 0, "out of memory validating");
    for (size_t i = 0; i < nc; i++)
        c->comp_node[i] = c->comp_group[i] = -1;
    /* The first placement row of a component is where it started. */
    for (size_t i = t->n_placement; i-- > 0;)
        c->comp_node[t->placement[i].component] = t->placement[i].node;
    if (t->n_failover_groups) {
        c->groups_declared = 1;
        c->n_groups = t->n_failover_groups;
        for (size_t g = 0; g < t->n_failover_groups; g++) {
            c->group_primary[g] = t->failover_groups[g].primary;
            c->comp_group[t->failover_groups[g].primary] = (int32_t)g;
        }
        for (size_t i = 0; i < t->n_failover_backups; i++)
            c->comp_group[t->failover_backups[i].component] = t->failover_backups[i].group;
    }
    int rc = index_component_state(c);
    return rc ? rc : derive_failovers(c);
}
