/*
 * The trace's table schema, shared by the writer and the reader so both
 * agree on dataset names, column names, units and HDF5 types. Each table is
 * described once as a list of columns (name, C offset, kind, unit, which
 * table it indexes); from that come the in-memory compound type (the C
 * struct, members at their offsetof positions), the packed compound type
 * stored in the file, the "units" attribute and the reader's index checks.
 */
#ifndef TOPOSIM_TRACE_SCHEMA_H
#define TOPOSIM_TRACE_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include <hdf5.h>

#include "toposim/error.h"
#include "toposim/trace.h"

/* The trace's format identifier, root attribute "format". */
#define TS__TRACE_FORMAT "toposim-trace"

/* Most columns any table has (node_state: 19). */
#define TS__TRACE_MAX_COLUMNS 24

/* Table ids; also the order in which the writer creates the datasets. */
enum {
    TS__T_NODES = 0,
    TS__T_LINKS,
    TS__T_COMPONENTS,
    TS__T_TOPICS,
    TS__T_PLACEMENT,
    TS__T_REQUIREMENTS,
    TS__T_MESSAGES,
    TS__T_JOBS,
    TS__T_LINK_STATE,      /* the four below since format version 2 */
    TS__T_NODE_STATE,
    TS__T_CORE_STATE,
    TS__T_EVENTS,
    TS__T_SITES,           /* the thirteen below since format version 3 */
    TS__T_POWER_MODES,
    TS__T_VERSIONS,
    TS__T_FAILOVER_GROUPS,
    TS__T_FAILOVER_BACKUPS,
    TS__T_SUBSCRIPTIONS,
    TS__T_SERVICES,
    TS__T_SERVICE_REPLICAS,
    TS__T_CLIENTS,
    TS__T_FLEETS,
    TS__T_ROLLOUTS,
    TS__T_EXPECTS,
    TS__T_COMPONENT_STATE,
    TS__T_TOPIC_WINDOWS,   /* the three below since format version 4 */
    TS__T_JOB_WINDOWS,
    TS__T_HISTOGRAM_BUCKETS,
    TS__T_NODE_WINDOWS,    /* the two below since format version 5 */
    TS__T_LINK_WINDOWS,
    TS__T_POWER_LIMITS,    /* since format version 6 */
    TS__T_CHAINS,          /* the two below since format version 6 */
    TS__T_CHAIN_INSTANCES,
    TS__T_MEDIA,           /* the two below since format version 6 */
    TS__T_MEDIUM_STATE,
    TS__T_COUNT,
    TS__T_NONE = -1
};

typedef enum ts__col_kind {
    TS__COL_I32,
    TS__COL_U32,
    TS__COL_I64,
    TS__COL_U64,
    TS__COL_F64,
    TS__COL_STR  /* fixed-length char array, NUL-terminated */
} ts__col_kind;

typedef struct ts__column {
    const char *name;
    ts__col_kind kind;
    size_t offset;           /* offsetof in the row struct */
    size_t size;             /* bytes (the array length for strings) */
    const char *unit;        /* NULL when the column has no unit */
    int ref;                 /* TS__T_* whose row it indexes, or TS__T_NONE */
    int ref_optional;        /* 1: -1 ("none") is valid besides a row index */
    const char *description;
    int since_version;       /* first format version with this column */
    double absent;           /* its value in rows of an older file (numeric
                                columns; strings are left empty) */
} ts__column;

typedef struct ts__table_schema {
    const char *name;        /* dataset name below the root, e.g. "messages" */
    const char *path;        /* "/messages" */
    const char *description;
    size_t row_size;         /* sizeof the row struct */
    size_t chunk_rows;       /* chunk and write-block length in rows */
    int since_version;       /* first format version with this table; an
                                older file lacks it and it loads empty */
    const ts__column *columns;
    size_t n_columns;
} ts__table_schema;

/* The tables, indexed by TS__T_*. */
extern const ts__table_schema ts__trace_tables[TS__T_COUNT];

/* A fixed-length, NUL-terminated ASCII string type of size bytes; the
 * caller closes it with H5Tclose. Negative on failure. */
hid_t ts__string_type(size_t size);

/* The compound type of the row struct (members at their C offsets, native
 * types) holding the columns a file of format `version` has; the caller
 * closes it. Negative on failure. */
hid_t ts__mem_type(const ts__table_schema *s, int version);

/* The packed compound type stored in the file (no padding holes, so no
 * stray bytes reach the file); fills packed_off[i] with column i's offset
 * in it when packed_off is not NULL. The caller closes it. */
hid_t ts__file_type(const ts__table_schema *s, size_t *packed_off);

/* Writes "col=unit;col=unit" for the columns that have a unit into buf.
 * Returns TS_OK or TS_ERANGE when it does not fit. */
int ts__units_string(const ts__table_schema *s, char *buf, size_t size);

/* The HDF5 class a column must have in a file (H5T_INTEGER...). */
H5T_class_t ts__col_class(ts__col_kind kind);

/* Stops HDF5 from printing its error stack: errors reach the caller as a
 * ts_error instead. Safe to call often. */
void ts__h5_quiet(void);

/* Fills err with code, the file path and the formatted message followed by
 * the innermost entry of HDF5's error stack, if any. Call it right after
 * the failing HDF5 call, before any other one clears the stack. */
int ts__h5_error(ts_error *err, int code, const char *file, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Loads a trace in this process (reader.c). */
typedef int (*ts__trace_load_fn)(const char *path, ts_trace **out, ts_error *err);

/* Runs load on path in a child process and reports how it went: TS_OK
 * when it read the whole file, its error when it refused the file, and
 * TS_EFORMAT "trace is corrupt" when it crashed or hung (isolate.c). */
int ts__trace_probe(const char *path, ts__trace_load_fn load, ts_error *err);

/* Folding a large full trace's per-row tables into windows while reading
 * (fold.c; trace.h, "Folded reading"). The reader checks each chunk's
 * row indices and values, then hands it over; ts__fold_finish attaches
 * the windows and the rows kept to the trace. */
typedef struct ts__fold ts__fold;
int ts__fold_new(ts_trace *tr, const char *path, ts__fold **out, ts_error *err);
int ts__fold_messages(ts__fold *f, const ts_trace_message *rows, size_t n, size_t first,
                      ts_error *err);
int ts__fold_jobs(ts__fold *f, const ts_trace_job *rows, size_t n, size_t first,
                  ts_error *err);
int ts__fold_node_state(ts__fold *f, const ts_trace_node_state *rows, size_t n,
                        ts_error *err);
int ts__fold_link_state(ts__fold *f, const ts_trace_link_state *rows, size_t n,
                        ts_error *err);
/* Counts rows checked and dropped (/core_state). */
void ts__fold_count(ts__fold *f, size_t n);
int ts__fold_finish(ts__fold *f, ts_error *err);
void ts__fold_free(ts__fold *f);

#endif
