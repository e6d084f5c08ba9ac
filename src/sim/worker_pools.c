/*
 * Worker pools (worker_pools.h). The load an autoscaler reads is the
 * pool's samples queued, waiting or in their callback, over all its
 * replicas, integrated over simulated time (exact, as the service
 * registry integrates its requests in flight); the autoscaler divides its
 * mean over the period by the replicas asked for, so target= is a queue
 * length per replica, as KEDA's queue scalers' target (e.g. the RabbitMQ
 * scaler's queueLength, keda.sh/docs/latest/scalers/rabbitmq-queue/),
 * which it hands to the HPA's same rule. A KEEP_LAST overwrite replaces
 * the sample a waiting job will run on and leaves the count as it was. Samples are spread by
 * round robin over the serving replicas in slot order (the balancer the
 * services' lb="round-robin" uses); a replica the autoscaler withdraws
 * takes no new sample and finishes what it holds in its drain time.
 */
#include "sim/worker_pools.h"

#include <string.h>

#include "toposim/alloc.h"
#include "toposim/deploy_autoscale.h"

typedef struct pool {
    const ts_scenario_worker_pool *sp;
    const ts__shared *sh;
    unsigned char *enrolled;    /* per slot: takes new samples */
    int next;                   /* the round robin's next slot */
    int64_t queued;             /* samples held, all replicas */
    double area;                /* its integral, sample x ns */
    ts_time last;               /* of the last change */
    int cached_topic;           /* the sample last routed ... */
    uint64_t cached_seq;
    int cached_pick;            /* ... and the replica it went to */
    ts_as *as;
} pool;

struct ts__worker_pools {
    ts__shared sh;
    pool *pools;
    size_t n;
    int32_t *pool_of;           /* per component: its pool, or -1 */
};

static void accumulate(pool *p)
{
    ts_time now = ts_engine_now(p->sh->engine);
    p->area += (double)p->queued * (double)(now - p->last);
    p->last = now;
}

static int member_endpoint(void *ctx, int slot)
{
    const pool *p = ctx;
    return p->sp->replicas[slot];
}

static double member_area(void *ctx)
{
    pool *p = ctx;
    accumulate(p);
    return p->area;
}

static int member_enrol(void *ctx, int slot, int on)
{
    pool *p = ctx;
    if (slot < 0 || (size_t)slot >= p->sp->n_replicas)
        return TS_EINVAL;
    p->enrolled[slot] = on != 0;
    return TS_OK;
}

void ts__worker_pools_free(ts__worker_pools *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++) {
        ts_as_free(w->pools[i].as);
        ts_free(w->pools[i].enrolled);
    }
    ts_free(w->pools);
    ts_free(w->pool_of);
    ts_free(w);
}

int ts__worker_pools_start(const ts__shared *sh, ts__rts *rts, ts__worker_pools **out,
                           ts_error *err)
{
    const ts_scenario *s = sh->s;
    *out = NULL;
    if (s->n_worker_pools == 0)
        return TS_OK;
    ts__worker_pools *w = ts_calloc(1, sizeof *w);
    if (!w)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the worker pools");
    *out = w;
    w->sh = *sh;
    w->pools = ts_calloc(s->n_worker_pools, sizeof *w->pools);
    w->pool_of = ts_malloc((s->n_components ? s->n_components : 1) * sizeof *w->pool_of);
    if (!w->pools || !w->pool_of)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the worker pools");
    for (size_t c = 0; c < s->n_components; c++)
        w->pool_of[c] = -1;
    /* In declaration order: the order of their first records and timers. */
    for (size_t i = 0; i < s->n_worker_pools; i++) {
        const ts_scenario_worker_pool *sp = &s->worker_pools[i];
        const ts_scenario_component *head = &s->components[sp->replicas[0]];
        if (head->trigger >= 0 && s->topics[head->trigger].has_qos)
            return ts_error_set(err, TS_EINVAL, s->path, sp->line,
                                "component %s: an autoscaled worker pool's trigger topic %s "
                                "has qos=, whose DDS readers each take every sample; a pool "
                                "shares them (leave qos= out of topic %s)", head->id,
                                s->topics[head->trigger].id, s->topics[head->trigger].id);
        pool *p = &w->pools[w->n++];
        p->sp = sp;
        p->sh = &w->sh;
        p->cached_topic = -1;
        p->last = ts_engine_now(sh->engine);
        p->enrolled = ts_calloc(sp->n_replicas, 1);
        int *nodes = ts_calloc(sp->n_replicas, sizeof *nodes);
        if (!p->enrolled || !nodes) {
            ts_free(nodes);
            return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the worker pools");
        }
        for (size_t k = 0; k < sp->n_replicas; k++) {
            nodes[k] = sh->plan->node_of[sp->replicas[k]];
            w->pool_of[sp->replicas[k]] = (int32_t)i;
        }
        ts_as_members m = {(int)sp->n_replicas, member_endpoint, member_area, member_enrol, p};
        ts_as_desc d = {
            .name = head->id,
            .kind = "workers",
            .nodes = nodes,
            .min_replicas = sp->autoscale.min_replicas,
            .max_replicas = sp->autoscale.max_replicas,
            .target = sp->autoscale.target,
            .tolerance = TS_AS_DEFAULT_TOLERANCE,
            .period_ns = sp->autoscale.period_ns,
            .up_window_ns = sp->autoscale.up_window_ns,
            .down_window_ns = sp->autoscale.down_window_ns,
            .cold_start_ns = sp->autoscale.cold_start_ns,
            .drain_ns = sp->drain_ns,
            .price_per_hour = sp->autoscale.price_per_hour,
        };
        p->as = ts_as_new_members(ts__rts_runtime(rts), ts__rts_ctl(rts), &m, &d, err);
        ts_free(nodes);
        if (!p->as)
            return err ? err->code : TS_EINVAL;
        int rc = ts_as_start(p->as);
        if (rc != TS_OK)
            return ts_error_set(err, rc, s->path, sp->line,
                                "component %s: the worker pool's autoscaler could not start",
                                head->id);
    }
    return TS_OK;
}

int ts__worker_pools_route(ts__worker_pools *w, int topic, uint64_t seq, int subscriber)
{
    if (!w || w->pool_of[subscriber] < 0)
        return -1;
    pool *p = &w->pools[w->pool_of[subscriber]];
    if (p->cached_topic == topic && p->cached_seq == seq)
        return p->cached_pick;
    int n = (int)p->sp->n_replicas, pick = -2;
    for (int k = 0; k < n; k++) {
        int slot = (p->next + k) % n;
        if (p->enrolled[slot]) {
            pick = p->sp->replicas[slot];
            p->next = (slot + 1) % n;
            break;
        }
    }
    p->cached_topic = topic;
    p->cached_seq = seq;
    p->cached_pick = pick;
    return pick;
}

void ts__worker_pools_queued(ts__worker_pools *w, int component, int delta)
{
    if (!w || w->pool_of[component] < 0)
        return;
    pool *p = &w->pools[w->pool_of[component]];
    accumulate(p);
    p->queued += delta;
}
