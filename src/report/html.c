/* index.html: the scorecard beside the plots. One self-contained page:
 * inline style, no script, no font or anything else from the network;
 * every name from the trace escaped. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_internal.h"

void ts__html_escape(FILE *fp, const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        switch (*c) {
        case '&': fputs("&amp;", fp); break;
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '"': fputs("&quot;", fp); break;
        case '\'': fputs("&#39;", fp); break;
        default:
            if (*c >= 0x20 || *c == '\n' || *c == '\t')
                fputc(*c, fp);
            else
                fputc(' ', fp);
        }
    }
}

/* A gate figure in its unit, as the text scorecard shows it. */
static void gate_value(FILE *fp, ts_unit unit, double v)
{
    if (isnan(v)) {
        fputs("-", fp);
        return;
    }
    switch (unit) {
    case TS_UNIT_FRACTION: fprintf(fp, "%.3f%%", 100.0 * v); break;
    case TS_UNIT_SCORE100: fprintf(fp, "%.1f", v); break;
    case TS_UNIT_NS: fprintf(fp, "%.3f ms", v / 1e6); break;
    case TS_UNIT_CELSIUS: fprintf(fp, "%.1f C", v); break;
    case TS_UNIT_WATT: fprintf(fp, "%.2f W", v); break;
    default: fprintf(fp, "%.0f", v); break;
    }
}

static const char style[] =
    "body{font-family:sans-serif;margin:0;color:#222;background:#fafafa}"
    "header{padding:12px 20px;background:#fff;border-bottom:1px solid #ddd}"
    "h1{font-size:1.4em;margin:0 0 6px}h2{font-size:1.15em;margin:18px 0 8px}"
    ".verdict{display:inline-block;padding:4px 12px;border-radius:4px;font-weight:bold;"
    "color:#fff}.pass{background:#2e7d32}.fail{background:#c62828}"
    "table{border-collapse:collapse;font-size:0.85em}"
    "td,th{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}"
    "td.num{text-align:right;white-space:nowrap}tr.failed td{background:#fdecea}"
    ".layout{display:flex;align-items:flex-start;gap:16px;padding:0 16px}"
    "aside{flex:0 0 440px;max-width:440px;position:sticky;top:0;max-height:100vh;"
    "overflow:auto;background:#fff;border:1px solid #ddd;padding:0 10px 10px;"
    "margin-top:12px}"
    "main{flex:1 1 auto;min-width:0}"
    "figure{background:#fff;border:1px solid #ddd;margin:0 0 14px;padding:6px}"
    "figure img{max-width:100%;height:auto;display:block}"
    "figcaption{font-size:0.85em;color:#444;margin-top:4px}"
    "pre{font-size:0.72em;overflow:auto;background:#f4f4f4;padding:6px}"
    ".note{background:#fff8e1;border:1px solid #f0d58a;padding:6px 10px;margin:8px 0}"
    "nav a{margin-right:10px}";

static const char *section_id(ts__section s)
{
    static const char *const ids[TS__N_SECTIONS] = {"topics", "components", "chains", "nodes", "links",
                                                    "events", "placement", "fleets"};
    return ids[s];
}

static void header(FILE *fp, const ts__report *r, const char *note)
{
    const ts_validation *v = r->v;
    size_t passed = 0;
    for (size_t i = 0; i < v->n_gates; i++)
        passed += v->gates[i].pass != 0;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>toposim report: ", fp);
    ts__html_escape(fp, v->scenario_name);
    fprintf(fp, "</title>\n<style>%s</style>\n</head>\n<body>\n<header>\n<h1>toposim report: ",
            style);
    ts__html_escape(fp, v->scenario_name);
    fprintf(fp, "</h1>\n<p><span class=\"verdict %s\">%s</span> %zu of %zu gates pass; "
                "overall compliance %.3f%% (the weakest family)</p>\n",
            v->all_pass ? "pass" : "fail", v->all_pass ? "PASS" : "FAIL", passed, v->n_gates,
            100.0 * v->overall);
    fputs("<table>\n<tr><th>scenario</th><td>", fp);
    ts__html_escape(fp, v->scenario_name);
    fprintf(fp, "</td></tr>\n<tr><th>seed</th><td>%" PRIu64 "</td></tr>\n"
                "<tr><th>simulated</th><td>%.3f s</td></tr>\n<tr><th>toposim version</th><td>",
            v->seed, (double)v->duration_ns / 1e9);
    ts__html_escape(fp, v->toposim_version);
    fputs(" (", fp);
    ts__html_escape(fp, v->git_revision);
    fputs(")</td></tr>\n<tr><th>trace</th><td>", fp);
    const char *base = r->o->trace_path ? strrchr(r->o->trace_path, '/') : NULL;
    ts__html_escape(fp, base ? base + 1 : r->o->trace_path ? r->o->trace_path : "");
    fprintf(fp, "%s</td></tr>\n", v->finished ? "" : " (the run did not finish)");
    if (v->command_line[0]) {
        fputs("<tr><th>command</th><td><code>", fp);
        ts__html_escape(fp, v->command_line);
        fputs("</code></td></tr>\n", fp);
    }
    fputs("</table>\n", fp);
    if (note && note[0]) {
        fputs("<p class=\"note\">", fp);
        ts__html_escape(fp, note);
        fputs("</p>\n", fp);
    }
    fputs("</header>\n", fp);
}

static void scorecard(FILE *fp, const ts__report *r)
{
    const ts_validation *v = r->v;
    fputs("<aside>\n<h2>Scorecard</h2>\n<table>\n<tr><th>family</th><th>score</th>"
          "<th>items</th></tr>\n", fp);
    for (int f = 0; f < TS_FAMILY_RUN; f++) {
        fprintf(fp, "<tr><td>%s</td><td class=\"num\">", ts_family_name((ts_family)f));
        if (f == TS_FAMILY_HEALTH)
            fprintf(fp, "%.1f/100", 100.0 * v->family_score[f]);
        else
            fprintf(fp, "%.3f%%", 100.0 * v->family_score[f]);
        fprintf(fp, "</td><td class=\"num\">%zu</td></tr>\n", v->family_items[f]);
    }
    fputs("</table>\n<h2>Gates</h2>\n<table>\n<tr><th></th><th>gate</th><th>required</th>"
          "<th>actual</th></tr>\n", fp);
    for (size_t i = 0; i < v->n_gates; i++) {
        const ts_gate *g = &v->gates[i];
        fprintf(fp, "<tr%s><td>%s</td><td>", g->pass ? "" : " class=\"failed\"",
                g->pass ? "PASS" : "FAIL");
        ts__html_escape(fp, g->name);
        if (!g->declared)
            fputs(" (default)", fp);
        if (!g->pass && g->message[0]) {
            fputs("<br><small>", fp);
            ts__html_escape(fp, g->message);
            fputs("</small>", fp);
        }
        fprintf(fp, "</td><td class=\"num\">%s ", g->at_most ? "&le;" : "&ge;");
        gate_value(fp, g->unit, g->required);
        fputs("</td><td class=\"num\">", fp);
        gate_value(fp, g->unit, g->actual);
        fputs("</td></tr>\n", fp);
    }
    fputs("</table>\n<h2>Recommendations</h2>\n", fp);
    if (v->n_recs == 0)
        fputs("<p>(none)</p>\n", fp);
    else
        fputs("<ul>\n", fp);
    for (size_t i = 0; i < v->n_recs; i++) {
        fputs("<li><b>", fp);
        ts__html_escape(fp, v->recs[i].rule);
        fputs("</b> ", fp);
        ts__html_escape(fp, v->recs[i].item);
        fputs(": ", fp);
        ts__html_escape(fp, v->recs[i].text);
        fputs("</li>\n", fp);
    }
    if (v->n_recs)
        fputs("</ul>\n", fp);
    /* The whole text scorecard, exactly as `toposim validate` prints it. */
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (m) {
        ts_validation_print_text(v, 0, m);
        fclose(m);
        fputs("<details><summary>The full scorecard (as <code>toposim validate</code> prints "
              "it)</summary>\n<pre>", fp);
        ts__html_escape(fp, text ? text : "");
        fputs("</pre></details>\n", fp);
    }
    free(text); /* open_memstream's buffer comes from malloc (POSIX) */
    fputs("</aside>\n", fp);
}

static void figure(FILE *fp, const ts__plot *p, int images)
{
    fputs("<figure>\n", fp);
    if (images) {
        fprintf(fp, "<a href=\"%s.svg\"><img src=\"%s.png\" alt=\"", p->stem, p->stem);
        ts__html_escape(fp, p->title);
        fputs("\"></a>\n", fp);
    } else {
        fputs("<p class=\"note\">Not drawn: gnuplot did not run. In this folder, "
              "<code>gnuplot ", fp);
        fprintf(fp, "%s.gp</code> draws it.</p>\n", p->stem);
    }
    fputs("<figcaption>", fp);
    ts__html_escape(fp, p->title);
    fputs(" &mdash; ", fp);
    if (images)
        fprintf(fp, "<a href=\"%s.svg\">SVG</a> &middot; ", p->stem);
    fputs("data:", fp);
    for (int i = 0; i < p->n_data; i++)
        fprintf(fp, " <a href=\"%s\">%s</a>", p->data[i], p->data[i]);
    fprintf(fp, " &middot; <a href=\"%s.gp\">gnuplot script</a></figcaption>\n</figure>\n",
            p->stem);
}

static const char *const section_note[TS__N_SECTIONS] = {
    "Per topic (all subscribers together): the CDF of delivered samples' latency on a log "
    "axis with the budget, and the latency over time with samples over the budget and lost "
    "samples marked. A fleet's copies share one CDF of all their samples.",
    "Per periodic component: the response time (release to finish) of each job over time "
    "with its deadline; misses and jobs due but never finished are marked.",
    "Per processing chain: each output's data age (output time - input time) over time "
    "with the chain's budget, outputs over the budget and dropped instances (at their "
    "input time) marked, and the CDF of the outputs' data age. A fleet's copies share one "
    "plot of each.",
    "Per node: die and case temperature with the throttle point, CPU and GPU clocks, power "
    "against the budget of the power mode in force, CPU, GPU and memory use, and the "
    "battery, each only when the trace holds it.",
    "Per link and direction: utilisation, queue, queue drops and losses. Per shared medium "
    "(a Wi-Fi access point's air time): the air time busy over all its links, its shared "
    "queue, drops and losses; the links on it are also drawn per link, and the medium's "
    "changes are on the events timeline.",
    "Every /events row on one time axis, one lane per family: faults (with the window "
    "from fault to recovery), failover, safe state, QoS, rollout, services, fleet and "
    "policy, and the platform's own events.",
    "",
    "Items a fleet copies to its robots (name, name_r1, ...): the band is every robot's "
    "figure per time window (min..max, with the median), the lines the worst robots by "
    "peak."};

int ts__html_write(const ts__report *r, int images_made, const char *note, ts_error *err)
{
    ts__atomic_file f;
    int rc = ts__report_open(r, "index.html", &f, err);
    if (rc != TS_OK)
        return rc;
    FILE *fp = f.fp;
    header(fp, r, note);
    fputs("<div class=\"layout\">\n", fp);
    scorecard(fp, r);
    fputs("<main>\n<nav>", fp);
    for (int s = 0; s < TS__N_SECTIONS; s++)
        for (size_t i = 0; i < r->n_plots; i++)
            if (r->plots[i].section == (ts__section)s) {
                fprintf(fp, "<a href=\"#%s\">%s</a>", section_id((ts__section)s),
                        ts__section_title((ts__section)s));
                break;
            }
    fputs("</nav>\n", fp);
    for (int s = 0; s < TS__N_SECTIONS; s++) {
        int opened = 0;
        for (size_t i = 0; i < r->n_plots; i++) {
            const ts__plot *p = &r->plots[i];
            if (p->section != (ts__section)s)
                continue;
            if (!opened) {
                fprintf(fp, "<section id=\"%s\">\n<h2>%s</h2>\n", section_id(p->section),
                        ts__section_title(p->section));
                if (section_note[s][0])
                    fprintf(fp, "<p>%s</p>\n", section_note[s]);
                opened = 1;
            }
            figure(fp, p, images_made);
            if (s == TS__SEC_PLACEMENT) {
                fputs("<p>", fp);
                if (r->placement_note[0]) {
                    ts__html_escape(fp, r->placement_note);
                    fputc(' ', fp);
                }
                if (r->graphviz_used && images_made)
                    fputs("Graphviz <code>dot</code> was found on PATH; its drawing of the "
                          "same graph (<a href=\"placement.dot\">placement.dot</a>):</p>\n"
                          "<figure><a href=\"placement-graphviz.svg\"><img "
                          "src=\"placement-graphviz.png\" alt=\"placement drawn by Graphviz "
                          "dot\"></a></figure>\n", fp);
                else
                    fputs("Drawn by gnuplot. The graph is also in <a href=\"placement.dot\">"
                          "placement.dot</a> for Graphviz (<code>dot -Tsvg placement.dot"
                          "</code>), which was not used: <code>dot</code> is not on PATH.</p>\n",
                          fp);
            }
        }
        if (opened)
            fputs("</section>\n", fp);
    }
    fputs("<p><small>Time series are thinned to at most 2000 points per series: the run is "
          "cut into 1000 equal windows and each keeps its lowest and highest point (nodes' "
          "and links' samples: the window's mean use and power, peak temperature and queue, "
          "summed drops). Every plot is remade by <code>gnuplot NAME.gp</code> in this "
          "folder, all of them by <code>gnuplot report.gp</code>.</small></p>\n", fp);
    fputs("</main>\n</div>\n</body>\n</html>\n", fp);
    return ts__atomic_commit(&f, err);
}
