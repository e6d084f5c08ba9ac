/* The HPA rule as a test oracle (see hpa_oracle.h). */
#include "hpa_oracle.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#define HPA_ORACLE_DECISIONS 1024

static int is(const ts_trace_event *e, const char *kind)
{
    return strcmp(e->kind, kind) == 0;
}

size_t hpa_oracle_check(const ts_trace *t, const hpa_policy *p, size_t *scales)
{
    static int64_t times[HPA_ORACLE_DECISIONS];
    static int recs[HPA_ORACLE_DECISIONS];
    size_t n = 0;
    *scales = 0;
    int cur = p->min_replicas;
    for (size_t i = 0; i < t->n_events; i++) {
        const ts_trace_event *e = &t->events[i];
        if (is(e, "scale_out") || is(e, "scale_in"))
            (*scales)++;
        if (!is(e, "autoscale_eval"))
            continue;
        assert_int_equal(e->time_ns % p->period_ns, 0);
        double per_replica = e->value / cur;
        int raw = cur;
        if (fabs(per_replica / p->target - 1.0) > p->tolerance)
            raw = (int)ceil(cur * (per_replica / p->target));
        raw = raw < p->min_replicas ? p->min_replicas
              : raw > p->max_replicas ? p->max_replicas
                                      : raw;
        int up = raw, down = raw;
        for (size_t k = 0; k < n; k++) {
            if (times[k] > e->time_ns - p->up_window_ns && recs[k] < up)
                up = recs[k];
            if (times[k] > e->time_ns - p->down_window_ns && recs[k] > down)
                down = recs[k];
        }
        assert_true(n < HPA_ORACLE_DECISIONS);
        times[n] = e->time_ns;
        recs[n++] = raw;
        int final = cur < up ? up : cur;
        final = final > down ? down : final;
        /* The record that follows the evaluation is its action. */
        const ts_trace_event *next = i + 1 < t->n_events ? &t->events[i + 1] : NULL;
        if (final == cur) {
            assert_false(next && next->time_ns == e->time_ns &&
                         (is(next, "scale_out") || is(next, "scale_in")));
        } else {
            assert_non_null(next);
            assert_true(is(next, final > cur ? "scale_out" : "scale_in"));
            assert_int_equal(next->time_ns, e->time_ns);
            assert_int_equal((int)next->value, final);
        }
        cur = final;
    }
    return n;
}

void hpa_expect_scales(const ts_trace *t, const hpa_scale_step *want, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < t->n_events; i++) {
        const ts_trace_event *e = &t->events[i];
        if (!is(e, "scale_out") && !is(e, "scale_in"))
            continue;
        assert_true(k < n);
        assert_true(is(e, want[k].kind));
        assert_int_equal(e->time_ns, want[k].at_ns);
        assert_int_equal((int)e->value, want[k].replicas);
        k++;
    }
    assert_int_equal(k, n);
}
