/* Tests of the trace's summary tables (format version 4, src/trace/):
 * windows and their histograms round-trip, /meta says the level, and the
 * reader refuses (exit 2 at the command line) summary tables that are
 * missing, in a full trace, or hold impossible counts, naming the table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "toposim/trace.h"

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
enum { OK, MET_OVER, HIST_SUM, HIST_ORDER, MAX_BUCKET, SPAN, JOB_MET, FULL_WITH_ROWS };

/* One node, two components, one topic; a topic window of 5 samples (4
 * delivered at 1.0, 1.0, 2.0 and 3.5 ms, 3 within a 3 ms budget, 1
 * lost) and a job window of 2 jobs. */
static void write_example(const char *path, int level, int bad)
{
    ts_trace_meta meta = {"summary-unit", "unit.xml", "<scenario/>", 1, 1000000000LL, "",
                          0, 0, 0, level, "", -1, -1, level ? 1000000000LL : 0};
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
    assert_int_equal(t->format_version, 4);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_impossible_counts_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_table_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
