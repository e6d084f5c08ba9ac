/* Fleet grouping: a fleet copies each robot's items with a suffix
 * "_r<N>" (the validator's roll-up uses the same rule); the report draws
 * such a group as one band, not one plot per robot. One sort, so the
 * cost stays n log n however large the fleet. */
#include <stdlib.h>
#include <string.h>

#include "report/report_internal.h"
#include "toposim/alloc.h"

size_t ts__base_len(const char *name)
{
    size_t n = strlen(name), d = n;
    while (d > 0 && name[d - 1] >= '0' && name[d - 1] <= '9')
        d--;
    if (d < n && d >= 3 && name[d - 1] == 'r' && name[d - 2] == '_')
        return d - 2;
    return n;
}

typedef struct key {
    const char *name;
    size_t len;
    size_t row;
} key;

static int cmp_key(const void *pa, const void *pb)
{
    const key *a = pa, *b = pb;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->name, b->name, n);
    if (c)
        return c;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return (a->row > b->row) - (a->row < b->row); /* table order within */
}

void ts__groups_free(ts__groups *g)
{
    ts_free(g->first);
    ts_free(g->count);
    ts_free(g->rows);
    ts_free(g->group_of);
    memset(g, 0, sizeof *g);
}

static int same_base(const key *a, const key *b)
{
    return a->len == b->len && memcmp(a->name, b->name, a->len) == 0;
}

typedef struct run {
    size_t first_row;   /* the lowest row of the run */
    size_t start, n;    /* its keys */
} run;

static int cmp_run(const void *pa, const void *pb)
{
    const run *a = pa, *b = pb;
    return (a->first_row > b->first_row) - (a->first_row < b->first_row);
}

int ts__groups_build(ts__groups *g, const char *first_name, size_t stride, size_t n,
                     ts_error *err)
{
    memset(g, 0, sizeof *g);
    size_t cap = n ? n : 1;
    key *k = ts_malloc(cap * sizeof *k);
    run *runs = ts_malloc(cap * sizeof *runs);
    g->first = ts_malloc(cap * sizeof *g->first);
    g->count = ts_malloc(cap * sizeof *g->count);
    g->rows = ts_malloc(cap * sizeof *g->rows);
    g->group_of = ts_malloc(cap * sizeof *g->group_of);
    if (!k || !runs || !g->first || !g->count || !g->rows || !g->group_of) {
        ts_free(k);
        ts_free(runs);
        ts__groups_free(g);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory grouping fleet copies");
    }
    for (size_t i = 0; i < n; i++) {
        k[i].name = first_name + i * stride; /* NUL-terminated by the reader */
        k[i].len = ts__base_len(k[i].name);
        k[i].row = i;
    }
    qsort(k, n, sizeof *k, cmp_key);
    /* Sorted runs of one base name are the groups; within a run the rows
     * ascend, so its first key has its lowest row. */
    size_t n_runs = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || !same_base(&k[i], &k[i - 1]))
            runs[n_runs++] = (run){k[i].row, i, 0};
        runs[n_runs - 1].n++;
    }
    /* The page follows the trace's order: groups by their first row. */
    qsort(runs, n_runs, sizeof *runs, cmp_run);
    size_t at = 0;
    for (size_t r = 0; r < n_runs; r++) {
        g->first[r] = at;
        g->count[r] = runs[r].n;
        for (size_t j = 0; j < runs[r].n; j++) {
            size_t row = k[runs[r].start + j].row;
            g->rows[at++] = row;
            g->group_of[row] = (int32_t)r;
        }
    }
    g->n_groups = n_runs;
    ts_free(k);
    ts_free(runs);
    return TS_OK;
}
