/*
 * The network model on the engine: full-duplex links whose directions are
 * FIFO drop-tail transmitters (bytes and packets), with propagation
 * latency, serialisation at the link's bandwidth, per-packet jitter and
 * loss (Bernoulli or Gilbert-Elliott), MTU fragmentation with per-packet
 * headers, shared media (one transmitter for every link attached to a
 * Wi-Fi access point or a cell), links going down and up, and routes by
 * least latency recomputed whenever that happens; store-and-forward over
 * multi-hop paths. The model owns its state; results leave through
 * callbacks (one per packet, one per platform event).
 *
 * Simplifications, each a choice made for one engine event per hop per
 * message whatever the message size:
 * - A message is the unit of a queue. Over a hop with an MTU it travels as
 *   ceil(bytes / (mtu - header)) fragments, each carrying header bytes: the
 *   message occupies the transmitter for all of its fragments, back to
 *   back, and counts as that many packets against the packet limit; each
 *   fragment is independently subject to the loss model (a Gilbert-Elliott
 *   chain steps once per fragment) and the message is lost if any one is.
 *   Fragments are reassembled at every node and fragmented again with the
 *   next hop's MTU. Without an MTU a message is one packet of bytes +
 *   header.
 * - Jitter is drawn once per message and hop and added to the propagation
 *   delay (after serialisation, so it never holds up the transmitter).
 *   Unless the link allows reordering, a message never arrives before the
 *   one queued ahead of it on the same direction: arrival = max(its own,
 *   the previous arrival).
 * - Loss is decided when the message joins the queue; a lost message still
 *   takes its transmission time and is reported TS_PKT_LOST when it would
 *   have arrived. Loss and jitter draws come, in queue order, from the
 *   direction's own stream, ts_rng_new(seed, "<link name>/ab" or "/ba").
 * - A message's loss and propagation delay (link, medium and extra
 *   latency, jitter) are fixed when it joins a queue: a change of a
 *   medium's latency, of a link's extra latency or of its loss model
 *   applies to messages queued from then on (a medium's latency also
 *   re-weighs the routes at once).
 * - A change of a medium's capacity applies to everything not yet sent:
 *   the message on the air sends the bits it has left (computed exactly
 *   for whole bit/s rates) at the new rate from the change, the ones
 *   queued behind it follow back to back at the new rate, and their
 *   arrivals move with them (each keeping its propagation delay).
 * - A link going down loses everything queued, transmitting or propagating
 *   on it (TS_PKT_LINK_DOWN), and its transmitter stops at once: busy time
 *   keeps only what was sent by then (a message of the link on the air is
 *   cut short, not finished). A private transmitter is then idle; on a
 *   shared medium the lost messages leave the shared queue and the other
 *   links' messages behind them move up, their arrivals re-timed.
 * - Times saturate at TS_TIME_MAX, which means never: a message whose
 *   transmission would end or whose arrival would come past it (gigabytes
 *   over a link of a few bit/s, an enormous latency) never arrives and is
 *   reported TS_PKT_IN_FLIGHT by ts_network_flush_in_flight.
 */
#ifndef TOPOSIM_NETWORK_H
#define TOPOSIM_NETWORK_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "toposim/dist.h"
#include "toposim/error.h"
#include "toposim/event.h"
#include "toposim/sim.h"

/* ---- Loss models ---- */

/* Same values as scenario.h's ts_loss_model. */
typedef enum {
    TS_LOSS_NONE = 0,
    TS_LOSS_BERNOULLI = 1,        /* each packet lost with probability p */
    TS_LOSS_GILBERT_ELLIOTT = 2   /* two-state Markov chain, see below */
} ts_loss_kind;

/* Loss per packet (fragment). Gilbert-Elliott: the chain starts in the
 * good state; each packet is lost with the current state's probability
 * (loss_good or loss_bad), then the chain steps (good->bad with
 * p_good_bad, bad->good with p_bad_good). All probabilities in [0, 1].
 * A zero-initialised desc means no loss. */
typedef struct ts_loss_desc {
    ts_loss_kind model;
    double p;                       /* Bernoulli */
    double p_good_bad, p_bad_good;  /* Gilbert-Elliott transitions */
    double loss_good, loss_bad;     /* Gilbert-Elliott loss per state */
} ts_loss_desc;

/* Fills *out with the simple Gilbert model of the given stationary loss
 * rate and mean burst length (mean run of consecutive losses): loss_good
 * = 0, loss_bad = 1, p_bad_good = 1/burst, p_good_bad = p_bad_good * mean
 * / (1 - mean). TS_EINVAL unless 0 <= mean_loss < 1 and mean_burst >= 1. */
int ts_loss_from_mean_burst(double mean_loss, double mean_burst,
                            ts_loss_desc *out, ts_error *err);

/* The long-run fraction of packets lost (the chain's stationary mix of the
 * two states' loss probabilities; loss_good when it never leaves good). */
double ts_loss_mean(const ts_loss_desc *loss);

/* ---- Links, media and routes ---- */

/* A link between nodes a and b. Zero means "off" for every field after
 * bandwidth_bps, so a zero-initialised desc is a plain exact-latency link
 * (use designated initialisers: fields may be added at the end). */
typedef struct ts_net_link_desc {
    int a, b;                 /* node indices */
    int64_t latency_ns;       /* propagation, >= 0 */
    double bandwidth_bps;     /* > 0 (ignored on a medium) */
    int64_t queue_bytes;      /* per direction: waiting + in transmission;
                                 0: unlimited */
    int64_t queue_packets;    /* per direction, fragments counted; 0: none */
    int64_t mtu_bytes;        /* 0: no fragmentation; else > header_bytes */
    int64_t header_bytes;     /* per packet or fragment, >= 0 */
    ts_dist jitter;           /* extra propagation delay per message, ns;
                                 copied (a histogram's table is rebuilt) */
    int reorder_allowed;      /* 0: messages never overtake on a direction */
    ts_loss_desc loss;        /* per packet, each direction independently */
    int medium;               /* 1-based index into the media; 0: private
                                 transmitters */
    const char *name;         /* names the random streams "<name>/ab" and
                                 "<name>/ba"; NULL: "link<index>" */
} ts_net_link_desc;

/* A shared medium: one FIFO transmitter at capacity_bps carries both
 * directions of every link attached to it, behind one shared queue (each
 * link's own queue limits apply as well, to its own share). */
typedef struct ts_medium_desc {
    double capacity_bps;      /* > 0 */
    int64_t latency_ns;       /* added to every attached link's latency */
    int64_t queue_bytes;      /* shared; 0: unlimited */
    int64_t queue_packets;    /* shared; 0: unlimited */
    const char *name;         /* for messages; NULL: "medium<index>" */
} ts_medium_desc;

typedef struct ts_routes ts_routes;
typedef struct ts_topology ts_topology;

/* Routes between every pair of nodes: least total propagation latency,
 * then fewest hops, then the lowest directed hop leaving the node (a fixed
 * order so runs are reproducible). They are computed on demand, per
 * destination and routing zone (topology.h), when first asked for, and
 * kept until a link of that zone changes. */

/* Route state over a topology (borrowed: it must outlive the routes), all
 * links up; latency_ns[i], when given, replaces link i's latency as its
 * weight. O(nodes + links). Caller frees with ts_routes_free. */
int ts_routes_new_on(const ts_topology *topo, const int64_t *latency_ns,
                     ts_routes **out, ts_error *err);

/* Changes links[0..n-1] at once, one new version for the whole batch: up[i]
 * (NULL: unchanged) says whether links[i] is up, weight[i] (NULL:
 * unchanged) is its new routing latency. *changed (may be NULL) receives
 * the number of ordered node pairs whose next hop differs between before
 * and after the batch. A batch within one zone costs O(that zone) (plus
 * O(batch) per destination), a batch across zones O(nodes); counting adds
 * two Dijkstras per destination of each zone touched (none for a zone
 * where one link that is a bridge goes down or up). TS_EINVAL for a bad
 * link or negative weight, TS_ENOMEM (routes unchanged). */
int ts_routes_set_links(ts_routes *routes, const int *links, size_t n,
                        const unsigned char *up, const int64_t *weight,
                        size_t *changed, ts_error *err);

/* A number that changes whenever ts_routes_set_links changes anything. */
uint64_t ts_routes_version(const ts_routes *routes);

/* The topology the routes are over. */
const ts_topology *ts_routes_topology(const ts_routes *routes);

/* Routes over a topology of its own, without zones. Caller frees with
 * ts_routes_free. */
int ts_routes_new(size_t n_nodes, const ts_net_link_desc *links,
                  size_t n_links, ts_routes **out, ts_error *err);

/* As ts_routes_new over only the links whose up[i] is nonzero (NULL: all);
 * latency_ns[i], when given, replaces links[i].latency_ns as the weight. */
int ts_routes_new_masked(size_t n_nodes, const ts_net_link_desc *links,
                         size_t n_links, const unsigned char *up,
                         const int64_t *latency_ns, ts_routes **out,
                         ts_error *err);
void ts_routes_free(ts_routes *routes);

/* The directed hop (link*2 + direction, direction 0 = a->b) leaving `from`
 * on the way to `to`, or -1 when from == to or no path exists. */
int ts_routes_next_hop(const ts_routes *routes, int from, int to);

/* Number of hops from -> to (0 for the same node), or -1 when unreachable. */
int ts_routes_hops(const ts_routes *routes, int from, int to);

/* Total propagation latency of the route from -> to (0 for the same node),
 * or -1 when unreachable. */
int64_t ts_routes_latency(const ts_routes *routes, int from, int to);

/* Rows are made when first asked for, so a query can run out of memory;
 * it then answers as if unreachable. This says whether any query ever
 * did (sticky), so a caller can tell "no path" from "no memory". */
int ts_routes_out_of_memory(const ts_routes *routes);

/* ---- Network ---- */

/* What became of a packet, as reported to the network's owner. The values
 * are those of the trace's message statuses (TS_PKT_* of trace.h), which
 * the simulator checks at compile time, so the platform need not know the
 * trace. */
enum {
    TS_PKT_DELIVERED = 0,
    TS_PKT_DROPPED_QUEUE = 1,  /* a drop-tail queue was full */
    TS_PKT_NO_ROUTE = 2,
    TS_PKT_IN_FLIGHT = 3,      /* still travelling when the run ended */
    TS_PKT_LOST = 4,           /* lost on a link (its loss model) */
    TS_PKT_LINK_DOWN = 5       /* on a link that went down */
};

/* One message on its way from src to dst node. */
typedef struct ts_packet {
    int32_t topic, publisher, subscriber; /* labels for the trace */
    int32_t status;           /* TS_PKT_* when reported */
    uint64_t seq;
    int src, dst;             /* node indices */
    int64_t bytes;            /* payload, without headers */
    ts_time sent;             /* set by ts_network_send */
    ts_time received;         /* set on delivery, else -1 */
    uint64_t tag;             /* the sender's own data, carried unchanged
                                 (e.g. which runtime message this is) */
    ts_time local_ns;         /* src == dst only: the node's own transport
                                 (shared memory, loopback) takes this long,
                                 >= 0; 0: delivered at once */
} ts_packet;

/* Called once per packet: on delivery, on a drop or loss, or from
 * ts_network_flush_in_flight; the packet is only valid during the call. */
typedef void (*ts_packet_done_fn)(void *ctx, const ts_packet *packet);

typedef struct ts_network ts_network;

typedef struct ts_network_config {
    size_t n_nodes;
    const ts_net_link_desc *links;   /* copied */
    size_t n_links;
    const ts_medium_desc *media;     /* copied */
    size_t n_media;
    uint64_t seed;                   /* scenario seed for the link streams */
    ts_packet_done_fn done;          /* required */
    ts_platform_event_fn event;      /* "link_down", "link_up",
                                        "route_change"; may be NULL */
    void *ctx;                       /* given to done and event */
    const ts_topology *topology;     /* borrowed, must outlive the network
                                        and have n_nodes nodes and the same
                                        links (ends); NULL: the network
                                        builds one without zones */
} ts_network_config;

/* Builds the network and its routes over the engine; everything in *cfg is
 * copied. Routes weigh a link by its latency plus its medium's configured
 * latency. TS_EINVAL names the bad link or medium. Caller frees with
 * ts_network_free. */
int ts_network_new(ts_engine *engine, const ts_network_config *cfg,
                   ts_network **out, ts_error *err);

/* Frees the network and cancels its pending engine events, so the engine
 * (which must still exist) can run on; packets still travelling are
 * forgotten unreported (call ts_network_flush_in_flight first to report
 * them). */
void ts_network_free(ts_network *net);

/* Sends a copy of *packet now. Same-node packets are delivered local_ns
 * later (at once when 0), whatever the node's links; unroutable ones are
 * reported as TS_PKT_NO_ROUTE. Returns TS_ENOMEM only when the packet pool
 * cannot grow (or, for a delayed same-node packet, the engine refuses its
 * event: the packet is then reported TS_PKT_NO_ROUTE and
 * ts_network_out_of_memory says so). */
int ts_network_send(ts_network *net, const ts_packet *packet);

/* Reports every packet still travelling as TS_PKT_IN_FLIGHT, in the order
 * they were sent, and forgets them (their arrivals are cancelled; busy
 * time keeps only what was sent by now). TS_ENOMEM when there was no room
 * to sort them: all are reported all the same, in slot order. */
int ts_network_flush_in_flight(ts_network *net);

/* Serialisation time of `bytes` at `bandwidth_bps`, rounded up to whole
 * nanoseconds (the last bit must have left), exact for whole bit/s rates
 * below about 2.3 GB; TS_TIME_MAX (never) when it would not fit. */
int64_t ts_serialisation_ns(int64_t bytes, double bandwidth_bps);

/* Number of packets and bytes on the wire (headers included) for a message
 * of `bytes` over a hop with this MTU (0: none) and header size. */
void ts_fragments(int64_t bytes, int64_t mtu_bytes, int64_t header_bytes,
                  int64_t *packets, int64_t *wire_bytes);

/* ---- Faults and changes (all take effect now; see the opening comment
 * for what happens to messages already queued). Only link down/up and the
 * route changes they or a medium's latency cause report events; the
 * caller of the others knows why and reports them. ---- */

/* Takes a link (both directions) down or up. Routes are recomputed over
 * the links that are up; then, going down, everything on the link is
 * reported TS_PKT_LINK_DOWN at once (a->b first, each in queue order).
 * The event callback hears "link_down" (value: messages lost) or
 * "link_up", then "route_change" (value: node pairs whose next hop
 * changed) if any route changed. Messages elsewhere take the new routes at
 * their next node, or are reported TS_PKT_NO_ROUTE there. Setting the
 * current state again does nothing. TS_EINVAL for a bad index, TS_ENOMEM
 * if the routes cannot be rebuilt (the old ones stay, minus down links). */
int ts_network_set_link_up(ts_network *net, int link, int up);

/* As ts_network_set_link_up for links[0..n-1] together (a partition):
 * one route recomputation for the batch; each link that changes reports
 * "link_down" or "link_up" in the order given, then one "route_change"
 * (link: the first link given) if any route changed. TS_EINVAL for a bad
 * index (nothing changes). */
int ts_network_set_links_up(ts_network *net, const int *links, size_t n, int up);

/* 1 when the link is up, 0 when down, -1 for a bad index. */
int ts_network_link_up(const ts_network *net, int link);

/* Crashes a node (up 0) or restarts it (up 1): while it is down, each of
 * its links carries nothing, as if down (routes go around the node where
 * another path exists; everything on its links is reported
 * TS_PKT_LINK_DOWN at once and counted as the links' down messages), and
 * the links' own up state is kept for its restart. Reports one
 * "route_change" (node: the node; link: its first link that changed;
 * value: node pairs whose next hop changed) when a route changed or a
 * message was lost. Setting the current state again does nothing.
 * TS_EINVAL for a bad index, TS_ENOMEM if the routes cannot be rebuilt
 * (the links still carry nothing while the node is down). */
int ts_network_set_node_up(ts_network *net, int node, int up);

/* 1 when the node is up, 0 when crashed, -1 for a bad index. */
int ts_network_node_up(const ts_network *net, int node);

/* Replaces the loss model of both directions of a link (NULL restores the
 * configured one); each direction's Gilbert-Elliott chain restarts in the
 * good state. TS_EINVAL for a bad index or probabilities outside [0, 1]. */
int ts_network_set_loss(ts_network *net, int link, const ts_loss_desc *loss);

/* Sets a delay added to both directions' propagation (0 removes it);
 * routes keep using the configured latency. TS_EINVAL if ns < 0;
 * TS_ENOMEM when a direction's state cannot be made (nothing changes
 * there; ts_network_out_of_memory tells). */
int ts_network_set_extra_latency(ts_network *net, int link, int64_t ns);

/* Changes medium m's (0-based) capacity, re-timing what is not yet sent,
 * and latency, for later messages and the routes: a new latency
 * recomputes them and reports "route_change" (value: node pairs whose next
 * hop changed) if any changed. TS_EINVAL for a bad index, capacity <= 0 or
 * latency < 0; TS_ENOMEM if the routes cannot be rebuilt (the change is
 * made; the old routes stay). */
int ts_network_set_medium(ts_network *net, int medium, double capacity_bps,
                          int64_t latency_ns);

/* 1 once the state of a hop could not be made for want of memory (its
 * first message, a loss or an extra latency given to it; its counts of
 * messages dropped, lost or cut off, made at the first one): that message
 * was reported TS_PKT_NO_ROUTE, the change not made or the counts are
 * short, so the run is void. Sticky. */
int ts_network_out_of_memory(const ts_network *net);

/* The routes in force now (they change when links go down or up and when a
 * medium's latency changes); owned by the network, valid until the next
 * such change. */
const ts_routes *ts_network_routes(const ts_network *net);

/* ---- Counters for link_state sampling ---- */

/* Cumulative since the start, per directed hop (link*2 + direction) or per
 * medium. "Packets" are wire packets (fragments), "messages" queue units;
 * bytes are wire bytes, headers included. busy_ns is the transmitter's busy
 * time elapsed up to now, exact to the nanosecond (a message in
 * transmission counts for its part already sent). For a hop on a medium,
 * busy_ns and the queue are that hop's own share of the shared transmitter
 * (the medium's totals come from ts_network_medium_counters); utilisation
 * over a window is the difference of busy_ns over the window's length. */
typedef struct ts_link_counters {
    uint64_t sent_packets;    /* accepted onto the queue */
    uint64_t dropped_packets; /* refused: queue full (drop-tail) */
    uint64_t sent_bytes;
    ts_time busy_ns;
    uint64_t dropped_bytes;
    uint64_t lost_packets;    /* fragments lost by the loss model */
    uint64_t down_packets;    /* lost because the link went down */
    uint64_t down_bytes;
    uint64_t sent_messages, dropped_messages, lost_messages, down_messages;
    int64_t queue_bytes;      /* waiting or in transmission now */
    int64_t queue_packets;
    int up;                   /* 1 when the link is up now */
} ts_link_counters;

/* Fills *out for a directed hop (all zero for a bad index). */
void ts_network_counters(const ts_network *net, int directed_hop,
                         ts_link_counters *out);

/* A directed hop gets its state when it first carries a message, draws at
 * random or takes an extra latency; until then every counter above is
 * zero. ts_network_hop_rank says where a hop's state came in that order
 * (0, 1, ... in order of first use; -1: none yet, or a bad index) and
 * ts_network_hop_ranks how many hops have one, so that a caller keeps its
 * own per-hop data only for the hops that have state (in a fleet most
 * links carry traffic one way only). A rank never changes once given. */
int ts_network_hop_rank(const ts_network *net, int directed_hop);
size_t ts_network_hop_ranks(const ts_network *net);

/* Fills *out with medium m's shared transmitter: the sums over its hops
 * (one pass over all hops), its own busy time and queue (a message lost to
 * a link going down counts for the air time it had used by then); up is 1
 * (all zero for a bad index). */
void ts_network_medium_counters(const ts_network *net, int medium,
                                ts_link_counters *out);

#endif
