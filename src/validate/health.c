/*
 * Health: per link (utilisation peak and mean, queue drops, loss rate,
 * queue pressure, latency inflation over the unloaded link, time up), per
 * shared medium (air time busy, loss, shared queue: the link formula) and
 * per node (thermal headroom to the throttle point and time throttled,
 * power against the power mode's budget, CPU/GPU/memory, battery at the
 * end, time up), each folded into 0-100 by the formulas below, which the
 * README states and the unit tests check with hand values. The family
 * score is the least healthy item / 100. Items with no samples are left
 * out: nothing was measured about them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toposim/alloc.h"
#include "validate/validate_internal.h"

/* Below this an item is reported unhealthy in the checklist. */
#define HEALTHY_MIN 50.0

static double clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : x;
}

/* H_link = 100 * f_util * f_loss * f_queue, with
 *   f_util  = clamp((1 - u_mean) / 0.4): full marks up to 60 % mean busy
 *             (of the busier direction), 0 at 100 %;
 *   f_loss  = clamp(1 - loss_rate / 0.05): 0 at 5 % of packets lost;
 *   f_queue = clamp((1 - q_peak) / 0.5): full marks while the queue never
 *             fills past half its capacity.
 * Time down is reported (up_fraction) but not scored: a fault the scenario
 * injects is judged by its consequences (loss, failover, safe state). */
double ts__link_health_score(const ts_link_health *h)
{
    double f_util = clamp01((1.0 - h->util_mean) / 0.4);
    double f_loss = clamp01(1.0 - h->loss_rate / 0.05);
    double f_queue = clamp01((1.0 - h->queue_peak_fraction) / 0.5);
    return 100.0 * f_util * f_loss * f_queue;
}

/* H_node = 100 * f_thermal * f_power * f_cpu * f_gpu * f_mem * f_battery:
 *   f_thermal = clamp(headroom / 10 C) * (1 - time throttled / run), the
 *               first factor 1 when the throttle point is unknown;
 *   f_power   = 1 at or under the mode's budget, falling to 0 at 20 %
 *               over: clamp(1 - (peak / budget - 1) / 0.2); 1 with no budget;
 *   f_cpu     = clamp((1 - cpu_mean) / 0.3): full up to 70 % mean busy;
 *   f_gpu     = the same for the GPUs;
 *   f_mem     = clamp((1 - mem_peak) / 0.1): full up to 90 % of memory;
 *   f_battery = 0 when a battery ended empty, else 1.
 * Means are over the samples with the node up; time down is reported
 * (up_fraction), not scored, as for links. */
double ts__node_health_score(const ts_node_health *h, int64_t duration_ns)
{
    double f_thermal = isnan(h->headroom_c) ? 1.0 : clamp01(h->headroom_c / 10.0);
    if (duration_ns > 0)
        f_thermal *= clamp01(1.0 - (double)h->throttled_ns / (double)duration_ns);
    double f_power = 1.0;
    if (h->power_budget_w > 0 && !isnan(h->power_peak_w))
        f_power = clamp01(1.0 - (h->power_peak_w / h->power_budget_w - 1.0) / 0.2);
    double f_cpu = clamp01((1.0 - h->cpu_mean) / 0.3);
    double f_gpu = clamp01((1.0 - h->gpu_mean) / 0.3);
    double f_mem = clamp01((1.0 - h->mem_peak_fraction) / 0.1);
    double f_battery = h->battery_end_wh == 0.0 ? 0.0 : 1.0;
    return 100.0 * f_thermal * f_power * f_cpu * f_gpu * f_mem * f_battery;
}

/* One link direction's samples: a /link_state row as a window of one
 * sample, or a /link_windows row (summary level), so both levels fold the
 * same figures the same way: counts, integer sums and peaks exactly; the
 * utilisation sums (their mean per direction) within rounding, as a
 * window's sum is added whole. */
static void link_take(const ts_trace *t, ts_validation *v, const ts_trace_link_window *w,
                      double *sum, int64_t *qbytes, size_t *rows, size_t *up)
{
    ts_link_health *h = &v->links[w->link];
    const ts_trace_link *l = &t->links[w->link];
    int dir = w->direction ? 1 : 0;
    if (w->utilisation_max > h->util_peak)
        h->util_peak = w->utilisation_max;
    sum[2 * w->link + dir] += w->utilisation_sum;
    rows[2 * w->link + dir] += (size_t)w->samples;
    h->sent += w->sent_packets;
    h->dropped += w->dropped_packets;
    h->lost += w->lost_packets;
    if (l->queue_bytes > 0) {
        double q = (double)w->queue_max_bytes / (double)l->queue_bytes;
        if (q > h->queue_peak_fraction)
            h->queue_peak_fraction = q;
    }
    qbytes[w->link] += w->queue_sum_bytes;
    up[w->link] += (size_t)w->up_samples;
}

static int links_health(ts__ctx *c)
{
    const ts_trace *t = c->t;
    ts_validation *v = c->v;
    size_t nl = t->n_links;
    v->links = ts_calloc(nl ? nl : 1, sizeof *v->links);
    double *sum = ts_calloc(2 * (nl ? nl : 1), sizeof *sum);     /* util per direction */
    int64_t *qbytes = ts_calloc(nl ? nl : 1, sizeof *qbytes);   /* queue at samples, summed */
    size_t *rows = ts_calloc(2 * (nl ? nl : 1), sizeof *rows);
    size_t *up = ts_calloc(nl ? nl : 1, sizeof *up);
    int rc = TS_OK;
    if (!v->links || !sum || !qbytes || !rows || !up) {
        rc = ts_error_set(c->err, TS_ENOMEM, NULL, 0, "out of memory scoring health");
        goto out;
    }
    for (size_t i = 0; i < t->n_link_state; i++) {
        const ts_trace_link_state *s = &t->link_state[i];
        double u = isfinite(s->utilisation) ? s->utilisation : 0.0;
        ts_trace_link_window one = {
            s->link, s->direction ? 1 : 0, 0, 0, 1, s->up != 0, u, u, s->queue_bytes,
            s->queue_bytes > 0 ? s->queue_bytes : 0, s->sent_packets, s->dropped_packets,
            s->lost_packets};
        link_take(t, v, &one, sum, qbytes, rows, up);
    }
    for (size_t i = 0; i < t->n_link_windows; i++)
        link_take(t, v, &t->link_windows[i], sum, qbytes, rows, up);
    for (size_t i = 0; i < nl; i++) {
        ts_link_health *h = &v->links[i];
        const ts_trace_link *l = &t->links[i];
        size_t n = rows[2 * i] + rows[2 * i + 1];
        h->link = (int32_t)i;
        ts__copy_name(h->name, sizeof h->name, l->name, sizeof l->name);
        if (!n) {
            h->score = NAN;
            h->inflation = NAN;
            h->util_mean = NAN;
            h->loss_rate = NAN;
            h->up_fraction = NAN;
            continue;
        }
        for (int d = 0; d < 2; d++)
            if (rows[2 * i + d]) {
                double m = sum[2 * i + d] / (double)rows[2 * i + d];
                if (m > h->util_mean)
                    h->util_mean = m;
            }
        uint64_t attempted = h->sent + h->lost;
        h->loss_rate = attempted ? (double)(h->dropped + h->lost) / (double)attempted : 0.0;
        if (h->loss_rate > 1)
            h->loss_rate = 1;
        double lat_s = (double)l->latency_ns / 1e9;
        double qdelay = l->bandwidth_bps > 0 ? (double)qbytes[i] * 8.0 / l->bandwidth_bps : 0;
        h->inflation = lat_s > 0 ? (lat_s + qdelay / (double)n) / lat_s : NAN;
        h->up_fraction = (double)up[i] / (double)n;
        h->score = ts__link_health_score(h);
    }
    v->n_links = nl;
out:
    ts_free(sum);
    ts_free(qbytes);
    ts_free(rows);
    ts_free(up);
    return rc;
}

/* Shared media (/medium_state, format 6): a row is the medium's one
 * transmitter over a window (a sample period in a full trace, a state
 * window in a summary one), so the peak is the busiest window and the mean
 * is weighted by window length (the windows of a full trace are equal;
 * a summary trace's last one may be short). A summary trace's peak is
 * thus a state window's mean, never above the full trace's peak. The
 * score is the link formula (ts__link_health_score) over the same three
 * figures: air time busy, packets lost, shared queue at its peak. */
static void medium_take(const ts_trace *t, ts_medium_health *h,
                        const ts_trace_medium_state *s, double *busy_ns, double *span_ns,
                        size_t *rows)
{
    double u = isfinite(s->utilisation) && s->utilisation > 0 ? s->utilisation : 0.0;
    double w = s->window_ns > 0 ? (double)s->window_ns : 0.0;
    if (u > h->util_peak)
        h->util_peak = u;
    *busy_ns += u * w;
    *span_ns += w;
    h->util_mean += u; /* the plain sum, used when no window has a length */
    (*rows)++;
    h->sent += s->sent_packets;
    h->dropped += s->dropped_packets;
    h->lost += s->lost_packets;
    const ts_trace_medium *m = &t->media[s->medium];
    if (m->queue_bytes > 0 && s->queue_bytes > 0) {
        double q = (double)s->queue_bytes / (double)m->queue_bytes;
        if (q > h->queue_peak_fraction)
            h->queue_peak_fraction = q;
    }
}

static int media_health(ts__ctx *c)
{
    const ts_trace *t = c->t;
    ts_validation *v = c->v;
    size_t nm = t->n_media;
    v->media = ts_calloc(nm ? nm : 1, sizeof *v->media);
    double *busy = ts_calloc(nm ? nm : 1, sizeof *busy);
    double *span = ts_calloc(nm ? nm : 1, sizeof *span);
    size_t *rows = ts_calloc(nm ? nm : 1, sizeof *rows);
    int rc = TS_OK;
    if (!v->media || !busy || !span || !rows) {
        rc = ts_error_set(c->err, TS_ENOMEM, NULL, 0, "out of memory scoring health");
        goto out;
    }
    for (size_t i = 0; i < t->n_medium_state; i++) {
        const ts_trace_medium_state *s = &t->medium_state[i];
        if (ts__in_range(s->medium, nm))
            medium_take(t, &v->media[s->medium], s, &busy[s->medium], &span[s->medium],
                        &rows[s->medium]);
    }
    for (size_t i = 0; i < nm; i++) {
        ts_medium_health *h = &v->media[i];
        const ts_trace_medium *m = &t->media[i];
        h->medium = (int32_t)i;
        h->links = m->links;
        ts__copy_name(h->name, sizeof h->name, m->name, sizeof m->name);
        if (!rows[i]) {
            h->score = NAN;
            h->util_mean = NAN;
            h->loss_rate = NAN;
            continue;
        }
        h->util_mean = span[i] > 0 ? busy[i] / span[i] : h->util_mean / (double)rows[i];
        uint64_t attempted = h->sent + h->lost;
        h->loss_rate = attempted ? (double)(h->dropped + h->lost) / (double)attempted : 0.0;
        if (h->loss_rate > 1)
            h->loss_rate = 1;
        ts_link_health as_link = {.util_mean = h->util_mean, .loss_rate = h->loss_rate,
                                  .queue_peak_fraction = h->queue_peak_fraction};
        h->score = ts__link_health_score(&as_link);
    }
    v->n_media = nm;
out:
    ts_free(busy);
    ts_free(span);
    ts_free(rows);
    return rc;
}

/* The over-current limit of node's power mode (/power_limits, format 6),
 * NaN when it declares none. On a Jetson the mode's budget is a label:
 * its caps, not a meter, hold the draw, and a measured draw may exceed
 * it (an Orin NX 16GB drew 29.4 W in MAXN_SUPER and 16.9 W in its 25W
 * mode under a CPU and tensor-core load); what the module enforces is the
 * over-current limit, so that is what power is judged against when the
 * model declares one. */
static double oc_limit_of(const ts_trace *t, int32_t node, const char *mode)
{
    for (size_t i = 0; i < t->n_power_limits; i++) {
        const ts_trace_power_limit *l = &t->power_limits[i];
        if (l->node == node && strncmp(l->mode, mode, sizeof l->mode) == 0)
            return l->oc_limit_w > 0 ? l->oc_limit_w : NAN;
    }
    return NAN;
}

/* The budget of node's power mode: /power_modes (format 3), else the
 * watts its name states. */
static double budget_of(const ts_trace *t, int32_t node, const char *mode)
{
    int listed = 0;
    for (size_t i = 0; i < t->n_power_modes; i++) {
        const ts_trace_power_mode *m = &t->power_modes[i];
        if (m->node != node)
            continue;
        listed = 1;
        if (strncmp(m->name, mode, sizeof m->name) == 0)
            return m->budget_w > 0 ? m->budget_w : NAN;
    }
    return listed ? NAN : ts__mode_budget(mode);
}

/* The watts in a power mode's name ("10W", "15W"), NaN when it names none
 * ("MAXN"). */
double ts__mode_budget(const char *mode)
{
    for (const char *p = mode; *p; p++)
        if (*p >= '0' && *p <= '9') {
            char *end;
            double w = strtod(p, &end);
            if ((*end == 'W' || *end == 'w') && w > 0)
                return w;
            p = end - 1;
        }
    return NAN;
}

/* A node's throttle point: /nodes throttle_c (format 3), else the die
 * temperature its "throttle" events state; NaN when unknown. */
static double throttle_point(const ts_trace *t, int32_t node)
{
    if (t->format_version >= 3 && isfinite(t->nodes[node].throttle_c))
        return t->nodes[node].throttle_c;
    for (size_t i = 0; i < t->n_events; i++)
        if (t->events[i].node == node && ts__event_is(&t->events[i], "throttle") &&
            isfinite(t->events[i].value))
            return t->events[i].value;
    return NAN;
}

/* The power peak: the sample furthest over its own mode's budget, else
 * the highest draw (modes may change during the run); of equal ones the
 * first. A node window holds one mode, so its greatest draw is also its
 * furthest over that budget. */
static void power_take(const ts_trace *t, ts_node_health *h, int32_t node, double power_w,
                       const char *power_mode, size_t mode_size)
{
    if (!isfinite(power_w))
        return;
    char mode[sizeof ((ts_trace_node_state *)0)->power_mode + 1];
    ts__copy_name(mode, sizeof mode, power_mode, mode_size);
    double label = mode[0] ? budget_of(t, node, mode) : NAN;
    double oc = mode[0] ? oc_limit_of(t, node, mode) : NAN;
    double b = oc > 0 ? oc : label;
    double r = b > 0 ? power_w / b : NAN;
    double hr = h->power_budget_w > 0 ? h->power_peak_w / h->power_budget_w : NAN;
    int better = isnan(h->power_peak_w) || (!isnan(r) && (isnan(hr) || r > hr)) ||
                 (isnan(r) && isnan(hr) && power_w > h->power_peak_w);
    if (better) {
        h->power_peak_w = power_w;
        h->power_budget_w = b;
        h->power_label_w = label;
        ts__copy_name(h->power_mode, sizeof h->power_mode, mode, sizeof mode);
    }
}

/* One node's samples: a /node_state row as a window of one sample, or a
 * /node_windows row (summary level). Peaks, counts, the time throttled,
 * the energy and battery at the end are exact at both levels; the use
 * sums (their means) within rounding. */
static void node_take(const ts_trace *t, ts_validation *v, const ts_trace_node_window *w,
                      size_t *rows, size_t *up)
{
    ts_node_health *h = &v->nodes[w->node];
    rows[w->node] += (size_t)w->samples;
    up[w->node] += (size_t)w->up_samples;
    if (isfinite(w->temp_die_max_c) && !(w->temp_die_max_c <= h->temp_peak_c))
        h->temp_peak_c = w->temp_die_max_c;
    h->throttled_ns += w->throttled_ns;
    power_take(t, h, w->node, w->power_max_w, w->power_mode, sizeof w->power_mode);
    h->energy_j = w->energy_j;
    if (w->cpu_util_max > h->cpu_peak)
        h->cpu_peak = w->cpu_util_max;
    if (w->gpu_util_max > h->gpu_peak)
        h->gpu_peak = w->gpu_util_max;
    h->cpu_mean += w->cpu_util_sum;
    h->gpu_mean += w->gpu_util_sum;
    if (t->nodes[w->node].memory_bytes > 0) {
        double m = (double)w->memory_max_bytes / (double)t->nodes[w->node].memory_bytes;
        if (m > h->mem_peak_fraction)
            h->mem_peak_fraction = m;
    }
    h->battery_end_wh = w->battery_wh < 0 ? -1 : w->battery_wh;
}

static int nodes_health(ts__ctx *c)
{
    const ts_trace *t = c->t;
    ts_validation *v = c->v;
    size_t nn = t->n_nodes;
    v->nodes = ts_calloc(nn ? nn : 1, sizeof *v->nodes);
    size_t *rows = ts_calloc(nn ? nn : 1, sizeof *rows);
    size_t *up = ts_calloc(nn ? nn : 1, sizeof *up);
    int64_t *last = ts_calloc(nn ? nn : 1, sizeof *last);
    int rc = TS_OK;
    if (!v->nodes || !rows || !up || !last) {
        rc = ts_error_set(c->err, TS_ENOMEM, NULL, 0, "out of memory scoring health");
        goto out;
    }
    for (size_t i = 0; i < nn; i++) {
        ts_node_health *h = &v->nodes[i];
        h->node = (int32_t)i;
        ts__copy_name(h->name, sizeof h->name, t->nodes[i].name, sizeof t->nodes[i].name);
        h->temp_peak_c = NAN;
        h->power_peak_w = NAN;
        h->power_budget_w = NAN;
        h->power_label_w = NAN;
        h->battery_end_wh = -1;
    }
    for (size_t i = 0; i < t->n_node_state; i++) {
        const ts_trace_node_state *s = &t->node_state[i];
        int64_t window = s->time_ns - last[s->node];
        last[s->node] = s->time_ns;
        int up_now = s->up != 0;
        ts_trace_node_window one;
        memset(&one, 0, sizeof one);
        one.node = s->node;
        one.samples = 1;
        one.up_samples = up_now;
        one.up_at_end = up_now;
        one.cpu_util_sum = up_now && isfinite(s->cpu_util) ? s->cpu_util : 0;
        one.gpu_util_sum = up_now && isfinite(s->gpu_util) ? s->gpu_util : 0;
        one.cpu_util_max = s->cpu_util > 0 ? s->cpu_util : 0;
        one.gpu_util_max = s->gpu_util > 0 ? s->gpu_util : 0;
        one.memory_max_bytes = s->memory_used_bytes > 0 ? s->memory_used_bytes : 0;
        one.temp_die_max_c = isfinite(s->temp_die_c) ? s->temp_die_c : NAN;
        one.throttled_ns = s->throttle_level > 0 && window > 0 ? window : 0;
        one.power_max_w = isfinite(s->power_w) ? s->power_w : NAN;
        one.energy_j = s->energy_j;
        one.battery_wh = s->battery_wh < 0 ? -1 : s->battery_wh;
        memcpy(one.power_mode, s->power_mode, sizeof one.power_mode);
        node_take(t, v, &one, rows, up);
    }
    for (size_t i = 0; i < t->n_node_windows; i++)
        node_take(t, v, &t->node_windows[i], rows, up);
    for (size_t i = 0; i < nn; i++) {
        ts_node_health *h = &v->nodes[i];
        if (!rows[i]) {
            h->score = NAN;
            h->headroom_c = NAN;
            h->throttle_c = NAN;
            h->up_fraction = NAN;
            continue;
        }
        h->cpu_mean = up[i] ? h->cpu_mean / (double)up[i] : 0;
        h->gpu_mean = up[i] ? h->gpu_mean / (double)up[i] : 0;
        h->up_fraction = (double)up[i] / (double)rows[i];
        h->throttle_c = throttle_point(t, (int32_t)i);
        h->headroom_c = h->throttle_c - h->temp_peak_c;
        h->score = ts__node_health_score(h, t->duration_ns);
    }
    v->n_nodes = nn;
out:
    ts_free(rows);
    ts_free(up);
    ts_free(last);
    return rc;
}

int ts__score_health(ts__ctx *c)
{
    int rc = links_health(c);
    if (!rc)
        rc = media_health(c);
    if (!rc)
        rc = nodes_health(c);
    if (rc)
        return rc;
    ts_validation *v = c->v;
    double worst = 100.0;
    size_t n = 0;
    for (size_t i = 0; i < v->n_links && !rc; i++) {
        const ts_link_health *h = &v->links[i];
        if (isnan(h->score))
            continue;
        n++;
        worst = fmin(worst, h->score);
        rc = ts__add_check(c, TS_FAMILY_HEALTH, "link", h->name,
                           h->score >= HEALTHY_MIN ? TS_CHECK_PASS : TS_CHECK_FAIL, h->score,
                           HEALTHY_MIN,
                           "busy %.0f%% at peak, %.0f%% mean; %.2f%% of packets lost; queue "
                           "%.0f%% full at peak", 100 * h->util_peak, 100 * h->util_mean,
                           100 * h->loss_rate, 100 * h->queue_peak_fraction);
    }
    for (size_t i = 0; i < v->n_media && !rc; i++) {
        const ts_medium_health *h = &v->media[i];
        if (isnan(h->score))
            continue;
        n++;
        worst = fmin(worst, h->score);
        rc = ts__add_check(c, TS_FAMILY_HEALTH, "medium", h->name,
                           h->score >= HEALTHY_MIN ? TS_CHECK_PASS : TS_CHECK_FAIL, h->score,
                           HEALTHY_MIN,
                           "air time busy %.0f%% at peak, %.0f%% mean over %d link(s); %.2f%% "
                           "of packets lost; shared queue %.0f%% full at peak",
                           100 * h->util_peak, 100 * h->util_mean, (int)h->links,
                           100 * h->loss_rate, 100 * h->queue_peak_fraction);
    }
    for (size_t i = 0; i < v->n_nodes && !rc; i++) {
        const ts_node_health *h = &v->nodes[i];
        if (isnan(h->score))
            continue;
        n++;
        worst = fmin(worst, h->score);
        char thermal[96] = "", power[96] = "";
        if (!isnan(h->headroom_c))
            snprintf(thermal, sizeof thermal, "; %.1f C headroom, throttled %.1f s",
                     h->headroom_c, (double)h->throttled_ns / 1e9);
        else if (!isnan(h->temp_peak_c))
            snprintf(thermal, sizeof thermal, "; peak %.1f C", h->temp_peak_c);
        if (!isnan(h->power_budget_w))
            snprintf(power, sizeof power, "; %.2f W peak of %.0f W (%s)", h->power_peak_w,
                     h->power_budget_w, h->power_mode);
        rc = ts__add_check(c, TS_FAMILY_HEALTH, "node", h->name,
                           h->score >= HEALTHY_MIN ? TS_CHECK_PASS : TS_CHECK_FAIL, h->score,
                           HEALTHY_MIN, "cpu %.0f%% mean, gpu %.0f%% mean, memory %.0f%% peak%s%s",
                           100 * h->cpu_mean, 100 * h->gpu_mean, 100 * h->mem_peak_fraction,
                           thermal, power);
    }
    if (rc)
        return rc;
    v->family_items[TS_FAMILY_HEALTH] = n;
    v->family_score[TS_FAMILY_HEALTH] = n ? worst / 100.0 : 1.0;
    return TS_OK;
}
