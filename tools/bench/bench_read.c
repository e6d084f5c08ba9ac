/*
 * What reading and validating a full trace costs, loaded whole against
 * read in chunks and folded into windows (trace.h, "Folded reading"):
 * humanoid-basic's robot copied to ROBOTS robots (bench_xml.h,
 * humanoid_fleet) for SECONDS simulated seconds at the full level, then,
 * in a child process each so that the peak memory is its own, the trace
 * loaded and validated both ways. Prints the rows, the wall time per row
 * and the peak resident memory of each; medians of three rounds,
 * interleaved, since the machine is shared.
 *
 * usage: bench_read
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "toposim/error.h"
#include "toposim/scenario.h"
#include "toposim/trace.h"
#include "toposim/validate.h"
#include "toposim/world.h"

#include "bench_xml.h"

#define ROBOTS 100
#define SECONDS 5
#define ROUNDS 3

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct result {
    double wall_s;
    double rows;
    double peak_kib;
} result;

/* Loads and validates path in a child (fold_rows as given), which sends
 * back its wall time, the rows read and its own peak memory. */
static int measure(const char *path, unsigned long long fold_rows, result *out)
{
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(fd[0]);
        ts_trace_set_fold_rows(fold_rows);
        result r = {0, 0, 0};
        ts_trace *t = NULL;
        ts_validation *v = NULL;
        ts_error err;
        double t0 = seconds();
        int rc = ts_trace_load(path, &t, &err);
        if (rc == TS_OK)
            rc = ts_validate(t, &v, &err);
        r.wall_s = seconds() - t0;
        if (rc == TS_OK)
            r.rows = t->folded_window_ns > 0
                         ? (double)t->folded_rows
                         : (double)(t->n_messages + t->n_jobs + t->n_node_state +
                                    t->n_link_state + t->n_core_state);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        r.peak_kib = (double)ru.ru_maxrss;
        if (rc != TS_OK)
            fprintf(stderr, "bench_read: %s\n", err.msg);
        _exit(rc == TS_OK && write(fd[1], &r, sizeof r) == (ssize_t)sizeof r ? 0 : 1);
    }
    close(fd[1]);
    ssize_t got = read(fd[0], out, sizeof *out);
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return got == (ssize_t)sizeof *out && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(void)
{
    size_t len;
    char *xml = humanoid_fleet(ROBOTS, SECONDS, &len);
    ts_scenario_options sopts = {.models_dir = "models"};
    ts_scenario *s = NULL;
    ts_plan *plan = NULL;
    ts_error err;
    int rc = xml ? ts_scenario_load_memory(xml, len, "bench", &sopts, &s, &err) : TS_ENOMEM;
    free(xml);
    if (rc == TS_OK)
        rc = ts_plan_new(s, &plan, &err);
    char path[256];
    snprintf(path, sizeof path, "%s/toposim-bench-read-%ld.h5",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
    ts_run_options opts = {.trace_path = path, .trace_level = TS_TRACE_LEVEL_FULL};
    ts_run_stats st;
    if (rc == TS_OK)
        rc = ts_world_run(s, plan, &opts, &st, &err);
    ts_plan_free(plan);
    ts_scenario_free(s);
    if (rc != TS_OK) {
        fprintf(stderr, "bench_read: %s\n", err.msg);
        return 1;
    }
    double wall[2][ROUNDS], peak[2][ROUNDS], rows = 0;
    for (int k = 0; k < ROUNDS; k++)
        for (int way = 0; way < 2; way++) {
            result r;
            if (measure(path, way ? 0 : ~0ULL, &r) != 0) {
                unlink(path);
                return 1;
            }
            wall[way][k] = r.wall_s;
            peak[way][k] = r.peak_kib;
            rows = r.rows;
        }
    unlink(path);
    printf("bench_read: full trace of %d humanoids, %d s: %.0f rows (/messages, /jobs and "
           "state), load + validate, median of %d\n", ROBOTS, SECONDS, rows, ROUNDS);
    const char *name[2] = {"loaded whole", "folded (chunks)"};
    for (int way = 0; way < 2; way++) {
        qsort(wall[way], ROUNDS, sizeof wall[way][0], cmp);
        qsort(peak[way], ROUNDS, sizeof peak[way][0], cmp);
        printf("  %-16s %7.0f ns per row  peak %7.1f MiB\n", name[way],
               1e9 * wall[way][ROUNDS / 2] / (rows > 0 ? rows : 1),
               peak[way][ROUNDS / 2] / 1024.0);
    }
    return 0;
}
