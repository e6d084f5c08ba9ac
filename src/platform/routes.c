/*
 * Routes over a topology's zones, computed on demand: the first question
 * about a destination in a zone runs one Dijkstra over that zone's graph
 * (reversed, from the destination) and keeps the row, until a link of the
 * zone changes (each zone has a version; SimGrid's DijkstraZone keeps such
 * a cache of its rows too: src/kernel/routing/DijkstraZone.cpp,
 * route_cache_). A route between zones is the source zone's route to its
 * attachment, the backbone's route between attachments and the
 * destination zone's route from its attachment (topology.h says why that
 * is exactly the global least-latency route); whether two nodes are
 * connected at all is one comparison of component labels, kept per
 * version. So a next hop costs a few look-ups whatever the fleet size, and
 * a link change costs O(nodes + links) for the labels and the count of
 * changed routes, plus, unless the link is a bridge, two Dijkstras per
 * destination of the zones it touches for that count. Hand-written because
 * neither GSL nor libxml2 has a graph search.
 */
#include "toposim/platform.h"

#include <string.h>

#include "platform/topology_internal.h"
#include "toposim/alloc.h"
#include "toposim/topology.h"

/* Dijkstra key: total latency, then hops, then the directed hop leaving
 * the node (unique per node), compared in that order so equal-latency
 * paths resolve the same way in every run. Because no two nodes share a
 * key, the heap below finalises nodes in exactly the order a plain
 * minimum search would, and each node's result is the least key over its
 * neighbours: a function of the graph alone, not of the search. */
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

typedef struct heap_entry {
    route_key key;
    int node;
} heap_entry;

/* One destination's routes within a zone: local node -> next directed
 * hop, hops and latency (-1 when unreachable), valid for one version. */
typedef struct row {
    uint64_t version;
    int *next;
    int *hops;
    int64_t *latency;
} row;

typedef struct zone_state {
    uint64_t version;         /* bumped when a link of the zone changes */
    row **rows;               /* per local destination, made on demand */
} zone_state;

/* Everything the queries fill in: reached through a pointer so that the
 * const queries of network.h may cache. */
typedef struct route_state {
    zone_state *zones;
    route_key *best;
    char *done;
    heap_entry *heap;
    size_t heap_n;
    /* for link changes, made at the first */
    int *label_new, *order, *count, *pairs, *mult;
    unsigned char *old_up;
    int64_t *old_weight;
    row scratch_old, scratch_new;
    unsigned char *zone_marked;
} route_state;

struct ts_routes {
    const ts_topology *topo;
    ts_topology *own;         /* the topology ts_routes_new* built, else NULL */
    unsigned char *up;        /* per link */
    int64_t *weight;          /* per link: the routing latency */
    int *label;               /* per node: its component over links up */
    uint64_t version;
    route_state *st;
};

/* ---- Dijkstra within a zone ---- */

static void heap_push(route_state *w, route_key key, int node)
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

static heap_entry heap_pop(route_state *w)
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

/* Routes of every local node of zone z to local node dst over the links
 * `up` with latencies `weight`, into out. */
static void zone_routes_to(const ts_topology *t, route_state *w, int z, int dst,
                           const unsigned char *up, const int64_t *weight, row *out)
{
    const ts__topo_zone *zz = &t->zones[z];
    int n = zz->n;
    for (int v = 0; v < n; v++) {
        w->best[v] = (route_key){INT64_MAX, 0, -1};
        w->done[v] = 0;
    }
    w->best[dst].latency = 0;
    w->heap_n = 0;
    heap_push(w, w->best[dst], dst);
    while (w->heap_n > 0) {
        heap_entry e = heap_pop(w);
        int u = e.node;
        if (w->done[u])
            continue;        /* a stale entry: u was reached better since */
        w->done[u] = 1;
        /* u's adjacency lists the hops u -> x; the way from x to u is the
         * reverse direction, hop ^ 1. */
        for (size_t k = zz->adj_first[u]; k < zz->adj_first[u + 1]; k++) {
            const ts__topo_adj *a = &zz->adj[k];
            if (w->done[a->other] || !up[a->link])
                continue;
            /* Saturate below INT64_MAX, which marks "unreached": a path of
             * absurd latency is still a path. */
            int64_t lat = weight[a->link];
            int64_t sum = lat > INT64_MAX - 1 - w->best[u].latency
                              ? INT64_MAX - 1
                              : w->best[u].latency + lat;
            route_key cand = {sum, w->best[u].hops + 1, a->hop ^ 1};
            if (key_less(&cand, &w->best[a->other])) {
                w->best[a->other] = cand;
                heap_push(w, cand, a->other);
            }
        }
    }
    for (int v = 0; v < n; v++) {
        int reachable = w->best[v].latency != INT64_MAX;
        out->next[v] = reachable ? w->best[v].hop : -1;
        out->hops[v] = reachable ? w->best[v].hops : -1;
        out->latency[v] = reachable ? w->best[v].latency : -1;
    }
}

/* The row of local destination dst in zone z, valid now; NULL without
 * memory (the caller then answers "no route": fail closed). */
static const row *row_for(const ts_routes *r, int z, int dst)
{
    route_state *st = r->st;
    zone_state *zs = &st->zones[z];
    const ts__topo_zone *zz = &r->topo->zones[z];
    if (!zs->rows && !(zs->rows = ts_calloc((size_t)zz->n, sizeof *zs->rows)))
        return NULL;
    row *rw = zs->rows[dst];
    if (rw && rw->version == zs->version)
        return rw;
    if (!rw) {
        size_t n = (size_t)zz->n;
        rw = ts_malloc(sizeof *rw + n * (sizeof(int64_t) + 2 * sizeof(int)));
        if (!rw)
            return NULL;
        rw->latency = (int64_t *)(rw + 1);
        rw->next = (int *)(rw->latency + n);
        rw->hops = rw->next + n;
        zs->rows[dst] = rw;
    }
    zone_routes_to(r->topo, st, z, dst, r->up, r->weight, rw);
    rw->version = zs->version;
    return rw;
}

/* ---- Connectivity ---- */

/* Labels each node with its component over the links up (components
 * numbered 0, 1, ... in the order of their lowest node); `order` receives
 * the nodes grouped by component, in label order. Returns the number of
 * components. */
static size_t label_components(const ts_topology *t, const unsigned char *up, int *label,
                               int *order)
{
    size_t n = t->n_nodes, head = 0, tail = 0, comps = 0;
    for (size_t v = 0; v < n; v++)
        label[v] = -1;
    for (size_t s = 0; s < n; s++) {
        if (label[s] >= 0)
            continue;
        label[s] = (int)comps;
        order[tail++] = (int)s;
        while (head < tail) {
            int u = order[head++];
            for (size_t k = t->g_first[u]; k < t->g_first[u + 1]; k++) {
                int x = t->g_other[k];
                if (label[x] < 0 && up[t->g_link[k]]) {
                    label[x] = (int)comps;
                    order[tail++] = x;
                }
            }
        }
        comps++;
    }
    return comps;
}

/* ---- Construction ---- */

static int alloc_row(row *rw, size_t n)
{
    rw->next = ts_malloc((n ? n : 1) * sizeof *rw->next);
    rw->hops = ts_malloc((n ? n : 1) * sizeof *rw->hops);
    rw->latency = ts_malloc((n ? n : 1) * sizeof *rw->latency);
    return rw->next && rw->hops && rw->latency ? TS_OK : TS_ENOMEM;
}

static void free_row(row *rw)
{
    ts_free(rw->next);
    ts_free(rw->hops);
    ts_free(rw->latency);
}

int ts_routes_new_on(const ts_topology *topo, const int64_t *latency_ns, ts_routes **out,
                     ts_error *err)
{
    *out = NULL;
    size_t nl = topo->n_links ? topo->n_links : 1, nn = topo->n_nodes ? topo->n_nodes : 1;
    if (latency_ns)
        for (size_t l = 0; l < topo->n_links; l++)
            if (latency_ns[l] < 0)
                return ts_error_set(err, TS_EINVAL, NULL, 0,
                                    "link %zu has a negative latency", l);
    ts_routes *r = ts_calloc(1, sizeof *r);
    if (!r)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for routes");
    r->topo = topo;
    route_state *st = r->st = ts_calloc(1, sizeof *st);
    r->up = ts_malloc(nl);
    r->weight = ts_malloc(nl * sizeof *r->weight);
    r->label = ts_malloc(nn * sizeof *r->label);
    if (st) {
        st->zones = ts_calloc(topo->n_zones, sizeof *st->zones);
        st->best = ts_malloc((topo->max_local + 1) * sizeof *st->best);
        st->done = ts_malloc(topo->max_local + 1);
        st->heap = ts_malloc((topo->max_adj + 2) * sizeof *st->heap);
        st->order = ts_malloc(nn * sizeof *st->order);
    }
    if (!st || !r->up || !r->weight || !r->label || !st->zones || !st->best ||
        !st->done || !st->heap || !st->order) {
        ts_routes_free(r);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for routes");
    }
    for (size_t l = 0; l < topo->n_links; l++) {
        r->up[l] = 1;
        r->weight[l] = latency_ns ? latency_ns[l] : topo->latency[l];
    }
    for (size_t z = 0; z < topo->n_zones; z++)
        st->zones[z].version = 1;
    r->version = 1;
    label_components(topo, r->up, r->label, st->order);
    *out = r;
    return TS_OK;
}

int ts_routes_new_masked(size_t n_nodes, const ts_net_link_desc *links,
                         size_t n_links, const unsigned char *up,
                         const int64_t *latency_ns, ts_routes **out,
                         ts_error *err)
{
    *out = NULL;
    for (size_t i = 0; i < n_links; i++)
        if ((latency_ns ? latency_ns[i] : links[i].latency_ns) < 0)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "link %zu has a negative latency", i);
    ts_topology *topo;
    int rc = ts_topology_new(n_nodes, NULL, links, n_links, &topo, err);
    if (rc != TS_OK)
        return rc;
    ts_routes *r;
    if ((rc = ts_routes_new_on(topo, latency_ns, &r, err)) != TS_OK) {
        ts_topology_free(topo);
        return rc;
    }
    r->own = topo;
    if (up) {
        for (size_t l = 0; l < n_links; l++)
            r->up[l] = up[l] != 0;
        label_components(topo, r->up, r->label, r->st->order);
    }
    *out = r;
    return TS_OK;
}

int ts_routes_new(size_t n_nodes, const ts_net_link_desc *links,
                  size_t n_links, ts_routes **out, ts_error *err)
{
    return ts_routes_new_masked(n_nodes, links, n_links, NULL, NULL, out, err);
}

void ts_routes_free(ts_routes *r)
{
    if (!r)
        return;
    route_state *st = r->st;
    if (st) {
        if (st->zones)
            for (size_t z = 0; z < r->topo->n_zones; z++) {
                zone_state *zs = &st->zones[z];
                if (zs->rows)
                    for (int d = 0; d < r->topo->zones[z].n; d++)
                        ts_free(zs->rows[d]);
                ts_free(zs->rows);
            }
        ts_free(st->zones);
        ts_free(st->best);
        ts_free(st->done);
        ts_free(st->heap);
        ts_free(st->label_new);
        ts_free(st->order);
        ts_free(st->count);
        ts_free(st->pairs);
        ts_free(st->mult);
        ts_free(st->old_up);
        ts_free(st->old_weight);
        free_row(&st->scratch_old);
        free_row(&st->scratch_new);
        ts_free(st->zone_marked);
        ts_free(st);
    }
    ts_free(r->up);
    ts_free(r->weight);
    ts_free(r->label);
    ts_topology_free(r->own);
    ts_free(r);
}

/* ---- Queries ---- */

static int bad_pair(const ts_routes *r, int from, int to)
{
    return from < 0 || to < 0 || (size_t)from >= r->topo->n_nodes ||
           (size_t)to >= r->topo->n_nodes;
}

int ts_routes_next_hop(const ts_routes *r, int from, int to)
{
    if (bad_pair(r, from, to) || from == to || r->label[from] != r->label[to])
        return -1;
    const ts_topology *t = r->topo;
    int zf = t->zone_of[from], zt = t->zone_of[to];
    const row *rw;
    if (zf == zt)
        rw = row_for(r, zf, t->local_of[to]);
    else if (zf != 0)
        rw = row_for(r, zf, t->zones[zf].n_members);      /* to the attachment */
    else if (t->zones[zt].attach == from)
        return (rw = row_for(r, zt, t->local_of[to])) ? rw->next[t->zones[zt].n_members] : -1;
    else
        rw = row_for(r, 0, t->local_of[t->zones[zt].attach]);
    return rw ? rw->next[t->local_of[from]] : -1;
}

static int64_t add_sat(int64_t a, int64_t b)
{
    return b > INT64_MAX - 1 - a ? INT64_MAX - 1 : a + b;
}

/* Adds zone z's route from local `from` to local `to` to the sums; 0 when
 * there is none (or no memory). */
static int add_segment(const ts_routes *r, int z, int from, int to, int *hops, int64_t *lat)
{
    if (from == to)
        return 1;
    const row *rw = row_for(r, z, to);
    if (!rw || rw->next[from] < 0)
        return 0;
    *hops += rw->hops[from];
    *lat = add_sat(*lat, rw->latency[from]);
    return 1;
}

/* Hops and latency of the whole route; 0 when unreachable. */
static int route_sums(const ts_routes *r, int from, int to, int *hops, int64_t *lat)
{
    *hops = 0;
    *lat = 0;
    if (bad_pair(r, from, to) || r->label[from] != r->label[to])
        return 0;
    if (from == to)
        return 1;
    const ts_topology *t = r->topo;
    int zf = t->zone_of[from], zt = t->zone_of[to];
    if (zf == zt)
        return add_segment(r, zf, t->local_of[from], t->local_of[to], hops, lat);
    int cur = from;
    if (zf != 0) {
        if (!add_segment(r, zf, t->local_of[from], t->zones[zf].n_members, hops, lat))
            return 0;
        cur = t->zones[zf].attach;
    }
    int entry = zt != 0 ? t->zones[zt].attach : to;
    if (!add_segment(r, 0, t->local_of[cur], t->local_of[entry], hops, lat))
        return 0;
    if (zt != 0 && !add_segment(r, zt, t->zones[zt].n_members, t->local_of[to], hops, lat))
        return 0;
    return 1;
}

int ts_routes_hops(const ts_routes *r, int from, int to)
{
    int hops;
    int64_t lat;
    return route_sums(r, from, to, &hops, &lat) ? hops : -1;
}

int64_t ts_routes_latency(const ts_routes *r, int from, int to)
{
    int hops;
    int64_t lat;
    return route_sums(r, from, to, &hops, &lat) ? lat : -1;
}

uint64_t ts_routes_version(const ts_routes *r) { return r->version; }

const ts_topology *ts_routes_topology(const ts_routes *r) { return r->topo; }

/* ---- Changes ---- */

static int prepare_changes(ts_routes *r)
{
    route_state *st = r->st;
    if (st->label_new)
        return TS_OK;
    const ts_topology *t = r->topo;
    size_t nn = t->n_nodes ? t->n_nodes : 1, nl = t->n_links ? t->n_links : 1;
    st->label_new = ts_malloc(nn * sizeof *st->label_new);
    st->count = ts_calloc(nn, sizeof *st->count);
    st->pairs = ts_malloc(nn * sizeof *st->pairs);
    st->mult = ts_malloc(((size_t)t->zones[0].n + 1) * sizeof *st->mult);
    st->old_up = ts_malloc(nl);
    st->old_weight = ts_malloc(nl * sizeof *st->old_weight);
    st->zone_marked = ts_calloc(t->n_zones, 1);
    if (!st->label_new || !st->count || !st->pairs || !st->mult || !st->old_up ||
        !st->old_weight || !st->zone_marked ||
        alloc_row(&st->scratch_old, t->max_local) != TS_OK ||
        alloc_row(&st->scratch_new, t->max_local) != TS_OK) {
        /* All or nothing: the next change tries again. */
        ts_free(st->label_new);
        ts_free(st->count);
        ts_free(st->pairs);
        ts_free(st->mult);
        ts_free(st->old_up);
        ts_free(st->old_weight);
        ts_free(st->zone_marked);
        free_row(&st->scratch_old);
        free_row(&st->scratch_new);
        st->label_new = st->count = st->pairs = st->mult = NULL;
        st->old_up = st->zone_marked = NULL;
        st->old_weight = NULL;
        st->scratch_old = st->scratch_new = (row){0};
        return TS_ENOMEM;
    }
    return TS_OK;
}

/* Node pairs (from != to) connected before and not after, or the other
 * way, from the old labels (r->label) and the new (st->label_new) whose
 * components `order` lists; also fills st->pairs[v] with the number of
 * nodes sharing both of v's labels. */
static uint64_t connectivity_flips(ts_routes *r, size_t comps_new)
{
    route_state *st = r->st;
    const ts_topology *t = r->topo;
    size_t n = t->n_nodes;
    uint64_t old_sq = 0, new_sq = 0, both_sq = 0;
    /* Old component sizes. */
    for (size_t v = 0; v < n; v++)
        st->count[r->label[v]]++;
    for (size_t v = 0; v < n; v++)
        old_sq += (uint64_t)st->count[r->label[v]];
    for (size_t v = 0; v < n; v++)
        st->count[r->label[v]] = 0;
    /* New components are contiguous in `order`; within each, count the
     * old labels. */
    size_t at = 0;
    for (size_t c = 0; c < comps_new; c++) {
        size_t end = at;
        while (end < n && st->label_new[st->order[end]] == (int)c)
            end++;
        new_sq += (uint64_t)(end - at) * (uint64_t)(end - at);
        for (size_t k = at; k < end; k++)
            st->count[r->label[st->order[k]]]++;
        for (size_t k = at; k < end; k++) {
            int v = st->order[k];
            st->pairs[v] = st->count[r->label[v]];
            both_sq += (uint64_t)st->pairs[v];
        }
        for (size_t k = at; k < end; k++)
            st->count[r->label[st->order[k]]] = 0;
        at = end;
    }
    return old_sq + new_sq - 2 * both_sq;
}

static int same_labels(const ts_routes *r, int u, int v)
{
    return r->label[u] == r->label[v] && r->st->label_new[u] == r->st->label_new[v];
}

/* Node pairs connected before and after whose next hop zone z's change
 * moved: every local pair's change, times the global pairs it stands for
 * (see the opening comment of topology.h). */
static uint64_t zone_moves(ts_routes *r, int z)
{
    route_state *st = r->st;
    const ts_topology *t = r->topo;
    const ts__topo_zone *zz = &t->zones[z];
    if (z == 0) {
        /* A backbone destination stands for itself and the nodes of the
         * zones attached to it that reach it, before and after. */
        for (int v = 0; v < zz->n; v++)
            st->mult[v] = 1;
        for (size_t n = 0; n < t->n_nodes; n++) {
            int zn = t->zone_of[n];
            if (zn == 0)
                continue;
            int a = t->zones[zn].attach;
            if (same_labels(r, (int)n, a))
                st->mult[t->local_of[a]]++;
        }
    }
    uint64_t moved = 0;
    for (int d = 0; d < zz->n; d++) {
        zone_routes_to(t, st, z, d, st->old_up, st->old_weight, &st->scratch_old);
        zone_routes_to(t, st, z, d, r->up, r->weight, &st->scratch_new);
        uint64_t per = 1;
        if (z == 0) {
            per = (uint64_t)st->mult[d];
        } else if (d == zz->n_members) {
            /* Toward the attachment: every node outside the zone that the
             * attachment reaches before and after. */
            int a = zz->attach;
            uint64_t inside = 0;
            for (int m = 0; m < zz->n_members; m++)
                inside += same_labels(r, zz->nodes[m], a);
            per = (uint64_t)st->pairs[a] - inside;
        }
        for (int v = 0; v < zz->n; v++) {
            int o = st->scratch_old.next[v], w = st->scratch_new.next[v];
            if (v != d && o >= 0 && w >= 0 && o != w)
                moved += per;
        }
    }
    return moved;
}

int ts_routes_set_links(ts_routes *r, const int *links, size_t n, const unsigned char *up,
                        const int64_t *weight, size_t *changed, ts_error *err)
{
    const ts_topology *t = r->topo;
    if (changed)
        *changed = 0;
    for (size_t i = 0; i < n; i++)
        if (links[i] < 0 || (size_t)links[i] >= t->n_links || (weight && weight[i] < 0))
            return ts_error_set(err, TS_EINVAL, NULL, 0, "bad link or latency for routes");
    int any = 0;
    for (size_t i = 0; i < n && !any; i++) {
        size_t l = (size_t)links[i];
        any = (up && (up[i] != 0) != r->up[l]) || (weight && weight[i] != r->weight[l]);
    }
    if (!any)
        return TS_OK;
    route_state *st = r->st;
    int rc = prepare_changes(r);
    if (rc != TS_OK)
        return ts_error_set(err, rc, NULL, 0, "no memory for routes");
    memcpy(st->old_up, r->up, t->n_links);
    memcpy(st->old_weight, r->weight, t->n_links * sizeof *r->weight);
    for (size_t i = 0; i < n; i++) {
        size_t l = (size_t)links[i];
        if (up)
            r->up[l] = up[i] != 0;
        if (weight)
            r->weight[l] = weight[i];
    }
    size_t comps = label_components(t, r->up, st->label_new, st->order);
    uint64_t moved = changed ? connectivity_flips(r, comps) : 0;
    /* Each touched zone once, in link order of the batch; first how many
     * of its links change (1, or 2 for more). */
    for (size_t i = 0; i < n; i++) {
        size_t l = (size_t)links[i];
        int z = t->link_zone[l];
        if (z >= 0 && st->zone_marked[z] < 2 &&
            (st->old_up[l] != r->up[l] || st->old_weight[l] != r->weight[l]))
            st->zone_marked[z]++;
    }
    for (size_t i = 0; i < n; i++) {
        size_t l = (size_t)links[i];
        int z = t->link_zone[l];
        if (z < 0 || st->zone_marked[z] == 0 || st->zone_marked[z] == 3 ||
            (st->old_up[l] == r->up[l] && st->old_weight[l] == r->weight[l]))
            continue;
        /* A single link of the zone going down or up that joins what is
         * apart without it (a bridge) moves no route between nodes
         * connected before and after (such a route would cross it twice):
         * the connectivity flips count it all, and the zone's Dijkstras
         * are skipped. That is the usual fault in a tree-shaped fleet. */
        int a = t->link_a[l], b = t->link_b[l];
        int bridge = st->zone_marked[z] == 1 && st->old_weight[l] == r->weight[l] &&
                     (r->up[l] ? r->label[a] != r->label[b]
                               : st->label_new[a] != st->label_new[b]);
        st->zone_marked[z] = 3;
        if (changed && !bridge)
            moved += zone_moves(r, z);
        st->zones[z].version++;
    }
    for (size_t i = 0; i < n; i++) {
        int z = t->link_zone[links[i]];
        if (z >= 0)
            st->zone_marked[z] = 0;
    }
    int *swap = r->label;
    r->label = st->label_new;
    st->label_new = swap;
    r->version++;
    if (changed)
        *changed = (size_t)moved;
    return TS_OK;
}
