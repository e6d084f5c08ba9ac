/* toposim check: schema and meaning checks of a scenario, nothing else. */
#include <stdio.h>

#include "cli/cli.h"

static const char help[] =
    "usage: toposim check [--models DIR] SCENARIO.xml\n"
    "\n"
    "Validates SCENARIO.xml against the schema and checks its meaning\n"
    "(references, duplicate ids, impossible values, unreachable nodes).\n"
    "Errors are printed as file:line: what was expected.\n"
    "\n"
    "  -m, --models DIR   hardware model folder (default: models/ near the\n"
    "                     scenario, $TOPOSIM_MODELS, or the installed copy)\n"
    "  -h, --help         this text\n"
    "exit codes: 0 valid, 2 invalid or usage error\n";

int cli_check(int argc, char **argv)
{
    ts_scenario *s = NULL;
    int rc = cli_scenario_command("check", help, argc, argv, &s);
    if (!s)
        return rc;
    printf("%s: ok (%zu nodes, %zu links, %zu components, %zu topics, "
           "%zu requirements)\n", s->path, s->n_nodes, s->n_links,
           s->n_components, s->n_topics, s->n_requirements);
    ts_scenario_free(s);
    return CLI_OK;
}
