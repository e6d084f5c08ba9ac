/*
 * Tests for src/deploy/qos_profiles.c and the compatibility rules in
 * qos_match.c: every built-in profile's exact values (against rmw's
 * qos_profiles.h and Fast DDS's documented defaults), validation and
 * derivation, and each request-versus-offered rule in both directions with
 * the failing policy named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "toposim/deploy.h"
#include "toposim/error.h"

#define MS INT64_C(1000000)

/* Field by field: ts_qos has padding that memcmp would read. */
static void assert_qos_equal(const ts_qos *a, const ts_qos *b)
{
    assert_int_equal(a->reliability, b->reliability);
    assert_int_equal(a->history, b->history);
    assert_int_equal(a->depth, b->depth);
    assert_int_equal(a->max_samples, b->max_samples);
    assert_int_equal(a->durability, b->durability);
    assert_int_equal(a->deadline_ns, b->deadline_ns);
    assert_int_equal(a->lifespan_ns, b->lifespan_ns);
    assert_int_equal(a->liveliness, b->liveliness);
    assert_int_equal(a->lease_ns, b->lease_ns);
}

static void expect_profile(const char *name, ts_qos_role role, ts_qos_reliability rel,
                           ts_qos_durability dur, int depth, int64_t deadline)
{
    ts_qos q;
    memset(&q, 0x5a, sizeof q);
    assert_int_equal(ts_qos_builtin_role(name, role, &q), TS_OK);
    assert_int_equal(q.reliability, rel);
    assert_int_equal(q.history, TS_QOS_KEEP_LAST);
    assert_int_equal(q.depth, depth);
    assert_int_equal(q.max_samples, 0);
    assert_int_equal(q.durability, dur);
    assert_int_equal(q.deadline_ns, deadline);
    assert_int_equal(q.lifespan_ns, 0);
    assert_int_equal(q.liveliness, TS_QOS_AUTOMATIC);
    assert_int_equal(q.lease_ns, 0);
    assert_int_equal(ts_qos_validate(&q, NULL), TS_OK);
}

static void test_builtin_values(void **state)
{
    (void)state;
    for (int role = TS_QOS_WRITER; role <= TS_QOS_READER; role++) {
        expect_profile("real_time", role, TS_QOS_RELIABLE, TS_QOS_VOLATILE, 1, 10 * MS);
        expect_profile("standard", role, TS_QOS_RELIABLE, TS_QOS_VOLATILE, 10, 0);
        expect_profile("best_effort", role, TS_QOS_BEST_EFFORT, TS_QOS_VOLATILE, 100, 0);
        expect_profile("sensor_data", role, TS_QOS_BEST_EFFORT, TS_QOS_VOLATILE, 5, 0);
        expect_profile("services_default", role, TS_QOS_RELIABLE, TS_QOS_VOLATILE, 10, 0);
        expect_profile("parameters", role, TS_QOS_RELIABLE, TS_QOS_VOLATILE, 1000, 0);
        expect_profile("default", role, TS_QOS_RELIABLE, TS_QOS_VOLATILE, 10, 0);
    }
    /* Fast DDS's entity defaults: the two sides differ. */
    expect_profile("system_default", TS_QOS_WRITER, TS_QOS_RELIABLE, TS_QOS_TRANSIENT_LOCAL, 1,
                   0);
    expect_profile("system_default", TS_QOS_READER, TS_QOS_BEST_EFFORT, TS_QOS_VOLATILE, 1, 0);
}

static void test_builtin_lookup(void **state)
{
    (void)state;
    ts_qos a, b;
    assert_int_equal(ts_qos_builtin("rmw_qos_profile_sensor_data", &a), TS_OK);
    assert_int_equal(ts_qos_builtin("sensor_data", &b), TS_OK);
    assert_qos_equal(&a, &b);
    /* ts_qos_builtin is the writer's side. */
    assert_int_equal(ts_qos_builtin("system_default", &a), TS_OK);
    assert_int_equal(a.durability, TS_QOS_TRANSIENT_LOCAL);
    assert_int_equal(ts_qos_builtin("no_such_profile", &a), TS_ENOENT);
    assert_int_equal(ts_qos_builtin("", &a), TS_ENOENT);
    assert_int_equal(ts_qos_builtin(NULL, &a), TS_EINVAL);
    size_t n = 0;
    while (ts_qos_builtin_name(n)) {
        assert_int_equal(ts_qos_builtin(ts_qos_builtin_name(n), &a), TS_OK);
        n++;
    }
    assert_int_equal(n, 8);
    assert_null(ts_qos_builtin_name(8));
}

static void test_system_default_sides_match(void **state)
{
    (void)state;
    ts_qos w, r;
    ts_qos_builtin_role("system_default", TS_QOS_WRITER, &w);
    ts_qos_builtin_role("system_default", TS_QOS_READER, &r);
    const char *p = "x";
    assert_int_equal(ts_qos_compatible(&w, &r, &p), 1);
    assert_string_equal(p, "");
    /* Swapped, the reader's best effort cannot serve the writer's
     * reliability request. */
    assert_int_equal(ts_qos_compatible(&r, &w, &p), 0);
    assert_string_equal(p, "RELIABILITY");
}

static ts_qos base_qos(void)
{
    ts_qos q;
    ts_qos_builtin("standard", &q);
    return q;
}

static void expect_invalid(ts_qos q, const char *word)
{
    ts_error err;
    ts_error_clear(&err);
    assert_int_equal(ts_qos_validate(&q, &err), TS_EINVAL);
    assert_int_equal(err.code, TS_EINVAL);
    assert_non_null(strstr(err.msg, word));
}

static void test_validate(void **state)
{
    (void)state;
    ts_qos q = base_qos();
    assert_int_equal(ts_qos_validate(&q, NULL), TS_OK);
    q.depth = 0;
    expect_invalid(q, "depth");
    q = base_qos();
    q.max_samples = -1;
    expect_invalid(q, "max_samples");
    q = base_qos();
    q.max_samples = 5; /* below KEEP_LAST depth 10 */
    expect_invalid(q, "max_samples");
    q.history = TS_QOS_KEEP_ALL; /* depth does not bound KEEP_ALL */
    assert_int_equal(ts_qos_validate(&q, NULL), TS_OK);
    q = base_qos();
    q.deadline_ns = -1;
    expect_invalid(q, "deadline");
    q = base_qos();
    q.lifespan_ns = -1;
    expect_invalid(q, "lifespan");
    q = base_qos();
    q.lease_ns = -5;
    expect_invalid(q, "lease");
    q = base_qos();
    q.reliability = (ts_qos_reliability)7;
    expect_invalid(q, "reliability");
    q = base_qos();
    q.durability = (ts_qos_durability)3;
    expect_invalid(q, "durability");
    q = base_qos();
    q.history = (ts_qos_history)2;
    expect_invalid(q, "history");
    q = base_qos();
    q.liveliness = (ts_qos_liveliness)9;
    expect_invalid(q, "liveliness");
}

static void test_derive(void **state)
{
    (void)state;
    ts_qos base, out;
    ts_qos_builtin("sensor_data", &base);
    ts_qos_override ov = {TS_QOS_SET_RELIABILITY | TS_QOS_SET_DEADLINE | TS_QOS_SET_LEASE,
                          {0}};
    ov.value.reliability = TS_QOS_RELIABLE;
    ov.value.deadline_ns = 20 * MS;
    ov.value.lease_ns = 100 * MS;
    ov.value.depth = 0; /* not in `set`: ignored */
    assert_int_equal(ts_qos_derive(&base, &ov, &out, NULL), TS_OK);
    assert_int_equal(out.reliability, TS_QOS_RELIABLE);
    assert_int_equal(out.deadline_ns, 20 * MS);
    assert_int_equal(out.lease_ns, 100 * MS);
    assert_int_equal(out.depth, 5);
    assert_int_equal(out.durability, TS_QOS_VOLATILE);
    assert_int_equal(base.reliability, TS_QOS_BEST_EFFORT); /* base untouched */

    /* Every field can be overridden. */
    ts_qos_override all = {0x1ffu,
                           {TS_QOS_RELIABLE, TS_QOS_KEEP_ALL, 3, 50, TS_QOS_TRANSIENT_LOCAL,
                            1 * MS, 2 * MS, TS_QOS_MANUAL_BY_TOPIC, 3 * MS}};
    assert_int_equal(ts_qos_derive(&base, &all, &out, NULL), TS_OK);
    assert_qos_equal(&out, &all.value);

    /* No override: a copy. */
    assert_int_equal(ts_qos_derive(&base, NULL, &out, NULL), TS_OK);
    assert_qos_equal(&out, &base);

    /* An invalid result is refused and leaves out alone. */
    ts_qos keep = out;
    ts_qos_override bad = {TS_QOS_SET_DEPTH, {0}};
    ts_error err;
    assert_int_equal(ts_qos_derive(&base, &bad, &out, &err), TS_EINVAL);
    assert_non_null(strstr(err.msg, "depth"));
    assert_qos_equal(&out, &keep);
    ts_qos_override neg = {TS_QOS_SET_LIFESPAN, {0}};
    neg.value.lifespan_ns = -1;
    assert_int_equal(ts_qos_derive(&base, &neg, &out, NULL), TS_EINVAL);
}

/* offered vs requested: expected result and (when 0) policy name. */
static void expect_match(ts_qos o, ts_qos r, int ok, const char *policy)
{
    const char *p = NULL;
    assert_int_equal(ts_qos_compatible(&o, &r, &p), ok);
    assert_non_null(p);
    assert_string_equal(p, ok ? "" : policy);
    assert_int_equal(ts_qos_check(&o, &r) == TS_QOS_POLICY_NONE, ok);
}

static void test_reliability_rule(void **state)
{
    (void)state;
    ts_qos be = base_qos(), rel = base_qos();
    be.reliability = TS_QOS_BEST_EFFORT;
    expect_match(be, rel, 0, "RELIABILITY");
    expect_match(rel, be, 1, NULL);
    expect_match(rel, rel, 1, NULL);
    expect_match(be, be, 1, NULL);
}

static void test_durability_rule(void **state)
{
    (void)state;
    ts_qos vol = base_qos(), tl = base_qos();
    tl.durability = TS_QOS_TRANSIENT_LOCAL;
    expect_match(vol, tl, 0, "DURABILITY");
    expect_match(tl, vol, 1, NULL);
    expect_match(tl, tl, 1, NULL);
}

static void test_deadline_rule(void **state)
{
    (void)state;
    ts_qos o = base_qos(), r = base_qos();
    o.deadline_ns = 20 * MS;
    r.deadline_ns = 10 * MS;
    expect_match(o, r, 0, "DEADLINE");
    expect_match(r, o, 1, NULL);
    o.deadline_ns = 10 * MS;
    expect_match(o, r, 1, NULL); /* equal periods match */
    o.deadline_ns = 0;           /* infinite offered, finite requested */
    expect_match(o, r, 0, "DEADLINE");
    expect_match(r, o, 1, NULL); /* finite offered, infinite requested */
    /* The built-ins: real_time offers 10 ms, standard requests nothing. */
    ts_qos rt, std;
    ts_qos_builtin("real_time", &rt);
    ts_qos_builtin("standard", &std);
    expect_match(rt, std, 1, NULL);
    expect_match(std, rt, 0, "DEADLINE");
}

static void test_liveliness_rule(void **state)
{
    (void)state;
    ts_qos a = base_qos(), m = base_qos();
    m.liveliness = TS_QOS_MANUAL_BY_TOPIC;
    expect_match(a, m, 0, "LIVELINESS");
    expect_match(m, a, 1, NULL);
    ts_qos o = base_qos(), r = base_qos();
    o.lease_ns = 200 * MS;
    r.lease_ns = 100 * MS;
    expect_match(o, r, 0, "LIVELINESS");
    expect_match(r, o, 1, NULL);
    o.lease_ns = 0; /* infinite offered lease cannot meet a finite request */
    expect_match(o, r, 0, "LIVELINESS");
    expect_match(r, o, 1, NULL);
}

static void test_rule_order(void **state)
{
    (void)state;
    ts_qos o = base_qos(), r = base_qos();
    o.reliability = TS_QOS_BEST_EFFORT;
    r.durability = TS_QOS_TRANSIENT_LOCAL;
    r.deadline_ns = 5 * MS;
    r.liveliness = TS_QOS_MANUAL_BY_TOPIC;
    expect_match(o, r, 0, "RELIABILITY");
    o.reliability = TS_QOS_RELIABLE;
    expect_match(o, r, 0, "DURABILITY");
    o.durability = TS_QOS_TRANSIENT_LOCAL;
    expect_match(o, r, 0, "DEADLINE");
    o.deadline_ns = 5 * MS;
    expect_match(o, r, 0, "LIVELINESS");
    o.liveliness = TS_QOS_MANUAL_BY_TOPIC;
    expect_match(o, r, 1, NULL);
    assert_int_equal(ts_qos_check(&o, &r), TS_QOS_POLICY_NONE);
    o.lease_ns = 1;
    r.lease_ns = 2;
    assert_int_equal(ts_qos_check(&o, &r), TS_QOS_POLICY_NONE);
    assert_int_equal(ts_qos_check(&r, &o), TS_QOS_POLICY_LIVELINESS);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(ts_qos_policy_name(TS_QOS_POLICY_RELIABILITY), "RELIABILITY");
    assert_string_equal(ts_qos_policy_name(TS_QOS_POLICY_DURABILITY), "DURABILITY");
    assert_string_equal(ts_qos_policy_name(TS_QOS_POLICY_DEADLINE), "DEADLINE");
    assert_string_equal(ts_qos_policy_name(TS_QOS_POLICY_LIVELINESS), "LIVELINESS");
    assert_string_equal(ts_qos_reliability_name(TS_QOS_BEST_EFFORT), "BEST_EFFORT");
    assert_string_equal(ts_qos_reliability_name(TS_QOS_RELIABLE), "RELIABLE");
    assert_string_equal(ts_qos_history_name(TS_QOS_KEEP_ALL), "KEEP_ALL");
    assert_string_equal(ts_qos_durability_name(TS_QOS_TRANSIENT_LOCAL), "TRANSIENT_LOCAL");
    assert_string_equal(ts_qos_liveliness_name(TS_QOS_MANUAL_BY_TOPIC), "MANUAL_BY_TOPIC");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_values),
        cmocka_unit_test(test_builtin_lookup),
        cmocka_unit_test(test_system_default_sides_match),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_derive),
        cmocka_unit_test(test_reliability_rule),
        cmocka_unit_test(test_durability_rule),
        cmocka_unit_test(test_deadline_rule),
        cmocka_unit_test(test_liveliness_rule),
        cmocka_unit_test(test_rule_order),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
