/*
 * Tests for scenario overrides (src/scenario/override.c): "--set PATH=VALUE"
 * changes one attribute before the schema and meaning checks, so the value
 * is parsed with the attribute's units and refused as the file's own would
 * be, with the override named; unknown and ambiguous paths are errors that
 * say what exists.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "toposim/scenario.h"

static int load_with(const char *path, const char *const *sets, size_t n, ts_scenario **s,
                     ts_error *err)
{
    ts_scenario_options opts = {.models_dir = "models", .overrides = sets, .n_overrides = n};
    return ts_scenario_load(path, &opts, s, err);
}

static ts_scenario *load_ok(const char *path, const char *const *sets, size_t n)
{
    ts_scenario *s = NULL;
    ts_error err;
    int rc = load_with(path, sets, n, &s, &err);
    if (rc != TS_OK)
        print_error("%s:%d: %s\n", err.file, err.line, err.msg);
    assert_int_equal(rc, TS_OK);
    return s;
}

static void expect_refused(const char *set, int line, const char *phrase)
{
    ts_scenario *s = (ts_scenario *)1;
    ts_error err;
    const char *sets[] = {set};
    int rc = load_with("scenarios/canary-rollback.xml", sets, 1, &s, &err);
    if (rc == TS_OK || err.line != line || !strstr(err.msg, phrase))
        print_error("%s: got %d at line %d: %s\n", set, rc, err.line, err.msg);
    assert_true(rc != TS_OK);
    assert_null(s);
    assert_int_equal(err.line, line);
    /* Every refusal names the override it comes from. */
    assert_non_null(strstr(err.msg, set));
    assert_non_null(strstr(err.msg, phrase));
}

static void test_values_change_with_their_units(void **state)
{
    (void)state;
    ts_scenario *base = load_ok("scenarios/canary-rollback.xml", NULL, 0);
    const char *sets[] = {"fleet.count=7", "link[h1_wifi].bandwidth=50Mbps",
                          "component[perception].rate=25Hz", "scenario.duration=3s",
                          "node[h1_rt].cores=8"};
    ts_scenario *s = load_ok("scenarios/canary-rollback.xml", sets, 5);
    assert_int_equal(s->n_fleets, 1);
    assert_int_equal(s->fleets[0].count, 7);
    /* The template is changed before it is copied: 3 more robots, and
     * every copy has the new figures. */
    assert_int_equal(s->n_nodes, base->n_nodes + 3 * 2);
    int wifi = ts_scenario_find_link(s, "h1_wifi");
    int wifi_r6 = ts_scenario_find_link(s, "h1_wifi_r6");
    assert_true(wifi >= 0 && wifi_r6 >= 0);
    assert_true(s->links[wifi].bandwidth_bps == 50e6);
    assert_true(s->links[wifi_r6].bandwidth_bps == 50e6);
    int perception = ts_scenario_find_component(s, "perception");
    assert_true(perception >= 0);
    assert_int_equal(s->components[perception].shared->period_ns, 40000000);
    assert_int_equal(s->duration_ns, 3000000000LL);
    int rt = ts_scenario_find_node(s, "h1_rt");
    assert_int_equal(s->nodes[rt].cores, 8);
    ts_scenario_free(s);
    ts_scenario_free(base);
}

static void test_later_override_wins(void **state)
{
    (void)state;
    const char *sets[] = {"fleet.count=2", "fleet.count=3"};
    ts_scenario *s = load_ok("scenarios/canary-rollback.xml", sets, 2);
    assert_int_equal(s->fleets[0].count, 3);
    ts_scenario_free(s);
}

static void test_wrong_kind_of_value(void **state)
{
    (void)state;
    /* the schema's type, at the element's line */
    expect_refused("fleet.count=abc", 56, "'abc' is not a valid value");
    expect_refused("node[h1_rt].cores=0", 23, "less than the minimum");
    /* the units parser's words */
    expect_refused("link[h1_wifi].bandwidth=50Mbit", 31, "expected a bit rate");
    /* a meaning check */
    expect_refused("component[perception].rate=0Hz", 41, "greater than 0Hz");
    /* a limit */
    expect_refused("fleet.count=100000", 56, "limit fleet-size");
    /* an attribute the element does not have */
    expect_refused("fleet.size=3", 56, "'size' is not allowed");
}

static void test_unknown_and_ambiguous_paths(void **state)
{
    (void)state;
    expect_refused("link[wifi].bandwidth=50Mbps", 0, "there are: h1_eth, h1_wifi, wan");
    expect_refused("node[x].cores=2", 0, "no <node> has the id \"x\"");
    expect_refused("medium.capacity=1Mbps", 0, "the scenario has no <medium>");
    expect_refused("node.cores=3", 23, "name one as node[ID].cores");
    expect_refused("fleet=3", 0, "expected PATH=VALUE");
    expect_refused("link[h1_wifi.bandwidth=1Mbps", 0, "expected PATH=VALUE");
    expect_refused("link[].bandwidth=1Mbps", 0, "expected PATH=VALUE");
    expect_refused("fleet.count", 0, "expected PATH=VALUE");
}

static void test_file_errors_stay_the_files(void **state)
{
    (void)state;
    /* An error of the file itself is reported as without overrides, not
     * blamed on one. */
    ts_scenario *s = NULL;
    ts_error err;
    const char *sets[] = {"scenario.duration=3s"};
    assert_int_not_equal(load_with("tests/bad/bad-unit.xml", sets, 1, &s, &err), TS_OK);
    assert_null(s);
    assert_null(strstr(err.msg, "--set"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_change_with_their_units),
        cmocka_unit_test(test_later_override_wins),
        cmocka_unit_test(test_wrong_kind_of_value),
        cmocka_unit_test(test_unknown_and_ambiguous_paths),
        cmocka_unit_test(test_file_errors_stay_the_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
