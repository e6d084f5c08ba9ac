/*
 * Heartbeats and primary/backup failover groups (see deploy_failover.h for
 * the protocol, the takeover rule and the records). The whole group lives
 * in one object for convenience, but each member acts only on what it
 * could know as a separate process: its own liveness, its own detectors,
 * and the ranks and roles its peers announce in their heartbeats. Roles
 * are told to the component-state controller, which owns them; the one
 * shortcut is fencing, where the new active member tells the controller
 * the fenced member's role (the fenced process obeying).
 */
#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"
#include "toposim/deploy_controller.h"
#include "toposim/deploy_failover.h"
#include "toposim/error.h"

/* ---- heartbeat body and sender ---------------------------------------- */

void ts_hb_body_encode(ts_rt_message *msg, const ts_hb_body *body)
{
    uint32_t inc = body->incarnation;
    uint32_t rank = (uint32_t)body->rank;
    for (int i = 0; i < 4; i++) {
        msg->body[i] = (uint8_t)(inc >> (8 * i));
        msg->body[4 + i] = (uint8_t)(rank >> (8 * i));
    }
    msg->body[8] = (uint8_t)body->role;
    msg->body_len = 9;
}

int ts_hb_body_decode(const ts_rt_message *msg, ts_hb_body *body)
{
    if (msg->body_len < 9)
        return TS_EINVAL;
    uint32_t inc = 0, rank = 0;
    for (int i = 0; i < 4; i++) {
        inc |= (uint32_t)msg->body[i] << (8 * i);
        rank |= (uint32_t)msg->body[4 + i] << (8 * i);
    }
    if (msg->body[8] > TS_HB_ROLE_ACTIVE)
        return TS_EINVAL;
    body->incarnation = inc;
    body->rank = (int32_t)rank;
    body->role = (ts_hb_role)msg->body[8];
    return TS_OK;
}

static int component_alive(const ts_runtime *rt, int component)
{
    return ts_rt_alive(rt, TS_RT_COMPONENT, component) != 0;
}

static void sender_tick(void *ctx, uint64_t arg)
{
    (void)arg;
    ts_hb_sender *s = ctx;
    s->timer = 0;
    if (!s->running)
        return;
    if (!component_alive(s->rt, s->d.endpoint)) {
        s->was_alive = 0;
    } else {
        int restarted = !s->was_alive;
        s->was_alive = 1;
        if (restarted)
            s->body.incarnation++;
        int send = s->d.tick ? s->d.tick(s->d.tick_ctx, s, restarted) : 1;
        if (send && s->running) {
            ts_rt_message msg;
            memset(&msg, 0, sizeof msg);
            msg.from = s->d.endpoint;
            msg.port = TS_PORT_LIVENESS;
            msg.kind = TS_HB_MSG_HEARTBEAT;
            msg.channel = s->d.channel;
            msg.seq = ++s->seq;
            msg.stamp = ts_rt_now(s->rt);
            msg.wire_bytes = TS_HB_WIRE_BYTES;
            ts_hb_body_encode(&msg, &s->body);
            for (size_t i = 0; i < s->d.n_to; i++) {
                msg.to = s->to[i];
                /* A lost datagram is the network's business; nothing to do
                 * here about a send error either: the next beat retries. */
                (void)ts_rt_send(s->rt, &msg);
            }
            s->sent++;
        }
    }
    if (s->running && ts_rt_timer_start(s->rt, s->d.period_ns, sender_tick, s, 0, &s->timer) < 0) {
        /* Without a timer the beats stop: say so, as receivers will soon
         * suspect this component while it is alive. */
        s->running = 0;
        ts_rt_note(s->rt, "heartbeat_stopped", s->d.endpoint, -1, 0.0,
                   "the runtime refused the next heartbeat timer");
    }
}

int ts_hb_sender_init(ts_hb_sender *s, const ts_runtime *rt, const ts_hb_sender_desc *desc,
                      ts_error *err)
{
    memset(s, 0, sizeof *s);
    if (!rt || !desc)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "heartbeat sender: no runtime or description");
    if (desc->period_ns <= 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "heartbeat sender: period must be > 0");
    if (desc->n_to && !desc->to)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "heartbeat sender: no destination list");
    s->rt = rt;
    s->d = *desc;
    if (desc->n_to) {
        s->to = ts_malloc(desc->n_to * sizeof *s->to);
        if (!s->to)
            return ts_error_set(err, TS_ENOMEM, NULL, 0, "heartbeat sender: out of memory");
        memcpy(s->to, desc->to, desc->n_to * sizeof *s->to);
    }
    s->d.to = s->to;
    s->body.role = TS_HB_ROLE_ACTIVE;
    s->was_alive = 1;
    return TS_OK;
}

int ts_hb_sender_start(ts_hb_sender *s)
{
    if (s->running)
        return TS_OK;
    s->running = 1;
    return ts_rt_timer_start(s->rt, 0, sender_tick, s, 0, &s->timer);
}

void ts_hb_sender_stop(ts_hb_sender *s)
{
    s->running = 0;
    ts_rt_timer_cancel(s->rt, s->timer);
    s->timer = 0;
}

void ts_hb_sender_fini(ts_hb_sender *s)
{
    if (!s || !s->rt)
        return;
    ts_hb_sender_stop(s);
    ts_free(s->to);
    s->to = NULL;
    s->d.to = NULL;
    s->d.n_to = 0;
}

/* ---- failover group --------------------------------------------------- */

typedef struct fo_peer {
    ts_fd fd;                   /* this member's detector for the peer */
    ts_rt_timer timer;          /* fires at the detector's suspect_at */
    int rank;                   /* the rank the peer last announced */
    ts_hb_role role;            /* the role it last announced */
    uint32_t inc;               /* newest (incarnation, seq) heard */
    uint64_t seq;
    int heard;
} fo_peer;

typedef struct fo_member {
    ts_failover *g;
    size_t index;
    ts_fo_member_desc d;        /* takeover_ns resolved */
    int rank;
    int fenced;
    int listening;
    ts_hb_sender sender;
    fo_peer *peers;             /* n_members entries, own slot unused */
    ts_rt_timer takeover_timer;
    int taking_over;
    int64_t decided_at;
    size_t replacing;           /* member it takes over from */
} fo_member;

struct ts_failover {
    const ts_runtime *rt;
    int id;
    char *name;
    int64_t heartbeat_ns;
    int supervisor;
    ts_ctl *ctl;                /* owns the members' roles */
    size_t n;
    fo_member *m;
    int *to;                    /* scratch for building sender lists */
    int active;                 /* member index serving, or -1 */
    size_t takeovers;
    int started;
};

static const char *standby_name(ts_fo_standby k)
{
    switch (k) {
    case TS_FO_HOT: return "hot";
    case TS_FO_WARM: return "warm";
    case TS_FO_COLD: return "cold";
    }
    return "?";
}

static const char *group_name(const ts_failover *g)
{
    return g->name ? g->name : "failover group";
}

/* Tells the controller m's role; a runtime that refuses to apply it is
 * recorded (the role stands: the controller owns it and the runtime's
 * refusal is not the group's to undo). */
static void set_state(ts_failover *g, fo_member *m, ts_rt_run_state run, int safety)
{
    int rc = ts_ctl_set_role(g->ctl, m->d.component, run, safety);
    if (rc < 0) {
        char detail[160];
        snprintf(detail, sizeof detail, "%s: the runtime could not apply component %d's new role: %s",
                 group_name(g), m->d.component, ts_strerror(rc));
        ts_rt_note(g->rt, "apply_failed", m->d.component, m->d.node, (double)rc, detail);
    }
}

static ts_rt_run_state run_of(const fo_member *m)
{
    return (ts_rt_run_state)ts_ctl_role(m->g->ctl, m->d.component);
}

/* The role a member waits in as a backup. */
static ts_rt_run_state backup_role(const fo_member *m)
{
    return m->d.standby == TS_FO_COLD ? TS_RT_STOPPED : TS_RT_STANDBY;
}

/* Whether peer p ranks above member m in m's view (ties: declaration order). */
static int ranks_above(const fo_member *m, size_t p)
{
    int r = m->peers[p].rank;
    return r < m->rank || (r == m->rank && p < m->index);
}

static int suspects(const fo_member *m, size_t p, int64_t now)
{
    return ts_fd_state_at(&m->peers[p].fd, now) == TS_FD_SUSPECTED;
}

/* Whether m must see peer p fail before it may serve: p ranks above it,
 * or p last announced that it serves. A member back from a long outage
 * ranks itself from what it knew before (the serving member may have
 * rejoined, and so moved down, meanwhile); taking over from nobody while
 * hearing a member serve would make two serve. */
static int outranks(const fo_member *m, size_t p)
{
    return ranks_above(m, p) || (m->peers[p].heard && m->peers[p].role == TS_HB_ROLE_ACTIVE);
}

/* Every member that outranks m is suspected by m (vacuously true). */
static int all_above_suspected(const fo_member *m, int64_t now)
{
    for (size_t p = 0; p < m->g->n; p++)
        if (p != m->index && outranks(m, p) && !suspects(m, p, now))
            return 0;
    return 1;
}

/* The member m replaces: the one above it last heard announcing itself
 * active (the latest such heartbeat), else the highest-ranked one above. */
static size_t replaced_member(const fo_member *m)
{
    size_t best = SIZE_MAX;
    int64_t best_last = INT64_MIN;
    for (size_t p = 0; p < m->g->n; p++) {
        const fo_peer *pe = &m->peers[p];
        if (p == m->index || !outranks(m, p) || !pe->heard || pe->role != TS_HB_ROLE_ACTIVE)
            continue;
        if (ts_fd_last(&pe->fd) > best_last) {
            best_last = ts_fd_last(&pe->fd);
            best = p;
        }
    }
    if (best != SIZE_MAX)
        return best;
    for (size_t p = 0; p < m->g->n; p++) {
        if (p == m->index || !ranks_above(m, p))
            continue;
        if (best == SIZE_MAX || m->peers[p].rank < m->peers[best].rank)
            best = p;
    }
    return best;
}

static void fence(ts_failover *g, fo_member *by, fo_member *q)
{
    char detail[160];
    set_state(g, q, TS_RT_STOPPED, 0);
    q->fenced = 1;
    q->taking_over = 0;
    ts_rt_timer_cancel(g->rt, q->takeover_timer);
    q->takeover_timer = 0;
    if (g->active == (int)q->index)
        g->active = -1;
    snprintf(detail, sizeof detail, "%s: component %d fenced (stopped) by component %d",
             group_name(g), q->d.component, by->d.component);
    ts_rt_note(g->rt, "fence", q->d.component, q->d.node, (double)by->d.component, detail);
}

static void serve(fo_member *m)
{
    ts_failover *g = m->g;
    int64_t now = ts_rt_now(g->rt);
    char detail[192];
    m->taking_over = 0;
    m->takeover_timer = 0;
    if (!component_alive(g->rt, m->d.component) || m->fenced || !all_above_suspected(m, now)) {
        snprintf(detail, sizeof detail, "%s: component %d abandoned its takeover (%s)",
                 group_name(g), m->d.component,
                 m->fenced ? "fenced"
                 : !component_alive(g->rt, m->d.component) ? "it died"
                                                           : "a higher-ranked member was heard");
        ts_rt_note(g->rt, "failover_aborted", m->d.component, m->d.node,
                   (double)(now - m->decided_at), detail);
        return;
    }
    size_t r = m->replacing;
    int64_t last = r != SIZE_MAX ? ts_fd_last(&m->peers[r].fd) : m->decided_at;
    set_state(g, m, TS_RT_ACTIVE, 1);
    g->active = (int)m->index;
    g->takeovers++;
    /* Fence every member that outranks it and is not known dead, in
     * member order (deterministic record order); a dead one no longer
     * serves: it waits as a backup until it rejoins when it restarts. */
    for (size_t p = 0; p < g->n; p++) {
        fo_member *q = &g->m[p];
        if (p == m->index || !outranks(m, p) || q->fenced)
            continue;
        if (ts_rt_alive(g->rt, TS_RT_COMPONENT, q->d.component) != 0)
            fence(g, m, q);
        else
            set_state(g, q, backup_role(q), 0);
    }
    snprintf(detail, sizeof detail, "%s: component %d (%s standby) serves in safety mode, replacing %d",
             group_name(g), m->d.component, standby_name(m->d.standby),
             r != SIZE_MAX ? g->m[r].d.component : -1);
    ts_rt_note(g->rt, "failover", m->d.component, m->d.node, (double)(now - last), detail);
}

static void on_takeover(void *ctx, uint64_t arg)
{
    (void)arg;
    serve(ctx);
}

static void evaluate(fo_member *m)
{
    ts_failover *g = m->g;
    /* A member whose process came back from a crash acts only once it
     * has rejoined (at its next heartbeat tick): until then it still
     * holds its old rank and would see nobody above it. */
    if (!g->started || m->fenced || run_of(m) == TS_RT_ACTIVE || m->taking_over ||
        !m->sender.was_alive)
        return;
    if (!component_alive(g->rt, m->d.component))
        return;
    int64_t now = ts_rt_now(g->rt);
    if (!all_above_suspected(m, now))
        return;
    size_t r = replaced_member(m);
    int64_t last = r != SIZE_MAX ? ts_fd_last(&m->peers[r].fd) : now;
    char detail[192];
    snprintf(detail, sizeof detail, "%s: component %d (%s standby) suspects component %d, takeover in %lld ns",
             group_name(g), m->d.component, standby_name(m->d.standby),
             r != SIZE_MAX ? g->m[r].d.component : -1, (long long)m->d.takeover_ns);
    ts_rt_note(g->rt, "failover_decision", m->d.component, m->d.node, (double)(now - last), detail);
    m->taking_over = 1;
    m->decided_at = now;
    m->replacing = r;
    if (m->d.takeover_ns == 0) {
        serve(m);
        return;
    }
    if (ts_rt_timer_start(g->rt, m->d.takeover_ns, on_takeover, m, 0, &m->takeover_timer) != TS_OK)
        serve(m); /* no timer: serving late beats never serving */
}

static void on_suspect_timer(void *ctx, uint64_t arg)
{
    fo_member *m = ctx;
    m->peers[arg].timer = 0;
    evaluate(m);
}

/* Arms (m, p)'s timer at the detector's suspicion instant. */
static void arm(fo_member *m, size_t p)
{
    ts_failover *g = m->g;
    fo_peer *pe = &m->peers[p];
    ts_rt_timer_cancel(g->rt, pe->timer);
    pe->timer = 0;
    int64_t at = ts_fd_suspect_at(&pe->fd);
    if (at == INT64_MAX)
        return;
    int64_t now = ts_rt_now(g->rt);
    if (ts_rt_timer_start(g->rt, at > now ? at - now : 0, on_suspect_timer, m, p, &pe->timer) < 0) {
        /* Unable to wait for the suspicion instant: judge now rather than
         * never (the takeover rule re-checks every member above). */
        pe->timer = 0;
        evaluate(m);
    }
}

static ts_hb_role role_of(const fo_member *m)
{
    ts_rt_run_state run = run_of(m);
    return run == TS_RT_ACTIVE    ? TS_HB_ROLE_ACTIVE
           : run == TS_RT_STANDBY ? TS_HB_ROLE_STANDBY
                                  : TS_HB_ROLE_STOPPED;
}

/* m's process came back from a crash: it joins as the last backup. */
static void rejoin(fo_member *m)
{
    ts_failover *g = m->g;
    int64_t now = ts_rt_now(g->rt);
    char detail[160];
    m->taking_over = 0;
    ts_rt_timer_cancel(g->rt, m->takeover_timer);
    m->takeover_timer = 0;
    m->fenced = 0;
    if (g->active == (int)m->index)
        g->active = -1;
    if (g->n == 1) {
        /* Nobody to fail over to or from: it simply serves again. */
        set_state(g, m, TS_RT_ACTIVE, 0);
        g->active = 0;
    } else {
        int max = m->rank;
        for (size_t p = 0; p < g->n; p++)
            if (p != m->index && m->peers[p].rank > max)
                max = m->peers[p].rank;
        m->rank = max + 1;
        set_state(g, m, backup_role(m), 0);
        for (size_t p = 0; p < g->n; p++) {
            if (p == m->index)
                continue;
            ts_fd_reset(&m->peers[p].fd, now);
            arm(m, p);
        }
    }
    snprintf(detail, sizeof detail, "%s: component %d is back and joins as the last member (rank %d)",
             group_name(g), m->d.component, m->rank);
    ts_rt_note(g->rt, "rejoin", m->d.component, m->d.node, (double)m->rank, detail);
}

static int member_tick(void *ctx, ts_hb_sender *s, int restarted)
{
    fo_member *m = ctx;
    if (restarted)
        rejoin(m);
    if (m->fenced)
        return 0;
    s->body.rank = m->rank;
    s->body.role = role_of(m);
    return 1;
}

static void on_heartbeat(void *ctx, const ts_rt_message *msg)
{
    fo_member *m = ctx;
    ts_failover *g = m->g;
    if (!g->started || msg->kind != TS_HB_MSG_HEARTBEAT || msg->channel != g->id)
        return;
    if (!component_alive(g->rt, m->d.component))
        return;
    size_t p = 0;
    while (p < g->n && g->m[p].d.component != msg->from)
        p++;
    if (p == g->n || p == m->index)
        return;
    ts_hb_body body;
    if (ts_hb_body_decode(msg, &body) != TS_OK)
        return;
    fo_peer *pe = &m->peers[p];
    int64_t now = ts_rt_now(g->rt);
    if (m->fenced) {
        /* Fenced, it stays stopped and silent until it hears a member
         * announce that it serves: the group is then served without it,
         * and it rejoins as the last backup, as after a restart, so that
         * a false suspicion does not cost the group a member for good
         * (the member that fenced it may fail later). Its new rank must
         * follow the serving member's current one, hence the rank first. */
        if (body.role != TS_HB_ROLE_ACTIVE)
            return;
        pe->rank = body.rank;
        rejoin(m);
    }
    if (pe->heard && (body.incarnation < pe->inc || (body.incarnation == pe->inc && msg->seq <= pe->seq)))
        return; /* duplicate or overtaken by a newer one */
    if (pe->heard && body.incarnation > pe->inc)
        ts_fd_reset(&pe->fd, now);
    ts_fd_heartbeat(&pe->fd, now);
    pe->heard = 1;
    pe->inc = body.incarnation;
    pe->seq = msg->seq;
    pe->rank = body.rank;
    pe->role = body.role;
    arm(m, p);
    evaluate(m);
}

void ts_failover_free(ts_failover *g)
{
    if (!g)
        return;
    if (g->m) {
        for (size_t i = 0; i < g->n; i++) {
            fo_member *m = &g->m[i];
            if (m->listening)
                ts_rt_unlisten(g->rt, m->d.component, TS_PORT_LIVENESS);
            ts_rt_timer_cancel(g->rt, m->takeover_timer);
            ts_hb_sender_fini(&m->sender);
            if (m->peers) {
                for (size_t p = 0; p < g->n; p++) {
                    ts_rt_timer_cancel(g->rt, m->peers[p].timer);
                    ts_fd_fini(&m->peers[p].fd);
                }
                ts_free(m->peers);
            }
        }
        ts_free(g->m);
    }
    ts_free(g->to);
    ts_free(g->name);
    ts_free(g);
}

ts_failover *ts_failover_new(const ts_runtime *rt, const ts_failover_desc *desc, ts_error *err)
{
    if (!rt || !desc || !desc->members || desc->n_members == 0 || !desc->ctl) {
        ts_error_set(err, TS_EINVAL, NULL, 0,
                     "failover: no runtime, controller, description or members");
        return NULL;
    }
    const char *nm = desc->name ? desc->name : "failover group";
    if (desc->heartbeat_ns <= 0) {
        ts_error_set(err, TS_EINVAL, NULL, 0, "failover %s: heartbeat period must be > 0", nm);
        return NULL;
    }
    for (size_t i = 0; i < desc->n_members; i++) {
        const ts_fo_member_desc *md = &desc->members[i];
        if (md->component < 0 || md->component == desc->supervisor ||
            (md->standby != TS_FO_HOT && md->standby != TS_FO_WARM && md->standby != TS_FO_COLD)) {
            ts_error_set(err, TS_EINVAL, NULL, 0, "failover %s: member %zu: bad component or standby",
                         nm, i);
            return NULL;
        }
        for (size_t j = 0; j < i; j++)
            if (desc->members[j].component == md->component) {
                ts_error_set(err, TS_EINVAL, NULL, 0,
                             "failover %s: component %d is a member twice", nm, md->component);
                return NULL;
            }
    }
    ts_fd_desc fdd = desc->detector;
    if (fdd.period_ns == 0)
        fdd.period_ns = desc->heartbeat_ns;

    ts_failover *g = ts_calloc(1, sizeof *g);
    if (!g) {
        ts_error_set(err, TS_ENOMEM, NULL, 0, "failover %s: out of memory", nm);
        return NULL;
    }
    g->rt = rt;
    g->id = desc->id;
    g->heartbeat_ns = desc->heartbeat_ns;
    g->supervisor = desc->supervisor;
    g->ctl = desc->ctl;
    g->n = desc->n_members;
    g->active = -1;
    int rc;
    if (desc->name && !(g->name = ts_strdup(desc->name)))
        goto fail;
    g->m = ts_calloc(g->n, sizeof *g->m);
    g->to = ts_malloc((g->n + 1) * sizeof *g->to);
    if (!g->m || !g->to)
        goto fail;
    for (size_t i = 0; i < g->n; i++) {
        fo_member *m = &g->m[i];
        m->g = g;
        m->index = i;
        m->d = desc->members[i];
        if (m->d.takeover_ns < 0)
            m->d.takeover_ns = m->d.standby == TS_FO_COLD   ? TS_FO_COLD_TAKEOVER_NS
                               : m->d.standby == TS_FO_WARM ? TS_FO_WARM_TAKEOVER_NS
                                                            : 0;
        m->rank = (int)i;
        m->replacing = SIZE_MAX;
        m->peers = ts_calloc(g->n, sizeof *m->peers);
        if (!m->peers)
            goto fail;
        for (size_t p = 0; p < g->n; p++) {
            m->peers[p].rank = (int)p;
            if (p == i)
                continue;
            rc = ts_fd_init(&m->peers[p].fd, &fdd, 0, err);
            if (rc != TS_OK)
                goto fail_set;
        }
        size_t k = 0;
        for (size_t p = 0; p < g->n; p++)
            if (p != i)
                g->to[k++] = desc->members[p].component;
        if (g->supervisor >= 0)
            g->to[k++] = g->supervisor;
        ts_hb_sender_desc sd = {m->d.component, g->to, k, g->heartbeat_ns, g->id, member_tick, m};
        rc = ts_hb_sender_init(&m->sender, rt, &sd, err);
        if (rc != TS_OK)
            goto fail_set;
        rc = ts_rt_listen(rt, m->d.component, TS_PORT_LIVENESS, on_heartbeat, m);
        if (rc != TS_OK) {
            ts_error_set(err, rc, NULL, 0, "failover %s: cannot listen on component %d", nm,
                         m->d.component);
            goto fail_set;
        }
        m->listening = 1;
    }
    for (size_t i = 0; i < g->n; i++)
        g->to[i] = desc->members[i].component;
    rc = ts_ctl_add_replicas(g->ctl, g->to, g->n);
    if (rc != TS_OK) {
        ts_error_set(err, rc, NULL, 0, "failover %s: a member is already in another group", nm);
        goto fail_set;
    }
    return g;
fail:
    ts_error_set(err, TS_ENOMEM, NULL, 0, "failover %s: out of memory", nm);
fail_set:
    ts_failover_free(g);
    return NULL;
}

int ts_failover_start(ts_failover *g)
{
    if (!g || g->started)
        return g ? TS_OK : TS_EINVAL;
    int64_t now = ts_rt_now(g->rt);
    g->started = 1;
    for (size_t i = 0; i < g->n; i++) {
        fo_member *m = &g->m[i];
        set_state(g, m, i == 0 ? TS_RT_ACTIVE : backup_role(m), 0);
        for (size_t p = 0; p < g->n; p++)
            if (p != i)
                ts_fd_reset(&m->peers[p].fd, now);
    }
    g->active = 0;
    int rc = TS_OK;
    for (size_t i = 0; i < g->n; i++) {
        int r = ts_hb_sender_start(&g->m[i].sender);
        if (r != TS_OK && rc == TS_OK)
            rc = r;
        for (size_t p = 0; p < g->n; p++)
            if (p != i)
                arm(&g->m[i], p);
    }
    return rc;
}

int ts_failover_active(const ts_failover *g)
{
    return g ? g->active : -1;
}

int ts_failover_member_run(const ts_failover *g, size_t member)
{
    return g && member < g->n ? (int)run_of(&g->m[member]) : -1;
}

int ts_failover_member_rank(const ts_failover *g, size_t member)
{
    return g && member < g->n ? g->m[member].rank : -1;
}

int ts_failover_member_fenced(const ts_failover *g, size_t member)
{
    return g && member < g->n ? g->m[member].fenced : -1;
}

size_t ts_failover_count(const ts_failover *g)
{
    return g ? g->takeovers : 0;
}

