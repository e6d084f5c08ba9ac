/*
 * Compute dispatch bench: one node of 8 cores running 16 or 256 periodic
 * tasks at about 90 % load, so jobs queue, preempt and share cores, for
 * three mixes: all fixed-priority (8 priority levels), all fair-share
 * (weights 512..2048), and half and half with a quarter of the tasks
 * pinned to cores 0-3. The model is the only thing on the engine, so
 * every engine event is a compute event (a release, a core's or GPU's end,
 * a dispatch); the figure is nanoseconds of this thread's CPU time per
 * engine event (CPU time rather than wall time, so time the thread spends
 * descheduled on a busy machine does not count), the median of ROUNDS
 * fresh runs, and the ratio of 256 to 16 tasks shows whether the
 * cost grows with the tasks on a node (the target: it should not, <= 2x).
 *
 * Only the public compute.h API is used, so the same file builds against
 * an older library for A/B comparisons.
 * usage: bench_compute [ROUNDS]   (default 7)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_rng.h>

#include "toposim/compute.h"
#include "toposim/sim.h"

#define CORES 8
#define LOAD 0.9
#define EVENTS_PER_ROUND 400000.0

enum { MIX_FIFO, MIX_FAIR, MIX_MIXED, N_MIX };
static const char *const mix_name[N_MIX] = {"fifo", "fair", "mixed"};

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static long jobs_done;

static void on_done(void *ctx, const ts_job_record *job)
{
    (void)ctx;
    jobs_done += job->finish >= 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One run: returns wall ns per engine event; *events_per_job is filled. */
static double run_once(int mix, int n_tasks, ts_time horizon, double *events_per_job)
{
    ts_engine *e = ts_engine_new(1024);
    int cores = CORES;
    ts_compute_config cfg = {.n_nodes = 1, .cores = &cores, .done = on_done};
    ts_compute *c;
    ts_error err;
    if (!e || ts_compute_new(e, &cfg, &c, &err) != TS_OK)
        abort();
    gsl_rng **rng = calloc((size_t)n_tasks, sizeof *rng);
    if (!rng)
        abort();
    static const ts_time periods[] = {1 * TS_MS, 2 * TS_MS, 5 * TS_MS, 10 * TS_MS};
    double share = LOAD * CORES / n_tasks;   /* utilisation per task */
    for (int i = 0; i < n_tasks; i++) {
        char name[32];
        snprintf(name, sizeof name, "task%d", i);
        rng[i] = ts_rng_new(42, name);
        if (!rng[i])
            abort();
        ts_time period = periods[i % 4];
        ts_time mean = (ts_time)(share * (double)period);
        if (mean < 2)
            mean = 2;
        ts_task_desc d = {.node = 0, .priority = i % 8, .period = period,
                          .offset = (ts_time)(i * 37) % period,
                          .deadline = period, .exec_min = mean - mean / 4,
                          .exec_max = mean + mean / 4};
        if (mix == MIX_FAIR || (mix == MIX_MIXED && i % 2))
            d.policy = TS_SCHED_FAIR, d.weight = 512 << (i % 3);
        if (mix == MIX_MIXED && i % 4 == 0)
            d.affinity = 0x0fu;
        if (ts_compute_add_task(c, &d, rng[i], &err) < 0)
            abort();
    }
    if (ts_compute_start(c, &err) != TS_OK)
        abort();
    jobs_done = 0;
    double t0 = seconds();
    uint64_t events = ts_engine_run(e, horizon);
    double t1 = seconds();
    *events_per_job = jobs_done ? (double)events / (double)jobs_done : 0;
    ts_compute_free(c);
    ts_engine_free(e);
    for (int i = 0; i < n_tasks; i++)
        gsl_rng_free(rng[i]);
    free(rng);
    return events ? 1e9 * (t1 - t0) / (double)events : 0;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 7;
    if (rounds < 1 || rounds > 101)
        rounds = 7;
    static const int sizes[] = {16, 256};
    printf("compute dispatch: CPU ns per engine event, median of %d runs, "
           "1 node x %d cores, %.0f%% load\n", rounds, CORES, 100 * LOAD);
    printf("%-6s %12s %12s %10s %14s\n", "mix", "16 tasks", "256 tasks",
           "256/16", "events/job");
    for (int mix = 0; mix < N_MIX; mix++) {
        double med[2], epj = 0;
        for (int s = 0; s < 2; s++) {
            /* Calibrate the horizon so a round runs ~EVENTS_PER_ROUND. */
            double per_job;
            run_once(mix, sizes[s], 100 * TS_MS, &per_job);
            double jobs_per_s = 0;
            static const ts_time periods[] = {1 * TS_MS, 2 * TS_MS, 5 * TS_MS,
                                              10 * TS_MS};
            for (int i = 0; i < sizes[s]; i++)
                jobs_per_s += 1e9 / (double)periods[i % 4];
            double sim_s = EVENTS_PER_ROUND / (jobs_per_s * (per_job > 0 ? per_job : 3));
            ts_time horizon = (ts_time)(sim_s * 1e9);
            double *ns = malloc((size_t)rounds * sizeof *ns);
            if (!ns)
                abort();
            for (int r = 0; r < rounds; r++)
                ns[r] = run_once(mix, sizes[s], horizon, &per_job);
            qsort(ns, (size_t)rounds, sizeof *ns, cmp_double);
            med[s] = ns[rounds / 2];
            if (s == 1)
                epj = per_job;
            free(ns);
        }
        printf("%-6s %12.1f %12.1f %9.2fx %14.2f   (target: 256/16 <= 2x)\n",
               mix_name[mix], med[0], med[1], med[1] / med[0], epj);
    }
    return 0;
}
