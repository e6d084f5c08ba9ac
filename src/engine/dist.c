/* Distributions drawn from GSL random streams (see dist.h). */
#include "toposim/dist.h"

#include <math.h>
#include <string.h>

#include "toposim/alloc.h"

int ts_dist_prepare(ts_dist *d, ts_error *err)
{
    d->table = NULL;
    d->owned = NULL;
    if (!isfinite(d->a) || !isfinite(d->b) || d->a < 0 || d->b < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "distribution parameters must be finite and >= 0");
    switch (d->kind) {
    case TS_DIST_NONE:
    case TS_DIST_FIXED:
    case TS_DIST_EXPONENTIAL:
    case TS_DIST_NORMAL:
        return TS_OK;
    case TS_DIST_UNIFORM:
        if (d->a > d->b)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "uniform distribution needs min <= max");
        return TS_OK;
    case TS_DIST_PARETO:
        if (d->a <= 0 || d->b <= 0)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "Pareto distribution needs scale > 0 and shape > 0");
        return TS_OK;
    case TS_DIST_HISTOGRAM: {
        if (d->n_bins < 1 || d->n_bins > TS_DIST_MAX_BINS || !d->edges || !d->weights)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "histogram needs 1 to %d bins", TS_DIST_MAX_BINS);
        double sum = 0;
        for (size_t i = 0; i < d->n_bins; i++) {
            if (!(d->edges[i + 1] > d->edges[i]) || d->edges[i] < 0 ||
                !isfinite(d->edges[i + 1]))
                return ts_error_set(err, TS_EINVAL, NULL, 0,
                                    "histogram edges must be finite, >= 0 and increasing");
            if (!(d->weights[i] >= 0) || !isfinite(d->weights[i]))
                return ts_error_set(err, TS_EINVAL, NULL, 0,
                                    "histogram weights must be >= 0");
            sum += d->weights[i];
        }
        if (!(sum > 0))
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "histogram weights must not all be zero");
        size_t n = d->n_bins;
        double *own = ts_malloc((2 * n + 1) * sizeof *own);
        if (!own)
            return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for a histogram");
        memcpy(own, d->edges, (n + 1) * sizeof *own);
        memcpy(own + n + 1, d->weights, n * sizeof *own);
        /* Walker's alias table: O(1) per draw, built once here. */
        gsl_ran_discrete_t *table = gsl_ran_discrete_preproc(n, own + n + 1);
        if (!table) {
            ts_free(own);
            return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for a histogram");
        }
        d->owned = own;
        d->edges = own;
        d->weights = own + n + 1;
        d->table = table;
        return TS_OK;
    }
    }
    return ts_error_set(err, TS_EINVAL, NULL, 0, "unknown distribution kind %d",
                        (int)d->kind);
}

void ts_dist_fini(ts_dist *d)
{
    if (d->table)
        gsl_ran_discrete_free(d->table);
    d->table = NULL;
    if (d->owned) {
        ts_free(d->owned);
        d->edges = d->weights = NULL;
    }
    d->owned = NULL;
}

double ts_dist_draw(const ts_dist *d, gsl_rng *rng)
{
    switch (d->kind) {
    case TS_DIST_FIXED:
        return d->a;
    case TS_DIST_UNIFORM:
        return d->a + (d->b - d->a) * gsl_rng_uniform(rng);
    case TS_DIST_NORMAL: {
        if (d->b == 0)
            return d->a;
        /* Truncation by rejection keeps the shape above 0; bounded so a
         * mean far below 0 cannot loop for ever. */
        for (int tries = 0; tries < 1000; tries++) {
            double x = d->a + gsl_ran_gaussian(rng, d->b);
            if (x >= 0)
                return x;
        }
        return 0;
    }
    case TS_DIST_EXPONENTIAL:
        return d->a > 0 ? gsl_ran_exponential(rng, d->a) : 0;
    case TS_DIST_PARETO:
        return gsl_ran_pareto(rng, d->b, d->a);
    case TS_DIST_HISTOGRAM: {
        if (!d->table)
            return 0;
        size_t bin = gsl_ran_discrete(rng, d->table);
        double lo = d->edges[bin], hi = d->edges[bin + 1];
        return lo + (hi - lo) * gsl_rng_uniform(rng);
    }
    case TS_DIST_NONE:
    default:
        return 0;
    }
}

double ts_dist_mean(const ts_dist *d)
{
    switch (d->kind) {
    case TS_DIST_FIXED: return d->a;
    case TS_DIST_UNIFORM: return 0.5 * (d->a + d->b);
    case TS_DIST_NORMAL: {
        if (d->b == 0)
            return d->a;
        /* Mean of a normal truncated below at 0: mu + sigma*phi(z)/(1-Phi(z)),
         * z = -mu/sigma. */
        double z = -d->a / d->b;
        double phi = exp(-0.5 * z * z) / sqrt(2 * 3.14159265358979323846);
        double tail = 0.5 * erfc(z / sqrt(2.0));
        return tail > 0 ? d->a + d->b * phi / tail : 0;
    }
    case TS_DIST_EXPONENTIAL: return d->a;
    case TS_DIST_PARETO: return d->b > 1 ? d->b * d->a / (d->b - 1) : INFINITY;
    case TS_DIST_HISTOGRAM: {
        double sum = 0, wsum = 0;
        for (size_t i = 0; i < d->n_bins; i++) {
            sum += d->weights[i] * 0.5 * (d->edges[i] + d->edges[i + 1]);
            wsum += d->weights[i];
        }
        return wsum > 0 ? sum / wsum : 0;
    }
    case TS_DIST_NONE:
    default:
        return 0;
    }
}

double ts_dist_max(const ts_dist *d)
{
    switch (d->kind) {
    case TS_DIST_FIXED: return d->a;
    case TS_DIST_UNIFORM: return d->b;
    case TS_DIST_NORMAL: return d->b == 0 ? d->a : INFINITY;
    case TS_DIST_EXPONENTIAL: return d->a > 0 ? INFINITY : 0;
    case TS_DIST_PARETO: return INFINITY;
    case TS_DIST_HISTOGRAM: return d->n_bins ? d->edges[d->n_bins] : 0;
    case TS_DIST_NONE:
    default:
        return 0;
    }
}

const char *ts_dist_kind_name(ts_dist_kind kind)
{
    switch (kind) {
    case TS_DIST_NONE: return "none";
    case TS_DIST_FIXED: return "fixed";
    case TS_DIST_UNIFORM: return "uniform";
    case TS_DIST_NORMAL: return "normal";
    case TS_DIST_EXPONENTIAL: return "exponential";
    case TS_DIST_PARETO: return "pareto";
    case TS_DIST_HISTOGRAM: return "histogram";
    }
    return "unknown";
}
