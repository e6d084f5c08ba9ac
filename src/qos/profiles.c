/*
 * QoS profiles: the built-in ones, validation, and derivation of a
 * scenario profile from a base. Pure functions over ts_qos.
 *
 * Sources for the ROS 2 profiles: rmw's include/rmw/qos_profiles.h as
 * published at docs.ros.org/en/iron/p/rmw/generated/
 * program_listing_file_include_rmw_qos_profiles.h.html:
 *   rmw_qos_profile_sensor_data       KEEP_LAST 5, BEST_EFFORT, VOLATILE
 *   rmw_qos_profile_parameters        KEEP_LAST 1000, RELIABLE, VOLATILE
 *   rmw_qos_profile_default           KEEP_LAST 10, RELIABLE, VOLATILE
 *   rmw_qos_profile_services_default  KEEP_LAST 10, RELIABLE, VOLATILE
 * all with default (infinite) deadline, lifespan and lease, and liveliness
 * SYSTEM_DEFAULT.
 *
 * rmw_qos_profile_system_default is SYSTEM_DEFAULT for every policy: ROS 2
 * leaves each to the middleware (rmw_fastrtps_shared_cpp/src/qos.cpp skips
 * a SYSTEM_DEFAULT field, keeping Fast DDS's own default). ROS 2's default
 * middleware is Fast DDS (ros2/rmw_fastrtps README), so we take Fast DDS's
 * documented defaults (docs.ros.org/en/rolling/p/fastdds, classes
 * ReliabilityQosPolicy, DurabilityQosPolicy, HistoryQosPolicy):
 *   writer: RELIABLE, TRANSIENT_LOCAL, KEEP_LAST 1
 *   reader: BEST_EFFORT, VOLATILE, KEEP_LAST 1
 * with AUTOMATIC liveliness, infinite lease, deadline and lifespan. The
 * OMG DDS defaults (www.omg.org/spec/DDS4CCM/20110201/DDS_DefaultQoS.xml)
 * agree except for the writer's durability, which DDS makes VOLATILE.
 * A liveliness SYSTEM_DEFAULT elsewhere likewise resolves to AUTOMATIC.
 */
#include "toposim/qos.h"

#include <string.h>

#include "toposim/error.h"

#define MS 1000000LL

typedef struct builtin {
    const char *name;
    ts_qos writer, reader;
} builtin;

#define SAME(q) q, q
#define KEEP_LAST(d, rel, dur, deadline)                                                      \
    {rel, TS_QOS_KEEP_LAST, d, 0, dur, deadline, 0, TS_QOS_AUTOMATIC, 0}

static const builtin builtins[] = {
    {"real_time", SAME(KEEP_LAST(1, TS_QOS_RELIABLE, TS_QOS_VOLATILE, 10 * MS))},
    {"standard", SAME(KEEP_LAST(10, TS_QOS_RELIABLE, TS_QOS_VOLATILE, 0))},
    {"best_effort", SAME(KEEP_LAST(100, TS_QOS_BEST_EFFORT, TS_QOS_VOLATILE, 0))},
    {"sensor_data", SAME(KEEP_LAST(5, TS_QOS_BEST_EFFORT, TS_QOS_VOLATILE, 0))},
    {"services_default", SAME(KEEP_LAST(10, TS_QOS_RELIABLE, TS_QOS_VOLATILE, 0))},
    {"parameters", SAME(KEEP_LAST(1000, TS_QOS_RELIABLE, TS_QOS_VOLATILE, 0))},
    {"default", SAME(KEEP_LAST(10, TS_QOS_RELIABLE, TS_QOS_VOLATILE, 0))},
    {"system_default", KEEP_LAST(1, TS_QOS_RELIABLE, TS_QOS_TRANSIENT_LOCAL, 0),
     KEEP_LAST(1, TS_QOS_BEST_EFFORT, TS_QOS_VOLATILE, 0)},
};

#define N_BUILTINS (sizeof builtins / sizeof builtins[0])

int ts_qos_builtin_role(const char *name, ts_qos_role role, ts_qos *out)
{
    static const char prefix[] = "rmw_qos_profile_";
    if (!name || !out)
        return TS_EINVAL;
    if (strncmp(name, prefix, sizeof prefix - 1) == 0)
        name += sizeof prefix - 1;
    for (size_t i = 0; i < N_BUILTINS; i++)
        if (strcmp(builtins[i].name, name) == 0) {
            *out = role == TS_QOS_READER ? builtins[i].reader : builtins[i].writer;
            return TS_OK;
        }
    return TS_ENOENT;
}

int ts_qos_builtin(const char *name, ts_qos *out)
{
    return ts_qos_builtin_role(name, TS_QOS_WRITER, out);
}

const char *ts_qos_builtin_name(size_t i)
{
    return i < N_BUILTINS ? builtins[i].name : NULL;
}

int ts_qos_validate(const ts_qos *q, ts_error *err)
{
    if (!q)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "qos: missing");
    if (q->reliability != TS_QOS_BEST_EFFORT && q->reliability != TS_QOS_RELIABLE)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "qos: unknown reliability %d",
                            (int)q->reliability);
    if (q->history != TS_QOS_KEEP_LAST && q->history != TS_QOS_KEEP_ALL)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "qos: unknown history %d", (int)q->history);
    if (q->durability != TS_QOS_VOLATILE && q->durability != TS_QOS_TRANSIENT_LOCAL)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "qos: unknown durability %d",
                            (int)q->durability);
    if (q->liveliness != TS_QOS_AUTOMATIC && q->liveliness != TS_QOS_MANUAL_BY_TOPIC)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "qos: unknown liveliness %d",
                            (int)q->liveliness);
    if (q->depth < 1)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "qos: depth %d, expected >= 1", q->depth);
    if (q->max_samples < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "qos: max_samples %d, expected >= 0",
                            q->max_samples);
    /* DDS calls depth > max_samples_per_instance inconsistent. */
    if (q->history == TS_QOS_KEEP_LAST && q->max_samples > 0 && q->max_samples < q->depth)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "qos: max_samples %d below KEEP_LAST depth %d", q->max_samples,
                            q->depth);
    if (q->deadline_ns < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "qos: negative deadline");
    if (q->lifespan_ns < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "qos: negative lifespan");
    if (q->lease_ns < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "qos: negative lease duration");
    return TS_OK;
}

int ts_qos_derive(const ts_qos *base, const ts_qos_override *ov, ts_qos *out, ts_error *err)
{
    if (!base || !out)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "qos: missing base profile");
    ts_qos q = *base;
    if (ov) {
        const ts_qos *v = &ov->value;
        if (ov->set & TS_QOS_SET_RELIABILITY)
            q.reliability = v->reliability;
        if (ov->set & TS_QOS_SET_HISTORY)
            q.history = v->history;
        if (ov->set & TS_QOS_SET_DEPTH)
            q.depth = v->depth;
        if (ov->set & TS_QOS_SET_MAX_SAMPLES)
            q.max_samples = v->max_samples;
        if (ov->set & TS_QOS_SET_DURABILITY)
            q.durability = v->durability;
        if (ov->set & TS_QOS_SET_DEADLINE)
            q.deadline_ns = v->deadline_ns;
        if (ov->set & TS_QOS_SET_LIFESPAN)
            q.lifespan_ns = v->lifespan_ns;
        if (ov->set & TS_QOS_SET_LIVELINESS)
            q.liveliness = v->liveliness;
        if (ov->set & TS_QOS_SET_LEASE)
            q.lease_ns = v->lease_ns;
    }
    int rc = ts_qos_validate(&q, err);
    if (rc != TS_OK)
        return rc;
    *out = q;
    return TS_OK;
}

const char *ts_qos_policy_name(ts_qos_policy p)
{
    switch (p) {
    case TS_QOS_POLICY_NONE: return "";
    case TS_QOS_POLICY_RELIABILITY: return "RELIABILITY";
    case TS_QOS_POLICY_DURABILITY: return "DURABILITY";
    case TS_QOS_POLICY_DEADLINE: return "DEADLINE";
    case TS_QOS_POLICY_LIVELINESS: return "LIVELINESS";
    }
    return "UNKNOWN";
}

const char *ts_qos_reliability_name(ts_qos_reliability r)
{
    return r == TS_QOS_RELIABLE ? "RELIABLE" : r == TS_QOS_BEST_EFFORT ? "BEST_EFFORT" : "UNKNOWN";
}

const char *ts_qos_history_name(ts_qos_history h)
{
    return h == TS_QOS_KEEP_ALL ? "KEEP_ALL" : h == TS_QOS_KEEP_LAST ? "KEEP_LAST" : "UNKNOWN";
}

const char *ts_qos_durability_name(ts_qos_durability d)
{
    return d == TS_QOS_TRANSIENT_LOCAL ? "TRANSIENT_LOCAL"
           : d == TS_QOS_VOLATILE      ? "VOLATILE"
                                       : "UNKNOWN";
}

const char *ts_qos_liveliness_name(ts_qos_liveliness l)
{
    return l == TS_QOS_MANUAL_BY_TOPIC ? "MANUAL_BY_TOPIC"
           : l == TS_QOS_AUTOMATIC     ? "AUTOMATIC"
                                       : "UNKNOWN";
}
