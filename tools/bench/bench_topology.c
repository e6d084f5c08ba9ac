/*
 * Set-up bench: load, plan and build of a fleet of N humanoid robots
 * (humanoid-basic's robot, a <fleet> of N copies on one access point, an
 * edge rack and a cloud coordinator hearing every robot's telemetry),
 * each timed apart (wall and CPU seconds), with the peak memory, and the
 * cost of a link going down and up again (a robot's Wi-Fi link, and the
 * access point's uplink in the backbone) on a network built over the
 * plan's topology. Each size runs in its own process so that its peak
 * memory is its own. Targets (issue 9): N = 10,000 set up in under 10 s
 * and 2 GiB; a link-down fault under 1 ms.
 * usage: bench_topology [ROBOTS...]   (default 100 1000 10000)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "toposim/alloc.h"
#include "toposim/platform.h"
#include "toposim/scenario.h"
#include "toposim/topology.h"
#include "toposim/world.h"

#include "bench_xml.h"

#define REPEATS 15

static double now(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct stamp {
    double wall, cpu;
} stamp;

static stamp stamp_now(void)
{
    return (stamp){now(CLOCK_MONOTONIC), now(CLOCK_PROCESS_CPUTIME_ID)};
}

static void on_done(void *ctx, const ts_packet *p)
{
    (void)ctx;
    (void)p;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Median wall time of taking `link` down and up again (both calls), on
 * a network over the plan's topology, for REPEATS links of the list. */
static double link_fault_us(const ts_scenario *s, const ts_plan *plan, const int *links,
                            size_t n_links)
{
    ts_net_link_desc *descs = calloc(s->n_links ? s->n_links : 1, sizeof *descs);
    ts_engine *engine = ts_engine_new(64);
    if (!descs || !engine)
        return -1;
    for (size_t i = 0; i < s->n_links; i++)
        descs[i] = (ts_net_link_desc){.a = s->links[i].a, .b = s->links[i].b,
                                      .latency_ns = s->links[i].latency_ns,
                                      .bandwidth_bps = s->links[i].bandwidth_bps};
    ts_network_config cfg = {.n_nodes = s->n_nodes, .links = descs, .n_links = s->n_links,
                             .done = on_done, .topology = plan->topology};
    ts_network *net = NULL;
    ts_error err;
    double med = -1;
    if (ts_network_new(engine, &cfg, &net, &err) == TS_OK) {
        double t[REPEATS];
        size_t n = 0;
        for (size_t k = 0; k < n_links && n < REPEATS; k++) {
            double t0 = now(CLOCK_MONOTONIC);
            ts_network_set_link_up(net, links[k], 0);
            ts_network_set_link_up(net, links[k], 1);
            t[n++] = (now(CLOCK_MONOTONIC) - t0) * 1e6 / 2;
        }
        qsort(t, n, sizeof *t, cmp_double);
        med = n ? t[n / 2] : -1;
    }
    ts_network_free(net);
    ts_engine_free(engine);
    free(descs);
    return med;
}

static int bench(int robots)
{
    size_t len;
    char *xml = humanoid_fleet(robots, 1, &len);
    ts_scenario_options opts = {.models_dir = "models"};
    ts_scenario *s = NULL;
    ts_plan *plan = NULL;
    ts_error err;
    ts_error_clear(&err);
    char trace[256];
    snprintf(trace, sizeof trace, "/tmp/toposim-bench-topology-%ld.h5", (long)getpid());
    ts_run_options run = {.trace_path = trace, .duration_ns = 1}; /* the build, nothing run */
    stamp t0 = stamp_now();
    int rc = xml ? ts_scenario_load_memory(xml, len, "fleet", &opts, &s, &err) : TS_ENOMEM;
    stamp t1 = stamp_now();
    if (rc == TS_OK)
        rc = ts_plan_new(s, &plan, &err);
    stamp t2 = stamp_now();
    if (rc == TS_OK)
        rc = ts_world_run(s, plan, &run, NULL, &err);
    stamp t3 = stamp_now();
    unlink(trace);
    double wifi_us = -1, uplink_us = -1;
    if (rc == TS_OK) {
        /* Robots' Wi-Fi links (in their zones) and the access point's
         * uplink (in the backbone). */
        int wifi[REPEATS], up = ts_scenario_find_link(s, "ap_uplink");
        size_t n = 0;
        for (size_t i = 0; i < s->n_links && n < REPEATS; i++)
            if (!strncmp(s->links[i].id, "wifi", 4) && i % 7 == 0)
                wifi[n++] = (int)i;
        wifi_us = link_fault_us(s, plan, wifi, n);
        int ups[REPEATS];
        for (int k = 0; k < REPEATS; k++)
            ups[k] = up;
        uplink_us = link_fault_us(s, plan, ups, REPEATS);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    if (rc != TS_OK) {
        char buf[1200];
        ts_error_format(&err, buf, sizeof buf);
        fprintf(stderr, "bench_topology: %d robots: %s\n", robots, buf);
    } else {
        double total = t3.wall - t0.wall;
        printf("%7d %7zu %7.2f/%-5.2f %7.2f/%-5.2f %7.2f/%-5.2f %7.2f %s %7.0f %s "
               "%8.1f %9.1f\n",
               robots, s->n_nodes, t1.wall - t0.wall, t1.cpu - t0.cpu, t2.wall - t1.wall,
               t2.cpu - t1.cpu, t3.wall - t2.wall, t3.cpu - t2.cpu, total,
               robots >= 10000 ? (total < 10 ? "ok " : "MISS") : "   ",
               (double)ru.ru_maxrss / 1024.0,
               robots >= 10000 ? (ru.ru_maxrss < 2L * 1024 * 1024 ? "ok " : "MISS") : "   ",
               wifi_us, uplink_us);
    }
    ts_plan_free(plan);
    ts_scenario_free(s);
    free(xml);
    return rc == TS_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    int sizes[8] = {100, 1000, 10000};
    int n = 3;
    if (argc > 1) {
        n = 0;
        for (int i = 1; i < argc && n < 8; i++)
            sizes[n++] = atoi(argv[i]);
    }
    printf("\nset-up bench: humanoid fleet, seconds wall/cpu per phase; targets at "
           "10,000 robots: load+plan+build < 10 s, peak < 2048 MiB, link fault < 1 ms\n");
    printf("%7s %7s %13s %13s %13s %7s %3s %7s %3s %8s %9s\n", "robots", "nodes", "load",
           "plan", "build", "total", "", "MiB", "", "wifi us", "uplink us");
    fflush(stdout);
    int bad = 0;
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            int rc = bench(sizes[i]);
            fflush(stdout);
            _exit(rc);
        }
        int status = 1;
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0)
            bad = 1;
    }
    return bad;
}
