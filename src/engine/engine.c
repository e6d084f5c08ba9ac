/*
 * The discrete-event engine: a clock, a pool of event slots and the queue
 * that orders them. Slots come from a LIFO free list (recently freed slots
 * are still in cache); the pool grows by doubling only when the free list is
 * empty, so in steady state scheduling and running never allocate. A handle
 * is slot | generation << 32: the generation changes whenever a slot is
 * taken or released, which is how a handle to an event that already ran, was
 * cancelled, or whose slot now holds another event is told apart.
 */
#include "toposim/alloc.h"
#include "toposim/error.h"
#include "toposim/sim.h"

#include "engine/queue_impls.h"

#include <stdint.h>

#define NO_SLOT UINT32_MAX
#define MIN_CAPACITY 16

typedef struct slot {
    ts_event_fn fn;
    void *ctx;
    uint64_t arg;
    /* Odd while the slot holds a pending event, even while free. 32 bits
     * wrap after 2^31 reuses of one slot, when a very old stale handle
     * could alias a new event; far beyond any run's lifetime per slot. */
    uint32_t gen;
    uint32_t next_free;
} slot;

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
        e->slots[i - 1].next_free = e->free_head;
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
    e->queue = e->slots ? ts_queue_new(cap) : NULL;
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
    ts_free(engine);
}

ts_time ts_engine_now(const ts_engine *engine) { return engine->now; }

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
    uint32_t id = engine->free_head;
    slot *s = &engine->slots[id];
    ts_queue_key key = {at, engine->seq};
    int rc = ts_queue_push(engine->queue, id, key);
    if (rc != TS_OK)
        return rc; /* the slot is still on the free list: nothing to undo */
    engine->free_head = s->next_free;
    engine->seq++;
    s->fn = fn;
    s->ctx = ctx;
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
    s->next_free = e->free_head;
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
        ts_event_fn fn = s->fn;
        void *ctx = s->ctx;
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
