/*
 * The topology's zones and the routes over them: on random fleets (a
 * backbone, sites attached through one node, or through one gateway of
 * theirs, or every which way), zoned routes must equal the routes of the
 * same graph without zones (themselves checked against a plain Dijkstra in
 * test_network.c) for every pair, before and after batches of links going
 * down and up and of latency changes, and the count of node pairs whose
 * next hop changed must equal the count from comparing both tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <gsl/gsl_rng.h>

#include "toposim/alloc.h"
#include "toposim/platform.h"
#include "toposim/topology.h"

#define MAX_N 48
#define MAX_L 160

typedef struct graph {
    size_t n, n_links;
    int site[MAX_N];
    ts_net_link_desc links[MAX_L];
} graph;

static void add_link(graph *g, gsl_rng *rng, int a, int b)
{
    if (g->n_links < MAX_L)
        g->links[g->n_links++] = (ts_net_link_desc){
            .a = a, .b = b, .latency_ns = 1 + (int64_t)gsl_rng_uniform_int(rng, 3),
            .bandwidth_bps = 1e9};
}

/* A backbone of 2..7 nodes and up to 6 sites of 1..4 nodes, each attached
 * one of three ways. */
static void random_fleet(graph *g, gsl_rng *rng)
{
    g->n = 0;
    g->n_links = 0;
    size_t nb = 2 + gsl_rng_uniform_int(rng, 6);
    for (size_t i = 0; i < nb; i++)
        g->site[g->n++] = -1;
    for (size_t i = 0; i < 2 * nb; i++)
        add_link(g, rng, (int)gsl_rng_uniform_int(rng, nb), (int)gsl_rng_uniform_int(rng, nb));
    size_t sites = gsl_rng_uniform_int(rng, 7);
    for (size_t s = 0; s < sites; s++) {
        size_t k = 1 + gsl_rng_uniform_int(rng, 4);
        int first = (int)g->n;
        for (size_t i = 0; i < k; i++)
            g->site[g->n++] = (int)s;
        for (size_t i = 0; i < 2 * k; i++)
            add_link(g, rng, first + (int)gsl_rng_uniform_int(rng, k),
                     first + (int)gsl_rng_uniform_int(rng, k));
        int way = (int)gsl_rng_uniform_int(rng, 4);
        int out = (int)gsl_rng_uniform_int(rng, g->n);   /* anywhere so far */
        int gw = first + (int)gsl_rng_uniform_int(rng, k);
        size_t ext = 1 + gsl_rng_uniform_int(rng, 3);
        for (size_t i = 0; i < ext; i++) {
            int in = first + (int)gsl_rng_uniform_int(rng, k);
            int other = (int)gsl_rng_uniform_int(rng, (size_t)first);
            if (way == 0)
                add_link(g, rng, in, out);          /* all to one node */
            else if (way == 1)
                add_link(g, rng, gw, other);        /* all from one node */
            else if (way == 2)
                add_link(g, rng, out, in);
            else
                add_link(g, rng, in, other);        /* every which way */
        }
    }
}

/* Compares every pair; returns the zoned next hops in next[]. */
static void same_routes(const graph *g, const ts_routes *flat, const ts_routes *zoned, int *next)
{
    for (size_t a = 0; a < g->n; a++)
        for (size_t b = 0; b < g->n; b++) {
            int h = ts_routes_next_hop(zoned, (int)a, (int)b);
            assert_int_equal(h, ts_routes_next_hop(flat, (int)a, (int)b));
            assert_int_equal(ts_routes_hops(zoned, (int)a, (int)b),
                             ts_routes_hops(flat, (int)a, (int)b));
            assert_int_equal(ts_routes_latency(zoned, (int)a, (int)b),
                             ts_routes_latency(flat, (int)a, (int)b));
            next[a * g->n + b] = h;
        }
}

static void test_zoned_routes_equal_flat(void **state)
{
    (void)state;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 11);
    size_t zoned_graphs = 0;
    for (int trial = 0; trial < 300; trial++) {
        graph g;
        random_fleet(&g, rng);
        ts_error err;
        ts_topology *topo;
        assert_int_equal(ts_topology_new(g.n, g.site, g.links, g.n_links, &topo, &err), TS_OK);
        zoned_graphs += ts_topology_zones(topo) > 1;
        ts_routes *zoned, *flat;
        assert_int_equal(ts_routes_new_on(topo, NULL, &zoned, &err), TS_OK);
        assert_int_equal(ts_routes_new(g.n, g.links, g.n_links, &flat, &err), TS_OK);
        static int before[MAX_N * MAX_N], after[MAX_N * MAX_N];
        same_routes(&g, flat, zoned, before);
        for (int step = 0; step < 6; step++) {
            int batch[4];
            unsigned char up[4];
            int64_t weight[4];
            size_t n = 1 + gsl_rng_uniform_int(rng, 4);
            int reweigh = gsl_rng_uniform(rng) < 0.25;
            for (size_t i = 0; i < n; i++) {
                batch[i] = (int)gsl_rng_uniform_int(rng, g.n_links);
                up[i] = gsl_rng_uniform(rng) < 0.5;
                weight[i] = 1 + (int64_t)gsl_rng_uniform_int(rng, 4);
            }
            size_t changed = 0, ignored = 0;
            assert_int_equal(ts_routes_set_links(zoned, batch, n, reweigh ? NULL : up,
                                                 reweigh ? weight : NULL, &changed, &err),
                             TS_OK);
            assert_int_equal(ts_routes_set_links(flat, batch, n, reweigh ? NULL : up,
                                                 reweigh ? weight : NULL, &ignored, &err),
                             TS_OK);
            same_routes(&g, flat, zoned, after);
            size_t expect = 0;
            for (size_t k = 0; k < g.n * g.n; k++)
                expect += before[k] != after[k];
            assert_int_equal(changed, expect);
            assert_int_equal(ignored, expect);
            for (size_t k = 0; k < g.n * g.n; k++)
                before[k] = after[k];
        }
        ts_routes_free(zoned);
        ts_routes_free(flat);
        ts_topology_free(topo);
    }
    /* The generator does make zones (most fleets have some). */
    assert_true(zoned_graphs > 150);
    gsl_rng_free(rng);
}

static void test_zones_of_a_fleet(void **state)
{
    (void)state;
    /* ap(0) - tor(1); robot 0: rt(2), sw(3) with sw - ap; rack: edge(4),
     * tor's site mate, behind tor; robot 1: pc(5) linked to ap and tor
     * (two outside nodes from one inside node: its gateway is pc itself,
     * which leaves nothing to zone). */
    int site[] = {-1, 1, 0, 0, 1, 2};
    ts_net_link_desc links[] = {
        {.a = 0, .b = 1, .latency_ns = 1},
        {.a = 2, .b = 3, .latency_ns = 1},
        {.a = 3, .b = 0, .latency_ns = 1},
        {.a = 4, .b = 1, .latency_ns = 1},
        {.a = 5, .b = 0, .latency_ns = 1},
        {.a = 5, .b = 1, .latency_ns = 1},
    };
    ts_topology *t;
    ts_error err;
    assert_int_equal(ts_topology_new(6, site, links, 6, &t, &err), TS_OK);
    assert_int_equal(ts_topology_zones(t), 3);
    assert_int_equal(ts_topology_zone_of(t, 0), 0);
    assert_int_equal(ts_topology_zone_of(t, 1), 0);     /* the rack's gateway */
    assert_int_equal(ts_topology_zone_of(t, 2), ts_topology_zone_of(t, 3));
    assert_true(ts_topology_zone_of(t, 2) > 0);
    assert_true(ts_topology_zone_of(t, 4) > 0);
    assert_int_equal(ts_topology_zone_of(t, 5), 0);
    assert_int_equal(ts_topology_link_zone(t, 2), ts_topology_zone_of(t, 2));
    assert_int_equal(ts_topology_link_zone(t, 0), 0);
    assert_int_equal(ts_topology_zone_of(t, 6), -1);
    ts_topology_free(t);
    /* A link to a node out of range is refused. */
    links[0].b = 9;
    assert_int_equal(ts_topology_new(6, site, links, 6, &t, &err), TS_EINVAL);
}

/* A fleet's robots (a zone each: a computer and a sensor behind it)
 * reach the hub through their uplinks without a route row each: asking
 * every robot's way out allocates nothing, and a link change inside one
 * robot changes its way out alone. */
static void test_fleet_exits_without_rows(void **state)
{
    (void)state;
    enum { ROBOTS = 300, N = 1 + 2 * ROBOTS, L = 2 * ROBOTS + 1 };
    int *site = malloc(N * sizeof *site);
    ts_net_link_desc *links = calloc(L, sizeof *links);
    assert_non_null(site);
    assert_non_null(links);
    site[0] = -1;                            /* the hub */
    for (int i = 0; i < ROBOTS; i++) {
        int pc = 1 + 2 * i, sensor = pc + 1;
        site[pc] = site[sensor] = i;
        links[2 * i] = (ts_net_link_desc){.a = sensor, .b = pc, .latency_ns = 1};
        links[2 * i + 1] = (ts_net_link_desc){.a = pc, .b = 0, .latency_ns = 5};
    }
    /* robot 0's sensor also reaches its computer the long way round */
    links[L - 1] = (ts_net_link_desc){.a = 2, .b = 1, .latency_ns = 3};
    ts_topology *t;
    ts_routes *r;
    ts_error err;
    assert_int_equal(ts_topology_new(N, site, links, L, &t, &err), TS_OK);
    assert_int_equal(ts_topology_zones(t), 1 + ROBOTS);
    assert_int_equal(ts_routes_new_on(t, NULL, &r, &err), TS_OK);
    long requests = ts_alloc_requests();
    for (int i = 0; i < ROBOTS; i++) {
        int pc = 1 + 2 * i, sensor = pc + 1;
        assert_int_equal(ts_routes_next_hop(r, pc, 0), 2 * (2 * i + 1));
        assert_int_equal(ts_routes_next_hop(r, sensor, 0), 2 * (2 * i));
    }
    assert_int_equal(ts_alloc_requests(), requests);
    /* robot 0's short sensor link down: its sensor takes the long one */
    int l = 0;
    unsigned char down = 0;
    size_t changed = 0;
    assert_int_equal(ts_routes_set_links(r, &l, 1, &down, NULL, &changed, &err), TS_OK);
    assert_int_equal(ts_routes_next_hop(r, 2, 0), 2 * (L - 1));
    assert_int_equal(ts_routes_next_hop(r, 1, 0), 2 * 1);
    assert_int_equal(ts_routes_next_hop(r, 4, 0), 2 * 2);
    /* and the sums over the same routes agree */
    assert_int_equal(ts_routes_hops(r, 2, 0), 2);
    assert_int_equal(ts_routes_latency(r, 2, 0), 8);
    assert_int_equal(ts_routes_next_hop(r, 2, 0), 2 * (L - 1));
    ts_routes_free(r);
    ts_topology_free(t);
    free(site);
    free(links);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    int site[] = {-1, 0, 0, 1};
    ts_net_link_desc links[] = {
        {.a = 0, .b = 1, .latency_ns = 1},
        {.a = 1, .b = 2, .latency_ns = 1},
        {.a = 3, .b = 0, .latency_ns = 2},
    };
    long base = ts_alloc_live();
    for (long n = 1; n < 100; n++) {
        ts_topology *t = NULL;
        ts_routes *r = NULL;
        ts_error err;
        ts_alloc_fail_after(n);
        int rc = ts_topology_new(4, site, links, 3, &t, &err);
        if (rc == TS_OK)
            rc = ts_routes_new_on(t, NULL, &r, &err);
        size_t changed = 0;
        if (rc == TS_OK) {
            /* -1 when its rows cannot be made, which must not leak. */
            int hop = ts_routes_next_hop(r, 2, 3);
            assert_true(hop == -1 || hop == 3);
            int l = 0;
            unsigned char down = 0;
            rc = ts_routes_set_links(r, &l, 1, &down, NULL, &changed, &err);
        }
        ts_alloc_fail_after(0);
        assert_true(rc == TS_OK || rc == TS_ENOMEM);
        /* Link 0 down splits {1, 2} from {0, 3}: 8 ordered pairs. */
        if (rc == TS_OK)
            assert_int_equal(changed, 8);
        ts_routes_free(r);
        ts_topology_free(t);
        assert_int_equal(ts_alloc_live(), base);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zoned_routes_equal_flat),
        cmocka_unit_test(test_zones_of_a_fleet),
        cmocka_unit_test(test_fleet_exits_without_rows),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
