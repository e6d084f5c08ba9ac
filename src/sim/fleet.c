/*
 * The fleet on the simulated runtime: each fleet's coordinator component
 * hears every member robot's agent (on the node agent of the robot's
 * first compute node) register and send telemetry at the coordinator's
 * rate; and each robot's effective configuration (the scenario's global
 * <config> merged with its overrides, robot wins) is recorded as one
 * "config" event per parameter at the start.
 */
#include <stdio.h>
#include <string.h>

#include "sim/world_internal.h"
#include "toposim/alloc.h"
#include "toposim/deploy.h"

typedef struct ts__fleet {
    ts_fleet_coord **coords;        /* per fleet, or NULL */
    ts_fleet_agent **agents;        /* per site, or NULL */
} ts__fleet;

/* One robot's merged configuration, as events. */
static int record_config(world *w, int site, ts_error *err)
{
    const ts_scenario *s = w->s;
    size_t ng = 0, no = 0;
    ts_fleet_param *global = ts_calloc(s->n_params ? s->n_params : 1, sizeof *global);
    ts_fleet_param *over = ts_calloc(s->n_params ? s->n_params : 1, sizeof *over);
    if (!global || !over) {
        ts_free(global);
        ts_free(over);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the fleet configuration");
    }
    for (size_t i = 0; i < s->n_params; i++) {
        if (s->params[i].site < 0)
            global[ng++] = (ts_fleet_param){s->params[i].name, s->params[i].value};
        else if (s->params[i].site == site)
            over[no++] = (ts_fleet_param){s->params[i].name, s->params[i].value};
    }
    ts_fleet_config cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = ts_fleet_merge(global, ng, over, no, &cfg, err);
    for (size_t i = 0; rc == TS_OK && i < cfg.n; i++) {
        ts_platform_event ev = {ts_engine_now(w->engine), "config", -1, -1, -1, 0, ""};
        int agent = ts__world_site_agent(w, site);
        ev.node = agent >= 0 ? (int)((size_t)agent - s->n_components) : -1;
        snprintf(ev.detail, sizeof ev.detail, "%.40s: %.48s = %.48s%s", s->sites[site].id,
                 cfg.entries[i].key, cfg.entries[i].value,
                 cfg.entries[i].overridden ? " (robot override)" : "");
        ts__world_on_event(w, &ev);
    }
    ts_fleet_config_fini(&cfg);
    ts_free(global);
    ts_free(over);
    return rc;
}

int ts__world_fleet_start(world *w, ts_error *err)
{
    const ts_scenario *s = w->s;
    if (s->n_fleets == 0 && s->n_params == 0)
        return TS_OK;
    ts__fleet *f = ts_calloc(1, sizeof *f);
    if (!f)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the fleet");
    w->fleet = f;
    f->coords = ts_calloc(s->n_fleets ? s->n_fleets : 1, sizeof *f->coords);
    f->agents = ts_calloc(s->n_sites ? s->n_sites : 1, sizeof *f->agents);
    if (!f->coords || !f->agents)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the fleet");
    int rc = TS_OK;
    for (size_t site = 0; site < s->n_sites && rc == TS_OK; site++)
        if (s->sites[site].tier == TS_TIER_ROBOT && s->n_params)
            rc = record_config(w, (int)site, err);
    for (size_t fi = 0; fi < s->n_fleets && rc == TS_OK; fi++) {
        const ts_scenario_fleet *fl = &s->fleets[fi];
        if (fl->coordinator < 0)
            continue;
        int agents[4096];
        const char *names[4096];
        int sites[4096];
        size_t n = 0;
        if (fl->count > 4096) {
            rc = ts_error_set(err, TS_ERANGE, s->path, fl->line,
                              "fleet %s: %d robots; at most 4096 are supported", fl->id, fl->count);
            break;
        }
        for (size_t site = 0; site < s->n_sites && n < 4096; site++)
            if (s->sites[site].fleet == (int)fi && ts__world_site_agent(w, (int)site) >= 0) {
                agents[n] = ts__world_site_agent(w, (int)site);
                names[n] = s->sites[site].id;
                sites[n++] = (int)site;
            }
        int64_t period = s->components[fl->coordinator].period_ns;
        ts_fleet_coord_desc cd = {fl->coordinator, agents, names, n, period, 0};
        if ((rc = ts_fleet_coord_new(&w->rts.rt, &cd, &f->coords[fi], err)) != TS_OK ||
            (rc = ts_fleet_coord_start(f->coords[fi])) != TS_OK)
            break;
        for (size_t k = 0; k < n && rc == TS_OK; k++) {
            ts_fleet_agent_desc ad = {agents[k], fl->coordinator, (int)k, -1, period, 0};
            if ((rc = ts_fleet_agent_new(&w->rts.rt, &ad, &f->agents[sites[k]], err)) == TS_OK)
                rc = ts_fleet_agent_start(f->agents[sites[k]]);
        }
    }
    if (rc != TS_OK && err && !err->file[0])
        snprintf(err->file, sizeof err->file, "%s", s->path);
    return rc;
}

void ts__world_fleet_free(world *w)
{
    ts__fleet *f = w->fleet;
    if (!f)
        return;
    if (f->agents)
        for (size_t i = 0; i < w->s->n_sites; i++)
            ts_fleet_agent_free(f->agents[i]);
    if (f->coords)
        for (size_t i = 0; i < w->s->n_fleets; i++)
            ts_fleet_coord_free(f->coords[i]);
    ts_free(f->agents);
    ts_free(f->coords);
    ts_free(f);
    w->fleet = NULL;
}
