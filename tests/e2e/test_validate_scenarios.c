/*
 * End to end through the toposim binary, the validator's acceptance: each
 * run the old validator passed now fails the right gate naming the item
 * (tests/e2e/validate-*.xml), a correct failover scores above 99 % with
 * its lost samples on record, every example scenario's JUnit file
 * validates against tests/junit.xsd, and a baseline comparison against a
 * 30 % slower vision_processing exits 1 naming the regression.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "shell_capture.h"
#include "toposim/trace.h"
#include "toposim/validate.h"

static char bin[1024];
static char tmpdir[] = "/tmp/toposim-validate-XXXXXX";
static char out_text[1 << 17];
static char err_text[1 << 14];

#define shell TS_TEST_SHELL

/* Runs scenario path into tmpdir/name.h5. */
static void run_scenario(const char *path, const char *name)
{
    int rc = shell("%s run -q %s -o %s/%s.h5", bin, path, tmpdir, name);
    if (rc != 0)
        fail_msg("toposim run %s: exit %d: %s", path, rc, err_text);
}

static int setup(void **state)
{
    (void)state;
    const char *b = getenv("TOPOSIM_BIN");
    snprintf(bin, sizeof bin, "%s", b ? b : "build/toposim");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* The output line of a failed gate: "  FAIL ... gate" followed by its
 * message line; both must be there and the message must name item. */
static void expect_failed_gate(const char *scenario, const char *gate, const char *item)
{
    char line[256];
    snprintf(line, sizeof line, "  %s", gate);
    const char *p = out_text;
    while ((p = strstr(p, "\n  FAIL  ")) != NULL) {
        const char *eol = strchr(p + 1, '\n');
        const char *name = strstr(p, line);
        if (name && eol && name < eol) {
            const char *msg_end = strchr(eol + 1, '\n');
            size_t n = msg_end ? (size_t)(msg_end - eol) : strlen(eol);
            char msg[512];
            snprintf(msg, sizeof msg, "%.*s", (int)(n < sizeof msg ? n : sizeof msg - 1), eol);
            if (!strstr(msg, item))
                fail_msg("%s: gate %s fails without naming %s:%s", scenario, gate, item, msg);
            return;
        }
        p++;
    }
    fail_msg("%s: no failed gate %s in:\n%s", scenario, gate, out_text);
}

static void test_pass_cases_now_fail(void **state)
{
    (void)state;
    static const struct {
        const char *name, *gate, *item;
    } cases[] = {
        {"validate-failover-over-budget", "run:failover-over-budget", "safety_monitor"},
        {"validate-failover-over-budget", "safety-coverage:all", "safety_monitor"},
        {"validate-rollout-abort", "run:rollout-abort", "perception"},
        {"validate-policy-blocked", "integration:all", "diag_status"},
        {"validate-qos-never-match", "topic-deadline:all", "lidar_points"},
        {"validate-qos-never-match", "integration:all", "lidar_points"},
        {"validate-qos-never-match", "run:qos-incompatible", "lidar_points"},
        {"validate-safety-on-edge", "safety-coverage:all", "safety_monitor"},
        {"validate-no-requirements", "component-deadline:all", "overloaded"},
        {"validate-dds-deadline", "qos-deadline:all", "odometry"},
        {"validate-power-budget", "power-budget:h1_jetson", "h1_jetson"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[256];
        snprintf(path, sizeof path, "tests/e2e/%s.xml", cases[i].name);
        run_scenario(path, cases[i].name);
        int rc = shell("%s validate %s/%s.h5", bin, tmpdir, cases[i].name);
        if (rc != 1)
            fail_msg("%s: validate exit %d, expected 1:\n%s%s", cases[i].name, rc, out_text,
                     err_text);
        assert_non_null(strstr(out_text, "RESULT: FAIL"));
        expect_failed_gate(cases[i].name, cases[i].gate, cases[i].item);
    }
    /* The power case fails on its declared gate alone. */
    shell("%s validate %s/validate-power-budget.h5", bin, tmpdir);
    assert_non_null(strstr(out_text, "RESULT: FAIL (1 of "));

    /* The abort passes when the scenario declares it. */
    run_scenario("tests/e2e/validate-rollout-abort-expected.xml", "abort-expected");
    int rc = shell("%s validate %s/abort-expected.h5", bin, tmpdir);
    if (rc != 0)
        fail_msg("expected abort: exit %d:\n%s", rc, out_text);
    assert_non_null(strstr(out_text, "PASS  required        1  actual        1  "
                                     "expect:rollout_abort"));
}

/* Acceptance 2: after the edge server crashes, vision serves from the
 * backup within budget; camera_image counts per logical subscriber. */
static void test_edge_failover_compliance(void **state)
{
    (void)state;
    run_scenario("scenarios/edge-failover.xml", "edge-failover");
    char path[1200];
    snprintf(path, sizeof path, "%s/edge-failover.h5", tmpdir);
    ts_trace *t = NULL;
    ts_error err;
    ts_error_clear(&err);
    assert_int_equal(ts_trace_load(path, &t, &err), TS_OK);
    ts_validation *v = NULL;
    assert_int_equal(ts_validate(t, &v, &err), TS_OK);
    const ts_score *cam = NULL;
    for (size_t i = 0; i < v->n_scores; i++)
        if (v->scores[i].kind == TS_SCORE_TOPIC && !strcmp(v->scores[i].name, "camera_image"))
            cam = &v->scores[i];
    assert_non_null(cam);
    if (!(cam->compliance > 0.99))
        fail_msg("camera_image compliance %.4f", cam->compliance);
    assert_int_equal(v->n_failovers, 1);
    assert_string_equal(v->failovers[0].group, "vision_processing");
    assert_string_equal(v->failovers[0].serving, "vision_processing_b");
    assert_true(v->failovers[0].within);
    assert_true(v->failovers[0].samples_lost >= 1);
    assert_int_equal(cam->total - cam->met, v->failovers[0].samples_lost);
    assert_int_equal(v->all_pass, 1);
    ts_validation_free(v);
    ts_trace_free(t);
    /* The scorecard shows the record. */
    assert_int_equal(shell("%s validate %s", bin, path), 0);
    assert_non_null(strstr(out_text, "vision_processing -> vision_processing_b: serving"));
    assert_non_null(strstr(out_text, "sample(s) lost in its window"));
}

/* Acceptance 4: the JUnit file of every example scenario validates. */
static void test_examples_junit_validate(void **state)
{
    (void)state;
    DIR *d = opendir("scenarios");
    assert_non_null(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".xml") != 0)
            continue;
        char name[256], path[512];
        snprintf(name, sizeof name, "%.*s", (int)(len - 4), e->d_name);
        snprintf(path, sizeof path, "scenarios/%s", e->d_name);
        run_scenario(path, name);
        int rc = shell("%s validate %s/%s.h5 --junit %s/%s.junit.xml", bin, tmpdir, name, tmpdir,
                       name);
        if (rc != 0 && rc != 1)
            fail_msg("%s: validate exit %d: %s", name, rc, err_text);
        rc = shell("xmllint --noout --schema tests/junit.xsd %s/%s.junit.xml", tmpdir, name);
        if (rc != 0)
            fail_msg("%s: JUnit does not validate: %s", name, err_text);
        char junit[1200];
        snprintf(junit, sizeof junit, "%s/%s.junit.xml", tmpdir, name);
        ts_test_slurp(junit, out_text, sizeof out_text);
        char want[512];
        snprintf(want, sizeof want, "<testsuite name=\"%s\"", name);
        assert_non_null(strstr(out_text, want));
        snprintf(want, sizeof want, "classname=\"toposim.%s.", name);
        assert_non_null(strstr(out_text, want));
        n++;
    }
    closedir(d);
    assert_true(n >= 10);
}

/* Acceptance 5: the same scenario with a 30 % slower vision_processing. */
static void test_baseline_regression(void **state)
{
    (void)state;
    run_scenario("scenarios/humanoid-basic.xml", "basic");
    run_scenario("tests/e2e/validate-baseline-slow.xml", "slow");
    int rc = shell("%s validate %s/slow.h5 --baseline %s/basic.h5", bin, tmpdir, tmpdir);
    assert_int_equal(rc, 1);
    const char *row = strstr(out_text, "p99      vision_processing");
    assert_non_null(row);
    const char *eol = strchr(row, '\n');
    assert_non_null(eol);
    assert_non_null(strstr(row, "REGRESSION"));
    assert_true(strstr(row, "REGRESSION") < eol);
    assert_non_null(strstr(out_text, "BASELINE: REGRESSION (1 regression(s)"));
    /* The gates alone pass: the baseline made the difference. */
    assert_non_null(strstr(out_text, "RESULT: PASS"));
    /* With a looser tolerance it passes, and a trace against itself too. */
    assert_int_equal(shell("%s validate %s/slow.h5 --baseline %s/basic.h5 --tolerance p99=35%%",
                           bin, tmpdir, tmpdir), 0);
    assert_int_equal(shell("%s validate %s/basic.h5 --baseline %s/basic.h5", bin, tmpdir, tmpdir),
                     0);
    assert_int_equal(shell("%s validate %s/basic.h5 --baseline %s/basic.h5 --tolerance p99", bin,
                           tmpdir, tmpdir), 2);
    assert_int_equal(shell("%s validate %s/basic.h5 --tolerance p99=5%%", bin, tmpdir), 2);
    assert_int_equal(shell("%s validate %s/basic.h5 --baseline %s/missing.h5", bin, tmpdir,
                           tmpdir), 2);
    /* A baseline of another scenario is bad input, not a comparison. */
    run_scenario("tests/e2e/validate-no-requirements.xml", "other");
    assert_int_equal(shell("%s validate %s/basic.h5 --baseline %s/other.h5", bin, tmpdir, tmpdir),
                     2);
    assert_non_null(strstr(err_text, "baseline is a trace of scenario \"validate-no-requirements\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pass_cases_now_fail),
        cmocka_unit_test(test_edge_failover_compliance),
        cmocka_unit_test(test_examples_junit_validate),
        cmocka_unit_test(test_baseline_regression),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
