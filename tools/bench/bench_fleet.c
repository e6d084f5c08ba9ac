/*
 * Fleet bench: the whole simulator (placement, network, compute, power,
 * trace writing) on a generated fleet of humanoids sharing access points
 * (one shared Wi-Fi medium each), an edge rack and a cloud region. Prints
 * events per wall second and simulated seconds per wall second for 10 and
 * 100 robots (or the sizes given), so the cost per event can be seen to
 * stay flat as the fleet grows.
 * usage: bench_fleet [ROBOTS...]   (default 10 100)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "toposim/alloc.h"
#include "toposim/scenario.h"
#include "toposim/world.h"

#include "bench_xml.h"

#define SIM_SECONDS 5

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int bench(int robots)
{
    size_t len;
    char *xml = fleet_scenario(robots, SIM_SECONDS, &len);
    ts_scenario_options opts = {.models_dir = "models"};
    ts_scenario *s = NULL;
    ts_plan *plan = NULL;
    ts_error err;
    ts_error_clear(&err);
    char trace[256];
    snprintf(trace, sizeof trace, "/tmp/toposim-bench-fleet-%ld.h5", (long)getpid());
    ts_run_options run = {.trace_path = trace};
    ts_run_stats st;
    int rc = ts_scenario_load_memory(xml, len, "fleet", &opts, &s, &err);
    if (rc == TS_OK)
        rc = ts_plan_new(s, &plan, &err);
    double t0 = seconds();
    if (rc == TS_OK)
        rc = ts_world_run(s, plan, &run, &st, &err);
    double wall = seconds() - t0;
    if (rc != TS_OK) {
        char buf[1200];
        ts_error_format(&err, buf, sizeof buf);
        fprintf(stderr, "bench_fleet: %d robots: %s\n", robots, buf);
    } else {
        printf("%8d  %10zu  %12llu  %10.3f  %12.3e  %10.2f  %12.1f\n", robots,
               s->n_components, (unsigned long long)st.events, wall,
               (double)st.events / wall, (double)st.simulated_ns / 1e9 / wall,
               1e9 * wall / (double)st.events);
    }
    unlink(trace);
    ts_plan_free(plan);
    ts_scenario_free(s);
    free(xml);
    return rc == TS_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    int sizes[8] = {10, 100};
    int n = 2;
    if (argc > 1) {
        n = 0;
        for (int i = 1; i < argc && n < 8; i++)
            sizes[n++] = atoi(argv[i]);
    }
    printf("\nfleet bench: %d s simulated per run, full trace written (HDF5)\n", SIM_SECONDS);
    printf("%8s  %10s  %12s  %10s  %12s  %10s  %12s\n", "robots", "components",
           "events", "wall s", "events/s", "sim s/s", "ns/event");
    int bad = 0;
    for (int i = 0; i < n; i++)
        bad |= bench(sizes[i]);
    return bad;
}
