/*
 * Access policy: security zones, directional zone-pair allow rules and
 * per-topic publish/subscribe allow-lists, decided by pure functions over a
 * compiled copy of a plain description, plus a checker on runtime.h that
 * the simulator (or a real transport) asks once per message and that
 * records violations. Dropping a denied message is the caller's job.
 *
 * Semantics (the same in both defaults unless said):
 * - Components and topics are indices; component indices are the
 *   runtime's endpoints. A component is in at most one zone; one in no
 *   zone is in the "unzoned" pseudo-zone, written -1 in zone rules.
 * - Sending from a to b: allowed when both are in the same zone (both
 *   unzoned counts as the same); across zones, allowed when a rule names
 *   (zone(a) -> zone(b)) (rules are directional); otherwise the default
 *   decides: default_deny denies, default allow allows.
 * - A topic's publish list, when the topic has one, names the components
 *   (or zones) that may publish it; anyone else is denied whatever the
 *   default, because a list someone wrote is meant to restrict. Same for
 *   subscribe lists. A topic without a list for a direction is open in
 *   that direction (lists are opt-in per topic, as the scenario's policy).
 * - ts_policy_may_send with a topic also checks that the sender may
 *   publish and the receiver may subscribe it; with topic -1 (service,
 *   liveness, fleet traffic) only the zones are checked.
 *
 * Every decision returns a verdict naming which check decided, so the
 * reason sentence is built only when someone wants it (the hot path never
 * formats). The checker records "policy_violation" at most once per
 * (from, to, topic) triple per window (1 s by default) to keep traces
 * small; the record's value is the number of messages of that triple
 * denied since its previous record, this one included.
 */
#ifndef TOPOSIM_DEPLOY_POLICY_H
#define TOPOSIM_DEPLOY_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "toposim/error.h"
#include "toposim/runtime.h"

/* (from_zone -> to_zone) may talk; -1 names the unzoned pseudo-zone. */
typedef struct ts_policy_zone_rule {
    int from_zone, to_zone;
} ts_policy_zone_rule;

typedef enum { TS_POLICY_SUBSCRIBE = 0, TS_POLICY_PUBLISH = 1 } ts_policy_dir;

/* Puts a component, or every component of a zone, on a topic's publish or
 * subscribe list: exactly one of component and zone is >= 0. */
typedef struct ts_policy_topic_rule {
    int topic;
    ts_policy_dir dir;
    int component;
    int zone;
} ts_policy_topic_rule;

typedef struct ts_policy_desc {
    size_t n_components;
    const int *zone_of;                 /* per component, -1: none; NULL: all
                                           unzoned */
    const char *const *component_names; /* or NULL ("component <i>") */
    size_t n_zones;
    const char *const *zone_names;      /* or NULL ("zone <i>") */
    size_t n_topics;
    const char *const *topic_names;     /* or NULL ("topic <i>") */
    const ts_policy_zone_rule *zone_rules;
    size_t n_zone_rules;
    const ts_policy_topic_rule *topic_rules;
    size_t n_topic_rules;
    int default_deny;                   /* 1: deny what no rule allows */
} ts_policy_desc;

/* What one check found. */
typedef enum {
    TS_POLICY_NOT_CHECKED = 0,
    TS_POLICY_SAME_ZONE,            /* allow: both in one zone (or none) */
    TS_POLICY_ZONE_RULE,            /* allow: a zone-pair rule */
    TS_POLICY_ZONE_DEFAULT_ALLOW,   /* allow: no rule, default allow */
    TS_POLICY_ZONE_DEFAULT_DENY,    /* deny: no rule, default deny */
    TS_POLICY_NO_LIST,              /* allow: the topic has no list */
    TS_POLICY_LISTED,               /* allow: the component is listed */
    TS_POLICY_ZONE_LISTED,          /* allow: its zone is listed */
    TS_POLICY_NOT_LISTED            /* deny: neither it nor its zone is */
} ts_policy_why;

/* A decision: allowed, and each check's outcome (NOT_CHECKED when a check
 * did not apply or an earlier one already denied). */
typedef struct ts_policy_verdict {
    int allowed;
    ts_policy_why zone, publish, subscribe;
    int from, to, topic;
} ts_policy_verdict;

typedef struct ts_policy ts_policy;

/* Validates desc and compiles a copy (names included) into *out, freed
 * with ts_policy_free. TS_EINVAL names the bad index or rule; TS_ENOMEM. */
int ts_policy_new(const ts_policy_desc *desc, ts_policy **out, ts_error *err) TS_MUST_USE;

/* Frees a policy; NULL is fine. */
void ts_policy_free(ts_policy *p);

/* May `from` send `to` a message of `topic` (-1: not a topic)? Fills *v
 * and returns 1 (allowed), 0 (denied) or TS_EINVAL for a bad index.
 * O(log rules of the topic); allocates nothing. */
int ts_policy_may_send(const ts_policy *p, int from, int to, int topic, ts_policy_verdict *v) TS_MUST_USE;

/* May `component` publish / subscribe `topic`? As ts_policy_may_send. */
int ts_policy_may_publish(const ts_policy *p, int component, int topic, ts_policy_verdict *v) TS_MUST_USE;
int ts_policy_may_subscribe(const ts_policy *p, int component, int topic, ts_policy_verdict *v) TS_MUST_USE;

/* Writes the verdict's reason into buf (always terminated): for a denial
 * the denying check's sentence, for an allowance every check's, joined by
 * "; ". Returns the length it wanted, as snprintf. */
size_t ts_policy_reason(const ts_policy *p, const ts_policy_verdict *v, char *buf, size_t size);

/* The zone of a component (-1: none), or -2 for a bad index. */
int ts_policy_zone_of(const ts_policy *p, int component) TS_MUST_USE;

/* A per-message checker that records violations through rt. */
typedef struct ts_policy_checker ts_policy_checker;

/* A checker over p and rt (both borrowed; they must outlive it) that
 * records at most one "policy_violation" per (from, to, topic) per
 * window_ns (0: 1 s). Free with ts_policy_checker_free. */
int ts_policy_checker_new(const ts_runtime *rt, const ts_policy *p, int64_t window_ns,
                          ts_policy_checker **out, ts_error *err) TS_MUST_USE;

/* Frees a checker; NULL is fine. */
void ts_policy_checker_free(ts_policy_checker *c);

/* The verdict for one message: 1 deliver, 0 drop (recorded as above), or
 * TS_EINVAL for a bad index. Allocates only when a triple is denied for
 * the first time (its rate-limit slot, amortised table growth); if that
 * fails the violation is recorded without throttling. */
int ts_policy_checker_check(ts_policy_checker *c, int from, int to, int topic) TS_MUST_USE;

/* Messages denied so far, and violation records written so far. */
uint64_t ts_policy_checker_denied(const ts_policy_checker *c);
uint64_t ts_policy_checker_recorded(const ts_policy_checker *c);

#endif
