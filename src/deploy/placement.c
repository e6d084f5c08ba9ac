/*
 * Placement: turns plain node and component descriptions into one node per
 * component plus a sentence saying why, the same way on a real fleet as in
 * the simulator. It owns nothing past a call: working arrays are allocated
 * through the hook and released before returning. Only deploy.h, error.h
 * and alloc.h are visible from here.
 */
#include "toposim/deploy.h"

#include "toposim/alloc.h"
#include "toposim/error.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The three resources fitted, in the order a fit is checked and a reason is
 * written. */
enum { RES_CPU = 0, RES_MEM = 1, RES_GPU = 2, RES_COUNT = 3 };

/* Free capacity left on one node while components are being placed. */
typedef struct node_room {
    int64_t res[RES_COUNT];
} node_room;

/* One unpinned component in first-fit-decreasing order. */
typedef struct order_entry {
    size_t idx;
    double share;
} order_entry;

/* Number of hosting tiers (robot, edge, cloud); TS_PLACE_NONE hosts nothing. */
#define HOST_TIERS 3

const char *ts_place_rule_name(ts_place_rule rule)
{
    switch (rule) {
    case TS_RULE_PIN: return "pin";
    case TS_RULE_REAL_TIME_CRITICAL: return "real-time-critical";
    case TS_RULE_COMPUTATION_HEAVY: return "computation-heavy";
    case TS_RULE_DATA_PROCESSING: return "data-processing";
    case TS_RULE_DEFAULT_ROBOT: return "default-robot";
    }
    return "unknown";
}

static const char *tier_name(ts_place_tier tier)
{
    switch (tier) {
    case TS_PLACE_ROBOT: return "robot";
    case TS_PLACE_EDGE: return "edge";
    case TS_PLACE_CLOUD: return "cloud";
    case TS_PLACE_NONE: return "network";
    }
    return "unknown";
}

/* A pin wins; then the flags in fixed precedence, so a component carrying
 * several flags always gets the same rule. */
static ts_place_rule rule_for(const ts_place_component *c)
{
    if (c->pin >= 0)
        return TS_RULE_PIN;
    if (c->flags & TS_PLACE_REAL_TIME_CRITICAL)
        return TS_RULE_REAL_TIME_CRITICAL;
    if (c->flags & TS_PLACE_COMPUTATION_HEAVY)
        return TS_RULE_COMPUTATION_HEAVY;
    if (c->flags & TS_PLACE_DATA_PROCESSING)
        return TS_RULE_DATA_PROCESSING;
    return TS_RULE_DEFAULT_ROBOT;
}

static ts_place_tier tier_for(ts_place_rule rule)
{
    switch (rule) {
    case TS_RULE_COMPUTATION_HEAVY: return TS_PLACE_EDGE;
    case TS_RULE_DATA_PROCESSING: return TS_PLACE_CLOUD;
    default: return TS_PLACE_ROBOT;
    }
}

/* How the rule reads at the head of a reason ("... -> robot"). */
static const char *rule_label(ts_place_rule rule)
{
    return rule == TS_RULE_DEFAULT_ROBOT ? "default (no tier flag)"
                                         : ts_place_rule_name(rule);
}

static int64_t need_of(const ts_place_component *c, int res)
{
    switch (res) {
    case RES_CPU: return c->cpu_millicores;
    case RES_MEM: return c->memory_bytes;
    default: return c->gpus;
    }
}

static int64_t capacity_of(const ts_place_node *n, int res)
{
    switch (res) {
    case RES_CPU: return n->cpu_millicores;
    case RES_MEM: return n->memory_bytes;
    default: return n->gpus;
    }
}

/* Bytes in the largest binary unit that keeps the value >= 1, with one
 * decimal when not whole. Free space rounds down and demand rounds up, so
 * a printed "needs" never looks smaller than a printed "free" that fails
 * to hold it. */
static void fmt_bytes(char *buf, size_t size, int64_t v, int round_up)
{
    static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    if (v < 1024) {
        snprintf(buf, size, "%lldB", (long long)v);
        return;
    }
    int u = 0;
    int64_t scale = 1024;
    while (u < 4 && v / scale >= 1024) {
        scale *= 1024;
        u++;
    }
    int64_t whole = v / scale, rem = v % scale;
    if (rem == 0) {
        snprintf(buf, size, "%lld%s", (long long)whole, unit[u]);
        return;
    }
    /* rem < scale <= 2^50, so rem * 10 cannot overflow. */
    int64_t tenths = whole * 10 + (rem * 10) / scale;
    if (round_up && (rem * 10) % scale != 0)
        tenths++;
    snprintf(buf, size, "%lld.%lld%s", (long long)(tenths / 10),
             (long long)(tenths % 10), unit[u]);
}

/* The bare quantity: "500m", "4GiB", "2". */
static void fmt_qty(char *buf, size_t size, int res, int64_t v, int round_up)
{
    if (res == RES_CPU)
        snprintf(buf, size, "%lldm", (long long)v);
    else if (res == RES_MEM)
        fmt_bytes(buf, size, v, round_up);
    else
        snprintf(buf, size, "%lld", (long long)v);
}

/* The quantity with its noun: "500m cpu", "4GiB memory", "1 GPU". */
static void fmt_amount(char *buf, size_t size, int res, int64_t v,
                       int round_up)
{
    char q[32];
    fmt_qty(q, sizeof q, res, v, round_up);
    if (res == RES_CPU)
        snprintf(buf, size, "%s cpu", q);
    else if (res == RES_MEM)
        snprintf(buf, size, "%s memory", q);
    else
        snprintf(buf, size, "%s GPU%s", q, v == 1 ? "" : "s");
}

static const char *res_noun(int res)
{
    return res == RES_CPU ? "cpu" : res == RES_MEM ? "memory" : "GPUs";
}

/* Writes a reason, cutting an over-long one at a UTF-8 character boundary
 * and marking the cut with "..." so ids in any script stay well-formed. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void set_reason(ts_place_result *r, const char *fmt, ...)
{
    const size_t cap = sizeof r->reason;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->reason, cap, fmt, ap);
    va_end(ap);
    if (n < 0) {
        r->reason[0] = '\0';
        return;
    }
    if ((size_t)n >= cap) {
        size_t end = cap - 4;
        while (end > 0 && ((unsigned char)r->reason[end] & 0xC0) == 0x80)
            end--;
        memcpy(r->reason + end, "...", 4);
    }
}

/* "cpu 500m of 3500m free, mem 64MiB of 7.9GiB free[, gpu 1 of 2 free]",
 * with free capacity as it was just before this component claimed it. */
static void fmt_fit(char *buf, size_t size, const ts_place_component *c,
                    const node_room *before)
{
    char cn[32], cf[32], mn[32], mf[32];
    fmt_qty(cn, sizeof cn, RES_CPU, c->cpu_millicores, 1);
    fmt_qty(cf, sizeof cf, RES_CPU, before->res[RES_CPU], 0);
    fmt_qty(mn, sizeof mn, RES_MEM, c->memory_bytes, 1);
    fmt_qty(mf, sizeof mf, RES_MEM, before->res[RES_MEM], 0);
    int len = snprintf(buf, size, "cpu %s of %s free, mem %s of %s free", cn,
                       cf, mn, mf);
    if (c->gpus > 0 && len >= 0 && (size_t)len < size)
        snprintf(buf + len, size - (size_t)len, ", gpu %d of %lld free",
                 c->gpus, (long long)before->res[RES_GPU]);
}

/* First resource (cpu, memory, GPUs) that does not fit, or -1. */
static int first_short(const node_room *room, const ts_place_component *c)
{
    for (int res = 0; res < RES_COUNT; res++)
        if (need_of(c, res) > room->res[res])
            return res;
    return -1;
}

static void claim(node_room *room, const ts_place_component *c)
{
    for (int res = 0; res < RES_COUNT; res++)
        room->res[res] -= need_of(c, res);
}

/* Larger dominant share first; equal shares keep input order. Shares are
 * quotients of integers below 2^53, each correctly rounded, so equal
 * rational shares compare equal and the tie-break really is input order. */
static int by_share_desc(const void *a, const void *b)
{
    const order_entry *x = a, *y = b;
    if (x->share > y->share)
        return -1;
    if (x->share < y->share)
        return 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Arguments and pins are all checked before any capacity is claimed, so a
 * malformed input is always reported as TS_EINVAL rather than as whichever
 * infeasibility the fitting happened to meet first. */
static int check_input(const ts_place_node *nodes, size_t n_nodes,
                       const ts_place_component *components,
                       size_t n_components, ts_error *err)
{
    for (size_t i = 0; i < n_nodes; i++) {
        const ts_place_node *n = &nodes[i];
        if (!n->id)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "placement: node #%zu has no id", i);
        if ((int)n->tier < TS_PLACE_ROBOT || (int)n->tier > TS_PLACE_NONE)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "node %s: tier %d is not robot, edge, cloud "
                                "or network", n->id, (int)n->tier);
        if (n->cpu_millicores < 0 || n->memory_bytes < 0 || n->gpus < 0)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "node %s: negative capacity", n->id);
    }
    for (size_t i = 0; i < n_components; i++) {
        const ts_place_component *c = &components[i];
        if (!c->id)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "placement: component #%zu has no id", i);
        if (c->cpu_millicores < 0 || c->memory_bytes < 0 || c->gpus < 0)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "component %s: negative resource demand",
                                c->id);
        /* -1 is the only "unpinned" value; anything else below 0 is a
         * corrupted index, not a request to float. */
        if (c->pin < -1 || (c->pin >= 0 && (size_t)c->pin >= n_nodes))
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "component %s: pin %d is not a node index "
                                "(%zu nodes)", c->id, c->pin, n_nodes);
        if (c->pin >= 0 && nodes[c->pin].tier == TS_PLACE_NONE)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "component %s: pinned to %s, a network-only "
                                "node that cannot host components",
                                c->id, nodes[c->pin].id);
    }
    return TS_OK;
}

/* Explains why no node of the tier holds c. The binding resource is the
 * one that is short on the most nodes of the tier; ties go to GPUs, then
 * memory, then cpu (hardest to add first). "Largest free" names the tier
 * node with the most of that resource, the first in input order on ties. */
static int report_no_fit(const ts_place_node *nodes, size_t n_nodes,
                         const node_room *room, const ts_place_component *c,
                         ts_place_tier tier, ts_error *err)
{
    size_t short_on[RES_COUNT] = {0};
    size_t n_tier = 0;
    for (size_t j = 0; j < n_nodes; j++) {
        if (nodes[j].tier != tier)
            continue;
        n_tier++;
        for (int res = 0; res < RES_COUNT; res++)
            if (need_of(c, res) > room[j].res[res])
                short_on[res]++;
    }
    static const int pref[RES_COUNT] = {RES_GPU, RES_MEM, RES_CPU};
    int bind = pref[0];
    for (int k = 1; k < RES_COUNT; k++)
        if (short_on[pref[k]] > short_on[bind])
            bind = pref[k];

    size_t best = n_nodes;
    for (size_t j = 0; j < n_nodes; j++)
        if (nodes[j].tier == tier &&
            (best == n_nodes || room[j].res[bind] > room[best].res[bind]))
            best = j;

    /* The needs list starts with the binding resource; GPUs are listed only
     * when asked for. */
    char needs[128], part[48];
    fmt_amount(needs, sizeof needs, bind, need_of(c, bind), 1);
    for (int res = 0; res < RES_COUNT; res++) {
        if (res == bind || (res == RES_GPU && c->gpus == 0))
            continue;
        fmt_amount(part, sizeof part, res, need_of(c, res), 1);
        size_t len = strlen(needs);
        snprintf(needs + len, sizeof needs - len, ", %s", part);
    }
    char want[48], largest[48];
    fmt_amount(want, sizeof want, bind, need_of(c, bind), 1);
    fmt_amount(largest, sizeof largest, bind, room[best].res[bind], 0);

    if (short_on[bind] == n_tier)
        return ts_error_set(err, TS_EINFEASIBLE, NULL, 0,
                            "component %s: no %s node has %s free (needs %s; "
                            "largest free: %s with %s)",
                            c->id, tier_name(tier), want, needs,
                            nodes[best].id, largest);
    return ts_error_set(err, TS_EINFEASIBLE, NULL, 0,
                        "component %s: no %s node has room for all of it at "
                        "once; %s is short on %zu of %zu %s nodes (needs %s; "
                        "largest free %s: %s with %s)",
                        c->id, tier_name(tier), res_noun(bind), short_on[bind],
                        n_tier, tier_name(tier), needs, res_noun(bind),
                        nodes[best].id, largest);
}

int ts_placement_compute(const ts_place_node *nodes, size_t n_nodes,
                         const ts_place_component *components,
                         size_t n_components, ts_place_result *results,
                         ts_error *err)
{
    ts_error_clear(err);
    if ((!nodes && n_nodes) || (!components && n_components) ||
        (!results && n_components))
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "placement: NULL array with a nonzero count");
    /* Node indices travel as int (pin, result.node). */
    if (n_nodes > (size_t)INT_MAX)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "placement: %zu nodes is more than an int index "
                            "can name", n_nodes);
    int rc = check_input(nodes, n_nodes, components, n_components, err);
    if (rc != TS_OK)
        return rc;

    /* Results are defined even on failure: unplaced components keep -1. */
    for (size_t i = 0; i < n_components; i++) {
        results[i].node = -1;
        results[i].rule = rule_for(&components[i]);
        results[i].reason[0] = '\0';
    }
    if (n_components == 0)
        return TS_OK;

    if (n_nodes > SIZE_MAX / sizeof(node_room) ||
        n_components > SIZE_MAX / sizeof(order_entry))
        return ts_error_set(err, TS_ENOMEM, NULL, 0,
                            "placement: too many nodes or components");
    node_room *room = ts_malloc(n_nodes * sizeof *room);
    order_entry *order = ts_malloc(n_components * sizeof *order);
    if (!room || !order) {
        rc = ts_error_set(err, TS_ENOMEM, NULL, 0,
                          "placement: out of memory for %zu nodes and %zu "
                          "components", n_nodes, n_components);
        goto done;
    }

    double total[HOST_TIERS][RES_COUNT] = {{0}};
    size_t tier_nodes[HOST_TIERS] = {0};
    for (size_t j = 0; j < n_nodes; j++) {
        for (int res = 0; res < RES_COUNT; res++)
            room[j].res[res] = capacity_of(&nodes[j], res);
        if (nodes[j].tier == TS_PLACE_NONE)
            continue;
        tier_nodes[nodes[j].tier]++;
        for (int res = 0; res < RES_COUNT; res++)
            total[nodes[j].tier][res] += (double)capacity_of(&nodes[j], res);
    }

    /* Pins claim their node first, in input order: the operator chose the
     * node, so the tier rules must fit around it, not the other way. */
    for (size_t i = 0; i < n_components; i++) {
        const ts_place_component *c = &components[i];
        if (c->pin < 0)
            continue;
        node_room *r = &room[c->pin];
        int res = first_short(r, c);
        if (res >= 0) {
            char want[48], have[48];
            fmt_amount(want, sizeof want, res, need_of(c, res), 1);
            fmt_amount(have, sizeof have, res, r->res[res], 0);
            rc = ts_error_set(err, TS_EINFEASIBLE, NULL, 0,
                              "component %s: pinned node %s has only %s free "
                              "(needs %s)", c->id, nodes[c->pin].id, have,
                              want);
            goto done;
        }
        char fit[128];
        fmt_fit(fit, sizeof fit, c, r);
        claim(r, c);
        results[i].node = c->pin;
        set_reason(&results[i], "pinned to %s (%s)", nodes[c->pin].id, fit);
    }

    /* First-fit decreasing by dominant share (largest demand/tier-capacity
     * ratio over cpu, memory and GPUs): big items go first so that small
     * ones fill the gaps, and the total order (share, then input index)
     * makes the outcome reproducible. A demand on a resource the tier does
     * not have at all sorts first; it fails either way. */
    size_t n_order = 0;
    for (size_t i = 0; i < n_components; i++) {
        const ts_place_component *c = &components[i];
        if (c->pin >= 0)
            continue;
        ts_place_tier t = tier_for(results[i].rule);
        double share = 0.0;
        for (int res = 0; res < RES_COUNT; res++) {
            int64_t need = need_of(c, res);
            if (need == 0)
                continue;
            double s = total[t][res] > 0.0 ? (double)need / total[t][res]
                                           : INFINITY;
            if (s > share)
                share = s;
        }
        order[n_order].idx = i;
        order[n_order].share = share;
        n_order++;
    }
    qsort(order, n_order, sizeof *order, by_share_desc);

    for (size_t k = 0; k < n_order; k++) {
        size_t i = order[k].idx;
        const ts_place_component *c = &components[i];
        ts_place_tier t = tier_for(results[i].rule);
        if (tier_nodes[t] == 0) {
            rc = ts_error_set(err, TS_EINFEASIBLE, NULL, 0,
                              "component %s: no %s-tier node exists (rule %s)",
                              c->id, tier_name(t),
                              ts_place_rule_name(results[i].rule));
            goto done;
        }
        /* Within the tier the first node in input order that fits wins:
         * input order is the only order that is the same on every run and
         * every machine, so the same scenario always yields the same plan. */
        size_t j = 0;
        while (j < n_nodes &&
               (nodes[j].tier != t || first_short(&room[j], c) >= 0))
            j++;
        if (j == n_nodes) {
            rc = report_no_fit(nodes, n_nodes, room, c, t, err);
            goto done;
        }
        char fit[128];
        fmt_fit(fit, sizeof fit, c, &room[j]);
        claim(&room[j], c);
        results[i].node = (int)j;
        set_reason(&results[i], "%s -> %s; first fit %s (%s)",
                   rule_label(results[i].rule), tier_name(t), nodes[j].id,
                   fit);
    }
    rc = TS_OK;

done:
    ts_free(order);
    ts_free(room);
    return rc;
}
