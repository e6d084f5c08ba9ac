/*
 * The network model on the engine: full-duplex point-to-point links with
 * propagation latency, serialisation at the link's bandwidth and a FIFO
 * drop-tail queue per direction; static shortest-latency routes;
 * store-and-forward over multi-hop paths. The model owns its state;
 * results leave through callbacks.
 */
#ifndef TOPOSIM_NETWORK_H
#define TOPOSIM_NETWORK_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "toposim/dist.h"
#include "toposim/error.h"
#include "toposim/sim.h"

/* ---- Routes ---- */

typedef struct ts_net_link_desc {
    int a, b;                 /* node indices */
    int64_t latency_ns;       /* propagation, >= 0 */
    double bandwidth_bps;     /* > 0 */
    int64_t queue_bytes;      /* per direction: waiting + in transmission */
} ts_net_link_desc;

typedef struct ts_routes ts_routes;

/* Computes static routes between every pair of nodes: least total
 * propagation latency, then fewest hops, then lowest link index (a fixed
 * order so runs are reproducible). Caller frees with ts_routes_free. */
int ts_routes_new(size_t n_nodes, const ts_net_link_desc *links,
                  size_t n_links, ts_routes **out, ts_error *err);
void ts_routes_free(ts_routes *routes);

/* The directed hop (link*2 + direction, direction 0 = a->b) leaving `from`
 * on the way to `to`, or -1 when from == to or no path exists. */
int ts_routes_next_hop(const ts_routes *routes, int from, int to);

/* Number of hops from -> to (0 for the same node), or -1 when unreachable. */
int ts_routes_hops(const ts_routes *routes, int from, int to);

/* ---- Network ---- */

/* One message on its way from src to dst node. */
typedef struct ts_packet {
    int32_t topic, publisher, subscriber; /* labels for the trace */
    int32_t status;           /* TS_MSG_* of trace.h when reported */
    uint64_t seq;
    int src, dst;             /* node indices */
    int64_t bytes;
    ts_time sent;             /* set by ts_network_send */
    ts_time received;         /* set on delivery, else -1 */
} ts_packet;

/* Called once per packet: on delivery, on a drop, or from
 * ts_network_flush_in_flight; the packet is only valid during the call. */
typedef void (*ts_packet_done_fn)(void *ctx, const ts_packet *packet);

typedef struct ts_network ts_network;

/* Builds the network over the engine; links are copied, routes borrowed
 * (they must outlive the network). Caller frees with ts_network_free. */
int ts_network_new(ts_engine *engine, const ts_routes *routes,
                   const ts_net_link_desc *links, size_t n_links,
                   ts_packet_done_fn done, void *ctx, ts_network **out,
                   ts_error *err);
void ts_network_free(ts_network *net);

/* Sends a copy of *packet now. Same-node packets are delivered at once;
 * unroutable ones are reported as TS_MSG_NO_ROUTE. Returns TS_ENOMEM only
 * when the packet pool cannot grow. */
int ts_network_send(ts_network *net, const ts_packet *packet);

/* Reports every packet still travelling as TS_MSG_IN_FLIGHT, in the order
 * they were sent, and forgets them. */
void ts_network_flush_in_flight(ts_network *net);

/* Serialisation time of `bytes` at `bandwidth_bps`, rounded up to whole
 * nanoseconds (the last bit must have left). */
int64_t ts_serialisation_ns(int64_t bytes, double bandwidth_bps);

/* Per directed hop counters, for tests and link_state. */
typedef struct ts_link_counters {
    uint64_t sent_packets, dropped_packets;
    uint64_t sent_bytes;
    ts_time busy_ns;          /* total serialisation time */
} ts_link_counters;
void ts_network_counters(const ts_network *net, int directed_hop,
                         ts_link_counters *out);

#endif
