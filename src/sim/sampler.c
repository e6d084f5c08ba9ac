/*
 * The sampler: every sample period, one /node_state row per compute node,
 * one /core_state row per core and one /link_state row per link direction.
 * Models keep cumulative counters that are exact up to now; a row is the
 * difference from the previous sample, so utilisation and mean power over
 * a window are exact too (energy delta / window is the mean power, and its
 * integral over the run is the energy).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/world_internal.h"
#include "toposim/alloc.h"

static double ratio(double num, double den)
{
    return den > 0 ? num / den : 0.0;
}

static void sample_nodes(world *w, ts_time now, ts_time window)
{
    const ts_scenario *s = w->s;
    ts_error e;
    for (size_t n = 0; n < s->n_nodes && !w->failed; n++) {
        if (s->nodes[n].kind == TS_NODE_SWITCH)
            continue;
        ts_compute_node_stat st;
        ts_compute_node_stat_get(w->compute, (int)n, &st);
        ts_dyn_state dy;
        ts_dynamics_state(w->dyn, (int)n, &dy);
        ts_compute_node_stat *prev = &w->prev_node[n];
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
        row.power_w = ratio(dy.energy_j - w->prev_energy[n], (double)window / 1e9);
        row.energy_j = dy.energy_j;
        row.battery_wh = dy.battery_wh;
        row.fan_on = dy.fan_on;
        snprintf(row.power_mode, sizeof row.power_mode, "%s", dy.mode_name ? dy.mode_name : "");
        if (ts_trace_append_node_state(w->trace, &row, &e) != TS_OK) {
            ts__world_fail(w, &e);
            return;
        }
        for (int c = 0; c < st.cores; c++) {
            ts_time busy = ts_compute_core_busy_ns(w->compute, (int)n, c);
            ts_time *prev_core = &w->prev_core[w->core_first[n] + (size_t)c];
            ts_trace_core_state cr = {(int32_t)n, c, now,
                                      ratio((double)(busy - *prev_core), (double)window)};
            *prev_core = busy;
            if (ts_trace_append_core_state(w->trace, &cr, &e) != TS_OK) {
                ts__world_fail(w, &e);
                return;
            }
        }
        *prev = st;
        w->prev_energy[n] = dy.energy_j;
    }
}

static void sample_links(world *w, ts_time now, ts_time window)
{
    ts_error e;
    for (size_t l = 0; l < w->s->n_links && !w->failed; l++) {
        for (int dir = 0; dir < 2; dir++) {
            ts_link_counters c;
            ts_network_counters(w->net, (int)(2 * l) + dir, &c);
            ts_link_counters *prev = &w->prev_hop[2 * l + (size_t)dir];
            ts_trace_link_state row;
            memset(&row, 0, sizeof row);
            row.link = (int32_t)l;
            row.direction = dir;
            row.time_ns = now;
            row.utilisation = ratio((double)(c.busy_ns - prev->busy_ns), (double)window);
            row.queue_bytes = c.queue_bytes;
            row.queue_packets = (int32_t)c.queue_packets;
            row.up = c.up;
            row.sent_packets = c.sent_packets - prev->sent_packets;
            row.dropped_packets = c.dropped_packets - prev->dropped_packets;
            row.lost_packets = (c.lost_packets - prev->lost_packets) +
                               (c.down_packets - prev->down_packets);
            *prev = c;
            if (ts_trace_append_link_state(w->trace, &row, &e) != TS_OK) {
                ts__world_fail(w, &e);
                return;
            }
        }
    }
}

static void take_sample(world *w)
{
    ts_time now = ts_engine_now(w->engine);
    ts_time window = now - w->last_sample;
    if (window <= 0)
        return;
    sample_nodes(w, now, window);
    sample_links(w, now, window);
    w->last_sample = now;
}

static void on_sample(ts_engine *engine, void *ctx, uint64_t arg)
{
    (void)arg;
    world *w = ctx;
    take_sample(w);
    if (ts_engine_schedule(engine, ts_engine_now(engine) + w->s->sample_period_ns, on_sample, w,
                           0, NULL) != TS_OK) {
        ts_error e;
        ts_error_set(&e, TS_ENOMEM, NULL, 0, "cannot schedule the next state sample");
        ts__world_fail(w, &e);
    }
}

int ts__world_sampler_start(world *w, ts_error *err)
{
    const ts_scenario *s = w->s;
    size_t nn = s->n_nodes ? s->n_nodes : 1;
    size_t total_cores = 0;
    w->core_first = ts_calloc(nn, sizeof *w->core_first);
    if (w->core_first)
        for (size_t n = 0; n < s->n_nodes; n++) {
            w->core_first[n] = total_cores;
            total_cores += (size_t)s->nodes[n].cores;
        }
    w->prev_node = ts_calloc(nn, sizeof *w->prev_node);
    w->prev_energy = ts_calloc(nn, sizeof *w->prev_energy);
    w->prev_core = ts_calloc(total_cores ? total_cores : 1, sizeof *w->prev_core);
    w->prev_hop = ts_calloc(2 * (s->n_links ? s->n_links : 1), sizeof *w->prev_hop);
    if (!w->core_first || !w->prev_node || !w->prev_energy || !w->prev_core || !w->prev_hop)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the sampler");
    w->last_sample = ts_engine_now(w->engine);
    if (s->sample_period_ns <= 0)
        return TS_OK;
    int rc = ts_engine_schedule(w->engine, w->last_sample + s->sample_period_ns,
                                on_sample, w, 0, NULL);
    return rc == TS_OK ? TS_OK
                       : ts_error_set(err, rc, NULL, 0, "cannot schedule the sampler");
}

void ts__world_sampler_finish(world *w)
{
    if (w->s->sample_period_ns > 0 && !w->failed)
        take_sample(w);
}

void ts__world_sampler_free(world *w)
{
    ts_free(w->core_first);
    ts_free(w->prev_node);
    ts_free(w->prev_energy);
    ts_free(w->prev_core);
    ts_free(w->prev_hop);
}
