/*
 * Same-node transports and serialisation: the cost figures, each a line
 * (fixed + per byte) through published measurements. All of them are
 * ASSUMPTIONS: measurements on other machines (x86 laptops and servers,
 * not a Jetson), of whole middleware stacks, which a real deployment
 * should replace by its own; README.md ("Transports") tabulates them.
 *
 * Shared memory: eCAL's published 1:1 latencies between two processes on
 * one host (eclipse-ecal/ecal, doc/rst/advanced/performance.rst, HP ZBook
 * 15 G5, Ubuntu 22.04 column "SHM"): 8 us for 1 kB to 4 kB and 5880 us
 * for 32 MB. The line 8 us + 0.175 ns per byte (a copy of about
 * 5.7 GB/s) gives 8.2 us at 1 KiB (measured 8), 19.5 us at 64 KiB
 * (measured 16), 191 us at 1 MiB (measured 182) and 5880 us at 32 MiB
 * (measured 5880).
 *
 * Loaned (zero-copy) messages on shared memory: the same table's "SHM ZC"
 * column, 3 us from 1 kB to 32 MB: only the fixed part, no copy (the
 * publisher wrote the sample in place, as rclcpp's borrow_loaned_message
 * and iceoryx's loan do).
 *
 * UDP over loopback: Cyclone DDS's RoundtripPing with a 1024-byte payload
 * on one host, median round trip 42 us (eclipse-cyclonedds/cyclonedds
 * issue #912, 2021-08-25), so 21 us one way; and Fast DDS between two
 * processes on one host over UDP, about 750 us for 1 MB (Atostek/RustDDS
 * issue #319, 2024-01-27). The line through 21 us at 1 KiB and 750 us at
 * 1 MiB is 20 us + 0.7 ns per byte (rounded): two copies through the
 * kernel and the fragments' system calls, hence the steeper slope than
 * shared memory's. The same report measured 259 us at 64 KB, which the
 * line underestimates (66 us): an assumption to replace with a measurement
 * of one's own stack.
 *
 * Intra-process: Fast DDS's LatencyTest within one process with data
 * sharing and loans, median round trip 0.890 us at 16 bytes and 0.869 us
 * at 1024 bytes (eProsima/Fast-DDS issue #2731, 2022-06-07): 445 ns one
 * way, whatever the size (a pointer is passed).
 *
 * Serialisation: publishing a 125.35 MB PointCloud2 with
 * rmw_cyclonedds_cpp took about 139,394 us in publish() (ros2/rmw_iceoryx
 * issue #95, 2023-08-25), which the maintainers put down to serialisation:
 * about 1.1 ns per byte. Deserialisation is ASSUMED to cost the same per
 * byte (CDR decoding mirrors encoding). No fixed part is modelled.
 * rclcpp skips both for intra-process delivery (the message is passed as
 * a pointer) and for loaned messages of plain types (the loan is already
 * the wire form), and so does this model.
 *
 * A scenario may replace any of these figures by its own measurement
 * (<transport><cost path=... latency=... bandwidth=.../>).
 *
 * Where the work is done: serialisation is CPU work of the publishing
 * job (added to its drawn execution time when it becomes current, for
 * the samples it will publish), deserialisation CPU work of the
 * subscriber's next job to become current (in rclcpp the executor takes
 * and deserialises a sample in execute_subscription, on the subscriber's
 * thread, before its callback). Both therefore lengthen response times
 * and occupy the cores, exactly as execution time does.
 */
#include "sim/transport.h"

#include "toposim/alloc.h"

/* The figures above, in ns and ps per byte, by ts_cost_path. */
const ts__cost ts__transport_builtin[TS_COST_PATHS] = {
    [TS_COST_SHM] = {8000, 175},
    [TS_COST_LOANED] = {3000, 0},
    [TS_COST_UDP_LOOPBACK] = {20000, 700},
    [TS_COST_INTRA_PROCESS] = {445, 0},
    [TS_COST_SERIALISE] = {0, 1100},
};

ts_time ts__cost_ns(const ts__cost *c, int64_t bytes)
{
    if (bytes <= 0 || c->ps_per_byte == 0)
        return c->fixed_ns;
    if (c->fixed_ns > TS_TIME_MAX - 1000 ||
        bytes > (TS_TIME_MAX - c->fixed_ns - 1000) / c->ps_per_byte)
        return TS_TIME_MAX;
    return c->fixed_ns + (bytes * c->ps_per_byte + 999) / 1000;
}

int ts__transport_path(int kind, int loaned)
{
    if (loaned)
        return TS_COST_LOANED;
    switch (kind) {
    case TS_TRANSPORT_UDP_LOOPBACK:
        return TS_COST_UDP_LOOPBACK;
    case TS_TRANSPORT_INTRA_PROCESS:
        return TS_COST_INTRA_PROCESS;
    default:
        return TS_COST_SHM;
    }
}

int ts__transport_serialises(int kind, int loaned)
{
    return !loaned && kind != TS_TRANSPORT_INTRA_PROCESS;
}

/* What a sample of a topic needs, packed (8 bytes a topic). */
typedef struct topic_path {
    int32_t pub_node;         /* its publisher's node */
    unsigned char path;       /* same-node cost path (ts_cost_path) */
    unsigned char local_serialised; /* the same-node path serialises */
    unsigned char pub_serialises;   /* some subscriber gets it serialised */
} topic_path;

struct ts__transport {
    const int *node_of;       /* the plan's placement */
    ts__cost cost[TS_COST_PATHS];
    topic_path *topics;
    ts_time *owed;            /* deserialisation per component, not yet done */
};

int ts__transport_new(const ts__shared *sh, ts__transport **out, ts_error *err)
{
    const ts_scenario *s = sh->s;
    const int *node_of = sh->plan->node_of;
    ts__transport *tr = ts_calloc(1, sizeof *tr);
    *out = tr;
    if (tr) {
        tr->topics = ts_calloc(s->n_topics ? s->n_topics : 1, sizeof *tr->topics);
        tr->owed = ts_calloc(s->n_components ? s->n_components : 1, sizeof *tr->owed);
    }
    if (!tr || !tr->topics || !tr->owed)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the transports");
    tr->node_of = node_of;
    for (int k = 0; k < TS_COST_PATHS; k++) {
        const ts_scenario_cost *c = &s->transport_cost[k];
        tr->cost[k] = ts__transport_builtin[k];
        if (c->fixed_ns >= 0)
            tr->cost[k].fixed_ns = c->fixed_ns;
        if (c->ps_per_byte >= 0)
            tr->cost[k].ps_per_byte = c->ps_per_byte;
    }
    for (size_t t = 0; t < s->n_topics; t++) {
        const ts_scenario_topic *tp = &s->topics[t];
        topic_path *p = &tr->topics[t];
        int kind = tp->transport ? tp->transport : s->same_node_transport;
        p->pub_node = node_of[tp->publisher];
        p->path = (unsigned char)ts__transport_path(kind, tp->loaned);
        p->local_serialised = (unsigned char)ts__transport_serialises(kind, tp->loaned);
        int local = 0;
        for (size_t k = 0; k < tp->n_subscribers; k++) {
            int same = node_of[tp->subscribers[k]] == p->pub_node;
            local |= same;
            if (!same || p->local_serialised)
                p->pub_serialises = 1;
        }
        if (tp->loaned && !local)
            return ts_error_set(err, TS_EINVAL, s->path, tp->line,
                                "topic %s: loaned=\"true\", but none of its subscribers "
                                "is placed on its publisher's node (%s): a loan is "
                                "shared memory within one node (pin a subscriber there "
                                "or drop loaned)",
                                tp->id, s->nodes[p->pub_node].id);
    }
    return TS_OK;
}

void ts__transport_free(ts__transport *tr)
{
    if (!tr)
        return;
    ts_free(tr->topics);
    ts_free(tr->owed);
    ts_free(tr);
}

ts_time ts__transport_local_ns(const ts__transport *tr, int topic, int64_t bytes)
{
    return ts__cost_ns(&tr->cost[tr->topics[topic].path], bytes);
}

ts_time ts__transport_codec_ns(const ts__transport *tr, int64_t bytes)
{
    return ts__cost_ns(&tr->cost[TS_COST_SERIALISE], bytes);
}

ts_time ts__transport_publish_ns(const ts__transport *tr, int topic, int64_t bytes)
{
    return tr->topics[topic].pub_serialises ? ts__transport_codec_ns(tr, bytes) : 0;
}

void ts__transport_received(ts__transport *tr, int topic, int subscriber, int64_t bytes)
{
    const topic_path *p = &tr->topics[topic];
    if (tr->node_of[subscriber] != p->pub_node || p->local_serialised) {
        ts_time add = ts__transport_codec_ns(tr, bytes);
        ts_time *o = &tr->owed[subscriber];
        *o = *o > TS_TIME_MAX - add ? TS_TIME_MAX : *o + add;
    }
}

ts_time ts__transport_take(ts__transport *tr, int component)
{
    ts_time w = tr->owed[component];
    tr->owed[component] = 0;
    return w;
}
