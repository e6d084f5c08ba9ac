/*
 * The power manager (src/deploy/power_manager.c) on the fake runtime: the
 * node's readings are set by hand before each decision, and the test
 * checks which mode it asks for, when, and the reason it records.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_runtime.h"
#include "toposim/deploy_power.h"

#define S 1000000000LL

/* As the Orin NX's nvpmodel order: MAXN (no label) first. */
static const ts_pm_mode modes[] = {{"MAXN", 0}, {"10W", 10}, {"15W", 15}, {"25W", 25}};

static ts_pm *manager(fake_runtime *f, double headroom_c, double raise)
{
    ts_pm_desc d = {.node = 0, .modes = modes, .n_modes = 4, .period_ns = 1 * S,
                    .end_ns = 100 * S, .headroom_c = headroom_c, .raise_util = raise};
    ts_error err;
    ts_pm *pm = ts_pm_new(&f->rt, &d, &err);
    assert_non_null(pm);
    assert_int_equal(ts_pm_start(pm), 0);
    return pm;
}

/* No battery, a die at 90 C under a 99 C throttle point: outside a 5 C
 * band nothing happens; at 95 C it moves 15W -> 10W at the next decision,
 * and from the lowest mode it has nowhere to go. */
static void test_thermal_headroom_lowers_one_step(void **state)
{
    (void)state;
    fake_runtime *f = fake_runtime_new();
    f->power[0] = (ts_rt_power){.mode = 2, .battery_wh = -1, .die_c = 90, .throttle_c = 99,
                                .online_cores = 4};
    ts_pm *pm = manager(f, 5.0, 0);
    fake_runtime_run(f, 3 * S);
    assert_int_equal(f->mode_requests, 0);
    f->power[0].die_c = 94.0;
    fake_runtime_run(f, 4 * S);
    assert_int_equal(f->mode_requests, 1);
    assert_int_equal(f->power[0].mode, 1);
    const fake_record *r = fake_runtime_find(f, "power_mode_change", 0);
    assert_non_null(r);
    assert_int_equal(r->time, 4 * S);
    assert_true(r->value == 10.0);
    assert_non_null(strstr(r->detail, "15W -> 10W: thermal: die 94.00 C within 5.0 C"));
    fake_runtime_run(f, 10 * S);
    assert_int_equal(f->mode_requests, 1);
    ts_pm_free(pm);
    fake_runtime_free(f);
}

/* Busy cores raise the mode one label at a time, 15W -> 25W -> MAXN (no
 * label ranks above all), and no further; idle ones do not. */
static void test_busy_cores_raise_the_mode(void **state)
{
    (void)state;
    fake_runtime *f = fake_runtime_new();
    f->power[0] = (ts_rt_power){.mode = 2, .battery_wh = -1, .die_c = NAN, .throttle_c = NAN,
                                .online_cores = 4};
    ts_pm *pm = manager(f, 5.0, 0.9);
    /* 1 s with 4 cores online, 3.5 core-seconds busy: 87.5%, below 90%. */
    f->power[0].online_core_ns = 4 * S;
    f->power[0].core_busy_ns = 35 * S / 10;
    fake_runtime_run(f, 1 * S);
    assert_int_equal(f->mode_requests, 0);
    /* The next second all busy: 100%. */
    f->power[0].online_core_ns = 8 * S;
    f->power[0].core_busy_ns = 35 * S / 10 + 4 * S;
    fake_runtime_run(f, 2 * S);
    assert_int_equal(f->power[0].mode, 3);
    f->power[0].online_core_ns = 12 * S;
    f->power[0].core_busy_ns = 35 * S / 10 + 8 * S;
    fake_runtime_run(f, 3 * S);
    assert_int_equal(f->power[0].mode, 0);
    f->power[0].online_core_ns = 16 * S;
    f->power[0].core_busy_ns = 35 * S / 10 + 12 * S;
    fake_runtime_run(f, 4 * S);
    assert_int_equal(f->mode_requests, 2);
    assert_int_equal(fake_runtime_count(f, "power_mode_change"), 2);
    assert_non_null(strstr(fake_runtime_find(f, "power_mode_change", 1)->detail,
                           "25W -> MAXN: workload: 100%"));
    ts_pm_free(pm);
    fake_runtime_free(f);
}

/* A battery robot does not move up to an unlabelled mode (its draw cannot
 * be projected), and moves down as soon as the battery would not last:
 * 1.1 Wh at 10 W for 1 s leave 1.0972 Wh, which lasts the 99 s to go;
 * then 40 W for 1 s leave 1.0861 Wh, and the 98 s to go need 1.0889 Wh. */
static void test_battery_rules(void **state)
{
    (void)state;
    fake_runtime *f = fake_runtime_new();
    f->power[0] = (ts_rt_power){.mode = 3, .battery_wh = 1.1, .die_c = NAN,
                                .throttle_c = NAN, .online_cores = 4};
    ts_pm *pm = manager(f, 5.0, 0.9);
    f->power[0].online_core_ns = 4 * S;
    f->power[0].core_busy_ns = 4 * S;
    f->power[0].battery_wh = 1.1 - 10.0 / 3600;
    f->power[0].energy_j = 10;
    fake_runtime_run(f, 1 * S);
    assert_int_equal(f->mode_requests, 0);           /* MAXN is not projected */
    f->power[0].battery_wh = 1.1 - 50.0 / 3600;
    f->power[0].energy_j = 50;
    fake_runtime_run(f, 2 * S);
    assert_int_equal(f->mode_requests, 1);
    assert_int_equal(f->power[0].mode, 2);
    const fake_record *r = fake_runtime_find(f, "power_mode_change", 0);
    assert_int_equal(r->time, 2 * S);
    assert_true(r->value == 15.0);
    assert_non_null(strstr(r->detail, "25W -> 15W: battery: 1.086 Wh left lasts 97.8 s at "
                                      "40.000 W, 98.0 s to go"));
    ts_pm_free(pm);
    fake_runtime_free(f);
}

static void test_bad_descriptions_are_refused(void **state)
{
    (void)state;
    fake_runtime *f = fake_runtime_new();
    ts_error err;
    ts_pm_desc d = {.node = 0, .modes = modes, .n_modes = 1, .period_ns = S};
    assert_null(ts_pm_new(&f->rt, &d, &err));
    assert_int_equal(err.code, TS_EINVAL);
    d.n_modes = 4;
    d.period_ns = 0;
    assert_null(ts_pm_new(&f->rt, &d, &err));
    d.period_ns = S;
    d.raise_util = 1.5;
    assert_null(ts_pm_new(&f->rt, &d, &err));
    fake_runtime_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thermal_headroom_lowers_one_step),
        cmocka_unit_test(test_busy_cores_raise_the_mode),
        cmocka_unit_test(test_battery_rules),
        cmocka_unit_test(test_bad_descriptions_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
