/*
 * toposim batch's results: what each scenario's child left behind (its
 * JUnit file, its log), read back fail-closed, and the batch's summary CSV
 * and combined JUnit file written from them.
 */
#ifndef TOPOSIM_CLI_BATCH_JUNIT_H
#define TOPOSIM_CLI_BATCH_JUNIT_H

#include <stddef.h>

#include "toposim/error.h"

typedef enum batch_verdict {
    BATCH_PASS,     /* validated, every gate passed */
    BATCH_FAIL,     /* validated, a gate failed */
    BATCH_NO_FIT,   /* the components do not fit the platform (run's 3) */
    BATCH_INVALID,  /* run, but validate refused the trace or said nothing */
    BATCH_NOT_RUN,  /* the scenario could not be run (bad input, no room) */
    BATCH_CRASH,    /* the scenario's process ended by a signal */
    BATCH_TIMEOUT   /* stopped past --timeout */
} batch_verdict;

typedef struct batch_result {
    batch_verdict verdict;
    size_t gates, failures;     /* testcases, and those failing or in error */
    char failed_gates[1024];    /* their names, ';'-separated */
    char why[256];              /* for the verdicts after FAIL */
    char log_tail[2048];        /* the end of the log, for those verdicts */
} batch_result;

const char *batch_verdict_name(batch_verdict v);

/* Reads a JUnit file a child's validate wrote into r: its testcases (the
 * gates) and those with a failure or error. A file that is missing, too
 * large, not JUnit or holds no testcase sets BATCH_INVALID: no evidence
 * is never a pass. */
void batch_junit_read(const char *path, batch_result *r);

/* The last lines of a log, at most size - 1 bytes, in printable ASCII. */
void batch_log_tail(const char *path, char *buf, size_t size);

/* The log's first line that starts with "toposim" (the first error the
 * commands printed), in printable ASCII; "" when there is none. */
void batch_log_first_error(const char *path, char *buf, size_t size);

/* summary.csv: a row per scenario in the order given. */
int batch_write_summary(const char *path, const char *const *scenarios,
                        const char *const *stems, const batch_result *results,
                        size_t n, ts_error *err);

/* One JUnit file: each validated scenario's testsuites as its own JUnit
 * file has them, and for every other one a testsuite whose one testcase
 * is in error with the reason and its log's end. */
int batch_write_junit(const char *path, const char *const *scenarios,
                      const char *const *stems, const char *const *junits,
                      const batch_result *results, const double *wall_s, size_t n,
                      ts_error *err);

#endif
