/*
 * Processing chains, scored from /chains and /chain_instances alone.
 *
 * Data age of an output: output time minus the input time it carries
 * (Becker et al., "End-to-end timing analysis of cause-effect chains in
 * automotive embedded systems", JSA 2017, Def. 4). Compliance: outputs
 * whose data age is within the chain's budget over outputs plus dropped
 * instances (a dropped input is a miss, as a lost sample is for a topic).
 *
 * Reaction time: for an external cause arriving just after the first
 * stage sampled input a(m-1), the first output that reflects it is the
 * first output carrying a newer input a(m); its reaction time is that
 * output's time minus a(m-1) (the worst case over causes between two
 * propagated inputs: Dürr et al., "End-to-end timing analysis of
 * sporadic cause-effect chains in distributed systems", TECS 2019, and
 * Günzel et al., "Timing analysis of asynchronized distributed
 * cause-effect chains", RTAS 2021, "maximum reaction time"). So every
 * output carrying a newer input than all before it, after the first
 * such, gives one reaction time. Percentiles as the topics' (GSL linear
 * interpolation, also numpy's and pandas' default).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "toposim/alloc.h"
#include "validate/validate_internal.h"

/* chain-deadline's default (README "Gates"): as the deadline gates'. */
#define DEFAULT_CHAIN_MIN 0.99

static int64_t quantile(const double *sorted, size_t n, double f)
{
    return n ? (int64_t)llround(gsl_stats_quantile_from_sorted_data(sorted, 1, n, f))
             : TS__NO_SAMPLE;
}

/* rows: chain's instances (indices into /chain_instances, in trace
 * order). */
static void score_one(const ts_trace *t, int32_t chain, const size_t *rows, size_t n_rows,
                      ts_chain_score *s, double *age, double *reaction)
{
    const ts_trace_chain *ch = &t->chains[chain];
    s->index = chain;
    ts__copy_name(s->name, sizeof s->name, ch->name, sizeof ch->name);
    s->budget_ns = ch->budget_ns;
    s->age_max_ns = s->reaction_max_ns = TS__NO_SAMPLE;
    size_t n_age = 0, n_react = 0;
    int64_t newest = -1;
    for (size_t r = 0; r < n_rows; r++) {
        const ts_trace_chain_instance *in = &t->chain_instances[rows[r]];
        if (in->dropped) {
            s->dropped++;
            continue;
        }
        int64_t a = in->output_ns - in->input_ns;
        s->outputs++;
        s->met += a <= ch->budget_ns;
        age[n_age++] = (double)a;
        if (a > s->age_max_ns)
            s->age_max_ns = a;
        if (in->input_ns > newest) {
            if (newest >= 0) {
                int64_t rt = in->output_ns - newest;
                reaction[n_react++] = (double)rt;
                if (rt > s->reaction_max_ns)
                    s->reaction_max_ns = rt;
            }
            newest = in->input_ns;
        }
    }
    s->reactions = n_react;
    uint64_t total = s->outputs + s->dropped;
    s->compliance = total ? (double)s->met / (double)total : 0.0;
    gsl_sort(age, 1, n_age);
    gsl_sort(reaction, 1, n_react);
    s->age_p50_ns = quantile(age, n_age, 0.50);
    s->age_p99_ns = quantile(age, n_age, 0.99);
    s->reaction_p50_ns = quantile(reaction, n_react, 0.50);
    s->reaction_p99_ns = quantile(reaction, n_react, 0.99);
}

int ts__score_chains(ts__ctx *c)
{
    const ts_trace *t = c->t;
    ts_validation *v = c->v;
    if (t->n_chains == 0)
        return TS_OK;
    v->chains = ts_calloc(t->n_chains, sizeof *v->chains);
    size_t n = t->n_chain_instances ? t->n_chain_instances : 1;
    double *age = ts_malloc(n * sizeof *age), *reaction = ts_malloc(n * sizeof *reaction);
    /* A fleet has a chain per robot: the instances are grouped by chain
     * once (a stable counting sort, keeping each chain's trace order),
     * so scoring costs instances + chains, not their product. */
    size_t *rows = ts_malloc(n * sizeof *rows);
    size_t *first = ts_calloc(t->n_chains + 1, sizeof *first);
    if (!v->chains || !age || !reaction || !rows || !first) {
        ts_free(age);
        ts_free(reaction);
        ts_free(rows);
        ts_free(first);
        return ts_error_set(c->err, TS_ENOMEM, NULL, 0, "out of memory scoring chains");
    }
    v->n_chains = t->n_chains;
    /* the reader checks each instance's chain is a row of /chains; one
     * that is not is no chain's (as the pass per chain had it) */
    for (size_t r = 0; r < t->n_chain_instances; r++)
        if ((size_t)t->chain_instances[r].chain < t->n_chains)
            first[t->chain_instances[r].chain + 1]++;
    for (size_t i = 0; i < t->n_chains; i++)
        first[i + 1] += first[i];
    for (size_t r = 0; r < t->n_chain_instances; r++)
        if ((size_t)t->chain_instances[r].chain < t->n_chains)
            rows[first[t->chain_instances[r].chain]++] = r;
    /* each first[i] is now chain i's end, which is chain i+1's start */
    for (size_t i = 0; i < t->n_chains; i++) {
        size_t start = i ? first[i - 1] : 0;
        score_one(t, (int32_t)i, rows + start, first[i] - start, &v->chains[i], age,
                  reaction);
    }
    ts_free(age);
    ts_free(reaction);
    ts_free(rows);
    ts_free(first);
    /* The performance family is its weakest item: chains join it. */
    double worst = v->family_items[TS_FAMILY_PERFORMANCE] ? v->family_score[TS_FAMILY_PERFORMANCE]
                                                           : 1.0;
    for (size_t i = 0; i < v->n_chains; i++)
        if (v->chains[i].compliance < worst)
            worst = v->chains[i].compliance;
    v->family_score[TS_FAMILY_PERFORMANCE] = worst;
    v->family_items[TS_FAMILY_PERFORMANCE] += v->n_chains;
    return TS_OK;
}

/* Ring entries the run lost for chain i ("chain_ring_overflow" events,
 * each "chain <id>: ..."; one naming no chain, from a trace that counted
 * them for the whole run, is every chain's). */
static uint64_t lost_entries(const ts_trace *t, const char *name)
{
    uint64_t lost = 0;
    size_t len = strlen(name);
    for (size_t e = 0; e < t->n_events; e++) {
        const ts_trace_event *ev = &t->events[e];
        if (strcmp(ev->kind, "chain_ring_overflow") != 0)
            continue;
        int named = strncmp(ev->detail, "chain ", 6) == 0;
        if (!named || (strncmp(ev->detail + 6, name, len) == 0 && ev->detail[6 + len] == ':'))
            lost += ev->value > 0 ? (uint64_t)ev->value : 1;
    }
    return lost;
}

int ts__chain_gates(ts__ctx *c)
{
    const ts_validation *v = c->v;
    for (size_t i = 0; i < v->n_chains; i++) {
        const ts_chain_score *s = &v->chains[i];
        ts_gate *g = ts__add_gate(c);
        if (!g)
            return ts_error_set(c->err, TS_ENOMEM, NULL, 0, "out of memory for gates");
        snprintf(g->name, sizeof g->name, "chain-deadline:%s", s->name);
        g->family = TS_FAMILY_PERFORMANCE;
        g->unit = TS_UNIT_FRACTION;
        g->required = DEFAULT_CHAIN_MIN;
        snprintf(g->worst, sizeof g->worst, "%s", s->name);
        char pct[32], age[32], budget[32];
        if (s->outputs == 0) {
            /* No output is no evidence: fail closed. */
            g->actual = NAN;
            g->pass = 0;
            snprintf(g->message, sizeof g->message,
                     "chain %s: no output in the run (%llu dropped), which is never compliant",
                     s->name, (unsigned long long)s->dropped);
            continue;
        }
        uint64_t lost = lost_entries(c->t, s->name);
        if (lost > 0) {
            /* Instances the run could not follow are missing, met or
             * not: the evidence is incomplete, so the gate fails. */
            g->actual = s->compliance;
            g->pass = 0;
            snprintf(g->message, sizeof g->message,
                     "chain %s: the run lost %llu ring entries (chain_ring_overflow), so "
                     "some instances are not recorded; compliance of the rest %s",
                     s->name, (unsigned long long)lost,
                     ts__fmt_pct(pct, sizeof pct, s->compliance));
            continue;
        }
        g->actual = s->compliance;
        g->pass = g->actual + TS__GATE_EPSILON >= g->required;
        snprintf(g->message, sizeof g->message,
                 "chain %s met %llu of %llu instances (%llu dropped) within %s (%s); data age "
                 "max %s", s->name, (unsigned long long)s->met,
                 (unsigned long long)(s->outputs + s->dropped), (unsigned long long)s->dropped,
                 ts__fmt_dur(budget, sizeof budget, s->budget_ns),
                 ts__fmt_pct(pct, sizeof pct, s->compliance),
                 ts__fmt_dur(age, sizeof age, s->age_max_ns));
    }
    return TS_OK;
}
