/*
 * The trace: an HDF5 file holding everything a run did, self-describing
 * (units as attributes, a format version on the root) and readable with
 * h5dump, h5py or pandas without toposim. The writer fills it under a
 * temporary name and renames it only when complete; the reader checks
 * version, types and sizes before trusting anything, and is all that the
 * validator and report see of a run.
 *
 * Layout (format version TS_TRACE_FORMAT_VERSION):
 *   /                 attrs: format, format_version, toposim_version
 *   /meta             attrs: scenario_name, scenario_path, seed,
 *                            duration_ns, toposim_version;
 *                     dataset scenario_text (the scenario document)
 *   /nodes /links /components /topics /placement /requirements
 *   /messages /jobs
 *   /link_state /node_state /core_state /events
 *                     compound tables, chunked and deflate-compressed,
 *                     each column's unit in attribute "units" (as
 *                     "column=unit;...") and per-column attributes.
 * Indices in rows refer to row numbers of the named table (0-based), and
 * core_state.core to a core of its node (0 to cores - 1); the node, link
 * and component columns of /events hold -1 when not applicable.
 * Version 2 added the last four tables (always present, possibly empty)
 * and message statuses 4 and 5; the reader still loads version 1 files,
 * whose four newer tables then come back empty.
 * In detail: format and the other strings are scalar fixed-length ASCII
 * attributes, format_version a scalar int32, seed a scalar uint64 and
 * duration_ns a scalar int64; scenario_text is a scalar fixed-length
 * string dataset. Each table is a one-dimensional compound dataset with
 * unlimited extent, shuffle + deflate, present even with zero rows, its
 * members the struct fields below (same names, packed without padding,
 * name fields as fixed-length NUL-terminated strings of the array size).
 * Besides "units" (listing only columns that have a unit) each table has
 * "description", and per column "<column>_description" and, where the
 * column has a unit, "<column>_unit". No object stores a modification
 * time, so equal runs give identical bytes.
 */
#ifndef TOPOSIM_TRACE_H
#define TOPOSIM_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "toposim/error.h"

#define TS_TRACE_FORMAT_VERSION 2
#define TS_TRACE_NAME_LEN 64
#define TS_TRACE_REASON_LEN 192

typedef struct ts_trace_node {
    char name[TS_TRACE_NAME_LEN];
    char kind[16];          /* computer, jetson, server, cloud, switch */
    char tier[16];          /* robot, edge, cloud, network */
    char site[TS_TRACE_NAME_LEN]; /* robot / edge rack / region id, or "" */
    int32_t cores;
    int64_t memory_bytes;
    int32_t gpus;
} ts_trace_node;

typedef struct ts_trace_link {
    char name[TS_TRACE_NAME_LEN];
    int32_t node_a, node_b;
    int64_t latency_ns;
    double bandwidth_bps;
    int64_t queue_bytes;
} ts_trace_link;

typedef struct ts_trace_component {
    char name[TS_TRACE_NAME_LEN];
    uint32_t flags;         /* TS_FLAG_* bits of scenario.h */
    int64_t period_ns;
    int64_t deadline_ns;    /* relative */
    int64_t exec_ns;
    int64_t cpu_millicores;
    int64_t memory_bytes;
    int32_t gpus;
    int32_t priority;
} ts_trace_component;

typedef struct ts_trace_topic {
    char name[TS_TRACE_NAME_LEN];
    int32_t publisher;      /* component row */
    int64_t size_bytes;
    int64_t period_ns;      /* 0: every publisher job */
    int64_t budget_ns;      /* 0: no budget */
    int32_t n_subscribers;
} ts_trace_topic;

typedef struct ts_trace_placement {
    int32_t component;      /* component row */
    int32_t node;           /* node row */
    char rule[32];
    char reason[TS_TRACE_REASON_LEN];
} ts_trace_placement;

typedef struct ts_trace_requirement {
    char kind[32];          /* "topic-deadline" or "component-deadline" */
    int32_t target;         /* topic or component row, -1 = all */
    double min_fraction;
} ts_trace_requirement;

/* Message status values. */
enum {
    TS_MSG_DELIVERED = 0,
    TS_MSG_DROPPED_QUEUE = 1,  /* a drop-tail queue was full */
    TS_MSG_NO_ROUTE = 2,
    TS_MSG_IN_FLIGHT = 3,      /* the run ended before it arrived */
    TS_MSG_LOST = 4,           /* lost on a link (its loss model) */
    TS_MSG_LINK_DOWN = 5,      /* on a link that went down */
    TS_MSG_RECEIVER_DOWN = 6   /* arrived at a crashed or stopped process */
};

/* One sample from a publisher to one subscriber. */
typedef struct ts_trace_message {
    int32_t topic;
    int32_t publisher;      /* component row */
    int32_t subscriber;     /* component row */
    int32_t status;         /* TS_MSG_* */
    uint64_t seq;           /* per topic, from 0 */
    int64_t send_ns;
    int64_t recv_ns;        /* -1 unless delivered */
    int64_t bytes;
} ts_trace_message;

/* One job of a periodic component. start/finish are -1 when the run ended
 * before the job started/finished. */
typedef struct ts_trace_job {
    int32_t component;
    int32_t node;
    uint64_t seq;
    int64_t release_ns;
    int64_t start_ns;
    int64_t finish_ns;
    int64_t deadline_ns;    /* absolute */
} ts_trace_job;

/* A link direction over one sampling window ending at time_ns. */
typedef struct ts_trace_link_state {
    int32_t link;           /* link row */
    int32_t direction;      /* 0: node_a -> node_b, 1: node_b -> node_a */
    int64_t time_ns;        /* end of the window */
    double utilisation;     /* busy fraction of the window, 0..1 */
    int64_t queue_bytes;    /* waiting or in transmission at time_ns */
    int32_t queue_packets;
    int32_t up;             /* 1 when the link is up at time_ns */
    uint64_t sent_packets;  /* during the window */
    uint64_t dropped_packets; /* queue full, during the window */
    uint64_t lost_packets;  /* loss model or link down, during the window */
} ts_trace_link_state;

/* A node over one sampling window ending at time_ns. */
typedef struct ts_trace_node_state {
    int32_t node;           /* node row */
    int32_t up;             /* 0 after a crash or thermal shutdown */
    int64_t time_ns;
    double cpu_util;        /* mean over online cores during the window */
    double gpu_util;        /* mean over GPUs during the window */
    int32_t online_cores;
    int32_t busy_cores;     /* at time_ns */
    int32_t run_queue;      /* jobs waiting for a core at time_ns */
    int32_t throttle_level; /* 0: not throttled */
    double cpu_freq_hz;     /* at time_ns */
    double gpu_freq_hz;
    int64_t memory_used_bytes;
    double temp_die_c;      /* at time_ns; NaN without a thermal model */
    double temp_case_c;
    double power_w;         /* mean over the window: energy delta / window */
    double energy_j;        /* cumulative since the start */
    double battery_wh;      /* remaining in its robot's battery, -1 if none */
    int32_t fan_on;
    char power_mode[32];    /* "" without power modes */
} ts_trace_node_state;

/* One core over one sampling window. */
typedef struct ts_trace_core_state {
    int32_t node;
    int32_t core;
    int64_t time_ns;
    double utilisation;     /* busy fraction of the window */
} ts_trace_core_state;

/* Something that happened: a fault, a recovery, a throttle, an OOM kill. */
typedef struct ts_trace_event {
    int64_t time_ns;
    char kind[32];          /* see event.h for the platform's kinds;
                               faults add "fault:<kind>" and "recover:<kind>" */
    int32_t node;           /* node row or -1 */
    int32_t link;           /* link row or -1 */
    int32_t component;      /* component row or -1 */
    double value;
    char detail[TS_TRACE_REASON_LEN];
} ts_trace_event;

typedef struct ts_trace_meta {
    const char *scenario_name;
    const char *scenario_path;
    const char *scenario_text;
    uint64_t seed;
    int64_t duration_ns;
} ts_trace_meta;

/* ---- Writing ---- */

typedef struct ts_trace_writer ts_trace_writer;

/* Opens a new trace that will appear at final_path only after a successful
 * ts_trace_writer_commit; until then it lives under a temporary name in
 * the same folder. Object modification times are not stored, so equal
 * runs give bit-identical files. Caller ends it with commit or abort. */
int ts_trace_writer_open(const char *final_path, const ts_trace_meta *meta,
                         ts_trace_writer **out, ts_error *err);

/* Writes a whole static table; each may be called once, before commit. */
int ts_trace_write_nodes(ts_trace_writer *w, const ts_trace_node *rows, size_t n, ts_error *err);
int ts_trace_write_links(ts_trace_writer *w, const ts_trace_link *rows, size_t n, ts_error *err);
int ts_trace_write_components(ts_trace_writer *w, const ts_trace_component *rows, size_t n, ts_error *err);
int ts_trace_write_topics(ts_trace_writer *w, const ts_trace_topic *rows, size_t n, ts_error *err);
int ts_trace_write_placement(ts_trace_writer *w, const ts_trace_placement *rows, size_t n, ts_error *err);
int ts_trace_write_requirements(ts_trace_writer *w, const ts_trace_requirement *rows, size_t n, ts_error *err);

/* Appends one row to the messages / jobs table. Rows are buffered in a
 * fixed block and written a chunk at a time: no allocation per call. */
int ts_trace_append_message(ts_trace_writer *w, const ts_trace_message *row, ts_error *err);
int ts_trace_append_job(ts_trace_writer *w, const ts_trace_job *row, ts_error *err);
int ts_trace_append_link_state(ts_trace_writer *w, const ts_trace_link_state *row, ts_error *err);
int ts_trace_append_node_state(ts_trace_writer *w, const ts_trace_node_state *row, ts_error *err);
int ts_trace_append_core_state(ts_trace_writer *w, const ts_trace_core_state *row, ts_error *err);
int ts_trace_append_event(ts_trace_writer *w, const ts_trace_event *row, ts_error *err);

/* Flushes, closes, fsyncs and renames the file to its final name, then
 * frees w (also on failure, after removing the temporary file). */
int ts_trace_writer_commit(ts_trace_writer *w, ts_error *err);

/* Removes the temporary file and frees w; NULL is fine. */
void ts_trace_writer_abort(ts_trace_writer *w);

/* ---- Reading ---- */

/* A whole trace in memory; every array has its count. */
typedef struct ts_trace {
    int format_version;
    char *toposim_version;
    char *scenario_name;
    char *scenario_path;
    char *scenario_text;
    uint64_t seed;
    int64_t duration_ns;
    ts_trace_node *nodes;               size_t n_nodes;
    ts_trace_link *links;               size_t n_links;
    ts_trace_component *components;     size_t n_components;
    ts_trace_topic *topics;             size_t n_topics;
    ts_trace_placement *placement;      size_t n_placement;
    ts_trace_requirement *requirements; size_t n_requirements;
    ts_trace_message *messages;         size_t n_messages;
    ts_trace_job *jobs;                 size_t n_jobs;
    ts_trace_link_state *link_state;    size_t n_link_state;
    ts_trace_node_state *node_state;    size_t n_node_state;
    ts_trace_core_state *core_state;    size_t n_core_state;
    ts_trace_event *events;             size_t n_events;
} ts_trace;

/* Reads a trace, checking the format version and each table's type and
 * row indices. On success the caller frees *out with ts_trace_free; on
 * failure *out is NULL and err says what is wrong with which dataset. */
int ts_trace_load(const char *path, ts_trace **out, ts_error *err);

/* Frees a loaded trace; NULL is fine. */
void ts_trace_free(ts_trace *trace);

#endif
