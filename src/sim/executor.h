/*
 * Private to src/sim/: ROS 2 executors. The components of a <process>
 * hand their ready callbacks (a timer's expiry, an arrival, a received
 * sample) to the process's executor, which runs them on its threads one
 * callback per thread at a time, in the order its kind follows: the
 * single-threaded and multi-threaded executors take a snapshot of what is
 * ready at a polling point, timers first, and refresh it only when it is
 * empty; the events executor runs them first come, first served. A
 * callback is a job of its component's compute task; the executor owns
 * when jobs of its components are released. Components outside every
 * process never come here.
 */
#ifndef TOPOSIM_SIM_EXECUTOR_H
#define TOPOSIM_SIM_EXECUTOR_H

#include <stdint.h>

#include "sim/bus.h"
#include "toposim/compute.h"

typedef struct ts__executors ts__executors;

/* The executors of the scenario's processes (*out stays NULL when it has
 * none). drop(ctx, component, tag, keep_last) reports a sample a newer
 * one overwrote in a subscription's queue. Free with ts__executors_free,
 * also after a failed start. */
int ts__executors_new(const ts__shared *sh, ts_compute *compute,
                      void (*drop)(void *ctx, int component, uint64_t tag, uint32_t keep_last),
                      void *ctx, ts__executors **out, ts_error *err);
void ts__executors_free(ts__executors *x);

/* 1 when component's callbacks are an executor's (x may be NULL: 0). */
int ts__executors_owns(const ts__executors *x, int component);

/* A component's timer expired or its arrival came now: its callback is
 * ready (a timer expiring again before its callback ran counts once, as
 * rcl_timer_call skips the periods it missed). */
void ts__executors_timer(ts__executors *x, int component);

/* A sample (tag, as TS_JOB_TAG) reached component's subscription now; it
 * waits in a queue of keep_last (0: no bound) samples. */
void ts__executors_sample(ts__executors *x, int component, uint64_t tag, uint32_t keep_last);

/* A job of component ended (or was dropped with its task): its thread is
 * free again. */
void ts__executors_job_done(ts__executors *x, const ts_job_record *job);

/* At the end of the run: fn(ctx, component, tag) for the oldest sample
 * still waiting in each subscription's queue (no job holds it), members
 * in registration order (x may be NULL: none). */
void ts__executors_each_waiting(const ts__executors *x,
                                void (*fn)(void *ctx, int component, uint64_t tag), void *ctx);

#endif
