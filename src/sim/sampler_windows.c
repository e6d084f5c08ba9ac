/*
 * The summary level's node and link windows (sampler_windows.h). Each
 * open window folds its samples the way the validator's health family
 * reads them (src/validate/health.c): counts and integer sums exactly,
 * greatest and least values exactly (the first of equal ones), and the
 * use fractions as sums in time order. A window begins at the sample time
 * before its first sample and holds the samples up to the first multiple
 * of the window length after that; a node's window also ends when the
 * power mode changes, so the validator can weigh the greatest power
 * against one budget.
 */
#include "sim/sampler_windows.h"

#include <math.h>
#include <string.h>

#include "toposim/alloc.h"

struct ts__state_windows {
    ts_trace_writer *trace;
    int64_t window_ns;
    size_t n_nodes, n_links;
    ts_trace_node_window *node;   /* per node row; samples 0: none open */
    int64_t *node_limit;          /* last sample time the open window takes */
    ts_trace_link_window *hop;    /* two per link */
    int64_t *hop_limit;
};

int64_t ts__state_window_ns(const ts_scenario *s)
{
    size_t nodes = 0;
    for (size_t n = 0; n < s->n_nodes; n++)
        nodes += s->nodes[n].kind != TS_NODE_SWITCH;
    int64_t period = s->sample_period_ns;
    if (period <= 0)
        return 1000000000LL;
    double bytes = (double)nodes * TS__NODE_WINDOW_BYTES +
                   2.0 * (double)s->n_links * TS__LINK_WINDOW_BYTES;
    double need_ns = bytes / TS__STATE_BYTES_PER_S * 1e9;
    double periods = ceil(need_ns / (double)period);
    if (periods < 1)
        periods = 1;
    if (periods > (double)(INT64_MAX / 2) / (double)period)
        periods = (double)(INT64_MAX / 2) / (double)period;
    return (int64_t)periods * period;
}

int ts__state_windows_new(const ts_scenario *s, ts_trace_writer *trace, int64_t window_ns,
                          ts__state_windows **out, ts_error *err)
{
    ts__state_windows *sw = ts_calloc(1, sizeof *sw);
    *out = sw;
    if (!sw)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the state windows");
    sw->trace = trace;
    sw->window_ns = window_ns > 0 ? window_ns : 1;
    sw->n_nodes = s->n_nodes;
    sw->n_links = s->n_links;
    sw->node = ts_calloc(s->n_nodes ? s->n_nodes : 1, sizeof *sw->node);
    sw->node_limit = ts_calloc(s->n_nodes ? s->n_nodes : 1, sizeof *sw->node_limit);
    sw->hop = ts_calloc(2 * (s->n_links ? s->n_links : 1), sizeof *sw->hop);
    sw->hop_limit = ts_calloc(2 * (s->n_links ? s->n_links : 1), sizeof *sw->hop_limit);
    if (!sw->node || !sw->node_limit || !sw->hop || !sw->hop_limit)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the state windows");
    return TS_OK;
}

void ts__state_windows_free(ts__state_windows *sw)
{
    if (!sw)
        return;
    ts_free(sw->node);
    ts_free(sw->node_limit);
    ts_free(sw->hop);
    ts_free(sw->hop_limit);
    ts_free(sw);
}

/* The last sample time a window beginning at start takes. */
static int64_t limit_of(const ts__state_windows *sw, int64_t start)
{
    int64_t k = start >= 0 ? start / sw->window_ns : 0;
    return (k + 1) * sw->window_ns;
}

static int flush_node(ts__state_windows *sw, ts_trace_node_window *w, ts_error *err)
{
    if (w->samples == 0)
        return TS_OK;
    int rc = ts_trace_append_node_window(sw->trace, w, err);
    w->samples = 0;
    return rc;
}

static int flush_hop(ts__state_windows *sw, ts_trace_link_window *w, ts_error *err)
{
    if (w->samples == 0)
        return TS_OK;
    int rc = ts_trace_append_link_window(sw->trace, w, err);
    w->samples = 0;
    return rc;
}

int ts__state_windows_node(ts__state_windows *sw, const ts_trace_node_state *row,
                           int64_t prev_ns, ts_error *err)
{
    if (row->node < 0 || (size_t)row->node >= sw->n_nodes)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "state window: node %d out of range",
                            (int)row->node);
    ts_trace_node_window *w = &sw->node[row->node];
    int64_t *limit = &sw->node_limit[row->node];
    if (w->samples > 0 &&
        (row->time_ns > *limit || strncmp(w->power_mode, row->power_mode,
                                          sizeof w->power_mode) != 0)) {
        int rc = flush_node(sw, w, err);
        if (rc != TS_OK)
            return rc;
    }
    if (w->samples == 0) {
        ts_trace_node_window_open(w, row, prev_ns);
        *limit = limit_of(sw, prev_ns);
    }
    ts_trace_node_window_add(w, row, prev_ns);
    return TS_OK;
}

int ts__state_windows_link(ts__state_windows *sw, const ts_trace_link_state *row,
                           int64_t prev_ns, ts_error *err)
{
    if (row->link < 0 || (size_t)row->link >= sw->n_links || row->direction < 0 ||
        row->direction > 1)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "state window: link %d out of range",
                            (int)row->link);
    size_t i = 2 * (size_t)row->link + (size_t)row->direction;
    ts_trace_link_window *w = &sw->hop[i];
    if (w->samples > 0 && row->time_ns > sw->hop_limit[i]) {
        int rc = flush_hop(sw, w, err);
        if (rc != TS_OK)
            return rc;
    }
    if (w->samples == 0) {
        ts_trace_link_window_open(w, row, prev_ns);
        sw->hop_limit[i] = limit_of(sw, prev_ns);
    }
    ts_trace_link_window_add(w, row);
    return TS_OK;
}

int ts__state_windows_finish(ts__state_windows *sw, ts_error *err)
{
    if (!sw)
        return TS_OK;
    int rc = TS_OK;
    for (size_t n = 0; rc == TS_OK && n < sw->n_nodes; n++)
        rc = flush_node(sw, &sw->node[n], err);
    for (size_t h = 0; rc == TS_OK && h < 2 * sw->n_links; h++)
        rc = flush_hop(sw, &sw->hop[h], err);
    return rc;
}
