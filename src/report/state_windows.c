/*
 * A summary trace of format 5 holds its node and link state as windows
 * (trace.h, ts_trace_node_window), not a row per sample. The platform
 * plots (data_platform.c) draw rows, so each window becomes one row at
 * its end: the greatest temperature, power, memory and queue of its
 * samples, their mean CPU, GPU and link use, the least clocks and
 * battery, summed drops and losses, up when up at its end. The page says
 * so (report.c).
 */
#include <math.h>
#include <string.h>

#include "report/report_internal.h"
#include "toposim/alloc.h"

int ts__state_rows_from_windows(const ts_trace *t, ts_trace *view, ts_error *err)
{
    *view = *t;
    view->node_state = NULL;
    view->link_state = NULL;
    view->core_state = NULL;
    view->n_node_state = view->n_link_state = view->n_core_state = 0;
    size_t nw = t->n_node_windows, lw = t->n_link_windows;
    ts_trace_node_state *ns = ts_calloc(nw ? nw : 1, sizeof *ns);
    ts_trace_link_state *ls = ts_calloc(lw ? lw : 1, sizeof *ls);
    if (!ns || !ls) {
        ts_free(ns);
        ts_free(ls);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory drawing state windows");
    }
    for (size_t i = 0; i < nw; i++) {
        const ts_trace_node_window *w = &t->node_windows[i];
        ts_trace_node_state *s = &ns[i];
        s->node = w->node;
        s->up = w->up_at_end;
        s->time_ns = w->end_ns;
        s->cpu_util = w->up_samples ? w->cpu_util_sum / w->up_samples : 0;
        s->gpu_util = w->up_samples ? w->gpu_util_sum / w->up_samples : 0;
        s->throttle_level = w->throttled_ns > 0;
        s->cpu_freq_hz = w->cpu_freq_min_hz;
        s->gpu_freq_hz = w->gpu_freq_min_hz;
        s->memory_used_bytes = w->memory_max_bytes;
        s->temp_die_c = w->temp_die_max_c;
        s->temp_case_c = w->temp_case_max_c;
        s->power_w = w->power_max_w;
        s->energy_j = w->energy_j;
        s->battery_wh = w->battery_min_wh;
        memcpy(s->power_mode, w->power_mode, sizeof s->power_mode);
        s->power_mode[sizeof s->power_mode - 1] = '\0';
    }
    for (size_t i = 0; i < lw; i++) {
        const ts_trace_link_window *w = &t->link_windows[i];
        ts_trace_link_state *s = &ls[i];
        s->link = w->link;
        s->direction = w->direction;
        s->time_ns = w->end_ns;
        s->utilisation = w->samples ? w->utilisation_sum / w->samples : 0;
        s->queue_bytes = w->queue_max_bytes;
        s->up = w->up_samples == w->samples;
        s->sent_packets = w->sent_packets;
        s->dropped_packets = w->dropped_packets;
        s->lost_packets = w->lost_packets;
    }
    view->node_state = ns;
    view->n_node_state = nw;
    view->link_state = ls;
    view->n_link_state = lw;
    return TS_OK;
}

void ts__state_rows_free(ts_trace *view)
{
    ts_free(view->node_state);
    ts_free(view->link_state);
    view->node_state = NULL;
    view->link_state = NULL;
}
