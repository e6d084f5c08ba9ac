/*
 * The invariants simulation testing holds every run to, checked on the
 * run's trace alone (plus the few monitoring figures a trace does not
 * carry, in vopr_limits):
 *
 *   two-active  at no instant are two members of one failover group
 *               ACTIVE (component_state.run, as the deployment code set
 *               it, whether or not the process is up: a dead member left
 *               ACTIVE serves again the moment it restarts). Rows that
 *               share a time stamp are one instant: they are all applied
 *               before the count.
 *   uncovered   a needed component (components.needed; safety-critical
 *               implies it) is never left without a serving member
 *               while its robot is not in its safe state for longer than
 *               the deployment can take to notice and act:
 *                 detect + takeover + heartbeat + slack
 *               after the episode began or after the last change of its
 *               members' liveness or of its supervisor's node, where
 *               detect is the primary's detector time (misses x heartbeat
 *               for a timeout detector), takeover the largest delay of
 *               a live member, heartbeat one period (a member back from a
 *               crash rejoins at its next tick) and slack what a
 *               heartbeat may spend on the way (vopr_limits). Exempt, and
 *               counted, are the states the deployment was given no
 *               means to act on: every member down on a robot that
 *               declares no safe state; the robot's supervisor's node
 *               down (it decides nothing then); every member down of a
 *               component with no heartbeat= (no monitor sees it); and,
 *               on a robot without a safe state, every live member
 *               fenced (/events "fence", not yet "rejoin"): a fenced
 *               member returns once it hears a member serve
 *               (deploy_failover.h), which it cannot while partitioned
 *               from every other, or once the member that fenced it died
 *               before it was heard.
 *   message     every /messages row is delivered (recv >= send, within
 *               the run), dropped with a cause (status 1, 2, 4, 5, 6;
 *               recv -1) or in flight (status 3, recv -1); it names the
 *               topic's publisher and a subscriber the topic owes samples
 *               (subscription allowed by the policy, and QoS matched);
 *               per topic, the seq numbers are 0..S-1 and every owed
 *               subscriber has exactly one row for each; and S agrees
 *               with an independent count from /jobs: no more than the
 *               publisher's finished jobs, and, for a topic published on
 *               every job without QoS, no fewer than those that finished
 *               while it was serving (a state change at the very
 *               nanosecond of a finish counts either way).
 */
#ifndef TOPOSIM_VOPR_INVARIANTS_H
#define TOPOSIM_VOPR_INVARIANTS_H

#include <stddef.h>
#include <stdint.h>

#include "toposim/trace.h"

/* What the trace does not say about monitoring, per /components row. */
typedef struct vopr_limits {
    size_t n_components;
    const int64_t *detect_ns;     /* a primary's detection time: how long
                                     after its last heartbeat its monitors
                                     suspect it; 0: it sends no heartbeat */
    const int64_t *heartbeat_ns;  /* a primary's heartbeat period; 0: none */
    int64_t slack_ns;             /* a heartbeat's delay on the way */
} vopr_limits;

/* The first broken invariant. */
typedef struct vopr_violation {
    char invariant[16];           /* "two-active", "uncovered", "message",
                                     "trace" (the trace contradicts itself) */
    int64_t t_ns;                 /* when it was broken */
    char detail[320];
} vopr_violation;

/* What the checks saw (summed over runs by the caller). */
typedef struct vopr_check_stats {
    uint64_t state_rows, messages, instants;
    uint64_t episodes;            /* times a needed component was left
                                     without a server and no safe state */
    uint64_t exempt_no_safe_state, exempt_supervisor_down, exempt_unmonitored,
        exempt_fenced;
    int64_t closest_ns;           /* least margin left by an episode that
                                     ended in time (grace - its length);
                                     INT64_MAX when none */
} vopr_check_stats;

/* Zeroes stats (closest_ns INT64_MAX). */
void vopr_check_stats_init(vopr_check_stats *st);

/* Checks the three invariants on t. 0 when they hold; 1 with *v filled
 * at the first one broken; TS_ENOMEM. lim->n_components must equal
 * t->n_components. st (may be NULL) is added to. */
int vopr_check(const ts_trace *t, const vopr_limits *lim, vopr_violation *v,
               vopr_check_stats *st);

#endif
