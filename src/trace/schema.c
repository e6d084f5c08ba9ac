/* The trace's tables described once, and the HDF5 types built from them. */
#include "trace/schema.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define FIELD_SIZE(type, field) sizeof(((type *)0)->field)
#define COL(type, field, kind, unit, ref, desc) \
    { #field, kind, offsetof(type, field), FIELD_SIZE(type, field), unit, ref, 0, desc, 1, 0 }
/* An index column that may also hold -1 for "none". */
#define COL_OPT(type, field, ref, desc) \
    { #field, TS__COL_I32, offsetof(type, field), FIELD_SIZE(type, field), NULL, ref, 1, \
      desc, 1, 0 }
/* A column added to an older table by format version 3; `absent` is its
 * value in rows read from an older file. */
#define COL3(type, field, kind, unit, absent, desc) \
    { #field, kind, offsetof(type, field), FIELD_SIZE(type, field), unit, TS__T_NONE, 0, \
      desc, 3, absent }
#define COL3_OPT(type, field, ref, desc) \
    { #field, TS__COL_I32, offsetof(type, field), FIELD_SIZE(type, field), NULL, ref, 1, \
      desc, 3, -1 }
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const ts__column node_cols[] = {
    COL(ts_trace_node, name, TS__COL_STR, NULL, TS__T_NONE, "node id"),
    COL(ts_trace_node, kind, TS__COL_STR, NULL, TS__T_NONE,
        "computer, jetson, server, cloud or switch"),
    COL(ts_trace_node, tier, TS__COL_STR, NULL, TS__T_NONE,
        "robot, edge, cloud or network"),
    COL(ts_trace_node, site, TS__COL_STR, NULL, TS__T_NONE,
        "robot, edge rack or cloud region id; empty for network nodes"),
    COL(ts_trace_node, cores, TS__COL_I32, "1", TS__T_NONE, "CPU cores"),
    COL(ts_trace_node, memory_bytes, TS__COL_I64, "B", TS__T_NONE, "memory"),
    COL(ts_trace_node, gpus, TS__COL_I32, "1", TS__T_NONE, "GPUs"),
    COL3_OPT(ts_trace_node, site_row, TS__T_SITES, "row of /sites; -1: a network node"),
    COL3(ts_trace_node, throttle_c, TS__COL_F64, "degC", NAN,
         "die temperature that engages throttling; NaN without a thermal model"),
    COL3(ts_trace_node, shutdown_c, TS__COL_F64, "degC", NAN,
         "die temperature that stops the node; NaN without a thermal model"),
    COL3(ts_trace_node, power_mode, TS__COL_STR, NULL, 0,
         "power mode at the start (see /power_modes); empty without power modes"),
};

static const ts__column link_cols[] = {
    COL(ts_trace_link, name, TS__COL_STR, NULL, TS__T_NONE, "link id"),
    COL(ts_trace_link, node_a, TS__COL_I32, NULL, TS__T_NODES,
        "one end: row of /nodes"),
    COL(ts_trace_link, node_b, TS__COL_I32, NULL, TS__T_NODES,
        "other end: row of /nodes"),
    COL(ts_trace_link, latency_ns, TS__COL_I64, "ns", TS__T_NONE,
        "propagation delay"),
    COL(ts_trace_link, bandwidth_bps, TS__COL_F64, "bit/s", TS__T_NONE,
        "bandwidth of each direction"),
    COL(ts_trace_link, queue_bytes, TS__COL_I64, "B", TS__T_NONE,
        "drop-tail queue of each direction"),
    { "medium", TS__COL_I32, offsetof(ts_trace_link, medium), FIELD_SIZE(ts_trace_link, medium),
      NULL, TS__T_MEDIA, 1, "shared medium it transmits on: row of /media; -1: its own wire",
      6, -1 },
};

static const ts__column component_cols[] = {
    COL(ts_trace_component, name, TS__COL_STR, NULL, TS__T_NONE, "component id"),
    COL(ts_trace_component, flags, TS__COL_U32, NULL, TS__T_NONE,
        "bits: 1 real-time critical, 2 computation heavy, 4 data processing, "
        "8 safety critical"),
    COL(ts_trace_component, period_ns, TS__COL_I64, "ns", TS__T_NONE,
        "job release period"),
    COL(ts_trace_component, deadline_ns, TS__COL_I64, "ns", TS__T_NONE,
        "relative deadline of each job"),
    COL(ts_trace_component, exec_ns, TS__COL_I64, "ns", TS__T_NONE,
        "worst-case execution time"),
    COL(ts_trace_component, cpu_millicores, TS__COL_I64, "millicore", TS__T_NONE,
        "CPU request"),
    COL(ts_trace_component, memory_bytes, TS__COL_I64, "B", TS__T_NONE,
        "memory request"),
    COL(ts_trace_component, gpus, TS__COL_I32, "1", TS__T_NONE, "GPU request"),
    COL(ts_trace_component, priority, TS__COL_I32, NULL, TS__T_NONE,
        "scheduling priority, larger runs first"),
    COL3_OPT(ts_trace_component, robot, TS__T_SITES,
             "row of /sites: the robot it belongs to; -1: none"),
    COL3(ts_trace_component, needed, TS__COL_I32, NULL, 0,
         "1: its robot needs it; losing every live replica must lead to the "
         "robot's safe state"),
    COL3_OPT(ts_trace_component, backup_of, TS__T_COMPONENTS,
             "primary's row of /components; -1: not a backup"),
    COL3_OPT(ts_trace_component, replica_of, TS__T_COMPONENTS,
             "first replica's row of /components; -1: not a service replica copy"),
    COL3(ts_trace_component, isolation, TS__COL_STR, NULL, 0,
         "none, core (reserved cores), node or highest (a node of its own)"),
    COL3(ts_trace_component, zone, TS__COL_STR, NULL, 0, "security zone id; empty: none"),
    COL3(ts_trace_component, n_versions, TS__COL_I32, "1", 1, "rows it has in /versions"),
};

static const ts__column topic_cols[] = {
    COL(ts_trace_topic, name, TS__COL_STR, NULL, TS__T_NONE, "topic id"),
    COL(ts_trace_topic, publisher, TS__COL_I32, NULL, TS__T_COMPONENTS,
        "publishing component: row of /components"),
    COL(ts_trace_topic, size_bytes, TS__COL_I64, "B", TS__T_NONE, "sample size"),
    COL(ts_trace_topic, period_ns, TS__COL_I64, "ns", TS__T_NONE,
        "publication period; 0: every publisher job"),
    COL(ts_trace_topic, budget_ns, TS__COL_I64, "ns", TS__T_NONE,
        "latency budget; 0: none"),
    COL(ts_trace_topic, n_subscribers, TS__COL_I32, "1", TS__T_NONE,
        "number of subscribing components"),
};

static const ts__column placement_cols[] = {
    COL(ts_trace_placement, component, TS__COL_I32, NULL, TS__T_COMPONENTS,
        "row of /components"),
    COL(ts_trace_placement, node, TS__COL_I32, NULL, TS__T_NODES,
        "row of /nodes"),
    COL(ts_trace_placement, rule, TS__COL_STR, NULL, TS__T_NONE,
        "placement rule that decided"),
    COL(ts_trace_placement, reason, TS__COL_STR, NULL, TS__T_NONE,
        "why the component sits on that node"),
    COL3(ts_trace_placement, reserved_cores, TS__COL_U64, NULL, 0,
         "cores of its node reserved for it, bit i = core i; 0: none"),
    COL3(ts_trace_placement, fell_back, TS__COL_I32, "1", 0,
         "tiers moved outward from its rule's tier"),
};

static const ts__column requirement_cols[] = {
    COL(ts_trace_requirement, kind, TS__COL_STR, NULL, TS__T_NONE,
        "topic-deadline, component-deadline, failover, safe-state, safety-coverage, "
        "health, integration, rollout, qos-deadline, service, thermal-headroom or "
        "power-budget"),
    COL(ts_trace_requirement, target, TS__COL_I32, NULL, TS__T_NONE,
        "row of the table target_table names; -1: all"),
    COL(ts_trace_requirement, min_fraction, TS__COL_F64, "1", TS__T_NONE,
        "least fraction: the deadline kinds, safety-coverage and service; else 0"),
    COL3(ts_trace_requirement, target_table, TS__COL_STR, NULL, 0,
         "topics, components, sites, rollouts, services, nodes, or empty (no target)"),
    COL3(ts_trace_requirement, threshold, TS__COL_F64, NULL, NAN,
         "the kind's bound: a fraction, a health score 0 to 100, degC of headroom "
         "or a count of deadline events; NaN: the budgets the trace declares"),
    COL3(ts_trace_requirement, line, TS__COL_I32, NULL, 0,
         "line of the scenario document; 0: unknown"),
};

static const ts__column message_cols[] = {
    COL(ts_trace_message, topic, TS__COL_I32, NULL, TS__T_TOPICS, "row of /topics"),
    COL(ts_trace_message, publisher, TS__COL_I32, NULL, TS__T_COMPONENTS,
        "row of /components"),
    COL(ts_trace_message, subscriber, TS__COL_I32, NULL, TS__T_COMPONENTS,
        "row of /components"),
    COL(ts_trace_message, status, TS__COL_I32, NULL, TS__T_NONE,
        "0 delivered, 1 dropped (queue full), 2 no route, 3 in flight at the end, "
        "4 lost on a link (its loss model), 5 on a link that went down, "
        "6 arrived at a crashed or stopped process"),
    COL(ts_trace_message, seq, TS__COL_U64, NULL, TS__T_NONE,
        "sample number within the topic, from 0"),
    COL(ts_trace_message, send_ns, TS__COL_I64, "ns", TS__T_NONE, "publication time"),
    COL(ts_trace_message, recv_ns, TS__COL_I64, "ns", TS__T_NONE,
        "arrival time; -1 unless delivered"),
    COL(ts_trace_message, bytes, TS__COL_I64, "B", TS__T_NONE, "sample size"),
};

static const ts__column job_cols[] = {
    COL(ts_trace_job, component, TS__COL_I32, NULL, TS__T_COMPONENTS,
        "row of /components"),
    COL(ts_trace_job, node, TS__COL_I32, NULL, TS__T_NODES, "row of /nodes"),
    COL(ts_trace_job, seq, TS__COL_U64, NULL, TS__T_NONE,
        "job number within the component, from 0"),
    COL(ts_trace_job, release_ns, TS__COL_I64, "ns", TS__T_NONE, "release time"),
    COL(ts_trace_job, start_ns, TS__COL_I64, "ns", TS__T_NONE,
        "start time; -1: never started"),
    COL(ts_trace_job, finish_ns, TS__COL_I64, "ns", TS__T_NONE,
        "finish time; -1: never finished"),
    COL(ts_trace_job, deadline_ns, TS__COL_I64, "ns", TS__T_NONE,
        "absolute deadline"),
};

static const ts__column link_state_cols[] = {
    COL(ts_trace_link_state, link, TS__COL_I32, NULL, TS__T_LINKS, "row of /links"),
    COL(ts_trace_link_state, direction, TS__COL_I32, NULL, TS__T_NONE,
        "0: node_a to node_b, 1: node_b to node_a"),
    COL(ts_trace_link_state, time_ns, TS__COL_I64, "ns", TS__T_NONE,
        "end of the sampling window"),
    COL(ts_trace_link_state, utilisation, TS__COL_F64, "1", TS__T_NONE,
        "fraction of the window spent transmitting, 0 to 1"),
    COL(ts_trace_link_state, queue_bytes, TS__COL_I64, "B", TS__T_NONE,
        "bytes waiting or in transmission at time_ns"),
    COL(ts_trace_link_state, queue_packets, TS__COL_I32, "1", TS__T_NONE,
        "packets waiting or in transmission at time_ns"),
    COL(ts_trace_link_state, up, TS__COL_I32, NULL, TS__T_NONE,
        "1 when the link is up at time_ns, else 0"),
    COL(ts_trace_link_state, sent_packets, TS__COL_U64, "1", TS__T_NONE,
        "packets sent during the window"),
    COL(ts_trace_link_state, dropped_packets, TS__COL_U64, "1", TS__T_NONE,
        "packets dropped by a full queue during the window"),
    COL(ts_trace_link_state, lost_packets, TS__COL_U64, "1", TS__T_NONE,
        "packets lost to the loss model or a link down during the window"),
};

static const ts__column node_state_cols[] = {
    COL(ts_trace_node_state, node, TS__COL_I32, NULL, TS__T_NODES, "row of /nodes"),
    COL(ts_trace_node_state, up, TS__COL_I32, NULL, TS__T_NONE,
        "1 when the node runs, 0 after a crash or thermal shutdown"),
    COL(ts_trace_node_state, time_ns, TS__COL_I64, "ns", TS__T_NONE,
        "end of the sampling window"),
    COL(ts_trace_node_state, cpu_util, TS__COL_F64, "1", TS__T_NONE,
        "busy fraction over online cores during the window, 0 to 1"),
    COL(ts_trace_node_state, gpu_util, TS__COL_F64, "1", TS__T_NONE,
        "busy fraction over GPUs during the window, 0 to 1"),
    COL(ts_trace_node_state, online_cores, TS__COL_I32, "1", TS__T_NONE,
        "cores online at time_ns (the power mode may cap them)"),
    COL(ts_trace_node_state, busy_cores, TS__COL_I32, "1", TS__T_NONE,
        "cores running a job at time_ns"),
    COL(ts_trace_node_state, run_queue, TS__COL_I32, "1", TS__T_NONE,
        "jobs waiting for a core at time_ns"),
    COL(ts_trace_node_state, throttle_level, TS__COL_I32, NULL, TS__T_NONE,
        /* Kept word for word since format 2 (a changed description would
         * make every trace differ): since format 6 the level is a set of
         * bits, 1 thermal and 2 over-current (trace.h). */
        "thermal throttling step at time_ns; 0: not throttled"),
    COL(ts_trace_node_state, cpu_freq_hz, TS__COL_F64, "Hz", TS__T_NONE,
        "CPU clock at time_ns"),
    COL(ts_trace_node_state, gpu_freq_hz, TS__COL_F64, "Hz", TS__T_NONE,
        "GPU clock at time_ns"),
    COL(ts_trace_node_state, memory_used_bytes, TS__COL_I64, "B", TS__T_NONE,
        "memory in use at time_ns"),
    COL(ts_trace_node_state, temp_die_c, TS__COL_F64, "degC", TS__T_NONE,
        "die temperature at time_ns; NaN without a thermal model"),
    COL(ts_trace_node_state, temp_case_c, TS__COL_F64, "degC", TS__T_NONE,
        "case or heatsink temperature at time_ns; NaN without a thermal model"),
    COL(ts_trace_node_state, power_w, TS__COL_F64, "W", TS__T_NONE,
        "mean power over the window: energy delta over window length"),
    COL(ts_trace_node_state, energy_j, TS__COL_F64, "J", TS__T_NONE,
        "energy used since the start of the run"),
    COL(ts_trace_node_state, battery_wh, TS__COL_F64, "Wh", TS__T_NONE,
        "energy left in the node's robot battery; -1: no battery"),
    COL(ts_trace_node_state, fan_on, TS__COL_I32, NULL, TS__T_NONE,
        "1 when the fan runs at time_ns, else 0"),
    COL(ts_trace_node_state, power_mode, TS__COL_STR, NULL, TS__T_NONE,
        "power mode name at time_ns; empty without power modes"),
};

static const ts__column core_state_cols[] = {
    COL(ts_trace_core_state, node, TS__COL_I32, NULL, TS__T_NODES, "row of /nodes"),
    COL(ts_trace_core_state, core, TS__COL_I32, NULL, TS__T_NONE,
        "core number within the node, from 0 to its cores - 1"),
    COL(ts_trace_core_state, time_ns, TS__COL_I64, "ns", TS__T_NONE,
        "end of the sampling window"),
    COL(ts_trace_core_state, utilisation, TS__COL_F64, "1", TS__T_NONE,
        "busy fraction of the window, 0 to 1"),
};

static const ts__column event_cols[] = {
    COL(ts_trace_event, time_ns, TS__COL_I64, "ns", TS__T_NONE, "when it happened"),
    COL(ts_trace_event, kind, TS__COL_STR, NULL, TS__T_NONE,
        "what happened: a platform event (link_down, throttle, oom_kill...), "
        "fault:<kind> or recover:<kind>"),
    COL_OPT(ts_trace_event, node, TS__T_NODES, "row of /nodes; -1: none"),
    COL_OPT(ts_trace_event, link, TS__T_LINKS, "row of /links; -1: none"),
    COL_OPT(ts_trace_event, component, TS__T_COMPONENTS, "row of /components; -1: none"),
    COL(ts_trace_event, value, TS__COL_F64, NULL, TS__T_NONE,
        "kind-specific figure (a temperature, clock or capacity); see detail"),
    COL(ts_trace_event, detail, TS__COL_STR, NULL, TS__T_NONE,
        "one human sentence, naming the value's unit where there is one"),
};

static const ts__column site_cols[] = {
    COL(ts_trace_site, name, TS__COL_STR, NULL, TS__T_NONE, "robot, rack or region id"),
    COL(ts_trace_site, tier, TS__COL_STR, NULL, TS__T_NONE, "robot, edge or cloud"),
    COL(ts_trace_site, battery_wh, TS__COL_F64, "Wh", TS__T_NONE,
        "battery capacity; 0: none"),
    COL(ts_trace_site, safe_state_category, TS__COL_I32, NULL, TS__T_NONE,
        "IEC 60204-1 stop category 0, 1 or 2 entered when a needed component has no "
        "live replica; -1: none"),
    COL(ts_trace_site, safe_state_budget_ns, TS__COL_I64, "ns", TS__T_NONE,
        "time allowed to reach the safe state (200 ms when not declared); 0: no "
        "safe state"),
    COL(ts_trace_site, budget_declared, TS__COL_I32, NULL, TS__T_NONE,
        "1: the budget was declared, 0: the default"),
    COL_OPT(ts_trace_site, fleet, TS__T_FLEETS, "row of /fleets; -1: not a fleet copy"),
    COL(ts_trace_site, fleet_member, TS__COL_I32, NULL, TS__T_NONE,
        "number within the fleet, 0 the template; -1: none"),
};

static const ts__column power_mode_cols[] = {
    COL(ts_trace_power_mode, node, TS__COL_I32, NULL, TS__T_NODES, "row of /nodes"),
    COL(ts_trace_power_mode, name, TS__COL_STR, NULL, TS__T_NONE,
        "mode name, as node_state.power_mode"),
    COL(ts_trace_power_mode, online_cores, TS__COL_I32, "1", TS__T_NONE,
        "cores online; 0: all"),
    COL(ts_trace_power_mode, cpu_max_hz, TS__COL_F64, "Hz", TS__T_NONE,
        "CPU clock cap; 0: the reference clock"),
    COL(ts_trace_power_mode, gpu_max_hz, TS__COL_F64, "Hz", TS__T_NONE,
        "GPU clock cap; 0: the reference clock"),
    COL(ts_trace_power_mode, budget_w, TS__COL_F64, "W", TS__T_NONE,
        "power budget of the mode; 0: none"),
    COL(ts_trace_power_mode, initial, TS__COL_I32, NULL, TS__T_NONE,
        "1: the node starts in this mode"),
};

static const ts__column power_limit_cols[] = {
    COL(ts_trace_power_limit, node, TS__COL_I32, NULL, TS__T_NODES, "row of /nodes"),
    COL(ts_trace_power_limit, mode, TS__COL_STR, NULL, TS__T_NONE,
        "mode name, as /power_modes name"),
    COL(ts_trace_power_limit, oc_limit_w, TS__COL_F64, "W", TS__T_NONE,
        "over-current throttling above this input power"),
    COL(ts_trace_power_limit, oc_release_w, TS__COL_F64, "W", TS__T_NONE,
        "... released once the input is at most this"),
    COL(ts_trace_power_limit, oc_scale, TS__COL_F64, "1", TS__T_NONE,
        "clock multiplier while over-current throttled"),
};

static const ts__column version_cols[] = {
    COL(ts_trace_version, component, TS__COL_I32, NULL, TS__T_COMPONENTS,
        "row of /components"),
    COL(ts_trace_version, index, TS__COL_I32, NULL, TS__T_NONE,
        "version number as component_state.version counts; 0: declared"),
    COL(ts_trace_version, name, TS__COL_STR, NULL, TS__T_NONE, "version id"),
    COL(ts_trace_version, period_ns, TS__COL_I64, "ns", TS__T_NONE,
        "job period with this version"),
    COL(ts_trace_version, exec_ns, TS__COL_I64, "ns", TS__T_NONE,
        "worst-case execution time with this version"),
};

static const ts__column failover_group_cols[] = {
    COL(ts_trace_failover_group, primary, TS__COL_I32, NULL, TS__T_COMPONENTS,
        "primary: row of /components"),
    COL(ts_trace_failover_group, detector, TS__COL_STR, NULL, TS__T_NONE,
        "failure detector: timeout or phi"),
    COL(ts_trace_failover_group, heartbeat_ns, TS__COL_I64, "ns", TS__T_NONE,
        "heartbeat period"),
    COL(ts_trace_failover_group, misses, TS__COL_I32, "1", TS__T_NONE,
        "missed heartbeats that declare failure (timeout detector)"),
    COL(ts_trace_failover_group, phi_threshold, TS__COL_F64, "1", TS__T_NONE,
        "suspicion threshold (phi detector)"),
    COL(ts_trace_failover_group, failover_budget_ns, TS__COL_I64, "ns", TS__T_NONE,
        "fault to a backup serving; 0: none"),
    COL(ts_trace_failover_group, core_redundancy, TS__COL_I32, NULL, TS__T_NONE,
        "1: members may share a node but not a core"),
    COL(ts_trace_failover_group, n_backups, TS__COL_I32, "1", TS__T_NONE,
        "its rows in /failover_backups"),
};

static const ts__column failover_backup_cols[] = {
    COL(ts_trace_failover_backup, group, TS__COL_I32, NULL, TS__T_FAILOVER_GROUPS,
        "row of /failover_groups"),
    COL(ts_trace_failover_backup, component, TS__COL_I32, NULL, TS__T_COMPONENTS,
        "row of /components"),
    COL(ts_trace_failover_backup, rank, TS__COL_I32, NULL, TS__T_NONE,
        "takeover order within the group, 0 first"),
    COL(ts_trace_failover_backup, standby, TS__COL_STR, NULL, TS__T_NONE,
        "hot, warm or cold"),
    COL(ts_trace_failover_backup, takeover_ns, TS__COL_I64, "ns", TS__T_NONE,
        "from the decision to serving"),
};

static const ts__column subscription_cols[] = {
    COL(ts_trace_subscription, topic, TS__COL_I32, NULL, TS__T_TOPICS, "row of /topics"),
    COL(ts_trace_subscription, subscriber, TS__COL_I32, NULL, TS__T_COMPONENTS,
        "row of /components"),
    COL(ts_trace_subscription, has_qos, TS__COL_I32, NULL, TS__T_NONE,
        "1: through the DDS layer with the QoS below; 0: plain delivery"),
    COL(ts_trace_subscription, writer_reliability, TS__COL_STR, NULL, TS__T_NONE,
        "offered: RELIABLE or BEST_EFFORT"),
    COL(ts_trace_subscription, reader_reliability, TS__COL_STR, NULL, TS__T_NONE,
        "requested: RELIABLE or BEST_EFFORT"),
    COL(ts_trace_subscription, writer_durability, TS__COL_STR, NULL, TS__T_NONE,
        "offered: VOLATILE or TRANSIENT_LOCAL"),
    COL(ts_trace_subscription, reader_durability, TS__COL_STR, NULL, TS__T_NONE,
        "requested: VOLATILE or TRANSIENT_LOCAL"),
    COL(ts_trace_subscription, writer_deadline_ns, TS__COL_I64, "ns", TS__T_NONE,
        "offered deadline; 0: none"),
    COL(ts_trace_subscription, reader_deadline_ns, TS__COL_I64, "ns", TS__T_NONE,
        "requested deadline; 0: none"),
    COL(ts_trace_subscription, matched, TS__COL_I32, NULL, TS__T_NONE,
        "1: the offer satisfies the request"),
    COL(ts_trace_subscription, incompatible_policy, TS__COL_STR, NULL, TS__T_NONE,
        "first failing policy; empty when matched"),
    COL(ts_trace_subscription, allowed, TS__COL_I32, NULL, TS__T_NONE,
        "1: the access policy lets the publisher send it to the subscriber"),
};

static const ts__column service_cols[] = {
    COL(ts_trace_service, name, TS__COL_STR, NULL, TS__T_NONE, "service id"),
    COL(ts_trace_service, n_replicas, TS__COL_I32, "1", TS__T_NONE,
        "its rows in /service_replicas"),
    COL(ts_trace_service, balance, TS__COL_STR, NULL, TS__T_NONE,
        "round_robin or least_outstanding"),
    COL(ts_trace_service, timeout_ns, TS__COL_I64, "ns", TS__T_NONE, "request timeout"),
    COL(ts_trace_service, health_period_ns, TS__COL_I64, "ns", TS__T_NONE,
        "health check period; 0: none"),
};

static const ts__column service_replica_cols[] = {
    COL(ts_trace_service_replica, service, TS__COL_I32, NULL, TS__T_SERVICES,
        "row of /services"),
    COL(ts_trace_service_replica, component, TS__COL_I32, NULL, TS__T_COMPONENTS,
        "row of /components"),
};

static const ts__column client_cols[] = {
    COL(ts_trace_client, component, TS__COL_I32, NULL, TS__T_COMPONENTS,
        "calling component: row of /components"),
    COL(ts_trace_client, service, TS__COL_I32, NULL, TS__T_SERVICES, "row of /services"),
    COL(ts_trace_client, period_ns, TS__COL_I64, "ns", TS__T_NONE, "calling period"),
    COL(ts_trace_client, requests, TS__COL_U64, "1", TS__T_NONE,
        "calls with an outcome: answered + timeouts + rejected + no_replica"),
    COL(ts_trace_client, answered, TS__COL_U64, "1", TS__T_NONE, "responses in time"),
    COL(ts_trace_client, timeouts, TS__COL_U64, "1", TS__T_NONE, "requests timed out"),
    COL(ts_trace_client, rejected, TS__COL_U64, "1", TS__T_NONE,
        "calls refused: too many requests in flight"),
    COL(ts_trace_client, no_replica, TS__COL_U64, "1", TS__T_NONE,
        "calls with no live replica"),
};

static const ts__column fleet_cols[] = {
    COL(ts_trace_fleet, name, TS__COL_STR, NULL, TS__T_NONE, "fleet id"),
    COL(ts_trace_fleet, template_site, TS__COL_I32, NULL, TS__T_SITES,
        "template robot: row of /sites"),
    COL(ts_trace_fleet, count, TS__COL_I32, "1", TS__T_NONE,
        "robots, the template included"),
    COL_OPT(ts_trace_fleet, coordinator, TS__T_COMPONENTS,
            "coordinator: row of /components; -1: none"),
};

static const ts__column rollout_cols[] = {
    COL(ts_trace_rollout, component, TS__COL_I32, NULL, TS__T_COMPONENTS,
        "template's component: row of /components"),
    COL(ts_trace_rollout, to_version, TS__COL_I32, NULL, TS__T_NONE,
        "target version: index into the component's versions"),
    COL(ts_trace_rollout, to_name, TS__COL_STR, NULL, TS__T_NONE, "target version id"),
    COL(ts_trace_rollout, start_ns, TS__COL_I64, "ns", TS__T_NONE, "start"),
    COL(ts_trace_rollout, robots, TS__COL_I32, "1", TS__T_NONE, "robots it covers"),
    COL(ts_trace_rollout, canaries, TS__COL_I32, "1", TS__T_NONE,
        "robots updated first"),
    COL(ts_trace_rollout, soak_ns, TS__COL_I64, "ns", TS__T_NONE, "canary soak"),
    COL(ts_trace_rollout, wave, TS__COL_I32, "1", TS__T_NONE, "robots per later wave"),
    COL(ts_trace_rollout, wave_soak_ns, TS__COL_I64, "ns", TS__T_NONE, "soak of each wave"),
    COL(ts_trace_rollout, max_miss_fraction, TS__COL_F64, "1", TS__T_NONE,
        "deadline misses allowed while soaking"),
    COL(ts_trace_rollout, expected_end_ns, TS__COL_I64, "ns", TS__T_NONE,
        "completion time if every stage passes"),
};

static const ts__column expect_cols[] = {
    COL(ts_trace_expect, event, TS__COL_STR, NULL, TS__T_NONE, "an /events kind"),
    COL_OPT(ts_trace_expect, component, TS__T_COMPONENTS,
            "row of /components; -1: any"),
    COL_OPT(ts_trace_expect, node, TS__T_NODES, "row of /nodes; -1: any"),
    COL(ts_trace_expect, min_count, TS__COL_I64, "1", TS__T_NONE,
        "least number of matching events"),
    COL(ts_trace_expect, max_count, TS__COL_I64, "1", TS__T_NONE,
        "most matching events; -1: no bound"),
    COL(ts_trace_expect, line, TS__COL_I32, NULL, TS__T_NONE,
        "line of the scenario document"),
};

static const ts__column component_state_cols[] = {
    COL(ts_trace_component_state, time_ns, TS__COL_I64, "ns", TS__T_NONE,
        "when it changed"),
    COL(ts_trace_component_state, component, TS__COL_I32, NULL, TS__T_COMPONENTS,
        "row of /components"),
    COL(ts_trace_component_state, serving, TS__COL_I32, NULL, TS__T_NONE,
        "1: publishes its topics and answers requests"),
    COL(ts_trace_component_state, run, TS__COL_I32, NULL, TS__T_NONE,
        "0 stopped, 1 standby, 2 active, as the deployment code set it"),
    COL(ts_trace_component_state, alive, TS__COL_I32, NULL, TS__T_NONE,
        "0: its process or node is down"),
    COL(ts_trace_component_state, version, TS__COL_I32, NULL, TS__T_NONE,
        "index into the component's versions"),
    COL(ts_trace_component_state, safety_mode, TS__COL_I32, NULL, TS__T_NONE,
        "1: serving with the safety mode's reduced functionality"),
};

static const ts__column topic_window_cols[] = {
    COL(ts_trace_topic_window, topic, TS__COL_I32, NULL, TS__T_TOPICS, "row of /topics"),
    COL(ts_trace_topic_window, publisher, TS__COL_I32, NULL, TS__T_COMPONENTS,
        "row of /components"),
    COL(ts_trace_topic_window, subscriber, TS__COL_I32, NULL, TS__T_COMPONENTS,
        "row of /components"),
    COL(ts_trace_topic_window, start_ns, TS__COL_I64, "ns", TS__T_NONE,
        "first send time the window may hold"),
    COL(ts_trace_topic_window, end_ns, TS__COL_I64, "ns", TS__T_NONE,
        "end of the window: its samples were sent before it"),
    COL(ts_trace_topic_window, delivered, TS__COL_U64, "1", TS__T_NONE, "samples delivered"),
    COL(ts_trace_topic_window, met, TS__COL_U64, "1", TS__T_NONE,
        "samples delivered within the topic's budget (all delivered without one)"),
    COL(ts_trace_topic_window, dropped_queue, TS__COL_U64, "1", TS__T_NONE,
        "samples dropped by a full queue"),
    COL(ts_trace_topic_window, no_route, TS__COL_U64, "1", TS__T_NONE,
        "samples with no route"),
    COL(ts_trace_topic_window, lost, TS__COL_U64, "1", TS__T_NONE,
        "samples lost on a link (its loss model)"),
    COL(ts_trace_topic_window, link_down, TS__COL_U64, "1", TS__T_NONE,
        "samples on a link that went down"),
    COL(ts_trace_topic_window, receiver_down, TS__COL_U64, "1", TS__T_NONE,
        "samples that reached a crashed or stopped process"),
    COL(ts_trace_topic_window, max_latency_ns, TS__COL_I64, "ns", TS__T_NONE,
        "greatest latency delivered; -1: none delivered"),
    COL(ts_trace_topic_window, hist_first, TS__COL_U64, NULL, TS__T_NONE,
        "first row of /histogram_buckets holding its latencies"),
    COL(ts_trace_topic_window, hist_buckets, TS__COL_I32, "1", TS__T_NONE,
        "its rows of /histogram_buckets"),
};

static const ts__column job_window_cols[] = {
    COL(ts_trace_job_window, component, TS__COL_I32, NULL, TS__T_COMPONENTS,
        "row of /components"),
    COL(ts_trace_job_window, node, TS__COL_I32, NULL, TS__T_NODES, "row of /nodes"),
    COL(ts_trace_job_window, start_ns, TS__COL_I64, "ns", TS__T_NONE,
        "first release time the window may hold"),
    COL(ts_trace_job_window, end_ns, TS__COL_I64, "ns", TS__T_NONE,
        "end of the window: its jobs were released before it"),
    COL(ts_trace_job_window, finished, TS__COL_U64, "1", TS__T_NONE, "jobs finished"),
    COL(ts_trace_job_window, met, TS__COL_U64, "1", TS__T_NONE,
        "jobs finished by their deadline"),
    COL(ts_trace_job_window, max_response_ns, TS__COL_I64, "ns", TS__T_NONE,
        "greatest response time (finish - release); -1: none finished"),
    COL(ts_trace_job_window, hist_first, TS__COL_U64, NULL, TS__T_NONE,
        "first row of /histogram_buckets holding its response times"),
    COL(ts_trace_job_window, hist_buckets, TS__COL_I32, "1", TS__T_NONE,
        "its rows of /histogram_buckets"),
};

static const ts__column histogram_bucket_cols[] = {
    COL(ts_hist_pair, bucket, TS__COL_I32, NULL, TS__T_NONE,
        "log-linear bucket: values below 64 ns have their own, above each power of "
        "two holds 32 of equal width (HDR Histogram's layout; toposim/histogram.h)"),
    COL(ts_hist_pair, count, TS__COL_U64, "1", TS__T_NONE, "values in the bucket"),
};

static const ts__column node_window_cols[] = {
    COL(ts_trace_node_window, node, TS__COL_I32, NULL, TS__T_NODES, "row of /nodes"),
    COL(ts_trace_node_window, samples, TS__COL_I32, "1", TS__T_NONE,
        "samples in the window, each covering the sample period before its time"),
    COL(ts_trace_node_window, start_ns, TS__COL_I64, "ns", TS__T_NONE,
        "the sample time before its first sample"),
    COL(ts_trace_node_window, end_ns, TS__COL_I64, "ns", TS__T_NONE,
        "its last sample's time"),
    COL(ts_trace_node_window, up_samples, TS__COL_I32, "1", TS__T_NONE,
        "samples with the node up"),
    COL(ts_trace_node_window, up_at_end, TS__COL_I32, NULL, TS__T_NONE,
        "1: up at its last sample"),
    COL(ts_trace_node_window, cpu_util_sum, TS__COL_F64, "1", TS__T_NONE,
        "CPU use (0-1) summed over the samples with the node up; mean: / up_samples"),
    COL(ts_trace_node_window, gpu_util_sum, TS__COL_F64, "1", TS__T_NONE,
        "GPU use (0-1) summed over the samples with the node up; mean: / up_samples"),
    COL(ts_trace_node_window, cpu_util_max, TS__COL_F64, "1", TS__T_NONE,
        "greatest CPU use of a sample"),
    COL(ts_trace_node_window, gpu_util_max, TS__COL_F64, "1", TS__T_NONE,
        "greatest GPU use of a sample"),
    COL(ts_trace_node_window, memory_max_bytes, TS__COL_I64, "B", TS__T_NONE,
        "greatest memory in use at a sample"),
    COL(ts_trace_node_window, temp_die_max_c, TS__COL_F64, "degC", TS__T_NONE,
        "greatest die temperature at a sample; NaN without a thermal model"),
    COL(ts_trace_node_window, temp_case_max_c, TS__COL_F64, "degC", TS__T_NONE,
        "greatest case temperature at a sample; NaN without a thermal model"),
    COL(ts_trace_node_window, throttled_ns, TS__COL_I64, "ns", TS__T_NONE,
        "sample periods that ended with the node throttled"),
    COL(ts_trace_node_window, cpu_freq_min_hz, TS__COL_F64, "Hz", TS__T_NONE,
        "least CPU clock at a sample"),
    COL(ts_trace_node_window, gpu_freq_min_hz, TS__COL_F64, "Hz", TS__T_NONE,
        "least GPU clock at a sample"),
    COL(ts_trace_node_window, power_max_w, TS__COL_F64, "W", TS__T_NONE,
        "greatest mean power of a sample period; NaN: none"),
    COL(ts_trace_node_window, energy_j, TS__COL_F64, "J", TS__T_NONE,
        "energy used since the start, at end_ns"),
    COL(ts_trace_node_window, battery_wh, TS__COL_F64, "Wh", TS__T_NONE,
        "remaining in its robot's battery at end_ns, -1 if none"),
    COL(ts_trace_node_window, battery_min_wh, TS__COL_F64, "Wh", TS__T_NONE,
        "least remaining at a sample, -1 if none"),
    COL(ts_trace_node_window, power_mode, TS__COL_STR, NULL, TS__T_NONE,
        "power mode of every sample in the window (\"\" without power modes)"),
};

static const ts__column link_window_cols[] = {
    COL(ts_trace_link_window, link, TS__COL_I32, NULL, TS__T_LINKS, "row of /links"),
    COL(ts_trace_link_window, direction, TS__COL_I32, NULL, TS__T_NONE,
        "0: node_a to node_b, 1: node_b to node_a"),
    COL(ts_trace_link_window, start_ns, TS__COL_I64, "ns", TS__T_NONE,
        "the sample time before its first sample"),
    COL(ts_trace_link_window, end_ns, TS__COL_I64, "ns", TS__T_NONE,
        "its last sample's time"),
    COL(ts_trace_link_window, samples, TS__COL_I32, "1", TS__T_NONE,
        "samples in the window"),
    COL(ts_trace_link_window, up_samples, TS__COL_I32, "1", TS__T_NONE,
        "samples with the link up"),
    COL(ts_trace_link_window, utilisation_sum, TS__COL_F64, "1", TS__T_NONE,
        "busy fraction (0-1) summed over the samples; mean: / samples"),
    COL(ts_trace_link_window, utilisation_max, TS__COL_F64, "1", TS__T_NONE,
        "greatest busy fraction of a sample period"),
    COL(ts_trace_link_window, queue_max_bytes, TS__COL_I64, "B", TS__T_NONE,
        "greatest queue at a sample"),
    COL(ts_trace_link_window, queue_sum_bytes, TS__COL_I64, "B", TS__T_NONE,
        "queue at each sample, summed; mean: / samples"),
    COL(ts_trace_link_window, sent_packets, TS__COL_U64, "1", TS__T_NONE,
        "packets sent during the window"),
    COL(ts_trace_link_window, dropped_packets, TS__COL_U64, "1", TS__T_NONE,
        "packets dropped by a full queue during the window"),
    COL(ts_trace_link_window, lost_packets, TS__COL_U64, "1", TS__T_NONE,
        "packets lost (loss model or link down) during the window"),
};

static const ts__column chain_cols[] = {
    { "name", TS__COL_STR, offsetof(ts_trace_chain, name), FIELD_SIZE(ts_trace_chain, name),
      NULL, TS__T_NONE, 0, "chain id", 6, 0 },
    { "budget_ns", TS__COL_I64, offsetof(ts_trace_chain, budget_ns),
      FIELD_SIZE(ts_trace_chain, budget_ns), "ns", TS__T_NONE, 0,
      "end-to-end budget on each output's data age", 6, 0 },
    { "n_stages", TS__COL_I32, offsetof(ts_trace_chain, n_stages),
      FIELD_SIZE(ts_trace_chain, n_stages), "1", TS__T_NONE, 0,
      "components and topics in the chain (odd, at least 3)", 6, 0 },
    { "first", TS__COL_I32, offsetof(ts_trace_chain, first), FIELD_SIZE(ts_trace_chain, first),
      NULL, TS__T_COMPONENTS, 0, "input stage: row of /components", 6, 0 },
    { "last", TS__COL_I32, offsetof(ts_trace_chain, last), FIELD_SIZE(ts_trace_chain, last),
      NULL, TS__T_COMPONENTS, 0, "output stage: row of /components", 6, 0 },
    { "stages", TS__COL_STR, offsetof(ts_trace_chain, stages),
      FIELD_SIZE(ts_trace_chain, stages), NULL, TS__T_NONE, 0,
      "component and topic ids in chain order, separated by one space", 6, 0 },
};

static const ts__column chain_instance_cols[] = {
    { "chain", TS__COL_I32, offsetof(ts_trace_chain_instance, chain),
      FIELD_SIZE(ts_trace_chain_instance, chain), NULL, TS__T_CHAINS, 0, "row of /chains",
      6, 0 },
    { "dropped", TS__COL_I32, offsetof(ts_trace_chain_instance, dropped),
      FIELD_SIZE(ts_trace_chain_instance, dropped), NULL, TS__T_NONE, 0,
      "1: the input's sample was overwritten before a triggered stage ran for it", 6, 0 },
    { "input_ns", TS__COL_I64, offsetof(ts_trace_chain_instance, input_ns),
      FIELD_SIZE(ts_trace_chain_instance, input_ns), "ns", TS__T_NONE, 0,
      "release of the first stage's job whose data the output carries", 6, 0 },
    { "output_ns", TS__COL_I64, offsetof(ts_trace_chain_instance, output_ns),
      FIELD_SIZE(ts_trace_chain_instance, output_ns), "ns", TS__T_NONE, 0,
      "end of the last stage's job; -1 when dropped", 6, 0 },
};

static const ts__column medium_cols[] = {
    COL(ts_trace_medium, name, TS__COL_STR, NULL, TS__T_NONE, "medium id"),
    COL(ts_trace_medium, capacity_bps, TS__COL_F64, "bit/s", TS__T_NONE,
        "shared transmitter's capacity as declared"),
    COL(ts_trace_medium, latency_ns, TS__COL_I64, "ns", TS__T_NONE,
        "latency added to each attached link's own"),
    COL(ts_trace_medium, queue_bytes, TS__COL_I64, "B", TS__T_NONE, "shared drop-tail queue"),
    COL(ts_trace_medium, links, TS__COL_I32, "1", TS__T_NONE, "links attached to it"),
};

static const ts__column medium_state_cols[] = {
    COL(ts_trace_medium_state, medium, TS__COL_I32, NULL, TS__T_MEDIA, "row of /media"),
    COL(ts_trace_medium_state, time_ns, TS__COL_I64, "ns", TS__T_NONE, "end of the window"),
    COL(ts_trace_medium_state, window_ns, TS__COL_I64, "ns", TS__T_NONE,
        "length of the window"),
    COL(ts_trace_medium_state, utilisation, TS__COL_F64, "1", TS__T_NONE,
        "air time busy over the window (0-1), all its links' directions together"),
    COL(ts_trace_medium_state, queue_bytes, TS__COL_I64, "B", TS__T_NONE,
        "shared queue, waiting or in transmission, at time_ns"),
    COL(ts_trace_medium_state, queue_packets, TS__COL_I32, "1", TS__T_NONE,
        "packets in the shared queue at time_ns"),
    COL(ts_trace_medium_state, sent_packets, TS__COL_U64, "1", TS__T_NONE,
        "packets accepted onto the shared queue during the window"),
    COL(ts_trace_medium_state, dropped_packets, TS__COL_U64, "1", TS__T_NONE,
        "packets dropped by the full shared queue during the window"),
    COL(ts_trace_medium_state, lost_packets, TS__COL_U64, "1", TS__T_NONE,
        "packets lost (loss model or link down) during the window"),
};

/* Static tables are small: short chunks. The row tables grow by a chunk
 * of 4096 rows per write (192 KiB of messages, 592 KiB of node_state: each
 * within HDF5's default 1 MiB chunk cache). Events are rare and wide, so
 * 1024 rows (252 KiB) a chunk. */
#define TABLE(id, name, type, chunk, since, cols, desc) \
    [id] = { name, "/" name, desc, sizeof(type), chunk, since, cols, N_OF(cols) }

const ts__table_schema ts__trace_tables[TS__T_COUNT] = {
    TABLE(TS__T_NODES, "nodes", ts_trace_node, 256, 1, node_cols,
          "compute and network nodes of the topology"),
    TABLE(TS__T_LINKS, "links", ts_trace_link, 256, 1, link_cols,
          "full-duplex point-to-point links"),
    TABLE(TS__T_COMPONENTS, "components", ts_trace_component, 256, 1, component_cols,
          "software components and their resource requests"),
    TABLE(TS__T_TOPICS, "topics", ts_trace_topic, 256, 1, topic_cols,
          "published topics"),
    TABLE(TS__T_PLACEMENT, "placement", ts_trace_placement, 256, 1, placement_cols,
          "which node each component was placed on, and why"),
    TABLE(TS__T_REQUIREMENTS, "requirements", ts_trace_requirement, 256, 1,
          requirement_cols, "deadline requirements the run is judged by"),
    TABLE(TS__T_MESSAGES, "messages", ts_trace_message, 4096, 1, message_cols,
          "one row per sample from a publisher to one subscriber"),
    TABLE(TS__T_JOBS, "jobs", ts_trace_job, 4096, 1, job_cols,
          "one row per job of a periodic component"),
    TABLE(TS__T_LINK_STATE, "link_state", ts_trace_link_state, 4096, 2, link_state_cols,
          "one row per link direction and sampling window"),
    TABLE(TS__T_NODE_STATE, "node_state", ts_trace_node_state, 4096, 2, node_state_cols,
          "one row per node and sampling window"),
    TABLE(TS__T_CORE_STATE, "core_state", ts_trace_core_state, 4096, 2, core_state_cols,
          "one row per CPU core and sampling window"),
    TABLE(TS__T_EVENTS, "events", ts_trace_event, 1024, 2, event_cols,
          "platform events, faults and recoveries, one row each as they happened"),
    TABLE(TS__T_SITES, "sites", ts_trace_site, 256, 3, site_cols,
          "robots, edge racks and cloud regions, with safe states and fleets"),
    TABLE(TS__T_POWER_MODES, "power_modes", ts_trace_power_mode, 256, 3, power_mode_cols,
          "power modes of each node and their budgets"),
    TABLE(TS__T_VERSIONS, "versions", ts_trace_version, 256, 3, version_cols,
          "versions of each component"),
    TABLE(TS__T_FAILOVER_GROUPS, "failover_groups", ts_trace_failover_group, 256, 3,
          failover_group_cols, "monitored primaries with backups"),
    TABLE(TS__T_FAILOVER_BACKUPS, "failover_backups", ts_trace_failover_backup, 256, 3,
          failover_backup_cols, "backups of each failover group, in takeover order"),
    TABLE(TS__T_SUBSCRIPTIONS, "subscriptions", ts_trace_subscription, 256, 3,
          subscription_cols, "each topic's subscribers, their QoS and whether they match"),
    TABLE(TS__T_SERVICES, "services", ts_trace_service, 256, 3, service_cols,
          "request/response services"),
    TABLE(TS__T_SERVICE_REPLICAS, "service_replicas", ts_trace_service_replica, 256, 3,
          service_replica_cols, "components serving each service"),
    TABLE(TS__T_CLIENTS, "clients", ts_trace_client, 256, 3, client_cols,
          "service clients and their request counts at the end of the run"),
    TABLE(TS__T_FLEETS, "fleets", ts_trace_fleet, 256, 3, fleet_cols,
          "fleets of copies of a template robot"),
    TABLE(TS__T_ROLLOUTS, "rollouts", ts_trace_rollout, 256, 3, rollout_cols,
          "rollouts of component versions across fleets"),
    TABLE(TS__T_EXPECTS, "expects", ts_trace_expect, 256, 3, expect_cols,
          "events the scenario provokes on purpose and how often they must occur"),
    TABLE(TS__T_COMPONENT_STATE, "component_state", ts_trace_component_state, 4096, 3,
          component_state_cols, "one row per change of a component's run state"),
    TABLE(TS__T_TOPIC_WINDOWS, "topic_windows", ts_trace_topic_window, 4096, 4,
          topic_window_cols,
          "summary level: samples of one subscription per window of send time, by status"),
    TABLE(TS__T_JOB_WINDOWS, "job_windows", ts_trace_job_window, 4096, 4, job_window_cols,
          "summary level: finished jobs of one component per window of release time"),
    TABLE(TS__T_HISTOGRAM_BUCKETS, "histogram_buckets", ts_hist_pair, 4096, 4,
          histogram_bucket_cols,
          "summary level: the windows' latency and response-time histograms, sparse"),
    TABLE(TS__T_NODE_WINDOWS, "node_windows", ts_trace_node_window, 4096, 5, node_window_cols,
          "summary level: one row per compute node and window of state samples"),
    TABLE(TS__T_LINK_WINDOWS, "link_windows", ts_trace_link_window, 4096, 5, link_window_cols,
          "summary level: one row per link direction and window of state samples"),
    TABLE(TS__T_POWER_LIMITS, "power_limits", ts_trace_power_limit, 256, 6, power_limit_cols,
          "over-current limits of the power modes that declare one"),
    TABLE(TS__T_CHAINS, "chains", ts_trace_chain, 256, 6, chain_cols,
          "processing chains: components and the topics between them, with a budget"),
    TABLE(TS__T_CHAIN_INSTANCES, "chain_instances", ts_trace_chain_instance, 4096, 6,
          chain_instance_cols,
          "one row per chain output (input and output times) or dropped chain input"),
    TABLE(TS__T_MEDIA, "media", ts_trace_medium, 256, 6, medium_cols,
          "shared media (Wi-Fi air time, a cell): links attached share one transmitter"),
    TABLE(TS__T_MEDIUM_STATE, "medium_state", ts_trace_medium_state, 1024, 6,
          medium_state_cols,
          "one row per shared medium and sample (full) or state window (summary)"),
};

hid_t ts__string_type(size_t size)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return t;
    if (H5Tset_size(t, size) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0 ||
        H5Tset_cset(t, H5T_CSET_ASCII) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* The native member type of a column; *owned tells whether to close it. */
static hid_t column_type(const ts__column *c, int *owned)
{
    *owned = 0;
    switch (c->kind) {
    case TS__COL_I32: return H5T_NATIVE_INT32;
    case TS__COL_U32: return H5T_NATIVE_UINT32;
    case TS__COL_I64: return H5T_NATIVE_INT64;
    case TS__COL_U64: return H5T_NATIVE_UINT64;
    case TS__COL_F64: return H5T_NATIVE_DOUBLE;
    case TS__COL_STR: *owned = 1; return ts__string_type(c->size);
    }
    return -1;
}

/* Builds a compound of total size `size` with column i at off[i], for
 * the columns a file of format `version` has. */
static hid_t build_compound(const ts__table_schema *s, size_t size, const size_t *off,
                            int version)
{
    hid_t ct = H5Tcreate(H5T_COMPOUND, size);
    if (ct < 0)
        return ct;
    for (size_t i = 0; i < s->n_columns; i++) {
        if (s->columns[i].since_version > version)
            continue;
        int owned;
        hid_t mt = column_type(&s->columns[i], &owned);
        herr_t rc = mt < 0 ? -1 : H5Tinsert(ct, s->columns[i].name, off[i], mt);
        if (owned && mt >= 0)
            H5Tclose(mt);
        if (rc < 0) {
            H5Tclose(ct);
            return -1;
        }
    }
    return ct;
}

hid_t ts__mem_type(const ts__table_schema *s, int version)
{
    size_t off[TS__TRACE_MAX_COLUMNS];
    for (size_t i = 0; i < s->n_columns; i++)
        off[i] = s->columns[i].offset;
    return build_compound(s, s->row_size, off, version);
}

hid_t ts__file_type(const ts__table_schema *s, size_t *packed_off)
{
    size_t off[TS__TRACE_MAX_COLUMNS];
    size_t at = 0;
    for (size_t i = 0; i < s->n_columns; i++) {
        off[i] = at;
        at += s->columns[i].size;
    }
    if (packed_off)
        memcpy(packed_off, off, s->n_columns * sizeof off[0]);
    return build_compound(s, at, off, TS_TRACE_FORMAT_VERSION);
}

int ts__units_string(const ts__table_schema *s, char *buf, size_t size)
{
    size_t len = 0;
    if (size == 0)
        return TS_ERANGE;
    buf[0] = '\0';
    for (size_t i = 0; i < s->n_columns; i++) {
        const ts__column *c = &s->columns[i];
        if (!c->unit)
            continue;
        int n = snprintf(buf + len, size - len, "%s%s=%s", len ? ";" : "",
                         c->name, c->unit);
        if (n < 0 || (size_t)n >= size - len)
            return TS_ERANGE;
        len += (size_t)n;
    }
    return TS_OK;
}

H5T_class_t ts__col_class(ts__col_kind kind)
{
    switch (kind) {
    case TS__COL_F64: return H5T_FLOAT;
    case TS__COL_STR: return H5T_STRING;
    default: return H5T_INTEGER;
    }
}

void ts__h5_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

typedef struct walk_ctx {
    char *buf;
    size_t size;
} walk_ctx;

/* Walking upward, entry 0 is the innermost, most specific error (the one
 * that names errno, the object or the bad value). */
static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    walk_ctx *c = data;
    if (n == 0 && e && e->desc)
        snprintf(c->buf, c->size, "%s", e->desc);
    return 0;
}

/* The innermost HDF5 error said in the user's words where its meaning is
 * known (HDF5 1.10's texts, src/H5Fsuper.c, H5Fint.c and H5FDsec2.c);
 * 1 if it was. */
static int plain_words(const char *detail, char *out, size_t size)
{
    unsigned long long eof, base, stored;
    const char *msg;
    if (sscanf(detail, "truncated file: eof = %llu, sblock->base_addr = %llu, stored_eof = %llu",
               &eof, &base, &stored) == 3) {
        snprintf(out, size, "the file is truncated: it has %llu of the %llu bytes it was "
                 "written with (a copy cut short or a full disk)", eof, stored);
        return 1;
    }
    if (strstr(detail, "checksum")) {
        snprintf(out, size, "a checksum does not match: the file was changed or damaged "
                 "after it was written");
        return 1;
    }
    if (strstr(detail, "file signature not found")) {
        snprintf(out, size, "not an HDF5 file (no HDF5 signature)");
        return 1;
    }
    if ((msg = strstr(detail, "error message = '")) != NULL) {
        msg += strlen("error message = '");
        snprintf(out, size, "%.*s", (int)strcspn(msg, "'"), msg);
        return 1;
    }
    return 0;
}

int ts__h5_error(ts_error *err, int code, const char *file, const char *fmt, ...)
{
    char detail[512] = "";
    walk_ctx ctx = { detail, sizeof detail };
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, &ctx);
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char plain[512];
    if (detail[0] && plain_words(detail, plain, sizeof plain))
        return ts_error_set(err, code, file, 0, "%s: %s", msg, plain);
    if (detail[0])
        return ts_error_set(err, code, file, 0, "%s (HDF5: %s)", msg, detail);
    return ts_error_set(err, code, file, 0, "%s", msg);
}
