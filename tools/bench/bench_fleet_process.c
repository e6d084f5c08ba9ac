/*
 * Fleet process bench: load + plan of a fleet of N robots whose template
 * runs two of its components in a process (copied per robot, each robot
 * with its own executor) against the same fleet with every component on
 * a thread of its own, in alternating rounds (A B A B ...). Prints each
 * variant's median time, the ratio, the time per robot, and the bytes
 * the loaded scenario and plan hold per robot (glibc's mallinfo2 over
 * everything in use), which may not grow with the fleet, and their live
 * allocations through the allocation hook (a fleet's copies are made in
 * blocks, so this must not grow with the fleet either).
 * usage: bench_fleet_process [ROUNDS [ROBOTS...]]   (default 5; 100 1000 10000)
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "toposim/alloc.h"
#include "toposim/scenario.h"
#include "toposim/world.h"

#include "bench_xml.h"

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static size_t bytes_in_use(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

/* bench_fleet_variety's robot, in lockstep; with its control loop and
 * vision in one single-threaded process, or each on its own thread. */
static char *scenario(int robots, int process, size_t *len)
{
    text t = {malloc(1 << 16), 0, 1 << 16};
    put(&t,
        "<scenario name=\"process-%d\" seed=\"3\" duration=\"1s\">\n<platform>\n"
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
    if (process)
        put(&t, "<processes>\n  <process id=\"rt\" executor=\"single-threaded\" "
                "components=\"control_loop vision\"/>\n</processes>\n");
    put(&t, "<fleet id=\"f\" template=\"h1\" count=\"%d\"/>\n</scenario>\n", robots);
    *len = t.len;
    return t.buf;
}

typedef struct sample {
    double seconds;
    size_t bytes;
    long allocations;
} sample;

/* Load + plan once; seconds < 0 on an error. */
static sample load_and_plan(const char *xml, size_t len)
{
    ts_scenario *s = NULL;
    ts_plan *plan = NULL;
    ts_error err;
    ts_error_clear(&err);
    size_t b0 = bytes_in_use();
    long a0 = ts_alloc_live();
    double t0 = seconds();
    int rc = ts_scenario_load_memory(xml, len, "process", NULL, &s, &err);
    if (rc == TS_OK)
        rc = ts_plan_new(s, &plan, &err);
    sample out = {seconds() - t0, bytes_in_use() - b0, ts_alloc_live() - a0};
    if (rc != TS_OK) {
        char buf[1200];
        ts_error_format(&err, buf, sizeof buf);
        fprintf(stderr, "bench_fleet_process: %s\n", buf);
        out.seconds = -1;
    }
    ts_plan_free(plan);
    ts_scenario_free(s);
    return out;
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
    printf("\nfleet process bench: load + plan, %d A/B rounds, medians "
           "(A: every component its own thread, B: two in a process per robot)\n", rounds);
    printf("%8s  %10s  %10s  %6s  %9s  %9s  %9s  %9s  %8s  %8s\n", "robots", "A s", "B s",
           "B/A", "A us/r", "B us/r", "A B/r", "B B/r", "A allocs", "B allocs");
    for (int i = 0; i < n; i++) {
        size_t la, lb;
        char *a = scenario(sizes[i], 0, &la), *b = scenario(sizes[i], 1, &lb);
        double ta[64], tb[64];
        sample sa = {0}, sb = {0};
        for (int r = 0; r < rounds; r++) {
            sa = load_and_plan(a, la);
            sb = load_and_plan(b, lb);
            if (sa.seconds < 0 || sb.seconds < 0)
                return 1;
            ta[r] = sa.seconds;
            tb[r] = sb.seconds;
        }
        double ma = median(ta, rounds), mb = median(tb, rounds);
        printf("%8d  %10.4f  %10.4f  %6.3f  %9.2f  %9.2f  %9.0f  %9.0f  %8ld  %8ld\n",
               sizes[i], ma, mb, mb / ma, 1e6 * ma / sizes[i], 1e6 * mb / sizes[i],
               (double)sa.bytes / sizes[i], (double)sb.bytes / sizes[i],
               sa.allocations, sb.allocations);
        free(a);
        free(b);
    }
    return 0;
}
