/*
 * toposim's discrete-event engine: a simulated clock in int64 nanoseconds, a
 * pending-event queue ordered by (time, insertion sequence) so that ties
 * break by insertion order and runs are deterministic, events drawn from a
 * pool so the hot path does not call malloc, and one GSL random stream per
 * entity. The engine knows nothing of robots, links or components.
 */
#ifndef TOPOSIM_SIM_H
#define TOPOSIM_SIM_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

/* Simulated time in nanoseconds since the start of the run. */
typedef int64_t ts_time;

#define TS_NS ((ts_time)1)
#define TS_US ((ts_time)1000)
#define TS_MS ((ts_time)1000000)
#define TS_S ((ts_time)1000000000)
#define TS_TIME_MAX INT64_MAX

/* The longest time a scenario may name (a duration, an instant, a period,
 * a latency): 10^18 ns, about 31.7 years. Inputs beyond it are refused
 * where they are read, so that sums of a few times (an instant plus a
 * duration plus a latency) never overflow int64. */
#define TS_SIM_TIME_LIMIT ((ts_time)1000000000000000000)

typedef struct ts_engine ts_engine;

/* An event's action: ctx and arg are what was given to ts_engine_schedule. */
typedef void (*ts_event_fn)(ts_engine *engine, void *ctx, uint64_t arg);

/* Names a scheduled event for ts_engine_cancel; stale handles are harmless. */
typedef uint64_t ts_event_handle;

/* Creates an engine at time 0 with room for `capacity_hint` pending events
 * (the pool grows by doubling beyond it). Caller frees with ts_engine_free;
 * NULL on allocation failure. */
ts_engine *ts_engine_new(size_t capacity_hint);

/* Frees the engine and every pending event (their actions are not run). */
void ts_engine_free(ts_engine *engine);

/* The current simulated time. */
ts_time ts_engine_now(const ts_engine *engine);

/* Schedules fn(engine, ctx, arg) at absolute time `at` (>= now). Writes the
 * event's handle to *handle when handle is not NULL. Returns TS_OK, TS_EINVAL
 * for a time in the past, TS_ENOMEM when the pool cannot grow. */
int ts_engine_schedule(ts_engine *engine, ts_time at, ts_event_fn fn,
                       void *ctx, uint64_t arg, ts_event_handle *handle);

/* Removes a pending event; returns TS_OK, or TS_ENOENT when it already ran
 * or was cancelled. */
int ts_engine_cancel(ts_engine *engine, ts_event_handle handle);

/* Runs events in (time, sequence) order while their time is <= until, or
 * until ts_engine_stop is called from an action; the clock then reads
 * `until` (or the stop time). Returns the number of events executed. */
uint64_t ts_engine_run(ts_engine *engine, ts_time until);

/* Asks a running ts_engine_run to return after the current action. */
void ts_engine_stop(ts_engine *engine);

/* Called by ts_engine_run every few thousand events (between actions):
 * a nonzero return makes the run return as ts_engine_stop does. For what
 * lives outside the simulation (an interrupt, a progress line); it must
 * not schedule or cancel events. */
typedef int (*ts_engine_poll_fn)(void *ctx, const ts_engine *engine);
void ts_engine_set_poll(ts_engine *engine, ts_engine_poll_fn poll, void *ctx);
/* Bounds the events pending at once (0, the default: unbounded). A
 * schedule beyond the bound fails with TS_ERANGE and stops a running
 * ts_engine_run after the current action, so a model whose events grow
 * without end ends the run instead of the process's memory. */
void ts_engine_set_max_pending(ts_engine *engine, size_t max);

/* 1 once a schedule has failed on that bound. */
int ts_engine_over_limit(const ts_engine *engine);

/* Number of events waiting in the queue. */
size_t ts_engine_pending(const ts_engine *engine);

/* Total events executed since creation. */
uint64_t ts_engine_executed(const ts_engine *engine);

/* ---- The event queue behind the engine (as ROSS's five functions). ---- */

/* A queue entry: ordered by time, then by seq (insertion order). */
typedef struct ts_queue_key {
    ts_time time;
    uint64_t seq;
} ts_queue_key;

typedef struct ts_queue ts_queue;

/* Creates an empty queue of entries identified by uint32 ids < capacity
 * (ids are engine pool slots). Caller frees with ts_queue_free. */
ts_queue *ts_queue_new(size_t capacity);
void ts_queue_free(ts_queue *q);
/* Inserts id with key; the id must not already be queued. TS_ENOMEM if the
 * queue cannot grow. */
int ts_queue_push(ts_queue *q, uint32_t id, ts_queue_key key);
/* Removes and returns the id with the smallest key; queue must be non-empty. */
uint32_t ts_queue_pop(ts_queue *q, ts_queue_key *key);
/* Smallest key's time, or TS_TIME_MAX when empty. */
ts_time ts_queue_peek_time(const ts_queue *q);
/* Removes id if queued; TS_OK or TS_ENOENT. */
int ts_queue_remove(ts_queue *q, uint32_t id);
/* Number of queued ids. */
size_t ts_queue_size(const ts_queue *q);
/* Engine-internal (hence ts__): the id ts_queue_pop would return next, or
 * UINT32_MAX when empty, so the engine can prefetch that event's slot while
 * the current action runs. */
uint32_t ts__queue_peek_id(const ts_queue *q);

/* ---- Random streams ---- */

/* Derives a stream seed from the scenario seed and an entity's name, so a
 * new entity never shifts another entity's draws. Pure function. */
uint64_t ts_rng_seed_for(uint64_t scenario_seed, const char *entity_name);

/* Creates a GSL random stream (gsl_rng_taus2: 24 bytes of state, period
 * 2^88) whose three state words come from ts_rng_seed_for, so distinct
 * 64-bit seeds give distinct streams. Caller frees with gsl_rng_free; NULL
 * on allocation failure. */
gsl_rng *ts_rng_new(uint64_t scenario_seed, const char *entity_name);

/* Creates n streams in one allocation, for a fleet's entities: stream i,
 * &block[i], draws exactly what ts_rng_new(scenario_seed, name_of(ctx, i))
 * would, at 40 bytes instead of two allocations. The streams live as long
 * as the block: free it with ts_rng_block_free, never a stream with
 * gsl_rng_free. NULL on allocation failure (n may be 0). */
gsl_rng *ts_rng_block_new(uint64_t scenario_seed, size_t n,
                          const char *(*name_of)(void *ctx, size_t i), void *ctx);
void ts_rng_block_free(gsl_rng *block);

#endif
