/*
 * runtime.h on the simulator: time and timers from the engine, datagrams
 * carried by the network model between the nodes the components were
 * placed on, liveness from the compute and dynamics models, component
 * control through the compute model, records into /events. The
 * deployment code cannot tell this from a real runtime.
 */
#include <stdio.h>
#include <string.h>

#include "sim/world_internal.h"
#include "toposim/alloc.h"
#include "toposim/deploy_service.h"

static world *of(void *impl)
{
    return impl;
}

static int64_t rt_now(void *impl)
{
    return ts_engine_now(of(impl)->engine);
}

/* Timers: a pool of slots (grown by doubling, reused through a free
 * list); an id is slot + 1 in the low half and the slot's generation in
 * the high half, so a stale id cancels nothing. */
static int grow_timers(ts__rt_state *r)
{
    size_t old = r->n_timers, cap = old ? 2 * old : 64;
    ts__rt_timer *t = ts_realloc(r->timers, cap * sizeof *t);
    if (!t)
        return TS_ENOMEM;
    for (size_t i = old; i < cap; i++) {
        t[i] = (ts__rt_timer){0};
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
    world *w = ctx;
    ts__rt_state *r = &w->rts;
    ts__rt_timer *t = &r->timers[arg];
    ts__rt_timer copy = *t;
    t->in_use = 0;
    t->gen++;
    t->next_free = r->timer_free;
    r->timer_free = (int)arg;
    copy.fn(copy.ctx, copy.arg);
}

static int rt_timer_start(void *impl, int64_t delay_ns, ts_rt_timer_fn fn, void *ctx,
                          uint64_t arg, ts_rt_timer *out)
{
    world *w = of(impl);
    ts__rt_state *r = &w->rts;
    if (delay_ns < 0 || !fn)
        return TS_EINVAL;
    if (r->timer_free < 0 && grow_timers(r) != TS_OK)
        return TS_ENOMEM;
    int i = r->timer_free;
    ts__rt_timer *t = &r->timers[i];
    int rc = ts_engine_schedule(w->engine, ts_engine_now(w->engine) + delay_ns, on_timer, w,
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
    world *w = of(impl);
    ts__rt_state *r = &w->rts;
    uint64_t slot = (id & 0xffffffffu);
    if (slot == 0 || slot > r->n_timers)
        return TS_OK;
    ts__rt_timer *t = &r->timers[slot - 1];
    if (!t->in_use || t->gen != (uint32_t)(id >> 32))
        return TS_OK;
    ts_engine_cancel(w->engine, t->event);
    t->in_use = 0;
    t->gen++;
    t->next_free = r->timer_free;
    r->timer_free = (int)(slot - 1);
    return TS_OK;
}

static int node_up(const world *w, int n)
{
    return ts_compute_node_up(w->compute, n);
}

/* Endpoints 0..n_components-1 are components; the next n_nodes are node
 * agents (a robot's supervisor daemon, say), alive while their node is. */
static int endpoint_count(const world *w)
{
    return (int)(w->s->n_components + w->s->n_nodes);
}

static int endpoint_node(const world *w, int e)
{
    size_t nc = w->s->n_components;
    return (size_t)e < nc ? w->plan->placement[e].node : (int)((size_t)e - nc);
}

/* A process is alive unless it crashed or its node is down. A component
 * the deployment code set STOPPED (a cold standby, a fenced primary) is
 * alive: its agent still sends and hears heartbeats, but nothing else. */
int ts__world_site_agent(const world *w, int site)
{
    const ts_scenario *s = w->s;
    for (size_t n = 0; n < s->n_nodes; n++)
        if (s->nodes[n].site == site && s->nodes[n].kind != TS_NODE_SWITCH)
            return (int)(s->n_components + n);
    return -1;
}

static int component_alive(const world *w, int c)
{
    size_t nc = w->s->n_components;
    if (c < 0 || c >= endpoint_count(w))
        return 0;
    if ((size_t)c >= nc)
        return node_up(w, (int)((size_t)c - nc));
    return !w->rts.crashed[c] && node_up(w, w->plan->placement[c].node);
}

static int may_use_port(const world *w, int c, int port)
{
    if (!component_alive(w, c))
        return 0;
    return (size_t)c >= w->s->n_components || port == TS_PORT_LIVENESS ||
           w->rts.component[c].run != TS_RT_STOPPED;
}

/* The compute task runs while the process is up and not set STOPPED. */
static void sync_task(world *w, int c)
{
    ts_compute_set_task_running(w->compute, c,
                                !w->rts.crashed[c] && w->rts.component[c].run != TS_RT_STOPPED);
}

static int rt_send(void *impl, const ts_rt_message *msg)
{
    world *w = of(impl);
    ts__rt_state *r = &w->rts;
    int ne = endpoint_count(w);
    if (msg->from < 0 || msg->from >= ne || msg->to < 0 || msg->to >= ne)
        return TS_EINVAL;
    /* A crashed process sends nothing; a stopped one only heartbeats. */
    if (!may_use_port(w, msg->from, msg->port))
        return TS_OK;
    /* Data-plane traffic obeys the access policy: samples from a topic's
     * writer and service requests (acknowledgements flowing back to a
     * writer belong to an allowed flow). */
    int topic_data = msg->port == TS_PORT_TOPIC && msg->channel >= 0 &&
                     (size_t)msg->channel < w->s->n_topics &&
                     w->s->topics[msg->channel].publisher == msg->from;
    if ((topic_data && !ts__world_policy_allows(w, msg->from, msg->to, msg->channel)) ||
        (msg->port == TS_PORT_SERVICE && msg->kind == TS_SVC_MSG_REQUEST &&
         (size_t)msg->from < w->s->n_components &&
         !ts__world_policy_allows(w, msg->from, msg->to, -1)))
        return TS_OK;
    if (r->msg_free < 0) {
        size_t old = r->n_msgs, cap = old ? 2 * old : 256;
        ts__rt_msg *m = ts_realloc(r->msgs, cap * sizeof *m);
        if (!m)
            return TS_ENOMEM;
        for (size_t i = old; i < cap; i++)
            m[i].next_free = i + 1 < cap ? (int)(i + 1) : r->msg_free;
        r->msgs = m;
        r->msg_free = (int)old;
        r->n_msgs = cap;
    }
    int i = r->msg_free;
    r->msg_free = r->msgs[i].next_free;
    r->msgs[i].msg = *msg;
    ts_packet p = {
        .topic = msg->channel,
        .publisher = msg->from,
        .subscriber = msg->to,
        .seq = msg->seq,
        .src = endpoint_node(w, msg->from),
        .dst = endpoint_node(w, msg->to),
        .bytes = msg->wire_bytes > 0 ? msg->wire_bytes : 1,
        .tag = (uint64_t)i + 1,
    };
    return ts_network_send(w->net, &p);
}

void ts__world_runtime_packet(world *w, const ts_packet *p)
{
    ts__rt_state *r = &w->rts;
    size_t i = (size_t)(p->tag - 1);
    ts_rt_message msg = r->msgs[i].msg;
    r->msgs[i].next_free = r->msg_free;
    r->msg_free = (int)i;
    if (p->status != TS_MSG_DELIVERED || msg.port < 0 || msg.port >= TS__RT_PORTS ||
        !may_use_port(w, msg.to, msg.port))
        return;
    ts__rt_listener *l = &r->listeners[(size_t)msg.to * TS__RT_PORTS + (size_t)msg.port];
    if (l->fn)
        l->fn(l->ctx, &msg);
}

static int rt_listen(void *impl, int endpoint, int port, ts_rt_receive_fn fn, void *ctx)
{
    world *w = of(impl);
    if (endpoint < 0 || endpoint >= endpoint_count(w) || port < 0 || port >= TS__RT_PORTS)
        return TS_EINVAL;
    ts__rt_listener *l = &w->rts.listeners[(size_t)endpoint * TS__RT_PORTS + (size_t)port];
    l->fn = fn;
    l->ctx = ctx;
    return TS_OK;
}

static int rt_alive(void *impl, ts_rt_entity kind, int index)
{
    world *w = of(impl);
    if (kind == TS_RT_COMPONENT)
        return index >= 0 && index < endpoint_count(w) ? component_alive(w, index) : -1;
    if (index < 0 || (size_t)index >= w->s->n_nodes)
        return -1;
    return node_up(w, index);
}

/* Whether the state being left had replaced the declared execution time
 * (a version with its own, or a safety mode with one). */
static int cur_changes_exec(const world *w, int c)
{
    const ts_scenario_component *sc = &w->s->components[c];
    const ts_rt_component_state *cur = &w->rts.component[c];
    if (cur->safety_mode && sc->safety.exec_ns)
        return 1;
    if (cur->version > 0 && (size_t)cur->version < sc->n_versions) {
        const ts_scenario_version *v = &sc->versions[cur->version];
        return v->exec_ns != sc->exec_ns || v->exec_min_ns != sc->exec_min_ns;
    }
    return 0;
}

/* The timing a component runs with: its version's, then safety mode's. */
static void apply_timing(world *w, int c, const ts_rt_component_state *st)
{
    const ts_scenario_component *sc = &w->s->components[c];
    /* 0 keeps the execution time (and its distribution) as declared;
     * only a version or the safety mode that changes it replaces it. A
     * replaced distribution is not restored on the way back: the compute
     * model keeps one range. */
    ts_time period = sc->period_ns, lo = 0, hi = 0;
    if (st->version > 0 && (size_t)st->version < sc->n_versions) {
        const ts_scenario_version *v = &sc->versions[st->version];
        if (v->period_ns)
            period = v->period_ns;
        if (v->exec_ns != sc->exec_ns || v->exec_min_ns != sc->exec_min_ns) {
            hi = v->exec_ns;
            lo = v->exec_min_ns ? v->exec_min_ns : v->exec_ns;
        }
    } else if (cur_changes_exec(w, c)) {
        lo = sc->exec_min_ns;
        hi = sc->exec_ns;
    }
    if (st->safety_mode) {
        if (sc->safety.period_ns)
            period = sc->safety.period_ns;
        if (sc->safety.exec_ns)
            lo = hi = sc->safety.exec_ns;
    }
    if (ts_compute_set_task_timing(w->compute, c, period, lo, hi) != TS_OK) {
        ts_error e;
        ts_error_set(&e, TS_ENOMEM, NULL, 0, "cannot change the timing of %s", sc->id);
        ts__world_fail(w, &e);
    }
}

static void note(world *w, const char *kind, int component, double value, const char *detail)
{
    ts_platform_event ev = {ts_engine_now(w->engine), kind, -1, -1, component, value, ""};
    if (component >= 0)
        ev.node = w->plan->placement[component].node;
    snprintf(ev.detail, sizeof ev.detail, "%s", detail ? detail : "");
    ts__world_on_event(w, &ev);
}

static int rt_set_component(void *impl, int c, const ts_rt_component_state *st)
{
    world *w = of(impl);
    if (c < 0 || (size_t)c >= w->s->n_components || !st)
        return TS_EINVAL;
    ts_rt_component_state *cur = &w->rts.component[c];
    const ts_scenario_component *sc = &w->s->components[c];
    cur->run = st->run;
    sync_task(w, c);
    w->rts.serving[c] = st->run == TS_RT_ACTIVE && !w->rts.crashed[c];
    if (st->safety_mode != cur->safety_mode || st->version != cur->version) {
        apply_timing(w, c, st);
        if (st->safety_mode && !cur->safety_mode)
            for (size_t k = 0; k < sc->safety.n_params; k++) {
                char detail[160];
                snprintf(detail, sizeof detail, "%s serves in safety mode: %s = %s", sc->id,
                         sc->safety.param_names[k], sc->safety.param_values[k]);
                note(w, "safety_param", c, 0, detail);
            }
    }
    *cur = *st;
    ts__world_record_component_state(w, c);
    return TS_OK;
}

static void rt_record(void *impl, const ts_rt_record *rec)
{
    world *w = of(impl);
    ts_platform_event ev = {ts_engine_now(w->engine), rec->kind, rec->node, -1, rec->component,
                            rec->value, ""};
    if (rec->component >= 0 && (size_t)rec->component >= w->s->n_components) {
        ev.node = endpoint_node(w, rec->component);   /* a node agent */
        ev.component = -1;
    } else if (ev.node < 0 && rec->component >= 0) {
        ev.node = w->plan->placement[rec->component].node;
    }
    snprintf(ev.detail, sizeof ev.detail, "%s", rec->detail ? rec->detail : "");
    ts__world_on_event(w, &ev);
}

static const ts_runtime_ops sim_ops = {
    rt_now, rt_timer_start, rt_timer_cancel, rt_send,
    rt_listen, rt_alive, rt_set_component, rt_record,
};

int ts__world_runtime_init(world *w, ts_error *err)
{
    ts__rt_state *r = &w->rts;
    size_t nc = w->s->n_components ? w->s->n_components : 1;
    r->rt.ops = &sim_ops;
    r->rt.impl = w;
    r->timer_free = -1;
    r->msg_free = -1;
    r->listeners = ts_calloc((nc + w->s->n_nodes) * TS__RT_PORTS, sizeof *r->listeners);
    r->component = ts_calloc(nc, sizeof *r->component);
    r->serving = ts_calloc(nc, 1);
    r->crashed = ts_calloc(nc, 1);
    if (!r->listeners || !r->component || !r->serving || !r->crashed)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the runtime");
    for (size_t i = 0; i < w->s->n_components; i++) {
        r->component[i].run = TS_RT_ACTIVE;
        r->serving[i] = 1;
    }
    return TS_OK;
}

void ts__world_runtime_free(world *w)
{
    ts__rt_state *r = &w->rts;
    ts_free(r->timers);
    ts_free(r->msgs);
    ts_free(r->listeners);
    ts_free(r->component);
    ts_free(r->serving);
    ts_free(r->crashed);
    memset(r, 0, sizeof *r);
}

int ts__world_serving(const world *w, int component)
{
    return w->rts.serving && w->rts.serving[component];
}

void ts__world_set_component_alive(world *w, int component, int alive)
{
    w->rts.crashed[component] = !alive;
    sync_task(w, component);
    ts__world_process_restarted(w, component, alive);
}

void ts__world_process_restarted(world *w, int component, int alive)
{
    /* A dead process serves nothing; one that comes back serves only if
     * the deployment code still has it as its group's active member (a
     * replaced primary waits for its group to make it a backup). */
    w->rts.serving[component] = alive && w->rts.component[component].run == TS_RT_ACTIVE &&
                                ts__world_agents_is_active(w, component);
    ts__world_record_component_state(w, component);
}

int ts__world_receives(const world *w, int component)
{
    return may_use_port(w, component, TS_PORT_TOPIC);
}
