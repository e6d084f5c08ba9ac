/*
 * Meaning checks that need the whole platform at once: every compute node
 * must reach every other one over the declared links, or no message
 * between them could ever be routed. Also the duration formatting the
 * loader's messages share.
 */
#include "loader.h"

#include <inttypes.h>
#include <stdio.h>

#include "toposim/alloc.h"

void ts__format_ns(int64_t ns, char *buf, size_t size)
{
    if (ns != 0 && ns % 1000000000 == 0)
        snprintf(buf, size, "%" PRId64 "s", ns / 1000000000);
    else if (ns != 0 && ns % 1000000 == 0)
        snprintf(buf, size, "%" PRId64 "ms", ns / 1000000);
    else if (ns != 0 && ns % 1000 == 0)
        snprintf(buf, size, "%" PRId64 "us", ns / 1000);
    else
        snprintf(buf, size, "%" PRId64 "ns", ns);
}

/* Links are full duplex, so the graph is undirected: one breadth-first
 * search from the first compute node over an adjacency array (CSR) built
 * in O(nodes + links). Switches relay but need not be reached. */
int ts__check_reachable(const ts_scenario *s, const char *file,
                        ts_error *err)
{
    size_t n = s->n_nodes, first = n, n_compute = 0;
    for (size_t i = 0; i < n; i++)
        if (s->nodes[i].kind != TS_NODE_SWITCH) {
            if (first == n)
                first = i;
            n_compute++;
        }
    if (n_compute <= 1)
        return TS_OK;

    size_t *start = ts_calloc(n + 1, sizeof *start);
    size_t *adj = ts_malloc((2 * s->n_links + 1) * sizeof *adj);
    size_t *queue = ts_malloc(n * sizeof *queue);
    unsigned char *seen = ts_calloc(n, 1);
    int rc = TS_OK;
    if (!start || !adj || !queue || !seen) {
        rc = ts_error_set(err, TS_ENOMEM, file, 0, "out of memory");
        goto out;
    }
    /* Counting sort of link ends by node: start[v]..start[v+1] are v's
     * neighbours, in link declaration order. */
    for (size_t l = 0; l < s->n_links; l++) {
        start[s->links[l].a + 1]++;
        start[s->links[l].b + 1]++;
    }
    for (size_t v = 0; v < n; v++)
        start[v + 1] += start[v];
    {
        size_t *fill = queue; /* reused as per-node write cursor */
        for (size_t v = 0; v < n; v++)
            fill[v] = start[v];
        for (size_t l = 0; l < s->n_links; l++) {
            size_t a = (size_t)s->links[l].a, b = (size_t)s->links[l].b;
            adj[fill[a]++] = b;
            adj[fill[b]++] = a;
        }
    }
    size_t head = 0, tail = 0;
    queue[tail++] = first;
    seen[first] = 1;
    while (head < tail) {
        size_t v = queue[head++];
        for (size_t e = start[v]; e < start[v + 1]; e++)
            if (!seen[adj[e]]) {
                seen[adj[e]] = 1;
                queue[tail++] = adj[e];
            }
    }
    for (size_t i = 0; i < n; i++)
        if (s->nodes[i].kind != TS_NODE_SWITCH && !seen[i]) {
            rc = ts_error_set(err, TS_EINVAL, file, s->nodes[i].line,
                              "node %s cannot be reached from %s over the "
                              "declared links (add a <link> joining it to "
                              "the rest of the platform)",
                              s->nodes[i].id, s->nodes[first].id);
            break;
        }
out:
    ts_free(start);
    ts_free(adj);
    ts_free(queue);
    ts_free(seen);
    return rc;
}
