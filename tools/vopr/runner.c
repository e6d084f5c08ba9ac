/* One schedule of simulation testing, in process (runner.h). */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "toposim/trace.h"
#include "toposim/world.h"

uint64_t vopr_schedule_seed(uint64_t base, uint64_t index)
{
    /* splitmix64 (Steele, Lea, Flood: "Fast splittable pseudorandom
     * number generators", OOPSLA 2014). */
    uint64_t z = base + (index + 1) * 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* How long after a primary's last heartbeat its monitors suspect it.
 * Timeout detector: misses x heartbeat (deploy_failover.h, margin 0).
 * Phi accrual: with steady arrivals the mean is one period and the
 * deviation its floor, a tenth of a period, so phi 8 is crossed 1.6
 * periods after the last beat; irregular arrivals widen the estimate,
 * hence a loose 10 periods (no example scenario uses phi). */
static int64_t detect_of(const ts_scenario_component *c)
{
    if (c->shared->heartbeat_ns <= 0)
        return 0;
    if (c->shared->detector == TS_DETECT_PHI)
        return 10 * c->shared->heartbeat_ns;
    return (int64_t)c->shared->misses * c->shared->heartbeat_ns;
}

static void error_text(vopr_result *res, vopr_verdict verdict, const char *what,
                       const ts_error *err)
{
    char buf[1024];
    ts_error_format(err, buf, sizeof buf);
    res->verdict = verdict;
    snprintf(res->error, sizeof res->error, "%s: %s", what, buf);
}

/* Checks the trace against the scenario it ran. */
static int check(const ts_scenario *s, const ts_trace *t, vopr_result *res, vopr_check_stats *st)
{
    size_t n = s->n_components;
    if (t->n_components != n) {
        res->verdict = VOPR_BROKEN;
        snprintf(res->violation.invariant, sizeof res->violation.invariant, "trace");
        snprintf(res->violation.detail, sizeof res->violation.detail,
                 "the trace has %zu components, the scenario %zu", t->n_components, n);
        return TS_OK;
    }
    int64_t *detect = malloc((n + 1) * sizeof *detect);
    int64_t *heartbeat = malloc((n + 1) * sizeof *heartbeat);
    if (!detect || !heartbeat) {
        free(detect);
        free(heartbeat);
        return TS_ENOMEM;
    }
    for (size_t c = 0; c < n; c++) {
        detect[c] = detect_of(&s->components[c]);
        heartbeat[c] = s->components[c].shared->heartbeat_ns;
    }
    vopr_limits lim = {n, detect, heartbeat, VOPR_SLACK_NS + res->info.max_extra_latency_ns};
    int rc = TS_OK;
    for (size_t c = 0; c < n && rc == TS_OK; c++)
        if (strcmp(t->components[c].name, s->components[c].id)) {
            res->verdict = VOPR_BROKEN;
            snprintf(res->violation.invariant, sizeof res->violation.invariant, "trace");
            snprintf(res->violation.detail, sizeof res->violation.detail,
                     "component row %zu is %s in the trace, %s in the scenario", c,
                     t->components[c].name, s->components[c].id);
            rc = 1;
        }
    if (rc == TS_OK) {
        rc = vopr_check(t, &lim, &res->violation, st);
        if (rc == 1)
            res->verdict = VOPR_BROKEN;
    }
    free(detect);
    free(heartbeat);
    return rc == TS_ENOMEM ? TS_ENOMEM : TS_OK;
}

int vopr_run_schedule(const ts_scenario *base, uint64_t seed, const char *dir,
                      const char *keep_trace, vopr_result *res, vopr_check_stats *st,
                      char **doc_out)
{
    memset(res, 0, sizeof *res);
    if (doc_out)
        *doc_out = NULL;
    res->duration_ns = base->duration_ns;
    ts_error err;
    ts_error_clear(&err);
    char *doc = NULL;
    size_t len = 0;
    int rc = vopr_schedule_build(base, seed, res->duration_ns, &doc, &len, &res->info, &err);
    if (rc == TS_ENOMEM)
        return rc;
    if (rc != TS_OK) {
        error_text(res, VOPR_BAD_SCHEDULE, "the schedule", &err);
        return TS_OK;
    }
    /* Named as the scenario's file, so its models are found beside it
     * and errors name it. */
    ts_scenario *s = NULL;
    rc = ts_scenario_load_memory(doc, len, base->path, NULL, &s, &err);
    if (doc_out)
        *doc_out = doc;
    else
        free(doc);
    if (rc != TS_OK) {
        error_text(res, VOPR_BAD_SCHEDULE, "the loader refused the schedule", &err);
        return rc == TS_ENOMEM ? rc : TS_OK;
    }
    ts_plan *plan = NULL;
    rc = ts_plan_new(s, &plan, &err);
    if (rc != TS_OK) {
        error_text(res, VOPR_BAD_SCHEDULE, "the schedule does not place", &err);
        ts_scenario_free(s);
        return rc == TS_ENOMEM ? rc : TS_OK;
    }
    char path[4096];
    if (keep_trace)
        snprintf(path, sizeof path, "%s", keep_trace);
    else
        snprintf(path, sizeof path, "%s/vopr-%ld.h5", dir, (long)getpid());
    ts_run_options opts = {.trace_path = path,
                           .override_seed = 1,
                           .seed = seed,
                           .duration_ns = res->duration_ns};
    rc = ts_world_run(s, plan, &opts, NULL, &err);
    ts_trace *t = NULL;
    if (rc == TS_OK)
        rc = ts_trace_load(path, &t, &err);
    if (!keep_trace)
        unlink(path);
    if (rc != TS_OK) {
        error_text(res, VOPR_RUN_ERROR, "the run", &err);
        rc = TS_OK;
    } else {
        rc = check(s, t, res, st);
    }
    ts_trace_free(t);
    ts_plan_free(plan);
    ts_scenario_free(s);
    return rc;
}
