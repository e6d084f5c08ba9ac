/*
 * A pending-event queue as an array binary heap of (time, seq, id) entries
 * plus a position index per id, so that removing an arbitrary id (event
 * cancellation) is O(log n) instead of a linear search. A binary heap
 * because a 4-ary one measured slower here (see DESIGN.md, Engine). It is
 * the engine's queue only when built with -DTS_QUEUE_HEAP (the ladder queue
 * is the default: see queue_ladder.c); tests run on it either way and
 * tools/bench/bench_engine.c compares the two.
 * Both arrays grow by doubling only when an id or the size outgrows them, so
 * once the engine's pool has stopped growing, push and pop never allocate.
 */
#include "toposim/alloc.h"
#include "toposim/error.h"
#include "toposim/sim.h"

#include "engine/queue_impls.h"

#include <stdint.h>

/* Marks an id that is not in the heap. */
#define NOT_QUEUED UINT32_MAX

typedef struct entry {
    ts_time time;
    uint64_t seq;
    uint32_t id;
} entry;

struct ts_queue {
    entry *heap;     /* heap[0] is the smallest key */
    size_t size;
    size_t heap_cap;
    uint32_t *pos;   /* pos[id] = index in heap, or NOT_QUEUED */
    size_t pos_cap;  /* ids < pos_cap have a pos slot */
};

/* Strict (time, seq) order; seq is unique, so no two entries compare equal
 * and the pop order is fully determined (reproducible runs). */
static inline int before(const entry *a, const entry *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

/* Moves the hole at i up until e fits, then stores e there. */
static void sift_up(ts_queue *q, size_t i, entry e)
{
    entry *h = q->heap;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&e, &h[parent]))
            break;
        h[i] = h[parent];
        q->pos[h[i].id] = (uint32_t)i;
        i = parent;
    }
    h[i] = e;
    q->pos[e.id] = (uint32_t)i;
}

/* Moves the hole at i down until e fits, then stores e there. */
static void sift_down(ts_queue *q, size_t i, entry e)
{
    entry *h = q->heap;
    size_t n = q->size;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && before(&h[child + 1], &h[child]))
            child++;
        if (!before(&h[child], &e))
            break;
        h[i] = h[child];
        q->pos[h[i].id] = (uint32_t)i;
        i = child;
    }
    h[i] = e;
    q->pos[e.id] = (uint32_t)i;
}

static int grow_pos(ts_queue *q, size_t need)
{
    size_t cap = q->pos_cap ? q->pos_cap : 16;
    while (cap < need)
        cap *= 2;
    uint32_t *p = ts_realloc(q->pos, cap * sizeof *p);
    if (!p)
        return TS_ENOMEM;
    for (size_t i = q->pos_cap; i < cap; i++)
        p[i] = NOT_QUEUED;
    q->pos = p;
    q->pos_cap = cap;
    return TS_OK;
}

static int grow_heap(ts_queue *q)
{
    size_t cap = q->heap_cap ? 2 * q->heap_cap : 16;
    entry *h = ts_realloc(q->heap, cap * sizeof *h);
    if (!h)
        return TS_ENOMEM;
    q->heap = h;
    q->heap_cap = cap;
    return TS_OK;
}

static void q_free(ts_queue *q);

static ts_queue *q_new(size_t capacity)
{
    ts_queue *q = ts_calloc(1, sizeof *q);
    if (!q)
        return NULL;
    if (capacity < 16)
        capacity = 16;
    if (capacity > (size_t)UINT32_MAX)
        capacity = UINT32_MAX;
    q->heap = ts_malloc(capacity * sizeof *q->heap);
    if (!q->heap || grow_pos(q, capacity) != TS_OK) {
        q_free(q);
        return NULL;
    }
    q->heap_cap = capacity;
    return q;
}

static void q_free(ts_queue *q)
{
    if (!q)
        return;
    ts_free(q->heap);
    ts_free(q->pos);
    ts_free(q);
}

static int q_push(ts_queue *q, uint32_t id, ts_queue_key key)
{
    if (id == NOT_QUEUED)
        return TS_EINVAL;
    if (id >= q->pos_cap && grow_pos(q, (size_t)id + 1) != TS_OK)
        return TS_ENOMEM;
    if (q->pos[id] != NOT_QUEUED)
        return TS_EINVAL;
    if (q->size == q->heap_cap && grow_heap(q) != TS_OK)
        return TS_ENOMEM;
    entry e = {key.time, key.seq, id};
    sift_up(q, q->size++, e);
    return TS_OK;
}

static uint32_t q_pop(ts_queue *q, ts_queue_key *key)
{
    if (q->size == 0)
        return NOT_QUEUED;
    entry top = q->heap[0];
    q->pos[top.id] = NOT_QUEUED;
    if (--q->size > 0)
        sift_down(q, 0, q->heap[q->size]);
    if (key) {
        key->time = top.time;
        key->seq = top.seq;
    }
    return top.id;
}

static ts_time q_peek_time(const ts_queue *q)
{
    return q->size ? q->heap[0].time : TS_TIME_MAX;
}

static uint32_t q_peek_id(const ts_queue *q)
{
    return q->size ? q->heap[0].id : NOT_QUEUED;
}

static int q_remove(ts_queue *q, uint32_t id)
{
    if (id >= q->pos_cap || q->pos[id] == NOT_QUEUED)
        return TS_ENOENT;
    size_t i = q->pos[id];
    q->pos[id] = NOT_QUEUED;
    if (--q->size == i)
        return TS_OK; /* it was the last leaf */
    entry last = q->heap[q->size];
    /* The leaf that fills the hole may belong above or below it. */
    if (i > 0 && before(&last, &q->heap[(i - 1) / 2]))
        sift_up(q, i, last);
    else
        sift_down(q, i, last);
    return TS_OK;
}

static size_t q_size(const ts_queue *q) { return q->size; }

TS__QUEUE_EXPORT(ts__heapq_, ts__heapq_peek_id)
#ifdef TS_QUEUE_HEAP
TS__QUEUE_EXPORT(ts_queue_, ts__queue_peek_id)

uint32_t ts__queue_peek_ahead(const ts_queue *q, size_t k)
{
    return k == 0 ? q_peek_id(q) : NOT_QUEUED;
}
#endif
