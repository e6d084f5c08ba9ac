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

#define ROBOTS_PER_AP 10
#define SIM_SECONDS 5

typedef struct text {
    char *buf;
    size_t len, cap;
} text;

static void put(text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        t->cap = t->cap * 2 + (size_t)n + 1;
        t->buf = realloc(t->buf, t->cap);
        if (!t->buf) {
            perror("bench_fleet");
            exit(2);
        }
    }
}

/* One scenario: each robot has a real-time computer and a Jetson; every
 * ten robots share an access point wired to the edge rack's switch; the
 * rack reaches the cloud over a WAN. Robot components are pinned to their
 * robot (the fleet element that will do this is not there yet). */
static char *fleet_scenario(int robots, size_t *len)
{
    text t = {malloc(1 << 16), 0, 1 << 16};
    int aps = (robots + ROBOTS_PER_AP - 1) / ROBOTS_PER_AP;
    int servers = robots / 10 + 1;
    put(&t, "<scenario name=\"fleet-%d\" seed=\"1\" duration=\"%ds\">\n<platform>\n",
        robots, SIM_SECONDS);
    for (int r = 0; r < robots; r++)
        put(&t, "<robot id=\"r%d\"><computer id=\"r%d_rt\" cores=\"8\" memory=\"16GiB\"/>"
                "<jetson id=\"r%d_jet\" model=\"jetson-orin-nx-16gb\"/><switch id=\"r%d_sw\"/></robot>\n",
            r, r, r, r);
    put(&t, "<edge id=\"rack\">");
    for (int s = 0; s < servers; s++)
        put(&t, "<server id=\"edge%d\" model=\"edge-server-x86-gpu\"/>", s);
    put(&t, "<switch id=\"tor\"/></edge>\n<cloud id=\"region\"><node id=\"cloud1\" "
            "model=\"cloud-vm-16\" cores=\"64\" memory=\"256GiB\"/><switch id=\"gw\"/></cloud>\n");
    /* Each access point's air time is one shared medium. */
    for (int a = 0; a < aps; a++)
        put(&t, "<switch id=\"ap%d\"/><medium id=\"ap%d_air\" capacity=\"600Mbps\" "
                "latency=\"1ms\" queue=\"16MiB\"/><link id=\"ap%d_up\" from=\"ap%d\" "
                "to=\"tor\" model=\"10gbe\" queue=\"8MiB\"/>\n", a, a, a, a);
    for (int s = 0; s < servers; s++)
        put(&t, "<link id=\"edge%d_eth\" from=\"edge%d\" to=\"tor\" model=\"10gbe\" queue=\"8MiB\"/>\n",
            s, s);
    put(&t, "<link id=\"wan\" from=\"tor\" to=\"gw\" model=\"wan\" queue=\"16MiB\"/>\n"
            "<link id=\"cloud_eth\" from=\"cloud1\" to=\"gw\" model=\"10gbe\"/>\n");
    for (int r = 0; r < robots; r++)
        put(&t, "<link id=\"r%d_e1\" from=\"r%d_rt\" to=\"r%d_sw\" model=\"gbe\"/>"
                "<link id=\"r%d_e2\" from=\"r%d_jet\" to=\"r%d_sw\" model=\"gbe\" queue=\"1MiB\"/>"
                "<link id=\"r%d_wifi\" from=\"r%d_sw\" to=\"ap%d\" medium=\"ap%d_air\" "
                "queue=\"2MiB\"/>\n",
            r, r, r, r, r, r, r, r, r / ROBOTS_PER_AP, r / ROBOTS_PER_AP);
    put(&t, "</platform>\n<components>\n");
    for (int r = 0; r < robots; r++)
        put(&t,
            "<component id=\"r%d_control\" rate=\"1kHz\" exec=\"200us\" exec-min=\"150us\" "
            "priority=\"90\" cpu=\"500m\" memory=\"64MiB\" node=\"r%d_rt\"/>"
            "<component id=\"r%d_balance\" rate=\"500Hz\" exec=\"400us\" exec-min=\"300us\" "
            "priority=\"80\" cpu=\"500m\" memory=\"64MiB\" node=\"r%d_rt\"/>"
            "<component id=\"r%d_camera\" rate=\"30Hz\" exec=\"3ms\" exec-min=\"2ms\" "
            "cpu=\"500m\" memory=\"256MiB\" node=\"r%d_jet\"/>"
            "<component id=\"r%d_vision\" rate=\"30Hz\" exec=\"8ms\" exec-min=\"6ms\" "
            "cpu=\"1\" memory=\"1GiB\" flags=\"computation-heavy\"/>"
            "<component id=\"r%d_status\" rate=\"10Hz\" exec=\"100us\" cpu=\"100m\" "
            "memory=\"16MiB\" node=\"r%d_rt\"/>\n",
            r, r, r, r, r, r, r, r, r);
    put(&t, "<component id=\"coordinator\" rate=\"10Hz\" exec=\"2ms\" cpu=\"2\" "
            "memory=\"1GiB\" flags=\"data-processing\"/>\n</components>\n<topics>\n");
    for (int r = 0; r < robots; r++)
        put(&t,
            "<topic id=\"r%d_joints\" publisher=\"r%d_control\" subscribers=\"r%d_balance\" "
            "size=\"512B\" budget=\"1ms\"/>"
            "<topic id=\"r%d_image\" publisher=\"r%d_camera\" subscribers=\"r%d_vision\" "
            "size=\"100KiB\" budget=\"60ms\"/>"
            "<topic id=\"r%d_objects\" publisher=\"r%d_vision\" subscribers=\"r%d_balance\" "
            "size=\"4KiB\" budget=\"60ms\"/>"
            "<topic id=\"r%d_telemetry\" publisher=\"r%d_status\" subscribers=\"coordinator\" "
            "size=\"2KiB\" budget=\"200ms\"/>\n",
            r, r, r, r, r, r, r, r, r, r, r);
    put(&t, "</topics>\n</scenario>\n");
    *len = t.len;
    return t.buf;
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int bench(int robots)
{
    size_t len;
    char *xml = fleet_scenario(robots, &len);
    ts_scenario_options opts = {"models"};
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
