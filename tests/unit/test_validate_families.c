/*
 * Tests of the validator's families on crafted traces with known answers:
 * the safety checklist (with a path no fault exercised), the health
 * formulas by hand values, integration checks, the overall rule, topic
 * compliance per logical subscriber across a failover, jobs cut by a
 * fault, and expectations.
 */
#include "validate_fixture.h"

#include "toposim/scenario.h"
#include "validate/validate_internal.h"

static void test_safety_flag_matches_scenario(void **state)
{
    (void)state;
    assert_int_equal(TS__FLAG_SAFETY_CRITICAL, TS_FLAG_SAFETY_CRITICAL);
    assert_int_equal(TS__SAFE_STATE_BUDGET_NS, TS_TRACE_SAFE_STATE_BUDGET_NS);
}

/* Robot node 0 (site robot1, safe state category 1 within 200 ms), edge
 * nodes 1 and 2. estop is safety-critical on the robot on a reserved
 * core; monitor is safety-critical but on the edge, sharing cores.
 * vision (edge1) has a backup vision_b (edge2), budget 10 ms; lidar
 * (edge1) has a backup lidar_b (edge2) that no fault exercised. */
static void build_safety(fixture *f)
{
    fx_init(f, "safety", SEC(4));
    f->t.n_sites = 1;
    snprintf(f->sites[0].name, sizeof f->sites[0].name, "robot1");
    snprintf(f->sites[0].tier, sizeof f->sites[0].tier, "robot");
    f->sites[0].safe_state_category = 1;
    f->sites[0].safe_state_budget_ns = MS(200);
    f->sites[0].fleet = f->sites[0].fleet_member = -1;
    f->nodes[0].site_row = 0;
    int e1 = add_node(f, "edge1", "edge"), e2 = add_node(f, "edge2", "edge");
    int estop = add_comp(f, "estop", MS(1)), monitor = add_comp(f, "monitor", MS(5));
    f->comps[estop].flags = f->comps[monitor].flags = TS_FLAG_SAFETY_CRITICAL;
    place(f, estop, 0, 0x1);
    place(f, monitor, e1, 0);
    int vision = add_comp(f, "vision", MS(33)), vision_b = add_comp(f, "vision_b", MS(33));
    int lidar = add_comp(f, "lidar", MS(33)), lidar_b = add_comp(f, "lidar_b", MS(33));
    int diag = add_comp(f, "diag", MS(100));
    place(f, vision, e1, 0);
    place(f, vision_b, e2, 0);
    place(f, lidar, e1, 0);
    place(f, lidar_b, e2, 0);
    place(f, diag, 0, 0);
    for (int c = 0; c < (int)f->t.n_components; c++)
        add_job(f, c, 0, US(10), f->comps[c].deadline_ns);
    f->t.n_failover_groups = 2;
    f->groups[0].primary = vision;
    f->groups[0].failover_budget_ns = MS(10);
    f->groups[0].n_backups = 1;
    f->groups[1].primary = lidar;
    f->groups[1].failover_budget_ns = MS(50);
    f->groups[1].n_backups = 1;
    f->t.n_failover_backups = 2;
    f->backups[0].group = 0;
    f->backups[0].component = vision_b;
    f->backups[1].group = 1;
    f->backups[1].component = lidar_b;
    /* vision's node crashes at 1 s; vision_b serves 12 ms later. */
    add_event(f, SEC(1), "fault:node-crash", e1, -1, 0, "node edge1 crashed");
    add_event(f, SEC(1) + MS(12), "failover_time", e2, vision_b, (double)MS(12),
              "vision_b serving 12.000 ms after the fault: OVER its 10.000 ms budget");
    add_event(f, SEC(1) + MS(12), "failover", e2, vision_b, (double)MS(30),
              "vision: component %d (warm standby) serves in safety mode, replacing %d",
              vision_b, vision);
    /* The robot loses a needed component at 2 s, brakes, powers off. */
    add_event(f, SEC(2), "fault:component-crash", -1, diag, 0, "component diag crashed");
    add_event(f, SEC(2) + MS(50), "safe_state", 0, diag, (double)MS(60), "robot 0: stop 1");
    add_event(f, SEC(2) + MS(150), "safe_state_power_off", 0, diag, (double)MS(100), "off");
    /* A denied message to estop: a policy violation on a safety flow. */
    add_event(f, SEC(3), "policy_violation", 0, diag, 3,
              "component %d in zone 0 may not send topic 0 to component %d in zone 1", diag,
              estop);
}

static void test_safety_checklist(void **state)
{
    (void)state;
    fixture f;
    build_safety(&f);
    ts_validation *v = validate_ok(&f);
    assert_int_equal(check_named(v, "robot-tier", "estop")->status, TS_CHECK_PASS);
    assert_int_equal(check_named(v, "reserved-core", "estop")->status, TS_CHECK_PASS);
    assert_int_equal(check_named(v, "robot-tier", "monitor")->status, TS_CHECK_FAIL);
    assert_non_null(strstr(check_named(v, "robot-tier", "monitor")->detail, "runs on edge1"));
    assert_int_equal(check_named(v, "reserved-core", "monitor")->status, TS_CHECK_FAIL);
    assert_int_equal(check_named(v, "backup-node", "vision_b")->status, TS_CHECK_PASS);
    assert_int_equal(check_named(v, "backup-node", "lidar_b")->status, TS_CHECK_PASS);
    const ts_check *fo = check_named(v, "failover-budget", "vision");
    assert_int_equal(fo->status, TS_CHECK_FAIL);
    assert_true(fo->value == (double)MS(12));
    assert_true(fo->limit == (double)MS(10));
    /* lidar's group never failed over: reported, neither passed nor failed. */
    const ts_check *ne = check_named(v, "failover-budget", "lidar");
    assert_int_equal(ne->status, TS_CHECK_NOT_EXERCISED);
    assert_non_null(strstr(ne->detail, "no fault made a backup take over"));
    /* 150 ms from the crash to power off, within 200 ms. */
    const ts_check *ss = check_named(v, "safe-state-budget", "robot1");
    assert_int_equal(ss->status, TS_CHECK_PASS);
    assert_true(ss->value == (double)MS(150));
    assert_true(ss->limit == (double)MS(200));
    const ts_check *pol = check_named(v, "safety-policy", NULL);
    assert_int_equal(pol->status, TS_CHECK_FAIL);
    assert_string_equal(pol->item, "estop");
    /* Passed: estop x2, backups x2, safe state = 5; failed: monitor x2,
     * failover, policy = 4. 5 / 9; one path not exercised. */
    assert_int_equal(v->family_items[TS_FAMILY_SAFETY], 9);
    assert_true(fabs(v->family_score[TS_FAMILY_SAFETY] - 5.0 / 9.0) < 1e-12);
    assert_int_equal(v->not_exercised, 1);
    assert_int_equal(v->n_failovers, 1);
    assert_string_equal(v->failovers[0].group, "vision");
    assert_int_equal(v->failovers[0].took_ns, MS(12));
    assert_int_equal(v->failovers[0].within, 0);
    /* The run gates fail on the failover and the safety policy violation. */
    assert_int_equal(gate_named(v, "run:failover-over-budget")->pass, 0);
    assert_non_null(strstr(gate_named(v, "run:failover-over-budget")->message,
                           "took 12.000 ms, over its 10.000 ms budget"));
    assert_int_equal(gate_named(v, "run:safety-policy-violation")->pass, 0);
    assert_int_equal(gate_named(v, "safety-coverage:all")->pass, 0);
    ts_validation_free(v);

    /* Declared failover and safe-state gates. */
    build_safety(&f);
    add_req(&f, "failover", 4 /* lidar */, NAN);
    add_req(&f, "safe-state", 0, NAN);
    add_req(&f, "failover", -1, NAN);
    v = validate_ok(&f);
    assert_int_equal(gate_named(v, "failover:lidar")->pass, 0);
    assert_non_null(strstr(gate_named(v, "failover:lidar")->message, "not exercised"));
    assert_int_equal(gate_named(v, "safe-state:robot1")->pass, 1);
    assert_int_equal(gate_named(v, "failover:all")->pass, 0);
    assert_string_equal(gate_named(v, "failover:all")->worst, "vision");
    ts_validation_free(v);

    /* Expected: the over-budget failover and the denial are the test. */
    build_safety(&f);
    f.t.n_expects = 2;
    snprintf(f.expects[0].event, sizeof f.expects[0].event, "failover_time");
    f.expects[0].component = 3; /* vision_b */
    f.expects[0].node = -1;
    f.expects[0].min_count = 1;
    f.expects[0].max_count = -1;
    snprintf(f.expects[1].event, sizeof f.expects[1].event, "policy_violation");
    f.expects[1].component = f.expects[1].node = -1;
    f.expects[1].min_count = 1;
    f.expects[1].max_count = 1;
    v = validate_ok(&f);
    assert_int_equal(check_named(v, "failover-budget", "vision")->status, TS_CHECK_PASS);
    assert_int_equal(gate_named(v, "run:failover-over-budget")->pass, 1);
    assert_int_equal(gate_named(v, "run:safety-policy-violation")->pass, 1);
    assert_int_equal(gate_named(v, "expect:failover_time:vision_b")->pass, 1);
    assert_int_equal(gate_named(v, "expect:policy_violation")->pass, 1);
    ts_validation_free(v);
    /* An expected event that does not happen fails its expect gate. */
    f.t.n_events = 0;
    v = validate_ok(&f);
    const ts_gate *g = gate_named(v, "expect:failover_time:vision_b");
    assert_int_equal(g->pass, 0);
    assert_true(g->actual == 0);
    assert_non_null(strstr(g->message, "it occurred 0"));
    ts_validation_free(v);
}

static void test_health_formulas(void **state)
{
    (void)state;
    /* 100 * f_util * f_loss * f_queue with mean 80 % busy (0.5), 1 % loss
     * (0.8) and the queue 75 % full at peak (0.5): 20. */
    ts_link_health l = {.util_mean = 0.8, .loss_rate = 0.01, .queue_peak_fraction = 0.75};
    assert_true(fabs(ts__link_health_score(&l) - 20.0) < 1e-9);
    ts_link_health idle = {0};
    assert_true(ts__link_health_score(&idle) == 100.0);
    ts_link_health lossy = {.loss_rate = 0.05};
    assert_true(ts__link_health_score(&lossy) == 0.0);
    /* Node: 5 C headroom (0.5) x throttled a quarter of the run (0.75),
     * 11 W of a 10 W budget (0.5), cpu mean 85 % (0.5), memory peak 95 %
     * (0.5): 100 * 0.5 * 0.75 * 0.5 * 0.5 * 0.5 = 4.6875. */
    ts_node_health n = {.headroom_c = 5, .throttled_ns = SEC(1), .power_peak_w = 11,
                        .power_budget_w = 10, .cpu_mean = 0.85, .mem_peak_fraction = 0.95,
                        .battery_end_wh = -1};
    assert_true(fabs(ts__node_health_score(&n, SEC(4)) - 4.6875) < 1e-9);
    ts_node_health cool = {.headroom_c = NAN, .power_peak_w = 3, .power_budget_w = NAN,
                           .battery_end_wh = 12};
    assert_true(ts__node_health_score(&cool, SEC(1)) == 100.0);
    cool.battery_end_wh = 0; /* a battery that ran empty */
    assert_true(ts__node_health_score(&cool, SEC(1)) == 0.0);
    assert_true(ts__mode_budget("15W") == 15.0);
    assert_true(isnan(ts__mode_budget("MAXN")));
}

/* The same figures from node_state and link_state rows. */
static void test_health_from_samples(void **state)
{
    (void)state;
    fixture f;
    fx_init(&f, "health", SEC(4));
    f.nodes[0].throttle_c = 95;
    f.t.n_power_modes = 2;
    f.modes[0].node = f.modes[1].node = 0;
    snprintf(f.modes[0].name, sizeof f.modes[0].name, "10W");
    f.modes[0].budget_w = 10;
    snprintf(f.modes[1].name, sizeof f.modes[1].name, "7W");
    f.modes[1].budget_w = 7;
    /* One sample a second; throttled in the third (one second of four). */
    add_node_state(&f, 0, SEC(1), 0.80, 60, 8, "10W");
    add_node_state(&f, 0, SEC(2), 0.90, 90, 11, "10W");
    add_node_state(&f, 0, SEC(3), 0.85, 88, 9, "10W")->throttle_level = 1;
    add_node_state(&f, 0, SEC(4), 0.85, 70, 6.9, "7W");
    f.node_state[1].memory_used_bytes = (int64_t)(0.95 * (1 << 30));
    int b = add_node(&f, "edge", "edge");
    int l = add_link(&f, "wifi", 0, b, MS(1), 1e8, 1000000);
    /* Direction 0: 70 % and 90 % busy (mean 80 %); direction 1 idle. 99
     * packets sent, 1 lost: 1 % loss. Queue 750 kB of 1 MB at peak. */
    add_link_state(&f, l, 0, SEC(1), 0.7, 50, 0, 0, 250000);
    add_link_state(&f, l, 0, SEC(2), 0.9, 49, 0, 1, 750000);
    add_link_state(&f, l, 1, SEC(1), 0.0, 0, 0, 0, 0);
    add_link_state(&f, l, 1, SEC(2), 0.0, 0, 0, 0, 0);
    ts_validation *v = validate_ok(&f);
    const ts_node_health *n = &v->nodes[0];
    assert_true(n->temp_peak_c == 90);
    assert_true(n->throttle_c == 95);
    assert_true(n->headroom_c == 5);
    assert_int_equal(n->throttled_ns, SEC(1));
    /* The worst sample against its own mode: 11 W of 10 W. */
    assert_true(n->power_peak_w == 11);
    assert_true(n->power_budget_w == 10);
    assert_string_equal(n->power_mode, "10W");
    assert_true(fabs(n->cpu_mean - 0.85) < 1e-12);
    assert_true(fabs(n->mem_peak_fraction - 0.95) < 1e-6);
    assert_true(fabs(n->score - 4.6875) < 1e-3);
    const ts_link_health *lh = &v->links[l];
    assert_true(lh->util_peak == 0.9);
    assert_true(fabs(lh->util_mean - 0.8) < 1e-12);
    assert_int_equal(lh->sent, 99);
    assert_int_equal(lh->lost, 1);
    assert_true(fabs(lh->loss_rate - 0.01) < 1e-12);
    assert_true(lh->queue_peak_fraction == 0.75);
    /* Mean queueing delay over 4 samples: (250k + 750k) * 8 / 1e8 / 4 =
     * 20 ms on a 1 ms link: inflation 21. */
    assert_true(fabs(lh->inflation - 21.0) < 1e-9);
    assert_true(fabs(lh->score - 20.0) < 1e-9);
    /* Health family: the least healthy item. */
    assert_true(fabs(v->family_score[TS_FAMILY_HEALTH] - n->score / 100.0) < 1e-12);
    assert_int_equal(gate_named(v, "health:all")->pass, 0);
    ts_validation_free(v);

    /* Declared power-budget and thermal-headroom gates. */
    add_req(&f, "power-budget", 0, NAN);
    add_req(&f, "thermal-headroom", -1, 3);
    v = validate_ok(&f);
    const ts_gate *g = gate_named(v, "power-budget:robot1.computer");
    assert_int_equal(g->pass, 0);
    assert_true(g->actual == 11 && g->required == 10);
    assert_non_null(strstr(g->message, "robot1.computer drew 11.00 W at peak in its 10W mode"));
    g = gate_named(v, "thermal-headroom:all");
    assert_int_equal(g->pass, 1);
    assert_true(g->actual == 5);
    ts_validation_free(v);
}

static void test_integration(void **state)
{
    (void)state;
    fixture f;
    fx_init(&f, "integration", SEC(2));
    int cam = add_comp(&f, "cam", MS(100)), det = add_comp(&f, "det", MS(100));
    int img = add_topic(&f, "image", MS(50)), odo = add_topic(&f, "odometry", MS(50));
    add_msg(&f, img, TS_MSG_DELIVERED, 0, MS(5));
    f.msgs[0].publisher = cam;
    f.msgs[0].subscriber = det;
    f.t.n_subscriptions = 2;
    f.subs[0] = (ts_trace_subscription){.topic = img, .subscriber = det, .has_qos = 1,
                                        .matched = 1, .allowed = 1};
    f.subs[1] = (ts_trace_subscription){.topic = odo, .subscriber = det, .has_qos = 1,
                                        .matched = 0, .allowed = 1};
    snprintf(f.subs[1].writer_reliability, 16, "BEST_EFFORT");
    snprintf(f.subs[1].reader_reliability, 16, "RELIABLE");
    snprintf(f.subs[1].incompatible_policy, 16, "RELIABILITY");
    f.t.n_services = 1;
    snprintf(f.services[0].name, sizeof f.services[0].name, "detect");
    f.t.n_clients = 1;
    f.clients[0] = (ts_trace_client){.component = cam, .service = 0, .requests = 10,
                                     .answered = 9, .timeouts = 1};
    add_event(&f, MS(100), "rollout_start", -1, -1, 2, "rolling det from v1 to v2 over 2 robots");
    add_event(&f, MS(900), "rollout_abort", -1, -1, 1, "aborted at canary");
    ts_validation *v = validate_ok(&f);
    assert_int_equal(check_named(v, "topic-delivers", "image")->status, TS_CHECK_PASS);
    const ts_check *k = check_named(v, "topic-delivers", "odometry");
    assert_int_equal(k->status, TS_CHECK_FAIL);
    assert_non_null(strstr(k->detail, "delivered 0 of 0"));
    k = check_named(v, "qos-match", "odometry");
    assert_int_equal(k->status, TS_CHECK_FAIL);
    assert_non_null(strstr(k->detail, "RELIABILITY incompatible (writer BEST_EFFORT, reader "
                                      "RELIABLE)"));
    k = check_named(v, "service-answered", "detect");
    assert_int_equal(k->status, TS_CHECK_FAIL);
    assert_true(k->value == 0.9);
    k = check_named(v, "rollout-finished", "det");
    assert_int_equal(k->status, TS_CHECK_FAIL);
    /* 1 passed of 5 checked. */
    assert_int_equal(v->family_items[TS_FAMILY_INTEGRATION], 5);
    assert_true(v->family_score[TS_FAMILY_INTEGRATION] == 0.2);
    /* Zero delivered is never compliant: odometry's deadline score is 0. */
    assert_true(v->scores[odo].compliance == 0.0);
    assert_int_equal(gate_named(v, "topic-deadline:all")->pass, 0);
    assert_string_equal(gate_named(v, "topic-deadline:all")->worst, "odometry");
    assert_int_equal(gate_named(v, "run:rollout-abort")->pass, 0);
    ts_validation_free(v);

    /* Declared service and rollout gates. */
    add_req(&f, "service", 0, 0.9);
    f.t.n_rollouts = 1;
    f.rollouts[0].component = det;
    add_req(&f, "rollout", 0, NAN);
    v = validate_ok(&f);
    assert_int_equal(gate_named(v, "service:detect")->pass, 1);
    assert_true(gate_named(v, "service:detect")->actual == 0.9);
    assert_int_equal(gate_named(v, "rollout:det")->pass, 0);
    ts_validation_free(v);

    /* The scenario expects the mismatch and the abort: odometry's silence
     * is excused, the abort is the test passing. */
    f.t.n_requirements = 0;
    f.t.n_expects = 2;
    snprintf(f.expects[0].event, sizeof f.expects[0].event, "qos_incompatible");
    snprintf(f.expects[1].event, sizeof f.expects[1].event, "rollout_abort");
    for (int i = 0; i < 2; i++) {
        f.expects[i].component = f.expects[i].node = -1;
        f.expects[i].min_count = 1;
        f.expects[i].max_count = -1;
    }
    f.t.n_events = 0; /* events again, in time order */
    add_event(&f, MS(1), "qos_incompatible", -1, det, 1, "RELIABILITY: odometry: writer");
    add_event(&f, MS(100), "rollout_start", -1, -1, 2, "rolling det from v1 to v2 over 2 robots");
    add_event(&f, MS(900), "rollout_abort", -1, -1, 1, "aborted at canary");
    v = validate_ok(&f);
    assert_int_equal(check_named(v, "topic-delivers", "odometry")->status, TS_CHECK_PASS);
    assert_int_equal(check_named(v, "qos-match", "odometry")->status, TS_CHECK_PASS);
    assert_int_equal(check_named(v, "rollout-finished", "det")->status, TS_CHECK_PASS);
    assert_int_equal(gate_named(v, "topic-deadline:all")->pass, 1);
    assert_int_equal(gate_named(v, "run:rollout-abort")->pass, 1);
    assert_int_equal(gate_named(v, "run:qos-incompatible")->pass, 1);
    assert_int_equal(gate_named(v, "expect:rollout_abort")->pass, 1);
    ts_validation_free(v);
}

static void test_overall_rule(void **state)
{
    (void)state;
    ts_validation v = {0};
    v.family_score[TS_FAMILY_PERFORMANCE] = 0.97;
    v.family_score[TS_FAMILY_SAFETY] = 0.9;
    v.family_score[TS_FAMILY_HEALTH] = 0.95;
    v.family_score[TS_FAMILY_INTEGRATION] = 1.0;
    v.family_score[TS_FAMILY_RUN] = 0.0; /* not a score family */
    ts__overall(&v);
    assert_true(v.overall == 0.9);
    v.family_score[TS_FAMILY_HEALTH] = 0.42;
    ts__overall(&v);
    assert_true(v.overall == 0.42);
}

/* camera (robot) publishes cam every 100 ms from 0 to 1 s to vision
 * (edge1, primary) and vision_b (edge2, warm backup). edge1 dies at
 * 450 ms; vision_b serves from 520 ms. The logical subscriber gets 11
 * samples: 0..400 ms from vision, the 500 ms one addressed to dead
 * vision (lost in the failover window), 600 ms..1 s from vision_b. */
static void build_failover_topic(fixture *f, int with_state)
{
    fx_init(f, "failover-topic", SEC(1) + MS(50));
    int e1 = add_node(f, "edge1", "edge"), e2 = add_node(f, "edge2", "edge");
    int cam = add_comp(f, "camera", MS(100));
    int vision = add_comp(f, "vision", MS(100)), vision_b = add_comp(f, "vision_b", MS(100));
    place(f, cam, 0, 0);
    place(f, vision, e1, 0);
    place(f, vision_b, e2, 0);
    int t = add_topic(f, "cam", MS(60));
    for (int i = 0; i <= 10; i++) {
        int64_t at = MS(100) * i;
        add_msg(f, t, at < MS(450) ? TS_MSG_DELIVERED : TS_MSG_RECEIVER_DOWN, at, at + MS(20));
        f->msgs[f->t.n_messages - 1].publisher = cam;
        f->msgs[f->t.n_messages - 1].subscriber = vision;
        add_msg(f, t, TS_MSG_DELIVERED, at, at + MS(25));
        f->msgs[f->t.n_messages - 1].publisher = cam;
        f->msgs[f->t.n_messages - 1].subscriber = vision_b;
    }
    f->t.n_failover_groups = 1;
    f->groups[0].primary = vision;
    f->groups[0].failover_budget_ns = MS(100);
    f->groups[0].n_backups = 1;
    f->t.n_failover_backups = 1;
    f->backups[0].group = 0;
    f->backups[0].component = vision_b;
    add_event(f, MS(450), "node_down", e1, -1, 0, "node edge1 is down");
    add_event(f, MS(520), "failover_time", e2, vision_b, (double)MS(70),
              "vision_b serving 70.000 ms after the fault: within its 100.000 ms budget");
    add_event(f, MS(520), "failover", e2, vision_b, (double)MS(90),
              "vision: component %d (warm standby) serves in safety mode, replacing %d",
              vision_b, vision);
    if (with_state) {
        f->t.n_component_state = 3;
        f->cstate[0] = (ts_trace_component_state){.time_ns = 0, .component = vision_b,
                                                  .serving = 0, .run = 1, .alive = 1};
        f->cstate[1] = (ts_trace_component_state){.time_ns = MS(450), .component = vision,
                                                  .serving = 1, .run = 2, .alive = 0};
        f->cstate[2] = (ts_trace_component_state){.time_ns = MS(520), .component = vision_b,
                                                  .serving = 1, .run = 2, .alive = 1};
    }
}

static void test_failover_logical_subscriber(void **state)
{
    (void)state;
    for (int with_state = 1; with_state >= 0; with_state--) {
        fixture f;
        build_failover_topic(&f, with_state);
        ts_validation *v = validate_ok(&f);
        const ts_score *s = &v->scores[0];
        assert_string_equal(s->name, "cam");
        assert_int_equal(s->total, 11);
        assert_int_equal(s->met, 10);
        assert_int_equal(s->lost, 1);
        assert_int_equal(s->lost_in_failover, 1);
        assert_true(fabs(s->compliance - 10.0 / 11.0) < 1e-12);
        /* Latencies: 5 of 20 ms from vision, 5 of 25 ms from vision_b. */
        assert_int_equal(s->p50_ns, MS(22) + US(500));
        assert_int_equal(s->max_ns, MS(25));
        assert_int_equal(v->n_failovers, 1);
        const ts_failover *fo = &v->failovers[0];
        assert_string_equal(fo->group, "vision");
        assert_string_equal(fo->serving, "vision_b");
        assert_int_equal(fo->fault_ns, MS(450));
        assert_int_equal(fo->serving_ns, MS(520));
        assert_int_equal(fo->took_ns, MS(70));
        assert_int_equal(fo->budget_ns, MS(100));
        assert_int_equal(fo->samples_lost, 1);
        assert_int_equal(fo->within, 1);
        assert_int_equal(check_named(v, "failover-budget", "vision")->status, TS_CHECK_PASS);
        ts_validation_free(v);
    }
}

/* A job cut by its component's crash is not a deadline miss; one that
 * simply ran late is. */
static void test_job_cut_by_fault(void **state)
{
    (void)state;
    fixture f;
    fx_init(&f, "cut", MS(100));
    int c = add_comp(&f, "worker", MS(10));
    place(&f, c, 0, 0);
    add_job(&f, c, 0, MS(2), MS(10));
    add_job(&f, c, MS(10), -1, MS(20));
    add_event(&f, MS(12), "fault:component-crash", -1, c, 0, "component worker crashed");
    ts_validation *v = validate_ok(&f);
    assert_int_equal(v->scores[0].total, 1);
    assert_int_equal(v->scores[0].met, 1);
    ts_validation_free(v);
    f.t.n_events = 0;
    v = validate_ok(&f);
    assert_int_equal(v->scores[0].total, 2);
    assert_int_equal(v->scores[0].met, 1);
    ts_validation_free(v);
}

/* DDS deadline events gate at most the declared count, per topic. */
static void test_qos_deadline_gate(void **state)
{
    (void)state;
    fixture f;
    fx_init(&f, "dds", SEC(1));
    int c = add_comp(&f, "ctrl", MS(10));
    int t = add_topic(&f, "cmd", MS(10));
    add_msg(&f, t, TS_MSG_DELIVERED, 0, MS(1));
    f.msgs[0].publisher = f.msgs[0].subscriber = c;
    add_job(&f, c, 0, MS(1), MS(10));
    for (int i = 0; i < 3; i++)
        add_event(&f, MS(10) * (i + 1), i ? "requested_deadline_missed" : "offered_deadline_missed",
                  0, c, i + 1, "cmd: writer 0 wrote nothing within its 10000000 ns deadline");
    ts_validation *v = validate_ok(&f);
    const ts_gate *g = gate_named(v, "qos-deadline:all");
    assert_int_equal(g->declared, 0);
    assert_int_equal(g->pass, 0);
    assert_true(g->actual == 3);
    assert_string_equal(g->worst, "cmd");
    assert_non_null(strstr(g->message, "3 DDS deadline period(s) missed (1 offered, 2 requested)"));
    ts_validation_free(v);
    add_req(&f, "qos-deadline", t, 3);
    v = validate_ok(&f);
    assert_int_equal(gate_named(v, "qos-deadline:cmd")->pass, 1);
    assert_null(gate_named(v, "qos-deadline:all"));
    ts_validation_free(v);
}

/* Losing every member of a needed component must lead to the safe state:
 * nav (needed by robot1) dies at 1 s with no backup. */
static void test_needed_loss_without_safe_state(void **state)
{
    (void)state;
    fixture f;
    fx_init(&f, "needed", SEC(2));
    f.t.n_sites = 1;
    snprintf(f.sites[0].name, sizeof f.sites[0].name, "robot1");
    f.sites[0].safe_state_category = 1;
    f.sites[0].safe_state_budget_ns = MS(200);
    f.sites[0].fleet = f.sites[0].fleet_member = -1;
    f.nodes[0].site_row = 0;
    int nav = add_comp(&f, "nav", MS(10));
    f.comps[nav].needed = 1;
    f.comps[nav].robot = 0;
    place(&f, nav, 0, 0);
    add_job(&f, nav, 0, MS(1), MS(10));
    f.t.n_component_state = 1;
    f.cstate[0] = (ts_trace_component_state){.time_ns = SEC(1), .component = nav, .alive = 0,
                                             .run = 2, .serving = 1};
    add_event(&f, SEC(1), "fault:component-crash", -1, nav, 0, "component nav crashed");
    ts_validation *v = validate_ok(&f);
    const ts_check *k = check_named(v, "safe-state-budget", "robot1");
    assert_non_null(k);
    assert_int_equal(k->status, TS_CHECK_FAIL);
    assert_non_null(strstr(k->detail, "lost needed nav at 1.000 s and never reached its safe state"));
    assert_int_equal(gate_named(v, "safety-coverage:all")->pass, 0);
    ts_validation_free(v);
    /* The safe state 120 ms later: the loss check is satisfied and the
     * timing check passes. */
    add_event(&f, SEC(1) + MS(120), "safe_state", 0, nav, (double)MS(50), "robot 0: stop 2");
    v = validate_ok(&f);
    for (size_t i = 0; i < v->n_checks; i++)
        if (!strcmp(v->checks[i].kind, "safe-state-budget"))
            assert_int_equal(v->checks[i].status, TS_CHECK_PASS);
    assert_true(check_named(v, "safe-state-budget", "robot1")->value == (double)MS(120));
    ts_validation_free(v);
}

/* A declared rollout that never started never finished. */
static void test_rollout_never_started(void **state)
{
    (void)state;
    fixture f;
    fx_init(&f, "rollout", SEC(1));
    int c = add_comp(&f, "perception", MS(10));
    add_job(&f, c, 0, MS(1), MS(10));
    f.t.n_rollouts = 1;
    f.rollouts[0].component = c;
    snprintf(f.rollouts[0].to_name, sizeof f.rollouts[0].to_name, "v2");
    f.rollouts[0].start_ns = SEC(5);
    add_req(&f, "rollout", 0, NAN);
    ts_validation *v = validate_ok(&f);
    const ts_check *k = check_named(v, "rollout-finished", "perception");
    assert_non_null(k);
    assert_int_equal(k->status, TS_CHECK_FAIL);
    assert_non_null(strstr(k->detail, "rollout of perception to v2 never started"));
    assert_int_equal(gate_named(v, "rollout:perception")->pass, 0);
    ts_validation_free(v);
    add_event(&f, MS(100), "rollout_start", -1, -1, 1, "rolling perception from v1 to v2");
    add_event(&f, MS(900), "rollout_complete", -1, -1, 1, "perception v2 everywhere");
    v = validate_ok(&f);
    assert_int_equal(check_named(v, "rollout-finished", "perception")->status, TS_CHECK_PASS);
    assert_int_equal(gate_named(v, "rollout:perception")->pass, 1);
    ts_validation_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_safety_flag_matches_scenario),
        cmocka_unit_test(test_safety_checklist),
        cmocka_unit_test(test_health_formulas),
        cmocka_unit_test(test_health_from_samples),
        cmocka_unit_test(test_integration),
        cmocka_unit_test(test_overall_rule),
        cmocka_unit_test(test_failover_logical_subscriber),
        cmocka_unit_test(test_job_cut_by_fault),
        cmocka_unit_test(test_qos_deadline_gate),
        cmocka_unit_test(test_needed_loss_without_safe_state),
        cmocka_unit_test(test_rollout_never_started),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
