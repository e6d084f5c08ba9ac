/* toposim batch: run and validate many scenarios, N at a time, and gather
 * one summary and one JUnit file (a testsuite per scenario).
 *
 * Each scenario runs in a child process of its own (fork, then the same
 * `run` and `validate` code the commands use): a scenario that crashes,
 * runs out of memory or is stopped at its time limit takes only itself
 * down, and the library's process-wide state (limits, HDF5, signal
 * handlers) starts afresh for every scenario. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "cli/batch_junit.h"
#include "cli/cli.h"
#include "cli/dispatch.h"
#include "util/atomic_file.h"

static const char help[] =
    "usage: toposim batch [-j N] [-o DIR] [--junit FILE] [--seed N]\n"
    "                     [--duration T] [--trace full|summary] [--models DIR]\n"
    "                     [--timeout SECONDS] [-q] SCENARIO.xml...\n"
    "\n"
    "Runs and validates each scenario, N at a time, each in a process of its\n"
    "own, and writes into DIR: per scenario its trace (NAME.h5), its log with\n"
    "the scorecard (NAME.log) and its JUnit file (NAME.junit.xml); for the\n"
    "whole batch summary.csv (a row per scenario: verdict, gates, the gates\n"
    "that failed) and one JUnit file with a testsuite per scenario. A\n"
    "scenario that cannot run, crashes or passes its time limit is recorded\n"
    "as an error and the others go on.\n"
    "\n"
    "  -j, --jobs N          scenarios at a time (default: the number of cores)\n"
    "  -o, --output DIR      the folder, created when missing (default:\n"
    "                        results/batch)\n"
    "  -u, --junit FILE      the batch's JUnit file (default: DIR/junit.xml)\n"
    "  -s, --seed N          every run's seed (default: each scenario's seed=)\n"
    "  -d, --duration T      every run's simulated time (default: each\n"
    "                        scenario's duration=)\n"
    "      --trace full|summary\n"
    "                        every run's trace level (default: as `toposim run`)\n"
    "  -m, --models DIR      hardware model folder\n"
    "  -t, --timeout SECONDS wall-time limit of one scenario's run and\n"
    "                        validation (default: none); past it the scenario\n"
    "                        is stopped (SIGTERM, then SIGKILL 5 s later)\n"
    "  -q, --quiet           no line per scenario and no progress line\n"
    CLI_LIMIT_HELP
    "  -h, --help            this text\n"
    "exit codes: 0 every gate of every scenario passes, 1 a gate failed or\n"
    "a scenario's components do not fit its platform, 2 bad usage, or a\n"
    "scenario could not be run or validated (bad input, crash, time limit;\n"
    "its log says why)\n";

/* Child exit codes when `run` failed (its own code is in the log), and
 * when the components did not fit (run's CLI_INFEASIBLE). */
#define BATCH_RUN_FAILED 4
#define BATCH_RUN_NO_FIT 5

typedef struct batch_options {
    const char *dir, *junit, *seed, *duration, *trace_level, *models;
    double timeout_s;   /* <= 0: none */
    long jobs;
    int quiet;
} batch_options;

typedef struct batch_item {
    const char *scenario;
    char stem[256];
    char trace[TS__PATH_MAX], log[TS__PATH_MAX], junit[TS__PATH_MAX];
    double wall_s;
    batch_result result;
} batch_item;

/* What the dispatcher's callbacks share. */
typedef struct batch_run {
    const batch_options *o;
    batch_item *items;
    size_t n, failing;
    int show_progress;
} batch_run;

/* The file name stem of a scenario path: its base name without ".xml",
 * other characters than [A-Za-z0-9._-] replaced, so every output name is
 * a plain file name. */
static void scenario_stem(const char *path, char *out, size_t size)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 4 && !strcmp(base + n - 4, ".xml"))
        n -= 4;
    if (n >= size - 8)
        n = size - 8;   /* room for a "-NNNNNN" that makes it unique */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = base[i];
        int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        out[k++] = plain ? c : '_';
    }
    if (k == 0 || out[0] == '.')
        out[k == 0 ? k++ : 0] = '_';
    out[k] = '\0';
}

/* Gives every item its own stem: a second "a/x.xml" beside "b/x.xml"
 * becomes x-2, a third x-3. */
static void assign_stems(batch_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char base[256];
        scenario_stem(items[i].scenario, base, sizeof base);
        snprintf(items[i].stem, sizeof items[i].stem, "%s", base);
        for (unsigned suffix = 2;; suffix++) {
            int taken = 0;
            for (size_t j = 0; j < i && !taken; j++)
                taken = !strcmp(items[j].stem, items[i].stem);
            if (!taken)
                break;
            snprintf(items[i].stem, sizeof items[i].stem, "%.240s-%u", base, suffix);
        }
    }
}

/* The child: run, then validate, with stdout and stderr in the log.
 * Returns the child's exit code. */
static int batch_work(void *ctx, size_t i)
{
    const batch_run *b = ctx;
    const batch_options *o = b->o;
    const batch_item *it = &b->items[i];
    int fd = open(it->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return BATCH_RUN_FAILED;
    if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
        return BATCH_RUN_FAILED;
    close(fd);

    char *argv[24];
    int argc = 0;
    argv[argc++] = "run";
    argv[argc++] = "-q";
    argv[argc++] = "-o";
    argv[argc++] = (char *)it->trace;
    if (o->seed) { argv[argc++] = "--seed"; argv[argc++] = (char *)o->seed; }
    if (o->duration) { argv[argc++] = "--duration"; argv[argc++] = (char *)o->duration; }
    if (o->trace_level) { argv[argc++] = "--trace"; argv[argc++] = (char *)o->trace_level; }
    if (o->models) { argv[argc++] = "--models"; argv[argc++] = (char *)o->models; }
    argv[argc++] = (char *)it->scenario;
    argv[argc] = NULL;
    optind = 0;   /* glibc: a full re-initialisation of getopt */
    int rc = cli_run(argc, argv);
    if (rc != CLI_OK) {
        fprintf(stderr, "toposim batch: run of %s exited %d\n", it->scenario, rc);
        return rc == CLI_INFEASIBLE ? BATCH_RUN_NO_FIT : BATCH_RUN_FAILED;
    }
    char *vargv[] = {"validate", "--junit", (char *)it->junit, (char *)it->trace, NULL};
    optind = 0;
    rc = cli_validate(4, vargv);
    if (fflush(stdout) != 0 || ferror(stdout))
        rc = CLI_BAD_INPUT;
    return rc == CLI_OK || rc == CLI_GATE_FAILED ? rc : CLI_BAD_INPUT;
}

/* Classifies a finished child and reads its JUnit file. */
static void finish_item(batch_item *it, const cli_item_status *st)
{
    it->wall_s = st->wall_s;
    batch_result *r = &it->result;
    int exited = st->end == CLI_ITEM_EXITED, code = st->code;
    if (st->end == CLI_ITEM_NOT_STARTED) {
        r->verdict = BATCH_NOT_RUN;
        snprintf(r->why, sizeof r->why, "cannot start a process: %s", strerror(code));
        return;
    }
    if (st->end == CLI_ITEM_TIMED_OUT) {
        r->verdict = BATCH_TIMEOUT;
        snprintf(r->why, sizeof r->why, "stopped past its time limit");
    } else if (st->end == CLI_ITEM_SIGNALED) {
        r->verdict = BATCH_CRASH;
        snprintf(r->why, sizeof r->why, "ended by signal %d (%s)", code, strsignal(code));
    } else if (exited && code == BATCH_RUN_NO_FIT) {
        r->verdict = BATCH_NO_FIT;
        batch_log_first_error(it->log, r->why, sizeof r->why);
    } else if (exited && code == BATCH_RUN_FAILED) {
        r->verdict = BATCH_NOT_RUN;
        batch_log_first_error(it->log, r->why, sizeof r->why);
        if (!r->why[0])
            snprintf(r->why, sizeof r->why, "could not be run");
    } else if (exited && code <= CLI_GATE_FAILED) {
        /* The verdict comes from the gates the JUnit file holds; a file
         * that does not say is an error, never a pass. */
        batch_junit_read(it->junit, r);
        if (r->verdict == BATCH_PASS && code != CLI_OK) {
            r->verdict = BATCH_INVALID;
            snprintf(r->why, sizeof r->why, "validate exited %d, its JUnit file says pass", code);
        }
        if (r->verdict == BATCH_FAIL && code != CLI_GATE_FAILED) {
            r->verdict = BATCH_INVALID;
            snprintf(r->why, sizeof r->why, "validate exited %d, its JUnit file says fail", code);
        }
    } else {
        r->verdict = BATCH_INVALID;
        batch_log_first_error(it->log, r->why, sizeof r->why);
        if (!r->why[0])
            snprintf(r->why, sizeof r->why, "the trace was refused by validate");
    }
    if (r->verdict != BATCH_PASS && r->verdict != BATCH_FAIL)
        batch_log_tail(it->log, r->log_tail, sizeof r->log_tail);
}

static void print_item(const batch_item *it)
{
    const batch_result *r = &it->result;
    char gates[32] = "-";
    if (r->verdict == BATCH_PASS || r->verdict == BATCH_FAIL)
        snprintf(gates, sizeof gates, "%zu/%zu", r->gates - r->failures, r->gates);
    printf("%-8s %9s %8.1f s  %s", batch_verdict_name(r->verdict), gates, it->wall_s,
           it->scenario);
    if (r->verdict == BATCH_FAIL && r->failed_gates[0])
        printf("  (%s)", r->failed_gates);
    else if (r->verdict != BATCH_PASS && r->verdict != BATCH_FAIL)
        printf("  (%s; %s)", r->why, it->log);
    putchar('\n');
    fflush(stdout);
}

static void batch_done(void *ctx, size_t i, const cli_item_status *st)
{
    batch_run *b = ctx;
    batch_item *it = &b->items[i];
    finish_item(it, st);
    b->failing += it->result.verdict != BATCH_PASS;
    if (b->show_progress)
        fputs("\r\033[K", stderr);
    if (!b->o->quiet)
        print_item(it);
}

static void batch_progress(void *ctx, size_t done, size_t running, double elapsed)
{
    const batch_run *b = ctx;
    fprintf(stderr, "\rbatch: %zu/%zu done, %zu not passing, %zu running", done, b->n,
            b->failing, running);
    if (done > 0 && done < b->n)
        fprintf(stderr, ", about %.0f s left", elapsed / (double)done * (double)(b->n - done));
    fputs("\033[K", stderr);
    if (done == b->n)
        fputc('\n', stderr);
    fflush(stderr);
}

/* Runs every item, at most o->jobs at a time. Returns 0, or the signal
 * that stopped the batch (the running children are then stopped too). */
static int run_all(const batch_options *o, batch_item *items, size_t n)
{
    batch_run b = {o, items, n, 0, !o->quiet && isatty(STDERR_FILENO)};
    cli_dispatch_config cfg = {(size_t)o->jobs, o->timeout_s};
    cli_dispatch_ops ops = {&b, batch_work, batch_done, b.show_progress ? batch_progress : NULL};
    int sig = cli_dispatcher_default()->run(&cfg, &ops, n);
    if (sig && b.show_progress)
        fputc('\n', stderr);
    return sig;
}

static int parse_options(int argc, char **argv, batch_options *o)
{
    static const struct option longs[] = {
        {"jobs", required_argument, NULL, 'j'},
        {"output", required_argument, NULL, 'o'},
        {"junit", required_argument, NULL, 'u'},
        {"seed", required_argument, NULL, 's'},
        {"duration", required_argument, NULL, 'd'},
        {"trace", required_argument, NULL, 'T'},
        {"models", required_argument, NULL, 'm'},
        {"timeout", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},
        {"limit", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    *o = (batch_options){.dir = "results/batch", .jobs = cores > 0 ? cores : 1};
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, ":j:o:u:s:d:m:t:qh", longs, NULL)) != -1) {
        switch (c) {
        case 'j':
            errno = 0;
            o->jobs = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || o->jobs < 1 || o->jobs > 4096)
                return cli_usage_error("batch", "--jobs expects a whole number from 1 to 4096");
            break;
        case 'o': o->dir = optarg; break;
        case 'u': o->junit = optarg; break;
        case 's': o->seed = optarg; break;
        case 'd': o->duration = optarg; break;
        case 'T':
            if (strcmp(optarg, "full") && strcmp(optarg, "summary"))
                return cli_usage_error("batch", "--trace expects full or summary");
            o->trace_level = optarg;
            break;
        case 'm': o->models = optarg; break;
        case 't':
            errno = 0;
            o->timeout_s = strtod(optarg, &end);
            if (errno || *end || end == optarg || !(o->timeout_s > 0) || o->timeout_s > 1e9)
                return cli_usage_error("batch", "--timeout expects a number of seconds above 0");
            break;
        case 'q': o->quiet = 1; break;
        case 'L':
            if (cli_limit_option("batch", optarg) != CLI_OK)
                return CLI_BAD_INPUT;
            break;
        case 'h': fputs(help, stdout); return -1;
        case ':': return cli_usage_error("batch", "an option is missing its value");
        default: return cli_usage_error("batch", "unknown option");
        }
    }
    if (optind >= argc)
        return cli_usage_error("batch", "expected at least one SCENARIO.xml");
    return CLI_OK;
}

static int check_outputs(char **scenarios, size_t n, const char *junit, const char *csv)
{
    ts_error err;
    ts_error_clear(&err);
    const char *const *inputs = (const char *const *)scenarios;
    if (ts__check_output(junit, inputs, n, &err) != TS_OK ||
        ts__check_output(csv, inputs, n, &err) != TS_OK) {
        cli_print_error(&err);
        return CLI_BAD_INPUT;
    }
    return CLI_OK;
}

int cli_batch(int argc, char **argv)
{
    batch_options o;
    int rc = parse_options(argc, argv, &o);
    if (rc < 0)
        return CLI_OK;
    if (rc != CLI_OK)
        return rc;
    char **scenarios = argv + optind;
    size_t n = (size_t)(argc - optind);
    /* Under MPI every rank runs this command; only rank 0 speaks and
     * writes the summary. */
    int leader = cli_dispatch_is_leader();
    if (!leader)
        o.quiet = 1;
    if (cli_make_dir(o.dir) != 0) {
        fprintf(stderr, "toposim: %s: cannot create the output folder: %s\n", o.dir,
                strerror(errno));
        return CLI_BAD_INPUT;
    }
    char junit[TS__PATH_MAX], csv[TS__PATH_MAX];
    if (snprintf(junit, sizeof junit, "%s", o.junit ? o.junit : "") >= (int)sizeof junit ||
        (!o.junit && snprintf(junit, sizeof junit, "%s/junit.xml", o.dir) >= (int)sizeof junit) ||
        snprintf(csv, sizeof csv, "%s/summary.csv", o.dir) >= (int)sizeof csv)
        return cli_usage_error("batch", "the output folder's name is too long");
    if (check_outputs(scenarios, n, junit, csv) != CLI_OK)
        return CLI_BAD_INPUT;

    batch_item *items = calloc(n, sizeof *items);
    if (!items) {
        fputs("toposim batch: out of memory\n", stderr);
        return CLI_BAD_INPUT;
    }
    for (size_t i = 0; i < n; i++)
        items[i].scenario = scenarios[i];
    assign_stems(items, n);
    for (size_t i = 0; i < n; i++) {
        batch_item *it = &items[i];
        if (snprintf(it->trace, sizeof it->trace, "%s/%s.h5", o.dir, it->stem) >= (int)sizeof it->trace ||
            snprintf(it->log, sizeof it->log, "%s/%s.log", o.dir, it->stem) >= (int)sizeof it->log ||
            snprintf(it->junit, sizeof it->junit, "%s/%s.junit.xml", o.dir, it->stem) >= (int)sizeof it->junit) {
            free(items);
            return cli_usage_error("batch", "the output folder's name is too long");
        }
    }
    if (!o.quiet && cli_dispatcher_default() != &cli_dispatch_local)
        printf("batch: %zu scenario%s over %d MPI rank(s), into %s\n", n, n == 1 ? "" : "s",
               cli_dispatch_ranks(), o.dir);
    else if (!o.quiet)
        printf("batch: %zu scenario%s, %ld at a time, into %s\n", n, n == 1 ? "" : "s", o.jobs,
               o.dir);
    int sig = run_all(&o, items, n);
    if (!leader) {
        free(items);
        return sig ? 128 + sig : CLI_OK;
    }
    if (sig) {
        fprintf(stderr, "toposim batch: stopped by signal %d; no summary written\n", sig);
        free(items);
        return 128 + sig;
    }

    size_t pass = 0, fail = 0, errors = 0;
    batch_result *results = calloc(n, sizeof *results);
    const char **names = calloc(n, sizeof *names);
    const char **stems = calloc(n, sizeof *stems);
    double *walls = calloc(n, sizeof *walls);
    if (!results || !names || !stems || !walls) {
        fputs("toposim batch: out of memory\n", stderr);
        rc = CLI_BAD_INPUT;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        results[i] = items[i].result;
        names[i] = items[i].scenario;
        stems[i] = items[i].stem;
        walls[i] = items[i].wall_s;
        pass += results[i].verdict == BATCH_PASS;
        fail += results[i].verdict == BATCH_FAIL || results[i].verdict == BATCH_NO_FIT;
    }
    errors = n - pass - fail;
    ts_error err;
    ts_error_clear(&err);
    const char **junits = calloc(n, sizeof *junits);
    if (!junits) {
        rc = CLI_BAD_INPUT;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        junits[i] = items[i].junit;
    if (batch_write_summary(csv, names, stems, results, n, &err) != TS_OK ||
        batch_write_junit(junit, names, stems, junits, results, walls, n, &err) != TS_OK) {
        cli_print_error(&err);
        free(junits);
        rc = CLI_BAD_INPUT;
        goto out;
    }
    free(junits);
    if (!o.quiet)
        printf("batch: %zu pass, %zu fail, %zu error%s; summary %s, JUnit %s\n", pass, fail,
               errors, errors == 1 ? "" : "s", csv, junit);
    rc = errors ? CLI_BAD_INPUT : fail ? CLI_GATE_FAILED : CLI_OK;
out:
    free(walls);
    free(stems);
    free(names);
    free(results);
    free(items);
    return rc;
}
