/*
 * The simulator's glue: turns a loaded scenario into a plan (placement by
 * the deployment code, plus a route for every topic), then builds the
 * platform models on the engine, runs the workload and writes the trace.
 * Data flows one way: scenario -> plan -> world -> trace.
 */
#ifndef TOPOSIM_WORLD_H
#define TOPOSIM_WORLD_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "toposim/deploy.h"
#include "toposim/error.h"
#include "toposim/scenario.h"

/* Where one component runs and why: a placement result as the deployment
 * code gave it, its reason kept at its own length (a result's fixed
 * 192-byte reason was most of a fleet plan's memory). */
typedef struct ts_plan_place {
    int node;                 /* chosen node index */
    unsigned char rule;       /* a ts_place_rule (a byte, and the one below:
                                 a fleet has an entry per robot) */
    unsigned char fell_back;  /* tiers moved outward from the rule's tier */
    uint16_t shared_gpu;      /* 1 + the node's GPU its share time-slices;
                                 0: none (in the padding: no growth) */
    uint64_t core_mask;       /* cores reserved on the node; 0: none */
    const char *reason;       /* into the plan's reason text; never NULL */
} ts_plan_place;

/* The model variant a component with model= runs on its node (README,
 * "Model variants"): the run takes its execution times from here. */
typedef struct ts_plan_variant {
    int variant;              /* index into its network's variants; -1:
                                 the component names no model */
    int meets;                /* 1: the estimate meets the deadline */
    int64_t exec_ns;          /* CPU part at the reference CPU clock */
    int64_t gpu_exec_ns;      /* GPU or DLA part at the reference GPU clock */
    int64_t response_ns;      /* estimate at the starting mode's clocks */
    int64_t memory_bytes;     /* its memory, resident with the component's */
    double power_w;           /* what its kernel draws at the reference GPU
                                 clock, in place of the GPU's gpu-dyn */
} ts_plan_variant;

/* Where each component runs and why. */
typedef struct ts_plan {
    size_t n_components;
    ts_plan_place *placement;    /* one per scenario component */
    char *reasons;               /* every reason, each 0-terminated, in
                                    component order */
    int *node_of;                /* placement[c].node, packed: the run asks
                                    it per message, and a 32-byte entry per
                                    component would cost a cache line each
                                    time at fleet scale */
    size_t n_nodes;
    struct ts_topology *topology; /* nodes, links and routing zones, built
                                    once and shared with the network
                                    model; owned by the plan */
    ts_plan_variant *variants;   /* one per component when any names a
                                    model=, else NULL; owned by the plan */
} ts_plan;

/* Places every component of s and checks that each topic's publisher can
 * reach each subscriber. On success the caller frees *out with
 * ts_plan_free; errors name the scenario file and the line of the
 * component or topic at fault. */
int ts_plan_new(const ts_scenario *s, ts_plan **out, ts_error *err);

/* Frees a plan; NULL is fine. */
void ts_plan_free(ts_plan *plan);

/* Fills usage[0 .. s->n_nodes) with what the plan's placement uses of
 * each node, as `toposim plan` prints it (worked out when asked: a run
 * never needs it, and a fleet's plan would keep 72 bytes a node). TS_OK,
 * or TS_ENOMEM or the deployment code's error in err. */
int ts_plan_usage(const ts_scenario *s, const ts_plan *plan, ts_place_usage *usage,
                  ts_error *err);

typedef struct ts_run_options {
    const char *trace_path;  /* final trace file name (required) */
    int override_seed;       /* use `seed` instead of the scenario's */
    uint64_t seed;
    int64_t duration_ns;     /* 0: the scenario's duration */
    const char *command_line;/* recorded in the trace's /meta; NULL: "" */
    const char *scenario_path; /* the path /meta records; NULL: the
                                  scenario's path as it was loaded */
    int stamp;               /* 1: the trace also records host and wall
                                time (it then differs between reruns) */
    /* Nonzero once the run must stop early (set from a signal handler):
     * the run returns TS_EINTR and leaves no trace, or with keep_partial
     * closes the trace as a valid one whose /meta finished is 0 (which
     * validate fails) and returns TS_OK with stats->interrupted set. */
    const volatile sig_atomic_t *interrupt;
    int keep_partial;
    int trace_compress;      /* a ts_trace_compress; 0: the default */
    int trace_level;         /* a ts_trace_level; 0: full */
    /* The rows a full trace keeps: "topic=NAME,component=NAME,...";
     * NULL or "": all (ts_world_run refuses a name the scenario lacks). */
    const char *trace_filter;
    int64_t trace_window_start_ns; /* with end > start >= 0: a full trace */
    int64_t trace_window_end_ns;   /* keeps rows sent or released in
                                      [start, end); end 0: no window */
    /* Called every few thousand events during the run with the simulated
     * time reached, the end and the events so far; NULL: none. */
    void (*progress)(void *ctx, int64_t now_ns, int64_t end_ns, uint64_t events);
    void *progress_ctx;
} ts_run_options;

typedef struct ts_run_stats {
    uint64_t seed;
    int64_t simulated_ns;
    uint64_t events;
    uint64_t messages, delivered, dropped;
    uint64_t jobs, missed_jobs;
    int interrupted;         /* stopped early by opts->interrupt */
} ts_run_stats;

/* Simulates s under plan and writes the trace to opts->trace_path (under a
 * temporary name until complete; nothing is left behind on failure).
 * stats may be NULL. */
int ts_world_run(const ts_scenario *s, const ts_plan *plan,
                 const ts_run_options *opts, ts_run_stats *stats,
                 ts_error *err);

#endif
