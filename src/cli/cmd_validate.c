/* toposim validate: score a trace, gate on it, optionally against a
 * baseline trace. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "toposim/trace.h"
#include "toposim/validate.h"
#include "util/atomic_file.h"

static const char help[] =
    "usage: toposim validate [--json] [--detail] [--junit FILE]\n"
    "                        [--baseline OLD.h5 [--tolerance LIST]] TRACE.h5\n"
    "\n"
    "Scores the trace (and only the trace) in four families: performance\n"
    "(deadlines per topic and component), safety coverage, health (links and\n"
    "nodes, 0-100) and integration; prints recommendations and checks the\n"
    "gates: those the scenario declares, the defaults of the kinds it does\n"
    "not declare, and the run gates (finished; no failover over budget,\n"
    "rollout abort, QoS incompatibility or safety policy violation unless\n"
    "expected). See the README for every formula and default.\n"
    "\n"
    "  -j, --json            print everything as JSON instead of the scorecard\n"
    "  -d, --detail          list every copy of an item a fleet repeats\n"
    "  -u, --junit FILE      also write JUnit XML, one testcase per gate\n"
    "  -b, --baseline OLD.h5 compare with an earlier trace of the scenario;\n"
    "                        a regression beyond the tolerances fails\n"
    "  -t, --tolerance LIST  p99=10%,miss=1%,failover=10%,temp=2C,energy=5%\n"
    "                        (the defaults; any subset)\n"
    CLI_LIMIT_HELP
    CLI_FOLD_HELP
    "  -h, --help            this text\n"
    "exit codes: 0 all gates pass (and no regression), 1 a gate failed or a\n"
    "regression, 2 bad input\n";

/* Loads and validates one trace; prints the error and returns NULL. */
static ts_validation *load_validate(const char *path, ts_trace **trace)
{
    ts_error err;
    ts_error_clear(&err);
    *trace = NULL;
    if (ts_trace_load(path, trace, &err) != TS_OK) {
        cli_print_error(&err);
        return NULL;
    }
    ts_validation *v = NULL;
    if (ts_validate(*trace, &v, &err) != TS_OK) {
        if (!err.file[0])
            snprintf(err.file, sizeof err.file, "%s", path);
        cli_print_error(&err);
        ts_trace_free(*trace);
        *trace = NULL;
        return NULL;
    }
    return v;
}

int cli_validate(int argc, char **argv)
{
    static const struct option longs[] = {
        {"json", no_argument, NULL, 'j'},
        {"detail", no_argument, NULL, 'd'},
        {"junit", required_argument, NULL, 'u'},
        {"baseline", required_argument, NULL, 'b'},
        {"tolerance", required_argument, NULL, 't'},
        {"limit", required_argument, NULL, 'L'},
        {"fold-rows", required_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int json = 0, detail = 0;
    const char *junit = NULL, *baseline = NULL, *tolerance = NULL;
    int c;
    while ((c = getopt_long(argc, argv, ":jdu:b:t:h", longs, NULL)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 'd': detail = 1; break;
        case 'u': junit = optarg; break;
        case 'b': baseline = optarg; break;
        case 't': tolerance = optarg; break;
        case 'L':
            if (cli_limit_option("validate", optarg) != CLI_OK)
                return CLI_BAD_INPUT;
            break;
        case 'F':
            if (cli_fold_rows_option("validate", optarg) != CLI_OK)
                return CLI_BAD_INPUT;
            break;
        case 'h': fputs(help, stdout); return CLI_OK;
        case ':': return cli_usage_error("validate", "an option is missing its value");
        default: return cli_usage_error("validate", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("validate", "expected exactly one TRACE.h5");
    if (tolerance && !baseline)
        return cli_usage_error("validate", "--tolerance needs --baseline");
    ts_error err;
    ts_error_clear(&err);
    ts_tolerance tol = ts_tolerance_default();
    if (tolerance && ts_tolerance_parse(tolerance, &tol, &err) != TS_OK) {
        cli_print_error(&err);
        return CLI_BAD_INPUT;
    }
    const char *inputs[] = {argv[optind], baseline};
    if (junit && ts__check_output(junit, inputs, 2, &err) != TS_OK) {
        cli_print_error(&err);
        return CLI_BAD_INPUT;
    }
    ts_trace *trace = NULL, *old_trace = NULL;
    ts_validation *v = load_validate(argv[optind], &trace);
    if (!v)
        return CLI_BAD_INPUT;
    ts_validation *old = NULL;
    ts_comparison *cmp = NULL;
    int code = CLI_OK;
    if (baseline) {
        old = load_validate(baseline, &old_trace);
        if (!old) {
            code = CLI_BAD_INPUT;
            goto out;
        }
        /* A baseline of another scenario compares nothing meaningful. */
        if (strcmp(old->scenario_name, v->scenario_name) != 0) {
            ts_error_set(&err, TS_EINVAL, baseline, 0,
                         "baseline is a trace of scenario \"%s\", not \"%s\"",
                         old->scenario_name, v->scenario_name);
            cli_print_error(&err);
            code = CLI_BAD_INPUT;
            goto out;
        }
        if (ts_validation_compare(old, v, &tol, &cmp, &err) != TS_OK) {
            cli_print_error(&err);
            code = CLI_BAD_INPUT;
            goto out;
        }
    }
    code = v->all_pass && (!cmp || cmp->regressions == 0) ? CLI_OK : CLI_GATE_FAILED;
    if (json) {
        if (cmp) {
            /* One object: the validation, then the comparison beside it. */
            fputs("{\"validation\":\n", stdout);
            ts_validation_print_json(v, stdout);
            fputs(",\n\"baseline\": ", stdout);
            ts_comparison_print_json(cmp, stdout);
            fprintf(stdout, ",\n\"regressions\": %zu}\n", cmp->regressions);
        } else {
            ts_validation_print_json(v, stdout);
        }
    } else {
        ts_validation_print_text(v, detail, stdout);
        if (cmp) {
            fputc('\n', stdout);
            ts_comparison_print_text(cmp, stdout);
        }
    }
    if (junit && ts_validation_write_junit(v, junit, &err) != TS_OK) {
        cli_print_error(&err);
        code = CLI_BAD_INPUT;
    }
out:
    ts_comparison_free(cmp);
    ts_validation_free(old);
    ts_trace_free(old_trace);
    ts_validation_free(v);
    ts_trace_free(trace);
    return code;
}
