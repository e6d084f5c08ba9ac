/*
 * The autoscaler: deployment code that sizes one replicated service from
 * what it measures through the service registry (deploy_service.h), the
 * requests in flight at its replicas, and applies its decisions through
 * the component-state controller (deploy_controller.h), the one owner of
 * every replica's run state, and the registry's membership (which
 * replicas the balancer may pick). It decides; the runtime starts and
 * stops the processes.
 *
 * The replicas are the service's declared components, in declaration
 * order: slots placed ahead of time, of which min_replicas serve from the
 * start and the rest stand stopped until a scale-out starts them (one
 * replica per node, so a billed replica is a billed node; assumption).
 *
 * The rule is the Kubernetes Horizontal Pod Autoscaler's
 * (kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/,
 * "Algorithm details"):
 *   desired = ceil(current * metric / target)
 * where metric is the mean per replica and target the desired value per
 * replica; no change while metric / target is within `tolerance` of 1
 * (the HPA's --horizontal-pod-autoscaler-tolerance, default 0.1); the
 * result clamped to [min_replicas, max_replicas].
 *   - current: the replicas asked for (serving and starting). The metric
 *     is the service's requests in flight (all replicas), averaged over
 *     time since the last decision (the registry's in-flight integral:
 *     exact, no sampling that could alias with periodic callers), divided
 *     by current: a starting replica counts as one with nothing in
 *     flight, as the HPA counts not-yet-ready pods at zero use when it
 *     scales up. So desired = ceil(in_flight / target) outside the
 *     tolerance band.
 *   - In flight per replica is Little's law's L = lambda * W: for a
 *     replica that is not saturated it is its utilisation plus the
 *     requests on the wire, so a target below 1 is a target utilisation
 *     and one above 1 a target queue length.
 * Stabilisation (the HPA's behavior.scaleUp/scaleDown
 * stabilizationWindowSeconds, KEP-853 "configurable scale velocity"):
 * every decision's raw recommendation is kept with its time; the replicas
 * become at least the least recommendation of the last up_window and at
 * most the greatest of the last down_window (recommendations strictly
 * newer than now - window, this decision's included): a zero window
 * follows the newest recommendation at once, a long down window holds the
 * count up until the load has stayed low for that long.
 *
 * Acting: a scale-out starts the lowest stopped slots; each serves (is
 * set ACTIVE and enrolled) cold_start_ns later. A scale-in first cancels
 * starting replicas (newest first), then takes the highest serving ones
 * out of the registry at once and stops them drain_ns later, so requests
 * in flight finish (Kubernetes removes a terminating pod from its
 * endpoints and waits for its grace period). A replica is billed from the
 * decision that starts it to its stop (cloud instances bill from launch).
 *
 * Records (ts_rt_note; component = a replica's endpoint or the first
 * slot, node as the replica's):
 *   "autoscale"        at start; value = price per node-hour; detail: the
 *                      policy
 *   "autoscale_eval"   every period; value = the service's mean requests
 *                      in flight over the period just past (all
 *                      replicas); detail: current, raw and final count
 *   "scale_out"        value = the replicas asked for after; detail: the
 *                      metric per replica, the target and why
 *   "scale_in"         as scale_out
 *   "replica_start"    a slot is launched (billed); value = billed count
 *   "replica_ready"    a slot serves after its cold start; value = the
 *                      serving count
 *   "replica_stopped"  a slot stops (cancelled or drained); value = the
 *                      billed count after
 * so the billed count over time, and with it the cost, and the serving
 * count are read from /events alone.
 *
 * Memory: the tables are sized at creation (the recommendation history
 * holds (max window / period) + 2 entries); a decision allocates nothing.
 */
#ifndef TOPOSIM_DEPLOY_AUTOSCALE_H
#define TOPOSIM_DEPLOY_AUTOSCALE_H

#include <stddef.h>
#include <stdint.h>

#include "toposim/deploy_controller.h"
#include "toposim/deploy_service.h"
#include "toposim/error.h"
#include "toposim/runtime.h"

/* Defaults (README, "Cloud pipelines and autoscaling"). */
#define TS_AS_DEFAULT_TOLERANCE 0.1  /* the HPA's default tolerance */

typedef struct ts_as_desc {
    const char *name;           /* the service's, for records; borrowed */
    const char *kind;           /* what name names in details ("service",
                                   "workers"); NULL: "service" */
    int service;                /* index in the registry */
    const int *nodes;           /* per replica slot: its node, or -1; copied */
    int min_replicas;           /* >= 1 */
    int max_replicas;           /* min..slots */
    double target;              /* in flight per replica, > 0 */
    double tolerance;           /* in [0, 1) */
    int64_t period_ns;          /* between decisions, > 0 */
    int64_t up_window_ns;       /* >= 0 */
    int64_t down_window_ns;     /* >= 0 */
    int64_t cold_start_ns;      /* >= 0 */
    int64_t drain_ns;           /* >= 0 */
    double price_per_hour;      /* per billed replica (node), >= 0 */
} ts_as_desc;

typedef struct ts_as ts_as;

/* What the autoscaler sizes when it is not a registry's service: a pool
 * of n_slots replica slots with its own membership (which slots receive
 * work) and its own load. load_area returns the integral over time of
 * the pool's load (all slots; unit x ns, nondecreasing): the metric per
 * replica is its mean over the period, divided by the replicas asked
 * for, as for a service's requests in flight. set_enrolled gives or
 * takes a slot's share of new work (TS_OK or an error code). */
typedef struct ts_as_members {
    int n_slots;
    int (*endpoint)(void *ctx, int slot);   /* the slot's component */
    double (*load_area)(void *ctx);
    int (*set_enrolled)(void *ctx, int slot, int on);
    void *ctx;
} ts_as_members;

/* An autoscaler for desc->service of reg, acting through ctl; all three
 * (and rt) borrowed and outliving it. Nothing runs until ts_as_start.
 * Free with ts_as_free. NULL with err set (TS_EINVAL naming the field,
 * TS_ENOMEM). */
ts_as *ts_as_new(const ts_runtime *rt, ts_ctl *ctl, ts_svc_registry *reg,
                 const ts_as_desc *desc, ts_error *err);

/* The same rule over a pool of slots that is no registry's service
 * (members copied; its ctx borrowed and outliving the autoscaler);
 * desc->service is not used. */
ts_as *ts_as_new_members(const ts_runtime *rt, ts_ctl *ctl, const ts_as_members *members,
                         const ts_as_desc *desc, ts_error *err);

/* Serves the first min_replicas slots at once (no cold start: they were
 * running before the run), stops and withdraws the rest, and decides every
 * period from now on. The first controller error, or 0. */
int ts_as_start(ts_as *as) TS_MUST_USE;

/* Cancels its timers and frees; NULL is fine. */
void ts_as_free(ts_as *as);

/* Replicas asked for (serving and starting), serving, and billed now. */
int ts_as_desired(const ts_as *as);
int ts_as_serving(const ts_as *as);
int ts_as_billed(const ts_as *as);

#endif
