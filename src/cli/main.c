/* toposim: entry point and subcommand dispatch. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "cli/cli.h"
#include "toposim/limits.h"
#include "toposim/trace.h"
#include "toposim/units.h"

#ifndef TOPOSIM_VERSION
#define TOPOSIM_VERSION "unknown"
#endif

static const char usage[] =
    "usage: toposim COMMAND [OPTIONS] ARGS\n"
    "\n"
    "Simulates and validates deployment topologies of robot fleets.\n"
    "\n"
    "commands:\n"
    "  check SCENARIO.xml      schema, meaning and placement checks; no run\n"
    "  plan SCENARIO.xml       placement: each component's node and why\n"
    "  run SCENARIO.xml        simulate and write an HDF5 trace\n"
    "  validate TRACE.h5       score a trace: performance, safety, health and\n"
    "                          integration, recommendations, fail-closed gates\n"
    "  report TRACE.h5         plots (gnuplot PNG and SVG) and an HTML page with\n"
    "                          the scorecard, into results/<trace>-report/\n"
    "  batch SCENARIO.xml...   run and validate many scenarios, N at a time;\n"
    "                          one summary and one JUnit file\n"
    "  sweep SCENARIO.xml      run and validate a grid of --set values with\n"
    "                          replications, or find the limit of one\n"
    "                          (--find-max, --find-min); sweep.csv, sweep.h5\n"
    "\n"
    "`toposim COMMAND --help` describes a command's options.\n"
    "exit codes: 0 success (all gates pass), 1 a gate failed, 2 bad input or usage,\n"
    "3 the components do not fit the platform (check, plan, run)\n";

void cli_print_error(const ts_error *err)
{
    char buf[2048];
    ts_error_format(err, buf, sizeof buf);
    fprintf(stderr, "toposim: %s\n", buf);
}

int cli_plan_failure(const ts_error *err)
{
    return err->code == TS_EINFEASIBLE ? CLI_INFEASIBLE : CLI_BAD_INPUT;
}

int cli_usage_error(const char *cmd, const char *message)
{
    fprintf(stderr, "toposim %s: %s\n(see `toposim %s --help`)\n", cmd, message, cmd);
    return CLI_BAD_INPUT;
}

int cli_limit_option(const char *cmd, const char *arg)
{
    char name[32], msg[512];
    const char *eq = strchr(arg, '=');
    size_t n = eq ? (size_t)(eq - arg) : 0;
    int id = -1;
    if (eq && n < sizeof name) {
        memcpy(name, arg, n);
        name[n] = '\0';
        id = ts_limit_find(name);
    }
    if (id < 0) {
        size_t k = (size_t)snprintf(msg, sizeof msg, "--limit '%s': expected NAME=VALUE, NAME one of", arg);
        for (int i = 0; i < TS_LIMIT_COUNT && k < sizeof msg; i++)
            k += (size_t)snprintf(msg + k, sizeof msg - k, " %s", ts_limit_name((ts_limit_id)i));
        return cli_usage_error(cmd, msg);
    }
    /* A count is a plain integer; memory takes a size ("4GiB"). Both go
     * through the scenario's byte parser, which refuses signs, garbage
     * and overflow. */
    int64_t v = 0;
    const char *why = NULL;
    const char *value = eq + 1;
    int plain = *value != '\0' && strspn(value, "0123456789") == strlen(value);
    if ((id != TS_LIMIT_MEMORY && !plain) || ts_unit_bytes(value, &v, &why) != 0 || v <= 0) {
        snprintf(msg, sizeof msg, "--limit %s: '%s' is not %s greater than 0", name, value,
                 id == TS_LIMIT_MEMORY ? "a size (e.g. 4GiB)" : "a whole number");
        return cli_usage_error(cmd, msg);
    }
    ts_limit_set((ts_limit_id)id, (uint64_t)v);
    return CLI_OK;
}

int cli_fold_rows_option(const char *cmd, const char *arg)
{
    char msg[160];
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(arg, &end, 10);
    if (!*arg || strspn(arg, "0123456789") != strlen(arg) || errno || *end) {
        snprintf(msg, sizeof msg, "--fold-rows '%.60s' is not a whole number", arg);
        return cli_usage_error(cmd, msg);
    }
    ts_trace_set_fold_rows(v);
    return CLI_OK;
}

int cli_override_option(const char *cmd, const char *arg, cli_overrides *o)
{
    if (o->n == CLI_MAX_OVERRIDES)
        return cli_usage_error(cmd, "more than 256 --set options");
    o->items[o->n++] = arg;
    return CLI_OK;
}

ts_scenario *cli_load_scenario(const char *path, const char *models_dir,
                               const cli_overrides *overrides)
{
    ts_scenario_options opts = {.models_dir = models_dir};
    if (overrides) {
        opts.overrides = overrides->items;
        opts.n_overrides = overrides->n;
    }
    ts_scenario *s = NULL;
    ts_error err;
    ts_error_clear(&err);
    if (ts_scenario_load(path, &opts, &s, &err) != TS_OK) {
        cli_print_error(&err);
        return NULL;
    }
    return s;
}

int cli_scenario_command(const char *cmd, const char *help, int argc,
                         char **argv, ts_scenario **out)
{
    static const struct option longs[] = {
        {"models", required_argument, NULL, 'm'},
        {"limit", required_argument, NULL, 'L'},
        {"set", required_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *models = NULL;
    static cli_overrides overrides;   /* 2 KiB: kept off the stack */
    overrides.n = 0;
    int c;
    *out = NULL;
    while ((c = getopt_long(argc, argv, ":m:h", longs, NULL)) != -1) {
        switch (c) {
        case 'm': models = optarg; break;
        case 'L':
            if (cli_limit_option(cmd, optarg) != CLI_OK)
                return CLI_BAD_INPUT;
            break;
        case 'V':
            if (cli_override_option(cmd, optarg, &overrides) != CLI_OK)
                return CLI_BAD_INPUT;
            break;
        case 'h': fputs(help, stdout); return CLI_OK;
        case ':': return cli_usage_error(cmd, "an option is missing its value");
        default: return cli_usage_error(cmd, "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error(cmd, "expected exactly one SCENARIO.xml");
    *out = cli_load_scenario(argv[optind], models, &overrides);
    return *out ? CLI_OK : CLI_BAD_INPUT;
}

static int run_command(int argc, char **argv)
{
    /* GSL's default handler aborts; the library reports failures itself. */
    gsl_set_error_handler_off();
    if (argc < 2) {
        fputs(usage, stderr);
        return CLI_BAD_INPUT;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("toposim %s\n", TOPOSIM_VERSION);
        return CLI_OK;
    }
    if (!strcmp(cmd, "check"))
        return cli_check(argc - 1, argv + 1);
    if (!strcmp(cmd, "plan"))
        return cli_plan(argc - 1, argv + 1);
    if (!strcmp(cmd, "run"))
        return cli_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "validate"))
        return cli_validate(argc - 1, argv + 1);
    if (!strcmp(cmd, "report"))
        return cli_report(argc - 1, argv + 1);
    if (!strcmp(cmd, "batch"))
        return cli_batch(argc - 1, argv + 1);
    if (!strcmp(cmd, "sweep"))
        return cli_sweep(argc - 1, argv + 1);
    fprintf(stderr, "toposim: unknown command '%s'\n\n%s", cmd, usage);
    return CLI_BAD_INPUT;
}

int main(int argc, char **argv)
{
    int rc = run_command(argc, argv);
    /* A report that never reached its reader is a failure: stdout on a
     * full disk or a closed pipe must not exit 0. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fputs("toposim: cannot write to standard output\n", stderr);
        if (rc == CLI_OK || rc == CLI_GATE_FAILED)
            rc = CLI_BAD_INPUT;
    }
    if (ts_trace_library_unusable()) {
        /* HDF5's exit handler would crash on the file it failed to close;
         * everything of ours is written or removed already. */
        fflush(NULL);
        _exit(rc);
    }
    return rc;
}
