/*
 * Private to src/sim/: the periodic sampler of node, core and link state.
 */
#ifndef TOPOSIM_SIM_SAMPLER_H
#define TOPOSIM_SIM_SAMPLER_H

#include "sim/bus.h"
#include "toposim/compute.h"
#include "toposim/dynamics.h"
#include "toposim/network.h"
#include "toposim/trace.h"

typedef struct ts__sampler ts__sampler;

/* Schedules a sample every scenario sample period (none when it is 0).
 * Free with ts__sampler_free, also after a failed start. */
int ts__sampler_start(const ts__shared *sh, ts_trace_writer *trace, ts_compute *compute,
                      ts_dynamics *dyn, ts_network *net, ts__sampler **out, ts_error *err);

/* Writes one last sample at the end of the run. */
void ts__sampler_finish(ts__sampler *sm);

void ts__sampler_free(ts__sampler *sm);

#endif
