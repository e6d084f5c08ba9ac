/*
 * Discovery bench: bench_fleet's generated fleet (robots with a real-time
 * computer and a Jetson, ten to an access point, an edge rack, a cloud
 * region) run with DDS discovery off (matching at the start) and on
 * (<discovery/>, Fast DDS's defaults), each run in a child process so its
 * peak memory is its own. Prints per run the participants' events, wall
 * and CPU time, CPU nanoseconds per event, the child's peak resident memory, and the
 * pairs matched; the ns per event at 100 and 1000 robots shows whether
 * the cost of an event grows with the fleet (it should not: discovery
 * finds the pairs between two participants by binary search in one
 * participant's list, and an announcement costs one send per receiver).
 * usage: bench_discovery [ROBOTS...]   (default 100 1000)
 */
#define _DEFAULT_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "toposim/scenario.h"
#include "toposim/trace.h"
#include "toposim/world.h"

#include "bench_xml.h"

#define SIM_SECONDS 5

static double seconds(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The fleet, with <discovery/> added when on. */
static char *scenario(int robots, int on, size_t *len)
{
    char *xml = fleet_scenario(robots, SIM_SECONDS, len);
    if (!on)
        return xml;
    static const char end[] = "</scenario>\n", el[] = "<discovery/>\n";
    char *at = strstr(xml, end);
    size_t head = (size_t)(at - xml);
    char *out = malloc(*len + sizeof el);
    if (!out) {
        perror("bench_discovery");
        exit(2);
    }
    memcpy(out, xml, head);
    memcpy(out + head, el, sizeof el - 1);
    memcpy(out + head + sizeof el - 1, end, sizeof end);
    *len = head + sizeof el - 1 + sizeof end - 1;
    free(xml);
    return out;
}

static size_t count(const ts_trace *t, const char *kind)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_events; i++)
        n += strcmp(t->events[i].kind, kind) == 0;
    return n;
}

/* One run in this (child) process; prints its line but for the memory. */
static int run(int robots, int on)
{
    size_t len;
    char *xml = scenario(robots, on, &len);
    ts_scenario_options opts = {.models_dir = "models"};
    ts_scenario *s = NULL;
    ts_plan *plan = NULL;
    ts_trace *t = NULL;
    ts_error err;
    ts_error_clear(&err);
    char trace[256];
    snprintf(trace, sizeof trace, "/tmp/toposim-bench-discovery-%ld.h5", (long)getpid());
    ts_run_options ro = {.trace_path = trace, .trace_level = TS_TRACE_LEVEL_SUMMARY};
    ts_run_stats st;
    int rc = ts_scenario_load_memory(xml, len, "fleet", &opts, &s, &err);
    if (rc == TS_OK)
        rc = ts_plan_new(s, &plan, &err);
    double t0 = seconds(CLOCK_MONOTONIC), c0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
    if (rc == TS_OK)
        rc = ts_world_run(s, plan, &ro, &st, &err);
    double wall = seconds(CLOCK_MONOTONIC) - t0, cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
    if (rc == TS_OK)
        rc = ts_trace_load(trace, &t, &err);
    if (rc != TS_OK) {
        char buf[1200];
        ts_error_format(&err, buf, sizeof buf);
        fprintf(stderr, "bench_discovery: %d robots: %s\n", robots, buf);
    } else {
        size_t pairs = count(t, "dds_match") + count(t, "dds_no_match");
        printf("%8d  %9s  %12llu  %8.3f  %8.3f  %9.1f  %7zu/%-7zu", robots, on ? "on" : "off",
               (unsigned long long)st.events, wall, cpu, 1e9 * cpu / (double)st.events,
               count(t, "dds_match"), pairs);
    }
    fflush(stdout);
    unlink(trace);
    ts_trace_free(t);
    ts_plan_free(plan);
    ts_scenario_free(s);
    free(xml);
    return rc == TS_OK ? 0 : 1;
}

static int bench(int robots, int on)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench_discovery: fork");
        return 1;
    }
    if (pid == 0)
        _exit(run(robots, on));
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid)
        return 1;
    int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (ok)
        printf("  %10.1f\n", (double)ru.ru_maxrss / 1024.0);
    return !ok;
}

int main(int argc, char **argv)
{
    int sizes[8] = {100, 1000};
    int n = 2;
    if (argc > 1) {
        n = 0;
        for (int i = 1; i < argc && n < 8; i++)
            sizes[n++] = atoi(argv[i]);
    }
    printf("\ndiscovery bench: %d s simulated per run, summary trace, each run its own "
           "process\n", SIM_SECONDS);
    printf("%8s  %9s  %12s  %8s  %8s  %9s  %15s  %10s\n", "robots", "discovery", "events",
           "wall s", "cpu s", "ns/event", "matched/pairs", "peak MiB");
    int bad = 0;
    for (int i = 0; i < n; i++)
        for (int on = 0; on < 2; on++)
            bad |= bench(sizes[i], on);
    return bad;
}
