/*
 * The services' autoscalers: each <autoscale> becomes a ts_as of
 * src/deploy/ over the service's registry entry and the runtime's
 * controller. A drained replica stops one
 * request timeout after it left the registry (what it still holds has
 * been answered or timed out by then).
 */
#include "sim/autoscalers.h"

#include "toposim/alloc.h"
#include "toposim/deploy_autoscale.h"

struct ts__autoscalers {
    ts_as **as;
    size_t n;
};

void ts__autoscalers_free(ts__autoscalers *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++)
        ts_as_free(a->as[i]);
    ts_free(a->as);
    ts_free(a);
}

int ts__autoscalers_start(const ts__shared *sh, ts__rts *rts, ts_svc_registry *reg,
                          ts__autoscalers **out, ts_error *err)
{
    const ts_scenario *s = sh->s;
    *out = NULL;
    size_t count = 0;
    for (size_t i = 0; i < s->n_services; i++)
        count += s->services[i].autoscale.enabled != 0;
    if (count == 0)
        return TS_OK;
    ts__autoscalers *a = ts_calloc(1, sizeof *a);
    if (!a || !(a->as = ts_calloc(count, sizeof *a->as))) {
        ts_free(a);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the autoscalers");
    }
    *out = a;
    /* In service order: the order of their first records and timers. */
    for (size_t i = 0; i < s->n_services; i++) {
        const ts_scenario_service *ss = &s->services[i];
        if (!ss->autoscale.enabled)
            continue;
        int nodes[64];
        int *node_of = ss->n_replicas <= 64 ? nodes : ts_calloc(ss->n_replicas, sizeof *node_of);
        if (!node_of)
            return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the autoscalers");
        for (size_t k = 0; k < ss->n_replicas; k++)
            node_of[k] = sh->plan->node_of[ss->replicas[k]];
        ts_as_desc d = {
            .name = ss->id,
            .service = (int)i,
            .nodes = node_of,
            .min_replicas = ss->autoscale.min_replicas,
            .max_replicas = ss->autoscale.max_replicas,
            .target = ss->autoscale.target,
            .tolerance = TS_AS_DEFAULT_TOLERANCE,
            .period_ns = ss->autoscale.period_ns,
            .up_window_ns = ss->autoscale.up_window_ns,
            .down_window_ns = ss->autoscale.down_window_ns,
            .cold_start_ns = ss->autoscale.cold_start_ns,
            .drain_ns = ss->timeout_ns,
            .price_per_hour = ss->autoscale.price_per_hour,
        };
        ts_as *as = ts_as_new(ts__rts_runtime(rts), ts__rts_ctl(rts), reg, &d, err);
        if (node_of != nodes)
            ts_free(node_of);
        if (!as)
            return err ? err->code : TS_EINVAL;
        a->as[a->n++] = as;
        int rc = ts_as_start(as);
        if (rc != TS_OK)
            return ts_error_set(err, rc, s->path, ss->autoscale.line,
                                "service %s: the autoscaler could not start", ss->id);
    }
    return TS_OK;
}
