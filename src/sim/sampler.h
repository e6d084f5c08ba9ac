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

/* The trace's state_window_ns at level (a ts_trace_level): 0 at the full
 * level, else ts__state_window_ns (sampler_windows.h). */
int64_t ts__sampler_window_ns(const ts_scenario *s, int level);

/* Schedules a sample every scenario sample period (none when it is 0):
 * at the full level rows of /node_state, /core_state and /link_state, at
 * the summary level windows of /node_windows and /link_windows. Free with
 * ts__sampler_free, also after a failed start. */
int ts__sampler_start(const ts__shared *sh, int level, ts_trace_writer *trace,
                      ts_compute *compute, ts_dynamics *dyn, ts_network *net,
                      ts__sampler **out, ts_error *err);

/* Writes one last sample at the end of the run. */
void ts__sampler_finish(ts__sampler *sm);

void ts__sampler_free(ts__sampler *sm);

#endif
