/*
 * Integration: the parts talk to each other. Every topic delivers some
 * samples (none delivered is a failure, never 100 %); every writer-reader
 * pair matched (a qos_incompatible event names one that did not); service
 * requests were answered (the answered ratio); every robot of a fleet
 * registered and none fell silent; every rollout reached its end state.
 * The score is passed / checked, 1 with no check (README).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"
#include "validate/validate_internal.h"

/* 1 when every subscription of topic k is unmatched or denied, and the
 * scenario expects that (qos_incompatible or policy_violation). */
static int topic_blocked_as_expected(const ts__ctx *c, int32_t k)
{
    const ts_trace *t = c->t;
    int any = 0;
    for (size_t i = 0; i < t->n_subscriptions; i++) {
        const ts_trace_subscription *s = &t->subscriptions[i];
        if (s->topic != k)
            continue;
        any = 1;
        int qos = s->has_qos && !s->matched && ts__expected(c, "qos_incompatible", -1, -1);
        int denied = !s->allowed && ts__expected(c, "policy_violation", -1, -1);
        if (!qos && !denied)
            return 0;
    }
    return any;
}

static int topic_checks(ts__ctx *c)
{
    const ts_trace *t = c->t;
    c->topic_excused = ts_calloc(t->n_topics ? t->n_topics : 1, 1);
    if (!c->topic_excused)
        return ts_error_set(c->err, TS_ENOMEM, NULL, 0, "out of memory checking integration");
    uint64_t *delivered = ts_calloc(t->n_topics ? t->n_topics : 1, sizeof *delivered);
    uint64_t *sent = ts_calloc(t->n_topics ? t->n_topics : 1, sizeof *sent);
    int rc = TS_OK;
    if (!delivered || !sent) {
        rc = ts_error_set(c->err, TS_ENOMEM, NULL, 0, "out of memory checking integration");
        goto out;
    }
    for (size_t i = 0; i < t->n_messages; i++) {
        sent[t->messages[i].topic]++;
        delivered[t->messages[i].topic] += t->messages[i].status == TS_MSG_DELIVERED;
    }
    for (size_t i = 0; i < t->n_topic_windows; i++) {
        const ts_trace_topic_window *w = &t->topic_windows[i];
        sent[w->topic] += w->delivered + w->dropped_queue + w->no_route + w->lost +
                          w->link_down + w->receiver_down;
        delivered[w->topic] += w->delivered;
    }
    for (size_t i = 0; i < t->n_topics && !rc; i++) {
        const char *name = ts__topic_name(t, (int32_t)i);
        int excused = !delivered[i] && topic_blocked_as_expected(c, (int32_t)i);
        c->topic_excused[i] = (unsigned char)excused;
        rc = ts__add_check(c, TS_FAMILY_INTEGRATION, "topic-delivers", name,
                           delivered[i] || excused ? TS_CHECK_PASS : TS_CHECK_FAIL,
                           (double)delivered[i], 1, "%s delivered %llu of %llu samples%s", name,
                           (unsigned long long)delivered[i], (unsigned long long)sent[i],
                           excused ? ", blocked as the scenario expects" : "");
    }
out:
    ts_free(delivered);
    ts_free(sent);
    return rc;
}

/* The topic of a qos_incompatible event ("POLICY: topic: writer ..."). */
void ts__qos_topic(const ts_trace_event *e, char *topic, size_t size)
{
    char detail[sizeof e->detail + 1];
    ts__copy_name(detail, sizeof detail, e->detail, sizeof e->detail);
    const char *p = strstr(detail, ": ");
    const char *q = p ? strstr(p + 2, ": ") : NULL;
    if (!p || !q) {
        snprintf(topic, size, "?");
        return;
    }
    snprintf(topic, size, "%.*s", (int)(q - (p + 2)), p + 2);
}

static int qos_checks_v3(ts__ctx *c)
{
    const ts_trace *t = c->t;
    int any = 0;
    for (size_t i = 0; i < t->n_subscriptions; i++) {
        const ts_trace_subscription *s = &t->subscriptions[i];
        if (!s->has_qos || s->matched)
            continue;
        const char *topic = ts__topic_name(t, s->topic);
        int expected = ts__expected(c, "qos_incompatible", -1, -1);
        int rc = ts__add_check(c, TS_FAMILY_INTEGRATION, "qos-match", topic,
                               expected ? TS_CHECK_PASS : TS_CHECK_FAIL, NAN, NAN,
                               "%s to %s: %.16s incompatible (writer %.16s, reader %.16s)%s",
                               topic, ts__comp_name(t, s->subscriber), s->incompatible_policy,
                               s->writer_reliability, s->reader_reliability,
                               expected ? ", as the scenario expects" : "");
        if (rc)
            return rc;
        any = 1;
    }
    if (any)
        return TS_OK;
    return ts__add_check(c, TS_FAMILY_INTEGRATION, "qos-match", "all pairs", TS_CHECK_PASS, NAN,
                         NAN, "every writer-reader pair matched");
}

static int qos_checks(ts__ctx *c)
{
    const ts_trace *t = c->t;
    int any = 0;
    /* A format 3 trace lists every subscription with its match; an older
     * one (or a writer that left the table empty) only the events. */
    if (t->n_subscriptions)
        return qos_checks_v3(c);
    for (size_t i = 0; i < t->n_events; i++) {
        const ts_trace_event *e = &t->events[i];
        if (!ts__event_is(e, "qos_incompatible"))
            continue;
        /* The writer and the reader each record the same pair: report it
         * once, at the first of two rows with the same detail. */
        if (i && ts__event_is(&t->events[i - 1], "qos_incompatible") &&
            strncmp(t->events[i - 1].detail, e->detail, sizeof e->detail) == 0)
            continue;
        char topic[TS_TRACE_NAME_LEN], detail[sizeof e->detail + 1];
        ts__qos_topic(e, topic, sizeof topic);
        ts__copy_name(detail, sizeof detail, e->detail, sizeof e->detail);
        int expected = ts__expected(c, "qos_incompatible", -1, -1);
        int rc = ts__add_check(c, TS_FAMILY_INTEGRATION, "qos-match", topic,
                               expected ? TS_CHECK_PASS : TS_CHECK_FAIL, NAN, NAN, "%s%s", detail,
                               expected ? " (expected)" : "");
        if (rc)
            return rc;
        any = 1;
    }
    if (any)
        return TS_OK;
    return ts__add_check(c, TS_FAMILY_INTEGRATION, "qos-match", "all pairs", TS_CHECK_PASS, NAN,
                         NAN, "every writer-reader pair matched");
}

/* Counts answered and unanswered requests over all services. */
void ts__service_counts(const ts_trace *t, uint64_t *answered, uint64_t *unanswered)
{
    static const char *const failed[] = {"request_timeout", "request_rejected",
                                         "request_no_replica", "request_dropped"};
    *answered = *unanswered = 0;
    for (size_t i = 0; i < t->n_events; i++) {
        const ts_trace_event *e = &t->events[i];
        if (ts__event_is(e, "response"))
            (*answered)++;
        for (size_t k = 0; k < sizeof failed / sizeof *failed; k++)
            if (ts__event_is(e, failed[k]))
                (*unanswered)++;
    }
}

/* Answered and asked requests of service s (-1: all) from /clients. */
void ts__client_counts(const ts_trace *t, int32_t s, uint64_t *answered, uint64_t *asked)
{
    *answered = *asked = 0;
    for (size_t i = 0; i < t->n_clients; i++)
        if (s < 0 || t->clients[i].service == s) {
            *answered += t->clients[i].answered;
            *asked += t->clients[i].requests;
        }
}

static int service_checks(ts__ctx *c)
{
    const ts_trace *t = c->t;
    if (t->n_services) {
        for (size_t s = 0; s < t->n_services; s++) {
            uint64_t ok, asked;
            ts__client_counts(t, (int32_t)s, &ok, &asked);
            char name[TS_TRACE_NAME_LEN + 1];
            ts__copy_name(name, sizeof name, t->services[s].name, sizeof t->services[s].name);
            if (!asked)
                continue;
            int expected = ok < asked && ts__expected(c, "request_timeout", -1, -1);
            int rc = ts__add_check(c, TS_FAMILY_INTEGRATION, "service-answered", name,
                                   ok == asked || expected ? TS_CHECK_PASS : TS_CHECK_FAIL,
                                   (double)ok / (double)asked, 1.0,
                                   "service %s: %llu of %llu requests answered%s", name,
                                   (unsigned long long)ok, (unsigned long long)asked,
                                   expected ? " (timeouts expected)" : "");
            if (rc)
                return rc;
        }
        return TS_OK;
    }
    uint64_t ok, bad;
    ts__service_counts(c->t, &ok, &bad);
    if (!ok && !bad)
        return TS_OK;
    double ratio = (double)ok / (double)(ok + bad);
    int expected = bad && ts__expected(c, "request_timeout", -1, -1);
    return ts__add_check(c, TS_FAMILY_INTEGRATION, "service-answered", "services",
                         bad && !expected ? TS_CHECK_FAIL : TS_CHECK_PASS, ratio, 1.0,
                         "%llu of %llu requests answered (%llu timed out, were rejected or "
                         "dropped)", (unsigned long long)ok, (unsigned long long)(ok + bad),
                         (unsigned long long)bad);
}

/* The robot (site) a node belongs to. */
static void site_of(const ts_trace *t, int32_t node, char *site, size_t size)
{
    if (ts__in_range(node, t->n_nodes))
        ts__copy_name(site, size, t->nodes[node].site, sizeof t->nodes[node].site);
    else
        snprintf(site, size, "?");
}

/* A fleet is known from its coordinator's events: each robot site that
 * has a robot-tier node must register, and none may fall silent. */
static int fleet_checks(ts__ctx *c)
{
    const ts_trace *t = c->t;
    int fleet = 0;
    for (size_t i = 0; i < t->n_events && !fleet; i++)
        fleet = ts__event_is(&t->events[i], "robot_registered") ||
                ts__event_is(&t->events[i], "robot_silent");
    if (!fleet)
        return TS_OK;
    char site[TS_TRACE_NAME_LEN], other[TS_TRACE_NAME_LEN], seen_site[TS_TRACE_NAME_LEN];
    for (size_t n = 0; n < t->n_nodes; n++) {
        char tier[sizeof t->nodes[n].tier + 1];
        ts__copy_name(tier, sizeof tier, t->nodes[n].tier, sizeof t->nodes[n].tier);
        if (strcmp(tier, "robot") != 0)
            continue;
        site_of(t, (int32_t)n, site, sizeof site);
        /* One check per site: skip when an earlier robot node shares it. */
        int dup = 0;
        for (size_t m = 0; m < n && !dup; m++) {
            ts__copy_name(tier, sizeof tier, t->nodes[m].tier, sizeof t->nodes[m].tier);
            site_of(t, (int32_t)m, seen_site, sizeof seen_site);
            dup = strcmp(tier, "robot") == 0 && strcmp(seen_site, site) == 0;
        }
        if (dup)
            continue;
        int registered = 0, silent = 0;
        int64_t silent_at = -1;
        for (size_t i = 0; i < t->n_events; i++) {
            const ts_trace_event *e = &t->events[i];
            int reg = ts__event_is(e, "robot_registered"), sil = ts__event_is(e, "robot_silent");
            if (!reg && !sil)
                continue;
            site_of(t, e->node, other, sizeof other);
            if (strcmp(other, site) != 0)
                continue;
            registered |= reg;
            if (sil && !silent) {
                silent = 1;
                silent_at = e->time_ns;
            }
        }
        int rc;
        if (!registered)
            rc = ts__add_check(c, TS_FAMILY_INTEGRATION, "robot-registered", site, TS_CHECK_FAIL,
                               0, 1, "robot %s never registered with the fleet coordinator", site);
        else if (silent)
            rc = ts__add_check(c, TS_FAMILY_INTEGRATION, "robot-registered", site,
                               ts__expected(c, "robot_silent", -1, -1) ? TS_CHECK_PASS
                                                                       : TS_CHECK_FAIL,
                               1, 1, "robot %s registered, then fell silent at %.3f s%s", site,
                               (double)silent_at / 1e9,
                               ts__expected(c, "robot_silent", -1, -1) ? " (expected)" : "");
        else
            rc = ts__add_check(c, TS_FAMILY_INTEGRATION, "robot-registered", site, TS_CHECK_PASS,
                               1, 1, "robot %s registered and stayed in touch", site);
        if (rc)
            return rc;
    }
    return TS_OK;
}

static int rollout_checks(ts__ctx *c)
{
    const ts_trace *t = c->t;
    for (size_t i = 0; i < t->n_events; i++) {
        if (!ts__event_is(&t->events[i], "rollout_start"))
            continue;
        const ts_trace_event *end = NULL;
        for (size_t k = i + 1; k < t->n_events && !end; k++)
            if (ts__event_is(&t->events[k], "rollout_complete") ||
                ts__event_is(&t->events[k], "rollout_abort"))
                end = &t->events[k];
            else if (ts__event_is(&t->events[k], "rollout_start"))
                break;
        char what[sizeof t->events[i].detail + 1], how[sizeof t->events[i].detail + 1];
        ts__copy_name(what, sizeof what, t->events[i].detail, sizeof t->events[i].detail);
        /* "rolling perception from v1 to v2 ...": the component is the
         * second word. */
        char item[TS_TRACE_NAME_LEN] = "rollout";
        sscanf(what, "rolling %63s", item);
        int rc;
        if (!end) {
            rc = ts__add_check(c, TS_FAMILY_INTEGRATION, "rollout-finished", item, TS_CHECK_FAIL,
                               NAN, NAN, "rollout of %s never reached an end state", item);
        } else {
            ts__copy_name(how, sizeof how, end->detail, sizeof end->detail);
            int done = ts__event_is(end, "rollout_complete");
            int expected = !done && ts__expected(c, "rollout_abort", -1, -1);
            rc = ts__add_check(c, TS_FAMILY_INTEGRATION, "rollout-finished", item,
                               done || expected ? TS_CHECK_PASS : TS_CHECK_FAIL, NAN, NAN,
                               "rollout %s%s: %s", done ? "completed" : "aborted",
                               expected ? " as expected" : "", how);
        }
        if (rc)
            return rc;
    }
    /* A declared rollout (format 3) that never started never finished. */
    for (size_t r = 0; r < t->n_rollouts; r++) {
        const char *name = ts__comp_name(t, t->rollouts[r].component);
        int seen = 0;
        for (size_t i = 0; i < c->v->n_checks && !seen; i++)
            seen = !strcmp(c->v->checks[i].kind, "rollout-finished") &&
                   !strcmp(c->v->checks[i].item, name);
        if (seen)
            continue;
        int rc = ts__add_check(c, TS_FAMILY_INTEGRATION, "rollout-finished", name, TS_CHECK_FAIL,
                               NAN, NAN, "rollout of %s to %.32s never started within the run",
                               name, t->rollouts[r].to_name);
        if (rc)
            return rc;
    }
    return TS_OK;
}

int ts__score_integration(ts__ctx *c)
{
    int rc = topic_checks(c);
    if (!rc)
        rc = qos_checks(c);
    if (!rc)
        rc = service_checks(c);
    if (!rc)
        rc = fleet_checks(c);
    if (!rc)
        rc = rollout_checks(c);
    if (rc)
        return rc;
    ts_validation *v = c->v;
    size_t passed = 0, n = 0;
    for (size_t i = 0; i < v->n_checks; i++)
        if (v->checks[i].family == TS_FAMILY_INTEGRATION) {
            n++;
            passed += v->checks[i].status == TS_CHECK_PASS;
        }
    v->family_items[TS_FAMILY_INTEGRATION] = n;
    v->family_score[TS_FAMILY_INTEGRATION] = n ? (double)passed / (double)n : 1.0;
    return TS_OK;
}
