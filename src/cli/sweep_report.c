/* toposim report DIR on a sweep's folder: for each swept parameter and
 * each gate, the gate's value (mean and 95 % band across replications)
 * against the parameter, its threshold as a line and failing variants
 * marked, one line per combination of the other parameters; for two
 * swept parameters a pass/fail map. Data files and gnuplot scripts are
 * written under temporary names and renamed; gnuplot runs through the
 * report module's runner, with its time limit. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/dispatch.h"
#include "cli/sweep.h"
#include "report/report_internal.h"
#include "util/atomic_file.h"

#define MAX_COLS 4096

typedef struct table {
    char *text;               /* the file, fields cut in place */
    char ***rows;             /* rows[r][c] */
    size_t n_rows, n_cols;
} table;

/* Splits one CSV line in place (quoted fields as sweep.csv writes them). */
static size_t split_line(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (n < max) {
        char *out = p, *start = p;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '"' && p[1] == '"') {
                    *out++ = '"';
                    p += 2;
                } else if (*p == '"' || !*p) {
                    if (*p)
                        p++;
                    break;
                } else {
                    *out++ = *p++;
                }
            }
        } else {
            while (*p && *p != ',')
                *out++ = *p++;
        }
        char sep = *p;
        *out = '\0';
        fields[n++] = start;
        if (sep != ',')
            break;
        p++;
    }
    return n;
}

static void table_free(table *t)
{
    for (size_t r = 0; r < t->n_rows; r++)
        free(t->rows[r]);
    free(t->rows);
    free(t->text);
    memset(t, 0, sizeof *t);
}

static int table_read(const char *path, table *t, ts_error *err)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (!f)
        return ts_error_set(err, TS_EIO, path, 0, "cannot open: %s (not a sweep's folder?)",
                            strerror(errno));
    size_t cap = 1 << 16, n = 0;
    t->text = malloc(cap + 1);
    for (size_t k; t->text && (k = fread(t->text + n, 1, cap - n, f)) > 0;) {
        n += k;
        if (n == cap) {
            char *bigger = cap < ((size_t)1 << 30) ? realloc(t->text, 2 * cap + 1) : NULL;
            if (!bigger) {
                free(t->text);
                t->text = NULL;
                break;
            }
            t->text = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (!t->text)
        return ts_error_set(err, TS_ENOMEM, path, 0, "too large or out of memory");
    t->text[n] = '\0';
    char *fields[MAX_COLS];
    for (char *line = t->text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        size_t k = split_line(line, fields, MAX_COLS);
        if (t->n_rows == 0)
            t->n_cols = k;
        if (k != t->n_cols) {
            size_t row = t->n_rows + 1;
            table_free(t);
            return ts_error_set(err, TS_EFORMAT, path, (int)row, "%zu fields, the header has "
                                "%zu", k, t->n_cols);
        }
        char ***rows = realloc(t->rows, (t->n_rows + 1) * sizeof *rows);
        char **copy = malloc(k * sizeof *copy);
        if (!rows || !copy) {
            free(copy);
            if (rows)
                t->rows = rows;
            table_free(t);
            return ts_error_set(err, TS_ENOMEM, path, 0, "out of memory");
        }
        memcpy(copy, fields, k * sizeof *copy);
        t->rows = rows;
        t->rows[t->n_rows++] = copy;
        line = nl ? nl + 1 : NULL;
    }
    if (t->n_rows < 1) {
        table_free(t);
        return ts_error_set(err, TS_EFORMAT, path, 0, "empty");
    }
    return TS_OK;
}

static long col(const table *t, const char *name)
{
    for (size_t c = 0; c < t->n_cols; c++)
        if (!strcmp(t->rows[0][c], name))
            return (long)c;
    return -1;
}

static double num(const char *s)
{
    char *end;
    double x = strtod(s, &end);
    return *s && !*end ? x : NAN;
}

/* A swept parameter: its column and that of its base-unit value. */
typedef struct param {
    const char *path;
    long text_col, value_col;
    int numeric;              /* at least two distinct numeric values */
    char unit[16];
} param;

typedef struct gate {
    const char *name;
    long pass, mean, ci, req;
    char unit[16];
} gate;

typedef struct report {
    const char *dir, *out;
    table sweep, gates;
    param params[SWEEP_MAX_PARAMS];
    size_t n_params;
    gate *g;
    size_t n_gates;
    char stems[512][32];      /* the plots made */
    char titles[512][256];
    size_t n_plots;
} report;

static const char *unit_label(const char *unit)
{
    if (!strcmp(unit, "fraction")) return "fraction, 0 to 1";
    if (!strcmp(unit, "score100")) return "score, 0 to 100";
    if (!strcmp(unit, "C")) return "degrees C";
    return unit;
}

/* Opens a script and writes the preamble that draws it as PNG, then as
 * SVG (out_suffix: the temporary names toposim gives the images). */
static int script_open(const report *r, const char *stem, const char *title, int height,
                       ts__atomic_file *f, ts_error *err)
{
    char path[TS__PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.gp", r->out, stem);
    if (ts__atomic_open(f, path, err) != TS_OK)
        return err->code;
    FILE *fp = f->fp;
    fprintf(fp, "# toposim sweep report: %s\n# gnuplot %s.gp (in this folder)\n", stem, stem);
    fputs("reset\nif (!exists(\"out_suffix\")) out_suffix = ''\n"
          "set datafile separator comma\nset datafile missing 'nan'\n"
          "do for [ts_pass = 1:2] {\n  if (ts_pass == 1) {\n", fp);
    fprintf(fp, "    set terminal pngcairo size 960,%d noenhanced font 'sans,9'\n", height);
    fprintf(fp, "    set output '%s.png'.out_suffix\n  } else {\n", stem);
    fprintf(fp, "    set terminal svg size 960,%d noenhanced font 'sans,9' background "
                "rgb 'white'\n", height);
    fprintf(fp, "    set output '%s.svg'.out_suffix\n  }\n  set title ", stem);
    ts__gp_str(fp, title);
    fputc('\n', fp);
    return TS_OK;
}

static int script_close(ts__atomic_file *f, ts_error *err)
{
    fputs("}\nset output\n", f->fp);
    return ts__atomic_commit(f, err);
}

/* The other parameters' values of row i, as a key ("a=1 b=2"). */
static void group_key(const report *r, size_t i, size_t except, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t p = 0; p < r->n_params; p++) {
        if (p == except)
            continue;
        n += (size_t)snprintf(out + n, n < size ? size - n : 0, "%s%s=%s", n ? " " : "",
                              r->params[p].path, r->sweep.rows[i][r->params[p].text_col]);
        if (n >= size)
            break;
    }
}

/* Rows sorted by group, then x. */
static const report *sort_r;
static size_t sort_p;
static int by_group_x(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    char ka[512], kb[512];
    group_key(sort_r, i, sort_p, ka, sizeof ka);
    group_key(sort_r, j, sort_p, kb, sizeof kb);
    int c = strcmp(ka, kb);
    if (c)
        return c;
    double xi = num(sort_r->sweep.rows[i][sort_r->params[sort_p].value_col]);
    double xj = num(sort_r->sweep.rows[j][sort_r->params[sort_p].value_col]);
    return (xi > xj) - (xi < xj);
}

/* One plot: gate g against parameter p. */
static int plot_gate(report *r, size_t p, size_t gi, ts_error *err)
{
    const param *pa = &r->params[p];
    const gate *g = &r->g[gi];
    size_t n = r->sweep.n_rows - 1;
    size_t *order = malloc(n * sizeof *order);
    if (!order)
        return ts_error_set(err, TS_ENOMEM, r->out, 0, "out of memory");
    for (size_t i = 0; i < n; i++)
        order[i] = i + 1;
    sort_r = r;
    sort_p = p;
    qsort(order, n, sizeof *order, by_group_x);
    if (r->n_plots == 512) {
        free(order);
        return TS_OK;
    }
    char stem[32], path[TS__PATH_MAX];
    snprintf(stem, sizeof stem, "p%zu-g%zu", p, gi);
    snprintf(path, sizeof path, "%s/%s.csv", r->out, stem);
    ts__atomic_file f;
    if (ts__atomic_open(&f, path, err) != TS_OK) {
        free(order);
        return err->code;
    }
    /* Blocks of one group each, two blank lines apart (gnuplot's index). */
    char groups[64][512];
    size_t n_groups = 0;
    char key[512], last[512] = "";
    double x_lo = INFINITY, x_hi = -INFINITY;
    int x_whole = 1;   /* every x a whole number: counts, cores, sizes */
    fputs("# x,mean,low,high,required,pass,variant\n", f.fp);
    for (size_t k = 0; k < n; k++) {
        size_t i = order[k];
        char **row = r->sweep.rows[i];
        group_key(r, i, p, key, sizeof key);
        if (k == 0 || strcmp(key, last)) {
            if (n_groups == 64)
                break;
            if (k)
                fputs("\n\n", f.fp);
            snprintf(groups[n_groups++], sizeof groups[0], "%s", key);
            snprintf(last, sizeof last, "%s", key);
        }
        double x = num(row[pa->value_col]), m = num(row[g->mean]), ci = num(row[g->ci]);
        x_whole &= x == floor(x);
        x_lo = x < x_lo ? x : x_lo;
        x_hi = x > x_hi ? x : x_hi;
        if (isnan(ci))
            ci = 0;   /* one replication: no band */
        const char *pass = row[g->pass][0] ? row[g->pass] : "nan";
        fprintf(f.fp, "%.17g,%.17g,%.17g,%.17g,%.17g,%s,%s\n", x, m, m - ci, m + ci,
                num(row[g->req]), pass, row[0]);
    }
    free(order);
    if (ts__atomic_commit(&f, err) != TS_OK)
        return err->code;
    char title[256], label[256];
    snprintf(title, sizeof title, "%s against %s (mean and 95%% band across replications)",
             g->name, pa->path);
    ts__atomic_file s;
    if (script_open(r, stem, title, 540, &s, err) != TS_OK)
        return err->code;
    FILE *fp = s.fp;
    snprintf(label, sizeof label, "%s%s%s%s", pa->path, pa->unit[0] ? " (" : "", pa->unit,
             pa->unit[0] ? ")" : "");
    fputs("  set xlabel ", fp);
    ts__gp_str(fp, label);
    snprintf(label, sizeof label, "%s (%s)", g->name, unit_label(g->unit));
    fputs("\n  set ylabel ", fp);
    ts__gp_str(fp, label);
    /* Whole-number parameters over a short range get a tick per value,
     * not gnuplot's 6.5, 7.5. */
    if (x_whole && x_hi > x_lo && x_hi - x_lo <= 20)
        fputs("\n  set xtics 1", fp);
    fputs("\n  set key outside right top\n  set grid\n  plot ", fp);
    for (size_t k = 0; k < n_groups; k++) {
        fprintf(fp, "'%s.csv' index %zu using 1:3:4 with filledcurves fs transparent solid "
                    "0.2 noborder lc %zu notitle, \\\n    ", stem, k, k + 1);
        fprintf(fp, "'%s.csv' index %zu using 1:2 with linespoints pt 7 lc %zu title ", stem,
                k, k + 1);
        ts__gp_str(fp, groups[k][0] ? groups[k] : "mean");
        fputs(", \\\n    ", fp);
    }
    fprintf(fp, "'%s.csv' using 1:5 with lines dt 2 lw 2 lc rgb 'black' title 'threshold', "
                "\\\n    '%s.csv' using 1:($6 == 0 ? $2 : 1/0) with points pt 6 ps 2.5 lw 2 "
                "lc rgb 'red' title 'fails on a replication'\n", stem, stem);
    if (script_close(&s, err) != TS_OK)
        return err->code;
    snprintf(r->stems[r->n_plots], sizeof r->stems[0], "%s", stem);
    snprintf(r->titles[r->n_plots], sizeof r->titles[0], "%s", title);
    r->n_plots++;
    return TS_OK;
}

/* The pass/fail map of the first two numeric parameters. */
static int plot_map(report *r, size_t a, size_t b, ts_error *err)
{
    char path[TS__PATH_MAX];
    const char *stem = "passmap";
    snprintf(path, sizeof path, "%s/%s.csv", r->out, stem);
    ts__atomic_file f;
    if (ts__atomic_open(&f, path, err) != TS_OK)
        return err->code;
    long verdict = col(&r->sweep, "verdict");
    fputs("# x,y,pass,verdict\n", f.fp);
    for (size_t i = 1; i < r->sweep.n_rows; i++) {
        char **row = r->sweep.rows[i];
        const char *v = row[verdict];
        fprintf(f.fp, "%.17g,%.17g,%d,%s\n", num(row[r->params[a].value_col]),
                num(row[r->params[b].value_col]), !strcmp(v, "PASS") ? 1 : 0, v);
    }
    if (ts__atomic_commit(&f, err) != TS_OK)
        return err->code;
    char title[256], label[256];
    snprintf(title, sizeof title, "pass/fail: %s and %s (every gate on every replication)",
             r->params[a].path, r->params[b].path);
    ts__atomic_file s;
    if (script_open(r, stem, title, 600, &s, err) != TS_OK)
        return err->code;
    FILE *fp = s.fp;
    for (int k = 0; k < 2; k++) {
        const param *pa = &r->params[k ? b : a];
        snprintf(label, sizeof label, "%s%s%s%s", pa->path, pa->unit[0] ? " (" : "", pa->unit,
                 pa->unit[0] ? ")" : "");
        fprintf(fp, "  set %slabel ", k ? "y" : "x");
        ts__gp_str(fp, label);
        fputc('\n', fp);
    }
    fputs("  set offsets graph 0.08, graph 0.08, graph 0.08, graph 0.08\n"
          "  set key outside right top\n  set grid\n", fp);
    fprintf(fp, "  plot '%s.csv' using 1:($3 == 1 ? $2 : 1/0) with points pt 5 ps 3 "
                "lc rgb '#2ca02c' title 'PASS', \\\n    '%s.csv' using 1:($3 == 0 ? $2 : 1/0) "
                "with points pt 5 ps 3 lc rgb '#d62728' title 'not PASS', \\\n    '%s.csv' "
                "using 1:2:4 with labels offset 0,1.6 notitle\n", stem, stem, stem);
    if (script_close(&s, err) != TS_OK)
        return err->code;
    snprintf(r->stems[r->n_plots], sizeof r->stems[0], "%s", stem);
    snprintf(r->titles[r->n_plots], sizeof r->titles[0], "%s", title);
    r->n_plots++;
    return TS_OK;
}

static void html_text(FILE *fp, const char *s)
{
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", fp);
        else if (*s == '>') fputs("&gt;", fp);
        else if (*s == '&') fputs("&amp;", fp);
        else if (*s == '"') fputs("&quot;", fp);
        else fputc(*s, fp);
    }
}

static int find_columns(report *r, ts_error *err)
{
    table *t = &r->sweep;
    char sweep_csv[TS__PATH_MAX];
    snprintf(sweep_csv, sizeof sweep_csv, "%s/sweep.csv", r->dir);
    long seeds = col(t, "seeds");
    if (col(t, "variant") != 0 || seeds < 1 || col(t, "verdict") < 0)
        return ts_error_set(err, TS_EFORMAT, sweep_csv, 1, "not a sweep.csv header");
    for (long c = 1; c + 1 < seeds && r->n_params < SWEEP_MAX_PARAMS; c += 2) {
        param *p = &r->params[r->n_params++];
        p->path = t->rows[0][c];
        p->text_col = c;
        p->value_col = c + 1;
        double first = NAN;
        for (size_t i = 1; i < t->n_rows; i++) {
            double x = num(t->rows[i][c + 1]);
            if (isnan(x))
                continue;
            if (isnan(first)) {
                first = x;
                snprintf(p->unit, sizeof p->unit, "%s", sweep_base_unit(t->rows[i][c]));
            } else if (x != first) {
                p->numeric = 1;
            }
        }
    }
    r->g = calloc(r->gates.n_rows, sizeof *r->g);
    if (!r->g)
        return ts_error_set(err, TS_ENOMEM, r->dir, 0, "out of memory");
    for (size_t i = 1; i < r->gates.n_rows; i++) {
        gate *g = &r->g[r->n_gates];
        char name[256];
        g->name = r->gates.rows[i][0];
        snprintf(g->unit, sizeof g->unit, "%s", r->gates.n_cols > 1 ? r->gates.rows[i][1] : "");
        snprintf(name, sizeof name, "%s/pass", g->name);
        g->pass = col(t, name);
        snprintf(name, sizeof name, "%s/mean", g->name);
        g->mean = col(t, name);
        snprintf(name, sizeof name, "%s/ci95", g->name);
        g->ci = col(t, name);
        snprintf(name, sizeof name, "%s/required", g->name);
        g->req = col(t, name);
        if (g->pass > 0 && g->mean > 0 && g->ci > 0 && g->req > 0)
            r->n_gates++;
    }
    return TS_OK;
}

int cli_sweep_report(const char *dir, const char *out_dir, const char *gnuplot, double timeout_s)
{
    report *r = calloc(1, sizeof *r);
    if (!r) {
        fputs("toposim report: out of memory\n", stderr);
        return CLI_BAD_INPUT;
    }
    r->dir = dir;
    /* out leaves room for "/NAME.png.part" within a path. */
    char out[TS__PATH_MAX - 128], path[TS__PATH_MAX], prog[TS__PATH_MAX];
    if (snprintf(out, sizeof out, "%s%s", out_dir ? out_dir : dir, out_dir ? "" : "/report") >=
        (int)sizeof out) {
        free(r);
        return cli_usage_error("report", "the folder's name is too long");
    }
    r->out = out;
    ts_error err;
    ts_error_clear(&err);
    int rc = TS_OK;
    snprintf(path, sizeof path, "%s/sweep.csv", dir);
    rc = table_read(path, &r->sweep, &err);
    if (rc == TS_OK) {
        snprintf(path, sizeof path, "%s/gates.csv", dir);
        rc = table_read(path, &r->gates, &err);
    }
    if (rc == TS_OK)
        rc = find_columns(r, &err);
    if (rc == TS_OK && cli_make_dir(out) != 0)
        rc = ts_error_set(&err, TS_EIO, out, 0, "cannot create the folder: %s", strerror(errno));
    size_t numeric[SWEEP_MAX_PARAMS], n_numeric = 0;
    for (size_t p = 0; p < r->n_params; p++)
        if (r->params[p].numeric)
            numeric[n_numeric++] = p;
    for (size_t k = 0; k < n_numeric && rc == TS_OK; k++)
        for (size_t g = 0; g < r->n_gates && rc == TS_OK; g++)
            rc = plot_gate(r, numeric[k], g, &err);
    if (rc == TS_OK && n_numeric >= 2)
        rc = plot_map(r, numeric[0], numeric[1], &err);
    if (rc == TS_OK && r->n_plots == 0)
        rc = ts_error_set(&err, TS_EINVAL, dir, 0, "no swept parameter with two or more "
                          "numeric values: nothing to plot against");
    /* report.gp draws them all; gnuplot runs it once. */
    ts__atomic_file f;
    if (rc == TS_OK) {
        snprintf(path, sizeof path, "%s/report.gp", out);
        rc = ts__atomic_open(&f, path, &err);
    }
    if (rc == TS_OK) {
        fputs("# toposim sweep report: every plot (gnuplot report.gp, in this folder)\n", f.fp);
        for (size_t k = 0; k < r->n_plots; k++)
            fprintf(f.fp, "load '%s.gp'\n", r->stems[k]);
        rc = ts__atomic_commit(&f, &err);
    }
    int drawn = 0;
    if (rc == TS_OK) {
        rc = ts__find_program(gnuplot ? gnuplot : "gnuplot", prog, sizeof prog, &err);
        if (rc == TS_OK) {
            char *argv[] = {prog, "-e", "out_suffix='.part'", "report.gp", NULL};
            rc = ts__run_program(argv, out, timeout_s > 0 ? timeout_s : 120, &err);
        }
        for (size_t k = 0; k < r->n_plots && rc == TS_OK; k++)
            for (int e = 0; e < 2 && rc == TS_OK; e++) {
                char tmp[TS__PATH_MAX], final[TS__PATH_MAX - 8];
                snprintf(final, sizeof final, "%s/%s.%s", out, r->stems[k], e ? "svg" : "png");
                snprintf(tmp, sizeof tmp, "%s.part", final);
                if (rename(tmp, final) != 0)
                    rc = ts_error_set(&err, TS_EIO, tmp, 0, "gnuplot made no image: %s",
                                      strerror(errno));
            }
        drawn = rc == TS_OK;
    }
    if (rc == TS_OK || r->n_plots) {
        /* After a gnuplot failure the page still lists the plots; the
         * first error stays the one reported. */
        ts_error scratch;
        ts_error_clear(&scratch);
        ts_error *perr = rc == TS_OK ? &err : &scratch;
        snprintf(path, sizeof path, "%s/index.html", out);
        int page_rc = ts__atomic_open(&f, path, perr);
        if (page_rc == TS_OK) {
            fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>toposim sweep "
                  "report</title></head>\n<body style=\"font-family:sans-serif\">\n<h1>Sweep ",
                  f.fp);
            html_text(f.fp, dir);
            fputs("</h1>\n<p>Data: sweep.csv (a row per variant); every plot's CSV and gnuplot "
                  "script beside its image.</p>\n", f.fp);
            for (size_t k = 0; k < r->n_plots; k++) {
                fputs("<h2>", f.fp);
                html_text(f.fp, r->titles[k]);
                fputs("</h2>\n", f.fp);
                if (drawn)
                    fprintf(f.fp, "<img src=\"%s.svg\" alt=\"%s\">\n", r->stems[k], r->stems[k]);
                else
                    fprintf(f.fp, "<p>(no image: gnuplot did not draw it; %s.gp does)</p>\n",
                            r->stems[k]);
            }
            fputs("</body></html>\n", f.fp);
            page_rc = ts__atomic_commit(&f, perr);
        }
        if (rc == TS_OK)
            rc = page_rc;
    }
    if (rc != TS_OK)
        cli_print_error(&err);
    else
        printf("report: %s/index.html (%zu plots of %zu gates against %zu parameters%s)\n", out,
               r->n_plots, r->n_gates, n_numeric, n_numeric >= 2 ? ", and a pass/fail map" : "");
    table_free(&r->sweep);
    table_free(&r->gates);
    free(r->g);
    free(r);
    return rc == TS_OK ? CLI_OK : CLI_BAD_INPUT;
}
