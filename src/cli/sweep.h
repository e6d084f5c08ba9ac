/*
 * toposim sweep: the values of a sweep's --set options, the variants they
 * make, each replication's seed, the results the runs leave behind and
 * the summary files (sweep.csv, sweep.h5, runs.csv). The formats are in
 * the README ("Sweeps").
 */
#ifndef TOPOSIM_CLI_SWEEP_H
#define TOPOSIM_CLI_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "cli/batch_junit.h"
#include "toposim/error.h"

/* Caps that keep a typo ("1..1000000:1") from starting a week of runs. */
#define SWEEP_MAX_VALUES 1000     /* values of one --set */
#define SWEEP_MAX_VARIANTS 10000  /* variants of a grid (variant-0000..9999) */
#define SWEEP_MAX_SEEDS 100       /* replications of a variant (seed-00..99) */
#define SWEEP_MAX_PARAMS 16       /* --set options */
#define SWEEP_MAX_RUNS 100000     /* variants x seeds */
#define SWEEP_N_FAMILIES 4        /* performance, safety, health, integration */

/* One value of a swept attribute: as written (with its unit) and as a
 * number in the unit's base (s, Hz, bit/s, B, cores, fraction, degrees
 * C; NaN for a value that is no quantity, such as a mode's name). */
typedef struct sweep_value {
    char text[64];
    double num;
} sweep_value;

typedef struct sweep_param {
    char path[192];         /* "link[wifi].bandwidth" */
    const char *arg;        /* the --set as given */
    sweep_value *values;
    size_t n_values;
} sweep_param;

/* Parses a sweep's --set "PATH=VALUES" (a comma list, or LO..HI:STEP)
 * into p (p->values allocated; free with sweep_param_free). On error
 * returns -1 with a sentence naming the --set in why. */
int sweep_parse_set(const char *arg, sweep_param *p, char *why, size_t size);
void sweep_param_free(sweep_param *p);

/* A range "LO..HI" (no step) for --find-max / --find-min: the numbers in
 * the unit written and the unit's suffix; integer when both are. */
typedef struct sweep_range {
    double lo, hi;
    char suffix[32];
    int integer;
    int decimals;           /* digits after the point to print */
} sweep_range;
int sweep_parse_range(const char *text, sweep_range *r, char *why, size_t size);
/* "R" in the range's unit (a bare number, or with the same suffix). */
int sweep_parse_resolution(const char *text, const sweep_range *r, double *res, int *decimals,
                           char *why, size_t size);
/* A value of a range as written: the number with `decimals` digits and
 * the suffix. */
void sweep_format_value(double x, int decimals, const char *suffix, sweep_value *out);

/* The number in base units of a value as written; NaN when it is no
 * quantity toposim reads. */
double sweep_numeric(const char *text);
/* That base unit's name ("s", "Hz", "bit/s", "B", "cores", "fraction",
 * "C"); "" for a bare number or a name. */
const char *sweep_base_unit(const char *text);

/* The seed of replication rep of the variant whose values are given
 * (one per parameter, in --set order). README, "Sweeps": FNV-1a 64 of
 * the lines "PATH=VALUE\n", VALUE the base-unit number printed with
 * %.17g (or the text when it is no quantity), then
 * seed = mix(base ^ mix(h ^ mix(rep))) >> 11, mix the SplitMix64
 * finaliser; 53 bits, so a double holds it exactly. */
uint64_t sweep_seed(uint64_t base, const sweep_param *params, const sweep_value *const *values,
                    size_t n_params, unsigned rep);

/* A gate as one run judged it (fleet copies folded into one name). */
typedef struct sweep_gate {
    char name[160];
    char unit[16];            /* fraction, score100, ns, C, W, count */
    int pass, at_most;
    double actual, required;
} sweep_gate;

typedef struct sweep_run {
    uint64_t seed;
    batch_verdict verdict;
    double wall_s;
    char why[512];
    char *trace;              /* its path (allocated) */
    char *command;            /* the rerun command (allocated) */
    sweep_gate *gates;
    size_t n_gates;
    double family[SWEEP_N_FAMILIES];
} sweep_run;

/* One gate across a variant's replications. */
typedef struct sweep_gate_stats {
    int present;              /* the gate was judged on a replication */
    int pass;                 /* passed on every replication judged */
    double mean, ci95, required, margin; /* margin: the least relative one */
} sweep_gate_stats;

typedef struct sweep_variant {
    size_t index;
    sweep_value *values;      /* one per parameter */
    sweep_run *runs;          /* one per replication */
    size_t n_runs, n_done;
    batch_verdict verdict;
    char why[512];
    char binding[160];
    double binding_margin;
    size_t scored;            /* replications with a result */
    double family_mean[SWEEP_N_FAMILIES], family_ci95[SWEEP_N_FAMILIES];
    sweep_gate_stats *gates;  /* per name of the summary's gate list, the
                                 first n_gates of it (later names: absent) */
    size_t n_gates;
} sweep_variant;

/* Everything the summary files hold. */
typedef struct sweep_summary {
    const char *command_line;
    const char *scenario;
    uint64_t base_seed;
    unsigned seeds;
    const sweep_param *params;
    size_t n_params;
    sweep_variant *variants;
    size_t n_variants;
    char (*gate_names)[160];
    sweep_gate *gate_info;    /* per name: its unit and direction */
    size_t n_gate_names;
} sweep_summary;

const char *sweep_family_name(size_t f);

/* Reads a run's result file into run (gates, families, verdict). A file
 * that is missing or incomplete leaves BATCH_INVALID. */
void sweep_result_read(const char *path, sweep_run *run);

/* Folds a variant's replications: verdict, gate statistics (over the
 * summary's gate list, grown with new names), binding gate. 0, or -1
 * out of memory. */
int sweep_variant_fold(sweep_summary *s, sweep_variant *v);

/* The relative margin of a value against a gate's threshold: positive
 * passing, negative failing, NaN when actual is NaN. */
double sweep_margin(double actual, double required, int at_most);

/* sweep.csv, runs.csv and sweep.h5 in dir, each written under a
 * temporary name and renamed. */
int sweep_write_csv(const sweep_summary *s, const char *path, ts_error *err);
int sweep_write_runs(const sweep_summary *s, const char *path, ts_error *err);
int sweep_write_h5(const sweep_summary *s, const char *path, ts_error *err);
/* gates.csv: gate,unit,at_most (what a plot's axis says). */
int sweep_write_gates(const sweep_summary *s, const char *path, ts_error *err);

#endif
