/*
 * Tests of the validator's performance family and gates (src/validate/):
 * traces are built in memory with hand-computed answers for counts,
 * compliance, percentiles and gates, and malformed tables are rejected.
 * Families, output, recommendations and baselines have their own files.
 */
#include "validate_fixture.h"

#include "toposim/alloc.h"
#include "toposim/scenario.h"
#include "validate/validate_internal.h"

/* Topic "joint_states", budget 1 ms, run of 100 ms: 6 on time (one exactly
 * at the budget), 2 late, 1 dropped, 1 in flight due exactly at the end
 * (a miss) and 1 in flight not yet due (left out). Counted: 10, met 6,
 * lost 1. Delivered latencies 100,200,300,400,500,1000,1500,2000 us. */
static void build_joint_states(fixture *f, int *topic)
{
    int pub = add_comp(f, "controller", MS(1));
    int sub = add_comp(f, "planner", MS(10));
    int t = add_topic(f, "joint_states", MS(1));
    static const int lat_us[] = {300, 2000, 100, 1000, 500, 1500, 200, 400};
    for (int i = 0; i < 8; i++)
        add_msg(f, t, TS_MSG_DELIVERED, MS(i), MS(i) + US(lat_us[i]));
    add_msg(f, t, TS_MSG_DROPPED_QUEUE, MS(20), -1);
    add_msg(f, t, TS_MSG_IN_FLIGHT, MS(99), -1);     /* 99 + 1 <= 100: a miss */
    add_msg(f, t, TS_MSG_IN_FLIGHT, MS(99) + 1, -1); /* due after the end */
    for (size_t i = 0; i < f->t.n_messages; i++) {
        f->msgs[i].publisher = pub;
        f->msgs[i].subscriber = sub;
    }
    *topic = t;
}

/* ---- Scoring ---- */

static void test_topic_counts_and_percentiles(void **state)
{
    (void)state;
    fixture f;
    int t;
    fx_init(&f, "demo", MS(100));
    build_joint_states(&f, &t);
    ts_validation *v = validate_ok(&f);

    assert_int_equal(v->n_scores, 3); /* one topic, two components */
    const ts_score *s = &v->scores[0];
    assert_int_equal(s->kind, TS_SCORE_TOPIC);
    assert_int_equal(s->index, t);
    assert_string_equal(s->name, "joint_states");
    assert_int_equal(s->total, 10);
    assert_int_equal(s->met, 6);
    assert_int_equal(s->lost, 1);
    assert_true(s->compliance == 0.6);
    assert_int_equal(s->budget_ns, MS(1));
    /* Linear interpolation over 8 sorted values: p50 at rank 3.5 ->
     * (400 + 500) / 2; p99 at rank 6.93 -> 0.07 * 1500 + 0.93 * 2000. */
    assert_int_equal(s->p50_ns, US(450));
    assert_int_equal(s->p99_ns, US(1965));
    assert_int_equal(s->max_ns, US(2000));

    assert_int_equal(v->scores[1].kind, TS_SCORE_COMPONENT);
    assert_string_equal(v->scores[1].name, "controller");
    assert_string_equal(v->scores[2].name, "planner");
    assert_int_equal(v->scenario_name[0], 'd');
    assert_int_equal(v->duration_ns, MS(100));
    /* No requirements: the default gates apply, and the 60 % topic fails
     * the default 99 % topic-deadline gate (fail closed). */
    const ts_gate *g = gate_named(v, "topic-deadline:all");
    assert_non_null(g);
    assert_int_equal(g->declared, 0);
    assert_true(g->required == 0.99);
    assert_true(g->actual == 0.6);
    assert_string_equal(g->worst, "joint_states");
    assert_int_equal(g->pass, 0);
    assert_non_null(gate_named(v, "run:finished"));
    assert_int_equal(v->all_pass, 0);
    /* p90 at rank 6.3 -> 0.7 * 1500 + 0.3 * 2000; p99.9 at 6.993. */
    assert_int_equal(s->p90_ns, US(1650));
    assert_int_equal(s->p999_ns, US(1996) + 500);
    ts_validation_free(v);
}

static void test_topic_without_budget(void **state)
{
    (void)state;
    fixture f;
    fx_init(&f, "nobudget", MS(10));
    int c = add_comp(&f, "cam", MS(10));
    int t = add_topic(&f, "images", 0);
    int empty = add_topic(&f, "silent", MS(1));
    add_msg(&f, t, TS_MSG_DELIVERED, 0, MS(5));
    add_msg(&f, t, TS_MSG_DELIVERED, MS(1), MS(9));
    add_msg(&f, t, TS_MSG_DELIVERED, MS(2), MS(2) + 7);
    add_msg(&f, t, TS_MSG_NO_ROUTE, MS(3), -1);
    add_msg(&f, t, TS_MSG_IN_FLIGHT, 0, -1); /* never due without a budget */
    for (size_t i = 0; i < f.t.n_messages; i++)
        f.msgs[i].publisher = f.msgs[i].subscriber = c;
    ts_validation *v = validate_ok(&f);

    const ts_score *s = &v->scores[t];
    assert_int_equal(s->total, 4);
    assert_int_equal(s->met, 3);
    assert_int_equal(s->lost, 1);
    assert_true(s->compliance == 0.75);
    assert_int_equal(s->p50_ns, MS(5));
    assert_int_equal(s->max_ns, MS(8));

    /* Nothing measured is never compliant. */
    s = &v->scores[empty];
    assert_int_equal(s->total, 0);
    assert_true(s->compliance == 0.0);
    assert_int_equal(s->p50_ns, -1);
    assert_int_equal(s->p99_ns, -1);
    assert_int_equal(s->max_ns, -1);
    ts_validation_free(v);
}

/* Samples lost on a link (loss model) or on a link that went down count
 * like drops: in the total, in lost, never met. Budget 1 ms: 3 on time,
 * 1 late, 2 lost, 1 link down, 1 dropped. Counted 8, met 3, lost 4; the
 * 60 % gate fails at 3/8, and passes at 5/8 once two losses are turned
 * into deliveries on time. */
static void test_lost_and_link_down(void **state)
{
    (void)state;
    fixture f;
    fx_init(&f, "lossy", MS(100));
    int c = add_comp(&f, "cam", MS(10));
    int t = add_topic(&f, "images", MS(1));
    add_msg(&f, t, TS_MSG_DELIVERED, MS(0), MS(0) + US(100));
    add_msg(&f, t, TS_MSG_LOST, MS(1), -1);
    add_msg(&f, t, TS_MSG_DELIVERED, MS(2), MS(2) + US(300));
    add_msg(&f, t, TS_MSG_LINK_DOWN, MS(3), -1);
    add_msg(&f, t, TS_MSG_DELIVERED, MS(4), MS(4) + US(1000)); /* at the budget */
    add_msg(&f, t, TS_MSG_LOST, MS(5), -1);
    add_msg(&f, t, TS_MSG_DELIVERED, MS(6), MS(6) + US(1001)); /* late */
    add_msg(&f, t, TS_MSG_DROPPED_QUEUE, MS(7), -1);
    for (size_t i = 0; i < f.t.n_messages; i++)
        f.msgs[i].publisher = f.msgs[i].subscriber = c;
    add_req(&f, "topic-deadline", t, 0.6);
    ts_validation *v = validate_ok(&f);
    const ts_score *s = &v->scores[t];
    assert_int_equal(s->total, 8);
    assert_int_equal(s->met, 3);
    assert_int_equal(s->lost, 4);
    assert_true(s->compliance == 3.0 / 8.0);
    assert_int_equal(s->max_ns, US(1001));
    /* Percentiles over the 4 delivered latencies only: 100 300 1000 1001. */
    assert_int_equal(s->p50_ns, US(650));
    assert_int_equal(v->gates[0].pass, 0);
    assert_int_equal(v->all_pass, 0);
    ts_validation_free(v);

    f.msgs[1].status = TS_MSG_DELIVERED;
    f.msgs[1].recv_ns = MS(1) + US(200);
    f.msgs[3].status = TS_MSG_DELIVERED;
    f.msgs[3].recv_ns = MS(3) + US(400);
    v = validate_ok(&f);
    s = &v->scores[t];
    assert_int_equal(s->total, 8);
    assert_int_equal(s->met, 5);
    assert_int_equal(s->lost, 2);
    assert_int_equal(v->gates[0].pass, 1);
    ts_validation_free(v);
}

static void test_percentiles_1_to_100_us(void **state)
{
    (void)state;
    fixture f;
    fx_init(&f, "pct", MS(1000));
    int c = add_comp(&f, "c", MS(1));
    int t = add_topic(&f, "t", US(99));
    /* 1..100 us in a scrambled order (37 is coprime with 100). */
    for (int i = 0; i < 100; i++) {
        int us = (i * 37) % 100 + 1;
        add_msg(&f, t, TS_MSG_DELIVERED, MS(i), MS(i) + US(us));
        f.msgs[i].publisher = f.msgs[i].subscriber = c;
    }
    ts_validation *v = validate_ok(&f);
    const ts_score *s = &v->scores[0];
    /* rank (n-1)f: p50 at 49.5 -> 50.5 us; p99 at 98.01 -> 99.01 us. */
    assert_int_equal(s->p50_ns, 50500);
    assert_int_equal(s->p99_ns, 99010);
    assert_int_equal(s->max_ns, US(100));
    assert_int_equal(s->total, 100);
    assert_int_equal(s->met, 99); /* only 100 us is over the 99 us budget */
    ts_validation_free(v);

    /* A single sample is its own p50, p99 and max. */
    f.t.n_messages = 1;
    v = validate_ok(&f);
    assert_int_equal(v->scores[0].p50_ns, US(1));
    assert_int_equal(v->scores[0].p99_ns, US(1));
    assert_int_equal(v->scores[0].max_ns, US(1));
    ts_validation_free(v);
}

/* Component "ctrl", deadline 1 ms, run of 10 ms: 4 on time (one exactly at
 * the deadline), 1 late, 1 unfinished and due exactly at the end (a miss),
 * 1 unfinished and not yet due (left out). Counted 6, met 4. Responses of
 * the finished ones: 200, 300, 400, 1000, 1500 us. */
static void build_ctrl(fixture *f, int *ctrl, int *idle)
{
    *ctrl = add_comp(f, "ctrl", MS(1));
    *idle = add_comp(f, "idle", MS(5));
    static const int resp_us[] = {400, 1500, 200, 1000, 300};
    for (int i = 0; i < 5; i++)
        add_job(f, *ctrl, MS(i), MS(i) + US(resp_us[i]), MS(i) + MS(1));
    add_job(f, *ctrl, MS(9), -1, MS(10));
    add_job(f, *ctrl, MS(9) + 1, -1, MS(10) + 1);
}

static void test_components(void **state)
{
    (void)state;
    fixture f;
    int ctrl, idle;
    fx_init(&f, "jobs", MS(10));
    build_ctrl(&f, &ctrl, &idle);
    ts_validation *v = validate_ok(&f);

    assert_int_equal(v->n_scores, 2);
    const ts_score *s = &v->scores[ctrl];
    assert_int_equal(s->kind, TS_SCORE_COMPONENT);
    assert_string_equal(s->name, "ctrl");
    assert_int_equal(s->total, 6);
    assert_int_equal(s->met, 4);
    assert_int_equal(s->lost, 0);
    assert_true(fabs(s->compliance - 4.0 / 6.0) < 1e-15);
    assert_int_equal(s->budget_ns, MS(1));
    /* rank 2 -> 400 us; p99 at rank 3.96 -> 0.04 * 1000 + 0.96 * 1500. */
    assert_int_equal(s->p50_ns, US(400));
    assert_int_equal(s->p99_ns, US(1480));
    assert_int_equal(s->max_ns, US(1500));

    s = &v->scores[idle];
    assert_int_equal(s->total, 0);
    assert_true(s->compliance == 0.0);
    assert_int_equal(s->max_ns, -1);
    assert_int_equal(s->budget_ns, MS(5));
    ts_validation_free(v);
}

/* ---- Gates ---- */

/* joint_states (0.6) and a second topic "imu" (0.75), components from
 * build_joint_states: controller and planner, plus ctrl-like jobs. */
static void build_gated(fixture *f)
{
    int t;
    fx_init(f, "gated", MS(100));
    build_joint_states(f, &t);
    int imu = add_topic(f, "imu", MS(1));
    for (int i = 0; i < 3; i++)
        add_msg(f, imu, TS_MSG_DELIVERED, MS(i), MS(i) + US(10));
    add_msg(f, imu, TS_MSG_DELIVERED, MS(5), MS(7));
    for (size_t i = 11; i < f->t.n_messages; i++)
        f->msgs[i].publisher = f->msgs[i].subscriber = 0;
    /* controller (row 0): 1 of 2 jobs met; planner (row 1): 2 of 2. */
    add_job(f, 0, 0, US(500), MS(1));
    add_job(f, 0, MS(1), MS(3), MS(2));
    add_job(f, 1, 0, MS(1), MS(10));
    add_job(f, 1, MS(10), MS(11), MS(20));
    add_req(f, "topic-deadline", 0, 0.5);       /* 0.6 >= 0.5: pass */
    add_req(f, "topic-deadline", -1, 0.7);      /* worst joint_states 0.6: fail */
    add_req(f, "component-deadline", -1, 0.5);  /* worst controller 0.5: pass */
    add_req(f, "component-deadline", 1, 1.0);   /* planner 1.0: pass */
}

static void test_gates(void **state)
{
    (void)state;
    fixture f;
    build_gated(&f);
    ts_validation *v = validate_ok(&f);

    assert_int_equal(v->n_scores, 4);
    assert_string_equal(v->scores[1].name, "imu");
    assert_true(v->scores[1].compliance == 0.75);
    /* 4 declared, 4 defaults of undeclared kinds, 5 run gates. */
    assert_int_equal(v->n_gates, 13);
    assert_int_equal(v->gates[0].declared, 1);
    assert_int_equal(v->gates[4].declared, 0);

    const ts_gate *g = &v->gates[0];
    assert_string_equal(g->name, "topic-deadline:joint_states");
    assert_true(g->required == 0.5);
    assert_true(g->actual == 0.6);
    assert_string_equal(g->worst, "joint_states");
    assert_int_equal(g->pass, 1);

    g = &v->gates[1];
    assert_string_equal(g->name, "topic-deadline:all");
    assert_true(g->actual == 0.6);
    assert_string_equal(g->worst, "joint_states");
    assert_int_equal(g->pass, 0);

    g = &v->gates[2];
    assert_string_equal(g->name, "component-deadline:all");
    assert_true(g->actual == 0.5);
    assert_string_equal(g->worst, "controller");
    assert_int_equal(g->pass, 1); /* exactly at the requirement */

    g = &v->gates[3];
    assert_string_equal(g->name, "component-deadline:planner");
    assert_true(g->actual == 1.0);
    assert_int_equal(g->pass, 1);

    assert_int_equal(v->all_pass, 0);
    ts_validation_free(v);
}

static void test_full_requirement(void **state)
{
    (void)state;
    fixture f;
    fx_init(&f, "strict", MS(10));
    int c = add_comp(&f, "c", MS(1));
    int t = add_topic(&f, "cmd", US(100));
    add_topic(&f, "cmd_echo", US(100)); /* ties with cmd at 100% */
    for (int i = 0; i < 5; i++)
        add_msg(&f, t, TS_MSG_DELIVERED, MS(i), MS(i) + US(100));
    for (size_t i = 0; i < f.t.n_messages; i++)
        f.msgs[i].publisher = f.msgs[i].subscriber = c;
    add_req(&f, "topic-deadline", -1, 1.0);
    add_req(&f, "component-deadline", -1, 1.0);
    /* No jobs: nothing measured fails, never a vacuous pass. */
    ts_validation *v = validate_ok(&f);
    assert_int_equal(v->gates[1].pass, 0);
    assert_non_null(strstr(v->gates[1].message, "nothing measured"));
    ts_validation_free(v);
    add_job(&f, c, 0, US(10), MS(1));
    v = validate_ok(&f);
    /* cmd_echo carries nothing: it is the worst topic. */
    assert_int_equal(v->gates[0].pass, 0);
    assert_string_equal(v->gates[0].worst, "cmd_echo");
    ts_validation_free(v);
    for (int i = 0; i < 5; i++) {
        add_msg(&f, 1, TS_MSG_DELIVERED, MS(i), MS(i) + US(100));
        f.msgs[f.t.n_messages - 1].publisher = f.msgs[f.t.n_messages - 1].subscriber = c;
    }
    v = validate_ok(&f);
    assert_int_equal(v->gates[0].pass, 1);
    assert_true(v->gates[0].actual == 1.0);
    assert_string_equal(v->gates[0].worst, "cmd"); /* ties go to the first row */
    assert_int_equal(v->gates[1].pass, 1);
    assert_int_equal(v->all_pass, 1);
    ts_validation_free(v);

    f.msgs[3].recv_ns += 1; /* one sample 1 ns over its budget */
    v = validate_ok(&f);
    assert_string_equal(v->gates[0].worst, "cmd");
    assert_true(v->gates[0].actual == 0.8);
    assert_int_equal(v->gates[0].pass, 0);
    assert_int_equal(v->all_pass, 0);
    ts_validation_free(v);

    /* 123 of 125 against "98.4%": 98.4 / 100 lands one ulp above 123.0 / 125
     * in binary, so exactly meeting the requirement must still pass. */
    fx_init(&f, "ulp", MS(2000));
    c = add_comp(&f, "c", MS(1));
    t = add_topic(&f, "cmd", US(100));
    for (int i = 0; i < 125; i++) {
        add_msg(&f, t, i < 2 ? TS_MSG_DROPPED_QUEUE : TS_MSG_DELIVERED, MS(i),
                MS(i) + US(5));
        f.msgs[i].publisher = f.msgs[i].subscriber = c;
    }
    volatile double percent = 98.4;
    add_req(&f, "topic-deadline", t, percent / 100.0);
    v = validate_ok(&f);
    assert_int_equal(v->scores[0].lost, 2);
    assert_true(v->gates[0].actual < v->gates[0].required);
    assert_int_equal(v->gates[0].pass, 1);
    ts_validation_free(v);
    f.msgs[2].status = TS_MSG_NO_ROUTE; /* 122 of 125: a real shortfall */
    f.msgs[2].recv_ns = -1;
    v = validate_ok(&f);
    assert_int_equal(v->gates[0].pass, 0);
    ts_validation_free(v);
}

static void test_bad_requirements(void **state)
{
    (void)state;
    fixture f;
    ts_error err;

    build_gated(&f);
    f.reqs[1].target = 2; /* two topics: rows 0 and 1 */
    assert_int_equal(validate_code(&f, &err), TS_EFORMAT);
    assert_non_null(strstr(err.msg, "requirements row 1"));

    build_gated(&f);
    f.reqs[3].target = -2;
    assert_int_equal(validate_code(&f, &err), TS_EFORMAT);
    assert_non_null(strstr(err.msg, "requirements row 3"));

    build_gated(&f);
    snprintf(f.reqs[2].kind, sizeof f.reqs[2].kind, "latency");
    assert_int_equal(validate_code(&f, &err), TS_EFORMAT);
    assert_non_null(strstr(err.msg, "requirements row 2"));
    assert_non_null(strstr(err.msg, "latency"));

    build_gated(&f);
    memset(f.reqs[0].kind, 'x', sizeof f.reqs[0].kind); /* no NUL at all */
    assert_int_equal(validate_code(&f, &err), TS_EFORMAT);

    build_gated(&f);
    f.reqs[0].threshold = 1.5;
    assert_int_equal(validate_code(&f, &err), TS_EFORMAT);
    build_gated(&f);
    f.reqs[0].threshold = NAN;
    assert_int_equal(validate_code(&f, &err), TS_EFORMAT);
    /* Before format 3 the number is min_fraction. */
    build_gated(&f);
    f.t.format_version = 2;
    f.reqs[0].min_fraction = 1.5;
    assert_int_equal(validate_code(&f, &err), TS_EFORMAT);
    /* A kind's target table must agree with the kind. */
    build_gated(&f);
    snprintf(f.reqs[0].target_table, sizeof f.reqs[0].target_table, "nodes");
    assert_int_equal(validate_code(&f, &err), TS_EFORMAT);
    assert_non_null(strstr(err.msg, "targets table"));
    /* New kinds: a health score above 100, a service row that is absent. */
    build_gated(&f);
    add_req(&f, "health", -1, 101);
    assert_int_equal(validate_code(&f, &err), TS_EFORMAT);
    build_gated(&f);
    add_req(&f, "service", 0, 0.9);
    assert_int_equal(validate_code(&f, &err), TS_EFORMAT);
    assert_non_null(strstr(err.msg, "service target 0 names no row"));
}

static void test_bad_rows(void **state)
{
    (void)state;
    fixture f;
    ts_error err;

    build_gated(&f);
    f.msgs[4].topic = 2;
    assert_int_equal(validate_code(&f, &err), TS_EFORMAT);
    assert_non_null(strstr(err.msg, "messages row 4"));

    build_gated(&f);
    f.msgs[0].topic = -1;
    assert_int_equal(validate_code(&f, &err), TS_EFORMAT);

    build_gated(&f);
    f.msgs[1].subscriber = 9;
    assert_int_equal(validate_code(&f, &err), TS_EFORMAT);

    build_gated(&f);
    f.msgs[2].status = 7;
    assert_int_equal(validate_code(&f, &err), TS_EFORMAT);

    build_gated(&f);
    f.msgs[2].status = TS_MSG_RECEIVER_DOWN + 1;
    assert_int_equal(validate_code(&f, &err), TS_EFORMAT);
    assert_non_null(strstr(err.msg, "unknown status 7"));

    build_gated(&f);
    f.msgs[2].status = -1;
    assert_int_equal(validate_code(&f, &err), TS_EFORMAT);

    build_gated(&f);
    f.msgs[2].recv_ns = f.msgs[2].send_ns - 1;
    assert_int_equal(validate_code(&f, &err), TS_EFORMAT);

    build_gated(&f);
    f.jobs[1].component = 5;
    assert_int_equal(validate_code(&f, &err), TS_EFORMAT);
    assert_non_null(strstr(err.msg, "jobs row 1"));

    build_gated(&f);
    f.jobs[0].node = 1;
    assert_int_equal(validate_code(&f, &err), TS_EFORMAT);

    build_gated(&f);
    f.jobs[2].finish_ns = -5;
    assert_int_equal(validate_code(&f, &err), TS_EFORMAT);

    build_gated(&f);
    f.t.messages = NULL;
    assert_int_equal(validate_code(&f, &err), TS_EFORMAT);

    ts_validation *v = NULL;
    assert_int_equal(ts_validate(NULL, &v, &err), TS_EINVAL);
    assert_int_equal(ts_validate(&f.t, NULL, &err), TS_EINVAL);
    ts_validation_free(NULL);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    fixture f;
    build_gated(&f);
    long live = ts_alloc_live();
    int failed = 0;
    for (long n = 1; n < 200; n++) {
        ts_validation *v = NULL;
        ts_error err;
        ts_alloc_fail_after(n);
        int rc = ts_validate(&f.t, &v, &err);
        ts_alloc_fail_after(0);
        if (rc == TS_OK) {
            ts_validation_free(v);
            break;
        }
        assert_int_equal(rc, TS_ENOMEM);
        assert_null(v);
        assert_int_equal(ts_alloc_live(), live);
        failed++;
    }
    assert_true(failed >= 3);
    assert_int_equal(ts_alloc_live(), live);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topic_counts_and_percentiles),
        cmocka_unit_test(test_topic_without_budget),
        cmocka_unit_test(test_lost_and_link_down),
        cmocka_unit_test(test_percentiles_1_to_100_us),
        cmocka_unit_test(test_components),
        cmocka_unit_test(test_gates),
        cmocka_unit_test(test_full_requirement),
        cmocka_unit_test(test_bad_requirements),
        cmocka_unit_test(test_bad_rows),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
