/*
 * The example scenarios of the platform models, run through the library
 * and checked in their traces: a Jetson in a hot ambient throttles and its
 * control deadlines start to miss; a Wi-Fi loss burst makes the camera
 * topic lose frames during the burst and only then; four quarter-GPU
 * pipelines on one time-sliced GPU answer, every period, at the times the
 * round robin gives by hand; a shared Wi-Fi medium's air time is in
 * /medium_state, the sum of its links' share.
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
#include <unistd.h>
#include <cmocka.h>

#include "toposim/scenario.h"
#include "toposim/sim.h"
#include "toposim/trace.h"
#include "toposim/world.h"

#include "scenario_run.h"

static const ts_trace_event *first_event(const ts_trace *t, const char *kind)
{
    return scenario_event(t, kind, -1, 0);
}

static void test_hot_jetson_throttles_and_control_misses(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("scenarios/jetson-thermal-throttle.xml");
    int jetson = ROW(t, nodes, "h1_jetson");
    int control = ROW(t, components, "control_loop");
    assert_true(jetson >= 0 && control >= 0);

    const ts_trace_event *th = first_event(t, "throttle");
    assert_non_null(th);
    assert_int_equal(th->node, jetson);
    assert_true(fabs(th->value - 99.0) < 1e-6);   /* the module's trip point */
    ts_time at = th->time_ns;
    assert_true(at > 60 * TS_S && at < 200 * TS_S);

    /* Before the trip every control job meets its deadline; after it,
     * jobs miss. */
    size_t before = 0, missed_after = 0;
    for (size_t i = 0; i < t->n_jobs; i++) {
        const ts_trace_job *j = &t->jobs[i];
        if (j->component != control)
            continue;
        int met = j->finish_ns >= 0 && j->finish_ns <= j->deadline_ns;
        if (j->deadline_ns < at) {
            before++;
            if (!met)
                fail_msg("control job %llu missed before the throttle",
                         (unsigned long long)j->seq);
        } else if (!met) {
            missed_after++;
        }
    }
    assert_true(before > 10000);
    assert_true(missed_after > 1000);

    /* The samples show the die heating to the trip and the clock cut to
     * 60% of 2 GHz while throttled. */
    int saw_throttled = 0;
    double hottest_before = 0;
    for (size_t i = 0; i < t->n_node_state; i++) {
        const ts_trace_node_state *n = &t->node_state[i];
        if (n->node != jetson)
            continue;
        if (n->time_ns < at && n->temp_die_c > hottest_before)
            hottest_before = n->temp_die_c;
        if (n->throttle_level == 1) {
            saw_throttled = 1;
            assert_true(fabs(n->cpu_freq_hz - 1.2e9) < 1.0);
        }
    }
    assert_true(saw_throttled);
    assert_true(hottest_before < 99.0 && hottest_before > 90.0);

    /* Energy: the integral of the recorded mean power over the sample
     * windows equals the energy counter within 0.1 %. */
    double integral = 0, energy = 0;
    ts_time prev = 0;
    for (size_t i = 0; i < t->n_node_state; i++) {
        const ts_trace_node_state *n = &t->node_state[i];
        if (n->node != jetson)
            continue;
        integral += n->power_w * (double)(n->time_ns - prev) / 1e9;
        prev = n->time_ns;
        energy = n->energy_j;
    }
    assert_int_equal(prev, 200 * TS_S);
    assert_true(energy > 200 * 10.0);  /* well above idle power */
    assert_true(fabs(integral - energy) <= 1e-3 * energy);
    ts_trace_free(t);
}

static void test_wifi_loss_burst_drops_camera_frames(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("scenarios/wifi-loss-burst.xml");
    int camera = ROW(t, topics, "camera_image");
    int joints = ROW(t, topics, "joint_states");
    int wifi = ROW(t, links, "wifi");
    assert_true(camera >= 0 && joints >= 0 && wifi >= 0);

    const ts_trace_event *burst = first_event(t, "fault:loss-burst");
    const ts_trace_event *recover = first_event(t, "recover:loss-burst");
    assert_non_null(burst);
    assert_non_null(recover);
    assert_int_equal(burst->time_ns, 3 * TS_S);
    assert_int_equal(recover->time_ns, 4 * TS_S);
    assert_int_equal(burst->link, wifi);

    size_t lost = 0, delivered = 0;
    for (size_t i = 0; i < t->n_messages; i++) {
        const ts_trace_message *m = &t->messages[i];
        if (m->topic == joints)
            assert_int_equal(m->status, TS_MSG_DELIVERED);
        if (m->topic != camera)
            continue;
        if (m->status == TS_MSG_LOST) {
            lost++;
            /* A frame is lost only if it was on the air during the burst:
             * sent at most one transfer time (~13 ms) before it. */
            assert_true(m->send_ns >= 3 * TS_S - 20 * TS_MS && m->send_ns < 4 * TS_S);
        } else if (m->status == TS_MSG_DELIVERED) {
            delivered++;
        }
    }
    /* 30% packet loss in bursts of 8 over a frame's ~630 packets: almost
     * every one of the ~30 frames of the burst second is lost. */
    assert_true(lost >= 25);
    assert_true(delivered >= 140);

    /* The link's samples show the lost packets in the burst's windows. */
    uint64_t lost_in = 0, lost_out = 0;
    for (size_t i = 0; i < t->n_link_state; i++) {
        const ts_trace_link_state *l = &t->link_state[i];
        if (l->link != wifi)
            continue;
        if (l->time_ns > 3 * TS_S && l->time_ns <= 4 * TS_S + 100 * TS_MS)
            lost_in += l->lost_packets;
        else
            lost_out += l->lost_packets;
    }
    assert_true(lost_in > 100);
    assert_int_equal(lost_out, 0);
    ts_trace_free(t);
}

/* scenarios/shared-gpu.xml: four pipelines with gpus="0.25" share one
 * GPU of the edge server, timeslice 1 ms. Every 100 ms period repeats the
 * schedule written out in tests/unit/test_compute.c
 * (test_gpu_time_slices): responses 7.4, 7.9, 4 and 6.4 ms to the
 * nanosecond. The whole-GPU detector, on the other GPU, answers in its
 * own 1 + 30 ms. */
static const char *const gpu_ids[] = {"vision_0", "vision_1", "vision_2", "vision_3",
                                      "detector"};

/* Every finished job of each of gpu_ids answers in want[k]; ten each. */
static void check_gpu_responses(const ts_trace *t, const ts_time *want)
{
    const char *const *ids = gpu_ids;
    for (int k = 0; k < 5; k++) {
        int row = ROW(t, components, ids[k]);
        size_t n = 0;
        for (size_t i = 0; i < t->n_jobs; i++) {
            const ts_trace_job *j = &t->jobs[i];
            if (j->component != row || j->finish_ns < 0)
                continue;
            if (j->finish_ns - j->release_ns != want[k])
                fail_msg("%s job %llu: response %lld ns, want %lld", ids[k],
                         (unsigned long long)j->seq,
                         (long long)(j->finish_ns - j->release_ns),
                         (long long)want[k]);
            n++;
        }
        assert_int_equal(n, 10);   /* 1 s at 10 Hz */
    }
}

static void test_shared_gpu_time_slices(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("scenarios/shared-gpu.xml");
    static const ts_time want[] = {7400 * TS_US, 7900 * TS_US, 4 * TS_MS,
                                   6400 * TS_US, 31 * TS_MS};
    check_gpu_responses(t, want);
    ts_trace_free(t);
}

/* The same pipelines on hard partitions (gpu-sharing="partition"): each
 * kernel at a quarter of the GPU, at once: CPU part + 4 x kernel. */
static void test_shared_gpu_partitions(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("tests/e2e/shared-gpu-partition.xml");
    static const ts_time want[] = {13 * TS_MS, 11 * TS_MS, 5500 * TS_US,
                                   4800 * TS_US, 31 * TS_MS};
    check_gpu_responses(t, want);
    ts_trace_free(t);
}

/* tests/e2e/medium-airtime.xml: two cameras share the Wi-Fi medium "air";
 * each frame is 1 ms of air time, ten per camera per 100 ms window, so
 * /medium_state reads 0.2 in every window, the sum of the two links'
 * directions in /link_state, with 20 packets sent. At the summary level a
 * row covers a state window, with the same air time. */
static void test_medium_air_time(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("tests/e2e/medium-airtime.xml");
    assert_int_equal(t->n_media, 1);
    assert_string_equal(t->media[0].name, "air");
    assert_int_equal(t->media[0].links, 2);
    assert_true(t->media[0].capacity_bps == 100e6);
    int w1 = ROW(t, links, "wifi_r1"), w2 = ROW(t, links, "wifi_r2");
    assert_int_equal(t->n_medium_state, 10);
    for (size_t i = 0; i < t->n_medium_state; i++) {
        const ts_trace_medium_state *m = &t->medium_state[i];
        assert_int_equal(m->medium, 0);
        assert_int_equal(m->time_ns, (int64_t)(i + 1) * 100 * TS_MS);
        assert_int_equal(m->window_ns, 100 * TS_MS);
        assert_true(fabs(m->utilisation - 0.2) < 1e-12);
        assert_int_equal(m->sent_packets, 20);
        assert_int_equal(m->dropped_packets, 0);
        double links = 0;
        for (size_t k = 0; k < t->n_link_state; k++) {
            const ts_trace_link_state *l = &t->link_state[k];
            if (l->time_ns == m->time_ns && (l->link == w1 || l->link == w2))
                links += l->utilisation;
        }
        assert_true(fabs(links - m->utilisation) < 1e-12);
    }
    ts_trace_free(t);

    ts_run_options o = {.trace_level = TS_TRACE_LEVEL_SUMMARY};
    t = scenario_run_with("tests/e2e/medium-airtime.xml", &o);
    assert_true(t->state_window_ns > 0);
    assert_true(t->n_medium_state > 0);
    int64_t covered = 0;
    for (size_t i = 0; i < t->n_medium_state; i++) {
        const ts_trace_medium_state *m = &t->medium_state[i];
        if (i + 1 < t->n_medium_state)
            assert_int_equal(m->window_ns, t->state_window_ns);
        assert_true(fabs(m->utilisation - 0.2) < 1e-12);
        covered += m->window_ns;
    }
    assert_int_equal(covered, TS_S);
    ts_trace_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hot_jetson_throttles_and_control_misses),
        cmocka_unit_test(test_wifi_loss_burst_drops_camera_frames),
        cmocka_unit_test(test_shared_gpu_time_slices),
        cmocka_unit_test(test_shared_gpu_partitions),
        cmocka_unit_test(test_medium_air_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
