/*
 * Chains through topic-triggered stages, end to end, against schedules
 * worked out by hand to the nanosecond: a KEEP_LAST 1 queue overwriting
 * frames before its callback took them (tests/e2e/chain-trigger-drop.xml;
 * each overwritten frame is a dropped chain instance, one per queue_drop
 * event, and a miss in the chain's compliance), the same chain in one
 * process under the single-threaded and the events executor
 * (chain-executor.xml), same-node transports' latencies in data age
 * (chain-same-node.xml), and the ring overflow report counting the
 * lookups made at the end of the run (chain-ring-overflow.xml).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <math.h>

#include "scenario_run.h"
#include "toposim/scenario.h"
#include "toposim/trace.h"
#include "toposim/validate.h"
#include "toposim/world.h"

#define NS INT64_C(1)
#define US INT64_C(1000)
#define MS INT64_C(1000000)

/* Loads path with the --set overrides given, runs it, loads the trace. */
static ts_trace *run_set(const char *path, const char *const *sets, size_t n_sets)
{
    ts_scenario_options so = {.overrides = sets, .n_overrides = n_sets};
    ts_scenario *s = NULL;
    ts_plan *plan = NULL;
    ts_trace *t = NULL;
    ts_error err;
    ts_error_clear(&err);
    char trace[256];
    snprintf(trace, sizeof trace, "/tmp/toposim-chain-triggers-%ld.h5", (long)getpid());
    ts_run_options opts = {.trace_path = trace};
    int rc = ts_scenario_load(path, &so, &s, &err);
    if (rc == TS_OK)
        rc = ts_plan_new(s, &plan, &err);
    if (rc == TS_OK)
        rc = ts_world_run(s, plan, &opts, NULL, &err);
    if (rc == TS_OK)
        rc = ts_trace_load(trace, &t, &err);
    unlink(trace);
    ts_plan_free(plan);
    ts_scenario_free(s);
    if (rc != TS_OK) {
        char buf[1200];
        ts_error_format(&err, buf, sizeof buf);
        fail_msg("%s", buf);
    }
    return t;
}

static ts_validation *validate(const ts_trace *t)
{
    ts_validation *v = NULL;
    ts_error err;
    if (ts_validate(t, &v, &err) != TS_OK)
        fail_msg("validate: %s", err.msg);
    return v;
}

static const ts_gate *gate(const ts_validation *v, const char *name)
{
    for (size_t i = 0; i < v->n_gates; i++)
        if (strcmp(v->gates[i].name, name) == 0)
            return &v->gates[i];
    fail_msg("no gate %s", name);
    return NULL;
}

/* The component's job number seq: release, start, finish (-1: never). */
static void expect_job(const ts_trace *t, const char *component, uint64_t seq,
                       int64_t release, int64_t start, int64_t finish)
{
    int c = ROW(t, components, component);
    for (size_t i = 0; i < t->n_jobs; i++) {
        const ts_trace_job *j = &t->jobs[i];
        if (j->component != c || j->seq != seq)
            continue;
        if (j->release_ns != release || j->start_ns != start || j->finish_ns != finish)
            fail_msg("%s #%llu: release %lld start %lld finish %lld, expected %lld %lld %lld",
                     component, (unsigned long long)seq, (long long)j->release_ns,
                     (long long)j->start_ns, (long long)j->finish_ns, (long long)release,
                     (long long)start, (long long)finish);
        return;
    }
    fail_msg("%s has no job #%llu", component, (unsigned long long)seq);
}

static size_t jobs_of(const ts_trace *t, const char *component)
{
    int c = ROW(t, components, component);
    size_t n = 0;
    for (size_t i = 0; i < t->n_jobs; i++)
        n += t->jobs[i].component == c;
    return n;
}

static void expect_instance(const ts_trace *t, size_t row, int64_t input, int64_t output)
{
    assert_true(row < t->n_chain_instances);
    const ts_trace_chain_instance *in = &t->chain_instances[row];
    if (in->input_ns != input || in->output_ns != output || in->dropped != (output < 0))
        fail_msg("instance %zu: input %lld output %lld dropped %d, expected %lld %lld", row,
                 (long long)in->input_ns, (long long)in->output_ns, (int)in->dropped,
                 (long long)input, (long long)output);
}

/* The release of the job of `publisher` whose end sent sample seq of
 * topic to subscriber: the input stamp that sample carries when the
 * publisher is the chain's first stage. Derived from /messages and /jobs
 * alone. */
static int64_t stamp_of_sample(const ts_trace *t, int topic, int subscriber, uint64_t seq)
{
    for (size_t i = 0; i < t->n_messages; i++) {
        const ts_trace_message *m = &t->messages[i];
        if (m->topic != topic || m->subscriber != subscriber || m->seq != seq)
            continue;
        for (size_t k = 0; k < t->n_jobs; k++)
            if (t->jobs[k].component == m->publisher && t->jobs[k].finish_ns == m->send_ns)
                return t->jobs[k].release_ns;
    }
    fail_msg("no sample %llu", (unsigned long long)seq);
    return -1;
}

/*
 * chain-trigger-drop.xml. camera: released at 10k ms, ends 1 ms later and
 * sends frame k: 1000 B plus the DDS layer's 60-byte header (a topic with
 * qos= goes through it) at 1 Gbit/s is 8480 ns on the wire, then 100 us
 * of propagation, so frame k reaches vision at a_k = 10k + 1.108480 ms.
 *
 * vision (17 ms a job, KEEP_LAST 1; a job released while another runs
 * waits holding one frame, and a newer frame replaces the one it holds):
 *   V0 released a_0 1.108480, runs to 18.108480          frame 0 (stamp 0)
 *   V1 released a_1, starts 18.108480, ends 35.108480    frame 1 (10 ms)
 *   V2 released a_2 21.108480 with frame 2; frame 3 at a_3 31.108480
 *      overwrites it (queue_drop of sample 2); starts 35.108480, ends
 *      52.108480                                          frame 3 (30 ms)
 *   V3 released a_4 41.108480; a_5 51.108480 overwrites frame 4; starts
 *      52.108480, ends 69.108480                          frame 5 (50 ms)
 *   V4 released a_6 61.108480, starts 69.108480 (a_7 comes after its
 *      start), ends 86.108480                             frame 6 (60 ms)
 *   V5 released a_7 71.108480; a_8 81.108480 overwrites frame 7; starts
 *      86.108480, unfinished at 100 ms                    frame 8
 *   V6 released a_9 91.108480, waiting at the end         frame 9
 *
 * features (100 B, no qos=, no header): 800 ns + 100 us = 100.8 us.
 * detect (2 ms): released at V_j's end + 100.8 us, runs at once:
 *   D0 18.209280-20.209280 (input 0)     age 20.209280 ms
 *   D1 35.209280-37.209280 (input 10)    age 27.209280 ms
 *   D2 52.209280-54.209280 (input 30)    age 24.209280 ms
 *   D3 69.209280-71.209280 (input 50)    age 21.209280 ms
 *   D4 86.209280-88.209280 (input 60)    age 28.209280 ms
 * Dropped instances: the overwritten frames' stamps 20, 40 and 70 ms, each
 * found when the next job of vision (finished or not) takes its frame:
 * at 52.108480, 69.108480 and at the end of the run (V5 unfinished).
 */
static void test_keep_last_drops_are_dropped_instances(void **state)
{
    (void)state;
    ts_trace *t = run_set("tests/e2e/chain-trigger-drop.xml", NULL, 0);
    const int64_t a = 1108480 * NS;
    for (uint64_t k = 0; k < 10; k++)
        expect_job(t, "camera", k, (int64_t)k * 10 * MS, (int64_t)k * 10 * MS,
                   (int64_t)k * 10 * MS + MS);
    expect_job(t, "vision", 0, a, a, a + 17 * MS);
    expect_job(t, "vision", 1, a + 10 * MS, a + 17 * MS, a + 34 * MS);
    expect_job(t, "vision", 2, a + 20 * MS, a + 34 * MS, a + 51 * MS);
    expect_job(t, "vision", 3, a + 40 * MS, a + 51 * MS, a + 68 * MS);
    expect_job(t, "vision", 4, a + 60 * MS, a + 68 * MS, a + 85 * MS);
    expect_job(t, "vision", 5, a + 70 * MS, a + 85 * MS, -1);
    expect_job(t, "vision", 6, a + 90 * MS, -1, -1);
    assert_int_equal(jobs_of(t, "vision"), 7);
    const int64_t d = a + 17 * MS + 100800 * NS; /* 18.209280 ms */
    const int64_t vend[5] = {0, 17 * MS, 34 * MS, 51 * MS, 68 * MS};
    for (uint64_t j = 0; j < 5; j++)
        expect_job(t, "detect", j, d + vend[j], d + vend[j], d + vend[j] + 2 * MS);
    assert_int_equal(jobs_of(t, "detect"), 5);

    /* the queue_drop events: frames 2, 4 and 7 at a_3, a_5 and a_8; the
     * DDS layer numbers a writer's samples from 1 (RTPS sequence
     * numbers), so frame k is sample k + 1 */
    int vision = ROW(t, components, "vision");
    int image = ROW(t, topics, "image");
    assert_int_equal(scenario_count(t, "queue_drop"), 3);
    const uint64_t drop_seq[3] = {3, 5, 8};
    for (size_t i = 0; i < 3; i++) {
        const ts_trace_event *e = scenario_event(t, "queue_drop", vision, i);
        assert_non_null(e);
        assert_int_equal(e->time_ns, a + (int64_t)drop_seq[i] * 10 * MS);
        assert_int_equal((uint64_t)e->value, drop_seq[i]);
    }

    /* the instances, in the order they became known */
    assert_int_equal(t->n_chains, 1);
    assert_int_equal(t->n_chain_instances, 8);
    expect_instance(t, 0, 0, 20209280 * NS);
    expect_instance(t, 1, 10 * MS, 37209280 * NS);
    expect_instance(t, 2, 20 * MS, -1);
    expect_instance(t, 3, 30 * MS, 54209280 * NS);
    expect_instance(t, 4, 40 * MS, -1);
    expect_instance(t, 5, 50 * MS, 71209280 * NS);
    expect_instance(t, 6, 60 * MS, 88209280 * NS);
    expect_instance(t, 7, 70 * MS, -1);

    /* each dropped instance is one queue_drop: the overwritten sample's
     * stamp, found from /events, /messages and /jobs alone */
    size_t dropped = 0;
    for (size_t r = 0; r < t->n_chain_instances; r++) {
        const ts_trace_chain_instance *in = &t->chain_instances[r];
        if (!in->dropped)
            continue;
        const ts_trace_event *e = scenario_event(t, "queue_drop", vision, dropped++);
        assert_non_null(e);
        assert_int_equal(in->input_ns,
                         stamp_of_sample(t, image, vision, (uint64_t)e->value));
    }
    assert_int_equal(dropped, scenario_count(t, "queue_drop"));

    /* Scores: ages 20.209280, 21.209280, 24.209280, 27.209280,
     * 28.209280 ms; three within 25 ms, and the three dropped count as
     * misses: 3 of 8. Reaction times (output of a newer input minus the
     * input before it): 37.209280 - 0, 54.209280 - 10, 71.209280 - 30,
     * 88.209280 - 50 ms. */
    ts_validation *v = validate(t);
    const ts_chain_score *s = &v->chains[0];
    assert_int_equal(s->outputs, 5);
    assert_int_equal(s->dropped, 3);
    assert_int_equal(s->met, 3);
    assert_true(fabs(s->compliance - 3.0 / 8.0) < 1e-12);
    assert_true(s->age_p50_ns == 24209280 * NS);
    assert_true(s->age_max_ns == 28209280 * NS);
    assert_int_equal(s->reactions, 4);
    assert_true(s->reaction_max_ns == 44209280 * NS);
    const ts_gate *g = gate(v, "chain-deadline:see");
    assert_false(g->pass);
    assert_true(fabs(g->actual - 3.0 / 8.0) < 1e-12);
    ts_validation_free(v);
    ts_trace_free(t);
}

/* The same run cut at 85 ms: V4 (frame 6) still runs and V5, released at
 * a_7, waits holding frame 8, which overwrote frame 7 at a_8 81.108480.
 * Frame 7 never reached a callback: a dropped instance (70 ms) found from
 * the waiting job's record at the end of the run, one per queue_drop as
 * before; detect's outputs end with D3. */
static void test_drop_before_a_waiting_job(void **state)
{
    (void)state;
    ts_run_options opts;
    memset(&opts, 0, sizeof opts);
    opts.duration_ns = 85 * MS;
    ts_trace *t = scenario_run_with("tests/e2e/chain-trigger-drop.xml", &opts);
    const int64_t a = 1108480 * NS;
    expect_job(t, "vision", 4, a + 60 * MS, a + 68 * MS, -1);
    expect_job(t, "vision", 5, a + 70 * MS, -1, -1);
    assert_int_equal(jobs_of(t, "vision"), 6);
    assert_int_equal(scenario_count(t, "queue_drop"), 3);
    assert_int_equal(t->n_chain_instances, 7);
    expect_instance(t, 0, 0, 20209280 * NS);
    expect_instance(t, 1, 10 * MS, 37209280 * NS);
    expect_instance(t, 2, 20 * MS, -1);
    expect_instance(t, 3, 30 * MS, 54209280 * NS);
    expect_instance(t, 4, 40 * MS, -1);
    expect_instance(t, 5, 50 * MS, 71209280 * NS);
    expect_instance(t, 6, 70 * MS, -1);
    ts_trace_free(t);
}

/* The same cut with vision under a single-threaded executor: V4 (frame 6)
 * still runs, and frame 8, which overwrote frame 7 at a_8, waits in the
 * subscription's queue with no job released for it yet. Frame 7 is a
 * dropped instance all the same, found from the queue at the end. The
 * jobs are those of the run without a process: V2, which took frame 3,
 * is released at a_2, when its subscription became ready. */
static void test_drop_before_a_sample_waiting_in_an_executor(void **state)
{
    (void)state;
    ts_run_options opts;
    memset(&opts, 0, sizeof opts);
    opts.duration_ns = 85 * MS;
    ts_trace *t = scenario_run_with("tests/e2e/chain-trigger-drop-executor.xml", &opts);
    const int64_t a = 1108480 * NS;
    expect_job(t, "vision", 0, a, a, a + 17 * MS);
    expect_job(t, "vision", 1, a + 10 * MS, a + 17 * MS, a + 34 * MS);
    expect_job(t, "vision", 2, a + 20 * MS, a + 34 * MS, a + 51 * MS);
    expect_job(t, "vision", 3, a + 40 * MS, a + 51 * MS, a + 68 * MS);
    expect_job(t, "vision", 4, a + 60 * MS, a + 68 * MS, -1);
    assert_int_equal(jobs_of(t, "vision"), 5);
    assert_int_equal(scenario_count(t, "queue_drop"), 3);
    assert_int_equal(t->n_chain_instances, 7);
    expect_instance(t, 0, 0, 20209280 * NS);
    expect_instance(t, 1, 10 * MS, 37209280 * NS);
    expect_instance(t, 2, 20 * MS, -1);
    expect_instance(t, 3, 30 * MS, 54209280 * NS);
    expect_instance(t, 4, 40 * MS, -1);
    expect_instance(t, 5, 50 * MS, 71209280 * NS);
    expect_instance(t, 6, 70 * MS, -1);
    ts_trace_free(t);
}

/* The whole 100 ms with vision under either executor gives the chain
 * instances of the run without a process, row for row: with one callback
 * in the process both take its samples as they come, and the events
 * executor's event for an overwritten frame runs the callback on the
 * newer frame, its next event finding nothing to take (rclcpp's
 * EventsExecutor). Its callbacks are those of the run without a process,
 * but the last: frame 9 waits in the queue, held by no job. Each run is
 * the same twice over. */
static void test_keep_last_under_both_executors(void **state)
{
    (void)state;
    ts_trace *plain = run_set("tests/e2e/chain-trigger-drop.xml", NULL, 0);
    const char *kinds[] = {"single-threaded", "events"};
    for (size_t i = 0; i < 2; i++) {
        char set[96];
        snprintf(set, sizeof set, "process[vision_proc].executor=%s", kinds[i]);
        const char *sets[] = {set};
        ts_trace *t = run_set("tests/e2e/chain-trigger-drop-executor.xml", sets, 1);
        ts_trace *again = run_set("tests/e2e/chain-trigger-drop-executor.xml", sets, 1);
        assert_int_equal(t->n_chain_instances, plain->n_chain_instances);
        assert_memory_equal(t->chain_instances, plain->chain_instances,
                            plain->n_chain_instances * sizeof *plain->chain_instances);
        assert_int_equal(scenario_count(t, "queue_drop"), 3);
        assert_int_equal(jobs_of(t, "vision"), 6);
        const int64_t a = 1108480 * NS;
        expect_job(t, "vision", 5, a + 70 * MS, a + 85 * MS, -1);
        assert_int_equal(again->n_jobs, t->n_jobs);
        assert_memory_equal(again->jobs, t->jobs, t->n_jobs * sizeof *t->jobs);
        assert_int_equal(again->n_chain_instances, t->n_chain_instances);
        ts_trace_free(again);
        ts_trace_free(t);
    }
    ts_trace_free(plain);
}

/* chain-ring-overflow.xml: camera k ends at k x 100 us + 50 us and its
 * sample reaches vision at once; k = 0..99 within 10 ms. vision's job 0
 * (sample 0) runs past the end and 99 wait, one per sample 1..99. At the
 * end each unfinished job's sample is looked up among the last 64
 * deliveries (samples 36..99): samples 0..35 are not there, 36 entries
 * the chain could not follow, said in one event after those lookups. */
static void test_ring_overflow_counts_end_of_run_lookups(void **state)
{
    (void)state;
    ts_trace *t = run_set("tests/e2e/chain-ring-overflow.xml", NULL, 0);
    /* camera's 101st job, released at the end instant, sends nothing */
    assert_int_equal(jobs_of(t, "camera"), 101);
    assert_int_equal(jobs_of(t, "vision"), 100);
    expect_job(t, "vision", 0, 50 * US, 50 * US, -1);
    expect_job(t, "vision", 99, 9950 * US, -1, -1);
    assert_int_equal(t->n_chain_instances, 0);
    assert_int_equal(scenario_count(t, "chain_ring_overflow"), 1);
    const ts_trace_event *e = scenario_event(t, "chain_ring_overflow", -1, 0);
    assert_non_null(e);
    assert_int_equal((int64_t)e->value, 36);
    assert_int_equal(e->time_ns, 10 * MS);
    ts_trace_free(t);
}

/*
 * chain-executor.xml, one core. Shared memory takes 8000 + ceil(1000 x
 * 0.175) = 8175 ns for the image and 8000 + ceil(100 x 0.175) = 8018 ns
 * for the features. Ready: camera at 0; vision at 1.008175 ms; z at 2 ms
 * (while vision runs); detect at 3.008175 + 0.008018 = 3.016193 ms and
 * hk at 4 ms (both while z runs).
 * Single-threaded: polling points at 0 {camera}, 1 ms {} (idle), 1.008175
 * {vision}, 3.008175 {z}, 6.008175 {hk, detect}, timers first:
 *   camera 0-1, vision 1.008175-3.008175, z 3.008175-6.008175,
 *   hk 6.008175-6.508175, detect 6.508175-7.508175 ms
 * Events: first in, first out (z, then detect, then hk):
 *   ... z 3.008175-6.008175, detect 6.008175-7.008175, hk 7.008175-7.508175
 * One chain instance each: input 0, output detect's end; against the
 * 7.2 ms budget the single-threaded one misses, the events one meets it.
 */
static void check_executor(const char *executor, int64_t detect_start, int64_t hk_start)
{
    char set[96];
    snprintf(set, sizeof set, "process[perception].executor=%s", executor);
    const char *sets[] = {set};
    ts_trace *t = run_set("tests/e2e/chain-executor.xml", sets, 1);
    expect_job(t, "camera", 0, 0, 0, MS);
    expect_job(t, "vision", 0, 1008175 * NS, 1008175 * NS, 3008175 * NS);
    expect_job(t, "z", 0, 2 * MS, 3008175 * NS, 6008175 * NS);
    expect_job(t, "hk", 0, 4 * MS, hk_start, hk_start + 500 * US);
    expect_job(t, "detect", 0, 3016193 * NS, detect_start, detect_start + MS);
    assert_int_equal(t->n_chain_instances, 1);
    expect_instance(t, 0, 0, detect_start + MS);
    ts_validation *v = validate(t);
    assert_int_equal(v->chains[0].outputs, 1);
    assert_true(v->chains[0].age_max_ns == detect_start + MS);
    assert_int_equal(gate(v, "chain-deadline:see")->pass, detect_start + MS <= 7200 * US);
    ts_validation_free(v);
    ts_trace_free(t);
}

static void test_single_threaded_executor_chain(void **state)
{
    (void)state;
    check_executor("single-threaded", 6508175 * NS, 6008175 * NS);
}

static void test_events_executor_chain(void **state)
{
    (void)state;
    check_executor("events", 6008175 * NS, 7008175 * NS);
}

/*
 * chain-same-node.xml: camera k ends at 10k + 1 ms; the image takes
 * shared memory's 8175 ns; vision runs 2 ms; the features take UDP
 * loopback's 20000 + ceil(100 x 0.7) = 20070 ns; detect runs 1 ms. Each
 * instance: input 10k ms, output 10k + 4.028245 ms (4 ms of work and the
 * two transports' 28245 ns exactly); reaction 10 + 4.028245 ms.
 */
static void test_same_node_transport_in_data_age(void **state)
{
    (void)state;
    ts_trace *t = run_set("tests/e2e/chain-same-node.xml", NULL, 0);
    int image = ROW(t, topics, "image"), features = ROW(t, topics, "features");
    size_t n_image = 0, n_features = 0;
    for (size_t i = 0; i < t->n_messages; i++) {
        const ts_trace_message *m = &t->messages[i];
        assert_int_equal(m->status, TS_MSG_DELIVERED);
        if (m->topic == image) {
            n_image++;
            assert_int_equal(m->recv_ns - m->send_ns, 8175 * NS);
        } else if (m->topic == features) {
            n_features++;
            assert_int_equal(m->recv_ns - m->send_ns, 20070 * NS);
        }
    }
    assert_int_equal(n_image, 5);
    assert_int_equal(n_features, 5);
    assert_int_equal(t->n_chain_instances, 5);
    for (size_t k = 0; k < 5; k++)
        expect_instance(t, k, (int64_t)k * 10 * MS, (int64_t)k * 10 * MS + 4028245 * NS);
    ts_validation *v = validate(t);
    const ts_chain_score *s = &v->chains[0];
    assert_int_equal(s->outputs, 5);
    assert_int_equal(s->dropped, 0);
    assert_true(s->age_p50_ns == 4028245 * NS);
    assert_true(s->age_max_ns == 4028245 * NS);
    assert_int_equal(s->reactions, 4);
    assert_true(s->reaction_max_ns == 14028245 * NS);
    assert_true(gate(v, "chain-deadline:see")->pass);
    ts_validation_free(v);
    ts_trace_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keep_last_drops_are_dropped_instances),
        cmocka_unit_test(test_drop_before_a_waiting_job),
        cmocka_unit_test(test_drop_before_a_sample_waiting_in_an_executor),
        cmocka_unit_test(test_keep_last_under_both_executors),
        cmocka_unit_test(test_ring_overflow_counts_end_of_run_lookups),
        cmocka_unit_test(test_single_threaded_executor_chain),
        cmocka_unit_test(test_events_executor_chain),
        cmocka_unit_test(test_same_node_transport_in_data_age),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
