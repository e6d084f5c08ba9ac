/*
 * The per-robot safe-state supervisor (see deploy_failover.h): one
 * detector per member of each needed component, fed by the members'
 * heartbeats to the supervisor's endpoint; when every member of some
 * needed component is suspected, the robot's declared stop category is
 * commanded once through the description's hook. The supervisor never
 * stops components itself: the hook's owner decides what "stop" and
 * "power off" mean for its robot.
 */
#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"
#include "toposim/deploy_failover.h"
#include "toposim/error.h"

typedef struct sup_member {
    ts_supervisor *s;
    size_t needed;              /* index into s->need */
    int component;
    ts_fd fd;
    ts_rt_timer timer;          /* fires at fd's suspect_at */
    uint32_t inc;               /* newest (incarnation, seq) heard */
    uint64_t seq;
    int heard;
} sup_member;

typedef struct sup_needed {
    size_t first, count;        /* its members in s->m */
    int64_t heartbeat_ns;
} sup_needed;

struct ts_supervisor {
    const ts_runtime *rt;
    int robot, endpoint, node, category;
    int64_t braking_ns;
    ts_safe_state_fn enter;
    void *enter_ctx;
    sup_member *m;
    size_t n_m;
    sup_needed *need;
    size_t n_need;
    int listening, started, in_safe;
    int was_alive;              /* its own component, when last looked at */
    size_t lost;                /* the needed component that was lost */
    ts_rt_timer power_timer;
};

static void call_hook(ts_supervisor *s, ts_safe_phase phase)
{
    if (!s->enter)
        return;
    ts_safe_event ev = {s->robot, s->category, phase, s->lost, s->m[s->need[s->lost].first].component};
    s->enter(s->enter_ctx, &ev);
}

static void on_power_off(void *ctx, uint64_t arg)
{
    (void)arg;
    ts_supervisor *s = ctx;
    s->power_timer = 0;
    char detail[96];
    snprintf(detail, sizeof detail, "robot %d: power removed after braking (stop category 1)", s->robot);
    ts_rt_note(s->rt, "safe_state_power_off", s->m[s->need[s->lost].first].component, s->node,
               (double)s->braking_ns, detail);
    call_hook(s, TS_SAFE_POWER_OFF);
}

static void enter_safe_state(ts_supervisor *s, size_t k, int64_t now, const char *why)
{
    sup_needed *nd = &s->need[k];
    int64_t last = INT64_MIN;
    for (size_t i = nd->first; i < nd->first + nd->count; i++)
        if (ts_fd_last(&s->m[i].fd) > last)
            last = ts_fd_last(&s->m[i].fd);
    s->in_safe = 1;
    s->lost = k;
    /* Nothing left to watch: the command is given once. */
    for (size_t i = 0; i < s->n_m; i++) {
        ts_rt_timer_cancel(s->rt, s->m[i].timer);
        s->m[i].timer = 0;
    }
    int comp = s->m[nd->first].component;
    char detail[160];
    if (why)
        snprintf(detail, sizeof detail, "robot %d: %s; stop category %d (fail closed)", s->robot,
                 why, s->category);
    else
        snprintf(detail, sizeof detail,
                 "robot %d: needed component %d has no live member; stop category %d", s->robot,
                 comp, s->category);
    ts_rt_note(s->rt, "safe_state", comp, s->node, (double)(now - last), detail);
    switch (s->category) {
    case 0:
        snprintf(detail, sizeof detail, "robot %d: power removed at once (stop category 0)", s->robot);
        ts_rt_note(s->rt, "safe_state_power_off", comp, s->node, 0.0, detail);
        call_hook(s, TS_SAFE_POWER_OFF);
        break;
    case 1:
        call_hook(s, TS_SAFE_STOP);
        if (s->in_safe && ts_rt_timer_start(s->rt, s->braking_ns, on_power_off, s, 0, &s->power_timer) != TS_OK)
            on_power_off(s, 0);
        break;
    default:
        call_hook(s, TS_SAFE_STOP);
        break;
    }
}

static int self_alive(const ts_supervisor *s)
{
    return ts_rt_alive(s->rt, TS_RT_COMPONENT, s->endpoint) != 0;
}

static void sup_timer(void *ctx, uint64_t arg);

/* A supervisor that cannot arm a timer cannot tell when a member goes
 * silent: it fails closed and commands the safe state now. */
static void cannot_watch(ts_supervisor *s, sup_member *mb, int rc)
{
    if (s->in_safe)
        return;
    char why[96];
    snprintf(why, sizeof why, "cannot arm the detector timer for component %d (%s)",
             mb->component, ts_strerror(rc));
    enter_safe_state(s, mb->needed, ts_rt_now(s->rt), why);
}

static void arm(sup_member *mb, int64_t now)
{
    ts_supervisor *s = mb->s;
    ts_rt_timer_cancel(s->rt, mb->timer);
    mb->timer = 0;
    int64_t at = ts_fd_suspect_at(&mb->fd);
    if (at == INT64_MAX || s->in_safe)
        return;
    int rc = ts_rt_timer_start(s->rt, at > now ? at - now : 0, sup_timer, mb, 0, &mb->timer);
    if (rc < 0) {
        mb->timer = 0;
        cannot_watch(s, mb, rc);
    }
}

static void evaluate(ts_supervisor *s, size_t k)
{
    if (!s->started || s->in_safe)
        return;
    int64_t now = ts_rt_now(s->rt);
    const sup_needed *nd = &s->need[k];
    for (size_t i = nd->first; i < nd->first + nd->count; i++)
        if (ts_fd_state_at(&s->m[i].fd, now) != TS_FD_SUSPECTED)
            return;
    enter_safe_state(s, k, now, NULL);
}

/* Starts every detector afresh as if all members heartbeated now. */
static void restart_watch(ts_supervisor *s)
{
    int64_t now = ts_rt_now(s->rt);
    for (size_t i = 0; i < s->n_m && !s->in_safe; i++) {
        ts_fd_reset(&s->m[i].fd, now);
        arm(&s->m[i], now);
    }
}

/* Whether the supervisor's own component runs; on its way back from a
 * crash it has heard nothing for a while, which says nothing about the
 * members, so it grants them all a fresh detection interval. */
static int check_self(ts_supervisor *s)
{
    if (!self_alive(s)) {
        s->was_alive = 0;
        return 0;
    }
    if (!s->was_alive) {
        s->was_alive = 1;
        restart_watch(s);
    }
    return 1;
}

static void sup_timer(void *ctx, uint64_t arg)
{
    (void)arg;
    sup_member *mb = ctx;
    ts_supervisor *s = mb->s;
    mb->timer = 0;
    if (s->in_safe)
        return;
    int was = s->was_alive;
    if (!check_self(s)) {
        /* A dead supervisor decides nothing; look again a period later. */
        int rc = ts_rt_timer_start(s->rt, s->need[mb->needed].heartbeat_ns, sup_timer, mb, 0,
                                   &mb->timer);
        if (rc < 0) {
            mb->timer = 0;
            cannot_watch(s, mb, rc);
        }
        return;
    }
    if (was)
        evaluate(s, mb->needed);
}

static void on_heartbeat(void *ctx, const ts_rt_message *msg)
{
    ts_supervisor *s = ctx;
    if (!s->started || s->in_safe || msg->kind != TS_HB_MSG_HEARTBEAT || !check_self(s))
        return;
    ts_hb_body body;
    if (ts_hb_body_decode(msg, &body) != TS_OK)
        return;
    int64_t now = ts_rt_now(s->rt);
    for (size_t i = 0; i < s->n_m; i++) {
        sup_member *mb = &s->m[i];
        if (mb->component != msg->from)
            continue;
        if (mb->heard &&
            (body.incarnation < mb->inc || (body.incarnation == mb->inc && msg->seq <= mb->seq)))
            continue;
        if (mb->heard && body.incarnation > mb->inc)
            ts_fd_reset(&mb->fd, now); /* back from a crash: old intervals say nothing */
        ts_fd_heartbeat(&mb->fd, now);
        mb->heard = 1;
        mb->inc = body.incarnation;
        mb->seq = msg->seq;
        arm(mb, now);
    }
}

void ts_supervisor_free(ts_supervisor *s)
{
    if (!s)
        return;
    if (s->listening)
        ts_rt_unlisten(s->rt, s->endpoint, TS_PORT_LIVENESS);
    ts_rt_timer_cancel(s->rt, s->power_timer);
    if (s->m) {
        for (size_t i = 0; i < s->n_m; i++) {
            ts_rt_timer_cancel(s->rt, s->m[i].timer);
            ts_fd_fini(&s->m[i].fd);
        }
        ts_free(s->m);
    }
    ts_free(s->need);
    ts_free(s);
}

ts_supervisor *ts_supervisor_new(const ts_runtime *rt, const ts_supervisor_desc *desc, ts_error *err)
{
    if (!rt || !desc || (desc->n_needed && !desc->needed)) {
        ts_error_set(err, TS_EINVAL, NULL, 0, "supervisor: no runtime or description");
        return NULL;
    }
    if (desc->category < 0 || desc->category > 2 || desc->braking_ns < 0) {
        ts_error_set(err, TS_EINVAL, NULL, 0,
                     "supervisor for robot %d: stop category %d not 0, 1 or 2, or braking < 0",
                     desc->robot, desc->category);
        return NULL;
    }
    size_t total = 0;
    for (size_t k = 0; k < desc->n_needed; k++) {
        const ts_sup_needed *nd = &desc->needed[k];
        if (nd->n_components == 0 || !nd->components || nd->heartbeat_ns <= 0) {
            ts_error_set(err, TS_EINVAL, NULL, 0,
                         "supervisor for robot %d: needed component %zu has no members or no "
                         "heartbeat period",
                         desc->robot, k);
            return NULL;
        }
        total += nd->n_components;
    }
    ts_supervisor *s = ts_calloc(1, sizeof *s);
    if (!s) {
        ts_error_set(err, TS_ENOMEM, NULL, 0, "supervisor: out of memory");
        return NULL;
    }
    s->rt = rt;
    s->robot = desc->robot;
    s->endpoint = desc->endpoint;
    s->node = desc->node;
    s->category = desc->category;
    s->braking_ns = desc->braking_ns;
    s->enter = desc->enter;
    s->enter_ctx = desc->enter_ctx;
    s->n_need = desc->n_needed;
    s->n_m = total;
    s->need = ts_calloc(s->n_need ? s->n_need : 1, sizeof *s->need);
    s->m = ts_calloc(total ? total : 1, sizeof *s->m);
    if (!s->need || !s->m) {
        ts_error_set(err, TS_ENOMEM, NULL, 0, "supervisor: out of memory");
        ts_supervisor_free(s);
        return NULL;
    }
    size_t i = 0;
    for (size_t k = 0; k < desc->n_needed; k++) {
        const ts_sup_needed *nd = &desc->needed[k];
        ts_fd_desc fdd = nd->detector;
        if (fdd.period_ns == 0)
            fdd.period_ns = nd->heartbeat_ns;
        s->need[k] = (sup_needed){i, nd->n_components, nd->heartbeat_ns};
        for (size_t j = 0; j < nd->n_components; j++, i++) {
            sup_member *mb = &s->m[i];
            mb->s = s;
            mb->needed = k;
            mb->component = nd->components[j];
            if (ts_fd_init(&mb->fd, &fdd, 0, err) != TS_OK) {
                ts_supervisor_free(s);
                return NULL;
            }
        }
    }
    int rc = ts_rt_listen(rt, s->endpoint, TS_PORT_LIVENESS, on_heartbeat, s);
    if (rc != TS_OK) {
        ts_error_set(err, rc, NULL, 0, "supervisor for robot %d: cannot listen on endpoint %d",
                     s->robot, s->endpoint);
        ts_supervisor_free(s);
        return NULL;
    }
    s->listening = 1;
    return s;
}

int ts_supervisor_start(ts_supervisor *s)
{
    if (!s)
        return TS_EINVAL;
    if (s->started)
        return TS_OK;
    s->started = 1;
    s->was_alive = 1;
    restart_watch(s);
    /* A supervisor that could not arm its timers has commanded the safe
     * state; the start itself succeeded. */
    return TS_OK;
}

int ts_supervisor_in_safe_state(const ts_supervisor *s)
{
    return s ? s->in_safe : 0;
}
