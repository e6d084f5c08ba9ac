/*
 * The topology: nodes and links, and their routing zones, built once per
 * scenario and shared read-only by the plan and the network model (each
 * keeps its own route state over it, a ts_routes of network.h).
 *
 * Zones follow SimGrid's netzones (src/kernel/routing/NetZoneImpl.cpp,
 * get_global_route_with_netzones: a route is the source's way to its
 * zone's gateway, the route between gateways in the common ancestor, and
 * the gateway's way to the destination), with one difference that keeps
 * routes exactly the least-latency routes of the whole graph: a site (a
 * robot, an edge rack, a cloud region) becomes a zone only when every link
 * leaving it touches one node, its attachment, which lies in the backbone.
 * Every path out of the zone then passes through that node, so the global
 * least-latency route (ties broken by hop count, then by the lower
 * directed hop) is the concatenation of the zone's own routes and the
 * backbone's, tie-breaks included. A site that does not qualify is part of
 * the backbone, as are nodes of no site (access points, routers).
 */
#ifndef TOPOSIM_TOPOLOGY_H
#define TOPOSIM_TOPOLOGY_H

#include <stddef.h>
#include <stdint.h>

#include "toposim/error.h"

typedef struct ts_net_link_desc ts_net_link_desc;
typedef struct ts_topology ts_topology;

/* Builds the topology of n_nodes nodes and the given links (only a, b and
 * latency_ns are read, and copied). site[i] is the site of node i, or -1
 * for the backbone; site NULL puts every node in the backbone. O(nodes +
 * links). TS_EINVAL names a link with an end out of range or a negative
 * latency. Caller frees with ts_topology_free. */
int ts_topology_new(size_t n_nodes, const int *site, const ts_net_link_desc *links,
                    size_t n_links, ts_topology **out, ts_error *err);

/* Frees the topology; NULL is fine. Route states over it must go first. */
void ts_topology_free(ts_topology *topo);

/* Node and link counts, as built. */
size_t ts_topology_nodes(const ts_topology *topo);
size_t ts_topology_links(const ts_topology *topo);

/* Number of zones, the backbone (zone 0) included. */
size_t ts_topology_zones(const ts_topology *topo);

/* The zone of a node (0: the backbone), or -1 for a bad index. */
int ts_topology_zone_of(const ts_topology *topo, int node);

/* The zone a link's routes belong to, or -1 for a bad index or a link
 * from a node to itself (which no route uses). */
int ts_topology_link_zone(const ts_topology *topo, int link);

#endif
