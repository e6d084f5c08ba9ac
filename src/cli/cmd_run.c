/* toposim run: simulate a scenario and write its trace. */
/* realpath(3) is an XSI function: glibc declares it only with _XOPEN_SOURCE. */
#define _XOPEN_SOURCE 700
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "toposim/sim.h"
#include "toposim/units.h"
#include "toposim/world.h"
#include "util/atomic_file.h"

static const char help[] =
    "usage: toposim run [-o TRACE.h5] [--seed N] [--duration T] [--models DIR]\n"
    "                   [--limit NAME=N] SCENARIO.xml\n"
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
    "  -q, --quiet          no run summary\n"
    CLI_LIMIT_HELP
    "  -h, --help           this text\n"
    "exit codes: 0 trace written, 2 bad input or error\n";

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

int cli_run(int argc, char **argv)
{
    static const struct option longs[] = {
        {"output", required_argument, NULL, 'o'},
        {"seed", required_argument, NULL, 's'},
        {"duration", required_argument, NULL, 'd'},
        {"models", required_argument, NULL, 'm'},
        {"quiet", no_argument, NULL, 'q'},
        {"stamp", no_argument, NULL, 'S'},
        {"limit", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    ts_run_options opts = {0};
    const char *models = NULL;
    const char *output = NULL;
    int quiet = 0;
    int c;
    const char *seed_text = NULL, *duration_text = NULL;
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
        case 'L':
            if (cli_limit_option("run", optarg) != CLI_OK)
                return CLI_BAD_INPUT;
            break;
        case 'h': fputs(help, stdout); return CLI_OK;
        case ':': return cli_usage_error("run", "an option is missing its value");
        default: return cli_usage_error("run", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("run", "expected exactly one SCENARIO.xml");
    const char *words[8];
    size_t n_words = 0;
    words[n_words++] = "run";
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
     * An absolute path also replays the recorded command from any folder.
     * A path that does not resolve is kept as typed (loading it fails). */
    char *canon_scenario = realpath(argv[optind], NULL);
    char *canon_models = models ? realpath(models, NULL) : NULL;
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
    ts_scenario *s = cli_load_scenario(argv[optind], models);
    if (!s) {
        free(command_line);
        free(canon_scenario);
        return CLI_BAD_INPUT;
    }
    char default_out[1024];
    if (!output) {
        snprintf(default_out, sizeof default_out, "results/%s.h5", s->name);
        output = default_out;
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
    if (ts_plan_new(s, &plan, &err) != TS_OK ||
        ts_world_run(s, plan, &opts, &st, &err) != TS_OK) {
        cli_print_error(&err);
        ts_plan_free(plan);
        ts_scenario_free(s);
        free(command_line);
        free(canon_scenario);
        return CLI_BAD_INPUT;
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
