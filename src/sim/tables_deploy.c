/*
 * The deployment facts of the trace (format version 3): what the
 * validator must know of the scenario to judge safety and integration
 * without reading it. Written once, before the run.
 */
#include <stdio.h>
#include <string.h>

#include "sim/tables.h"
#include "toposim/alloc.h"
#include "toposim/dynamics.h"

static void copy_name(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

/* A zero-filled array of n rows (at least one, so n == 0 is no failure). */
static void *rows_of(size_t n, size_t size, ts_error *err, const char *what)
{
    void *p = ts_calloc(n ? n : 1, size);
    if (!p)
        ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for %s", what);
    return p;
}

static int write_sites(const ts__tables *w, ts_error *err)
{
    const ts_scenario *s = w->s;
    ts_trace_site *rows = rows_of(s->n_sites, sizeof *rows, err, "/sites");
    if (!rows)
        return TS_ENOMEM;
    for (size_t i = 0; i < s->n_sites; i++) {
        const ts_scenario_site *st = &s->sites[i];
        copy_name(rows[i].name, sizeof rows[i].name, st->id);
        copy_name(rows[i].tier, sizeof rows[i].tier, ts_tier_name(st->tier));
        rows[i].battery_wh = st->battery_wh;
        rows[i].safe_state_category = st->safe_state_category;
        rows[i].budget_declared = st->safe_state_budget_ns > 0;
        rows[i].safe_state_budget_ns =
            st->safe_state_category < 0    ? 0
            : st->safe_state_budget_ns > 0 ? st->safe_state_budget_ns
                                           : TS_TRACE_SAFE_STATE_BUDGET_NS;
        rows[i].fleet = st->fleet;
        rows[i].fleet_member = st->fleet_member;
    }
    int rc = ts_trace_write_sites(w->trace, rows, s->n_sites, err);
    ts_free(rows);
    return rc;
}

static int write_fleets(const ts__tables *w, ts_error *err)
{
    const ts_scenario *s = w->s;
    ts_trace_fleet *rows = rows_of(s->n_fleets, sizeof *rows, err, "/fleets");
    if (!rows)
        return TS_ENOMEM;
    for (size_t i = 0; i < s->n_fleets; i++) {
        copy_name(rows[i].name, sizeof rows[i].name, s->fleets[i].id);
        rows[i].template_site = s->fleets[i].template_site;
        rows[i].count = s->fleets[i].count;
        rows[i].coordinator = s->fleets[i].coordinator;
    }
    int rc = ts_trace_write_fleets(w->trace, rows, s->n_fleets, err);
    ts_free(rows);
    return rc;
}

/* One row per power mode that declares an over-current limit. */
static int write_power_limits(const ts__tables *w, ts_error *err)
{
    const ts_scenario *s = w->s;
    size_t n = 0;
    for (size_t i = 0; i < s->n_nodes; i++)
        for (size_t m = 0; s->nodes[i].has_power && m < s->nodes[i].power->n_modes; m++)
            n += s->nodes[i].power->modes[m].oc_limit_w > 0;
    ts_trace_power_limit *rows = rows_of(n, sizeof *rows, err, "/power_limits");
    if (!rows)
        return TS_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < s->n_nodes; i++) {
        const ts_scenario_node *nd = &s->nodes[i];
        for (size_t m = 0; nd->has_power && m < nd->power->n_modes; m++) {
            const ts_scenario_power_mode *pm = &nd->power->modes[m];
            if (!(pm->oc_limit_w > 0))
                continue;
            ts_power_desc d = {.oc_scale = nd->power->oc_scale};
            ts_power_mode one = {pm->name, 0, 0, 0, 0, pm->oc_limit_w, pm->oc_release_w};
            d.modes = &one;
            d.n_modes = 1;
            ts_power_caps caps;
            ts_power_mode_caps(&d, 0, nd->cores, &caps);
            rows[k].node = (int32_t)i;
            copy_name(rows[k].mode, sizeof rows[k].mode, pm->name);
            rows[k].oc_limit_w = caps.oc_limit_w;
            rows[k].oc_release_w = caps.oc_release_w;
            rows[k].oc_scale = caps.oc_scale;
            k++;
        }
    }
    int rc = ts_trace_write_power_limits(w->trace, rows, n, err);
    ts_free(rows);
    return rc;
}

static int write_power_modes(const ts__tables *w, ts_error *err)
{
    const ts_scenario *s = w->s;
    size_t n = 0;
    for (size_t i = 0; i < s->n_nodes; i++)
        n += s->nodes[i].has_power ? s->nodes[i].power->n_modes : 0;
    ts_trace_power_mode *rows = rows_of(n, sizeof *rows, err, "/power_modes");
    if (!rows)
        return TS_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < s->n_nodes; i++) {
        const ts_scenario_node *nd = &s->nodes[i];
        for (size_t m = 0; nd->has_power && m < nd->power->n_modes; m++, k++) {
            const ts_scenario_power_mode *pm = &nd->power->modes[m];
            rows[k].node = (int32_t)i;
            copy_name(rows[k].name, sizeof rows[k].name, pm->name);
            rows[k].online_cores = pm->online_cores;
            rows[k].cpu_max_hz = pm->cpu_max_hz;
            rows[k].gpu_max_hz = pm->gpu_max_hz;
            rows[k].budget_w = pm->budget_w;
            rows[k].initial = (int)m == nd->power->initial_mode;
        }
    }
    int rc = ts_trace_write_power_modes(w->trace, rows, n, err);
    ts_free(rows);
    return rc;
}

static int write_versions(const ts__tables *w, ts_error *err)
{
    const ts_scenario *s = w->s;
    size_t n = 0;
    for (size_t c = 0; c < s->n_components; c++)
        n += s->components[c].shared->n_versions ? s->components[c].shared->n_versions : 1;
    ts_trace_version *rows = rows_of(n, sizeof *rows, err, "/versions");
    if (!rows)
        return TS_ENOMEM;
    size_t k = 0;
    for (size_t c = 0; c < s->n_components; c++) {
        const ts_scenario_component *sc = &s->components[c];
        size_t nv = sc->shared->n_versions ? sc->shared->n_versions : 1;
        for (size_t v = 0; v < nv; v++, k++) {
            const ts_scenario_version *ver = sc->shared->n_versions ? &sc->shared->versions[v] : NULL;
            rows[k].component = (int32_t)c;
            rows[k].index = (int32_t)v;
            copy_name(rows[k].name, sizeof rows[k].name, ver ? ver->id : "v1");
            /* A version's zero fields keep the declared values. */
            rows[k].period_ns = ver && ver->period_ns ? ver->period_ns : sc->shared->period_ns;
            rows[k].exec_ns = ver && ver->exec_ns ? ver->exec_ns : sc->shared->exec_ns;
        }
    }
    int rc = ts_trace_write_versions(w->trace, rows, n, err);
    ts_free(rows);
    return rc;
}

static const char *standby_name(ts_standby st)
{
    switch (st) {
    case TS_STANDBY_WARM: return "warm";
    case TS_STANDBY_COLD: return "cold";
    default: return "hot";
    }
}

/* Groups as the agents build them: a monitored primary (heartbeat > 0)
 * with backups, which follow in declaration order (the order of
 * succession). */
static int write_failover(const ts__tables *w, ts_error *err)
{
    const ts_scenario *s = w->s;
    size_t nc = s->n_components;
    ts_trace_failover_group *groups = rows_of(nc, sizeof *groups, err, "/failover_groups");
    ts_trace_failover_backup *backups = rows_of(nc, sizeof *backups, err, "/failover_backups");
    if (!groups || !backups) {
        ts_free(groups);
        ts_free(backups);
        return TS_ENOMEM;
    }
    size_t ng = 0, nb = 0;
    for (size_t p = 0; p < nc; p++) {
        const ts_scenario_component *pc = &s->components[p];
        if (pc->backup_of >= 0 || pc->shared->heartbeat_ns <= 0)
            continue;
        size_t first = nb;
        for (size_t b = 0; b < nc; b++) {
            const ts_scenario_component *bc = &s->components[b];
            if (bc->backup_of != (int)p)
                continue;
            backups[nb] = (ts_trace_failover_backup){(int32_t)ng, (int32_t)b,
                                                     (int32_t)(nb - first), "", bc->shared->takeover_ns};
            copy_name(backups[nb].standby, sizeof backups[nb].standby,
                      standby_name(bc->shared->standby));
            nb++;
        }
        if (nb == first)
            continue;
        ts_trace_failover_group *g = &groups[ng++];
        g->primary = (int32_t)p;
        copy_name(g->detector, sizeof g->detector,
                  pc->shared->detector == TS_DETECT_PHI ? "phi" : "timeout");
        g->heartbeat_ns = pc->shared->heartbeat_ns;
        g->misses = pc->shared->misses;
        g->phi_threshold = pc->shared->phi_threshold;
        g->failover_budget_ns = pc->shared->failover_budget_ns;
        g->core_redundancy = pc->shared->core_redundancy;
        g->n_backups = (int32_t)(nb - first);
    }
    int rc = ts_trace_write_failover_groups(w->trace, groups, ng, err);
    if (rc == TS_OK)
        rc = ts_trace_write_failover_backups(w->trace, backups, nb, err);
    ts_free(groups);
    ts_free(backups);
    return rc;
}

static int write_services(const ts__tables *w, ts_error *err)
{
    const ts_scenario *s = w->s;
    size_t nr = 0;
    for (size_t i = 0; i < s->n_services; i++)
        nr += s->services[i].n_replicas;
    ts_trace_service *rows = rows_of(s->n_services, sizeof *rows, err, "/services");
    ts_trace_service_replica *reps = rows_of(nr, sizeof *reps, err, "/service_replicas");
    if (!rows || !reps) {
        ts_free(rows);
        ts_free(reps);
        return TS_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < s->n_services; i++) {
        const ts_scenario_service *sv = &s->services[i];
        copy_name(rows[i].name, sizeof rows[i].name, sv->id);
        rows[i].n_replicas = (int32_t)sv->n_replicas;
        copy_name(rows[i].balance, sizeof rows[i].balance,
                  sv->least_outstanding ? "least_outstanding" : "round_robin");
        rows[i].timeout_ns = sv->timeout_ns;
        rows[i].health_period_ns = sv->health_period_ns;
        for (size_t r = 0; r < sv->n_replicas; r++, k++)
            reps[k] = (ts_trace_service_replica){(int32_t)i, sv->replicas[r]};
    }
    int rc = ts_trace_write_services(w->trace, rows, s->n_services, err);
    if (rc == TS_OK)
        rc = ts_trace_write_service_replicas(w->trace, reps, nr, err);
    ts_free(rows);
    ts_free(reps);
    return rc;
}

/* Robots a rollout covers, as the agents count them: the instances of its
 * component in the largest fleet (the template's, then "<id>_r<k>"). */
static int rollout_robots(const ts_scenario *s, const char *id)
{
    int members = 0;
    for (size_t f = 0; f < s->n_fleets; f++)
        if (s->fleets[f].count > members)
            members = s->fleets[f].count;
    if (members == 0)
        members = 1;
    int n = 0;
    for (int k = 0; k < members; k++) {
        char name[256];
        if (k == 0)
            snprintf(name, sizeof name, "%s", id);
        else
            snprintf(name, sizeof name, "%s_r%d", id, k);
        n += ts_scenario_find_component(s, name) >= 0;
    }
    return n;
}

static int write_rollouts(const ts__tables *w, ts_error *err)
{
    const ts_scenario *s = w->s;
    ts_trace_rollout *rows = rows_of(s->n_rollouts, sizeof *rows, err, "/rollouts");
    if (!rows)
        return TS_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < s->n_rollouts; i++) {
        const ts_scenario_rollout *ro = &s->rollouts[i];
        int c = ts_scenario_find_component(s, ro->component);
        if (c < 0)
            continue;   /* the agents refuse the run before it starts */
        const ts_scenario_component *sc = &s->components[c];
        ts_trace_rollout *r = &rows[n++];
        r->component = c;
        r->to_version = ro->to_version;
        copy_name(r->to_name, sizeof r->to_name,
                  (size_t)ro->to_version < sc->shared->n_versions ? sc->shared->versions[ro->to_version].id
                                                          : "");
        r->start_ns = ro->start_ns;
        r->robots = rollout_robots(s, ro->component);
        r->canaries = ro->canaries < r->robots ? ro->canaries : r->robots;
        r->soak_ns = ro->soak_ns;
        r->wave = ro->wave;
        r->wave_soak_ns = ro->wave_soak_ns ? ro->wave_soak_ns : ro->soak_ns;
        r->max_miss_fraction = ro->max_miss_fraction;
        /* As the rollout controller stages it: the canaries (if any) soak
         * once, then ceil(rest / wave) waves each soak wave_soak. */
        int64_t waves = 0;
        int rest = r->robots - r->canaries;
        if (rest > 0 && r->wave > 0)
            waves = (rest + r->wave - 1) / r->wave;
        r->expected_end_ns = r->start_ns + (r->canaries > 0 ? r->soak_ns : 0) +
                             waves * r->wave_soak_ns;
    }
    int rc = ts_trace_write_rollouts(w->trace, rows, n, err);
    ts_free(rows);
    return rc;
}

static int write_expects(const ts__tables *w, ts_error *err)
{
    const ts_scenario *s = w->s;
    ts_trace_expect *rows = rows_of(s->n_expects, sizeof *rows, err, "/expects");
    if (!rows)
        return TS_ENOMEM;
    for (size_t i = 0; i < s->n_expects; i++) {
        const ts_scenario_expect *e = &s->expects[i];
        copy_name(rows[i].event, sizeof rows[i].event, e->event);
        rows[i].component = e->component;
        rows[i].node = e->node;
        rows[i].min_count = e->min_count;
        rows[i].max_count = e->max_count;
        rows[i].line = e->line;
    }
    int rc = ts_trace_write_expects(w->trace, rows, s->n_expects, err);
    ts_free(rows);
    return rc;
}

int ts__tables_write_deploy(const ts__tables *w, ts_error *err)
{
    int rc = write_sites(w, err);
    if (rc == TS_OK)
        rc = write_fleets(w, err);
    if (rc == TS_OK)
        rc = write_power_modes(w, err);
    if (rc == TS_OK)
        rc = write_power_limits(w, err);
    if (rc == TS_OK)
        rc = write_versions(w, err);
    if (rc == TS_OK)
        rc = write_failover(w, err);
    if (rc == TS_OK)
        rc = write_services(w, err);
    if (rc == TS_OK)
        rc = write_rollouts(w, err);
    if (rc == TS_OK)
        rc = write_expects(w, err);
    return rc;
}
