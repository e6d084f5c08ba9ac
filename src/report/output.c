/* Output files of the report: paths in its folder, crash-safe opening,
 * the plot list, CSV text. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_internal.h"
#include "toposim/alloc.h"

const char *ts__section_title(ts__section s)
{
    static const char *const titles[TS__N_SECTIONS] = {
        "Topics: latency", "Components: response time", "Chains: data age", "Nodes",
        "Links and shared media",
        "Events", "Placement", "Fleets"};
    return (unsigned)s < TS__N_SECTIONS ? titles[s] : "";
}

int ts__report_path(const ts__report *r, const char *name, char *buf, size_t size,
                    ts_error *err)
{
    int n = snprintf(buf, size, "%s/%s", r->o->out_dir, name);
    if (n < 0 || (size_t)n >= size)
        return ts_error_set(err, TS_ERANGE, r->o->out_dir, 0, "path too long for %s", name);
    return TS_OK;
}

int ts__report_open(const ts__report *r, const char *name, ts__atomic_file *f,
                    ts_error *err)
{
    char path[TS__PATH_MAX];
    int rc = ts__report_path(r, name, path, sizeof path, err);
    const char *inputs[] = {r->o->trace_path};
    if (rc == TS_OK)
        rc = ts__check_output(path, inputs, 1, err);
    if (rc == TS_OK)
        rc = ts__atomic_open(f, path, err);
    return rc;
}

ts__plot *ts__report_add_plot(ts__report *r, ts__section s, const char *prefix,
                              size_t index, const char *name, const char *title,
                              ts_error *err)
{
    if (r->n_plots == r->cap_plots) {
        size_t cap = r->cap_plots ? 2 * r->cap_plots : 32;
        ts__plot *p = ts_realloc(r->plots, cap * sizeof *p);
        if (!p) {
            ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory for the plot list");
            return NULL;
        }
        r->plots = p;
        r->cap_plots = cap;
    }
    ts__plot *p = &r->plots[r->n_plots++];
    memset(p, 0, sizeof *p);
    p->section = s;
    /* Names come from a trace, which may be hostile: the stem keeps only
     * characters that are safe in a file name, a gnuplot string and a
     * URL, and the index makes two names that clean alike distinct. */
    char clean[TS_TRACE_NAME_LEN];
    size_t j = 0;
    for (const char *c = name; *c && j + 1 < sizeof clean; c++) {
        int ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                 (*c >= '0' && *c <= '9') || *c == '-' || *c == '_';
        clean[j++] = ok ? *c : '_';
    }
    clean[j] = '\0';
    snprintf(p->stem, sizeof p->stem, "%s-%03zu-%s", prefix, index, clean);
    snprintf(p->title, sizeof p->title, "%s", title);
    return p;
}

const char *ts__plot_data(ts__plot *p, const char *suffix)
{
    if (p->n_data >= TS__MAX_PLOT_DATA)
        return p->data[TS__MAX_PLOT_DATA - 1];
    char *d = p->data[p->n_data++];
    snprintf(d, sizeof p->data[0], "%s%s.csv", p->stem, suffix);
    return d;
}

void ts__csv_str(FILE *fp, const char *s)
{
    /* A name from a trace is hostile: a cell a spreadsheet would read as a
     * formula (=, +, -, @, tab, CR first) is quoted and led by a single
     * quote so it shows as text (OWASP, "CSV Injection"). */
    int formula = strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0';
    int quote = formula || strpbrk(s, ",\"\r\n") != NULL;
    if (quote)
        fputc('"', fp);
    if (formula)
        fputc('\'', fp);
    for (const char *c = s; *c; c++) {
        if (*c == '"')
            fputs("\"\"", fp);
        else if ((unsigned char)*c < 0x20 && *c != '\n')
            fputc(' ', fp);
        else
            fputc(*c, fp);
    }
    if (quote)
        fputc('"', fp);
}

int ts__report_reserve(ts__report *r, size_t n, ts_error *err)
{
    if (n <= r->cap_samples)
        return TS_OK;
    if (n > SIZE_MAX / sizeof(double))
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "too many samples");
    double *s = ts_realloc(r->samples, n * sizeof *s);
    if (!s)
        return ts_error_set(err, TS_ENOMEM, NULL, 0,
                            "out of memory for %zu samples of one item", n);
    r->samples = s;
    r->cap_samples = n;
    return TS_OK;
}

void ts__csv_time(FILE *fp, int64_t ns)
{
    /* Integer arithmetic, not printf of a double: exact and the same on
     * every machine. */
    int64_t s = ns / 1000000000, frac = ns % 1000000000;
    if (ns < 0 && frac) {
        s -= 1;
        frac += 1000000000;
    }
    fprintf(fp, "%" PRId64 ".%09" PRId64, s, frac);
}
