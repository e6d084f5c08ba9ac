/*
 * What the full trace costs per message, for each compression setting:
 * the star fleet (bench_xml.h) at 1000 robots for 2 simulated seconds
 * (200,000 messages) is run with its trace written, and the program
 * prints the trace's bytes per message and the time spent writing rows
 * (every ts_trace_append_* call, which packs rows and deflates a chunk
 * each time one fills, plus the commit's last chunks) per message, beside
 * the whole run's time per message. The appends are timed by wrapping
 * them at link time (-Wl,--wrap, see the Makefile). Medians of three runs
 * per setting, interleaved, since the machine is shared.
 *
 * Only the full level exists so far; a summary level would be a row here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "toposim/error.h"
#include "toposim/scenario.h"
#include "toposim/trace.h"
#include "toposim/world.h"

#include "bench_xml.h"

#define ROBOTS 1000
#define SECONDS 2
#define ROUNDS 3

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double writing;   /* seconds inside the wrapped calls */
static uint64_t calls;   /* how many, to take the clock's own cost out */
static double clock_cost;/* seconds of one timed empty call */

#define TIMED(NAME, ROW)                                                      \
    int __real_##NAME(ts_trace_writer *w, const ROW *row, ts_error *err);    \
    int __wrap_##NAME(ts_trace_writer *w, const ROW *row, ts_error *err);    \
    int __wrap_##NAME(ts_trace_writer *w, const ROW *row, ts_error *err)     \
    {                                                                         \
        double t0 = seconds();                                                \
        int rc = __real_##NAME(w, row, err);                                  \
        writing += seconds() - t0;                                            \
        calls++;                                                              \
        return rc;                                                            \
    }

TIMED(ts_trace_append_message, ts_trace_message)
TIMED(ts_trace_append_job, ts_trace_job)
TIMED(ts_trace_append_link_state, ts_trace_link_state)
TIMED(ts_trace_append_node_state, ts_trace_node_state)
TIMED(ts_trace_append_core_state, ts_trace_core_state)
TIMED(ts_trace_append_event, ts_trace_event)

int __real_ts_trace_writer_commit(ts_trace_writer *w, ts_error *err);
int __wrap_ts_trace_writer_commit(ts_trace_writer *w, ts_error *err);
int __wrap_ts_trace_writer_commit(ts_trace_writer *w, ts_error *err)
{
    double t0 = seconds();
    int rc = __real_ts_trace_writer_commit(w, err);
    writing += seconds() - t0;
    return rc;
}

typedef struct sample {
    double write_ns, run_ns, bytes;   /* per message */
} sample;

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return v[n / 2];
}

static int one_run(const ts_scenario *s, const ts_plan *plan, int compress, sample *out)
{
    char path[256];
    snprintf(path, sizeof path, "%s/toposim-bench-trace-%ld.h5",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
    ts_run_options opts = {.trace_path = path, .trace_compress = compress};
    ts_run_stats st;
    ts_error err;
    writing = 0;
    calls = 0;
    double t0 = seconds();
    int rc = ts_world_run(s, plan, &opts, &st, &err);
    double run = seconds() - t0;
    if (rc != TS_OK) {
        fprintf(stderr, "bench_trace: %s\n", err.msg);
        return rc;
    }
    struct stat sb;
    double bytes = stat(path, &sb) == 0 ? (double)sb.st_size : 0;
    unlink(path);
    double m = st.messages ? (double)st.messages : 1;
    double net = writing - (double)calls * clock_cost;
    *out = (sample){1e9 * (net > 0 ? net : 0) / m, 1e9 * run / m, bytes / m};
    return TS_OK;
}

/* The clock read twice around nothing, as the wrappers do. */
static void calibrate(void)
{
    enum { N = 1000000 };
    double acc = 0, t0 = seconds();
    for (int i = 0; i < N; i++) {
        double a = seconds();
        acc += seconds() - a;
    }
    (void)acc;
    clock_cost = (seconds() - t0) / N;
}

int main(void)
{
    calibrate();
    size_t len;
    char *xml = star_scenario(ROBOTS, SECONDS, &len);
    ts_scenario_options sopts = {"models"};
    ts_scenario *s = NULL;
    ts_plan *plan = NULL;
    ts_error err;
    if (ts_scenario_load_memory(xml, len, "bench", &sopts, &s, &err) != TS_OK ||
        ts_plan_new(s, &plan, &err) != TS_OK) {
        fprintf(stderr, "bench_trace: %s\n", err.msg);
        return 1;
    }
    free(xml);
    static const char *const names[] = {"none", "fast", "max"};
    double w[3][ROUNDS], r[3][ROUNDS], b[3][ROUNDS];
    for (int round = 0; round < ROUNDS; round++)
        for (int c = 0; c < 3; c++) {
            sample x;
            if (one_run(s, plan, TS_TRACE_COMPRESS_NONE + c, &x) != TS_OK)
                return 1;
            w[c][round] = x.write_ns;
            r[c][round] = x.run_ns;
            b[c][round] = x.bytes;
        }
    printf("\ntrace cost per message: star fleet, %d robots, %d s simulated "
           "(%d messages), medians of %d\n", ROBOTS, SECONDS, ROBOTS * 100 * SECONDS, ROUNDS);
    printf("(writing: inside the trace writer's calls, less %.0f ns of clock reads per "
           "call)\n", 1e9 * clock_cost);
    printf("%-8s %-10s %14s %16s %14s\n", "level", "compress", "bytes/msg", "writing ns/msg",
           "run ns/msg");
    for (int c = 0; c < 3; c++)
        printf("%-8s %-10s %14.1f %16.1f %14.1f\n", "full", names[c], median(b[c], ROUNDS),
               median(w[c], ROUNDS), median(r[c], ROUNDS));
    printf("(the summary level does not exist yet)\n");
    ts_plan_free(plan);
    ts_scenario_free(s);
    return 0;
}
