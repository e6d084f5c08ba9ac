/*
 * Recommendations: rules over the scores that name the item and a change
 * that would help. Each rule reads only the validation and the trace; the
 * README lists the rules and the unit tests fire each on a crafted trace.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "validate/validate_internal.h"

/* Thresholds (README "Recommendations"). */
#define LINK_BUSY_PEAK 0.90
#define LINK_BUSY_MEAN 0.60
#define LINK_LOSS 0.01
#define HEADROOM_LOW_C 5.0
#define MEMORY_HIGH 0.90
#define CPU_HIGH 0.85

static int tier_is(const ts_trace *t, int32_t node, const char *tier)
{
    char buf[sizeof t->nodes[0].tier + 1];
    if (!ts__in_range(node, t->n_nodes))
        return 0;
    ts__copy_name(buf, sizeof buf, t->nodes[node].tier, sizeof t->nodes[node].tier);
    return strcmp(buf, tier) == 0;
}

typedef struct heaviest {
    int32_t topic;
    double rate;
    int32_t far;
} heaviest;

/* Takes the pair publisher -> subscriber of topic k into account. Ties
 * go to the lower topic row and the lower subscriber row, so the answer
 * does not depend on the order of the rows (a full and a summary trace
 * list the same pairs in different orders). */
static void consider(const ts__ctx *c, heaviest *h, int32_t k, int32_t pub, int32_t sub)
{
    const ts_trace *t = c->t;
    int32_t a = c->comp_node[pub], b = c->comp_node[sub];
    if (a == b || a < 0 || b < 0)
        return;
    const ts_trace_topic *tp = &t->topics[k];
    double rate = tp->period_ns > 0 ? (double)tp->size_bytes * 1e9 / (double)tp->period_ns
                                    : (double)tp->size_bytes;
    if (rate <= 0)
        return;
    if (rate > h->rate || (rate == h->rate && k < h->topic)) {
        h->rate = rate;
        h->topic = k;
        h->far = -1;
    }
    if (k == h->topic && !tier_is(t, b, "robot") && (h->far < 0 || sub < h->far))
        h->far = sub;
}

/* The heaviest topic (bytes per second) whose publisher and subscriber
 * sit on different nodes: the traffic most likely to fill a link. *far
 * is a subscriber not on the robot, if any. */
static int32_t heaviest_topic(const ts__ctx *c, const ts_trace_link *l, int32_t *far)
{
    const ts_trace *t = c->t;
    heaviest h = {-1, 0, -1};
    (void)l;
    for (size_t m = 0; m < t->n_messages; m++)
        consider(c, &h, t->messages[m].topic, t->messages[m].publisher,
                 t->messages[m].subscriber);
    /* A summary trace's windows name the same pairs. */
    for (size_t i = 0; i < t->n_topic_windows; i++)
        consider(c, &h, t->topic_windows[i].topic, t->topic_windows[i].publisher,
                 t->topic_windows[i].subscriber);
    *far = h.far;
    return h.topic;
}

static int link_rules(ts__ctx *c)
{
    const ts_trace *t = c->t;
    const ts_validation *v = c->v;
    for (size_t i = 0; i < v->n_links; i++) {
        const ts_link_health *h = &v->links[i];
        if (isnan(h->score))
            continue;
        const ts_trace_link *l = &t->links[h->link];
        if (h->util_peak >= LINK_BUSY_PEAK || h->util_mean >= LINK_BUSY_MEAN) {
            int32_t far;
            int32_t k = heaviest_topic(c, l, &far);
            int rc;
            if (k >= 0) {
                const ts_score *s = &v->scores[k];
                double ser_ns = l->bandwidth_bps > 0
                                    ? (double)t->topics[k].size_bytes * 8e9 / l->bandwidth_bps
                                    : 0;
                double share = s->p50_ns > 0 ? (ser_ns + (double)l->latency_ns) / (double)s->p50_ns
                                             : 0;
                if (share > 1)
                    share = 1;
                char place[TS_TRACE_NAME_LEN + 32] = "";
                if (far >= 0)
                    snprintf(place, sizeof place, ", or place %s on the robot",
                             ts__comp_name(t, far));
                rc = ts__add_rec(c, "link-saturated", h->name,
                                 "link %s is %.0f %% busy at peak and holds %.0f %% of %s's "
                                 "latency: lower the %s rate, compress it%s", h->name,
                                 100 * h->util_peak, 100 * share, s->name, s->name,
                                 far >= 0 ? place : ", or give the link more bandwidth");
            } else {
                rc = ts__add_rec(c, "link-saturated", h->name,
                                 "link %s is %.0f %% busy at peak (%.0f %% mean): move traffic "
                                 "off it or give it more bandwidth", h->name, 100 * h->util_peak,
                                 100 * h->util_mean);
            }
            if (rc)
                return rc;
        }
        if (h->loss_rate >= LINK_LOSS) {
            int rc = ts__add_rec(c, "link-lossy", h->name,
                                 "link %s lost %.1f %% of its packets: send the topics that "
                                 "cross it RELIABLE, or use a wired or less loaded link",
                                 h->name, 100 * h->loss_rate);
            if (rc)
                return rc;
        }
    }
    return TS_OK;
}

/* A shared medium whose air time is as busy as a saturated link (the
 * link thresholds, as the medium is scored with the link formula). Its
 * links split its air time (each one's /link_state share is at most the
 * medium's), so the medium fills before any of them; it binds when no
 * wired link (a /links row on no medium) is busier at peak. When one is,
 * the text names it, as the link-saturated rule does too. The changes:
 * spread the robots' releases over the period (a fleet's phase), send
 * less, or split the robots over more access points. */
static int medium_rules(ts__ctx *c)
{
    const ts_trace *t = c->t;
    const ts_validation *v = c->v;
    for (size_t i = 0; i < v->n_media; i++) {
        const ts_medium_health *h = &v->media[i];
        if (isnan(h->score) || !(h->util_peak >= LINK_BUSY_PEAK || h->util_mean >= LINK_BUSY_MEAN))
            continue;
        const ts_link_health *wire = NULL;
        for (size_t l = 0; l < v->n_links && l < t->n_links; l++)
            if (!isnan(v->links[l].score) && !ts__in_range(t->links[l].medium, t->n_media) &&
                (!wire || v->links[l].util_peak > wire->util_peak))
                wire = &v->links[l];
        char wired[TS_TRACE_NAME_LEN + 64] = "";
        int rc;
        if (wire && wire->util_peak > h->util_peak) {
            rc = ts__add_rec(c, "medium-saturated", h->name,
                             "air time of %s is %.0f %% busy at peak (%.0f %% mean over its %d "
                             "link(s)), second to link %s at %.0f %%: stagger the robots' "
                             "phases, lower the camera rates or add an access point", h->name,
                             100 * h->util_peak, 100 * h->util_mean, (int)h->links, wire->name,
                             100 * wire->util_peak);
        } else {
            if (wire)
                snprintf(wired, sizeof wired, ", the wired links at most %.0f %% (%s)",
                         100 * wire->util_peak, wire->name);
            rc = ts__add_rec(c, "medium-saturated", h->name,
                             "air time of %s binds: %.0f %% busy at peak, %.0f %% mean over its "
                             "%d link(s)%s: stagger the robots' phases, lower the camera rates "
                             "or add an access point", h->name, 100 * h->util_peak,
                             100 * h->util_mean, (int)h->links, wired);
        }
        if (rc)
            return rc;
    }
    return TS_OK;
}

/* "select the 10W power mode": the mode of the node with the largest
 * budget below the one it ran in (less power, less heat), from
 * /power_modes; a generic phrase without one. */
static void cooler_mode(const ts_trace *t, const ts_node_health *h, char *buf, size_t size)
{
    double now = h->power_budget_w;
    const ts_trace_power_mode *best = NULL;
    for (size_t i = 0; i < t->n_power_modes; i++)
        if (t->power_modes[i].node == h->node &&
            strncmp(t->power_modes[i].name, h->power_mode, sizeof t->power_modes[i].name) == 0)
            now = t->power_modes[i].budget_w;
    for (size_t i = 0; i < t->n_power_modes; i++) {
        const ts_trace_power_mode *m = &t->power_modes[i];
        if (m->node != h->node || !(m->budget_w > 0) || !(m->budget_w < now))
            continue;
        if (!best || m->budget_w > best->budget_w)
            best = m;
    }
    if (best && !isnan(now) && best->budget_w < now)
        snprintf(buf, size, "select the %.32s power mode", best->name);
    else if (h->power_mode[0])
        snprintf(buf, size, "select a lower power mode than %.32s", h->power_mode);
    else
        snprintf(buf, size, "lower its load or clocks");
}

static int node_rules(ts__ctx *c)
{
    const ts_validation *v = c->v;
    for (size_t i = 0; i < v->n_nodes; i++) {
        const ts_node_health *h = &v->nodes[i];
        if (isnan(h->score))
            continue;
        int rc = TS_OK;
        if (h->throttled_ns > 0 || (!isnan(h->headroom_c) && h->headroom_c < HEADROOM_LOW_C)) {
            char mode[96];
            cooler_mode(c->t, h, mode, sizeof mode);
            /* Throttled without a thermal model: only the over-current
             * protection cuts the clocks of such a node. */
            if (isnan(h->headroom_c))
                rc = ts__add_rec(c, "node-throttled", h->name,
                                 "%s was over-current throttled for %.3f s (its input over the "
                                 "mode's limit): %s or move load off it", h->name,
                                 (double)h->throttled_ns / 1e9, mode);
            else
                rc = ts__add_rec(c, "node-throttled", h->name,
                                 "%s throttled for %.1f s with %.1f C headroom: %s, add a fan "
                                 "or move load off it", h->name, (double)h->throttled_ns / 1e9,
                                 fmax(h->headroom_c, 0.0), mode);
        }
        if (!rc && !isnan(h->power_budget_w) && h->power_peak_w > h->power_budget_w)
            rc = ts__add_rec(c, "power-over-budget", h->name,
                             "%s drew %.2f W at peak in its %s mode (%.2f W): select a higher "
                             "power mode or move load off it", h->name, h->power_peak_w,
                             h->power_mode, h->power_budget_w);
        if (!rc && h->mem_peak_fraction >= MEMORY_HIGH)
            rc = ts__add_rec(c, "memory-pressure", h->name,
                             "%s used %.0f %% of its memory at peak: move a component off it "
                             "or lower its memory limits", h->name, 100 * h->mem_peak_fraction);
        if (!rc && h->cpu_mean >= CPU_HIGH)
            rc = ts__add_rec(c, "cpu-overload", h->name,
                             "%s was %.0f %% busy on average: move a component to another node "
                             "or give it more cores", h->name, 100 * h->cpu_mean);
        if (rc)
            return rc;
    }
    return TS_OK;
}

static int failover_rules(ts__ctx *c)
{
    const ts_validation *v = c->v;
    for (size_t i = 0; i < v->n_failovers; i++) {
        const ts_failover *f = &v->failovers[i];
        if (f->within)
            continue;
        /* Detection takes about three heartbeats: one a fifth of the
         * budget leaves room for the takeover. */
        int rc = ts__add_rec(c, "failover-slow", f->group,
                             "failover of %s took %.1f ms against %.0f ms: use a hot standby or "
                             "a %.0f ms heartbeat", f->group, (double)f->took_ns / 1e6,
                             (double)f->budget_ns / 1e6, fmax((double)f->budget_ns / 5e6, 1.0));
        if (rc)
            return rc;
    }
    return TS_OK;
}

/* From /subscriptions: what the writer offers against what the reader
 * requests, for the policy that failed. */
static int qos_rules_v3(ts__ctx *c)
{
    const ts_trace *t = c->t;
    char d1[32], d2[32];
    for (size_t i = 0; i < t->n_subscriptions; i++) {
        const ts_trace_subscription *s = &t->subscriptions[i];
        if (!s->has_qos || s->matched)
            continue;
        const char *topic = ts__topic_name(t, s->topic);
        char policy[sizeof s->incompatible_policy + 1];
        ts__copy_name(policy, sizeof policy, s->incompatible_policy, sizeof s->incompatible_policy);
        int rc;
        if (!strcmp(policy, "DURABILITY"))
            rc = ts__add_rec(c, "qos-mismatch", topic,
                             "%s: writer %.16s, reader %.16s: make the writer %.16s", topic,
                             s->writer_durability, s->reader_durability, s->reader_durability);
        else if (!strcmp(policy, "DEADLINE"))
            rc = ts__add_rec(c, "qos-mismatch", topic,
                             "%s: writer offers a %s deadline, reader requests %s: offer %s or "
                             "less", topic, ts__fmt_dur(d1, sizeof d1, s->writer_deadline_ns),
                             ts__fmt_dur(d2, sizeof d2, s->reader_deadline_ns), d2);
        else if (!strcmp(policy, "RELIABILITY"))
            rc = ts__add_rec(c, "qos-mismatch", topic,
                             "%s: writer %.16s, reader %.16s: make the writer %.16s", topic,
                             s->writer_reliability, s->reader_reliability, s->reader_reliability);
        else
            rc = ts__add_rec(c, "qos-mismatch", topic,
                             "%s: the writer's %s does not satisfy the reader of %s: align them",
                             topic, policy[0] ? policy : "QoS", ts__comp_name(t, s->subscriber));
        if (rc)
            return rc;
    }
    return TS_OK;
}

/* Parses "POLICY: topic: writer W offers X, requests Y; ..." */
static int qos_rules(ts__ctx *c)
{
    const ts_trace *t = c->t;
    if (t->n_subscriptions)
        return qos_rules_v3(c);
    for (size_t i = 0; i < t->n_events; i++) {
        const ts_trace_event *e = &t->events[i];
        if (!ts__event_is(e, "qos_incompatible"))
            continue;
        if (i && ts__event_is(&t->events[i - 1], "qos_incompatible") &&
            strncmp(t->events[i - 1].detail, e->detail, sizeof e->detail) == 0)
            continue;
        char detail[sizeof e->detail + 1], topic[TS_TRACE_NAME_LEN], policy[32] = "?";
        char offers[48] = "?", wants[48] = "?";
        ts__copy_name(detail, sizeof detail, e->detail, sizeof e->detail);
        ts__qos_topic(e, topic, sizeof topic);
        sscanf(detail, "%31[^:]", policy);
        const char *p = strstr(detail, " offers ");
        if (p)
            sscanf(p, " offers %47[^,], requests %47[^;]", offers, wants);
        int rc = ts__add_rec(c, "qos-mismatch", topic,
                             "%s: writer %s, reader %s (%s): make the writer %s", topic, offers,
                             wants, policy, wants);
        if (rc)
            return rc;
    }
    return TS_OK;
}

static int score_rules(ts__ctx *c)
{
    const ts_trace *t = c->t;
    const ts_validation *v = c->v;
    char d1[32], d2[32], pct[32];
    for (size_t i = 0; i < v->n_scores; i++) {
        const ts_score *s = &v->scores[i];
        if (!ts__score_counts(s) || s->total == 0 || s->met == s->total)
            continue;
        int rc;
        if (s->kind == TS_SCORE_COMPONENT) {
            int32_t node = c->comp_node[s->index];
            rc = ts__add_rec(c, "deadline-miss", s->name,
                             "%s met %s of its deadlines (p99 response %s against %s) on %s: "
                             "reserve a core, raise its priority or place it on a faster node",
                             s->name, ts__fmt_pct(pct, sizeof pct, s->compliance),
                             ts__fmt_dur(d1, sizeof d1, s->p99_ns),
                             ts__fmt_dur(d2, sizeof d2, s->budget_ns), ts__node_name(t, node));
        } else if (s->lost > s->total - s->met - s->lost && s->lost) {
            rc = ts__add_rec(c, "topic-lossy", s->name,
                             "%s lost %llu of %llu samples (%llu inside failover windows): "
                             "send it RELIABLE, or over a path that stays up",
                             s->name, (unsigned long long)s->lost, (unsigned long long)s->total,
                             (unsigned long long)s->lost_in_failover);
        } else {
            rc = ts__add_rec(c, "topic-late", s->name,
                             "%s met %s of its %s budget (p99 %s): shorten its path, lower its "
                             "size or rate, or raise its priority", s->name,
                             ts__fmt_pct(pct, sizeof pct, s->compliance),
                             ts__fmt_dur(d2, sizeof d2, s->budget_ns),
                             ts__fmt_dur(d1, sizeof d1, s->p99_ns));
        }
        if (rc)
            return rc;
    }
    return TS_OK;
}

static int check_rules(ts__ctx *c)
{
    const ts_trace *t = c->t;
    const ts_validation *v = c->v;
    for (size_t i = 0; i < v->n_checks; i++) {
        const ts_check *k = &v->checks[i];
        if (k->status != TS_CHECK_FAIL)
            continue;
        int rc = TS_OK;
        if (!strcmp(k->kind, "robot-tier")) {
            rc = ts__add_rec(c, "safety-placement", k->item,
                             "safety-critical %s does not run on the robot: pin it to a robot "
                             "computer (%s)", k->item, k->detail);
        } else if (!strcmp(k->kind, "reserved-core")) {
            rc = ts__add_rec(c, "safety-placement", k->item,
                             "safety-critical %s shares its cores: reserve a core for it", k->item);
        } else if (!strcmp(k->kind, "topic-delivers")) {
            rc = ts__add_rec(c, "topic-silent", k->item,
                             "%s delivered no sample: check the access policy and the QoS of "
                             "its writer and readers", k->item);
        } else if (!strcmp(k->kind, "safety-policy")) {
            rc = ts__add_rec(c, "safety-policy", k->item,
                             "%s: allow this safety-critical flow in the access policy, or "
                             "place its ends in one zone", k->detail);
        } else if (!strcmp(k->kind, "service-answered")) {
            rc = ts__add_rec(c, "service-timeouts", k->item,
                             "%s: add a replica, raise the request timeout or place the "
                             "server nearer its clients", k->detail);
        } else if (!strcmp(k->kind, "robot-registered")) {
            rc = ts__add_rec(c, "robot-silent", k->item,
                             "%s: check its link to the coordinator and its agent's node",
                             k->detail);
        } else if (!strcmp(k->kind, "rollout-finished")) {
            rc = ts__add_rec(c, "rollout-aborted", k->item,
                             "%s: fix the new version of %s before rolling it out again, or "
                             "declare <expect event=\"rollout_abort\"/> if the abort is the "
                             "test", k->detail, k->item);
        } else if (!strcmp(k->kind, "safe-state-budget")) {
            rc = ts__add_rec(c, "safe-state-slow", k->item,
                             "%s: detect the loss sooner (shorter heartbeat) or brake harder",
                             k->detail);
        }
        (void)t;
        if (rc)
            return rc;
    }
    return TS_OK;
}

int ts__recommend(ts__ctx *c)
{
    int rc = link_rules(c);
    if (!rc)
        rc = medium_rules(c);
    if (!rc)
        rc = node_rules(c);
    if (!rc)
        rc = failover_rules(c);
    if (!rc)
        rc = qos_rules(c);
    if (!rc)
        rc = score_rules(c);
    if (!rc)
        rc = check_rules(c);
    return rc;
}
