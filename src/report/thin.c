/* Thinning: time series kept to a few thousand points per plot, and the
 * ranks at which a latency CDF is drawn. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_internal.h"
#include "toposim/alloc.h"

int ts__thin_init(ts__thin *s, size_t buckets, int64_t span_ns, ts_error *err)
{
    memset(s, 0, sizeof *s);
    s->buckets = buckets ? buckets : 1;
    s->span_ns = span_ns > 0 ? span_ns : 1;
    s->raw = ts_malloc(2 * s->buckets * sizeof *s->raw);
    if (!s->raw)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory for a time series");
    return TS_OK;
}

static size_t bucket_of(const ts__thin *s, int64_t t)
{
    if (t <= 0)
        return 0;
    if (t >= s->span_ns)
        return s->buckets - 1;
    /* t * buckets may overflow int64 for long runs: divide in double,
     * exact enough to pick a window and the same on every machine. */
    size_t k = (size_t)((double)t / (double)s->span_ns * (double)s->buckets);
    return k < s->buckets ? k : s->buckets - 1;
}

static void bucket_put(ts__thin *s, const ts__point *p)
{
    struct ts__thin_bucket *b = &s->b[bucket_of(s, p->t)];
    if (b->n == 0) {
        b->lo = b->hi = *p;
    } else {
        /* Strict comparisons: the first of equal values stays. */
        if (p->y < b->lo.y)
            b->lo = *p;
        if (p->y > b->hi.y)
            b->hi = *p;
    }
    b->n++;
}

int ts__thin_add(ts__thin *s, int64_t t, double y, ts_error *err)
{
    ts__point p = {t, y, s->seq++};
    s->added++;
    if (!s->b && s->n_raw < 2 * s->buckets) {
        s->raw[s->n_raw++] = p;
        return TS_OK;
    }
    if (!s->b) {
        s->b = ts_calloc(s->buckets, sizeof *s->b);
        if (!s->b)
            return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory for a time series");
        for (size_t i = 0; i < s->n_raw; i++)
            bucket_put(s, &s->raw[i]);
        s->n_raw = 0;
    }
    bucket_put(s, &p);
    return TS_OK;
}

static int cmp_point(const void *pa, const void *pb)
{
    const ts__point *a = pa, *b = pb;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

size_t ts__thin_points(ts__thin *s, const ts__point **out)
{
    if (s->b) {
        s->n_raw = 0;
        for (size_t k = 0; k < s->buckets; k++) {
            const struct ts__thin_bucket *b = &s->b[k];
            if (b->n == 0)
                continue;
            s->raw[s->n_raw++] = b->lo;
            if (b->hi.seq != b->lo.seq)
                s->raw[s->n_raw++] = b->hi;
        }
    }
    qsort(s->raw, s->n_raw, sizeof *s->raw, cmp_point);
    *out = s->raw;
    return s->n_raw;
}

void ts__thin_fini(ts__thin *s)
{
    ts_free(s->raw);
    ts_free(s->b);
    memset(s, 0, sizeof *s);
}

int ts__cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

static int cmp_size(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    return (a > b) - (a < b);
}

/* The last index holding the value at sorted[i] (binary search: a run of
 * equal latencies may be the whole topic). */
static size_t last_equal(const double *sorted, size_t n, size_t i)
{
    size_t lo = i, hi = n; /* sorted[lo] == v; the answer is in [lo, hi) */
    double v = sorted[i];
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] == v)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

size_t ts__cdf_ranks(const double *sorted, size_t n, size_t max_points, size_t *idx)
{
    if (n == 0 || max_points == 0)
        return 0;
    size_t m = 0;
    if (n <= max_points) {
        for (size_t i = 0; i < n; i++)
            idx[m++] = i;
    } else {
        /* Rank 0, then half of the rest evenly in probability: rank
         * ceil(k n / h) - 1. */
        idx[m++] = 0;
        size_t half = (max_points - 1) / 2;
        for (size_t k = 1; k <= half; k++)
            idx[m++] = (size_t)(((unsigned long long)k * n + half - 1) / half) - 1;
        /* The other half on the tail: n - c for c from 1 to n / 100
         * geometrically, so p99, p99.9 and beyond keep their shape. */
        size_t tail = max_points - 1 - half;
        double top = log((double)n / 100.0);
        for (size_t k = 0; k < tail && top > 0; k++) {
            double c = exp(top * (double)k / (double)(tail > 1 ? tail - 1 : 1));
            size_t ci = (size_t)llround(c);
            if (ci < 1)
                ci = 1;
            if (ci > n)
                ci = n;
            idx[m++] = n - ci;
        }
    }
    /* Each rank moves to the last of its run of equal values. */
    for (size_t i = 0; i < m; i++)
        idx[i] = last_equal(sorted, n, idx[i]);
    qsort(idx, m, sizeof *idx, cmp_size);
    size_t u = 0;
    for (size_t i = 0; i < m; i++)
        if (u == 0 || idx[i] != idx[u - 1])
            idx[u++] = idx[i];
    return u;
}

static void rows_flush(ts__rows *w)
{
    if (w->cur == SIZE_MAX)
        return;
    ts__csv_time(w->fp, w->t_last);
    for (size_t c = 0; c < w->ncols; c++) {
        if (w->n[c] == 0) {
            fputs(",NaN", w->fp);
            continue;
        }
        double y = w->agg[c] == TS__AGG_MEAN ? w->acc[c] / w->n[c] : w->acc[c];
        fprintf(w->fp, ",%.9g", y);
    }
    fputc('\n', w->fp);
    w->written++;
    w->cur = SIZE_MAX;
}

void ts__rows_begin(ts__rows *w, FILE *fp, size_t ncols, const ts__agg *agg,
                    size_t buckets, int64_t span_ns, size_t total_rows)
{
    memset(w, 0, sizeof *w);
    w->fp = fp;
    w->ncols = ncols < TS__ROW_MAX_COLS ? ncols : TS__ROW_MAX_COLS;
    w->agg = agg;
    w->buckets = buckets ? buckets : 1;
    w->span_ns = span_ns > 0 ? span_ns : 1;
    w->folded = total_rows > 2 * w->buckets;
    w->cur = SIZE_MAX;
}

void ts__rows_add(ts__rows *w, int64_t t, const double *vals)
{
    size_t k = 0;
    if (w->folded) {
        k = t <= 0 ? 0
            : t >= w->span_ns ? w->buckets - 1
                              : (size_t)((double)t / (double)w->span_ns * (double)w->buckets);
        if (k >= w->buckets)
            k = w->buckets - 1;
    }
    if (!w->folded || k != w->cur) {
        rows_flush(w);
        w->cur = k;
        memset(w->n, 0, sizeof w->n);
    }
    w->t_last = t;
    for (size_t c = 0; c < w->ncols; c++) {
        double y = vals[c];
        if (isnan(y))
            continue;
        if (w->n[c] == 0)
            w->acc[c] = y;
        else if (w->agg[c] == TS__AGG_MAX)
            w->acc[c] = y > w->acc[c] ? y : w->acc[c];
        else if (w->agg[c] == TS__AGG_MIN)
            w->acc[c] = y < w->acc[c] ? y : w->acc[c];
        else
            w->acc[c] += y; /* mean (divided when written) or sum */
        w->n[c]++;
    }
}

void ts__rows_end(ts__rows *w)
{
    rows_flush(w);
}
