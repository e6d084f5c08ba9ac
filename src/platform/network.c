/*
 * The network model: each directed hop is a FIFO transmitter. A packet that
 * reaches a hop is dropped if the bytes waiting or in transmission plus its
 * own would exceed the hop's queue (drop-tail); otherwise it starts sending
 * when the transmitter is free, takes size/bandwidth to serialise and
 * arrives latency later at the next node, which forwards it the same way
 * (store and forward). FIFO order makes each hop's departure time a running
 * maximum, so one engine event per hop is enough: the backlog is drained
 * lazily from a ring of departure times when the next packet arrives.
 */
#include "toposim/platform.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "toposim/alloc.h"
#include "toposim/trace.h"

typedef struct backlog_entry {
    ts_time tx_end;
    int64_t bytes;
} backlog_entry;

typedef struct hop_state {
    int from, to;
    int64_t latency_ns;
    double bandwidth_bps;
    int64_t queue_bytes;
    ts_time busy_until;
    int64_t backlog_bytes;
    backlog_entry *ring;
    size_t ring_cap, ring_head, ring_count;
    ts_link_counters counters;
} hop_state;

typedef struct packet_slot {
    ts_packet pkt;
    uint64_t order;   /* send order, for the end-of-run flush */
    int at;           /* node the packet is at or heading to */
    int in_use;
    int next_free;
} packet_slot;

struct ts_network {
    ts_engine *engine;
    const ts_routes *routes;
    hop_state *hops;
    size_t n_hops;
    packet_slot *slots;
    size_t n_slots;
    int free_head;
    uint64_t next_order;
    ts_packet_done_fn done;
    void *ctx;
};

int64_t ts_serialisation_ns(int64_t bytes, double bandwidth_bps)
{
    if (bytes <= 0)
        return 0;
    /* Integer arithmetic when the rate is a whole number of bits/s (all
     * that units.h produces for "100Mbps" and the like), so results are
     * exact to the nanosecond; double only past 64-bit range. */
    double rounded = floor(bandwidth_bps);
    if (rounded == bandwidth_bps && bandwidth_bps >= 1.0 && bandwidth_bps < 1.8e19) {
        uint64_t bps = (uint64_t)bandwidth_bps;
        uint64_t bits = (uint64_t)bytes * 8u;
        if ((uint64_t)bytes < UINT64_MAX / 8u && bits < UINT64_MAX / 1000000000u) {
            uint64_t num = bits * 1000000000u;
            return (int64_t)(num / bps + (num % bps != 0));
        }
    }
    return (int64_t)ceil((double)bytes * 8.0 * 1e9 / bandwidth_bps);
}

static int grow_slots(ts_network *net)
{
    size_t old = net->n_slots;
    size_t cap = old ? old * 2 : 256;
    packet_slot *s = ts_realloc(net->slots, cap * sizeof *s);
    if (!s)
        return TS_ENOMEM;
    net->slots = s;
    for (size_t i = old; i < cap; i++) {
        s[i].in_use = 0;
        s[i].next_free = (i + 1 < cap) ? (int)(i + 1) : net->free_head;
    }
    net->free_head = (int)old;
    net->n_slots = cap;
    return TS_OK;
}

static int take_slot(ts_network *net)
{
    if (net->free_head < 0 && grow_slots(net) != TS_OK)
        return -1;
    int i = net->free_head;
    net->free_head = net->slots[i].next_free;
    net->slots[i].in_use = 1;
    return i;
}

static void finish(ts_network *net, int slot, int status)
{
    packet_slot *s = &net->slots[slot];
    s->pkt.status = status;
    if (status != TS_MSG_DELIVERED)
        s->pkt.received = -1;
    net->done(net->ctx, &s->pkt);
    s->in_use = 0;
    s->next_free = net->free_head;
    net->free_head = slot;
}

static int ring_push(hop_state *h, ts_time tx_end, int64_t bytes)
{
    if (h->ring_count == h->ring_cap) {
        size_t cap = h->ring_cap ? h->ring_cap * 2 : 64;
        backlog_entry *r = ts_malloc(cap * sizeof *r);
        if (!r)
            return TS_ENOMEM;
        for (size_t i = 0; i < h->ring_count; i++)
            r[i] = h->ring[(h->ring_head + i) % h->ring_cap];
        ts_free(h->ring);
        h->ring = r;
        h->ring_cap = cap;
        h->ring_head = 0;
    }
    h->ring[(h->ring_head + h->ring_count) % h->ring_cap] =
        (backlog_entry){tx_end, bytes};
    h->ring_count++;
    return TS_OK;
}

static void drain_backlog(hop_state *h, ts_time now)
{
    while (h->ring_count > 0 && h->ring[h->ring_head].tx_end <= now) {
        h->backlog_bytes -= h->ring[h->ring_head].bytes;
        h->ring_head = (h->ring_head + 1) % h->ring_cap;
        h->ring_count--;
    }
}

static void on_arrival(ts_engine *engine, void *ctx, uint64_t arg);

/* Puts the packet in `slot` on the next hop toward its destination. */
static void forward(ts_network *net, int slot)
{
    packet_slot *s = &net->slots[slot];
    ts_time now = ts_engine_now(net->engine);
    if (s->at == s->pkt.dst) {
        s->pkt.received = now;
        finish(net, slot, TS_MSG_DELIVERED);
        return;
    }
    int hop = ts_routes_next_hop(net->routes, s->at, s->pkt.dst);
    if (hop < 0) {
        finish(net, slot, TS_MSG_NO_ROUTE);
        return;
    }
    hop_state *h = &net->hops[hop];
    drain_backlog(h, now);
    if (h->backlog_bytes + s->pkt.bytes > h->queue_bytes) {
        h->counters.dropped_packets++;
        finish(net, slot, TS_MSG_DROPPED_QUEUE);
        return;
    }
    ts_time start = h->busy_until > now ? h->busy_until : now;
    int64_t ser = ts_serialisation_ns(s->pkt.bytes, h->bandwidth_bps);
    ts_time tx_end = start + ser;
    if (ring_push(h, tx_end, s->pkt.bytes) != TS_OK) {
        finish(net, slot, TS_MSG_DROPPED_QUEUE);
        return;
    }
    h->busy_until = tx_end;
    h->backlog_bytes += s->pkt.bytes;
    h->counters.sent_packets++;
    h->counters.sent_bytes += (uint64_t)s->pkt.bytes;
    h->counters.busy_ns += ser;
    s->at = h->to;
    if (ts_engine_schedule(net->engine, tx_end + h->latency_ns, on_arrival, net,
                           (uint64_t)slot, NULL) != TS_OK)
        finish(net, slot, TS_MSG_DROPPED_QUEUE);
}

static void on_arrival(ts_engine *engine, void *ctx, uint64_t arg)
{
    (void)engine;
    forward(ctx, (int)arg);
}

int ts_network_new(ts_engine *engine, const ts_routes *routes,
                   const ts_net_link_desc *links, size_t n_links,
                   ts_packet_done_fn done, void *ctx, ts_network **out,
                   ts_error *err)
{
    *out = NULL;
    ts_network *net = ts_calloc(1, sizeof *net);
    if (!net)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the network");
    net->engine = engine;
    net->routes = routes;
    net->done = done;
    net->ctx = ctx;
    net->free_head = -1;
    net->n_hops = 2 * n_links;
    net->hops = ts_calloc(net->n_hops ? net->n_hops : 1, sizeof *net->hops);
    if (!net->hops || grow_slots(net) != TS_OK) {
        ts_network_free(net);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the network");
    }
    for (size_t l = 0; l < n_links; l++) {
        for (int dir = 0; dir < 2; dir++) {
            hop_state *h = &net->hops[2 * l + (size_t)dir];
            h->from = dir ? links[l].b : links[l].a;
            h->to = dir ? links[l].a : links[l].b;
            h->latency_ns = links[l].latency_ns;
            h->bandwidth_bps = links[l].bandwidth_bps;
            h->queue_bytes = links[l].queue_bytes;
        }
    }
    *out = net;
    return TS_OK;
}

void ts_network_free(ts_network *net)
{
    if (!net)
        return;
    if (net->hops)
        for (size_t i = 0; i < net->n_hops; i++)
            ts_free(net->hops[i].ring);
    ts_free(net->hops);
    ts_free(net->slots);
    ts_free(net);
}

int ts_network_send(ts_network *net, const ts_packet *packet)
{
    int slot = take_slot(net);
    if (slot < 0)
        return TS_ENOMEM;
    packet_slot *s = &net->slots[slot];
    s->pkt = *packet;
    s->pkt.sent = ts_engine_now(net->engine);
    s->pkt.received = -1;
    s->at = packet->src;
    s->order = net->next_order++;
    if (packet->src != packet->dst &&
        ts_routes_next_hop(net->routes, packet->src, packet->dst) < 0) {
        finish(net, slot, TS_MSG_NO_ROUTE);
        return TS_OK;
    }
    forward(net, slot);
    return TS_OK;
}

static int by_order(const void *x, const void *y)
{
    const packet_slot *a = *(packet_slot *const *)x;
    const packet_slot *b = *(packet_slot *const *)y;
    return (a->order > b->order) - (a->order < b->order);
}

void ts_network_flush_in_flight(ts_network *net)
{
    size_t n = 0;
    for (size_t i = 0; i < net->n_slots; i++)
        n += net->slots[i].in_use != 0;
    if (n == 0)
        return;
    packet_slot **list = ts_malloc(n * sizeof *list);
    if (!list) {
        /* Without room to sort, report in slot order rather than lose rows. */
        for (size_t i = 0; i < net->n_slots; i++)
            if (net->slots[i].in_use)
                finish(net, (int)i, TS_MSG_IN_FLIGHT);
        return;
    }
    n = 0;
    for (size_t i = 0; i < net->n_slots; i++)
        if (net->slots[i].in_use)
            list[n++] = &net->slots[i];
    qsort(list, n, sizeof *list, by_order);
    for (size_t i = 0; i < n; i++)
        finish(net, (int)(list[i] - net->slots), TS_MSG_IN_FLIGHT);
    ts_free(list);
}

void ts_network_counters(const ts_network *net, int directed_hop,
                         ts_link_counters *out)
{
    if (directed_hop < 0 || (size_t)directed_hop >= net->n_hops) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = net->hops[directed_hop].counters;
}
