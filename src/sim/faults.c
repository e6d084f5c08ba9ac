/*
 * The faults timeline: each scenario fault becomes an engine event at its
 * time that changes a model (a link goes down, loss rises, a node crashes,
 * the ambient warms, a power mode changes), and, when it has a duration,
 * a second event that undoes it. Both are recorded in /events as
 * "fault:KIND" and "recover:KIND". Medium profiles are played the same way.
 * Faults at equal times apply in scenario order (the loader keeps them
 * stably sorted, and events at equal times run in insertion order).
 */
#include "sim/faults.h"

#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"

struct ts__faults {
    ts__shared sh;
    ts_network *net;
    ts_compute *compute;
    ts_dynamics *dyn;
    ts__rts *rts;
};

/* The arg of a fault event: fault index * 2 + (1 when recovering). */
#define FAULT_ARG(i, recover) ((uint64_t)(i) * 2u + ((recover) ? 1u : 0u))

/* The event kind of a fault, or of its recovery. */
static ts_event_kind fault_kind(ts_fault_kind kind, int recover)
{
    switch (kind) {
    case TS_FAULT_LINK_DOWN: return recover ? TS_EV_RECOVER_LINK_DOWN : TS_EV_FAULT_LINK_DOWN;
    case TS_FAULT_LOSS_BURST: return recover ? TS_EV_RECOVER_LOSS_BURST : TS_EV_FAULT_LOSS_BURST;
    case TS_FAULT_LATENCY_SPIKE:
        return recover ? TS_EV_RECOVER_LATENCY_SPIKE : TS_EV_FAULT_LATENCY_SPIKE;
    case TS_FAULT_AMBIENT: return recover ? TS_EV_RECOVER_AMBIENT : TS_EV_FAULT_AMBIENT;
    case TS_FAULT_POWER_MODE: return recover ? TS_EV_RECOVER_POWER_MODE : TS_EV_FAULT_POWER_MODE;
    case TS_FAULT_MEDIUM:
        return recover ? TS_EV_RECOVER_MEDIUM_CHANGE : TS_EV_FAULT_MEDIUM_CHANGE;
    case TS_FAULT_NODE_CRASH: return recover ? TS_EV_RECOVER_NODE_CRASH : TS_EV_FAULT_NODE_CRASH;
    case TS_FAULT_PARTITION: return recover ? TS_EV_RECOVER_PARTITION : TS_EV_FAULT_PARTITION;
    case TS_FAULT_COMPONENT_CRASH:
        return recover ? TS_EV_RECOVER_COMPONENT_CRASH : TS_EV_FAULT_COMPONENT_CRASH;
    }
    return TS_EV_OTHER;
}

static ts_loss_desc loss_of(const ts_scenario_loss *l)
{
    ts_loss_desc d = {(ts_loss_kind)l->model, l->p, l->p_good_bad, l->p_bad_good,
                      l->loss_good, l->loss_bad};
    return d;
}

static void record(ts__faults *w, const ts_scenario_fault *f, int recover, const char *detail)
{
    ts_platform_event ev;
    memset(&ev, 0, sizeof ev);
    ev.time = ts_engine_now(w->sh.engine);
    ev.kind = fault_kind(f->kind, recover);
    /* an unknown fault kind keeps the name it always had */
    ev.kind_name = recover ? "recover:unknown" : "fault:unknown";
    ev.node = ev.link = ev.component = -1;
    switch (f->kind) {
    case TS_FAULT_LINK_DOWN:
    case TS_FAULT_LOSS_BURST:
    case TS_FAULT_LATENCY_SPIKE:
        ev.link = f->target;
        break;
    case TS_FAULT_AMBIENT:
    case TS_FAULT_POWER_MODE:
    case TS_FAULT_NODE_CRASH:
        ev.node = f->target;
        break;
    case TS_FAULT_COMPONENT_CRASH:
        ev.component = f->target;
        break;
    default:
        break;
    }
    ev.value = f->value;
    snprintf(ev.detail, sizeof ev.detail, "%.120s (scenario line %d)", detail, f->line);
    ts__bus_post(w->sh.bus, &ev);
}

static void set_node(ts__faults *w, int node, int up)
{
    /* The dynamics model refuses to restart a node that overheated: it
     * then stays down in the compute model too. */
    if (ts_dynamics_set_node_up(w->dyn, node, up) != TS_OK && up)
        return;
    /* A crashed switch, access point or router forwards nothing until it
     * restarts: its links carry nothing and routes go around it. A compute
     * node's crash stops its components (below), whose traffic the
     * runtime already drops; its links are left as they are. */
    if (w->sh.s->nodes[node].kind == TS_NODE_SWITCH &&
        ts_network_set_node_up(w->net, node, up) == TS_ENOMEM) {
        ts_error e;
        ts_error_set(&e, TS_ENOMEM, w->sh.s->path, 0,
                     "no memory to recompute the routes around node %s",
                     w->sh.s->nodes[node].id);
        ts__bus_fail(w->sh.bus, &e);
    }
    ts_compute_set_node_up(w->compute, node, up);
    for (int k = w->sh.node_first[node]; k < w->sh.node_first[node + 1]; k++)
        if (!ts__rts_crashed(w->rts, w->sh.on_node[k]))
            ts__rts_liveness_changed(w->rts, w->sh.on_node[k]);
}

static void apply(ts__faults *w, const ts_scenario_fault *f, int recover)
{
    const ts_scenario *s = w->sh.s;
    char detail[160];
    int rc = TS_OK;
    switch (f->kind) {
    case TS_FAULT_LINK_DOWN:
        rc = ts_network_set_link_up(w->net, f->target, recover);
        snprintf(detail, sizeof detail, "link %s %s", s->links[f->target].id,
                 recover ? "up again" : "down");
        break;
    case TS_FAULT_PARTITION:
        /* One batch: the routes change once for the whole partition. */
        rc = ts_network_set_links_up(w->net, f->links, f->n_links, recover);
        snprintf(detail, sizeof detail, "%zu links %s", f->n_links,
                 recover ? "up again" : "cut");
        break;
    case TS_FAULT_LOSS_BURST: {
        ts_loss_desc loss = loss_of(&f->loss);
        rc = ts_network_set_loss(w->net, f->target, recover ? NULL : &loss);
        snprintf(detail, sizeof detail, "link %s: %s", s->links[f->target].id,
                 recover ? "declared loss restored" : "loss burst");
        break;
    }
    case TS_FAULT_LATENCY_SPIKE:
        ts_network_set_extra_latency(w->net, f->target, recover ? 0 : f->extra_ns);
        snprintf(detail, sizeof detail, "link %s: %s", s->links[f->target].id,
                 recover ? "extra latency removed" : "extra latency");
        break;
    case TS_FAULT_MEDIUM: {
        const ts_scenario_medium *m = &s->media[f->target];
        if (recover)
            rc = ts_network_set_medium(w->net, f->target, m->capacity_bps, m->latency_ns);
        else
            rc = ts_network_set_medium(w->net, f->target, f->value, f->extra_ns);
        snprintf(detail, sizeof detail, "medium %s %s", m->id,
                 recover ? "back to its declared capacity" : "capacity changed");
        break;
    }
    case TS_FAULT_AMBIENT:
        ts_dynamics_set_ambient(w->dyn, f->target, recover ? s->ambient_c : f->value);
        snprintf(detail, sizeof detail, "ambient %s", recover ? "restored" : "changed");
        break;
    case TS_FAULT_POWER_MODE:
        ts_dynamics_set_mode(w->dyn, f->target, f->mode);
        snprintf(detail, sizeof detail, "node %s: power mode %s", s->nodes[f->target].id,
                 s->nodes[f->target].power->modes[f->mode].name);
        break;
    case TS_FAULT_NODE_CRASH:
        set_node(w, f->target, recover);
        snprintf(detail, sizeof detail, "node %s %s", s->nodes[f->target].id,
                 recover ? "restarted" : "crashed");
        break;
    case TS_FAULT_COMPONENT_CRASH:
        ts__rts_set_component_alive(w->rts, f->target, recover);
        snprintf(detail, sizeof detail, "component %s %s", s->components[f->target].id,
                 recover ? "restarted" : "crashed");
        break;
    default:
        snprintf(detail, sizeof detail, "unknown fault");
        break;
    }
    /* A change the network had no memory to make (new routes, a loss
     * stream) would leave the model half changed: the run fails. */
    if (rc == TS_ENOMEM) {
        ts_error e;
        ts_error_set(&e, TS_ENOMEM, s->path, f->line, "no memory to apply this fault (%s)",
                     detail);
        ts__bus_fail(w->sh.bus, &e);
    }
    record(w, f, recover, detail);
}

static void on_fault(ts_engine *engine, void *ctx, uint64_t arg)
{
    ts__faults *w = ctx;
    const ts_scenario_fault *f = &w->sh.s->faults[arg / 2];
    int recover = (int)(arg % 2);
    apply(w, f, recover);
    /* Both times are at most TS_SIM_TIME_LIMIT (the loader refuses more),
     * so the sum cannot overflow; a recovery past any run's end is still
     * scheduled, and never runs. */
    if (!recover && f->duration_ns > 0 &&
        ts_engine_schedule(engine, ts_engine_now(engine) + f->duration_ns, on_fault, w,
                           FAULT_ARG(arg / 2, 1), NULL) != TS_OK) {
        ts_error e;
        ts_error_set(&e, TS_ENOMEM, w->sh.s->path, f->line, "cannot schedule this fault's recovery");
        ts__bus_fail(w->sh.bus, &e);
    }
}

/* arg: medium index << 32 | profile point index. */
static void on_profile(ts_engine *engine, void *ctx, uint64_t arg)
{
    (void)engine;
    ts__faults *w = ctx;
    const ts_scenario_medium *m = &w->sh.s->media[arg >> 32];
    const ts_scenario_medium_point *p = &m->profile[arg & 0xffffffffu];
    ts_network_set_medium(w->net, (int)(arg >> 32), p->capacity_bps, p->latency_ns);
}

int ts__faults_start(const ts__shared *sh, ts_network *net, ts_compute *compute,
                     ts_dynamics *dyn, ts__rts *rts, ts__faults **out, ts_error *err)
{
    const ts_scenario *s = sh->s;
    ts__faults *w = ts_calloc(1, sizeof *w);
    *out = w;
    if (!w)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the faults");
    *w = (ts__faults){*sh, net, compute, dyn, rts};
    for (size_t i = 0; i < s->n_faults; i++) {
        int rc = ts_engine_schedule(w->sh.engine, s->faults[i].at_ns, on_fault, w,
                                    FAULT_ARG(i, 0), NULL);
        if (rc != TS_OK)
            return ts_error_set(err, rc, s->path, s->faults[i].line,
                                "cannot schedule this fault");
    }
    for (size_t m = 0; m < s->n_media; m++)
        for (size_t k = 0; k < s->media[m].n_profile; k++) {
            int rc = ts_engine_schedule(w->sh.engine, s->media[m].profile[k].at_ns, on_profile,
                                        w, ((uint64_t)m << 32) | k, NULL);
            if (rc != TS_OK)
                return ts_error_set(err, rc, s->path, s->media[m].line,
                                    "cannot schedule this medium's profile");
        }
    return TS_OK;
}

void ts__faults_free(ts__faults *f)
{
    ts_free(f);
}
