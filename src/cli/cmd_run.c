/* toposim run: simulate a scenario and write its trace. */
/* realpath(3) is an XSI function: glibc declares it only with _XOPEN_SOURCE. */
#define _XOPEN_SOURCE 700
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "toposim/trace.h"
#include "toposim/sim.h"
#include "toposim/units.h"
#include "toposim/world.h"
#include "util/atomic_file.h"

/* Above this many robots a run without --trace writes a summary trace. */
#define TS_CLI_SUMMARY_ROBOTS 100
#define TS_CLI_SUMMARY_ROBOTS_TEXT "100"

static const char help[] =
    "usage: toposim run [-o TRACE.h5] [--seed N] [--duration T] [--models DIR]\n"
    "                   [--trace-compress none|fast|max] [--keep-partial] [-q]\n"
    "                   [--limit NAME=N] [--trace full|summary]\n"
    "                   [--trace-filter topic=NAME,...] [--trace-window T1..T2]\n"
    "                   [--set PATH=VALUE]...\n"
    "                   SCENARIO.xml\n"
    "\n"
    "Places the components, simulates the platform and workload and writes\n"
    "an HDF5 trace (under a temporary name until it is complete).\n"
    "\n"
    "  -o, --output FILE    trace file (default: results/NAME.h5)\n"
    "  -s, --seed N         random seed (default: the scenario's seed=)\n"
    "  -d, --duration T     simulated time, e.g. 10s or 500ms (default: the\n"
    "                       scenario's duration=)\n"
    "  -m, --models DIR     hardware model folder\n"
    "      --stamp          also record the host, start time and wall time in\n"
    "                       the trace (it then differs from run to run)\n"
    "      --trace-compress none|fast|max\n"
    "                       deflate the trace's tables not at all, at level 1\n"
    "                       (fast, the default) or at level 9 (max)\n"
    "      --trace full|summary\n"
    "                       full: a row per message and job; summary: per\n"
    "                       subscription and component and time window,\n"
    "                       counts and latency histograms (1.6 %% relative\n"
    "                       error; see README \"Trace levels\"). Default: the\n"
    "                       scenario's <trace level=>, else summary above\n"
    "                       " TS_CLI_SUMMARY_ROBOTS_TEXT " robots, full otherwise\n"
    "      --trace-filter topic=NAME[,topic=NAME2,component=NAME3]\n"
    "                       full level: keep /messages and /jobs rows of\n"
    "                       these topics and components only\n"
    "      --trace-window T1..T2\n"
    "                       full level: keep rows sent or released in\n"
    "                       [T1, T2) only, e.g. 5s..10s\n"
    "      --keep-partial   on SIGINT or SIGTERM, close the trace as a valid\n"
    "                       one marked unfinished (validate fails it) instead\n"
    "                       of removing it\n"
    "  -q, --quiet          no run summary and no progress line\n"
    CLI_SET_HELP
    CLI_LIMIT_HELP
    "  -h, --help           this text\n"
    "On a terminal, stderr shows one progress line (simulated time, share\n"
    "done, events per second, time left). SIGINT or SIGTERM stop the run\n"
    "within milliseconds and remove its temporary trace (a second one stops\n"
    "at once).\n"
    "exit codes: 0 trace written, 2 bad input or error, 3 the components do\n"
    "not fit the platform (no trace), 128+N stopped by signal N (130 SIGINT,\n"
    "143 SIGTERM)\n";

/* The command that reproduces the run, as a shell would take it back:
 * "toposim run", the options that decide the result (seed, duration,
 * models) as given, and the scenario; each word single-quoted when it
 * holds anything but plain characters. Output options (-o, -q, --stamp)
 * are left out: they do not change the result, and the same scenario and
 * seed must give the same bytes wherever the trace is written. */
static char *join_command_line(const char *const *words, size_t n_words)
{
    size_t size = sizeof "toposim";
    for (size_t i = 0; i < n_words; i++)
        size += 4 * strlen(words[i]) + 3;
    char *out = malloc(size);
    if (!out)
        return NULL;
    size_t n = (size_t)snprintf(out, size, "toposim");
    for (size_t i = 0; i < n_words; i++) {
        const char *a = words[i];
        int plain = a[0] != '\0';
        for (const char *p = a; *p && plain; p++)
            plain = isalnum((unsigned char)*p) || strchr("-_./=:,+%@", *p);
        out[n++] = ' ';
        if (plain) {
            n += (size_t)snprintf(out + n, size - n, "%s", a);
            continue;
        }
        out[n++] = '\'';
        for (const char *p = a; *p; p++) {
            if (*p == '\'') {   /* ' becomes '\'' */
                memcpy(out + n, "'\\''", 4);
                n += 4;
            } else {
                out[n++] = *p;
            }
        }
        out[n++] = '\'';
        out[n] = '\0';
    }
    return out;
}

/* ---- interrupts ---- */

static volatile sig_atomic_t stop_signal;

/* The first SIGINT or SIGTERM asks the run to stop at its next poll (it
 * then removes or closes its trace); a second one ends the process at
 * once with the conventional status. */
static void on_stop_signal(int sig)
{
    if (stop_signal)
        _exit(128 + sig);
    stop_signal = sig;
}

static void catch_stop_signals(int on)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on ? on_stop_signal : SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ---- progress on a terminal ---- */

typedef struct progress {
    struct timespec start, last;
    int shown;
} progress;

static double since(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + 1e-9 * (double)(b->tv_nsec - a->tv_nsec);
}

static void show_progress(void *ctx, int64_t now_ns, int64_t end_ns, uint64_t events)
{
    progress *p = ctx;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (p->shown && since(&p->last, &t) < 0.25)
        return;
    p->last = t;
    p->shown = 1;
    double wall = since(&p->start, &t);
    double done = end_ns > 0 ? (double)now_ns / (double)end_ns : 0;
    char eta[32] = "?";
    if (done > 0.001 && wall > 0)
        snprintf(eta, sizeof eta, "%.0f s", wall * (1 - done) / done);
    fprintf(stderr, "\r  simulated %.3f s of %.3f s (%.0f%%), %.2f M events/s, %s left\033[K",
            (double)now_ns / 1e9, (double)end_ns / 1e9, 100 * done,
            wall > 0 ? (double)events / wall / 1e6 : 0.0, eta);
}

static void clear_progress(const progress *p)
{
    if (p->shown)
        fputs("\r\033[K", stderr);
}

/* A file's path as the trace records it: canonical (realpath), and
 * relative to the working folder when the file is inside it, so that a
 * repository's traces do not depend on where it was cloned (a CI
 * baseline made on another machine compares byte for byte). NULL when the
 * path does not resolve or memory is short. */
static char *recorded_path(const char *typed)
{
    char *real = realpath(typed, NULL);
    char *cwd = real ? realpath(".", NULL) : NULL;
    if (!cwd)
        return real;
    size_t n = strlen(cwd);
    if (strncmp(real, cwd, n) == 0 && real[n] == '/' && real[n + 1]) {
        memmove(real, real + n + 1, strlen(real + n + 1) + 1);
    }
    free(cwd);
    return real;
}

static int parse_seed(const char *text, uint64_t *seed)
{
    if (!isdigit((unsigned char)text[0]))
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end)
        return -1;
    *seed = (uint64_t)v;
    return 0;
}

/* "5s..10s" as [start, end); 0 when it parses and end > start >= 0. */
static int parse_window(const char *text, int64_t *start, int64_t *end)
{
    const char *dots = strstr(text, "..");
    if (!dots || dots == text || (size_t)(dots - text) >= 64)
        return -1;
    char first[64];
    memcpy(first, text, (size_t)(dots - text));
    first[dots - text] = '\0';
    const char *why = NULL;
    if (ts_unit_time(first, start, &why) != 0 || why)
        return -1;
    why = NULL;
    if (ts_unit_time(dots + 2, end, &why) != 0 || why)
        return -1;
    return *start >= 0 && *end > *start ? 0 : -1;
}

/* Robots in the scenario (sites of tier robot). */
static size_t robots_of(const ts_scenario *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_sites; i++)
        n += s->sites[i].tier == TS_TIER_ROBOT;
    return n;
}

int cli_run(int argc, char **argv)
{
    static const struct option longs[] = {
        {"output", required_argument, NULL, 'o'},
        {"seed", required_argument, NULL, 's'},
        {"duration", required_argument, NULL, 'd'},
        {"models", required_argument, NULL, 'm'},
        {"quiet", no_argument, NULL, 'q'},
        {"stamp", no_argument, NULL, 'S'},
        {"keep-partial", no_argument, NULL, 'K'},
        {"trace-compress", required_argument, NULL, 'C'},
        {"limit", required_argument, NULL, 'L'},
        {"trace", required_argument, NULL, 'T'},
        {"trace-filter", required_argument, NULL, 'F'},
        {"trace-window", required_argument, NULL, 'W'},
        {"set", required_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    ts_run_options opts = {0};
    const char *models = NULL;
    const char *output = NULL;
    int quiet = 0;
    int c;
    const char *seed_text = NULL, *duration_text = NULL;
    const char *level_text = NULL, *filter_text = NULL, *window_text = NULL;
    static cli_overrides overrides;   /* 2 KiB: kept off the stack */
    overrides.n = 0;
    while ((c = getopt_long(argc, argv, ":o:s:d:m:qh", longs, NULL)) != -1) {
        const char *why = NULL;
        switch (c) {
        case 'o': output = optarg; break;
        case 's':
            if (parse_seed(optarg, &opts.seed) != 0)
                return cli_usage_error("run", "--seed expects a non-negative integer");
            seed_text = optarg;
            opts.override_seed = 1;
            break;
        case 'd':
            if (ts_unit_time(optarg, &opts.duration_ns, &why) == 0 &&
                opts.duration_ns > TS_SIM_TIME_LIMIT)
                why = "beyond the longest time toposim simulates, 1000000000000000000ns "
                      "(about 31.7 years)";
            if (why || opts.duration_ns <= 0) {
                char msg[256];
                snprintf(msg, sizeof msg, "--duration '%s': %s", optarg,
                         why ? why : "must be greater than zero");
                return cli_usage_error("run", msg);
            }
            duration_text = optarg;
            break;
        case 'm': models = optarg; break;
        case 'q': quiet = 1; break;
        case 'S': opts.stamp = 1; break;
        case 'K': opts.keep_partial = 1; break;
        case 'C':
            if ((opts.trace_compress = ts_trace_compress_parse(optarg)) < 0)
                return cli_usage_error("run", "--trace-compress expects none, fast or max");
            break;
        case 'L':
            if (cli_limit_option("run", optarg) != CLI_OK)
                return CLI_BAD_INPUT;
            break;
        case 'T':
            if ((opts.trace_level = ts_trace_level_parse(optarg)) < 0)
                return cli_usage_error("run", "--trace expects full or summary");
            level_text = optarg;
            break;
        case 'F':
            if (!optarg[0])
                return cli_usage_error("run", "--trace-filter expects topic=NAME or "
                                              "component=NAME, comma-separated");
            filter_text = opts.trace_filter = optarg;
            break;
        case 'W':
            if (parse_window(optarg, &opts.trace_window_start_ns,
                             &opts.trace_window_end_ns) != 0)
                return cli_usage_error("run", "--trace-window expects START..END with "
                                              "times, END after START, e.g. 5s..10s");
            window_text = optarg;
            break;
        case 'V':
            if (cli_override_option("run", optarg, &overrides) != CLI_OK)
                return CLI_BAD_INPUT;
            break;
        case 'h': fputs(help, stdout); return CLI_OK;
        case ':': return cli_usage_error("run", "an option is missing its value");
        default: return cli_usage_error("run", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("run", "expected exactly one SCENARIO.xml");
    if ((filter_text || window_text) && opts.trace_level == TS_TRACE_LEVEL_SUMMARY)
        return cli_usage_error("run", "--trace-filter and --trace-window limit the full "
                                      "level's rows; the summary level keeps no row per "
                                      "message or job");
    /* Overrides change the result, so the command line records them. */
    const char *words[16 + 2 * CLI_MAX_OVERRIDES];
    size_t n_words = 0;
    words[n_words++] = "run";
    for (size_t i = 0; i < overrides.n; i++) {
        words[n_words++] = "--set";
        words[n_words++] = overrides.items[i];
    }
    if (level_text) {
        words[n_words++] = "--trace";
        words[n_words++] = level_text;
    }
    if (filter_text) {
        words[n_words++] = "--trace-filter";
        words[n_words++] = filter_text;
    }
    if (window_text) {
        words[n_words++] = "--trace-window";
        words[n_words++] = window_text;
    }
    if (seed_text) {
        words[n_words++] = "--seed";
        words[n_words++] = seed_text;
    }
    if (duration_text) {
        words[n_words++] = "--duration";
        words[n_words++] = duration_text;
    }
    /* The trace records the scenario and models folder by their canonical
     * paths, not as typed: "x.xml", "./x.xml" and "/abs/x.xml" name one
     * file, and equal runs must give equal bytes however it was spelled.
     * A path that does not resolve is kept as typed (loading it fails). */
    char *canon_scenario = recorded_path(argv[optind]);
    char *canon_models = models ? recorded_path(models) : NULL;
    if (models) {
        words[n_words++] = "--models";
        words[n_words++] = canon_models ? canon_models : models;
    }
    words[n_words++] = canon_scenario ? canon_scenario : argv[optind];
    char *command_line = join_command_line(words, n_words);
    free(canon_models);
    if (!command_line) {
        free(canon_scenario);
        fputs("toposim run: out of memory\n", stderr);
        return CLI_BAD_INPUT;
    }
    opts.command_line = command_line;
    opts.scenario_path = canon_scenario;
    ts_scenario *s = cli_load_scenario(argv[optind], models, &overrides);
    if (!s) {
        free(command_line);
        free(canon_scenario);
        return CLI_BAD_INPUT;
    }
    /* Without a choice, a large fleet gets the summary level: its full
     * trace would take tens of megabytes per simulated second. */
    if (!level_text && !filter_text && !window_text) {
        if (s->trace_level >= 0) {
            opts.trace_level = s->trace_level;
        } else if (robots_of(s) > TS_CLI_SUMMARY_ROBOTS) {
            opts.trace_level = TS_TRACE_LEVEL_SUMMARY;
            fprintf(stderr, "toposim run: %zu robots, more than %d: writing a summary trace "
                    "(--trace full for a row per message and job)\n", robots_of(s),
                    TS_CLI_SUMMARY_ROBOTS);
        }
    }
    char default_out[1024];
    if (!output) {
        snprintf(default_out, sizeof default_out, "results/%s.h5", s->name);
        output = default_out;
        /* The default folder is made when missing; a folder given with -o
         * must exist (a typo should not grow a tree). */
        if (mkdir("results", 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "toposim run: cannot create the folder results: %s\n",
                    strerror(errno));
            ts_scenario_free(s);
            free(command_line);
            free(canon_scenario);
            return CLI_BAD_INPUT;
        }
    }
    opts.trace_path = output;
    ts_plan *plan = NULL;
    ts_error err;
    ts_error_clear(&err);
    /* Before the run, not after it: a result that cannot be kept is
     * better refused at once. */
    const char *inputs[] = {argv[optind]};
    if (ts__check_output(output, inputs, 1, &err) != TS_OK) {
        cli_print_error(&err);
        ts_scenario_free(s);
        free(command_line);
        free(canon_scenario);
        return CLI_BAD_INPUT;
    }
    ts_run_stats st;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    progress prog = {t0, t0, 0};
    if (!quiet && isatty(STDERR_FILENO)) {
        opts.progress = show_progress;
        opts.progress_ctx = &prog;
    }
    stop_signal = 0;
    opts.interrupt = &stop_signal;
    catch_stop_signals(1);
    int rc = ts_plan_new(s, &plan, &err);
    if (rc == TS_OK && stop_signal)
        rc = ts_error_set(&err, TS_EINTR, NULL, 0, "interrupted before the run; no trace written");
    if (rc == TS_OK)
        rc = ts_world_run(s, plan, &opts, &st, &err);
    catch_stop_signals(0);
    clear_progress(&prog);
    int sig = stop_signal;
    if (rc != TS_OK) {
        if (rc == TS_EINTR)
            fprintf(stderr, "toposim run: stopped by %s: %s\n",
                    sig == SIGINT ? "SIGINT" : "SIGTERM", err.msg);
        else
            cli_print_error(&err);
        ts_plan_free(plan);
        ts_scenario_free(s);
        free(command_line);
        free(canon_scenario);
        return rc == TS_EINTR ? 128 + sig : cli_plan_failure(&err);
    }
    if (st.interrupted) {
        fprintf(stderr, "toposim run: stopped by %s at %.3f simulated seconds; the "
                "partial trace is %s (its /meta finished is 0: validate fails it)\n",
                sig == SIGINT ? "SIGINT" : "SIGTERM", (double)st.simulated_ns / 1e9, output);
        ts_plan_free(plan);
        ts_scenario_free(s);
        free(command_line);
        free(canon_scenario);
        return 128 + sig;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    if (!quiet)
        printf("toposim run: %s, seed %" PRIu64 ", %.3f s simulated in %.3f s wall\n"
               "  %" PRIu64 " events (%.2f M/s), %" PRIu64 " messages (%" PRIu64
               " delivered, %" PRIu64 " dropped), %" PRIu64 " jobs (%" PRIu64
               " missed)\n  trace: %s\n",
               s->name, st.seed, (double)st.simulated_ns / 1e9, wall, st.events,
               wall > 0 ? (double)st.events / wall / 1e6 : 0.0, st.messages,
               st.delivered, st.dropped, st.jobs, st.missed_jobs, output);
    ts_plan_free(plan);
    ts_scenario_free(s);
    free(command_line);
    free(canon_scenario);
    return CLI_OK;
}
