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

#include "toposim/qos.h"
#include "toposim/dist.h"
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
/* (Fields are ordered so that no padding sits between them: a fleet has
 * one of these per robot, and likewise the node, component, link and
 * topic structs below.) */
typedef struct ts_scenario_site {
    char *id;
    unsigned char tier;         /* ts_tier */
    signed char safe_state_category; /* robots: IEC 60204-1 stop category
                                   0, 1 or 2 entered when a needed component
                                   has no live replica; -1: none declared */
    int fleet;                  /* index of the fleet that made it, or -1 */
    int fleet_member;           /* its number within the fleet, or -1 */
    int line;
    double battery_wh;          /* robots: battery capacity; 0 = no battery */
    double low_battery_fraction;/* event when the charge falls below this */
    int64_t safe_state_budget_ns; /* time allowed to reach it; 0: none */
    /* robots: a power manager (<power-manager>) choosing the power mode
     * of one of its nodes; see deploy_power.h for the rules */
    unsigned char power_manager;/* 1: the robot has one */
    int pm_node_pos;            /* its node: the robot's pm_node_pos-th node
                                   in document order (a fleet copy's is
                                   the copy of the template's) */
    int64_t pm_period_ns;       /* between decisions (default 1 s) */
    double pm_reserve_wh;       /* charge to keep at the end (default 0) */
    double pm_headroom_c;       /* thermal band (default 5 C; 0: off) */
    double pm_raise_util;       /* CPU use that raises the mode (0: never) */
} ts_scenario_site;

/* A power mode (as Jetson's nvpmodel): caps online cores and clocks. */
typedef struct ts_scenario_power_mode {
    char *name;
    int online_cores;           /* 0: all cores */
    double cpu_max_hz;          /* 0: the reference CPU clock */
    double gpu_max_hz;          /* 0: the reference GPU clock */
    double budget_w;            /* the mode's power budget; 0: none */
    double oc_limit_w;          /* over-current throttle above this input
                                   power; 0: none */
    double oc_release_w;        /* ... released at or below; 0: the limit */
} ts_scenario_power_mode;

/* Power = idle + per busy core dynamic + GPU dynamic, dynamic parts
 * scaling with (clock / reference clock)^dyn_exponent. */
typedef struct ts_scenario_power {
    double idle_w;
    double core_dyn_w;          /* one busy core at the reference clock */
    double gpu_dyn_w;           /* a busy GPU at the reference clock */
    double cpu_ref_hz;          /* clock at which exec times are given */
    double gpu_ref_hz;
    double dyn_exponent;        /* default 3 (P ~ f V^2 with V ~ f) */
    ts_scenario_power_mode *modes;
    size_t n_modes;
    int initial_mode;           /* index into modes, -1 without modes */
    double oc_scale;            /* clocks while over-current throttled,
                                   (0,1]; 0: the default (dynamics.h) */
} ts_scenario_power;

/* Two-node RC thermal model: die -> case/heatsink -> ambient. */
typedef struct ts_scenario_thermal {
    double r_die_case;          /* K/W */
    double r_case_ambient;      /* K/W, fan off */
    double r_case_ambient_fan;  /* K/W with the fan on; 0: no fan */
    double c_die;               /* J/K, > 0 */
    double c_case;              /* J/K; 0: single RC (die to ambient) */
    double throttle_c;          /* die temperature that engages throttling */
    double release_c;           /* ... and that releases it (< throttle_c) */
    double throttle_scale;      /* clock multiplier while throttled (0,1) */
    double fan_on_c, fan_off_c; /* fan hysteresis (fan models only) */
    double shutdown_c;          /* the node stops at this die temperature */
} ts_scenario_thermal;

typedef struct ts_scenario_node {
    char *id;
    int site;               /* index into sites, -1 for network nodes */
    int cores;              /* CPU cores (>= 1 for compute nodes, 0 switch) */
    int gpus;
    int line;
    unsigned char kind;     /* ts_node_kind */
    unsigned char tier;     /* ts_tier */
    unsigned char has_power;    /* power model present */
    unsigned char has_thermal;  /* thermal model present */
    unsigned char gpu_partition; /* gpu-sharing="partition": a share of
                                    one of its GPUs is a hard partition
                                    (MIG-style), not time slices */
    char *model;            /* model name it came from, or NULL if inline */
    int64_t memory_bytes;
    int64_t gpu_memory_bytes; /* of each GPU; on a Jetson the same unified
                                 memory as memory_bytes, not extra */
    int64_t gpu_timeslice_ns; /* time slice of a GPU shared by fractions
                                 (gpu-timeslice=); 0: the compute model's
                                 default */
    /* Never NULL (zero when has_power / has_thermal is 0). A fleet's
     * copies point at their template's, as they do at its model name:
     * the same on every robot, and 160 bytes a robot when copied. */
    ts_scenario_power *power;
    ts_scenario_thermal *thermal;
} ts_scenario_node;

/* A shared medium (a Wi-Fi access point's air time, a cell): every link
 * attached to it shares one transmitter of this capacity. Capacity and
 * latency may follow a declared profile. */
typedef struct ts_scenario_medium_point {
    int64_t at_ns;
    double capacity_bps;
    int64_t latency_ns;
} ts_scenario_medium_point;

typedef struct ts_scenario_medium {
    char *id;
    double capacity_bps;        /* > 0 */
    int64_t latency_ns;         /* added to each attached link's latency */
    int64_t queue_bytes;        /* the shared queue, > 0 */
    ts_scenario_medium_point *profile;
    size_t n_profile;           /* in increasing time */
    int line;
} ts_scenario_medium;

typedef enum {
    TS_LOSS_MODEL_NONE = 0,
    TS_LOSS_MODEL_BERNOULLI = 1,
    TS_LOSS_MODEL_GILBERT_ELLIOTT = 2
} ts_loss_model;

/* Per packet (fragment) loss on a link. Gilbert-Elliott given as "mean
 * loss" and "mean burst length" is stored as its four parameters
 * (loss_good = 0, loss_bad = 1, p_bad_good = 1/burst,
 * p_good_bad = p_bad_good * mean / (1 - mean)). */
typedef struct ts_scenario_loss {
    ts_loss_model model;
    double p;                   /* Bernoulli loss probability */
    double p_good_bad, p_bad_good; /* GE transitions per packet */
    double loss_good, loss_bad; /* GE loss probability per state */
} ts_scenario_loss;

/* A full-duplex point-to-point link: each direction has its own FIFO
 * drop-tail queue of queue_bytes and serialises at bandwidth_bps. */
typedef struct ts_scenario_link {
    char *id;
    int a, b;               /* node indices */
    char *model;            /* link model name, or NULL if inline */
    int64_t latency_ns;     /* propagation delay, >= 0 */
    double bandwidth_bps;   /* > 0 */
    int64_t queue_bytes;    /* > 0: bytes waiting or in transmission */
    int64_t queue_packets;  /* 0: no packet limit */
    int64_t mtu_bytes;      /* 0: no fragmentation */
    int64_t header_bytes;   /* per packet or fragment */
    /* Never NULL; a fleet's copies point at their template link's (the
     * same on every robot, and 112 bytes a robot when copied). */
    ts_dist *jitter;        /* extra delay per packet; kind NONE if absent
                               (histogram tables are not prepared here) */
    ts_scenario_loss *loss;
    int reorder_allowed;    /* 0: packets never overtake on this link */
    int medium;             /* medium index, or -1 */
    int line;
} ts_scenario_link;

typedef enum { TS_STANDBY_HOT = 0, TS_STANDBY_WARM = 1, TS_STANDBY_COLD = 2 } ts_standby;
typedef enum { TS_DETECT_TIMEOUT = 0, TS_DETECT_PHI = 1 } ts_detector;
typedef enum {
    TS_ISOLATION_NONE = 0,
    TS_ISOLATION_CORE = 1,      /* reserved cores of its own */
    TS_ISOLATION_NODE = 2,      /* a node of its own */
    TS_ISOLATION_HIGHEST = 3    /* a node of its own (and its cores) */
} ts_isolation;

/* How a backup serves: reduced functionality, conservative parameters. */
typedef struct ts_safety_mode {
    int64_t period_ns;          /* 0: the primary's period */
    int64_t exec_ns;            /* 0: the primary's execution time */
    char **param_names;         /* declared parameters, recorded as events */
    char **param_values;
    size_t n_params;
} ts_safety_mode;

/* A version of a component: what differs from the declared one. Zero
 * fields keep the declared value. */
typedef struct ts_scenario_version {
    char *id;                   /* "v1", "v2", ... */
    int64_t period_ns;
    int64_t exec_ns;
    int64_t exec_min_ns;
    int64_t cpu_millicores;
    int64_t memory_bytes;
    int line;
} ts_scenario_version;

/* When a component's jobs are released (README, "Triggers and arrivals"). */
typedef enum {
    TS_ARRIVAL_PERIODIC = 0,    /* every period from offset (a timer) */
    TS_ARRIVAL_POISSON = 1,     /* exponential gaps of mean period_ns */
    TS_ARRIVAL_SPORADIC = 2,    /* min_interarrival_ns plus a gap drawn
                                   from gap_dist */
    TS_ARRIVAL_TRIGGER = 3,     /* one job per sample of its trigger topic
                                   it receives */
    TS_ARRIVAL_BATCH = 4        /* one job at offset, run to completion (a
                                   batch or training job); its period is
                                   the run's duration */
} ts_arrival;

/* What of a component is the same on every robot of a fleet (nothing
 * changes it after the load): a fleet's copies point at their template's
 * (168 bytes a robot when copied, and three pointers less). */
/* A neural network's builds (models/dnn-NAME.xml; README, "Model
 * variants"): per variant its precision, engine and accuracy, and per
 * hardware model what it takes there. */
typedef struct ts_scenario_dnn_figures {
    char *module;           /* the hardware model (jetson-orin-nx-16gb) */
    int64_t exec_ns;        /* CPU part of one inference (pre- and
                               post-processing) at the module's reference
                               CPU clock, > 0 */
    int64_t accel_exec_ns;  /* GPU or DLA part at its reference GPU
                               clock, > 0 */
    int64_t memory_bytes;   /* engine and activations */
    double power_w;         /* power the module adds while it runs */
} ts_scenario_dnn_figures;

typedef enum { TS_DNN_FP32 = 0, TS_DNN_FP16 = 1, TS_DNN_INT8 = 2 } ts_dnn_precision;
typedef enum { TS_DNN_GPU = 0, TS_DNN_DLA = 1 } ts_dnn_engine;

typedef struct ts_scenario_dnn_variant {
    char *name;             /* "int8-gpu" */
    ts_dnn_precision precision;
    ts_dnn_engine engine;
    double accuracy;        /* in [0, 1], e.g. COCO mAP50-95 */
    ts_scenario_dnn_figures *on; /* per hardware model, n_on of them */
    size_t n_on;
} ts_scenario_dnn_variant;

typedef struct ts_scenario_dnn {
    char *name;             /* "yolov8s" */
    char *path;             /* the file it was read from */
    ts_scenario_dnn_variant *variants;
    size_t n_variants;
} ts_scenario_dnn;

/* The figures of variant v on hardware model `module`, or NULL when the
 * network's file gives none there (a DLA build on a module without a
 * DLA). */
const ts_scenario_dnn_figures *ts_scenario_dnn_on(const ts_scenario_dnn_variant *v,
                                                  const char *module);

/* Most <rate-step>s a client or an arrival process may have. */
#define TS_SCENARIO_RATE_STEPS 16

typedef struct ts_scenario_component_shared {
    /* Never NULL. */
    ts_dist *exec_dist;     /* <exec dist=...>: overrides exec/exec-min when
                               its kind is not NONE (exec_ns then holds its
                               largest value, or its mean when unbounded) */
    ts_safety_mode *safety; /* parameters a backup serves with */
    ts_dist *gap_dist;      /* Poisson (exponential, mean period_ns) and
                               sporadic arrivals: the gap drawn after
                               min_interarrival_ns; kind NONE otherwise */
    int64_t min_interarrival_ns; /* sporadic: least time between releases */
    int64_t period_ns;      /* > 0: a job is released every period; for
                               other arrivals their mean spacing (Poisson,
                               sporadic) or the trigger topic's period (its
                               rate=, else its publisher's), which the
                               deadline defaults to and placement uses */
    int64_t deadline_ns;    /* relative deadline, defaults to the period */
    int64_t exec_ns;        /* worst-case execution time, > 0 */
    int64_t memory_bytes;
    uint32_t flags;         /* TS_FLAG_* */
    int priority;           /* larger runs first on its node; default 0 */
    int gpus;
    int weight;             /* fair share weight; default 1024 */
    int64_t exec_min_ns;    /* execution times are uniform in [min, exec];
                               equal to exec_ns when not given */
    int64_t cpu_millicores; /* requested CPU, for placement */
    uint64_t affinity;      /* bit i: may run on core i; 0: any core */
    int64_t offset_ns;      /* first release, >= 0 */
    int64_t gpu_exec_ns;    /* GPU kernel time per job at the reference GPU
                               clock; 0: no GPU work */
    int64_t gpu_memory_bytes; /* gpu-memory=: on each of its whole GPUs, or
                               on the GPU its share is on */
    int gpu_share_milli;    /* gpus="0.25": a share of one time-sliced
                               GPU in thousandths (1..999; gpus is then
                               0); 0: none */
    int64_t takeover_ns;    /* backups: time from the decision to serving;
                               defaults hot 0, warm 5 ms, cold 500 ms */
    int64_t heartbeat_ns;   /* primaries: heartbeat period; 0: not monitored */
    double phi_threshold;   /* phi-accrual threshold, default 8 */
    int64_t failover_budget_ns; /* fault -> backup serving; 0: none */
    int misses;             /* fixed timeout: missed heartbeats, default 3 */
    ts_scenario_version *versions; /* versions[0] is the declared one */
    uint32_t n_versions;    /* of versions (a handful, declared in the
                               document) */
    /* Small values a byte each: */
    unsigned char policy;   /* 0: fifo (fixed priority, preemptive),
                               1: fair (weighted time sharing) */
    unsigned char reserve_cores; /* 1: its affinity cores run nothing else */
    unsigned char standby;  /* ts_standby; backups: hot, warm or cold */
    unsigned char detector; /* ts_detector; primaries: how backups decide
                               it failed */
    unsigned char core_redundancy; /* primary/backup may share a node but
                               not a core */
    unsigned char needed;   /* the robot needs it (safety-critical implies) */
    unsigned char isolation;/* ts_isolation: none, core, node, highest */
    unsigned char arrival;  /* ts_arrival */
    unsigned char n_rate_steps; /* of rate_steps */
    uint16_t gang_gpus;     /* a batch job's gpus= (whole GPUs held at once
                               while its GPU work runs, split across them;
                               gpus is then 0: placement reserves none) */
    /* Poisson and sporadic arrivals' <rate-step at= rate=>: from the
     * first gap drawn at or after at_ns on, every gap (least plus drawn)
     * is scaled by period_ns / the declared period_ns, so the mean rate
     * becomes rate= (a load ramp); in time order */
    struct {
        int64_t at_ns, period_ns;
    } rate_steps[TS_SCENARIO_RATE_STEPS];
    /* model= and variant= (README, "Model variants"): */
    uint16_t dnn;           /* 1 + its network in the scenario's dnns;
                               0: none (exec_ns and gpu_exec_ns then hold
                               the largest of its variants' figures) */
    uint16_t dnn_variant;   /* 1 + the variant variant= pins; 0: plan
                               chooses one per node */
} ts_scenario_component_shared;

typedef struct ts_scenario_component {
    char *id;
    /* Never NULL: timing, CPU and monitoring the same on every robot of
     * a fleet (see above) */
    ts_scenario_component_shared *shared;
    int pin;                /* node index from node="...", or -1 */

    /* Redundancy: a backup names its primary; the primary carries the
     * monitoring parameters. */
    int backup_of;          /* primary's component index, or -1 */
    int zone;               /* security zone index, or -1 */

    int replica_of;         /* a service replica: the first replica's index,
                               or -1 */
    int site;               /* robot it belongs to (fleet copies), or -1 */
    int fleet_template;     /* in a fleet: the template component's index
                               (its own for the template); else -1 */
    int fleet_member;       /* in a fleet: the robot's number (0 for the
                               template, K for the copy "_rK"); else -1 */
    int line;
    int trigger;            /* arrival trigger: the topic index whose
                               samples release its jobs (it subscribes to
                               it); else -1 */
    int process;            /* the <process> whose executor runs its
                               callbacks, or -1: a thread of its own */
    int64_t release_shift_ns; /* its first release comes this long after
                               shared->offset_ns: its phase plus its
                               robot's clock offset, folded into one period
                               when negative (README, "Fleet variety") */
} ts_scenario_component;

/* A ROS 2 executor (README, "Executors"). */
typedef enum {
    TS_EXECUTOR_SINGLE_THREADED = 0, /* rclcpp SingleThreadedExecutor */
    TS_EXECUTOR_MULTI_THREADED = 1,  /* rclcpp MultiThreadedExecutor */
    TS_EXECUTOR_EVENTS = 2           /* rclcpp EventsExecutor (FIFO) */
} ts_executor_kind;

/* A process: components whose callbacks one executor runs, on `threads`
 * threads (1 unless multi-threaded), all pinned to one node. */
typedef struct ts_scenario_process {
    char *id;
    int *components;            /* in the order listed: registration order */
    size_t n_components;
    int executor;               /* ts_executor_kind */
    int threads;
    int line;
} ts_scenario_process;

/* A topic published by one component at the end of its jobs. */
/* How a sample reaches a subscriber on its publisher's node (between
 * nodes it always crosses the network: UDP with fragmentation). Costs
 * and their sources are in src/sim/transport.c. */
typedef enum {
    TS_TRANSPORT_DEFAULT = 0,       /* a topic: the platform's same-node one */
    TS_TRANSPORT_SHM = 1,           /* shared memory (the default) */
    TS_TRANSPORT_UDP_LOOPBACK = 2,  /* UDP over the loopback interface */
    TS_TRANSPORT_INTRA_PROCESS = 3  /* one process: a pointer is passed */
} ts_transport_kind;

/* What a scenario may set the cost of (<transport><cost path="...">). */
typedef enum {
    TS_COST_SHM = 0,
    TS_COST_LOANED = 1,             /* shared memory with loaned messages */
    TS_COST_UDP_LOOPBACK = 2,
    TS_COST_INTRA_PROCESS = 3,
    TS_COST_SERIALISE = 4,          /* each of serialise and deserialise */
    TS_COST_PATHS = 5
} ts_cost_path;

/* A cost line: fixed + bytes x ps_per_byte / 1000 ns; -1 in either:
 * the built-in figure (src/sim/transport.c). */
typedef struct ts_scenario_cost {
    int64_t fixed_ns;
    int64_t ps_per_byte;
} ts_scenario_cost;

typedef struct ts_scenario_topic {
    char *id;
    int *subscribers;       /* component indices, n_subscribers of them */
    int64_t size_bytes;     /* payload per sample, > 0; with size_dist,
                               its largest value (its mean when unbounded) */
    const ts_dist *size_dist; /* <size dist=...>: each sample's payload is
                               drawn from it (bytes, rounded, at least 1);
                               NULL: every sample is size_bytes. Owned by
                               the topic; a fleet's copies share their
                               template's */
    int64_t period_ns;      /* publishing period; 0 = every publisher job */
    int64_t budget_ns;      /* end-to-end latency budget; 0 = none */
    /* Never NULL: all zero without qos=; a fleet's copies point at their
     * template topic's (the same on every robot, and 112 bytes a robot
     * when copied). */
    const ts_qos *writer_qos; /* what the publisher offers */
    const ts_qos *reader_qos; /* what the subscribers request */
    int publisher;          /* component index */
    int has_qos;            /* 0: no qos= given (plain best-effort delivery
                               as before QoS existed) */
    int line;
    uint32_t n_subscribers; /* at most the components, whose count is an
                               int (32 bits, not a size_t: a fleet has a
                               topic per robot) */
    unsigned char transport;/* ts_transport_kind for same-node subscribers;
                               TS_TRANSPORT_DEFAULT: the platform's */
    unsigned char loaned;   /* 1: zero-copy loaned messages on shared
                               memory (transport is then shm) */
} ts_scenario_topic;

/* A processing chain (<chains>): stages alternate component and topic
 * indices, starting and ending with a component; each topic is
 * published by the component before it and subscribed by the one after
 * it, and no component appears twice. */
typedef struct ts_scenario_chain {
    char *id;
    int64_t budget_ns;      /* bound on each output's data age, > 0 */
    int *stages;            /* component, topic, component, ... */
    size_t n_stages;        /* odd, >= 3 */
    int line;
} ts_scenario_chain;

/* Longest id of a site, node, medium, link, component, topic, chain,
 * process or service, fleet copies' suffixed ids included: the trace's
 * name columns hold this many characters, and an id cut short there
 * could read as another's. */
#define TS_SCENARIO_ID_MAX 63

/* Longest "id id id" text of a chain's stages (ids joined by single
 * spaces), as the trace's /chains table holds it. */
#define TS_SCENARIO_CHAIN_TEXT_MAX 511

/* A named QoS profile: a built-in one ("real_time", "standard",
 * "best_effort", "sensor_data", "services_default", "parameters",
 * "system_default") or one the scenario derives from another. */
typedef struct ts_scenario_qos_profile {
    char *id;
    ts_qos qos;
    int line;
} ts_scenario_qos_profile;

/* An autoscaler's policy (deploy_autoscale.h); enabled 0: none. */
typedef struct ts_scenario_autoscale {
    int enabled;
    int min_replicas, max_replicas;
    double target;              /* load per replica (a service's requests
                                   in flight, a worker pool's queued
                                   samples) */
    int64_t period_ns, up_window_ns, down_window_ns, cold_start_ns;
    double price_per_hour;      /* per billed replica (node) */
    int line;
} ts_scenario_autoscale;

/* A request/response service served by a component's replicas. */
typedef struct ts_scenario_service {
    char *id;
    int *replicas;              /* component indices */
    size_t n_replicas;
    int least_outstanding;      /* 0: round robin */
    int64_t health_period_ns;   /* 0: no health checks */
    int64_t health_timeout_ns;
    int64_t request_bytes, response_bytes;
    int64_t timeout_ns;         /* request timeout */
    /* <autoscale> (deploy_autoscale.h); enabled 0: all replicas serve */
    ts_scenario_autoscale autoscale;
    int line;
} ts_scenario_service;

/* A triggered component's replicas sized by an autoscaler on their queue
 * (<component trigger= replicas=><autoscale metric="queue" .../>):
 * each sample of the trigger topic goes to one serving replica (README,
 * "Cloud pipelines and autoscaling"). */
typedef struct ts_scenario_worker_pool {
    int *replicas;              /* component indices, the first's first */
    size_t n_replicas;
    ts_scenario_autoscale autoscale; /* target: samples queued per replica */
    int64_t drain_ns;           /* a withdrawn replica stops this later */
    int line;
} ts_scenario_worker_pool;


/* A component calling a service at a rate, or once per job of its
 * component (per="job"). */
typedef struct ts_scenario_client {
    int component;
    int service;
    int per_job;                /* 1: one call per finished job of the
                                   component, no rate (period_ns 0, no
                                   steps) */
    int64_t period_ns;          /* the rate from the start; 0 per job */
    /* <rate-step at= rate=>: from at_ns on, one call every period_ns
     * (a load ramp); in time order, held inline so fleet copies share
     * nothing */
    struct {
        int64_t at_ns, period_ns;
    } steps[TS_SCENARIO_RATE_STEPS];
    size_t n_steps;
    int line;
} ts_scenario_client;

/* Security zones and allow-lists. With default_deny, traffic between
 * zones needs an allow rule, and publishing/subscribing a topic needs the
 * component (or its zone) on the topic's lists when the topic has lists. */
typedef struct ts_scenario_zone {
    char *id;
    int line;
} ts_scenario_zone;

typedef struct ts_scenario_allow {
    int from_zone, to_zone;     /* zone pair that may talk, or -1 */
    int component;              /* component granted a topic, or -1 */
    int topic;                  /* the topic, or -1 */
    int publish;                /* 1: may publish; 0: may subscribe */
    int line;
} ts_scenario_allow;

/* A fleet: copies of a template robot (its site, nodes, links, the
 * components pinned to or placed on it and their topics), each renamed
 * with a suffix; per-robot overrides were merged at load. */
typedef struct ts_scenario_fleet {
    char *id;
    int template_site;
    int count;
    int coordinator;            /* fleet coordinator component, or -1 */
    int line;
} ts_scenario_fleet;

/* A configuration parameter: global (site -1) or a robot's override. */
typedef struct ts_scenario_param {
    char *name;
    char *value;
    int site;                   /* robot site for an override, or -1 */
    int line;
} ts_scenario_param;

/* A rollout of a component version across the fleet's robots. */
typedef struct ts_scenario_rollout {
    char *component;            /* the template component's id */
    int to_version;             /* index into its versions */
    int64_t start_ns;
    int canaries;               /* robots updated first */
    int64_t soak_ns;            /* canaries run this long before judging */
    int wave;                   /* robots per rolling wave */
    int64_t wave_soak_ns;       /* each wave's soak; default soak_ns */
    double max_miss_fraction;   /* deadline misses allowed while soaking */
    int line;
} ts_scenario_rollout;

typedef enum {
    TS_REQ_TOPIC_DEADLINE = 0,     /* fraction of samples within budget */
    TS_REQ_COMPONENT_DEADLINE = 1, /* fraction of jobs within deadline */
    TS_REQ_FAILOVER = 2,           /* failovers within their budget */
    TS_REQ_SAFE_STATE = 3,         /* safe state reached within budget */
    TS_REQ_SAFETY_COVERAGE = 4,    /* safety coverage >= min_fraction */
    TS_REQ_HEALTH = 5,             /* health score >= threshold (0..100) */
    TS_REQ_INTEGRATION = 6,        /* every integration check passes */
    TS_REQ_ROLLOUT = 7,            /* the rollout completes */
    TS_REQ_QOS_DEADLINE = 8,       /* DDS deadline events <= threshold */
    TS_REQ_SERVICE = 9,            /* answered requests >= min_fraction */
    TS_REQ_THERMAL_HEADROOM = 10,  /* die below throttle by >= threshold C */
    TS_REQ_POWER_BUDGET = 11       /* power within the mode's budget */
} ts_requirement_kind;

/* A gate of <requirements>. What it is about:
 * - target: the topic (topic-deadline) or component (component-deadline;
 *   failover: the group's primary) index; -1 for the other kinds or for
 *   "every one of that kind";
 * - object: for safe-state a robot site, rollout a rollout index,
 *   qos-deadline a topic, service a service, thermal-headroom and
 *   power-budget a node; -1 for "every one" and for the kinds above.
 *   (Kept apart from target, which fleet copies remap as a topic or
 *   component index.)
 * min_fraction holds the fraction of the fraction kinds (deadlines,
 * safety-coverage, service), threshold the kind's bound as trace.h's
 * ts_trace_requirement states it (NaN when the kind has none). */
typedef struct ts_scenario_requirement {
    ts_requirement_kind kind;
    int target;
    double min_fraction;
    int line;
    int object;
    double threshold;
} ts_scenario_requirement;

/* An <expect>: an event the scenario provokes on purpose, which must
 * happen between min_count and max_count times (max_count -1: no bound). */
typedef struct ts_scenario_expect {
    char *event;                /* an event kind, e.g. "rollout_abort" */
    int component;              /* component index, or -1: any */
    int node;                   /* node index, or -1: any */
    int64_t min_count;          /* default 1 */
    int64_t max_count;          /* -1: no bound */
    int line;
} ts_scenario_expect;

/* Name of a requirement kind as the scenario and the trace write it. */
const char *ts_requirement_kind_name(ts_requirement_kind kind);

typedef enum {
    TS_FAULT_LINK_DOWN = 0,     /* target link; up again after duration */
    TS_FAULT_LOSS_BURST = 1,    /* target link gets `loss` for duration */
    TS_FAULT_LATENCY_SPIKE = 2, /* target link: +value ns for duration */
    TS_FAULT_AMBIENT = 3,       /* target node or -1 (all): value in C */
    TS_FAULT_POWER_MODE = 4,    /* target node switches to mode index */
    TS_FAULT_MEDIUM = 5,        /* target medium: capacity value bps,
                                   latency extra_ns, for duration */
    TS_FAULT_NODE_CRASH = 6,    /* target node stops; restarts after
                                   duration when duration > 0 */
    TS_FAULT_PARTITION = 7,     /* links[] all down for duration */
    TS_FAULT_COMPONENT_CRASH = 8 /* target component stops; restarts after
                                   duration when duration > 0 */
} ts_fault_kind;

/* One entry of the <faults> timeline. */
typedef struct ts_scenario_fault {
    ts_fault_kind kind;
    int64_t at_ns;
    int64_t duration_ns;        /* 0: lasts to the end of the run */
    int target;                 /* link, node or medium index; -1: all */
    double value;               /* see the kind */
    int64_t extra_ns;           /* latency for TS_FAULT_MEDIUM */
    int mode;                   /* power mode index for TS_FAULT_POWER_MODE */
    ts_scenario_loss loss;      /* for TS_FAULT_LOSS_BURST */
    int *links;                 /* for TS_FAULT_PARTITION */
    size_t n_links;
    int line;
    int robot;                  /* the fleet copy whose entity target is
                                   (named "h1_rt_r3" or robot="r3"), or -1 */
} ts_scenario_fault;

/* <discovery>: DDS discovery (SPDP then SEDP) over the simulated network
 * instead of instantaneous matching; enabled is 0 without the element.
 * Defaults and their sources: src/scenario/discovery_settings.c. */
typedef struct ts_scenario_discovery {
    int enabled;
    int initial_announcements;  /* announcements at initial_period first */
    int line;
    int64_t initial_period_ns;
    int64_t period_ns;          /* then one every period */
    int64_t lease_ns;           /* announced lease duration */
    int64_t start_ns;           /* the first participant joins then */
    int64_t join_interval_ns;   /* participant k joins at start + k * this */
    int64_t spdp_bytes;         /* one participant announcement */
    int64_t sedp_header_bytes;  /* an endpoint announcement's fixed part */
    int64_t sedp_endpoint_bytes;/* ... and its part per endpoint */
    int64_t ack_bytes;          /* an acknowledgement of it */
} ts_scenario_discovery;

typedef struct ts_scenario {
    char *path;             /* the file it was loaded from */
    char *name;
    char *text;             /* the document exactly as read */
    uint64_t seed;          /* default seed (--seed overrides) */
    int64_t duration_ns;    /* default simulated duration, > 0 */
    double ambient_c;       /* ambient temperature, default 25 C */
    int64_t sample_period_ns; /* node/link state sampling, default 100 ms */
    int same_node_transport;  /* <transport same-node=>: a
                                 ts_transport_kind, TS_TRANSPORT_SHM when
                                 not given */
    ts_scenario_cost transport_cost[TS_COST_PATHS]; /* by ts_cost_path */
    int trace_level;          /* <trace level=>: 0 full, 1 summary (as
                                 trace.h's ts_trace_level); -1 not given */

    ts_scenario_site *sites;   size_t n_sites;
    ts_scenario_node *nodes;   size_t n_nodes;
    ts_scenario_link *links;   size_t n_links;
    ts_scenario_component *components; size_t n_components;
    ts_scenario_topic *topics; size_t n_topics;
    ts_scenario_chain *chains; size_t n_chains;
    ts_scenario_dnn *dnns; size_t n_dnns; /* networks components name */
    ts_scenario_requirement *requirements; size_t n_requirements;
    ts_scenario_expect *expects; size_t n_expects;
    ts_scenario_medium *media; size_t n_media;
    ts_scenario_fault *faults; size_t n_faults; /* in time order */
    ts_scenario_qos_profile *qos_profiles; size_t n_qos_profiles;
    ts_scenario_service *services; size_t n_services;
    ts_scenario_client *clients; size_t n_clients;
    ts_scenario_worker_pool *worker_pools; size_t n_worker_pools;
    ts_scenario_zone *zones; size_t n_zones;
    ts_scenario_process *processes; size_t n_processes;
    ts_scenario_allow *allows; size_t n_allows;
    int default_deny;           /* policies: deny what no rule allows */
    ts_scenario_fleet *fleets; size_t n_fleets;
    ts_scenario_rollout *rollouts; size_t n_rollouts;
    ts_scenario_param *params; size_t n_params; /* globals, then overrides */
    double **dist_bins; size_t n_dist_bins; /* what its histograms' edges and
                                               weights point into */
    ts_scenario_discovery discovery;
} ts_scenario;

typedef struct ts_scenario_options {
    const char *models_dir;  /* NULL: search $TOPOSIM_MODELS, then models/
                                beside or above the scenario's folder, then
                                the installed share folder */
    /* "PATH=VALUE" each, applied in order after parsing and before the
     * schema and meaning checks (README, "Overrides"). */
    const char *const *overrides;
    size_t n_overrides;
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
int ts_scenario_find_link(const ts_scenario *s, const char *id);

/* Static names for enums, as written in scenarios and traces. */
const char *ts_tier_name(ts_tier tier);
const char *ts_node_kind_name(ts_node_kind kind);

#endif
