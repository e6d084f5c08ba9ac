/*
 * The validator: scores a trace (and only a trace) for deadline compliance,
 * per topic (samples delivered within the topic's latency budget) and per
 * periodic component (jobs finished by their deadline), and checks those
 * scores against the gates the trace's requirements table holds. Writes a
 * text scorecard, JSON and JUnit XML. Exit-code policy lives in the CLI:
 * 0 all gates pass, 1 a gate failed, 2 bad input.
 */
#ifndef TOPOSIM_VALIDATE_H
#define TOPOSIM_VALIDATE_H

#include <stdint.h>
#include <stdio.h>

#include "toposim/error.h"
#include "toposim/trace.h"

typedef enum {
    TS_SCORE_TOPIC = 0,
    TS_SCORE_COMPONENT = 1
} ts_score_kind;

/* The deadline score of one topic or component. */
typedef struct ts_score {
    ts_score_kind kind;
    int32_t index;          /* topic or component row in the trace */
    char name[TS_TRACE_NAME_LEN];
    uint64_t total;         /* samples / jobs counted (in flight at the end
                               and not yet due are left out) */
    uint64_t met;           /* delivered in budget / finished by deadline */
    uint64_t lost;          /* topics: dropped, unroutable, lost or link-down samples */
    double compliance;      /* met / total, 1 when total is 0 */
    int64_t p50_ns, p99_ns, max_ns; /* latency (topics) or response time
                                       (components) of the completed ones;
                                       -1 when none completed */
    int64_t budget_ns;      /* the topic's budget / component's deadline */
} ts_score;

/* One requirement checked against its scores. */
typedef struct ts_gate {
    char name[2 * TS_TRACE_NAME_LEN + 32]; /* e.g. "topic-deadline:joint_states" */
    double required;        /* min fraction */
    double actual;          /* worst compliance among the targets */
    char worst[TS_TRACE_NAME_LEN]; /* the target with that compliance */
    int pass;
} ts_gate;

typedef struct ts_validation {
    ts_score *scores;  size_t n_scores;
    ts_gate *gates;    size_t n_gates;
    int all_pass;      /* 1 when every gate passes (or there are none) */
    char scenario_name[TS_TRACE_NAME_LEN];
    int64_t duration_ns;
} ts_validation;

/* Scores a loaded trace. On success the caller frees *out with
 * ts_validation_free. TS_EFORMAT when the trace contradicts itself (an
 * index out of range, a requirement naming no row). */
int ts_validate(const ts_trace *trace, ts_validation **out, ts_error *err);

/* Frees a validation; NULL is fine. */
void ts_validation_free(ts_validation *v);

/* Human-readable scorecard: per-item scores, then gates and the verdict. */
void ts_validation_print_text(const ts_validation *v, FILE *out);

/* The same as one JSON object. */
void ts_validation_print_json(const ts_validation *v, FILE *out);

/* JUnit XML: one testcase per gate (a failure element when it fails),
 * written crash-safely (temporary name, then rename). */
int ts_validation_write_junit(const ts_validation *v, const char *path,
                              ts_error *err);

#endif
