/*
 * Private to src/sim/: the deployment code's agents on the simulated
 * runtime (failover groups, safe-state supervisors, heartbeat senders,
 * rollouts) and what only the simulator can tell them: the fault-to-
 * serving time of a failover, and the jobs and safety events a rollout
 * judges a version by.
 */
#ifndef TOPOSIM_SIM_AGENTS_H
#define TOPOSIM_SIM_AGENTS_H

#include "sim/bus.h"
#include "sim/runtime_sim.h"

typedef struct ts__agents ts__agents;

/* Builds and starts every agent, subscribed on the bus to the kinds it
 * watches. Free with ts__agents_free (also after a failed start). */
int ts__agents_start(const ts__shared *sh, ts__rts *rts, ts__agents **out, ts_error *err);
void ts__agents_free(ts__agents *a);

/* A finished job, for the rollouts' bookkeeping. */
void ts__agents_job(ts__agents *a, const ts_job_record *job);

#endif
