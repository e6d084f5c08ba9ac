/*
 * The toposim command line: one file per subcommand, each returning the
 * process exit code (0 success / all gates pass, 1 a gate failed, 2 bad
 * input, usage or internal error). Only this folder prints and exits.
 */
#ifndef TOPOSIM_CLI_H
#define TOPOSIM_CLI_H

#include "toposim/error.h"
#include "toposim/scenario.h"

enum { CLI_OK = 0, CLI_GATE_FAILED = 1, CLI_BAD_INPUT = 2 };

int cli_check(int argc, char **argv);
int cli_plan(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_validate(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_batch(int argc, char **argv);

/* Prints "toposim: file:line: message" on stderr. */
void cli_print_error(const ts_error *err);

/* Loads a scenario, printing any error; NULL on failure. */
ts_scenario *cli_load_scenario(const char *path, const char *models_dir);

/* Parses "[--models DIR] [--help] SCENARIO.xml" for command cmd and loads
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

/* Prints "toposim CMD: message" and a hint to use --help; returns 2. */
int cli_usage_error(const char *cmd, const char *message);

#endif
