/*
 * The deployment code's agents, built from the scenario and run on the
 * simulated runtime: failover groups for every monitored primary and its
 * backups, a safe-state supervisor for every robot that declares a safe
 * state (on the robot's agent endpoint, as the controller numbers them),
 * a heartbeat sender for each needed component that has no backup, and
 * rollouts. Groups, supervisors and rollouts tell the component-state
 * controller (deploy_controller.h), never the runtime, what a component
 * does. The deployment code sees only runtime.h and its own descriptions.
 */
#include "sim/agents.h"

#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"
#include "toposim/deploy.h"
#include "toposim/deploy_failover.h"
#include "toposim/deploy_rollout.h"

/* What a rollout judges a robot by: its component's jobs (release time,
 * missed or not) and safety events, kept only for components under a
 * rollout. */
typedef struct job_mark {
    int64_t release;
    int missed;
} job_mark;

typedef struct comp_log {
    job_mark *marks;
    size_t n_marks, cap_marks;
    int64_t *safety;            /* times of safety events */
    size_t n_safety, cap_safety;
} comp_log;

struct ts__agents {
    ts__shared sh;
    ts__rts *rts;
    const ts_runtime *rt;
    ts_ctl *ctl;
    ts_failover **groups;
    size_t n_groups;
    int *group_of;              /* component -> group index, or -1 */
    ts_supervisor **supervisors;
    size_t n_supervisors;
    ts_hb_sender *lone;         /* heartbeats to supervisors beyond the groups' own */
    size_t n_lone;
    ts_rollout **rollouts;
    size_t n_rollouts;
    int *log_of;                /* per component: its log, or -1 (untracked) */
    comp_log *logs;             /* per tracked component */
    size_t n_logs, cap_logs;
    int64_t *crashed_at;        /* per component: its last crash (own or
                                   its node's), or -1 */
    /* Indexes built once so that setup is linear in the fleet: */
    int *robot;                 /* per component: robot_of */
    int *backup_first, *backups;/* backups by primary (CSR), declaration order */
    int *own_first, *own;       /* needed primaries by robot site (CSR) */
    int *shared;                /* needed primaries of no robot (all need them) */
    size_t n_shared;
    int *safe_sites;            /* robot sites that declare a safe state */
    size_t n_safe_sites;
};

/* The agent endpoint of a robot (where its supervisor lives), or -1. */
static int site_agent(const ts__agents *a, int site)
{
    return ts_ctl_site_agent(a->ctl, site);
}

static ts_fd_desc detector_of(const ts_scenario_component *c)
{
    ts_fd_desc d;
    memset(&d, 0, sizeof d);
    d.kind = c->shared->detector == TS_DETECT_PHI ? TS_FD_PHI : TS_FD_TIMEOUT;
    d.period_ns = c->shared->heartbeat_ns;
    d.misses = c->shared->misses;
    d.phi_threshold = c->shared->phi_threshold;
    return d;
}

static ts_fo_standby standby_of(ts_standby s)
{
    return s == TS_STANDBY_COLD ? TS_FO_COLD : s == TS_STANDBY_WARM ? TS_FO_WARM : TS_FO_HOT;
}

/* The robot site a component serves: its own site, else the site of the
 * node it was placed on, else -1 (shared). */
static int robot_of(const ts__agents *a, int c)
{
    const ts_scenario *s = a->sh.s;
    if (s->components[c].site >= 0)
        return s->components[c].site;
    int node = a->sh.plan->node_of[c];
    int site = s->nodes[node].site;
    return site >= 0 && s->sites[site].tier == TS_TIER_ROBOT ? site : -1;
}


/* A needed primary: robots (its own, or all for a shared one) cannot do
 * without it. */
static int needed(const ts_scenario_component *sc)
{
    return sc->shared->needed && sc->backup_of < 0;
}

static int safe_site(const ts_scenario *s, int site)
{
    return site >= 0 && s->sites[site].tier == TS_TIER_ROBOT &&
           s->sites[site].safe_state_category >= 0;
}

/* Builds the indexes above: a few passes over components and sites, each
 * list sized to what it holds. */
static int build_index(ts__agents *a)
{
    const ts_scenario *s = a->sh.s;
    size_t nc = s->n_components, ns = s->n_sites;
    a->robot = ts_malloc((nc ? nc : 1) * sizeof *a->robot);
    a->backup_first = ts_calloc(nc + 1, sizeof *a->backup_first);
    a->own_first = ts_calloc(ns + 1, sizeof *a->own_first);
    if (!a->robot || !a->backup_first || !a->own_first)
        return TS_ENOMEM;
    size_t n_backups = 0, n_own = 0, n_shared = 0, n_safe = 0;
    for (size_t c = 0; c < nc; c++) {
        a->robot[c] = robot_of(a, (int)c);
        int p = s->components[c].backup_of;
        if (p >= 0) {
            a->backup_first[p + 1]++;
            n_backups++;
        } else if (needed(&s->components[c])) {
            if (a->robot[c] >= 0) {
                a->own_first[a->robot[c] + 1]++;
                n_own++;
            } else {
                n_shared++;
            }
        }
    }
    for (size_t i = 0; i < ns; i++)
        n_safe += safe_site(s, (int)i) != 0;
    a->backups = ts_malloc((n_backups ? n_backups : 1) * sizeof *a->backups);
    a->own = ts_malloc((n_own ? n_own : 1) * sizeof *a->own);
    a->shared = ts_malloc((n_shared ? n_shared : 1) * sizeof *a->shared);
    a->safe_sites = ts_malloc((n_safe ? n_safe : 1) * sizeof *a->safe_sites);
    int *fill = ts_malloc(((nc > ns ? nc : ns) + 1) * sizeof *fill);
    if (!a->backups || !a->own || !a->shared || !a->safe_sites || !fill) {
        ts_free(fill);
        return TS_ENOMEM;
    }
    for (size_t c = 0; c < nc; c++)
        a->backup_first[c + 1] += a->backup_first[c];
    for (size_t i = 0; i < ns; i++)
        a->own_first[i + 1] += a->own_first[i];
    /* Filled in component order, so every list keeps declaration order. */
    memcpy(fill, a->backup_first, nc * sizeof *fill);
    for (size_t c = 0; c < nc; c++) {
        int p = s->components[c].backup_of;
        if (p >= 0)
            a->backups[fill[p]++] = (int)c;
    }
    memcpy(fill, a->own_first, ns * sizeof *fill);
    for (size_t c = 0; c < nc; c++) {
        if (!needed(&s->components[c]))
            continue;
        if (a->robot[c] >= 0)
            a->own[fill[a->robot[c]]++] = (int)c;
        else
            a->shared[a->n_shared++] = (int)c;
    }
    for (size_t i = 0; i < ns; i++)
        if (safe_site(s, (int)i))
            a->safe_sites[a->n_safe_sites++] = (int)i;
    ts_free(fill);
    return TS_OK;
}

/* The first robot (in site order) whose supervisor needs primary c: its
 * group heartbeats there. */
static int supervisor_for(const ts__agents *a, int c)
{
    if (!needed(&a->sh.s->components[c]))
        return -1;
    int r = a->robot[c];
    if (r >= 0)
        return safe_site(a->sh.s, r) ? site_agent(a, r) : -1;
    return a->n_safe_sites ? site_agent(a, a->safe_sites[0]) : -1;
}

static int build_groups(ts__agents *a, ts_error *err)
{
    const ts_scenario *s = a->sh.s;
    const ts_plan *plan = a->sh.plan;
    size_t nc = s->n_components;
    ts_fo_member_desc *members = ts_malloc((nc ? nc : 1) * sizeof *members);
    if (!members)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for failover groups");
    int rc = TS_OK;
    for (size_t p = 0; p < nc && rc == TS_OK; p++) {
        const ts_scenario_component *pc = &s->components[p];
        if (pc->backup_of >= 0 || pc->shared->heartbeat_ns <= 0)
            continue;
        size_t n = 0;
        members[n++] = (ts_fo_member_desc){(int)p, plan->node_of[p],
                                           TS_FO_HOT, -1};
        /* Backups in declaration order: the order of succession. */
        for (int k = a->backup_first[p]; k < a->backup_first[p + 1]; k++) {
            int b = a->backups[k];
            members[n++] = (ts_fo_member_desc){b, plan->node_of[b],
                                               standby_of(s->components[b].shared->standby),
                                               s->components[b].shared->takeover_ns};
        }
        if (n < 2)
            continue;   /* monitored by a supervisor only (see lone senders) */
        ts_failover_desc d = {
            .id = (int)p,
            .name = pc->id,
            .members = members,
            .n_members = n,
            .heartbeat_ns = pc->shared->heartbeat_ns,
            .detector = detector_of(pc),
            .supervisor = supervisor_for(a, (int)p),
            .ctl = a->ctl,
        };
        ts_failover *g = ts_failover_new(a->rt, &d, err);
        if (!g) {
            rc = err ? err->code : TS_EINVAL;
            break;
        }
        a->groups[a->n_groups] = g;
        for (size_t k = 0; k < n; k++)
            a->group_of[members[k].component] = (int)a->n_groups;
        a->n_groups++;
    }
    ts_free(members);
    return rc;
}

/* Robots whose supervisor needs component c, as agent endpoints, in site
 * order (the first is the one its failover group heartbeats to). */
static size_t supervisors_of(const ts__agents *a, int c, int *agents)
{
    if (!needed(&a->sh.s->components[c]))
        return 0;
    int r = a->robot[c];
    size_t n = 0;
    if (r >= 0) {
        if (safe_site(a->sh.s, r) && site_agent(a, r) >= 0)
            agents[n++] = site_agent(a, r);
        return n;
    }
    for (size_t i = 0; i < a->n_safe_sites; i++)
        if (site_agent(a, a->safe_sites[i]) >= 0)
            agents[n++] = site_agent(a, a->safe_sites[i]);
    return n;
}

/* Heartbeats to supervisors beyond what failover groups send: a needed
 * component without a group heartbeats to every supervisor that needs it;
 * a group's members heartbeat to the supervisors after the first. */
static int build_senders(ts__agents *a, ts_error *err)
{
    const ts_scenario *s = a->sh.s;
    size_t nc = s->n_components;
    int *agents = ts_malloc((s->n_sites ? s->n_sites : 1) * sizeof *agents);
    if (!agents)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for heartbeats");
    int rc = TS_OK;
    for (int pass = 0; pass < 2 && rc == TS_OK; pass++) {
        size_t count = 0;
        for (size_t c = 0; c < nc && rc == TS_OK; c++) {
            const ts_scenario_component *sc = &s->components[c];
            if (!sc->shared->needed || sc->backup_of >= 0 || sc->shared->heartbeat_ns <= 0)
                continue;
            size_t n = supervisors_of(a, (int)c, agents);
            int grouped = a->group_of[c] >= 0;
            const int *to = grouped ? agents + 1 : agents;
            size_t n_to = grouped ? (n ? n - 1 : 0) : n;
            if (n_to == 0)
                continue;
            /* The component, then (in a group) its backups: a backup is
             * declared after its primary, so this is component order. */
            int last = grouped ? a->backup_first[c + 1] : a->backup_first[c];
            for (int k = a->backup_first[c] - 1; k < last && rc == TS_OK; k++) {
                int m = k < a->backup_first[c] ? (int)c : a->backups[k];
                if (pass == 0) {
                    count++;
                    continue;
                }
                ts_hb_sender_desc hd = {m, to, n_to, sc->shared->heartbeat_ns, (int)c, NULL, NULL};
                rc = ts_hb_sender_init(&a->lone[a->n_lone], a->rt, &hd, err);
                if (rc == TS_OK)
                    a->n_lone++;
            }
        }
        if (pass == 0 && count) {
            a->lone = ts_calloc(count, sizeof *a->lone);
            if (!a->lone)
                rc = ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for heartbeats");
        }
    }
    ts_free(agents);
    return rc;
}

static int build_supervisors(ts__agents *a, ts_error *err)
{
    const ts_scenario *s = a->sh.s;
    size_t nc = s->n_components;
    ts_sup_needed *needed = ts_malloc((nc ? nc : 1) * sizeof *needed);
    int *members = ts_malloc((nc ? nc : 1) * sizeof *members);
    if (!needed || !members) {
        ts_free(needed);
        ts_free(members);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for supervisors");
    }
    int rc = TS_OK;
    for (size_t i = 0; i < a->n_safe_sites && rc == TS_OK; i++) {
        int site = a->safe_sites[i];
        const ts_scenario_site *st = &s->sites[site];
        int agent = site_agent(a, site);
        size_t n = 0, used = 0;
        /* The robot's own needed primaries merged with the shared ones,
         * in component order. */
        int o = a->own_first[site], o_end = a->own_first[site + 1];
        size_t sh = 0;
        while (o < o_end || sh < a->n_shared) {
            int c;
            if (sh >= a->n_shared || (o < o_end && a->own[o] < a->shared[sh]))
                c = a->own[o++];
            else
                c = a->shared[sh++];
            if (s->components[c].shared->heartbeat_ns <= 0)
                continue;
            size_t first = used;
            members[used++] = c;
            for (int k = a->backup_first[c]; k < a->backup_first[c + 1]; k++)
                members[used++] = a->backups[k];
            needed[n++] = (ts_sup_needed){&members[first], used - first,
                                          s->components[c].shared->heartbeat_ns,
                                          detector_of(&s->components[c])};
        }
        if (n == 0 || agent < 0)
            continue;
        ts_supervisor_desc d = {
            .robot = site,
            .endpoint = agent,
            .node = ts_ctl_endpoint_node(a->ctl, agent),
            .category = st->safe_state_category,
            .braking_ns = st->safe_state_budget_ns / 2,
            .needed = needed,
            .n_needed = n,
            /* What the stop category stops is the controller's call. */
            .enter = ts_ctl_safe_state,
            .enter_ctx = a->ctl,
        };
        ts_supervisor *sup = ts_supervisor_new(a->rt, &d, err);
        if (!sup) {
            rc = err ? err->code : TS_EINVAL;
            break;
        }
        a->supervisors[a->n_supervisors++] = sup;
    }
    ts_free(needed);
    ts_free(members);
    return rc == TS_OK ? build_senders(a, err) : rc;
}

static int push(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return TS_OK;
    size_t c = *cap ? 2 * *cap : 256;
    void *p = ts_realloc(*arr, c * elem);
    if (!p)
        return TS_ENOMEM;
    *arr = p;
    *cap = c;
    return TS_OK;
}

void ts__agents_job(ts__agents *a, const ts_job_record *job)
{
    if (!a || a->log_of[job->task] < 0 || job->finish < 0)
        return;
    comp_log *l = &a->logs[a->log_of[job->task]];
    if (push((void **)&l->marks, &l->cap_marks, l->n_marks, sizeof *l->marks) != TS_OK)
        return;
    l->marks[l->n_marks++] = (job_mark){job->release, job->finish > job->deadline};
}

/* The fault-to-serving time of a failover, which only the simulator can
 * know: from the latest crash among the group's other members. */
static void failover_time(ts__agents *a, const ts_platform_event *ev)
{
    const ts_scenario *s = a->sh.s;
    int b = ev->component;
    int p = s->components[b].backup_of >= 0 ? s->components[b].backup_of : b;
    int64_t fault = -1;
    /* The group: the primary (k = first - 1), then its backups. */
    for (int k = a->backup_first[p] - 1; k < a->backup_first[p + 1]; k++) {
        int c = k < a->backup_first[p] ? p : a->backups[k];
        if (c != b && a->crashed_at[c] > fault && a->crashed_at[c] <= ev->time)
            fault = a->crashed_at[c];
    }
    if (fault < 0)
        return;
    /* A crash explains one failover: later ones need a fault of their own. */
    for (int k = a->backup_first[p] - 1; k < a->backup_first[p + 1]; k++) {
        int c = k < a->backup_first[p] ? p : a->backups[k];
        if (a->crashed_at[c] == fault)
            a->crashed_at[c] = -1;
    }
    int64_t took = ev->time - fault, budget = s->components[p].shared->failover_budget_ns;
    ts_platform_event out = {ev->time, TS_EV_FAILOVER_TIME, ev->node, -1, b, (double)took, "",
                             NULL};
    if (budget > 0)
        snprintf(out.detail, sizeof out.detail, "%s serving %.3f ms after the fault: %s its %.3f ms budget",
                 s->components[b].id, (double)took / 1e6, took <= budget ? "within" : "OVER",
                 (double)budget / 1e6);
    else
        snprintf(out.detail, sizeof out.detail, "%s serving %.3f ms after the fault",
                 s->components[b].id, (double)took / 1e6);
    ts__bus_post(a->sh.bus, &out);
}

static int valid_component(const ts__agents *a, int c)
{
    return c >= 0 && (size_t)c < a->sh.s->n_components;
}

/* Events that count against a version: the component failed over, was
 * stopped or killed, or put its robot in a safe state. */
static void note_safety(ts__agents *a, const ts_platform_event *ev)
{
    if (!valid_component(a, ev->component) || a->log_of[ev->component] < 0)
        return;
    comp_log *l = &a->logs[a->log_of[ev->component]];
    if (push((void **)&l->safety, &l->cap_safety, l->n_safety, sizeof *l->safety) == TS_OK)
        l->safety[l->n_safety++] = ev->time;
}

static void on_component_crash(void *ctx, const ts_platform_event *ev)
{
    ts__agents *a = ctx;
    if (valid_component(a, ev->component))
        a->crashed_at[ev->component] = ev->time;
}

static void on_node_crash(void *ctx, const ts_platform_event *ev)
{
    ts__agents *a = ctx;
    if (ev->node < 0)
        return;
    for (int k = a->sh.node_first[ev->node]; k < a->sh.node_first[ev->node + 1]; k++)
        a->crashed_at[a->sh.on_node[k]] = ev->time;
}

static void on_failover(void *ctx, const ts_platform_event *ev)
{
    ts__agents *a = ctx;
    if (valid_component(a, ev->component))
        failover_time(a, ev);
    note_safety(a, ev);
}

static void on_safety_event(void *ctx, const ts_platform_event *ev)
{
    note_safety(ctx, ev);
}

static int subscribe(ts__agents *a)
{
    static const ts_event_kind safety[] = {TS_EV_SAFE_STATE, TS_EV_OOM_KILL, TS_EV_TASK_STOPPED};
    int rc = ts__bus_subscribe(a->sh.bus, TS_EV_FAULT_COMPONENT_CRASH, on_component_crash, a);
    if (rc == TS_OK)
        rc = ts__bus_subscribe(a->sh.bus, TS_EV_FAULT_NODE_CRASH, on_node_crash, a);
    if (rc == TS_OK)
        rc = ts__bus_subscribe(a->sh.bus, TS_EV_FAILOVER, on_failover, a);
    for (size_t i = 0; i < sizeof safety / sizeof *safety && rc == TS_OK; i++)
        rc = ts__bus_subscribe(a->sh.bus, safety[i], on_safety_event, a);
    return rc;
}

static int rollout_metrics(void *ctx, int component, int64_t since, ts_rollout_metrics *out)
{
    ts__agents *a = ctx;
    const comp_log *l = &a->logs[a->log_of[component]];
    size_t jobs = 0, missed = 0;
    for (size_t i = l->n_marks; i-- > 0 && l->marks[i].release >= since;) {
        jobs++;
        missed += (size_t)l->marks[i].missed;
    }
    int events = 0;
    for (size_t i = 0; i < l->n_safety; i++)
        events += l->safety[i] >= since;
    out->miss_fraction = jobs ? (double)missed / (double)jobs : 0.0;
    out->safety_events = events;
    /* Its samples flow while it runs and finishes jobs. */
    out->topics_flowing = ts__rts_serving(a->rts, component) && jobs > 0;
    return jobs > 0 ? 0 : TS_ENOENT;
}

/* The copies of component t, one per member of its robot's fleet, in
 * member order (member 0 is t): the loader appends a copy's components in
 * the template robot's order, so t's copy on a member robot sits at t's
 * position among that robot's components. One pass over the components,
 * no name lookups. Returns the count (1 when t's robot is in no fleet);
 * *out is allocated (ts_free), -1 entries for members without a copy. */
static int instances_of(const ts_scenario *s, int t, int **out, size_t *n_out)
{
    int site = s->components[t].site;
    int fleet = site >= 0 ? s->sites[site].fleet : -1;
    size_t n = fleet >= 0 && s->fleets[fleet].count > 1 ? (size_t)s->fleets[fleet].count : 1;
    int *comps = ts_malloc(n * sizeof *comps);
    int *ordinal = ts_calloc(s->n_sites ? s->n_sites : 1, sizeof *ordinal);
    if (!comps || !ordinal) {
        ts_free(comps);
        ts_free(ordinal);
        return TS_ENOMEM;
    }
    for (size_t k = 0; k < n; k++)
        comps[k] = -1;
    comps[0] = t;
    if (n > 1) {
        int pos = 0;
        for (int c = 0; c < t; c++)
            pos += s->components[c].site == site;
        for (size_t c = 0; c < s->n_components; c++) {
            int cs = s->components[c].site;
            if (cs < 0 || cs == site || s->sites[cs].fleet != fleet)
                continue;
            int member = s->sites[cs].fleet_member;
            if (ordinal[cs]++ == pos && member > 0 && (size_t)member < n)
                comps[member] = (int)c;
        }
    }
    ts_free(ordinal);
    *out = comps;
    *n_out = n;
    return TS_OK;
}

/* Keeps a log of component c's jobs and safety events (once). */
static int track(ts__agents *a, int c)
{
    if (a->log_of[c] >= 0)
        return TS_OK;
    if (push((void **)&a->logs, &a->cap_logs, a->n_logs, sizeof *a->logs) != TS_OK)
        return TS_ENOMEM;
    a->logs[a->n_logs] = (comp_log){0};
    a->log_of[c] = (int)a->n_logs++;
    return TS_OK;
}

static int build_rollouts(ts__agents *a, ts_error *err)
{
    const ts_scenario *s = a->sh.s;
    const ts_plan *plan = a->sh.plan;
    a->rollouts = ts_calloc(s->n_rollouts ? s->n_rollouts : 1, sizeof *a->rollouts);
    if (!a->rollouts)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for rollouts");
    for (size_t i = 0; i < s->n_rollouts; i++) {
        const ts_scenario_rollout *ro = &s->rollouts[i];
        int t = ts_scenario_find_component(s, ro->component);
        if (t < 0)
            return ts_error_set(err, TS_ENOENT, s->path, ro->line,
                                "rollout of %s: no instance found", ro->component);
        int *comps = NULL;
        size_t members = 0;
        if (instances_of(s, t, &comps, &members) != TS_OK)
            return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for rollouts");
        int *nodes = ts_malloc(members * sizeof *nodes);
        const char **names = ts_malloc(members * sizeof *names);
        if (!nodes || !names) {
            ts_free(comps);
            ts_free(nodes);
            ts_free(names);
            return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for rollouts");
        }
        size_t n = 0;
        for (size_t k = 0; k < members; k++) {
            int c = comps[k];
            if (c < 0)
                continue;
            comps[n] = c;
            nodes[n] = plan->node_of[c];
            names[n] = s->components[c].id;
            if (track(a, c) != TS_OK) {
                ts_free(comps);
                ts_free(nodes);
                ts_free(names);
                return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for rollouts");
            }
            n++;
        }
        const ts_scenario_component *tc = &s->components[t];
        ts_rollout_desc d = {
            .name = ro->component,
            .components = comps,
            .nodes = nodes,
            .robot_names = names,
            .n_robots = n,
            .from_version = 0,
            .to_version = ro->to_version,
            .from_label = tc->shared->n_versions ? tc->shared->versions[0].id : NULL,
            .to_label = (size_t)ro->to_version < tc->shared->n_versions ? tc->shared->versions[ro->to_version].id
                                                                 : NULL,
            .start_ns = ro->start_ns,
            .canaries = ro->canaries,
            .soak_ns = ro->soak_ns,
            .wave = ro->wave,
            .wave_soak_ns = ro->wave_soak_ns,
            .max_miss_fraction = ro->max_miss_fraction,
            .max_safety_events = 0,
            .metrics = rollout_metrics,
            .metrics_ctx = a,
            .ctl = a->ctl,
        };
        int rc = ts_rollout_new(a->rt, &d, &a->rollouts[a->n_rollouts], err);
        ts_free(comps);
        ts_free(nodes);
        ts_free(names);
        if (rc != TS_OK) {
            if (err && !err->file[0]) {
                snprintf(err->file, sizeof err->file, "%s", s->path);
                err->line = ro->line;
            }
            return rc;
        }
        a->n_rollouts++;
    }
    /* A rollout judges whichever member of a replica set serves, so a
     * tracked primary's backups are tracked too (backups follow their
     * primary in no particular order: one pass after the primaries). */
    for (size_t c = 0; c < s->n_components; c++) {
        int p = s->components[c].backup_of;
        if (p >= 0 && a->log_of[p] >= 0 && track(a, (int)c) != TS_OK)
            return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for rollouts");
    }
    return TS_OK;
}

/* What only building needed; failover_time keeps the backups by primary. */
static void drop_build_index(ts__agents *a)
{
    ts_free(a->robot);
    ts_free(a->own_first);
    ts_free(a->own);
    ts_free(a->shared);
    ts_free(a->safe_sites);
    ts_free(a->group_of);
    a->robot = a->own_first = a->own = a->shared = a->safe_sites = a->group_of = NULL;
}

int ts__agents_start(const ts__shared *sh, ts__rts *rts, ts__agents **out, ts_error *err)
{
    const ts_scenario *s = sh->s;
    size_t nc = s->n_components ? s->n_components : 1;
    ts__agents *a = ts_calloc(1, sizeof *a);
    *out = a;
    if (!a)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for agents");
    a->sh = *sh;
    a->rts = rts;
    a->rt = ts__rts_runtime(rts);
    a->ctl = ts__rts_ctl(rts);
    a->group_of = ts_malloc(nc * sizeof *a->group_of);
    a->log_of = ts_malloc(nc * sizeof *a->log_of);
    a->crashed_at = ts_malloc(nc * sizeof *a->crashed_at);
    if (!a->group_of || !a->log_of || !a->crashed_at)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for agents");
    for (size_t c = 0; c < nc; c++) {
        a->group_of[c] = -1;
        a->log_of[c] = -1;
        a->crashed_at[c] = -1;
    }
    int rc;
    if (build_index(a) != TS_OK)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for agents");
    /* A group per monitored primary with a backup; a supervisor per safe
     * robot: sized to those, not to the fleet. */
    size_t n_groups = 0;
    for (size_t p = 0; p < s->n_components; p++)
        n_groups += s->components[p].backup_of < 0 && s->components[p].shared->heartbeat_ns > 0 &&
                    a->backup_first[p + 1] > a->backup_first[p];
    a->groups = ts_calloc(n_groups ? n_groups : 1, sizeof *a->groups);
    a->supervisors = ts_calloc(a->n_safe_sites ? a->n_safe_sites : 1, sizeof *a->supervisors);
    if (!a->groups || !a->supervisors)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for agents");
    if ((rc = subscribe(a)) != TS_OK)
        return ts_error_set(err, rc, NULL, 0, "cannot subscribe the agents to their events");
    if ((rc = build_groups(a, err)) != TS_OK || (rc = build_supervisors(a, err)) != TS_OK ||
        (rc = build_rollouts(a, err)) != TS_OK)
        return rc;
    for (size_t i = 0; i < a->n_rollouts; i++)
        if ((rc = ts_rollout_start(a->rollouts[i])) != TS_OK)
            return ts_error_set(err, rc, s->path, 0, "cannot start a rollout");
    for (size_t i = 0; i < a->n_groups; i++)
        if ((rc = ts_failover_start(a->groups[i])) != TS_OK)
            return ts_error_set(err, rc, s->path, 0, "cannot start a failover group");
    for (size_t i = 0; i < a->n_supervisors; i++)
        if ((rc = ts_supervisor_start(a->supervisors[i])) != TS_OK)
            return ts_error_set(err, rc, s->path, 0, "cannot start a supervisor");
    for (size_t i = 0; i < a->n_lone; i++)
        if ((rc = ts_hb_sender_start(&a->lone[i])) != TS_OK)
            return ts_error_set(err, rc, s->path, 0, "cannot start heartbeats");
    drop_build_index(a);
    return TS_OK;
}

void ts__agents_free(ts__agents *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n_groups; i++)
        ts_failover_free(a->groups[i]);
    for (size_t i = 0; i < a->n_supervisors; i++)
        ts_supervisor_free(a->supervisors[i]);
    for (size_t i = 0; i < a->n_lone; i++)
        ts_hb_sender_fini(&a->lone[i]);
    for (size_t i = 0; i < a->n_rollouts; i++)
        ts_rollout_free(a->rollouts[i]);
    for (size_t i = 0; i < a->n_logs; i++) {
        ts_free(a->logs[i].marks);
        ts_free(a->logs[i].safety);
    }
    ts_free(a->logs);
    ts_free(a->log_of);
    ts_free(a->crashed_at);
    drop_build_index(a);
    ts_free(a->backup_first);
    ts_free(a->backups);
    ts_free(a->rollouts);
    ts_free(a->groups);
    ts_free(a->supervisors);
    ts_free(a->lone);
    ts_free(a);
}
