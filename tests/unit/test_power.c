/* Tests for src/platform/power.c: the power formula on hand-computed
 * cases, the clock exponent, nvpmodel-style mode caps and the checks. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "toposim/dynamics.h"

static const ts_power_mode modes[] = {
    {"MAXN", 0, 0, 0, 40, 0, 0},
    {"15W", 4, 1.5e9, 0.6e9, 15, 0, 0},
    {"10W", 2, 1.2e9, 0, 10, 0, 0},
};

static ts_power_desc orin(void)
{
    ts_power_desc d = {0};
    d.idle_w = 5;
    d.core_dyn_w = 1.2;
    d.gpu_dyn_w = 10;
    d.cpu_ref_hz = 2e9;
    d.gpu_ref_hz = 1e9;
    d.dyn_exponent = 3;
    d.modes = modes;
    d.n_modes = 3;
    d.initial_mode = 0;
    return d;
}

static void test_formula(void **state)
{
    (void)state;
    ts_power_desc d = orin();
    /* idle only */
    assert_true(fabs(ts_power_watts(&d, 0, 0, 1, 1) - 5) < 1e-12);
    /* 4 cores + 1 GPU at reference clocks: 5 + 4.8 + 10 */
    assert_true(fabs(ts_power_watts(&d, 4, 1, 1, 1) - 19.8) < 1e-12);
    /* CPU at half clock: 4 x 1.2 x 1/8 = 0.6 */
    assert_true(fabs(ts_power_watts(&d, 4, 1, 0.5, 1) - 15.6) < 1e-12);
    /* GPU at 0.6: 10 x 0.216 = 2.16; 2.5 busy cores at 0.75: 2.5 x 1.2 x
     * 0.421875 = 1.265625 */
    assert_true(fabs(ts_power_watts(&d, 2.5, 1, 0.75, 0.6) -
                     (5 + 1.265625 + 2.16)) < 1e-12);
    /* exponent 2: 4 x 1.2 x 0.25 = 1.2 */
    d.dyn_exponent = 2;
    assert_true(fabs(ts_power_watts(&d, 4, 0, 0.5, 1) - 6.2) < 1e-12);
    /* exponent 1.5 on the GPU: 2 GPUs x 10 x 0.25^1.5 = 2.5 */
    d.dyn_exponent = 1.5;
    assert_true(fabs(ts_power_watts(&d, 0, 2, 1, 0.25) - 7.5) < 1e-12);
    /* exponent 0 means the default 3 */
    d.dyn_exponent = 0;
    assert_true(fabs(ts_power_watts(&d, 4, 1, 0.5, 1) - 15.6) < 1e-12);
}

static void test_mode_caps(void **state)
{
    (void)state;
    ts_power_desc d = orin();
    ts_power_caps c;
    ts_power_mode_caps(&d, 0, 8, &c); /* MAXN: no caps */
    assert_int_equal(c.online_cores, 8);
    assert_true(c.cpu_scale == 1 && c.gpu_scale == 1);
    assert_true(c.budget_w == 40);
    ts_power_mode_caps(&d, 1, 8, &c); /* 15W */
    assert_int_equal(c.online_cores, 4);
    assert_true(fabs(c.cpu_scale - 0.75) < 1e-15);
    assert_true(fabs(c.gpu_scale - 0.6) < 1e-15);
    assert_true(c.budget_w == 15);
    ts_power_mode_caps(&d, 2, 8, &c); /* 10W: GPU uncapped */
    assert_int_equal(c.online_cores, 2);
    assert_true(fabs(c.cpu_scale - 0.6) < 1e-15);
    assert_true(c.gpu_scale == 1);
    /* a mode allowing more cores than the node has: the node's count */
    ts_power_mode_caps(&d, 1, 3, &c);
    assert_int_equal(c.online_cores, 3);
    /* out of range, or no modes: nothing capped */
    ts_power_mode_caps(&d, 7, 8, &c);
    assert_int_equal(c.online_cores, 8);
    assert_true(c.cpu_scale == 1 && c.budget_w == 0);
    ts_power_mode_caps(&d, -1, 8, &c);
    assert_int_equal(c.online_cores, 8);
    d.n_modes = 0;
    ts_power_mode_caps(&d, 1, 8, &c);
    assert_int_equal(c.online_cores, 8);
    assert_true(c.cpu_scale == 1);
    /* the capped power of 15W with 6 busy cores asked and 4 online, GPU
     * busy: 5 + 4 x 1.2 x 0.421875 + 10 x 0.216 */
    d = orin();
    ts_power_mode_caps(&d, 1, 8, &c);
    double busy = 6 > c.online_cores ? c.online_cores : 6;
    assert_true(fabs(ts_power_watts(&d, busy, 1, c.cpu_scale, c.gpu_scale) -
                     (5 + 2.025 + 2.16)) < 1e-12);
}

static void test_check(void **state)
{
    (void)state;
    ts_error err;
    ts_power_desc d = orin();
    assert_int_equal(ts_power_check(&d, 8, &err), TS_OK);
    /* a mode with more online cores than the node */
    assert_int_equal(ts_power_check(&d, 3, &err), TS_EINVAL);
    d = orin();
    d.idle_w = -1;
    assert_int_equal(ts_power_check(&d, 8, &err), TS_EINVAL);
    d = orin();
    d.cpu_ref_hz = 0; /* a mode caps the CPU clock: a reference is needed */
    assert_int_equal(ts_power_check(&d, 8, &err), TS_EINVAL);
    d = orin();
    d.initial_mode = 3;
    assert_int_equal(ts_power_check(&d, 8, &err), TS_EINVAL);
    d = orin();
    d.n_modes = 0;
    d.cpu_ref_hz = 0;
    assert_int_equal(ts_power_check(&d, 8, &err), TS_OK);
    /* over-current: a release above its limit, a release without one, a
     * clock cut outside (0, 1] */
    ts_power_mode oc[] = {{"oc", 0, 0, 0, 0, 10, 12}};
    d = orin();
    d.modes = oc;
    d.n_modes = 1;
    d.initial_mode = 0;
    assert_int_equal(ts_power_check(&d, 8, &err), TS_EINVAL);
    oc[0].oc_limit_w = 0;
    oc[0].oc_release_w = 5;
    assert_int_equal(ts_power_check(&d, 8, &err), TS_EINVAL);
    oc[0].oc_limit_w = 10;
    oc[0].oc_release_w = 0;
    assert_int_equal(ts_power_check(&d, 8, &err), TS_OK);
    d.oc_scale = 1.5;
    assert_int_equal(ts_power_check(&d, 8, &err), TS_EINVAL);
    /* the caps: the release defaults to the limit, the cut to 50% */
    d.oc_scale = 0;
    ts_power_caps caps;
    ts_power_mode_caps(&d, 0, 8, &caps);
    assert_true(caps.oc_limit_w == 10 && caps.oc_release_w == 10);
    assert_true(caps.oc_scale == TS_POWER_OC_SCALE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formula),
        cmocka_unit_test(test_mode_caps),
        cmocka_unit_test(test_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
