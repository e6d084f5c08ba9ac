/*
 * The deployment code's scenarios, run through the library and checked in
 * their traces: an edge server crash fails vision over to the second rack
 * within its budget; a crashed safety monitor's hot standby serves within
 * 10 ms; an incompatible QoS pair never connects; a reliable topic over a
 * lossy link delivers every sample while a best-effort one loses some; a
 * canary with a slower version makes the rollout abort and roll back;
 * losing the edge with no backup puts the robot in its safe state; a
 * rollout over a failover group keeps one publisher and judges the member
 * that serves; a replica on the health checker's node answers its probes.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "toposim/scenario.h"
#include "toposim/sim.h"
#include "toposim/trace.h"
#include "toposim/world.h"

#include "scenario_run.h"

static void test_edge_crash_fails_over_to_second_rack(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("scenarios/edge-failover.xml");
    int backup = ROW(t, components, "vision_processing_b");
    int edge2 = ROW(t, nodes, "edge2");
    const ts_trace_event *fault = scenario_event(t, "fault:node-crash", -1, 0);
    const ts_trace_event *fo = scenario_event(t, "failover", backup, 0);
    assert_non_null(fault);
    assert_non_null(fo);
    assert_int_equal(fo->node, edge2);
    ts_time took = fo->time_ns - fault->time_ns;
    /* 3 missed 10 ms heartbeats, then 5 ms of warm takeover: within the
     * 100 ms budget. */
    assert_true(took > 20 * TS_MS && took <= 100 * TS_MS);
    assert_int_equal(scenario_count(t, "failover"), 1);
    /* The simulator pairs the failover with its fault and judges it. */
    const ts_trace_event *ft = scenario_event(t, "failover_time", backup, 0);
    assert_non_null(ft);
    assert_int_equal((int64_t)ft->value, took);
    assert_non_null(strstr(ft->detail, "within its 100.000 ms budget"));
    /* The backup serves: its objects flow after the failover. */
    int objects_b = ROW(t, topics, "objects_b");
    size_t after = 0;
    for (size_t i = 0; i < t->n_messages; i++)
        after += t->messages[i].topic == objects_b && t->messages[i].send_ns > fo->time_ns &&
                 t->messages[i].status == TS_MSG_DELIVERED;
    assert_true(after > 30);
    ts_trace_free(t);
}

static void test_safety_monitor_hot_standby_within_10ms(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("scenarios/safety-hot-standby.xml");
    int backup = ROW(t, components, "safety_monitor_b");
    const ts_trace_event *fault = scenario_event(t, "fault:component-crash", -1, 0);
    const ts_trace_event *fo = scenario_event(t, "failover", backup, 0);
    assert_non_null(fault);
    assert_non_null(fo);
    assert_int_equal(fault->time_ns, 2 * TS_S);
    assert_true(fo->time_ns - fault->time_ns < 10 * TS_MS);
    const ts_trace_event *ft = scenario_event(t, "failover_time", backup, 0);
    assert_non_null(ft);
    assert_true(ft->value < 10e6);
    assert_non_null(strstr(ft->detail, "within"));
    /* Before the crash only the primary's status flows; after, the backup's. */
    int primary_topic = ROW(t, topics, "safety_status");
    int backup_topic = ROW(t, topics, "safety_status_b");
    size_t backup_before = 0, backup_after = 0, primary_after = 0;
    for (size_t i = 0; i < t->n_messages; i++) {
        const ts_trace_message *m = &t->messages[i];
        if (m->topic == backup_topic && m->send_ns < fault->time_ns)
            backup_before++;
        if (m->topic == backup_topic && m->send_ns > fo->time_ns)
            backup_after++;
        if (m->topic == primary_topic && m->send_ns > fault->time_ns)
            primary_after++;
    }
    assert_int_equal(backup_before, 0);
    assert_int_equal(primary_after, 0);
    assert_true(backup_after > 900);
    ts_trace_free(t);
}

static void test_incompatible_qos_never_connects(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("scenarios/qos-incompatible.xml");
    int points = ROW(t, topics, "lidar_points");
    int log = ROW(t, topics, "lidar_log");
    const ts_trace_event *e = scenario_event(t, "qos_incompatible", -1, 0);
    assert_non_null(e);
    assert_non_null(strstr(e->detail, "RELIABILITY"));
    size_t to_planner = 0, to_logger = 0;
    for (size_t i = 0; i < t->n_messages; i++) {
        to_planner += t->messages[i].topic == points;
        to_logger += t->messages[i].topic == log && t->messages[i].status == TS_MSG_DELIVERED;
    }
    assert_int_equal(to_planner, 0);
    assert_true(to_logger >= 39);
    ts_trace_free(t);
}

static void test_reliable_delivers_all_best_effort_loses(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("scenarios/qos-lossy-link.xml");
    int odom = ROW(t, topics, "odometry");
    int thumbs = ROW(t, topics, "camera_thumbs");
    size_t odom_ok = 0, odom_lost = 0, thumbs_ok = 0, thumbs_lost = 0;
    uint64_t next_seq = UINT64_MAX;
    for (size_t i = 0; i < t->n_messages; i++) {
        const ts_trace_message *m = &t->messages[i];
        if (m->topic == odom) {
            if (m->status == TS_MSG_DELIVERED) {
                if (next_seq != UINT64_MAX)
                    assert_int_equal(m->seq, next_seq);   /* in order, none missing */
                next_seq = m->seq + 1;
                odom_ok++;
            } else if (m->status != TS_MSG_IN_FLIGHT) {
                odom_lost++;
            }
        } else if (m->topic == thumbs) {
            thumbs_ok += m->status == TS_MSG_DELIVERED;
            thumbs_lost += m->status == TS_MSG_LOST;
        }
    }
    assert_int_equal(odom_lost, 0);
    assert_true(odom_ok >= 480);            /* 100 Hz for 5 s, the last few in flight */
    /* 10% packet loss: best effort loses some, keeps most. */
    assert_true(thumbs_lost >= 5 && thumbs_lost <= 40);
    assert_true(thumbs_ok >= 100);
    ts_trace_free(t);
}

static void test_slow_canary_aborts_and_rolls_back(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("scenarios/canary-rollback.xml");
    const ts_trace_event *start = scenario_event(t, "rollout_start", -1, 0);
    const ts_trace_event *eval = scenario_event(t, "rollout_evaluate", -1, 0);
    const ts_trace_event *abort_ev = scenario_event(t, "rollout_abort", -1, 0);
    assert_non_null(start);
    assert_non_null(eval);
    assert_non_null(abort_ev);
    assert_int_equal(start->time_ns, 5 * TS_S);
    assert_int_equal(abort_ev->time_ns, 15 * TS_S);      /* start + soak */
    assert_non_null(strstr(eval->detail, "fail"));
    assert_int_equal(scenario_count(t, "rollback"), 1);    /* the canary only */
    assert_int_equal(scenario_count(t, "rollout_complete"), 0);
    assert_int_equal(scenario_count(t, "rollout_update"), 1);
    /* The other robots' perception never missed a deadline. */
    for (int k = 1; k < 4; k++) {
        char id[32];
        snprintf(id, sizeof id, "perception_r%d", k);
        int c = ROW(t, components, id);
        for (size_t i = 0; i < t->n_jobs; i++)
            if (t->jobs[i].component == c && t->jobs[i].finish_ns >= 0)
                assert_true(t->jobs[i].finish_ns <= t->jobs[i].deadline_ns);
    }
    /* After the rollback the canary works off the backlog v2 left (2 s of
     * work, drained at 12 ms per 20 ms frame) and meets its deadlines
     * again. */
    int canary = ROW(t, components, "perception");
    size_t late_after = 0, after = 0;
    for (size_t i = 0; i < t->n_jobs; i++) {
        const ts_trace_job *j = &t->jobs[i];
        if (j->component == canary && j->release_ns > 20 * TS_S && j->release_ns < 22 * TS_S &&
            j->finish_ns >= 0) {
            after++;
            late_after += j->finish_ns > j->deadline_ns;
        }
    }
    assert_true(after > 90);
    assert_int_equal(late_after, 0);

    /* Fleet: each robot's merged configuration, robot 2's override, all
     * four registered, and the crashed canary reported silent after three
     * 1 s telemetry periods. */
    size_t configs = 0, overrides = 0;
    for (size_t i = 0; i < t->n_events; i++)
        if (!strcmp(t->events[i].kind, "config") && strstr(t->events[i].detail, "max_speed")) {
            configs++;
            if (strstr(t->events[i].detail, "0.8m/s (robot override)"))
                overrides++;
        }
    assert_int_equal(configs, 4);
    assert_int_equal(overrides, 1);
    assert_int_equal(scenario_count(t, "robot_registered"), 4);
    const ts_trace_event *silent = scenario_event(t, "robot_silent", -1, 0);
    assert_non_null(silent);
    assert_int_equal(scenario_count(t, "robot_silent"), 1);
    assert_true(silent->time_ns > 22 * TS_S && silent->time_ns <= 26 * TS_S);
    ts_trace_free(t);
}

static void test_edge_loss_without_backup_enters_safe_state(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("scenarios/edge-loss-safe-state.xml");
    const ts_trace_event *fault = scenario_event(t, "fault:node-crash", -1, 0);
    const ts_trace_event *safe = scenario_event(t, "safe_state", -1, 0);
    assert_non_null(fault);
    assert_non_null(safe);
    assert_int_equal(scenario_count(t, "safe_state"), 1);
    assert_true(safe->time_ns > fault->time_ns);
    assert_true(safe->time_ns - fault->time_ns <= 200 * TS_MS);
    /* Stop category 1: the walking gait stops at once, the control loop
     * (safety-critical) keeps running until power-off. */
    int gait = ROW(t, components, "walking_gait");
    size_t gait_after = 0;
    for (size_t i = 0; i < t->n_jobs; i++)
        gait_after += t->jobs[i].component == gait && t->jobs[i].release_ns > safe->time_ns;
    assert_int_equal(gait_after, 0);
    assert_non_null(scenario_event(t, "safe_state_power_off", -1, 0));
    ts_trace_free(t);
}

static void test_services_balance_health_and_policy(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("scenarios/services-and-policy.xml");
    int d2 = ROW(t, components, "detector_2");
    const ts_trace_event *crash = scenario_event(t, "fault:component-crash", -1, 0);
    const ts_trace_event *down = scenario_event(t, "replica_down", d2, 0);
    const ts_trace_event *up = scenario_event(t, "replica_up", d2, 0);
    assert_non_null(crash);
    assert_non_null(down);
    assert_non_null(up);
    /* Out within a health period plus timeout of the crash, back after the
     * restart at 3 s. */
    assert_true(down->time_ns > crash->time_ns && down->time_ns <= crash->time_ns + 150 * TS_MS);
    assert_true(up->time_ns >= 3 * TS_S && up->time_ns <= 3 * TS_S + 150 * TS_MS);
    /* Timeouts only for requests caught by the crash. */
    for (size_t i = 0; i < t->n_events; i++)
        if (!strcmp(t->events[i].kind, "request_timeout"))
            assert_true(t->events[i].time_ns >= crash->time_ns &&
                        t->events[i].time_ns <= down->time_ns + 100 * TS_MS);
    /* Round robin: each replica answers about a third of the calls. */
    size_t per[3] = {0, 0, 0};
    const char *names[3] = {"detector", "detector_2", "detector_3"};
    for (size_t i = 0; i < t->n_events; i++)
        if (!strcmp(t->events[i].kind, "response"))
            for (int k = 0; k < 3; k++)
                if (strstr(t->events[i].detail, names[k]) &&
                    strstr(t->events[i].detail, names[k])[strlen(names[k])] == ' ')
                    per[k]++;
    assert_true(per[0] + per[1] + per[2] >= 95);
    for (int k = 0; k < 3; k++)
        assert_true(per[k] >= 25);
    /* The policy drops diagnostics into the safety zone, and says so. */
    int diag = ROW(t, topics, "diag_status");
    for (size_t i = 0; i < t->n_messages; i++)
        assert_true(t->messages[i].topic != diag);
    assert_true(scenario_count(t, "policy_violation") >= 4);
    ts_trace_free(t);
}

/* Robots sharing needed components hear every member: no fault, no safe
 * state (each supervisor gets heartbeats, not just the first robot's). */
static void test_shared_needed_components_keep_every_robot_running(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("tests/e2e/shared-needed.xml");
    assert_int_equal(scenario_count(t, "safe_state"), 0);
    assert_int_equal(scenario_count(t, "failover"), 0);
    ts_trace_free(t);
}

/* Responses travel back along an allowed request's flow. */
static void test_policy_allows_responses_of_allowed_requests(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("tests/e2e/service-cross-zone.xml");
    assert_int_equal(scenario_count(t, "policy_violation"), 0);
    assert_int_equal(scenario_count(t, "request_timeout"), 0);
    assert_true(scenario_count(t, "response") >= 39);
    ts_trace_free(t);
}

/* A replica on the health checker's node (tests/e2e/service-probe-same-node.xml):
 * the checker runs on the client's node agent (h1_rt), where detector also
 * runs; detector_2 is on edge1. Same-node runtime traffic takes no time,
 * so each probe to detector is answered within the nanosecond it is sent
 * (ticks every 100 ms, the first at 100 ms). detector crashes at 350 ms:
 * the round of 400 ms goes unanswered and takes it out at 450 ms, 150 ms
 * after its last answer (the round of 300 ms, answered at 300 ms); it
 * restarts at 650 ms and answers the round of 700 ms at 700 ms, 250 ms
 * after it was taken out. Its requests travel the same way: the one sent
 * at 0 is answered after detector's 8 ms of work, at exactly 8 ms. */
static int placed_on(const ts_trace *t, int component)
{
    for (size_t i = 0; i < t->n_placement; i++)
        if (t->placement[i].component == component)
            return t->placement[i].node;
    return -1;
}

static void check_replica_on_checker_node(const char *path)
{
    ts_trace *t = scenario_run(path);
    int d1 = ROW(t, components, "detector");
    int d2 = ROW(t, components, "detector_2");
    int h1 = ROW(t, nodes, "h1_rt");
    assert_int_equal(placed_on(t, d1), h1);
    assert_int_equal(placed_on(t, ROW(t, components, "planner")), h1);
    assert_int_equal(placed_on(t, d2), ROW(t, nodes, "edge1"));
    assert_int_equal(scenario_count(t, "replica_down"), 1);
    assert_int_equal(scenario_count(t, "replica_up"), 1);
    const ts_trace_event *down = scenario_event(t, "replica_down", d1, 0);
    const ts_trace_event *up = scenario_event(t, "replica_up", d1, 0);
    assert_non_null(down);
    assert_non_null(up);
    assert_int_equal(down->time_ns, 450 * TS_MS);
    assert_int_equal((int64_t)down->value, 150 * TS_MS);
    assert_int_equal(up->time_ns, 700 * TS_MS);
    assert_int_equal((int64_t)up->value, 250 * TS_MS);
    assert_null(scenario_event(t, "replica_down", d2, 0));
    const ts_trace_event *first = scenario_event(t, "response", -1, 0);
    assert_non_null(first);
    assert_int_equal(first->time_ns, 8 * TS_MS);
    assert_non_null(strstr(first->detail, "to detector answered"));
    ts_trace_free(t);
}

static void test_replica_on_checker_node_answers_probes(void **state)
{
    (void)state;
    check_replica_on_checker_node("tests/e2e/service-probe-same-node.xml");
}

/* The same with an autoscaler holding both slots serving. */
static void test_replica_on_checker_node_answers_probes_autoscaled(void **state)
{
    (void)state;
    check_replica_on_checker_node("tests/e2e/service-probe-same-node-autoscale.xml");
}

/* A rollout over a failover group (tests/e2e/split-brain-rollout.xml):
 * the primary crashes at 1 s for 200 ms and rejoins as the standby; the
 * rollout at 2 s changes the version of the replica set, not who serves.
 * At any time one safety_status publisher sends: every primary sample
 * precedes the failover, every backup sample follows it, and the canary
 * is judged on the serving backup, which passes. */
static void test_rollout_over_failover_group_keeps_one_publisher(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("tests/e2e/split-brain-rollout.xml");
    int primary = ROW(t, components, "safety_monitor");
    int backup = ROW(t, components, "safety_monitor_b");
    int status = ROW(t, topics, "safety_status");
    int status_b = ROW(t, topics, "safety_status_b");
    const ts_trace_event *fo = scenario_event(t, "failover", backup, 0);
    assert_non_null(fo);
    assert_int_equal(scenario_count(t, "failover"), 1);
    assert_non_null(scenario_event(t, "rejoin", primary, 0));
    /* Walk the samples in send order: the publisher changes once. */
    int64_t last_primary = -1, first_backup = INT64_MAX, last_backup = -1;
    size_t n_primary = 0, n_backup = 0, after_rollout[2] = {0, 0};
    for (size_t i = 0; i < t->n_messages; i++) {
        const ts_trace_message *m = &t->messages[i];
        if (m->topic == status) {
            n_primary++;
            if (m->send_ns > last_primary)
                last_primary = m->send_ns;
            after_rollout[0] += m->send_ns >= 2 * TS_S;
        } else if (m->topic == status_b) {
            n_backup++;
            if (m->send_ns < first_backup)
                first_backup = m->send_ns;
            if (m->send_ns > last_backup)
                last_backup = m->send_ns;
            after_rollout[1] += m->send_ns >= 2 * TS_S;
        }
    }
    assert_true(last_primary < 1 * TS_S);           /* silent from its crash on */
    assert_true(first_backup >= fo->time_ns);       /* the backup only once serving */
    assert_true(last_primary < first_backup);
    assert_true(last_backup > 3900 * TS_MS);        /* ... and to the end */
    /* 500 Hz for about 1 s, then 3 s: nothing from the primary after 2 s. */
    assert_int_equal(after_rollout[0], 0);
    assert_true(after_rollout[1] >= 995 && after_rollout[1] <= 1001);
    assert_true(n_primary >= 495 && n_primary <= 501);
    assert_true(n_primary + n_backup <= 2001);
    /* The canary is judged on the member that serves, and passes. */
    const ts_trace_event *ev = scenario_event(t, "rollout_evaluate", -1, 0);
    assert_non_null(ev);
    char by[64];
    snprintf(by, sizeof by, "served by component %d", backup);
    assert_non_null(strstr(ev->detail, "pass"));
    assert_non_null(strstr(ev->detail, by));
    assert_non_null(scenario_event(t, "rollout_complete", -1, 0));
    assert_int_equal(scenario_count(t, "rollout_abort"), 0);
    ts_trace_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edge_crash_fails_over_to_second_rack),
        cmocka_unit_test(test_safety_monitor_hot_standby_within_10ms),
        cmocka_unit_test(test_incompatible_qos_never_connects),
        cmocka_unit_test(test_reliable_delivers_all_best_effort_loses),
        cmocka_unit_test(test_slow_canary_aborts_and_rolls_back),
        cmocka_unit_test(test_edge_loss_without_backup_enters_safe_state),
        cmocka_unit_test(test_services_balance_health_and_policy),
        cmocka_unit_test(test_shared_needed_components_keep_every_robot_running),
        cmocka_unit_test(test_policy_allows_responses_of_allowed_requests),
        cmocka_unit_test(test_rollout_over_failover_group_keeps_one_publisher),
        cmocka_unit_test(test_replica_on_checker_node_answers_probes),
        cmocka_unit_test(test_replica_on_checker_node_answers_probes_autoscaled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
