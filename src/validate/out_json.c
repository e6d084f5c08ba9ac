/*
 * The validation as one JSON object: everything the scorecard shows and
 * more (every copy of a fleet item, every figure of every link and node).
 * Strings are escaped for JSON and for embedding in JavaScript; NaN and
 * missing times become null.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "validate/validate_internal.h"

/* A JSON string; U+2028/2029 are escaped too so the output is also safe to
 * embed in JavaScript. */
void ts__json_string(FILE *out, const char *text)
{
    const unsigned char *s = (const unsigned char *)(text ? text : "");
    fputc('"', out);
    while (*s) {
        uint32_t cp;
        size_t len = ts__utf8_next(s, &cp);
        switch (cp) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\b': fputs("\\b", out); break;
        case '\f': fputs("\\f", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (cp < 0x20 || cp == 0x2028 || cp == 0x2029)
                fprintf(out, "\\u%04x", (unsigned)cp);
            else if (cp == 0xFFFD)
                fputs(TS__REPLACEMENT, out);
            else
                fwrite(s, 1, len, out);
        }
        s += len;
    }
    fputc('"', out);
}

/* Null for NaN and infinities, which JSON cannot carry. */
static void json_double(FILE *out, double d)
{
    char buf[40];
    fputs(isfinite(d) ? ts__fmt_double(buf, sizeof buf, d) : "null", out);
}

static void json_ns(FILE *out, int64_t ns)
{
    if (ns < 0)
        fputs("null", out);
    else
        fprintf(out, "%" PRId64, ns);
}


static void key(FILE *out, const char *k)
{
    fputs(", ", out);
    ts__json_string(out, k);
    fputs(": ", out);
}

static void kv_double(FILE *out, const char *k, double d)
{
    key(out, k);
    json_double(out, d);
}

static void kv_ns(FILE *out, const char *k, int64_t ns)
{
    key(out, k);
    json_ns(out, ns);
}

static void kv_str(FILE *out, const char *k, const char *s)
{
    key(out, k);
    ts__json_string(out, s);
}

static void kv_u64(FILE *out, const char *k, uint64_t n)
{
    key(out, k);
    fprintf(out, "%" PRIu64, n);
}

static void json_score(FILE *out, const ts_validation *v, const ts_score *s)
{
    fprintf(out, "{\"index\": %d", (int)s->index);
    kv_str(out, "name", s->name);
    kv_u64(out, "total", s->total);
    kv_u64(out, "met", s->met);
    if (s->kind == TS_SCORE_TOPIC) {
        kv_u64(out, "lost", s->lost);
        kv_u64(out, "lost_in_failover", s->lost_in_failover);
    }
    kv_double(out, "compliance", s->compliance);
    kv_ns(out, "p50_ns", s->p50_ns);
    kv_ns(out, "p90_ns", s->p90_ns);
    kv_ns(out, "p99_ns", s->p99_ns);
    kv_ns(out, "p999_ns", s->p999_ns);
    kv_ns(out, "max_ns", s->max_ns);
    key(out, s->kind == TS_SCORE_TOPIC ? "budget_ns" : "deadline_ns");
    fprintf(out, "%" PRId64, s->budget_ns);
    kv_str(out, "rollup", v->scores[s->rollup].name);
    kv_str(out, "copy", s->copy);
    fputc('}', out);
}

static void json_chain(FILE *out, const ts_validation *v, const ts_chain_score *s)
{
    fprintf(out, "{\"index\": %d", (int)s->index);
    kv_str(out, "name", s->name);
    kv_u64(out, "outputs", s->outputs);
    kv_u64(out, "dropped", s->dropped);
    kv_u64(out, "met", s->met);
    kv_double(out, "compliance", s->compliance);
    kv_ns(out, "data_age_p50_ns", s->age_p50_ns);
    kv_ns(out, "data_age_p99_ns", s->age_p99_ns);
    kv_ns(out, "data_age_max_ns", s->age_max_ns);
    kv_u64(out, "reactions", s->reactions);
    kv_ns(out, "reaction_p50_ns", s->reaction_p50_ns);
    kv_ns(out, "reaction_p99_ns", s->reaction_p99_ns);
    kv_ns(out, "reaction_max_ns", s->reaction_max_ns);
    kv_ns(out, "budget_ns", s->budget_ns);
    kv_str(out, "rollup", ts__in_range(s->rollup, v->n_chains) ? v->chains[s->rollup].name
                                                                : s->name);
    kv_str(out, "copy", s->copy);
    fputc('}', out);
}

static void json_autoscale(FILE *out, const ts_autoscale_report *r)
{
    fputc('{', out);
    fputs("\"service\": ", out);
    ts__json_string(out, r->service);
    kv_u64(out, "workers", (uint64_t)r->workers);
    kv_double(out, "price_per_hour", r->price_per_hour);
    kv_u64(out, "decisions", r->decisions);
    kv_u64(out, "scale_outs", r->scale_outs);
    kv_u64(out, "scale_ins", r->scale_ins);
    kv_u64(out, "billed_min", (uint64_t)r->billed_min);
    kv_u64(out, "billed_peak", (uint64_t)r->billed_peak);
    kv_double(out, "replica_hours", r->replica_hours);
    kv_double(out, "cost", r->cost);
    kv_u64(out, "cold_starts", r->cold_starts);
    kv_ns(out, "cold_ns", r->cold_ns);
    kv_u64(out, "cold_responses", r->cold_responses);
    kv_ns(out, "cold_p50_ns", r->cold_p50_ns);
    kv_ns(out, "cold_p99_ns", r->cold_p99_ns);
    kv_u64(out, "steady_responses", r->steady_responses);
    kv_ns(out, "steady_p50_ns", r->steady_p50_ns);
    kv_ns(out, "steady_p99_ns", r->steady_p99_ns);
    fputc('}', out);
}

static const char *status_name(ts_check_status s)
{
    return s == TS_CHECK_PASS ? "pass" : s == TS_CHECK_FAIL ? "fail" : "not_exercised";
}

static void json_check(FILE *out, const ts_validation *v, const ts_check *k)
{
    fputs("{\"kind\": ", out);
    ts__json_string(out, k->kind);
    kv_str(out, "item", k->item);
    kv_str(out, "status", status_name(k->status));
    kv_double(out, "value", k->value);
    kv_double(out, "limit", k->limit);
    kv_str(out, "detail", k->detail);
    kv_str(out, "rollup", v->checks[k->rollup].item);
    kv_str(out, "copy", k->copy);
    fputc('}', out);
}

static void json_link(FILE *out, const ts_link_health *h)
{
    fputs("{\"name\": ", out);
    ts__json_string(out, h->name);
    kv_double(out, "score", h->score);
    kv_double(out, "util_peak", h->util_peak);
    kv_double(out, "util_mean", h->util_mean);
    kv_u64(out, "sent_packets", h->sent);
    kv_u64(out, "dropped_packets", h->dropped);
    kv_u64(out, "lost_packets", h->lost);
    kv_double(out, "loss_rate", h->loss_rate);
    kv_double(out, "queue_peak_fraction", h->queue_peak_fraction);
    kv_double(out, "latency_inflation", h->inflation);
    kv_double(out, "up_fraction", h->up_fraction);
    fputc('}', out);
}

static void json_medium(FILE *out, const ts_medium_health *h)
{
    fputs("{\"name\": ", out);
    ts__json_string(out, h->name);
    kv_double(out, "score", h->score);
    kv_u64(out, "links", (uint64_t)(h->links > 0 ? h->links : 0));
    kv_double(out, "util_peak", h->util_peak);
    kv_double(out, "util_mean", h->util_mean);
    kv_u64(out, "sent_packets", h->sent);
    kv_u64(out, "dropped_packets", h->dropped);
    kv_u64(out, "lost_packets", h->lost);
    kv_double(out, "loss_rate", h->loss_rate);
    kv_double(out, "queue_peak_fraction", h->queue_peak_fraction);
    fputc('}', out);
}

static void json_node(FILE *out, const ts_node_health *h)
{
    fputs("{\"name\": ", out);
    ts__json_string(out, h->name);
    kv_double(out, "score", h->score);
    kv_double(out, "temp_peak_c", h->temp_peak_c);
    kv_double(out, "throttle_c", h->throttle_c);
    kv_double(out, "headroom_c", h->headroom_c);
    kv_ns(out, "throttled_ns", h->throttled_ns);
    kv_double(out, "power_peak_w", h->power_peak_w);
    kv_double(out, "power_budget_w", h->power_budget_w);
    kv_str(out, "power_mode", h->power_mode);
    kv_double(out, "energy_j", h->energy_j);
    kv_double(out, "cpu_peak", h->cpu_peak);
    kv_double(out, "cpu_mean", h->cpu_mean);
    kv_double(out, "gpu_peak", h->gpu_peak);
    kv_double(out, "gpu_mean", h->gpu_mean);
    kv_double(out, "memory_peak_fraction", h->mem_peak_fraction);
    key(out, "battery_end_wh");
    if (h->battery_end_wh < 0)
        fputs("null", out);
    else
        json_double(out, h->battery_end_wh);
    kv_double(out, "up_fraction", h->up_fraction);
    fputc('}', out);
}

static void json_failover(FILE *out, const ts_failover *f)
{
    fputs("{\"group\": ", out);
    ts__json_string(out, f->group);
    kv_str(out, "serving", f->serving);
    kv_ns(out, "fault_ns", f->fault_ns);
    kv_ns(out, "serving_ns", f->serving_ns);
    kv_ns(out, "took_ns", f->took_ns);
    kv_ns(out, "budget_ns", f->budget_ns);
    kv_u64(out, "samples_lost", f->samples_lost);
    key(out, "within");
    fputs(f->within ? "true" : "false", out);
    fputc('}', out);
}

static void json_rec(FILE *out, const ts_recommendation *r)
{
    fputs("{\"rule\": ", out);
    ts__json_string(out, r->rule);
    kv_str(out, "item", r->item);
    kv_str(out, "text", r->text);
    fputc('}', out);
}

static void json_gate(FILE *out, const ts_gate *g)
{
    static const char *const units[] = {"fraction", "score100", "ns", "celsius", "watt", "count"};
    fputs("{\"name\": ", out);
    ts__json_string(out, g->name);
    kv_str(out, "family", ts_family_name(g->family));
    kv_str(out, "unit", (unsigned)g->unit < 6 ? units[g->unit] : "?");
    kv_str(out, "compare", g->at_most ? "at_most" : "at_least");
    kv_double(out, "required", g->required);
    kv_double(out, "actual", g->actual);
    key(out, "worst");
    if (g->worst[0])
        ts__json_string(out, g->worst);
    else
        fputs("null", out);
    key(out, "declared");
    fputs(g->declared ? "true" : "false", out);
    key(out, "pass");
    fputs(g->pass ? "true" : "false", out);
    kv_str(out, "message", g->message);
    fputc('}', out);
}

/* Writes "name": [ items ] where item i is written by fn when keep says so. */
#define JSON_LIST(out, name, arr, n, keep, write)                               \
    do {                                                                        \
        size_t shown_ = 0;                                                      \
        fputs(",\n  ", out);                                                    \
        ts__json_string(out, name);                                                 \
        fputs(": [", out);                                                      \
        for (size_t i_ = 0; i_ < (n); i_++) {                                   \
            if (!(keep))                                                        \
                continue;                                                       \
            fputs(shown_++ ? ",\n    " : "\n    ", out);                        \
            write;                                                              \
        }                                                                       \
        fputs(shown_ ? "\n  ]" : "]", out);                                     \
    } while (0)

void ts_validation_print_json(const ts_validation *v, FILE *out)
{
    if (!v || !out)
        return;
    fputs("{\n  \"scenario\": ", out);
    ts__json_string(out, v->scenario_name);
    fputs(",\n  \"toposim_version\": ", out);
    ts__json_string(out, v->toposim_version);
    fputs(",\n  \"git_revision\": ", out);
    ts__json_string(out, v->git_revision);
    fputs(",\n  \"command_line\": ", out);
    ts__json_string(out, v->command_line);
    fputs(",\n  \"host\": ", out);
    if (v->host[0])
        ts__json_string(out, v->host);
    else
        fputs("null", out);
    fputs(",\n  \"started_utc\": ", out);
    if (v->started_utc[0])
        ts__json_string(out, v->started_utc);
    else
        fputs("null", out);
    fprintf(out, ",\n  \"seed\": %" PRIu64 ",\n  \"duration_ns\": %" PRId64, v->seed,
            v->duration_ns);
    fputs(",\n  \"wall_time_s\": ", out);
    json_double(out, v->wall_time_s);
    fprintf(out, ",\n  \"finished\": %s,\n  \"pass\": %s,\n  \"overall\": ",
            v->finished ? "true" : "false", v->all_pass ? "true" : "false");
    json_double(out, v->overall);
    fputs(",\n  \"families\": {", out);
    for (int f = TS_FAMILY_PERFORMANCE; f <= TS_FAMILY_INTEGRATION; f++) {
        fputs(f ? ", " : "", out);
        ts__json_string(out, ts_family_name((ts_family)f));
        fputs(": {\"score\": ", out);
        json_double(out, v->family_score[f]);
        fprintf(out, ", \"items\": %zu", v->family_items[f]);
        if (f == TS_FAMILY_SAFETY)
            fprintf(out, ", \"not_exercised\": %zu", v->not_exercised);
        fputc('}', out);
    }
    fputc('}', out);
    JSON_LIST(out, "topics", v->scores, v->n_scores, v->scores[i_].kind == TS_SCORE_TOPIC,
              json_score(out, v, &v->scores[i_]));
    JSON_LIST(out, "components", v->scores, v->n_scores,
              v->scores[i_].kind == TS_SCORE_COMPONENT, json_score(out, v, &v->scores[i_]));
    JSON_LIST(out, "chains", v->chains, v->n_chains, 1, json_chain(out, v, &v->chains[i_]));
    JSON_LIST(out, "autoscaling", v->autoscaling, v->n_autoscaling, 1,
              json_autoscale(out, &v->autoscaling[i_]));
    JSON_LIST(out, "failovers", v->failovers, v->n_failovers, 1,
              json_failover(out, &v->failovers[i_]));
    JSON_LIST(out, "safety", v->checks, v->n_checks, v->checks[i_].family == TS_FAMILY_SAFETY,
              json_check(out, v, &v->checks[i_]));
    JSON_LIST(out, "links", v->links, v->n_links, !isnan(v->links[i_].score),
              json_link(out, &v->links[i_]));
    JSON_LIST(out, "media", v->media, v->n_media, !isnan(v->media[i_].score),
              json_medium(out, &v->media[i_]));
    JSON_LIST(out, "nodes", v->nodes, v->n_nodes, !isnan(v->nodes[i_].score),
              json_node(out, &v->nodes[i_]));
    JSON_LIST(out, "integration", v->checks, v->n_checks,
              v->checks[i_].family == TS_FAMILY_INTEGRATION, json_check(out, v, &v->checks[i_]));
    JSON_LIST(out, "recommendations", v->recs, v->n_recs, 1, json_rec(out, &v->recs[i_]));
    JSON_LIST(out, "gates", v->gates, v->n_gates, 1, json_gate(out, &v->gates[i_]));
    fputs("\n}\n", out);
}
