/*
 * Plan's model variants (README, "Model variants"): for each component
 * with model=, the deployment code's rule (deploy_variant.h) picks the
 * variant it runs on the node placement chose, from each variant's
 * response-time estimate there: its CPU part at the CPU clock and its GPU
 * or DLA part at the GPU clock of the power mode the node starts in (the
 * dynamics model's own caps, ts_power_mode_caps, so plan and run agree),
 * one after the other as the compute model runs a job's CPU part then its
 * kernel. The estimate is the job alone on the node: interference from
 * other components, a shared GPU's other tenants and a later mode change
 * or throttle are the run's to show. The choice is written in front of
 * the placement's reason, so `toposim plan` and the trace's /placement
 * show it; a scenario naming no model is untouched.
 */
#include "plan_variants.h"

#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"
#include "toposim/dynamics.h"

/* The starting mode's clock scales of node n (1 without power modes). */
static void node_scales(const ts_scenario_node *n, double *cpu, double *gpu)
{
    *cpu = *gpu = 1.0;
    if (!n->has_power || n->power->initial_mode < 0 ||
        (size_t)n->power->initial_mode >= n->power->n_modes)
        return;
    const ts_scenario_power_mode *sm = &n->power->modes[n->power->initial_mode];
    ts_power_mode mode = {sm->name, sm->online_cores, sm->cpu_max_hz, sm->gpu_max_hz,
                          sm->budget_w, sm->oc_limit_w, sm->oc_release_w};
    ts_power_desc d = {.cpu_ref_hz = n->power->cpu_ref_hz,
                       .gpu_ref_hz = n->power->gpu_ref_hz,
                       .modes = &mode,
                       .n_modes = 1,
                       .initial_mode = 0};
    ts_power_caps caps;
    ts_power_mode_caps(&d, 0, n->cores, &caps);
    if (caps.cpu_scale > 0)
        *cpu = caps.cpu_scale;
    if (caps.gpu_scale > 0)
        *gpu = caps.gpu_scale;
}

/* Reference time at a clock scale, rounded up to the nanosecond. */
static int64_t at_scale(int64_t ns, double scale)
{
    double t = (double)ns / scale;
    int64_t r = (int64_t)t;
    return (double)r < t ? r + 1 : r;
}

void ts__plan_variant_options(void *ctx, int c, int node, ts_variant_option *out)
{
    const ts_scenario *s = ctx;
    const ts_scenario_dnn *d = &s->dnns[s->components[c].shared->dnn - 1];
    const ts_scenario_node *n = &s->nodes[node];
    double cpu, gpu;
    node_scales(n, &cpu, &gpu);
    size_t nv = d->n_variants < TS_VARIANT_MAX ? d->n_variants : TS_VARIANT_MAX;
    for (size_t i = 0; i < nv; i++) {
        const ts_scenario_dnn_variant *v = &d->variants[i];
        const ts_scenario_dnn_figures *f = ts_scenario_dnn_on(v, n->model);
        out[i] = (ts_variant_option){.name = v->name,
                                     .response_ns = -1,
                                     .power_w = f ? f->power_w : 0,
                                     .accuracy = v->accuracy,
                                     .memory_bytes = f ? f->memory_bytes : 0};
        if (f)
            out[i].response_ns = at_scale(f->exec_ns, cpu) + at_scale(f->accel_exec_ns, gpu);
    }
}

int64_t ts__plan_variant_memory(const ts_scenario *s, const ts_plan *plan, size_t c)
{
    (void)s;
    if (!plan->variants || plan->variants[c].variant < 0)
        return 0;
    return plan->variants[c].memory_bytes;
}

/* Chooses component c's variant; TS_OK, or TS_EINFEASIBLE with err. */
static int choose(const ts_scenario *s, size_t c, int node, ts_plan_variant *out,
                  char *why, size_t size, ts_error *err)
{
    const ts_scenario_component *sc = &s->components[c];
    const ts_scenario_dnn *d = &s->dnns[sc->shared->dnn - 1];
    const ts_scenario_node *n = &s->nodes[node];
    ts_variant_option opts[TS_VARIANT_MAX];
    size_t nv = d->n_variants < TS_VARIANT_MAX ? d->n_variants : TS_VARIANT_MAX;
    ts__plan_variant_options((void *)s, (int)c, node, opts);
    int pinned = (int)sc->shared->dnn_variant - 1;
    int meets = 0;
    int k = ts_variant_choose(opts, nv, sc->shared->deadline_ns, pinned, &meets, why, size);
    if (k < 0)
        return ts_error_set(err, TS_EINFEASIBLE, s->path, sc->line,
                            "component %s: model %s on node %s (%s): %s", sc->id,
                            d->name, n->id, n->model ? n->model : "inline", why);
    const ts_scenario_dnn_figures *f = ts_scenario_dnn_on(&d->variants[k], n->model);
    *out = (ts_plan_variant){.variant = k,
                             .meets = meets,
                             .exec_ns = f->exec_ns,
                             .gpu_exec_ns = f->accel_exec_ns,
                             .response_ns = opts[k].response_ns,
                             .memory_bytes = f->memory_bytes,
                             .power_w = f->power_w};
    return TS_OK;
}

int ts__plan_variants(const ts_scenario *s, ts_plan *plan, ts_error *err)
{
    if (s->n_dnns == 0)
        return TS_OK;
    size_t nc = s->n_components;
    plan->variants = ts_calloc(nc ? nc : 1, sizeof *plan->variants);
    char (*why)[TS_PLAN_VARIANT_REASON] = ts_calloc(nc ? nc : 1, sizeof *why);
    if (!plan->variants || !why) {
        ts_free(why);
        return ts_error_set(err, TS_ENOMEM, s->path, 0, "no memory for the plan");
    }
    size_t total = 1;
    int rc = TS_OK;
    for (size_t c = 0; c < nc && rc == TS_OK; c++) {
        plan->variants[c].variant = -1;
        if (s->components[c].shared->dnn)
            rc = choose(s, c, plan->node_of[c], &plan->variants[c], why[c],
                        sizeof why[c], err);
        total += strlen(why[c]) + 2 + strlen(plan->placement[c].reason) + 1;
    }
    char *reasons = rc == TS_OK ? ts_malloc(total) : NULL;
    if (rc == TS_OK && !reasons)
        rc = ts_error_set(err, TS_ENOMEM, s->path, 0, "no memory for the plan");
    if (rc == TS_OK) {
        /* the variant first: the trace keeps a reason's first 191 bytes */
        char *at = reasons;
        for (size_t c = 0; c < nc; c++) {
            const char *old = plan->placement[c].reason;
            int len = why[c][0] ? sprintf(at, "%s; %s", why[c], old) : sprintf(at, "%s", old);
            plan->placement[c].reason = at;
            at += len + 1;
        }
        ts_free(plan->reasons);
        plan->reasons = reasons;
    }
    ts_free(why);
    return rc;
}
