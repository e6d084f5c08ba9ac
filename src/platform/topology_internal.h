/*
 * The topology's layout, shared by topology.c (which builds it) and
 * routes.c (which routes over it); nothing else sees it.
 */
#ifndef TOPOSIM_PLATFORM_TOPOLOGY_INTERNAL_H
#define TOPOSIM_PLATFORM_TOPOLOGY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "toposim/topology.h"

/* One way out of a node within a zone: the neighbour (local index) and
 * the directed hop from this node to it (link*2 + direction, as the
 * network numbers them; the link is hop >> 1). */
typedef struct ts__topo_adj {
    int other;
    int hop;
} ts__topo_adj;

/* A zone's routing graph: its members (local 0..n_members-1, in node
 * order) and, for a leaf zone, its attachment as local index n_members;
 * the adjacency lists, in link order, hold the links of the zone only. */
/* Its lists are slices of the topology's blocks, found by 32-bit offsets
 * (ts__zone_nodes and the others below) rather than pointed at: a fleet
 * has a zone per robot, and three pointers made a zone 40 bytes, not 20. */
typedef struct ts__topo_zone {
    int n;                    /* local nodes, the attachment included */
    int n_members;
    int attach;               /* global node, -1 for the backbone */
    uint32_t first;           /* its n + 1 entries of zone_nodes (local ->
                                 global; the last unused) and of
                                 zone_adj_first */
    uint32_t adj0;            /* its adjacency lists in zone_adj */
} ts__topo_zone;

struct ts_topology {
    size_t n_nodes, n_links;
    int *link_a, *link_b;
    int64_t *latency;         /* per link, as built */
    int *zone_of;             /* per node */
    int *local_of;            /* per node: index within its own zone */
    int *link_zone;           /* per link, -1 for a self-loop */
    ts__topo_zone *zones;     /* zones[0] is the backbone */
    int *zone_nodes;          /* every zone's nodes, zone by zone */
    uint32_t *zone_adj_first; /* every zone's adj_first, zone by zone */
    ts__topo_adj *zone_adj;   /* every zone's adjacency lists */
    size_t n_zones;
    size_t max_local;         /* largest zone, in local nodes */
    size_t max_adj;           /* largest zone, in adjacency entries */
};

/* A zone's lists: local -> global node, adjacency offsets (n + 1) and
 * adjacency entries. */
static inline int *ts__zone_nodes(const ts_topology *t, const ts__topo_zone *z)
{
    return t->zone_nodes + z->first;
}

static inline uint32_t *ts__zone_adj_first(const ts_topology *t, const ts__topo_zone *z)
{
    return t->zone_adj_first + z->first;
}

static inline ts__topo_adj *ts__zone_adj(const ts_topology *t, const ts__topo_zone *z)
{
    return t->zone_adj + z->adj0;
}

#endif
