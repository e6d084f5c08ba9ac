/*
 * Internals shared by the validator's files: the sentinel that marks a
 * latency or response statistic with no completed sample behind it, so the
 * scorer and the writers agree on what "nothing to measure" looks like.
 */
#ifndef TOPOSIM_VALIDATE_INTERNAL_H
#define TOPOSIM_VALIDATE_INTERNAL_H

#include <stdint.h>

/* p50_ns / p99_ns / max_ns hold this when nothing was delivered or
 * finished: printed as "-" in text and null in JSON. */
#define TS__NO_SAMPLE ((int64_t)-1)

#endif
