/*
 * The fleet-size targets of issue 9, each printed beside its target:
 * - the star fleet (bench_xml.h: N robots, each on its own 100 Mbit/s 2 ms
 *   link to one edge host, 1000 B every 10 ms, 10 simulated seconds) at
 *   N = 100, 1000 and 10,000: load / plan / build / run / finish seconds,
 *   messages per second of the run phase, ns per message, peak memory per
 *   robot;
 * - bench_fleet's humanoid fleet (real-time computer and Jetson per robot,
 *   1 kHz control loop) at 1000 robots: simulated seconds per wall second;
 *   and the load + plan + build of 10,000 such robots.
 *
 * Per-event trace rows are excluded: this program is linked with
 * -Wl,--wrap for each ts_trace_append_* function (see the Makefile), and
 * the wrappers below drop the rows, so the run does everything but write
 * them (the static tables and the file are still written, to tmpfs when
 * there is one). Build and run are told apart the same way: a wrapper
 * around ts_engine_run, which ts_world_run calls once its models are
 * built, notes when the run starts and how long it lasts.
 *
 * Each case runs in a forked child under a time limit (SIGALRM) and an
 * address-space limit, and sends each phase's figures to the parent as
 * soon as it has them, so a case that is too slow today still reports the
 * phases it finished and says where it stopped. Peak memory is VmHWM from
 * /proc/self/status, less its value when the child started.
 *
 * Memory per robot is what each robot adds: (peak at N - peak at 1) /
 * (N - 1), the one-robot star run first as the reference. Dividing the
 * whole peak by N would count the parts that do not grow with the fleet
 * (the libraries' own heaps, HDF5's caches, the trace writer's buffers,
 * about 9 MiB) as if each robot had its share of them.
 *
 * usage: bench_targets [--full] [--star N [--seconds S]] [--in-process]
 *   --full       10 simulated seconds for the humanoid fleet too, instead of 2
 *   --star N     only the star fleet row for N robots (for A/B runs)
 *   --seconds S  simulated seconds of that row (default 10; a short run
 *                for cache simulators, whose counts do not depend on the
 *                machine's load)
 *   --in-process each case in this process, without fork or limits (for
 *                heap profilers, which do not follow a fork)
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "toposim/error.h"
#include "toposim/network.h"
#include "toposim/scenario.h"
#include "toposim/sim.h"
#include "toposim/trace.h"
#include "toposim/world.h"

#include "bench_xml.h"

#define STAR_SECONDS 10

static int star_seconds = STAR_SECONDS;
/* --in-process: run the case in this process instead of a forked child,
 * without the limits, so heap profilers (heaptrack, massif), which do not
 * follow a fork, see it. */
static int in_process;
#define MEMORY_LIMIT ((rlim_t)6 << 30)

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- link-time wrappers (-Wl,--wrap=NAME sends calls to __wrap_NAME) ---- */

#define DROP_ROWS(NAME, ROW)                                                  \
    int __wrap_##NAME(ts_trace_writer *w, const ROW *row, ts_error *err);    \
    int __wrap_##NAME(ts_trace_writer *w, const ROW *row, ts_error *err)     \
    {                                                                         \
        (void)w;                                                              \
        (void)row;                                                            \
        (void)err;                                                            \
        return TS_OK;                                                         \
    }

DROP_ROWS(ts_trace_append_message, ts_trace_message)
DROP_ROWS(ts_trace_append_job, ts_trace_job)
DROP_ROWS(ts_trace_append_link_state, ts_trace_link_state)
DROP_ROWS(ts_trace_append_node_state, ts_trace_node_state)
DROP_ROWS(ts_trace_append_core_state, ts_trace_core_state)
DROP_ROWS(ts_trace_append_event, ts_trace_event)

static double run_started = -1, run_seconds;
static double link_change_seconds;
static int link_changes;

/* A link fault's cost is the network's reaction to the link's new state
 * (today a route rebuild). */
int __real_ts_network_set_link_up(ts_network *net, int link, int up);
int __wrap_ts_network_set_link_up(ts_network *net, int link, int up);
int __wrap_ts_network_set_link_up(ts_network *net, int link, int up)
{
    double t0 = seconds();
    int rc = __real_ts_network_set_link_up(net, link, up);
    link_change_seconds += seconds() - t0;
    link_changes++;
    return rc;
}

uint64_t __real_ts_engine_run(ts_engine *engine, ts_time until);
uint64_t __wrap_ts_engine_run(ts_engine *engine, ts_time until);
uint64_t __wrap_ts_engine_run(ts_engine *engine, ts_time until)
{
    double t0 = seconds();
    if (run_started < 0)
        run_started = t0;
    uint64_t n = __real_ts_engine_run(engine, until);
    run_seconds += seconds() - t0;
    return n;
}

/* ---- one case, in a child ---- */

enum phase { LOADED = 1, PLANNED, BUILT, RAN };

typedef struct figures {
    int phase;                 /* last phase finished */
    int failed;                /* a phase returned an error */
    double load, plan, build, run, finish; /* seconds */
    long peak_kb;              /* VmHWM growth */
    uint64_t messages, events;
    int64_t simulated_ns;
    double link_change;        /* seconds in ts_network_set_link_up */
    int link_changes;
    char error[240];
} figures;

static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    size_t n = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0 && line[n] == ':') {
            kb = strtol(line + n + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

typedef char *(*scenario_fn)(int robots, int sim_seconds, size_t *len);

static int send_figures(int fd, const figures *f)
{
    return write(fd, f, sizeof *f) == (ssize_t)sizeof *f ? 0 : -1;
}

static void child(int fd, scenario_fn make, int robots, int sim_seconds,
                  int setup_only)
{
    figures f;
    memset(&f, 0, sizeof f);
    long hwm0 = status_kb("VmHWM");
    size_t len;
    char *xml = make(robots, sim_seconds, &len);
    ts_scenario_options opts = {.models_dir = "models"};
    ts_scenario *s = NULL;
    ts_plan *plan = NULL;
    ts_error err;
    ts_error_clear(&err);
    double t0 = seconds();
    int rc = ts_scenario_load_memory(xml, len, "bench", &opts, &s, &err);
    f.load = seconds() - t0;
    free(xml);
    if (rc == TS_OK) {
        f.phase = LOADED;
        f.peak_kb = status_kb("VmHWM") - hwm0;
        send_figures(fd, &f);
        t0 = seconds();
        rc = ts_plan_new(s, &plan, &err);
        f.plan = seconds() - t0;
    }
    if (rc == TS_OK) {
        f.phase = PLANNED;
        f.peak_kb = status_kb("VmHWM") - hwm0;
        send_figures(fd, &f);
        char trace[256];
        snprintf(trace, sizeof trace, "%s/toposim-bench-targets-%ld.h5",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
        /* setup only: simulate one nanosecond, so build is all there is */
        ts_run_options run = {.trace_path = trace, .duration_ns = setup_only ? 1 : 0};
        ts_run_stats st;
        t0 = seconds();
        rc = ts_world_run(s, plan, &run, &st, &err);
        double total = seconds() - t0;
        unlink(trace);
        if (rc == TS_OK) {
            f.build = (run_started < 0 ? total : run_started - t0);
            f.run = run_seconds;
            f.finish = total - f.build - f.run;
            f.messages = st.messages;
            f.events = st.events;
            f.simulated_ns = st.simulated_ns;
            f.link_change = link_change_seconds;
            f.link_changes = link_changes;
            f.phase = setup_only ? BUILT : RAN;
        }
    }
    if (rc != TS_OK) {
        f.failed = 1;
        ts_error_format(&err, f.error, sizeof f.error);
    }
    f.peak_kb = status_kb("VmHWM") - hwm0;
    send_figures(fd, &f);
    ts_plan_free(plan);
    ts_scenario_free(s);
}

/* Runs one case in a child limited to `limit` seconds; *out holds the last
 * figures the child sent. Returns 1 when the child hit the time limit. */
static int run_case(scenario_fn make, int robots, int sim_seconds, int setup_only,
                    unsigned limit, figures *out)
{
    memset(out, 0, sizeof *out);
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    fflush(stdout);
    if (in_process) {
        /* the figures are a few hundred bytes each, far below a pipe's buffer */
        child(fd[1], make, robots, sim_seconds, setup_only);
        close(fd[1]);
        figures f;
        while (read(fd[0], &f, sizeof f) == (ssize_t)sizeof f)
            *out = f;
        close(fd[0]);
        return 0;
    }
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(fd[0]);
        struct rlimit as = {MEMORY_LIMIT, MEMORY_LIMIT};
        setrlimit(RLIMIT_AS, &as);
        alarm(limit);
        child(fd[1], make, robots, sim_seconds, setup_only);
        _exit(0);
    }
    close(fd[1]);
    figures f;
    while (read(fd[0], &f, sizeof f) == (ssize_t)sizeof f)
        *out = f;
    close(fd[0]);
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        return 1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        out->failed = 1;
        snprintf(out->error, sizeof out->error, "child ended abnormally (status %d)", status);
    }
    return 0;
}

static const char *const phase_names[] = {"load", "load", "plan", "build", "run"};

/* Says where a case stopped; 1 if it did not finish. */
static int stopped(const figures *f, int timed_out, unsigned limit, int want)
{
    if (timed_out) {
        printf("  skipped: over %u s during %s (figures above are the phases it finished)\n",
               limit, phase_names[f->phase < 4 ? f->phase + 1 : 4]);
        return 1;
    }
    if (f->failed) {
        printf("  failed after %s (limits: %u s, %.0f GiB of address space): %s\n",
               f->phase ? phase_names[f->phase] : "nothing", limit,
               (double)MEMORY_LIMIT / (1 << 30), f->error);
        return 1;
    }
    return f->phase < want;
}

static const char *verdict(int ok) { return ok ? "met" : "NOT MET"; }

/* ---- the star fleet ---- */

/* The star fleet with robot r0's link down at 500 ms for 100 ms. */
static char *star_with_link_fault(int robots, int sim_seconds, size_t *len)
{
    char *xml = star_scenario(robots, sim_seconds, len);
    static const char end[] = "</scenario>\n";
    text t = {xml, *len - (sizeof end - 1), *len + 1};
    put(&t, "<faults><link-down link=\"r0_l\" at=\"500ms\" duration=\"100ms\"/>"
            "</faults>\n</scenario>\n");
    *len = t.len;
    return t.buf;
}

/* Prints the cost of one link state change in a 1 s star run of N robots;
 * returns it in seconds, or -1. */
static double link_fault(int robots, unsigned limit)
{
    figures f;
    int timed_out = run_case(star_with_link_fault, robots, 1, 0, limit, &f);
    if (stopped(&f, timed_out, limit, RAN) || f.link_changes == 0) {
        printf("  link fault, star N=%d: not measured\n", robots);
        return -1;
    }
    double each = f.link_change / f.link_changes;
    printf("  link fault, star N=%d: %d link state changes, %.3f ms each "
           "(setup %.2f s)\n", robots, f.link_changes, 1e3 * each,
           f.load + f.plan + f.build);
    return each;
}

typedef struct star_row {
    int robots;
    int done;
    double rate, ns_per_msg, bytes_per_robot, setup;
} star_row;

/* VmHWM growth of the one-robot star: the part of every row's peak that
 * does not grow with the fleet; -1 until measured. */
static long fixed_kb = -1;

static void star_reference(void)
{
    figures f;
    int timed_out = run_case(star_scenario, 1, star_seconds, 0, 60, &f);
    if (!timed_out && !f.failed && f.phase == RAN)
        fixed_kb = f.peak_kb;
}

static void star(int robots, unsigned limit, star_row *row)
{
    figures f;
    int timed_out = run_case(star_scenario, robots, star_seconds, 0, limit, &f);
    row->robots = robots;
    row->done = 0;
    printf("%7d  %7.2f %7.2f %7.2f %7.2f %7.2f", robots, f.load, f.plan,
           f.build, f.run, f.finish);
    if (f.phase == RAN && !timed_out && !f.failed) {
        row->done = 1;
        row->rate = (double)f.messages / f.run;
        row->ns_per_msg = 1e9 * f.run / (double)f.messages;
        row->bytes_per_robot = robots > 1 && fixed_kb >= 0
                                   ? 1024.0 * (double)(f.peak_kb - fixed_kb) / (robots - 1)
                                   : 1024.0 * (double)f.peak_kb / robots;
        row->setup = f.load + f.plan + f.build;
        printf("  %10llu  %10.3e  %8.1f  %8.1f  %8.2f\n",
               (unsigned long long)f.messages, row->rate, row->ns_per_msg,
               (double)f.peak_kb / 1024.0, row->bytes_per_robot / 1024.0);
    } else {
        printf("  %10s  %10s  %8s  %8.1f  %8s\n", "-", "-", "-",
               (double)f.peak_kb / 1024.0, "-");
        stopped(&f, timed_out, limit, RAN);
    }
}

int main(int argc, char **argv)
{
    int full = 0, only_star = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--full") == 0) {
            full = 1;
        } else if (strcmp(argv[i], "--star") == 0 && i + 1 < argc) {
            only_star = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--in-process") == 0) {
            in_process = 1;
        } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            star_seconds = atoi(argv[++i]);
            if (star_seconds < 1)
                star_seconds = 1;
        } else {
            fprintf(stderr, "usage: bench_targets [--full] [--star N [--seconds S]] [--in-process]\n");
            return 2;
        }
    }
    int humanoid_seconds = full ? 10 : 2;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (only_star > 0) {
        star_row row;
        star_reference();
        star(only_star, 600, &row);
        return row.done ? 0 : 1;
    }

    printf("\nstar fleet: N robots -> 1 edge host, 100 Mbit/s 2 ms links, 1000 B "
           "every 10 ms, %d s simulated;\nper-event trace rows dropped; rate and "
           "ns/msg over the run phase; peak = peak RSS growth; per robot = (peak - "
           "peak at 1 robot) / (N - 1)\n", star_seconds);
    printf("%7s  %7s %7s %7s %7s %7s  %10s  %10s  %8s  %8s  %8s\n", "robots",
           "load s", "plan s", "build s", "run s", "fin. s", "messages", "msg/s",
           "ns/msg", "peak MiB", "KiB/rob");
    star_row s100, s1k, s10k;
    star_reference();
    if (fixed_kb >= 0)
        printf("%7d  peak %.1f MiB: the part that does not grow with the fleet\n", 1,
               (double)fixed_kb / 1024.0);
    else
        printf("%7d  failed: memory per robot below is the whole peak / N\n", 1);
    star(100, 120, &s100);
    star(1000, 180, &s1k);
    star(10000, 240, &s10k);

    printf("\nhumanoid fleet (bench_fleet's robot: RT computer + Jetson, 1 kHz "
           "control loop), per-event trace rows dropped\n");
    figures h;
    int h_to = run_case(fleet_scenario, 1000, humanoid_seconds, 0, 180, &h);
    int h_done = !stopped(&h, h_to, 180, RAN);
    double h_rt = h_done ? (double)h.simulated_ns / 1e9 / h.run : 0;
    printf("  1000 robots, %d s simulated: load %.2f s, plan %.2f s, build %.2f s, "
           "run %.2f s, %llu events, %llu messages\n", humanoid_seconds, h.load,
           h.plan, h.build, h.run, (unsigned long long)h.events,
           (unsigned long long)h.messages);
    figures hs;
    int hs_to = run_case(fleet_scenario, 10000, 1, 1, 90, &hs);
    int hs_done = !stopped(&hs, hs_to, 90, BUILT);
    double hs_setup = hs.load + hs.plan + hs.build;
    printf("  10000 robots, setup: load %.2f s", hs.load);
    if (hs.phase >= PLANNED)
        printf(", plan %.2f s", hs.plan);
    if (hs.phase >= BUILT)
        printf(", build %.2f s", hs.build);
    printf("; peak %.2f GiB\n", (double)hs.peak_kb / (1024.0 * 1024.0));

    printf("\nlink-down fault (time in ts_network_set_link_up; the 10,000 case "
           "runs when the star's setup above took under 30 s)\n");
    double fault1k = link_fault(1000, 120);
    double fault10k = -1;
    if (s10k.done && s10k.setup < 30)
        fault10k = link_fault(10000, 120);

    printf("\ntargets (issue 9):\n");
    if (s1k.done)
        printf("  star N=1000 run rate            %8.2f M msg/s   target >= 2.5 M      %s\n",
               s1k.rate / 1e6, verdict(s1k.rate >= 2.5e6));
    else
        printf("  star N=1000 run rate            not measured (see above)\n");
    if (s1k.done && s10k.done)
        printf("  star N=10000 rate / N=1000      %8.0f %%         target >= 90 %%       %s\n",
               100 * s10k.rate / s1k.rate, verdict(s10k.rate >= 0.9 * s1k.rate));
    else
        printf("  star N=10000 rate / N=1000      not measured (see above)\n");
    if (s10k.done)
        printf("  star N=10000 memory per robot   %8.2f KiB       target <= 2 KiB      %s\n",
               s10k.bytes_per_robot / 1024, verdict(s10k.bytes_per_robot <= 2048));
    else
        printf("  star N=10000 memory per robot   not measured (see above)\n");
    if (s1k.done)
        printf("  star N=1000 memory per robot    %8.2f KiB       (for comparison)\n",
               s1k.bytes_per_robot / 1024);
    if (s100.done && s10k.done)
        printf("  ns/msg N=10000 / N=100          %8.2f x         target <= 1.5 x      %s\n",
               s10k.ns_per_msg / s100.ns_per_msg, verdict(s10k.ns_per_msg <= 1.5 * s100.ns_per_msg));
    else if (s100.done && s1k.done)
        printf("  ns/msg N=10000 / N=100          not measured; N=1000 / N=100: %.2f x\n",
               s1k.ns_per_msg / s100.ns_per_msg);
    if (h_done)
        printf("  humanoid x1000 speed            %8.3f x real  target >= 1 x        %s\n",
               h_rt, verdict(h_rt >= 1));
    else
        printf("  humanoid x1000 speed            not measured (see above)\n");
    if (hs_done)
        printf("  humanoid x10000 setup           %8.2f s, %.2f GiB  target < 10 s, < 2 GiB  %s\n",
               hs_setup, (double)hs.peak_kb / (1024.0 * 1024.0),
               verdict(hs_setup < 10 && hs.peak_kb < 2L * 1024 * 1024));
    else
        printf("  humanoid x10000 setup           not measured (see above)\n");
    if (fault10k >= 0)
        printf("  link-down fault, star x10000    %8.3f ms        target < 1 ms        %s\n",
               1e3 * fault10k, verdict(fault10k < 1e-3));
    else if (fault1k >= 0)
        printf("  link-down fault                 not measured at 10000 (setup too slow); "
               "star x1000: %.3f ms (target < 1 ms at 10000)\n", 1e3 * fault1k);
    else
        printf("  link-down fault                 not measured (see above)\n");
    printf("  event queue at 1e5 / 1e6        see bench_engine (eng/heap column)\n");
    return 0;
}
