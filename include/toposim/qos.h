/*
 * The DDS / ROS 2 QoS vocabulary as plain data: the policies a writer
 * offers and a reader requests (ts_qos), the built-in profiles and their
 * derivation, and the policies' names. It owns no state and sees no
 * runtime, so the scenario loader can name and check profiles without
 * depending on the deployment code, whose writers and readers
 * (deploy_qos.h) give these policies their meaning.
 */
#ifndef TOPOSIM_QOS_H
#define TOPOSIM_QOS_H

#include <stddef.h>
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

/* ---- Profiles ---------------------------------------------------------- */

/* Which side of a match a profile is for: they differ only for
 * "system_default", whose values DDS leaves per entity kind. */
typedef enum { TS_QOS_WRITER = 0, TS_QOS_READER = 1 } ts_qos_role;

/* Fills *out with built-in profile `name` ("real_time", "standard",
 * "best_effort", "sensor_data", "services_default", "parameters",
 * "system_default"; the rmw_qos_profile_ prefix is accepted) as a writer
 * offers it; TS_ENOENT for an unknown name. */
int ts_qos_builtin(const char *name, ts_qos *out);

/* Same, for the given role. */
int ts_qos_builtin_role(const char *name, ts_qos_role role, ts_qos *out);

/* The i-th built-in profile's name (static), or NULL past the last. */
const char *ts_qos_builtin_name(size_t i);

/* TS_OK when q is meaningful: enums in range, depth >= 1, max_samples >= 0
 * and, for KEEP_LAST with a limit, >= depth, durations >= 0. Otherwise
 * TS_EINVAL with err naming the field. */
int ts_qos_validate(const ts_qos *q, ts_error *err);

/* Fields an override sets (ts_qos_override.set). */
#define TS_QOS_SET_RELIABILITY 0x001u
#define TS_QOS_SET_HISTORY 0x002u
#define TS_QOS_SET_DEPTH 0x004u
#define TS_QOS_SET_MAX_SAMPLES 0x008u
#define TS_QOS_SET_DURABILITY 0x010u
#define TS_QOS_SET_DEADLINE 0x020u
#define TS_QOS_SET_LIFESPAN 0x040u
#define TS_QOS_SET_LIVELINESS 0x080u
#define TS_QOS_SET_LEASE 0x100u

/* A derived profile: the fields named in `set` taken from `value`. */
typedef struct ts_qos_override {
    unsigned set;
    ts_qos value;
} ts_qos_override;

/* *out = base with ov's fields applied (ov may be NULL), then validated;
 * on TS_EINVAL *out is untouched and err names the field. */
int ts_qos_derive(const ts_qos *base, const ts_qos_override *ov, ts_qos *out, ts_error *err);

typedef enum {
    TS_QOS_POLICY_NONE = 0,
    TS_QOS_POLICY_RELIABILITY = 1,
    TS_QOS_POLICY_DURABILITY = 2,
    TS_QOS_POLICY_DEADLINE = 3,
    TS_QOS_POLICY_LIVELINESS = 4
} ts_qos_policy;

/* Static names: "RELIABILITY"..., "BEST_EFFORT"/"RELIABLE", "KEEP_LAST"/
 * "KEEP_ALL", "VOLATILE"/"TRANSIENT_LOCAL", "AUTOMATIC"/"MANUAL_BY_TOPIC". */
const char *ts_qos_policy_name(ts_qos_policy p);
const char *ts_qos_reliability_name(ts_qos_reliability r);
const char *ts_qos_history_name(ts_qos_history h);
const char *ts_qos_durability_name(ts_qos_durability d);
const char *ts_qos_liveliness_name(ts_qos_liveliness l);

#endif
