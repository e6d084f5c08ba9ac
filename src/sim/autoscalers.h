/*
 * Private to src/sim/: the services' autoscalers (deploy_autoscale.h) on
 * the simulated runtime, one per service that declares <autoscale>. They
 * act through the runtime's component-state controller, the one owner of
 * every replica's run state, and the services' registry.
 */
#ifndef TOPOSIM_SIM_AUTOSCALERS_H
#define TOPOSIM_SIM_AUTOSCALERS_H

#include "sim/bus.h"
#include "sim/runtime_sim.h"
#include "toposim/deploy_service.h"

typedef struct ts__autoscalers ts__autoscalers;

/* Builds and starts an autoscaler for every service with <autoscale> of
 * reg (borrowed; it outlives them). *out stays NULL when there is none.
 * Free with ts__autoscalers_free before the registry, also after a failed
 * start. */
int ts__autoscalers_start(const ts__shared *sh, ts__rts *rts, ts_svc_registry *reg,
                          ts__autoscalers **out, ts_error *err);
void ts__autoscalers_free(ts__autoscalers *a);

#endif
