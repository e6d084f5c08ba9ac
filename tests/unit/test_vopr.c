/* Simulation testing (tools/vopr/): the invariant checks on hand-made
 * traces that break each invariant (and twins that keep it), the
 * schedule generator's determinism and honesty (every schedule it draws
 * loads), and a short campaign of 20 schedules run through the library
 * as `make vopr` runs 1000. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "invariants.h"
#include "runner.h"
#include "schedule.h"

#define MS 1000000LL
#define S 1000000000LL

/* ---- hand-made traces ----
 * Components: 0 primary P (needed), 1 its backup B, 2 a lone needed
 * component L, 3 a publisher W. Robot site 0 with nodes 0 (its
 * computer, the supervisor's node) and 1. P's detector: 30 ms, heartbeat
 * 10 ms; L's the same; slack 5 ms: grace 45 ms. */
typedef struct fx {
    ts_trace t;
    ts_trace_component comps[4];
    ts_trace_site sites[1];
    ts_trace_node nodes[2];
    ts_trace_failover_group groups[1];
    ts_trace_failover_backup backups[1];
    ts_trace_component_state cs[16];
    ts_trace_event ev[8];
    ts_trace_topic topics[1];
    ts_trace_subscription subs[2];
    ts_trace_message msgs[16];
    ts_trace_job jobs[8];
    int64_t detect[4], hb[4];
    vopr_limits lim;
    vopr_violation v;
    vopr_check_stats st;
} fx;

static void fx_init(fx *x, int safe_state)
{
    memset(x, 0, sizeof *x);
    ts_trace *t = &x->t;
    t->duration_ns = 4 * S;
    const char *names[4] = {"P", "B", "L", "W"};
    for (int c = 0; c < 4; c++) {
        snprintf(x->comps[c].name, sizeof x->comps[c].name, "%s", names[c]);
        x->comps[c].robot = 0;
        x->comps[c].backup_of = -1;
        x->comps[c].replica_of = -1;
    }
    x->comps[0].needed = 1;
    x->comps[1].needed = 1;
    x->comps[1].backup_of = 0;
    x->comps[2].needed = 1;
    snprintf(x->sites[0].name, sizeof x->sites[0].name, "robot");
    snprintf(x->sites[0].tier, sizeof x->sites[0].tier, "robot");
    x->sites[0].safe_state_category = safe_state ? 1 : -1;
    for (int n = 0; n < 2; n++) {
        snprintf(x->nodes[n].name, sizeof x->nodes[n].name, "n%d", n);
        snprintf(x->nodes[n].kind, sizeof x->nodes[n].kind, "computer");
        x->nodes[n].site_row = 0;
    }
    x->groups[0] = (ts_trace_failover_group){.primary = 0, .heartbeat_ns = 10 * MS, .misses = 3,
                                             .n_backups = 1};
    x->backups[0] = (ts_trace_failover_backup){.group = 0, .component = 1, .rank = 0};
    snprintf(x->backups[0].standby, sizeof x->backups[0].standby, "hot");
    t->components = x->comps;
    t->n_components = 4;
    t->sites = x->sites;
    t->n_sites = 1;
    t->nodes = x->nodes;
    t->n_nodes = 2;
    t->failover_groups = x->groups;
    t->n_failover_groups = 1;
    t->failover_backups = x->backups;
    t->n_failover_backups = 1;
    t->component_state = x->cs;
    t->events = x->ev;
    t->topics = x->topics;
    t->subscriptions = x->subs;
    t->messages = x->msgs;
    t->jobs = x->jobs;
    /* At 0 the backup waits: the group's initial roles. */
    x->cs[t->n_component_state++] = (ts_trace_component_state){0, 1, 0, TS_TRACE_RUN_STANDBY, 1, 0, 0};
    for (int c = 0; c < 4; c++) {
        x->detect[c] = c == 0 || c == 2 ? 30 * MS : 0;
        x->hb[c] = c == 0 || c == 2 ? 10 * MS : 0;
    }
    x->lim = (vopr_limits){4, x->detect, x->hb, 5 * MS};
    vopr_check_stats_init(&x->st);
}

static void state_row(fx *x, int64_t t, int c, int serving, int run, int alive)
{
    x->cs[x->t.n_component_state++] =
        (ts_trace_component_state){t, c, serving, run, alive, 0, 0};
}

static void event(fx *x, int64_t t, const char *kind, int node, int component)
{
    ts_trace_event *e = &x->ev[x->t.n_events++];
    memset(e, 0, sizeof *e);
    e->time_ns = t;
    snprintf(e->kind, sizeof e->kind, "%s", kind);
    e->node = node;
    e->link = -1;
    e->component = component;
}

static int check(fx *x)
{
    return vopr_check(&x->t, &x->lim, &x->v, &x->st);
}

static void passes_untouched(void **state)
{
    (void)state;
    fx x;
    fx_init(&x, 0);
    assert_int_equal(check(&x), 0);
    assert_int_equal(x.st.episodes, 0);
}

/* B takes over while P is still ACTIVE: two ACTIVE members. */
static void two_active_caught(void **state)
{
    (void)state;
    fx x;
    fx_init(&x, 0);
    state_row(&x, 1 * S, 1, 1, TS_TRACE_RUN_ACTIVE, 1);
    assert_int_equal(check(&x), 1);
    assert_string_equal(x.v.invariant, "two-active");
    assert_int_equal(x.v.t_ns, 1 * S);
    /* Even a dead member left ACTIVE counts: it serves once restarted. */
    fx_init(&x, 0);
    state_row(&x, 1 * S, 0, 0, TS_TRACE_RUN_ACTIVE, 0);
    state_row(&x, 1 * S + 40 * MS, 1, 1, TS_TRACE_RUN_ACTIVE, 1);
    assert_int_equal(check(&x), 1);
    assert_string_equal(x.v.invariant, "two-active");
    assert_int_equal(x.v.t_ns, 1 * S + 40 * MS);
}

/* The same takeover with the primary told STANDBY at the same instant:
 * rows of one time stamp are one instant. */
static void takeover_in_one_instant_passes(void **state)
{
    (void)state;
    fx x;
    fx_init(&x, 0);
    state_row(&x, 1 * S, 0, 0, TS_TRACE_RUN_ACTIVE, 0);
    state_row(&x, 1 * S + 40 * MS, 1, 1, TS_TRACE_RUN_ACTIVE, 1);
    state_row(&x, 1 * S + 40 * MS, 0, 0, TS_TRACE_RUN_STANDBY, 0);
    assert_int_equal(check(&x), 0);
    assert_int_equal(x.st.episodes, 1);
    assert_true(x.st.closest_ns == 5 * MS);
}

/* P dies and its live backup never takes over: uncovered once the grace
 * (30 + 0 + 10 + 5 ms) runs out. */
static void no_takeover_caught(void **state)
{
    (void)state;
    fx x;
    fx_init(&x, 0);
    state_row(&x, 1 * S, 0, 0, TS_TRACE_RUN_ACTIVE, 0);
    assert_int_equal(check(&x), 1);
    assert_string_equal(x.v.invariant, "uncovered");
    assert_int_equal(x.v.t_ns, 1 * S + 45 * MS);
    /* A takeover one nanosecond past the grace is still late. */
    fx_init(&x, 0);
    state_row(&x, 1 * S, 0, 0, TS_TRACE_RUN_ACTIVE, 0);
    state_row(&x, 1 * S + 45 * MS + 1, 1, 1, TS_TRACE_RUN_ACTIVE, 1);
    state_row(&x, 1 * S + 45 * MS + 1, 0, 0, TS_TRACE_RUN_STANDBY, 0);
    assert_int_equal(check(&x), 1);
    assert_string_equal(x.v.invariant, "uncovered");
}

/* Every member down on a robot without a safe state: nothing the
 * deployment can do; counted, not failed. With a safe state declared
 * the supervisor must command it. */
static void all_down_without_and_with_safe_state(void **state)
{
    (void)state;
    fx x;
    fx_init(&x, 0);
    state_row(&x, 1 * S, 0, 0, TS_TRACE_RUN_ACTIVE, 0);
    state_row(&x, 1 * S, 1, 0, TS_TRACE_RUN_STANDBY, 0);
    assert_int_equal(check(&x), 0);
    assert_int_equal(x.st.exempt_no_safe_state, 1);

    fx_init(&x, 1);
    state_row(&x, 1 * S, 0, 0, TS_TRACE_RUN_ACTIVE, 0);
    state_row(&x, 1 * S, 1, 0, TS_TRACE_RUN_STANDBY, 0);
    assert_int_equal(check(&x), 1);
    assert_string_equal(x.v.invariant, "uncovered");
    assert_int_equal(x.v.t_ns, 1 * S + 45 * MS);

    fx_init(&x, 1);
    state_row(&x, 1 * S, 0, 0, TS_TRACE_RUN_ACTIVE, 0);
    state_row(&x, 1 * S, 1, 0, TS_TRACE_RUN_STANDBY, 0);
    event(&x, 1 * S + 31 * MS, "safe_state", 0, 0);
    assert_int_equal(check(&x), 0);
    assert_true(x.st.closest_ns == 14 * MS);
}

/* The lone needed component: its safe state comes late; with the
 * supervisor's node down the robot has nobody to command it (exempt);
 * without a heartbeat nobody watches it (exempt). */
static void lone_component_safe_state(void **state)
{
    (void)state;
    fx x;
    fx_init(&x, 1);
    state_row(&x, 2 * S, 2, 0, TS_TRACE_RUN_ACTIVE, 0);
    event(&x, 2 * S + 50 * MS, "safe_state", 1, 2);
    assert_int_equal(check(&x), 1);
    assert_string_equal(x.v.invariant, "uncovered");
    assert_int_equal(x.v.t_ns, 2 * S + 45 * MS);

    fx_init(&x, 1);
    event(&x, 2 * S - 1, "node_down", 0, -1);
    state_row(&x, 2 * S, 2, 0, TS_TRACE_RUN_ACTIVE, 0);
    assert_int_equal(check(&x), 0);
    assert_int_equal(x.st.exempt_supervisor_down, 1);
    /* ... until the node is back: then the clock runs. */
    event(&x, 3 * S, "node_up", 0, -1);
    assert_int_equal(check(&x), 1);
    assert_int_equal(x.v.t_ns, 3 * S + 45 * MS);

    fx_init(&x, 1);
    x.detect[2] = 0;
    x.hb[2] = 0;
    state_row(&x, 2 * S, 2, 0, TS_TRACE_RUN_ACTIVE, 0);
    assert_int_equal(check(&x), 0);
    assert_int_equal(x.st.exempt_unmonitored, 1);
}

/* A restart re-anchors the grace: the member back at 3 s must be served
 * by 3.045 s. */
static void restart_reanchors(void **state)
{
    (void)state;
    fx x;
    fx_init(&x, 0);
    state_row(&x, 1 * S, 0, 0, TS_TRACE_RUN_ACTIVE, 0);
    state_row(&x, 1 * S, 1, 0, TS_TRACE_RUN_STANDBY, 0);
    state_row(&x, 3 * S, 1, 0, TS_TRACE_RUN_STANDBY, 1);
    state_row(&x, 3 * S + 40 * MS, 1, 1, TS_TRACE_RUN_ACTIVE, 1);
    state_row(&x, 3 * S + 40 * MS, 0, 0, TS_TRACE_RUN_STANDBY, 0);
    assert_int_equal(check(&x), 0);
    x.t.n_component_state -= 2;
    assert_int_equal(check(&x), 1);
    assert_int_equal(x.v.t_ns, 3 * S + 45 * MS);
}

/* P fenced by B, then B dies: P is alive but waits, fenced, to hear a
 * member serve (exempt, counted); once it rejoins the clock runs. */
static void fenced_member_exempt_until_rejoin(void **state)
{
    (void)state;
    fx x;
    fx_init(&x, 0);
    state_row(&x, 1 * S, 1, 1, TS_TRACE_RUN_ACTIVE, 1);
    state_row(&x, 1 * S, 0, 0, TS_TRACE_RUN_STOPPED, 1);
    event(&x, 1 * S, "fence", 0, 0);
    state_row(&x, 2 * S, 1, 0, TS_TRACE_RUN_ACTIVE, 0);
    assert_int_equal(check(&x), 0);
    assert_int_equal(x.st.exempt_fenced, 1);
    event(&x, 3 * S, "rejoin", 0, 0);
    assert_int_equal(check(&x), 1);
    assert_string_equal(x.v.invariant, "uncovered");
    assert_int_equal(x.v.t_ns, 3 * S + 45 * MS);
    /* On a robot with a safe state, the supervisor must act instead. */
    fx_init(&x, 1);
    state_row(&x, 1 * S, 1, 1, TS_TRACE_RUN_ACTIVE, 1);
    state_row(&x, 1 * S, 0, 0, TS_TRACE_RUN_STOPPED, 1);
    event(&x, 1 * S, "fence", 0, 0);
    state_row(&x, 2 * S, 1, 0, TS_TRACE_RUN_ACTIVE, 0);
    assert_int_equal(check(&x), 1);
    assert_int_equal(x.v.t_ns, 2 * S + 45 * MS);
}

/* ---- messages: topic 0 from W (3) to P (0) and L (2), L not allowed ---- */

static void fx_topic(fx *x, int64_t period)
{
    snprintf(x->topics[0].name, sizeof x->topics[0].name, "status");
    x->topics[0].publisher = 3;
    x->topics[0].period_ns = period;
    x->topics[0].n_subscribers = 2;
    x->t.n_topics = 1;
    x->subs[0] = (ts_trace_subscription){.topic = 0, .subscriber = 0, .matched = 1, .allowed = 1};
    x->subs[1] = (ts_trace_subscription){.topic = 0, .subscriber = 2, .matched = 1, .allowed = 0};
    x->t.n_subscriptions = 2;
    /* W's jobs finish at 10, 20 and 30 ms; each publishes a sample. */
    for (int k = 0; k < 3; k++) {
        x->jobs[k] = (ts_trace_job){3, 0, (uint64_t)k, k * 10 * MS, k * 10 * MS,
                                    (k + 1) * 10 * MS, (k + 1) * 10 * MS};
        x->msgs[k] = (ts_trace_message){0, 3, 0, TS_MSG_DELIVERED, (uint64_t)k,
                                        (k + 1) * 10 * MS, (k + 1) * 10 * MS + MS, 64};
    }
    x->t.n_jobs = 3;
    x->t.n_messages = 3;
}

static void messages_pass(void **state)
{
    (void)state;
    fx x;
    fx_init(&x, 0);
    fx_topic(&x, 0);
    assert_int_equal(check(&x), 0);
    assert_int_equal(x.st.messages, 3);
    /* A drop with a cause and an in-flight sample are accounted for. */
    x.msgs[1].status = TS_MSG_LOST;
    x.msgs[1].recv_ns = -1;
    x.msgs[2].status = TS_MSG_IN_FLIGHT;
    x.msgs[2].recv_ns = -1;
    assert_int_equal(check(&x), 0);
}

static void expect_message_fault(fx *x, const char *what)
{
    assert_int_equal(check(x), 1);
    assert_string_equal(x->v.invariant, "message");
    assert_non_null(strstr(x->v.detail, what));
}

static void message_rows_caught(void **state)
{
    (void)state;
    fx x;
    fx_init(&x, 0);
    fx_topic(&x, 0);
    x.msgs[1].status = 9;
    expect_message_fault(&x, "status 9");

    fx_init(&x, 0);
    fx_topic(&x, 0);
    x.msgs[1].recv_ns = x.msgs[1].send_ns - 1;
    expect_message_fault(&x, "delivered at");

    fx_init(&x, 0);
    fx_topic(&x, 0);
    x.msgs[1].status = TS_MSG_LINK_DOWN;
    expect_message_fault(&x, "receive time");

    fx_init(&x, 0);
    fx_topic(&x, 0);
    x.msgs[1].publisher = 1;
    expect_message_fault(&x, "publisher");
}

static void message_accounting_caught(void **state)
{
    (void)state;
    fx x;
    /* seq 1 vanished: neither delivered, dropped nor in flight */
    fx_init(&x, 0);
    fx_topic(&x, 0);
    x.msgs[1] = x.msgs[2];
    x.t.n_messages = 2;
    expect_message_fault(&x, "seq 1 has no row");

    /* a duplicate */
    fx_init(&x, 0);
    fx_topic(&x, 0);
    x.msgs[3] = x.msgs[2];
    x.t.n_messages = 4;
    expect_message_fault(&x, "two rows");

    /* a sample to the subscriber the policy does not allow */
    fx_init(&x, 0);
    fx_topic(&x, 0);
    x.msgs[3] = x.msgs[2];
    x.msgs[3].subscriber = 2;
    x.t.n_messages = 4;
    expect_message_fault(&x, "owes no samples");

    /* copies of one sample sent at two times */
    fx_init(&x, 0);
    fx_topic(&x, 0);
    x.subs[1].allowed = 1;
    for (int k = 0; k < 3; k++) {
        x.msgs[3 + k] = x.msgs[k];
        x.msgs[3 + k].subscriber = 2;
    }
    x.msgs[4].send_ns += 1;
    x.msgs[4].recv_ns += 1;
    x.t.n_messages = 6;
    expect_message_fault(&x, "sent at");
}

static void message_count_against_jobs(void **state)
{
    (void)state;
    fx x;
    /* more samples than finished jobs */
    fx_init(&x, 0);
    fx_topic(&x, 0);
    x.t.n_jobs = 2;
    expect_message_fault(&x, "finished 2 jobs");

    /* a job finished while serving and published nothing */
    fx_init(&x, 0);
    fx_topic(&x, 0);
    x.jobs[3] = (ts_trace_job){3, 0, 3, 30 * MS, 30 * MS, 40 * MS, 40 * MS};
    x.t.n_jobs = 4;
    expect_message_fault(&x, "while serving");
    /* ... which is right when W did not serve then ... */
    state_row(&x, 35 * MS, 3, 0, TS_TRACE_RUN_STANDBY, 1);
    assert_int_equal(check(&x), 0);
    /* ... or changed state at that very nanosecond (either order) ... */
    x.cs[x.t.n_component_state - 1].time_ns = 40 * MS;
    assert_int_equal(check(&x), 0);
    /* ... and for a topic with its own period, which skips jobs. */
    x.t.n_component_state--;
    x.topics[0].period_ns = 15 * MS;
    assert_int_equal(check(&x), 0);
}

/* ---- the generator ---- */

static ts_scenario *load(const char *path)
{
    ts_scenario *s = NULL;
    ts_error err;
    int rc = ts_scenario_load(path, NULL, &s, &err);
    if (rc != TS_OK)
        fail_msg("%s: %s", path, err.msg);
    return s;
}

static void schedules_are_reproducible_and_load(void **state)
{
    (void)state;
    static const char *const paths[] = {"scenarios/humanoid-basic.xml",
                                        "scenarios/canary-rollback.xml",
                                        "scenarios/jetson-thermal-throttle.xml",
                                        "scenarios/services-and-policy.xml"};
    int kinds[VOPR_FAULT_KINDS] = {0};
    for (size_t p = 0; p < sizeof paths / sizeof *paths; p++) {
        ts_scenario *base = load(paths[p]);
        for (uint64_t i = 0; i < 15; i++) {
            uint64_t seed = vopr_schedule_seed(42, i);
            char *a, *b;
            size_t la, lb;
            vopr_schedule_info ia, ib;
            ts_error err;
            assert_int_equal(vopr_schedule_build(base, seed, base->duration_ns, &a, &la, &ia, &err),
                             TS_OK);
            assert_int_equal(vopr_schedule_build(base, seed, base->duration_ns, &b, &lb, &ib, &err),
                             TS_OK);
            assert_int_equal(la, lb);
            assert_memory_equal(a, b, la);
            assert_true(ia.n_faults >= 1 && ia.n_faults <= 8);
            for (int k = 0; k < VOPR_FAULT_KINDS; k++)
                kinds[k] += ia.per_kind[k];
            ts_scenario *s = NULL;
            int rc = ts_scenario_load_memory(a, la, base->path, NULL, &s, &err);
            if (rc != TS_OK)
                fail_msg("%s seed %llu: %s:%d: %s", paths[p], (unsigned long long)seed, err.file,
                         err.line, err.msg);
            assert_true(s->n_faults >= (size_t)ia.n_faults);
            ts_scenario_free(s);
            free(a);
            free(b);
        }
        ts_scenario_free(base);
    }
    /* These scenarios have targets for every kind but medium changes. */
    for (int k = 0; k < VOPR_FAULT_KINDS; k++)
        if (k != VOPR_MEDIUM_CHANGE)
            assert_true(kinds[k] > 0);
    assert_true(vopr_schedule_seed(1, 0) != vopr_schedule_seed(1, 1));
    assert_true(vopr_schedule_seed(1, 1) != vopr_schedule_seed(2, 0));
}

/* ---- a short campaign through the library ---- */

static void twenty_schedules(void **state)
{
    (void)state;
    static const char *const paths[] = {
        "scenarios/canary-rollback.xml",     "scenarios/edge-failover.xml",
        "scenarios/edge-loss-safe-state.xml", "scenarios/humanoid-basic.xml",
        "scenarios/qos-incompatible.xml",    "scenarios/qos-lossy-link.xml",
        "scenarios/safety-hot-standby.xml",  "scenarios/services-and-policy.xml",
        "scenarios/wifi-loss-burst.xml",     "scenarios/jetson-thermal-throttle.xml"};
    char dir[] = "/tmp/test-vopr.XXXXXX";
    assert_non_null(mkdtemp(dir));
    vopr_check_stats st;
    vopr_check_stats_init(&st);
    for (uint64_t i = 0; i < 20; i++) {
        /* the thermal scenario's 200 s are the slowest: run it once */
        size_t k = i < 19 ? i % 9 : 9;
        ts_scenario *base = load(paths[k]);
        uint64_t seed = vopr_schedule_seed(2024, i);
        vopr_result r;
        assert_int_equal(vopr_run_schedule(base, seed, dir, NULL, &r, &st, NULL), TS_OK);
        if (r.verdict != VOPR_PASS)
            fail_msg("%s seed %llu: %s %s", paths[k], (unsigned long long)seed,
                     r.verdict == VOPR_BROKEN ? r.violation.invariant : "",
                     r.verdict == VOPR_BROKEN ? r.violation.detail : r.error);
        ts_scenario_free(base);
    }
    assert_int_equal(rmdir(dir), 0);   /* every trace was removed */
    assert_true(st.messages > 0);
    assert_true(st.state_rows > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(passes_untouched),
        cmocka_unit_test(two_active_caught),
        cmocka_unit_test(takeover_in_one_instant_passes),
        cmocka_unit_test(no_takeover_caught),
        cmocka_unit_test(all_down_without_and_with_safe_state),
        cmocka_unit_test(lone_component_safe_state),
        cmocka_unit_test(restart_reanchors),
        cmocka_unit_test(fenced_member_exempt_until_rejoin),
        cmocka_unit_test(messages_pass),
        cmocka_unit_test(message_rows_caught),
        cmocka_unit_test(message_accounting_caught),
        cmocka_unit_test(message_count_against_jobs),
        cmocka_unit_test(schedules_are_reproducible_and_load),
        cmocka_unit_test(twenty_schedules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
