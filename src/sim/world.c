/*
 * The world: the composition root of a run. It builds, in this order,
 *
 *   bus        events by kind to their subscribers, the first failure (bus.h)
 *   transport  same-node latency, (de)serialisation work (transport.h)
 *   models     network, compute, dynamics (src/platform), wired together
 *   runtime    the simulated runtime.h and the component-state controller
 *              (runtime_sim.h)
 *   discovery  DDS discovery over the network when declared (discovery.h)
 *   recorder   /messages, /component_state, client counts (recorder.h)
 *   workload   tasks, jobs and topic samples (workload.h)
 *   sampler    node, core and link state every period (sampler.h)
 *   faults     the faults timeline and medium profiles (faults.h)
 *   agents     failover groups, supervisors, heartbeats, rollouts (agents.h)
 *   qos        topics through the DDS layer (qos_topics.h)
 *   services   services, clients and the access policy (services.h)
 *   chains     processing chains' instances (chains.h)
 *   fleet      coordinators, robot agents, configuration (fleet.h)
 *   power      the robots' power managers (power_managers.h)
 *
 * Each subsystem keeps its state private behind start/finish/free and
 * receives at its start only what it uses: the shared part (read-only
 * scenario and plan, the engine, the bus, the components by node) and
 * the handles of the models or subsystems below it. None includes a
 * subsystem above it (tools/check-include-cycles.sh enforces it); what a
 * lower one must tell a higher one goes through a callback wired here
 * (the runtime's change hook, the workload's hooks, the models'
 * callbacks). The trace's static tables (tables.h) are written first;
 * every event reaches /events last, after its kind's subscribers.
 */
#include "toposim/world.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sim/agents.h"
#include "sim/bus.h"
#include "sim/chains.h"
#include "sim/discovery.h"
#include "sim/faults.h"
#include "sim/fleet.h"
#include "sim/power_managers.h"
#include "sim/qos_topics.h"
#include "sim/recorder.h"
#include "sim/runtime_sim.h"
#include "sim/sampler.h"
#include "sim/services.h"
#include "sim/worker_pools.h"
#include "sim/tables.h"
#include "sim/transport.h"
#include "sim/workload.h"

#include "toposim/alloc.h"
#include "toposim/dynamics.h"
#include "toposim/limits.h"

/* The network reports packets in the trace's own status numbers. */
_Static_assert((int)TS_PKT_DELIVERED == (int)TS_MSG_DELIVERED && (int)TS_PKT_DROPPED_QUEUE == (int)TS_MSG_DROPPED_QUEUE &&
               (int)TS_PKT_NO_ROUTE == (int)TS_MSG_NO_ROUTE && (int)TS_PKT_IN_FLIGHT == (int)TS_MSG_IN_FLIGHT &&
               (int)TS_PKT_LOST == (int)TS_MSG_LOST && (int)TS_PKT_LINK_DOWN == (int)TS_MSG_LINK_DOWN,
               "packet and message statuses agree");

typedef struct world {
    ts__shared sh;
    ts_time end;              /* the run's simulated duration */
    ts_trace_writer *trace;
    int *node_first, *on_node;/* components by node (sh points here) */
    ts__transport *transport;
    ts_network *net;
    ts_compute *compute;
    ts_dynamics *dyn;
    ts__rts *rts;
    ts__discovery *discovery;
    const ts_run_options *select; /* the trace level, filter and window */
    ts__recorder *recorder;
    ts__workload *workload;
    ts__sampler *sampler;
    ts__faults *faults;
    ts__agents *agents;
    ts__qos_topics *qos;
    ts__services *services;
    ts__worker_pools *pools;    /* autoscaled triggered workers */
    ts__fleet *fleet;
    ts__power_managers *power;
    ts__chains *chains;
} world;

/* Bytes one pending event holds: its pool slot and its queue entry (an
 * upper estimate over the queue implementations). */
#define EVENT_BYTES 64u

/* The events limit, lowered to what half the memory limit can hold. */
static size_t max_pending_events(void)
{
    uint64_t n = ts_limit(TS_LIMIT_EVENTS);
    uint64_t memory = ts_limit(TS_LIMIT_MEMORY);
    if (memory && memory / 2 / EVENT_BYTES < n)
        n = memory / 2 / EVENT_BYTES;
    if (n < 1024)
        n = 1024;
    return n > SIZE_MAX ? SIZE_MAX : (size_t)n;
}

static void fail(world *w, const ts_error *e)
{
    ts__bus_fail(w->sh.bus, e);
}

/* Every event, after its kind's subscribers: a row of /events. */
static void write_event(void *ctx, const ts_platform_event *ev)
{
    world *w = ctx;
    ts_trace_event row;
    memset(&row, 0, sizeof row);
    row.time_ns = ev->time;
    const char *name = ev->kind == TS_EV_OTHER && ev->kind_name ? ev->kind_name
                                                                : ts_event_kind_name(ev->kind);
    snprintf(row.kind, sizeof row.kind, "%s", name);
    row.node = ev->node;
    row.link = ev->link;
    row.component = ev->component;
    row.value = ev->value;
    snprintf(row.detail, sizeof row.detail, "%s", ev->detail);
    ts_error e;
    if (!ts__bus_failed(w->sh.bus) && ts_trace_append_event(w->trace, &row, &e) != TS_OK)
        fail(w, &e);
}

/* ---- the models' callbacks, wired to each other and to the subsystems ---- */

static void on_event(void *ctx, const ts_platform_event *ev)
{
    world *w = ctx;
    ts__bus_post(w->sh.bus, ev);
}

static void on_packet_done(void *ctx, const ts_packet *p)
{
    world *w = ctx;
    /* The deployment code's own traffic (heartbeats, DDS data and acks,
     * requests) goes to its listener; the rest are topic samples. */
    if (p->topic == TS__DISCOVERY_TOPIC) {
        ts__discovery_packet(w->discovery, p);
        return;
    }
    if (p->tag) {
        ts__rts_packet(w->rts, p);
        return;
    }
    /* A process that is not running takes no sample. */
    if (p->status == TS_PKT_DELIVERED && ts_compute_task_alive(w->compute, p->subscriber))
        ts__transport_received(w->transport, p->topic, p->subscriber, p->bytes);
    ts__recorder_message(w->recorder, p);
    /* a sample its subscriber received may release its job (trigger=);
     * the cheap trigger test first, as most samples trigger nothing */
    if (p->status == TS_PKT_DELIVERED &&
        ts__workload_triggers(w->workload, p->topic, p->subscriber) &&
        ts__rts_receives(w->rts, p->subscriber))
        ts__workload_delivered(w->workload, p->topic, p->subscriber, p->seq);
}

static void on_qos_delivered(void *ctx, int topic, int subscriber, uint64_t seq)
{
    world *w = ctx;
    ts__workload_delivered(w->workload, topic, subscriber, seq);
}

/* A component whose jobs arrive faster than they finish: releases would
 * pile up without end (and with them memory and the run's time), so the
 * run stops here with the limit named. Failing, rather than dropping
 * releases as a ROS 2 timer skips the periods its callback overran, keeps
 * the model's queued-release semantics (every release is a job the trace
 * accounts for) and tells the user at once that the scenario asks for more
 * than its node can do. */
static void on_overflow(void *ctx, int task, size_t waiting)
{
    world *w = ctx;
    const ts_scenario *s = w->sh.s;
    const ts_scenario_component *c = &s->components[task]; /* task i is component i */
    ts_error e;
    ts_limit_error(&e, TS_LIMIT_JOBS, s->path, c->line,
                   "component %s: %zu released jobs waiting at %.6f s simulated (a job "
                   "every %lld ns, each up to %lld ns of work): its jobs arrive faster "
                   "than they finish", c->id, waiting,
                   (double)ts_engine_now(w->sh.engine) / 1e9, (long long)c->shared->period_ns,
                   (long long)c->shared->exec_ns);
    fail(w, &e);
}

/* A job becoming current does the serialisation of what it will publish
 * and the deserialisation of what reached its component since the last
 * one (task i is component i). */
static ts_time on_job_work(void *ctx, int task, ts_time release)
{
    world *w = ctx;
    ts_time ser = w->workload ? ts__workload_job_work(w->workload, task, release) : 0;
    ts_time deser = ts__transport_take(w->transport, task);
    return ser > TS_TIME_MAX - deser ? TS_TIME_MAX : ser + deser;
}

static void on_job_done(void *ctx, const ts_job_record *job)
{
    world *w = ctx;
    ts__workload_job(w->workload, job);
}

/* The compute model's load drives power and heat; the dynamics model's
 * clocks, online cores and shutdowns drive the compute model. */
static void on_load(void *ctx, int node, int busy_cores, int busy_gpus, int own_gpus,
                    double own_w)
{
    world *w = ctx;
    ts_dynamics_set_load_ex(w->dyn, node, busy_cores, busy_gpus, own_gpus, own_w);
}

static void on_speed(void *ctx, int node, double cpu_scale, double gpu_scale)
{
    world *w = ctx;
    ts_compute_set_speed(w->compute, node, cpu_scale, gpu_scale);
}

static void on_online_cores(void *ctx, int node, int online)
{
    world *w = ctx;
    ts_compute_set_online_cores(w->compute, node, online);
}

static void on_node_up(void *ctx, int node, int up)
{
    world *w = ctx;
    ts_compute_set_node_up(w->compute, node, up);
}

/* The workload's hooks: QoS topics and the agents are built after it. */
static int qos_publish(void *ctx, int topic, uint64_t *seq)
{
    world *w = ctx;
    return ts__qos_publish(w->qos, topic, seq);
}

static void job_seen(void *ctx, const ts_job_record *job)
{
    world *w = ctx;
    ts__agents_job(w->agents, job);
    ts__services_job(w->services, job);
    /* a triggered job carries its sample (trigger=); a timer job's tag is 0 */
    ts__chains_job(w->chains, job, TS_JOB_TAG_TOPIC(job->tag), TS_JOB_TAG_SEQ(job->tag));
}

/* At the end, a sample waiting in an executor's queue that no job took. */
static void chains_waiting(void *ctx, int component, uint64_t tag)
{
    world *w = ctx;
    ts__chains_waiting(w->chains, component, TS_JOB_TAG_TOPIC(tag), TS_JOB_TAG_SEQ(tag));
}

static int route(void *ctx, int topic, uint64_t seq, int subscriber)
{
    world *w = ctx;
    return ts__worker_pools_route(w->pools, topic, seq, subscriber);
}

static void queued(void *ctx, int component, int delta)
{
    world *w = ctx;
    ts__worker_pools_queued(w->pools, component, delta);
}

static int deliverable(void *ctx, int topic, int k)
{
    world *w = ctx;
    return ts__discovery_deliverable(w->discovery, topic, k);
}

/* Discovery's hook: QoS topics are built after it. */
static uint64_t discovery_matched(void *ctx, int topic, int k)
{
    world *w = ctx;
    return ts__qos_matched(w->qos, topic, k);
}

static int build_network(world *w, uint64_t seed, ts_error *err)
{
    const ts_scenario *s = w->sh.s;
    ts_net_link_desc *links = ts_calloc(s->n_links ? s->n_links : 1, sizeof *links);
    ts_medium_desc *media = ts_calloc(s->n_media ? s->n_media : 1, sizeof *media);
    if (!links || !media) {
        ts_free(links);
        ts_free(media);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the network");
    }
    for (size_t i = 0; i < s->n_links; i++) {
        const ts_scenario_link *l = &s->links[i];
        links[i] = (ts_net_link_desc){
            .a = l->a,
            .b = l->b,
            .latency_ns = l->latency_ns,
            .bandwidth_bps = l->bandwidth_bps,
            .queue_bytes = l->queue_bytes,
            .queue_packets = l->queue_packets,
            .mtu_bytes = l->mtu_bytes,
            .header_bytes = l->header_bytes,
            .jitter = *l->jitter,
            .reorder_allowed = l->reorder_allowed,
            .loss = {(ts_loss_kind)l->loss->model, l->loss->p, l->loss->p_good_bad,
                     l->loss->p_bad_good, l->loss->loss_good, l->loss->loss_bad},
            .medium = l->medium + 1,
            .name = l->id,
        };
    }
    for (size_t m = 0; m < s->n_media; m++)
        media[m] = (ts_medium_desc){.capacity_bps = s->media[m].capacity_bps,
                                    .latency_ns = s->media[m].latency_ns,
                                    .queue_bytes = s->media[m].queue_bytes,
                                    .name = s->media[m].id};
    ts_network_config cfg = {
        .n_nodes = s->n_nodes,
        .links = links,
        .n_links = s->n_links,
        .media = media,
        .n_media = s->n_media,
        .seed = seed,
        .done = on_packet_done,
        .event = on_event,
        .ctx = w,
        .topology = w->sh.plan->topology,
    };
    int rc = ts_network_new(w->sh.engine, &cfg, &w->net, err);
    ts_free(links);
    ts_free(media);
    return rc;
}

static ts_thermal_desc thermal_of(const ts_scenario_thermal *t)
{
    return (ts_thermal_desc){
        .r_die_case = t->r_die_case,
        .r_case_ambient = t->r_case_ambient,
        .r_case_ambient_fan = t->r_case_ambient_fan,
        .c_die = t->c_die,
        .c_case = t->c_case,
        .throttle_c = t->throttle_c,
        .release_c = t->release_c,
        .throttle_scale = t->throttle_scale,
        .fan_on_c = t->fan_on_c,
        .fan_off_c = t->fan_off_c,
        .shutdown_c = t->shutdown_c,
    };
}

/* Power, heat and batteries; the modes and descriptions are copied by
 * ts_dynamics_new, so they are freed here. */
static int build_dynamics(world *w, ts_error *err)
{
    const ts_scenario *s = w->sh.s;
    size_t nn = s->n_nodes ? s->n_nodes : 1, n_modes = 0;
    for (size_t n = 0; n < s->n_nodes; n++)
        n_modes += s->nodes[n].power->n_modes;
    ts_dyn_node_desc *nodes = ts_calloc(nn, sizeof *nodes);
    ts_power_mode *modes = ts_calloc(n_modes ? n_modes : 1, sizeof *modes);
    ts_battery_desc *batteries = ts_calloc(s->n_sites ? s->n_sites : 1, sizeof *batteries);
    int *battery_of_site = ts_calloc(s->n_sites ? s->n_sites : 1, sizeof *battery_of_site);
    int rc = TS_OK;
    if (!nodes || !modes || !batteries || !battery_of_site) {
        rc = ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for power and thermal models");
        goto out;
    }
    size_t n_batteries = 0;
    for (size_t i = 0; i < s->n_sites; i++) {
        battery_of_site[i] = -1;
        if (s->sites[i].battery_wh > 0) {
            batteries[n_batteries] = (ts_battery_desc){s->sites[i].id, s->sites[i].battery_wh,
                                                       s->sites[i].low_battery_fraction};
            battery_of_site[i] = (int)n_batteries++;
        }
    }
    size_t mode_at = 0;
    for (size_t n = 0; n < s->n_nodes; n++) {
        const ts_scenario_node *sn = &s->nodes[n];
        ts_dyn_node_desc *d = &nodes[n];
        d->cores = sn->cores;
        d->gpus = sn->gpus;
        d->battery = sn->site >= 0 ? battery_of_site[sn->site] : -1;
        d->has_power = sn->has_power;
        d->has_thermal = sn->has_thermal;
        if (sn->has_thermal)
            d->thermal = thermal_of(sn->thermal);
        if (sn->has_power) {
            const ts_scenario_power *p = sn->power;
            for (size_t k = 0; k < p->n_modes; k++)
                modes[mode_at + k] = (ts_power_mode){p->modes[k].name, p->modes[k].online_cores,
                                                     p->modes[k].cpu_max_hz, p->modes[k].gpu_max_hz,
                                                     p->modes[k].budget_w, p->modes[k].oc_limit_w,
                                                     p->modes[k].oc_release_w};
            d->power = (ts_power_desc){
                .idle_w = p->idle_w,
                .core_dyn_w = p->core_dyn_w,
                .gpu_dyn_w = p->gpu_dyn_w,
                .cpu_ref_hz = p->cpu_ref_hz,
                .gpu_ref_hz = p->gpu_ref_hz,
                .dyn_exponent = p->dyn_exponent,
                .modes = p->n_modes ? &modes[mode_at] : NULL,
                .n_modes = p->n_modes,
                .initial_mode = p->initial_mode,
                .oc_scale = p->oc_scale,
            };
            mode_at += p->n_modes;
        }
    }
    ts_dynamics_config cfg = {
        .nodes = nodes,
        .n_nodes = s->n_nodes,
        .batteries = batteries,
        .n_batteries = n_batteries,
        .ambient_c = s->ambient_c,
        .ctx = w,
        .set_speed = on_speed,
        .set_online_cores = on_online_cores,
        .set_node_up = on_node_up,
        .on_event = on_event,
    };
    rc = ts_dynamics_new(w->sh.engine, &cfg, &w->dyn, err);
out:
    ts_free(nodes);
    ts_free(modes);
    ts_free(batteries);
    ts_free(battery_of_site);
    return rc;
}

static int build_compute(world *w, ts_error *err)
{
    const ts_scenario *s = w->sh.s;
    size_t nn = s->n_nodes ? s->n_nodes : 1;
    int *cores = ts_malloc(nn * sizeof *cores);
    int *gpus = ts_malloc(nn * sizeof *gpus);
    int64_t *memory = ts_malloc(nn * sizeof *memory);
    ts_time *timeslice = ts_malloc(nn * sizeof *timeslice);
    int rc;
    if (!cores || !gpus || !memory || !timeslice) {
        rc = ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for compute");
    } else {
        for (size_t i = 0; i < s->n_nodes; i++) {
            cores[i] = s->nodes[i].cores;
            gpus[i] = s->nodes[i].gpus;
            memory[i] = s->nodes[i].memory_bytes;
            timeslice[i] = s->nodes[i].gpu_timeslice_ns;
        }
        ts_compute_config cc = {
            .n_nodes = s->n_nodes,
            .cores = cores,
            .gpus = gpus,
            .memory_bytes = memory,
            .gpu_timeslice = timeslice,
            .done = on_job_done,
            .load_ex = on_load,
            .event = on_event,
            .ctx = w,
            .max_waiting = (size_t)ts_limit(TS_LIMIT_JOBS),
            .overflow = on_overflow,
            .job_work = on_job_work,
        };
        rc = ts_compute_new(w->sh.engine, &cc, &w->compute, err);
    }
    ts_free(cores);
    ts_free(gpus);
    ts_free(memory);
    ts_free(timeslice);
    return rc;
}

/* Components by node, in component order (CSR). */
static int build_node_index(world *w, ts_error *err)
{
    const ts_scenario *s = w->sh.s;
    size_t nn = s->n_nodes, nc = s->n_components;
    w->node_first = ts_calloc(nn + 1, sizeof *w->node_first);
    w->on_node = ts_malloc((nc ? nc : 1) * sizeof *w->on_node);
    int *fill = ts_calloc(nn ? nn : 1, sizeof *fill);
    if (!w->node_first || !w->on_node || !fill) {
        ts_free(fill);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory to build the world");
    }
    for (size_t c = 0; c < nc; c++)
        w->node_first[w->sh.plan->node_of[c] + 1]++;
    for (size_t n = 0; n < nn; n++)
        w->node_first[n + 1] += w->node_first[n];
    for (size_t c = 0; c < nc; c++) {
        int n = w->sh.plan->node_of[c];
        w->on_node[w->node_first[n] + fill[n]++] = (int)c;
    }
    ts_free(fill);
    w->sh.node_first = w->node_first;
    w->sh.on_node = w->on_node;
    return TS_OK;
}

/* Load-time set-up, in the order the header lists; the order in which
 * subsystems schedule their first events is part of the trace. */
static int build(world *w, uint64_t seed, ts_error *err)
{
    const ts__shared *sh = &w->sh;
    int rc;
    if ((rc = build_node_index(w, err)) != TS_OK ||
        (rc = ts__bus_subscribe_all(sh->bus, write_event, w)) != TS_OK ||
        (rc = ts__transport_new(sh, &w->transport, err)) != TS_OK ||
        (rc = build_network(w, seed, err)) != TS_OK ||
        (rc = build_compute(w, err)) != TS_OK ||
        (rc = build_dynamics(w, err)) != TS_OK ||
        (rc = ts__rts_new(sh, w->net, w->compute, &w->rts, err)) != TS_OK ||
        (rc = ts__discovery_start(sh, w->net, &w->discovery, err)) != TS_OK ||
        (rc = ts__recorder_new(sh, w->trace, w->compute, w->rts, w->select, &w->recorder,
                               err)) != TS_OK)
        return rc;
    ts__rts_on_change(w->rts, ts__recorder_component, w->recorder);
    ts__rts_attach_dynamics(w->rts, w->dyn);
    ts__rts_set_transport(w->rts, w->transport);
    if ((rc = ts__workload_new(sh, seed, w->end, w->trace, w->compute, w->net, &w->workload,
                               err)) != TS_OK)
        return rc;
    ts__workload_hooks hooks = {.qos_publish = qos_publish,
                                .job_seen = job_seen,
                                .deliverable = w->discovery ? deliverable : NULL,
                                .route = sh->s->n_worker_pools ? route : NULL,
                                .queued = sh->s->n_worker_pools ? queued : NULL,
                                .ctx = w};
    ts__discovery_hooks matched = {discovery_matched, w};
    ts__discovery_connect(w->discovery, &matched);
    ts__workload_connect(w->workload, w->rts, w->recorder, &hooks);
    ts__workload_set_transport(w->workload, w->transport);
    if ((rc = ts_compute_start(w->compute, err)) != TS_OK)
        return rc;
    if ((rc = ts_dynamics_start(w->dyn)) != TS_OK)
        return ts_error_set(err, rc, NULL, 0, "cannot start the power and thermal models");
    if ((rc = ts__sampler_start(sh, w->select->trace_level, w->trace, w->compute, w->dyn, w->net,
                                &w->sampler, err)) != TS_OK ||
        (rc = ts__faults_start(sh, w->net, w->compute, w->dyn, w->rts, &w->faults, err)) !=
            TS_OK ||
        (rc = ts__agents_start(sh, w->rts, &w->agents, err)) != TS_OK ||
        (rc = ts__qos_start(sh, w->rts, w->recorder, w->discovery, &w->qos, err)) != TS_OK ||
        (rc = ts__services_start(sh, w->rts, &w->services, err)) != TS_OK ||
        (rc = ts__worker_pools_start(sh, w->rts, &w->pools, err)) != TS_OK ||
        (rc = ts__fleet_start(sh, w->rts, &w->fleet, err)) != TS_OK ||
        (rc = ts__power_managers_start(sh, w->rts, w->end, &w->power, err)) != TS_OK ||
        (rc = ts__chains_start(sh, w->trace, &w->chains, err)) != TS_OK)
        return rc;
    if (w->chains)
        ts__recorder_observe(w->recorder, ts__chains_message, w->chains);
    ts__qos_set_transport(w->qos, w->transport);
    ts__qos_on_deliver(w->qos, on_qos_delivered, w);
    return TS_OK;
}

/* In the reverse order of building: a subsystem goes before what it uses. */
static void teardown(world *w)
{
    ts__chains_free(w->chains);
    ts__power_managers_free(w->power);
    ts__fleet_free(w->fleet);
    ts__worker_pools_free(w->pools);
    ts__services_free(w->services);
    ts__qos_free(w->qos);
    ts__agents_free(w->agents);
    ts__faults_free(w->faults);
    ts__sampler_free(w->sampler);
    ts_dynamics_free(w->dyn);
    ts_compute_free(w->compute);
    ts_network_free(w->net);
    ts__workload_free(w->workload);
    ts__recorder_free(w->recorder);
    ts__discovery_free(w->discovery);
    ts__rts_free(w->rts);
    ts__transport_free(w->transport);
    ts_free(w->node_first);
    ts_free(w->on_node);
    ts__bus_free(w->sh.bus);
    ts_engine_free(w->sh.engine);
}

static int interrupted(const ts_run_options *opts)
{
    return opts->interrupt && *opts->interrupt;
}

/* Between engine actions: reports progress and asks for an interrupt. */
static int poll_run(void *ctx, const ts_engine *engine)
{
    const ts_run_options *opts = ctx;
    if (opts->progress)
        opts->progress(opts->progress_ctx, ts_engine_now(engine), opts->duration_ns,
                       ts_engine_executed(engine));
    return interrupted(opts);
}

static int interrupt_error(ts_error *err, const ts_engine *engine)
{
    return ts_error_set(err, TS_EINTR, NULL, 0,
                        "interrupted at %.3f simulated seconds; no trace written",
                        engine ? (double)ts_engine_now(engine) / 1e9 : 0.0);
}

int ts_world_run(const ts_scenario *s, const ts_plan *plan,
                 const ts_run_options *opts, ts_run_stats *stats,
                 ts_error *err)
{
    if (!opts || !opts->trace_path)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "no trace path given");
    if (plan->n_components != s->n_components)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "plan does not match the scenario");
    world w;
    memset(&w, 0, sizeof w);
    w.sh.s = s;
    w.sh.plan = plan;
    uint64_t seed = opts->override_seed ? opts->seed : s->seed;
    int64_t duration = opts->duration_ns > 0 ? opts->duration_ns : s->duration_ns;
    w.end = duration;
    w.select = opts;

    int windowed = opts->trace_window_end_ns > 0;
    ts_trace_meta meta = {s->name, opts->scenario_path ? opts->scenario_path : s->path,
                          s->text, seed, duration,
                          opts->command_line, s->n_requirements > 0, opts->stamp,
                          opts->trace_compress, opts->trace_level, opts->trace_filter,
                          windowed ? opts->trace_window_start_ns : -1,
                          windowed ? opts->trace_window_end_ns : -1,
                          ts__recorder_window_ns(s, duration),
                          ts__sampler_window_ns(s, opts->trace_level)};
    int rc = ts_trace_writer_open(opts->trace_path, &meta, &w.trace, err);
    if (rc != TS_OK)
        return rc;
    ts__tables tables = {s, plan, w.trace};
    w.sh.engine = ts_engine_new(4096);
    if (w.sh.engine)
        ts_engine_set_max_pending(w.sh.engine, max_pending_events());
    w.sh.bus = w.sh.engine ? ts__bus_new(w.sh.engine) : NULL;
    if (!w.sh.engine || !w.sh.bus)
        rc = ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory to build the world");
    if (rc != TS_OK || (rc = ts__tables_write(&tables, err)) != TS_OK ||
        (rc = build(&w, seed, err)) != TS_OK) {
        teardown(&w);
        ts_trace_writer_abort(w.trace);
        return rc;
    }
    ts_run_stats st;
    memset(&st, 0, sizeof st);
    /* The poll sees the run's own options with the duration resolved. */
    ts_run_options polled = *opts;
    polled.duration_ns = duration;
    if (opts->interrupt || opts->progress)
        ts_engine_set_poll(w.sh.engine, poll_run, &polled);
    if (!interrupted(opts))
        st.events = ts_engine_run(w.sh.engine, duration);
    st.interrupted = interrupted(opts);
    if (ts_engine_over_limit(w.sh.engine) && !ts__bus_failed(w.sh.bus)) {
        ts_error e;
        ts_limit_error(&e, TS_LIMIT_EVENTS, s->path, 0,
                       "%zu simulation events pending at %.6f s simulated",
                       ts_engine_pending(w.sh.engine),
                       (double)ts_engine_now(w.sh.engine) / 1e9);
        fail(&w, &e);
    }
    /* A route that could not be made for want of memory sent its packets
     * to "no route": the run is void, not a network verdict. */
    if (ts_routes_out_of_memory(ts_network_routes(w.net))) {
        ts_error e;
        ts_error_set(&e, TS_ENOMEM, NULL, 0, "no memory for routes during the run");
        fail(&w, &e);
    }
    if (ts_network_out_of_memory(w.net)) {
        ts_error e;
        ts_error_set(&e, TS_ENOMEM, NULL, 0, "no memory for the network during the run");
        fail(&w, &e);
    }
    if (st.interrupted && !opts->keep_partial) {
        interrupt_error(err, w.sh.engine);
        teardown(&w);
        ts_trace_writer_abort(w.trace);
        return TS_EINTR;
    }
    if (!ts__bus_failed(w.sh.bus)) {
        if (!st.interrupted)
            ts_trace_writer_set_finished(w.trace);
        ts__sampler_finish(w.sampler);
        ts__discovery_finish(w.discovery);
        ts__qos_finish(w.qos);
        if (ts_network_flush_in_flight(w.net) != TS_OK) {
            ts_error e;
            ts_error_set(&e, TS_ENOMEM, NULL, 0, "no memory to order the messages in flight");
            fail(&w, &e);
        }
        ts_compute_flush_unfinished(w.compute);
        ts__workload_each_waiting(w.workload, chains_waiting, &w);
        for (size_t i = 0; i < s->n_chains && ts__chains_overflows(w.chains) > 0; i++) {
            /* Instances a ring could not follow are missing from
             * /chain_instances: said once per chain, in /events (after
             * the unfinished jobs and waiting samples, which read the
             * rings too), its detail starting "chain <id>:" for the
             * validator, which fails that chain's gate. */
            uint64_t lost = ts__chains_overflows_of(w.chains, i);
            if (lost == 0)
                continue;
            ts_platform_event ev = {.time = ts_engine_now(w.sh.engine), .kind = TS_EV_OTHER,
                                    .node = -1, .link = -1, .component = -1,
                                    .value = (double)lost,
                                    .kind_name = "chain_ring_overflow"};
            snprintf(ev.detail, sizeof ev.detail, "chain %s: %llu ring entries were pushed "
                     "out before they were needed; those instances are not recorded",
                     s->chains[i].id, (unsigned long long)lost);
            ts__bus_post(w.sh.bus, &ev);
        }
        ts_error e;
        if (!ts__bus_failed(w.sh.bus) && ts__recorder_finish(w.recorder, &e) != TS_OK)
            fail(&w, &e);
    }
    st.seed = seed;
    st.simulated_ns = ts_engine_now(w.sh.engine);
    ts__recorder_stats(w.recorder, &st);
    ts__workload_stats(w.workload, &st);
    int failed = ts__bus_failed(w.sh.bus);
    ts_error first = *ts__bus_error(w.sh.bus);
    teardown(&w);
    if (failed) {
        ts_trace_writer_abort(w.trace);
        if (err)
            *err = first;
        return first.code ? first.code : TS_EIO;
    }
    if (interrupted(opts) && !opts->keep_partial) {
        /* A second signal's worth of patience is not owed: the finishing
         * writes are cut short too. */
        ts_trace_writer_abort(w.trace);
        return interrupt_error(err, NULL);
    }
    rc = ts_trace_writer_commit(w.trace, err);
    if (rc == TS_OK && stats)
        *stats = st;
    return rc;
}
