/*
 * Tests of the validator (src/validate/): traces are built in memory with
 * hand-computed answers for counts, compliance, percentiles and gates, and
 * the text, JSON and JUnit writers are checked for content, escaping and
 * well-formedness (JUnit parsed back with libxml2).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "toposim/alloc.h"
#include "toposim/validate.h"

#define US(x) ((int64_t)(x) * 1000)
#define MS(x) ((int64_t)(x) * 1000000)

/* ---- Building traces by hand ---- */

typedef struct fixture {
    ts_trace t;
    char scenario[64];
    ts_trace_node nodes[1];
    ts_trace_topic topics[4];
    ts_trace_component comps[4];
    ts_trace_requirement reqs[8];
    ts_trace_message msgs[160];
    ts_trace_job jobs[32];
} fixture;

static void fx_init(fixture *f, const char *scenario, int64_t duration_ns)
{
    memset(f, 0, sizeof *f);
    snprintf(f->scenario, sizeof f->scenario, "%s", scenario);
    f->t.format_version = 1;
    f->t.scenario_name = f->scenario;
    f->t.duration_ns = duration_ns;
    f->t.nodes = f->nodes;
    f->t.n_nodes = 1;
    snprintf(f->nodes[0].name, sizeof f->nodes[0].name, "robot1.computer");
    f->t.topics = f->topics;
    f->t.components = f->comps;
    f->t.requirements = f->reqs;
    f->t.messages = f->msgs;
    f->t.jobs = f->jobs;
}

static int add_comp(fixture *f, const char *name, int64_t deadline_ns)
{
    ts_trace_component *c = &f->comps[f->t.n_components];
    snprintf(c->name, sizeof c->name, "%s", name);
    c->period_ns = deadline_ns;
    c->deadline_ns = deadline_ns;
    return (int)f->t.n_components++;
}

static int add_topic(fixture *f, const char *name, int64_t budget_ns)
{
    ts_trace_topic *t = &f->topics[f->t.n_topics];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->budget_ns = budget_ns;
    t->n_subscribers = 1;
    return (int)f->t.n_topics++;
}

static void add_msg(fixture *f, int topic, int status, int64_t send_ns, int64_t recv_ns)
{
    assert_true(f->t.n_messages < sizeof f->msgs / sizeof f->msgs[0]);
    ts_trace_message *m = &f->msgs[f->t.n_messages];
    m->topic = topic;
    m->status = status;
    m->seq = f->t.n_messages;
    m->send_ns = send_ns;
    m->recv_ns = status == TS_MSG_DELIVERED ? recv_ns : -1;
    m->bytes = 100;
    f->t.n_messages++;
}

static void add_job(fixture *f, int comp, int64_t release_ns, int64_t finish_ns,
                    int64_t deadline_ns)
{
    ts_trace_job *j = &f->jobs[f->t.n_jobs++];
    j->component = comp;
    j->release_ns = release_ns;
    j->start_ns = finish_ns >= 0 ? release_ns : -1;
    j->finish_ns = finish_ns;
    j->deadline_ns = deadline_ns;
}

static void add_req(fixture *f, const char *kind, int target, double min_fraction)
{
    ts_trace_requirement *r = &f->reqs[f->t.n_requirements++];
    snprintf(r->kind, sizeof r->kind, "%s", kind);
    r->target = target;
    r->min_fraction = min_fraction;
}

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

static ts_validation *validate_ok(const fixture *f)
{
    ts_validation *v = NULL;
    ts_error err;
    ts_error_clear(&err);
    int rc = ts_validate(&f->t, &v, &err);
    if (rc != TS_OK)
        fail_msg("ts_validate: %d %s", rc, err.msg);
    assert_non_null(v);
    return v;
}

static int validate_code(const fixture *f, ts_error *err)
{
    ts_validation *v = (ts_validation *)1;
    ts_error_clear(err);
    int rc = ts_validate(&f->t, &v, err);
    assert_null(v);
    return rc;
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
    assert_int_equal(v->n_gates, 0);
    assert_int_equal(v->all_pass, 1);
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

    s = &v->scores[empty];
    assert_int_equal(s->total, 0);
    assert_true(s->compliance == 1.0);
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
    assert_true(s->compliance == 1.0);
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
    assert_int_equal(v->n_gates, 4);

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
    add_req(&f, "component-deadline", -1, 1.0); /* no jobs: vacuous pass */
    ts_validation *v = validate_ok(&f);
    assert_int_equal(v->gates[0].pass, 1);
    assert_true(v->gates[0].actual == 1.0);
    assert_string_equal(v->gates[0].worst, "cmd"); /* ties go to the first row */
    assert_int_equal(v->gates[1].pass, 1);
    assert_int_equal(v->all_pass, 1);
    ts_validation_free(v);

    f.msgs[3].recv_ns += 1; /* one sample 1 ns over its budget */
    v = validate_ok(&f);
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
    f.reqs[0].min_fraction = 1.5;
    assert_int_equal(validate_code(&f, &err), TS_EFORMAT);
    build_gated(&f);
    f.reqs[0].min_fraction = NAN;
    assert_int_equal(validate_code(&f, &err), TS_EFORMAT);
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
    for (long n = 1; n < 50; n++) {
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

/* ---- Text ---- */

static char *capture(const ts_validation *v, void (*print)(const ts_validation *, FILE *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    assert_non_null(mem);
    print(v, mem);
    assert_int_equal(fclose(mem), 0);
    assert_non_null(buf);
    return buf;
}

static size_t longest_line(const char *text)
{
    size_t longest = 0;
    while (*text) {
        size_t n = strcspn(text, "\n");
        if (n > longest)
            longest = n;
        text += n + (text[n] == '\n');
    }
    return longest;
}

static void test_text_scorecard(void **state)
{
    (void)state;
    fixture f;
    build_gated(&f);
    /* A name longer than the table column is cut, not allowed to widen it. */
    snprintf(f.comps[1].name, sizeof f.comps[1].name,
             "planner_with_a_very_long_name_that_fills_the_column_0123456789");
    ts_validation *v = validate_ok(&f);
    char *text = capture(v, ts_validation_print_text);

    assert_non_null(strstr(text, "scenario:  gated"));
    assert_non_null(strstr(text, "simulated: 100.0ms (100000000 ns)"));
    assert_non_null(strstr(text, "joint_states"));
    assert_non_null(strstr(text, "60.000%"));
    assert_non_null(strstr(text, "450.0us"));
    assert_non_null(strstr(text, " 450.0us 1.965ms 2.000ms 1.000ms\n")); /* p99 max budget */
    assert_non_null(strstr(text, "planner_with_a_very_long_name~"));
    assert_null(strstr(text, "0123456789"));
    assert_non_null(strstr(text, "FAIL  required  70.000%  actual  60.000%  "
                                 "topic-deadline:all (worst: joint_states)"));
    assert_non_null(strstr(text, "PASS  required  50.000%  actual  60.000%  "
                                 "topic-deadline:joint_states\n"));
    assert_non_null(strstr(text, "\nRESULT: FAIL (1 of 4 gates failed)\n"));
    assert_true(longest_line(text) <= 100);
    free(text);
    ts_validation_free(v);

    /* All gates passing, and a name with a control character. */
    build_gated(&f);
    f.reqs[1].min_fraction = 0.6;
    snprintf(f.topics[1].name, sizeof f.topics[1].name, "im\x1b[2Ju");
    v = validate_ok(&f);
    text = capture(v, ts_validation_print_text);
    assert_non_null(strstr(text, "\nRESULT: PASS (4/4 gates)\n"));
    assert_null(strchr(text, '\x1b'));
    assert_non_null(strstr(text, "im?[2Ju"));
    free(text);
    ts_validation_free(v);

    /* Nothing at all. */
    fx_init(&f, "empty", 0);
    v = validate_ok(&f);
    text = capture(v, ts_validation_print_text);
    assert_non_null(strstr(text, "(no topics)"));
    assert_non_null(strstr(text, "(no gates)"));
    assert_non_null(strstr(text, "RESULT: PASS (0/0 gates)"));
    free(text);
    ts_validation_free(v);
}

/* ---- JSON: a strict syntax check (RFC 8259 grammar) ---- */

static void js_ws(const char **p)
{
    while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
        (*p)++;
}

static int js_value(const char **p, int depth);

static int js_string(const char **p)
{
    if (**p != '"')
        return 0;
    (*p)++;
    while (**p != '"') {
        unsigned char c = (unsigned char)**p;
        if (c < 0x20)
            return 0;
        if (c == '\\') {
            (*p)++;
            if (**p && strchr("\"\\/bfnrt", **p)) {
                (*p)++;
            } else if (**p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!isxdigit((unsigned char)(*p)[i]))
                        return 0;
                *p += 5;
            } else {
                return 0;
            }
        } else {
            (*p)++;
        }
    }
    (*p)++;
    return 1;
}

static int js_digits(const char **p)
{
    if (!isdigit((unsigned char)**p))
        return 0;
    while (isdigit((unsigned char)**p))
        (*p)++;
    return 1;
}

static int js_number(const char **p)
{
    if (**p == '-')
        (*p)++;
    if (**p == '0')
        (*p)++;
    else if (!js_digits(p))
        return 0;
    if (**p == '.') {
        (*p)++;
        if (!js_digits(p))
            return 0;
    }
    if (**p == 'e' || **p == 'E') {
        (*p)++;
        if (**p == '+' || **p == '-')
            (*p)++;
        if (!js_digits(p))
            return 0;
    }
    return 1;
}

static int js_members(const char **p, int depth, char close, int keyed)
{
    (*p)++;
    js_ws(p);
    if (**p == close) {
        (*p)++;
        return 1;
    }
    for (;;) {
        js_ws(p);
        if (keyed) {
            if (!js_string(p))
                return 0;
            js_ws(p);
            if (**p != ':')
                return 0;
            (*p)++;
        }
        if (!js_value(p, depth + 1))
            return 0;
        js_ws(p);
        if (**p == close) {
            (*p)++;
            return 1;
        }
        if (**p != ',')
            return 0;
        (*p)++;
    }
}

static int js_value(const char **p, int depth)
{
    if (depth > 32)
        return 0;
    js_ws(p);
    switch (**p) {
    case '{': return js_members(p, depth, '}', 1);
    case '[': return js_members(p, depth, ']', 0);
    case '"': return js_string(p);
    case 't': return strncmp(*p, "true", 4) == 0 ? (*p += 4, 1) : 0;
    case 'f': return strncmp(*p, "false", 5) == 0 ? (*p += 5, 1) : 0;
    case 'n': return strncmp(*p, "null", 4) == 0 ? (*p += 4, 1) : 0;
    default: return js_number(p);
    }
}

static int json_valid(const char *text)
{
    const char *p = text;
    if (!js_value(&p, 0))
        return 0;
    js_ws(&p);
    return *p == '\0';
}

static void test_json_checker_rejects(void **state)
{
    (void)state;
    /* The checker itself must be able to fail. */
    assert_true(json_valid("{\"a\": [1, 2.5e-3, null, true, \"x\\u0001\"]}"));
    assert_false(json_valid("{\"a\": NaN}"));
    assert_false(json_valid("{\"a\": \"x\"y\"}"));
    assert_false(json_valid("{\"a\": \"tab\there\"}"));
    assert_false(json_valid("{\"a\": 1,}"));
    assert_false(json_valid("{\"a\": 1} x"));
}

static void test_json(void **state)
{
    (void)state;
    fixture f;
    build_gated(&f);
    snprintf(f.scenario, sizeof f.scenario, "demo \"v2\"");
    snprintf(f.topics[1].name, sizeof f.topics[1].name, "i\"m\\u\x01\n\xff");
    int silent = add_topic(&f, "silent", MS(1));
    add_req(&f, "topic-deadline", silent, 1.0);
    ts_validation *v = validate_ok(&f);
    char *json = capture(v, ts_validation_print_json);

    if (!json_valid(json))
        fail_msg("invalid JSON:\n%s", json);
    assert_non_null(strstr(json, "\"scenario\": \"demo \\\"v2\\\"\""));
    assert_non_null(strstr(json, "\"duration_ns\": 100000000"));
    assert_non_null(strstr(json, "\"pass\": false"));
    assert_non_null(strstr(json, "\"name\": \"i\\\"m\\\\u\\u0001\\n\xEF\xBF\xBD\""));
    assert_non_null(strstr(json, "\"name\": \"joint_states\", \"total\": 10, \"met\": 6, "
                                 "\"lost\": 1, \"compliance\": 0.6, \"p50_ns\": 450000, "
                                 "\"p99_ns\": 1965000, \"max_ns\": 2000000, "
                                 "\"budget_ns\": 1000000}"));
    assert_non_null(strstr(json, "\"name\": \"silent\", \"total\": 0, \"met\": 0, "
                                 "\"lost\": 0, \"compliance\": 1, \"p50_ns\": null"));
    assert_non_null(strstr(json, "\"name\": \"controller\", \"total\": 2, \"met\": 1, "
                                 "\"compliance\": 0.5"));
    assert_non_null(strstr(json, "\"deadline_ns\": 1000000}"));
    assert_non_null(strstr(json, "{\"name\": \"topic-deadline:all\", \"required\": 0.7, "
                                 "\"actual\": 0.6, \"worst\": \"joint_states\", "
                                 "\"pass\": false}"));
    free(json);
    ts_validation_free(v);

    /* Hand-made values JSON cannot carry come out as null. */
    ts_score score = {.kind = TS_SCORE_TOPIC, .name = "x", .compliance = NAN,
                      .p50_ns = -1, .p99_ns = -1, .max_ns = -1};
    ts_gate gate = {.name = "topic-deadline:x", .required = INFINITY, .actual = NAN};
    ts_validation hand = {.scores = &score, .n_scores = 1, .gates = &gate, .n_gates = 1};
    json = capture(&hand, ts_validation_print_json);
    if (!json_valid(json))
        fail_msg("invalid JSON:\n%s", json);
    assert_non_null(strstr(json, "\"compliance\": null"));
    assert_non_null(strstr(json, "\"required\": null, \"actual\": null, \"worst\": null"));
    assert_non_null(strstr(json, "\"components\": []"));
    free(json);
}

/* ---- JUnit ---- */

static char tmpdir[64];

static int make_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ts_validate_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    DIR *d = opendir(tmpdir);
    if (d) {
        struct dirent *e;
        char path[512];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
            if (remove(path) != 0)
                rmdir(path);
        }
        closedir(d);
    }
    rmdir(tmpdir);
    return 0;
}

static int count_entries(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static int count_elements(xmlNode *node, const char *name)
{
    int n = 0;
    for (; node; node = node->next)
        if (node->type == XML_ELEMENT_NODE) {
            if (xmlStrcmp(node->name, (const xmlChar *)name) == 0)
                n++;
            n += count_elements(node->children, name);
        }
    return n;
}

static xmlNode *find_element(xmlNode *node, const char *name)
{
    for (; node; node = node->next)
        if (node->type == XML_ELEMENT_NODE) {
            if (xmlStrcmp(node->name, (const xmlChar *)name) == 0)
                return node;
            xmlNode *in = find_element(node->children, name);
            if (in)
                return in;
        }
    return NULL;
}

static void assert_prop(xmlNode *node, const char *name, const char *want)
{
    xmlChar *got = xmlGetProp(node, (const xmlChar *)name);
    assert_non_null(got);
    assert_string_equal((const char *)got, want);
    xmlFree(got);
}

static void test_junit(void **state)
{
    (void)state;
    fixture f;
    build_gated(&f);
    snprintf(f.scenario, sizeof f.scenario, "a<b>&\"c\"\x02");
    snprintf(f.comps[1].name, sizeof f.comps[1].name, "plan<&>\"'\tx\x03");
    ts_validation *v = validate_ok(&f);
    char path[128];
    snprintf(path, sizeof path, "%s/junit.xml", tmpdir);
    ts_error err;
    ts_error_clear(&err);
    assert_int_equal(ts_validation_write_junit(v, path, &err), TS_OK);
    assert_int_equal(count_entries(tmpdir), 1); /* no temporary left */

    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xmlNode *root = xmlDocGetRootElement(doc);
    assert_string_equal((const char *)root->name, "testsuites");
    assert_prop(root, "tests", "4");
    assert_prop(root, "failures", "1");
    xmlNode *suite = find_element(root->children, "testsuite");
    assert_non_null(suite);
    assert_prop(suite, "name", "toposim");
    assert_prop(suite, "failures", "1");
    assert_int_equal(count_elements(root, "testcase"), 4);
    assert_int_equal(count_elements(root, "failure"), 1);

    xmlNode *tc = find_element(root->children, "testcase");
    assert_prop(tc, "classname", "toposim.gates");
    assert_prop(tc, "name", "topic-deadline:joint_states");
    /* The gate over a name full of markup reads back unchanged, except the
     * control character XML cannot carry at all. */
    xmlNode *last = tc;
    for (xmlNode *n = tc->next; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, (const xmlChar *)"testcase") == 0)
            last = n;
    assert_prop(last, "name", "component-deadline:plan<&>\"'\tx\xEF\xBF\xBD");

    xmlNode *failure = find_element(root->children, "failure");
    xmlChar *msg = xmlGetProp(failure, (const xmlChar *)"message");
    assert_string_equal((const char *)msg,
                        "required >= 70.000%, actual 60.000%, worst: joint_states");
    xmlFree(msg);
    xmlChar *parent = xmlGetProp(failure->parent, (const xmlChar *)"name");
    assert_string_equal((const char *)parent, "topic-deadline:all");
    xmlFree(parent);

    xmlNode *out = find_element(root->children, "system-out");
    assert_non_null(out);
    xmlChar *scores = xmlNodeGetContent(out);
    assert_non_null(strstr((const char *)scores, "joint_states"));
    assert_non_null(strstr((const char *)scores, "450.0us"));
    assert_non_null(strstr((const char *)scores, "plan<&>\"'?x?"));
    xmlFree(scores);

    xmlNode *prop = find_element(root->children, "property");
    assert_prop(prop, "value", "a<b>&\"c\"\xEF\xBF\xBD");
    xmlFreeDoc(doc);
    ts_validation_free(v);

    /* All passing: zero failures, replacing the earlier file. */
    build_gated(&f);
    f.reqs[1].min_fraction = 0.0;
    v = validate_ok(&f);
    assert_int_equal(ts_validation_write_junit(v, path, &err), TS_OK);
    doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    assert_prop(xmlDocGetRootElement(doc), "failures", "0");
    assert_int_equal(count_elements(xmlDocGetRootElement(doc), "failure"), 0);
    xmlFreeDoc(doc);
    ts_validation_free(v);
}

static void test_junit_unwritable(void **state)
{
    (void)state;
    fixture f;
    build_gated(&f);
    ts_validation *v = validate_ok(&f);
    ts_error err;

    const char *missing = "/nonexistent-toposim-dir/junit.xml";
    ts_error_clear(&err);
    assert_int_equal(ts_validation_write_junit(v, missing, &err), TS_EIO);
    assert_string_equal(err.file, missing);
    struct stat st;
    assert_int_not_equal(stat(missing, &st), 0);

    /* The final name is taken by a folder: the rename fails at the very end
     * and the temporary must be gone. */
    char dir[128], target[160];
    snprintf(dir, sizeof dir, "%s/sub", tmpdir);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(target, sizeof target, "%s/junit.xml", dir);
    assert_int_equal(mkdir(target, 0700), 0);
    ts_error_clear(&err);
    assert_int_equal(ts_validation_write_junit(v, target, &err), TS_EIO);
    assert_string_equal(err.file, target);
    assert_int_equal(count_entries(dir), 1);
    assert_int_equal(rmdir(target), 0);
    assert_int_equal(rmdir(dir), 0);

    assert_int_equal(ts_validation_write_junit(v, "", &err), TS_EINVAL);
    ts_validation_free(v);
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
        cmocka_unit_test(test_text_scorecard),
        cmocka_unit_test(test_json_checker_rejects),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_junit),
        cmocka_unit_test(test_junit_unwritable),
    };
    int rc = cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
    xmlCleanupParser();
    return rc;
}
