/*
 * Distributions of non-negative quantities (durations in ns, mostly) drawn
 * from an entity's GSL random stream: execution times, link jitter. A
 * ts_dist is plain data except a histogram, whose lookup table is built
 * once at load time by ts_dist_prepare and released by ts_dist_fini.
 */
#ifndef TOPOSIM_DIST_H
#define TOPOSIM_DIST_H

#include <stddef.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "toposim/error.h"

typedef enum {
    TS_DIST_NONE = 0,        /* always 0 */
    TS_DIST_FIXED = 1,       /* always a */
    TS_DIST_UNIFORM = 2,     /* uniform in [a, b] */
    TS_DIST_NORMAL = 3,      /* mean a, standard deviation b, truncated at 0
                                (redrawn while negative) */
    TS_DIST_EXPONENTIAL = 4, /* mean a */
    TS_DIST_PARETO = 5,      /* minimum (scale) a, shape b > 0 */
    TS_DIST_HISTOGRAM = 6    /* bins [edges[i], edges[i+1]) with weights[i];
                                uniform within the chosen bin */
} ts_dist_kind;

#define TS_DIST_MAX_BINS 64

/* A histogram's bins live outside the struct: a ts_dist is copied into
 * every component, task and link of a fleet, and 1 KiB of inline bins per
 * copy was most of a robot's memory. Whoever fills edges and weights keeps
 * them alive while the unprepared ts_dist is used (the scenario owns those
 * it loads); ts_dist_prepare copies them, so a prepared ts_dist owns its
 * bins and table until ts_dist_fini. Copies of a prepared ts_dist borrow
 * them from it. */
typedef struct ts_dist {
    ts_dist_kind kind;
    double a, b;
    size_t n_bins;                      /* histogram only */
    const double *edges;                /* n_bins + 1, increasing */
    const double *weights;              /* n_bins */
    gsl_ran_discrete_t *table;          /* built by ts_dist_prepare */
    double *owned;                      /* edges then weights, copied by
                                           ts_dist_prepare */
} ts_dist;

/* Checks the parameters (finite, non-negative, a <= b for uniform, shape
 * > 0, increasing edges, weights >= 0 with a positive sum) and, for a
 * histogram, copies its bins and builds its table. The caller releases
 * them with ts_dist_fini. */
int ts_dist_prepare(ts_dist *d, ts_error *err);

/* Releases what ts_dist_prepare built; safe on any ts_dist. */
void ts_dist_fini(ts_dist *d);

/* One draw (>= 0). Allocates nothing. */
double ts_dist_draw(const ts_dist *d, gsl_rng *rng);

/* The distribution's mean (INFINITY for a Pareto with shape <= 1). */
double ts_dist_mean(const ts_dist *d);

/* The largest value it can produce (INFINITY when unbounded). */
double ts_dist_max(const ts_dist *d);

/* Static name of a kind ("none", "fixed", "uniform", ...). */
const char *ts_dist_kind_name(ts_dist_kind kind);

#endif
