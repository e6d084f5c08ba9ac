/*
 * The validator: turns a trace (and only a trace) into a verdict. It owns
 * four score families, each a number in [0, 1] with the items behind it:
 * performance (deadline compliance per topic, counted per logical
 * subscriber, and per periodic component), safety coverage (a checklist;
 * safety paths no fault exercised are reported, never passed), health
 * (per link and node, folded into 0-100) and integration (topics deliver,
 * QoS pairs match, services answer, robots register, rollouts finish); an
 * overall compliance; recommendations naming the item and the change; and
 * gates that fail closed. Writers give a text scorecard, JSON and JUnit
 * XML; a baseline comparison finds regressions between two traces.
 * Exit-code policy lives in the CLI: 0 all gates pass, 1 a gate failed,
 * 2 bad input. Every formula is in the README's validator section.
 */
#ifndef TOPOSIM_VALIDATE_H
#define TOPOSIM_VALIDATE_H

#include <stdint.h>
#include <stdio.h>

#include "toposim/error.h"
#include "toposim/trace.h"

#define TS_VALIDATE_DETAIL_LEN 256

typedef enum {
    TS_FAMILY_PERFORMANCE = 0,
    TS_FAMILY_SAFETY = 1,
    TS_FAMILY_HEALTH = 2,
    TS_FAMILY_INTEGRATION = 3,
    TS_FAMILY_RUN = 4,          /* gates about the run itself (finished,
                                   recorded failures, expectations) */
    TS_N_FAMILIES = 5
} ts_family;

/* "performance", "safety", "health", "integration", "run". */
const char *ts_family_name(ts_family f);

typedef enum {
    TS_SCORE_TOPIC = 0,
    TS_SCORE_COMPONENT = 1
} ts_score_kind;

/* The deadline score of one topic or component. */
typedef struct ts_score {
    ts_score_kind kind;
    int32_t index;          /* topic or component row in the trace */
    char name[TS_TRACE_NAME_LEN];
    uint64_t total;         /* samples (per logical subscriber) / jobs
                               counted; in flight and not yet due left out */
    uint64_t met;           /* delivered in budget / finished by deadline */
    uint64_t lost;          /* topics: never delivered to the serving member */
    uint64_t lost_in_failover; /* of lost: sent inside a failover window */
    double compliance;      /* met / total; 0 when total is 0 (nothing
                               measured is never compliant) */
    int64_t p50_ns, p90_ns, p99_ns, p999_ns, max_ns;
                            /* latency (topics) or response time
                               (components) of completed ones; -1 if none */
    int64_t budget_ns;      /* the topic's budget / component's deadline */
    int32_t rollup;         /* index in scores of the first copy of this
                               item across a fleet (itself when alone) */
    int32_t copies;         /* on the first copy: copies in its roll-up */
    int32_t worst_copy;     /* on the first copy: index of the worst one */
    char copy[16];          /* fleet copy label ("r7"), "" when alone */
} ts_score;

/* The score of one processing chain (trace /chains): its outputs' data
 * age against its budget, and reaction time (README, "Chains"). */
typedef struct ts_chain_score {
    int32_t index;          /* row of /chains */
    char name[TS_TRACE_NAME_LEN];
    int64_t budget_ns;
    uint64_t outputs;       /* instances with an output */
    uint64_t dropped;       /* instances dropped on the way (misses) */
    uint64_t met;           /* outputs with data age within budget */
    double compliance;      /* met / (outputs + dropped); 0 when none */
    int64_t age_p50_ns, age_p99_ns, age_max_ns;        /* -1 if none */
    uint64_t reactions;     /* outputs that were first with a new input,
                               after the first such one */
    int64_t reaction_p50_ns, reaction_p99_ns, reaction_max_ns; /* -1 if none */
    int32_t rollup;         /* as in ts_score, over chains (a fleet's
                               copies of one chain) */
    int32_t copies, worst_copy; /* as in ts_score; worst: lowest compliance */
    char copy[16];
} ts_chain_score;

/* One autoscaled service, read from its autoscaler's /events records
 * (README, "Cloud pipelines and autoscaling"): what its replicas cost and
 * what scaling did to its response times. */
typedef struct ts_autoscale_report {
    char service[TS_TRACE_NAME_LEN]; /* the service, or a worker pool's first
                               replica */
    int32_t workers;        /* 1: a pool of triggered workers, whose
                               "requests" are its jobs (release to finish) */
    double price_per_hour;  /* per billed replica (node) */
    uint64_t decisions;     /* autoscale_eval records */
    uint64_t scale_outs, scale_ins;
    int32_t billed_min, billed_peak; /* replicas billed at once */
    double replica_hours;   /* billed replicas integrated over the run */
    double cost;            /* replica_hours x price_per_hour */
    uint64_t cold_starts;   /* replicas launched during the run */
    int64_t cold_ns;        /* time with at least one replica starting */
    uint64_t cold_responses, steady_responses; /* answered requests sent
                               inside / outside a cold start */
    int64_t cold_p50_ns, cold_p99_ns;     /* their latency; -1 if none */
    int64_t steady_p50_ns, steady_p99_ns;
} ts_autoscale_report;

typedef enum {
    TS_CHECK_PASS = 0,
    TS_CHECK_FAIL = 1,
    TS_CHECK_NOT_EXERCISED = 2  /* a safety path no fault tested */
} ts_check_status;

/* One item of the safety, health or integration family. */
typedef struct ts_check {
    ts_family family;
    char kind[32];          /* e.g. "robot-tier", "failover-budget",
                               "topic-delivers", "link", "node" */
    char item[TS_TRACE_NAME_LEN]; /* the component, link, node, topic... */
    ts_check_status status;
    double value;           /* the measured figure (see kind), NaN if none */
    double limit;           /* what it was held against, NaN if none */
    char detail[TS_VALIDATE_DETAIL_LEN];
    int32_t rollup;         /* as in ts_score, over checks */
    int32_t copies, worst_copy; /* as in ts_score; worst: a failure first */
    char copy[16];
} ts_check;

/* Health of one link over the run (both directions together). */
typedef struct ts_link_health {
    int32_t link;
    char name[TS_TRACE_NAME_LEN];
    double util_peak, util_mean;  /* busy fraction, 0..1 */
    uint64_t sent, dropped, lost; /* packets */
    double loss_rate;             /* (dropped + lost) / (sent + lost),
                                     0 when nothing was sent */
    double queue_peak_fraction;   /* peak queue bytes / queue capacity */
    double inflation;             /* (latency + mean queueing delay) /
                                     latency, 1 when unloaded; NaN with
                                     zero latency */
    double up_fraction;           /* samples with the link up */
    double score;                 /* 0..100, README formula */
} ts_link_health;

/* Health of one shared medium (trace /medium_state, format 6): its one
 * transmitter's air time over the run, all its links together. */
typedef struct ts_medium_health {
    int32_t medium;               /* row of /media */
    char name[TS_TRACE_NAME_LEN];
    int32_t links;                /* links attached to it */
    double util_peak, util_mean;  /* air time busy, 0..1: the busiest row
                                     and the time-weighted mean */
    uint64_t sent, dropped, lost; /* packets, over all its links */
    double loss_rate;             /* as for a link */
    double queue_peak_fraction;   /* peak shared queue / its capacity */
    double score;                 /* 0..100, the link formula; NaN (and
                                     the figures above 0 or NaN) with no
                                     /medium_state row */
} ts_medium_health;

/* Health of one node over the run. */
typedef struct ts_node_health {
    int32_t node;
    char name[TS_TRACE_NAME_LEN];
    double temp_peak_c;           /* NaN without a thermal model */
    double throttle_c;            /* throttle point, NaN when unknown */
    double headroom_c;            /* throttle_c - temp_peak_c, NaN if unknown */
    int64_t throttled_ns;         /* time with throttle_level > 0 */
    double power_peak_w;
    double power_budget_w;        /* what the power-budget gate compares
                                     with: the mode's over-current limit
                                     when /power_limits declares one, else
                                     its budget; NaN when none */
    double power_label_w;         /* the mode's budget (its label), NaN
                                     when none */
    char power_mode[32];          /* at the peak */
    double energy_j;              /* at the end */
    double cpu_peak, cpu_mean, gpu_peak, gpu_mean;
    double mem_peak_fraction;     /* memory used / node memory */
    double battery_end_wh;        /* -1 without a battery */
    double up_fraction;
    double score;                 /* 0..100, README formula */
} ts_node_health;

/* A failover the trace records, with the samples its window cost. */
typedef struct ts_failover {
    char group[TS_TRACE_NAME_LEN];  /* the primary's name */
    char serving[TS_TRACE_NAME_LEN];/* who serves after it */
    int32_t from, to;               /* component rows (-1 unknown) */
    int64_t fault_ns, serving_ns;   /* window [fault, serving) */
    int64_t took_ns, budget_ns;     /* budget -1 when none is known */
    uint64_t samples_lost;          /* sent to the group in the window
                                       and not delivered in budget */
    int within;                     /* took <= budget (1 when no budget) */
} ts_failover;

/* A change that would help, derived from the data. */
typedef struct ts_recommendation {
    char rule[32];          /* which rule fired, e.g. "link-saturated" */
    char item[TS_TRACE_NAME_LEN];
    char text[2 * TS_VALIDATE_DETAIL_LEN];
} ts_recommendation;

typedef enum {
    TS_UNIT_FRACTION = 0,   /* printed as a percentage */
    TS_UNIT_SCORE100,       /* 0..100 */
    TS_UNIT_NS,             /* a duration */
    TS_UNIT_CELSIUS,
    TS_UNIT_WATT,
    TS_UNIT_COUNT
} ts_unit;

/* One gate: a requirement (declared in the scenario or a default) checked
 * against the scores. */
typedef struct ts_gate {
    char name[2 * TS_TRACE_NAME_LEN + 32]; /* e.g. "topic-deadline:joint_states" */
    ts_family family;
    ts_unit unit;
    int at_most;            /* 1: actual must be <= required; 0: >= */
    double required;
    double actual;          /* the worst value among the targets */
    char worst[TS_TRACE_NAME_LEN]; /* the target with that value, "" if none */
    int declared;           /* 1 from the scenario, 0 a default gate */
    int pass;
    char message[TS_VALIDATE_DETAIL_LEN]; /* why, naming the item */
} ts_gate;

typedef struct ts_validation {
    char scenario_name[TS_TRACE_NAME_LEN];
    char toposim_version[32];
    char git_revision[48];  /* of the toposim that ran, "unknown" if not known */
    char command_line[512]; /* that produced the trace ("" if not recorded) */
    char host[64];          /* only in a stamped trace, else "" */
    char started_utc[32];   /* ISO 8601, only in a stamped trace, else "" */
    uint64_t seed;
    int64_t duration_ns;
    double wall_time_s;     /* the run's wall time, NaN when unrecorded */
    int finished;           /* the trace says the run finished */
    ts_score *scores;          size_t n_scores;
    ts_chain_score *chains;    size_t n_chains;
    ts_autoscale_report *autoscaling; size_t n_autoscaling;
    ts_check *checks;          size_t n_checks;
    ts_link_health *links;     size_t n_links;
    ts_medium_health *media;   size_t n_media;  /* one per /media row */
    ts_node_health *nodes;     size_t n_nodes;
    ts_failover *failovers;    size_t n_failovers;
    ts_recommendation *recs;   size_t n_recs;
    ts_gate *gates;            size_t n_gates;
    double family_score[TS_N_FAMILIES]; /* [0,1]; RUN unused (1) */
    size_t family_items[TS_N_FAMILIES]; /* items behind each score */
    size_t not_exercised;   /* safety paths no fault tested */
    double overall;         /* README rule: the weakest family */
    int all_pass;           /* 1 when there are gates and all pass */
} ts_validation;

/* Scores a loaded trace. On success the caller frees *out with
 * ts_validation_free. TS_EFORMAT when the trace contradicts itself (an
 * index out of range, a requirement of unknown kind or naming no row). */
int ts_validate(const ts_trace *trace, ts_validation **out, ts_error *err);

/* Frees a validation; NULL is fine. */
void ts_validation_free(ts_validation *v);

/* Human-readable scorecard grouped by family; items copied across a fleet
 * show once with the worst copy named unless detail is set. */
void ts_validation_print_text(const ts_validation *v, int detail, FILE *out);

/* Everything as one JSON object. */
void ts_validation_print_json(const ts_validation *v, FILE *out);

/* JUnit XML: one testsuite named after the scenario, one testcase per gate
 * (classname toposim.<scenario>.<family>), written crash-safely. */
int ts_validation_write_junit(const ts_validation *v, const char *path,
                              ts_error *err);

/* ---- Baseline comparison ---- */

/* How much worse "after" may be than "before" before it is a regression. */
typedef struct ts_tolerance {
    double p99_ratio;       /* p99 latency/response may grow by this fraction */
    double miss_ratio;      /* miss fraction may grow by this much (absolute) */
    double failover_ratio;  /* failover time may grow by this fraction */
    double temp_c;          /* peak temperature may rise this many degrees */
    double energy_ratio;    /* energy may grow by this fraction */
} ts_tolerance;

/* The documented defaults: 10 %, 0.01, 10 %, 2 C, 5 %. */
ts_tolerance ts_tolerance_default(void);

/* Parses "p99=10%,miss=0.5%,failover=20%,temp=3C,energy=5%" (any subset)
 * over *tol. TS_EINVAL naming the bad part. */
int ts_tolerance_parse(const char *text, ts_tolerance *tol, ts_error *err);

typedef struct ts_delta {
    char metric[16];        /* "p99", "miss", "failover", "temp", "energy" */
    char item[TS_TRACE_NAME_LEN];
    double before, after;   /* in the metric's unit (ns, fraction, C, J) */
    double limit;           /* largest "after" that is not a regression */
    int regression;
} ts_delta;

typedef struct ts_comparison {
    ts_delta *deltas;       size_t n_deltas;
    size_t regressions;
    int same_scenario;      /* scenario names agree */
} ts_comparison;

/* Compares two validations item by item (matched by name). The caller
 * frees *out with ts_comparison_free. */
int ts_validation_compare(const ts_validation *before, const ts_validation *after,
                          const ts_tolerance *tol, ts_comparison **out, ts_error *err);

void ts_comparison_free(ts_comparison *c);

/* The before/after table, regressions marked. */
void ts_comparison_print_text(const ts_comparison *c, FILE *out);

/* The same as a JSON array value. */
void ts_comparison_print_json(const ts_comparison *c, FILE *out);

#endif
