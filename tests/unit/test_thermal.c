/* Tests for src/platform/thermal.c: the single RC step response against
 * Ta + P R (1 - exp(-t / RC)), the two-node closed form against an
 * independent numerical integration (GSL's rk8pd at tight tolerance), the
 * crossing times against the analytic inverse and against that
 * integration, and the fan's effect on the steady state. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>
#include <gsl/gsl_roots.h>

#include "toposim/dynamics.h"

static ts_thermal_desc single_rc(void)
{
    ts_thermal_desc d = {0};
    d.r_die_case = 0.5;
    d.r_case_ambient = 1.5; /* R = 2 K/W */
    d.c_die = 10;           /* RC = 20 s */
    d.c_case = 0;
    return d;
}

static ts_thermal_desc two_node(void)
{
    ts_thermal_desc d = {0};
    d.r_die_case = 0.5;
    d.r_case_ambient = 2.0;
    d.r_case_ambient_fan = 0.8;
    d.c_die = 5;
    d.c_case = 150;
    d.fan_on_c = 60;
    d.fan_off_c = 50;
    return d;
}

/* ---- single RC ---- */

static void test_single_rc_step(void **state)
{
    (void)state;
    ts_thermal_desc d = single_rc();
    const double ta = 25, p = 10, r = 2, rc = 20;
    const double times[] = {0.1, 1, 5, 20, 60, 200};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        double t = times[i];
        double want = ta + p * r * (1 - exp(-t / rc));
        /* One exact step... */
        ts_thermal_state s = {ta, ta};
        ts_thermal_advance(&d, 0, &s, p, ta, t);
        assert_true(fabs(s.die_c - want) < 1e-9);
        /* the case sits between the resistances: same heat through both */
        assert_true(fabs(s.case_c - (ta + (want - ta) * 1.5 / 2.0)) < 1e-9);
        /* ...or a thousand: exact integration composes. */
        ts_thermal_state s2 = {ta, ta};
        for (int k = 0; k < 1000; k++)
            ts_thermal_advance(&d, 0, &s2, p, ta, t / 1000);
        assert_true(fabs(s2.die_c - want) < 1e-9);
    }
}

static void test_single_rc_time_to(void **state)
{
    (void)state;
    ts_thermal_desc d = single_rc();
    const double ta = 25, p = 10, r = 2, rc = 20;
    gsl_root_fsolver *solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    const double targets[] = {25.5, 30, 40, 44, 44.999};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        double target = targets[i];
        double want = -rc * log(1 - (target - ta) / (p * r));
        ts_thermal_state s = {ta, ta};
        double got = ts_thermal_time_to(&d, 0, &s, p, ta, target, INFINITY,
                                        solver);
        assert_true(fabs(got - want) < 1e-6);
        got = ts_thermal_time_to(&d, 0, &s, p, ta, target, 1e6, NULL);
        assert_true(fabs(got - want) < 1e-6);
    }
    /* cooling from 45 with no power down to 30: t = RC ln(20 / 5) */
    ts_thermal_state hot = {45, 25 + 20 * 0.75};
    double got = ts_thermal_time_to(&d, 0, &hot, 0, ta, 30, INFINITY, solver);
    assert_true(fabs(got - rc * log(4.0)) < 1e-6);
    /* beyond the steady state, or past the horizon: never */
    ts_thermal_state s = {ta, ta};
    assert_true(ts_thermal_time_to(&d, 0, &s, p, ta, 45, INFINITY, solver) < 0);
    assert_true(ts_thermal_time_to(&d, 0, &s, p, ta, 50, INFINITY, solver) < 0);
    assert_true(ts_thermal_time_to(&d, 0, &s, p, ta, 20, INFINITY, solver) < 0);
    assert_true(ts_thermal_time_to(&d, 0, &s, p, ta, 40, 10, solver) < 0);
    /* already there */
    assert_true(ts_thermal_time_to(&d, 0, &s, p, ta, 25, 10, solver) == 0);
    gsl_root_fsolver_free(solver);
}

/* ---- two nodes against a numerical integration ---- */

typedef struct ode_params {
    const ts_thermal_desc *d;
    int fan;
    double p, ta;
} ode_params;

static int rc_rhs(double t, const double y[], double dydt[], void *params)
{
    (void)t;
    const ode_params *o = params;
    double r2 = o->fan ? o->d->r_case_ambient_fan : o->d->r_case_ambient;
    double q_dc = (y[0] - y[1]) / o->d->r_die_case;
    double q_ca = (y[1] - o->ta) / r2;
    dydt[0] = (o->p - q_dc) / o->d->c_die;
    dydt[1] = (q_dc - q_ca) / o->d->c_case;
    return GSL_SUCCESS;
}

/* The die and case temperatures at time t by rk8pd from s0. */
static void ode_solve(const ode_params *o, ts_thermal_state s0, double t,
                      ts_thermal_state *out)
{
    gsl_odeiv2_system sys = {rc_rhs, NULL, 2, (void *)o};
    gsl_odeiv2_driver *drv = gsl_odeiv2_driver_alloc_y_new(
        &sys, gsl_odeiv2_step_rk8pd, 1e-3, 1e-12, 1e-12);
    assert_non_null(drv);
    double y[2] = {s0.die_c, s0.case_c};
    double t0 = 0;
    if (t > 0)
        assert_int_equal(gsl_odeiv2_driver_apply(drv, &t0, t, y), GSL_SUCCESS);
    gsl_odeiv2_driver_free(drv);
    out->die_c = y[0];
    out->case_c = y[1];
}

static void check_against_ode(const ts_thermal_desc *d, int fan,
                              ts_thermal_state s0, double p, double ta)
{
    ode_params o = {d, fan, p, ta};
    const double times[] = {0.01, 0.5, 2, 10, 60, 300, 1000, 5000};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        ts_thermal_state want, got = s0;
        ode_solve(&o, s0, times[i], &want);
        ts_thermal_advance(d, fan, &got, p, ta, times[i]);
        assert_true(fabs(got.die_c - want.die_c) < 1e-6);
        assert_true(fabs(got.case_c - want.case_c) < 1e-6);
    }
}

static void test_two_node_matches_ode(void **state)
{
    (void)state;
    ts_thermal_desc d = two_node();
    /* a power step from ambient, fan off and on */
    check_against_ode(&d, 0, (ts_thermal_state){25, 25}, 15, 25);
    check_against_ode(&d, 1, (ts_thermal_state){25, 25}, 15, 25);
    /* far from equilibrium: a hot die over a cold case, and the reverse */
    check_against_ode(&d, 0, (ts_thermal_state){80, 25}, 20, 25);
    check_against_ode(&d, 0, (ts_thermal_state){40, 60}, 0, 25);
    /* very different time constants */
    ts_thermal_desc stiff = d;
    stiff.c_die = 0.05;
    stiff.c_case = 2000;
    check_against_ode(&stiff, 0, (ts_thermal_state){30, 35}, 12, 40);
}

/* At the reported crossing the ODE's die temperature is the target, and a
 * fine scan of the ODE before it never reaches the target. */
static void check_crossing(const ts_thermal_desc *d, ts_thermal_state s0,
                           double p, double ta, double target,
                           gsl_root_fsolver *solver)
{
    ode_params o = {d, 0, p, ta};
    double t = ts_thermal_time_to(d, 0, &s0, p, ta, target, INFINITY, solver);
    assert_true(t > 0);
    ts_thermal_state at;
    ode_solve(&o, s0, t, &at);
    /* slope <= ~20 K/s here: 1e-6 K is well under a microsecond */
    assert_true(fabs(at.die_c - target) < 1e-6);
    int side = s0.die_c > target ? 1 : -1;
    gsl_odeiv2_system sys = {rc_rhs, NULL, 2, &o};
    gsl_odeiv2_driver *drv = gsl_odeiv2_driver_alloc_y_new(
        &sys, gsl_odeiv2_step_rk8pd, 1e-4, 1e-12, 1e-12);
    double y[2] = {s0.die_c, s0.case_c}, tc = 0;
    for (int k = 1; k < 2000; k++) {
        double tk = t * k / 2000.0 * (1 - 1e-6);
        assert_int_equal(gsl_odeiv2_driver_apply(drv, &tc, tk, y), GSL_SUCCESS);
        assert_true((y[0] - target) * side > 0);
    }
    gsl_odeiv2_driver_free(drv);
}

static void test_two_node_time_to(void **state)
{
    (void)state;
    ts_thermal_desc d = two_node();
    gsl_root_fsolver *solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    /* monotonic heating from ambient: steady die 25 + 15 x 2.5 = 62.5 */
    check_crossing(&d, (ts_thermal_state){25, 25}, 15, 25, 40, solver);
    check_crossing(&d, (ts_thermal_state){25, 25}, 15, 25, 62, solver);
    /* a hot die over a cold case under load: it first falls fast toward
     * the case, then rises to 75; 60 is crossed on the way down */
    ts_thermal_state hot = {80, 25};
    check_crossing(&d, hot, 20, 25, 60, solver);
    check_crossing(&d, hot, 20, 25, 40, solver);
    /* a die below a hot case, no power: it rises first, then cools. 45 is
     * crossed rising; 30 only after the peak */
    ts_thermal_state cold = {40, 60};
    check_crossing(&d, cold, 0, 25, 45, solver);
    check_crossing(&d, cold, 0, 25, 30, solver);
    /* the peak stays below 60: never */
    assert_true(ts_thermal_time_to(&d, 0, &cold, 0, 25, 60, INFINITY,
                                   solver) < 0);
    /* with or without a reusable solver, the same answer */
    double a = ts_thermal_time_to(&d, 0, &cold, 0, 25, 30, INFINITY, solver);
    double b = ts_thermal_time_to(&d, 0, &cold, 0, 25, 30, INFINITY, NULL);
    assert_true(fabs(a - b) < 1e-9);
    /* a horizon before the crossing */
    assert_true(ts_thermal_time_to(&d, 0, &cold, 0, 25, 30, a * 0.5, solver) < 0);
    gsl_root_fsolver_free(solver);
}

static void test_fan_steady_state(void **state)
{
    (void)state;
    ts_thermal_desc d = two_node();
    const double p = 20, ta = 30;
    ts_thermal_state off, on;
    ts_thermal_steady(&d, 0, p, ta, &off);
    ts_thermal_steady(&d, 1, p, ta, &on);
    assert_true(fabs(off.die_c - (ta + p * (0.5 + 2.0))) < 1e-12);
    assert_true(fabs(off.case_c - (ta + p * 2.0)) < 1e-12);
    assert_true(fabs(on.die_c - (ta + p * (0.5 + 0.8))) < 1e-12);
    assert_true(fabs(on.case_c - (ta + p * 0.8)) < 1e-12);
    /* a long run converges to them */
    ts_thermal_state s = {ta, ta};
    ts_thermal_advance(&d, 1, &s, p, ta, 1e5);
    assert_true(fabs(s.die_c - on.die_c) < 1e-9);
    ts_thermal_advance(&d, 0, &s, p, ta, 1e5);
    assert_true(fabs(s.die_c - off.die_c) < 1e-9);
    /* without a fan resistance, fan_on changes nothing */
    ts_thermal_desc nofan = d;
    nofan.r_case_ambient_fan = 0;
    ts_thermal_steady(&nofan, 1, p, ta, &on);
    assert_true(fabs(on.die_c - off.die_c) < 1e-12);
    /* single RC: die through both resistances */
    ts_thermal_desc one = single_rc();
    one.r_case_ambient_fan = 0.5;
    ts_thermal_steady(&one, 1, p, ta, &on);
    assert_true(fabs(on.die_c - (ta + p * 1.0)) < 1e-12);
    s = (ts_thermal_state){ta, ta};
    ts_thermal_advance(&one, 1, &s, p, ta, 1e4);
    assert_true(fabs(s.die_c - on.die_c) < 1e-9);
}

static void test_check(void **state)
{
    (void)state;
    ts_error err;
    ts_thermal_desc d = two_node();
    d.throttle_c = 85;
    d.release_c = 80;
    d.throttle_scale = 0.6;
    d.shutdown_c = 105;
    assert_int_equal(ts_thermal_check(&d, &err), TS_OK);
    ts_thermal_desc b = d;
    b.c_die = 0;
    assert_int_equal(ts_thermal_check(&b, &err), TS_EINVAL);
    b = d;
    b.r_die_case = 0; /* two nodes need a die-case resistance */
    assert_int_equal(ts_thermal_check(&b, &err), TS_EINVAL);
    b.c_case = 0;     /* a single RC does not */
    assert_int_equal(ts_thermal_check(&b, &err), TS_OK);
    b = d;
    b.release_c = 90;
    assert_int_equal(ts_thermal_check(&b, &err), TS_EINVAL);
    b = d;
    b.throttle_scale = 1.5;
    assert_int_equal(ts_thermal_check(&b, &err), TS_EINVAL);
    b = d;
    b.fan_off_c = 70;
    assert_int_equal(ts_thermal_check(&b, &err), TS_EINVAL);
    b = d;
    b.c_case = NAN;
    assert_int_equal(ts_thermal_check(&b, &err), TS_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_rc_step),
        cmocka_unit_test(test_single_rc_time_to),
        cmocka_unit_test(test_two_node_matches_ode),
        cmocka_unit_test(test_two_node_time_to),
        cmocka_unit_test(test_fan_steady_state),
        cmocka_unit_test(test_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
