/* The invariants of simulation testing, checked on a trace (invariants.h). */
#include "invariants.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toposim/error.h"

static int broken(vopr_violation *v, const char *invariant, int64_t t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int broken(vopr_violation *v, const char *invariant, int64_t t, const char *fmt, ...)
{
    snprintf(v->invariant, sizeof v->invariant, "%s", invariant);
    v->t_ns = t;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->detail, sizeof v->detail, fmt, ap);
    va_end(ap);
    return 1;
}

void vopr_check_stats_init(vopr_check_stats *st)
{
    memset(st, 0, sizeof *st);
    st->closest_ns = INT64_MAX;
}

/* ---- the state timeline: /component_state merged with the events that
 * matter to coverage, applied an instant at a time ---- */

typedef struct group {
    int primary;
    int *members;               /* primary first */
    size_t n_members;
} group;

/* One needed component as one robot needs it. */
typedef struct watch {
    int primary;
    int robot;                  /* row of /sites, or -1 (no robot at all) */
    int safe;                   /* the robot declares a safe state */
    int open;                   /* an episode is running */
    int64_t anchor;             /* its start, or the last liveness change */
    uint64_t signature;         /* members' liveness and the supervisor's
                                   node, as of the anchor */
    int exempt_counted;
} watch;

typedef struct state {
    const ts_trace *t;
    const vopr_limits *lim;
    uint8_t *serving, *run, *alive;
    uint8_t *fenced;            /* per component: fenced, not rejoined */
    uint8_t *node_up;
    uint8_t *safe_in;           /* per site: its safe state was commanded */
    int *supervisor_node;       /* per site: its agent's node, or -1 */
    group *groups;              /* every needed primary (with its backups) */
    size_t n_groups;
    int *fo_of;                 /* per component: failover group row, -1 */
    int64_t *takeover;          /* per component: takeover delay */
    watch *watches;
    size_t n_watches;
} state;

static int is_robot_site(const ts_trace *t, int site)
{
    return site >= 0 && (size_t)site < t->n_sites && !strcmp(t->sites[site].tier, "robot");
}

static void state_free(state *s)
{
    free(s->serving);
    free(s->run);
    free(s->alive);
    free(s->fenced);
    free(s->node_up);
    free(s->safe_in);
    free(s->supervisor_node);
    for (size_t i = 0; i < s->n_groups; i++)
        free(s->groups[i].members);
    free(s->groups);
    free(s->fo_of);
    free(s->takeover);
    free(s->watches);
}

static int state_init(state *s, const ts_trace *t, const vopr_limits *lim)
{
    memset(s, 0, sizeof *s);
    s->t = t;
    s->lim = lim;
    size_t nc = t->n_components + 1, nn = t->n_nodes + 1, ns = t->n_sites + 1;
    s->serving = malloc(nc);
    s->run = malloc(nc);
    s->alive = malloc(nc);
    s->fenced = calloc(nc, 1);
    s->node_up = malloc(nn);
    s->safe_in = calloc(ns, 1);
    s->supervisor_node = malloc(ns * sizeof *s->supervisor_node);
    s->groups = calloc(nc, sizeof *s->groups);
    s->fo_of = malloc(nc * sizeof *s->fo_of);
    s->takeover = calloc(nc, sizeof *s->takeover);
    /* at most one watch per (needed primary, robot site) */
    s->watches = calloc(nc * ns, sizeof *s->watches);
    if (!s->serving || !s->run || !s->alive || !s->fenced || !s->node_up || !s->safe_in ||
        !s->supervisor_node || !s->groups || !s->fo_of || !s->takeover || !s->watches)
        return TS_ENOMEM;
    /* As trace.h states the state before a component's first row. */
    memset(s->serving, 1, nc);
    memset(s->run, TS_TRACE_RUN_ACTIVE, nc);
    memset(s->alive, 1, nc);
    memset(s->node_up, 1, nn);
    for (size_t c = 0; c < nc; c++)
        s->fo_of[c] = -1;
    /* The robot's supervisor runs on its agent: the first of its nodes
     * that hosts agents (not a switch), as deploy_controller.h numbers
     * them. */
    for (size_t i = 0; i < ns; i++)
        s->supervisor_node[i] = -1;
    for (size_t n = t->n_nodes; n-- > 0;) {
        int site = t->nodes[n].site_row;
        if (site >= 0 && (size_t)site < t->n_sites && strcmp(t->nodes[n].kind, "switch"))
            s->supervisor_node[site] = (int)n;
    }
    for (size_t b = 0; b < t->n_failover_backups; b++) {
        const ts_trace_failover_backup *fb = &t->failover_backups[b];
        if (fb->component >= 0 && (size_t)fb->component < t->n_components) {
            s->fo_of[fb->component] = fb->group;
            s->takeover[fb->component] = fb->takeover_ns;
        }
    }
    for (size_t g = 0; g < t->n_failover_groups; g++) {
        int p = t->failover_groups[g].primary;
        if (p >= 0 && (size_t)p < t->n_components)
            s->fo_of[p] = (int)g;
    }
    /* Needed primaries and their members (backups in row order). */
    for (size_t p = 0; p < t->n_components; p++) {
        const ts_trace_component *pc = &t->components[p];
        if (!pc->needed || pc->backup_of >= 0)
            continue;
        group *g = &s->groups[s->n_groups++];
        g->primary = (int)p;
        g->members = malloc(nc * sizeof *g->members);
        if (!g->members)
            return TS_ENOMEM;
        g->members[g->n_members++] = (int)p;
        for (size_t b = 0; b < t->n_components; b++)
            if (t->components[b].backup_of == (int)p)
                g->members[g->n_members++] = (int)b;
        size_t before = s->n_watches;
        if (pc->robot >= 0) {
            if (is_robot_site(t, pc->robot))
                s->watches[s->n_watches++] = (watch){(int)p, pc->robot, 0, 0, 0, 0, 0};
        } else {
            /* shared: every robot needs it */
            for (size_t r = 0; r < t->n_sites; r++)
                if (is_robot_site(t, (int)r))
                    s->watches[s->n_watches++] = (watch){(int)p, (int)r, 0, 0, 0, 0, 0};
        }
        if (s->n_watches == before)
            s->watches[s->n_watches++] = (watch){(int)p, -1, 0, 0, 0, 0, 0};
    }
    for (size_t w = 0; w < s->n_watches; w++) {
        int r = s->watches[w].robot;
        s->watches[w].safe = r >= 0 && t->sites[r].safe_state_category >= 0;
    }
    return TS_OK;
}

/* Two ACTIVE members of one failover group, as of now. */
static int check_two_active(const state *s, int64_t now, vopr_violation *v)
{
    const ts_trace *t = s->t;
    for (size_t g = 0; g < t->n_failover_groups; g++) {
        int first = -1;
        for (size_t c = 0; c < t->n_components; c++) {
            if (s->fo_of[c] != (int)g || s->run[c] != TS_TRACE_RUN_ACTIVE)
                continue;
            if (first < 0) {
                first = (int)c;
                continue;
            }
            return broken(v, "two-active", now,
                          "group of %s: %s (%s) and %s (%s) are both ACTIVE",
                          t->components[t->failover_groups[g].primary].name,
                          t->components[first].name, s->alive[first] ? "alive" : "down",
                          t->components[c].name, s->alive[c] ? "alive" : "down");
        }
    }
    return 0;
}

/* A needed component's coverage over [now, next). */
static int check_watch(state *s, watch *w, int64_t now, int64_t next, vopr_violation *v,
                       vopr_check_stats *st)
{
    const ts_trace *t = s->t;
    const group *g = NULL;
    for (size_t i = 0; i < s->n_groups && !g; i++)
        if (s->groups[i].primary == w->primary)
            g = &s->groups[i];
    int serving = 0, any_alive = 0, any_free = 0;
    uint64_t sig = 0;
    int64_t takeover = 0;
    for (size_t k = 0; k < g->n_members; k++) {
        int m = g->members[k];
        serving |= s->serving[m];
        if (s->alive[m]) {
            any_alive = 1;
            any_free |= !s->fenced[m];
            sig |= (uint64_t)1 << (k % 31);
            if (s->takeover[m] > takeover)
                takeover = s->takeover[m];
        }
        if (s->fenced[m])
            sig |= (uint64_t)1 << (31 + k % 31);
    }
    int sup = w->robot >= 0 ? s->supervisor_node[w->robot] : -1;
    int sup_down = w->safe && (sup < 0 || !s->node_up[sup]);
    if (sup_down)
        sig |= (uint64_t)1 << 63;
    int64_t detect = s->lim->detect_ns[w->primary];
    int64_t hb = s->lim->heartbeat_ns[w->primary];
    int64_t grace = detect + takeover + hb + s->lim->slack_ns;
    if (serving || (w->safe && s->safe_in[w->robot])) {
        if (w->open && !w->exempt_counted) {
            int64_t margin = grace - (now - w->anchor);
            if (st && margin < st->closest_ns)
                st->closest_ns = margin;
        }
        w->open = 0;
        return 0;
    }
    if (!w->open) {
        w->open = 1;
        w->anchor = now;
        w->signature = sig;
        w->exempt_counted = 0;
        if (st)
            st->episodes++;
    } else if (sig != w->signature) {
        w->anchor = now;
        w->signature = sig;
    }
    /* What the deployment was given no means to act on. */
    uint64_t *exempt = NULL;
    int is_exempt = 1;
    if (!any_alive && !w->safe)
        exempt = st ? &st->exempt_no_safe_state : NULL;
    else if (sup_down)
        exempt = st ? &st->exempt_supervisor_down : NULL;
    else if (!any_alive && detect <= 0)
        exempt = st ? &st->exempt_unmonitored : NULL;
    else if (any_alive && !any_free && !w->safe)
        exempt = st ? &st->exempt_fenced : NULL;
    else
        is_exempt = 0;
    if (is_exempt) {
        if (exempt && !w->exempt_counted)
            (*exempt)++;
        w->exempt_counted = 1;
        return 0;
    }
    w->exempt_counted = 0;
    if (next - w->anchor <= grace)
        return 0;
    return broken(v, "uncovered", w->anchor + grace,
                  "%s%s: no member serving since %.6f s (%s), %s; grace %.3f ms "
                  "(detect %.3f + takeover %.3f + heartbeat %.3f + slack %.3f)",
                  t->components[w->primary].name, g->n_members > 1 ? " and its backups" : "",
                  (double)w->anchor / 1e9,
                  any_free ? "a member is up" : any_alive ? "every live member fenced"
                                                          : "every member down",
                  w->robot >= 0 ? "its robot not in its safe state" : "no robot to stop",
                  (double)grace / 1e6, (double)detect / 1e6, (double)takeover / 1e6,
                  (double)hb / 1e6, (double)s->lim->slack_ns / 1e6);
}

/* Applies one /events row that matters to coverage. */
static void apply_event(state *s, const ts_trace_event *e)
{
    const ts_trace *t = s->t;
    int node_ok = e->node >= 0 && (size_t)e->node < t->n_nodes;
    int comp_ok = e->component >= 0 && (size_t)e->component < t->n_components;
    if (comp_ok && !strcmp(e->kind, "fence")) {
        s->fenced[e->component] = 1;
    } else if (comp_ok && !strcmp(e->kind, "rejoin")) {
        s->fenced[e->component] = 0;
    } else if (!strcmp(e->kind, "safe_state")) {
        int site = node_ok ? t->nodes[e->node].site_row : -1;
        if (site >= 0 && (size_t)site < t->n_sites)
            s->safe_in[site] = 1;
    } else if (node_ok && (!strcmp(e->kind, "node_down") || !strcmp(e->kind, "thermal_shutdown"))) {
        s->node_up[e->node] = 0;
    } else if (node_ok && !strcmp(e->kind, "node_up")) {
        s->node_up[e->node] = 1;
    }
}

static int check_timeline(const ts_trace *t, const vopr_limits *lim, vopr_violation *v,
                          vopr_check_stats *st)
{
    state s;
    int rc = state_init(&s, t, lim);
    if (rc != TS_OK) {
        state_free(&s);
        return rc;
    }
    size_t i = 0, j = 0;
    int64_t end = t->duration_ns;
    int64_t last = INT64_MIN;
    rc = 0;
    while (rc == 0 && (i < t->n_component_state || j < t->n_events)) {
        int64_t ti = i < t->n_component_state ? t->component_state[i].time_ns : INT64_MAX;
        int64_t tj = j < t->n_events ? t->events[j].time_ns : INT64_MAX;
        int64_t now = ti < tj ? ti : tj;
        if (now < last) {
            rc = broken(v, "trace", now, "%s rows out of time order",
                        ti < tj ? "/component_state" : "/events");
            break;
        }
        last = now;
        for (; i < t->n_component_state && t->component_state[i].time_ns == now; i++) {
            const ts_trace_component_state *r = &t->component_state[i];
            if (r->component < 0 || (size_t)r->component >= t->n_components) {
                rc = broken(v, "trace", now, "/component_state row %zu names component %d", i,
                            (int)r->component);
                break;
            }
            s.serving[r->component] = r->serving != 0;
            s.run[r->component] = (uint8_t)r->run;
            s.alive[r->component] = r->alive != 0;
            if (st)
                st->state_rows++;
        }
        for (; rc == 0 && j < t->n_events && t->events[j].time_ns == now; j++)
            apply_event(&s, &t->events[j]);
        if (rc)
            break;
        if (st)
            st->instants++;
        int64_t ni = i < t->n_component_state ? t->component_state[i].time_ns : INT64_MAX;
        int64_t nj = j < t->n_events ? t->events[j].time_ns : INT64_MAX;
        int64_t next = ni < nj ? ni : nj;
        if (next > end)
            next = end;
        rc = check_two_active(&s, now, v);
        for (size_t w = 0; rc == 0 && w < s.n_watches; w++)
            rc = check_watch(&s, &s.watches[w], now, next > now ? next : now, v, st);
    }
    state_free(&s);
    return rc;
}

/* ---- messages ---- */

/* Serving at time f, per component: its rows (time, serving) in order. */
typedef struct serving_index {
    size_t *first;              /* CSR by component */
    int64_t *time;
    uint8_t *serving;
} serving_index;

static int serving_index_build(serving_index *x, const ts_trace *t)
{
    size_t nc = t->n_components, nr = t->n_component_state;
    x->first = calloc(nc + 2, sizeof *x->first);
    x->time = malloc((nr + 1) * sizeof *x->time);
    x->serving = malloc(nr + 1);
    size_t *fill = calloc(nc + 1, sizeof *fill);
    if (!x->first || !x->time || !x->serving || !fill) {
        free(fill);
        return TS_ENOMEM;
    }
    for (size_t i = 0; i < nr; i++)
        x->first[t->component_state[i].component + 1]++;
    for (size_t c = 0; c < nc; c++)
        x->first[c + 1] += x->first[c];
    for (size_t i = 0; i < nr; i++) {
        int c = t->component_state[i].component;
        size_t at = x->first[c] + fill[c]++;
        x->time[at] = t->component_state[i].time_ns;
        x->serving[at] = t->component_state[i].serving != 0;
    }
    free(fill);
    return TS_OK;
}

static void serving_index_free(serving_index *x)
{
    free(x->first);
    free(x->time);
    free(x->serving);
}

/* Whether c served at f for certain (*sure) and possibly (*maybe): a row
 * at exactly f leaves it open whether the job finished before it. */
static void served_at(const serving_index *x, int c, int64_t f, int *sure, int *maybe)
{
    int before = 1, after = 1, at_f = 0;
    for (size_t k = x->first[c]; k < x->first[c + 1] && x->time[k] <= f; k++) {
        if (x->time[k] < f)
            before = x->serving[k];
        else
            at_f = 1;
        after = x->serving[k];
    }
    *sure = !at_f && before;
    *maybe = before || after;
}

static const char *status_name(int status)
{
    static const char *const names[] = {"delivered", "queue-full", "no-route", "in-flight",
                                        "lost", "link-down", "receiver-down"};
    return status >= 0 && status <= 6 ? names[status] : "unknown";
}

/* One row on its own. */
static int check_row(const ts_trace *t, size_t i, vopr_violation *v)
{
    const ts_trace_message *m = &t->messages[i];
    if (m->topic < 0 || (size_t)m->topic >= t->n_topics)
        return broken(v, "message", m->send_ns, "row %zu names topic %d", i, (int)m->topic);
    const ts_trace_topic *tp = &t->topics[m->topic];
    if (m->publisher != tp->publisher)
        return broken(v, "message", m->send_ns, "row %zu of %s names publisher %d, not %d", i,
                      tp->name, (int)m->publisher, (int)tp->publisher);
    if (m->status < TS_MSG_DELIVERED || m->status > TS_MSG_RECEIVER_DOWN)
        return broken(v, "message", m->send_ns, "row %zu of %s (seq %" PRIu64
                      ") has status %d: neither delivered, a drop with a cause nor in flight",
                      i, tp->name, m->seq, (int)m->status);
    if (m->send_ns < 0 || m->send_ns > t->duration_ns)
        return broken(v, "message", m->send_ns, "row %zu of %s (seq %" PRIu64
                      ") was sent outside the run", i, tp->name, m->seq);
    if (m->status == TS_MSG_DELIVERED) {
        if (m->recv_ns < m->send_ns || m->recv_ns > t->duration_ns)
            return broken(v, "message", m->send_ns, "row %zu of %s (seq %" PRIu64
                          ") delivered at %" PRId64 " ns, sent at %" PRId64 " ns",
                          i, tp->name, m->seq, m->recv_ns, m->send_ns);
    } else if (m->recv_ns != -1) {
        return broken(v, "message", m->send_ns, "row %zu of %s (seq %" PRIu64
                      ") is %s but has a receive time %" PRId64 " ns", i, tp->name, m->seq,
                      status_name(m->status), m->recv_ns);
    }
    return 0;
}

static int check_samples(const ts_trace *t, size_t topic, const size_t *rows, size_t n_rows,
                         const int *owed, size_t n_owed, int has_qos, const serving_index *sx,
                         vopr_violation *v);

/* One topic: the subscribers it owes every sample, then its rows. */
static int check_topic(const ts_trace *t, size_t topic, const size_t *rows, size_t n_rows,
                       const serving_index *sx, vopr_violation *v)
{
    /* The subscribers the topic owes every sample. */
    int *owed = malloc((t->n_subscriptions + 1) * sizeof *owed);
    if (!owed)
        return TS_ENOMEM;
    size_t n_owed = 0;
    int has_qos = 0;
    for (size_t k = 0; k < t->n_subscriptions; k++) {
        const ts_trace_subscription *sub = &t->subscriptions[k];
        if (sub->topic != (int)topic)
            continue;
        has_qos |= sub->has_qos != 0;
        if (sub->allowed && (!sub->has_qos || sub->matched))
            owed[n_owed++] = sub->subscriber;
    }
    int rc = check_samples(t, topic, rows, n_rows, owed, n_owed, has_qos, sx, v);
    free(owed);
    return rc;
}

/* The rows of one topic against its owed subscribers and its
 * publisher's jobs. */
static int check_samples(const ts_trace *t, size_t topic, const size_t *rows, size_t n_rows,
                         const int *owed, size_t n_owed, int has_qos, const serving_index *sx,
                         vopr_violation *v)
{
    const ts_trace_topic *tp = &t->topics[topic];
    /* Samples through the DDS layer are numbered as its writer numbers
     * them, from 1 (src/deploy/qos_writer.c), the others from 0. */
    uint64_t base = has_qos ? 1 : 0;
    uint64_t samples = base;
    for (size_t k = 0; k < n_rows; k++)
        if (t->messages[rows[k]].seq + 1 > samples)
            samples = t->messages[rows[k]].seq + 1;
    if (samples > 4 * (uint64_t)t->n_messages + 1)
        return broken(v, "message", 0, "%s: seq numbers reach %" PRIu64 " with %zu rows",
                      tp->name, samples - 1, n_rows);
    uint8_t *seen = calloc((size_t)samples * (n_owed ? n_owed : 1) + 1, 1);
    int64_t *sent = malloc(((size_t)samples + 1) * sizeof *sent);
    if (!seen || !sent) {
        free(seen);
        free(sent);
        return TS_ENOMEM;
    }
    for (uint64_t q = 0; q < samples; q++)
        sent[q] = -1;
    int rc = 0;
    for (size_t k = 0; k < n_rows && rc == 0; k++) {
        const ts_trace_message *m = &t->messages[rows[k]];
        if (m->seq < base) {
            rc = broken(v, "message", m->send_ns, "%s has seq %" PRIu64 ", below its first, %"
                        PRIu64, tp->name, m->seq, base);
            break;
        }
        size_t o = 0;
        while (o < n_owed && owed[o] != m->subscriber)
            o++;
        if (o == n_owed) {
            rc = broken(v, "message", m->send_ns, "%s seq %" PRIu64 " went to component %d, "
                        "which the topic owes no samples", tp->name, m->seq, (int)m->subscriber);
            break;
        }
        uint8_t *cell = &seen[(size_t)m->seq * n_owed + o];
        if (*cell) {
            rc = broken(v, "message", m->send_ns, "%s seq %" PRIu64 " to %s has two rows",
                        tp->name, m->seq, t->components[m->subscriber].name);
            break;
        }
        *cell = 1;
        if (sent[m->seq] >= 0 && sent[m->seq] != m->send_ns)
            rc = broken(v, "message", m->send_ns, "%s seq %" PRIu64 " has rows sent at %"
                        PRId64 " and %" PRId64 " ns", tp->name, m->seq, sent[m->seq], m->send_ns);
        sent[m->seq] = m->send_ns;
    }
    for (uint64_t q = base; q < samples && rc == 0; q++)
        for (size_t o = 0; o < n_owed && rc == 0; o++)
            if (!seen[(size_t)q * n_owed + o])
                rc = broken(v, "message", sent[q], "%s seq %" PRIu64 " has no row for %s: "
                            "neither delivered, dropped nor in flight", tp->name, q,
                            t->components[owed[o]].name);
    free(seen);
    free(sent);
    if (rc || n_owed == 0)
        return rc;
    /* The independent count: the publisher's jobs. */
    int p = tp->publisher;
    uint64_t finished = 0, sure = 0;
    int64_t last_finish = -1;
    for (size_t k = 0; k < t->n_jobs; k++) {
        const ts_trace_job *j = &t->jobs[k];
        if (j->component != p || j->finish_ns < 0)
            continue;
        finished++;
        int is_sure, maybe;
        served_at(sx, p, j->finish_ns, &is_sure, &maybe);
        sure += (uint64_t)is_sure;
        if (j->finish_ns > last_finish)
            last_finish = j->finish_ns;
    }
    samples -= base;
    if (samples > finished)
        return broken(v, "message", last_finish, "%s: %" PRIu64 " samples, but its publisher "
                      "%s finished %" PRIu64 " jobs", tp->name, samples,
                      t->components[p].name, finished);
    if (tp->period_ns == 0 && !has_qos && samples < sure)
        return broken(v, "message", last_finish, "%s: %" PRIu64 " samples, but its publisher "
                      "%s finished %" PRIu64 " jobs while serving", tp->name, samples,
                      t->components[p].name, sure);
    return 0;
}

static int check_messages(const ts_trace *t, vopr_violation *v, vopr_check_stats *st)
{
    for (size_t i = 0; i < t->n_messages; i++)
        if (check_row(t, i, v))
            return 1;
    if (st)
        st->messages += t->n_messages;
    for (size_t c = 0; c < t->n_component_state; c++) {
        int k = t->component_state[c].component;
        if (k < 0 || (size_t)k >= t->n_components)
            return broken(v, "trace", t->component_state[c].time_ns,
                          "/component_state row %zu names component %d", c, k);
    }
    for (size_t j = 0; j < t->n_jobs; j++)
        if (t->jobs[j].component < 0 || (size_t)t->jobs[j].component >= t->n_components)
            return broken(v, "trace", t->jobs[j].release_ns, "/jobs row %zu names component %d",
                          j, (int)t->jobs[j].component);
    /* Rows by topic (CSR), in row order. */
    size_t nt = t->n_topics;
    size_t *first = calloc(nt + 2, sizeof *first);
    size_t *rows = malloc((t->n_messages + 1) * sizeof *rows);
    size_t *fill = calloc(nt + 1, sizeof *fill);
    serving_index sx = {0};
    int rc = first && rows && fill ? serving_index_build(&sx, t) : TS_ENOMEM;
    if (rc == TS_OK) {
        for (size_t i = 0; i < t->n_messages; i++)
            first[t->messages[i].topic + 1]++;
        for (size_t k = 0; k < nt; k++)
            first[k + 1] += first[k];
        for (size_t i = 0; i < t->n_messages; i++) {
            size_t k = (size_t)t->messages[i].topic;
            rows[first[k] + fill[k]++] = i;
        }
        for (size_t k = 0; k < nt && rc == 0; k++)
            rc = check_topic(t, k, rows + first[k], first[k + 1] - first[k], &sx, v);
    }
    serving_index_free(&sx);
    free(first);
    free(rows);
    free(fill);
    return rc;
}

int vopr_check(const ts_trace *t, const vopr_limits *lim, vopr_violation *v,
               vopr_check_stats *st)
{
    memset(v, 0, sizeof *v);
    if (lim->n_components != t->n_components)
        return broken(v, "trace", 0, "limits for %zu components, the trace has %zu",
                      lim->n_components, t->n_components);
    int rc = check_messages(t, v, st);
    if (rc == 0)
        rc = check_timeline(t, lim, v, st);
    return rc;
}
