/*
 * Scenario loading: reads a scenario XML file (and the hardware models it
 * names from models/), validates it against the XSD in scenarios/schema/,
 * checks it for meaning (dangling or duplicate ids, impossible values,
 * nodes no link reaches) and returns it as plain data. Every error names
 * file:line and what was expected. The ts_scenario owns all its memory.
 */
#ifndef TOPOSIM_SCENARIO_H
#define TOPOSIM_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "toposim/error.h"

/* Where a node sits: on a robot, at the edge, in the cloud, or in the
 * network only (access points, routers, which forward but never compute). */
typedef enum {
    TS_TIER_ROBOT = 0,
    TS_TIER_EDGE = 1,
    TS_TIER_CLOUD = 2,
    TS_TIER_NETWORK = 3
} ts_tier;

typedef enum {
    TS_NODE_COMPUTER = 0,  /* a robot's on-board computer */
    TS_NODE_JETSON = 1,    /* an NVIDIA Jetson board (on a robot) */
    TS_NODE_SERVER = 2,    /* a server in an edge rack */
    TS_NODE_CLOUD = 3,     /* a node (or pool) in a cloud region */
    TS_NODE_SWITCH = 4     /* access point, switch or router */
} ts_node_kind;

/* Component flags, as written in the scenario's flags="..." list. */
#define TS_FLAG_REAL_TIME_CRITICAL 0x1u
#define TS_FLAG_COMPUTATION_HEAVY 0x2u
#define TS_FLAG_DATA_PROCESSING 0x4u
#define TS_FLAG_SAFETY_CRITICAL 0x8u

/* A robot, edge rack or cloud region: the group its nodes belong to. */
typedef struct ts_scenario_site {
    char *id;
    ts_tier tier;
    int line;
} ts_scenario_site;

typedef struct ts_scenario_node {
    char *id;
    ts_node_kind kind;
    ts_tier tier;
    int site;               /* index into sites, -1 for network nodes */
    char *model;            /* model name it came from, or NULL if inline */
    int cores;              /* CPU cores (>= 1 for compute nodes, 0 switch) */
    int64_t memory_bytes;
    int gpus;
    int64_t gpu_memory_bytes; /* of each GPU; on a Jetson the same unified
                                 memory as memory_bytes, not extra */
    int line;
} ts_scenario_node;

/* A full-duplex point-to-point link: each direction has its own FIFO
 * drop-tail queue of queue_bytes and serialises at bandwidth_bps. */
typedef struct ts_scenario_link {
    char *id;
    int a, b;               /* node indices */
    char *model;            /* link model name, or NULL if inline */
    int64_t latency_ns;     /* propagation delay, >= 0 */
    double bandwidth_bps;   /* > 0 */
    int64_t queue_bytes;    /* > 0: bytes waiting or in transmission */
    int line;
} ts_scenario_link;

typedef struct ts_scenario_component {
    char *id;
    uint32_t flags;         /* TS_FLAG_* */
    int64_t period_ns;      /* > 0: a job is released every period */
    int64_t offset_ns;      /* first release, >= 0 */
    int64_t deadline_ns;    /* relative deadline, defaults to the period */
    int64_t exec_ns;        /* worst-case execution time, > 0 */
    int64_t exec_min_ns;    /* execution times are uniform in [min, exec];
                               equal to exec_ns when not given */
    int priority;           /* larger runs first on its node; default 0 */
    int64_t cpu_millicores; /* requested CPU, for placement */
    int64_t memory_bytes;
    int gpus;
    int pin;                /* node index from node="...", or -1 */
    int line;
} ts_scenario_component;

/* A topic published by one component at the end of its jobs. */
typedef struct ts_scenario_topic {
    char *id;
    int publisher;          /* component index */
    int *subscribers;       /* component indices, n_subscribers of them */
    size_t n_subscribers;
    int64_t size_bytes;     /* payload per sample, > 0 */
    int64_t period_ns;      /* publishing period; 0 = every publisher job */
    int64_t budget_ns;      /* end-to-end latency budget; 0 = none */
    int line;
} ts_scenario_topic;

typedef enum {
    TS_REQ_TOPIC_DEADLINE = 0,     /* fraction of samples within budget */
    TS_REQ_COMPONENT_DEADLINE = 1  /* fraction of jobs within deadline */
} ts_requirement_kind;

/* A gate: at least min_fraction of the target's items meet their deadline.
 * target is a topic or component index, or -1 for "every one of that kind". */
typedef struct ts_scenario_requirement {
    ts_requirement_kind kind;
    int target;
    double min_fraction;
    int line;
} ts_scenario_requirement;

typedef struct ts_scenario {
    char *path;             /* the file it was loaded from */
    char *name;
    char *text;             /* the document exactly as read */
    uint64_t seed;          /* default seed (--seed overrides) */
    int64_t duration_ns;    /* default simulated duration, > 0 */

    ts_scenario_site *sites;   size_t n_sites;
    ts_scenario_node *nodes;   size_t n_nodes;
    ts_scenario_link *links;   size_t n_links;
    ts_scenario_component *components; size_t n_components;
    ts_scenario_topic *topics; size_t n_topics;
    ts_scenario_requirement *requirements; size_t n_requirements;
} ts_scenario;

typedef struct ts_scenario_options {
    const char *models_dir;  /* NULL: search $TOPOSIM_MODELS, then models/
                                beside or above the scenario's folder, then
                                the installed share folder */
} ts_scenario_options;

/* Loads, schema-validates and meaning-checks path. On success *out owns a
 * scenario the caller frees with ts_scenario_free; on failure *out is NULL
 * and err names file:line and what was expected. opts may be NULL. */
int ts_scenario_load(const char *path, const ts_scenario_options *opts,
                     ts_scenario **out, ts_error *err);

/* Same, from a document in memory; `name` stands for the file in errors. */
int ts_scenario_load_memory(const char *text, size_t len, const char *name,
                            const ts_scenario_options *opts,
                            ts_scenario **out, ts_error *err);

/* Frees a scenario and everything it owns; NULL is fine. */
void ts_scenario_free(ts_scenario *scenario);

/* Index of the node/component/topic with that id, or -1. */
int ts_scenario_find_node(const ts_scenario *s, const char *id);
int ts_scenario_find_component(const ts_scenario *s, const char *id);
int ts_scenario_find_topic(const ts_scenario *s, const char *id);

/* Static names for enums, as written in scenarios and traces. */
const char *ts_tier_name(ts_tier tier);
const char *ts_node_kind_name(ts_node_kind kind);

#endif
