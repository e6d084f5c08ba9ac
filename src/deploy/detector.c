/*
 * Failure detectors fed with heartbeat arrival times: a fixed timeout and
 * the phi-accrual detector. Both answer with the exact instant at which
 * they will suspect, so their users arm one timer per heartbeat.
 *
 * Phi accrual: N. Hayashibara, X. Defago, R. Yared, T. Katayama, "The phi
 * accrual failure detector", Proc. 23rd IEEE Symposium on Reliable
 * Distributed Systems (SRDS 2004), pp. 66-78, doi:10.1109/RELDIS.2004.1353004.
 * With T_last the last arrival and the inter-arrival times modelled as
 * normal N(mu, sigma^2) over a sliding window,
 *
 *     phi(t) = -log10(P_later(t - T_last)),   P_later(d) = 1 - F(d)
 *                                                        = Q((d - mu) / sigma)
 *
 * where Q(z) = erfc(z / sqrt 2) / 2 is the normal upper tail. Computing
 * the tail with erfc keeps its relative precision where 1 - F would cancel
 * to 0 (phi = 8 needs Q = 1e-8). As in Akka's implementation
 * (akka-remote/src/main/scala/akka/remote/PhiAccrualFailureDetector.scala)
 * the standard deviation has a floor (min_std_ns: a perfectly regular
 * history would otherwise suspect one ns after the mean) and an acceptable
 * pause is added to the mean; unlike Akka we use the exact normal tail,
 * not its logistic approximation, as the paper does. Before any interval
 * has been seen, the estimate is mean = period, sigma = max(period / 4,
 * min_std), Akka's first-heartbeat estimate.
 *
 * Crossing time: phi(T_last + d) >= th  <=>  Q(z) <= 10^-th  <=>
 * z >= z_th = Q^-1(10^-th), so d* = mu + pause + z_th * sigma. z_th is
 * found by Newton's method on ln Q(z) + th ln 10 (ts_fd_phi_to_z); the
 * first integer ns where the phi computed here reaches th is then pinned
 * down by a few bisection steps around T_last + ceil(d*), so "suspected"
 * (t >= suspect_at) and phi(t) >= th agree to the nanosecond.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "toposim/alloc.h"
#include "toposim/deploy_failover.h"
#include "toposim/error.h"

#define PHI_MAX_THRESHOLD 300.0 /* Q(z) = 1e-300 is still a normal double */
#define WINDOW_MAX 1000000
#define INV_SQRT_2PI 0.39894228040143267794

static int64_t sat_add(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    return a + b;
}

/* Upper tail of the standard normal, accurate far into the tail. */
static double normal_q(double z)
{
    return 0.5 * erfc(z / sqrt(2.0));
}

double ts_fd_phi_to_z(double phi)
{
    if (!(phi > 0))
        return -INFINITY;
    /* Solve g(z) = ln Q(z) + phi ln 10 = 0. ln Q is concave and
     * decreasing, so Newton steps started right of the root stay right of
     * it and converge monotonically. Q(sqrt(2L)) <= exp(-L) / 2 < p with
     * L = -ln p (the Chernoff bound), and Q(0) = 1/2: either start is
     * right of the root. */
    double lnp = -phi * log(10.0);
    double z = -lnp > log(2.0) ? sqrt(-2.0 * lnp) : 0.0;
    for (int i = 0; i < 200; i++) {
        double q = normal_q(z);
        if (!(q > 0))
            break;
        double pdf = exp(-0.5 * z * z) * INV_SQRT_2PI;
        if (!(pdf > 0))
            break;
        double g = log(q) - lnp;
        double dz = g * q / pdf; /* z - g / g', g' = -pdf / q */
        z += dz;
        if (fabs(dz) <= 1e-15 * (1.0 + fabs(z)))
            break;
    }
    return z;
}

static double timeout_span(const ts_fd *fd)
{
    return (double)fd->d.misses * (double)fd->d.period_ns + (double)fd->d.margin_ns;
}

static double phi_of(const ts_fd *fd, int64_t t)
{
    double d = (double)t - (double)fd->last;
    double z = (d - fd->mean - (double)fd->d.margin_ns) / fd->std;
    double q = normal_q(z);
    if (!(q > 0))
        return INFINITY;
    return -log10(q);
}

static int reached(const ts_fd *fd, int64_t t)
{
    return phi_of(fd, t) >= fd->d.phi_threshold;
}

/* Smallest t >= last with phi(t) >= threshold, INT64_MAX if none. */
static int64_t phi_crossing(const ts_fd *fd)
{
    double off = fd->mean + (double)fd->d.margin_ns + fd->z_th * fd->std;
    if (!(off < 9.0e18))
        return INT64_MAX;
    if (off < 0)
        off = 0;
    int64_t hi = sat_add(fd->last, (int64_t)ceil(off));
    int64_t step = 1;
    while (!reached(fd, hi)) {
        if (hi == INT64_MAX)
            return INT64_MAX;
        hi = sat_add(hi, step);
        if (step < (INT64_C(1) << 60))
            step *= 2;
    }
    if (hi == fd->last)
        return hi;
    int64_t lo = hi - 1;
    step = 1;
    while (lo > fd->last && reached(fd, lo)) {
        hi = lo;
        lo = lo - fd->last > step ? lo - step : fd->last;
        if (step < (INT64_C(1) << 60))
            step *= 2;
    }
    if (reached(fd, lo))
        return lo; /* lo == last */
    /* Invariant: phi(lo) < th <= phi(hi). */
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (reached(fd, mid))
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

/* Sums over the window are kept of (x - shift) with shift near the mean,
 * so the squares stay small; they are recomputed from the ring when a
 * dominant sample leaves (subtracting it would leave only rounding) and
 * once per window's worth of insertions, which bounds drift. */
static void recompute(ts_fd *fd)
{
    fd->since_exact = 0;
    if (fd->n == 0) {
        fd->sum = fd->sumsq = 0;
        return;
    }
    int cap = fd->d.window;
    double s = 0;
    for (int i = 0; i < fd->n; i++)
        s += (double)fd->ring[(fd->head - 1 - i + 2 * cap) % cap];
    fd->shift = (int64_t)llround(s / fd->n);
    fd->sum = fd->sumsq = 0;
    for (int i = 0; i < fd->n; i++) {
        double x = (double)(fd->ring[(fd->head - 1 - i + 2 * cap) % cap] - fd->shift);
        fd->sum += x;
        fd->sumsq += x * x;
    }
}

static void update_estimate(ts_fd *fd)
{
    double p = (double)fd->d.period_ns;
    double floor_std = (double)fd->d.min_std_ns;
    if (fd->d.kind == TS_FD_TIMEOUT) {
        fd->mean = p;
        fd->std = 0;
        double span = timeout_span(fd);
        fd->suspect_at = span >= 9.0e18 ? INT64_MAX
                                        : sat_add(fd->last, (int64_t)fd->d.misses * fd->d.period_ns +
                                                                fd->d.margin_ns);
        return;
    }
    if (fd->n == 0) {
        fd->mean = p;
        fd->std = fmax(p / 4.0, floor_std);
    } else {
        double m = fd->sum / fd->n;
        double var = fd->sumsq / fd->n - m * m; /* population variance, as Akka */
        fd->mean = (double)fd->shift + m;
        fd->std = fmax(var > 0 ? sqrt(var) : 0.0, floor_std);
    }
    fd->suspect_at = phi_crossing(fd);
}

int ts_fd_init(ts_fd *fd, const ts_fd_desc *desc, int64_t now, ts_error *err)
{
    memset(fd, 0, sizeof *fd);
    if (!desc)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "detector: no description");
    ts_fd_desc d = *desc;
    if (d.kind != TS_FD_TIMEOUT && d.kind != TS_FD_PHI)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "detector: unknown kind %d", (int)d.kind);
    if (d.period_ns <= 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "detector: period must be > 0");
    if (d.misses == 0)
        d.misses = 3;
    if (d.misses < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "detector: misses must be >= 1");
    if (d.margin_ns < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "detector: margin must be >= 0");
    if (d.phi_threshold == 0)
        d.phi_threshold = 8.0;
    if (!(d.phi_threshold > 0 && d.phi_threshold <= PHI_MAX_THRESHOLD))
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "detector: phi threshold %g not in (0, %g]", d.phi_threshold,
                            PHI_MAX_THRESHOLD);
    if (d.window == 0)
        d.window = 1000;
    if (d.window < 1 || d.window > WINDOW_MAX)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "detector: window %d not in [1, %d]",
                            d.window, WINDOW_MAX);
    if (d.min_std_ns == 0)
        d.min_std_ns = d.period_ns / 10 > 0 ? d.period_ns / 10 : 1;
    if (d.min_std_ns < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "detector: min std dev must be >= 0");
    fd->d = d;
    if (d.kind == TS_FD_PHI) {
        fd->z_th = ts_fd_phi_to_z(d.phi_threshold);
        fd->ring = ts_malloc((size_t)d.window * sizeof *fd->ring);
        if (!fd->ring)
            return ts_error_set(err, TS_ENOMEM, NULL, 0, "detector: out of memory");
    }
    ts_fd_reset(fd, now);
    return TS_OK;
}

void ts_fd_fini(ts_fd *fd)
{
    if (!fd)
        return;
    ts_free(fd->ring);
    fd->ring = NULL;
    fd->n = 0;
}

void ts_fd_reset(ts_fd *fd, int64_t now)
{
    fd->last = now;
    fd->primed = 0;
    fd->n = fd->head = 0;
    fd->shift = 0;
    fd->sum = fd->sumsq = 0;
    fd->since_exact = 0;
    update_estimate(fd);
}

static void add_interval(ts_fd *fd, int64_t x)
{
    int cap = fd->d.window;
    if (fd->n == 0) {
        fd->shift = x;
        fd->sum = fd->sumsq = 0;
    }
    int dominant = 0;
    if (fd->n == cap) {
        double old = (double)(fd->ring[fd->head] - fd->shift);
        fd->sum -= old;
        fd->sumsq -= old * old;
        dominant = old * old > fd->sumsq;
    } else {
        fd->n++;
    }
    fd->ring[fd->head] = x;
    fd->head = (fd->head + 1) % cap;
    double v = (double)(x - fd->shift);
    fd->sum += v;
    fd->sumsq += v * v;
    if (dominant || ++fd->since_exact >= cap)
        recompute(fd);
}

void ts_fd_heartbeat(ts_fd *fd, int64_t t)
{
    if (t < fd->last)
        return;
    fd->heartbeats++;
    /* The first heartbeat after a reset only sets the origin: the time
     * from a start or an outage to it is not an inter-arrival time. */
    if (fd->d.kind == TS_FD_PHI && fd->primed)
        add_interval(fd, t - fd->last);
    fd->primed = 1;
    fd->last = t;
    update_estimate(fd);
}

int64_t ts_fd_suspect_at(const ts_fd *fd)
{
    return fd->suspect_at;
}

ts_fd_state ts_fd_state_at(const ts_fd *fd, int64_t t)
{
    return t >= fd->suspect_at ? TS_FD_SUSPECTED : TS_FD_TRUSTED;
}

double ts_fd_phi(const ts_fd *fd, int64_t t)
{
    if (fd->d.kind == TS_FD_TIMEOUT)
        return ((double)t - (double)fd->last) / timeout_span(fd);
    return phi_of(fd, t);
}

int64_t ts_fd_last(const ts_fd *fd)
{
    return fd->last;
}

double ts_fd_mean_ns(const ts_fd *fd)
{
    return fd->mean;
}

double ts_fd_std_ns(const ts_fd *fd)
{
    return fd->std;
}
