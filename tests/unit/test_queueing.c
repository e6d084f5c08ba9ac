/*
 * Network fidelity against closed forms: M/M/1 and M/D/1 sojourn times on
 * one link, Bernoulli and Gilbert-Elliott loss rates and burst lengths,
 * jitter means and ordering, MTU fragmentation (exact serialisation, loss
 * 1-(1-p)^k), a shared medium's exact serialisation order and capacity
 * change, and links going down and up (losses, rerouting, exact latency of
 * the new path). Every random input comes from fixed-seed GSL streams.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "toposim/platform.h"
#include "toposim/trace.h"

/* Far enough for every test here; below TS_TIME_MAX, which the engine
 * treats as "never". */
#define END (1000 * TS_S)

static ts_network *make_net(ts_engine *engine, size_t n_nodes, const ts_net_link_desc *links,
                            size_t n_links, const ts_medium_desc *media, size_t n_media,
                            ts_packet_done_fn done, ts_platform_event_fn event, void *ctx)
{
    ts_network_config cfg = {.n_nodes = n_nodes, .links = links, .n_links = n_links,
                             .media = media, .n_media = n_media, .seed = 42,
                             .done = done, .event = event, .ctx = ctx};
    ts_network *net = NULL;
    ts_error err;
    int rc = ts_network_new(engine, &cfg, &net, &err);
    if (rc != TS_OK)
        fail_msg("ts_network_new: %s", err.msg);
    return net;
}

static void send1(ts_network *net, int src, int dst, int64_t bytes, uint64_t seq)
{
    ts_packet p = {.seq = seq, .src = src, .dst = dst, .bytes = bytes};
    assert_int_equal(ts_network_send(net, &p), TS_OK);
}

/* ---- 1. Queueing: M/M/1 and M/D/1 ----
 *
 * One link at 8 Gbit/s, so a message of b bytes takes exactly b ns to
 * serialise, with 1 ms propagation and no queue limit. Arrivals are
 * Poisson (exponential gaps drawn here from the test's own stream, one
 * engine event each); sizes are exponential with mean 100 000 B rounded to
 * whole bytes (M/M/1; rounding moves the mean by < 1e-6 relative) or fixed
 * at 100 000 B (M/D/1), so the mean service time S is 100 us. The mean
 * sojourn time (received - sent - propagation) over the customers after a
 * warm-up of 10 000 (more than 25 relaxation times 1/(mu (1-sqrt(rho))^2)
 * at rho = 0.9) is compared with
 *   M/M/1: S / (1 - rho),   M/D/1: S + rho S / (2 (1 - rho)).
 * Sample counts: the customer-average sojourn time has a relative standard
 * deviation c / sqrt(n); c, measured with 200 independent Lindley-recursion
 * replications of 200 000 customers each, is 3.2, 10.4, 19.6 (M/M/1, rho
 * = 0.5, 0.8, 0.9; 19.6 agrees with Daley's asymptotic variance of the
 * M/M/1 waiting time) and 1.2, 5.2, 11.8 (M/D/1). The counts below make
 * that 0.64 %, 0.66 %, 0.80 % and 0.54 %, 0.62 %, 0.68 %, so the 2 % bound
 * sits 2.5 to 3.7 standard deviations out: about 12.5 M messages, some 2.5
 * s in all. */

typedef struct mm1 {
    ts_engine *engine;
    ts_network *net;
    gsl_rng *rng;
    double mean_gap, mean_size;
    int fixed_size;
    uint64_t warmup, total, sent;
    double sum;           /* sojourn times after warm-up, ns */
    uint64_t n, next_seq;
    int64_t latency;
    ts_time last_departure;
} mm1;

static void mm1_done(void *ctx, const ts_packet *p)
{
    mm1 *q = ctx;
    assert_int_equal(p->status, TS_MSG_DELIVERED);
    assert_int_equal(p->seq, q->next_seq);  /* FIFO */
    q->next_seq++;
    q->last_departure = p->received - q->latency;
    if (p->seq >= q->warmup) {
        q->sum += (double)(p->received - p->sent - q->latency);
        q->n++;
    }
}

static void mm1_arrival(ts_engine *engine, void *ctx, uint64_t arg)
{
    mm1 *q = ctx;
    int64_t bytes = q->fixed_size ? (int64_t)q->mean_size
                                  : (int64_t)llround(gsl_ran_exponential(q->rng, q->mean_size));
    send1(q->net, 0, 1, bytes, arg);
    if (++q->sent < q->total) {
        ts_time gap = (ts_time)llround(gsl_ran_exponential(q->rng, q->mean_gap));
        assert_int_equal(ts_engine_schedule(engine, ts_engine_now(engine) + gap, mm1_arrival,
                                            q, arg + 1, NULL), TS_OK);
    }
}

static void run_queue(double rho, int fixed_size, uint64_t samples, const char *label)
{
    const double service_ns = 100000.0;
    mm1 q = {0};
    q.engine = ts_engine_new(1024);
    q.rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(q.rng, 20240607u + (unsigned long)(rho * 100) + (fixed_size ? 7u : 0u));
    q.mean_size = service_ns;              /* bytes == ns at 8 Gbit/s */
    q.mean_gap = service_ns / rho;
    q.fixed_size = fixed_size;
    q.warmup = 10000;
    q.total = q.warmup + samples;
    q.latency = TS_MS;
    ts_net_link_desc link = {.a = 0, .b = 1, .latency_ns = TS_MS, .bandwidth_bps = 8e9};
    q.net = make_net(q.engine, 2, &link, 1, NULL, 0, mm1_done, NULL, &q);
    assert_int_equal(ts_engine_schedule(q.engine, 0, mm1_arrival, &q, 0, NULL), TS_OK);
    ts_engine_run(q.engine, END);
    assert_int_equal(q.n, samples);
    double mean = q.sum / (double)q.n;
    double want = fixed_size ? service_ns + rho * service_ns / (2 * (1 - rho))
                             : service_ns / (1 - rho);
    /* Utilisation from the link's counters: busy time over the span from
     * the first arrival (at 0) to the last departure; both are sums of n
     * independent draws, so it is within ~sqrt(2/n) of rho. */
    ts_link_counters c;
    ts_network_counters(q.net, 0, &c);
    double util = (double)c.busy_ns / (double)q.last_departure;
    print_message("  %s rho=%.1f: n=%llu mean sojourn %.2f us, formula %.2f us (%+.2f %%), "
                  "utilisation %.4f\n", label, rho, (unsigned long long)q.n, mean / 1e3,
                  want / 1e3, 100 * (mean / want - 1), util);
    assert_true(fabs(mean / want - 1) < 0.02);
    assert_true(fabs(util / rho - 1) < 0.01);
    assert_int_equal(c.sent_messages, q.total);
    assert_int_equal(c.dropped_packets, 0);
    assert_int_equal(c.queue_bytes, 0);
    ts_network_free(q.net);
    ts_engine_free(q.engine);
    gsl_rng_free(q.rng);
}

static void test_mm1(void **state)
{
    (void)state;
    run_queue(0.5, 0, 250000, "M/M/1");
    run_queue(0.8, 0, 2500000, "M/M/1");
    run_queue(0.9, 0, 6000000, "M/M/1");
}

static void test_md1(void **state)
{
    (void)state;
    run_queue(0.5, 1, 50000, "M/D/1");
    run_queue(0.8, 1, 700000, "M/D/1");
    run_queue(0.9, 1, 3000000, "M/D/1");
}

/* ---- 2. Loss ---- */

typedef struct loss_stats {
    uint64_t next_seq, n, lost, bursts;
    int prev_lost;
    uint64_t lost_frags_reported;
} loss_stats;

static void loss_done(void *ctx, const ts_packet *p)
{
    loss_stats *s = ctx;
    /* No jitter and FIFO: reports (delivery or loss) come in send order. */
    assert_int_equal(p->seq, s->next_seq);
    s->next_seq++;
    s->n++;
    int lost = p->status == TS_MSG_LOST;
    if (!lost)
        assert_int_equal(p->status, TS_MSG_DELIVERED);
    s->lost += (uint64_t)lost;
    s->bursts += (uint64_t)(lost && !s->prev_lost);
    s->prev_lost = lost;
}

/* Sends n messages of `bytes` over a lossy link in batches, returns the
 * statistics and the hop's counters. */
static loss_stats run_loss(const ts_loss_desc *loss, int64_t mtu, int64_t header,
                           int64_t bytes, uint64_t n, ts_link_counters *c)
{
    ts_engine *engine = ts_engine_new(4096);
    loss_stats s = {0};
    ts_net_link_desc link = {.a = 0, .b = 1, .latency_ns = 10 * TS_US, .bandwidth_bps = 1e10,
                             .mtu_bytes = mtu, .header_bytes = header, .loss = *loss,
                             .name = "lossy"};
    ts_network *net = make_net(engine, 2, &link, 1, NULL, 0, loss_done, NULL, &s);
    const uint64_t batch = 2000;
    for (uint64_t i = 0; i < n; i += batch) {
        for (uint64_t k = i; k < i + batch && k < n; k++)
            send1(net, 0, 1, bytes, k);
        ts_engine_run(engine, ts_engine_now(engine) + TS_S);
    }
    assert_int_equal(s.n, n);
    ts_network_counters(net, 0, c);
    ts_network_free(net);
    ts_engine_free(engine);
    return s;
}

static void test_loss_gilbert_elliott(void **state)
{
    (void)state;
    /* Mean loss 20 %, mean burst 5: p_bad_good = 0.2, p_good_bad = 0.05.
     * The loss fraction of n packets has variance pi_b (1 - pi_b)
     * (1 + l)/(1 - l) / n with l = 1 - 0.05 - 0.2 = 0.75: 1.12 / n, so
     * with n = 1e6 its relative standard deviation is 0.53 % (2 % = 3.8
     * sd). About n pi_b p_bad_good = 40 000 bursts of geometric length
     * (sd 4.47): the mean burst's relative sd is 0.45 % (2 % = 4.5 sd). */
    ts_loss_desc ge;
    ts_error err;
    assert_int_equal(ts_loss_from_mean_burst(0.2, 5.0, &ge, &err), TS_OK);
    assert_true(fabs(ge.p_bad_good - 0.2) < 1e-15);
    assert_true(fabs(ge.p_good_bad - 0.05) < 1e-15);
    assert_true(fabs(ts_loss_mean(&ge) - 0.2) < 1e-15);
    ts_link_counters c;
    loss_stats s = run_loss(&ge, 0, 0, 200, 1000000, &c);
    double rate = (double)s.lost / (double)s.n;
    double burst = (double)s.lost / (double)s.bursts;
    print_message("  GE(20%%, 5): loss %.5f (%+.2f %%), mean burst %.4f (%+.2f %%)\n", rate,
                  100 * (rate / 0.2 - 1), burst, 100 * (burst / 5 - 1));
    assert_true(fabs(rate / 0.2 - 1) < 0.02);
    assert_true(fabs(burst / 5.0 - 1) < 0.02);
    assert_int_equal(c.lost_messages, s.lost);
    assert_int_equal(c.lost_packets, s.lost);
    assert_int_equal(c.sent_messages, s.n);

    /* Per fragment: 3-fragment messages over the same chain. A message
     * is delivered only if its 3 fragments all see the good state: the
     * chain is good at the first with the stationary probability 0.8 and
     * stays good twice with 0.95 each, so the message loss is 1 - 0.8 *
     * 0.95^2 = 0.278, and the fragment loss stays 0.2. */
    s = run_loss(&ge, 1500, 40, 4000, 300000, &c);
    rate = (double)s.lost / (double)s.n;
    double frag_rate = (double)c.lost_packets / (double)c.sent_packets;
    double want = 1 - 0.8 * 0.95 * 0.95;
    print_message("  GE(20%%, 5), 3 fragments: message loss %.5f vs %.5f (%+.2f %%), "
                  "fragment loss %.5f (%+.2f %%)\n", rate, want, 100 * (rate / want - 1),
                  frag_rate, 100 * (frag_rate / 0.2 - 1));
    assert_true(fabs(rate / want - 1) < 0.02);
    assert_true(fabs(frag_rate / 0.2 - 1) < 0.02);
    assert_int_equal(c.sent_packets, 3 * s.n);

    /* Four-parameter form: stationary loss 0.75 * 0.01 + 0.25 * 0.6 =
     * 0.1575; relative sd about 0.6 % at n = 5e5. */
    ts_loss_desc g4 = {.model = TS_LOSS_GILBERT_ELLIOTT, .p_good_bad = 0.1,
                       .p_bad_good = 0.3, .loss_good = 0.01, .loss_bad = 0.6};
    assert_true(fabs(ts_loss_mean(&g4) - 0.1575) < 1e-12);
    s = run_loss(&g4, 0, 0, 200, 500000, &c);
    rate = (double)s.lost / (double)s.n;
    print_message("  GE(4 params): loss %.5f vs %.5f (%+.2f %%)\n", rate, 0.1575,
                  100 * (rate / 0.1575 - 1));
    assert_true(fabs(rate / 0.1575 - 1) < 0.02);
}

static void test_loss_bernoulli(void **state)
{
    (void)state;
    /* p = 0.25, n = 5e5: relative sd sqrt(0.75 / (0.25 n)) = 0.24 %, so
     * 1 % is 4 sd. Bursts are geometric with mean 1 / (1 - p). */
    ts_loss_desc b = {.model = TS_LOSS_BERNOULLI, .p = 0.25};
    ts_link_counters c;
    loss_stats s = run_loss(&b, 0, 0, 200, 500000, &c);
    double rate = (double)s.lost / (double)s.n;
    double burst = (double)s.lost / (double)s.bursts;
    print_message("  Bernoulli(25%%): loss %.5f (%+.2f %%), mean burst %.4f vs %.4f\n", rate,
                  100 * (rate / 0.25 - 1), burst, 1 / 0.75);
    assert_true(fabs(rate / 0.25 - 1) < 0.01);
    assert_true(fabs(burst * 0.75 - 1) < 0.02);
}

/* ---- 3. Jitter ---- */

typedef struct jitter_stats {
    double sum_extra;
    uint64_t n, inversions, max_seq_seen;
    int64_t fixed;        /* serialisation + propagation */
    int64_t min_extra;
    int any;
} jitter_stats;

static void jitter_done(void *ctx, const ts_packet *p)
{
    jitter_stats *s = ctx;
    assert_int_equal(p->status, TS_MSG_DELIVERED);
    int64_t extra = p->received - p->sent - s->fixed;
    s->sum_extra += (double)extra;
    if (extra < s->min_extra)
        s->min_extra = extra;
    s->n++;
    if (s->any && p->seq < s->max_seq_seen)
        s->inversions++;
    if (!s->any || p->seq > s->max_seq_seen)
        s->max_seq_seen = p->seq;
    s->any = 1;
}

/* n messages of 125 B (1 us at 1 Gbit/s) every `gap`, 1 ms propagation. */
static jitter_stats run_jitter(const ts_dist *jitter, int reorder, uint64_t n, ts_time gap)
{
    ts_engine *engine = ts_engine_new(4096);
    jitter_stats s = {.fixed = TS_MS + TS_US, .min_extra = INT64_MAX};
    ts_net_link_desc link = {.a = 0, .b = 1, .latency_ns = TS_MS, .bandwidth_bps = 1e9,
                             .jitter = *jitter, .reorder_allowed = reorder,
                             .name = "jittery"};
    ts_network *net = make_net(engine, 2, &link, 1, NULL, 0, jitter_done, NULL, &s);
    for (uint64_t i = 0; i < n; i++) {
        ts_engine_run(engine, (ts_time)i * gap);
        send1(net, 0, 1, 125, i);
    }
    ts_engine_run(engine, (ts_time)n * gap + TS_S);
    assert_int_equal(s.n, n);
    ts_network_free(net);
    ts_engine_free(engine);
    return s;
}

static void test_jitter(void **state)
{
    (void)state;
    /* Reordering allowed, so nothing holds a message back: the mean added
     * delay is the distribution's mean. 1e5 draws give relative sds of
     * 0.13 % (normal), 0.18 % (uniform), 0.32 % (exponential) and 0.18 %
     * (Pareto, shape 3); the bound is 2 %. */
    ts_dist dists[] = {
        {.kind = TS_DIST_NORMAL, .a = 500e3, .b = 200e3},
        {.kind = TS_DIST_UNIFORM, .a = 0, .b = 1e6},
        {.kind = TS_DIST_EXPONENTIAL, .a = 300e3},
        {.kind = TS_DIST_PARETO, .a = 100e3, .b = 3},
    };
    for (size_t d = 0; d < sizeof dists / sizeof dists[0]; d++) {
        jitter_stats s = run_jitter(&dists[d], 1, 100000, 10 * TS_US);
        double mean = s.sum_extra / (double)s.n, want = ts_dist_mean(&dists[d]);
        print_message("  jitter %s: mean added %.2f us vs %.2f us (%+.2f %%), %llu overtaken\n",
                      ts_dist_kind_name(dists[d].kind), mean / 1e3, want / 1e3,
                      100 * (mean / want - 1), (unsigned long long)s.inversions);
        assert_true(fabs(mean / want - 1) < 0.02);
        assert_true(s.min_extra >= 0);
        assert_true(s.inversions > 0);   /* jitter >> gap: some overtake */
    }
    /* Forbidden: the same traffic arrives in send order, each message no
     * earlier than its own draw would put it. */
    jitter_stats s = run_jitter(&dists[0], 0, 100000, 10 * TS_US);
    assert_int_equal(s.inversions, 0);
    assert_true(s.min_extra >= 0);
    assert_true(s.sum_extra / (double)s.n >= ts_dist_mean(&dists[0]) * 0.98);
    /* With gaps far above the jitter's spread nothing is held back, and
     * the mean is the distribution's again. */
    ts_dist narrow = {.kind = TS_DIST_UNIFORM, .a = 0, .b = 50e3};
    s = run_jitter(&narrow, 0, 20000, 100 * TS_US);
    assert_int_equal(s.inversions, 0);
    assert_true(fabs(s.sum_extra / (double)s.n / 25e3 - 1) < 0.02);
}

/* ---- 4. MTU ---- */

typedef struct recorder {
    ts_packet p[64];
    ts_time at[64];       /* when each report came */
    int n;
    ts_platform_event ev[16];
    int n_ev;
    ts_engine *engine;
} recorder;

static void rec_done(void *ctx, const ts_packet *p)
{
    recorder *r = ctx;
    assert_true(r->n < 64);
    r->at[r->n] = ts_engine_now(r->engine);
    r->p[r->n++] = *p;
}

static void rec_event(void *ctx, const ts_platform_event *e)
{
    recorder *r = ctx;
    assert_true(r->n_ev < 16);
    r->ev[r->n_ev++] = *e;
}

static void test_mtu(void **state)
{
    (void)state;
    int64_t packets, wire;
    ts_fragments(4000, 1500, 40, &packets, &wire);
    assert_int_equal(packets, 3);          /* 1460 + 1460 + 1080 */
    assert_int_equal(wire, 4000 + 3 * 40);
    recorder r = {0};
    r.engine = ts_engine_new(64);
    ts_net_link_desc link = {.a = 0, .b = 1, .latency_ns = 500 * TS_US, .bandwidth_bps = 1e8,
                             .mtu_bytes = 1500, .header_bytes = 40};
    ts_network *net = make_net(r.engine, 2, &link, 1, NULL, 0, rec_done, NULL, &r);
    send1(net, 0, 1, 4000, 0);
    ts_engine_run(r.engine, TS_S);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.p[0].status, TS_MSG_DELIVERED);
    /* (4000 + 3 * 40) B * 8 / 100 Mbit/s = 329.6 us, + 500 us. */
    assert_int_equal(r.p[0].received, 329600 + 500 * TS_US);
    ts_link_counters c;
    ts_network_counters(net, 0, &c);
    assert_int_equal(c.sent_packets, 3);
    assert_int_equal(c.sent_messages, 1);
    assert_int_equal(c.sent_bytes, 4120);
    assert_int_equal(c.busy_ns, 329600);
    ts_network_free(net);
    ts_engine_free(r.engine);

    /* Per-fragment loss p = 0.1: a 3-fragment message is lost with
     * probability 1 - 0.9^3 = 0.271 (relative sd at n = 2e5: 0.37 %). */
    ts_loss_desc b = {.model = TS_LOSS_BERNOULLI, .p = 0.1};
    loss_stats s = run_loss(&b, 1500, 40, 4000, 200000, &c);
    double rate = (double)s.lost / (double)s.n;
    double want = 1 - pow(0.9, 3);
    double frag_rate = (double)c.lost_packets / (double)c.sent_packets;
    print_message("  MTU: message loss %.5f vs %.5f (%+.2f %%); fragment loss %.5f vs 0.1\n",
                  rate, want, 100 * (rate / want - 1), frag_rate);
    assert_true(fabs(rate / want - 1) < 0.02);
    assert_true(fabs(frag_rate / 0.1 - 1) < 0.02);
    assert_int_equal(c.sent_packets, 3 * s.n);
}

/* ---- 5. Shared medium ---- */

static void test_shared_medium(void **state)
{
    (void)state;
    /* Robots 0 and 1 reach the access point 2 over one 100 Mbit/s medium
     * (1 ms latency); the links' own 1 Gbit/s is ignored, their latency
     * (100 us, 200 us) adds. */
    ts_medium_desc air = {.capacity_bps = 1e8, .latency_ns = TS_MS, .name = "air"};
    ts_net_link_desc links[] = {
        {.a = 0, .b = 2, .latency_ns = 100 * TS_US, .bandwidth_bps = 1e9, .medium = 1},
        {.a = 1, .b = 2, .latency_ns = 200 * TS_US, .bandwidth_bps = 1e9, .medium = 1},
    };
    recorder r = {0};
    r.engine = ts_engine_new(64);
    ts_network *net = make_net(r.engine, 3, links, 2, &air, 1, rec_done, NULL, &r);
    /* Both directions and both links queue for one transmitter, in order:
     * 1500 B = 120 us, 3000 B = 240 us at 100 Mbit/s. */
    send1(net, 0, 2, 1500, 0);   /* air [0, 120) us */
    send1(net, 1, 2, 1500, 1);   /* air [120, 240) us */
    send1(net, 2, 0, 3000, 2);   /* air [240, 480) us */
    assert_int_equal(ts_routes_latency(ts_network_routes(net), 0, 2), 1100 * TS_US);
    ts_engine_run(r.engine, 200 * TS_US);
    ts_link_counters m, h;
    ts_network_medium_counters(net, 0, &m);
    assert_int_equal(m.busy_ns, 200 * TS_US);
    assert_int_equal(m.queue_bytes, 1500 + 3000);   /* one sending, one waiting */
    ts_network_counters(net, 2, &h);                /* link 1, a->b: its share */
    assert_int_equal(h.busy_ns, 80 * TS_US);
    ts_engine_run(r.engine, 10 * TS_MS);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.p[0].received, 120 * TS_US + TS_MS + 100 * TS_US);
    assert_int_equal(r.p[1].received, 240 * TS_US + TS_MS + 200 * TS_US);
    assert_int_equal(r.p[2].received, 480 * TS_US + TS_MS + 100 * TS_US);
    ts_network_medium_counters(net, 0, &m);
    assert_int_equal(m.busy_ns, 480 * TS_US);
    assert_int_equal(m.sent_messages, 3);
    assert_int_equal(m.queue_bytes, 0);

    /* At 10 ms robot 0 starts 1500 B; at 10.06 ms the medium drops to 50
     * Mbit/s and 2 ms: the message on the air sends its remaining bits at
     * the new rate, keeping its latency; the next one (robot 1, queued
     * behind it) uses the new rate and latency. */
    send1(net, 0, 2, 1500, 3);
    ts_engine_run(r.engine, 10 * TS_MS + 60 * TS_US);
    assert_int_equal(ts_network_set_medium(net, 0, 5e7, 2 * TS_MS), TS_OK);
    send1(net, 1, 2, 1500, 4);
    ts_engine_run(r.engine, 20 * TS_MS);
    assert_int_equal(r.n, 5);
    assert_int_equal(r.p[3].received, 10 * TS_MS + 180 * TS_US + TS_MS + 100 * TS_US);
    assert_int_equal(r.p[4].received, 10 * TS_MS + 180 * TS_US + 240 * TS_US + 2 * TS_MS +
                                          200 * TS_US);
    assert_int_equal(ts_network_set_medium(net, 1, 5e7, 0), TS_EINVAL);
    assert_int_equal(ts_network_set_medium(net, 0, 0, 0), TS_EINVAL);
    ts_network_free(net);
    ts_engine_free(r.engine);
}

/* ---- 6. Link down and up ---- */

static void test_link_down_reroute(void **state)
{
    (void)state;
    /* 0-1 direct (1 ms), or 0-2 (2 ms) then 2-1 (3 ms), or 2-1 slowly
     * (10 ms); all 100 Mbit/s, so 1250 B take 100 us, 12500 B 1 ms. */
    ts_net_link_desc links[] = {
        {.a = 0, .b = 1, .latency_ns = 1 * TS_MS, .bandwidth_bps = 1e8, .name = "direct"},
        {.a = 0, .b = 2, .latency_ns = 2 * TS_MS, .bandwidth_bps = 1e8, .name = "leg1"},
        {.a = 2, .b = 1, .latency_ns = 3 * TS_MS, .bandwidth_bps = 1e8, .name = "leg2"},
        {.a = 2, .b = 1, .latency_ns = 10 * TS_MS, .bandwidth_bps = 1e8, .name = "slow"},
    };
    recorder r = {0};
    r.engine = ts_engine_new(64);
    ts_network *net = make_net(r.engine, 3, links, 4, NULL, 0, rec_done, rec_event, &r);
    const ts_routes *rt = ts_network_routes(net);
    assert_int_equal(ts_routes_next_hop(rt, 0, 1), 0);
    assert_int_equal(ts_routes_latency(rt, 0, 1), TS_MS);

    /* Five 1 ms messages leave at 1, 2, 3, 4, 5 ms and would arrive at 2,
     * 3, 4, 5, 6 ms. At 2.5 ms the link fails: #0 has arrived, #1 is
     * propagating, #2 half sent, #3 and #4 queued. */
    for (int i = 0; i < 5; i++)
        send1(net, 0, 1, 12500, (uint64_t)i);
    ts_engine_run(r.engine, 2500 * TS_US);
    ts_link_counters c;
    ts_network_counters(net, 0, &c);
    assert_int_equal(c.busy_ns, 2500 * TS_US);
    assert_int_equal(c.queue_bytes, 3 * 12500);    /* #2 sending, #3, #4 */
    assert_int_equal(ts_network_set_link_up(net, 0, 0), TS_OK);
    assert_int_equal(ts_network_link_up(net, 0), 0);
    assert_int_equal(r.n, 5);
    assert_int_equal(r.p[0].status, TS_MSG_DELIVERED);
    assert_int_equal(r.p[0].received, 2 * TS_MS);
    for (int i = 1; i < 5; i++) {
        assert_int_equal(r.p[i].seq, i);
        assert_int_equal(r.p[i].status, TS_MSG_LINK_DOWN);
        assert_int_equal(r.at[i], 2500 * TS_US);
        assert_int_equal(r.p[i].received, -1);
    }
    assert_int_equal(r.n_ev, 2);
    assert_string_equal(ts_event_kind_name(r.ev[0].kind), "link_down");
    assert_int_equal(r.ev[0].link, 0);
    assert_int_equal(r.ev[0].time, 2500 * TS_US);
    assert_true(r.ev[0].value == 4);
    assert_string_equal(ts_event_kind_name(r.ev[1].kind), "route_change");
    ts_network_counters(net, 0, &c);
    assert_int_equal(c.down_messages, 4);
    assert_int_equal(c.up, 0);
    assert_int_equal(c.queue_bytes, 0);
    /* Busy time stops where the link died, now and later. */
    assert_int_equal(c.busy_ns, 2500 * TS_US);
    rt = ts_network_routes(net);
    assert_int_equal(ts_routes_next_hop(rt, 0, 1), 2);       /* leg1 a->b */
    assert_int_equal(ts_routes_latency(rt, 0, 1), 5 * TS_MS);

    /* The alternative path's exact latency: sent at 3 ms, 100 us + 2 ms
     * to node 2, 100 us + 3 ms on: 8.2 ms. */
    ts_engine_run(r.engine, 3 * TS_MS);
    send1(net, 0, 1, 1250, 5);
    ts_engine_run(r.engine, 8500 * TS_US);
    assert_int_equal(r.n, 6);
    assert_int_equal(r.p[5].status, TS_MSG_DELIVERED);
    assert_int_equal(r.p[5].received, 8200 * TS_US);
    ts_network_counters(net, 0, &c);
    assert_int_equal(c.busy_ns, 2500 * TS_US);

    /* #6 leaves at 8.5 ms; at 9 ms, while it is on leg1, leg2 fails: at
     * node 2 (10.6 ms) it takes the slow link: + 100 us + 10 ms. */
    send1(net, 0, 1, 1250, 6);
    ts_engine_run(r.engine, 9 * TS_MS);
    assert_int_equal(ts_network_set_link_up(net, 2, 0), TS_OK);
    ts_engine_run(r.engine, 21 * TS_MS);
    assert_int_equal(r.n, 7);
    assert_int_equal(r.p[6].status, TS_MSG_DELIVERED);
    assert_int_equal(r.p[6].received, 20700 * TS_US);
    /* #7 leaves at 21 ms; the slow link fails at 21.5 ms, before #7
     * reaches node 2 (23.1 ms), where no route is left. */
    send1(net, 0, 1, 1250, 7);
    ts_engine_run(r.engine, 21500 * TS_US);
    assert_int_equal(ts_network_set_link_up(net, 3, 0), TS_OK);
    assert_int_equal(ts_routes_next_hop(ts_network_routes(net), 2, 1), -1);
    ts_engine_run(r.engine, 25 * TS_MS);
    assert_int_equal(r.n, 8);
    assert_int_equal(r.p[7].status, TS_MSG_NO_ROUTE);
    assert_int_equal(r.at[7], 23100 * TS_US);
    assert_int_equal(r.n_ev, 6);
    assert_string_equal(ts_event_kind_name(r.ev[2].kind), "link_down");
    assert_string_equal(ts_event_kind_name(r.ev[3].kind), "route_change");
    assert_string_equal(ts_event_kind_name(r.ev[4].kind), "link_down");
    assert_string_equal(ts_event_kind_name(r.ev[5].kind), "route_change");

    /* Back up at 25 ms: the direct route returns, 1 ms + 100 us. */
    assert_int_equal(ts_network_set_link_up(net, 0, 1), TS_OK);
    assert_int_equal(ts_network_set_link_up(net, 0, 1), TS_OK);  /* no change: no event */
    assert_int_equal(r.n_ev, 8);
    assert_string_equal(ts_event_kind_name(r.ev[6].kind), "link_up");
    assert_string_equal(ts_event_kind_name(r.ev[7].kind), "route_change");
    rt = ts_network_routes(net);
    assert_int_equal(ts_routes_next_hop(rt, 0, 1), 0);
    assert_int_equal(ts_routes_latency(rt, 0, 1), TS_MS);
    send1(net, 0, 1, 1250, 8);
    ts_engine_run(r.engine, 30 * TS_MS);
    assert_int_equal(r.n, 9);
    assert_int_equal(r.p[8].status, TS_MSG_DELIVERED);
    assert_int_equal(r.p[8].received, 26100 * TS_US);
    ts_network_counters(net, 0, &c);
    assert_int_equal(c.up, 1);
    assert_int_equal(c.busy_ns, 2600 * TS_US);
    assert_int_equal(ts_network_set_link_up(net, 9, 0), TS_EINVAL);
    ts_network_free(net);
    ts_engine_free(r.engine);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mm1),
        cmocka_unit_test(test_md1),
        cmocka_unit_test(test_loss_gilbert_elliott),
        cmocka_unit_test(test_loss_bernoulli),
        cmocka_unit_test(test_jitter),
        cmocka_unit_test(test_mtu),
        cmocka_unit_test(test_shared_medium),
        cmocka_unit_test(test_link_down_reroute),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
