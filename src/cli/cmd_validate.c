/* toposim validate: score a trace and gate on its requirements. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "toposim/trace.h"
#include "toposim/validate.h"

static const char help[] =
    "usage: toposim validate [--json] [--junit FILE] TRACE.h5\n"
    "\n"
    "Scores the trace (and only the trace) for deadline compliance per topic\n"
    "and per periodic component, and checks the requirements recorded in it.\n"
    "\n"
    "  -j, --json         print the scores as JSON instead of the scorecard\n"
    "  -u, --junit FILE   also write JUnit XML, one testcase per gate\n"
    "  -h, --help         this text\n"
    "exit codes: 0 all gates pass, 1 a gate failed, 2 bad input\n";

int cli_validate(int argc, char **argv)
{
    static const struct option longs[] = {
        {"json", no_argument, NULL, 'j'},
        {"junit", required_argument, NULL, 'u'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int json = 0;
    const char *junit = NULL;
    int c;
    while ((c = getopt_long(argc, argv, ":ju:h", longs, NULL)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 'u': junit = optarg; break;
        case 'h': fputs(help, stdout); return CLI_OK;
        case ':': return cli_usage_error("validate", "an option is missing its value");
        default: return cli_usage_error("validate", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("validate", "expected exactly one TRACE.h5");
    ts_error err;
    ts_error_clear(&err);
    ts_trace *trace = NULL;
    if (ts_trace_load(argv[optind], &trace, &err) != TS_OK) {
        cli_print_error(&err);
        return CLI_BAD_INPUT;
    }
    ts_validation *v = NULL;
    if (ts_validate(trace, &v, &err) != TS_OK) {
        if (!err.file[0])
            snprintf(err.file, sizeof err.file, "%s", argv[optind]);
        cli_print_error(&err);
        ts_trace_free(trace);
        return CLI_BAD_INPUT;
    }
    int code = v->all_pass ? CLI_OK : CLI_GATE_FAILED;
    if (json)
        ts_validation_print_json(v, stdout);
    else
        ts_validation_print_text(v, stdout);
    if (junit && ts_validation_write_junit(v, junit, &err) != TS_OK) {
        cli_print_error(&err);
        code = CLI_BAD_INPUT;
    }
    ts_validation_free(v);
    ts_trace_free(trace);
    return code;
}
