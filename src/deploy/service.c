/*
 * Microservices (see deploy_service.h): the registry with its health
 * checker and balancer, the probe responder, the request server and the
 * client. All four are event-driven state machines over runtime.h; every
 * table is allocated once at creation, so a request's life (send, serve,
 * answer or time out) allocates nothing. Timer arguments carry a slot
 * number plus a generation or request id, so a timer that outlived its
 * slot (cancelled too late by some runtime) is recognised and ignored.
 */
#include "toposim/deploy.h"

#include "toposim/alloc.h"
#include "toposim/error.h"
#include "toposim/runtime.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_PROBE_BYTES 64
#define SLOT_BITS 20
#define SLOT_MASK ((uint64_t)TS_SVC_MAX_SLOTS - 1)
#define DETAIL_MAX 192

static double ms(int64_t ns) { return (double)ns / 1e6; }

/* Small bodies carry one table index, little-endian, so a reply finds its
 * slot without a search. */
static void put_u32(ts_rt_message *m, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        m->body[i] = (uint8_t)(v >> (8 * i));
    m->body_len = 4;
}

static int get_u32(const ts_rt_message *m, uint32_t *v)
{
    if (m->body_len < 4)
        return 0;
    *v = 0;
    for (int i = 0; i < 4; i++)
        *v |= (uint32_t)m->body[i] << (8 * i);
    return 1;
}

/* A component counts as down only when the runtime says so: unknown (< 0)
 * is given the benefit of the doubt. */
static int is_down(const ts_runtime *rt, int endpoint)
{
    return endpoint >= 0 && ts_rt_alive(rt, TS_RT_COMPONENT, endpoint) == 0;
}

/* ================================================================== */
/* Registry, health checker, balancer                                  */
/* ================================================================== */

typedef struct replica_state {
    int endpoint, node;
    int live;
    int enrolled;           /* 1: the balancer may pick it (an autoscaler
                               withdraws replicas it stops or starts) */
    int pending;            /* this round's probe not answered yet */
    int fails, oks;         /* consecutive, capped at the thresholds */
    int64_t last_ok;        /* last good reply, or when checking started */
    int64_t down_since;
    long outstanding;
} replica_state;

typedef struct service_state {
    struct ts_svc_registry *reg;
    int index;
    char *name;
    ts_svc_balance balance;
    int64_t request_bytes, timeout_ns;
    int64_t period_ns, probe_timeout_ns;
    int down_after, up_after;
    replica_state *reps;
    size_t n_reps;
    size_t cursor;          /* round robin: next position to consider */
    long in_flight;         /* requests outstanding, all replicas */
    int64_t area_at;        /* in_flight has held since then */
    double area;            /* requests x ns in flight before area_at */
    uint64_t round;         /* last round started */
    int round_open;
    ts_rt_timer tick_timer, round_timer;
} service_state;

struct ts_svc_registry {
    ts_runtime rt;
    int checker, checker_node;
    int64_t probe_bytes;
    service_state *svcs;
    size_t n_svcs;
    int started;
};

static void replica_failed(service_state *s, replica_state *r)
{
    ts_svc_registry *reg = s->reg;
    r->oks = 0;
    if (r->fails < s->down_after)
        r->fails++;
    if (r->live && r->fails >= s->down_after) {
        int64_t now = ts_rt_now(&reg->rt);
        r->live = 0;
        r->down_since = now;
        char detail[DETAIL_MAX];
        snprintf(detail, sizeof detail,
                 "service %s: replica %d missed %d probe(s) (timeout %.3f ms); taken out",
                 s->name, r->endpoint, r->fails, ms(s->probe_timeout_ns));
        ts_rt_note(&reg->rt, "replica_down", r->endpoint, r->node, (double)(now - r->last_ok),
                   detail);
    }
}

static void replica_answered(service_state *s, replica_state *r)
{
    ts_svc_registry *reg = s->reg;
    int64_t now = ts_rt_now(&reg->rt);
    r->fails = 0;
    r->last_ok = now;
    if (r->oks < s->up_after)
        r->oks++;
    if (!r->live && r->oks >= s->up_after) {
        r->live = 1;
        char detail[DETAIL_MAX];
        snprintf(detail, sizeof detail,
                 "service %s: replica %d answered %d probe(s); put back after %.3f ms out",
                 s->name, r->endpoint, r->oks, ms(now - r->down_since));
        ts_rt_note(&reg->rt, "replica_up", r->endpoint, r->node, (double)(now - r->down_since),
                   detail);
    }
}

/* Judges the open round: every probe still unanswered failed, unless the
 * checker itself is down (its silence says nothing about the replicas). */
static void close_round(service_state *s)
{
    ts_svc_registry *reg = s->reg;
    s->round_open = 0;
    ts_rt_timer_cancel(&reg->rt, s->round_timer);
    s->round_timer = 0;
    int judge = !is_down(&reg->rt, reg->checker);
    for (size_t i = 0; i < s->n_reps; i++) {
        replica_state *r = &s->reps[i];
        if (r->pending && judge)
            replica_failed(s, r);
        r->pending = 0;
    }
}

static void on_round_timeout(void *ctx, uint64_t round)
{
    service_state *s = ctx;
    if (!s->round_open || round != s->round)
        return;
    s->round_timer = 0;
    close_round(s);
}

static void on_tick(void *ctx, uint64_t arg)
{
    (void)arg;
    service_state *s = ctx;
    ts_svc_registry *reg = s->reg;
    s->tick_timer = 0;
    /* With timeout == period the previous round ends now: judge it before
     * the next one starts, whatever order the runtime fires timers in. */
    if (s->round_open)
        close_round(s);
    /* A failing timer start leaves the checker stopped, and liveness
     * would silently stop changing: say so in the record. */
    if (ts_rt_timer_start(&reg->rt, s->period_ns, on_tick, s, 0, &s->tick_timer) < 0) {
        s->tick_timer = 0;
        ts_rt_note(&reg->rt, "health_check_stopped", reg->checker, -1, (double)s->index,
                   "the runtime refused the health checker's next timer");
    }
    if (is_down(&reg->rt, reg->checker))
        return;
    s->round++;
    for (size_t i = 0; i < s->n_reps; i++) {
        ts_rt_message m;
        memset(&m, 0, sizeof m);
        m.from = reg->checker;
        m.to = s->reps[i].endpoint;
        m.port = TS_PORT_HEALTH;
        m.kind = TS_SVC_MSG_PROBE;
        m.channel = s->index;
        m.seq = s->round;
        m.stamp = ts_rt_now(&reg->rt);
        m.wire_bytes = reg->probe_bytes;
        put_u32(&m, (uint32_t)i);
        s->reps[i].pending = 1;
        (void)ts_rt_send(&reg->rt, &m);
    }
    s->round_open = 1;
    /* Without a round timer the round closes at the next tick instead. */
    if (ts_rt_timer_start(&reg->rt, s->probe_timeout_ns, on_round_timeout, s, s->round,
                          &s->round_timer) < 0)
        s->round_timer = 0;
}

static void on_probe_reply(void *ctx, const ts_rt_message *m)
{
    ts_svc_registry *reg = ctx;
    uint32_t idx;
    if (m->kind != TS_SVC_MSG_PROBE_REPLY || m->channel < 0 || (size_t)m->channel >= reg->n_svcs ||
        !get_u32(m, &idx))
        return;
    service_state *s = &reg->svcs[m->channel];
    if (!s->round_open || m->seq != s->round || idx >= s->n_reps || !s->reps[idx].pending)
        return; /* late reply of a judged round, or a duplicate */
    s->reps[idx].pending = 0;
    replica_answered(s, &s->reps[idx]);
}

static void registry_release(ts_svc_registry *reg)
{
    if (reg->svcs) {
        for (size_t i = 0; i < reg->n_svcs; i++) {
            ts_free(reg->svcs[i].name);
            ts_free(reg->svcs[i].reps);
        }
        ts_free(reg->svcs);
    }
    ts_free(reg);
}

int ts_svc_registry_new(const ts_runtime *rt, const ts_svc_registry_desc *desc,
                        ts_svc_registry **out, ts_error *err)
{
    if (out)
        *out = NULL;
    if (!rt || !rt->ops || !desc || !out)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "service registry: missing argument");
    if (!desc->services || desc->n_services == 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "service registry: no services");
    if (desc->n_services > INT32_MAX)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "service registry: too many services");
    if (desc->probe_bytes < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "service registry: probe_bytes < 0");
    for (size_t i = 0; i < desc->n_services; i++) {
        const ts_svc_service_desc *d = &desc->services[i];
        const char *nm = d->name ? d->name : "";
        if (!d->name || !d->name[0])
            return ts_error_set(err, TS_EINVAL, NULL, 0, "service %zu: no name", i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(desc->services[j].name, d->name) == 0)
                return ts_error_set(err, TS_EINVAL, NULL, 0, "service %s: declared twice", nm);
        if (!d->replicas || d->n_replicas == 0 || d->n_replicas > UINT32_MAX)
            return ts_error_set(err, TS_EINVAL, NULL, 0, "service %s: no replicas", nm);
        for (size_t j = 0; j < d->n_replicas; j++)
            if (d->replicas[j].endpoint < 0)
                return ts_error_set(err, TS_EINVAL, NULL, 0,
                                    "service %s: replica %zu has no endpoint", nm, j);
        if (d->balance != TS_SVC_ROUND_ROBIN && d->balance != TS_SVC_LEAST_OUTSTANDING)
            return ts_error_set(err, TS_EINVAL, NULL, 0, "service %s: unknown balance policy", nm);
        if (d->request_bytes < 0)
            return ts_error_set(err, TS_EINVAL, NULL, 0, "service %s: request_bytes < 0", nm);
        if (d->timeout_ns <= 0)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "service %s: request timeout must be > 0", nm);
        if (d->health_period_ns < 0 || d->down_after < 0 || d->up_after < 0)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "service %s: negative health-check setting", nm);
        if (d->health_period_ns > 0) {
            if (d->health_timeout_ns <= 0 || d->health_timeout_ns > d->health_period_ns)
                return ts_error_set(err, TS_EINVAL, NULL, 0,
                                    "service %s: health timeout must be in (0, period]", nm);
            if (desc->checker < 0)
                return ts_error_set(err, TS_EINVAL, NULL, 0,
                                    "service %s: health checks need a checker endpoint", nm);
        }
    }

    ts_svc_registry *reg = ts_calloc(1, sizeof *reg);
    if (!reg)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "service registry: out of memory");
    reg->rt = *rt;
    reg->checker = desc->checker;
    reg->checker_node = desc->checker_node;
    reg->probe_bytes = desc->probe_bytes ? desc->probe_bytes : DEFAULT_PROBE_BYTES;
    reg->svcs = ts_calloc(desc->n_services, sizeof *reg->svcs);
    if (!reg->svcs) {
        registry_release(reg);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "service registry: out of memory");
    }
    reg->n_svcs = desc->n_services;
    for (size_t i = 0; i < desc->n_services; i++) {
        const ts_svc_service_desc *d = &desc->services[i];
        service_state *s = &reg->svcs[i];
        s->reg = reg;
        s->index = (int)i;
        s->name = ts_strdup(d->name);
        s->reps = ts_calloc(d->n_replicas, sizeof *s->reps);
        if (!s->name || !s->reps) {
            registry_release(reg);
            return ts_error_set(err, TS_ENOMEM, NULL, 0, "service registry: out of memory");
        }
        s->n_reps = d->n_replicas;
        s->balance = d->balance;
        s->request_bytes = d->request_bytes;
        s->timeout_ns = d->timeout_ns;
        s->period_ns = d->health_period_ns;
        s->probe_timeout_ns = d->health_timeout_ns;
        s->down_after = d->down_after ? d->down_after : 1;
        s->up_after = d->up_after ? d->up_after : 1;
        for (size_t j = 0; j < d->n_replicas; j++) {
            s->reps[j].endpoint = d->replicas[j].endpoint;
            s->reps[j].node = d->replicas[j].node;
            s->reps[j].live = 1;
            s->reps[j].enrolled = 1;
        }
    }
    *out = reg;
    return TS_OK;
}

int ts_svc_registry_start(ts_svc_registry *reg)
{
    if (!reg)
        return TS_EINVAL;
    if (reg->started)
        return TS_OK;
    int checked = 0;
    for (size_t i = 0; i < reg->n_svcs; i++)
        checked |= reg->svcs[i].period_ns > 0;
    if (checked) {
        int rc = ts_rt_listen(&reg->rt, reg->checker, TS_PORT_HEALTH, on_probe_reply, reg);
        if (rc != TS_OK)
            return rc;
    }
    int64_t now = ts_rt_now(&reg->rt);
    for (size_t i = 0; i < reg->n_svcs; i++) {
        service_state *s = &reg->svcs[i];
        if (s->period_ns <= 0)
            continue;
        for (size_t j = 0; j < s->n_reps; j++)
            s->reps[j].last_ok = now;
        int rc = ts_rt_timer_start(&reg->rt, s->period_ns, on_tick, s, 0, &s->tick_timer);
        if (rc != TS_OK) {
            for (size_t k = 0; k < i; k++) {
                ts_rt_timer_cancel(&reg->rt, reg->svcs[k].tick_timer);
                reg->svcs[k].tick_timer = 0;
            }
            ts_rt_unlisten(&reg->rt, reg->checker, TS_PORT_HEALTH);
            return rc;
        }
    }
    reg->started = 1;
    return TS_OK;
}

void ts_svc_registry_free(ts_svc_registry *reg)
{
    if (!reg)
        return;
    if (reg->started) {
        for (size_t i = 0; i < reg->n_svcs; i++) {
            ts_rt_timer_cancel(&reg->rt, reg->svcs[i].tick_timer);
            ts_rt_timer_cancel(&reg->rt, reg->svcs[i].round_timer);
        }
        if (reg->checker >= 0)
            ts_rt_unlisten(&reg->rt, reg->checker, TS_PORT_HEALTH);
    }
    registry_release(reg);
}

int ts_svc_registry_find(const ts_svc_registry *reg, const char *name)
{
    if (!reg || !name)
        return -1;
    for (size_t i = 0; i < reg->n_svcs; i++)
        if (strcmp(reg->svcs[i].name, name) == 0)
            return (int)i;
    return -1;
}

int ts_svc_registry_lookup(const ts_svc_registry *reg, const char *name, int *out, size_t cap,
                           size_t *n)
{
    int idx = ts_svc_registry_find(reg, name);
    if (n)
        *n = 0;
    if (idx < 0)
        return TS_ENOENT;
    const service_state *s = &reg->svcs[idx];
    size_t k = 0;
    for (size_t i = 0; i < s->n_reps; i++) {
        if (!s->reps[i].live || !s->reps[i].enrolled)
            continue;
        if (out && k < cap)
            out[k] = s->reps[i].endpoint;
        k++;
    }
    if (n)
        *n = k;
    return TS_OK;
}

static const service_state *service_at(const ts_svc_registry *reg, int service)
{
    if (!reg || service < 0 || (size_t)service >= reg->n_svcs)
        return NULL;
    return &reg->svcs[service];
}

static const replica_state *replica_at(const ts_svc_registry *reg, int service, int replica)
{
    const service_state *s = service_at(reg, service);
    if (!s || replica < 0 || (size_t)replica >= s->n_reps)
        return NULL;
    return &s->reps[replica];
}

int ts_svc_registry_pick(ts_svc_registry *reg, int service, int *replica)
{
    if (!service_at(reg, service) || !replica)
        return TS_EINVAL;
    service_state *s = &reg->svcs[service];
    if (s->balance == TS_SVC_LEAST_OUTSTANDING) {
        int best = -1;
        for (size_t i = 0; i < s->n_reps; i++)
            if (s->reps[i].live && s->reps[i].enrolled && (best < 0 || s->reps[i].outstanding < s->reps[best].outstanding))
                best = (int)i;
        if (best < 0)
            return TS_ENOENT;
        *replica = best;
        return TS_OK;
    }
    for (size_t k = 0; k < s->n_reps; k++) {
        size_t i = (s->cursor + k) % s->n_reps;
        if (s->reps[i].live && s->reps[i].enrolled) {
            s->cursor = (i + 1) % s->n_reps;
            *replica = (int)i;
            return TS_OK;
        }
    }
    return TS_ENOENT;
}

size_t ts_svc_registry_services(const ts_svc_registry *reg)
{
    return reg ? reg->n_svcs : 0;
}

size_t ts_svc_registry_replicas(const ts_svc_registry *reg, int service)
{
    const service_state *s = service_at(reg, service);
    return s ? s->n_reps : 0;
}

int ts_svc_registry_endpoint(const ts_svc_registry *reg, int service, int replica)
{
    const replica_state *r = replica_at(reg, service, replica);
    return r ? r->endpoint : -1;
}

int ts_svc_registry_live(const ts_svc_registry *reg, int service, int replica)
{
    const replica_state *r = replica_at(reg, service, replica);
    return r ? r->live : -1;
}

int ts_svc_registry_set_enrolled(ts_svc_registry *reg, int service, int replica, int enrolled)
{
    const replica_state *r = replica_at(reg, service, replica);
    if (!r)
        return TS_EINVAL;
    reg->svcs[service].reps[replica].enrolled = enrolled != 0;
    return TS_OK;
}

double ts_svc_registry_in_flight_area(const ts_svc_registry *reg, int service)
{
    const service_state *s = service_at(reg, service);
    if (!s)
        return 0;
    int64_t now = ts_rt_now(&reg->rt);
    return s->area + (double)s->in_flight * (double)(now - s->area_at);
}

long ts_svc_registry_outstanding(const ts_svc_registry *reg, int service, int replica)
{
    const replica_state *r = replica_at(reg, service, replica);
    return r ? r->outstanding : -1;
}

/* ================================================================== */
/* Probe responder                                                     */
/* ================================================================== */

struct ts_svc_responder {
    ts_runtime rt;
    int endpoint;
    int ready;
    uint64_t answered, ignored;
};

static void on_probe(void *ctx, const ts_rt_message *m)
{
    ts_svc_responder *r = ctx;
    if (m->kind != TS_SVC_MSG_PROBE)
        return;
    /* A crashed process answers nothing, whatever the network delivers. */
    if (!r->ready || is_down(&r->rt, r->endpoint)) {
        r->ignored++;
        return;
    }
    ts_rt_message reply = *m;
    reply.from = r->endpoint;
    reply.to = m->from;
    reply.kind = TS_SVC_MSG_PROBE_REPLY;
    if (ts_rt_send(&r->rt, &reply) == TS_OK)
        r->answered++;
}

int ts_svc_responder_new(const ts_runtime *rt, int endpoint, ts_svc_responder **out,
                         ts_error *err)
{
    if (out)
        *out = NULL;
    if (!rt || !rt->ops || !out || endpoint < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "probe responder: bad argument");
    ts_svc_responder *r = ts_calloc(1, sizeof *r);
    if (!r)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "probe responder: out of memory");
    r->rt = *rt;
    r->endpoint = endpoint;
    r->ready = 1;
    int rc = ts_rt_listen(rt, endpoint, TS_PORT_HEALTH, on_probe, r);
    if (rc != TS_OK) {
        ts_free(r);
        return ts_error_set(err, rc, NULL, 0, "probe responder: cannot listen on endpoint %d",
                            endpoint);
    }
    *out = r;
    return TS_OK;
}

void ts_svc_responder_set_ready(ts_svc_responder *r, int ready)
{
    if (r)
        r->ready = ready != 0;
}

uint64_t ts_svc_responder_answered(const ts_svc_responder *r) { return r ? r->answered : 0; }
uint64_t ts_svc_responder_ignored(const ts_svc_responder *r) { return r ? r->ignored : 0; }

void ts_svc_responder_free(ts_svc_responder *r)
{
    if (!r)
        return;
    ts_rt_unlisten(&r->rt, r->endpoint, TS_PORT_HEALTH);
    ts_free(r);
}

/* ================================================================== */
/* Request server                                                      */
/* ================================================================== */

enum { SLOT_FREE = 0, SLOT_QUEUED = 1, SLOT_SERVING = 2 };

typedef struct server_slot {
    ts_rt_message req;      /* the request as received */
    int64_t response_bytes;
    ts_rt_timer timer;
    uint32_t gen;           /* bumped on every reuse */
    int state;
} server_slot;

struct ts_svc_server {
    ts_runtime rt;
    ts_svc_server_desc d;
    server_slot *slots;
    int cap;
    int *free_stack;        /* free slot numbers */
    int n_free;
    int *fifo;              /* waiting slot numbers, ring of cap */
    int fifo_head, fifo_len;
    int busy;               /* slots in service */
    struct ts_svc_client *client; /* colocated client fed responses */
    ts_svc_server_stats st;
};

static void client_receive(struct ts_svc_client *c, const ts_rt_message *m);

static void slot_release(ts_svc_server *s, int i)
{
    s->slots[i].state = SLOT_FREE;
    s->slots[i].timer = 0;
    s->slots[i].gen++;
    s->free_stack[s->n_free++] = i;
}

static void on_served(void *ctx, uint64_t arg);

/* Puts slot i into service: asks the service time now, so a callback that
 * models load sees the moment work starts rather than the arrival. */
static void serve_start(ts_svc_server *s, int i)
{
    server_slot *sl = &s->slots[i];
    int64_t t = s->d.service_time_ns;
    sl->response_bytes = s->d.response_bytes;
    if (s->d.service_time)
        t = s->d.service_time(s->d.service_ctx, &sl->req, &sl->response_bytes);
    if (t < 0)
        t = 0;
    if (sl->response_bytes < 0)
        sl->response_bytes = 0;
    sl->state = SLOT_SERVING;
    s->busy++;
    uint64_t arg = ((uint64_t)sl->gen << SLOT_BITS) | (uint64_t)i;
    if (ts_rt_timer_start(&s->rt, t, on_served, s, arg, &sl->timer) != TS_OK) {
        /* No timer, no response: the client's timeout covers it. */
        s->busy--;
        s->st.discarded++;
        slot_release(s, i);
    }
}

void ts_svc_server_reset(ts_svc_server *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->cap; i++) {
        if (s->slots[i].state == SLOT_FREE)
            continue;
        ts_rt_timer_cancel(&s->rt, s->slots[i].timer);
        s->st.discarded++;
        slot_release(s, i);
    }
    s->busy = 0;
    s->fifo_head = s->fifo_len = 0;
}

static void on_served(void *ctx, uint64_t arg)
{
    ts_svc_server *s = ctx;
    int i = (int)(arg & SLOT_MASK);
    if (i >= s->cap || s->slots[i].state != SLOT_SERVING ||
        s->slots[i].gen != (uint32_t)(arg >> SLOT_BITS))
        return;
    if (is_down(&s->rt, s->d.endpoint)) {
        ts_svc_server_reset(s);
        return;
    }
    server_slot *sl = &s->slots[i];
    ts_rt_message resp = sl->req;
    resp.from = s->d.endpoint;
    resp.to = sl->req.from;
    resp.kind = TS_SVC_MSG_RESPONSE;
    resp.wire_bytes = sl->response_bytes;
    s->busy--;
    slot_release(s, i);
    if (ts_rt_send(&s->rt, &resp) == TS_OK)
        s->st.served++;
    else
        s->st.discarded++;
    while (s->busy < s->d.workers && s->fifo_len > 0) {
        int next = s->fifo[s->fifo_head];
        s->fifo_head = (s->fifo_head + 1) % s->cap;
        s->fifo_len--;
        serve_start(s, next);
    }
}

static void on_server_message(void *ctx, const ts_rt_message *m)
{
    ts_svc_server *s = ctx;
    if (m->kind == TS_SVC_MSG_RESPONSE) {
        if (s->client)
            client_receive(s->client, m);
        return;
    }
    if (m->kind != TS_SVC_MSG_REQUEST)
        return;
    if (is_down(&s->rt, s->d.endpoint)) {
        s->st.ignored++;
        return;
    }
    if (s->n_free == 0) {
        s->st.dropped++;
        char detail[DETAIL_MAX];
        snprintf(detail, sizeof detail,
                 "server %d: request %llu from %d dropped, %d in service and %d waiting",
                 s->d.endpoint, (unsigned long long)m->seq, m->from, s->busy, s->fifo_len);
        ts_rt_note(&s->rt, "request_dropped", s->d.endpoint, s->d.node, (double)s->cap, detail);
        return;
    }
    int i = s->free_stack[--s->n_free];
    s->slots[i].req = *m;
    s->st.received++;
    if (s->busy < s->d.workers) {
        serve_start(s, i);
    } else {
        s->slots[i].state = SLOT_QUEUED;
        s->fifo[(s->fifo_head + s->fifo_len) % s->cap] = i;
        s->fifo_len++;
    }
}

static void server_release(ts_svc_server *s)
{
    ts_free(s->slots);
    ts_free(s->free_stack);
    ts_free(s->fifo);
    ts_free(s);
}

int ts_svc_server_new(const ts_runtime *rt, const ts_svc_server_desc *desc, ts_svc_server **out,
                      ts_error *err)
{
    if (out)
        *out = NULL;
    if (!rt || !rt->ops || !desc || !out)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "service server: missing argument");
    if (desc->endpoint < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "service server: no endpoint");
    if (desc->workers < 1 || desc->max_queue < 0 ||
        (int64_t)desc->workers + desc->max_queue > TS_SVC_MAX_SLOTS)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "service server %d: workers must be >= 1 and workers + max_queue "
                            "<= %d",
                            desc->endpoint, TS_SVC_MAX_SLOTS);
    if (desc->service_time_ns < 0 || desc->response_bytes < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "service server %d: negative service time or response size",
                            desc->endpoint);
    ts_svc_server *s = ts_calloc(1, sizeof *s);
    if (!s)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "service server: out of memory");
    s->rt = *rt;
    s->d = *desc;
    s->cap = desc->workers + desc->max_queue;
    s->slots = ts_calloc((size_t)s->cap, sizeof *s->slots);
    s->free_stack = ts_calloc((size_t)s->cap, sizeof *s->free_stack);
    s->fifo = ts_calloc((size_t)s->cap, sizeof *s->fifo);
    if (!s->slots || !s->free_stack || !s->fifo) {
        server_release(s);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "service server: out of memory");
    }
    /* Lowest slot first off the stack, so runs read the same every time. */
    for (int i = s->cap - 1; i >= 0; i--)
        s->free_stack[s->n_free++] = i;
    int rc = ts_rt_listen(rt, desc->endpoint, TS_PORT_SERVICE, on_server_message, s);
    if (rc != TS_OK) {
        server_release(s);
        return ts_error_set(err, rc, NULL, 0, "service server: cannot listen on endpoint %d",
                            desc->endpoint);
    }
    *out = s;
    return TS_OK;
}

int ts_svc_server_pending(const ts_svc_server *s)
{
    return s ? s->cap - s->n_free : 0;
}

void ts_svc_server_stats_get(const ts_svc_server *s, ts_svc_server_stats *out)
{
    if (s && out)
        *out = s->st;
}

/* ================================================================== */
/* Client                                                              */
/* ================================================================== */

typedef struct client_slot {
    uint64_t id;            /* 0 when free */
    uint64_t tag;
    int service, replica;
    int64_t sent_ns;
    ts_rt_timer timer;
} client_slot;

struct ts_svc_client {
    ts_runtime rt;
    ts_svc_client_desc d;
    client_slot *slots;
    int *free_stack;
    int n_free;
    uint64_t next_id;
    ts_svc_client_stats st;
};

void ts_svc_server_free(ts_svc_server *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->cap; i++)
        if (s->slots[i].state == SLOT_SERVING)
            ts_rt_timer_cancel(&s->rt, s->slots[i].timer);
    if (s->client)
        s->client->d.colocated = NULL;
    ts_rt_unlisten(&s->rt, s->d.endpoint, TS_PORT_SERVICE);
    server_release(s);
}

/* Counts a request in (+1) or out (-1) of flight, summing the time the
 * service's in-flight count held (its integral: the time average over any
 * interval, as Little's law's L, without sampling). */
static void in_flight_change(service_state *s, int64_t now, int delta)
{
    s->area += (double)s->in_flight * (double)(now - s->area_at);
    s->area_at = now;
    s->in_flight += delta;
}

/* Takes slot i out of the table and the replica's outstanding count; the
 * caller reports the result afterwards, so the callback finds room. */
static client_slot client_finish(ts_svc_client *c, int i)
{
    client_slot done = c->slots[i];
    service_state *s = &c->d.registry->svcs[done.service];
    if (s->reps[done.replica].outstanding > 0) {
        s->reps[done.replica].outstanding--;
        in_flight_change(s, ts_rt_now(&c->rt), -1);
    }
    c->slots[i].id = 0;
    c->slots[i].timer = 0;
    c->free_stack[c->n_free++] = i;
    return done;
}

static void report(ts_svc_client *c, const client_slot *sl, ts_svc_status status, int64_t latency)
{
    if (!c->d.done)
        return;
    ts_svc_result r;
    r.request_id = sl->id;
    r.tag = sl->tag;
    r.service = sl->service;
    r.replica = sl->replica;
    r.endpoint = c->d.registry->svcs[sl->service].reps[sl->replica].endpoint;
    r.status = status;
    r.sent_ns = sl->sent_ns;
    r.latency_ns = latency;
    c->d.done(c->d.done_ctx, &r);
}

static void on_request_timeout(void *ctx, uint64_t arg)
{
    ts_svc_client *c = ctx;
    int i = (int)(arg & SLOT_MASK);
    uint64_t id = arg >> SLOT_BITS;
    if (i >= c->d.max_outstanding || c->slots[i].id == 0 ||
        (c->slots[i].id & (UINT64_MAX >> SLOT_BITS)) != id)
        return;
    c->slots[i].timer = 0;
    client_slot done = client_finish(c, i);
    service_state *s = &c->d.registry->svcs[done.service];
    int64_t waited = ts_rt_now(&c->rt) - done.sent_ns;
    c->st.timeouts++;
    char detail[DETAIL_MAX];
    snprintf(detail, sizeof detail, "service %s: request %llu to replica %d timed out after %.3f ms",
             s->name, (unsigned long long)done.id, s->reps[done.replica].endpoint, ms(waited));
    ts_rt_note(&c->rt, "request_timeout", c->d.endpoint, c->d.node, (double)s->timeout_ns, detail);
    report(c, &done, TS_SVC_TIMEOUT, waited);
}

static void client_receive(ts_svc_client *c, const ts_rt_message *m)
{
    if (m->kind != TS_SVC_MSG_RESPONSE)
        return;
    uint32_t i;
    if (!get_u32(m, &i) || i >= (uint32_t)c->d.max_outstanding || c->slots[i].id == 0 ||
        c->slots[i].id != m->seq || c->slots[i].service != m->channel) {
        /* Its request timed out (the slot is free or reused): ignore. */
        c->st.late++;
        int64_t age = ts_rt_now(&c->rt) - m->stamp;
        char detail[DETAIL_MAX];
        snprintf(detail, sizeof detail,
                 "request %llu: response from %d after %.3f ms arrived after its timeout",
                 (unsigned long long)m->seq, m->from, ms(age));
        ts_rt_note(&c->rt, "response_late", c->d.endpoint, c->d.node, (double)age, detail);
        return;
    }
    ts_rt_timer_cancel(&c->rt, c->slots[i].timer);
    client_slot done = client_finish(c, (int)i);
    c->st.completed++;
    report(c, &done, TS_SVC_OK, ts_rt_now(&c->rt) - done.sent_ns);
}

static void on_client_message(void *ctx, const ts_rt_message *m)
{
    client_receive(ctx, m);
}

static void client_release(ts_svc_client *c)
{
    ts_free(c->slots);
    ts_free(c->free_stack);
    ts_free(c);
}

int ts_svc_client_new(const ts_runtime *rt, const ts_svc_client_desc *desc, ts_svc_client **out,
                      ts_error *err)
{
    if (out)
        *out = NULL;
    if (!rt || !rt->ops || !desc || !out || !desc->registry)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "service client: missing argument");
    if (desc->endpoint < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "service client: no endpoint");
    if (desc->max_outstanding < 1 || desc->max_outstanding > TS_SVC_MAX_SLOTS)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "service client %d: max_outstanding must be in 1..%d",
                            desc->endpoint, TS_SVC_MAX_SLOTS);
    if (desc->colocated &&
        (desc->colocated->d.endpoint != desc->endpoint || desc->colocated->client))
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "service client %d: colocated server is on another endpoint or "
                            "already has a client",
                            desc->endpoint);
    ts_svc_client *c = ts_calloc(1, sizeof *c);
    if (!c)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "service client: out of memory");
    c->rt = *rt;
    c->d = *desc;
    c->next_id = 1;
    c->slots = ts_calloc((size_t)desc->max_outstanding, sizeof *c->slots);
    c->free_stack = ts_calloc((size_t)desc->max_outstanding, sizeof *c->free_stack);
    if (!c->slots || !c->free_stack) {
        client_release(c);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "service client: out of memory");
    }
    for (int i = desc->max_outstanding - 1; i >= 0; i--)
        c->free_stack[c->n_free++] = i;
    if (desc->colocated) {
        desc->colocated->client = c;
    } else {
        int rc = ts_rt_listen(rt, desc->endpoint, TS_PORT_SERVICE, on_client_message, c);
        if (rc != TS_OK) {
            client_release(c);
            return ts_error_set(err, rc, NULL, 0, "service client: cannot listen on endpoint %d",
                                desc->endpoint);
        }
    }
    *out = c;
    return TS_OK;
}

int ts_svc_client_call(ts_svc_client *c, int service, uint64_t tag, uint64_t *request_id)
{
    if (!c || !service_at(c->d.registry, service))
        return TS_EINVAL;
    service_state *s = &c->d.registry->svcs[service];
    char detail[DETAIL_MAX];
    /* Table first: a refused call must not move the round-robin cursor. */
    if (c->n_free == 0) {
        c->st.rejected++;
        snprintf(detail, sizeof detail, "service %s: %d requests already in flight", s->name,
                 c->d.max_outstanding);
        ts_rt_note(&c->rt, "request_rejected", c->d.endpoint, c->d.node,
                   (double)c->d.max_outstanding, detail);
        return TS_ERANGE;
    }
    int rep;
    if (ts_svc_registry_pick(c->d.registry, service, &rep) != TS_OK) {
        c->st.no_replica++;
        snprintf(detail, sizeof detail, "service %s: no live replica", s->name);
        ts_rt_note(&c->rt, "request_no_replica", c->d.endpoint, c->d.node, (double)service,
                   detail);
        return TS_ENOENT;
    }
    int i = c->free_stack[c->n_free - 1];
    uint64_t id = c->next_id;
    int64_t now = ts_rt_now(&c->rt);

    ts_rt_message m;
    memset(&m, 0, sizeof m);
    m.from = c->d.endpoint;
    m.to = s->reps[rep].endpoint;
    m.port = TS_PORT_SERVICE;
    m.kind = TS_SVC_MSG_REQUEST;
    m.channel = service;
    m.seq = id;
    m.stamp = now;
    m.wire_bytes = s->request_bytes;
    put_u32(&m, (uint32_t)i);

    /* The slot is filled before sending, so a runtime that delivers at
     * once finds it; a failure below puts everything back. */
    client_slot *sl = &c->slots[i];
    sl->id = id;
    sl->tag = tag;
    sl->service = service;
    sl->replica = rep;
    sl->sent_ns = now;
    sl->timer = 0;
    c->n_free--;
    c->next_id++;
    s->reps[rep].outstanding++;
    in_flight_change(s, now, 1);
    uint64_t arg = (id << SLOT_BITS) | (uint64_t)i;
    int rc = ts_rt_timer_start(&c->rt, s->timeout_ns, on_request_timeout, c, arg, &sl->timer);
    if (rc == TS_OK)
        rc = ts_rt_send(&c->rt, &m);
    if (rc != TS_OK) {
        ts_rt_timer_cancel(&c->rt, sl->timer);
        (void)client_finish(c, i);
        c->next_id--;
        return rc;
    }
    c->st.sent++;
    if (request_id)
        *request_id = id;
    return TS_OK;
}

int ts_svc_client_outstanding(const ts_svc_client *c)
{
    return c ? c->d.max_outstanding - c->n_free : 0;
}

void ts_svc_client_stats_get(const ts_svc_client *c, ts_svc_client_stats *out)
{
    if (c && out)
        *out = c->st;
}

void ts_svc_client_free(ts_svc_client *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->d.max_outstanding; i++) {
        if (c->slots[i].id == 0)
            continue;
        ts_rt_timer_cancel(&c->rt, c->slots[i].timer);
        (void)client_finish(c, i);
    }
    if (c->d.colocated)
        c->d.colocated->client = NULL;
    else
        ts_rt_unlisten(&c->rt, c->d.endpoint, TS_PORT_SERVICE);
    client_release(c);
}
