/*
 * The trace's version 3 tables as a run writes them (src/sim/recorder.c,
 * tables.c, tables_deploy.c), checked against what the scenario declares
 * and against the run's own events: a backup's serving row falls at its
 * failover event, a client's counts equal its response and timeout
 * events, a canary's version rows fall at the rollout's update and abort.
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
#include <unistd.h>

#include "scenario_run.h"
#include "toposim/scenario.h"
#include "toposim/trace.h"
#include "toposim/world.h"

#define MS INT64_C(1000000)
#define S (1000 * MS)

/* The first component_state row of component c at or after `from` whose
 * serving column is `serving`, or NULL. */
static const ts_trace_component_state *state_row(const ts_trace *t, int c, int64_t from,
                                                 int serving)
{
    for (size_t i = 0; i < t->n_component_state; i++) {
        const ts_trace_component_state *r = &t->component_state[i];
        if (r->component == c && r->time_ns >= from && r->serving == serving)
            return r;
    }
    return NULL;
}

static size_t count_for(const ts_trace *t, const char *kind, int component)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_events; i++)
        n += !strcmp(t->events[i].kind, kind) && t->events[i].component == component;
    return n;
}

static void test_failover_group_and_states(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("scenarios/edge-failover.xml");
    int vp = ROW(t, components, "vision_processing");
    int vpb = ROW(t, components, "vision_processing_b");
    int edge1 = ROW(t, nodes, "edge1");
    assert_int_equal(t->format_version, TS_TRACE_FORMAT_VERSION);
    assert_int_equal(t->finished, 1);
    assert_int_equal(t->requirements_declared, 0);
    assert_string_equal(t->command_line, "");

    /* The group as declared: timeout detector, 10 ms heartbeat, 3 misses,
     * 100 ms budget, one warm backup taking 5 ms (the warm default). */
    assert_int_equal(t->n_failover_groups, 1);
    const ts_trace_failover_group *g = &t->failover_groups[0];
    assert_int_equal(g->primary, vp);
    assert_string_equal(g->detector, "timeout");
    assert_true(g->heartbeat_ns == 10 * MS);
    assert_int_equal(g->misses, 3);
    assert_true(g->failover_budget_ns == 100 * MS);
    assert_int_equal(g->n_backups, 1);
    assert_int_equal(t->n_failover_backups, 1);
    assert_int_equal(t->failover_backups[0].group, 0);
    assert_int_equal(t->failover_backups[0].component, vpb);
    assert_int_equal(t->failover_backups[0].rank, 0);
    assert_string_equal(t->failover_backups[0].standby, "warm");
    assert_true(t->failover_backups[0].takeover_ns == 5 * MS);
    assert_int_equal(t->components[vpb].backup_of, vp);
    assert_int_equal(t->components[vp].backup_of, -1);

    /* The warm backup stands by from the start (time 0, running, not
     * serving); the primary stops serving when edge1 crashes at 3 s; the
     * backup serves, in safety mode, at the failover event's instant. */
    const ts_trace_component_state *b0 = &t->component_state[0];
    assert_int_equal(b0->component, vpb);
    assert_true(b0->time_ns == 0);
    assert_int_equal(b0->serving, 0);
    assert_int_equal(b0->run, TS_TRACE_RUN_STANDBY);
    assert_int_equal(b0->alive, 1);
    const ts_trace_component_state *down = state_row(t, vp, 0, 0);
    assert_non_null(down);
    assert_true(down->time_ns == 3 * S);
    assert_int_equal(down->alive, 0);
    const ts_trace_event *fo = scenario_event(t, "failover", vpb, 0);
    assert_non_null(fo);
    const ts_trace_component_state *up = state_row(t, vpb, 1, 1);
    assert_non_null(up);
    assert_true(up->time_ns == fo->time_ns);
    assert_int_equal(up->run, TS_TRACE_RUN_ACTIVE);
    assert_int_equal(up->safety_mode, 1);
    /* One row per change: a component's consecutive rows differ, and its
     * first differs from the state before any row. */
    ts_trace_component_state *last = calloc(t->n_components, sizeof *last);
    assert_non_null(last);
    for (size_t c = 0; c < t->n_components; c++)
        last[c] = (ts_trace_component_state){0, (int32_t)c, 1, TS_TRACE_RUN_ACTIVE, 1, 0, 0};
    for (size_t i = 0; i < t->n_component_state; i++) {
        ts_trace_component_state r = t->component_state[i];
        ts_trace_component_state *p = &last[r.component];
        assert_false(r.serving == p->serving && r.run == p->run && r.alive == p->alive &&
                     r.version == p->version && r.safety_mode == p->safety_mode);
        assert_true(r.time_ns >= p->time_ns);
        *p = r;
    }
    free(last);

    /* Deployment facts: the robot, its nodes and the placement. */
    int robot = ROW(t, sites, "humanoid1");
    assert_string_equal(t->sites[robot].tier, "robot");
    assert_int_equal(t->sites[robot].safe_state_category, -1);
    assert_true(t->sites[robot].safe_state_budget_ns == 0);
    assert_int_equal(t->nodes[ROW(t, nodes, "h1_jetson")].site_row, robot);
    assert_int_equal(t->nodes[ROW(t, nodes, "ap1")].site_row, -1);
    assert_int_equal(t->components[ROW(t, components, "control_loop")].robot, robot);
    assert_int_equal(t->components[ROW(t, components, "control_loop")].needed, 1);
    assert_int_equal(t->components[vp].robot, -1);
    assert_int_equal(t->placement[vp].node, edge1);
    /* The Jetson's model: its thermal throttle point and power modes. */
    const ts_trace_node *jet = &t->nodes[ROW(t, nodes, "h1_jetson")];
    assert_false(isnan(jet->throttle_c));
    assert_true(isnan(t->nodes[ROW(t, nodes, "h1_rt")].throttle_c));
    size_t modes = 0, initial = 0;
    for (size_t i = 0; i < t->n_power_modes; i++)
        if (t->power_modes[i].node == ROW(t, nodes, "h1_jetson")) {
            modes++;
            if (t->power_modes[i].initial) {
                initial++;
                assert_string_equal(t->power_modes[i].name, jet->power_mode);
            }
        }
    assert_true(modes >= 2);
    assert_int_equal(initial, 1);
    /* Plain topics: matched, allowed, without QoS. */
    assert_int_equal(t->n_subscriptions, 4);
    for (size_t i = 0; i < t->n_subscriptions; i++) {
        assert_int_equal(t->subscriptions[i].has_qos, 0);
        assert_int_equal(t->subscriptions[i].matched, 1);
        assert_int_equal(t->subscriptions[i].allowed, 1);
    }
    ts_trace_free(t);
}

static void test_client_counts_match_events(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("scenarios/services-and-policy.xml");
    int planner = ROW(t, components, "planner");
    assert_int_equal(t->n_services, 1);
    assert_string_equal(t->services[0].name, "detect");
    assert_string_equal(t->services[0].balance, "round_robin");
    assert_true(t->services[0].timeout_ns == 100 * MS);
    assert_int_equal(t->services[0].n_replicas, 3);
    assert_int_equal(t->n_service_replicas, 3);
    assert_int_equal(t->service_replicas[1].component, ROW(t, components, "detector_2"));
    assert_int_equal(t->components[ROW(t, components, "detector_2")].replica_of,
                     ROW(t, components, "detector"));
    assert_int_equal(t->n_clients, 1);
    const ts_trace_client *c = &t->clients[0];
    assert_int_equal(c->component, planner);
    assert_int_equal(c->service, 0);
    assert_true(c->period_ns == 50 * MS);
    assert_true(c->answered == count_for(t, "response", planner));
    assert_true(c->timeouts == count_for(t, "request_timeout", planner));
    assert_true(c->rejected == count_for(t, "request_rejected", planner));
    assert_true(c->no_replica == count_for(t, "request_no_replica", planner));
    assert_true(c->requests == c->answered + c->timeouts + c->rejected + c->no_replica);
    /* 20 Hz for 5 s; the replica crashed at 2 s costs some. */
    assert_true(c->requests == 100);
    assert_true(c->answered > 90);
    /* default-deny between zones: safety_monitor and emergency_stop share
     * the safety zone; diagnostics (perception) may not reach it. */
    for (size_t i = 0; i < t->n_subscriptions; i++) {
        const ts_trace_subscription *s = &t->subscriptions[i];
        int diag = !strcmp(t->topics[s->topic].name, "diag_status");
        assert_int_equal(s->allowed, !diag);
    }
    ts_trace_free(t);
}

static void test_qos_match_recorded(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("scenarios/qos-incompatible.xml");
    int points = ROW(t, topics, "lidar_points");
    assert_int_equal(t->n_subscriptions, 2);
    for (size_t i = 0; i < 2; i++) {
        const ts_trace_subscription *s = &t->subscriptions[i];
        assert_int_equal(s->has_qos, 1);
        assert_string_equal(s->writer_reliability, "BEST_EFFORT");  /* sensor_data */
        if (s->topic == points) {
            assert_int_equal(s->subscriber, ROW(t, components, "planner"));
            assert_string_equal(s->reader_reliability, "RELIABLE");
            assert_int_equal(s->matched, 0);
            assert_string_equal(s->incompatible_policy, "RELIABILITY");
        } else {
            assert_int_equal(s->matched, 1);
            assert_string_equal(s->incompatible_policy, "");
        }
    }
    ts_trace_free(t);
}

static void test_rollout_versions_and_fleet(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("scenarios/canary-rollback.xml");
    int perception = ROW(t, components, "perception");
    assert_int_equal(t->n_fleets, 1);
    assert_string_equal(t->fleets[0].name, "fleet1");
    assert_int_equal(t->fleets[0].count, 4);
    assert_int_equal(t->fleets[0].template_site, ROW(t, sites, "humanoid1"));
    assert_int_equal(t->fleets[0].coordinator, ROW(t, components, "fleet_coordinator"));
    int r2 = ROW(t, sites, "humanoid1_r2");
    assert_int_equal(t->sites[r2].fleet, 0);
    assert_int_equal(t->sites[r2].fleet_member, 2);
    assert_int_equal(t->components[ROW(t, components, "perception_r2")].robot, r2);

    /* Versions: v1 declared (8 ms), v2 24 ms. */
    assert_int_equal(t->components[perception].n_versions, 2);
    size_t found = 0;
    for (size_t i = 0; i < t->n_versions; i++)
        if (t->versions[i].component == perception) {
            found++;
            assert_string_equal(t->versions[i].name, t->versions[i].index ? "v2" : "v1");
            assert_true(t->versions[i].exec_ns == (t->versions[i].index ? 24 : 8) * MS);
            assert_true(t->versions[i].period_ns == 20 * MS);
        }
    assert_int_equal(found, 2);

    /* 4 robots, 1 canary soaking 10 s from 5 s, then 3 waves of 1, each
     * soaking 10 s: complete at 45 s if nothing failed. */
    assert_int_equal(t->n_rollouts, 1);
    const ts_trace_rollout *ro = &t->rollouts[0];
    assert_int_equal(ro->component, perception);
    assert_int_equal(ro->to_version, 1);
    assert_string_equal(ro->to_name, "v2");
    assert_int_equal(ro->robots, 4);
    assert_int_equal(ro->canaries, 1);
    assert_int_equal(ro->wave, 1);
    assert_true(ro->wave_soak_ns == 10 * S);
    assert_true(ro->expected_end_ns == 45 * S);

    /* The canary moves to v2 at the update and back at the abort. */
    const ts_trace_event *upd = scenario_event(t, "rollout_update", perception, 0);
    const ts_trace_event *abort_ev = scenario_event(t, "rollout_abort", -1, 0);
    assert_non_null(upd);
    assert_non_null(abort_ev);
    const ts_trace_component_state *v2 = NULL, *back = NULL;
    for (size_t i = 0; i < t->n_component_state; i++) {
        const ts_trace_component_state *r = &t->component_state[i];
        if (r->component != perception)
            continue;
        if (!v2 && r->version == 1)
            v2 = r;
        else if (v2 && !back && r->version == 0)
            back = r;
    }
    assert_non_null(v2);
    assert_non_null(back);
    assert_true(v2->time_ns == upd->time_ns);
    assert_true(back->time_ns == abort_ev->time_ns);
    ts_trace_free(t);
}

static void test_safe_state_budget_default(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("scenarios/edge-loss-safe-state.xml");
    int robot = ROW(t, sites, "humanoid1");
    assert_int_equal(t->sites[robot].safe_state_category, 1);
    assert_true(t->sites[robot].safe_state_budget_ns == 200 * MS);
    assert_int_equal(t->sites[robot].budget_declared, 1);
    assert_int_equal(t->components[ROW(t, components, "obstacle_detection")].needed, 1);
    ts_trace_free(t);
}

/* Gates and expectations as the trace carries them, and the default
 * safe-state budget for a robot that declares none. */
static const char GATES[] =
    "<scenario name=\"gates\" duration=\"300ms\">\n"
    "  <platform>\n"
    "    <robot id=\"r1\" safe-state=\"stop-1\">\n"
    "      <computer id=\"c1\" cores=\"4\" memory=\"4GiB\"/>\n"
    "      <jetson id=\"j1\" model=\"jetson-orin-nano-8gb\"/>\n"
    "    </robot>\n"
    "    <link id=\"l1\" from=\"c1\" to=\"j1\" latency=\"1us\" bandwidth=\"1Gbps\"/>\n"
    "  </platform>\n"
    "  <components>\n"
    "    <component id=\"mon\" rate=\"100Hz\" exec=\"100us\" node=\"c1\" heartbeat=\"2ms\"\n"
    "               flags=\"safety-critical\" failover-budget=\"10ms\"/>\n"
    "    <component id=\"mon_b\" backup-of=\"mon\" standby=\"hot\" node=\"j1\"/>\n"
    "    <component id=\"det\" rate=\"100Hz\" exec=\"1ms\" node=\"j1\"/>\n"
    "  </components>\n"
    "  <topics>\n"
    "    <topic id=\"t1\" publisher=\"mon\" subscribers=\"det\" size=\"1KiB\" qos=\"real_time\"/>\n"
    "  </topics>\n"
    "  <services>\n"
    "    <service id=\"svc\" component=\"det\" request=\"1KiB\" response=\"1KiB\" timeout=\"50ms\"/>\n"
    "  </services>\n"
    "  <requirements>\n"
    "    <topic-deadline topic=\"t1\" min=\"99%\"/>\n"
    "    <failover component=\"mon\"/>\n"
    "    <safe-state robot=\"r1\"/>\n"
    "    <health min=\"70\"/>\n"
    "    <integration/>\n"
    "    <qos-deadline topic=\"t1\"/>\n"
    "    <service service=\"svc\" min=\"95%\"/>\n"
    "    <thermal-headroom node=\"j1\" min=\"5C\"/>\n"
    "    <power-budget/>\n"
    "    <expect event=\"failover\" component=\"mon_b\" max=\"0\" min=\"0\"/>\n"
    "  </requirements>\n"
    "</scenario>\n";

static ts_trace *run_text(const char *text)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/test_recorder_%ld.xml", (long)getpid());
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    /* The document lives in /tmp: its models are the checkout's. */
    assert_int_equal(setenv("TOPOSIM_MODELS", "models", 1), 0);
    ts_trace *t = scenario_run(path);
    unsetenv("TOPOSIM_MODELS");
    unlink(path);
    return t;
}

static void test_requirements_and_expects(void **state)
{
    (void)state;
    ts_trace *t = run_text(GATES);
    assert_int_equal(t->requirements_declared, 1);
    static const struct {
        const char *kind, *table, *target;
        double threshold;   /* -1: NaN */
    } want[] = {
        {"topic-deadline", "topics", "t1", 0.99},
        {"failover", "components", "mon", -1},
        {"safe-state", "sites", "r1", -1},
        {"health", "", NULL, 70},
        {"integration", "", NULL, -1},
        {"qos-deadline", "topics", "t1", 0},
        {"service", "services", "svc", 0.95},
        {"thermal-headroom", "nodes", "j1", 5},
        {"power-budget", "nodes", NULL, -1},
    };
    assert_int_equal(t->n_requirements, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < t->n_requirements; i++) {
        const ts_trace_requirement *r = &t->requirements[i];
        assert_string_equal(r->kind, want[i].kind);
        assert_string_equal(r->target_table, want[i].table);
        int target = -1;
        if (want[i].target) {
            if (!strcmp(want[i].table, "topics"))
                target = ROW(t, topics, want[i].target);
            else if (!strcmp(want[i].table, "components"))
                target = ROW(t, components, want[i].target);
            else if (!strcmp(want[i].table, "sites"))
                target = ROW(t, sites, want[i].target);
            else if (!strcmp(want[i].table, "services"))
                target = ROW(t, services, want[i].target);
            else
                target = ROW(t, nodes, want[i].target);
        }
        assert_int_equal(r->target, target);
        if (want[i].threshold < 0)
            assert_true(isnan(r->threshold));
        else
            assert_true(fabs(r->threshold - want[i].threshold) < 1e-12);
        assert_int_equal(r->line, 22 + (int)i);
    }
    assert_int_equal(t->n_expects, 1);
    assert_string_equal(t->expects[0].event, "failover");
    assert_int_equal(t->expects[0].component, ROW(t, components, "mon_b"));
    assert_int_equal(t->expects[0].node, -1);
    assert_true(t->expects[0].min_count == 0 && t->expects[0].max_count == 0);
    int r1 = ROW(t, sites, "r1");
    assert_true(t->sites[r1].safe_state_budget_ns == 200 * MS);
    assert_int_equal(t->sites[r1].budget_declared, 0);
    /* The real_time topic at 100 Hz: the writer writes exactly every
     * 10 ms, its deadline, and so meets it (see qos_writer.c). The reader
     * misses only where a delivery came more than 10 ms after the one
     * before (queueing behind other traffic), 1 ns past the deadline. */
    assert_int_equal(scenario_count(t, "offered_deadline_missed"), 0);
    int t1 = ROW(t, topics, "t1");
    int64_t prev = -1;
    size_t gaps = 0, deliveries = 0;
    for (size_t i = 0; i < t->n_messages; i++) {
        const ts_trace_message *m = &t->messages[i];
        if (m->topic != t1 || m->status != TS_MSG_DELIVERED)
            continue;
        deliveries++;
        if (prev >= 0 && m->recv_ns - prev > 10 * MS) {
            assert_true(m->recv_ns - prev < 20 * MS);
            const ts_trace_event *ev = scenario_event(t, "requested_deadline_missed", -1, gaps);
            assert_non_null(ev);
            assert_true(ev->time_ns == prev + 10 * MS + 1);
            gaps++;
        }
        prev = m->recv_ns;
    }
    assert_true(deliveries >= 29);
    assert_int_equal(scenario_count(t, "requested_deadline_missed"), gaps);
    ts_trace_free(t);
}

/* The same scenario and seed give the same bytes, wherever written. */
/* The summary level writes windows and no row per message or job but
 * those it must keep (in flight at the end, unfinished), and its windows
 * and rows together count what the full level's rows count, per topic
 * and status and per component. */
static void test_summary_counts_equal_full(void **state)
{
    (void)state;
    ts_run_options o = {.trace_level = TS_TRACE_LEVEL_SUMMARY};
    ts_trace *sum = scenario_run_with("scenarios/wifi-loss-burst.xml", &o);
    ts_trace *full = scenario_run("scenarios/wifi-loss-burst.xml");
    assert_int_equal(sum->level, TS_TRACE_LEVEL_SUMMARY);
    assert_int_equal(full->level, TS_TRACE_LEVEL_FULL);
    assert_true(sum->summary_window_ns >= S);
    assert_int_equal(full->n_topic_windows, 0);
    assert_true(sum->n_topic_windows > 0 && sum->n_job_windows > 0);
    for (size_t i = 0; i < sum->n_messages; i++)
        assert_int_equal(sum->messages[i].status, TS_MSG_IN_FLIGHT);
    for (size_t i = 0; i < sum->n_jobs; i++)
        assert_true(sum->jobs[i].finish_ns == -1);
    assert_true(full->n_messages > 100 * (sum->n_messages + 1));
    /* Per topic and status. */
    size_t nt = full->n_topics;
    uint64_t *a = calloc(nt * 7, sizeof *a), *b = calloc(nt * 7, sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    for (size_t i = 0; i < full->n_messages; i++)
        a[full->messages[i].topic * 7 + (size_t)full->messages[i].status]++;
    for (size_t i = 0; i < sum->n_messages; i++)
        b[sum->messages[i].topic * 7 + (size_t)sum->messages[i].status]++;
    uint64_t lost_total = 0;
    for (size_t i = 0; i < sum->n_topic_windows; i++) {
        const ts_trace_topic_window *w = &sum->topic_windows[i];
        uint64_t *r = b + (size_t)w->topic * 7;
        r[TS_MSG_DELIVERED] += w->delivered;
        r[TS_MSG_DROPPED_QUEUE] += w->dropped_queue;
        r[TS_MSG_NO_ROUTE] += w->no_route;
        r[TS_MSG_LOST] += w->lost;
        r[TS_MSG_LINK_DOWN] += w->link_down;
        r[TS_MSG_RECEIVER_DOWN] += w->receiver_down;
        lost_total += w->lost;
    }
    assert_true(lost_total > 0); /* the scenario's loss burst is in the windows */
    assert_memory_equal(a, b, nt * 7 * sizeof *a);
    free(a);
    free(b);
    /* Per component: finished jobs. */
    for (size_t c = 0; c < full->n_components; c++) {
        uint64_t fa = 0, fb = 0;
        for (size_t i = 0; i < full->n_jobs; i++)
            fa += full->jobs[i].component == (int32_t)c && full->jobs[i].finish_ns >= 0;
        for (size_t i = 0; i < sum->n_job_windows; i++)
            if (sum->job_windows[i].component == (int32_t)c)
                fb += sum->job_windows[i].finished;
        assert_int_equal(fa, fb);
    }
    ts_trace_free(sum);
    ts_trace_free(full);
}

static void test_reruns_identical(void **state)
{
    (void)state;
    ts_scenario *s = NULL;
    ts_plan *plan = NULL;
    ts_error err;
    assert_int_equal(ts_scenario_load("scenarios/edge-failover.xml", NULL, &s, &err), TS_OK);
    assert_int_equal(ts_plan_new(s, &plan, &err), TS_OK);
    char a[64], b[64];
    snprintf(a, sizeof a, "/tmp/test_recorder_a_%ld.h5", (long)getpid());
    snprintf(b, sizeof b, "/tmp/test_recorder_b_%ld.h5", (long)getpid());
    ts_run_options oa = {.trace_path = a, .command_line = "toposim run x.xml"};
    ts_run_options ob = {.trace_path = b, .command_line = "toposim run x.xml"};
    assert_int_equal(ts_world_run(s, plan, &oa, NULL, &err), TS_OK);
    assert_int_equal(ts_world_run(s, plan, &ob, NULL, &err), TS_OK);
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    assert_non_null(fa);
    assert_non_null(fb);
    int ca, cb;
    size_t n = 0;
    do {
        ca = fgetc(fa);
        cb = fgetc(fb);
        assert_int_equal(ca, cb);
        n++;
    } while (ca != EOF);
    assert_true(n > 1000);
    fclose(fa);
    fclose(fb);
    ts_trace *t = NULL;
    assert_int_equal(ts_trace_load(a, &t, &err), TS_OK);
    assert_string_equal(t->command_line, "toposim run x.xml");
    ts_trace_free(t);
    unlink(a);
    unlink(b);
    ts_plan_free(plan);
    ts_scenario_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failover_group_and_states),
        cmocka_unit_test(test_client_counts_match_events),
        cmocka_unit_test(test_qos_match_recorded),
        cmocka_unit_test(test_rollout_versions_and_fleet),
        cmocka_unit_test(test_safe_state_budget_default),
        cmocka_unit_test(test_requirements_and_expects),
        cmocka_unit_test(test_reruns_identical),
        cmocka_unit_test(test_summary_counts_equal_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
