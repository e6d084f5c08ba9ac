/* End-to-end test helpers (see scenario_run.h). */
#define _POSIX_C_SOURCE 200809L
#include "scenario_run.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "toposim/alloc.h"
#include "toposim/scenario.h"
#include "toposim/world.h"

ts_trace *scenario_run(const char *path)
{
    return scenario_run_with(path, NULL);
}

ts_trace *scenario_run_with(const char *path, const ts_run_options *base)
{
    return scenario_run_set(path, NULL, 0, base, NULL);
}

ts_trace *scenario_run_set(const char *path, const char *const *sets, size_t n_sets,
                           const ts_run_options *base, ts_scenario **scenario)
{
    ts_scenario *s = NULL;
    ts_plan *plan = NULL;
    ts_trace *t = NULL;
    ts_error err;
    ts_error_clear(&err);
    char trace[256];
    snprintf(trace, sizeof trace, "/tmp/toposim-e2e-%ld.h5", (long)getpid());
    ts_run_options opts = {.trace_path = trace};
    if (base) {
        opts = *base;
        opts.trace_path = trace;
    }
    ts_scenario_options so = {.overrides = sets, .n_overrides = n_sets};
    int rc = ts_scenario_load(path, &so, &s, &err);
    if (rc == TS_OK)
        rc = ts_plan_new(s, &plan, &err);
    if (rc == TS_OK)
        rc = ts_world_run(s, plan, &opts, NULL, &err);
    if (rc == TS_OK)
        rc = ts_trace_load(trace, &t, &err);
    unlink(trace);
    ts_plan_free(plan);
    if (rc != TS_OK || !scenario)
        ts_scenario_free(s);
    if (rc != TS_OK) {
        char buf[1200];
        ts_error_format(&err, buf, sizeof buf);
        fail_msg("%s%s%s: %s", path, n_sets ? " with " : "", n_sets ? sets[0] : "", buf);
    }
    if (scenario)
        *scenario = s;
    return t;
}

void scenario_load_each_failure(const char *path, void (*check)(const ts_scenario *))
{
    long before = ts_alloc_live();
    for (long n = 1;; n++) {
        ts_scenario *s = NULL;
        ts_error err;
        ts_error_clear(&err);
        ts_alloc_fail_after(n);
        int rc = ts_scenario_load(path, NULL, &s, &err);
        ts_alloc_fail_after(0);
        if (rc == TS_OK) {
            if (check)
                check(s);
            ts_scenario_free(s);
            assert_int_equal(ts_alloc_live(), before);
            assert_true(n > 1); /* some allocation was failed */
            return;
        }
        assert_int_equal(rc, TS_ENOMEM);
        assert_null(s);
        assert_int_equal(ts_alloc_live(), before);
        assert_true(n < 100000);
    }
}

int scenario_row(const char *first_name, size_t stride, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(first_name + i * stride, id))
            return (int)i;
    fail_msg("no row named %s", id);
    return -1;
}

const ts_trace_event *scenario_event(const ts_trace *t, const char *kind, int component,
                                     size_t nth)
{
    for (size_t i = 0; i < t->n_events; i++)
        if (!strcmp(t->events[i].kind, kind) &&
            (component < 0 || t->events[i].component == component) && nth-- == 0)
            return &t->events[i];
    return NULL;
}

size_t scenario_count(const ts_trace *t, const char *kind)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_events; i++)
        n += !strcmp(t->events[i].kind, kind);
    return n;
}
