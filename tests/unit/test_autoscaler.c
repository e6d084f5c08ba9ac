/*
 * The autoscaler (src/deploy/autoscaler.c) on the fake runtime: the load
 * is requests a client sends to replicas that never answer, so the
 * number in flight is exactly what the test put there until the request
 * timeout, and every decision follows by hand. Covers the HPA formula and
 * its tolerance band, the up and down stabilisation windows (strictly
 * newer than now - window), cold starts, drains, a scale-in that cancels
 * a starting replica and a scale-out that revives a draining one, the
 * descriptions it refuses, and the same rule over a pool of members that
 * is no registry's service (its own load integral and membership).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "toposim/deploy_autoscale.h"
#include "toposim/deploy_service.h"

#include "fake_runtime.h"

#define MS 1000000LL
#define S 1000000000LL
#define CLIENT 10

typedef struct world {
    fake_runtime *f;
    ts_svc_registry *reg;
    ts_svc_client *cli;
    ts_as *as;
} world;

static ts_as_desc policy(void)
{
    ts_as_desc d = {
        .name = "svc",
        .service = 0,
        .min_replicas = 1,
        .max_replicas = 4,
        .target = 1.0,
        .tolerance = 0.1,
        .period_ns = 1 * S,
        .up_window_ns = 0,
        .down_window_ns = 0,
        .cold_start_ns = 500 * MS,
        .drain_ns = 100 * MS,
        .price_per_hour = 1.0,
    };
    return d;
}

/* Four replica slots (endpoints 0..3) that never answer; requests time out
 * after `timeout`. */
static void world_init(world *w, const ts_as_desc *d, int64_t timeout)
{
    memset(w, 0, sizeof *w);
    w->f = fake_runtime_new();
    assert_non_null(w->f);
    static const ts_svc_replica reps[4] = {{0, -1}, {1, -1}, {2, -1}, {3, -1}};
    ts_svc_service_desc sd = {
        .name = "svc", .replicas = reps, .n_replicas = 4, .request_bytes = 100,
        .timeout_ns = timeout,
    };
    ts_svc_registry_desc rd = {&sd, 1, -1, -1, 0};
    ts_error err;
    assert_int_equal(ts_svc_registry_new(&w->f->rt, &rd, &w->reg, &err), TS_OK);
    ts_svc_client_desc cd = {.endpoint = CLIENT, .node = -1, .registry = w->reg,
                             .max_outstanding = 1000};
    assert_int_equal(ts_svc_client_new(&w->f->rt, &cd, &w->cli, &err), TS_OK);
    assert_int_equal(ts_svc_registry_start(w->reg), TS_OK);
    w->as = ts_as_new(&w->f->rt, w->f->ctl, w->reg, d, &err);
    assert_non_null(w->as);
    assert_int_equal(ts_as_start(w->as), TS_OK);
}

static void world_fini(world *w)
{
    ts_as_free(w->as);
    ts_svc_client_free(w->cli);
    ts_svc_registry_free(w->reg);
    fake_runtime_free(w->f);
}

/* Sends n requests now. */
static void send(world *w, int n)
{
    for (int i = 0; i < n; i++)
        assert_int_equal(ts_svc_client_call(w->cli, 0, 0, NULL), TS_OK);
}

/* The scale records so far as "out@ms=n" words, to compare whole. */
static const char *scales(const world *w)
{
    static char buf[512];
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < w->f->n_records; i++) {
        const fake_record *r = &w->f->records[i];
        int out = strcmp(r->kind, "scale_out") == 0;
        if (!out && strcmp(r->kind, "scale_in") != 0)
            continue;
        at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%s@%lld=%d", at ? " " : "",
                               out ? "out" : "in", (long long)(r->time / MS), (int)r->value);
    }
    return buf;
}

/* Only slot 0 serves at first; the rest are stopped and withdrawn. */
static void test_start_serves_the_minimum(void **state)
{
    (void)state;
    world w;
    ts_as_desc d = policy();
    d.min_replicas = 2;
    world_init(&w, &d, 10 * S);
    assert_int_equal(ts_as_serving(w.as), 2);
    assert_int_equal(ts_as_billed(w.as), 2);
    assert_int_equal(w.f->component[0].run, TS_RT_ACTIVE);
    assert_int_equal(w.f->component[1].run, TS_RT_ACTIVE);
    assert_int_equal(w.f->component[2].run, TS_RT_STOPPED);
    assert_int_equal(w.f->component[3].run, TS_RT_STOPPED);
    assert_int_equal(ts_svc_registry_live(w.reg, 0, 2), 1); /* healthy, but ... */
    send(&w, 6);    /* ... never picked: round robin over slots 0 and 1 */
    assert_int_equal(ts_svc_registry_outstanding(w.reg, 0, 0), 3);
    assert_int_equal(ts_svc_registry_outstanding(w.reg, 0, 1), 3);
    assert_int_equal(ts_svc_registry_outstanding(w.reg, 0, 2), 0);
    const fake_record *head = fake_runtime_find(w.f, "autoscale", 0);
    assert_non_null(head);
    assert_true(head->value == 1.0);
    world_fini(&w);
}

/* Target 1 per replica. One request in flight all through [0, 1 s]: ratio
 * 1, no change. Two more at 1.5 s: mean over [1, 2] = 0.5 x 1 + 0.5 x 3 =
 * 2, ratio 2: ceil(1 x 2) = 2 at 2 s, ready at 2.5 s. [2, 3]: 3 in flight
 * on 2: ceil(2 x 1.5) = 3 at 3 s. [3, 4]: 3 on 3, ratio 1: none. */
static void test_hpa_formula(void **state)
{
    (void)state;
    world w;
    ts_as_desc d = policy();
    world_init(&w, &d, 100 * S);
    send(&w, 1);
    fake_runtime_run(w.f, 1500 * MS);
    send(&w, 2);
    fake_runtime_run(w.f, 4 * S);
    assert_string_equal(scales(&w), "out@2000=2 out@3000=3");
    const fake_record *eval = fake_runtime_find(w.f, "autoscale_eval", 1);
    assert_int_equal(eval->time, 2 * S);
    assert_true(fabs(eval->value - 2.0) < 1e-12);
    const fake_record *ready = fake_runtime_find(w.f, "replica_ready", 1);
    assert_int_equal(ready->time, 2500 * MS);
    assert_int_equal(ready->component, 1);
    assert_int_equal(ts_as_serving(w.as), 3);
    world_fini(&w);
}

/* Target 0.95 with one request in flight: ratio 1.053, inside the 0.1
 * band: no change (with no tolerance, ceil(1.053) = 2). */
static void test_tolerance_band(void **state)
{
    (void)state;
    for (int tight = 0; tight < 2; tight++) {
        world w;
        ts_as_desc d = policy();
        d.target = 0.95;
        d.tolerance = tight ? 0 : 0.1;
        world_init(&w, &d, 100 * S);
        send(&w, 1);
        fake_runtime_run(w.f, 1 * S);
        assert_string_equal(scales(&w), tight ? "out@1000=2" : "");
        world_fini(&w);
    }
}

/* Down window 3 s, requests time out at 1.5 s: 4 in flight over [0, 1]
 * gives raw 4 at 1 s (out to 4); [1, 2] holds 4 until 1.5 s then 0: mean
 * 2, raw 2; later periods 0: raw 1. The recommendations strictly newer
 * than now - 3 s: at 2 s {4, 2} -> 4; at 3 s {4, 2, 1} -> 4; at 4 s
 * (1 s is not newer than 1 s) {2, 1, 1} -> 2; at 5 s {1, 1, 1} -> 1. */
static void test_down_window(void **state)
{
    (void)state;
    world w;
    ts_as_desc d = policy();
    d.down_window_ns = 3 * S;
    d.cold_start_ns = 0;
    world_init(&w, &d, 1500 * MS);
    send(&w, 4);
    fake_runtime_run(w.f, 6 * S);
    assert_string_equal(scales(&w), "out@1000=4 in@4000=2 in@5000=1");
    /* Drained slots stop 100 ms after each scale-in; billed count after. */
    const fake_record *st = fake_runtime_find(w.f, "replica_stopped", 0);
    assert_int_equal(st->time, 4100 * MS);
    assert_int_equal(st->component, 3);
    assert_true(st->value == 3.0);
    world_fini(&w);
}

/* Up window 2 s, nothing in flight over [0, 1]: raw 1 at 1 s. Three
 * requests from 1 s: raw 3 at 2 s, but the least recommendation newer
 * than 0 s is the 1 s one (1): held at 1. At 3 s the recommendations
 * newer than 1 s are {3, 3}: out to 3. */
static void test_up_window(void **state)
{
    (void)state;
    world w;
    ts_as_desc d = policy();
    d.up_window_ns = 2 * S;
    d.cold_start_ns = 0;
    world_init(&w, &d, 100 * S);
    fake_runtime_run(w.f, 1 * S);
    send(&w, 3);
    fake_runtime_run(w.f, 3500 * MS);
    assert_string_equal(scales(&w), "out@3000=3");
    world_fini(&w);
}

/* A scale-in during a cold start cancels the starting replica (billed
 * only while it was starting). Cold start 1.5 s, requests time out after
 * 1 s: two in flight over [0, 1] ask for 2 at 1 s (slot 1 starting until
 * 2.5 s); none over [1, 2] ask for 1 at 2 s, which cancels slot 1. */
static void test_scale_in_cancels_a_starting_replica(void **state)
{
    (void)state;
    world w;
    ts_as_desc d = policy();
    d.cold_start_ns = 1500 * MS;
    world_init(&w, &d, 1 * S);
    send(&w, 2);
    fake_runtime_run(w.f, 3 * S);
    assert_string_equal(scales(&w), "out@1000=2 in@2000=1");
    assert_int_equal(fake_runtime_count(w.f, "replica_ready"), 1); /* slot 0 at 0 only */
    const fake_record *st = fake_runtime_find(w.f, "replica_stopped", 0);
    assert_int_equal(st->time, 2 * S);
    assert_int_equal(st->component, 1);
    assert_true(st->value == 1.0);
    assert_non_null(strstr(st->detail, "cancelled"));
    assert_int_equal(w.f->component[1].run, TS_RT_STOPPED);
    world_fini(&w);
}

/* A scale-out during a drain revives the draining replica at once (it is
 * still warm). No cold start, drain 1.5 s, timeout 1 s: out to 2 at 1 s;
 * in to 1 at 2 s (slot 1 drains until 3.5 s); two requests from 2 s ask
 * for 2 at 3 s: slot 1 serves again at 3 s, not stopped at 3.5 s, and
 * nothing launched. */
static void test_scale_out_revives_a_draining_replica(void **state)
{
    (void)state;
    world w;
    ts_as_desc d = policy();
    d.cold_start_ns = 0;
    d.drain_ns = 1500 * MS;
    world_init(&w, &d, 1 * S);
    send(&w, 2);
    fake_runtime_run(w.f, 2 * S);
    assert_int_equal(ts_svc_registry_outstanding(w.reg, 0, 1), 0);
    send(&w, 2);
    fake_runtime_run(w.f, 3900 * MS);   /* past the cancelled drain's end */
    assert_string_equal(scales(&w), "out@1000=2 in@2000=1 out@3000=2");
    assert_int_equal(fake_runtime_count(w.f, "replica_start"), 2); /* 0 at 0, 1 at 1 s */
    assert_int_equal(fake_runtime_count(w.f, "replica_stopped"), 0);
    const fake_record *ready = fake_runtime_find(w.f, "replica_ready", 2);
    assert_int_equal(ready->time, 3 * S);
    assert_int_equal(ready->component, 1);
    assert_non_null(strstr(ready->detail, "revived"));
    assert_int_equal(w.f->component[1].run, TS_RT_ACTIVE);
    assert_int_equal(ts_as_billed(w.as), 2);
    world_fini(&w);
}

static void test_refuses_bad_policies(void **state)
{
    (void)state;
    fake_runtime *f = fake_runtime_new();
    static const ts_svc_replica reps[2] = {{0, -1}, {1, -1}};
    ts_svc_service_desc sd = {.name = "svc", .replicas = reps, .n_replicas = 2,
                              .timeout_ns = S};
    ts_svc_registry_desc rd = {&sd, 1, -1, -1, 0};
    ts_svc_registry *reg;
    ts_error err;
    assert_int_equal(ts_svc_registry_new(&f->rt, &rd, &reg, &err), TS_OK);
    ts_as_desc bad[7];
    for (int i = 0; i < 7; i++) {
        bad[i] = policy();
        bad[i].max_replicas = 2;
    }
    bad[0].min_replicas = 0;
    bad[1].min_replicas = 2, bad[1].max_replicas = 1;  /* min > max */
    bad[2].max_replicas = 3;                            /* more than the slots */
    bad[3].target = 0;
    bad[4].tolerance = 1;
    bad[5].period_ns = 0;
    bad[6].cold_start_ns = -1;
    for (int i = 0; i < 7; i++) {
        assert_null(ts_as_new(&f->rt, f->ctl, reg, &bad[i], &err));
        assert_int_equal(err.code, TS_EINVAL);
    }
    /* A zero cold start is allowed: a replica then serves at its launch. */
    ts_as_desc ok = policy();
    ok.max_replicas = 2;
    ok.cold_start_ns = 0;
    ts_as *as = ts_as_new(&f->rt, f->ctl, reg, &ok, &err);
    assert_non_null(as);
    ts_as_free(as);
    ts_svc_registry_free(reg);
    fake_runtime_free(f);
}

/* A pool of members that is no registry's service: its load is a level
 * the test sets, integrated over the fake runtime's time; it records
 * which slots the autoscaler enrols. */
typedef struct pool {
    fake_runtime *f;
    double level, area;
    int64_t last;
    int enrolled[4];
} pool;

static void pool_set(pool *p, double level)
{
    int64_t now = ts_rt_now(&p->f->rt);
    p->area += p->level * (double)(now - p->last);
    p->last = now;
    p->level = level;
}

static int pool_endpoint(void *ctx, int slot)
{
    (void)ctx;
    return slot;
}

static double pool_area(void *ctx)
{
    pool *p = ctx;
    pool_set(p, p->level);
    return p->area;
}

static int pool_enrol(void *ctx, int slot, int on)
{
    pool *p = ctx;
    p->enrolled[slot] = on;
    return TS_OK;
}

/* Target 1 per replica, cold start 500 ms, drain 100 ms. Level 1 over [0,
 * 1 s]: ratio 1, none. Level 3 from 1 s: at 2 s ceil(1 x 3) = 3, slots 1
 * and 2 enrolled at 2.5 s. Level 0 from 2.6 s: mean over [2, 3] = 0.6 x 3
 * = 1.8 on 3, ratio 0.6: ceil(1.8) = 2 at 3 s, slot 2 withdrawn at once
 * and stopped at 3.1 s. Mean 0 over [3, 4]: the minimum, 1, at 4 s. */
static void test_members_pool(void **state)
{
    (void)state;
    pool p = {.f = fake_runtime_new(), .level = 1.0};
    assert_non_null(p.f);
    ts_as_members m = {4, pool_endpoint, pool_area, pool_enrol, &p};
    ts_as_desc d = policy();
    d.name = "ingest";
    d.kind = "workers";
    ts_error err;
    ts_as *as = ts_as_new_members(&p.f->rt, p.f->ctl, &m, &d, &err);
    assert_non_null(as);
    assert_int_equal(ts_as_start(as), TS_OK);
    assert_true(p.enrolled[0] && !p.enrolled[1] && !p.enrolled[2] && !p.enrolled[3]);
    fake_runtime_run(p.f, 1 * S);
    pool_set(&p, 3.0);
    fake_runtime_run(p.f, 2400 * MS);
    assert_true(p.enrolled[0] && !p.enrolled[1] && !p.enrolled[2]);   /* cold */
    assert_int_equal(p.f->component[1].run, TS_RT_STOPPED);
    fake_runtime_run(p.f, 2600 * MS);
    assert_true(p.enrolled[0] && p.enrolled[1] && p.enrolled[2] && !p.enrolled[3]);
    assert_int_equal(p.f->component[2].run, TS_RT_ACTIVE);
    pool_set(&p, 0.0);
    fake_runtime_run(p.f, 3050 * MS);
    assert_true(p.enrolled[1] && !p.enrolled[2]);     /* withdrawn, draining */
    assert_int_equal(p.f->component[2].run, TS_RT_ACTIVE);
    fake_runtime_run(p.f, 4500 * MS);
    assert_int_equal(p.f->component[2].run, TS_RT_STOPPED);
    assert_string_equal(scales(&(world){.f = p.f}), "out@2000=3 in@3000=2 in@4000=1");
    const fake_record *eval = fake_runtime_find(p.f, "autoscale_eval", 2);
    assert_int_equal(eval->time, 3 * S);
    assert_true(fabs(eval->value - 1.8) < 1e-12);
    assert_non_null(strstr(eval->detail, "workers ingest: current 3 raw 2 final 2"));
    const fake_record *stop = fake_runtime_find(p.f, "replica_stopped", 0);
    assert_int_equal(stop->time, 3100 * MS);
    assert_int_equal(stop->component, 2);
    ts_as_free(as);
    /* Members without their functions are refused. */
    m.load_area = NULL;
    assert_null(ts_as_new_members(&p.f->rt, p.f->ctl, &m, &d, &err));
    assert_int_equal(err.code, TS_EINVAL);
    fake_runtime_free(p.f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_serves_the_minimum),
        cmocka_unit_test(test_hpa_formula),
        cmocka_unit_test(test_tolerance_band),
        cmocka_unit_test(test_down_window),
        cmocka_unit_test(test_up_window),
        cmocka_unit_test(test_scale_in_cancels_a_starting_replica),
        cmocka_unit_test(test_scale_out_revives_a_draining_replica),
        cmocka_unit_test(test_refuses_bad_policies),
        cmocka_unit_test(test_members_pool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
