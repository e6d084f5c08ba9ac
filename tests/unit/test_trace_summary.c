/* Tests of the trace's summary tables (format versions 4 and 5,
 * src/trace/): windows and their histograms round-trip, /meta says the
 * level, and the reader refuses (exit 2 at the command line) summary
 * tables that are missing, in a full trace, or hold impossible counts,
 * naming the table. A summary trace of version 4, whose node and link
 * state are rows per sample, still loads and is judged from those rows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "toposim/trace.h"
#include "toposim/validate.h"

typedef struct fixture {
    char dir[64];
    char path[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/test_trace_summary_XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/s.h5", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* What to get wrong in the example. */
enum { OK, MET_OVER, HIST_SUM, HIST_ORDER, MAX_BUCKET, SPAN, JOB_MET, FULL_WITH_ROWS,
       STATE_ROWS /* node and link state as rows, as format 4 wrote them */ };

/* One node, two components, one topic; a topic window of 5 samples (4
 * delivered at 1.0, 1.0, 2.0 and 3.5 ms, 3 within a 3 ms budget, 1
 * lost) and a job window of 2 jobs. */
static void write_example(const char *path, int level, int bad)
{
    ts_trace_meta meta = {"summary-unit", "unit.xml", "<scenario/>", 1, 1000000000LL, "",
                          0, 0, 0, level, "", -1, -1, level ? 1000000000LL : 0,
                          level ? 1000000000LL : 0};
    ts_trace_writer *w = NULL;
    ts_error err;
    assert_int_equal(ts_trace_writer_open(path, &meta, &w, &err), TS_OK);
    ts_trace_node node = {.name = "n0", .cores = 4, .site_row = -1};
    ts_trace_component comps[2] = {{.name = "pub", .robot = -1, .backup_of = -1,
                                    .replica_of = -1, .n_versions = 1},
                                   {.name = "sub", .robot = -1, .backup_of = -1,
                                    .replica_of = -1, .n_versions = 1}};
    ts_trace_topic topic = {.name = "t", .publisher = 0, .budget_ns = 3000000,
                            .n_subscribers = 1};
    assert_int_equal(ts_trace_write_nodes(w, &node, 1, &err), TS_OK);
    assert_int_equal(ts_trace_write_components(w, comps, 2, &err), TS_OK);
    assert_int_equal(ts_trace_write_topics(w, &topic, 1, &err), TS_OK);
    ts_trace_link link = {.name = "l0", .node_a = 0, .node_b = 0, .latency_ns = 1000000,
                          .bandwidth_bps = 1e9, .queue_bytes = 1000, .medium = -1};
    assert_int_equal(ts_trace_write_links(w, &link, 1, &err), TS_OK);
    /* Two samples of the node (at 0.5 s and 1 s, 60 and 70 degC) and of
     * the link's first direction, as rows or as one window each. */
    if (bad == STATE_ROWS) {
        for (int i = 0; i < 2; i++) {
            ts_trace_node_state ns = {.node = 0, .up = 1, .time_ns = 500000000LL * (i + 1),
                                      .cpu_util = 0.25 * (i + 1), .temp_die_c = 60.0 + 10 * i,
                                      .temp_case_c = NAN, .power_w = 5.0 + i,
                                      .energy_j = 2.5 * (i + 1), .battery_wh = -1};
            ts_trace_link_state ls = {.link = 0, .direction = 0, .time_ns = ns.time_ns,
                                      .utilisation = 0.5, .queue_bytes = 400 * i, .up = 1,
                                      .sent_packets = 10};
            assert_int_equal(ts_trace_append_node_state(w, &ns, &err), TS_OK);
            assert_int_equal(ts_trace_append_link_state(w, &ls, &err), TS_OK);
        }
    } else {
        ts_trace_node_window nw = {.node = 0, .samples = 2, .start_ns = 0,
                                   .end_ns = 1000000000LL, .up_samples = 2, .up_at_end = 1,
                                   .cpu_util_sum = 0.75, .cpu_util_max = 0.5,
                                   .temp_die_max_c = 70.0, .temp_case_max_c = NAN,
                                   .power_max_w = 6.0, .energy_j = 5.0, .battery_wh = -1,
                                   .battery_min_wh = -1};
        ts_trace_link_window lw = {.link = 0, .direction = 0, .start_ns = 0,
                                   .end_ns = 1000000000LL, .samples = 2, .up_samples = 2,
                                   .utilisation_sum = 1.0, .utilisation_max = 0.5,
                                   .queue_max_bytes = 400, .queue_sum_bytes = 400,
                                   .sent_packets = 20};
        assert_int_equal(ts_trace_append_node_window(w, &nw, &err), TS_OK);
        assert_int_equal(ts_trace_append_link_window(w, &lw, &err), TS_OK);
    }
    ts_trace_topic_window tw = {.topic = 0, .publisher = 0, .subscriber = 1, .start_ns = 0,
                                .end_ns = 1000000000LL, .delivered = 4, .met = 3, .lost = 1,
                                .max_latency_ns = 3500000};
    ts_hist_pair h[3] = {{ts_hist_bucket(1000000), 2}, {ts_hist_bucket(2000000), 1},
                         {ts_hist_bucket(3500000), 1}};
    ts_trace_job_window jw = {.component = 0, .node = 0, .start_ns = 0,
                              .end_ns = 1000000000LL, .finished = 2, .met = 2,
                              .max_response_ns = 200000};
    ts_hist_pair jh = {ts_hist_bucket(200000), 2};
    switch (bad) {
    case FULL_WITH_ROWS: break;
    case MET_OVER: tw.met = 5; break;
    case HIST_SUM: h[0].count = 3; break;
    case HIST_ORDER: h[2].bucket = h[0].bucket; break;
    case MAX_BUCKET: tw.max_latency_ns = 100; break;
    case SPAN: tw.end_ns = tw.start_ns; break;
    case JOB_MET: jw.met = 3; break;
    default: break;
    }
    assert_int_equal(ts_trace_append_topic_window(w, &tw, h, 3, &err), TS_OK);
    assert_int_equal(ts_trace_append_job_window(w, &jw, &jh, 1, &err), TS_OK);
    ts_trace_writer_set_finished(w);
    assert_int_equal(ts_trace_writer_commit(w, &err), TS_OK);
}

static void test_round_trip(void **state)
{
    fixture *f = *state;
    write_example(f->path, TS_TRACE_LEVEL_SUMMARY, OK);
    ts_trace *t = NULL;
    ts_error err;
    assert_int_equal(ts_trace_load(f->path, &t, &err), TS_OK);
    assert_int_equal(t->format_version, TS_TRACE_FORMAT_VERSION);
    assert_int_equal(t->level, TS_TRACE_LEVEL_SUMMARY);
    assert_true(t->summary_window_ns == 1000000000LL);
    assert_string_equal(t->filter, "");
    assert_int_equal(t->n_topic_windows, 1);
    assert_int_equal(t->n_job_windows, 1);
    assert_int_equal(t->n_histogram_buckets, 4);
    const ts_trace_topic_window *tw = &t->topic_windows[0];
    assert_int_equal(tw->delivered, 4);
    assert_int_equal(tw->met, 3);
    assert_int_equal(tw->lost, 1);
    assert_int_equal(tw->hist_first, 0);
    assert_int_equal(tw->hist_buckets, 3);
    /* The job window's buckets follow the topic window's. */
    assert_int_equal(t->job_windows[0].hist_first, 3);
    assert_int_equal(t->job_windows[0].hist_buckets, 1);
    assert_int_equal(t->histogram_buckets[3].count, 2);
    ts_trace_free(t);
}

static void expect_refused(const fixture *f, int level, int bad, const char *words)
{
    write_example(f->path, level, bad);
    ts_trace *t = (ts_trace *)1;
    ts_error err;
    assert_int_equal(ts_trace_load(f->path, &t, &err), TS_EFORMAT);
    assert_null(t);
    if (!strstr(err.msg, words))
        fail_msg("case %d: \"%s\" lacks \"%s\"", bad, err.msg, words);
}

static void test_impossible_counts_refused(void **state)
{
    fixture *f = *state;
    expect_refused(f, TS_TRACE_LEVEL_SUMMARY, MET_OVER,
                   "/topic_windows row 0: met 5 exceeds delivered 4");
    expect_refused(f, TS_TRACE_LEVEL_SUMMARY, HIST_SUM,
                   "/topic_windows row 0: its histogram holds 5 values, its counts say 4");
    expect_refused(f, TS_TRACE_LEVEL_SUMMARY, HIST_ORDER, "/histogram_buckets row 2");
    expect_refused(f, TS_TRACE_LEVEL_SUMMARY, MAX_BUCKET,
                   "/topic_windows row 0: greatest value 100 does not match");
    expect_refused(f, TS_TRACE_LEVEL_SUMMARY, SPAN, "/topic_windows row 0: window");
    expect_refused(f, TS_TRACE_LEVEL_SUMMARY, JOB_MET,
                   "/job_windows row 0: met 3 exceeds finished 2");
    /* Summary rows in a trace that says it is full. */
    expect_refused(f, TS_TRACE_LEVEL_FULL, OK, "a full trace has rows in /topic_windows");
}

static void test_missing_table_refused(void **state)
{
    fixture *f = *state;
    static const char *const tables[] = {"/topic_windows", "/job_windows",
                                         "/histogram_buckets"};
    for (size_t i = 0; i < 3; i++) {
        write_example(f->path, TS_TRACE_LEVEL_SUMMARY, OK);
        hid_t file = H5Fopen(f->path, H5F_ACC_RDWR, H5P_DEFAULT);
        assert_true(file >= 0);
        assert_true(H5Ldelete(file, tables[i], H5P_DEFAULT) >= 0);
        H5Fclose(file);
        ts_trace *t = (ts_trace *)1;
        ts_error err;
        assert_int_equal(ts_trace_load(f->path, &t, &err), TS_EFORMAT);
        assert_null(t);
        if (!strstr(err.msg, tables[i]))
            fail_msg("\"%s\" does not name %s", err.msg, tables[i]);
    }
}

/* Rewrites a summary trace as format version 4 wrote it: no window
 * tables, no state_window_ns. */
static void make_version4(const char *path)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(file >= 0);
    assert_true(H5Ldelete(file, "/node_windows", H5P_DEFAULT) >= 0);
    assert_true(H5Ldelete(file, "/link_windows", H5P_DEFAULT) >= 0);
    assert_true(H5Adelete_by_name(file, "/meta", "state_window_ns", H5P_DEFAULT) >= 0);
    hid_t a = H5Aopen(file, "format_version", H5P_DEFAULT);
    int32_t v = 4;
    assert_true(a >= 0 && H5Awrite(a, H5T_NATIVE_INT32, &v) >= 0);
    H5Aclose(a);
    H5Fclose(file);
}

/* The node and link health of the example: the same figures from the
 * windows (format 5) as from the rows of a format 4 summary trace. */
static void check_health(const ts_trace *t)
{
    ts_validation *v = NULL;
    ts_error err;
    assert_int_equal(ts_validate(t, &v, &err), TS_OK);
    assert_int_equal(v->n_nodes, 1);
    assert_true(v->nodes[0].temp_peak_c == 70.0);
    assert_true(v->nodes[0].cpu_peak == 0.5);
    assert_true(v->nodes[0].cpu_mean == 0.375);
    assert_true(v->nodes[0].power_peak_w == 6.0);
    assert_true(v->nodes[0].energy_j == 5.0);
    assert_true(v->nodes[0].up_fraction == 1.0);
    assert_int_equal(v->n_links, 1);
    assert_true(v->links[0].util_peak == 0.5);
    assert_true(v->links[0].util_mean == 0.5);
    assert_true(v->links[0].queue_peak_fraction == 0.4);
    assert_int_equal(v->links[0].sent, 20);
    /* 200 B queued on average at 1 Gbit/s: 1.6 us over 1 ms. */
    assert_true(v->links[0].inflation == (1e-3 + 400.0 * 8 / 1e9 / 2) / 1e-3);
    ts_validation_free(v);
}

static void test_state_windows(void **state)
{
    fixture *f = *state;
    write_example(f->path, TS_TRACE_LEVEL_SUMMARY, OK);
    ts_trace *t = NULL;
    ts_error err;
    assert_int_equal(ts_trace_load(f->path, &t, &err), TS_OK);
    assert_true(t->state_window_ns == 1000000000LL);
    assert_int_equal(t->n_node_windows, 1);
    assert_int_equal(t->n_link_windows, 1);
    assert_int_equal(t->n_node_state + t->n_link_state, 0);
    check_health(t);
    ts_trace_free(t);
}

static void test_version4_summary_loads(void **state)
{
    fixture *f = *state;
    write_example(f->path, TS_TRACE_LEVEL_SUMMARY, STATE_ROWS);
    make_version4(f->path);
    ts_trace *t = NULL;
    ts_error err;
    if (ts_trace_load(f->path, &t, &err) != TS_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(t->format_version, 4);
    assert_int_equal(t->level, TS_TRACE_LEVEL_SUMMARY);
    assert_true(t->state_window_ns == 0);
    assert_int_equal(t->n_node_windows + t->n_link_windows, 0);
    assert_int_equal(t->n_node_state, 2);
    assert_int_equal(t->n_link_state, 2);
    check_health(t);
    ts_trace_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_impossible_counts_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_table_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_windows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version4_summary_loads, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
