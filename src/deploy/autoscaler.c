/*
 * The autoscaler (deploy_autoscale.h): reads the mean load of a service
 * (requests in flight, from the registry) or of a pool of members (their
 * own integral, e.g. a worker pool's queued samples), decides every period by the HPA rule with its stabilisation
 * windows, and starts, serves, drains and stops replica slots through the
 * controller and the registry.
 */
#include <math.h>
#include <stdio.h>

#include "toposim/alloc.h"
#include "toposim/deploy_autoscale.h"

typedef enum { SLOT_STOPPED, SLOT_STARTING, SLOT_SERVING, SLOT_DRAINING } slot_state;

typedef struct slot {
    int endpoint, node;
    slot_state state;
    ts_rt_timer timer;          /* cold start or drain */
} slot;

typedef struct recommendation {
    int64_t t;
    int replicas;
} recommendation;

struct ts_as {
    const ts_runtime *rt;
    ts_ctl *ctl;
    ts_svc_registry *reg;       /* a service's; NULL: a pool of members */
    ts_as_members m;            /* the slots' load and membership */
    ts_as_desc d;               /* d.nodes not kept */
    slot *slots;
    int n_slots;
    recommendation *hist;       /* ring, oldest at hist_head */
    int hist_cap, hist_head, hist_n;
    ts_rt_timer tick;
    double area_at_last;        /* the registry's in-flight integral ... */
    int64_t last_ns;            /* ... at the last decision */
    const char *name;           /* the service's, for details */
    const char *kind;
};

/* A registry's service as members: its in-flight integral and its
 * balancer's membership. */
static int reg_endpoint(void *ctx, int slot)
{
    const ts_as *as = ctx;
    return ts_svc_registry_endpoint(as->reg, as->d.service, slot);
}

static double reg_area(void *ctx)
{
    const ts_as *as = ctx;
    return ts_svc_registry_in_flight_area(as->reg, as->d.service);
}

static int reg_enrol(void *ctx, int slot, int on)
{
    const ts_as *as = ctx;
    return ts_svc_registry_set_enrolled(as->reg, as->d.service, slot, on);
}

static int count(const ts_as *as, slot_state a, slot_state b)
{
    int n = 0;
    for (int i = 0; i < as->n_slots; i++)
        n += as->slots[i].state == a || as->slots[i].state == b;
    return n;
}

int ts_as_desired(const ts_as *as)
{
    return as ? count(as, SLOT_STARTING, SLOT_SERVING) : 0;
}

int ts_as_serving(const ts_as *as)
{
    return as ? count(as, SLOT_SERVING, SLOT_SERVING) : 0;
}

int ts_as_billed(const ts_as *as)
{
    return as ? as->n_slots - count(as, SLOT_STOPPED, SLOT_STOPPED) : 0;
}

static void note(ts_as *as, const char *kind, int i, double value, const char *detail)
{
    const slot *s = &as->slots[i];
    ts_rt_note(as->rt, kind, s->endpoint, s->node, value, detail);
}

/* The controller decides the process's state; a refusal is recorded (the
 * slot's bookkeeping goes on: the billing follows the decision). */
static void set_role(ts_as *as, int i, ts_rt_run_state role)
{
    if (ts_ctl_set_role(as->ctl, as->slots[i].endpoint, role, 0) < 0)
        note(as, "apply_failed", i, (double)role, "the autoscaler's replica state was refused");
}

static void enrol(ts_as *as, int i, int on)
{
    if (as->m.set_enrolled(as->m.ctx, i, on) != TS_OK)
        note(as, "apply_failed", i, on, "the membership refused the autoscaler's change");
}

static void serve(ts_as *as, int i, const char *why)
{
    as->slots[i].state = SLOT_SERVING;
    set_role(as, i, TS_RT_ACTIVE);
    enrol(as, i, 1);
    char detail[128];
    snprintf(detail, sizeof detail, "%s %s: replica slot %d serves (%s)", as->kind, as->name, i, why);
    note(as, "replica_ready", i, ts_as_serving(as), detail);
}

static void stop(ts_as *as, int i, const char *why)
{
    as->slots[i].state = SLOT_STOPPED;
    as->slots[i].timer = 0;
    enrol(as, i, 0);
    set_role(as, i, TS_RT_STOPPED);
    char detail[128];
    snprintf(detail, sizeof detail, "%s %s: replica slot %d stopped (%s)", as->kind, as->name, i, why);
    note(as, "replica_stopped", i, ts_as_billed(as), detail);
}

static void on_ready(void *ctx, uint64_t arg)
{
    ts_as *as = ctx;
    as->slots[arg].timer = 0;
    serve(as, (int)arg, "cold start over");
}

static void on_drained(void *ctx, uint64_t arg)
{
    stop(ctx, (int)arg, "drained");
}

static void arm(ts_as *as, int i, int64_t delay, ts_rt_timer_fn fn)
{
    if (ts_rt_timer_start(as->rt, delay, fn, as, (uint64_t)i, &as->slots[i].timer) != 0) {
        /* No timer: act now rather than leave the slot half-way. */
        note(as, "apply_failed", i, 0, "the autoscaler could not set a replica's timer");
        fn(as, (uint64_t)i);
    }
}

/* Brings the slots asked for to n: out revives draining slots first (still
 * warm: they serve at once), then launches the lowest stopped ones; in
 * cancels starting slots, newest first, then drains the highest serving. */
static void act(ts_as *as, int n)
{
    int have = ts_as_desired(as);
    for (int i = 0; i < as->n_slots && have < n; i++)
        if (as->slots[i].state == SLOT_DRAINING) {
            ts_rt_timer_cancel(as->rt, as->slots[i].timer);
            as->slots[i].timer = 0;
            serve(as, i, "revived while draining");
            have++;
        }
    for (int i = 0; i < as->n_slots && have < n; i++)
        if (as->slots[i].state == SLOT_STOPPED) {
            as->slots[i].state = SLOT_STARTING;
            char detail[128];
            snprintf(detail, sizeof detail, "%s %s: replica slot %d launched, cold start %.3f s",
                     as->kind, as->name, i, (double)as->d.cold_start_ns * 1e-9);
            note(as, "replica_start", i, ts_as_billed(as), detail);
            arm(as, i, as->d.cold_start_ns, on_ready);
            have++;
        }
    for (int i = as->n_slots - 1; i >= 0 && have > n; i--)
        if (as->slots[i].state == SLOT_STARTING) {
            ts_rt_timer_cancel(as->rt, as->slots[i].timer);
            stop(as, i, "cancelled while starting");
            have--;
        }
    for (int i = as->n_slots - 1; i >= 0 && have > n; i--)
        if (as->slots[i].state == SLOT_SERVING) {
            as->slots[i].state = SLOT_DRAINING;
            enrol(as, i, 0);
            arm(as, i, as->d.drain_ns, on_drained);
            have--;
        }
}

/* The HPA's stabilised recommendation: at least the least of the up
 * window's, at most the greatest of the down window's, this one's
 * included; then the history keeps what either window may still need. */
static int stabilise(ts_as *as, int64_t t, int cur, int raw)
{
    int up = raw, down = raw;
    for (int k = 0; k < as->hist_n; k++) {
        const recommendation *r = &as->hist[(as->hist_head + k) % as->hist_cap];
        if (r->t > t - as->d.up_window_ns && r->replicas < up)
            up = r->replicas;
        if (r->t > t - as->d.down_window_ns && r->replicas > down)
            down = r->replicas;
    }
    int64_t keep = as->d.up_window_ns > as->d.down_window_ns ? as->d.up_window_ns
                                                              : as->d.down_window_ns;
    while (as->hist_n > 0 && !(as->hist[as->hist_head].t > t - keep)) {
        as->hist_head = (as->hist_head + 1) % as->hist_cap;
        as->hist_n--;
    }
    if (as->hist_n == as->hist_cap) {   /* cannot happen with the sizing */
        as->hist_head = (as->hist_head + 1) % as->hist_cap;
        as->hist_n--;
    }
    as->hist[(as->hist_head + as->hist_n++) % as->hist_cap] = (recommendation){t, raw};
    int n = cur;
    if (n < up)
        n = up;
    if (n > down)
        n = down;
    return n;
}

static void decide(ts_as *as, int64_t t)
{
    int cur = ts_as_desired(as);
    double area = as->m.load_area(as->m.ctx);
    double in_flight = t > as->last_ns ? (area - as->area_at_last) / (double)(t - as->last_ns) : 0;
    as->area_at_last = area;
    as->last_ns = t;
    double per_replica = in_flight / cur;   /* cur >= min_replicas >= 1 */
    double ratio = per_replica / as->d.target;
    int raw = cur;
    if (fabs(ratio - 1.0) > as->d.tolerance)
        raw = (int)ceil(cur * ratio);
    if (raw < as->d.min_replicas)
        raw = as->d.min_replicas;
    if (raw > as->d.max_replicas)
        raw = as->d.max_replicas;
    int n = stabilise(as, t, cur, raw);
    char detail[160];
    snprintf(detail, sizeof detail, "%s %s: current %d raw %d final %d", as->kind, as->name, cur,
             raw, n);
    note(as, "autoscale_eval", 0, in_flight, detail);
    if (n == cur)
        return;
    snprintf(detail, sizeof detail,
             "%s %s: %.3f %s per replica against %.3f; %d -> %d (%s)", as->kind, as->name,
             per_replica, as->reg ? "in flight" : "queued",
             as->d.target, cur, n,
             n > cur ? (raw > n ? "capped by the up window" : "load above target")
                     : (raw < n ? "held by the down window" : "load below target"));
    note(as, n > cur ? "scale_out" : "scale_in", 0, n, detail);
    act(as, n);
}

static void on_tick(void *ctx, uint64_t arg)
{
    (void)arg;
    ts_as *as = ctx;
    as->tick = 0;
    decide(as, ts_rt_now(as->rt));
    if (ts_rt_timer_start(as->rt, as->d.period_ns, on_tick, as, 0, &as->tick) != 0)
        note(as, "apply_failed", 0, 0, "the autoscaler could not set its timer and stops deciding");
}

/* Checks the policy and builds the slots over members m (m.ctx NULL:
 * the autoscaler itself, for a registry's service). */
static ts_as *build(const ts_runtime *rt, ts_ctl *ctl, ts_svc_registry *reg,
                    const ts_as_members *m, const ts_as_desc *d, ts_error *err)
{
    int n = m ? m->n_slots : 0;
    const char *bad = !rt || !ctl || !m || !d ? "a runtime, controller, members and policy"
                      : n < 1                   ? "a service or pool with replicas"
                      : d->min_replicas < 1     ? "min replicas >= 1"
                      : d->max_replicas < d->min_replicas || d->max_replicas > n
                          ? "max replicas between min and the slots declared"
                      : !(d->target > 0)                          ? "a target > 0"
                      : !(d->tolerance >= 0 && d->tolerance < 1)  ? "a tolerance in [0, 1)"
                      : !(d->period_ns > 0)                       ? "a period > 0"
                      : d->up_window_ns < 0 || d->down_window_ns < 0 ? "windows >= 0"
                      : d->cold_start_ns < 0 || d->drain_ns < 0      ? "cold start and drain >= 0"
                      : !(d->price_per_hour >= 0)                    ? "a price >= 0"
                                                                     : NULL;
    if (bad) {
        ts_error_set(err, TS_EINVAL, NULL, 0, "autoscaler: needs %s", bad);
        return NULL;
    }
    int64_t window = d->up_window_ns > d->down_window_ns ? d->up_window_ns : d->down_window_ns;
    ts_as *as = ts_calloc(1, sizeof *as);
    if (as) {
        as->hist_cap = (int)(window / d->period_ns) + 2;
        as->slots = ts_calloc((size_t)n, sizeof *as->slots);
        as->hist = ts_calloc((size_t)as->hist_cap, sizeof *as->hist);
    }
    if (!as || !as->slots || !as->hist) {
        ts_as_free(as);
        ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory");
        return NULL;
    }
    as->rt = rt;
    as->ctl = ctl;
    as->reg = reg;
    as->m = *m;
    if (!as->m.ctx)
        as->m.ctx = as;
    as->d = *d;
    as->d.nodes = NULL;
    as->name = d->name ? d->name : "";
    as->kind = d->kind ? d->kind : "service";
    as->n_slots = n;
    for (int i = 0; i < n; i++)
        as->slots[i] = (slot){as->m.endpoint(as->m.ctx, i), d->nodes ? d->nodes[i] : -1,
                              SLOT_STOPPED, 0};
    return as;
}

ts_as *ts_as_new(const ts_runtime *rt, ts_ctl *ctl, ts_svc_registry *reg,
                 const ts_as_desc *d, ts_error *err)
{
    if (!reg || !d) {
        ts_error_set(err, TS_EINVAL, NULL, 0, "autoscaler: needs a registry and policy");
        return NULL;
    }
    ts_as_members m = {(int)ts_svc_registry_replicas(reg, d->service), reg_endpoint, reg_area,
                       reg_enrol, NULL};
    return build(rt, ctl, reg, &m, d, err);
}

ts_as *ts_as_new_members(const ts_runtime *rt, ts_ctl *ctl, const ts_as_members *m,
                         const ts_as_desc *d, ts_error *err)
{
    if (m && (!m->endpoint || !m->load_area || !m->set_enrolled || !m->ctx)) {
        ts_error_set(err, TS_EINVAL, NULL, 0, "autoscaler: members need all their functions");
        return NULL;
    }
    return build(rt, ctl, NULL, m, d, err);
}

int ts_as_start(ts_as *as)
{
    if (!as)
        return TS_EINVAL;
    char detail[160];
    snprintf(detail, sizeof detail,
             "%s %s: %d..%d replicas, target %.3f %s each, tolerance %.2f, "
             "windows up %.1f s down %.1f s, cold start %.1f s",
             as->kind, as->name, as->d.min_replicas, as->d.max_replicas, as->d.target,
             as->reg ? "in flight" : "queued", as->d.tolerance, (double)as->d.up_window_ns * 1e-9,
             (double)as->d.down_window_ns * 1e-9, (double)as->d.cold_start_ns * 1e-9);
    note(as, "autoscale", 0, as->d.price_per_hour, detail);
    int rc = TS_OK;
    for (int i = 0; i < as->n_slots; i++) {
        if (i < as->d.min_replicas) {
            as->slots[i].state = SLOT_STARTING;
            note(as, "replica_start", i, ts_as_billed(as), "running from the start");
            serve(as, i, "running from the start");
        } else {
            enrol(as, i, 0);
            if (ts_ctl_set_role(as->ctl, as->slots[i].endpoint, TS_RT_STOPPED, 0) < 0 &&
                rc == TS_OK)
                rc = TS_EINVAL;
        }
    }
    as->last_ns = ts_rt_now(as->rt);
    as->area_at_last = as->m.load_area(as->m.ctx);
    if (rc == TS_OK)
        rc = ts_rt_timer_start(as->rt, as->d.period_ns, on_tick, as, 0, &as->tick);
    return rc;
}

void ts_as_free(ts_as *as)
{
    if (!as)
        return;
    if (as->rt) {
        ts_rt_timer_cancel(as->rt, as->tick);
        for (int i = 0; as->slots && i < as->n_slots; i++)
            ts_rt_timer_cancel(as->rt, as->slots[i].timer);
    }
    ts_free(as->slots);
    ts_free(as->hist);
    ts_free(as);
}
