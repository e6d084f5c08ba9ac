/* Platform plots: per node its temperature against the throttle point,
 * CPU and GPU clocks, power against the power mode's budget, CPU, GPU and
 * memory use and its battery (each panel only when the trace holds it);
 * per link its utilisation, queue, drops and losses per direction. A
 * fleet's copies of a node or link share bands instead. Samples are
 * written as they are up to 2 x TS_REPORT_MAX_BUCKETS per item, else
 * folded per time window (mean use and power, peak temperature, queue,
 * budget; summed drops and losses). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_internal.h"
#include "toposim/alloc.h"

#define TS__WORST_SHOWN 3
#define TS__FLEET_BUCKETS 500

/* Rows of a table per item (node or link), counted in one pass. */
static int count_rows(size_t n_items, size_t n_rows, const void *rows, size_t stride,
                      size_t offset, size_t **out, ts_error *err)
{
    size_t *c = ts_calloc(n_items ? n_items : 1, sizeof *c);
    if (!c)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory");
    for (size_t i = 0; i < n_rows; i++) {
        int32_t item;
        memcpy(&item, (const char *)rows + i * stride + offset, sizeof item);
        if (item >= 0 && (size_t)item < n_items)
            c[item]++;
    }
    *out = c;
    return TS_OK;
}

/* The budget of the power mode a sample names, NaN when none: modes of
 * the node are few, so a scan of its own (first_mode links them). */
static double mode_budget(const ts_trace *t, const size_t *next_mode, size_t first,
                          const char *mode)
{
    for (size_t i = first; i < t->n_power_modes; i = next_mode[i])
        if (!strncmp(t->power_modes[i].name, mode, sizeof t->power_modes[i].name))
            return t->power_modes[i].budget_w > 0 ? t->power_modes[i].budget_w : NAN;
    return NAN;
}

enum {
    N_TEMP_DIE, N_TEMP_CASE, N_CPU_GHZ, N_GPU_GHZ, N_POWER, N_BUDGET, N_CPU, N_GPU,
    N_MEM, N_BATTERY, N_UP, N_COLS
};

static int node_plot(ts__report *r, size_t index, size_t node, size_t samples,
                     const size_t *first_mode, const size_t *next_mode, ts_error *err)
{
    const ts_trace *t = r->t;
    const ts_trace_node *nd = &t->nodes[node];
    char title[256];
    snprintf(title, sizeof title, "Node %s (%s, %s)", nd->name, nd->kind, nd->tier);
    ts__plot *p = ts__report_add_plot(r, TS__SEC_NODES, "node", index, nd->name, title, err);
    if (!p)
        return TS_ENOMEM;
    const char *data = ts__plot_data(p, "");
    static const ts__agg agg[N_COLS] = {
        TS__AGG_MAX, TS__AGG_MAX, TS__AGG_MEAN, TS__AGG_MEAN, TS__AGG_MEAN, TS__AGG_MAX,
        TS__AGG_MEAN, TS__AGG_MEAN, TS__AGG_MEAN, TS__AGG_MIN, TS__AGG_MIN};
    ts__atomic_file f;
    int rc = ts__report_open(r, data, &f, err);
    if (rc != TS_OK)
        return rc;
    fputs("time_s,temp_die_c,temp_case_c,cpu_clock_ghz,gpu_clock_ghz,power_w,"
          "mode_budget_w,cpu_use_pct,gpu_use_pct,memory_use_pct,battery_wh,up\n", f.fp);
    ts__rows w;
    ts__rows_begin(&w, f.fp, N_COLS, agg, TS_REPORT_MAX_BUCKETS, r->span_ns, samples);
    int has_temp = 0, has_battery = 0, has_budget = 0;
    for (size_t i = 0; i < t->n_node_state; i++) {
        const ts_trace_node_state *s = &t->node_state[i];
        if (s->node != (int32_t)node)
            continue;
        double v[N_COLS];
        v[N_TEMP_DIE] = s->temp_die_c;
        v[N_TEMP_CASE] = s->temp_case_c;
        v[N_CPU_GHZ] = s->cpu_freq_hz / 1e9;
        v[N_GPU_GHZ] = nd->gpus > 0 ? s->gpu_freq_hz / 1e9 : NAN;
        v[N_POWER] = s->power_w;
        v[N_BUDGET] = s->power_mode[0] ? mode_budget(t, next_mode, first_mode[node],
                                                     s->power_mode) : NAN;
        v[N_CPU] = 100.0 * s->cpu_util;
        v[N_GPU] = nd->gpus > 0 ? 100.0 * s->gpu_util : NAN;
        v[N_MEM] = nd->memory_bytes > 0
                       ? 100.0 * (double)s->memory_used_bytes / (double)nd->memory_bytes
                       : NAN;
        v[N_BATTERY] = s->battery_wh >= 0 ? s->battery_wh : NAN;
        v[N_UP] = s->up ? 1 : 0;
        has_temp |= !isnan(s->temp_die_c);
        has_battery |= !isnan(v[N_BATTERY]);
        has_budget |= !isnan(v[N_BUDGET]);
        ts__rows_add(&w, s->time_ns, v);
    }
    ts__rows_end(&w);
    rc = ts__atomic_commit(&f, err);
    if (rc != TS_OK)
        return rc;

    int panels = 3 + has_temp + has_battery; /* clocks, power, use always */
    rc = ts__gp_open(r, p, 190 * panels + 40, &f, err);
    if (rc != TS_OK)
        return rc;
    FILE *fp = f.fp;
    fprintf(fp, "  set multiplot layout %d,1 title ", panels);
    ts__gp_str(fp, title);
    fprintf(fp, "\n  set grid\n  set key outside right top\n  set xrange [0:%.9g]\n"
                "  set xlabel 'time (s)'\n  set lmargin 10\n  set rmargin 30\n",
            (double)r->span_ns / 1e9);
    if (has_temp) {
        fputs("  set title 'temperature'\n  set ylabel 'degC'\n", fp);
        fprintf(fp, "  plot '%s' using 1:2 with lines lw 2 title 'die', "
                    "'' using 1:3 with lines title 'case'", data);
        if (!isnan(nd->throttle_c))
            fprintf(fp, ", %.9g with lines dt 2 lw 2 lc rgb 'red' title 'throttle %g C'",
                    nd->throttle_c, nd->throttle_c);
        fputs("\n", fp);
    }
    fputs("  set title 'clocks'\n  set ylabel 'GHz'\n", fp);
    fprintf(fp, "  plot '%s' using 1:4 with steps lw 2 title 'CPU clock'", data);
    if (nd->gpus > 0)
        fputs(", '' using 1:5 with steps lw 2 title 'GPU clock'", fp);
    fputs("\n  set title 'power'\n  set ylabel 'W'\n", fp);
    fprintf(fp, "  plot '%s' using 1:6 with lines lw 2 title 'power'", data);
    if (has_budget)
        fputs(", '' using 1:7 with steps dt 2 lw 2 lc rgb 'red' title 'power-mode budget'",
              fp);
    fputs("\n  set title 'use'\n  set ylabel '%'\n  set yrange [0:105]\n", fp);
    fprintf(fp, "  plot '%s' using 1:8 with lines lw 2 title 'CPU'", data);
    if (nd->gpus > 0)
        fputs(", '' using 1:9 with lines lw 2 title 'GPU'", fp);
    fputs(", '' using 1:10 with lines title 'memory'\n  set yrange [*:*]\n", fp);
    if (has_battery)
        fprintf(fp, "  set title 'battery'\n  set ylabel 'Wh'\n"
                    "  plot '%s' using 1:11 with lines lw 2 title 'battery left'\n", data);
    fputs("  unset multiplot\n", fp);
    return ts__gp_close(&f, err);
}

/* A fleet's copies of a node or link: one band over time. */
static int band_plot(ts__report *r, const char *prefix, size_t index, const char *name,
                     size_t copies, const char *what, const char *unit, ts__band *b,
                     const char *const *member_names, ts_error *err)
{
    char title[256];
    snprintf(title, sizeof title, "%s, fleet: %.*s x%zu", what, (int)ts__base_len(name),
             name, copies);
    ts__plot *p = ts__report_add_plot(r, TS__SEC_FLEETS, prefix, index, name, title, err);
    if (!p)
        return TS_ENOMEM;
    const char *data = ts__plot_data(p, "");
    size_t worst[TS__WORST_SHOWN];
    size_t k = ts__band_worst(b, TS__WORST_SHOWN, worst);
    const char *names[TS__WORST_SHOWN];
    for (size_t i = 0; i < k; i++)
        names[i] = member_names[worst[i]];
    ts__atomic_file f;
    int rc = ts__report_open(r, data, &f, err);
    if (rc == TS_OK && (rc = ts__band_write(b, f.fp, worst, k, names, 1.0, err)) != TS_OK)
        ts__atomic_abort(&f);
    if (rc == TS_OK)
        rc = ts__atomic_commit(&f, err);
    if (rc == TS_OK)
        rc = ts__gp_open(r, p, 420, &f, err);
    if (rc != TS_OK)
        return rc;
    FILE *fp = f.fp;
    fputs("  set title ", fp);
    ts__gp_str(fp, title);
    fprintf(fp, "\n  set xlabel 'time (s)'\n  set ylabel '%s per %.3g s window (%s)'\n", what,
            (double)r->span_ns / 1e9 / (double)b->buckets, unit);
    fprintf(fp, "  set grid\n  set key top left\n  set xrange [0:%.9g]\n",
            (double)r->span_ns / 1e9);
    fprintf(fp, "  plot '%s' using 1:2:4 with filledcurves fs solid 0.25 lc rgb '#1f77b4' "
                "title 'all %zu, min..max', \\\n"
                "    '' using 1:3 with lines lc rgb '#1f77b4' title 'median'",
            data, b->members);
    for (size_t i = 0; i < k; i++) {
        fprintf(fp, ", \\\n    '' using 1:%zu with lines lw 2 title ", 5 + i);
        char t[TS_TRACE_NAME_LEN + 16];
        snprintf(t, sizeof t, "worst %zu: %s", i + 1, names[i]);
        ts__gp_str(fp, t);
    }
    fputs("\n", fp);
    return ts__gp_close(&f, err);
}

static int node_fleet(ts__report *r, const ts__groups *g, size_t gi, ts_error *err)
{
    const ts_trace *t = r->t;
    size_t n = g->count[gi];
    const size_t *rows = &g->rows[g->first[gi]];
    const char **names = ts_malloc(n * sizeof *names);
    size_t *member = ts_malloc(t->n_nodes * sizeof *member);
    if (!names || !member) {
        ts_free(names);
        ts_free(member);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory");
    }
    for (size_t j = 0; j < n; j++) {
        names[j] = t->nodes[rows[j]].name;
        member[rows[j]] = j;
    }
    int has_temp = !isnan(t->nodes[rows[0]].throttle_c);
    ts__band cpu, temp;
    memset(&temp, 0, sizeof temp);
    int rc = ts__band_init(&cpu, n, TS__FLEET_BUCKETS, r->span_ns, TS__BAND_MEAN, err);
    if (rc == TS_OK && has_temp)
        rc = ts__band_init(&temp, n, TS__FLEET_BUCKETS, r->span_ns, TS__BAND_MAX, err);
    if (rc == TS_OK) {
        for (size_t i = 0; i < t->n_node_state; i++) {
            const ts_trace_node_state *s = &t->node_state[i];
            if (s->node < 0 || (size_t)s->node >= t->n_nodes ||
                (size_t)g->group_of[s->node] != gi)
                continue;
            ts__band_add(&cpu, member[s->node], s->time_ns, 100.0 * s->cpu_util);
            if (has_temp)
                ts__band_add(&temp, member[s->node], s->time_ns, s->temp_die_c);
        }
        rc = band_plot(r, "fleet-node-cpu", gi, names[0], n, "CPU use", "%", &cpu, names,
                       err);
        if (rc == TS_OK && has_temp)
            rc = band_plot(r, "fleet-node-temp", gi, names[0], n, "peak die temperature",
                           "degC", &temp, names, err);
    }
    ts__band_free(&cpu);
    ts__band_free(&temp);
    ts_free(names);
    ts_free(member);
    return rc;
}

int ts__report_nodes(ts__report *r, ts_error *err)
{
    const ts_trace *t = r->t;
    if (t->n_nodes == 0 || t->n_node_state == 0)
        return TS_OK;
    size_t *samples = NULL, *first_mode = NULL, *next_mode = NULL;
    ts__groups g;
    memset(&g, 0, sizeof g);
    int rc = count_rows(t->n_nodes, t->n_node_state, t->node_state, sizeof *t->node_state,
                        offsetof(ts_trace_node_state, node), &samples, err);
    /* Each node's power modes as a list: first_mode per node, next_mode
     * per mode row (n_power_modes ends a list). */
    if (rc == TS_OK) {
        first_mode = ts_malloc(t->n_nodes * sizeof *first_mode);
        next_mode = ts_malloc((t->n_power_modes ? t->n_power_modes : 1) * sizeof *next_mode);
        if (!first_mode || !next_mode)
            rc = ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory");
    }
    if (rc == TS_OK) {
        for (size_t i = 0; i < t->n_nodes; i++)
            first_mode[i] = t->n_power_modes;
        for (size_t i = t->n_power_modes; i-- > 0;) {
            int32_t nd = t->power_modes[i].node;
            if (nd < 0 || (size_t)nd >= t->n_nodes) {
                next_mode[i] = t->n_power_modes;
                continue;
            }
            next_mode[i] = first_mode[nd];
            first_mode[nd] = i;
        }
        rc = ts__groups_build(&g, t->nodes[0].name, sizeof t->nodes[0], t->n_nodes, err);
    }
    for (size_t gi = 0; rc == TS_OK && gi < g.n_groups; gi++) {
        size_t first = g.rows[g.first[gi]];
        if (g.count[gi] == 1) {
            if (samples[first] > 0)
                rc = node_plot(r, gi, first, samples[first], first_mode, next_mode, err);
        } else {
            size_t any = 0;
            for (size_t j = 0; j < g.count[gi]; j++)
                any += samples[g.rows[g.first[gi] + j]];
            if (any)
                rc = node_fleet(r, &g, gi, err);
        }
    }
    ts__groups_free(&g);
    ts_free(samples);
    ts_free(first_mode);
    ts_free(next_mode);
    return rc;
}

enum { L_UTIL, L_QUEUE_KIB, L_QUEUE_PKTS, L_SENT, L_DROPPED, L_LOST, L_UP, L_COLS };

static int link_direction(ts__report *r, const char *file, size_t link, int dir,
                          size_t samples, ts_error *err)
{
    const ts_trace *t = r->t;
    static const ts__agg agg[L_COLS] = {TS__AGG_MEAN, TS__AGG_MAX, TS__AGG_MAX, TS__AGG_SUM,
                                        TS__AGG_SUM,  TS__AGG_SUM, TS__AGG_MIN};
    ts__atomic_file f;
    int rc = ts__report_open(r, file, &f, err);
    if (rc != TS_OK)
        return rc;
    fputs("time_s,utilisation_pct,queue_kib,queue_packets,sent_packets,dropped_packets,"
          "lost_packets,up\n", f.fp);
    ts__rows w;
    ts__rows_begin(&w, f.fp, L_COLS, agg, TS_REPORT_MAX_BUCKETS, r->span_ns, samples);
    for (size_t i = 0; i < t->n_link_state; i++) {
        const ts_trace_link_state *s = &t->link_state[i];
        if (s->link != (int32_t)link || s->direction != dir)
            continue;
        double v[L_COLS] = {100.0 * s->utilisation, s->queue_bytes / 1024.0,
                            s->queue_packets, (double)s->sent_packets,
                            (double)s->dropped_packets, (double)s->lost_packets, s->up ? 1 : 0};
        ts__rows_add(&w, s->time_ns, v);
    }
    ts__rows_end(&w);
    return ts__atomic_commit(&f, err);
}

static const char *node_name(const ts_trace *t, int32_t n)
{
    return n >= 0 && (size_t)n < t->n_nodes ? t->nodes[n].name : "?";
}

static int link_plot(ts__report *r, size_t index, size_t link, size_t samples, ts_error *err)
{
    const ts_trace *t = r->t;
    const ts_trace_link *l = &t->links[link];
    char title[256];
    snprintf(title, sizeof title, "Link %s (%s - %s, %g Mbit/s)", l->name,
             node_name(t, l->node_a), node_name(t, l->node_b), l->bandwidth_bps / 1e6);
    ts__plot *p = ts__report_add_plot(r, TS__SEC_LINKS, "link", index, l->name, title, err);
    if (!p)
        return TS_ENOMEM;
    const char *ab = ts__plot_data(p, "-ab");
    const char *ba = ts__plot_data(p, "-ba");
    int rc = link_direction(r, ab, link, 0, samples, err);
    if (rc == TS_OK)
        rc = link_direction(r, ba, link, 1, samples, err);
    ts__atomic_file f;
    if (rc == TS_OK)
        rc = ts__gp_open(r, p, 640, &f, err);
    if (rc != TS_OK)
        return rc;
    FILE *fp = f.fp;
    char d0[2 * TS_TRACE_NAME_LEN + 8], d1[2 * TS_TRACE_NAME_LEN + 8];
    snprintf(d0, sizeof d0, "%s -> %s", node_name(t, l->node_a), node_name(t, l->node_b));
    snprintf(d1, sizeof d1, "%s -> %s", node_name(t, l->node_b), node_name(t, l->node_a));
    fputs("  set multiplot layout 3,1 title ", fp);
    ts__gp_str(fp, title);
    fprintf(fp, "\n  set grid\n  set key outside right top\n  set xrange [0:%.9g]\n"
                "  set xlabel 'time (s)'\n  set lmargin 10\n  set rmargin 34\n",
            (double)r->span_ns / 1e9);
    const char *panels[3][3] = {
        {"utilisation", "% busy", "2"},
        {"queue", "KiB waiting", "3"},
        {"drops and losses", "packets per sample", ""}};
    for (int pi = 0; pi < 3; pi++) {
        fprintf(fp, "  set title '%s'\n  set ylabel '%s'\n  set yrange [0:*]\n", panels[pi][0],
                panels[pi][1]);
        if (pi < 2) {
            fprintf(fp, "  plot '%s' using 1:%s with lines lw 2 title ", ab, panels[pi][2]);
            ts__gp_str(fp, d0);
            fprintf(fp, ", '%s' using 1:%s with lines lw 2 title ", ba, panels[pi][2]);
            ts__gp_str(fp, d1);
        } else {
            fprintf(fp, "  plot '%s' using 1:($6 > 0 ? $6 : NaN) with impulses lw 2 "
                        "title 'queue drops ' . ", ab);
            ts__gp_str(fp, d0);
            fprintf(fp, ", '%s' using 1:($6 > 0 ? $6 : NaN) with impulses lw 2 "
                        "title 'queue drops ' . ", ba);
            ts__gp_str(fp, d1);
            fprintf(fp, ", \\\n    '%s' using 1:($7 > 0 ? $7 : NaN) with points pt 2 "
                        "title 'lost ' . ", ab);
            ts__gp_str(fp, d0);
            fprintf(fp, ", '%s' using 1:($7 > 0 ? $7 : NaN) with points pt 2 title 'lost ' . ",
                    ba);
            ts__gp_str(fp, d1);
        }
        fputs("\n", fp);
    }
    fputs("  unset multiplot\n", fp);
    return ts__gp_close(&f, err);
}

static int link_fleet(ts__report *r, const ts__groups *g, size_t gi, ts_error *err)
{
    const ts_trace *t = r->t;
    size_t n = g->count[gi];
    const size_t *rows = &g->rows[g->first[gi]];
    const char **names = ts_malloc(n * sizeof *names);
    size_t *member = ts_malloc(t->n_links * sizeof *member);
    if (!names || !member) {
        ts_free(names);
        ts_free(member);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory");
    }
    for (size_t j = 0; j < n; j++) {
        names[j] = t->links[rows[j]].name;
        member[rows[j]] = j;
    }
    ts__band util;
    int rc = ts__band_init(&util, n, TS__FLEET_BUCKETS, r->span_ns, TS__BAND_MAX, err);
    for (size_t i = 0; rc == TS_OK && i < t->n_link_state; i++) {
        const ts_trace_link_state *s = &t->link_state[i];
        if (s->link < 0 || (size_t)s->link >= t->n_links || (size_t)g->group_of[s->link] != gi)
            continue;
        ts__band_add(&util, member[s->link], s->time_ns, 100.0 * s->utilisation);
    }
    if (rc == TS_OK)
        rc = band_plot(r, "fleet-link", gi, names[0], n, "peak utilisation (busier direction)",
                       "%", &util, names, err);
    ts__band_free(&util);
    ts_free(names);
    ts_free(member);
    return rc;
}

int ts__report_links(ts__report *r, ts_error *err)
{
    const ts_trace *t = r->t;
    if (t->n_links == 0 || t->n_link_state == 0)
        return TS_OK;
    size_t *samples = NULL;
    ts__groups g;
    memset(&g, 0, sizeof g);
    int rc = count_rows(t->n_links, t->n_link_state, t->link_state, sizeof *t->link_state,
                        offsetof(ts_trace_link_state, link), &samples, err);
    if (rc == TS_OK)
        rc = ts__groups_build(&g, t->links[0].name, sizeof t->links[0], t->n_links, err);
    for (size_t gi = 0; rc == TS_OK && gi < g.n_groups; gi++) {
        size_t first = g.rows[g.first[gi]];
        if (g.count[gi] == 1) {
            if (samples[first] > 0)
                rc = link_plot(r, gi, first, samples[first] / 2 + 1, err);
        } else {
            size_t any = 0;
            for (size_t j = 0; j < g.count[gi]; j++)
                any += samples[g.rows[g.first[gi] + j]];
            if (any) /* an empty band would leave gnuplot nothing to draw */
                rc = link_fleet(r, &g, gi, err);
        }
    }
    ts__groups_free(&g);
    ts_free(samples);
    return rc;
}
