/*
 * Small helpers every family uses: names of rows by index, event kinds,
 * and the growable lists a validation is built into.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"
#include "validate/validate_internal.h"

void ts__copy_name(char *dst, size_t dst_size, const char *src, size_t src_size)
{
    size_t n = src ? strnlen(src, src_size) : 0;
    if (n >= dst_size)
        n = dst_size - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

int ts__in_range(int32_t index, size_t n)
{
    return index >= 0 && (size_t)index < n;
}

int ts__event_is(const ts_trace_event *e, const char *kind)
{
    size_t n = strlen(kind);
    return n <= sizeof e->kind && strncmp(e->kind, kind, sizeof e->kind) == 0 &&
           (n == sizeof e->kind || e->kind[n] == '\0');
}

/* Names live in fixed columns that a hand-built trace may fill to the last
 * byte; these return a NUL-terminated copy in a small ring so a caller may
 * use a few in one printf. */
static const char *ring_name(const char *src, size_t size)
{
    static _Thread_local char ring[8][TS_TRACE_NAME_LEN + 1];
    static _Thread_local unsigned next;
    char *dst = ring[next++ % 8];
    ts__copy_name(dst, TS_TRACE_NAME_LEN + 1, src, size);
    return dst;
}

const char *ts__comp_name(const ts_trace *t, int32_t c)
{
    return ts__in_range(c, t->n_components)
               ? ring_name(t->components[c].name, sizeof t->components[c].name)
               : "?";
}

const char *ts__node_name(const ts_trace *t, int32_t n)
{
    return ts__in_range(n, t->n_nodes) ? ring_name(t->nodes[n].name, sizeof t->nodes[n].name)
                                       : "?";
}

const char *ts__link_name(const ts_trace *t, int32_t l)
{
    return ts__in_range(l, t->n_links) ? ring_name(t->links[l].name, sizeof t->links[l].name)
                                       : "?";
}

const char *ts__topic_name(const ts_trace *t, int32_t k)
{
    return ts__in_range(k, t->n_topics) ? ring_name(t->topics[k].name, sizeof t->topics[k].name)
                                        : "?";
}

/* Doubles a list's capacity; the list stays valid on failure. */
static int grow(void **items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return TS_OK;
    size_t ncap = *cap ? 2 * *cap : 16;
    void *p = ts_realloc(*items, ncap * size);
    if (!p)
        return TS_ENOMEM;
    memset((char *)p + *cap * size, 0, (ncap - *cap) * size);
    *items = p;
    *cap = ncap;
    return TS_OK;
}

int ts__add_check(ts__ctx *c, ts_family family, const char *kind, const char *item,
                  ts_check_status status, double value, double limit, const char *fmt, ...)
{
    ts_validation *v = c->v;
    if (grow((void **)&v->checks, &c->cap_checks, v->n_checks, sizeof *v->checks))
        return ts_error_set(c->err, TS_ENOMEM, NULL, 0, "out of memory validating");
    ts_check *k = &v->checks[v->n_checks++];
    memset(k, 0, sizeof *k);
    k->family = family;
    snprintf(k->kind, sizeof k->kind, "%s", kind);
    ts__copy_name(k->item, sizeof k->item, item, TS_TRACE_NAME_LEN);
    k->status = status;
    k->value = value;
    k->limit = limit;
    k->rollup = (int32_t)(v->n_checks - 1);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->detail, sizeof k->detail, fmt, ap);
    va_end(ap);
    return TS_OK;
}

int ts__add_rec(ts__ctx *c, const char *rule, const char *item, const char *fmt, ...)
{
    ts_validation *v = c->v;
    if (grow((void **)&v->recs, &c->cap_recs, v->n_recs, sizeof *v->recs))
        return ts_error_set(c->err, TS_ENOMEM, NULL, 0, "out of memory validating");
    ts_recommendation *r = &v->recs[v->n_recs++];
    memset(r, 0, sizeof *r);
    snprintf(r->rule, sizeof r->rule, "%s", rule);
    ts__copy_name(r->item, sizeof r->item, item, TS_TRACE_NAME_LEN);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->text, sizeof r->text, fmt, ap);
    va_end(ap);
    return TS_OK;
}

ts_gate *ts__add_gate(ts__ctx *c)
{
    ts_validation *v = c->v;
    if (grow((void **)&v->gates, &c->cap_gates, v->n_gates, sizeof *v->gates)) {
        ts_error_set(c->err, TS_ENOMEM, NULL, 0, "out of memory validating");
        return NULL;
    }
    ts_gate *g = &v->gates[v->n_gates++];
    memset(g, 0, sizeof *g);
    return g;
}

ts_failover *ts__add_failover(ts__ctx *c)
{
    ts_validation *v = c->v;
    if (grow((void **)&v->failovers, &c->cap_failovers, v->n_failovers, sizeof *v->failovers)) {
        ts_error_set(c->err, TS_ENOMEM, NULL, 0, "out of memory validating");
        return NULL;
    }
    ts_failover *f = &v->failovers[v->n_failovers++];
    memset(f, 0, sizeof *f);
    return f;
}

const char *ts_family_name(ts_family f)
{
    static const char *const names[TS_N_FAMILIES] = {"performance", "safety", "health",
                                                     "integration", "run"};
    return (unsigned)f < TS_N_FAMILIES ? names[f] : "?";
}
