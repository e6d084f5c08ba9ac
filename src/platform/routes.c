/*
 * Routes: for every destination, a Dijkstra over the reversed link graph
 * gives each node its next hop. Computed at load time and again whenever a
 * link goes down or up, so the per-hop cost during a run is one table
 * look-up, whatever the fleet size; a recomputation costs
 * O(n (n + links) log n) with the adjacency lists and binary heap below.
 * Hand-written because neither GSL nor libxml2 has a graph search.
 */
#include "toposim/platform.h"

#include <string.h>

#include "toposim/alloc.h"

struct ts_routes {
    size_t n;
    int *next_hop;       /* n*n: [from*n + to] directed hop or -1 */
    int *hops;           /* n*n: hop count or -1 */
    int64_t *latency;    /* n*n: total latency or -1 */
};

/* Dijkstra key: total latency, then hops, then the directed hop leaving
 * the node (unique per node), compared in that order so equal-latency
 * paths resolve the same way in every run. Because no two nodes share a
 * key, the heap below finalises nodes in exactly the order a plain
 * minimum search would. */
typedef struct route_key {
    int64_t latency;
    int hops;
    int hop;         /* directed hop leaving this node toward the target */
} route_key;

static int key_less(const route_key *x, const route_key *y)
{
    if (x->latency != y->latency)
        return x->latency < y->latency;
    if (x->hops != y->hops)
        return x->hops < y->hops;
    return x->hop < y->hop;
}

/* One way to reach a node's neighbour: the neighbour, and the directed
 * hop from the neighbour to this node. */
typedef struct adj_entry {
    int other;
    int hop;
    int64_t latency;
} adj_entry;

typedef struct heap_entry {
    route_key key;
    int node;
} heap_entry;

typedef struct work {
    size_t *adj_first;   /* n+1 */
    adj_entry *adj;      /* 2 * links */
    route_key *best;
    char *done;
    heap_entry *heap;    /* at most one push per relaxation + 1 */
    size_t heap_n;
} work;

static void heap_push(work *w, route_key key, int node)
{
    size_t i = w->heap_n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!key_less(&key, &w->heap[parent].key))
            break;
        w->heap[i] = w->heap[parent];
        i = parent;
    }
    w->heap[i] = (heap_entry){key, node};
}

static heap_entry heap_pop(work *w)
{
    heap_entry top = w->heap[0];
    heap_entry last = w->heap[--w->heap_n];
    size_t i = 0, n = w->heap_n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && key_less(&w->heap[c + 1].key, &w->heap[c].key))
            c++;
        if (!key_less(&w->heap[c].key, &last.key))
            break;
        w->heap[i] = w->heap[c];
        i = c;
    }
    if (n > 0)
        w->heap[i] = last;
    return top;
}

static void routes_to(const ts_routes *r, work *w, size_t dst)
{
    size_t n = r->n;
    for (size_t v = 0; v < n; v++) {
        w->best[v] = (route_key){INT64_MAX, 0, -1};
        w->done[v] = 0;
    }
    w->best[dst].latency = 0;
    w->heap_n = 0;
    heap_push(w, w->best[dst], (int)dst);
    while (w->heap_n > 0) {
        heap_entry e = heap_pop(w);
        int u = e.node;
        if (w->done[u])
            continue;        /* a stale entry: u was reached better since */
        w->done[u] = 1;
        for (size_t k = w->adj_first[u]; k < w->adj_first[u + 1]; k++) {
            const adj_entry *a = &w->adj[k];
            if (w->done[a->other])
                continue;
            /* Saturate below INT64_MAX, which marks "unreached": a path of
             * absurd latency is still a path. */
            int64_t sum = a->latency > INT64_MAX - 1 - w->best[u].latency
                              ? INT64_MAX - 1
                              : w->best[u].latency + a->latency;
            route_key cand = {sum, w->best[u].hops + 1, a->hop};
            if (key_less(&cand, &w->best[a->other])) {
                w->best[a->other] = cand;
                heap_push(w, cand, a->other);
            }
        }
    }
    for (size_t v = 0; v < n; v++) {
        int reachable = w->best[v].latency != INT64_MAX;
        r->next_hop[v * n + dst] = reachable ? w->best[v].hop : -1;
        r->hops[v * n + dst] = reachable ? w->best[v].hops : -1;
        r->latency[v * n + dst] = reachable ? w->best[v].latency : -1;
    }
}

int ts_routes_new_masked(size_t n_nodes, const ts_net_link_desc *links,
                         size_t n_links, const unsigned char *up,
                         const int64_t *latency_ns, ts_routes **out,
                         ts_error *err)
{
    *out = NULL;
    for (size_t i = 0; i < n_links; i++) {
        if (links[i].a < 0 || links[i].b < 0 || (size_t)links[i].a >= n_nodes ||
            (size_t)links[i].b >= n_nodes)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "link %zu names a node out of range", i);
        if ((latency_ns ? latency_ns[i] : links[i].latency_ns) < 0)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "link %zu has a negative latency", i);
    }
    size_t nn = n_nodes ? n_nodes : 1;
    ts_routes *r = ts_calloc(1, sizeof *r);
    work w = {0};
    w.adj_first = ts_calloc(nn + 1, sizeof *w.adj_first);
    w.adj = ts_malloc((2 * n_links + 1) * sizeof *w.adj);
    w.best = ts_malloc(nn * sizeof *w.best);
    w.done = ts_malloc(nn);
    /* Each relaxation pushes at most once, and a directed hop relaxes at
     * most once per destination. */
    w.heap = ts_malloc((2 * n_links + 2) * sizeof *w.heap);
    if (r) {
        r->n = n_nodes;
        r->next_hop = ts_malloc(sizeof(int) * (n_nodes * n_nodes + 1));
        r->hops = ts_malloc(sizeof(int) * (n_nodes * n_nodes + 1));
        r->latency = ts_malloc(sizeof(int64_t) * (n_nodes * n_nodes + 1));
    }
    int rc = TS_OK;
    if (!r || !w.adj_first || !w.adj || !w.best || !w.done || !w.heap ||
        !r->next_hop || !r->hops || !r->latency) {
        rc = ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for routes");
        goto out;
    }
    /* Adjacency of the reversed graph in link order: node u lists each
     * neighbour v with the hop v -> u. Self-loops never shorten a path. */
    for (size_t l = 0; l < n_links; l++) {
        if ((up && !up[l]) || links[l].a == links[l].b)
            continue;
        w.adj_first[links[l].a + 1]++;
        w.adj_first[links[l].b + 1]++;
    }
    for (size_t v = 0; v < n_nodes; v++)
        w.adj_first[v + 1] += w.adj_first[v];
    for (size_t l = 0; l < n_links; l++) {
        if ((up && !up[l]) || links[l].a == links[l].b)
            continue;
        int64_t lat = latency_ns ? latency_ns[l] : links[l].latency_ns;
        /* adj_first[u] is used as a fill cursor here and restored below. */
        w.adj[w.adj_first[links[l].b]++] = (adj_entry){links[l].a, (int)(2 * l), lat};
        w.adj[w.adj_first[links[l].a]++] = (adj_entry){links[l].b, (int)(2 * l + 1), lat};
    }
    for (size_t v = n_nodes; v > 0; v--)
        w.adj_first[v] = w.adj_first[v - 1];
    w.adj_first[0] = 0;
    for (size_t dst = 0; dst < n_nodes; dst++)
        routes_to(r, &w, dst);
out:
    ts_free(w.adj_first);
    ts_free(w.adj);
    ts_free(w.best);
    ts_free(w.done);
    ts_free(w.heap);
    if (rc != TS_OK) {
        ts_routes_free(r);
        return rc;
    }
    *out = r;
    return TS_OK;
}

int ts_routes_new(size_t n_nodes, const ts_net_link_desc *links,
                  size_t n_links, ts_routes **out, ts_error *err)
{
    return ts_routes_new_masked(n_nodes, links, n_links, NULL, NULL, out, err);
}

void ts_routes_free(ts_routes *routes)
{
    if (!routes)
        return;
    ts_free(routes->next_hop);
    ts_free(routes->hops);
    ts_free(routes->latency);
    ts_free(routes);
}

int ts_routes_next_hop(const ts_routes *routes, int from, int to)
{
    if (from < 0 || to < 0 || (size_t)from >= routes->n || (size_t)to >= routes->n)
        return -1;
    return routes->next_hop[(size_t)from * routes->n + (size_t)to];
}

int ts_routes_hops(const ts_routes *routes, int from, int to)
{
    if (from < 0 || to < 0 || (size_t)from >= routes->n || (size_t)to >= routes->n)
        return -1;
    return routes->hops[(size_t)from * routes->n + (size_t)to];
}

int64_t ts_routes_latency(const ts_routes *routes, int from, int to)
{
    if (from < 0 || to < 0 || (size_t)from >= routes->n || (size_t)to >= routes->n)
        return -1;
    return routes->latency[(size_t)from * routes->n + (size_t)to];
}
