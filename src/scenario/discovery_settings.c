/*
 * <discovery>: the settings of DDS discovery over the simulated network
 * (the model is src/sim/discovery.c). Absent, discovery stays off and
 * writers and readers match at the start, as before. Each attribute
 * defaults to Fast DDS's value where Fast DDS has one; message sizes are
 * assumptions, written here once.
 */
#include "loader.h"

#include <stdio.h>

#define MS ((int64_t)1000 * 1000)
#define S ((int64_t)1000 * MS)

/* Fast DDS InitialAnnouncementConfig: count = 5, period = 100 ms
 * (docs.ros.org/en/rolling/p/fastdds/generated/
 * structeprosima_1_1fastdds_1_1rtps_1_1InitialAnnouncementConfig.html). */
#define DEFAULT_INITIAL_ANNOUNCEMENTS 5
#define DEFAULT_INITIAL_PERIOD_NS (100 * MS)
/* Fast DDS DiscoverySettings: leaseDuration_announcementperiod = 3 s,
 * leaseDuration = 20 s (docs.ros.org/en/rolling/p/fastdds/generated/
 * classeprosima_1_1fastdds_1_1rtps_1_1DiscoverySettings.html). */
#define DEFAULT_PERIOD_NS (3 * S)
#define DEFAULT_LEASE_NS (20 * S)

/* Message sizes: assumptions, not measurements. A participant
 * announcement is the RTPS header (20), INFO_TS (12) and a DATA
 * submessage (24) carrying a parameter list of GUID, versions, vendor,
 * three locator lists, lease, builtin endpoint set, name, properties and
 * ROS 2's enclave user data: about 300 bytes. An endpoint announcement
 * carries the header and INFO_TS (32) and per endpoint a DATA submessage
 * with topic and type names, QoS and type information: about 250 bytes.
 * An acknowledgement is the header and an ACKNACK (80, as
 * TS_QOS_ACKNACK_BYTES in deploy_qos.h). */
#define DEFAULT_SPDP_BYTES 300
#define DEFAULT_SEDP_HEADER_BYTES 32
#define DEFAULT_SEDP_ENDPOINT_BYTES 250
#define DEFAULT_ACK_BYTES 80

static int time_attr(ts__builder *b, const xmlNode *el, const char *attr, int64_t *out,
                     int64_t dflt, int positive)
{
    int present;
    int rc = ts__bquantity(b, el, attr, TS__Q_TIME, out, NULL, &present);
    if (rc)
        return rc;
    if (!present)
        *out = dflt;
    else if (positive ? *out <= 0 : *out < 0)
        return positive ? ts__bpositive(b, el, attr)
                        : ts_error_set(b->L->err, TS_EINVAL, b->file, ts__line(el),
                                       "discovery: %s=\"%s\" must not be negative", attr,
                                       ts__attr(el, attr));
    return TS_OK;
}

static int size_attr(ts__builder *b, const xmlNode *el, const char *attr, int64_t *out,
                     int64_t dflt)
{
    int present;
    int rc = ts__bquantity(b, el, attr, TS__Q_BYTES, out, NULL, &present);
    if (rc)
        return rc;
    if (!present)
        *out = dflt;
    else if (*out <= 0)
        return ts__bpositive(b, el, attr);
    return TS_OK;
}

int ts__walk_discovery(ts__builder *b, const xmlNode *el)
{
    if (!el)
        return TS_OK;
    ts_scenario_discovery *d = &b->s->discovery;
    d->enabled = 1;
    d->line = ts__line(el);
    d->initial_announcements = DEFAULT_INITIAL_ANNOUNCEMENTS;
    ts__int_attr(el, "initial-announcements", &d->initial_announcements);
    int rc = time_attr(b, el, "initial-period", &d->initial_period_ns, DEFAULT_INITIAL_PERIOD_NS, 1);
    if (!rc)
        rc = time_attr(b, el, "period", &d->period_ns, DEFAULT_PERIOD_NS, 1);
    if (!rc)
        rc = time_attr(b, el, "lease", &d->lease_ns, DEFAULT_LEASE_NS, 1);
    if (!rc)
        rc = time_attr(b, el, "start", &d->start_ns, 0, 0);
    if (!rc)
        rc = time_attr(b, el, "join-interval", &d->join_interval_ns, 0, 0);
    if (!rc)
        rc = size_attr(b, el, "spdp-size", &d->spdp_bytes, DEFAULT_SPDP_BYTES);
    if (!rc)
        rc = size_attr(b, el, "sedp-size", &d->sedp_header_bytes, DEFAULT_SEDP_HEADER_BYTES);
    if (!rc)
        rc = size_attr(b, el, "sedp-endpoint-size", &d->sedp_endpoint_bytes,
                       DEFAULT_SEDP_ENDPOINT_BYTES);
    if (!rc)
        rc = size_attr(b, el, "ack-size", &d->ack_bytes, DEFAULT_ACK_BYTES);
    if (rc)
        return rc;
    /* A lease no longer than the announcement period lets every remote
     * participant expire between two announcements (Fast DDS warns of the
     * same: the period must be shorter than the lease). */
    if (d->lease_ns <= d->period_ns)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, d->line,
                            "discovery: lease=\"%s\" must be longer than the announcement "
                            "period (%.3f s): peers would expire between announcements",
                            ts__attr(el, "lease") ? ts__attr(el, "lease") : "20s",
                            (double)d->period_ns / 1e9);
    return TS_OK;
}
