/*
 * Log-bucketed histograms of non-negative integer times (nanoseconds), as
 * HDR Histogram keeps them: every power of two is cut into the same number
 * of linear sub-buckets, so a bucket's width is a fixed fraction of its
 * value and the relative error is bounded whatever the range ("HdrHistogram:
 * A High Dynamic Range Histogram", hdrhistogram.github.io/HdrHistogram:
 * sub-buckets per power of two set the precision; values within a bucket
 * are equivalent). The summary trace level stores, per item and window,
 * the buckets that hold any value (sparse), and the validator reads its
 * percentiles from them.
 *
 * Precision: TS_HIST_BITS = 6. Values below 2^6 ns have a bucket each
 * (exact); above, a power of two [2^k, 2^(k+1)) is cut into 2^5 = 32
 * buckets of width 2^(k-5). A value is read back as its bucket's middle,
 * which is within half a width of it: the error is at most 2^-6 = 1.5625 %
 * of the value (and 0 below 64 ns). A percentile read from the buckets
 * interpolates between two such read-backs as GSL's
 * gsl_stats_quantile_from_sorted_data interpolates between the exact
 * values, so it too is within 1.5625 % of the exact percentile, plus half
 * a nanosecond of rounding. Chosen for size: a latency spread over a
 * factor of two fills at most 32 buckets.
 */
#ifndef TOPOSIM_HISTOGRAM_H
#define TOPOSIM_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

/* Bits of precision: 2^TS_HIST_BITS exact buckets, then 2^(BITS-1) per
 * power of two. */
#define TS_HIST_BITS 6
/* The relative error bound of a value or percentile read back. */
#define TS_HIST_REL_ERROR (1.0 / (double)(1 << TS_HIST_BITS))
/* Buckets needed for every int64 value >= 0 (indices 0 .. COUNT - 1). */
#define TS_HIST_BUCKETS ((64 - TS_HIST_BITS + 1) * (1 << (TS_HIST_BITS - 1)))

/* One bucket that holds values: its index and how many. */
typedef struct ts_hist_pair {
    int32_t bucket;
    uint64_t count;
} ts_hist_pair;

/* The bucket of value v (v < 0 counts as 0). */
int32_t ts_hist_bucket(int64_t v);

/* The least and greatest value of bucket b (0 <= b < TS_HIST_BUCKETS). */
int64_t ts_hist_bucket_low(int32_t b);
int64_t ts_hist_bucket_high(int32_t b);

/* The value bucket b reads back as: its middle. */
double ts_hist_bucket_value(int32_t b);

/* The f-quantile (0 <= f <= 1) of the values the pairs hold, sorted by
 * bucket, by linear interpolation between order statistics as
 * gsl_stats_quantile_from_sorted_data does, each order statistic read as
 * its bucket's value. NaN when the pairs hold no value. */
double ts_hist_quantile(const ts_hist_pair *pairs, size_t n, double f);

#endif
