/*
 * The summary level (recorder_summary.h). Samples are recorded when they
 * complete, not in send order, while windows are by send time, so each
 * item keeps one open window [start, ...) and a sample sent before its
 * start (one that completed after its window was written) becomes a full
 * row. What the validator derives from the trace stays exact:
 * - a window holds one item, one status count per cause, and `met`, so
 *   every compliance (met / total) is the same as from full rows;
 * - which member of a failover group a sample counts for depends on the
 *   members' states at its send time: the windows of a group's
 *   subscriptions end at every state change of a member and at every
 *   event naming one, and their misses (which the validator places in
 *   failover windows it derives from heartbeats) stay full rows;
 * - a sample completing at the instant it was sent may precede, in the
 *   engine's order, a state change at that same instant which the
 *   validator applies to it (it compares send time >= change time): such
 *   samples of a group's subscriptions wait in a small buffer until time
 *   moves on, and overflow to full rows;
 * - unfinished jobs and samples in flight at the end are full rows (the
 *   validator judges those against faults and the run's end).
 * Nothing is allocated after the start: per item one window accumulator
 * and HIST_SLOTS histogram slots.
 */
#include "sim/recorder_summary.h"

#include <stdlib.h>
#include <string.h>

#include "toposim/alloc.h"
#include "toposim/histogram.h"

/* Histogram slots per item: an open-addressed table keyed by bucket. A
 * spread of latencies within a factor of two fills at most 32 buckets;
 * a window whose table is 3/4 full is written and a new one begun. */
#define HIST_SLOTS 64
#define HIST_MAX_USED 48
/* Samples completing at their send instant, waiting for time to move. */
#define PARKED_MAX 1024
#define N_STATUS 7

typedef struct hslot {
    int32_t bucket;     /* -1: empty */
    uint32_t count;
} hslot;

typedef struct acc {
    int64_t start;      /* first send / release time the window may hold */
    int64_t max_time;   /* greatest held; -1: empty */
    int64_t max_value;
    uint64_t count[N_STATUS]; /* topics: by status; jobs: [0] finished */
    uint64_t met;
    int32_t who;        /* topics: the publisher; jobs: the node */
    int32_t used;       /* histogram slots in use */
} acc;

typedef struct sub_key {
    int32_t subscriber;
    int32_t item;
} sub_key;

struct ts__summary {
    const ts_scenario *s;
    ts_trace_writer *trace;
    int64_t window_ns;
    size_t n_topic_items;   /* items 0 .. n_topic_items - 1: subscriptions */
    size_t n_items;         /* then one per component */
    size_t *topic_first;    /* per topic: its first item (n_topics + 1) */
    sub_key *keys;          /* per topic range: sorted by subscriber */
    acc *accs;
    hslot *slots;           /* HIST_SLOTS per item */
    int32_t *group_of;      /* per component: its group's primary, or -1 */
    size_t *group_first;    /* per primary: its items in group_items */
    int32_t *group_items;
    ts_trace_message *parked;
    size_t n_parked;
    int64_t parked_at;
    ts_hist_pair out[HIST_SLOTS];
};

int64_t ts__summary_window_ns(const ts_scenario *s, int64_t duration_ns)
{
    (void)duration_ns;
    uint64_t items = 0;
    for (size_t t = 0; t < s->n_topics; t++)
        items += s->topics[t].n_subscribers;
    for (size_t c = 0; c < s->n_components; c++)
        items += s->components[c].shared->period_ns > 0;
    uint64_t seconds = (items * TS__SUMMARY_ROW_BYTES + TS__SUMMARY_BYTES_PER_S - 1) /
                       TS__SUMMARY_BYTES_PER_S;
    return (int64_t)(seconds ? seconds : 1) * 1000000000LL;
}

static int cmp_key(const void *x, const void *y)
{
    const sub_key *a = x, *b = y;
    return (a->subscriber > b->subscriber) - (a->subscriber < b->subscriber);
}

static void clear_acc(ts__summary *sm, size_t i)
{
    acc *a = &sm->accs[i];
    a->max_time = -1;
    a->max_value = -1;
    memset(a->count, 0, sizeof a->count);
    a->met = 0;
    a->used = 0;
    hslot *h = sm->slots + i * HIST_SLOTS;
    for (int k = 0; k < HIST_SLOTS; k++)
        h[k] = (hslot){-1, 0};
}

/* Failover groups: a component's group is its primary's index when the
 * primary has a backup. */
static int build_groups(ts__summary *sm, ts_error *err)
{
    const ts_scenario *s = sm->s;
    size_t nc = s->n_components;
    sm->group_of = ts_malloc((nc ? nc : 1) * sizeof *sm->group_of);
    sm->group_first = ts_calloc(nc + 1, sizeof *sm->group_first);
    if (!sm->group_of || !sm->group_first)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the trace summary");
    for (size_t c = 0; c < nc; c++)
        sm->group_of[c] = -1;
    for (size_t c = 0; c < nc; c++) {
        int p = s->components[c].backup_of;
        if (p >= 0 && (size_t)p < nc) {
            sm->group_of[c] = p;
            sm->group_of[p] = p;
        }
    }
    for (size_t t = 0; t < s->n_topics; t++)
        for (size_t k = 0; k < s->topics[t].n_subscribers; k++) {
            int32_t g = sm->group_of[s->topics[t].subscribers[k]];
            if (g >= 0)
                sm->group_first[g + 1]++;
        }
    for (size_t c = 0; c < nc; c++)
        sm->group_first[c + 1] += sm->group_first[c];
    size_t n = sm->group_first[nc];
    sm->group_items = ts_malloc((n ? n : 1) * sizeof *sm->group_items);
    size_t *fill = ts_calloc(nc ? nc : 1, sizeof *fill);
    if (!sm->group_items || !fill) {
        ts_free(fill);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the trace summary");
    }
    for (size_t t = 0; t < s->n_topics; t++)
        for (size_t k = 0; k < s->topics[t].n_subscribers; k++) {
            int32_t g = sm->group_of[s->topics[t].subscribers[k]];
            if (g >= 0)
                sm->group_items[sm->group_first[g] + fill[g]++] =
                    (int32_t)(sm->topic_first[t] + k);
        }
    ts_free(fill);
    return TS_OK;
}

int ts__summary_new(const ts_scenario *s, ts_trace_writer *trace, int64_t window_ns,
                    ts__summary **out, ts_error *err)
{
    ts__summary *sm = ts_calloc(1, sizeof *sm);
    *out = sm;
    if (!sm)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the trace summary");
    sm->s = s;
    sm->trace = trace;
    sm->window_ns = window_ns > 0 ? window_ns : 1000000000LL;
    sm->topic_first = ts_calloc(s->n_topics + 1, sizeof *sm->topic_first);
    if (!sm->topic_first)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the trace summary");
    for (size_t t = 0; t < s->n_topics; t++)
        sm->topic_first[t + 1] = sm->topic_first[t] + s->topics[t].n_subscribers;
    sm->n_topic_items = sm->topic_first[s->n_topics];
    sm->n_items = sm->n_topic_items + s->n_components;
    size_t n = sm->n_items ? sm->n_items : 1;
    sm->keys = ts_malloc((sm->n_topic_items ? sm->n_topic_items : 1) * sizeof *sm->keys);
    sm->accs = ts_calloc(n, sizeof *sm->accs);
    sm->slots = ts_malloc(n * HIST_SLOTS * sizeof *sm->slots);
    sm->parked = ts_malloc(PARKED_MAX * sizeof *sm->parked);
    if (!sm->keys || !sm->accs || !sm->slots || !sm->parked)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the trace summary");
    for (size_t t = 0; t < s->n_topics; t++) {
        sub_key *k = sm->keys + sm->topic_first[t];
        for (size_t j = 0; j < s->topics[t].n_subscribers; j++)
            k[j] = (sub_key){s->topics[t].subscribers[j], (int32_t)(sm->topic_first[t] + j)};
        qsort(k, s->topics[t].n_subscribers, sizeof *k, cmp_key);
    }
    for (size_t i = 0; i < sm->n_items; i++) {
        clear_acc(sm, i);
        sm->accs[i].start = 0;
        sm->accs[i].who = -1;
    }
    sm->parked_at = -1;
    return build_groups(sm, err);
}

void ts__summary_free(ts__summary *sm)
{
    if (!sm)
        return;
    ts_free(sm->topic_first);
    ts_free(sm->keys);
    ts_free(sm->accs);
    ts_free(sm->slots);
    ts_free(sm->group_of);
    ts_free(sm->group_first);
    ts_free(sm->group_items);
    ts_free(sm->parked);
    ts_free(sm);
}

/* The item of a sample of topic t to subscriber sub, or -1. */
static int32_t topic_item(const ts__summary *sm, int32_t t, int32_t sub)
{
    if (t < 0 || (size_t)t >= sm->s->n_topics)
        return -1;
    const sub_key *k = sm->keys + sm->topic_first[t];
    size_t lo = 0, hi = sm->s->topics[t].n_subscribers;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (k[mid].subscriber < sub)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < sm->s->topics[t].n_subscribers && k[lo].subscriber == sub ? k[lo].item : -1;
}

/* The window end of a window starting at start. */
static int64_t window_end(const ts__summary *sm, int64_t start)
{
    return (start / sm->window_ns + 1) * sm->window_ns;
}

/* Writes item i's open window as [start, end) when it holds anything,
 * and empties it. */
static int emit(ts__summary *sm, size_t i, int64_t end, ts_error *err)
{
    acc *a = &sm->accs[i];
    if (a->max_time < 0)
        return TS_OK;
    /* The used slots by bucket (at most HIST_SLOTS: insertion sort). */
    hslot *h = sm->slots + i * HIST_SLOTS;
    size_t n = 0;
    for (int k = 0; k < HIST_SLOTS; k++) {
        if (h[k].bucket < 0)
            continue;
        size_t j = n++;
        while (j > 0 && sm->out[j - 1].bucket > h[k].bucket) {
            sm->out[j] = sm->out[j - 1];
            j--;
        }
        sm->out[j] = (ts_hist_pair){h[k].bucket, h[k].count};
    }
    int rc;
    if (i < sm->n_topic_items) {
        size_t t = 0;
        /* The topic holding item i: topic_first is increasing. */
        size_t lo = 0, hi = sm->s->n_topics;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (sm->topic_first[mid + 1] <= i)
                lo = mid + 1;
            else
                hi = mid;
        }
        t = lo;
        ts_trace_topic_window row = {
            .topic = (int32_t)t,
            .publisher = a->who,
            .subscriber = sm->s->topics[t].subscribers[i - sm->topic_first[t]],
            .start_ns = a->start,
            .end_ns = end,
            .delivered = a->count[TS_MSG_DELIVERED],
            .met = a->met,
            .dropped_queue = a->count[TS_MSG_DROPPED_QUEUE],
            .no_route = a->count[TS_MSG_NO_ROUTE],
            .lost = a->count[TS_MSG_LOST],
            .link_down = a->count[TS_MSG_LINK_DOWN],
            .receiver_down = a->count[TS_MSG_RECEIVER_DOWN],
            .max_latency_ns = a->max_value,
        };
        rc = ts_trace_append_topic_window(sm->trace, &row, sm->out, n, err);
    } else {
        ts_trace_job_window row = {
            .component = (int32_t)(i - sm->n_topic_items),
            .node = a->who,
            .start_ns = a->start,
            .end_ns = end,
            .finished = a->count[0],
            .met = a->met,
            .max_response_ns = a->max_value,
        };
        rc = ts_trace_append_job_window(sm->trace, &row, sm->out, n, err);
    }
    clear_acc(sm, i);
    return rc;
}

/* The slot of bucket b in item i's table, or NULL when it is not there
 * and the table may take no more. */
static hslot *slot_for(ts__summary *sm, size_t i, int32_t b)
{
    hslot *h = sm->slots + i * HIST_SLOTS;
    /* Linear probing from a multiplicative hash (Knuth's constant). */
    uint32_t k = ((uint32_t)b * 2654435761u) >> 26; /* 6 bits: HIST_SLOTS */
    for (int probe = 0; probe < HIST_SLOTS; probe++, k = (k + 1) & (HIST_SLOTS - 1)) {
        if (h[k].bucket == b)
            return &h[k];
        if (h[k].bucket < 0) {
            if (sm->accs[i].used >= HIST_MAX_USED)
                return NULL;
            sm->accs[i].used++;
            h[k].bucket = b;
            return &h[k];
        }
    }
    return NULL;
}

/* Adds a value at time `time` (send or release) to item i: status for a
 * sample (its value only when delivered), with `who` the publisher or
 * node. *held is 0 when the caller must write it as a row instead. */
static int add(ts__summary *sm, size_t i, int64_t time, int32_t who, int status, int has_value,
               int64_t value, int met, int *held, ts_error *err)
{
    acc *a = &sm->accs[i];
    int rc = TS_OK;
    *held = 0;
    if (time < a->start)
        return TS_OK;
    if (time >= window_end(sm, a->start)) {
        rc = emit(sm, i, window_end(sm, a->start), err);
        a->start = time - time % sm->window_ns;
    }
    /* Another publisher or node: this window ends after the last time
     * it holds. */
    if (rc == TS_OK && a->max_time >= 0 && a->who != who) {
        int64_t end = a->max_time + 1;
        rc = emit(sm, i, end, err);
        a->start = end;
        if (time < a->start)
            return rc;
    }
    /* A full table or a count about to overflow: the same. */
    int32_t b = has_value ? ts_hist_bucket(value) : -1;
    hslot *slot = rc == TS_OK && b >= 0 ? slot_for(sm, i, b) : NULL;
    if (rc == TS_OK && b >= 0 && (!slot || slot->count == UINT32_MAX)) {
        int64_t end = a->max_time + 1;
        rc = emit(sm, i, end, err);
        a->start = end;
        if (time < a->start)
            return rc;
        slot = rc == TS_OK ? slot_for(sm, i, b) : NULL;
    }
    a->who = who;
    if (slot)
        slot->count++;
    a->count[status]++;
    a->met += met != 0;
    if (has_value && value > a->max_value)
        a->max_value = value;
    if (time > a->max_time)
        a->max_time = time;
    *held = 1;
    return TS_OK;
}

/* A sample into its window, or a full row. */
static int place_message(ts__summary *sm, const ts_trace_message *m, ts_error *err)
{
    int32_t i = topic_item(sm, m->topic, m->subscriber);
    int held = 0;
    if (i >= 0 && m->status != TS_MSG_IN_FLIGHT && m->status >= 0 && m->status < N_STATUS) {
        int64_t budget = sm->s->topics[m->topic].budget_ns;
        int delivered = m->status == TS_MSG_DELIVERED;
        int64_t latency = delivered ? m->recv_ns - m->send_ns : -1;
        int met = delivered && (budget == 0 || latency <= budget);
        /* A failover group's misses stay rows: see the top of the file. */
        int grouped = sm->group_of[m->subscriber] >= 0;
        if (!(grouped && !met)) {
            int rc = add(sm, (size_t)i, m->send_ns, m->publisher, m->status, delivered, latency,
                         met, &held, err);
            if (rc != TS_OK)
                return rc;
        }
    }
    return held ? TS_OK : ts_trace_append_message(sm->trace, m, err);
}

/* Parked samples into their windows once time has moved past them. */
static int unpark(ts__summary *sm, int64_t now, ts_error *err)
{
    if (sm->n_parked == 0 || now <= sm->parked_at)
        return TS_OK;
    int rc = TS_OK;
    for (size_t k = 0; rc == TS_OK && k < sm->n_parked; k++)
        rc = place_message(sm, &sm->parked[k], err);
    sm->n_parked = 0;
    return rc;
}

int ts__summary_message(ts__summary *sm, const ts_trace_message *row, int64_t now,
                        ts_error *err)
{
    int rc = unpark(sm, now, err);
    if (rc != TS_OK)
        return rc;
    int grouped = row->subscriber >= 0 && (size_t)row->subscriber < sm->s->n_components &&
                  sm->group_of[row->subscriber] >= 0;
    if (grouped && row->send_ns == now && row->status != TS_MSG_IN_FLIGHT) {
        if (sm->n_parked < PARKED_MAX) {
            sm->parked[sm->n_parked++] = *row;
            sm->parked_at = now;
            return TS_OK;
        }
        return ts_trace_append_message(sm->trace, row, err);
    }
    return place_message(sm, row, err);
}

int ts__summary_job(ts__summary *sm, const ts_trace_job *row, int64_t now, ts_error *err)
{
    int rc = unpark(sm, now, err);
    if (rc != TS_OK)
        return rc;
    int held = 0;
    if (row->finish_ns >= 0 && row->component >= 0 &&
        (size_t)row->component < sm->s->n_components) {
        int64_t response = row->finish_ns - row->release_ns;
        rc = add(sm, sm->n_topic_items + (size_t)row->component, row->release_ns, row->node, 0,
                 1, response, row->finish_ns <= row->deadline_ns, &held, err);
        if (rc != TS_OK)
            return rc;
    }
    return held ? TS_OK : ts_trace_append_job(sm->trace, row, err);
}

int ts__summary_boundary(ts__summary *sm, int c, int64_t now, ts_error *err)
{
    int rc = unpark(sm, now, err);
    if (rc != TS_OK || c < 0 || (size_t)c >= sm->s->n_components || sm->group_of[c] < 0)
        return rc;
    int32_t g = sm->group_of[c];
    for (size_t k = sm->group_first[g]; rc == TS_OK && k < sm->group_first[g + 1]; k++) {
        size_t i = (size_t)sm->group_items[k];
        acc *a = &sm->accs[i];
        if (now <= a->start)
            continue;
        int64_t end = window_end(sm, a->start);
        rc = emit(sm, i, now < end ? now : end, err);
        a->start = now;
    }
    return rc;
}

int ts__summary_finish(ts__summary *sm, int64_t end, ts_error *err)
{
    int rc = unpark(sm, INT64_MAX, err);
    for (size_t i = 0; rc == TS_OK && i < sm->n_items; i++) {
        acc *a = &sm->accs[i];
        int64_t stop = window_end(sm, a->start);
        if (end > a->max_time && end > a->start && end < stop)
            stop = end;
        rc = emit(sm, i, stop, err);
    }
    return rc;
}
