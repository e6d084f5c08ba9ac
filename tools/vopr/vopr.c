/*
 * vopr: simulation testing of toposim's deployment code, in the spirit
 * of FoundationDB's simulation tests and TigerBeetle's VOPR. It runs
 * many seeded random fault schedules against the example scenarios and
 * holds every run to the invariants of invariants.h; a broken invariant
 * prints one line that replays the schedule exactly.
 *
 *   vopr [--schedules N] [--base-seed S] [--scenarios DIR] [-q]
 *   vopr --scenario FILE --seed S [--print]
 *
 * Schedule i of a campaign runs scenario i mod (number of scenarios), in
 * name order, with seed vopr_schedule_seed(base, i). Exit codes: 0 every
 * schedule kept every invariant, 1 one did not (or a schedule was bad
 * input, or a run failed), 2 bad usage or no scenario.
 */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"
#include "toposim/trace.h"

static const char usage[] =
    "usage: vopr [--schedules N] [--base-seed S] [--scenarios DIR] [-q]\n"
    "       vopr --scenario FILE --seed S [--print] [--trace FILE]\n"
    "Runs seeded random fault schedules against the scenarios in DIR\n"
    "(default scenarios/) and checks the invariants after each; a failure\n"
    "prints one line with the command that replays it. --print writes the\n"
    "replayed schedule's scenario document to stdout, --trace keeps its\n"
    "trace in FILE.\n";

static int parse_u64(const char *text, uint64_t *out)
{
    if (!text || text[0] < '0' || text[0] > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

static double seconds(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + 1e-9 * (double)(b->tv_nsec - a->tv_nsec);
}

/* User + system CPU of this process and its waited-for children (the
 * trace reader reads each file first in a child). */
static double cpu_seconds(void)
{
    double total = 0;
    struct rusage ru;
    int who[2] = {RUSAGE_SELF, RUSAGE_CHILDREN};
    for (int i = 0; i < 2; i++)
        if (getrusage(who[i], &ru) == 0)
            total += (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
                     (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
    return total;
}

/* The one line a failing schedule prints. */
static void print_failure(const char *prog, const char *path, uint64_t seed,
                          const vopr_result *r)
{
    if (r->verdict == VOPR_BROKEN)
        printf("vopr: FAIL invariant=%s scenario=%s seed=%" PRIu64 " t=%" PRId64 "ns: %s; "
               "replay: %s --scenario %s --seed %" PRIu64 "\n",
               r->violation.invariant, path, seed, r->violation.t_ns, r->violation.detail, prog,
               path, seed);
    else
        printf("vopr: FAIL %s scenario=%s seed=%" PRIu64 ": %s; replay: %s --scenario %s "
               "--seed %" PRIu64 "\n",
               r->verdict == VOPR_BAD_SCHEDULE ? "bad-schedule" : "run-error", path, seed,
               r->error, prog, path, seed);
    fflush(stdout);
}

static int load_base(const char *path, ts_scenario **out)
{
    ts_error err;
    if (ts_scenario_load(path, NULL, out, &err) == TS_OK)
        return 0;
    char buf[1200];
    ts_error_format(&err, buf, sizeof buf);
    fprintf(stderr, "vopr: %s\n", buf);
    return -1;
}

/* Ends the process: HDF5's own exit handler crashes after a failed close
 * (trace.h), so then _exit after flushing. */
static int finish(int code)
{
    fflush(stdout);
    fflush(stderr);
    if (ts_trace_library_unusable())
        _exit(code);
    return code;
}

static int make_dir(char *dir, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, size, "%s/vopr.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir))
        return 0;
    fprintf(stderr, "vopr: cannot make a temporary folder %s: %s\n", dir, strerror(errno));
    return -1;
}

static int replay(const char *prog, const char *path, uint64_t seed, int print_doc,
                  const char *keep_trace)
{
    ts_scenario *base = NULL;
    char dir[4096];
    if (load_base(path, &base) != 0)
        return 2;
    if (make_dir(dir, sizeof dir) != 0) {
        ts_scenario_free(base);
        return 2;
    }
    vopr_result r;
    char *doc = NULL;
    int rc = vopr_run_schedule(base, seed, dir, keep_trace, &r, NULL,
                               print_doc ? &doc : NULL);
    rmdir(dir);
    ts_scenario_free(base);
    if (doc)
        fputs(doc, stdout);
    free(doc);
    if (rc != TS_OK) {
        fprintf(stderr, "vopr: out of memory\n");
        return 2;
    }
    if (r.verdict != VOPR_PASS) {
        print_failure(prog, path, seed, &r);
        return 1;
    }
    printf("vopr: PASS scenario=%s seed=%" PRIu64 " (%d faults)\n", path, seed,
           r.info.n_faults);
    return 0;
}

static int campaign(const char *prog, const char *folder, uint64_t n, uint64_t base_seed,
                    int quiet)
{
    char pattern[4096];
    snprintf(pattern, sizeof pattern, "%s/*.xml", folder);
    glob_t g;
    if (glob(pattern, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
        fprintf(stderr, "vopr: no scenario matches %s\n", pattern);
        return 2;
    }
    size_t ns = g.gl_pathc;
    ts_scenario **bases = calloc(ns, sizeof *bases);
    char dir[4096];
    if (!bases || make_dir(dir, sizeof dir) != 0) {
        free(bases);
        globfree(&g);
        return 2;
    }
    int code = 0;
    for (size_t i = 0; i < ns && code == 0; i++)
        if (load_base(g.gl_pathv[i], &bases[i]) != 0)
            code = 2;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double cpu0 = cpu_seconds();
    vopr_check_stats st;
    vopr_check_stats_init(&st);
    uint64_t failed = 0, bad = 0, run_errors = 0, faults = 0;
    uint64_t per_kind[VOPR_FAULT_KINDS] = {0};
    for (uint64_t i = 0; i < n && code == 0; i++) {
        size_t k = (size_t)(i % ns);
        uint64_t seed = vopr_schedule_seed(base_seed, i);
        vopr_result r;
        if (vopr_run_schedule(bases[k], seed, dir, NULL, &r, &st, NULL) != TS_OK) {
            fprintf(stderr, "vopr: out of memory\n");
            code = 2;
            break;
        }
        faults += (uint64_t)r.info.n_faults;
        for (int f = 0; f < VOPR_FAULT_KINDS; f++)
            per_kind[f] += (uint64_t)r.info.per_kind[f];
        if (r.verdict != VOPR_PASS) {
            failed++;
            bad += r.verdict == VOPR_BAD_SCHEDULE;
            run_errors += r.verdict == VOPR_RUN_ERROR;
            print_failure(prog, g.gl_pathv[k], seed, &r);
        }
        if (!quiet && (i + 1) % 100 == 0) {
            clock_gettime(CLOCK_MONOTONIC, &t1);
            fprintf(stderr, "vopr: %" PRIu64 " of %" PRIu64 " schedules, %" PRIu64
                    " failed, %.1f s\n", i + 1, n, failed, seconds(&t0, &t1));
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double cpu = cpu_seconds() - cpu0;
    if (code == 0) {
        printf("vopr: %" PRIu64 " schedules over %zu scenarios (base seed %" PRIu64
               "), %" PRIu64 " failed (%" PRIu64 " bad schedules, %" PRIu64
               " run errors); %.1f s wall, %.1f s CPU\n",
               n, ns, base_seed, failed, bad, run_errors, seconds(&t0, &t1), cpu);
        printf("vopr: %" PRIu64 " faults:", faults);
        for (int f = 0; f < VOPR_FAULT_KINDS; f++)
            printf(" %s %" PRIu64, vopr_fault_name(f), per_kind[f]);
        printf("\nvopr: checked %" PRIu64 " component-state rows at %" PRIu64
               " instants and %" PRIu64 " messages; %" PRIu64
               " times a needed component had no server (exempt: %" PRIu64
               " every member down and no safe state declared, %" PRIu64
               " supervisor's node down, %" PRIu64 " no heartbeat to watch it, %" PRIu64
               " every live member fenced)",
               st.state_rows, st.instants, st.messages, st.episodes, st.exempt_no_safe_state,
               st.exempt_supervisor_down, st.exempt_unmonitored, st.exempt_fenced);
        if (st.closest_ns != INT64_MAX)
            printf("; least grace left %.3f ms", (double)st.closest_ns / 1e6);
        printf("\n");
        code = failed ? 1 : 0;
    }
    rmdir(dir);
    for (size_t i = 0; i < ns; i++)
        ts_scenario_free(bases[i]);
    free(bases);
    globfree(&g);
    return code;
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"schedules", required_argument, NULL, 'n'},
        {"base-seed", required_argument, NULL, 'b'},
        {"scenarios", required_argument, NULL, 'd'},
        {"scenario", required_argument, NULL, 'f'},
        {"seed", required_argument, NULL, 's'},
        {"print", no_argument, NULL, 'p'},
        {"trace", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    uint64_t n = 1000, base_seed = 1, seed = 0;
    const char *folder = "scenarios", *scenario = NULL, *keep_trace = NULL;
    int have_seed = 0, print_doc = 0, quiet = 0, c;
    while ((c = getopt_long(argc, argv, "qh", longs, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (parse_u64(optarg, &n) != 0) {
                fprintf(stderr, "vopr: --schedules expects a count\n");
                return 2;
            }
            break;
        case 'b':
            if (parse_u64(optarg, &base_seed) != 0) {
                fprintf(stderr, "vopr: --base-seed expects a non-negative integer\n");
                return 2;
            }
            break;
        case 's':
            if (parse_u64(optarg, &seed) != 0) {
                fprintf(stderr, "vopr: --seed expects a non-negative integer\n");
                return 2;
            }
            have_seed = 1;
            break;
        case 'd': folder = optarg; break;
        case 'f': scenario = optarg; break;
        case 'p': print_doc = 1; break;
        case 't': keep_trace = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (optind != argc || (scenario != NULL) != have_seed || (keep_trace && !scenario)) {
        fputs(usage, stderr);
        return 2;
    }
    if (scenario)
        return finish(replay(argv[0], scenario, seed, print_doc, keep_trace));
    return finish(campaign(argv[0], folder, n, base_seed, quiet));
}
