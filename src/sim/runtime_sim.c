/*
 * runtime.h on the simulator: time and timers from the engine, datagrams
 * carried by the network model between the nodes the endpoints run on,
 * liveness from the compute model, records into /events, and the
 * component-state controller's decisions applied to the compute model
 * (apply_component, the one function through which a component's run
 * state, safety mode and version change in the simulator). What may be
 * sent, received and served is the controller's (src/deploy/) decision;
 * this file only applies it. The deployment code cannot tell this from a
 * real runtime.
 */
#include "sim/runtime_sim.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"
#include "toposim/dynamics.h"

/* Ports an endpoint may listen on (0 .. PORTS - 1). */
#define PORTS 32

typedef struct rt_timer {
    ts_rt_timer_fn fn;
    void *ctx;
    uint64_t arg;
    ts_event_handle event;
    uint32_t gen;             /* bumped on every use: stale ids do nothing */
    int next_free;
    int in_use;
} rt_timer;

typedef struct rt_msg {
    ts_rt_message msg;
    int next_free;
} rt_msg;

/* A listener, in an open-addressing table keyed by endpoint and port:
 * only endpoints that listen cost anything (most components of a large
 * fleet never do). key is endpoint * PORTS + port + 1; 0 marks a free slot. */
typedef struct rt_listener {
    uint64_t key;
    ts_rt_receive_fn fn;
    void *ctx;
} rt_listener;

/* Kind names the deployment code records, hashed once per run so a
 * record costs a hash and one compare, not a scan of the table. */
#define KIND_SLOTS 256
_Static_assert(TS_EV_COUNT < KIND_SLOTS / 2, "the kind-name table stays at most half full");

struct ts__rts {
    ts_runtime rt;            /* what the deployment code is handed */
    ts__shared sh;
    ts_network *net;
    ts_compute *compute;
    ts_dynamics *dyn;         /* the owner of node power modes; may be NULL */
    rt_timer *timers;
    size_t n_timers;
    int timer_free;
    rt_msg *msgs;
    size_t n_msgs;
    int msg_free;
    rt_listener *listeners;   /* cap_listeners slots, a power of two */
    size_t cap_listeners, n_listeners;
    ts_rt_component_state *component; /* as last applied, per component */
    uint8_t *crashed;         /* 1: its process crashed (a fault) */
    ts_ctl *ctl;              /* who decides component states (deploy) */
    ts__rts_changed_fn changed;
    void *changed_ctx;
    const ts__transport *transport; /* a topic's same-node latency */
    uint8_t kind_slot[KIND_SLOTS]; /* kind + 1 by name hash; 0: empty */
};

static ts__rts *of(void *impl)
{
    return impl;
}

/* FNV-1a (http://www.isthe.com/chongo/tech/comp/fnv/), 32 bits. */
static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static void index_kinds(ts__rts *r)
{
    for (int k = 1; k < TS_EV_COUNT; k++) {
        uint32_t i = name_hash(ts_event_kind_name((ts_event_kind)k)) % KIND_SLOTS;
        while (r->kind_slot[i])
            i = (i + 1) % KIND_SLOTS;
        r->kind_slot[i] = (uint8_t)(k + 1);
    }
}

/* The kind a recorded name stands for, TS_EV_OTHER when the table lacks
 * it. runtime.h records carry names (the deployment code sees no
 * simulator header); this is where they become kinds, once per record. */
static ts_event_kind kind_of(const ts__rts *r, const char *name)
{
    if (!name)
        return TS_EV_OTHER;
    for (uint32_t i = name_hash(name) % KIND_SLOTS; r->kind_slot[i]; i = (i + 1) % KIND_SLOTS) {
        ts_event_kind k = (ts_event_kind)(r->kind_slot[i] - 1);
        if (!strcmp(ts_event_kind_name(k), name))
            return k;
    }
    return TS_EV_OTHER;
}

static int64_t rt_now(void *impl)
{
    return ts_engine_now(of(impl)->sh.engine);
}

/* Timers: a pool of slots (grown by doubling, reused through a free
 * list); an id is slot + 1 in the low half and the slot's generation in
 * the high half, so a stale id cancels nothing. */
static int grow_timers(ts__rts *r)
{
    size_t old = r->n_timers, cap = old ? 2 * old : 64;
    rt_timer *t = ts_realloc(r->timers, cap * sizeof *t);
    if (!t)
        return TS_ENOMEM;
    for (size_t i = old; i < cap; i++) {
        t[i] = (rt_timer){0};
        t[i].next_free = i + 1 < cap ? (int)(i + 1) : r->timer_free;
    }
    r->timers = t;
    r->timer_free = (int)old;
    r->n_timers = cap;
    return TS_OK;
}

static void on_timer(ts_engine *engine, void *ctx, uint64_t arg)
{
    (void)engine;
    ts__rts *r = ctx;
    rt_timer *t = &r->timers[arg];
    rt_timer copy = *t;
    t->in_use = 0;
    t->gen++;
    t->next_free = r->timer_free;
    r->timer_free = (int)arg;
    copy.fn(copy.ctx, copy.arg);
}

static int rt_timer_start(void *impl, int64_t delay_ns, ts_rt_timer_fn fn, void *ctx,
                          uint64_t arg, ts_rt_timer *out)
{
    ts__rts *r = of(impl);
    if (delay_ns < 0 || !fn)
        return TS_EINVAL;
    if (r->timer_free < 0 && grow_timers(r) != TS_OK)
        return TS_ENOMEM;
    int i = r->timer_free;
    rt_timer *t = &r->timers[i];
    ts_engine *engine = r->sh.engine;
    int rc = ts_engine_schedule(engine, ts_engine_now(engine) + delay_ns, on_timer, r,
                                (uint64_t)i, &t->event);
    if (rc != TS_OK)
        return rc;
    r->timer_free = t->next_free;
    t->fn = fn;
    t->ctx = ctx;
    t->arg = arg;
    t->in_use = 1;
    if (out)
        *out = ((uint64_t)t->gen << 32) | (uint64_t)(i + 1);
    return TS_OK;
}

static int rt_timer_cancel(void *impl, ts_rt_timer id)
{
    ts__rts *r = of(impl);
    uint64_t slot = (id & 0xffffffffu);
    if (slot == 0 || slot > r->n_timers)
        return TS_OK;
    rt_timer *t = &r->timers[slot - 1];
    if (!t->in_use || t->gen != (uint32_t)(id >> 32))
        return TS_OK;
    ts_engine_cancel(r->sh.engine, t->event);
    t->in_use = 0;
    t->gen++;
    t->next_free = r->timer_free;
    r->timer_free = (int)(slot - 1);
    return TS_OK;
}

/* splitmix64's finaliser (Steele, Lea, Flood: "Fast splittable
 * pseudorandom number generators", OOPSLA 2014) spreads the keys. */
static size_t slot_of(uint64_t key, size_t cap)
{
    key ^= key >> 30;
    key *= 0xbf58476d1ce4e5b9ull;
    key ^= key >> 27;
    key *= 0x94d049bb133111ebull;
    key ^= key >> 31;
    return (size_t)(key & (cap - 1));
}

static rt_listener *listener_find(const ts__rts *r, uint64_t key)
{
    if (!r->cap_listeners)
        return NULL;
    for (size_t i = slot_of(key, r->cap_listeners);; i = (i + 1) & (r->cap_listeners - 1)) {
        if (r->listeners[i].key == key)
            return &r->listeners[i];
        if (!r->listeners[i].key)
            return NULL;
    }
}

/* Doubles the table (at most half full), rehashing every listener. */
static int listeners_grow(ts__rts *r)
{
    size_t cap = r->cap_listeners ? 2 * r->cap_listeners : 16;
    rt_listener *t = ts_calloc(cap, sizeof *t);
    if (!t)
        return TS_ENOMEM;
    for (size_t k = 0; k < r->cap_listeners; k++) {
        if (!r->listeners[k].key)
            continue;
        size_t i = slot_of(r->listeners[k].key, cap);
        while (t[i].key)
            i = (i + 1) & (cap - 1);
        t[i] = r->listeners[k];
    }
    ts_free(r->listeners);
    r->listeners = t;
    r->cap_listeners = cap;
    return TS_OK;
}

static int node_up(const ts__rts *r, int n)
{
    return ts_compute_node_up(r->compute, n);
}

/* Endpoints are numbered by the controller: components, then node
 * agents (a robot's supervisor daemon, say), alive while their node is. */
static int endpoint_count(const ts__rts *r)
{
    return ts_ctl_endpoint_count(r->ctl);
}

static int endpoint_node(const ts__rts *r, int e)
{
    return ts_ctl_endpoint_node(r->ctl, e);
}

/* A process is alive unless it crashed or its node is down. A component
 * the controller has STOPPED (a cold standby, a fenced primary) is alive:
 * its agent still sends and hears heartbeats, but nothing else. */
static int component_alive(const ts__rts *r, int c)
{
    size_t nc = r->sh.s->n_components;
    if (c < 0 || c >= endpoint_count(r))
        return 0;
    if ((size_t)c >= nc)
        return node_up(r, (int)((size_t)c - nc));
    return !r->crashed[c] && node_up(r, r->sh.plan->node_of[c]);
}

/* The compute task runs while the process is up and not set STOPPED. */
static void sync_task(ts__rts *r, int c)
{
    ts_compute_set_task_running(r->compute, c,
                                !r->crashed[c] && r->component[c].run != TS_RT_STOPPED);
}

/* A message the simulator has no memory to carry ends the run with that
 * error: the deployment code would take a failed send for a lost one, and
 * the trace would show a network loss that never happened. */
static int send_failed(ts__rts *r, int rc)
{
    ts_error e;
    ts_error_set(&e, rc, NULL, 0, "no memory to carry a message");
    ts__bus_fail(r->sh.bus, &e);
    return rc;
}

/* The packet that carries message slot i between its endpoints' nodes. */
static ts_packet packet_of(const ts__rts *r, int i)
{
    const ts_rt_message *msg = &r->msgs[i].msg;
    ts_packet p = {
        .topic = msg->channel,
        .publisher = msg->from,
        .subscriber = msg->to,
        .seq = msg->seq,
        .src = endpoint_node(r, msg->from),
        .dst = endpoint_node(r, msg->to),
        .bytes = msg->wire_bytes > 0 ? msg->wire_bytes : 1,
        .tag = (uint64_t)i + 1,
    };
    /* A topic's DDS traffic (data, heartbeats, acknowledgements) between
     * two endpoints on one node goes through the node's transport; the
     * rest of the runtime's same-node traffic arrives in the same
     * nanosecond (README, "Transports"). */
    if (p.src == p.dst && r->transport && msg->port == TS_PORT_TOPIC && msg->channel >= 0 &&
        (size_t)msg->channel < r->sh.s->n_topics)
        p.local_ns = ts__transport_local_ns(r->transport, msg->channel, p.bytes);
    return p;
}

/* A deferred same-node message (rt_send) goes out now. */
static void on_local_send(ts_engine *engine, void *ctx, uint64_t arg)
{
    (void)engine;
    ts__rts *r = ctx;
    ts_packet p = packet_of(r, (int)arg);
    int rc = ts_network_send(r->net, &p);
    if (rc != TS_OK) {
        r->msgs[arg].next_free = r->msg_free;
        r->msg_free = (int)arg;
        (void)send_failed(r, rc);
    }
}

static int rt_send(void *impl, const ts_rt_message *msg)
{
    ts__rts *r = of(impl);
    int ne = endpoint_count(r);
    if (msg->from < 0 || msg->from >= ne || msg->to < 0 || msg->to >= ne)
        return TS_EINVAL;
    /* A crashed process sends nothing; what a live one may send (a stopped
     * one only heartbeats, data obeys the policy) the controller says. */
    if (!component_alive(r, msg->from) || !ts_ctl_may_send(r->ctl, msg))
        return TS_OK;
    if (r->msg_free < 0) {
        size_t old = r->n_msgs, cap = old ? 2 * old : 256;
        rt_msg *m = ts_realloc(r->msgs, cap * sizeof *m);
        if (!m)
            return send_failed(r, TS_ENOMEM);
        for (size_t i = old; i < cap; i++)
            m[i].next_free = i + 1 < cap ? (int)(i + 1) : r->msg_free;
        r->msgs = m;
        r->msg_free = (int)old;
        r->n_msgs = cap;
    }
    int i = r->msg_free;
    r->msg_free = r->msgs[i].next_free;
    r->msgs[i].msg = *msg;
    ts_packet p = packet_of(r, i);
    /* A same-node message the node's transport takes no time over would
     * otherwise reach its listener inside this send, before the sender has
     * finished the handler that sent it (a health checker sends a round's
     * probes, then opens the round: an answer arriving inside the send
     * finds no open round). A real runtime never delivers inside send, so
     * such a message is sent by an event of its own at the same
     * nanosecond, which runs once the sender's handler has returned. */
    if (p.src == p.dst && p.local_ns == 0) {
        int rc = ts_engine_schedule(r->sh.engine, ts_engine_now(r->sh.engine), on_local_send,
                                    r, (uint64_t)i, NULL);
        if (rc != TS_OK) {
            r->msgs[i].next_free = r->msg_free;
            r->msg_free = i;
            return send_failed(r, rc);
        }
        return TS_OK;
    }
    int rc = ts_network_send(r->net, &p);
    if (rc != TS_OK) {
        r->msgs[i].next_free = r->msg_free;
        r->msg_free = i;
        return send_failed(r, rc);
    }
    return TS_OK;
}

void ts__rts_packet(ts__rts *r, const ts_packet *p)
{
    size_t i = (size_t)(p->tag - 1);
    ts_rt_message msg = r->msgs[i].msg;
    r->msgs[i].next_free = r->msg_free;
    r->msg_free = (int)i;
    if (p->status != TS_PKT_DELIVERED || msg.port < 0 || msg.port >= PORTS ||
        !component_alive(r, msg.to) || !ts_ctl_may_receive(r->ctl, msg.to, msg.port))
        return;
    const rt_listener *l = listener_find(r, (uint64_t)msg.to * PORTS + (uint64_t)msg.port + 1);
    if (l && l->fn)
        l->fn(l->ctx, &msg);
}

static int rt_listen(void *impl, int endpoint, int port, ts_rt_receive_fn fn, void *ctx)
{
    ts__rts *r = of(impl);
    if (endpoint < 0 || endpoint >= endpoint_count(r) || port < 0 || port >= PORTS)
        return TS_EINVAL;
    uint64_t key = (uint64_t)endpoint * PORTS + (uint64_t)port + 1;
    rt_listener *l = listener_find(r, key);
    if (!l) {
        if (2 * (r->n_listeners + 1) > r->cap_listeners && listeners_grow(r) != TS_OK)
            return TS_ENOMEM;
        size_t i = slot_of(key, r->cap_listeners);
        while (r->listeners[i].key)
            i = (i + 1) & (r->cap_listeners - 1);
        l = &r->listeners[i];
        l->key = key;
        r->n_listeners++;
    }
    l->fn = fn;
    l->ctx = ctx;
    return TS_OK;
}

static int rt_alive(void *impl, ts_rt_entity kind, int index)
{
    ts__rts *r = of(impl);
    if (kind == TS_RT_COMPONENT)
        return index >= 0 && index < endpoint_count(r) ? component_alive(r, index) : -1;
    if (index < 0 || (size_t)index >= r->sh.s->n_nodes)
        return -1;
    return node_up(r, index);
}

/* A node's power state: the dynamics model's mode, energy, battery and
 * die temperature, the scenario's throttle point, the compute model's
 * core times. */
static int rt_power_state(void *impl, int node, ts_rt_power *out)
{
    ts__rts *r = of(impl);
    const ts_scenario *s = r->sh.s;
    if (!out || node < 0 || (size_t)node >= s->n_nodes || !r->dyn)
        return TS_EINVAL;
    ts_dyn_state dy;
    int rc = ts_dynamics_state(r->dyn, node, &dy);
    if (rc != TS_OK)
        return rc;
    ts_compute_node_stat st;
    ts_compute_node_stat_get(r->compute, node, &st);
    const ts_scenario_node *sn = &s->nodes[node];
    out->mode = dy.mode;
    out->energy_j = dy.energy_j;
    out->battery_wh = dy.battery_wh;
    out->die_c = dy.die_c;
    out->throttle_c = sn->has_thermal && sn->thermal->throttle_c != 0 ? sn->thermal->throttle_c
                                                                       : NAN;
    out->online_cores = st.online_cores;
    out->core_busy_ns = st.core_busy_ns;
    out->online_core_ns = st.online_core_ns;
    return TS_OK;
}

/* The dynamics model owns the mode: it pushes the new caps to the compute
 * model and reports "power_mode". */
static int rt_set_power_mode(void *impl, int node, int mode)
{
    ts__rts *r = of(impl);
    if (!r->dyn)
        return TS_EINVAL;
    return ts_dynamics_set_mode(r->dyn, node, mode);
}

/* Whether the state being left had replaced the declared execution time
 * (a version with its own, or a safety mode with one). */
static int cur_changes_exec(const ts__rts *r, int c)
{
    const ts_scenario_component *sc = &r->sh.s->components[c];
    const ts_rt_component_state *cur = &r->component[c];
    if (cur->safety_mode && sc->shared->safety->exec_ns)
        return 1;
    if (cur->version > 0 && (size_t)cur->version < sc->shared->n_versions) {
        const ts_scenario_version *v = &sc->shared->versions[cur->version];
        return v->exec_ns != sc->shared->exec_ns || v->exec_min_ns != sc->shared->exec_min_ns;
    }
    return 0;
}

/* The timing a component runs with: its version's, then safety mode's. */
static void apply_timing(ts__rts *r, int c, const ts_rt_component_state *st)
{
    const ts_scenario_component *sc = &r->sh.s->components[c];
    /* 0 keeps the execution time (and its distribution) as declared;
     * only a version or the safety mode that changes it replaces it. A
     * replaced distribution is not restored on the way back: the compute
     * model keeps one range. */
    ts_time period = sc->shared->period_ns, lo = 0, hi = 0;
    if (st->version > 0 && (size_t)st->version < sc->shared->n_versions) {
        const ts_scenario_version *v = &sc->shared->versions[st->version];
        if (v->period_ns)
            period = v->period_ns;
        if (v->exec_ns != sc->shared->exec_ns || v->exec_min_ns != sc->shared->exec_min_ns) {
            hi = v->exec_ns;
            lo = v->exec_min_ns ? v->exec_min_ns : v->exec_ns;
        }
    } else if (cur_changes_exec(r, c)) {
        lo = sc->shared->exec_min_ns;
        hi = sc->shared->exec_ns;
    }
    if (st->safety_mode) {
        if (sc->shared->safety->period_ns)
            period = sc->shared->safety->period_ns;
        if (sc->shared->safety->exec_ns)
            lo = hi = sc->shared->safety->exec_ns;
    }
    if (ts_compute_set_task_timing(r->compute, c, period, lo, hi) != TS_OK) {
        ts_error e;
        ts_error_set(&e, TS_ENOMEM, NULL, 0, "cannot change the timing of %s", sc->id);
        ts__bus_fail(r->sh.bus, &e);
    }
}

static void note(ts__rts *r, ts_event_kind kind, int component, double value, const char *detail)
{
    ts_platform_event ev = {ts_engine_now(r->sh.engine), kind, -1, -1, component, value, "", NULL};
    if (component >= 0)
        ev.node = r->sh.plan->node_of[component];
    snprintf(ev.detail, sizeof ev.detail, "%s", detail ? detail : "");
    ts__bus_post(r->sh.bus, &ev);
}

static void changed(ts__rts *r, int c)
{
    if (r->changed)
        r->changed(r->changed_ctx, c);
}

/* The one place where a component's state changes in the simulator:
 * either the controller decided a new run state, safety mode or version
 * (st), applied here to the compute model (task running, timing) with
 * the safety-mode parameters noted; or its process crashed or came back,
 * or its node went down or up (st NULL: the decided state stands, whether
 * it serves changed with its liveness, ts_ctl_serves). component[] is
 * the applied copy (what the process was configured with), kept to tell
 * what changed. The recorder hears of every change here. */
static int apply_component_state(ts__rts *r, int c, const ts_rt_component_state *st)
{
    if (!st) {
        changed(r, c);
        return TS_OK;
    }
    ts_rt_component_state *cur = &r->component[c];
    const ts_scenario_component *sc = &r->sh.s->components[c];
    cur->run = st->run;
    sync_task(r, c);
    if (st->safety_mode != cur->safety_mode || st->version != cur->version) {
        apply_timing(r, c, st);
        if (st->safety_mode && !cur->safety_mode)
            for (size_t k = 0; k < sc->shared->safety->n_params; k++) {
                char detail[160];
                snprintf(detail, sizeof detail, "%s serves in safety mode: %s = %s", sc->id,
                         sc->shared->safety->param_names[k], sc->shared->safety->param_values[k]);
                note(r, TS_EV_SAFETY_PARAM, c, 0, detail);
            }
    }
    *cur = *st;
    changed(r, c);
    return TS_OK;
}

static int rt_apply_component(void *impl, int c, const ts_rt_component_state *st)
{
    ts__rts *r = of(impl);
    if (c < 0 || (size_t)c >= r->sh.s->n_components || !st)
        return TS_EINVAL;
    return apply_component_state(r, c, st);
}

static void rt_record(void *impl, const ts_rt_record *rec)
{
    ts__rts *r = of(impl);
    ts_platform_event ev = {ts_engine_now(r->sh.engine), kind_of(r, rec->kind), rec->node, -1,
                            rec->component, rec->value, "", NULL};
    if (ev.kind == TS_EV_OTHER)
        ev.kind_name = rec->kind;
    if (rec->component >= 0 && (size_t)rec->component >= r->sh.s->n_components) {
        ev.node = endpoint_node(r, rec->component);   /* a node agent */
        ev.component = -1;
    } else if (ev.node < 0 && rec->component >= 0) {
        ev.node = r->sh.plan->node_of[rec->component];
    }
    snprintf(ev.detail, sizeof ev.detail, "%s", rec->detail ? rec->detail : "");
    ts__bus_post(r->sh.bus, &ev);
}

static const ts_runtime_ops sim_ops = {
    rt_now, rt_timer_start, rt_timer_cancel, rt_send,
    rt_listen, rt_alive, rt_apply_component, rt_record,
    rt_power_state, rt_set_power_mode,
};

/* The controller, described from the scenario and the plan: where each
 * component runs, which are safety-critical, which nodes host agents,
 * each topic's publisher. */
static int ctl_new(ts__rts *r, ts_error *err)
{
    const ts_scenario *s = r->sh.s;
    size_t nc = s->n_components, nn = s->n_nodes, nt = s->n_topics;
    int *node_of = ts_malloc((nc ? nc : 1) * sizeof *node_of);
    unsigned char *critical = ts_calloc(nc ? nc : 1, 1);
    int *node_site = ts_malloc((nn ? nn : 1) * sizeof *node_site);
    unsigned char *hosts = ts_calloc(nn ? nn : 1, 1);
    int *publisher = ts_malloc((nt ? nt : 1) * sizeof *publisher);
    int rc = TS_OK;
    if (!node_of || !critical || !node_site || !hosts || !publisher) {
        rc = ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the controller");
    } else {
        for (size_t c = 0; c < nc; c++) {
            node_of[c] = r->sh.plan->node_of[c];
            critical[c] = (s->components[c].shared->flags & TS_FLAG_SAFETY_CRITICAL) != 0;
        }
        for (size_t n = 0; n < nn; n++) {
            node_site[n] = s->nodes[n].site;
            hosts[n] = s->nodes[n].kind != TS_NODE_SWITCH;
        }
        for (size_t t = 0; t < nt; t++)
            publisher[t] = s->topics[t].publisher;
        ts_ctl_desc d = {
            .n_components = nc,
            .node_of = node_of,
            .safety_critical = critical,
            .n_nodes = nn,
            .node_site = node_site,
            .node_hosts_agent = hosts,
            .n_sites = s->n_sites,
            .n_topics = nt,
            .topic_publisher = publisher,
        };
        rc = ts_ctl_new(&r->rt, &d, &r->ctl, err);
    }
    ts_free(node_of);
    ts_free(critical);
    ts_free(node_site);
    ts_free(hosts);
    ts_free(publisher);
    return rc;
}

int ts__rts_new(const ts__shared *sh, ts_network *net, ts_compute *compute, ts__rts **out,
                ts_error *err)
{
    ts__rts *r = ts_calloc(1, sizeof *r);
    *out = r;
    if (!r)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the runtime");
    size_t nc = sh->s->n_components ? sh->s->n_components : 1;
    r->sh = *sh;
    r->net = net;
    r->compute = compute;
    r->rt.ops = &sim_ops;
    r->rt.impl = r;
    r->timer_free = -1;
    r->msg_free = -1;
    index_kinds(r);
    r->component = ts_calloc(nc, sizeof *r->component);
    r->crashed = ts_calloc(nc, 1);
    if (!r->component || !r->crashed)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the runtime");
    for (size_t i = 0; i < sh->s->n_components; i++)
        r->component[i].run = TS_RT_ACTIVE;
    return ctl_new(r, err);
}

void ts__rts_free(ts__rts *r)
{
    if (!r)
        return;
    ts_free(r->timers);
    ts_free(r->msgs);
    ts_free(r->listeners);
    ts_free(r->component);
    ts_free(r->crashed);
    ts_ctl_free(r->ctl);
    ts_free(r);
}

void ts__rts_on_change(ts__rts *r, ts__rts_changed_fn fn, void *ctx)
{
    r->changed = fn;
    r->changed_ctx = ctx;
}

void ts__rts_attach_dynamics(ts__rts *r, ts_dynamics *dyn)
{
    r->dyn = dyn;
}

void ts__rts_set_transport(ts__rts *r, const ts__transport *transport)
{
    r->transport = transport;
}

const ts_runtime *ts__rts_runtime(const ts__rts *r)
{
    return &r->rt;
}

ts_ctl *ts__rts_ctl(const ts__rts *r)
{
    return r->ctl;
}

int ts__rts_serving(const ts__rts *r, int component)
{
    return r->ctl && ts_ctl_serves(r->ctl, component);
}

int ts__rts_crashed(const ts__rts *r, int component)
{
    return r->crashed[component];
}

const ts_rt_component_state *ts__rts_component(const ts__rts *r, int component)
{
    return &r->component[component];
}

void ts__rts_set_component_alive(ts__rts *r, int component, int alive)
{
    r->crashed[component] = !alive;
    sync_task(r, component);
    ts__rts_liveness_changed(r, component);
}

void ts__rts_liveness_changed(ts__rts *r, int component)
{
    /* Whether it serves is the controller's, asked live (a dead process
     * serves nothing; a replaced primary comes back as the backup its
     * group made it). */
    (void)apply_component_state(r, component, NULL);
}

int ts__rts_receives(const ts__rts *r, int component)
{
    return component_alive(r, component) &&
           ts_ctl_may_receive(r->ctl, component, TS_PORT_TOPIC);
}
