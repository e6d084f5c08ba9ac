/*
 * The text scorecard, sized for a 100-column terminal and grouped by
 * family: overall compliance and family scores first, then each family's
 * items, recommendations, gates and the verdict. Items copied across a
 * fleet show once, as "name xN" with the worst copy's figures and label,
 * unless detail asks for every copy. The JUnit writer reuses the family
 * body as its system-out.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "validate/validate_internal.h"

#define NAME_COL_MAX 22
#define TIMES "\xC3\x97" /* U+00D7 MULTIPLICATION SIGN */

/* The label of an item: its name, or "base xN" for a rolled-up group. */
static void group_label(char *buf, size_t size, const char *name, size_t copies)
{
    if (copies <= 1) {
        snprintf(buf, size, "%s", name);
        return;
    }
    size_t n = strlen(name), d = n;
    while (d > 0 && name[d - 1] >= '0' && name[d - 1] <= '9')
        d--;
    if (d < n && d >= 3 && name[d - 1] == 'r' && name[d - 2] == '_')
        n = d - 2;
    snprintf(buf, size, "%.*s " TIMES "%zu", (int)n, name, copies);
}

static void emit_scores(const ts_validation *v, int detail, ts_score_kind kind,
                        const ts__sink *sink)
{
    char name[TS__LINE_MAX / 4], label[TS__LINE_MAX / 4], pct[32], d[6][32];
    int w = NAME_COL_MAX;
    if (kind == TS_SCORE_TOPIC) {
        ts__emit(sink, "  Topics (latency of delivered samples, per logical subscriber)");
        ts__emit(sink, "    %s %7s %6s %10s %7s %7s %7s %7s %7s %7s",
                 ts__term_text(name, sizeof name, "name", w, 1), "samples", "lost",
                 "compliance", "p50", "p90", "p99", "p99.9", "max", "budget");
    } else {
        ts__emit(sink, "  Components (response time of finished jobs)");
        ts__emit(sink, "    %s %7s %10s %7s %7s %7s %7s %7s %8s",
                 ts__term_text(name, sizeof name, "name", w, 1), "jobs", "compliance",
                 "p50", "p90", "p99", "p99.9", "max", "deadline");
    }
    size_t shown = 0;
    for (size_t i = 0; i < v->n_scores; i++) {
        const ts_score *s = &v->scores[i];
        if (s->kind != kind)
            continue;
        size_t copies = 1;
        if (!detail) {
            if (s->rollup != (int32_t)i)
                continue;
            copies = s->copies > 0 ? (size_t)s->copies : 1;
            if (ts__in_range(s->worst_copy, v->n_scores))
                s = &v->scores[s->worst_copy];
        }
        group_label(label, sizeof label, detail ? s->name : v->scores[i].name, copies);
        if (kind == TS_SCORE_TOPIC)
            ts__emit(sink, "    %s %7" PRIu64 " %6" PRIu64 " %10s %7s %7s %7s %7s %7s %7s",
                     ts__term_text(name, sizeof name, label, w, 1), s->total, s->lost,
                     ts__fmt_pct(pct, sizeof pct, s->compliance),
                     ts__fmt_dur(d[0], 32, s->p50_ns), ts__fmt_dur(d[1], 32, s->p90_ns),
                     ts__fmt_dur(d[2], 32, s->p99_ns), ts__fmt_dur(d[3], 32, s->p999_ns),
                     ts__fmt_dur(d[4], 32, s->max_ns),
                     s->budget_ns > 0 ? ts__fmt_dur(d[5], 32, s->budget_ns) : "none");
        else
            ts__emit(sink, "    %s %7" PRIu64 " %10s %7s %7s %7s %7s %7s %8s",
                     ts__term_text(name, sizeof name, label, w, 1), s->total,
                     ts__fmt_pct(pct, sizeof pct, s->compliance),
                     ts__fmt_dur(d[0], 32, s->p50_ns), ts__fmt_dur(d[1], 32, s->p90_ns),
                     ts__fmt_dur(d[2], 32, s->p99_ns), ts__fmt_dur(d[3], 32, s->p999_ns),
                     ts__fmt_dur(d[4], 32, s->max_ns),
                     s->budget_ns > 0 ? ts__fmt_dur(d[5], 32, s->budget_ns) : "none");
        /* A rolled-up row shows its worst copy's figures; say which. */
        if (copies > 1) {
            char copy_name[TS__LINE_MAX / 4];
            ts__term_text(name, sizeof name, label, -1, 0);
            ts__term_text(copy_name, sizeof copy_name, s->name, 40, 0);
            ts__emit(sink, "      %s: worst %s (%s) %s", name, s->copy, copy_name,
                     ts__fmt_pct(pct, sizeof pct, s->compliance));
        }
        shown++;
    }
    if (!shown)
        ts__emit(sink, "    (none)");
}

/* Chains: data age of each output, reaction time to a new input. */
static void emit_chains(const ts_validation *v, int detail, const ts__sink *sink)
{
    if (!v->n_chains)
        return;
    char name[TS__LINE_MAX / 4], label[TS__LINE_MAX / 4], pct[32], d[7][32];
    int w = NAME_COL_MAX;
    ts__emit(sink, "  Chains (data age of each output; reaction time to a new input)");
    ts__emit(sink, "    %s %7s %7s %10s %7s %7s %7s %7s %7s %7s %7s",
             ts__term_text(name, sizeof name, "name", w, 1), "outputs", "dropped",
             "compliance", "age p50", "p99", "max", "react50", "p99", "max", "budget");
    for (size_t i = 0; i < v->n_chains; i++) {
        const ts_chain_score *s = &v->chains[i];
        /* a fleet's copies of a chain in one row, its worst copy's
         * figures, as for topics (unless detail) */
        size_t copies = 1;
        if (!detail) {
            if (s->rollup != (int32_t)i)
                continue;
            copies = s->copies > 0 ? (size_t)s->copies : 1;
            if (ts__in_range(s->worst_copy, v->n_chains))
                s = &v->chains[s->worst_copy];
        }
        group_label(label, sizeof label, detail ? s->name : v->chains[i].name, copies);
        ts__emit(sink, "    %s %7" PRIu64 " %7" PRIu64 " %10s %7s %7s %7s %7s %7s %7s %7s",
                 ts__term_text(name, sizeof name, label, w, 1), s->outputs, s->dropped,
                 ts__fmt_pct(pct, sizeof pct, s->compliance),
                 ts__fmt_dur(d[0], 32, s->age_p50_ns), ts__fmt_dur(d[1], 32, s->age_p99_ns),
                 ts__fmt_dur(d[2], 32, s->age_max_ns), ts__fmt_dur(d[3], 32, s->reaction_p50_ns),
                 ts__fmt_dur(d[4], 32, s->reaction_p99_ns),
                 ts__fmt_dur(d[5], 32, s->reaction_max_ns), ts__fmt_dur(d[6], 32, s->budget_ns));
        if (copies > 1) {
            char copy_name[TS__LINE_MAX / 4];
            ts__term_text(name, sizeof name, label, -1, 0);
            ts__term_text(copy_name, sizeof copy_name, s->name, 40, 0);
            ts__emit(sink, "      %s: worst %s (%s) %s", name, s->copy, copy_name,
                     ts__fmt_pct(pct, sizeof pct, s->compliance));
        }
    }
}

/* Autoscaled services: what their replicas cost and what cold starts did
 * to their response times. */
static void emit_autoscaling(const ts_validation *v, const ts__sink *sink)
{
    if (!v->n_autoscaling)
        return;
    char name[TS__LINE_MAX / 4], d[5][32];
    int w = NAME_COL_MAX;
    ts__emit(sink, "  Autoscaling (billed replicas, cost; latency of requests sent in a cold "
                   "start and otherwise)");
    ts__emit(sink, "    %s %5s %5s %8s %12s %10s %7s %8s %8s %8s %8s",
             ts__term_text(name, sizeof name, "service", w, 1), "out", "in", "replicas",
             "repl-hours", "cost", "cold", "cold p50", "p99", "steady50", "p99");
    for (size_t i = 0; i < v->n_autoscaling; i++) {
        const ts_autoscale_report *r = &v->autoscaling[i];
        char range[24];
        snprintf(range, sizeof range, "%d..%d", (int)r->billed_min, (int)r->billed_peak);
        ts__emit(sink, "    %s %5" PRIu64 " %5" PRIu64 " %8s %12.4f %10.4f %7s %8s %8s %8s %8s",
                 ts__term_text(name, sizeof name, r->service, w, 1), r->scale_outs,
                 r->scale_ins, range, r->replica_hours, r->cost,
                 ts__fmt_dur(d[0], 32, r->cold_ns), ts__fmt_dur(d[1], 32, r->cold_p50_ns),
                 ts__fmt_dur(d[2], 32, r->cold_p99_ns), ts__fmt_dur(d[3], 32, r->steady_p50_ns),
                 ts__fmt_dur(d[4], 32, r->steady_p99_ns));
    }
}

static const char *status_word(ts_check_status s)
{
    return s == TS_CHECK_PASS ? "PASS" : s == TS_CHECK_FAIL ? "FAIL" : "NOT EXERCISED";
}

/* Checks of a family; a rolled-up group shows its worst copy (a failure
 * before a pass) with the number of copies. */
static void emit_checks(const ts_validation *v, int detail, ts_family fam,
                        const ts__sink *sink)
{
    char text[TS__LINE_MAX / 2], label[TS__LINE_MAX / 4];
    size_t shown = 0;
    for (size_t i = 0; i < v->n_checks; i++) {
        const ts_check *k = &v->checks[i];
        if (k->family != fam || fam == TS_FAMILY_HEALTH)
            continue;
        size_t copies = 1;
        if (!detail) {
            if (k->rollup != (int32_t)i)
                continue;
            copies = k->copies > 0 ? (size_t)k->copies : 1;
            if (ts__in_range(k->worst_copy, v->n_checks))
                k = &v->checks[k->worst_copy];
        }
        if (copies > 1) {
            group_label(label, sizeof label, v->checks[i].item, copies);
            snprintf(text, sizeof text, "%-13s %-17s %s: worst %s: %s", status_word(k->status),
                     k->kind, label, k->copy, k->detail);
        } else {
            snprintf(text, sizeof text, "%-13s %-17s %s", status_word(k->status), k->kind,
                     k->detail);
        }
        ts__emit(sink, "  %s", ts__term_text(label, sizeof label, text, 96, 0));
        shown++;
    }
    if (!shown)
        ts__emit(sink, "  (nothing to check)");
}

/* Shared media, only when the trace has one with samples: a trace
 * without media prints the scorecard it always did. */
static void emit_media(const ts_validation *v, const ts__sink *sink)
{
    char name[TS__LINE_MAX / 4];
    size_t scored = 0;
    for (size_t i = 0; i < v->n_media; i++)
        scored += !isnan(v->media[i].score);
    if (!scored)
        return;
    ts__emit(sink, "  Media (shared air time)");
    ts__emit(sink, "    %s  score  busy peak/mean   loss  queue peak  dropped  lost  links",
             ts__term_text(name, sizeof name, "name", NAME_COL_MAX, 1));
    for (size_t i = 0; i < v->n_media; i++) {
        const ts_medium_health *h = &v->media[i];
        if (isnan(h->score))
            continue;
        ts__emit(sink, "    %s %6.1f  %4.0f%% / %4.0f%%  %5.2f%%  %9.0f%%  %7" PRIu64 " %5" PRIu64
                 "  %5d",
                 ts__term_text(name, sizeof name, h->name, NAME_COL_MAX, 1), h->score,
                 100 * h->util_peak, 100 * h->util_mean, 100 * h->loss_rate,
                 100 * h->queue_peak_fraction, h->dropped, h->lost, (int)h->links);
    }
}

static void emit_health(const ts_validation *v, const ts__sink *sink)
{
    char name[TS__LINE_MAX / 4];
    size_t shown = 0;
    ts__emit(sink, "  Links");
    ts__emit(sink, "    %s  score  busy peak/mean   loss  queue peak",
             ts__term_text(name, sizeof name, "name", NAME_COL_MAX, 1));
    for (size_t i = 0; i < v->n_links; i++) {
        const ts_link_health *h = &v->links[i];
        if (isnan(h->score))
            continue;
        ts__emit(sink, "    %s %6.1f  %4.0f%% / %4.0f%%  %5.2f%%  %5.0f%%",
                 ts__term_text(name, sizeof name, h->name, NAME_COL_MAX, 1), h->score,
                 100 * h->util_peak, 100 * h->util_mean, 100 * h->loss_rate,
                 100 * h->queue_peak_fraction);
        shown++;
    }
    if (!shown)
        ts__emit(sink, "    (no link samples)");
    emit_media(v, sink);
    shown = 0;
    ts__emit(sink, "  Nodes");
    ts__emit(sink, "    %s  score   cpu   gpu   mem  peak C  headroom  throttled  power/budget",
             ts__term_text(name, sizeof name, "name", NAME_COL_MAX, 1));
    for (size_t i = 0; i < v->n_nodes; i++) {
        const ts_node_health *h = &v->nodes[i];
        if (isnan(h->score))
            continue;
        char temp[16] = "-", head[16] = "-", power[40] = "-";
        if (!isnan(h->temp_peak_c))
            snprintf(temp, sizeof temp, "%.1f", h->temp_peak_c);
        if (!isnan(h->headroom_c))
            snprintf(head, sizeof head, "%.1f", h->headroom_c);
        if (!isnan(h->power_budget_w))
            snprintf(power, sizeof power, "%.2f/%.0fW", h->power_peak_w, h->power_budget_w);
        else if (!isnan(h->power_peak_w))
            snprintf(power, sizeof power, "%.2fW", h->power_peak_w);
        ts__emit(sink, "    %s %6.1f %4.0f%% %4.0f%% %4.0f%% %7s %9s %9.1fs  %s",
                 ts__term_text(name, sizeof name, h->name, NAME_COL_MAX, 1), h->score,
                 100 * h->cpu_mean, 100 * h->gpu_mean, 100 * h->mem_peak_fraction, temp, head,
                 (double)h->throttled_ns / 1e9, power);
        shown++;
    }
    if (!shown)
        ts__emit(sink, "    (no node samples)");
}

static void emit_failovers(const ts_validation *v, const ts__sink *sink)
{
    char took[32], budget[32];
    if (!v->n_failovers)
        return;
    ts__emit(sink, "  Failovers");
    for (size_t i = 0; i < v->n_failovers; i++) {
        const ts_failover *f = &v->failovers[i];
        ts__emit(sink, "    %s -> %s: serving %s after the fault (budget %s, %s); %" PRIu64
                 " sample(s) lost in its window", f->group, f->serving,
                 ts__fmt_dur(took, sizeof took, f->took_ns),
                 f->budget_ns >= 0 ? ts__fmt_dur(budget, sizeof budget, f->budget_ns) : "none",
                 f->within ? "within" : "OVER", f->samples_lost);
    }
}

static void family_head(const ts_validation *v, ts_family f, const ts__sink *sink)
{
    char pct[32];
    if (f == TS_FAMILY_HEALTH)
        ts__emit(sink, "Health %.1f/100 (%zu items; least healthy item)",
                 100 * v->family_score[f], v->family_items[f]);
    else if (f == TS_FAMILY_SAFETY)
        ts__emit(sink, "Safety coverage %s (%zu checks, %zu not exercised)",
                 ts__fmt_pct(pct, sizeof pct, v->family_score[f]), v->family_items[f],
                 v->not_exercised);
    else
        ts__emit(sink, "%s %s (%zu items)", f == TS_FAMILY_PERFORMANCE ? "Performance" : "Integration",
                 ts__fmt_pct(pct, sizeof pct, v->family_score[f]), v->family_items[f]);
}

void ts__emit_families(const ts_validation *v, int detail, const ts__sink *sink)
{
    family_head(v, TS_FAMILY_PERFORMANCE, sink);
    emit_scores(v, detail, TS_SCORE_TOPIC, sink);
    emit_scores(v, detail, TS_SCORE_COMPONENT, sink);
    emit_chains(v, detail, sink);
    emit_failovers(v, sink);
    ts__emit(sink, "%s", "");
    family_head(v, TS_FAMILY_SAFETY, sink);
    emit_checks(v, detail, TS_FAMILY_SAFETY, sink);
    ts__emit(sink, "%s", "");
    family_head(v, TS_FAMILY_HEALTH, sink);
    emit_health(v, sink);
    ts__emit(sink, "%s", "");
    family_head(v, TS_FAMILY_INTEGRATION, sink);
    emit_checks(v, detail, TS_FAMILY_INTEGRATION, sink);
    emit_autoscaling(v, sink);
}

/* A recommendation as "  - " and words wrapped within the terminal's
 * columns, continuation lines indented by four. */
static void emit_wrapped(const ts__sink *sink, const char *text)
{
    char line[TS__LINE_MAX];
    const char *p = text;
    int first = 1;
    while (*p) {
        int room = 96; /* characters after the 4-column lead */
        const char *q = p, *cut = NULL;
        int n = 0;
        while (*q && n <= room) {
            if (*q == ' ')
                cut = q;
            q++;
            n += ((unsigned char)*q & 0xC0) != 0x80;
        }
        if (!*q || n <= room)
            cut = q;
        else if (!cut || cut == p)
            cut = q; /* one long word: cut it */
        snprintf(line, sizeof line, "%s%.*s", first ? "  - " : "    ", (int)(cut - p), p);
        ts__emit(sink, "%s", line);
        p = cut;
        while (*p == ' ')
            p++;
        first = 0;
    }
}

static void print_line(void *ctx, const char *text)
{
    fputs(text, (FILE *)ctx);
    fputc('\n', (FILE *)ctx);
}

void ts_validation_print_text(const ts_validation *v, int detail, FILE *out)
{
    if (!v || !out)
        return;
    ts__sink sink = {print_line, out};
    char text[TS__LINE_MAX / 2], dur[32], pct[32], req[32], act[32];
    ts__emit(&sink, "toposim scorecard");
    ts__emit(&sink, "  scenario:  %s", ts__term_text(text, sizeof text, v->scenario_name, -1, 0));
    ts__emit(&sink, "  simulated: %s (%" PRId64 " ns), seed %" PRIu64 "%s",
             ts__fmt_dur(dur, sizeof dur, v->duration_ns), v->duration_ns, v->seed,
             v->finished ? "" : ", RUN DID NOT FINISH");
    ts__emit(&sink, "  overall compliance: %s (the weakest family)",
             ts__fmt_pct(pct, sizeof pct, v->overall));
    ts__emit(&sink, "%s", "");
    ts__emit_families(v, detail, &sink);
    ts__emit(&sink, "%s", "");

    ts__emit(&sink, "Recommendations");
    for (size_t i = 0; i < v->n_recs; i++)
        emit_wrapped(&sink, ts__term_text(text, sizeof text, v->recs[i].text, -1, 0));
    if (!v->n_recs)
        ts__emit(&sink, "  (none)");
    ts__emit(&sink, "%s", "");

    ts__emit(&sink, "Gates");
    for (size_t i = 0; i < v->n_gates; i++) {
        const ts_gate *g = &v->gates[i];
        ts__emit(&sink, "  %s  %s %8s  actual %8s  %s%s", g->pass ? "PASS" : "FAIL",
                 g->at_most ? "at most " : "required", ts__fmt_gate_value(req, sizeof req, g, g->required),
                 ts__fmt_gate_value(act, sizeof act, g, g->actual),
                 ts__term_text(text, sizeof text, g->name, 50, 0),
                 g->declared || g->family == TS_FAMILY_RUN ? "" : " (default)");
        if (!g->pass)
            ts__emit(&sink, "        %s", ts__term_text(text, sizeof text, g->message, 92, 0));
    }
    ts__emit(&sink, "%s", "");
    size_t failed = ts__failed_gates(v);
    if (v->all_pass)
        ts__emit(&sink, "RESULT: PASS (%zu/%zu gates)", v->n_gates, v->n_gates);
    else if (!v->n_gates)
        ts__emit(&sink, "RESULT: FAIL (no gates)");
    else
        ts__emit(&sink, "RESULT: FAIL (%zu of %zu gates failed)", failed, v->n_gates);
}
