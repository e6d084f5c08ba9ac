/* Tests of the summary level's log-bucketed histograms
 * (src/trace/histogram.c): the buckets cover every value once, and
 * percentiles read from them are within the documented relative error of
 * GSL's exact percentiles on several distributions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>

#include "toposim/histogram.h"

#define N_VALUES 200000

/* Buckets are contiguous, ordered and each value lands in the bucket
 * whose bounds hold it; below 2^BITS every value has its own bucket. */
static void test_buckets_tile_the_values(void **state)
{
    (void)state;
    for (int64_t v = 0; v < (1 << TS_HIST_BITS); v++) {
        assert_int_equal(ts_hist_bucket(v), v);
        assert_true(ts_hist_bucket_value((int32_t)v) == (double)v);
    }
    for (int32_t b = 0; b + 1 < TS_HIST_BUCKETS; b++) {
        assert_true(ts_hist_bucket_low(b) <= ts_hist_bucket_high(b));
        assert_true(ts_hist_bucket_high(b) + 1 == ts_hist_bucket_low(b + 1));
        assert_int_equal(ts_hist_bucket(ts_hist_bucket_low(b)), b);
        assert_int_equal(ts_hist_bucket(ts_hist_bucket_high(b)), b);
    }
    assert_int_equal(ts_hist_bucket(INT64_MAX), TS_HIST_BUCKETS - 1);
    assert_true(ts_hist_bucket_high(TS_HIST_BUCKETS - 1) == INT64_MAX);
    assert_int_equal(ts_hist_bucket(-5), 0);
}

/* Every value read back is within the bound of itself. */
static void test_value_error_bound(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double worst = 0;
    for (int i = 0; i < N_VALUES; i++) {
        int64_t v = (int64_t)exp(gsl_rng_uniform(r) * 40.0);
        double back = ts_hist_bucket_value(ts_hist_bucket(v));
        double rel = v ? fabs(back - (double)v) / (double)v : 0;
        if (rel > worst)
            worst = rel;
    }
    assert_true(worst <= TS_HIST_REL_ERROR);
    /* The bound is tight: some value comes close to it. */
    assert_true(worst > TS_HIST_REL_ERROR / 2);
    gsl_rng_free(r);
}

typedef double (*draw_fn)(gsl_rng *r);

static double uniform_us(gsl_rng *r) { return 150e3 + 50e3 * gsl_rng_uniform(r); }
static double exponential_ms(gsl_rng *r) { return gsl_ran_exponential(r, 2e6); }
static double lognormal(gsl_rng *r) { return gsl_ran_lognormal(r, 13.0, 1.5); }
static double bimodal(gsl_rng *r)
{
    return gsl_rng_uniform(r) < 0.99 ? 400e3 + gsl_ran_gaussian(r, 10e3) : 30e6;
}
static double constant(gsl_rng *r) { (void)r; return 1234567; }
static double tiny(gsl_rng *r) { return (double)gsl_rng_uniform_int(r, 100); }

static int by_bucket(const void *x, const void *y)
{
    const ts_hist_pair *a = x, *b = y;
    return (a->bucket > b->bucket) - (a->bucket < b->bucket);
}

/* Percentiles from the buckets against GSL's on the sorted values. */
static void check_distribution(draw_fn draw, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    double *v = malloc(N_VALUES * sizeof *v);
    uint64_t *dense = calloc(TS_HIST_BUCKETS, sizeof *dense);
    ts_hist_pair *pairs = malloc(TS_HIST_BUCKETS * sizeof *pairs);
    assert_non_null(v);
    assert_non_null(dense);
    assert_non_null(pairs);
    for (int i = 0; i < N_VALUES; i++) {
        double x = draw(r);
        v[i] = x < 0 ? 0 : floor(x);   /* times are integer ns */
        dense[ts_hist_bucket((int64_t)v[i])]++;
    }
    /* Sparse pairs, given out of order and sorted as a reader would. */
    size_t n = 0;
    for (int32_t b = TS_HIST_BUCKETS; b-- > 0;)
        if (dense[b])
            pairs[n++] = (ts_hist_pair){b, dense[b]};
    qsort(pairs, n, sizeof *pairs, by_bucket);
    gsl_sort(v, 1, N_VALUES);
    static const double fs[] = {0.0, 0.5, 0.9, 0.99, 0.999, 1.0};
    for (size_t k = 0; k < sizeof fs / sizeof fs[0]; k++) {
        double exact = gsl_stats_quantile_from_sorted_data(v, 1, N_VALUES, fs[k]);
        double approx = ts_hist_quantile(pairs, n, fs[k]);
        double allowed = exact * TS_HIST_REL_ERROR + 0.5;
        if (fabs(approx - exact) > allowed)
            fail_msg("seed %lu f %.3f: %.1f from the buckets, %.1f exact, allowed %.1f", seed,
                     fs[k], approx, exact, allowed);
    }
    free(v);
    free(dense);
    free(pairs);
    gsl_rng_free(r);
}

static void test_percentiles_within_bound(void **state)
{
    (void)state;
    draw_fn draws[] = {uniform_us, exponential_ms, lognormal, bimodal, constant, tiny};
    for (size_t i = 0; i < sizeof draws / sizeof draws[0]; i++)
        check_distribution(draws[i], 1 + i);
}

static void test_empty_and_single(void **state)
{
    (void)state;
    assert_true(isnan(ts_hist_quantile(NULL, 0, 0.5)));
    ts_hist_pair one = {ts_hist_bucket(1000000), 1};
    double q = ts_hist_quantile(&one, 1, 0.99);
    assert_true(fabs(q - 1e6) <= 1e6 * TS_HIST_REL_ERROR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets_tile_the_values),
        cmocka_unit_test(test_value_error_bound),
        cmocka_unit_test(test_percentiles_within_bound),
        cmocka_unit_test(test_empty_and_single),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
