/*
 * Private to src/sim/: each fleet's coordinator and its robots' agents on
 * the runtime, and each robot's merged configuration recorded at the
 * start.
 */
#ifndef TOPOSIM_SIM_FLEET_H
#define TOPOSIM_SIM_FLEET_H

#include "sim/bus.h"
#include "sim/runtime_sim.h"

typedef struct ts__fleet ts__fleet;

/* Builds and starts them (*out stays NULL without fleets or parameters).
 * Free with ts__fleet_free, also after a failed start. */
int ts__fleet_start(const ts__shared *sh, ts__rts *rts, ts__fleet **out, ts_error *err);
void ts__fleet_free(ts__fleet *f);

#endif
