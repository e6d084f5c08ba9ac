/*
 * The summary level's node and link windows (src/sim/sampler_windows.c):
 * how long they are for a scenario's size, where they end (each multiple
 * of the window length, a power mode change, the end) and what they fold
 * (greatest, least, sums and counts of their samples), written and read
 * back through the trace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/sampler_windows.h"
#include "toposim/scenario.h"
#include "toposim/trace.h"

#define MS 1000000LL

/* A scenario of `computers` compute nodes, `switches` switches and
 * `links` links, sampled every period_ns. */
static ts_scenario *sized(size_t computers, size_t switches, size_t links, int64_t period_ns)
{
    ts_scenario *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->n_nodes = computers + switches;
    s->nodes = calloc(s->n_nodes ? s->n_nodes : 1, sizeof *s->nodes);
    assert_non_null(s->nodes);
    for (size_t i = 0; i < s->n_nodes; i++)
        s->nodes[i].kind = i < computers ? TS_NODE_COMPUTER : TS_NODE_SWITCH;
    s->n_links = links;
    s->sample_period_ns = period_ns;
    return s;
}

static void unsized(ts_scenario *s)
{
    free(s->nodes);
    free(s);
}

/* The window: (32 B x compute nodes + 4 B x link directions) / 40 KiB
 * per simulated second, rounded up to whole sample periods. */
static void test_window_length(void **state)
{
    (void)state;
    /* humanoid-basic: 5 compute nodes, 4 switches, 8 links: one period. */
    ts_scenario *s = sized(5, 4, 8, 100 * MS);
    assert_true(ts__state_window_ns(s) == 100 * MS);
    unsized(s);
    /* Its robot copied to 1000: 2002 compute nodes, 3004 links; 88,096 B
     * a window at 40,960 B/s is 2.15 s, so 2.2 s. */
    s = sized(2002, 1003, 3004, 100 * MS);
    assert_true(ts__state_window_ns(s) == 2200 * MS);
    unsized(s);
    /* Ten times as many: ten times as long, to the period. */
    s = sized(20002, 10003, 30004, 100 * MS);
    assert_true(ts__state_window_ns(s) == 21500 * MS);
    unsized(s);
    /* A longer sample period is the least window. */
    s = sized(5, 4, 8, 1000 * MS);
    assert_true(ts__state_window_ns(s) == 1000 * MS);
    unsized(s);
    /* No samples: any positive length (none is written). */
    s = sized(5, 4, 8, 0);
    assert_true(ts__state_window_ns(s) > 0);
    unsized(s);
}

/* Ten samples of one node, 100 ms apart, into 300 ms windows; the power
 * mode changes from "A" to "B" at 600 ms. Windows: (0, 300], (300, 500]
 * (the mode changes next), (500, 600] (600 ms is a multiple), (600, 900],
 * (900, 1000] (the end). */
static void test_window_cuts_and_folds(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_sampler_windows_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/w.h5", dir);
    ts_trace_meta meta = {"windows-unit", "unit.xml", "<scenario/>", 1, 1000 * MS, "", 0, 0, 0,
                          TS_TRACE_LEVEL_SUMMARY, "", -1, -1, 1000 * MS, 300 * MS};
    ts_trace_writer *w = NULL;
    ts_error err;
    assert_int_equal(ts_trace_writer_open(path, &meta, &w, &err), TS_OK);
    ts_trace_node node = {.name = "n0", .cores = 4, .memory_bytes = 1000, .site_row = -1,
                          .throttle_c = NAN, .shutdown_c = NAN};
    ts_trace_link link = {.name = "l0", .node_a = 0, .node_b = 0, .latency_ns = MS,
                          .bandwidth_bps = 1e9, .queue_bytes = 1000, .medium = -1};
    assert_int_equal(ts_trace_write_nodes(w, &node, 1, &err), TS_OK);
    assert_int_equal(ts_trace_write_links(w, &link, 1, &err), TS_OK);
    ts_scenario *s = sized(1, 0, 1, 100 * MS);
    ts__state_windows *sw = NULL;
    assert_int_equal(ts__state_windows_new(s, w, 300 * MS, &sw, &err), TS_OK);
    for (int i = 1; i <= 10; i++) {
        int64_t t = i * 100 * MS;
        ts_trace_node_state ns = {.node = 0, .up = i != 4, .time_ns = t, .cpu_util = 0.1 * i,
                                  .throttle_level = i == 2 || i == 7,
                                  .cpu_freq_hz = 1e9 * (11 - i), .memory_used_bytes = 10 * i,
                                  .temp_die_c = 40.0 + i, .temp_case_c = NAN,
                                  .power_w = i == 3 ? 9.0 : 5.0, .energy_j = 0.5 * i,
                                  .battery_wh = 100.0 - i};
        snprintf(ns.power_mode, sizeof ns.power_mode, "%s", i <= 5 ? "A" : "B");
        ts_trace_link_state ls = {.link = 0, .direction = 1, .time_ns = t, .utilisation = 0.5,
                                  .queue_bytes = 100 * i, .up = 1, .sent_packets = 3,
                                  .dropped_packets = i == 9, .lost_packets = 1};
        assert_int_equal(ts__state_windows_node(sw, &ns, t - 100 * MS, &err), TS_OK);
        assert_int_equal(ts__state_windows_link(sw, &ls, t - 100 * MS, &err), TS_OK);
    }
    assert_int_equal(ts__state_windows_finish(sw, &err), TS_OK);
    ts__state_windows_free(sw);
    unsized(s);
    ts_trace_writer_set_finished(w);
    assert_int_equal(ts_trace_writer_commit(w, &err), TS_OK);

    ts_trace *t = NULL;
    if (ts_trace_load(path, &t, &err) != TS_OK)
        fail_msg("%s", err.msg);
    assert_true(t->state_window_ns == 300 * MS);
    static const int64_t ends[] = {300, 500, 600, 900, 1000};
    static const int samples[] = {3, 2, 1, 3, 1};
    assert_int_equal(t->n_node_windows, 5);
    int64_t start = 0;
    for (size_t i = 0; i < 5; i++) {
        const ts_trace_node_window *nw = &t->node_windows[i];
        assert_true(nw->start_ns == start);
        assert_true(nw->end_ns == ends[i] * MS);
        assert_int_equal(nw->samples, samples[i]);
        assert_string_equal(nw->power_mode, i < 2 ? "A" : "B");
        /* The last sample's is the greatest temperature, memory and use,
         * the least clock and battery. */
        int last = (int)(ends[i] / 100);
        assert_true(nw->temp_die_max_c == 40.0 + last);
        assert_true(isnan(nw->temp_case_max_c));
        assert_int_equal(nw->memory_max_bytes, 10 * last);
        assert_true(nw->cpu_util_max == 0.1 * last);
        assert_true(nw->cpu_freq_min_hz == 1e9 * (11 - last));
        assert_true(nw->battery_min_wh == 100.0 - last && nw->battery_wh == 100.0 - last);
        assert_true(nw->energy_j == 0.5 * last);
        start = nw->end_ns;
    }
    /* Sample 4 was down: the second window has one of two up. */
    assert_int_equal(t->node_windows[1].up_samples, 1);
    assert_true(t->node_windows[1].cpu_util_sum == 0.1 * 5);
    /* Throttled at the samples of 200 and 700 ms: a period each. */
    assert_true(t->node_windows[0].throttled_ns == 100 * MS);
    assert_true(t->node_windows[3].throttled_ns == 100 * MS);
    assert_true(t->node_windows[1].throttled_ns == 0);
    assert_true(t->node_windows[0].power_max_w == 9.0);
    assert_true(t->node_windows[1].power_max_w == 5.0);
    /* Links are cut at multiples only: (0, 300], (300, 600], (600, 900],
     * (900, 1000], one direction. */
    assert_int_equal(t->n_link_windows, 4);
    assert_int_equal(t->link_windows[1].samples, 3);
    assert_int_equal(t->link_windows[1].direction, 1);
    assert_true(t->link_windows[1].end_ns == 600 * MS);
    assert_int_equal(t->link_windows[1].queue_max_bytes, 600);
    assert_int_equal(t->link_windows[1].queue_sum_bytes, 400 + 500 + 600);
    assert_true(t->link_windows[1].utilisation_sum == 1.5);
    assert_int_equal(t->link_windows[2].sent_packets, 9);
    assert_int_equal(t->link_windows[2].dropped_packets, 1);
    assert_int_equal(t->link_windows[3].lost_packets, 1);
    ts_trace_free(t);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_length),
        cmocka_unit_test(test_window_cuts_and_folds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
