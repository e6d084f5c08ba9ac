/* Shared-medium plots (trace format 6, /media and /medium_state): per
 * medium (a Wi-Fi access point's air time, a cell) its air time busy,
 * its one shared queue, and the queue drops and losses over its links,
 * over time. The links on it are drawn per link in the same section;
 * the medium's row is the transmitter they share, so whether the air
 * binds reads from this plot. Samples are written as they are up to
 * 2 x TS_REPORT_MAX_BUCKETS per medium, else folded per time window
 * (mean air time, peak queue, summed packets). Drawn only when the
 * trace has media. */
#include <string.h>

#include "report/report_internal.h"
#include "toposim/alloc.h"

enum { M_AIR, M_QUEUE_KIB, M_QUEUE_PKTS, M_SENT, M_DROPPED, M_LOST, M_COLS };

static int medium_data(ts__report *r, const char *file, size_t medium, size_t samples,
                       ts_error *err)
{
    const ts_trace *t = r->t;
    static const ts__agg agg[M_COLS] = {TS__AGG_MEAN, TS__AGG_MAX, TS__AGG_MAX,
                                        TS__AGG_SUM,  TS__AGG_SUM, TS__AGG_SUM};
    ts__atomic_file f;
    int rc = ts__report_open(r, file, &f, err);
    if (rc != TS_OK)
        return rc;
    fputs("time_s,airtime_pct,queue_kib,queue_packets,sent_packets,dropped_packets,"
          "lost_packets\n", f.fp);
    ts__rows w;
    ts__rows_begin(&w, f.fp, M_COLS, agg, TS_REPORT_MAX_BUCKETS, r->span_ns, samples);
    for (size_t i = 0; i < t->n_medium_state; i++) {
        const ts_trace_medium_state *s = &t->medium_state[i];
        if (s->medium != (int32_t)medium)
            continue;
        double v[M_COLS] = {100.0 * s->utilisation, s->queue_bytes / 1024.0,
                            s->queue_packets, (double)s->sent_packets,
                            (double)s->dropped_packets, (double)s->lost_packets};
        ts__rows_add(&w, s->time_ns, v);
    }
    ts__rows_end(&w);
    return ts__atomic_commit(&f, err);
}

static int medium_plot(ts__report *r, size_t medium, size_t samples, ts_error *err)
{
    const ts_trace *t = r->t;
    const ts_trace_medium *m = &t->media[medium];
    char title[256];
    snprintf(title, sizeof title, "Medium %s (%g Mbit/s as declared, %d links, queue %g KiB)",
             m->name, m->capacity_bps / 1e6, (int)m->links, m->queue_bytes / 1024.0);
    ts__plot *p = ts__report_add_plot(r, TS__SEC_LINKS, "medium", medium, m->name, title,
                                      err);
    if (!p)
        return TS_ENOMEM;
    const char *data = ts__plot_data(p, "");
    int rc = medium_data(r, data, medium, samples, err);
    ts__atomic_file f;
    if (rc == TS_OK)
        rc = ts__gp_open(r, p, 640, &f, err);
    if (rc != TS_OK)
        return rc;
    FILE *fp = f.fp;
    fputs("  set multiplot layout 3,1 title ", fp);
    ts__gp_str(fp, title);
    fprintf(fp, "\n  set grid\n  set key outside right top\n  set xrange [0:%.9g]\n"
                "  set xlabel 'time (s)'\n  set lmargin 10\n  set rmargin 34\n",
            (double)r->span_ns / 1e9);
    fprintf(fp, "  set title 'air time'\n  set ylabel '%% busy'\n  set yrange [0:105]\n"
                "  plot '%s' using 1:2 with lines lw 2 title 'air time busy (all links)', "
                "100 with lines dt 2 lc rgb 'red' title 'all of it'\n",
            data);
    /* The queue's size in the panel's title, not as a line: a queue of
     * megabytes would flatten the few KiB that usually wait. */
    fprintf(fp, "  set title 'shared queue (holds %g KiB)'\n  set ylabel 'KiB waiting'\n"
                "  set yrange [0:*]\n"
                "  plot '%s' using 1:3 with lines lw 2 title 'queue'\n",
            m->queue_bytes / 1024.0, data);
    fprintf(fp, "  set title 'drops and losses'\n  set ylabel 'packets per sample'\n"
                "  plot '%s' using 1:($6 > 0 ? $6 : NaN) with impulses lw 2 "
                "title 'queue drops', \\\n"
                "    '' using 1:($7 > 0 ? $7 : NaN) with points pt 2 title 'lost'\n",
            data);
    fputs("  unset multiplot\n", fp);
    return ts__gp_close(&f, err);
}

int ts__report_media(ts__report *r, ts_error *err)
{
    const ts_trace *t = r->t;
    if (t->n_media == 0 || t->n_medium_state == 0)
        return TS_OK;
    size_t *samples = ts_calloc(t->n_media, sizeof *samples);
    if (!samples)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory");
    for (size_t i = 0; i < t->n_medium_state; i++) {
        int32_t m = t->medium_state[i].medium;
        if (m >= 0 && (size_t)m < t->n_media)
            samples[m]++;
    }
    int rc = TS_OK;
    for (size_t i = 0; rc == TS_OK && i < t->n_media; i++)
        if (samples[i] > 0)
            rc = medium_plot(r, i, samples[i], err);
    ts_free(samples);
    return rc;
}
