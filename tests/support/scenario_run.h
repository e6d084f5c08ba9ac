/*
 * For end-to-end tests: run a scenario through the library into a
 * temporary trace, load the trace back, and find rows and events in it.
 */
#ifndef TOPOSIM_TESTS_SCENARIO_RUN_H
#define TOPOSIM_TESTS_SCENARIO_RUN_H

#include <stddef.h>

#include "toposim/trace.h"

/* Loads, plans and runs path, then loads its trace (the file itself is
 * removed). Fails the current CMocka test with the error on any failure.
 * The caller frees the result with ts_trace_free. */
ts_trace *scenario_run(const char *path);

/* As scenario_run, with the trace level, filter and window (and any other
 * option but the trace path) taken from opts. */
struct ts_run_options;
ts_trace *scenario_run_with(const char *path, const struct ts_run_options *opts);

/* As scenario_run_with (opts may be NULL), the scenario loaded with the
 * --set overrides sets; when scenario is not NULL the loaded scenario is
 * kept there for the caller to free with ts_scenario_free. */
struct ts_scenario;
ts_trace *scenario_run_set(const char *path, const char *const *sets, size_t n_sets,
                           const struct ts_run_options *opts, struct ts_scenario **scenario);

/* Loads path with each allocation in turn failing (the first, the
 * second, ...): each failed load must be TS_ENOMEM with no scenario and
 * nothing left allocated. The first load that goes through is given to
 * check (may be NULL), then freed, again leaving nothing allocated. */
void scenario_load_each_failure(const char *path, void (*check)(const struct ts_scenario *));

/* Row index of the row whose name is id (fails the test when absent);
 * use ROW(trace, table, id). */
int scenario_row(const char *first_name, size_t stride, size_t n, const char *id);
#define ROW(t, table, id) \
    scenario_row((t)->table[0].name, sizeof (t)->table[0], (t)->n_##table, (id))

/* The nth event of a kind (for a component, or any when component < 0). */
const ts_trace_event *scenario_event(const ts_trace *t, const char *kind, int component,
                                     size_t nth);

/* Number of events of a kind. */
size_t scenario_count(const ts_trace *t, const char *kind);

#endif
