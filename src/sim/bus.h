/*
 * Private to src/sim/: what every subsystem of a run shares, and nothing
 * more. The read-only scenario and plan, the engine, and the bus: platform
 * events delivered by kind to the subsystems that subscribed to that kind
 * (then to the catch-all subscribers, the trace's /events writer), and the
 * run's first failure. world.c owns the bus and wires the subscriptions.
 */
#ifndef TOPOSIM_SIM_BUS_H
#define TOPOSIM_SIM_BUS_H

#include "toposim/error.h"
#include "toposim/event.h"
#include "toposim/sim.h"
#include "toposim/world.h"

typedef struct ts__bus ts__bus;

/* Handed to every subsystem at its start; the pointers outlive them all. */
typedef struct ts__shared {
    const ts_scenario *s;
    const ts_plan *plan;
    ts_engine *engine;
    ts__bus *bus;
    /* The components placed on each node, in component order (CSR: node
     * n's are on_node[node_first[n] .. node_first[n + 1]]), so that a node
     * going down costs its own components, not the fleet's. */
    const int *node_first;
    const int *on_node;
} ts__shared;

typedef void (*ts__bus_fn)(void *ctx, const ts_platform_event *ev);

/* A bus that stops engine on the first failure; NULL without memory. The
 * caller frees it with ts__bus_free. */
ts__bus *ts__bus_new(ts_engine *engine);
void ts__bus_free(ts__bus *bus);

/* fn(ctx, ev) for every event of `kind`, after the subscribers before it;
 * TS_ERANGE when the kind has all the subscribers a bus holds. */
int ts__bus_subscribe(ts__bus *bus, ts_event_kind kind, ts__bus_fn fn, void *ctx);

/* fn(ctx, ev) for every event, after the kind's own subscribers. */
int ts__bus_subscribe_all(ts__bus *bus, ts__bus_fn fn, void *ctx);

/* Delivers ev to its kind's subscribers, then to the catch-all ones.
 * Allocates nothing; events posted by a subscriber are delivered whole
 * before the call that posted them returns. */
void ts__bus_post(ts__bus *bus, const ts_platform_event *ev);

/* Records the run's first failure and stops the engine; later ones are
 * ignored. */
void ts__bus_fail(ts__bus *bus, const ts_error *e);

/* 1 once the run failed. */
int ts__bus_failed(const ts__bus *bus);

/* The first failure (code 0 when none). */
const ts_error *ts__bus_error(const ts__bus *bus);

#endif
