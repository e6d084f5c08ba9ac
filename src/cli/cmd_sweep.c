/* toposim sweep: run a scenario over a grid of attribute values, each
 * variant N times with derived seeds, validate every run and fold the
 * replications into a summary (sweep.csv, sweep.h5, runs.csv); or, with
 * --find-max / --find-min, bisect one attribute for the limit at which
 * every gate still passes. The runs go through the dispatcher
 * (dispatch.h), a process each. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/dispatch.h"
#include "cli/sweep.h"
#include "toposim/sim.h"
#include "toposim/trace.h"
#include "toposim/units.h"
#include "toposim/validate.h"
#include "util/atomic_file.h"

static const char help[] =
    "usage: toposim sweep SCENARIO.xml --set PATH=VALUES... [--seeds N] [-j N]\n"
    "                     [-o DIR] [--seed S] [--duration T] [--timeout SECONDS]\n"
    "                     [--models DIR] [-q]\n"
    "       toposim sweep SCENARIO.xml --find-max PATH --range LO..HI\n"
    "                     [--resolution R] [--set PATH=VALUE]... [options]\n"
    "       (--find-min PATH for the smallest passing value)\n"
    "\n"
    "Runs the scenario for every combination of the --set values (a grid,\n"
    "the first --set varying slowest), each variant --seeds times with seeds\n"
    "derived from the base seed, the variant's values and the replication\n"
    "(README \"Sweeps\"), every run at the summary trace level, validated.\n"
    "Writes into DIR: variant-NNNN/seed-NN.h5 (the traces, with .log and\n"
    ".result beside), runs.csv (a row per run: seed, verdict and the command\n"
    "that reruns it alone), sweep.csv and sweep.h5 (a row per variant: the\n"
    "values, verdict, binding gate and margin, each family score and gate\n"
    "as mean and 95 %% confidence interval across replications).\n"
    "\n"
    "  --set PATH=VALUES     VALUES: a list (50Mbps,100Mbps) or a range with\n"
    "                        a step, LO..HI:STEP (10..40:2, 10ms..50ms:10ms);\n"
    "                        at most " "1000" " values a --set, 10000 variants\n"
    "  -n, --seeds N         replications per variant (default 1, at most 100)\n"
    "  -j, --jobs N          runs at a time (default: the number of cores)\n"
    "  -o, --output DIR      the folder (default: results/sweep-NAME)\n"
    "  -s, --seed S          the base seed (default: the scenario's seed=)\n"
    "  -d, --duration T      every run's simulated time (default: the\n"
    "                        scenario's duration=)\n"
    "  -t, --timeout SECONDS wall-time limit of one run and its validation;\n"
    "                        past it the run is stopped and recorded TIMEOUT\n"
    "  -m, --models DIR      hardware model folder\n"
    "      --find-max PATH   bisect PATH over --range for the largest value at\n"
    "                        which every gate passes on every replication\n"
    "      --find-min PATH   ... for the smallest such value\n"
    "      --range LO..HI    the interval searched (with the attribute's unit)\n"
    "      --resolution R    the step of the search (default 1 for whole\n"
    "                        numbers; a real range needs one)\n"
    "  -q, --quiet           no line per variant and no progress line\n"
    CLI_LIMIT_HELP
    "  -h, --help            this text\n"
    "exit codes: 0 every variant passes (--find-*: a limit was found), 1 a\n"
    "variant fails or does not fit (--find-*: no value in the range passes),\n"
    "2 bad usage, or a run could not be judged (crash, time limit, refused\n"
    "trace: runs.csv and the run's log say why)\n";

/* Child exit codes besides validate's 0 and 1. */
#define SWEEP_RUN_FAILED 4
#define SWEEP_RUN_NO_FIT 5

typedef struct sweep_options {
    const char *dir, *seed_text, *duration, *models, *find_path, *range, *resolution;
    const char *scenario;
    int find;           /* 0, +1 --find-max, -1 --find-min */
    unsigned seeds;
    long jobs;
    double timeout_s;
    int quiet;
    const char *limits[16];
    size_t n_limits;
} sweep_options;

typedef struct sweep_item {
    size_t variant;
    unsigned rep;
} sweep_item;

typedef struct sweep_ctx {
    sweep_options o;
    sweep_param params[SWEEP_MAX_PARAMS];
    size_t n_params;
    sweep_summary sum;
    size_t cap_variants;
    char dir[TS__PATH_MAX - 128];   /* room for "/variant-NNNN/seed-NN.result" */
    sweep_item *items;       /* the runs the current dispatch hands out */
    size_t n_items, runs_done, variants_done, variants_total, failing;
    int show_progress;
    int leader;              /* prints and writes the summary (not an MPI rank > 0) */
} sweep_ctx;

/* ---- words and paths ---- */

/* A word as a POSIX shell takes it back: single-quoted unless plain. */
static size_t quote_word(char *out, size_t size, size_t n, const char *w)
{
    int plain = w[0] != '\0';
    for (const char *p = w; *p && plain; p++)
        plain = isalnum((unsigned char)*p) || strchr("-_./=:,+%@", *p);
    if (plain)
        return n + (size_t)snprintf(out + n, n < size ? size - n : 0, "%s%s", n ? " " : "", w);
    n += (size_t)snprintf(out + n, n < size ? size - n : 0, "%s'", n ? " " : "");
    for (const char *p = w; *p; p++)
        n += (size_t)snprintf(out + n, n < size ? size - n : 0, "%s", *p == '\'' ? "'\\''" : (char[]){*p, 0});
    return n + (size_t)snprintf(out + n, n < size ? size - n : 0, "'");
}

static void run_paths(const sweep_ctx *c, size_t variant, unsigned rep, const char *ext,
                      char *out, size_t size)
{
    snprintf(out, size, "%s/variant-%04zu/seed-%02u.%s", c->dir, variant, rep, ext);
}

/* ---- the child: run, validate, write the result file ---- */

/* "kind:NAME_rK" -> "kind:NAME" when NAME_rK is copy rK of a fleet's
 * item (the validator says which names are copies): a sweep over
 * fleet.count then has the same gate columns at every count, each the
 * worst of the copies. */
static void fold_copy_name(const ts_validation *v, const char *gate, char *out, size_t size)
{
    snprintf(out, size, "%s", gate);
    const char *colon = strchr(gate, ':');
    if (!colon)
        return;
    const char *target = colon + 1;
    const char *copy = NULL;
    for (size_t i = 0; i < v->n_scores && !copy; i++)
        if (v->scores[i].copy[0] && !strcmp(v->scores[i].name, target))
            copy = v->scores[i].copy;
    for (size_t i = 0; i < v->n_checks && !copy; i++)
        if (v->checks[i].copy[0] && !strcmp(v->checks[i].item, target))
            copy = v->checks[i].copy;
    if (!copy)
        return;
    size_t n = strlen(target), k = strlen(copy);
    if (n > k + 1 && target[n - k - 1] == '_' && !strcmp(target + n - k, copy))
        out[(size_t)(colon - gate) + 1 + n - k - 1] = '\0';
}

static const char *unit_name(ts_unit u)
{
    switch (u) {
    case TS_UNIT_FRACTION: return "fraction";
    case TS_UNIT_SCORE100: return "score100";
    case TS_UNIT_NS: return "ns";
    case TS_UNIT_CELSIUS: return "C";
    case TS_UNIT_WATT: return "W";
    case TS_UNIT_COUNT: return "count";
    }
    return "count";
}

/* The result file: the family scores and every gate (fleet copies folded
 * to their worst), then "end"; see sweep_result_read. */
static int write_result(const ts_validation *v, const char *path)
{
    size_t n = v->n_gates;
    sweep_gate *g = calloc(n ? n : 1, sizeof *g);
    if (!g)
        return -1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const ts_gate *src = &v->gates[i];
        char name[160];
        fold_copy_name(v, src->name, name, sizeof name);
        /* Blanks would split the line; gate names have none, but a name
         * is data from the trace. */
        for (char *p = name; *p; p++)
            if (isspace((unsigned char)*p))
                *p = '_';
        size_t k = 0;
        while (k < m && strcmp(g[k].name, name))
            k++;
        if (k == m) {
            snprintf(g[m].name, sizeof g[m].name, "%s", name);
            snprintf(g[m].unit, sizeof g[m].unit, "%s", unit_name(src->unit));
            g[m].pass = src->pass;
            g[m].at_most = src->at_most;
            g[m].actual = src->actual;
            g[m].required = src->required;
            m++;
            continue;
        }
        /* Another copy of the gate: keep the worst. */
        g[k].pass &= src->pass;
        if (isnan(src->actual) ||
            sweep_margin(src->actual, src->required, src->at_most) <
                sweep_margin(g[k].actual, g[k].required, g[k].at_most)) {
            g[k].actual = src->actual;
            g[k].required = src->required;
        }
    }
    ts__atomic_file af;
    ts_error err;
    ts_error_clear(&err);
    if (ts__atomic_open(&af, path, &err) != TS_OK) {
        free(g);
        return -1;
    }
    fputs("toposim-sweep-result 1\n", af.fp);
    for (size_t f = 0; f < SWEEP_N_FAMILIES; f++)
        fprintf(af.fp, "family %s %.17g\n", sweep_family_name(f), v->family_score[f]);
    for (size_t k = 0; k < m; k++)
        fprintf(af.fp, "gate %d %d %.17g %.17g %s %s\n", g[k].pass, g[k].at_most, g[k].actual,
                g[k].required, g[k].unit, g[k].name);
    fprintf(af.fp, "all-pass %d\nend\n", v->all_pass);
    free(g);
    return ts__atomic_commit(&af, &err) == TS_OK ? 0 : -1;
}

static int sweep_work(void *ctx, size_t i)
{
    const sweep_ctx *c = ctx;
    const sweep_item *item = &c->items[i];
    const sweep_variant *v = &c->sum.variants[item->variant];
    const sweep_run *run = &v->runs[item->rep];
    char log[TS__PATH_MAX], result[TS__PATH_MAX];
    run_paths(c, item->variant, item->rep, "log", log, sizeof log);
    run_paths(c, item->variant, item->rep, "result", result, sizeof result);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
        return SWEEP_RUN_FAILED;
    close(fd);
    printf("rerun alone: %s\n", run->command);

    static char sets[SWEEP_MAX_PARAMS][320];
    char seed[32];
    char *argv[16 + 2 * SWEEP_MAX_PARAMS];
    int argc = 0;
    argv[argc++] = "run";
    argv[argc++] = "-q";
    argv[argc++] = "-o";
    argv[argc++] = (char *)run->trace;
    for (size_t p = 0; p < c->n_params; p++) {
        snprintf(sets[p], sizeof sets[p], "%s=%s", c->params[p].path, v->values[p].text);
        argv[argc++] = "--set";
        argv[argc++] = sets[p];
    }
    argv[argc++] = "--trace";
    argv[argc++] = "summary";
    snprintf(seed, sizeof seed, "%" PRIu64, run->seed);
    argv[argc++] = "--seed";
    argv[argc++] = seed;
    if (c->o.duration) {
        argv[argc++] = "--duration";
        argv[argc++] = (char *)c->o.duration;
    }
    if (c->o.models) {
        argv[argc++] = "--models";
        argv[argc++] = (char *)c->o.models;
    }
    argv[argc++] = (char *)c->o.scenario;
    argv[argc] = NULL;
    optind = 0;   /* glibc: a full re-initialisation of getopt */
    int rc = cli_run(argc, argv);
    if (rc != CLI_OK) {
        fprintf(stderr, "toposim sweep: the run exited %d\n", rc);
        return rc == CLI_INFEASIBLE ? SWEEP_RUN_NO_FIT : SWEEP_RUN_FAILED;
    }
    ts_error err;
    ts_error_clear(&err);
    ts_trace *trace = NULL;
    ts_validation *val = NULL;
    if (ts_trace_load(run->trace, &trace, &err) != TS_OK ||
        ts_validate(trace, &val, &err) != TS_OK) {
        cli_print_error(&err);
        ts_trace_free(trace);
        return CLI_BAD_INPUT;
    }
    ts_validation_print_text(val, 0, stdout);
    rc = write_result(val, result) == 0 ? (val->all_pass ? CLI_OK : CLI_GATE_FAILED)
                                        : CLI_BAD_INPUT;
    if (rc == CLI_BAD_INPUT)
        fprintf(stderr, "toposim sweep: cannot write %s\n", result);
    ts_validation_free(val);
    ts_trace_free(trace);
    if (fflush(stdout) != 0 || ferror(stdout))
        rc = CLI_BAD_INPUT;
    return rc;
}

/* ---- the parent: results as runs end ---- */

static void print_variant(const sweep_ctx *c, const sweep_variant *v)
{
    printf("%-12s variant-%04zu", batch_verdict_name(v->verdict), v->index);
    for (size_t p = 0; p < c->n_params; p++)
        printf(" %s=%s", c->params[p].path, v->values[p].text);
    if (v->binding[0] && v->verdict != BATCH_NO_FIT)
        printf("  binding %s, margin %+.3g", v->binding, v->binding_margin);
    if (v->verdict != BATCH_PASS && v->verdict != BATCH_FAIL && v->why[0])
        printf("  (%s)", v->why);
    putchar('\n');
    fflush(stdout);
}

static void sweep_done(void *ctx, size_t i, const cli_item_status *st)
{
    sweep_ctx *c = ctx;
    const sweep_item *item = &c->items[i];
    sweep_variant *v = &c->sum.variants[item->variant];
    sweep_run *run = &v->runs[item->rep];
    char log[TS__PATH_MAX], result[TS__PATH_MAX];
    run_paths(c, item->variant, item->rep, "log", log, sizeof log);
    run_paths(c, item->variant, item->rep, "result", result, sizeof result);
    run->wall_s = st->wall_s;
    run->why[0] = '\0';
    int code = st->code;
    if (st->end == CLI_ITEM_NOT_STARTED) {
        run->verdict = BATCH_NOT_RUN;
        snprintf(run->why, sizeof run->why, "cannot start a process: %s", strerror(code));
    } else if (st->end == CLI_ITEM_TIMED_OUT) {
        run->verdict = BATCH_TIMEOUT;
        snprintf(run->why, sizeof run->why, "stopped past --timeout %g s", c->o.timeout_s);
    } else if (st->end == CLI_ITEM_SIGNALED) {
        run->verdict = BATCH_CRASH;
        snprintf(run->why, sizeof run->why, "ended by signal %d (%s)", code, strsignal(code));
    } else if (code == SWEEP_RUN_NO_FIT || code == SWEEP_RUN_FAILED) {
        run->verdict = code == SWEEP_RUN_NO_FIT ? BATCH_NO_FIT : BATCH_NOT_RUN;
        batch_log_first_error(log, run->why, sizeof run->why);
        if (!run->why[0])
            snprintf(run->why, sizeof run->why, "could not be run");
    } else if (code == CLI_OK || code == CLI_GATE_FAILED) {
        sweep_result_read(result, run);
        if ((run->verdict == BATCH_PASS && code != CLI_OK) ||
            (run->verdict == BATCH_FAIL && code != CLI_GATE_FAILED)) {
            run->verdict = BATCH_INVALID;
            snprintf(run->why, sizeof run->why, "the run exited %d, its result file says %s",
                     code, code == CLI_OK ? "fail" : "pass");
        }
    } else {
        run->verdict = BATCH_INVALID;
        batch_log_first_error(log, run->why, sizeof run->why);
        if (!run->why[0])
            snprintf(run->why, sizeof run->why, "the trace was refused by validate");
    }
    c->runs_done++;
    if (++v->n_done < v->n_runs)
        return;
    c->variants_done++;
    if (sweep_variant_fold(&c->sum, v) != 0)
        snprintf(v->why, sizeof v->why, "out of memory while folding the replications");
    c->failing += v->verdict != BATCH_PASS;
    if (c->show_progress)
        fputs("\r\033[K", stderr);
    if (!c->o.quiet)
        print_variant(c, v);
}

static void sweep_progress(void *ctx, size_t done, size_t running, double elapsed)
{
    const sweep_ctx *c = ctx;
    (void)done;
    fprintf(stderr, "\rsweep: %zu/%zu variants done, %zu not passing, %zu run%s running",
            c->variants_done, c->variants_total, c->failing, running, running == 1 ? "" : "s");
    size_t total = c->variants_total * c->o.seeds, runs_done = c->runs_done;
    if (runs_done > 0 && runs_done < total)
        fprintf(stderr, ", about %.0f s left",
                elapsed / (double)runs_done * (double)(total - runs_done));
    fputs("\033[K", stderr);
    fflush(stderr);
}

/* ---- variants ---- */

/* Adds a variant with the given values (copied) and its runs' seeds,
 * paths and rerun commands. NULL when memory is short. */
static sweep_variant *add_variant(sweep_ctx *c, const sweep_value *values)
{
    if (c->sum.n_variants == c->cap_variants) {
        size_t cap = c->cap_variants ? 2 * c->cap_variants : 16;
        sweep_variant *nv = realloc(c->sum.variants, cap * sizeof *nv);
        if (!nv)
            return NULL;
        c->sum.variants = nv;
        c->cap_variants = cap;
    }
    sweep_variant *v = &c->sum.variants[c->sum.n_variants];
    memset(v, 0, sizeof *v);
    v->index = c->sum.n_variants;
    v->values = calloc(c->n_params ? c->n_params : 1, sizeof *v->values);
    v->runs = calloc(c->o.seeds, sizeof *v->runs);
    if (!v->values || !v->runs) {
        free(v->values);
        free(v->runs);
        return NULL;
    }
    memcpy(v->values, values, c->n_params * sizeof *values);
    v->n_runs = c->o.seeds;
    const sweep_value *vp[SWEEP_MAX_PARAMS];
    for (size_t p = 0; p < c->n_params; p++)
        vp[p] = &v->values[p];
    for (unsigned r = 0; r < c->o.seeds; r++) {
        sweep_run *run = &v->runs[r];
        run->seed = sweep_seed(c->sum.base_seed, c->params, vp, c->n_params, r);
        run->verdict = BATCH_NOT_RUN;
        snprintf(run->why, sizeof run->why, "not run (the sweep was stopped)");
        char trace[TS__PATH_MAX], command[8192];
        run_paths(c, v->index, r, "h5", trace, sizeof trace);
        for (size_t f = 0; f < SWEEP_N_FAMILIES; f++)
            run->family[f] = NAN;
        /* The command that reruns it alone, byte for byte the same trace
         * when run from the same folder (the trace records the command
         * and the scenario's path as `run` writes them). */
        size_t n = 0, size = sizeof command;
        char seed[32];
        n = quote_word(command, size, n, "toposim");
        n = quote_word(command, size, n, "run");
        for (size_t p = 0; p < c->n_params; p++) {
            char set[320];
            snprintf(set, sizeof set, "%s=%s", c->params[p].path, v->values[p].text);
            n = quote_word(command, size, n, "--set");
            n = quote_word(command, size, n, set);
        }
        n = quote_word(command, size, n, "--trace");
        n = quote_word(command, size, n, "summary");
        snprintf(seed, sizeof seed, "%" PRIu64, run->seed);
        n = quote_word(command, size, n, "--seed");
        n = quote_word(command, size, n, seed);
        if (c->o.duration) {
            n = quote_word(command, size, n, "--duration");
            n = quote_word(command, size, n, c->o.duration);
        }
        if (c->o.models) {
            n = quote_word(command, size, n, "--models");
            n = quote_word(command, size, n, c->o.models);
        }
        for (size_t l = 0; l < c->o.n_limits; l++) {
            n = quote_word(command, size, n, "--limit");
            n = quote_word(command, size, n, c->o.limits[l]);
        }
        n = quote_word(command, size, n, "-o");
        n = quote_word(command, size, n, "rerun.h5");
        n = quote_word(command, size, n, c->o.scenario);
        /* The words are bounded (16 --set of at most 255 characters, a
         * path), so 8 KiB holds them; a longer one is refused whole. */
        run->trace = strdup(trace);
        run->command = n < size ? strdup(command) : NULL;
        if (!run->trace || !run->command) {
            for (unsigned k = 0; k <= r; k++) {
                free(v->runs[k].trace);
                free(v->runs[k].command);
            }
            free(v->values);
            free(v->runs);
            return NULL;
        }
    }
    c->sum.n_variants++;
    return v;
}

/* Runs the replications of variants [from, to). Returns 0 or the signal
 * that stopped it. */
static int run_variants(sweep_ctx *c, size_t from, size_t to)
{
    size_t n = (to - from) * c->o.seeds;
    free(c->items);
    c->items = calloc(n ? n : 1, sizeof *c->items);
    if (!c->items)
        return -1;
    for (size_t v = from, k = 0; v < to; v++) {
        char sub[TS__PATH_MAX];
        snprintf(sub, sizeof sub, "%s/variant-%04zu", c->dir, v);
        if (cli_make_dir(sub) != 0) {
            fprintf(stderr, "toposim sweep: %s: cannot create the folder: %s\n", sub,
                    strerror(errno));
            return -1;
        }
        for (unsigned r = 0; r < c->o.seeds; r++)
            c->items[k++] = (sweep_item){v, r};
    }
    c->n_items = n;
    cli_dispatch_config cfg = {(size_t)c->o.jobs, c->o.timeout_s};
    cli_dispatch_ops ops = {c, sweep_work, sweep_done, c->show_progress ? sweep_progress : NULL};
    int sig = cli_dispatcher_default()->run(&cfg, &ops, n);
    if (c->show_progress)
        fputs("\r\033[K", stderr);
    return sig;
}

/* ---- summary ---- */

static int write_summary(sweep_ctx *c)
{
    /* Gate columns in the order of the variants, not of the order their
     * runs happened to end in (-j, MPI ranks): the same grid gives the
     * same files however it was run. */
    c->sum.n_gate_names = 0;
    for (size_t i = 0; i < c->sum.n_variants; i++)
        if (sweep_variant_fold(&c->sum, &c->sum.variants[i]) != 0) {
            fputs("toposim sweep: out of memory\n", stderr);
            return CLI_BAD_INPUT;
        }
    if (!c->leader)
        return CLI_OK;
    char csv[TS__PATH_MAX], runs[TS__PATH_MAX], h5[TS__PATH_MAX], gates[TS__PATH_MAX];
    snprintf(csv, sizeof csv, "%s/sweep.csv", c->dir);
    snprintf(gates, sizeof gates, "%s/gates.csv", c->dir);
    snprintf(runs, sizeof runs, "%s/runs.csv", c->dir);
    snprintf(h5, sizeof h5, "%s/sweep.h5", c->dir);
    ts_error err;
    ts_error_clear(&err);
    if (sweep_write_csv(&c->sum, csv, &err) != TS_OK ||
        sweep_write_runs(&c->sum, runs, &err) != TS_OK ||
        sweep_write_gates(&c->sum, gates, &err) != TS_OK ||
        sweep_write_h5(&c->sum, h5, &err) != TS_OK) {
        cli_print_error(&err);
        return CLI_BAD_INPUT;
    }
    return CLI_OK;
}

/* ---- options ---- */

static int parse_count(const char *text, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || *end || end == text || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_options(int argc, char **argv, sweep_ctx *c)
{
    static const struct option longs[] = {
        {"set", required_argument, NULL, 'V'},
        {"seeds", required_argument, NULL, 'n'},
        {"jobs", required_argument, NULL, 'j'},
        {"output", required_argument, NULL, 'o'},
        {"seed", required_argument, NULL, 's'},
        {"duration", required_argument, NULL, 'd'},
        {"timeout", required_argument, NULL, 't'},
        {"models", required_argument, NULL, 'm'},
        {"find-max", required_argument, NULL, 'X'},
        {"find-min", required_argument, NULL, 'N'},
        {"range", required_argument, NULL, 'R'},
        {"resolution", required_argument, NULL, 'r'},
        {"quiet", no_argument, NULL, 'q'},
        {"limit", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    sweep_options *o = &c->o;
    long cores = sysconf(_SC_NPROCESSORS_ONLN), v;
    o->jobs = cores > 0 ? cores : 1;
    o->seeds = 1;
    int opt;
    char *end, why[512];
    while ((opt = getopt_long(argc, argv, ":n:j:o:s:d:t:m:qh", longs, NULL)) != -1) {
        switch (opt) {
        case 'V':
            if (c->n_params == SWEEP_MAX_PARAMS)
                return cli_usage_error("sweep", "more than 16 --set options");
            if (sweep_parse_set(optarg, &c->params[c->n_params], why, sizeof why) != 0)
                return cli_usage_error("sweep", why);
            for (size_t p = 0; p < c->n_params; p++)
                if (!strcmp(c->params[p].path, c->params[c->n_params].path)) {
                    snprintf(why, sizeof why, "--set %s: %s is already swept by --set %s",
                             optarg, c->params[p].path, c->params[p].arg);
                    sweep_param_free(&c->params[c->n_params]);
                    return cli_usage_error("sweep", why);
                }
            c->n_params++;
            break;
        case 'n':
            if (parse_count(optarg, 1, SWEEP_MAX_SEEDS, &v) != 0)
                return cli_usage_error("sweep", "--seeds expects a whole number from 1 to 100");
            o->seeds = (unsigned)v;
            break;
        case 'j':
            if (parse_count(optarg, 1, 4096, &o->jobs) != 0)
                return cli_usage_error("sweep", "--jobs expects a whole number from 1 to 4096");
            break;
        case 'o': o->dir = optarg; break;
        case 's':
            if (!isdigit((unsigned char)optarg[0]))
                return cli_usage_error("sweep", "--seed expects a non-negative integer");
            errno = 0;
            strtoull(optarg, &end, 10);
            if (errno || *end)
                return cli_usage_error("sweep", "--seed expects a non-negative integer");
            o->seed_text = optarg;
            break;
        case 'd': {
            int64_t ns;
            const char *w = NULL;
            if (ts_unit_time(optarg, &ns, &w) != 0 || w || ns <= 0)
                return cli_usage_error("sweep", "--duration expects a time above 0, e.g. 2s");
            o->duration = optarg;
            break;
        }
        case 't':
            errno = 0;
            o->timeout_s = strtod(optarg, &end);
            if (errno || *end || end == optarg || !(o->timeout_s > 0) || o->timeout_s > 1e9)
                return cli_usage_error("sweep", "--timeout expects a number of seconds above 0");
            break;
        case 'm': o->models = optarg; break;
        case 'X':
        case 'N':
            if (o->find_path)
                return cli_usage_error("sweep", "one --find-max or --find-min at a time");
            o->find_path = optarg;
            o->find = opt == 'X' ? 1 : -1;
            break;
        case 'R': o->range = optarg; break;
        case 'r': o->resolution = optarg; break;
        case 'q': o->quiet = 1; break;
        case 'L':
            if (o->n_limits == 16)
                return cli_usage_error("sweep", "more than 16 --limit options");
            if (cli_limit_option("sweep", optarg) != CLI_OK)
                return CLI_BAD_INPUT;
            o->limits[o->n_limits++] = optarg;
            break;
        case 'h': fputs(help, stdout); return -1;
        case ':': return cli_usage_error("sweep", "an option is missing its value");
        default: return cli_usage_error("sweep", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("sweep", "expected exactly one SCENARIO.xml");
    o->scenario = argv[optind];
    if (o->find) {
        if (!o->range)
            return cli_usage_error("sweep", "--find-max and --find-min need --range LO..HI");
        for (size_t p = 0; p < c->n_params; p++) {
            if (c->params[p].n_values != 1) {
                snprintf(why, sizeof why, "--set %s: with --find-%s, each --set gives one "
                         "value (a sweep and a search do not mix)", c->params[p].arg,
                         o->find > 0 ? "max" : "min");
                return cli_usage_error("sweep", why);
            }
            if (!strcmp(c->params[p].path, o->find_path)) {
                snprintf(why, sizeof why, "--set %s: %s is the searched attribute",
                         c->params[p].arg, o->find_path);
                return cli_usage_error("sweep", why);
            }
        }
        if (c->n_params == SWEEP_MAX_PARAMS)
            return cli_usage_error("sweep", "more than 15 --set options beside --find-*");
    } else {
        if (o->range || o->resolution)
            return cli_usage_error("sweep", "--range and --resolution go with --find-max or "
                                            "--find-min");
        if (c->n_params == 0)
            return cli_usage_error("sweep", "expected at least one --set PATH=VALUES (or "
                                            "--find-max PATH --range LO..HI)");
        /* Before the scenario is loaded once per value: a grid past the
         * caps is refused at once. */
        double total = 1;
        for (size_t p = 0; p < c->n_params; p++)
            total *= (double)c->params[p].n_values;
        if (total > SWEEP_MAX_VARIANTS) {
            char msg[256];
            snprintf(msg, sizeof msg, "the --set options make %.0f variants, more than the cap of "
                     "%d", total, SWEEP_MAX_VARIANTS);
            return cli_usage_error("sweep", msg);
        }
        if (total * c->o.seeds > SWEEP_MAX_RUNS) {
            char msg[256];
            snprintf(msg, sizeof msg, "%.0f variants x %u seeds make %.0f runs, more than the cap "
                     "of %d", total, c->o.seeds, total * c->o.seeds, SWEEP_MAX_RUNS);
            return cli_usage_error("sweep", msg);
        }
    }
    return CLI_OK;
}

/* Loads the scenario with one value of each --set: every value of every
 * --set once (the others at their first), so that an unknown path or a
 * value of the wrong kind is bad input before any run, naming the --set.
 * The base seed is the loaded scenario's unless --seed gives one. */
static int check_values(sweep_ctx *c, const sweep_value *extra, const char *extra_path)
{
    cli_overrides *ov = calloc(1, sizeof *ov);
    char (*sets)[320] = calloc(SWEEP_MAX_PARAMS + 1, sizeof *sets);
    int rc = CLI_OK;
    if (!ov || !sets) {
        free(ov);
        free(sets);
        fputs("toposim sweep: out of memory\n", stderr);
        return CLI_BAD_INPUT;
    }
    /* Load -1: every --set at its first value, which gives the base seed;
     * then for each --set p its other values, the rest at their first. */
    for (long p = -1; p < (long)c->n_params && rc == CLI_OK; p++) {
        size_t first = p < 0 ? 0 : 1;
        size_t last = p < 0 ? 1 : c->params[p].n_values;
        for (size_t k = first; k < last && rc == CLI_OK; k++) {
            ov->n = 0;
            for (size_t q = 0; q < c->n_params; q++) {
                const sweep_value *val = &c->params[q].values[(long)q == p ? k : 0];
                snprintf(sets[q], sizeof sets[q], "%s=%s", c->params[q].path, val->text);
                ov->items[ov->n++] = sets[q];
            }
            if (extra_path) {
                snprintf(sets[c->n_params], sizeof sets[0], "%s=%s", extra_path, extra->text);
                ov->items[ov->n++] = sets[c->n_params];
            }
            ts_scenario *s = cli_load_scenario(c->o.scenario, c->o.models, ov);
            if (!s) {
                rc = CLI_BAD_INPUT;
                break;
            }
            if (p < 0) {
                c->sum.base_seed = s->seed;
                if (!c->o.dir) {
                    static char dir[TS__PATH_MAX];
                    snprintf(dir, sizeof dir, "results/sweep-%s", s->name);
                    c->o.dir = dir;
                }
            }
            ts_scenario_free(s);
        }
    }
    free(ov);
    free(sets);
    if (rc == CLI_OK && c->o.seed_text)
        c->sum.base_seed = strtoull(c->o.seed_text, NULL, 10);
    return rc;
}

static char *join_argv(int argc, char **argv)
{
    size_t size = 16;
    for (int i = 0; i < argc; i++)
        size += 4 * strlen(argv[i]) + 3;
    char *out = malloc(size);
    if (!out)
        return NULL;
    size_t n = quote_word(out, size, 0, "toposim");
    for (int i = 0; i < argc; i++)
        n = quote_word(out, size, n, argv[i]);
    return out;
}

/* ---- grid ---- */

static int run_grid(sweep_ctx *c)
{
    double total = 1;
    for (size_t p = 0; p < c->n_params; p++)
        total *= (double)c->params[p].n_values;
    size_t n = (size_t)total;
    sweep_value values[SWEEP_MAX_PARAMS];
    for (size_t i = 0; i < n; i++) {
        /* Mixed radix, the last --set varying fastest. */
        size_t rest = i;
        for (size_t p = c->n_params; p-- > 0;) {
            values[p] = c->params[p].values[rest % c->params[p].n_values];
            rest /= c->params[p].n_values;
        }
        if (!add_variant(c, values)) {
            fputs("toposim sweep: out of memory, or a rerun command over 8 KiB\n", stderr);
            return CLI_BAD_INPUT;
        }
    }
    c->variants_total = n;
    if (!c->o.quiet && cli_dispatcher_default() != &cli_dispatch_local)
        printf("sweep: %zu variant%s x %u seed%s = %zu runs over %d MPI rank(s), into %s\n", n,
               n == 1 ? "" : "s", c->o.seeds, c->o.seeds == 1 ? "" : "s", n * c->o.seeds,
               cli_dispatch_ranks(), c->dir);
    else if (!c->o.quiet)
        printf("sweep: %zu variant%s x %u seed%s = %zu runs, %ld at a time, into %s\n", n,
               n == 1 ? "" : "s", c->o.seeds, c->o.seeds == 1 ? "" : "s", n * c->o.seeds,
               c->o.jobs, c->dir);
    int sig = run_variants(c, 0, n);
    if (sig < 0)
        return CLI_BAD_INPUT;
    if (sig) {
        fprintf(stderr, "toposim sweep: stopped by signal %d; no summary written\n", sig);
        return 128 + sig;
    }
    int rc = write_summary(c);
    if (rc != CLI_OK)
        return rc;
    size_t pass = 0, fail = 0, errors = 0;
    for (size_t i = 0; i < n; i++) {
        batch_verdict v = c->sum.variants[i].verdict;
        pass += v == BATCH_PASS;
        fail += v == BATCH_FAIL || v == BATCH_NO_FIT;
    }
    errors = n - pass - fail;
    if (!c->o.quiet)
        printf("sweep: %zu pass, %zu fail, %zu error%s; %s/sweep.csv, sweep.h5, runs.csv\n",
               pass, fail, errors, errors == 1 ? "" : "s", c->dir);
    return errors ? CLI_BAD_INPUT : fail ? CLI_GATE_FAILED : CLI_OK;
}

/* ---- find the limit ---- */

typedef struct find_state {
    sweep_range range;
    double res;
    int decimals;
} find_state;

/* Runs the search's value x as a variant of its own; *variant its index.
 * Returns 0 (judged, *pass set), the signal that stopped it, or -1 when
 * a run could not be judged (crash, time limit, refused trace). */
static int evaluate(sweep_ctx *c, const find_state *f, double x, size_t *variant, int *pass)
{
    sweep_value values[SWEEP_MAX_PARAMS];
    for (size_t p = 0; p + 1 < c->n_params; p++)
        values[p] = c->params[p].values[0];
    sweep_format_value(x, f->decimals, f->range.suffix, &values[c->n_params - 1]);
    /* A value already run (the search never repeats one, but LO == a
     * bisection point could) is not run again. */
    for (size_t i = 0; i < c->sum.n_variants; i++)
        if (!strcmp(c->sum.variants[i].values[c->n_params - 1].text, values[c->n_params - 1].text)) {
            *variant = i;
            *pass = c->sum.variants[i].verdict == BATCH_PASS;
            return 0;
        }
    if (!add_variant(c, values))
        return -1;
    *variant = c->sum.n_variants - 1;
    c->variants_total = c->sum.n_variants;
    int sig = run_variants(c, *variant, *variant + 1);
    if (sig)
        return sig;
    batch_verdict v = c->sum.variants[*variant].verdict;
    *pass = v == BATCH_PASS;
    return v == BATCH_PASS || v == BATCH_FAIL || v == BATCH_NO_FIT ? 0 : -1;
}

static void describe(const sweep_ctx *c, const char *what, size_t i)
{
    const sweep_variant *v = &c->sum.variants[i];
    const char *value = v->values[c->n_params - 1].text;
    if (v->verdict == BATCH_NO_FIT)
        printf("  %s %s: does not fit (%s)\n", what, value, v->why);
    else if (v->binding[0])
        printf("  %s %s: %s gate %s, margin %+.4g (relative to its threshold)\n", what, value,
               v->verdict == BATCH_PASS ? "binding" : "failing", v->binding, v->binding_margin);
    else
        printf("  %s %s: %s\n", what, value, batch_verdict_name(v->verdict));
}

static int run_find(sweep_ctx *c)
{
    find_state f;
    char why[512];
    if (sweep_parse_range(c->o.range, &f.range, why, sizeof why) != 0) {
        char msg[640];
        snprintf(msg, sizeof msg, "--range %s: %s", c->o.range, why);
        return cli_usage_error("sweep", msg);
    }
    if (c->o.resolution) {
        if (sweep_parse_resolution(c->o.resolution, &f.range, &f.res, &f.decimals, why,
                                   sizeof why) != 0)
            return cli_usage_error("sweep", why);
        if (f.range.decimals > f.decimals)
            f.decimals = f.range.decimals;
    } else if (f.range.integer) {
        f.res = 1;
        f.decimals = 0;
    } else {
        return cli_usage_error("sweep", "a range of real numbers needs --resolution R");
    }
    double steps = floor((f.range.hi - f.range.lo) / f.res + 1e-9);
    if (steps < 1)
        return cli_usage_error("sweep", "--range is narrower than one --resolution step");
    if (steps > 1e12)
        return cli_usage_error("sweep", "--range spans more than 10^12 --resolution steps");
    /* The searched attribute is the last parameter. */
    sweep_param *sp = &c->params[c->n_params++];
    memset(sp, 0, sizeof *sp);
    snprintf(sp->path, sizeof sp->path, "%s", c->o.find_path);
    sp->arg = c->o.find_path;
    c->sum.n_params = c->n_params;
    int max = c->o.find > 0;
    const char *dir_word = max ? "largest" : "smallest";
    if (!c->o.quiet)
        printf("sweep: the %s %s in %s at which every gate passes on %u seed%s; into %s\n",
               dir_word, c->o.find_path, c->o.range, c->o.seeds, c->o.seeds == 1 ? "" : "s",
               c->dir);
    /* Index k of the grid: lo + k * res. The passing end first: for
     * --find-max LO must pass, for --find-min HI. */
    double good_k = max ? 0 : steps, bad_k = max ? steps : 0;
    size_t good_i, bad_i;
    int pass, rc;
    rc = evaluate(c, &f, f.range.lo + good_k * f.res, &good_i, &pass);
    if (rc == 0 && !pass) {
        if (write_summary(c) != CLI_OK)
            return CLI_BAD_INPUT;
        printf("sweep: no value passes: %s=%s already fails\n", c->o.find_path,
               c->sum.variants[good_i].values[c->n_params - 1].text);
        describe(c, "at", good_i);
        return CLI_GATE_FAILED;
    }
    if (rc == 0)
        rc = evaluate(c, &f, f.range.lo + bad_k * f.res, &bad_i, &pass);
    if (rc == 0 && pass) {
        if (write_summary(c) != CLI_OK)
            return CLI_BAD_INPUT;
        printf("sweep: %s=%s passes, the %s of the range: the limit is %s it\n",
               c->o.find_path, c->sum.variants[bad_i].values[c->n_params - 1].text,
               max ? "top" : "bottom", max ? "at or above" : "at or below");
        describe(c, "at", bad_i);
        return CLI_OK;
    }
    /* Bisection: good_k passes, bad_k fails; the gates are taken to be
     * monotonic in the attribute between them. */
    while (rc == 0 && fabs(bad_k - good_k) > 1) {
        double mid = good_k + (double)(long long)((bad_k - good_k) / 2);
        size_t i;
        rc = evaluate(c, &f, f.range.lo + mid * f.res, &i, &pass);
        if (rc != 0)
            break;
        if (pass) {
            good_k = mid;
            good_i = i;
        } else {
            bad_k = mid;
            bad_i = i;
        }
    }
    if (rc > 0) {
        fprintf(stderr, "toposim sweep: stopped by signal %d; no summary written\n", rc);
        return 128 + rc;
    }
    int wrc = write_summary(c);
    if (rc < 0) {
        const sweep_variant *v = &c->sum.variants[c->sum.n_variants - 1];
        fprintf(stderr, "toposim sweep: %s=%s could not be judged (%s: %s); the search stops "
                "(runs.csv, the run's log)\n", c->o.find_path,
                v->values[c->n_params - 1].text, batch_verdict_name(v->verdict), v->why);
        return CLI_BAD_INPUT;
    }
    if (wrc != CLI_OK)
        return wrc;
    printf("sweep: %s %s=%s (%zu variants run)\n", max ? "largest passing" : "smallest passing",
           c->o.find_path, c->sum.variants[good_i].values[c->n_params - 1].text,
           c->sum.n_variants);
    describe(c, "at", good_i);
    describe(c, "next step", bad_i);
    return CLI_OK;
}

int cli_sweep(int argc, char **argv)
{
    sweep_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        fputs("toposim sweep: out of memory\n", stderr);
        return CLI_BAD_INPUT;
    }
    int rc = parse_options(argc, argv, c);
    char *command_line = NULL;
    if (rc < 0) {
        rc = CLI_OK;
        goto out;
    }
    if (rc != CLI_OK)
        goto out;
    /* Under MPI every rank runs the whole command and follows the same
     * results (dispatch_mpi.c); only rank 0 speaks and writes the summary. */
    c->leader = cli_dispatch_is_leader();
    if (!c->leader) {
        c->o.quiet = 1;
        if (!freopen("/dev/null", "w", stdout)) {
            rc = CLI_BAD_INPUT;
            goto out;
        }
    }
    if (c->o.find) {
        /* The search's values are checked at LO and HI before the search. */
        sweep_range r;
        char why[512];
        if (sweep_parse_range(c->o.range, &r, why, sizeof why) != 0) {
            char msg[640];
            snprintf(msg, sizeof msg, "--range %s: %s", c->o.range, why);
            rc = cli_usage_error("sweep", msg);
            goto out;
        }
        sweep_value lo, hi;
        sweep_format_value(r.lo, r.decimals, r.suffix, &lo);
        sweep_format_value(r.hi, r.decimals, r.suffix, &hi);
        rc = check_values(c, &lo, c->o.find_path);
        if (rc == CLI_OK)
            rc = check_values(c, &hi, c->o.find_path);
    } else {
        rc = check_values(c, NULL, NULL);
    }
    if (rc != CLI_OK)
        goto out;
    if (snprintf(c->dir, sizeof c->dir, "%s", c->o.dir) >= (int)sizeof c->dir - 64) {
        rc = cli_usage_error("sweep", "the output folder's name is too long");
        goto out;
    }
    if (cli_make_dir(c->dir) != 0) {
        fprintf(stderr, "toposim sweep: %s: cannot create the output folder: %s\n", c->dir,
                strerror(errno));
        rc = CLI_BAD_INPUT;
        goto out;
    }
    command_line = join_argv(argc, argv);
    if (!command_line) {
        fputs("toposim sweep: out of memory\n", stderr);
        rc = CLI_BAD_INPUT;
        goto out;
    }
    c->sum.command_line = command_line;
    c->sum.scenario = c->o.scenario;
    c->sum.seeds = c->o.seeds;
    c->sum.params = c->params;
    c->show_progress = !c->o.quiet && isatty(STDERR_FILENO);
    c->sum.n_params = c->n_params;
    rc = c->o.find ? run_find(c) : run_grid(c);
out:
    for (size_t i = 0; i < c->sum.n_variants; i++) {
        sweep_variant *v = &c->sum.variants[i];
        for (size_t r = 0; r < v->n_runs; r++) {
            free(v->runs[r].gates);
            free(v->runs[r].trace);
            free(v->runs[r].command);
        }
        free(v->runs);
        free(v->values);
        free(v->gates);
    }
    free(c->sum.variants);
    free(c->sum.gate_names);
    free(c->sum.gate_info);
    for (size_t p = 0; p < c->n_params; p++)
        sweep_param_free(&c->params[p]);
    free(c->items);
    free(command_line);
    free(c);
    return rc;
}
