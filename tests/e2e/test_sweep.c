/*
 * toposim sweep end to end through the binary: the limit of an edge rack
 * found by bisection agrees with plain `run` + `validate` at that count
 * and the next; replications give means and confidence intervals, and
 * one run rerun alone from runs.csv writes the very same trace; bad
 * values and unknown paths are refused before any run; a variant that
 * does not fit, crashes or passes its time limit is a row, not the end
 * of the sweep.
 */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "shell_capture.h"

static char bin[PATH_MAX];
static char tmpdir[] = "/tmp/toposim-sweep-XXXXXX";
static char out_text[1 << 16];
static char err_text[1 << 16];
static char file_text[1 << 18];

#define shell TS_TEST_SHELL
#define SCENARIO "tests/e2e/sweep-edge-rack.xml"

static int setup(void **state)
{
    (void)state;
    const char *b = getenv("TOPOSIM_BIN");
    return realpath(b ? b : "build/toposim", bin) && mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Field k (0-based) of a CSV line without quoted commas. */
static void field(const char *line, int k, char *out, size_t size)
{
    for (int i = 0; i < k && line; i++) {
        line = strchr(line, ',');
        line = line ? line + 1 : NULL;
    }
    size_t n = line ? strcspn(line, ",\n") : 0;
    snprintf(out, size, "%.*s", (int)n, line ? line : "");
}

/* The column index of name in a CSV header, -1 when absent. */
static int column(const char *csv, const char *name)
{
    size_t n = strcspn(csv, "\n"), len = strlen(name);
    int k = 0;
    for (const char *p = csv; p < csv + n; k++) {
        size_t w = strcspn(p, ",\n");
        if (w == len && !strncmp(p, name, len))
            return k;
        p += w + 1;
    }
    return -1;
}

/* The line of csv (after the header) whose field k equals value. */
static const char *row_where(const char *csv, int k, const char *value)
{
    for (const char *p = strchr(csv, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
        char f[256];
        field(p + 1, k, f, sizeof f);
        if (!strcmp(f, value))
            return p + 1;
    }
    return NULL;
}

/* Runs a rerun command from runs.csv (its last field) with the binary
 * and the trace path given; returns its exit code. */
static int rerun(const char *runs_row, const char *trace)
{
    const char *cmd = strstr(runs_row, ",toposim run ");
    assert_non_null(cmd);
    char line[4096];
    size_t n = strcspn(cmd + 9, "\n");
    snprintf(line, sizeof line, "%.*s", (int)n, cmd + 9);   /* "run ..." */
    char *o = strstr(line, "-o rerun.h5 ");
    assert_non_null(o);
    char tail[2048];
    snprintf(tail, sizeof tail, "%s", o + strlen("-o rerun.h5 "));
    snprintf(o, sizeof line - (size_t)(o - line), "-q -o %s %s", trace, tail);
    return shell("%s %s", bin, line);
}

/* Acceptance: --find-max over a fleet whose edge rack runs out returns
 * N; runs at N pass every gate and at N + 1 fail, judged by run and
 * validate alone. */
static void test_find_max_edge_rack(void **state)
{
    (void)state;
    int rc = shell("%s sweep " SCENARIO " --find-max fleet.count --range 2..16 --seeds 2 "
                   "--duration 1s -j 2 -o %s/find", bin, tmpdir);
    assert_int_equal(rc, 0);
    const char *at = strstr(out_text, "largest passing fleet.count=");
    assert_non_null(at);
    int n = atoi(at + strlen("largest passing fleet.count="));
    assert_true(n > 2 && n < 16);
    assert_non_null(strstr(out_text, "binding gate"));
    assert_non_null(strstr(out_text, "next step"));
    assert_non_null(strstr(out_text, "failing gate component-deadline:perception"));

    char path[PATH_MAX + 64], trace[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/find/runs.csv", tmpdir);
    ts_test_slurp(path, file_text, sizeof file_text);
    /* Every replication at N passes alone; one at N + 1 fails. */
    for (int count = n, rows = 0; count <= n + 1; count++, rows = 0) {
        int failed = 0;
        char want[64];
        snprintf(want, sizeof want, "--set fleet.count=%d ", count);
        for (const char *p = strchr(file_text, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
            const char *end = strchr(p + 1, '\n');
            const char *hit = strstr(p + 1, want);
            if (!hit || (end && hit > end))
                continue;
            snprintf(trace, sizeof trace, "%s/alone-%d-%d.h5", tmpdir, count, rows++);
            assert_int_equal(rerun(p + 1, trace), 0);
            int v = shell("%s validate %s", bin, trace);
            assert_true(v == 0 || v == 1);
            failed |= v == 1;
        }
        assert_int_equal(rows, 2);
        assert_int_equal(failed, count == n ? 0 : 1);
    }
    /* And with the scenario's own seed, as a user would try it. */
    snprintf(trace, sizeof trace, "%s/own-n.h5", tmpdir);
    assert_int_equal(shell("%s run -q --set fleet.count=%d --duration 1s -o %s " SCENARIO,
                           bin, n, trace), 0);
    assert_int_equal(shell("%s validate %s", bin, trace), 0);
    snprintf(trace, sizeof trace, "%s/own-n1.h5", tmpdir);
    assert_int_equal(shell("%s run -q --set fleet.count=%d --duration 1s -o %s " SCENARIO,
                           bin, n + 1, trace), 0);
    assert_int_equal(shell("%s validate %s", bin, trace), 1);
    snprintf(path, sizeof path, "%s/find/sweep.csv", tmpdir);
    ts_test_slurp(path, file_text, sizeof file_text);
    assert_true(column(file_text, "fleet.count") == 1);
}

/* Acceptance: five replications give means and 95 % intervals; one run
 * rerun alone with its recorded seed gives the identical trace file. */
static void test_seeds_ci_and_rerun(void **state)
{
    (void)state;
    int rc = shell("%s sweep " SCENARIO " --set fleet.count=4,6 --seeds 5 --duration 1s "
                   "-j 2 -o %s/ci", bin, tmpdir);
    assert_int_equal(rc, 0);
    assert_null(strstr(err_text, "variants done"));   /* no progress when piped */
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/ci/sweep.csv", tmpdir);
    ts_test_slurp(path, file_text, sizeof file_text);
    assert_true(!strncmp(file_text, "variant,fleet.count,fleet.count/value,seeds,seed_list,"
                                    "scored,verdict,binding_gate,margin,why,", 70));
    int mean = column(file_text, "component-deadline:perception/mean");
    int ci = column(file_text, "component-deadline:perception/ci95");
    int pmean = column(file_text, "performance/mean");
    int pci = column(file_text, "performance/ci95");
    assert_true(mean > 0 && ci == mean + 1 && pmean > 0 && pci == pmean + 1);
    /* No per-copy columns: a fleet's copies fold into one gate. */
    assert_int_equal(column(file_text, "component-deadline:perception_r1/mean"), -1);
    const char *row = row_where(file_text, 0, "1");
    assert_non_null(row);
    char f[64];
    field(row, 1, f, sizeof f);
    assert_string_equal(f, "6");
    field(row, 3, f, sizeof f);
    assert_string_equal(f, "5");
    field(row, 5, f, sizeof f);
    assert_string_equal(f, "5");
    field(row, 6, f, sizeof f);
    assert_string_equal(f, "PASS");
    field(row, ci, f, sizeof f);
    char *end;
    double half = strtod(f, &end);
    assert_true(*end == '\0' && half >= 0 && half < 0.05);
    field(row, mean, f, sizeof f);
    double m = strtod(f, &end);
    assert_true(*end == '\0' && m >= 0.99 && m <= 1);
    snprintf(path, sizeof path, "%s/ci/sweep.h5", tmpdir);
    assert_int_equal(access(path, R_OK), 0);

    /* Variant 1, replication 3, alone. */
    snprintf(path, sizeof path, "%s/ci/runs.csv", tmpdir);
    ts_test_slurp(path, file_text, sizeof file_text);
    const char *r = strstr(file_text, "\n1,3,");
    assert_non_null(r);
    char trace[PATH_MAX + 64], sweep_trace[PATH_MAX + 64];
    snprintf(trace, sizeof trace, "%s/alone.h5", tmpdir);
    assert_int_equal(rerun(r + 1, trace), 0);
    snprintf(sweep_trace, sizeof sweep_trace, "%s/ci/variant-0001/seed-03.h5", tmpdir);
    /* Byte for byte: the README promises nothing differs. */
    assert_int_equal(shell("cmp %s %s", trace, sweep_trace), 0);
    /* The same values give the same seeds in another sweep (the seed
     * follows the values, not the variant's index). */
    assert_int_equal(shell("%s sweep " SCENARIO " --set fleet.count=6 --seeds 5 --duration 1s "
                           "-q -o %s/ci6", bin, tmpdir), 0);
    snprintf(path, sizeof path, "%s/ci6/variant-0000/seed-03.h5", tmpdir);
    assert_int_equal(shell("cmp %s %s", path, sweep_trace), 0);
}

static void test_bad_values(void **state)
{
    (void)state;
    static const struct {
        const char *args, *says;
    } cases[] = {
        {"--set fleet.count=1..5", "--set fleet.count=1..5: a range needs a step"},
        {"--set fleet.count=1..100000:1", "more than the cap of 1000"},
        {"--set fleet.count=1,,3", "--set fleet.count=1,,3: an empty value"},
        {"--set fleet.count=5..1:1", "HI must be greater than LO"},
        {"--set fleet.count=1..5:0", "the step '0' must be a number above 0"},
        {"--set 'link[uplink].bandwidth=1Mbps..5ms:1Mbps'", "different units"},
        {"--set fleet.count=1..200:1 --set 'link[uplink].bandwidth=1..100Mbps:1'",
         "more than the cap of 10000"},
        {"--set fleet.count=2,3 --set fleet.count=4", "already swept"},
        {"--set fleet.count=1..1000:1 --set 'link[uplink].bandwidth=1..10Mbps:1' --seeds 11",
         "110000 runs, more than the cap of 100000"},
        {"--set fleet.count=2 --seeds 0", "--seeds expects"},
        {"--find-max fleet.count", "need --range"},
        {"--find-max 'link[uplink].bandwidth' --range 1.5Mbps..10Mbps", "needs --resolution"},
        {"--find-max fleet.count --range 2..8 --set fleet.count=1", "searched attribute"},
        {"", "expected at least one --set"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = shell("%s sweep " SCENARIO " %s -o %s/bad", bin, cases[i].args, tmpdir);
        if (rc != 2 || !strstr(err_text, cases[i].says))
            fail_msg("sweep %s: exit %d, stderr: %s", cases[i].args, rc, err_text);
    }
    /* An unknown path or a value of the wrong kind: exit 2 naming it,
     * before any run. */
    assert_int_equal(shell("%s sweep " SCENARIO " --set bogus.count=1,2 -o %s/bad2", bin,
                           tmpdir), 2);
    assert_non_null(strstr(err_text, "--set bogus.count=1"));
    assert_int_equal(shell("%s sweep " SCENARIO " --set 'link[nope].bandwidth=1Mbps,2Mbps' "
                           "-o %s/bad2", bin, tmpdir), 2);
    assert_non_null(strstr(err_text, "nope"));
    assert_int_equal(shell("%s sweep " SCENARIO " --set fleet.count=2,x -o %s/bad2", bin,
                           tmpdir), 2);
    assert_non_null(strstr(err_text, "fleet.count=x"));
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/bad2/sweep.csv", tmpdir);
    assert_int_not_equal(access(path, F_OK), 0);
}

/* A variant that does not fit is a result; one that crashes or passes
 * its time limit is recorded and the others go on. */
static void test_no_fit_crash_timeout(void **state)
{
    (void)state;
    char path[PATH_MAX + 64];
    int rc = shell("%s sweep " SCENARIO " --set 'node[edge1].memory=1GiB,64GiB' "
                   "--set fleet.count=6 --duration 500ms -j 2 -o %s/fit", bin, tmpdir);
    assert_int_equal(rc, 1);
    snprintf(path, sizeof path, "%s/fit/sweep.csv", tmpdir);
    ts_test_slurp(path, file_text, sizeof file_text);
    const char *row = row_where(file_text, 0, "0");
    assert_non_null(row);
    assert_non_null(strstr(row, ",1GiB,1073741824,"));
    assert_non_null(strstr(row, ",DOES-NOT-FIT,placement,nan,"));
    assert_non_null(strstr(row, "pinned node edge1 has only"));
    row = row_where(file_text, 0, "1");
    assert_non_null(row);
    assert_non_null(strstr(row, ",PASS,"));

    /* Two CPU seconds a process: the day-long variant is killed by the
     * kernel, the short one and the sweep itself are not. */
    rc = shell("ulimit -t 2; %s sweep " SCENARIO " --set scenario.duration=200ms,100000s "
               "-j 2 -o %s/crash", bin, tmpdir);
    assert_int_equal(rc, 2);
    snprintf(path, sizeof path, "%s/crash/sweep.csv", tmpdir);
    ts_test_slurp(path, file_text, sizeof file_text);
    assert_non_null(strstr(file_text, "\n0,200ms,0.20000000000000001,1,"));
    if (!strstr(row_where(file_text, 0, "0"), ",PASS,"))
        fail_msg("%s\n%s", file_text, out_text);
    assert_non_null(strstr(row_where(file_text, 0, "1"), ",CRASH,"));
    assert_non_null(strstr(row_where(file_text, 0, "1"), "signal"));

    rc = shell("%s sweep " SCENARIO " --set scenario.duration=200ms,100000s --timeout 8 "
               "-j 2 -o %s/slow", bin, tmpdir);
    assert_int_equal(rc, 2);
    snprintf(path, sizeof path, "%s/slow/sweep.csv", tmpdir);
    ts_test_slurp(path, file_text, sizeof file_text);
    assert_non_null(strstr(row_where(file_text, 0, "0"), ",PASS,"));
    assert_non_null(strstr(row_where(file_text, 0, "1"), ",TIMEOUT,"));
    snprintf(path, sizeof path, "%s/slow/runs.csv", tmpdir);
    ts_test_slurp(path, file_text, sizeof file_text);
    assert_non_null(strstr(file_text, ",TIMEOUT,"));
}

/* --find-min: the least uplink bandwidth, a real range with a unit. */
static void test_find_min_ends(void **state)
{
    (void)state;
    /* The top of the range already fails at 12 robots: none passes. */
    int rc = shell("%s sweep " SCENARIO " --find-max fleet.count --range 12..14 "
                   "--duration 500ms -o %s/none", bin, tmpdir);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out_text, "no value passes: fleet.count=12 already fails"));
    /* Both ends pass: said, not bisected. */
    rc = shell("%s sweep " SCENARIO " --find-min 'link[uplink].bandwidth' "
               "--range 200Mbps..1000Mbps --resolution 100Mbps --duration 500ms "
               "-o %s/min", bin, tmpdir);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out_text, "link[uplink].bandwidth=200Mbps passes, the bottom of "
                                     "the range"));
}

/* toposim report on a sweep's folder: a plot per gate and parameter and,
 * for two parameters, the pass/fail map. */
static void test_report_of_a_sweep(void **state)
{
    (void)state;
    int rc = shell("%s sweep " SCENARIO " --set fleet.count=7,9 "
                   "--set 'link[uplink].bandwidth=100Mbps,1Gbps' --seeds 2 --duration 500ms "
                   "-j 2 -q -o %s/rep", bin, tmpdir);
    assert_int_equal(rc, 1);
    assert_int_equal(shell("%s report %s/rep", bin, tmpdir), 0);
    assert_non_null(strstr(out_text, "and a pass/fail map"));
    static const char *const files[] = {"index.html", "passmap.png", "passmap.svg",
                                        "p0-g0.png", "p0-g0.csv", "p0-g0.gp", "p1-g0.svg",
                                        "report.gp"};
    char path[PATH_MAX + 64];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/rep/report/%s", tmpdir, files[i]);
        if (access(path, R_OK) != 0)
            fail_msg("no %s", path);
    }
    /* The threshold line and the failing variants are in the script. */
    snprintf(path, sizeof path, "%s/rep/report/p0-g0.gp", tmpdir);
    ts_test_slurp(path, file_text, sizeof file_text);
    assert_non_null(strstr(file_text, "title 'threshold'"));
    assert_non_null(strstr(file_text, "fails on a replication"));
    assert_non_null(strstr(file_text, "set xlabel 'fleet.count'"));
    snprintf(path, sizeof path, "%s/rep/report/p1-g0.gp", tmpdir);
    ts_test_slurp(path, file_text, sizeof file_text);
    assert_non_null(strstr(file_text, "set xlabel 'link[uplink].bandwidth (bit/s)'"));
    /* A folder that is no sweep's. */
    assert_int_equal(shell("%s report %s", bin, tmpdir), 2);
    assert_non_null(strstr(err_text, "sweep.csv"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_max_edge_rack),
        cmocka_unit_test(test_seeds_ci_and_rerun),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_no_fit_crash_timeout),
        cmocka_unit_test(test_find_min_ends),
        cmocka_unit_test(test_report_of_a_sweep),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
