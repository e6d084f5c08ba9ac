/* The report's order of work: the folder, every plot's data and script,
 * report.gp, one gnuplot run for all images (renamed into place only when
 * it succeeded), Graphviz when present, then the page. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/report_internal.h"
#include "toposim/alloc.h"

/* mkdir -p: the folder and its missing parents. */
static int make_dirs(const char *dir, ts_error *err)
{
    char path[TS__PATH_MAX];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return ts_error_set(err, TS_ERANGE, dir, 0, "path too long");
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char keep = *p;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return ts_error_set(err, TS_EIO, path, 0, "cannot create the folder: %s",
                                strerror(errno));
        *p = keep;
        if (!keep)
            break;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return ts_error_set(err, TS_EIO, dir, 0, "is not a folder");
    return TS_OK;
}

static int write_all_script(const ts__report *r, ts_error *err)
{
    ts__atomic_file f;
    int rc = ts__report_open(r, "report.gp", &f, err);
    if (rc != TS_OK)
        return rc;
    fputs("# toposim report: draws every plot of this folder (gnuplot report.gp)\n", f.fp);
    for (size_t i = 0; i < r->n_plots; i++)
        fprintf(f.fp, "load '%s.gp'\n", r->plots[i].stem);
    return ts__atomic_commit(&f, err);
}

/* The temporary and final names of one image. */
static int image_paths(const ts__report *r, const char *stem, const char *ext, char *tmp,
                       char *final, ts_error *err)
{
    char name[TS__STEM_LEN + 8];
    snprintf(name, sizeof name, "%s.%s", stem, ext);
    int rc = ts__report_path(r, name, final, TS__PATH_MAX, err);
    if (rc == TS_OK && ts__temp_path_for(final, tmp, TS__PATH_MAX) != TS_OK)
        rc = ts_error_set(err, TS_ERANGE, final, 0, "path too long");
    return rc;
}

/* Moves gnuplot's images into place once every one is there, non-empty;
 * on any failure removes every temporary. */
static int publish_images(const ts__report *r, int drawn, size_t *n_images, ts_error *err)
{
    static const char *const ext[2] = {"png", "svg"};
    char tmp[TS__PATH_MAX], final[TS__PATH_MAX];
    int rc = drawn ? TS_OK : TS_EIO;
    const char *inputs[] = {r->o->trace_path};
    for (size_t i = 0; rc == TS_OK && i < r->n_plots; i++)
        for (int e = 0; rc == TS_OK && e < 2; e++) {
            struct stat st;
            rc = image_paths(r, r->plots[i].stem, ext[e], tmp, final, err);
            if (rc == TS_OK && (stat(tmp, &st) != 0 || st.st_size == 0))
                rc = ts_error_set(err, TS_EIO, final, 0,
                                  "gnuplot exited 0 but did not draw this image");
            if (rc == TS_OK)
                rc = ts__check_output(final, inputs, 1, err);
        }
    for (size_t i = 0; i < r->n_plots; i++)
        for (int e = 0; e < 2; e++) {
            if (image_paths(r, r->plots[i].stem, ext[e], tmp, final, NULL) != TS_OK)
                continue;
            if (rc != TS_OK) {
                unlink(tmp);
                continue;
            }
            rc = ts__publish_file(tmp, final, err);
            if (rc == TS_OK)
                (*n_images)++;
        }
    return rc;
}

static int run_gnuplot(const ts__report *r, ts_error *err)
{
    char program[TS__PATH_MAX];
    const char *name = r->o->gnuplot ? r->o->gnuplot : "gnuplot";
    int rc = ts__find_program(name, program, sizeof program, err);
    if (rc != TS_OK)
        return rc;
    char set[128];
    snprintf(set, sizeof set, "out_prefix = '.'; out_suffix = '.tmp-%ld'", (long)getpid());
    char *argv[] = {program, "-e", set, "report.gp", NULL};
    double limit = r->o->gnuplot_timeout_s > 0 ? r->o->gnuplot_timeout_s
                                               : TS_REPORT_GNUPLOT_TIMEOUT_S;
    return ts__run_program(argv, r->o->out_dir, limit, err);
}

/* Graphviz, when on PATH: placement.dot to PNG and SVG. Its absence or
 * failure is not an error: the gnuplot picture stands. */
static int run_dot(const ts__report *r, size_t *n_images)
{
    char program[TS__PATH_MAX];
    if (ts__find_program("dot", program, sizeof program, NULL) != TS_OK)
        return 0;
    static const char *const ext[2] = {"png", "svg"};
    char tmp[2][TS__PATH_MAX], final[2][TS__PATH_MAX];
    int ok = 1;
    for (int e = 0; e < 2 && ok; e++) {
        ok = image_paths(r, "placement-graphviz", ext[e], tmp[e], final[e], NULL) == TS_OK;
        const char *base = strrchr(tmp[e], '/');
        char format[8], *argv[] = {program, format, "-o", (char *)(base ? base + 1 : tmp[e]),
                                   "placement.dot", NULL};
        snprintf(format, sizeof format, "-T%s", ext[e]);
        ok = ok && ts__run_program(argv, r->o->out_dir, 60, NULL) == TS_OK;
    }
    for (int e = 0; e < 2; e++) {
        if (ok)
            ok = ts__publish_file(tmp[e], final[e], NULL) == TS_OK;
        else
            unlink(tmp[e]);
    }
    if (ok)
        *n_images += 2;
    return ok;
}

int ts_report_write(const ts_trace *t, const ts_validation *v, const ts_report_options *o,
                    ts_report_result *res, ts_error *err)
{
    ts_report_result local;
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    if (!t || !v || !o || !o->out_dir || !o->out_dir[0])
        return ts_error_set(err, TS_EINVAL, NULL, 0, "report: no trace, validation or folder");
    int rc = make_dirs(o->out_dir, err);
    if (rc != TS_OK)
        return rc;
    ts__report r;
    memset(&r, 0, sizeof r);
    r.t = t;
    ts_trace view;
    int windows = t->n_node_windows > 0 || t->n_link_windows > 0;
    if (windows) {
        rc = ts__state_rows_from_windows(t, &view, err);
        if (rc != TS_OK)
            return rc;
        r.t = &view;
    }
    t = r.t;
    r.v = v;
    r.o = o;
    /* The time axis: the run's duration; a trace without one (converted
     * from elsewhere) spans its last sample. */
    r.span_ns = t->duration_ns;
    if (r.span_ns <= 0)
        for (size_t i = 0; i < t->n_node_state; i++)
            if (t->node_state[i].time_ns > r.span_ns)
                r.span_ns = t->node_state[i].time_ns;
    if (r.span_ns <= 0)
        r.span_ns = 1000000000;

    rc = ts__report_topics(&r, err);
    if (rc == TS_OK)
        rc = ts__report_components(&r, err);
    if (rc == TS_OK)
        rc = ts__report_chains(&r, err);
    if (rc == TS_OK)
        rc = ts__report_nodes(&r, err);
    if (rc == TS_OK)
        rc = ts__report_links(&r, err);
    if (rc == TS_OK)
        rc = ts__report_media(&r, err);
    if (rc == TS_OK)
        rc = ts__report_events(&r, err);
    if (rc == TS_OK)
        rc = ts__report_placement(&r, err);
    if (rc == TS_OK)
        rc = write_all_script(&r, err);
    res->n_plots = r.n_plots;

    char note[1400] = "";
    if (rc == TS_OK) {
        ts_error gerr;
        ts_error_clear(&gerr);
        int grc = run_gnuplot(&r, &gerr);
        if (grc == TS_OK)
            grc = publish_images(&r, 1, &res->n_images, &gerr);
        else
            publish_images(&r, 0, &res->n_images, NULL); /* removes leftovers */
        if (grc == TS_OK) {
            res->images_made = 1;
            r.graphviz_used = res->graphviz_used = run_dot(&r, &res->n_images);
        } else {
            char why[1200];
            ts_error_format(&gerr, why, sizeof why);
            snprintf(note, sizeof note,
                     "No images: %s. The data files and gnuplot scripts are written; "
                     "`gnuplot report.gp` in this folder draws them.", why);
            rc = ts_error_set(err, grc == TS_ENOENT ? TS_ENOENT : TS_EIO, o->out_dir, 0,
                              "no images drawn: %s; the data files and gnuplot scripts "
                              "are written (run `gnuplot report.gp` in the folder)",
                              why);
        }
        /* What a summary trace cannot show (trace.h, ts_trace_topic_window). */
        if (r.t->level == TS_TRACE_LEVEL_SUMMARY) {
            size_t len = strlen(note);
            snprintf(note + len, sizeof note - len,
                     "%sSummary trace: latency CDFs are drawn from log-bucketed histograms "
                     "(each step at its bucket's greatest value, within 1.6 %% of the "
                     "samples), and latency and response time over time show each "
                     "window's greatest value (windows of %.0f s), not each sample. Run "
                     "with --trace full for a row per message and job.",
                     len ? " " : "", (double)r.t->summary_window_ns / 1e9);
        }
        /* A large full trace folded while reading (trace.h). */
        if (r.t->folded_window_ns > 0) {
            size_t len = strlen(note);
            snprintf(note + len, sizeof note - len,
                     "%sLarge full trace (%llu rows): read in chunks and folded into "
                     "windows of %.0f s per item, so latency CDFs are drawn from "
                     "log-bucketed histograms (within 1.6 %% of the samples) and latency "
                     "and response time over time show each window's greatest value.",
                     len ? " " : "", (unsigned long long)r.t->folded_rows,
                     (double)r.t->folded_window_ns / 1e9);
        }
        if (windows) {
            size_t len = strlen(note);
            snprintf(note + len, sizeof note - len,
                     "%sNode and link plots show one point per state window of %.3g s: "
                     "the greatest temperature, power, memory and queue of its samples, "
                     "their mean CPU, GPU and link use, the least clocks and battery.",
                     len ? " " : "",
                     (double)(r.t->state_window_ns > 0 ? r.t->state_window_ns
                                                       : r.t->folded_window_ns) / 1e9);
        }
        int hrc = ts__html_write(&r, res->images_made, note, rc == TS_OK ? err : NULL);
        if (hrc != TS_OK && rc == TS_OK)
            rc = hrc;
    }
    ts_free(r.plots);
    ts_free(r.samples);
    if (windows)
        ts__state_rows_free(&view);
    return rc;
}
