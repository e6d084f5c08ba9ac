/*
 * Shared inside src/report/: the report under construction (the plots it
 * holds, in page order), output files, thinning, fleet grouping and
 * bands, gnuplot script helpers, the page and running programs. Each .c
 * file has one job; report.c puts them in order.
 */
#ifndef TOPOSIM_REPORT_INTERNAL_H
#define TOPOSIM_REPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "toposim/report.h"
#include "util/atomic_file.h"

/* The page's sections, in page order. */
typedef enum {
    TS__SEC_TOPICS = 0,
    TS__SEC_COMPONENTS,
    TS__SEC_CHAINS,
    TS__SEC_NODES,
    TS__SEC_LINKS,
    TS__SEC_EVENTS,
    TS__SEC_PLACEMENT,
    TS__SEC_FLEETS,
    TS__N_SECTIONS
} ts__section;

/* "Topics: latency", ... the heading of section s. */
const char *ts__section_title(ts__section s);

#define TS__STEM_LEN 96
#define TS__MAX_PLOT_DATA 3

/* One plot: stem.gp draws stem.png and stem.svg from its data files. */
typedef struct ts__plot {
    ts__section section;
    char stem[TS__STEM_LEN];
    char title[256];
    char data[TS__MAX_PLOT_DATA][TS__STEM_LEN + 16]; /* file names */
    int n_data;
} ts__plot;

typedef struct ts__report {
    const ts_trace *t;
    const ts_validation *v;
    const ts_report_options *o;
    ts__plot *plots;
    size_t n_plots, cap_plots;
    double *samples;            /* reusable buffer of one item's samples */
    size_t cap_samples;
    int64_t span_ns;            /* the time axis: 0 .. span (> 0) */
    char placement_note[256];   /* said on the page under the placement */
    int graphviz_used;
} ts__report;

/* ---- output files (output.c) ---- */

/* dir/name into buf; TS_ERANGE when it does not fit. */
int ts__report_path(const ts__report *r, const char *name, char *buf, size_t size,
                    ts_error *err);

/* Opens dir/name for crash-safe writing (refusing the trace itself). */
int ts__report_open(const ts__report *r, const char *name, ts__atomic_file *f,
                    ts_error *err);

/* Appends a plot to the page; NULL (err filled) when out of memory. The
 * stem is made from prefix and name: characters other than letters,
 * digits, '-' and '_' become '_', and the index keeps it unique. */
ts__plot *ts__report_add_plot(ts__report *r, ts__section s, const char *prefix,
                              size_t index, const char *name, const char *title,
                              ts_error *err);

/* Adds "stem<suffix>.csv" to p's data files and writes its name to name. */
const char *ts__plot_data(ts__plot *p, const char *suffix);

/* One CSV field: quoted (RFC 4180) when it holds a comma, quote or line
 * break; control characters become spaces. */
void ts__csv_str(FILE *fp, const char *s);

/* Makes sure r->samples holds n doubles. */
int ts__report_reserve(ts__report *r, size_t n, ts_error *err);

/* Seconds with nanosecond digits, deterministic text. */
void ts__csv_time(FILE *fp, int64_t ns);

/* ---- thinning (thin.c) ---- */

typedef struct ts__point {
    int64_t t;
    double y;
    uint64_t seq;               /* insertion order: ties stay stable */
} ts__point;

/* A time series kept whole up to 2 x buckets points; beyond that, each of
 * `buckets` equal windows of [0, span] keeps its lowest and highest point. */
typedef struct ts__thin {
    size_t buckets;
    int64_t span_ns;
    ts__point *raw;             /* cap 2 x buckets */
    size_t n_raw;
    struct ts__thin_bucket {
        ts__point lo, hi;
        uint32_t n;
    } *b;                       /* NULL until the series outgrows raw */
    uint64_t seq;
    uint64_t added;
} ts__thin;

int ts__thin_init(ts__thin *s, size_t buckets, int64_t span_ns, ts_error *err);
int ts__thin_add(ts__thin *s, int64_t t, double y, ts_error *err);
/* The kept points in time order (valid until the next add or fini). */
size_t ts__thin_points(ts__thin *s, const ts__point **out);
void ts__thin_fini(ts__thin *s);

/* Ranks (0-based, ascending, distinct) of sorted[0..n) at which to draw
 * the CDF: all when n <= max_points, else half evenly spaced in
 * probability and half packed geometrically towards the tail (p99,
 * p99.9...). Each rank is the last of its run of equal values, so
 * (rank + 1) / n is exactly the fraction of samples <= sorted[rank].
 * idx holds max_points entries; returns how many were written. */
size_t ts__cdf_ranks(const double *sorted, size_t n, size_t max_points, size_t *idx);

/* Rows of several columns in time order (a node's or link's samples),
 * written as they come when there are at most 2 x buckets of them, else
 * folded per time window (each column by its own rule) with the time of
 * the window's last row. Needs no memory beyond one window. */
#define TS__ROW_MAX_COLS 12
typedef enum { TS__AGG_MEAN = 0, TS__AGG_MAX, TS__AGG_MIN, TS__AGG_SUM } ts__agg;

typedef struct ts__rows {
    FILE *fp;
    size_t ncols;
    const ts__agg *agg;
    size_t buckets;
    int64_t span_ns;
    int folded;                 /* 0: every row as it is */
    size_t cur;                 /* window being filled, SIZE_MAX: none */
    int64_t t_last;
    double acc[TS__ROW_MAX_COLS];
    uint32_t n[TS__ROW_MAX_COLS];
    size_t written;
} ts__rows;

void ts__rows_begin(ts__rows *w, FILE *fp, size_t ncols, const ts__agg *agg,
                    size_t buckets, int64_t span_ns, size_t total_rows);
/* NaN values are left out of their window's figure. */
void ts__rows_add(ts__rows *w, int64_t t, const double *vals);
void ts__rows_end(ts__rows *w);

/* qsort comparator of doubles, ascending. */
int ts__cmp_double(const void *a, const void *b);

/* ---- fleet grouping and bands (groups.c, band.c) ---- */

/* Items a fleet copies ("name", "name_r1", ...) form one group. */
typedef struct ts__groups {
    size_t n_groups;
    size_t *first;              /* per group: offset into rows */
    size_t *count;              /* per group: members */
    size_t *rows;               /* member rows, grouped, each group in row order */
    int32_t *group_of;          /* per row: its group */
} ts__groups;

/* Length of name without a trailing "_r<digits>" fleet-copy suffix. */
size_t ts__base_len(const char *name);

/* Groups n names (the first at first_name, stride bytes apart); groups
 * are ordered by their first row. */
int ts__groups_build(ts__groups *g, const char *first_name, size_t stride, size_t n,
                     ts_error *err);
void ts__groups_free(ts__groups *g);

typedef enum { TS__BAND_MAX = 0, TS__BAND_MEAN = 1 } ts__band_mode;

/* One value per member per time window (the window's max or mean). */
typedef struct ts__band {
    size_t members, buckets;
    int64_t span_ns;
    ts__band_mode mode;
    double *v;                  /* members x buckets; NaN: no sample */
    uint32_t *n;                /* samples behind each mean */
} ts__band;

int ts__band_init(ts__band *b, size_t members, size_t buckets, int64_t span_ns,
                  ts__band_mode mode, ts_error *err);
void ts__band_add(ts__band *b, size_t member, int64_t t, double y);
/* The `k` worst members (highest peak; ties: lower member), into worst;
 * returns how many (<= k, <= members). */
size_t ts__band_worst(const ts__band *b, size_t k, size_t *worst);
/* CSV: time_s,min,median,max,<one column per worst member>; scale
 * multiplies the values (e.g. 1e-6 for ns to ms). */
int ts__band_write(const ts__band *b, FILE *fp, const size_t *worst, size_t k,
                   const char *const *worst_names, double scale, ts_error *err);
void ts__band_free(ts__band *b);

/* ---- gnuplot scripts (script.c) ---- */

/* Opens p's script and writes the preamble: reset, the loop that draws it
 * twice (PNG, then SVG, both of width x height pixels), CSV input. */
int ts__gp_open(const ts__report *r, const ts__plot *p, int height, ts__atomic_file *f,
                ts_error *err);
/* Closes the loop and publishes the script. */
int ts__gp_close(ts__atomic_file *f, ts_error *err);
/* A gnuplot single-quoted string literal: '' for ', control characters
 * dropped (nothing in it is interpreted: no escapes, no substitution). */
void ts__gp_str(FILE *fp, const char *s);

/* ---- the plots (data_*.c): each writes its data files and scripts ---- */

/* A summary trace's node and link windows as state rows, one per window
 * (state_windows.c): *view is t with node_state and link_state pointing
 * at new arrays (and no core_state); free them with ts__state_rows_free. */
int ts__state_rows_from_windows(const ts_trace *t, ts_trace *view, ts_error *err);
void ts__state_rows_free(ts_trace *view);

int ts__report_topics(ts__report *r, ts_error *err);
int ts__report_components(ts__report *r, ts_error *err);
int ts__report_nodes(ts__report *r, ts_error *err);
int ts__report_links(ts__report *r, ts_error *err);
/* Per chain (data_chains.c) and per shared medium (data_media.c): only
 * when the trace has them. */
int ts__report_chains(ts__report *r, ts_error *err);
int ts__report_media(ts__report *r, ts_error *err);
int ts__report_events(ts__report *r, ts_error *err);
int ts__report_placement(ts__report *r, ts_error *err);

/* ---- running programs (run_program.c) ---- */

/* Finds program on PATH (or takes it as a path when it holds '/') and
 * checks it is executable; the full path into buf. TS_ENOENT if not. */
int ts__find_program(const char *program, char *buf, size_t size, ts_error *err);

/* Runs argv[0] (a path) with argv in folder cwd, stdin from /dev/null,
 * stdout discarded and stderr's last line kept in err on failure; kills
 * it after timeout_s. TS_OK only when it exited with status 0. */
int ts__run_program(char *const argv[], const char *cwd, double timeout_s, ts_error *err);

/* ---- the page (html.c) ---- */

/* Text with & < > " ' escaped for HTML. */
void ts__html_escape(FILE *fp, const char *s);

/* Writes index.html: the header (scenario, seed, version, verdict), the
 * scorecard, and per section the images (images_made) or the data and
 * script links, with note (may be "") said at the top. */
int ts__html_write(const ts__report *r, int images_made, const char *note,
                   ts_error *err);

#endif
