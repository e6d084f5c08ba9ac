/*
 * Placement: turns plain node and component descriptions into one node per
 * component, the cores it reserves and a sentence saying why, the same way
 * on a real fleet as in the simulator. Routes are known only through the
 * caller's latency callback. It owns nothing past a call: working arrays
 * are allocated through the hook and released before returning. Only
 * deploy.h, error.h and alloc.h are visible from here.
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

/* The resources fitted, in the order a fit is checked and a reason is
 * written. Whole GPUs are counted (the GPUs no share is on); their memory
 * is per GPU (a capacity check, a whole GPU's memory is its holder's).
 * A share needs one GPU with that much share and GPU memory free: its
 * "free" is the most share any one GPU has, and the most memory any one
 * GPU with room for its share has, so the two checks together are exact.
 * Cores are whole reservable cores. */
enum {
    RES_CPU = 0,
    RES_MEM = 1,
    RES_GPU = 2,
    RES_GPU_MEM = 3,
    RES_CORES = 4,
    RES_GPU_SHARE = 5,
    RES_GPU_SHARE_MEM = 6,
    RES_COUNT = 7
};

/* A whole GPU's share, in thousandths. */
#define GPU_MILLI 1000

/* Number of hosting tiers (robot, edge, cloud); TS_PLACE_NONE hosts nothing. */
#define HOST_TIERS 3

/* Most cores a node can offer for reservation: a core mask is 64 bits. */
#define MAX_CORES 64

/* What is left on one node while components are being placed. */
typedef struct node_state {
    int64_t free[RES_COUNT];  /* cpu, memory, GPUs free; per-GPU memory
                                 (fixed); reservable cores still free */
    size_t gpu0;              /* its GPUs in place_ctx's gpu arrays */
    uint64_t reservable;      /* cores that may be reserved */
    uint64_t reserved;        /* cores already reserved */
    size_t hosted;            /* components placed on it */
    int first_hosted;         /* the first of them, or -1 */
    int holder;               /* node-isolated component on it, or -1 */
} node_state;

/* Per-component working data. */
typedef struct comp_state {
    double share;             /* dominant share of its preferred tier */
    int cls;                  /* 0 node-isolated, 1 tier-locked, 2 other */
    int group;                /* replica group (its smallest index), or -1 */
    int next_in_group;        /* next member of the group, or -1 */
    int group_head;           /* for a group's representative: first member */
    int first_backup;         /* first component naming it as primary */
    int next_backup;          /* next backup of the same primary */
    size_t pending;           /* latency publishers not yet placed */
    int64_t cores;            /* whole cores to reserve; 0: none */
    int placed;
} comp_state;

/* One latency budget seen from the publisher's side. */
typedef struct rev_entry {
    int consumer;
    int64_t budget;
} rev_entry;

/* Why a node cannot take a component, first failing rule in this order. */
enum {
    CK_OK = 0,
    CK_ISOLATION = 1,
    CK_ANTI_AFFINITY = 2,
    CK_LATENCY = 3,
    CK_VARIANT = 4,
    CK_RESOURCE = 5,
    CK_COUNT = 6
};

typedef struct check {
    int kind;                 /* CK_* */
    int other;                /* the component that blocks, or -1 */
    int side;                 /* isolation: 0 it needs the node empty, 1 the
                                 node is held; anti-affinity: 0 primary, 1
                                 backup; latency: 0 from its publisher, 1 to
                                 its consumer */
    int res;                  /* resource short (CK_RESOURCE) */
    int other_node;           /* latency: the other end's node */
    int64_t lat, budget;      /* latency: -1 lat = unreachable */
    int variant;              /* the variant chosen on the node, or -1 */
    int64_t var_mem;          /* its memory, counted with the component's */
} check;

typedef struct place_ctx {
    const ts_place_node *nodes;
    size_t n_nodes;
    const ts_place_component *cs;
    size_t n;
    ts_place_route_fn route;
    void *route_ctx;
    ts_place_variants_fn variants;
    void *variants_ctx;
    ts_place_result *results;
    node_state *ns;
    comp_state *st;
    size_t *rev_off;          /* n + 1 offsets into rev, by publisher */
    rev_entry *rev;
    check *checks;            /* one per node: the last scan of a tier */
    size_t tier_nodes[HOST_TIERS];
    size_t *tier_list;        /* node indices grouped by tier, in input
                                 order within each */
    size_t tier_first[HOST_TIERS + 1]; /* each tier's start in tier_list */
    size_t *ready;            /* min-heap of rank positions of unplaced
                                 components with every publisher placed */
    size_t n_ready;
    size_t *rank_pos;         /* per component: its position by rank */
    int ready_on;             /* the heap is kept (after the pins) */
    double total[HOST_TIERS][RES_COUNT];
    int64_t *gpu_share_free;  /* per GPU of every node: thousandths free;
                                 GPU_MILLI untouched, 0 held whole */
    int64_t *gpu_mem_free;    /* per GPU: memory its shares leave */
} place_ctx;

const char *ts_place_rule_name(ts_place_rule rule)
{
    switch (rule) {
    case TS_RULE_PIN: return "pin";
    case TS_RULE_REAL_TIME_CRITICAL: return "real-time-critical";
    case TS_RULE_COMPUTATION_HEAVY: return "computation-heavy";
    case TS_RULE_DATA_PROCESSING: return "data-processing";
    case TS_RULE_DEFAULT_ROBOT: return "default-robot";
    case TS_RULE_SAFETY_CRITICAL: return "safety-critical";
    }
    return "unknown";
}

void ts_place_component_init(ts_place_component *c, const char *id)
{
    memset(c, 0, sizeof *c);
    c->id = id;
    c->pin = -1;
    c->backup_of = -1;
    c->replica_of = -1;
    c->pinned_variant = -1;
    c->latency = NULL;
    c->isolation = TS_PLACE_ISOLATION_NONE;
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

static const char *isolation_name(ts_place_isolation iso)
{
    switch (iso) {
    case TS_PLACE_ISOLATION_CORE: return "core";
    case TS_PLACE_ISOLATION_NODE: return "node";
    case TS_PLACE_ISOLATION_HIGHEST: return "highest";
    default: return "none";
    }
}

/* A pin wins; then the flags in fixed precedence, so a component carrying
 * several flags always gets the same rule. */
static ts_place_rule rule_for(const ts_place_component *c)
{
    if (c->pin >= 0)
        return TS_RULE_PIN;
    if (c->flags & TS_PLACE_REAL_TIME_CRITICAL)
        return TS_RULE_REAL_TIME_CRITICAL;
    if (c->flags & TS_PLACE_SAFETY_CRITICAL)
        return TS_RULE_SAFETY_CRITICAL;
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

/* Timing-critical components never leave the robot: a network hop sits
 * between them and the hardware they control. */
static int tier_locked(ts_place_rule rule)
{
    return rule == TS_RULE_REAL_TIME_CRITICAL ||
           rule == TS_RULE_SAFETY_CRITICAL;
}

/* How the rule reads at the head of a reason ("... -> robot"). */
static const char *rule_label(ts_place_rule rule)
{
    return rule == TS_RULE_DEFAULT_ROBOT ? "default (no tier flag)"
                                         : ts_place_rule_name(rule);
}

static int node_isolated(const ts_place_component *c)
{
    return c->isolation == TS_PLACE_ISOLATION_NODE ||
           c->isolation == TS_PLACE_ISOLATION_HIGHEST;
}

/* Whole cores a node offers, and the mask of them. */
static int node_cores(const ts_place_node *n)
{
    int64_t k = n->cpu_millicores / 1000;
    return k > MAX_CORES ? MAX_CORES : (int)k;
}

static uint64_t all_cores_mask(int k)
{
    return k >= MAX_CORES ? UINT64_MAX : ((UINT64_C(1) << k) - 1);
}

static int popcount64(uint64_t v)
{
    int k = 0;
    for (; v; v &= v - 1)
        k++;
    return k;
}

/* The highest-numbered k free reservable cores: low cores stay shared, as
 * core 0 usually carries the system's housekeeping and interrupts. */
static uint64_t pick_cores(const node_state *n, int64_t k)
{
    uint64_t avail = n->reservable & ~n->reserved, mask = 0;
    for (int c = MAX_CORES - 1; c >= 0 && k > 0; c--)
        if (avail & (UINT64_C(1) << c)) {
            mask |= UINT64_C(1) << c;
            k--;
        }
    return mask;
}

/* A pair (backup b, primary p) is core-level when either side asks. */
static int core_level(const ts_place_component *cs, int b, int p)
{
    return cs[b].core_redundancy || cs[p].core_redundancy;
}

static int64_t need_of(const place_ctx *x, size_t i, int res)
{
    const ts_place_component *c = &x->cs[i];
    int64_t cores = x->st[i].cores;
    switch (res) {
    case RES_CPU:
        if (cores == 0)
            return c->cpu_millicores;
        return cores > INT64_MAX / 1000 ? INT64_MAX : cores * 1000;
    case RES_MEM: return c->memory_bytes;
    case RES_GPU: return c->gpus;
    case RES_GPU_MEM: return c->gpus > 0 ? c->gpu_memory_bytes : 0;
    case RES_GPU_SHARE: return c->gpu_share_milli;
    case RES_GPU_SHARE_MEM: return c->gpu_share_milli > 0 ? c->gpu_memory_bytes : 0;
    default: return cores;
    }
}

/* i's need of a resource on node j with ck's variant (checked there):
 * its memory counts in node memory, and in GPU memory on a node that
 * declares it. Why both: on a Jetson the GPU has no memory of its own,
 * CPU and GPU share the module's DRAM (the data sheets; the hardware
 * models say so), so the engine's bytes leave both views of it. */
static int64_t need_at(const place_ctx *x, size_t i, size_t j, const check *ck,
                       int res)
{
    int64_t need = need_of(x, i, res), extra = ck ? ck->var_mem : 0;
    if (extra <= 0)
        return need;
    const ts_place_component *c = &x->cs[i];
    int gpu_mem = x->nodes[j].gpu_memory_bytes > 0;
    if (res == RES_MEM || (res == RES_GPU_MEM && c->gpus > 0 && gpu_mem) ||
        (res == RES_GPU_SHARE_MEM && c->gpu_share_milli > 0 && gpu_mem))
        return need > INT64_MAX - extra ? INT64_MAX : need + extra;
    return need;
}

/* What node j has free of a resource for component i (the share
 * resources depend on i's share: see the enum). */
static int64_t free_of(const place_ctx *x, size_t i, size_t j, int res)
{
    if (res != RES_GPU_SHARE && res != RES_GPU_SHARE_MEM)
        return x->ns[j].free[res];
    int64_t best = 0, want = need_of(x, i, RES_GPU_SHARE);
    const int64_t *share = x->gpu_share_free + x->ns[j].gpu0;
    const int64_t *mem = x->gpu_mem_free + x->ns[j].gpu0;
    for (int g = 0; g < x->nodes[j].gpus; g++) {
        int64_t v = res == RES_GPU_SHARE ? share[g]
                    : share[g] >= want && share[g] > 0 ? mem[g] : 0;
        if (v > best)
            best = v;
    }
    return best;
}

/* The GPU of node j that takes i's share: among those with its share and
 * memory free, the one with least share free, the lowest on ties (shares
 * pack; untouched GPUs stay whole). -1 when none fits. */
static int share_gpu(const place_ctx *x, size_t i, size_t j, const check *ck)
{
    int64_t want = need_of(x, i, RES_GPU_SHARE);
    int64_t mem = need_at(x, i, j, ck, RES_GPU_SHARE_MEM);
    const int64_t *share = x->gpu_share_free + x->ns[j].gpu0;
    const int64_t *memf = x->gpu_mem_free + x->ns[j].gpu0;
    int best = -1;
    for (int g = 0; g < x->nodes[j].gpus; g++)
        if (share[g] >= want && memf[g] >= mem &&
            (best < 0 || share[g] < share[best]))
            best = g;
    return best;
}

/* ---- Formatting ---- */

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

/* A duration in the largest unit (s, ms, us, ns) that shows it exactly
 * with at most three decimals, trailing zeros dropped: "3.1ms", "10ms",
 * "250us". Exact, so "over budget" never prints two equal figures. */
static void fmt_ns(char *buf, size_t size, int64_t v)
{
    static const int64_t scale[] = {1000000000, 1000000, 1000};
    static const char *const unit[] = {"s", "ms", "us"};
    for (int u = 0; u < 3; u++) {
        if (v < scale[u] || v % (scale[u] / 1000) != 0)
            continue;
        int64_t whole = v / scale[u];
        int64_t milli = (v % scale[u]) / (scale[u] / 1000);
        if (milli == 0) {
            snprintf(buf, size, "%lld%s", (long long)whole, unit[u]);
            return;
        }
        char frac[4] = {(char)('0' + milli / 100),
                        (char)('0' + milli / 10 % 10),
                        (char)('0' + milli % 10), '\0'};
        for (int k = 2; k > 0 && frac[k] == '0'; k--)
            frac[k] = '\0';
        snprintf(buf, size, "%lld.%s%s", (long long)whole, frac, unit[u]);
        return;
    }
    snprintf(buf, size, "%lldns", (long long)v);
}

/* Thousandths of a GPU as a decimal: "0.25", "1.75", "0.125". */
static void fmt_share(char *buf, size_t size, int64_t milli)
{
    char frac[4] = {(char)('0' + milli % 1000 / 100),
                    (char)('0' + milli % 100 / 10),
                    (char)('0' + milli % 10), '\0'};
    for (int k = 2; k >= 0 && frac[k] == '0'; k--)
        frac[k] = '\0';
    snprintf(buf, size, "%lld%s%s", (long long)(milli / 1000),
             frac[0] ? "." : "", frac);
}

/* The bare quantity: "500m", "4GiB", "2". */
static void fmt_qty(char *buf, size_t size, int res, int64_t v, int round_up)
{
    if (res == RES_CPU)
        snprintf(buf, size, "%lldm", (long long)v);
    else if (res == RES_MEM || res == RES_GPU_MEM || res == RES_GPU_SHARE_MEM)
        fmt_bytes(buf, size, v, round_up);
    else if (res == RES_GPU_SHARE)
        fmt_share(buf, size, v);
    else
        snprintf(buf, size, "%lld", (long long)v);
}

/* The quantity with its noun: "500m cpu", "4GiB memory", "1 GPU",
 * "8GiB GPU memory", "2 reservable cores". */
static void fmt_amount(char *buf, size_t size, int res, int64_t v,
                       int round_up)
{
    char q[32];
    fmt_qty(q, sizeof q, res, v, round_up);
    switch (res) {
    case RES_CPU: snprintf(buf, size, "%s cpu", q); break;
    case RES_MEM: snprintf(buf, size, "%s memory", q); break;
    case RES_GPU: snprintf(buf, size, "%s GPU%s", q, v == 1 ? "" : "s"); break;
    case RES_GPU_MEM: snprintf(buf, size, "%s GPU memory", q); break;
    case RES_GPU_SHARE: snprintf(buf, size, "%s of one GPU", q); break;
    case RES_GPU_SHARE_MEM:
        snprintf(buf, size, "%s GPU memory on one GPU", q);
        break;
    default:
        snprintf(buf, size, "%s reservable core%s", q, v == 1 ? "" : "s");
        break;
    }
}

static const char *res_noun(int res)
{
    switch (res) {
    case RES_CPU: return "cpu";
    case RES_MEM: return "memory";
    case RES_GPU: return "GPUs";
    case RES_GPU_MEM: return "GPU memory";
    case RES_GPU_SHARE: return "GPU share";
    case RES_GPU_SHARE_MEM: return "GPU memory for a share";
    default: return "reservable cores";
    }
}

/* "3", "1-2", "0,2-3": ascending, runs collapsed. */
static void fmt_cores(char *buf, size_t size, uint64_t mask)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int c = 0; c < MAX_CORES; c++) {
        if (!(mask & (UINT64_C(1) << c)))
            continue;
        int end = c;
        while (end + 1 < MAX_CORES && (mask & (UINT64_C(1) << (end + 1))))
            end++;
        int n = end == c ? snprintf(buf + len, size - len, "%s%d",
                                    len ? "," : "", c)
                         : snprintf(buf + len, size - len, "%s%d-%d",
                                    len ? "," : "", c, end);
        if (n < 0 || (size_t)n >= size - len)
            return;
        len += (size_t)n;
        c = end;
    }
}

/* Appends printf output to a NUL-terminated buffer; silently stops at the
 * end (callers cut long text on purpose). */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void append(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

/* Copies text into a fixed field, cutting an over-long one at a UTF-8
 * character boundary and marking the cut with "..." so ids in any script
 * stay well-formed. */
static void set_text(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n < cap) {
        memcpy(dst, src, n + 1);
        return;
    }
    size_t end = cap - 4;
    while (end > 0 && ((unsigned char)src[end] & 0xC0) == 0x80)
        end--;
    memcpy(dst, src, end);
    memcpy(dst + end, "...", 4);
}

/* "cpu 500m of 3500m free, mem 64MiB of 7.9GiB free[, gpu 1 of 2 free]
 * [, 8GiB of 16GiB per GPU][, gpu 0.25 of 0.5 free on GPU 1[, 2GiB of
 * 6GiB GPU memory there]]", or "core 3 reserved for cpu 500m, ..." with
 * free capacity as it was just before this component claimed it (gpu:
 * the GPU its share goes to, the gpu arrays not yet claimed). */
static void fmt_fit(char *buf, size_t size, const place_ctx *x, size_t i,
                    size_t j, const check *ck, const node_state *before,
                    uint64_t mask, int gpu)
{
    const ts_place_component *c = &x->cs[i];
    char a[32], b[32];
    buf[0] = '\0';
    if (mask) {
        fmt_cores(a, sizeof a, mask);
        fmt_qty(b, sizeof b, RES_CPU, c->cpu_millicores, 1);
        append(buf, size, "core%s %s reserved for cpu %s",
               popcount64(mask) == 1 ? "" : "s", a, b);
    } else {
        fmt_qty(a, sizeof a, RES_CPU, c->cpu_millicores, 1);
        fmt_qty(b, sizeof b, RES_CPU, before->free[RES_CPU], 0);
        append(buf, size, "cpu %s of %s free", a, b);
    }
    fmt_qty(a, sizeof a, RES_MEM, need_at(x, i, j, ck, RES_MEM), 1);
    fmt_qty(b, sizeof b, RES_MEM, before->free[RES_MEM], 0);
    append(buf, size, ", mem %s of %s free", a, b);
    if (c->gpus > 0)
        append(buf, size, ", gpu %d of %lld free", c->gpus,
               (long long)before->free[RES_GPU]);
    if (c->gpus > 0 && need_at(x, i, j, ck, RES_GPU_MEM) > 0) {
        fmt_qty(a, sizeof a, RES_GPU_MEM, need_at(x, i, j, ck, RES_GPU_MEM), 1);
        fmt_qty(b, sizeof b, RES_GPU_MEM, before->free[RES_GPU_MEM], 0);
        append(buf, size, ", %s of %s per GPU", a, b);
    }
    if (c->gpu_share_milli > 0 && gpu >= 0) {
        size_t k = before->gpu0 + (size_t)gpu;
        fmt_share(a, sizeof a, c->gpu_share_milli);
        fmt_share(b, sizeof b, x->gpu_share_free[k]);
        append(buf, size, ", gpu %s of %s free on GPU %d", a, b, gpu);
        if (need_at(x, i, j, ck, RES_GPU_SHARE_MEM) > 0) {
            fmt_qty(a, sizeof a, RES_GPU_MEM, need_at(x, i, j, ck, RES_GPU_SHARE_MEM), 1);
            fmt_qty(b, sizeof b, RES_GPU_MEM, x->gpu_mem_free[k], 0);
            append(buf, size, ", %s of %s GPU memory there", a, b);
        }
    }
}

/* ---- Input checks ---- */

/* Arguments, pins and relations are all checked before any capacity is
 * claimed, so a malformed input is always reported as TS_EINVAL rather
 * than as whichever infeasibility the fitting happened to meet first. */
static int check_input(const ts_place_node *nodes, size_t n_nodes,
                       const ts_place_component *components,
                       size_t n_components, const ts_place_options *opts,
                       ts_error *err)
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
        if (n->cpu_millicores < 0 || n->memory_bytes < 0 || n->gpus < 0 ||
            n->gpu_memory_bytes < 0)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "node %s: negative capacity", n->id);
        if (n->reservable_cores & ~all_cores_mask(node_cores(n)))
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "node %s: reservable cores 0x%llx name cores "
                                "it does not have (%d whole cores)", n->id,
                                (unsigned long long)n->reservable_cores,
                                node_cores(n));
    }
    int has_budget = 0;
    for (size_t i = 0; i < n_components; i++) {
        const ts_place_component *c = &components[i];
        if (!c->id)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "placement: component #%zu has no id", i);
        if (c->cpu_millicores < 0 || c->memory_bytes < 0 || c->gpus < 0 ||
            c->gpu_memory_bytes < 0)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "component %s: negative resource demand",
                                c->id);
        if (c->gpu_share_milli < 0 || c->gpu_share_milli >= GPU_MILLI ||
            (c->gpu_share_milli > 0 && c->gpus > 0))
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "component %s: a GPU share is 1..999 "
                                "thousandths of one GPU, without whole "
                                "GPUs (got %d thousandths and %d GPUs)",
                                c->id, c->gpu_share_milli, c->gpus);
        if (c->gpu_memory_bytes > 0 && c->gpus == 0 && c->gpu_share_milli == 0)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "component %s: asks for GPU memory but no "
                                "GPU", c->id);
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
        if ((int)c->isolation < TS_PLACE_ISOLATION_NONE ||
            (int)c->isolation > TS_PLACE_ISOLATION_HIGHEST)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "component %s: isolation %d is not none, "
                                "core, node or highest", c->id,
                                (int)c->isolation);
        if (c->backup_of < -1 || (c->backup_of >= 0 &&
                                  (size_t)c->backup_of >= n_components) ||
            c->backup_of == (int)i)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "component %s: backup_of %d is not another "
                                "component's index", c->id, c->backup_of);
        if (c->replica_of < -1 ||
            (c->replica_of >= 0 && (size_t)c->replica_of >= n_components))
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "component %s: replica_of %d is not a "
                                "component index", c->id, c->replica_of);
        /* zeros (no variants) keep the third version's behaviour */
        if (c->n_variants > 0 &&
            (c->n_variants > TS_VARIANT_MAX || c->deadline_ns < 0 ||
             c->pinned_variant < -1 ||
             (c->pinned_variant >= 0 && (size_t)c->pinned_variant >= c->n_variants)))
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "component %s: %zu model variants (at most "
                                "%d), pinned %d, deadline %lld ns", c->id,
                                c->n_variants, TS_VARIANT_MAX,
                                c->pinned_variant, (long long)c->deadline_ns);
        if (c->n_variants > 0 && (!opts || !opts->variants))
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "component %s: model variants given but no "
                                "variants function", c->id);
        if (c->n_latency > 0 && !c->latency)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "component %s: %zu latency budgets but no "
                                "array", c->id, c->n_latency);
        for (size_t k = 0; k < c->n_latency; k++) {
            const ts_place_latency *l = &c->latency[k];
            if (l->publisher < 0 || (size_t)l->publisher >= n_components)
                return ts_error_set(err, TS_EINVAL, NULL, 0,
                                    "component %s: latency budget names "
                                    "publisher %d, not a component index",
                                    c->id, l->publisher);
            if (l->budget_ns < 0)
                return ts_error_set(err, TS_EINVAL, NULL, 0,
                                    "component %s: negative latency budget "
                                    "from %s", c->id,
                                    components[l->publisher].id);
            has_budget = 1;
        }
    }
    if (has_budget && (!opts || !opts->route_latency))
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "placement: latency budgets given but no "
                            "route-latency function");
    return TS_OK;
}

/* ---- Checks against one node ---- */

static int64_t route_ns(const place_ctx *x, int from, int to)
{
    if (from == to)
        return 0;
    int64_t v = x->route(x->route_ctx, from, to);
    return v < 0 ? -1 : v;
}

static int over_budget(int64_t lat, int64_t budget)
{
    return lat < 0 || lat > budget;
}

/* First resource that does not fit with ck's variant, or -1. */
static int first_short(const place_ctx *x, size_t i, size_t j, const check *ck)
{
    for (int res = 0; res < RES_COUNT; res++) {
        int64_t need = need_at(x, i, j, ck, res);
        if (need > 0 && need > free_of(x, i, j, res))
            return res;
    }
    return -1;
}

/* Fills ck with the first rule node j breaks for component i, in the
 * order isolation, anti-affinity, latency budget, model variant,
 * resources (with the variant chosen there, whose memory they count). */
static void check_node(const place_ctx *x, size_t i, size_t j, check *ck)
{
    const ts_place_component *c = &x->cs[i];
    const node_state *n = &x->ns[j];
    memset(ck, 0, sizeof *ck);
    ck->other = -1;
    ck->variant = -1;
    ck->kind = CK_ISOLATION;
    if (n->holder >= 0) {
        ck->other = n->holder;
        ck->side = 1;
        return;
    }
    if (node_isolated(c) && n->hosted > 0) {
        ck->other = n->first_hosted;
        return;
    }

    ck->kind = CK_ANTI_AFFINITY;
    int p = c->backup_of;
    if (p >= 0 && x->st[p].placed && x->results[p].node == (int)j &&
        !core_level(x->cs, (int)i, p)) {
        ck->other = p;
        return;
    }
    for (int b = x->st[i].first_backup; b >= 0; b = x->st[b].next_backup)
        if (x->st[b].placed && x->results[b].node == (int)j &&
            !core_level(x->cs, b, (int)i)) {
            ck->other = b;
            ck->side = 1;
            return;
        }

    ck->kind = CK_LATENCY;
    for (size_t k = 0; k < c->n_latency; k++) {
        int pub = c->latency[k].publisher;
        if (pub == (int)i || !x->st[pub].placed)
            continue;
        int q = x->results[pub].node;
        int64_t lat = route_ns(x, q, (int)j);
        if (over_budget(lat, c->latency[k].budget_ns)) {
            ck->other = pub;
            ck->other_node = q;
            ck->lat = lat;
            ck->budget = c->latency[k].budget_ns;
            return;
        }
    }
    for (size_t k = x->rev_off[i]; k < x->rev_off[i + 1]; k++) {
        int con = x->rev[k].consumer;
        if (!x->st[con].placed)
            continue;
        int q = x->results[con].node;
        int64_t lat = route_ns(x, (int)j, q);
        if (over_budget(lat, x->rev[k].budget)) {
            ck->other = con;
            ck->side = 1;
            ck->other_node = q;
            ck->lat = lat;
            ck->budget = x->rev[k].budget;
            return;
        }
    }

    if (c->n_variants > 0) {
        /* The deployment code's own rule (deploy_variant.h) on this node.
         * A pinned component keeps its node without one (the caller
         * refuses, naming every variant's figures). */
        ts_variant_option opts[TS_VARIANT_MAX];
        x->variants(x->variants_ctx, (int)i, (int)j, opts);
        int k = ts_variant_choose(opts, c->n_variants, c->deadline_ns,
                                  c->pinned_variant, NULL, NULL, 0);
        if (k >= 0) {
            ck->variant = k;
            ck->var_mem = opts[k].memory_bytes > 0 ? opts[k].memory_bytes : 0;
        } else if (c->pin < 0) {
            ck->kind = CK_VARIANT;
            ck->budget = c->deadline_ns;
            return;
        }
    }

    ck->res = first_short(x, i, j, ck);
    ck->kind = ck->res >= 0 ? CK_RESOURCE : CK_OK;
}

/* The latency pair closest to its budget at node j (largest share of the
 * budget used), for the fallback reason. Returns 0 when i has no budget
 * with a placed other end. */
static int tightest(const place_ctx *x, size_t i, size_t j, int64_t *lat,
                    int64_t *budget)
{
    const ts_place_component *c = &x->cs[i];
    double best = -1.0;
    for (size_t k = 0; k < c->n_latency; k++) {
        int pub = c->latency[k].publisher;
        if (pub == (int)i || !x->st[pub].placed)
            continue;
        int64_t l = route_ns(x, x->results[pub].node, (int)j);
        int64_t b = c->latency[k].budget_ns;
        double r = b > 0 ? (double)l / (double)b : (l > 0 ? INFINITY : 0.0);
        if (r > best) {
            best = r;
            *lat = l;
            *budget = b;
        }
    }
    for (size_t k = x->rev_off[i]; k < x->rev_off[i + 1]; k++) {
        int con = x->rev[k].consumer;
        if (!x->st[con].placed)
            continue;
        int64_t l = route_ns(x, (int)j, x->results[con].node);
        int64_t b = x->rev[k].budget;
        double r = b > 0 ? (double)l / (double)b : (l > 0 ? INFINITY : 0.0);
        if (r > best) {
            best = r;
            *lat = l;
            *budget = b;
        }
    }
    return best >= 0.0;
}

/* Placed members of i's replica group, other than i, on node j. */
static int replicas_on(const place_ctx *x, size_t i, size_t j)
{
    int g = x->st[i].group;
    if (g < 0)
        return 0;
    int k = 0;
    for (int m = x->st[g].group_head; m >= 0; m = x->st[m].next_in_group)
        if (m != (int)i && x->st[m].placed && x->results[m].node == (int)j)
            k++;
    return k;
}

static const char *kind_name(int kind)
{
    switch (kind) {
    case CK_ISOLATION: return "isolation";
    case CK_ANTI_AFFINITY: return "anti-affinity";
    case CK_LATENCY: return "latency budget";
    case CK_VARIANT: return "model variant";
    default: return "resources";
    }
}

/* What a failed check says about node j, without the node's name:
 * "already hosts ctrl", "route latency 12ms from cam (on r0) over budget
 * 10ms", "has 200m cpu free, needs 500m cpu". The terse form fits a
 * 192-byte reason: "12ms from cam over budget 10ms". */
static void describe(char *buf, size_t size, const place_ctx *x, size_t i,
                     size_t j, const check *ck, int terse)
{
    const ts_place_component *cs = x->cs;
    char a[32], b[32];
    buf[0] = '\0';
    switch (ck->kind) {
    case CK_ISOLATION:
        if (ck->side)
            append(buf, size, "held by %s (isolation %s%s)",
                   cs[ck->other].id, isolation_name(cs[ck->other].isolation),
                   terse ? "" : ": a node of its own");
        else
            append(buf, size, "already hosts %s", cs[ck->other].id);
        break;
    case CK_ANTI_AFFINITY:
        append(buf, size, "hosts its %s %s", ck->side ? "backup" : "primary",
               cs[ck->other].id);
        break;
    case CK_LATENCY: {
        const char *on = x->nodes[ck->other_node].id;
        fmt_ns(b, sizeof b, ck->budget);
        if (terse) {
            if (ck->lat < 0)
                append(buf, size, ck->side ? "%s unreachable"
                                           : "unreachable from %s",
                       cs[ck->other].id);
            else {
                fmt_ns(a, sizeof a, ck->lat);
                append(buf, size, "%s %s %s over %sbudget %s", a,
                       ck->side ? "to" : "from", cs[ck->other].id,
                       ck->side ? "its " : "", b);
            }
        } else if (ck->lat < 0 && ck->side == 0)
            append(buf, size, "unreachable from publisher %s (on %s)",
                   cs[ck->other].id, on);
        else if (ck->lat < 0)
            append(buf, size, "consumer %s (on %s) unreachable",
                   cs[ck->other].id, on);
        else {
            fmt_ns(a, sizeof a, ck->lat);
            if (ck->side == 0)
                append(buf, size, "route latency %s from %s (on %s) over "
                       "budget %s", a, cs[ck->other].id, on, b);
            else
                append(buf, size, "route latency %s to %s (on %s) over its "
                       "budget %s", a, cs[ck->other].id, on, b);
        }
        break;
    }
    case CK_VARIANT:
        fmt_ns(b, sizeof b, ck->budget);
        if (cs[i].pinned_variant >= 0)
            append(buf, size, "its pinned variant cannot run there");
        else
            append(buf, size, terse ? "no variant meets %s"
                                    : "no variant of its model meets its "
                                      "deadline %s there", b);
        break;
    case CK_RESOURCE:
        fmt_amount(a, sizeof a, ck->res, free_of(x, i, j, ck->res), 0);
        fmt_amount(b, sizeof b, ck->res, need_at(x, i, j, ck, ck->res), 1);
        append(buf, size, "has %s free, needs %s", a, b);
        break;
    default:
        break;
    }
}

/* ---- Explaining a tier that has no node for a component ---- */

/* The binding resource over the tier's nodes whose check failed on
 * resources: the one short on the most of them; ties go to GPUs, GPU
 * memory, reservable cores, memory, then cpu (hardest to add first). */
static int binding_resource(const place_ctx *x, size_t i, ts_place_tier t,
                            size_t short_on[RES_COUNT], size_t *n_res)
{
    memset(short_on, 0, RES_COUNT * sizeof short_on[0]);
    *n_res = 0;
    for (size_t j = 0; j < x->n_nodes; j++) {
        if (x->nodes[j].tier != t || x->checks[j].kind != CK_RESOURCE)
            continue;
        (*n_res)++;
        for (int res = 0; res < RES_COUNT; res++) {
            int64_t need = need_at(x, i, j, &x->checks[j], res);
            if (need > 0 && need > free_of(x, i, j, res))
                short_on[res]++;
        }
    }
    static const int pref[RES_COUNT] = {RES_GPU, RES_GPU_MEM, RES_GPU_SHARE,
                                        RES_GPU_SHARE_MEM, RES_CORES,
                                        RES_MEM, RES_CPU};
    int bind = pref[0];
    for (int k = 1; k < RES_COUNT; k++)
        if (short_on[pref[k]] > short_on[bind])
            bind = pref[k];
    return bind;
}

/* Explains why no node of the tier holds i when resources alone rule every
 * node out. "Largest free" names the tier node with the most of the
 * binding resource, the first in input order on ties. */
static void explain_resources(char *buf, size_t size, const place_ctx *x,
                              size_t i, ts_place_tier t)
{
    size_t short_on[RES_COUNT], n_tier;
    int bind = binding_resource(x, i, t, short_on, &n_tier);
    size_t best = x->n_nodes;
    for (size_t j = 0; j < x->n_nodes; j++)
        if (x->nodes[j].tier == t &&
            (best == x->n_nodes ||
             free_of(x, i, j, bind) > free_of(x, i, best, bind)))
            best = j;

    /* The needs list starts with the binding resource; GPUs, GPU memory
     * and cores are listed only when asked for. */
    char needs[160], part[48];
    fmt_amount(needs, sizeof needs, bind, need_at(x, i, best, &x->checks[best], bind), 1);
    for (int res = 0; res < RES_COUNT; res++) {
        if (res == bind || (res >= RES_GPU && need_at(x, i, best, &x->checks[best], res) == 0))
            continue;
        fmt_amount(part, sizeof part, res, need_at(x, i, best, &x->checks[best], res), 1);
        append(needs, sizeof needs, ", %s", part);
    }
    char want[48], largest[48];
    fmt_amount(want, sizeof want, bind, need_at(x, i, best, &x->checks[best], bind), 1);
    fmt_amount(largest, sizeof largest, bind, free_of(x, i, best, bind), 0);

    if (short_on[bind] == n_tier)
        append(buf, size, "no %s node has %s free (needs %s; largest free: "
               "%s with %s)", tier_name(t), want, needs, x->nodes[best].id,
               largest);
    else
        append(buf, size, "no %s node has room for all of it at once; %s is "
               "short on %zu of %zu %s nodes (needs %s; largest free %s: %s "
               "with %s)", tier_name(t), res_noun(bind), short_on[bind],
               n_tier, tier_name(t), needs, res_noun(bind),
               x->nodes[best].id, largest);
}

/* Counts the failed checks of the tier's nodes by kind. */
static size_t count_kinds(const place_ctx *x, ts_place_tier t,
                          size_t count[CK_COUNT])
{
    size_t n_t = 0;
    memset(count, 0, CK_COUNT * sizeof count[0]);
    for (size_t j = 0; j < x->n_nodes; j++)
        if (x->nodes[j].tier == t) {
            count[x->checks[j].kind]++;
            n_t++;
        }
    return n_t;
}

/* "isolation on 1, cpu on 2 of 3 nodes": the failed checks by kind, a
 * resource failure named by the tier's binding resource. */
static void append_counts(char *buf, size_t size, const place_ctx *x,
                          size_t i, ts_place_tier t)
{
    size_t count[CK_COUNT];
    size_t n_t = count_kinds(x, t, count);
    size_t short_on[RES_COUNT], n_res;
    int bind = binding_resource(x, i, t, short_on, &n_res);
    int first = 1;
    for (int k = CK_ISOLATION; k < CK_COUNT; k++) {
        if (!count[k])
            continue;
        append(buf, size, "%s%s on %zu", first ? "" : ", ",
               k == CK_RESOURCE ? res_noun(bind) : kind_name(k), count[k]);
        first = 0;
    }
    append(buf, size, " of %zu nodes", n_t);
}

/* Nodes listed one by one in an error, before "and N more". */
#define LIST_NODES 6

/* The long explanation for an error: the resource sentence when resources
 * alone rule the tier out, else the binding rule with each node's cause
 * (the first few nodes; a fleet-sized tier would drown the message). */
static void explain_tier(char *buf, size_t size, const place_ctx *x,
                         size_t i, ts_place_tier t)
{
    size_t count[CK_COUNT];
    size_t n_t = count_kinds(x, t, count);
    if (count[CK_RESOURCE] == n_t) {
        explain_resources(buf, size, x, i, t);
        return;
    }
    int single = 0;
    for (int k = CK_ISOLATION; k < CK_COUNT; k++)
        if (count[k] == n_t)
            single = k;
    if (single)
        append(buf, size, "%s rules out every %s node%s: ",
               kind_name(single), tier_name(t),
               single == CK_ISOLATION && node_isolated(&x->cs[i])
                   ? " (it needs a node of its own)" : "");
    else {
        append(buf, size, "no %s node satisfies every constraint (",
               tier_name(t));
        append_counts(buf, size, x, i, t);
        append(buf, size, "): ");
    }
    int first = 1;
    size_t listed = 0;
    char d[200];
    for (size_t j = 0; j < x->n_nodes; j++) {
        if (x->nodes[j].tier != t)
            continue;
        if (listed++ == LIST_NODES) {
            append(buf, size, "; and %zu more", n_t - LIST_NODES);
            break;
        }
        const check *ck = &x->checks[j];
        describe(d, sizeof d, x, i, j, ck, 0);
        if (single)
            append(buf, size, "%s%s %s", first ? "" : "; ", x->nodes[j].id, d);
        else if (ck->kind == CK_RESOURCE)
            append(buf, size, "%s%s (%s) %s", first ? "" : "; ",
                   x->nodes[j].id, res_noun(ck->res), d);
        else
            append(buf, size, "%s%s (%s) %s", first ? "" : "; ",
                   x->nodes[j].id, kind_name(ck->kind), d);
        first = 0;
    }
}

/* The short form for a reason: "robot tier full (cpu)", "edge tier ruled
 * out by latency budget", "robot tier ruled out (isolation on 1, cpu on 2
 * of 3 nodes)". */
static void summarise_tier(char *buf, size_t size, const place_ctx *x,
                           size_t i, ts_place_tier t)
{
    size_t count[CK_COUNT];
    size_t n_t = count_kinds(x, t, count);
    size_t short_on[RES_COUNT], n_res;
    int bind = binding_resource(x, i, t, short_on, &n_res);
    if (count[CK_RESOURCE] == n_t) {
        append(buf, size, "; %s tier full (%s)", tier_name(t),
               res_noun(bind));
        return;
    }
    for (int k = CK_ISOLATION; k < CK_RESOURCE; k++)
        if (count[k] == n_t) {
            append(buf, size, "; %s tier ruled out by %s", tier_name(t),
                   kind_name(k));
            return;
        }
    append(buf, size, "; %s tier ruled out (", tier_name(t));
    append_counts(buf, size, x, i, t);
    append(buf, size, ")");
}

/* ---- The order of the unpinned ---- */

/* The ready heap holds rank positions, smallest (best rank) on top. */
static void ready_push(place_ctx *x, size_t pos)
{
    size_t i = x->n_ready++;
    while (i > 0 && x->ready[(i - 1) / 2] > pos) {
        x->ready[i] = x->ready[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    x->ready[i] = pos;
}

static size_t ready_pop(place_ctx *x)
{
    size_t top = x->ready[0], last = x->ready[--x->n_ready], i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= x->n_ready)
            break;
        if (c + 1 < x->n_ready && x->ready[c + 1] < x->ready[c])
            c++;
        if (x->ready[c] >= last)
            break;
        x->ready[i] = x->ready[c];
        i = c;
    }
    if (x->n_ready > 0)
        x->ready[i] = last;
    return top;
}

/* ---- Claiming ---- */

/* Claims i's GPUs on node j: whole ones (the lowest untouched) or its
 * share of `gpu`. */
static void claim_gpus(place_ctx *x, size_t i, size_t j, const check *ck, int gpu)
{
    node_state *n = &x->ns[j];
    int64_t *share = x->gpu_share_free + n->gpu0, *mem = x->gpu_mem_free + n->gpu0;
    x->results[i].gpu = -1;
    if (gpu >= 0) {
        if (share[gpu] == GPU_MILLI)
            n->free[RES_GPU]--;
        share[gpu] -= need_of(x, i, RES_GPU_SHARE);
        mem[gpu] -= need_at(x, i, j, ck, RES_GPU_SHARE_MEM);
        x->results[i].gpu = gpu;
        return;
    }
    int64_t k = need_of(x, i, RES_GPU);
    for (int g = 0; g < x->nodes[j].gpus && k > 0; g++)
        if (share[g] == GPU_MILLI) {
            share[g] = 0;
            mem[g] = 0;
            k--;
        }
    n->free[RES_GPU] -= need_of(x, i, RES_GPU);
}

static void place_on(place_ctx *x, size_t i, size_t j, const check *ck,
                     uint64_t mask, int gpu)
{
    node_state *n = &x->ns[j];
    claim_gpus(x, i, j, ck, gpu);
    for (int res = 0; res < RES_COUNT; res++)
        if (res != RES_GPU_MEM && res != RES_GPU && res != RES_GPU_SHARE &&
            res != RES_GPU_SHARE_MEM)
            n->free[res] -= need_at(x, i, j, ck, res);
    x->results[i].variant = ck->variant;
    x->results[i].variant_memory_bytes = ck->var_mem;
    n->reserved |= mask;
    if (n->hosted++ == 0)
        n->first_hosted = (int)i;
    if (node_isolated(&x->cs[i]))
        n->holder = (int)i;
    x->results[i].node = (int)j;
    x->results[i].core_mask = mask;
    x->st[i].placed = 1;
    for (size_t k = x->rev_off[i]; k < x->rev_off[i + 1]; k++) {
        int con = x->rev[k].consumer;
        if (--x->st[con].pending == 0 && x->ready_on && !x->st[con].placed)
            ready_push(x, x->rank_pos[con]);
    }
}

/* ---- Pins ---- */

static int place_pin(place_ctx *x, size_t i, ts_error *err)
{
    const ts_place_component *c = &x->cs[i];
    size_t j = (size_t)c->pin;
    check ck;
    check_node(x, i, j, &ck);
    if (ck.kind == CK_RESOURCE) {
        char want[48], have[48];
        fmt_amount(want, sizeof want, ck.res, need_at(x, i, j, &ck, ck.res), 1);
        fmt_amount(have, sizeof have, ck.res, free_of(x, i, j, ck.res), 0);
        return ts_error_set(err, TS_EINFEASIBLE, NULL, 0,
                            "component %s: pinned node %s has only %s free "
                            "(needs %s)", c->id, x->nodes[j].id, have, want);
    }
    if (ck.kind != CK_OK) {
        char d[200];
        describe(d, sizeof d, x, i, j, &ck, 0);
        return ts_error_set(err, TS_EINFEASIBLE, NULL, 0,
                            "component %s: pinned node %s breaks %s: %s%s",
                            c->id, x->nodes[j].id, kind_name(ck.kind), d,
                            ck.kind == CK_ISOLATION && !ck.side
                                ? " (it needs a node of its own)" : "");
    }
    node_state before = x->ns[j];
    uint64_t mask = x->st[i].cores ? pick_cores(&x->ns[j], x->st[i].cores)
                                   : 0;
    int gpu = c->gpu_share_milli > 0 ? share_gpu(x, i, j, &ck) : -1;
    char fit[256], reason[512];
    fmt_fit(fit, sizeof fit, x, i, j, &ck, &before, mask, gpu);
    place_on(x, i, j, &ck, mask, gpu);
    snprintf(reason, sizeof reason, "pinned to %s (%s)", x->nodes[j].id, fit);
    set_text(x->results[i].reason, sizeof x->results[i].reason, reason);
    return TS_OK;
}

/* ---- Unpinned components ---- */

/* Scans tier t's nodes in input order. Returns the first node that passes
 * every hard rule and hosts no other replica of i's group, else the
 * passing node hosting fewest, else -1 (x->checks then explains each tier
 * node). Notes for the reason go to notes. */
static int choose_in_tier(place_ctx *x, size_t i, ts_place_tier t,
                          char *notes, size_t size)
{
    int best = -1, best_reps = INT_MAX, spread = 0, skip = -1;
    /* The tier's own nodes, in input order: the same scan as over every
     * node skipping other tiers, without the cost of those. */
    for (size_t jj = x->tier_first[t]; jj < x->tier_first[t + 1]; jj++) {
        size_t j = x->tier_list[jj];
        check *ck = &x->checks[j];
        check_node(x, i, j, ck);
        if (ck->kind != CK_OK) {
            if (skip < 0 && ck->kind != CK_RESOURCE)
                skip = (int)j;
            continue;
        }
        int reps = replicas_on(x, i, j);
        if (reps < best_reps) {
            if (best >= 0)
                spread = 1;
            best = (int)j;
            best_reps = reps;
        }
        if (reps == 0)
            break;
        spread = 1;
    }
    if (best < 0)
        return -1;

    const ts_place_component *c = &x->cs[i];
    if (skip >= 0) {
        char d[200];
        describe(d, sizeof d, x, i, (size_t)skip, &x->checks[skip], 1);
        append(notes, size, "; skipped %s (%s: %s)", x->nodes[skip].id,
               kind_name(x->checks[skip].kind), d);
    }
    if (node_isolated(c))
        append(notes, size, "; a node of its own (isolation %s)",
               isolation_name(c->isolation));
    int p = c->backup_of;
    if (p >= 0 && x->st[p].placed) {
        if (core_level(x->cs, (int)i, p) && x->results[p].node == best)
            append(notes, size, "; core-level redundancy with primary %s",
                   x->cs[p].id);
        else
            append(notes, size, "; apart from primary %s (%s)", x->cs[p].id,
                   x->nodes[x->results[p].node].id);
    }
    int g = x->st[i].group;
    if (g >= 0 && best_reps > 0)
        append(notes, size, "; shares with %d replica%s of %s (every fitting "
               "%s node hosts one)", best_reps, best_reps == 1 ? "" : "s",
               x->cs[g].id, tier_name(t));
    else if (g >= 0 && spread)
        append(notes, size, "; spread from other replicas of %s",
               x->cs[g].id);
    return best;
}

static int place_free(place_ctx *x, size_t i, ts_error *err)
{
    const ts_place_component *c = &x->cs[i];
    ts_place_rule rule = x->results[i].rule;
    ts_place_tier pref = tier_for(rule);
    int locked = tier_locked(rule);
    char trail[512] = "", notes[512] = "", msg[1024] = "";
    int chosen = -1;
    ts_place_tier t = pref;
    snprintf(msg, sizeof msg, "component %s: ", c->id);
    for (int tt = (int)pref; tt < HOST_TIERS; tt++) {
        t = (ts_place_tier)tt;
        if (tt > (int)pref && locked)
            break;
        if (x->tier_nodes[t] == 0) {
            if (tt == (int)pref) {
                append(trail, sizeof trail, "; no %s-tier node",
                       tier_name(t));
                append(msg, sizeof msg, "no %s-tier node exists (rule %s)",
                       tier_name(t), ts_place_rule_name(rule));
            }
            continue;
        }
        notes[0] = '\0';
        chosen = choose_in_tier(x, i, t, notes, sizeof notes);
        if (chosen >= 0)
            break;
        summarise_tier(trail, sizeof trail, x, i, t);
        if (tt > (int)pref)
            append(msg, sizeof msg, "; fallback to %s: ", tier_name(t));
        explain_tier(msg, sizeof msg, x, i, t);
    }
    if (chosen < 0) {
        if (locked) {
            size_t outer = 0;
            for (int tt = (int)pref + 1; tt < HOST_TIERS; tt++)
                outer += x->tier_nodes[tt];
            if (outer)
                append(msg, sizeof msg, "; tier: %s components never leave "
                       "the %s tier", ts_place_rule_name(rule),
                       tier_name(pref));
        }
        return ts_error_set(err, TS_EINFEASIBLE, NULL, 0, "%s", msg);
    }

    size_t j = (size_t)chosen;
    if (t != pref) {
        int64_t lat = 0, budget = 0;
        char a[32], b[32];
        if (tightest(x, i, j, &lat, &budget)) {
            fmt_ns(a, sizeof a, lat);
            fmt_ns(b, sizeof b, budget);
            append(trail, sizeof trail, "; fell back to %s: route latency "
                   "%s within budget %s", tier_name(t), a, b);
        } else {
            append(trail, sizeof trail, "; fell back to %s: no latency "
                   "budget", tier_name(t));
        }
        x->results[i].fell_back = (int)t - (int)pref;
    }
    node_state before = x->ns[j];
    uint64_t mask = x->st[i].cores ? pick_cores(&x->ns[j], x->st[i].cores)
                                   : 0;
    const check *ck = &x->checks[j];
    int gpu = c->gpu_share_milli > 0 ? share_gpu(x, i, j, ck) : -1;
    char fit[256], reason[1400];
    fmt_fit(fit, sizeof fit, x, i, j, ck, &before, mask, gpu);
    place_on(x, i, j, ck, mask, gpu);
    snprintf(reason, sizeof reason, "%.40s -> %.16s%.300s%.300s; first fit %.200s (%.159s)",
             rule_label(rule), tier_name(pref), trail, notes,
             x->nodes[j].id, fit);
    set_text(x->results[i].reason, sizeof x->results[i].reason, reason);
    return TS_OK;
}

/* Rank of an unpinned component: node-isolated first (they need an empty
 * node), then tier-locked (they cannot fall back), then larger dominant
 * share, then input order. Returns nonzero when a ranks before b. */
typedef struct rank_key {
    int cls;
    double share;
    size_t i;
} rank_key;

/* For qsort: a strict total order (shares are never NaN: a demand on a
 * resource the tier lacks is INFINITY). */
static int by_rank_key(const void *a, const void *b)
{
    const rank_key *p = a, *q = b;
    if (p->cls != q->cls)
        return p->cls < q->cls ? -1 : 1;
    if (p->share != q->share)
        return p->share > q->share ? -1 : 1;
    return (p->i > q->i) - (p->i < q->i);
}

/* ---- Set-up ---- */

static int find_root(comp_state *st, int i)
{
    while (st[i].group != i)
        i = st[i].group = st[st[i].group].group;
    return i;
}

/* Replica groups (union of replica_of links, named by their smallest
 * index), backup lists, cores to reserve, rank and the latency index. */
static void prepare(place_ctx *x)
{
    const ts_place_component *cs = x->cs;
    size_t n = x->n;
    for (size_t i = 0; i < n; i++) {
        comp_state *s = &x->st[i];
        memset(s, 0, sizeof *s);
        s->group = (int)i;
        s->group_head = s->next_in_group = -1;
        s->first_backup = s->next_backup = -1;
    }
    for (size_t i = 0; i < n; i++)
        if (cs[i].replica_of >= 0) {
            int a = find_root(x->st, (int)i), b = find_root(x->st,
                                                           cs[i].replica_of);
            if (a < b)
                x->st[b].group = a;
            else if (b < a)
                x->st[a].group = b;
        }
    /* Roots are fixed now; flatten, then keep groups of two or more. */
    for (size_t i = 0; i < n; i++)
        x->st[i].group = find_root(x->st, (int)i);
    for (size_t i = n; i-- > 0;) {
        comp_state *s = &x->st[i];
        comp_state *g = &x->st[s->group];
        s->next_in_group = g->group_head;
        g->group_head = (int)i;
    }
    for (size_t i = 0; i < n; i++) {
        comp_state *s = &x->st[i];
        if (x->st[s->group].group_head == s->group &&
            x->st[s->group].next_in_group < 0)
            s->group = -1; /* alone: not a replica of anything */
    }
    for (size_t i = n; i-- > 0;)
        if (cs[i].backup_of >= 0) {
            x->st[i].next_backup = x->st[cs[i].backup_of].first_backup;
            x->st[cs[i].backup_of].first_backup = (int)i;
        }

    for (size_t i = 0; i < n; i++) {
        const ts_place_component *c = &cs[i];
        int reserve = (c->flags & TS_PLACE_SAFETY_CRITICAL) ||
                      c->isolation == TS_PLACE_ISOLATION_CORE ||
                      c->isolation == TS_PLACE_ISOLATION_HIGHEST ||
                      (c->backup_of >= 0 &&
                       core_level(cs, (int)i, c->backup_of));
        for (int b = x->st[i].first_backup; b >= 0 && !reserve;
             b = x->st[b].next_backup)
            reserve = core_level(cs, b, (int)i);
        if (reserve)
            x->st[i].cores = c->cpu_millicores <= 0
                                 ? 1
                                 : c->cpu_millicores / 1000 +
                                       (c->cpu_millicores % 1000 != 0);
    }

    /* Latency budgets by publisher (self-budgets always hold: same node). */
    memset(x->rev_off, 0, (n + 1) * sizeof x->rev_off[0]);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < cs[i].n_latency; k++)
            if (cs[i].latency[k].publisher != (int)i)
                x->rev_off[cs[i].latency[k].publisher + 1]++;
    for (size_t p = 0; p < n; p++)
        x->rev_off[p + 1] += x->rev_off[p];
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < cs[i].n_latency; k++) {
            int p = cs[i].latency[k].publisher;
            if (p == (int)i)
                continue;
            /* rev_off[p] walks forward while filling, restored below. */
            rev_entry *e = &x->rev[x->rev_off[p]++];
            e->consumer = (int)i;
            e->budget = cs[i].latency[k].budget_ns;
            x->st[i].pending++;
        }
    for (size_t p = n; p > 0; p--)
        x->rev_off[p] = x->rev_off[p - 1];
    x->rev_off[0] = 0;

    /* Dominant share against the preferred tier's totals: the largest
     * demand/capacity ratio over cpu (whole cores when reserved), memory,
     * GPUs and GPU memory. A demand on a resource the tier does not have
     * at all sorts first; it fails there either way. */
    for (size_t i = 0; i < n; i++) {
        comp_state *s = &x->st[i];
        ts_place_rule rule = x->results[i].rule;
        s->cls = node_isolated(&cs[i]) ? 0 : tier_locked(rule) ? 1 : 2;
        ts_place_tier t = tier_for(rule);
        double share = 0.0;
        for (int res = RES_CPU; res < RES_COUNT; res++) {
            if (res == RES_CORES)
                continue;
            double need = (double)need_of(x, i, res);
            if (res == RES_GPU_MEM)
                need *= (double)cs[i].gpus;
            if (need == 0.0)
                continue;
            double s_res = x->total[t][res] > 0.0 ? need / x->total[t][res]
                                                 : INFINITY;
            if (s_res > share)
                share = s_res;
        }
        s->share = share;
    }
}

int ts_placement_compute(const ts_place_node *nodes, size_t n_nodes,
                         const ts_place_component *components,
                         size_t n_components, ts_place_result *results,
                         ts_error *err)
{
    return ts_placement_compute_ex(nodes, n_nodes, components, n_components,
                                   NULL, results, err);
}

int ts_placement_compute_ex(const ts_place_node *nodes, size_t n_nodes,
                            const ts_place_component *components,
                            size_t n_components, const ts_place_options *opts,
                            ts_place_result *results, ts_error *err)
{
    ts_error_clear(err);
    if ((!nodes && n_nodes) || (!components && n_components) ||
        (!results && n_components))
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "placement: NULL array with a nonzero count");
    /* Node and component indices travel as int (pin, result.node). */
    if (n_nodes > (size_t)INT_MAX || n_components > (size_t)INT_MAX)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "placement: %zu nodes or %zu components is more "
                            "than an int index can name", n_nodes,
                            n_components);
    int rc = check_input(nodes, n_nodes, components, n_components, opts, err);
    if (rc != TS_OK)
        return rc;

    /* Results are defined even on failure: unplaced components keep -1. */
    for (size_t i = 0; i < n_components; i++) {
        results[i].node = -1;
        results[i].rule = rule_for(&components[i]);
        results[i].reason[0] = '\0';
        results[i].core_mask = 0;
        results[i].fell_back = 0;
        results[i].gpu = -1;
        results[i].variant = -1;
        results[i].variant_memory_bytes = 0;
    }
    if (n_components == 0)
        return TS_OK;

    size_t n_pairs = 0;
    for (size_t i = 0; i < n_components; i++) {
        if (components[i].n_latency > SIZE_MAX / 2 - n_pairs)
            return ts_error_set(err, TS_ENOMEM, NULL, 0,
                                "placement: too many latency budgets");
        n_pairs += components[i].n_latency;
    }
    place_ctx x = {.nodes = nodes, .n_nodes = n_nodes, .cs = components,
                   .n = n_components, .results = results};
    if (opts) {
        x.route = opts->route_latency;
        x.route_ctx = opts->route_ctx;
        x.variants = opts->variants;
        x.variants_ctx = opts->variants_ctx;
    }
    size_t nn = n_nodes ? n_nodes : 1;
    if (nn > SIZE_MAX / sizeof(node_state) ||
        n_components > SIZE_MAX / sizeof(comp_state) - 1 ||
        n_pairs > SIZE_MAX / sizeof(rev_entry) - 1)
        return ts_error_set(err, TS_ENOMEM, NULL, 0,
                            "placement: too many nodes or components");
    x.ns = ts_malloc(nn * sizeof *x.ns);
    x.checks = ts_malloc(nn * sizeof *x.checks);
    x.st = ts_malloc(n_components * sizeof *x.st);
    x.rev_off = ts_malloc((n_components + 1) * sizeof *x.rev_off);
    x.rev = ts_malloc((n_pairs ? n_pairs : 1) * sizeof *x.rev);
    if (!x.ns || !x.checks || !x.st || !x.rev_off || !x.rev) {
        rc = ts_error_set(err, TS_ENOMEM, NULL, 0,
                          "placement: out of memory for %zu nodes and %zu "
                          "components", n_nodes, n_components);
        goto done;
    }

    size_t n_gpus = 0;
    for (size_t j = 0; j < n_nodes; j++)
        n_gpus += (size_t)nodes[j].gpus;
    x.gpu_share_free = ts_malloc((n_gpus ? n_gpus : 1) * sizeof *x.gpu_share_free);
    x.gpu_mem_free = ts_malloc((n_gpus ? n_gpus : 1) * sizeof *x.gpu_mem_free);
    if (!x.gpu_share_free || !x.gpu_mem_free) {
        rc = ts_error_set(err, TS_ENOMEM, NULL, 0,
                          "placement: out of memory for %zu GPUs", n_gpus);
        goto done;
    }
    n_gpus = 0;
    for (size_t j = 0; j < n_nodes; j++) {
        const ts_place_node *nd = &nodes[j];
        node_state *s = &x.ns[j];
        s->gpu0 = n_gpus;
        for (int g = 0; g < nd->gpus; g++, n_gpus++) {
            x.gpu_share_free[n_gpus] = GPU_MILLI;
            x.gpu_mem_free[n_gpus] = nd->gpu_memory_bytes;
        }
        int k = node_cores(nd);
        s->reservable = nd->reservable_cores ? nd->reservable_cores
                                             : all_cores_mask(k);
        s->reserved = 0;
        s->free[RES_CPU] = nd->cpu_millicores;
        s->free[RES_MEM] = nd->memory_bytes;
        s->free[RES_GPU] = nd->gpus;
        s->free[RES_GPU_MEM] = nd->gpus > 0 ? nd->gpu_memory_bytes : 0;
        s->free[RES_CORES] = popcount64(s->reservable);
        s->hosted = 0;
        s->first_hosted = s->holder = -1;
        if (nd->tier == TS_PLACE_NONE)
            continue;
        x.tier_nodes[nd->tier]++;
        x.total[nd->tier][RES_CPU] += (double)nd->cpu_millicores;
        x.total[nd->tier][RES_MEM] += (double)nd->memory_bytes;
        x.total[nd->tier][RES_GPU] += (double)nd->gpus;
        x.total[nd->tier][RES_GPU_MEM] +=
            (double)nd->gpus * (double)nd->gpu_memory_bytes;
        x.total[nd->tier][RES_CORES] += (double)s->free[RES_CORES];
        x.total[nd->tier][RES_GPU_SHARE] += (double)nd->gpus * GPU_MILLI;
        x.total[nd->tier][RES_GPU_SHARE_MEM] = x.total[nd->tier][RES_GPU_MEM];
    }
    x.tier_list = ts_malloc(nn * sizeof *x.tier_list);
    if (!x.tier_list) {
        rc = ts_error_set(err, TS_ENOMEM, NULL, 0,
                          "placement: out of memory for %zu nodes", n_nodes);
        goto done;
    }
    for (int t = 0; t < HOST_TIERS; t++)
        x.tier_first[t + 1] = x.tier_first[t] + x.tier_nodes[t];
    {
        size_t fill[HOST_TIERS] = {0};
        for (size_t j = 0; j < n_nodes; j++) {
            int t = (int)nodes[j].tier;
            if (nodes[j].tier != TS_PLACE_NONE && t < HOST_TIERS)
                x.tier_list[x.tier_first[t] + fill[t]++] = j;
        }
    }
    prepare(&x);

    /* Pins claim their node first, in input order: the operator chose the
     * node, so the tier rules must fit around it, not the other way. */
    size_t left = 0;
    for (size_t i = 0; i < n_components; i++) {
        if (components[i].pin < 0) {
            left++;
            continue;
        }
        rc = place_pin(&x, i, err);
        if (rc != TS_OK)
            goto done;
    }

    /* List scheduling: among the unplaced, those whose publishers are all
     * placed come first (so a consumer's budget is checked against a known
     * publisher node), best rank first; a cycle of budgets is broken by
     * rank. The unplaced are sorted by rank once; the ready ones wait in a
     * heap of rank positions, the others are met by a cursor in rank order
     * (a component only ever goes from waiting to ready to placed), so
     * the order is the one a scan of all of them per pick would give, in
     * O(n log n). */
    rank_key *keys = ts_malloc((left ? left : 1) * sizeof *keys);
    size_t *by_rank = ts_malloc((left ? left : 1) * sizeof *by_rank);
    x.ready = ts_malloc((left ? left : 1) * sizeof *x.ready);
    x.rank_pos = ts_malloc(n_components * sizeof *x.rank_pos);
    if (!keys || !by_rank || !x.ready || !x.rank_pos) {
        ts_free(keys);
        ts_free(by_rank);
        rc = ts_error_set(err, TS_ENOMEM, NULL, 0,
                          "placement: out of memory for %zu components", n_components);
        goto done;
    }
    size_t m = 0;
    for (size_t i = 0; i < n_components; i++)
        if (!x.st[i].placed)
            keys[m++] = (rank_key){x.st[i].cls, x.st[i].share, i};
    qsort(keys, m, sizeof *keys, by_rank_key);
    for (size_t k = 0; k < m; k++) {
        by_rank[k] = keys[k].i;
        x.rank_pos[keys[k].i] = k;
    }
    ts_free(keys);
    for (size_t k = 0; k < m; k++)
        if (x.st[by_rank[k]].pending == 0)
            ready_push(&x, k);
    x.ready_on = 1;
    size_t cursor = 0;
    for (; left > 0; left--) {
        size_t pick;
        if (x.n_ready > 0) {
            pick = by_rank[ready_pop(&x)];
        } else {
            while (x.st[by_rank[cursor]].placed || x.st[by_rank[cursor]].pending == 0)
                cursor++;
            pick = by_rank[cursor];
        }
        rc = place_free(&x, pick, err);
        if (rc != TS_OK)
            break;
    }
    ts_free(by_rank);
    if (rc != TS_OK)
        goto done;
    rc = TS_OK;

done:
    ts_free(x.gpu_share_free);
    ts_free(x.gpu_mem_free);
    ts_free(x.ready);
    ts_free(x.rank_pos);
    ts_free(x.tier_list);
    ts_free(x.rev);
    ts_free(x.rev_off);
    ts_free(x.st);
    ts_free(x.checks);
    ts_free(x.ns);
    return rc;
}

/* ---- Usage ---- */

int ts_placement_usage(const ts_place_node *nodes, size_t n_nodes,
                       const ts_place_component *components,
                       size_t n_components, const ts_place_result *results,
                       ts_place_usage *usage, ts_error *err)
{
    ts_error_clear(err);
    if ((!nodes && n_nodes) || (!usage && n_nodes) ||
        ((!components || !results) && n_components))
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "placement usage: NULL array with a nonzero "
                            "count");
    for (size_t j = 0; j < n_nodes; j++) {
        ts_place_usage *u = &usage[j];
        memset(u, 0, sizeof *u);
        u->cpu_capacity_millicores = nodes[j].cpu_millicores;
        u->memory_capacity_bytes = nodes[j].memory_bytes;
        u->gpus_capacity = nodes[j].gpus;
        u->gpu_memory_capacity_bytes =
            (int64_t)nodes[j].gpus * nodes[j].gpu_memory_bytes;
    }
    for (size_t i = 0; i < n_components; i++) {
        const ts_place_component *c = &components[i];
        int j = results[i].node;
        if (j < 0 || (size_t)j >= n_nodes)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "placement usage: component %s has node %d "
                                "(%zu nodes)", c->id ? c->id : "?", j,
                                n_nodes);
        ts_place_usage *u = &usage[j];
        uint64_t mask = results[i].core_mask;
        u->cpu_used_millicores += mask ? (int64_t)popcount64(mask) * 1000
                                       : c->cpu_millicores;
        /* a variant's memory as need_at counts it */
        int64_t vm = results[i].variant_memory_bytes > 0
                         ? results[i].variant_memory_bytes : 0;
        int64_t vgm = nodes[j].gpu_memory_bytes > 0 ? vm : 0;
        u->memory_used_bytes += c->memory_bytes + vm;
        u->gpus_used += c->gpus;
        u->gpu_memory_used_bytes += (int64_t)c->gpus * c->gpu_memory_bytes;
        if (c->gpus > 0)
            u->gpu_memory_used_bytes += vgm;
        if (c->gpu_share_milli > 0) {
            u->gpu_share_used_milli += c->gpu_share_milli;
            u->gpu_memory_used_bytes += c->gpu_memory_bytes + vgm;
        }
        u->reserved_cores |= mask;
        u->components++;
        if (node_isolated(c))
            u->exclusive = 1;
    }
    return TS_OK;
}

void ts_place_usage_format(const ts_place_usage *u, char *buf, size_t size)
{
    if (size == 0)
        return;
    char a[32], b[32];
    buf[0] = '\0';
    append(buf, size, "cpu %lldm/%lldm", (long long)u->cpu_used_millicores,
           (long long)u->cpu_capacity_millicores);
    /* Used rounds up and capacity down: never reads emptier than it is. */
    fmt_bytes(a, sizeof a, u->memory_used_bytes, 1);
    fmt_bytes(b, sizeof b, u->memory_capacity_bytes, 0);
    append(buf, size, ", mem %s/%s", a, b);
    if (u->gpu_share_used_milli > 0) {
        fmt_share(a, sizeof a, (int64_t)u->gpus_used * GPU_MILLI + u->gpu_share_used_milli);
        append(buf, size, ", gpu %s/%d", a, u->gpus_capacity);
    } else if (u->gpus_capacity > 0 || u->gpus_used > 0)
        append(buf, size, ", gpu %d/%d", u->gpus_used, u->gpus_capacity);
    if (u->gpu_memory_capacity_bytes > 0 || u->gpu_memory_used_bytes > 0) {
        fmt_bytes(a, sizeof a, u->gpu_memory_used_bytes, 1);
        fmt_bytes(b, sizeof b, u->gpu_memory_capacity_bytes, 0);
        append(buf, size, ", gpu mem %s/%s", a, b);
    }
    if (u->reserved_cores) {
        fmt_cores(a, sizeof a, u->reserved_cores);
        append(buf, size, ", reserved cores %s", a);
    }
    if (u->exclusive)
        append(buf, size, ", exclusive");
}
