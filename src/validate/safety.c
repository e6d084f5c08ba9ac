/*
 * Safety coverage: a checklist. Safety-critical components run on the
 * robot tier on reserved cores; each backup that took over ran on another
 * node than the member it replaced; every failover served within its
 * budget; every loss of a needed component reached the safe state within
 * its budget; no policy violation involves a safety-critical flow. A
 * safety path no fault exercised is listed as "not exercised": neither
 * passed nor failed. The score is passed / (passed + failed), 1 with no
 * check (README).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate/validate_internal.h"

static int is_safety_critical(const ts_trace *t, int32_t c)
{
    return ts__in_range(c, t->n_components) && (t->components[c].flags & TS__FLAG_SAFETY_CRITICAL);
}

static int tier_is(const ts_trace *t, int32_t node, const char *tier)
{
    char buf[sizeof t->nodes[0].tier + 1];
    if (!ts__in_range(node, t->n_nodes))
        return 0;
    ts__copy_name(buf, sizeof buf, t->nodes[node].tier, sizeof t->nodes[node].tier);
    return strcmp(buf, tier) == 0;
}

/* Format 3 records the reserved cores; before, the placement reason said
 * "core N reserved" or "reserved cores". */
static int has_reserved_core(const ts_trace *t, int32_t comp)
{
    for (size_t i = 0; i < t->n_placement; i++)
        if (t->placement[i].component == comp) {
            if (t->format_version >= 3)
                return t->placement[i].reserved_cores != 0;
            char reason[sizeof t->placement[i].reason + 1];
            ts__copy_name(reason, sizeof reason, t->placement[i].reason,
                          sizeof t->placement[i].reason);
            return strstr(reason, "reserved") != NULL;
        }
    return 0;
}

static int placement_checks(ts__ctx *c)
{
    const ts_trace *t = c->t;
    for (size_t i = 0; i < t->n_components; i++) {
        if (!is_safety_critical(t, (int32_t)i))
            continue;
        const char *name = ts__comp_name(t, (int32_t)i);
        int32_t node = c->comp_node[i];
        int on_robot = tier_is(t, node, "robot");
        int rc = ts__add_check(c, TS_FAMILY_SAFETY, "robot-tier", name,
                               on_robot ? TS_CHECK_PASS : TS_CHECK_FAIL, NAN, NAN,
                               node < 0 ? "safety-critical %s was never placed"
                                        : "safety-critical %s runs on %s",
                               name, node < 0 ? "" : ts__node_name(t, node));
        if (rc)
            return rc;
        if (node < 0)
            continue;
        int reserved = has_reserved_core(t, (int32_t)i);
        rc = ts__add_check(c, TS_FAMILY_SAFETY, "reserved-core", name,
                           reserved ? TS_CHECK_PASS : TS_CHECK_FAIL, NAN, NAN,
                           reserved ? "%s runs on a reserved core of %s"
                                    : "%s shares the cores of %s (none reserved)",
                           name, ts__node_name(t, node));
        if (rc)
            return rc;
    }
    return TS_OK;
}

/* Each declared backup runs on another node than its primary (or, for a
 * group declared with core redundancy, at least on other cores). */
static int backup_checks(ts__ctx *c)
{
    const ts_trace *t = c->t;
    for (size_t i = 0; i < t->n_failover_backups; i++) {
        const ts_trace_failover_backup *b = &t->failover_backups[i];
        const ts_trace_failover_group *g = &t->failover_groups[b->group];
        int32_t pn = c->comp_node[g->primary], bn = c->comp_node[b->component];
        const char *bname = ts__comp_name(t, b->component);
        int ok = pn >= 0 && bn >= 0 && pn != bn;
        if (!ok && g->core_redundancy && pn >= 0 && pn == bn) {
            uint64_t pm = 0, bm = 0;
            for (size_t k = 0; k < t->n_placement; k++) {
                if (t->placement[k].component == g->primary)
                    pm = t->placement[k].reserved_cores;
                if (t->placement[k].component == b->component)
                    bm = t->placement[k].reserved_cores;
            }
            ok = pm && bm && !(pm & bm);
        }
        int rc = ts__add_check(c, TS_FAMILY_SAFETY, "backup-node", bname,
                               ok ? TS_CHECK_PASS : TS_CHECK_FAIL, NAN, NAN,
                               "backup %s of %s runs on %s, its primary on %s%s", bname,
                               ts__comp_name(t, g->primary), ts__node_name(t, bn),
                               ts__node_name(t, pn),
                               ok || !g->core_redundancy ? "" : " (sharing cores)");
        if (rc)
            return rc;
    }
    /* A group no failover exercised is a safety path nobody tested. */
    for (size_t g = 0; g < t->n_failover_groups; g++) {
        const char *primary = ts__comp_name(t, t->failover_groups[g].primary);
        int exercised = 0;
        for (size_t i = 0; i < c->v->n_failovers && !exercised; i++)
            exercised = c->v->failovers[i].to >= 0 &&
                        c->comp_group[c->v->failovers[i].to] == (int32_t)g;
        if (exercised)
            continue;
        int rc = ts__add_check(c, TS_FAMILY_SAFETY, "failover-budget", primary,
                               TS_CHECK_NOT_EXERCISED, NAN,
                               t->failover_groups[g].failover_budget_ns > 0
                                   ? (double)t->failover_groups[g].failover_budget_ns : NAN,
                               "failover group of %s: no fault made a backup take over", primary);
        if (rc)
            return rc;
    }
    return TS_OK;
}

static int failover_checks(ts__ctx *c)
{
    const ts_trace *t = c->t;
    int rc = c->groups_declared ? backup_checks(c) : TS_OK;
    if (rc)
        return rc;
    for (size_t i = 0; i < c->v->n_failovers; i++) {
        const ts_failover *f = &c->v->failovers[i];
        int32_t a = ts__in_range(f->from, t->n_components) ? c->comp_node[f->from] : -1;
        int32_t b = ts__in_range(f->to, t->n_components) ? c->comp_node[f->to] : -1;
        if (!c->groups_declared)
            rc = ts__add_check(c, TS_FAMILY_SAFETY, "backup-node", f->serving,
                               a >= 0 && a != b ? TS_CHECK_PASS : TS_CHECK_FAIL, NAN, NAN,
                               "backup %s of %s runs on %s, its primary on %s", f->serving,
                               f->group, ts__node_name(t, b), ts__node_name(t, a));
        if (rc)
            return rc;
        /* An over-budget failover the scenario expects (<expect
         * event="failover_time"/>) is the test passing, not a failure. */
        int expected = !f->within && (ts__expected(c, "failover_time", f->to, -1) ||
                                      ts__expected(c, "failover", f->to, -1));
        double took_ms = (double)f->took_ns / 1e6;
        if (f->budget_ns >= 0)
            rc = ts__add_check(c, TS_FAMILY_SAFETY, "failover-budget", f->group,
                               f->within || expected ? TS_CHECK_PASS : TS_CHECK_FAIL,
                               (double)f->took_ns, (double)f->budget_ns,
                               "failover of %s to %s took %.3f ms against %.3f ms (%llu samples "
                               "lost in its window)%s", f->group, f->serving, took_ms,
                               (double)f->budget_ns / 1e6, (unsigned long long)f->samples_lost,
                               expected ? ", over budget as expected" : "");
        else
            rc = ts__add_check(c, TS_FAMILY_SAFETY, "failover-budget", f->group, TS_CHECK_FAIL,
                               (double)f->took_ns, NAN,
                               "failover of %s to %s took %.3f ms and the trace states no "
                               "budget", f->group, f->serving, took_ms);
        if (rc)
            return rc;
    }
    return TS_OK;
}

/* The latest fault at or before time t (a "fault:" event or a node going
 * down), or -1. */
static int64_t fault_before(const ts_trace *t, size_t upto, int64_t time)
{
    for (size_t k = upto + 1; k-- > 0;) {
        const ts_trace_event *e = &t->events[k];
        if (e->time_ns > time)
            continue;
        if (strncmp(e->kind, "fault:", 6) == 0 || ts__event_is(e, "node_down"))
            return e->time_ns;
    }
    return -1;
}

/* Time to the declared safe state: to the power-off that follows the stop
 * command on the same node (stop categories 0 and 1), else to the command
 * itself (category 2, power kept). */
static int64_t safe_reached(const ts_trace *t, size_t i)
{
    const ts_trace_event *e = &t->events[i];
    for (size_t k = i + 1; k < t->n_events; k++)
        if (ts__event_is(&t->events[k], "safe_state_power_off") && t->events[k].node == e->node)
            return t->events[k].time_ns;
        else if (ts__event_is(&t->events[k], "safe_state") && t->events[k].node == e->node)
            break;
    return e->time_ns;
}

/* The robot site of a node, -1 when unknown (format before 3). */
int32_t ts__site_of_node(const ts_trace *t, int32_t node)
{
    if (!ts__in_range(node, t->n_nodes) || t->format_version < 3)
        return -1;
    int32_t s = t->nodes[node].site_row;
    return ts__in_range(s, t->n_sites) ? s : -1;
}

int64_t ts__safe_state_budget(const ts__ctx *c, int32_t node)
{
    int32_t s = ts__site_of_node(c->t, node);
    if (s >= 0 && c->t->sites[s].safe_state_budget_ns > 0)
        return c->t->sites[s].safe_state_budget_ns;
    return TS__SAFE_STATE_BUDGET_NS;
}

/* A robot is named by its site in format 3, else by the node. */
static const char *robot_name(const ts_trace *t, int32_t node)
{
    static _Thread_local char name[TS_TRACE_NAME_LEN + 1];
    int32_t s = ts__site_of_node(t, node);
    if (s < 0)
        return ts__node_name(t, node);
    ts__copy_name(name, sizeof name, t->sites[s].name, sizeof t->sites[s].name);
    return name;
}

static int needed_loss_checks(ts__ctx *c);

static int safe_state_checks(ts__ctx *c)
{
    const ts_trace *t = c->t;
    for (size_t i = 0; i < t->n_events; i++) {
        const ts_trace_event *e = &t->events[i];
        if (!ts__event_is(e, "safe_state"))
            continue;
        int64_t fault = fault_before(t, i, e->time_ns);
        if (fault < 0)
            fault = e->time_ns - (int64_t)e->value;
        int64_t took = safe_reached(t, i) - fault;
        int64_t budget = ts__safe_state_budget(c, e->node);
        const char *robot = robot_name(t, e->node);
        int rc = ts__add_check(c, TS_FAMILY_SAFETY, "safe-state-budget", robot,
                               took <= budget ? TS_CHECK_PASS : TS_CHECK_FAIL, (double)took,
                               (double)budget,
                               "%s reached its safe state %.3f ms after the fault (losing %s) "
                               "against %.3f ms", robot, (double)took / 1e6,
                               ts__comp_name(t, e->component), (double)budget / 1e6);
        if (rc)
            return rc;
    }
    for (size_t s = 0; s < t->n_sites; s++) {
        const ts_trace_site *site = &t->sites[s];
        if (site->safe_state_category < 0)
            continue;
        int exercised = 0;
        for (size_t i = 0; i < t->n_events && !exercised; i++)
            exercised = ts__event_is(&t->events[i], "safe_state") &&
                        ts__site_of_node(t, t->events[i].node) == (int32_t)s;
        char name[TS_TRACE_NAME_LEN + 1];
        ts__copy_name(name, sizeof name, site->name, sizeof site->name);
        /* A loss that never reached the safe state exercised it too. */
        for (size_t i = 0; i < c->v->n_checks && !exercised; i++)
            exercised = !strcmp(c->v->checks[i].kind, "safe-state-budget") &&
                        !strcmp(c->v->checks[i].item, name);
        if (exercised)
            continue;
        int rc = ts__add_check(c, TS_FAMILY_SAFETY, "safe-state-budget", name,
                               TS_CHECK_NOT_EXERCISED, NAN, (double)site->safe_state_budget_ns,
                               "%s declares safe state (stop category %d); no loss of a needed "
                               "component tested it", name, (int)site->safe_state_category);
        if (rc)
            return rc;
    }
    return TS_OK;
}

/* Members that can serve for needed component n: itself, its failover
 * group, its service replicas. Capped: beyond the cap a loss of every
 * member cannot be shown, so no check is made up. */
#define MAX_MEMBERS 32

static size_t members_of(const ts__ctx *c, int32_t n, int32_t *out)
{
    const ts_trace *t = c->t;
    size_t k = 0;
    int32_t first = t->components[n].replica_of >= 0 ? t->components[n].replica_of : n;
    for (size_t i = 0; i < t->n_components; i++) {
        const ts_trace_component *x = &t->components[i];
        int same = (int32_t)i == n ||
                   (c->comp_group[n] >= 0 && c->comp_group[i] == c->comp_group[n]) ||
                   (int32_t)i == first || x->replica_of == first;
        if (!same)
            continue;
        if (k == MAX_MEMBERS)
            return 0;
        out[k++] = (int32_t)i;
    }
    return k;
}

/* The first time every member of a needed component is down, from
 * /component_state; -1 when that never happened. */
static int64_t all_lost_at(const ts__ctx *c, const int32_t *m, size_t k)
{
    const ts_trace *t = c->t;
    int alive[MAX_MEMBERS];
    for (size_t i = 0; i < k; i++)
        alive[i] = 1;
    for (size_t r = 0; r < t->n_component_state; r++) {
        const ts_trace_component_state *s = &t->component_state[r];
        size_t up = 0;
        for (size_t i = 0; i < k; i++) {
            if (m[i] == s->component)
                alive[i] = s->alive != 0;
            up += (size_t)alive[i];
        }
        if (!up)
            return s->time_ns;
    }
    return -1;
}

/* Every loss of a needed component (all its members down) must lead its
 * robot to a safe state: a loss with no safe_state event after it fails.
 * A component placed off the robots (robot -1) is needed by every robot
 * with a declared safe state. */
static int needed_loss_checks(ts__ctx *c)
{
    const ts_trace *t = c->t;
    int32_t m[MAX_MEMBERS];
    for (size_t n = 0; n < t->n_components; n++) {
        const ts_trace_component *comp = &t->components[n];
        if (!comp->needed || comp->backup_of >= 0)
            continue;
        size_t k = members_of(c, (int32_t)n, m);
        int64_t lost = k ? all_lost_at(c, m, k) : -1;
        if (lost < 0)
            continue;
        for (size_t s = 0; s < t->n_sites; s++) {
            if (t->sites[s].safe_state_category < 0 ||
                (comp->robot >= 0 && comp->robot != (int32_t)s))
                continue;
            int reached = 0;
            for (size_t i = 0; i < t->n_events && !reached; i++)
                reached = t->events[i].time_ns >= lost &&
                          ts__event_is(&t->events[i], "safe_state") &&
                          ts__site_of_node(t, t->events[i].node) == (int32_t)s;
            if (reached)
                continue; /* its timing is the safe_state check's */
            char site[TS_TRACE_NAME_LEN + 1];
            ts__copy_name(site, sizeof site, t->sites[s].name, sizeof t->sites[s].name);
            int rc = ts__add_check(c, TS_FAMILY_SAFETY, "safe-state-budget", site, TS_CHECK_FAIL,
                                   NAN, (double)t->sites[s].safe_state_budget_ns,
                                   "%s lost needed %s at %.3f s and never reached its safe state",
                                   site, ts__comp_name(t, (int32_t)n), (double)lost / 1e9);
            if (rc)
                return rc;
        }
    }
    return TS_OK;
}

/* The receiving component of a policy_violation ("... to component N"). */
static int32_t violation_receiver(const ts_trace_event *e)
{
    char detail[sizeof e->detail + 1];
    ts__copy_name(detail, sizeof detail, e->detail, sizeof e->detail);
    const char *p = strstr(detail, " to component ");
    if (!p)
        return -1;
    char *end;
    long n = strtol(p + strlen(" to component "), &end, 10);
    return end == p + strlen(" to component ") || n < 0 || n > INT32_MAX ? -1 : (int32_t)n;
}

int ts__violation_is_safety(const ts_trace *t, const ts_trace_event *e)
{
    return is_safety_critical(t, e->component) || is_safety_critical(t, violation_receiver(e));
}

static int policy_checks(ts__ctx *c)
{
    const ts_trace *t = c->t;
    uint64_t on_safety = 0;
    int32_t first = -1;
    for (size_t i = 0; i < t->n_events; i++) {
        const ts_trace_event *e = &t->events[i];
        if (!ts__event_is(e, "policy_violation") || !ts__violation_is_safety(t, e))
            continue;
        on_safety += e->value >= 1 ? (uint64_t)e->value : 1;
        if (first < 0)
            first = (int32_t)i;
    }
    int any_safety = 0;
    for (size_t i = 0; i < t->n_components && !any_safety; i++)
        any_safety = is_safety_critical(t, (int32_t)i);
    if (first < 0 && !any_safety)
        return TS_OK; /* no safety-critical flow to check */
    if (first < 0)
        return ts__add_check(c, TS_FAMILY_SAFETY, "safety-policy", "safety flows", TS_CHECK_PASS,
                             0, 0, "no policy violation involves a safety-critical flow");
    const ts_trace_event *e = &t->events[first];
    int32_t to = violation_receiver(e);
    int expected = ts__expected(c, "policy_violation", -1, -1);
    const char *item = is_safety_critical(t, e->component) ? ts__comp_name(t, e->component)
                                                           : ts__comp_name(t, to);
    return ts__add_check(c, TS_FAMILY_SAFETY, "safety-policy", item,
                         expected ? TS_CHECK_PASS : TS_CHECK_FAIL, (double)on_safety, 0,
                         "%llu denied message(s) on safety-critical flows, first from %s to %s%s",
                         (unsigned long long)on_safety, ts__comp_name(t, e->component),
                         ts__comp_name(t, to), expected ? " (expected)" : "");
}

int ts__score_safety(ts__ctx *c)
{
    int rc = placement_checks(c);
    if (!rc)
        rc = failover_checks(c);
    if (!rc)
        rc = needed_loss_checks(c);
    if (!rc)
        rc = safe_state_checks(c);
    if (!rc)
        rc = policy_checks(c);
    if (rc)
        return rc;
    ts_validation *v = c->v;
    size_t passed = 0, failed = 0;
    v->not_exercised = 0;
    for (size_t i = 0; i < v->n_checks; i++) {
        const ts_check *k = &v->checks[i];
        if (k->family != TS_FAMILY_SAFETY)
            continue;
        if (k->status == TS_CHECK_PASS)
            passed++;
        else if (k->status == TS_CHECK_FAIL)
            failed++;
        else
            v->not_exercised++;
    }
    v->family_items[TS_FAMILY_SAFETY] = passed + failed;
    v->family_score[TS_FAMILY_SAFETY] =
        passed + failed ? (double)passed / (double)(passed + failed) : 1.0;
    return TS_OK;
}
