/* Timing plots: per topic the latency CDF (log x) against its budget and
 * the latency over time with late and lost samples marked; per component
 * the response time over time against its deadline with misses marked.
 * A fleet's copies of a topic or component share one CDF (all copies'
 * samples) and one band over time (each robot's worst per window). One
 * pass over the messages or jobs per item group; the only buffer that
 * grows with the run is one group's latencies, for the CDF's sort. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_internal.h"
#include "toposim/alloc.h"
#include "toposim/histogram.h"

#define TS__WORST_SHOWN 3
#define TS__FLEET_BUCKETS 500
#define TS__CDF_POINTS 2000
#define NS_PER_MS 1e6

/* What one item group's pass collects. */
typedef struct timing {
    int fleet;              /* more than one copy: a band, not a series */
    ts__thin all, late, lost;
    ts__band band;
    size_t n_samples;       /* into r->samples (topics: for the CDF) */
    uint64_t n_late, n_lost;
} timing;

static int timing_init(timing *tm, const ts__report *r, size_t members, ts_error *err)
{
    memset(tm, 0, sizeof *tm);
    tm->fleet = members > 1;
    if (tm->fleet)
        return ts__band_init(&tm->band, members, TS__FLEET_BUCKETS, r->span_ns,
                             TS__BAND_MAX, err);
    int rc = ts__thin_init(&tm->all, TS_REPORT_MAX_BUCKETS, r->span_ns, err);
    if (rc == TS_OK)
        rc = ts__thin_init(&tm->late, TS_REPORT_MAX_BUCKETS, r->span_ns, err);
    if (rc == TS_OK)
        rc = ts__thin_init(&tm->lost, TS_REPORT_MAX_BUCKETS, r->span_ns, err);
    return rc;
}

static void timing_fini(timing *tm)
{
    ts__thin_fini(&tm->all);
    ts__thin_fini(&tm->late);
    ts__thin_fini(&tm->lost);
    ts__band_free(&tm->band);
}

/* A group's label: its base name, "name xN" for a fleet's copies. */
static void group_label(char *buf, size_t size, const char *name, size_t copies)
{
    if (copies > 1)
        snprintf(buf, size, "%.*s x%zu", (int)ts__base_len(name), name, copies);
    else
        snprintf(buf, size, "%s", name);
}

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

/* Tics at 1, 2 and 5 of each decade of [lo, hi]: gnuplot's own log tics
 * are decades only, which leaves a narrow range unlabelled. */
static void log_tics(FILE *fp, double lo, double hi)
{
    fputs("  set xtics (", fp);
    const char *sep = "";
    /* Past three decades 1-2-5 would crowd: decades alone. */
    int per_decade = hi / lo > 1000 ? 1 : 3;
    for (double d = pow(10, floor(log10(lo))); d <= hi; d *= 10)
        for (int m = 0; m < per_decade; m++) {
            static const double mult[3] = {1, 2, 5};
            double x = d * mult[m];
            if (x >= lo && x <= hi) {
                fprintf(fp, "%s'%g' %.9g", sep, x, x);
                sep = ", ";
            }
        }
    fputs(")\n", fp);
}

/* The CDF plot of m points (latency ns, fraction at or below) over n
 * samples from lo_ns to hi_ns, against the budget (ns, 0: none). */
static int write_cdf_points(ts__report *r, size_t index, const char *name, const char *label,
                            const double *xs, const double *fs, size_t m, size_t n,
                            double lo_ns, double hi_ns, int64_t budget_ns, ts_error *err)
{
    char title[256];
    snprintf(title, sizeof title, "Latency CDF: %s", label);
    ts__plot *p = ts__report_add_plot(r, TS__SEC_TOPICS, "latency-cdf", index, name,
                                      title, err);
    if (!p)
        return TS_ENOMEM;
    const char *data = ts__plot_data(p, "");
    ts__atomic_file f;
    int rc = ts__report_open(r, data, &f, err);
    if (rc != TS_OK)
        return rc;
    fputs("latency_ms,fraction_at_or_below\n", f.fp);
    /* The step up from 0 at the lowest sample, so that even a single
     * distinct value draws a line. */
    fprintf(f.fp, "%.9g,0\n", lo_ns / NS_PER_MS);
    for (size_t i = 0; i < m; i++)
        fprintf(f.fp, "%.9g,%.9g\n", xs[i] / NS_PER_MS, fs[i]);
    rc = ts__atomic_commit(&f, err);
    if (rc != TS_OK)
        return rc;

    /* Log x: zero latency (same node) is drawn at 1 ns. */
    double floor_ms = 1e-6;
    double lo = lo_ns / NS_PER_MS, hi = hi_ns / NS_PER_MS, b = budget_ns / NS_PER_MS;
    int zero = lo < floor_ms;
    if (lo < floor_ms)
        lo = floor_ms;
    if (budget_ns > 0 && b < lo)
        lo = b;
    if (budget_ns > 0 && b > hi)
        hi = b;
    if (hi < lo)
        hi = lo;
    rc = ts__gp_open(r, p, 480, &f, err);
    if (rc != TS_OK)
        return rc;
    FILE *fp = f.fp;
    fputs("  set title ", fp);
    ts__gp_str(fp, title);
    fprintf(fp, "\n  set xlabel 'latency (ms, log scale%s)'\n", zero ? "; 0 drawn at 1 ns" : "");
    fputs("  set ylabel 'fraction of samples at or below'\n"
          "  set logscale x\n  set grid\n  set key below\n"
          "  set yrange [0:1.02]\n", fp);
    fprintf(fp, "  set xrange [%.9g:%.9g]\n", lo / 2, hi * 2);
    log_tics(fp, lo / 2, hi * 2);
    if (budget_ns > 0)
        fprintf(fp, "  set arrow 1 from %.9g, graph 0 to %.9g, graph 1 nohead dt 2 lw 2 "
                    "lc rgb 'red'\n", b, b);
    fprintf(fp, "  plot '%s' using ($1 > %g ? $1 : %g):2 with steps lw 2 "
                "title sprintf('%%s (%zu samples)', ",
            data, floor_ms, floor_ms, n);
    ts__gp_str(fp, label);
    fputs(")", fp);
    /* keyentry: a legend line for the arrow (gnuplot 5.4 manual, "keyentry"). */
    if (budget_ns > 0)
        fprintf(fp, ", \\\n    keyentry with lines dt 2 lw 2 lc rgb 'red' title 'budget %g ms'",
                b);
    fputs("\n", fp);
    return ts__gp_close(&f, err);
}

/* The CDF of r->samples[0..n) in ms, over the budget (ns, 0: none). */
static int write_cdf(ts__report *r, size_t index, const char *name, const char *label,
                     size_t n, int64_t budget_ns, ts_error *err)
{
    double *x = r->samples;
    qsort(x, n, sizeof *x, ts__cmp_double);
    size_t *idx = ts_malloc(TS__CDF_POINTS * sizeof *idx);
    double *xs = ts_malloc(TS__CDF_POINTS * sizeof *xs);
    double *fs = ts_malloc(TS__CDF_POINTS * sizeof *fs);
    int rc = TS_OK;
    if (!idx || !xs || !fs) {
        rc = ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory for a CDF");
    } else {
        size_t m = ts__cdf_ranks(x, n, TS__CDF_POINTS, idx);
        for (size_t i = 0; i < m; i++) {
            xs[i] = x[idx[i]];
            fs[i] = (double)(idx[i] + 1) / (double)n;
        }
        rc = write_cdf_points(r, index, name, label, xs, fs, m, n, x[0], x[n - 1], budget_ns,
                              err);
    }
    ts_free(idx);
    ts_free(xs);
    ts_free(fs);
    return rc;
}

/* The CDF of a summary trace's topic group: the buckets of its windows'
 * histograms (plus the latencies of its full rows, r->samples[0..n)),
 * each drawn at its bucket's greatest value, so the curve is within the
 * buckets' width (toposim/histogram.h) of the samples' own. */
static int write_cdf_buckets(ts__report *r, const ts__groups *g, size_t gi, const char *name,
                             const char *label, size_t n_rows, int64_t budget_ns,
                             ts_error *err)
{
    const ts_trace *t = r->t;
    uint64_t *dense = ts_calloc(TS_HIST_BUCKETS, sizeof *dense);
    double *xs = ts_malloc(TS_HIST_BUCKETS * sizeof *xs);
    double *fs = ts_malloc(TS_HIST_BUCKETS * sizeof *fs);
    int rc = TS_OK;
    if (!dense || !xs || !fs) {
        rc = ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory for a CDF");
        goto out;
    }
    uint64_t total = 0;
    int64_t lo = INT64_MAX, hi = 0;
    for (size_t i = 0; i < t->n_topic_windows; i++) {
        const ts_trace_topic_window *w = &t->topic_windows[i];
        if ((size_t)g->group_of[w->topic] != gi)
            continue;
        for (int32_t k = 0; k < w->hist_buckets; k++) {
            const ts_hist_pair *p = &t->histogram_buckets[w->hist_first + (uint64_t)k];
            dense[p->bucket] += p->count;
            total += p->count;
        }
        if (w->delivered && w->max_latency_ns > hi)
            hi = w->max_latency_ns;
    }
    for (size_t i = 0; i < n_rows; i++) {
        int64_t v = (int64_t)r->samples[i];
        dense[ts_hist_bucket(v)]++;
        total++;
        if (v > hi)
            hi = v;
    }
    size_t m = 0;
    uint64_t seen = 0;
    for (int32_t b = 0; b < TS_HIST_BUCKETS; b++) {
        if (!dense[b])
            continue;
        if (lo == INT64_MAX)
            lo = ts_hist_bucket_low(b);
        seen += dense[b];
        int64_t top = ts_hist_bucket_high(b);
        xs[m] = (double)(top < hi ? top : hi);
        fs[m++] = (double)seen / (double)total;
    }
    if (total)
        rc = write_cdf_points(r, gi, name, label, xs, fs, m, (size_t)total, (double)lo,
                              (double)hi, budget_ns, err);
out:
    ts_free(dense);
    ts_free(xs);
    ts_free(fs);
    return rc;
}

/* The series over time of a single item: all points, late, lost. */
static int write_series(ts__report *r, ts__section sec, const char *prefix, size_t index,
                        const char *name, const char *what, const char *xwhat,
                        timing *tm, int64_t limit_ns, const char *limit_name,
                        const char *lost_name, ts_error *err)
{
    char title[256];
    snprintf(title, sizeof title, "%s over time: %s", what, name);
    ts__plot *p = ts__report_add_plot(r, sec, prefix, index, name, title, err);
    if (!p)
        return TS_ENOMEM;
    const char *d_all = ts__plot_data(p, "");
    const char *d_late = ts__plot_data(p, "-late");
    const char *d_lost = ts__plot_data(p, "-lost");
    char header[128];
    snprintf(header, sizeof header, "%s_s,value_ms", xwhat);
    int rc = write_points(r, d_all, header, &tm->all, err);
    if (rc == TS_OK)
        rc = write_points(r, d_late, header, &tm->late, err);
    if (rc == TS_OK)
        rc = write_points(r, d_lost, header, &tm->lost, err);
    if (rc != TS_OK)
        return rc;
    ts__atomic_file f;
    rc = ts__gp_open(r, p, 420, &f, err);
    if (rc != TS_OK)
        return rc;
    FILE *fp = f.fp;
    fputs("  set title ", fp);
    ts__gp_str(fp, title);
    fprintf(fp, "\n  set xlabel '%s time (s)'\n  set ylabel '%s (ms)'\n", xwhat, what);
    fprintf(fp, "  set grid\n  set key below\n  set xrange [0:%.9g]\n  set yrange [0:*]\n"
                "  set offsets 0, 0, graph 0.08, 0\n",
            (double)r->span_ns / 1e9);
    const char *sep = "  plot ";
    int drawn = 0;
    /* The limit first, so that the marks drawn at it stay on top. */
    if (limit_ns > 0) {
        fprintf(fp, "%s%.9g with lines dt 2 lw 2 lc rgb 'red' title '%s %g ms'", sep,
                limit_ns / NS_PER_MS, limit_name, limit_ns / NS_PER_MS);
        sep = ", \\\n    ";
        drawn = 1;
    }
    if (tm->all.added) {
        /* Small points where they crowd, visible ones where they are few. */
        fprintf(fp, "%s'%s' using 1:2 with points pt 7 ps %s lc rgb '#1f77b4' "
                    "title '%s (%llu samples, %zu points drawn)'",
                sep, d_all, tm->all.n_raw > 500 ? "0.3" : "0.7", what,
                (unsigned long long)tm->all.added, tm->all.n_raw);
        sep = ", \\\n    ";
        drawn = 1;
    }
    if (tm->n_late) {
        fprintf(fp, "%s'%s' using 1:2 with points pt 9 ps 0.8 lc rgb 'red' "
                    "title 'over the %s (%llu)'",
                sep, d_late, limit_name, (unsigned long long)tm->n_late);
        sep = ", \\\n    ";
        drawn = 1;
    }
    if (tm->n_lost) {
        fprintf(fp, "%s'%s' using 1:2 with points pt 2 ps 1 lw 1.5 lc rgb 'black' "
                    "title '%s (%llu), drawn at the %s'",
                sep, d_lost, lost_name, (unsigned long long)tm->n_lost,
                limit_name);
        sep = ", \\\n    ";
        drawn = 1;
    }
    if (!drawn) /* nothing at all to draw */
        fprintf(fp, "  plot NaN title 'no samples'");
    fputs("\n", fp);
    return ts__gp_close(&f, err);
}

/* A fleet's band over time: min..max of the robots' worst per window,
 * the median, and the worst few robots as lines. */
static int write_band(ts__report *r, const char *prefix, size_t index, const char *name,
                      const char *label, const char *what, timing *tm,
                      const char *first_name, size_t stride, const ts__groups *g,
                      size_t group, int64_t limit_ns, const char *limit_name,
                      ts_error *err)
{
    char title[256];
    snprintf(title, sizeof title, "%s over time, fleet: %s", what, label);
    ts__plot *p = ts__report_add_plot(r, TS__SEC_FLEETS, prefix, index, name, title, err);
    if (!p)
        return TS_ENOMEM;
    const char *data = ts__plot_data(p, "");
    size_t worst[TS__WORST_SHOWN];
    size_t k = ts__band_worst(&tm->band, TS__WORST_SHOWN, worst);
    const char *names[TS__WORST_SHOWN];
    for (size_t i = 0; i < k; i++)
        names[i] = first_name + g->rows[g->first[group] + worst[i]] * stride;
    ts__atomic_file f;
    int rc = ts__report_open(r, data, &f, err);
    if (rc == TS_OK)
        rc = ts__band_write(&tm->band, f.fp, worst, k, names, 1.0 / NS_PER_MS, err);
    if (rc != TS_OK) {
        ts__atomic_abort(&f);
        return rc;
    }
    rc = ts__atomic_commit(&f, err);
    if (rc != TS_OK)
        return rc;
    rc = ts__gp_open(r, p, 420, &f, err);
    if (rc != TS_OK)
        return rc;
    FILE *fp = f.fp;
    fputs("  set title ", fp);
    ts__gp_str(fp, title);
    fprintf(fp, "\n  set xlabel 'time (s)'\n  set ylabel '%s, worst per %.3g s window (ms)'\n",
            what, (double)r->span_ns / 1e9 / (double)tm->band.buckets);
    fprintf(fp, "  set grid\n  set key below\n  set xrange [0:%.9g]\n  set yrange [0:*]\n"
                "  set offsets 0, 0, graph 0.08, 0\n",
            (double)r->span_ns / 1e9);
    fprintf(fp, "  plot '%s' using 1:2:4 with filledcurves fs solid 0.25 lc rgb '#1f77b4' "
                "title 'all %zu robots, min..max', \\\n"
                "    '' using 1:3 with lines lw 1 lc rgb '#1f77b4' title 'median'",
            data, tm->band.members);
    for (size_t i = 0; i < k; i++) {
        fprintf(fp, ", \\\n    '' using 1:%zu with lines lw 2 title ", 5 + i);
        char t[TS_TRACE_NAME_LEN + 16];
        snprintf(t, sizeof t, "worst %zu: %s", i + 1, names[i]);
        ts__gp_str(fp, t);
    }
    if (limit_ns > 0)
        fprintf(fp, ", \\\n    %.9g with lines dt 2 lw 2 lc rgb 'red' title '%s %g ms'",
                limit_ns / NS_PER_MS, limit_name, limit_ns / NS_PER_MS);
    fputs("\n", fp);
    return ts__gp_close(&f, err);
}

static int is_lost(int32_t status)
{
    return status == TS_MSG_DROPPED_QUEUE || status == TS_MSG_NO_ROUTE ||
           status == TS_MSG_LOST || status == TS_MSG_LINK_DOWN ||
           status == TS_MSG_RECEIVER_DOWN;
}

/* Position of each row within its group. */
static int member_index(const ts__groups *g, size_t n, size_t **out, ts_error *err)
{
    size_t *m = ts_malloc((n ? n : 1) * sizeof *m);
    if (!m)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory");
    for (size_t gi = 0; gi < g->n_groups; gi++)
        for (size_t j = 0; j < g->count[gi]; j++)
            m[g->rows[g->first[gi] + j]] = j;
    *out = m;
    return TS_OK;
}

static int topic_group(ts__report *r, const ts__groups *g, const size_t *member, size_t gi,
                       ts_error *err)
{
    const ts_trace *t = r->t;
    const ts_trace_topic *first = &t->topics[g->rows[g->first[gi]]];
    size_t copies = g->count[gi];
    int64_t budget = first->budget_ns;
    char label[TS_TRACE_NAME_LEN + 16];
    group_label(label, sizeof label, first->name, copies);
    timing tm;
    int rc = timing_init(&tm, r, copies, err);
    for (size_t i = 0; rc == TS_OK && i < t->n_messages; i++) {
        const ts_trace_message *m = &t->messages[i];
        if (m->topic < 0 || (size_t)m->topic >= t->n_topics ||
            (size_t)g->group_of[m->topic] != gi)
            continue;
        if (m->status == TS_MSG_DELIVERED && m->recv_ns >= m->send_ns) {
            int64_t lat = m->recv_ns - m->send_ns;
            if (tm.n_samples == r->cap_samples &&
                (rc = ts__report_reserve(r, r->cap_samples ? 2 * r->cap_samples : 4096,
                                         err)) != TS_OK)
                break;
            r->samples[tm.n_samples++] = (double)lat;
            if (tm.fleet) {
                ts__band_add(&tm.band, member[m->topic], m->send_ns, (double)lat);
            } else {
                rc = ts__thin_add(&tm.all, m->send_ns, lat / NS_PER_MS, err);
                if (rc == TS_OK && budget > 0 && lat > budget) {
                    tm.n_late++;
                    rc = ts__thin_add(&tm.late, m->send_ns, lat / NS_PER_MS, err);
                }
            }
        } else if (is_lost(m->status) && !tm.fleet) {
            tm.n_lost++;
            rc = ts__thin_add(&tm.lost, m->send_ns, budget / NS_PER_MS, err);
        }
    }
    /* A summary trace's windows: their greatest latency at their start,
     * and a CDF from their histograms (report.c says so on the page). */
    size_t from_windows = 0;
    for (size_t i = 0; rc == TS_OK && i < t->n_topic_windows; i++) {
        const ts_trace_topic_window *w = &t->topic_windows[i];
        if ((size_t)g->group_of[w->topic] != gi)
            continue;
        from_windows++;
        uint64_t failed = w->dropped_queue + w->no_route + w->lost + w->link_down +
                          w->receiver_down;
        if (w->delivered > 0) {
            double lat = (double)w->max_latency_ns;
            if (tm.fleet) {
                ts__band_add(&tm.band, member[w->topic], w->start_ns, lat);
            } else {
                rc = ts__thin_add(&tm.all, w->start_ns, lat / NS_PER_MS, err);
                if (rc == TS_OK && budget > 0 && w->met < w->delivered) {
                    tm.n_late += w->delivered - w->met;
                    rc = ts__thin_add(&tm.late, w->start_ns, lat / NS_PER_MS, err);
                }
            }
        }
        if (rc == TS_OK && failed > 0 && !tm.fleet) {
            tm.n_lost += failed;
            rc = ts__thin_add(&tm.lost, w->start_ns, budget / NS_PER_MS, err);
        }
    }
    if (rc == TS_OK && tm.n_samples > 0 && from_windows == 0)
        rc = write_cdf(r, gi, first->name, label, tm.n_samples, budget, err);
    else if (rc == TS_OK && from_windows)
        rc = write_cdf_buckets(r, g, gi, first->name, label, tm.n_samples, budget, err);
    if (from_windows)
        tm.n_samples += from_windows;
    if (rc == TS_OK && !tm.fleet)
        rc = write_series(r, TS__SEC_TOPICS, "latency-time", gi, first->name, "latency",
                          "send", &tm, budget, "budget", "lost", err);
    if (rc == TS_OK && tm.fleet && tm.n_samples > 0)
        rc = write_band(r, "fleet-topic", gi, first->name, label, "latency", &tm,
                        t->topics[0].name, sizeof t->topics[0], g, gi, budget, "budget",
                        err);
    timing_fini(&tm);
    return rc;
}

int ts__report_topics(ts__report *r, ts_error *err)
{
    const ts_trace *t = r->t;
    if (t->n_topics == 0)
        return TS_OK;
    ts__groups g;
    size_t *member = NULL;
    int rc = ts__groups_build(&g, t->topics[0].name, sizeof t->topics[0], t->n_topics, err);
    if (rc == TS_OK)
        rc = member_index(&g, t->n_topics, &member, err);
    for (size_t gi = 0; rc == TS_OK && gi < g.n_groups; gi++)
        rc = topic_group(r, &g, member, gi, err);
    ts_free(member);
    ts__groups_free(&g);
    return rc;
}

static int component_group(ts__report *r, const ts__groups *g, const size_t *member,
                           size_t gi, ts_error *err)
{
    const ts_trace *t = r->t;
    const ts_trace_component *first = &t->components[g->rows[g->first[gi]]];
    size_t copies = g->count[gi];
    int64_t deadline = first->deadline_ns;
    char label[TS_TRACE_NAME_LEN + 16];
    group_label(label, sizeof label, first->name, copies);
    timing tm;
    int rc = timing_init(&tm, r, copies, err);
    for (size_t i = 0; rc == TS_OK && i < t->n_jobs; i++) {
        const ts_trace_job *j = &t->jobs[i];
        if (j->component < 0 || (size_t)j->component >= t->n_components ||
            (size_t)g->group_of[j->component] != gi)
            continue;
        if (j->finish_ns >= j->release_ns) {
            int64_t resp = j->finish_ns - j->release_ns;
            tm.n_samples++;
            if (tm.fleet) {
                ts__band_add(&tm.band, member[j->component], j->release_ns, (double)resp);
            } else {
                rc = ts__thin_add(&tm.all, j->release_ns, resp / NS_PER_MS, err);
                if (rc == TS_OK && j->finish_ns > j->deadline_ns) {
                    tm.n_late++;
                    rc = ts__thin_add(&tm.late, j->release_ns, resp / NS_PER_MS, err);
                }
            }
        } else if (j->finish_ns < 0 && j->deadline_ns <= t->duration_ns && !tm.fleet) {
            /* Due before the end and never finished: a miss with no
             * response time, drawn at the deadline. */
            tm.n_lost++;
            rc = ts__thin_add(&tm.lost, j->release_ns, deadline / NS_PER_MS, err);
        }
    }
    for (size_t i = 0; rc == TS_OK && i < t->n_job_windows; i++) {
        const ts_trace_job_window *w = &t->job_windows[i];
        if ((size_t)g->group_of[w->component] != gi || w->finished == 0)
            continue;
        double resp = (double)w->max_response_ns;
        tm.n_samples++;
        if (tm.fleet) {
            ts__band_add(&tm.band, member[w->component], w->start_ns, resp);
        } else {
            rc = ts__thin_add(&tm.all, w->start_ns, resp / NS_PER_MS, err);
            if (rc == TS_OK && w->met < w->finished) {
                tm.n_late += w->finished - w->met;
                rc = ts__thin_add(&tm.late, w->start_ns, resp / NS_PER_MS, err);
            }
        }
    }
    if (rc == TS_OK && !tm.fleet)
        rc = write_series(r, TS__SEC_COMPONENTS, "response", gi, first->name,
                          "response time", "release", &tm, deadline, "deadline",
                          "not finished", err);
    if (rc == TS_OK && tm.fleet && tm.n_samples > 0)
        rc = write_band(r, "fleet-component", gi, first->name, label, "response time", &tm,
                        t->components[0].name, sizeof t->components[0], g, gi, deadline,
                        "deadline", err);
    timing_fini(&tm);
    return rc;
}

int ts__report_components(ts__report *r, ts_error *err)
{
    const ts_trace *t = r->t;
    if (t->n_components == 0 || (t->n_jobs == 0 && t->n_job_windows == 0))
        return TS_OK;
    ts__groups g;
    size_t *member = NULL;
    int rc = ts__groups_build(&g, t->components[0].name, sizeof t->components[0],
                              t->n_components, err);
    if (rc == TS_OK)
        rc = member_index(&g, t->n_components, &member, err);
    /* Components without periodic jobs (services' servers...) have no
     * response times: only those with jobs get a plot. */
    for (size_t gi = 0; rc == TS_OK && gi < g.n_groups; gi++)
        if (t->components[g.rows[g.first[gi]]].period_ns > 0)
            rc = component_group(r, &g, member, gi, err);
    ts_free(member);
    ts__groups_free(&g);
    return rc;
}
