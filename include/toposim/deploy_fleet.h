/*
 * Fleet: the effective configuration of each robot (per-robot overrides
 * merged over the fleet's global parameters, robot wins), a fleet
 * coordinator that robots register with and send telemetry to, and the
 * robot-side agent that does the sending. The merge is pure; the
 * coordinator and the agent see the world only through runtime.h and talk
 * on TS_PORT_FLEET.
 *
 * Protocol (TS_PORT_FLEET, body = the robot's index as 4 bytes little
 * endian): the agent sends REGISTER when it starts and again every period
 * until REGISTER_ACK arrives (a datagram may be lost), then TELEMETRY every
 * period while its watched component is alive. The coordinator answers
 * every REGISTER with REGISTER_ACK. Any REGISTER or TELEMETRY counts as
 * hearing from the robot; TELEMETRY from a robot it never heard REGISTER
 * from registers it too.
 *
 * Coordinator records (component = the robot's agent endpoint, node -1):
 *   "robot_registered"  first time a robot is heard; value = robot index
 *   "robot_silent"      nothing heard for silent_periods periods, at
 *                       exactly last heard + silent_periods * period;
 *                       value = that gap in ns
 *   "robot_back"        first message after silence; value = the gap (ns)
 *                       since the message before it
 */
#ifndef TOPOSIM_DEPLOY_FLEET_H
#define TOPOSIM_DEPLOY_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "toposim/error.h"
#include "toposim/runtime.h"

/* ---- configuration merge ---- */

/* One parameter, e.g. {"max_speed", "1.0"}; both borrowed. */
typedef struct ts_fleet_param {
    const char *key;
    const char *value;
} ts_fleet_param;

/* One effective parameter; strings owned by the ts_fleet_config. */
typedef struct ts_fleet_entry {
    const char *key;
    const char *value;
    int overridden;     /* 1: the robot's override, 0: the global value */
} ts_fleet_entry;

/* A robot's effective configuration, sorted by key (strcmp order). */
typedef struct ts_fleet_config {
    ts_fleet_entry *entries;
    size_t n;
    char *arena;        /* keys and values */
} ts_fleet_config;

/* Merges overrides over global into *out (robot wins; keys found in only
 * one of them are kept), sorted by key so the result does not depend on
 * either input's order. Caller releases with ts_fleet_config_fini. A key
 * that is empty or NULL, a NULL value, or a key given twice within one
 * list is TS_EINVAL naming it; TS_ENOMEM. On error *out is empty. */
int ts_fleet_merge(const ts_fleet_param *global, size_t n_global,
                   const ts_fleet_param *overrides, size_t n_overrides, ts_fleet_config *out,
                   ts_error *err) TS_MUST_USE;

/* Releases what a merge filled and empties c; an empty c is fine. */
void ts_fleet_config_fini(ts_fleet_config *c);

/* The value of key in c (borrowed from c), or NULL. O(log n). */
const char *ts_fleet_config_get(const ts_fleet_config *c, const char *key);

/* ---- coordinator and agent ---- */

enum {
    TS_FLEET_REGISTER = 1,
    TS_FLEET_REGISTER_ACK = 2,
    TS_FLEET_TELEMETRY = 3
};

typedef struct ts_fleet_coord_desc {
    int endpoint;                   /* the coordinator's component */
    const int *agents;              /* each robot's agent endpoint, fleet
                                       order */
    const char *const *robot_names; /* or NULL ("robot <i>") */
    size_t n_robots;
    int64_t period_ns;              /* the agents' telemetry period, > 0 */
    int silent_periods;             /* 0: 3 */
} ts_fleet_coord_desc;

typedef struct ts_fleet_coord ts_fleet_coord;

/* A coordinator over rt (borrowed; must outlive it) with a copy of desc;
 * free with ts_fleet_coord_free. TS_EINVAL names the bad field. */
int ts_fleet_coord_new(const ts_runtime *rt, const ts_fleet_coord_desc *desc,
                       ts_fleet_coord **out, ts_error *err) TS_MUST_USE;

/* Starts listening on (endpoint, TS_PORT_FLEET). */
int ts_fleet_coord_start(ts_fleet_coord *c) TS_MUST_USE;

/* Stops listening, cancels its timers and frees c; NULL is fine. */
void ts_fleet_coord_free(ts_fleet_coord *c);

/* 1 when robot i has registered (silent or not). */
int ts_fleet_coord_registered(const ts_fleet_coord *c, size_t robot) TS_MUST_USE;

/* 1 when robot i is registered and currently silent. */
int ts_fleet_coord_silent(const ts_fleet_coord *c, size_t robot) TS_MUST_USE;

/* When robot i's last TELEMETRY arrived (ns), or -1 if none yet. */
int64_t ts_fleet_coord_last_telemetry(const ts_fleet_coord *c, size_t robot);

/* TELEMETRY messages received from robot i. */
uint64_t ts_fleet_coord_telemetry_count(const ts_fleet_coord *c, size_t robot);

/* Robots registered so far. */
size_t ts_fleet_coord_n_registered(const ts_fleet_coord *c);

typedef struct ts_fleet_agent_desc {
    int endpoint;           /* the agent's own component on the robot */
    int coordinator;        /* the coordinator's endpoint */
    int robot;              /* the robot's index in the coordinator's list */
    int watch;              /* component whose liveness gates telemetry;
                               -1: the agent's endpoint */
    int64_t period_ns;      /* > 0 */
    int64_t telemetry_bytes; /* wire size of a TELEMETRY; 0: 256 */
} ts_fleet_agent_desc;

typedef struct ts_fleet_agent ts_fleet_agent;

/* An agent over rt (borrowed; must outlive it); free with
 * ts_fleet_agent_free. */
int ts_fleet_agent_new(const ts_runtime *rt, const ts_fleet_agent_desc *desc,
                       ts_fleet_agent **out, ts_error *err) TS_MUST_USE;

/* Listens for the acknowledgement, sends REGISTER now (if the watched
 * component is alive) and ticks every period from now on. */
int ts_fleet_agent_start(ts_fleet_agent *a) TS_MUST_USE;

/* Stops listening, cancels the tick and frees a; NULL is fine. */
void ts_fleet_agent_free(ts_fleet_agent *a);

/* 1 once REGISTER_ACK arrived. */
int ts_fleet_agent_registered(const ts_fleet_agent *a) TS_MUST_USE;

/* Messages sent: REGISTERs and TELEMETRYs. */
uint64_t ts_fleet_agent_sent(const ts_fleet_agent *a);

#endif
