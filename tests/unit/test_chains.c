/*
 * src/sim/chains.c driven by hand: jobs and deliveries fed in the order a
 * run would give them, the rows it writes read back from the trace. The
 * entry point for a job a sample triggered (ts__chains_job with a topic
 * and sequence number): the job carries its trigger's stamp, and samples
 * it skipped (overwritten in a KEEP_LAST queue) are dropped instances; a
 * timer job reads the latest sample delivered by its start, ties
 * included; a ring that lost what a job needed counts an overflow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/chains.h"
#include "toposim/scenario.h"
#include "toposim/trace.h"

#define MS INT64_C(1000000)

/* cam -> image -> det -> objects -> ctl; components 0, 1, 2, topics 0, 1. */
static const char SCENARIO[] =
    "<scenario name=\"c\" duration=\"1s\">\n"
    "  <platform><robot id=\"r\"><computer id=\"c1\" cores=\"4\" memory=\"1GiB\"/>"
    "</robot></platform>\n"
    "  <components>\n"
    "    <component id=\"cam\" rate=\"100Hz\" exec=\"1ms\"/>\n"
    "    <component id=\"det\" rate=\"100Hz\" exec=\"3ms\"/>\n"
    "    <component id=\"ctl\" rate=\"1kHz\" exec=\"100us\"/>\n"
    "  </components>\n"
    "  <topics>\n"
    "    <topic id=\"image\" publisher=\"cam\" subscribers=\"det\" size=\"1KiB\"/>\n"
    "    <topic id=\"objects\" publisher=\"det\" subscribers=\"ctl\" size=\"100B\"/>\n"
    "  </topics>\n"
    "  <chains>\n"
    "    <chain id=\"p\" budget=\"50ms\">\n"
    "      <stage component=\"cam\"/><stage topic=\"image\"/><stage component=\"det\"/>\n"
    "      <stage topic=\"objects\"/><stage component=\"ctl\"/>\n"
    "    </chain>\n"
    "  </chains>\n"
    "</scenario>\n";

typedef struct fixture {
    ts_scenario *s;
    ts_engine *engine;
    ts__bus *bus;
    ts_trace_writer *w;
    ts__chains *c;
    char path[64];
} fixture;

static void open_fixture(fixture *f)
{
    memset(f, 0, sizeof *f);
    ts_error err;
    assert_int_equal(ts_scenario_load_memory(SCENARIO, strlen(SCENARIO), "c.xml", NULL, &f->s,
                                             &err), TS_OK);
    f->engine = ts_engine_new(16);
    f->bus = ts__bus_new(f->engine);
    snprintf(f->path, sizeof f->path, "/tmp/toposim-chains-%ld.h5", (long)getpid());
    assert_int_equal(ts_trace_writer_open(f->path, NULL, &f->w, &err), TS_OK);
    ts_trace_component comps[3];
    memset(comps, 0, sizeof comps);
    for (int i = 0; i < 3; i++) {
        snprintf(comps[i].name, sizeof comps[i].name, "%s", f->s->components[i].id);
        comps[i].robot = comps[i].backup_of = comps[i].replica_of = -1;
        comps[i].n_versions = 1;
    }
    assert_int_equal(ts_trace_write_components(f->w, comps, 3, &err), TS_OK);
    ts__shared sh = {.s = f->s, .engine = f->engine, .bus = f->bus};
    assert_int_equal(ts__chains_start(&sh, f->w, &f->c, &err), TS_OK);
    assert_non_null(f->c);
}

/* Commits the trace and loads it back. */
static ts_trace *close_fixture(fixture *f)
{
    ts_error err;
    assert_false(ts__bus_failed(f->bus));
    ts__chains_free(f->c);
    assert_int_equal(ts_trace_writer_commit(f->w, &err), TS_OK);
    ts_trace *t = NULL;
    if (ts_trace_load(f->path, &t, &err) != TS_OK)
        fail_msg("load: %s", err.msg);
    unlink(f->path);
    ts__bus_free(f->bus);
    ts_engine_free(f->engine);
    ts_scenario_free(f->s);
    return t;
}

static void job(fixture *f, int task, int64_t release, int64_t start, int64_t finish,
                int trigger_topic, uint64_t trigger_seq)
{
    ts_job_record j;
    memset(&j, 0, sizeof j);
    j.task = task;
    j.release = release;
    j.start = start;
    j.finish = finish;
    ts__chains_job(f->c, &j, trigger_topic, trigger_seq);
}

static void deliver(fixture *f, int topic, int pub, int sub, uint64_t seq, int64_t sent,
                    int64_t received)
{
    ts_packet p;
    memset(&p, 0, sizeof p);
    p.topic = topic;
    p.publisher = pub;
    p.subscriber = sub;
    p.seq = seq;
    p.sent = sent;
    p.received = received;
    p.status = TS_PKT_DELIVERED;
    ts__chains_message(f->c, &p);
}

static void assert_instance(const ts_trace_chain_instance *in, int dropped, int64_t input,
                            int64_t output)
{
    assert_int_equal(in->chain, 0);
    assert_int_equal(in->dropped, dropped);
    assert_true(in->input_ns == input);
    assert_true(in->output_ns == output);
}

/*
 * cam runs at 0, 10, 20, 30 ms (1 ms each) and its frames reach det 1 ms
 * after they are sent. det is triggered by frame 0, then (busy, its queue
 * of depth 1 overwritten twice) by frame 3 only: frames 1 and 2 (stamps
 * 10 and 20 ms) are dropped. Each det output reaches ctl 1 ms after it is
 * sent; ctl's timer jobs read the latest by their start.
 */
static void test_triggered_stage_drops(void **state)
{
    (void)state;
    fixture f;
    open_fixture(&f);
    for (int k = 0; k < 4; k++) {
        job(&f, 0, 10 * k * MS, 10 * k * MS, (10 * k + 1) * MS, -1, 0);
        deliver(&f, 0, 0, 1, (uint64_t)k, (10 * k + 1) * MS, (10 * k + 2) * MS);
        if (k == 0) {
            job(&f, 1, 2 * MS, 2 * MS, 5 * MS, 0, 0);      /* triggered by frame 0 */
            deliver(&f, 1, 1, 2, 0, 5 * MS, 6 * MS);
            job(&f, 2, 6 * MS, 6 * MS, 7 * MS, -1, 0);     /* reads it at 6: a tie */
        }
    }
    job(&f, 1, 32 * MS, 32 * MS, 35 * MS, 0, 3);           /* triggered by frame 3 */
    deliver(&f, 1, 1, 2, 1, 35 * MS, 36 * MS);
    job(&f, 2, 36 * MS - 1, 36 * MS - 1, 37 * MS, -1, 0);  /* 1 ns early: still stamp 0 */
    job(&f, 2, 40 * MS, 40 * MS, 41 * MS, -1, 0);
    assert_int_equal(ts__chains_overflows(f.c), 0);
    ts_trace *t = close_fixture(&f);
    assert_int_equal(t->n_chains, 1);
    assert_int_equal(t->n_chain_instances, 5);
    assert_instance(&t->chain_instances[0], 0, 0, 7 * MS);
    assert_instance(&t->chain_instances[1], 1, 10 * MS, -1);
    assert_instance(&t->chain_instances[2], 1, 20 * MS, -1);
    assert_instance(&t->chain_instances[3], 0, 0, 37 * MS);
    assert_instance(&t->chain_instances[4], 0, 30 * MS, 41 * MS);
    ts_trace_free(t);
}

/* A timer job whose needed delivery left the ring: no row, an overflow. */
static void test_ring_overflow_counted(void **state)
{
    (void)state;
    fixture f;
    open_fixture(&f);
    job(&f, 0, 0, 0, 1 * MS, -1, 0);
    for (uint64_t k = 0; k < TS__CHAINS_RING + 1; k++)
        deliver(&f, 0, 0, 1, k, 1 * MS, (int64_t)(10 + k) * MS);
    /* Its start precedes every delivery the ring still holds. */
    job(&f, 1, 5 * MS, 5 * MS, 6 * MS, -1, 0);
    assert_int_equal(ts__chains_overflows(f.c), 1);
    ts_trace *t = close_fixture(&f);
    assert_int_equal(t->n_chain_instances, 0);
    ts_trace_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_triggered_stage_drops),
        cmocka_unit_test(test_ring_overflow_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
