/*
 * The discovery run gates, from the /events a run with DDS discovery
 * records (src/sim/discovery.c): "dds_discovery" at the start (value: the
 * writer-reader pairs to match), a "dds_match" per pair as it matched,
 * "dds_unmatched_samples" per pair that missed samples before its match
 * (value: how many), and "dds_no_match" at the end per pair that never
 * matched. Without "dds_discovery" the run matched instantly and these
 * gates do not apply.
 *
 *   run:discovery-no-match   fails when a pair never matched, unless the
 *                            scenario expects "dds_no_match"; fails closed
 *                            when there was no pair to match, or when the
 *                            matches and no-matches do not account for
 *                            every pair (a trace cut short).
 *   run:samples-before-match fails when samples were published to a
 *                            reader not yet matched and never reached it,
 *                            unless the scenario expects
 *                            "dds_unmatched_samples"; fails closed when
 *                            there was no pair to match.
 */
#include "validate_internal.h"

#include <stdio.h>
#include <string.h>

static ts_gate *discovery_gate(ts__ctx *c, const char *name)
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

int ts__discovery_gates(ts__ctx *c)
{
    const ts_trace *t = c->t;
    const ts_trace_event *start = NULL, *no_match = NULL, *unmatched = NULL;
    uint64_t n_match = 0, n_no_match = 0;
    double missed = 0, pairs = 0;
    for (size_t i = 0; i < t->n_events; i++) {
        const ts_trace_event *e = &t->events[i];
        if (ts__event_is(e, "dds_discovery")) {
            start = start ? start : e;
            pairs = e->value;
        } else if (ts__event_is(e, "dds_match")) {
            n_match++;
        } else if (ts__event_is(e, "dds_no_match")) {
            n_no_match++;
            no_match = no_match ? no_match : e;
        } else if (ts__event_is(e, "dds_unmatched_samples")) {
            missed += e->value > 0 ? e->value : 0;
            unmatched = unmatched ? unmatched : e;
        }
    }
    if (!start)
        return TS_OK;
    int no_pairs = !(pairs >= 1);

    ts_gate *g = discovery_gate(c, "discovery-no-match");
    if (!g)
        return TS_ENOMEM;
    g->actual = (double)n_no_match;
    if (no_match)
        snprintf(g->worst, sizeof g->worst, "%s", ts__comp_name(t, no_match->component));
    if (no_pairs) {
        g->actual = 1;
        snprintf(g->message, sizeof g->message,
                 "discovery ran with no writer-reader pair to match: no evidence");
    } else if ((double)(n_match + n_no_match) < pairs && c->v->finished) {
        g->actual = pairs - (double)n_match;
        snprintf(g->message, sizeof g->message,
                 "%llu match(es) and %llu no-match(es) recorded for %.0f pairs: the trace does "
                 "not account for every pair", (unsigned long long)n_match,
                 (unsigned long long)n_no_match, pairs);
    } else if (n_no_match && ts__expected(c, "dds_no_match", -1, -1)) {
        g->required = (double)n_no_match;
        snprintf(g->message, sizeof g->message, "%llu of %.0f pairs never matched (expected by "
                 "the scenario)", (unsigned long long)n_no_match, pairs);
    } else if (n_no_match) {
        ts__copy_name(g->message, sizeof g->message, no_match->detail, sizeof no_match->detail);
        size_t len = strlen(g->message);
        snprintf(g->message + len, sizeof g->message - len, "; %llu of %.0f pairs never matched",
                 (unsigned long long)n_no_match, pairs);
    } else {
        snprintf(g->message, sizeof g->message, "all %.0f pairs matched", pairs);
    }
    g->pass = g->actual <= g->required;

    g = discovery_gate(c, "samples-before-match");
    if (!g)
        return TS_ENOMEM;
    g->actual = missed;
    if (unmatched)
        snprintf(g->worst, sizeof g->worst, "%s", ts__comp_name(t, unmatched->component));
    if (no_pairs) {
        g->actual = 1;
        snprintf(g->message, sizeof g->message,
                 "discovery ran with no writer-reader pair to match: no evidence");
    } else if (missed > 0 && ts__expected(c, "dds_unmatched_samples", -1, -1)) {
        g->required = missed;
        snprintf(g->message, sizeof g->message,
                 "%.0f sample(s) published before their reader matched (expected by the "
                 "scenario)", missed);
    } else if (missed > 0) {
        ts__copy_name(g->message, sizeof g->message, unmatched->detail, sizeof unmatched->detail);
        size_t len = strlen(g->message);
        snprintf(g->message + len, sizeof g->message - len, "; %.0f in all", missed);
    } else {
        snprintf(g->message, sizeof g->message, "no sample published before its reader matched");
    }
    g->pass = g->actual <= g->required;
    return TS_OK;
}
