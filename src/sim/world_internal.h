/*
 * Private to src/sim/: the state of one simulation run, shared by world.c
 * (building and running), tables.c (the trace's static tables), sampler.c
 * (node, core and link state every sample period) and faults.c (the
 * faults timeline and medium profiles).
 */
#ifndef TOPOSIM_SIM_WORLD_INTERNAL_H
#define TOPOSIM_SIM_WORLD_INTERNAL_H

#include "toposim/dynamics.h"
#include "toposim/event.h"
#include "toposim/platform.h"
#include "toposim/runtime.h"
#include "toposim/sim.h"
#include "toposim/trace.h"
#include "toposim/world.h"

typedef struct topic_state {
    ts_time next_due;         /* release time from which the next sample is due */
    uint64_t samples;
} topic_state;

/* The runtime's state (runtime_sim.c). */
#define TS__RT_PORTS 32

typedef struct ts__rt_timer {
    ts_rt_timer_fn fn;
    void *ctx;
    uint64_t arg;
    ts_event_handle event;
    uint32_t gen;             /* bumped on every use: stale ids do nothing */
    int next_free;
    int in_use;
} ts__rt_timer;

typedef struct ts__rt_msg {
    ts_rt_message msg;
    int next_free;
} ts__rt_msg;

typedef struct ts__rt_listener {
    ts_rt_receive_fn fn;
    void *ctx;
} ts__rt_listener;

typedef struct ts__rt_state {
    ts_runtime rt;            /* what the deployment code is handed */
    ts__rt_timer *timers;
    size_t n_timers;
    int timer_free;
    ts__rt_msg *msgs;
    size_t n_msgs;
    int msg_free;
    ts__rt_listener *listeners; /* n_components x TS__RT_PORTS */
    ts_rt_component_state *component; /* as last set, per component */
    uint8_t *serving;         /* 1: the component publishes and serves */
    uint8_t *crashed;         /* 1: its process crashed (a fault) */
} ts__rt_state;

typedef struct world {
    const ts_scenario *s;
    const ts_plan *plan;
    ts_time end;              /* the run's simulated duration */
    ts_engine *engine;
    ts_network *net;
    ts_compute *compute;
    ts_dynamics *dyn;
    ts_trace_writer *trace;
    gsl_rng **rngs;           /* one per component */
    ts_dist *exec_dists;      /* one per component, prepared here */
    topic_state *topics;
    size_t *pub_first, *pub_topics; /* topics published by each component */
    ts__rt_state rts;         /* the runtime the deployment code sees */
    struct ts__agents *agents;/* the deployment code's objects (agents.c) */
    struct ts__qos_topics *qos; /* topics through the DDS layer (qos_topics.c) */
    struct ts__services *services; /* services and the policy (services.c) */
    struct ts__fleet *fleet;  /* coordinators, agents, configuration (fleet.c) */
    struct ts__recorder *recorder; /* component states, client counts (recorder.c) */
    /* sampler state: cumulative figures at the previous sample */
    ts_time last_sample;
    ts_compute_node_stat *prev_node;
    double *prev_energy;
    size_t *core_first;       /* first core's slot in prev_core, per node */
    ts_time *prev_core;
    ts_link_counters *prev_hop; /* two per link */
    int failed;
    ts_error first_error;
    ts_run_stats stats;
} world;

/* Records the first failure and stops the engine; later ones are ignored. */
void ts__world_fail(world *w, const ts_error *e);

/* A platform model's event as a row of /events (ctx is the world). */
void ts__world_on_event(void *ctx, const ts_platform_event *ev);

/* Writes the scenario and plan as the trace's static tables. */
int ts__world_write_tables(world *w, ts_error *err);

/* Writes the deployment facts of format version 3 (tables_deploy.c):
 * sites, fleets, power modes, versions, failover groups and backups,
 * services and replicas, rollouts, expects. */
int ts__world_write_deploy_tables(world *w, ts_error *err);

/* The robot site a component belongs to (its fleet copy's robot, else the
 * robot of its node), or -1. */
int ts__world_robot_of(const world *w, int c);

/* The recorder (recorder.c): started before the agents, so it sees every
 * change of a component's state; finish writes the tables only the end
 * knows (/subscriptions, /clients). */
int ts__world_recorder_start(world *w, ts_error *err);
void ts__world_recorder_event(world *w, const ts_platform_event *ev);
int ts__world_recorder_finish(world *w, ts_error *err);
void ts__world_recorder_free(world *w);

/* Appends a /component_state row if component c's serving, run state,
 * liveness, version or safety mode changed since its last row. The one
 * call every path that changes them makes. */
void ts__world_record_component_state(world *w, int c);

/* Schedules the periodic node/core/link sampler (if the period is > 0). */
int ts__world_sampler_start(world *w, ts_error *err);

/* Writes one last sample at the end of the run. */
void ts__world_sampler_finish(world *w);

/* Frees the sampler's state. */
void ts__world_sampler_free(world *w);

/* Sets up the runtime (every component ACTIVE and serving). */
int ts__world_runtime_init(world *w, ts_error *err);

/* Frees the runtime's state. */
void ts__world_runtime_free(world *w);

/* Handles a network packet that carries a runtime message (tag != 0). */
void ts__world_runtime_packet(world *w, const ts_packet *p);

/* Starts the deployment code's agents: failover groups, safe-state
 * supervisors, QoS endpoints, services, policies, rollouts. */
int ts__world_agents_start(world *w, ts_error *err);

/* Frees them. */
void ts__world_agents_free(world *w);

/* Feeds a finished job and an event to the agents' bookkeeping (what a
 * rollout judges versions by). */
void ts__world_agents_job(world *w, const ts_job_record *job);
void ts__world_agents_event(world *w, const ts_platform_event *ev);

/* Topics with QoS: writers and readers on the runtime (qos_topics.c).
 * publish returns 1 when the topic went through the DDS layer. */
int ts__world_qos_start(world *w, ts_error *err);
int ts__world_qos_publish(world *w, int topic);
void ts__world_qos_finish(world *w);
void ts__world_qos_free(world *w);

/* Services, clients and the access policy (services.c). policy_allows
 * returns 1 when from may send to `to` (topic or -1), recording a
 * violation otherwise. */
int ts__world_services_start(world *w, ts_error *err);
int ts__world_policy_allows(world *w, int from, int to, int topic);
void ts__world_services_free(world *w);

/* Fleet coordinators, robot agents and configuration (fleet.c). */
int ts__world_fleet_start(world *w, ts_error *err);
void ts__world_fleet_free(world *w);

/* Writes a /messages row for a sample (publisher to subscriber). */
void ts__world_record_message(world *w, const ts_packet *p);

/* 1 when a component's process runs and is not set STOPPED. */
int ts__world_receives(const world *w, int component);

/* After a crash (alive 0) or a restart of a component's process or node:
 * whether it serves. */
void ts__world_process_restarted(world *w, int component, int alive);

/* 1 unless the component is in a failover group that has another member
 * serving. */
int ts__world_agents_is_active(const world *w, int component);

/* 1 when the policy lets from send to `to` (topic or -1); records nothing. */
int ts__world_policy_permits(const world *w, int from, int to, int topic);

/* 1 when a component publishes its topics and answers requests. */
int ts__world_serving(const world *w, int component);

/* The agent endpoint of a robot, rack or region: that of its first compute
 * node (where its supervisor and fleet agent live), or -1. */
int ts__world_site_agent(const world *w, int site);

/* Crashes (alive 0) or restarts a component's process. */
void ts__world_set_component_alive(world *w, int component, int alive);

/* Schedules every fault of the timeline and every medium profile point. */
int ts__world_faults_start(world *w, ts_error *err);

#endif
