/*
 * Private to src/sim/: the summary level's node and link state
 * (trace.h, ts_trace_node_window). The sampler hands every sample row to
 * these windows instead of the trace; each node and link direction keeps
 * one open window, written as a row when a sample falls past the window's
 * end (a multiple of the window length), when a node's power mode
 * changes, or at the end. Nothing is allocated after the start.
 */
#ifndef TOPOSIM_SIM_SAMPLER_WINDOWS_H
#define TOPOSIM_SIM_SAMPLER_WINDOWS_H

#include <stddef.h>
#include <stdint.h>

#include "toposim/error.h"
#include "toposim/scenario.h"
#include "toposim/trace.h"

typedef struct ts__state_windows ts__state_windows;

/* Bytes a window row is taken to cost once compressed (measured on
 * humanoid-basic's robot copied to 1000 robots: 28 bytes a node window,
 * under 1 a link window, as most links carry little), and what the node
 * and link windows of a run may write per simulated second: under a third
 * of the summary level's 128 KiB target, beside the topic and job windows
 * (recorder_summary.h), the events and the static tables. */
#define TS__NODE_WINDOW_BYTES 32
#define TS__LINK_WINDOW_BYTES 4
#define TS__STATE_BYTES_PER_S (40 * 1024)

/* The node and link window length for s: its compute nodes times
 * TS__NODE_WINDOW_BYTES plus its link directions times
 * TS__LINK_WINDOW_BYTES, over TS__STATE_BYTES_PER_S, rounded up to whole
 * sample periods, at least one (one second without samples). */
int64_t ts__state_window_ns(const ts_scenario *s);

/* Windows over s's nodes and links writing into trace; free with
 * ts__state_windows_free (NULL is fine). */
int ts__state_windows_new(const ts_scenario *s, ts_trace_writer *trace, int64_t window_ns,
                          ts__state_windows **out, ts_error *err);
void ts__state_windows_free(ts__state_windows *sw);

/* Takes one sample row covering (prev_ns, row->time_ns]. */
int ts__state_windows_node(ts__state_windows *sw, const ts_trace_node_state *row,
                           int64_t prev_ns, ts_error *err);
int ts__state_windows_link(ts__state_windows *sw, const ts_trace_link_state *row,
                           int64_t prev_ns, ts_error *err);

/* Writes every open window, nodes first, each in row order. */
int ts__state_windows_finish(ts__state_windows *sw, ts_error *err);

#endif
