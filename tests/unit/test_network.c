/*
 * Network fidelity: message latency equals propagation + size/bandwidth on
 * each hop, plus FIFO queueing behind earlier messages, to the nanosecond;
 * drop-tail drops exactly what does not fit (bytes, packets, a medium's
 * shared queue); routes pick least latency with the documented
 * tie-breaking; counters, fault hooks and configuration checks behave as
 * the header promises. The statistical checks are in test_queueing.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "toposim/alloc.h"
#include "toposim/platform.h"
#include "toposim/topology.h"
#include "toposim/trace.h"

#define MAX_DONE 64

/* A plain link: every newer feature off. */
#define LINK(a_, b_, lat, bw, queue) \
    {.a = (a_), .b = (b_), .latency_ns = (lat), .bandwidth_bps = (bw), .queue_bytes = (queue)}

typedef struct recorder {
    ts_packet done[MAX_DONE * 8];
    int n;
} recorder;

static void record(void *ctx, const ts_packet *p)
{
    recorder *r = ctx;
    assert_true(r->n < MAX_DONE * 8);
    r->done[r->n++] = *p;
}

typedef struct net_fixture {
    ts_engine *engine;
    ts_routes *routes;
    ts_network *net;
    recorder rec;
} net_fixture;

static void build(net_fixture *f, size_t n_nodes, const ts_net_link_desc *links,
                  size_t n_links)
{
    f->engine = ts_engine_new(64);
    assert_non_null(f->engine);
    f->rec.n = 0;
    ts_error err;
    assert_int_equal(ts_routes_new(n_nodes, links, n_links, &f->routes, &err), TS_OK);
    ts_network_config cfg = {.n_nodes = n_nodes, .links = links, .n_links = n_links,
                             .seed = 1, .done = record, .ctx = &f->rec};
    assert_int_equal(ts_network_new(f->engine, &cfg, &f->net, &err), TS_OK);
}

static void teardown_net(net_fixture *f)
{
    ts_network_free(f->net);
    ts_routes_free(f->routes);
    ts_engine_free(f->engine);
}

static void send_at(net_fixture *f, int src, int dst, int64_t bytes, uint64_t seq)
{
    ts_packet p = {.topic = 0, .publisher = 0, .subscriber = 1, .seq = seq,
                   .src = src, .dst = dst, .bytes = bytes};
    assert_int_equal(ts_network_send(f->net, &p), TS_OK);
}

static void test_serialisation_exact(void **state)
{
    (void)state;
    assert_int_equal(ts_serialisation_ns(1500, 100e6), 120000);
    assert_int_equal(ts_serialisation_ns(1, 1e9), 8);
    assert_int_equal(ts_serialisation_ns(921600, 600e6), 12288000);
    /* 1 byte at 3 bit/s: 8/3 s, rounded up to whole nanoseconds. */
    assert_int_equal(ts_serialisation_ns(1, 3.0), 2666666667LL);
    assert_int_equal(ts_serialisation_ns(0, 1e6), 0);
}

static void test_single_hop_latency(void **state)
{
    (void)state;
    net_fixture f;
    ts_net_link_desc links[] = {LINK(0, 1, 2 * TS_MS, 100e6, 64 * 1024)};
    build(&f, 2, links, 1);
    send_at(&f, 0, 1, 1500, 0);
    ts_engine_run(f.engine, TS_S);
    assert_int_equal(f.rec.n, 1);
    assert_int_equal(f.rec.done[0].status, TS_PKT_DELIVERED);
    assert_int_equal(f.rec.done[0].sent, 0);
    /* 2 ms propagation + 1500 B * 8 / 100 Mbit/s = 120 us. */
    assert_int_equal(f.rec.done[0].received, 2 * TS_MS + 120 * TS_US);
    /* The reverse direction is an independent transmitter. */
    send_at(&f, 1, 0, 3000, 1);
    ts_engine_run(f.engine, 2 * TS_S);
    assert_int_equal(f.rec.done[1].received - f.rec.done[1].sent,
                     2 * TS_MS + 240 * TS_US);
    teardown_net(&f);
}

/* Expected delivery of packets sent at time 0 in order over a path of
 * hops, computed hop by hop from first principles: a packet starts
 * transmitting on a hop when it has arrived and the hop is free. */
static void expected_path(const ts_net_link_desc *hops, int n_hops, const int64_t *sizes,
                          int n_packets, int64_t *arrival)
{
    int64_t ready[8] = {0};
    for (int h = 0; h < n_hops; h++) {
        int64_t free_at = 0;
        for (int p = 0; p < n_packets; p++) {
            int64_t start = ready[p] > free_at ? ready[p] : free_at;
            int64_t ser = (sizes[p] * 8 * 1000000000LL + (int64_t)hops[h].bandwidth_bps - 1) /
                          (int64_t)hops[h].bandwidth_bps;
            free_at = start + ser;
            ready[p] = free_at + hops[h].latency_ns;
        }
    }
    for (int p = 0; p < n_packets; p++)
        arrival[p] = ready[p];
}

static void test_multi_hop_store_and_forward(void **state)
{
    (void)state;
    /* robot(0) -> ap(1) -> edge(2) -> wan gw(3) -> cloud(4) */
    ts_net_link_desc links[] = {
        LINK(0, 1, 3 * TS_MS, 600e6, 1 << 20),     /* Wi-Fi */
        LINK(1, 2, 50 * TS_US, 10e9, 1 << 20),     /* 10GbE */
        LINK(2, 3, 10 * TS_US, 1e9, 1 << 20),      /* GbE */
        LINK(3, 4, 20 * TS_MS, 100e6, 1 << 20),    /* WAN */
    };
    net_fixture f;
    build(&f, 5, links, 4);
    send_at(&f, 0, 4, 4096, 0);
    ts_engine_run(f.engine, TS_S);
    assert_int_equal(f.rec.n, 1);
    int64_t want = 0;
    for (int h = 0; h < 4; h++)
        want += links[h].latency_ns + ts_serialisation_ns(4096, links[h].bandwidth_bps);
    /* By hand: 3ms+54614ns (54613.3 rounded up), 50us+3277ns, 10us+32768ns, 20ms+327680ns. */
    assert_int_equal(want, 3 * TS_MS + 54614 + 50 * TS_US + 3277 + 10 * TS_US + 32768 +
                               20 * TS_MS + 327680);
    assert_int_equal(f.rec.done[0].received, want);
    assert_int_equal(ts_routes_hops(f.routes, 0, 4), 4);
    teardown_net(&f);
}

static void test_queueing_back_to_back(void **state)
{
    (void)state;
    ts_net_link_desc links[] = {
        LINK(0, 1, 1 * TS_MS, 100e6, 1 << 20),
        LINK(1, 2, 5 * TS_MS, 10e6, 1 << 20),      /* bottleneck second hop */
    };
    int64_t sizes[] = {1500, 9000, 64, 1500};
    int64_t want[4];
    expected_path(links, 2, sizes, 4, want);
    net_fixture f;
    build(&f, 3, links, 2);
    for (int p = 0; p < 4; p++)
        send_at(&f, 0, 2, sizes[p], (uint64_t)p);
    ts_engine_run(f.engine, TS_S);
    assert_int_equal(f.rec.n, 4);
    for (int p = 0; p < 4; p++) {
        assert_int_equal(f.rec.done[p].seq, p);     /* FIFO: no overtaking */
        assert_int_equal(f.rec.done[p].status, TS_PKT_DELIVERED);
        assert_int_equal(f.rec.done[p].received, want[p]);
    }
    /* Spot-check the queueing by hand: packet 1 (9000 B) waits on hop 2
     * behind packet 0, which leaves hop 2 at 1ms+120us+1.2ms. */
    assert_int_equal(want[0], 1 * TS_MS + 120 * TS_US + 1200 * TS_US + 5 * TS_MS);
    assert_int_equal(want[1], 1 * TS_MS + 120 * TS_US + 1200 * TS_US + 7200 * TS_US + 5 * TS_MS);
    teardown_net(&f);
}

static void test_drop_tail(void **state)
{
    (void)state;
    /* Room for two 1500 B packets: the third is dropped, the fourth,
     * sent after the first has left, fits again. */
    ts_net_link_desc links[] = {LINK(0, 1, 0, 100e6, 3000)};
    net_fixture f;
    build(&f, 2, links, 1);
    send_at(&f, 0, 1, 1500, 0);
    send_at(&f, 0, 1, 1500, 1);
    send_at(&f, 0, 1, 1500, 2);
    assert_int_equal(f.rec.n, 1);
    assert_int_equal(f.rec.done[0].seq, 2);
    assert_int_equal(f.rec.done[0].status, TS_PKT_DROPPED_QUEUE);
    assert_int_equal(f.rec.done[0].received, -1);
    ts_engine_run(f.engine, 120 * TS_US);  /* packet 0 has left the queue */
    send_at(&f, 0, 1, 1500, 3);
    ts_engine_run(f.engine, TS_S);
    assert_int_equal(f.rec.n, 4);
    assert_int_equal(f.rec.done[3].seq, 3);
    assert_int_equal(f.rec.done[3].status, TS_PKT_DELIVERED);
    assert_int_equal(f.rec.done[3].received, 360 * TS_US);
    ts_link_counters c;
    ts_network_counters(f.net, 0, &c);
    assert_int_equal(c.sent_packets, 3);
    assert_int_equal(c.dropped_packets, 1);
    assert_int_equal(c.busy_ns, 360 * TS_US);
    teardown_net(&f);
}

static void test_routes_prefer_latency_and_report_no_route(void **state)
{
    (void)state;
    /* 0-1-2 direct via slow hop vs 0-3-4-2 with less latency; node 5 is
     * cut off. */
    ts_net_link_desc links[] = {
        LINK(0, 1, 10 * TS_MS, 1e9, 1 << 16),
        LINK(1, 2, 10 * TS_MS, 1e9, 1 << 16),
        LINK(0, 3, 1 * TS_MS, 1e9, 1 << 16),
        LINK(3, 4, 1 * TS_MS, 1e9, 1 << 16),
        LINK(4, 2, 1 * TS_MS, 1e9, 1 << 16),
    };
    net_fixture f;
    build(&f, 6, links, 5);
    assert_int_equal(ts_routes_hops(f.routes, 0, 2), 3);
    assert_int_equal(ts_routes_next_hop(f.routes, 0, 2), 2 * 2);     /* link 2, a->b */
    assert_int_equal(ts_routes_next_hop(f.routes, 2, 0), 2 * 4 + 1); /* link 4, b->a */
    assert_int_equal(ts_routes_hops(f.routes, 0, 5), -1);
    assert_int_equal(ts_routes_hops(f.routes, 3, 3), 0);
    send_at(&f, 0, 5, 100, 0);
    assert_int_equal(f.rec.n, 1);
    assert_int_equal(f.rec.done[0].status, TS_PKT_NO_ROUTE);
    send_at(&f, 2, 2, 100, 1);  /* same node: delivered at once */
    assert_int_equal(f.rec.n, 2);
    assert_int_equal(f.rec.done[1].status, TS_PKT_DELIVERED);
    assert_int_equal(f.rec.done[1].received, 0);
    teardown_net(&f);
}

static void test_flush_in_flight_in_send_order(void **state)
{
    (void)state;
    ts_net_link_desc links[] = {LINK(0, 1, 10 * TS_MS, 1e9, 1 << 16)};
    net_fixture f;
    build(&f, 2, links, 1);
    for (int i = 0; i < 5; i++)
        send_at(&f, 0, 1, 100, (uint64_t)i);
    ts_engine_run(f.engine, 5 * TS_MS);
    assert_int_equal(f.rec.n, 0);
    ts_network_flush_in_flight(f.net);
    assert_int_equal(f.rec.n, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(f.rec.done[i].seq, i);
        assert_int_equal(f.rec.done[i].status, TS_PKT_IN_FLIGHT);
    }
    /* Their arrivals were cancelled: nothing more is reported, and the
     * network keeps working. */
    ts_engine_run(f.engine, TS_S);
    assert_int_equal(f.rec.n, 5);
    /* The link had sent all five (800 ns each) long before the flush. */
    ts_link_counters c;
    ts_network_counters(f.net, 0, &c);
    assert_int_equal(c.queue_bytes, 0);
    assert_int_equal(c.busy_ns, 4000);
    send_at(&f, 0, 1, 100, 9);
    ts_network_flush_in_flight(f.net);         /* before a bit has left */
    ts_network_counters(f.net, 0, &c);
    assert_int_equal(c.busy_ns, 4000);
    assert_int_equal(f.rec.n, 6);
    assert_int_equal(f.rec.done[5].status, TS_PKT_IN_FLIGHT);
    send_at(&f, 0, 1, 100, 9);
    ts_engine_run(f.engine, TS_S + 300);
    ts_network_flush_in_flight(f.net);         /* 300 of its 800 ns sent */
    ts_network_counters(f.net, 0, &c);
    assert_int_equal(c.busy_ns, 4300);
    send_at(&f, 0, 1, 100, 10);
    ts_engine_run(f.engine, 2 * TS_S);
    assert_int_equal(f.rec.n, 8);
    assert_int_equal(f.rec.done[7].status, TS_PKT_DELIVERED);
    assert_int_equal(f.rec.done[7].received - f.rec.done[7].sent, 10 * TS_MS + 800);
    teardown_net(&f);
}

/* A same-node packet with a transport latency arrives exactly that much
 * later, on no link (the node's links carry nothing, even when down);
 * one still waiting is flushed as in flight in send order and its
 * delivery cancelled; ts_network_free cancels one too. */
static void test_same_node_transport_latency(void **state)
{
    (void)state;
    ts_net_link_desc links[] = {LINK(0, 1, 10 * TS_MS, 1e9, 1 << 16)};
    net_fixture f;
    build(&f, 2, links, 1);
    assert_int_equal(ts_network_set_link_up(f.net, 0, 0), TS_OK);
    ts_packet p = {.seq = 1, .src = 0, .dst = 0, .bytes = 512, .local_ns = 8090};
    assert_int_equal(ts_network_send(f.net, &p), TS_OK);
    assert_int_equal(f.rec.n, 0);
    ts_engine_run(f.engine, 8089);
    assert_int_equal(f.rec.n, 0);
    ts_engine_run(f.engine, 8090);
    assert_int_equal(f.rec.n, 1);
    assert_int_equal(f.rec.done[0].status, TS_PKT_DELIVERED);
    assert_int_equal(f.rec.done[0].sent, 0);
    assert_int_equal(f.rec.done[0].received, 8090);
    ts_link_counters c;
    ts_network_counters(f.net, 0, &c);
    assert_int_equal(c.sent_messages, 0);
    /* between nodes local_ns means nothing: the link (back up) decides */
    assert_int_equal(ts_network_set_link_up(f.net, 0, 1), TS_OK);
    p = (ts_packet){.seq = 2, .src = 0, .dst = 1, .bytes = 125, .local_ns = 5};
    assert_int_equal(ts_network_send(f.net, &p), TS_OK);
    /* two same-node packets waiting at the end: flushed in send order */
    p = (ts_packet){.seq = 3, .src = 1, .dst = 1, .bytes = 1, .local_ns = TS_MS};
    assert_int_equal(ts_network_send(f.net, &p), TS_OK);
    p = (ts_packet){.seq = 4, .src = 0, .dst = 0, .bytes = 1, .local_ns = 445};
    assert_int_equal(ts_network_send(f.net, &p), TS_OK);
    ts_engine_run(f.engine, 8090 + 445);
    assert_int_equal(f.rec.n, 2);
    assert_int_equal(f.rec.done[1].seq, 4);
    assert_int_equal(f.rec.done[1].received, 8090 + 445);
    assert_int_equal(ts_network_flush_in_flight(f.net), TS_OK);
    assert_int_equal(f.rec.n, 4);
    assert_int_equal(f.rec.done[2].seq, 2);
    assert_int_equal(f.rec.done[3].seq, 3);
    assert_int_equal(f.rec.done[3].status, TS_PKT_IN_FLIGHT);
    assert_int_equal(ts_engine_pending(f.engine), 0);
    p = (ts_packet){.seq = 5, .src = 0, .dst = 0, .bytes = 1, .local_ns = 445};
    assert_int_equal(ts_network_send(f.net, &p), TS_OK);
    assert_int_equal(ts_engine_pending(f.engine), 1);
    ts_network_free(f.net);
    assert_int_equal(ts_engine_pending(f.engine), 0);
    f.net = NULL;
    teardown_net(&f);
}

static void build_cfg(net_fixture *f, ts_network_config *cfg)
{
    f->engine = ts_engine_new(64);
    assert_non_null(f->engine);
    f->rec.n = 0;
    f->routes = NULL;
    cfg->done = record;
    cfg->ctx = &f->rec;
    ts_error err;
    assert_int_equal(ts_network_new(f->engine, cfg, &f->net, &err), TS_OK);
}

static void test_fragments_and_packet_limit(void **state)
{
    (void)state;
    int64_t n, wire;
    ts_fragments(0, 1500, 40, &n, &wire);
    assert_int_equal(n, 1);
    assert_int_equal(wire, 40);
    ts_fragments(1460, 1500, 40, &n, &wire);
    assert_int_equal(n, 1);
    assert_int_equal(wire, 1500);
    ts_fragments(1461, 1500, 40, &n, &wire);
    assert_int_equal(n, 2);
    assert_int_equal(wire, 1541);
    ts_fragments(5000, 0, 28, &n, &wire);      /* no MTU: one packet */
    assert_int_equal(n, 1);
    assert_int_equal(wire, 5028);
    /* Five packets of queue: a 3-fragment message fits, a second does not
     * (6 > 5), a 2-fragment one does (5). */
    ts_net_link_desc link = {.a = 0, .b = 1, .latency_ns = TS_MS, .bandwidth_bps = 1e8,
                             .queue_packets = 5, .mtu_bytes = 1500, .header_bytes = 40};
    ts_network_config cfg = {.n_nodes = 2, .links = &link, .n_links = 1};
    net_fixture f;
    build_cfg(&f, &cfg);
    send_at(&f, 0, 1, 4000, 0);
    send_at(&f, 0, 1, 4000, 1);
    send_at(&f, 0, 1, 2000, 2);
    assert_int_equal(f.rec.n, 1);
    assert_int_equal(f.rec.done[0].seq, 1);
    assert_int_equal(f.rec.done[0].status, TS_PKT_DROPPED_QUEUE);
    ts_link_counters c;
    ts_network_counters(f.net, 0, &c);
    assert_int_equal(c.queue_packets, 5);
    assert_int_equal(c.queue_bytes, 4120 + 2080);
    assert_int_equal(c.dropped_packets, 3);
    assert_int_equal(c.dropped_messages, 1);
    assert_int_equal(c.dropped_bytes, 4120);
    ts_engine_run(f.engine, TS_S);
    assert_int_equal(f.rec.n, 3);
    /* 4120 B = 329.6 us, then 2080 B = 166.4 us behind it. */
    assert_int_equal(f.rec.done[2].received, 329600 + 166400 + TS_MS);
    teardown_net(&f);
}

static void test_counters_exact_busy_time(void **state)
{
    (void)state;
    ts_net_link_desc links[] = {LINK(0, 1, 5 * TS_MS, 1e8, 0)};   /* no byte limit */
    net_fixture f;
    build(&f, 2, links, 1);
    send_at(&f, 0, 1, 12500, 0);        /* 1 ms on the wire */
    send_at(&f, 0, 1, 25000, 1);        /* 2 ms, behind it */
    ts_link_counters c;
    ts_network_counters(f.net, 0, &c);
    assert_int_equal(c.busy_ns, 0);
    assert_int_equal(c.queue_bytes, 37500);
    assert_int_equal(c.queue_packets, 2);
    ts_engine_run(f.engine, 1500 * TS_US);
    ts_network_counters(f.net, 0, &c);
    assert_int_equal(c.busy_ns, 1500 * TS_US);
    assert_int_equal(c.queue_bytes, 25000);
    assert_int_equal(c.queue_packets, 1);
    assert_int_equal(c.up, 1);
    ts_engine_run(f.engine, 10 * TS_MS);
    ts_network_counters(f.net, 0, &c);
    assert_int_equal(c.busy_ns, 3 * TS_MS);
    assert_int_equal(c.queue_bytes, 0);
    assert_int_equal(c.sent_bytes, 37500);
    /* Idle then busy again: the earlier busy time is kept. */
    ts_engine_run(f.engine, 20 * TS_MS);
    send_at(&f, 0, 1, 12500, 2);
    ts_engine_run(f.engine, 20 * TS_MS + 250 * TS_US);
    ts_network_counters(f.net, 0, &c);
    assert_int_equal(c.busy_ns, 3 * TS_MS + 250 * TS_US);
    ts_network_counters(f.net, 1, &c);          /* the idle reverse direction */
    assert_int_equal(c.busy_ns, 0);
    assert_int_equal(c.sent_packets, 0);
    ts_network_counters(f.net, 7, &c);          /* no such hop */
    assert_int_equal(c.sent_packets, 0);
    assert_int_equal(c.up, 0);
    teardown_net(&f);
}

static void test_medium_shared_queue(void **state)
{
    (void)state;
    /* A 3000 B shared queue: robot 0's 2000 B fits, robot 1's 1500 B does
     * not (3500 > 3000) though its own link's queue is empty. */
    ts_medium_desc air = {.capacity_bps = 1e8, .queue_bytes = 3000};
    ts_net_link_desc links[] = {
        {.a = 0, .b = 2, .latency_ns = 10 * TS_US, .medium = 1},
        {.a = 1, .b = 2, .latency_ns = 10 * TS_US, .medium = 1},
    };
    ts_network_config cfg = {.n_nodes = 3, .links = links, .n_links = 2, .media = &air,
                             .n_media = 1};
    net_fixture f;
    build_cfg(&f, &cfg);
    send_at(&f, 0, 2, 2000, 0);
    send_at(&f, 1, 2, 1500, 1);
    assert_int_equal(f.rec.n, 1);
    assert_int_equal(f.rec.done[0].seq, 1);
    assert_int_equal(f.rec.done[0].status, TS_PKT_DROPPED_QUEUE);
    ts_engine_run(f.engine, 160 * TS_US);      /* 2000 B left at 160 us */
    send_at(&f, 1, 2, 1500, 2);
    ts_engine_run(f.engine, TS_S);
    assert_int_equal(f.rec.n, 3);
    assert_int_equal(f.rec.done[1].received, 170 * TS_US);
    assert_int_equal(f.rec.done[2].received, 160 * TS_US + 120 * TS_US + 10 * TS_US);
    ts_link_counters m;
    ts_network_medium_counters(f.net, 0, &m);
    assert_int_equal(m.sent_messages, 2);
    assert_int_equal(m.dropped_messages, 1);
    assert_int_equal(m.busy_ns, 280 * TS_US);
    ts_network_medium_counters(f.net, 1, &m);
    assert_int_equal(m.sent_messages, 0);
    teardown_net(&f);
}

static void test_fault_hooks(void **state)
{
    (void)state;
    ts_net_link_desc links[] = {LINK(0, 1, TS_MS, 1e9, 0)};
    net_fixture f;
    build(&f, 2, links, 1);
    /* Certain loss: reported when the message would have arrived, after
     * using the link. */
    ts_loss_desc all = {.model = TS_LOSS_BERNOULLI, .p = 1};
    assert_int_equal(ts_network_set_loss(f.net, 0, &all), TS_OK);
    send_at(&f, 0, 1, 125, 0);
    send_at(&f, 1, 0, 125, 1);                  /* both directions */
    ts_engine_run(f.engine, 10 * TS_MS);
    assert_int_equal(f.rec.n, 2);
    assert_int_equal(f.rec.done[0].status, TS_PKT_LOST);
    assert_int_equal(f.rec.done[1].status, TS_PKT_LOST);
    ts_link_counters c;
    ts_network_counters(f.net, 0, &c);
    assert_int_equal(c.lost_messages, 1);
    assert_int_equal(c.lost_packets, 1);
    assert_int_equal(c.busy_ns, 1000);
    /* Restored (the configured model: none) and 3 ms extra latency. */
    assert_int_equal(ts_network_set_loss(f.net, 0, NULL), TS_OK);
    assert_int_equal(ts_network_set_extra_latency(f.net, 0, 3 * TS_MS), TS_OK);
    send_at(&f, 0, 1, 125, 2);
    ts_engine_run(f.engine, 20 * TS_MS);
    assert_int_equal(f.rec.n, 3);
    assert_int_equal(f.rec.done[2].status, TS_PKT_DELIVERED);
    assert_int_equal(f.rec.done[2].received - f.rec.done[2].sent, 4 * TS_MS + 1000);
    assert_int_equal(ts_network_set_extra_latency(f.net, 0, 0), TS_OK);
    send_at(&f, 0, 1, 125, 3);
    ts_engine_run(f.engine, 30 * TS_MS);
    assert_int_equal(f.rec.done[3].received - f.rec.done[3].sent, TS_MS + 1000);
    ts_loss_desc bad = {.model = TS_LOSS_GILBERT_ELLIOTT, .p_good_bad = 1.5};
    assert_int_equal(ts_network_set_loss(f.net, 0, &bad), TS_EINVAL);
    assert_int_equal(ts_network_set_loss(f.net, 1, &all), TS_EINVAL);
    assert_int_equal(ts_network_set_extra_latency(f.net, 0, -1), TS_EINVAL);
    assert_int_equal(ts_network_link_up(f.net, 0), 1);
    assert_int_equal(ts_network_link_up(f.net, 1), -1);
    teardown_net(&f);
}

/* A crashed node's links carry nothing: what is on them is lost as on a
 * link going down, routes go around the node, and with no other path a
 * message is a no-route drop; its links' own state survives the crash. */
static void test_node_down_is_its_links_down(void **state)
{
    (void)state;
    /* 0 - 1 - 2 through node 1 (2 ms), or 0 - 3 - 2 (20 ms). */
    ts_net_link_desc links[] = {
        LINK(0, 1, 1 * TS_MS, 1e9, 1 << 16),
        LINK(1, 2, 1 * TS_MS, 1e9, 1 << 16),
        LINK(0, 3, 10 * TS_MS, 1e9, 1 << 16),
        LINK(3, 2, 10 * TS_MS, 1e9, 1 << 16),
    };
    net_fixture f;
    build(&f, 4, links, 4);
    const ts_routes *r = ts_network_routes(f.net);
    assert_int_equal(ts_routes_next_hop(r, 0, 2), 0);      /* link 0, a->b */
    send_at(&f, 0, 2, 125, 0);
    ts_engine_run(f.engine, 500 * TS_US);                  /* on link 0 */
    assert_int_equal(ts_network_set_node_up(f.net, 1, 0), TS_OK);
    assert_int_equal(ts_network_node_up(f.net, 1), 0);
    assert_int_equal(f.rec.n, 1);
    assert_int_equal(f.rec.done[0].status, TS_PKT_LINK_DOWN);
    ts_link_counters c;
    ts_network_counters(f.net, 0, &c);
    assert_int_equal(c.down_messages, 1);
    assert_int_equal(ts_network_link_up(f.net, 0), 1);     /* its own state */
    assert_int_equal(ts_routes_next_hop(r, 0, 2), 2 * 2);  /* around node 1 */

    send_at(&f, 0, 2, 125, 1);
    ts_engine_run(f.engine, 50 * TS_MS);
    assert_int_equal(f.rec.n, 2);
    assert_int_equal(f.rec.done[1].status, TS_PKT_DELIVERED);
    assert_true(f.rec.done[1].received - f.rec.done[1].sent >= 20 * TS_MS);

    /* A link of the crashed node going down and up stays out of use. */
    assert_int_equal(ts_network_set_link_up(f.net, 0, 0), TS_OK);
    assert_int_equal(ts_network_set_link_up(f.net, 0, 1), TS_OK);
    assert_int_equal(ts_routes_next_hop(r, 0, 2), 2 * 2);
    /* No other path: a no-route drop at the source. */
    assert_int_equal(ts_network_set_link_up(f.net, 2, 0), TS_OK);
    send_at(&f, 0, 2, 125, 2);
    assert_int_equal(f.rec.n, 3);
    assert_int_equal(f.rec.done[2].status, TS_PKT_NO_ROUTE);
    send_at(&f, 0, 1, 125, 3);                             /* to it, too */
    assert_int_equal(f.rec.done[3].status, TS_PKT_NO_ROUTE);

    /* Restarted: its links carry traffic again. */
    assert_int_equal(ts_network_set_node_up(f.net, 1, 1), TS_OK);
    assert_int_equal(ts_network_set_node_up(f.net, 1, 1), TS_OK);  /* no change */
    assert_int_equal(ts_routes_next_hop(r, 0, 2), 0);
    send_at(&f, 0, 2, 125, 4);
    ts_engine_run(f.engine, 100 * TS_MS);
    assert_int_equal(f.rec.n, 5);
    assert_int_equal(f.rec.done[4].status, TS_PKT_DELIVERED);
    assert_true(f.rec.done[4].received - f.rec.done[4].sent < 3 * TS_MS);

    /* A link down before the crash stays down after the restart. */
    assert_int_equal(ts_network_set_link_up(f.net, 1, 0), TS_OK);
    assert_int_equal(ts_network_set_node_up(f.net, 1, 0), TS_OK);
    assert_int_equal(ts_network_set_node_up(f.net, 1, 1), TS_OK);
    assert_int_equal(ts_network_link_up(f.net, 1), 0);
    send_at(&f, 1, 2, 125, 5);
    assert_int_equal(f.rec.done[5].status, TS_PKT_NO_ROUTE);

    assert_int_equal(ts_network_set_node_up(f.net, 4, 0), TS_EINVAL);
    assert_int_equal(ts_network_set_node_up(f.net, -1, 0), TS_EINVAL);
    assert_int_equal(ts_network_node_up(f.net, 4), -1);
    teardown_net(&f);
}

static void test_loss_helpers(void **state)
{
    (void)state;
    ts_loss_desc l;
    ts_error err;
    assert_int_equal(ts_loss_from_mean_burst(0.02, 5, &l, &err), TS_OK);
    assert_int_equal(l.model, TS_LOSS_GILBERT_ELLIOTT);
    assert_true(l.loss_good == 0 && l.loss_bad == 1);
    assert_true(fabs(l.p_bad_good - 0.2) < 1e-15);
    assert_true(fabs(l.p_good_bad - 0.2 * 0.02 / 0.98) < 1e-15);
    assert_true(fabs(ts_loss_mean(&l) - 0.02) < 1e-15);
    assert_int_equal(ts_loss_from_mean_burst(1.0, 5, &l, &err), TS_EINVAL);
    assert_int_equal(ts_loss_from_mean_burst(0.1, 0.5, &l, &err), TS_EINVAL);
    assert_int_equal(ts_loss_from_mean_burst(-0.1, 2, &l, &err), TS_EINVAL);
    ts_loss_desc none = {0}, b = {.model = TS_LOSS_BERNOULLI, .p = 0.3};
    ts_loss_desc stuck = {.model = TS_LOSS_GILBERT_ELLIOTT, .loss_good = 0.05, .loss_bad = 1};
    assert_true(ts_loss_mean(&none) == 0);
    assert_true(ts_loss_mean(&b) == 0.3);
    assert_true(ts_loss_mean(&stuck) == 0.05);
}

static void test_config_errors(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    recorder rec = {0};
    ts_medium_desc air = {.capacity_bps = 1e8};
    ts_net_link_desc good = {.a = 0, .b = 1, .latency_ns = 1, .bandwidth_bps = 1e6,
                             .name = "l"};
    ts_net_link_desc bad[8];
    for (int i = 0; i < 8; i++)
        bad[i] = good;
    bad[0].b = 2;                                    /* node out of range */
    bad[1].mtu_bytes = 40, bad[1].header_bytes = 40; /* no room for payload */
    bad[2].loss = (ts_loss_desc){.model = TS_LOSS_BERNOULLI, .p = 1.01};
    bad[3].medium = 2;                               /* one medium only */
    bad[4].bandwidth_bps = 0;                        /* needs a medium then */
    bad[5].jitter = (ts_dist){.kind = TS_DIST_UNIFORM, .a = 2, .b = 1};
    bad[6].latency_ns = -1;
    bad[7].queue_packets = -3;
    for (int i = 0; i < 8; i++) {
        ts_network_config cfg = {.n_nodes = 2, .links = &bad[i], .n_links = 1, .media = &air,
                                 .n_media = 1, .done = record, .ctx = &rec};
        ts_network *net = (ts_network *)&rec;   /* must be reset to NULL */
        ts_error err = {0};
        assert_int_equal(ts_network_new(e, &cfg, &net, &err), TS_EINVAL);
        assert_null(net);
        assert_non_null(strstr(err.msg, "link l"));
    }
    ts_medium_desc no_cap = {.capacity_bps = 0, .name = "ap"};
    ts_network_config cfg = {.n_nodes = 2, .links = &good, .n_links = 1, .media = &no_cap,
                             .n_media = 1, .done = record, .ctx = &rec};
    ts_network *net = NULL;
    ts_error err;
    assert_int_equal(ts_network_new(e, &cfg, &net, &err), TS_EINVAL);
    cfg.n_media = 0;
    cfg.done = NULL;
    assert_int_equal(ts_network_new(e, &cfg, &net, &err), TS_EINVAL);
    /* A zero-initialised link but for its ends and rate is valid. */
    cfg.done = record;
    bad[0] = (ts_net_link_desc){.a = 1, .b = 0, .bandwidth_bps = 1};
    cfg.links = bad;
    assert_int_equal(ts_network_new(e, &cfg, &net, &err), TS_OK);
    ts_network_free(net);
    ts_engine_free(e);
}

/* The routes of the foundation, kept as the reference: an O(n^2)
 * selection Dijkstra over the same key (latency, hops, first hop). */
static void reference_routes(size_t n, const ts_net_link_desc *links, size_t n_links,
                             const unsigned char *up, int *next, int64_t *lat)
{
    for (size_t dst = 0; dst < n; dst++) {
        int64_t bl[32];
        int bh[32], bhop[32];
        char done[32] = {0};
        for (size_t v = 0; v < n; v++) {
            bl[v] = INT64_MAX;
            bh[v] = 0;
            bhop[v] = -1;
        }
        bl[dst] = 0;
        for (;;) {
            int u = -1;
            for (size_t v = 0; v < n; v++) {
                if (done[v] || bl[v] == INT64_MAX)
                    continue;
                if (u < 0 || bl[v] < bl[u] || (bl[v] == bl[u] && bh[v] < bh[u]) ||
                    (bl[v] == bl[u] && bh[v] == bh[u] && bhop[v] < bhop[u]))
                    u = (int)v;
            }
            if (u < 0)
                break;
            done[u] = 1;
            for (size_t l = 0; l < n_links; l++) {
                if (!up[l])
                    continue;
                int v, hop;
                if (links[l].b == u) {
                    v = links[l].a;
                    hop = (int)(2 * l);
                } else if (links[l].a == u) {
                    v = links[l].b;
                    hop = (int)(2 * l + 1);
                } else {
                    continue;
                }
                if (done[v])
                    continue;
                int64_t cl = bl[u] + links[l].latency_ns;
                int ch = bh[u] + 1;
                if (cl < bl[v] || (cl == bl[v] && ch < bh[v]) ||
                    (cl == bl[v] && ch == bh[v] && hop < bhop[v])) {
                    bl[v] = cl;
                    bh[v] = ch;
                    bhop[v] = hop;
                }
            }
        }
        for (size_t v = 0; v < n; v++) {
            next[v * n + dst] = bl[v] == INT64_MAX ? -1 : bhop[v];
            lat[v * n + dst] = bl[v] == INT64_MAX ? -1 : bl[v];
        }
    }
}

static void test_routes_match_reference(void **state)
{
    (void)state;
    /* Random graphs with latencies from {1, 2, 3} (many ties), parallel
     * links and some links down: the heap Dijkstra must agree with the
     * reference on every next hop and latency. */
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    for (int trial = 0; trial < 200; trial++) {
        size_t n = 2 + gsl_rng_uniform_int(rng, 20);
        size_t n_links = gsl_rng_uniform_int(rng, 3 * n);
        ts_net_link_desc links[64];
        unsigned char up[64];
        for (size_t l = 0; l < n_links; l++) {
            links[l] = (ts_net_link_desc){
                .a = (int)gsl_rng_uniform_int(rng, n), .b = (int)gsl_rng_uniform_int(rng, n),
                .latency_ns = 1 + (int64_t)gsl_rng_uniform_int(rng, 3), .bandwidth_bps = 1e9};
            up[l] = gsl_rng_uniform(rng) < 0.85;
        }
        int next[32 * 32];
        int64_t lat[32 * 32];
        reference_routes(n, links, n_links, up, next, lat);
        ts_routes *r;
        ts_error err;
        assert_int_equal(ts_routes_new_masked(n, links, n_links, up, NULL, &r, &err), TS_OK);
        for (size_t a = 0; a < n; a++)
            for (size_t b = 0; b < n; b++) {
                assert_int_equal(ts_routes_next_hop(r, (int)a, (int)b), next[a * n + b]);
                assert_int_equal(ts_routes_latency(r, (int)a, (int)b), lat[a * n + b]);
                /* Following next hops really covers that latency. */
                int64_t sum = 0;
                int at = (int)a, steps = 0;
                while (at != (int)b && next[(size_t)at * n + b] >= 0 && steps++ < 64) {
                    int hop = next[(size_t)at * n + b];
                    sum += links[hop / 2].latency_ns;
                    at = hop % 2 ? links[hop / 2].a : links[hop / 2].b;
                }
                if (lat[a * n + b] >= 0) {
                    assert_int_equal(at, (int)b);
                    assert_int_equal(sum, lat[a * n + b]);
                    assert_int_equal(ts_routes_hops(r, (int)a, (int)b), steps);
                }
            }
        ts_routes_free(r);
    }
    gsl_rng_free(rng);
}

/* ---- Streams are per link: another link's traffic changes nothing ---- */

typedef struct times_rec {
    ts_time t[256];
    int n;
} times_rec;

static void record_times(void *ctx, const ts_packet *p)
{
    times_rec *r = ctx;
    if (p->src == 0 && r->n < 256)
        r->t[r->n++] = p->received;
}

static void run_streams(int with_other, times_rec *out)
{
    ts_engine *e = ts_engine_new(64);
    ts_net_link_desc links[2] = {
        {.a = 0, .b = 1, .latency_ns = TS_MS, .bandwidth_bps = 1e9, .reorder_allowed = 1,
         .jitter = {.kind = TS_DIST_EXPONENTIAL, .a = 1e5}, .name = "w"},
        {.a = 2, .b = 3, .latency_ns = TS_MS, .bandwidth_bps = 1e9,
         .jitter = {.kind = TS_DIST_UNIFORM, .a = 0, .b = 1e6},
         .loss = {.model = TS_LOSS_BERNOULLI, .p = 0.5}, .name = "z"},
    };
    ts_network_config cfg = {.n_nodes = 4, .links = links, .n_links = with_other ? 2 : 1,
                             .seed = 99, .done = record_times, .ctx = out};
    ts_network *net;
    ts_error err;
    assert_int_equal(ts_network_new(e, &cfg, &net, &err), TS_OK);
    out->n = 0;
    for (int i = 0; i < 200; i++) {
        ts_packet p = {.seq = (uint64_t)i, .src = 0, .dst = 1, .bytes = 100};
        assert_int_equal(ts_network_send(net, &p), TS_OK);
        if (with_other) {
            ts_packet q = {.seq = (uint64_t)i, .src = 2, .dst = 3, .bytes = 100};
            assert_int_equal(ts_network_send(net, &q), TS_OK);
        }
        ts_engine_run(e, (i + 1) * 50 * TS_US);
    }
    ts_engine_run(e, TS_S);
    ts_network_free(net);
    ts_engine_free(e);
}

static void test_streams_per_link(void **state)
{
    (void)state;
    times_rec *a = calloc(2, sizeof *a);
    assert_non_null(a);
    run_streams(0, &a[0]);
    run_streams(1, &a[1]);
    assert_int_equal(a[0].n, 200);
    assert_int_equal(a[1].n, 200);
    assert_memory_equal(a[0].t, a[1].t, sizeof a[0].t);
    free(a);
}

/* ---- A done callback that sends while the network reports losses ---- */

typedef struct resender {
    ts_network *net;
    int lost, resent, delivered;
} resender;

static void resend_done(void *ctx, const ts_packet *p)
{
    resender *r = ctx;
    if (p->status == TS_PKT_LINK_DOWN) {
        r->lost++;
        /* Resend over what is left; this grows the packet pool while the
         * network is still walking the dead link's queue. */
        ts_packet q = *p;
        q.seq += 100000;
        assert_int_equal(ts_network_send(r->net, &q), TS_OK);
        r->resent++;
    } else if (p->status == TS_PKT_DELIVERED) {
        r->delivered++;
    }
}

static void test_link_down_with_resending_callback(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(64);
    resender r = {0};
    ts_net_link_desc links[] = {
        LINK(0, 1, TS_MS, 1e9, 0),
        LINK(0, 2, TS_MS, 1e9, 0),
        LINK(2, 1, TS_MS, 1e9, 0),
    };
    ts_network_config cfg = {.n_nodes = 3, .links = links, .n_links = 3, .done = resend_done,
                             .ctx = &r};
    ts_error err;
    assert_int_equal(ts_network_new(e, &cfg, &r.net, &err), TS_OK);
    for (int i = 0; i < 1000; i++) {
        ts_packet p = {.seq = (uint64_t)i, .src = 0, .dst = 1, .bytes = 1000};
        assert_int_equal(ts_network_send(r.net, &p), TS_OK);
    }
    ts_engine_run(e, 500 * TS_US);
    assert_int_equal(ts_network_set_link_up(r.net, 0, 0), TS_OK);
    assert_int_equal(r.lost, 1000);
    ts_engine_run(e, TS_S);
    assert_int_equal(r.delivered, 1000);
    ts_network_free(r.net);
    ts_engine_free(e);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    recorder rec = {0};
    ts_medium_desc air = {.capacity_bps = 1e8, .name = "air"};
    ts_net_link_desc links[] = {
        {.a = 0, .b = 1, .latency_ns = 1, .bandwidth_bps = 1e6, .name = "a",
         .jitter = {.kind = TS_DIST_HISTOGRAM, .n_bins = 2, .edges = (const double[]){0, 10, 20},
                    .weights = (const double[]){1, 3}},
         .loss = {.model = TS_LOSS_BERNOULLI, .p = 0.1}},
        {.a = 1, .b = 2, .latency_ns = 1, .medium = 1},
        {.a = 0, .b = 2, .latency_ns = 5, .bandwidth_bps = 1e6},
    };
    ts_network_config cfg = {.n_nodes = 3, .links = links, .n_links = 3, .media = &air,
                             .n_media = 1, .done = record, .ctx = &rec};
    long base = ts_alloc_live();
    ts_network *net = NULL;
    int built = 0;
    for (long n = 1; n < 200 && !built; n++) {
        ts_error err;
        ts_alloc_fail_after(n);
        int rc = ts_network_new(e, &cfg, &net, &err);
        ts_alloc_fail_after(0);
        if (rc == TS_OK) {
            built = 1;
            break;
        }
        assert_int_equal(rc, TS_ENOMEM);
        assert_null(net);
        assert_int_equal(ts_alloc_live(), base);
    }
    assert_true(built);
    /* Routes that cannot be rebuilt: the down link (on the route 0 -> 2,
     * latency 2 against 5 direct) is still avoided. */
    ts_alloc_fail_after(1);
    assert_int_equal(ts_network_set_link_up(net, 0, 0), TS_ENOMEM);
    ts_alloc_fail_after(0);
    ts_packet p = {.src = 0, .dst = 2, .bytes = 10};
    assert_int_equal(ts_network_send(net, &p), TS_OK);
    assert_int_equal(rec.n, 1);
    assert_int_equal(rec.done[0].status, TS_PKT_NO_ROUTE);
    /* 256 messages in flight fill both the packet pool and the engine's
     * (grown from 16); then a pool that cannot grow refuses the send, and
     * an engine that cannot grow turns the message away as a drop. */
    for (int i = 0; i < 256; i++) {
        ts_packet q = {.seq = (uint64_t)i, .src = 1, .dst = 2, .bytes = 10};
        assert_int_equal(ts_network_send(net, &q), TS_OK);
    }
    ts_packet q = {.seq = 1000, .src = 1, .dst = 2, .bytes = 10};
    ts_alloc_fail_after(1);
    assert_int_equal(ts_network_send(net, &q), TS_ENOMEM);
    ts_alloc_fail_after(2);
    assert_int_equal(ts_network_send(net, &q), TS_OK);
    ts_alloc_fail_after(0);
    assert_int_equal(rec.n, 2);
    assert_int_equal(rec.done[1].seq, 1000);
    assert_int_equal(rec.done[1].status, TS_PKT_DROPPED_QUEUE);
    ts_link_counters c;
    ts_network_counters(net, 2, &c);
    assert_int_equal(c.dropped_messages, 1);
    assert_int_equal(c.sent_messages, 256);
    assert_int_equal(c.queue_packets, 256);
    ts_engine_run(e, TS_S);
    assert_int_equal(rec.n, 2 + 256);
    for (int i = 2; i < rec.n; i++)
        assert_int_equal(rec.done[i].status, TS_PKT_DELIVERED);
    ts_network_counters(net, 2, &c);
    assert_int_equal(c.queue_packets, 0);
    ts_network_flush_in_flight(net);
    ts_network_free(net);
    assert_int_equal(ts_alloc_live(), base);
    ts_engine_free(e);

    /* An engine full at 16 events that cannot grow: the 17th message is
     * dropped and leaves no trace on the transmitter. */
    e = ts_engine_new(16);
    rec.n = 0;
    ts_net_link_desc plain = {.a = 0, .b = 1, .latency_ns = TS_MS, .bandwidth_bps = 1e9};
    ts_network_config cfg2 = {.n_nodes = 2, .links = &plain, .n_links = 1, .done = record,
                              .ctx = &rec};
    ts_error err;
    assert_int_equal(ts_network_new(e, &cfg2, &net, &err), TS_OK);
    for (int i = 0; i < 17; i++) {
        ts_packet m = {.seq = (uint64_t)i, .src = 0, .dst = 1, .bytes = 125};
        ts_alloc_fail_after(i == 16 ? 1 : 0);
        assert_int_equal(ts_network_send(net, &m), TS_OK);
    }
    ts_alloc_fail_after(0);
    assert_int_equal(rec.n, 1);
    assert_int_equal(rec.done[0].seq, 16);
    assert_int_equal(rec.done[0].status, TS_PKT_DROPPED_QUEUE);
    ts_engine_run(e, TS_S);
    assert_int_equal(rec.n, 17);
    ts_network_counters(net, 0, &c);
    assert_int_equal(c.sent_messages, 16);
    assert_int_equal(c.dropped_messages, 1);
    assert_int_equal(c.busy_ns, 16 * 1000);
    ts_network_free(net);
    ts_engine_free(e);
}


/* A star of n robots (node i + 1) on links configured alike to a hub
 * (node 0): hop 2 * l runs from robot l + 1 to the hub. */
static ts_network *star_network(ts_engine *e, recorder *rec, size_t n)
{
    ts_net_link_desc *links = calloc(n, sizeof *links);
    assert_non_null(links);
    for (size_t l = 0; l < n; l++)
        links[l] = (ts_net_link_desc){.a = (int)l + 1, .b = 0, .latency_ns = 2 * TS_MS,
                                      .bandwidth_bps = 100e6};
    ts_network_config cfg = {.n_nodes = n + 1, .links = links, .n_links = n, .seed = 1,
                             .done = record, .ctx = rec};
    ts_network *net;
    ts_error err;
    assert_int_equal(ts_network_new(e, &cfg, &net, &err), TS_OK);
    free(links);
    return net;
}

/* Links configured alike share their configuration and names live in one
 * block, so a fleet's links cost no allocation each; a hop gets its state
 * when it first carries a message, and a hop without one reads as idle. */
static void test_hop_state_on_first_use(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(64);
    recorder rec = {0};
    long base = ts_alloc_live();
    ts_network *small = star_network(e, &rec, 10);
    long per_small = ts_alloc_live() - base;
    ts_network_free(small);
    ts_network *net = star_network(e, &rec, 1000);
    assert_int_equal(ts_alloc_live() - base, per_small);
    /* no state made by an extra latency of 0 or a loss of none */
    long before = ts_alloc_requests();
    assert_int_equal(ts_network_set_extra_latency(net, 3, 0), TS_OK);
    ts_loss_desc none = {.model = TS_LOSS_NONE};
    assert_int_equal(ts_network_set_loss(net, 3, &none), TS_OK);
    assert_int_equal(ts_network_set_loss(net, 3, NULL), TS_OK);
    assert_int_equal(ts_alloc_requests(), before);
    ts_packet p = {.seq = 1, .src = 6, .dst = 0, .bytes = 1000};
    assert_int_equal(ts_network_send(net, &p), TS_OK);
    ts_engine_run(e, TS_S);
    assert_int_equal(rec.n, 1);
    assert_int_equal(rec.done[0].status, TS_PKT_DELIVERED);
    assert_int_equal(rec.done[0].received, 2 * TS_MS + 80 * TS_US);
    ts_link_counters c;
    ts_network_counters(net, 2 * 5, &c);
    assert_int_equal(c.sent_messages, 1);
    assert_int_equal(c.sent_bytes, 1000);
    assert_int_equal(c.busy_ns, 80 * TS_US);
    /* the way back and the other links never carried anything */
    for (int hop = 0; hop < 2000; hop++) {
        if (hop == 10)
            continue;
        ts_network_counters(net, hop, &c);
        assert_int_equal(c.sent_messages, 0);
        assert_int_equal(c.busy_ns, 0);
        assert_int_equal(c.queue_bytes, 0);
        assert_int_equal(c.up, 1);
    }
    /* a configured loss replaced before the link carried anything holds
     * for its first message */
    {
        ts_net_link_desc lossy = {.a = 0, .b = 1, .latency_ns = TS_MS, .bandwidth_bps = 1e9,
                                  .loss = {.model = TS_LOSS_BERNOULLI, .p = 1}};
        recorder r2 = {0};
        ts_network_config cfg = {.n_nodes = 2, .links = &lossy, .n_links = 1,
                                 .done = record, .ctx = &r2};
        ts_network *n2;
        ts_error err;
        assert_int_equal(ts_network_new(e, &cfg, &n2, &err), TS_OK);
        ts_loss_desc none = {.model = TS_LOSS_NONE};
        assert_int_equal(ts_network_set_loss(n2, 0, &none), TS_OK);
        ts_packet q = {.seq = 1, .src = 0, .dst = 1, .bytes = 100};
        assert_int_equal(ts_network_send(n2, &q), TS_OK);
        /* and restored: lost */
        assert_int_equal(ts_network_set_loss(n2, 0, NULL), TS_OK);
        q.seq = 2;
        assert_int_equal(ts_network_send(n2, &q), TS_OK);
        ts_engine_run(e, 2 * TS_S);
        assert_int_equal(r2.n, 2);
        assert_int_equal(r2.done[0].seq, 1);
        assert_int_equal(r2.done[0].status, TS_PKT_DELIVERED);
        assert_int_equal(r2.done[1].status, TS_PKT_LOST);
        ts_network_free(n2);
    }
    /* down and up again: a link without hop states loses nothing */
    assert_int_equal(ts_network_set_link_up(net, 7, 0), TS_OK);
    ts_network_counters(net, 14, &c);
    assert_int_equal(c.up, 0);
    assert_int_equal(ts_network_set_link_up(net, 7, 1), TS_OK);
    assert_int_equal(ts_network_out_of_memory(net), 0);
    ts_network_free(net);
    assert_int_equal(ts_alloc_live(), base);
    ts_engine_free(e);
}

/* A hop state that cannot be made (the chunk list, then the chunk): the
 * message is reported as no route (as for a route that cannot be made),
 * ts_network_out_of_memory says so, and the next message makes the state
 * and goes through. */
static void test_hop_state_out_of_memory(void **state)
{
    (void)state;
    for (long fail = 1; fail <= 2; fail++) {
        ts_engine *e = ts_engine_new(64);
        recorder rec = {0};
        long base = ts_alloc_live();
        ts_network *net = star_network(e, &rec, 4);
        /* the route first (rows are made on demand too) */
        assert_int_equal(ts_routes_next_hop(ts_network_routes(net), 1, 0), 0);
        ts_packet p = {.seq = 1, .src = 1, .dst = 0, .bytes = 1000};
        ts_alloc_fail_after(fail);
        assert_int_equal(ts_network_send(net, &p), TS_OK);
        ts_alloc_fail_after(0);
        assert_int_equal(rec.n, 1);
        assert_int_equal(rec.done[0].status, TS_PKT_NO_ROUTE);
        assert_int_equal(ts_network_out_of_memory(net), 1);
        ts_link_counters c;
        ts_network_counters(net, 0, &c);
        assert_int_equal(c.sent_messages, 0);
        p.seq = 2;
        assert_int_equal(ts_network_send(net, &p), TS_OK);
        ts_engine_run(e, TS_S);
        assert_int_equal(rec.n, 2);
        assert_int_equal(rec.done[1].status, TS_PKT_DELIVERED);
        assert_int_equal(ts_network_out_of_memory(net), 1); /* sticky */
        ts_network_free(net);
        assert_int_equal(ts_alloc_live(), base);
        ts_engine_free(e);
    }
    /* an extra latency whose state cannot be made */
    ts_engine *e = ts_engine_new(64);
    recorder rec = {0};
    ts_network *net = star_network(e, &rec, 2);
    ts_alloc_fail_after(1);
    assert_int_equal(ts_network_set_extra_latency(net, 1, TS_MS), TS_ENOMEM);
    ts_alloc_fail_after(0);
    assert_int_equal(ts_network_out_of_memory(net), 1);
    assert_int_equal(ts_network_set_extra_latency(net, 1, TS_MS), TS_OK);
    ts_packet p = {.seq = 1, .src = 2, .dst = 0, .bytes = 1000};
    assert_int_equal(ts_network_send(net, &p), TS_OK);
    ts_engine_run(e, TS_S);
    assert_int_equal(rec.done[0].received, 3 * TS_MS + 80 * TS_US);
    ts_network_free(net);
    ts_engine_free(e);

    /* A drop counted in a block made at the first one: a drop that finds
     * no memory for it leaves the counts short, which voids the run. */
    for (int fail = 0; fail < 2; fail++) {
        e = ts_engine_new(64);
        rec.n = 0;
        ts_net_link_desc small = {.a = 0, .b = 1, .latency_ns = TS_MS,
                                  .bandwidth_bps = 1e6, .queue_bytes = 1500};
        ts_network_config cfg = {.n_nodes = 2, .links = &small, .n_links = 1,
                                 .done = record, .ctx = &rec};
        ts_error err;
        assert_int_equal(ts_network_new(e, &cfg, &net, &err), TS_OK);
        ts_packet m = {.seq = 1, .src = 0, .dst = 1, .bytes = 1000};
        assert_int_equal(ts_network_send(net, &m), TS_OK);
        m.seq = 2;
        ts_alloc_fail_after(fail);
        assert_int_equal(ts_network_send(net, &m), TS_OK);
        ts_alloc_fail_after(0);
        assert_int_equal(rec.n, 1);
        assert_int_equal(rec.done[0].status, TS_PKT_DROPPED_QUEUE);
        ts_link_counters c;
        ts_network_counters(net, 0, &c);
        assert_int_equal(c.sent_messages, 1);
        assert_int_equal(c.dropped_messages, fail ? 0 : 1);
        assert_int_equal(c.dropped_bytes, fail ? 0 : 1000);
        assert_int_equal(ts_network_out_of_memory(net), fail);
        ts_network_free(net);
        ts_engine_free(e);
    }
}

/* ---- Times past the clock's range never come ---- */

static void test_serialisation_saturates(void **state)
{
    (void)state;
    /* 2e9 B = 1.6e10 bits at 1 bit/s is 1.6e19 ns (past 2^63 - 1 ns), at
     * 0.5 bit/s 3.2e19 ns; both mean never. 1e9 B at 1 bit/s still fits:
     * 8e18 ns exactly. */
    assert_int_equal(ts_serialisation_ns(2000000000LL, 1.0), TS_TIME_MAX);
    assert_int_equal(ts_serialisation_ns(2000000000LL, 0.5), TS_TIME_MAX);
    assert_int_equal(ts_serialisation_ns(INT64_MAX, 1e9), TS_TIME_MAX);
    assert_int_equal(ts_serialisation_ns(1000000000LL, 1.0), 8000000000000000000LL);
    assert_int_equal(ts_serialisation_ns(1000000000LL, 2.0), 4000000000000000000LL);
}

static void test_unreachable_time_stays_in_flight(void **state)
{
    (void)state;
    /* Link 0: 2e9 B at 1 bit/s never finishes sending. Link 1: an 8 us
     * message whose latency (2^63 - 6 ns) takes its arrival past the clock. */
    ts_net_link_desc links[] = {
        {.a = 0, .b = 1, .bandwidth_bps = 1},
        {.a = 2, .b = 3, .latency_ns = INT64_MAX - 5, .bandwidth_bps = 1e9},
    };
    net_fixture f;
    build(&f, 4, links, 2);
    send_at(&f, 0, 1, 2000000000LL, 0);
    send_at(&f, 2, 3, 1000, 1);
    send_at(&f, 0, 1, 1, 2);                   /* behind a message that never ends */
    assert_int_equal(f.rec.n, 0);             /* not refused */
    ts_engine_run(f.engine, 1000 * TS_S);
    assert_int_equal(f.rec.n, 0);
    ts_link_counters c;
    ts_network_counters(f.net, 0, &c);
    assert_int_equal(c.sent_messages, 2);
    assert_int_equal(c.dropped_messages, 0);
    assert_int_equal(c.queue_bytes, 2000000001LL);
    assert_int_equal(c.busy_ns, 1000 * TS_S);  /* sending all along */
    ts_network_counters(f.net, 2, &c);
    assert_int_equal(c.busy_ns, 8000);
    assert_int_equal(c.queue_bytes, 0);
    ts_network_flush_in_flight(f.net);
    assert_int_equal(f.rec.n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(f.rec.done[i].seq, i);
        assert_int_equal(f.rec.done[i].status, TS_PKT_IN_FLIGHT);
    }
    ts_network_counters(f.net, 0, &c);
    assert_int_equal(c.busy_ns, 1000 * TS_S);
    assert_int_equal(c.queue_bytes, 0);
    /* The link is free again: 1 B takes 8 s. */
    send_at(&f, 0, 1, 1, 3);
    ts_engine_run(f.engine, 1010 * TS_S);
    assert_int_equal(f.rec.n, 4);
    assert_int_equal(f.rec.done[3].status, TS_PKT_DELIVERED);
    assert_int_equal(f.rec.done[3].received, 1008 * TS_S);
    teardown_net(&f);
}

/* ---- A medium after a link goes down ---- */

/* Robots 0 (link A = 0) and 1 (link B = 1) share a 1 Mbit/s medium to the
 * access point 2: 125 kB take exactly 1 s of air. */
static void build_air(net_fixture *f, int64_t queue_bytes)
{
    static ts_medium_desc air;
    static ts_net_link_desc links[2];
    air = (ts_medium_desc){.capacity_bps = 1e6, .queue_bytes = queue_bytes, .name = "air"};
    links[0] = (ts_net_link_desc){.a = 0, .b = 2, .latency_ns = TS_MS, .medium = 1,
                                  .name = "A"};
    links[1] = (ts_net_link_desc){.a = 1, .b = 2, .latency_ns = 2 * TS_MS, .medium = 1,
                                  .name = "B"};
    ts_network_config cfg = {.n_nodes = 3, .links = links, .n_links = 2, .media = &air,
                             .n_media = 1};
    build_cfg(f, &cfg);
}

static void test_medium_link_down_frees_queue(void **state)
{
    (void)state;
    /* A fills the 500 kB shared queue with four 1 s messages and goes down
     * at 0.1 s: the queue and the air are free at once, so B's message at
     * 0.2 s goes straight on the air: 0.2 + 1 s + 2 ms. */
    net_fixture f;
    build_air(&f, 500000);
    for (int i = 0; i < 4; i++)
        send_at(&f, 0, 2, 125000, (uint64_t)i);
    ts_engine_run(f.engine, 100 * TS_MS);
    assert_int_equal(ts_network_set_link_up(f.net, 0, 0), TS_OK);
    assert_int_equal(f.rec.n, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(f.rec.done[i].status, TS_PKT_LINK_DOWN);
    ts_link_counters m;
    ts_network_medium_counters(f.net, 0, &m);
    assert_int_equal(m.queue_bytes, 0);
    assert_int_equal(m.busy_ns, 100 * TS_MS);
    ts_engine_run(f.engine, 200 * TS_MS);
    send_at(&f, 1, 2, 125000, 4);
    assert_int_equal(f.rec.n, 4);              /* accepted */
    ts_network_medium_counters(f.net, 0, &m);
    assert_int_equal(m.queue_bytes, 125000);
    ts_engine_run(f.engine, 10 * TS_S);
    assert_int_equal(f.rec.n, 5);
    assert_int_equal(f.rec.done[4].status, TS_PKT_DELIVERED);
    assert_int_equal(f.rec.done[4].received, 1202 * TS_MS);
    ts_network_medium_counters(f.net, 0, &m);
    assert_int_equal(m.busy_ns, 1100 * TS_MS);
    assert_int_equal(m.down_messages, 4);
    assert_int_equal(m.dropped_messages, 0);
    teardown_net(&f);
}

static void test_medium_link_down_retimes_others(void **state)
{
    (void)state;
    net_fixture f;
    /* Air in queue order: B0 [0, 1) s, A1 [1, 2), A2 [2, 3), B3 [3, 4). A
     * fails at 0.5 s while B0 is on the air: B0 keeps its time, B3 moves
     * up to [1, 2) s. */
    build_air(&f, 0);
    send_at(&f, 1, 2, 125000, 0);
    send_at(&f, 0, 2, 125000, 1);
    send_at(&f, 0, 2, 125000, 2);
    send_at(&f, 1, 2, 125000, 3);
    ts_engine_run(f.engine, 500 * TS_MS);
    assert_int_equal(ts_network_set_link_up(f.net, 0, 0), TS_OK);
    assert_int_equal(f.rec.n, 2);
    assert_int_equal(f.rec.done[0].seq, 1);
    assert_int_equal(f.rec.done[1].seq, 2);
    ts_link_counters m, h;
    ts_network_medium_counters(f.net, 0, &m);
    assert_int_equal(m.queue_bytes, 250000);
    ts_engine_run(f.engine, 1500 * TS_MS);
    ts_network_medium_counters(f.net, 0, &m);
    assert_int_equal(m.busy_ns, 1500 * TS_MS);
    assert_int_equal(m.queue_bytes, 125000);
    ts_engine_run(f.engine, 10 * TS_S);
    assert_int_equal(f.rec.n, 4);
    assert_int_equal(f.rec.done[2].seq, 0);
    assert_int_equal(f.rec.done[2].received, 1002 * TS_MS);
    assert_int_equal(f.rec.done[3].seq, 3);
    assert_int_equal(f.rec.done[3].received, 2002 * TS_MS);
    ts_network_medium_counters(f.net, 0, &m);
    assert_int_equal(m.busy_ns, 2 * TS_S);
    ts_network_counters(f.net, 2, &h);         /* B's share */
    assert_int_equal(h.busy_ns, 2 * TS_S);
    ts_network_counters(f.net, 0, &h);         /* A never got the air */
    assert_int_equal(h.busy_ns, 0);
    teardown_net(&f);

    /* A1 [0, 1) s on the air, B2 [1, 2) behind it; A fails at 0.25 s: A1
     * is cut short there and B2 goes on the air at once. */
    build_air(&f, 0);
    send_at(&f, 0, 2, 125000, 1);
    send_at(&f, 1, 2, 125000, 2);
    ts_engine_run(f.engine, 250 * TS_MS);
    assert_int_equal(ts_network_set_link_up(f.net, 0, 0), TS_OK);
    ts_engine_run(f.engine, 10 * TS_S);
    assert_int_equal(f.rec.n, 2);
    assert_int_equal(f.rec.done[0].status, TS_PKT_LINK_DOWN);
    assert_int_equal(f.rec.done[1].status, TS_PKT_DELIVERED);
    assert_int_equal(f.rec.done[1].received, 1252 * TS_MS);
    ts_network_medium_counters(f.net, 0, &m);
    assert_int_equal(m.busy_ns, 1250 * TS_MS);
    ts_network_counters(f.net, 0, &h);
    assert_int_equal(h.busy_ns, 250 * TS_MS);
    ts_network_counters(f.net, 2, &h);
    assert_int_equal(h.busy_ns, TS_S);
    teardown_net(&f);
}

/* ---- A medium's capacity and latency changing ---- */

static void test_medium_capacity_change_retimes(void **state)
{
    (void)state;
    /* Four 1 s messages on A; at 0.1 s the medium goes from 1 Mbit/s to 1
     * Gbit/s. The first has sent 100 000 of its 1 000 000 bits: the rest
     * takes 900 us; the others 1 ms each behind it. */
    net_fixture f;
    build_air(&f, 500000);
    for (int i = 0; i < 4; i++)
        send_at(&f, 0, 2, 125000, (uint64_t)i);
    ts_engine_run(f.engine, 100 * TS_MS);
    assert_int_equal(ts_network_set_medium(f.net, 0, 1e9, 0), TS_OK);
    ts_engine_run(f.engine, 100 * TS_MS + 500 * TS_US);
    ts_link_counters m, h;
    ts_network_medium_counters(f.net, 0, &m);
    ts_network_counters(f.net, 0, &h);
    assert_int_equal(m.busy_ns, 100 * TS_MS + 500 * TS_US);
    assert_int_equal(h.busy_ns, 100 * TS_MS + 500 * TS_US);
    assert_int_equal(m.queue_bytes, 500000);
    /* At 102 ms two are left (250 kB): a fifth fits behind them. */
    ts_engine_run(f.engine, 102 * TS_MS);
    send_at(&f, 0, 2, 125000, 4);
    ts_engine_run(f.engine, 10 * TS_S);
    assert_int_equal(f.rec.n, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(f.rec.done[i].seq, i);
        assert_int_equal(f.rec.done[i].status, TS_PKT_DELIVERED);
        /* Latency 1 ms (the link's; the medium adds none). */
        assert_int_equal(f.rec.done[i].received, 100900 * TS_US + i * TS_MS + TS_MS);
    }
    ts_network_medium_counters(f.net, 0, &m);
    assert_int_equal(m.busy_ns, 104900 * TS_US);
    assert_int_equal(m.queue_bytes, 0);
    ts_network_counters(f.net, 0, &h);
    assert_int_equal(h.busy_ns, 104900 * TS_US);
    teardown_net(&f);
}

static void test_medium_capacity_change_exact_bits(void **state)
{
    (void)state;
    /* One byte at 3 bit/s takes 8/3 s (2666666667 ns); at 1 s it has sent
     * 3 bits and the medium drops to 2 bit/s: 5 bits left take 2.5 s. At 2 s
     * (2 more bits sent) it rises to 4 bit/s: 3 bits left take 0.75 s, so
     * it ends at 2.75 s. The byte queued behind it then takes 2 s. */
    ts_medium_desc air = {.capacity_bps = 3};
    ts_net_link_desc link = {.a = 0, .b = 1, .medium = 1};
    ts_network_config cfg = {.n_nodes = 2, .links = &link, .n_links = 1, .media = &air,
                             .n_media = 1};
    net_fixture f;
    build_cfg(&f, &cfg);
    send_at(&f, 0, 1, 1, 0);
    send_at(&f, 0, 1, 1, 1);
    ts_engine_run(f.engine, TS_S);
    assert_int_equal(ts_network_set_medium(f.net, 0, 2, 0), TS_OK);
    ts_engine_run(f.engine, 2 * TS_S);
    assert_int_equal(f.rec.n, 0);              /* would have ended at 2.67 s */
    assert_int_equal(ts_network_set_medium(f.net, 0, 4, 0), TS_OK);
    ts_engine_run(f.engine, 2500 * TS_MS);
    ts_link_counters h;
    ts_network_counters(f.net, 0, &h);
    assert_int_equal(h.busy_ns, 2500 * TS_MS);
    ts_engine_run(f.engine, 10 * TS_S);
    assert_int_equal(f.rec.n, 2);
    assert_int_equal(f.rec.done[0].received, 2750 * TS_MS);
    assert_int_equal(f.rec.done[1].received, 4750 * TS_MS);
    ts_network_counters(f.net, 0, &h);
    assert_int_equal(h.busy_ns, 4750 * TS_MS);
    /* The same rate again changes nothing. */
    send_at(&f, 0, 1, 1, 2);
    assert_int_equal(ts_network_set_medium(f.net, 0, 4, 0), TS_OK);
    ts_engine_run(f.engine, 20 * TS_S);
    assert_int_equal(f.rec.done[2].received, 12 * TS_S);
    teardown_net(&f);
}

typedef struct ev_recorder {
    recorder rec;
    char kind[8][24];
    double value[8];
    int n;
} ev_recorder;

static void record_ev_done(void *ctx, const ts_packet *p) { record(ctx, p); }

static void record_event(void *ctx, const ts_platform_event *ev)
{
    ev_recorder *r = ctx;
    assert_true(r->n < 8);
    snprintf(r->kind[r->n], sizeof r->kind[r->n], "%s", ts_event_kind_name(ev->kind));
    r->value[r->n++] = ev->value;
}

static void test_medium_latency_change_reroutes(void **state)
{
    (void)state;
    /* 0 -> 1 over the medium link (1 ms + the medium's 0) or a private
     * 5 ms link. The medium's latency rising to 10 ms sends traffic the
     * private way; falling back to 0 brings it back. */
    ts_medium_desc air = {.capacity_bps = 1e9, .name = "air"};
    ts_net_link_desc links[] = {
        {.a = 0, .b = 1, .latency_ns = TS_MS, .medium = 1},
        {.a = 0, .b = 1, .latency_ns = 5 * TS_MS, .bandwidth_bps = 1e9},
    };
    ev_recorder *r = calloc(1, sizeof *r);
    assert_non_null(r);
    ts_engine *e = ts_engine_new(64);
    ts_network_config cfg = {.n_nodes = 2, .links = links, .n_links = 2, .media = &air,
                             .n_media = 1, .done = record_ev_done, .event = record_event,
                             .ctx = r};
    ts_network *net;
    ts_error err;
    assert_int_equal(ts_network_new(e, &cfg, &net, &err), TS_OK);
    assert_int_equal(ts_routes_next_hop(ts_network_routes(net), 0, 1), 0);
    assert_int_equal(ts_network_set_medium(net, 0, 1e9, 10 * TS_MS), TS_OK);
    assert_int_equal(r->n, 1);
    assert_string_equal(r->kind[0], "route_change");
    assert_true(r->value[0] == 2);            /* 0 -> 1 and 1 -> 0 */
    assert_int_equal(ts_routes_next_hop(ts_network_routes(net), 0, 1), 2);
    assert_int_equal(ts_routes_latency(ts_network_routes(net), 0, 1), 5 * TS_MS);
    ts_packet p = {.src = 0, .dst = 1, .bytes = 1};
    assert_int_equal(ts_network_send(net, &p), TS_OK);
    ts_engine_run(e, TS_S);
    assert_int_equal(r->rec.n, 1);
    assert_int_equal(r->rec.done[0].received, 5 * TS_MS + 8);
    /* Another latency that changes no next hop reports nothing. */
    assert_int_equal(ts_network_set_medium(net, 0, 1e9, 20 * TS_MS), TS_OK);
    assert_int_equal(r->n, 1);
    assert_int_equal(ts_network_set_medium(net, 0, 1e9, 0), TS_OK);
    assert_int_equal(r->n, 2);
    assert_int_equal(ts_routes_next_hop(ts_network_routes(net), 0, 1), 0);
    assert_int_equal(ts_routes_latency(ts_network_routes(net), 0, 1), TS_MS);
    ts_network_free(net);
    ts_engine_free(e);
    free(r);
}

/* ---- Freeing the network mid-run ---- */

static void count_event(ts_engine *engine, void *ctx, uint64_t arg)
{
    (void)engine;
    (void)arg;
    (*(int *)ctx)++;
}

static void test_partition_is_one_batch(void **state)
{
    (void)state;
    /* ap 0 and edge 1 in the backbone; robot site 0 (rt 2, switch 3) on
     * Wi-Fi to ap and a slow backup link to edge; robot site 1 (rt 4,
     * switch 5) on Wi-Fi only. Cutting both Wi-Fi links at once moves
     * robot 0 onto its backup and cuts robot 1 off: two link_down events
     * in the order given, then one route_change counting every node pair
     * whose next hop differs between before and after. */
    int site[] = {-1, -1, 0, 0, 1, 1};
    ts_net_link_desc links[] = {
        {.a = 0, .b = 1, .latency_ns = TS_MS, .bandwidth_bps = 1e9},
        {.a = 2, .b = 3, .latency_ns = TS_MS, .bandwidth_bps = 1e9},
        {.a = 3, .b = 0, .latency_ns = 2 * TS_MS, .bandwidth_bps = 1e9},
        {.a = 4, .b = 5, .latency_ns = TS_MS, .bandwidth_bps = 1e9},
        {.a = 5, .b = 0, .latency_ns = 2 * TS_MS, .bandwidth_bps = 1e9},
        {.a = 3, .b = 1, .latency_ns = 10 * TS_MS, .bandwidth_bps = 1e9},
    };
    ts_error err;
    ts_topology *topo;
    assert_int_equal(ts_topology_new(6, site, links, 6, &topo, &err), TS_OK);
    assert_true(ts_topology_zones(topo) > 1);
    /* The expected count, from the routes without zones. */
    ts_routes *flat;
    assert_int_equal(ts_routes_new(6, links, 6, &flat, &err), TS_OK);
    int before[36];
    for (int k = 0; k < 36; k++)
        before[k] = ts_routes_next_hop(flat, k / 6, k % 6);
    int cut[] = {2, 4};
    unsigned char down[] = {0, 0};
    assert_int_equal(ts_routes_set_links(flat, cut, 2, down, NULL, NULL, &err), TS_OK);
    size_t expect = 0;
    for (int k = 0; k < 36; k++)
        expect += before[k] != ts_routes_next_hop(flat, k / 6, k % 6);
    assert_true(expect > 0);

    ev_recorder *r = calloc(1, sizeof *r);
    assert_non_null(r);
    ts_engine *e = ts_engine_new(64);
    ts_network_config cfg = {.n_nodes = 6, .links = links, .n_links = 6,
                             .done = record_ev_done, .event = record_event, .ctx = r,
                             .topology = topo};
    ts_network *net;
    assert_int_equal(ts_network_new(e, &cfg, &net, &err), TS_OK);
    assert_int_equal(ts_routes_latency(ts_network_routes(net), 2, 1), 4 * TS_MS);
    uint64_t version = ts_routes_version(ts_network_routes(net));
    int bad[] = {2, 6};
    assert_int_equal(ts_network_set_links_up(net, bad, 2, 0), TS_EINVAL);
    assert_int_equal(ts_network_link_up(net, 2), 1);
    assert_int_equal(ts_network_set_links_up(net, cut, 2, 0), TS_OK);
    assert_int_equal(ts_routes_version(ts_network_routes(net)), version + 1);
    assert_int_equal(r->n, 3);
    assert_string_equal(r->kind[0], "link_down");
    assert_string_equal(r->kind[1], "link_down");
    assert_string_equal(r->kind[2], "route_change");
    assert_true(r->value[2] == (double)expect);
    const ts_routes *rt = ts_network_routes(net);
    for (int k = 0; k < 36; k++)
        assert_int_equal(ts_routes_next_hop(rt, k / 6, k % 6),
                         ts_routes_next_hop(flat, k / 6, k % 6));
    /* Robot 0 reaches edge over its backup: 1 ms + 10 ms + 8 ns per hop;
     * robot 1 is cut off. */
    ts_packet p = {.src = 2, .dst = 1, .bytes = 1};
    assert_int_equal(ts_network_send(net, &p), TS_OK);
    ts_packet q = {.src = 4, .dst = 1, .bytes = 1};
    assert_int_equal(ts_network_send(net, &q), TS_OK);
    ts_engine_run(e, TS_S);
    assert_int_equal(r->rec.n, 2);
    assert_int_equal(r->rec.done[0].status, TS_PKT_NO_ROUTE);
    assert_int_equal(r->rec.done[1].status, TS_PKT_DELIVERED);
    assert_int_equal(r->rec.done[1].received, 11 * TS_MS + 16);
    /* Cutting them again changes nothing and reports nothing; up again,
     * one batch back to the first routes. */
    assert_int_equal(ts_network_set_links_up(net, cut, 2, 0), TS_OK);
    assert_int_equal(r->n, 3);
    assert_int_equal(ts_network_set_links_up(net, cut, 2, 1), TS_OK);
    assert_int_equal(r->n, 6);
    assert_string_equal(r->kind[3], "link_up");
    assert_string_equal(r->kind[5], "route_change");
    assert_true(r->value[5] == (double)expect);
    for (int k = 0; k < 36; k++)
        assert_int_equal(ts_routes_next_hop(ts_network_routes(net), k / 6, k % 6), before[k]);
    ts_network_free(net);
    /* A topology of other nodes or links is refused. */
    cfg.n_links = 5;
    assert_int_equal(ts_network_new(e, &cfg, &net, &err), TS_EINVAL);
    assert_null(net);
    cfg.n_links = 6;
    links[5].b = 0;
    assert_int_equal(ts_network_new(e, &cfg, &net, &err), TS_EINVAL);
    assert_null(net);
    ts_engine_free(e);
    ts_routes_free(flat);
    ts_topology_free(topo);
    free(r);
}

static void test_free_cancels_arrivals(void **state)
{
    (void)state;
    ts_medium_desc air = {.capacity_bps = 1e6};
    ts_net_link_desc links[] = {
        {.a = 0, .b = 1, .latency_ns = TS_MS, .bandwidth_bps = 1e6},
        {.a = 1, .b = 2, .latency_ns = TS_MS, .medium = 1},
    };
    ts_engine *e = ts_engine_new(16);
    recorder *rec = calloc(1, sizeof *rec);
    assert_non_null(rec);
    ts_network_config cfg = {.n_nodes = 3, .links = links, .n_links = 2, .media = &air,
                             .n_media = 1, .done = record, .ctx = rec};
    ts_network *net;
    ts_error err;
    assert_int_equal(ts_network_new(e, &cfg, &net, &err), TS_OK);
    for (int i = 0; i < 40; i++) {
        ts_packet p = {.seq = (uint64_t)i, .src = 0, .dst = 2, .bytes = 1250};  /* 10 ms a hop */
        assert_int_equal(ts_network_send(net, &p), TS_OK);
    }
    int others = 0;
    assert_int_equal(ts_engine_schedule(e, 10 * TS_S, count_event, &others, 0, NULL), TS_OK);
    /* Message i leaves hop 1 at 10 (i + 1) ms and reaches node 2 at
     * 10 i + 22 ms: by 105 ms, 0..8 have arrived; 9..39 are in flight on
     * one hop or the other. */
    ts_engine_run(e, 105 * TS_MS);
    assert_int_equal(rec->n, 9);
    /* One arrival per message in flight, and our own event. */
    assert_int_equal(ts_engine_pending(e), 31 + 1);
    ts_network_free(net);
    assert_int_equal(ts_engine_pending(e), 1);
    assert_int_equal(ts_engine_run(e, 20 * TS_S), 1);
    assert_int_equal(others, 1);
    assert_int_equal(rec->n, 9);
    ts_engine_free(e);
    free(rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serialisation_exact),
        cmocka_unit_test(test_single_hop_latency),
        cmocka_unit_test(test_multi_hop_store_and_forward),
        cmocka_unit_test(test_queueing_back_to_back),
        cmocka_unit_test(test_drop_tail),
        cmocka_unit_test(test_routes_prefer_latency_and_report_no_route),
        cmocka_unit_test(test_flush_in_flight_in_send_order),
        cmocka_unit_test(test_same_node_transport_latency),
        cmocka_unit_test(test_fragments_and_packet_limit),
        cmocka_unit_test(test_counters_exact_busy_time),
        cmocka_unit_test(test_medium_shared_queue),
        cmocka_unit_test(test_fault_hooks),
        cmocka_unit_test(test_node_down_is_its_links_down),
        cmocka_unit_test(test_loss_helpers),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_routes_match_reference),
        cmocka_unit_test(test_streams_per_link),
        cmocka_unit_test(test_link_down_with_resending_callback),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_hop_state_on_first_use),
        cmocka_unit_test(test_hop_state_out_of_memory),
        cmocka_unit_test(test_serialisation_saturates),
        cmocka_unit_test(test_unreachable_time_stays_in_flight),
        cmocka_unit_test(test_medium_link_down_frees_queue),
        cmocka_unit_test(test_medium_link_down_retimes_others),
        cmocka_unit_test(test_medium_capacity_change_retimes),
        cmocka_unit_test(test_medium_capacity_change_exact_bits),
        cmocka_unit_test(test_medium_latency_change_reroutes),
        cmocka_unit_test(test_free_cancels_arrivals),
        cmocka_unit_test(test_partition_is_one_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
