/*
 * A small fake of runtime.h for unit tests of the deployment code: time
 * and timers on a private engine, messages delivered after a fixed latency
 * (or dropped by a test's filter), liveness set by the test, and every
 * component state the controller applied and every record kept for
 * inspection. It carries a component-state controller over its endpoints
 * (no nodes, sites or topics) for the deployment code under test.
 */
#ifndef TOPOSIM_TESTS_FAKE_RUNTIME_H
#define TOPOSIM_TESTS_FAKE_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "toposim/deploy_controller.h"
#include "toposim/runtime.h"
#include "toposim/sim.h"

#define FAKE_MAX_ENDPOINTS 64
#define FAKE_MAX_PORTS 32

typedef struct fake_record {
    int64_t time;
    char kind[48];
    int component, node;
    double value;
    char detail[192];
} fake_record;

typedef struct fake_component_change {
    int64_t time;
    int component;
    ts_rt_component_state state;
} fake_component_change;

typedef struct fake_runtime {
    ts_runtime rt;              /* hand &fake->rt to the code under test */
    ts_ctl *ctl;                /* and fake->ctl where a controller is asked */
    ts_engine *engine;
    int64_t latency_ns;         /* delivery delay of every message */
    /* Return 1 to drop a message; NULL keeps everything. */
    int (*drop)(void *ctx, const ts_rt_message *msg);
    void *drop_ctx;
    /* Timer starts that succeed before every later one fails with
     * TS_ENOMEM; < 0 (the default): never fail. */
    long timers_left;
    int fail_sends;             /* 1: every send fails with TS_EIO */
    int node_alive[FAKE_MAX_ENDPOINTS];       /* default 1 */
    int component_alive[FAKE_MAX_ENDPOINTS];  /* default 1 */
    ts_rt_component_state component[FAKE_MAX_ENDPOINTS]; /* last state applied */
    fake_record *records;       size_t n_records, cap_records;
    fake_component_change *changes; size_t n_changes, cap_changes;
    ts_rt_message *sent;        size_t n_sent, cap_sent; /* every send */
    uint64_t delivered, dropped;
    ts_rt_power power[FAKE_MAX_ENDPOINTS]; /* what power_state reports */
    int mode_requests;          /* set_power_mode calls */
    struct timer_call *timer_calls; /* every timer's record, freed at the end */
    struct fake_listener {
        ts_rt_receive_fn fn;
        void *ctx;
    } listeners[FAKE_MAX_ENDPOINTS][FAKE_MAX_PORTS];
} fake_runtime;

/* A fake at time 0 with 1 ms latency; free with fake_runtime_free. */
fake_runtime *fake_runtime_new(void);
void fake_runtime_free(fake_runtime *f);

/* Runs timers and deliveries up to and including `until`. */
void fake_runtime_run(fake_runtime *f, int64_t until);

/* Number of records of a kind, and the nth (0-based) one or NULL. */
size_t fake_runtime_count(const fake_runtime *f, const char *kind);
const fake_record *fake_runtime_find(const fake_runtime *f, const char *kind, size_t nth);

/* Messages sent on a port (of a kind, or any kind when kind is UINT32_MAX). */
size_t fake_runtime_sent(const fake_runtime *f, int port, uint32_t kind);

#endif
