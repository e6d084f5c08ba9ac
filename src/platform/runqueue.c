/*
 * The compute model's run queues (see runqueue.h). Heaps are binary
 * min-heaps of int items (task ids or class indexes) with each item's
 * position kept in a side array, so any item can be removed or re-sifted
 * in place. Every heap's slots are carved at build time from one array
 * sized by the heap's members, so pushing never allocates.
 */
#include "platform/runqueue.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "toposim/alloc.h"
#include "toposim/error.h"

typedef struct rq_heap {
    int *slot;
    int n;
} rq_heap;

/* A class and a node are a fleet's per robot: 32-bit offsets and counts
 * (checked at build), and a node's heaps found from its first class
 * rather than pointed at. */
typedef struct rq_class {
    int node;
    int level_words;          /* of the bitmap of its distinct FIFO
                                 priorities, ascending */
    uint32_t allowed;         /* offset in words: the node's word count */
    uint32_t bitmap;          /* offset in words: non-empty levels */
    int heap0;                /* level i's heap is heaps[heap0 + i] */
    int fair_heap;            /* -1: the class has no fair task */
    int n_fifo, n_fair;       /* queued */
    int head, fair_head;      /* best queued task, best fair one; -1 none */
    int parked;
} rq_class;

/* A node's class heaps and parked list are slices of cls_slots, n_cls
 * each from 3 * cls0: by_rank (non-empty unparked classes by head rank),
 * by_vr (classes with queued fair tasks), parked. */
typedef struct rq_node {
    int cls0, n_cls;
    int words;
    int n_rank, n_vr;         /* sizes of by_rank and by_vr */
    int n_parked;
    int n_ready, n_fair;
} rq_node;

struct ts__runq {
    rq_node *nodes;
    rq_class *cls;
    rq_heap *heaps;
    int *slots;               /* every heap's slots */
    int *cls_slots;           /* every node's class heaps and parked list */
    uint64_t *words;          /* classes' allowed bitmaps and level bitmaps */
    /* per task */
    int *t_cls, *t_heap, *t_pos, *t_prio, *t_fair; /* a FIFO task's level is
                                 t_heap - its class's heap0 */
    ts_time *t_release;
    double *t_vr;
    /* per class: positions in the node's by_rank / by_vr heaps */
    int *c_rpos, *c_fpos;
};

typedef int (*less_fn)(const ts__runq *rq, int a, int b);

/* The node's by_rank and by_vr heaps as heaps: a view whose size the
 * caller writes back (put_rank, put_vr) after changing it. */
static inline rq_heap rank_heap(const ts__runq *rq, const rq_node *n)
{
    return (rq_heap){rq->cls_slots + 3 * (size_t)n->cls0, n->n_rank};
}

static inline rq_heap vr_heap(const ts__runq *rq, const rq_node *n)
{
    return (rq_heap){rq->cls_slots + 3 * (size_t)n->cls0 + (size_t)n->n_cls, n->n_vr};
}

static inline int *parked_list(const ts__runq *rq, const rq_node *n)
{
    return rq->cls_slots + 3 * (size_t)n->cls0 + 2 * (size_t)n->n_cls;
}



/* The heap routines take their order as a function pointer; inlined into
 * each caller, the order is a constant and the comparisons are inlined
 * too (a dispatch on a small node does a few of these per event). */
#define HEAP_INLINE static inline __attribute__((always_inline))

/* ---- Orders ---- */

/* Within a FIFO level: the earlier release, then the lower id. */
static int fifo_less(const ts__runq *rq, int a, int b)
{
    if (rq->t_release[a] != rq->t_release[b])
        return rq->t_release[a] < rq->t_release[b];
    return a < b;
}

/* Fair tasks: the smaller virtual runtime, then the lower id. */
static int fair_less(const ts__runq *rq, int a, int b)
{
    if (rq->t_vr[a] != rq->t_vr[b])
        return rq->t_vr[a] < rq->t_vr[b];
    return a < b;
}

/* Two ready tasks in dispatch rank order: every FIFO task first, by higher
 * priority, then FIFO order; then fair tasks by fair_less. */
static int ready_before(const ts__runq *rq, int a, int b)
{
    if (rq->t_fair[a] != rq->t_fair[b])
        return !rq->t_fair[a];
    if (rq->t_fair[a])
        return fair_less(rq, a, b);
    if (rq->t_prio[a] != rq->t_prio[b])
        return rq->t_prio[a] > rq->t_prio[b];
    return fifo_less(rq, a, b);
}

static int class_rank_less(const ts__runq *rq, int a, int b)
{
    return ready_before(rq, rq->cls[a].head, rq->cls[b].head);
}

static int class_vr_less(const ts__runq *rq, int a, int b)
{
    return fair_less(rq, rq->cls[a].fair_head, rq->cls[b].fair_head);
}

/* ---- Indexed binary heaps ---- */

HEAP_INLINE void h_place(rq_heap *h, int *pos, int i, int item)
{
    h->slot[i] = item;
    pos[item] = i;
}

HEAP_INLINE void h_up(const ts__runq *rq, rq_heap *h, int *pos, less_fn less, int i)
{
    int item = h->slot[i];
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (!less(rq, item, h->slot[parent]))
            break;
        h_place(h, pos, i, h->slot[parent]);
        i = parent;
    }
    h_place(h, pos, i, item);
}

HEAP_INLINE void h_down(const ts__runq *rq, rq_heap *h, int *pos, less_fn less, int i)
{
    int item = h->slot[i];
    for (;;) {
        int child = 2 * i + 1;
        if (child >= h->n)
            break;
        if (child + 1 < h->n && less(rq, h->slot[child + 1], h->slot[child]))
            child++;
        if (!less(rq, h->slot[child], item))
            break;
        h_place(h, pos, i, h->slot[child]);
        i = child;
    }
    h_place(h, pos, i, item);
}

HEAP_INLINE void h_push(const ts__runq *rq, rq_heap *h, int *pos, less_fn less, int item)
{
    h->slot[h->n++] = item;
    h_up(rq, h, pos, less, h->n - 1);
}

HEAP_INLINE void h_remove(const ts__runq *rq, rq_heap *h, int *pos, less_fn less, int item)
{
    int i = pos[item];
    pos[item] = -1;
    int last = h->slot[--h->n];
    if (i == h->n)
        return;
    h_place(h, pos, i, last);
    h_up(rq, h, pos, less, i);
    h_down(rq, h, pos, less, pos[last]);
}

/* Re-sifts an item whose key changed. */
HEAP_INLINE void h_fix(const ts__runq *rq, rq_heap *h, int *pos, less_fn less, int item)
{
    h_up(rq, h, pos, less, pos[item]);
    h_down(rq, h, pos, less, pos[item]);
}

/* Puts item in, takes it out or re-sifts it so that it is in the heap
 * exactly when `present`. */
HEAP_INLINE void h_set(const ts__runq *rq, rq_heap *h, int *pos, less_fn less,
                  int item, int present)
{
    if (!present) {
        if (pos[item] >= 0)
            h_remove(rq, h, pos, less, item);
    } else if (pos[item] < 0) {
        h_push(rq, h, pos, less, item);
    } else {
        h_fix(rq, h, pos, less, item);
    }
}

/* ---- Classes ---- */

/* The highest non-empty FIFO level of a class, -1 if none. */
static int top_level(const ts__runq *rq, const rq_class *k)
{
    const uint64_t *bits = rq->words + k->bitmap;
    for (int w = k->level_words - 1; w >= 0; w--)
        if (bits[w])
            return 64 * w + 63 - __builtin_clzll(bits[w]);
    return -1;
}

/* Recomputes a class's heads after a push or removal and moves it in its
 * node's class heaps. */
static void class_update(ts__runq *rq, int ci)
{
    rq_class *k = &rq->cls[ci];
    rq_node *n = &rq->nodes[k->node];
    int head = k->head, fair_head = k->fair_head;
    k->fair_head = k->n_fair ? rq->heaps[k->fair_heap].slot[0] : -1;
    if (k->n_fifo)
        k->head = rq->heaps[k->heap0 + top_level(rq, k)].slot[0];
    else
        k->head = k->fair_head;
    /* A class's key is its head: unchanged head, unchanged place. */
    if (!k->parked && k->head != head) {
        rq_heap h = rank_heap(rq, n);
        h_set(rq, &h, rq->c_rpos, class_rank_less, ci, k->head >= 0);
        n->n_rank = h.n;
    }
    if (k->fair_head != fair_head) {
        rq_heap h = vr_heap(rq, n);
        h_set(rq, &h, rq->c_fpos, class_vr_less, ci, k->fair_head >= 0);
        n->n_vr = h.n;
    }
}

/* ---- Build ---- */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* A task's allowed cores as a sort key, for grouping into classes. */
typedef struct allowed_key {
    uint64_t mask;
    int any_high;
    int id;
} allowed_key;

static int cmp_allowed(const void *a, const void *b)
{
    const allowed_key *x = a, *y = b;
    if (x->mask != y->mask)
        return x->mask < y->mask ? -1 : 1;
    if (x->any_high != y->any_high)
        return x->any_high < y->any_high ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static int words_for(int cores)
{
    return cores > 64 ? (cores + 63) / 64 : 1;
}

int ts__runq_new(size_t n_nodes, const int *node_cores, size_t n_tasks,
                 const ts__rq_task *tasks, ts__runq **out)
{
    *out = NULL;
    ts__runq *rq = ts_calloc(1, sizeof *rq);
    if (!rq)
        return TS_ENOMEM;
    size_t nt = n_tasks ? n_tasks : 1, nn = n_nodes ? n_nodes : 1;
    rq->nodes = ts_calloc(nn, sizeof *rq->nodes);
    rq->t_cls = ts_malloc(nt * sizeof *rq->t_cls);
    rq->t_heap = ts_malloc(nt * sizeof *rq->t_heap);
    rq->t_pos = ts_malloc(nt * sizeof *rq->t_pos);
    rq->t_prio = ts_malloc(nt * sizeof *rq->t_prio);
    rq->t_fair = ts_malloc(nt * sizeof *rq->t_fair);
    rq->t_release = ts_calloc(nt, sizeof *rq->t_release);
    rq->t_vr = ts_calloc(nt, sizeof *rq->t_vr);
    rq->slots = ts_malloc(nt * sizeof *rq->slots);
    /* Build scratch: task ids grouped by node, ascending. */
    size_t *first = ts_calloc(nn + 1, sizeof *first);
    int *order = ts_malloc(nt * sizeof *order);
    int *prios = ts_malloc(nt * sizeof *prios);
    int rc = TS_ENOMEM;
    if (!rq->nodes || !rq->t_cls || !rq->t_heap || !rq->t_pos ||
        !rq->t_prio || !rq->t_fair || !rq->t_release || !rq->t_vr ||
        !rq->slots || !first || !order || !prios)
        goto out;
    for (size_t i = 0; i < n_tasks; i++)
        first[tasks[i].node + 1]++;
    for (size_t i = 0; i < n_nodes; i++)
        first[i + 1] += first[i];
    {
        size_t *fill = ts_malloc(nn * sizeof *fill);
        if (!fill)
            goto out;
        memcpy(fill, first, nn * sizeof *fill);
        for (size_t i = 0; i < n_tasks; i++)
            order[fill[tasks[i].node]++] = (int)i;
        ts_free(fill);
    }

    /* Classes: tasks of a node with the same allowed cores, found by
     * sorting the node's tasks by allowed cores (O(n log n) at build, as a
     * large node may host a task per robot); `order` then lists each
     * class's tasks as one run. Class numbers only name classes; no
     * decision depends on them. */
    allowed_key *keys = ts_malloc(nt * sizeof *keys);
    if (!keys)
        goto out;
    for (size_t j = 0; j < n_tasks; j++)
        keys[j] = (allowed_key){.mask = tasks[order[j]].mask,
                                .any_high = tasks[order[j]].any_high,
                                .id = order[j]};
    size_t n_cls = 0;
    for (size_t i = 0; i < n_nodes; i++) {
        rq->nodes[i].cls0 = (int)n_cls;
        rq->nodes[i].words = words_for(node_cores[i]);
        allowed_key *run = keys + first[i];
        size_t count = first[i + 1] - first[i];
        qsort(run, count, sizeof *run, cmp_allowed);
        for (size_t j = 0; j < count; j++) {
            order[first[i] + j] = run[j].id;
            if (j == 0 || run[j].mask != run[j - 1].mask ||
                run[j].any_high != run[j - 1].any_high)
                n_cls++;
            rq->t_cls[run[j].id] = (int)n_cls - 1;
        }
        rq->nodes[i].n_cls = (int)n_cls - rq->nodes[i].cls0;
    }
    ts_free(keys);
    rq->cls = ts_calloc(n_cls ? n_cls : 1, sizeof *rq->cls);
    rq->c_rpos = ts_malloc((n_cls ? n_cls : 1) * sizeof *rq->c_rpos);
    rq->c_fpos = ts_malloc((n_cls ? n_cls : 1) * sizeof *rq->c_fpos);
    /* per node: by_rank, by_vr and parked, n_cls each */
    rq->cls_slots = ts_malloc((3 * n_cls + 1) * sizeof *rq->cls_slots);
    if (!rq->cls || !rq->c_rpos || !rq->c_fpos || !rq->cls_slots)
        goto out;

    /* Per class (a run of `order`): its FIFO levels (distinct priorities)
     * and fair members. */
    size_t n_heaps = 0, n_words = 0;
    for (size_t i = 0; i < n_nodes; i++) {
        rq_node *n = &rq->nodes[i];
        for (size_t j0 = first[i], j1; j0 < first[i + 1]; j0 = j1) {
            int ci = rq->t_cls[order[j0]];
            for (j1 = j0; j1 < first[i + 1] && rq->t_cls[order[j1]] == ci; j1++)
                ;
            rq_class *k = &rq->cls[ci];
            k->node = (int)i;
            k->head = k->fair_head = -1;
            rq->c_rpos[ci] = rq->c_fpos[ci] = -1;
            int np = 0, nf = 0;
            for (size_t j = j0; j < j1; j++) {
                int id = order[j];
                if (tasks[id].fair)
                    nf++;
                else
                    prios[np++] = tasks[id].priority;
            }
            qsort(prios, (size_t)np, sizeof *prios, cmp_int);
            int levels = 0;
            for (int p = 0; p < np; p++)
                if (p == 0 || prios[p] != prios[p - 1])
                    prios[levels++] = prios[p];
            k->level_words = levels ? (levels + 63) / 64 : 0;
            if (n_words + (size_t)n->words + (size_t)k->level_words > UINT32_MAX)
                goto out;     /* beyond 32-bit offsets: as out of memory */
            k->allowed = (uint32_t)n_words;
            n_words += (size_t)n->words;
            k->bitmap = (uint32_t)n_words;
            n_words += (size_t)k->level_words;
            k->heap0 = (int)n_heaps;
            n_heaps += (size_t)levels;
            k->fair_heap = nf ? (int)n_heaps++ : -1;
            for (size_t j = j0; j < j1; j++) {
                int id = order[j];
                if (tasks[id].fair) {
                    rq->t_heap[id] = k->fair_heap;
                } else {
                    int *at = bsearch(&tasks[id].priority, prios, (size_t)levels,
                                      sizeof *prios, cmp_int);
                    rq->t_heap[id] = k->heap0 + (int)(at - prios);
                }
            }
        }
    }
    rq->heaps = ts_calloc(n_heaps ? n_heaps : 1, sizeof *rq->heaps);
    rq->words = ts_calloc(n_words ? n_words : 1, sizeof *rq->words);
    if (!rq->heaps || !rq->words)
        goto out;
    /* Heap slots: each heap gets room for all its members. */
    {
        int *count = ts_calloc(n_heaps ? n_heaps : 1, sizeof *count);
        if (!count)
            goto out;
        for (size_t id = 0; id < n_tasks; id++)
            count[rq->t_heap[id]]++;
        size_t off = 0;
        for (size_t h = 0; h < n_heaps; h++) {
            rq->heaps[h].slot = rq->slots + off;
            off += (size_t)count[h];
        }
        ts_free(count);
    }
    for (size_t id = 0; id < n_tasks; id++) {
        const ts__rq_task *t = &tasks[id];
        rq_class *k = &rq->cls[rq->t_cls[id]];
        int words = rq->nodes[t->node].words, cores = node_cores[t->node];
        uint64_t *allowed = rq->words + k->allowed;
        allowed[0] = t->mask;
        for (int w = 1; w < words; w++) {
            int bits = cores - 64 * w;
            allowed[w] = !t->any_high ? 0
                         : bits >= 64 ? UINT64_MAX
                                      : ((uint64_t)1 << bits) - 1;
        }
        rq->t_pos[id] = -1;
        rq->t_prio[id] = t->priority;
        rq->t_fair[id] = t->fair != 0;
    }
    rc = TS_OK;
out:
    ts_free(first);
    ts_free(order);
    ts_free(prios);
    if (rc != TS_OK) {
        ts__runq_free(rq);
        return rc;
    }
    *out = rq;
    return TS_OK;
}

void ts__runq_free(ts__runq *rq)
{
    if (!rq)
        return;
    ts_free(rq->nodes);
    ts_free(rq->cls);
    ts_free(rq->heaps);
    ts_free(rq->slots);
    ts_free(rq->cls_slots);
    ts_free(rq->words);
    ts_free(rq->t_cls);
    ts_free(rq->t_heap);
    ts_free(rq->t_pos);
    ts_free(rq->t_prio);
    ts_free(rq->t_fair);
    ts_free(rq->t_release);
    ts_free(rq->t_vr);
    ts_free(rq->c_rpos);
    ts_free(rq->c_fpos);
    ts_free(rq);
}

/* ---- Queries and updates ---- */

size_t ts__runq_words(const ts__runq *rq, int node)
{
    return (size_t)rq->nodes[node].words;
}

const uint64_t *ts__runq_allowed(const ts__runq *rq, int task)
{
    return rq->words + rq->cls[rq->t_cls[task]].allowed;
}

int ts__runq_queued(const ts__runq *rq, int task)
{
    return rq->t_pos[task] >= 0;
}

int ts__runq_count(const ts__runq *rq, int node)
{
    return rq->nodes[node].n_ready;
}

int ts__runq_fair_count(const ts__runq *rq, int node)
{
    return rq->nodes[node].n_fair;
}

double ts__runq_min_fair_vr(const ts__runq *rq, int node)
{
    const rq_node *n = &rq->nodes[node];
    if (n->n_vr == 0)
        return INFINITY;
    return rq->t_vr[rq->cls[vr_heap(rq, n).slot[0]].fair_head];
}

void ts__runq_push(ts__runq *rq, int task, ts_time release, double vr)
{
    int ci = rq->t_cls[task];
    rq_class *k = &rq->cls[ci];
    rq_node *n = &rq->nodes[k->node];
    rq_heap *h = &rq->heaps[rq->t_heap[task]];
    rq->t_release[task] = release;
    rq->t_vr[task] = vr;
    h_push(rq, h, rq->t_pos, rq->t_fair[task] ? fair_less : fifo_less, task);
    n->n_ready++;
    if (rq->t_fair[task]) {
        k->n_fair++;
        n->n_fair++;
    } else {
        int level = rq->t_heap[task] - k->heap0;
        rq->words[k->bitmap + (size_t)(level / 64)] |= (uint64_t)1 << (level % 64);
        k->n_fifo++;
    }
    class_update(rq, ci);
}

void ts__runq_remove(ts__runq *rq, int task)
{
    if (rq->t_pos[task] < 0)
        return;
    int ci = rq->t_cls[task];
    rq_class *k = &rq->cls[ci];
    rq_node *n = &rq->nodes[k->node];
    rq_heap *h = &rq->heaps[rq->t_heap[task]];
    h_remove(rq, h, rq->t_pos, rq->t_fair[task] ? fair_less : fifo_less, task);
    n->n_ready--;
    if (rq->t_fair[task]) {
        k->n_fair--;
        n->n_fair--;
    } else {
        int level = rq->t_heap[task] - k->heap0;
        if (h->n == 0)
            rq->words[k->bitmap + (size_t)(level / 64)] &= ~((uint64_t)1 << (level % 64));
        k->n_fifo--;
    }
    class_update(rq, ci);
}

int ts__runq_top(const ts__runq *rq, int node)
{
    const rq_node *n = &rq->nodes[node];
    return n->n_rank ? rq->cls[rank_heap(rq, n).slot[0]].head : -1;
}

int ts__runq_best(ts__runq *rq, int node, const uint64_t *free_cores)
{
    rq_node *n = &rq->nodes[node];
    rq_heap h = rank_heap(rq, n);
    int *parked = parked_list(rq, n);
    while (h.n) {
        int ci = h.slot[0];
        rq_class *k = &rq->cls[ci];
        const uint64_t *allowed = rq->words + k->allowed;
        for (int w = 0; w < n->words; w++)
            if (allowed[w] & free_cores[w])
                return k->head;
        h_remove(rq, &h, rq->c_rpos, class_rank_less, ci);
        n->n_rank = h.n;
        k->parked = 1;
        parked[n->n_parked++] = ci;
    }
    return -1;
}

void ts__runq_unpark(ts__runq *rq, int node)
{
    rq_node *n = &rq->nodes[node];
    rq_heap h = rank_heap(rq, n);
    const int *parked = parked_list(rq, n);
    for (int i = 0; i < n->n_parked; i++) {
        int ci = parked[i];
        rq->cls[ci].parked = 0;
        h_set(rq, &h, rq->c_rpos, class_rank_less, ci,
              rq->cls[ci].head >= 0);
    }
    n->n_rank = h.n;
    n->n_parked = 0;
}
