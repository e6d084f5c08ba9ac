/*
 * toposim batch end to end through the binary: scenarios run N at a time,
 * each judged as `toposim validate` judges it alone; one summary row and
 * one JUnit testsuite per scenario in the order given; a scenario that
 * cannot run, crashes or passes its time limit is an error that leaves the
 * others going; the exit code is 0 only when every gate of every scenario
 * passes.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "shell_capture.h"

static char bin[PATH_MAX];
static char tmpdir[] = "/tmp/toposim-batch-XXXXXX";
static char out_text[1 << 16];
static char err_text[1 << 16];
static char file_text[1 << 18];

#define shell TS_TEST_SHELL

static int setup(void **state)
{
    (void)state;
    const char *b = getenv("TOPOSIM_BIN");
    if (!realpath(b ? b : "build/toposim", bin) || !mkdtemp(tmpdir))
        return -1;
    /* A scenario the schema refuses, and a second file whose name is the
     * same as an example's. */
    char cmd[PATH_MAX * 3];
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s/other && sed 's/<scenario /<scenario bogus=\"1\" /' "
             "scenarios/humanoid-basic.xml > %s/bad.xml && "
             "cp scenarios/edge-failover.xml %s/other/humanoid-basic.xml",
             tmpdir, tmpdir, tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static size_t count(const char *text, const char *what)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

/* The line of summary.csv that starts with prefix, copied into line. */
static void summary_row(const char *csv, const char *prefix, char *line, size_t size)
{
    const char *p = csv;
    line[0] = '\0';
    while (p && *p) {
        if (!strncmp(p, prefix, strlen(prefix))) {
            size_t n = strcspn(p, "\n");
            snprintf(line, size, "%.*s", (int)n, p);
            return;
        }
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
}

static void test_mixed_batch(void **state)
{
    (void)state;
    int rc = shell("%s batch -j 2 -o %s/out scenarios/humanoid-basic.xml "
                   "scenarios/wifi-loss-burst.xml %s/bad.xml %s/other/humanoid-basic.xml",
                   bin, tmpdir, tmpdir, tmpdir);
    /* A scenario that could not run makes the batch an error. */
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out_text, "2 pass"));
    assert_non_null(strstr(out_text, "1 fail"));

    char path[PATH_MAX + 64], row[1024];
    snprintf(path, sizeof path, "%s/out/summary.csv", tmpdir);
    ts_test_slurp(path, file_text, sizeof file_text);
    assert_true(!strncmp(file_text, "scenario,name,verdict,gates,failed,failed_gates,why\n",
                         52));
    /* Rows in the order given, whatever order the runs finished in. */
    const char *a = strstr(file_text, "scenarios/humanoid-basic.xml,");
    const char *b = strstr(file_text, "scenarios/wifi-loss-burst.xml,");
    const char *c = strstr(file_text, "/bad.xml,");
    const char *d = strstr(file_text, "/other/humanoid-basic.xml,");
    assert_true(a && b && c && d && a < b && b < c && c < d);
    summary_row(file_text, "scenarios/humanoid-basic.xml,", row, sizeof row);
    assert_string_equal(row, "scenarios/humanoid-basic.xml,humanoid-basic,PASS,14,0,,");
    summary_row(file_text, "scenarios/wifi-loss-burst.xml,", row, sizeof row);
    assert_non_null(strstr(row, ",wifi-loss-burst,FAIL,"));
    assert_non_null(strstr(row, "topic-deadline:camera_image"));
    summary_row(file_text, tmpdir, row, sizeof row);
    assert_non_null(strstr(row, ",bad,NOT-RUN,0,0,,"));
    assert_non_null(strstr(row, "bad.xml:"));   /* the loader's file:line */
    assert_non_null(strstr(file_text, ",humanoid-basic-2,PASS,"));

    /* Each scenario judged as validate judges its trace alone. */
    assert_int_equal(shell("%s validate %s/out/humanoid-basic.h5", bin, tmpdir), 0);
    assert_int_equal(shell("%s validate %s/out/wifi-loss-burst.h5", bin, tmpdir), 1);
    assert_int_equal(shell("%s validate %s/out/humanoid-basic-2.h5", bin, tmpdir), 0);
    assert_non_null(strstr(out_text, "edge-failover"));

    /* One JUnit file, valid against the schema, a testsuite per scenario. */
    assert_int_equal(shell("xmllint --noout --schema tests/junit.xsd %s/out/junit.xml", tmpdir),
                     0);
    snprintf(path, sizeof path, "%s/out/junit.xml", tmpdir);
    ts_test_slurp(path, file_text, sizeof file_text);
    assert_int_equal(count(file_text, "<testsuite "), 4);
    assert_non_null(strstr(file_text, "<testsuites name=\"toposim batch\""));
    assert_non_null(strstr(file_text, "errors=\"1\""));
    assert_non_null(strstr(file_text, "<error type=\"not-run\""));
    assert_non_null(strstr(file_text, "attribute 'bogus'"));
    assert_int_equal(count(file_text, "<failure "), 2);
}

static void test_exit_codes_follow_the_gates(void **state)
{
    (void)state;
    assert_int_equal(shell("%s batch -q -j 2 -o %s/pass scenarios/humanoid-basic.xml "
                           "scenarios/edge-failover.xml", bin, tmpdir), 0);
    assert_string_equal(out_text, "");
    assert_int_equal(shell("%s batch -q -j 1 -o %s/fail --junit %s/fail.xml "
                           "scenarios/humanoid-basic.xml scenarios/wifi-loss-burst.xml",
                           bin, tmpdir, tmpdir), 1);
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/fail.xml", tmpdir);
    assert_int_equal(access(path, R_OK), 0);
    /* Components that do not fit are a failing result, not an error. */
    assert_int_equal(shell("%s batch -q -o %s/nofit scenarios/humanoid-basic.xml "
                           "tests/e2e/bad-infeasible.xml", bin, tmpdir), 1);
    snprintf(path, sizeof path, "%s/nofit/summary.csv", tmpdir);
    ts_test_slurp(path, file_text, sizeof file_text);
    assert_non_null(strstr(file_text, ",bad-infeasible,DOES-NOT-FIT,0,0,,"));
    assert_non_null(strstr(file_text, "component big: no robot node has 64GiB memory free"));
    snprintf(path, sizeof path, "%s/nofit/junit.xml", tmpdir);
    ts_test_slurp(path, file_text, sizeof file_text);
    assert_non_null(strstr(file_text, "<failure type=\"does-not-fit\""));
    assert_non_null(strstr(file_text, "failures=\"1\" errors=\"0\""));
}

static void test_time_limit_stops_one_scenario(void **state)
{
    (void)state;
    int rc = shell("%s batch -j 2 --timeout 1 --duration 3600s -o %s/slow "
                   "scenarios/humanoid-basic.xml", bin, tmpdir);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out_text, "TIMEOUT"));
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/slow/summary.csv", tmpdir);
    ts_test_slurp(path, file_text, sizeof file_text);
    assert_non_null(strstr(file_text, ",humanoid-basic,TIMEOUT,0,0,,"));
    /* The stopped run removed its temporary trace. */
    assert_int_equal(shell("ls -a %s/slow | grep -c tmp", tmpdir), 1);
    assert_string_equal(out_text, "0\n");
}

static void test_crash_is_an_error_and_others_go_on(void **state)
{
    (void)state;
    /* Two CPU seconds a process: the hour-long run is killed by the
     * kernel, the batch's own process and the short run are not. */
    int rc = shell("{ ulimit -t 2; %s batch -j 1 --duration 3600s -o %s/crash "
                   "scenarios/humanoid-basic.xml; %s batch -j 1 --duration 1s -o %s/crash2 "
                   "scenarios/humanoid-basic.xml; }",
                   bin, tmpdir, bin, tmpdir);
    assert_int_equal(rc, 0);
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/crash/summary.csv", tmpdir);
    ts_test_slurp(path, file_text, sizeof file_text);
    assert_non_null(strstr(file_text, ",humanoid-basic,CRASH,"));
    assert_non_null(strstr(file_text, "signal"));
}

static void test_usage_errors(void **state)
{
    (void)state;
    assert_int_equal(shell("%s batch", bin), 2);
    assert_non_null(strstr(err_text, "at least one SCENARIO.xml"));
    assert_int_equal(shell("%s batch -j 0 scenarios/humanoid-basic.xml", bin), 2);
    assert_non_null(strstr(err_text, "--jobs"));
    assert_int_equal(shell("%s batch --trace medium scenarios/humanoid-basic.xml", bin), 2);
    /* The batch's JUnit file may not replace one of its scenarios. */
    assert_int_equal(shell("%s batch -o %s/x --junit %s/bad.xml %s/bad.xml", bin, tmpdir,
                           tmpdir, tmpdir), 2);
    assert_non_null(strstr(err_text, "destroy"));
    assert_int_equal(shell("%s batch --help", bin), 0);
    assert_non_null(strstr(out_text, "usage: toposim batch"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mixed_batch),
        cmocka_unit_test(test_exit_codes_follow_the_gates),
        cmocka_unit_test(test_time_limit_stops_one_scenario),
        cmocka_unit_test(test_crash_is_an_error_and_others_go_on),
        cmocka_unit_test(test_usage_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
