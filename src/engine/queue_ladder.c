/*
 * The engine's pending-event queue by default: a ladder queue (Tang, Goh,
 * Thng, "Ladder Queue: An O(1) Priority Queue Structure for Large-Scale
 * Discrete Event Simulation", ACM TOMACS 15(3), 2005). Chosen by numbers:
 * tools/bench/bench_engine.c, HOLD model with exponential increments,
 * medians of three runs on a shared 2-core machine, queue alone / binary
 * heap queue alone: 1.9x at 1e3 pending, 3.6x at 1e5, 1.9x at 1e6; the
 * engine on it / a plain keys-only heap: 1.6x, 2.1x, 1.7x (on the binary
 * heap: 0.85x, 0.94x, 0.93x). With simulator-shaped increments (periodic
 * instants shared by many events) the queue alone is 2.4x, 1.4x and 1.0x
 * the heap queue. A binary heap's sift touches about log2(n) cache lines
 * per operation; here an insertion touches a bucket head and one node and
 * a pop reads a small sorted array. The heap stays (queue_heap.c,
 * -DTS_QUEUE_HEAP) and both pass tests/unit/test_queue.c.
 *
 * Three tiers, each holding events later than the one below it:
 * - top: an unsorted list of events at or after the first rung's end;
 * - rungs: rung 0 spans the events taken from top when it was made, in
 *   about one bucket per event; a bucket with more than SPAWN_THRESHOLD
 *   events, when its turn comes, becomes the next rung of CHILD_BUCKETS
 *   finer buckets instead of being sorted; each rung has consumed buckets
 *   below `cur`, and an event earlier than every rung's current bucket
 *   goes to the bottom;
 * - bottom: a sorted array of the earliest events, popped from its front.
 * Bucket widths are powers of two, so a bucket index is a subtraction and
 * a shift. Events are ordered by (time, seq) exactly as the binary heap
 * orders them: only the bottom is sorted, and it is sorted on that key.
 *
 * Invariant: whenever the queue is not empty the bottom is not empty, so
 * peek is O(1) and const; pop and remove refill the bottom when they empty
 * it. Buckets and the top are doubly linked lists threaded through a node
 * array indexed by id (the engine's pool slot), so cancelling any event is
 * O(1) outside the bottom and O(bottom) inside it.
 *
 * Allocation: the node array grows when an id outgrows it, and the bottom
 * (with its sorting scratch) and rung 0 arrays grow (by doubling) when the
 * queue's size outgrows them,
 * all in push, which may fail with TS_ENOMEM; rungs below the first have a
 * fixed size made with the queue. Pop and remove never allocate.
 */
#include <string.h>

#include "toposim/alloc.h"
#include "toposim/error.h"
#include "toposim/sim.h"

#include "engine/queue_impls.h"

#define NIL UINT32_MAX
/* A node's `home`: where it is queued. Buckets are rung << RUNG_SHIFT | b. */
#define HOME_NONE UINT32_MAX
#define HOME_TOP (UINT32_MAX - 1)
#define HOME_BOTTOM (UINT32_MAX - 2)
#define RUNG_SHIFT 28
#define BUCKET_MASK ((1u << RUNG_SHIFT) - 1)
#define MAX_RUNGS 8
#define CHILD_BITS 8
#define CHILD_BUCKETS (1u << CHILD_BITS)
/* The ladder queue paper's THRES is 50; 32 measured no worse here. */
#define SPAWN_THRESHOLD 32
/* A bottom grown past this by insertions (events earlier than every rung's
 * current bucket, e.g. a setup scheduling in falling time order) becomes a
 * rung, so that an insertion never moves more than this many ids. */
#define BOTTOM_LIMIT 128

typedef struct node {
    ts_time time;
    uint64_t seq;
    uint32_t next, prev; /* bucket or top list links */
    uint32_t home;
    uint32_t unused;     /* pads the node to 32 bytes: two per cache line */
} node;

typedef struct rung {
    uint32_t *head;      /* bucket list heads */
    size_t cap;          /* allocated heads */
    size_t nb;           /* buckets in use */
    size_t cur;          /* buckets below cur are consumed */
    ts_time start;       /* time of bucket 0's start */
    unsigned shift;      /* bucket width is 1 << shift nanoseconds */
} rung;

struct ts_queue {
    node *nodes;
    size_t node_cap;     /* ids < node_cap have a node */
    size_t size;
    uint32_t *bot;       /* ids sorted by (time, seq) in [bot_lo, bot_hi) */
    size_t bot_cap, bot_lo, bot_hi;
    rung rungs[MAX_RUNGS];
    int nrungs;
    uint32_t top_head;
    size_t top_n;
    ts_time top_min, top_max; /* bounds on top's times (loose after removals) */
    ts_time top_start;   /* with no rungs, events at or after it go to top */
};

/* b - a for a <= b, in unsigned arithmetic: a rung's start may be below
 * zero (it is aligned to its end), where the signed difference with a late
 * time would overflow. */
static inline uint64_t diff(ts_time a, ts_time b)
{
    return (uint64_t)b - (uint64_t)a;
}

/* start + width, known to lie in [start, TS_TIME_MAX]. */
static inline ts_time offset(ts_time start, uint64_t width)
{
    return (ts_time)((uint64_t)start + width);
}

static inline int before(const node *a, const node *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

/* ---- lists ---- */

static inline void list_push(ts_queue *q, uint32_t *head, uint32_t id, uint32_t home)
{
    node *n = &q->nodes[id];
    n->prev = NIL;
    n->next = *head;
    n->home = home;
    if (*head != NIL)
        q->nodes[*head].prev = id;
    *head = id;
}

static inline void list_unlink(ts_queue *q, uint32_t *head, uint32_t id)
{
    node *n = &q->nodes[id];
    if (n->prev != NIL)
        q->nodes[n->prev].next = n->next;
    else
        *head = n->next;
    if (n->next != NIL)
        q->nodes[n->next].prev = n->prev;
}

static void top_add(ts_queue *q, uint32_t id)
{
    ts_time t = q->nodes[id].time;
    list_push(q, &q->top_head, id, HOME_TOP);
    q->top_n++;
    if (t < q->top_min)
        q->top_min = t;
    if (t > q->top_max)
        q->top_max = t;
}

/* End of rung r's span, saturated at TS_TIME_MAX. nb << shift cannot wrap:
 * nb <= (span >> shift) + 1, so nb << shift <= span + 2^shift < 2^64. */
static ts_time rung_end(const rung *r)
{
    uint64_t width = (uint64_t)r->nb << r->shift;
    if (width > diff(r->start, TS_TIME_MAX))
        return TS_TIME_MAX;
    return offset(r->start, width);
}

/* ---- bottom ---- */

/* First index in [bot_lo, bot_hi) whose event is not before n. */
static size_t bottom_lower_bound(const ts_queue *q, const node *n)
{
    size_t lo = q->bot_lo, hi = q->bot_hi;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (before(&q->nodes[q->bot[mid]], n))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Room is guaranteed: bot_cap >= 2 * size, and id is counted in size. */
static void bottom_insert(ts_queue *q, uint32_t id)
{
    uint32_t *b = q->bot;
    if (q->bot_hi == q->bot_cap) {
        memmove(b, b + q->bot_lo, (q->bot_hi - q->bot_lo) * sizeof *b);
        q->bot_hi -= q->bot_lo;
        q->bot_lo = 0;
    }
    /* An event after all the others (the usual case: a simulator schedules
     * forward in time, and a fleet's lockstep releases fill the bottom
     * with one instant in seq order) goes at the end without a search,
     * whose log2(size) probes each touch another event's node. */
    size_t p = q->bot_hi > q->bot_lo && before(&q->nodes[b[q->bot_hi - 1]], &q->nodes[id])
                   ? q->bot_hi
                   : bottom_lower_bound(q, &q->nodes[id]);
    /* Shift whichever side is shorter. */
    if (q->bot_lo > 0 && p - q->bot_lo < q->bot_hi - p) {
        memmove(b + q->bot_lo - 1, b + q->bot_lo, (p - q->bot_lo) * sizeof *b);
        q->bot_lo--;
        b[p - 1] = id;
    } else {
        memmove(b + p + 1, b + p, (q->bot_hi - p) * sizeof *b);
        q->bot_hi++;
        b[p] = id;
    }
    q->nodes[id].home = HOME_BOTTOM;
}

static void bottom_remove(ts_queue *q, uint32_t id)
{
    uint32_t *b = q->bot;
    size_t p = bottom_lower_bound(q, &q->nodes[id]); /* keys are unique */
    if (p - q->bot_lo < q->bot_hi - 1 - p) {
        memmove(b + q->bot_lo + 1, b + q->bot_lo, (p - q->bot_lo) * sizeof *b);
        q->bot_lo++;
    } else {
        memmove(b + p, b + p + 1, (q->bot_hi - 1 - p) * sizeof *b);
        q->bot_hi--;
    }
    if (q->bot_lo == q->bot_hi)
        q->bot_lo = q->bot_hi = 0;
}

static inline int id_before(const ts_queue *q, uint32_t a, uint32_t b)
{
    return before(&q->nodes[a], &q->nodes[b]);
}

/* End of the ascending run of ids starting at i. */
static size_t run_end(const ts_queue *q, const uint32_t *a, size_t i, size_t n)
{
    size_t j = i + 1;
    while (j < n && id_before(q, a[j - 1], a[j]))
        j++;
    return j;
}

/* Sorts the bottom by (time, seq). A bucket's list comes out in runs
 * (events pushed in seq order come out in falling seq, and a simulator
 * releases many events at one instant), so this is a natural merge sort:
 * falling runs are reversed, then neighbouring runs merged pass by pass
 * through the scratch half of the bottom array (bot_cap >= 2 * size).
 * A handful of ids get an insertion sort. The bottom starts at index 0. */
static void bottom_sort(ts_queue *q)
{
    uint32_t *a = q->bot;
    size_t n = q->bot_hi;
    if (n <= 16) {
        for (size_t i = 1; i < n; i++) {
            uint32_t x = a[i];
            size_t j = i;
            for (; j > 0 && id_before(q, x, a[j - 1]); j--)
                a[j] = a[j - 1];
            a[j] = x;
        }
        return;
    }
    size_t runs = 0;
    for (size_t i = 0; i < n; runs++) {
        size_t j = i + 1;
        if (j < n && id_before(q, a[j], a[i])) {
            while (j < n && id_before(q, a[j], a[j - 1]))
                j++;
            for (size_t l = i, r = j - 1; l < r; l++, r--) {
                uint32_t x = a[l];
                a[l] = a[r];
                a[r] = x;
            }
        } else {
            j = run_end(q, a, i, n);
        }
        i = j;
    }
    uint32_t *src = a, *dst = a + n;
    while (runs > 1) {
        runs = 0;
        for (size_t i = 0; i < n; runs++) {
            size_t m = run_end(q, src, i, n);
            size_t e = m < n ? run_end(q, src, m, n) : n;
            size_t l = i, r = m, o = i;
            while (l < m && r < e)
                dst[o++] = id_before(q, src[r], src[l]) ? src[r++] : src[l++];
            while (l < m)
                dst[o++] = src[l++];
            while (r < e)
                dst[o++] = src[r++];
            i = e;
        }
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

/* ---- refilling the bottom ---- */

/* Makes rung 0 from every event in top, about one bucket per event. */
static void first_rung_from_top(ts_queue *q)
{
    rung *r = &q->rungs[0];
    uint64_t span = diff(q->top_min, q->top_max);
    size_t target = q->top_n; /* <= size <= r->cap, and >= 1 */
    if (target > (size_t)BUCKET_MASK)
        target = BUCKET_MASK;
    unsigned shift = 0;
    while ((span >> shift) + 1 > target)
        shift++;
    r->start = q->top_min;
    r->shift = shift;
    r->nb = (size_t)(span >> shift) + 1;
    r->cur = 0;
    for (size_t i = 0; i < r->nb; i++)
        r->head[i] = NIL;
    for (uint32_t id = q->top_head; id != NIL;) {
        uint32_t next = q->nodes[id].next;
        size_t b = (size_t)(diff(r->start, q->nodes[id].time) >> shift);
        list_push(q, &r->head[b], id, (uint32_t)b);
        id = next;
    }
    q->top_head = NIL;
    q->top_n = 0;
    q->top_min = TS_TIME_MAX;
    q->top_max = INT64_MIN;
    q->nrungs = 1;
}

static unsigned ceil_log2(size_t n)
{
    unsigned k = 0;
    while (((size_t)1 << k) < n)
        k++;
    return k;
}

/* The bottom holds one bucket of rung `parent` (bucket b) unsorted: spread
 * it over a new, finer rung below. */
static void spawn_rung(ts_queue *q, int parent, size_t b)
{
    rung *p = &q->rungs[parent];
    int ri = parent + 1;
    rung *r = &q->rungs[ri];
    size_t n = q->bot_hi - q->bot_lo;
    unsigned bits = ceil_log2(n);
    if (bits > CHILD_BITS)
        bits = CHILD_BITS;
    if (bits > p->shift)
        bits = p->shift;
    r->shift = p->shift - bits;
    r->nb = (size_t)1 << bits;
    r->start = offset(p->start, (uint64_t)b << p->shift);
    r->cur = 0;
    for (size_t i = 0; i < r->nb; i++)
        r->head[i] = NIL;
    for (size_t i = q->bot_lo; i < q->bot_hi; i++) {
        uint32_t id = q->bot[i];
        size_t k = (size_t)(diff(r->start, q->nodes[id].time) >> r->shift);
        list_push(q, &r->head[k], id, (uint32_t)ri << RUNG_SHIFT | (uint32_t)k);
    }
    q->bot_lo = q->bot_hi = 0;
    q->nrungs = ri + 1;
}

/* Called when the bottom is empty and the queue is not: moves the earliest
 * non-empty bucket of the lowest rung into the bottom, or spawns a finer
 * rung from it, making rung 0 from top when no rung is left. */
static void refill(ts_queue *q)
{
    for (;;) {
        if (q->nrungs == 0)
            first_rung_from_top(q);
        int ri = q->nrungs - 1;
        rung *r = &q->rungs[ri];
        while (r->cur < r->nb && r->head[r->cur] == NIL)
            r->cur++;
        if (r->cur == r->nb) {
            if (ri == 0)
                q->top_start = rung_end(r);
            q->nrungs--;
            continue;
        }
        size_t b = r->cur++;
        uint32_t id = r->head[b];
        r->head[b] = NIL;
        /* bottom is empty: its whole capacity (>= 2 * size) is free */
        size_t n = 0;
        for (; id != NIL; id = q->nodes[id].next) {
            q->bot[n++] = id;
            q->nodes[id].home = HOME_BOTTOM;
        }
        q->bot_lo = 0;
        q->bot_hi = n;
        if (n > SPAWN_THRESHOLD && q->nrungs < MAX_RUNGS && r->shift > 0) {
            spawn_rung(q, ri, b);
            continue;
        }
        bottom_sort(q);
        return;
    }
}

/* Every bottom event is before this: the lowest rung's current bucket, or
 * top_start when there is no rung (saturated at TS_TIME_MAX). */
static ts_time bottom_end(const ts_queue *q)
{
    if (q->nrungs == 0)
        return q->top_start;
    const rung *low = &q->rungs[q->nrungs - 1];
    uint64_t width = (uint64_t)low->cur << low->shift;
    if (width > diff(low->start, TS_TIME_MAX))
        return TS_TIME_MAX;
    return offset(low->start, width);
}

/* The bottom has outgrown BOTTOM_LIMIT and its times
 * differ and lie before bottom_end: spread it over a new lowest rung
 * that ends exactly where the bottom's range ends (the lowest rung's
 * current bucket, or top_start), then refill the bottom from it. */
static void bottom_to_rung(ts_queue *q)
{
    int ri = q->nrungs;
    rung *r = &q->rungs[ri];
    ts_time first = q->nodes[q->bot[q->bot_lo]].time;
    ts_time end = bottom_end(q);
    size_t n = q->bot_hi - q->bot_lo;
    size_t target = ri == 0 ? n : (n < CHILD_BUCKETS ? n : CHILD_BUCKETS);
    uint64_t span = (uint64_t)end - (uint64_t)first; /* > 0: first < end */
    unsigned shift = 0;
    while (((span - 1) >> shift) + 1 > target)
        shift++;
    r->shift = shift;
    r->nb = (size_t)((span - 1) >> shift) + 1;
    /* Aligned to end, so the buckets cover [start, end) and no more: an
     * event at or after end still belongs to the tier above. */
    r->start = (ts_time)((uint64_t)end - ((uint64_t)r->nb << shift));
    r->cur = 0;
    for (size_t i = 0; i < r->nb; i++)
        r->head[i] = NIL;
    for (size_t i = q->bot_lo; i < q->bot_hi; i++) {
        uint32_t id = q->bot[i];
        size_t k = (size_t)(diff(r->start, q->nodes[id].time) >> shift);
        list_push(q, &r->head[k], id, (uint32_t)ri << RUNG_SHIFT | (uint32_t)k);
    }
    q->bot_lo = q->bot_hi = 0;
    q->nrungs = ri + 1;
    refill(q);
}

/* Inserts into the bottom, turning it into a rung when it has grown past
 * BOTTOM_LIMIT with more than one distinct time (events of one time cannot
 * be spread, and go in at the end of their run anyway). */
static void bottom_add(ts_queue *q, uint32_t id)
{
    bottom_insert(q, id);
    if (q->bot_hi - q->bot_lo <= BOTTOM_LIMIT || q->nrungs == MAX_RUNGS)
        return;
    ts_time first = q->nodes[q->bot[q->bot_lo]].time;
    ts_time last = q->nodes[q->bot[q->bot_hi - 1]].time;
    /* (last can equal end only at TS_TIME_MAX, where ranges saturate) */
    if (first < last && last < bottom_end(q))
        bottom_to_rung(q);
}

/* ---- placement ---- */

/* Puts a node whose key is set into the tier its time belongs to. */
static void place(ts_queue *q, uint32_t id)
{
    ts_time t = q->nodes[id].time;
    if (q->nrungs == 0) {
        if (t >= q->top_start)
            top_add(q, id);
        else
            bottom_add(q, id);
        return;
    }
    rung *r = &q->rungs[0];
    if (t >= r->start) {
        uint64_t b = diff(r->start, t) >> r->shift;
        if (b >= r->nb) {
            top_add(q, id);
            return;
        }
        if (b >= r->cur) {
            list_push(q, &r->head[b], id, (uint32_t)b);
            return;
        }
    }
    /* Earlier than rung 0's current bucket: a finer rung (each spans the
     * bucket its parent consumed last, so b < nb) or the bottom. */
    for (int i = 1; i < q->nrungs; i++) {
        r = &q->rungs[i];
        if (t < r->start)
            break;
        uint64_t b = diff(r->start, t) >> r->shift;
        if (b >= r->cur) {
            list_push(q, &r->head[b], id, (uint32_t)i << RUNG_SHIFT | (uint32_t)b);
            return;
        }
    }
    bottom_add(q, id);
}

/* ---- growth ---- */

static int grow_nodes(ts_queue *q, size_t need)
{
    size_t cap = q->node_cap ? q->node_cap : 16;
    while (cap < need)
        cap *= 2;
    node *n = ts_realloc(q->nodes, cap * sizeof *n);
    if (!n)
        return TS_ENOMEM;
    for (size_t i = q->node_cap; i < cap; i++)
        n[i].home = HOME_NONE;
    q->nodes = n;
    q->node_cap = cap;
    return TS_OK;
}

/* Rung 0 needs a bucket per queued event at most, the bottom room for
 * every queued event and as much again as scratch for sorting. */
static int grow_for_size(ts_queue *q, size_t need)
{
    if (2 * need > q->bot_cap) {
        size_t cap = q->bot_cap * 2;
        uint32_t *b = ts_realloc(q->bot, cap * sizeof *b);
        if (!b)
            return TS_ENOMEM;
        q->bot = b;
        q->bot_cap = cap;
    }
    rung *r = &q->rungs[0];
    if (need > r->cap) {
        size_t cap = r->cap * 2;
        uint32_t *h = ts_realloc(r->head, cap * sizeof *h);
        if (!h)
            return TS_ENOMEM;
        r->head = h;
        r->cap = cap;
    }
    return TS_OK;
}

/* ---- the interface ---- */

static void q_free(ts_queue *q)
{
    if (!q)
        return;
    for (int i = 0; i < MAX_RUNGS; i++)
        ts_free(q->rungs[i].head);
    ts_free(q->bot);
    ts_free(q->nodes);
    ts_free(q);
}

static ts_queue *q_new(size_t capacity)
{
    ts_queue *q = ts_calloc(1, sizeof *q);
    if (!q)
        return NULL;
    if (capacity < 16)
        capacity = 16;
    if (capacity > (size_t)BUCKET_MASK)
        capacity = BUCKET_MASK;
    q->top_head = NIL;
    q->top_min = TS_TIME_MAX;
    q->top_max = INT64_MIN;
    q->bot = ts_malloc(2 * capacity * sizeof *q->bot);
    q->bot_cap = q->bot ? 2 * capacity : 0;
    int ok = q->bot != NULL && grow_nodes(q, capacity) == TS_OK;
    for (int i = 0; ok && i < MAX_RUNGS; i++) {
        size_t cap = i == 0 ? capacity : CHILD_BUCKETS;
        q->rungs[i].head = ts_malloc(cap * sizeof *q->rungs[i].head);
        q->rungs[i].cap = cap;
        ok = q->rungs[i].head != NULL;
    }
    if (!ok) {
        q_free(q);
        return NULL;
    }
    return q;
}

static int q_push(ts_queue *q, uint32_t id, ts_queue_key key)
{
    if (id == NIL)
        return TS_EINVAL;
    if (id >= q->node_cap && grow_nodes(q, (size_t)id + 1) != TS_OK)
        return TS_ENOMEM;
    if (q->nodes[id].home != HOME_NONE)
        return TS_EINVAL;
    if (q->size >= (size_t)BUCKET_MASK || grow_for_size(q, q->size + 1) != TS_OK)
        return TS_ENOMEM;
    node *n = &q->nodes[id];
    n->time = key.time;
    n->seq = key.seq;
    if (q->size++ == 0) {
        /* Empty: start over with this event alone in the bottom; later
         * events go to top until the bottom runs dry. */
        q->nrungs = 0;
        q->bot_lo = 0;
        q->bot_hi = 1;
        q->bot[0] = id;
        n->home = HOME_BOTTOM;
        q->top_start = key.time == TS_TIME_MAX ? TS_TIME_MAX : key.time + 1;
        return TS_OK;
    }
    place(q, id);
    return TS_OK;
}

static uint32_t q_pop(ts_queue *q, ts_queue_key *key)
{
    if (q->size == 0)
        return NIL;
    uint32_t id = q->bot[q->bot_lo++];
    node *n = &q->nodes[id];
    n->home = HOME_NONE;
    if (key) {
        key->time = n->time;
        key->seq = n->seq;
    }
    if (q->bot_lo == q->bot_hi)
        q->bot_lo = q->bot_hi = 0;
    if (--q->size > 0 && q->bot_lo == q->bot_hi)
        refill(q);
    return id;
}

static ts_time q_peek_time(const ts_queue *q)
{
    return q->size ? q->nodes[q->bot[q->bot_lo]].time : TS_TIME_MAX;
}

static uint32_t q_peek_id(const ts_queue *q)
{
    return q->size ? q->bot[q->bot_lo] : NIL;
}

static int q_remove(ts_queue *q, uint32_t id)
{
    if (id >= q->node_cap || q->nodes[id].home == HOME_NONE)
        return TS_ENOENT;
    uint32_t home = q->nodes[id].home;
    if (home == HOME_BOTTOM) {
        bottom_remove(q, id);
    } else if (home == HOME_TOP) {
        list_unlink(q, &q->top_head, id);
        if (--q->top_n == 0) {
            q->top_min = TS_TIME_MAX;
            q->top_max = INT64_MIN;
        }
    } else {
        list_unlink(q, &q->rungs[home >> RUNG_SHIFT].head[home & BUCKET_MASK], id);
    }
    q->nodes[id].home = HOME_NONE;
    if (--q->size > 0 && q->bot_lo == q->bot_hi)
        refill(q);
    return TS_OK;
}

static size_t q_size(const ts_queue *q) { return q->size; }

TS__QUEUE_EXPORT(ts__ladderq_, ts__ladderq_peek_id)
#ifndef TS_QUEUE_HEAP
TS__QUEUE_EXPORT(ts_queue_, ts__queue_peek_id)

uint32_t ts__queue_peek_ahead(const ts_queue *q, size_t k)
{
    return q->bot_lo + k < q->bot_hi ? q->bot[q->bot_lo + k] : NIL;
}
#endif
