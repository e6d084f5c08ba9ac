/*
 * Log-linear bucket arithmetic of the summary level's histograms (see
 * include/toposim/histogram.h for the layout and its error bound).
 * Hand-written rather than linked from HdrHistogram_c: the trace stores
 * only bucket indices and counts, and the three functions below are all
 * of that library the trace would use; no Debian 12 package ships it.
 */
#include "toposim/histogram.h"

#include <math.h>

#define SUB_HALF (1 << (TS_HIST_BITS - 1))

/* Index of the highest set bit of v > 0. */
static int msb(uint64_t v)
{
    return 63 - __builtin_clzll(v);
}

int32_t ts_hist_bucket(int64_t v)
{
    if (v < (1 << TS_HIST_BITS))
        return v < 0 ? 0 : (int32_t)v;
    int shift = msb((uint64_t)v) - (TS_HIST_BITS - 1);
    int64_t mantissa = v >> shift;  /* in [SUB_HALF, 2 * SUB_HALF) */
    return (int32_t)(shift * SUB_HALF + mantissa);
}

int64_t ts_hist_bucket_low(int32_t b)
{
    if (b < (1 << TS_HIST_BITS))
        return b < 0 ? 0 : b;
    int shift = b / SUB_HALF - 1;
    int64_t mantissa = SUB_HALF + b % SUB_HALF;
    return mantissa << shift;
}

int64_t ts_hist_bucket_high(int32_t b)
{
    if (b < (1 << TS_HIST_BITS))
        return b < 0 ? 0 : b;
    int shift = b / SUB_HALF - 1;
    return ts_hist_bucket_low(b) + (((int64_t)1 << shift) - 1);
}

double ts_hist_bucket_value(int32_t b)
{
    int64_t lo = ts_hist_bucket_low(b), hi = ts_hist_bucket_high(b);
    return (double)lo + (double)(hi - lo) / 2.0;
}

/* The value of order statistic `rank` (0-based) of the pairs. */
static double order_statistic(const ts_hist_pair *pairs, size_t n, uint64_t rank)
{
    uint64_t seen = 0;
    for (size_t i = 0; i < n; i++) {
        seen += pairs[i].count;
        if (rank < seen)
            return ts_hist_bucket_value(pairs[i].bucket);
    }
    return n ? ts_hist_bucket_value(pairs[n - 1].bucket) : NAN;
}

double ts_hist_quantile(const ts_hist_pair *pairs, size_t n, double f)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += pairs[i].count;
    if (total == 0)
        return NAN;
    /* As gsl_stats_quantile_from_sorted_data (GSL 2.7,
     * statistics/quantiles_source.c): index = (n - 1) f, then linear
     * interpolation between the two order statistics around it. */
    double index = f * (double)(total - 1);
    uint64_t lhs = (uint64_t)index;
    double delta = index - (double)lhs;
    double lo = order_statistic(pairs, n, lhs);
    if (lhs + 1 >= total || delta == 0)
        return lo;
    double hi = order_statistic(pairs, n, lhs + 1);
    return (1 - delta) * lo + delta * hi;
}
