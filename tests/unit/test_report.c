/*
 * Tests of the report: the CDF's ranks against known samples, thinning
 * that keeps spikes, fleet grouping, the quoting of names in CSV, gnuplot
 * and HTML, and a whole report of a small scenario's trace written with
 * no gnuplot to run: it says so, and the data files (checked against the
 * trace), scripts and page are there, the same bytes twice over.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "report/report_internal.h"
#include "scenario_run.h"
#include "shell_capture.h"
#include "toposim/alloc.h"
#include "toposim/report.h"
#include "toposim/validate.h"

static char tmpdir[] = "/tmp/toposim-report-unit-XXXXXX";
static char text[1 << 20], text2[1 << 20];

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_cdf_small_with_ties(void **state)
{
    (void)state;
    const double x[] = {1, 2, 2, 3, 5};
    size_t idx[2000];
    size_t m = ts__cdf_ranks(x, 5, 2000, idx);
    /* Ranks end runs of equal values: F(2) = 3/5, not 2/5. */
    assert_int_equal(m, 4);
    const size_t want[] = {0, 2, 3, 4};
    for (size_t i = 0; i < m; i++)
        assert_int_equal(idx[i], want[i]);
    assert_int_equal(ts__cdf_ranks(x, 0, 2000, idx), 0);
}

static void test_cdf_large_exact_and_tail(void **state)
{
    (void)state;
    size_t n = 100000;
    double *x = malloc(n * sizeof *x);
    size_t *idx = malloc(2000 * sizeof *idx);
    assert_non_null(x);
    assert_non_null(idx);
    /* Values 0, 0, 1, 1, ...: each value twice, so F(v) = 2 (v + 1) / n. */
    for (size_t i = 0; i < n; i++)
        x[i] = (double)(i / 2);
    size_t m = ts__cdf_ranks(x, n, 2000, idx);
    assert_true(m > 1000 && m <= 2000);
    assert_int_equal(idx[0], 1);        /* rank 0 moved to the end of its run */
    assert_int_equal(idx[m - 1], n - 1);
    size_t tail = 0;
    for (size_t i = 0; i < m; i++) {
        if (i)
            assert_true(idx[i] > idx[i - 1]);
        double f = (double)(idx[i] + 1) / (double)n;
        assert_true(fabs(f - 2.0 * (x[idx[i]] + 1) / (double)n) < 1e-12);
        tail += idx[i] >= n - n / 1000; /* beyond p99.9 */
    }
    assert_true(tail >= 45); /* nearly all 50 distinct values past p99.9 */
    /* All equal: one point, F = 1. */
    for (size_t i = 0; i < n; i++)
        x[i] = 0;
    m = ts__cdf_ranks(x, n, 2000, idx);
    assert_int_equal(m, 1);
    assert_int_equal(idx[0], n - 1);
    free(x);
    free(idx);
}

static void test_thin_keeps_small_series_whole(void **state)
{
    (void)state;
    ts__thin s;
    assert_int_equal(ts__thin_init(&s, 1000, 1000000, NULL), TS_OK);
    /* Added out of order: come back in time order, ties in insertion order. */
    for (int i = 499; i >= 0; i--)
        assert_int_equal(ts__thin_add(&s, i * 1000, i, NULL), TS_OK);
    assert_int_equal(ts__thin_add(&s, 7000, -1, NULL), TS_OK);
    const ts__point *p;
    size_t n = ts__thin_points(&s, &p);
    assert_int_equal(n, 501);
    for (size_t i = 1; i < n; i++)
        assert_true(p[i].t >= p[i - 1].t);
    assert_int_equal(p[7].t, 7000);
    assert_true(p[7].y == 7 && p[8].y == -1);
    ts__thin_fini(&s);
}

static void test_thin_bounds_points_and_keeps_spikes(void **state)
{
    (void)state;
    ts__thin s;
    int64_t span = 100000000;
    assert_int_equal(ts__thin_init(&s, 1000, span, NULL), TS_OK);
    for (int64_t i = 0; i < 100000; i++) {
        double y = 1.0 + 0.1 * sin((double)i / 50.0);
        if (i == 31337)
            y = 50.0; /* one spike */
        if (i == 77777)
            y = -3.0; /* one dip */
        assert_int_equal(ts__thin_add(&s, i * 1000, y, NULL), TS_OK);
    }
    const ts__point *p;
    size_t n = ts__thin_points(&s, &p);
    assert_true(n <= 2000 && n >= 1000);
    int spike = 0, dip = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            assert_true(p[i].t >= p[i - 1].t);
        spike |= p[i].t == 31337000 && p[i].y == 50.0;
        dip |= p[i].t == 77777000 && p[i].y == -3.0;
    }
    assert_true(spike && dip);
    assert_int_equal(s.added, 100000);
    ts__thin_fini(&s);
}

static void test_groups_by_fleet_suffix(void **state)
{
    (void)state;
    char names[6][16] = {"cam", "cam_r1", "x", "cam_r2", "y_r", "x_r10"};
    ts__groups g;
    assert_int_equal(ts__groups_build(&g, names[0], sizeof names[0], 6, NULL), TS_OK);
    assert_int_equal(g.n_groups, 3);
    /* In order of first row: cam (0 1 3), x (2 5), y_r (4). */
    assert_int_equal(g.count[0], 3);
    assert_int_equal(g.rows[g.first[0] + 2], 3);
    assert_int_equal(g.count[1], 2);
    assert_int_equal(g.rows[g.first[1] + 1], 5);
    assert_int_equal(g.count[2], 1);
    assert_int_equal(g.group_of[4], 2);
    ts__groups_free(&g);
}

static void test_band_worst_and_rows(void **state)
{
    (void)state;
    ts__band b;
    assert_int_equal(ts__band_init(&b, 5, 10, 1000, TS__BAND_MAX, NULL), TS_OK);
    for (size_t m = 0; m < 5; m++)
        for (int64_t t = 0; t < 1000; t += 50)
            ts__band_add(&b, m, t, (double)(m == 2 ? 9 : m));
    size_t worst[3];
    assert_int_equal(ts__band_worst(&b, 3, worst), 3);
    assert_int_equal(worst[0], 2);
    assert_int_equal(worst[1], 4);
    assert_int_equal(worst[2], 3);
    char buf[4096];
    FILE *fp = fmemopen(buf, sizeof buf, "w");
    const char *names[3] = {"c", "e", "d"};
    assert_int_equal(ts__band_write(&b, fp, worst, 3, names, 1.0, NULL), TS_OK);
    fclose(fp);
    assert_non_null(strstr(buf, "time_s,min,median,max,c,e,d\n"));
    assert_non_null(strstr(buf, "\n0.000000050,0,3,9,9,4,3\n"));
    ts__band_free(&b);
}

static void test_quoting(void **state)
{
    (void)state;
    char buf[512];
    FILE *fp = fmemopen(buf, sizeof buf, "w");
    ts__html_escape(fp, "<img src=x onerror='a'>&\"");
    fputc('|', fp);
    ts__csv_str(fp, "a,\"b\"");
    fputc('|', fp);
    ts__csv_str(fp, "plain");
    fputc('|', fp);
    ts__csv_str(fp, "=HYPERLINK(\"x\")");
    fputc('|', fp);
    ts__csv_str(fp, "@cam");
    fputc('|', fp);
    ts__gp_str(fp, "it's `ls`\n");
    fputc('\0', fp);
    fclose(fp);
    assert_string_equal(buf, "&lt;img src=x onerror=&#39;a&#39;&gt;&amp;&quot;"
                             "|\"a,\"\"b\"\"\"|plain|\"'=HYPERLINK(\"\"x\"\")\"|\"'@cam\""
                             "|'it''s `ls`'");
}

static int exists_nonempty(const char *dir, const char *name)
{
    char path[1024];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0 && st.st_size > 0;
}

static void slurp(const char *dir, const char *name, char *buf, size_t size)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    ts_test_slurp(path, buf, size);
}

/* Latencies of a topic's delivered samples, sorted, in ns. */
static size_t latencies(const ts_trace *t, int topic, double *out)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_messages; i++)
        if (t->messages[i].topic == topic && t->messages[i].status == TS_MSG_DELIVERED)
            out[n++] = (double)(t->messages[i].recv_ns - t->messages[i].send_ns);
    qsort(out, n, sizeof *out, ts__cmp_double);
    return n;
}

static size_t lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* A small hand-made trace: three chains (one with a fleet copy, with a
 * hostile name, one with 5000 outputs and a spike), a shared medium with
 * a hostile name; the data files are checked row by row. */
static void test_chain_and_medium_data_files(void **state)
{
    (void)state;
    ts_trace *t = calloc(1, sizeof *t);
    assert_non_null(t);
    ts_trace_chain chains[4];
    memset(chains, 0, sizeof chains);
    snprintf(chains[0].name, sizeof chains[0].name, "perception");
    chains[0].budget_ns = 100000000;
    snprintf(chains[1].name, sizeof chains[1].name, "c'l,\"x");
    chains[1].budget_ns = 10000000;
    snprintf(chains[2].name, sizeof chains[2].name, "long");
    snprintf(chains[3].name, sizeof chains[3].name, "c'l,\"x_r1");
    chains[3].budget_ns = 10000000;
    enum { N_LONG = 5000 };
    ts_trace_chain_instance *ci = calloc(7 + N_LONG, sizeof *ci);
    assert_non_null(ci);
    const ts_trace_chain_instance few[7] = {
        {0, 0, 0, 80000000},            /* age 80 ms */
        {1, 0, 5000000, 12000000},      /* 7 ms */
        {0, 1, 100000000, -1},          /* dropped */
        {0, 0, 200000000, 350000000},   /* 150 ms: over the 100 ms budget */
        {3, 0, 20000000, 35000000},     /* the copy: 15 ms, over 10 ms */
        {0, 0, 300000000, 390000000},   /* 90 ms */
        {1, 1, 40000000, -1},           /* the chain's dropped instance */
    };
    memcpy(ci, few, sizeof few);
    /* "long": an output every ms, data age 1 ms, but one of 9 ms. */
    for (int i = 0; i < N_LONG; i++)
        ci[7 + i] = (ts_trace_chain_instance){2, 0, i * 1000000LL,
                                              i * 1000000LL + (i == 3210 ? 9 : 1) * 1000000LL};
    ts_trace_medium media[1];
    memset(media, 0, sizeof media);
    snprintf(media[0].name, sizeof media[0].name, "ap'<1>");
    media[0].capacity_bps = 54e6;
    media[0].queue_bytes = 65536;
    media[0].links = 2;
    ts_trace_medium_state ms[2] = {
        {0, 100000000, 100000000, 0.25, 2048, 2, 10, 0, 1},
        {0, 200000000, 100000000, 0.5, 0, 0, 20, 3, 0},
    };
    t->chains = chains;
    t->n_chains = 4;
    t->chain_instances = ci;
    t->n_chain_instances = 7 + N_LONG;
    t->media = media;
    t->n_media = 1;
    t->medium_state = ms;
    t->n_medium_state = 2;
    t->duration_ns = 10000000000LL;

    char dir[512];
    snprintf(dir, sizeof dir, "%s/chains-media", tmpdir);
    assert_int_equal(mkdir(dir, 0777), 0);
    ts_report_options o = {.out_dir = dir};
    ts__report r;
    memset(&r, 0, sizeof r);
    r.t = t;
    r.o = &o;
    r.span_ns = t->duration_ns;
    ts_error err;
    ts_error_clear(&err);
    assert_int_equal(ts__report_chains(&r, &err), TS_OK);
    assert_int_equal(ts__report_media(&r, &err), TS_OK);
    /* perception, c'l,"x (with its copy), long: two plots each; the medium. */
    assert_int_equal(r.n_plots, 7);
    assert_int_equal(r.plots[0].section, TS__SEC_CHAINS);
    assert_int_equal(r.plots[6].section, TS__SEC_LINKS);

    slurp(dir, "chain-age-000-perception.csv", text, sizeof text);
    assert_string_equal(text, "output_s,data_age_ms\n"
                              "0.080000000,80\n0.350000000,150\n0.390000000,90\n");
    slurp(dir, "chain-age-000-perception-late.csv", text, sizeof text);
    assert_string_equal(text, "output_s,data_age_ms\n0.350000000,150\n");
    slurp(dir, "chain-age-000-perception-dropped.csv", text, sizeof text);
    assert_string_equal(text, "input_s,budget_ms\n0.100000000,100\n");
    slurp(dir, "chain-age-cdf-000-perception.csv", text, sizeof text);
    assert_string_equal(text, "data_age_ms,fraction_at_or_below\n"
                              "80,0\n80,0.333333333\n90,0.666666667\n150,1\n");
    slurp(dir, "chain-age-000-perception.gp", text, sizeof text);
    assert_non_null(strstr(text, "plot 100 with lines dt 2 lw 2 lc rgb 'red' "
                                 "title 'budget 100 ms'"));
    assert_non_null(strstr(text, "title 'over the budget (1)'"));
    assert_non_null(strstr(text, "title 'dropped (1), drawn at the budget'"));

    /* The fleet's copies share one plot of each: both copies' outputs. */
    slurp(dir, "chain-age-001-c_l__x.csv", text, sizeof text);
    assert_string_equal(text, "output_s,data_age_ms\n0.012000000,7\n0.035000000,15\n");
    slurp(dir, "chain-age-001-c_l__x-late.csv", text, sizeof text);
    assert_string_equal(text, "output_s,data_age_ms\n0.035000000,15\n");
    slurp(dir, "chain-age-001-c_l__x-dropped.csv", text, sizeof text);
    assert_string_equal(text, "input_s,budget_ms\n0.040000000,10\n");
    slurp(dir, "chain-age-cdf-001-c_l__x.csv", text, sizeof text);
    assert_string_equal(text, "data_age_ms,fraction_at_or_below\n7,0\n7,0.5\n15,1\n");
    /* The hostile name is a quoted gnuplot string, the copies counted. */
    slurp(dir, "chain-age-cdf-001-c_l__x.gp", text, sizeof text);
    assert_non_null(strstr(text, "set title 'Data age CDF: c''l,\"x x2'\n"));
    assert_non_null(strstr(text, "(2 outputs, 1 dropped, not in the curve)', 'c''l,\"x x2')"));

    /* 5000 outputs are thinned to at most 2000 points; the spike stays.
     * No budget: no budget line, nothing late, nothing dropped. */
    slurp(dir, "chain-age-002-long.csv", text, sizeof text);
    assert_true(lines(text) <= 1 + 2000 && lines(text) > 1 + 500);
    assert_non_null(strstr(text, "\n3.219000000,9\n"));
    slurp(dir, "chain-age-002-long-late.csv", text, sizeof text);
    assert_string_equal(text, "output_s,data_age_ms\n");
    slurp(dir, "chain-age-002-long.gp", text, sizeof text);
    assert_null(strstr(text, "budget"));
    slurp(dir, "chain-age-cdf-002-long.csv", text, sizeof text);
    assert_string_equal(text, "data_age_ms,fraction_at_or_below\n1,0\n1,0.9998\n9,1\n");

    /* The medium: a row per sample, air time and queue in the units of
     * the header; its hostile name quoted in the script only. */
    slurp(dir, "medium-000-ap__1_.csv", text, sizeof text);
    assert_string_equal(text, "time_s,airtime_pct,queue_kib,queue_packets,sent_packets,"
                              "dropped_packets,lost_packets\n"
                              "0.100000000,25,2,2,10,0,1\n"
                              "0.200000000,50,0,0,20,3,0\n");
    slurp(dir, "medium-000-ap__1_.gp", text, sizeof text);
    assert_non_null(strstr(text, "set multiplot layout 3,1 title 'Medium ap''<1> (54 Mbit/s "
                                 "as declared, 2 links, queue 64 KiB)'\n"));
    assert_non_null(strstr(text, "set title 'shared queue (holds 64 KiB)'\n"));

    /* Without the tables: no plot at all. */
    ts__report r2 = r;
    r2.plots = NULL;
    r2.n_plots = r2.cap_plots = 0;
    ts_trace bare = *t;
    bare.n_chains = bare.n_chain_instances = bare.n_media = bare.n_medium_state = 0;
    r2.t = &bare;
    assert_int_equal(ts__report_chains(&r2, &err), TS_OK);
    assert_int_equal(ts__report_media(&r2, &err), TS_OK);
    assert_int_equal(r2.n_plots, 0);

    ts_free(r.plots);
    ts_free(r.samples);
    free(ci);
    free(t);
}

/* tests/e2e/medium-airtime.xml: two cameras' 12500-byte frames at
 * 100 Mbit/s, 1 ms of air each, ten per camera per 100 ms window: the
 * air is 20 % busy in each of the 10 windows, 20 packets sent, the queue
 * empty at every sample (each frame is sent 1 ms after its release, done
 * 1 ms later). No chain: no chain plot. */
static void test_report_of_a_medium(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("tests/e2e/medium-airtime.xml");
    ts_validation *v = NULL;
    ts_error err;
    ts_error_clear(&err);
    assert_int_equal(ts_validate(t, &v, &err), TS_OK);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/medium", tmpdir);
    ts_report_options o = {.out_dir = dir, .gnuplot = "/nonexistent/gnuplot"};
    assert_int_equal(ts_report_write(t, v, &o, NULL, &err), TS_ENOENT);
    char want[2048];
    size_t len = (size_t)snprintf(want, sizeof want, "time_s,airtime_pct,queue_kib,"
                                  "queue_packets,sent_packets,dropped_packets,lost_packets\n");
    for (int w = 1; w <= 10; w++)
        len += (size_t)snprintf(want + len, sizeof want - len, "%d.%d00000000,20,0,0,20,0,0\n",
                                w / 10, w % 10);
    slurp(dir, "medium-000-air.csv", text, sizeof text);
    assert_string_equal(text, want);
    assert_true(exists_nonempty(dir, "medium-000-air.gp"));
    slurp(dir, "report.gp", text, sizeof text);
    assert_non_null(strstr(text, "load 'medium-000-air.gp'\n"));
    assert_null(strstr(text, "chain-"));
    slurp(dir, "index.html", text, sizeof text);
    assert_non_null(strstr(text, "medium-000-air.csv"));
    assert_null(strstr(text, "id=\"chains\""));
    ts_validation_free(v);
    ts_trace_free(t);
}

static void test_report_of_a_run_without_gnuplot(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("scenarios/humanoid-basic.xml");
    /* A hostile name: the page must escape it, file names must not carry it. */
    snprintf(t->topics[0].name, sizeof t->topics[0].name, "<b>a&'\"/../x");
    ts_validation *v = NULL;
    ts_error err;
    ts_error_clear(&err);
    assert_int_equal(ts_validate(t, &v, &err), TS_OK);
    char dir[512], dir2[512];
    snprintf(dir, sizeof dir, "%s/new/nested", tmpdir);
    snprintf(dir2, sizeof dir2, "%s/again", tmpdir);
    ts_report_options o = {.out_dir = dir, .gnuplot = "/nonexistent/gnuplot"};
    ts_report_result res;
    assert_int_equal(ts_report_write(t, v, &o, &res, &err), TS_ENOENT);
    assert_non_null(strstr(err.msg, "/nonexistent/gnuplot"));
    assert_non_null(strstr(err.msg, "gnuplot report.gp"));
    assert_int_equal(res.images_made, 0);
    assert_int_equal(res.n_images, 0);
    assert_true(res.n_plots >= 20);

    /* Scripts, data and page are there; images are not, nor temporaries. */
    assert_true(exists_nonempty(dir, "report.gp"));
    assert_true(exists_nonempty(dir, "index.html"));
    assert_true(exists_nonempty(dir, "latency-cdf-000-_b_a_______x.csv"));
    assert_true(exists_nonempty(dir, "latency-cdf-000-_b_a_______x.gp"));
    assert_false(exists_nonempty(dir, "latency-cdf-000-_b_a_______x.png"));
    assert_true(exists_nonempty(dir, "node-000-h1_rt.csv"));
    assert_true(exists_nonempty(dir, "link-000-h1_eth_rt-ab.csv"));
    assert_true(exists_nonempty(dir, "timeline-000-events.csv"));
    assert_true(exists_nonempty(dir, "placement-000-nodes.csv"));
    assert_true(exists_nonempty(dir, "placement.dot"));
    char cmd[1200], out[256], errs[256];
    snprintf(cmd, sizeof cmd, "ls -a %s | grep -c tmp-", dir);
    ts_test_shell_capture(tmpdir, cmd, out, sizeof out, errs, sizeof errs);
    assert_string_equal(out, "0\n");

    /* The page: escaped, says why there are no images, names seed and verdict. */
    slurp(dir, "index.html", text, sizeof text);
    assert_null(strstr(text, "<b>a&"));
    assert_non_null(strstr(text, "&lt;b&gt;a&amp;&#39;&quot;/../x"));
    assert_non_null(strstr(text, "No images: "));
    assert_non_null(strstr(text, "<th>seed</th><td>42</td>"));
    assert_non_null(strstr(text, "class=\"verdict pass\">PASS"));
    assert_null(strstr(text, "<img"));
    assert_null(strstr(text, "http"));

    /* The camera's CDF is exactly the trace's: 300 samples, every value
     * at the fraction of samples at or below it. */
    int cam = ROW(t, topics, "camera_image");
    double *lat = malloc(t->n_messages * sizeof *lat);
    assert_non_null(lat);
    size_t n = latencies(t, cam, lat);
    assert_int_equal(n, 300);
    char name[128];
    snprintf(name, sizeof name, "latency-cdf-%03d-camera_image.csv", cam);
    slurp(dir, name, text, sizeof text);
    const char *line = text;
    assert_int_equal(strncmp(line, "latency_ms,fraction_at_or_below\n", 32), 0);
    line += 32;
    char first[64];
    snprintf(first, sizeof first, "%.9g,0\n", lat[0] / 1e6);
    assert_int_equal(strncmp(line, first, strlen(first)), 0);
    line += strlen(first);
    size_t rows = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && lat[i + 1] == lat[i])
            continue; /* the run's last carries it */
        char want[96];
        snprintf(want, sizeof want, "%.9g,%.9g\n", lat[i] / 1e6, (double)(i + 1) / n);
        assert_int_equal(strncmp(line, want, strlen(want)), 0);
        line += strlen(want);
        rows++;
    }
    assert_string_equal(line, "");
    assert_true(rows > 100);
    /* Its series over time is whole (300 < 2000): a row per sample. */
    snprintf(name, sizeof name, "latency-time-%03d-camera_image.csv", cam);
    slurp(dir, name, text, sizeof text);
    assert_int_equal(lines(text), 1 + 300);

    /* control_loop ran 10000 jobs: its response times are thinned to at
     * most 2000 points, the slowest job among them. */
    int cl = ROW(t, components, "control_loop");
    int64_t slowest = 0;
    size_t jobs = 0;
    for (size_t i = 0; i < t->n_jobs; i++)
        if (t->jobs[i].component == cl && t->jobs[i].finish_ns >= 0) {
            jobs++;
            int64_t r = t->jobs[i].finish_ns - t->jobs[i].release_ns;
            slowest = r > slowest ? r : slowest;
        }
    assert_true(jobs >= 9999);
    snprintf(name, sizeof name, "response-%03d-control_loop.csv", cl);
    slurp(dir, name, text, sizeof text);
    assert_true(lines(text) <= 1 + 2000 && lines(text) > 100);
    char peak[64];
    snprintf(peak, sizeof peak, ",%.9g\n", slowest / 1e6);
    assert_non_null(strstr(text, peak));
    free(lat);

    /* A node's samples (100 at 100 ms) are all there; the script draws
     * its throttle point only when there is one. */
    slurp(dir, "node-001-h1_jetson.csv", text, sizeof text);
    assert_int_equal(lines(text), 1 + 100);
    slurp(dir, "node-001-h1_jetson.gp", text, sizeof text);
    assert_non_null(strstr(text, "title 'throttle 99 C'"));
    assert_non_null(strstr(text, "set output out_prefix.'node-001-h1_jetson.svg'.out_suffix"));
    slurp(dir, "node-000-h1_rt.gp", text, sizeof text);
    assert_null(strstr(text, "throttle"));

    /* The perception chain's data-age CDF is exactly the trace's: its
     * ~5000 outputs are drawn at up to 2000 ranks, so each row is one of
     * the outputs' ages (output - input) at the exact fraction of outputs
     * at or below it, in order, ending at the oldest with 1.
     * humanoid-basic has no shared medium: no medium plot. */
    assert_int_equal(t->n_chains, 1);
    double *age = malloc(t->n_chain_instances * sizeof *age);
    assert_non_null(age);
    size_t n_age = 0;
    for (size_t i = 0; i < t->n_chain_instances; i++)
        if (!t->chain_instances[i].dropped)
            age[n_age++] = (double)(t->chain_instances[i].output_ns -
                                    t->chain_instances[i].input_ns);
    assert_true(n_age > 1000);
    qsort(age, n_age, sizeof *age, ts__cmp_double);
    slurp(dir, "chain-age-cdf-000-perception.csv", text, sizeof text);
    line = text;
    assert_int_equal(strncmp(line, "data_age_ms,fraction_at_or_below\n", 33), 0);
    line += 33;
    snprintf(first, sizeof first, "%.9g,0\n", age[0] / 1e6);
    assert_int_equal(strncmp(line, first, strlen(first)), 0);
    line += strlen(first);
    size_t drawn = 0;
    for (size_t i = 0; i < n_age; i++) {
        if (i + 1 < n_age && age[i + 1] == age[i])
            continue;
        char want[96];
        snprintf(want, sizeof want, "%.9g,%.9g\n", age[i] / 1e6, (double)(i + 1) / n_age);
        if (strncmp(line, want, strlen(want)) == 0) {
            line += strlen(want);
            drawn++;
        }
    }
    assert_string_equal(line, "");
    assert_true(drawn > 500 && drawn <= 2000);
    /* Over time: thinned to at most 2000 points, the oldest output kept. */
    slurp(dir, "chain-age-000-perception.csv", text, sizeof text);
    assert_true(lines(text) <= 1 + 2000 && lines(text) > 100);
    snprintf(peak, sizeof peak, ",%.9g\n", age[n_age - 1] / 1e6);
    assert_non_null(strstr(text, peak));
    free(age);
    assert_true(exists_nonempty(dir, "chain-age-000-perception.gp"));
    snprintf(cmd, sizeof cmd, "ls %s | grep -c '^medium-'", dir);
    ts_test_shell_capture(tmpdir, cmd, out, sizeof out, errs, sizeof errs);
    assert_string_equal(out, "0\n");

    /* Deterministic: a second report gives the same data and scripts. */
    ts_report_options o2 = {.out_dir = dir2, .gnuplot = "/nonexistent/gnuplot"};
    assert_int_equal(ts_report_write(t, v, &o2, NULL, &err), TS_ENOENT);
    snprintf(cmd, sizeof cmd, "diff -r -x index.html %s %s && echo same", dir, dir2);
    ts_test_shell_capture(tmpdir, cmd, text2, sizeof text2, errs, sizeof errs);
    assert_string_equal(text2, "same\n");

    /* The trace is never an output: a report whose folder holds the trace
     * under an output's name (a hard link) stops before writing over it. */
    char dir3[512], input[600], alias[600];
    snprintf(dir3, sizeof dir3, "%s/aliased", tmpdir);
    snprintf(input, sizeof input, "%s/trace.h5", tmpdir);
    snprintf(alias, sizeof alias, "%s/report.gp", dir3);
    FILE *fp = fopen(input, "w");
    assert_non_null(fp);
    fputs("the trace's bytes\n", fp);
    fclose(fp);
    assert_int_equal(mkdir(dir3, 0777), 0);
    assert_int_equal(link(input, alias), 0);
    ts_report_options o3 = {.out_dir = dir3, .trace_path = input,
                            .gnuplot = "/nonexistent/gnuplot"};
    assert_int_equal(ts_report_write(t, v, &o3, NULL, &err), TS_EIO);
    assert_non_null(strstr(err.msg, "input"));
    ts_test_slurp(input, text, sizeof text);
    assert_string_equal(text, "the trace's bytes\n");

    ts_validation_free(v);
    ts_trace_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cdf_small_with_ties),
        cmocka_unit_test(test_cdf_large_exact_and_tail),
        cmocka_unit_test(test_thin_keeps_small_series_whole),
        cmocka_unit_test(test_thin_bounds_points_and_keeps_spikes),
        cmocka_unit_test(test_groups_by_fleet_suffix),
        cmocka_unit_test(test_band_worst_and_rows),
        cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_chain_and_medium_data_files),
        cmocka_unit_test(test_report_of_a_medium),
        cmocka_unit_test(test_report_of_a_run_without_gnuplot),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
