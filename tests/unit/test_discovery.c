/*
 * Tests for src/sim/discovery.c: on a lossless link the discovery
 * timeline (SPDP, then SEDP, then the match) equals one computed by hand
 * to the nanosecond; samples published before the match are not
 * delivered and are counted; a TRANSIENT_LOCAL late joiner gets the
 * writer's history at the match; a pair whose participant never joins
 * ends as "dds_no_match"; and the validator's discovery gates fail closed.
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

#include "scenario_run.h"
#include "toposim/trace.h"
#include "toposim/validate.h"

#define US INT64_C(1000)
#define MS INT64_C(1000000)

/* Two computers on one link, 1 ms and 8 Mbit/s (a byte per microsecond,
 * no header, no MTU, no jitter, no loss); a writer on a, a reader on b.
 * %s: the topic's extra attributes; %s: <discovery>'s attributes. */
static const char TWO_NODES[] =
    "<scenario name=\"disc\" seed=\"1\" duration=\"%s\">\n"
    "  <platform>\n"
    "    <robot id=\"r\">\n"
    "      <computer id=\"a\" cores=\"2\" memory=\"1GiB\"/>\n"
    "      <computer id=\"b\" cores=\"2\" memory=\"1GiB\"/>\n"
    "    </robot>\n"
    "    <link id=\"ab\" from=\"a\" to=\"b\" latency=\"1ms\" bandwidth=\"8Mbps\"/>\n"
    "  </platform>\n"
    "  <qos-profiles>\n"
    "    <profile id=\"latched\" base=\"default\" durability=\"transient-local\" depth=\"2\"/>\n"
    "  </qos-profiles>\n"
    "  <components>\n"
    "    <component id=\"w\" node=\"a\" rate=\"%s\" exec=\"1ms\"/>\n"
    "    <component id=\"r\" node=\"b\" rate=\"10Hz\" exec=\"1ms\"/>\n"
    "  </components>\n"
    "  <topics>\n"
    "    <topic id=\"t\" publisher=\"w\" subscribers=\"r\" size=\"100B\"%s/>\n"
    "  </topics>\n"
    "  <discovery %s/>\n"
    "</scenario>\n";

static char path[64];

static ts_trace *run_text(const char *duration, const char *rate, const char *topic_attrs,
                          const char *discovery)
{
    snprintf(path, sizeof path, "/tmp/ts_discovery_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, TWO_NODES, duration, rate, topic_attrs, discovery);
    fclose(f);
    ts_trace *t = scenario_run(path);
    unlink(path);
    return t;
}

static size_t delivered_before(const ts_trace *t, int64_t before)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_messages; i++)
        n += t->messages[i].status == TS_MSG_DELIVERED && t->messages[i].send_ns < before;
    return n;
}

/* The timeline, with SPDP 100 B (100 us on the wire), SEDP 20 + 40 B per
 * endpoint (60 us), ACK and ACKNACK 10 B (10 us), 1 ms propagation:
 *   0        a joins; nobody else has: its announcement reaches no one;
 *            next at 100 ms (two initial announcements)
 *   50 ms    b joins and announces: a hears it at 51.1 ms and sends b its
 *            endpoints (arrive 52.16 ms) and an ACKNACK (52.17 ms), both
 *            dropped: b has not heard of a yet
 *   100 ms   a's second announcement reaches b at 101.1 ms: b sends its
 *            endpoints (arrive at a 102.16 ms: the writer knows the
 *            reader) and an ACKNACK (102.17 ms)
 *   102.16   a acknowledges b's endpoints (10 us on a->b, free at 102.17)
 *   102.17   a answers the ACKNACK: its endpoints again, 102.17 + 0.06 + 1
 *   103.23   b accepts them: the reader knows the writer: matched,
 *            53.23 ms after b joined.
 * The writer's first sample (job done at 1 ms) is before the match. */
static void hand_computed_timeline(void **state)
{
    (void)state;
    ts_trace *t = run_text("2s", "1Hz", "",
                           "initial-announcements=\"2\" initial-period=\"100ms\" period=\"1s\" "
                           "lease=\"10s\" join-interval=\"50ms\" spdp-size=\"100B\" "
                           "sedp-size=\"20B\" sedp-endpoint-size=\"40B\" ack-size=\"10B\"");
    assert_int_equal(scenario_count(t, "dds_discovery"), 1);
    assert_int_equal(scenario_count(t, "dds_match"), 1);
    assert_int_equal(scenario_count(t, "dds_no_match"), 0);
    const ts_trace_event *m = scenario_event(t, "dds_match", -1, 0);
    int64_t at = 103 * MS + 230 * US;
    assert_int_equal(m->time_ns, at);
    assert_int_equal((int64_t)m->value, at - 50 * MS);
    assert_int_equal(m->component, ROW(t, components, "r"));
    const ts_trace_event *u = scenario_event(t, "dds_unmatched_samples", -1, 0);
    assert_non_null(u);
    assert_int_equal(u->time_ns, at);
    assert_int_equal((int)u->value, 1);
    /* Not delivered before the match; the second (at 1.001 s) is. */
    assert_int_equal(delivered_before(t, at), 0);
    assert_int_equal(delivered_before(t, 2000 * MS), 1);
    ts_trace_free(t);
}

/* Both join at once: each hears the other's first announcement at 1.1 ms
 * and sends its endpoints (60 us, then 1 ms), accepted on both sides at
 * 2.16 ms, so the pair matches then (the ACKNACKs find the endpoints
 * already on their way). */
static void simultaneous_join(void **state)
{
    (void)state;
    ts_trace *t = run_text("1s", "1Hz", "",
                           "spdp-size=\"100B\" sedp-size=\"20B\" sedp-endpoint-size=\"40B\" "
                           "ack-size=\"10B\"");
    const ts_trace_event *m = scenario_event(t, "dds_match", -1, 0);
    assert_non_null(m);
    assert_int_equal(m->time_ns, 2 * MS + 160 * US);
    assert_int_equal((int64_t)m->value, 2 * MS + 160 * US);
    ts_trace_free(t);
}

/* A TRANSIENT_LOCAL reader that matches late gets the writer's last
 * `depth` samples; only the rest count as missed. At 100 Hz the writer
 * publishes 11 samples before the match at 103.23 ms (jobs done at 1, 11,
 * ..., 101 ms); its KEEP_LAST 2 history replays two. */
static void transient_local_history(void **state)
{
    (void)state;
    ts_trace *t = run_text("1s", "100Hz", " qos=\"latched\"",
                           "initial-announcements=\"2\" initial-period=\"100ms\" period=\"1s\" "
                           "lease=\"10s\" join-interval=\"50ms\" spdp-size=\"100B\" "
                           "sedp-size=\"20B\" sedp-endpoint-size=\"40B\" ack-size=\"10B\"");
    const ts_trace_event *m = scenario_event(t, "dds_match", -1, 0);
    assert_non_null(m);
    int64_t at = m->time_ns;
    const ts_trace_event *u = scenario_event(t, "dds_unmatched_samples", -1, 0);
    assert_non_null(u);
    assert_int_equal((int)u->value, 11 - 2);
    /* The two replayed samples were written before the match and
     * delivered after it. */
    size_t replayed = 0;
    for (size_t i = 0; i < t->n_messages; i++) {
        const ts_trace_message *x = &t->messages[i];
        if (x->status == TS_MSG_DELIVERED && x->send_ns < at) {
            assert_true(x->recv_ns >= at);
            replayed++;
        }
    }
    assert_int_equal(replayed, 2);
    ts_trace_free(t);
}

/* b never joins within the run: the pair ends as "dds_no_match" with its
 * samples counted, and the validator's gate fails naming the reader. */
static void never_matched_fails_gate(void **state)
{
    (void)state;
    ts_trace *t = run_text("1s", "10Hz", "", "join-interval=\"5s\"");
    assert_int_equal(scenario_count(t, "dds_match"), 0);
    assert_int_equal(scenario_count(t, "dds_no_match"), 1);
    const ts_trace_event *u = scenario_event(t, "dds_unmatched_samples", -1, 0);
    assert_non_null(u);
    assert_int_equal((int)u->value, 10);
    ts_validation *v = NULL;
    ts_error err;
    assert_int_equal(ts_validate(t, &v, &err), TS_OK);
    int seen = 0;
    for (size_t i = 0; i < v->n_gates; i++) {
        const ts_gate *g = &v->gates[i];
        if (!strcmp(g->name, "run:discovery-no-match") ||
            !strcmp(g->name, "run:samples-before-match")) {
            assert_false(g->pass);
            assert_string_equal(g->worst, "r");
            seen++;
        }
    }
    assert_int_equal(seen, 2);
    ts_validation_free(v);
    ts_trace_free(t);
}

/* Without <discovery> neither gate appears (matching was instantaneous). */
static void gates_absent_without_discovery(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "/tmp/ts_discovery_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    /* The same scenario with the element commented out. */
    char text[4096];
    snprintf(text, sizeof text, TWO_NODES, "1s", "10Hz", "", "");
    char *el = strstr(text, "<discovery ");
    assert_non_null(el);
    memcpy(el, "<!--      ", 10);
    char *end = strstr(el, "/>");
    memcpy(end, "->", 2);
    memmove(end + 1, end, strlen(end) + 1);
    end[0] = '-';
    fputs(text, f);
    fclose(f);
    ts_trace *t = scenario_run(path);
    unlink(path);
    assert_int_equal(scenario_count(t, "dds_discovery"), 0);
    ts_validation *v = NULL;
    ts_error err;
    assert_int_equal(ts_validate(t, &v, &err), TS_OK);
    for (size_t i = 0; i < v->n_gates; i++)
        assert_null(strstr(v->gates[i].name, "match"));
    ts_validation_free(v);
    ts_trace_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_computed_timeline),
        cmocka_unit_test(simultaneous_join),
        cmocka_unit_test(transient_local_history),
        cmocka_unit_test(never_matched_fails_gate),
        cmocka_unit_test(gates_absent_without_discovery),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
