/*
 * Rollout: moves one component, present once per robot of a fleet, from
 * one version to another in stages (canaries first, then rolling waves),
 * judging each stage after a soak against declared limits and rolling
 * every updated robot back when a stage fails. It owns one timer and a
 * per-robot state array sized at creation; it sees the world only through
 * runtime.h and learns what happened from a metrics callback.
 *
 * Stages. Robots are taken in fleet order (the order of desc->components).
 * The canary stage is robots [0, canaries); wave i (1-based) is the next
 * `wave` robots. The canary stage starts at start_ns and soaks soak_ns;
 * wave i starts when stage i-1 passes, at start + soak + (i-1) * wave_soak,
 * and soaks wave_soak_ns; the rollout completes when the last stage
 * passes, at start + soak + W * wave_soak (W waves). With canaries = 0 the
 * first wave starts at start_ns and every stage soaks wave_soak_ns.
 *
 * Switching a robot tells the component-state controller that its
 * replica set (the component and, in a failover group, its backups) runs
 * to_version; rolling it back is the same with from_version. Who serves,
 * in which role and safety mode, is not the rollout's to change. A robot
 * whose serving member (or, when nodes are given, node) is down when its
 * stage starts is skipped: it stays on the old version, is never
 * revisited, and is not replaced by a later robot, so stage times stay as
 * above.
 *
 * Judging. At the end of every soak the controller asks the metrics
 * callback about each robot already on the new version (the current
 * stage's and every earlier stage's), one robot at a time, naming the
 * member of its replica set that serves at the time (the robot's own
 * component when none does), over the window
 * [soak start, now]. A stage passes when every judged robot has a
 * deadline-miss fraction <= max_miss_fraction, safety events <=
 * max_safety_events, and its topics still flowing. Judging robots one by
 * one keeps a bad robot from being averaged away by good ones and lets the
 * record name it; judging earlier waves again catches a version that
 * degrades slowly. A stage with no robot on the new version at all (every
 * robot so far was down) fails: there is nothing to base a decision on.
 *
 * Records (ts_rt_note kinds; component is the robot's endpoint or -1,
 * node the robot's node or -1):
 *   "rollout_start"    value = number of robots
 *   "rollout_stage"    value = stage (0 canary, i wave i); detail robots
 *   "rollout_update"   per switched robot; value = robot index
 *   "rollout_skip"     per robot down at its stage; value = robot index
 *   "rollout_evaluate" value = worst miss fraction measured; detail
 *                      "pass: ..." or "fail: <criterion> ..."
 *   "rollout_complete" value = robots on the new version
 *   "rollout_abort"    value = the failed criterion's measured value;
 *                      detail names the criterion, the robot and the limit
 *   "rollback"         per robot put back on the old version (fleet
 *                      order); value = robot index
 */
#ifndef TOPOSIM_DEPLOY_ROLLOUT_H
#define TOPOSIM_DEPLOY_ROLLOUT_H

#include <stddef.h>
#include <stdint.h>

#include "toposim/error.h"
#include "toposim/runtime.h"

struct ts_ctl;

/* What one robot's instance did over a soak window. */
typedef struct ts_rollout_metrics {
    double miss_fraction;   /* deadline-missed jobs / released jobs, 0..1 */
    int safety_events;      /* safety events (failover, safe state, ...) */
    int topics_flowing;     /* 1: every topic it publishes still delivers */
} ts_rollout_metrics;

/* Fills *out for one robot's component over [since_ns, now]; returns 0, or
 * < 0 when it cannot tell (the stage then fails, criterion "metrics"). */
typedef int (*ts_rollout_metrics_fn)(void *ctx, int component, int64_t since_ns,
                                     ts_rollout_metrics *out);

typedef struct ts_rollout_desc {
    const char *name;               /* component id for details; may be NULL */
    const int *components;          /* endpoint per robot, fleet order */
    const int *nodes;               /* node per robot (liveness), or NULL */
    const char *const *robot_names; /* per robot, or NULL ("robot <i>") */
    size_t n_robots;                /* >= 1 */
    int from_version, to_version;   /* version indices, different */
    const char *from_label;         /* e.g. "v1"; NULL: "version <i>" */
    const char *to_label;
    int64_t start_ns;               /* absolute time of the canary stage */
    int canaries;                   /* >= 0 */
    int64_t soak_ns;                /* canary soak, >= 0 */
    int wave;                       /* robots per wave; >= 1 unless the
                                       canaries cover every robot */
    int64_t wave_soak_ns;           /* each wave's soak; 0: soak_ns */
    double max_miss_fraction;       /* >= 0 */
    int max_safety_events;          /* usually 0 */
    ts_rollout_metrics_fn metrics;  /* required */
    void *metrics_ctx;
    struct ts_ctl *ctl;             /* the component-state controller
                                       (borrowed; required) */
} ts_rollout_desc;

typedef enum {
    TS_ROLLOUT_IDLE = 0,        /* created, not started */
    TS_ROLLOUT_WAITING = 1,     /* started, start_ns not reached */
    TS_ROLLOUT_SOAKING = 2,     /* a stage is soaking */
    TS_ROLLOUT_COMPLETE = 3,    /* every stage passed */
    TS_ROLLOUT_ABORTED = 4      /* a stage failed; rolled back */
} ts_rollout_state;

/* Per robot, as the controller left it. */
typedef enum {
    TS_ROLLOUT_ROBOT_OLD = 0,        /* not reached yet (or never) */
    TS_ROLLOUT_ROBOT_UPDATED = 1,    /* on the new version */
    TS_ROLLOUT_ROBOT_SKIPPED = 2,    /* was down at its stage; old version */
    TS_ROLLOUT_ROBOT_ROLLED_BACK = 3 /* updated, then put back */
} ts_rollout_robot;

typedef struct ts_rollout ts_rollout;

/* Copies desc (arrays and strings included) into a new controller bound to
 * rt, which must outlive it; *out is freed with ts_rollout_free. Returns
 * TS_EINVAL (err says which field) or TS_ENOMEM. */
int ts_rollout_new(const ts_runtime *rt, const ts_rollout_desc *desc, ts_rollout **out,
                   ts_error *err) TS_MUST_USE;

/* Arms the start timer (at start_ns, or now if that has passed); once. */
int ts_rollout_start(ts_rollout *r) TS_MUST_USE;

/* Cancels any pending timer and frees r; NULL is fine. No rollback. */
void ts_rollout_free(ts_rollout *r);

/* Where the rollout is. */
ts_rollout_state ts_rollout_get_state(const ts_rollout *r);

/* Where robot i (fleet order) is; TS_ROLLOUT_ROBOT_OLD when out of range. */
ts_rollout_robot ts_rollout_robot_state(const ts_rollout *r, size_t robot);

/* The stage soaking or last judged: 0 canary, i wave i; -1 before start. */
int ts_rollout_stage(const ts_rollout *r);

/* Static name of a state ("idle", "waiting", "soaking", ...). */
const char *ts_rollout_state_name(ts_rollout_state s);

#endif
