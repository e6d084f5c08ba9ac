/*
 * Node dynamics: power, energy, temperature and battery of every node, on
 * the engine. Three layers: a pure RC thermal model integrated in closed
 * form (ts_thermal_*), a pure power model with nvpmodel-style power modes
 * (ts_power_*), and ts_dynamics, which keeps each node's state between the
 * inputs pushed into it (load, ambient, mode, up/down), integrates energy
 * and temperatures exactly (power is constant between two inputs), and
 * keeps one pending engine event per node for the next threshold crossing
 * (throttle, release, fan, shutdown) and one per battery (low charge). It
 * never calls the compute model: it acts on it through the callbacks in its
 * config and reports state changes as ts_platform_event records.
 */
#ifndef TOPOSIM_DYNAMICS_H
#define TOPOSIM_DYNAMICS_H

#include <stddef.h>

#include <gsl/gsl_roots.h>

#include "toposim/error.h"
#include "toposim/event.h"
#include "toposim/sim.h"

/* ---- Thermal: die -> case -> ambient RC network ---- */

/* Same fields and meaning as ts_scenario_thermal. A threshold of 0 turns
 * its mechanism off: throttle_c 0 no throttling, shutdown_c 0 no shutdown;
 * r_case_ambient_fan 0 means no fan. */
typedef struct ts_thermal_desc {
    double r_die_case;          /* K/W, > 0 (>= 0 for a single RC) */
    double r_case_ambient;      /* K/W, > 0, fan off */
    double r_case_ambient_fan;  /* K/W with the fan on; 0: no fan */
    double c_die;               /* J/K, > 0 */
    double c_case;              /* J/K; 0: single RC die -> ambient through
                                   r_die_case + r_case_ambient */
    double throttle_c;          /* die temperature that engages throttling */
    double release_c;           /* ... and that releases it (< throttle_c) */
    double throttle_scale;      /* clock multiplier while throttled, (0,1] */
    double fan_on_c, fan_off_c; /* fan hysteresis, fan_off_c < fan_on_c */
    double shutdown_c;          /* the node stops at this die temperature */
} ts_thermal_desc;

/* Die and case temperatures in Celsius. With a single RC (c_case 0) the
 * case temperature is the point between the two resistances. */
typedef struct ts_thermal_state {
    double die_c;
    double case_c;
} ts_thermal_state;

/* TS_OK when d is physically meaningful (positive R and C, release below
 * throttle, fan_off below fan_on, scale in (0,1]); otherwise TS_EINVAL
 * with the reason in err. */
int ts_thermal_check(const ts_thermal_desc *d, ts_error *err);

/* The equilibrium temperatures under constant power and ambient. */
void ts_thermal_steady(const ts_thermal_desc *d, int fan_on, double power_w,
                       double ambient_c, ts_thermal_state *out);

/* Advances *s by dt_s seconds of constant power and ambient, exactly (the
 * closed form of the linear system, no step size). */
void ts_thermal_advance(const ts_thermal_desc *d, int fan_on,
                        ts_thermal_state *s, double power_w, double ambient_c,
                        double dt_s);

/* Earliest t in [0, horizon_s] at which the die temperature, starting at
 * *s under constant power and ambient, equals target_c (crossing up or
 * down; 0 when it already does), to within 0.1 ns and never before the
 * crossing; -1 when it does not within the horizon (horizon_s may be
 * INFINITY). solver is a gsl_root_fsolver to reuse (borrowed), or NULL to
 * allocate one for the call. */
double ts_thermal_time_to(const ts_thermal_desc *d, int fan_on,
                          const ts_thermal_state *s, double power_w,
                          double ambient_c, double target_c, double horizon_s,
                          gsl_root_fsolver *solver);

/* An upper bound on |dTd/dt| from *s on under constant power and ambient,
 * so that the die cannot move delta degrees sooner than delta / bound: a
 * cheap lower bound on a crossing time (0 at equilibrium). */
double ts_thermal_max_rate(const ts_thermal_desc *d, int fan_on,
                           const ts_thermal_state *s, double power_w,
                           double ambient_c);

/* ---- Power: idle + busy cores and GPUs, scaled by clock ---- */

/* An nvpmodel-style mode: caps online cores and clocks. The budget is the
 * mode's label (what nvpmodel calls it), not a limit anything enforces;
 * the module's over-current protection is: above oc_limit_w of input
 * power it throttles the clocks (see ts_dynamics). */
typedef struct ts_power_mode {
    const char *name;
    int online_cores;           /* 0: all cores */
    double cpu_max_hz;          /* 0: the reference CPU clock */
    double gpu_max_hz;          /* 0: the reference GPU clock */
    double budget_w;            /* the mode's power budget; 0: none */
    double oc_limit_w;          /* over-current throttle above this input
                                   power; 0: no over-current protection */
    double oc_release_w;        /* ... released at or below this, in
                                   (0, oc_limit_w]; 0: oc_limit_w */
} ts_power_mode;

/* Same fields and meaning as ts_scenario_power (modes borrowed here, copied
 * by ts_dynamics_new). */
typedef struct ts_power_desc {
    double idle_w;
    double core_dyn_w;          /* one busy core at the reference clock */
    double gpu_dyn_w;           /* one busy GPU at the reference clock */
    double cpu_ref_hz;          /* clock at which exec times are given */
    double gpu_ref_hz;
    double dyn_exponent;        /* <= 0 means the default, 3 */
    const ts_power_mode *modes;
    size_t n_modes;
    int initial_mode;           /* index into modes; -1 (or < 0): the first */
    double oc_scale;            /* clock multiplier while over-current
                                   throttled, (0,1]; 0: TS_POWER_OC_SCALE */
} ts_power_desc;

/* The clock multiplier of an over-current throttle when the model gives
 * none. Assumption (no published figure for the Orin modules): half the
 * clocks, as deep a cut as the 60% thermal step or deeper, since the
 * protection must bring the input below its limit at once. */
#define TS_POWER_OC_SCALE 0.5

/* What a mode allows a node with `cores` cores. */
typedef struct ts_power_caps {
    int online_cores;           /* in [1, cores] (0 when cores is 0) */
    double cpu_scale;           /* max CPU clock / reference clock */
    double gpu_scale;           /* max GPU clock / reference clock */
    double budget_w;            /* 0: none */
    double oc_limit_w;          /* 0: no over-current protection */
    double oc_release_w;        /* oc_limit_w when the mode gives none */
    double oc_scale;            /* clock multiplier while OC throttled */
} ts_power_caps;

/* TS_OK when d is meaningful for a node of `cores` cores (non-negative
 * powers, references present where modes cap clocks, modes in range);
 * otherwise TS_EINVAL with the reason in err. */
int ts_power_check(const ts_power_desc *d, int cores, ts_error *err);

/* idle + busy_cores * core_dyn * cpu_scale^e + busy_gpus * gpu_dyn *
 * gpu_scale^e, with e the exponent; busy counts may be fractional. */
double ts_power_watts(const ts_power_desc *d, double busy_cores,
                      double busy_gpus, double cpu_scale, double gpu_scale);

/* A dynamic power given at the reference GPU clock, at gpu_scale:
 * watts * gpu_scale^e (a kernel with its own power, as gpu_dyn scales). */
double ts_power_gpu_scaled(const ts_power_desc *d, double watts, double gpu_scale);

/* The caps of mode `mode` (no cap: all cores, scale 1, when the index is
 * out of range or there are no modes). */
void ts_power_mode_caps(const ts_power_desc *d, int mode, int cores,
                        ts_power_caps *out);

/* ---- Dynamics of all nodes on the engine ---- */

/* One node. A node with neither model (a switch) draws nothing. */
typedef struct ts_dyn_node_desc {
    int cores;                  /* CPU cores (for mode caps) */
    int gpus;
    int has_power;
    ts_power_desc power;
    int has_thermal;            /* needs a power model to heat up */
    ts_thermal_desc thermal;
    int battery;                /* index into the config's batteries, -1 */
} ts_dyn_node_desc;

/* A robot's battery, shared by the nodes that name it. */
typedef struct ts_battery_desc {
    const char *name;           /* the robot's id, for event details */
    double capacity_wh;         /* > 0 */
    double low_fraction;        /* "low_battery" once when the charge falls
                                   to capacity * low_fraction; 0: never */
} ts_battery_desc;

typedef struct ts_dynamics_config {
    const ts_dyn_node_desc *nodes;      /* copied */
    size_t n_nodes;
    const ts_battery_desc *batteries;   /* copied */
    size_t n_batteries;
    double ambient_c;                   /* initial ambient of every node;
                                           dies and cases start at it */
    void *ctx;                          /* given to every callback */
    /* Clocks relative to the reference clocks: mode cap x throttle (CPU
     * and GPU throttle alike); called at start and on every change. */
    void (*set_speed)(void *ctx, int node, double cpu_scale, double gpu_scale);
    /* Cores the current mode keeps online; at start and on every change. */
    void (*set_online_cores)(void *ctx, int node, int online);
    /* Only for a thermal shutdown (up 0); never for inputs given to
     * ts_dynamics_set_node_up. */
    void (*set_node_up)(void *ctx, int node, int up);
    /* Kinds and their value: "oc_throttle", "oc_release" (the input
     * power the node would draw unthrottled, W); "throttle",
     * "throttle_release", "fan_on",
     * "fan_off", "thermal_shutdown" (die temperature, C); "power_mode"
     * (the mode's budget, W; its name in the detail); "low_battery"
     * (charge left, Wh; node: the battery's first node); "ambient_change"
     * (the new ambient, C; node -1 for all). */
    ts_platform_event_fn on_event;
} ts_dynamics_config;

typedef struct ts_dynamics ts_dynamics;

/* Builds the dynamics of cfg->n_nodes nodes on engine (borrowed; must
 * outlive it), copying every description. Any callback may be NULL; they
 * run inside ts_dynamics_* calls and engine events, and may call the
 * ts_dynamics_set_* functions re-entrantly (the compute model reporting
 * its new load from set_speed). Caller frees *out with ts_dynamics_free,
 * before the engine. */
int ts_dynamics_new(ts_engine *engine, const ts_dynamics_config *cfg,
                    ts_dynamics **out, ts_error *err);

/* Frees everything and cancels its pending engine events; NULL is fine. */
void ts_dynamics_free(ts_dynamics *dyn);

/* Pushes every modelled node's initial online cores and speeds through the
 * callbacks and schedules the first crossings; call once before running. */
int ts_dynamics_start(ts_dynamics *dyn);

/* The inputs below bring the node's energy and temperatures up to now
 * under the old inputs, then apply the new one; each returns TS_OK, or
 * TS_EINVAL for a bad node index or value (nothing changed). */

/* The node now has busy_cores cores and busy_gpus GPUs busy (fractions
 * allowed; cores beyond the online ones draw nothing). */
int ts_dynamics_set_load(ts_dynamics *dyn, int node, double busy_cores,
                         double busy_gpus);

/* As ts_dynamics_set_load, and of the busy GPUs own_power_gpus run
 * kernels that draw own_power_w (summed, at the reference GPU clock,
 * scaled with it as gpu_dyn is) instead of gpu_dyn each: a model
 * variant's power (README "Model variants"). TS_EINVAL also when
 * own_power_gpus exceeds busy_gpus. */
int ts_dynamics_set_load_ex(ts_dynamics *dyn, int node, double busy_cores,
                            double busy_gpus, double own_power_gpus,
                            double own_power_w);

/* Ambient of one node, or of every node when node is -1; one
 * "ambient_change" event. */
int ts_dynamics_set_ambient(ts_dynamics *dyn, int node, double celsius);

/* Switches the node to power mode `mode`: pushes its core and clock caps
 * and reports "power_mode". TS_EINVAL for a node without that mode. */
int ts_dynamics_set_mode(ts_dynamics *dyn, int node, int mode);

/* A crash (up 0: no power, fan stops) or a restart (up 1: speeds pushed
 * again). A node in thermal shutdown stays down for the rest of the run:
 * restarting it returns TS_EINVAL and changes nothing. */
int ts_dynamics_set_node_up(ts_dynamics *dyn, int node, int up);

/* throttle_level bits: thermal (die at its trip point) and over-current
 * (input power over the mode's limit); both at once is 3. */
#define TS_THROTTLE_THERMAL 1
#define TS_THROTTLE_OC 2

/* A node's state now, for sampling. */
typedef struct ts_dyn_state {
    int up;                     /* 0 after a crash or thermal shutdown */
    int thermal_shutdown;       /* 1 once the node overheated */
    int online_cores;
    int throttle_level;         /* TS_THROTTLE_* bits: 0 none */
    int oc_throttled;           /* 1 while over-current throttled */
    double oc_limit_w;          /* the mode's over-current limit; 0: none */
    int fan_on;
    int mode;                   /* -1 without modes */
    const char *mode_name;      /* "" without modes; owned by dyn */
    double budget_w;            /* the mode's budget, 0 if none */
    double cpu_scale, gpu_scale;/* relative to the reference clocks */
    double cpu_hz, gpu_hz;      /* scale x reference */
    double die_c, case_c;       /* NaN without a thermal model */
    double ambient_c;
    double power_w;             /* drawn now */
    double energy_j;            /* since the start, exact up to now */
    double battery_wh;          /* left in its battery, -1 if none */
} ts_dyn_state;

/* Fills *out with the node's state at the engine's current time (pure:
 * integrates a copy). TS_EINVAL for a bad node index. */
int ts_dynamics_state(const ts_dynamics *dyn, int node, ts_dyn_state *out);

/* Energy drawn by the node since the start, exact up to now; 0 for a bad
 * index. */
double ts_dynamics_energy_j(const ts_dynamics *dyn, int node);

/* Charge left in battery b now (not clamped: negative once drained, where
 * the model does nothing more); -1 for a bad index. */
double ts_dynamics_battery_wh(const ts_dynamics *dyn, int battery);

#endif
