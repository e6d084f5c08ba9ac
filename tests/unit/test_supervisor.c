/* The safe-state supervisor through the fake runtime: a needed failover
 * group (components 1 and 2), a needed lone component (5) and a component
 * that is not needed (6), all heartbeating every 10 ms from t = 0 to the
 * supervisor on endpoint 10 with 1 ms latency (arrivals at 1, 11, 21 ms). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_runtime.h"
#include "toposim/alloc.h"
#include "toposim/deploy_failover.h"

#define MS 1000000LL
#define P 1
#define B 2
#define LONE 5
#define OTHER 6
#define SUP 10

typedef struct hook_log {
    int calls;
    int64_t time[4];
    ts_safe_event ev[4];
    fake_runtime *f;
} hook_log;

static void hook(void *ctx, const ts_safe_event *ev)
{
    hook_log *h = ctx;
    if (h->calls < 4) {
        h->time[h->calls] = ts_rt_now(&h->f->rt);
        h->ev[h->calls] = *ev;
    }
    h->calls++;
}

typedef struct fixture {
    fake_runtime *f;
    ts_failover *g;
    ts_hb_sender lone, other;
    ts_supervisor *s;
    hook_log log;
    ts_fo_member_desc mem[2];
    int group_members[2];
    int lone_members[1];
    ts_sup_needed needed[2];
    ts_supervisor_desc sd;
} fixture;

static void setup(fixture *x, int category, ts_fo_standby backup)
{
    memset(x, 0, sizeof *x);
    x->f = fake_runtime_new();
    assert_non_null(x->f);
    x->log.f = x->f;
    x->mem[0] = (ts_fo_member_desc){P, 100, TS_FO_HOT, -1};
    x->mem[1] = (ts_fo_member_desc){B, 101, backup, -1};
    ts_failover_desc gd = {.id = 3, .name = "localization", .members = x->mem, .n_members = 2,
                           .heartbeat_ns = 10 * MS, .detector = {.kind = TS_FD_TIMEOUT},
                           .supervisor = SUP, .ctl = x->f->ctl};
    ts_error err;
    x->g = ts_failover_new(&x->f->rt, &gd, &err);
    assert_non_null(x->g);
    int to = SUP;
    ts_hb_sender_desc ld = {LONE, &to, 1, 10 * MS, 40, NULL, NULL};
    assert_int_equal(ts_hb_sender_init(&x->lone, &x->f->rt, &ld, &err), TS_OK);
    ld.endpoint = OTHER;
    assert_int_equal(ts_hb_sender_init(&x->other, &x->f->rt, &ld, &err), TS_OK);
    x->group_members[0] = P;
    x->group_members[1] = B;
    x->lone_members[0] = LONE;
    x->needed[0] = (ts_sup_needed){x->group_members, 2, 10 * MS, {.kind = TS_FD_TIMEOUT}};
    x->needed[1] = (ts_sup_needed){x->lone_members, 1, 10 * MS, {.kind = TS_FD_TIMEOUT}};
    x->sd = (ts_supervisor_desc){.robot = 4, .endpoint = SUP, .node = 200, .category = category,
                                 .braking_ns = 200 * MS, .needed = x->needed, .n_needed = 2,
                                 .enter = hook, .enter_ctx = &x->log};
}

static void start(fixture *x)
{
    ts_error err;
    x->s = ts_supervisor_new(&x->f->rt, &x->sd, &err);
    assert_non_null(x->s);
    assert_int_equal(ts_failover_start(x->g), TS_OK);
    assert_int_equal(ts_hb_sender_start(&x->lone), TS_OK);
    assert_int_equal(ts_hb_sender_start(&x->other), TS_OK);
    assert_int_equal(ts_supervisor_start(x->s), TS_OK);
}

static void teardown(fixture *x)
{
    ts_supervisor_free(x->s);
    ts_hb_sender_fini(&x->lone);
    ts_hb_sender_fini(&x->other);
    ts_failover_free(x->g);
    fake_runtime_free(x->f);
    assert_int_equal(ts_alloc_live(), 0);
}

static void kill_at(fixture *x, int component, int64_t t)
{
    fake_runtime_run(x->f, t);
    x->f->component_alive[component] = 0;
}

/* Both members die at 25 ms (last arrivals 21 ms): safe state at 51 ms,
 * once, whatever dies or comes back afterwards. */
static void group_lost_enters_once(void **state)
{
    (void)state;
    fixture x;
    setup(&x, 2, TS_FO_HOT);
    start(&x);
    kill_at(&x, P, 25 * MS);
    x.f->component_alive[B] = 0;
    fake_runtime_run(x.f, 200 * MS);
    assert_int_equal(fake_runtime_count(x.f, "safe_state"), 1);
    const fake_record *r = fake_runtime_find(x.f, "safe_state", 0);
    assert_int_equal(r->time, 51 * MS);
    assert_true(r->value == 30.0 * MS);
    assert_int_equal(r->component, P);
    assert_int_equal(r->node, 200);
    assert_true(ts_supervisor_in_safe_state(x.s));
    assert_int_equal(x.log.calls, 1);
    assert_int_equal(x.log.time[0], 51 * MS);
    assert_int_equal(x.log.ev[0].robot, 4);
    assert_int_equal(x.log.ev[0].category, 2);
    assert_int_equal(x.log.ev[0].phase, TS_SAFE_STOP);
    assert_int_equal(x.log.ev[0].needed, 0);
    assert_int_equal(x.log.ev[0].component, P);
    assert_int_equal(fake_runtime_count(x.f, "safe_state_power_off"), 0); /* category 2 */
    /* The lone component dies too, the primary comes back: nothing more. */
    kill_at(&x, LONE, 250 * MS);
    x.f->component_alive[P] = 1;
    fake_runtime_run(x.f, 1000 * MS);
    assert_int_equal(fake_runtime_count(x.f, "safe_state"), 1);
    assert_int_equal(x.log.calls, 1);
    teardown(&x);
}

/* The primary dies and the backup takes over: one member survives, no safe
 * state; when the backup dies too (305 ms, last arrival 301 ms), the robot
 * stops at 331 ms, measured from that last heartbeat. */
static void one_survivor_is_enough(void **state)
{
    (void)state;
    fixture x;
    setup(&x, 2, TS_FO_HOT);
    start(&x);
    kill_at(&x, P, 25 * MS);
    fake_runtime_run(x.f, 300 * MS);
    assert_int_equal(fake_runtime_count(x.f, "failover"), 1);
    assert_int_equal(fake_runtime_count(x.f, "safe_state"), 0);
    kill_at(&x, B, 305 * MS);
    fake_runtime_run(x.f, 600 * MS);
    const fake_record *r = fake_runtime_find(x.f, "safe_state", 0);
    assert_non_null(r);
    assert_int_equal(r->time, 331 * MS);
    assert_true(r->value == 30.0 * MS);
    assert_int_equal(x.log.calls, 1);
    teardown(&x);
}

/* A cold backup's agent heartbeats while the backup is stopped: the group
 * still has someone who can serve, so the 500 ms cold start is waited for. */
static void cold_backup_counts(void **state)
{
    (void)state;
    fixture x;
    setup(&x, 2, TS_FO_COLD);
    start(&x);
    kill_at(&x, P, 25 * MS);
    fake_runtime_run(x.f, 1000 * MS);
    assert_int_equal(fake_runtime_find(x.f, "failover", 0)->time, 551 * MS);
    assert_int_equal(fake_runtime_count(x.f, "safe_state"), 0);
    teardown(&x);
}

static void lone_component_lost(void **state)
{
    (void)state;
    fixture x;
    setup(&x, 2, TS_FO_HOT);
    start(&x);
    kill_at(&x, LONE, 25 * MS);
    fake_runtime_run(x.f, 300 * MS);
    assert_int_equal(fake_runtime_count(x.f, "safe_state"), 1);
    const fake_record *r = fake_runtime_find(x.f, "safe_state", 0);
    assert_int_equal(r->time, 51 * MS);
    assert_int_equal(r->component, LONE);
    assert_int_equal(x.log.ev[0].needed, 1);
    teardown(&x);
}

/* A component that is not needed, or one backup of a group, may die. */
static void unneeded_deaths_do_nothing(void **state)
{
    (void)state;
    fixture x;
    setup(&x, 0, TS_FO_HOT);
    start(&x);
    kill_at(&x, OTHER, 25 * MS);
    kill_at(&x, B, 35 * MS);
    fake_runtime_run(x.f, 1000 * MS);
    assert_int_equal(fake_runtime_count(x.f, "safe_state"), 0);
    assert_int_equal(x.log.calls, 0);
    assert_false(ts_supervisor_in_safe_state(x.s));
    teardown(&x);
}

/* Category 0 removes power at once; category 1 stops, then removes power
 * after the braking time. */
static void stop_categories(void **state)
{
    (void)state;
    fixture x;
    setup(&x, 0, TS_FO_HOT);
    start(&x);
    kill_at(&x, LONE, 25 * MS);
    fake_runtime_run(x.f, 1000 * MS);
    assert_int_equal(x.log.calls, 1);
    assert_int_equal(x.log.ev[0].phase, TS_SAFE_POWER_OFF);
    assert_int_equal(x.log.ev[0].category, 0);
    const fake_record *p = fake_runtime_find(x.f, "safe_state_power_off", 0);
    assert_int_equal(p->time, 51 * MS);
    assert_true(p->value == 0.0);
    teardown(&x);

    setup(&x, 1, TS_FO_HOT);
    start(&x);
    kill_at(&x, LONE, 25 * MS);
    fake_runtime_run(x.f, 1000 * MS);
    assert_int_equal(x.log.calls, 2);
    assert_int_equal(x.log.ev[0].phase, TS_SAFE_STOP);
    assert_int_equal(x.log.time[0], 51 * MS);
    assert_int_equal(x.log.ev[1].phase, TS_SAFE_POWER_OFF);
    assert_int_equal(x.log.time[1], 251 * MS);
    p = fake_runtime_find(x.f, "safe_state_power_off", 0);
    assert_int_equal(p->time, 251 * MS);
    assert_true(p->value == 200.0 * MS);
    assert_int_equal(fake_runtime_count(x.f, "safe_state_power_off"), 1);
    teardown(&x);
}

/* A supervisor freed while braking fires nothing later. */
static void free_while_braking(void **state)
{
    (void)state;
    fixture x;
    setup(&x, 1, TS_FO_HOT);
    start(&x);
    kill_at(&x, LONE, 25 * MS);
    fake_runtime_run(x.f, 100 * MS);
    assert_int_equal(x.log.calls, 1);
    ts_supervisor_free(x.s);
    x.s = NULL;
    fake_runtime_run(x.f, 1000 * MS);
    assert_int_equal(x.log.calls, 1);
    assert_int_equal(fake_runtime_count(x.f, "safe_state_power_off"), 0);
    teardown(&x);
}

/* While the supervisor's own component is down it decides nothing. Back
 * up (at 300 ms), it notices at its next look (it polls every period from
 * the missed instant, 31 ms: at 301 ms), grants every member a fresh
 * detection interval and finds the dead lone component at 331 ms. */
static void dead_supervisor_waits(void **state)
{
    (void)state;
    fixture x;
    setup(&x, 2, TS_FO_HOT);
    start(&x);
    kill_at(&x, SUP, 5 * MS);
    kill_at(&x, LONE, 25 * MS);
    fake_runtime_run(x.f, 300 * MS);
    assert_int_equal(fake_runtime_count(x.f, "safe_state"), 0);
    x.f->component_alive[SUP] = 1;
    fake_runtime_run(x.f, 600 * MS);
    const fake_record *r = fake_runtime_find(x.f, "safe_state", 0);
    assert_non_null(r);
    assert_int_equal(r->component, LONE);
    assert_int_equal(r->time, 331 * MS);
    assert_true(r->value == 30.0 * MS);
    assert_int_equal(fake_runtime_count(x.f, "safe_state"), 1);
    teardown(&x);
}

/* A lone component that crashes and restarts before it is suspected keeps
 * the robot running; its new incarnation restarts the detector. */
static void quick_restart_is_fine(void **state)
{
    (void)state;
    fixture x;
    setup(&x, 2, TS_FO_HOT);
    start(&x);
    kill_at(&x, LONE, 25 * MS);
    fake_runtime_run(x.f, 35 * MS);
    x.f->component_alive[LONE] = 1; /* tick at 40 ms sends, arrives 41 ms */
    fake_runtime_run(x.f, 500 * MS);
    assert_int_equal(fake_runtime_count(x.f, "safe_state"), 0);
    assert_int_equal(x.lone.body.incarnation, 1);
    teardown(&x);
}

static void bad_descriptions(void **state)
{
    (void)state;
    fixture x;
    ts_error err;
    setup(&x, 3, TS_FO_HOT);
    assert_null(ts_supervisor_new(&x.f->rt, &x.sd, &err));
    assert_int_equal(err.code, TS_EINVAL);
    x.sd.category = 1;
    x.sd.braking_ns = -1;
    assert_null(ts_supervisor_new(&x.f->rt, &x.sd, &err));
    x.sd.braking_ns = 0;
    x.needed[1].n_components = 0;
    assert_null(ts_supervisor_new(&x.f->rt, &x.sd, &err));
    x.needed[1].n_components = 1;
    x.needed[1].heartbeat_ns = 0;
    assert_null(ts_supervisor_new(&x.f->rt, &x.sd, &err));
    x.needed[1].heartbeat_ns = 10 * MS;
    x.needed[1].detector.phi_threshold = 1000;
    x.needed[1].detector.kind = TS_FD_PHI;
    assert_null(ts_supervisor_new(&x.f->rt, &x.sd, &err));
    assert_int_equal(err.code, TS_EINVAL);
    teardown(&x);
}

/* A supervisor that cannot arm its detector timers cannot tell when a
 * member goes silent: it fails closed into the safe state, at its start
 * when no timer can be armed there, or at the first heartbeat after the
 * runtime starts refusing timers. */
static void timer_failure_enters_safe_state(void **state)
{
    (void)state;
    fixture x;
    setup(&x, 0, TS_FO_HOT);
    ts_error err;
    x.s = ts_supervisor_new(&x.f->rt, &x.sd, &err);
    assert_non_null(x.s);
    x.f->timers_left = 0;
    assert_int_equal(ts_supervisor_start(x.s), TS_OK);
    assert_true(ts_supervisor_in_safe_state(x.s));
    assert_int_equal(fake_runtime_count(x.f, "safe_state"), 1);
    const fake_record *r = fake_runtime_find(x.f, "safe_state", 0);
    assert_int_equal(r->time, 0);
    assert_non_null(strstr(r->detail, "cannot arm the detector timer"));
    assert_non_null(strstr(r->detail, "fail closed"));
    assert_int_equal(x.log.calls, 1);
    assert_int_equal(x.log.ev[0].phase, TS_SAFE_POWER_OFF);   /* category 0 */
    assert_int_equal(x.log.ev[0].category, 0);
    ts_supervisor_free(x.s);
    x.s = NULL;
    teardown(&x);

    /* Timers fail from 15 ms on: the arrival at 21 ms cannot re-arm. */
    setup(&x, 2, TS_FO_HOT);
    start(&x);
    fake_runtime_run(x.f, 15 * MS);
    assert_false(ts_supervisor_in_safe_state(x.s));
    x.f->timers_left = 0;
    fake_runtime_run(x.f, 30 * MS);
    assert_true(ts_supervisor_in_safe_state(x.s));
    r = fake_runtime_find(x.f, "safe_state", 0);
    assert_non_null(r);
    assert_int_equal(r->time, 21 * MS);
    assert_non_null(strstr(r->detail, "cannot arm"));
    assert_int_equal(x.log.calls, 1);
    assert_int_equal(x.log.ev[0].phase, TS_SAFE_STOP);  /* category 2 */
    teardown(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(group_lost_enters_once),
        cmocka_unit_test(one_survivor_is_enough),
        cmocka_unit_test(cold_backup_counts),
        cmocka_unit_test(lone_component_lost),
        cmocka_unit_test(unneeded_deaths_do_nothing),
        cmocka_unit_test(stop_categories),
        cmocka_unit_test(free_while_braking),
        cmocka_unit_test(dead_supervisor_waits),
        cmocka_unit_test(quick_restart_is_fine),
        cmocka_unit_test(bad_descriptions),
        cmocka_unit_test(timer_failure_enters_safe_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
