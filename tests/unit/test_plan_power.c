/* Tests for the plan's view of a Jetson in a power mode (src/sim/plan.c):
 * nvpmodel takes cores offline, so the placement may use and reserve only
 * the mode's online cores; a node in MAXN keeps them all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "toposim/scenario.h"
#include "toposim/world.h"

/* An AGX Orin (12 cores; its 15W mode keeps 4 online) with `n` pinned
 * components of 950m each, and one safety-critical one reserving a core
 * when `reserve` is set. */
static int plan_orin(const char *mode, int n, int reserve, ts_error *err,
                     ts_place_usage *usage)
{
    char text[4096];
    int at = snprintf(text, sizeof text,
                      "<scenario name=\"orin-mode\" seed=\"1\" duration=\"1s\"><platform>"
                      "<robot id=\"h1\"><jetson id=\"j\" model=\"jetson-agx-orin-64gb\""
                      " mode=\"%s\"/></robot></platform><components>",
                      mode);
    for (int i = 0; i < n; i++)
        at += snprintf(text + at, sizeof text - (size_t)at,
                       "<component id=\"c%d\" rate=\"100Hz\" exec=\"1ms\" cpu=\"950m\""
                       " memory=\"64MiB\" node=\"j\"/>",
                       i);
    if (reserve)
        at += snprintf(text + at, sizeof text - (size_t)at,
                       "<component id=\"ctl\" rate=\"500Hz\" exec=\"1ms\" cpu=\"1\""
                       " memory=\"64MiB\" node=\"j\" flags=\"safety-critical\"/>");
    snprintf(text + at, sizeof text - (size_t)at, "</components></scenario>");
    ts_scenario_options opts = {.models_dir = "models"};
    ts_scenario *s = NULL;
    int rc = ts_scenario_load_memory(text, strlen(text), "orin.xml", &opts, &s, err);
    assert_int_equal(rc, TS_OK);
    ts_plan *plan = NULL;
    rc = ts_plan_new(s, &plan, err);
    if (rc == TS_OK && usage) {
        assert_int_equal(ts_plan_usage(s, plan, usage, err), TS_OK);
        if (reserve)
            assert_int_not_equal(plan->placement[n].core_mask, 0);
    }
    ts_plan_free(plan);
    ts_scenario_free(s);
    return rc;
}

static void test_mode_caps_cpu_capacity(void **state)
{
    (void)state;
    ts_error err;
    ts_place_usage usage[1];
    /* 4 x 950m fits the 4 online cores of 15W; the fifth does not. */
    assert_int_equal(plan_orin("15W", 4, 0, &err, usage), TS_OK);
    assert_int_equal(usage[0].cpu_capacity_millicores, 4000);
    assert_int_equal(plan_orin("15W", 5, 0, &err, NULL), TS_EINFEASIBLE);
    assert_non_null(strstr(err.msg, "pinned node j has only 200m cpu free"));
    /* MAXN keeps all 12 cores: ten of them fit. */
    assert_int_equal(plan_orin("MAXN", 10, 0, &err, usage), TS_OK);
    assert_int_equal(usage[0].cpu_capacity_millicores, 12000);
}

static void test_mode_limits_reservable_cores(void **state)
{
    (void)state;
    ts_error err;
    ts_place_usage usage[1];
    /* A reserved core must be one of the online ones (0-3 in 15W). */
    assert_int_equal(plan_orin("15W", 3, 1, &err, usage), TS_OK);
    assert_int_equal(usage[0].reserved_cores & ~UINT64_C(0xf), 0);
    assert_int_not_equal(usage[0].reserved_cores, 0);
    /* Three cores of components and a reserved fourth fill 15W. */
    assert_int_equal(plan_orin("15W", 4, 1, &err, NULL), TS_EINFEASIBLE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mode_caps_cpu_capacity),
        cmocka_unit_test(test_mode_limits_reservable_cores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
