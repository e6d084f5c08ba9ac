/*
 * The discrete-event engine: a clock, a pool of event slots and the queue
 * that orders them. Slots come from a LIFO free list (recently freed slots
 * are still in cache); the pool grows by doubling only when the free list is
 * empty, so in steady state scheduling and running never allocate. A handle
 * is slot | generation << 32: the generation changes whenever a slot is
 * taken or released, which is how a handle to an event that already ran, was
 * cancelled, or whose slot now holds another event is told apart.
 *
 * A slot names its action by a 32-bit index into a table of the distinct
 * (fn, ctx) pairs scheduled so far, not by the two pointers: a run has a
 * few dozen such pairs (a model's callback and the model), and a fleet
 * keeps three events pending per robot, so the 16 bytes saved per slot
 * are about 50 bytes a robot. Scheduling finds the pair's index through
 * the last pair used or a small open-addressing hash; a pair seen for the
 * first time is added (the table grows by doubling, as the pool does).
 */
#include "toposim/alloc.h"
#include "toposim/error.h"
#include "toposim/sim.h"

#include "engine/queue_impls.h"

#include <stdint.h>

#define NO_SLOT UINT32_MAX
#define MIN_CAPACITY 16
#define HANDLERS_MIN 16

typedef struct slot {
    uint64_t arg;
    /* The action's index in the engine's handlers while the slot holds a
     * pending event; the next free slot while it is free. */
    uint32_t link;
    /* Odd while the slot holds a pending event, even while free. 32 bits
     * wrap after 2^31 reuses of one slot, when a very old stale handle
     * could alias a new event; far beyond any run's lifetime per slot. */
    uint32_t gen;
} slot;

typedef struct handler {
    ts_event_fn fn;
    void *ctx;
} handler;

struct ts_engine {
    ts_time now;
    uint64_t seq;       /* insertion counter: breaks ties between equal times */
    uint64_t executed;
    slot *slots;
    size_t cap;
    uint32_t free_head;
    int stop;
    int running;
    size_t max_pending;   /* 0: unbounded */
    int over_limit;
    ts_queue *queue;
    ts_engine_poll_fn poll;   /* asked every POLL_EVERY events; NULL: none */
    void *poll_ctx;
    handler *handlers;        /* the distinct (fn, ctx) pairs scheduled */
    uint32_t n_handlers, cap_handlers;
    uint32_t *index;          /* open addressing: 1 + handler, 0: empty;
                                 index_mask + 1 entries, at least twice
                                 n_handlers */
    uint32_t index_mask;
    uint32_t last;            /* the handler scheduled last (a cache) */
};

/* Often enough that an interrupt or a progress line is served within a
 * few milliseconds, rarely enough that the check costs nothing measurable
 * (a mask test per event). */
#define POLL_EVERY 8192

/* Chains slots [from, to) onto the front of the free list in index order. */
static void link_free(ts_engine *e, size_t from, size_t to)
{
    for (size_t i = to; i > from; i--) {
        e->slots[i - 1].gen = 0;
        e->slots[i - 1].link = e->free_head;
        e->free_head = (uint32_t)(i - 1);
    }
}

static int grow_pool(ts_engine *e)
{
    /* Slot ids must stay below NO_SLOT and fit the handle's low 32 bits. */
    if (e->cap >= (size_t)NO_SLOT / 2)
        return TS_ENOMEM;
    size_t cap = e->cap * 2;
    slot *s = ts_realloc(e->slots, cap * sizeof *s);
    if (!s)
        return TS_ENOMEM;
    e->slots = s;
    link_free(e, e->cap, cap);
    e->cap = cap;
    return TS_OK;
}

ts_engine *ts_engine_new(size_t capacity_hint)
{
    size_t cap = capacity_hint < MIN_CAPACITY ? MIN_CAPACITY : capacity_hint;
    if (cap > (size_t)NO_SLOT / 2)
        cap = (size_t)NO_SLOT / 2;
    ts_engine *e = ts_calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->free_head = NO_SLOT;
    e->slots = ts_malloc(cap * sizeof *e->slots);
    e->cap_handlers = HANDLERS_MIN;
    e->handlers = ts_malloc(HANDLERS_MIN * sizeof *e->handlers);
    e->index_mask = 2 * HANDLERS_MIN - 1;
    e->index = ts_calloc(2 * HANDLERS_MIN, sizeof *e->index);
    e->queue = e->slots && e->handlers && e->index ? ts_queue_new(cap) : NULL;
    if (!e->queue) {
        ts_engine_free(e);
        return NULL;
    }
    e->cap = cap;
    link_free(e, 0, cap);
    return e;
}

void ts_engine_free(ts_engine *engine)
{
    if (!engine)
        return;
    ts_queue_free(engine->queue);
    ts_free(engine->slots);
    ts_free(engine->handlers);
    ts_free(engine->index);
    ts_free(engine);
}

ts_time ts_engine_now(const ts_engine *engine) { return engine->now; }

static inline uint32_t index_hash(const ts_engine *e, ts_event_fn fn, const void *ctx)
{
    /* Function and object addresses are 16- or 8-byte aligned: mix the
     * two, then keep the high bits of a multiplicative hash. */
    uint64_t k = (uint64_t)(uintptr_t)ctx ^ ((uint64_t)(uintptr_t)fn << 17);
    return (uint32_t)((k * 0x9E3779B97F4A7C15u) >> 32) & e->index_mask;
}

/* Doubles the handler table and its index, rehashing the pairs. */
static int grow_handlers(ts_engine *e)
{
    if (e->cap_handlers >= UINT32_MAX / 4)
        return TS_ENOMEM;
    uint32_t cap = 2 * e->cap_handlers;
    handler *h = ts_realloc(e->handlers, (size_t)cap * sizeof *h);
    if (!h)
        return TS_ENOMEM;
    e->handlers = h;
    e->cap_handlers = cap;
    uint32_t *index = ts_calloc(2 * (size_t)cap, sizeof *index);
    if (!index)
        return TS_ENOMEM;     /* the old index still serves */
    ts_free(e->index);
    e->index = index;
    e->index_mask = 2 * cap - 1;
    for (uint32_t i = 0; i < e->n_handlers; i++) {
        uint32_t at = index_hash(e, e->handlers[i].fn, e->handlers[i].ctx);
        while (e->index[at])
            at = (at + 1) & e->index_mask;
        e->index[at] = i + 1;
    }
    return TS_OK;
}

/* The index of (fn, ctx) in the handler table, added when new; TS_ENOMEM
 * when the table cannot grow. */
static inline int handler_of(ts_engine *e, ts_event_fn fn, void *ctx, uint32_t *out)
{
    if (e->n_handlers && e->handlers[e->last].fn == fn && e->handlers[e->last].ctx == ctx) {
        *out = e->last;
        return TS_OK;
    }
    uint32_t at = index_hash(e, fn, ctx);
    for (uint32_t v; (v = e->index[at]) != 0; at = (at + 1) & e->index_mask)
        if (e->handlers[v - 1].fn == fn && e->handlers[v - 1].ctx == ctx) {
            *out = e->last = v - 1;
            return TS_OK;
        }
    if (e->n_handlers == e->cap_handlers) {
        if (grow_handlers(e) != TS_OK)
            return TS_ENOMEM;
        at = index_hash(e, fn, ctx);
        while (e->index[at])
            at = (at + 1) & e->index_mask;
    }
    uint32_t i = e->n_handlers++;
    e->handlers[i] = (handler){fn, ctx};
    e->index[at] = i + 1;
    *out = e->last = i;
    return TS_OK;
}

int ts_engine_schedule(ts_engine *engine, ts_time at, ts_event_fn fn,
                       void *ctx, uint64_t arg, ts_event_handle *handle)
{
    if (at < engine->now || !fn)
        return TS_EINVAL;
    if (engine->free_head == NO_SLOT) {
        /* The pool is full exactly when cap events are pending. */
        if (engine->max_pending && engine->cap >= engine->max_pending) {
            engine->over_limit = 1;
            engine->stop = 1;
            return TS_ERANGE;
        }
        if (grow_pool(engine) != TS_OK)
            return TS_ENOMEM;
    }
    uint32_t action;
    if (handler_of(engine, fn, ctx, &action) != TS_OK)
        return TS_ENOMEM;
    uint32_t id = engine->free_head;
    slot *s = &engine->slots[id];
    ts_queue_key key = {at, engine->seq};
    int rc = ts_queue_push(engine->queue, id, key);
    if (rc != TS_OK)
        return rc; /* the slot is still on the free list: nothing to undo */
    engine->free_head = s->link;
    engine->seq++;
    s->link = action;
    s->arg = arg;
    s->gen++;
    if (handle)
        *handle = (uint64_t)s->gen << 32 | id;
    return TS_OK;
}

static inline void release(ts_engine *e, uint32_t id)
{
    slot *s = &e->slots[id];
    s->gen++;
    s->link = e->free_head;
    e->free_head = id;
}

int ts_engine_cancel(ts_engine *engine, ts_event_handle handle)
{
    uint32_t id = (uint32_t)handle;
    uint32_t gen = (uint32_t)(handle >> 32);
    if (id >= engine->cap || !(gen & 1u) || engine->slots[id].gen != gen)
        return TS_ENOENT;
    if (ts_queue_remove(engine->queue, id) != TS_OK)
        return TS_ENOENT; /* cannot happen while gen is odd; be safe */
    release(engine, id);
    return TS_OK;
}

/* Starts loading the next events' slots into cache now, so the misses
 * overlap the current action instead of stalling the next pops. Measured
 * with tools/bench/bench_engine.c at 1e5 pending: 3.7 -> 6.3 M events/s for
 * the next event; PREFETCH_AHEAD more are prefetched when the queue knows
 * them (the ladder queue's sorted bottom). */
#define PREFETCH_AHEAD 4

static inline void prefetch_next(const ts_engine *e)
{
#if defined(__GNUC__)
    uint32_t next = ts__queue_peek_id(e->queue);
    if (next != NO_SLOT)
        __builtin_prefetch(&e->slots[next]);
    uint32_t ahead = ts__queue_peek_ahead(e->queue, PREFETCH_AHEAD);
    if (ahead != NO_SLOT)
        __builtin_prefetch(&e->slots[ahead]);
#else
    (void)e;
#endif
}

uint64_t ts_engine_run(ts_engine *engine, ts_time until)
{
    if (engine->running)
        return 0; /* an action must not re-enter run: the loop owns the clock */
    engine->running = 1;
    engine->stop = engine->over_limit; /* a bound hit while setting up stays hit */
    uint64_t n = 0;
    while (!engine->stop && ts_queue_size(engine->queue) > 0 &&
           ts_queue_peek_time(engine->queue) <= until) {
        ts_queue_key key;
        uint32_t id = ts_queue_pop(engine->queue, &key);
        /* Copy out before release and the action: the action may schedule,
         * which can reuse this slot or move the pool. */
        slot *s = &engine->slots[id];
        const handler *h = &engine->handlers[s->link];
        ts_event_fn fn = h->fn;
        void *ctx = h->ctx;
        uint64_t arg = s->arg;
        release(engine, id);
        prefetch_next(engine);
        engine->now = key.time;
        engine->executed++;
        n++;
        fn(engine, ctx, arg);
        if ((engine->executed & (POLL_EVERY - 1)) == 0 && engine->poll &&
            engine->poll(engine->poll_ctx, engine))
            engine->stop = 1;
    }
    if (!engine->stop && until > engine->now)
        engine->now = until;
    engine->stop = 0;
    engine->running = 0;
    return n;
}

void ts_engine_stop(ts_engine *engine) { engine->stop = 1; }

void ts_engine_set_poll(ts_engine *engine, ts_engine_poll_fn poll, void *ctx)
{
    engine->poll = poll;
    engine->poll_ctx = ctx;
}
void ts_engine_set_max_pending(ts_engine *engine, size_t max) { engine->max_pending = max; }

int ts_engine_over_limit(const ts_engine *engine) { return engine->over_limit; }

size_t ts_engine_pending(const ts_engine *engine)
{
    return ts_queue_size(engine->queue);
}

uint64_t ts_engine_executed(const ts_engine *engine)
{
    return engine->executed;
}
