/*
 * Node dynamics on the engine: each node's power, energy, temperatures,
 * throttle, fan and power mode, and each robot's battery.
 *
 * Between two inputs (a load, ambient, mode or up/down change) a node's
 * power and ambient are constant, so energy is power x time and the
 * temperatures follow the closed form of src/platform/thermal.c: the state
 * is brought up to the current time only when something changes or an
 * event fires, never stepped. After every change the node keeps exactly one
 * pending engine event, at the earliest crossing of the thresholds that
 * apply in its state (shutdown; throttle when not throttled, release when
 * throttled; fan on when off, fan off when on). The die temperature is
 * continuous, so only the nearest threshold above and the nearest below
 * can be crossed first: at most two crossing times are computed, and none
 * while a bound on the die's rate of change shows both are at least
 * RECHECK_MIN_S away (the event is then a re-check at that bound, which
 * keeps the cost of a load change small and the crossings exact). A battery
 * keeps one pending event for its low-charge point, which its nodes' total
 * power, constant between changes, makes exact.
 *
 * Choices:
 * - Throttling is one step: both clocks times throttle_scale from the die
 *   reaching throttle_c until it cools to release_c.
 * - A thermal shutdown latches: the node stays down, drawing nothing, for
 *   the rest of the run (a real board needs a power cycle by hand).
 * - A node that is down (crash or shutdown) draws no power, its fan stops
 *   and no thermal events are raised for it; it keeps its throttle state,
 *   which is re-evaluated with its temperature when it restarts.
 * - Busy cores beyond the mode's online cores, and busy GPUs beyond the
 *   node's GPUs, draw nothing.
 * - A drained battery only reports "low_battery" (once); the model does
 *   not stop the robot.
 * - When several transitions happen at one instant they are applied in the
 *   fixed order shutdown, throttle, fan, over-current, so runs are
 *   reproducible.
 * - Over-current (OC) protection, as the Jetson modules' (NVIDIA Jetson
 *   Linux Developer Guide, "Platform Power and Performance: Jetson Orin
 *   Nano Series, Jetson Orin NX Series and Jetson AGX Orin Series", power
 *   monitoring and over-current throttling): a mode's budget is only its
 *   label; what holds the input power down is a hardware alert that cuts
 *   the clocks when the module's input power exceeds a limit. Modelled
 *   on the node's "demand", the power it would draw at its mode's caps
 *   (and thermal step) without the OC cut: above oc_limit_w the clocks
 *   are multiplied by oc_scale ("oc_throttle"); at or below oc_release_w
 *   they are restored ("oc_release"). Judging the demand rather than the
 *   throttled draw is what makes the release meaningful: the cut draw is
 *   below the limit by construction, and releasing on it would re-trip at
 *   once. Assumption: the alert acts at the instant of the change (the
 *   hardware reacts in microseconds, below any job's time scale) with one
 *   step of clock cut, not a control loop.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_roots.h>

#include "toposim/alloc.h"
#include "toposim/dynamics.h"

/* Below this lower bound on the next crossing (seconds) its exact time is
 * computed; above it the node is only re-checked at the bound. */
#define RECHECK_MIN_S 0.5

enum {
    PK_NONE = 0,            /* a re-check: nothing crossed yet */
    PK_SHUTDOWN,
    PK_THROTTLE,
    PK_RELEASE,
    PK_FAN_ON,
    PK_FAN_OFF
};

typedef struct dnode {
    ts_dyn_node_desc d;         /* d.power.modes points at `modes` */
    int index;                  /* the node's index in the config */
    ts_power_mode *modes;       /* owned copy, names owned */
    int mode;                   /* -1 without modes */
    int up, shutdown, throttled, fan;
    int oc;                     /* over-current throttled */
    double busy_cores, busy_gpus;
    double own_gpus, own_w;     /* of busy_gpus, those running kernels with
                                   their own power, and its sum at the
                                   reference GPU clock */
    double ambient_c;
    ts_thermal_state th;        /* at t_last */
    double power_w;             /* constant since t_last */
    double energy_j;            /* up to t_last */
    ts_time t_last;
    int pushed;                 /* outputs below were given to callbacks */
    int pushed_cores;
    double pushed_cpu, pushed_gpu;
    int pending;                /* a threshold event is scheduled */
    int pending_kind;
    ts_event_handle handle;
    int in_update, dirty;       /* re-entrancy from callbacks */
} dnode;

typedef struct dbattery {
    char *name;
    double cap_j, low_j;        /* low_j 0: no low-charge event */
    double used_j;              /* up to t_last */
    double p_total;             /* its nodes' power since t_last */
    ts_time t_last;
    int low_fired;
    int pending;
    ts_event_handle handle;
    size_t first, count;        /* its nodes in ts_dynamics.bnodes */
} dbattery;

/* A node with neither a power nor a thermal model (a switch, or a computer
 * described by its cores alone) draws nothing, so nothing in it ever
 * changes but its up state and ambient: it keeps only those, and a fleet
 * of such nodes does not pay for a full dnode each. */
typedef struct plain_node {
    double ambient_c;
    int cores;
    int battery;
    int up;
} plain_node;

struct ts_dynamics {
    ts_engine *engine;
    ts_dynamics_config cfg;     /* callbacks and ctx; arrays not kept */
    size_t n_nodes;
    int *slot;                  /* per node: its dnode (>= 0) or plain
                                   node (-1 - index) */
    dnode *nodes;               /* the nodes with a model */
    size_t n_modelled;
    plain_node *plain;
    size_t n_plain;
    dbattery *bats;
    size_t n_bats;
    int *bnodes;                /* node indices grouped by battery */
    gsl_root_fsolver *solver;   /* reused for every crossing time */
};

/* ---- helpers ---- */

static void emit(ts_dynamics *dyn, ts_event_kind kind, int node, double value,
                 const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static void emit(ts_dynamics *dyn, ts_event_kind kind, int node, double value,
                 const char *fmt, ...)
{
    if (!dyn->cfg.on_event)
        return;
    ts_platform_event ev;
    ev.time = ts_engine_now(dyn->engine);
    ev.kind = kind;
    ev.kind_name = NULL;
    ev.node = node;
    ev.link = -1;
    ev.component = -1;
    ev.value = value;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev.detail, sizeof ev.detail, fmt, ap);
    va_end(ap);
    dyn->cfg.on_event(dyn->cfg.ctx, &ev);
}

static int node_index(const ts_dynamics *dyn, const dnode *n)
{
    (void)dyn;
    return n->index;
}

static int modelled(const ts_dyn_node_desc *d)
{
    return d->has_power || d->has_thermal;
}

/* Power drawn by node i since its last change (a plain node: none). */
static double node_power_w(const ts_dynamics *dyn, int i)
{
    int k = dyn->slot[i];
    return k >= 0 ? dyn->nodes[k].power_w : 0;
}

static int has_fan(const dnode *n)
{
    return n->d.has_thermal && n->d.thermal.r_case_ambient_fan > 0;
}

/* Clocks under the mode's caps, the thermal step and, when `with_oc`, the
 * over-current cut. */
static void node_speed_oc(const dnode *n, int with_oc, ts_power_caps *caps,
                          double *cpu, double *gpu)
{
    ts_power_mode_caps(&n->d.power, n->mode, n->d.cores, caps);
    double f = n->throttled ? n->d.thermal.throttle_scale : 1.0;
    if (with_oc && n->oc)
        f *= caps->oc_scale;
    *cpu = caps->cpu_scale * f;
    *gpu = caps->gpu_scale * f;
}

static void node_speed(const dnode *n, ts_power_caps *caps, double *cpu,
                       double *gpu)
{
    node_speed_oc(n, 1, caps, cpu, gpu);
}

/* Power drawn now (with_oc 1) or that would be without the over-current
 * cut (with_oc 0: the demand the protection judges). */
static double node_power_oc(const dnode *n, int with_oc)
{
    if (!n->up || !n->d.has_power)
        return 0;
    ts_power_caps caps;
    double cpu, gpu;
    node_speed_oc(n, with_oc, &caps, &cpu, &gpu);
    double cores = n->busy_cores, gpus = n->busy_gpus;
    if (cores > caps.online_cores)
        cores = caps.online_cores;
    if (gpus > n->d.gpus)
        gpus = n->d.gpus;
    /* a kernel with its own power (a model variant) draws that in place
     * of gpu_dyn, scaled with the GPU clock as gpu_dyn is */
    double own = n->own_gpus < gpus ? n->own_gpus : gpus;
    return ts_power_watts(&n->d.power, cores, gpus - own, cpu, gpu) +
           (own > 0 ? ts_power_gpu_scaled(&n->d.power, n->own_w, gpu) : 0);
}

static double node_power(const dnode *n) { return node_power_oc(n, 1); }

static double seconds(ts_time dt) { return (double)dt * 1e-9; }

/* Brings energy and temperatures from t_last to now (power constant). */
static void node_integrate(dnode *n, ts_time now)
{
    if (now <= n->t_last)
        return;
    double dt = seconds(now - n->t_last);
    n->energy_j += n->power_w * dt;
    if (n->d.has_thermal)
        ts_thermal_advance(&n->d.thermal, n->fan, &n->th, n->power_w,
                           n->ambient_c, dt);
    n->t_last = now;
}

static void battery_integrate(dbattery *b, ts_time now)
{
    if (now <= b->t_last)
        return;
    b->used_j += b->p_total * seconds(now - b->t_last);
    b->t_last = now;
}

/* now + t seconds rounded up to the next nanosecond, or -1 past the end of
 * representable time. */
static ts_time time_after(ts_time now, double t)
{
    double ns = ceil(t * 1e9);
    if (!(ns >= 0) || ns >= (double)(TS_TIME_MAX - now) - 1e6)
        return -1;
    return now + (ts_time)ns;
}

/* ---- batteries ---- */

static void on_battery_event(ts_engine *engine, void *ctx, uint64_t arg);

static void battery_update(ts_dynamics *dyn, dbattery *b, int forced)
{
    ts_time now = ts_engine_now(dyn->engine);
    battery_integrate(b, now);
    double p = 0;
    /* Summed afresh in a fixed order: no drift from running updates. */
    for (size_t i = 0; i < b->count; i++)
        p += node_power_w(dyn, dyn->bnodes[b->first + i]);
    b->p_total = p;
    double left = b->cap_j - b->used_j;
    int node = b->count > 0 ? dyn->bnodes[b->first] : -1;
    if (!b->low_fired && b->low_j > 0 && (forced || left <= b->low_j)) {
        b->low_fired = 1;
        emit(dyn, TS_EV_LOW_BATTERY, node, left / 3600.0,
             "battery of %s at %.1f Wh of %.1f Wh", b->name ? b->name : "?",
             left / 3600.0, b->cap_j / 3600.0);
    }
    if (b->pending) {
        ts_engine_cancel(dyn->engine, b->handle);
        b->pending = 0;
    }
    if (b->low_fired || !(b->low_j > 0) || !(b->p_total > 0))
        return;
    ts_time at = time_after(now, (left - b->low_j) / b->p_total);
    if (at >= 0 && ts_engine_schedule(dyn->engine, at, on_battery_event, dyn,
                                      (uint64_t)(b - dyn->bats),
                                      &b->handle) == TS_OK)
        b->pending = 1;
}

static void on_battery_event(ts_engine *engine, void *ctx, uint64_t arg)
{
    (void)engine;
    ts_dynamics *dyn = ctx;
    dbattery *b = &dyn->bats[arg];
    b->pending = 0;
    battery_update(dyn, b, 1);
}

/* ---- nodes ---- */

static void on_node_event(ts_engine *engine, void *ctx, uint64_t arg);

static void set_fan(ts_dynamics *dyn, dnode *n, int on)
{
    n->fan = on;
    emit(dyn, on ? TS_EV_FAN_ON : TS_EV_FAN_OFF, node_index(dyn, n), n->th.die_c,
         "fan %s at a die temperature of %.2f C", on ? "on" : "off",
         n->th.die_c);
}

/* Applies the threshold transitions the die temperature calls for (and
 * `forced`, the one whose crossing event fired: at the rounded-up
 * nanosecond the temperature is past it, up to rounding). */
static void transitions(ts_dynamics *dyn, dnode *n, int forced)
{
    if (!n->up || !n->d.has_thermal)
        return;
    const ts_thermal_desc *t = &n->d.thermal;
    int idx = node_index(dyn, n);
    double td = n->th.die_c;
    if (t->shutdown_c != 0 && (forced == PK_SHUTDOWN || td >= t->shutdown_c)) {
        n->up = 0;
        n->shutdown = 1;
        emit(dyn, TS_EV_THERMAL_SHUTDOWN, idx, td,
             "die at %.2f C reached the shutdown temperature %.2f C", td,
             t->shutdown_c);
        if (n->fan)
            set_fan(dyn, n, 0);
        if (dyn->cfg.set_node_up)
            dyn->cfg.set_node_up(dyn->cfg.ctx, idx, 0);
        return;
    }
    if (t->throttle_c != 0) {
        if (!n->throttled && (forced == PK_THROTTLE || td >= t->throttle_c)) {
            n->throttled = 1;
            emit(dyn, TS_EV_THROTTLE, idx, td,
                 "die at %.2f C: clocks x%.3g until it cools to %.2f C", td,
                 t->throttle_scale, t->release_c);
        } else if (n->throttled &&
                   (forced == PK_RELEASE || td <= t->release_c)) {
            n->throttled = 0;
            emit(dyn, TS_EV_THROTTLE_RELEASE, idx, td,
                 "die cooled to %.2f C: full clocks again", td);
        }
    }
    if (has_fan(n)) {
        if (!n->fan && (forced == PK_FAN_ON || td >= t->fan_on_c))
            set_fan(dyn, n, 1);
        else if (n->fan && (forced == PK_FAN_OFF || td <= t->fan_off_c))
            set_fan(dyn, n, 0);
    }
}

/* Gives the callbacks the node's online cores and clocks when they changed
 * (the pushed copy is updated first: a callback may re-enter). */
static void push_outputs(ts_dynamics *dyn, dnode *n)
{
    if (!n->up || !(n->d.has_power || n->d.has_thermal))
        return;
    ts_power_caps caps;
    double cpu, gpu;
    node_speed(n, &caps, &cpu, &gpu);
    int first = !n->pushed;
    int idx = node_index(dyn, n);
    n->pushed = 1;
    if (first || caps.online_cores != n->pushed_cores) {
        n->pushed_cores = caps.online_cores;
        if (dyn->cfg.set_online_cores)
            dyn->cfg.set_online_cores(dyn->cfg.ctx, idx, caps.online_cores);
    }
    if (first || cpu != n->pushed_cpu || gpu != n->pushed_gpu) {
        n->pushed_cpu = cpu;
        n->pushed_gpu = gpu;
        if (dyn->cfg.set_speed)
            dyn->cfg.set_speed(dyn->cfg.ctx, idx, cpu, gpu);
    }
}

/* The over-current protection: throttles when the demand exceeds the
 * mode's limit, releases when it is at or below the release point (or the
 * mode has no limit). A node that is down is left as it is, like the
 * thermal state, and judged again when it restarts. */
static void oc_transitions(ts_dynamics *dyn, dnode *n)
{
    if (!n->up || !n->d.has_power)
        return;
    ts_power_caps caps;
    ts_power_mode_caps(&n->d.power, n->mode, n->d.cores, &caps);
    if (!n->oc && !(caps.oc_limit_w > 0))
        return;
    double demand = node_power_oc(n, 0);
    int idx = node_index(dyn, n);
    if (!n->oc && demand > caps.oc_limit_w) {
        n->oc = 1;
        emit(dyn, TS_EV_OC_THROTTLE, idx, demand,
             "input %.3f W over the over-current limit %.3f W: clocks x%.3g "
             "until it is at most %.3f W", demand, caps.oc_limit_w,
             caps.oc_scale, caps.oc_release_w);
    } else if (n->oc && (!(caps.oc_limit_w > 0) ||
                         demand <= caps.oc_release_w)) {
        n->oc = 0;
        emit(dyn, TS_EV_OC_RELEASE, idx, demand,
             "input %.3f W at most the release point %.3f W: full clocks "
             "again", demand, caps.oc_release_w);
    }
}

/* Considers threshold `c` of kind k as the next crossing. */
static void consider(double c, int k, double td, double *up, int *up_k,
                     double *down, int *down_k)
{
    if (c > td && c < *up) {
        *up = c;
        *up_k = k;
    } else if (c < td && c > *down) {
        *down = c;
        *down_k = k;
    }
}

/* Replaces the node's pending event by one at its next crossing. */
static void node_schedule(ts_dynamics *dyn, dnode *n)
{
    if (n->pending) {
        ts_engine_cancel(dyn->engine, n->handle);
        n->pending = 0;
    }
    if (!n->up || !n->d.has_thermal)
        return;
    const ts_thermal_desc *t = &n->d.thermal;
    double td = n->th.die_c;
    double up = INFINITY, down = -INFINITY;
    int up_k = PK_NONE, down_k = PK_NONE;
    /* Listed in priority order: on equal thresholds the first one wins. */
    if (t->shutdown_c != 0)
        consider(t->shutdown_c, PK_SHUTDOWN, td, &up, &up_k, &down, &down_k);
    if (t->throttle_c != 0)
        consider(n->throttled ? t->release_c : t->throttle_c,
                 n->throttled ? PK_RELEASE : PK_THROTTLE, td, &up, &up_k,
                 &down, &down_k);
    if (has_fan(n))
        consider(n->fan ? t->fan_off_c : t->fan_on_c,
                 n->fan ? PK_FAN_OFF : PK_FAN_ON, td, &up, &up_k, &down,
                 &down_k);
    if (up_k == PK_NONE && down_k == PK_NONE)
        return;
    ts_time now = ts_engine_now(dyn->engine);
    /* Two nodes, far from both thresholds: a lower bound on the crossing
     * time is enough, a plain re-check then, no root finding on every load
     * change (the usual case). A single RC inverts in closed form. */
    double rate = t->c_case > 0 ? ts_thermal_max_rate(t, n->fan, &n->th,
                                                      n->power_w, n->ambient_c)
                                : INFINITY;
    if (!(rate > 0))
        return; /* at equilibrium: nothing will ever be crossed */
    double gap = fmin(up - td, td - down);
    if (gap / rate >= RECHECK_MIN_S) {
        double ns = floor(gap / rate * 1e9);
        if (ns < (double)(TS_TIME_MAX - now) - 1e6 &&
            ts_engine_schedule(dyn->engine, now + (ts_time)ns, on_node_event,
                               dyn, (uint64_t)(n - dyn->nodes),
                               &n->handle) == TS_OK) {
            n->pending = 1;
            n->pending_kind = PK_NONE;
        }
        return;
    }
    double best = -1;
    int kind = PK_NONE;
    if (up_k != PK_NONE) {
        best = ts_thermal_time_to(t, n->fan, &n->th, n->power_w, n->ambient_c,
                                  up, INFINITY, dyn->solver);
        if (best >= 0)
            kind = up_k;
    }
    if (down_k != PK_NONE) {
        double tdn = ts_thermal_time_to(t, n->fan, &n->th, n->power_w,
                                        n->ambient_c, down,
                                        best >= 0 ? best : INFINITY,
                                        dyn->solver);
        if (tdn >= 0 && (best < 0 || tdn < best)) {
            best = tdn;
            kind = down_k;
        }
    }
    if (kind == PK_NONE)
        return;
    ts_time at = time_after(now, best);
    if (at >= 0 && ts_engine_schedule(dyn->engine, at, on_node_event, dyn,
                                      (uint64_t)(n - dyn->nodes),
                                      &n->handle) == TS_OK) {
        n->pending = 1;
        n->pending_kind = kind;
    }
}

/* After any change at now (state already integrated to now): transitions,
 * outputs, power, the next crossing and the battery. A call made from a
 * callback while the node is being updated only marks it dirty, and the
 * outer call loops until nothing changes. */
static void node_update(ts_dynamics *dyn, dnode *n, int forced)
{
    if (n->in_update) {
        n->dirty = 1;
        return;
    }
    n->in_update = 1;
    dbattery *b = n->d.battery >= 0 ? &dyn->bats[n->d.battery] : NULL;
    int power_changed = 0;
    do {
        n->dirty = 0;
        transitions(dyn, n, forced);
        forced = PK_NONE;
        oc_transitions(dyn, n);
        push_outputs(dyn, n);
        double p = node_power(n);
        if (p != n->power_w) {
            if (b)
                battery_integrate(b, ts_engine_now(dyn->engine));
            n->power_w = p;
            power_changed = 1;
        }
    } while (n->dirty);
    node_schedule(dyn, n);
    n->in_update = 0;
    if (b && power_changed)
        battery_update(dyn, b, 0);
}

static void on_node_event(ts_engine *engine, void *ctx, uint64_t arg)
{
    ts_dynamics *dyn = ctx;
    dnode *n = &dyn->nodes[arg];
    n->pending = 0;
    node_integrate(n, ts_engine_now(engine));
    node_update(dyn, n, n->pending_kind);
}

/* ---- life cycle ---- */

static int copy_modes(dnode *n, ts_error *err)
{
    size_t k = n->d.power.n_modes;
    if (!n->d.has_power || k == 0) {
        n->d.power.modes = NULL;
        n->d.power.n_modes = 0;
        n->mode = -1;
        return TS_OK;
    }
    n->modes = ts_calloc(k, sizeof *n->modes);
    if (!n->modes)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory");
    for (size_t i = 0; i < k; i++) {
        n->modes[i] = n->d.power.modes[i];
        n->modes[i].name = ts_strdup(n->d.power.modes[i].name
                                         ? n->d.power.modes[i].name
                                         : "");
        if (!n->modes[i].name) {
            n->d.power.modes = n->modes; /* so free sees what was copied */
            n->d.power.n_modes = i;
            return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory");
        }
    }
    n->d.power.modes = n->modes;
    n->mode = n->d.power.initial_mode >= 0 ? n->d.power.initial_mode : 0;
    return TS_OK;
}

int ts_dynamics_new(ts_engine *engine, const ts_dynamics_config *cfg,
                    ts_dynamics **out, ts_error *err)
{
    if (out)
        *out = NULL;
    if (!engine || !cfg || !out || (cfg->n_nodes > 0 && !cfg->nodes) ||
        (cfg->n_batteries > 0 && !cfg->batteries) || !isfinite(cfg->ambient_c))
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "dynamics: bad arguments");
    for (size_t i = 0; i < cfg->n_nodes; i++) {
        const ts_dyn_node_desc *d = &cfg->nodes[i];
        int rc;
        if (d->has_power && (rc = ts_power_check(&d->power, d->cores, err)))
            return rc;
        if (d->has_thermal && (rc = ts_thermal_check(&d->thermal, err)))
            return rc;
        if (d->battery < -1 || d->battery >= (int)cfg->n_batteries ||
            d->cores < 0 || d->gpus < 0)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "dynamics: node %zu has a bad battery index "
                                "or core count", i);
    }
    for (size_t i = 0; i < cfg->n_batteries; i++) {
        const ts_battery_desc *b = &cfg->batteries[i];
        if (!(b->capacity_wh > 0) || !isfinite(b->capacity_wh) ||
            !(b->low_fraction >= 0) || !(b->low_fraction < 1))
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "dynamics: battery %zu needs a capacity > 0 "
                                "and a low fraction in [0, 1)", i);
    }
    ts_dynamics *dyn = ts_calloc(1, sizeof *dyn);
    if (!dyn)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory");
    dyn->engine = engine;
    dyn->cfg = *cfg;
    dyn->cfg.nodes = NULL;
    dyn->cfg.batteries = NULL;
    dyn->n_nodes = cfg->n_nodes;
    dyn->n_bats = cfg->n_batteries;
    int rc = TS_ENOMEM;
    for (size_t i = 0; i < cfg->n_nodes; i++) {
        if (modelled(&cfg->nodes[i]))
            dyn->n_modelled++;
        else
            dyn->n_plain++;
    }
    dyn->slot = ts_calloc(cfg->n_nodes ? cfg->n_nodes : 1, sizeof *dyn->slot);
    dyn->plain = ts_calloc(dyn->n_plain ? dyn->n_plain : 1, sizeof *dyn->plain);
    dyn->nodes = ts_calloc(dyn->n_modelled ? dyn->n_modelled : 1, sizeof *dyn->nodes);
    dyn->bats = ts_calloc(cfg->n_batteries ? cfg->n_batteries : 1,
                          sizeof *dyn->bats);
    dyn->bnodes = ts_calloc(cfg->n_nodes ? cfg->n_nodes : 1,
                            sizeof *dyn->bnodes);
    dyn->solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!dyn->slot || !dyn->plain || !dyn->nodes || !dyn->bats || !dyn->bnodes ||
        !dyn->solver)
        goto fail;
    ts_time now = ts_engine_now(engine);
    size_t nm = 0, np = 0;
    for (size_t i = 0; i < dyn->n_nodes; i++) {
        const ts_dyn_node_desc *d = &cfg->nodes[i];
        if (!modelled(d)) {
            dyn->slot[i] = -1 - (int)np;
            dyn->plain[np++] = (plain_node){.ambient_c = cfg->ambient_c, .cores = d->cores,
                                            .battery = d->battery, .up = 1};
            continue;
        }
        dyn->slot[i] = (int)nm;
        dnode *n = &dyn->nodes[nm++];
        n->index = (int)i;
        n->d = *d;
        if (!n->d.has_power)
            memset(&n->d.power, 0, sizeof n->d.power);
        if ((rc = copy_modes(n, err)) != TS_OK)
            goto fail;
        n->up = 1;
        n->ambient_c = cfg->ambient_c;
        n->th.die_c = n->th.case_c = cfg->ambient_c;
        n->t_last = now;
    }
    /* Nodes grouped by battery, each group in node order (the order of
     * the power sum, so runs are reproducible). */
    size_t k = 0;
    for (size_t b = 0; b < dyn->n_bats; b++) {
        dbattery *bt = &dyn->bats[b];
        const ts_battery_desc *bd = &cfg->batteries[b];
        bt->cap_j = bd->capacity_wh * 3600.0;
        bt->low_j = bd->low_fraction * bt->cap_j;
        bt->t_last = now;
        if (bd->name && !(bt->name = ts_strdup(bd->name))) {
            rc = ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory");
            goto fail;
        }
        bt->first = k;
        for (size_t i = 0; i < dyn->n_nodes; i++)
            if (cfg->nodes[i].battery == (int)b)
                dyn->bnodes[k++] = (int)i;
        bt->count = k - bt->first;
    }
    *out = dyn;
    return TS_OK;
fail:
    if (rc == TS_ENOMEM)
        ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory");
    ts_dynamics_free(dyn);
    return rc;
}

void ts_dynamics_free(ts_dynamics *dyn)
{
    if (!dyn)
        return;
    for (size_t i = 0; dyn->nodes && i < dyn->n_modelled; i++) {
        dnode *n = &dyn->nodes[i];
        if (n->pending)
            ts_engine_cancel(dyn->engine, n->handle);
        if (n->modes) {
            for (size_t m = 0; m < n->d.power.n_modes; m++)
                ts_free((char *)n->modes[m].name);
            ts_free(n->modes);
        }
    }
    for (size_t b = 0; dyn->bats && b < dyn->n_bats; b++) {
        if (dyn->bats[b].pending)
            ts_engine_cancel(dyn->engine, dyn->bats[b].handle);
        ts_free(dyn->bats[b].name);
    }
    if (dyn->solver)
        gsl_root_fsolver_free(dyn->solver);
    ts_free(dyn->nodes);
    ts_free(dyn->slot);
    ts_free(dyn->plain);
    ts_free(dyn->bats);
    ts_free(dyn->bnodes);
    ts_free(dyn);
}

int ts_dynamics_start(ts_dynamics *dyn)
{
    if (!dyn)
        return TS_EINVAL;
    ts_time now = ts_engine_now(dyn->engine);
    for (size_t i = 0; i < dyn->n_modelled; i++) {
        dnode *n = &dyn->nodes[i];
        node_integrate(n, now);
        n->pushed = 0;
        node_update(dyn, n, PK_NONE);
    }
    for (size_t b = 0; b < dyn->n_bats; b++)
        battery_update(dyn, &dyn->bats[b], 0);
    return TS_OK;
}

/* ---- inputs ---- */

static int bad_node(const ts_dynamics *dyn, int node)
{
    return !dyn || node < 0 || (size_t)node >= dyn->n_nodes;
}

/* The node's dnode, or NULL for a bad index or a plain node (*plain set). */
static dnode *get_node(ts_dynamics *dyn, int node, plain_node **plain)
{
    *plain = NULL;
    if (bad_node(dyn, node))
        return NULL;
    int k = dyn->slot[node];
    if (k < 0) {
        *plain = &dyn->plain[-1 - k];
        return NULL;
    }
    return &dyn->nodes[k];
}

int ts_dynamics_set_load_ex(ts_dynamics *dyn, int node, double busy_cores,
                            double busy_gpus, double own_power_gpus,
                            double own_power_w)
{
    plain_node *pl;
    dnode *n = get_node(dyn, node, &pl);
    if ((!n && !pl) || !(busy_cores >= 0) || !(busy_gpus >= 0) ||
        !isfinite(busy_cores) || !isfinite(busy_gpus) ||
        !(own_power_gpus >= 0) || !isfinite(own_power_gpus) ||
        own_power_gpus > busy_gpus || !(own_power_w >= 0) || !isfinite(own_power_w))
        return TS_EINVAL;
    if (pl)
        return TS_OK; /* it draws nothing at any load */
    if (busy_cores == n->busy_cores && busy_gpus == n->busy_gpus &&
        own_power_gpus == n->own_gpus && own_power_w == n->own_w)
        return TS_OK;
    node_integrate(n, ts_engine_now(dyn->engine));
    n->busy_cores = busy_cores;
    n->busy_gpus = busy_gpus;
    n->own_gpus = own_power_gpus;
    n->own_w = own_power_w;
    node_update(dyn, n, PK_NONE);
    return TS_OK;
}

int ts_dynamics_set_load(ts_dynamics *dyn, int node, double busy_cores,
                         double busy_gpus)
{
    return ts_dynamics_set_load_ex(dyn, node, busy_cores, busy_gpus, 0, 0);
}

int ts_dynamics_set_ambient(ts_dynamics *dyn, int node, double celsius)
{
    if (!dyn || !isfinite(celsius) || node < -1 ||
        (node >= 0 && (size_t)node >= dyn->n_nodes))
        return TS_EINVAL;
    ts_time now = ts_engine_now(dyn->engine);
    emit(dyn, TS_EV_AMBIENT_CHANGE, node, celsius, "ambient now %.1f C%s", celsius,
         node < 0 ? " everywhere" : "");
    size_t lo = node < 0 ? 0 : (size_t)node;
    size_t hi = node < 0 ? dyn->n_nodes : (size_t)node + 1;
    for (size_t i = lo; i < hi; i++) {
        int k = dyn->slot[i];
        if (k < 0) {
            dyn->plain[-1 - k].ambient_c = celsius;
            continue;
        }
        dnode *n = &dyn->nodes[k];
        node_integrate(n, now);
        n->ambient_c = celsius;
        node_update(dyn, n, PK_NONE);
    }
    return TS_OK;
}

int ts_dynamics_set_mode(ts_dynamics *dyn, int node, int mode)
{
    plain_node *pl;
    dnode *n = get_node(dyn, node, &pl);
    if (!n || mode < 0 || (size_t)mode >= n->d.power.n_modes)
        return TS_EINVAL;
    node_integrate(n, ts_engine_now(dyn->engine));
    n->mode = mode;
    const ts_power_mode *m = &n->modes[mode];
    emit(dyn, TS_EV_POWER_MODE, node, m->budget_w, "power mode %s (%d cores, "
         "CPU %.0f MHz, GPU %.0f MHz, budget %.1f W)", m->name,
         m->online_cores ? m->online_cores : n->d.cores,
         (m->cpu_max_hz ? m->cpu_max_hz : n->d.power.cpu_ref_hz) / 1e6,
         (m->gpu_max_hz ? m->gpu_max_hz : n->d.power.gpu_ref_hz) / 1e6,
         m->budget_w);
    node_update(dyn, n, PK_NONE);
    return TS_OK;
}

int ts_dynamics_set_node_up(ts_dynamics *dyn, int node, int up)
{
    plain_node *pl;
    dnode *n = get_node(dyn, node, &pl);
    if (pl) {
        pl->up = up != 0;
        return TS_OK;
    }
    if (!n || (up && n->shutdown))
        return TS_EINVAL;
    up = up != 0;
    if (up == n->up)
        return TS_OK;
    node_integrate(n, ts_engine_now(dyn->engine));
    n->up = up;
    if (!up && n->fan)
        set_fan(dyn, n, 0);
    if (up)
        n->pushed = 0; /* the restarted node learns its clocks again */
    node_update(dyn, n, PK_NONE);
    return TS_OK;
}

/* ---- queries ---- */

/* What ts_dynamics_state says of a node without models: as a dnode
 * without power or thermal model would (no modes, full clocks, no
 * temperatures, nothing drawn). */
static int plain_state(const ts_dynamics *dyn, const plain_node *pl, ts_dyn_state *out)
{
    ts_power_desc none;
    memset(&none, 0, sizeof none);
    ts_power_caps caps;
    ts_power_mode_caps(&none, -1, pl->cores, &caps);
    memset(out, 0, sizeof *out);
    out->cpu_scale = caps.cpu_scale;
    out->gpu_scale = caps.gpu_scale;
    out->up = pl->up;
    out->online_cores = caps.online_cores;
    out->mode = -1;
    out->mode_name = "";
    out->budget_w = caps.budget_w;
    out->ambient_c = pl->ambient_c;
    out->die_c = out->case_c = NAN;
    out->battery_wh = pl->battery >= 0 ? ts_dynamics_battery_wh(dyn, pl->battery) : -1;
    return TS_OK;
}

int ts_dynamics_state(const ts_dynamics *dyn, int node, ts_dyn_state *out)
{
    if (bad_node(dyn, node) || !out)
        return TS_EINVAL;
    if (dyn->slot[node] < 0)
        return plain_state(dyn, &dyn->plain[-1 - dyn->slot[node]], out);
    const dnode *n = &dyn->nodes[dyn->slot[node]];
    double dt = seconds(ts_engine_now(dyn->engine) - n->t_last);
    ts_power_caps caps;
    memset(out, 0, sizeof *out);
    node_speed(n, &caps, &out->cpu_scale, &out->gpu_scale);
    out->up = n->up;
    out->thermal_shutdown = n->shutdown;
    out->online_cores = caps.online_cores;
    out->throttle_level = (n->throttled ? TS_THROTTLE_THERMAL : 0) |
                          (n->oc ? TS_THROTTLE_OC : 0);
    out->oc_throttled = n->oc;
    out->oc_limit_w = caps.oc_limit_w;
    out->fan_on = n->fan;
    out->mode = n->mode;
    out->mode_name = n->mode >= 0 ? n->modes[n->mode].name : "";
    out->budget_w = caps.budget_w;
    out->cpu_hz = out->cpu_scale * n->d.power.cpu_ref_hz;
    out->gpu_hz = out->gpu_scale * n->d.power.gpu_ref_hz;
    out->ambient_c = n->ambient_c;
    if (n->d.has_thermal) {
        ts_thermal_state th = n->th;
        ts_thermal_advance(&n->d.thermal, n->fan, &th, n->power_w,
                           n->ambient_c, dt);
        out->die_c = th.die_c;
        out->case_c = th.case_c;
    } else {
        out->die_c = out->case_c = NAN;
    }
    out->power_w = n->power_w;
    out->energy_j = n->energy_j + n->power_w * dt;
    out->battery_wh = n->d.battery >= 0
                          ? ts_dynamics_battery_wh(dyn, n->d.battery)
                          : -1;
    return TS_OK;
}

double ts_dynamics_energy_j(const ts_dynamics *dyn, int node)
{
    if (bad_node(dyn, node) || dyn->slot[node] < 0)
        return 0;
    const dnode *n = &dyn->nodes[dyn->slot[node]];
    return n->energy_j +
           n->power_w * seconds(ts_engine_now(dyn->engine) - n->t_last);
}

double ts_dynamics_battery_wh(const ts_dynamics *dyn, int battery)
{
    if (!dyn || battery < 0 || (size_t)battery >= dyn->n_bats)
        return -1;
    const dbattery *b = &dyn->bats[battery];
    double used = b->used_j +
                  b->p_total * seconds(ts_engine_now(dyn->engine) - b->t_last);
    return (b->cap_j - used) / 3600.0;
}
