/*
 * The RC thermal model of a node, as pure math: die -> case -> ambient,
 * integrated in closed form for constant power and ambient, and the time
 * at which the die reaches a temperature.
 *
 * Two nodes (c_case > 0). With g1 = 1/R_dc, g2 = 1/R_ca (R_ca_fan with the
 * fan on), Td the die and Tc the case temperature:
 *
 *   C_die  dTd/dt = P - g1 (Td - Tc)
 *   C_case dTc/dt = g1 (Td - Tc) - g2 (Tc - Ta)
 *
 * The equilibrium is Tc* = Ta + P R_ca, Td* = Tc* + P R_dc. The deviation
 * y = (Td - Td*, Tc - Tc*) obeys y' = A y with
 *
 *   A = [ -g1/C_die        g1/C_die       ]
 *       [  g1/C_case   -(g1+g2)/C_case    ]
 *
 * trace(A) < 0, det(A) = g1 g2 / (C_die C_case) > 0, and the discriminant
 * (A11 - A22)^2 + 4 A12 A21 is > 0 since A12 A21 > 0: two real, distinct,
 * negative eigenvalues l1 < l2 < 0. For distinct eigenvalues Sylvester's
 * formula gives the matrix exponential without eigenvectors:
 *
 *   exp(A t) = e^{l1 t} (A - l2 I)/(l1 - l2) + e^{l2 t} (A - l1 I)/(l2 - l1)
 *
 * so each temperature is T(t) = T* + a e^{l1 t} + b e^{l2 t} with a + b
 * the initial deviation. It is evaluated as T(0) + a expm1(l1 t) +
 * b expm1(l2 t), exact at t = 0 and without cancellation for small t. l1 is
 * computed as (trace - sqrt(disc)) / 2 (no cancellation: both terms are
 * negative) and l2 as det / l1 rather than (trace + sqrt(disc)) / 2, which
 * would lose digits when the time constants are far apart.
 *
 * The die response's derivative a l1 e^{l1 t} + b l2 e^{l2 t} vanishes at
 * most once, at t* = ln(-b l2 / (a l1)) / (l1 - l2), so [0, t*] and
 * [t*, horizon] are monotonic pieces: a crossing is bracketed by a sign
 * change on one of them and refined with GSL's Brent solver
 * (gsl_root_fsolver_brent; GSL reference manual, "One Dimensional Root-
 * Finding").
 *
 * One node (c_case == 0): C_die dTd/dt = P - (Td - Ta)/R with R = R_dc +
 * R_ca, so Td(t) = Td* + (Td(0) - Td*) e^{-t/(R C_die)} and the crossing
 * time has the closed form t = ln((T - Td*)/(Td(0) - Td*)) * (-R C_die).
 * The case temperature reported is the point between the resistances,
 * Ta + (Td - Ta) R_ca / R, as the same heat flows through both.
 */
#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

#include "toposim/dynamics.h"

/* Time resolution of a crossing, seconds (the engine counts nanoseconds). */
#define CROSS_EPS_ABS 1e-10
#define CROSS_EPS_REL 1e-15
#define CROSS_MAX_ITER 200

/* The response from a given state: T(t) = T(0) + a expm1(l1 t) +
 * b expm1(l2 t) for the die (ad, bd) and the case (ac, bc). */
typedef struct response {
    double ss_d, ss_c;
    double d0, c0;
    double l1, l2;
    double ad, bd, ac, bc;
    int two;            /* 0: single RC, the case follows the die */
    double ambient_c, case_share; /* single RC: R_ca / R */
} response;

static double r_case_ambient(const ts_thermal_desc *d, int fan_on)
{
    return (fan_on && d->r_case_ambient_fan > 0) ? d->r_case_ambient_fan
                                                 : d->r_case_ambient;
}

static void response_init(const ts_thermal_desc *d, int fan_on,
                          const ts_thermal_state *s, double p, double ta,
                          response *r)
{
    double r1 = d->r_die_case, r2 = r_case_ambient(d, fan_on);
    r->ss_c = ta + p * r2;
    r->ss_d = r->ss_c + p * r1;
    r->d0 = s->die_c;
    r->c0 = s->case_c;
    r->ambient_c = ta;
    if (!(d->c_case > 0)) {
        double rt = r1 + r2;
        r->two = 0;
        r->l1 = r->l2 = -1.0 / (rt * d->c_die);
        r->ad = r->d0 - r->ss_d;
        r->bd = r->ac = r->bc = 0;
        r->case_share = r2 / rt;
        return;
    }
    double g1 = 1.0 / r1, g2 = 1.0 / r2;
    double a11 = -g1 / d->c_die, a12 = g1 / d->c_die;
    double a21 = g1 / d->c_case, a22 = -(g1 + g2) / d->c_case;
    double tr = a11 + a22;
    double det = g1 * g2 / (d->c_die * d->c_case);
    double diff = a11 - a22;
    double sq = sqrt(diff * diff + 4.0 * a12 * a21);
    double l1 = 0.5 * (tr - sq);
    double l2 = det / l1;
    double yd = r->d0 - r->ss_d, yc = r->c0 - r->ss_c;
    r->two = 1;
    r->case_share = 0;
    r->l1 = l1;
    r->l2 = l2;
    r->ad = ((a11 - l2) * yd + a12 * yc) / (l1 - l2);
    r->bd = ((a11 - l1) * yd + a12 * yc) / (l2 - l1);
    r->ac = (a21 * yd + (a22 - l2) * yc) / (l1 - l2);
    r->bc = (a21 * yd + (a22 - l1) * yc) / (l2 - l1);
}

static double die_at(const response *r, double t)
{
    return r->d0 + r->ad * expm1(r->l1 * t) + r->bd * expm1(r->l2 * t);
}

int ts_thermal_check(const ts_thermal_desc *d, ts_error *err)
{
    if (!d)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "no thermal description");
    const double v[] = {d->r_die_case, d->r_case_ambient, d->r_case_ambient_fan,
                        d->c_die, d->c_case, d->throttle_c, d->release_c,
                        d->throttle_scale, d->fan_on_c, d->fan_off_c,
                        d->shutdown_c};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (!isfinite(v[i]))
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "thermal: a value is not a finite number");
    if (!(d->c_die > 0) || d->c_case < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "thermal: c-die must be > 0 and c-case >= 0 J/K");
    if (!(d->r_case_ambient > 0) || d->r_case_ambient_fan < 0 ||
        d->r_die_case < 0 || (d->c_case > 0 && !(d->r_die_case > 0)))
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "thermal: resistances must be > 0 K/W "
                            "(r-case-ambient-fan may be 0: no fan)");
    if (d->throttle_c != 0 &&
        (!(d->release_c < d->throttle_c) || !(d->throttle_scale > 0) ||
         d->throttle_scale > 1))
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "thermal: release must be below throttle and the "
                            "throttle scale in (0, 1]");
    if (d->r_case_ambient_fan > 0 && !(d->fan_off_c < d->fan_on_c))
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "thermal: fan-off must be below fan-on");
    return TS_OK;
}

void ts_thermal_steady(const ts_thermal_desc *d, int fan_on, double power_w,
                       double ambient_c, ts_thermal_state *out)
{
    double r2 = r_case_ambient(d, fan_on);
    out->case_c = ambient_c + power_w * r2;
    out->die_c = out->case_c + power_w * d->r_die_case;
}

void ts_thermal_advance(const ts_thermal_desc *d, int fan_on,
                        ts_thermal_state *s, double power_w, double ambient_c,
                        double dt_s)
{
    if (!(dt_s > 0))
        return;
    response r;
    response_init(d, fan_on, s, power_w, ambient_c, &r);
    double e1 = expm1(r.l1 * dt_s), e2 = expm1(r.l2 * dt_s);
    s->die_c = r.d0 + r.ad * e1 + r.bd * e2;
    if (r.two)
        s->case_c = r.c0 + r.ac * e1 + r.bc * e2;
    else
        s->case_c = ambient_c + (s->die_c - ambient_c) * r.case_share;
}

double ts_thermal_max_rate(const ts_thermal_desc *d, int fan_on,
                           const ts_thermal_state *s, double power_w,
                           double ambient_c)
{
    /* |a l1 e^{l1 t} + b l2 e^{l2 t}| <= |a l1| + |b l2| for t >= 0 */
    response r;
    response_init(d, fan_on, s, power_w, ambient_c, &r);
    return fabs(r.ad * r.l1) + fabs(r.bd * r.l2);
}

/* ---- crossing time ---- */

typedef struct cross_fn {
    const response *r;
    double target;
} cross_fn;

static double cross_eval(double t, void *params)
{
    const cross_fn *c = params;
    return die_at(c->r, t) - c->target;
}

static int sign_of(double v) { return (v > 0) - (v < 0); }

/* Root of the monotonic f on [a, b] where sign(f(a)) = -sign(f(b)) != 0;
 * returns the upper end of the final bracket (at or after the root). */
static double refine(gsl_root_fsolver *solver, cross_fn *c, double a, double b)
{
    gsl_function f = {cross_eval, c};
    int sa = sign_of(cross_eval(a, c));
    if (solver && gsl_root_fsolver_set(solver, &f, a, b) == GSL_SUCCESS) {
        for (int i = 0; i < CROSS_MAX_ITER; i++) {
            if (gsl_root_fsolver_iterate(solver) != GSL_SUCCESS)
                break;
            double lo = gsl_root_fsolver_x_lower(solver);
            double hi = gsl_root_fsolver_x_upper(solver);
            if (gsl_root_test_interval(lo, hi, CROSS_EPS_ABS, CROSS_EPS_REL) ==
                GSL_SUCCESS)
                return hi;
        }
        a = gsl_root_fsolver_x_lower(solver);
        b = gsl_root_fsolver_x_upper(solver);
        sa = sign_of(cross_eval(a, c));
    }
    /* Bisection: without a solver, or if Brent did not converge. */
    for (int i = 0; i < 400 && b - a > CROSS_EPS_ABS + CROSS_EPS_REL * a; i++) {
        double m = a + 0.5 * (b - a);
        if (m <= a || m >= b)
            break;
        int sm = sign_of(cross_eval(m, c));
        if (sm == 0)
            return m;
        if (sm == sa)
            a = m;
        else
            b = m;
    }
    return b;
}

/* First crossing on the monotonic piece [a, b] (b may be INFINITY), or -1. */
static double piece(gsl_root_fsolver *solver, cross_fn *c, double a, double b)
{
    double fa = cross_eval(a, c);
    if (fa == 0)
        return a;
    double fb = isinf(b) ? c->r->ss_d - c->target : cross_eval(b, c);
    if (!isfinite(fa) || !isfinite(fb))
        return -1;
    if (fb == 0)
        return isinf(b) ? -1 : b; /* an asymptote is never reached */
    if (sign_of(fa) == sign_of(fb))
        return -1;
    if (isinf(b)) {
        /* The target lies strictly between f(a) and the limit: some finite
         * point is past it. Step by the slowest time constant, doubling. */
        double step = -1.0 / c->r->l2;
        double hi = a + step;
        while (sign_of(cross_eval(hi, c)) == sign_of(fa)) {
            step *= 2;
            hi = a + step;
            if (!isfinite(hi) || step > 1e12)
                return -1;
        }
        b = hi;
    }
    return refine(solver, c, a, b);
}

double ts_thermal_time_to(const ts_thermal_desc *d, int fan_on,
                          const ts_thermal_state *s, double power_w,
                          double ambient_c, double target_c, double horizon_s,
                          gsl_root_fsolver *solver)
{
    if (s->die_c == target_c)
        return 0;
    if (!(horizon_s > 0))
        return -1;
    response r;
    response_init(d, fan_on, s, power_w, ambient_c, &r);
    if (!r.two || r.bd == 0 || r.ad == 0) {
        /* One exponential: invert it. */
        double a = r.two && r.ad == 0 ? r.bd : r.ad;
        double l = r.two && r.ad == 0 ? r.l2 : r.l1;
        if (a == 0)
            return -1;
        double q = (target_c - r.d0) / a; /* = expm1(l t), in (-1, 0] */
        if (!(q > -1) || q > 0)
            return -1;
        double t = log1p(q) / l;
        return t <= horizon_s ? t : -1;
    }
    cross_fn c = {&r, target_c};
    gsl_root_fsolver *own = NULL;
    if (!solver)
        solver = own = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    double t = -1;
    double ratio = -(r.bd * r.l2) / (r.ad * r.l1);
    double tstar = ratio > 0 ? log(ratio) / (r.l1 - r.l2) : -1;
    if (tstar > 0 && tstar < horizon_s) {
        t = piece(solver, &c, 0, tstar);
        if (t < 0)
            t = piece(solver, &c, tstar, horizon_s);
    } else {
        t = piece(solver, &c, 0, horizon_s);
    }
    if (own)
        gsl_root_fsolver_free(own);
    return t;
}
