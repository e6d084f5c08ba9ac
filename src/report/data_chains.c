/* Chain plots (trace format 6, /chains and /chain_instances): per chain
 * the data age of each output over time (output time on x, output time
 * minus input time on y; Becker et al., JSA 2017, "data age") against the
 * chain's budget, with outputs over the budget and dropped instances
 * marked, and the CDF of the outputs' data age. A fleet's copies of a
 * chain ("name", "name_r1", ...) share one plot of each, all copies'
 * outputs together. Drawn only when the trace has chains. One pass over
 * the instances per chain group; the only buffer that grows with the run
 * is one group's data ages, for the CDF's sort. */
#include <stdlib.h>
#include <string.h>

#include "report/report_internal.h"
#include "toposim/alloc.h"

#define TS__CDF_POINTS 2000
#define NS_PER_MS 1e6

/* What one chain group's pass collects. */
typedef struct chain_pass {
    ts__thin all, late, dropped;
    size_t n_outputs;           /* into r->samples: data ages in ns */
    uint64_t n_late, n_dropped;
} chain_pass;

static int write_points(const ts__report *r, const char *file, const char *header,
                        ts__thin *s, ts_error *err)
{
    ts__atomic_file f;
    int rc = ts__report_open(r, file, &f, err);
    if (rc != TS_OK)
        return rc;
    fprintf(f.fp, "%s\n", header);
    const ts__point *p;
    size_t n = ts__thin_points(s, &p);
    for (size_t i = 0; i < n; i++) {
        ts__csv_time(f.fp, p[i].t);
        fprintf(f.fp, ",%.9g\n", p[i].y);
    }
    return ts__atomic_commit(&f, err);
}

/* Data age over time: the budget, every output (thinned), those over the
 * budget, and dropped instances at their input time, drawn at the budget
 * (at 0 when the chain has none). */
static int write_age_series(ts__report *r, size_t index, const char *name, const char *label,
                            chain_pass *cp, int64_t budget_ns, ts_error *err)
{
    char title[256];
    snprintf(title, sizeof title, "Data age over time: %s", label);
    ts__plot *p = ts__report_add_plot(r, TS__SEC_CHAINS, "chain-age", index, name, title,
                                      err);
    if (!p)
        return TS_ENOMEM;
    const char *d_all = ts__plot_data(p, "");
    const char *d_late = ts__plot_data(p, "-late");
    const char *d_drop = ts__plot_data(p, "-dropped");
    int rc = write_points(r, d_all, "output_s,data_age_ms", &cp->all, err);
    if (rc == TS_OK)
        rc = write_points(r, d_late, "output_s,data_age_ms", &cp->late, err);
    if (rc == TS_OK)
        rc = write_points(r, d_drop, "input_s,budget_ms", &cp->dropped, err);
    if (rc != TS_OK)
        return rc;
    ts__atomic_file f;
    rc = ts__gp_open(r, p, 420, &f, err);
    if (rc != TS_OK)
        return rc;
    FILE *fp = f.fp;
    fputs("  set title ", fp);
    ts__gp_str(fp, title);
    fputs("\n  set xlabel 'output time (s); dropped instances at their input time'\n"
          "  set ylabel 'data age: output - input (ms)'\n", fp);
    fprintf(fp, "  set grid\n  set key below\n  set xrange [0:%.9g]\n  set yrange [0:*]\n"
                "  set offsets 0, 0, graph 0.08, 0\n",
            (double)r->span_ns / 1e9);
    const char *sep = "  plot ";
    int drawn = 0;
    /* The budget first, so that the marks drawn at it stay on top. */
    if (budget_ns > 0) {
        fprintf(fp, "%s%.9g with lines dt 2 lw 2 lc rgb 'red' title 'budget %g ms'", sep,
                budget_ns / NS_PER_MS, budget_ns / NS_PER_MS);
        sep = ", \\\n    ";
        drawn = 1;
    }
    if (cp->all.added) {
        fprintf(fp, "%s'%s' using 1:2 with points pt 7 ps %s lc rgb '#1f77b4' "
                    "title 'data age (%llu outputs, %zu points drawn)'",
                sep, d_all, cp->all.n_raw > 500 ? "0.3" : "0.7",
                (unsigned long long)cp->all.added, cp->all.n_raw);
        sep = ", \\\n    ";
        drawn = 1;
    }
    if (cp->n_late) {
        fprintf(fp, "%s'%s' using 1:2 with points pt 9 ps 0.8 lc rgb 'red' "
                    "title 'over the budget (%llu)'",
                sep, d_late, (unsigned long long)cp->n_late);
        sep = ", \\\n    ";
        drawn = 1;
    }
    if (cp->n_dropped) {
        fprintf(fp, "%s'%s' using 1:2 with points pt 2 ps 1 lw 1.5 lc rgb 'black' "
                    "title 'dropped (%llu), drawn at %s'",
                sep, d_drop, (unsigned long long)cp->n_dropped,
                budget_ns > 0 ? "the budget" : "0");
        drawn = 1;
    }
    if (!drawn)
        fputs("  plot NaN title 'no outputs'", fp);
    fputs("\n", fp);
    return ts__gp_close(&f, err);
}

/* The CDF of the data age of r->samples[0..n) (ns) against the budget. */
static int write_age_cdf(ts__report *r, size_t index, const char *name, const char *label,
                         size_t n, uint64_t n_dropped, int64_t budget_ns, ts_error *err)
{
    double *x = r->samples;
    qsort(x, n, sizeof *x, ts__cmp_double);
    size_t *idx = ts_malloc(TS__CDF_POINTS * sizeof *idx);
    if (!idx)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory for a CDF");
    size_t m = ts__cdf_ranks(x, n, TS__CDF_POINTS, idx);
    char title[256];
    snprintf(title, sizeof title, "Data age CDF: %s", label);
    ts__plot *p = ts__report_add_plot(r, TS__SEC_CHAINS, "chain-age-cdf", index, name, title,
                                      err);
    int rc = p ? TS_OK : TS_ENOMEM;
    const char *data = p ? ts__plot_data(p, "") : NULL;
    ts__atomic_file f;
    if (rc == TS_OK)
        rc = ts__report_open(r, data, &f, err);
    if (rc == TS_OK) {
        fputs("data_age_ms,fraction_at_or_below\n", f.fp);
        /* The step up from 0 at the lowest age, so that a single distinct
         * value still draws a line. */
        fprintf(f.fp, "%.9g,0\n", x[0] / NS_PER_MS);
        for (size_t i = 0; i < m; i++)
            fprintf(f.fp, "%.9g,%.9g\n", x[idx[i]] / NS_PER_MS,
                    (double)(idx[i] + 1) / (double)n);
        rc = ts__atomic_commit(&f, err);
    }
    ts_free(idx);
    if (rc == TS_OK)
        rc = ts__gp_open(r, p, 420, &f, err);
    if (rc != TS_OK)
        return rc;
    double lo = x[0] / NS_PER_MS, hi = x[n - 1] / NS_PER_MS, b = budget_ns / NS_PER_MS;
    if (budget_ns > 0 && b > hi)
        hi = b;
    if (hi <= lo)
        hi = lo + 1;
    FILE *fp = f.fp;
    fputs("  set title ", fp);
    ts__gp_str(fp, title);
    fputs("\n  set xlabel 'data age: output - input (ms)'\n"
          "  set ylabel 'fraction of outputs at or below'\n"
          "  set grid\n  set key below\n  set yrange [0:1.02]\n", fp);
    fprintf(fp, "  set xrange [0:%.9g]\n", hi * 1.05);
    if (budget_ns > 0)
        fprintf(fp, "  set arrow 1 from %.9g, graph 0 to %.9g, graph 1 nohead dt 2 lw 2 "
                    "lc rgb 'red'\n", b, b);
    fprintf(fp, "  plot '%s' using 1:2 with steps lw 2 title sprintf('%%s (%zu outputs, "
                "%llu dropped, not in the curve)', ",
            data, n, (unsigned long long)n_dropped);
    ts__gp_str(fp, label);
    fputs(")", fp);
    /* keyentry: a legend line for the arrow (gnuplot 5.4 manual, "keyentry"). */
    if (budget_ns > 0)
        fprintf(fp, ", \\\n    keyentry with lines dt 2 lw 2 lc rgb 'red' title 'budget %g ms'",
                b);
    fputs("\n", fp);
    return ts__gp_close(&f, err);
}

static int chain_group(ts__report *r, const ts__groups *g, size_t gi, ts_error *err)
{
    const ts_trace *t = r->t;
    const ts_trace_chain *first = &t->chains[g->rows[g->first[gi]]];
    size_t copies = g->count[gi];
    int64_t budget = first->budget_ns;
    char label[TS_TRACE_NAME_LEN + 16];
    if (copies > 1)
        snprintf(label, sizeof label, "%.*s x%zu", (int)ts__base_len(first->name),
                 first->name, copies);
    else
        snprintf(label, sizeof label, "%s", first->name);
    chain_pass cp;
    memset(&cp, 0, sizeof cp);
    int rc = ts__thin_init(&cp.all, TS_REPORT_MAX_BUCKETS, r->span_ns, err);
    if (rc == TS_OK)
        rc = ts__thin_init(&cp.late, TS_REPORT_MAX_BUCKETS, r->span_ns, err);
    if (rc == TS_OK)
        rc = ts__thin_init(&cp.dropped, TS_REPORT_MAX_BUCKETS, r->span_ns, err);
    for (size_t i = 0; rc == TS_OK && i < t->n_chain_instances; i++) {
        const ts_trace_chain_instance *c = &t->chain_instances[i];
        if (c->chain < 0 || (size_t)c->chain >= t->n_chains ||
            (size_t)g->group_of[c->chain] != gi)
            continue;
        if (c->dropped) {
            cp.n_dropped++;
            rc = ts__thin_add(&cp.dropped, c->input_ns, budget > 0 ? budget / NS_PER_MS : 0,
                              err);
            continue;
        }
        if (c->output_ns < c->input_ns)
            continue; /* the trace's reader refuses these; never drawn */
        int64_t age = c->output_ns - c->input_ns;
        if (cp.n_outputs == r->cap_samples &&
            (rc = ts__report_reserve(r, r->cap_samples ? 2 * r->cap_samples : 4096, err)) !=
                TS_OK)
            break;
        r->samples[cp.n_outputs++] = (double)age;
        rc = ts__thin_add(&cp.all, c->output_ns, age / NS_PER_MS, err);
        if (rc == TS_OK && budget > 0 && age > budget) {
            cp.n_late++;
            rc = ts__thin_add(&cp.late, c->output_ns, age / NS_PER_MS, err);
        }
    }
    if (rc == TS_OK)
        rc = write_age_series(r, gi, first->name, label, &cp, budget, err);
    if (rc == TS_OK && cp.n_outputs > 0)
        rc = write_age_cdf(r, gi, first->name, label, cp.n_outputs, cp.n_dropped, budget,
                           err);
    ts__thin_fini(&cp.all);
    ts__thin_fini(&cp.late);
    ts__thin_fini(&cp.dropped);
    return rc;
}

int ts__report_chains(ts__report *r, ts_error *err)
{
    const ts_trace *t = r->t;
    if (t->n_chains == 0)
        return TS_OK;
    ts__groups g;
    int rc = ts__groups_build(&g, t->chains[0].name, sizeof t->chains[0], t->n_chains, err);
    for (size_t gi = 0; rc == TS_OK && gi < g.n_groups; gi++)
        rc = chain_group(r, &g, gi, err);
    ts__groups_free(&g);
    return rc;
}
