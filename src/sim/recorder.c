/*
 * The recorder: what the trace learns while the run goes, beyond the rows
 * the models append themselves. It keeps
 * - the last recorded state of each component, so /component_state gets
 *   one row per change, however many paths (the deployment code setting a
 *   run state, a crash, a node going down) lead to it;
 * - each service client's request counts, from the events the service
 *   code records, written to /clients at the end with /subscriptions
 *   (whose policy column needs the services built).
 * Per-event work is a compare of a few bytes; nothing is allocated after
 * the start.
 */
#include "sim/recorder.h"

#include <stdio.h>
#include <string.h>

#include "sim/recorder_summary.h"

#include "toposim/alloc.h"
#include "toposim/deploy.h"

typedef struct last_state {
    uint8_t serving, run, alive, safety_mode;
    int32_t version;
} last_state;

struct ts__recorder {
    ts__shared sh;
    ts_trace_writer *trace;
    ts_compute *compute;
    ts__rts *rts;
    uint64_t messages, delivered, dropped;
    last_state *last;           /* per component */
    ts_trace_client *clients;   /* per scenario client, counts filled here */
    uint32_t *client_first;     /* per component: first slot in client_of
                                   (NULL without clients) */
    uint32_t *client_of;        /* scenario client indices by component */
    /* What /messages and /jobs keep (trace.h, /meta trace_filter). */
    int level;                  /* a ts_trace_level */
    ts__summary *summary;       /* the summary level's windows, or NULL */
    unsigned char *keep_topic;  /* full level with a filter: per topic */
    unsigned char *keep_comp;   /* and per component; NULL: no filter */
    int64_t window_start, window_end; /* end 0: no window */
    void (*observer)(void *ctx, const ts_packet *p); /* ts__recorder_observe */
    void *observer_ctx;
};

static void append_failed(ts__recorder *r, const ts_error *e)
{
    ts__bus_fail(r->sh.bus, e);
}

static void on_node_event(void *ctx, const ts_platform_event *ev);
static void on_outcome(void *ctx, const ts_platform_event *ev);
static void on_any_event(void *ctx, const ts_platform_event *ev);

int64_t ts__recorder_window_ns(const ts_scenario *s, int64_t duration_ns)
{
    return ts__summary_window_ns(s, duration_ns);
}

/* The filter "topic=NAME,component=NAME,...": which topics and components
 * keep their rows. A name the scenario lacks is an error, so a typo does
 * not leave an empty trace. */
static int parse_filter(ts__recorder *r, const char *filter, ts_error *err)
{
    const ts_scenario *s = r->sh.s;
    r->keep_topic = ts_calloc(s->n_topics ? s->n_topics : 1, 1);
    r->keep_comp = ts_calloc(s->n_components ? s->n_components : 1, 1);
    if (!r->keep_topic || !r->keep_comp)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the trace filter");
    const char *p = filter;
    while (*p) {
        size_t len = strcspn(p, ",");
        int topic = strncmp(p, "topic=", 6) == 0;
        int comp = strncmp(p, "component=", 10) == 0;
        size_t skip = topic ? 6 : comp ? 10 : 0;
        const char *name = p + skip;
        size_t n = len - (len >= skip ? skip : len);
        int found = 0;
        if (topic)
            for (size_t t = 0; t < s->n_topics; t++)
                if (strlen(s->topics[t].id) == n && strncmp(s->topics[t].id, name, n) == 0)
                    found = r->keep_topic[t] = 1;
        if (comp)
            for (size_t c = 0; c < s->n_components; c++)
                if (strlen(s->components[c].id) == n && strncmp(s->components[c].id, name, n) == 0)
                    found = r->keep_comp[c] = 1;
        if (!found)
            return ts_error_set(err, TS_EINVAL, s->path, 0,
                                "trace filter \"%.*s\": expected topic=NAME or component=NAME "
                                "naming a topic or component of the scenario", (int)len, p);
        p += len;
        if (*p == ',')
            p++;
    }
    return TS_OK;
}

/* 1 when the full level keeps a row of this item and time. */
static int keeps(const ts__recorder *r, int32_t topic, int32_t a, int32_t b, int64_t time)
{
    if (r->window_end > 0 && (time < r->window_start || time >= r->window_end))
        return 0;
    if (!r->keep_topic)
        return 1;
    return (topic >= 0 && r->keep_topic[topic]) || (a >= 0 && r->keep_comp[a]) ||
           (b >= 0 && r->keep_comp[b]);
}

int ts__recorder_new(const ts__shared *sh, ts_trace_writer *trace, ts_compute *compute,
                     ts__rts *rts, const ts_run_options *select, ts__recorder **out,
                     ts_error *err)
{
    const ts_scenario *s = sh->s;
    size_t nc = s->n_components;
    ts__recorder *r = ts_calloc(1, sizeof *r);
    *out = r;
    if (!r)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the recorder");
    r->sh = *sh;
    r->trace = trace;
    r->compute = compute;
    r->rts = rts;
    r->last = ts_calloc(nc ? nc : 1, sizeof *r->last);
    r->clients = ts_calloc(s->n_clients ? s->n_clients : 1, sizeof *r->clients);
    if (s->n_clients) {
        r->client_first = ts_calloc(nc + 1, sizeof *r->client_first);
        r->client_of = ts_calloc(s->n_clients, sizeof *r->client_of);
    }
    if (!r->last || !r->clients || (s->n_clients && (!r->client_first || !r->client_of)))
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the recorder");
    /* As trace.h states the state before a component's first row. */
    for (size_t c = 0; c < nc; c++)
        r->last[c] = (last_state){1, TS_TRACE_RUN_ACTIVE, 1, 0, 0};
    /* Clients grouped by calling component, in scenario order. */
    for (size_t i = 0; i < s->n_clients; i++)
        r->client_first[s->clients[i].component + 1]++;
    for (size_t c = 0; c < nc && s->n_clients; c++)
        r->client_first[c + 1] += r->client_first[c];
    uint32_t *fill = s->n_clients ? ts_calloc(nc ? nc : 1, sizeof *fill) : NULL;
    if (s->n_clients && !fill)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the recorder");
    for (size_t i = 0; i < s->n_clients; i++) {
        const ts_scenario_client *sc = &s->clients[i];
        size_t c = (size_t)sc->component;
        r->client_of[r->client_first[c] + fill[c]++] = (uint32_t)i;
        r->clients[i].component = sc->component;
        r->clients[i].service = sc->service;
        r->clients[i].period_ns = sc->period_ns;
    }
    ts_free(fill);
    /* A node going down or up changes whether its components are alive;
     * nothing else tells the recorder of a thermal shutdown. The outcome
     * kinds count a client's requests. */
    static const ts_event_kind node_kinds[] = {TS_EV_NODE_DOWN, TS_EV_NODE_UP,
                                               TS_EV_THERMAL_SHUTDOWN};
    static const ts_event_kind outcomes[] = {TS_EV_RESPONSE, TS_EV_REQUEST_TIMEOUT,
                                             TS_EV_REQUEST_REJECTED, TS_EV_REQUEST_NO_REPLICA};
    int rc = TS_OK;
    for (size_t i = 0; i < sizeof node_kinds / sizeof *node_kinds && rc == TS_OK; i++)
        rc = ts__bus_subscribe(sh->bus, node_kinds[i], on_node_event, r);
    for (size_t i = 0; i < sizeof outcomes / sizeof *outcomes && rc == TS_OK; i++)
        rc = ts__bus_subscribe(sh->bus, outcomes[i], on_outcome, r);
    r->level = select ? select->trace_level : TS_TRACE_LEVEL_FULL;
    if (rc == TS_OK && r->level == TS_TRACE_LEVEL_SUMMARY)
        rc = ts__bus_subscribe_all(sh->bus, on_any_event, r);
    if (rc != TS_OK)
        return ts_error_set(err, rc, NULL, 0, "cannot subscribe the recorder to its events");
    if (r->level == TS_TRACE_LEVEL_SUMMARY) {
        int64_t duration = select && select->duration_ns > 0 ? select->duration_ns
                                                             : s->duration_ns;
        return ts__summary_new(s, trace, ts__summary_window_ns(s, duration), &r->summary, err);
    }
    if (select && select->trace_window_end_ns > 0) {
        r->window_start = select->trace_window_start_ns;
        r->window_end = select->trace_window_end_ns;
    }
    if (select && select->trace_filter && select->trace_filter[0])
        return parse_filter(r, select->trace_filter, err);
    return TS_OK;
}

void ts__recorder_free(ts__recorder *r)
{
    if (!r)
        return;
    ts_free(r->last);
    ts_free(r->clients);
    ts_free(r->client_first);
    ts_free(r->client_of);
    ts_free(r->keep_topic);
    ts_free(r->keep_comp);
    ts__summary_free(r->summary);
    ts_free(r);
}

void ts__recorder_component(void *ctx, int c)
{
    ts__recorder *r = ctx;
    if (!r || c < 0 || (size_t)c >= r->sh.s->n_components)
        return;
    const ts_rt_component_state *st = ts__rts_component(r->rts, c);
    int alive = !ts__rts_crashed(r->rts, c) &&
                ts_compute_node_up(r->compute, r->sh.plan->node_of[c]) == 1;
    /* A process that is down serves nothing, whatever the runtime's flag
     * says in the instant before it hears of the crash. */
    last_state now = {
        (uint8_t)(alive && ts__rts_serving(r->rts, c)),
        (uint8_t)st->run,
        (uint8_t)alive,
        (uint8_t)(st->safety_mode != 0),
        (int32_t)st->version,
    };
    last_state *was = &r->last[c];
    if (now.serving == was->serving && now.run == was->run && now.alive == was->alive &&
        now.safety_mode == was->safety_mode && now.version == was->version)
        return;
    *was = now;
    ts_trace_component_state row = {ts_engine_now(r->sh.engine), c, now.serving, now.run,
                                     now.alive, now.version, now.safety_mode};
    ts_error e;
    if (!ts__bus_failed(r->sh.bus) && ts_trace_append_component_state(r->trace, &row, &e) != TS_OK)
        append_failed(r, &e);
    if (r->summary && !ts__bus_failed(r->sh.bus) &&
        ts__summary_boundary(r->summary, c, row.time_ns, &e) != TS_OK)
        append_failed(r, &e);
}

/* Summary level: an event naming a member of a failover group ends the
 * open windows of the group's subscriptions. */
static void on_any_event(void *ctx, const ts_platform_event *ev)
{
    ts__recorder *r = ctx;
    ts_error e;
    if (ev->component >= 0 && !ts__bus_failed(r->sh.bus) &&
        ts__summary_boundary(r->summary, ev->component, ev->time, &e) != TS_OK)
        append_failed(r, &e);
}

void ts__recorder_job(ts__recorder *r, const ts_trace_job *row)
{
    ts_error e;
    if (!r || ts__bus_failed(r->sh.bus))
        return;
    int rc = TS_OK;
    if (r->summary)
        rc = ts__summary_job(r->summary, row, ts_engine_now(r->sh.engine), &e);
    else if (keeps(r, -1, row->component, -1, row->release_ns))
        rc = ts_trace_append_job(r->trace, row, &e);
    if (rc != TS_OK)
        append_failed(r, &e);
}

void ts__recorder_message(ts__recorder *r, const ts_packet *p)
{
    /* A sample that reaches a crashed or stopped subscriber is not
     * received (topics through the DDS layer never get this far). */
    ts_packet dead;
    if (p->status == TS_MSG_DELIVERED && !ts__rts_receives(r->rts, p->subscriber)) {
        dead = *p;
        dead.status = TS_MSG_RECEIVER_DOWN;
        dead.received = -1;
        p = &dead;
    }
    ts_trace_message row = {p->topic, p->publisher, p->subscriber, p->status,
                            p->seq, p->sent, p->received, p->bytes};
    r->messages++;
    r->delivered += p->status == TS_MSG_DELIVERED;
    r->dropped += p->status != TS_MSG_DELIVERED && p->status != TS_MSG_IN_FLIGHT;
    ts_error e;
    if (ts__bus_failed(r->sh.bus))
        return;
    int rc = TS_OK;
    if (r->summary)
        rc = ts__summary_message(r->summary, &row, ts_engine_now(r->sh.engine), &e);
    else if (keeps(r, row.topic, row.publisher, row.subscriber, row.send_ns))
        rc = ts_trace_append_message(r->trace, &row, &e);
    if (rc != TS_OK)
        append_failed(r, &e);
    else if (r->observer)
        r->observer(r->observer_ctx, p);
}

void ts__recorder_observe(ts__recorder *r, void (*fn)(void *ctx, const ts_packet *p), void *ctx)
{
    r->observer = fn;
    r->observer_ctx = ctx;
}

void ts__recorder_stats(const ts__recorder *r, ts_run_stats *stats)
{
    stats->messages += r->messages;
    stats->delivered += r->delivered;
    stats->dropped += r->dropped;
}

/* The client an outcome event of component c belongs to: its only one,
 * or the one whose service the event's detail names first ("<service>:"
 * or "service <service>:", as the service code and services.c write
 * them). NULL when none matches. */
static ts_trace_client *client_for(ts__recorder *r, int c, const char *detail)
{
    uint32_t b = r->client_first[c], e = r->client_first[c + 1];
    if (e - b == 1)
        return &r->clients[r->client_of[b]];
    if (strncmp(detail, "service ", 8) == 0)
        detail += 8;
    const char *colon = strchr(detail, ':');
    size_t len = colon ? (size_t)(colon - detail) : 0;
    for (uint32_t k = b; k < e && len; k++) {
        ts_trace_client *cl = &r->clients[r->client_of[k]];
        const char *id = r->sh.s->services[cl->service].id;
        if (strlen(id) == len && strncmp(id, detail, len) == 0)
            return cl;
    }
    return NULL;
}

static void on_node_event(void *ctx, const ts_platform_event *ev)
{
    ts__recorder *r = ctx;
    if (ev->node < 0)
        return;
    const ts__shared *sh = &r->sh;
    for (int k = sh->node_first[ev->node]; k < sh->node_first[ev->node + 1]; k++)
        ts__recorder_component(r, sh->on_node[k]);
}

static void on_outcome(void *ctx, const ts_platform_event *ev)
{
    ts__recorder *r = ctx;
    if (!r->client_first || ev->component < 0 || (size_t)ev->component >= r->sh.s->n_components ||
        r->client_first[ev->component] == r->client_first[ev->component + 1])
        return;
    ts_trace_client *cl = client_for(r, ev->component, ev->detail);
    if (!cl)
        return;
    uint64_t *count = ev->kind == TS_EV_RESPONSE           ? &cl->answered
                      : ev->kind == TS_EV_REQUEST_TIMEOUT  ? &cl->timeouts
                      : ev->kind == TS_EV_REQUEST_REJECTED ? &cl->rejected
                                                           : &cl->no_replica;
    (*count)++;
    cl->requests++;
}

static void qos_names(ts_trace_subscription *row, const ts_qos *wq, const ts_qos *rq)
{
    snprintf(row->writer_reliability, sizeof row->writer_reliability, "%s",
             ts_qos_reliability_name(wq->reliability));
    snprintf(row->reader_reliability, sizeof row->reader_reliability, "%s",
             ts_qos_reliability_name(rq->reliability));
    snprintf(row->writer_durability, sizeof row->writer_durability, "%s",
             ts_qos_durability_name(wq->durability));
    snprintf(row->reader_durability, sizeof row->reader_durability, "%s",
             ts_qos_durability_name(rq->durability));
    row->writer_deadline_ns = wq->deadline_ns;
    row->reader_deadline_ns = rq->deadline_ns;
}

/* /subscriptions: needs the access policy, built with the services.
 * Written a block at a time: at the end of a fleet's run the whole table
 * (120 bytes a row) would add to the run's peak memory. */
#define SUBSCRIPTION_BLOCK 1024

static int write_subscriptions(ts__recorder *r, ts_error *err)
{
    const ts_scenario *s = r->sh.s;
    ts_trace_subscription *rows = ts_calloc(SUBSCRIPTION_BLOCK, sizeof *rows);
    if (!rows)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for /subscriptions");
    size_t i = 0;
    int rc = TS_OK;
    for (size_t t = 0; rc == TS_OK && t < s->n_topics; t++) {
        const ts_scenario_topic *tp = &s->topics[t];
        for (size_t k = 0; rc == TS_OK && k < tp->n_subscribers; k++) {
            ts_trace_subscription *row = &rows[i++];
            memset(row, 0, sizeof *row);
            row->topic = (int32_t)t;
            row->subscriber = tp->subscribers[k];
            row->has_qos = tp->has_qos;
            qos_names(row, tp->writer_qos, tp->reader_qos);
            const char *policy = "";
            row->matched = !tp->has_qos ||
                           ts_qos_compatible(tp->writer_qos, tp->reader_qos, &policy) == 1;
            snprintf(row->incompatible_policy, sizeof row->incompatible_policy, "%s",
                     row->matched ? "" : policy);
            row->allowed = ts_ctl_permits(ts__rts_ctl(r->rts), tp->publisher,
                                          tp->subscribers[k], (int)t);
            if (i == SUBSCRIPTION_BLOCK) {
                rc = ts_trace_add_subscriptions(r->trace, rows, i, err);
                i = 0;
            }
        }
    }
    if (rc == TS_OK)
        rc = ts_trace_add_subscriptions(r->trace, rows, i, err);
    ts_free(rows);
    return rc;
}

int ts__recorder_finish(ts__recorder *r, ts_error *err)
{
    int rc = r->summary ? ts__summary_finish(r->summary, ts_engine_now(r->sh.engine), err)
                        : TS_OK;
    if (rc == TS_OK)
        rc = write_subscriptions(r, err);
    if (rc == TS_OK)
        rc = ts_trace_write_clients(r->trace, r->clients, r->sh.s->n_clients, err);
    return rc;
}
