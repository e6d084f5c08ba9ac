/*
 * Access policy (see deploy_policy.h for the semantics). The description is
 * compiled once into a zone-pair matrix and per-(topic, direction) sorted
 * allow-lists, so a per-message decision is two array lookups and at most
 * four binary searches, with no allocation and no string work. Reasons are
 * written only on request.
 */
#include "toposim/deploy.h"

#include "toposim/alloc.h"
#include "toposim/error.h"
#include "toposim/runtime.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BY_COMPONENT = 0, BY_ZONE = 1 };

/* One allow-list entry; the array is sorted by (topic, dir, kind, id). */
typedef struct list_entry {
    int topic, dir, kind, id;
} list_entry;

struct ts_policy {
    size_t n_components, n_zones, n_topics;
    int *zone_of;
    unsigned char *zone_allow;  /* [(from+1) * (n_zones+1) + (to+1)] */
    list_entry *entries;
    size_t n_entries;
    size_t *range;              /* entries of (t, dir): [range[2t+dir],
                                   range[2t+dir+1]) */
    char **component_names, **zone_names, **topic_names;
    int default_deny;
};

static int entry_cmp(const void *a, const void *b)
{
    const list_entry *x = a, *y = b;
    if (x->topic != y->topic)
        return x->topic < y->topic ? -1 : 1;
    if (x->dir != y->dir)
        return x->dir < y->dir ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return 0;
}

static void free_names(char **names, size_t n)
{
    if (!names)
        return;
    for (size_t i = 0; i < n; i++)
        ts_free(names[i]);
    ts_free(names);
}

/* Copies n names (a NULL entry stays NULL); *dst stays NULL for src NULL.
 * Returns 0, or -1 when out of memory. */
static int copy_names(const char *const *src, size_t n, char ***dst)
{
    *dst = NULL;
    if (!src || n == 0)
        return 0;
    char **d = ts_calloc(n, sizeof *d);
    if (!d)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (src[i] && !(d[i] = ts_strdup(src[i]))) {
            free_names(d, n);
            return -1;
        }
    }
    *dst = d;
    return 0;
}

void ts_policy_free(ts_policy *p)
{
    if (!p)
        return;
    free_names(p->component_names, p->n_components);
    free_names(p->zone_names, p->n_zones);
    free_names(p->topic_names, p->n_topics);
    ts_free(p->zone_of);
    ts_free(p->zone_allow);
    ts_free(p->entries);
    ts_free(p->range);
    ts_free(p);
}

static int bad(ts_error *err, const char *fmt, size_t i)
{
    char what[160];
    snprintf(what, sizeof what, fmt, i);
    return ts_error_set(err, TS_EINVAL, NULL, 0, "policy: %s", what);
}

static int zone_ok(const ts_policy_desc *d, int z)
{
    return z >= -1 && (z < 0 || (size_t)z < d->n_zones);
}

static int validate(const ts_policy_desc *d, ts_error *err)
{
    if (d->n_zones > 65535)
        return bad(err, "too many zones (%zu)", d->n_zones);
    if ((d->n_zone_rules && !d->zone_rules) || (d->n_topic_rules && !d->topic_rules))
        return bad(err, "rule count %zu without rules", d->n_zone_rules + d->n_topic_rules);
    for (size_t i = 0; d->zone_of && i < d->n_components; i++)
        if (!zone_ok(d, d->zone_of[i]))
            return bad(err, "component %zu is in a zone that does not exist", i);
    for (size_t i = 0; i < d->n_zone_rules; i++)
        if (!zone_ok(d, d->zone_rules[i].from_zone) || !zone_ok(d, d->zone_rules[i].to_zone))
            return bad(err, "zone rule %zu names a zone that does not exist", i);
    for (size_t i = 0; i < d->n_topic_rules; i++) {
        const ts_policy_topic_rule *r = &d->topic_rules[i];
        if (r->topic < 0 || (size_t)r->topic >= d->n_topics)
            return bad(err, "topic rule %zu names a topic that does not exist", i);
        if (r->dir != TS_POLICY_PUBLISH && r->dir != TS_POLICY_SUBSCRIBE)
            return bad(err, "topic rule %zu is neither publish nor subscribe", i);
        if ((r->component >= 0) == (r->zone >= 0))
            return bad(err, "topic rule %zu must name exactly one of a component and a zone",
                       i);
        if (r->component >= 0 && (size_t)r->component >= d->n_components)
            return bad(err, "topic rule %zu names a component that does not exist", i);
        if (r->zone >= 0 && (size_t)r->zone >= d->n_zones)
            return bad(err, "topic rule %zu names a zone that does not exist", i);
    }
    return TS_OK;
}

int ts_policy_new(const ts_policy_desc *desc, ts_policy **out, ts_error *err)
{
    if (out)
        *out = NULL;
    if (!desc || !out)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "policy: description and result required");
    int rc = validate(desc, err);
    if (rc != TS_OK)
        return rc;

    ts_policy *p = ts_calloc(1, sizeof *p);
    if (!p)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "policy: out of memory");
    p->n_components = desc->n_components;
    p->n_zones = desc->n_zones;
    p->n_topics = desc->n_topics;
    p->default_deny = desc->default_deny != 0;
    size_t side = desc->n_zones + 1;
    p->zone_of = ts_malloc((desc->n_components ? desc->n_components : 1) * sizeof *p->zone_of);
    p->zone_allow = ts_calloc(side * side, 1);
    p->entries = ts_malloc((desc->n_topic_rules ? desc->n_topic_rules : 1) * sizeof *p->entries);
    p->range = ts_calloc(2 * desc->n_topics + 1, sizeof *p->range);
    if (!p->zone_of || !p->zone_allow || !p->entries || !p->range ||
        copy_names(desc->component_names, desc->n_components, &p->component_names) ||
        copy_names(desc->zone_names, desc->n_zones, &p->zone_names) ||
        copy_names(desc->topic_names, desc->n_topics, &p->topic_names)) {
        ts_policy_free(p);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "policy: out of memory");
    }
    for (size_t i = 0; i < desc->n_components; i++)
        p->zone_of[i] = desc->zone_of ? desc->zone_of[i] : -1;
    for (size_t i = 0; i < desc->n_zone_rules; i++) {
        const ts_policy_zone_rule *r = &desc->zone_rules[i];
        p->zone_allow[(size_t)(r->from_zone + 1) * side + (size_t)(r->to_zone + 1)] = 1;
    }
    for (size_t i = 0; i < desc->n_topic_rules; i++) {
        const ts_policy_topic_rule *r = &desc->topic_rules[i];
        int by_zone = r->zone >= 0;
        p->entries[i] = (list_entry){r->topic, (int)r->dir, by_zone ? BY_ZONE : BY_COMPONENT,
                                     by_zone ? r->zone : r->component};
    }
    p->n_entries = desc->n_topic_rules;
    /* A total order on the entries: the compiled policy does not depend on
     * the order rules were written in. */
    qsort(p->entries, p->n_entries, sizeof *p->entries, entry_cmp);
    /* Offsets per (topic, dir), as a CSR row index. */
    for (size_t i = 0; i < p->n_entries; i++)
        p->range[(size_t)p->entries[i].topic * 2 + (size_t)p->entries[i].dir + 1]++;
    for (size_t k = 1; k <= 2 * p->n_topics; k++)
        p->range[k] += p->range[k - 1];
    *out = p;
    return TS_OK;
}

int ts_policy_zone_of(const ts_policy *p, int component)
{
    if (component < 0 || (size_t)component >= p->n_components)
        return -2;
    return p->zone_of[component];
}

/* Is (kind, id) among entries [lo, hi) (sorted by kind, id there)? */
static int listed(const ts_policy *p, size_t lo, size_t hi, int kind, int id)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const list_entry *e = &p->entries[mid];
        if (e->kind == kind && e->id == id)
            return 1;
        if (e->kind < kind || (e->kind == kind && e->id < id))
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

static ts_policy_why check_list(const ts_policy *p, int component, int topic, int dir)
{
    size_t k = (size_t)topic * 2 + (size_t)dir;
    size_t lo = p->range[k], hi = p->range[k + 1];
    if (lo == hi)
        return TS_POLICY_NO_LIST;
    if (listed(p, lo, hi, BY_COMPONENT, component))
        return TS_POLICY_LISTED;
    int z = p->zone_of[component];
    if (z >= 0 && listed(p, lo, hi, BY_ZONE, z))
        return TS_POLICY_ZONE_LISTED;
    return TS_POLICY_NOT_LISTED;
}

static ts_policy_why check_zones(const ts_policy *p, int from, int to)
{
    int zf = p->zone_of[from], zt = p->zone_of[to];
    if (zf == zt)
        return TS_POLICY_SAME_ZONE;
    size_t side = p->n_zones + 1;
    if (p->zone_allow[(size_t)(zf + 1) * side + (size_t)(zt + 1)])
        return TS_POLICY_ZONE_RULE;
    return p->default_deny ? TS_POLICY_ZONE_DEFAULT_DENY : TS_POLICY_ZONE_DEFAULT_ALLOW;
}

static int denies(ts_policy_why w)
{
    return w == TS_POLICY_ZONE_DEFAULT_DENY || w == TS_POLICY_NOT_LISTED;
}

static int component_ok(const ts_policy *p, int c)
{
    return c >= 0 && (size_t)c < p->n_components;
}

static int topic_ok(const ts_policy *p, int t)
{
    return t >= 0 && (size_t)t < p->n_topics;
}

static void verdict_init(ts_policy_verdict *v, int from, int to, int topic)
{
    *v = (ts_policy_verdict){1, TS_POLICY_NOT_CHECKED, TS_POLICY_NOT_CHECKED,
                             TS_POLICY_NOT_CHECKED, from, to, topic};
}

int ts_policy_may_send(const ts_policy *p, int from, int to, int topic, ts_policy_verdict *v)
{
    if (!p || !v || !component_ok(p, from) || !component_ok(p, to) ||
        (topic != -1 && !topic_ok(p, topic)))
        return TS_EINVAL;
    verdict_init(v, from, to, topic);
    v->zone = check_zones(p, from, to);
    if (denies(v->zone))
        return v->allowed = 0;
    if (topic < 0)
        return 1;
    v->publish = check_list(p, from, topic, TS_POLICY_PUBLISH);
    if (denies(v->publish))
        return v->allowed = 0;
    v->subscribe = check_list(p, to, topic, TS_POLICY_SUBSCRIBE);
    if (denies(v->subscribe))
        return v->allowed = 0;
    return 1;
}

static int may_dir(const ts_policy *p, int component, int topic, int dir, ts_policy_verdict *v)
{
    if (!p || !v || !component_ok(p, component) || !topic_ok(p, topic))
        return TS_EINVAL;
    if (dir == TS_POLICY_PUBLISH) {
        verdict_init(v, component, -1, topic);
        v->publish = check_list(p, component, topic, dir);
        return v->allowed = !denies(v->publish);
    }
    verdict_init(v, -1, component, topic);
    v->subscribe = check_list(p, component, topic, dir);
    return v->allowed = !denies(v->subscribe);
}

int ts_policy_may_publish(const ts_policy *p, int component, int topic, ts_policy_verdict *v)
{
    return may_dir(p, component, topic, TS_POLICY_PUBLISH, v);
}

int ts_policy_may_subscribe(const ts_policy *p, int component, int topic, ts_policy_verdict *v)
{
    return may_dir(p, component, topic, TS_POLICY_SUBSCRIBE, v);
}

/* snprintf that keeps counting what it wanted past the end of buf. */
typedef struct out_buf {
    char *buf;
    size_t size, len;
} out_buf;

static void put(out_buf *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void put(out_buf *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *at = o->len < o->size ? o->buf + o->len : NULL;
    size_t room = o->len < o->size ? o->size - o->len : 0;
    int n = vsnprintf(at, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

static void name(const ts_policy *p, int kind, int i, char *buf, size_t size)
{
    /* kind: 0 component, 1 zone, 2 topic */
    char **names = kind == 0 ? p->component_names : kind == 1 ? p->zone_names : p->topic_names;
    static const char *const what[3] = {"component", "zone", "topic"};
    if (kind == 1 && i < 0)
        snprintf(buf, size, "(no zone)");
    else if (names && names[i])
        snprintf(buf, size, "%s%s", kind == 1 ? "zone " : "", names[i]);
    else
        snprintf(buf, size, "%s %d", what[kind], i);
}

static void zone_sentence(const ts_policy *p, const ts_policy_verdict *v, out_buf *o)
{
    char a[96], b[96], za[96], zb[96], t[112] = "";
    if (v->topic >= 0) {
        name(p, 2, v->topic, t + 1, sizeof t - 1);
        t[0] = ' ';
    }
    name(p, 0, v->from, a, sizeof a);
    name(p, 0, v->to, b, sizeof b);
    name(p, 1, p->zone_of[v->from], za, sizeof za);
    name(p, 1, p->zone_of[v->to], zb, sizeof zb);
    switch (v->zone) {
    case TS_POLICY_SAME_ZONE:
        if (p->zone_of[v->from] >= 0)
            put(o, "%s and %s are both in %s", a, b, za);
        else
            put(o, "neither %s nor %s is in a zone", a, b);
        break;
    case TS_POLICY_ZONE_RULE:
        put(o, "%s may talk to %s (%s -> %s)", za, zb, a, b);
        break;
    case TS_POLICY_ZONE_DEFAULT_ALLOW:
        put(o, "no rule for %s -> %s (%s -> %s); allowed by default", za, zb, a, b);
        break;
    case TS_POLICY_ZONE_DEFAULT_DENY:
        put(o, "%s in %s may not send%s to %s in %s: no rule allows %s -> %s and the default "
               "is deny",
            a, za, t, b, zb, za, zb);
        break;
    default:
        break;
    }
}

static void list_sentence(const ts_policy *p, const ts_policy_verdict *v, int dir, out_buf *o)
{
    int c = dir == TS_POLICY_PUBLISH ? v->from : v->to;
    ts_policy_why w = dir == TS_POLICY_PUBLISH ? v->publish : v->subscribe;
    const char *verb = dir == TS_POLICY_PUBLISH ? "publish" : "subscribe";
    char a[96], t[96], z[96];
    name(p, 0, c, a, sizeof a);
    name(p, 2, v->topic, t, sizeof t);
    name(p, 1, p->zone_of[c], z, sizeof z);
    switch (w) {
    case TS_POLICY_NO_LIST:
        put(o, "%s has no %s list", t, verb);
        break;
    case TS_POLICY_LISTED:
        put(o, "%s is on the %s list of %s", a, verb, t);
        break;
    case TS_POLICY_ZONE_LISTED:
        put(o, "%s of %s is on the %s list of %s", z, a, verb, t);
        break;
    case TS_POLICY_NOT_LISTED:
        if (p->zone_of[c] >= 0)
            put(o, "%s may not %s %s: neither it nor its %s is on the %s list", a, verb, t, z,
                verb);
        else
            put(o, "%s may not %s %s: it is not on the %s list", a, verb, t, verb);
        break;
    default:
        break;
    }
}

size_t ts_policy_reason(const ts_policy *p, const ts_policy_verdict *v, char *buf, size_t size)
{
    out_buf o = {buf, size, 0};
    if (buf && size)
        buf[0] = '\0';
    if (!p || !v)
        return 0;
    if (!v->allowed) {
        if (denies(v->zone))
            zone_sentence(p, v, &o);
        else if (denies(v->publish))
            list_sentence(p, v, TS_POLICY_PUBLISH, &o);
        else
            list_sentence(p, v, TS_POLICY_SUBSCRIBE, &o);
        return o.len;
    }
    int parts = 0;
    if (v->zone != TS_POLICY_NOT_CHECKED) {
        zone_sentence(p, v, &o);
        parts++;
    }
    if (v->publish != TS_POLICY_NOT_CHECKED) {
        put(&o, "%s", parts++ ? "; " : "");
        list_sentence(p, v, TS_POLICY_PUBLISH, &o);
    }
    if (v->subscribe != TS_POLICY_NOT_CHECKED) {
        put(&o, "%s", parts++ ? "; " : "");
        list_sentence(p, v, TS_POLICY_SUBSCRIBE, &o);
    }
    return o.len;
}

/* ---- the per-message checker ---- */

/* Rate-limit state of one denied (from, to, topic) triple. */
typedef struct slot {
    int used;
    int from, to, topic;
    int64_t last;           /* when it was last recorded */
    uint64_t pending;       /* denied since then, not yet recorded */
} slot;

struct ts_policy_checker {
    ts_runtime rt;
    const ts_policy *p;
    int64_t window;
    slot *slots;            /* open addressing, linear probing */
    size_t cap, used;       /* cap is 0 or a power of two */
    uint64_t denied, recorded;
};

int ts_policy_checker_new(const ts_runtime *rt, const ts_policy *p, int64_t window_ns,
                          ts_policy_checker **out, ts_error *err)
{
    if (out)
        *out = NULL;
    if (!rt || !p || !out || window_ns < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "policy checker: runtime, policy and a window >= 0 required");
    ts_policy_checker *c = ts_calloc(1, sizeof *c);
    if (!c)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "policy checker: out of memory");
    c->rt = *rt;
    c->p = p;
    c->window = window_ns ? window_ns : INT64_C(1000000000);
    *out = c;
    return TS_OK;
}

void ts_policy_checker_free(ts_policy_checker *c)
{
    if (!c)
        return;
    ts_free(c->slots);
    ts_free(c);
}

static size_t triple_hash(int from, int to, int topic)
{
    uint64_t h = (uint64_t)(uint32_t)from * UINT64_C(0x9E3779B97F4A7C15);
    h ^= (uint64_t)(uint32_t)to * UINT64_C(0xC2B2AE3D27D4EB4F);
    h ^= (uint64_t)(uint32_t)topic * UINT64_C(0x165667B19E3779F9);
    h ^= h >> 29;
    return (size_t)h;
}

static slot *probe(slot *slots, size_t cap, int from, int to, int topic)
{
    size_t i = triple_hash(from, to, topic) & (cap - 1);
    for (;;) {
        slot *s = &slots[i];
        if (!s->used || (s->from == from && s->to == to && s->topic == topic))
            return s;
        i = (i + 1) & (cap - 1);
    }
}

/* The triple's slot, created (and the table grown at half load) on first
 * use; NULL when out of memory. */
static slot *slot_for(ts_policy_checker *c, int from, int to, int topic)
{
    if (c->cap) {
        slot *s = probe(c->slots, c->cap, from, to, topic);
        if (s->used)
            return s;
    }
    if ((c->used + 1) * 2 > c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 64;
        slot *ns = ts_calloc(ncap, sizeof *ns);
        if (!ns)
            return NULL;
        for (size_t i = 0; i < c->cap; i++)
            if (c->slots[i].used)
                *probe(ns, ncap, c->slots[i].from, c->slots[i].to, c->slots[i].topic) =
                    c->slots[i];
        ts_free(c->slots);
        c->slots = ns;
        c->cap = ncap;
    }
    slot *s = probe(c->slots, c->cap, from, to, topic);
    *s = (slot){1, from, to, topic, 0, 0};
    s->last = INT64_MIN;
    c->used++;
    return s;
}

int ts_policy_checker_check(ts_policy_checker *c, int from, int to, int topic)
{
    if (!c)
        return TS_EINVAL;
    ts_policy_verdict v;
    int rc = ts_policy_may_send(c->p, from, to, topic, &v);
    if (rc != 0)
        return rc; /* allowed, or a bad index */
    c->denied++;
    int64_t now = ts_rt_now(&c->rt);
    slot *s = slot_for(c, from, to, topic);
    uint64_t count = 1;
    if (s) {
        if (s->last != INT64_MIN && now - s->last < c->window) {
            s->pending++;
            return 0;
        }
        count = s->pending + 1;
        s->pending = 0;
        s->last = now;
    }
    char detail[320];
    ts_policy_reason(c->p, &v, detail, sizeof detail);
    c->recorded++;
    ts_rt_note(&c->rt, "policy_violation", from, -1, (double)count, detail);
    return 0;
}

uint64_t ts_policy_checker_denied(const ts_policy_checker *c)
{
    return c->denied;
}

uint64_t ts_policy_checker_recorded(const ts_policy_checker *c)
{
    return c->recorded;
}
