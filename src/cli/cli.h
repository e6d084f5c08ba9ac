/*
 * The toposim command line: one file per subcommand, each returning the
 * process exit code (0 success / all gates pass, 1 a gate failed, 2 bad
 * input, usage or internal error). Only this folder prints and exits.
 */
#ifndef TOPOSIM_CLI_H
#define TOPOSIM_CLI_H

#include "toposim/error.h"
#include "toposim/scenario.h"

/* CLI_INFEASIBLE: a valid scenario whose components do not fit its
 * platform (placement's TS_EINFEASIBLE): a result for a capacity
 * question, not bad input. */
enum { CLI_OK = 0, CLI_GATE_FAILED = 1, CLI_BAD_INPUT = 2, CLI_INFEASIBLE = 3 };

/* CLI_INFEASIBLE for an infeasible placement, else CLI_BAD_INPUT. */
int cli_plan_failure(const ts_error *err);

int cli_check(int argc, char **argv);
int cli_plan(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_validate(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_batch(int argc, char **argv);
int cli_sweep(int argc, char **argv);
/* toposim report on a sweep's folder (cmd_report.c hands it over). */
int cli_sweep_report(const char *dir, const char *out_dir, const char *gnuplot,
                     double timeout_s);

/* Prints "toposim: file:line: message" on stderr. */
void cli_print_error(const ts_error *err);

/* The --set PATH=VALUE options of one command, in the order given. */
#define CLI_MAX_OVERRIDES 256
typedef struct cli_overrides {
    const char *items[CLI_MAX_OVERRIDES];
    size_t n;
} cli_overrides;

/* Adds one --set for command cmd; a usage error (returned) past the cap. */
int cli_override_option(const char *cmd, const char *arg, cli_overrides *o);

/* The help text's lines for --set. */
#define CLI_SET_HELP \
    "      --set PATH=VALUE change one attribute after loading, before the\n" \
    "                       checks (repeatable; e.g. fleet.count=40,\n" \
    "                       link[wifi].bandwidth=50Mbps; README \"Overrides\")\n"

/* Loads a scenario with the overrides (may be NULL), printing any error;
 * NULL on failure. */
ts_scenario *cli_load_scenario(const char *path, const char *models_dir,
                               const cli_overrides *overrides);

/* Parses "[--models DIR] [--set PATH=VALUE]... [--help] SCENARIO.xml" for command cmd and loads
 * the scenario into *out (the caller frees it). Returns CLI_OK with *out
 * NULL after printing help, CLI_OK with *out set, or the exit code of a
 * usage or load error. */
int cli_scenario_command(const char *cmd, const char *help, int argc,
                         char **argv, ts_scenario **out);

/* Applies one `--limit NAME=VALUE` (VALUE a count, or bytes with a unit
 * such as 4GiB for memory). Returns CLI_OK, or prints a usage error for
 * cmd and returns its exit code. */
int cli_limit_option(const char *cmd, const char *arg);

/* The help text's lines for --limit. */
#define CLI_LIMIT_HELP \
    "      --limit NAME=N   raise or lower a resource limit (see README,\n" \
    "                       \"Limits\"; e.g. --limit fleet-size=50000)\n"

#define CLI_FOLD_HELP \
    "      --fold-rows N    read a full trace of more than N rows (in /messages,\n" \
    "                       /jobs and the state tables) in chunks, folded into\n" \
    "                       windows and histograms (default 4194304; 0: always)\n"

/* Parses --fold-rows N (a whole number) and sets it for the process;
 * returns CLI_OK or prints a usage error and returns 2. */
int cli_fold_rows_option(const char *cmd, const char *arg);

/* Prints "toposim CMD: message" and a hint to use --help; returns 2. */
int cli_usage_error(const char *cmd, const char *message);

#endif
