/*
 * What the trace costs per message, for each level and compression
 * setting: the star fleet (bench_xml.h) at 1000 robots for 2 simulated
 * seconds (200,000 messages) is run with its trace written, and the
 * program prints the trace's bytes per message and the time spent writing
 * (every ts_trace_append_* call, which packs rows and deflates a chunk
 * each time one fills, the summary level's accumulation of samples, jobs
 * and node and link state into windows, plus the commit's last chunks)
 * per message, beside the whole run's time per message. The calls are timed by wrapping them
 * at link time (-Wl,--wrap, see the Makefile); a call made inside a timed
 * one is not timed again. Medians of three runs per setting, interleaved,
 * since the machine is shared.
 *
 * Then the summary level's size target: humanoid-basic's robot copied to
 * 1000 robots (bench_xml.h, humanoid_fleet), default settings, for
 * HUMANOID_SECONDS simulated seconds (--humanoid-seconds N; the target is
 * stated for 60), in KiB per simulated second against 128 KiB, and per
 * table (what HDF5 stores for each dataset; the rest is its metadata).
 *
 * usage: bench_trace [--humanoid-seconds N]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "toposim/error.h"
#include "toposim/scenario.h"
#include "toposim/trace.h"
#include "toposim/world.h"

#include "bench_xml.h"

#define ROBOTS 1000
#define SECONDS 2
#define ROUNDS 3
#define HUMANOID_ROBOTS 1000
#define HUMANOID_SECONDS 10
#define TARGET_BYTES_PER_S (128.0 * 1024)

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double writing;   /* seconds inside the wrapped calls */
static uint64_t calls;   /* how many, to take the clock's own cost out */
static double clock_cost;/* seconds of one timed empty call */
static int depth;        /* timed calls in progress: only the outer one counts */

#define TIMED_CALL(CALL)                                                      \
    do {                                                                      \
        if (depth++) {                                                        \
            rc = CALL;                                                        \
        } else {                                                              \
            double t0 = seconds();                                            \
            rc = CALL;                                                        \
            writing += seconds() - t0;                                        \
            calls++;                                                          \
        }                                                                     \
        depth--;                                                              \
    } while (0)

#define TIMED(NAME, ROW)                                                      \
    int __real_##NAME(ts_trace_writer *w, const ROW *row, ts_error *err);    \
    int __wrap_##NAME(ts_trace_writer *w, const ROW *row, ts_error *err);    \
    int __wrap_##NAME(ts_trace_writer *w, const ROW *row, ts_error *err)     \
    {                                                                         \
        int rc;                                                               \
        TIMED_CALL(__real_##NAME(w, row, err));                               \
        return rc;                                                            \
    }

TIMED(ts_trace_append_message, ts_trace_message)
TIMED(ts_trace_append_job, ts_trace_job)
TIMED(ts_trace_append_link_state, ts_trace_link_state)
TIMED(ts_trace_append_node_state, ts_trace_node_state)
TIMED(ts_trace_append_core_state, ts_trace_core_state)
TIMED(ts_trace_append_event, ts_trace_event)
TIMED(ts_trace_append_node_window, ts_trace_node_window)
TIMED(ts_trace_append_link_window, ts_trace_link_window)

/* The summary level's node and link windows (src/sim/sampler_windows.h). */
typedef struct ts__state_windows ts__state_windows;
#define TIMED_STATE(NAME, ROW)                                                \
    int __real_##NAME(ts__state_windows *sw, const ROW *row, int64_t prev, ts_error *err); \
    int __wrap_##NAME(ts__state_windows *sw, const ROW *row, int64_t prev, ts_error *err); \
    int __wrap_##NAME(ts__state_windows *sw, const ROW *row, int64_t prev, ts_error *err) \
    {                                                                         \
        int rc;                                                               \
        TIMED_CALL(__real_##NAME(sw, row, prev, err));                        \
        return rc;                                                            \
    }

TIMED_STATE(ts__state_windows_node, ts_trace_node_state)
TIMED_STATE(ts__state_windows_link, ts_trace_link_state)

#define TIMED_WINDOW(NAME, ROW)                                               \
    int __real_##NAME(ts_trace_writer *w, const ROW *row, const ts_hist_pair *b, size_t n, \
                      ts_error *err);                                         \
    int __wrap_##NAME(ts_trace_writer *w, const ROW *row, const ts_hist_pair *b, size_t n, \
                      ts_error *err);                                         \
    int __wrap_##NAME(ts_trace_writer *w, const ROW *row, const ts_hist_pair *b, size_t n, \
                      ts_error *err)                                          \
    {                                                                         \
        int rc;                                                               \
        TIMED_CALL(__real_##NAME(w, row, b, n, err));                         \
        return rc;                                                            \
    }

TIMED_WINDOW(ts_trace_append_topic_window, ts_trace_topic_window)
TIMED_WINDOW(ts_trace_append_job_window, ts_trace_job_window)

/* The summary level's accumulation (src/sim/recorder_summary.h). */
typedef struct ts__summary ts__summary;
#define TIMED_SUMMARY(NAME, ROW)                                              \
    int __real_##NAME(ts__summary *sm, const ROW *row, int64_t now, ts_error *err); \
    int __wrap_##NAME(ts__summary *sm, const ROW *row, int64_t now, ts_error *err); \
    int __wrap_##NAME(ts__summary *sm, const ROW *row, int64_t now, ts_error *err) \
    {                                                                         \
        int rc;                                                               \
        TIMED_CALL(__real_##NAME(sm, row, now, err));                         \
        return rc;                                                            \
    }

TIMED_SUMMARY(ts__summary_message, ts_trace_message)
TIMED_SUMMARY(ts__summary_job, ts_trace_job)

int __real_ts__summary_finish(ts__summary *sm, int64_t end, ts_error *err);
int __wrap_ts__summary_finish(ts__summary *sm, int64_t end, ts_error *err);
int __wrap_ts__summary_finish(ts__summary *sm, int64_t end, ts_error *err)
{
    int rc;
    TIMED_CALL(__real_ts__summary_finish(sm, end, err));
    return rc;
}

int __real_ts_trace_writer_commit(ts_trace_writer *w, ts_error *err);
int __wrap_ts_trace_writer_commit(ts_trace_writer *w, ts_error *err);
int __wrap_ts_trace_writer_commit(ts_trace_writer *w, ts_error *err)
{
    int rc;
    TIMED_CALL(__real_ts_trace_writer_commit(w, err));
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

static void trace_path(char *path, size_t size)
{
    snprintf(path, size, "%s/toposim-bench-trace-%ld.h5",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
}

static int one_run(const ts_scenario *s, const ts_plan *plan, int level, int compress,
                   sample *out)
{
    char path[256];
    trace_path(path, sizeof path);
    ts_run_options opts = {.trace_path = path, .trace_compress = compress,
                           .trace_level = level};
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

/* Stored bytes of a dataset, 0 when it is absent. */
static double stored(hid_t file, const char *name)
{
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0)
        return 0;
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    if (d < 0)
        return 0;
    double n = (double)H5Dget_storage_size(d);
    H5Dclose(d);
    return n;
}

/* The 1000-robot humanoid fleet at the summary level, default settings. */
static int humanoid_size(int sim_seconds)
{
    size_t len;
    char *xml = humanoid_fleet(HUMANOID_ROBOTS, sim_seconds, &len);
    ts_scenario_options sopts = {.models_dir = "models"};
    ts_scenario *s = NULL;
    ts_plan *plan = NULL;
    ts_error err;
    int rc = xml ? ts_scenario_load_memory(xml, len, "bench", &sopts, &s, &err) : TS_ENOMEM;
    free(xml);
    if (rc == TS_OK)
        rc = ts_plan_new(s, &plan, &err);
    char path[256];
    trace_path(path, sizeof path);
    ts_run_options opts = {.trace_path = path, .trace_level = TS_TRACE_LEVEL_SUMMARY};
    ts_run_stats st;
    double t0 = seconds();
    if (rc == TS_OK)
        rc = ts_world_run(s, plan, &opts, &st, &err);
    double wall = seconds() - t0;
    ts_plan_free(plan);
    ts_scenario_free(s);
    if (rc != TS_OK) {
        fprintf(stderr, "bench_trace: humanoid fleet: %s\n", err.msg);
        return rc;
    }
    struct stat sb;
    double bytes = stat(path, &sb) == 0 ? (double)sb.st_size : 0;
    static const char *const tables[] = {
        "/node_windows", "/link_windows", "/events", "/topic_windows", "/job_windows",
        "/histogram_buckets", "/messages", "/jobs", "/component_state", "/node_state",
        "/link_state", "/core_state", "/placement", "/components", "/subscriptions",
        "/topics", "/versions", "/nodes", "/links", "/power_modes", "/sites", "/requirements",
        "/failover_groups", "/failover_backups", "/services", "/service_replicas", "/clients",
        "/fleets", "/rollouts", "/expects", "/meta/scenario_text"};
    enum { N_TABLES = sizeof tables / sizeof tables[0] };
    double size[N_TABLES] = {0}, in_tables = 0;
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file >= 0) {
        for (int i = 0; i < N_TABLES; i++) {
            size[i] = stored(file, tables[i]);
            in_tables += size[i];
        }
        H5Fclose(file);
    }
    unlink(path);
    double per_s = bytes / sim_seconds;
    printf("\nsummary level, humanoid-basic's robot x %d, %d s simulated (%llu messages, "
           "%llu jobs; %.0f s wall)\n", HUMANOID_ROBOTS, sim_seconds,
           (unsigned long long)st.messages, (unsigned long long)st.jobs, wall);
    printf("  trace %.2f MB: %.1f KiB per simulated second, target <= %.0f KiB  %s\n",
           bytes / 1e6, per_s / 1024, TARGET_BYTES_PER_S / 1024,
           per_s <= TARGET_BYTES_PER_S ? "met" : "NOT MET");
    printf("  KiB per simulated second by table (those above 0.05):\n");
    for (int i = 0; i < N_TABLES; i++)
        if (size[i] / sim_seconds / 1024 >= 0.05)
            printf("    %-22s %8.2f\n", tables[i], size[i] / sim_seconds / 1024);
    printf("    %-22s %8.2f\n", "(HDF5 metadata)", (bytes - in_tables) / sim_seconds / 1024);
    printf("  (the full level: a row per message and job, about 30 MB per simulated second "
           "here)\n");
    return TS_OK;
}

int main(int argc, char **argv)
{
    int humanoid_seconds = HUMANOID_SECONDS;
    if (argc == 3 && strcmp(argv[1], "--humanoid-seconds") == 0 && atoi(argv[2]) > 0) {
        humanoid_seconds = atoi(argv[2]);
    } else if (argc != 1) {
        fprintf(stderr, "usage: bench_trace [--humanoid-seconds N]\n");
        return 2;
    }
    calibrate();
    size_t len;
    char *xml = star_scenario(ROBOTS, SECONDS, &len);
    ts_scenario_options sopts = {.models_dir = "models"};
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
    static const int levels[] = {TS_TRACE_LEVEL_FULL, TS_TRACE_LEVEL_SUMMARY};
    double w[2][3][ROUNDS], r[2][3][ROUNDS], b[2][3][ROUNDS];
    for (int round = 0; round < ROUNDS; round++)
        for (int l = 0; l < 2; l++)
            for (int c = 0; c < 3; c++) {
                sample x;
                if (one_run(s, plan, levels[l], TS_TRACE_COMPRESS_NONE + c, &x) != TS_OK)
                    return 1;
                w[l][c][round] = x.write_ns;
                r[l][c][round] = x.run_ns;
                b[l][c][round] = x.bytes;
            }
    printf("\ntrace cost per message: star fleet, %d robots, %d s simulated "
           "(%d messages), medians of %d\n", ROBOTS, SECONDS, ROBOTS * 100 * SECONDS, ROUNDS);
    printf("(writing: inside the trace writer's calls and the summary's accumulation, less "
           "%.0f ns of clock reads per call)\n", 1e9 * clock_cost);
    printf("%-8s %-10s %14s %16s %14s\n", "level", "compress", "bytes/msg", "writing ns/msg",
           "run ns/msg");
    for (int l = 0; l < 2; l++)
        for (int c = 0; c < 3; c++)
            printf("%-8s %-10s %14.2f %16.1f %14.1f\n", ts_trace_level_name(levels[l]),
                   names[c], median(b[l][c], ROUNDS), median(w[l][c], ROUNDS),
                   median(r[l][c], ROUNDS));
    ts_plan_free(plan);
    ts_scenario_free(s);
    return humanoid_size(humanoid_seconds) == TS_OK ? 0 : 1;
}
