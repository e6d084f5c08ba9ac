/*
 * The report: turns a trace (and only a trace) and its validation into a
 * folder a person opens in a browser. It owns the plain-text data files
 * (CSV with a header line, one per plot), the gnuplot scripts that draw
 * them (each makes NAME.png and NAME.svg when run as `gnuplot NAME.gp` in
 * the folder; report.gp runs them all), running gnuplot, and index.html,
 * which shows the scorecard beside the images and needs no network.
 * Data files and scripts depend only on the trace, so the same trace
 * gives byte-identical ones. Time series are thinned to at most
 * 2 x TS_REPORT_MAX_BUCKETS points per series: the run is cut into that
 * many equal windows and each keeps its lowest and highest point, so
 * spikes survive; a fleet's copies share one band per window.
 */
#ifndef TOPOSIM_REPORT_H
#define TOPOSIM_REPORT_H

#include <stddef.h>

#include "toposim/error.h"
#include "toposim/trace.h"
#include "toposim/validate.h"

/* Time windows per thinned series: at most twice as many points. */
#define TS_REPORT_MAX_BUCKETS 1000

typedef struct ts_report_options {
    const char *out_dir;        /* created (with its parents) when missing */
    const char *trace_path;     /* named on the page; never overwritten */
    const char *gnuplot;        /* the program: a path, or a name looked up
                                   on PATH; NULL: "gnuplot" */
    double gnuplot_timeout_s;   /* wall-time limit of the gnuplot run; <= 0:
                                   TS_REPORT_GNUPLOT_TIMEOUT_S */
} ts_report_options;

#define TS_REPORT_GNUPLOT_TIMEOUT_S 120.0

/* What a report run produced. */
typedef struct ts_report_result {
    size_t n_plots;             /* plots with a data file and a script */
    size_t n_images;            /* PNG and SVG files written */
    int images_made;            /* 1: gnuplot ran and drew every plot */
    int graphviz_used;          /* 1: the placement also went through dot */
} ts_report_result;

/* Writes the report of trace t, scored as v, into o->out_dir: each file
 * under a temporary name, renamed once complete. Returns TS_OK when every
 * file, images included, is written. When gnuplot is missing, fails, or
 * exceeds its time limit, the data files, scripts and a page without
 * images are still written, and the return is TS_ENOENT (not found) or
 * TS_EIO with err saying what happened and how to draw the plots later.
 * Any other failure: its code, err naming the file. res may be NULL. */
int ts_report_write(const ts_trace *t, const ts_validation *v, const ts_report_options *o,
                    ts_report_result *res, ts_error *err);

#endif
