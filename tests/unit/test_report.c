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
        cmocka_unit_test(test_report_of_a_run_without_gnuplot),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
