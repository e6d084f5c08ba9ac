/*
 * The power manager (deploy_power.h): reads the node's power state every
 * period, decides one step down, one step up or nothing, and asks the
 * runtime to apply it.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"
#include "toposim/deploy_power.h"

struct ts_pm {
    const ts_runtime *rt;
    ts_pm_desc d;               /* d.modes points at modes */
    ts_pm_mode *modes;          /* owned, names owned */
    ts_rt_timer timer;
    ts_rt_power last;           /* the reading a period ago */
    int64_t last_ns;
    size_t changes;
};

/* A label's rank: a mode without one (MAXN) is above every labelled one. */
static double rank(const ts_pm_mode *m)
{
    return m->label_w > 0 ? m->label_w : INFINITY;
}

/* The next mode down (dir -1) or up (dir 1) from cur by label, the lowest
 * index among equals; -1 when there is none. */
static int step(const ts_pm *pm, int cur, int dir)
{
    double here = rank(&pm->modes[cur]);
    int best = -1;
    for (size_t i = 0; i < pm->d.n_modes; i++) {
        double r = rank(&pm->modes[i]);
        if (dir < 0 ? !(r < here) : !(r > here))
            continue;
        if (best < 0 || (dir < 0 ? r > rank(&pm->modes[best]) : r < rank(&pm->modes[best])))
            best = (int)i;
    }
    return best;
}

static void change(ts_pm *pm, int from, int to, const char *why)
{
    char detail[160];
    snprintf(detail, sizeof detail, "%s -> %s: %s", pm->modes[from].name, pm->modes[to].name,
             why);
    /* The decision first, then what the platform made of it. */
    ts_rt_note(pm->rt, "power_mode_change", -1, pm->d.node, pm->modes[to].label_w, detail);
    if (ts_rt_set_power_mode(pm->rt, pm->d.node, to) != 0) {
        ts_rt_note(pm->rt, "apply_failed", -1, pm->d.node, (double)to,
                   "the platform refused a power mode change");
        return;
    }
    pm->changes++;
}

/* Whether `left_wh` less the reserve lasts `remaining_s` at drain_w. */
static int lasts(const ts_pm *pm, double left_wh, double drain_w, double remaining_s)
{
    return left_wh - pm->d.reserve_wh >= drain_w * remaining_s / 3600.0;
}

static void decide(ts_pm *pm, const ts_rt_power *now, int64_t t)
{
    int cur = now->mode;
    if (cur < 0 || (size_t)cur >= pm->d.n_modes)
        return;
    double dt_s = (double)(t - pm->last_ns) * 1e-9;
    if (!(dt_s > 0))
        return;
    double remaining_s = (double)(pm->d.end_ns - t) * 1e-9;
    int battery = now->battery_wh >= 0 && pm->last.battery_wh >= 0;
    double drain_w = battery ? (pm->last.battery_wh - now->battery_wh) * 3600.0 / dt_s : 0;
    double node_w = (now->energy_j - pm->last.energy_j) / dt_s;
    char why[128];
    int down = step(pm, cur, -1);
    if (battery && remaining_s > 0 && drain_w > 0 &&
        !lasts(pm, now->battery_wh, drain_w, remaining_s)) {
        if (down >= 0) {
            snprintf(why, sizeof why, "battery: %.3f Wh left lasts %.1f s at %.3f W, %.1f s to go",
                     now->battery_wh, (now->battery_wh - pm->d.reserve_wh) * 3600.0 / drain_w,
                     drain_w, remaining_s);
            change(pm, cur, down, why);
        }
        return;
    }
    int hot = pm->d.headroom_c > 0 && isfinite(now->die_c) && isfinite(now->throttle_c) &&
              now->die_c >= now->throttle_c - pm->d.headroom_c;
    if (hot) {
        if (down >= 0) {
            snprintf(why, sizeof why, "thermal: die %.2f C within %.1f C of its %.1f C throttle",
                     now->die_c, pm->d.headroom_c, now->throttle_c);
            change(pm, cur, down, why);
        }
        return;
    }
    int up = step(pm, cur, 1);
    int64_t online = now->online_core_ns - pm->last.online_core_ns;
    double util = online > 0 ? (double)(now->core_busy_ns - pm->last.core_busy_ns) / (double)online
                             : 0;
    if (up < 0 || !(pm->d.raise_util > 0) || util < pm->d.raise_util)
        return;
    /* The higher mode's draw, projected by the ratio of labels: only
     * between labelled modes; an unlabelled one is not projected and a
     * battery-powered robot does not move up to it. */
    double ratio = pm->modes[cur].label_w > 0 && pm->modes[up].label_w > 0
                       ? pm->modes[up].label_w / pm->modes[cur].label_w
                       : INFINITY;
    if (battery && remaining_s > 0 &&
        (!isfinite(ratio) || !lasts(pm, now->battery_wh, drain_w + node_w * (ratio - 1.0),
                                    remaining_s)))
        return;
    snprintf(why, sizeof why, "workload: %.0f%% of the online cores busy", util * 100.0);
    change(pm, cur, up, why);
}

static void on_tick(void *ctx, uint64_t arg)
{
    (void)arg;
    ts_pm *pm = ctx;
    pm->timer = 0;
    int64_t t = ts_rt_now(pm->rt);
    ts_rt_power now;
    if (ts_rt_power_state(pm->rt, pm->d.node, &now) == 0) {
        decide(pm, &now, t);
        /* Read again: a change ends the period, the next one measures the
         * new mode from here. */
        if (ts_rt_power_state(pm->rt, pm->d.node, &now) == 0) {
            pm->last = now;
            pm->last_ns = t;
        }
    }
    if (ts_rt_timer_start(pm->rt, pm->d.period_ns, on_tick, pm, 0, &pm->timer) != 0)
        ts_rt_note(pm->rt, "apply_failed", -1, pm->d.node, 0,
                   "the power manager could not set its timer and stops deciding");
}

ts_pm *ts_pm_new(const ts_runtime *rt, const ts_pm_desc *desc, ts_error *err)
{
    if (!rt || !desc || desc->n_modes < 2 || !desc->modes || !(desc->period_ns > 0) ||
        !(desc->reserve_wh >= 0) || !(desc->headroom_c >= 0) || !(desc->raise_util >= 0) ||
        desc->raise_util > 1 || desc->node < 0) {
        ts_error_set(err, TS_EINVAL, NULL, 0,
                     "power manager: needs a node, two modes or more, a period > 0, a "
                     "reserve and headroom >= 0 and a raise use in [0, 1]");
        return NULL;
    }
    ts_pm *pm = ts_calloc(1, sizeof *pm);
    if (!pm || !(pm->modes = ts_calloc(desc->n_modes, sizeof *pm->modes))) {
        ts_free(pm);
        ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory");
        return NULL;
    }
    pm->rt = rt;
    pm->d = *desc;
    pm->d.modes = pm->modes;
    for (size_t i = 0; i < desc->n_modes; i++) {
        pm->modes[i].label_w = desc->modes[i].label_w;
        pm->modes[i].name = ts_strdup(desc->modes[i].name ? desc->modes[i].name : "");
        pm->d.n_modes = i + 1;
        if (!pm->modes[i].name) {
            ts_pm_free(pm);
            ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory");
            return NULL;
        }
    }
    return pm;
}

int ts_pm_start(ts_pm *pm)
{
    if (!pm)
        return TS_EINVAL;
    int rc = ts_rt_power_state(pm->rt, pm->d.node, &pm->last);
    if (rc != 0)
        return rc;
    pm->last_ns = ts_rt_now(pm->rt);
    return ts_rt_timer_start(pm->rt, pm->d.period_ns, on_tick, pm, 0, &pm->timer);
}

void ts_pm_free(ts_pm *pm)
{
    if (!pm)
        return;
    ts_rt_timer_cancel(pm->rt, pm->timer);
    for (size_t i = 0; pm->modes && i < pm->d.n_modes; i++)
        ts_free((char *)pm->modes[i].name);
    ts_free(pm->modes);
    ts_free(pm);
}

size_t ts_pm_changes(const ts_pm *pm)
{
    return pm ? pm->changes : 0;
}
