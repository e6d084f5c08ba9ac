/*
 * Failover and safe state: failure detectors fed with heartbeat arrival
 * times, a heartbeat sender, primary/backup failover groups and a
 * per-robot supervisor that commands the robot's safe state when a needed
 * component has nobody left to serve it. Everything runs through
 * runtime.h on plain descriptions; the sim glue converts the scenario.
 *
 * Detectors (ts_fd). Fed with arrival times, each answers "suspected at t?"
 * and, more usefully, the exact time at which it will suspect if no
 * further heartbeat arrives (ts_fd_suspect_at), so a monitor arms one
 * timer per heartbeat instead of polling. Suspected iff t >= suspect_at.
 *   timeout: suspect_at = last + misses * period + margin.
 *   phi accrual (Hayashibara et al., SRDS 2004): phi(t) = -log10(1 - F(t -
 *     last)) with F the normal CDF of the inter-arrival times in a sliding
 *     window; suspect_at is the first integer ns where phi >= threshold.
 *     Details in src/deploy/detector.c.
 * Equal-time events run in insertion order, so a heartbeat arriving at
 * exactly suspect_at loses to the timer armed at the previous heartbeat:
 * with fixed latency and no jitter, an N-miss timeout with margin 0
 * suspects after N-1 losses. Give a margin of at least the delivery jitter
 * (phi accrual has the same tie at its own crossing).
 *
 * Liveness convention. ts_rt_alive(COMPONENT, c) == 0 means c's process
 * has crashed (or its node is down); a component the deployment code set
 * STOPPED (a cold standby, a fenced member) is still "alive" in this sense:
 * its node agent stands for it, sends and hears its liveness heartbeats,
 * and can start it. A value < 0 (unknown) counts as alive. Code here
 * checks ts_rt_alive for its own component before it acts or sends, since
 * a crashed process does nothing; liveness of others it learns only from
 * heartbeats. A runtime that makes STOPPED components dead, deaf and mute
 * leaves a cold backup unable to monitor anything: it never takes over
 * (and a fenced member is silent either way).
 *
 * Heartbeats. TS_PORT_LIVENESS, kind TS_HB_MSG_HEARTBEAT, from = the
 * sender's endpoint (= its component index), channel = group or lone id,
 * seq = the sender's count (monotonic over its whole life), stamp = send
 * time, wire_bytes = TS_HB_WIRE_BYTES, body = ts_hb_body encoded little
 * endian: incarnation u32 (bytes 0-3), rank i32 (4-7), role u8 (8). The
 * incarnation goes up each time the sender sees its component come back
 * from a crash; receivers then reset their detector for it (an interval
 * that spans an outage is not a sample of normal inter-arrival times).
 * A heartbeat whose (incarnation, seq) is not newer than the last one heard
 * from that sender (duplicate or reordered) is ignored.
 *
 * Failover group (ts_failover). members[0] is the primary, then backups in
 * declaration order; each member listens on (component, TS_PORT_LIVENESS)
 * and heartbeats every heartbeat_ns to every other member (and to the
 * supervisor endpoint when given), from the group's start, while it is
 * alive and not fenced. Each member ranks the group: initially its
 * declaration index, so the choice of successor is the scenario author's
 * order and reproducible (not, say, whoever's timer fires first); a member
 * that comes back from a crash takes rank (largest rank it knows) + 1,
 * i.e. it joins as the last backup (no fail-back); ties break by member
 * index. Takeover rule: a live, non-active, non-fenced member decides to
 * take over when its own detectors suspect every member ranked above it
 * and every member it last heard announce "active" (vacuously true for
 * nobody): a member back from a long outage ranks itself from what it
 * knew before it went down, and the serving member may have rejoined,
 * and so moved down, meanwhile. A higher-ranked live member keeps
 * heartbeating, so lower ones wait for it; exactly one member decides
 * unless heartbeats are lost. After its takeover delay (hot 0, warm 5 ms,
 * cold 500 ms by default) it re-checks the rule (aborting if a higher
 * member was heard again meanwhile, or if it died), then serves: it tells
 * the controller (deploy_controller.h) role ACTIVE in safety mode for
 * itself and STOPPED for every member that the rule made it wait for
 * (ranked above, or last heard active) that ts_rt_alive does not report
 * dead (fencing: a suspected but running member must not keep
 * serving); such a member reported dead is told its rejoining
 * role (STANDBY, or STOPPED when cold), so that it cannot serve again
 * when its process comes back before it rejoins. From then on its
 * heartbeats say "active" and the others watch it. A fenced member stays
 * STOPPED and silent until it hears a member announce ACTIVE (the group
 * is served without it) or its process crashes and comes back. A member
 * that comes back from a crash (noticed at its next heartbeat tick), or
 * a fenced one that heard the serving member, rejoins: role STANDBY
 * (STOPPED for a cold member), resets its detectors, takes the last
 * rank (after the serving member's). The group sets roles only; the version
 * a member runs is the rollout's, through the same controller.
 * Initial roles told at start: primary ACTIVE (safety 0), hot and warm
 * backups STANDBY, cold backups STOPPED. The group registers its members
 * with the controller as one replica set.
 *
 * Safe state (ts_supervisor). One per robot, on its own endpoint (never
 * a failover member's endpoint: one listener per (endpoint, port)). It
 * runs one detector per member of each needed component: a failover group
 * (its members heartbeat to the supervisor when the group's `supervisor`
 * endpoint is set) or a lone component (give it a ts_hb_sender to the
 * supervisor). When, for some needed component, every member is
 * suspected, it commands the safe state once: records "safe_state" and
 * calls the description's hook (ts_ctl_safe_state decides what the stop
 * category stops). If it cannot arm a detector timer it cannot watch, so
 * it fails closed: it commands the safe state at once (the record's
 * detail says why). A cold backup's agent heartbeats, so a
 * group with a cold backup left is not lost. While the supervisor's own
 * component is dead it decides nothing; back, it restarts every detector
 * as at its start (its silence says nothing about the members). Stop
 * categories (IEC 60204-1, 9.2.2):
 *   0: uncontrolled stop by immediate removal of power: the hook is called
 *      once, with TS_SAFE_POWER_OFF (stop the robot's components now).
 *   1: controlled stop with power available, then removal of power once
 *      stopped: TS_SAFE_STOP at once, TS_SAFE_POWER_OFF braking_ns later.
 *   2: controlled stop, power left available: TS_SAFE_STOP only.
 *
 * Records (ts_rt_note kinds):
 *   "failover_decision" at the decision; component = the deciding member,
 *                       node = its node; value = ns from the last heartbeat
 *                       it heard from the member it replaces (or from its
 *                       monitoring start if it never heard one) to the
 *                       decision; detail names both and the standby kind
 *   "failover"          when the new member serves; component, node as
 *                       above; value = ns from that same last heartbeat to
 *                       serving (the decision time plus the takeover delay;
 *                       fault -> serving needs the fault's time, which only
 *                       the trace knows)
 *   "failover_aborted"  at the end of a takeover delay that no longer
 *                       holds; component = the member; value = ns since
 *                       its decision
 *   "fence"             component = the fenced member, node = its node;
 *                       value = the fencing member's component index
 *   "rejoin"            component = the member back from a crash (or
 *                       from being fenced), node = its node; value =
 *                       its new rank
 *   "safe_state"        once per supervisor; component = the first member
 *                       (the primary) of the needed component that was lost,
 *                       node = the supervisor's `node`; value = ns from the
 *                       last heartbeat heard from any of that component's
 *                       members (or from the supervisor's start or
 *                       restart, if nothing was heard since) to the
 *                       command: its detection time; detail gives the
 *                       category
 *   "safe_state_power_off" categories 0 and 1, when power is removed;
 *                       component, node as above; value = ns since the
 *                       "safe_state" command (0, or braking_ns)
 *
 * Memory: every table is sized from the descriptions at creation (a phi
 * detector's window included); heartbeats, suspicions and takeovers
 * allocate nothing.
 */
#ifndef TOPOSIM_DEPLOY_FAILOVER_H
#define TOPOSIM_DEPLOY_FAILOVER_H

#include <stddef.h>
#include <stdint.h>

#include "toposim/error.h"
#include "toposim/runtime.h"

struct ts_ctl;

/* ---- failure detectors ------------------------------------------------ */

typedef enum { TS_FD_TIMEOUT = 0, TS_FD_PHI = 1 } ts_fd_kind;

typedef enum { TS_FD_TRUSTED = 0, TS_FD_SUSPECTED = 1 } ts_fd_state;

/* Zero fields take the defaults given. */
typedef struct ts_fd_desc {
    ts_fd_kind kind;
    int64_t period_ns;      /* expected heartbeat period, > 0 */
    int misses;             /* timeout: N missed heartbeats; default 3 */
    int64_t margin_ns;      /* timeout: grace after N periods; phi: Akka's
                               acceptable heartbeat pause, added to the
                               mean; >= 0, default 0 */
    double phi_threshold;   /* phi: in (0, 300]; default 8 */
    int window;             /* phi: inter-arrival samples kept; default 1000 */
    int64_t min_std_ns;     /* phi: floor on the standard deviation;
                               default period / 10 (at least 1 ns) */
} ts_fd_desc;

/* A detector; embed it, ts_fd_init / ts_fd_fini. Fields are private. */
typedef struct ts_fd {
    ts_fd_desc d;           /* with defaults filled in */
    int64_t last;           /* last heartbeat (or reset) time */
    int64_t suspect_at;     /* cached: first suspected instant */
    uint64_t heartbeats;    /* heartbeats fed since init */
    int primed;             /* a heartbeat arrived since the last reset */
    int64_t *ring;          /* phi: window of intervals (ns) */
    int n, head;            /* samples held, next slot */
    int64_t shift;          /* phi: sums are of (interval - shift) */
    double sum, sumsq;
    int since_exact;        /* insertions since the sums were recomputed */
    double mean, std;       /* cached estimate (ns) */
    double z_th;            /* phi: ts_fd_phi_to_z(threshold), cached */
} ts_fd;

/* Checks desc, fills defaults, allocates a phi window; the detector starts
 * as if a heartbeat had arrived at `now` (the first real heartbeat then
 * moves the origin without adding an interval sample). TS_EINVAL /
 * TS_ENOMEM into err. */
int ts_fd_init(ts_fd *fd, const ts_fd_desc *desc, int64_t now, ts_error *err) TS_MUST_USE;

/* Frees the window; safe on a zeroed or already finished detector. */
void ts_fd_fini(ts_fd *fd);

/* Forgets the history and restarts as if a heartbeat arrived at `now`
 * (the next heartbeat adds no interval sample). */
void ts_fd_reset(ts_fd *fd, int64_t now);

/* Feeds a heartbeat arriving at t (t earlier than the last is ignored). */
void ts_fd_heartbeat(ts_fd *fd, int64_t t);

/* The first instant (ns) at which the detector suspects if no heartbeat
 * arrives; INT64_MAX when never. */
int64_t ts_fd_suspect_at(const ts_fd *fd);

/* TS_FD_SUSPECTED iff t >= ts_fd_suspect_at(fd). */
ts_fd_state ts_fd_state_at(const ts_fd *fd, int64_t t);

/* Suspicion level at t: phi for a phi detector (+inf past the double
 * range), (t - last) / (misses * period + margin) for a timeout one. */
double ts_fd_phi(const ts_fd *fd, int64_t t);

/* Time of the last heartbeat (or reset). */
int64_t ts_fd_last(const ts_fd *fd);

/* The current inter-arrival estimate (ns): phi's mean and standard
 * deviation (floored); the period and 0 for a timeout detector. */
double ts_fd_mean_ns(const ts_fd *fd);
double ts_fd_std_ns(const ts_fd *fd);

/* z with Q(z) = P(X > z) = 10^-phi for a standard normal X: the number of
 * standard deviations past the mean at which phi is reached. */
double ts_fd_phi_to_z(double phi);

/* ---- heartbeat sender ------------------------------------------------- */

enum { TS_HB_MSG_HEARTBEAT = 1 };
#define TS_HB_WIRE_BYTES 64

/* What a member says of itself in a heartbeat body. */
typedef enum {
    TS_HB_ROLE_STOPPED = 0,     /* cold standby: its agent is up */
    TS_HB_ROLE_STANDBY = 1,
    TS_HB_ROLE_ACTIVE = 2
} ts_hb_role;

typedef struct ts_hb_body {
    uint32_t incarnation;
    int32_t rank;
    ts_hb_role role;
} ts_hb_body;

/* Encodes into msg->body (sets body_len); decodes, 0 or TS_EINVAL for a
 * short body. */
void ts_hb_body_encode(ts_rt_message *msg, const ts_hb_body *body);
int ts_hb_body_decode(const ts_rt_message *msg, ts_hb_body *body) TS_MUST_USE;

struct ts_hb_sender;

/* Called at each tick while the component is alive, before sending;
 * `restarted` is 1 on the first tick after a crash. Returns 1 to send this
 * beat, 0 to skip it. May change s->body. */
typedef int (*ts_hb_tick_fn)(void *ctx, struct ts_hb_sender *s, int restarted);

typedef struct ts_hb_sender_desc {
    int endpoint;           /* the sending component */
    const int *to;          /* destination endpoints (copied) */
    size_t n_to;
    int64_t period_ns;      /* > 0 */
    int32_t channel;        /* group or lone id */
    ts_hb_tick_fn tick;     /* NULL: always send */
    void *tick_ctx;
} ts_hb_sender_desc;

/* Sends a heartbeat to every destination at start and every period after,
 * skipping ticks while its component is dead (a crashed process sends
 * nothing). Embed it: ts_hb_sender_init / _fini. */
typedef struct ts_hb_sender {
    const ts_runtime *rt;
    ts_hb_sender_desc d;    /* d.to points at the owned copy */
    int *to;
    ts_hb_body body;        /* sent as is; role ACTIVE, rank 0 by default */
    uint64_t seq;
    ts_rt_timer timer;
    int running, was_alive;
    uint64_t sent;          /* beats sent (one per tick, to all destinations) */
} ts_hb_sender;

/* Copies desc; allocates the destination list. TS_EINVAL / TS_ENOMEM. */
int ts_hb_sender_init(ts_hb_sender *s, const ts_runtime *rt, const ts_hb_sender_desc *desc,
                      ts_error *err) TS_MUST_USE;

/* Ticks now and every period after; restarting a running sender is a no-op. */
int ts_hb_sender_start(ts_hb_sender *s) TS_MUST_USE;

/* Cancels the next tick. */
void ts_hb_sender_stop(ts_hb_sender *s);

/* Stops and frees the destination list. */
void ts_hb_sender_fini(ts_hb_sender *s);

/* ---- failover group --------------------------------------------------- */

typedef enum { TS_FO_HOT = 0, TS_FO_WARM = 1, TS_FO_COLD = 2 } ts_fo_standby;

#define TS_FO_WARM_TAKEOVER_NS 5000000LL
#define TS_FO_COLD_TAKEOVER_NS 500000000LL

typedef struct ts_fo_member_desc {
    int component;          /* component index = its endpoint */
    int node;               /* for records; -1 unknown */
    ts_fo_standby standby;  /* how it waits as a backup (the primary's too,
                               for when it rejoins) */
    int64_t takeover_ns;    /* decision -> serving; < 0: the kind's default */
} ts_fo_member_desc;

typedef struct ts_failover_desc {
    int id;                 /* heartbeat channel; unique among groups */
    const char *name;       /* for record details (copied); may be NULL */
    const ts_fo_member_desc *members; /* [0] primary, then backups in
                                         declaration order; copied */
    size_t n_members;       /* >= 1 */
    int64_t heartbeat_ns;   /* > 0 */
    ts_fd_desc detector;    /* period_ns 0: heartbeat_ns */
    int supervisor;         /* endpoint also sent heartbeats, or -1 */
    struct ts_ctl *ctl;     /* the component-state controller the group
                               tells roles to (borrowed; required) */
} ts_failover_desc;

typedef struct ts_failover ts_failover;

/* Creates a group bound to rt (which must outlive it) and registers its
 * listeners; nothing runs until ts_failover_start. The caller frees with
 * ts_failover_free. NULL with err set on a bad description (TS_EINVAL)
 * or TS_ENOMEM. */
ts_failover *ts_failover_new(const ts_runtime *rt, const ts_failover_desc *desc, ts_error *err);

/* Sets the initial component states, starts heartbeats and detectors. */
int ts_failover_start(ts_failover *g) TS_MUST_USE;

/* Cancels every timer, removes the listeners and frees; NULL is fine. */
void ts_failover_free(ts_failover *g);

/* Index (into members) of the member currently serving, or -1. */
int ts_failover_active(const ts_failover *g);

/* A member's role as the group last told the controller, its rank, and
 * whether it is fenced; -1 for a bad index. */
int ts_failover_member_run(const ts_failover *g, size_t member);
int ts_failover_member_rank(const ts_failover *g, size_t member);
int ts_failover_member_fenced(const ts_failover *g, size_t member);

/* Number of completed takeovers. */
size_t ts_failover_count(const ts_failover *g);


/* ---- safe-state supervisor -------------------------------------------- */

typedef enum { TS_SAFE_STOP = 0, TS_SAFE_POWER_OFF = 1 } ts_safe_phase;

/* What the hook is told; `needed` indexes the supervisor's needed list. */
typedef struct ts_safe_event {
    int robot;
    int category;           /* 0, 1 or 2 */
    ts_safe_phase phase;
    size_t needed;
    int component;          /* its first member */
} ts_safe_event;

typedef void (*ts_safe_state_fn)(void *ctx, const ts_safe_event *ev);

/* A needed component: a failover group's members (same order) or one lone
 * component, all heartbeating every heartbeat_ns to the supervisor. */
typedef struct ts_sup_needed {
    const int *components;  /* copied */
    size_t n_components;    /* >= 1 */
    int64_t heartbeat_ns;   /* > 0 */
    ts_fd_desc detector;    /* period_ns 0: heartbeat_ns */
} ts_sup_needed;

typedef struct ts_supervisor_desc {
    int robot;              /* passed to the hook */
    int endpoint;           /* where heartbeats arrive; its component (if
                               any) must be alive for it to act */
    int node;               /* for records; -1 */
    int category;           /* stop category 0, 1 or 2 */
    int64_t braking_ns;     /* category 1: stop -> power off, >= 0 */
    const ts_sup_needed *needed; /* copied */
    size_t n_needed;
    ts_safe_state_fn enter; /* may be NULL */
    void *enter_ctx;
} ts_supervisor_desc;

typedef struct ts_supervisor ts_supervisor;

/* Creates a supervisor bound to rt and listens on (endpoint,
 * TS_PORT_LIVENESS); nothing runs until ts_supervisor_start. The caller
 * frees with ts_supervisor_free. NULL with err set (TS_EINVAL, TS_ENOMEM). */
ts_supervisor *ts_supervisor_new(const ts_runtime *rt, const ts_supervisor_desc *desc,
                                 ts_error *err);

/* Starts the detectors as if every member had heartbeated now. */
int ts_supervisor_start(ts_supervisor *s) TS_MUST_USE;

/* Cancels every timer, removes the listener and frees; NULL is fine. */
void ts_supervisor_free(ts_supervisor *s);

/* 1 once the safe state has been commanded. */
int ts_supervisor_in_safe_state(const ts_supervisor *s);

#endif
