/*
 * Static routes: for every destination, a Dijkstra over the reversed link
 * graph gives each node its next hop. Computed once at load time, so the
 * per-hop cost during a run is one table look-up, whatever the fleet size.
 * Hand-written because neither GSL nor libxml2 has a graph search.
 */
#include "toposim/platform.h"

#include <string.h>

#include "toposim/alloc.h"

struct ts_routes {
    size_t n;
    int *next_hop;   /* n*n: [from*n + to] directed hop or -1 */
    int *hops;       /* n*n: hop count or -1 */
};

/* Dijkstra key: total latency, then hops, then first link index; all
 * compared in that order so equal-latency paths resolve the same way in
 * every run. */
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

int ts_routes_new(size_t n_nodes, const ts_net_link_desc *links,
                  size_t n_links, ts_routes **out, ts_error *err)
{
    *out = NULL;
    for (size_t i = 0; i < n_links; i++)
        if (links[i].a < 0 || links[i].b < 0 || (size_t)links[i].a >= n_nodes ||
            (size_t)links[i].b >= n_nodes)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "link %zu names a node out of range", i);
    ts_routes *r = ts_calloc(1, sizeof *r);
    route_key *best = ts_malloc(sizeof *best * (n_nodes ? n_nodes : 1));
    char *done = ts_malloc(n_nodes ? n_nodes : 1);
    if (r) {
        r->n = n_nodes;
        r->next_hop = ts_malloc(sizeof(int) * (n_nodes * n_nodes + 1));
        r->hops = ts_malloc(sizeof(int) * (n_nodes * n_nodes + 1));
    }
    if (!r || !best || !done || !r->next_hop || !r->hops) {
        ts_free(best);
        ts_free(done);
        ts_routes_free(r);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for routes");
    }
    for (size_t dst = 0; dst < n_nodes; dst++) {
        for (size_t v = 0; v < n_nodes; v++) {
            best[v].latency = INT64_MAX;
            best[v].hops = 0;
            best[v].hop = -1;
            done[v] = 0;
        }
        best[dst].latency = 0;
        /* O(n^2) selection: fine for the few hundred nodes of a fleet,
         * and it runs once per scenario. */
        for (;;) {
            int u = -1;
            for (size_t v = 0; v < n_nodes; v++)
                if (!done[v] && best[v].latency != INT64_MAX &&
                    (u < 0 || key_less(&best[v], &best[u])))
                    u = (int)v;
            if (u < 0)
                break;
            done[u] = 1;
            for (size_t l = 0; l < n_links; l++) {
                int v;
                int hop;
                if (links[l].b == u) {
                    v = links[l].a;
                    hop = (int)(2 * l);       /* a -> b */
                } else if (links[l].a == u) {
                    v = links[l].b;
                    hop = (int)(2 * l + 1);   /* b -> a */
                } else {
                    continue;
                }
                if (done[v])
                    continue;
                route_key cand = {best[u].latency + links[l].latency_ns,
                                  best[u].hops + 1, hop};
                if (key_less(&cand, &best[v]))
                    best[v] = cand;
            }
        }
        for (size_t v = 0; v < n_nodes; v++) {
            int reachable = best[v].latency != INT64_MAX;
            r->next_hop[v * n_nodes + dst] = reachable ? best[v].hop : -1;
            r->hops[v * n_nodes + dst] = reachable ? best[v].hops : -1;
        }
    }
    ts_free(best);
    ts_free(done);
    *out = r;
    return TS_OK;
}

void ts_routes_free(ts_routes *routes)
{
    if (!routes)
        return;
    ts_free(routes->next_hop);
    ts_free(routes->hops);
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
