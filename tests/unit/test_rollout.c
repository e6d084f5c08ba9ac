/*
 * Tests for src/deploy/rollout.c through the fake runtime: stage times
 * (start + soak + k * wave soak), wave order, the judging window, abort and
 * rollback of exactly the updated robots, each failed criterion named,
 * down robots skipped, edge stage layouts, cancellation and bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_runtime.h"
#include "toposim/alloc.h"
#include "toposim/deploy.h"
#include "toposim/error.h"

#define MS INT64_C(1000000)
#define SEC INT64_C(1000000000)

#define assert_has(msg, needle)                                              \
    do {                                                                     \
        if (!strstr((msg), (needle)))                                        \
            fail_msg("\"%s\" not found in \"%s\"", (needle), (msg));         \
    } while (0)

/* What the "simulator" reports per component, and a log of the questions. */
typedef struct metrics_table {
    fake_runtime *f;
    double miss[FAKE_MAX_ENDPOINTS];
    int safety[FAKE_MAX_ENDPOINTS];
    int stalled[FAKE_MAX_ENDPOINTS];
    int error[FAKE_MAX_ENDPOINTS];
    struct call {
        int64_t at, since;
        int component;
    } calls[128];
    size_t n_calls;
} metrics_table;

static int metrics(void *ctx, int component, int64_t since, ts_rollout_metrics *out)
{
    metrics_table *t = ctx;
    if (t->n_calls < 128)
        t->calls[t->n_calls++] = (struct call){ts_rt_now(&t->f->rt), since, component};
    if (t->error[component])
        return TS_ENOENT;
    out->miss_fraction = t->miss[component];
    out->safety_events = t->safety[component];
    out->topics_flowing = !t->stalled[component];
    return 0;
}

/* Six robots: endpoints 10..15 on nodes 0..5, names r0..r5; 1 canary,
 * waves of 2, soak 10 s, wave soak 5 s, start at 1 s, v0 -> v1. Stages:
 * canary {r0} at 1 s, wave 1 {r1,r2} at 11 s, wave 2 {r3,r4} at 16 s,
 * wave 3 {r5} at 21 s, judged last at 26 s. */
static const int comps[6] = {10, 11, 12, 13, 14, 15};
static const int nodes[6] = {0, 1, 2, 3, 4, 5};
static const char *const names[6] = {"r0", "r1", "r2", "r3", "r4", "r5"};

typedef struct fixture {
    fake_runtime *f;
    metrics_table t;
    ts_rollout_desc d;
    ts_rollout *r;
} fixture;

static int setup(void **state)
{
    fixture *x = calloc(1, sizeof *x);
    assert_non_null(x);
    x->f = fake_runtime_new();
    assert_non_null(x->f);
    x->t.f = x->f;
    x->d = (ts_rollout_desc){
        .name = "planner", .components = comps, .nodes = nodes, .robot_names = names,
        .n_robots = 6, .from_version = 0, .to_version = 1, .from_label = "v1",
        .to_label = "v2", .start_ns = 1 * SEC, .canaries = 1, .soak_ns = 10 * SEC,
        .wave = 2, .wave_soak_ns = 5 * SEC, .max_miss_fraction = 0.05,
        .max_safety_events = 0, .metrics = metrics, .metrics_ctx = &x->t,
        .ctl = x->f->ctl,
    };
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fixture *x = *state;
    ts_rollout_free(x->r);
    fake_runtime_free(x->f);
    free(x);
    return 0;
}

static void start(fixture *x)
{
    ts_error err;
    assert_int_equal(ts_rollout_new(&x->f->rt, &x->d, &x->r, &err), TS_OK);
    assert_int_equal(ts_rollout_start(x->r), TS_OK);
}

static void assert_change(const fake_runtime *f, size_t i, int64_t t, int comp, int version)
{
    assert_true(i < f->n_changes);
    assert_int_equal(f->changes[i].time, t);
    assert_int_equal(f->changes[i].component, comp);
    assert_int_equal(f->changes[i].state.version, version);
    assert_int_equal(f->changes[i].state.run, TS_RT_ACTIVE);
    assert_int_equal(f->changes[i].state.safety_mode, 0);
}

static void test_all_stages_pass(void **state)
{
    fixture *x = *state;
    x->t.miss[10] = 0.05; /* exactly the limit passes */
    x->t.miss[12] = 0.01;
    start(x);
    assert_int_equal(ts_rollout_get_state(x->r), TS_ROLLOUT_WAITING);
    fake_runtime_run(x->f, 1 * SEC - 1);
    assert_int_equal(x->f->n_changes, 0);
    assert_int_equal(fake_runtime_count(x->f, "rollout_start"), 0);

    fake_runtime_run(x->f, 100 * SEC);
    const fake_runtime *f = x->f;
    /* Every robot on v2 in wave order at start + soak + (i-1) * wave soak. */
    assert_int_equal(f->n_changes, 6);
    assert_change(f, 0, 1 * SEC, 10, 1);
    assert_change(f, 1, 11 * SEC, 11, 1);
    assert_change(f, 2, 11 * SEC, 12, 1);
    assert_change(f, 3, 16 * SEC, 13, 1);
    assert_change(f, 4, 16 * SEC, 14, 1);
    assert_change(f, 5, 21 * SEC, 15, 1);

    const fake_record *rec = fake_runtime_find(f, "rollout_start", 0);
    assert_non_null(rec);
    assert_int_equal(rec->time, 1 * SEC);
    assert_int_equal((int)rec->value, 6);
    assert_has(rec->detail, "planner from v1 to v2");

    assert_int_equal(fake_runtime_count(f, "rollout_stage"), 4);
    const int64_t stage_at[4] = {1 * SEC, 11 * SEC, 16 * SEC, 21 * SEC};
    for (size_t i = 0; i < 4; i++) {
        rec = fake_runtime_find(f, "rollout_stage", i);
        assert_int_equal(rec->time, stage_at[i]);
        assert_int_equal((int)rec->value, (int)i);
    }
    assert_string_equal(fake_runtime_find(f, "rollout_stage", 0)->detail, "canary: r0 to v2");
    assert_string_equal(fake_runtime_find(f, "rollout_stage", 2)->detail,
                        "wave 2: r3, r4 to v2");
    assert_int_equal(fake_runtime_count(f, "rollout_update"), 6);
    rec = fake_runtime_find(f, "rollout_update", 3);
    assert_int_equal(rec->component, 13);
    assert_int_equal(rec->node, 3);
    assert_int_equal((int)rec->value, 3);

    assert_int_equal(fake_runtime_count(f, "rollout_evaluate"), 4);
    const int64_t judge_at[4] = {11 * SEC, 16 * SEC, 21 * SEC, 26 * SEC};
    for (size_t i = 0; i < 4; i++) {
        rec = fake_runtime_find(f, "rollout_evaluate", i);
        assert_int_equal(rec->time, judge_at[i]);
        assert_has(rec->detail, "pass:");
        /* r0's 0.05 is the worst measured in every stage. */
        assert_float_equal(rec->value, 0.05, 1e-12);
    }
    assert_has(fake_runtime_find(f, "rollout_evaluate", 1)->detail, "3 robots on v2");

    rec = fake_runtime_find(f, "rollout_complete", 0);
    assert_non_null(rec);
    assert_int_equal(rec->time, 26 * SEC);
    assert_int_equal((int)rec->value, 6);
    assert_int_equal(fake_runtime_count(f, "rollout_abort"), 0);
    assert_int_equal(fake_runtime_count(f, "rollback"), 0);
    assert_int_equal(ts_rollout_get_state(x->r), TS_ROLLOUT_COMPLETE);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(ts_rollout_robot_state(x->r, i), TS_ROLLOUT_ROBOT_UPDATED);

    /* The judging window is the stage's soak, and every robot already on
     * v2 is judged: 1 + 3 + 5 + 6 questions. */
    assert_int_equal(x->t.n_calls, 15);
    assert_int_equal(x->t.calls[0].component, 10);
    assert_int_equal(x->t.calls[0].at, 11 * SEC);
    assert_int_equal(x->t.calls[0].since, 1 * SEC);
    for (size_t i = 1; i < 4; i++) {
        assert_int_equal(x->t.calls[i].at, 16 * SEC);
        assert_int_equal(x->t.calls[i].since, 11 * SEC);
        assert_int_equal(x->t.calls[i].component, 10 + (int)(i - 1));
    }
    assert_int_equal(x->t.calls[14].at, 26 * SEC);
    assert_int_equal(x->t.calls[14].since, 21 * SEC);
}

static void test_canary_fails_on_misses(void **state)
{
    fixture *x = *state;
    x->t.miss[10] = 0.4;
    start(x);
    fake_runtime_run(x->f, 100 * SEC);
    const fake_runtime *f = x->f;
    /* Only the canary was touched: on at 1 s, back at 1 s + soak. */
    assert_int_equal(f->n_changes, 2);
    assert_change(f, 0, 1 * SEC, 10, 1);
    assert_change(f, 1, 11 * SEC, 10, 0);

    const fake_record *ev = fake_runtime_find(f, "rollout_evaluate", 0);
    assert_int_equal(ev->time, 11 * SEC);
    assert_float_equal(ev->value, 0.4, 1e-12);
    assert_has(ev->detail, "fail: deadline-miss fraction 0.4000 > max 0.0500 on r0");

    const fake_record *ab = fake_runtime_find(f, "rollout_abort", 0);
    assert_non_null(ab);
    assert_int_equal(ab->time, 11 * SEC);
    assert_float_equal(ab->value, 0.4, 1e-12);
    assert_has(ab->detail, "aborted at canary: deadline-miss fraction 0.4000");
    assert_has(ab->detail, "rolling 1 robot back to v1");

    assert_int_equal(fake_runtime_count(f, "rollback"), 1);
    const fake_record *rb = fake_runtime_find(f, "rollback", 0);
    assert_int_equal(rb->time, 11 * SEC);
    assert_int_equal(rb->component, 10);
    assert_int_equal(rb->node, 0);
    assert_has(rb->detail, "r0 back to v1");

    assert_int_equal(fake_runtime_count(f, "rollout_stage"), 1);
    assert_int_equal(fake_runtime_count(f, "rollout_complete"), 0);
    assert_int_equal(ts_rollout_get_state(x->r), TS_ROLLOUT_ABORTED);
    assert_int_equal(ts_rollout_robot_state(x->r, 0), TS_ROLLOUT_ROBOT_ROLLED_BACK);
    for (size_t i = 1; i < 6; i++)
        assert_int_equal(ts_rollout_robot_state(x->r, i), TS_ROLLOUT_ROBOT_OLD);
    assert_int_equal(x->t.n_calls, 1);
}

static void test_canary_fails_on_safety_and_flow(void **state)
{
    fixture *x = *state;
    x->d.canaries = 2;
    x->t.safety[10] = 1;
    start(x);
    fake_runtime_run(x->f, 100 * SEC);
    const fake_record *ab = fake_runtime_find(x->f, "rollout_abort", 0);
    assert_non_null(ab);
    assert_float_equal(ab->value, 1.0, 0);
    assert_has(ab->detail, "safety events 1 > max 0 on r0");
    assert_int_equal(fake_runtime_count(x->f, "rollback"), 2);
    assert_int_equal(fake_runtime_find(x->f, "rollback", 1)->component, 11);

    /* A second rollout in a fresh world: r1's topics stop. */
    fake_runtime *g = fake_runtime_new();
    metrics_table t = {.f = g};
    t.stalled[11] = 1;
    ts_rollout_desc d = x->d;
    d.metrics_ctx = &t;
    d.ctl = g->ctl;
    ts_rollout *r;
    assert_int_equal(ts_rollout_new(&g->rt, &d, &r, NULL), TS_OK);
    assert_int_equal(ts_rollout_start(r), TS_OK);
    fake_runtime_run(g, 100 * SEC);
    ab = fake_runtime_find(g, "rollout_abort", 0);
    assert_non_null(ab);
    assert_int_equal(ab->time, 11 * SEC);
    assert_has(ab->detail, "functionality: topics of r1 stopped flowing");
    assert_int_equal(fake_runtime_count(g, "rollback"), 2);
    ts_rollout_free(r);
    fake_runtime_free(g);
}

static void test_wave_two_fails(void **state)
{
    fixture *x = *state;
    x->t.miss[13] = 0.5; /* r3, wave 2 */
    start(x);
    fake_runtime_run(x->f, 100 * SEC);
    const fake_runtime *f = x->f;
    assert_int_equal(f->n_changes, 10);
    assert_change(f, 4, 16 * SEC, 14, 1);
    /* Canary, wave 1 and wave 2 go back, in fleet order, at 21 s; r5 is
     * never touched. */
    for (int i = 0; i < 5; i++)
        assert_change(f, 5 + (size_t)i, 21 * SEC, 10 + i, 0);
    for (size_t i = 0; i < f->n_changes; i++)
        assert_int_not_equal(f->changes[i].component, 15);

    const fake_record *ab = fake_runtime_find(f, "rollout_abort", 0);
    assert_int_equal(ab->time, 21 * SEC);
    assert_has(ab->detail, "aborted at wave 2: deadline-miss fraction 0.5000 > max 0.0500 on r3");
    assert_has(ab->detail, "rolling 5 robots back");
    assert_int_equal(fake_runtime_count(f, "rollback"), 5);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal((int)fake_runtime_find(f, "rollback", i)->value, (int)i);
    assert_int_equal(fake_runtime_count(f, "rollout_evaluate"), 3);
    assert_has(fake_runtime_find(f, "rollout_evaluate", 1)->detail, "pass:");
    assert_int_equal(ts_rollout_robot_state(x->r, 5), TS_ROLLOUT_ROBOT_OLD);
    assert_int_equal(ts_rollout_stage(x->r), 2);
}

static void test_down_robot_skipped(void **state)
{
    fixture *x = *state;
    x->f->component_alive[12] = 0; /* r2's component, wave 1 */
    x->f->node_alive[4] = 0;       /* r4's node, wave 2 */
    start(x);
    /* r2 comes back during wave 1's soak: still never revisited. */
    fake_runtime_run(x->f, 12 * SEC);
    x->f->component_alive[12] = 1;
    fake_runtime_run(x->f, 100 * SEC);
    const fake_runtime *f = x->f;
    assert_int_equal(f->n_changes, 4);
    assert_change(f, 0, 1 * SEC, 10, 1);
    assert_change(f, 1, 11 * SEC, 11, 1);
    assert_change(f, 2, 16 * SEC, 13, 1);
    assert_change(f, 3, 21 * SEC, 15, 1); /* wave 3 not moved earlier */

    assert_int_equal(fake_runtime_count(f, "rollout_skip"), 2);
    const fake_record *s = fake_runtime_find(f, "rollout_skip", 0);
    assert_int_equal(s->time, 11 * SEC);
    assert_int_equal(s->component, 12);
    assert_int_equal((int)s->value, 2);
    assert_has(s->detail, "r2 is down at the wave 1");
    s = fake_runtime_find(f, "rollout_skip", 1);
    assert_int_equal(s->time, 16 * SEC);
    assert_int_equal(s->node, 4);

    const fake_record *c = fake_runtime_find(f, "rollout_complete", 0);
    assert_int_equal(c->time, 26 * SEC);
    assert_int_equal((int)c->value, 4);
    assert_has(c->detail, "2 skipped");
    assert_int_equal(ts_rollout_robot_state(x->r, 2), TS_ROLLOUT_ROBOT_SKIPPED);
    assert_int_equal(ts_rollout_robot_state(x->r, 4), TS_ROLLOUT_ROBOT_SKIPPED);
    /* Skipped robots are never judged. */
    for (size_t i = 0; i < x->t.n_calls; i++)
        assert_true(x->t.calls[i].component != 12 && x->t.calls[i].component != 14);
}

static void test_every_canary_down_aborts(void **state)
{
    fixture *x = *state;
    x->f->component_alive[10] = 0;
    start(x);
    fake_runtime_run(x->f, 100 * SEC);
    assert_int_equal(x->f->n_changes, 0);
    const fake_record *ab = fake_runtime_find(x->f, "rollout_abort", 0);
    assert_non_null(ab);
    assert_int_equal(ab->time, 11 * SEC);
    assert_has(ab->detail, "no robot on v2 to judge");
    assert_int_equal(fake_runtime_count(x->f, "rollback"), 0);
    assert_int_equal(x->t.n_calls, 0);
}

static void test_metrics_unavailable(void **state)
{
    fixture *x = *state;
    x->t.error[11] = 1;
    start(x);
    fake_runtime_run(x->f, 100 * SEC);
    const fake_record *ab = fake_runtime_find(x->f, "rollout_abort", 0);
    assert_non_null(ab);
    assert_int_equal(ab->time, 16 * SEC);
    assert_has(ab->detail, "metrics unavailable for r1");
    assert_int_equal(fake_runtime_count(x->f, "rollback"), 3);
}

static void test_stage_layouts(void **state)
{
    fixture *x = *state;
    /* No canaries: wave 1 {r0..r3} at 1 s, wave 2 {r4,r5} at 6 s. */
    x->d.canaries = 0;
    x->d.wave = 4;
    x->d.wave_soak_ns = 0; /* defaults to the soak */
    x->d.soak_ns = 5 * SEC;
    start(x);
    fake_runtime_run(x->f, 100 * SEC);
    assert_int_equal(x->f->n_changes, 6);
    assert_change(x->f, 3, 1 * SEC, 13, 1);
    assert_change(x->f, 4, 6 * SEC, 14, 1);
    assert_int_equal((int)fake_runtime_find(x->f, "rollout_stage", 0)->value, 1);
    assert_int_equal(fake_runtime_find(x->f, "rollout_complete", 0)->time, 11 * SEC);

    /* Canaries cover the fleet (more canaries than robots): one stage. */
    fake_runtime *g = fake_runtime_new();
    metrics_table t = {.f = g};
    ts_rollout_desc d = x->d;
    d.ctl = g->ctl;
    d.canaries = 9;
    d.wave = 0;
    d.robot_names = NULL;
    d.nodes = NULL;
    d.metrics_ctx = &t;
    ts_rollout *r;
    assert_int_equal(ts_rollout_new(&g->rt, &d, &r, NULL), TS_OK);
    assert_int_equal(ts_rollout_start(r), TS_OK);
    fake_runtime_run(g, 100 * SEC);
    assert_int_equal(g->n_changes, 6);
    assert_int_equal(g->changes[5].time, 1 * SEC);
    assert_int_equal(fake_runtime_count(g, "rollout_stage"), 1);
    assert_has(fake_runtime_find(g, "rollout_stage", 0)->detail, "robot 5");
    assert_int_equal(fake_runtime_find(g, "rollout_update", 0)->node, -1);
    assert_int_equal(fake_runtime_find(g, "rollout_complete", 0)->time, 6 * SEC);
    ts_rollout_free(r);
    fake_runtime_free(g);
}

static void test_start_in_past_and_cancel(void **state)
{
    fixture *x = *state;
    fake_runtime_run(x->f, 3 * SEC);
    start(x);
    assert_int_equal(ts_rollout_start(x->r), TS_EINVAL); /* once */
    fake_runtime_run(x->f, 3 * SEC);
    assert_int_equal(x->f->n_changes, 1);
    assert_int_equal(x->f->changes[0].time, 3 * SEC);
    assert_int_equal(ts_rollout_get_state(x->r), TS_ROLLOUT_SOAKING);
    assert_int_equal(ts_rollout_stage(x->r), 0);
    /* Freeing mid-soak cancels the judgement: nothing more happens (and
     * the sanitizer would catch a late callback). */
    ts_rollout_free(x->r);
    x->r = NULL;
    fake_runtime_run(x->f, 100 * SEC);
    assert_int_equal(x->f->n_changes, 1);
    assert_int_equal(fake_runtime_count(x->f, "rollout_evaluate"), 0);
}

static void test_big_wave_detail_is_cut(void **state)
{
    fixture *x = *state;
    static int many[60];
    static char labels[60][40];
    static const char *lp[60];
    for (int i = 0; i < 60; i++) {
        many[i] = i;
        snprintf(labels[i], sizeof labels[i], "humanoid_robot_number_%02d", i);
        lp[i] = labels[i];
    }
    x->d.components = many;
    x->d.nodes = NULL;
    x->d.robot_names = lp;
    x->d.n_robots = 60;
    x->d.canaries = 60;
    start(x);
    fake_runtime_run(x->f, 2 * SEC);
    const fake_record *s = fake_runtime_find(x->f, "rollout_stage", 0);
    assert_non_null(s);
    assert_has(s->detail, "humanoid_robot_number_00, humanoid_robot_number_01");
    assert_has(s->detail, "... (+");
    assert_has(s->detail, "more) to v2");
    assert_true(strlen(s->detail) < 180);
    assert_int_equal(x->f->n_changes, 60);
    fake_runtime_run(x->f, 100 * SEC);
    assert_int_equal(fake_runtime_count(x->f, "rollout_complete"), 1);
}

static void test_bad_descriptions(void **state)
{
    fixture *x = *state;
    ts_error err;
    ts_rollout *r = (ts_rollout *)&err;
    ts_rollout_desc d = x->d;
    d.metrics = NULL;
    assert_int_equal(ts_rollout_new(&x->f->rt, &d, &r, &err), TS_EINVAL);
    assert_null(r);
    assert_has(err.msg, "metrics");
    d = x->d;
    d.to_version = 0;
    assert_int_equal(ts_rollout_new(&x->f->rt, &d, &r, &err), TS_EINVAL);
    d = x->d;
    d.wave = 0;
    assert_int_equal(ts_rollout_new(&x->f->rt, &d, &r, &err), TS_EINVAL);
    assert_has(err.msg, "wave");
    d = x->d;
    d.n_robots = 0;
    assert_int_equal(ts_rollout_new(&x->f->rt, &d, &r, &err), TS_EINVAL);
    d = x->d;
    d.max_miss_fraction = -0.1;
    assert_int_equal(ts_rollout_new(&x->f->rt, &d, &r, &err), TS_EINVAL);

    /* Every allocation failure is clean and reported. */
    long live = ts_alloc_live();
    for (long n = 1; n < 20; n++) {
        ts_alloc_fail_after(n);
        int rc = ts_rollout_new(&x->f->rt, &x->d, &r, &err);
        ts_alloc_fail_after(0);
        if (rc == TS_OK) {
            ts_rollout_free(r);
            break;
        }
        assert_int_equal(rc, TS_ENOMEM);
        assert_int_equal(ts_alloc_live(), live);
    }
    assert_int_equal(ts_alloc_live(), live);
}

/* The copy survives the caller's arrays. */
static void test_description_copied(void **state)
{
    fixture *x = *state;
    int c[2] = {20, 21};
    char n0[8] = "a", n1[8] = "b";
    const char *nm[2] = {n0, n1};
    x->d.components = c;
    x->d.robot_names = nm;
    x->d.nodes = NULL;
    x->d.n_robots = 2;
    start(x);
    c[0] = c[1] = 99;
    strcpy(n0, "zz");
    fake_runtime_run(x->f, 100 * SEC);
    assert_int_equal(x->f->changes[0].component, 20);
    assert_int_equal(x->f->changes[1].component, 21);
    assert_string_equal(fake_runtime_find(x->f, "rollout_stage", 0)->detail, "canary: a to v2");
}

/* A rollout over failover groups: robot r0's component 10 has a backup
 * 20 that serves (10 is a standby), r1..r5 are alone. The version reaches
 * both members of r0's set and nobody's role changes; the canary is
 * judged on the member that serves, 20, and the record names it. */
static void test_group_judged_on_serving_member(void **state)
{
    fixture *x = *state;
    int set[2] = {10, 20};
    assert_int_equal(ts_ctl_add_replicas(x->f->ctl, set, 2), TS_OK);
    assert_int_equal(ts_ctl_set_role(x->f->ctl, 10, TS_RT_STANDBY, 0), TS_OK);
    assert_int_equal(ts_ctl_set_role(x->f->ctl, 20, TS_RT_ACTIVE, 1), TS_OK);
    size_t before = x->f->n_changes;
    x->t.stalled[10] = 1;       /* the standby publishes nothing */
    x->d.canaries = 1;
    x->d.wave = 5;
    start(x);
    fake_runtime_run(x->f, 100 * SEC);
    assert_int_equal(ts_rollout_get_state(x->r), TS_ROLLOUT_COMPLETE);
    /* Canary: both members to v1, roles and safety mode as they were. */
    assert_int_equal(x->f->n_changes, before + 2 + 5);
    assert_int_equal(x->f->changes[before].component, 10);
    assert_int_equal(x->f->changes[before].state.run, TS_RT_STANDBY);
    assert_int_equal(x->f->changes[before].state.version, 1);
    assert_int_equal(x->f->changes[before + 1].component, 20);
    assert_int_equal(x->f->changes[before + 1].state.run, TS_RT_ACTIVE);
    assert_int_equal(x->f->changes[before + 1].state.safety_mode, 1);
    assert_int_equal(x->f->changes[before + 1].state.version, 1);
    assert_int_equal(ts_ctl_server(x->f->ctl, 10), 20);
    /* Judged: the serving member, never the standby. */
    assert_int_equal(x->t.calls[0].component, 20);
    for (size_t i = 0; i < x->t.n_calls; i++)
        assert_int_not_equal(x->t.calls[i].component, 10);
    const fake_record *ev = fake_runtime_find(x->f, "rollout_evaluate", 0);
    assert_non_null(ev);
    assert_has(ev->detail, "pass");
    assert_has(ev->detail, "served by component 20");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_all_stages_pass, setup, teardown),
        cmocka_unit_test_setup_teardown(test_canary_fails_on_misses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_canary_fails_on_safety_and_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wave_two_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_down_robot_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_canary_down_aborts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_unavailable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stage_layouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_in_past_and_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_wave_detail_is_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_descriptions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_description_copied, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_judged_on_serving_member, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
