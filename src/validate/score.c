/*
 * Deadline scoring of a loaded trace: per-topic sample compliance and
 * latency, per-component job compliance and response time, and the gates
 * the requirements table asks for. Works only from the trace, so it scores
 * a run of any toposim version or a trace converted from a robot's logs.
 */
#include "toposim/validate.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"
#include "validate/validate_internal.h"

/* Compliance is a ratio of integers; a 100% requirement must pass when every
 * sample is met even if the requirement went through a decimal parse. */
#define GATE_EPSILON 1e-12

/* Fixed-width name columns of a hand-built trace may lack a NUL. */
static void copy_name(char *dst, size_t dst_size, const char *src,
                      size_t src_size)
{
    size_t n = src ? strnlen(src, src_size) : 0;
    if (n >= dst_size)
        n = dst_size - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

static int in_range(int32_t index, size_t n)
{
    return index >= 0 && (size_t)index < n;
}

static int requirement_kind(const ts_trace_requirement *r)
{
    char kind[sizeof r->kind + 1];
    copy_name(kind, sizeof kind, r->kind, sizeof r->kind);
    if (strcmp(kind, "topic-deadline") == 0)
        return TS_SCORE_TOPIC;
    if (strcmp(kind, "component-deadline") == 0)
        return TS_SCORE_COMPONENT;
    return -1;
}

static int check_messages(const ts_trace *t, ts_error *err)
{
    for (size_t i = 0; i < t->n_messages; i++) {
        const ts_trace_message *m = &t->messages[i];
        if (!in_range(m->topic, t->n_topics))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "messages row %zu: topic %d out of range (%zu topics)",
                                i, (int)m->topic, t->n_topics);
        if (!in_range(m->publisher, t->n_components) ||
            !in_range(m->subscriber, t->n_components))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "messages row %zu: publisher %d or subscriber %d out of "
                                "range (%zu components)", i, (int)m->publisher,
                                (int)m->subscriber, t->n_components);
        if (m->status < TS_MSG_DELIVERED || m->status > TS_MSG_RECEIVER_DOWN)
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "messages row %zu: unknown status %d", i, (int)m->status);
        if (m->send_ns < 0)
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "messages row %zu: negative send_ns %lld", i,
                                (long long)m->send_ns);
        if (m->status == TS_MSG_DELIVERED && m->recv_ns < m->send_ns)
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "messages row %zu: delivered at recv_ns %lld before "
                                "send_ns %lld", i, (long long)m->recv_ns,
                                (long long)m->send_ns);
    }
    return TS_OK;
}

static int check_jobs(const ts_trace *t, ts_error *err)
{
    for (size_t i = 0; i < t->n_jobs; i++) {
        const ts_trace_job *j = &t->jobs[i];
        if (!in_range(j->component, t->n_components))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "jobs row %zu: component %d out of range (%zu components)",
                                i, (int)j->component, t->n_components);
        if (!in_range(j->node, t->n_nodes))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "jobs row %zu: node %d out of range (%zu nodes)",
                                i, (int)j->node, t->n_nodes);
        if (j->release_ns < 0)
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "jobs row %zu: negative release_ns %lld", i,
                                (long long)j->release_ns);
        /* release >= 0, so this also rejects finish values below -1. */
        if (j->finish_ns != -1 && j->finish_ns < j->release_ns)
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "jobs row %zu: finish_ns %lld before release_ns %lld", i,
                                (long long)j->finish_ns, (long long)j->release_ns);
    }
    return TS_OK;
}

static int check_tables(const ts_trace *t, ts_error *err)
{
    if (t->duration_ns < 0)
        return ts_error_set(err, TS_EFORMAT, NULL, 0, "meta: negative duration_ns %lld",
                            (long long)t->duration_ns);
    if ((t->n_topics && !t->topics) || (t->n_components && !t->components) ||
        (t->n_requirements && !t->requirements) || (t->n_messages && !t->messages) ||
        (t->n_jobs && !t->jobs))
        return ts_error_set(err, TS_EFORMAT, NULL, 0, "a table has rows but no data");
    for (size_t i = 0; i < t->n_topics; i++)
        if (t->topics[i].budget_ns < 0)
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "topics row %zu: negative budget_ns %lld", i,
                                (long long)t->topics[i].budget_ns);
    for (size_t i = 0; i < t->n_components; i++)
        if (t->components[i].deadline_ns < 0)
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "components row %zu: negative deadline_ns %lld", i,
                                (long long)t->components[i].deadline_ns);
    for (size_t i = 0; i < t->n_requirements; i++) {
        const ts_trace_requirement *r = &t->requirements[i];
        int kind = requirement_kind(r);
        if (kind < 0) {
            char k[sizeof r->kind + 1];
            copy_name(k, sizeof k, r->kind, sizeof r->kind);
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "requirements row %zu: unknown kind \"%s\" (expected "
                                "topic-deadline or component-deadline)", i, k);
        }
        size_t n = kind == TS_SCORE_TOPIC ? t->n_topics : t->n_components;
        if (r->target != -1 && !in_range(r->target, n))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "requirements row %zu: target %d names no %s row (%zu rows)",
                                i, (int)r->target,
                                kind == TS_SCORE_TOPIC ? "topic" : "component", n);
        if (!(r->min_fraction >= 0.0 && r->min_fraction <= 1.0))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "requirements row %zu: min_fraction %g not in [0, 1]", i,
                                r->min_fraction);
    }
    int rc = check_messages(t, err);
    return rc ? rc : check_jobs(t, err);
}

/* Percentiles by GSL's linear interpolation between order statistics,
 * quantile = (1 - d) x[i] + d x[i+1] with i = floor((n - 1) f) (GSL manual,
 * "Statistics: Median and Percentiles"), which is also numpy's and pandas'
 * default, so figures can be rechecked from the trace with pandas. Values
 * are integer ns below 2^53, exact as doubles; results round to the nearest
 * ns. The maximum is tracked on the integers by the caller. */
static void set_percentiles(ts_score *s, double *sorted, size_t n)
{
    if (n == 0) {
        s->p50_ns = s->p99_ns = s->max_ns = TS__NO_SAMPLE;
        return;
    }
    gsl_sort(sorted, 1, n);
    s->p50_ns = (int64_t)llround(gsl_stats_quantile_from_sorted_data(sorted, 1, n, 0.50));
    s->p99_ns = (int64_t)llround(gsl_stats_quantile_from_sorted_data(sorted, 1, n, 0.99));
}

static void set_compliance(ts_score *s)
{
    s->compliance = s->total ? (double)s->met / (double)s->total : 1.0;
}

/* Samples are bucketed by topic with one counting pass so that scoring is
 * linear in the message table however many topics there are. */
static int score_topics(const ts_trace *t, ts_score *scores, ts_error *err)
{
    size_t nt = t->n_topics;
    size_t *start = ts_calloc(nt + 1, sizeof *start);
    size_t *fill = ts_calloc(nt + 1, sizeof *fill);
    if (!start || !fill) {
        ts_free(start);
        ts_free(fill);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory scoring topics");
    }
    for (size_t i = 0; i < t->n_messages; i++)
        if (t->messages[i].status == TS_MSG_DELIVERED)
            start[t->messages[i].topic + 1]++;
    for (size_t i = 0; i < nt; i++)
        start[i + 1] += start[i];
    memcpy(fill, start, (nt + 1) * sizeof *fill);
    double *lat = ts_malloc(start[nt] * sizeof *lat);
    if (!lat) {
        ts_free(start);
        ts_free(fill);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory scoring topics");
    }

    for (size_t i = 0; i < nt; i++) {
        ts_score *s = &scores[i];
        s->kind = TS_SCORE_TOPIC;
        s->index = (int32_t)i;
        copy_name(s->name, sizeof s->name, t->topics[i].name, sizeof t->topics[i].name);
        s->budget_ns = t->topics[i].budget_ns;
        s->max_ns = TS__NO_SAMPLE;
    }
    for (size_t i = 0; i < t->n_messages; i++) {
        const ts_trace_message *m = &t->messages[i];
        ts_score *s = &scores[m->topic];
        int64_t budget = s->budget_ns;
        switch (m->status) {
        case TS_MSG_DELIVERED: {
            int64_t latency = m->recv_ns - m->send_ns; /* checked: >= 0 */
            s->total++;
            if (budget == 0 || latency <= budget)
                s->met++;
            lat[fill[m->topic]++] = (double)latency;
            if (latency > s->max_ns)
                s->max_ns = latency;
            break;
        }
        case TS_MSG_DROPPED_QUEUE:
        case TS_MSG_NO_ROUTE:
        case TS_MSG_LOST:
        case TS_MSG_LINK_DOWN:
        case TS_MSG_RECEIVER_DOWN:
            s->total++;
            s->lost++;
            break;
        default: /* TS_MSG_IN_FLIGHT: a miss only once it is overdue */
            if (budget > 0 && m->send_ns <= t->duration_ns - budget)
                s->total++;
            break;
        }
    }
    for (size_t i = 0; i < nt; i++) {
        int64_t max = scores[i].max_ns;
        set_percentiles(&scores[i], lat + start[i], start[i + 1] - start[i]);
        scores[i].max_ns = max;
        set_compliance(&scores[i]);
    }
    ts_free(lat);
    ts_free(start);
    ts_free(fill);
    return TS_OK;
}

static int score_components(const ts_trace *t, ts_score *scores, ts_error *err)
{
    size_t nc = t->n_components;
    size_t *start = ts_calloc(nc + 1, sizeof *start);
    size_t *fill = ts_calloc(nc + 1, sizeof *fill);
    if (!start || !fill) {
        ts_free(start);
        ts_free(fill);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory scoring components");
    }
    for (size_t i = 0; i < t->n_jobs; i++)
        if (t->jobs[i].finish_ns >= 0)
            start[t->jobs[i].component + 1]++;
    for (size_t i = 0; i < nc; i++)
        start[i + 1] += start[i];
    memcpy(fill, start, (nc + 1) * sizeof *fill);
    double *resp = ts_malloc(start[nc] * sizeof *resp);
    if (!resp) {
        ts_free(start);
        ts_free(fill);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory scoring components");
    }

    for (size_t i = 0; i < nc; i++) {
        ts_score *s = &scores[i];
        s->kind = TS_SCORE_COMPONENT;
        s->index = (int32_t)i;
        copy_name(s->name, sizeof s->name, t->components[i].name,
                  sizeof t->components[i].name);
        s->budget_ns = t->components[i].deadline_ns;
        s->max_ns = TS__NO_SAMPLE;
    }
    for (size_t i = 0; i < t->n_jobs; i++) {
        const ts_trace_job *j = &t->jobs[i];
        ts_score *s = &scores[j->component];
        if (j->finish_ns >= 0) {
            int64_t response = j->finish_ns - j->release_ns; /* checked: >= 0 */
            s->total++;
            if (j->finish_ns <= j->deadline_ns)
                s->met++;
            resp[fill[j->component]++] = (double)response;
            if (response > s->max_ns)
                s->max_ns = response;
        } else if (j->deadline_ns <= t->duration_ns) {
            s->total++; /* unfinished past its deadline */
        }
    }
    for (size_t i = 0; i < nc; i++) {
        int64_t max = scores[i].max_ns;
        set_percentiles(&scores[i], resp + start[i], start[i + 1] - start[i]);
        scores[i].max_ns = max;
        set_compliance(&scores[i]);
    }
    ts_free(resp);
    ts_free(start);
    ts_free(fill);
    return TS_OK;
}

/* For target -1 the first row with the lowest compliance is named, so ties
 * resolve by table order and reruns name the same target. */
static void eval_gate(ts_gate *g, const ts_trace_requirement *r, int kind,
                      const ts_score *scores, size_t n)
{
    const char *kind_name = kind == TS_SCORE_TOPIC ? "topic-deadline" : "component-deadline";
    g->required = r->min_fraction;
    if (r->target >= 0) {
        const ts_score *s = &scores[r->target];
        snprintf(g->name, sizeof g->name, "%s:%s", kind_name, s->name);
        g->actual = s->compliance;
        snprintf(g->worst, sizeof g->worst, "%s", s->name);
    } else {
        snprintf(g->name, sizeof g->name, "%s:all", kind_name);
        g->actual = 1.0;
        g->worst[0] = '\0';
        const ts_score *worst = NULL;
        for (size_t i = 0; i < n; i++)
            if (!worst || scores[i].compliance < worst->compliance)
                worst = &scores[i];
        if (worst) {
            g->actual = worst->compliance;
            snprintf(g->worst, sizeof g->worst, "%s", worst->name);
        }
    }
    g->pass = g->actual + GATE_EPSILON >= g->required;
}

int ts_validate(const ts_trace *trace, ts_validation **out, ts_error *err)
{
    if (!out)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "ts_validate: no output pointer");
    *out = NULL;
    if (!trace)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "ts_validate: no trace");
    int rc = check_tables(trace, err);
    if (rc)
        return rc;

    ts_validation *v = ts_calloc(1, sizeof *v);
    if (!v)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory validating");
    v->n_scores = trace->n_topics + trace->n_components;
    v->n_gates = trace->n_requirements;
    v->scores = ts_calloc(v->n_scores, sizeof *v->scores);
    v->gates = ts_calloc(v->n_gates, sizeof *v->gates);
    if (!v->scores || !v->gates) {
        ts_validation_free(v);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory validating");
    }
    copy_name(v->scenario_name, sizeof v->scenario_name, trace->scenario_name,
              sizeof v->scenario_name);
    v->duration_ns = trace->duration_ns;

    ts_score *topics = v->scores;
    ts_score *components = v->scores + trace->n_topics;
    rc = score_topics(trace, topics, err);
    if (!rc)
        rc = score_components(trace, components, err);
    if (rc) {
        ts_validation_free(v);
        return rc;
    }

    v->all_pass = 1;
    for (size_t i = 0; i < v->n_gates; i++) {
        const ts_trace_requirement *r = &trace->requirements[i];
        int kind = requirement_kind(r);
        if (kind == TS_SCORE_TOPIC)
            eval_gate(&v->gates[i], r, kind, topics, trace->n_topics);
        else
            eval_gate(&v->gates[i], r, kind, components, trace->n_components);
        if (!v->gates[i].pass)
            v->all_pass = 0;
    }
    *out = v;
    return TS_OK;
}

void ts_validation_free(ts_validation *v)
{
    if (!v)
        return;
    ts_free(v->scores);
    ts_free(v->gates);
    ts_free(v);
}
