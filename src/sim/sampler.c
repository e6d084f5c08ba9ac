/*
 * The sampler: every sample period, one /node_state row per compute node,
 * one /core_state row per core and one /link_state row per link direction.
 * Models keep cumulative counters that are exact up to now; a row is the
 * difference from the previous sample, so utilisation and mean power over
 * a window are exact too (energy delta / window is the mean power, and its
 * integral over the run is the energy).
 *
 * At the summary level the rows go to the node and link windows
 * (sampler_windows.h) instead of the trace, and cores are not sampled.
 * Each shared medium's transmitter gets a /medium_state row per sample at
 * the full level and per state window at the summary level (its counters
 * are cumulative, so a longer window is as exact); a medium per access
 * point makes these few.
 *
 * What it keeps between samples is only what a row subtracts: three
 * cumulative times and the energy per compute node, the busy time per
 * core, and per link direction the busy time and the low 32 bits of four
 * packet counters (a difference taken modulo 2^32 is exact while fewer
 * than 2^32 packets pass in one window). Link directions are kept only
 * once the network has state for them (ts_network_hop_rank): before that
 * every counter is zero, and in a fleet most links carry traffic one way
 * only, so this halves the 48 bytes a link took.
 */
#include "sim/sampler.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/sampler_windows.h"
#include "toposim/alloc.h"

typedef struct node_prev {
    ts_time core_busy_ns, online_core_ns, gpu_busy_ns;
    double energy_j;
} node_prev;

typedef struct hop_prev {
    ts_time busy_ns;
    uint32_t sent, dropped, lost, down;
} hop_prev;

typedef struct medium_prev {
    ts_time busy_ns;
    uint64_t sent, dropped, lost;
} medium_prev;

struct ts__sampler {
    ts__shared sh;
    ts_trace_writer *trace;
    ts_compute *compute;
    ts_dynamics *dyn;
    ts_network *net;
    ts_time last_sample;
    node_prev *node;          /* per compute node, in node order */
    ts_time *core;            /* per core of the compute nodes, in order */
    hop_prev *hop;            /* per hop with state, by its rank */
    size_t n_hop;             /* entries in hop */
    ts__state_windows *windows; /* the summary level's, or NULL */
    medium_prev *medium;      /* per medium */
    ts_time medium_mark;      /* end of the last /medium_state window */
    ts_time medium_every;     /* its length: the sample period (full) or
                                 the state window (summary) */
};

static double ratio(double num, double den)
{
    return den > 0 ? num / den : 0.0;
}

static void fail(ts__sampler *sm, const ts_error *e)
{
    ts__bus_fail(sm->sh.bus, e);
}

static void sample_nodes(ts__sampler *sm, ts_time now, ts_time window)
{
    const ts_scenario *s = sm->sh.s;
    ts_error e;
    size_t at = 0, core_at = 0;
    for (size_t n = 0; n < s->n_nodes && !ts__bus_failed(sm->sh.bus); n++) {
        if (s->nodes[n].kind == TS_NODE_SWITCH)
            continue;
        ts_compute_node_stat st;
        ts_compute_node_stat_get(sm->compute, (int)n, &st);
        ts_dyn_state dy;
        ts_dynamics_state(sm->dyn, (int)n, &dy);
        node_prev *prev = &sm->node[at++];
        ts_trace_node_state row;
        memset(&row, 0, sizeof row);
        row.node = (int32_t)n;
        row.up = st.up && dy.up;
        row.time_ns = now;
        row.cpu_util = ratio((double)(st.core_busy_ns - prev->core_busy_ns),
                             (double)(st.online_core_ns - prev->online_core_ns));
        row.gpu_util = ratio((double)(st.gpu_busy_ns - prev->gpu_busy_ns),
                             (double)window * st.gpus);
        row.online_cores = st.online_cores;
        row.busy_cores = st.busy_cores;
        row.run_queue = st.run_queue;
        row.throttle_level = dy.throttle_level;
        row.cpu_freq_hz = dy.cpu_hz;
        row.gpu_freq_hz = dy.gpu_hz;
        row.memory_used_bytes = st.memory_used;
        row.temp_die_c = dy.die_c;
        row.temp_case_c = dy.case_c;
        row.power_w = ratio(dy.energy_j - prev->energy_j, (double)window / 1e9);
        row.energy_j = dy.energy_j;
        row.battery_wh = dy.battery_wh;
        row.fan_on = dy.fan_on;
        snprintf(row.power_mode, sizeof row.power_mode, "%s", dy.mode_name ? dy.mode_name : "");
        int rc = sm->windows ? ts__state_windows_node(sm->windows, &row, now - window, &e)
                             : ts_trace_append_node_state(sm->trace, &row, &e);
        if (rc != TS_OK) {
            fail(sm, &e);
            return;
        }
        /* The cores the scenario declares (the compute model has as many). */
        for (int c = 0; !sm->windows && c < st.cores && c < s->nodes[n].cores; c++) {
            ts_time busy = ts_compute_core_busy_ns(sm->compute, (int)n, c);
            ts_time *prev_core = &sm->core[core_at + (size_t)c];
            ts_trace_core_state cr = {(int32_t)n, c, now,
                                      ratio((double)(busy - *prev_core), (double)window)};
            *prev_core = busy;
            if (ts_trace_append_core_state(sm->trace, &cr, &e) != TS_OK) {
                fail(sm, &e);
                return;
            }
        }
        core_at += (size_t)(s->nodes[n].cores > 0 ? s->nodes[n].cores : 0);
        prev->core_busy_ns = st.core_busy_ns;
        prev->online_core_ns = st.online_core_ns;
        prev->gpu_busy_ns = st.gpu_busy_ns;
        prev->energy_j = dy.energy_j;
    }
}

/* Makes room for the hops that got state since the last sample (their
 * previous counters are zero: they had none then). Exact size, once per
 * sample at most, never per event. */
static int grow_hops(ts__sampler *sm)
{
    size_t n = ts_network_hop_ranks(sm->net);
    if (n <= sm->n_hop)
        return TS_OK;
    hop_prev *h = ts_realloc(sm->hop, n * sizeof *h);
    if (!h)
        return TS_ENOMEM;
    memset(h + sm->n_hop, 0, (n - sm->n_hop) * sizeof *h);
    sm->hop = h;
    sm->n_hop = n;
    return TS_OK;
}

static void sample_links(ts__sampler *sm, ts_time now, ts_time window)
{
    ts_error e;
    if (grow_hops(sm) != TS_OK) {
        ts_error_set(&e, TS_ENOMEM, NULL, 0, "no memory for the sampler");
        fail(sm, &e);
        return;
    }
    for (size_t l = 0; l < sm->sh.s->n_links && !ts__bus_failed(sm->sh.bus); l++) {
        for (int dir = 0; dir < 2; dir++) {
            ts_link_counters c;
            ts_network_counters(sm->net, (int)(2 * l) + dir, &c);
            int rank = ts_network_hop_rank(sm->net, (int)(2 * l) + dir);
            hop_prev none = {0, 0, 0, 0, 0};
            hop_prev *prev = rank >= 0 && (size_t)rank < sm->n_hop ? &sm->hop[rank] : &none;
            ts_trace_link_state row;
            memset(&row, 0, sizeof row);
            row.link = (int32_t)l;
            row.direction = dir;
            row.time_ns = now;
            row.utilisation = ratio((double)(c.busy_ns - prev->busy_ns), (double)window);
            row.queue_bytes = c.queue_bytes;
            row.queue_packets = (int32_t)c.queue_packets;
            row.up = c.up;
            row.sent_packets = (uint32_t)((uint32_t)c.sent_packets - prev->sent);
            row.dropped_packets = (uint32_t)((uint32_t)c.dropped_packets - prev->dropped);
            row.lost_packets = (uint32_t)((uint32_t)c.lost_packets - prev->lost) +
                               (uint32_t)((uint32_t)c.down_packets - prev->down);
            *prev = (hop_prev){c.busy_ns, (uint32_t)c.sent_packets, (uint32_t)c.dropped_packets,
                               (uint32_t)c.lost_packets, (uint32_t)c.down_packets};
            int rc = sm->windows ? ts__state_windows_link(sm->windows, &row, now - window, &e)
                                 : ts_trace_append_link_state(sm->trace, &row, &e);
            if (rc != TS_OK) {
                fail(sm, &e);
                return;
            }
        }
    }
}

/* One /medium_state row per medium for the window since the last. */
static void sample_media(ts__sampler *sm, ts_time now)
{
    ts_time window = now - sm->medium_mark;
    ts_error e;
    for (size_t m = 0; m < sm->sh.s->n_media && window > 0 && !ts__bus_failed(sm->sh.bus); m++) {
        ts_link_counters c;
        ts_network_medium_counters(sm->net, (int)m, &c);
        medium_prev *prev = &sm->medium[m];
        uint64_t lost = c.lost_packets + c.down_packets;
        ts_trace_medium_state row = {
            .medium = (int32_t)m, .time_ns = now, .window_ns = window,
            .utilisation = ratio((double)(c.busy_ns - prev->busy_ns), (double)window),
            .queue_bytes = c.queue_bytes, .queue_packets = (int32_t)c.queue_packets,
            .sent_packets = c.sent_packets - prev->sent,
            .dropped_packets = c.dropped_packets - prev->dropped,
            .lost_packets = lost - prev->lost};
        *prev = (medium_prev){c.busy_ns, c.sent_packets, c.dropped_packets, lost};
        if (ts_trace_append_medium_state(sm->trace, &row, &e) != TS_OK) {
            fail(sm, &e);
            return;
        }
    }
    sm->medium_mark = now;
}

static void take_sample(ts__sampler *sm)
{
    ts_time now = ts_engine_now(sm->sh.engine);
    ts_time window = now - sm->last_sample;
    if (window <= 0)
        return;
    sample_nodes(sm, now, window);
    sample_links(sm, now, window);
    if (now - sm->medium_mark >= sm->medium_every)
        sample_media(sm, now);
    sm->last_sample = now;
}

static void on_sample(ts_engine *engine, void *ctx, uint64_t arg)
{
    (void)arg;
    ts__sampler *sm = ctx;
    take_sample(sm);
    if (ts_engine_schedule(engine, ts_engine_now(engine) + sm->sh.s->sample_period_ns, on_sample,
                           sm, 0, NULL) != TS_OK) {
        ts_error e;
        ts_error_set(&e, TS_ENOMEM, NULL, 0, "cannot schedule the next state sample");
        fail(sm, &e);
    }
}

int64_t ts__sampler_window_ns(const ts_scenario *s, int level)
{
    return level == TS_TRACE_LEVEL_SUMMARY ? ts__state_window_ns(s) : 0;
}

int ts__sampler_start(const ts__shared *sh, int level, ts_trace_writer *trace,
                      ts_compute *compute, ts_dynamics *dyn, ts_network *net,
                      ts__sampler **out, ts_error *err)
{
    const ts_scenario *s = sh->s;
    ts__sampler *sm = ts_calloc(1, sizeof *sm);
    *out = sm;
    if (!sm)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the sampler");
    *sm = (ts__sampler){.sh = *sh, .trace = trace, .compute = compute, .dyn = dyn, .net = net};
    sm->last_sample = ts_engine_now(sh->engine);
    if (s->sample_period_ns <= 0)
        return TS_OK;   /* no samples: nothing to remember */
    size_t nodes = 0, cores = 0;
    for (size_t n = 0; n < s->n_nodes; n++)
        if (s->nodes[n].kind != TS_NODE_SWITCH) {
            nodes++;
            cores += (size_t)(s->nodes[n].cores > 0 ? s->nodes[n].cores : 0);
        }
    sm->node = ts_calloc(nodes ? nodes : 1, sizeof *sm->node);
    sm->core = ts_calloc(cores ? cores : 1, sizeof *sm->core);
    sm->medium = ts_calloc(s->n_media ? s->n_media : 1, sizeof *sm->medium);
    sm->medium_mark = sm->last_sample;
    sm->medium_every = level == TS_TRACE_LEVEL_SUMMARY ? ts__state_window_ns(s)
                                                       : s->sample_period_ns;
    if (!sm->node || !sm->core || !sm->medium)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the sampler");
    if (level == TS_TRACE_LEVEL_SUMMARY) {
        int rc = ts__state_windows_new(s, trace, ts__state_window_ns(s), &sm->windows, err);
        if (rc != TS_OK)
            return rc;
    }
    int rc = ts_engine_schedule(sh->engine, sm->last_sample + s->sample_period_ns, on_sample, sm,
                                0, NULL);
    return rc == TS_OK ? TS_OK
                       : ts_error_set(err, rc, NULL, 0, "cannot schedule the sampler");
}

void ts__sampler_finish(ts__sampler *sm)
{
    if (sm && sm->sh.s->sample_period_ns > 0 && !ts__bus_failed(sm->sh.bus)) {
        take_sample(sm);
        /* the summary level's last, shorter window */
        if (!ts__bus_failed(sm->sh.bus))
            sample_media(sm, ts_engine_now(sm->sh.engine));
    }
    ts_error e;
    if (sm && sm->windows && !ts__bus_failed(sm->sh.bus) &&
        ts__state_windows_finish(sm->windows, &e) != TS_OK)
        fail(sm, &e);
}

void ts__sampler_free(ts__sampler *sm)
{
    if (!sm)
        return;
    ts_free(sm->node);
    ts_free(sm->core);
    ts_free(sm->hop);
    ts_free(sm->medium);
    ts__state_windows_free(sm->windows);
    ts_free(sm);
}
