/*
 * Fixed-priority preemptive scheduling against exact response-time
 * analysis (Joseph and Pandya; Audsley et al.): for independent periodic
 * tasks released together on one core with deadlines equal to periods,
 * the worst response of task i is the least fixed point of
 *     R = C_i + sum over higher-priority j of ceil(R / T_j) * C_j,
 * reached by the first job (the synchronous release is the critical
 * instant). The test computes it and compares it, to the nanosecond, with
 * the worst response the simulator records over a hyperperiod: for the
 * textbook set (T = 7, 12, 20 ms; C = 3, 3, 5 ms: R = 3, 6, 20 ms) and for
 * random sets. It also checks that half the CPU clock doubles every job's
 * execution time exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <math.h>

#include <gsl/gsl_rng.h>

#include "toposim/compute.h"

#define MAX_TASKS 8
#define MAX_JOBS 4096

typedef struct task_set {
    int n;
    ts_time T[MAX_TASKS], C[MAX_TASKS];
    int prio[MAX_TASKS];
} task_set;

/* Exact RTA; returns 0 and fills R, or -1 when a task misses (R > T). */
static int rta(const task_set *s, ts_time *R)
{
    for (int i = 0; i < s->n; i++) {
        ts_time r = s->C[i];
        for (;;) {
            ts_time next = s->C[i];
            for (int j = 0; j < s->n; j++)
                if (s->prio[j] > s->prio[i])
                    next += (r + s->T[j] - 1) / s->T[j] * s->C[j];
            if (next > s->T[i])
                return -1;
            if (next == r)
                break;
            r = next;
        }
        R[i] = r;
    }
    return 0;
}

static ts_time gcd(ts_time a, ts_time b)
{
    while (b) {
        ts_time t = a % b;
        a = b;
        b = t;
    }
    return a;
}

typedef struct worst {
    ts_time response[MAX_TASKS];
    long finished[MAX_TASKS];
    long unfinished;
    ts_time horizon;
} worst;

static void on_done(void *ctx, const ts_job_record *j)
{
    worst *w = ctx;
    if (j->release >= w->horizon)
        return;               /* released at the end of the window */
    if (j->finish < 0) {
        w->unfinished++;
        return;
    }
    w->finished[j->task]++;
    if (j->finish - j->release > w->response[j->task])
        w->response[j->task] = j->finish - j->release;
}

/* Simulates the set on one core over one hyperperiod. */
static void simulate(const task_set *s, ts_time hyper, worst *w)
{
    memset(w, 0, sizeof *w);
    w->horizon = hyper;
    ts_engine *e = ts_engine_new(64);
    assert_non_null(e);
    int cores[] = {1};
    ts_compute_config cfg = {.n_nodes = 1, .cores = cores, .done = on_done, .ctx = w};
    ts_compute *c;
    ts_error err;
    assert_int_equal(ts_compute_new(e, &cfg, &c, &err), TS_OK);
    for (int i = 0; i < s->n; i++) {
        ts_task_desc d = {.node = 0, .priority = s->prio[i], .period = s->T[i],
                          .offset = 0, .deadline = s->T[i],
                          .exec_min = s->C[i], .exec_max = s->C[i]};
        assert_int_equal(ts_compute_add_task(c, &d, NULL, &err), i);
    }
    assert_int_equal(ts_compute_start(c, &err), TS_OK);
    ts_engine_run(e, hyper);
    ts_compute_flush_unfinished(c);
    ts_compute_free(c);
    ts_engine_free(e);
}

static void test_textbook_set(void **state)
{
    (void)state;
    task_set s = {.n = 3,
                  .T = {7 * TS_MS, 12 * TS_MS, 20 * TS_MS},
                  .C = {3 * TS_MS, 3 * TS_MS, 5 * TS_MS},
                  .prio = {3, 2, 1}};   /* rate monotonic */
    ts_time R[3];
    assert_int_equal(rta(&s, R), 0);
    /* The analysis itself against the textbook's figures. */
    assert_int_equal(R[0], 3 * TS_MS);
    assert_int_equal(R[1], 6 * TS_MS);
    assert_int_equal(R[2], 20 * TS_MS);
    worst w;
    simulate(&s, 420 * TS_MS, &w);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(w.finished[i], 420 * TS_MS / s.T[i]);
        assert_int_equal(w.response[i], R[i]);
    }
    assert_int_equal(w.unfinished, 0);
    print_message("textbook set: simulated worst responses %lld %lld %lld ns\n",
                  (long long)w.response[0], (long long)w.response[1],
                  (long long)w.response[2]);
}

/* A random schedulable set: 4-6 tasks, periods from a set whose lcm is
 * 120 ms (a short hyperperiod), utilisations by UUniFast (Bini and
 * Buttazzo) summing to U in [0.6, 0.85], execution times in whole but
 * otherwise arbitrary nanoseconds, rate-monotonic priorities (distinct;
 * equal periods ordered by index). Redrawn until RTA finds it schedulable
 * and some task suffers interference. */
static void random_set(gsl_rng *r, task_set *s)
{
    static const ts_time periods[] = {5, 6, 8, 10, 12, 15, 20, 24, 30, 40};
    for (;;) {
        s->n = 4 + (int)gsl_rng_uniform_int(r, 3);
        for (int i = 0; i < s->n; i++)
            s->T[i] = periods[gsl_rng_uniform_int(r, 10)] * TS_MS;
        /* Sort by period: index order is then rate-monotonic order. */
        for (int i = 1; i < s->n; i++)
            for (int j = i; j > 0 && s->T[j] < s->T[j - 1]; j--) {
                ts_time t = s->T[j];
                s->T[j] = s->T[j - 1];
                s->T[j - 1] = t;
            }
        double total = 0.6 + 0.25 * gsl_rng_uniform(r), left = total;
        for (int i = 0; i < s->n; i++) {
            double u = left;
            if (i < s->n - 1) {
                double next = left * pow(gsl_rng_uniform_pos(r), 1.0 / (s->n - 1 - i));
                u = left - next;
                left = next;
            }
            s->C[i] = (ts_time)(u * (double)s->T[i]);
            if (s->C[i] < 1)
                s->C[i] = 1;
            s->prio[i] = 100 - i;
        }
        ts_time R[MAX_TASKS];
        if (rta(s, R) != 0)
            continue;
        int interfered = 0;
        for (int i = 0; i < s->n; i++)
            interfered |= R[i] > s->C[i] + s->C[0];
        if (interfered)
            return;
    }
}

static void test_random_sets(void **state)
{
    (void)state;
    static const char *names[] = {"rta-set-1", "rta-set-2", "rta-set-3",
                                  "rta-set-4", "rta-set-5"};
    for (int k = 0; k < 5; k++) {
        gsl_rng *r = ts_rng_new(20240607, names[k]);
        assert_non_null(r);
        task_set s;
        random_set(r, &s);
        gsl_rng_free(r);
        ts_time R[MAX_TASKS], hyper = 1;
        assert_int_equal(rta(&s, R), 0);
        for (int i = 0; i < s.n; i++)
            hyper = hyper / gcd(hyper, s.T[i]) * s.T[i];
        assert_true(hyper <= 120 * TS_MS);
        worst w;
        simulate(&s, hyper, &w);
        char line[512];
        int len = snprintf(line, sizeof line, "%s (H %lld ms):", names[k],
                           (long long)(hyper / TS_MS));
        for (int i = 0; i < s.n; i++) {
            assert_int_equal(w.finished[i], hyper / s.T[i]);
            assert_int_equal(w.response[i], R[i]);
            len += snprintf(line + len, sizeof line - (size_t)len,
                            " T=%lldms C=%lldns R=%lldns",
                            (long long)(s.T[i] / TS_MS), (long long)s.C[i],
                            (long long)w.response[i]);
        }
        assert_int_equal(w.unfinished, 0);
        print_message("%s\n", line);
    }
}

typedef struct exec_log {
    ts_time *out;
    int n, cap;
} exec_log;

static void log_exec(void *ctx, const ts_job_record *j)
{
    exec_log *log = ctx;
    assert_true(log->n < log->cap);
    log->out[log->n++] = j->finish - j->start;
}

/* Half the clock: every job's execution time doubles exactly, for drawn
 * (uniform, odd-nanosecond) execution times and the same seed. */
static void test_half_speed_doubles_exec(void **state)
{
    (void)state;
    enum { JOBS = 100 };
    ts_time exec[2][JOBS];
    for (int half = 0; half < 2; half++) {
        ts_engine *e = ts_engine_new(64);
        assert_non_null(e);
        int cores[] = {1};
        exec_log log = {exec[half], 0, JOBS};
        ts_compute_config cfg = {.n_nodes = 1, .cores = cores, .done = log_exec,
                                 .ctx = &log};
        ts_compute *c;
        ts_error err;
        assert_int_equal(ts_compute_new(e, &cfg, &c, &err), TS_OK);
        gsl_rng *r = ts_rng_new(99, "half-speed");
        ts_task_desc d = {.node = 0, .period = 10 * TS_MS, .deadline = 10 * TS_MS,
                          .exec_min = TS_MS + 1, .exec_max = 3 * TS_MS + 1};
        assert_int_equal(ts_compute_add_task(c, &d, r, &err), 0);
        if (half)
            assert_int_equal(ts_compute_set_speed(c, 0, 0.5, 1.0), TS_OK);
        assert_int_equal(ts_compute_start(c, &err), TS_OK);
        ts_engine_run(e, JOBS * 10 * TS_MS - 1);
        assert_int_equal(log.n, JOBS);
        ts_compute_free(c);
        gsl_rng_free(r);
        ts_engine_free(e);
    }
    int odd = 0;
    for (int k = 0; k < JOBS; k++) {
        assert_true(exec[0][k] >= TS_MS + 1 && exec[0][k] <= 3 * TS_MS + 1);
        assert_int_equal(exec[1][k], 2 * exec[0][k]);
        odd += exec[0][k] % 2;
    }
    assert_true(odd > 20);   /* the draws are not all round numbers */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_textbook_set),
        cmocka_unit_test(test_random_sets),
        cmocka_unit_test(test_half_speed_doubles_exec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
