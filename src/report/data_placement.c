/* The placement as a picture: sites (robots, edge racks, cloud regions)
 * as boxes in columns by tier, their nodes inside with the components
 * each runs, network nodes between, and the links as lines. Drawn by
 * gnuplot from labels and objects the script places; the same graph goes
 * to placement.dot for Graphviz. A fleet shows its first TS__ROBOTS_SHOWN
 * robots (the others are copies); the page says how many are left out. */
#include <string.h>

#include "report/report_internal.h"
#include "toposim/alloc.h"

#define TS__ROBOTS_SHOWN 6
#define TS__COMPONENTS_SHOWN 6

typedef struct spot {
    int shown;
    double x, y;
    size_t n_comps;         /* components placed on it */
} spot;

static int tier_column(const char *tier)
{
    if (!strcmp(tier, "robot"))
        return 0;
    if (!strcmp(tier, "edge"))
        return 2;
    if (!strcmp(tier, "cloud"))
        return 3;
    return 1; /* network and anything else */
}

/* Components placed on node n, in placement order, written joined. */
static void comps_of(const ts_trace *t, size_t n, FILE *fp, int gp)
{
    size_t k = 0, more = 0;
    for (size_t i = 0; i < t->n_placement; i++) {
        const ts_trace_placement *pl = &t->placement[i];
        if (pl->node != (int32_t)n || pl->component < 0 ||
            (size_t)pl->component >= t->n_components)
            continue;
        if (k == TS__COMPONENTS_SHOWN) {
            more++;
            continue;
        }
        const char *name = t->components[pl->component].name;
        if (gp) {
            fputs(".\"\\n\".", fp);
            ts__gp_str(fp, name);
        } else {
            if (k)
                fputc(' ', fp);
            ts__csv_str(fp, name);
        }
        k++;
    }
    if (more && gp)
        fprintf(fp, ".\"\\n+%zu more\"", more);
    else if (more)
        fprintf(fp, " +%zu more", more);
}

/* A Graphviz ID: double-quoted, with " and \ escaped (DOT language,
 * "ID": any double-quoted string with \" for a quote). */
static void dot_id(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fputc('\\', fp);
        if (*c >= 0x20 && *c != 0x7f)
            fputc(*c, fp);
    }
    fputc('"', fp);
}

static int write_dot(ts__report *r, const spot *at, ts_error *err)
{
    const ts_trace *t = r->t;
    ts__atomic_file f;
    int rc = ts__report_open(r, "placement.dot", &f, err);
    if (rc != TS_OK)
        return rc;
    FILE *fp = f.fp;
    fputs("graph placement {\n  rankdir=LR;\n  node [shape=box, fontsize=10];\n", fp);
    for (size_t s = 0; s < t->n_sites; s++) {
        fprintf(fp, "  subgraph cluster_%zu {\n    label=", s);
        char label[TS_TRACE_NAME_LEN + 24];
        snprintf(label, sizeof label, "%s (%s)", t->sites[s].name, t->sites[s].tier);
        dot_id(fp, label);
        fputs(";\n", fp);
        for (size_t n = 0; n < t->n_nodes; n++)
            if (at[n].shown && t->nodes[n].site_row == (int32_t)s) {
                fputs("    ", fp);
                dot_id(fp, t->nodes[n].name);
                fputs(";\n", fp);
            }
        fputs("  }\n", fp);
    }
    for (size_t n = 0; n < t->n_nodes; n++) {
        if (!at[n].shown)
            continue;
        /* The label: the node, then its components one per line. */
        fputs("  ", fp);
        dot_id(fp, t->nodes[n].name);
        fputs(" [label=\"", fp);
        char buf[4096];
        FILE *m = fmemopen(buf, sizeof buf, "w");
        if (m) {
            fputs(t->nodes[n].name, m);
            for (size_t i = 0; i < t->n_placement; i++) {
                const ts_trace_placement *pl = &t->placement[i];
                if (pl->node == (int32_t)n && pl->component >= 0 &&
                    (size_t)pl->component < t->n_components)
                    fprintf(m, "\n%s", t->components[pl->component].name);
            }
            fputc('\0', m);
            fclose(m);
            buf[sizeof buf - 1] = '\0';
            for (const unsigned char *c = (const unsigned char *)buf; *c; c++) {
                if (*c == '\n')
                    fputs("\\n", fp);
                else if (*c == '"' || *c == '\\')
                    fprintf(fp, "\\%c", *c);
                else if (*c >= 0x20 && *c != 0x7f)
                    fputc(*c, fp);
            }
        }
        fputs("\"];\n", fp);
    }
    for (size_t i = 0; i < t->n_links; i++) {
        const ts_trace_link *l = &t->links[i];
        if (l->node_a < 0 || l->node_b < 0 || (size_t)l->node_a >= t->n_nodes ||
            (size_t)l->node_b >= t->n_nodes || !at[l->node_a].shown || !at[l->node_b].shown)
            continue;
        fputs("  ", fp);
        dot_id(fp, t->nodes[l->node_a].name);
        fputs(" -- ", fp);
        dot_id(fp, t->nodes[l->node_b].name);
        fputs(" [label=", fp);
        dot_id(fp, l->name);
        fputs(", fontsize=8];\n", fp);
    }
    fputs("}\n", fp);
    return ts__atomic_commit(&f, err);
}

int ts__report_placement(ts__report *r, ts_error *err)
{
    const ts_trace *t = r->t;
    if (t->n_nodes == 0)
        return TS_OK;
    ts__plot *p = ts__report_add_plot(r, TS__SEC_PLACEMENT, "placement", 0, "nodes",
                                      "Placement: sites, nodes, links and components", err);
    if (!p)
        return TS_ENOMEM;
    spot *at = ts_calloc(t->n_nodes, sizeof *at);
    if (!at)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "out of memory");
    for (size_t i = 0; i < t->n_placement; i++)
        if (t->placement[i].node >= 0 && (size_t)t->placement[i].node < t->n_nodes)
            at[t->placement[i].node].n_comps++;

    /* Which robots are drawn: the first TS__ROBOTS_SHOWN robot sites. */
    size_t robots = 0, robots_left_out = 0;
    double col_y[4] = {0, 0, 0, 0};
    size_t in_column[4] = {0, 0, 0, 0};
    const char *d_nodes = ts__plot_data(p, "");
    const char *d_links = ts__plot_data(p, "-links");
    ts__atomic_file f;
    int rc = ts__report_open(r, d_nodes, &f, err);
    if (rc != TS_OK) {
        ts_free(at);
        return rc;
    }
    fputs("node,site,tier,x,y,components\n", f.fp);
    /* Sites in table order, each stacking its nodes down its column;
     * nodes of no site (switches) go to the network column. */
    for (size_t s = 0; s <= t->n_sites; s++) {
        int col;
        if (s < t->n_sites) {
            col = tier_column(t->sites[s].tier);
            if (col == 0 && robots++ >= TS__ROBOTS_SHOWN) {
                robots_left_out++;
                continue;
            }
        } else {
            col = 1;
        }
        for (size_t n = 0; n < t->n_nodes; n++) {
            const ts_trace_node *nd = &t->nodes[n];
            int in_site = s < t->n_sites ? nd->site_row == (int32_t)s
                                         : nd->site_row < 0 || (size_t)nd->site_row >= t->n_sites;
            if (!in_site)
                continue;
            /* A network node sits between the robots and the edge; a
             * node of no site whose tier says otherwise keeps its tier. */
            int c = s < t->n_sites ? col : tier_column(nd->tier);
            size_t lines = at[n].n_comps < TS__COMPONENTS_SHOWN ? at[n].n_comps
                                                                 : TS__COMPONENTS_SHOWN + 1;
            at[n].shown = 1;
            /* Zig-zag down the column: a link between a site's first and
             * third node then passes beside the second, not through it. */
            at[n].x = c + (in_column[c]++ % 2 ? 0.14 : -0.14);
            at[n].y = col_y[c] - 0.5;
            col_y[c] -= 1.0 + 0.32 * (double)lines;
            ts__csv_str(f.fp, nd->name);
            fputc(',', f.fp);
            ts__csv_str(f.fp, s < t->n_sites ? t->sites[s].name : "");
            fputc(',', f.fp);
            ts__csv_str(f.fp, nd->tier);
            fprintf(f.fp, ",%.2f,%.3f,", at[n].x, at[n].y);
            comps_of(t, n, f.fp, 0);
            fputc('\n', f.fp);
        }
        if (s < t->n_sites)
            col_y[col] -= 0.4; /* a gap between sites */
    }
    rc = ts__atomic_commit(&f, err);
    if (rc == TS_OK)
        rc = ts__report_open(r, d_links, &f, err);
    if (rc != TS_OK) {
        ts_free(at);
        return rc;
    }
    fputs("link,x1,y1,x2,y2\n", f.fp);
    for (size_t i = 0; i < t->n_links; i++) {
        const ts_trace_link *l = &t->links[i];
        if (l->node_a < 0 || l->node_b < 0 || (size_t)l->node_a >= t->n_nodes ||
            (size_t)l->node_b >= t->n_nodes || !at[l->node_a].shown || !at[l->node_b].shown)
            continue;
        ts__csv_str(f.fp, l->name);
        fprintf(f.fp, ",%g,%.3f,%g,%.3f\n", at[l->node_a].x, at[l->node_a].y,
                at[l->node_b].x, at[l->node_b].y);
    }
    rc = ts__atomic_commit(&f, err);
    if (rc == TS_OK)
        rc = write_dot(r, at, err);
    if (robots_left_out)
        snprintf(r->placement_note, sizeof r->placement_note,
                 "The picture shows the first %d robots; %zu more (fleet copies) are left "
                 "out.", TS__ROBOTS_SHOWN, robots_left_out);

    double lowest = 0;
    for (int c = 0; c < 4; c++)
        lowest = col_y[c] < lowest ? col_y[c] : lowest;
    int height = 200 + (int)(-lowest * 48);
    if (height > 2400)
        height = 2400;
    if (rc == TS_OK)
        rc = ts__gp_open(r, p, height, &f, err);
    if (rc != TS_OK) {
        ts_free(at);
        return rc;
    }
    FILE *fp = f.fp;
    fputs("  set title 'Placement: sites, nodes (with the components each runs) and links'\n"
          "  unset border\n  unset ytics\n  set xtics ('robot' 0, 'network' 1, 'edge' 2, "
          "'cloud' 3) scale 0\n  set x2tics ('robot' 0, 'network' 1, 'edge' 2, 'cloud' 3) "
          "scale 0\n  set xlabel 'tier'\n  set key below horizontal\n"
          "  set style textbox opaque border lc rgb '#1f77b4'\n", fp);
    fprintf(fp, "  set xrange [-0.6:3.6]\n  set yrange [%.3f:0.3]\n", lowest - 0.2);
    /* Site boxes: around their nodes' slots. */
    int obj = 1;
    robots = 0;
    for (size_t s = 0; s < t->n_sites; s++) {
        double top = 1e300, bottom = -1e300, x = 0;
        int any = 0;
        for (size_t n = 0; n < t->n_nodes; n++) {
            if (!at[n].shown || t->nodes[n].site_row != (int32_t)s)
                continue;
            size_t lines = at[n].n_comps < TS__COMPONENTS_SHOWN ? at[n].n_comps
                                                                 : TS__COMPONENTS_SHOWN + 1;
            double y0 = at[n].y + 0.45, y1 = at[n].y - 0.5 - 0.32 * (double)lines;
            top = any && top > y0 ? top : y0;
            bottom = any && bottom < y1 ? bottom : y1;
            x = (int)(at[n].x + 0.5); /* its column */
            any = 1;
        }
        if (!any)
            continue;
        fprintf(fp, "  set object %d rect from %.3f,%.3f to %.3f,%.3f fc rgb '#eef3fb' "
                    "fs solid 1.0 border rgb '#5b7db1' behind\n",
                obj++, x - 0.47, bottom, x + 0.47, top + 0.2);
        fprintf(fp, "  set label %d ", obj++);
        char label[TS_TRACE_NAME_LEN + 24];
        snprintf(label, sizeof label, "%s (%s)", t->sites[s].name, t->sites[s].tier);
        ts__gp_str(fp, label);
        fprintf(fp, " at %.3f,%.3f left font ',8' tc rgb '#5b7db1'\n", x - 0.45, top + 0.1);
    }
    for (size_t n = 0; n < t->n_nodes; n++) {
        if (!at[n].shown)
            continue;
        fprintf(fp, "  set label %d ", obj++);
        ts__gp_str(fp, t->nodes[n].name);
        comps_of(t, n, fp, 1);
        fprintf(fp, " at %.3f,%.3f center front boxed font ',8'\n", at[n].x, at[n].y);
    }
    fprintf(fp, "  plot '%s' using 2:3:($4 - $2):($5 - $3) with vectors nohead lw 1.5 "
                "lc rgb '#888888' title 'link', \\\n    '%s' using 4:5 with points pt 5 "
                "ps 0.1 lc rgb '#1f77b4' notitle, \\\n"
                "    keyentry with boxes fs solid 1.0 fc rgb '#eef3fb' "
                "title 'site (robot, edge rack, cloud region)', \\\n"
                "    keyentry with boxes fs empty lc rgb '#1f77b4' "
                "title 'node, with the components it runs'\n",
            d_links, d_nodes);
    ts_free(at);
    return ts__gp_close(&f, err);
}
