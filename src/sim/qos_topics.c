/*
 * Topics that declare QoS travel through the deployment code's DDS layer
 * (src/deploy/qos_*.c) on the simulated runtime: a writer per topic on its
 * publisher's endpoint, a reader per subscriber, matched by the
 * request-versus-offered rules. The trace's /messages rows for these
 * topics are what the application sees: a row when a reader delivers a
 * sample, a "lost" row for each sample a matched reader was owed and
 * skipped, and "in flight" rows for those still owed at the end. Readers
 * deliver in sequence order, so a ledger of owed samples per reader (a
 * ring grown by doubling) is enough to tell which were skipped.
 */
#include "sim/qos_topics.h"

#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"
#include "toposim/deploy.h"

typedef struct owed {
    uint64_t seq;
    int64_t stamp;
} owed;

typedef struct ledger {
    owed *ring;
    size_t cap, head, count;
    int matched;                /* the reader matched the writer */
    int delivered_any;
    uint64_t last_delivered;    /* a same-node sample is delivered inside
                                   the write, before it can be owed */
} ledger;

struct ts__qos_topics {
    ts__shared sh;
    ts__recorder *recorder;
    ts__discovery *disc;        /* NULL: pairs matched at the start */
    ts_ctl *ctl;
    ts_qos_domain *domain;
    ts_qos_writer **writers;    /* per topic, NULL without QoS */
    size_t *first;              /* per topic: its first ledger */
    ledger *ledgers;            /* one per (topic, subscriber) */
    ts__transport *transport;   /* owed deserialisation; NULL: none */
    void (*deliver)(void *ctx, int topic, int subscriber, uint64_t seq);
    void *deliver_ctx;
};

static void row(ts__qos_topics *w, int topic, int subscriber, int status, uint64_t seq, int64_t send,
                int64_t recv)
{
    const ts_scenario_topic *tp = &w->sh.s->topics[topic];
    ts_packet p = {.topic = topic,
                   .publisher = tp->publisher,
                   .subscriber = subscriber,
                   .status = status,
                   .seq = seq,
                   .bytes = tp->size_bytes,
                   .sent = send,
                   .received = recv};
    ts__recorder_message(w->recorder, &p);
}

static ledger *ledger_of(ts__qos_topics *w, int topic, int reader)
{
    const ts_scenario_topic *tp = &w->sh.s->topics[topic];
    for (size_t k = 0; k < tp->n_subscribers; k++)
        if (tp->subscribers[k] == reader)
            return &w->ledgers[w->first[topic] + k];
    return NULL;
}

static void on_sample(void *ctx, const ts_qos_sample *smp)
{
    ts__qos_topics *w = ctx;
    ledger *l = ledger_of(w, smp->topic, smp->reader);
    if (!l)
        return;
    /* Everything owed before this sample was skipped: lost to the app. */
    while (l->count > 0 && l->ring[l->head].seq < smp->seq) {
        owed o = l->ring[l->head];
        l->head = (l->head + 1) % l->cap;
        l->count--;
        row(w, smp->topic, smp->reader, TS_MSG_LOST, o.seq, o.stamp, -1);
    }
    if (l->count > 0 && l->ring[l->head].seq == smp->seq) {
        l->head = (l->head + 1) % l->cap;
        l->count--;
    }
    l->delivered_any = 1;
    l->last_delivered = smp->seq;
    row(w, smp->topic, smp->reader, TS_MSG_DELIVERED, smp->seq, smp->stamp, smp->delivered);
    if (w->transport)
        ts__transport_received(w->transport, smp->topic, smp->reader,
                               w->sh.s->topics[smp->topic].size_bytes);
    if (w->deliver)
        w->deliver(w->deliver_ctx, smp->topic, smp->reader, smp->seq);
}

void ts__qos_set_transport(ts__qos_topics *q, ts__transport *transport)
{
    if (q)
        q->transport = transport;
}

void ts__qos_on_deliver(ts__qos_topics *q, void (*fn)(void *ctx, int topic, int subscriber,
                                                      uint64_t seq), void *ctx)
{
    if (!q)
        return;
    q->deliver = fn;
    q->deliver_ctx = ctx;
}

static int owe(ledger *l, uint64_t seq, int64_t stamp)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        owed *r = ts_malloc(cap * sizeof *r);
        if (!r)
            return TS_ENOMEM;
        for (size_t i = 0; i < l->count; i++)
            r[i] = l->ring[(l->head + i) % l->cap];
        ts_free(l->ring);
        l->ring = r;
        l->cap = cap;
        l->head = 0;
    }
    l->ring[(l->head + l->count) % l->cap] = (owed){seq, stamp};
    l->count++;
    return TS_OK;
}

int ts__qos_publish(ts__qos_topics *q, int topic, uint64_t *seq_out)
{
    if (!q || !q->writers[topic])
        return 0;
    uint64_t seq;
    int64_t now = ts_engine_now(q->sh.engine);
    *seq_out = UINT64_MAX;
    if (ts_qos_writer_write(q->writers[topic], now, &seq) != TS_OK)
        return 1;   /* rejected (a full KEEP_ALL history): recorded by the writer */
    *seq_out = seq;
    const ts_scenario_topic *tp = &q->sh.s->topics[topic];
    for (size_t k = 0; k < tp->n_subscribers; k++) {
        ledger *l = &q->ledgers[q->first[topic] + k];
        int permitted = ts_ctl_permits(q->ctl, tp->publisher, tp->subscribers[k], topic);
        /* Discovery counts a sample a permitted reader misses unmatched. */
        if (q->disc && permitted && !ts__discovery_deliverable(q->disc, topic, (int)k))
            continue;
        if (!l->matched || (l->delivered_any && seq <= l->last_delivered) || !permitted)
            continue;
        if (owe(l, seq, now) != TS_OK) {
            ts_error e;
            ts_error_set(&e, TS_ENOMEM, NULL, 0, "no memory for the sample ledger");
            ts__bus_fail(q->sh.bus, &e);
        }
    }
    return 1;
}

uint64_t ts__qos_matched(ts__qos_topics *q, int topic, int k)
{
    if (!q || !q->writers[topic])
        return 0;
    const ts_scenario_topic *tp = &q->sh.s->topics[topic];
    ts_qos_writer *w = q->writers[topic];
    ts_qos_reader *r = ts_qos_domain_reader(q->domain, tp->subscribers[k], topic);
    if (!r)
        return 0;
    const ts_qos *wq = ts_qos_writer_qos(w), *rq = ts_qos_reader_qos(r);
    ts_qos_writer_stats st;
    ts_qos_writer_get_stats(w, &st);
    uint64_t replay = 0;
    if (wq->durability == TS_QOS_TRANSIENT_LOCAL && rq->durability == TS_QOS_TRANSIENT_LOCAL) {
        replay = st.history;
        if (rq->history == TS_QOS_KEEP_LAST && (uint64_t)rq->depth < replay)
            replay = (uint64_t)rq->depth;
    }
    ts_error e;
    int rc = ts_qos_connect(w, r, &e);
    if (rc < 0) {
        ts__bus_fail(q->sh.bus, &e);
        return 0;
    }
    q->ledgers[q->first[topic] + (size_t)k].matched = rc == 1;
    return rc == 1 ? replay : 0;
}

/* Under discovery: the topic's writer and readers, unconnected. */
static int endpoints_unmatched(ts__qos_topics *q, const ts_qos_topic_desc *d, ts_error *err)
{
    ts_qos_writer_desc wd = {.topic = d->topic, .name = d->name, .endpoint = d->writer,
                             .qos = d->writer_qos, .sample_bytes = d->sample_bytes};
    int rc = ts_qos_writer_new(q->domain, &wd, &q->writers[d->topic], err);
    for (size_t k = 0; k < d->n_readers && rc == TS_OK; k++) {
        if (ts_qos_domain_reader(q->domain, d->readers[k], d->topic))
            continue;
        ts_qos_reader_desc rd = {.topic = d->topic, .name = d->name, .endpoint = d->readers[k],
                                 .qos = d->reader_qos[k], .on_sample = d->on_sample,
                                 .ctx = d->ctx};
        ts_qos_reader *r;
        rc = ts_qos_reader_new(q->domain, &rd, &r, err);
    }
    return rc;
}

int ts__qos_start(const ts__shared *sh, ts__rts *rts, ts__recorder *recorder,
                  ts__discovery *disc, ts__qos_topics **out, ts_error *err)
{
    const ts_scenario *s = sh->s;
    *out = NULL;
    size_t any = 0, total = 0;
    for (size_t t = 0; t < s->n_topics; t++) {
        any += s->topics[t].has_qos != 0;
        total += s->topics[t].n_subscribers;
    }
    if (!any)
        return TS_OK;
    ts__qos_topics *q = ts_calloc(1, sizeof *q);
    *out = q;
    if (!q)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for QoS topics");
    q->sh = *sh;
    q->recorder = recorder;
    q->disc = disc;
    q->ctl = ts__rts_ctl(rts);
    q->writers = ts_calloc(s->n_topics, sizeof *q->writers);
    q->first = ts_calloc(s->n_topics, sizeof *q->first);
    q->ledgers = ts_calloc(total ? total : 1, sizeof *q->ledgers);
    if (!q->writers || !q->first || !q->ledgers)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for QoS topics");
    int rc = ts_qos_domain_new(ts__rts_runtime(rts), &q->domain, err);
    if (rc != TS_OK)
        return rc;
    size_t at = 0;
    for (size_t t = 0; t < s->n_topics; t++) {
        const ts_scenario_topic *tp = &s->topics[t];
        q->first[t] = at;
        at += tp->n_subscribers;
        if (!tp->has_qos)
            continue;
        ts_qos *reader_qos = ts_calloc(tp->n_subscribers ? tp->n_subscribers : 1,
                                       sizeof *reader_qos);
        if (!reader_qos)
            return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for QoS topics");
        for (size_t k = 0; k < tp->n_subscribers; k++) {
            reader_qos[k] = *tp->reader_qos;
            q->ledgers[q->first[t] + k].matched =
                !disc && ts_qos_compatible(tp->writer_qos, tp->reader_qos, NULL);
        }
        ts_qos_topic_desc d = {
            .topic = (int)t,
            .name = tp->id,
            .writer = tp->publisher,
            .writer_qos = *tp->writer_qos,
            .sample_bytes = tp->size_bytes,
            .readers = tp->subscribers,
            .reader_qos = reader_qos,
            .n_readers = tp->n_subscribers,
            .on_sample = on_sample,
            .ctx = q,
        };
        rc = disc ? endpoints_unmatched(q, &d, err)
                  : ts_qos_topic_new(q->domain, &d, &q->writers[t], NULL, err);
        ts_free(reader_qos);
        if (rc != TS_OK) {
            if (err && !err->file[0]) {
                snprintf(err->file, sizeof err->file, "%s", s->path);
                err->line = tp->line;
            }
            return rc;
        }
    }
    return TS_OK;
}

void ts__qos_finish(ts__qos_topics *q)
{
    if (!q)
        return;
    for (size_t t = 0; t < q->sh.s->n_topics; t++) {
        const ts_scenario_topic *tp = &q->sh.s->topics[t];
        for (size_t k = 0; k < tp->n_subscribers; k++) {
            ledger *l = &q->ledgers[q->first[t] + k];
            while (l->count > 0) {
                owed o = l->ring[l->head];
                l->head = (l->head + 1) % l->cap;
                l->count--;
                row(q, (int)t, tp->subscribers[k], TS_MSG_IN_FLIGHT, o.seq, o.stamp, -1);
            }
        }
    }
}

void ts__qos_free(ts__qos_topics *q)
{
    if (!q)
        return;
    ts_qos_domain_free(q->domain);
    if (q->ledgers) {
        size_t total = 0;
        for (size_t t = 0; t < q->sh.s->n_topics; t++)
            total += q->sh.s->topics[t].n_subscribers;
        for (size_t i = 0; i < total; i++)
            ts_free(q->ledgers[i].ring);
    }
    ts_free(q->ledgers);
    ts_free(q->first);
    ts_free(q->writers);
    ts_free(q);
}
