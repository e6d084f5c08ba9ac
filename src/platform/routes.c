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
 * connected at all is one comparison of component labels, kept per zone.
 * So a next hop costs a few look-ups whatever the fleet size, and a change
 * of one zone's links (a robot's link, or the backbone's) relabels and
 * counts the changed routes over that zone alone, plus, unless the link is
 * a bridge, two Dijkstras per destination of the zone for that count; a
 * batch across zones costs O(nodes) more. Hand-written because neither
 * GSL nor libxml2 has a graph search.
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
/* A zone member's way out of its zone: the hop toward the attachment and
 * its connectivity label, valid while `version` is the routes' version.
 * Every message from a robot to the rest of the fleet asks for this; the
 * zone's state, its row array and the row itself are four cache lines per
 * robot that a fleet's worth of robots cannot keep in cache, this is one
 * entry in a packed array. */
typedef struct exit_entry {
    uint64_t version;         /* 0: not computed */
    int hop, label;
} exit_entry;

typedef struct route_state {
    zone_state *zones;
    exit_entry *exits;        /* per node */
    route_key *best;
    char *done;
    heap_entry *heap;
    size_t heap_n;
    int *queue;               /* max_local + 1, for labelling a zone */
    /* for link changes, made at the first */
    int *cls_old, *cls_new;   /* 2 * nodes: classes of a pair count */
    uint64_t *acc;            /* 2 * nodes: weight per class */
    int *bucket_first, *bucket_list; /* grouping by new class */
    int *link_pos;            /* per link: its place in the batch, or -1 */
    int *batch;               /* the batch's links, each once */
    uint64_t *pairs, *mult, *wt;
    unsigned char *batch_old_up, *batch_new_up;
    int64_t *batch_old_w, *batch_new_w;
    size_t batch_cap;
    row scratch_old, scratch_new;
    row exit_row;             /* a zone's routes to its attachment, while
                                 its members' exits are filled */
    unsigned char *zone_marked;
    int out_of_memory;        /* a row could not be made (sticky) */
} route_state;

/* Connectivity, kept per zone: a backbone node's label names its component
 * of the backbone (its first node); a zone member either reaches the
 * zone's attachment (att) and then shares the attachment's label, or its
 * label is nodes + the first member of its component within the zone. So
 * a link change relabels one zone, or the backbone, never the fleet. */
struct ts_routes {
    const ts_topology *topo;
    ts_topology *own;         /* the topology ts_routes_new* built, else NULL */
    unsigned char *up;        /* per link */
    int64_t *weight;          /* per link: the routing latency */
    int *label;               /* per node, see above */
    unsigned char *att;       /* per zone member: reaches the attachment */
    uint64_t *w;              /* per backbone node (by its local index, as
                                 everything per backbone node below): itself
                                 and the members of its zones that reach it */
    uint64_t *size;           /* per backbone label: its component's nodes */
    uint64_t *reach;          /* per zone: members reaching the attachment */
    uint64_t version;
    route_state *st;
};

/* A backbone node's index in the per backbone node arrays: its local
 * index in zone 0 (a fleet's robots are not in it). */
#define BB(r, node) ((r)->topo->local_of[(node)])

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
        for (size_t k = ts__zone_adj_first(t, zz)[u]; k < ts__zone_adj_first(t, zz)[u + 1]; k++) {
            const ts__topo_adj *a = &ts__zone_adj(t, zz)[k];
            if (w->done[a->other] || !up[a->hop >> 1])
                continue;
            /* Saturate below INT64_MAX, which marks "unreached": a path of
             * absurd latency is still a path. */
            int64_t lat = weight[a->hop >> 1];
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
    if (!zs->rows && !(zs->rows = ts_calloc((size_t)zz->n, sizeof *zs->rows))) {
        st->out_of_memory = 1;
        return NULL;
    }
    row *rw = zs->rows[dst];
    if (rw && rw->version == zs->version)
        return rw;
    if (!rw) {
        size_t n = (size_t)zz->n;
        rw = ts_malloc(sizeof *rw + n * (sizeof(int64_t) + 2 * sizeof(int)));
        if (!rw) {
            st->out_of_memory = 1;
            return NULL;
        }
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

/* The label of v's component (see struct ts_routes). */
static int glabel(const ts_routes *r, int v)
{
    const ts_topology *t = r->topo;
    int z = t->zone_of[v];
    return z != 0 && r->att[v] ? r->label[t->zones[z].attach] : r->label[v];
}

/* Relabels zone z (> 0) over the links up; returns how many members reach
 * the attachment. O(zone). */
static uint64_t label_zone(ts_routes *r, int z)
{
    const ts_topology *t = r->topo;
    const ts__topo_zone *zz = &t->zones[z];
    route_state *st = r->st;
    char *seen = st->done;
    int *q = st->queue;
    for (int v = 0; v < zz->n; v++)
        seen[v] = 0;
    uint64_t reached = 0;
    /* From the attachment first, then from each member not reached yet. */
    for (int i = -1; i < zz->n_members; i++) {
        int start = i < 0 ? zz->n_members : i;
        if (seen[start])
            continue;
        int attached = i < 0;
        int lab = attached ? -1 : (int)t->n_nodes + ts__zone_nodes(t, zz)[start];
        size_t head = 0, tail = 0;
        seen[start] = 1;
        q[tail++] = start;
        while (head < tail) {
            int u = q[head++];
            if (u < zz->n_members) {
                int node = ts__zone_nodes(t, zz)[u];
                r->att[node] = (unsigned char)attached;
                r->label[node] = lab;
                reached += (uint64_t)attached;
            }
            for (size_t k = ts__zone_adj_first(t, zz)[u]; k < ts__zone_adj_first(t, zz)[u + 1]; k++) {
                const ts__topo_adj *a = &ts__zone_adj(t, zz)[k];
                if (!seen[a->other] && r->up[a->hop >> 1]) {
                    seen[a->other] = 1;
                    q[tail++] = a->other;
                }
            }
        }
    }
    return reached;
}

/* Relabels the backbone over the links up and recounts its components'
 * sizes. O(backbone). */
static void label_backbone(ts_routes *r)
{
    const ts_topology *t = r->topo;
    const ts__topo_zone *zz = &t->zones[0];
    route_state *st = r->st;
    char *seen = st->done;
    int *q = st->queue;
    for (int v = 0; v < zz->n; v++)
        seen[v] = 0;
    for (int s = 0; s < zz->n; s++) {
        if (seen[s])
            continue;
        int lab = ts__zone_nodes(t, zz)[s];
        size_t head = 0, tail = 0;
        seen[s] = 1;
        q[tail++] = s;
        r->size[BB(r, lab)] = 0;
        while (head < tail) {
            int u = q[head++];
            r->label[ts__zone_nodes(t, zz)[u]] = lab;
            r->size[BB(r, lab)] += r->w[u];
            for (size_t k = ts__zone_adj_first(t, zz)[u]; k < ts__zone_adj_first(t, zz)[u + 1]; k++) {
                const ts__topo_adj *a = &ts__zone_adj(t, zz)[k];
                if (!seen[a->other] && r->up[a->hop >> 1]) {
                    seen[a->other] = 1;
                    q[tail++] = a->other;
                }
            }
        }
    }
}

/* Labels everything from scratch. O(nodes + links). */
static void label_all(ts_routes *r)
{
    const ts_topology *t = r->topo;
    const ts__topo_zone *b = &t->zones[0];
    for (int v = 0; v < b->n; v++)
        r->w[v] = 1;
    for (size_t z = 1; z < t->n_zones; z++) {
        r->reach[z] = label_zone(r, (int)z);
        r->w[BB(r, t->zones[z].attach)] += r->reach[z];
    }
    label_backbone(r);
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
    r->att = ts_calloc(nn, 1);
    size_t nb = topo->zones[0].n ? (size_t)topo->zones[0].n : 1;
    r->w = ts_calloc(nb, sizeof *r->w);
    r->size = ts_calloc(nb, sizeof *r->size);
    r->reach = ts_calloc(topo->n_zones, sizeof *r->reach);
    if (st) {
        st->zones = ts_calloc(topo->n_zones, sizeof *st->zones);
        st->exits = ts_calloc(nn, sizeof *st->exits);
        st->best = ts_malloc((topo->max_local + 1) * sizeof *st->best);
        st->done = ts_malloc(topo->max_local + 1);
        st->heap = ts_malloc((topo->max_adj + 2) * sizeof *st->heap);
        st->queue = ts_malloc((topo->max_local + 1) * sizeof *st->queue);
    }
    if (!st || !r->up || !r->weight || !r->label || !r->att || !r->w || !r->size ||
        !r->reach || !st->zones || !st->exits || !st->best || !st->done || !st->heap ||
        !st->queue || alloc_row(&st->exit_row, topo->max_local) != TS_OK) {
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
    label_all(r);
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
        label_all(r);
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
        ts_free(st->exits);
        ts_free(st->best);
        ts_free(st->done);
        ts_free(st->heap);
        ts_free(st->queue);
        ts_free(st->cls_old);
        ts_free(st->cls_new);
        ts_free(st->acc);
        ts_free(st->bucket_first);
        ts_free(st->bucket_list);
        ts_free(st->pairs);
        ts_free(st->mult);
        ts_free(st->wt);
        ts_free(st->batch_old_up);
        ts_free(st->batch_new_up);
        ts_free(st->batch_old_w);
        ts_free(st->batch_new_w);
        ts_free(st->batch);
        ts_free(st->link_pos);
        free_row(&st->scratch_old);
        free_row(&st->scratch_new);
        free_row(&st->exit_row);
        ts_free(st->zone_marked);
        ts_free(st);
    }
    ts_free(r->up);
    ts_free(r->weight);
    ts_free(r->label);
    ts_free(r->att);
    ts_free(r->w);
    ts_free(r->size);
    ts_free(r->reach);
    ts_topology_free(r->own);
    ts_free(r);
}

/* ---- Queries ---- */

static int bad_pair(const ts_routes *r, int from, int to)
{
    return from < 0 || to < 0 || (size_t)from >= r->topo->n_nodes ||
           (size_t)to >= r->topo->n_nodes;
}

/* Fills the exit entries of every member of zone z (> 0): the zone's row
 * to its attachment when it has one, else one Dijkstra into scratch, kept
 * nowhere but in the entries. Every robot of a fleet is such a zone and
 * asks this once per routes version: a row kept per robot would be most
 * of its routing memory, for an answer the entries already hold. */
static void fill_exits(const ts_routes *r, int z)
{
    route_state *st = r->st;
    const ts_topology *t = r->topo;
    const ts__topo_zone *zz = &t->zones[z];
    const zone_state *zs = &st->zones[z];
    const row *rw = zs->rows ? zs->rows[zz->n_members] : NULL;
    if (!rw || rw->version != zs->version) {
        zone_routes_to(t, st, z, zz->n_members, r->up, r->weight, &st->exit_row);
        rw = &st->exit_row;
    }
    for (int v = 0; v < zz->n_members; v++) {
        exit_entry *e = &st->exits[ts__zone_nodes(t, zz)[v]];
        e->hop = rw->next[v];
        e->label = glabel(r, ts__zone_nodes(t, zz)[v]);
        e->version = r->version;
    }
}

/* The next hop from `from`, in a zone > 0, to `to` outside that zone:
 * the way to the zone's attachment, from the exit cache. */
static int exit_hop(const ts_routes *r, int from, int to)
{
    exit_entry *e = &r->st->exits[from];
    if (e->version != r->version)
        fill_exits(r, r->topo->zone_of[from]);
    return e->label == glabel(r, to) ? e->hop : -1;
}

int ts_routes_next_hop(const ts_routes *r, int from, int to)
{
    if (bad_pair(r, from, to) || from == to)
        return -1;
    const ts_topology *t = r->topo;
    int zf = t->zone_of[from], zt = t->zone_of[to];
    if (zf != 0 && zf != zt)
        return exit_hop(r, from, to);
    if (glabel(r, from) != glabel(r, to))
        return -1;
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
    if (bad_pair(r, from, to) || glabel(r, from) != glabel(r, to))
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

int ts_routes_out_of_memory(const ts_routes *r) { return r->st->out_of_memory; }

const ts_topology *ts_routes_topology(const ts_routes *r) { return r->topo; }

/* ---- Changes ---- */

static int prepare_changes(ts_routes *r, size_t n)
{
    route_state *st = r->st;
    const ts_topology *t = r->topo;
    if (!st->cls_old) {
        /* Classes are labels (below 2 * nodes) or local indices. */
        size_t nc = 2 * (t->n_nodes + t->max_local) + 2;
        st->cls_old = ts_malloc(nc * sizeof *st->cls_old);
        st->cls_new = ts_malloc(nc * sizeof *st->cls_new);
        st->acc = ts_calloc(nc, sizeof *st->acc);
        st->bucket_first = ts_malloc((nc + 1) * sizeof *st->bucket_first);
        st->bucket_list = ts_malloc(nc * sizeof *st->bucket_list);
        st->pairs = ts_malloc(nc * sizeof *st->pairs);
        st->mult = ts_malloc(nc * sizeof *st->mult);
        st->wt = ts_malloc(nc * sizeof *st->wt);
        st->zone_marked = ts_calloc(t->n_zones, 1);
        st->link_pos = ts_malloc((t->n_links ? t->n_links : 1) * sizeof *st->link_pos);
        if (st->link_pos)
            for (size_t l = 0; l < t->n_links; l++)
                st->link_pos[l] = -1;
        if (!st->link_pos ||
            !st->cls_old || !st->cls_new || !st->acc || !st->bucket_first ||
            !st->bucket_list || !st->pairs || !st->mult || !st->wt || !st->zone_marked ||
            alloc_row(&st->scratch_old, t->max_local) != TS_OK ||
            alloc_row(&st->scratch_new, t->max_local) != TS_OK)
            goto nomem;
    }
    if (n > st->batch_cap) {
        ts_free(st->batch);
        st->batch = ts_malloc(n * sizeof *st->batch);
        ts_free(st->batch_old_up);
        ts_free(st->batch_new_up);
        ts_free(st->batch_old_w);
        ts_free(st->batch_new_w);
        st->batch_old_up = ts_malloc(n);
        st->batch_new_up = ts_malloc(n);
        st->batch_old_w = ts_malloc(n * sizeof *st->batch_old_w);
        st->batch_new_w = ts_malloc(n * sizeof *st->batch_new_w);
        st->batch_cap = n;
        if (!st->batch || !st->batch_old_up || !st->batch_new_up || !st->batch_old_w ||
            !st->batch_new_w)
            goto nomem;
    }
    return TS_OK;
nomem:
    /* All or nothing: the next change tries again. */
    ts_free(st->cls_old);
    ts_free(st->cls_new);
    ts_free(st->acc);
    ts_free(st->bucket_first);
    ts_free(st->bucket_list);
    ts_free(st->pairs);
    ts_free(st->mult);
    ts_free(st->wt);
    ts_free(st->zone_marked);
    ts_free(st->link_pos);
    ts_free(st->batch);
    ts_free(st->batch_old_up);
    ts_free(st->batch_new_up);
    ts_free(st->batch_old_w);
    ts_free(st->batch_new_w);
    free_row(&st->scratch_old);
    free_row(&st->scratch_new);
    st->link_pos = st->batch = NULL;
    st->cls_old = st->cls_new = st->bucket_first = st->bucket_list = NULL;
    st->acc = st->pairs = st->mult = st->wt = NULL;
    st->zone_marked = st->batch_old_up = st->batch_new_up = NULL;
    st->batch_old_w = st->batch_new_w = NULL;
    st->batch_cap = 0;
    st->scratch_old = st->scratch_new = (row){0};
    return TS_ENOMEM;
}

/* The batch's links set to their values before (0) or after (1). */
static void set_batch(ts_routes *r, const int *links, size_t n, int after)
{
    route_state *st = r->st;
    for (size_t i = 0; i < n; i++) {
        r->up[links[i]] = after ? st->batch_new_up[i] : st->batch_old_up[i];
        r->weight[links[i]] = after ? st->batch_new_w[i] : st->batch_old_w[i];
    }
}

/* Ordered pairs of the n items in different classes before (cls_old) and
 * in the same after, or the other way, each item weighing wt[i] (NULL: 1)
 * nodes: sum over classes before of (weight)^2, plus after, less twice
 * the same over (before, after) groups. Classes lie below nc. With
 * `pairs`, each item also gets the weight of its (before, after) group. */
static uint64_t pair_flips(route_state *st, size_t n, const uint64_t *wt, size_t nc,
                           uint64_t *pairs)
{
    uint64_t old_sq = 0, new_sq = 0, both_sq = 0;
    const int *co = st->cls_old, *cn = st->cls_new;
    for (size_t i = 0; i < n; i++)
        st->acc[co[i]] += wt ? wt[i] : 1;
    for (size_t i = 0; i < n; i++) {
        old_sq += st->acc[co[i]] * st->acc[co[i]];
        st->acc[co[i]] = 0;       /* each class counted once */
    }
    for (size_t i = 0; i < n; i++)
        st->acc[cn[i]] += wt ? wt[i] : 1;
    for (size_t i = 0; i < n; i++) {
        new_sq += st->acc[cn[i]] * st->acc[cn[i]];
        st->acc[cn[i]] = 0;
    }
    /* Items grouped by new class (a counting sort), then old classes
     * counted within each group. */
    for (size_t c = 0; c <= nc; c++)
        st->bucket_first[c] = 0;
    for (size_t i = 0; i < n; i++)
        st->bucket_first[cn[i] + 1]++;
    for (size_t c = 0; c < nc; c++)
        st->bucket_first[c + 1] += st->bucket_first[c];
    for (size_t i = 0; i < n; i++)
        st->bucket_list[st->bucket_first[cn[i]]++] = (int)i;
    for (size_t c = nc; c > 0; c--)
        st->bucket_first[c] = st->bucket_first[c - 1];
    st->bucket_first[0] = 0;
    for (size_t c = 0; c < nc; c++) {
        int from = st->bucket_first[c], to = st->bucket_first[c + 1];
        if (from == to)
            continue;
        for (int k = from; k < to; k++) {
            int i = st->bucket_list[k];
            st->acc[co[i]] += wt ? wt[i] : 1;
        }
        if (pairs)
            for (int k = from; k < to; k++)
                pairs[st->bucket_list[k]] = st->acc[co[st->bucket_list[k]]];
        for (int k = from; k < to; k++) {
            uint64_t *g = &st->acc[co[st->bucket_list[k]]];
            both_sq += *g * *g;   /* each (before, after) group once */
            *g = 0;
        }
    }
    return old_sq + new_sq - 2 * both_sq;
}

/* Node pairs connected before and after whose next hop zone z's change
 * moved: every local pair's change, times the global pairs it stands for
 * (topology.h): a backbone destination stands for root_mult[its local
 * index] nodes, a zone's attachment for attach_mult, any other zone
 * destination for itself. */
static uint64_t zone_moves(ts_routes *r, int z, const int *links, size_t n,
                           const uint64_t *root_mult, uint64_t attach_mult)
{
    route_state *st = r->st;
    const ts_topology *t = r->topo;
    const ts__topo_zone *zz = &t->zones[z];
    uint64_t moved = 0;
    for (int d = 0; d < zz->n; d++) {
        set_batch(r, links, n, 0);
        zone_routes_to(t, st, z, d, r->up, r->weight, &st->scratch_old);
        set_batch(r, links, n, 1);
        zone_routes_to(t, st, z, d, r->up, r->weight, &st->scratch_new);
        uint64_t per = z == 0 ? root_mult[d] : d == zz->n_members ? attach_mult : 1;
        for (int v = 0; v < zz->n; v++) {
            int o = st->scratch_old.next[v], w = st->scratch_new.next[v];
            if (v != d && o >= 0 && w >= 0 && o != w)
                moved += per;
        }
    }
    return moved;
}

/* A single link of a zone going down or up that joins what is apart
 * without it (a bridge) moves no route between nodes connected before and
 * after (such a route would cross it twice): the connectivity flips count
 * it all, and the zone's Dijkstras are skipped. That is the usual fault
 * in a tree-shaped fleet. `before` and `after` are the labels of the
 * link's ends. */
static int is_bridge(const ts_routes *r, size_t l, int single, const int before[2],
                     const int after[2])
{
    const route_state *st = r->st;
    (void)st;
    if (!single || r->weight[l] != r->st->batch_old_w[0])
        return 0;
    return r->up[l] ? before[0] != before[1] : after[0] != after[1];
}

/* One zone's links changed (the common case): relabel that zone (or the
 * backbone) and count from its own nodes. */
static uint64_t change_one_zone(ts_routes *r, int z, const int *links, size_t n, int count)
{
    route_state *st = r->st;
    const ts_topology *t = r->topo;
    const ts__topo_zone *zz = &t->zones[z];
    size_t l0 = (size_t)links[0];
    int ends_before[2] = {glabel(r, t->link_a[l0]), glabel(r, t->link_b[l0])};
    uint64_t moved = 0;
    if (z == 0) {
        for (int v = 0; v < zz->n; v++) {
            st->cls_old[v] = t->local_of[r->label[ts__zone_nodes(t, zz)[v]]];
            st->wt[v] = r->w[v];
        }
        set_batch(r, links, n, 1);
        label_backbone(r);
        for (int v = 0; v < zz->n; v++)
            st->cls_new[v] = t->local_of[r->label[ts__zone_nodes(t, zz)[v]]];
        if (!count)
            return 0;
        moved = pair_flips(st, (size_t)zz->n, st->wt, (size_t)zz->n, NULL);
        int ends_after[2] = {glabel(r, t->link_a[l0]), glabel(r, t->link_b[l0])};
        if (!is_bridge(r, l0, n == 1, ends_before, ends_after))
            moved += zone_moves(r, 0, links, n, st->wt, 0);
        return moved;
    }
    /* A zone: local classes are the member's local index of its label's
     * first member, or n_members for "with the attachment" (which the
     * attachment itself is). */
    int m = zz->n_members, a = zz->attach;
    for (int v = 0; v < m; v++) {
        int node = ts__zone_nodes(t, zz)[v];
        st->cls_old[v] = r->att[node] ? m : t->local_of[r->label[node] - (int)t->n_nodes];
    }
    st->cls_old[m] = m;
    uint64_t reach_old = r->reach[z];
    /* Nodes outside the zone connected to the attachment, itself included:
     * the zone's change does not alter that. */
    uint64_t outside = r->size[BB(r, r->label[a])] - reach_old;
    set_batch(r, links, n, 1);
    uint64_t reach_new = label_zone(r, z);
    uint64_t flipped = 0;
    for (int v = 0; v < m; v++) {
        int node = ts__zone_nodes(t, zz)[v];
        st->cls_new[v] = r->att[node] ? m : t->local_of[r->label[node] - (int)t->n_nodes];
        flipped += (st->cls_old[v] == m) != (st->cls_new[v] == m);
    }
    st->cls_new[m] = m;
    r->reach[z] = reach_new;
    r->w[BB(r, a)] = r->w[BB(r, a)] - reach_old + reach_new;
    r->size[BB(r, r->label[a])] = r->size[BB(r, r->label[a])] - reach_old + reach_new;
    if (!count)
        return 0;
    moved = pair_flips(st, (size_t)m + 1, NULL, (size_t)m + 1, NULL) +
            2 * flipped * (outside - 1);
    int ends_after[2] = {glabel(r, t->link_a[l0]), glabel(r, t->link_b[l0])};
    if (!is_bridge(r, l0, n == 1, ends_before, ends_after))
        moved += zone_moves(r, z, links, n, NULL, outside);
    return moved;
}

/* Links of several zones changed (a partition across robots and the
 * backbone): the whole fleet's labels before and after, O(nodes). */
static uint64_t change_zones(ts_routes *r, const int *links, size_t n, int count)
{
    route_state *st = r->st;
    const ts_topology *t = r->topo;
    size_t nn = t->n_nodes;
    for (size_t v = 0; v < nn; v++)
        st->cls_old[v] = glabel(r, (int)v);
    set_batch(r, links, n, 1);
    int backbone = 0;
    for (size_t i = 0; i < n; i++) {
        int z = t->link_zone[links[i]];
        if (z < 0 || st->zone_marked[z])
            continue;
        st->zone_marked[z] = 1;
        if (z == 0) {
            backbone = 1;
            continue;
        }
        int a = t->zones[z].attach;
        uint64_t reach_new = label_zone(r, z);
        r->w[BB(r, a)] = r->w[BB(r, a)] - r->reach[z] + reach_new;
        r->size[BB(r, r->label[a])] = r->size[BB(r, r->label[a])] - r->reach[z] + reach_new;
        r->reach[z] = reach_new;
    }
    if (backbone)
        label_backbone(r);
    for (size_t v = 0; v < nn; v++)
        st->cls_new[v] = glabel(r, (int)v);
    uint64_t moved = 0;
    if (count) {
        moved = pair_flips(st, nn, NULL, 2 * nn + 1, st->pairs);
        /* Each touched zone's moves, its destinations weighed by the nodes
         * they stand for that are connected before and after. */
        for (size_t i = 0; i < n; i++) {
            int z = t->link_zone[links[i]];
            if (z < 0 || st->zone_marked[z] != 1)
                continue;
            st->zone_marked[z] = 2;
            const ts__topo_zone *zz = &t->zones[z];
            if (z == 0) {
                for (int v = 0; v < zz->n; v++)
                    st->mult[v] = 1;
                for (size_t v = 0; v < nn; v++) {
                    int zv = t->zone_of[v];
                    if (zv == 0)
                        continue;
                    int a = t->zones[zv].attach;
                    if (st->cls_old[v] == st->cls_old[a] && st->cls_new[v] == st->cls_new[a])
                        st->mult[t->local_of[a]]++;
                }
                moved += zone_moves(r, 0, links, n, st->mult, 0);
            } else {
                int a = zz->attach;
                uint64_t inside = 0;
                for (int m = 0; m < zz->n_members; m++) {
                    int u = ts__zone_nodes(t, zz)[m];
                    inside += st->cls_old[u] == st->cls_old[a] && st->cls_new[u] == st->cls_new[a];
                }
                moved += zone_moves(r, z, links, n, NULL, st->pairs[a] - inside);
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        int z = t->link_zone[links[i]];
        if (z >= 0)
            st->zone_marked[z] = 0;
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
    route_state *st = r->st;
    int rc = prepare_changes(r, n ? n : 1);
    if (rc != TS_OK)
        return ts_error_set(err, rc, NULL, 0, "no memory for routes");
    /* The batch's values before and after, each link once (the last
     * value given wins); only links that change are kept. */
    size_t k = 0;
    int *batch = st->batch;
    for (size_t i = 0; i < n; i++) {
        size_t l = (size_t)links[i];
        unsigned char nu = up ? (unsigned char)(up[i] != 0) : r->up[l];
        int64_t nw = weight ? weight[i] : r->weight[l];
        int j = st->link_pos[l];
        if (j < 0) {
            j = st->link_pos[l] = (int)k;
            batch[k] = (int)l;
            st->batch_old_up[k] = r->up[l];
            st->batch_old_w[k] = r->weight[l];
            k++;
        }
        st->batch_new_up[j] = nu;
        st->batch_new_w[j] = nw;
    }
    size_t m = 0;
    for (size_t j = 0; j < k; j++) {
        st->link_pos[batch[j]] = -1;
        if (st->batch_old_up[j] != st->batch_new_up[j] ||
            st->batch_old_w[j] != st->batch_new_w[j]) {
            batch[m] = batch[j];
            st->batch_old_up[m] = st->batch_old_up[j];
            st->batch_new_up[m] = st->batch_new_up[j];
            st->batch_old_w[m] = st->batch_old_w[j];
            st->batch_new_w[m] = st->batch_new_w[j];
            m++;
        }
    }
    if (m == 0)
        return TS_OK;
    const int *mine = batch;
    int z0 = t->link_zone[mine[0]], one = 1;
    for (size_t j = 1; j < m; j++)
        one = one && t->link_zone[mine[j]] == z0;
    uint64_t moved;
    if (one && z0 >= 0)
        moved = change_one_zone(r, z0, mine, m, changed != NULL);
    else
        moved = change_zones(r, mine, m, changed != NULL);
    set_batch(r, mine, m, 1);
    for (size_t j = 0; j < m; j++) {
        int z = t->link_zone[mine[j]];
        if (z >= 0 && !st->zone_marked[z]) {
            st->zone_marked[z] = 1;
            st->zones[z].version++;
        }
    }
    for (size_t j = 0; j < m; j++) {
        int z = t->link_zone[mine[j]];
        if (z >= 0)
            st->zone_marked[z] = 0;
    }
    r->version++;
    if (changed)
        *changed = (size_t)moved;
    return TS_OK;
}
