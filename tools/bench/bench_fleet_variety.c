/*
 * Fleet variety bench: load + plan time of a fleet of N robots with
 * variety (uniform phases and clock offsets on every robot, and a
 * robot-override of a component's rate and phase on every tenth robot)
 * against the same fleet in lockstep, in alternating rounds (A B A B ...)
 * so that drift in the machine's speed falls on both alike; prints each
 * variant's median, the median ratio and the time per robot, which must
 * not grow with the fleet (no per-copy cost beyond linear).
 * usage: bench_fleet_variety [ROUNDS [ROBOTS...]]   (default 5; 100 1000 10000)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "toposim/scenario.h"
#include "toposim/world.h"

#include "bench_xml.h"

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* warehouse-20's robot as a fleet of `robots`, everything on board, one
 * access point for all; with variety or in lockstep. */
static char *scenario(int robots, int variety, size_t *len)
{
    text t = {malloc(1 << 16), 0, 1 << 16};
    put(&t,
        "<scenario name=\"variety-%d\" seed=\"3\" duration=\"1s\">\n<platform>\n"
        "  <robot id=\"h1\">\n"
        "    <computer id=\"h1_rt\" cores=\"8\" memory=\"16GiB\"/>\n"
        "    <computer id=\"h1_cam\" cores=\"4\" memory=\"8GiB\"/>\n"
        "    <switch id=\"h1_switch\"/>\n"
        "  </robot>\n"
        "  <edge id=\"rack\"><server id=\"edge1\" cores=\"32\" memory=\"256GiB\"/></edge>\n"
        "  <switch id=\"ap1\"/>\n"
        "  <medium id=\"air\" capacity=\"600Mbps\"/>\n"
        "  <link id=\"h1_eth_rt\" from=\"h1_rt\" to=\"h1_switch\" latency=\"5us\" "
        "bandwidth=\"1Gbps\"/>\n"
        "  <link id=\"h1_eth_cam\" from=\"h1_cam\" to=\"h1_switch\" latency=\"5us\" "
        "bandwidth=\"1Gbps\"/>\n"
        "  <link id=\"h1_wifi\" from=\"h1_switch\" to=\"ap1\" latency=\"3ms\" "
        "bandwidth=\"600Mbps\" medium=\"air\"/>\n"
        "  <link id=\"uplink\" from=\"ap1\" to=\"edge1\" latency=\"50us\" bandwidth=\"10Gbps\"/>\n"
        "</platform>\n<components>\n"
        "  <component id=\"control_loop\" rate=\"1kHz\" exec=\"200us\" cpu=\"500m\" "
        "node=\"h1_rt\" flags=\"real-time-critical\"/>\n"
        "  <component id=\"camera_driver\" rate=\"15Hz\" exec=\"3ms\" cpu=\"500m\" "
        "node=\"h1_cam\"/>\n"
        "  <component id=\"vision\" rate=\"15Hz\" exec=\"8ms\" cpu=\"1\" node=\"h1_rt\"/>\n"
        "</components>\n<topics>\n"
        "  <topic id=\"camera_image\" publisher=\"camera_driver\" subscribers=\"vision\" "
        "size=\"150KiB\"/>\n"
        "</topics>\n",
        robots);
    if (variety) {
        put(&t, "<fleet id=\"f\" template=\"h1\" count=\"%d\" phase=\"uniform(0,period)\" "
                "clock-offset=\"uniform(-2ms,2ms)\">\n", robots);
        for (int k = 10; k < robots; k += 10)
            put(&t, "  <robot-override robot=\"r%d\" set=\"component[camera_driver].rate=10Hz\" "
                    "phase=\"%dms\"/>\n", k, k % 50);
        put(&t, "</fleet>\n");
    } else {
        put(&t, "<fleet id=\"f\" template=\"h1\" count=\"%d\"/>\n", robots);
    }
    put(&t, "</scenario>\n");
    *len = t.len;
    return t.buf;
}

/* Load + plan once; seconds, or a negative number on an error. */
static double load_and_plan(const char *xml, size_t len)
{
    ts_scenario *s = NULL;
    ts_plan *plan = NULL;
    ts_error err;
    ts_error_clear(&err);
    double t0 = seconds();
    int rc = ts_scenario_load_memory(xml, len, "variety", NULL, &s, &err);
    if (rc == TS_OK)
        rc = ts_plan_new(s, &plan, &err);
    double wall = seconds() - t0;
    if (rc != TS_OK) {
        char buf[1200];
        ts_error_format(&err, buf, sizeof buf);
        fprintf(stderr, "bench_fleet_variety: %s\n", buf);
        wall = -1;
    }
    ts_plan_free(plan);
    ts_scenario_free(s);
    return wall;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    int sizes[8] = {100, 1000, 10000};
    int n = 3;
    if (argc > 2) {
        n = 0;
        for (int i = 2; i < argc && n < 8; i++)
            sizes[n++] = atoi(argv[i]);
    }
    if (rounds < 1 || rounds > 64)
        rounds = 5;
    printf("\nfleet variety bench: load + plan, %d A/B rounds, medians "
           "(A: lockstep, B: phases, clock offsets, an override every 10th robot)\n", rounds);
    printf("%8s  %12s  %12s  %8s  %14s  %14s\n", "robots", "lockstep s", "variety s", "B/A",
           "lockstep us/r", "variety us/r");
    for (int i = 0; i < n; i++) {
        size_t la, lb;
        char *a = scenario(sizes[i], 0, &la), *b = scenario(sizes[i], 1, &lb);
        double ta[64], tb[64];
        for (int r = 0; r < rounds; r++) {
            ta[r] = load_and_plan(a, la);
            tb[r] = load_and_plan(b, lb);
            if (ta[r] < 0 || tb[r] < 0)
                return 1;
        }
        double ma = median(ta, rounds), mb = median(tb, rounds);
        printf("%8d  %12.4f  %12.4f  %8.3f  %14.2f  %14.2f\n", sizes[i], ma, mb, mb / ma,
               1e6 * ma / sizes[i], 1e6 * mb / sizes[i]);
        free(a);
        free(b);
    }
    return 0;
}
