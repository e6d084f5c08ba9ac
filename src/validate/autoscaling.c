/*
 * Autoscaled services, read from their autoscalers' /events records alone
 * (deploy_autoscale.h lists them). Per service:
 *
 * Cost. The billed replica count is a step function of time: each
 * "replica_start" and "replica_stopped" record carries the count after
 * it. Replica-hours are its integral from the "autoscale" record to the
 * run's end; the cost is replica-hours times the price the "autoscale"
 * record carries (per replica, i.e. per node, and hour: a cloud instance
 * billed by the second while it runs, as the large providers bill Linux
 * on-demand instances; assumption for others).
 *
 * Latency impact. A cold start is the interval from a replica's
 * "replica_start" to its "replica_ready" (or its "replica_stopped" when
 * cancelled, or the run's end); replicas serving from the start have none.
 * A "response" record of one of the service's clients (/clients) was sent
 * at its time less its latency; it counts as sent in a cold start when
 * that instant lies in the union of the cold-start intervals, as steady
 * otherwise. p50 and p99 of each set as the topics' (GSL linear
 * interpolation).
 *
 * Worker pools (a triggered component's replicas with their own
 * autoscaler: its records sit on a replica of no service, and /components
 * groups the replicas by replica_of) are read the same way; their
 * latency is their jobs' (release to finish), a job counting as released
 * in a cold start by its release.
 *
 * Gate "autoscale:<service>": the autoscaler decided at least once and
 * the service answered at least one request (a pool finished at least
 * one job); otherwise there is no evidence it worked, and the gate fails.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "toposim/alloc.h"
#include "validate/validate_internal.h"

typedef struct interval {
    int64_t from, to;
} interval;

static int64_t quantile(const double *sorted, size_t n, double f)
{
    return n ? (int64_t)llround(gsl_stats_quantile_from_sorted_data(sorted, 1, n, f))
             : TS__NO_SAMPLE;
}

static int by_start(const void *a, const void *b)
{
    const interval *x = a, *y = b;
    return x->from < y->from ? -1 : x->from > y->from;
}

/* Sorts and merges intervals in place; returns how many remain. */
static size_t merge(interval *iv, size_t n)
{
    if (n == 0)
        return 0;
    qsort(iv, n, sizeof *iv, by_start);
    size_t k = 0;
    for (size_t i = 1; i < n; i++) {
        if (iv[i].from <= iv[k].to) {
            if (iv[i].to > iv[k].to)
                iv[k].to = iv[i].to;
        } else {
            iv[++k] = iv[i];
        }
    }
    return k + 1;
}

/* 1 when t lies in one of the merged intervals [from, to). */
static int inside(const interval *iv, size_t n, int64_t t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (iv[mid].to <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && iv[lo].from <= t;
}

typedef struct scratch {
    int32_t *svc_of;        /* per component: the service it replicates */
    int32_t *client_of;     /* per component: the service it calls */
    int64_t *cold_from;     /* per component: its open cold start, or -1 */
    interval *iv;
    double *cold, *steady;
} scratch;

/* A count a record may carry: a whole number of replicas. */
static int count_ok(double v)
{
    return v >= 0 && v <= 1e6 && v == floor(v);
}

static int report_one(const ts_trace *t, const ts_trace_event *head, int32_t svc, scratch *x,
                      ts_autoscale_report *r, ts_error *err)
{
    if (!(head->value >= 0) || !isfinite(head->value))
        return ts_error_set(err, TS_EFORMAT, NULL, 0,
                            "/events: an autoscale record with a price that is no "
                            "non-negative number");
    r->price_per_hour = head->value;
    r->cold_p50_ns = r->cold_p99_ns = r->steady_p50_ns = r->steady_p99_ns = TS__NO_SAMPLE;
    int64_t start = head->time_ns, last = start, end = t->duration_ns;
    int32_t billed = 0;
    double billed_ns = 0;
    size_t n_iv = 0;
    r->billed_min = -1;
    for (size_t c = 0; c < t->n_components; c++)
        x->cold_from[c] = -1;
    for (size_t i = 0; i < t->n_events; i++) {
        const ts_trace_event *e = &t->events[i];
        if (e->time_ns < start || !ts__in_range(e->component, t->n_components) ||
            x->svc_of[e->component] != svc)
            continue;
        int32_t c = e->component;
        int start_ev = ts__event_is(e, "replica_start");
        int stop_ev = ts__event_is(e, "replica_stopped");
        if ((start_ev || stop_ev) && !count_ok(e->value))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "/events row %zu: a replica_start or replica_stopped record "
                                "whose count %g is no whole number in 0..1e6", i, e->value);
        if (start_ev || stop_ev) {
            int64_t at = e->time_ns < end ? e->time_ns : end;
            billed_ns += (double)billed * (double)(at - last);
            last = at;
            billed = (int32_t)e->value;
            if (r->billed_peak < billed)
                r->billed_peak = billed;
            if (start_ev) {
                x->cold_from[c] = e->time_ns;
            } else if (x->cold_from[c] >= 0) {
                /* cancelled while starting */
                x->iv[n_iv++] = (interval){x->cold_from[c], e->time_ns};
                x->cold_from[c] = -1;
            }
            /* The least count after the first replicas started. */
            if (e->time_ns > start && (r->billed_min < 0 || billed < r->billed_min))
                r->billed_min = billed;
        } else if (ts__event_is(e, "replica_ready")) {
            if (x->cold_from[c] >= 0 && e->time_ns > x->cold_from[c]) {
                x->iv[n_iv++] = (interval){x->cold_from[c], e->time_ns};
                r->cold_starts++;
            }
            x->cold_from[c] = -1;
        } else if (ts__event_is(e, "autoscale_eval")) {
            r->decisions++;
        } else if (ts__event_is(e, "scale_out")) {
            r->scale_outs++;
        } else if (ts__event_is(e, "scale_in")) {
            r->scale_ins++;
        }
    }
    for (size_t c = 0; c < t->n_components; c++)
        if (x->cold_from[c] >= 0 && x->cold_from[c] < end) {
            x->iv[n_iv++] = (interval){x->cold_from[c], end};
            r->cold_starts++;
        }
    if (end > last)
        billed_ns += (double)billed * (double)(end - last);
    if (r->billed_min < 0 || billed < r->billed_min)
        r->billed_min = billed;
    r->replica_hours = billed_ns / 3.6e12;
    r->cost = r->replica_hours * r->price_per_hour;
    n_iv = merge(x->iv, n_iv);
    for (size_t k = 0; k < n_iv; k++)
        r->cold_ns += x->iv[k].to - x->iv[k].from;
    size_t nc = 0, ns = 0;
    for (size_t i = 0; r->workers && i < t->n_jobs; i++) {
        const ts_trace_job *j = &t->jobs[i];
        if (!ts__in_range(j->component, t->n_components) || x->svc_of[j->component] != svc ||
            j->finish_ns < j->release_ns)
            continue;
        double latency = (double)(j->finish_ns - j->release_ns);
        if (inside(x->iv, n_iv, j->release_ns))
            x->cold[nc++] = latency;
        else
            x->steady[ns++] = latency;
    }
    for (size_t i = 0; !r->workers && i < t->n_events; i++) {
        const ts_trace_event *e = &t->events[i];
        if (!ts__event_is(e, "response") || !ts__in_range(e->component, t->n_components) ||
            x->client_of[e->component] != svc || !(e->value >= 0) || !(e->value < 9e18))
            continue;
        int64_t sent = e->time_ns - (int64_t)e->value;
        if (inside(x->iv, n_iv, sent))
            x->cold[nc++] = e->value;
        else
            x->steady[ns++] = e->value;
    }
    r->cold_responses = nc;
    r->steady_responses = ns;
    gsl_sort(x->cold, 1, nc);
    gsl_sort(x->steady, 1, ns);
    r->cold_p50_ns = quantile(x->cold, nc, 0.50);
    r->cold_p99_ns = quantile(x->cold, nc, 0.99);
    r->steady_p50_ns = quantile(x->steady, ns, 0.50);
    r->steady_p99_ns = quantile(x->steady, ns, 0.99);
    return TS_OK;
}

int ts__score_autoscaling(ts__ctx *c)
{
    const ts_trace *t = c->t;
    ts_validation *v = c->v;
    size_t heads = 0;
    for (size_t i = 0; i < t->n_events; i++)
        heads += ts__event_is(&t->events[i], "autoscale");
    if (heads == 0)
        return TS_OK;
    size_t nc = t->n_components ? t->n_components : 1;
    size_t ne = t->n_events > t->n_jobs ? t->n_events : t->n_jobs;
    ne = ne ? ne : 1;
    scratch x = {
        ts_malloc(nc * sizeof *x.svc_of), ts_malloc(nc * sizeof *x.client_of),
        ts_malloc(nc * sizeof *x.cold_from), ts_malloc(ne * sizeof *x.iv),
        ts_malloc(ne * sizeof *x.cold), ts_malloc(ne * sizeof *x.steady),
    };
    v->autoscaling = ts_calloc(heads, sizeof *v->autoscaling);
    int rc = TS_OK;
    if (!x.svc_of || !x.client_of || !x.cold_from || !x.iv || !x.cold || !x.steady ||
        !v->autoscaling) {
        rc = ts_error_set(c->err, TS_ENOMEM, NULL, 0, "out of memory reading autoscaling");
        goto out;
    }
    for (size_t k = 0; k < nc; k++)
        x.svc_of[k] = x.client_of[k] = -1;
    for (size_t k = 0; k < t->n_service_replicas; k++) {
        const ts_trace_service_replica *sr = &t->service_replicas[k];
        if (ts__in_range(sr->component, t->n_components))
            x.svc_of[sr->component] = sr->service;
    }
    /* a replica of no service belongs to its group's worker pool, if any */
    for (size_t k = 0; k < t->n_components; k++) {
        int32_t first = t->components[k].replica_of;
        if (x.svc_of[k] < 0 && ts__in_range(first, t->n_components))
            x.svc_of[k] = (int32_t)t->n_services + first;
    }
    for (size_t k = 0; k < t->n_clients; k++)
        if (ts__in_range(t->clients[k].component, t->n_components))
            x.client_of[t->clients[k].component] = t->clients[k].service;
    for (size_t i = 0; i < t->n_events; i++) {
        const ts_trace_event *e = &t->events[i];
        if (!ts__event_is(e, "autoscale"))
            continue;
        int32_t svc = ts__in_range(e->component, t->n_components) ? x.svc_of[e->component] : -1;
        if (svc < 0) {
            rc = ts_error_set(c->err, TS_EFORMAT, NULL, 0,
                              "/events row %zu: an autoscale record whose component is no "
                              "service's replica nor a replica of a worker pool", i);
            goto out;
        }
        ts_autoscale_report *r = &v->autoscaling[v->n_autoscaling++];
        if (ts__in_range(svc, t->n_services)) {
            ts__copy_name(r->service, sizeof r->service, t->services[svc].name,
                          sizeof t->services[svc].name);
        } else {
            const ts_trace_component *head = &t->components[svc - (int32_t)t->n_services];
            ts__copy_name(r->service, sizeof r->service, head->name, sizeof head->name);
            r->workers = 1;
        }
        if ((rc = report_one(t, e, svc, &x, r, c->err)) != TS_OK)
            goto out;
    }
out:
    ts_free(x.svc_of);
    ts_free(x.client_of);
    ts_free(x.cold_from);
    ts_free(x.iv);
    ts_free(x.cold);
    ts_free(x.steady);
    return rc;
}

int ts__autoscale_gates(ts__ctx *c)
{
    const ts_validation *v = c->v;
    for (size_t i = 0; i < v->n_autoscaling; i++) {
        const ts_autoscale_report *r = &v->autoscaling[i];
        ts_gate *g = ts__add_gate(c);
        if (!g)
            return ts_error_set(c->err, TS_ENOMEM, NULL, 0, "out of memory for gates");
        snprintf(g->name, sizeof g->name, "autoscale:%s", r->service);
        g->family = TS_FAMILY_INTEGRATION;
        g->unit = TS_UNIT_COUNT;
        g->required = 1;
        snprintf(g->worst, sizeof g->worst, "%s", r->service);
        uint64_t answered = r->cold_responses + r->steady_responses;
        g->actual = (double)r->decisions;
        g->pass = r->decisions > 0 && answered > 0;
        char cold[32], steady[32];
        const char *kind = r->workers ? "workers" : "service";
        if (!g->pass)
            snprintf(g->message, sizeof g->message,
                     "%s %s: %llu autoscaler decisions and %llu %s: no evidence the "
                     "autoscaling worked", kind, r->service,
                     (unsigned long long)r->decisions, (unsigned long long)answered,
                     r->workers ? "finished jobs" : "answered requests");
        else
            snprintf(g->message, sizeof g->message,
                     "%s %s: %llu decisions (%llu out, %llu in), %.4f replica-hours, cost "
                     "%.4f; p99 %s in cold starts against %s steady", kind, r->service,
                     (unsigned long long)r->decisions, (unsigned long long)r->scale_outs,
                     (unsigned long long)r->scale_ins, r->replica_hours, r->cost,
                     ts__fmt_dur(cold, sizeof cold, r->cold_p99_ns),
                     ts__fmt_dur(steady, sizeof steady, r->steady_p99_ns));
    }
    return TS_OK;
}
