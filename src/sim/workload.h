/*
 * Private to src/sim/: the workload. One compute task per component (task
 * ids equal component indices), each with its own random stream; a job
 * that finishes is a /jobs row and publishes its component's topics, each
 * sample sent to each subscriber over the network.
 */
#ifndef TOPOSIM_SIM_WORKLOAD_H
#define TOPOSIM_SIM_WORKLOAD_H

#include "sim/bus.h"
#include "sim/recorder.h"
#include "sim/runtime_sim.h"
#include "toposim/compute.h"
#include "toposim/network.h"
#include "toposim/trace.h"

typedef struct ts__workload ts__workload;

/* What the workload asks of the subsystems built after it (world.c wires
 * them): whether a topic's sample goes through the DDS layer instead
 * (returns 1 when it did), each finished job before it publishes, and
 * whether subscriber slot k of a topic is owed a sample now (NULL: always;
 * discovery.h's matching when the scenario declares it). */
typedef struct ts__workload_hooks {
    int (*qos_publish)(void *ctx, int topic);
    void (*job_seen)(void *ctx, const ts_job_record *job);
    int (*deliverable)(void *ctx, int topic, int k);
    void *ctx;
} ts__workload_hooks;

/* Adds every component's task to compute. end is the run's duration (a
 * job still unfinished at the end is a miss once its deadline falls
 * within it). Free with ts__workload_free, also after a failed start. */
int ts__workload_new(const ts__shared *sh, uint64_t seed, ts_time end, ts_trace_writer *trace,
                     ts_compute *compute, ts_network *net, ts__workload **out, ts_error *err);
void ts__workload_free(ts__workload *wl);

/* Connects what publishing needs, built after the tasks. */
void ts__workload_connect(ts__workload *wl, ts__rts *rts, ts__recorder *recorder,
                          const ts__workload_hooks *hooks);

/* A finished (or, at the end, unfinished) job from the compute model. */
void ts__workload_job(ts__workload *wl, const ts_job_record *job);

/* Adds the job counts to stats. */
void ts__workload_stats(const ts__workload *wl, ts_run_stats *stats);

#endif
