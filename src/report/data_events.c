/* The events timeline: faults (with their windows, fault to recovery),
 * failovers, safe states, QoS events, rollout stages, services'
 * requests, the fleet's robots and policy, and the platform's
 * own events (throttles, links and nodes down...) on one time axis, one
 * lane each, from /events. A lane with more than TS__LANE_POINTS events
 * draws every k-th (said in its legend); the data file holds those drawn. */
#include <string.h>

#include "report/report_internal.h"
#include "toposim/alloc.h"

#define TS__LANE_POINTS 2000
#define TS__LABELLED_EVENTS 40

enum {
    LANE_FAULT, LANE_FAILOVER, LANE_SAFE, LANE_QOS, LANE_ROLLOUT, LANE_SERVICE,
    LANE_FLEET, LANE_OTHER, N_LANES
};

static const char *const lane_name[N_LANES] = {
    "faults", "failover", "safe state", "QoS", "rollout", "services",
    "fleet and policy", "platform and other"};

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The lane of an /events kind (names as event.h lists them). */
static int lane_of(const char *kind)
{
    if (starts(kind, "fault:") || starts(kind, "recover:"))
        return LANE_FAULT;
    if (starts(kind, "failover") || !strcmp(kind, "fence") || !strcmp(kind, "rejoin") ||
        !strcmp(kind, "heartbeat_stopped"))
        return LANE_FAILOVER;
    if (starts(kind, "safe_state"))
        return LANE_SAFE;
    if (!strcmp(kind, "qos_incompatible") || starts(kind, "liveliness_") ||
        !strcmp(kind, "offered_deadline_missed") || !strcmp(kind, "requested_deadline_missed") ||
        !strcmp(kind, "samples_lost") || !strcmp(kind, "sample_expired") ||
        !strcmp(kind, "write_rejected"))
        return LANE_QOS;
    if (starts(kind, "rollout_") || !strcmp(kind, "rollback"))
        return LANE_ROLLOUT;
    if (starts(kind, "request_") || starts(kind, "response") || starts(kind, "replica_") ||
        !strcmp(kind, "health_check_stopped"))
        return LANE_SERVICE;
    if (starts(kind, "robot_") || !strcmp(kind, "config") ||
        !strcmp(kind, "policy_violation"))
        return LANE_FLEET;
    return LANE_OTHER;
}

static const char *item_of(const ts_trace *t, const ts_trace_event *e)
{
    if (e->component >= 0 && (size_t)e->component < t->n_components)
        return t->components[e->component].name;
    if (e->link >= 0 && (size_t)e->link < t->n_links)
        return t->links[e->link].name;
    if (e->node >= 0 && (size_t)e->node < t->n_nodes)
        return t->nodes[e->node].name;
    return "";
}

/* A fault's recovery: the first later "recover:X" of "fault:X" on the same
 * node, link and component. */
static int64_t recovery_of(const ts_trace *t, size_t i, int64_t end)
{
    const ts_trace_event *f = &t->events[i];
    const char *what = f->kind + strlen("fault:");
    for (size_t j = i + 1; j < t->n_events; j++) {
        const ts_trace_event *e = &t->events[j];
        if (starts(e->kind, "recover:") && !strcmp(e->kind + strlen("recover:"), what) &&
            e->node == f->node && e->link == f->link && e->component == f->component)
            return e->time_ns;
    }
    return end;
}

int ts__report_events(ts__report *r, ts_error *err)
{
    const ts_trace *t = r->t;
    ts__plot *p = ts__report_add_plot(r, TS__SEC_EVENTS, "timeline", 0, "events",
                                      "Timeline of events", err);
    if (!p)
        return TS_ENOMEM;
    const char *d_events = ts__plot_data(p, "");
    const char *d_spans = ts__plot_data(p, "-faults");
    size_t count[N_LANES] = {0}, stride[N_LANES], drawn[N_LANES] = {0};
    for (size_t i = 0; i < t->n_events; i++)
        count[lane_of(t->events[i].kind)]++;
    for (int l = 0; l < N_LANES; l++)
        stride[l] = count[l] > TS__LANE_POINTS
                        ? (count[l] + TS__LANE_POINTS - 1) / TS__LANE_POINTS
                        : 1;
    ts__atomic_file f;
    int rc = ts__report_open(r, d_events, &f, err);
    if (rc != TS_OK)
        return rc;
    fputs("time_s,lane,kind,item,value,detail\n", f.fp);
    size_t seen[N_LANES] = {0}, total_drawn = 0;
    for (size_t i = 0; i < t->n_events; i++) {
        const ts_trace_event *e = &t->events[i];
        int l = lane_of(e->kind);
        if (seen[l]++ % stride[l] != 0)
            continue;
        drawn[l]++;
        total_drawn++;
        ts__csv_time(f.fp, e->time_ns);
        fprintf(f.fp, ",%d,", l);
        ts__csv_str(f.fp, e->kind);
        fputc(',', f.fp);
        ts__csv_str(f.fp, item_of(t, e));
        fprintf(f.fp, ",%.9g,", e->value);
        ts__csv_str(f.fp, e->detail);
        fputc('\n', f.fp);
    }
    rc = ts__atomic_commit(&f, err);
    if (rc != TS_OK)
        return rc;

    rc = ts__report_open(r, d_spans, &f, err);
    if (rc != TS_OK)
        return rc;
    fputs("start_s,end_s,kind,item\n", f.fp);
    size_t spans = 0;
    for (size_t i = 0; i < t->n_events && spans < TS__LANE_POINTS; i++) {
        const ts_trace_event *e = &t->events[i];
        if (!starts(e->kind, "fault:"))
            continue;
        ts__csv_time(f.fp, e->time_ns);
        fputc(',', f.fp);
        ts__csv_time(f.fp, recovery_of(t, i, r->span_ns));
        fputc(',', f.fp);
        ts__csv_str(f.fp, e->kind);
        fputc(',', f.fp);
        ts__csv_str(f.fp, item_of(t, e));
        fputc('\n', f.fp);
        spans++;
    }
    rc = ts__atomic_commit(&f, err);
    if (rc != TS_OK)
        return rc;

    rc = ts__gp_open(r, p, 480, &f, err);
    if (rc != TS_OK)
        return rc;
    FILE *fp = f.fp;
    fputs("  set title 'Timeline of events (faults with their windows, fault to recovery)'\n"
          "  set xlabel 'time (s)'\n  set ylabel ''\n  set grid x\n"
          "  set key outside right top\n  set rmargin 38\n", fp);
    fprintf(fp, "  set xrange [0:%.9g]\n  set yrange [%d.5:-0.5]\n  set ytics (", 
            (double)r->span_ns / 1e9, N_LANES - 1);
    for (int l = 0; l < N_LANES; l++)
        fprintf(fp, "%s'%s' %d", l ? ", " : "", lane_name[l], l);
    fputs(")\n", fp);
    const char *sep = "  plot ";
    if (spans) {
        fprintf(fp, "%s'%s' using 1:(%d):($2 - $1):(0) with vectors nohead lw 8 "
                    "lc rgb '#f4a582' title 'fault window'", sep, d_spans, LANE_FAULT);
        sep = ", \\\n    ";
    }
    static const int pt[N_LANES] = {7, 9, 5, 11, 13, 4, 6, 1};
    static const char *const colour[N_LANES] = {"#d62728", "#ff7f0e", "#9467bd", "#17becf",
                                                "#1f77b4", "#2ca02c", "#8c564b", "#7f7f7f"};
    for (int l = 0; l < N_LANES; l++) {
        if (!drawn[l])
            continue;
        fprintf(fp, "%s'%s' using 1:($2 == %d ? $2 : NaN) with points pt %d ps 1.2 "
                    "lc rgb '%s' title '%s (%zu%s)'",
                sep, d_events, l, pt[l], colour[l], lane_name[l], count[l],
                stride[l] > 1 ? ", thinned" : "");
        sep = ", \\\n    ";
    }
    if (total_drawn > 0 && total_drawn <= TS__LABELLED_EVENTS)
        fprintf(fp, "%s'%s' using 1:2:3 with labels rotate by 30 left offset 0.5,0.6 "
                    "font ',7' notitle", sep, d_events);
    if (!t->n_events)
        fputs("  plot NaN title 'no events recorded'", fp);
    fputs("\n", fp);
    return ts__gp_close(&f, err);
}
