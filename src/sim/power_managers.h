/*
 * Private to src/sim/: the robots' power managers (deploy_power.h) on the
 * simulated runtime, one per robot that declares a <power-manager>.
 */
#ifndef TOPOSIM_SIM_POWER_MANAGERS_H
#define TOPOSIM_SIM_POWER_MANAGERS_H

#include "sim/bus.h"
#include "sim/runtime_sim.h"

typedef struct ts__power_managers ts__power_managers;

/* Builds and starts every manager, each deciding until end (the run's
 * end, which its battery must last to). Free with ts__power_managers_free
 * (also after a failed start). */
int ts__power_managers_start(const ts__shared *sh, ts__rts *rts, int64_t end,
                             ts__power_managers **out, ts_error *err);
void ts__power_managers_free(ts__power_managers *p);

#endif
