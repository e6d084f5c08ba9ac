/*
 * Internals shared by the validator's files: the build context each family
 * fills, the derived facts of a trace several families read (placement,
 * failover groups and who serves when), growable result lists, and the
 * formatting helpers the writers share.
 */
#ifndef TOPOSIM_VALIDATE_INTERNAL_H
#define TOPOSIM_VALIDATE_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "toposim/validate.h"

/* p50_ns ... max_ns hold this when nothing was delivered or finished:
 * printed as "-" in text and null in JSON. */
#define TS__NO_SAMPLE ((int64_t)-1)

/* Compliance is a ratio of integers; a 100% requirement must pass when every
 * sample is met even if the requirement went through a decimal parse. */
#define TS__GATE_EPSILON 1e-12

/* The components table stores scenario.h's TS_FLAG_* bits; the validator
 * reads only the trace, so it names the bit here (a unit test holds the two
 * equal). */
#define TS__FLAG_SAFETY_CRITICAL 0x8u

/* Default safe-state budget when the trace declares none. */
#define TS__SAFE_STATE_BUDGET_NS ((int64_t)200000000)

/* Everything the families share while a validation is built. */
typedef struct ts__ctx {
    const ts_trace *t;
    ts_validation *v;
    size_t cap_checks, cap_recs, cap_gates, cap_failovers;
    int32_t *comp_node;     /* placed node per component, -1 if none */
    int32_t *comp_group;    /* failover group per component, -1 if none */
    int32_t *group_primary; /* per group: the primary component */
    size_t n_groups;
    int groups_declared;    /* groups come from /failover_groups (v3) */
    size_t *cs_start;       /* component_state rows of component c are
                               cs_rows[cs_start[c] .. cs_start[c + 1]) */
    size_t *cs_rows;        /* in time order per component */
    unsigned char *topic_excused; /* per topic: delivers nothing because of
                               an expected QoS mismatch or policy denial */
    ts_error *err;
} ts__ctx;

/* Percentiles from histograms (summary.c): entries tagged by score item,
 * a window's buckets or a full row's value (count 1 in its bucket). */
typedef struct ts__hist_entry {
    int32_t item;
    int32_t bucket;
    uint64_t count;
} ts__hist_entry;
typedef struct ts__hist_set ts__hist_set;
/* An empty set with room for cap entries (it grows); NULL: no memory. */
ts__hist_set *ts__hist_set_new(size_t cap);
void ts__hist_set_free(ts__hist_set *h);
int ts__hist_set_add(ts__hist_set *h, int32_t item, int32_t bucket, uint64_t count);
/* Adds the n buckets of /histogram_buckets from row first (checked by
 * the reader) to item. */
int ts__hist_set_window(ts__hist_set *h, const ts_trace *t, int32_t item, uint64_t first,
                        int32_t n);
/* Sets p50..p99.9 of scores[item] for every item the set holds, from
 * its merged buckets (within TS_HIST_REL_ERROR of the exact values). */
int ts__hist_set_percentiles(ts__hist_set *h, ts_score *scores);

/* Copies a fixed-width name column that may lack a NUL. */
void ts__copy_name(char *dst, size_t dst_size, const char *src, size_t src_size);

/* 1 when 0 <= index < n. */
int ts__in_range(int32_t index, size_t n);

/* The event's kind as a C string (the column may lack a NUL). */
int ts__event_is(const ts_trace_event *e, const char *kind);

/* Component/node/link/topic name by row, "?" when out of range. */
const char *ts__comp_name(const ts_trace *t, int32_t c);
const char *ts__node_name(const ts_trace *t, int32_t n);
const char *ts__link_name(const ts_trace *t, int32_t l);
const char *ts__topic_name(const ts_trace *t, int32_t k);

/* Appends a check / recommendation / gate / failover; TS_ENOMEM on failure. */
int ts__add_check(ts__ctx *c, ts_family family, const char *kind, const char *item,
                  ts_check_status status, double value, double limit, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 8, 9)))
#endif
    ;
int ts__add_rec(ts__ctx *c, const char *rule, const char *item, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
ts_gate *ts__add_gate(ts__ctx *c);
ts_failover *ts__add_failover(ts__ctx *c);

/* Checks the trace's tables for contradictions before anything trusts them. */
int ts__check_tables(const ts_trace *t, ts_error *err);

/* A requirement's number (threshold, or min_fraction before format 3). */
double ts__requirement_value(const ts_trace *t, const ts_trace_requirement *r);

/* Checks each requirement row: known kind, target in range, value sane. */
int ts__check_requirements(const ts_trace *t, ts_error *err);

/* Derived facts: placement per component, failover groups and failovers
 * from the events. */
int ts__derive(ts__ctx *c);

/* The component serving group g at time t: from /component_state when
 * the trace has it (a live serving member, first by rank; else the last
 * serving member, so samples addressed to a dead primary count as
 * missed), else the primary until a recorded failover. */
int32_t ts__serving(const ts__ctx *c, int32_t g, int64_t t);

/* 1 when an <expect> of the trace declares event kind for this component
 * and node (an expect's -1 matches any). */
int ts__expected(const ts__ctx *c, const char *kind, int32_t component, int32_t node);

/* discovery_gates.c: run:discovery-no-match and run:samples-before-match
 * when the trace records DDS discovery ("dds_discovery"). */
int ts__discovery_gates(ts__ctx *c);

/* 1 when an unfinished job was cut by a fault that stopped its component. */
int ts__cut_by_fault(const ts__ctx *c, const ts_trace_job *j);

/* 1 when a topic or component score enters the performance family. */
int ts__score_counts(const ts_score *s);

/* The /sites row of a node (format 3), -1 when unknown. */
int32_t ts__site_of_node(const ts_trace *t, int32_t node);

/* The safe-state budget of the robot of a node (default 200 ms). */
int64_t ts__safe_state_budget(const ts__ctx *c, int32_t node);

/* 1 when a policy_violation event involves a safety-critical component. */
int ts__violation_is_safety(const ts_trace *t, const ts_trace_event *e);

/* The topic a qos_incompatible event names. */
void ts__qos_topic(const ts_trace_event *e, char *topic, size_t size);

/* Answered and unanswered service requests over the whole run. */
void ts__service_counts(const ts_trace *t, uint64_t *answered, uint64_t *unanswered);

/* Answered and asked requests of service s (-1: all) from /clients. */
void ts__client_counts(const ts_trace *t, int32_t s, uint64_t *answered, uint64_t *asked);

/* The families, each appending to c->v and setting its family score. */
int ts__score_performance(ts__ctx *c);
int ts__score_safety(ts__ctx *c);
int ts__score_health(ts__ctx *c);
int ts__score_integration(ts__ctx *c);

/* Chains (chains.c): a score per /chains row, folded into the
 * performance family; then, among the gates, chain-deadline per chain. */
int ts__score_chains(ts__ctx *c);
int ts__chain_gates(ts__ctx *c);

/* Autoscaling (autoscaling.c): a report per autoscaled service from its
 * autoscaler's events, and a gate each that fails without evidence. */
int ts__score_autoscaling(ts__ctx *c);
int ts__autoscale_gates(ts__ctx *c);

/* Fleet roll-up: fills rollup/copy of scores and checks. */
void ts__rollup(ts_validation *v);

/* The overall rule over the family scores. */
void ts__overall(ts_validation *v);

/* The recommendation rules. */
int ts__recommend(ts__ctx *c);

/* The gates: declared, default, recorded failures, expectations. */
int ts__gates(ts__ctx *c);

/* Health formulas (README): each in [0, 100]. */
double ts__link_health_score(const ts_link_health *h);
double ts__node_health_score(const ts_node_health *h, int64_t duration_ns);

/* The watts a power mode's name states ("10W"), NaN for none ("MAXN"). */
double ts__mode_budget(const char *mode);

/* ---- Shared by the writers ---- */

/* Decodes one UTF-8 sequence; 1 with *cp = U+FFFD when malformed. */
size_t ts__utf8_next(const unsigned char *s, uint32_t *cp);

/* Name for a terminal, cut to width characters (with '~'), padded if pad. */
const char *ts__term_text(char *dst, size_t size, const char *name, int width, int pad);
size_t ts__text_width(const char *name);

/* "850ns", "412.3us", "1.965ms", "10.00s"; "-" for negative. */
const char *ts__fmt_dur(char *buf, size_t size, int64_t ns);

/* Percentage with three decimals, truncated so short of all never shows
 * 100.000%. */
const char *ts__fmt_pct(char *buf, size_t size, double fraction);

/* Shortest "%.*g" that reads back as the same double. */
const char *ts__fmt_double(char *buf, size_t size, double d);

/* A gate's required or actual value in its unit. */
const char *ts__fmt_gate_value(char *buf, size_t size, const ts_gate *g, double value);

/* Line sink: the scorecard goes to a terminal or into JUnit. */
typedef struct ts__sink {
    void (*line)(void *ctx, const char *text);
    void *ctx;
} ts__sink;

void ts__emit(const ts__sink *sink, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The per-family body of the scorecard (no header, gates or verdict). */
void ts__emit_families(const ts_validation *v, int detail, const ts__sink *sink);

/* A JSON string literal of text (escaped, invalid UTF-8 replaced). */
void ts__json_string(FILE *out, const char *text);

/* Counts failed gates. */
size_t ts__failed_gates(const ts_validation *v);

#define TS__LINE_MAX 2048
#define TS__REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

#endif
