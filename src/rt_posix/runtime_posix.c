/*
 * runtime.h on POSIX timers and UDP sockets (see runtime_posix.h).
 *
 * Timers: a table of slots (grown by doubling) with a generation per slot,
 * as the simulated runtime's; the earliest is found by a scan, which is
 * fine for the handful of timers a process's deployment code keeps (a
 * heap would pay off only with thousands). Equal deadlines fire in the
 * order they were started (a sequence number), as on the engine.
 *
 * Sources for the system calls: timerfd_create(2) and timerfd_settime(2)
 * with TFD_TIMER_ABSTIME on CLOCK_MONOTONIC; poll(2); udp(7) (an
 * unconnected socket reports no ICMP errors unless IP_RECVERR is set, so
 * a datagram to a dead peer is simply lost, as on a network).
 */
#include "toposim/runtime_posix.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "toposim/alloc.h"

typedef struct px_timer {
    int64_t at;
    uint64_t order;             /* start order, for equal deadlines */
    ts_rt_timer_fn fn;
    void *ctx;
    uint64_t arg;
    uint32_t gen;
    int in_use;
} px_timer;

typedef struct px_listener {
    ts_rt_receive_fn fn;
    void *ctx;
} px_listener;

#define PX_PORTS 32

struct ts_rt_posix {
    ts_runtime rt;
    ts_rt_posix_desc d;
    uint16_t *ports;
    int *fds;                   /* per endpoint, -1 when not here */
    px_listener *listeners;     /* n_endpoints x PX_PORTS */
    px_timer *timers;
    size_t n_timers;
    uint64_t order;
    int tfd;
    struct pollfd *pfds;        /* timerfd, then the sockets held here */
    int *pfd_endpoint;
    size_t n_pfds;
};

int64_t ts_rt_posix_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static ts_rt_posix *of(void *impl)
{
    return impl;
}

static int64_t px_now(void *impl)
{
    return ts_rt_posix_clock() - of(impl)->d.epoch_ns;
}

/* ---- timers --------------------------------------------------------------- */

static int px_timer_start(void *impl, int64_t delay_ns, ts_rt_timer_fn fn, void *ctx,
                          uint64_t arg, ts_rt_timer *out)
{
    ts_rt_posix *p = of(impl);
    if (delay_ns < 0 || !fn)
        return TS_EINVAL;
    size_t i = 0;
    while (i < p->n_timers && p->timers[i].in_use)
        i++;
    if (i == p->n_timers) {
        size_t cap = p->n_timers ? 2 * p->n_timers : 16;
        px_timer *t = ts_realloc(p->timers, cap * sizeof *t);
        if (!t)
            return TS_ENOMEM;
        memset(t + p->n_timers, 0, (cap - p->n_timers) * sizeof *t);
        p->timers = t;
        p->n_timers = cap;
    }
    px_timer *t = &p->timers[i];
    t->at = px_now(p) + delay_ns;
    t->order = p->order++;
    t->fn = fn;
    t->ctx = ctx;
    t->arg = arg;
    t->in_use = 1;
    if (out)
        *out = ((uint64_t)t->gen << 32) | (uint64_t)(i + 1);
    return TS_OK;
}

static int px_timer_cancel(void *impl, ts_rt_timer id)
{
    ts_rt_posix *p = of(impl);
    uint64_t slot = id & 0xffffffffu;
    if (slot == 0 || slot > p->n_timers)
        return TS_OK;
    px_timer *t = &p->timers[slot - 1];
    if (t->in_use && t->gen == (uint32_t)(id >> 32)) {
        t->in_use = 0;
        t->gen++;
    }
    return TS_OK;
}

/* The earliest pending timer, or -1. */
static long earliest(const ts_rt_posix *p)
{
    long best = -1;
    for (size_t i = 0; i < p->n_timers; i++) {
        const px_timer *t = &p->timers[i];
        if (t->in_use && (best < 0 || t->at < p->timers[best].at ||
                          (t->at == p->timers[best].at && t->order < p->timers[best].order)))
            best = (long)i;
    }
    return best;
}

/* ---- datagrams ------------------------------------------------------------ */

#define WIRE_BYTES (5 * 4 + 3 * 8 + 4 + TS_RT_BODY_MAX)

static void put32(uint8_t **b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        *(*b)++ = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t **b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        *(*b)++ = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t **b)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)*(*b)++ << (8 * i);
    return v;
}

static uint64_t get64(const uint8_t **b)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)*(*b)++ << (8 * i);
    return v;
}

/* Little endian, fixed size: what a message is on the wire. */
static void encode(const ts_rt_message *m, uint8_t *buf)
{
    uint8_t *b = buf;
    put32(&b, (uint32_t)m->from);
    put32(&b, (uint32_t)m->to);
    put32(&b, (uint32_t)m->port);
    put32(&b, m->kind);
    put32(&b, (uint32_t)m->channel);
    put64(&b, m->seq);
    put64(&b, (uint64_t)m->stamp);
    put64(&b, (uint64_t)m->wire_bytes);
    put32(&b, (uint32_t)m->body_len);
    memcpy(b, m->body, TS_RT_BODY_MAX);
}

static int decode(const uint8_t *buf, size_t len, ts_rt_message *m)
{
    if (len != WIRE_BYTES)
        return TS_EINVAL;
    const uint8_t *b = buf;
    m->from = (int)get32(&b);
    m->to = (int)get32(&b);
    m->port = (int)get32(&b);
    m->kind = get32(&b);
    m->channel = (int32_t)get32(&b);
    m->seq = get64(&b);
    m->stamp = (int64_t)get64(&b);
    m->wire_bytes = (int64_t)get64(&b);
    m->body_len = get32(&b);
    if (m->body_len > TS_RT_BODY_MAX)
        return TS_EINVAL;
    memcpy(m->body, b, TS_RT_BODY_MAX);
    return TS_OK;
}

static int endpoint_ok(const ts_rt_posix *p, int e)
{
    return e >= 0 && (size_t)e < p->d.n_endpoints;
}

static int px_send(void *impl, const ts_rt_message *msg)
{
    ts_rt_posix *p = of(impl);
    if (!endpoint_ok(p, msg->from) || !endpoint_ok(p, msg->to) || p->fds[msg->from] < 0 ||
        msg->body_len > TS_RT_BODY_MAX)
        return TS_EINVAL;   /* only endpoints running here send from here */
    uint8_t buf[WIRE_BYTES];
    encode(msg, buf);
    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons(p->ports[msg->to]);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ssize_t n = sendto(p->fds[msg->from], buf, sizeof buf, 0, (const struct sockaddr *)&to,
                       sizeof to);
    if (n == (ssize_t)sizeof buf)
        return TS_OK;
    /* A peer that is gone is the network's loss; anything else is this
     * runtime failing to send. */
    if (n < 0 && (errno == ECONNREFUSED || errno == EHOSTUNREACH))
        return TS_OK;
    return TS_EIO;
}

static int px_listen(void *impl, int endpoint, int port, ts_rt_receive_fn fn, void *ctx)
{
    ts_rt_posix *p = of(impl);
    if (!endpoint_ok(p, endpoint) || port < 0 || port >= PX_PORTS)
        return TS_EINVAL;
    px_listener *l = &p->listeners[(size_t)endpoint * PX_PORTS + (size_t)port];
    l->fn = fn;
    l->ctx = ctx;
    return TS_OK;
}

static int px_alive(void *impl, ts_rt_entity kind, int index)
{
    ts_rt_posix *p = of(impl);
    if (kind == TS_RT_NODE)
        return -1;
    if (!endpoint_ok(p, index))
        return -1;
    return p->fds[index] >= 0;
}

static int px_apply(void *impl, int component, const ts_rt_component_state *st)
{
    ts_rt_posix *p = of(impl);
    if (!endpoint_ok(p, component) || !st)
        return TS_EINVAL;
    if (p->d.apply)
        p->d.apply(p->d.apply_ctx, px_now(p), component, st);
    return TS_OK;
}

static void px_record(void *impl, const ts_rt_record *rec)
{
    ts_rt_posix *p = of(impl);
    if (p->d.record)
        p->d.record(p->d.record_ctx, px_now(p), rec);
}

/* This runtime reads no power sensors and drives no nvpmodel: a power
 * manager on it learns that the node has no power state. */
static int px_power_state(void *impl, int node, ts_rt_power *out)
{
    (void)impl;
    (void)node;
    (void)out;
    return TS_ENOENT;
}

static int px_set_power_mode(void *impl, int node, int mode)
{
    (void)impl;
    (void)node;
    (void)mode;
    return TS_ENOENT;
}

static const ts_runtime_ops posix_ops = {
    px_now, px_timer_start, px_timer_cancel, px_send,
    px_listen, px_alive, px_apply, px_record,
    px_power_state, px_set_power_mode,
};

/* ---- the loop ------------------------------------------------------------- */

/* Delivers every datagram waiting on the sockets held here. */
static void drain(ts_rt_posix *p)
{
    uint8_t buf[WIRE_BYTES + 1];
    for (size_t k = 1; k < p->n_pfds; k++) {
        int e = p->pfd_endpoint[k];
        for (;;) {
            ssize_t n = recv(p->fds[e], buf, sizeof buf, MSG_DONTWAIT);
            if (n < 0)
                break;      /* EAGAIN: nothing more (or an error: next round) */
            ts_rt_message m;
            if (decode(buf, (size_t)n, &m) != TS_OK || m.to != e || m.port < 0 ||
                m.port >= PX_PORTS)
                continue;   /* not ours: a stray datagram */
            px_listener *l = &p->listeners[(size_t)e * PX_PORTS + (size_t)m.port];
            if (l->fn)
                l->fn(l->ctx, &m);
        }
    }
}

int ts_rt_posix_run(ts_rt_posix *p, int64_t until_ns)
{
    for (;;) {
        drain(p);
        int64_t now = px_now(p);
        long t;
        while ((t = earliest(p)) >= 0 && p->timers[t].at <= now) {
            px_timer copy = p->timers[t];
            p->timers[t].in_use = 0;
            p->timers[t].gen++;
            copy.fn(copy.ctx, copy.arg);
            now = px_now(p);
        }
        if (now >= until_ns)
            return TS_OK;
        t = earliest(p);
        int64_t next = t >= 0 && p->timers[t].at < until_ns ? p->timers[t].at : until_ns;
        int64_t at_abs = next + p->d.epoch_ns;
        struct itimerspec its;
        memset(&its, 0, sizeof its);
        its.it_value.tv_sec = (time_t)(at_abs / 1000000000);
        its.it_value.tv_nsec = (long)(at_abs % 1000000000);
        if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
            its.it_value.tv_nsec = 1;   /* all zero would disarm it */
        if (timerfd_settime(p->tfd, TFD_TIMER_ABSTIME, &its, NULL) != 0)
            return TS_EIO;
        if (poll(p->pfds, (nfds_t)p->n_pfds, -1) < 0 && errno != EINTR)
            return TS_EIO;
        if (p->pfds[0].revents & POLLIN) {
            uint64_t expirations;
            ssize_t r = read(p->tfd, &expirations, sizeof expirations);
            (void)r;        /* EAGAIN after a re-arm is fine */
        }
    }
}

/* ---- setup ---------------------------------------------------------------- */

int ts_rt_posix_socket(int *fd, uint16_t *port, ts_error *err)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0)
        return ts_error_set(err, TS_EIO, NULL, 0, "socket(AF_INET, SOCK_DGRAM): %s",
                            strerror(errno));
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = 0;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(s, (const struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &len) != 0) {
        int e = errno;
        close(s);
        return ts_error_set(err, TS_EIO, NULL, 0, "bind to 127.0.0.1: %s", strerror(e));
    }
    *fd = s;
    *port = ntohs(a.sin_port);
    return TS_OK;
}

void ts_rt_posix_free(ts_rt_posix *p)
{
    if (!p)
        return;
    if (p->fds)
        for (size_t e = 0; e < p->d.n_endpoints; e++)
            if (p->fds[e] >= 0)
                close(p->fds[e]);
    if (p->tfd >= 0)
        close(p->tfd);
    ts_free(p->ports);
    ts_free(p->fds);
    ts_free(p->listeners);
    ts_free(p->timers);
    ts_free(p->pfds);
    ts_free(p->pfd_endpoint);
    ts_free(p);
}

int ts_rt_posix_new(const ts_rt_posix_desc *d, ts_rt_posix **out, ts_error *err)
{
    if (out)
        *out = NULL;
    if (!d || !out || d->n_endpoints == 0 || !d->udp_ports || !d->sockets)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "posix runtime: endpoints, ports and sockets are required");
    size_t n = d->n_endpoints;
    ts_rt_posix *p = ts_calloc(1, sizeof *p);
    if (!p)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "posix runtime: out of memory");
    p->tfd = -1;
    p->d = *d;
    p->ports = ts_malloc(n * sizeof *p->ports);
    p->fds = ts_malloc(n * sizeof *p->fds);
    p->listeners = ts_calloc(n * PX_PORTS, sizeof *p->listeners);
    p->pfds = ts_calloc(n + 1, sizeof *p->pfds);
    p->pfd_endpoint = ts_calloc(n + 1, sizeof *p->pfd_endpoint);
    if (!p->ports || !p->fds || !p->listeners || !p->pfds || !p->pfd_endpoint) {
        if (p->fds)
            memset(p->fds, -1, n * sizeof *p->fds);
        ts_rt_posix_free(p);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "posix runtime: out of memory");
    }
    memcpy(p->ports, d->udp_ports, n * sizeof *p->ports);
    memcpy(p->fds, d->sockets, n * sizeof *p->fds);
    p->d.udp_ports = p->ports;
    p->d.sockets = p->fds;
    p->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (p->tfd < 0) {
        int e = errno;
        ts_rt_posix_free(p);
        return ts_error_set(err, TS_EIO, NULL, 0, "timerfd_create: %s", strerror(e));
    }
    p->pfds[0] = (struct pollfd){.fd = p->tfd, .events = POLLIN};
    p->n_pfds = 1;
    for (size_t e = 0; e < n; e++)
        if (p->fds[e] >= 0) {
            p->pfds[p->n_pfds] = (struct pollfd){.fd = p->fds[e], .events = POLLIN};
            p->pfd_endpoint[p->n_pfds++] = (int)e;
        }
    p->rt.ops = &posix_ops;
    p->rt.impl = p;
    *out = p;
    return TS_OK;
}

const ts_runtime *ts_rt_posix_runtime(ts_rt_posix *p)
{
    return &p->rt;
}
