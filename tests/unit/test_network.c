/*
 * Network fidelity: message latency equals propagation + size/bandwidth on
 * each hop, plus FIFO queueing behind earlier messages, to the nanosecond;
 * drop-tail drops exactly what does not fit; routes pick least latency.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "toposim/platform.h"
#include "toposim/trace.h"

#define MAX_DONE 64

typedef struct recorder {
    ts_packet done[MAX_DONE];
    int n;
} recorder;

static void record(void *ctx, const ts_packet *p)
{
    recorder *r = ctx;
    assert_true(r->n < MAX_DONE);
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
    assert_int_equal(ts_network_new(f->engine, f->routes, links, n_links, record,
                                    &f->rec, &f->net, &err), TS_OK);
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
    ts_net_link_desc links[] = {{0, 1, 2 * TS_MS, 100e6, 64 * 1024}};
    build(&f, 2, links, 1);
    send_at(&f, 0, 1, 1500, 0);
    ts_engine_run(f.engine, TS_S);
    assert_int_equal(f.rec.n, 1);
    assert_int_equal(f.rec.done[0].status, TS_MSG_DELIVERED);
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
        {0, 1, 3 * TS_MS, 600e6, 1 << 20},     /* Wi-Fi */
        {1, 2, 50 * TS_US, 10e9, 1 << 20},     /* 10GbE */
        {2, 3, 10 * TS_US, 1e9, 1 << 20},      /* GbE */
        {3, 4, 20 * TS_MS, 100e6, 1 << 20},    /* WAN */
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
        {0, 1, 1 * TS_MS, 100e6, 1 << 20},
        {1, 2, 5 * TS_MS, 10e6, 1 << 20},      /* bottleneck second hop */
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
        assert_int_equal(f.rec.done[p].status, TS_MSG_DELIVERED);
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
    ts_net_link_desc links[] = {{0, 1, 0, 100e6, 3000}};
    net_fixture f;
    build(&f, 2, links, 1);
    send_at(&f, 0, 1, 1500, 0);
    send_at(&f, 0, 1, 1500, 1);
    send_at(&f, 0, 1, 1500, 2);
    assert_int_equal(f.rec.n, 1);
    assert_int_equal(f.rec.done[0].seq, 2);
    assert_int_equal(f.rec.done[0].status, TS_MSG_DROPPED_QUEUE);
    assert_int_equal(f.rec.done[0].received, -1);
    ts_engine_run(f.engine, 120 * TS_US);  /* packet 0 has left the queue */
    send_at(&f, 0, 1, 1500, 3);
    ts_engine_run(f.engine, TS_S);
    assert_int_equal(f.rec.n, 4);
    assert_int_equal(f.rec.done[3].seq, 3);
    assert_int_equal(f.rec.done[3].status, TS_MSG_DELIVERED);
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
        {0, 1, 10 * TS_MS, 1e9, 1 << 16},
        {1, 2, 10 * TS_MS, 1e9, 1 << 16},
        {0, 3, 1 * TS_MS, 1e9, 1 << 16},
        {3, 4, 1 * TS_MS, 1e9, 1 << 16},
        {4, 2, 1 * TS_MS, 1e9, 1 << 16},
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
    assert_int_equal(f.rec.done[0].status, TS_MSG_NO_ROUTE);
    send_at(&f, 2, 2, 100, 1);  /* same node: delivered at once */
    assert_int_equal(f.rec.n, 2);
    assert_int_equal(f.rec.done[1].status, TS_MSG_DELIVERED);
    assert_int_equal(f.rec.done[1].received, 0);
    teardown_net(&f);
}

static void test_flush_in_flight_in_send_order(void **state)
{
    (void)state;
    ts_net_link_desc links[] = {{0, 1, 10 * TS_MS, 1e9, 1 << 16}};
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
        assert_int_equal(f.rec.done[i].status, TS_MSG_IN_FLIGHT);
    }
    teardown_net(&f);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
