/*
 * Private to src/sim/: the simulated runtime behind runtime.h (time and
 * timers from the engine, datagrams over the network model, liveness from
 * the compute model, records onto the bus) and the component-state
 * controller the deployment code decides through. One per run; the other
 * subsystems hand its ts_runtime to the deployment code's objects.
 */
#ifndef TOPOSIM_SIM_RUNTIME_SIM_H
#define TOPOSIM_SIM_RUNTIME_SIM_H

#include "sim/bus.h"
#include "sim/transport.h"
#include "toposim/compute.h"
#include "toposim/deploy_controller.h"
#include "toposim/network.h"
#include "toposim/runtime.h"

typedef struct ts__rts ts__rts;

/* Called after anything that may change whether component c serves, runs,
 * lives, or its version or safety mode (the recorder's hook). */
typedef void (*ts__rts_changed_fn)(void *ctx, int component);

/* The runtime, every component ACTIVE and serving, and its controller.
 * Free with ts__rts_free. */
int ts__rts_new(const ts__shared *sh, ts_network *net, ts_compute *compute, ts__rts **out,
                ts_error *err);
void ts__rts_free(ts__rts *r);

/* Gives the runtime the dynamics model (borrowed), through which it
 * reports nodes' power states and applies power mode requests. */
struct ts_dynamics;
void ts__rts_attach_dynamics(ts__rts *r, struct ts_dynamics *dyn);

/* Sets the one hook told of component state changes. */
void ts__rts_on_change(ts__rts *r, ts__rts_changed_fn fn, void *ctx);

/* Topic traffic between endpoints on one node takes the transport's
 * latency (transport borrowed; without one, none). */
void ts__rts_set_transport(ts__rts *r, const ts__transport *transport);

/* What the deployment code is handed; lives as long as r. */
const ts_runtime *ts__rts_runtime(const ts__rts *r);

/* The component-state controller; lives as long as r. */
ts_ctl *ts__rts_ctl(const ts__rts *r);

/* Hands a network packet that carries a runtime message (tag != 0) to its
 * listener. */
void ts__rts_packet(ts__rts *r, const ts_packet *p);

/* 1 when a component publishes its topics and answers requests. */
int ts__rts_serving(const ts__rts *r, int component);

/* 1 when a component's process runs and is not set STOPPED. */
int ts__rts_receives(const ts__rts *r, int component);

/* 1 when the component's own process crashed (a fault). */
int ts__rts_crashed(const ts__rts *r, int component);

/* The state last applied to a component. */
const ts_rt_component_state *ts__rts_component(const ts__rts *r, int component);

/* Crashes (alive 0) or restarts a component's process. */
void ts__rts_set_component_alive(ts__rts *r, int component, int alive);

/* After its node went down or up: the decided state stands, whether the
 * component serves changed with its liveness. */
void ts__rts_liveness_changed(ts__rts *r, int component);

#endif
