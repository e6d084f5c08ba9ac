/*
 * Baseline comparison: two validations of the same scenario, item by item
 * (matched by name), on p99 latency or response time, miss ratio, failover
 * time, peak temperature and energy. A metric regresses when "after"
 * exceeds the limit the tolerance derives from "before".
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "toposim/alloc.h"
#include "validate/validate_internal.h"

/* The least growth of a p99 that can be a regression (README). */
#define P99_FLOOR_NS 1000.0

ts_tolerance ts_tolerance_default(void)
{
    ts_tolerance t = {0.10, 0.01, 0.10, 2.0, 0.05};
    return t;
}

/* "10%" -> 0.10, "0.1" -> 0.1, "3C" -> 3 (for temp). */
static int parse_amount(const char *s, size_t n, int celsius, double *out)
{
    char buf[32];
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    double d = strtod(buf, &end);
    if (end == buf || !isfinite(d) || d < 0)
        return -1;
    if (*end == '%' && !celsius)
        d /= 100.0, end++;
    else if (celsius && (*end == 'C' || *end == 'c'))
        end++;
    if (*end)
        return -1;
    *out = d;
    return 0;
}

int ts_tolerance_parse(const char *text, ts_tolerance *tol, ts_error *err)
{
    if (!text || !tol)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "tolerance: nothing to parse");
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, ",");
        const char *eq = memchr(p, '=', len);
        if (!eq)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "tolerance \"%.*s\": expected name=value (p99, miss, failover, "
                                "temp, energy)", (int)len, p);
        size_t klen = (size_t)(eq - p);
        const char *val = eq + 1;
        size_t vlen = len - klen - 1;
        double *slot = NULL;
        int celsius = 0;
        if (klen == 3 && !strncmp(p, "p99", 3))
            slot = &tol->p99_ratio;
        else if (klen == 4 && !strncmp(p, "miss", 4))
            slot = &tol->miss_ratio;
        else if (klen == 8 && !strncmp(p, "failover", 8))
            slot = &tol->failover_ratio;
        else if (klen == 4 && !strncmp(p, "temp", 4))
            slot = &tol->temp_c, celsius = 1;
        else if (klen == 6 && !strncmp(p, "energy", 6))
            slot = &tol->energy_ratio;
        if (!slot)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "tolerance \"%.*s\": unknown metric (expected p99, miss, "
                                "failover, temp or energy)", (int)klen, p);
        if (parse_amount(val, vlen, celsius, slot))
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "tolerance \"%.*s\": expected a non-negative %s", (int)len, p,
                                celsius ? "number of degrees (3C)" : "fraction or percentage");
        p += len;
        if (*p == ',')
            p++;
    }
    return TS_OK;
}

typedef struct builder {
    ts_comparison *c;
    size_t cap;
} builder;

static int add(builder *b, const char *metric, const char *item, double before, double after,
               double limit)
{
    ts_comparison *c = b->c;
    if (c->n_deltas == b->cap) {
        size_t ncap = b->cap ? 2 * b->cap : 32;
        ts_delta *d = ts_realloc(c->deltas, ncap * sizeof *d);
        if (!d)
            return TS_ENOMEM;
        c->deltas = d;
        b->cap = ncap;
    }
    ts_delta *d = &c->deltas[c->n_deltas++];
    memset(d, 0, sizeof *d);
    snprintf(d->metric, sizeof d->metric, "%s", metric);
    snprintf(d->item, sizeof d->item, "%s", item);
    d->before = before;
    d->after = after;
    d->limit = limit;
    d->regression = after > limit + 1e-12;
    c->regressions += (size_t)d->regression;
    return TS_OK;
}

static const ts_score *find_score(const ts_validation *v, ts_score_kind kind, const char *name)
{
    for (size_t i = 0; i < v->n_scores; i++)
        if (v->scores[i].kind == kind && strcmp(v->scores[i].name, name) == 0)
            return &v->scores[i];
    return NULL;
}

static int compare_scores(builder *b, const ts_validation *x, const ts_validation *y,
                          const ts_tolerance *tol)
{
    for (size_t i = 0; i < x->n_scores; i++) {
        const ts_score *s = &x->scores[i];
        const ts_score *t = find_score(y, s->kind, s->name);
        if (!t)
            continue;
        int rc = TS_OK;
        /* A floor of 1 us keeps nanosecond noise on a latency near zero
         * (a topic between components of one node) from counting. */
        if (s->p99_ns >= 0 && t->p99_ns >= 0)
            rc = add(b, "p99", s->name, (double)s->p99_ns, (double)t->p99_ns,
                     fmax((double)s->p99_ns * (1.0 + tol->p99_ratio),
                          (double)s->p99_ns + P99_FLOOR_NS));
        if (!rc && s->total && t->total) {
            double before = 1.0 - s->compliance, after = 1.0 - t->compliance;
            rc = add(b, "miss", s->name, before, after, before + tol->miss_ratio);
        }
        if (rc)
            return rc;
    }
    return TS_OK;
}

/* A chain's p99 data age and its miss ratio, as a topic's p99 latency
 * and miss ratio. */
static int compare_chains(builder *b, const ts_validation *x, const ts_validation *y,
                          const ts_tolerance *tol)
{
    for (size_t i = 0; i < x->n_chains; i++) {
        const ts_chain_score *s = &x->chains[i];
        for (size_t k = 0; k < y->n_chains; k++) {
            const ts_chain_score *t = &y->chains[k];
            if (strcmp(s->name, t->name) != 0)
                continue;
            int rc = TS_OK;
            if (s->age_p99_ns >= 0 && t->age_p99_ns >= 0)
                rc = add(b, "p99", s->name, (double)s->age_p99_ns, (double)t->age_p99_ns,
                         fmax((double)s->age_p99_ns * (1.0 + tol->p99_ratio),
                              (double)s->age_p99_ns + P99_FLOOR_NS));
            if (!rc && s->outputs + s->dropped && t->outputs + t->dropped) {
                double before = 1.0 - s->compliance, after = 1.0 - t->compliance;
                rc = add(b, "miss", s->name, before, after, before + tol->miss_ratio);
            }
            if (rc)
                return rc;
            break;
        }
    }
    return TS_OK;
}

static int compare_failovers(builder *b, const ts_validation *x, const ts_validation *y,
                             const ts_tolerance *tol)
{
    for (size_t i = 0; i < x->n_failovers; i++) {
        const ts_failover *f = &x->failovers[i];
        for (size_t k = 0; k < y->n_failovers; k++) {
            const ts_failover *g = &y->failovers[k];
            if (strcmp(f->group, g->group) != 0 || strcmp(f->serving, g->serving) != 0)
                continue;
            int rc = add(b, "failover", f->group, (double)f->took_ns, (double)g->took_ns,
                         (double)f->took_ns * (1.0 + tol->failover_ratio));
            if (rc)
                return rc;
            break;
        }
    }
    return TS_OK;
}

static int compare_nodes(builder *b, const ts_validation *x, const ts_validation *y,
                         const ts_tolerance *tol)
{
    for (size_t i = 0; i < x->n_nodes; i++) {
        const ts_node_health *h = &x->nodes[i];
        for (size_t k = 0; k < y->n_nodes; k++) {
            const ts_node_health *j = &y->nodes[k];
            if (strcmp(h->name, j->name) != 0)
                continue;
            int rc = TS_OK;
            if (!isnan(h->temp_peak_c) && !isnan(j->temp_peak_c))
                rc = add(b, "temp", h->name, h->temp_peak_c, j->temp_peak_c,
                         h->temp_peak_c + tol->temp_c);
            if (!rc && h->energy_j > 0 && isfinite(j->energy_j))
                rc = add(b, "energy", h->name, h->energy_j, j->energy_j,
                         h->energy_j * (1.0 + tol->energy_ratio));
            if (rc)
                return rc;
            break;
        }
    }
    return TS_OK;
}

int ts_validation_compare(const ts_validation *before, const ts_validation *after,
                          const ts_tolerance *tol, ts_comparison **out, ts_error *err)
{
    if (!out)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "compare: no output pointer");
    *out = NULL;
    if (!before || !after)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "compare: missing validation");
    ts_tolerance def = ts_tolerance_default();
    if (!tol)
        tol = &def;
    builder b = {ts_calloc(1, sizeof *b.c), 0};
    if (!b.c)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory comparing");
    b.c->same_scenario = strcmp(before->scenario_name, after->scenario_name) == 0;
    int rc = compare_scores(&b, before, after, tol);
    if (!rc)
        rc = compare_chains(&b, before, after, tol);
    if (!rc)
        rc = compare_failovers(&b, before, after, tol);
    if (!rc)
        rc = compare_nodes(&b, before, after, tol);
    if (rc) {
        ts_comparison_free(b.c);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory comparing");
    }
    *out = b.c;
    return TS_OK;
}

void ts_comparison_free(ts_comparison *c)
{
    if (!c)
        return;
    ts_free(c->deltas);
    ts_free(c);
}

/* A metric's value in its unit. */
static const char *fmt_metric(char *buf, size_t size, const char *metric, double v)
{
    if (!strcmp(metric, "p99") || !strcmp(metric, "failover"))
        return ts__fmt_dur(buf, size, (int64_t)llround(v));
    if (!strcmp(metric, "miss"))
        snprintf(buf, size, "%.3f%%", 100.0 * v);
    else if (!strcmp(metric, "temp"))
        snprintf(buf, size, "%.2fC", v);
    else
        snprintf(buf, size, "%.1fJ", v);
    return buf;
}

void ts_comparison_print_text(const ts_comparison *c, FILE *out)
{
    if (!c || !out)
        return;
    char name[TS__LINE_MAX / 4], a[32], b2[32], l[32];
    fprintf(out, "Baseline comparison%s\n", c->same_scenario ? "" : " (DIFFERENT SCENARIOS)");
    fprintf(out, "  %-8s %s %10s %10s %8s %10s  %s\n", "metric",
            ts__term_text(name, sizeof name, "item", 24, 1), "before", "after", "change",
            "limit", "verdict");
    for (size_t i = 0; i < c->n_deltas; i++) {
        const ts_delta *d = &c->deltas[i];
        char change[32];
        if (d->before != 0)
            snprintf(change, sizeof change, "%+.1f%%", 100.0 * (d->after - d->before) / d->before);
        else
            snprintf(change, sizeof change, "%s", d->after == 0 ? "0" : "new");
        fprintf(out, "  %-8s %s %10s %10s %8s %10s  %s\n", d->metric,
                ts__term_text(name, sizeof name, d->item, 24, 1),
                fmt_metric(a, sizeof a, d->metric, d->before),
                fmt_metric(b2, sizeof b2, d->metric, d->after), change,
                fmt_metric(l, sizeof l, d->metric, d->limit), d->regression ? "REGRESSION" : "ok");
    }
    if (!c->n_deltas)
        fputs("  (nothing in common to compare)\n", out);
    fprintf(out, "BASELINE: %s (%zu regression(s) in %zu comparisons)\n",
            c->regressions ? "REGRESSION" : "OK", c->regressions, c->n_deltas);
}

void ts_comparison_print_json(const ts_comparison *c, FILE *out)
{
    if (!c || !out)
        return;
    char buf[40];
    fputs("[", out);
    for (size_t i = 0; i < c->n_deltas; i++) {
        const ts_delta *d = &c->deltas[i];
        fprintf(out, "%s{\"metric\": \"%s\", \"item\": ", i ? ",\n    " : "\n    ", d->metric);
        ts__json_string(out, d->item);
        fprintf(out, ", \"before\": %s", ts__fmt_double(buf, sizeof buf, d->before));
        fprintf(out, ", \"after\": %s", ts__fmt_double(buf, sizeof buf, d->after));
        fprintf(out, ", \"limit\": %s, \"regression\": %s}", ts__fmt_double(buf, sizeof buf, d->limit),
                d->regression ? "true" : "false");
    }
    fputs(c->n_deltas ? "\n  ]" : "]", out);
}
