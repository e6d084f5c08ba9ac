/* Folding node and link state samples into summary windows (trace.h):
 * one rule for the writer's summary level and the reader's fold. */
#include <math.h>
#include <string.h>

#include "toposim/trace.h"

void ts_trace_node_window_open(ts_trace_node_window *w, const ts_trace_node_state *row,
                               int64_t start_ns)
{
    /* Zeroed whole, padding included: equal traces give equal bytes. */
    memset(w, 0, sizeof *w);
    w->node = row->node;
    w->start_ns = start_ns;
    w->temp_die_max_c = NAN;
    w->temp_case_max_c = NAN;
    w->power_max_w = NAN;
    w->cpu_freq_min_hz = row->cpu_freq_hz;
    w->gpu_freq_min_hz = row->gpu_freq_hz;
    w->battery_min_wh = row->battery_wh;
    memcpy(w->power_mode, row->power_mode, sizeof w->power_mode);
    w->power_mode[sizeof w->power_mode - 1] = '\0';
}

void ts_trace_node_window_add(ts_trace_node_window *w, const ts_trace_node_state *row,
                              int64_t prev_ns)
{
    w->samples++;
    w->end_ns = row->time_ns;
    w->up_samples += row->up != 0;
    w->up_at_end = row->up != 0;
    if (row->up) {
        w->cpu_util_sum += isfinite(row->cpu_util) ? row->cpu_util : 0;
        w->gpu_util_sum += isfinite(row->gpu_util) ? row->gpu_util : 0;
    }
    if (row->cpu_util > w->cpu_util_max)
        w->cpu_util_max = row->cpu_util;
    if (row->gpu_util > w->gpu_util_max)
        w->gpu_util_max = row->gpu_util;
    if (row->memory_used_bytes > w->memory_max_bytes)
        w->memory_max_bytes = row->memory_used_bytes;
    if (isfinite(row->temp_die_c) && !(row->temp_die_c <= w->temp_die_max_c))
        w->temp_die_max_c = row->temp_die_c;
    if (isfinite(row->temp_case_c) && !(row->temp_case_c <= w->temp_case_max_c))
        w->temp_case_max_c = row->temp_case_c;
    if (row->throttle_level > 0 && row->time_ns > prev_ns)
        w->throttled_ns += row->time_ns - prev_ns;
    if (row->cpu_freq_hz < w->cpu_freq_min_hz)
        w->cpu_freq_min_hz = row->cpu_freq_hz;
    if (row->gpu_freq_hz < w->gpu_freq_min_hz)
        w->gpu_freq_min_hz = row->gpu_freq_hz;
    if (isfinite(row->power_w) && !(row->power_w <= w->power_max_w))
        w->power_max_w = row->power_w;
    w->energy_j = row->energy_j;
    w->battery_wh = row->battery_wh < 0 ? -1 : row->battery_wh;
    if (row->battery_wh < w->battery_min_wh)
        w->battery_min_wh = row->battery_wh;
    if (w->battery_min_wh < 0)
        w->battery_min_wh = -1;
}

void ts_trace_link_window_open(ts_trace_link_window *w, const ts_trace_link_state *row,
                               int64_t start_ns)
{
    memset(w, 0, sizeof *w);
    w->link = row->link;
    w->direction = row->direction;
    w->start_ns = start_ns;
}

void ts_trace_link_window_add(ts_trace_link_window *w, const ts_trace_link_state *row)
{
    w->samples++;
    w->end_ns = row->time_ns;
    w->up_samples += row->up != 0;
    double u = isfinite(row->utilisation) ? row->utilisation : 0.0;
    w->utilisation_sum += u;
    if (u > w->utilisation_max)
        w->utilisation_max = u;
    if (row->queue_bytes > w->queue_max_bytes)
        w->queue_max_bytes = row->queue_bytes;
    w->queue_sum_bytes += row->queue_bytes > 0 ? row->queue_bytes : 0;
    w->sent_packets += row->sent_packets;
    w->dropped_packets += row->dropped_packets;
    w->lost_packets += row->lost_packets;
}
