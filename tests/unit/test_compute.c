/*
 * Compute model: jobs released every period, run highest priority first on
 * a free core for their drawn execution time, one job of a task at a time;
 * response times and deadline misses follow by hand-computable schedules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "toposim/platform.h"

#define MAX_JOBS 256

typedef struct job_log {
    ts_job_record jobs[MAX_JOBS];
    int n;
} job_log;

static void log_job(void *ctx, const ts_job_record *j)
{
    job_log *l = ctx;
    assert_true(l->n < MAX_JOBS);
    l->jobs[l->n++] = *j;
}

static const ts_job_record *find(const job_log *l, int task, uint64_t seq)
{
    for (int i = 0; i < l->n; i++)
        if (l->jobs[i].task == task && l->jobs[i].seq == seq)
            return &l->jobs[i];
    fail_msg("job %d/%llu not found", task, (unsigned long long)seq);
    return NULL;
}

static void test_priority_order_on_one_core(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    int cores[] = {1};
    job_log log = {.n = 0};
    ts_compute *c;
    ts_error err;
    assert_int_equal(ts_compute_new(e, cores, 1, log_job, &log, &c, &err), TS_OK);
    /* Both released at 0; the high-priority one (added second) runs first. */
    ts_task_desc low = {0, 1, 10 * TS_MS, 0, 10 * TS_MS, 3 * TS_MS, 3 * TS_MS};
    ts_task_desc high = {0, 9, 5 * TS_MS, 0, 5 * TS_MS, 2 * TS_MS, 2 * TS_MS};
    assert_int_equal(ts_compute_add_task(c, &low, NULL, &err), 0);
    assert_int_equal(ts_compute_add_task(c, &high, NULL, &err), 1);
    assert_int_equal(ts_compute_start(c), TS_OK);
    ts_engine_run(e, 10 * TS_MS);
    /* high: [0,2]; low: [2,5]; high#1 released 5: [5,7]. */
    const ts_job_record *h0 = find(&log, 1, 0), *l0 = find(&log, 0, 0), *h1 = find(&log, 1, 1);
    assert_int_equal(h0->start, 0);
    assert_int_equal(h0->finish, 2 * TS_MS);
    assert_int_equal(l0->start, 2 * TS_MS);
    assert_int_equal(l0->finish, 5 * TS_MS);
    assert_int_equal(l0->deadline, 10 * TS_MS);
    assert_int_equal(h1->release, 5 * TS_MS);
    assert_int_equal(h1->finish, 7 * TS_MS);
    ts_compute_free(c);
    ts_engine_free(e);
}

static void test_two_cores_run_in_parallel(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    int cores[] = {2};
    job_log log = {.n = 0};
    ts_compute *c;
    ts_error err;
    assert_int_equal(ts_compute_new(e, cores, 1, log_job, &log, &c, &err), TS_OK);
    ts_task_desc a = {0, 1, 10 * TS_MS, 0, 10 * TS_MS, 4 * TS_MS, 4 * TS_MS};
    ts_task_desc b = {0, 2, 10 * TS_MS, TS_MS, 10 * TS_MS, 4 * TS_MS, 4 * TS_MS};
    ts_compute_add_task(c, &a, NULL, &err);
    ts_compute_add_task(c, &b, NULL, &err);
    ts_compute_start(c);
    ts_engine_run(e, 9 * TS_MS);
    assert_int_equal(find(&log, 0, 0)->finish, 4 * TS_MS);
    assert_int_equal(find(&log, 1, 0)->start, 1 * TS_MS);
    assert_int_equal(find(&log, 1, 0)->finish, 5 * TS_MS);
    ts_compute_free(c);
    ts_engine_free(e);
}

static void test_overload_misses_and_unfinished(void **state)
{
    (void)state;
    /* A task needing 3 ms every 2 ms falls behind: job k finishes at
     * 3(k+1) ms while due at 2(k+1) ms. */
    ts_engine *e = ts_engine_new(16);
    int cores[] = {1};
    job_log log = {.n = 0};
    ts_compute *c;
    ts_error err;
    assert_int_equal(ts_compute_new(e, cores, 1, log_job, &log, &c, &err), TS_OK);
    ts_task_desc t = {0, 0, 2 * TS_MS, 0, 2 * TS_MS, 3 * TS_MS, 3 * TS_MS};
    ts_compute_add_task(c, &t, NULL, &err);
    ts_compute_start(c);
    ts_engine_run(e, 10 * TS_MS);
    assert_int_equal(log.n, 3);  /* finished at 3, 6, 9 ms */
    for (int k = 0; k < 3; k++) {
        assert_int_equal(log.jobs[k].seq, k);
        assert_int_equal(log.jobs[k].release, 2 * k * TS_MS);
        assert_int_equal(log.jobs[k].finish, 3 * (k + 1) * TS_MS);
        assert_true(log.jobs[k].finish > log.jobs[k].deadline);
    }
    ts_compute_flush_unfinished(c);
    /* Released at 0,2,4,6,8,10 ms: job 3 running (since 9 ms), 4 and 5 wait. */
    assert_int_equal(log.n, 6);
    assert_int_equal(log.jobs[3].seq, 3);
    assert_int_equal(log.jobs[3].start, 9 * TS_MS);
    assert_int_equal(log.jobs[3].finish, -1);
    assert_int_equal(log.jobs[4].seq, 4);
    assert_int_equal(log.jobs[4].start, -1);
    assert_int_equal(log.jobs[5].release, 10 * TS_MS);
    ts_compute_free(c);
    ts_engine_free(e);
}

static void test_exec_draws_in_range_and_reproducible(void **state)
{
    (void)state;
    ts_time first_run[50];
    for (int run = 0; run < 2; run++) {
        ts_engine *e = ts_engine_new(16);
        int cores[] = {1};
        job_log log = {.n = 0};
        ts_compute *c;
        ts_error err;
        gsl_rng *rng = ts_rng_new(7, "task");
        assert_int_equal(ts_compute_new(e, cores, 1, log_job, &log, &c, &err), TS_OK);
        ts_task_desc t = {0, 0, TS_MS, 0, TS_MS, 100 * TS_US, 200 * TS_US};
        ts_compute_add_task(c, &t, rng, &err);
        ts_compute_start(c);
        ts_engine_run(e, 50 * TS_MS - 1);
        assert_int_equal(log.n, 50);
        int distinct = 0;
        for (int k = 0; k < 50; k++) {
            ts_time x = log.jobs[k].finish - log.jobs[k].start;
            assert_true(x >= 100 * TS_US && x <= 200 * TS_US);
            if (run == 0)
                first_run[k] = x;
            else
                assert_int_equal(x, first_run[k]);
            distinct += k > 0 && x != log.jobs[k - 1].finish - log.jobs[k - 1].start;
        }
        assert_true(distinct > 40);
        ts_compute_free(c);
        gsl_rng_free(rng);
        ts_engine_free(e);
    }
}

static void test_bad_tasks_rejected(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    int cores[] = {2, 0};
    job_log log = {.n = 0};
    ts_compute *c;
    ts_error err;
    assert_int_equal(ts_compute_new(e, cores, 2, log_job, &log, &c, &err), TS_OK);
    ts_task_desc zero_period = {0, 0, 0, 0, TS_MS, TS_US, TS_US};
    ts_task_desc no_cores = {1, 0, TS_MS, 0, TS_MS, TS_US, TS_US};
    ts_task_desc bad_node = {7, 0, TS_MS, 0, TS_MS, TS_US, TS_US};
    ts_task_desc inverted = {0, 0, TS_MS, 0, TS_MS, 2 * TS_US, TS_US};
    assert_int_equal(ts_compute_add_task(c, &zero_period, NULL, &err), TS_EINVAL);
    assert_int_equal(ts_compute_add_task(c, &no_cores, NULL, &err), TS_EINVAL);
    assert_int_equal(ts_compute_add_task(c, &bad_node, NULL, &err), TS_EINVAL);
    assert_int_equal(ts_compute_add_task(c, &inverted, NULL, &err), TS_EINVAL);
    ts_compute_free(c);
    ts_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_priority_order_on_one_core),
        cmocka_unit_test(test_two_cores_run_in_parallel),
        cmocka_unit_test(test_overload_misses_and_unfinished),
        cmocka_unit_test(test_exec_draws_in_range_and_reproducible),
        cmocka_unit_test(test_bad_tasks_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
