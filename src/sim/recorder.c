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
#include <stdio.h>
#include <string.h>

#include "sim/world_internal.h"
#include "toposim/alloc.h"
#include "toposim/deploy.h"

typedef struct last_state {
    uint8_t serving, run, alive, safety_mode;
    int32_t version;
} last_state;

typedef struct ts__recorder {
    last_state *last;           /* per component */
    ts_trace_client *clients;   /* per scenario client, counts filled here */
    size_t *client_first;       /* per component: first slot in client_of */
    size_t *client_of;          /* scenario client indices by component */
} ts__recorder;

int ts__world_recorder_start(world *w, ts_error *err)
{
    const ts_scenario *s = w->s;
    size_t nc = s->n_components;
    ts__recorder *r = ts_calloc(1, sizeof *r);
    if (!r)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the recorder");
    w->recorder = r;
    r->last = ts_calloc(nc ? nc : 1, sizeof *r->last);
    r->clients = ts_calloc(s->n_clients ? s->n_clients : 1, sizeof *r->clients);
    r->client_first = ts_calloc(nc + 1, sizeof *r->client_first);
    r->client_of = ts_calloc(s->n_clients ? s->n_clients : 1, sizeof *r->client_of);
    if (!r->last || !r->clients || !r->client_first || !r->client_of)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the recorder");
    /* As trace.h states the state before a component's first row. */
    for (size_t c = 0; c < nc; c++)
        r->last[c] = (last_state){1, TS_TRACE_RUN_ACTIVE, 1, 0, 0};
    /* Clients grouped by calling component, in scenario order. */
    for (size_t i = 0; i < s->n_clients; i++)
        r->client_first[s->clients[i].component + 1]++;
    for (size_t c = 0; c < nc; c++)
        r->client_first[c + 1] += r->client_first[c];
    size_t *fill = ts_calloc(nc ? nc : 1, sizeof *fill);
    if (!fill)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the recorder");
    for (size_t i = 0; i < s->n_clients; i++) {
        const ts_scenario_client *sc = &s->clients[i];
        size_t c = (size_t)sc->component;
        r->client_of[r->client_first[c] + fill[c]++] = i;
        r->clients[i].component = sc->component;
        r->clients[i].service = sc->service;
        r->clients[i].period_ns = sc->period_ns;
    }
    ts_free(fill);
    return TS_OK;
}

void ts__world_recorder_free(world *w)
{
    ts__recorder *r = w->recorder;
    if (!r)
        return;
    ts_free(r->last);
    ts_free(r->clients);
    ts_free(r->client_first);
    ts_free(r->client_of);
    ts_free(r);
    w->recorder = NULL;
}

void ts__world_record_component_state(world *w, int c)
{
    ts__recorder *r = w->recorder;
    if (!r || !w->rts.component || c < 0 || (size_t)c >= w->s->n_components)
        return;
    const ts_rt_component_state *st = &w->rts.component[c];
    int alive = !w->rts.crashed[c] &&
                ts_compute_node_up(w->compute, w->plan->placement[c].node) == 1;
    /* A process that is down serves nothing, whatever the runtime's flag
     * says in the instant before it hears of the crash. */
    last_state now = {
        (uint8_t)(alive && w->rts.serving[c] != 0),
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
    ts_trace_component_state row = {ts_engine_now(w->engine), c, now.serving, now.run,
                                     now.alive, now.version, now.safety_mode};
    ts_error e;
    if (!w->failed && ts_trace_append_component_state(w->trace, &row, &e) != TS_OK)
        ts__world_fail(w, &e);
}

/* The client an outcome event of component c belongs to: its only one,
 * or the one whose service the event's detail names first ("<service>:"
 * or "service <service>:", as the service code and services.c write
 * them). NULL when none matches. */
static ts_trace_client *client_for(world *w, int c, const char *detail)
{
    ts__recorder *r = w->recorder;
    size_t b = r->client_first[c], e = r->client_first[c + 1];
    if (e - b == 1)
        return &r->clients[r->client_of[b]];
    if (strncmp(detail, "service ", 8) == 0)
        detail += 8;
    const char *colon = strchr(detail, ':');
    size_t len = colon ? (size_t)(colon - detail) : 0;
    for (size_t k = b; k < e && len; k++) {
        ts_trace_client *cl = &r->clients[r->client_of[k]];
        const char *id = w->s->services[cl->service].id;
        if (strlen(id) == len && strncmp(id, detail, len) == 0)
            return cl;
    }
    return NULL;
}

void ts__world_recorder_event(world *w, const ts_platform_event *ev)
{
    ts__recorder *r = w->recorder;
    if (!r || !ev->kind)
        return;
    const char *k = ev->kind;
    /* A node going down or up changes whether its components are alive;
     * nothing else tells the recorder of a thermal shutdown. */
    if (ev->node >= 0 && (!strcmp(k, "node_down") || !strcmp(k, "node_up") ||
                          !strcmp(k, "thermal_shutdown"))) {
        for (size_t c = 0; c < w->s->n_components; c++)
            if (w->plan->placement[c].node == ev->node)
                ts__world_record_component_state(w, (int)c);
        return;
    }
    /* Only the outcome kinds below start with 'r'... among others: a
     * cheap first filter before the string compares. */
    if (k[0] != 'r' || ev->component < 0 ||
        (size_t)ev->component >= w->s->n_components ||
        r->client_first[ev->component] == r->client_first[ev->component + 1])
        return;
    uint64_t *count = NULL;
    ts_trace_client *cl = client_for(w, ev->component, ev->detail);
    if (!cl)
        return;
    if (!strcmp(k, "response"))
        count = &cl->answered;
    else if (!strcmp(k, "request_timeout"))
        count = &cl->timeouts;
    else if (!strcmp(k, "request_rejected"))
        count = &cl->rejected;
    else if (!strcmp(k, "request_no_replica"))
        count = &cl->no_replica;
    if (count) {
        (*count)++;
        cl->requests++;
    }
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

/* /subscriptions: needs the access policy, built with the services. */
static int write_subscriptions(world *w, ts_error *err)
{
    const ts_scenario *s = w->s;
    size_t n = 0;
    for (size_t t = 0; t < s->n_topics; t++)
        n += s->topics[t].n_subscribers;
    ts_trace_subscription *rows = ts_calloc(n ? n : 1, sizeof *rows);
    if (!rows)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for /subscriptions");
    size_t i = 0;
    for (size_t t = 0; t < s->n_topics; t++) {
        const ts_scenario_topic *tp = &s->topics[t];
        for (size_t k = 0; k < tp->n_subscribers; k++, i++) {
            ts_trace_subscription *row = &rows[i];
            row->topic = (int32_t)t;
            row->subscriber = tp->subscribers[k];
            row->has_qos = tp->has_qos;
            qos_names(row, &tp->writer_qos, &tp->reader_qos);
            const char *policy = "";
            row->matched = !tp->has_qos ||
                           ts_qos_compatible(&tp->writer_qos, &tp->reader_qos, &policy) == 1;
            snprintf(row->incompatible_policy, sizeof row->incompatible_policy, "%s",
                     row->matched ? "" : policy);
            row->allowed = ts__world_policy_permits(w, tp->publisher, tp->subscribers[k],
                                                    (int)t);
        }
    }
    int rc = ts_trace_write_subscriptions(w->trace, rows, n, err);
    ts_free(rows);
    return rc;
}

int ts__world_recorder_finish(world *w, ts_error *err)
{
    ts__recorder *r = w->recorder;
    int rc = write_subscriptions(w, err);
    if (rc == TS_OK)
        rc = ts_trace_write_clients(w->trace, r->clients, w->s->n_clients, err);
    return rc;
}
