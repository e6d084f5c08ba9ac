/*
 * Compute model: hand-computed schedules checked to the nanosecond —
 * fixed-priority preemption, FIFO order at equal priority, the fair
 * class's weighted round robin and its long-run shares, affinity and
 * reserved cores, the GPU queue, speed changes mid-job, OOM kills, core
 * offlining, node crashes, the load observer, and tasks stopped, started
 * and retimed at run time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "toposim/alloc.h"
#include "toposim/platform.h"

#define MAX_JOBS 256
#define MAX_EVENTS 16
#define MAX_LOADS 32

typedef struct job_log {
    ts_job_record jobs[MAX_JOBS];
    ts_time reported[MAX_JOBS];  /* engine time of each report */
    int n;
    ts_platform_event events[MAX_EVENTS];
    int n_events;
    struct { ts_time t; int node, cores, gpus; } loads[MAX_LOADS];
    int n_loads;
    long loads_dropped;
    ts_engine *engine;
    long done_per_task[4];    /* counts only, for long runs */
    int count_only;
} job_log;

static void log_job(void *ctx, const ts_job_record *j)
{
    job_log *l = ctx;
    if (l->count_only) {
        if (j->finish >= 0 && j->task < 4)
            l->done_per_task[j->task]++;
        return;
    }
    assert_true(l->n < MAX_JOBS);
    l->reported[l->n] = ts_engine_now(l->engine);
    l->jobs[l->n++] = *j;
}

static void log_event(void *ctx, const ts_platform_event *ev)
{
    job_log *l = ctx;
    assert_true(l->n_events < MAX_EVENTS);
    l->events[l->n_events++] = *ev;
}

static void log_load(void *ctx, int node, int cores, int gpus)
{
    job_log *l = ctx;
    if (l->n_loads == MAX_LOADS) {   /* long runs: only counted */
        l->loads_dropped++;
        return;
    }
    l->loads[l->n_loads].t = ts_engine_now(l->engine);
    l->loads[l->n_loads].node = node;
    l->loads[l->n_loads].cores = cores;
    l->loads[l->n_loads].gpus = gpus;
    l->n_loads++;
}

static const ts_job_record *find(const job_log *l, int task, uint64_t seq)
{
    for (int i = 0; i < l->n; i++)
        if (l->jobs[i].task == task && l->jobs[i].seq == seq)
            return &l->jobs[i];
    fail_msg("job %d/%llu not found", task, (unsigned long long)seq);
    return NULL;
}

/* The foundation's seven fields; the rest zero (defaults, features off). */
static ts_task_desc td(int node, int prio, ts_time period, ts_time offset,
                       ts_time deadline, ts_time exec_min, ts_time exec_max)
{
    return (ts_task_desc){.node = node, .priority = prio, .period = period,
                          .offset = offset, .deadline = deadline,
                          .exec_min = exec_min, .exec_max = exec_max};
}

/* One model on a fresh engine; gpus and memory may be NULL. */
static ts_compute *make(ts_engine **e, size_t n, const int *cores, const int *gpus,
                        const int64_t *mem, ts_time quantum, job_log *log)
{
    *e = ts_engine_new(64);
    assert_non_null(*e);
    memset(log, 0, sizeof *log);
    log->engine = *e;
    ts_compute_config cfg = {.n_nodes = n, .cores = cores, .gpus = gpus,
                             .memory_bytes = mem, .quantum = quantum,
                             .done = log_job, .load = log_load,
                             .event = log_event, .ctx = log};
    ts_compute *c;
    ts_error err;
    assert_int_equal(ts_compute_new(*e, &cfg, &c, &err), TS_OK);
    return c;
}

static int add(ts_compute *c, ts_task_desc d)
{
    ts_error err;
    int id = ts_compute_add_task(c, &d, NULL, &err);
    assert_true(id >= 0);
    return id;
}

static void start(ts_compute *c)
{
    ts_error err;
    assert_int_equal(ts_compute_start(c, &err), TS_OK);
}

/* A one-shot task: released at `at`, needing `exec`, never again within
 * the tests' horizons. */
static ts_task_desc once(int node, int prio, ts_time at, ts_time exec)
{
    return td(node, prio, 10 * TS_S, at, 10 * TS_S, exec, exec);
}

/* Changes applied from engine events, as the power and fault models will. */
typedef struct change {
    ts_compute *c;
    int what;                 /* 0 speed, 1 online cores, 2 node up flag,
                                 3 task running flag, 4 task timing (for
                                 3 and 4, node holds the task) */
    int node, n;
    double cpu, gpu;
    ts_time period, exec_min, exec_max;
} change;

static void apply_change(ts_engine *e, void *ctx, uint64_t arg)
{
    change *ch = ctx;
    (void)e;
    (void)arg;
    if (ch->what == 0)
        assert_int_equal(ts_compute_set_speed(ch->c, ch->node, ch->cpu, ch->gpu), TS_OK);
    else if (ch->what == 1)
        assert_int_equal(ts_compute_set_online_cores(ch->c, ch->node, ch->n), TS_OK);
    else if (ch->what == 2)
        assert_int_equal(ts_compute_set_node_up(ch->c, ch->node, ch->n), TS_OK);
    else if (ch->what == 3)
        assert_int_equal(ts_compute_set_task_running(ch->c, ch->node, ch->n), TS_OK);
    else
        assert_int_equal(ts_compute_set_task_timing(ch->c, ch->node, ch->period,
                                                    ch->exec_min, ch->exec_max),
                         TS_OK);
}

static change run_flag(ts_compute *c, int task, int running)
{
    return (change){.c = c, .what = 3, .node = task, .n = running};
}

static change timing(ts_compute *c, int task, ts_time period, ts_time lo,
                     ts_time hi)
{
    return (change){.c = c, .what = 4, .node = task, .period = period,
                    .exec_min = lo, .exec_max = hi};
}

static void at(ts_engine *e, ts_time t, change *ch)
{
    assert_int_equal(ts_engine_schedule(e, t, apply_change, ch, 0, NULL), TS_OK);
}

/* ---- The foundation's schedules still hold ---- */

static void test_priority_order_on_one_core(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {1};
    ts_compute *c = make(&e, 1, cores, NULL, NULL, 0, &log);
    /* Both released at 0; the high-priority one (added second) runs first. */
    ts_task_desc low = td(0, 1, 10 * TS_MS, 0, 10 * TS_MS, 3 * TS_MS, 3 * TS_MS);
    ts_task_desc high = td(0, 9, 5 * TS_MS, 0, 5 * TS_MS, 2 * TS_MS, 2 * TS_MS);
    assert_int_equal(add(c, low), 0);
    assert_int_equal(add(c, high), 1);
    start(c);
    ts_engine_run(e, 10 * TS_MS);
    /* high: [0,2]; low: [2,5]; high#1 released 5: [5,7]. */
    const ts_job_record *h0 = find(&log, 1, 0), *l0 = find(&log, 0, 0), *h1 = find(&log, 1, 1);
    assert_int_equal(h0->start, 0);
    assert_int_equal(h0->finish, 2 * TS_MS);
    assert_int_equal(l0->start, 2 * TS_MS);
    assert_int_equal(l0->finish, 5 * TS_MS);
    assert_int_equal(l0->deadline, 10 * TS_MS);
    assert_int_equal(l0->preemptions, 0);
    assert_int_equal(l0->outcome, TS_JOB_DONE);
    assert_int_equal(h1->release, 5 * TS_MS);
    assert_int_equal(h1->finish, 7 * TS_MS);
    ts_compute_free(c);
    ts_engine_free(e);
}

/* job_work: 100 ns x (k + 1) more for task 0's job released at 10k ms,
 * nothing for task 1. */
static ts_time extra_work(void *ctx, int task, ts_time release)
{
    (void)ctx;
    return task == 0 ? 100 * (release / (10 * TS_MS) + 1) : 0;
}

/* The extra work is part of the job: it lengthens the response time
 * exactly, delays the job below it by as much, and shows in `work`. */
static void test_job_work_added_exactly(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(64);
    assert_non_null(e);
    job_log log;
    memset(&log, 0, sizeof log);
    log.engine = e;
    int cores[] = {1};
    ts_compute_config cfg = {.n_nodes = 1, .cores = cores, .done = log_job, .ctx = &log,
                             .job_work = extra_work};
    ts_compute *c;
    ts_error err;
    assert_int_equal(ts_compute_new(e, &cfg, &c, &err), TS_OK);
    assert_int_equal(add(c, td(0, 9, 10 * TS_MS, 0, 10 * TS_MS, TS_MS, TS_MS)), 0);
    assert_int_equal(add(c, td(0, 1, 10 * TS_MS, 0, 10 * TS_MS, 2 * TS_MS, 2 * TS_MS)), 1);
    start(c);
    ts_engine_run(e, 25 * TS_MS);
    for (uint64_t k = 0; k < 3; k++) {
        const ts_job_record *hi = find(&log, 0, k), *lo = find(&log, 1, k);
        ts_time extra = 100 * (ts_time)(k + 1);
        assert_int_equal(hi->work, TS_MS + extra);
        assert_int_equal(hi->finish - hi->release, TS_MS + extra);
        if (k < 2) {
            assert_int_equal(lo->start, hi->finish);
            assert_int_equal(lo->finish - lo->release, 3 * TS_MS + extra);
            assert_int_equal(lo->work, 2 * TS_MS);
        }
    }
    ts_compute_free(c);
    ts_engine_free(e);
}

static void test_two_cores_run_in_parallel(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {2};
    ts_compute *c = make(&e, 1, cores, NULL, NULL, 0, &log);
    add(c, td(0, 1, 10 * TS_MS, 0, 10 * TS_MS, 4 * TS_MS, 4 * TS_MS));
    add(c, td(0, 2, 10 * TS_MS, TS_MS, 10 * TS_MS, 4 * TS_MS, 4 * TS_MS));
    start(c);
    ts_engine_run(e, 9 * TS_MS);
    assert_int_equal(find(&log, 0, 0)->finish, 4 * TS_MS);
    assert_int_equal(find(&log, 1, 0)->start, 1 * TS_MS);
    assert_int_equal(find(&log, 1, 0)->finish, 5 * TS_MS);
    /* Each core was busy 4 ms of the 9. */
    assert_int_equal(ts_compute_core_busy_ns(c, 0, 0), 4 * TS_MS);
    assert_int_equal(ts_compute_core_busy_ns(c, 0, 1), 4 * TS_MS);
    ts_compute_node_stat st;
    assert_int_equal(ts_compute_node_stat_get(c, 0, &st), TS_OK);
    assert_int_equal(st.core_busy_ns, 8 * TS_MS);
    assert_int_equal(st.online_core_ns, 18 * TS_MS);
    ts_compute_free(c);
    ts_engine_free(e);
}

static void test_overload_misses_and_unfinished(void **state)
{
    (void)state;
    /* A task needing 3 ms every 2 ms falls behind: job k finishes at
     * 3(k+1) ms while due at 2(k+1) ms. */
    ts_engine *e;
    job_log log;
    int cores[] = {1};
    ts_compute *c = make(&e, 1, cores, NULL, NULL, 0, &log);
    add(c, td(0, 0, 2 * TS_MS, 0, 2 * TS_MS, 3 * TS_MS, 3 * TS_MS));
    start(c);
    ts_engine_run(e, 10 * TS_MS);
    assert_int_equal(log.n, 3);  /* finished at 3, 6, 9 ms */
    for (int k = 0; k < 3; k++) {
        assert_int_equal(log.jobs[k].seq, k);
        assert_int_equal(log.jobs[k].release, 2 * k * TS_MS);
        assert_int_equal(log.jobs[k].finish, 3 * (k + 1) * TS_MS);
        assert_true(log.jobs[k].finish > log.jobs[k].deadline);
    }
    ts_compute_node_stat st;
    ts_compute_node_stat_get(c, 0, &st);
    assert_int_equal(st.busy_cores, 1);
    assert_int_equal(st.run_queue, 2);   /* released at 8 and 10 ms */
    ts_compute_flush_unfinished(c);
    /* Released at 0,2,4,6,8,10 ms: job 3 running (since 9 ms), 4 and 5 wait. */
    assert_int_equal(log.n, 6);
    assert_int_equal(log.jobs[3].seq, 3);
    assert_int_equal(log.jobs[3].start, 9 * TS_MS);
    assert_int_equal(log.jobs[3].finish, -1);
    assert_int_equal(log.jobs[3].outcome, TS_JOB_UNFINISHED);
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
        ts_engine *e;
        job_log log;
        int cores[] = {1};
        ts_compute *c = make(&e, 1, cores, NULL, NULL, 0, &log);
        gsl_rng *rng = ts_rng_new(7, "task");
        ts_error err;
        ts_task_desc t = td(0, 0, TS_MS, 0, TS_MS, 100 * TS_US, 200 * TS_US);
        assert_int_equal(ts_compute_add_task(c, &t, rng, &err), 0);
        start(c);
        ts_engine_run(e, 50 * TS_MS - 1);
        assert_int_equal(log.n, 50);
        int distinct = 0;
        for (int k = 0; k < 50; k++) {
            ts_time x = log.jobs[k].finish - log.jobs[k].start;
            assert_true(x >= 100 * TS_US && x <= 200 * TS_US);
            assert_int_equal(x, log.jobs[k].work);
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

/* A measured histogram: two bins, weights 1:3. Every draw lies in a bin,
 * the bins' shares follow the weights (binomial, n = 2000: sd of the share
 * about 0.0097, the band is 4 sd), the same seed gives the same draws and
 * another seed different ones. */
static void test_exec_histogram_bounds_shares_and_seeds(void **state)
{
    (void)state;
    enum { N = 2000 };
    static ts_time draws[3][N];
    uint64_t seeds[3] = {11, 11, 12};
    for (int run = 0; run < 3; run++) {
        ts_engine *e;
        job_log log;
        int cores[] = {1};
        ts_compute *c = make(&e, 1, cores, NULL, NULL, 0, &log);
        log.count_only = 1;
        ts_dist h = {.kind = TS_DIST_HISTOGRAM, .n_bins = 2,
                     .edges = (const double[]){100e3, 200e3, 300e3}, .weights = (const double[]){1, 3}};
        ts_error err;
        assert_int_equal(ts_dist_prepare(&h, &err), TS_OK);
        gsl_rng *rng = ts_rng_new(seeds[run], "histo");
        ts_task_desc t = td(0, 0, TS_MS, 0, TS_MS, 0, 0);
        t.exec = h;
        assert_int_equal(ts_compute_add_task(c, &t, rng, &err), 0);
        start(c);
        /* Draw directly through the model: flush reports each job's work. */
        log.count_only = 0;
        int upper = 0;
        for (int k = 0; k < N; k++) {
            log.n = 0;
            ts_engine_run(e, (ts_time)k * TS_MS + 500 * TS_US);
            assert_int_equal(log.n, 1);
            ts_time w = log.jobs[0].work;
            assert_true(w >= 100 * TS_US && w <= 300 * TS_US);
            assert_int_equal(log.jobs[0].finish - log.jobs[0].start, w);
            upper += w >= 200 * TS_US;
            draws[run][k] = w;
        }
        double share = (double)upper / N;
        assert_true(share > 0.75 - 0.04 && share < 0.75 + 0.04);
        ts_compute_free(c);
        gsl_rng_free(rng);
        ts_dist_fini(&h);
        ts_engine_free(e);
    }
    assert_memory_equal(draws[0], draws[1], sizeof draws[0]);
    assert_memory_not_equal(draws[0], draws[2], sizeof draws[0]);
}

/* Releases by the owner (period 0): each job carries its release's tag;
 * a KEEP_LAST queue full of jobs not yet started gives up its oldest tag,
 * and the job that held it keeps its release instant and takes the next
 * tag, whether it waits in the ring or is the current job still waiting
 * for its first core. Times worked out by hand in the comments. */
typedef struct owner_release {
    ts_compute *c;
    int task;
    uint32_t keep_last;
    uint64_t dropped[4];
    int n_dropped;
} owner_release;

static void release_tagged(ts_engine *e, void *ctx, uint64_t tag)
{
    (void)e;
    owner_release *o = ctx;
    uint64_t dropped = 0;
    int rc = ts_compute_release(o->c, o->task, -1, tag, o->keep_last, &dropped);
    assert_true(rc == TS_OK || rc == 1);
    if (rc == 1)
        o->dropped[o->n_dropped++] = dropped;
}

static void test_owner_releases_keep_last(void **state)
{
    (void)state;
    job_log log;
    ts_engine *e;
    const int cores[] = {1, 1};
    ts_compute *c = make(&e, 2, cores, NULL, NULL, 0, &log);
    ts_error err;
    /* node 0: a triggered task alone, 3 ms a job, queue of 2 */
    ts_task_desc a = td(0, 0, 0, 0, 10 * TS_MS, 3 * TS_MS, 3 * TS_MS);
    /* node 1: a periodic 5 ms job at priority 9 first, then a triggered
     * task at priority 1 with a queue of 1 */
    ts_task_desc h = td(1, 9, 20 * TS_MS, 0, 20 * TS_MS, 5 * TS_MS, 5 * TS_MS);
    ts_task_desc l = td(1, 1, 0, 0, 10 * TS_MS, TS_MS, TS_MS);
    assert_int_equal(ts_compute_add_task(c, &a, NULL, &err), 0);
    assert_int_equal(ts_compute_add_task(c, &h, NULL, &err), 1);
    assert_int_equal(ts_compute_add_task(c, &l, NULL, &err), 2);
    uint64_t unused;
    assert_int_equal(ts_compute_release(c, 0, -1, 1, 2, &unused), TS_EINVAL); /* not started */
    assert_int_equal(ts_compute_start(c, &err), TS_OK);
    assert_int_equal(ts_compute_release(c, 7, -1, 1, 2, &unused), TS_EINVAL);
    assert_int_equal(ts_compute_release(c, 0, TS_MS, 1, 2, &unused), TS_EINVAL); /* future */
    owner_release oa = {.c = c, .task = 0, .keep_last = 2};
    owner_release ol = {.c = c, .task = 2, .keep_last = 1};
    ts_event_handle ev;
    /* a: tag 1 at 0 runs 0-3 ms; tags 2 (1 ms) and 3 (2 ms) wait; tag 4
     * at 2.5 ms finds the queue full: tag 2 is dropped */
    const ts_time at_a[] = {0, TS_MS, 2 * TS_MS, 2500 * TS_US};
    for (uint64_t k = 0; k < 4; k++)
        assert_int_equal(ts_engine_schedule(e, at_a[k], release_tagged, &oa, k + 1, &ev), TS_OK);
    /* l: tag 7 at 1 ms waits behind h (0-5 ms) as the current job; tag 8
     * at 2 ms drops 7, and the job released at 1 ms runs 5-6 ms with 8 */
    assert_int_equal(ts_engine_schedule(e, TS_MS, release_tagged, &ol, 7, &ev), TS_OK);
    assert_int_equal(ts_engine_schedule(e, 2 * TS_MS, release_tagged, &ol, 8, &ev), TS_OK);
    ts_engine_run(e, 15 * TS_MS);

    assert_int_equal(oa.n_dropped, 1);
    assert_int_equal(oa.dropped[0], 2);
    const ts_job_record *j = find(&log, 0, 0);
    assert_int_equal(j->tag, 1);
    assert_int_equal(j->release, 0);
    assert_int_equal(j->finish, 3 * TS_MS);
    j = find(&log, 0, 1);
    assert_int_equal(j->tag, 3);
    assert_int_equal(j->release, TS_MS);
    assert_int_equal(j->start, 3 * TS_MS);
    assert_int_equal(j->finish, 6 * TS_MS);
    j = find(&log, 0, 2);
    assert_int_equal(j->tag, 4);
    assert_int_equal(j->release, 2 * TS_MS);
    assert_int_equal(j->start, 6 * TS_MS);
    assert_int_equal(j->finish, 9 * TS_MS);

    assert_int_equal(ol.n_dropped, 1);
    assert_int_equal(ol.dropped[0], 7);
    j = find(&log, 2, 0);
    assert_int_equal(j->tag, 8);
    assert_int_equal(j->release, TS_MS);
    assert_int_equal(j->start, 5 * TS_MS);
    assert_int_equal(j->finish, 6 * TS_MS);
    assert_int_equal(find(&log, 1, 0)->tag, 0);   /* a timer's */
    int of_l = 0;
    for (int i = 0; i < log.n; i++)
        of_l += log.jobs[i].task == 2;
    assert_int_equal(of_l, 1);
    ts_compute_free(c);
    ts_engine_free(e);
}

static void test_bad_tasks_rejected(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {2, 0};
    ts_compute *c = make(&e, 2, cores, NULL, NULL, 0, &log);
    ts_error err;
    ts_task_desc good = td(0, 0, TS_MS, 0, TS_MS, TS_US, TS_US);
    ts_task_desc bad[9];
    for (int i = 0; i < 9; i++)
        bad[i] = good;
    bad[0].period = -1;              /* 0: released by its owner */
    bad[1].node = 1;                 /* no cores */
    bad[2].node = 7;
    bad[3].exec_min = 2 * TS_US;     /* inverted */
    bad[4].affinity = 1u << 2;       /* core 2 of 2 */
    bad[5].reserve_cores = 1;        /* nothing to reserve */
    bad[6].gpu_ns = TS_MS;           /* no GPU on the node */
    bad[7].policy = 5;
    bad[8].exec.kind = TS_DIST_HISTOGRAM;   /* not prepared */
    for (int i = 0; i < 9; i++)
        assert_int_equal(ts_compute_add_task(c, &bad[i], NULL, &err), TS_EINVAL);
    ts_compute_free(c);
    ts_engine_free(e);

    /* Every core a task may use reserved by another: refused at start. */
    c = make(&e, 1, cores, NULL, NULL, 0, &log);
    ts_task_desc owner = good, pinned = good;
    owner.affinity = 1u << 1;
    owner.reserve_cores = 1;
    pinned.affinity = 1u << 1;
    pinned.component = "nav";
    add(c, owner);
    add(c, pinned);
    assert_int_equal(ts_compute_start(c, &err), TS_EINFEASIBLE);
    assert_non_null(strstr(err.msg, "nav"));
    ts_compute_free(c);
    ts_engine_free(e);
}

/* ---- Preemptive fixed priorities ---- */

static void test_preemption_exact_timeline(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {1};
    ts_compute *c = make(&e, 1, cores, NULL, NULL, 0, &log);
    /* low 5 ms from 0; mid 2 ms at 1 ms; high 1 ms at 2 ms:
     * low [0,1] mid [1,2] high [2,3] mid [3,4] low [4,8]. */
    int low = add(c, once(0, 1, 0, 5 * TS_MS));
    int mid = add(c, once(0, 5, TS_MS, 2 * TS_MS));
    int high = add(c, once(0, 9, 2 * TS_MS, TS_MS));
    start(c);
    ts_engine_run(e, 20 * TS_MS);
    assert_int_equal(log.n, 3);
    assert_int_equal(find(&log, high, 0)->start, 2 * TS_MS);
    assert_int_equal(find(&log, high, 0)->finish, 3 * TS_MS);
    assert_int_equal(find(&log, high, 0)->preemptions, 0);
    assert_int_equal(find(&log, mid, 0)->start, TS_MS);
    assert_int_equal(find(&log, mid, 0)->finish, 4 * TS_MS);
    assert_int_equal(find(&log, mid, 0)->preemptions, 1);
    assert_int_equal(find(&log, low, 0)->start, 0);
    assert_int_equal(find(&log, low, 0)->finish, 8 * TS_MS);
    assert_int_equal(find(&log, low, 0)->preemptions, 1);
    assert_int_equal(ts_compute_core_busy_ns(c, 0, 0), 8 * TS_MS);
    ts_compute_free(c);
    ts_engine_free(e);
}

static void test_equal_priority_fifo(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {1};
    ts_compute *c = make(&e, 1, cores, NULL, NULL, 0, &log);
    /* All priority 4. A runs to completion although others arrive; then
     * by release time: C and D (both 0.5 ms, C the lower id) before B
     * (1 ms). A [0,3] C [3,4] D [4,5] B [5,7]. */
    int a = add(c, once(0, 4, 0, 3 * TS_MS));
    int b = add(c, once(0, 4, TS_MS, 2 * TS_MS));
    int cc = add(c, once(0, 4, 500 * TS_US, TS_MS));
    int d = add(c, once(0, 4, 500 * TS_US, TS_MS));
    start(c);
    ts_engine_run(e, 20 * TS_MS);
    assert_int_equal(find(&log, a, 0)->finish, 3 * TS_MS);
    assert_int_equal(find(&log, a, 0)->preemptions, 0);
    assert_int_equal(find(&log, cc, 0)->start, 3 * TS_MS);
    assert_int_equal(find(&log, d, 0)->start, 4 * TS_MS);
    assert_int_equal(find(&log, b, 0)->start, 5 * TS_MS);
    assert_int_equal(find(&log, b, 0)->finish, 7 * TS_MS);
    ts_compute_free(c);
    ts_engine_free(e);
}

/* A thread whose next job is already due does not block, so under
 * SCHED_FIFO it keeps its core against an equal priority that arrived
 * earlier than that job: A (3 ms every 2 ms) never yields to B. */
static void test_overrunning_fifo_thread_keeps_core(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {1};
    ts_compute *c = make(&e, 1, cores, NULL, NULL, 0, &log);
    int a = add(c, td(0, 4, 2 * TS_MS, 0, 2 * TS_MS, 3 * TS_MS, 3 * TS_MS));
    int b = add(c, once(0, 4, TS_MS, TS_MS));
    start(c);
    ts_engine_run(e, 10 * TS_MS);
    assert_int_equal(find(&log, a, 1)->start, 3 * TS_MS);
    assert_int_equal(find(&log, a, 2)->finish, 9 * TS_MS);
    ts_compute_flush_unfinished(c);
    assert_int_equal(find(&log, b, 0)->start, -1);
    ts_compute_free(c);
    ts_engine_free(e);
}

/* ---- The fair class ---- */

static ts_task_desc fair(ts_time at, ts_time exec, int weight)
{
    ts_task_desc d = once(0, 0, at, exec);
    d.policy = TS_SCHED_FAIR;
    d.weight = weight;
    return d;
}

static void test_fair_round_robin_exact(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {1};
    ts_compute *c = make(&e, 1, cores, NULL, NULL, 4 * TS_MS, &log);
    /* Weights 2:1, quantum 4 ms; virtual runtime advances 0.5 and 1 per
     * ns. A [0,4] (vA 2) B [4,8] (vB 4) A [8,12] (4) A wins the tie by id
     * [12,16] (6) B [16,20] done (8 ms of work) A [20,24] done (16). */
    int a = add(c, fair(0, 16 * TS_MS, 2048));
    int b = add(c, fair(0, 8 * TS_MS, 1024));
    start(c);
    ts_engine_run(e, 50 * TS_MS);
    assert_int_equal(find(&log, a, 0)->start, 0);
    assert_int_equal(find(&log, b, 0)->start, 4 * TS_MS);
    assert_int_equal(find(&log, b, 0)->finish, 20 * TS_MS);
    assert_int_equal(find(&log, b, 0)->preemptions, 1);
    assert_int_equal(find(&log, a, 0)->finish, 24 * TS_MS);
    assert_int_equal(find(&log, a, 0)->preemptions, 2);
    ts_compute_free(c);
    ts_engine_free(e);
}

/* A fair task waking mid-slice waits for the slice to end even with the
 * lower id (no wakeup preemption), and its virtual runtime starts at the
 * running task's, not at 0: A alone from 0; B wakes at 1 ms (vB = vA =
 * 1 ms); A's slice ends at 4 (vA 4) so B [4,6], then A to 12. */
static void test_fair_wakeup_waits_for_slice(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {1};
    ts_compute *c = make(&e, 1, cores, NULL, NULL, 4 * TS_MS, &log);
    int b = add(c, fair(TS_MS, 2 * TS_MS, 0));
    int a = add(c, fair(0, 10 * TS_MS, 0));
    start(c);
    ts_engine_run(e, 50 * TS_MS);
    assert_int_equal(find(&log, b, 0)->start, 4 * TS_MS);
    assert_int_equal(find(&log, b, 0)->finish, 6 * TS_MS);
    assert_int_equal(find(&log, a, 0)->finish, 12 * TS_MS);
    assert_int_equal(find(&log, a, 0)->preemptions, 1);
    ts_compute_free(c);
    ts_engine_free(e);
}

/* A sleeper does not claim the CPU time it did not use: B wakes at 20 ms
 * with its virtual runtime raised to A's (20 ms), so they alternate
 * (B [20,24], A [24,28], B [28,32]) instead of B running 8 ms straight. */
static void test_fair_sleeper_gets_no_credit(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {1};
    ts_compute *c = make(&e, 1, cores, NULL, NULL, 4 * TS_MS, &log);
    int b = add(c, fair(20 * TS_MS, 8 * TS_MS, 0));
    int a = add(c, fair(0, 100 * TS_MS, 0));
    start(c);
    ts_engine_run(e, 200 * TS_MS);
    assert_int_equal(find(&log, b, 0)->start, 20 * TS_MS);
    assert_int_equal(find(&log, b, 0)->finish, 32 * TS_MS);
    assert_int_equal(find(&log, a, 0)->finish, 108 * TS_MS);
    ts_compute_free(c);
    ts_engine_free(e);
}

/* Two always-backlogged fair tasks (each asks for the whole core) with
 * weights 2:1 over 3 s: CPU time, counted in 1 ms jobs, splits 2:1. */
static void test_fair_long_run_shares(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {1};
    ts_compute *c = make(&e, 1, cores, NULL, NULL, 0, &log);
    log.count_only = 1;
    ts_task_desc a = td(0, 0, TS_MS, 0, TS_MS, TS_MS, TS_MS);
    a.policy = TS_SCHED_FAIR;
    a.weight = 2048;
    ts_task_desc b = a;
    b.weight = 1024;
    add(c, a);
    add(c, b);
    start(c);
    ts_engine_run(e, 3 * TS_S);
    long na = log.done_per_task[0], nb = log.done_per_task[1];
    assert_true(na + nb >= 2999 && na + nb <= 3000);
    double ratio = (double)na / (double)nb;
    assert_true(ratio > 1.98 && ratio < 2.02);
    ts_compute_free(c);
    ts_engine_free(e);
}

static void test_fifo_beats_fair(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {1};
    ts_compute *c = make(&e, 1, cores, NULL, NULL, 0, &log);
    /* A heavy fair task runs alone until a priority-0 FIFO task arrives:
     * FIFO [1,3] immediately, the fair job resumes and ends at 12. */
    int f = add(c, fair(0, 10 * TS_MS, 88761));
    int rt = add(c, once(0, 0, TS_MS, 2 * TS_MS));
    start(c);
    ts_engine_run(e, 20 * TS_MS);
    assert_int_equal(find(&log, rt, 0)->start, TS_MS);
    assert_int_equal(find(&log, rt, 0)->finish, 3 * TS_MS);
    assert_int_equal(find(&log, f, 0)->finish, 12 * TS_MS);
    assert_int_equal(find(&log, f, 0)->preemptions, 1);
    ts_compute_free(c);
    ts_engine_free(e);
}

/* ---- Affinity and reserved cores ---- */

static void test_affinity_and_reserved_cores(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {4};
    ts_compute *c = make(&e, 1, cores, NULL, NULL, 0, &log);
    /* r reserves core 3 (1 ms); p is pinned to core 2 (2 ms, highest
     * priority so it gets core 2 first); four 5 ms tasks share cores 0-2:
     * w0, w1 run [0,5] on cores 0 and 1, w2 gets core 2 after p [2,7],
     * w3 waits for core 0 [5,10]. Core 3 never runs anything but r. */
    ts_task_desc r = once(0, 1, 0, TS_MS);
    r.affinity = 1u << 3;
    r.reserve_cores = 1;
    ts_task_desc p = once(0, 9, 0, 2 * TS_MS);
    p.affinity = 1u << 2;
    int ir = add(c, r), ip = add(c, p);
    int w[4];
    for (int i = 0; i < 4; i++)
        w[i] = add(c, once(0, 5 - i, 0, 5 * TS_MS));
    start(c);
    ts_engine_run(e, 20 * TS_MS);
    assert_int_equal(find(&log, ir, 0)->finish, TS_MS);
    assert_int_equal(find(&log, ip, 0)->finish, 2 * TS_MS);
    assert_int_equal(find(&log, w[0], 0)->finish, 5 * TS_MS);
    assert_int_equal(find(&log, w[1], 0)->finish, 5 * TS_MS);
    assert_int_equal(find(&log, w[2], 0)->start, 2 * TS_MS);
    assert_int_equal(find(&log, w[2], 0)->finish, 7 * TS_MS);
    assert_int_equal(find(&log, w[3], 0)->start, 5 * TS_MS);
    assert_int_equal(find(&log, w[3], 0)->finish, 10 * TS_MS);
    assert_int_equal(ts_compute_core_busy_ns(c, 0, 0), 10 * TS_MS);
    assert_int_equal(ts_compute_core_busy_ns(c, 0, 1), 5 * TS_MS);
    assert_int_equal(ts_compute_core_busy_ns(c, 0, 2), 7 * TS_MS);
    assert_int_equal(ts_compute_core_busy_ns(c, 0, 3), TS_MS);
    ts_compute_free(c);
    ts_engine_free(e);
}

/* ---- Picks under load: the ranked run queues ---- */

/* 80 distinct priorities (two words of the level bitmap, negative ones
 * included), ids in an order unrelated to priority, all released at 0 on
 * one core: each 1 ms job starts after every higher priority's. */
static void test_many_priorities_run_highest_first(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {1};
    ts_compute *c = make(&e, 1, cores, NULL, NULL, 0, &log);
    int prio[80];
    for (int i = 0; i < 80; i++) {
        prio[i] = (i * 37) % 80 - 40;   /* 37 is prime to 80: a permutation */
        assert_int_equal(add(c, once(0, prio[i], 0, TS_MS)), i);
    }
    start(c);
    ts_engine_run(e, 100 * TS_MS);
    assert_int_equal(log.n, 80);
    for (int i = 0; i < 80; i++) {
        const ts_job_record *j = find(&log, i, 0);
        assert_int_equal(j->start, (39 - prio[i]) * TS_MS);
        assert_int_equal(j->finish, (40 - prio[i]) * TS_MS);
        assert_int_equal(j->preemptions, 0);
    }
    ts_compute_free(c);
    ts_engine_free(e);
}

/* Within a priority the order is by release, then id, not by arrival in
 * the queue: E (released 0) is preempted at 2 ms, after M3 and M4 (1 ms)
 * queued, yet runs first when the core frees; M3 and M4, released
 * together, go by id; L (id 0, released last) goes last.
 * E [0,2] H [2,4] E [4,6] M3 [6,7] M4 [7,8] L [8,9]. */
static void test_fifo_order_by_release_not_arrival(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {1};
    ts_compute *c = make(&e, 1, cores, NULL, NULL, 0, &log);
    int l = add(c, once(0, 5, 3 * TS_MS, TS_MS));
    int early = add(c, once(0, 5, 0, 4 * TS_MS));
    int h = add(c, once(0, 9, 2 * TS_MS, 2 * TS_MS));
    int m3 = add(c, once(0, 5, TS_MS, TS_MS));
    int m4 = add(c, once(0, 5, TS_MS, TS_MS));
    start(c);
    ts_engine_run(e, 20 * TS_MS);
    assert_int_equal(find(&log, h, 0)->start, 2 * TS_MS);
    assert_int_equal(find(&log, early, 0)->start, 0);
    assert_int_equal(find(&log, early, 0)->finish, 6 * TS_MS);
    assert_int_equal(find(&log, early, 0)->preemptions, 1);
    assert_int_equal(find(&log, m3, 0)->start, 6 * TS_MS);
    assert_int_equal(find(&log, m4, 0)->start, 7 * TS_MS);
    assert_int_equal(find(&log, l, 0)->start, 8 * TS_MS);
    assert_int_equal(find(&log, l, 0)->finish, 9 * TS_MS);
    ts_compute_free(c);
    ts_engine_free(e);
}

/* Which core a task takes. Node 0 (4 cores): P4, P3, P2, P1 (priorities)
 * fill cores 0-3 in rank order at 0; H (pinned to cores 0-2) arrives at
 * 1 ms and takes the allowed core whose job ranks lowest, core 2 (P2),
 * not core 3 (P1 ranks lower but H may not use it); P2 then takes core 3
 * from P1 (a move, not a preemption) and P1 waits until H ends at 3 ms,
 * resuming on the idle core 2. Node 1 (2 cores): A and B pinned to core
 * 0, C free: A gets core 0, B cannot run although core 1 is idle, and C,
 * ranked below B, still gets core 1. */
static void test_affinity_picks(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {4, 2};
    ts_compute *c = make(&e, 2, cores, NULL, NULL, 0, &log);
    int p[5];
    for (int k = 1; k <= 4; k++)
        p[k] = add(c, once(0, k, 0, 5 * TS_MS));
    ts_task_desc hd = once(0, 9, TS_MS, 2 * TS_MS);
    hd.affinity = 0x7;
    int h = add(c, hd);
    ts_task_desc ad = once(1, 5, 0, 3 * TS_MS);
    ad.affinity = 0x1;
    ts_task_desc bd = ad;
    bd.priority = 4;
    bd.exec_min = bd.exec_max = TS_MS;
    int a = add(c, ad), b = add(c, bd);
    int cc = add(c, once(1, 1, 0, TS_MS));
    start(c);
    ts_engine_run(e, 20 * TS_MS);
    assert_int_equal(find(&log, h, 0)->start, TS_MS);
    assert_int_equal(find(&log, h, 0)->finish, 3 * TS_MS);
    for (int k = 2; k <= 4; k++) {
        assert_int_equal(find(&log, p[k], 0)->finish, 5 * TS_MS);
        assert_int_equal(find(&log, p[k], 0)->preemptions, 0);
    }
    assert_int_equal(find(&log, p[1], 0)->finish, 7 * TS_MS);
    assert_int_equal(find(&log, p[1], 0)->preemptions, 1);
    assert_int_equal(ts_compute_core_busy_ns(c, 0, 0), 5 * TS_MS);
    assert_int_equal(ts_compute_core_busy_ns(c, 0, 1), 5 * TS_MS);
    /* core 2: P2 [0,1], H [1,3], P1 [3,7]; core 3: P1 [0,1], P2 [1,5] */
    assert_int_equal(ts_compute_core_busy_ns(c, 0, 2), 7 * TS_MS);
    assert_int_equal(ts_compute_core_busy_ns(c, 0, 3), 5 * TS_MS);
    assert_int_equal(find(&log, a, 0)->finish, 3 * TS_MS);
    assert_int_equal(find(&log, b, 0)->start, 3 * TS_MS);
    assert_int_equal(find(&log, cc, 0)->start, 0);
    assert_int_equal(ts_compute_core_busy_ns(c, 1, 0), 4 * TS_MS);
    assert_int_equal(ts_compute_core_busy_ns(c, 1, 1), TS_MS);
    ts_compute_free(c);
    ts_engine_free(e);
}

/* A node of 130 cores (three bitmap words). P, pinned to core 63, takes
 * it; 130 equal-priority tasks U0..U129 then fill the lowest idle cores
 * in id order: U0-U62 on cores 0-62, U63-U128 on cores 64-129, U129
 * waits; the lowest priority W waits too. At 1 ms U129 and W take the
 * lowest idle cores, 0 and 1. */
static void test_more_than_64_cores(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {130};
    ts_compute *c = make(&e, 1, cores, NULL, NULL, 0, &log);
    ts_task_desc pd = once(0, 50, 0, 2 * TS_MS);
    pd.affinity = (uint64_t)1 << 63;
    int p = add(c, pd);
    int u0 = p + 1;
    for (int i = 0; i < 130; i++)
        add(c, once(0, 10, 0, TS_MS));
    int w = add(c, once(0, 0, 0, TS_MS));
    start(c);
    ts_compute_node_stat st;
    ts_engine_run(e, TS_MS / 2);
    assert_int_equal(ts_compute_node_stat_get(c, 0, &st), TS_OK);
    assert_int_equal(st.busy_cores, 130);
    assert_int_equal(st.run_queue, 2);
    ts_engine_run(e, 10 * TS_MS);
    assert_int_equal(find(&log, p, 0)->finish, 2 * TS_MS);
    for (int i = 0; i < 129; i++)
        assert_int_equal(find(&log, u0 + i, 0)->start, 0);
    assert_int_equal(find(&log, u0 + 129, 0)->start, TS_MS);
    assert_int_equal(find(&log, w, 0)->start, TS_MS);
    assert_int_equal(ts_compute_core_busy_ns(c, 0, 0), 2 * TS_MS);
    assert_int_equal(ts_compute_core_busy_ns(c, 0, 1), 2 * TS_MS);
    assert_int_equal(ts_compute_core_busy_ns(c, 0, 2), TS_MS);
    assert_int_equal(ts_compute_core_busy_ns(c, 0, 63), 2 * TS_MS);
    assert_int_equal(ts_compute_core_busy_ns(c, 0, 64), TS_MS);
    assert_int_equal(ts_compute_core_busy_ns(c, 0, 128), TS_MS);
    assert_int_equal(ts_compute_core_busy_ns(c, 0, 129), TS_MS);
    ts_compute_free(c);
    ts_engine_free(e);
}

/* Fair tasks ranked by virtual runtime, hand-computed (quantum 2 ms; vr
 * grows 1024/weight per ns): A (w 1024, 4 ms), B (w 2048, 6 ms), C (w 512,
 * 2 ms) at 0, D (w 1024, 1 ms) at 5 ms.
 *   [0,2] A (vA 2)   [2,4] B (vB 1)   [4,6] C, done (vC 4)
 *   D wakes at 5 at the floor min(vA 2, vB 1, vC 2 at 5) = 1
 *   [6,8] B wins the tie with D at 1 by id (vB 2)   [8,9] D, done (vD 2)
 *   [9,11] A wins the tie with B at 2 by id, done   [11,13] B, done. */
static void test_fair_vruntime_schedule(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {1};
    ts_compute *c = make(&e, 1, cores, NULL, NULL, 2 * TS_MS, &log);
    int a = add(c, fair(0, 4 * TS_MS, 1024));
    int b = add(c, fair(0, 6 * TS_MS, 2048));
    int cc = add(c, fair(0, 2 * TS_MS, 512));
    int d = add(c, fair(5 * TS_MS, TS_MS, 1024));
    start(c);
    ts_engine_run(e, 50 * TS_MS);
    assert_int_equal(find(&log, a, 0)->start, 0);
    assert_int_equal(find(&log, a, 0)->finish, 11 * TS_MS);
    assert_int_equal(find(&log, a, 0)->preemptions, 1);
    assert_int_equal(find(&log, b, 0)->start, 2 * TS_MS);
    assert_int_equal(find(&log, b, 0)->finish, 13 * TS_MS);
    assert_int_equal(find(&log, b, 0)->preemptions, 2);
    assert_int_equal(find(&log, cc, 0)->start, 4 * TS_MS);
    assert_int_equal(find(&log, cc, 0)->finish, 6 * TS_MS);
    assert_int_equal(find(&log, cc, 0)->preemptions, 0);
    assert_int_equal(find(&log, d, 0)->start, 8 * TS_MS);
    assert_int_equal(find(&log, d, 0)->finish, 9 * TS_MS);
    ts_compute_free(c);
    ts_engine_free(e);
}

/* ---- GPU ---- */

static void test_gpu_queue_timing(void **state)
{
    (void)state;
    for (int slow = 0; slow < 2; slow++) {
        ts_engine *e;
        job_log log;
        int cores[] = {2}, gpus[] = {1};
        ts_compute *c = make(&e, 1, cores, gpus, NULL, 0, &log);
        /* a and b: 1 ms CPU then a 5 ms kernel (10 ms at half GPU clock);
         * the one GPU serves a's kernel, then b's. q (CPU only) arrives at
         * 1 ms and finds a core: the CPU parts released theirs. */
        ts_task_desc a = once(0, 5, 0, TS_MS);
        a.gpu_ns = 5 * TS_MS;
        ts_task_desc b = a;
        b.priority = 4;
        int ia = add(c, a), ib = add(c, b);
        int iq = add(c, once(0, 1, TS_MS, TS_MS));
        ts_time k = slow ? 10 * TS_MS : 5 * TS_MS;
        if (slow)
            assert_int_equal(ts_compute_set_speed(c, 0, 1.0, 0.5), TS_OK);
        start(c);
        ts_engine_run(e, TS_MS + TS_MS / 2);
        ts_compute_node_stat st;
        ts_compute_node_stat_get(c, 0, &st);
        assert_int_equal(st.busy_gpus, 1);
        assert_int_equal(st.busy_cores, 1);
        ts_engine_run(e, 50 * TS_MS);
        const ts_job_record *ja = find(&log, ia, 0), *jb = find(&log, ib, 0);
        assert_int_equal(ja->cpu_finish, TS_MS);
        assert_int_equal(ja->gpu_start, TS_MS);
        assert_int_equal(ja->finish, TS_MS + k);
        assert_int_equal(jb->cpu_finish, TS_MS);
        assert_int_equal(jb->gpu_start, TS_MS + k);
        assert_int_equal(jb->finish, TS_MS + 2 * k);
        assert_int_equal(find(&log, iq, 0)->start, TS_MS);
        assert_int_equal(find(&log, iq, 0)->finish, 2 * TS_MS);
        ts_compute_node_stat_get(c, 0, &st);
        assert_int_equal(st.gpu_busy_ns, 2 * k);
        assert_int_equal(st.core_busy_ns, 3 * TS_MS);
        ts_compute_free(c);
        ts_engine_free(e);
    }
}

/* Gang scheduling on a node of 4 GPUs and 4 cores (each task on its own
 * core), by hand, in ms, with k the GPU time factor (1, or 2 at half the
 * GPU clock):
 *  - w: 1 ms CPU from 0, then a 6 ms kernel on one GPU: GPU 0 from 1 to
 *    1+6k.
 *  - g: 1 ms CPU from 0, then 12 ms of GPU work on 4 GPUs at once,
 *    submitted at 1 ms behind w (same instant: task order): only 3 GPUs
 *    are free, so it waits for w's, then holds all 4 and runs 12 / 4 = 3
 *    ms each: 1+6k to 1+9k.
 *  - s: 2 ms CPU, then a 1 ms kernel on one GPU, submitted at 2 ms behind
 *    g: it waits although 3 GPUs are free (FIFO, no backfill) and runs
 *    from g's end: 1+9k to 1+10k.
 *  - h: a second 4-GPU gang (8 ms of work) submitted at 3 ms behind s:
 *    after g, s holds one GPU, so h starts at s's end and runs 8 / 4 = 2
 *    ms each: 1+10k to 1+12k. */
static void test_gpu_gang_timing(void **state)
{
    (void)state;
    for (int slow = 0; slow < 2; slow++) {
        ts_engine *e;
        job_log log;
        int cores[] = {4}, gpus[] = {4};
        ts_compute *c = make(&e, 1, cores, gpus, NULL, 0, &log);
        ts_task_desc w = once(0, 1, 0, TS_MS);
        w.gpu_ns = 6 * TS_MS;
        ts_task_desc g = once(0, 1, 0, TS_MS);
        g.gpu_ns = 12 * TS_MS;
        g.gang_gpus = 4;
        ts_task_desc sd = once(0, 1, 0, 2 * TS_MS);
        sd.gpu_ns = TS_MS;
        ts_task_desc h = once(0, 1, 0, 3 * TS_MS);
        h.gpu_ns = 8 * TS_MS;
        h.gang_gpus = 4;
        int iw = add(c, w), ig = add(c, g), is = add(c, sd), ih = add(c, h);
        ts_time k = slow ? 2 : 1;
        if (slow)
            assert_int_equal(ts_compute_set_speed(c, 0, 1.0, 0.5), TS_OK);
        start(c);
        ts_engine_run(e, TS_MS + 6 * k * TS_MS + TS_MS / 2);
        ts_compute_node_stat st;
        ts_compute_node_stat_get(c, 0, &st);
        assert_int_equal(st.busy_gpus, 4);        /* g holds them all */
        ts_engine_run(e, 100 * TS_MS);
        assert_int_equal(find(&log, iw, 0)->gpu_start, TS_MS);
        assert_int_equal(find(&log, iw, 0)->finish, (1 + 6 * k) * TS_MS);
        assert_int_equal(find(&log, ig, 0)->gpu_start, (1 + 6 * k) * TS_MS);
        assert_int_equal(find(&log, ig, 0)->finish, (1 + 9 * k) * TS_MS);
        assert_int_equal(find(&log, is, 0)->gpu_start, (1 + 9 * k) * TS_MS);
        assert_int_equal(find(&log, is, 0)->finish, (1 + 10 * k) * TS_MS);
        assert_int_equal(find(&log, ih, 0)->gpu_start, (1 + 10 * k) * TS_MS);
        assert_int_equal(find(&log, ih, 0)->finish, (1 + 12 * k) * TS_MS);
        ts_compute_node_stat_get(c, 0, &st);
        /* GPU-time: w 6k, g 4 x 3k, s k, h 4 x 2k */
        assert_int_equal(st.gpu_busy_ns, (6 + 12 + 1 + 8) * k * TS_MS);
        assert_int_equal(st.busy_gpus, 0);
        ts_compute_free(c);
        ts_engine_free(e);
    }
}

/* A gang larger than its node, on a shared GPU, or larger than the
 * node's GPUs no shared task is bound to, is refused. */
static void test_gpu_gang_checks(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {1}, gpus[] = {2};
    ts_compute *c = make(&e, 1, cores, gpus, NULL, 0, &log);
    ts_task_desc g = once(0, 1, 0, TS_MS);
    g.gpu_ns = TS_MS;
    g.gang_gpus = 3;
    ts_error err;
    assert_int_equal(ts_compute_add_task(c, &g, NULL, &err), TS_EINVAL);
    assert_non_null(strstr(err.msg, "needs 3 whole GPUs at once but node 0 has 2"));
    g.gang_gpus = 2;
    g.shared_gpu = 1;
    assert_int_equal(ts_compute_add_task(c, &g, NULL, &err), TS_EINVAL);
    /* GPU 0 time-sliced by a bound task: only one whole GPU is left for
     * a gang of 2, which would wait forever; refused at start. */
    ts_task_desc sh = once(0, 1, 0, TS_MS);
    sh.gpu_ns = TS_MS;
    sh.shared_gpu = 1;
    add(c, sh);
    g.shared_gpu = 0;
    add(c, g);
    assert_int_equal(ts_compute_start(c, &err), TS_EINVAL);
    assert_non_null(strstr(err.msg, "needs 2 whole GPUs at once but node 0 has 1 not bound"));
    ts_compute_free(c);
    ts_engine_free(e);
}

/* Four tasks bound to one time-sliced GPU (a quarter each in the
 * scenario), timeslice 1 ms, each on its own core so the CPU parts end
 * exactly at their exec. Kernels: a 3 ms, b 2.5 ms, c 1 ms, d 0.4 ms,
 * submitted at 1 ms (a, b), 1.5 ms (c) and 3.2 ms (d). The round robin,
 * by hand (ring = the ready contexts, oldest turn first):
 *   1.0  a, b submit; a starts (slice 1.0-2.0), ring [b]
 *   1.5  c submits, ring [b c]
 *   2.0  a's slice over, 2 ms left: a to the back, b runs, ring [c a]
 *   3.0  b's slice over, 1.5 ms left: ring [a b], c runs
 *   3.2  d submits, ring [a b d]
 *   4.0  c's kernel ends with its slice (the end wins): c done at 4.0;
 *        a runs, ring [b d]
 *   5.0  a's slice over, 1 ms left: ring [d a], b runs (1.5 ms left)
 *   6.0  b's slice over, 0.5 ms left: ring [a b], d runs
 *   6.4  d done; a runs its last 1 ms, ring [b]
 *   7.4  a done (its end and its boundary coincide); b runs 0.5 ms
 *   7.9  b done.
 * Response times (all released at 0): a 7.4 ms, b 7.9 ms, c 4 ms,
 * d 6.4 ms; the GPU busy without a gap from 1.0 to 7.9 (6.9 ms = the
 * kernels' sum). A whole-GPU task w on the same node takes GPU 1 (no
 * task is bound to it) at 1 ms and is not delayed by the shared one.
 * Node 1 (timeslice 2 ms): e's 5 ms kernel runs alone from 1 ms, its
 * slices renewing at 3 and 5 ms; f submits at 2.3 ms and waits for the
 * 3 ms boundary, not for a fresh slice: f 3.0-4.0, e resumes at 4.0 with
 * 3 ms left and ends at 7.0. */
/* A kernel with its own power (gpu_power_w, a model variant's) is
 * reported with the load: how many busy GPUs run one and their watts.
 * a: 1 ms CPU then a 5 ms kernel at 4 W; b: 1 ms CPU then a 2 ms kernel
 * at the node's gpu_dyn; both released at 0 on two cores and two GPUs. */
typedef struct own_log {
    int n;
    ts_time t[16];
    int cores[16], gpus[16], own[16];
    double w[16];
    ts_engine *e;
} own_log;

static void log_load_ex(void *ctx, int node, int cores, int gpus, int own, double w)
{
    (void)node;
    own_log *l = ctx;
    assert_true(l->n < 16);
    l->t[l->n] = ts_engine_now(l->e);
    l->cores[l->n] = cores;
    l->gpus[l->n] = gpus;
    l->own[l->n] = own;
    l->w[l->n++] = w;
}

static void own_done(void *ctx, const ts_job_record *j)
{
    (void)ctx;
    (void)j;
}

static void test_gpu_own_power_reported(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(64);
    own_log l = {.e = e};
    int cores[] = {2}, gpus[] = {2};
    ts_compute_config cfg = {.n_nodes = 1, .cores = cores, .gpus = gpus,
                             .done = own_done, .load_ex = log_load_ex, .ctx = &l};
    ts_compute *c;
    ts_error err;
    assert_int_equal(ts_compute_new(e, &cfg, &c, &err), TS_OK);
    ts_task_desc a = once(0, 5, 0, TS_MS);
    a.gpu_ns = 5 * TS_MS;
    a.gpu_power_w = 4.0;
    ts_task_desc b = once(0, 4, 0, TS_MS);
    b.gpu_ns = 2 * TS_MS;
    add(c, a);
    add(c, b);
    ts_task_desc bad = a;
    bad.gpu_power_w = -1;
    assert_int_equal(ts_compute_add_task(c, &bad, NULL, &err), TS_EINVAL);
    start(c);
    ts_engine_run(e, 50 * TS_MS);
    static const struct { ts_time t; int cores, gpus, own; double w; } want[] = {
        {0, 2, 0, 0, 0}, {TS_MS, 0, 2, 1, 4.0}, {3 * TS_MS, 0, 1, 1, 4.0},
        {6 * TS_MS, 0, 0, 0, 0}};
    assert_int_equal(l.n, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(l.t[i], want[i].t);
        assert_int_equal(l.cores[i], want[i].cores);
        assert_int_equal(l.gpus[i], want[i].gpus);
        assert_int_equal(l.own[i], want[i].own);
        assert_true(l.w[i] == want[i].w);
    }
    ts_compute_free(c);
    ts_engine_free(e);
}

static void test_gpu_time_slices(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {5, 2}, gpus[] = {2, 1};
    ts_time slices[] = {TS_MS, 2 * TS_MS};
    e = ts_engine_new(64);
    assert_non_null(e);
    memset(&log, 0, sizeof log);
    log.engine = e;
    ts_compute_config cfg = {.n_nodes = 2, .cores = cores, .gpus = gpus,
                             .gpu_timeslice = slices, .done = log_job,
                             .load = log_load, .event = log_event, .ctx = &log};
    ts_compute *c;
    ts_error err;
    assert_int_equal(ts_compute_new(e, &cfg, &c, &err), TS_OK);
    static const struct { ts_time cpu, gpu; } k[] = {
        {TS_MS, 3 * TS_MS}, {TS_MS, 2500 * TS_US}, {1500 * TS_US, TS_MS},
        {3200 * TS_US, 400 * TS_US}};
    int id[4];
    for (int i = 0; i < 4; i++) {
        ts_task_desc d = once(0, 1, 0, k[i].cpu);
        d.gpu_ns = k[i].gpu;
        d.shared_gpu = 1;
        id[i] = add(c, d);
    }
    ts_task_desc w = once(0, 1, 0, TS_MS);
    w.gpu_ns = 2 * TS_MS;
    int iw = add(c, w);
    ts_task_desc te = once(1, 1, 0, TS_MS), tf = once(1, 1, 0, 2300 * TS_US);
    te.gpu_ns = 5 * TS_MS;
    te.shared_gpu = 1;
    tf.gpu_ns = TS_MS;
    tf.shared_gpu = 1;
    int ie = add(c, te), jf = add(c, tf);
    start(c);
    ts_engine_run(e, 20 * TS_MS);

    static const struct { ts_time cpu_end, gpu_start, finish; } want[] = {
        {TS_MS, TS_MS, 7400 * TS_US},
        {TS_MS, 2 * TS_MS, 7900 * TS_US},
        {1500 * TS_US, 3 * TS_MS, 4 * TS_MS},
        {3200 * TS_US, 6 * TS_MS, 6400 * TS_US}};
    for (int i = 0; i < 4; i++) {
        const ts_job_record *j = find(&log, id[i], 0);
        assert_int_equal(j->outcome, TS_JOB_DONE);
        assert_int_equal(j->cpu_finish, want[i].cpu_end);
        assert_int_equal(j->gpu_start, want[i].gpu_start);
        assert_int_equal(j->finish, want[i].finish);
        assert_int_equal(j->finish - j->release, want[i].finish);
    }
    assert_int_equal(find(&log, iw, 0)->gpu_start, TS_MS);
    assert_int_equal(find(&log, iw, 0)->finish, 3 * TS_MS);
    assert_int_equal(find(&log, ie, 0)->gpu_start, TS_MS);
    assert_int_equal(find(&log, ie, 0)->finish, 7 * TS_MS);
    assert_int_equal(find(&log, jf, 0)->gpu_start, 3 * TS_MS);
    assert_int_equal(find(&log, jf, 0)->finish, 4 * TS_MS);
    ts_compute_node_stat st;
    ts_compute_node_stat_get(c, 0, &st);
    assert_int_equal(st.gpu_busy_ns, 6900 * TS_US + 2 * TS_MS);
    ts_compute_node_stat_get(c, 1, &st);
    assert_int_equal(st.gpu_busy_ns, 6 * TS_MS);
    ts_compute_free(c);
    ts_engine_free(e);
}

/* A task bound to a GPU the node does not have is refused; a whole-GPU
 * task on a node whose every GPU is time-sliced cannot start; a stopped
 * context leaves the round robin and the next one runs at once. */
static void test_gpu_share_checks_and_stop(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {3}, gpus[] = {1};
    ts_compute *c = make(&e, 1, cores, gpus, NULL, 0, &log);
    ts_error err;
    ts_task_desc bad = once(0, 1, 0, TS_MS);
    bad.gpu_ns = TS_MS;
    bad.shared_gpu = 2;
    assert_true(ts_compute_add_task(c, &bad, NULL, &err) < 0);
    bad.shared_gpu = -1;
    assert_true(ts_compute_add_task(c, &bad, NULL, &err) < 0);
    ts_task_desc a = once(0, 1, 0, TS_MS), b = a, whole = a;
    a.gpu_ns = b.gpu_ns = 5 * TS_MS;
    a.shared_gpu = b.shared_gpu = 1;
    whole.gpu_ns = TS_MS;
    int ia = add(c, a), ib = add(c, b);
    add(c, whole);
    assert_int_equal(ts_compute_start(c, &err), TS_EINFEASIBLE);
    ts_compute_free(c);
    ts_engine_free(e);

    /* a runs 1.0-2.024 (one default 1024 us slice), b from 2.024; b is
     * stopped at 2.5 ms: a takes the GPU back at 2.5 and, alone, runs
     * its remaining 3.976 ms to 6.476 ms. */
    c = make(&e, 1, cores, gpus, NULL, 0, &log);
    ia = add(c, a);
    ib = add(c, b);
    start(c);
    change stop = run_flag(c, ib, 0);
    at(e, 2500 * TS_US, &stop);
    ts_engine_run(e, 20 * TS_MS);
    const ts_job_record *ja = find(&log, ia, 0), *jb = find(&log, ib, 0);
    assert_int_equal(jb->outcome, TS_JOB_STOPPED);
    assert_int_equal(jb->gpu_start, TS_MS + TS_COMPUTE_GPU_TIMESLICE_DEFAULT);
    assert_int_equal(ja->gpu_start, TS_MS);
    assert_int_equal(ja->finish, 2500 * TS_US + 5 * TS_MS - TS_COMPUTE_GPU_TIMESLICE_DEFAULT);
    ts_compute_free(c);
    ts_engine_free(e);
}

/* Hard partitions (MIG-style) of one GPU: a with half, b with a quarter;
 * both submit at 1 ms and run at once, side by side. a's 2 ms kernel at
 * half speed and b's 0.75 ms at a quarter would end at 5 and 4 ms; the
 * GPU clock halves at 3 ms: by then a has done 1 ms of work (2 ms x 0.5)
 * and b 0.5 ms (2 ms x 0.25); a's last 1 ms at 0.25 takes 4 ms (ends at
 * 7 ms), b's last 0.25 ms at 0.125 takes 2 ms (ends at 5 ms). GPU busy
 * time counts each partition's share: a 0.5 x 6 ms + b 0.25 x 4 ms =
 * 4 ms. The load observer sees one busy GPU from 1 to 7 ms. A whole-GPU
 * task w on GPU 1 is untouched. Partitions over one GPU, or mixed with
 * time slices on one GPU, are refused at start. */
static void test_gpu_partitions(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {3}, gpus[] = {2};
    ts_compute *c = make(&e, 1, cores, gpus, NULL, 0, &log);
    ts_task_desc a = once(0, 1, 0, TS_MS), b = a, w = a;
    a.gpu_ns = 2 * TS_MS;
    a.shared_gpu = 1;
    a.gpu_partition_milli = 500;
    b.gpu_ns = 750 * TS_US;
    b.shared_gpu = 1;
    b.gpu_partition_milli = 250;
    w.gpu_ns = TS_MS;
    int ia = add(c, a), ib = add(c, b), iw = add(c, w);
    start(c);
    change slow = {.c = c, .what = 0, .node = 0, .cpu = 1.0, .gpu = 0.5};
    at(e, 3 * TS_MS, &slow);
    ts_engine_run(e, 20 * TS_MS);
    const ts_job_record *ja = find(&log, ia, 0), *jb = find(&log, ib, 0);
    assert_int_equal(ja->gpu_start, TS_MS);
    assert_int_equal(jb->gpu_start, TS_MS);
    assert_int_equal(ja->finish, 7 * TS_MS);
    assert_int_equal(jb->finish, 5 * TS_MS);
    /* w: GPU 1 from 1 ms, its 1 ms kernel done at 2 ms, before the clock halves */
    assert_int_equal(find(&log, iw, 0)->gpu_start, TS_MS);
    assert_int_equal(find(&log, iw, 0)->finish, 2 * TS_MS);
    ts_compute_node_stat st;
    ts_compute_node_stat_get(c, 0, &st);
    assert_int_equal(st.gpu_busy_ns, 4 * TS_MS + TS_MS);
    int busy_at_6 = -1;
    for (int i = 0; i < log.n_loads; i++)
        if (log.loads[i].t <= 6 * TS_MS)
            busy_at_6 = log.loads[i].gpus;
    assert_int_equal(busy_at_6, 1);
    assert_int_equal(log.loads[log.n_loads - 1].gpus, 0);
    ts_compute_free(c);
    ts_engine_free(e);

    ts_error err;
    c = make(&e, 1, cores, gpus, NULL, 0, &log);
    b.gpu_partition_milli = 600;
    add(c, a);
    add(c, b);
    assert_int_equal(ts_compute_start(c, &err), TS_EINFEASIBLE);
    ts_compute_free(c);
    ts_engine_free(e);
    c = make(&e, 1, cores, gpus, NULL, 0, &log);
    b.gpu_partition_milli = 0;
    add(c, a);
    add(c, b);
    assert_int_equal(ts_compute_start(c, &err), TS_EINFEASIBLE);
    a.shared_gpu = 0;
    assert_true(ts_compute_add_task(c, &a, NULL, &err) < 0);
    ts_compute_free(c);
    ts_engine_free(e);
}

/* ---- Speed ---- */

static void test_speed_change_mid_job(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {1}, gpus[] = {1};
    ts_compute *c = make(&e, 1, cores, gpus, NULL, 0, &log);
    /* 4 ms of work: 1 ms at full speed, 2 ms at half (1 ms of work), the
     * last 2 ms of work at double speed: done at 4 ms. Then its 6 ms
     * kernel: 2 ms at full GPU speed until 6 ms, the other 4 at a third
     * of the GPU clock: 12 ms, ending at 18 ms. */
    ts_task_desc t = once(0, 1, 0, 4 * TS_MS);
    t.gpu_ns = 6 * TS_MS;
    int id = add(c, t);
    change half = {.c = c, .cpu = 0.5, .gpu = 1.0},
           twice = {.c = c, .cpu = 2.0, .gpu = 1.0},
           gpu_third = {.c = c, .cpu = 2.0, .gpu = 1.0 / 3.0};
    at(e, TS_MS, &half);
    at(e, 3 * TS_MS, &twice);
    at(e, 6 * TS_MS, &gpu_third);
    start(c);
    ts_engine_run(e, 30 * TS_MS);
    const ts_job_record *j = find(&log, id, 0);
    assert_int_equal(j->work, 4 * TS_MS);
    assert_int_equal(j->cpu_finish, 4 * TS_MS);
    assert_int_equal(j->finish, 18 * TS_MS);
    ts_compute_node_stat st;
    ts_compute_node_stat_get(c, 0, &st);
    assert_true(st.cpu_scale == 2.0);
    assert_int_equal(st.core_busy_ns, 4 * TS_MS);
    assert_int_equal(st.gpu_busy_ns, 14 * TS_MS);
    assert_int_equal(ts_compute_set_speed(c, 0, 0.0, 1.0), TS_EINVAL);
    ts_compute_free(c);
    ts_engine_free(e);
}

/* ---- Memory ---- */

static void test_oom_kill_event(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {2};
    int64_t mem[] = {1000};
    ts_compute *c = make(&e, 1, cores, NULL, mem, 0, &log);
    /* a holds 600 bytes from 0; b's 500 at 1 ms would make 1100: b is
     * killed, reported, and never runs again; a is untouched. */
    ts_task_desc a = td(0, 1, 2 * TS_MS, 0, 2 * TS_MS, TS_US, TS_US);
    a.memory_bytes = 600;
    ts_task_desc b = a;
    b.offset = TS_MS;
    b.memory_bytes = 500;
    b.component = "planner";
    int ia = add(c, a), ib = add(c, b);
    start(c);
    ts_engine_run(e, 10 * TS_MS);
    assert_int_equal(log.n_events, 1);
    assert_string_equal(ts_event_kind_name(log.events[0].kind), "oom_kill");
    assert_int_equal(log.events[0].time, TS_MS);
    assert_int_equal(log.events[0].node, 0);
    assert_int_equal(log.events[0].component, ib);
    assert_true(log.events[0].value == 500);
    assert_non_null(strstr(log.events[0].detail, "planner"));
    int nb = 0, na = 0;
    for (int i = 0; i < log.n; i++) {
        if (log.jobs[i].task == ib) {
            nb++;
            assert_int_equal(log.jobs[i].outcome, TS_JOB_KILLED);
            assert_int_equal(log.jobs[i].finish, -1);
            assert_int_equal(log.jobs[i].release, TS_MS);
        } else {
            na += log.jobs[i].task == ia && log.jobs[i].finish >= 0;
        }
    }
    assert_int_equal(nb, 1);
    assert_int_equal(na, 5);
    assert_false(ts_compute_task_alive(c, ib));
    assert_true(ts_compute_task_alive(c, ia));
    ts_compute_node_stat st;
    ts_compute_node_stat_get(c, 0, &st);
    assert_int_equal(st.memory_used, 600);
    assert_int_equal(st.memory_bytes, 1000);
    ts_compute_free(c);
    ts_engine_free(e);
}

/* A fleet's tasks: their names share one block and their descriptions
 * one copy, so adding tasks makes a few allocations in all, not a few
 * each; every name still reaches its events. */
static long allocations_for_fleet(int robots, int *last_task)
{
    ts_engine *e;
    job_log *log = calloc(1, sizeof *log);
    assert_non_null(log);
    int *cores = malloc((size_t)robots * sizeof *cores);
    int64_t *mem = malloc((size_t)robots * sizeof *mem);
    assert_non_null(cores);
    assert_non_null(mem);
    for (int i = 0; i < robots; i++) {
        cores[i] = 1;
        mem[i] = 1000;
    }
    long base = ts_alloc_live();
    ts_compute *c = make(&e, (size_t)robots, cores, NULL, mem, 0, log);
    log->count_only = 1;      /* a job a robot is more than the log holds */
    char name[32];
    for (int i = 0; i < robots; i++) {
        ts_task_desc t = td(i, 50, 10 * TS_MS, 0, 10 * TS_MS, TS_US, TS_US);
        /* the last robot's task needs more memory than its node has */
        t.memory_bytes = i == robots - 1 ? 2000 : 100;
        snprintf(name, sizeof name, "r%d_pub", i);
        t.component = name;
        *last_task = add(c, t);
    }
    start(c);
    long made = ts_alloc_live() - base;
    ts_engine_run(e, TS_MS);
    assert_int_equal(log->n_events, 1);
    assert_string_equal(ts_event_kind_name(log->events[0].kind), "oom_kill");
    assert_int_equal(log->events[0].component, *last_task);
    snprintf(name, sizeof name, "r%d_pub", robots - 1);
    assert_non_null(strstr(log->events[0].detail, name));
    ts_compute_free(c);
    ts_engine_free(e);
    assert_int_equal(ts_alloc_live(), base);
    free(cores);
    free(mem);
    free(log);
    return made;
}

static void test_fleet_tasks_share_blocks(void **state)
{
    (void)state;
    int last;
    long small = allocations_for_fleet(10, &last);
    assert_int_equal(last, 9);
    long large = allocations_for_fleet(1000, &last);
    assert_int_equal(last, 999);
    assert_int_equal(large, small);
}

/* ---- Online cores, node down and up ---- */

static void test_offline_cores_requeue(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {2};
    ts_compute *c = make(&e, 1, cores, NULL, NULL, 0, &log);
    /* hi on core 0, lo on core 1, 4 ms each; core 1 goes offline at 1 ms:
     * lo waits (3 ms left) until hi ends at 4 and ends at 7. */
    int hi = add(c, once(0, 5, 0, 4 * TS_MS));
    int lo = add(c, once(0, 1, 0, 4 * TS_MS));
    change off = {.c = c, .what = 1, .node = 0, .n = 1};
    at(e, TS_MS, &off);
    start(c);
    ts_engine_run(e, 2 * TS_MS);
    ts_compute_node_stat st;
    ts_compute_node_stat_get(c, 0, &st);
    assert_int_equal(st.online_cores, 1);
    assert_int_equal(st.busy_cores, 1);
    assert_int_equal(st.run_queue, 1);
    assert_int_equal(st.online_core_ns, 2 * TS_MS + TS_MS);
    ts_engine_run(e, 20 * TS_MS);
    assert_int_equal(find(&log, hi, 0)->finish, 4 * TS_MS);
    assert_int_equal(find(&log, lo, 0)->start, 0);
    assert_int_equal(find(&log, lo, 0)->finish, 7 * TS_MS);
    assert_int_equal(find(&log, lo, 0)->preemptions, 1);
    assert_int_equal(ts_compute_core_busy_ns(c, 0, 1), TS_MS);
    ts_compute_free(c);
    ts_engine_free(e);
}

static void test_node_down_and_up(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {1};
    int64_t mem[] = {1 << 20};
    ts_compute *c = make(&e, 1, cores, NULL, mem, 0, &log);
    /* a: 4 ms every 10 ms, holding 1 KiB; b waits behind it. Down at
     * 2 ms: a's job (running) and b's (waiting) end unfinished; the
     * release at 10 ms is skipped; up at 15 ms; the 20 ms release runs. */
    ts_task_desc a = td(0, 5, 10 * TS_MS, 0, 10 * TS_MS, 4 * TS_MS, 4 * TS_MS);
    a.memory_bytes = 1024;
    ts_task_desc b = a;
    b.priority = 1;
    b.memory_bytes = 0;
    int ia = add(c, a), ib = add(c, b);
    change down = {.c = c, .what = 2, .node = 0, .n = 0};
    change up = {.c = c, .what = 2, .node = 0, .n = 1};
    at(e, 2 * TS_MS, &down);
    at(e, 15 * TS_MS, &up);
    start(c);
    ts_engine_run(e, 12 * TS_MS);
    assert_int_equal(log.n, 2);
    assert_int_equal(log.jobs[0].task, ia);
    assert_int_equal(log.jobs[0].start, 0);
    assert_int_equal(log.jobs[0].finish, -1);
    assert_int_equal(log.jobs[0].outcome, TS_JOB_NODE_DOWN);
    assert_int_equal(log.jobs[1].task, ib);
    assert_int_equal(log.jobs[1].start, -1);
    assert_int_equal(log.jobs[1].outcome, TS_JOB_NODE_DOWN);
    ts_compute_node_stat st;
    ts_compute_node_stat_get(c, 0, &st);
    assert_int_equal(st.up, 0);
    assert_int_equal(st.busy_cores, 0);
    assert_int_equal(st.memory_used, 0);
    assert_int_equal(st.core_busy_ns, 2 * TS_MS);
    assert_false(ts_compute_task_alive(c, ia));
    ts_engine_run(e, 30 * TS_MS);
    assert_int_equal(log.n, 4);
    const ts_job_record *a1 = find(&log, ia, 1);
    assert_int_equal(a1->release, 20 * TS_MS);
    assert_int_equal(a1->finish, 24 * TS_MS);
    assert_int_equal(find(&log, ib, 1)->finish, 28 * TS_MS);
    assert_int_equal(log.n_events, 2);
    assert_string_equal(ts_event_kind_name(log.events[0].kind), "node_down");
    assert_int_equal(log.events[0].time, 2 * TS_MS);
    assert_string_equal(ts_event_kind_name(log.events[1].kind), "node_up");
    assert_int_equal(log.events[1].time, 15 * TS_MS);
    ts_compute_node_stat_get(c, 0, &st);
    assert_int_equal(st.memory_used, 1024);
    /* Online-core time counts only while up: 2 + 15 ms of 30. */
    assert_int_equal(st.online_core_ns, 17 * TS_MS);
    ts_compute_free(c);
    ts_engine_free(e);
}

/* ---- Load observer ---- */

static void test_load_callback_sequence(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {2}, gpus[] = {1};
    ts_compute *c = make(&e, 1, cores, gpus, NULL, 0, &log);
    /* a: 2 ms CPU then 3 ms kernel; b: 4 ms CPU from 1 ms. Busy
     * (cores, GPUs): 0 → (1,0); 1 → (2,0); 2 → (1,1); at 5 both the
     * kernel and b end: one report (0,0), not an intermediate one. */
    ts_task_desc a = once(0, 1, 0, 2 * TS_MS);
    a.gpu_ns = 3 * TS_MS;
    add(c, a);
    add(c, once(0, 1, TS_MS, 4 * TS_MS));
    start(c);
    ts_engine_run(e, 20 * TS_MS);
    static const struct { ts_time t; int cores, gpus; } want[] = {
        {0, 1, 0}, {TS_MS, 2, 0}, {2 * TS_MS, 1, 1}, {5 * TS_MS, 0, 0}};
    assert_int_equal(log.n_loads, 4);
    assert_int_equal(log.loads_dropped, 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(log.loads[i].t, want[i].t);
        assert_int_equal(log.loads[i].node, 0);
        assert_int_equal(log.loads[i].cores, want[i].cores);
        assert_int_equal(log.loads[i].gpus, want[i].gpus);
    }
    ts_compute_free(c);
    ts_engine_free(e);
}

/* ---- Stopping, starting and retiming tasks ---- */

static void test_stop_mid_job_and_restart(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {1};
    int64_t mem[] = {4096};
    ts_compute *c = make(&e, 1, cores, NULL, mem, 0, &log);
    /* a: 4 ms every 10 ms holding 1000 bytes; b (lower priority, one shot,
     * 3 ms) waits behind it. a is stopped at 2 ms: its job is reported
     * then, stopped, and b gets the core at once, [2,5]. a's releases at
     * 10 and 20 ms record nothing; started at 25 ms it resumes on its grid
     * at 30 ms, [30,34], and holds its memory again. */
    ts_task_desc a = td(0, 5, 10 * TS_MS, 0, 10 * TS_MS, 4 * TS_MS, 4 * TS_MS);
    a.memory_bytes = 1000;
    int ia = add(c, a);
    int ib = add(c, once(0, 1, 0, 3 * TS_MS));
    change stop = run_flag(c, ia, 0), go = run_flag(c, ia, 1);
    at(e, 2 * TS_MS, &stop);
    at(e, 25 * TS_MS, &go);
    start(c);
    ts_engine_run(e, 2 * TS_MS);
    assert_int_equal(log.n, 1);
    const ts_job_record *a0 = &log.jobs[0];
    assert_int_equal(a0->task, ia);
    assert_int_equal(a0->seq, 0);
    assert_int_equal(a0->release, 0);
    assert_int_equal(a0->start, 0);
    assert_int_equal(a0->finish, -1);
    assert_int_equal(a0->cpu_finish, -1);
    assert_int_equal(a0->work, 4 * TS_MS);
    assert_int_equal(a0->outcome, TS_JOB_STOPPED);
    assert_int_equal(log.reported[0], 2 * TS_MS);
    ts_compute_node_stat st;
    ts_compute_node_stat_get(c, 0, &st);
    assert_int_equal(st.busy_cores, 1);      /* b took the core */
    assert_int_equal(st.run_queue, 0);
    assert_int_equal(st.memory_used, 0);
    assert_false(ts_compute_task_running(c, ia));
    assert_false(ts_compute_task_alive(c, ia));
    assert_true(ts_compute_task_running(c, ib));
    assert_int_equal(log.n_events, 1);
    assert_string_equal(ts_event_kind_name(log.events[0].kind), "task_stopped");
    assert_int_equal(log.events[0].time, 2 * TS_MS);
    assert_int_equal(log.events[0].node, 0);
    assert_int_equal(log.events[0].component, ia);
    assert_true(log.events[0].value == 0);
    assert_non_null(strstr(log.events[0].detail, "task 0"));

    ts_engine_run(e, 29 * TS_MS);
    assert_int_equal(log.n, 2);
    assert_int_equal(find(&log, ib, 0)->start, 2 * TS_MS);
    assert_int_equal(find(&log, ib, 0)->finish, 5 * TS_MS);
    assert_int_equal(log.n_events, 2);
    assert_string_equal(ts_event_kind_name(log.events[1].kind), "task_started");
    assert_int_equal(log.events[1].time, 25 * TS_MS);
    assert_int_equal(log.events[1].component, ia);
    assert_true(ts_compute_task_running(c, ia));
    assert_true(ts_compute_task_alive(c, ia));
    ts_compute_node_stat_get(c, 0, &st);
    assert_int_equal(st.memory_used, 0);     /* claimed at the next release */

    ts_engine_run(e, 39 * TS_MS);
    assert_int_equal(log.n, 3);
    const ts_job_record *a1 = find(&log, ia, 1);
    assert_int_equal(a1->release, 30 * TS_MS);
    assert_int_equal(a1->start, 30 * TS_MS);
    assert_int_equal(a1->finish, 34 * TS_MS);
    assert_int_equal(a1->outcome, TS_JOB_DONE);
    ts_compute_node_stat_get(c, 0, &st);
    assert_int_equal(st.memory_used, 1000);
    assert_int_equal(st.core_busy_ns, 2 * TS_MS + 3 * TS_MS + 4 * TS_MS);
    /* The core changed hands at 2 ms without going idle. */
    static const struct { ts_time t; int cores; } want[] = {
        {0, 1}, {5 * TS_MS, 0}, {30 * TS_MS, 1}, {34 * TS_MS, 0}};
    assert_int_equal(log.n_loads, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(log.loads[i].t, want[i].t);
        assert_int_equal(log.loads[i].cores, want[i].cores);
    }
    ts_compute_free(c);
    ts_engine_free(e);
}

/* A task stopped at the instant of its release, after the release but
 * before that instant's scheduling decision, never gets the idle core:
 * h runs on core 0 from 0; f (fair) and g (FIFO) are released at 1 ms and
 * stopped at once (the stops are queued behind the releases); core 1
 * stays idle, both jobs are reported stopped and unstarted, and g,
 * started again at 2 ms, runs its 3 ms release on core 1 and, h done,
 * those at 5, 7 and 9 ms on core 0, the lowest idle one. */
static void test_stop_between_release_and_dispatch(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {2};
    ts_compute *c = make(&e, 1, cores, NULL, NULL, 0, &log);
    int ih = add(c, once(0, 9, 0, 5 * TS_MS));
    ts_task_desc fd = fair(TS_MS, TS_MS, 0);
    int iff = add(c, fd);
    int ig = add(c, td(0, 5, 2 * TS_MS, TS_MS, 2 * TS_MS, TS_MS, TS_MS));
    start(c);
    change stop_f = run_flag(c, iff, 0), stop_g = run_flag(c, ig, 0);
    change start_g = run_flag(c, ig, 1);
    at(e, TS_MS, &stop_f);    /* after start(): behind the releases */
    at(e, TS_MS, &stop_g);
    at(e, 2 * TS_MS, &start_g);
    ts_engine_run(e, TS_MS + TS_MS / 2);
    assert_int_equal(log.n, 2);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(log.jobs[k].start, -1);
        assert_int_equal(log.jobs[k].outcome, TS_JOB_STOPPED);
    }
    ts_compute_node_stat st;
    ts_compute_node_stat_get(c, 0, &st);
    assert_int_equal(st.run_queue, 0);
    assert_int_equal(st.busy_cores, 1);
    assert_int_equal(ts_compute_core_busy_ns(c, 0, 1), 0);
    ts_engine_run(e, 10 * TS_MS);
    assert_int_equal(find(&log, ih, 0)->finish, 5 * TS_MS);
    assert_int_equal(find(&log, ig, 1)->release, 3 * TS_MS);
    assert_int_equal(find(&log, ig, 1)->start, 3 * TS_MS);
    assert_int_equal(find(&log, ig, 4)->finish, 10 * TS_MS);
    assert_int_equal(ts_compute_core_busy_ns(c, 0, 0), 8 * TS_MS);
    assert_int_equal(ts_compute_core_busy_ns(c, 0, 1), TS_MS);
    ts_compute_free(c);
    ts_engine_free(e);
}

static void test_stop_while_waiting(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {1};
    ts_compute *c = make(&e, 1, cores, NULL, NULL, 0, &log);
    /* h (priority 9, 4 ms) runs from 0; w (priority 5, 1 ms every 1 ms)
     * and l (priority 1, 1 ms) wait. w is stopped at 1.5 ms with its
     * releases at 0 and 1 ms waiting: both are reported then, never
     * started (only the first was current, so only it has drawn work);
     * l follows h at 4 ms, [4,5], and w records nothing more. */
    int ih = add(c, once(0, 9, 0, 4 * TS_MS));
    int iw = add(c, td(0, 5, TS_MS, 0, TS_MS, TS_MS, TS_MS));
    int il = add(c, once(0, 1, 0, TS_MS));
    change stop = run_flag(c, iw, 0);
    at(e, TS_MS + TS_MS / 2, &stop);
    start(c);
    ts_engine_run(e, TS_MS);
    ts_compute_node_stat st;
    ts_compute_node_stat_get(c, 0, &st);
    assert_int_equal(st.run_queue, 3);
    ts_engine_run(e, TS_MS + TS_MS / 2);
    assert_int_equal(log.n, 2);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(log.jobs[k].task, iw);
        assert_int_equal(log.jobs[k].seq, k);
        assert_int_equal(log.jobs[k].release, k * TS_MS);
        assert_int_equal(log.jobs[k].start, -1);
        assert_int_equal(log.jobs[k].finish, -1);
        assert_int_equal(log.jobs[k].outcome, TS_JOB_STOPPED);
        assert_int_equal(log.reported[k], TS_MS + TS_MS / 2);
    }
    assert_int_equal(log.jobs[0].work, TS_MS);
    assert_int_equal(log.jobs[1].work, 0);
    ts_compute_node_stat_get(c, 0, &st);
    assert_int_equal(st.run_queue, 1);       /* l */
    assert_int_equal(st.busy_cores, 1);      /* h undisturbed */
    ts_engine_run(e, 20 * TS_MS);
    assert_int_equal(find(&log, ih, 0)->finish, 4 * TS_MS);
    assert_int_equal(find(&log, ih, 0)->preemptions, 0);
    assert_int_equal(find(&log, il, 0)->start, 4 * TS_MS);
    assert_int_equal(find(&log, il, 0)->finish, 5 * TS_MS);
    assert_int_equal(log.n, 4);
    ts_compute_flush_unfinished(c);
    assert_int_equal(log.n, 4);
    ts_compute_free(c);
    ts_engine_free(e);
}

static void test_stop_frees_gpu_and_queue(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {3}, gpus[] = {1};
    ts_compute *c = make(&e, 1, cores, gpus, NULL, 0, &log);
    /* Four tasks, 1 ms CPU then a 5 ms kernel each, priorities 5..2: a, b,
     * c run [0,1] on the three cores, d [1,2]. a's kernel runs [1,...);
     * b, c, then d queue. Stopping b (queued, mid-queue) at 3 ms keeps c
     * before d; stopping a (on the GPU) at 4 ms hands the GPU to c at
     * once: c [4,9], d [9,14]. */
    int id[4];
    for (int i = 0; i < 4; i++) {
        ts_task_desc t = once(0, 5 - i, 0, TS_MS);
        t.gpu_ns = 5 * TS_MS;
        id[i] = add(c, t);
    }
    change stop_b = run_flag(c, id[1], 0), stop_a = run_flag(c, id[0], 0);
    at(e, 3 * TS_MS, &stop_b);
    at(e, 4 * TS_MS, &stop_a);
    start(c);
    ts_engine_run(e, 30 * TS_MS);
    assert_int_equal(log.n, 4);
    const ts_job_record *ja = find(&log, id[0], 0), *jb = find(&log, id[1], 0);
    assert_int_equal(ja->outcome, TS_JOB_STOPPED);
    assert_int_equal(ja->cpu_finish, TS_MS);
    assert_int_equal(ja->gpu_start, TS_MS);
    assert_int_equal(ja->finish, -1);
    assert_int_equal(jb->outcome, TS_JOB_STOPPED);
    assert_int_equal(jb->cpu_finish, TS_MS);
    assert_int_equal(jb->gpu_start, -1);
    const ts_job_record *jc = find(&log, id[2], 0), *jd = find(&log, id[3], 0);
    assert_int_equal(jc->gpu_start, 4 * TS_MS);
    assert_int_equal(jc->finish, 9 * TS_MS);
    assert_int_equal(jd->cpu_finish, 2 * TS_MS);
    assert_int_equal(jd->gpu_start, 9 * TS_MS);
    assert_int_equal(jd->finish, 14 * TS_MS);
    ts_compute_node_stat st;
    ts_compute_node_stat_get(c, 0, &st);
    assert_int_equal(st.gpu_busy_ns, 3 * TS_MS + 5 * TS_MS + 5 * TS_MS);
    assert_int_equal(st.busy_gpus, 0);
    ts_compute_free(c);
    ts_engine_free(e);
}

static void test_restart_reclaims_memory_under_oom_rule(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {2};
    int64_t mem[] = {1000};
    ts_compute *c = make(&e, 1, cores, NULL, mem, 0, &log);
    /* a (600 bytes, from 0) is stopped at 5 ms while idle: nothing to
     * report, its memory is freed, so b's 500 bytes fit at 7 ms. a started
     * at 8 ms wants its 600 back at its 10 ms release: OOM-killed. With b
     * stopped at 12 ms, a stopped and started again (a fresh process) runs
     * at 20 ms holding its 600 bytes. */
    ts_task_desc a = td(0, 5, 10 * TS_MS, 0, 10 * TS_MS, TS_MS, TS_MS);
    a.memory_bytes = 600;
    ts_task_desc b = a;
    b.offset = 7 * TS_MS;
    b.memory_bytes = 500;
    b.component = "planner";
    int ia = add(c, a), ib = add(c, b);
    change ch[] = {run_flag(c, ia, 0), run_flag(c, ia, 1), run_flag(c, ib, 0),
                   run_flag(c, ia, 0), run_flag(c, ia, 1)};
    ts_time when[] = {5 * TS_MS, 8 * TS_MS, 12 * TS_MS, 13 * TS_MS, 14 * TS_MS};
    for (int i = 0; i < 5; i++)
        at(e, when[i], &ch[i]);
    start(c);
    ts_engine_run(e, 6 * TS_MS);
    ts_compute_node_stat st;
    ts_compute_node_stat_get(c, 0, &st);
    assert_int_equal(st.memory_used, 0);
    assert_int_equal(log.n, 1);              /* a's first job, done */
    ts_engine_run(e, 11 * TS_MS);
    ts_compute_node_stat_get(c, 0, &st);
    assert_int_equal(st.memory_used, 500);
    const ts_job_record *a1 = find(&log, ia, 1);
    assert_int_equal(a1->outcome, TS_JOB_KILLED);
    assert_int_equal(a1->release, 10 * TS_MS);
    assert_true(ts_compute_task_running(c, ia));
    assert_false(ts_compute_task_alive(c, ia));
    ts_engine_run(e, 25 * TS_MS);
    const ts_job_record *a2 = find(&log, ia, 2);
    assert_int_equal(a2->release, 20 * TS_MS);
    assert_int_equal(a2->finish, 21 * TS_MS);
    assert_int_equal(a2->outcome, TS_JOB_DONE);
    assert_int_equal(find(&log, ib, 0)->finish, 8 * TS_MS);
    assert_int_equal(log.n, 4);              /* b's 17 ms release skipped */
    ts_compute_node_stat_get(c, 0, &st);
    assert_int_equal(st.memory_used, 600);
    static const struct { const char *kind; ts_time t; } want[] = {
        {"task_stopped", 5 * TS_MS}, {"task_started", 8 * TS_MS},
        {"oom_kill", 10 * TS_MS}, {"task_stopped", 12 * TS_MS},
        {"task_stopped", 13 * TS_MS}, {"task_started", 14 * TS_MS}};
    assert_int_equal(log.n_events, 6);
    for (int i = 0; i < 6; i++) {
        assert_string_equal(ts_event_kind_name(log.events[i].kind), want[i].kind);
        assert_int_equal(log.events[i].time, want[i].t);
    }
    assert_int_equal(log.events[3].component, ib);
    assert_non_null(strstr(log.events[3].detail, "planner"));
    assert_non_null(strstr(log.events[4].detail, "task 0"));
    ts_compute_free(c);
    ts_engine_free(e);
}

static void test_timing_change_from_next_release(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {1};
    ts_compute *c = make(&e, 1, cores, NULL, NULL, 0, &log);
    /* 2 ms every 10 ms. At 13 ms: every 6 ms, 3 ms each, from the last
     * release (10 ms): 16, 22 (the old grid's 20 is gone). At 27 ms: every
     * 2 ms, 1 ms each; 22 + 2 is past, so the next release is now: 27,
     * 29, 31 (the pending 28 is gone). */
    int id = add(c, td(0, 5, 10 * TS_MS, 0, 10 * TS_MS, 2 * TS_MS, 2 * TS_MS));
    change slow = timing(c, id, 6 * TS_MS, 3 * TS_MS, 3 * TS_MS);
    change fast = timing(c, id, 2 * TS_MS, TS_MS, TS_MS);
    at(e, 13 * TS_MS, &slow);
    at(e, 27 * TS_MS, &fast);
    start(c);
    ts_engine_run(e, 32 * TS_MS);
    static const ts_time want[][3] = {   /* release, start, finish (ms) */
        {0, 0, 2}, {10, 10, 12}, {16, 16, 19}, {22, 22, 25},
        {27, 27, 28}, {29, 29, 30}, {31, 31, 32}};
    assert_int_equal(log.n, 7);
    for (int k = 0; k < 7; k++) {
        assert_int_equal(log.jobs[k].seq, k);
        assert_int_equal(log.jobs[k].release, want[k][0] * TS_MS);
        assert_int_equal(log.jobs[k].start, want[k][1] * TS_MS);
        assert_int_equal(log.jobs[k].finish, want[k][2] * TS_MS);
        assert_int_equal(log.jobs[k].work, (want[k][2] - want[k][1]) * TS_MS);
        assert_int_equal(log.jobs[k].deadline, log.jobs[k].release + 10 * TS_MS);
    }
    ts_compute_free(c);
    ts_engine_free(e);
}

static void test_timing_change_keeps_released_work(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {1};
    ts_compute *c = make(&e, 1, cores, NULL, NULL, 0, &log);
    /* 3 ms every 2 ms, overloaded. At 2.5 ms job 0 runs and job 1
     * (released at 2) waits: both keep 3 ms, [0,3] and [3,6]; the jobs
     * released from 4 ms take 1 ms: [6,7], [7,8], [8,9]. */
    int id = add(c, td(0, 5, 2 * TS_MS, 0, 2 * TS_MS, 3 * TS_MS, 3 * TS_MS));
    change shorter = timing(c, id, 0, TS_MS, TS_MS);
    at(e, 2 * TS_MS + TS_MS / 2, &shorter);
    start(c);
    ts_engine_run(e, 9 * TS_MS + TS_MS / 2);
    static const ts_time want[][3] = {
        {0, 0, 3}, {2, 3, 6}, {4, 6, 7}, {6, 7, 8}, {8, 8, 9}};
    assert_int_equal(log.n, 5);
    for (int k = 0; k < 5; k++) {
        assert_int_equal(log.jobs[k].release, want[k][0] * TS_MS);
        assert_int_equal(log.jobs[k].start, want[k][1] * TS_MS);
        assert_int_equal(log.jobs[k].finish, want[k][2] * TS_MS);
        assert_int_equal(log.jobs[k].work, (want[k][2] - want[k][1]) * TS_MS);
    }
    ts_compute_free(c);
    ts_engine_free(e);
}

static void test_timing_replaces_distribution_and_checks(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {1};
    ts_compute *c = make(&e, 1, cores, NULL, NULL, 0, &log);
    /* A fixed 2 ms distribution, its period set to 5 ms before the start
     * (first release still at the offset, 0). Then a 0.5 ms range replaces
     * the distribution; raising only the upper bound to 0.7 ms keeps the
     * lower (without a stream the model takes the upper bound); a bound
     * below the kept one, or a lone bound while the kept one is the
     * distribution's unset 0, is refused and changes nothing. */
    ts_task_desc t = td(0, 5, 10 * TS_MS, 0, 10 * TS_MS, 0, 0);
    t.exec.kind = TS_DIST_FIXED;
    t.exec.a = 2e6;
    int id = add(c, t);
    assert_int_equal(ts_compute_set_task_timing(c, id, 5 * TS_MS, 0, 0), TS_OK);
    start(c);
    ts_engine_run(e, 3 * TS_MS);
    assert_int_equal(ts_compute_set_task_timing(c, id, 0, 0, TS_MS), TS_EINVAL);
    assert_int_equal(ts_compute_set_task_timing(c, id, 0, 500 * TS_US, 500 * TS_US),
                     TS_OK);
    ts_engine_run(e, 8 * TS_MS);
    assert_int_equal(ts_compute_set_task_timing(c, id, 0, 0, 700 * TS_US), TS_OK);
    ts_engine_run(e, 13 * TS_MS);
    assert_int_equal(ts_compute_set_task_timing(c, id, 0, 0, 400 * TS_US), TS_EINVAL);
    assert_int_equal(ts_compute_set_task_timing(c, id, TS_MS, 0, 400 * TS_US),
                     TS_EINVAL);
    ts_engine_run(e, 18 * TS_MS);
    static const ts_time want[][2] = {   /* release, work (us) */
        {0, 2000}, {5000, 500}, {10000, 700}, {15000, 700}};
    assert_int_equal(log.n, 4);
    for (int k = 0; k < 4; k++) {
        assert_int_equal(log.jobs[k].release, want[k][0] * TS_US);
        assert_int_equal(log.jobs[k].work, want[k][1] * TS_US);
        assert_int_equal(log.jobs[k].finish - log.jobs[k].start, want[k][1] * TS_US);
    }
    ts_compute_free(c);
    ts_engine_free(e);
}

static void test_task_running_idempotent_invalid_and_node_down(void **state)
{
    (void)state;
    ts_engine *e;
    job_log log;
    int cores[] = {1};
    int64_t mem[] = {4096};
    ts_compute *c = make(&e, 1, cores, NULL, mem, 0, &log);
    ts_task_desc a = td(0, 5, 10 * TS_MS, 0, 10 * TS_MS, 4 * TS_MS, 4 * TS_MS);
    a.memory_bytes = 1000;
    int ia = add(c, a);
    assert_int_equal(ts_compute_set_task_running(c, -1, 0), TS_EINVAL);
    assert_int_equal(ts_compute_set_task_running(c, 1, 0), TS_EINVAL);
    assert_int_equal(ts_compute_set_task_timing(c, -1, TS_MS, 0, 0), TS_EINVAL);
    assert_int_equal(ts_compute_set_task_timing(c, 1, TS_MS, 0, 0), TS_EINVAL);
    assert_int_equal(ts_compute_set_task_timing(c, ia, -TS_MS, 0, 0), TS_EINVAL);
    assert_int_equal(ts_compute_set_task_timing(c, ia, 0, -1, 0), TS_EINVAL);
    assert_int_equal(ts_compute_set_task_timing(c, ia, 0, 0, -1), TS_EINVAL);
    assert_int_equal(ts_compute_task_running(c, 1), 0);
    assert_int_equal(ts_compute_task_running(c, -1), 0);
    assert_int_equal(ts_compute_task_alive(c, 1), 0);
    /* Starting a started task does nothing. */
    assert_int_equal(ts_compute_set_task_running(c, ia, 1), TS_OK);
    assert_int_equal(log.n_events, 0);
    /* Down at 2 ms (the job ends with the node), stopped twice at 3 ms
     * while down (one event, nothing to report), up at 5 ms: still
     * stopped, so the 10 ms release records nothing; started twice at
     * 12 ms, it runs from its 20 ms release. */
    change down = {.c = c, .what = 2, .node = 0, .n = 0};
    change up = {.c = c, .what = 2, .node = 0, .n = 1};
    change stop1 = run_flag(c, ia, 0), stop2 = run_flag(c, ia, 0);
    change go1 = run_flag(c, ia, 5), go2 = run_flag(c, ia, 1);
    at(e, 2 * TS_MS, &down);
    at(e, 3 * TS_MS, &stop1);
    at(e, 3 * TS_MS, &stop2);
    at(e, 5 * TS_MS, &up);
    at(e, 12 * TS_MS, &go1);
    at(e, 12 * TS_MS, &go2);
    start(c);
    ts_engine_run(e, 11 * TS_MS);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.jobs[0].outcome, TS_JOB_NODE_DOWN);
    assert_false(ts_compute_task_running(c, ia));
    assert_false(ts_compute_task_alive(c, ia));
    ts_compute_node_stat st;
    ts_compute_node_stat_get(c, 0, &st);
    assert_int_equal(st.up, 1);
    assert_int_equal(st.memory_used, 0);
    ts_engine_run(e, 30 * TS_MS);
    assert_int_equal(log.n, 2);
    assert_int_equal(find(&log, ia, 1)->release, 20 * TS_MS);
    assert_int_equal(find(&log, ia, 1)->finish, 24 * TS_MS);
    static const struct { const char *kind; ts_time t; } want[] = {
        {"node_down", 2 * TS_MS}, {"task_stopped", 3 * TS_MS},
        {"node_up", 5 * TS_MS}, {"task_started", 12 * TS_MS}};
    assert_int_equal(log.n_events, 4);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(ts_event_kind_name(log.events[i].kind), want[i].kind);
        assert_int_equal(log.events[i].time, want[i].t);
    }
    ts_compute_free(c);
    ts_engine_free(e);

    /* Stopped before the start: nothing until started again, then on the
     * grid from the offset (releases 0, 10, 20 ms; started at 15 ms). */
    c = make(&e, 1, cores, NULL, mem, 0, &log);
    ia = add(c, a);
    assert_int_equal(ts_compute_set_task_running(c, ia, 0), TS_OK);
    start(c);
    ts_engine_run(e, 15 * TS_MS);
    assert_int_equal(log.n, 0);
    ts_compute_node_stat_get(c, 0, &st);
    assert_int_equal(st.memory_used, 0);
    assert_int_equal(st.core_busy_ns, 0);
    assert_int_equal(ts_compute_set_task_running(c, ia, 1), TS_OK);
    ts_engine_run(e, 25 * TS_MS);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.jobs[0].seq, 0);
    assert_int_equal(log.jobs[0].release, 20 * TS_MS);
    assert_int_equal(log.jobs[0].finish, 24 * TS_MS);
    assert_int_equal(log.n_events, 2);
    ts_compute_free(c);
    ts_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_priority_order_on_one_core),
        cmocka_unit_test(test_job_work_added_exactly),
        cmocka_unit_test(test_two_cores_run_in_parallel),
        cmocka_unit_test(test_overload_misses_and_unfinished),
        cmocka_unit_test(test_exec_draws_in_range_and_reproducible),
        cmocka_unit_test(test_exec_histogram_bounds_shares_and_seeds),
        cmocka_unit_test(test_bad_tasks_rejected),
        cmocka_unit_test(test_owner_releases_keep_last),
        cmocka_unit_test(test_preemption_exact_timeline),
        cmocka_unit_test(test_equal_priority_fifo),
        cmocka_unit_test(test_overrunning_fifo_thread_keeps_core),
        cmocka_unit_test(test_fair_round_robin_exact),
        cmocka_unit_test(test_fair_wakeup_waits_for_slice),
        cmocka_unit_test(test_fair_sleeper_gets_no_credit),
        cmocka_unit_test(test_fair_long_run_shares),
        cmocka_unit_test(test_fifo_beats_fair),
        cmocka_unit_test(test_affinity_and_reserved_cores),
        cmocka_unit_test(test_many_priorities_run_highest_first),
        cmocka_unit_test(test_fifo_order_by_release_not_arrival),
        cmocka_unit_test(test_affinity_picks),
        cmocka_unit_test(test_more_than_64_cores),
        cmocka_unit_test(test_fair_vruntime_schedule),
        cmocka_unit_test(test_gpu_queue_timing),
        cmocka_unit_test(test_gpu_own_power_reported),
        cmocka_unit_test(test_gpu_gang_timing),
        cmocka_unit_test(test_gpu_gang_checks),
        cmocka_unit_test(test_speed_change_mid_job),
        cmocka_unit_test(test_oom_kill_event),
        cmocka_unit_test(test_fleet_tasks_share_blocks),
        cmocka_unit_test(test_offline_cores_requeue),
        cmocka_unit_test(test_node_down_and_up),
        cmocka_unit_test(test_load_callback_sequence),
        cmocka_unit_test(test_stop_mid_job_and_restart),
        cmocka_unit_test(test_stop_while_waiting),
        cmocka_unit_test(test_stop_between_release_and_dispatch),
        cmocka_unit_test(test_stop_frees_gpu_and_queue),
        cmocka_unit_test(test_restart_reclaims_memory_under_oom_rule),
        cmocka_unit_test(test_gpu_time_slices),
        cmocka_unit_test(test_gpu_share_checks_and_stop),
        cmocka_unit_test(test_gpu_partitions),
        cmocka_unit_test(test_timing_change_from_next_release),
        cmocka_unit_test(test_timing_change_keeps_released_work),
        cmocka_unit_test(test_timing_replaces_distribution_and_checks),
        cmocka_unit_test(test_task_running_idempotent_invalid_and_node_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
