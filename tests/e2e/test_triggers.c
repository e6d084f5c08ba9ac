/*
 * Components released by what happens rather than by a timer: a chain of
 * two triggered stages against a schedule worked out by hand to the
 * nanosecond, a KEEP_LAST 1 subscription overwriting samples its callback
 * had not taken (queue_drop), and a sporadic source with drawn message
 * sizes on a fleet, whose copies each trigger on their own robot's topic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "scenario_run.h"
#include "toposim/trace.h"
#include "toposim/world.h"

#define US 1000LL
#define MS 1000000LL

/* The nth job of a component (row), or NULL. */
static const ts_trace_job *job_of(const ts_trace *t, int component, uint64_t seq)
{
    for (size_t i = 0; i < t->n_jobs; i++)
        if (t->jobs[i].component == component && t->jobs[i].seq == seq)
            return &t->jobs[i];
    return NULL;
}

static size_t jobs_of(const ts_trace *t, int component)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_jobs; i++)
        n += t->jobs[i].component == component;
    return n;
}

/* The nth delivered sample of a topic to a subscriber, in trace order. */
static const ts_trace_message *delivered(const ts_trace *t, int topic, int subscriber, size_t nth)
{
    for (size_t i = 0; i < t->n_messages; i++) {
        const ts_trace_message *m = &t->messages[i];
        if (m->topic == topic && m->subscriber == subscriber && m->status == TS_MSG_DELIVERED &&
            nth-- == 0)
            return m;
    }
    return NULL;
}

static void expect_job(const ts_trace_job *j, int64_t release, int64_t start, int64_t finish)
{
    assert_non_null(j);
    assert_int_equal(j->release_ns, release);
    assert_int_equal(j->start_ns, start);
    assert_int_equal(j->finish_ns, finish);
}

/* camera (cam_cpu) releases every 10 ms, runs 1 ms; its 1000-byte image
 * crosses the link in 8 us + 100 us; the detector (det_cpu) runs 2 ms on
 * it; its objects cross back in 108 us; the controller (cam_cpu, idle
 * then) runs 500 us. Per frame k at 10k ms:
 *   camera     release 10k         finish 10k + 1
 *   detector   release 10k + 1.108 finish 10k + 3.108
 *   controller release 10k + 3.216 finish 10k + 3.716 */
static void test_two_stage_trigger_timeline(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("tests/e2e/trigger-chain.xml");
    int cam = ROW(t, components, "camera");
    int det = ROW(t, components, "detector");
    int ctl = ROW(t, components, "controller");
    int image = ROW(t, topics, "image");
    int objects = ROW(t, topics, "objects");
    for (int64_t k = 0; k < 3; k++) {
        int64_t base = 10 * MS * k;
        expect_job(job_of(t, cam, (uint64_t)k), base, base, base + MS);
        expect_job(job_of(t, det, (uint64_t)k), base + 1108 * US, base + 1108 * US,
                   base + 3108 * US);
        expect_job(job_of(t, ctl, (uint64_t)k), base + 3216 * US, base + 3216 * US,
                   base + 3716 * US);
        /* each triggered job is released at its sample's delivery */
        assert_int_equal(delivered(t, image, det, (size_t)k)->recv_ns,
                         job_of(t, det, (uint64_t)k)->release_ns);
        assert_int_equal(delivered(t, objects, ctl, (size_t)k)->recv_ns,
                         job_of(t, ctl, (uint64_t)k)->release_ns);
    }
    /* one job per sample, none on a timer */
    assert_int_equal(jobs_of(t, det), 3);
    assert_int_equal(jobs_of(t, ctl), 3);
    assert_int_equal(scenario_count(t, "queue_drop"), 0);
    ts_trace_free(t);
}

/* camera: 1 kHz, 100 us a job; its samples reach the detector at
 * d_k = k ms + 208.48 us (the DDS layer's header adds 480 ns at 1 Gbps).
 * The detector (2.4 ms a job, KEEP_LAST 1):
 *   d_0: job 0 runs d_0 .. d_0 + 2.4 ms
 *   d_1 waits; d_2 overwrites it (queue_drop of sample 1)
 *   d_0 + 2.4 ms: job 1, released (ready) at d_1, takes sample 2
 *   d_3 waits; d_4 overwrites it (queue_drop of sample 3)
 *   the run ends at 5 ms with job 1 running and job 2 (ready at d_3,
 *   holding sample 4) waiting. */
static void test_keep_last_overwrite_is_a_queue_drop(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("tests/e2e/trigger-keep-last.xml");
    int det = ROW(t, components, "detector");
    int image = ROW(t, topics, "image");
    int64_t d[5];
    for (size_t k = 0; k < 5; k++) {
        const ts_trace_message *m = delivered(t, image, det, k);
        assert_non_null(m);
        d[k] = m->recv_ns;
        assert_int_equal(d[k], (int64_t)k * MS + 208480);
    }
    assert_int_equal(scenario_count(t, "queue_drop"), 2);
    const ts_trace_event *e1 = scenario_event(t, "queue_drop", det, 0);
    const ts_trace_event *e2 = scenario_event(t, "queue_drop", det, 1);
    assert_non_null(e1);
    assert_non_null(e2);
    assert_int_equal(e1->time_ns, d[2]);
    assert_int_equal(e2->time_ns, d[4]);
    assert_int_equal((uint64_t)e1->value, delivered(t, image, det, 1)->seq);
    assert_int_equal((uint64_t)e2->value, delivered(t, image, det, 3)->seq);
    assert_int_equal(e1->node, ROW(t, nodes, "det_cpu"));
    expect_job(job_of(t, det, 0), d[0], d[0], d[0] + 2400 * US);
    expect_job(job_of(t, det, 1), d[1], d[0] + 2400 * US, -1);
    expect_job(job_of(t, det, 2), d[3], -1, -1);
    assert_int_equal(jobs_of(t, det), 3);
    ts_trace_free(t);
}

/* Sporadic releases are at least min-interarrival apart and at most that
 * plus the gap's largest value; drawn sizes stay in their range and vary;
 * each fleet copy's consumer runs once per sample of its own robot. */
static void test_sporadic_source_sizes_and_fleet(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("tests/e2e/trigger-sporadic.xml");
    const char *robots[] = {"", "_r1", "_r2"};
    for (int r = 0; r < 3; r++) {
        char ev_name[32], con_name[32], top_name[32];
        snprintf(ev_name, sizeof ev_name, "events%s", robots[r]);
        snprintf(con_name, sizeof con_name, "consumer%s", robots[r]);
        snprintf(top_name, sizeof top_name, "frames%s", robots[r]);
        int ev = ROW(t, components, ev_name);
        int con = ROW(t, components, con_name);
        int top = ROW(t, topics, top_name);
        size_t n = jobs_of(t, ev);
        assert_true(n > 250);   /* 2 s at 5-7 ms */
        int64_t prev = -1;
        for (uint64_t k = 0; k < n; k++) {
            const ts_trace_job *j = job_of(t, ev, k);
            assert_non_null(j);
            if (prev >= 0) {
                assert_true(j->release_ns - prev >= 5 * MS);
                assert_true(j->release_ns - prev <= 7 * MS);
            }
            prev = j->release_ns;
        }
        size_t samples = 0, finished = 0;
        int64_t lo = INT64_MAX, hi = 0;
        for (size_t i = 0; i < t->n_messages; i++) {
            const ts_trace_message *m = &t->messages[i];
            if (m->topic != top)
                continue;
            assert_int_equal(m->subscriber, con);
            samples += m->status == TS_MSG_DELIVERED;
            lo = m->bytes < lo ? m->bytes : lo;
            hi = m->bytes > hi ? m->bytes : hi;
        }
        assert_true(lo >= 10 * 1024 && hi <= 900 * 1024 && hi > lo);
        for (uint64_t k = 0; k < jobs_of(t, con); k++) {
            const ts_trace_job *j = job_of(t, con, k);
            finished += j->finish_ns >= 0;
            /* released at the delivery of its own robot's k-th sample */
            assert_int_equal(j->release_ns, delivered(t, top, con, (size_t)k)->recv_ns);
        }
        assert_int_equal(jobs_of(t, con), samples);
        assert_true(finished + 1 >= samples);
    }
    ts_trace_free(t);
}

/* The same scenario and seed give the same arrivals and sizes; another
 * seed gives others. */
static void test_arrivals_and_sizes_follow_the_seed(void **state)
{
    (void)state;
    ts_run_options other = {.override_seed = 1, .seed = 8};
    ts_trace *a = scenario_run("tests/e2e/trigger-sporadic.xml");
    ts_trace *b = scenario_run("tests/e2e/trigger-sporadic.xml");
    ts_trace *c = scenario_run_with("tests/e2e/trigger-sporadic.xml", &other);
    assert_int_equal(a->n_jobs, b->n_jobs);
    assert_int_equal(a->n_messages, b->n_messages);
    assert_memory_equal(a->jobs, b->jobs, a->n_jobs * sizeof *a->jobs);
    assert_memory_equal(a->messages, b->messages, a->n_messages * sizeof *a->messages);
    int differ = a->n_messages != c->n_messages;
    for (size_t i = 0; !differ && i < a->n_messages; i++)
        differ = a->messages[i].bytes != c->messages[i].bytes ||
                 a->messages[i].send_ns != c->messages[i].send_ns;
    assert_true(differ);
    ts_trace_free(a);
    ts_trace_free(b);
    ts_trace_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_stage_trigger_timeline),
        cmocka_unit_test(test_keep_last_overwrite_is_a_queue_drop),
        cmocka_unit_test(test_sporadic_source_sizes_and_fleet),
        cmocka_unit_test(test_arrivals_and_sizes_follow_the_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
