/*
 * Fleet chains bench: the memory a chain costs per robot. A fleet of N
 * robots, each with tests/e2e/fleet-chain.xml's robot (camera -> image ->
 * vision -> features -> detect in one single-threaded process, the
 * chain's three component stages), is loaded, planned and run for 100 ms
 * in a child process, with the chain and without it; the peak resident
 * size of each child (wait4's ru_maxrss) is compared, so everything the
 * chain adds counts: its copies in the scenario, the simulator's stages
 * and rings, the trace's /chains rows. Prints the difference per robot,
 * which should not grow with the fleet (README, "Chains": fleets).
 * usage: bench_fleet_chains [ROBOTS...]   (default 100 1000 10000)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "toposim/scenario.h"
#include "toposim/world.h"

#include "bench_xml.h"

static char *scenario(int robots, int chain, size_t *len)
{
    text t = {malloc(1 << 12), 0, 1 << 12};
    put(&t,
        "<scenario name=\"fleet-chains-%d\" seed=\"1\" duration=\"100ms\">\n<platform>\n"
        "  <transport><cost path=\"serialise\" bandwidth=\"1000000Gbps\"/></transport>\n"
        "  <robot id=\"h1\"><computer id=\"h1_cpu\" cores=\"1\" memory=\"1GiB\"/></robot>\n"
        "  <edge id=\"rack\"><server id=\"edge1\" cores=\"4\" memory=\"8GiB\"/></edge>\n"
        "  <link id=\"h1_uplink\" from=\"h1_cpu\" to=\"edge1\" model=\"gbe\"/>\n"
        "</platform>\n<components>\n"
        "  <component id=\"camera\" robot=\"h1\" rate=\"50Hz\" exec=\"1ms\" node=\"h1_cpu\"/>\n"
        "  <component id=\"z\" robot=\"h1\" rate=\"50Hz\" offset=\"2ms\" exec=\"3ms\" "
        "node=\"h1_cpu\"/>\n"
        "  <component id=\"hk\" robot=\"h1\" rate=\"50Hz\" offset=\"4ms\" exec=\"500us\" "
        "node=\"h1_cpu\"/>\n"
        "  <component id=\"vision\" robot=\"h1\" trigger=\"image\" exec=\"2ms\" "
        "node=\"h1_cpu\"/>\n"
        "  <component id=\"detect\" robot=\"h1\" trigger=\"features\" exec=\"1ms\" "
        "node=\"h1_cpu\"/>\n"
        "</components>\n<topics>\n"
        "  <topic id=\"image\" publisher=\"camera\" subscribers=\"vision\" size=\"1000B\"/>\n"
        "  <topic id=\"features\" publisher=\"vision\" subscribers=\"detect\" size=\"100B\"/>\n"
        "</topics>\n<processes>\n"
        "  <process id=\"perception\" executor=\"single-threaded\" "
        "components=\"camera z hk vision detect\"/>\n"
        "</processes>\n",
        robots);
    if (chain)
        put(&t, "<chains><chain id=\"perception\" budget=\"10ms\">"
                "<stage component=\"camera\"/><stage topic=\"image\"/>"
                "<stage component=\"vision\"/><stage topic=\"features\"/>"
                "<stage component=\"detect\"/></chain></chains>\n");
    put(&t, "<fleet id=\"trio\" template=\"h1\" count=\"%d\"/>\n</scenario>\n", robots);
    *len = t.len;
    return t.buf;
}

/* Runs the scenario in a child; its peak resident size in KiB, or -1. */
static long peak_kib(const char *xml, size_t len)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        ts_scenario *s = NULL;
        ts_plan *plan = NULL;
        ts_error err;
        ts_error_clear(&err);
        char trace[256];
        snprintf(trace, sizeof trace, "/tmp/toposim-bench-chains-%ld.h5", (long)getpid());
        ts_run_options run = {.trace_path = trace};
        ts_run_stats st;
        int rc = ts_scenario_load_memory(xml, len, "fleet-chains", NULL, &s, &err);
        if (rc == TS_OK)
            rc = ts_plan_new(s, &plan, &err);
        if (rc == TS_OK)
            rc = ts_world_run(s, plan, &run, &st, &err);
        if (rc != TS_OK) {
            char buf[1200];
            ts_error_format(&err, buf, sizeof buf);
            fprintf(stderr, "bench_fleet_chains: %s\n", buf);
        }
        unlink(trace);
        _exit(rc == TS_OK ? 0 : 1);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
        return -1;
    return ru.ru_maxrss;
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
    printf("\nfleet chains bench: peak RSS of a 100 ms run, without and with one "
           "3-stage chain per robot\n");
    printf("%8s  %12s  %12s  %14s  %14s\n", "robots", "without KiB", "with KiB",
           "robot B", "chain B/robot");
    for (int i = 0; i < n; i++) {
        size_t la, lb;
        char *a = scenario(sizes[i], 0, &la), *b = scenario(sizes[i], 1, &lb);
        long ka = peak_kib(a, la), kb = peak_kib(b, lb);
        free(a);
        free(b);
        if (ka < 0 || kb < 0)
            return 1;
        printf("%8d  %12ld  %12ld  %14.0f  %14.0f\n", sizes[i], ka, kb,
               1024.0 * (double)ka / sizes[i], 1024.0 * (double)(kb - ka) / sizes[i]);
    }
    return 0;
}
