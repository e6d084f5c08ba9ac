/*
 * Scenario loading, the meaning half: walks a schema-valid <scenario> tree
 * into the plain ts_scenario arrays. The schema has fixed the shape; this
 * file reads the quantities (units.h), merges hardware models with inline
 * overrides, resolves every reference and refuses what cannot mean
 * anything (duplicate ids, dangling references, self-links, zero
 * bandwidth...). Each error names the offending element's line.
 *
 * Order matters only for which error is reported first: nodes and sites
 * before links (links may name nodes declared after them), the platform
 * before components (pins), components before topics, topics before
 * requirements. Items keep document order in the arrays, which is the
 * order placement and the engine see.
 */
#include "loader.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/hash.h>

#include "toposim/alloc.h"
#include "toposim/units.h"

/* A link with neither an inline queue nor a model's: 64 KiB per direction,
 * a small switch port buffer. */
#define DEFAULT_QUEUE_BYTES ((int64_t)64 * 1024)

static const char NODE_EXPECTED[] =
    "expected the id of a computer, jetson, server, node or switch";

typedef struct builder {
    ts__loader *L;
    ts_scenario *s;
    const char *file;
    size_t cap_sites, cap_nodes, cap_links, cap_components, cap_topics,
        cap_requirements;
    /* id -> index + 1, one table per kind of id */
    xmlHashTablePtr site_ids, node_ids, link_ids, component_ids, topic_ids;
} builder;

/* ---- small helpers ------------------------------------------------------ */

static int oom(builder *b, int line)
{
    return ts_error_set(b->L->err, TS_ENOMEM, b->file, line, "out of memory");
}

/* Returns arr grown (zero-filled) to hold one more than n items, or NULL
 * (arr untouched) when memory runs out. */
static void *grow(void *arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return arr;
    size_t next = *cap ? *cap * 2 : 16;
    char *p = ts_realloc(arr, next * elem);
    if (!p)
        return NULL;
    memset(p + *cap * elem, 0, (next - *cap) * elem);
    *cap = next;
    return p;
}

/* Adds id -> index; returns -1 when added, the existing index for a
 * duplicate, or -2 when memory runs out. */
static int id_add(xmlHashTablePtr t, const char *id, size_t index)
{
    void *prev = xmlHashLookup(t, BAD_CAST id);
    if (prev)
        return (int)((intptr_t)prev - 1);
    if (xmlHashAddEntry(t, BAD_CAST id, (void *)(intptr_t)(index + 1)) != 0)
        return -2;
    return -1;
}

static int id_find(xmlHashTablePtr t, const char *id)
{
    void *p = xmlHashLookup(t, BAD_CAST id);
    return p ? (int)((intptr_t)p - 1) : -1;
}

static const xmlNode *next_element(const xmlNode *n)
{
    while (n && n->type != XML_ELEMENT_NODE)
        n = n->next;
    return n;
}

static const xmlNode *first_child(const xmlNode *parent)
{
    return parent ? next_element(parent->children) : NULL;
}

static const xmlNode *next_sibling(const xmlNode *n)
{
    return next_element(n->next);
}

static const xmlNode *child_named(const xmlNode *parent, const char *name)
{
    for (const xmlNode *c = first_child(parent); c; c = next_sibling(c))
        if (xmlStrEqual(c->name, BAD_CAST name))
            return c;
    return NULL;
}

static int named(const xmlNode *el, const char *name)
{
    return xmlStrEqual(el->name, BAD_CAST name);
}

static const char *el_name(const xmlNode *el)
{
    return (const char *)el->name;
}

/* "component control_loop": how messages name an element. */
static void who_of(const xmlNode *el, char *buf, size_t size)
{
    const char *id = ts__attr(el, "id");
    if (id)
        snprintf(buf, size, "%s %s", el_name(el), id);
    else
        snprintf(buf, size, "%s", el_name(el));
}

typedef enum { Q_TIME, Q_PERIOD, Q_BYTES, Q_BITRATE, Q_CPU, Q_FRACTION } qkind;

/* Reads an optional quantity attribute; *present says whether it was
 * there. Integer kinds fill *i, real kinds *d. */
static int quantity(builder *b, const xmlNode *el, const char *attr,
                    qkind k, int64_t *i, double *d, int *present)
{
    const char *v = ts__attr(el, attr);
    const char *why = NULL;
    int rc = TS_OK;
    if (present)
        *present = v != NULL;
    if (!v)
        return TS_OK;
    switch (k) {
    case Q_TIME: rc = ts_unit_time(v, i, &why); break;
    case Q_PERIOD: rc = ts_unit_period(v, i, &why); break;
    case Q_BYTES: rc = ts_unit_bytes(v, i, &why); break;
    case Q_BITRATE: rc = ts_unit_bitrate(v, d, &why); break;
    case Q_CPU: rc = ts_unit_cpu(v, i, &why); break;
    case Q_FRACTION: rc = ts_unit_fraction(v, d, &why); break;
    }
    if (rc) {
        char who[320];
        who_of(el, who, sizeof who);
        return ts_error_set(b->L->err, rc, b->file, ts__line(el),
                            "%s: %s=\"%s\": %s", who, attr, v,
                            why ? why : "not a valid quantity");
    }
    return TS_OK;
}

static int must_be_positive(builder *b, const xmlNode *el, const char *attr)
{
    char who[320];
    who_of(el, who, sizeof who);
    return ts_error_set(b->L->err, TS_EINVAL, b->file, ts__line(el),
                        "%s: %s=\"%s\" must be greater than 0", who, attr,
                        ts__attr(el, attr));
}

/* An xs:int attribute the schema has already checked. */
static int int_attr(const xmlNode *el, const char *attr, int *out)
{
    const char *v = ts__attr(el, attr);
    if (!v)
        return 0;
    *out = (int)strtol(v, NULL, 10);
    return 1;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* ---- scenario attributes ------------------------------------------------- */

static int scenario_attrs(builder *b, const xmlNode *root)
{
    ts_scenario *s = b->s;
    int line = ts__line(root);
    const char *name = ts__attr(root, "name");
    if (name) {
        s->name = ts_strdup(name);
    } else {
        /* The file's base name without its extension. */
        const char *base = strrchr(b->file, '/');
        base = base ? base + 1 : b->file;
        const char *dot = strrchr(base, '.');
        size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
        if (n == 0) {
            base = "scenario";
            n = strlen(base);
        }
        s->name = ts_malloc(n + 1);
        if (s->name) {
            memcpy(s->name, base, n);
            s->name[n] = '\0';
        }
    }
    if (!s->name)
        return oom(b, line);

    const char *seed = ts__attr(root, "seed");
    /* xs:unsignedLong in the schema: digits only, fits 64 bits. */
    s->seed = seed ? strtoull(seed, NULL, 10) : 1;

    int rc = quantity(b, root, "duration", Q_TIME, &s->duration_ns, NULL,
                      NULL);
    if (rc)
        return rc;
    if (s->duration_ns <= 0)
        return must_be_positive(b, root, "duration");
    return TS_OK;
}

/* ---- platform: sites and nodes ------------------------------------------ */

static int add_site(builder *b, const xmlNode *el, ts_tier tier, int *index)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    const char *id = ts__attr(el, "id");
    ts_scenario_site *sites = grow(s->sites, &b->cap_sites, s->n_sites,
                                   sizeof *sites);
    if (!sites)
        return oom(b, line);
    s->sites = sites;
    int prev = id_add(b->site_ids, id, s->n_sites);
    if (prev == -2)
        return oom(b, line);
    if (prev >= 0)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "duplicate site id \"%s\": the %s at line %d "
                            "already uses it (robot, edge and cloud ids "
                            "must differ)",
                            id, ts_tier_name(s->sites[prev].tier),
                            s->sites[prev].line);
    ts_scenario_site *site = &s->sites[s->n_sites++];
    site->tier = tier;
    site->line = line;
    site->id = ts_strdup(id);
    if (!site->id)
        return oom(b, line);
    *index = (int)(s->n_sites - 1);
    return TS_OK;
}

static ts__model_kind model_kind_for(ts_node_kind kind)
{
    switch (kind) {
    case TS_NODE_JETSON: return TS__MODEL_JETSON;
    case TS_NODE_SERVER: return TS__MODEL_SERVER;
    case TS_NODE_CLOUD: return TS__MODEL_CLOUD;
    default: return TS__MODEL_COMPUTER;
    }
}

/* Model values first, then each inline attribute overrides its own. */
static int node_resources(builder *b, const xmlNode *el, ts_scenario_node *n)
{
    int line = ts__line(el);
    char who[320];
    who_of(el, who, sizeof who);
    int have_cores = 0, have_memory = 0, present, rc;

    const char *model = ts__attr(el, "model");
    if (model) {
        const ts__model *m;
        rc = ts__model_get(b->L, model, model_kind_for(n->kind), el, &m);
        if (rc)
            return rc;
        n->model = ts_strdup(model);
        if (!n->model)
            return oom(b, line);
        n->cores = m->cores;
        n->memory_bytes = m->memory_bytes;
        n->gpus = m->gpus;
        n->gpu_memory_bytes = m->gpu_memory_bytes;
        have_cores = have_memory = 1;
    }
    if (int_attr(el, "cores", &n->cores))
        have_cores = 1;
    int_attr(el, "gpus", &n->gpus);
    rc = quantity(b, el, "memory", Q_BYTES, &n->memory_bytes, NULL,
                  &present);
    if (rc)
        return rc;
    if (present) {
        have_memory = 1;
        if (n->memory_bytes <= 0)
            return must_be_positive(b, el, "memory");
    }
    rc = quantity(b, el, "gpu-memory", Q_BYTES, &n->gpu_memory_bytes, NULL,
                  NULL);
    if (rc)
        return rc;
    if (!have_cores)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: no CPU cores given (set cores=\"...\" or "
                            "name a model=\"...\")", who);
    if (!have_memory)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: no memory given (set memory=\"...\" or "
                            "name a model=\"...\")", who);
    if (n->cores < 1)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: a compute node needs at least 1 core", who);
    return TS_OK;
}

static int add_node(builder *b, const xmlNode *el, ts_node_kind kind,
                    int site)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    const char *id = ts__attr(el, "id");
    ts_scenario_node *nodes = grow(s->nodes, &b->cap_nodes, s->n_nodes,
                                   sizeof *nodes);
    if (!nodes)
        return oom(b, line);
    s->nodes = nodes;
    int prev = id_add(b->node_ids, id, s->n_nodes);
    if (prev == -2)
        return oom(b, line);
    if (prev >= 0)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "duplicate node id \"%s\": the %s at line %d "
                            "already uses it (node ids are unique across "
                            "the platform)",
                            id, ts_node_kind_name(s->nodes[prev].kind),
                            s->nodes[prev].line);
    ts_scenario_node *n = &s->nodes[s->n_nodes++];
    n->kind = kind;
    n->site = site;
    n->line = line;
    if (kind == TS_NODE_SWITCH)
        n->tier = TS_TIER_NETWORK;
    else
        n->tier = s->sites[site].tier;
    n->id = ts_strdup(id);
    if (!n->id)
        return oom(b, line);
    if (kind == TS_NODE_SWITCH)
        return TS_OK;
    return node_resources(b, el, n);
}

static int walk_site(builder *b, const xmlNode *el)
{
    ts_tier tier = named(el, "robot")  ? TS_TIER_ROBOT
                   : named(el, "edge") ? TS_TIER_EDGE
                                       : TS_TIER_CLOUD;
    int site = -1;
    int rc = add_site(b, el, tier, &site);
    for (const xmlNode *c = first_child(el); c && !rc; c = next_sibling(c)) {
        ts_node_kind kind;
        if (named(c, "computer"))
            kind = TS_NODE_COMPUTER;
        else if (named(c, "jetson"))
            kind = TS_NODE_JETSON;
        else if (named(c, "server"))
            kind = TS_NODE_SERVER;
        else if (named(c, "node"))
            kind = TS_NODE_CLOUD;
        else
            kind = TS_NODE_SWITCH;
        rc = add_node(b, c, kind, site);
    }
    return rc;
}

/* ---- platform: links ----------------------------------------------------- */

static int link_end(builder *b, const xmlNode *el, const char *attr, int *out)
{
    const char *v = ts__attr(el, attr);
    *out = id_find(b->node_ids, v);
    if (*out >= 0)
        return TS_OK;
    return ts_error_set(b->L->err, TS_ENOENT, b->file, ts__line(el),
                        "link %s: %s=\"%s\" names no node (%s)",
                        ts__attr(el, "id"), attr, v, NODE_EXPECTED);
}

static int add_link(builder *b, const xmlNode *el)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    const char *id = ts__attr(el, "id");
    char who[320];
    who_of(el, who, sizeof who);
    ts_scenario_link *links = grow(s->links, &b->cap_links, s->n_links,
                                   sizeof *links);
    if (!links)
        return oom(b, line);
    s->links = links;
    int prev = id_add(b->link_ids, id, s->n_links);
    if (prev == -2)
        return oom(b, line);
    if (prev >= 0)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "duplicate link id \"%s\": the link at line %d "
                            "already uses it",
                            id, s->links[prev].line);
    ts_scenario_link *k = &s->links[s->n_links++];
    k->line = line;
    k->id = ts_strdup(id);
    if (!k->id)
        return oom(b, line);

    int rc = link_end(b, el, "from", &k->a);
    if (!rc)
        rc = link_end(b, el, "to", &k->b);
    if (rc)
        return rc;
    if (k->a == k->b)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: from and to are both \"%s\" (a link joins "
                            "two different nodes)",
                            who, s->nodes[k->a].id);

    int have_latency = 0, have_bandwidth = 0, have_queue = 0, present;
    const char *model = ts__attr(el, "model");
    if (model) {
        const ts__model *m;
        rc = ts__model_get(b->L, model, TS__MODEL_LINK, el, &m);
        if (rc)
            return rc;
        k->model = ts_strdup(model);
        if (!k->model)
            return oom(b, line);
        k->latency_ns = m->latency_ns;
        k->bandwidth_bps = m->bandwidth_bps;
        k->queue_bytes = m->queue_bytes;
        have_latency = have_bandwidth = 1;
        have_queue = m->queue_bytes > 0;
    }
    rc = quantity(b, el, "latency", Q_TIME, &k->latency_ns, NULL, &present);
    if (rc)
        return rc;
    have_latency |= present;
    rc = quantity(b, el, "bandwidth", Q_BITRATE, NULL, &k->bandwidth_bps,
                  &present);
    if (rc)
        return rc;
    if (present && !(k->bandwidth_bps > 0))
        return must_be_positive(b, el, "bandwidth");
    have_bandwidth |= present;
    rc = quantity(b, el, "queue", Q_BYTES, &k->queue_bytes, NULL, &present);
    if (rc)
        return rc;
    if (present && k->queue_bytes <= 0)
        return must_be_positive(b, el, "queue");
    have_queue |= present;

    if (!have_latency)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: no latency given (set latency=\"...\" or "
                            "name a link model=\"...\")", who);
    if (!have_bandwidth)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: no bandwidth given (set bandwidth=\"...\" "
                            "or name a link model=\"...\")", who);
    if (!have_queue)
        k->queue_bytes = DEFAULT_QUEUE_BYTES;
    return TS_OK;
}

static int walk_platform(builder *b, const xmlNode *platform)
{
    int rc = TS_OK;
    /* Pass 1: sites and nodes, so that links may name any node. */
    for (const xmlNode *c = first_child(platform); c && !rc;
         c = next_sibling(c)) {
        if (named(c, "robot") || named(c, "edge") || named(c, "cloud"))
            rc = walk_site(b, c);
        else if (named(c, "switch"))
            rc = add_node(b, c, TS_NODE_SWITCH, -1);
    }
    /* Pass 2: links. */
    for (const xmlNode *c = first_child(platform); c && !rc;
         c = next_sibling(c))
        if (named(c, "link"))
            rc = add_link(b, c);
    return rc;
}

/* ---- components ---------------------------------------------------------- */

static const struct {
    const char *name;
    uint32_t bit;
} flag_names[] = {
    {"real-time-critical", TS_FLAG_REAL_TIME_CRITICAL},
    {"computation-heavy", TS_FLAG_COMPUTATION_HEAVY},
    {"data-processing", TS_FLAG_DATA_PROCESSING},
    {"safety-critical", TS_FLAG_SAFETY_CRITICAL},
};

static int parse_flags(builder *b, const xmlNode *el, uint32_t *flags)
{
    const char *p = ts__attr(el, "flags");
    *flags = 0;
    while (p && *p) {
        while (is_blank(*p))
            p++;
        const char *start = p;
        while (*p && !is_blank(*p))
            p++;
        size_t n = (size_t)(p - start);
        if (n == 0)
            break;
        size_t f;
        for (f = 0; f < sizeof flag_names / sizeof flag_names[0]; f++)
            if (strlen(flag_names[f].name) == n &&
                memcmp(flag_names[f].name, start, n) == 0)
                break;
        if (f == sizeof flag_names / sizeof flag_names[0])
            return ts_error_set(b->L->err, TS_EINVAL, b->file, ts__line(el),
                                "component %s: unknown flag \"%.*s\" "
                                "(expected real-time-critical, "
                                "computation-heavy, data-processing or "
                                "safety-critical)",
                                ts__attr(el, "id"), (int)n, start);
        *flags |= flag_names[f].bit;
    }
    return TS_OK;
}

static int add_component(builder *b, const xmlNode *el)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    const char *id = ts__attr(el, "id");
    char who[320];
    who_of(el, who, sizeof who);
    ts_scenario_component *cs = grow(s->components, &b->cap_components,
                                     s->n_components, sizeof *cs);
    if (!cs)
        return oom(b, line);
    s->components = cs;
    int prev = id_add(b->component_ids, id, s->n_components);
    if (prev == -2)
        return oom(b, line);
    if (prev >= 0)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "duplicate component id \"%s\": the component "
                            "at line %d already uses it",
                            id, s->components[prev].line);
    ts_scenario_component *c = &s->components[s->n_components++];
    c->line = line;
    c->pin = -1;
    c->id = ts_strdup(id);
    if (!c->id)
        return oom(b, line);

    int present, rc;
    rc = quantity(b, el, "rate", Q_PERIOD, &c->period_ns, NULL, NULL);
    if (!rc)
        rc = quantity(b, el, "exec", Q_TIME, &c->exec_ns, NULL, NULL);
    if (rc)
        return rc;
    if (c->exec_ns <= 0)
        return must_be_positive(b, el, "exec");
    rc = quantity(b, el, "exec-min", Q_TIME, &c->exec_min_ns, NULL,
                  &present);
    if (rc)
        return rc;
    if (!present)
        c->exec_min_ns = c->exec_ns;
    else if (c->exec_min_ns <= 0)
        return must_be_positive(b, el, "exec-min");
    else if (c->exec_min_ns > c->exec_ns)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: exec-min=\"%s\" is longer than exec=\"%s\" "
                            "(exec is the worst case, exec-min the best)",
                            who, ts__attr(el, "exec-min"),
                            ts__attr(el, "exec"));
    rc = quantity(b, el, "deadline", Q_TIME, &c->deadline_ns, NULL,
                  &present);
    if (rc)
        return rc;
    if (!present)
        c->deadline_ns = c->period_ns;
    else if (c->deadline_ns <= 0)
        return must_be_positive(b, el, "deadline");
    rc = quantity(b, el, "offset", Q_TIME, &c->offset_ns, NULL, NULL);
    if (!rc)
        rc = quantity(b, el, "cpu", Q_CPU, &c->cpu_millicores, NULL, NULL);
    if (!rc)
        rc = quantity(b, el, "memory", Q_BYTES, &c->memory_bytes, NULL,
                      NULL);
    if (!rc)
        rc = parse_flags(b, el, &c->flags);
    if (rc)
        return rc;
    int_attr(el, "priority", &c->priority);
    int_attr(el, "gpus", &c->gpus);

    const char *pin = ts__attr(el, "node");
    if (pin) {
        c->pin = id_find(b->node_ids, pin);
        if (c->pin < 0)
            return ts_error_set(b->L->err, TS_ENOENT, b->file, line,
                                "%s: node=\"%s\" names no node (expected "
                                "the id of a computer, jetson, server or "
                                "node to pin it to)", who, pin);
        if (s->nodes[c->pin].kind == TS_NODE_SWITCH)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                "%s: node=\"%s\" is a switch, which forwards "
                                "but never runs components (pin it to a "
                                "computer, jetson, server or node)",
                                who, pin);
    }
    return TS_OK;
}

/* ---- topics -------------------------------------------------------------- */

static int topic_subscribers(builder *b, const xmlNode *el,
                             ts_scenario_topic *t)
{
    int line = ts__line(el);
    const char *list = ts__attr(el, "subscribers");
    size_t len = strlen(list);
    /* At most one subscriber per two characters ("a b c"). */
    t->subscribers = ts_malloc((len / 2 + 1) * sizeof *t->subscribers);
    char *copy = ts_malloc(len + 1);
    if (!t->subscribers || !copy) {
        ts_free(copy);
        return oom(b, line);
    }
    memcpy(copy, list, len + 1);
    int rc = TS_OK;
    char *p = copy;
    while (*p && !rc) {
        while (is_blank(*p))
            p++;
        if (!*p)
            break;
        char *start = p;
        while (*p && !is_blank(*p))
            p++;
        if (*p)
            *p++ = '\0';
        int c = id_find(b->component_ids, start);
        if (c < 0) {
            rc = ts_error_set(b->L->err, TS_ENOENT, b->file, line,
                              "topic %s: subscriber \"%s\" names no "
                              "component (subscribers=\"...\" lists "
                              "component ids)", t->id, start);
            break;
        }
        for (size_t i = 0; i < t->n_subscribers; i++)
            if (t->subscribers[i] == c)
                rc = ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                  "topic %s: subscriber \"%s\" is listed "
                                  "twice", t->id, start);
        if (!rc)
            t->subscribers[t->n_subscribers++] = c;
    }
    ts_free(copy);
    return rc;
}

static int add_topic(builder *b, const xmlNode *el)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    const char *id = ts__attr(el, "id");
    char who[320];
    who_of(el, who, sizeof who);
    ts_scenario_topic *ts = grow(s->topics, &b->cap_topics, s->n_topics,
                                 sizeof *ts);
    if (!ts)
        return oom(b, line);
    s->topics = ts;
    int prev = id_add(b->topic_ids, id, s->n_topics);
    if (prev == -2)
        return oom(b, line);
    if (prev >= 0)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "duplicate topic id \"%s\": the topic at line "
                            "%d already uses it",
                            id, s->topics[prev].line);
    ts_scenario_topic *t = &s->topics[s->n_topics++];
    t->line = line;
    t->id = ts_strdup(id);
    if (!t->id)
        return oom(b, line);

    const char *pub = ts__attr(el, "publisher");
    t->publisher = id_find(b->component_ids, pub);
    if (t->publisher < 0)
        return ts_error_set(b->L->err, TS_ENOENT, b->file, line,
                            "%s: publisher=\"%s\" names no component "
                            "(expected the id of a <component>)", who, pub);
    int rc = topic_subscribers(b, el, t);
    if (!rc)
        rc = quantity(b, el, "size", Q_BYTES, &t->size_bytes, NULL, NULL);
    if (rc)
        return rc;
    if (t->size_bytes <= 0)
        return must_be_positive(b, el, "size");
    int present;
    rc = quantity(b, el, "rate", Q_PERIOD, &t->period_ns, NULL, &present);
    if (rc)
        return rc;
    const ts_scenario_component *p = &s->components[t->publisher];
    if (present && t->period_ns < p->period_ns) {
        char tp[32], pp[32];
        ts__format_ns(t->period_ns, tp, sizeof tp);
        ts__format_ns(p->period_ns, pp, sizeof pp);
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: rate=\"%s\" (every %s) is faster than its "
                            "publisher %s runs (every %s); a topic is "
                            "published at most once per publisher job",
                            who, ts__attr(el, "rate"), tp, p->id, pp);
    }
    return quantity(b, el, "budget", Q_TIME, &t->budget_ns, NULL, NULL);
}

/* ---- requirements -------------------------------------------------------- */

static int add_requirement(builder *b, const xmlNode *el)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    ts_scenario_requirement *rs = grow(s->requirements, &b->cap_requirements,
                                       s->n_requirements, sizeof *rs);
    if (!rs)
        return oom(b, line);
    s->requirements = rs;
    ts_scenario_requirement *r = &s->requirements[s->n_requirements++];
    r->line = line;
    r->target = -1;
    int topic = named(el, "topic-deadline");
    r->kind = topic ? TS_REQ_TOPIC_DEADLINE : TS_REQ_COMPONENT_DEADLINE;
    const char *attr = topic ? "topic" : "component";
    const char *target = ts__attr(el, attr);
    if (target) {
        r->target = id_find(topic ? b->topic_ids : b->component_ids, target);
        if (r->target < 0)
            return ts_error_set(b->L->err, TS_ENOENT, b->file, line,
                                "%s: %s=\"%s\" names no %s (leave %s= out "
                                "to mean every %s)",
                                el_name(el), attr, target, attr, attr, attr);
    }
    return quantity(b, el, "min", Q_FRACTION, NULL, &r->min_fraction, NULL);
}

/* ---- the walk ------------------------------------------------------------ */

static int walk(builder *b, const xmlNode *root)
{
    int rc = scenario_attrs(b, root);
    if (!rc)
        rc = walk_platform(b, child_named(root, "platform"));
    const xmlNode *sec = child_named(root, "components");
    for (const xmlNode *c = first_child(sec); c && !rc; c = next_sibling(c))
        rc = add_component(b, c);
    sec = child_named(root, "topics");
    for (const xmlNode *c = first_child(sec); c && !rc; c = next_sibling(c))
        rc = add_topic(b, c);
    sec = child_named(root, "requirements");
    for (const xmlNode *c = first_child(sec); c && !rc; c = next_sibling(c))
        rc = add_requirement(b, c);
    return rc;
}

int ts__build(ts__loader *L, const xmlNode *root, ts_scenario *s)
{
    builder b;
    memset(&b, 0, sizeof b);
    b.L = L;
    b.s = s;
    b.file = L->file;
    b.site_ids = xmlHashCreate(16);
    b.node_ids = xmlHashCreate(64);
    b.link_ids = xmlHashCreate(64);
    b.component_ids = xmlHashCreate(64);
    b.topic_ids = xmlHashCreate(64);
    int rc;
    if (!b.site_ids || !b.node_ids || !b.link_ids || !b.component_ids ||
        !b.topic_ids)
        rc = oom(&b, 0);
    else
        rc = walk(&b, root);
    xmlHashFree(b.site_ids, NULL);
    xmlHashFree(b.node_ids, NULL);
    xmlHashFree(b.link_ids, NULL);
    xmlHashFree(b.component_ids, NULL);
    xmlHashFree(b.topic_ids, NULL);
    return rc;
}
