/*
 * The compute model on the engine: nodes with cores running periodic
 * tasks' jobs, highest priority first, each job on one core for its drawn
 * execution time. The model owns its state; results leave through
 * callbacks.
 */
#ifndef TOPOSIM_COMPUTE_H
#define TOPOSIM_COMPUTE_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "toposim/dist.h"
#include "toposim/error.h"
#include "toposim/sim.h"

/* ---- Compute ---- */

/* A periodic task bound to a node: a job every period from offset, each
 * needing an execution time uniform in [exec_min, exec_max] (drawn from
 * the task's own stream), due `deadline` after its release. */
typedef struct ts_task_desc {
    int node;
    int priority;             /* larger first */
    ts_time period, offset, deadline, exec_min, exec_max;
} ts_task_desc;

typedef struct ts_job_record {
    int task, node;
    uint64_t seq;
    ts_time release, start, finish, deadline; /* start/finish -1 if never */
} ts_job_record;

typedef void (*ts_job_done_fn)(void *ctx, const ts_job_record *job);

typedef struct ts_compute ts_compute;

/* A compute model for n_nodes nodes with the given core counts (copied).
 * Caller frees with ts_compute_free. */
int ts_compute_new(ts_engine *engine, const int *cores, size_t n_nodes,
                   ts_job_done_fn done, void *ctx, ts_compute **out,
                   ts_error *err);
void ts_compute_free(ts_compute *c);

/* Adds a task; rng (borrowed, must outlive c) draws its execution times.
 * Returns the task id (>= 0) or a negative TS_ code. */
int ts_compute_add_task(ts_compute *c, const ts_task_desc *task, gsl_rng *rng,
                        ts_error *err);

/* Schedules every task's first release; call once before running. */
int ts_compute_start(ts_compute *c);

/* Reports jobs released but not finished (running or waiting) with
 * finish -1, task by task in release order. */
void ts_compute_flush_unfinished(ts_compute *c);

#endif
