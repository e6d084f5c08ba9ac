/*
 * QoS matching: the DDS request-versus-offered rules, the domain that owns
 * writers and readers and demultiplexes TS_PORT_TOPIC by (endpoint,
 * topic), and ts_qos_connect, which stands for discovery.
 *
 * The RxO rules follow the DDS 1.4 specification (section 2.2.3, "QoS
 * policies"; the same statement is in the OMG Java PSM's Durability
 * documentation: "offered kind >= requested kind", with VOLATILE <
 * TRANSIENT_LOCAL): reliability BEST_EFFORT < RELIABLE; durability
 * VOLATILE < TRANSIENT_LOCAL; deadline offered period <= requested;
 * liveliness AUTOMATIC < MANUAL_BY_TOPIC and offered lease <= requested.
 * An infinite duration (0 here) is larger than every finite one.
 */
#include "toposim/deploy.h"

#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"
#include "toposim/error.h"

/* a <= b where 0 stands for infinity. */
static int dur_le(int64_t a, int64_t b)
{
    if (b == 0)
        return 1;
    if (a == 0)
        return 0;
    return a <= b;
}

ts_qos_policy ts_qos_check(const ts_qos *offered, const ts_qos *requested)
{
    if (offered->reliability < requested->reliability)
        return TS_QOS_POLICY_RELIABILITY;
    if (offered->durability < requested->durability)
        return TS_QOS_POLICY_DURABILITY;
    if (!dur_le(offered->deadline_ns, requested->deadline_ns))
        return TS_QOS_POLICY_DEADLINE;
    if (offered->liveliness < requested->liveliness ||
        !dur_le(offered->lease_ns, requested->lease_ns))
        return TS_QOS_POLICY_LIVELINESS;
    return TS_QOS_POLICY_NONE;
}

int ts_qos_compatible(const ts_qos *offered, const ts_qos *requested, const char **policy)
{
    ts_qos_policy p = ts_qos_check(offered, requested);
    if (policy)
        *policy = ts_qos_policy_name(p);
    return p == TS_QOS_POLICY_NONE;
}

/* ---- Domain ------------------------------------------------------------- */

typedef struct entry {
    int topic;
    void *obj;
} entry;

/* What one endpoint hosts, each list sorted by topic for lookup by
 * binary search (a fleet coordinator may read one topic per robot). */
typedef struct ep_slot {
    entry *w;
    size_t n_w, cap_w;
    entry *r;
    size_t n_r, cap_r;
    int listening;
} ep_slot;

struct ts_qos_domain {
    const ts_runtime *rt;
    ep_slot *eps;
    size_t n_eps;
};

static void *find(const entry *list, size_t n, int topic)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (list[mid].topic == topic)
            return list[mid].obj;
        if (list[mid].topic < topic)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static void on_message(void *ctx, const ts_rt_message *m)
{
    ts_qos_domain *d = ctx;
    if (m->to < 0 || (size_t)m->to >= d->n_eps)
        return;
    ep_slot *ep = &d->eps[m->to];
    if (m->kind == TS_QOS_MSG_ACKNACK) {
        ts_qos_writer *w = find(ep->w, ep->n_w, m->channel);
        if (w)
            ts__qos_writer_receive(w, m);
    } else {
        ts_qos_reader *r = find(ep->r, ep->n_r, m->channel);
        if (r)
            ts__qos_reader_receive(r, m);
    }
}

int ts_qos_domain_new(const ts_runtime *rt, ts_qos_domain **out, ts_error *err)
{
    if (!rt || !out)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "qos domain: no runtime");
    *out = NULL;
    ts_qos_domain *d = ts_calloc(1, sizeof *d);
    if (!d)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "qos domain: out of memory");
    d->rt = rt;
    *out = d;
    return TS_OK;
}

void ts_qos_domain_free(ts_qos_domain *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n_eps; i++) {
        ep_slot *ep = &d->eps[i];
        if (ep->listening)
            ts_rt_unlisten(d->rt, (int)i, TS_PORT_TOPIC);
        for (size_t k = 0; k < ep->n_w; k++)
            ts__qos_writer_free(ep->w[k].obj);
        for (size_t k = 0; k < ep->n_r; k++)
            ts__qos_reader_free(ep->r[k].obj);
        ts_free(ep->w);
        ts_free(ep->r);
    }
    ts_free(d->eps);
    ts_free(d);
}

const ts_runtime *ts__qos_domain_rt(const ts_qos_domain *d)
{
    return d->rt;
}

static int insert(entry **list, size_t *n, size_t *cap, int topic, void *obj)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 4;
        entry *p = ts_realloc(*list, c * sizeof *p);
        if (!p)
            return TS_ENOMEM;
        *list = p;
        *cap = c;
    }
    size_t at = *n;
    while (at > 0 && (*list)[at - 1].topic > topic) {
        (*list)[at] = (*list)[at - 1];
        at--;
    }
    (*list)[at] = (entry){topic, obj};
    (*n)++;
    return TS_OK;
}

int ts__qos_domain_add(ts_qos_domain *d, int endpoint, int topic, ts_qos_writer *w,
                       ts_qos_reader *r, ts_error *err)
{
    if (endpoint < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "qos: endpoint %d", endpoint);
    if ((size_t)endpoint >= d->n_eps) {
        size_t n = d->n_eps ? d->n_eps : 8;
        while (n <= (size_t)endpoint)
            n *= 2;
        ep_slot *p = ts_realloc(d->eps, n * sizeof *p);
        if (!p)
            return ts_error_set(err, TS_ENOMEM, NULL, 0, "qos: out of memory");
        memset(p + d->n_eps, 0, (n - d->n_eps) * sizeof *p);
        d->eps = p;
        d->n_eps = n;
    }
    ep_slot *ep = &d->eps[endpoint];
    if (w ? find(ep->w, ep->n_w, topic) != NULL : find(ep->r, ep->n_r, topic) != NULL)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "qos: endpoint %d already has a %s for topic %d", endpoint,
                            w ? "writer" : "reader", topic);
    if (!ep->listening) {
        int rc = ts_rt_listen(d->rt, endpoint, TS_PORT_TOPIC, on_message, d);
        if (rc != TS_OK)
            return ts_error_set(err, rc, NULL, 0, "qos: cannot listen on endpoint %d",
                                endpoint);
        ep->listening = 1;
    }
    int rc = w ? insert(&ep->w, &ep->n_w, &ep->cap_w, topic, w)
               : insert(&ep->r, &ep->n_r, &ep->cap_r, topic, r);
    if (rc != TS_OK)
        return ts_error_set(err, rc, NULL, 0, "qos: out of memory");
    return TS_OK;
}

ts_qos_writer *ts_qos_domain_writer(const ts_qos_domain *d, int endpoint, int topic)
{
    if (!d || endpoint < 0 || (size_t)endpoint >= d->n_eps)
        return NULL;
    const ep_slot *ep = &d->eps[endpoint];
    return find(ep->w, ep->n_w, topic);
}

ts_qos_reader *ts_qos_domain_reader(const ts_qos_domain *d, int endpoint, int topic)
{
    if (!d || endpoint < 0 || (size_t)endpoint >= d->n_eps)
        return NULL;
    const ep_slot *ep = &d->eps[endpoint];
    return find(ep->r, ep->n_r, topic);
}

/* ---- Matching ------------------------------------------------------------ */

static void dur_text(char *buf, size_t size, int64_t ns)
{
    if (ns == 0)
        snprintf(buf, size, "infinite");
    else
        snprintf(buf, size, "%lld ns", (long long)ns);
}

/* "what the writer offers, what the reader requests" for the failing policy. */
static void policy_text(char *buf, size_t size, ts_qos_policy p, const ts_qos *o,
                        const ts_qos *q)
{
    char a[32], b[32];
    switch (p) {
    case TS_QOS_POLICY_RELIABILITY:
        snprintf(buf, size, "offers %s, requests %s", ts_qos_reliability_name(o->reliability),
                 ts_qos_reliability_name(q->reliability));
        return;
    case TS_QOS_POLICY_DURABILITY:
        snprintf(buf, size, "offers %s, requests %s", ts_qos_durability_name(o->durability),
                 ts_qos_durability_name(q->durability));
        return;
    case TS_QOS_POLICY_DEADLINE:
        dur_text(a, sizeof a, o->deadline_ns);
        dur_text(b, sizeof b, q->deadline_ns);
        snprintf(buf, size, "offers period %s, requests %s", a, b);
        return;
    case TS_QOS_POLICY_LIVELINESS:
        dur_text(a, sizeof a, o->lease_ns);
        dur_text(b, sizeof b, q->lease_ns);
        snprintf(buf, size, "offers %s lease %s, requests %s lease %s",
                 ts_qos_liveliness_name(o->liveliness), a, ts_qos_liveliness_name(q->liveliness),
                 b);
        return;
    case TS_QOS_POLICY_NONE:
        break;
    }
    buf[0] = '\0';
}

int ts_qos_connect(ts_qos_writer *w, ts_qos_reader *r, ts_error *err)
{
    if (!w || !r)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "qos connect: missing writer or reader");
    if (ts_qos_writer_topic(w) != ts_qos_reader_topic(r))
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "qos connect: writer topic %d, reader topic %d",
                            ts_qos_writer_topic(w), ts_qos_reader_topic(r));
    int wep = ts_qos_writer_endpoint(w), rep = ts_qos_reader_endpoint(r);
    if (ts__qos_writer_has_reader(w, rep))
        return 1;
    const ts_qos *o = ts_qos_writer_qos(w), *q = ts_qos_reader_qos(r);
    ts_qos_policy p = ts_qos_check(o, q);
    if (p != TS_QOS_POLICY_NONE) {
        if (ts__qos_writer_first_report(w, r)) {
            const ts_runtime *rt = NULL;
            char why[128], detail[224];
            policy_text(why, sizeof why, p, o, q);
            snprintf(detail, sizeof detail, "%s: %s: writer %d %s; reader %d cannot match",
                     ts_qos_policy_name(p), ts__qos_writer_name(w), wep, why, rep);
            rt = ts__qos_writer_rt(w);
            ts_rt_note(rt, "qos_incompatible", wep, -1, (double)p, detail);
            ts_rt_note(rt, "qos_incompatible", rep, -1, (double)p, detail);
        }
        return 0;
    }
    uint64_t start = ts__qos_writer_start_seq(w, q);
    int rc = ts__qos_reader_attach(r, wep, o, start);
    if (rc != TS_OK)
        return ts_error_set(err, rc, NULL, 0, "qos connect: out of memory");
    rc = ts__qos_writer_attach(w, rep, q, start);
    if (rc != TS_OK)
        return ts_error_set(err, rc, NULL, 0, "qos connect: out of memory");
    return 1;
}

int ts_qos_topic_new(ts_qos_domain *d, const ts_qos_topic_desc *desc, ts_qos_writer **writer,
                     ts_qos_reader **readers, ts_error *err)
{
    if (!d || !desc || (desc->n_readers && (!desc->readers || !desc->reader_qos)))
        return ts_error_set(err, TS_EINVAL, NULL, 0, "qos topic: incomplete description");
    ts_qos_writer_desc wd = {desc->topic,      desc->name,        desc->writer,
                             desc->writer_qos, desc->sample_bytes, desc->heartbeat_ns};
    ts_qos_writer *w;
    int rc = ts_qos_writer_new(d, &wd, &w, err);
    if (rc != TS_OK)
        return rc;
    if (writer)
        *writer = w;
    for (size_t i = 0; i < desc->n_readers; i++) {
        ts_qos_reader *r = ts_qos_domain_reader(d, desc->readers[i], desc->topic);
        if (!r) {
            ts_qos_reader_desc rd = {desc->topic,         desc->name,      desc->readers[i],
                                     desc->reader_qos[i], desc->on_sample, desc->ctx};
            rc = ts_qos_reader_new(d, &rd, &r, err);
            if (rc != TS_OK)
                return rc;
        }
        if (readers)
            readers[i] = r;
        rc = ts_qos_connect(w, r, err);
        if (rc < 0)
            return rc;
    }
    return TS_OK;
}
