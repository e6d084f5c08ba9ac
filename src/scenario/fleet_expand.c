/*
 * Fleet expansion: after the document is built and before the checks that
 * need the whole scenario, each <fleet> of count N turns its template
 * robot into N robots. The template itself is member 0; copies 1..N-1 get
 * the suffix "_rK" on the robot's site, its nodes, its links (those with
 * both ends on the robot, and those from it to outside nodes, whose
 * outside end stays), its components (pins remapped onto the copy's
 * nodes, backup and replica references remapped within the copy), and the
 * topics a copied component publishes or subscribes (subscribers outside
 * the robot, such as a cloud coordinator, stay shared), and the
 * <process>es of its components (each robot runs its own executor over
 * its own components; a process runs on one node, so it is on the
 * robot or off it as a whole), and the <chain>s whose stages are all on
 * the robot (each copy's chain follows the copy's components and topics;
 * a chain with a stage off the robot, such as an edge component every
 * robot's frames reach, stays the template robot's alone: README
 * "Chains"). Requirements aimed
 * at a copied topic or component, clients that are copied components and
 * allow rules naming a copied component or topic are duplicated for each
 * copy; services and rollouts stay as written (they name the template's
 * entities), and a fault naming a copy (fleet_variety.c) gets the copy's
 * index. What differs between robots (phases, clock offsets, per-robot
 * overrides) is fleet_variety.c's, grafted onto each copy as it is made. Everything is appended copy by copy, in the
 * template's order, so indices are deterministic: copy K of the F-th
 * fleet's robot is the site ts__add_fleet reserved for it. Each component
 * of a fleet records its template's index and its robot's number, so the
 * simulator finds copy K of a component without formatting names.
 *
 * What is the same on every robot is not copied: a copy points at its
 * template's model names, power and thermal models, link jitter and loss,
 * execution time distribution, safety mode, a component's monitoring,
 * offset and GPU time, versions and topic QoS, and
 * nothing changes them after the load. A copy holds only its own struct
 * (the fields that differ, and the scalars) and its part of one block
 * with its ids and subscriber lists.
 *
 * A robot-tier component (by the placement tier rule) on the template
 * must be pinned: placement sees no robot= on an unpinned component, so a
 * copy could not be told to stay on its own robot. Every error names the
 * template element's line, which a copy shares.
 */
#include "loader.h"

#include <stdio.h>
#include <string.h>

#include <libxml/hash.h>

#include "toposim/alloc.h"
#include "toposim/limits.h"

/* What one fleet copies: index lists into the scenario's arrays (as they
 * were before this fleet) and, for nodes, components and topics, a map
 * from an original index to its copy in the copy being made (-1: not
 * copied). */
typedef struct expansion {
    ts_scenario *s;
    ts__variety *variety;
    const char *file;
    ts_error *err;
    const ts_scenario_fleet *f;
    int fleet;
    int *nodes, *links, *comps, *topics, *reqs, *clients, *allows, *procs, *chains;
    size_t n_nodes, n_links, n_comps, n_topics, n_reqs, n_clients, n_allows, n_procs,
        n_chains;
    int *node_map, *comp_map, *topic_map;
    size_t id_chars, n_ids;   /* one copy's ids: their templates' lengths
                                 and how many */
    size_t n_subscribers;     /* one copy's topics' subscriber lists */
    size_t n_proc_members;    /* one copy's processes' component lists */
    size_t n_chain_stages;    /* one copy's chains' stage lists */
    char *id_at, *id_end;     /* the current copy's ids block, unused part */
    int *subs_at;             /* ... and its subscriber and process
                                 component lists, after them */
    char *part;               /* the next copy's part of the fleet's block */
} expansion;

static int oom(expansion *e, int line)
{
    return ts_error_set(e->err, TS_ENOMEM, e->file, line, "out of memory");
}

static int mapped(const int *map, int i)
{
    return i >= 0 && map[i] >= 0 ? map[i] : i;
}

/* Grows *arr (n items) by `add` zeroed items; *arr is untouched on
 * failure. */
static int extend(void **arr, size_t n, size_t add, size_t elem)
{
    if (add == 0)
        return TS_OK;
    char *p = ts_realloc(*arr, (n + add) * elem);
    if (!p)
        return TS_ENOMEM;
    memset(p + n * elem, 0, add * elem);
    *arr = p;
    return TS_OK;
}

/* ---- what is copied ------------------------------------------------------ */

static int topic_copied(const expansion *e, const ts_scenario_topic *t)
{
    if (e->comp_map[t->publisher] >= 0)
        return 1;
    for (size_t i = 0; i < t->n_subscribers; i++)
        if (e->comp_map[t->subscribers[i]] >= 0)
            return 1;
    return 0;
}

/* Fills the index lists and marks the maps (>= 0: copied). */
static int collect(expansion *e)
{
    ts_scenario *s = e->s;
    int site = e->f->template_site;
    e->nodes = ts_malloc((s->n_nodes + 1) * sizeof *e->nodes);
    e->links = ts_malloc((s->n_links + 1) * sizeof *e->links);
    e->comps = ts_malloc((s->n_components + 1) * sizeof *e->comps);
    e->topics = ts_malloc((s->n_topics + 1) * sizeof *e->topics);
    e->reqs = ts_malloc((s->n_requirements + 1) * sizeof *e->reqs);
    e->clients = ts_malloc((s->n_clients + 1) * sizeof *e->clients);
    e->allows = ts_malloc((s->n_allows + 1) * sizeof *e->allows);
    e->procs = ts_malloc((s->n_processes + 1) * sizeof *e->procs);
    e->chains = ts_malloc((s->n_chains + 1) * sizeof *e->chains);
    e->node_map = ts_malloc((s->n_nodes + 1) * sizeof *e->node_map);
    e->comp_map = ts_malloc((s->n_components + 1) * sizeof *e->comp_map);
    e->topic_map = ts_malloc((s->n_topics + 1) * sizeof *e->topic_map);
    if (!e->nodes || !e->links || !e->comps || !e->topics || !e->reqs ||
        !e->clients || !e->allows || !e->procs || !e->chains || !e->node_map || !e->comp_map ||
        !e->topic_map)
        return oom(e, e->f->line);

    for (size_t i = 0; i < s->n_nodes; i++) {
        e->node_map[i] = s->nodes[i].site == site ? (int)i : -1;
        if (e->node_map[i] >= 0)
            e->nodes[e->n_nodes++] = (int)i;
    }
    for (size_t i = 0; i < s->n_links; i++)
        if (e->node_map[s->links[i].a] >= 0 || e->node_map[s->links[i].b] >= 0)
            e->links[e->n_links++] = (int)i;
    for (size_t i = 0; i < s->n_components; i++) {
        e->comp_map[i] = s->components[i].site == site ? (int)i : -1;
        if (e->comp_map[i] >= 0)
            e->comps[e->n_comps++] = (int)i;
    }
    for (size_t i = 0; i < s->n_topics; i++) {
        e->topic_map[i] = topic_copied(e, &s->topics[i]) ? (int)i : -1;
        if (e->topic_map[i] >= 0)
            e->topics[e->n_topics++] = (int)i;
    }
    for (size_t i = 0; i < s->n_requirements; i++) {
        const ts_scenario_requirement *r = &s->requirements[i];
        const int *map = r->kind == TS_REQ_TOPIC_DEADLINE ? e->topic_map
                                                          : e->comp_map;
        if (r->target >= 0 && map[r->target] >= 0)
            e->reqs[e->n_reqs++] = (int)i;
    }
    for (size_t i = 0; i < s->n_clients; i++)
        if (e->comp_map[s->clients[i].component] >= 0)
            e->clients[e->n_clients++] = (int)i;
    for (size_t i = 0; i < s->n_allows; i++) {
        const ts_scenario_allow *a = &s->allows[i];
        if ((a->component >= 0 && e->comp_map[a->component] >= 0) ||
            (a->topic >= 0 && e->topic_map[a->topic] >= 0))
            e->allows[e->n_allows++] = (int)i;
    }
    /* A process is copied with its components: all of them on the robot
     * (build.c pins a process's components to one node, so a process
     * mixing the robot's and others' cannot be written; checked again
     * here, since a copy would otherwise run a stranger's callbacks). */
    for (size_t i = 0; i < s->n_processes; i++) {
        const ts_scenario_process *p = &s->processes[i];
        size_t on = 0;
        for (size_t m = 0; m < p->n_components; m++)
            on += e->comp_map[p->components[m]] >= 0;
        if (on == 0)
            continue;
        if (on != p->n_components)
            return ts_error_set(e->err, TS_EINVAL, e->file, p->line,
                                "process %s: fleet %s copies its components on robot %s "
                                "but not the others (a process's components are all on "
                                "the template robot or all off it)",
                                p->id, e->f->id, s->sites[site].id);
        e->procs[e->n_procs++] = (int)i;
    }
    /* A chain is copied when every component stage is on the robot (its
     * topics, published there, are then the robot's too). One with a
     * stage off the robot is not: each copy's samples would meet in the
     * shared stage, whose jobs would then have to be followed once per
     * robot (a per-event cost growing with the fleet), so it stays the
     * template's, as written. */
    for (size_t i = 0; i < s->n_chains; i++) {
        const ts_scenario_chain *ch = &s->chains[i];
        size_t on = 0;
        for (size_t k = 0; k < ch->n_stages; k += 2)
            on += e->comp_map[ch->stages[k]] >= 0;
        if (on != (ch->n_stages + 1) / 2)
            continue;
        e->chains[e->n_chains++] = (int)i;
    }
    return TS_OK;
}

/* A robot-tier component of the template must be pinned. */
static int check_pins(expansion *e)
{
    const ts_scenario *s = e->s;
    const ts_scenario_site *t = &s->sites[e->f->template_site];
    for (size_t i = 0; i < s->n_components; i++) {
        const ts_scenario_component *c = &s->components[i];
        if (c->site != e->f->template_site || c->pin >= 0 ||
            !ts__robot_tier(c->shared->flags))
            continue;
        return ts_error_set(e->err, TS_EINVAL, e->file, c->line,
                            "component %s: robot %s is the template of "
                            "fleet %s, whose copies must be pinned, and %s "
                            "belongs on a robot but has no node= (pin it to "
                            "one of %s's nodes)",
                            c->id, t->id, e->f->id, c->id, t->id);
    }
    return TS_OK;
}

/* Room for every copy in every array, before any pointer is taken. */
static int make_room(expansion *e)
{
    ts_scenario *s = e->s;
    size_t k = (size_t)e->f->count - 1;
    /* Bounded before anything grows: k is at most the fleet-size limit
     * (checked when the fleet was read), so none of these products
     * overflows. */
    uint64_t components = (uint64_t)s->n_components + (uint64_t)k * e->n_comps;
    if (components > ts_limit(TS_LIMIT_COMPONENTS))
        return ts_limit_error(e->err, TS_LIMIT_COMPONENTS, e->file, e->f->line,
                              "fleet %s: %d robots like %s make %llu components",
                              e->f->id, e->f->count, s->sites[e->f->template_site].id,
                              (unsigned long long)components);
    uint64_t bytes = (uint64_t)k * (sizeof *s->sites + e->n_nodes * sizeof *s->nodes +
                                    e->n_links * sizeof *s->links +
                                    e->n_comps * sizeof *s->components +
                                    e->n_topics * sizeof *s->topics +
                                    e->n_reqs * sizeof *s->requirements +
                                    e->n_clients * sizeof *s->clients +
                                    e->n_allows * sizeof *s->allows +
                                    e->n_procs * sizeof *s->processes +
                                    e->n_chains * sizeof *s->chains +
                                    (e->n_proc_members + e->n_chain_stages) * sizeof(int));
    uint64_t memory = ts_limit(TS_LIMIT_MEMORY);
    if (memory && bytes > memory / 2)
        return ts_limit_error(e->err, TS_LIMIT_MEMORY, e->file, e->f->line,
                              "fleet %s: %d robots like %s need %llu bytes for "
                              "their description alone, more than half the memory",
                              e->f->id, e->f->count, s->sites[e->f->template_site].id,
                              (unsigned long long)bytes);
    if (extend((void **)&s->sites, s->n_sites, k, sizeof *s->sites) ||
        extend((void **)&s->nodes, s->n_nodes, k * e->n_nodes,
               sizeof *s->nodes) ||
        extend((void **)&s->links, s->n_links, k * e->n_links,
               sizeof *s->links) ||
        extend((void **)&s->components, s->n_components, k * e->n_comps,
               sizeof *s->components) ||
        extend((void **)&s->topics, s->n_topics, k * e->n_topics,
               sizeof *s->topics) ||
        extend((void **)&s->requirements, s->n_requirements, k * e->n_reqs,
               sizeof *s->requirements) ||
        extend((void **)&s->clients, s->n_clients, k * e->n_clients,
               sizeof *s->clients) ||
        extend((void **)&s->allows, s->n_allows, k * e->n_allows,
               sizeof *s->allows) ||
        extend((void **)&s->processes, s->n_processes, k * e->n_procs,
               sizeof *s->processes) ||
        extend((void **)&s->chains, s->n_chains, k * e->n_chains, sizeof *s->chains))
        return oom(e, e->f->line);
    return TS_OK;
}

/* ---- one copy ------------------------------------------------------------ */

/* A copy's ids (its robot's, its nodes', links', components', topics' and
 * processes') and its topics' subscriber lists and processes' component
 * lists are its part of one block for the whole
 * fleet, which the first copy's site id owns: a fleet of 10,000 robots
 * made 60,000 small allocations for them, each costing more in allocator
 * overhead than its text, and then a block per copy (16 bytes of overhead
 * each). ts_scenario_free frees the block with the first copy's site id
 * (ts__fleet_copy_site_owns) and knows the others as a fleet copy's
 * (ts__fleet_copy_* below). */

/* Copy k's part of the block: its ids (with "_rK"), then its subscriber
 * lists, aligned for an int; *ids gets the ids' length. */
static size_t part_size(const expansion *e, int k, size_t *ids)
{
    char digits[16];
    size_t per_id = 2 + (size_t)snprintf(digits, sizeof digits, "%d", k) + 1;
    size_t size = e->id_chars + e->n_ids * per_id;
    if (ids)
        *ids = size;
    return (size + sizeof(int) - 1) / sizeof(int) * sizeof(int) +
           (e->n_subscribers + e->n_proc_members + e->n_chain_stages) * sizeof(int);
}

static void count_ids(expansion *e)
{
    const ts_scenario *s = e->s;
    e->id_chars = strlen(s->sites[e->f->template_site].id);
    e->n_ids = 1 + e->n_nodes + e->n_links + e->n_comps + e->n_topics + e->n_procs +
               e->n_chains;
    for (size_t i = 0; i < e->n_nodes; i++)
        e->id_chars += strlen(s->nodes[e->nodes[i]].id);
    for (size_t i = 0; i < e->n_links; i++)
        e->id_chars += strlen(s->links[e->links[i]].id);
    for (size_t i = 0; i < e->n_comps; i++)
        e->id_chars += strlen(s->components[e->comps[i]].id);
    for (size_t i = 0; i < e->n_topics; i++) {
        e->id_chars += strlen(s->topics[e->topics[i]].id);
        e->n_subscribers += s->topics[e->topics[i]].n_subscribers;
    }
    for (size_t i = 0; i < e->n_procs; i++) {
        e->id_chars += strlen(s->processes[e->procs[i]].id);
        e->n_proc_members += s->processes[e->procs[i]].n_components;
    }
    for (size_t i = 0; i < e->n_chains; i++) {
        e->id_chars += strlen(s->chains[e->chains[i]].id);
        e->n_chain_stages += s->chains[e->chains[i]].n_stages;
    }
}

/* dst (counted already, pointers cleared) gets src's id with "_rK", in
 * the copy's block (made by copy_site with room for every id). */
static int copy_id(expansion *e, char **dst, const char *src, int k, int line)
{
    int n = snprintf(e->id_at, (size_t)(e->id_end - e->id_at), "%s_r%d", src, k);
    if (n < 0 || n >= e->id_end - e->id_at)
        return ts_error_set(e->err, TS_EINVAL, e->file, line,
                            "fleet %s: copy %d's ids do not fit their block",
                            e->f->id, k);
    *dst = e->id_at;
    e->id_at += n + 1;
    return TS_OK;
}

static int copy_site(expansion *e, int k, int *site)
{
    ts_scenario *s = e->s;
    const ts_scenario_site *t = &s->sites[e->f->template_site];
    *site = (int)s->n_sites;
    ts_scenario_site *c = &s->sites[s->n_sites++];
    *c = *t;
    c->id = NULL;
    c->fleet = e->fleet;
    c->fleet_member = k;
    if (k == 1) {
        /* the whole fleet's block, made with its first copy, whose site id
         * owns it from here on (its id is the block's first text) */
        size_t total = 0;
        for (int m = 1; m < e->f->count; m++)
            total += part_size(e, m, NULL);
        if (!(e->part = ts_malloc(total ? total : 1)))
            return oom(e, t->line);
        c->id = e->part;
    }
    size_t size;
    size_t next = part_size(e, k, &size);
    e->id_at = e->part;
    e->id_end = e->part + size;
    e->subs_at = (int *)(void *)(e->part +
                                 (next - (e->n_subscribers + e->n_proc_members +
                                          e->n_chain_stages) * sizeof(int)));
    e->part += next;
    /* a copy past the first points into the block (not freed with it) */
    c->id = e->id_at;
    return copy_id(e, &c->id, t->id, k, t->line);
}

static int copy_nodes(expansion *e, int k, int site)
{
    ts_scenario *s = e->s;
    for (size_t i = 0; i < e->n_nodes; i++) {
        const ts_scenario_node *src = &s->nodes[e->nodes[i]];
        int j = (int)s->n_nodes;
        ts_scenario_node *n = &s->nodes[s->n_nodes++];
        /* its model name, power and thermal models are the template's
         * (ts__fleet_copy_node: not freed with the copy) */
        *n = *src;
        n->id = NULL;
        n->site = site;
        e->node_map[e->nodes[i]] = j;
        int rc = copy_id(e, &n->id, src->id, k, src->line);
        if (rc)
            return rc;
    }
    return TS_OK;
}

static int copy_links(expansion *e, int k)
{
    ts_scenario *s = e->s;
    for (size_t i = 0; i < e->n_links; i++) {
        const ts_scenario_link *src = &s->links[e->links[i]];
        ts_scenario_link *l = &s->links[s->n_links++];
        /* its model name, jitter and loss are the template's
         * (ts__fleet_copy_link: not freed with the copy) */
        *l = *src;
        l->id = NULL;
        l->a = mapped(e->node_map, src->a);
        l->b = mapped(e->node_map, src->b);
        int rc = copy_id(e, &l->id, src->id, k, src->line);
        if (rc)
            return rc;
    }
    return TS_OK;
}

static int copy_components(expansion *e, int k, int site)
{
    ts_scenario *s = e->s;
    size_t first = s->n_components;
    for (size_t i = 0; i < e->n_comps; i++) {
        const ts_scenario_component *src = &s->components[e->comps[i]];
        int j = (int)s->n_components;
        ts_scenario_component *c = &s->components[s->n_components++];
        /* A copy of the versions, the execution time distribution, the
         * safety mode and the shared fields (monitoring, offset, GPU
         * time) would be the same each time: the copy reads its
         * template's (the same on every robot, and nothing changes them
         * after the load), which ts__component_fini knows by
         * fleet_member > 0. It is marked in the same step it is made, so
         * a copy that failed owns nothing. */
        *c = *src;
        c->id = NULL;
        c->fleet_member = k;
        int rc = copy_id(e, &c->id, src->id, k, src->line);
        if (rc)
            return rc;
        c->pin = mapped(e->node_map, src->pin);
        c->site = site;
        c->fleet_template = e->comps[i];
        e->comp_map[e->comps[i]] = j;
    }
    /* references within the robot follow it */
    for (size_t j = first; j < s->n_components; j++) {
        ts_scenario_component *c = &s->components[j];
        c->backup_of = mapped(e->comp_map, c->backup_of);
        c->replica_of = mapped(e->comp_map, c->replica_of);
    }
    return TS_OK;
}

static int copy_topics(expansion *e, int k)
{
    ts_scenario *s = e->s;
    for (size_t i = 0; i < e->n_topics; i++) {
        const ts_scenario_topic *src = &s->topics[e->topics[i]];
        int j = (int)s->n_topics;
        ts_scenario_topic *t = &s->topics[s->n_topics++];
        /* its QoS is the template's; its subscriber list is in the
         * copy's block; with its publisher and subscribers in place,
         * before anything can fail, ts__fleet_copy_topic knows it for a
         * copy */
        *t = *src;
        t->id = NULL;
        t->publisher = mapped(e->comp_map, src->publisher);
        t->subscribers = e->subs_at;
        e->subs_at += src->n_subscribers;
        for (size_t m = 0; m < src->n_subscribers; m++)
            t->subscribers[m] = mapped(e->comp_map, src->subscribers[m]);
        e->topic_map[e->topics[i]] = j;
        int rc = copy_id(e, &t->id, src->id, k, src->line);
        if (rc)
            return rc;
    }
    /* a trigger is one of the robot's topics (its component subscribes) */
    for (size_t i = 0; i < e->n_comps; i++) {
        ts_scenario_component *c = &s->components[e->comp_map[e->comps[i]]];
        c->trigger = mapped(e->topic_map, c->trigger);
    }
    return TS_OK;
}

/* The robot's processes, each over the copy's components (in the
 * template's registration order, so the executor ranks them alike); its
 * component list is in the copy's block. Run after the per-robot
 * overrides are grafted: one that moved a component of a process to
 * another node would split the process. */
static int copy_processes(expansion *e, int k)
{
    ts_scenario *s = e->s;
    for (size_t i = 0; i < e->n_procs; i++) {
        const ts_scenario_process *src = &s->processes[e->procs[i]];
        int j = (int)s->n_processes;
        ts_scenario_process *p = &s->processes[s->n_processes++];
        /* with its components in place, before anything can fail,
         * ts__fleet_copy_process knows it for a copy */
        *p = *src;
        p->id = NULL;
        p->components = e->subs_at;
        e->subs_at += src->n_components;
        for (size_t m = 0; m < src->n_components; m++) {
            int c = mapped(e->comp_map, src->components[m]);
            p->components[m] = c;
            s->components[c].process = j;
        }
        int rc = copy_id(e, &p->id, src->id, k, src->line);
        if (rc)
            return rc;
        int node = s->components[p->components[0]].pin;
        for (size_t m = 1; m < p->n_components; m++) {
            const ts_scenario_component *c = &s->components[p->components[m]];
            if (c->pin == node)
                continue;
            /* at the override that moved one of the two */
            int line = ts__variety_override_line(e->variety, e->fleet, k, src->components[m]);
            if (!line)
                line = ts__variety_override_line(e->variety, e->fleet, k, src->components[0]);
            return ts_error_set(e->err, TS_EINVAL, e->file, line ? line : src->line,
                                "process %s: on robot r%d (fleet %s) its component %s "
                                "is on node %s and %s on node %s (a process runs on "
                                "one node: a robot-override moves all its components "
                                "or none)",
                                src->id, k, e->f->id, c->id,
                                c->pin >= 0 ? s->nodes[c->pin].id : "(none)",
                                s->components[p->components[0]].id,
                                node >= 0 ? s->nodes[node].id : "(none)");
        }
    }
    return TS_OK;
}

/* The robot's chains, each over the copy's components and topics (so a
 * copy's phase, clock offset and overrides are its chain's); the stage
 * list is in the copy's block. Run after copy_processes, with every
 * stage's copy made. */
static int copy_chains(expansion *e, int k)
{
    ts_scenario *s = e->s;
    for (size_t i = 0; i < e->n_chains; i++) {
        const ts_scenario_chain *src = &s->chains[e->chains[i]];
        ts_scenario_chain *ch = &s->chains[s->n_chains++];
        /* with its stages in place, before anything can fail,
         * ts__fleet_copy_chain knows it for a copy */
        *ch = *src;
        ch->id = NULL;
        ch->stages = e->subs_at;
        e->subs_at += src->n_stages;
        size_t text = 0;
        for (size_t m = 0; m < src->n_stages; m++) {
            int even = m % 2 == 0;
            ch->stages[m] = mapped(even ? e->comp_map : e->topic_map, src->stages[m]);
            text += strlen(even ? s->components[ch->stages[m]].id
                                : s->topics[ch->stages[m]].id) + (m > 0);
        }
        int rc = copy_id(e, &ch->id, src->id, k, src->line);
        if (rc)
            return rc;
        if (text > TS_SCENARIO_CHAIN_TEXT_MAX)
            return ts_error_set(e->err, TS_ERANGE, e->file, src->line,
                                "chain %s: on robot r%d (fleet %s) its stage ids take %zu "
                                "characters joined, more than the %d a trace holds; expected "
                                "fewer or shorter stages", src->id, k, e->f->id, text,
                                TS_SCENARIO_CHAIN_TEXT_MAX);
    }
    return TS_OK;
}

/* Requirements, clients and allow rules: plain data, remapped. */
static void copy_rules(expansion *e)
{
    ts_scenario *s = e->s;
    for (size_t i = 0; i < e->n_reqs; i++) {
        ts_scenario_requirement *r = &s->requirements[s->n_requirements++];
        *r = s->requirements[e->reqs[i]];
        r->target = mapped(r->kind == TS_REQ_TOPIC_DEADLINE ? e->topic_map
                                                            : e->comp_map,
                           r->target);
    }
    for (size_t i = 0; i < e->n_clients; i++) {
        ts_scenario_client *c = &s->clients[s->n_clients++];
        *c = s->clients[e->clients[i]];
        c->component = mapped(e->comp_map, c->component);
    }
    for (size_t i = 0; i < e->n_allows; i++) {
        ts_scenario_allow *a = &s->allows[s->n_allows++];
        *a = s->allows[e->allows[i]];
        a->component = mapped(e->comp_map, a->component);
        a->topic = mapped(e->topic_map, a->topic);
    }
}

/* ---- ids ----------------------------------------------------------------- */

typedef enum { K_SITE, K_NODE, K_LINK, K_COMPONENT, K_TOPIC, K_PROCESS, K_CHAIN } kind;

static const char *const KIND_NAMES[] = {"robot", "node", "link", "component",
                                         "topic", "process", "chain"};

static size_t kind_count(const ts_scenario *s, kind k)
{
    switch (k) {
    case K_SITE: return s->n_sites;
    case K_NODE: return s->n_nodes;
    case K_LINK: return s->n_links;
    case K_COMPONENT: return s->n_components;
    case K_TOPIC: return s->n_topics;
    case K_PROCESS: return s->n_processes;
    case K_CHAIN: return s->n_chains;
    }
    return 0;
}

static const char *kind_id(const ts_scenario *s, kind k, size_t i, int *line)
{
    switch (k) {
    case K_SITE: *line = s->sites[i].line; return s->sites[i].id;
    case K_NODE: *line = s->nodes[i].line; return s->nodes[i].id;
    case K_LINK: *line = s->links[i].line; return s->links[i].id;
    case K_COMPONENT:
        *line = s->components[i].line;
        return s->components[i].id;
    case K_TOPIC: *line = s->topics[i].line; return s->topics[i].id;
    case K_PROCESS: *line = s->processes[i].line; return s->processes[i].id;
    case K_CHAIN: *line = s->chains[i].line; return s->chains[i].id;
    }
    *line = 0;
    return "";
}

/* Copies come after every original, so a clash is always found at a copy
 * (index >= first): it names the copy's template and number. `per` items
 * are made per copy, from `tmpl` (indices of the originals). */
static int check_ids(expansion *e, kind k, size_t first, const int *tmpl,
                     size_t per)
{
    const ts_scenario *s = e->s;
    size_t n = kind_count(s, k);
    if (n == first)
        return TS_OK;
    xmlHashTablePtr ids = xmlHashCreate((int)(n < 1 << 20 ? n : 1 << 20));
    if (!ids)
        return oom(e, e->f->line);
    int rc = TS_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        int line;
        const char *id = kind_id(s, k, i, &line);
        void *prev = xmlHashLookup(ids, BAD_CAST id);
        if (!prev) {
            if (xmlHashAddEntry(ids, BAD_CAST id, (void *)(intptr_t)(i + 1)))
                rc = oom(e, line);
            continue;
        }
        int prev_line, tline;
        kind_id(s, k, (size_t)((intptr_t)prev - 1), &prev_line);
        size_t copy = i >= first ? (i - first) / (per ? per : 1) + 1 : 0;
        const char *tid =
            i < first    ? id
            : k == K_SITE ? s->sites[e->f->template_site].id
                          : kind_id(s, k, (size_t)tmpl[(i - first) % per],
                                    &tline);
        rc = ts_error_set(e->err, TS_EINVAL, e->file, line,
                          "fleet %s: copy %zu of %s %s is named \"%s\", "
                          "which the %s at line %d already uses (rename one "
                          "of them)", e->f->id, copy, KIND_NAMES[k], tid, id,
                          KIND_NAMES[k], prev_line);
    }
    xmlHashFree(ids, NULL);
    return rc;
}

/* ---- one fleet ----------------------------------------------------------- */

/* Position of template index i in list (n long), or -1. */
static long position(const int *list, size_t n, int i)
{
    for (size_t k = 0; k < n; k++)
        if (list[k] == i)
            return (long)k;
    return -1;
}

/* A fault naming copy K's entity (fleet_variety.c: its template's index
 * and K) gets the copy's index: copies are appended copy by copy in
 * their template's order, so it is first + (K - 1) * per copy + position. */
static void remap_faults(expansion *e, const size_t *first)
{
    ts_scenario *s = e->s;
    for (size_t i = 0; i < s->n_faults; i++) {
        ts_scenario_fault *f = &s->faults[i];
        /* a partition's links naming copies, each its own */
        for (size_t j = 0; f->kind == TS_FAULT_PARTITION && j < f->n_links; j++) {
            int robot, link = ts__variety_pending(e->variety, f->links[j], TS__REF_LINK, &robot);
            long pos = link >= 0 ? position(e->links, e->n_links, link) : -1;
            if (pos >= 0 && robot >= 1 && robot < e->f->count)
                f->links[j] = (int)(first[K_LINK] + (size_t)(robot - 1) * e->n_links +
                                    (size_t)pos);
        }
        if (f->robot < 1 || f->robot >= e->f->count || f->target < 0)
            continue;
        const int *list;
        size_t n, at;
        switch (f->kind) {
        case TS_FAULT_LINK_DOWN:
        case TS_FAULT_LOSS_BURST:
        case TS_FAULT_LATENCY_SPIKE:
            list = e->links, n = e->n_links, at = first[K_LINK];
            break;
        case TS_FAULT_AMBIENT:
        case TS_FAULT_POWER_MODE:
        case TS_FAULT_NODE_CRASH:
            list = e->nodes, n = e->n_nodes, at = first[K_NODE];
            break;
        case TS_FAULT_COMPONENT_CRASH:
            list = e->comps, n = e->n_comps, at = first[K_COMPONENT];
            break;
        default:
            continue;
        }
        long pos = position(list, n, f->target);
        if (pos >= 0)
            f->target = (int)(at + (size_t)(f->robot - 1) * n + (size_t)pos);
    }
    /* <expect>s naming a copy's node or component */
    for (size_t i = 0; i < s->n_expects; i++) {
        ts_scenario_expect *x = &s->expects[i];
        int robot, t = ts__variety_pending(e->variety, x->node, TS__REF_NODE, &robot);
        long pos = t >= 0 ? position(e->nodes, e->n_nodes, t) : -1;
        if (pos >= 0 && robot < e->f->count)
            x->node = (int)(first[K_NODE] + (size_t)(robot - 1) * e->n_nodes + (size_t)pos);
        t = ts__variety_pending(e->variety, x->component, TS__REF_COMPONENT, &robot);
        pos = t >= 0 ? position(e->comps, e->n_comps, t) : -1;
        if (pos >= 0 && robot < e->f->count)
            x->component =
                (int)(first[K_COMPONENT] + (size_t)(robot - 1) * e->n_comps + (size_t)pos);
    }
}

static int expand_fleet(expansion *e)
{
    ts_scenario *s = e->s;
    ts_scenario_site *t = &s->sites[e->f->template_site];
    t->fleet = e->fleet;
    t->fleet_member = 0;
    for (size_t i = 0; i < s->n_components; i++)
        if (s->components[i].site == e->f->template_site) {
            s->components[i].fleet_template = (int)i;
            s->components[i].fleet_member = 0;
        }
    int rc = check_pins(e);
    if (rc || e->f->count <= 1)
        return rc;
    rc = collect(e);
    if (!rc)
        rc = make_room(e);
    if (!rc)
        count_ids(e);
    if (rc)
        return rc;
    size_t first[] = {s->n_sites, s->n_nodes, s->n_links, s->n_components,
                      s->n_topics, s->n_processes, s->n_chains};
    for (int k = 1; k < e->f->count && !rc; k++) {
        int site;
        rc = copy_site(e, k, &site);
        if (!rc)
            rc = copy_nodes(e, k, site);
        size_t first_link = s->n_links;
        if (!rc)
            rc = copy_links(e, k);
        size_t first_comp = s->n_components;
        if (!rc)
            rc = copy_components(e, k, site);
        if (!rc)
            rc = copy_topics(e, k);
        if (!rc)
            rc = ts__variety_graft(e->variety, s, e->fleet, k, first_comp, e->node_map,
                                   e->topic_map, e->links, e->n_links, first_link,
                                   e->file, e->err);
        if (!rc)
            rc = copy_processes(e, k);
        if (!rc)
            rc = copy_chains(e, k);
        if (!rc)
            copy_rules(e);
    }
    if (!rc)
        remap_faults(e, first);
    if (!rc)
        rc = check_ids(e, K_SITE, first[K_SITE], NULL, 1);
    if (!rc)
        rc = check_ids(e, K_NODE, first[K_NODE], e->nodes, e->n_nodes);
    if (!rc)
        rc = check_ids(e, K_LINK, first[K_LINK], e->links, e->n_links);
    if (!rc)
        rc = check_ids(e, K_COMPONENT, first[K_COMPONENT], e->comps,
                       e->n_comps);
    if (!rc)
        rc = check_ids(e, K_TOPIC, first[K_TOPIC], e->topics, e->n_topics);
    if (!rc)
        rc = check_ids(e, K_PROCESS, first[K_PROCESS], e->procs, e->n_procs);
    if (!rc)
        rc = check_ids(e, K_CHAIN, first[K_CHAIN], e->chains, e->n_chains);
    return rc;
}

/* ---- which items are fleet copies (whose ids are not their own) -------- */

int ts__fleet_copy_site_owns(const ts_scenario *s, size_t i)
{
    return s->sites[i].fleet_member <= 1;
}

int ts__fleet_copy_node(const ts_scenario *s, size_t i)
{
    int site = s->nodes[i].site;
    return site >= 0 && (size_t)site < s->n_sites && s->sites[site].fleet_member > 0;
}

int ts__fleet_copy_link(const ts_scenario *s, size_t i)
{
    const ts_scenario_link *l = &s->links[i];
    return (l->a >= 0 && (size_t)l->a < s->n_nodes && ts__fleet_copy_node(s, (size_t)l->a)) ||
           (l->b >= 0 && (size_t)l->b < s->n_nodes && ts__fleet_copy_node(s, (size_t)l->b));
}

static int copy_component(const ts_scenario *s, int c)
{
    return c >= 0 && (size_t)c < s->n_components && s->components[c].fleet_member > 0;
}

int ts__fleet_copy_topic(const ts_scenario *s, size_t i)
{
    const ts_scenario_topic *t = &s->topics[i];
    if (copy_component(s, t->publisher))
        return 1;
    for (size_t k = 0; k < t->n_subscribers; k++)
        if (copy_component(s, t->subscribers[k]))
            return 1;
    return 0;
}

int ts__fleet_copy_process(const ts_scenario *s, size_t i)
{
    const ts_scenario_process *p = &s->processes[i];
    return p->n_components > 0 && copy_component(s, p->components[0]);
}

int ts__fleet_copy_chain(const ts_scenario *s, size_t i)
{
    const ts_scenario_chain *ch = &s->chains[i];
    return ch->n_stages > 0 && copy_component(s, ch->stages[0]);
}

int ts__fleet_expand(ts_scenario *s, ts__variety *v, const char *file, ts_error *err)
{
    ts__variety_prepare(v);
    int rc = TS_OK;
    /* Outside any fleet until one claims it (copies come after all
     * originals, so this runs over the originals only). */
    for (size_t i = 0; i < s->n_components; i++)
        s->components[i].fleet_template = s->components[i].fleet_member = -1;
    for (size_t f = 0; f < s->n_fleets && !rc; f++) {
        expansion e;
        memset(&e, 0, sizeof e);
        e.s = s;
        e.variety = v;
        e.file = file;
        e.err = err;
        e.f = &s->fleets[f];
        e.fleet = (int)f;
        rc = expand_fleet(&e);
        ts_free(e.nodes);
        ts_free(e.links);
        ts_free(e.comps);
        ts_free(e.topics);
        ts_free(e.reqs);
        ts_free(e.clients);
        ts_free(e.allows);
        ts_free(e.procs);
        ts_free(e.chains);
        ts_free(e.node_map);
        ts_free(e.comp_map);
        ts_free(e.topic_map);
    }
    for (size_t i = 0; i < s->n_faults && !rc; i++)
        for (size_t j = 0; j < s->faults[i].n_links && !rc; j++)
            if (s->faults[i].links[j] < 0)
                rc = ts_error_set(err, TS_EINVAL, file, s->faults[i].line,
                                  "partition: a link naming a copy was not found among "
                                  "the copies");
    for (size_t i = 0; i < s->n_expects && !rc; i++)
        if (s->expects[i].node < -1 || s->expects[i].component < -1)
            rc = ts_error_set(err, TS_EINVAL, file, s->expects[i].line,
                              "expect: a copy it names was not found among the copies");
    /* phases and clock offsets, once every copy (and its rate) is known */
    if (!rc)
        rc = ts__variety_timing(v, s, file, err);
    return rc;
}
