/*
 * The world: one engine, the network and compute models built from the
 * scenario, one random stream per component, and the workload that ties
 * them together (a job that finishes publishes its topics; each sample
 * travels to each subscriber). Everything that happens goes to the trace.
 */
#include "toposim/world.h"

#include <stdio.h>
#include <string.h>

#include "sim/world_internal.h"

#include "toposim/alloc.h"

/* The network reports packets in the trace's own status numbers. */
_Static_assert((int)TS_PKT_DELIVERED == (int)TS_MSG_DELIVERED && (int)TS_PKT_DROPPED_QUEUE == (int)TS_MSG_DROPPED_QUEUE &&
               (int)TS_PKT_NO_ROUTE == (int)TS_MSG_NO_ROUTE && (int)TS_PKT_IN_FLIGHT == (int)TS_MSG_IN_FLIGHT &&
               (int)TS_PKT_LOST == (int)TS_MSG_LOST && (int)TS_PKT_LINK_DOWN == (int)TS_MSG_LINK_DOWN,
               "packet and message statuses agree");

void ts__world_fail(world *w, const ts_error *e)
{
    if (!w->failed) {
        w->failed = 1;
        w->first_error = *e;
        ts_engine_stop(w->engine);
    }
}

void ts__world_record_message(world *w, const ts_packet *p)
{
    /* A sample that reaches a crashed or stopped subscriber is not
     * received (topics through the DDS layer never get this far). */
    ts_packet dead;
    if (p->status == TS_MSG_DELIVERED && !ts__world_receives(w, p->subscriber)) {
        dead = *p;
        dead.status = TS_MSG_RECEIVER_DOWN;
        dead.received = -1;
        p = &dead;
    }
    ts_trace_message row = {p->topic, p->publisher, p->subscriber, p->status,
                            p->seq, p->sent, p->received, p->bytes};
    w->stats.messages++;
    w->stats.delivered += p->status == TS_MSG_DELIVERED;
    w->stats.dropped += p->status != TS_MSG_DELIVERED && p->status != TS_MSG_IN_FLIGHT;
    ts_error e;
    if (!w->failed && ts_trace_append_message(w->trace, &row, &e) != TS_OK)
        ts__world_fail(w, &e);
}

static void on_packet_done(void *ctx, const ts_packet *p)
{
    world *w = ctx;
    if (p->tag) {
        /* The deployment code's own traffic (heartbeats, DDS data and
         * acks, requests): handed to its listener, not a topic sample. */
        ts__world_runtime_packet(w, p);
        return;
    }
    ts__world_record_message(w, p);
}

/* A platform model's event, as a row of /events. */
void ts__world_on_event(void *ctx, const ts_platform_event *ev)
{
    world *w = ctx;
    ts_trace_event row;
    memset(&row, 0, sizeof row);
    row.time_ns = ev->time;
    snprintf(row.kind, sizeof row.kind, "%s", ev->kind ? ev->kind : "");
    row.node = ev->node;
    row.link = ev->link;
    row.component = ev->component;
    row.value = ev->value;
    snprintf(row.detail, sizeof row.detail, "%s", ev->detail);
    ts__world_agents_event(w, ev);
    ts__world_recorder_event(w, ev);
    ts_error e;
    if (!w->failed && ts_trace_append_event(w->trace, &row, &e) != TS_OK)
        ts__world_fail(w, &e);
}

static void publish(world *w, int component, ts_time release)
{
    const ts_scenario *s = w->s;
    /* A standby publishes nothing until the deployment code makes it
     * serve. */
    if (!ts__world_serving(w, component))
        return;
    for (size_t k = w->pub_first[component]; k < w->pub_first[component + 1]; k++) {
        size_t t = w->pub_topics[k];
        const ts_scenario_topic *tp = &s->topics[t];
        topic_state *ts = &w->topics[t];
        /* A topic slower than its publisher takes the first job released
         * at or after each of its own due times. */
        if (tp->period_ns > 0) {
            if (release < ts->next_due)
                continue;
            while (ts->next_due <= release)
                ts->next_due += tp->period_ns;
        }
        if (ts__world_qos_publish(w, (int)t))
            continue;
        uint64_t seq = ts->samples++;
        for (size_t k2 = 0; k2 < tp->n_subscribers; k2++) {
            int sub = tp->subscribers[k2];
            /* A sample the policy forbids is dropped at the sender and
             * recorded as a violation; the subscriber was never owed it. */
            if (!ts__world_policy_allows(w, tp->publisher, sub, (int)t))
                continue;
            ts_packet p = {
                .topic = (int32_t)t,
                .publisher = tp->publisher,
                .subscriber = sub,
                .seq = seq,
                .src = w->plan->placement[component].node,
                .dst = w->plan->placement[sub].node,
                .bytes = tp->size_bytes,
            };
            if (ts_network_send(w->net, &p) != TS_OK) {
                ts_error e;
                ts_error_set(&e, TS_ENOMEM, NULL, 0, "no memory for packets");
                ts__world_fail(w, &e);
                return;
            }
        }
    }
}

static void on_job_done(void *ctx, const ts_job_record *job)
{
    world *w = ctx;
    ts_trace_job row = {job->task, job->node, job->seq, job->release,
                        job->start, job->finish, job->deadline};
    w->stats.jobs++;
    /* As the validator counts: an unfinished job is a miss once its
     * deadline falls within the run. */
    if (job->finish < 0 ? job->deadline <= w->end : job->finish > job->deadline)
        w->stats.missed_jobs++;
    ts_error e;
    if (!w->failed && ts_trace_append_job(w->trace, &row, &e) != TS_OK)
        ts__world_fail(w, &e);
    ts__world_agents_job(w, job);
    /* Task ids equal component indices (added in order below). */
    if (job->finish >= 0 && !w->failed)
        publish(w, job->task, job->release);
}

/* Callbacks from the models to each other, through the world: the
 * compute model's load drives power and heat; the dynamics model's clocks,
 * online cores and shutdowns drive the compute model. */
static void on_load(void *ctx, int node, int busy_cores, int busy_gpus)
{
    world *w = ctx;
    ts_dynamics_set_load(w->dyn, node, busy_cores, busy_gpus);
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

static int build_network(world *w, uint64_t seed, ts_error *err)
{
    const ts_scenario *s = w->s;
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
            .jitter = l->jitter,
            .reorder_allowed = l->reorder_allowed,
            .loss = {(ts_loss_kind)l->loss.model, l->loss.p, l->loss.p_good_bad,
                     l->loss.p_bad_good, l->loss.loss_good, l->loss.loss_bad},
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
        .event = ts__world_on_event,
        .ctx = w,
        .topology = w->plan->topology,
    };
    int rc = ts_network_new(w->engine, &cfg, &w->net, err);
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
    const ts_scenario *s = w->s;
    size_t nn = s->n_nodes ? s->n_nodes : 1, n_modes = 0;
    for (size_t n = 0; n < s->n_nodes; n++)
        n_modes += s->nodes[n].power.n_modes;
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
            d->thermal = thermal_of(&sn->thermal);
        if (sn->has_power) {
            const ts_scenario_power *p = &sn->power;
            for (size_t k = 0; k < p->n_modes; k++)
                modes[mode_at + k] = (ts_power_mode){p->modes[k].name, p->modes[k].online_cores,
                                                     p->modes[k].cpu_max_hz, p->modes[k].gpu_max_hz,
                                                     p->modes[k].budget_w};
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
        .on_event = ts__world_on_event,
    };
    rc = ts_dynamics_new(w->engine, &cfg, &w->dyn, err);
out:
    ts_free(nodes);
    ts_free(modes);
    ts_free(batteries);
    ts_free(battery_of_site);
    return rc;
}

static int build_compute(world *w, ts_error *err)
{
    const ts_scenario *s = w->s;
    size_t nn = s->n_nodes ? s->n_nodes : 1;
    int *cores = ts_malloc(nn * sizeof *cores);
    int *gpus = ts_malloc(nn * sizeof *gpus);
    int64_t *memory = ts_malloc(nn * sizeof *memory);
    int rc;
    if (!cores || !gpus || !memory) {
        rc = ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for compute");
    } else {
        for (size_t i = 0; i < s->n_nodes; i++) {
            cores[i] = s->nodes[i].cores;
            gpus[i] = s->nodes[i].gpus;
            memory[i] = s->nodes[i].memory_bytes;
        }
        ts_compute_config cc = {
            .n_nodes = s->n_nodes,
            .cores = cores,
            .gpus = gpus,
            .memory_bytes = memory,
            .done = on_job_done,
            .load = on_load,
            .event = ts__world_on_event,
            .ctx = w,
        };
        rc = ts_compute_new(w->engine, &cc, &w->compute, err);
    }
    ts_free(cores);
    ts_free(gpus);
    ts_free(memory);
    return rc;
}

static int at_component(const ts_scenario *s, int rc, size_t i, ts_error *err)
{
    if (err && rc != TS_OK) {
        snprintf(err->file, sizeof err->file, "%s", s->path);
        err->line = s->components[i].line;
    }
    return rc;
}

/* One task per component, with its own random stream; task ids equal
 * component indices. */
static int build_tasks(world *w, uint64_t seed, ts_error *err)
{
    const ts_scenario *s = w->s;
    for (size_t i = 0; i < s->n_components; i++) {
        const ts_scenario_component *c = &s->components[i];
        w->rngs[i] = ts_rng_new(seed, c->id);
        if (!w->rngs[i])
            return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for random streams");
        /* The scenario's distribution is copied so its histogram table
         * lives (and dies) with this run. */
        w->exec_dists[i] = c->exec_dist;
        w->exec_dists[i].table = NULL;
        int rc;
        if (c->exec_dist.kind != TS_DIST_NONE &&
            (rc = ts_dist_prepare(&w->exec_dists[i], err)) != TS_OK)
            return at_component(s, rc, i, err);
        /* Cores the placement reserved (safety-critical, isolation) pin
         * the component there and keep everything else off them. */
        uint64_t affinity = c->affinity;
        int reserve = c->reserve_cores;
        if (w->plan->placement[i].core_mask && !affinity) {
            affinity = w->plan->placement[i].core_mask;
            reserve = 1;
        }
        ts_task_desc task = {
            .node = w->plan->placement[i].node,
            .priority = c->priority,
            .period = c->period_ns,
            .offset = c->offset_ns,
            .deadline = c->deadline_ns,
            .exec_min = c->exec_min_ns,
            .exec_max = c->exec_ns,
            .policy = c->policy,
            .weight = c->weight,
            .affinity = affinity,
            .reserve_cores = reserve,
            .exec = w->exec_dists[i],
            .gpu_ns = c->gpu_exec_ns,
            .memory_bytes = c->memory_bytes,
            .component = c->id,
        };
        int id = ts_compute_add_task(w->compute, &task, w->rngs[i], err);
        if (id < 0)
            return at_component(s, id, i, err);
    }
    return TS_OK;
}

/* Topics grouped by publisher, in topic order (the order samples of one
 * job are sent in, which fixes queue order on shared links). */
static int build_publish_index(world *w, ts_error *err)
{
    const ts_scenario *s = w->s;
    size_t nc = s->n_components;
    size_t *fill = ts_calloc(nc ? nc : 1, sizeof *fill);
    if (!fill)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory to build the world");
    for (size_t t = 0; t < s->n_topics; t++)
        w->pub_first[s->topics[t].publisher + 1]++;
    for (size_t c = 0; c < nc; c++)
        w->pub_first[c + 1] += w->pub_first[c];
    for (size_t t = 0; t < s->n_topics; t++) {
        int p = s->topics[t].publisher;
        w->pub_topics[w->pub_first[p] + fill[p]++] = t;
    }
    ts_free(fill);
    return TS_OK;
}

/* Load-time set-up: streams, models, tasks, sampler and faults. */
static int build(world *w, uint64_t seed, ts_error *err)
{
    const ts_scenario *s = w->s;
    size_t nc = s->n_components;
    w->engine = ts_engine_new(4096);
    w->rngs = ts_calloc(nc ? nc : 1, sizeof *w->rngs);
    w->topics = ts_calloc(s->n_topics ? s->n_topics : 1, sizeof *w->topics);
    w->pub_first = ts_calloc(nc + 1, sizeof *w->pub_first);
    w->pub_topics = ts_calloc(s->n_topics ? s->n_topics : 1, sizeof *w->pub_topics);
    w->exec_dists = ts_calloc(nc ? nc : 1, sizeof *w->exec_dists);
    if (!w->engine || !w->rngs || !w->topics || !w->pub_first || !w->pub_topics ||
        !w->exec_dists)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory to build the world");
    int rc;
    if ((rc = build_network(w, seed, err)) != TS_OK ||
        (rc = build_compute(w, err)) != TS_OK ||
        (rc = build_dynamics(w, err)) != TS_OK ||
        (rc = build_publish_index(w, err)) != TS_OK ||
        (rc = build_tasks(w, seed, err)) != TS_OK ||
        (rc = ts__world_runtime_init(w, err)) != TS_OK ||
        (rc = ts_compute_start(w->compute, err)) != TS_OK)
        return rc;
    if ((rc = ts_dynamics_start(w->dyn)) != TS_OK)
        return ts_error_set(err, rc, NULL, 0, "cannot start the power and thermal models");
    if ((rc = ts__world_sampler_start(w, err)) != TS_OK ||
        (rc = ts__world_faults_start(w, err)) != TS_OK ||
        (rc = ts__world_agents_start(w, err)) != TS_OK ||
        (rc = ts__world_qos_start(w, err)) != TS_OK ||
        (rc = ts__world_services_start(w, err)) != TS_OK ||
        (rc = ts__world_fleet_start(w, err)) != TS_OK)
        return rc;
    return TS_OK;
}

static void teardown(world *w)
{
    ts__world_recorder_free(w);
    ts__world_fleet_free(w);
    ts__world_services_free(w);
    ts__world_qos_free(w);
    ts__world_agents_free(w);
    ts_dynamics_free(w->dyn);
    ts_compute_free(w->compute);
    ts_network_free(w->net);
    ts__world_sampler_free(w);
    ts__world_runtime_free(w);
    if (w->rngs)
        for (size_t i = 0; i < w->s->n_components; i++)
            if (w->rngs[i])
                gsl_rng_free(w->rngs[i]);
    ts_free(w->rngs);
    if (w->exec_dists)
        for (size_t i = 0; i < w->s->n_components; i++)
            ts_dist_fini(&w->exec_dists[i]);
    ts_free(w->exec_dists);
    ts_free(w->topics);
    ts_free(w->pub_first);
    ts_free(w->pub_topics);
    ts_engine_free(w->engine);
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
    w.s = s;
    w.plan = plan;
    uint64_t seed = opts->override_seed ? opts->seed : s->seed;
    int64_t duration = opts->duration_ns > 0 ? opts->duration_ns : s->duration_ns;
    w.end = duration;

    ts_trace_meta meta = {s->name, s->path, s->text, seed, duration,
                          opts->command_line, s->n_requirements > 0, opts->stamp};
    int rc = ts_trace_writer_open(opts->trace_path, &meta, &w.trace, err);
    if (rc != TS_OK)
        return rc;
    if ((rc = ts__world_write_tables(&w, err)) != TS_OK ||
        (rc = ts__world_recorder_start(&w, err)) != TS_OK ||
        (rc = build(&w, seed, err)) != TS_OK) {
        teardown(&w);
        ts_trace_writer_abort(w.trace);
        return rc;
    }
    w.stats.events = ts_engine_run(w.engine, duration);
    if (!w.failed) {
        ts_trace_writer_set_finished(w.trace);
        ts__world_sampler_finish(&w);
        ts__world_qos_finish(&w);
        ts_network_flush_in_flight(w.net);
        ts_compute_flush_unfinished(w.compute);
        ts_error e;
        if (!w.failed && ts__world_recorder_finish(&w, &e) != TS_OK)
            ts__world_fail(&w, &e);
    }
    w.stats.seed = seed;
    w.stats.simulated_ns = ts_engine_now(w.engine);
    teardown(&w);
    if (w.failed) {
        ts_trace_writer_abort(w.trace);
        if (err)
            *err = w.first_error;
        return w.first_error.code ? w.first_error.code : TS_EIO;
    }
    rc = ts_trace_writer_commit(w.trace, err);
    if (rc == TS_OK && stats)
        *stats = w.stats;
    return rc;
}
