/*
 * The trace is untrusted input (it may come from another toposim version
 * or from a robot's logs): these checks run before any family reads it, so
 * every index a family follows is in range and every time is ordered.
 */
#include <string.h>

#include "validate/validate_internal.h"

static int check_messages(const ts_trace *t, ts_error *err)
{
    for (size_t i = 0; i < t->n_messages; i++) {
        const ts_trace_message *m = &t->messages[i];
        if (!ts__in_range(m->topic, t->n_topics))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "messages row %zu: topic %d out of range (%zu topics)",
                                i, (int)m->topic, t->n_topics);
        if (!ts__in_range(m->publisher, t->n_components) ||
            !ts__in_range(m->subscriber, t->n_components))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "messages row %zu: publisher %d or subscriber %d out of "
                                "range (%zu components)", i, (int)m->publisher,
                                (int)m->subscriber, t->n_components);
        if (m->status < TS_MSG_DELIVERED || m->status > TS_MSG_RECEIVER_DOWN)
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "messages row %zu: unknown status %d", i, (int)m->status);
        if (m->send_ns < 0)
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "messages row %zu: negative send_ns %lld", i,
                                (long long)m->send_ns);
        if (m->status == TS_MSG_DELIVERED && m->recv_ns < m->send_ns)
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "messages row %zu: delivered at recv_ns %lld before "
                                "send_ns %lld", i, (long long)m->recv_ns,
                                (long long)m->send_ns);
    }
    return TS_OK;
}

static int check_jobs(const ts_trace *t, ts_error *err)
{
    for (size_t i = 0; i < t->n_jobs; i++) {
        const ts_trace_job *j = &t->jobs[i];
        if (!ts__in_range(j->component, t->n_components))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "jobs row %zu: component %d out of range (%zu components)",
                                i, (int)j->component, t->n_components);
        if (!ts__in_range(j->node, t->n_nodes))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "jobs row %zu: node %d out of range (%zu nodes)",
                                i, (int)j->node, t->n_nodes);
        if (j->release_ns < 0)
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "jobs row %zu: negative release_ns %lld", i,
                                (long long)j->release_ns);
        /* release >= 0, so this also rejects finish values below -1. */
        if (j->finish_ns != -1 && j->finish_ns < j->release_ns)
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "jobs row %zu: finish_ns %lld before release_ns %lld", i,
                                (long long)j->finish_ns, (long long)j->release_ns);
    }
    return TS_OK;
}

/* The summary tables: rows in range and possible (the reader checks a
 * loaded file the same way; a trace built in memory gets it here). */
static int check_windows(const ts_trace *t, ts_error *err)
{
    if ((t->n_topic_windows && !t->topic_windows) || (t->n_job_windows && !t->job_windows) ||
        (t->n_histogram_buckets && !t->histogram_buckets))
        return ts_error_set(err, TS_EFORMAT, NULL, 0, "a table has rows but no data");
    for (size_t i = 0; i < t->n_topic_windows; i++) {
        const ts_trace_topic_window *w = &t->topic_windows[i];
        if (!ts__in_range(w->topic, t->n_topics) || !ts__in_range(w->publisher, t->n_components) ||
            !ts__in_range(w->subscriber, t->n_components) || w->met > w->delivered ||
            w->hist_buckets < 0 || w->hist_first > t->n_histogram_buckets ||
            (uint64_t)w->hist_buckets > t->n_histogram_buckets - w->hist_first)
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "topic_windows row %zu: an index out of range or met over "
                                "delivered", i);
    }
    for (size_t i = 0; i < t->n_job_windows; i++) {
        const ts_trace_job_window *w = &t->job_windows[i];
        if (!ts__in_range(w->component, t->n_components) || w->met > w->finished ||
            w->hist_buckets < 0 || w->hist_first > t->n_histogram_buckets ||
            (uint64_t)w->hist_buckets > t->n_histogram_buckets - w->hist_first)
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "job_windows row %zu: an index out of range or met over "
                                "finished", i);
    }
    for (size_t i = 0; i < t->n_histogram_buckets; i++)
        if (t->histogram_buckets[i].bucket < 0 ||
            t->histogram_buckets[i].bucket >= TS_HIST_BUCKETS)
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "histogram_buckets row %zu: bucket %d out of range", i,
                                (int)t->histogram_buckets[i].bucket);
    return TS_OK;
}

int ts__check_tables(const ts_trace *t, ts_error *err)
{
    if (t->duration_ns < 0)
        return ts_error_set(err, TS_EFORMAT, NULL, 0, "meta: negative duration_ns %lld",
                            (long long)t->duration_ns);
    if ((t->n_topics && !t->topics) || (t->n_components && !t->components) ||
        (t->n_requirements && !t->requirements) || (t->n_messages && !t->messages) ||
        (t->n_jobs && !t->jobs))
        return ts_error_set(err, TS_EFORMAT, NULL, 0, "a table has rows but no data");
    for (size_t i = 0; i < t->n_topics; i++)
        if (t->topics[i].budget_ns < 0)
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "topics row %zu: negative budget_ns %lld", i,
                                (long long)t->topics[i].budget_ns);
    for (size_t i = 0; i < t->n_components; i++)
        if (t->components[i].deadline_ns < 0)
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "components row %zu: negative deadline_ns %lld", i,
                                (long long)t->components[i].deadline_ns);
    if ((t->n_failover_groups && !t->failover_groups) ||
        (t->n_failover_backups && !t->failover_backups) ||
        (t->n_component_state && !t->component_state) || (t->n_sites && !t->sites) ||
        (t->n_power_modes && !t->power_modes) || (t->n_subscriptions && !t->subscriptions) ||
        (t->n_clients && !t->clients) || (t->n_services && !t->services) ||
        (t->n_rollouts && !t->rollouts) || (t->n_expects && !t->expects) ||
        (t->n_fleets && !t->fleets))
        return ts_error_set(err, TS_EFORMAT, NULL, 0, "a table has rows but no data");
    if ((t->n_nodes && !t->nodes) || (t->n_links && !t->links) ||
        (t->n_placement && !t->placement) || (t->n_events && !t->events) ||
        (t->n_node_state && !t->node_state) || (t->n_link_state && !t->link_state) ||
        (t->n_node_windows && !t->node_windows) || (t->n_link_windows && !t->link_windows))
        return ts_error_set(err, TS_EFORMAT, NULL, 0, "a table has rows but no data");
    for (size_t i = 0; i < t->n_placement; i++)
        if (!ts__in_range(t->placement[i].component, t->n_components) ||
            !ts__in_range(t->placement[i].node, t->n_nodes))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "placement row %zu: component %d or node %d out of range", i,
                                (int)t->placement[i].component, (int)t->placement[i].node);
    for (size_t i = 0; i < t->n_node_state; i++)
        if (!ts__in_range(t->node_state[i].node, t->n_nodes))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "node_state row %zu: node %d out of range (%zu nodes)", i,
                                (int)t->node_state[i].node, t->n_nodes);
    for (size_t i = 0; i < t->n_link_state; i++)
        if (!ts__in_range(t->link_state[i].link, t->n_links))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "link_state row %zu: link %d out of range (%zu links)", i,
                                (int)t->link_state[i].link, t->n_links);
    for (size_t i = 0; i < t->n_node_windows; i++)
        if (!ts__in_range(t->node_windows[i].node, t->n_nodes))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "node_windows row %zu: node %d out of range (%zu nodes)", i,
                                (int)t->node_windows[i].node, t->n_nodes);
    for (size_t i = 0; i < t->n_link_windows; i++)
        if (!ts__in_range(t->link_windows[i].link, t->n_links))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "link_windows row %zu: link %d out of range (%zu links)", i,
                                (int)t->link_windows[i].link, t->n_links);
    for (size_t i = 0; i < t->n_events; i++) {
        const ts_trace_event *e = &t->events[i];
        if ((e->node != -1 && !ts__in_range(e->node, t->n_nodes)) ||
            (e->link != -1 && !ts__in_range(e->link, t->n_links)) ||
            (e->component != -1 && !ts__in_range(e->component, t->n_components)))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "events row %zu: node %d, link %d or component %d out of range",
                                i, (int)e->node, (int)e->link, (int)e->component);
        if (i && e->time_ns < t->events[i - 1].time_ns)
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "events row %zu: time %lld before the previous row's", i,
                                (long long)e->time_ns);
    }
    for (size_t i = 0; i < t->n_failover_groups; i++)
        if (!ts__in_range(t->failover_groups[i].primary, t->n_components))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "failover_groups row %zu: primary %d out of range", i,
                                (int)t->failover_groups[i].primary);
    for (size_t i = 0; i < t->n_failover_backups; i++)
        if (!ts__in_range(t->failover_backups[i].group, t->n_failover_groups) ||
            !ts__in_range(t->failover_backups[i].component, t->n_components))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "failover_backups row %zu: group %d or component %d out of range",
                                i, (int)t->failover_backups[i].group,
                                (int)t->failover_backups[i].component);
    for (size_t i = 0; i < t->n_component_state; i++) {
        const ts_trace_component_state *s = &t->component_state[i];
        if (!ts__in_range(s->component, t->n_components))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "component_state row %zu: component %d out of range", i,
                                (int)s->component);
        if (i && s->time_ns < t->component_state[i - 1].time_ns)
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "component_state row %zu: time before the previous row's", i);
    }
    for (size_t i = 0; i < t->n_nodes; i++)
        if (t->nodes[i].site_row != -1 && t->format_version >= 3 &&
            !ts__in_range(t->nodes[i].site_row, t->n_sites))
            return ts_error_set(err, TS_EFORMAT, NULL, 0, "nodes row %zu: site_row %d out of range",
                                i, (int)t->nodes[i].site_row);
    for (size_t i = 0; i < t->n_power_modes; i++)
        if (!ts__in_range(t->power_modes[i].node, t->n_nodes))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "power_modes row %zu: node %d out of range", i,
                                (int)t->power_modes[i].node);
    for (size_t i = 0; i < t->n_subscriptions; i++)
        if (!ts__in_range(t->subscriptions[i].topic, t->n_topics) ||
            !ts__in_range(t->subscriptions[i].subscriber, t->n_components))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "subscriptions row %zu: topic or subscriber out of range", i);
    for (size_t i = 0; i < t->n_clients; i++)
        if (!ts__in_range(t->clients[i].component, t->n_components) ||
            !ts__in_range(t->clients[i].service, t->n_services))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "clients row %zu: component or service out of range", i);
    for (size_t i = 0; i < t->n_rollouts; i++)
        if (!ts__in_range(t->rollouts[i].component, t->n_components))
            return ts_error_set(err, TS_EFORMAT, NULL, 0,
                                "rollouts row %zu: component out of range", i);
    for (size_t i = 0; i < t->n_sites; i++)
        if (t->sites[i].fleet != -1 && !ts__in_range(t->sites[i].fleet, t->n_fleets))
            return ts_error_set(err, TS_EFORMAT, NULL, 0, "sites row %zu: fleet out of range", i);
    int rc = ts__check_requirements(t, err);
    if (rc)
        return rc;
    rc = check_messages(t, err);
    if (!rc)
        rc = check_windows(t, err);
    return rc ? rc : check_jobs(t, err);
}

