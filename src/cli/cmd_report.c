/* toposim report: plots and an HTML page of a trace, with its scorecard. */
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "toposim/report.h"
#include "toposim/trace.h"
#include "toposim/validate.h"

static const char help[] =
    "usage: toposim report [-o DIR] [--gnuplot PATH] [--timeout SECONDS] TRACE.h5\n"
    "       toposim report [-o DIR] [...] SWEEP_DIR\n"
    "\n"
    "On a sweep's folder (`toposim sweep -o SWEEP_DIR`): each gate against each\n"
    "swept parameter (mean, 95%% band, threshold, failing variants marked) and\n"
    "for two parameters a pass/fail map, into SWEEP_DIR/report by default.\n"
    "\n"
    "Writes a report of the trace (and only the trace) into DIR: per plot a\n"
    "CSV data file and a gnuplot script, the PNG and SVG images gnuplot draws\n"
    "from them, and index.html with the scorecard (the verdict and scores of\n"
    "`toposim validate`) beside the images. Plots: latency CDF and latency over\n"
    "time per topic, response time per component, each node's temperature,\n"
    "clocks, power, use and battery, each link's utilisation, queue, drops and\n"
    "losses, a timeline of events, the placement, and fleet bands. The page\n"
    "needs no network. `gnuplot report.gp` in DIR redraws every image.\n"
    "\n"
    "  -o, --output DIR      the folder, created when missing (default:\n"
    "                        results/<trace name>-report)\n"
    "  -g, --gnuplot PATH    the gnuplot to run (default: gnuplot on PATH)\n"
    "  -t, --timeout SECONDS time limit of the gnuplot run (default 120)\n"
    CLI_FOLD_HELP
    "  -h, --help            this text\n"
    "exit codes: 0 report written (whatever the verdict), 2 bad input, or\n"
    "gnuplot missing or failing (the data files and scripts are then written)\n";

int cli_report(int argc, char **argv)
{
    static const struct option longs[] = {
        {"output", required_argument, NULL, 'o'},
        {"gnuplot", required_argument, NULL, 'g'},
        {"timeout", required_argument, NULL, 't'},
        {"fold-rows", required_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    ts_report_options opts = {0};
    int c;
    while ((c = getopt_long(argc, argv, ":o:g:t:h", longs, NULL)) != -1) {
        switch (c) {
        case 'o': opts.out_dir = optarg; break;
        case 'g': opts.gnuplot = optarg; break;
        case 't': {
            char *end = NULL;
            opts.gnuplot_timeout_s = strtod(optarg, &end);
            if (!end || *end || !(opts.gnuplot_timeout_s > 0) ||
                opts.gnuplot_timeout_s > 86400)
                return cli_usage_error("report", "--timeout wants seconds, above 0");
            break;
        }
        case 'F':
            if (cli_fold_rows_option("report", optarg) != CLI_OK)
                return CLI_BAD_INPUT;
            break;
        case 'h': fputs(help, stdout); return CLI_OK;
        case ':': return cli_usage_error("report", "an option is missing its value");
        default: return cli_usage_error("report", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("report", "expected exactly one TRACE.h5");
    const char *trace_path = argv[optind];
    struct stat st;
    if (stat(trace_path, &st) == 0 && S_ISDIR(st.st_mode))
        return cli_sweep_report(trace_path, opts.out_dir, opts.gnuplot, opts.gnuplot_timeout_s);
    opts.trace_path = trace_path;
    char dir[4096];
    if (!opts.out_dir) {
        /* results/<trace file name without .h5>-report */
        const char *slash = strrchr(trace_path, '/');
        const char *base = slash ? slash + 1 : trace_path;
        size_t len = strlen(base);
        if (len > 3 && !strcmp(base + len - 3, ".h5"))
            len -= 3;
        snprintf(dir, sizeof dir, "results/%.*s-report", (int)len, base);
        opts.out_dir = dir;
    }
    ts_error err;
    ts_error_clear(&err);
    ts_trace *trace = NULL;
    if (ts_trace_load(trace_path, &trace, &err) != TS_OK) {
        cli_print_error(&err);
        return CLI_BAD_INPUT;
    }
    ts_validation *v = NULL;
    if (ts_validate(trace, &v, &err) != TS_OK) {
        if (!err.file[0])
            snprintf(err.file, sizeof err.file, "%s", trace_path);
        cli_print_error(&err);
        ts_trace_free(trace);
        return CLI_BAD_INPUT;
    }
    ts_report_result res;
    int rc = ts_report_write(trace, v, &opts, &res, &err);
    if (rc != TS_OK) {
        cli_print_error(&err);
    } else {
        printf("report: %s/index.html (%zu plots, %zu images%s; verdict %s)\n", opts.out_dir,
               res.n_plots, res.n_images, res.graphviz_used ? ", placement also by Graphviz" : "",
               v->all_pass ? "PASS" : "FAIL");
    }
    ts_validation_free(v);
    ts_trace_free(trace);
    return rc == TS_OK ? CLI_OK : CLI_BAD_INPUT;
}
