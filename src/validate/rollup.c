/*
 * Fleet roll-up. A fleet copies each robot's items with a suffix "_r<N>"
 * (camera_image, camera_image_r1, ... camera_image_r19); the scorecard
 * shows such an item once, with the number of copies and the worst copy
 * named. Items are grouped by (kind, name without the suffix) with one
 * sort, so the cost stays n log n however large the fleet.
 */
#include <stdlib.h>
#include <string.h>

#include "toposim/alloc.h"
#include "validate/validate_internal.h"

/* Length of name without a trailing "_r<digits>", and the copy label. */
static size_t base_len(const char *name, char *copy, size_t size)
{
    size_t n = strlen(name), d = n;
    while (d > 0 && name[d - 1] >= '0' && name[d - 1] <= '9')
        d--;
    if (d < n && d >= 3 && name[d - 1] == 'r' && name[d - 2] == '_') {
        if (copy)
            snprintf(copy, size, "r%s", name + d);
        return d - 2;
    }
    if (copy)
        snprintf(copy, size, "r0");
    return n;
}

typedef struct key {
    int family;
    const char *kind;
    const char *name;
    size_t len;
    size_t index;
} key;

static int cmp_key(const void *pa, const void *pb)
{
    const key *a = pa, *b = pb;
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    int k = strcmp(a->kind, b->kind);
    if (k)
        return k;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->name, b->name, n);
    if (c)
        return c;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index; /* table order */
}

/* Groups n items; each gets rollup = first index of its group, and a copy
 * label when the group has more than one member; the first gets the
 * number of copies and the worst one. On allocation failure every item
 * stays alone (the roll-up is presentation only). */
static void group(size_t n, int (*family_of)(const void *, size_t),
                  const char *(*kind_of)(const void *, size_t),
                  const char *(*name_of)(const void *, size_t), const void *items,
                  int32_t *(*rollup_of)(const void *, size_t),
                  char *(*copy_of)(const void *, size_t),
                  int32_t *(*copies_of)(const void *, size_t),
                  int32_t *(*worst_of)(const void *, size_t),
                  int (*worse)(const void *, size_t, size_t))
{
    key *k = ts_malloc((n ? n : 1) * sizeof *k);
    if (!k)
        return;
    for (size_t i = 0; i < n; i++) {
        k[i].family = family_of(items, i);
        k[i].kind = kind_of(items, i);
        k[i].name = name_of(items, i);
        k[i].len = base_len(k[i].name, NULL, 0);
        k[i].index = i;
    }
    qsort(k, n, sizeof *k, cmp_key);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && k[j].family == k[i].family && strcmp(k[j].kind, k[i].kind) == 0 &&
               k[j].len == k[i].len &&
               memcmp(k[j].name, k[i].name, k[i].len) == 0)
            j++;
        size_t worst = k[i].index;
        for (size_t m = i; m < j; m++) {
            if (worse(items, k[m].index, worst))
                worst = k[m].index;
            *rollup_of(items, k[m].index) = (int32_t)k[i].index;
            char *copy = copy_of(items, k[m].index);
            if (j - i > 1)
                base_len(k[m].name, copy, 16);
            else
                copy[0] = '\0';
        }
        *copies_of(items, k[i].index) = (int32_t)(j - i);
        *worst_of(items, k[i].index) = (int32_t)worst;
        i = j;
    }
    ts_free(k);
}

static int score_family(const void *items, size_t i)
{
    return (int)((const ts_score *)items)[i].kind;
}
static const char *score_kind(const void *items, size_t i)
{
    (void)items;
    (void)i;
    return "";
}
static const char *score_name(const void *items, size_t i)
{
    return ((const ts_score *)items)[i].name;
}
static int32_t *score_rollup(const void *items, size_t i)
{
    return &((ts_score *)items)[i].rollup;
}
static char *score_copy(const void *items, size_t i)
{
    return ((ts_score *)items)[i].copy;
}
static int32_t *score_copies(const void *items, size_t i)
{
    return &((ts_score *)items)[i].copies;
}
static int32_t *score_worst(const void *items, size_t i)
{
    return &((ts_score *)items)[i].worst_copy;
}
/* Lower compliance is worse; ties keep the earlier copy. */
static int score_worse(const void *items, size_t a, size_t b)
{
    return ((const ts_score *)items)[a].compliance < ((const ts_score *)items)[b].compliance;
}

/* Chains: one family, one kind. */
static int chain_family(const void *items, size_t i)
{
    (void)items;
    (void)i;
    return 0;
}
static const char *chain_name(const void *items, size_t i)
{
    return ((const ts_chain_score *)items)[i].name;
}
static int32_t *chain_rollup(const void *items, size_t i)
{
    return &((ts_chain_score *)items)[i].rollup;
}
static char *chain_copy(const void *items, size_t i)
{
    return ((ts_chain_score *)items)[i].copy;
}
static int32_t *chain_copies(const void *items, size_t i)
{
    return &((ts_chain_score *)items)[i].copies;
}
static int32_t *chain_worst(const void *items, size_t i)
{
    return &((ts_chain_score *)items)[i].worst_copy;
}
static int chain_worse(const void *items, size_t a, size_t b)
{
    return ((const ts_chain_score *)items)[a].compliance <
           ((const ts_chain_score *)items)[b].compliance;
}

/* Checks group by family and kind together. */
static int check_family(const void *items, size_t i)
{
    return (int)((const ts_check *)items)[i].family;
}
static const char *check_kind(const void *items, size_t i)
{
    return ((const ts_check *)items)[i].kind;
}
static const char *check_name(const void *items, size_t i)
{
    return ((const ts_check *)items)[i].item;
}
static int32_t *check_rollup(const void *items, size_t i)
{
    return &((ts_check *)items)[i].rollup;
}
static char *check_copy(const void *items, size_t i)
{
    return ((ts_check *)items)[i].copy;
}
static int32_t *check_copies(const void *items, size_t i)
{
    return &((ts_check *)items)[i].copies;
}
static int32_t *check_worst(const void *items, size_t i)
{
    return &((ts_check *)items)[i].worst_copy;
}
/* A failure is worse than anything else; among equals the lower value
 * (health scores) is worse. */
static int check_worse(const void *items, size_t a, size_t b)
{
    const ts_check *x = &((const ts_check *)items)[a], *y = &((const ts_check *)items)[b];
    if ((x->status == TS_CHECK_FAIL) != (y->status == TS_CHECK_FAIL))
        return x->status == TS_CHECK_FAIL;
    return x->value < y->value;
}

void ts__rollup(ts_validation *v)
{
    for (size_t i = 0; i < v->n_scores; i++) {
        v->scores[i].copies = 1;
        v->scores[i].worst_copy = (int32_t)i;
    }
    for (size_t i = 0; i < v->n_checks; i++) {
        v->checks[i].copies = 1;
        v->checks[i].worst_copy = (int32_t)i;
    }
    for (size_t i = 0; i < v->n_chains; i++) {
        v->chains[i].rollup = (int32_t)i;
        v->chains[i].copies = 1;
        v->chains[i].worst_copy = (int32_t)i;
    }
    group(v->n_scores, score_family, score_kind, score_name, v->scores, score_rollup, score_copy,
          score_copies, score_worst, score_worse);
    group(v->n_checks, check_family, check_kind, check_name, v->checks, check_rollup, check_copy,
          check_copies, check_worst, check_worse);
    group(v->n_chains, chain_family, score_kind, chain_name, v->chains, chain_rollup, chain_copy,
          chain_copies, chain_worst, chain_worse);
}
