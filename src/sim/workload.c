/*
 * The workload: tasks on the compute model and the topics their jobs
 * publish. A topic slower than its publisher takes the first job released
 * at or after each of its own due times; samples of one job are sent in
 * topic order, then subscriber order (which fixes queue order on shared
 * links).
 */
#include "sim/workload.h"

#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"

/* What publishing a topic's sample reads, packed per topic (copied from
 * the read-only scenario topic, whose 80 bytes and separately held
 * subscriber list and QoS would cost two or three cache misses per sample
 * at fleet scale), and the two counters it updates. */
typedef struct topic_state {
    ts_time next_due;         /* release time from which the next sample is due */
    uint64_t samples;
    ts_time period_ns;        /* 0: every job publishes */
    int64_t bytes;
    uint32_t sub_first, n_subs; /* its subscribers in wl->subs */
    /* (its publisher is the component whose job publishes it, as
     * pub_first lists a component's topics: not kept) */
} topic_state;

/* A prepared execution-time distribution, kept for the run: only
 * components that declare one have an entry. */
typedef struct prepared_dist {
    ts_dist dist;
} prepared_dist;

struct ts__workload {
    ts__shared sh;
    ts_time end;
    ts_trace_writer *trace;
    ts_compute *compute;
    ts_network *net;
    ts__rts *rts;
    ts__recorder *recorder;
    ts__workload_hooks hooks;
    gsl_rng *rngs;            /* one per component, in one block */
    prepared_dist *dists;
    size_t n_dists;
    topic_state *topics;
    uint32_t *pub_first, *pub_topics; /* topics published by each component (CSR) */
    int32_t *subs;            /* every topic's subscribers, in topic order */
    uint64_t jobs, missed_jobs;
};

static int at_component(const ts_scenario *s, int rc, size_t i, ts_error *err)
{
    if (err && rc != TS_OK) {
        snprintf(err->file, sizeof err->file, "%s", s->path);
        err->line = s->components[i].line;
    }
    return rc;
}

static const char *component_name(void *ctx, size_t i)
{
    return ((const ts_scenario *)ctx)->components[i].id;
}

/* One task per component, with its own random stream; task ids equal
 * component indices. */
static int build_tasks(ts__workload *wl, uint64_t seed, ts_error *err)
{
    const ts_scenario *s = wl->sh.s;
    const ts_plan *plan = wl->sh.plan;
    wl->rngs = ts_rng_block_new(seed, s->n_components, component_name, (void *)s);
    if (!wl->rngs)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for random streams");
    size_t with_dist = 0;
    for (size_t i = 0; i < s->n_components; i++)
        with_dist += s->components[i].shared->exec_dist->kind != TS_DIST_NONE;
    wl->dists = ts_calloc(with_dist ? with_dist : 1, sizeof *wl->dists);
    if (!wl->dists)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the workload");
    for (size_t i = 0; i < s->n_components; i++) {
        const ts_scenario_component *c = &s->components[i];
        /* The scenario's distribution is copied so its histogram table
         * lives (and dies) with this run. */
        ts_dist exec = *c->shared->exec_dist;
        exec.table = NULL;
        if (c->shared->exec_dist->kind != TS_DIST_NONE) {
            ts_dist *d = &wl->dists[wl->n_dists].dist;
            *d = exec;
            wl->n_dists++;
            int rc = ts_dist_prepare(d, err);
            if (rc != TS_OK)
                return at_component(s, rc, i, err);
            exec = *d;
        }
        /* Cores the placement reserved (safety-critical, isolation) pin
         * the component there and keep everything else off them. */
        uint64_t affinity = c->shared->affinity;
        int reserve = c->shared->reserve_cores;
        if (plan->placement[i].core_mask && !affinity) {
            affinity = plan->placement[i].core_mask;
            reserve = 1;
        }
        ts_task_desc task = {
            .node = plan->node_of[i],
            .priority = c->shared->priority,
            .period = c->shared->period_ns,
            .offset = c->shared->offset_ns,
            .deadline = c->shared->deadline_ns,
            .exec_min = c->shared->exec_min_ns,
            .exec_max = c->shared->exec_ns,
            .policy = c->shared->policy,
            .weight = c->shared->weight,
            .affinity = affinity,
            .reserve_cores = reserve,
            .exec = exec,
            .gpu_ns = c->shared->gpu_exec_ns,
            .shared_gpu = plan->placement[i].shared_gpu,
            .gpu_partition_milli = plan->placement[i].shared_gpu &&
                                           s->nodes[plan->node_of[i]].gpu_partition
                                       ? c->shared->gpu_share_milli : 0,
            .memory_bytes = c->shared->memory_bytes,
            .component = c->id,
        };
        int id = ts_compute_add_task(wl->compute, &task, &wl->rngs[i], err);
        if (id < 0)
            return at_component(s, id, i, err);
    }
    return TS_OK;
}

/* Topics grouped by publisher, in topic order (the order samples of one
 * job are sent in). */
static int build_publish_index(ts__workload *wl, ts_error *err)
{
    const ts_scenario *s = wl->sh.s;
    size_t nc = s->n_components;
    uint32_t *fill = ts_calloc(nc ? nc : 1, sizeof *fill);
    if (!fill)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory to build the world");
    for (size_t t = 0; t < s->n_topics; t++)
        wl->pub_first[s->topics[t].publisher + 1]++;
    for (size_t c = 0; c < nc; c++)
        wl->pub_first[c + 1] += wl->pub_first[c];
    size_t n_subs = 0;
    for (size_t t = 0; t < s->n_topics; t++) {
        const ts_scenario_topic *tp = &s->topics[t];
        int p = tp->publisher;
        wl->pub_topics[wl->pub_first[p] + fill[p]++] = (uint32_t)t;
        n_subs += tp->n_subscribers;
    }
    ts_free(fill);
    if (n_subs > UINT32_MAX || !(wl->subs = ts_malloc((n_subs ? n_subs : 1) * sizeof *wl->subs)))
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory to build the world");
    size_t at = 0;
    for (size_t t = 0; t < s->n_topics; t++) {
        const ts_scenario_topic *tp = &s->topics[t];
        topic_state *ts = &wl->topics[t];
        ts->period_ns = tp->period_ns > 0 ? tp->period_ns : 0;
        ts->bytes = tp->size_bytes;
        ts->sub_first = (uint32_t)at;
        ts->n_subs = (uint32_t)tp->n_subscribers;
        for (size_t k = 0; k < tp->n_subscribers; k++)
            wl->subs[at++] = tp->subscribers[k];
    }
    return TS_OK;
}

int ts__workload_new(const ts__shared *sh, uint64_t seed, ts_time end, ts_trace_writer *trace,
                     ts_compute *compute, ts_network *net, ts__workload **out, ts_error *err)
{
    const ts_scenario *s = sh->s;
    size_t nc = s->n_components;
    ts__workload *wl = ts_calloc(1, sizeof *wl);
    *out = wl;
    if (!wl)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory to build the world");
    wl->sh = *sh;
    wl->end = end;
    wl->trace = trace;
    wl->compute = compute;
    wl->net = net;
    wl->topics = ts_calloc(s->n_topics ? s->n_topics : 1, sizeof *wl->topics);
    wl->pub_first = ts_calloc(nc + 1, sizeof *wl->pub_first);
    wl->pub_topics = ts_calloc(s->n_topics ? s->n_topics : 1, sizeof *wl->pub_topics);
    if (!wl->topics || !wl->pub_first || !wl->pub_topics)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory to build the world");
    int rc = build_publish_index(wl, err);
    return rc == TS_OK ? build_tasks(wl, seed, err) : rc;
}

void ts__workload_free(ts__workload *wl)
{
    if (!wl)
        return;
    for (size_t i = 0; i < wl->n_dists; i++)
        ts_dist_fini(&wl->dists[i].dist);
    ts_free(wl->dists);
    ts_rng_block_free(wl->rngs);
    ts_free(wl->topics);
    ts_free(wl->pub_first);
    ts_free(wl->pub_topics);
    ts_free(wl->subs);
    ts_free(wl);
}

void ts__workload_connect(ts__workload *wl, ts__rts *rts, ts__recorder *recorder,
                          const ts__workload_hooks *hooks)
{
    wl->rts = rts;
    wl->recorder = recorder;
    wl->hooks = *hooks;
}

static void fail(ts__workload *wl, int code, const char *what)
{
    ts_error e;
    ts_error_set(&e, code, NULL, 0, "%s", what);
    ts__bus_fail(wl->sh.bus, &e);
}

static void publish(ts__workload *wl, int component, ts_time release)
{
    /* A standby publishes nothing until the deployment code makes it
     * serve. */
    if (!ts__rts_serving(wl->rts, component))
        return;
    ts_ctl *ctl = ts__rts_ctl(wl->rts);
    for (uint32_t k = wl->pub_first[component]; k < wl->pub_first[component + 1]; k++) {
        size_t t = wl->pub_topics[k];
        topic_state *ts = &wl->topics[t];
        if (ts->period_ns > 0) {
            if (release < ts->next_due)
                continue;
            while (ts->next_due <= release)
                ts->next_due += ts->period_ns;
        }
        if (wl->hooks.qos_publish && wl->hooks.qos_publish(wl->hooks.ctx, (int)t))
            continue;
        uint64_t seq = ts->samples++;
        const int32_t *subs = wl->subs + ts->sub_first;
        for (size_t k2 = 0; k2 < ts->n_subs; k2++) {
            int sub = subs[k2];
            /* A sample the policy forbids is dropped at the sender and
             * recorded as a violation; the subscriber was never owed it. */
            if (!ts_ctl_allows(ctl, component, sub, (int)t))
                continue;
            ts_packet p = {
                .topic = (int32_t)t,
                .publisher = component,
                .subscriber = sub,
                .seq = seq,
                .src = wl->sh.plan->node_of[component],
                .dst = wl->sh.plan->node_of[sub],
                .bytes = ts->bytes,
            };
            if (ts_network_send(wl->net, &p) != TS_OK) {
                fail(wl, TS_ENOMEM, "no memory for packets");
                return;
            }
        }
    }
}

void ts__workload_job(ts__workload *wl, const ts_job_record *job)
{
    ts_trace_job row = {job->task, job->node, job->seq, job->release,
                        job->start, job->finish, job->deadline};
    wl->jobs++;
    /* As the validator counts: an unfinished job is a miss once its
     * deadline falls within the run. */
    if (job->finish < 0 ? job->deadline <= wl->end : job->finish > job->deadline)
        wl->missed_jobs++;
    ts__recorder_job(wl->recorder, &row);
    if (wl->hooks.job_seen)
        wl->hooks.job_seen(wl->hooks.ctx, job);
    /* Task ids equal component indices (added in order). */
    if (job->finish >= 0 && !ts__bus_failed(wl->sh.bus))
        publish(wl, job->task, job->release);
}

void ts__workload_stats(const ts__workload *wl, ts_run_stats *stats)
{
    stats->jobs += wl->jobs;
    stats->missed_jobs += wl->missed_jobs;
}
