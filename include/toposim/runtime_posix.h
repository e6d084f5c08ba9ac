/*
 * runtime.h on POSIX: the second implementation of the seam, so that the
 * deployment code (src/deploy/) runs for real, outside the simulator.
 * Time is CLOCK_MONOTONIC from a shared epoch, timers are one timerfd
 * armed at the earliest pending deadline, and messages are UDP datagrams
 * between endpoints on 127.0.0.1 (one bound socket per endpoint). One
 * runtime is one process's event loop: several processes (one per node
 * agent, say) make one deployment by sharing the endpoints' port table and
 * the epoch. An endpoint whose socket is in this process is alive here; any
 * other is, from this process, not running (0), as a process supervisor
 * on that node would report its own processes and no one else's. Node
 * liveness is unknown (-1). Records and applied component states go to
 * the caller's callbacks with their times.
 *
 * Linux only (timerfd). Single-threaded: every callback runs inside
 * ts_rt_posix_run.
 */
#ifndef TOPOSIM_RUNTIME_POSIX_H
#define TOPOSIM_RUNTIME_POSIX_H

#include <stddef.h>
#include <stdint.h>

#include "toposim/error.h"
#include "toposim/runtime.h"

typedef void (*ts_rt_posix_record_fn)(void *ctx, int64_t time_ns, const ts_rt_record *rec);
typedef void (*ts_rt_posix_apply_fn)(void *ctx, int64_t time_ns, int component,
                                     const ts_rt_component_state *state);

typedef struct ts_rt_posix_desc {
    size_t n_endpoints;
    const uint16_t *udp_ports;  /* per endpoint: its UDP port on 127.0.0.1 */
    const int *sockets;         /* per endpoint: its bound UDP socket when
                                   it runs in this process (the runtime
                                   closes it when freed), else -1 */
    int64_t epoch_ns;           /* the CLOCK_MONOTONIC instant that is time 0 */
    ts_rt_posix_record_fn record;   /* may be NULL */
    void *record_ctx;
    ts_rt_posix_apply_fn apply;     /* may be NULL */
    void *apply_ctx;
} ts_rt_posix_desc;

typedef struct ts_rt_posix ts_rt_posix;

/* CLOCK_MONOTONIC now, in ns. */
int64_t ts_rt_posix_clock(void);

/* Opens a UDP socket bound to 127.0.0.1 on a free port: *fd and *port.
 * TS_EIO with err naming the failing call. */
int ts_rt_posix_socket(int *fd, uint16_t *port, ts_error *err) TS_MUST_USE;

/* A runtime for desc (copied; the sockets are taken over). Free with
 * ts_rt_posix_free. TS_EINVAL, TS_ENOMEM, TS_EIO. */
int ts_rt_posix_new(const ts_rt_posix_desc *desc, ts_rt_posix **out, ts_error *err) TS_MUST_USE;

/* The runtime.h handle to give the deployment code (valid until freed). */
const ts_runtime *ts_rt_posix_runtime(ts_rt_posix *rt);

/* Runs due timers and delivers datagrams until runtime time until_ns.
 * Datagrams already received are delivered before timers due at the same
 * moment, so a process that was not scheduled for a while hears what
 * arrived meanwhile before it judges anyone silent. 0, or TS_EIO. */
int ts_rt_posix_run(ts_rt_posix *rt, int64_t until_ns) TS_MUST_USE;

/* Closes the sockets and the timerfd and frees; NULL is fine. */
void ts_rt_posix_free(ts_rt_posix *rt);

#endif
