/*
 * Private to src/sim/: the state of one simulation run, shared by world.c
 * (building and running), tables.c (the trace's static tables), sampler.c
 * (node, core and link state every sample period) and faults.c (the
 * faults timeline and medium profiles).
 */
#ifndef TOPOSIM_SIM_WORLD_INTERNAL_H
#define TOPOSIM_SIM_WORLD_INTERNAL_H

#include "toposim/dynamics.h"
#include "toposim/event.h"
#include "toposim/platform.h"
#include "toposim/sim.h"
#include "toposim/trace.h"
#include "toposim/world.h"

typedef struct topic_state {
    ts_time next_due;         /* release time from which the next sample is due */
    uint64_t samples;
} topic_state;

typedef struct world {
    const ts_scenario *s;
    const ts_plan *plan;
    ts_engine *engine;
    ts_network *net;
    ts_compute *compute;
    ts_dynamics *dyn;
    ts_trace_writer *trace;
    gsl_rng **rngs;           /* one per component */
    ts_dist *exec_dists;      /* one per component, prepared here */
    topic_state *topics;
    size_t *pub_first, *pub_topics; /* topics published by each component */
    /* sampler state: cumulative figures at the previous sample */
    ts_time last_sample;
    ts_compute_node_stat *prev_node;
    double *prev_energy;
    size_t *core_first;       /* first core's slot in prev_core, per node */
    ts_time *prev_core;
    ts_link_counters *prev_hop; /* two per link */
    int failed;
    ts_error first_error;
    ts_run_stats stats;
} world;

/* Records the first failure and stops the engine; later ones are ignored. */
void ts__world_fail(world *w, const ts_error *e);

/* A platform model's event as a row of /events (ctx is the world). */
void ts__world_on_event(void *ctx, const ts_platform_event *ev);

/* Writes the scenario and plan as the trace's static tables. */
int ts__world_write_tables(world *w, ts_error *err);

/* Schedules the periodic node/core/link sampler (if the period is > 0). */
int ts__world_sampler_start(world *w, ts_error *err);

/* Writes one last sample at the end of the run. */
void ts__world_sampler_finish(world *w);

/* Frees the sampler's state. */
void ts__world_sampler_free(world *w);

/* Schedules every fault of the timeline and every medium profile point. */
int ts__world_faults_start(world *w, ts_error *err);

#endif
