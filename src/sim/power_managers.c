/*
 * The robots' power managers: each robot's <power-manager> becomes a
 * ts_pm of src/deploy/ on the simulated runtime, which applies its mode
 * requests through the dynamics model (the owner of every node's mode).
 */
#include "sim/power_managers.h"

#include "toposim/alloc.h"
#include "toposim/deploy_power.h"

struct ts__power_managers {
    ts_pm **pm;
    size_t n;
};

void ts__power_managers_free(ts__power_managers *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        ts_pm_free(p->pm[i]);
    ts_free(p->pm);
    ts_free(p);
}

/* The managed node of every site with a manager (-1 elsewhere), in one
 * pass over the nodes: a node's position within its robot is counted as
 * the nodes go by. */
static int managed_nodes(const ts_scenario *s, int *node_of_site)
{
    int *pos = ts_calloc(s->n_sites ? s->n_sites : 1, sizeof *pos);
    if (!pos)
        return TS_ENOMEM;
    for (size_t i = 0; i < s->n_sites; i++)
        node_of_site[i] = -1;
    for (size_t n = 0; n < s->n_nodes; n++) {
        int site = s->nodes[n].site;
        if (site < 0)
            continue;
        if (s->sites[site].power_manager && pos[site] == s->sites[site].pm_node_pos)
            node_of_site[site] = (int)n;
        pos[site]++;
    }
    ts_free(pos);
    return TS_OK;
}

int ts__power_managers_start(const ts__shared *sh, ts__rts *rts, int64_t end,
                             ts__power_managers **out, ts_error *err)
{
    const ts_scenario *s = sh->s;
    *out = NULL;
    size_t count = 0;
    for (size_t i = 0; i < s->n_sites; i++)
        count += s->sites[i].power_manager;
    if (count == 0)
        return TS_OK;
    ts__power_managers *p = ts_calloc(1, sizeof *p);
    int *node_of_site = ts_calloc(s->n_sites, sizeof *node_of_site);
    ts_pm_mode *modes = NULL;
    int rc = TS_ENOMEM;
    if (!p || !node_of_site || !(p->pm = ts_calloc(count, sizeof *p->pm)) ||
        managed_nodes(s, node_of_site) != TS_OK) {
        ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the power managers");
        goto out;
    }
    *out = p;
    /* In site order: the order of their first timers, part of the trace. */
    for (size_t i = 0; i < s->n_sites; i++) {
        int node = node_of_site[i];
        if (!s->sites[i].power_manager || node < 0)
            continue;
        const ts_scenario_power *pw = s->nodes[node].power;
        ts_free(modes);
        modes = ts_calloc(pw->n_modes, sizeof *modes);
        if (!modes) {
            ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the power managers");
            goto out;
        }
        for (size_t m = 0; m < pw->n_modes; m++)
            modes[m] = (ts_pm_mode){pw->modes[m].name, pw->modes[m].budget_w};
        const ts_scenario_site *st = &s->sites[i];
        ts_pm_desc d = {
            .node = node,
            .modes = modes,
            .n_modes = pw->n_modes,
            .period_ns = st->pm_period_ns,
            .end_ns = end,
            .reserve_wh = st->pm_reserve_wh,
            .headroom_c = st->pm_headroom_c,
            .raise_util = st->pm_raise_util,
        };
        ts_pm *pm = ts_pm_new(ts__rts_runtime(rts), &d, err);
        if (!pm) {
            rc = err ? err->code : TS_EINVAL;
            goto out;
        }
        p->pm[p->n++] = pm;
        if ((rc = ts_pm_start(pm)) != TS_OK) {
            ts_error_set(err, rc, NULL, 0, "robot %s: the power manager cannot read node %s",
                         st->id, s->nodes[node].id);
            goto out;
        }
    }
    rc = TS_OK;
out:
    ts_free(modes);
    ts_free(node_of_site);
    if (rc != TS_OK && !*out)
        ts__power_managers_free(p);
    return rc;
}
