/*
 * For autoscaling tests: the Kubernetes HPA rule re-implemented from its
 * documentation, independently of src/deploy/autoscaler.c, and checked
 * against the decisions a trace records.
 */
#ifndef TOPOSIM_TESTS_HPA_ORACLE_H
#define TOPOSIM_TESTS_HPA_ORACLE_H

#include <stddef.h>
#include <stdint.h>

#include "toposim/trace.h"

typedef struct hpa_policy {
    int min_replicas, max_replicas;
    double target;              /* metric per replica */
    double tolerance;           /* HPA's default 0.1 */
    int64_t period_ns;          /* one decision per period */
    int64_t up_window_ns, down_window_ns;
} hpa_policy;

/* Walks the trace's autoscale_eval events (value: the metric summed over
 * the current replicas) from min_replicas: per decision the
 * recommendation ceil(current * (metric / current) / target) unless within
 * the tolerance, clamped; then at least the least recommendation of the
 * up window and at most the greatest of the down window (strictly newer
 * than now - window, this one included). Each decision's final count must
 * be the one the trace acted on: a scale_out/scale_in at the same instant
 * with that count, or no scale record when it equals the current one.
 * Fails the current CMocka test otherwise; returns the decisions and sets
 * *scales to the scale records seen. */
size_t hpa_oracle_check(const ts_trace *t, const hpa_policy *p, size_t *scales);

/* One scale record expected in a timeline worked out by hand. */
typedef struct hpa_scale_step {
    const char *kind;           /* "scale_out" or "scale_in" */
    int64_t at_ns;
    int replicas;
} hpa_scale_step;

/* The trace's scale records are exactly want[0..n), in order. */
void hpa_expect_scales(const ts_trace *t, const hpa_scale_step *want, size_t n);

#endif
