/*
 * Private to src/sim/: the recorder, what the trace learns while the run
 * goes beyond the rows the models append themselves: /messages rows (and
 * the run's message counts), a /component_state row per change of a
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
                     ts__rts *rts, ts__recorder **out, ts_error *err);
void ts__recorder_free(ts__recorder *r);

/* Appends a /component_state row if component c's serving, run state,
 * liveness, version or safety mode changed since its last row (ctx is the
 * recorder: the runtime's change hook). */
void ts__recorder_component(void *ctx, int c);

/* Appends a /messages row for a sample (publisher to subscriber); a
 * sample delivered to a component that does not receive is recorded as
 * such. */
void ts__recorder_message(ts__recorder *r, const ts_packet *p);

/* Adds the message counts to stats. */
void ts__recorder_stats(const ts__recorder *r, ts_run_stats *stats);

/* Writes /subscriptions and /clients. */
int ts__recorder_finish(ts__recorder *r, ts_error *err);

#endif
