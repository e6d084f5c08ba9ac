/* toposim plan: the placement, one line per component with its reason. */
#include <stdio.h>

#include "toposim/alloc.h"

#include "cli/cli.h"
#include "toposim/world.h"

static const char help[] =
    "usage: toposim plan [--models DIR] [--set PATH=VALUE]... [--limit NAME=N]\n"
    "       SCENARIO.xml\n"
    "\n"
    "Places every component (tier rules, then cpu/memory/GPU fit; a node=\n"
    "pin overrides) and prints one line per component: its node, tier,\n"
    "the rule that decided and the resource figures behind it, then each\n"
    "node's use (cpu, memory, GPUs, reserved cores).\n"
    "\n"
    "  -m, --models DIR   hardware model folder\n"
    CLI_SET_HELP
    CLI_LIMIT_HELP
    "  -h, --help         this text\n"
    "exit codes: 0 placed, 2 invalid scenario or usage error, 3 infeasible\n"
    "placement (the components do not fit the platform)\n";

int cli_plan(int argc, char **argv)
{
    ts_scenario *s = NULL;
    int rc = cli_scenario_command("plan", help, argc, argv, &s);
    if (!s)
        return rc;
    ts_plan *plan = NULL;
    ts_error err;
    ts_error_clear(&err);
    ts_place_usage *usage = NULL;
    if (ts_plan_new(s, &plan, &err) != TS_OK ||
        !(usage = ts_calloc(s->n_nodes ? s->n_nodes : 1, sizeof *usage)) ||
        ts_plan_usage(s, plan, usage, &err) != TS_OK) {
        if (plan && !usage)
            ts_error_set(&err, TS_ENOMEM, s->path, 0, "no memory for the plan's use");
        cli_print_error(&err);
        ts_free(usage);
        ts_plan_free(plan);
        ts_scenario_free(s);
        return cli_plan_failure(&err);
    }
    printf("%-22s %-14s %-6s %-20s %s\n", "COMPONENT", "NODE", "TIER", "RULE", "REASON");
    for (size_t i = 0; i < s->n_components; i++) {
        const ts_plan_place *r = &plan->placement[i];
        const ts_scenario_node *n = &s->nodes[r->node];
        printf("%-22s %-14s %-6s %-20s %s\n", s->components[i].id, n->id,
               ts_tier_name(n->tier), ts_place_rule_name(r->rule), r->reason);
    }
    printf("\n%-22s %-6s %s\n", "NODE", "TIER", "USE");
    for (size_t n = 0; n < s->n_nodes; n++) {
        if (s->nodes[n].kind == TS_NODE_SWITCH)
            continue;
        char use[256];
        ts_place_usage_format(&usage[n], use, sizeof use);
        printf("%-22s %-6s %s\n", s->nodes[n].id, ts_tier_name(s->nodes[n].tier), use);
    }
    ts_free(usage);
    ts_plan_free(plan);
    ts_scenario_free(s);
    return CLI_OK;
}
