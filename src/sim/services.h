/*
 * Private to src/sim/: request/response services (registry, servers,
 * responders, clients calling at their rate or once per job of their
 * component) and the access policy, from
 * the scenario onto the deployment code's objects on the runtime. The
 * policy is handed to the runtime's controller, which decides with it.
 */
#ifndef TOPOSIM_SIM_SERVICES_H
#define TOPOSIM_SIM_SERVICES_H

#include "sim/bus.h"
#include "sim/runtime_sim.h"
#include "toposim/compute.h"

typedef struct ts__services ts__services;

/* Builds and starts them (*out stays NULL when the scenario has neither
 * services nor a policy). Free with ts__services_free, before the
 * runtime, also after a failed start. */
int ts__services_start(const ts__shared *sh, ts__rts *rts, ts__services **out, ts_error *err);
void ts__services_free(ts__services *v);

/* A job of the compute model reported (the workload's job hook, at its
 * finish): each per="job" client of its component calls its service once
 * when the job finished and the component serves. O(that component's
 * per-job clients); v may be NULL. */
void ts__services_job(ts__services *v, const ts_job_record *job);

#endif
