/* The fake runtime for deployment-code tests (see fake_runtime.h). */
#include "fake_runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toposim/error.h"

static void *grow(void *arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return arr;
    size_t n = *cap ? *cap * 2 : 64;
    while (n < need)
        n *= 2;
    void *p = realloc(arr, n * elem);
    if (!p) {
        fprintf(stderr, "fake_runtime: out of memory\n");
        abort();
    }
    *cap = n;
    return p;
}

static int64_t fake_now(void *impl)
{
    return ts_engine_now(((fake_runtime *)impl)->engine);
}

/* Call records stay on the fake's list until fake_runtime_free, so timers
 * cancelled or still pending at the end do not leak (LeakSanitizer). */
typedef struct timer_call {
    ts_rt_timer_fn fn;
    void *ctx;
    uint64_t arg;
    struct timer_call *next;
} timer_call;

static void on_timer(ts_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    timer_call *call = ctx;
    call->fn(call->ctx, call->arg);
}

static int fake_timer_start(void *impl, int64_t delay_ns, ts_rt_timer_fn fn, void *ctx,
                            uint64_t arg, ts_rt_timer *out)
{
    fake_runtime *f = impl;
    if (delay_ns < 0)
        return TS_EINVAL;
    if (f->timers_left == 0)
        return TS_ENOMEM;
    if (f->timers_left > 0)
        f->timers_left--;
    timer_call *call = malloc(sizeof *call);
    if (!call)
        return TS_ENOMEM;
    *call = (timer_call){fn, ctx, arg, f->timer_calls};
    f->timer_calls = call;
    ts_event_handle h;
    int rc = ts_engine_schedule(f->engine, ts_engine_now(f->engine) + delay_ns, on_timer,
                                call, 0, &h);
    if (rc != TS_OK) {
        f->timer_calls = call->next;
        free(call);
        return rc;
    }
    if (out)
        *out = h;
    return TS_OK;
}

/* Cancelling leaves the call record on the list (the engine keeps only its
 * pointer); fake_runtime_free releases it. */
static int fake_timer_cancel(void *impl, ts_rt_timer timer)
{
    fake_runtime *f = impl;
    ts_engine_cancel(f->engine, timer);
    return TS_OK;
}

static void on_deliver(ts_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    fake_runtime *f = ctx;
    ts_rt_message msg = f->sent[arg];
    if (msg.to < 0 || msg.to >= FAKE_MAX_ENDPOINTS || msg.port < 0 || msg.port >= FAKE_MAX_PORTS)
        return;
    if (!f->component_alive[msg.to])
        return;
    struct fake_listener *l = &f->listeners[msg.to][msg.port];
    if (l->fn) {
        f->delivered++;
        l->fn(l->ctx, &msg);
    }
}

static int fake_send(void *impl, const ts_rt_message *msg)
{
    fake_runtime *f = impl;
    f->sent = grow(f->sent, &f->cap_sent, f->n_sent + 1, sizeof *f->sent);
    size_t i = f->n_sent++;
    f->sent[i] = *msg;
    if (f->fail_sends)
        return TS_EIO;
    if (msg->from >= 0 && msg->from < FAKE_MAX_ENDPOINTS && !f->component_alive[msg->from])
        return TS_OK; /* a dead sender's messages go nowhere */
    if (f->drop && f->drop(f->drop_ctx, msg)) {
        f->dropped++;
        return TS_OK;
    }
    return ts_engine_schedule(f->engine, ts_engine_now(f->engine) + f->latency_ns, on_deliver,
                              f, i, NULL);
}

static int fake_listen(void *impl, int endpoint, int port, ts_rt_receive_fn fn, void *ctx)
{
    fake_runtime *f = impl;
    if (endpoint < 0 || endpoint >= FAKE_MAX_ENDPOINTS || port < 0 || port >= FAKE_MAX_PORTS)
        return TS_EINVAL;
    f->listeners[endpoint][port].fn = fn;
    f->listeners[endpoint][port].ctx = ctx;
    return TS_OK;
}

static int fake_alive(void *impl, ts_rt_entity kind, int index)
{
    fake_runtime *f = impl;
    if (index < 0 || index >= FAKE_MAX_ENDPOINTS)
        return -1;
    return kind == TS_RT_NODE ? f->node_alive[index] : f->component_alive[index];
}

static int fake_apply_component(void *impl, int component, const ts_rt_component_state *st)
{
    fake_runtime *f = impl;
    if (component < 0 || component >= FAKE_MAX_ENDPOINTS)
        return TS_EINVAL;
    f->component[component] = *st;
    f->changes = grow(f->changes, &f->cap_changes, f->n_changes + 1, sizeof *f->changes);
    f->changes[f->n_changes++] = (fake_component_change){fake_now(f), component, *st};
    return TS_OK;
}

static void fake_record_fn(void *impl, const ts_rt_record *rec)
{
    fake_runtime *f = impl;
    f->records = grow(f->records, &f->cap_records, f->n_records + 1, sizeof *f->records);
    fake_record *r = &f->records[f->n_records++];
    memset(r, 0, sizeof *r);
    r->time = fake_now(f);
    snprintf(r->kind, sizeof r->kind, "%s", rec->kind ? rec->kind : "");
    r->component = rec->component;
    r->node = rec->node;
    r->value = rec->value;
    snprintf(r->detail, sizeof r->detail, "%s", rec->detail ? rec->detail : "");
}

/* The power state a test set in fake->power (mode, energy, battery...),
 * with unknown nodes refused. */
static int fake_power_state(void *impl, int node, ts_rt_power *out)
{
    fake_runtime *f = impl;
    if (node < 0 || node >= FAKE_MAX_ENDPOINTS || !out)
        return TS_EINVAL;
    *out = f->power[node];
    return TS_OK;
}

/* Records the request and applies it to fake->power[node].mode. */
static int fake_set_power_mode(void *impl, int node, int mode)
{
    fake_runtime *f = impl;
    if (node < 0 || node >= FAKE_MAX_ENDPOINTS || mode < 0)
        return TS_EINVAL;
    f->power[node].mode = mode;
    f->mode_requests++;
    return TS_OK;
}

static const ts_runtime_ops fake_ops = {
    fake_now, fake_timer_start, fake_timer_cancel, fake_send,
    fake_listen, fake_alive, fake_apply_component, fake_record_fn,
    fake_power_state, fake_set_power_mode,
};

fake_runtime *fake_runtime_new(void)
{
    fake_runtime *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->engine = ts_engine_new(256);
    if (!f->engine) {
        free(f);
        return NULL;
    }
    f->rt.ops = &fake_ops;
    f->rt.impl = f;
    f->latency_ns = 1000000;
    f->timers_left = -1;
    for (int i = 0; i < FAKE_MAX_ENDPOINTS; i++) {
        f->node_alive[i] = f->component_alive[i] = 1;
        f->component[i].run = TS_RT_ACTIVE;
    }
    int node_of[FAKE_MAX_ENDPOINTS];
    for (int i = 0; i < FAKE_MAX_ENDPOINTS; i++)
        node_of[i] = -1;
    ts_ctl_desc d = {.n_components = FAKE_MAX_ENDPOINTS, .node_of = node_of};
    if (ts_ctl_new(&f->rt, &d, &f->ctl, NULL) != TS_OK) {
        fake_runtime_free(f);
        return NULL;
    }
    return f;
}

void fake_runtime_free(fake_runtime *f)
{
    if (!f)
        return;
    ts_ctl_free(f->ctl);
    ts_engine_free(f->engine);
    for (timer_call *c = f->timer_calls, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(f->records);
    free(f->changes);
    free(f->sent);
    free(f);
}

void fake_runtime_run(fake_runtime *f, int64_t until)
{
    ts_engine_run(f->engine, until);
}

size_t fake_runtime_count(const fake_runtime *f, const char *kind)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n_records; i++)
        n += strcmp(f->records[i].kind, kind) == 0;
    return n;
}

const fake_record *fake_runtime_find(const fake_runtime *f, const char *kind, size_t nth)
{
    for (size_t i = 0; i < f->n_records; i++)
        if (strcmp(f->records[i].kind, kind) == 0 && nth-- == 0)
            return &f->records[i];
    return NULL;
}

size_t fake_runtime_sent(const fake_runtime *f, int port, uint32_t kind)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n_sent; i++)
        n += f->sent[i].port == port && (kind == UINT32_MAX || f->sent[i].kind == kind);
    return n;
}
