/*
 * The fleet on the simulated runtime: each fleet's coordinator component
 * hears every member robot's agent (on the node agent of the robot's
 * first compute node) register and send telemetry at the coordinator's
 * rate; and each robot's effective configuration (the scenario's global
 * <config> merged with its overrides, robot wins) is recorded as one
 * "config" event per parameter at the start.
 */
#include "sim/fleet.h"

#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"
#include "toposim/deploy.h"

struct ts__fleet {
    ts__shared sh;
    const ts_runtime *rt;
    ts_fleet_coord **coords;        /* per fleet, or NULL */
    ts_fleet_agent **agents;        /* per site, or NULL */
};

/* Every site's agent endpoint in one pass over the nodes (the rule of
 * the controller's ts_ctl_site_agent: the site's first node that is not a switch), so
 * that a fleet of N robots costs O(nodes), not N look-ups of O(nodes). */
static int *site_agents(const ts__fleet *w)
{
    const ts_scenario *s = w->sh.s;
    int *agent = ts_malloc((s->n_sites ? s->n_sites : 1) * sizeof *agent);
    if (!agent)
        return NULL;
    for (size_t i = 0; i < s->n_sites; i++)
        agent[i] = -1;
    for (size_t n = 0; n < s->n_nodes; n++) {
        int site = s->nodes[n].site;
        if (site >= 0 && agent[site] < 0 && s->nodes[n].kind != TS_NODE_SWITCH)
            agent[site] = (int)(s->n_components + n);
    }
    return agent;
}

/* One robot's merged configuration, as events: the ng global parameters
 * and the robot's no overrides. */
static int record_config(ts__fleet *w, int site, int agent, const ts_fleet_param *global,
                         size_t ng, const ts_fleet_param *over, size_t no, ts_error *err)
{
    const ts_scenario *s = w->sh.s;
    ts_fleet_config cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = ts_fleet_merge(global, ng, over, no, &cfg, err);
    for (size_t i = 0; rc == TS_OK && i < cfg.n; i++) {
        ts_platform_event ev = {ts_engine_now(w->sh.engine), TS_EV_CONFIG, -1, -1, -1, 0, "", NULL};
        ev.node = agent >= 0 ? (int)((size_t)agent - s->n_components) : -1;
        snprintf(ev.detail, sizeof ev.detail, "%.40s: %.48s = %.48s%s", s->sites[site].id,
                 cfg.entries[i].key, cfg.entries[i].value,
                 cfg.entries[i].overridden ? " (robot override)" : "");
        ts__bus_post(w->sh.bus, &ev);
    }
    ts_fleet_config_fini(&cfg);
    return rc;
}

/* Every robot's configuration, in site order: the parameters are grouped
 * by site once (each site's overrides in declaration order), so the cost
 * is O(sites + parameters). */
static int record_configs(ts__fleet *w, const int *agent, ts_error *err)
{
    const ts_scenario *s = w->sh.s;
    size_t np = s->n_params ? s->n_params : 1, ns = s->n_sites;
    ts_fleet_param *global = ts_calloc(np, sizeof *global);
    ts_fleet_param *over = ts_calloc(np, sizeof *over);
    size_t *first = ts_calloc(ns + 1, sizeof *first);
    size_t *fill = ts_calloc(ns + 1, sizeof *fill);
    int rc = TS_OK;
    if (!global || !over || !first || !fill) {
        rc = ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the fleet configuration");
        goto out;
    }
    size_t ng = 0;
    for (size_t i = 0; i < s->n_params; i++) {
        int site = s->params[i].site;
        if (site < 0)
            global[ng++] = (ts_fleet_param){s->params[i].name, s->params[i].value};
        else if ((size_t)site < ns)
            first[site + 1]++;
    }
    for (size_t i = 0; i < ns; i++)
        first[i + 1] += first[i];
    for (size_t i = 0; i < s->n_params; i++) {
        int site = s->params[i].site;
        if (site >= 0 && (size_t)site < ns)
            over[first[site] + fill[site]++] =
                (ts_fleet_param){s->params[i].name, s->params[i].value};
    }
    for (size_t site = 0; site < ns && rc == TS_OK; site++)
        if (s->sites[site].tier == TS_TIER_ROBOT)
            rc = record_config(w, (int)site, agent[site], global, ng, over + first[site],
                               first[site + 1] - first[site], err);
out:
    ts_free(global);
    ts_free(over);
    ts_free(first);
    ts_free(fill);
    return rc;
}

/* One fleet's coordinator and its members' agents: the members are the
 * fleet's sites that have an agent, in site order, however many. */
static int start_fleet(ts__fleet *f, size_t fi, const int *agent, ts_error *err)
{
    const ts_scenario *s = f->sh.s;
    const ts_scenario_fleet *fl = &s->fleets[fi];
    size_t cap = s->n_sites ? s->n_sites : 1;
    int *agents = ts_malloc(cap * sizeof *agents);
    const char **names = ts_malloc(cap * sizeof *names);
    int *sites = ts_malloc(cap * sizeof *sites);
    int rc = TS_OK;
    if (!agents || !names || !sites) {
        rc = ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the fleet");
        goto out;
    }
    size_t n = 0;
    for (size_t site = 0; site < s->n_sites; site++)
        if (s->sites[site].fleet == (int)fi && agent[site] >= 0) {
            agents[n] = agent[site];
            names[n] = s->sites[site].id;
            sites[n++] = (int)site;
        }
    int64_t period = s->components[fl->coordinator].shared->period_ns;
    ts_fleet_coord_desc cd = {fl->coordinator, agents, names, n, period, 0};
    if ((rc = ts_fleet_coord_new(f->rt, &cd, &f->coords[fi], err)) != TS_OK ||
        (rc = ts_fleet_coord_start(f->coords[fi])) != TS_OK)
        goto out;
    for (size_t k = 0; k < n && rc == TS_OK; k++) {
        ts_fleet_agent_desc ad = {agents[k], fl->coordinator, (int)k, -1, period, 0};
        if ((rc = ts_fleet_agent_new(f->rt, &ad, &f->agents[sites[k]], err)) == TS_OK)
            rc = ts_fleet_agent_start(f->agents[sites[k]]);
    }
out:
    ts_free(agents);
    ts_free(names);
    ts_free(sites);
    return rc;
}

int ts__fleet_start(const ts__shared *sh, ts__rts *rts, ts__fleet **out, ts_error *err)
{
    const ts_scenario *s = sh->s;
    *out = NULL;
    if (s->n_fleets == 0 && s->n_params == 0)
        return TS_OK;
    ts__fleet *f = ts_calloc(1, sizeof *f);
    *out = f;
    if (!f)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the fleet");
    f->sh = *sh;
    f->rt = ts__rts_runtime(rts);
    /* Robot agents only in fleets with a coordinator to talk to. */
    int coordinated = 0;
    for (size_t fi = 0; fi < s->n_fleets; fi++)
        coordinated |= s->fleets[fi].coordinator >= 0;
    f->coords = ts_calloc(s->n_fleets ? s->n_fleets : 1, sizeof *f->coords);
    if (coordinated)
        f->agents = ts_calloc(s->n_sites ? s->n_sites : 1, sizeof *f->agents);
    int *agent = site_agents(f);
    int rc = TS_OK;
    if (!f->coords || (coordinated && !f->agents) || !agent)
        rc = ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the fleet");
    if (rc == TS_OK && s->n_params)
        rc = record_configs(f, agent, err);
    for (size_t fi = 0; fi < s->n_fleets && rc == TS_OK; fi++)
        if (s->fleets[fi].coordinator >= 0)
            rc = start_fleet(f, fi, agent, err);
    ts_free(agent);
    if (rc != TS_OK && err && !err->file[0])
        snprintf(err->file, sizeof err->file, "%s", s->path);
    return rc;
}

void ts__fleet_free(ts__fleet *f)
{
    if (!f)
        return;
    if (f->agents)
        for (size_t i = 0; i < f->sh.s->n_sites; i++)
            ts_fleet_agent_free(f->agents[i]);
    if (f->coords)
        for (size_t i = 0; i < f->sh.s->n_fleets; i++)
            ts_fleet_coord_free(f->coords[i]);
    ts_free(f->agents);
    ts_free(f->coords);
    ts_free(f);
}
