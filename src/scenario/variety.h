/*
 * Private to src/scenario/: what the three files of fleet variety share
 * (README, "Fleet variety"). fleet_variety.c owns the record of one load
 * (phases, clock offsets, the robot-overrides, the pending references) and
 * the timing; robot_override.c builds and grafts the per-robot overrides;
 * copy_refs.c resolves the names of copies that faults and expects use.
 */
#ifndef TOPOSIM_SCENARIO_VARIETY_H
#define TOPOSIM_SCENARIO_VARIETY_H

#include <stdint.h>

#include <libxml/hash.h>
#include <libxml/tree.h>

#include "loader.h"

enum { TS__TIMING_NONE = 0, TS__TIMING_FIXED = 1, TS__TIMING_UNIFORM = 2 };

/* A phase or clock offset: fixed (lo) or uniform in [lo, hi); a bound
 * flagged as period is the component's period. */
typedef struct ts__timing {
    unsigned char kind;
    unsigned char lo_period, hi_period;
    int line;
    int64_t lo_ns, hi_ns;
    char *text;                /* for errors found when drawing: the
                                  document's, copied (owned) */
} ts__timing;

/* One robot's phase and clock offset. */
typedef struct ts__robot_timing {
    int fleet, member;
    ts__timing phase, clock;
} ts__robot_timing;

enum {
    TS__OVERRIDE_COMPONENT = 0,
    TS__OVERRIDE_TOPIC = 1,
    TS__OVERRIDE_NODE = 2,
    TS__OVERRIDE_LINK = 3
};

/* One robot's overridden template component, topic, node or link. */
typedef struct ts__robot_override {
    int fleet, member;
    int kind;                  /* TS__OVERRIDE_* */
    int comp;                  /* the template component's (topic's, node's,
                                  link's) index */
    int line;                  /* its first robot-override's */
    char *first_set;           /* that override's set=, for errors (owned) */
    xmlNode *el;               /* the template's element, overridden; freed
                                  once built */
    ts__timing phase;          /* a phase= the override sets */
    ts_scenario_component built; /* owned until grafted onto the copy */
    ts_scenario_topic built_topic; /* (for a topic) */
    ts_scenario_node built_node;   /* (for a node) */
    ts_scenario_link built_link;   /* (for a link) */
    int has_built;
} ts__robot_override;

struct ts__variety {
    ts__timing *comp_phase;    /* by component index (originals) */
    size_t n_comp_phase;
    ts__timing *fleet_phase, *fleet_clock; /* by fleet index */
    size_t n_fleet;
    ts__robot_timing *robots;
    size_t n_robots, cap_robots;
    ts__robot_override *overrides;
    size_t n_overrides, cap_overrides;
    size_t graft_at;           /* overrides before it are grafted */
    ts__pending_ref *pending;  /* partition links and expects naming copies */
    size_t n_pending, cap_pending;
    xmlHashTablePtr keys;      /* "t FLEET ROBOT" (its timing), "c FLEET ROBOT
                                  KIND INDEX" (an override), "a ... ATTR"
                                  (an attribute it sets) */
};

/* An error at el's line. */
#define err_at(b, code, el, ...) \
    ts_error_set((b)->L->err, (code), (b)->file, ts__line(el), __VA_ARGS__)

/* The load's record, made on first use; NULL when memory runs out. */
ts__variety *ts__variety_of(ts__builder *b);

/* Reads attr of el into t (kind none when absent): a phase (is_phase: a
 * bound may be "period", none negative) or a clock offset (signed); who
 * names the element in errors. */
int ts__timing_read(ts__builder *b, const xmlNode *el, const char *who, const char *attr,
                    int is_phase, ts__timing *t);

/* Frees what t owns; t is then kind none. */
void ts__timing_fini(ts__timing *t);

/* The index stored under key, or -1; adding returns TS_OK or TS_ENOMEM. */
int ts__variety_key_find(const ts__variety *v, const char *key);
int ts__variety_key_add(ts__variety *v, const char *key, size_t i);

/* One <robot-override>'s set= for robot `member` of fleet `fleet`:
 * checked, and laid on the robot's copy of the template element. */
int ts__robot_override_set(ts__builder *b, ts__variety *v, const xmlNode *el, int fleet,
                           int member);

/* Checks an overridden element against the schema and builds it. */
int ts__robot_override_build(ts__builder *b, ts__variety *v, ts__robot_override *o);

/* Frees what a built override owns. */
void ts__robot_override_fini(ts__robot_override *o);

#endif
