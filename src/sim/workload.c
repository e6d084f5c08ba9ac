/*
 * The workload: tasks on the compute model and the topics their jobs
 * publish. A topic slower than its publisher takes the first job released
 * at or after each of its own due times (decided when that job becomes
 * current, so that its serialisation is part of its work; a job that
 * never finishes publishes nothing); samples of one job are sent in topic
 * order, then subscriber order (which fixes queue order on shared links).
 *
 * Releases: a periodic component's come from the compute model's timer;
 * a Poisson or sporadic component's from an arrival event here, each gap
 * (min-interarrival plus a draw) taken from the component's own arrival
 * stream ("<id>/arrival"), apart from its execution-time stream so that
 * neither sequence depends on the other; a triggered component's from
 * each sample of its trigger topic delivered to it, tagged with the
 * sample. A message size distribution is drawn per sample from the
 * topic's own stream ("<id>/size").
 */
#include "sim/workload.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/executor.h"
#include "toposim/alloc.h"

/* What publishing a topic's sample reads, packed per topic (copied from
 * the read-only scenario topic, whose 80 bytes and separately held
 * subscriber list and QoS would cost two or three cache misses per sample
 * at fleet scale), and the two counters it updates. */
typedef struct topic_state {
    ts_time next_due;         /* release time from which the next sample is due */
    ts_time due_release;      /* period_ns > 0: the release of the job that
                                 publishes the next sample; -1: none */
    uint64_t samples;
    ts_time period_ns;        /* 0: every job publishes */
    int64_t bytes;            /* without a size distribution */
    uint32_t sub_first, n_subs; /* its subscribers in wl->subs */
    int32_t size_dist;        /* its entry in wl->sizes; -1: fixed size */
    int64_t drawn_bytes;      /* size_dist >= 0: the size drawn for the job */
    ts_time drawn_release;    /* released at drawn_release as it became
                                 current (its serialisation is paid on the
                                 size it sends); -1: none */
    /* (its publisher is the component whose job publishes it, as
     * pub_first lists a component's topics: not kept) */
} topic_state;

/* A prepared execution-time distribution, kept for the run: only
 * components that declare one have an entry. */
typedef struct prepared_dist {
    ts_dist dist;
} prepared_dist;

/* A Poisson or sporadic component's arrival process, or the timer of a
 * periodic component in a process (its executor's timer: the period as
 * the least gap, no drawn gap, the first expiry at the offset). */
typedef struct arrival_source {
    int component;
    ts_time min_ns;           /* least gap */
    ts_dist gap;              /* drawn and added to it */
    ts_event_handle next;     /* its next arrival */
    int timer;                /* 1: a periodic component's timer */
    int once;                 /* 1: a batch job, released once at its offset */
    unsigned step;            /* its <rate-step>s applied so far */
    double scale;             /* every gap's factor since the last step */
} arrival_source;

/* A topic's size distribution, prepared, and the stream it draws from. */
typedef struct size_source {
    ts_dist dist;
    int topic;
} size_source;

/* The default depth of a subscription's queue for a topic without qos=:
 * rclcpp's default profile, KEEP_LAST 10 (rmw/qos_profiles.h,
 * rmw_qos_profile_default), as a subscription created with a depth of 10,
 * the usual choice in ROS 2 code. */
#define DEFAULT_TRIGGER_DEPTH 10

struct ts__workload {
    ts__shared sh;
    ts_time end;
    ts_trace_writer *trace;
    ts_compute *compute;
    ts_network *net;
    ts__rts *rts;
    ts__recorder *recorder;
    ts__workload_hooks hooks;
    ts__transport *transport; /* same-node latency and serialisation */
    gsl_rng *rngs;            /* one per component, in one block */
    prepared_dist *dists;
    size_t n_dists;
    topic_state *topics;
    uint32_t *pub_first, *pub_topics; /* topics published by each component (CSR) */
    int32_t *subs;            /* every topic's subscribers, in topic order */
    int32_t *trigger_of;      /* per component: its trigger topic, or -1
                                 (packed: asked once per delivery) */
    uint32_t *keep_last;      /* per component: its trigger queue's depth;
                                 0: KEEP_ALL (bounded by the jobs limit) */
    arrival_source *arrivals; /* the Poisson and sporadic components */
    size_t n_arrivals;
    gsl_rng *arrival_rngs;    /* one per arrival source, in one block */
    size_source *sizes;       /* the topics with a size distribution */
    size_t n_sizes;
    gsl_rng *size_rngs;       /* one per size source, in one block */
    char name_buf[320];       /* a stream's name while the blocks are made */
    ts__executors *exec;      /* the processes' executors; NULL: none */
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
        /* a model= component runs the variant plan chose (plan_variants.c) */
        const ts_plan_variant *variant =
            plan->variants && plan->variants[i].variant >= 0 ? &plan->variants[i] : NULL;
        ts_task_desc task = {
            .node = plan->node_of[i],
            .priority = c->shared->priority,
            /* other arrivals' releases are the workload's */
            .period = c->shared->arrival == TS_ARRIVAL_PERIODIC && c->process < 0
                          ? c->shared->period_ns : 0,
            .offset = c->shared->offset_ns + c->release_shift_ns,
            .deadline = c->shared->deadline_ns,
            .exec_min = variant ? variant->exec_ns : c->shared->exec_min_ns,
            .exec_max = variant ? variant->exec_ns : c->shared->exec_ns,
            .policy = c->shared->policy,
            .weight = c->shared->weight,
            .affinity = affinity,
            .reserve_cores = reserve,
            .exec = exec,
            .gpu_ns = variant ? variant->gpu_exec_ns : c->shared->gpu_exec_ns,
            .shared_gpu = plan->placement[i].shared_gpu,
            .gpu_partition_milli = plan->placement[i].shared_gpu &&
                                           s->nodes[plan->node_of[i]].gpu_partition
                                       ? c->shared->gpu_share_milli : 0,
            .memory_bytes = c->shared->memory_bytes + (variant ? variant->memory_bytes : 0),
            .gpu_power_w = variant ? variant->power_w : 0,
            .gang_gpus = c->shared->gang_gpus,
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
        ts->due_release = -1;
        ts->drawn_release = -1;
        ts->bytes = tp->size_bytes;
        ts->sub_first = (uint32_t)at;
        ts->n_subs = (uint32_t)tp->n_subscribers;
        for (size_t k = 0; k < tp->n_subscribers; k++)
            wl->subs[at++] = tp->subscribers[k];
    }
    return TS_OK;
}

static void queue_dropped(void *ctx, int subscriber, uint64_t dropped, uint32_t keep_last);

static const char *arrival_name(void *ctx, size_t i)
{
    ts__workload *wl = ctx;
    snprintf(wl->name_buf, sizeof wl->name_buf, "%s/arrival",
             wl->sh.s->components[wl->arrivals[i].component].id);
    return wl->name_buf;
}

static const char *size_name(void *ctx, size_t i)
{
    ts__workload *wl = ctx;
    snprintf(wl->name_buf, sizeof wl->name_buf, "%s/size",
             wl->sh.s->topics[wl->sizes[i].topic].id);
    return wl->name_buf;
}

/* The trigger queues' depths, the arrival processes and the size
 * distributions, each with its own stream. */
static int build_sources(ts__workload *wl, uint64_t seed, ts_error *err)
{
    const ts_scenario *s = wl->sh.s;
    size_t nc = s->n_components;
    wl->trigger_of = ts_malloc((nc ? nc : 1) * sizeof *wl->trigger_of);
    wl->keep_last = ts_calloc(nc ? nc : 1, sizeof *wl->keep_last);
    if (!wl->trigger_of || !wl->keep_last)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the workload");
    size_t n_arrivals = 0, n_sizes = 0;
    for (size_t i = 0; i < nc; i++) {
        const ts_scenario_component *c = &s->components[i];
        wl->trigger_of[i] = c->trigger;
        n_arrivals += c->shared->arrival == TS_ARRIVAL_POISSON ||
                      c->shared->arrival == TS_ARRIVAL_SPORADIC ||
                      c->shared->arrival == TS_ARRIVAL_BATCH ||
                      (c->shared->arrival == TS_ARRIVAL_PERIODIC && c->process >= 0);
        if (c->trigger < 0)
            continue;
        /* The subscriber's history: KEEP_LAST depth, or KEEP_ALL (0). */
        const ts_scenario_topic *tp = &s->topics[c->trigger];
        if (!tp->has_qos)
            wl->keep_last[i] = DEFAULT_TRIGGER_DEPTH;
        else if (tp->reader_qos->history == TS_QOS_KEEP_LAST)
            wl->keep_last[i] = (uint32_t)(tp->reader_qos->depth > 0 ? tp->reader_qos->depth : 1);
    }
    for (size_t t = 0; t < s->n_topics; t++)
        n_sizes += s->topics[t].size_dist != NULL;
    wl->arrivals = ts_calloc(n_arrivals ? n_arrivals : 1, sizeof *wl->arrivals);
    wl->sizes = ts_calloc(n_sizes ? n_sizes : 1, sizeof *wl->sizes);
    if (!wl->arrivals || !wl->sizes)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the workload");
    for (size_t i = 0; i < nc; i++) {
        const ts_scenario_component *c = &s->components[i];
        int timer = c->shared->arrival == TS_ARRIVAL_PERIODIC && c->process >= 0;
        int once = c->shared->arrival == TS_ARRIVAL_BATCH;
        if (c->shared->arrival != TS_ARRIVAL_POISSON && c->shared->arrival != TS_ARRIVAL_SPORADIC &&
            !timer && !once)
            continue;
        arrival_source *a = &wl->arrivals[wl->n_arrivals];
        a->component = (int)i;
        a->timer = timer;
        a->once = once;
        a->scale = 1.0;
        a->min_ns = timer ? c->shared->period_ns : c->shared->min_interarrival_ns;
        a->gap = *c->shared->gap_dist;
        a->gap.table = NULL;
        a->gap.owned = NULL;
        wl->n_arrivals++;
        int rc = ts_dist_prepare(&a->gap, err);
        if (rc != TS_OK)
            return at_component(s, rc, i, err);
    }
    for (size_t t = 0; t < s->n_topics; t++) {
        if (!s->topics[t].size_dist) {
            wl->topics[t].size_dist = -1;
            continue;
        }
        size_source *z = &wl->sizes[wl->n_sizes];
        z->dist = *s->topics[t].size_dist;
        z->dist.table = NULL;
        z->dist.owned = NULL;
        z->topic = (int)t;
        wl->topics[t].size_dist = (int32_t)wl->n_sizes++;
        int rc = ts_dist_prepare(&z->dist, err);
        if (rc != TS_OK) {
            if (err) {
                snprintf(err->file, sizeof err->file, "%s", s->path);
                err->line = s->topics[t].line;
            }
            return rc;
        }
    }
    if (wl->n_arrivals &&
        !(wl->arrival_rngs = ts_rng_block_new(seed, wl->n_arrivals, arrival_name, wl)))
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for random streams");
    if (wl->n_sizes && !(wl->size_rngs = ts_rng_block_new(seed, wl->n_sizes, size_name, wl)))
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for random streams");
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
    if (rc == TS_OK)
        rc = ts__executors_new(sh, compute, queue_dropped, wl, &wl->exec, err);
    if (rc == TS_OK)
        rc = build_sources(wl, seed, err);
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
    for (size_t i = 0; i < wl->n_arrivals; i++) {
        if (wl->arrivals[i].next)
            ts_engine_cancel(wl->sh.engine, wl->arrivals[i].next);
        ts_dist_fini(&wl->arrivals[i].gap);
    }
    for (size_t i = 0; i < wl->n_sizes; i++)
        ts_dist_fini(&wl->sizes[i].dist);
    ts_free(wl->arrivals);
    ts_free(wl->sizes);
    if (wl->arrival_rngs)
        ts_rng_block_free(wl->arrival_rngs);
    if (wl->size_rngs)
        ts_rng_block_free(wl->size_rngs);
    ts_free(wl->trigger_of);
    ts_free(wl->keep_last);
    ts__executors_free(wl->exec);
    ts_free(wl->topics);
    ts_free(wl->pub_first);
    ts_free(wl->pub_topics);
    ts_free(wl->subs);
    ts_free(wl);
}

void ts__workload_set_transport(ts__workload *wl, ts__transport *transport)
{
    wl->transport = transport;
}

/* One draw of topic t's size distribution, in whole bytes (at least 1). */
static int64_t draw_size(ts__workload *wl, const topic_state *ts)
{
    double b = ts_dist_draw(&wl->sizes[ts->size_dist].dist, &wl->size_rngs[ts->size_dist]);
    return b >= 1 ? (b < 9.2e18 ? llround(b) : INT64_MAX) : 1;
}

ts_time ts__workload_job_work(ts__workload *wl, int component, ts_time release)
{
    /* A standby sends (and so serialises) nothing. */
    if (!ts__rts_serving(wl->rts, component))
        return 0;
    ts_time work = 0;
    for (uint32_t k = wl->pub_first[component]; k < wl->pub_first[component + 1]; k++) {
        size_t t = wl->pub_topics[k];
        topic_state *ts = &wl->topics[t];
        if (ts->period_ns > 0) {
            if (release < ts->next_due)
                continue;
            while (ts->next_due <= release)
                ts->next_due += ts->period_ns;
            ts->due_release = release;
        }
        int64_t bytes = ts->bytes;
        if (ts->size_dist >= 0) {
            bytes = ts->drawn_bytes = draw_size(wl, ts);
            ts->drawn_release = release;
        }
        if (wl->transport)
            work += ts__transport_publish_ns(wl->transport, (int)t, bytes);
    }
    return work;
}

static void fail(ts__workload *wl, int code, const char *what)
{
    ts_error e;
    ts_error_set(&e, code, NULL, 0, "%s", what);
    ts__bus_fail(wl->sh.bus, &e);
}

/* The gap to a source's next arrival: min-interarrival plus a draw,
 * rounded to the nanosecond. */
static ts_time next_gap(ts__workload *wl, size_t i)
{
    arrival_source *a = &wl->arrivals[i];
    /* A <rate-step> due by now scales this gap and the later ones to its
     * mean rate (for Poisson arrivals exactly an exponential of the new
     * mean). */
    const ts_scenario_component_shared *sh = wl->sh.s->components[a->component].shared;
    ts_time now = ts_engine_now(wl->sh.engine);
    while (a->step < sh->n_rate_steps && sh->rate_steps[a->step].at_ns <= now) {
        a->scale = (double)sh->rate_steps[a->step].period_ns / (double)sh->period_ns;
        a->step++;
    }
    double g = ts_dist_draw(&a->gap, &wl->arrival_rngs[i]);
    if (!(g < 4e18))
        g = 4e18;
    if (a->scale == 1.0)
        return a->min_ns + (ts_time)llround(g);
    double scaled = ((double)a->min_ns + g) * a->scale;
    return scaled < 4e18 ? (ts_time)llround(scaled) : (ts_time)4e18;
}

static void on_arrival(ts_engine *engine, void *ctx, uint64_t arg)
{
    ts__workload *wl = ctx;
    arrival_source *a = &wl->arrivals[arg];
    ts_time now = ts_engine_now(engine);
    a->next = 0;
    if (a->once) {
        uint64_t unused;
        if (ts_compute_release(wl->compute, a->component, -1, 0, 0, &unused) == TS_ENOMEM)
            fail(wl, TS_ENOMEM, "no memory for released jobs");
        return;
    }
    ts_time gap = next_gap(wl, (size_t)arg);
    if (ts_engine_schedule(engine, gap > TS_TIME_MAX - now ? TS_TIME_MAX : now + gap,
                           on_arrival, wl, arg, &a->next) != TS_OK) {
        a->next = 0;
        fail(wl, TS_ENOMEM, "no memory for events");
        return;
    }
    if (ts__executors_owns(wl->exec, a->component)) {
        ts__executors_timer(wl->exec, a->component);
        return;
    }
    uint64_t unused;
    if (ts_compute_release(wl->compute, a->component, -1, 0, 0, &unused) == TS_ENOMEM)
        fail(wl, TS_ENOMEM, "no memory for released jobs");
}

void ts__workload_connect(ts__workload *wl, ts__rts *rts, ts__recorder *recorder,
                          const ts__workload_hooks *hooks)
{
    wl->rts = rts;
    wl->recorder = recorder;
    wl->hooks = *hooks;
    /* A Poisson or sporadic component's first arrival is one gap after
     * its offset, as a Poisson process counted from there; a process's
     * timer first expires at its offset, as a timer-released task (each
     * after its fleet copy's phase and clock offset). */
    ts_time now = ts_engine_now(wl->sh.engine);
    for (size_t i = 0; i < wl->n_arrivals; i++) {
        const ts_scenario_component *c = &wl->sh.s->components[wl->arrivals[i].component];
        ts_time at = now + c->shared->offset_ns + c->release_shift_ns +
                     (wl->arrivals[i].timer || wl->arrivals[i].once ? 0 : next_gap(wl, i));
        if (ts_engine_schedule(wl->sh.engine, at, on_arrival, wl, i, &wl->arrivals[i].next) !=
            TS_OK) {
            wl->arrivals[i].next = 0;
            fail(wl, TS_ENOMEM, "no memory for events");
            return;
        }
    }
}

/* A sample a newer one overwrote in component's queue before its
 * callback took it: a queue_drop event. */
static void queue_dropped(void *ctx, int subscriber, uint64_t dropped, uint32_t keep_last)
{
    ts__workload *wl = ctx;
    const ts_scenario *s = wl->sh.s;
    if (wl->hooks.queued)
        wl->hooks.queued(wl->hooks.ctx, subscriber, -1);
    ts_platform_event ev = {
        .time = ts_engine_now(wl->sh.engine),
        .kind = TS_EV_QUEUE_DROP,
        .node = wl->sh.plan->node_of[subscriber],
        .link = -1,
        .component = subscriber,
        .value = (double)TS_JOB_TAG_SEQ(dropped),
    };
    snprintf(ev.detail, sizeof ev.detail,
             "%s: sample %llu of %s overwritten in its KEEP_LAST %u queue before its "
             "callback ran", s->components[subscriber].id,
             (unsigned long long)TS_JOB_TAG_SEQ(dropped),
             s->topics[TS_JOB_TAG_TOPIC(dropped)].id, keep_last);
    ts__bus_post(wl->sh.bus, &ev);
}

void ts__workload_each_waiting(const ts__workload *wl,
                               void (*fn)(void *ctx, int component, uint64_t tag), void *ctx)
{
    ts__executors_each_waiting(wl->exec, fn, ctx);
}

int ts__workload_triggers(const ts__workload *wl, int topic, int subscriber)
{
    return wl->trigger_of[subscriber] == topic;
}

void ts__workload_delivered(ts__workload *wl, int topic, int subscriber, uint64_t seq)
{
    if (wl->trigger_of[subscriber] != topic)
        return;
    if (wl->hooks.queued)
        wl->hooks.queued(wl->hooks.ctx, subscriber, +1);
    if (ts__executors_owns(wl->exec, subscriber)) {
        ts__executors_sample(wl->exec, subscriber, TS_JOB_TAG(topic, seq),
                             wl->keep_last[subscriber]);
        return;
    }
    uint64_t dropped;
    int rc = ts_compute_release(wl->compute, subscriber, -1, TS_JOB_TAG(topic, seq),
                                wl->keep_last[subscriber], &dropped);
    if (rc == TS_ENOMEM)
        fail(wl, TS_ENOMEM, "no memory for released jobs");
    else if (rc == 1)
        queue_dropped(wl, subscriber, dropped, wl->keep_last[subscriber]);
}

static void publish(ts__workload *wl, const ts_job_record *job)
{
    int component = job->task;
    ts_time release = job->release;
    /* A standby publishes nothing until the deployment code makes it
     * serve. */
    if (!ts__rts_serving(wl->rts, component))
        return;
    ts_ctl *ctl = ts__rts_ctl(wl->rts);
    for (uint32_t k = wl->pub_first[component]; k < wl->pub_first[component + 1]; k++) {
        size_t t = wl->pub_topics[k];
        topic_state *ts = &wl->topics[t];
        if (ts->period_ns > 0 && ts->due_release != release)
            continue;
        uint64_t seq;
        if (wl->hooks.qos_publish && wl->hooks.qos_publish(wl->hooks.ctx, (int)t, &seq)) {
            if (wl->hooks.sample_published)
                wl->hooks.sample_published(wl->hooks.ctx, job, (int)t, seq);
            continue;
        }
        seq = ts->samples++;
        int64_t bytes = ts->bytes;
        if (ts->size_dist >= 0) {
            /* The size the job serialised as it became current; a job
             * that became current as a standby drew none. */
            bytes = ts->drawn_release == release ? ts->drawn_bytes : draw_size(wl, ts);
            ts->drawn_release = -1;
        }
        if (wl->hooks.sample_published)
            wl->hooks.sample_published(wl->hooks.ctx, job, (int)t, seq);
        const int32_t *subs = wl->subs + ts->sub_first;
        for (size_t k2 = 0; k2 < ts->n_subs; k2++) {
            int sub = subs[k2];
            /* A sample the policy forbids is dropped at the sender and
             * recorded as a violation; the subscriber was never owed it. */
            if (!ts_ctl_allows(ctl, component, sub, (int)t))
                continue;
            /* A worker pool's replicas share the sample: one takes it. */
            if (wl->hooks.route) {
                int to = wl->hooks.route(wl->hooks.ctx, (int)t, seq, sub);
                if (to != -1 && to != sub)
                    continue;
            }
            /* A reader not yet matched by discovery does not get it. */
            if (wl->hooks.deliverable && !wl->hooks.deliverable(wl->hooks.ctx, (int)t, (int)k2))
                continue;
            ts_packet p = {
                .topic = (int32_t)t,
                .publisher = component,
                .subscriber = sub,
                .seq = seq,
                .src = wl->sh.plan->node_of[component],
                .dst = wl->sh.plan->node_of[sub],
                .bytes = bytes,
            };
            if (p.src == p.dst && wl->transport)
                p.local_ns = ts__transport_local_ns(wl->transport, (int)t, bytes);
            if (ts_network_send(wl->net, &p) != TS_OK) {
                fail(wl, TS_ENOMEM, "no memory for packets");
                return;
            }
        }
    }
}

static int component_of_job(const ts_job_record *job)
{
    return job->task;   /* task ids equal component indices */
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
    /* a triggered job leaves its queue, run or not */
    if (wl->hooks.queued && TS_JOB_TAG_TOPIC(job->tag) >= 0)
        wl->hooks.queued(wl->hooks.ctx, component_of_job(job), -1);
    /* Task ids equal component indices (added in order). */
    if (job->finish >= 0 && !ts__bus_failed(wl->sh.bus))
        publish(wl, job);
    /* its executor's thread is free again */
    ts__executors_job_done(wl->exec, job);
}

void ts__workload_stats(const ts__workload *wl, ts_run_stats *stats)
{
    stats->jobs += wl->jobs;
    stats->missed_jobs += wl->missed_jobs;
}
