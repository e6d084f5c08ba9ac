/*
 * Platform events: what a model reports when its state changes in a way
 * the trace must show (a link going down, a clock throttled, a component
 * killed for lack of memory). Models fill one and hand it to the callback
 * their owner gave them; the record is only valid during the call.
 *
 * Every kind of event is one line of TS_EVENT_KINDS: its enumerator and
 * the name the trace's /events rows carry. Subscribers select events by
 * the enumerator; the name is only for the trace and for people.
 */
#ifndef TOPOSIM_EVENT_H
#define TOPOSIM_EVENT_H

#include <stdint.h>

#include "toposim/sim.h"

/* X(enumerator suffix, name in /events). Adding a kind is one line here. */
#define TS_EVENT_KINDS(X)                                                     \
    /* an event the deployment code recorded under a name not listed     \
     * here: its name travels in kind_name */                             \
    X(OTHER, "")                                                              \
    /* the platform models (network, compute, dynamics) */                    \
    X(LINK_DOWN, "link_down")                                                 \
    X(LINK_UP, "link_up")                                                     \
    X(ROUTE_CHANGE, "route_change")                                           \
    X(THROTTLE, "throttle")                                                   \
    X(THROTTLE_RELEASE, "throttle_release")                                   \
    X(FAN_ON, "fan_on")                                                       \
    X(FAN_OFF, "fan_off")                                                     \
    X(THERMAL_SHUTDOWN, "thermal_shutdown")                                   \
    X(OOM_KILL, "oom_kill")                                                   \
    X(POWER_MODE, "power_mode")                                               \
    X(LOW_BATTERY, "low_battery")                                             \
    X(TASK_STOPPED, "task_stopped")                                           \
    X(TASK_STARTED, "task_started")                                           \
    X(AMBIENT_CHANGE, "ambient_change")                                       \
    X(NODE_DOWN, "node_down")                                                 \
    X(NODE_UP, "node_up")                                                     \
    X(OC_THROTTLE, "oc_throttle")                                             \
    X(OC_RELEASE, "oc_release")                                               \
    /* the workload: a sample overwritten in a triggered component's         \
     * KEEP_LAST queue before its callback ran (value: the sample's seq) */   \
    X(QUEUE_DROP, "queue_drop")                                               \
    /* the faults timeline: a fault and its recovery */                       \
    X(FAULT_LINK_DOWN, "fault:link-down")                                     \
    X(RECOVER_LINK_DOWN, "recover:link-down")                                 \
    X(FAULT_LOSS_BURST, "fault:loss-burst")                                   \
    X(RECOVER_LOSS_BURST, "recover:loss-burst")                               \
    X(FAULT_LATENCY_SPIKE, "fault:latency-spike")                             \
    X(RECOVER_LATENCY_SPIKE, "recover:latency-spike")                         \
    X(FAULT_AMBIENT, "fault:ambient")                                         \
    X(RECOVER_AMBIENT, "recover:ambient")                                     \
    X(FAULT_POWER_MODE, "fault:power-mode")                                   \
    X(RECOVER_POWER_MODE, "recover:power-mode")                               \
    X(FAULT_MEDIUM_CHANGE, "fault:medium-change")                             \
    X(RECOVER_MEDIUM_CHANGE, "recover:medium-change")                         \
    X(FAULT_NODE_CRASH, "fault:node-crash")                                   \
    X(RECOVER_NODE_CRASH, "recover:node-crash")                               \
    X(FAULT_PARTITION, "fault:partition")                                     \
    X(RECOVER_PARTITION, "recover:partition")                                 \
    X(FAULT_COMPONENT_CRASH, "fault:component-crash")                         \
    X(RECOVER_COMPONENT_CRASH, "recover:component-crash")                     \
    /* the simulator's own notes */                                           \
    X(FAILOVER_TIME, "failover_time")                                         \
    X(SAFETY_PARAM, "safety_param")                                           \
    X(RESPONSE, "response")                                                   \
    X(CONFIG, "config")                                                       \
    /* the deployment code's records (runtime.h's ts_rt_record) */            \
    X(APPLY_FAILED, "apply_failed")                                           \
    X(FAILOVER, "failover")                                                   \
    X(FAILOVER_ABORTED, "failover_aborted")                                   \
    X(FAILOVER_DECISION, "failover_decision")                                 \
    X(FENCE, "fence")                                                         \
    X(REJOIN, "rejoin")                                                       \
    X(HEARTBEAT_STOPPED, "heartbeat_stopped")                                 \
    X(SAFE_STATE, "safe_state")                                               \
    X(SAFE_STATE_POWER_OFF, "safe_state_power_off")                           \
    X(HEALTH_CHECK_STOPPED, "health_check_stopped")                           \
    X(REPLICA_DOWN, "replica_down")                                           \
    X(REPLICA_UP, "replica_up")                                               \
    X(REQUEST_DROPPED, "request_dropped")                                     \
    X(REQUEST_NO_REPLICA, "request_no_replica")                               \
    X(REQUEST_REJECTED, "request_rejected")                                   \
    X(REQUEST_TIMEOUT, "request_timeout")                                     \
    X(RESPONSE_LATE, "response_late")                                         \
    X(POLICY_VIOLATION, "policy_violation")                                   \
    X(QOS_INCOMPATIBLE, "qos_incompatible")                                   \
    X(LIVELINESS_LOST, "liveliness_lost")                                     \
    X(LIVELINESS_REGAINED, "liveliness_regained")                             \
    X(OFFERED_DEADLINE_MISSED, "offered_deadline_missed")                     \
    X(REQUESTED_DEADLINE_MISSED, "requested_deadline_missed")                 \
    X(SAMPLES_LOST, "samples_lost")                                           \
    X(SAMPLE_EXPIRED, "sample_expired")                                       \
    X(WRITE_REJECTED, "write_rejected")                                       \
    X(ROBOT_REGISTERED, "robot_registered")                                   \
    X(ROBOT_SILENT, "robot_silent")                                           \
    X(ROBOT_BACK, "robot_back")                                               \
    X(ROLLOUT_START, "rollout_start")                                         \
    X(ROLLOUT_STAGE, "rollout_stage")                                         \
    X(ROLLOUT_UPDATE, "rollout_update")                                       \
    X(ROLLOUT_SKIP, "rollout_skip")                                           \
    X(ROLLOUT_EVALUATE, "rollout_evaluate")                                   \
    X(ROLLOUT_COMPLETE, "rollout_complete")                                   \
    X(ROLLOUT_ABORT, "rollout_abort")                                         \
    X(ROLLBACK, "rollback")                                                   \
    X(POWER_MODE_CHANGE, "power_mode_change")                                 \
    /* the autoscaler (deploy_autoscale.h) */                                 \
    X(AUTOSCALE, "autoscale")                                                 \
    X(AUTOSCALE_EVAL, "autoscale_eval")                                       \
    X(SCALE_OUT, "scale_out")                                                 \
    X(SCALE_IN, "scale_in")                                                   \
    X(REPLICA_START, "replica_start")                                         \
    X(REPLICA_READY, "replica_ready")                                         \
    X(REPLICA_STOPPED, "replica_stopped")                                     \
    /* DDS discovery (src/sim/discovery.c) */                                 \
    X(DDS_DISCOVERY, "dds_discovery")                                         \
    X(DDS_MATCH, "dds_match")                                                 \
    X(DDS_UNMATCHED_SAMPLES, "dds_unmatched_samples")                         \
    X(DDS_NO_MATCH, "dds_no_match")

typedef enum ts_event_kind {
#define TS__EVENT_ENUM(id, name) TS_EV_##id,
    TS_EVENT_KINDS(TS__EVENT_ENUM)
#undef TS__EVENT_ENUM
    TS_EV_COUNT
} ts_event_kind;

/* The name /events rows carry for kind k ("" for TS_EV_OTHER and for a
 * value out of range). The table is static: the pointer lives forever. */
static inline const char *ts_event_kind_name(ts_event_kind k)
{
    static const char *const names[] = {
#define TS__EVENT_NAME(id, name) name,
        TS_EVENT_KINDS(TS__EVENT_NAME)
#undef TS__EVENT_NAME
    };
    return (unsigned)k < (unsigned)TS_EV_COUNT ? names[k] : "";
}

typedef struct ts_platform_event {
    ts_time time;
    ts_event_kind kind;
    int node;           /* -1 when not applicable */
    int link;           /* -1 when not applicable */
    int component;      /* -1 when not applicable */
    double value;       /* kind-specific: temperature, clock, capacity... */
    char detail[160];   /* one human sentence */
    const char *kind_name; /* TS_EV_OTHER only: the recorded name (static
                              or living as long as the call) */
} ts_platform_event;

typedef void (*ts_platform_event_fn)(void *ctx, const ts_platform_event *event);

#endif
