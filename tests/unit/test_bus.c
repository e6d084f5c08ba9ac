/*
 * The run's bus (src/sim/bus.c) and the event kinds' one table
 * (toposim/event.h): an event reaches only the subscribers of its kind,
 * in subscription order, then the catch-all ones; events posted from a
 * subscriber are delivered whole first; the first failure is kept and
 * stops the engine; every kind has a distinct name, and the names the
 * trace has always carried map to their kinds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sim/bus.h"

typedef struct event_log {
    char seen[32][24];
    int n;
} event_log;

typedef struct sub_ctx {
    event_log *event_log;
    const char *name;
    ts__bus *bus;       /* non-NULL: posts a FAILOVER_TIME on FAILOVER */
} sub_ctx;

static void note(void *ctx, const ts_platform_event *ev)
{
    sub_ctx *s = ctx;
    snprintf(s->event_log->seen[s->event_log->n++], sizeof s->event_log->seen[0], "%s:%s", s->name,
             ts_event_kind_name(ev->kind));
    if (s->bus && ev->kind == TS_EV_FAILOVER) {
        ts_platform_event out = {ev->time, TS_EV_FAILOVER_TIME, -1, -1, -1, 0, "", NULL};
        ts__bus_post(s->bus, &out);
    }
}

static void test_delivery_by_kind_in_order(void **state)
{
    (void)state;
    ts_engine *engine = ts_engine_new(16);
    ts__bus *bus = ts__bus_new(engine);
    assert_non_null(bus);
    event_log l = {.n = 0};
    sub_ctx a = {&l, "a", bus}, b = {&l, "b", NULL}, all = {&l, "all", NULL};
    assert_int_equal(ts__bus_subscribe(bus, TS_EV_FAILOVER, note, &a), TS_OK);
    assert_int_equal(ts__bus_subscribe(bus, TS_EV_FAILOVER, note, &b), TS_OK);
    assert_int_equal(ts__bus_subscribe(bus, TS_EV_NODE_DOWN, note, &b), TS_OK);
    assert_int_equal(ts__bus_subscribe_all(bus, note, &all), TS_OK);
    ts_platform_event ev = {0, TS_EV_FAILOVER, -1, -1, 3, 0, "", NULL};
    ts__bus_post(bus, &ev);
    ev.kind = TS_EV_LINK_DOWN;
    ts__bus_post(bus, &ev);
    const char *want[] = {"a:failover", "all:failover_time", "b:failover", "all:failover",
                          "all:link_down"};
    assert_int_equal(l.n, 5);
    for (int i = 0; i < 5; i++)
        assert_string_equal(l.seen[i], want[i]);
    /* A kind holds a few subscribers, then refuses more. */
    int rc = TS_OK, added = 0;
    while ((rc = ts__bus_subscribe(bus, TS_EV_LINK_UP, note, &b)) == TS_OK)
        added++;
    assert_int_equal(rc, TS_ERANGE);
    assert_true(added >= 2);
    assert_int_equal(ts__bus_subscribe(bus, TS_EV_COUNT, note, &b), TS_EINVAL);
    ts__bus_free(bus);
    ts_engine_free(engine);
}

static void test_first_failure_kept(void **state)
{
    (void)state;
    ts_engine *engine = ts_engine_new(16);
    ts__bus *bus = ts__bus_new(engine);
    assert_false(ts__bus_failed(bus));
    ts_error e1, e2;
    ts_error_set(&e1, TS_ENOMEM, NULL, 0, "first");
    ts_error_set(&e2, TS_EIO, NULL, 0, "second");
    ts__bus_fail(bus, &e1);
    ts__bus_fail(bus, &e2);
    assert_true(ts__bus_failed(bus));
    assert_int_equal(ts__bus_error(bus)->code, TS_ENOMEM);
    assert_string_equal(ts__bus_error(bus)->msg, "first");
    ts__bus_free(bus);
    ts_engine_free(engine);
}

static void test_kind_names(void **state)
{
    (void)state;
    /* Names the trace's /events rows have always carried. */
    const struct { ts_event_kind k; const char *name; } known[] = {
        {TS_EV_LINK_DOWN, "link_down"}, {TS_EV_NODE_UP, "node_up"},
        {TS_EV_FAULT_NODE_CRASH, "fault:node-crash"},
        {TS_EV_RECOVER_COMPONENT_CRASH, "recover:component-crash"},
        {TS_EV_FAILOVER, "failover"}, {TS_EV_SAFE_STATE, "safe_state"},
        {TS_EV_REQUEST_NO_REPLICA, "request_no_replica"}, {TS_EV_ROLLBACK, "rollback"},
    };
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        assert_string_equal(ts_event_kind_name(known[i].k), known[i].name);
    assert_string_equal(ts_event_kind_name(TS_EV_OTHER), "");
    assert_string_equal(ts_event_kind_name(TS_EV_COUNT), "");
    for (int a = 1; a < TS_EV_COUNT; a++) {
        const char *na = ts_event_kind_name((ts_event_kind)a);
        assert_true(na[0] != '\0');
        assert_true(strlen(na) < 32);   /* fits the trace's kind column */
        for (int b = a + 1; b < TS_EV_COUNT; b++)
            if (!strcmp(na, ts_event_kind_name((ts_event_kind)b)))
                fail_msg("kinds %d and %d share the name %s", a, b, na);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delivery_by_kind_in_order),
        cmocka_unit_test(test_first_failure_kept),
        cmocka_unit_test(test_kind_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
