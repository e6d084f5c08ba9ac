/*
 * Engine-internal: every event-queue implementation, each always compiled
 * under its own ts__<name>q_ names so that tests run the same cases on all
 * of them and tools/bench/bench_engine.c compares them side by side. One of
 * them is also the build's ts_queue_* (see sim.h): the ladder queue by
 * default, the binary heap when built with -DTS_QUEUE_HEAP.
 *
 * Each implementation defines its own struct ts_queue in its own file; a
 * queue made by one implementation's _new is only ever handed to that
 * implementation's functions.
 */
#ifndef TOPOSIM_ENGINE_QUEUE_IMPLS_H
#define TOPOSIM_ENGINE_QUEUE_IMPLS_H

#include "toposim/sim.h"

/* Defines the eight exported functions of one implementation as calls to
 * its file-private q_* functions (which the compiler inlines). */
#define TS__QUEUE_EXPORT(P, PEEK_ID)                                          \
    ts_queue *P##new(size_t capacity) { return q_new(capacity); }             \
    void P##free(ts_queue *q) { q_free(q); }                                  \
    int P##push(ts_queue *q, uint32_t id, ts_queue_key key)                   \
    {                                                                         \
        return q_push(q, id, key);                                            \
    }                                                                         \
    uint32_t P##pop(ts_queue *q, ts_queue_key *key) { return q_pop(q, key); } \
    ts_time P##peek_time(const ts_queue *q) { return q_peek_time(q); }        \
    int P##remove(ts_queue *q, uint32_t id) { return q_remove(q, id); }       \
    size_t P##size(const ts_queue *q) { return q_size(q); }                   \
    uint32_t PEEK_ID(const ts_queue *q) { return q_peek_id(q); }

#define TS__QUEUE_DECLARE(P, PEEK_ID)                                         \
    ts_queue *P##new(size_t capacity);                                        \
    void P##free(ts_queue *q);                                                \
    int P##push(ts_queue *q, uint32_t id, ts_queue_key key);                  \
    uint32_t P##pop(ts_queue *q, ts_queue_key *key);                          \
    ts_time P##peek_time(const ts_queue *q);                                  \
    int P##remove(ts_queue *q, uint32_t id);                                  \
    size_t P##size(const ts_queue *q);                                        \
    uint32_t PEEK_ID(const ts_queue *q);

/* The id k places after the front in pop order when the build's queue
 * knows it without work (the ladder's sorted bottom), else UINT32_MAX: the
 * engine prefetches those events' slots. */
uint32_t ts__queue_peek_ahead(const ts_queue *q, size_t k);

/* The array binary heap (queue_heap.c). */
TS__QUEUE_DECLARE(ts__heapq_, ts__heapq_peek_id)
/* The ladder queue (queue_ladder.c). */
TS__QUEUE_DECLARE(ts__ladderq_, ts__ladderq_peek_id)

#endif
