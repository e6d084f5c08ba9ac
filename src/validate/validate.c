/*
 * ts_validate: checks the trace, derives the facts the families share,
 * scores the four families, rolls fleets up, applies the overall rule,
 * derives recommendations and evaluates the gates, in that order (gates
 * and recommendations read the scores).
 */
#include <math.h>
#include <string.h>

#include "toposim/alloc.h"
#include "validate/validate_internal.h"

/* Overall compliance is the weakest of the four families, each in [0, 1]
 * (health as its 0-100 score / 100): a deployment is as compliant as its
 * worst aspect, and one family cannot buy off another (README). */
void ts__overall(ts_validation *v)
{
    double o = 1.0;
    for (int f = TS_FAMILY_PERFORMANCE; f <= TS_FAMILY_INTEGRATION; f++)
        if (v->family_score[f] < o)
            o = v->family_score[f];
    v->overall = o;
}

static void free_ctx(ts__ctx *c)
{
    ts_free(c->comp_node);
    ts_free(c->comp_group);
    ts_free(c->group_primary);
    ts_free(c->cs_start);
    ts_free(c->cs_rows);
    ts_free(c->topic_excused);
}

int ts_validate(const ts_trace *trace, ts_validation **out, ts_error *err)
{
    if (!out)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "ts_validate: no output pointer");
    *out = NULL;
    if (!trace)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "ts_validate: no trace");
    int rc = ts__check_tables(trace, err);
    if (rc)
        return rc;

    ts_validation *v = ts_calloc(1, sizeof *v);
    if (!v)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory validating");
    ts__ctx c;
    memset(&c, 0, sizeof c);
    c.t = trace;
    c.v = v;
    c.err = err;
    ts__copy_name(v->scenario_name, sizeof v->scenario_name, trace->scenario_name,
                  sizeof v->scenario_name);
    ts__copy_name(v->toposim_version, sizeof v->toposim_version, trace->toposim_version,
                  sizeof v->toposim_version);
    snprintf(v->git_revision, sizeof v->git_revision, "%s",
             trace->git_revision ? trace->git_revision : "unknown");
    snprintf(v->command_line, sizeof v->command_line, "%s",
             trace->command_line ? trace->command_line : "");
    snprintf(v->host, sizeof v->host, "%s", trace->host ? trace->host : "");
    snprintf(v->started_utc, sizeof v->started_utc, "%s",
             trace->started_utc ? trace->started_utc : "");
    v->seed = trace->seed;
    v->duration_ns = trace->duration_ns;
    v->wall_time_s = NAN;
    /* The reader gives 1 for traces before format 3, whose writer renamed
     * the file into place only after a run finished. */
    v->finished = trace->finished != 0;
    if (trace->wall_time_ns >= 0 && trace->format_version >= 3)
        v->wall_time_s = (double)trace->wall_time_ns / 1e9;
    for (int f = 0; f < TS_N_FAMILIES; f++)
        v->family_score[f] = 1.0;

    rc = ts__derive(&c);
    if (!rc)
        rc = ts__score_performance(&c);
    if (!rc)
        rc = ts__score_chains(&c);
    if (!rc)
        rc = ts__score_autoscaling(&c);
    if (!rc)
        rc = ts__score_safety(&c);
    if (!rc)
        rc = ts__score_health(&c);
    if (!rc)
        rc = ts__score_integration(&c);
    if (!rc) {
        ts__rollup(v);
        ts__overall(v);
        rc = ts__recommend(&c);
    }
    if (!rc)
        rc = ts__gates(&c);
    free_ctx(&c);
    if (rc) {
        ts_validation_free(v);
        return rc;
    }
    *out = v;
    return TS_OK;
}

void ts_validation_free(ts_validation *v)
{
    if (!v)
        return;
    ts_free(v->scores);
    ts_free(v->chains);
    ts_free(v->autoscaling);
    ts_free(v->checks);
    ts_free(v->links);
    ts_free(v->media);
    ts_free(v->nodes);
    ts_free(v->failovers);
    ts_free(v->recs);
    ts_free(v->gates);
    ts_free(v);
}
