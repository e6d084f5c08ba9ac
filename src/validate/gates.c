/*
 * Gates. Fail closed: every gate kind has a default that applies unless
 * the scenario declares a gate of that kind (README table); the run gates
 * always apply: the run finished, and failures the trace records (a
 * failover over its budget, a rollout abort, a QoS incompatibility, a
 * policy violation on a safety-critical flow) fail unless an expectation
 * declares them. A gate with nothing to measure fails, and a validation
 * with no gate is never a pass.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "validate/validate_internal.h"

/* Defaults (README "Gates"). */
#define DEFAULT_DEADLINE_MIN 0.99
#define DEFAULT_SAFETY_MIN 1.0
#define DEFAULT_HEALTH_MIN 50.0
#define DEFAULT_INTEGRATION_MIN 1.0
#define DEFAULT_QOS_DEADLINE_MAX 0.0
#define DEFAULT_SERVICE_MIN 1.0

typedef enum {
    G_TOPIC_DEADLINE, G_COMPONENT_DEADLINE, G_FAILOVER, G_SAFE_STATE, G_SAFETY_COVERAGE,
    G_HEALTH, G_INTEGRATION, G_ROLLOUT, G_QOS_DEADLINE, G_SERVICE, G_THERMAL_HEADROOM,
    G_POWER_BUDGET, G_N_KINDS
} gate_kind;

/* What each requirement kind targets, and whether it has a default. */
static const struct {
    const char *name;
    ts_family family;
    int target;         /* 0 none, 1 topics, 2 components, 3 nodes, 4 sites,
                           5 rollouts, 6 services */
    int has_default;
} KINDS[G_N_KINDS] = {
    [G_TOPIC_DEADLINE] = {"topic-deadline", TS_FAMILY_PERFORMANCE, 1, 1},
    [G_COMPONENT_DEADLINE] = {"component-deadline", TS_FAMILY_PERFORMANCE, 2, 1},
    [G_FAILOVER] = {"failover", TS_FAMILY_SAFETY, 2, 0},
    [G_SAFE_STATE] = {"safe-state", TS_FAMILY_SAFETY, 4, 0},
    [G_SAFETY_COVERAGE] = {"safety-coverage", TS_FAMILY_SAFETY, 0, 1},
    [G_HEALTH] = {"health", TS_FAMILY_HEALTH, 0, 1},
    [G_INTEGRATION] = {"integration", TS_FAMILY_INTEGRATION, 0, 1},
    [G_ROLLOUT] = {"rollout", TS_FAMILY_INTEGRATION, 5, 0},
    [G_QOS_DEADLINE] = {"qos-deadline", TS_FAMILY_PERFORMANCE, 1, 1},
    [G_SERVICE] = {"service", TS_FAMILY_INTEGRATION, 6, 0},
    [G_THERMAL_HEADROOM] = {"thermal-headroom", TS_FAMILY_HEALTH, 3, 0},
    [G_POWER_BUDGET] = {"power-budget", TS_FAMILY_HEALTH, 3, 0},
};

static int kind_of(const ts_trace_requirement *r)
{
    char kind[sizeof r->kind + 1];
    ts__copy_name(kind, sizeof kind, r->kind, sizeof r->kind);
    for (int k = 0; k < G_N_KINDS; k++)
        if (strcmp(kind, KINDS[k].name) == 0)
            return k;
    return -1;
}

int ts__check_requirements(const ts_trace *t, ts_error *err)
{
    for (size_t i = 0; i < t->n_requirements; i++) {
        const ts_trace_requirement *r = &t->requirements[i];
        int k = kind_of(r);
        if (k < 0) {
            char name[sizeof r->kind + 1];
            ts__copy_name(name, sizeof name, r->kind, sizeof r->kind);
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "requirements row %zu: unknown kind \"%s\"", i, name);
        }
        static const char *const tables[] = {"", "topics", "components", "nodes", "sites",
                                             "rollouts", "services"};
        size_t rows[] = {0, t->n_topics, t->n_components, t->n_nodes, t->n_sites,
                         t->n_rollouts, t->n_services};
        size_t n = rows[KINDS[k].target];
        if (t->format_version >= 3 &&
            strncmp(r->target_table, tables[KINDS[k].target], sizeof r->target_table) != 0)
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "requirements row %zu: %s targets table \"%.*s\", expected "
                                "\"%s\"", i, KINDS[k].name, (int)sizeof r->target_table,
                                r->target_table, tables[KINDS[k].target]);
        if (r->target != -1 && !ts__in_range(r->target, n))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "requirements row %zu: %s target %d names no row (%zu rows)", i,
                                KINDS[k].name, (int)r->target, n);
        double x = ts__requirement_value(t, r);
        int fraction = k == G_TOPIC_DEADLINE || k == G_COMPONENT_DEADLINE ||
                       k == G_SAFETY_COVERAGE || k == G_SERVICE;
        int needs_value = fraction || k == G_HEALTH || k == G_THERMAL_HEADROOM;
        if ((needs_value && !isfinite(x)) || (isfinite(x) && k != G_THERMAL_HEADROOM && x < 0) ||
            (fraction && x > 1.0) || (k == G_HEALTH && x > 100.0) || isinf(x))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "requirements row %zu: %s threshold %g out of range", i,
                                KINDS[k].name, x);
    }
    return TS_OK;
}

/* The requirement's number: threshold from format 3, min_fraction before. */
double ts__requirement_value(const ts_trace *t, const ts_trace_requirement *r)
{
    return t->format_version >= 3 ? r->threshold : r->min_fraction;
}

static ts_gate *new_gate(ts__ctx *c, int kind, const char *target, int declared)
{
    ts_gate *g = ts__add_gate(c);
    if (!g)
        return NULL;
    snprintf(g->name, sizeof g->name, "%s:%s", KINDS[kind].name, target);
    g->family = KINDS[kind].family;
    g->declared = declared;
    return g;
}

static void finish(ts_gate *g, const char *fmt_fail, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Decides pass from required/actual (NaN actual: nothing measured, fail)
 * and writes the message, naming the worst item. */
static void finish(ts_gate *g, const char *fmt, ...)
{
    if (isnan(g->actual))
        g->pass = 0;
    else if (g->at_most)
        g->pass = g->actual <= g->required + TS__GATE_EPSILON;
    else
        g->pass = g->actual + TS__GATE_EPSILON >= g->required;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->message, sizeof g->message, fmt, ap);
    va_end(ap);
}

/* The worst compliance among topic or component scores (target -1: all
 * that count), naming it; ties resolve by table order. */
static int deadline_gate(ts__ctx *c, int kind, int32_t target, double min, int declared)
{
    const ts_validation *v = c->v;
    ts_score_kind sk = kind == G_TOPIC_DEADLINE ? TS_SCORE_TOPIC : TS_SCORE_COMPONENT;
    size_t base = sk == TS_SCORE_TOPIC ? 0 : c->t->n_topics;
    ts_gate *g = new_gate(c, kind, target >= 0 ? v->scores[base + target].name : "all", declared);
    if (!g)
        return TS_ENOMEM;
    g->unit = TS_UNIT_FRACTION;
    g->required = min;
    g->actual = NAN;
    const ts_score *worst = NULL;
    for (size_t i = 0; i < v->n_scores; i++) {
        const ts_score *s = &v->scores[i];
        if (s->kind != sk || (target >= 0 ? s->index != target : !ts__score_counts(s)))
            continue;
        /* A topic the scenario expects to be blocked is judged by its
         * expectation, not by its (empty) deadline score. */
        if (target < 0 && sk == TS_SCORE_TOPIC && c->topic_excused && c->topic_excused[s->index])
            continue;
        if (!worst || s->compliance < worst->compliance)
            worst = s;
    }
    char pct[32];
    if (!worst) {
        finish(g, "no %s to measure", sk == TS_SCORE_TOPIC ? "topic" : "component");
        return TS_OK;
    }
    g->actual = worst->compliance;
    snprintf(g->worst, sizeof g->worst, "%s", worst->name);
    finish(g, "%s %s met %llu of %llu %s in %s (%s)",
           sk == TS_SCORE_TOPIC ? "topic" : "component", worst->name,
           (unsigned long long)worst->met, (unsigned long long)worst->total,
           sk == TS_SCORE_TOPIC ? "samples" : "jobs",
           sk == TS_SCORE_TOPIC ? "budget" : "deadline", ts__fmt_pct(pct, sizeof pct, worst->compliance));
    if (worst->total == 0)
        finish(g, "%s %s: nothing measured (0 %s), which is never compliant",
               sk == TS_SCORE_TOPIC ? "topic" : "component", worst->name,
               sk == TS_SCORE_TOPIC ? "samples" : "jobs");
    return TS_OK;
}

/* The check of a kind with the worst value/limit ratio among those that
 * match target (NULL: all); the gate passes when every such check does. */
static int checks_gate(ts__ctx *c, int kind, const char *check_kind, const char *target,
                       int declared)
{
    const ts_validation *v = c->v;
    ts_gate *g = new_gate(c, kind, target ? target : "all", declared);
    if (!g)
        return TS_ENOMEM;
    g->unit = TS_UNIT_NS;
    g->at_most = 1;
    g->actual = NAN;
    const ts_check *worst = NULL;
    size_t n = 0, failed = 0;
    for (size_t i = 0; i < v->n_checks; i++) {
        const ts_check *k = &v->checks[i];
        if (strcmp(k->kind, check_kind) != 0 || (target && strcmp(k->item, target) != 0) ||
            k->status == TS_CHECK_NOT_EXERCISED)
            continue;
        n++;
        failed += k->status == TS_CHECK_FAIL;
        double r = k->limit > 0 ? k->value / k->limit : INFINITY;
        double wr = worst ? (worst->limit > 0 ? worst->value / worst->limit : INFINITY) : -1;
        if (!worst || (k->status == TS_CHECK_FAIL && worst->status != TS_CHECK_FAIL) ||
            ((k->status == TS_CHECK_FAIL) == (worst->status == TS_CHECK_FAIL) && r > wr))
            worst = k;
    }
    if (!worst) {
        finish(g, "not exercised: the trace records no %s%s%s", check_kind,
               target ? " of " : "", target ? target : "");
        return TS_OK;
    }
    g->actual = worst->value;
    g->required = isnan(worst->limit) ? 0 : worst->limit;
    snprintf(g->worst, sizeof g->worst, "%s", worst->item);
    finish(g, "%s", worst->detail);
    g->pass = failed == 0;
    (void)n;
    return TS_OK;
}

/* A family score against a minimum. */
static int family_gate(ts__ctx *c, int kind, ts_family fam, double min, ts_unit unit,
                       int declared)
{
    const ts_validation *v = c->v;
    ts_gate *g = new_gate(c, kind, "all", declared);
    if (!g)
        return TS_ENOMEM;
    g->unit = unit;
    g->required = min;
    double scale = unit == TS_UNIT_SCORE100 ? 100.0 : 1.0;
    g->actual = v->family_score[fam] * scale;
    /* The first failing item of the family names the gate's worst, or for
     * health the least healthy item. */
    const ts_check *worst = NULL;
    for (size_t i = 0; i < v->n_checks; i++) {
        const ts_check *k = &v->checks[i];
        if (k->family != fam)
            continue;
        if (fam == TS_FAMILY_HEALTH ? (!worst || k->value < worst->value)
                                    : (!worst && k->status == TS_CHECK_FAIL))
            worst = k;
    }
    if (worst)
        snprintf(g->worst, sizeof g->worst, "%s", worst->item);
    if (worst && (fam == TS_FAMILY_HEALTH || worst->status == TS_CHECK_FAIL))
        finish(g, "%s %s: %s", worst->kind, worst->item, worst->detail);
    else
        finish(g, "%zu item(s), none failed", v->family_items[fam]);
    if (fam == TS_FAMILY_SAFETY && v->not_exercised)
        snprintf(g->message + strlen(g->message), sizeof g->message - strlen(g->message),
                 "; %zu safety path(s) not exercised", v->not_exercised);
    return TS_OK;
}

/* The topic a deadline-missed event names ("topic: writer ..."). */
static void event_topic(const ts_trace_event *e, char *topic, size_t size)
{
    char detail[sizeof e->detail + 1];
    ts__copy_name(detail, sizeof detail, e->detail, sizeof e->detail);
    const char *p = strstr(detail, ": ");
    snprintf(topic, size, "%.*s", p ? (int)(p - detail) : (int)strlen(detail), detail);
}

/* DDS deadline QoS: missed periods (offered or requested) on a topic or
 * all, at most max. Each event is one missed deadline period. */
static int qos_deadline_gate(ts__ctx *c, int32_t target, double max, int declared)
{
    const ts_trace *t = c->t;
    const char *name = target >= 0 ? ts__topic_name(t, target) : NULL;
    char want[TS_TRACE_NAME_LEN + 1] = "";
    if (name)
        snprintf(want, sizeof want, "%s", name);
    ts_gate *g = new_gate(c, G_QOS_DEADLINE, name ? want : "all", declared);
    if (!g)
        return TS_ENOMEM;
    g->unit = TS_UNIT_COUNT;
    g->at_most = 1;
    g->required = max;
    uint64_t missed = 0, offered = 0;
    char topic[TS_TRACE_NAME_LEN], first[TS_TRACE_NAME_LEN] = "";
    for (size_t i = 0; i < t->n_events; i++) {
        const ts_trace_event *e = &t->events[i];
        int off = ts__event_is(e, "offered_deadline_missed");
        if (!off && !ts__event_is(e, "requested_deadline_missed"))
            continue;
        event_topic(e, topic, sizeof topic);
        if (name && strcmp(topic, want) != 0)
            continue;
        missed++;
        offered += off;
        if (!first[0])
            snprintf(first, sizeof first, "%s", topic);
    }
    g->actual = (double)missed;
    snprintf(g->worst, sizeof g->worst, "%s", first);
    finish(g, "%llu DDS deadline period(s) missed (%llu offered, %llu requested)%s%s",
           (unsigned long long)missed, (unsigned long long)offered,
           (unsigned long long)(missed - offered), first[0] ? ", first on " : "", first);
    return TS_OK;
}

static int service_gate(ts__ctx *c, int32_t target, double min, int declared)
{
    const ts_trace *t = c->t;
    char name[TS_TRACE_NAME_LEN] = "all";
    if (target >= 0)
        ts__copy_name(name, sizeof name, t->services[target].name, sizeof t->services[target].name);
    ts_gate *g = new_gate(c, G_SERVICE, name, declared);
    if (!g)
        return TS_ENOMEM;
    uint64_t ok, bad;
    if (t->n_clients) {
        uint64_t asked;
        ts__client_counts(t, target, &ok, &asked);
        bad = asked - ok;
    } else {
        ts__service_counts(t, &ok, &bad);
    }
    g->unit = TS_UNIT_FRACTION;
    g->required = min;
    g->actual = ok + bad ? (double)ok / (double)(ok + bad) : NAN;
    snprintf(g->worst, sizeof g->worst, "%s", target >= 0 ? name : "services");
    if (ok + bad)
        finish(g, "%llu of %llu service requests answered", (unsigned long long)ok,
               (unsigned long long)(ok + bad));
    else
        finish(g, "no service request in the trace");
    return TS_OK;
}

static int thermal_gate(ts__ctx *c, int32_t target, double min, int declared)
{
    const ts_validation *v = c->v;
    ts_gate *g = new_gate(c, G_THERMAL_HEADROOM,
                          target >= 0 ? v->nodes[target].name : "all", declared);
    if (!g)
        return TS_ENOMEM;
    g->unit = TS_UNIT_CELSIUS;
    g->required = min;
    g->actual = NAN;
    const ts_node_health *worst = NULL;
    for (size_t i = 0; i < v->n_nodes; i++) {
        const ts_node_health *h = &v->nodes[i];
        if ((target >= 0 && h->node != target) || isnan(h->headroom_c))
            continue;
        if (!worst || h->headroom_c < worst->headroom_c)
            worst = h;
    }
    if (!worst) {
        finish(g, "no node with a known throttle point and temperature");
        return TS_OK;
    }
    g->actual = worst->headroom_c;
    snprintf(g->worst, sizeof g->worst, "%s", worst->name);
    finish(g, "%s peaked at %.2f C, %.2f C below its %.2f C throttle point (throttled %.1f s)",
           worst->name, worst->temp_peak_c, worst->headroom_c, worst->throttle_c,
           (double)worst->throttled_ns / 1e9);
    return TS_OK;
}

/* Peak power over the power mode's budget, as a fraction: at most 1. */
static int power_gate(ts__ctx *c, int32_t target, int declared)
{
    const ts_validation *v = c->v;
    ts_gate *g = new_gate(c, G_POWER_BUDGET, target >= 0 ? v->nodes[target].name : "all",
                          declared);
    if (!g)
        return TS_ENOMEM;
    g->unit = TS_UNIT_WATT;
    g->at_most = 1;
    g->actual = NAN;
    const ts_node_health *worst = NULL;
    for (size_t i = 0; i < v->n_nodes; i++) {
        const ts_node_health *h = &v->nodes[i];
        if ((target >= 0 && h->node != target) || isnan(h->power_budget_w) ||
            isnan(h->power_peak_w))
            continue;
        if (!worst || h->power_peak_w / h->power_budget_w >
                          worst->power_peak_w / worst->power_budget_w)
            worst = h;
    }
    if (!worst) {
        finish(g, "no node with a power mode budget");
        return TS_OK;
    }
    g->actual = worst->power_peak_w;
    g->required = worst->power_budget_w;
    snprintf(g->worst, sizeof g->worst, "%s", worst->name);
    if (worst->power_label_w > 0 && worst->power_label_w != worst->power_budget_w)
        finish(g, "%s drew %.2f W at peak in its %s mode (%.2f W over-current limit; "
               "%.2f W by its label)", worst->name, worst->power_peak_w, worst->power_mode,
               worst->power_budget_w, worst->power_label_w);
    else
        finish(g, "%s drew %.2f W at peak in its %s mode (%.2f W budget)", worst->name,
               worst->power_peak_w, worst->power_mode, worst->power_budget_w);
    return TS_OK;
}

static int rollout_gate(ts__ctx *c, int32_t target, int declared)
{
    const ts_trace *t = c->t;
    return checks_gate(c, G_ROLLOUT, "rollout-finished",
                       target >= 0 ? ts__comp_name(t, t->rollouts[target].component) : NULL,
                       declared);
}

/* Evaluates one gate of a kind; value is the requirement's number (or the
 * default). */
static int eval_kind(ts__ctx *c, int k, int32_t target, double value, int declared)
{
    const ts_trace *t = c->t;
    switch (k) {
    case G_TOPIC_DEADLINE:
    case G_COMPONENT_DEADLINE:
        return deadline_gate(c, k, target, value, declared);
    case G_FAILOVER:
        return checks_gate(c, k, "failover-budget",
                           target >= 0 ? ts__comp_name(t, target) : NULL, declared);
    case G_SAFE_STATE: {
        char site[TS_TRACE_NAME_LEN + 1] = "";
        if (target >= 0)
            ts__copy_name(site, sizeof site, t->sites[target].name, sizeof t->sites[target].name);
        return checks_gate(c, k, "safe-state-budget", target >= 0 ? site : NULL, declared);
    }
    case G_SAFETY_COVERAGE:
        return family_gate(c, k, TS_FAMILY_SAFETY, value, TS_UNIT_FRACTION, declared);
    case G_HEALTH:
        /* A score from 0 to 100 (min="70"). */
        return family_gate(c, k, TS_FAMILY_HEALTH, value,
                           TS_UNIT_SCORE100, declared);
    case G_INTEGRATION:
        return family_gate(c, k, TS_FAMILY_INTEGRATION, value, TS_UNIT_FRACTION, declared);
    case G_ROLLOUT:
        return rollout_gate(c, target, declared);
    case G_QOS_DEADLINE:
        return qos_deadline_gate(c, target, value, declared);
    case G_SERVICE:
        return service_gate(c, target, value, declared);
    case G_THERMAL_HEADROOM:
        return thermal_gate(c, target, value, declared);
    default:
        return power_gate(c, target, declared);
    }
}

static double default_value(int k)
{
    switch (k) {
    case G_TOPIC_DEADLINE:
    case G_COMPONENT_DEADLINE: return DEFAULT_DEADLINE_MIN;
    case G_SAFETY_COVERAGE: return DEFAULT_SAFETY_MIN;
    case G_HEALTH: return DEFAULT_HEALTH_MIN;
    case G_INTEGRATION: return DEFAULT_INTEGRATION_MIN;
    case G_QOS_DEADLINE: return DEFAULT_QOS_DEADLINE_MAX;
    default: return DEFAULT_SERVICE_MIN;
    }
}

/* ---- Run gates ---- */

static ts_gate *run_gate(ts__ctx *c, const char *name)
{
    ts_gate *g = ts__add_gate(c);
    if (!g)
        return NULL;
    snprintf(g->name, sizeof g->name, "run:%s", name);
    g->family = TS_FAMILY_RUN;
    g->unit = TS_UNIT_COUNT;
    g->at_most = 1;
    return g;
}

/* A recorded failure of some kind: fails when it happened, unless the
 * scenario expects that event (its expect gate then checks it occurred). */
static int failure_gate(ts__ctx *c, const char *name, uint64_t count, const char *item,
                        const char *what, int expected)
{
    ts_gate *g = run_gate(c, name);
    if (!g)
        return TS_ENOMEM;
    g->actual = (double)count;
    snprintf(g->worst, sizeof g->worst, "%s", item ? item : "");
    if (count && expected) {
        g->required = (double)count;
        finish(g, "%s (expected by the scenario)", what);
    } else if (count) {
        finish(g, "%s", what);
    } else {
        finish(g, "none recorded");
    }
    return TS_OK;
}

/* Each <expect>: its event occurred between min_count and max_count times
 * (matching component and node unless -1). */
static int expect_gates(ts__ctx *c)
{
    const ts_trace *t = c->t;
    for (size_t i = 0; i < t->n_expects; i++) {
        const ts_trace_expect *x = &t->expects[i];
        char kind[sizeof x->event + 1];
        ts__copy_name(kind, sizeof kind, x->event, sizeof x->event);
        uint64_t n = 0;
        for (size_t k = 0; k < t->n_events; k++) {
            const ts_trace_event *e = &t->events[k];
            if (ts__event_is(e, kind) && (x->component < 0 || e->component == x->component) &&
                (x->node < 0 || e->node == x->node))
                n++;
        }
        ts_gate *g = ts__add_gate(c);
        if (!g)
            return TS_ENOMEM;
        snprintf(g->name, sizeof g->name, "expect:%s%s%s", kind, x->component >= 0 ? ":" : "",
                 x->component >= 0 ? ts__comp_name(t, x->component) : "");
        g->family = TS_FAMILY_RUN;
        g->unit = TS_UNIT_COUNT;
        g->declared = 1;
        g->required = (double)x->min_count;
        g->actual = (double)n;
        snprintf(g->worst, sizeof g->worst, "%s",
                 x->component >= 0 ? ts__comp_name(t, x->component)
                 : x->node >= 0    ? ts__node_name(t, x->node) : kind);
        int within_max = x->max_count < 0 || (int64_t)n <= x->max_count;
        g->pass = (int64_t)n >= x->min_count && within_max;
        if (x->max_count >= 0)
            snprintf(g->message, sizeof g->message,
                     "expected %s %lld to %lld time(s) (scenario line %d), it occurred %llu",
                     kind, (long long)x->min_count, (long long)x->max_count, (int)x->line,
                     (unsigned long long)n);
        else
            snprintf(g->message, sizeof g->message,
                     "expected %s at least %lld time(s) (scenario line %d), it occurred %llu",
                     kind, (long long)x->min_count, (int)x->line, (unsigned long long)n);
    }
    return TS_OK;
}

static int run_gates(ts__ctx *c)
{
    const ts_trace *t = c->t;
    const ts_validation *v = c->v;
    ts_gate *g = run_gate(c, "finished");
    if (!g)
        return TS_ENOMEM;
    g->actual = v->finished ? 0 : 1;
    finish(g, v->finished ? "the run finished" : "the trace is of a run that did not finish");

    /* A full trace limited to some topics, components or a time window
     * holds no evidence for the rest: fail closed, and say so (the items
     * outside it also fail their own gates, having no samples). A window
     * ends after its start >= 0: the reader's -1 (and a trace built in
     * memory's 0) mean none. */
    int filtered = (t->filter && t->filter[0]) || t->window_end_ns > 0;
    if (filtered) {
        g = run_gate(c, "trace-complete");
        if (!g)
            return TS_ENOMEM;
        g->actual = 1;
        char filter[TS_VALIDATE_DETAIL_LEN / 2] = "", window[64] = "";
        if (t->filter && t->filter[0])
            snprintf(filter, sizeof filter, " rows of %s", t->filter);
        if (t->window_end_ns > 0)
            snprintf(window, sizeof window, " sent or released in [%.3f s, %.3f s)",
                     (double)t->window_start_ns / 1e9, (double)t->window_end_ns / 1e9);
        finish(g, "the trace is filtered: it keeps only%s%s, so gates on anything else "
               "have no evidence", filter[0] ? filter : " rows", window);
    }

    /* Failovers over budget. */
    uint64_t over = 0;
    const ts_failover *fo = NULL;
    for (size_t i = 0; i < v->n_failovers; i++)
        if (!v->failovers[i].within) {
            over++;
            if (!fo)
                fo = &v->failovers[i];
        }
    char what[TS_VALIDATE_DETAIL_LEN] = "";
    if (fo)
        snprintf(what, sizeof what, "failover of %s to %s took %.3f ms, over its %.3f ms budget",
                 fo->group, fo->serving, (double)fo->took_ns / 1e6, (double)fo->budget_ns / 1e6);
    int rc = failure_gate(c, "failover-over-budget", over, fo ? fo->group : NULL, what,
                          fo && (ts__expected(c, "failover_time", fo->to, -1) ||
                                 ts__expected(c, "failover", fo->to, -1)));
    if (rc)
        return rc;

    /* Rollout aborts, QoS incompatibilities, safety policy violations. */
    uint64_t aborts = 0, qos = 0, policy = 0;
    const ts_trace_event *abort_ev = NULL, *qos_ev = NULL, *policy_ev = NULL;
    for (size_t i = 0; i < t->n_events; i++) {
        const ts_trace_event *e = &t->events[i];
        if (ts__event_is(e, "rollout_abort")) {
            aborts++;
            abort_ev = abort_ev ? abort_ev : e;
        } else if (ts__event_is(e, "qos_incompatible")) {
            qos++;
            qos_ev = qos_ev ? qos_ev : e;
        } else if (ts__event_is(e, "policy_violation") && ts__violation_is_safety(t, e)) {
            policy++;
            policy_ev = policy_ev ? policy_ev : e;
        }
    }
    char item[TS_TRACE_NAME_LEN] = "";
    if (abort_ev) {
        ts__copy_name(what, sizeof what, abort_ev->detail, sizeof abort_ev->detail);
        snprintf(item, sizeof item, "rollout");
    }
    rc = failure_gate(c, "rollout-abort", aborts, item, what,
                      ts__expected(c, "rollout_abort", -1, -1));
    if (!rc) {
        if (qos_ev) {
            ts__copy_name(what, sizeof what, qos_ev->detail, sizeof qos_ev->detail);
            ts__qos_topic(qos_ev, item, sizeof item);
        }
        /* Writer and reader each record a pair: count pairs. */
        rc = failure_gate(c, "qos-incompatible", (qos + 1) / 2, item, what,
                          ts__expected(c, "qos_incompatible", -1, -1));
    }
    if (!rc) {
        if (policy_ev) {
            ts__copy_name(what, sizeof what, policy_ev->detail, sizeof policy_ev->detail);
            snprintf(item, sizeof item, "%s", ts__comp_name(t, policy_ev->component));
        }
        rc = failure_gate(c, "safety-policy-violation", policy, item, what,
                          ts__expected(c, "policy_violation", -1, -1));
    }
    if (!rc)
        rc = ts__discovery_gates(c);
    return rc ? rc : expect_gates(c);
}

int ts__gates(ts__ctx *c)
{
    const ts_trace *t = c->t;
    int declared[G_N_KINDS] = {0};
    for (size_t i = 0; i < t->n_requirements; i++) {
        const ts_trace_requirement *r = &t->requirements[i];
        int k = kind_of(r); /* checked: known */
        declared[k] = 1;
        double x = ts__requirement_value(t, r);
        if (isnan(x))
            x = default_value(k);
        int rc = eval_kind(c, k, r->target, x, 1);
        if (rc)
            return rc;
    }
    for (int k = 0; k < G_N_KINDS; k++) {
        if (declared[k] || !KINDS[k].has_default)
            continue;
        /* A deadline default judges topics or components; a trace with
         * none of one kind but some of the other has nothing for it to
         * judge. A trace with neither keeps both, and they fail. */
        if ((k == G_TOPIC_DEADLINE && !t->n_topics && t->n_components) ||
            (k == G_COMPONENT_DEADLINE && !t->n_components && t->n_topics))
            continue;
        int rc = eval_kind(c, k, -1, default_value(k), 0);
        if (rc)
            return rc;
    }
    int rc = ts__chain_gates(c);
    if (!rc)
        rc = ts__autoscale_gates(c);
    if (!rc)
        rc = run_gates(c);
    if (rc)
        return rc;
    ts_validation *v = c->v;
    v->all_pass = v->n_gates > 0;
    for (size_t i = 0; i < v->n_gates; i++)
        if (!v->gates[i].pass)
            v->all_pass = 0;
    return TS_OK;
}
