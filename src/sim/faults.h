/*
 * Private to src/sim/: the faults timeline and the media's profiles,
 * played on the engine against the models and the runtime.
 */
#ifndef TOPOSIM_SIM_FAULTS_H
#define TOPOSIM_SIM_FAULTS_H

#include "sim/bus.h"
#include "sim/runtime_sim.h"
#include "toposim/dynamics.h"

typedef struct ts__faults ts__faults;

/* Schedules every fault of the timeline and every medium profile point.
 * Free with ts__faults_free (also after a failed start). */
int ts__faults_start(const ts__shared *sh, ts_network *net, ts_compute *compute,
                     ts_dynamics *dyn, ts__rts *rts, ts__faults **out, ts_error *err);
void ts__faults_free(ts__faults *f);

#endif
