/*
 * Scores from a summary trace's windows (trace.h, format 4): counts add
 * to what the full rows give, exactly; percentiles come from the windows'
 * log-bucketed histograms merged with the full rows' own values, each
 * value read back within TS_HIST_REL_ERROR (histogram.h) of itself.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "toposim/alloc.h"
#include "validate/validate_internal.h"

struct ts__hist_set {
    ts__hist_entry *e;
    size_t n, cap;
};

ts__hist_set *ts__hist_set_new(size_t cap)
{
    ts__hist_set *h = ts_calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->cap = cap ? cap : 1;
    h->e = ts_malloc(h->cap * sizeof *h->e);
    if (!h->e) {
        ts_free(h);
        return NULL;
    }
    return h;
}

void ts__hist_set_free(ts__hist_set *h)
{
    if (!h)
        return;
    ts_free(h->e);
    ts_free(h);
}

int ts__hist_set_add(ts__hist_set *h, int32_t item, int32_t bucket, uint64_t count)
{
    if (h->n == h->cap) {
        size_t cap = h->cap * 2;
        ts__hist_entry *e = ts_realloc(h->e, cap * sizeof *e);
        if (!e)
            return TS_ENOMEM;
        h->e = e;
        h->cap = cap;
    }
    h->e[h->n++] = (ts__hist_entry){item, bucket, count};
    return TS_OK;
}

static int by_item_bucket(const void *x, const void *y)
{
    const ts__hist_entry *a = x, *b = y;
    if (a->item != b->item)
        return (a->item > b->item) - (a->item < b->item);
    return (a->bucket > b->bucket) - (a->bucket < b->bucket);
}

int ts__hist_set_percentiles(ts__hist_set *h, ts_score *scores)
{
    if (h->n == 0)
        return TS_OK;
    qsort(h->e, h->n, sizeof *h->e, by_item_bucket);
    ts_hist_pair *pairs = ts_malloc(h->n * sizeof *pairs);
    if (!pairs)
        return TS_ENOMEM;
    for (size_t i = 0; i < h->n;) {
        int32_t item = h->e[i].item;
        size_t n = 0;
        for (; i < h->n && h->e[i].item == item; i++) {
            if (n && pairs[n - 1].bucket == h->e[i].bucket)
                pairs[n - 1].count += h->e[i].count;
            else
                pairs[n++] = (ts_hist_pair){h->e[i].bucket, h->e[i].count};
        }
        ts_score *s = &scores[item];
        s->p50_ns = (int64_t)llround(ts_hist_quantile(pairs, n, 0.50));
        s->p90_ns = (int64_t)llround(ts_hist_quantile(pairs, n, 0.90));
        s->p99_ns = (int64_t)llround(ts_hist_quantile(pairs, n, 0.99));
        s->p999_ns = (int64_t)llround(ts_hist_quantile(pairs, n, 0.999));
        /* A bucket's middle may lie past the greatest value, which is
         * exact: no exact percentile does, so the clamp only helps. */
        int64_t *p[4] = {&s->p50_ns, &s->p90_ns, &s->p99_ns, &s->p999_ns};
        for (int k = 0; k < 4; k++)
            if (s->max_ns >= 0 && *p[k] > s->max_ns)
                *p[k] = s->max_ns;
    }
    ts_free(pairs);
    return TS_OK;
}

int ts__hist_set_window(ts__hist_set *h, const ts_trace *t, int32_t item, uint64_t first,
                        int32_t n)
{
    for (int32_t k = 0; k < n; k++) {
        const ts_hist_pair *p = &t->histogram_buckets[first + (uint64_t)k];
        int rc = ts__hist_set_add(h, item, p->bucket, p->count);
        if (rc)
            return rc;
    }
    return TS_OK;
}
