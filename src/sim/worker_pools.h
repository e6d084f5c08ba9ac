/*
 * Private to src/sim/: worker pools, the replicas of a message-triggered
 * component sized by an autoscaler on their queue (<autoscale
 * metric="queue">). The pool owns which replicas take new samples (its
 * membership) and the integral of its queued samples over time; the
 * autoscaler (deploy_autoscale.h) decides and sets every replica's run
 * state through the runtime's component-state controller, the one owner
 * of run state.
 */
#ifndef TOPOSIM_SIM_WORKER_POOLS_H
#define TOPOSIM_SIM_WORKER_POOLS_H

#include <stdint.h>

#include "sim/bus.h"
#include "sim/runtime_sim.h"

typedef struct ts__worker_pools ts__worker_pools;

/* Builds and starts one pool and autoscaler per scenario worker pool
 * (*out stays NULL when there is none). Free with
 * ts__worker_pools_free, before the runtime, also after a failed start. */
int ts__worker_pools_start(const ts__shared *sh, ts__rts *rts, ts__worker_pools **out,
                           ts_error *err);
void ts__worker_pools_free(ts__worker_pools *p);

/* The workload's route hook (workload.h): the replica that takes sample
 * seq of topic when subscriber is in a pool (round robin over the
 * serving replicas in slot order, one pick per sample), -1 when it is in
 * none, -2 when no replica serves. O(replicas) at worst; allocates
 * nothing. p may be NULL. */
int ts__worker_pools_route(ts__worker_pools *p, int topic, uint64_t seq, int subscriber);

/* The workload's queued hook: component's queue changed by delta now. */
void ts__worker_pools_queued(ts__worker_pools *p, int component, int delta);

#endif
