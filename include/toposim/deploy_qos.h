/*
 * DDS / ROS 2 QoS policies as plain data: what a writer offers and a
 * reader requests. The state machines that give them their meaning live
 * in src/deploy/qos*.c.
 */
#ifndef TOPOSIM_DEPLOY_QOS_H
#define TOPOSIM_DEPLOY_QOS_H

#include <stdint.h>

#include "toposim/error.h"

typedef enum { TS_QOS_BEST_EFFORT = 0, TS_QOS_RELIABLE = 1 } ts_qos_reliability;
typedef enum { TS_QOS_KEEP_LAST = 0, TS_QOS_KEEP_ALL = 1 } ts_qos_history;
typedef enum { TS_QOS_VOLATILE = 0, TS_QOS_TRANSIENT_LOCAL = 1 } ts_qos_durability;
typedef enum { TS_QOS_AUTOMATIC = 0, TS_QOS_MANUAL_BY_TOPIC = 1 } ts_qos_liveliness;

/* One endpoint's QoS. Durations are ns; 0 means infinite (no deadline, no
 * lifespan, no lease), as DDS's DURATION_INFINITE. */
typedef struct ts_qos {
    ts_qos_reliability reliability;
    ts_qos_history history;
    int depth;                  /* KEEP_LAST depth, >= 1 */
    int max_samples;            /* KEEP_ALL resource limit; 0: unlimited */
    ts_qos_durability durability;
    int64_t deadline_ns;
    int64_t lifespan_ns;
    ts_qos_liveliness liveliness;
    int64_t lease_ns;
} ts_qos;

#endif
