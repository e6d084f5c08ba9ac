/*
 * Reading a large full trace in bounded memory (trace.h, "Folded
 * reading"): the reader hands the per-row tables over a chunk at a time
 * (reader.c, read_table_chunked) and this file folds each row into the
 * summary level's structures, per item and time window: /messages into
 * /topic_windows per (topic, publisher, subscriber), /jobs into
 * /job_windows per (component, node), each with its log-bucketed
 * histogram (histogram.h), /node_state and /link_state into
 * /node_windows and /link_windows as the summary level's sampler cuts
 * them, and /core_state, which neither the validator nor the report
 * reads, only checked. The rows the windows cannot stand for stay rows,
 * as in a summary trace: samples still in flight at the end, every
 * sample of a subscriber in a failover group (the validator counts each
 * against the member serving at its send time), and unfinished jobs.
 * Memory is then the items times the windows (at most FOLD_WINDOWS each),
 * not the rows.
 */
#include "trace/schema.h"

#include <math.h>
#include <string.h>

#include "toposim/alloc.h"

/* Windows per item: the run is cut into at most this many, each a whole
 * number of seconds (trace.h). */
#define FOLD_WINDOWS 64
#define NS_PER_S 1000000000LL

/* One item's counts over one window. */
typedef struct fwin {
    uint64_t rows;          /* rows folded in; 0: the window is not written */
    uint64_t done;          /* delivered samples, finished jobs */
    uint64_t met;
    uint64_t failed[5];     /* by message status: queue, route, lost,
                               link down, receiver down */
    int64_t max_ns;         /* -1: none done */
    ts_hist_pair *pairs;    /* sparse histogram, buckets increasing */
    uint32_t n, cap;
} fwin;

typedef struct fitem {
    int32_t a, b, c;        /* topic, publisher, subscriber; component, node, -1 */
    fwin *win;              /* FOLD windows */
} fitem;

/* Items by key: open addressing over slots holding item index + 1. */
typedef struct fmap {
    fitem *items;
    size_t n, cap;
    uint32_t *slots;
    size_t n_slots;         /* a power of two, at least twice n */
} fmap;

struct ts__fold {
    ts_trace *tr;
    const char *path;
    int64_t window_ns;
    int n_windows;
    int64_t last_end_ns;    /* the last window's end: past every time in it */
    unsigned char *grouped; /* per component: 1 when its samples stay rows */
    fmap topics, jobs;
    /* rows kept as rows */
    ts_trace_message *msgs; size_t n_msgs, cap_msgs;
    ts_trace_job *jobrows;  size_t n_jobrows, cap_jobrows;
    /* state windows: the open one per node and link direction, the
     * previous sample time of each, and those closed */
    ts_trace_node_window *node_open; int64_t *node_limit, *node_prev;
    ts_trace_link_window *hop_open;  int64_t *hop_limit, *hop_prev;
    ts_trace_node_window *nw; size_t n_nw, cap_nw;
    ts_trace_link_window *lw; size_t n_lw, cap_lw;
    uint64_t rows;
};

static int nomem(ts__fold *f, ts_error *err)
{
    return ts_error_set(err, TS_ENOMEM, f->path, 0,
                        "no memory for the windows of a large trace");
}

/* Grows *p (elements of size) to hold need, doubling. */
static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return TS_OK;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = ts_realloc(*p, c * size);
    if (!q)
        return TS_ENOMEM;
    *p = q;
    *cap = c;
    return TS_OK;
}

static uint64_t key_hash(int32_t a, int32_t b, int32_t c)
{
    uint64_t h = (uint64_t)(uint32_t)a * 0x9E3779B97F4A7C15ULL;
    h ^= (uint64_t)(uint32_t)b * 0xC2B2AE3D27D4EB4FULL;
    h ^= (uint64_t)(uint32_t)c * 0x165667B19E3779F9ULL;
    return h ^ (h >> 29);
}

static int map_rehash(fmap *m, size_t n_slots)
{
    uint32_t *s = ts_calloc(n_slots, sizeof *s);
    if (!s)
        return TS_ENOMEM;
    for (size_t i = 0; i < m->n; i++) {
        const fitem *it = &m->items[i];
        size_t at = (size_t)key_hash(it->a, it->b, it->c) & (n_slots - 1);
        while (s[at])
            at = (at + 1) & (n_slots - 1);
        s[at] = (uint32_t)(i + 1);
    }
    ts_free(m->slots);
    m->slots = s;
    m->n_slots = n_slots;
    return TS_OK;
}

/* The item of key (a, b, c), added with empty windows when new; NULL when
 * out of memory. */
static fitem *map_item(ts__fold *f, fmap *m, int32_t a, int32_t b, int32_t c)
{
    if (m->n_slots) {
        size_t at = (size_t)key_hash(a, b, c) & (m->n_slots - 1);
        for (; m->slots[at]; at = (at + 1) & (m->n_slots - 1)) {
            fitem *it = &m->items[m->slots[at] - 1];
            if (it->a == a && it->b == b && it->c == c)
                return it;
        }
    }
    if (2 * (m->n + 1) > m->n_slots &&
        map_rehash(m, m->n_slots ? 2 * m->n_slots : 1024) != TS_OK)
        return NULL;
    if (m->n + 1 >= UINT32_MAX ||
        grow((void **)&m->items, &m->cap, m->n + 1, sizeof *m->items) != TS_OK)
        return NULL;
    fitem *it = &m->items[m->n];
    it->a = a;
    it->b = b;
    it->c = c;
    it->win = ts_calloc((size_t)f->n_windows, sizeof *it->win);
    if (!it->win)
        return NULL;
    for (int k = 0; k < f->n_windows; k++)
        it->win[k].max_ns = -1;
    size_t at = (size_t)key_hash(a, b, c) & (m->n_slots - 1);
    while (m->slots[at])
        at = (at + 1) & (m->n_slots - 1);
    m->slots[at] = (uint32_t)(++m->n);
    return it;
}

static void map_free(fmap *m, int n_windows)
{
    for (size_t i = 0; i < m->n; i++) {
        if (!m->items[i].win)
            continue;
        for (int k = 0; k < n_windows; k++)
            ts_free(m->items[i].win[k].pairs);
        ts_free(m->items[i].win);
    }
    ts_free(m->items);
    ts_free(m->slots);
    memset(m, 0, sizeof *m);
}

/* Counts value v in w's histogram, keeping its buckets increasing. */
static int hist_add(fwin *w, int64_t v)
{
    int32_t b = ts_hist_bucket(v);
    uint32_t lo = 0, hi = w->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (w->pairs[mid].bucket < b)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < w->n && w->pairs[lo].bucket == b) {
        w->pairs[lo].count++;
        return TS_OK;
    }
    if (w->n == w->cap) {
        uint32_t cap = w->cap ? 2 * w->cap : 4;
        ts_hist_pair *p = ts_realloc(w->pairs, cap * sizeof *p);
        if (!p)
            return TS_ENOMEM;
        w->pairs = p;
        w->cap = cap;
    }
    memmove(&w->pairs[lo + 1], &w->pairs[lo], (w->n - lo) * sizeof *w->pairs);
    /* Zeroed whole, padding included: equal traces give equal bytes. */
    memset(&w->pairs[lo], 0, sizeof *w->pairs);
    w->pairs[lo].bucket = b;
    w->pairs[lo].count = 1;
    w->n++;
    return TS_OK;
}

/* The window holding time t (>= 0): later times than the last window's
 * end go to the last one, which then ends after them. */
static int window_of(ts__fold *f, int64_t t)
{
    int64_t k = t / f->window_ns;
    if (k >= f->n_windows) {
        k = f->n_windows - 1;
        if (t >= f->last_end_ns)
            f->last_end_ns = t + 1;
    }
    return (int)k;
}

int ts__fold_new(ts_trace *tr, const char *path, ts__fold **out, ts_error *err)
{
    ts__fold *f = ts_calloc(1, sizeof *f);
    *out = f;
    if (!f)
        return ts_error_set(err, TS_ENOMEM, path, 0, "no memory for the windows of a large trace");
    f->tr = tr;
    f->path = path;
    /* Whole seconds, at most FOLD_WINDOWS of them over the run. */
    int64_t d = tr->duration_ns > 0 ? tr->duration_ns : NS_PER_S;
    int64_t secs = (d / FOLD_WINDOWS + NS_PER_S - 1) / NS_PER_S;
    f->window_ns = (secs > 0 ? secs : 1) * NS_PER_S;
    int64_t n = (d + f->window_ns - 1) / f->window_ns;
    f->n_windows = (int)(n < 1 ? 1 : n > FOLD_WINDOWS ? FOLD_WINDOWS : n);
    f->last_end_ns = (int64_t)f->n_windows * f->window_ns;
    size_t nc = tr->n_components ? tr->n_components : 1;
    size_t nn = tr->n_nodes ? tr->n_nodes : 1, nl = tr->n_links ? tr->n_links : 1;
    f->grouped = ts_calloc(nc, 1);
    f->node_open = ts_calloc(nn, sizeof *f->node_open);
    f->node_limit = ts_calloc(nn, sizeof *f->node_limit);
    f->node_prev = ts_calloc(nn, sizeof *f->node_prev);
    f->hop_open = ts_calloc(2 * nl, sizeof *f->hop_open);
    f->hop_limit = ts_calloc(2 * nl, sizeof *f->hop_limit);
    f->hop_prev = ts_calloc(2 * nl, sizeof *f->hop_prev);
    if (!f->grouped || !f->node_open || !f->node_limit || !f->node_prev || !f->hop_open ||
        !f->hop_limit || !f->hop_prev)
        return nomem(f, err);
    /* The members of failover groups (their rows were checked). A trace
     * without declared groups that records failovers has its groups
     * derived from those events by the validator: every sample then stays
     * a row. */
    for (size_t g = 0; g < tr->n_failover_groups; g++)
        f->grouped[tr->failover_groups[g].primary] = 1;
    for (size_t i = 0; i < tr->n_failover_backups; i++)
        f->grouped[tr->failover_backups[i].component] = 1;
    if (tr->n_failover_groups == 0)
        for (size_t i = 0; i < tr->n_events; i++)
            if (strncmp(tr->events[i].kind, "failover", sizeof tr->events[i].kind) == 0) {
                memset(f->grouped, 1, nc);
                break;
            }
    return TS_OK;
}

void ts__fold_free(ts__fold *f)
{
    if (!f)
        return;
    map_free(&f->topics, f->n_windows);
    map_free(&f->jobs, f->n_windows);
    ts_free(f->grouped);
    ts_free(f->msgs);
    ts_free(f->jobrows);
    ts_free(f->node_open);
    ts_free(f->node_limit);
    ts_free(f->node_prev);
    ts_free(f->hop_open);
    ts_free(f->hop_limit);
    ts_free(f->hop_prev);
    ts_free(f->nw);
    ts_free(f->lw);
    ts_free(f);
}

int ts__fold_messages(ts__fold *f, const ts_trace_message *rows, size_t n, size_t first,
                      ts_error *err)
{
    const ts_trace *tr = f->tr;
    for (size_t i = 0; i < n; i++) {
        const ts_trace_message *m = &rows[i];
        size_t r = first + i;
        /* As the validator checks rows it holds (src/validate/check.c). */
        if (m->send_ns < 0)
            return ts_error_set(err, TS_EFORMAT, f->path, 0,
                                "dataset /messages row %zu: negative send_ns %lld", r,
                                (long long)m->send_ns);
        if (m->status == TS_MSG_DELIVERED && m->recv_ns < m->send_ns)
            return ts_error_set(err, TS_EFORMAT, f->path, 0,
                                "dataset /messages row %zu: delivered at recv_ns %lld before "
                                "send_ns %lld", r, (long long)m->recv_ns,
                                (long long)m->send_ns);
        f->rows++;
        if (m->status == TS_MSG_IN_FLIGHT || f->grouped[m->subscriber]) {
            if (grow((void **)&f->msgs, &f->cap_msgs, f->n_msgs + 1, sizeof *f->msgs))
                return nomem(f, err);
            f->msgs[f->n_msgs++] = *m;
            continue;
        }
        fitem *it = map_item(f, &f->topics, m->topic, m->publisher, m->subscriber);
        if (!it)
            return nomem(f, err);
        fwin *w = &it->win[window_of(f, m->send_ns)];
        w->rows++;
        if (m->status == TS_MSG_DELIVERED) {
            int64_t lat = m->recv_ns - m->send_ns;
            int64_t budget = tr->topics[m->topic].budget_ns;
            w->done++;
            w->met += budget == 0 || lat <= budget;
            if (lat > w->max_ns)
                w->max_ns = lat;
            if (hist_add(w, lat))
                return nomem(f, err);
        } else {
            /* statuses 1, 2, 4, 5, 6 (the reader checked the range) */
            int s = m->status == TS_MSG_DROPPED_QUEUE ? 0
                    : m->status == TS_MSG_NO_ROUTE    ? 1
                    : m->status == TS_MSG_LOST        ? 2
                    : m->status == TS_MSG_LINK_DOWN   ? 3 : 4;
            w->failed[s]++;
        }
    }
    return TS_OK;
}

int ts__fold_jobs(ts__fold *f, const ts_trace_job *rows, size_t n, size_t first,
                  ts_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const ts_trace_job *j = &rows[i];
        size_t r = first + i;
        if (j->release_ns < 0)
            return ts_error_set(err, TS_EFORMAT, f->path, 0,
                                "dataset /jobs row %zu: negative release_ns %lld", r,
                                (long long)j->release_ns);
        if (j->finish_ns != -1 && j->finish_ns < j->release_ns)
            return ts_error_set(err, TS_EFORMAT, f->path, 0,
                                "dataset /jobs row %zu: finish_ns %lld before release_ns %lld",
                                r, (long long)j->finish_ns, (long long)j->release_ns);
        f->rows++;
        if (j->finish_ns < 0) {
            if (grow((void **)&f->jobrows, &f->cap_jobrows, f->n_jobrows + 1,
                     sizeof *f->jobrows))
                return nomem(f, err);
            f->jobrows[f->n_jobrows++] = *j;
            continue;
        }
        fitem *it = map_item(f, &f->jobs, j->component, j->node, -1);
        if (!it)
            return nomem(f, err);
        fwin *w = &it->win[window_of(f, j->release_ns)];
        int64_t resp = j->finish_ns - j->release_ns;
        w->rows++;
        w->done++;
        w->met += j->finish_ns <= j->deadline_ns;
        if (resp > w->max_ns)
            w->max_ns = resp;
        if (hist_add(w, resp))
            return nomem(f, err);
    }
    return TS_OK;
}

/* The last sample time a state window beginning at start takes, as the
 * summary level's sampler cuts them (src/sim/sampler_windows.c). */
static int64_t limit_of(const ts__fold *f, int64_t start)
{
    int64_t k = start >= 0 ? start / f->window_ns : 0;
    return (k + 1) * f->window_ns;
}

static int close_node(ts__fold *f, ts_trace_node_window *w)
{
    if (w->samples == 0)
        return TS_OK;
    if (grow((void **)&f->nw, &f->cap_nw, f->n_nw + 1, sizeof *f->nw))
        return TS_ENOMEM;
    f->nw[f->n_nw++] = *w;
    w->samples = 0;
    return TS_OK;
}

static int close_hop(ts__fold *f, ts_trace_link_window *w)
{
    if (w->samples == 0)
        return TS_OK;
    if (grow((void **)&f->lw, &f->cap_lw, f->n_lw + 1, sizeof *f->lw))
        return TS_ENOMEM;
    f->lw[f->n_lw++] = *w;
    w->samples = 0;
    return TS_OK;
}

/* Each sample folds as the summary level's sampler folds it, and so as
 * the validator's health family reads a row: peaks, counts and the time
 * throttled exactly, the use sums in row order. A node's window also ends
 * when its power mode changes. */
int ts__fold_node_state(ts__fold *f, const ts_trace_node_state *rows, size_t n,
                        ts_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const ts_trace_node_state *row = &rows[i];
        ts_trace_node_window *w = &f->node_open[row->node];
        int64_t *limit = &f->node_limit[row->node];
        int64_t prev = f->node_prev[row->node];
        f->node_prev[row->node] = row->time_ns;
        f->rows++;
        if (w->samples > 0 &&
            (row->time_ns > *limit ||
             strncmp(w->power_mode, row->power_mode, sizeof w->power_mode) != 0) &&
            close_node(f, w))
            return nomem(f, err);
        if (w->samples == 0) {
            ts_trace_node_window_open(w, row, prev);
            *limit = limit_of(f, prev);
        }
        ts_trace_node_window_add(w, row, prev);
    }
    return TS_OK;
}

int ts__fold_link_state(ts__fold *f, const ts_trace_link_state *rows, size_t n,
                        ts_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const ts_trace_link_state *row = &rows[i];
        size_t h = 2 * (size_t)row->link + (size_t)row->direction;
        ts_trace_link_window *w = &f->hop_open[h];
        int64_t prev = f->hop_prev[h];
        f->hop_prev[h] = row->time_ns;
        f->rows++;
        if (w->samples > 0 && row->time_ns > f->hop_limit[h] && close_hop(f, w))
            return nomem(f, err);
        if (w->samples == 0) {
            ts_trace_link_window_open(w, row, prev);
            f->hop_limit[h] = limit_of(f, prev);
        }
        ts_trace_link_window_add(w, row);
    }
    return TS_OK;
}

void ts__fold_count(ts__fold *f, size_t n)
{
    f->rows += n;
}

/* The windows of a map that hold rows, time first, then item by item in
 * the order the items first appeared; with their histograms appended to
 * the buckets. */
static size_t map_windows(const ts__fold *f, const fmap *m, size_t *pairs)
{
    size_t n = 0;
    *pairs = 0;
    for (size_t i = 0; i < m->n; i++)
        for (int k = 0; k < f->n_windows; k++)
            if (m->items[i].win[k].rows) {
                n++;
                *pairs += m->items[i].win[k].n;
            }
    return n;
}

int ts__fold_finish(ts__fold *f, ts_error *err)
{
    ts_trace *tr = f->tr;
    for (size_t i = 0; i < tr->n_nodes; i++)
        if (close_node(f, &f->node_open[i]))
            return nomem(f, err);
    for (size_t i = 0; i < 2 * tr->n_links; i++)
        if (close_hop(f, &f->hop_open[i]))
            return nomem(f, err);
    size_t tp, jp;
    size_t nt = map_windows(f, &f->topics, &tp), nj = map_windows(f, &f->jobs, &jp);
    ts_trace_topic_window *tw = ts_calloc(nt ? nt : 1, sizeof *tw);
    ts_trace_job_window *jw = ts_calloc(nj ? nj : 1, sizeof *jw);
    ts_hist_pair *hb = ts_calloc(tp + jp ? tp + jp : 1, sizeof *hb);
    if (!tw || !jw || !hb) {
        ts_free(tw);
        ts_free(jw);
        ts_free(hb);
        return nomem(f, err);
    }
    size_t at_t = 0, at_j = 0, at_h = 0;
    for (int k = 0; k < f->n_windows; k++) {
        int64_t start = (int64_t)k * f->window_ns;
        int64_t end = k == f->n_windows - 1 ? f->last_end_ns : start + f->window_ns;
        for (size_t i = 0; i < f->topics.n; i++) {
            fitem *it = &f->topics.items[i];
            fwin *w = &it->win[k];
            if (!w->rows)
                continue;
            ts_trace_topic_window *o = &tw[at_t++];
            o->topic = it->a;
            o->publisher = it->b;
            o->subscriber = it->c;
            o->start_ns = start;
            o->end_ns = end;
            o->delivered = w->done;
            o->met = w->met;
            o->dropped_queue = w->failed[0];
            o->no_route = w->failed[1];
            o->lost = w->failed[2];
            o->link_down = w->failed[3];
            o->receiver_down = w->failed[4];
            o->max_latency_ns = w->max_ns;
            o->hist_first = at_h;
            o->hist_buckets = (int32_t)w->n;
            if (w->n)
                memcpy(&hb[at_h], w->pairs, w->n * sizeof *hb);
            at_h += w->n;
            ts_free(w->pairs);
            w->pairs = NULL;
            w->n = w->cap = 0;
        }
        for (size_t i = 0; i < f->jobs.n; i++) {
            fitem *it = &f->jobs.items[i];
            fwin *w = &it->win[k];
            if (!w->rows)
                continue;
            ts_trace_job_window *o = &jw[at_j++];
            o->component = it->a;
            o->node = it->b;
            o->start_ns = start;
            o->end_ns = end;
            o->finished = w->done;
            o->met = w->met;
            o->max_response_ns = w->max_ns;
            o->hist_first = at_h;
            o->hist_buckets = (int32_t)w->n;
            if (w->n)
                memcpy(&hb[at_h], w->pairs, w->n * sizeof *hb);
            at_h += w->n;
            ts_free(w->pairs);
            w->pairs = NULL;
            w->n = w->cap = 0;
        }
    }
    tr->topic_windows = tw;
    tr->n_topic_windows = nt;
    tr->job_windows = jw;
    tr->n_job_windows = nj;
    tr->histogram_buckets = hb;
    tr->n_histogram_buckets = at_h;
    tr->messages = f->msgs;
    tr->n_messages = f->n_msgs;
    f->msgs = NULL;
    tr->jobs = f->jobrows;
    tr->n_jobs = f->n_jobrows;
    f->jobrows = NULL;
    tr->node_windows = f->nw;
    tr->n_node_windows = f->n_nw;
    f->nw = NULL;
    tr->link_windows = f->lw;
    tr->n_link_windows = f->n_lw;
    f->lw = NULL;
    tr->folded_window_ns = f->window_ns;
    tr->folded_rows = f->rows;
    return TS_OK;
}
