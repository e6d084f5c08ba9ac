/*
 * Failing the Nth allocation across a whole run, for every N: loading a
 * scenario (with a failover pair, a topic with QoS, a fault and a
 * rollout), planning it and simulating it with its trace. Each attempt
 * either succeeds or fails with an error (out of memory, or the bus's
 * first failure), never crashes, leaves no block of the library's live
 * (ASan's leak check covers what HDF5 and libxml2 hold) and leaves no file
 * in the output folder, final or temporary. The sweep ends at the first N
 * that is past the run's last allocation: that run succeeds whole.
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
#include <unistd.h>
#include <cmocka.h>

#include "toposim/alloc.h"
#include "toposim/error.h"
#include "toposim/scenario.h"
#include "toposim/world.h"

static const char scenario[] =
    "<?xml version=\"1.0\"?>\n"
    "<scenario name=\"sweep\" seed=\"3\" duration=\"60ms\">\n"
    "<platform>\n"
    "  <robot id=\"h1\">\n"
    "    <computer id=\"h1_rt\" cores=\"2\" memory=\"4GiB\"/>\n"
    "    <computer id=\"h1_rt2\" cores=\"2\" memory=\"4GiB\"/>\n"
    "  </robot>\n"
    "  <edge id=\"rack\"><server id=\"edge\" cores=\"4\" memory=\"16GiB\"/></edge>\n"
    "  <link id=\"bus\" from=\"h1_rt\" to=\"h1_rt2\" bandwidth=\"1Gbps\" latency=\"50us\"/>\n"
    "  <link id=\"wifi\" from=\"h1_rt\" to=\"edge\" bandwidth=\"100Mbps\" latency=\"2ms\">\n"
    "    <jitter dist=\"exponential\" mean=\"500us\"/>\n"
    "    <loss model=\"bernoulli\" p=\"1%\"/>\n"
    "  </link>\n"
    "</platform>\n"
    "<components>\n"
    "  <component id=\"monitor\" rate=\"500Hz\" exec=\"100us\" node=\"h1_rt\" heartbeat=\"2ms\"\n"
    "             misses=\"3\"/>\n"
    "  <component id=\"monitor_b\" rate=\"500Hz\" exec=\"100us\" node=\"h1_rt2\"\n"
    "             backup-of=\"monitor\" standby=\"hot\"/>\n"
    "  <component id=\"planner\" rate=\"50Hz\" exec=\"2ms\" node=\"edge\"/>\n"
    "</components>\n"
    "<topics>\n"
    "  <topic id=\"status\" publisher=\"monitor\" subscribers=\"planner\" size=\"200B\"\n"
    "         budget=\"10ms\"/>\n"
    "</topics>\n"
    "<faults>\n"
    "  <component-crash component=\"monitor\" at=\"20ms\" duration=\"10ms\"/>\n"
    "  <link-down link=\"wifi\" at=\"40ms\" duration=\"5ms\"/>\n"
    "</faults>\n"
    "</scenario>\n";

static char dir[] = "/tmp/toposim-sweep-XXXXXX";

static int files_in_dir(void)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* Load, plan and run with allocation n failing (0: none); the result.
 * *made: the allocations requested. */
static int attempt(long n, ts_error *err, long *made)
{
    long before = ts_alloc_requests();
    char trace[sizeof dir + 16];
    snprintf(trace, sizeof trace, "%s/t.h5", dir);
    ts_scenario_options opts = {.models_dir = "models"};
    ts_scenario *s = NULL;
    ts_plan *plan = NULL;
    ts_alloc_fail_after(n);
    int rc = ts_scenario_load_memory(scenario, sizeof scenario - 1, "sweep.xml", &opts, &s, err);
    if (rc == TS_OK)
        rc = ts_plan_new(s, &plan, err);
    if (rc == TS_OK) {
        ts_run_options run = {.trace_path = trace};
        rc = ts_world_run(s, plan, &run, NULL, err);
    }
    ts_alloc_fail_after(0);
    *made = ts_alloc_requests() - before;
    ts_plan_free(plan);
    ts_scenario_free(s);
    if (rc == TS_OK) {
        assert_int_equal(files_in_dir(), 1);
        unlink(trace);
    }
    return rc;
}

static void test_every_allocation_may_fail(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(dir));
    long live = ts_alloc_live();
    ts_error err;
    /* the scenario runs as it is, making `total` allocations */
    long total;
    assert_int_equal(attempt(0, &err, &total), TS_OK);
    long failed = 0, ignored = 0;
    for (long n = 1; n <= total; n++) {
        long made;
        int rc = attempt(n, &err, &made);
        if (ts_alloc_live() != live)
            fail_msg("n=%ld: %ld blocks left live (%s)", n, ts_alloc_live() - live,
                     rc == TS_OK ? "run succeeded" : err.msg);
        if (files_in_dir() != 0)
            fail_msg("n=%ld: a file was left in the output folder (%s)", n,
                     rc == TS_OK ? "run succeeded" : err.msg);
        if (rc == TS_OK) {
            /* the failed allocation was survived: only where the code
             * says it may be (none today) */
            if (made >= n) {
                print_error("n=%ld of %ld: the run succeeded past a failed allocation\n", n,
                            total);
                ignored++;
            }
            continue;
        }
        if (rc != TS_ENOMEM && !strstr(err.msg, "memory"))
            fail_msg("n=%ld: failed with %d \"%s\", not for want of memory", n, rc, err.msg);
        failed++;
    }
    print_message("whole run: %ld allocations, each failed in turn: %ld clean errors, "
                  "%ld survived\n", total, failed, ignored);
    assert_int_equal(ignored, 0);
    assert_true(failed > 100);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_allocation_may_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
