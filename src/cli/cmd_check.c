/* toposim check: schema and meaning checks of a scenario, and its
 * placement; no run. */
#include <stdio.h>

#include "cli/cli.h"
#include "toposim/world.h"

static const char help[] =
    "usage: toposim check [--models DIR] [--set PATH=VALUE]... [--limit NAME=N]\n"
    "       SCENARIO.xml\n"
    "\n"
    "Validates SCENARIO.xml against the schema, checks its meaning\n"
    "(references, duplicate ids, impossible values, unreachable nodes)\n"
    "and places its components as `plan` would, so that a scenario check\n"
    "accepts is one run can start.\n"
    "Errors are printed as file:line: what was expected.\n"
    "\n"
    "  -m, --models DIR   hardware model folder (default: models/ near the\n"
    "                     scenario, $TOPOSIM_MODELS, or the installed copy)\n"
    CLI_SET_HELP
    CLI_LIMIT_HELP
    "  -h, --help         this text\n"
    "exit codes: 0 valid, 2 invalid or usage error, 3 valid but the components\n"
    "do not fit the platform\n";

int cli_check(int argc, char **argv)
{
    ts_scenario *s = NULL;
    int rc = cli_scenario_command("check", help, argc, argv, &s);
    if (!s)
        return rc;
    ts_plan *plan = NULL;
    ts_error err;
    ts_error_clear(&err);
    if (ts_plan_new(s, &plan, &err) != TS_OK) {
        cli_print_error(&err);
        ts_scenario_free(s);
        return cli_plan_failure(&err);
    }
    ts_plan_free(plan);
    printf("%s: ok (%zu nodes, %zu links, %zu components, %zu topics, "
           "%zu requirements)\n", s->path, s->n_nodes, s->n_links,
           s->n_components, s->n_topics, s->n_requirements);
    ts_scenario_free(s);
    return CLI_OK;
}
