/*
 * Private to src/sim/: the recorder, what the trace learns while the run
 * goes beyond the rows the models append themselves: /messages and /jobs
 * rows or, at the summary level, their windows (and the run's message
 * counts), a /component_state row per change of a
 * component's state, each service client's request counts (from the
 * outcome events it subscribes to), and at the finish /subscriptions and
 * /clients.
 */
#ifndef TOPOSIM_SIM_RECORDER_H
#define TOPOSIM_SIM_RECORDER_H

#include "sim/bus.h"
#include "sim/runtime_sim.h"
#include "toposim/trace.h"

typedef struct ts__recorder ts__recorder;

/* A recorder writing into trace, subscribed on the bus to the kinds it
 * counts. Free with ts__recorder_free. */
int ts__recorder_new(const ts__shared *sh, ts_trace_writer *trace, ts_compute *compute,
                     ts__rts *rts, const ts_run_options *select, ts__recorder **out,
                     ts_error *err);

/* The summary level's window length for s over duration_ns (/meta
 * summary_window_ns; see recorder_summary.h for how it is chosen). */
int64_t ts__recorder_window_ns(const ts_scenario *s, int64_t duration_ns);

/* Records a job: a /jobs row at the full level (if the filter and window
 * keep it), its window at the summary level. */
void ts__recorder_job(ts__recorder *r, const ts_trace_job *row);
void ts__recorder_free(ts__recorder *r);

/* Appends a /component_state row if component c's serving, run state,
 * liveness, version or safety mode changed since its last row (ctx is the
 * recorder: the runtime's change hook). */
void ts__recorder_component(void *ctx, int c);

/* Records a sample (publisher to subscriber): a /messages row at the full
 * level (if the filter and window keep it), its window at the summary
 * level; a sample delivered to a component that does not receive is
 * recorded as such. */
void ts__recorder_message(ts__recorder *r, const ts_packet *p);

/* fn(ctx, p) for every sample the recorder records, after its row, with
 * the status it was recorded with (one observer; NULL fn: none). */
void ts__recorder_observe(ts__recorder *r, void (*fn)(void *ctx, const ts_packet *p),
                          void *ctx);

/* Adds the message counts to stats. */
void ts__recorder_stats(const ts__recorder *r, ts_run_stats *stats);

/* Writes /subscriptions and /clients. */
int ts__recorder_finish(ts__recorder *r, ts_error *err);

#endif
