/*
 * Per-robot overrides (README, "Fleet variety"):
 * <robot-override robot="rK" set="ELEMENT[ID].ATTR=VALUE"/> for a
 * component, topic, compute node or link of the template robot. The
 * template's element is copied, the attribute set as --set would
 * (override.c's path syntax), the copy checked against the schema in a
 * document of its own and built as any element of its kind is (build.c's
 * ts__*_rebuild); copy K then takes the built fields as it is made. Robot
 * r0 is the template itself, which every copy is made from, so it is
 * changed in the template's own element instead.
 */
#include "variety.h"

#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"

/* Frees what a built override owns. */
void ts__robot_override_fini(ts__robot_override *o)
{
    if (o->kind == TS__OVERRIDE_COMPONENT) {
        ts__component_fini(&o->built);
        return;
    }
    if (o->kind == TS__OVERRIDE_NODE) {
        /* as ts_scenario_free frees a node */
        ts_free(o->built_node.id);
        ts_free(o->built_node.model);
        if (o->built_node.power) {
            ts__power_fini(o->built_node.power);
            ts_free(o->built_node.power);
        }
        memset(&o->built_node, 0, sizeof o->built_node);
        return;
    }
    if (o->kind == TS__OVERRIDE_LINK) {
        ts_free(o->built_link.id);
        ts_free(o->built_link.model);
        ts_free(o->built_link.jitter);
        memset(&o->built_link, 0, sizeof o->built_link);
        return;
    }
    ts_free(o->built_topic.id);
    ts_free(o->built_topic.subscribers);
    ts__topic_fini(&o->built_topic);
    o->built_topic.id = NULL;
    o->built_topic.subscribers = NULL;
}

/* The <component> (<topic>) element whose id is `id`, in the document's
 * section of them. */
static const xmlNode *section_element(const xmlNode *fleet_el, const char *section,
                                      const char *id)
{
    const xmlNode *comps = ts__child_named(fleet_el->parent, section);
    for (const xmlNode *c = comps ? ts__first_child(comps) : NULL; c; c = ts__next_sibling(c)) {
        const char *cid = ts__attr(c, "id");
        if (cid && !strcmp(cid, id))
            return c;
    }
    return NULL;
}

/* Attributes a robot may not change: what makes the component (topic)
 * the same one on every robot, or other components, and what the copies
 * share with their template (a topic's QoS). */
static const char *const FIXED_ATTRIBUTES[] = {"id", "replicas", "backup-of", "robot", NULL};
static const char *const FIXED_TOPIC_ATTRIBUTES[] = {
    "id", "publisher", "subscribers", "qos", "writer-qos", "reader-qos", NULL};
/* A node's and a link's models (power, thermal, jitter, loss) and its
 * place in the network are its template's on every copy. */
static const char *const FIXED_NODE_ATTRIBUTES[] = {"id", "model", "mode", NULL};
static const char *const FIXED_LINK_ATTRIBUTES[] = {"id", "from", "to", "model", "medium",
                                                    NULL};
static const char *const NODE_ELEMENTS[] = {"node", "computer", "jetson", "server", NULL};

static int kind_of_element(const char *element)
{
    if (!strcmp(element, "component"))
        return TS__OVERRIDE_COMPONENT;
    if (!strcmp(element, "topic"))
        return TS__OVERRIDE_TOPIC;
    if (!strcmp(element, "link"))
        return TS__OVERRIDE_LINK;
    for (const char *const *k = NODE_ELEMENTS; *k; k++)
        if (!strcmp(element, *k))
            return TS__OVERRIDE_NODE;
    return -1;
}

/* The template robot's element for node (link) id: in its <robot>, or
 * among the platform's links. */
static const xmlNode *platform_element(const xmlNode *fleet_el, const char *robot, int kind,
                                       const char *id)
{
    const xmlNode *platform = ts__child_named(fleet_el->parent, "platform");
    for (const xmlNode *c = platform ? ts__first_child(platform) : NULL; c;
         c = ts__next_sibling(c)) {
        const char *cid = ts__attr(c, "id");
        if (kind == TS__OVERRIDE_LINK && xmlStrEqual(c->name, BAD_CAST "link") && cid &&
            !strcmp(cid, id))
            return c;
        if (kind == TS__OVERRIDE_NODE && xmlStrEqual(c->name, BAD_CAST "robot") && cid &&
            !strcmp(cid, robot))
            for (const xmlNode *n = ts__first_child(c); n; n = ts__next_sibling(n)) {
                const char *nid = ts__attr(n, "id");
                if (nid && !strcmp(nid, id))
                    return n;
            }
    }
    return NULL;
}

/* Whether topic i is copied with the template robot (as fleet_expand.c
 * decides: its publisher or a subscriber is the robot's). */
static int topic_of_robot(const ts_scenario *s, int i, int site)
{
    const ts_scenario_topic *tp = &s->topics[i];
    if (s->components[tp->publisher].site == site)
        return 1;
    for (size_t k = 0; k < tp->n_subscribers; k++)
        if (s->components[tp->subscribers[k]].site == site)
            return 1;
    return 0;
}

int ts__robot_override_set(ts__builder *b, ts__variety *v, const xmlNode *el, int fleet,
                     int member)
{
    const ts_scenario *s = b->s;
    const ts_scenario_fleet *f = &s->fleets[fleet];
    const char *set = ts__attr(el, "set");
    ts__override_path p;
    const char *value;
    ts_error scratch;
    if (ts__override_parse(set, &p, &value, &scratch) != TS_OK)
        return err_at(b, TS_EINVAL, el,
                      "fleet %s: robot-override set=\"%s\": expected ELEMENT[ID].ATTRIBUTE="
                      "VALUE as --set takes it, e.g. component[camera_driver].rate=15Hz",
                      f->id, set);
    int kind = kind_of_element(p.element);
    if (kind < 0 || !p.keyed)
        return err_at(b, TS_EINVAL, el,
                      "fleet %s: robot-override set=\"%s\": a robot may differ in the "
                      "attributes of its components, topics, nodes and links; expected "
                      "component[ID].ATTRIBUTE, topic[ID], node[ID] or link[ID]", f->id, set);
    xmlHashTablePtr ids = kind == TS__OVERRIDE_TOPIC   ? b->topic_ids
                          : kind == TS__OVERRIDE_NODE ? b->node_ids
                          : kind == TS__OVERRIDE_LINK ? b->link_ids
                                           : b->component_ids;
    int comp = ts__id_find(ids, p.key);
    int site = f->template_site, on_robot = 0;
    if (comp >= 0) {
        if (kind == TS__OVERRIDE_COMPONENT)
            on_robot = s->components[comp].site == site;
        else if (kind == TS__OVERRIDE_TOPIC)
            on_robot = topic_of_robot(s, comp, site);
        else if (kind == TS__OVERRIDE_NODE)
            on_robot = s->nodes[comp].site == site && s->nodes[comp].kind != TS_NODE_SWITCH;
        else
            on_robot = s->nodes[s->links[comp].a].site == site ||
                       s->nodes[s->links[comp].b].site == site;
    }
    if (!on_robot)
        return err_at(b, TS_ENOENT, el,
                      "fleet %s: robot-override set=\"%s\": no %s of the template "
                      "robot %s has the id \"%s\"%s", f->id, set,
                      kind == TS__OVERRIDE_NODE ? "compute node" : p.element,
                      s->sites[site].id, p.key,
                      kind == TS__OVERRIDE_NODE && comp >= 0 &&
                              s->nodes[comp].kind == TS_NODE_SWITCH
                          ? " (a switch has nothing to change)"
                          : "");
    if (kind == TS__OVERRIDE_NODE && strcmp(p.element, "node") &&
        strcmp(p.element, ts_node_kind_name((ts_node_kind)s->nodes[comp].kind)))
        return err_at(b, TS_EINVAL, el,
                      "fleet %s: robot-override set=\"%s\": %s is a %s, not a %s (node[%s] "
                      "names any kind)", f->id, set, p.key,
                      ts_node_kind_name((ts_node_kind)s->nodes[comp].kind), p.element, p.key);
    const char *const *fixed = kind == TS__OVERRIDE_TOPIC  ? FIXED_TOPIC_ATTRIBUTES
                               : kind == TS__OVERRIDE_NODE ? FIXED_NODE_ATTRIBUTES
                               : kind == TS__OVERRIDE_LINK ? FIXED_LINK_ATTRIBUTES
                                                : FIXED_ATTRIBUTES;
    for (const char *const *a = fixed; *a; a++)
        if (!strcmp(p.attribute, *a))
            return err_at(b, TS_EINVAL, el,
                          "fleet %s: robot-override set=\"%s\": %s= is the same on every "
                          "robot of a fleet", f->id, set, *a);
    if (kind == TS__OVERRIDE_COMPONENT && s->components[comp].replica_of >= 0)
        return err_at(b, TS_EINVAL, el,
                      "fleet %s: robot-override set=\"%s\": %s is a service replica, the "
                      "same on every robot", f->id, set, p.key);
    char key[400];
    snprintf(key, sizeof key, "a %d %d %d %d %s", fleet, member, kind, comp, p.attribute);
    if (ts__variety_key_find(v, key) >= 0)
        return err_at(b, TS_EINVAL, el,
                      "fleet %s: robot-override set=\"%s\": robot %s sets this attribute "
                      "twice", f->id, set, ts__attr(el, "robot"));
    if (ts__variety_key_add(v, key, 0))
        return ts__oom(b, ts__line(el));
    snprintf(key, sizeof key, "c %d %d %d %d", fleet, member, kind, comp);
    int i = ts__variety_key_find(v, key);
    if (i < 0) {
        const xmlNode *tmpl =
            kind == TS__OVERRIDE_NODE || kind == TS__OVERRIDE_LINK
                ? platform_element(el->parent, s->sites[site].id, kind, p.key)
                : section_element(el->parent,
                                  kind == TS__OVERRIDE_TOPIC ? "topics" : "components", p.key);
        if (!tmpl) /* replicas' ids, which no element has, are refused above */
            return err_at(b, TS_ENOENT, el, "fleet %s: robot-override set=\"%s\": no "
                          "<%s id=\"%s\">", f->id, set, p.element, p.key);
        ts__robot_override *o = ts__grow(v->overrides, &v->cap_overrides, v->n_overrides,
                                    sizeof *o);
        if (!o)
            return ts__oom(b, ts__line(el));
        v->overrides = o;
        o = &v->overrides[v->n_overrides];
        o->fleet = fleet;
        o->member = member;
        o->kind = kind;
        o->comp = comp;
        o->line = ts__line(el);
        o->el = xmlCopyNode((xmlNode *)tmpl, 1);
        o->first_set = ts_strdup(set);
        if (!o->el || !o->first_set || ts__variety_key_add(v, key, v->n_overrides)) {
            v->n_overrides++; /* freed with the rest */
            return ts__oom(b, ts__line(el));
        }
        i = (int)v->n_overrides++;
    }
    if (!xmlSetProp(v->overrides[i].el, BAD_CAST p.attribute, BAD_CAST value))
        return ts__oom(b, ts__line(el));
    return TS_OK;
}

/* Rewrites an error a built override met as the override's. */
static int blame(ts__builder *b, const ts__robot_override *o, const char *robot_of, int rc)
{
    ts_error *err = b->L->err;
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s", err->msg);
    return ts_error_set(err, rc, b->file, o->line,
                        "robot-override robot=\"%s\" set=\"%.200s\": %.700s", robot_of,
                        o->first_set, msg);
}

/* Checks an overridden element against the schema (in a document of its
 * own, beside a platform the schema needs), then builds it. */
int ts__robot_override_build(ts__builder *b, ts__variety *v, ts__robot_override *o)
{
    const ts_scenario *s = b->s;
    char robot_of[32];
    snprintf(robot_of, sizeof robot_of, "r%d", o->member);
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNode *root = doc ? xmlNewNode(NULL, BAD_CAST "scenario") : NULL;
    xmlNode *platform = root ? xmlNewChild(root, NULL, BAD_CAST "platform", NULL) : NULL;
    /* the platform holds a switch (it may not be empty), a link beside
     * it, a node in a robot; a component or topic goes in its section */
    int node = o->kind == TS__OVERRIDE_NODE;
    const char *section = o->kind == TS__OVERRIDE_TOPIC ? "topics" : "components";
    xmlNode *sw = platform ? xmlNewChild(platform, NULL, BAD_CAST(node ? "robot" : "switch"),
                                         NULL)
                           : NULL;
    xmlNode *comps = !sw                             ? NULL
                     : node                          ? sw
                     : o->kind == TS__OVERRIDE_LINK ? platform
                                                     : xmlNewChild(root, NULL, BAD_CAST section,
                                                                   NULL);
    if (!comps || !xmlSetProp(root, BAD_CAST "duration", BAD_CAST "1s") ||
        !xmlSetProp(sw, BAD_CAST "id", BAD_CAST "s")) {
        if (root) /* not the document's yet */
            xmlFreeNode(root);
        xmlFreeDoc(doc);
        return ts__oom(b, o->line);
    }
    xmlDocSetRootElement(doc, root);
    xmlAddChild(comps, o->el);
    xmlNode *el = o->el;
    o->el = NULL; /* the document's now */
    int rc = ts__xml_validate(b->L, doc, b->file);
    if (rc) {
        rc = blame(b, o, robot_of, rc);
        xmlFreeDoc(doc);
        return rc;
    }
    /* a phase= it sets is the robot's (the built one is not the template's) */
    size_t slot = s->n_components;
    if (o->kind != TS__OVERRIDE_COMPONENT) {
        const ts_scenario_node *tn = node ? &s->nodes[o->comp] : NULL;
        rc = o->kind == TS__OVERRIDE_TOPIC ? ts__topic_rebuild(b, el, &o->built_topic)
             : node ? ts__node_rebuild(b, el, tn->kind, tn->site, &o->built_node)
                    : ts__link_rebuild(b, el, &o->built_link);
        o->has_built = 1;
        xmlFreeDoc(doc);
        return rc ? blame(b, o, robot_of, rc) : TS_OK;
    }
    rc = ts__component_rebuild(b, el, &o->built);
    o->has_built = 1;
    if (slot < v->n_comp_phase) { /* the slot's, not a component's */
        ts__timing_fini(&v->comp_phase[slot]);
        memset(&v->comp_phase[slot], 0, sizeof v->comp_phase[slot]);
    }
    if (!rc && ts__attr(el, "phase")) {
        char who[320];
        ts__who_of(el, who, sizeof who);
        rc = ts__timing_read(b, el, who, "phase", 1, &o->phase);
    }
    xmlFreeDoc(doc);
    if (rc)
        return blame(b, o, robot_of, rc);
    const ts_scenario_component *t = &s->components[o->comp];
    if (o->built.site != t->site)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, o->line,
                            "robot-override robot=\"%s\" set=\"%s\": it would move %s off the "
                            "robot (a copy's node= names a node of the template robot)",
                            robot_of, o->first_set, t->id);
    return TS_OK;
}

int ts__variety_graft(ts__variety *v, ts_scenario *s, int fleet, int member, size_t first,
                      const int *node_map, const int *topic_map, const int *links,
                      size_t n_links, size_t first_link, const char *file, ts_error *err)
{
    if (!v || v->n_overrides == 0)
        return TS_OK;
    /* Overrides of fleets and robots before this one were grafted (or
     * their fleet made no copies). */
    while (v->graft_at < v->n_overrides &&
           (v->overrides[v->graft_at].fleet < fleet ||
            (v->overrides[v->graft_at].fleet == fleet &&
             v->overrides[v->graft_at].member < member)))
        v->graft_at++;
    for (; v->graft_at < v->n_overrides; v->graft_at++) {
        ts__robot_override *o = &v->overrides[v->graft_at];
        if (o->fleet != fleet || o->member != member)
            break;
        if (o->kind == TS__OVERRIDE_NODE) {
            /* the copy's own scalars; its models stay its template's */
            int nci = node_map[o->comp];
            ts_scenario_node *nc = &s->nodes[nci];
            /* the copy's components pinned to cores of it must still fit */
            for (size_t j = first; j < s->n_components; j++) {
                const ts_scenario_component *c = &s->components[j];
                int cores = o->built_node.cores;
                if (c->pin == nci && cores < 64 && (c->shared->affinity >> cores) != 0)
                    return ts_error_set(err, TS_EINVAL, file, o->line,
                                        "robot-override: robot r%d's %s would have %d cores, "
                                        "but its component %s is pinned to cores beyond them",
                                        member, nc->id, cores, c->id);
            }
            nc->cores = o->built_node.cores;
            nc->gpus = o->built_node.gpus;
            nc->memory_bytes = o->built_node.memory_bytes;
            nc->gpu_memory_bytes = o->built_node.gpu_memory_bytes;
            ts__robot_override_fini(o);
            o->has_built = 0;
            continue;
        }
        if (o->kind == TS__OVERRIDE_LINK) {
            size_t pos = 0;
            while (pos < n_links && links[pos] != o->comp)
                pos++;
            if (pos == n_links)
                return ts_error_set(err, TS_EINVAL, file, o->line,
                                    "robot-override: robot r%d has no copy of link %s", member,
                                    s->links[o->comp].id);
            ts_scenario_link *lc = &s->links[first_link + pos];
            const ts_scenario_link *bl = &o->built_link;
            lc->latency_ns = bl->latency_ns;
            lc->bandwidth_bps = bl->bandwidth_bps;
            lc->queue_bytes = bl->queue_bytes;
            lc->queue_packets = bl->queue_packets;
            lc->mtu_bytes = bl->mtu_bytes;
            lc->header_bytes = bl->header_bytes;
            lc->reorder_allowed = bl->reorder_allowed;
            ts__robot_override_fini(o);
            o->has_built = 0;
            continue;
        }
        if (o->kind == TS__OVERRIDE_TOPIC) {
            /* the copy's own scalars; its QoS and lists stay its own */
            ts_scenario_topic *tc = &s->topics[topic_map[o->comp]];
            tc->size_bytes = o->built_topic.size_bytes;
            tc->period_ns = o->built_topic.period_ns;
            tc->budget_ns = o->built_topic.budget_ns;
            ts__robot_override_fini(o);
            o->has_built = 0;
            continue;
        }
        size_t j = first;
        while (j < s->n_components && s->components[j].fleet_template != o->comp)
            j++;
        if (j == s->n_components)
            return ts_error_set(err, TS_EINVAL, file, o->line,
                                "robot-override: robot r%d has no copy of %s", member,
                                s->components[o->comp].id);
        ts_scenario_component *c = &s->components[j];
        c->shared = o->built.shared;
        o->built.shared = NULL;
        c->zone = o->built.zone;
        c->pin = o->built.pin >= 0 && node_map[o->built.pin] >= 0 ? node_map[o->built.pin]
                                                                   : o->built.pin;
        ts__component_fini(&o->built);
        o->has_built = 0;
    }
    return TS_OK;
}

void ts__variety_free_shapes(ts_scenario *s)
{
    for (size_t i = 0; i < s->n_components; i++) {
        ts_scenario_component *c = &s->components[i];
        if (c->fleet_member <= 0 || !c->shared || c->fleet_template < 0 ||
            c->shared == s->components[c->fleet_template].shared)
            continue;
        /* its own shape, which a robot-override gave it */
        ts_scenario_component own = *c;
        own.id = NULL;
        own.fleet_member = 0;
        ts__component_fini(&own);
        c->shared = NULL;
    }
}

