/*
 * Private to src/sim/: the summary level of the trace (trace.h,
 * ts_trace_topic_window). Each subscription and each periodic component
 * accumulates its samples or finished jobs in one open window (counts by
 * status, the greatest value and a small table of histogram buckets, all
 * allocated at the start), written as a row when a later window begins,
 * when its bucket table fills, or at the end. A sample or job it cannot
 * hold (see trace.h) is written as a full row instead, so the validator's
 * counts stay exact.
 */
#ifndef TOPOSIM_SIM_RECORDER_SUMMARY_H
#define TOPOSIM_SIM_RECORDER_SUMMARY_H

#include <stdint.h>

#include "toposim/error.h"
#include "toposim/scenario.h"
#include "toposim/trace.h"

typedef struct ts__summary ts__summary;

/* The summary window for s over duration_ns: the items (subscriptions
 * and periodic components) times TS__SUMMARY_ROW_BYTES over
 * TS__SUMMARY_BYTES_PER_S, rounded up to whole seconds, at least one. */
#define TS__SUMMARY_ROW_BYTES 256
#define TS__SUMMARY_BYTES_PER_S (64 * 1024)
int64_t ts__summary_window_ns(const ts_scenario *s, int64_t duration_ns);

/* A summary over s's items writing into trace; free with
 * ts__summary_free. */
int ts__summary_new(const ts_scenario *s, ts_trace_writer *trace, int64_t window_ns,
                    ts__summary **out, ts_error *err);
void ts__summary_free(ts__summary *sm);

/* Takes one sample recorded at time now (its window or a /messages row). */
int ts__summary_message(ts__summary *sm, const ts_trace_message *row, int64_t now,
                        ts_error *err);

/* Takes one job (its window, or a /jobs row when unfinished). */
int ts__summary_job(ts__summary *sm, const ts_trace_job *row, int64_t now, ts_error *err);

/* Component c changed state, or an event named it, at time now: the open
 * windows of the subscriptions of its failover group (if it has one) end
 * here. */
int ts__summary_boundary(ts__summary *sm, int c, int64_t now, ts_error *err);

/* Writes every open window; end is the run's end. */
int ts__summary_finish(ts__summary *sm, int64_t end, ts_error *err);

#endif
