/*
 * Builds the topology's zones (see topology.h for why a zone's routes are
 * exactly the global ones): a site qualifies when all its outside links go
 * to one backbone node (the zone is the whole site, attached there), or
 * all leave from one of its nodes (that node joins the backbone and the
 * rest of the site is the zone, attached at it). A zone whose attachment
 * falls inside another zone is returned to the backbone, until none does.
 * Everything is O(nodes + links).
 */
#include "toposim/topology.h"

#include <string.h>

#include "platform/topology_internal.h"
#include "toposim/alloc.h"
#include "toposim/network.h"

/* One site's verdict while building. */
typedef struct site_info {
    int attach;               /* -1: the site is backbone */
    int outside, inside;      /* the single outside / inside end seen so far,
                                 -2 when more than one */
    size_t external;          /* links leaving the site */
} site_info;


void ts_topology_free(ts_topology *t)
{
    if (!t)
        return;
    ts_free(t->zone_nodes);
    ts_free(t->zone_adj_first);
    ts_free(t->zone_adj);
    ts_free(t->zones);
    ts_free(t->link_a);
    ts_free(t->link_b);
    ts_free(t->latency);
    ts_free(t->zone_of);
    ts_free(t->local_of);
    ts_free(t->link_zone);
    ts_free(t);
}

static void note(int *slot, int node)
{
    if (*slot == -1)
        *slot = node;
    else if (*slot != node)
        *slot = -2;
}

/* Decides each site's zone: fills member_site[] with the site whose zone
 * each node joins (-1: the backbone) and si[].attach. */
static void qualify(const ts_topology *t, const int *site, size_t n_sites, site_info *si,
                    int *member_site)
{
    for (size_t s = 0; s < n_sites; s++)
        si[s] = (site_info){-1, -1, -1, 0};
    for (size_t l = 0; l < t->n_links; l++) {
        int a = t->link_a[l], b = t->link_b[l];
        int sa = site[a], sb = site[b];
        if (a == b || sa == sb)
            continue;
        if (sa >= 0) {
            si[sa].external++;
            note(&si[sa].outside, b);
            note(&si[sa].inside, a);
        }
        if (sb >= 0) {
            si[sb].external++;
            note(&si[sb].outside, a);
            note(&si[sb].inside, b);
        }
    }
    for (size_t n = 0; n < t->n_nodes; n++)
        member_site[n] = site[n];
    for (size_t s = 0; s < n_sites; s++) {
        site_info *x = &si[s];
        if (x->external == 0)
            continue;                     /* cut off: the backbone routes it */
        if (x->outside >= 0)
            x->attach = x->outside;
        else if (x->inside >= 0) {
            x->attach = x->inside;
            member_site[x->inside] = -1;  /* the gateway joins the backbone */
        }
    }
    /* Attachments must lie in the backbone: return zones attached inside
     * another zone to it, until none is (each pass only removes zones). */
    for (int again = 1; again;) {
        again = 0;
        for (size_t s = 0; s < n_sites; s++) {
            site_info *x = &si[s];
            if (x->attach < 0)
                continue;
            int as = member_site[x->attach];
            if (as >= 0 && si[as].attach >= 0) {
                x->attach = -1;
                again = 1;
            }
        }
    }
    for (size_t n = 0; n < t->n_nodes; n++)
        if (member_site[n] >= 0 && si[member_site[n]].attach < 0)
            member_site[n] = -1;
}

int ts_topology_new(size_t n_nodes, const int *site, const ts_net_link_desc *links,
                    size_t n_links, ts_topology **out, ts_error *err)
{
    *out = NULL;
    /* Directed hops are ints, and a zone's adjacency offsets 32 bits. */
    if (n_links > (size_t)INT32_MAX / 2 || n_nodes > (size_t)INT32_MAX / 2)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "more than 2^30 links or nodes");
    for (size_t i = 0; i < n_links; i++) {
        if (links[i].a < 0 || links[i].b < 0 || (size_t)links[i].a >= n_nodes ||
            (size_t)links[i].b >= n_nodes)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "link %zu names a node out of range", i);
        if (links[i].latency_ns < 0)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "link %zu has a negative latency", i);
    }
    size_t nn = n_nodes ? n_nodes : 1, nl = n_links ? n_links : 1;
    ts_topology *t = ts_calloc(1, sizeof *t);
    if (!t)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the topology");
    t->n_nodes = n_nodes;
    t->n_links = n_links;
    t->link_a = ts_malloc(nl * sizeof *t->link_a);
    t->link_b = ts_malloc(nl * sizeof *t->link_b);
    t->latency = ts_malloc(nl * sizeof *t->latency);
    t->zone_of = ts_calloc(nn, sizeof *t->zone_of);
    t->local_of = ts_calloc(nn, sizeof *t->local_of);
    t->link_zone = ts_malloc(nl * sizeof *t->link_zone);
    size_t n_sites = 0;
    if (site)
        for (size_t i = 0; i < n_nodes; i++)
            if (site[i] >= 0 && (size_t)site[i] + 1 > n_sites)
                n_sites = (size_t)site[i] + 1;
    site_info *si = ts_malloc((n_sites ? n_sites : 1) * sizeof *si);
    int *member_site = ts_malloc(nn * sizeof *member_site);
    int *zone_of_site = ts_malloc((n_sites ? n_sites : 1) * sizeof *zone_of_site);
    int rc = TS_OK;
    if (!t->link_a || !t->link_b || !t->latency || !t->zone_of || !t->local_of ||
        !t->link_zone || !si ||
        !member_site || !zone_of_site)
        goto nomem;
    for (size_t l = 0; l < n_links; l++) {
        t->link_a[l] = links[l].a;
        t->link_b[l] = links[l].b;
        t->latency[l] = links[l].latency_ns;
    }
    /* Zones: the backbone first, then one per qualifying site in site
     * order (a fixed order, so runs are reproducible). */
    if (site)
        qualify(t, site, n_sites, si, member_site);
    else
        for (size_t n = 0; n < n_nodes; n++)
            member_site[n] = -1;
    size_t n_zones = 1;
    for (size_t s = 0; s < n_sites; s++)
        zone_of_site[s] = -1;
    for (size_t n = 0; n < n_nodes; n++) {
        int s = member_site[n];
        if (s >= 0 && zone_of_site[s] < 0)
            zone_of_site[s] = 0;          /* has members: becomes a zone */
    }
    for (size_t s = 0; s < n_sites; s++)
        if (zone_of_site[s] == 0)
            zone_of_site[s] = (int)n_zones++;
    t->zones = ts_calloc(n_zones, sizeof *t->zones);
    if (!t->zones)
        goto nomem;
    t->n_zones = n_zones;
    t->zones[0].attach = -1;
    for (size_t s = 0; s < n_sites; s++)
        if (zone_of_site[s] > 0)
            t->zones[zone_of_site[s]].attach = si[s].attach;
    /* Members, in node order; a leaf zone's attachment last. */
    for (size_t n = 0; n < n_nodes; n++) {
        int z = member_site[n] >= 0 ? zone_of_site[member_site[n]] : 0;
        t->zone_of[n] = z;
        t->local_of[n] = t->zones[z].n_members++;
    }
    /* Every zone's lists are slices of three blocks, not three blocks of
     * their own: a fleet has a zone per robot, and three allocations each
     * cost more in allocator overhead than the lists themselves. */
    size_t total_local = 0;
    for (size_t z = 0; z < n_zones; z++) {
        ts__topo_zone *zz = &t->zones[z];
        zz->n = zz->n_members + (z > 0);
        total_local += (size_t)zz->n + 1;
    }
    if (total_local > UINT32_MAX)
        goto nomem;           /* beyond 32-bit offsets: as out of memory */
    t->zone_nodes = ts_malloc(total_local * sizeof *t->zone_nodes);
    t->zone_adj_first = ts_calloc(total_local, sizeof *t->zone_adj_first);
    if (!t->zone_nodes || !t->zone_adj_first)
        goto nomem;
    for (size_t z = 0, at = 0; z < n_zones; z++) {
        ts__topo_zone *zz = &t->zones[z];
        zz->first = (uint32_t)at;
        at += (size_t)zz->n + 1;
        if (z > 0)
            ts__zone_nodes(t, zz)[zz->n_members] = zz->attach;
        if ((size_t)zz->n > t->max_local)
            t->max_local = (size_t)zz->n;
    }
    for (size_t n = 0; n < n_nodes; n++)
        ts__zone_nodes(t, &t->zones[t->zone_of[n]])[t->local_of[n]] = (int)n;
    /* Each link belongs to the zone of its end that is not the other's
     * attachment: both ends are then that zone's local nodes. */
    for (size_t l = 0; l < n_links; l++) {
        int a = t->link_a[l], b = t->link_b[l];
        int z = -1;
        if (a != b)
            z = t->zone_of[a] != 0 ? t->zone_of[a] : t->zone_of[b];
        t->link_zone[l] = z;
        if (z < 0)
            continue;
        ts__zone_adj_first(t, &t->zones[z])[1 + (t->zone_of[a] == z ? t->local_of[a] : t->zones[z].n_members)]++;
        ts__zone_adj_first(t, &t->zones[z])[1 + (t->zone_of[b] == z ? t->local_of[b] : t->zones[z].n_members)]++;
    }
    size_t total_adj = 0;
    for (size_t z = 0; z < n_zones; z++) {
        ts__topo_zone *zz = &t->zones[z];
        for (int v = 0; v < zz->n; v++)
            ts__zone_adj_first(t, zz)[v + 1] += ts__zone_adj_first(t, zz)[v];
        size_t m = ts__zone_adj_first(t, zz)[zz->n];
        total_adj += m;
        if (m > t->max_adj)
            t->max_adj = m;
    }
    if (total_adj > UINT32_MAX)
        goto nomem;
    t->zone_adj = ts_malloc((total_adj ? total_adj : 1) * sizeof *t->zone_adj);
    if (!t->zone_adj)
        goto nomem;
    for (size_t z = 0, at = 0; z < n_zones; z++) {
        ts__topo_zone *zz = &t->zones[z];
        zz->adj0 = (uint32_t)at;
        at += ts__zone_adj_first(t, zz)[zz->n];
    }
    /* Fill in link order, with adj_first as a cursor, then restore it. */
    for (size_t l = 0; l < n_links; l++) {
        int z = t->link_zone[l];
        if (z < 0)
            continue;
        ts__topo_zone *zz = &t->zones[z];
        int a = t->link_a[l], b = t->link_b[l];
        int la = t->zone_of[a] == z ? t->local_of[a] : zz->n_members;
        int lb = t->zone_of[b] == z ? t->local_of[b] : zz->n_members;
        ts__zone_adj(t, zz)[ts__zone_adj_first(t, zz)[la]++] = (ts__topo_adj){lb, (int)(2 * l)};
        ts__zone_adj(t, zz)[ts__zone_adj_first(t, zz)[lb]++] = (ts__topo_adj){la, (int)(2 * l + 1)};
    }
    for (size_t z = 0; z < n_zones; z++) {
        ts__topo_zone *zz = &t->zones[z];
        for (int v = zz->n; v > 0; v--)
            ts__zone_adj_first(t, zz)[v] = ts__zone_adj_first(t, zz)[v - 1];
        ts__zone_adj_first(t, zz)[0] = 0;
    }
    goto out;
nomem:
    rc = ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the topology");
out:
    ts_free(si);
    ts_free(member_site);
    ts_free(zone_of_site);
    if (rc != TS_OK) {
        ts_topology_free(t);
        return rc;
    }
    *out = t;
    return TS_OK;
}

size_t ts_topology_nodes(const ts_topology *t) { return t->n_nodes; }
size_t ts_topology_links(const ts_topology *t) { return t->n_links; }
size_t ts_topology_zones(const ts_topology *t) { return t->n_zones; }

int ts_topology_zone_of(const ts_topology *t, int node)
{
    if (node < 0 || (size_t)node >= t->n_nodes)
        return -1;
    return t->zone_of[node];
}

int ts_topology_link_zone(const ts_topology *t, int link)
{
    if (link < 0 || (size_t)link >= t->n_links)
        return -1;
    return t->link_zone[link];
}
