/*
 * The trace: an HDF5 file holding everything a run did, self-describing
 * (units as attributes, a format version on the root) and readable with
 * h5dump, h5py or pandas without toposim. The writer fills it under a
 * temporary name and renames it only when complete; the reader checks
 * version, types and sizes before trusting anything, and is all that the
 * validator and report see of a run: every deployment fact a verdict
 * needs (failover groups, safe states, power budgets, QoS matches...) is
 * in the trace, so the validator never reads the scenario.
 *
 * Layout (format version TS_TRACE_FORMAT_VERSION):
 *   /                 attrs: format, format_version, toposim_version
 *   /meta             attrs: scenario_name, scenario_path, seed,
 *                            duration_ns, toposim_version;
 *                     since version 3 also: command_line (the command
 *                            that reproduces the run: "toposim run", its
 *                            seed, duration and models options and the
 *                            scenario, without output options), git_revision
 *                            (`git describe --always --dirty` of the build),
 *                            finished (int32, 1: the run reached its end),
 *                            requirements_declared (int32, 1: the scenario
 *                            has a <requirements> element with any gate);
 *                            and only in a run stamped on purpose
 *                            (toposim run --stamp): host, started_utc
 *                            (ISO 8601), wall_time_ns (int64);
 *                     since version 4 also: trace_level ("full" or
 *                            "summary"), trace_filter (the rows a full
 *                            trace keeps: "" for all, else a comma list
 *                            of topic=NAME and component=NAME),
 *                            trace_window_start_ns and trace_window_end_ns
 *                            (int64: the send or release times whose rows
 *                            a full trace keeps; -1: no bound),
 *                            summary_window_ns (int64: the summary level's
 *                            window length; 0 at the full level);
 *                     since version 5 also: state_window_ns (int64: the
 *                            length of the summary level's node and link
 *                            windows, a whole number of sample periods;
 *                            0 at the full level);
 *                     dataset scenario_text (the scenario document)
 *   static tables (the scenario and plan, written once):
 *     /nodes /links /components /topics /placement /requirements  (v1)
 *     /sites /power_modes /versions /failover_groups /failover_backups
 *     /subscriptions /services /service_replicas /clients /fleets
 *     /rollouts /expects                                            (v3)
 *     /chains                                                       (v6)
 *   row tables (appended while the run goes):
 *     /messages /jobs (v1), /link_state /node_state /core_state
 *     /events (v2), /component_state (v3), /topic_windows /job_windows
 *     /histogram_buckets (v4: the summary level, empty in a full trace)
 *     /chain_instances (v6: one row per output of a processing chain and
 *                     per chain input dropped on the way, at both levels)
 *     /power_limits (v6, static: the modes' over-current limits)
 *     /node_windows /link_windows (v5: the summary level's node and link
 *                     state per window, empty in a full trace; a summary
 *                     trace then has no /node_state, /link_state or
 *                     /core_state rows)
 *     /medium_state (v6: each shared medium's transmitter per sample at
 *                     the full level, per state window at the summary
 *                     level; /media (v6) is its static table)
 *                     compound tables, chunked and deflate-compressed,
 *                     each column's unit in attribute "units" (as
 *                     "column=unit;...") and per-column attributes.
 * Indices in rows refer to row numbers of the named table (0-based), and
 * core_state.core to a core of its node (0 to cores - 1); the node, link
 * and component columns of /events hold -1 when not applicable.
 * Version 2 added link_state, node_state, core_state and events (always
 * present, possibly empty) and message statuses 4 to 6.
 * Version 3 added the tables marked v3 above, the /meta attributes listed,
 * columns at the end of /nodes, /components, /placement and /requirements
 * (marked "v3" below) and the requirement kinds beyond the two deadlines.
 * Version 4 added the summary level: its three tables, the /meta
 * attributes listed, and in a summary trace /messages and /jobs keep only
 * the rows the windows do not hold (see ts_trace_topic_window).
 * Version 5 added /node_windows and /link_windows and the /meta attribute
 * state_window_ns: a summary trace of version 5 holds its node and link
 * state as windows (ts_trace_node_window) instead of rows per sample.
 * Version 6 added /chains and /chain_instances (processing chains and
 * their end-to-end cause-effect timestamps, see ts_trace_chain_instance),
 * /power_limits (the power modes' over-current limits), and /media and
 * /medium_state: a shared medium's air time, which /link_state splits
 * among its links' directions (the medium column at the end of /links
 * names a link's medium).
 * The reader loads versions 1 to 5: tables newer than the file come back
 * empty, newer columns with the default each field's comment gives, and
 * the newer /meta attributes as: command_line "", git_revision "unknown",
 * finished 1 (older writers committed only finished runs),
 * requirements_declared 1 when /requirements has rows, host and
 * started_utc NULL, wall_time_ns -1, trace_level "full", trace_filter "",
 * the window bounds -1, summary_window_ns 0 and state_window_ns 0 (a
 * summary trace of version 4 keeps its state rows, which the validator and
 * the report read as at the full level).
 * In detail: format and the other strings are scalar fixed-length ASCII
 * attributes, format_version, finished and requirements_declared scalar
 * int32, seed a scalar uint64, duration_ns and wall_time_ns scalar int64;
 * scenario_text is a scalar fixed-length string dataset. Each table is a
 * one-dimensional compound dataset with unlimited extent, shuffle +
 * deflate, present even with zero rows, its members the struct fields
 * below (same names, packed without padding, name fields as fixed-length
 * NUL-terminated strings of the array size). Besides "units" (listing
 * only columns that have a unit) each table has "description", and per
 * column "<column>_description" and, where the column has a unit,
 * "<column>_unit". No object stores a modification time, and nothing
 * that varies between equal runs is written unless stamped, so equal runs
 * (same scenario, seed and options, same build) give identical bytes,
 * wherever the file is written.
 */
#ifndef TOPOSIM_TRACE_H
#define TOPOSIM_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "toposim/error.h"
#include "toposim/histogram.h"

#define TS_TRACE_FORMAT_VERSION 6
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
    /* v3 (older files: site_row -1, temperatures NaN, power_mode "") */
    int32_t site_row;       /* row of /sites, -1 for network nodes */
    double throttle_c;      /* die temperature that engages throttling;
                               NaN without a thermal model */
    double shutdown_c;      /* die temperature that stops the node; NaN
                               without a thermal model */
    char power_mode[32];    /* power mode at the start ("" without modes);
                               its budget is in /power_modes */
} ts_trace_node;

typedef struct ts_trace_link {
    char name[TS_TRACE_NAME_LEN];
    int32_t node_a, node_b;
    int64_t latency_ns;
    double bandwidth_bps;
    int64_t queue_bytes;
    /* v6 (older files: -1) */
    int32_t medium;         /* row of /media the link's air time belongs
                               to; -1: its own wire */
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
    /* v3 (older files: robot, backup_of, replica_of -1; the rest 0 or "") */
    int32_t robot;          /* row of /sites: the robot it belongs to (its
                               fleet copy's robot, else the robot of the
                               node it is placed on); -1: none */
    int32_t needed;         /* 1: its robot needs it (safety-critical
                               implies it): losing every live replica must
                               lead to the robot's safe state; with robot
                               -1 (shared, e.g. on the edge) every robot
                               that declares a safe state needs it */
    int32_t backup_of;      /* primary's row of /components, or -1 */
    int32_t replica_of;     /* a service replica: the first replica's row,
                               or -1 */
    char isolation[16];     /* "none", "core", "node" or "highest" */
    char zone[TS_TRACE_NAME_LEN]; /* security zone id, "" for none */
    int32_t n_versions;     /* rows of /versions it has (>= 1) */
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
    /* v3 (older files: 0) */
    uint64_t reserved_cores;/* cores of its node reserved for it (bit i =
                               core i; nothing else runs there); 0: none */
    int32_t fell_back;      /* tiers moved outward from its rule's tier */
} ts_trace_placement;

/* A gate the run is judged by, as declared in the scenario's
 * <requirements>. Whether the scenario declared any at all is the /meta
 * attribute requirements_declared: with none the validator applies its
 * defaults (fails closed), it never passes on zero gates.
 *
 * kind               target_table  threshold (NaN: none)
 * topic-deadline     topics        least fraction of samples within budget
 * component-deadline components    least fraction of jobs within deadline
 * failover           components    NaN: every failover of the group whose
 *                                  primary is target completes within its
 *                                  failover_budget_ns (/failover_groups)
 * safe-state         sites         NaN: every loss of a needed component
 *                                  reaches the robot's safe state within
 *                                  its safe_state_budget_ns (/sites)
 * safety-coverage    ""            least safety coverage, fraction 0..1
 * health             ""            least health score, 0..100
 * integration        ""            NaN: every integration check passes
 * rollout            rollouts      NaN: the rollout reaches "complete"
 * qos-deadline       topics        most DDS offered/requested deadline
 *                                  missed events allowed (default 0)
 * service            services      least fraction of requests answered
 * thermal-headroom   nodes         least margin, degC, between the die
 *                                  temperature and throttle_c
 * power-budget       nodes         NaN: mean power per sample within the
 *                                  budget_w of the power mode in force
 * target -1 means every row of target_table (and for target_table "" it
 * is always -1). */
typedef struct ts_trace_requirement {
    char kind[32];          /* one of the kinds above (v1, v2: only the
                               two deadlines) */
    int32_t target;         /* row of target_table, -1 = all */
    double min_fraction;    /* the two deadline kinds, safety-coverage and
                               service: equal to threshold; others 0 */
    /* v3 (older files: target_table "topics"/"components" by kind,
       threshold = min_fraction, line 0) */
    char target_table[16];  /* "topics", "components", "sites",
                               "rollouts", "services", "nodes" or "" */
    double threshold;       /* see the table above */
    int32_t line;           /* line of the scenario document; 0: unknown */
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

/* A processing chain (v6): components alternating with the topics
 * between them, its stages in order as ids joined by single spaces
 * ("camera_driver camera_image vision_processing"), first and last the
 * components whose jobs take the input and give the output. */
#define TS_TRACE_STAGES_LEN 512
typedef struct ts_trace_chain {
    char name[TS_TRACE_NAME_LEN];
    int64_t budget_ns;      /* end-to-end budget on each output's data age */
    int32_t n_stages;       /* components and topics, odd, >= 3 */
    int32_t first;          /* row of /components: the input stage */
    int32_t last;           /* row of /components: the output stage */
    char stages[TS_TRACE_STAGES_LEN];
} ts_trace_chain;

/* One chain instance (v6), in the order outputs happened per chain. Not
 * dropped: an output of the chain's last stage, input_ns the release of
 * the first stage's job whose data it carries, output_ns the end of the
 * last stage's job (data age = output_ns - input_ns; Becker et al. 2016).
 * Dropped: an input whose data a topic-triggered stage never ran for (a
 * sample overwritten in its KEEP_LAST queue), output_ns -1. */
typedef struct ts_trace_chain_instance {
    int32_t chain;          /* row of /chains */
    int32_t dropped;        /* 0 or 1 */
    int64_t input_ns;
    int64_t output_ns;      /* -1 when dropped */
} ts_trace_chain_instance;

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
    int32_t throttle_level; /* 0: none; bits 1 thermal, 2 over-current */
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

/* ---- Version 3 static tables ---- */

/* A robot, edge rack or cloud region. */
typedef struct ts_trace_site {
    char name[TS_TRACE_NAME_LEN];
    char tier[16];          /* robot, edge or cloud */
    double battery_wh;      /* robots: capacity; 0: no battery */
    int32_t safe_state_category; /* robots: IEC 60204-1 stop category 0, 1
                               or 2 entered when a needed component has no
                               live replica; -1: none declared */
    int64_t safe_state_budget_ns; /* time allowed to reach it: as declared
                               (safe-state-budget=), else the default
                               TS_TRACE_SAFE_STATE_BUDGET_NS when a
                               category is declared; 0 without category */
    int32_t budget_declared;/* 1: safe_state_budget_ns was declared */
    int32_t fleet;          /* row of /fleets that made it, or -1 */
    int32_t fleet_member;   /* its number within the fleet (0 = the
                               template robot), or -1 */
} ts_trace_site;

/* Budget assumed for a declared safe state without safe-state-budget=. */
#define TS_TRACE_SAFE_STATE_BUDGET_NS 200000000LL

/* A power mode a node can run in (as Jetson's nvpmodel). */
typedef struct ts_trace_power_mode {
    int32_t node;           /* row of /nodes */
    char name[32];          /* as node_state.power_mode names it */
    int32_t online_cores;   /* 0: all */
    double cpu_max_hz;      /* 0: the reference clock */
    double gpu_max_hz;
    double budget_w;        /* the mode's power budget; 0: none */
    int32_t initial;        /* 1: the node starts in this mode */
} ts_trace_power_mode;

/* The over-current limits of a node's power mode (v6; only the modes
 * that declare one have a row). */
typedef struct ts_trace_power_limit {
    int32_t node;           /* row of /nodes */
    char mode[32];          /* as /power_modes names it */
    double oc_limit_w;      /* throttled above this input power */
    double oc_release_w;    /* released at or below this */
    double oc_scale;        /* clock multiplier while throttled */
} ts_trace_power_limit;

/* A version of a component (index 0 is the declared one). */
typedef struct ts_trace_version {
    int32_t component;      /* row of /components */
    int32_t index;          /* as component_state.version counts */
    char name[32];          /* "v1", "v2"... */
    int64_t period_ns;      /* in force with this version */
    int64_t exec_ns;
} ts_trace_version;

/* A failover group: a monitored primary with at least one backup. */
typedef struct ts_trace_failover_group {
    int32_t primary;        /* row of /components */
    char detector[16];      /* "timeout" or "phi" */
    int64_t heartbeat_ns;   /* heartbeat period */
    int32_t misses;         /* timeout detector: missed heartbeats */
    double phi_threshold;   /* phi detector: suspicion threshold */
    int64_t failover_budget_ns; /* fault to a backup serving; 0: none */
    int32_t core_redundancy;/* 1: members may share a node, not a core */
    int32_t n_backups;      /* its rows in /failover_backups */
} ts_trace_failover_group;

/* A backup of a failover group, in takeover order. */
typedef struct ts_trace_failover_backup {
    int32_t group;          /* row of /failover_groups */
    int32_t component;      /* row of /components */
    int32_t rank;           /* 0: first to take over */
    char standby[8];        /* "hot", "warm" or "cold" */
    int64_t takeover_ns;    /* decision to serving */
} ts_trace_failover_backup;

/* One topic subscription: the topic's writer and one subscriber's reader,
 * their QoS and whether they match (DDS request-versus-offered). */
typedef struct ts_trace_subscription {
    int32_t topic;          /* row of /topics */
    int32_t subscriber;     /* row of /components */
    int32_t has_qos;        /* 0: plain delivery without the DDS layer (the
                               QoS columns then hold the defaults) */
    char writer_reliability[16]; /* "RELIABLE" or "BEST_EFFORT" */
    char reader_reliability[16];
    char writer_durability[16];  /* "VOLATILE" or "TRANSIENT_LOCAL" */
    char reader_durability[16];
    int64_t writer_deadline_ns;  /* offered deadline; 0: none */
    int64_t reader_deadline_ns;  /* requested deadline; 0: none */
    int32_t matched;        /* 1: the writer's offer satisfies the reader */
    char incompatible_policy[16]; /* first failing policy ("RELIABILITY",
                               "DURABILITY", "DEADLINE", "LIVELINESS"),
                               "" when matched */
    int32_t allowed;        /* 1: the access policy lets the publisher
                               send this topic to the subscriber */
} ts_trace_subscription;

/* A request/response service. */
typedef struct ts_trace_service {
    char name[TS_TRACE_NAME_LEN];
    int32_t n_replicas;     /* its rows in /service_replicas */
    char balance[24];       /* "round_robin" or "least_outstanding" */
    int64_t timeout_ns;     /* request timeout */
    int64_t health_period_ns; /* 0: no health checks */
} ts_trace_service;

typedef struct ts_trace_service_replica {
    int32_t service;        /* row of /services */
    int32_t component;      /* row of /components */
} ts_trace_service_replica;

/* A component calling a service, with its counts at the end of the run
 * (from the run's response, request_timeout, request_rejected and
 * request_no_replica events). */
typedef struct ts_trace_client {
    int32_t component;      /* row of /components */
    int32_t service;        /* row of /services */
    int64_t period_ns;      /* calling period; 0: once per job of its
                               component (per="job") */
    uint64_t requests;      /* calls with an outcome: the four below */
    uint64_t answered;
    uint64_t timeouts;
    uint64_t rejected;      /* too many requests in flight */
    uint64_t no_replica;    /* no live replica to send it to */
} ts_trace_client;

/* A fleet: copies of a template robot (their /sites rows carry fleet and
 * fleet_member). */
typedef struct ts_trace_fleet {
    char name[TS_TRACE_NAME_LEN];
    int32_t template_site;  /* row of /sites */
    int32_t count;          /* robots, the template included */
    int32_t coordinator;    /* row of /components, or -1 */
} ts_trace_fleet;

/* A rollout of a component version across a fleet's robots. */
typedef struct ts_trace_rollout {
    int32_t component;      /* row of /components: the template's copy */
    int32_t to_version;     /* index into its versions (/versions) */
    char to_name[32];       /* that version's name */
    int64_t start_ns;
    int32_t robots;         /* robots it covers */
    int32_t canaries;       /* robots updated first (clamped to robots) */
    int64_t soak_ns;        /* canary soak */
    int32_t wave;           /* robots per later wave */
    int64_t wave_soak_ns;   /* each wave's soak */
    double max_miss_fraction;
    int64_t expected_end_ns;/* when it completes if every stage passes:
                               start + the soaks of all its stages */
} ts_trace_rollout;

/* An <expect>: an event the scenario provokes on purpose. It must occur
 * between min_count and max_count times (matching kind, and component
 * and node unless -1); such events then do not fail the run by default. */
typedef struct ts_trace_expect {
    char event[32];         /* an /events kind, e.g. "rollout_abort" */
    int32_t component;      /* row of /components, -1: any */
    int32_t node;           /* row of /nodes, -1: any */
    int64_t min_count;      /* default 1 */
    int64_t max_count;      /* -1: no upper bound */
    int32_t line;           /* line of the scenario document */
} ts_trace_expect;

/* ---- Version 3 row table ---- */

/* Run states of component_state.run (as runtime.h's ts_rt_run_state). */
enum {
    TS_TRACE_RUN_STOPPED = 0,  /* not running: cold standby, stopped */
    TS_TRACE_RUN_STANDBY = 1,  /* running, not serving: warm/hot standby */
    TS_TRACE_RUN_ACTIVE = 2    /* serving (unless its process is down) */
};

/* A change of a component's state, one row each time any column changes.
 * Before its first row a component is alive, ACTIVE, serving, version 0,
 * not in safety mode. */
typedef struct ts_trace_component_state {
    int64_t time_ns;
    int32_t component;      /* row of /components */
    int32_t serving;        /* 1: it publishes its topics and answers */
    int32_t run;            /* TS_TRACE_RUN_* as the deployment code set it */
    int32_t alive;          /* 0: its process (or node) is down */
    int32_t version;        /* index into its versions (a backup: its primary's) */
    int32_t safety_mode;    /* 1: reduced functionality (a backup serving
                               with conservative parameters) */
} ts_trace_component_state;

/* ---- Version 4 row tables: the summary level ---- */

/* Levels of detail of a trace. full: a row per message and job. summary:
 * per item and window, counts and a log-bucketed histogram (histogram.h),
 * no row per message or job but those the windows cannot hold. */
typedef enum ts_trace_level {
    TS_TRACE_LEVEL_FULL = 0,
    TS_TRACE_LEVEL_SUMMARY = 1
} ts_trace_level;

/* "full" or "summary" as a ts_trace_level; -1 for anything else. */
int ts_trace_level_parse(const char *name);
/* The name of a ts_trace_level. */
const char *ts_trace_level_name(int level);

/* The samples of one topic from its publisher to one subscriber whose
 * send time lies in [start_ns, end_ns), counted by status. Windows of one
 * subscription do not overlap. A window is cut at every multiple of
 * summary_window_ns and, for a subscriber in a failover group, at every
 * change of a group member's state, so each of its samples counts for the
 * group, or not, as its first does. Kept out of the windows, as rows of
 * /messages: samples in flight at the end, samples of a failover group's
 * subscriber that missed (the validator places each in its failover
 * window), and samples that completed after their window was written. */
typedef struct ts_trace_topic_window {
    int32_t topic;          /* row of /topics */
    int32_t publisher;      /* row of /components */
    int32_t subscriber;     /* row of /components */
    int64_t start_ns;       /* first send time it may hold */
    int64_t end_ns;         /* > start_ns: send times before it */
    uint64_t delivered;     /* TS_MSG_DELIVERED */
    uint64_t met;           /* delivered within the topic's budget (all
                               delivered when it has none) */
    uint64_t dropped_queue; /* the other statuses, as /messages has them */
    uint64_t no_route;
    uint64_t lost;
    uint64_t link_down;
    uint64_t receiver_down;
    int64_t max_latency_ns; /* -1 when none delivered */
    uint64_t hist_first;    /* its first row of /histogram_buckets */
    int32_t hist_buckets;   /* its rows there: the latencies of the
                               delivered samples, by bucket */
} ts_trace_topic_window;

/* The finished jobs of one component on one node released in [start_ns,
 * end_ns), cut at every multiple of summary_window_ns. Unfinished jobs,
 * and jobs finished after their window was written, stay rows of /jobs. */
typedef struct ts_trace_job_window {
    int32_t component;      /* row of /components */
    int32_t node;           /* row of /nodes */
    int64_t start_ns;
    int64_t end_ns;         /* > start_ns */
    uint64_t finished;      /* jobs finished */
    uint64_t met;           /* finished by their deadline */
    int64_t max_response_ns;/* -1 when none finished */
    uint64_t hist_first;    /* its first row of /histogram_buckets */
    int32_t hist_buckets;   /* its rows there: response times by bucket */
} ts_trace_job_window;

/* ---- Version 5 row tables: the summary level's node and link state ---- */

/* One compute node over a window of samples: the samples whose time lies
 * in (start_ns, end_ns] (each covers the sample period before it). A
 * window ends at every multiple of state_window_ns, at the run's end and
 * when the node's power mode changes, so every sample of a window has the
 * window's power mode. Maxima and minima are those of the samples, exact;
 * sums are the samples' values added in time order. */
typedef struct ts_trace_node_window {
    int32_t node;           /* row of /nodes */
    int32_t samples;        /* > 0 */
    int64_t start_ns;       /* the sample time before its first sample */
    int64_t end_ns;         /* its last sample's time, > start_ns */
    int32_t up_samples;     /* samples with the node up */
    int32_t up_at_end;      /* the last sample's up */
    double cpu_util_sum;    /* cpu_util summed over the samples with the
                               node up (mean: / up_samples) */
    double gpu_util_sum;    /* the same for gpu_util */
    double cpu_util_max;    /* greatest cpu_util, 0 at least */
    double gpu_util_max;
    int64_t memory_max_bytes;
    double temp_die_max_c;  /* greatest finite temp_die_c; NaN: none */
    double temp_case_max_c; /* greatest finite temp_case_c; NaN: none */
    int64_t throttled_ns;   /* sample periods that ended throttled */
    double cpu_freq_min_hz; /* least clock at a sample */
    double gpu_freq_min_hz;
    double power_max_w;     /* greatest finite power_w; NaN: none */
    double energy_j;        /* cumulative at end_ns (mean power over the
                               window: the difference from the previous
                               window's over the window's length) */
    double battery_wh;      /* at end_ns, -1 if none */
    double battery_min_wh;  /* least at a sample, -1 if none */
    char power_mode[32];    /* every sample's power mode ("" without) */
} ts_trace_node_window;

/* One link direction over a window of samples, cut as node windows are
 * (but not by power modes). */
typedef struct ts_trace_link_window {
    int32_t link;           /* row of /links */
    int32_t direction;      /* 0: node_a -> node_b, 1: node_b -> node_a */
    int64_t start_ns;
    int64_t end_ns;
    int32_t samples;        /* > 0 */
    int32_t up_samples;     /* samples with the link up */
    double utilisation_sum; /* utilisation summed over the samples */
    double utilisation_max;
    int64_t queue_max_bytes;/* greatest queue at a sample */
    int64_t queue_sum_bytes;/* queue_bytes summed over the samples (mean
                               queueing delay: / samples / bandwidth) */
    uint64_t sent_packets;  /* during the window */
    uint64_t dropped_packets;
    uint64_t lost_packets;
} ts_trace_link_window;

/* A shared medium (v6): a Wi-Fi access point's air time or a cell; the
 * links attached to it share one transmitter and one queue. */
typedef struct ts_trace_medium {
    char name[TS_TRACE_NAME_LEN];
    double capacity_bps;    /* as declared (a profile or a medium-change
                               fault may change it during the run) */
    int64_t latency_ns;     /* added to each attached link's own */
    int64_t queue_bytes;    /* the shared queue */
    int32_t links;          /* links attached to it */
} ts_trace_medium;

/* A medium's shared transmitter over a window ending at time_ns (v6):
 * one row per medium and sample period at the full level, per state
 * window (state_window_ns) at the summary level (a medium per access
 * point: few rows either way). */
typedef struct ts_trace_medium_state {
    int32_t medium;         /* row of /media */
    int64_t time_ns;        /* end of the window */
    int64_t window_ns;      /* its length */
    double utilisation;     /* air time busy over the window, 0..1: the
                               sum of its links' directions' utilisation */
    int64_t queue_bytes;    /* waiting or in transmission at time_ns */
    int32_t queue_packets;
    uint64_t sent_packets;  /* during the window, over all its links */
    uint64_t dropped_packets; /* shared queue full, during the window */
    uint64_t lost_packets;  /* loss model or a link down, during the window */
} ts_trace_medium_state;

/* Folding state samples into windows: the one rule both the summary
 * writer (src/sim) and the reader of a large full trace (fold.c) follow,
 * so the two levels give the same windows. `open` starts an empty window
 * at start_ns with the sample's item; `add` folds a sample in (prev_ns:
 * the item's previous sample, for the time spent throttled). */
void ts_trace_node_window_open(ts_trace_node_window *w, const ts_trace_node_state *row,
                               int64_t start_ns);
void ts_trace_node_window_add(ts_trace_node_window *w, const ts_trace_node_state *row,
                              int64_t prev_ns);
void ts_trace_link_window_open(ts_trace_link_window *w, const ts_trace_link_state *row,
                               int64_t start_ns);
void ts_trace_link_window_add(ts_trace_link_window *w, const ts_trace_link_state *row);

/* A row of /histogram_buckets is a ts_hist_pair (histogram.h): a bucket
 * index (0 to TS_HIST_BUCKETS - 1) and a count > 0. The rows of one
 * window have increasing buckets and counts summing to its delivered
 * (finished) count. */

typedef struct ts_trace_meta {
    const char *scenario_name;
    const char *scenario_path;
    const char *scenario_text;
    uint64_t seed;
    int64_t duration_ns;
    /* v3 */
    const char *command_line;   /* what reproduces the run; NULL: "" */
    int requirements_declared;  /* 1: the scenario declared gates */
    int stamp;                  /* 1: also record host, start time and wall
                                   time (the file then differs per run) */
    int compress;               /* a ts_trace_compress; 0: the default */
    /* v4 */
    int level;                  /* a ts_trace_level */
    const char *filter;         /* as /meta trace_filter; NULL: "" */
    int64_t window_start_ns;    /* -1: none */
    int64_t window_end_ns;      /* -1: none */
    int64_t summary_window_ns;  /* the summary level's window; 0 at full */
    /* v5 */
    int64_t state_window_ns;    /* the summary level's node and link
                                   windows; 0 at full */
} ts_trace_meta;

/* How the tables are compressed (every chunk also carries a Fletcher-32
 * checksum, whatever the setting): none, deflate level 1 after a byte
 * shuffle (fast, the default), or deflate level 9 (max). make bench
 * prints each one's bytes and writing time per message. */
typedef enum {
    TS_TRACE_COMPRESS_DEFAULT = 0,
    TS_TRACE_COMPRESS_NONE = 1,
    TS_TRACE_COMPRESS_FAST = 2,
    TS_TRACE_COMPRESS_MAX = 3
} ts_trace_compress;

/* "none", "fast" or "max" as a ts_trace_compress; -1 for anything else. */
int ts_trace_compress_parse(const char *name);

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
int ts_trace_write_sites(ts_trace_writer *w, const ts_trace_site *rows, size_t n, ts_error *err);
int ts_trace_write_power_modes(ts_trace_writer *w, const ts_trace_power_mode *rows, size_t n, ts_error *err);
int ts_trace_write_power_limits(ts_trace_writer *w, const ts_trace_power_limit *rows, size_t n, ts_error *err);
int ts_trace_write_versions(ts_trace_writer *w, const ts_trace_version *rows, size_t n, ts_error *err);
int ts_trace_write_failover_groups(ts_trace_writer *w, const ts_trace_failover_group *rows, size_t n, ts_error *err);
int ts_trace_write_failover_backups(ts_trace_writer *w, const ts_trace_failover_backup *rows, size_t n, ts_error *err);
int ts_trace_write_subscriptions(ts_trace_writer *w, const ts_trace_subscription *rows, size_t n, ts_error *err);
/* Appends rows to /subscriptions, in as many calls as the caller likes
 * (a fleet's table need not be built whole in memory); not together with
 * ts_trace_write_subscriptions. The commit writes the last chunk. */
int ts_trace_add_subscriptions(ts_trace_writer *w, const ts_trace_subscription *rows, size_t n, ts_error *err);
int ts_trace_write_services(ts_trace_writer *w, const ts_trace_service *rows, size_t n, ts_error *err);
int ts_trace_write_service_replicas(ts_trace_writer *w, const ts_trace_service_replica *rows, size_t n, ts_error *err);
int ts_trace_write_clients(ts_trace_writer *w, const ts_trace_client *rows, size_t n, ts_error *err);
int ts_trace_write_fleets(ts_trace_writer *w, const ts_trace_fleet *rows, size_t n, ts_error *err);
int ts_trace_write_rollouts(ts_trace_writer *w, const ts_trace_rollout *rows, size_t n, ts_error *err);
int ts_trace_write_expects(ts_trace_writer *w, const ts_trace_expect *rows, size_t n, ts_error *err);
int ts_trace_write_chains(ts_trace_writer *w, const ts_trace_chain *rows, size_t n, ts_error *err);
int ts_trace_write_media(ts_trace_writer *w, const ts_trace_medium *rows, size_t n, ts_error *err);

/* Appends one row to the messages / jobs table. Rows are buffered in a
 * fixed block and written a chunk at a time: no allocation per call. */
int ts_trace_append_message(ts_trace_writer *w, const ts_trace_message *row, ts_error *err);
int ts_trace_append_job(ts_trace_writer *w, const ts_trace_job *row, ts_error *err);
int ts_trace_append_link_state(ts_trace_writer *w, const ts_trace_link_state *row, ts_error *err);
int ts_trace_append_node_state(ts_trace_writer *w, const ts_trace_node_state *row, ts_error *err);
int ts_trace_append_core_state(ts_trace_writer *w, const ts_trace_core_state *row, ts_error *err);
int ts_trace_append_event(ts_trace_writer *w, const ts_trace_event *row, ts_error *err);
int ts_trace_append_component_state(ts_trace_writer *w, const ts_trace_component_state *row,
                                    ts_error *err);
int ts_trace_append_node_window(ts_trace_writer *w, const ts_trace_node_window *row,
                                ts_error *err);
int ts_trace_append_link_window(ts_trace_writer *w, const ts_trace_link_window *row,
                                ts_error *err);
int ts_trace_append_chain_instance(ts_trace_writer *w, const ts_trace_chain_instance *row,
                                   ts_error *err);
int ts_trace_append_medium_state(ts_trace_writer *w, const ts_trace_medium_state *row,
                                 ts_error *err);

/* Appends a summary window and its histogram (n pairs with increasing
 * buckets), setting the row's hist_first and hist_buckets. */
int ts_trace_append_topic_window(ts_trace_writer *w, const ts_trace_topic_window *row,
                                 const ts_hist_pair *buckets, size_t n, ts_error *err);
int ts_trace_append_job_window(ts_trace_writer *w, const ts_trace_job_window *row,
                               const ts_hist_pair *buckets, size_t n, ts_error *err);

/* Marks the run as having reached its end: /meta finished is 1 in the
 * committed file. Without this call it is 0. */
void ts_trace_writer_set_finished(ts_trace_writer *w);

/* Writes finished (and, when stamped, host, started_utc and the wall
 * time since open), flushes, closes, fsyncs and renames the file to its
 * final name, then frees w (also on failure, after removing the temporary file). */
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
    char *command_line;                 /* v3; "" in older files */
    char *git_revision;                 /* v3; "unknown" in older files */
    int finished;                       /* 1: the run reached its end */
    int requirements_declared;          /* 1: the scenario declared gates */
    char *host;                         /* NULL unless stamped */
    char *started_utc;                  /* NULL unless stamped */
    int64_t wall_time_ns;               /* -1 unless stamped */
    int level;                          /* v4: a ts_trace_level */
    char *filter;                       /* v4: /meta trace_filter; "" */
    int64_t window_start_ns;            /* v4: -1 when none */
    int64_t window_end_ns;              /* v4: -1 when none */
    int64_t summary_window_ns;          /* v4: 0 at the full level */
    int64_t state_window_ns;            /* v5: 0 at the full level and in
                                           older files */
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
    /* v3; empty in older files */
    ts_trace_site *sites;               size_t n_sites;
    ts_trace_power_mode *power_modes;   size_t n_power_modes;
    /* v6; empty in older files */
    ts_trace_power_limit *power_limits; size_t n_power_limits;
    ts_trace_version *versions;         size_t n_versions;
    ts_trace_failover_group *failover_groups;   size_t n_failover_groups;
    ts_trace_failover_backup *failover_backups; size_t n_failover_backups;
    ts_trace_subscription *subscriptions;       size_t n_subscriptions;
    ts_trace_service *services;         size_t n_services;
    ts_trace_service_replica *service_replicas; size_t n_service_replicas;
    ts_trace_client *clients;           size_t n_clients;
    ts_trace_fleet *fleets;             size_t n_fleets;
    ts_trace_rollout *rollouts;         size_t n_rollouts;
    ts_trace_expect *expects;           size_t n_expects;
    ts_trace_component_state *component_state; size_t n_component_state;
    /* v4; empty in older files and at the full level */
    ts_trace_topic_window *topic_windows; size_t n_topic_windows;
    ts_trace_job_window *job_windows;   size_t n_job_windows;
    ts_hist_pair *histogram_buckets;    size_t n_histogram_buckets;
    /* v5; empty in older files and at the full level */
    ts_trace_node_window *node_windows; size_t n_node_windows;
    ts_trace_link_window *link_windows; size_t n_link_windows;
    /* v6; empty in older files */
    ts_trace_chain *chains;             size_t n_chains;
    ts_trace_chain_instance *chain_instances; size_t n_chain_instances;
    ts_trace_medium *media;             size_t n_media;
    ts_trace_medium_state *medium_state; size_t n_medium_state;
    /* Folded reading (below): > 0 when this full trace's per-row tables
     * were folded into the windows above while reading, windows of this
     * length; 0 when every row was loaded as stored. */
    int64_t folded_window_ns;
    uint64_t folded_rows;               /* the rows folded or checked */
} ts_trace;

/* Folded reading. A full trace whose per-row tables (/messages, /jobs,
 * /node_state, /link_state, /core_state) hold more rows together than
 * TS_TRACE_FOLD_ROWS is not loaded whole: each of those tables is read in
 * chunks (hyperslabs of whole file chunks, about 64 Ki rows, into one
 * buffer), every row checked as a loaded row is, and folded into the
 * summary level's structures per item and time window, so that memory
 * grows with the items (topic x publisher x subscriber, component x node,
 * nodes, link directions) and at most 64 windows each, not with the rows:
 * - /messages into /topic_windows with their /histogram_buckets, except
 *   the rows a summary trace also keeps: samples in flight at the end and
 *   every sample of a subscriber in a failover group (all samples when
 *   the trace records failovers without declaring groups);
 * - /jobs into /job_windows, except unfinished jobs;
 * - /node_state and /link_state into /node_windows and /link_windows, cut
 *   as the summary level's sampler cuts them (a node's window also at a
 *   change of power mode);
 * - /core_state, which neither the validator nor the report reads, is
 *   checked and dropped.
 * Windows are whole seconds, duration / 64 rounded up (1 s up to a 64 s
 * run). Counts, compliances and every health figure but the mean use
 * (sums added per window, equal within rounding) are then what the rows
 * give; percentiles come from the histograms, within TS_HIST_REL_ERROR.
 * The level stays "full"; folded_window_ns says it happened. */
#define TS_TRACE_FOLD_ROWS 4194304ULL

/* Sets the row count above which full traces are folded (default
 * TS_TRACE_FOLD_ROWS; 0 folds every full trace), for this process. */
void ts_trace_set_fold_rows(unsigned long long rows);

/* Reads a trace, checking the format version and each table's type and
 * row indices (and, from version 3, each requirement's kind against its
 * target_table, component_state's run and version, expects' bounds, and
 * /meta's finished and requirements_declared; from version 4 the level,
 * and each summary window's counts against its histogram; from version 5
 * each node and link window's span, sample counts, direction and sums,
 * and that windows and state rows are not both present; from version 6
 * each chain's budget, stage count and stage list against its first and
 * last component, and each chain instance's times). On success the caller
 * frees *out with ts_trace_free; on failure *out is NULL and err says
 * what is wrong with which dataset. The file is hostile input: it is read
 * first in a child process, so a crash or hang inside HDF5 comes back as
 * TS_EFORMAT "trace is corrupt"; a table claiming more rows than its
 * stored bytes can hold, or than half the memory this process may use,
 * is refused before anything is allocated; HDF5 checks the checksums of
 * the metadata and of every chunk the writer stored. */
int ts_trace_load(const char *path, ts_trace **out, ts_error *err);

/* 1 once HDF5 failed to close a trace file (a full disk): the library's
 * own exit handler would then crash, so a program must end with _exit
 * after flushing its streams. */
int ts_trace_library_unusable(void);

/* Frees a loaded trace; NULL is fine. */
void ts_trace_free(ts_trace *trace);

#endif
