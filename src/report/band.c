/* Fleet bands: one value per robot per time window, drawn as the band of
 * all robots (min..max, and the median) with the worst few as lines, so a
 * thousand robots stay one readable plot. Memory: members x windows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_internal.h"
#include "toposim/alloc.h"

int ts__band_init(ts__band *b, size_t members, size_t buckets, int64_t span_ns,
                  ts__band_mode mode, ts_error *err)
{
    memset(b, 0, sizeof *b);
    b->members = members ? members : 1;
    b->buckets = buckets ? buckets : 1;
    b->span_ns = span_ns > 0 ? span_ns : 1;
    b->mode = mode;
    if (b->members > SIZE_MAX / sizeof(double) / b->buckets)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "fleet band too large");
    size_t cells = b->members * b->buckets;
    b->v = ts_malloc(cells * sizeof *b->v);
    b->n = ts_calloc(cells, sizeof *b->n);
    if (!b->v || !b->n) {
        ts__band_free(b);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory for a fleet band");
    }
    for (size_t i = 0; i < cells; i++)
        b->v[i] = NAN;
    return TS_OK;
}

void ts__band_add(ts__band *b, size_t member, int64_t t, double y)
{
    if (member >= b->members || isnan(y))
        return;
    size_t k = t <= 0 ? 0
               : t >= b->span_ns
                   ? b->buckets - 1
                   : (size_t)((double)t / (double)b->span_ns * (double)b->buckets);
    if (k >= b->buckets)
        k = b->buckets - 1;
    size_t c = member * b->buckets + k;
    if (b->n[c] == 0)
        b->v[c] = y;
    else if (b->mode == TS__BAND_MAX)
        b->v[c] = y > b->v[c] ? y : b->v[c];
    else
        b->v[c] += y; /* a sum until written: divided by n there */
    b->n[c]++;
}

static double cell(const ts__band *b, size_t m, size_t k)
{
    size_t c = m * b->buckets + k;
    if (b->n[c] == 0)
        return NAN;
    return b->mode == TS__BAND_MEAN ? b->v[c] / b->n[c] : b->v[c];
}

size_t ts__band_worst(const ts__band *b, size_t k, size_t *worst)
{
    size_t got = 0;
    double peak_of[16];
    if (k > 16)
        k = 16;
    for (size_t m = 0; m < b->members; m++) {
        double peak = NAN;
        for (size_t j = 0; j < b->buckets; j++) {
            double y = cell(b, m, j);
            if (!isnan(y) && (isnan(peak) || y > peak))
                peak = y;
        }
        if (isnan(peak))
            continue;
        /* Insert into the sorted top k; a tie keeps the lower member. */
        size_t at = got;
        while (at > 0 && peak > peak_of[at - 1])
            at--;
        if (at >= k)
            continue;
        size_t last = got < k ? got : k - 1;
        for (size_t i = last; i > at; i--) {
            worst[i] = worst[i - 1];
            peak_of[i] = peak_of[i - 1];
        }
        worst[at] = m;
        peak_of[at] = peak;
        if (got < k)
            got++;
    }
    return got;
}

static void put(FILE *fp, double y, double scale)
{
    if (isnan(y))
        fputs(",NaN", fp);
    else
        fprintf(fp, ",%.9g", y * scale);
}

int ts__band_write(const ts__band *b, FILE *fp, const size_t *worst, size_t k,
                   const char *const *worst_names, double scale, ts_error *err)
{
    double *col = ts_malloc(b->members * sizeof *col);
    if (!col)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory for a fleet band");
    fputs("time_s,min,median,max", fp);
    for (size_t i = 0; i < k; i++) {
        fputc(',', fp);
        ts__csv_str(fp, worst_names[i]);
    }
    fputc('\n', fp);
    for (size_t j = 0; j < b->buckets; j++) {
        size_t n = 0;
        for (size_t m = 0; m < b->members; m++) {
            double y = cell(b, m, j);
            if (!isnan(y))
                col[n++] = y;
        }
        if (n == 0)
            continue;
        qsort(col, n, sizeof *col, ts__cmp_double);
        /* The window's middle: its right edge would put a spike late. */
        int64_t mid = (int64_t)(((double)j + 0.5) / (double)b->buckets * (double)b->span_ns);
        ts__csv_time(fp, mid);
        double median = n % 2 ? col[n / 2] : 0.5 * (col[n / 2 - 1] + col[n / 2]);
        put(fp, col[0], scale);
        put(fp, median, scale);
        put(fp, col[n - 1], scale);
        for (size_t i = 0; i < k; i++)
            put(fp, cell(b, worst[i], j), scale);
        fputc('\n', fp);
    }
    ts_free(col);
    return TS_OK;
}

void ts__band_free(ts__band *b)
{
    ts_free(b->v);
    ts_free(b->n);
    memset(b, 0, sizeof *b);
}
