/*
 * Private to src/sim/: what a topic sample costs on its way, besides the
 * links. Between nodes a sample crosses the network (UDP with
 * fragmentation, src/platform/network.c); on its publisher's node it goes
 * through the node's transport instead (shared memory, optionally with
 * zero-copy loaned messages; UDP over loopback; or within one process),
 * which takes a fixed latency plus a per-byte copy. Wherever it travels
 * serialised, the publisher's job serialises it and the subscriber's job
 * deserialises it, per byte, on their own cores. This module owns the
 * cost figures (cited in transport.c) and the deserialisation work each
 * component has received and not yet done.
 */
#ifndef TOPOSIM_SIM_TRANSPORT_H
#define TOPOSIM_SIM_TRANSPORT_H

#include "sim/bus.h"

/* ---- the cost model (pure) ---- */

/* One cost line, fixed + per byte. */
typedef struct ts__cost {
    int64_t fixed_ns;
    int64_t ps_per_byte;
} ts__cost;

/* The built-in figures (cited in transport.c), by ts_cost_path. */
extern const ts__cost ts__transport_builtin[TS_COST_PATHS];

/* The cost path of a same-node sample over `kind` (TS_TRANSPORT_SHM,
 * _UDP_LOOPBACK or _INTRA_PROCESS), or loaned messages (kind ignored). */
int ts__transport_path(int kind, int loaned);

/* fixed + ceil(bytes x ps_per_byte / 1000) ns, saturating at
 * TS_TIME_MAX; the fixed part alone for bytes <= 0. */
ts_time ts__cost_ns(const ts__cost *c, int64_t bytes);

/* 1 when a sample on that same-node path is serialised (everything but
 * intra-process and loaned messages, as rclcpp does). */
int ts__transport_serialises(int kind, int loaned);

/* ---- per run ---- */

typedef struct ts__transport ts__transport;

/* Resolves each topic's same-node path from the scenario and the plan
 * (placement), and the costs: the built-in ones, or those the scenario
 * replaces. TS_EINVAL, naming the topic's line, for a topic with
 * loaned messages none of whose subscribers is placed on its publisher's
 * node. Free with ts__transport_free, also after a failure. */
int ts__transport_new(const ts__shared *sh, ts__transport **out, ts_error *err);
void ts__transport_free(ts__transport *tr);

/* The latency of a sample of topic between two components on one node. */
ts_time ts__transport_local_ns(const ts__transport *tr, int topic, int64_t bytes);

/* The CPU work of serialising (or deserialising) a sample of `bytes`. */
ts_time ts__transport_codec_ns(const ts__transport *tr, int64_t bytes);

/* CPU work of the publisher of topic for one sample: its serialisation,
 * once whatever the subscribers, when any of them receives it serialised
 * (0 otherwise). */
ts_time ts__transport_publish_ns(const ts__transport *tr, int topic, int64_t bytes);

/* A sample of topic reached subscriber: its deserialisation, when it came
 * serialised, is owed by the subscriber's next job. Allocates nothing. */
void ts__transport_received(ts__transport *tr, int topic, int subscriber, int64_t bytes);

/* The deserialisation work component owes, cleared: its job that becomes
 * current now does it. */
ts_time ts__transport_take(ts__transport *tr, int component);

#endif
