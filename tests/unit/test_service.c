/*
 * Tests for src/deploy/service.c driven through the fake runtime (1 ms
 * delivery latency unless a test says otherwise): round-robin and
 * least-outstanding picks, health-check timing (down at period + timeout,
 * thresholds, a reply at exactly the timeout, timeout == period, a dead
 * checker), requests to a dead replica timing out at exactly the timeout,
 * late responses, discovery, server queueing and crashes, colocated client
 * and server, refusals, description checks, and no allocation per request.
 * Expected times are worked out by hand in each test's comment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fake_runtime.h"
#include "toposim/alloc.h"
#include "toposim/deploy.h"
#include "toposim/error.h"

#define MS INT64_C(1000000)
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

enum { CHECKER = 20, CLIENT = 10, MAX_RESULTS = 512 };

/* ---- a small world: one service, up to 4 replicas, one client ---- */

typedef struct results {
    ts_svc_result r[MAX_RESULTS];
    size_t n;
} results;

static void on_done(void *ctx, const ts_svc_result *r)
{
    results *rs = ctx;
    if (rs->n < MAX_RESULTS)
        rs->r[rs->n] = *r;
    rs->n++;
}

typedef struct world {
    fake_runtime *f;
    ts_svc_registry *reg;
    ts_svc_responder *resp[4];
    ts_svc_server *srv[4];
    ts_svc_client *cli;
    ts_svc_replica reps[4];
    size_t n;
    results res;
} world;

typedef struct world_opts {
    size_t n_replicas;              /* endpoints 1..n */
    ts_svc_balance balance;
    int64_t period, probe_timeout;  /* 0: no health checks */
    int down_after, up_after;
    int64_t timeout;                /* request timeout */
    int64_t service_ns[4];          /* per replica fixed service time */
    int workers, max_queue;
    int max_outstanding;
} world_opts;

static world_opts default_opts(void)
{
    world_opts o;
    memset(&o, 0, sizeof o);
    o.n_replicas = 3;
    o.balance = TS_SVC_ROUND_ROBIN;
    o.period = 100 * MS;
    o.probe_timeout = 20 * MS;
    o.timeout = 50 * MS;
    for (int i = 0; i < 4; i++)
        o.service_ns[i] = 5 * MS;
    o.workers = 4;
    o.max_queue = 4;
    o.max_outstanding = 16;
    return o;
}

static world *world_new(const world_opts *o)
{
    static world w;
    memset(&w, 0, sizeof w);
    w.f = fake_runtime_new();
    assert_non_null(w.f);
    w.n = o->n_replicas;
    for (size_t i = 0; i < w.n; i++)
        w.reps[i] = (ts_svc_replica){(int)i + 1, 100 + (int)i};
    ts_svc_service_desc sd = {
        .name = "plan",
        .replicas = w.reps,
        .n_replicas = w.n,
        .balance = o->balance,
        .request_bytes = 200,
        .timeout_ns = o->timeout,
        .health_period_ns = o->period,
        .health_timeout_ns = o->probe_timeout,
        .down_after = o->down_after,
        .up_after = o->up_after,
    };
    ts_svc_registry_desc rd = {&sd, 1, CHECKER, 7, 0};
    ts_error err;
    assert_int_equal(ts_svc_registry_new(&w.f->rt, &rd, &w.reg, &err), TS_OK);
    for (size_t i = 0; i < w.n; i++) {
        assert_int_equal(ts_svc_responder_new(&w.f->rt, w.reps[i].endpoint, &w.resp[i], &err),
                         TS_OK);
        ts_svc_server_desc sv = {
            .endpoint = w.reps[i].endpoint,
            .node = w.reps[i].node,
            .workers = o->workers,
            .max_queue = o->max_queue,
            .service_time_ns = o->service_ns[i],
            .response_bytes = 1000,
        };
        assert_int_equal(ts_svc_server_new(&w.f->rt, &sv, &w.srv[i], &err), TS_OK);
    }
    ts_svc_client_desc cd = {
        .endpoint = CLIENT,
        .node = 0,
        .registry = w.reg,
        .max_outstanding = o->max_outstanding,
        .done = on_done,
        .done_ctx = &w.res,
    };
    assert_int_equal(ts_svc_client_new(&w.f->rt, &cd, &w.cli, &err), TS_OK);
    assert_int_equal(ts_svc_registry_start(w.reg), TS_OK);
    return &w;
}

static void world_free(world *w)
{
    ts_svc_client_free(w->cli);
    for (size_t i = 0; i < w->n; i++) {
        ts_svc_server_free(w->srv[i]);
        ts_svc_responder_free(w->resp[i]);
    }
    ts_svc_registry_free(w->reg);
    fake_runtime_free(w->f);
}

/* The endpoint each request went to, in send order. */
static size_t request_targets(const fake_runtime *f, int *to, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < f->n_sent && k < cap; i++)
        if (f->sent[i].port == TS_PORT_SERVICE && f->sent[i].kind == TS_SVC_MSG_REQUEST)
            to[k++] = f->sent[i].to;
    return k;
}

static void call_ok(world *w, uint64_t tag)
{
    assert_int_equal(ts_svc_client_call(w->cli, 0, tag, NULL), TS_OK);
}

/* ---- balancing ---- */

/* Three replicas, all live: 1,2,3,1,2,3. Replica 2 dies at 0+ (after the
 * first calls): the round at 100 ms gets no reply from it, so it is out at
 * 120 ms. The cursor is back at position 0 after six picks, so the next
 * four go 1,3,1,3. Every request completes: 1 + 5 + 1 = 7 ms after sending. */
static void test_round_robin_skips_down(void **state)
{
    (void)state;
    world_opts o = default_opts();
    world *w = world_new(&o);
    for (int i = 0; i < 6; i++)
        call_ok(w, (uint64_t)i);
    fake_runtime_run(w->f, 10 * MS);
    assert_int_equal(w->res.n, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(w->res.r[i].status, TS_SVC_OK);
        assert_int_equal(w->res.r[i].latency_ns, 7 * MS);
    }
    w->f->component_alive[2] = 0;
    fake_runtime_run(w->f, 119 * MS);
    assert_int_equal(ts_svc_registry_live(w->reg, 0, 1), 1);
    fake_runtime_run(w->f, 120 * MS);
    assert_int_equal(ts_svc_registry_live(w->reg, 0, 1), 0);
    for (int i = 0; i < 4; i++)
        call_ok(w, (uint64_t)(6 + i));
    fake_runtime_run(w->f, 140 * MS);
    int to[16];
    int expect[] = {1, 2, 3, 1, 2, 3, 1, 3, 1, 3};
    assert_int_equal(request_targets(w->f, to, N_OF(to)), N_OF(expect));
    for (size_t i = 0; i < N_OF(expect); i++)
        assert_int_equal(to[i], expect[i]);
    assert_int_equal(w->res.n, 10);
    for (size_t i = 0; i < 10; i++) {
        assert_int_equal(w->res.r[i].endpoint, expect[i]);
        assert_int_equal(w->res.r[i].tag, i);
        assert_int_equal(w->res.r[i].request_id, i + 1);
    }
    assert_int_equal(fake_runtime_count(w->f, "request_timeout"), 0);
    world_free(w);
}

/* Replica 1 is slow (50 ms), 2 and 3 fast (5 ms). At 0 three calls: all
 * counts 0, so 1 (tie, first), then 2, then 3. Replies from 2 and 3 land at
 * 7 ms; 1's at 52 ms. At 10, 20, 30, 40 ms two calls each: counts are
 * (1,0,0) -> 2 -> (1,1,0) -> 3, so all eight go 2,3,2,3... and replica 1
 * gets nothing more while it is loaded. At 60 ms it is idle again: three
 * calls go 1,2,3 once more. Round robin over the same calls would have sent
 * replica 1 every third. */
static void test_least_outstanding_avoids_slow(void **state)
{
    (void)state;
    world_opts o = default_opts();
    o.balance = TS_SVC_LEAST_OUTSTANDING;
    o.period = 0;
    o.timeout = 200 * MS;
    o.service_ns[0] = 50 * MS;
    world *w = world_new(&o);
    for (int i = 0; i < 3; i++)
        call_ok(w, 0);
    assert_int_equal(ts_svc_registry_outstanding(w->reg, 0, 0), 1);
    assert_int_equal(ts_svc_registry_outstanding(w->reg, 0, 1), 1);
    assert_int_equal(ts_svc_registry_outstanding(w->reg, 0, 2), 1);
    for (int step = 1; step <= 4; step++) {
        fake_runtime_run(w->f, step * 10 * MS);
        assert_int_equal(ts_svc_registry_outstanding(w->reg, 0, 0), 1);
        assert_int_equal(ts_svc_registry_outstanding(w->reg, 0, 1), 0);
        assert_int_equal(ts_svc_registry_outstanding(w->reg, 0, 2), 0);
        call_ok(w, 0);
        call_ok(w, 0);
    }
    fake_runtime_run(w->f, 60 * MS);
    assert_int_equal(ts_svc_registry_outstanding(w->reg, 0, 0), 0);
    for (int i = 0; i < 3; i++)
        call_ok(w, 0);
    fake_runtime_run(w->f, 200 * MS);
    int to[32];
    int expect[] = {1, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 1, 2, 3};
    assert_int_equal(request_targets(w->f, to, N_OF(to)), N_OF(expect));
    for (size_t i = 0; i < N_OF(expect); i++)
        assert_int_equal(to[i], expect[i]);
    /* The slow replica's two answers took 1 + 50 + 1 ms. */
    assert_int_equal(w->res.n, N_OF(expect));
    size_t slow = 0;
    for (size_t i = 0; i < w->res.n; i++)
        if (w->res.r[i].endpoint == 1) {
            assert_int_equal(w->res.r[i].latency_ns, 52 * MS);
            slow++;
        }
    assert_int_equal(slow, 2);
    for (int r = 0; r < 3; r++)
        assert_int_equal(ts_svc_registry_outstanding(w->reg, 0, r), 0);
    world_free(w);
}

/* ---- health checks ---- */

/* Period 100 ms, timeout 20 ms, latency 1 ms. Replica 2 is dead from 0:
 * the first round (100 ms) goes unanswered by it, so it is out at exactly
 * 120 ms, 120 ms after its last good news (the start). It stays out at
 * 220 ms without a second record. Restarted at 250 ms, it answers the
 * 300 ms probe at 302 ms and is back then, having been out 182 ms. */
static void test_health_down_and_up(void **state)
{
    (void)state;
    world_opts o = default_opts();
    world *w = world_new(&o);
    w->f->component_alive[2] = 0;
    fake_runtime_run(w->f, 120 * MS - 1);
    assert_int_equal(fake_runtime_count(w->f, "replica_down"), 0);
    fake_runtime_run(w->f, 120 * MS);
    assert_int_equal(fake_runtime_count(w->f, "replica_down"), 1);
    const fake_record *d = fake_runtime_find(w->f, "replica_down", 0);
    assert_int_equal(d->time, 120 * MS);
    assert_int_equal(d->component, 2);
    assert_int_equal(d->node, 101);
    assert_true(d->value == (double)(120 * MS));
    assert_non_null(strstr(d->detail, "plan"));
    fake_runtime_run(w->f, 250 * MS);
    assert_int_equal(fake_runtime_count(w->f, "replica_down"), 1);
    assert_int_equal(ts_svc_registry_live(w->reg, 0, 1), 0);
    w->f->component_alive[2] = 1;
    fake_runtime_run(w->f, 302 * MS - 1);
    assert_int_equal(ts_svc_registry_live(w->reg, 0, 1), 0);
    fake_runtime_run(w->f, 302 * MS);
    assert_int_equal(ts_svc_registry_live(w->reg, 0, 1), 1);
    assert_int_equal(fake_runtime_count(w->f, "replica_up"), 1);
    const fake_record *u = fake_runtime_find(w->f, "replica_up", 0);
    assert_int_equal(u->time, 302 * MS);
    assert_int_equal(u->component, 2);
    assert_true(u->value == (double)(182 * MS));
    fake_runtime_run(w->f, 1001 * MS);
    assert_int_equal(fake_runtime_count(w->f, "replica_down"), 1);
    assert_int_equal(fake_runtime_count(w->f, "replica_up"), 1);
    /* Rounds at 100..1000 ms (the last probe lands at 1001): 10 probes per
     * replica; the restarted one answered rounds 3..10 only. */
    assert_int_equal(fake_runtime_sent(w->f, TS_PORT_HEALTH, TS_SVC_MSG_PROBE), 30);
    assert_int_equal(ts_svc_responder_answered(w->resp[0]), 10);
    assert_int_equal(ts_svc_responder_answered(w->resp[1]), 8);
    world_free(w);
}

/* down_after 3, up_after 2: dead from 0, failures at rounds 100, 200, 300
 * ms, so out at 320 ms (value 320 ms since the start). Restarted at 350:
 * good replies at 402 and 502 ms, back at 502 (out 182 ms). A single miss
 * in between (one dropped probe) does not take a replica out. */
typedef struct drop_one {
    int64_t at;
    int to;
    fake_runtime *f;
} drop_one;

static int drop_probe(void *ctx, const ts_rt_message *m)
{
    drop_one *d = ctx;
    return m->port == TS_PORT_HEALTH && m->kind == TS_SVC_MSG_PROBE && m->to == d->to &&
           ts_rt_now(&d->f->rt) == d->at;
}

static void test_health_thresholds(void **state)
{
    (void)state;
    world_opts o = default_opts();
    o.down_after = 3;
    o.up_after = 2;
    world *w = world_new(&o);
    drop_one d = {100 * MS, 3, w->f};
    w->f->drop = drop_probe;
    w->f->drop_ctx = &d;
    w->f->component_alive[2] = 0;
    fake_runtime_run(w->f, 320 * MS - 1);
    assert_int_equal(ts_svc_registry_live(w->reg, 0, 1), 1);
    fake_runtime_run(w->f, 320 * MS);
    assert_int_equal(ts_svc_registry_live(w->reg, 0, 1), 0);
    const fake_record *r = fake_runtime_find(w->f, "replica_down", 0);
    assert_non_null(r);
    assert_int_equal(r->time, 320 * MS);
    assert_true(r->value == (double)(320 * MS));
    w->f->component_alive[2] = 1;
    fake_runtime_run(w->f, 402 * MS);
    assert_int_equal(ts_svc_registry_live(w->reg, 0, 1), 0);
    fake_runtime_run(w->f, 502 * MS - 1);
    assert_int_equal(ts_svc_registry_live(w->reg, 0, 1), 0);
    fake_runtime_run(w->f, 502 * MS);
    assert_int_equal(ts_svc_registry_live(w->reg, 0, 1), 1);
    r = fake_runtime_find(w->f, "replica_up", 0);
    assert_non_null(r);
    assert_int_equal(r->time, 502 * MS);
    assert_true(r->value == (double)(182 * MS));
    /* Replica 3 lost one probe only: never out. */
    assert_int_equal(w->f->dropped, 1);
    assert_int_equal(fake_runtime_count(w->f, "replica_down"), 1);
    world_free(w);
}

/* Latency 10 ms: a reply comes 20 ms after its probe, exactly at a 20 ms
 * timeout, and loses (the timeout was armed first): every replica is out at
 * 120 ms. With a 21 ms timeout nothing is ever out. */
static void test_health_reply_at_timeout_loses(void **state)
{
    (void)state;
    world_opts o = default_opts();
    world *w = world_new(&o);
    w->f->latency_ns = 10 * MS;
    fake_runtime_run(w->f, 120 * MS);
    assert_int_equal(fake_runtime_count(w->f, "replica_down"), 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(fake_runtime_find(w->f, "replica_down", i)->time, 120 * MS);
    size_t n = 99;
    assert_int_equal(ts_svc_registry_lookup(w->reg, "plan", NULL, 0, &n), TS_OK);
    assert_int_equal(n, 0);
    assert_int_equal(ts_svc_client_call(w->cli, 0, 0, NULL), TS_ENOENT);
    assert_int_equal(fake_runtime_count(w->f, "request_no_replica"), 1);
    world_free(w);

    o.probe_timeout = 21 * MS;
    w = world_new(&o);
    w->f->latency_ns = 10 * MS;
    fake_runtime_run(w->f, 1000 * MS);
    assert_int_equal(fake_runtime_count(w->f, "replica_down"), 0);
    world_free(w);
}

/* timeout == period (100 ms): the round at 100 ms is judged when the next
 * one starts, at 200 ms = period + timeout, once. */
static void test_health_timeout_equals_period(void **state)
{
    (void)state;
    world_opts o = default_opts();
    o.probe_timeout = 100 * MS;
    world *w = world_new(&o);
    w->f->component_alive[3] = 0;
    fake_runtime_run(w->f, 200 * MS - 1);
    assert_int_equal(fake_runtime_count(w->f, "replica_down"), 0);
    fake_runtime_run(w->f, 200 * MS);
    assert_int_equal(fake_runtime_count(w->f, "replica_down"), 1);
    const fake_record *r = fake_runtime_find(w->f, "replica_down", 0);
    assert_int_equal(r->time, 200 * MS);
    assert_int_equal(r->component, 3);
    fake_runtime_run(w->f, 1000 * MS);
    assert_int_equal(fake_runtime_count(w->f, "replica_down"), 1);
    world_free(w);
}

/* While the checker's component is down it neither probes nor judges: no
 * replica is taken out although no reply can reach it. Back up, the next
 * round (at 400 ms) probes again. */
static void test_health_checker_down(void **state)
{
    (void)state;
    world_opts o = default_opts();
    world *w = world_new(&o);
    w->f->component_alive[CHECKER] = 0;
    fake_runtime_run(w->f, 350 * MS);
    assert_int_equal(fake_runtime_sent(w->f, TS_PORT_HEALTH, TS_SVC_MSG_PROBE), 0);
    assert_int_equal(fake_runtime_count(w->f, "replica_down"), 0);
    w->f->component_alive[CHECKER] = 1;
    fake_runtime_run(w->f, 450 * MS);
    assert_int_equal(fake_runtime_sent(w->f, TS_PORT_HEALTH, TS_SVC_MSG_PROBE), 3);
    assert_int_equal(fake_runtime_sent(w->f, TS_PORT_HEALTH, TS_SVC_MSG_PROBE_REPLY), 3);
    assert_int_equal(fake_runtime_count(w->f, "replica_down"), 0);
    world_free(w);
}

/* A replica that is not ready lets probes go unanswered, although alive. */
static void test_health_not_ready(void **state)
{
    (void)state;
    world_opts o = default_opts();
    world *w = world_new(&o);
    ts_svc_responder_set_ready(w->resp[0], 0);
    fake_runtime_run(w->f, 120 * MS);
    assert_int_equal(ts_svc_registry_live(w->reg, 0, 0), 0);
    assert_int_equal(ts_svc_responder_ignored(w->resp[0]), 1);
    ts_svc_responder_set_ready(w->resp[0], 1);
    fake_runtime_run(w->f, 202 * MS);
    assert_int_equal(ts_svc_registry_live(w->reg, 0, 0), 1);
    world_free(w);
}

/* ---- discovery ---- */

static void test_discovery_reflects_health(void **state)
{
    (void)state;
    world_opts o = default_opts();
    world *w = world_new(&o);
    int eps[4];
    size_t n;
    assert_int_equal(ts_svc_registry_find(w->reg, "plan"), 0);
    assert_int_equal(ts_svc_registry_find(w->reg, "nope"), -1);
    assert_int_equal(ts_svc_registry_lookup(w->reg, "nope", eps, 4, &n), TS_ENOENT);
    assert_int_equal(ts_svc_registry_lookup(w->reg, "plan", eps, 4, &n), TS_OK);
    assert_int_equal(n, 3);
    assert_int_equal(eps[0], 1);
    assert_int_equal(eps[1], 2);
    assert_int_equal(eps[2], 3);
    w->f->component_alive[1] = 0;
    w->f->component_alive[3] = 0;
    fake_runtime_run(w->f, 120 * MS);
    assert_int_equal(ts_svc_registry_lookup(w->reg, "plan", eps, 4, &n), TS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(eps[0], 2);
    w->f->component_alive[3] = 1;
    fake_runtime_run(w->f, 202 * MS);
    /* cap smaller than the answer: n says how many there are. */
    eps[1] = -7;
    assert_int_equal(ts_svc_registry_lookup(w->reg, "plan", eps, 1, &n), TS_OK);
    assert_int_equal(n, 2);
    assert_int_equal(eps[0], 2);
    assert_int_equal(eps[1], -7);
    assert_int_equal(ts_svc_registry_lookup(w->reg, "plan", eps, 4, &n), TS_OK);
    assert_int_equal(eps[1], 3);
    assert_int_equal(ts_svc_registry_services(w->reg), 1);
    assert_int_equal(ts_svc_registry_replicas(w->reg, 0), 3);
    assert_int_equal(ts_svc_registry_endpoint(w->reg, 0, 2), 3);
    assert_int_equal(ts_svc_registry_endpoint(w->reg, 0, 3), -1);
    assert_int_equal(ts_svc_registry_live(w->reg, 1, 0), -1);
    world_free(w);
}

/* ---- requests ---- */

/* Replica 1 dies at 5 ms; the checker (period 100) has not noticed when a
 * request goes to it at 10 ms, so it times out at exactly 10 + 50 = 60 ms;
 * its outstanding count is back to 0 then. The next pick (replica 2) is
 * answered at 17 ms. */
static void test_request_to_dead_replica_times_out(void **state)
{
    (void)state;
    world_opts o = default_opts();
    world *w = world_new(&o);
    fake_runtime_run(w->f, 5 * MS);
    w->f->component_alive[1] = 0;
    fake_runtime_run(w->f, 10 * MS);
    uint64_t id1, id2;
    assert_int_equal(ts_svc_client_call(w->cli, 0, 41, &id1), TS_OK);
    assert_int_equal(ts_svc_client_call(w->cli, 0, 42, &id2), TS_OK);
    assert_int_equal(id1, 1);
    assert_int_equal(id2, 2);
    assert_int_equal(ts_svc_registry_outstanding(w->reg, 0, 0), 1);
    assert_int_equal(ts_svc_client_outstanding(w->cli), 2);
    fake_runtime_run(w->f, 60 * MS - 1);
    assert_int_equal(w->res.n, 1);
    assert_int_equal(w->res.r[0].request_id, 2);
    assert_int_equal(w->res.r[0].latency_ns, 7 * MS);
    assert_int_equal(ts_svc_registry_outstanding(w->reg, 0, 0), 1);
    fake_runtime_run(w->f, 60 * MS);
    assert_int_equal(w->res.n, 2);
    const ts_svc_result *r = &w->res.r[1];
    assert_int_equal(r->request_id, 1);
    assert_int_equal(r->tag, 41);
    assert_int_equal(r->status, TS_SVC_TIMEOUT);
    assert_int_equal(r->endpoint, 1);
    assert_int_equal(r->replica, 0);
    assert_int_equal(r->sent_ns, 10 * MS);
    assert_int_equal(r->latency_ns, 50 * MS);
    assert_int_equal(ts_svc_registry_outstanding(w->reg, 0, 0), 0);
    assert_int_equal(ts_svc_client_outstanding(w->cli), 0);
    assert_int_equal(fake_runtime_count(w->f, "request_timeout"), 1);
    const fake_record *t = fake_runtime_find(w->f, "request_timeout", 0);
    assert_int_equal(t->time, 60 * MS);
    assert_int_equal(t->component, CLIENT);
    assert_true(t->value == (double)(50 * MS));
    ts_svc_client_stats st;
    ts_svc_client_stats_get(w->cli, &st);
    assert_int_equal(st.sent, 2);
    assert_int_equal(st.completed, 1);
    assert_int_equal(st.timeouts, 1);
    /* Then the checker takes it out (at 120 ms) and nothing more goes there. */
    fake_runtime_run(w->f, 120 * MS);
    assert_int_equal(ts_svc_registry_live(w->reg, 0, 0), 0);
    world_free(w);
}

/* max_outstanding 1. Replica 1 is slow (80 ms), 2 fast. Call 1 at 0 -> 1,
 * times out at 50 (record at 50). Call 2 at 60 -> 2 reuses the slot, done
 * at 67. Call 3 at 75 -> 1 again, same slot. The late response to call 1
 * arrives at 82 and finds the slot holding call 3: ignored, counted,
 * "response_late" value 82 ms. Call 3 is unaffected (still in flight). */
static void test_late_response_ignored(void **state)
{
    (void)state;
    world_opts o = default_opts();
    o.n_replicas = 2;
    o.period = 0;
    o.max_outstanding = 1;
    o.service_ns[0] = 80 * MS;
    world *w = world_new(&o);
    call_ok(w, 1);
    assert_int_equal(ts_svc_client_call(w->cli, 0, 9, NULL), TS_ERANGE);
    assert_int_equal(fake_runtime_count(w->f, "request_rejected"), 1);
    fake_runtime_run(w->f, 50 * MS);
    assert_int_equal(w->res.n, 1);
    assert_int_equal(w->res.r[0].status, TS_SVC_TIMEOUT);
    fake_runtime_run(w->f, 60 * MS);
    call_ok(w, 2);
    fake_runtime_run(w->f, 75 * MS);
    assert_int_equal(w->res.n, 2);
    assert_int_equal(w->res.r[1].status, TS_SVC_OK);
    assert_int_equal(w->res.r[1].endpoint, 2);
    assert_int_equal(w->res.r[1].latency_ns, 7 * MS);
    call_ok(w, 3);
    fake_runtime_run(w->f, 82 * MS);
    ts_svc_client_stats st;
    ts_svc_client_stats_get(w->cli, &st);
    assert_int_equal(st.late, 1);
    assert_int_equal(st.completed, 1);
    assert_int_equal(st.rejected, 1);
    assert_int_equal(w->res.n, 2);
    assert_int_equal(ts_svc_client_outstanding(w->cli), 1);
    const fake_record *l = fake_runtime_find(w->f, "response_late", 0);
    assert_non_null(l);
    assert_int_equal(l->time, 82 * MS);
    assert_true(l->value == (double)(82 * MS));
    /* Call 3 is served at once (4 workers): its timeout fires at 125 ms;
     * its own response comes at 76 + 80 + 1 = 157 ms and is late too. */
    fake_runtime_run(w->f, 200 * MS);
    assert_int_equal(w->res.n, 3);
    assert_int_equal(w->res.r[2].request_id, 3);
    assert_int_equal(w->res.r[2].status, TS_SVC_TIMEOUT);
    ts_svc_client_stats_get(w->cli, &st);
    assert_int_equal(st.late, 2);
    assert_int_equal(fake_runtime_find(w->f, "response_late", 1)->time, 157 * MS);
    assert_int_equal(ts_svc_registry_outstanding(w->reg, 0, 0), 0);
    world_free(w);
}

/* One worker, queue of 1, 10 ms each: three requests at 0 arrive at 1 ms;
 * the first is served 1..11 (answered at 12), the second waits and is
 * served 11..21 (answered at 22), the third is dropped. */
static void test_server_queue_and_drop(void **state)
{
    (void)state;
    world_opts o = default_opts();
    o.n_replicas = 1;
    o.period = 0;
    o.workers = 1;
    o.max_queue = 1;
    o.service_ns[0] = 10 * MS;
    world *w = world_new(&o);
    for (int i = 0; i < 3; i++)
        call_ok(w, (uint64_t)i);
    fake_runtime_run(w->f, 1 * MS);
    assert_int_equal(ts_svc_server_pending(w->srv[0]), 2);
    assert_int_equal(fake_runtime_count(w->f, "request_dropped"), 1);
    const fake_record *d = fake_runtime_find(w->f, "request_dropped", 0);
    assert_int_equal(d->component, 1);
    assert_int_equal(d->node, 100);
    assert_true(d->value == 2.0);
    fake_runtime_run(w->f, 100 * MS);
    assert_int_equal(w->res.n, 3);
    assert_int_equal(w->res.r[0].latency_ns, 12 * MS);
    assert_int_equal(w->res.r[1].latency_ns, 22 * MS);
    assert_int_equal(w->res.r[2].status, TS_SVC_TIMEOUT);
    assert_int_equal(w->res.r[2].request_id, 3);
    ts_svc_server_stats st;
    ts_svc_server_stats_get(w->srv[0], &st);
    assert_int_equal(st.received, 2);
    assert_int_equal(st.served, 2);
    assert_int_equal(st.dropped, 1);
    /* The response carries the server's declared size. */
    size_t resp = 0;
    for (size_t i = 0; i < w->f->n_sent; i++)
        if (w->f->sent[i].kind == TS_SVC_MSG_RESPONSE && w->f->sent[i].port == TS_PORT_SERVICE) {
            assert_int_equal(w->f->sent[i].wire_bytes, 1000);
            resp++;
        } else if (w->f->sent[i].port == TS_PORT_SERVICE) {
            assert_int_equal(w->f->sent[i].wire_bytes, 200);
        }
    assert_int_equal(resp, 2);
    world_free(w);
}

/* A server that crashes while serving answers nothing, even after a
 * restart within the service time: it finds itself down... or, when the
 * glue reports the restart, it has forgotten the request. Two requests in
 * service on replica 1 (20 ms), crash at 5 ms, restart at 8 ms with
 * ts_svc_server_reset: both time out at 50 ms; a new request at 60 ms is
 * answered normally. */
static void test_server_crash_forgets(void **state)
{
    (void)state;
    world_opts o = default_opts();
    o.n_replicas = 1;
    o.period = 0;
    o.service_ns[0] = 20 * MS;
    world *w = world_new(&o);
    call_ok(w, 0);
    call_ok(w, 1);
    fake_runtime_run(w->f, 5 * MS);
    assert_int_equal(ts_svc_server_pending(w->srv[0]), 2);
    w->f->component_alive[1] = 0;
    fake_runtime_run(w->f, 8 * MS);
    w->f->component_alive[1] = 1;
    ts_svc_server_reset(w->srv[0]);
    assert_int_equal(ts_svc_server_pending(w->srv[0]), 0);
    fake_runtime_run(w->f, 60 * MS);
    assert_int_equal(w->res.n, 2);
    assert_int_equal(w->res.r[0].status, TS_SVC_TIMEOUT);
    assert_int_equal(w->res.r[1].status, TS_SVC_TIMEOUT);
    call_ok(w, 2);
    fake_runtime_run(w->f, 100 * MS);
    assert_int_equal(w->res.n, 3);
    assert_int_equal(w->res.r[2].status, TS_SVC_OK);
    assert_int_equal(w->res.r[2].latency_ns, 22 * MS);
    ts_svc_server_stats st;
    ts_svc_server_stats_get(w->srv[0], &st);
    assert_int_equal(st.discarded, 2);
    assert_int_equal(st.served, 1);
    assert_int_equal(fake_runtime_count(w->f, "response_late"), 0);

    /* Without the reset: still down when service ends, so both requests
     * are discarded at 21 ms (the first one's end). */
    world_free(w);
    w = world_new(&o);
    call_ok(w, 0);
    call_ok(w, 1);
    fake_runtime_run(w->f, 5 * MS);
    w->f->component_alive[1] = 0;
    fake_runtime_run(w->f, 21 * MS);
    ts_svc_server_stats_get(w->srv[0], &st);
    assert_int_equal(st.discarded, 2);
    assert_int_equal(st.served, 0);
    assert_int_equal(ts_svc_server_pending(w->srv[0]), 0);
    fake_runtime_run(w->f, 100 * MS);
    assert_int_equal(fake_runtime_sent(w->f, TS_PORT_SERVICE, TS_SVC_MSG_RESPONSE), 0);
    world_free(w);
}

/* Endpoint 5 serves "front" and calls "back" (served by 6) while serving:
 * its service-time callback sends the downstream call. One listener per
 * endpoint and port: the client rides on the colocated server. */
typedef struct front_ctx {
    ts_svc_client *cli;
    int called;
} front_ctx;

static int64_t front_time(void *ctx, const ts_rt_message *req, int64_t *response_bytes)
{
    front_ctx *fc = ctx;
    (void)req;
    *response_bytes = 333;
    if (fc->cli && ts_svc_client_call(fc->cli, 1, 7, NULL) == TS_OK)
        fc->called++;
    return 3 * MS;
}

static void test_colocated_client_and_server(void **state)
{
    (void)state;
    fake_runtime *f = fake_runtime_new();
    ts_svc_replica front[] = {{5, -1}}, back[] = {{6, -1}};
    ts_svc_service_desc sd[] = {
        {.name = "front", .replicas = front, .n_replicas = 1, .request_bytes = 10,
         .timeout_ns = 50 * MS},
        {.name = "back", .replicas = back, .n_replicas = 1, .request_bytes = 20,
         .timeout_ns = 50 * MS},
    };
    ts_svc_registry_desc rd = {sd, 2, -1, -1, 0};
    ts_svc_registry *reg;
    ts_error err;
    assert_int_equal(ts_svc_registry_new(&f->rt, &rd, &reg, &err), TS_OK);
    assert_int_equal(ts_svc_registry_start(reg), TS_OK);
    front_ctx fc = {NULL, 0};
    ts_svc_server_desc s5 = {.endpoint = 5, .node = -1, .workers = 1, .service_time = front_time,
                             .service_ctx = &fc, .response_bytes = 1};
    ts_svc_server_desc s6 = {.endpoint = 6, .node = -1, .workers = 1,
                             .service_time_ns = 4 * MS, .response_bytes = 44};
    ts_svc_server *srv5, *srv6;
    assert_int_equal(ts_svc_server_new(&f->rt, &s5, &srv5, &err), TS_OK);
    assert_int_equal(ts_svc_server_new(&f->rt, &s6, &srv6, &err), TS_OK);
    results r5, r9;
    memset(&r5, 0, sizeof r5);
    memset(&r9, 0, sizeof r9);
    ts_svc_client_desc c5 = {.endpoint = 5, .node = -1, .registry = reg, .max_outstanding = 2,
                             .done = on_done, .done_ctx = &r5, .colocated = srv5};
    ts_svc_client_desc c9 = {.endpoint = 9, .node = -1, .registry = reg, .max_outstanding = 2,
                             .done = on_done, .done_ctx = &r9};
    ts_svc_client *cli5, *cli9;
    assert_int_equal(ts_svc_client_new(&f->rt, &c5, &cli5, &err), TS_OK);
    /* A second client on the same server is refused. */
    ts_svc_client *dup;
    assert_int_equal(ts_svc_client_new(&f->rt, &c5, &dup, &err), TS_EINVAL);
    assert_int_equal(ts_svc_client_new(&f->rt, &c9, &cli9, &err), TS_OK);
    fc.cli = cli5;
    assert_int_equal(ts_svc_client_call(cli9, 0, 1, NULL), TS_OK);
    fake_runtime_run(f, 100 * MS);
    /* 9 -> 5 arrives at 1, served 1..4, answered at 5: 5 ms. Meanwhile
     * 5 -> 6 sent at 1, arrives 2, served 2..6, answered at 7: 6 ms. */
    assert_int_equal(fc.called, 1);
    assert_int_equal(r9.n, 1);
    assert_int_equal(r9.r[0].status, TS_SVC_OK);
    assert_int_equal(r9.r[0].latency_ns, 5 * MS);
    assert_int_equal(r5.n, 1);
    assert_int_equal(r5.r[0].status, TS_SVC_OK);
    assert_int_equal(r5.r[0].service, 1);
    assert_int_equal(r5.r[0].endpoint, 6);
    assert_int_equal(r5.r[0].latency_ns, 6 * MS);
    size_t checked = 0;
    for (size_t i = 0; i < f->n_sent; i++)
        if (f->sent[i].kind == TS_SVC_MSG_RESPONSE && f->sent[i].from == 5) {
            assert_int_equal(f->sent[i].wire_bytes, 333);
            checked++;
        }
    assert_int_equal(checked, 1);
    ts_svc_client_free(cli5);
    ts_svc_client_free(cli9);
    ts_svc_server_free(srv5);
    ts_svc_server_free(srv6);
    ts_svc_registry_free(reg);
    fake_runtime_free(f);
}

/* ---- allocation and validation ---- */

/* A closed loop: every completion sends the next request, 2000 requests
 * over 4 in flight; the live allocation count never moves. */
typedef struct loop_ctx {
    ts_svc_client *cli;
    long left;
    long done;
    long live_at_start;
    long live_changes;
} loop_ctx;

static void on_loop_done(void *ctx, const ts_svc_result *r)
{
    loop_ctx *l = ctx;
    (void)r;
    l->done++;
    if (ts_alloc_live() != l->live_at_start)
        l->live_changes++;
    if (l->left > 0 && ts_svc_client_call(l->cli, 0, 0, NULL) == TS_OK)
        l->left--;
}

static void test_no_allocation_per_request(void **state)
{
    (void)state;
    long before = ts_alloc_live();
    fake_runtime *f = fake_runtime_new();
    ts_svc_replica reps[] = {{1, -1}, {2, -1}, {3, -1}};
    ts_svc_service_desc sd = {.name = "loop", .replicas = reps, .n_replicas = 3,
                              .balance = TS_SVC_LEAST_OUTSTANDING, .request_bytes = 8,
                              .timeout_ns = 4 * MS, .health_period_ns = 10 * MS,
                              .health_timeout_ns = 5 * MS};
    ts_svc_registry_desc rd = {&sd, 1, CHECKER, -1, 0};
    ts_svc_registry *reg;
    ts_error err;
    assert_int_equal(ts_svc_registry_new(&f->rt, &rd, &reg, &err), TS_OK);
    ts_svc_responder *resp[3];
    ts_svc_server *srv[3];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ts_svc_responder_new(&f->rt, i + 1, &resp[i], &err), TS_OK);
        /* Replica 3 is too slow for the timeout: timeouts and late
         * responses are part of the loop. */
        ts_svc_server_desc sv = {.endpoint = i + 1, .node = -1, .workers = 2, .max_queue = 2,
                                 .service_time_ns = i == 2 ? 5 * MS : 1 * MS,
                                 .response_bytes = 16};
        assert_int_equal(ts_svc_server_new(&f->rt, &sv, &srv[i], &err), TS_OK);
    }
    loop_ctx l = {NULL, 2000, 0, 0, 0};
    ts_svc_client_desc cd = {.endpoint = CLIENT, .node = -1, .registry = reg,
                             .max_outstanding = 4, .done = on_loop_done, .done_ctx = &l};
    ts_svc_client *cli;
    assert_int_equal(ts_svc_client_new(&f->rt, &cd, &cli, &err), TS_OK);
    l.cli = cli;
    assert_int_equal(ts_svc_registry_start(reg), TS_OK);
    l.live_at_start = ts_alloc_live();
    for (int i = 0; i < 4; i++) {
        assert_int_equal(ts_svc_client_call(cli, 0, 0, NULL), TS_OK);
        l.left--;
    }
    assert_int_equal(ts_alloc_live(), l.live_at_start);
    fake_runtime_run(f, 10000 * MS);
    assert_int_equal(l.done, 2000);
    assert_int_equal(l.live_changes, 0);
    assert_int_equal(ts_alloc_live(), l.live_at_start);
    ts_svc_client_stats st;
    ts_svc_client_stats_get(cli, &st);
    assert_int_equal(st.sent, 2000);
    assert_int_equal(st.completed + st.timeouts, 2000);
    assert_true(st.completed > 0);
    assert_int_equal(ts_svc_client_outstanding(cli), 0);
    ts_svc_client_free(cli);
    for (int i = 0; i < 3; i++) {
        ts_svc_server_free(srv[i]);
        ts_svc_responder_free(resp[i]);
    }
    ts_svc_registry_free(reg);
    fake_runtime_free(f);
    assert_int_equal(ts_alloc_live(), before);
}

/* Freeing a client with requests in flight releases the registry's counts
 * and leaves nothing to fire. */
static void test_client_free_in_flight(void **state)
{
    (void)state;
    world_opts o = default_opts();
    o.period = 0;
    world *w = world_new(&o);
    call_ok(w, 0);
    call_ok(w, 1);
    assert_int_equal(ts_svc_registry_outstanding(w->reg, 0, 0), 1);
    ts_svc_client_free(w->cli);
    w->cli = NULL;
    assert_int_equal(ts_svc_registry_outstanding(w->reg, 0, 0), 0);
    assert_int_equal(ts_svc_registry_outstanding(w->reg, 0, 1), 0);
    fake_runtime_run(w->f, 200 * MS);
    assert_int_equal(w->res.n, 0);
    assert_int_equal(fake_runtime_count(w->f, "request_timeout"), 0);
    world_free(w);
}

static void test_description_checks(void **state)
{
    (void)state;
    fake_runtime *f = fake_runtime_new();
    long before = ts_alloc_live();
    ts_svc_replica reps[] = {{1, -1}};
    ts_svc_service_desc good = {.name = "a", .replicas = reps, .n_replicas = 1,
                                .timeout_ns = MS, .health_period_ns = 10 * MS,
                                .health_timeout_ns = 10 * MS};
    ts_svc_registry *reg = NULL;
    ts_error err;
    struct {
        ts_svc_service_desc sd;
        int checker;
        const char *needle;
    } bad[] = {
        {good, -1, "checker"},
        {good, CHECKER, NULL},
    };
    bad[1].sd.health_timeout_ns = 11 * MS;
    bad[1].needle = "(0, period]";
    for (size_t i = 0; i < N_OF(bad); i++) {
        ts_svc_registry_desc rd = {&bad[i].sd, 1, bad[i].checker, -1, 0};
        assert_int_equal(ts_svc_registry_new(&f->rt, &rd, &reg, &err), TS_EINVAL);
        assert_null(reg);
        assert_non_null(strstr(err.msg, bad[i].needle));
    }
    ts_svc_service_desc sd = good;
    sd.timeout_ns = 0;
    ts_svc_registry_desc rd = {&sd, 1, CHECKER, -1, 0};
    assert_int_equal(ts_svc_registry_new(&f->rt, &rd, &reg, &err), TS_EINVAL);
    assert_non_null(strstr(err.msg, "timeout"));
    sd = good;
    sd.n_replicas = 0;
    assert_int_equal(ts_svc_registry_new(&f->rt, &rd, &reg, &err), TS_EINVAL);
    ts_svc_service_desc two[] = {good, good};
    rd.services = two;
    rd.n_services = 2;
    assert_int_equal(ts_svc_registry_new(&f->rt, &rd, &reg, &err), TS_EINVAL);
    assert_non_null(strstr(err.msg, "twice"));

    ts_svc_server *srv = NULL;
    ts_svc_server_desc sv = {.endpoint = 1, .workers = 0};
    assert_int_equal(ts_svc_server_new(&f->rt, &sv, &srv, &err), TS_EINVAL);
    assert_null(srv);
    ts_svc_client *cli = NULL;
    ts_svc_client_desc cd = {.endpoint = 2, .registry = NULL, .max_outstanding = 1};
    assert_int_equal(ts_svc_client_new(&f->rt, &cd, &cli, &err), TS_EINVAL);
    assert_null(cli);

    /* A failing allocation leaks nothing. */
    rd.services = &good;
    rd.n_services = 1;
    for (long n = 1; n <= 3; n++) {
        ts_alloc_fail_after(n);
        int rc = ts_svc_registry_new(&f->rt, &rd, &reg, &err);
        ts_alloc_fail_after(0);
        if (rc == TS_OK)
            ts_svc_registry_free(reg);
        else
            assert_int_equal(rc, TS_ENOMEM);
    }
    assert_int_equal(ts_alloc_live(), before);
    fake_runtime_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_robin_skips_down),
        cmocka_unit_test(test_least_outstanding_avoids_slow),
        cmocka_unit_test(test_health_down_and_up),
        cmocka_unit_test(test_health_thresholds),
        cmocka_unit_test(test_health_reply_at_timeout_loses),
        cmocka_unit_test(test_health_timeout_equals_period),
        cmocka_unit_test(test_health_checker_down),
        cmocka_unit_test(test_health_not_ready),
        cmocka_unit_test(test_discovery_reflects_health),
        cmocka_unit_test(test_request_to_dead_replica_times_out),
        cmocka_unit_test(test_late_response_ignored),
        cmocka_unit_test(test_server_queue_and_drop),
        cmocka_unit_test(test_server_crash_forgets),
        cmocka_unit_test(test_colocated_client_and_server),
        cmocka_unit_test(test_no_allocation_per_request),
        cmocka_unit_test(test_client_free_in_flight),
        cmocka_unit_test(test_description_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
