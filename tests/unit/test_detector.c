/* Failure detectors: exact suspicion instants of the fixed timeout and the
 * phi-accrual detector, checked against hand-computed crossings and GSL's
 * inverse normal tail. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <gsl/gsl_cdf.h>

#include "toposim/deploy_failover.h"

#define MS 1000000LL

/* CMocka 1.1.5 compares floats only. */
#define assert_double_equal(a, b, eps) near((a), (b), (eps), __LINE__)
static void near(double a, double b, double eps, int line)
{
    if (!(fabs(a - b) <= eps)) {
        print_error("line %d: %.17g != %.17g (eps %g)\n", line, a, b, eps);
        fail();
    }
}

/* Q^-1(1e-8): the standard normal quantile at 1 - 1e-8 (tables give
 * 5.612001244174965). */
#define Z8 5.612001244174965

static void timeout_exact(void **state)
{
    (void)state;
    ts_fd fd;
    ts_fd_desc d = {.kind = TS_FD_TIMEOUT, .period_ns = 10 * MS, .misses = 3};
    assert_int_equal(ts_fd_init(&fd, &d, 0, NULL), TS_OK);
    /* Before any heartbeat: N periods from the start. */
    assert_int_equal(ts_fd_suspect_at(&fd), 30 * MS);
    ts_fd_heartbeat(&fd, 7 * MS);
    assert_int_equal(ts_fd_suspect_at(&fd), 37 * MS);
    assert_int_equal(ts_fd_state_at(&fd, 37 * MS - 1), TS_FD_TRUSTED);
    assert_int_equal(ts_fd_state_at(&fd, 37 * MS), TS_FD_SUSPECTED);
    assert_double_equal(ts_fd_phi(&fd, 22 * MS), 0.5, 1e-12);
    /* An earlier arrival (clock went back) is ignored. */
    ts_fd_heartbeat(&fd, 5 * MS);
    assert_int_equal(ts_fd_last(&fd), 7 * MS);
    ts_fd_fini(&fd);

    d.misses = 0; /* default 3 */
    d.margin_ns = 2 * MS;
    assert_int_equal(ts_fd_init(&fd, &d, 100 * MS, NULL), TS_OK);
    ts_fd_heartbeat(&fd, 110 * MS);
    assert_int_equal(ts_fd_suspect_at(&fd), 142 * MS);
    ts_fd_reset(&fd, 200 * MS);
    assert_int_equal(ts_fd_suspect_at(&fd), 232 * MS);
    ts_fd_fini(&fd);
}

static void phi_to_z_matches_gsl(void **state)
{
    (void)state;
    assert_double_equal(ts_fd_phi_to_z(8.0), Z8, 1e-12);
    const double th[] = {0.05, 0.3, 0.30103, 1, 2, 3, 5, 8, 12, 16, 50, 100, 250, 300};
    for (size_t i = 0; i < sizeof th / sizeof th[0]; i++) {
        double want = gsl_cdf_ugaussian_Qinv(pow(10.0, -th[i]));
        double got = ts_fd_phi_to_z(th[i]);
        assert_true(fabs(got - want) <= 1e-9 * (1 + fabs(want)));
    }
}

static void feed_regular(ts_fd *fd, int64_t from, int64_t step, int count)
{
    for (int i = 0; i <= count; i++)
        ts_fd_heartbeat(fd, from + i * step);
}

/* Ten intervals of exactly 10 ms: sigma 0, floored to 2 ms; threshold 8 is
 * crossed at mean + z8 * sigma = 10 ms + 11.224002488 ms after the last. */
static void phi_regular_history(void **state)
{
    (void)state;
    ts_fd fd;
    ts_fd_desc d = {.kind = TS_FD_PHI, .period_ns = 10 * MS, .phi_threshold = 8,
                    .min_std_ns = 2 * MS};
    assert_int_equal(ts_fd_init(&fd, &d, 0, NULL), TS_OK);
    feed_regular(&fd, 3 * MS, 10 * MS, 10); /* first only primes */
    assert_int_equal(fd.n, 10);
    assert_double_equal(ts_fd_mean_ns(&fd), 10.0 * MS, 1e-6);
    assert_double_equal(ts_fd_std_ns(&fd), 2.0 * MS, 1e-6);
    int64_t last = 103 * MS;
    int64_t want = last + (int64_t)ceil(10.0 * MS + Z8 * 2.0 * MS); /* 21224002.49 -> ...003 */
    assert_int_equal(want, last + 21224003);
    assert_int_equal(ts_fd_suspect_at(&fd), want);
    assert_int_equal(ts_fd_state_at(&fd, want - 1), TS_FD_TRUSTED);
    assert_int_equal(ts_fd_state_at(&fd, want), TS_FD_SUSPECTED);
    assert_true(ts_fd_phi(&fd, want) >= 8.0);
    assert_true(ts_fd_phi(&fd, want - 1) < 8.0);
    /* At the mean, phi = -log10(1/2). */
    assert_double_equal(ts_fd_phi(&fd, last + 10 * MS), log10(2.0), 1e-12);
    ts_fd_fini(&fd);
}

/* Intervals alternating 8 and 12 ms: mean 10 ms, population sigma 2 ms
 * above the 1 ms floor, hence the same crossing as above. */
static void phi_jittered_history(void **state)
{
    (void)state;
    ts_fd fd;
    ts_fd_desc d = {.kind = TS_FD_PHI, .period_ns = 10 * MS, .min_std_ns = 1 * MS};
    assert_int_equal(ts_fd_init(&fd, &d, 0, NULL), TS_OK);
    int64_t t = 0;
    ts_fd_heartbeat(&fd, t);
    for (int i = 0; i < 20; i++) {
        t += (i % 2) ? 12 * MS : 8 * MS;
        ts_fd_heartbeat(&fd, t);
    }
    assert_double_equal(ts_fd_mean_ns(&fd), 10.0 * MS, 1e-3);
    assert_double_equal(ts_fd_std_ns(&fd), 2.0 * MS, 1e-3);
    assert_int_equal(ts_fd_suspect_at(&fd), t + 21224003);
    ts_fd_fini(&fd);

    /* An acceptable pause shifts the crossing by exactly itself. */
    d.margin_ns = 5 * MS;
    assert_int_equal(ts_fd_init(&fd, &d, 0, NULL), TS_OK);
    t = 0;
    ts_fd_heartbeat(&fd, t);
    for (int i = 0; i < 20; i++) {
        t += (i % 2) ? 12 * MS : 8 * MS;
        ts_fd_heartbeat(&fd, t);
    }
    assert_int_equal(ts_fd_suspect_at(&fd), t + 5 * MS + 21224003);
    ts_fd_fini(&fd);
}

/* No interval yet: Akka's first estimate, mean = period, sigma = period/4. */
static void phi_bootstrap(void **state)
{
    (void)state;
    ts_fd fd;
    ts_fd_desc d = {.kind = TS_FD_PHI, .period_ns = 100 * MS, .phi_threshold = 3};
    assert_int_equal(ts_fd_init(&fd, &d, 50 * MS, NULL), TS_OK);
    double off = 100.0 * MS + gsl_cdf_ugaussian_Qinv(1e-3) * 25.0 * MS;
    assert_int_equal(ts_fd_suspect_at(&fd), 50 * MS + (int64_t)ceil(off));
    /* The first heartbeat moves the origin and adds no sample. */
    ts_fd_heartbeat(&fd, 80 * MS);
    assert_int_equal(fd.n, 0);
    assert_int_equal(ts_fd_suspect_at(&fd), 80 * MS + (int64_t)ceil(off));
    ts_fd_fini(&fd);
}

static void phi_monotonic(void **state)
{
    (void)state;
    ts_fd fd;
    ts_fd_desc d = {.kind = TS_FD_PHI, .period_ns = 10 * MS};
    int64_t prev_at = INT64_MIN;
    const double th[] = {0.5, 1, 2, 4, 8, 16, 32, 64};
    for (size_t k = 0; k < sizeof th / sizeof th[0]; k++) {
        d.phi_threshold = th[k];
        assert_int_equal(ts_fd_init(&fd, &d, 0, NULL), TS_OK);
        int64_t t = 0;
        ts_fd_heartbeat(&fd, t);
        for (int i = 0; i < 50; i++) {
            t += 9 * MS + (i * 7919 % 13) * 150000; /* 9..10.8 ms */
            ts_fd_heartbeat(&fd, t);
        }
        int64_t at = ts_fd_suspect_at(&fd);
        assert_true(at > prev_at); /* a higher threshold suspects later */
        prev_at = at;
        double prev_phi = -1;
        for (int64_t s = t; s <= t + 200 * MS; s += 250000) {
            double p = ts_fd_phi(&fd, s);
            assert_true(p >= prev_phi);
            assert_int_equal(ts_fd_state_at(&fd, s) == TS_FD_SUSPECTED, p >= th[k]);
            prev_phi = p;
        }
        ts_fd_fini(&fd);
    }
}

/* The window forgets: an outlier leaves after `window` more samples, and
 * the sums are exact again (sigma back to the floor). */
static void phi_window_slides(void **state)
{
    (void)state;
    ts_fd fd;
    ts_fd_desc d = {.kind = TS_FD_PHI, .period_ns = 10 * MS, .window = 4, .min_std_ns = 1000};
    assert_int_equal(ts_fd_init(&fd, &d, 0, NULL), TS_OK);
    int64_t t = 0;
    ts_fd_heartbeat(&fd, t);
    t += 5000 * MS; /* a 5 s gap */
    ts_fd_heartbeat(&fd, t);
    assert_true(ts_fd_std_ns(&fd) == 1000.0);
    t += 10 * MS;
    ts_fd_heartbeat(&fd, t);
    assert_double_equal(ts_fd_mean_ns(&fd), 2505.0 * MS, 1.0);
    assert_double_equal(ts_fd_std_ns(&fd), 2495.0 * MS, 1.0);
    for (int i = 0; i < 4; i++) {
        t += 10 * MS;
        ts_fd_heartbeat(&fd, t);
    }
    assert_int_equal(fd.n, 4);
    assert_true(ts_fd_mean_ns(&fd) == 10.0 * MS);
    assert_true(ts_fd_std_ns(&fd) == 1000.0);
    assert_int_equal(ts_fd_suspect_at(&fd), t + (int64_t)ceil(10.0 * MS + Z8 * 1000.0));
    /* reset forgets everything */
    ts_fd_reset(&fd, t + 1);
    assert_int_equal(fd.n, 0);
    assert_double_equal(ts_fd_std_ns(&fd), 2.5 * MS, 1e-6);
    ts_fd_fini(&fd);
}

static void bad_descriptions(void **state)
{
    (void)state;
    ts_fd fd;
    ts_error err;
    ts_fd_desc d = {.kind = TS_FD_TIMEOUT, .period_ns = 0};
    assert_int_equal(ts_fd_init(&fd, &d, 0, &err), TS_EINVAL);
    d.period_ns = 10;
    d.misses = -1;
    assert_int_equal(ts_fd_init(&fd, &d, 0, &err), TS_EINVAL);
    d = (ts_fd_desc){.kind = TS_FD_PHI, .period_ns = 10, .phi_threshold = 400};
    assert_int_equal(ts_fd_init(&fd, &d, 0, &err), TS_EINVAL);
    d.phi_threshold = -1;
    assert_int_equal(ts_fd_init(&fd, &d, 0, &err), TS_EINVAL);
    d.phi_threshold = 8;
    d.window = -3;
    assert_int_equal(ts_fd_init(&fd, &d, 0, &err), TS_EINVAL);
    d.window = 0;
    d.margin_ns = -1;
    assert_int_equal(ts_fd_init(&fd, &d, 0, &err), TS_EINVAL);
    d = (ts_fd_desc){.kind = (ts_fd_kind)7, .period_ns = 10};
    assert_int_equal(ts_fd_init(&fd, &d, 0, &err), TS_EINVAL);
    /* Defaults: misses 3, threshold 8, window 1000, floor period / 10. */
    d = (ts_fd_desc){.kind = TS_FD_PHI, .period_ns = 10 * MS};
    assert_int_equal(ts_fd_init(&fd, &d, 0, &err), TS_OK);
    assert_int_equal(fd.d.misses, 3);
    assert_true(fd.d.phi_threshold == 8.0);
    assert_int_equal(fd.d.window, 1000);
    assert_int_equal(fd.d.min_std_ns, 1 * MS);
    ts_fd_fini(&fd);
    ts_fd_fini(&fd); /* twice is fine */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(timeout_exact),
        cmocka_unit_test(phi_to_z_matches_gsl),
        cmocka_unit_test(phi_regular_history),
        cmocka_unit_test(phi_jittered_history),
        cmocka_unit_test(phi_bootstrap),
        cmocka_unit_test(phi_monotonic),
        cmocka_unit_test(phi_window_slides),
        cmocka_unit_test(bad_descriptions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
