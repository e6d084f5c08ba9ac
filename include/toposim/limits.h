/*
 * toposim's resource limits: the bounds that keep a hostile or mistaken
 * input from taking the machine (a quadratic parse, a fleet of ten million
 * robots, a component whose jobs pile up without end). Each limit has a
 * name, a default, and can be changed for the process (the command line's
 * `--limit NAME=VALUE`); the library checks them where the work would
 * start and fails with an error naming the limit and how to raise it.
 * The values are process-wide, as the allocation hook is: one program runs
 * under one set of limits.
 */
#ifndef TOPOSIM_LIMITS_H
#define TOPOSIM_LIMITS_H

#include <stdint.h>

#include "toposim/error.h"

typedef enum ts_limit_id {
    TS_LIMIT_ELEMENTS = 0,   /* XML elements in one document */
    TS_LIMIT_ATTRIBUTES,     /* attributes of one XML element */
    TS_LIMIT_DEPTH,          /* nesting depth of XML elements */
    TS_LIMIT_FLEET_SIZE,     /* robots in one <fleet> (its count=) */
    TS_LIMIT_COMPONENTS,     /* components once fleets are expanded */
    TS_LIMIT_CORES,          /* CPU cores of one node */
    TS_LIMIT_EVENTS,         /* engine events pending at once */
    TS_LIMIT_JOBS,           /* released jobs of one component waiting */
    TS_LIMIT_MEMORY,         /* bytes of memory the process may plan on */
    TS_LIMIT_TRACE_ROWS,     /* rows of one trace table (written or read) */
    TS_LIMIT_COUNT
} ts_limit_id;

/* The current value of a limit. For TS_LIMIT_MEMORY, 0 until set means
 * "what the system allows" (see ts_memory_budget), and that is returned. */
uint64_t ts_limit(ts_limit_id id);

/* The limit's name as `--limit NAME=VALUE` spells it ("elements"). */
const char *ts_limit_name(ts_limit_id id);

/* The default value (0 for memory: the system's budget). */
uint64_t ts_limit_default(ts_limit_id id);

/* One line describing what the limit bounds, for help texts. */
const char *ts_limit_what(ts_limit_id id);

/* The limit named `name`, or -1. */
int ts_limit_find(const char *name);

/* Sets a limit for the rest of the process (values >= 1). TS_EINVAL for a
 * bad id or 0. */
int ts_limit_set(ts_limit_id id, uint64_t value);

/* Puts every limit back to its default. */
void ts_limits_reset(void);

/* Fills err with "MESSAGE (limit NAME=VALUE; raise it with --limit
 * NAME=N)" at file:line (file may be NULL, line 0) and returns
 * TS_ERANGE. */
int ts_limit_error(ts_error *err, ts_limit_id id, const char *file, int line,
                   const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* Bytes this process may use, 0 when unknown: the least of physical
 * memory, its address-space limit (RLIMIT_AS) and its cgroup's limit
 * (cgroup v2 memory.max), since any of them ends the process first. */
uint64_t ts_memory_budget(void);

#endif
