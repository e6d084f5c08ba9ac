/*
 * Fleet configuration merge, coordinator and agent (see deploy_fleet.h).
 * The coordinator keeps one lazily re-armed silence timer per registered
 * robot: the timer is set for last-heard + silence when it is armed and,
 * when it fires early because the robot was heard since, re-armed for the
 * new deadline. Messages therefore never touch timers, and a robot
 * reporting every period costs about one timer per silence span.
 */
#include "toposim/deploy.h"

#include "toposim/alloc.h"
#include "toposim/error.h"
#include "toposim/runtime.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- configuration merge ---- */

typedef struct merge_item {
    const char *key, *value;
    int overridden;
} merge_item;

/* By key, then overrides first, so the first of each key group wins. */
static int item_cmp(const void *a, const void *b)
{
    const merge_item *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return y->overridden - x->overridden;
}

void ts_fleet_config_fini(ts_fleet_config *c)
{
    if (!c)
        return;
    ts_free(c->entries);
    ts_free(c->arena);
    c->entries = NULL;
    c->arena = NULL;
    c->n = 0;
}

static int check_list(const ts_fleet_param *ps, size_t n, const char *which, ts_error *err)
{
    if (n && !ps)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "fleet: %zu %s parameters but no list", n,
                            which);
    for (size_t i = 0; i < n; i++) {
        if (!ps[i].key || !ps[i].key[0])
            return ts_error_set(err, TS_EINVAL, NULL, 0, "fleet: %s parameter %zu has no key",
                                which, i);
        if (!ps[i].value)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "fleet: %s parameter \"%s\" has no value", which, ps[i].key);
    }
    return TS_OK;
}

int ts_fleet_merge(const ts_fleet_param *global, size_t n_global,
                   const ts_fleet_param *overrides, size_t n_overrides, ts_fleet_config *out,
                   ts_error *err)
{
    if (!out)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "fleet: no result");
    *out = (ts_fleet_config){NULL, 0, NULL};
    int rc = check_list(global, n_global, "global", err);
    if (rc == TS_OK)
        rc = check_list(overrides, n_overrides, "override", err);
    if (rc != TS_OK)
        return rc;
    size_t n = n_global + n_overrides;
    if (n == 0)
        return TS_OK;
    merge_item *items = ts_malloc(n * sizeof *items);
    if (!items)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "fleet: out of memory");
    for (size_t i = 0; i < n_global; i++)
        items[i] = (merge_item){global[i].key, global[i].value, 0};
    for (size_t i = 0; i < n_overrides; i++)
        items[n_global + i] = (merge_item){overrides[i].key, overrides[i].value, 1};
    qsort(items, n, sizeof *items, item_cmp);

    size_t kept = 0, bytes = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(items[i].key, items[i - 1].key) == 0) {
            if (items[i].overridden == items[i - 1].overridden) {
                rc = ts_error_set(err, TS_EINVAL, NULL, 0, "fleet: key \"%s\" given twice in %s",
                                  items[i].key,
                                  items[i].overridden ? "the robot's overrides"
                                                      : "the global configuration");
                ts_free(items);
                return rc;
            }
            continue; /* the global value under an override */
        }
        kept++;
        bytes += strlen(items[i].key) + strlen(items[i].value) + 2;
    }
    out->entries = ts_malloc(kept * sizeof *out->entries);
    out->arena = ts_malloc(bytes);
    if (!out->entries || !out->arena) {
        ts_free(items);
        ts_fleet_config_fini(out);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "fleet: out of memory");
    }
    char *at = out->arena;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(items[i].key, items[i - 1].key) == 0)
            continue;
        size_t lk = strlen(items[i].key) + 1, lv = strlen(items[i].value) + 1;
        memcpy(at, items[i].key, lk);
        memcpy(at + lk, items[i].value, lv);
        out->entries[out->n++] = (ts_fleet_entry){at, at + lk, items[i].overridden};
        at += lk + lv;
    }
    ts_free(items);
    return TS_OK;
}

const char *ts_fleet_config_get(const ts_fleet_config *c, const char *key)
{
    if (!c || !key)
        return NULL;
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(c->entries[mid].key, key);
        if (cmp == 0)
            return c->entries[mid].value;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- wire format ---- */

static void put_robot(ts_rt_message *m, uint32_t robot)
{
    for (int i = 0; i < 4; i++)
        m->body[i] = (uint8_t)(robot >> (8 * i));
    m->body_len = 4;
}

/* The robot index in a message, or -1 when the body is too short. */
static int64_t get_robot(const ts_rt_message *m)
{
    if (m->body_len < 4)
        return -1;
    uint32_t r = 0;
    for (int i = 0; i < 4; i++)
        r |= (uint32_t)m->body[i] << (8 * i);
    return r;
}

static ts_rt_message make_msg(int from, int to, uint32_t kind, uint64_t seq, int64_t now,
                              int64_t bytes, uint32_t robot)
{
    ts_rt_message m;
    memset(&m, 0, sizeof m);
    m.from = from;
    m.to = to;
    m.port = TS_PORT_FLEET;
    m.kind = kind;
    m.channel = -1;
    m.seq = seq;
    m.stamp = now;
    m.wire_bytes = bytes;
    put_robot(&m, robot);
    return m;
}

/* ---- coordinator ---- */

typedef struct robot_state {
    int registered, silent, armed;
    int64_t last_heard;
    int64_t last_telemetry;
    uint64_t n_telemetry;
    ts_rt_timer timer;
} robot_state;

struct ts_fleet_coord {
    ts_runtime rt;
    int endpoint;
    size_t n;
    int *agents;
    char **names;
    int64_t period, silence;
    int silent_periods;
    robot_state *robots;
    size_t n_registered;
    uint64_t ack_seq;
    int listening;
};

static void robot_label(const ts_fleet_coord *c, size_t i, char *buf, size_t size)
{
    if (c->names && c->names[i])
        snprintf(buf, size, "%s", c->names[i]);
    else
        snprintf(buf, size, "robot %zu", i);
}

static void on_silence_timer(void *ctx, uint64_t arg);

static void arm(ts_fleet_coord *c, size_t i, int64_t delay)
{
    robot_state *r = &c->robots[i];
    if (ts_rt_timer_start(&c->rt, delay, on_silence_timer, c, i, &r->timer) == TS_OK)
        r->armed = 1;
}

static void on_silence_timer(void *ctx, uint64_t arg)
{
    ts_fleet_coord *c = ctx;
    robot_state *r = &c->robots[arg];
    r->armed = 0;
    r->timer = 0;
    if (r->silent)
        return;
    int64_t now = ts_rt_now(&c->rt);
    int64_t deadline = r->last_heard + c->silence;
    if (now < deadline) {
        arm(c, (size_t)arg, deadline - now);
        return;
    }
    r->silent = 1;
    char name[96], detail[192];
    robot_label(c, (size_t)arg, name, sizeof name);
    snprintf(detail, sizeof detail, "%s sent nothing for %d periods (%g s)", name,
             c->silent_periods, (double)(now - r->last_heard) / 1e9);
    ts_rt_note(&c->rt, "robot_silent", c->agents[arg], -1, (double)(now - r->last_heard),
               detail);
}

static void hear(ts_fleet_coord *c, size_t i, int telemetry)
{
    robot_state *r = &c->robots[i];
    int64_t now = ts_rt_now(&c->rt);
    char name[96], detail[192];
    robot_label(c, i, name, sizeof name);
    if (!r->registered) {
        r->registered = 1;
        c->n_registered++;
        snprintf(detail, sizeof detail, "%s registered with the fleet coordinator%s", name,
                 telemetry ? " by its telemetry" : "");
        ts_rt_note(&c->rt, "robot_registered", c->agents[i], -1, (double)i, detail);
    } else if (r->silent) {
        r->silent = 0;
        snprintf(detail, sizeof detail, "%s heard again after %g s", name,
                 (double)(now - r->last_heard) / 1e9);
        ts_rt_note(&c->rt, "robot_back", c->agents[i], -1, (double)(now - r->last_heard),
                   detail);
    }
    r->last_heard = now;
    if (telemetry) {
        r->last_telemetry = now;
        r->n_telemetry++;
    }
    if (!r->armed)
        arm(c, i, c->silence);
}

static void coord_receive(void *ctx, const ts_rt_message *msg)
{
    ts_fleet_coord *c = ctx;
    if (msg->port != TS_PORT_FLEET)
        return;
    int64_t robot = get_robot(msg);
    /* The index must name the robot whose agent sent it: O(1) lookup
     * without trusting a stray datagram. */
    if (robot < 0 || (uint64_t)robot >= c->n || c->agents[robot] != msg->from)
        return;
    size_t i = (size_t)robot;
    if (msg->kind == TS_FLEET_REGISTER) {
        hear(c, i, 0);
        ts_rt_message ack = make_msg(c->endpoint, msg->from, TS_FLEET_REGISTER_ACK,
                                     ++c->ack_seq, ts_rt_now(&c->rt), 64, (uint32_t)i);
        ts_rt_send(&c->rt, &ack);
    } else if (msg->kind == TS_FLEET_TELEMETRY) {
        hear(c, i, 1);
    }
}

static void coord_release(ts_fleet_coord *c)
{
    if (c->names)
        for (size_t i = 0; i < c->n; i++)
            ts_free(c->names[i]);
    ts_free(c->names);
    ts_free(c->agents);
    ts_free(c->robots);
    ts_free(c);
}

int ts_fleet_coord_new(const ts_runtime *rt, const ts_fleet_coord_desc *desc,
                       ts_fleet_coord **out, ts_error *err)
{
    if (out)
        *out = NULL;
    if (!rt || !desc || !out)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "fleet coordinator: runtime, description and result required");
    if (desc->endpoint < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "fleet coordinator: no endpoint");
    if (desc->period_ns <= 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "fleet coordinator: period must be > 0");
    if (desc->silent_periods < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "fleet coordinator: silent periods must be >= 0");
    if (desc->n_robots && !desc->agents)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "fleet coordinator: no agent endpoints");
    if (desc->n_robots > UINT32_MAX)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "fleet coordinator: too many robots");
    for (size_t i = 0; i < desc->n_robots; i++)
        if (desc->agents[i] < 0)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "fleet coordinator: robot %zu has no agent endpoint", i);
    int sp = desc->silent_periods ? desc->silent_periods : 3;
    if (desc->period_ns > INT64_MAX / sp)
        return ts_error_set(err, TS_ERANGE, NULL, 0, "fleet coordinator: period too long");

    ts_fleet_coord *c = ts_calloc(1, sizeof *c);
    if (!c)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "fleet coordinator: out of memory");
    c->rt = *rt;
    c->endpoint = desc->endpoint;
    c->n = desc->n_robots;
    c->period = desc->period_ns;
    c->silent_periods = sp;
    c->silence = desc->period_ns * sp;
    size_t n1 = c->n ? c->n : 1;
    c->agents = ts_malloc(n1 * sizeof *c->agents);
    c->robots = ts_calloc(n1, sizeof *c->robots);
    int failed = !c->agents || !c->robots;
    if (!failed && desc->robot_names) {
        c->names = ts_calloc(n1, sizeof *c->names);
        failed = !c->names;
        for (size_t i = 0; !failed && i < c->n; i++)
            if (desc->robot_names[i] && !(c->names[i] = ts_strdup(desc->robot_names[i])))
                failed = 1;
    }
    if (failed) {
        coord_release(c);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "fleet coordinator: out of memory");
    }
    for (size_t i = 0; i < c->n; i++) {
        c->agents[i] = desc->agents[i];
        c->robots[i].last_telemetry = -1;
    }
    *out = c;
    return TS_OK;
}

int ts_fleet_coord_start(ts_fleet_coord *c)
{
    if (!c || c->listening)
        return TS_EINVAL;
    int rc = ts_rt_listen(&c->rt, c->endpoint, TS_PORT_FLEET, coord_receive, c);
    if (rc == TS_OK)
        c->listening = 1;
    return rc;
}

void ts_fleet_coord_free(ts_fleet_coord *c)
{
    if (!c)
        return;
    if (c->listening)
        ts_rt_unlisten(&c->rt, c->endpoint, TS_PORT_FLEET);
    for (size_t i = 0; i < c->n; i++)
        if (c->robots[i].armed)
            ts_rt_timer_cancel(&c->rt, c->robots[i].timer);
    coord_release(c);
}

int ts_fleet_coord_registered(const ts_fleet_coord *c, size_t robot)
{
    return robot < c->n && c->robots[robot].registered;
}

int ts_fleet_coord_silent(const ts_fleet_coord *c, size_t robot)
{
    return robot < c->n && c->robots[robot].registered && c->robots[robot].silent;
}

int64_t ts_fleet_coord_last_telemetry(const ts_fleet_coord *c, size_t robot)
{
    return robot < c->n ? c->robots[robot].last_telemetry : -1;
}

uint64_t ts_fleet_coord_telemetry_count(const ts_fleet_coord *c, size_t robot)
{
    return robot < c->n ? c->robots[robot].n_telemetry : 0;
}

size_t ts_fleet_coord_n_registered(const ts_fleet_coord *c)
{
    return c->n_registered;
}

/* ---- agent ---- */

struct ts_fleet_agent {
    ts_runtime rt;
    ts_fleet_agent_desc d;
    int acked, running, listening;
    uint64_t seq, sent;
    ts_rt_timer timer;
};

static void agent_send(ts_fleet_agent *a)
{
    int watch = a->d.watch >= 0 ? a->d.watch : a->d.endpoint;
    /* Only a component known to be down keeps quiet; unknown liveness is
     * no reason to stop reporting. */
    if (ts_rt_alive(&a->rt, TS_RT_COMPONENT, watch) == 0)
        return;
    uint32_t kind = a->acked ? TS_FLEET_TELEMETRY : TS_FLEET_REGISTER;
    int64_t bytes = kind == TS_FLEET_TELEMETRY ? a->d.telemetry_bytes : 64;
    ts_rt_message m = make_msg(a->d.endpoint, a->d.coordinator, kind, ++a->seq,
                               ts_rt_now(&a->rt), bytes, (uint32_t)a->d.robot);
    if (ts_rt_send(&a->rt, &m) == TS_OK)
        a->sent++;
}

static void agent_tick(void *ctx, uint64_t arg)
{
    (void)arg;
    ts_fleet_agent *a = ctx;
    a->timer = 0;
    agent_send(a);
    if (ts_rt_timer_start(&a->rt, a->d.period_ns, agent_tick, a, 0, &a->timer) != TS_OK)
        a->running = 0;
}

static void agent_receive(void *ctx, const ts_rt_message *msg)
{
    ts_fleet_agent *a = ctx;
    if (msg->port == TS_PORT_FLEET && msg->kind == TS_FLEET_REGISTER_ACK &&
        msg->from == a->d.coordinator && get_robot(msg) == a->d.robot)
        a->acked = 1;
}

int ts_fleet_agent_new(const ts_runtime *rt, const ts_fleet_agent_desc *desc,
                       ts_fleet_agent **out, ts_error *err)
{
    if (out)
        *out = NULL;
    if (!rt || !desc || !out)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "fleet agent: runtime, description and result required");
    if (desc->endpoint < 0 || desc->coordinator < 0 || desc->robot < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "fleet agent: endpoint, coordinator and robot must be >= 0");
    if (desc->period_ns <= 0 || desc->telemetry_bytes < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "fleet agent: period must be > 0 and telemetry size >= 0");
    ts_fleet_agent *a = ts_calloc(1, sizeof *a);
    if (!a)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "fleet agent: out of memory");
    a->rt = *rt;
    a->d = *desc;
    if (a->d.telemetry_bytes == 0)
        a->d.telemetry_bytes = 256;
    *out = a;
    return TS_OK;
}

int ts_fleet_agent_start(ts_fleet_agent *a)
{
    if (!a || a->running)
        return TS_EINVAL;
    int rc = ts_rt_listen(&a->rt, a->d.endpoint, TS_PORT_FLEET, agent_receive, a);
    if (rc != TS_OK)
        return rc;
    a->listening = 1;
    rc = ts_rt_timer_start(&a->rt, a->d.period_ns, agent_tick, a, 0, &a->timer);
    if (rc != TS_OK)
        return rc;
    a->running = 1;
    agent_send(a);
    return TS_OK;
}

void ts_fleet_agent_free(ts_fleet_agent *a)
{
    if (!a)
        return;
    if (a->listening)
        ts_rt_unlisten(&a->rt, a->d.endpoint, TS_PORT_FLEET);
    if (a->running)
        ts_rt_timer_cancel(&a->rt, a->timer);
    ts_free(a);
}

int ts_fleet_agent_registered(const ts_fleet_agent *a)
{
    return a->acked;
}

uint64_t ts_fleet_agent_sent(const ts_fleet_agent *a)
{
    return a->sent;
}
