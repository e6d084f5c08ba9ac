/*
 * Each recommendation rule fires on a crafted trace, names the item and
 * the change, and stays silent on a healthy one.
 */
#include "validate_fixture.h"

#include "toposim/scenario.h"

/* A healthy base: camera on the robot sends frames to vision on the edge
 * over wifi, both meet every deadline. */
static void build_base(fixture *f)
{
    fx_init(f, "recommend", SEC(1));
    int edge = add_node(f, "edge1", "edge");
    int cam = add_comp(f, "camera", MS(33)), vis = add_comp(f, "vision", MS(33));
    place(f, cam, 0, 0);
    place(f, vis, edge, 0);
    int t = add_topic(f, "camera_image", MS(60));
    f->topics[t].size_bytes = 900 * 1024;
    f->topics[t].period_ns = MS(33);
    f->topics[t].publisher = cam;
    for (int i = 0; i < 10; i++) {
        add_msg(f, t, TS_MSG_DELIVERED, MS(33) * i, MS(33) * i + MS(20));
        f->msgs[f->t.n_messages - 1].publisher = cam;
        f->msgs[f->t.n_messages - 1].subscriber = vis;
        add_job(f, cam, MS(33) * i, MS(33) * i + MS(3), MS(33) * (i + 1));
        add_job(f, vis, MS(33) * i, MS(33) * i + MS(10), MS(33) * (i + 1));
    }
    int l = add_link(f, "wifi", 0, edge, US(500), 600e6, 4 << 20);
    add_link_state(f, l, 0, SEC(1), 0.37, 100, 0, 0, 0);
    add_node_state(f, 0, SEC(1), 0.2, 50, 5, "");
}

static const ts_recommendation *expect_rec(const ts_validation *v, const char *rule,
                                           const char *item, const char *text)
{
    const ts_recommendation *r = rec_of(v, rule);
    if (!r)
        fail_msg("no %s recommendation", rule);
    assert_string_equal(r->item, item);
    if (!strstr(r->text, text))
        fail_msg("%s: \"%s\" lacks \"%s\"", rule, r->text, text);
    return r;
}

static void test_healthy_has_none(void **state)
{
    (void)state;
    fixture f;
    build_base(&f);
    ts_validation *v = validate_ok(&f);
    assert_int_equal(v->n_recs, 0);
    assert_int_equal(v->all_pass, 1);
    ts_validation_free(v);
}

static void test_link_rules(void **state)
{
    (void)state;
    fixture f;
    build_base(&f);
    f.link_state[0].utilisation = 0.94;
    f.link_state[0].lost_packets = 3; /* 3 of 103: 2.9 % */
    ts_validation *v = validate_ok(&f);
    /* 900 KiB at 600 Mbps: 12.29 ms + 0.5 ms of the 20 ms p50 = 64 %. */
    expect_rec(v, "link-saturated", "wifi",
               "link wifi is 94 % busy at peak and holds 64 % of camera_image's latency: lower "
               "the camera_image rate, compress it, or place vision on the robot");
    expect_rec(v, "link-lossy", "wifi", "link wifi lost 2.9 % of its packets");
    ts_validation_free(v);
}

/* A node with an over-current limit and no thermal model: the gate and
 * the health judge its 24 W peak against the 25 W limit (not over), its
 * label (none: MAXN_SUPER) is kept apart, and its throttling is named as
 * over-current, not as heat. */
static void test_over_current_limit_and_throttle(void **state)
{
    (void)state;
    fixture f;
    build_base(&f);
    f.t.n_power_modes = 1;
    f.modes[0] = (ts_trace_power_mode){.node = 0, .initial = 1};
    snprintf(f.modes[0].name, sizeof f.modes[0].name, "MAXN_SUPER");
    ts_trace_power_limit limit = {.node = 0, .oc_limit_w = 25, .oc_release_w = 22.5,
                                  .oc_scale = 0.8};
    snprintf(limit.mode, sizeof limit.mode, "MAXN_SUPER");
    f.t.power_limits = &limit;
    f.t.n_power_limits = 1;
    f.t.n_node_state = 0;
    add_node_state(&f, 0, SEC(1) / 2, 0.5, NAN, 24, "MAXN_SUPER")->throttle_level = 2;
    add_node_state(&f, 0, SEC(1), 0.5, NAN, 18, "MAXN_SUPER");
    ts_validation *v = validate_ok(&f);
    assert_true(v->nodes[0].power_budget_w == 25.0);
    assert_true(isnan(v->nodes[0].power_label_w));
    assert_true(v->nodes[0].power_peak_w == 24.0);
    expect_rec(v, "node-throttled", "robot1.computer",
               "robot1.computer was over-current throttled for 0.500 s (its input over the "
               "mode's limit)");
    for (size_t i = 0; i < v->n_recs; i++)
        assert_string_not_equal(v->recs[i].rule, "power-over-budget");
    ts_validation_free(v);
}

static void test_node_rules(void **state)
{
    (void)state;
    fixture f;
    build_base(&f);
    f.nodes[0].throttle_c = 99;
    f.t.n_power_modes = 2;
    f.modes[0] = (ts_trace_power_mode){.node = 0, .budget_w = 15, .initial = 1};
    snprintf(f.modes[0].name, sizeof f.modes[0].name, "15W");
    f.modes[1] = (ts_trace_power_mode){.node = 0, .budget_w = 10};
    snprintf(f.modes[1].name, sizeof f.modes[1].name, "10W");
    f.t.n_node_state = 0;
    add_node_state(&f, 0, SEC(1) / 2, 0.95, 99, 16.5, "15W")->throttle_level = 1;
    add_node_state(&f, 0, SEC(1), 0.95, 99, 14, "15W")->memory_used_bytes = (int64_t)1 << 30;
    ts_validation *v = validate_ok(&f);
    expect_rec(v, "node-throttled", "robot1.computer",
               "robot1.computer throttled for 0.5 s with 0.0 C headroom: select the 10W power "
               "mode, add a fan");
    expect_rec(v, "power-over-budget", "robot1.computer",
               "drew 16.50 W at peak in its 15W mode (15.00 W)");
    expect_rec(v, "memory-pressure", "robot1.computer", "used 100 % of its memory");
    expect_rec(v, "cpu-overload", "robot1.computer", "was 95 % busy on average");
    ts_validation_free(v);
}

static void test_failover_slow(void **state)
{
    (void)state;
    fixture f;
    build_base(&f);
    int b = add_comp(&f, "vision_b", MS(33));
    place(&f, b, 0, 0);
    add_event(&f, MS(500), "failover_time", 0, b, (double)US(12300),
              "vision_b serving 12.300 ms after the fault: OVER its 10.000 ms budget");
    add_event(&f, MS(500), "failover", 0, b, 0,
              "vision: component %d (hot standby) serves in safety mode, replacing 1", b);
    ts_validation *v = validate_ok(&f);
    expect_rec(v, "failover-slow", "vision",
               "failover of vision took 12.3 ms against 10 ms: use a hot standby or a 2 ms "
               "heartbeat");
    ts_validation_free(v);
}

static void test_qos_mismatch(void **state)
{
    (void)state;
    fixture f;
    build_base(&f);
    /* From the events of an older trace... */
    add_event(&f, 0, "qos_incompatible", 0, 0, 1,
              "RELIABILITY: odometry: writer 0 offers BEST_EFFORT, requests RELIABLE; reader 1 "
              "cannot match");
    add_event(&f, 0, "qos_incompatible", 0, 1, 1,
              "RELIABILITY: odometry: writer 0 offers BEST_EFFORT, requests RELIABLE; reader 1 "
              "cannot match");
    ts_validation *v = validate_ok(&f);
    expect_rec(v, "qos-mismatch", "odometry",
               "odometry: writer BEST_EFFORT, reader RELIABLE (RELIABILITY): make the writer "
               "RELIABLE");
    size_t n = 0;
    for (size_t i = 0; i < v->n_recs; i++)
        n += strcmp(v->recs[i].rule, "qos-mismatch") == 0;
    assert_int_equal(n, 1); /* writer and reader rows are one pair */
    ts_validation_free(v);
    /* ...and from /subscriptions. */
    f.t.n_subscriptions = 1;
    f.subs[0] = (ts_trace_subscription){.topic = 0, .subscriber = 1, .has_qos = 1,
                                        .matched = 0, .allowed = 1};
    snprintf(f.subs[0].writer_durability, 16, "VOLATILE");
    snprintf(f.subs[0].reader_durability, 16, "TRANSIENT_LOCAL");
    snprintf(f.subs[0].incompatible_policy, 16, "DURABILITY");
    v = validate_ok(&f);
    expect_rec(v, "qos-mismatch", "camera_image",
               "camera_image: writer VOLATILE, reader TRANSIENT_LOCAL: make the writer "
               "TRANSIENT_LOCAL");
    ts_validation_free(v);
}

static void test_deadline_rules(void **state)
{
    (void)state;
    fixture f;
    build_base(&f);
    f.jobs[1].finish_ns = f.jobs[1].deadline_ns + 1; /* vision late once */
    f.msgs[0].recv_ns = f.msgs[0].send_ns + MS(70);  /* one frame late */
    ts_validation *v = validate_ok(&f);
    expect_rec(v, "deadline-miss", "vision",
               "vision met 90.000% of its deadlines (p99 response 30.93ms against 33.00ms) on "
               "edge1: reserve a core, raise its priority or place it on a faster node");
    expect_rec(v, "topic-late", "camera_image", "camera_image met 90.000% of its 60.00ms budget");
    ts_validation_free(v);
    build_base(&f);
    f.msgs[0].status = f.msgs[1].status = TS_MSG_LOST;
    v = validate_ok(&f);
    expect_rec(v, "topic-lossy", "camera_image", "camera_image lost 2 of 10 samples");
    ts_validation_free(v);
}

static void test_check_rules(void **state)
{
    (void)state;
    fixture f;
    build_base(&f);
    /* vision made safety-critical: it runs on the edge, sharing cores. */
    f.comps[1].flags = TS_FLAG_SAFETY_CRITICAL;
    int silent = add_topic(&f, "diag", MS(10));
    add_event(&f, MS(100), "policy_violation", 0, 0, 4,
              "component 0 in zone 0 may not send topic 1 to component 1 in zone 1");
    ts_validation *v = validate_ok(&f);
    expect_rec(v, "safety-placement", "vision",
               "safety-critical vision does not run on the robot: pin it to a robot computer");
    expect_rec(v, "topic-silent", "diag", "diag delivered no sample");
    expect_rec(v, "safety-policy", "vision", "allow this safety-critical flow");
    (void)silent;
    ts_validation_free(v);
}

static void test_run_rules(void **state)
{
    (void)state;
    fixture f;
    build_base(&f);
    f.t.n_services = 1;
    snprintf(f.services[0].name, sizeof f.services[0].name, "detect");
    f.t.n_clients = 1;
    f.clients[0] = (ts_trace_client){.component = 0, .service = 0, .requests = 4, .answered = 3};
    f.nodes[0].site_row = 0;
    snprintf(f.nodes[0].site, sizeof f.nodes[0].site, "humanoid1");
    f.t.n_sites = 1;
    snprintf(f.sites[0].name, sizeof f.sites[0].name, "humanoid1");
    f.sites[0].safe_state_category = 1;
    f.sites[0].safe_state_budget_ns = MS(100);
    f.sites[0].fleet = f.sites[0].fleet_member = -1;
    add_event(&f, MS(10), "robot_registered", 0, -1, 0, "humanoid1 registered");
    add_event(&f, MS(100), "rollout_start", -1, -1, 1, "rolling vision from v1 to v2 over 1 robot");
    add_event(&f, MS(200), "fault:component-crash", -1, 1, 0, "component vision crashed");
    add_event(&f, MS(400), "safe_state", 0, 1, (double)MS(200), "robot 0: stop category 2");
    add_event(&f, MS(500), "rollout_abort", -1, -1, 1, "aborted at canary");
    add_event(&f, MS(900), "robot_silent", 0, -1, 3e9, "humanoid1 sent nothing");
    ts_validation *v = validate_ok(&f);
    expect_rec(v, "service-timeouts", "detect", "service detect: 3 of 4 requests answered: add a "
                                                "replica");
    expect_rec(v, "robot-silent", "humanoid1", "check its link to the coordinator");
    expect_rec(v, "rollout-aborted", "vision", "fix the new version of vision");
    expect_rec(v, "safe-state-slow", "humanoid1",
               "humanoid1 reached its safe state 200.000 ms after the fault");
    ts_validation_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy_has_none),
        cmocka_unit_test(test_link_rules),
        cmocka_unit_test(test_node_rules),
        cmocka_unit_test(test_over_current_limit_and_throttle),
        cmocka_unit_test(test_failover_slow),
        cmocka_unit_test(test_qos_mismatch),
        cmocka_unit_test(test_deadline_rules),
        cmocka_unit_test(test_check_rules),
        cmocka_unit_test(test_run_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
