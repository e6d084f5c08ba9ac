/*
 * Same-node transports and serialisation (src/sim/transport.c): the cost
 * model to the nanosecond from its cited figures, and runs whose every
 * delivery and response time is computed by hand: two components on one
 * node, each alone on a core, with fixed execution times.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "sim/transport.h"
#include "toposim/alloc.h"
#include "toposim/scenario.h"
#include "toposim/sim.h"
#include "toposim/trace.h"
#include "toposim/world.h"

#include "scenario_run.h"

/* ---- the cost model ---- */

/* The built-in figure of a same-node path for `bytes`. */
static ts_time latency(int kind, int loaned, int64_t bytes)
{
    return ts__cost_ns(&ts__transport_builtin[ts__transport_path(kind, loaned)], bytes);
}

static ts_time codec(int64_t bytes)
{
    return ts__cost_ns(&ts__transport_builtin[TS_COST_SERIALISE], bytes);
}

static void test_cost_model_to_the_ns(void **state)
{
    (void)state;
    /* shared memory: 8 us + 0.175 ns/B, rounded up */
    assert_int_equal(latency(TS_TRANSPORT_SHM, 0, 512), 8000 + 90);
    assert_int_equal(latency(TS_TRANSPORT_SHM, 0, 1000), 8000 + 175);
    assert_int_equal(latency(TS_TRANSPORT_SHM, 0, 65536), 8000 + 11469);
    assert_int_equal(latency(TS_TRANSPORT_SHM, 0, 33554432), 8000 + 5872026);
    /* loaned: 3 us whatever the size and the kind named */
    assert_int_equal(latency(TS_TRANSPORT_SHM, 1, 1), 3000);
    assert_int_equal(latency(TS_TRANSPORT_UDP_LOOPBACK, 1, 921600), 3000);
    /* UDP loopback: 20 us + 0.7 ns/B */
    assert_int_equal(latency(TS_TRANSPORT_UDP_LOOPBACK, 0, 1000), 20700);
    assert_int_equal(latency(TS_TRANSPORT_UDP_LOOPBACK, 0, 1048576), 20000 + 734004);
    /* intra-process: 445 ns whatever the size */
    assert_int_equal(latency(TS_TRANSPORT_INTRA_PROCESS, 0, 1), 445);
    assert_int_equal(latency(TS_TRANSPORT_INTRA_PROCESS, 0, 1 << 30), 445);
    /* the platform default (kind 0 on a topic is resolved before) is shm */
    assert_int_equal(ts__transport_path(TS_TRANSPORT_DEFAULT, 0), TS_COST_SHM);
    /* (de)serialisation: 1.1 ns/B, rounded up; none for nothing */
    assert_int_equal(codec(1000), 1100);
    assert_int_equal(codec(1), 2);
    assert_int_equal(codec(921600), 1013760);
    assert_int_equal(codec(0), 0);
    /* saturates rather than wraps */
    assert_int_equal(codec(INT64_MAX), TS_TIME_MAX);
    assert_int_equal(latency(TS_TRANSPORT_SHM, 0, INT64_MAX), TS_TIME_MAX);
    ts__cost huge = {TS_TIME_MAX - 10, 1};
    assert_int_equal(ts__cost_ns(&huge, 1), TS_TIME_MAX);
    /* which paths serialise: as rclcpp, not intra-process, not loans */
    assert_true(ts__transport_serialises(TS_TRANSPORT_SHM, 0));
    assert_true(ts__transport_serialises(TS_TRANSPORT_UDP_LOOPBACK, 0));
    assert_false(ts__transport_serialises(TS_TRANSPORT_INTRA_PROCESS, 0));
    assert_false(ts__transport_serialises(TS_TRANSPORT_SHM, 1));
}

/* ---- runs ---- */

/* pub on c1 every 10 ms, 1 ms of work; sub on c1 every `sub_period_ms`
 * from 5 ms, 1 ms of work; topic "data" of 1000 bytes. platform and
 * topic attributes are spliced in. Each on a core of its own (4 cores,
 * nothing else). */
static ts_trace *run_pair(const char *platform, const char *topic_attrs, int sub_period_ms)
{
    char path[] = "/tmp/toposim-transport-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f,
            "<scenario name=\"transport\" seed=\"1\" duration=\"100ms\">\n"
            "  <platform>\n"
            "    %s\n"
            "    <robot id=\"r1\"><computer id=\"c1\" cores=\"4\" memory=\"1GiB\"/>"
            "<computer id=\"c2\" cores=\"4\" memory=\"1GiB\"/><switch id=\"sw\"/></robot>\n"
            "    <link id=\"l1\" from=\"c1\" to=\"sw\" latency=\"50us\" bandwidth=\"1Gbps\"/>\n"
            "    <link id=\"l2\" from=\"c2\" to=\"sw\" latency=\"50us\" bandwidth=\"1Gbps\"/>\n"
            "  </platform>\n"
            "  <components>\n"
            "    <component id=\"pub\" rate=\"100Hz\" exec=\"1ms\" exec-min=\"1ms\"\n"
            "               priority=\"50\" cpu=\"500m\" memory=\"1MiB\" node=\"c1\"/>\n"
            "    <component id=\"sub\" rate=\"%dms\" offset=\"5ms\" exec=\"1ms\"\n"
            "               exec-min=\"1ms\" priority=\"40\" cpu=\"500m\" memory=\"1MiB\"\n"
            "               node=\"c1\"/>\n"
            "  </components>\n"
            "  <topics>\n"
            "    <topic id=\"data\" publisher=\"pub\" subscribers=\"sub\" size=\"1000B\" %s/>\n"
            "  </topics>\n"
            "</scenario>\n",
            platform, sub_period_ms, topic_attrs);
    fclose(f);
    ts_trace *t = scenario_run(path);
    unlink(path);
    return t;
}

/* Every sample delivered `latency` after it was sent; every job of pub
 * takes 1 ms + pub_extra, every job of sub 1 ms + sub_extra. */
static void check_pair(const ts_trace *t, ts_time latency, ts_time pub_extra, ts_time sub_extra)
{
    int pub = ROW(t, components, "pub"), sub = ROW(t, components, "sub");
    size_t msgs = 0, pub_jobs = 0, sub_jobs = 0;
    for (size_t i = 0; i < t->n_messages; i++) {
        const ts_trace_message *m = &t->messages[i];
        assert_int_equal(m->status, TS_MSG_DELIVERED);
        assert_int_equal(m->recv_ns - m->send_ns, latency);
        /* sent when pub's job k finished: 10k ms + 1 ms + serialisation */
        assert_int_equal(m->send_ns, (int64_t)m->seq * 10 * TS_MS + TS_MS + pub_extra);
        msgs++;
    }
    assert_int_equal(msgs, 10);
    for (size_t i = 0; i < t->n_jobs; i++) {
        const ts_trace_job *j = &t->jobs[i];
        /* pub's release at the run's last instant is left unfinished */
        if (j->release_ns == 100 * TS_MS) {
            assert_int_equal(j->finish_ns, -1);
            continue;
        }
        assert_int_equal(j->start_ns, j->release_ns);
        if (j->component == pub) {
            assert_int_equal(j->finish_ns - j->release_ns, TS_MS + pub_extra);
            pub_jobs++;
        } else if (j->component == sub) {
            assert_int_equal(j->finish_ns - j->release_ns, TS_MS + sub_extra);
            sub_jobs++;
        }
    }
    assert_int_equal(pub_jobs, 10);
    assert_int_equal(sub_jobs, 10);
}

/* Shared memory (the default): 8175 ns for 1000 bytes; 1100 ns of
 * serialisation on pub's job and of deserialisation on sub's (each sub
 * job, released at 5 + 10k ms, takes the one sample of pub's job k). */
static void test_shm_by_default(void **state)
{
    (void)state;
    ts_trace *t = run_pair("", "", 10);
    check_pair(t, 8175, 1100, 1100);
    ts_trace_free(t);
}

static void test_shm_named(void **state)
{
    (void)state;
    ts_trace *t = run_pair("<transport same-node=\"udp-loopback\"/>", "transport=\"shm\"", 10);
    check_pair(t, 8175, 1100, 1100);
    ts_trace_free(t);
}

/* Loaned: 3 us, no copy, no serialisation on either side. */
static void test_loaned(void **state)
{
    (void)state;
    ts_trace *t = run_pair("", "loaned=\"true\"", 10);
    check_pair(t, 3000, 0, 0);
    ts_trace_free(t);
}

/* UDP loopback from the platform default: 20 us + 700 ns. */
static void test_udp_loopback(void **state)
{
    (void)state;
    ts_trace *t = run_pair("<transport same-node=\"udp-loopback\"/>", "", 10);
    check_pair(t, 20700, 1100, 1100);
    ts_trace_free(t);
}

/* Intra-process from the topic: 445 ns, no serialisation. */
static void test_intra_process(void **state)
{
    (void)state;
    ts_trace *t = run_pair("", "transport=\"intra-process\"", 10);
    check_pair(t, 445, 0, 0);
    ts_trace_free(t);
}

/* sub every 20 ms from 5 ms: its first job takes pub's sample of 0 ms,
 * each later one the two samples of the 20 ms before it, so its
 * deserialisation is 1100 ns, then 2200 ns per job. */
static void test_deserialisation_per_sample_received(void **state)
{
    (void)state;
    ts_trace *t = run_pair("", "", 20);
    int sub = ROW(t, components, "sub");
    size_t n = 0;
    for (size_t i = 0; i < t->n_jobs; i++) {
        const ts_trace_job *j = &t->jobs[i];
        if (j->component != sub)
            continue;
        ts_time expect = TS_MS + (j->seq == 0 ? 1100 : 2200);
        assert_int_equal(j->release_ns, 5 * TS_MS + (int64_t)j->seq * 20 * TS_MS);
        assert_int_equal(j->finish_ns - j->release_ns, expect);
        n++;
    }
    assert_int_equal(n, 5);
    ts_trace_free(t);
}

/* Between nodes the sample crosses the network whatever the transport
 * (intra-process only names the same-node path), and is serialised and
 * deserialised. sub on c2, two 1 Gbps hops of 50 us away. */
static void test_between_nodes_serialised(void **state)
{
    (void)state;
    char path[] = "/tmp/toposim-transport-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f,
            "<scenario name=\"transport\" seed=\"1\" duration=\"100ms\">\n"
            "  <platform>\n"
            "    <robot id=\"r1\"><computer id=\"c1\" cores=\"4\" memory=\"1GiB\"/>"
            "<computer id=\"c2\" cores=\"4\" memory=\"1GiB\"/><switch id=\"sw\"/></robot>\n"
            "    <link id=\"l1\" from=\"c1\" to=\"sw\" latency=\"50us\" bandwidth=\"1Gbps\"/>\n"
            "    <link id=\"l2\" from=\"c2\" to=\"sw\" latency=\"50us\" bandwidth=\"1Gbps\"/>\n"
            "  </platform>\n"
            "  <components>\n"
            "    <component id=\"pub\" rate=\"100Hz\" exec=\"1ms\" exec-min=\"1ms\"\n"
            "               priority=\"50\" cpu=\"500m\" memory=\"1MiB\" node=\"c1\"/>\n"
            "    <component id=\"sub\" rate=\"100Hz\" offset=\"5ms\" exec=\"1ms\"\n"
            "               exec-min=\"1ms\" priority=\"40\" cpu=\"500m\" memory=\"1MiB\"\n"
            "               node=\"c2\"/>\n"
            "  </components>\n"
            "  <topics>\n"
            "    <topic id=\"data\" publisher=\"pub\" subscribers=\"sub\" size=\"1000B\"\n"
            "           transport=\"intra-process\"/>\n"
            "  </topics>\n"
            "</scenario>\n");
    fclose(f);
    ts_trace *t = scenario_run(path);
    unlink(path);
    int pub = ROW(t, components, "pub"), sub = ROW(t, components, "sub");
    for (size_t i = 0; i < t->n_jobs; i++) {
        const ts_trace_job *j = &t->jobs[i];
        if (j->finish_ns >= 0 && (j->component == pub || j->component == sub))
            assert_int_equal(j->finish_ns - j->release_ns, TS_MS + 1100);
    }
    for (size_t i = 0; i < t->n_messages; i++) {
        const ts_trace_message *m = &t->messages[i];
        /* store and forward: per hop 1000 B at 1 Gbps (8 us, no
         * header configured) and 50 us of propagation */
        assert_int_equal(m->recv_ns - m->send_ns, 2 * (8000 + 50000));
        assert_int_equal(m->send_ns, (int64_t)m->seq * 10 * TS_MS + TS_MS + 1100);
    }
    ts_trace_free(t);
}

/* The scenario's own figures replace the built-in ones: shared memory
 * 2 us + 8 bits a byte at 16 Gbps (0.5 ns), serialisation at 80 Gbps
 * (0.1 ns a byte); an attribute not given keeps its built-in figure
 * (udp-loopback's 0.7 ns a byte). */
static void test_scenario_costs_replace_builtin(void **state)
{
    (void)state;
    ts_trace *t = run_pair("<transport><cost path=\"shm\" latency=\"2us\" bandwidth=\"16Gbps\"/>"
                           "<cost path=\"serialise\" bandwidth=\"80Gbps\"/></transport>",
                           "", 10);
    check_pair(t, 2000 + 500, 100, 100);
    ts_trace_free(t);
    t = run_pair("<transport same-node=\"udp-loopback\"><cost path=\"udp-loopback\" "
                 "latency=\"30us\"/></transport>",
                 "", 10);
    check_pair(t, 30000 + 700, 1100, 1100);
    ts_trace_free(t);
}

/* A loan none of whose subscribers shares the publisher's node is
 * refused when the world is built, naming the topic's line. */
static void test_loaned_without_local_subscriber_refused(void **state)
{
    (void)state;
    char path[] = "/tmp/toposim-transport-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f,
            "<scenario name=\"transport\" seed=\"1\" duration=\"10ms\">\n"
            "  <platform>\n"
            "    <robot id=\"r1\"><computer id=\"c1\" cores=\"4\" memory=\"1GiB\"/>"
            "<computer id=\"c2\" cores=\"4\" memory=\"1GiB\"/></robot>\n"
            "    <link id=\"l1\" from=\"c1\" to=\"c2\" latency=\"50us\" bandwidth=\"1Gbps\"/>\n"
            "  </platform>\n"
            "  <components>\n"
            "    <component id=\"pub\" rate=\"100Hz\" exec=\"1ms\" cpu=\"500m\"\n"
            "               memory=\"1MiB\" node=\"c1\"/>\n"
            "    <component id=\"sub\" rate=\"100Hz\" exec=\"1ms\" cpu=\"500m\"\n"
            "               memory=\"1MiB\" node=\"c2\"/>\n"
            "  </components>\n"
            "  <topics>\n"
            "    <topic id=\"data\" publisher=\"pub\" subscribers=\"sub\" size=\"1KiB\"\n"
            "           loaned=\"true\"/>\n"
            "  </topics>\n"
            "</scenario>\n");
    fclose(f);
    ts_scenario *s = NULL;
    ts_plan *plan = NULL;
    ts_error err;
    ts_error_clear(&err);
    assert_int_equal(ts_scenario_load(path, NULL, &s, &err), TS_OK);
    assert_int_equal(ts_plan_new(s, &plan, &err), TS_OK);
    char trace[] = "/tmp/toposim-transport-trace.h5";
    ts_run_options opts = {.trace_path = trace};
    long live = ts_alloc_live();
    assert_int_equal(ts_world_run(s, plan, &opts, NULL, &err), TS_EINVAL);
    assert_int_equal(ts_alloc_live(), live);
    assert_int_equal(err.line, 13);
    assert_string_equal(err.file, path);
    assert_non_null(strstr(err.msg, "topic data: loaned=\"true\", but none of its "
                                    "subscribers is placed on its publisher's node (c1)"));
    assert_int_equal(access(trace, F_OK), -1); /* no trace left behind */
    ts_plan_free(plan);
    ts_scenario_free(s);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cost_model_to_the_ns),
        cmocka_unit_test(test_shm_by_default),
        cmocka_unit_test(test_shm_named),
        cmocka_unit_test(test_loaned),
        cmocka_unit_test(test_udp_loopback),
        cmocka_unit_test(test_intra_process),
        cmocka_unit_test(test_deserialisation_per_sample_received),
        cmocka_unit_test(test_between_nodes_serialised),
        cmocka_unit_test(test_scenario_costs_replace_builtin),
        cmocka_unit_test(test_loaned_without_local_subscriber_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
