/*
 * What differs between the robots of a fleet (README, "Fleet variety"):
 * the record of one load, the walk of <fleet> phase=, clock-offset= and
 * <robot-override>s and of <component phase=>, and the timing. A fleet of
 * N copies of one template is N robots in lockstep unless the scenario
 * says otherwise; real robots are switched on at different moments and
 * their clocks disagree, so their periodic work does not line up.
 *
 * - phase= (on a <fleet>, on a <component>, or on one robot's
 *   <robot-override>): the release phase of a component on each robot, a
 *   duration or uniform(LO,HI), each bound a duration or the word
 *   "period" (the component's own). The most specific wins: the robot's,
 *   then its overridden component's, then the component's, then the
 *   fleet's.
 * - clock-offset= (on a <fleet> or one robot): the robot's clock error
 *   against the reference, a signed duration or uniform(LO,HI). It shifts
 *   every periodic release of the robot's components. Assumption: only
 *   release times follow the robot's clock; heartbeats, timeouts and the
 *   deployment code's timers run on the reference clock.
 * - A release shifted before the start of the run is folded forward by
 *   whole periods: the component was already running, and its next
 *   release falls within the first period.
 * - uniform(LO,HI) draws from [LO, HI) with the scenario's seed, from a
 *   stream per component ("<id>/phase") and per robot ("<id>/clock-offset")
 *   (engine/rng.c), so a run is reproducible and adding a robot changes no
 *   other robot's draw.
 * Per-robot overrides are robot_override.c's, names of copies in faults
 * and expects copy_refs.c's.
 */
#include "variety.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "toposim/alloc.h"
#include "toposim/sim.h"
#include "toposim/units.h"

/* ---- the record ------------------------------------------------------- */

ts__variety *ts__variety_of(ts__builder *b)
{
    if (!b->L->variety) {
        b->L->variety = ts_calloc(1, sizeof *b->L->variety);
        if (b->L->variety && !(b->L->variety->keys = xmlHashCreate(64))) {
            ts_free(b->L->variety);
            b->L->variety = NULL;
        }
    }
    return b->L->variety;
}

void ts__timing_fini(ts__timing *t)
{
    ts_free(t->text);
    t->text = NULL;
}

void ts__variety_free(ts__variety *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n_comp_phase; i++)
        ts__timing_fini(&v->comp_phase[i]);
    for (size_t i = 0; i < v->n_fleet; i++) {
        ts__timing_fini(&v->fleet_phase[i]);
        ts__timing_fini(&v->fleet_clock[i]);
    }
    for (size_t i = 0; i < v->n_robots; i++) {
        ts__timing_fini(&v->robots[i].phase);
        ts__timing_fini(&v->robots[i].clock);
    }
    for (size_t i = 0; i < v->n_overrides; i++) {
        ts__robot_override *o = &v->overrides[i];
        ts__timing_fini(&o->phase);
        ts_free(o->first_set);
        if (o->el)
            xmlFreeNode(o->el);
        if (o->has_built)
            ts__robot_override_fini(o);
    }
    ts_free(v->comp_phase);
    ts_free(v->fleet_phase);
    ts_free(v->fleet_clock);
    ts_free(v->robots);
    ts_free(v->overrides);
    ts_free(v->pending);
    xmlHashFree(v->keys, NULL);
    ts_free(v);
}

/* ---- phase and clock-offset expressions ------------------------------- */

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* One bound: "period" (when allowed), "0", or a duration, signed when
 * allowed. 0 with *why set when it is none of those. */
static int read_bound(const char *p, size_t n, int allow_period, int allow_negative,
                      unsigned char *is_period, int64_t *ns, const char **why)
{
    while (n && is_blank(*p))
        p++, n--;
    while (n && is_blank(p[n - 1]))
        n--;
    char buf[64];
    if (n == 0 || n >= sizeof buf) {
        *why = "a bound is empty or too long";
        return 0;
    }
    memcpy(buf, p, n);
    buf[n] = '\0';
    *is_period = 0;
    if (!strcmp(buf, "period")) {
        if (!allow_period) {
            *why = "\"period\" is a bound of a phase only";
            return 0;
        }
        *is_period = 1;
        *ns = 0;
        return 1;
    }
    int negative = buf[0] == '-';
    if (negative && !allow_negative) {
        *why = "a phase must not be negative";
        return 0;
    }
    const char *text = buf + negative;
    if (!strcmp(text, "0")) {
        *ns = 0;
        return 1;
    }
    if (ts_unit_time(text, ns, why) != TS_OK)
        return 0;
    if (negative)
        *ns = -*ns;
    return 1;
}

/* Reads attr of el (absent: kind none). */
int ts__timing_read(ts__builder *b, const xmlNode *el, const char *who, const char *attr,
                       int is_phase, ts__timing *t)
{
    const char *text = ts__attr(el, attr);
    memset(t, 0, sizeof *t);
    if (!text)
        return TS_OK;
    const char *p = text;
    while (is_blank(*p))
        p++;
    size_t n = strlen(p);
    while (n && is_blank(p[n - 1]))
        n--;
    const char *why = NULL;
    int ok;
    t->line = ts__line(el);
    if (n > 8 && !strncmp(p, "uniform(", 8) && p[n - 1] == ')') {
        const char *args = p + 8, *end = p + n - 1;
        const char *comma = memchr(args, ',', (size_t)(end - args));
        ok = comma && !memchr(comma + 1, ',', (size_t)(end - comma - 1)) &&
             read_bound(args, (size_t)(comma - args), is_phase, !is_phase, &t->lo_period,
                        &t->lo_ns, &why) &&
             read_bound(comma + 1, (size_t)(end - comma - 1), is_phase, !is_phase,
                        &t->hi_period, &t->hi_ns, &why);
        if (ok && !comma)
            why = "uniform takes two bounds";
        t->kind = TS__TIMING_UNIFORM;
        if (ok && !t->lo_period && !t->hi_period && t->lo_ns > t->hi_ns) {
            why = "its low bound is above its high bound";
            ok = 0;
        }
        if (ok && t->lo_period && !t->hi_period) {
            why = "its low bound is the period, so its high bound must be too";
            ok = 0;
        }
    } else {
        ok = read_bound(p, n, is_phase, !is_phase, &t->lo_period, &t->lo_ns, &why);
        t->kind = TS__TIMING_FIXED;
    }
    if (!ok)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, t->line,
                            "%s: %s=\"%s\": %s (%s is %s or uniform(LO,HI)%s)", who, attr,
                            text, why ? why : "not an expression", attr,
                            is_phase ? "a duration (\"12ms\")" : "a signed duration (\"-2ms\")",
                            is_phase ? " with each bound a duration or the word period"
                                     : " with each bound a signed duration");
    if (!(t->text = ts_strdup(text)))
        return ts__oom(b, t->line);
    return TS_OK;
}

/* The value of t for a component of this period; TS_EINVAL when a bound
 * past the period makes it empty. */
static int draw(const ts__timing *t, int64_t period, gsl_rng *r, int64_t *out)
{
    int64_t lo = t->lo_period ? period : t->lo_ns;
    int64_t hi = t->hi_period ? period : t->hi_ns;
    if (t->kind == TS__TIMING_FIXED) {
        *out = lo;
        return TS_OK;
    }
    if (lo > hi)
        return TS_EINVAL;
    *out = lo + (int64_t)floor(gsl_rng_uniform(r) * (double)(hi - lo));
    return TS_OK;
}

/* ---- keys ------------------------------------------------------------- */

int ts__variety_key_find(const ts__variety *v, const char *key)
{
    void *p = xmlHashLookup(v->keys, BAD_CAST key);
    return p ? (int)((intptr_t)p - 1) : -1;
}

int ts__variety_key_add(ts__variety *v, const char *key, size_t i)
{
    return xmlHashAddEntry(v->keys, BAD_CAST key, (void *)(intptr_t)(i + 1)) ? TS_ENOMEM
                                                                             : TS_OK;
}

/* ---- the walk: components and fleets ---------------------------------- */

int ts__variety_component(ts__builder *b, const xmlNode *el, int index)
{
    if (!ts__attr(el, "phase"))
        return TS_OK;
    ts__variety *v = ts__variety_of(b);
    if (!v)
        return ts__oom(b, ts__line(el));
    if ((size_t)index >= v->n_comp_phase) {
        size_t n = (size_t)index + 1 + (size_t)index / 2;
        ts__timing *t = ts_realloc(v->comp_phase, n * sizeof *t);
        if (!t)
            return ts__oom(b, ts__line(el));
        memset(t + v->n_comp_phase, 0, (n - v->n_comp_phase) * sizeof *t);
        v->comp_phase = t;
        v->n_comp_phase = n;
    }
    char who[320];
    ts__who_of(el, who, sizeof who);
    ts__timing_fini(&v->comp_phase[index]);
    return ts__timing_read(b, el, who, "phase", 1, &v->comp_phase[index]);
}

/* robot="rK" (the schema's pattern) within the fleet: K, or -1 with an
 * error. */
static int robot_number(ts__builder *b, const xmlNode *el, const ts_scenario_fleet *f)
{
    const char *r = ts__attr(el, "robot");
    char *end;
    long k = strtol(r + 1, &end, 10);
    if (r[0] != 'r' || end == r + 1 || *end || k < 0 || k >= f->count) {
        char last[32];
        snprintf(last, sizeof last, "r%d", f->count - 1);
        err_at(b, TS_EINVAL, el, "fleet %s: robot=\"%s\" names no robot of it (its robots "
               "are r0, the template, to %s)", f->id, r, last);
        return -1;
    }
    return (int)k;
}

static ts__robot_timing *robot_entry(ts__builder *b, ts__variety *v, int fleet, int member,
                                 const xmlNode *el)
{
    char key[64];
    snprintf(key, sizeof key, "t %d %d", fleet, member);
    int i = ts__variety_key_find(v, key);
    if (i >= 0)
        return &v->robots[i];
    ts__robot_timing *r = ts__grow(v->robots, &v->cap_robots, v->n_robots, sizeof *r);
    if (!r || ts__variety_key_add(v, key, v->n_robots)) {
        if (r)
            v->robots = r;
        ts__oom(b, ts__line(el));
        return NULL;
    }
    v->robots = r;
    r = &v->robots[v->n_robots++];
    r->fleet = fleet;
    r->member = member;
    return r;
}

int ts__variety_fleet(ts__builder *b, const xmlNode *el, int fleet)
{
    const ts_scenario_fleet *f = &b->s->fleets[fleet];
    int any = ts__attr(el, "phase") || ts__attr(el, "clock-offset");
    for (const xmlNode *c = ts__first_child(el); c && !any; c = ts__next_sibling(c))
        any = xmlStrEqual(c->name, BAD_CAST "robot-override");
    if (!any)
        return TS_OK;
    ts__variety *v = ts__variety_of(b);
    if (!v)
        return ts__oom(b, ts__line(el));
    if ((size_t)fleet >= v->n_fleet) {
        size_t n = b->s->n_fleets;
        ts__timing *p = ts_realloc(v->fleet_phase, n * sizeof *p);
        if (p)
            v->fleet_phase = p;
        ts__timing *c = p ? ts_realloc(v->fleet_clock, n * sizeof *c) : NULL;
        if (!c)
            return ts__oom(b, ts__line(el));
        v->fleet_clock = c;
        memset(p + v->n_fleet, 0, (n - v->n_fleet) * sizeof *p);
        memset(c + v->n_fleet, 0, (n - v->n_fleet) * sizeof *c);
        v->n_fleet = n;
    }
    char who[320];
    snprintf(who, sizeof who, "fleet %s", f->id);
    int rc = ts__timing_read(b, el, who, "phase", 1, &v->fleet_phase[fleet]);
    if (!rc)
        rc = ts__timing_read(b, el, who, "clock-offset", 0, &v->fleet_clock[fleet]);
    size_t first_override = v->n_overrides;
    for (const xmlNode *c = ts__first_child(el); c && !rc; c = ts__next_sibling(c)) {
        if (!xmlStrEqual(c->name, BAD_CAST "robot-override"))
            continue;
        int member = robot_number(b, c, f);
        if (member < 0)
            return TS_EINVAL;
        int has_timing = ts__attr(c, "phase") || ts__attr(c, "clock-offset");
        if (!has_timing && !ts__attr(c, "set"))
            return err_at(b, TS_EINVAL, c,
                          "fleet %s: robot-override robot=\"%s\" changes nothing (give "
                          "set=, phase= or clock-offset=)", f->id, ts__attr(c, "robot"));
        if (ts__attr(c, "set") && member == 0)
            return err_at(b, TS_EINVAL, c,
                          "fleet %s: robot-override robot=\"r0\" set=\"%s\": r0 is the "
                          "template robot %s itself, which every copy is made from; change "
                          "its element instead", f->id, ts__attr(c, "set"),
                          b->s->sites[f->template_site].id);
        if (has_timing) {
            ts__robot_timing *r = robot_entry(b, v, fleet, member, c);
            if (!r)
                return TS_ENOMEM;
            snprintf(who, sizeof who, "fleet %s: robot-override robot=\"%s\"", f->id,
                     ts__attr(c, "robot"));
            if ((ts__attr(c, "phase") && r->phase.kind) ||
                (ts__attr(c, "clock-offset") && r->clock.kind))
                return err_at(b, TS_EINVAL, c, "%s: the robot's %s is given twice (first at "
                              "line %d)", who,
                              ts__attr(c, "phase") && r->phase.kind ? "phase" : "clock offset",
                              ts__attr(c, "phase") && r->phase.kind ? r->phase.line
                                                                     : r->clock.line);
            if (ts__attr(c, "phase"))
                rc = ts__timing_read(b, c, who, "phase", 1, &r->phase);
            if (!rc && ts__attr(c, "clock-offset"))
                rc = ts__timing_read(b, c, who, "clock-offset", 0, &r->clock);
        }
        if (!rc && ts__attr(c, "set"))
            rc = ts__robot_override_set(b, v, c, fleet, member);
    }
    for (size_t i = first_override; i < v->n_overrides && !rc; i++)
        rc = ts__robot_override_build(b, v, &v->overrides[i]);
    return rc;
}

/* ---- the expansion ----------------------------------------------------- */

static int by_robot(const void *a, const void *b)
{
    const ts__robot_override *x = a, *y = b;
    if (x->fleet != y->fleet)
        return x->fleet < y->fleet ? -1 : 1;
    if (x->member != y->member)
        return x->member < y->member ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return (x->comp > y->comp) - (x->comp < y->comp);
}

static int timing_by_robot(const void *a, const void *b)
{
    const ts__robot_timing *x = a, *y = b;
    if (x->fleet != y->fleet)
        return x->fleet < y->fleet ? -1 : 1;
    return (x->member > y->member) - (x->member < y->member);
}

void ts__variety_prepare(ts__variety *v)
{
    /* the walk's order is the document's; the expansion's is by robot */
    if (!v)
        return;
    if (v->n_overrides > 1)
        qsort(v->overrides, v->n_overrides, sizeof *v->overrides, by_robot);
    if (v->n_robots > 1)
        qsort(v->robots, v->n_robots, sizeof *v->robots, timing_by_robot);
}

static const ts__robot_timing *find_robot(const ts__variety *v, int fleet, int member)
{
    size_t lo = 0, hi = v->n_robots;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const ts__robot_timing *r = &v->robots[mid];
        if (r->fleet == fleet && r->member == member)
            return r;
        if (r->fleet < fleet || (r->fleet == fleet && r->member < member))
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The phase a robot's override of component comp sets, or NULL. */
static const ts__timing *find_override_phase(const ts__variety *v, int fleet, int member, int comp)
{
    size_t lo = 0, hi = v->n_overrides;
    ts__robot_override key = {
        .fleet = fleet, .member = member, .kind = TS__OVERRIDE_COMPONENT, .comp = comp};
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = by_robot(&v->overrides[mid], &key);
        if (c == 0)
            return v->overrides[mid].phase.kind ? &v->overrides[mid].phase : NULL;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int seeded(gsl_rng **r, uint64_t seed, const char *id, const char *what)
{
    char name[512];
    snprintf(name, sizeof name, "%s/%s", id, what);
    gsl_rng_free(*r);
    *r = ts_rng_new(seed, name);
    return *r ? TS_OK : TS_ENOMEM;
}

int ts__variety_timing(ts__variety *v, ts_scenario *s, const char *file, ts_error *err)
{
    if (!v)
        return TS_OK;
    int64_t *clock = ts_calloc(s->n_sites ? s->n_sites : 1, sizeof *clock);
    unsigned char *clock_known = ts_calloc(s->n_sites ? s->n_sites : 1, 1);
    gsl_rng *r = NULL;
    int rc = clock && clock_known ? TS_OK : ts_error_set(err, TS_ENOMEM, file, 0, "out of memory");
    for (size_t i = 0; i < s->n_components && !rc; i++) {
        ts_scenario_component *c = &s->components[i];
        int member = c->fleet_member;
        int fleet = member >= 0 && c->site >= 0 ? s->sites[c->site].fleet : -1;
        int tmpl = member >= 0 ? c->fleet_template : c->replica_of >= 0 ? c->replica_of : (int)i;
        const ts__robot_timing *rt = fleet >= 0 ? find_robot(v, fleet, member) : NULL;
        const ts__timing *phase = NULL, *clk = NULL;
        if (rt && rt->phase.kind)
            phase = &rt->phase;
        if (!phase && fleet >= 0)
            phase = find_override_phase(v, fleet, member, tmpl);
        if (!phase && (size_t)tmpl < v->n_comp_phase && v->comp_phase[tmpl].kind)
            phase = &v->comp_phase[tmpl];
        if (!phase && fleet >= 0 && (size_t)fleet < v->n_fleet && v->fleet_phase[fleet].kind)
            phase = &v->fleet_phase[fleet];
        if (rt && rt->clock.kind)
            clk = &rt->clock;
        else if (fleet >= 0 && (size_t)fleet < v->n_fleet && v->fleet_clock[fleet].kind)
            clk = &v->fleet_clock[fleet];
        if (!phase && !clk)
            continue;
        int64_t period = c->shared->period_ns, shift = 0, part;
        if (phase) {
            rc = phase->kind == TS__TIMING_UNIFORM ? seeded(&r, s->seed, c->id, "phase") : TS_OK;
            if (rc)
                break;
            if (draw(phase, period, r, &part) != TS_OK) {
                char p[32];
                ts__format_ns(period, p, sizeof p);
                rc = ts_error_set(err, TS_EINVAL, file, phase->line,
                                  "phase=\"%s\": for component %s (period %s) its low bound "
                                  "is above its high bound", phase->text, c->id, p);
                break;
            }
            shift += part;
        }
        if (clk) {
            if (!clock_known[c->site]) {
                rc = clk->kind == TS__TIMING_UNIFORM
                         ? seeded(&r, s->seed, s->sites[c->site].id, "clock-offset")
                         : TS_OK;
                if (rc)
                    break;
                draw(clk, 0, r, &clock[c->site]);
                clock_known[c->site] = 1;
            }
            shift += clock[c->site];
        }
        /* Folded forward by whole periods when it would start before the
         * run: the component was already running. */
        int64_t start = c->shared->offset_ns + shift;
        if (start < 0 && period > 0)
            start += ((-start + period - 1) / period) * period;
        c->release_shift_ns = start - c->shared->offset_ns;
    }
    if (rc == TS_ENOMEM)
        ts_error_set(err, TS_ENOMEM, file, 0, "out of memory");
    gsl_rng_free(r);
    ts_free(clock);
    ts_free(clock_known);
    return rc;
}

int ts__variety_override_line(const ts__variety *v, int fleet, int member, int comp)
{
    for (size_t i = 0; v && i < v->n_overrides; i++) {
        const ts__robot_override *o = &v->overrides[i];
        if (o->kind == TS__OVERRIDE_COMPONENT && o->fleet == fleet && o->member == member &&
            o->comp == comp)
            return o->line;
    }
    return 0;
}
