/*
 * Private to src/sim/: the scenario and its plan as the trace's static
 * tables, written once before the run (tables.c: nodes, links, components,
 * topics, placement, requirements; tables_deploy.c: the deployment facts
 * of format version 3).
 */
#ifndef TOPOSIM_SIM_TABLES_H
#define TOPOSIM_SIM_TABLES_H

#include "toposim/error.h"
#include "toposim/trace.h"
#include "toposim/world.h"

typedef struct ts__tables {
    const ts_scenario *s;
    const ts_plan *plan;
    ts_trace_writer *trace;
} ts__tables;

/* Writes every static table. */
int ts__tables_write(const ts__tables *w, ts_error *err);

/* Writes sites, fleets, power modes, versions, failover groups and
 * backups, services and replicas, rollouts, expects. */
int ts__tables_write_deploy(const ts__tables *w, ts_error *err);

#endif
