/*
 * Performance: deadline compliance per topic and per periodic component,
 * with p50/p90/p99/p99.9/max of the completed samples or jobs. A topic
 * counts per logical subscriber: when a subscriber belongs to a failover
 * group, a sample counts once, against the member serving the group at its
 * send time; samples that member never got in budget inside a failover
 * window are misses and are added to that failover's record. A summary
 * trace adds its windows' counts (exact) and reads percentiles from their
 * histograms (within TS_HIST_REL_ERROR, toposim/histogram.h).
 */
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"
#include "validate/validate_internal.h"

/* Percentiles by GSL's linear interpolation between order statistics,
 * quantile = (1 - d) x[i] + d x[i+1] with i = floor((n - 1) f) (GSL manual,
 * "Statistics: Median and Percentiles"), which is also numpy's and pandas'
 * default, so figures can be rechecked from the trace with pandas. Values
 * are integer ns below 2^53, exact as doubles; results round to the nearest
 * ns. The maximum is tracked on the integers by the caller. */
static void set_percentiles(ts_score *s, double *sorted, size_t n)
{
    if (n == 0) {
        s->p50_ns = s->p90_ns = s->p99_ns = s->p999_ns = TS__NO_SAMPLE;
        return;
    }
    gsl_sort(sorted, 1, n);
    s->p50_ns = (int64_t)llround(gsl_stats_quantile_from_sorted_data(sorted, 1, n, 0.50));
    s->p90_ns = (int64_t)llround(gsl_stats_quantile_from_sorted_data(sorted, 1, n, 0.90));
    s->p99_ns = (int64_t)llround(gsl_stats_quantile_from_sorted_data(sorted, 1, n, 0.99));
    s->p999_ns = (int64_t)llround(gsl_stats_quantile_from_sorted_data(sorted, 1, n, 0.999));
}

/* Nothing measured is never compliant: a topic with no samples scores 0. */
static void set_compliance(ts_score *s)
{
    s->compliance = s->total ? (double)s->met / (double)s->total : 0.0;
}

/* 1 when message m counts for its logical subscriber: always for a
 * subscriber outside a failover group, else only when its subscriber is
 * the member serving the group at the send time. */
static int counts(const ts__ctx *c, const ts_trace_message *m)
{
    int32_t g = c->comp_group[m->subscriber];
    return g < 0 || ts__serving(c, g, m->send_ns) == m->subscriber;
}

/* 1 when a summary window counts for its logical subscriber: as its
 * first sample would (the recorder cuts windows where the member serving
 * a group may change, so all its samples agree). */
static int window_counts(const ts__ctx *c, const ts_trace_topic_window *w)
{
    int32_t g = c->comp_group[w->subscriber];
    return g < 0 || ts__serving(c, g, w->start_ns) == w->subscriber;
}

/* The failover whose window [fault, serving) holds time t for group g. */
static ts_failover *window_of(ts__ctx *c, int32_t g, int64_t t)
{
    for (size_t i = 0; i < c->v->n_failovers; i++) {
        ts_failover *f = &c->v->failovers[i];
        if (f->to >= 0 && c->comp_group[f->to] == g && t >= f->fault_ns && t < f->serving_ns)
            return f;
    }
    return NULL;
}

static void miss_in_window(ts__ctx *c, ts_score *s, const ts_trace_message *m, int lost)
{
    int32_t g = c->comp_group[m->subscriber];
    ts_failover *f = g >= 0 ? window_of(c, g, m->send_ns) : NULL;
    if (f) {
        f->samples_lost++;
        if (lost)
            s->lost_in_failover++;
    }
}

/* Samples are bucketed by topic with one counting pass so that scoring is
 * linear in the message table however many topics there are. */
static int score_topics(ts__ctx *c, ts_score *scores)
{
    const ts_trace *t = c->t;
    size_t nt = t->n_topics;
    size_t *start = ts_calloc(nt + 1, sizeof *start);
    size_t *fill = ts_calloc(nt + 1, sizeof *fill);
    unsigned char *from_windows = ts_calloc(nt + 1, 1);
    double *lat = NULL;
    ts__hist_set *hist = NULL;
    if (!start || !fill || !from_windows)
        goto oom;
    for (size_t i = 0; i < t->n_messages; i++)
        if (t->messages[i].status == TS_MSG_DELIVERED && counts(c, &t->messages[i]))
            start[t->messages[i].topic + 1]++;
    for (size_t i = 0; i < nt; i++)
        start[i + 1] += start[i];
    memcpy(fill, start, (nt + 1) * sizeof *fill);
    lat = ts_malloc((start[nt] ? start[nt] : 1) * sizeof *lat);
    if (!lat)
        goto oom;

    for (size_t i = 0; i < nt; i++) {
        ts_score *s = &scores[i];
        s->kind = TS_SCORE_TOPIC;
        s->index = (int32_t)i;
        ts__copy_name(s->name, sizeof s->name, t->topics[i].name, sizeof t->topics[i].name);
        s->budget_ns = t->topics[i].budget_ns;
        s->max_ns = TS__NO_SAMPLE;
        /* A topic whose windows delivered nothing has no histogram entry
         * to set them from: none, as from rows. */
        s->p50_ns = s->p90_ns = s->p99_ns = s->p999_ns = TS__NO_SAMPLE;
    }
    for (size_t i = 0; i < t->n_messages; i++) {
        const ts_trace_message *m = &t->messages[i];
        if (!counts(c, m))
            continue;
        ts_score *s = &scores[m->topic];
        int64_t budget = s->budget_ns;
        switch (m->status) {
        case TS_MSG_DELIVERED: {
            int64_t latency = m->recv_ns - m->send_ns; /* checked: >= 0 */
            s->total++;
            if (budget == 0 || latency <= budget)
                s->met++;
            else
                miss_in_window(c, s, m, 0);
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
            miss_in_window(c, s, m, 1);
            break;
        default: /* TS_MSG_IN_FLIGHT: a miss only once it is overdue */
            if (budget > 0 && m->send_ns <= t->duration_ns - budget) {
                s->total++;
                miss_in_window(c, s, m, 0);
            }
            break;
        }
    }
    /* A summary trace's windows: their counts add exactly; a topic with
     * any window takes its percentiles from the merged histograms. */
    hist = ts__hist_set_new(t->n_histogram_buckets);
    if (!hist)
        goto oom;
    for (size_t i = 0; i < t->n_topic_windows; i++) {
        const ts_trace_topic_window *w = &t->topic_windows[i];
        if (!window_counts(c, w))
            continue;
        ts_score *s = &scores[w->topic];
        uint64_t failed = w->dropped_queue + w->no_route + w->lost + w->link_down +
                          w->receiver_down;
        s->total += w->delivered + failed;
        s->met += w->met;
        s->lost += failed;
        if (w->max_latency_ns > s->max_ns)
            s->max_ns = w->max_latency_ns;
        if (ts__hist_set_window(hist, t, w->topic, w->hist_first, w->hist_buckets))
            goto oom;
        from_windows[w->topic] = 1;
    }
    for (size_t i = 0; i < nt; i++) {
        int64_t max = scores[i].max_ns;
        if (from_windows[i]) {
            for (size_t k = start[i]; k < start[i + 1]; k++)
                if (ts__hist_set_add(hist, (int32_t)i, ts_hist_bucket((int64_t)lat[k]), 1))
                    goto oom;
        } else {
            set_percentiles(&scores[i], lat + start[i], start[i + 1] - start[i]);
        }
        scores[i].max_ns = max;
        set_compliance(&scores[i]);
    }
    if (ts__hist_set_percentiles(hist, scores))
        goto oom;
    ts__hist_set_free(hist);
    ts_free(from_windows);
    ts_free(lat);
    ts_free(start);
    ts_free(fill);
    return TS_OK;
oom:
    ts__hist_set_free(hist);
    ts_free(from_windows);
    ts_free(lat);
    ts_free(start);
    ts_free(fill);
    return ts_error_set(c->err, TS_ENOMEM, NULL, 0, "out of memory scoring topics");
}

/* 1 when an unfinished job's component was stopped by a fault (its own
 * crash or stop, or its node going down) after the job's release: the
 * job was cut, not late, as the releases the stop prevented are not
 * counted either. The fault is judged by the safety and integration
 * families (failover, safe state, topics delivering). */
int ts__cut_by_fault(const ts__ctx *c, const ts_trace_job *j)
{
    const ts_trace *t = c->t;
    for (size_t i = 0; i < t->n_events; i++) {
        const ts_trace_event *e = &t->events[i];
        if (e->time_ns < j->release_ns)
            continue;
        int stop = ts__event_is(e, "task_stopped") || ts__event_is(e, "fault:component-crash") ||
                   ts__event_is(e, "oom_kill");
        if (stop && e->component == j->component)
            return 1;
        if (ts__event_is(e, "node_down") && e->node >= 0 && e->node == j->node)
            return 1;
    }
    return 0;
}

/* Components with a period (jobs) are scored; a component that never ran
 * a job while periodic scores 0, so an idle controller cannot pass. */
static int score_components(ts__ctx *c, ts_score *scores)
{
    const ts_trace *t = c->t;
    size_t nc = t->n_components;
    size_t *start = ts_calloc(nc + 1, sizeof *start);
    size_t *fill = ts_calloc(nc + 1, sizeof *fill);
    unsigned char *from_windows = ts_calloc(nc + 1, 1);
    double *resp = NULL;
    ts__hist_set *hist = NULL;
    if (!start || !fill || !from_windows)
        goto oom;
    for (size_t i = 0; i < t->n_jobs; i++)
        if (t->jobs[i].finish_ns >= 0)
            start[t->jobs[i].component + 1]++;
    for (size_t i = 0; i < nc; i++)
        start[i + 1] += start[i];
    memcpy(fill, start, (nc + 1) * sizeof *fill);
    resp = ts_malloc((start[nc] ? start[nc] : 1) * sizeof *resp);
    if (!resp)
        goto oom;

    for (size_t i = 0; i < nc; i++) {
        ts_score *s = &scores[i];
        s->kind = TS_SCORE_COMPONENT;
        s->index = (int32_t)i;
        ts__copy_name(s->name, sizeof s->name, t->components[i].name,
                      sizeof t->components[i].name);
        s->budget_ns = t->components[i].deadline_ns;
        s->max_ns = TS__NO_SAMPLE;
        s->p50_ns = s->p90_ns = s->p99_ns = s->p999_ns = TS__NO_SAMPLE;
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
        } else if (j->deadline_ns <= t->duration_ns && !ts__cut_by_fault(c, j)) {
            s->total++; /* unfinished past its deadline */
        }
    }
    hist = ts__hist_set_new(t->n_histogram_buckets);
    if (!hist)
        goto oom;
    for (size_t i = 0; i < t->n_job_windows; i++) {
        const ts_trace_job_window *w = &t->job_windows[i];
        ts_score *s = &scores[w->component];
        s->total += w->finished;
        s->met += w->met;
        if (w->max_response_ns > s->max_ns)
            s->max_ns = w->max_response_ns;
        if (ts__hist_set_window(hist, t, w->component, w->hist_first, w->hist_buckets))
            goto oom;
        from_windows[w->component] = 1;
    }
    for (size_t i = 0; i < nc; i++) {
        int64_t max = scores[i].max_ns;
        if (from_windows[i]) {
            for (size_t k = start[i]; k < start[i + 1]; k++)
                if (ts__hist_set_add(hist, (int32_t)i, ts_hist_bucket((int64_t)resp[k]), 1))
                    goto oom;
        } else {
            set_percentiles(&scores[i], resp + start[i], start[i + 1] - start[i]);
        }
        scores[i].max_ns = max;
        set_compliance(&scores[i]);
    }
    if (ts__hist_set_percentiles(hist, scores))
        goto oom;
    ts__hist_set_free(hist);
    ts_free(from_windows);
    ts_free(resp);
    ts_free(start);
    ts_free(fill);
    return TS_OK;
oom:
    ts__hist_set_free(hist);
    ts_free(from_windows);
    ts_free(resp);
    ts_free(start);
    ts_free(fill);
    return ts_error_set(c->err, TS_ENOMEM, NULL, 0, "out of memory scoring components");
}

/* 1 when a score is one the family holds against: every topic, and every
 * component with a deadline (a component with none runs no periodic jobs
 * and is reported only). */
int ts__score_counts(const ts_score *s)
{
    return s->kind == TS_SCORE_TOPIC || s->budget_ns > 0;
}

int ts__score_performance(ts__ctx *c)
{
    ts_validation *v = c->v;
    const ts_trace *t = c->t;
    v->n_scores = t->n_topics + t->n_components;
    v->scores = ts_calloc(v->n_scores ? v->n_scores : 1, sizeof *v->scores);
    if (!v->scores)
        return ts_error_set(c->err, TS_ENOMEM, NULL, 0, "out of memory validating");
    int rc = score_topics(c, v->scores);
    if (!rc)
        rc = score_components(c, v->scores + t->n_topics);
    if (rc)
        return rc;
    /* The family score is the worst item's compliance (README). */
    double worst = 1.0;
    size_t n = 0;
    for (size_t i = 0; i < v->n_scores; i++) {
        v->scores[i].rollup = (int32_t)i;
        if (!ts__score_counts(&v->scores[i]))
            continue;
        n++;
        if (v->scores[i].compliance < worst)
            worst = v->scores[i].compliance;
    }
    v->family_score[TS_FAMILY_PERFORMANCE] = n ? worst : 0.0;
    v->family_items[TS_FAMILY_PERFORMANCE] = n;
    return TS_OK;
}
