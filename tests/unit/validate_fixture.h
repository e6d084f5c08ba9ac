/*
 * Hand-built traces for the validator's tests: a fixture holds every
 * table in fixed arrays, and small builders add rows with known values so
 * each test can state its expected scores exactly. Functions are static
 * inline so each test file uses what it needs.
 */
#ifndef TOPOSIM_TESTS_VALIDATE_FIXTURE_H
#define TOPOSIM_TESTS_VALIDATE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toposim/validate.h"

#define US(x) ((int64_t)(x) * 1000)
#define MS(x) ((int64_t)(x) * 1000000)
#define SEC(x) ((int64_t)(x) * 1000000000)

typedef struct fixture {
    ts_trace t;
    char scenario[64];
    char version[16];
    ts_trace_node nodes[8];
    ts_trace_link links[4];
    ts_trace_topic topics[4];
    ts_trace_component comps[8];
    ts_trace_placement place[8];
    ts_trace_requirement reqs[12];
    ts_trace_message msgs[400];
    ts_trace_job jobs[64];
    ts_trace_link_state link_state[32];
    ts_trace_node_state node_state[32];
    ts_trace_event events[32];
    ts_trace_site sites[4];
    ts_trace_power_mode modes[4];
    ts_trace_failover_group groups[2];
    ts_trace_failover_backup backups[2];
    ts_trace_component_state cstate[16];
    ts_trace_subscription subs[8];
    ts_trace_service services[2];
    ts_trace_client clients[2];
    ts_trace_rollout rollouts[2];
    ts_trace_expect expects[4];
} fixture;

/* An empty finished trace of format version 3 with one robot node. */
static inline void fx_init(fixture *f, const char *scenario, int64_t duration_ns)
{
    memset(f, 0, sizeof *f);
    snprintf(f->scenario, sizeof f->scenario, "%s", scenario);
    snprintf(f->version, sizeof f->version, "0.1.0");
    f->t.format_version = 3;
    f->t.finished = 1;
    f->t.wall_time_ns = -1;
    f->t.seed = 42;
    f->t.toposim_version = f->version;
    f->t.scenario_name = f->scenario;
    f->t.duration_ns = duration_ns;
    f->t.nodes = f->nodes;
    f->t.n_nodes = 1;
    snprintf(f->nodes[0].name, sizeof f->nodes[0].name, "robot1.computer");
    snprintf(f->nodes[0].tier, sizeof f->nodes[0].tier, "robot");
    f->nodes[0].memory_bytes = 1 << 30;
    f->nodes[0].site_row = -1;
    f->nodes[0].throttle_c = NAN;
    f->t.links = f->links;
    f->t.topics = f->topics;
    f->t.components = f->comps;
    f->t.placement = f->place;
    f->t.requirements = f->reqs;
    f->t.messages = f->msgs;
    f->t.jobs = f->jobs;
    f->t.link_state = f->link_state;
    f->t.node_state = f->node_state;
    f->t.events = f->events;
    f->t.sites = f->sites;
    f->t.power_modes = f->modes;
    f->t.failover_groups = f->groups;
    f->t.failover_backups = f->backups;
    f->t.component_state = f->cstate;
    f->t.subscriptions = f->subs;
    f->t.services = f->services;
    f->t.clients = f->clients;
    f->t.rollouts = f->rollouts;
    f->t.expects = f->expects;
}

static inline int add_node(fixture *f, const char *name, const char *tier)
{
    ts_trace_node *n = &f->nodes[f->t.n_nodes];
    memset(n, 0, sizeof *n);
    snprintf(n->name, sizeof n->name, "%s", name);
    snprintf(n->tier, sizeof n->tier, "%s", tier);
    n->memory_bytes = 1 << 30;
    n->site_row = -1;
    n->throttle_c = NAN;
    return (int)f->t.n_nodes++;
}

static inline int add_comp(fixture *f, const char *name, int64_t deadline_ns)
{
    ts_trace_component *c = &f->comps[f->t.n_components];
    snprintf(c->name, sizeof c->name, "%s", name);
    c->period_ns = deadline_ns;
    c->deadline_ns = deadline_ns;
    c->robot = c->backup_of = c->replica_of = -1;
    return (int)f->t.n_components++;
}

/* Places component c on node n (reserved: a core bit). */
static inline void place(fixture *f, int c, int n, uint64_t reserved)
{
    ts_trace_placement *p = &f->place[f->t.n_placement++];
    p->component = c;
    p->node = n;
    p->reserved_cores = reserved;
    snprintf(p->rule, sizeof p->rule, "pin");
    snprintf(p->reason, sizeof p->reason, "pinned");
}

static inline int add_topic(fixture *f, const char *name, int64_t budget_ns)
{
    ts_trace_topic *t = &f->topics[f->t.n_topics];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->budget_ns = budget_ns;
    t->n_subscribers = 1;
    return (int)f->t.n_topics++;
}

static inline void add_msg(fixture *f, int topic, int status, int64_t send_ns, int64_t recv_ns)
{
    assert_true(f->t.n_messages < sizeof f->msgs / sizeof f->msgs[0]);
    ts_trace_message *m = &f->msgs[f->t.n_messages];
    m->topic = topic;
    m->status = status;
    m->seq = f->t.n_messages;
    m->send_ns = send_ns;
    m->recv_ns = status == TS_MSG_DELIVERED ? recv_ns : -1;
    m->bytes = 100;
    f->t.n_messages++;
}

static inline void add_job(fixture *f, int comp, int64_t release_ns, int64_t finish_ns,
                           int64_t deadline_ns)
{
    assert_true(f->t.n_jobs < sizeof f->jobs / sizeof f->jobs[0]);
    ts_trace_job *j = &f->jobs[f->t.n_jobs++];
    j->component = comp;
    j->release_ns = release_ns;
    j->start_ns = finish_ns >= 0 ? release_ns : -1;
    j->finish_ns = finish_ns;
    j->deadline_ns = deadline_ns;
}

/* A requirement as a format 3 trace holds it (threshold and table). */
static inline void add_req(fixture *f, const char *kind, int target, double threshold)
{
    static const struct { const char *kind, *table; } tables[] = {
        {"topic-deadline", "topics"}, {"component-deadline", "components"},
        {"failover", "components"}, {"safe-state", "sites"}, {"safety-coverage", ""},
        {"health", ""}, {"integration", ""}, {"rollout", "rollouts"},
        {"qos-deadline", "topics"}, {"service", "services"}, {"thermal-headroom", "nodes"},
        {"power-budget", "nodes"}};
    ts_trace_requirement *r = &f->reqs[f->t.n_requirements++];
    snprintf(r->kind, sizeof r->kind, "%s", kind);
    r->target = target;
    r->min_fraction = threshold;
    r->threshold = threshold;
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++)
        if (strcmp(kind, tables[i].kind) == 0)
            snprintf(r->target_table, sizeof r->target_table, "%s", tables[i].table);
}

static inline ts_trace_event *add_event(fixture *f, int64_t time_ns, const char *kind, int node,
                                        int comp, double value, const char *fmt, ...)
{
    assert_true(f->t.n_events < sizeof f->events / sizeof f->events[0]);
    ts_trace_event *e = &f->events[f->t.n_events++];
    memset(e, 0, sizeof *e);
    e->time_ns = time_ns;
    snprintf(e->kind, sizeof e->kind, "%s", kind);
    e->node = node;
    e->link = -1;
    e->component = comp;
    e->value = value;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof e->detail, fmt, ap);
    va_end(ap);
    return e;
}

/* A node sample with the given utilisation, temperature and power. */
static inline ts_trace_node_state *add_node_state(fixture *f, int node, int64_t time_ns,
                                                  double cpu, double temp_c, double power_w,
                                                  const char *mode)
{
    ts_trace_node_state *s = &f->node_state[f->t.n_node_state++];
    memset(s, 0, sizeof *s);
    s->node = node;
    s->up = 1;
    s->time_ns = time_ns;
    s->cpu_util = cpu;
    s->temp_die_c = temp_c;
    s->power_w = power_w;
    s->battery_wh = -1;
    snprintf(s->power_mode, sizeof s->power_mode, "%s", mode ? mode : "");
    return s;
}

static inline ts_trace_link_state *add_link_state(fixture *f, int link, int dir, int64_t time_ns,
                                                  double util, uint64_t sent, uint64_t dropped,
                                                  uint64_t lost, int64_t queue_bytes)
{
    ts_trace_link_state *s = &f->link_state[f->t.n_link_state++];
    memset(s, 0, sizeof *s);
    s->link = link;
    s->direction = dir;
    s->time_ns = time_ns;
    s->utilisation = util;
    s->up = 1;
    s->sent_packets = sent;
    s->dropped_packets = dropped;
    s->lost_packets = lost;
    s->queue_bytes = queue_bytes;
    return s;
}

static inline int add_link(fixture *f, const char *name, int a, int b, int64_t latency_ns,
                           double bps, int64_t queue_bytes)
{
    ts_trace_link *l = &f->links[f->t.n_links];
    snprintf(l->name, sizeof l->name, "%s", name);
    l->node_a = a;
    l->node_b = b;
    l->latency_ns = latency_ns;
    l->bandwidth_bps = bps;
    l->queue_bytes = queue_bytes;
    return (int)f->t.n_links++;
}

static inline ts_validation *validate_ok(const fixture *f)
{
    ts_validation *v = NULL;
    ts_error err;
    ts_error_clear(&err);
    int rc = ts_validate(&f->t, &v, &err);
    if (rc != TS_OK)
        fail_msg("ts_validate: %d %s", rc, err.msg);
    assert_non_null(v);
    return v;
}

static inline int validate_code(const fixture *f, ts_error *err)
{
    ts_validation *v = (ts_validation *)1;
    ts_error_clear(err);
    int rc = ts_validate(&f->t, &v, err);
    assert_null(v);
    return rc;
}

/* The gate of that name, or NULL. */
static inline const ts_gate *gate_named(const ts_validation *v, const char *name)
{
    for (size_t i = 0; i < v->n_gates; i++)
        if (strcmp(v->gates[i].name, name) == 0)
            return &v->gates[i];
    return NULL;
}

/* The first check of that kind and item (NULL item: any), or NULL. */
static inline const ts_check *check_named(const ts_validation *v, const char *kind,
                                          const char *item)
{
    for (size_t i = 0; i < v->n_checks; i++)
        if (strcmp(v->checks[i].kind, kind) == 0 && (!item || strcmp(v->checks[i].item, item) == 0))
            return &v->checks[i];
    return NULL;
}

/* The first recommendation of that rule, or NULL. */
static inline const ts_recommendation *rec_of(const ts_validation *v, const char *rule)
{
    for (size_t i = 0; i < v->n_recs; i++)
        if (strcmp(v->recs[i].rule, rule) == 0)
            return &v->recs[i];
    return NULL;
}

__attribute__((noinline, unused)) static char *capture_text(const ts_validation *v, int detail)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    assert_non_null(mem);
    ts_validation_print_text(v, detail, mem);
    assert_int_equal(fclose(mem), 0);
    assert_non_null(buf);
    return buf;
}

__attribute__((noinline, unused)) static char *capture_json(const ts_validation *v)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    assert_non_null(mem);
    ts_validation_print_json(v, mem);
    assert_int_equal(fclose(mem), 0);
    assert_non_null(buf);
    return buf;
}

#endif
