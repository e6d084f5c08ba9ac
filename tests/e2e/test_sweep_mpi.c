/*
 * A sweep, a bisection and a batch spread over two MPI ranks write the
 * same summaries, byte for byte, as the same commands run locally: rank 0
 * hands out the runs, every rank follows the results, and only rank 0
 * writes. Runs only in a build with MPI (`make MPI=1 test`); elsewhere
 * each test is reported skipped.
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

static char bin[PATH_MAX], scenario[PATH_MAX];
static char tmpdir[] = "/tmp/toposim-sweep-mpi-XXXXXX";
static char out_text[1 << 16];
static char err_text[1 << 16];
static char a_text[1 << 18], b_text[1 << 18];

#define shell TS_TEST_SHELL
#define SCENARIO "tests/e2e/sweep-edge-rack.xml"
#define MPIRUN "mpirun -np 2 --oversubscribe "

static int setup(void **state)
{
    (void)state;
    const char *b = getenv("TOPOSIM_BIN");
    /* Open MPI refuses to start as root unless told twice. */
    if (geteuid() == 0) {
        setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
        setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    }
    return realpath(b ? b : "build/toposim", bin) && realpath(SCENARIO, scenario) &&
                   mkdtemp(tmpdir)
               ? 0
               : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void need_mpi(void)
{
#ifndef TOPOSIM_MPI
    print_message("built without MPI: `make MPI=1 test` runs this test\n");
    skip();
#else
    if (system("command -v mpirun >/dev/null 2>&1") != 0) {
        print_message("mpirun is not on PATH\n");
        skip();
    }
#endif
}

/* Files a and b under tmpdir hold the same bytes. */
static void assert_same_file(const char *a, const char *b)
{
    char pa[PATH_MAX + 64], pb[PATH_MAX + 64];
    snprintf(pa, sizeof pa, "%s/%s", tmpdir, a);
    snprintf(pb, sizeof pb, "%s/%s", tmpdir, b);
    int rc = shell("cmp %s %s", pa, pb);
    if (rc != 0)
        print_error("%s and %s differ: %s\n", pa, pb, out_text);
    assert_int_equal(rc, 0);
}

/* The rank that ran a replication and its wall time differ between the
 * two runs: runs.csv is compared without its wall_s column. */
static void assert_same_runs(const char *a, const char *b)
{
    char pa[PATH_MAX + 64], pb[PATH_MAX + 64];
    snprintf(pa, sizeof pa, "%s/%s", tmpdir, a);
    snprintf(pb, sizeof pb, "%s/%s", tmpdir, b);
    int rc = shell("head -1 %s | cut -d, -f5 | grep -qx wall_s && "
                   "cut -d, -f5 --complement %s >%s.a && cut -d, -f5 --complement %s >%s.b && "
                   "cmp %s.a %s.b",
                   pa, pa, pa, pb, pa, pa, pa);
    if (rc != 0)
        print_error("%s and %s differ beyond wall_s: %s\n", pa, pb, out_text);
    assert_int_equal(rc, 0);
}

/* A grid of 4 variants x 2 seeds: the same -o folder and options in both
 * runs (sweep.h5 records the command line), moved aside in between. */
static void test_grid_summary_equals_local(void **state)
{
    (void)state;
    need_mpi();
    char args[PATH_MAX + 128];
    snprintf(args, sizeof args, "%s --set fleet.count=6..12:2 --seeds 2 --duration 1s -q -j 2",
             scenario);
    int rc = shell("cd %s && %s sweep %s -o grid; echo exit=$?; mv grid local",
                   tmpdir, bin, args);
    assert_int_equal(rc, 0);
    char want[32];
    snprintf(want, sizeof want, "%s", strstr(out_text, "exit=") ? strstr(out_text, "exit=") : "");
    assert_true(want[0]);
    rc = shell("cd %s && " MPIRUN "%s sweep %s -o grid; echo exit=$?; mv grid ranks",
               tmpdir, bin, args);
    assert_int_equal(rc, 0);
    /* mpirun passes on a rank's exit code: a failing gate is 1 in both. */
    assert_non_null(strstr(out_text, want));
    assert_same_file("local/sweep.csv", "ranks/sweep.csv");
    assert_same_file("local/gates.csv", "ranks/gates.csv");
    assert_same_file("local/sweep.h5", "ranks/sweep.h5");
    assert_same_runs("local/runs.csv", "ranks/runs.csv");
    /* And every trace: each run wrote the same bytes wherever it ran. */
    rc = shell("cd %s && for f in local/variant-*/seed-*.h5; do "
               "cmp \"$f\" \"ranks/${f#local/}\" || exit 1; done",
               tmpdir);
    assert_int_equal(rc, 0);
}

/* A bisection decides each step from the last one's results: every rank
 * must follow rank 0, and the limit found is the local one. */
static void test_find_max_equals_local(void **state)
{
    (void)state;
    need_mpi();
    char args[PATH_MAX + 128];
    snprintf(args, sizeof args, "%s --find-max fleet.count --range 2..16 --duration 1s -j 2",
             scenario);
    int rc = shell("cd %s && %s sweep %s -o find >find-local.txt; mv find find-local",
                   tmpdir, bin, args);
    assert_int_equal(rc, 0);
    rc = shell("cd %s && " MPIRUN "%s sweep %s -o find >find-ranks.txt; mv find find-ranks",
               tmpdir, bin, args);
    assert_int_equal(rc, 0);
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/find-local.txt", tmpdir);
    ts_test_slurp(path, a_text, sizeof a_text);
    snprintf(path, sizeof path, "%s/find-ranks.txt", tmpdir);
    ts_test_slurp(path, b_text, sizeof b_text);
    const char *la = strstr(a_text, "largest passing fleet.count=");
    const char *lb = strstr(b_text, "largest passing fleet.count=");
    assert_non_null(la);
    assert_non_null(lb);
    assert_int_equal(atoi(la + 28), atoi(lb + 28));
    assert_same_file("find-local/sweep.csv", "find-ranks/sweep.csv");
    assert_same_file("find-local/gates.csv", "find-ranks/gates.csv");
}

static void test_batch_summary_equals_local(void **state)
{
    (void)state;
    need_mpi();
    const char *args = "--duration 500ms -q scenarios/humanoid-basic.xml "
                       "scenarios/wifi-loss-burst.xml scenarios/edge-failover.xml";
    int rc = shell("%s batch -o %s/batch-local %s", bin, tmpdir, args);
    assert_true(rc == 0 || rc == 1);
    int rc2 = shell(MPIRUN "%s batch -o %s/batch-ranks %s", bin, tmpdir, args);
    assert_int_equal(rc2, rc);
    assert_same_file("batch-local/summary.csv", "batch-ranks/summary.csv");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid_summary_equals_local),
        cmocka_unit_test(test_find_max_equals_local),
        cmocka_unit_test(test_batch_summary_equals_local),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
