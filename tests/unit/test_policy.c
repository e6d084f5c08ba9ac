/*
 * Tests for src/deploy/policy.c: same-zone and zone-pair rules (directional,
 * unzoned pseudo-zone), default deny versus allow, per-topic publish and
 * subscribe lists by component and by zone, the reason sentences, rule-order
 * independence, bad descriptions, and the checker's rate-limited
 * "policy_violation" records through the fake runtime.
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
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

#define assert_has(msg, needle)                                              \
    do {                                                                     \
        if (!strstr((msg), (needle)))                                        \
            fail_msg("\"%s\" not found in \"%s\"", (needle), (msg));         \
    } while (0)

enum { PLANNER, MOTOR, CAMERA, LOGGER, TOOL, TOOL2, N_COMP };
enum { CONTROL, PERCEPTION, CLOUD, N_ZONE };
enum { CMD_VEL, IMAGE, LOGS, N_TOPIC };

static const char *const comp_names[N_COMP] = {"planner", "motor", "camera",
                                               "logger", "tool", "tool2"};
static const int zone_of[N_COMP] = {CONTROL, CONTROL, PERCEPTION, CLOUD, -1, -1};
static const char *const zone_names[N_ZONE] = {"control", "perception", "cloud"};
static const char *const topic_names[N_TOPIC] = {"cmd_vel", "image", "logs"};
static const ts_policy_zone_rule zone_rules[] = {
    {PERCEPTION, CONTROL}, /* perception may send to control, not back */
    {CONTROL, CLOUD},
    {-1, CLOUD},           /* unzoned tools may ship to the cloud */
};
static const ts_policy_topic_rule topic_rules[] = {
    {CMD_VEL, TS_POLICY_PUBLISH, PLANNER, -1},
    {CMD_VEL, TS_POLICY_SUBSCRIBE, -1, CONTROL},
    {LOGS, TS_POLICY_SUBSCRIBE, LOGGER, -1},
};

static ts_policy_desc base_desc(int default_deny)
{
    ts_policy_desc d = {
        .n_components = N_COMP, .zone_of = zone_of, .component_names = comp_names,
        .n_zones = N_ZONE, .zone_names = zone_names, .n_topics = N_TOPIC,
        .topic_names = topic_names, .zone_rules = zone_rules, .n_zone_rules = N_OF(zone_rules),
        .topic_rules = topic_rules, .n_topic_rules = N_OF(topic_rules),
        .default_deny = default_deny,
    };
    return d;
}

static ts_policy *make(int default_deny)
{
    ts_policy_desc d = base_desc(default_deny);
    ts_policy *p = NULL;
    ts_error err;
    assert_int_equal(ts_policy_new(&d, &p, &err), TS_OK);
    return p;
}

static const char *reason(const ts_policy *p, const ts_policy_verdict *v)
{
    static char buf[512];
    ts_policy_reason(p, v, buf, sizeof buf);
    return buf;
}

static void test_zones_default_deny(void **state)
{
    (void)state;
    ts_policy *p = make(1);
    ts_policy_verdict v;

    assert_int_equal(ts_policy_may_send(p, PLANNER, MOTOR, -1, &v), 1);
    assert_int_equal(v.zone, TS_POLICY_SAME_ZONE);
    assert_int_equal(v.publish, TS_POLICY_NOT_CHECKED);
    assert_string_equal(reason(p, &v), "planner and motor are both in zone control");

    assert_int_equal(ts_policy_may_send(p, CAMERA, PLANNER, -1, &v), 1);
    assert_int_equal(v.zone, TS_POLICY_ZONE_RULE);
    assert_string_equal(reason(p, &v),
                        "zone perception may talk to zone control (camera -> planner)");

    /* Rules are directional. */
    assert_int_equal(ts_policy_may_send(p, PLANNER, CAMERA, -1, &v), 0);
    assert_int_equal(v.allowed, 0);
    assert_int_equal(v.zone, TS_POLICY_ZONE_DEFAULT_DENY);
    assert_string_equal(reason(p, &v),
                        "planner in zone control may not send to camera in zone perception: "
                        "no rule allows zone control -> zone perception and the default is deny");

    /* The unzoned pseudo-zone: -1 in a rule names it. */
    assert_int_equal(ts_policy_may_send(p, TOOL, LOGGER, -1, &v), 1);
    assert_int_equal(v.zone, TS_POLICY_ZONE_RULE);
    assert_int_equal(ts_policy_may_send(p, LOGGER, TOOL, -1, &v), 0);
    assert_has(reason(p, &v), "tool in (no zone)");
    assert_int_equal(ts_policy_may_send(p, TOOL, TOOL2, -1, &v), 1);
    assert_int_equal(v.zone, TS_POLICY_SAME_ZONE);
    assert_string_equal(reason(p, &v), "neither tool nor tool2 is in a zone");
    assert_int_equal(ts_policy_may_send(p, TOOL, PLANNER, -1, &v), 0);

    assert_int_equal(ts_policy_zone_of(p, CAMERA), PERCEPTION);
    assert_int_equal(ts_policy_zone_of(p, TOOL), -1);
    assert_int_equal(ts_policy_zone_of(p, N_COMP), -2);
    ts_policy_free(p);
}

static void test_zones_default_allow(void **state)
{
    (void)state;
    ts_policy *p = make(0);
    ts_policy_verdict v;
    assert_int_equal(ts_policy_may_send(p, PLANNER, CAMERA, -1, &v), 1);
    assert_int_equal(v.zone, TS_POLICY_ZONE_DEFAULT_ALLOW);
    assert_string_equal(reason(p, &v), "no rule for zone control -> zone perception "
                                       "(planner -> camera); allowed by default");
    assert_int_equal(ts_policy_may_send(p, LOGGER, TOOL, -1, &v), 1);
    /* A rule still reports itself as the reason. */
    assert_int_equal(ts_policy_may_send(p, CAMERA, PLANNER, -1, &v), 1);
    assert_int_equal(v.zone, TS_POLICY_ZONE_RULE);
    /* Every pair is allowed without topics: count them. */
    int allowed = 0;
    for (int a = 0; a < N_COMP; a++)
        for (int b = 0; b < N_COMP; b++)
            allowed += ts_policy_may_send(p, a, b, -1, &v);
    assert_int_equal(allowed, N_COMP * N_COMP);
    ts_policy_free(p);

    /* Under default deny, exactly the same-zone pairs and the three rules'
     * pairs pass: same zone: control 2x2, perception 1, cloud 1, unzoned
     * 2x2 = 10; perception->control 1x2, control->cloud 2x1, unzoned->cloud
     * 2x1 = 6. */
    p = make(1);
    allowed = 0;
    for (int a = 0; a < N_COMP; a++)
        for (int b = 0; b < N_COMP; b++)
            allowed += ts_policy_may_send(p, a, b, -1, &v);
    assert_int_equal(allowed, 16);
    ts_policy_free(p);
}

static void test_topic_lists(void **state)
{
    (void)state;
    for (int deny = 0; deny <= 1; deny++) {
        ts_policy *p = make(deny);
        ts_policy_verdict v;
        /* planner is listed by name, motor's zone is on the subscribe list. */
        assert_int_equal(ts_policy_may_send(p, PLANNER, MOTOR, CMD_VEL, &v), 1);
        assert_int_equal(v.publish, TS_POLICY_LISTED);
        assert_int_equal(v.subscribe, TS_POLICY_ZONE_LISTED);
        assert_string_equal(reason(p, &v),
                            "planner and motor are both in zone control; planner is on the "
                            "publish list of cmd_vel; zone control of motor is on the "
                            "subscribe list of cmd_vel");

        /* A list binds whatever the default. */
        assert_int_equal(ts_policy_may_send(p, MOTOR, PLANNER, CMD_VEL, &v), 0);
        assert_int_equal(v.zone, TS_POLICY_SAME_ZONE);
        assert_int_equal(v.publish, TS_POLICY_NOT_LISTED);
        assert_int_equal(v.subscribe, TS_POLICY_NOT_CHECKED);
        assert_string_equal(reason(p, &v), "motor may not publish cmd_vel: neither it nor "
                                           "its zone control is on the publish list");

        /* A topic without lists is open. */
        assert_int_equal(ts_policy_may_send(p, CAMERA, PLANNER, IMAGE, &v), 1);
        assert_int_equal(v.publish, TS_POLICY_NO_LIST);
        assert_int_equal(v.subscribe, TS_POLICY_NO_LIST);

        /* Subscribe list only. */
        assert_int_equal(ts_policy_may_send(p, PLANNER, LOGGER, LOGS, &v), 1);
        assert_string_equal(reason(p, &v),
                            "zone control may talk to zone cloud (planner -> logger); logs "
                            "has no publish list; logger is on the subscribe list of logs");
        assert_int_equal(ts_policy_may_send(p, TOOL, TOOL2, LOGS, &v), 0);
        assert_int_equal(v.subscribe, TS_POLICY_NOT_LISTED);
        assert_string_equal(reason(p, &v),
                            "tool2 may not subscribe logs: it is not on the subscribe list");

        assert_int_equal(ts_policy_may_publish(p, PLANNER, CMD_VEL, &v), 1);
        assert_int_equal(ts_policy_may_publish(p, CAMERA, CMD_VEL, &v), 0);
        assert_int_equal(v.zone, TS_POLICY_NOT_CHECKED);
        assert_has(reason(p, &v), "camera may not publish cmd_vel");
        assert_int_equal(ts_policy_may_subscribe(p, MOTOR, CMD_VEL, &v), 1);
        assert_int_equal(v.subscribe, TS_POLICY_ZONE_LISTED);
        assert_int_equal(ts_policy_may_subscribe(p, LOGGER, CMD_VEL, &v), 0);
        assert_int_equal(ts_policy_may_subscribe(p, LOGGER, IMAGE, &v), 1);
        ts_policy_free(p);
    }

    /* The zone check comes first: a denied zone pair names the zones. */
    ts_policy *p = make(1);
    ts_policy_verdict v;
    assert_int_equal(ts_policy_may_send(p, PLANNER, CAMERA, CMD_VEL, &v), 0);
    assert_int_equal(v.zone, TS_POLICY_ZONE_DEFAULT_DENY);
    assert_int_equal(v.publish, TS_POLICY_NOT_CHECKED);
    assert_has(reason(p, &v), "planner in zone control may not send cmd_vel to camera");
    ts_policy_free(p);
}

static void test_rule_order_and_names(void **state)
{
    (void)state;
    /* Reversed and duplicated rules compile to the same decisions. */
    ts_policy_topic_rule rev[N_OF(topic_rules) * 2];
    for (size_t i = 0; i < N_OF(topic_rules); i++) {
        rev[i] = topic_rules[N_OF(topic_rules) - 1 - i];
        rev[N_OF(topic_rules) + i] = topic_rules[i];
    }
    ts_policy_desc d = base_desc(1);
    d.topic_rules = rev;
    d.n_topic_rules = N_OF(rev);
    ts_policy *q;
    assert_int_equal(ts_policy_new(&d, &q, NULL), TS_OK);
    ts_policy *p = make(1);
    for (int a = 0; a < N_COMP; a++)
        for (int b = 0; b < N_COMP; b++)
            for (int t = -1; t < N_TOPIC; t++) {
                ts_policy_verdict v1, v2;
                assert_int_equal(ts_policy_may_send(p, a, b, t, &v1),
                                 ts_policy_may_send(q, a, b, t, &v2));
                assert_memory_equal(&v1, &v2, sizeof v1);
            }
    ts_policy_free(q);
    ts_policy_free(p);

    /* Without names, indices stand in; the caller's arrays may go away. */
    d = base_desc(1);
    d.component_names = NULL;
    d.topic_names = NULL;
    char zname[16] = "control";
    const char *zn[N_ZONE] = {zname, NULL, "cloud"};
    d.zone_names = zn;
    assert_int_equal(ts_policy_new(&d, &q, NULL), TS_OK);
    strcpy(zname, "XXX");
    ts_policy_verdict v;
    assert_int_equal(ts_policy_may_send(q, 0, 2, 0, &v), 0);
    assert_string_equal(reason(q, &v),
                        "component 0 in zone control may not send topic 0 to component 2 in zone 1: "
                        "no rule allows zone control -> zone 1 and the default is deny");
    assert_int_equal(ts_policy_may_send(q, 1, 0, 0, &v), 0);
    assert_has(reason(q, &v), "component 1 may not publish topic 0");

    /* A short buffer is cut but terminated; the wanted length is returned. */
    char small[10];
    size_t want = ts_policy_reason(q, &v, small, sizeof small);
    assert_int_equal(strlen(small), 9);
    assert_int_equal(want, strlen(reason(q, &v)));
    ts_policy_free(q);
}

static void test_bad_input(void **state)
{
    (void)state;
    ts_policy *p = make(1);
    ts_policy_verdict v;
    assert_int_equal(ts_policy_may_send(p, -1, 0, -1, &v), TS_EINVAL);
    assert_int_equal(ts_policy_may_send(p, 0, N_COMP, -1, &v), TS_EINVAL);
    assert_int_equal(ts_policy_may_send(p, 0, 1, N_TOPIC, &v), TS_EINVAL);
    assert_int_equal(ts_policy_may_send(p, 0, 1, -2, &v), TS_EINVAL);
    assert_int_equal(ts_policy_may_publish(p, 0, -1, &v), TS_EINVAL);
    ts_policy_free(p);

    ts_error err;
    ts_policy_desc d = base_desc(1);
    int bad_zone[N_COMP] = {0, 0, 7, 0, 0, 0};
    d.zone_of = bad_zone;
    p = (ts_policy *)&err;
    assert_int_equal(ts_policy_new(&d, &p, &err), TS_EINVAL);
    assert_null(p);
    assert_has(err.msg, "component 2");

    d = base_desc(1);
    ts_policy_zone_rule zr = {0, 3};
    d.zone_rules = &zr;
    d.n_zone_rules = 1;
    assert_int_equal(ts_policy_new(&d, &p, &err), TS_EINVAL);
    assert_has(err.msg, "zone rule 0");

    d = base_desc(1);
    ts_policy_topic_rule tr[2] = {{0, TS_POLICY_PUBLISH, 0, -1}, {1, TS_POLICY_PUBLISH, 1, 1}};
    d.topic_rules = tr;
    d.n_topic_rules = 2;
    assert_int_equal(ts_policy_new(&d, &p, &err), TS_EINVAL);
    assert_has(err.msg, "topic rule 1 must name exactly one");
    tr[1] = (ts_policy_topic_rule){5, TS_POLICY_PUBLISH, 1, -1};
    assert_int_equal(ts_policy_new(&d, &p, &err), TS_EINVAL);
    tr[1] = (ts_policy_topic_rule){1, TS_POLICY_PUBLISH, 9, -1};
    assert_int_equal(ts_policy_new(&d, &p, &err), TS_EINVAL);

    /* An empty policy: nothing in zones, everything same-zone. */
    ts_policy_desc empty = {.n_components = 2, .default_deny = 1};
    assert_int_equal(ts_policy_new(&empty, &p, &err), TS_OK);
    assert_int_equal(ts_policy_may_send(p, 0, 1, -1, &v), 1);
    ts_policy_free(p);

    /* Allocation failures are clean. */
    long live = ts_alloc_live();
    d = base_desc(1);
    for (long n = 1; n < 40; n++) {
        ts_alloc_fail_after(n);
        int rc = ts_policy_new(&d, &p, &err);
        ts_alloc_fail_after(0);
        if (rc == TS_OK) {
            ts_policy_free(p);
            break;
        }
        assert_int_equal(rc, TS_ENOMEM);
        assert_int_equal(ts_alloc_live(), live);
    }
    assert_int_equal(ts_alloc_live(), live);
}

static void test_checker_rate_limit(void **state)
{
    (void)state;
    fake_runtime *f = fake_runtime_new();
    ts_policy *p = make(1);
    ts_policy_checker *c;
    assert_int_equal(ts_policy_checker_new(&f->rt, p, 0, &c, NULL), TS_OK);

    /* Allowed traffic is never recorded. */
    assert_int_equal(ts_policy_checker_check(c, PLANNER, MOTOR, CMD_VEL), 1);
    assert_int_equal(f->n_records, 0);

    /* motor -> planner on cmd_vel: 3 at t=0, 1 at 0.5 s, 1 at 1 s - 1 ns,
     * 1 at 1 s, 1 at 1.5 s, 1 at 2 s. Records at 0 (1 message), 1 s (the
     * four since), 2 s (the two since). */
    for (int i = 0; i < 3; i++)
        assert_int_equal(ts_policy_checker_check(c, MOTOR, PLANNER, CMD_VEL), 0);
    assert_int_equal(fake_runtime_count(f, "policy_violation"), 1);
    /* Another triple (other topic -1) is its own. */
    assert_int_equal(ts_policy_checker_check(c, PLANNER, CAMERA, -1), 0);
    assert_int_equal(fake_runtime_count(f, "policy_violation"), 2);
    const int64_t at[] = {500 * MS, SEC - 1, SEC, 1500 * MS, 2 * SEC};
    for (size_t i = 0; i < N_OF(at); i++) {
        fake_runtime_run(f, at[i]);
        assert_int_equal(ts_policy_checker_check(c, MOTOR, PLANNER, CMD_VEL), 0);
    }
    assert_int_equal(fake_runtime_count(f, "policy_violation"), 4);
    const fake_record *r = fake_runtime_find(f, "policy_violation", 0);
    assert_int_equal(r->time, 0);
    assert_int_equal(r->component, MOTOR);
    assert_int_equal(r->node, -1);
    assert_float_equal(r->value, 1.0, 0);
    assert_string_equal(r->detail, "motor may not publish cmd_vel: neither it nor its zone "
                                   "control is on the publish list");
    r = fake_runtime_find(f, "policy_violation", 1);
    assert_int_equal(r->component, PLANNER);
    assert_has(r->detail, "no rule allows zone control -> zone perception");
    r = fake_runtime_find(f, "policy_violation", 2);
    assert_int_equal(r->time, SEC);
    assert_float_equal(r->value, 5.0, 0); /* 2 at t=0, 0.5 s, 1 s - 1 ns, this */
    r = fake_runtime_find(f, "policy_violation", 3);
    assert_int_equal(r->time, 2 * SEC);
    assert_float_equal(r->value, 2.0, 0);
    assert_int_equal(ts_policy_checker_denied(c), 9);
    assert_int_equal(ts_policy_checker_recorded(c), 4);
    assert_int_equal(ts_policy_checker_check(c, 0, 99, -1), TS_EINVAL);
    ts_policy_checker_free(c);
    ts_policy_free(p);
    fake_runtime_free(f);
}

/* Many triples: the table grows and every denied triple is recorded exactly
 * once within a window, with a custom 10 ms window. */
static void test_checker_many_triples(void **state)
{
    (void)state;
    fake_runtime *f = fake_runtime_new();
    ts_policy *p = make(1);
    ts_policy_checker *c;
    assert_int_equal(ts_policy_checker_new(&f->rt, p, 10 * MS, &c, NULL), TS_OK);
    int denied = 0;
    for (int round = 0; round < 3; round++)
        for (int a = 0; a < N_COMP; a++)
            for (int b = 0; b < N_COMP; b++)
                for (int t = -1; t < N_TOPIC; t++) {
                    ts_policy_verdict v;
                    int expect = ts_policy_may_send(p, a, b, t, &v);
                    assert_int_equal(ts_policy_checker_check(c, a, b, t), expect);
                    denied += round == 0 && expect == 0;
                }
    /* 144 triples; the zones allow 16 ordered pairs. Of those, topic -1
     * and image (no lists) pass for all 16, cmd_vel only planner -> planner
     * and planner -> motor, logs only the 5 pairs ending at logger:
     * 144 - (16 + 16 + 2 + 5) = 105 denied, past the first 64 slots. */
    assert_int_equal(denied, 105);
    assert_int_equal(fake_runtime_count(f, "policy_violation"), (size_t)denied);
    fake_runtime_run(f, 10 * MS);
    for (int a = 0; a < N_COMP; a++)
        for (int b = 0; b < N_COMP; b++)
            for (int t = -1; t < N_TOPIC; t++)
                assert_true(ts_policy_checker_check(c, a, b, t) >= 0);
    assert_int_equal(fake_runtime_count(f, "policy_violation"), 2 * (size_t)denied);
    /* Each second-window record carries the two suppressed repeats. */
    assert_float_equal(f->records[f->n_records - 1].value, 3.0, 0);
    assert_int_equal(ts_policy_checker_denied(c), 4 * (uint64_t)denied);
    ts_policy_checker_free(c);
    ts_policy_free(p);
    fake_runtime_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zones_default_deny),
        cmocka_unit_test(test_zones_default_allow),
        cmocka_unit_test(test_topic_lists),
        cmocka_unit_test(test_rule_order_and_names),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_checker_rate_limit),
        cmocka_unit_test(test_checker_many_triples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
