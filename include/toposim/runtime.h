/*
 * The runtime: all that the deployment code (src/deploy/) sees of the
 * world. It gives the current time, one-shot timers, datagrams between
 * endpoints, liveness queries and a way to record what happened, plus one
 * hook through which the component-state controller (deploy_controller.h,
 * the only caller) has a component's decided state applied: the runtime
 * starts, stops or reconfigures the process, it decides nothing. The
 * simulator implements it on the engine and the network
 * (src/sim/runtime_sim.c), src/rt_posix/ on POSIX timers and UDP sockets,
 * and unit tests use a small fake (tests/support/fake_runtime.c). The
 * deployment code must not notice the difference, so everything here is
 * plain data and function pointers.
 *
 * Delivery is a datagram service: a message may be delayed, reordered
 * where the network allows, or lost; reliability (acknowledgements,
 * retransmission) is the deployment code's job, as DDS does it over UDP.
 */
#ifndef TOPOSIM_RUNTIME_H
#define TOPOSIM_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

/* Marks a function whose result must not be dropped (an error ignored
 * where it matters fails open). GCC and Clang warn even through a (void)
 * cast, so a caller that truly does not care assigns and ignores. */
#if defined(__GNUC__)
#define TS_MUST_USE __attribute__((warn_unused_result))
#else
#define TS_MUST_USE
#endif

/* Ports: which protocol of the deployment code a message belongs to, so
 * several modules can listen on one component endpoint. */
enum {
    TS_PORT_TOPIC = 1,      /* DDS-like data, acks, heartbeats (qos.c) */
    TS_PORT_LIVENESS = 2,   /* primary/backup heartbeats (failover.c) */
    TS_PORT_SERVICE = 3,    /* requests and responses (service.c) */
    TS_PORT_HEALTH = 4,     /* health-check probes and replies */
    TS_PORT_FLEET = 5,      /* robot registration and telemetry */
    TS_PORT_USER = 16       /* first port free for other protocols */
};

#define TS_RT_BODY_MAX 64

/* One datagram between two component endpoints. */
typedef struct ts_rt_message {
    int from, to;           /* component endpoints */
    int port;               /* TS_PORT_* */
    uint32_t kind;          /* message type within the port's protocol */
    int32_t channel;        /* topic or service index, or -1 */
    uint64_t seq;           /* protocol sequence number */
    int64_t stamp;          /* when the sample or request originated, ns */
    int64_t wire_bytes;     /* size on the wire (what the network carries) */
    size_t body_len;        /* bytes of body used, <= TS_RT_BODY_MAX */
    uint8_t body[TS_RT_BODY_MAX]; /* small protocol payload */
} ts_rt_message;

/* What a component is doing, as the controller decided it. */
typedef enum {
    TS_RT_STOPPED = 0,      /* not running (cold standby, crashed, rolled out) */
    TS_RT_STANDBY = 1,      /* running but not serving (warm/hot standby) */
    TS_RT_ACTIVE = 2        /* serving */
} ts_rt_run_state;

typedef struct ts_rt_component_state {
    ts_rt_run_state run;
    int safety_mode;        /* 1: reduced functionality, conservative
                               parameters (the scenario's safety mode) */
    int version;            /* index of the version it runs, 0 = first */
} ts_rt_component_state;

/* Liveness of a node or component as the platform sees it (a real runtime
 * would ask its process supervisor). */
typedef enum { TS_RT_NODE = 0, TS_RT_COMPONENT = 1 } ts_rt_entity;

/* Something for the trace's /events table. */
typedef struct ts_rt_record {
    const char *kind;       /* e.g. "failover", "qos_incompatible",
                               "deadline_missed", "safe_state" */
    int component;          /* -1 when not applicable */
    int node;               /* -1 when not applicable */
    double value;           /* kind-specific (a duration in ns, a count) */
    const char *detail;     /* one human sentence, may be NULL */
} ts_rt_record;

/* A node's power and heat as the platform measures them (on a Jetson:
 * nvpmodel's current mode, the INA3221 input rail, the battery gauge, the
 * thermal zones and /proc/stat). Energy and core times are cumulative, so
 * a caller reads two and divides by the time between them. */
typedef struct ts_rt_power {
    int mode;               /* index of the power mode in force; -1: none */
    double energy_j;        /* drawn by the node since the start */
    double battery_wh;      /* left in its robot's battery; -1: none */
    double die_c;           /* die temperature; NaN: no sensor */
    double throttle_c;      /* die temperature that throttles; NaN: none */
    int online_cores;
    int64_t core_busy_ns;   /* busy time summed over its cores */
    int64_t online_core_ns; /* online time summed over its cores */
} ts_rt_power;

typedef uint64_t ts_rt_timer;  /* 0 never names a timer */
typedef void (*ts_rt_timer_fn)(void *ctx, uint64_t arg);
typedef void (*ts_rt_receive_fn)(void *ctx, const ts_rt_message *msg);

/* The implementation's operations. Each returns 0 on success or a
 * negative TS_ code from error.h. */
typedef struct ts_runtime_ops {
    int64_t (*now)(void *impl);
    /* Calls fn(ctx, arg) once, delay_ns (>= 0) from now. */
    int (*timer_start)(void *impl, int64_t delay_ns, ts_rt_timer_fn fn, void *ctx,
                       uint64_t arg, ts_rt_timer *out);
    /* Cancels a pending timer; a timer that already fired is not an error. */
    int (*timer_cancel)(void *impl, ts_rt_timer timer);
    /* Sends a copy of *msg from msg->from to msg->to. */
    int (*send)(void *impl, const ts_rt_message *msg);
    /* Delivers messages for (endpoint, port) to fn; one listener each;
     * fn NULL removes it. */
    int (*listen)(void *impl, int endpoint, int port, ts_rt_receive_fn fn, void *ctx);
    /* 1 when the node or component is up, 0 when down, < 0 unknown. */
    int (*alive)(void *impl, ts_rt_entity kind, int index);
    /* Applies a component's state as the controller decided it: starts,
     * stops or reconfigures its process. Called only by the controller,
     * and only when the state changed. */
    int (*apply_component)(void *impl, int component, const ts_rt_component_state *state);
    /* Records an event. */
    void (*record)(void *impl, const ts_rt_record *rec);
    /* Fills *out with node's power state now. */
    int (*power_state)(void *impl, int node, ts_rt_power *out);
    /* Asks the platform, which owns the node's power mode, to switch it
     * to mode (as `nvpmodel -m` does); it takes effect at once. */
    int (*set_power_mode)(void *impl, int node, int mode);
} ts_runtime_ops;

typedef struct ts_runtime {
    const ts_runtime_ops *ops;
    void *impl;
} ts_runtime;

/* Convenience wrappers used throughout src/deploy/. */
static inline int64_t ts_rt_now(const ts_runtime *rt) { return rt->ops->now(rt->impl); }

TS_MUST_USE static inline int ts_rt_timer_start(const ts_runtime *rt, int64_t delay_ns,
                                                ts_rt_timer_fn fn, void *ctx, uint64_t arg,
                                                ts_rt_timer *out)
{
    return rt->ops->timer_start(rt->impl, delay_ns, fn, ctx, arg, out);
}

/* Cancelling a timer that fired or never existed is not an error, so
 * there is nothing to report. */
static inline void ts_rt_timer_cancel(const ts_runtime *rt, ts_rt_timer timer)
{
    if (timer)
        (void)rt->ops->timer_cancel(rt->impl, timer);
}

/* Sends; a message the runtime could not take (no memory, a socket error)
 * is recorded as "send_failed" (component = the sender, value = the error
 * code), so a failed send never passes for network loss, which the
 * runtime reports as the network's (a lost datagram returns 0). */
static inline int ts_rt_send(const ts_runtime *rt, const ts_rt_message *msg)
{
    int rc = rt->ops->send(rt->impl, msg);
    if (rc < 0) {
        ts_rt_record rec = {"send_failed", msg->from, -1, (double)rc,
                            "the runtime could not take a message (not network loss)"};
        rt->ops->record(rt->impl, &rec);
    }
    return rc;
}

TS_MUST_USE static inline int ts_rt_listen(const ts_runtime *rt, int endpoint, int port,
                                           ts_rt_receive_fn fn, void *ctx)
{
    return rt->ops->listen(rt->impl, endpoint, port, fn, ctx);
}

/* Removes a listener; removing one that is not there is not an error. */
static inline void ts_rt_unlisten(const ts_runtime *rt, int endpoint, int port)
{
    (void)rt->ops->listen(rt->impl, endpoint, port, NULL, NULL);
}

TS_MUST_USE static inline int ts_rt_alive(const ts_runtime *rt, ts_rt_entity kind, int index)
{
    return rt->ops->alive(rt->impl, kind, index);
}

/* For the controller only (see deploy_controller.h). */
TS_MUST_USE static inline int ts_rt_apply_component(const ts_runtime *rt, int component,
                                                    const ts_rt_component_state *state)
{
    return rt->ops->apply_component(rt->impl, component, state);
}

TS_MUST_USE static inline int ts_rt_power_state(const ts_runtime *rt, int node,
                                                ts_rt_power *out)
{
    return rt->ops->power_state(rt->impl, node, out);
}

TS_MUST_USE static inline int ts_rt_set_power_mode(const ts_runtime *rt, int node, int mode)
{
    return rt->ops->set_power_mode(rt->impl, node, mode);
}

static inline void ts_rt_note(const ts_runtime *rt, const char *kind, int component,
                              int node, double value, const char *detail)
{
    ts_rt_record rec = {kind, component, node, value, detail};
    rt->ops->record(rt->impl, &rec);
}

#endif
