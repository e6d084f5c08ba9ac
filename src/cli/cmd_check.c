/* toposim check: schema and meaning checks of a scenario, nothing else. */
#include <getopt.h>
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
    static const struct option longs[] = {
        {"models", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *models = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "m:h", longs, NULL)) != -1) {
        switch (c) {
        case 'm': models = optarg; break;
        case 'h': fputs(help, stdout); return CLI_OK;
        default: return cli_usage_error("check", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("check", "expected exactly one SCENARIO.xml");
    ts_scenario *s = cli_load_scenario(argv[optind], models);
    if (!s)
        return CLI_BAD_INPUT;
    printf("%s: ok (%zu nodes, %zu links, %zu components, %zu topics, "
           "%zu requirements)\n", argv[optind], s->n_nodes, s->n_links,
           s->n_components, s->n_topics, s->n_requirements);
    ts_scenario_free(s);
    return CLI_OK;
}
