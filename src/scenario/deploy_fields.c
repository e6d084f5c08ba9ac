/*
 * Scenario loading, the deployment half: the parts of a scenario that only
 * the deployment code reads (its sim glue converts them), walked into the
 * same ts_scenario as build.c's. Global configuration parameters; QoS
 * profiles, each derived from a built-in one (deploy_qos.h) or an earlier
 * profile, so bases can never form a cycle; a topic's writer and reader
 * QoS; a component's redundancy (a backup starts as a copy of its
 * primary's timing, resources, flags, zone and robot, then its own
 * attributes override), monitoring, safety mode, needed flag, isolation,
 * security zone, versions and replicas; services and their clients;
 * security zones and allow rules; fleets with their per-robot overrides;
 * rollouts. Every reference is resolved here and every error names the
 * element's line; the fleet copies are made afterwards (fleet_expand.c).
 */
#include "loader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toposim/alloc.h"
#include "toposim/limits.h"
#include "toposim/qos.h"

#define MS ((int64_t)1000 * 1000)

/* Time from the takeover decision to serving, by standby kind: a hot
 * backup already runs, a warm one has its process up but must load state,
 * a cold one must start. */
static const int64_t TAKEOVER_DEFAULT_NS[] = {0, 5 * MS, 500 * MS};

/* A profile without base=, and a topic side no profile names, start from
 * this built-in: rmw_qos_profile_default (keep last 10, reliable,
 * volatile), what an rclcpp::QoS starts from. system_default would leave
 * writers and readers different (transient-local against volatile). */
static const char DEFAULT_BASE[] = "default";

static int named(const xmlNode *el, const char *name)
{
    return xmlStrEqual(el->name, BAD_CAST name);
}

/* ts_error_set at el's line, with a formatted message. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int err_at(ts__builder *b, int code, const xmlNode *el,
                  const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ts_error_set(b->L->err, code, b->file, ts__line(el), "%s", msg);
}

/* The line of the first later sibling of el named `elem` whose id= is
 * id, or 0: for "declared after it" messages. */
static int later_line(const xmlNode *el, const char *elem, const char *id)
{
    for (const xmlNode *c = ts__next_sibling(el); c; c = ts__next_sibling(c))
        if (named(c, elem)) {
            const char *v = ts__attr(c, "id");
            if (v && strcmp(v, id) == 0)
                return ts__line(c);
        }
    return 0;
}

char *ts__id_suffix(const char *id, const char *sep, int k)
{
    size_t n = strlen(id) + strlen(sep) + 16;
    char *out = ts_malloc(n);
    if (out)
        snprintf(out, n, "%s%s%d", id, sep, k);
    return out;
}

int ts__robot_tier(uint32_t flags)
{
    if (flags & (TS_FLAG_REAL_TIME_CRITICAL | TS_FLAG_SAFETY_CRITICAL))
        return 1;
    return !(flags & (TS_FLAG_COMPUTATION_HEAVY | TS_FLAG_DATA_PROCESSING));
}

/* ---- configuration ------------------------------------------------------- */

static int add_param(ts__builder *b, const char *name, const char *value,
                     int site, int line)
{
    ts_scenario *s = b->s;
    ts_scenario_param *ps = ts__grow(s->params, &b->cap_params, s->n_params,
                                     sizeof *ps);
    if (!ps)
        return ts__oom(b, line);
    s->params = ps;
    ts_scenario_param *p = &s->params[s->n_params++];
    p->site = site;
    p->line = line;
    p->name = ts_strdup(name);
    p->value = ts_strdup(value);
    if (!p->name || !p->value)
        return ts__oom(b, line);
    return TS_OK;
}

/* Index of the parameter `name` set for `site` (-1: global), or -1. */
static int find_param(const ts_scenario *s, const char *name, int site)
{
    for (size_t i = 0; i < s->n_params; i++)
        if (s->params[i].site == site && strcmp(s->params[i].name, name) == 0)
            return (int)i;
    return -1;
}

int ts__walk_config(ts__builder *b, const xmlNode *config)
{
    for (const xmlNode *c = ts__first_child(config); c;
         c = ts__next_sibling(c)) {
        const char *name = ts__attr(c, "name");
        int prev = find_param(b->s, name, -1);
        if (prev >= 0)
            return err_at(b, TS_EINVAL, c,
                          "config: parameter \"%s\" is set twice (first at "
                          "line %d)", name, b->s->params[prev].line);
        int rc = add_param(b, name, ts__attr(c, "value"), -1, ts__line(c));
        if (rc)
            return rc;
    }
    return TS_OK;
}

/* ---- QoS profiles -------------------------------------------------------- */

/* "real_time, standard, ...": the built-in profiles, for messages. */
static void builtin_names(char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; ts_qos_builtin_name(i) && used < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                         ts_qos_builtin_name(i));
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* A QoS duration: "infinite" or a duration, 0 meaning infinite either
 * way (as DDS's DURATION_INFINITE). */
static int qos_duration(ts__builder *b, const xmlNode *el, const char *attr,
                        int64_t *out, unsigned *set, unsigned bit)
{
    const char *v = ts__attr(el, attr);
    if (!v)
        return TS_OK;
    *set |= bit;
    if (ts__token_eq(v, "infinite")) {
        *out = 0;
        return TS_OK;
    }
    return ts__bquantity(b, el, attr, TS__Q_TIME, out, NULL, NULL);
}

/* The profile's own attributes, as an override of its base. */
static int profile_override(ts__builder *b, const xmlNode *el,
                            ts_qos_override *ov)
{
    ts_qos *q = &ov->value;
    const char *v;
    if ((v = ts__attr(el, "reliability"))) {
        ov->set |= TS_QOS_SET_RELIABILITY;
        q->reliability = ts__token_eq(v, "reliable") ? TS_QOS_RELIABLE
                                                     : TS_QOS_BEST_EFFORT;
    }
    if ((v = ts__attr(el, "history"))) {
        ov->set |= TS_QOS_SET_HISTORY;
        q->history = ts__token_eq(v, "keep-all") ? TS_QOS_KEEP_ALL
                                                 : TS_QOS_KEEP_LAST;
    }
    if (ts__int_attr(el, "depth", &q->depth))
        ov->set |= TS_QOS_SET_DEPTH;
    if (ts__int_attr(el, "max-samples", &q->max_samples))
        ov->set |= TS_QOS_SET_MAX_SAMPLES;
    if ((v = ts__attr(el, "durability"))) {
        ov->set |= TS_QOS_SET_DURABILITY;
        q->durability = ts__token_eq(v, "transient-local")
                            ? TS_QOS_TRANSIENT_LOCAL
                            : TS_QOS_VOLATILE;
    }
    if ((v = ts__attr(el, "liveliness"))) {
        ov->set |= TS_QOS_SET_LIVELINESS;
        q->liveliness = ts__token_eq(v, "manual-by-topic")
                            ? TS_QOS_MANUAL_BY_TOPIC
                            : TS_QOS_AUTOMATIC;
    }
    int rc = qos_duration(b, el, "deadline", &q->deadline_ns, &ov->set,
                          TS_QOS_SET_DEADLINE);
    if (!rc)
        rc = qos_duration(b, el, "lifespan", &q->lifespan_ns, &ov->set,
                          TS_QOS_SET_LIFESPAN);
    if (!rc)
        rc = qos_duration(b, el, "lease", &q->lease_ns, &ov->set,
                          TS_QOS_SET_LEASE);
    return rc;
}

/* The base a profile derives from: an earlier profile, else a built-in. */
static int profile_base(ts__builder *b, const xmlNode *el, int index,
                        ts_qos *out)
{
    const char *id = ts__attr(el, "id");
    const char *base = ts__attr(el, "base");
    if (!base)
        base = DEFAULT_BASE;
    int k = ts__id_find(b->profile_ids, base);
    if (k == index)
        return err_at(b, TS_EINVAL, el,
                      "profile %s: base=\"%s\" is the profile itself", id,
                      base);
    if (k >= 0) {
        *out = b->s->qos_profiles[k].qos;
        return TS_OK;
    }
    if (ts_qos_builtin(base, out) == TS_OK)
        return TS_OK;
    int later = later_line(el, "profile", base);
    if (later)
        return err_at(b, TS_ENOENT, el,
                      "profile %s: base=\"%s\" is the profile at line %d, "
                      "declared after this one; a base must be declared "
                      "before the profiles that derive from it (which also "
                      "rules out cycles)", id, base, later);
    char names[300];
    builtin_names(names, sizeof names);
    return err_at(b, TS_ENOENT, el,
                  "profile %s: base=\"%s\" names no QoS profile (expected a "
                  "built-in one: %s; or a profile declared above)",
                  id, base, names);
}

static int add_profile(ts__builder *b, const xmlNode *el)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    const char *id = ts__attr(el, "id");
    ts_scenario_qos_profile *ps = ts__grow(
        s->qos_profiles, &b->cap_profiles, s->n_qos_profiles, sizeof *ps);
    if (!ps)
        return ts__oom(b, line);
    s->qos_profiles = ps;
    int index = (int)s->n_qos_profiles;
    ts_qos tmp;
    if (ts_qos_builtin(id, &tmp) == TS_OK)
        return err_at(b, TS_EINVAL, el,
                      "profile %s: \"%s\" is a built-in profile's name "
                      "(pick another id; base=\"%s\" derives from it)",
                      id, id, id);
    int prev = ts__id_add(b->profile_ids, id, s->n_qos_profiles);
    if (prev == -2)
        return ts__oom(b, line);
    if (prev >= 0)
        return err_at(b, TS_EINVAL, el,
                      "duplicate QoS profile id \"%s\": the profile at line "
                      "%d already uses it", id, s->qos_profiles[prev].line);
    ts_scenario_qos_profile *p = &s->qos_profiles[s->n_qos_profiles++];
    p->line = line;
    p->id = ts_strdup(id);
    if (!p->id)
        return ts__oom(b, line);

    ts_qos base;
    int rc = profile_base(b, el, index, &base);
    if (rc)
        return rc;
    ts_qos_override ov;
    memset(&ov, 0, sizeof ov);
    rc = profile_override(b, el, &ov);
    if (rc)
        return rc;
    /* The two values people get wrong, in the scenario's own words; the
     * rest of the rules are ts_qos_derive's. */
    if ((ov.set & TS_QOS_SET_DEPTH) && ov.value.depth < 1)
        return err_at(b, TS_EINVAL, el,
                      "profile %s: depth=\"%s\" must be at least 1 "
                      "(keep-last keeps the last depth samples)", id,
                      ts__attr(el, "depth"));
    int history = (ov.set & TS_QOS_SET_HISTORY) ? (int)ov.value.history
                                                : (int)base.history;
    int depth = (ov.set & TS_QOS_SET_DEPTH) ? ov.value.depth : base.depth;
    int max = (ov.set & TS_QOS_SET_MAX_SAMPLES) ? ov.value.max_samples
                                                : base.max_samples;
    if (history == TS_QOS_KEEP_LAST && max > 0 && depth > max)
        return err_at(b, TS_EINVAL, el,
                      "profile %s: depth %d is above max-samples %d (a "
                      "keep-last history cannot hold more samples than its "
                      "resource limit)", id, depth, max);
    ts_error why;
    ts_error_clear(&why);
    if (ts_qos_derive(&base, &ov, &p->qos, &why) != TS_OK)
        return err_at(b, TS_EINVAL, el, "profile %s: %s", id, why.msg);
    return TS_OK;
}

int ts__walk_profiles(ts__builder *b, const xmlNode *profiles)
{
    int rc = profiles && ts__attr(profiles, "import") ? ts__qos_import(b, profiles)
                                                      : TS_OK;
    for (const xmlNode *c = ts__first_child(profiles); c && !rc;
         c = ts__next_sibling(c))
        rc = add_profile(b, c);
    return rc;
}

/* A scenario profile, else a built-in one as `role` sees it. */
static int qos_ref(ts__builder *b, const xmlNode *el, const char *attr,
                   ts_qos_role role, ts_qos *out)
{
    const char *name = ts__attr(el, attr);
    int k = ts__id_find(b->profile_ids, name);
    if (k >= 0) {
        *out = b->s->qos_profiles[k].qos;
        return TS_OK;
    }
    if (ts_qos_builtin_role(name, role, out) == TS_OK)
        return TS_OK;
    char names[300];
    builtin_names(names, sizeof names);
    return err_at(b, TS_ENOENT, el,
                  "topic %s: %s=\"%s\" names no QoS profile (expected a "
                  "built-in one: %s; or a <profile> in <qos-profiles>)",
                  ts__attr(el, "id"), attr, name, names);
}

int ts__topic_qos(ts__builder *b, const xmlNode *el, ts_scenario_topic *t)
{
    int has_both = ts__attr(el, "qos") != NULL;
    int has_w = ts__attr(el, "writer-qos") != NULL;
    int has_r = ts__attr(el, "reader-qos") != NULL;
    if (!has_both && !has_w && !has_r)
        return TS_OK;
    /* writer's and reader's QoS in one allocation, which the topic owns
     * (ts__topic_fini) from has_qos on */
    ts_qos *q = ts_calloc(2, sizeof *q);
    if (!q)
        return ts__oom(b, ts__line(el));
    t->writer_qos = &q[0];
    t->reader_qos = &q[1];
    t->has_qos = 1;
    int rc = ts_qos_builtin_role(DEFAULT_BASE, TS_QOS_WRITER, &q[0]);
    if (!rc)
        rc = ts_qos_builtin_role(DEFAULT_BASE, TS_QOS_READER, &q[1]);
    if (rc)
        return err_at(b, TS_EINVAL, el, "topic %s: no built-in \"%s\" QoS "
                      "profile", t->id, DEFAULT_BASE);
    if (has_both) {
        rc = qos_ref(b, el, "qos", TS_QOS_WRITER, &q[0]);
        if (!rc)
            rc = qos_ref(b, el, "qos", TS_QOS_READER, &q[1]);
    }
    if (!rc && has_w)
        rc = qos_ref(b, el, "writer-qos", TS_QOS_WRITER, &q[0]);
    if (!rc && has_r)
        rc = qos_ref(b, el, "reader-qos", TS_QOS_READER, &q[1]);
    return rc;
}

/* What a topic without qos= points at: nothing writes it. */
static const ts_qos NO_QOS[2];

void ts__topic_init(ts_scenario_topic *t)
{
    t->writer_qos = &NO_QOS[0];
    t->reader_qos = &NO_QOS[1];
}

void ts__topic_fini(ts_scenario_topic *t)
{
    ts_free((void *)t->size_dist);  /* its own (a fleet copy's is not
                                       finished) */
    t->size_dist = NULL;
    if (t->has_qos)
        ts_free((void *)t->writer_qos); /* with reader_qos (ts__topic_qos) */
    t->has_qos = 0;
    ts__topic_init(t);
}

/* ---- policies ------------------------------------------------------------ */

int ts__walk_zones(ts__builder *b, const xmlNode *policies)
{
    if (!policies)
        return TS_OK;
    ts_scenario *s = b->s;
    const char *def = ts__attr(policies, "default");
    s->default_deny = def && ts__token_eq(def, "deny");
    for (const xmlNode *c = ts__first_child(policies); c;
         c = ts__next_sibling(c)) {
        if (!named(c, "zone"))
            continue;
        int line = ts__line(c);
        const char *id = ts__attr(c, "id");
        ts_scenario_zone *zs = ts__grow(s->zones, &b->cap_zones, s->n_zones,
                                        sizeof *zs);
        if (!zs)
            return ts__oom(b, line);
        s->zones = zs;
        int prev = ts__id_add(b->zone_ids, id, s->n_zones);
        if (prev == -2)
            return ts__oom(b, line);
        if (prev >= 0)
            return err_at(b, TS_EINVAL, c,
                          "duplicate zone id \"%s\": the zone at line %d "
                          "already uses it", id, s->zones[prev].line);
        ts_scenario_zone *z = &s->zones[s->n_zones++];
        z->line = line;
        z->id = ts_strdup(id);
        if (!z->id)
            return ts__oom(b, line);
    }
    return TS_OK;
}

static int zone_ref(ts__builder *b, const xmlNode *el, const char *attr,
                    const char *who, int *out)
{
    const char *v = ts__attr(el, attr);
    *out = ts__id_find(b->zone_ids, v);
    if (*out >= 0)
        return TS_OK;
    return err_at(b, TS_ENOENT, el,
                  "%s: %s=\"%s\" names no zone (declare it with <zone "
                  "id=\"%s\"/> in <policies>)", who, attr, v, v);
}

static int add_allow(ts__builder *b, const xmlNode *el)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    ts_scenario_allow *as = ts__grow(s->allows, &b->cap_allows, s->n_allows,
                                     sizeof *as);
    if (!as)
        return ts__oom(b, line);
    s->allows = as;
    ts_scenario_allow *a = &s->allows[s->n_allows++];
    a->line = line;
    a->from_zone = a->to_zone = a->component = a->topic = -1;
    const char *fz = ts__attr(el, "from-zone"), *tz = ts__attr(el, "to-zone");
    const char *comp = ts__attr(el, "component");
    const char *pub = ts__attr(el, "publish"), *sub = ts__attr(el, "subscribe");
    int zone_rule = fz || tz, topic_rule = comp || pub || sub;
    if (zone_rule == topic_rule)
        return err_at(b, TS_EINVAL, el,
                      "allow: %s (a rule is from-zone= with to-zone=, two "
                      "zones that may talk, or component= with publish= or "
                      "subscribe=, a topic it may use)",
                      zone_rule ? "zones and a component in one rule"
                                : "the rule allows nothing");
    if (zone_rule) {
        if (!fz || !tz)
            return err_at(b, TS_EINVAL, el,
                          "allow: from-zone= and to-zone= go together");
        int rc = zone_ref(b, el, "from-zone", "allow", &a->from_zone);
        if (!rc)
            rc = zone_ref(b, el, "to-zone", "allow", &a->to_zone);
        return rc;
    }
    if (!comp || (pub != NULL) == (sub != NULL))
        return err_at(b, TS_EINVAL, el,
                      "allow: a topic rule names component= and one of "
                      "publish= or subscribe=");
    a->component = ts__id_find(b->component_ids, comp);
    if (a->component < 0)
        return err_at(b, TS_ENOENT, el,
                      "allow: component=\"%s\" names no component", comp);
    a->publish = pub != NULL;
    const char *topic = pub ? pub : sub;
    a->topic = ts__id_find(b->topic_ids, topic);
    if (a->topic < 0)
        return err_at(b, TS_ENOENT, el, "allow: %s=\"%s\" names no topic",
                      pub ? "publish" : "subscribe", topic);
    return TS_OK;
}

int ts__walk_allows(ts__builder *b, const xmlNode *policies)
{
    int rc = TS_OK;
    for (const xmlNode *c = ts__first_child(policies); c && !rc;
         c = ts__next_sibling(c))
        if (named(c, "allow"))
            rc = add_allow(b, c);
    return rc;
}

/* ---- component copies ---------------------------------------------------- */

static void safety_fini(ts_safety_mode *m)
{
    for (size_t i = 0; i < m->n_params; i++) {
        ts_free(m->param_names[i]);
        ts_free(m->param_values[i]);
    }
    ts_free(m->param_names);
    ts_free(m->param_values);
    m->param_names = m->param_values = NULL;
    m->n_params = 0;
}

/* Makes room for n parameters in m (which holds none); TS_ENOMEM leaves
 * it empty. */
static int safety_alloc(ts_safety_mode *m, size_t n)
{
    m->param_names = ts_calloc(n, sizeof *m->param_names);
    m->param_values = ts_calloc(n, sizeof *m->param_values);
    if (!m->param_names || !m->param_values) {
        safety_fini(m);
        return TS_ENOMEM;
    }
    return TS_OK;
}

/* Deep copy; dst holds nothing before. On TS_ENOMEM dst owns what was
 * copied. */
static int safety_copy(ts_safety_mode *dst, const ts_safety_mode *src)
{
    *dst = *src;
    dst->param_names = dst->param_values = NULL;
    dst->n_params = 0;
    if (src->n_params == 0)
        return TS_OK;
    if (safety_alloc(dst, src->n_params))
        return TS_ENOMEM;
    for (size_t i = 0; i < src->n_params; i++) {
        dst->n_params = i + 1;
        dst->param_names[i] = ts_strdup(src->param_names[i]);
        dst->param_values[i] = ts_strdup(src->param_values[i]);
        if (!dst->param_names[i] || !dst->param_values[i])
            return TS_ENOMEM;
    }
    return TS_OK;
}

int ts__component_shape_new(ts_scenario_component *c)
{
    ts__component_shape *sh = ts_calloc(1, sizeof *sh);
    if (!sh)
        return TS_ENOMEM;
    c->shared = &sh->shared;
    sh->shared.exec_dist = &sh->exec_dist; /* first member: it frees the block */
    sh->shared.gap_dist = &sh->gap_dist;
    sh->shared.safety = &sh->safety;
    return TS_OK;
}

void ts__component_fini(ts_scenario_component *c)
{
    if (c->fleet_member > 0) {
        /* a fleet copy's id is in its site's block, and it reads its
         * template's versions, distribution, safety mode and shared
         * fields (fleet_expand.c) */
        c->id = NULL;
        c->shared = NULL;
        return;
    }
    ts_free(c->id);
    c->id = NULL;
    if (c->shared) {
        for (size_t i = 0; i < c->shared->n_versions; i++)
            ts_free(c->shared->versions[i].id);
        ts_free(c->shared->versions);
        safety_fini(c->shared->safety);
        ts_free(c->shared->exec_dist); /* the whole ts__component_shape */
    }
    c->shared = NULL;
}

int ts__component_copy(ts_scenario_component *dst,
                       const ts_scenario_component *src, const char *id)
{
    *dst = *src;
    dst->id = NULL;
    dst->shared = NULL;
    if (ts__component_shape_new(dst))
        return TS_ENOMEM;
    /* the scalars; the pointers stay the new shape's own */
    ts_dist *dist = dst->shared->exec_dist;
    ts_dist *gap = dst->shared->gap_dist;
    ts_safety_mode *safety = dst->shared->safety;
    *dst->shared = *src->shared;
    dst->shared->exec_dist = dist;
    dst->shared->gap_dist = gap;
    dst->shared->safety = safety;
    *gap = *src->shared->gap_dist;
    dst->shared->versions = NULL; /* its own copy below */
    dst->shared->n_versions = 0;
    *dist = *src->shared->exec_dist;
    dst->id = ts_strdup(id);
    if (!dst->id || safety_copy(safety, src->shared->safety))
        return TS_ENOMEM;
    if (src->shared->n_versions == 0)
        return TS_OK;
    dst->shared->versions = ts_calloc(src->shared->n_versions, sizeof *dst->shared->versions);
    if (!dst->shared->versions)
        return TS_ENOMEM;
    for (size_t i = 0; i < src->shared->n_versions; i++) {
        dst->shared->versions[i] = src->shared->versions[i];
        dst->shared->n_versions = i + 1;
        dst->shared->versions[i].id = ts_strdup(src->shared->versions[i].id);
        if (!dst->shared->versions[i].id)
            return TS_ENOMEM;
    }
    return TS_OK;
}

/* ---- redundancy ---------------------------------------------------------- */

/* Attributes only a primary takes (a backup is what watches it). */
static const char *const PRIMARY_ONLY[] = {
    "heartbeat", "detector", "misses", "phi", "failover-budget", "replicas"};

/* ... and those only a backup takes. */
static const char *const BACKUP_ONLY[] = {"standby", "takeover"};

int ts__component_backup(ts__builder *b, const xmlNode *el, int index)
{
    ts_scenario *s = b->s;
    ts_scenario_component *c = &s->components[index];
    const char *of = ts__attr(el, "backup-of");
    if (!of) {
        for (size_t i = 0; i < sizeof BACKUP_ONLY / sizeof *BACKUP_ONLY; i++)
            if (ts__attr(el, BACKUP_ONLY[i]))
                return err_at(b, TS_EINVAL, el,
                              "component %s: %s= applies to a backup (add "
                              "backup-of=\"...\" naming its primary)",
                              c->id, BACKUP_ONLY[i]);
        return TS_OK;
    }
    int p = ts__id_find(b->component_ids, of);
    if (p == index)
        return err_at(b, TS_EINVAL, el,
                      "component %s: backup-of=\"%s\" names the component "
                      "itself", c->id, of);
    if (p < 0) {
        int later = later_line(el, "component", of);
        if (later)
            return err_at(b, TS_ENOENT, el,
                          "component %s: backup-of=\"%s\" names the "
                          "component at line %d, declared after it (declare "
                          "a primary before its backups)", c->id, of, later);
        return err_at(b, TS_ENOENT, el,
                      "component %s: backup-of=\"%s\" names no component "
                      "(expected the id of its primary)", c->id, of);
    }
    const ts_scenario_component *pr = &s->components[p];
    if (pr->backup_of >= 0)
        return err_at(b, TS_EINVAL, el,
                      "component %s: backup-of=\"%s\" names a backup (of "
                      "%s); every backup names the primary itself, so write "
                      "backup-of=\"%s\"", c->id, of,
                      s->components[pr->backup_of].id,
                      s->components[pr->backup_of].id);
    for (size_t i = 0; i < sizeof PRIMARY_ONLY / sizeof *PRIMARY_ONLY; i++)
        if (ts__attr(el, PRIMARY_ONLY[i]))
            return err_at(b, TS_EINVAL, el,
                          "component %s: %s= is for the primary %s (the one "
                          "its backups watch); set it there",
                          c->id, PRIMARY_ONLY[i], pr->id);

    /* What the backup takes from its primary unless it says otherwise.
     * Not the pin or the cores: a backup belongs elsewhere. */
    c->shared->period_ns = pr->shared->period_ns;
    c->shared->arrival = pr->shared->arrival; /* a trigger's topic too, once
                                                 topics are read */
    c->shared->min_interarrival_ns = pr->shared->min_interarrival_ns;
    *c->shared->gap_dist = *pr->shared->gap_dist;
    c->shared->offset_ns = pr->shared->offset_ns;
    c->shared->deadline_ns = pr->shared->deadline_ns;
    c->shared->exec_ns = pr->shared->exec_ns;
    c->shared->exec_min_ns = pr->shared->exec_min_ns;
    *c->shared->exec_dist = *pr->shared->exec_dist;
    c->shared->priority = pr->shared->priority;
    c->shared->cpu_millicores = pr->shared->cpu_millicores;
    c->shared->memory_bytes = pr->shared->memory_bytes;
    c->shared->gpus = pr->shared->gpus;
    c->shared->gpu_share_milli = pr->shared->gpu_share_milli;
    c->shared->gpu_memory_bytes = pr->shared->gpu_memory_bytes;
    c->shared->gpu_exec_ns = pr->shared->gpu_exec_ns;
    c->shared->policy = pr->shared->policy;
    c->shared->weight = pr->shared->weight;
    c->shared->flags = pr->shared->flags;
    c->zone = pr->zone;
    c->site = pr->site;
    c->shared->isolation = pr->shared->isolation;
    c->shared->core_redundancy = pr->shared->core_redundancy;
    c->shared->needed = pr->shared->needed;
    c->backup_of = p;

    const char *standby = ts__attr(el, "standby");
    c->shared->standby = !standby                       ? TS_STANDBY_HOT
                 : ts__token_eq(standby, "warm") ? TS_STANDBY_WARM
                 : ts__token_eq(standby, "cold") ? TS_STANDBY_COLD
                                                 : TS_STANDBY_HOT;
    c->shared->takeover_ns = TAKEOVER_DEFAULT_NS[c->shared->standby];
    return ts__bquantity(b, el, "takeover", TS__Q_TIME, &c->shared->takeover_ns, NULL,
                         NULL);
}

int ts__check_backups(ts__builder *b)
{
    const ts_scenario *s = b->s;
    for (size_t i = 0; i < s->n_components; i++) {
        const ts_scenario_component *c = &s->components[i];
        if (c->backup_of < 0)
            continue;
        const ts_scenario_component *p = &s->components[c->backup_of];
        if (p->shared->heartbeat_ns == 0)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, p->line,
                                "component %s has a backup (%s, line %d) but "
                                "no heartbeat= (its backups could never "
                                "tell that it failed; add heartbeat=\"...\")",
                                p->id, c->id, c->line);
    }
    return TS_OK;
}

/* ---- the rest of a component --------------------------------------------- */

/* robot=, and the robot its pin implies; they must agree. */
static int component_robot(ts__builder *b, const xmlNode *el,
                           ts_scenario_component *c)
{
    const ts_scenario *s = b->s;
    const char *robot = ts__attr(el, "robot");
    if (robot) {
        int k = ts__id_find(b->site_ids, robot);
        if (k < 0)
            return err_at(b, TS_ENOENT, el,
                          "component %s: robot=\"%s\" names no robot",
                          c->id, robot);
        if (s->sites[k].tier != TS_TIER_ROBOT)
            return err_at(b, TS_EINVAL, el,
                          "component %s: robot=\"%s\" is %s %s, not a robot",
                          c->id, robot,
                          s->sites[k].tier == TS_TIER_EDGE ? "an" : "a",
                          ts_tier_name(s->sites[k].tier));
        c->site = k;
    }
    if (c->pin < 0)
        return TS_OK;
    int ps = s->nodes[c->pin].site;
    if (ps < 0 || s->sites[ps].tier != TS_TIER_ROBOT)
        return TS_OK;
    if (c->site >= 0 && c->site != ps)
        return err_at(b, TS_EINVAL, el,
                      "component %s: node=\"%s\" is on robot %s, but the "
                      "component belongs to robot %s%s", c->id,
                      s->nodes[c->pin].id, s->sites[ps].id,
                      s->sites[c->site].id,
                      robot ? "" : " (its primary's)");
    c->site = ps;
    return TS_OK;
}

/* heartbeat, detector, misses, phi, failover-budget, core-redundancy. */
static int component_monitoring(ts__builder *b, const xmlNode *el,
                                ts_scenario_component *c)
{
    int present;
    int rc = ts__bquantity(b, el, "heartbeat", TS__Q_TIME, &c->shared->heartbeat_ns,
                           NULL, &present);
    if (rc)
        return rc;
    if (present && c->shared->heartbeat_ns <= 0)
        return ts__bpositive(b, el, "heartbeat");
    const char *det = ts__attr(el, "detector");
    if (det)
        c->shared->detector = ts__token_eq(det, "phi") ? TS_DETECT_PHI
                                               : TS_DETECT_TIMEOUT;
    if (ts__int_attr(el, "misses", &c->shared->misses) && c->shared->misses < 1)
        return err_at(b, TS_EINVAL, el,
                      "component %s: misses=\"%s\" must be at least 1 (the "
                      "heartbeats missed before a backup takes over)",
                      c->id, ts__attr(el, "misses"));
    rc = ts__bquantity(b, el, "phi", TS__Q_NUMBER, NULL, &c->shared->phi_threshold,
                       &present);
    if (rc)
        return rc;
    if (present && !(c->shared->phi_threshold > 0))
        return ts__bpositive(b, el, "phi");
    rc = ts__bquantity(b, el, "failover-budget", TS__Q_TIME,
                       &c->shared->failover_budget_ns, NULL, NULL);
    if (rc)
        return rc;
    if (ts__attr(el, "core-redundancy"))
        c->shared->core_redundancy = ts__bool_attr(el, "core-redundancy");
    return TS_OK;
}

/* needed, isolation, zone. */
static int component_policy(ts__builder *b, const xmlNode *el,
                            ts_scenario_component *c)
{
    if (ts__attr(el, "needed"))
        c->shared->needed = ts__bool_attr(el, "needed");
    if (c->shared->flags & TS_FLAG_SAFETY_CRITICAL)
        c->shared->needed = 1;
    const char *iso = ts__attr(el, "isolation");
    if (iso)
        c->shared->isolation = ts__token_eq(iso, "core")      ? TS_ISOLATION_CORE
                       : ts__token_eq(iso, "node")    ? TS_ISOLATION_NODE
                       : ts__token_eq(iso, "highest") ? TS_ISOLATION_HIGHEST
                                                      : TS_ISOLATION_NONE;
    if (!ts__attr(el, "zone"))
        return TS_OK;
    char who[320];
    snprintf(who, sizeof who, "component %s", c->id);
    return zone_ref(b, el, "zone", who, &c->zone);
}

/* <safety-mode>, or a backup's copy of its primary's. */
static int component_safety(ts__builder *b, const xmlNode *el,
                            ts_scenario_component *c)
{
    const xmlNode *sm = ts__child_named(el, "safety-mode");
    int line = ts__line(el);
    if (!sm) {
        if (c->backup_of >= 0 &&
            safety_copy(c->shared->safety, b->s->components[c->backup_of].shared->safety))
            return ts__oom(b, line);
        return TS_OK;
    }
    ts_safety_mode *m = c->shared->safety;
    int present;
    int rc = ts__bquantity(b, sm, "rate", TS__Q_PERIOD, &m->period_ns, NULL,
                           NULL);
    if (!rc)
        rc = ts__bquantity(b, sm, "exec", TS__Q_TIME, &m->exec_ns, NULL,
                           &present);
    if (rc)
        return rc;
    if (present && m->exec_ns <= 0)
        return ts__bpositive(b, sm, "exec");
    size_t n = 0;
    for (const xmlNode *p = ts__first_child(sm); p; p = ts__next_sibling(p))
        n++;
    if (n == 0)
        return TS_OK;
    if (safety_alloc(m, n))
        return ts__oom(b, line);
    for (const xmlNode *p = ts__first_child(sm); p; p = ts__next_sibling(p)) {
        size_t i = m->n_params++;
        m->param_names[i] = ts_strdup(ts__attr(p, "name"));
        m->param_values[i] = ts_strdup(ts__attr(p, "value"));
        if (!m->param_names[i] || !m->param_values[i])
            return ts__oom(b, ts__line(p));
    }
    return TS_OK;
}

/* One <version>: what it changes. */
static int read_version(ts__builder *b, const xmlNode *v,
                        const ts_scenario_component *c,
                        ts_scenario_version *out)
{
    int has_exec, has_min;
    int rc = ts__bquantity(b, v, "rate", TS__Q_PERIOD, &out->period_ns, NULL,
                           NULL);
    if (!rc)
        rc = ts__bquantity(b, v, "exec", TS__Q_TIME, &out->exec_ns, NULL,
                           &has_exec);
    if (!rc)
        rc = ts__bquantity(b, v, "exec-min", TS__Q_TIME, &out->exec_min_ns,
                           NULL, &has_min);
    if (!rc)
        rc = ts__bquantity(b, v, "cpu", TS__Q_CPU, &out->cpu_millicores, NULL,
                           NULL);
    if (!rc)
        rc = ts__bquantity(b, v, "memory", TS__Q_BYTES, &out->memory_bytes,
                           NULL, NULL);
    if (rc)
        return rc;
    if (has_exec && out->exec_ns <= 0)
        return ts__bpositive(b, v, "exec");
    if (has_min && out->exec_min_ns <= 0)
        return ts__bpositive(b, v, "exec-min");
    if (has_exec && !has_min)
        out->exec_min_ns = out->exec_ns; /* as on a component */
    int64_t exec = has_exec ? out->exec_ns : c->shared->exec_ns;
    if (out->exec_min_ns > exec) {
        char e[32];
        ts__format_ns(exec, e, sizeof e);
        return err_at(b, TS_EINVAL, v,
                      "component %s <version %s>: exec-min=\"%s\" is longer "
                      "than its exec (%s)", c->id, ts__attr(v, "id"),
                      ts__attr(v, "exec-min"), e);
    }
    return TS_OK;
}

/* versions[0] is the component as declared (id version=, default "v1"),
 * then each <version>. */
static int component_versions(ts__builder *b, const xmlNode *el,
                              ts_scenario_component *c)
{
    int line = ts__line(el);
    size_t n = 1;
    for (const xmlNode *v = ts__first_child(el); v; v = ts__next_sibling(v))
        n += named(v, "version");
    c->shared->versions = ts_calloc(n, sizeof *c->shared->versions);
    if (!c->shared->versions)
        return ts__oom(b, line);
    const char *own = ts__attr(el, "version");
    ts_scenario_version *v0 = &c->shared->versions[0];
    c->shared->n_versions = 1;
    v0->id = ts_strdup(own ? own : "v1");
    if (!v0->id)
        return ts__oom(b, line);
    v0->period_ns = c->shared->period_ns;
    v0->exec_ns = c->shared->exec_ns;
    v0->exec_min_ns = c->shared->exec_min_ns;
    v0->cpu_millicores = c->shared->cpu_millicores;
    v0->memory_bytes = c->shared->memory_bytes;
    v0->line = line;
    for (const xmlNode *v = ts__first_child(el); v; v = ts__next_sibling(v)) {
        if (!named(v, "version"))
            continue;
        const char *id = ts__attr(v, "id");
        for (size_t i = 0; i < c->shared->n_versions; i++)
            if (strcmp(c->shared->versions[i].id, id) == 0)
                return err_at(b, TS_EINVAL, v,
                              "component %s: version \"%s\" is declared "
                              "twice (%s at line %d)", c->id, id,
                              i == 0 ? "it is the component's own version, "
                                       "set by version= or \"v1\","
                                     : "the first",
                              c->shared->versions[i].line);
        ts_scenario_version *out = &c->shared->versions[c->shared->n_versions++];
        out->line = ts__line(v);
        out->id = ts_strdup(id);
        if (!out->id)
            return ts__oom(b, out->line);
        int rc = read_version(b, v, c, out);
        if (rc)
            return rc;
    }
    return TS_OK;
}

/* replicas="N": N-1 copies id_2..id_N right after it; every one of the N
 * gets replica_of = the first's index. */
static int component_replicas(ts__builder *b, const xmlNode *el, int index)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    int n = 1;
    if (ts__int_attr(el, "replicas", &n) && n < 1)
        return err_at(b, TS_EINVAL, el,
                      "component %s: replicas=\"%s\" must be at least 1",
                      s->components[index].id, ts__attr(el, "replicas"));
    if (n == 1)
        return TS_OK;
    s->components[index].replica_of = index;
    for (int k = 2; k <= n; k++) {
        ts_scenario_component *cs = ts__grow(
            s->components, &b->cap_components, s->n_components, sizeof *cs);
        if (!cs)
            return ts__oom(b, line);
        s->components = cs;
        char *id = ts__id_suffix(s->components[index].id, "_", k);
        if (!id)
            return ts__oom(b, line);
        int prev = ts__id_add(b->component_ids, id, s->n_components);
        if (prev != -1) {
            int rc = prev == -2
                         ? ts__oom(b, line)
                         : err_at(b, TS_EINVAL, el,
                                  "component %s: its replica \"%s\" "
                                  "(replicas=\"%d\") takes the id of the "
                                  "component at line %d",
                                  s->components[index].id, id, n,
                                  s->components[prev].line);
            ts_free(id);
            return rc;
        }
        ts_scenario_component *c = &s->components[s->n_components++];
        int rc = ts__component_copy(c, &s->components[index], id);
        ts_free(id);
        if (rc)
            return ts__oom(b, line);
    }
    return TS_OK;
}

static int add_worker_pool(ts__builder *b, const xmlNode *comp, const xmlNode *el, int index);

/* A batch job's whole GPUs (gpus="N"): a gang it holds only while its GPU
 * work runs, so it is pinned to a node with N GPUs and placement
 * reserves none for it (the GPUs stay free for the other kernels in
 * between; README, "Cloud pipelines and autoscaling"). */
static int batch_gpus(ts__builder *b, const xmlNode *el, ts_scenario_component *c)
{
    ts_scenario_component_shared *sh = c->shared;
    if (sh->arrival != TS_ARRIVAL_BATCH || sh->gpus < 1)
        return TS_OK;
    const ts_scenario *s = b->s;
    if (c->pin < 0 || s->nodes[c->pin].gpus < sh->gpus)
        return err_at(b, TS_EINVAL, el,
                      "component %s: a batch job with gpus=\"%d\" needs node= naming a "
                      "node with at least %d GPUs (it holds them all at once)%s%s%s",
                      c->id, sh->gpus, sh->gpus, c->pin >= 0 ? "; node " : "",
                      c->pin >= 0 ? s->nodes[c->pin].id : "",
                      c->pin >= 0 ? " has fewer" : "");
    if (sh->gpus > 65535)
        return err_at(b, TS_EINVAL, el, "component %s: gpus=\"%d\" is too many", c->id,
                      sh->gpus);
    sh->gang_gpus = (uint16_t)sh->gpus;
    sh->gpus = 0;
    return TS_OK;
}
static int arrival_rate_steps(ts__builder *b, const xmlNode *el, ts_scenario_component *c);

int ts__component_deploy(ts__builder *b, const xmlNode *el, int index)
{
    ts_scenario *s = b->s;
    ts_scenario_component *c = &s->components[index];
    int rc = component_robot(b, el, c);
    if (!rc)
        rc = component_monitoring(b, el, c);
    if (!rc)
        rc = component_policy(b, el, c);
    if (!rc)
        rc = component_safety(b, el, c);
    if (!rc)
        rc = component_versions(b, el, c);
    if (rc)
        return rc;
    if (c->backup_of >= 0 && c->pin >= 0 &&
        c->pin == s->components[c->backup_of].pin && !c->shared->core_redundancy)
        return err_at(b, TS_EINVAL, el,
                      "component %s: node=\"%s\" is where its primary %s "
                      "runs; a backup needs another node, unless the "
                      "primary has core-redundancy=\"true\" (then another "
                      "core is enough)", c->id, s->nodes[c->pin].id,
                      s->components[c->backup_of].id);
    if ((rc = arrival_rate_steps(b, el, c)) || (rc = batch_gpus(b, el, c)) ||
        (rc = component_replicas(b, el, index)))
        return rc;
    const xmlNode *as = NULL;
    for (const xmlNode *k = ts__first_child(el); k; k = ts__next_sibling(k))
        if (named(k, "autoscale"))
            as = k;
    return as ? add_worker_pool(b, el, as, index) : TS_OK;
}

/* ---- services ------------------------------------------------------------ */

/* An <autoscale> (deploy_autoscale.h) over n replica slots, for `who`
 * ("service infer", "component ingest"): defaults as the Kubernetes
 * HPA's (sync period 15 s, scale-up window 0 s, scale-down window 300 s:
 * kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/),
 * max = every replica slot declared. metric= is the one this kind of
 * slot is measured by (`metric`); another is refused. */
static int read_autoscale(ts__builder *b, const xmlNode *el, const char *who, int n,
                          const char *metric, ts_scenario_autoscale *a)
{
    int line = ts__line(el);
    a->enabled = 1;
    a->line = line;
    a->max_replicas = n;
    a->period_ns = 15000000000LL;
    a->down_window_ns = 300000000000LL;
    const char *m = ts__attr(el, "metric");
    if (m && !ts__token_eq(m, metric))
        return err_at(b, TS_EINVAL, el,
                      "%s: autoscale metric=\"%s\" does not apply here (expected "
                      "metric=\"%s\": a service scales on its requests in flight, "
                      "triggered workers on their queue)", who, m, metric);
    ts__int_attr(el, "min", &a->min_replicas);
    int has_max = ts__int_attr(el, "max", &a->max_replicas);
    if (a->min_replicas < 1)
        return err_at(b, TS_EINVAL, el,
                      "%s: autoscale min=\"%d\" must be at least 1 (with no replica "
                      "serving nothing measures the load)", who, a->min_replicas);
    if (!has_max && a->min_replicas > n)
        return err_at(b, TS_EINVAL, el,
                      "%s: autoscale min=\"%d\" exceeds the %d replicas declared "
                      "(each replica is a placed slot: raise replicas= on the component)",
                      who, a->min_replicas, n);
    if (a->max_replicas < a->min_replicas)
        return err_at(b, TS_EINVAL, el,
                      "%s: autoscale max=\"%d\" is below min=\"%d\" (expected "
                      "min <= max)", who, a->max_replicas, a->min_replicas);
    if (a->max_replicas > n)
        return err_at(b, TS_EINVAL, el,
                      "%s: autoscale max=\"%d\" exceeds the %d replicas declared "
                      "(each replica is a placed slot: raise replicas= on the component)",
                      who, a->max_replicas, n);
    int rc = ts__bquantity(b, el, "target", TS__Q_NUMBER, NULL, &a->target, NULL);
    if (rc)
        return rc;
    if (!(a->target > 0))
        return ts__bpositive(b, el, "target");
    static const char *const times[] = {"period", "up-window", "down-window", "cold-start"};
    int64_t *time_of[] = {&a->period_ns, &a->up_window_ns, &a->down_window_ns,
                          &a->cold_start_ns};
    for (int i = 0; i < 4; i++) {
        int64_t t;
        int present = 0;
        if ((rc = ts__bquantity(b, el, times[i], TS__Q_TIME, &t, NULL, &present)))
            return rc;
        if (present)
            *time_of[i] = t;
        if (*time_of[i] < 0 || (i == 0 && *time_of[i] == 0))
            return i == 0 ? ts__bpositive(b, el, "period")
                          : err_at(b, TS_EINVAL, el, "%s: autoscale %s= must not "
                                   "be negative", who, times[i]);
    }
    double price = 0;
    int has_price = 0;
    if ((rc = ts__bquantity(b, el, "price", TS__Q_NUMBER, NULL, &price, &has_price)))
        return rc;
    a->price_per_hour = has_price ? price : 0;
    return TS_OK;
}

static int add_autoscale(ts__builder *b, const xmlNode *el, ts_scenario_service *v)
{
    char who[300];
    snprintf(who, sizeof who, "service %s", v->id);
    if (ts__attr(el, "drain"))
        return err_at(b, TS_EINVAL, el,
                      "%s: autoscale drain= applies to triggered workers (a service's "
                      "replica drains for its request timeout=)", who);
    return read_autoscale(b, el, who, (int)v->n_replicas, "in-flight", &v->autoscale);
}

/* The default drain of a withdrawn worker replica: 30 s, Kubernetes'
 * default terminationGracePeriodSeconds (kubernetes.io/docs/concepts/
 * workloads/pods/pod-lifecycle/#pod-termination). */
#define WORKER_DRAIN_DEFAULT_NS 30000000000LL

/* <autoscale metric="queue"> on a triggered component with replicas=:
 * a worker pool over the component and its replicas (made just before). */
static int add_worker_pool(ts__builder *b, const xmlNode *comp, const xmlNode *el, int index)
{
    ts_scenario *s = b->s;
    const ts_scenario_component *c = &s->components[index];
    char who[300];
    snprintf(who, sizeof who, "component %s", c->id);
    if (!ts__attr(comp, "trigger"))
        return err_at(b, TS_EINVAL, el,
                      "%s: <autoscale> sizes message-triggered workers by their queue "
                      "(give the component trigger=\"TOPIC\"; a service's replicas "
                      "take <autoscale> inside <service>)", who);
    if (c->site >= 0)
        return err_at(b, TS_EINVAL, el,
                      "%s: <autoscale> workers run on cloud or edge nodes, not as part "
                      "of robot %s (leave robot= out and pin them elsewhere)", who,
                      s->sites[c->site].id);
    int n = 1;
    ts__int_attr(comp, "replicas", &n);
    ts_scenario_worker_pool *ps = ts_realloc(s->worker_pools,
                                             (s->n_worker_pools + 1) * sizeof *ps);
    if (!ps)
        return ts__oom(b, ts__line(el));
    s->worker_pools = ps;
    ts_scenario_worker_pool *p = &s->worker_pools[s->n_worker_pools++];
    memset(p, 0, sizeof *p);
    p->line = ts__line(el);
    p->drain_ns = WORKER_DRAIN_DEFAULT_NS;
    p->replicas = ts_malloc((size_t)n * sizeof *p->replicas);
    if (!p->replicas)
        return ts__oom(b, p->line);
    p->replicas[p->n_replicas++] = index;
    for (size_t k = (size_t)index + 1; k < s->n_components && p->n_replicas < (size_t)n; k++)
        if (s->components[k].replica_of == index)
            p->replicas[p->n_replicas++] = (int)k;
    int present = 0;
    int64_t drain = 0;
    int rc = ts__bquantity(b, el, "drain", TS__Q_TIME, &drain, NULL, &present);
    if (rc)
        return rc;
    if (present) {
        if (drain < 0)
            return err_at(b, TS_EINVAL, el, "%s: autoscale drain= must not be negative", who);
        p->drain_ns = drain;
    }
    return read_autoscale(b, el, who, n, "queue", &p->autoscale);
}

/* <rate-step at= rate=> of a Poisson or sporadic component: a load ramp
 * (every gap from then on scaled to the new mean rate). */
static int arrival_rate_steps(ts__builder *b, const xmlNode *el, ts_scenario_component *c)
{
    ts_scenario_component_shared *sh = c->shared;
    sh->n_rate_steps = 0;
    for (const xmlNode *k = ts__first_child(el); k; k = ts__next_sibling(k)) {
        if (!named(k, "rate-step"))
            continue;
        if (sh->arrival != TS_ARRIVAL_POISSON && sh->arrival != TS_ARRIVAL_SPORADIC)
            return err_at(b, TS_EINVAL, k,
                          "component %s: <rate-step> applies to arrival=\"poisson\" or "
                          "\"sporadic\" (its releases come from a timer or a trigger)",
                          c->id);
        if (sh->n_rate_steps == TS_SCENARIO_RATE_STEPS)
            return err_at(b, TS_EINVAL, k, "component %s: more than %d <rate-step>s", c->id,
                          TS_SCENARIO_RATE_STEPS);
        int64_t at, period;
        int rc;
        if ((rc = ts__bquantity(b, k, "at", TS__Q_TIME, &at, NULL, NULL)) ||
            (rc = ts__bquantity(b, k, "rate", TS__Q_PERIOD, &period, NULL, NULL)))
            return rc;
        if (at <= 0 || (sh->n_rate_steps && at <= sh->rate_steps[sh->n_rate_steps - 1].at_ns))
            return err_at(b, TS_EINVAL, k,
                          "component %s: rate-step at=\"%s\" must be after 0 and after the "
                          "step before it (expected steps in time order)",
                          c->id, ts__attr(k, "at"));
        sh->rate_steps[sh->n_rate_steps].at_ns = at;
        sh->rate_steps[sh->n_rate_steps++].period_ns = period;
    }
    return TS_OK;
}

static int add_service(ts__builder *b, const xmlNode *el)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    const char *id = ts__attr(el, "id");
    ts_scenario_service *ss = ts__grow(s->services, &b->cap_services,
                                       s->n_services, sizeof *ss);
    if (!ss)
        return ts__oom(b, line);
    s->services = ss;
    int prev = ts__id_add(b->service_ids, id, s->n_services);
    if (prev == -2)
        return ts__oom(b, line);
    if (prev >= 0)
        return err_at(b, TS_EINVAL, el,
                      "duplicate service id \"%s\": the service at line %d "
                      "already uses it", id, s->services[prev].line);
    ts_scenario_service *v = &s->services[s->n_services++];
    v->line = line;
    v->id = ts_strdup(id);
    if (!v->id)
        return ts__oom(b, line);

    const char *comp = ts__attr(el, "component");
    int k = ts__id_find(b->component_ids, comp);
    if (k < 0)
        return err_at(b, TS_ENOENT, el,
                      "service %s: component=\"%s\" names no component "
                      "(expected the component whose replicas serve it)",
                      id, comp);
    /* The whole replica group, whichever member was named. */
    int first = s->components[k].replica_of >= 0
                    ? s->components[k].replica_of
                    : k;
    size_t n = 0;
    for (size_t i = 0; i < s->n_components; i++)
        n += (int)i == first || s->components[i].replica_of == first;
    v->replicas = ts_malloc(n * sizeof *v->replicas);
    if (!v->replicas)
        return ts__oom(b, line);
    for (size_t i = 0; i < s->n_components; i++)
        if ((int)i == first || s->components[i].replica_of == first)
            v->replicas[v->n_replicas++] = (int)i;

    const char *lb = ts__attr(el, "lb");
    v->least_outstanding = lb && ts__token_eq(lb, "least-outstanding");
    int has_period, has_timeout;
    int rc = ts__bquantity(b, el, "health-period", TS__Q_TIME,
                           &v->health_period_ns, NULL, &has_period);
    if (!rc)
        rc = ts__bquantity(b, el, "health-timeout", TS__Q_TIME,
                           &v->health_timeout_ns, NULL, &has_timeout);
    if (rc)
        return rc;
    if (has_period && v->health_period_ns <= 0)
        return ts__bpositive(b, el, "health-period");
    if (has_timeout && !has_period)
        return err_at(b, TS_EINVAL, el,
                      "service %s: health-timeout= but no health-period= "
                      "(health checks run every health-period)", id);
    if (has_timeout && v->health_timeout_ns <= 0)
        return ts__bpositive(b, el, "health-timeout");
    if (!has_timeout)
        v->health_timeout_ns = v->health_period_ns;
    static const char *const sizes[] = {"request", "response"};
    int64_t *size_of[] = {&v->request_bytes, &v->response_bytes};
    for (int i = 0; i < 2; i++) {
        rc = ts__bquantity(b, el, sizes[i], TS__Q_BYTES, size_of[i], NULL,
                           NULL);
        if (rc)
            return rc;
        if (*size_of[i] <= 0)
            return ts__bpositive(b, el, sizes[i]);
    }
    rc = ts__bquantity(b, el, "timeout", TS__Q_TIME, &v->timeout_ns, NULL,
                       NULL);
    if (rc)
        return rc;
    if (v->timeout_ns <= 0)
        return ts__bpositive(b, el, "timeout");
    const xmlNode *as = ts__child_named(el, "autoscale");
    return as ? add_autoscale(b, as, v) : TS_OK;
}

static int add_client(ts__builder *b, const xmlNode *el)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    ts_scenario_client *cs = ts__grow(s->clients, &b->cap_clients,
                                      s->n_clients, sizeof *cs);
    if (!cs)
        return ts__oom(b, line);
    s->clients = cs;
    ts_scenario_client *c = &s->clients[s->n_clients++];
    c->line = line;
    const char *comp = ts__attr(el, "component");
    const char *service = ts__attr(el, "service");
    c->component = ts__id_find(b->component_ids, comp);
    if (c->component < 0)
        return err_at(b, TS_ENOENT, el,
                      "client: component=\"%s\" names no component", comp);
    c->service = ts__id_find(b->service_ids, service);
    if (c->service < 0)
        return err_at(b, TS_ENOENT, el,
                      "client %s: service=\"%s\" names no service (declare "
                      "it with <service id=\"%s\" ...> in <services>)",
                      comp, service, service);
    /* per="job": the load is its component's jobs, so no timer of its
     * own (the schema allows only "job"; rate= or steps would be a second
     * source of calls). */
    const char *per = ts__attr(el, "per");
    const char *rate = ts__attr(el, "rate");
    if (per) {
        c->per_job = 1;
        if (rate)
            return err_at(b, TS_EINVAL, el,
                          "client %s: per=\"%s\" and rate=\"%s\" both given (expected "
                          "one: per=\"job\" calls once per job of %s, rate= on a timer)",
                          comp, per, rate, comp);
        if (ts__child_named(el, "rate-step"))
            return err_at(b, TS_EINVAL, ts__child_named(el, "rate-step"),
                          "client %s: <rate-step> with per=\"%s\" (expected no steps: "
                          "the calls follow %s's jobs; ramp the load at its source)",
                          comp, per, comp);
        return TS_OK;
    }
    if (!rate)
        return err_at(b, TS_EINVAL, el,
                      "client %s: neither rate= nor per=\"job\" (expected one: how often "
                      "it calls %s)", comp, service);
    int rc = ts__bquantity(b, el, "rate", TS__Q_PERIOD, &c->period_ns, NULL,
                           NULL);
    for (const xmlNode *k = ts__first_child(el); k && !rc; k = ts__next_sibling(k)) {
        if (!named(k, "rate-step"))
            continue;
        if (c->n_steps == TS_SCENARIO_RATE_STEPS)
            return err_at(b, TS_EINVAL, k, "client %s: more than %d <rate-step>s", comp,
                          TS_SCENARIO_RATE_STEPS);
        int64_t at, period;
        if ((rc = ts__bquantity(b, k, "at", TS__Q_TIME, &at, NULL, NULL)) ||
            (rc = ts__bquantity(b, k, "rate", TS__Q_PERIOD, &period, NULL, NULL)))
            return rc;
        if (at <= 0 || (c->n_steps && at <= c->steps[c->n_steps - 1].at_ns))
            return err_at(b, TS_EINVAL, k,
                          "client %s: rate-step at=\"%s\" must be after 0 and after the "
                          "step before it (expected steps in time order)",
                          comp, ts__attr(k, "at"));
        c->steps[c->n_steps].at_ns = at;
        c->steps[c->n_steps++].period_ns = period;
    }
    return rc;
}

int ts__walk_services(ts__builder *b, const xmlNode *services)
{
    int rc = TS_OK;
    /* services first: a client may name one declared after it */
    for (const xmlNode *c = ts__first_child(services); c && !rc;
         c = ts__next_sibling(c))
        if (named(c, "service"))
            rc = add_service(b, c);
    for (const xmlNode *c = ts__first_child(services); c && !rc;
         c = ts__next_sibling(c))
        if (named(c, "client"))
            rc = add_client(b, c);
    return rc;
}

/* ---- fleets -------------------------------------------------------------- */

/* One <robot index=...> of a fleet: its parameter overrides, put on the
 * site that copy `index` will be (0: the template itself). */
static int fleet_robot(ts__builder *b, const xmlNode *el,
                       const ts_scenario_fleet *f, const xmlNode *fleet_el)
{
    ts_scenario *s = b->s;
    int index = 0;
    ts__int_attr(el, "index", &index);
    if (index >= f->count)
        return err_at(b, TS_EINVAL, el,
                      "fleet %s: <robot index=\"%d\"> is past its last robot "
                      "(count=\"%d\" makes robots 0 to %d, 0 being %s "
                      "itself)", f->id, index, f->count, f->count - 1,
                      s->sites[f->template_site].id);
    for (const xmlNode *o = ts__first_child(fleet_el); o != el;
         o = ts__next_sibling(o)) {
        int other = -1;
        ts__int_attr(o, "index", &other);
        if (other == index)
            return err_at(b, TS_EINVAL, el,
                          "fleet %s: robot %d already has overrides at line "
                          "%d", f->id, index, ts__line(o));
    }
    int site = index == 0 ? f->template_site
                          : (int)(s->n_sites + b->planned_sites) + index - 1;
    for (const xmlNode *p = ts__first_child(el); p; p = ts__next_sibling(p)) {
        const char *name = ts__attr(p, "name");
        if (find_param(s, name, -1) < 0)
            return err_at(b, TS_ENOENT, p,
                          "fleet %s: robot %d overrides \"%s\", which "
                          "<config> does not declare (an override applies "
                          "over a global parameter)", f->id, index, name);
        int prev = find_param(s, name, site);
        if (prev >= 0)
            return err_at(b, TS_EINVAL, p,
                          "fleet %s: robot %d sets \"%s\" twice (first at "
                          "line %d)", f->id, index, name,
                          s->params[prev].line);
        int rc = add_param(b, name, ts__attr(p, "value"), site, ts__line(p));
        if (rc)
            return rc;
    }
    return TS_OK;
}

int ts__add_fleet(ts__builder *b, const xmlNode *el)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    const char *id = ts__attr(el, "id");
    for (size_t i = 0; i < s->n_fleets; i++)
        if (strcmp(s->fleets[i].id, id) == 0)
            return err_at(b, TS_EINVAL, el,
                          "duplicate fleet id \"%s\": the fleet at line %d "
                          "already uses it", id, s->fleets[i].line);
    ts_scenario_fleet *fs = ts__grow(s->fleets, &b->cap_fleets, s->n_fleets,
                                     sizeof *fs);
    if (!fs)
        return ts__oom(b, line);
    s->fleets = fs;
    ts_scenario_fleet *f = &s->fleets[s->n_fleets++];
    f->line = line;
    f->coordinator = -1;
    f->id = ts_strdup(id);
    if (!f->id)
        return ts__oom(b, line);

    const char *tmpl = ts__attr(el, "template");
    f->template_site = ts__id_find(b->site_ids, tmpl);
    if (f->template_site < 0)
        return err_at(b, TS_ENOENT, el,
                      "fleet %s: template=\"%s\" names no robot", id, tmpl);
    const ts_scenario_site *t = &s->sites[f->template_site];
    if (t->tier != TS_TIER_ROBOT)
        return err_at(b, TS_EINVAL, el,
                      "fleet %s: template=\"%s\" is %s %s, not a robot", id,
                      tmpl, t->tier == TS_TIER_EDGE ? "an" : "a",
                      ts_tier_name(t->tier));
    for (size_t i = 0; i + 1 < s->n_fleets; i++)
        if (s->fleets[i].template_site == f->template_site)
            return err_at(b, TS_EINVAL, el,
                          "fleet %s: robot %s is already the template of "
                          "fleet %s (line %d)", id, tmpl, s->fleets[i].id,
                          s->fleets[i].line);
    ts__int_attr(el, "count", &f->count);
    if (f->count > 0 && (uint64_t)f->count > ts_limit(TS_LIMIT_FLEET_SIZE))
        return ts_limit_error(b->L->err, TS_LIMIT_FLEET_SIZE, b->file, ts__line(el),
                              "fleet %s: count=\"%d\" robots", id, f->count);

    const char *coord = ts__attr(el, "coordinator");
    if (coord) {
        f->coordinator = ts__id_find(b->component_ids, coord);
        if (f->coordinator < 0)
            return err_at(b, TS_ENOENT, el,
                          "fleet %s: coordinator=\"%s\" names no component",
                          id, coord);
        if (s->components[f->coordinator].site == f->template_site)
            return err_at(b, TS_EINVAL, el,
                          "fleet %s: coordinator=\"%s\" belongs to the "
                          "template robot %s, so every copy would get its "
                          "own; the coordinator runs once, in the cloud",
                          id, coord, tmpl);
    }
    for (const xmlNode *r = ts__first_child(el); r; r = ts__next_sibling(r)) {
        if (!named(r, "robot"))
            continue; /* <robot-override>: fleet_variety.c */
        int rc = fleet_robot(b, r, f, el);
        if (rc)
            return rc;
    }
    int rc = ts__variety_fleet(b, el, (int)(s->n_fleets - 1));
    if (rc)
        return rc;
    b->planned_sites += (size_t)f->count - 1;
    return TS_OK;
}

/* ---- rollouts ------------------------------------------------------------ */

/* How many robots run component c: its fleet's count, 1 on a robot of no
 * fleet, 0 when it belongs to no robot. */
static int robots_running(const ts_scenario *s, const ts_scenario_component *c)
{
    if (c->site < 0)
        return 0;
    for (size_t i = 0; i < s->n_fleets; i++)
        if (s->fleets[i].template_site == c->site)
            return s->fleets[i].count;
    return 1;
}

static int add_rollout(ts__builder *b, const xmlNode *el)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    ts_scenario_rollout *rs = ts__grow(s->rollouts, &b->cap_rollouts,
                                       s->n_rollouts, sizeof *rs);
    if (!rs)
        return ts__oom(b, line);
    s->rollouts = rs;
    ts_scenario_rollout *r = &s->rollouts[s->n_rollouts++];
    r->line = line;
    r->to_version = -1;
    const char *comp = ts__attr(el, "component");
    int k = ts__id_find(b->component_ids, comp);
    if (k < 0)
        return err_at(b, TS_ENOENT, el,
                      "rollout: component=\"%s\" names no component", comp);
    const ts_scenario_component *c = &s->components[k];
    r->component = ts_strdup(c->id);
    if (!r->component)
        return ts__oom(b, line);
    const char *to = ts__attr(el, "to");
    for (size_t i = 0; i < c->shared->n_versions; i++)
        if (strcmp(c->shared->versions[i].id, to) == 0)
            r->to_version = (int)i;
    if (r->to_version < 0) {
        char names[400] = "";
        for (size_t i = 0, used = 0; i < c->shared->n_versions && used < sizeof names;
             i++) {
            int w = snprintf(names + used, sizeof names - used, "%s%s",
                             i ? ", " : "", c->shared->versions[i].id);
            if (w < 0)
                break;
            used += (size_t)w;
        }
        return err_at(b, TS_ENOENT, el,
                      "rollout of %s: to=\"%s\" names no version of it (it "
                      "has %s; add <version id=\"%s\" ...> to the "
                      "component)", c->id, to, names, to);
    }
    if (r->to_version == 0)
        return err_at(b, TS_EINVAL, el,
                      "rollout of %s: to=\"%s\" is the version it already "
                      "runs", c->id, to);
    r->canaries = 1;
    r->wave = 1;
    ts__int_attr(el, "canaries", &r->canaries);
    ts__int_attr(el, "wave", &r->wave);
    int has_wave_soak;
    int rc = ts__bquantity(b, el, "start", TS__Q_TIME, &r->start_ns, NULL,
                           NULL);
    if (!rc)
        rc = ts__bquantity(b, el, "soak", TS__Q_TIME, &r->soak_ns, NULL, NULL);
    if (!rc)
        rc = ts__bquantity(b, el, "wave-soak", TS__Q_TIME, &r->wave_soak_ns,
                           NULL, &has_wave_soak);
    if (!rc)
        rc = ts__bquantity(b, el, "max-miss", TS__Q_FRACTION, NULL,
                           &r->max_miss_fraction, NULL);
    if (rc)
        return rc;
    if (!has_wave_soak)
        r->wave_soak_ns = r->soak_ns;
    int robots = robots_running(s, c);
    if (robots > 0 && r->canaries > robots)
        return err_at(b, TS_EINVAL, el,
                      "rollout of %s: canaries=\"%d\" but only %d robot%s "
                      "run%s it", c->id, r->canaries, robots,
                      robots == 1 ? "" : "s", robots == 1 ? "s" : "");
    return TS_OK;
}

int ts__walk_rollouts(ts__builder *b, const xmlNode *rollouts)
{
    int rc = TS_OK;
    for (const xmlNode *c = ts__first_child(rollouts); c && !rc;
         c = ts__next_sibling(c))
        rc = add_rollout(b, c);
    return rc;
}
