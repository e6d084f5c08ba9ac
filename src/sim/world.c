/*
 * The world: one engine, the network and compute models built from the
 * scenario, one random stream per component, and the workload that ties
 * them together (a job that finishes publishes its topics; each sample
 * travels to each subscriber). Everything that happens goes to the trace.
 */
#include "toposim/world.h"

#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"
#include "toposim/platform.h"
#include "toposim/sim.h"
#include "toposim/trace.h"
#include "toposim/event.h"

typedef struct topic_state {
    ts_time next_due;         /* release time from which the next sample is due */
    uint64_t samples;
} topic_state;

typedef struct world {
    const ts_scenario *s;
    const ts_plan *plan;
    ts_engine *engine;
    ts_routes *routes;
    ts_network *net;
    ts_compute *compute;
    ts_trace_writer *trace;
    gsl_rng **rngs;           /* one per component */
    ts_dist *exec_dists;      /* one per component, prepared here */
    topic_state *topics;
    size_t *pub_first, *pub_topics; /* topics published by each component */
    int failed;
    ts_error first_error;
    ts_run_stats stats;
} world;

static void trace_failed(world *w, const ts_error *e)
{
    if (!w->failed) {
        w->failed = 1;
        w->first_error = *e;
        ts_engine_stop(w->engine);
    }
}

static void on_packet_done(void *ctx, const ts_packet *p)
{
    world *w = ctx;
    ts_trace_message row = {p->topic, p->publisher, p->subscriber, p->status,
                            p->seq, p->sent, p->received, p->bytes};
    w->stats.messages++;
    w->stats.delivered += p->status == TS_MSG_DELIVERED;
    w->stats.dropped += p->status != TS_MSG_DELIVERED && p->status != TS_MSG_IN_FLIGHT;
    ts_error e;
    if (!w->failed && ts_trace_append_message(w->trace, &row, &e) != TS_OK)
        trace_failed(w, &e);
}

/* A platform model's event, as a row of /events. */
static void on_platform_event(void *ctx, const ts_platform_event *ev)
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
    ts_error e;
    if (!w->failed && ts_trace_append_event(w->trace, &row, &e) != TS_OK)
        trace_failed(w, &e);
}

static void publish(world *w, int component, ts_time release)
{
    const ts_scenario *s = w->s;
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
        uint64_t seq = ts->samples++;
        for (size_t k2 = 0; k2 < tp->n_subscribers; k2++) {
            int sub = tp->subscribers[k2];
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
                trace_failed(w, &e);
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
    if (job->finish < 0 ? job->deadline <= ts_engine_now(w->engine)
                        : job->finish > job->deadline)
        w->stats.missed_jobs++;
    ts_error e;
    if (!w->failed && ts_trace_append_job(w->trace, &row, &e) != TS_OK)
        trace_failed(w, &e);
    /* Task ids equal component indices (added in order below). */
    if (job->finish >= 0 && !w->failed)
        publish(w, job->task, job->release);
}

static void copy_name(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

/* The scenario and plan as the trace's static tables. */
static int write_static_tables(world *w, ts_error *err)
{
    const ts_scenario *s = w->s;
    size_t most = s->n_nodes;
    if (s->n_links > most) most = s->n_links;
    if (s->n_components > most) most = s->n_components;
    if (s->n_topics > most) most = s->n_topics;
    if (s->n_requirements > most) most = s->n_requirements;
    size_t row_size = sizeof(ts_trace_placement);
    if (sizeof(ts_trace_node) > row_size) row_size = sizeof(ts_trace_node);
    if (sizeof(ts_trace_component) > row_size) row_size = sizeof(ts_trace_component);
    void *buf = ts_calloc(most ? most : 1, row_size);
    if (!buf)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for trace tables");
    int rc;

    ts_trace_node *nodes = buf;
    for (size_t i = 0; i < s->n_nodes; i++) {
        const ts_scenario_node *n = &s->nodes[i];
        memset(&nodes[i], 0, sizeof nodes[i]);
        copy_name(nodes[i].name, sizeof nodes[i].name, n->id);
        copy_name(nodes[i].kind, sizeof nodes[i].kind, ts_node_kind_name(n->kind));
        copy_name(nodes[i].tier, sizeof nodes[i].tier, ts_tier_name(n->tier));
        copy_name(nodes[i].site, sizeof nodes[i].site, n->site >= 0 ? s->sites[n->site].id : "");
        nodes[i].cores = n->cores;
        nodes[i].memory_bytes = n->memory_bytes;
        nodes[i].gpus = n->gpus;
    }
    rc = ts_trace_write_nodes(w->trace, nodes, s->n_nodes, err);

    ts_trace_link *links = buf;
    for (size_t i = 0; rc == TS_OK && i < s->n_links; i++) {
        const ts_scenario_link *l = &s->links[i];
        memset(&links[i], 0, sizeof links[i]);
        copy_name(links[i].name, sizeof links[i].name, l->id);
        links[i].node_a = l->a;
        links[i].node_b = l->b;
        links[i].latency_ns = l->latency_ns;
        links[i].bandwidth_bps = l->bandwidth_bps;
        links[i].queue_bytes = l->queue_bytes;
    }
    if (rc == TS_OK)
        rc = ts_trace_write_links(w->trace, links, s->n_links, err);

    ts_trace_component *comps = buf;
    for (size_t i = 0; rc == TS_OK && i < s->n_components; i++) {
        const ts_scenario_component *c = &s->components[i];
        memset(&comps[i], 0, sizeof comps[i]);
        copy_name(comps[i].name, sizeof comps[i].name, c->id);
        comps[i].flags = c->flags;
        comps[i].period_ns = c->period_ns;
        comps[i].deadline_ns = c->deadline_ns;
        comps[i].exec_ns = c->exec_ns;
        comps[i].cpu_millicores = c->cpu_millicores;
        comps[i].memory_bytes = c->memory_bytes;
        comps[i].gpus = c->gpus;
        comps[i].priority = c->priority;
    }
    if (rc == TS_OK)
        rc = ts_trace_write_components(w->trace, comps, s->n_components, err);

    ts_trace_topic *topics = buf;
    for (size_t i = 0; rc == TS_OK && i < s->n_topics; i++) {
        const ts_scenario_topic *t = &s->topics[i];
        memset(&topics[i], 0, sizeof topics[i]);
        copy_name(topics[i].name, sizeof topics[i].name, t->id);
        topics[i].publisher = t->publisher;
        topics[i].size_bytes = t->size_bytes;
        topics[i].period_ns = t->period_ns;
        topics[i].budget_ns = t->budget_ns;
        topics[i].n_subscribers = (int32_t)t->n_subscribers;
    }
    if (rc == TS_OK)
        rc = ts_trace_write_topics(w->trace, topics, s->n_topics, err);

    ts_trace_placement *place = buf;
    for (size_t i = 0; rc == TS_OK && i < s->n_components; i++) {
        memset(&place[i], 0, sizeof place[i]);
        place[i].component = (int32_t)i;
        place[i].node = w->plan->placement[i].node;
        copy_name(place[i].rule, sizeof place[i].rule,
                  ts_place_rule_name(w->plan->placement[i].rule));
        copy_name(place[i].reason, sizeof place[i].reason, w->plan->placement[i].reason);
    }
    if (rc == TS_OK)
        rc = ts_trace_write_placement(w->trace, place, s->n_components, err);

    ts_trace_requirement *reqs = buf;
    for (size_t i = 0; rc == TS_OK && i < s->n_requirements; i++) {
        const ts_scenario_requirement *r = &s->requirements[i];
        memset(&reqs[i], 0, sizeof reqs[i]);
        copy_name(reqs[i].kind, sizeof reqs[i].kind,
                  r->kind == TS_REQ_TOPIC_DEADLINE ? "topic-deadline" : "component-deadline");
        reqs[i].target = r->target;
        reqs[i].min_fraction = r->min_fraction;
    }
    if (rc == TS_OK)
        rc = ts_trace_write_requirements(w->trace, reqs, s->n_requirements, err);
    ts_free(buf);
    return rc;
}

/* Load-time set-up: streams, models, tasks and the publish index. */
static int build(world *w, uint64_t seed, ts_error *err)
{
    const ts_scenario *s = w->s;
    size_t nc = s->n_components;
    w->engine = ts_engine_new(4096);
    w->rngs = ts_calloc(nc ? nc : 1, sizeof *w->rngs);
    w->topics = ts_calloc(s->n_topics ? s->n_topics : 1, sizeof *w->topics);
    w->pub_first = ts_calloc(nc + 1, sizeof *w->pub_first);
    w->pub_topics = ts_calloc(s->n_topics ? s->n_topics : 1, sizeof *w->pub_topics);
    ts_net_link_desc *links = ts_malloc((s->n_links ? s->n_links : 1) * sizeof *links);
    int *cores = ts_malloc((s->n_nodes ? s->n_nodes : 1) * sizeof *cores);
    int *gpus = ts_malloc((s->n_nodes ? s->n_nodes : 1) * sizeof *gpus);
    int64_t *memory = ts_malloc((s->n_nodes ? s->n_nodes : 1) * sizeof *memory);
    w->exec_dists = ts_calloc(nc ? nc : 1, sizeof *w->exec_dists);
    int rc = TS_OK;
    if (!w->engine || !w->rngs || !w->topics || !w->pub_first || !w->pub_topics ||
        !links || !cores || !gpus || !memory || !w->exec_dists) {
        rc = ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory to build the world");
        goto out;
    }
    for (size_t i = 0; i < s->n_links; i++)
        links[i] = (ts_net_link_desc){s->links[i].a, s->links[i].b,
                                      s->links[i].latency_ns,
                                      s->links[i].bandwidth_bps,
                                      s->links[i].queue_bytes};
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
        .event = on_platform_event,
        .ctx = w,
    };
    if ((rc = ts_routes_new(s->n_nodes, links, s->n_links, &w->routes, err)) != TS_OK ||
        (rc = ts_network_new(w->engine, w->routes, links, s->n_links, on_packet_done,
                             w, &w->net, err)) != TS_OK ||
        (rc = ts_compute_new(w->engine, &cc, &w->compute, err)) != TS_OK)
        goto out;

    /* Topics grouped by publisher, in topic order (the order samples of one
     * job are sent in, which fixes queue order on shared links). */
    for (size_t t = 0; t < s->n_topics; t++)
        w->pub_first[s->topics[t].publisher + 1]++;
    for (size_t c = 0; c < nc; c++)
        w->pub_first[c + 1] += w->pub_first[c];
    {
        size_t *fill = ts_calloc(nc ? nc : 1, sizeof *fill);
        if (!fill) {
            rc = ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory to build the world");
            goto out;
        }
        for (size_t t = 0; t < s->n_topics; t++) {
            int p = s->topics[t].publisher;
            w->pub_topics[w->pub_first[p] + fill[p]++] = t;
        }
        ts_free(fill);
    }

    for (size_t i = 0; i < nc; i++) {
        const ts_scenario_component *c = &s->components[i];
        w->rngs[i] = ts_rng_new(seed, c->id);
        if (!w->rngs[i]) {
            rc = ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for random streams");
            goto out;
        }
        /* The scenario's distribution is copied so its histogram table
         * lives (and dies) with this run. */
        w->exec_dists[i] = c->exec_dist;
        w->exec_dists[i].table = NULL;
        if (c->exec_dist.kind != TS_DIST_NONE &&
            (rc = ts_dist_prepare(&w->exec_dists[i], err)) != TS_OK) {
            if (err) {
                snprintf(err->file, sizeof err->file, "%s", s->path);
                err->line = c->line;
            }
            goto out;
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
            .affinity = c->affinity,
            .reserve_cores = c->reserve_cores,
            .exec = w->exec_dists[i],
            .gpu_ns = c->gpu_exec_ns,
            .memory_bytes = c->memory_bytes,
            .component = c->id,
        };
        int id = ts_compute_add_task(w->compute, &task, w->rngs[i], err);
        if (id < 0) {
            rc = id;
            if (err) {
                snprintf(err->file, sizeof err->file, "%s", s->path);
                err->line = c->line;
            }
            goto out;
        }
    }
    rc = ts_compute_start(w->compute, err);
out:
    ts_free(links);
    ts_free(cores);
    ts_free(gpus);
    ts_free(memory);
    return rc;
}

static void teardown(world *w)
{
    ts_compute_free(w->compute);
    ts_network_free(w->net);
    ts_routes_free(w->routes);
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

    ts_trace_meta meta = {s->name, s->path, s->text, seed, duration};
    int rc = ts_trace_writer_open(opts->trace_path, &meta, &w.trace, err);
    if (rc != TS_OK)
        return rc;
    if ((rc = write_static_tables(&w, err)) != TS_OK ||
        (rc = build(&w, seed, err)) != TS_OK) {
        teardown(&w);
        ts_trace_writer_abort(w.trace);
        return rc;
    }
    w.stats.events = ts_engine_run(w.engine, duration);
    if (!w.failed) {
        ts_network_flush_in_flight(w.net);
        ts_compute_flush_unfinished(w.compute);
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
