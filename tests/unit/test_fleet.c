/*
 * Tests for src/deploy/fleet.c: the configuration merge (robot wins, key
 * order independent of input order, duplicates and missing keys refused,
 * strings owned), and the coordinator with its agents through the fake
 * runtime: registration, lost REGISTER and lost acknowledgements, silence
 * at exactly last heard + 3 periods, coming back, stray datagrams.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_runtime.h"
#include "toposim/alloc.h"
#include "toposim/deploy.h"
#include "toposim/error.h"

#define MS INT64_C(1000000)
#define SEC INT64_C(1000000000)
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

#define assert_has(msg, needle)                                              \
    do {                                                                     \
        if (!strstr((msg), (needle)))                                        \
            fail_msg("\"%s\" not found in \"%s\"", (needle), (msg));         \
    } while (0)

/* ---- merge ---- */

static const ts_fleet_param global[] = {
    {"max_speed", "1.0"},
    {"camera_rate", "30Hz"},
    {"log_level", "info"},
};
static const ts_fleet_param robot3[] = {
    {"max_speed", "0.5"},
    {"gripper", "soft"},
};

static void test_merge_precedence_and_order(void **state)
{
    (void)state;
    ts_fleet_config c;
    assert_int_equal(ts_fleet_merge(global, 3, robot3, 2, &c, NULL), TS_OK);
    assert_int_equal(c.n, 4);
    const char *keys[] = {"camera_rate", "gripper", "log_level", "max_speed"};
    const char *vals[] = {"30Hz", "soft", "info", "0.5"};
    const int over[] = {0, 1, 0, 1};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(c.entries[i].key, keys[i]);
        assert_string_equal(c.entries[i].value, vals[i]);
        assert_int_equal(c.entries[i].overridden, over[i]);
    }
    assert_string_equal(ts_fleet_config_get(&c, "max_speed"), "0.5");
    assert_string_equal(ts_fleet_config_get(&c, "camera_rate"), "30Hz");
    assert_null(ts_fleet_config_get(&c, "missing"));
    assert_null(ts_fleet_config_get(&c, "max_spee"));

    /* Reversed inputs give the identical configuration. */
    ts_fleet_param g2[3], o2[2];
    for (size_t i = 0; i < 3; i++)
        g2[i] = global[2 - i];
    for (size_t i = 0; i < 2; i++)
        o2[i] = robot3[1 - i];
    ts_fleet_config d;
    assert_int_equal(ts_fleet_merge(g2, 3, o2, 2, &d, NULL), TS_OK);
    assert_int_equal(d.n, c.n);
    for (size_t i = 0; i < c.n; i++) {
        assert_string_equal(d.entries[i].key, c.entries[i].key);
        assert_string_equal(d.entries[i].value, c.entries[i].value);
        assert_int_equal(d.entries[i].overridden, c.entries[i].overridden);
    }
    ts_fleet_config_fini(&d);
    ts_fleet_config_fini(&c);
    assert_int_equal(c.n, 0);
    ts_fleet_config_fini(&c); /* twice is fine */

    /* No overrides: the global configuration, sorted. Byte order: "B" < "a". */
    ts_fleet_param g3[] = {{"b", "2"}, {"a", "1"}, {"B", "3"}};
    assert_int_equal(ts_fleet_merge(g3, 3, NULL, 0, &c, NULL), TS_OK);
    assert_string_equal(c.entries[0].key, "B");
    assert_string_equal(c.entries[1].key, "a");
    assert_string_equal(c.entries[2].key, "b");
    ts_fleet_config_fini(&c);

    /* Only overrides, and nothing at all. */
    assert_int_equal(ts_fleet_merge(NULL, 0, robot3, 2, &c, NULL), TS_OK);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.entries[0].key, "gripper");
    ts_fleet_config_fini(&c);
    assert_int_equal(ts_fleet_merge(NULL, 0, NULL, 0, &c, NULL), TS_OK);
    assert_int_equal(c.n, 0);
    assert_null(ts_fleet_config_get(&c, "x"));
    ts_fleet_config_fini(&c);
}

static void test_merge_owns_strings(void **state)
{
    (void)state;
    char k[16] = "max_speed", v[16] = "0.7";
    ts_fleet_param o[] = {{k, v}};
    ts_fleet_config c;
    assert_int_equal(ts_fleet_merge(global, 3, o, 1, &c, NULL), TS_OK);
    strcpy(k, "zzz");
    strcpy(v, "9");
    assert_string_equal(ts_fleet_config_get(&c, "max_speed"), "0.7");
    assert_null(ts_fleet_config_get(&c, "zzz"));
    ts_fleet_config_fini(&c);
}

static void test_merge_errors(void **state)
{
    (void)state;
    ts_fleet_config c;
    ts_error err;
    ts_fleet_param dup[] = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
    assert_int_equal(ts_fleet_merge(dup, 3, NULL, 0, &c, &err), TS_EINVAL);
    assert_has(err.msg, "\"a\" given twice in the global configuration");
    assert_int_equal(c.n, 0);
    assert_null(c.entries);
    assert_int_equal(ts_fleet_merge(global, 3, dup, 3, &c, &err), TS_EINVAL);
    assert_has(err.msg, "\"a\" given twice in the robot's overrides");
    ts_fleet_param nokey[] = {{"", "1"}};
    assert_int_equal(ts_fleet_merge(nokey, 1, NULL, 0, &c, &err), TS_EINVAL);
    assert_has(err.msg, "global parameter 0 has no key");
    ts_fleet_param nullkey[] = {{NULL, "1"}};
    assert_int_equal(ts_fleet_merge(NULL, 0, nullkey, 1, &c, &err), TS_EINVAL);
    ts_fleet_param noval[] = {{"a", NULL}};
    assert_int_equal(ts_fleet_merge(noval, 1, NULL, 0, &c, &err), TS_EINVAL);
    assert_has(err.msg, "\"a\" has no value");
    assert_int_equal(ts_fleet_merge(NULL, 2, NULL, 0, &c, &err), TS_EINVAL);
    assert_int_equal(ts_fleet_merge(global, 3, NULL, 0, NULL, &err), TS_EINVAL);

    long live = ts_alloc_live();
    for (long n = 1; n < 10; n++) {
        ts_alloc_fail_after(n);
        int rc = ts_fleet_merge(global, 3, robot3, 2, &c, &err);
        ts_alloc_fail_after(0);
        if (rc == TS_OK) {
            ts_fleet_config_fini(&c);
            break;
        }
        assert_int_equal(rc, TS_ENOMEM);
        assert_int_equal(c.n, 0);
        assert_int_equal(ts_alloc_live(), live);
    }
    assert_int_equal(ts_alloc_live(), live);
}

/* ---- coordinator and agents ---- */

/* Coordinator on endpoint 1; robots r0..r2 have agents on 10..12 that
 * watch components 20..22; period 100 ms; latency 1 ms. */
#define COORD 1
static const int agent_ep[3] = {10, 11, 12};
static const char *const robot_names[3] = {"r0", "r1", "r2"};

typedef struct world {
    fake_runtime *f;
    ts_fleet_coord *c;
    ts_fleet_agent *a[3];
    int drop_first_register_of; /* agent endpoint, or -1 */
    int drop_acks_to;           /* agent endpoint, or -1 */
    int dropped_register;
} world;

static int drop(void *ctx, const ts_rt_message *m)
{
    world *w = ctx;
    if (m->kind == TS_FLEET_REGISTER && m->from == w->drop_first_register_of &&
        !w->dropped_register) {
        w->dropped_register = 1;
        return 1;
    }
    return m->kind == TS_FLEET_REGISTER_ACK && m->to == w->drop_acks_to;
}

static int setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->f = fake_runtime_new();
    w->f->drop = drop;
    w->f->drop_ctx = w;
    w->drop_first_register_of = -1;
    w->drop_acks_to = -1;
    ts_fleet_coord_desc cd = {COORD, agent_ep, robot_names, 3, 100 * MS, 0};
    ts_error err;
    assert_int_equal(ts_fleet_coord_new(&w->f->rt, &cd, &w->c, &err), TS_OK);
    assert_int_equal(ts_fleet_coord_start(w->c), TS_OK);
    for (int i = 0; i < 3; i++) {
        ts_fleet_agent_desc ad = {agent_ep[i], COORD, i, 20 + i, 100 * MS, 0};
        assert_int_equal(ts_fleet_agent_new(&w->f->rt, &ad, &w->a[i], &err), TS_OK);
    }
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    for (int i = 0; i < 3; i++)
        ts_fleet_agent_free(w->a[i]);
    ts_fleet_coord_free(w->c);
    fake_runtime_free(w->f);
    free(w);
    return 0;
}

static void test_register_silent_back(void **state)
{
    world *w = *state;
    fake_runtime *f = w->f;
    assert_int_equal(ts_fleet_agent_start(w->a[0]), TS_OK);
    assert_int_equal(ts_fleet_agent_start(w->a[1]), TS_OK);
    assert_int_equal(ts_fleet_agent_start(w->a[0]), TS_EINVAL);

    fake_runtime_run(f, 1 * MS);
    assert_int_equal(fake_runtime_count(f, "robot_registered"), 2);
    const fake_record *r = fake_runtime_find(f, "robot_registered", 0);
    assert_int_equal(r->time, 1 * MS);
    assert_int_equal(r->component, 10);
    assert_float_equal(r->value, 0.0, 0);
    assert_string_equal(r->detail, "r0 registered with the fleet coordinator");
    assert_int_equal(ts_fleet_coord_n_registered(w->c), 2);
    assert_int_equal(ts_fleet_coord_last_telemetry(w->c, 0), -1);
    assert_false(ts_fleet_agent_registered(w->a[0]));
    fake_runtime_run(f, 2 * MS);
    assert_true(ts_fleet_agent_registered(w->a[0]));

    /* Telemetry every period from 100 ms, received 1 ms later. */
    fake_runtime_run(f, 250 * MS);
    assert_int_equal(ts_fleet_coord_last_telemetry(w->c, 0), 201 * MS);
    assert_int_equal(ts_fleet_coord_telemetry_count(w->c, 0), 2);
    assert_int_equal(fake_runtime_sent(f, TS_PORT_FLEET, TS_FLEET_REGISTER), 2);
    assert_int_equal(fake_runtime_sent(f, TS_PORT_FLEET, TS_FLEET_TELEMETRY), 4);

    /* r0's component dies: nothing after the 200 ms telemetry, so silent at
     * exactly 201 ms + 3 * 100 ms, not a nanosecond earlier. */
    f->component_alive[20] = 0;
    fake_runtime_run(f, 501 * MS - 1);
    assert_int_equal(fake_runtime_count(f, "robot_silent"), 0);
    fake_runtime_run(f, 501 * MS);
    assert_int_equal(fake_runtime_count(f, "robot_silent"), 1);
    r = fake_runtime_find(f, "robot_silent", 0);
    assert_int_equal(r->time, 501 * MS);
    assert_int_equal(r->component, 10);
    assert_float_equal(r->value, (double)(300 * MS), 0);
    assert_string_equal(r->detail, "r0 sent nothing for 3 periods (0.3 s)");
    assert_true(ts_fleet_coord_silent(w->c, 0));
    assert_false(ts_fleet_coord_silent(w->c, 1));

    /* Back at 650 ms: the 700 ms telemetry arrives at 701 ms. */
    fake_runtime_run(f, 650 * MS);
    f->component_alive[20] = 1;
    fake_runtime_run(f, 2 * SEC);
    assert_int_equal(fake_runtime_count(f, "robot_back"), 1);
    r = fake_runtime_find(f, "robot_back", 0);
    assert_int_equal(r->time, 701 * MS);
    assert_float_equal(r->value, (double)(500 * MS), 0);
    assert_has(r->detail, "r0 heard again after 0.5 s");
    assert_false(ts_fleet_coord_silent(w->c, 0));

    /* r1 reported throughout: never silent; 19 telemetries by 1.901 s;
     * registration recorded once. */
    assert_int_equal(fake_runtime_count(f, "robot_silent"), 1);
    assert_int_equal(ts_fleet_coord_telemetry_count(w->c, 1), 19);
    assert_int_equal(ts_fleet_coord_last_telemetry(w->c, 1), 1901 * MS);
    assert_int_equal(fake_runtime_count(f, "robot_registered"), 2);
    assert_false(ts_fleet_coord_registered(w->c, 2));
    assert_false(ts_fleet_coord_silent(w->c, 2));
    /* r0 missed 300..600 ms: 4 fewer. */
    assert_int_equal(ts_fleet_coord_telemetry_count(w->c, 0), 15);

    /* Silent again when the component dies for good (after the 2 s tick,
     * whose telemetry arrives at 2.001 s). */
    f->component_alive[20] = 0;
    fake_runtime_run(f, 3 * SEC);
    r = fake_runtime_find(f, "robot_silent", 1);
    assert_non_null(r);
    assert_int_equal(r->time, 2001 * MS + 300 * MS);
    assert_int_equal(fake_runtime_count(f, "robot_silent"), 2);
}

static void test_lost_register_retried(void **state)
{
    world *w = *state;
    fake_runtime *f = w->f;
    w->drop_first_register_of = 12;
    fake_runtime_run(f, 50 * MS);
    assert_int_equal(ts_fleet_agent_start(w->a[2]), TS_OK);
    fake_runtime_run(f, 149 * MS);
    assert_int_equal(fake_runtime_count(f, "robot_registered"), 0);
    fake_runtime_run(f, 400 * MS);
    const fake_record *r = fake_runtime_find(f, "robot_registered", 0);
    assert_non_null(r);
    assert_int_equal(r->time, 151 * MS);
    assert_int_equal(r->component, 12);
    assert_float_equal(r->value, 2.0, 0);
    assert_true(ts_fleet_agent_registered(w->a[2]));
    /* REGISTER at 50 (lost) and 150, TELEMETRY at 250 and 350. */
    assert_int_equal(ts_fleet_agent_sent(w->a[2]), 4);
    assert_int_equal(ts_fleet_coord_telemetry_count(w->c, 2), 2);
}

static void test_lost_acks(void **state)
{
    world *w = *state;
    fake_runtime *f = w->f;
    w->drop_acks_to = 11;
    assert_int_equal(ts_fleet_agent_start(w->a[1]), TS_OK);
    fake_runtime_run(f, 1 * SEC);
    /* The agent keeps registering; the coordinator records it once and,
     * hearing it every period, never calls it silent. */
    assert_false(ts_fleet_agent_registered(w->a[1]));
    assert_int_equal(fake_runtime_sent(f, TS_PORT_FLEET, TS_FLEET_REGISTER), 11);
    /* (the 1 s REGISTER is answered at 1.001 s) */
    assert_int_equal(fake_runtime_sent(f, TS_PORT_FLEET, TS_FLEET_REGISTER_ACK), 10);
    assert_int_equal(fake_runtime_count(f, "robot_registered"), 1);
    assert_int_equal(fake_runtime_count(f, "robot_silent"), 0);
    assert_int_equal(ts_fleet_coord_telemetry_count(w->c, 1), 0);
    /* Acks get through again: telemetry follows from the next tick. */
    w->drop_acks_to = -1;
    fake_runtime_run(f, 1300 * MS);
    assert_true(ts_fleet_agent_registered(w->a[1]));
    /* The 1 s REGISTER is acknowledged at 1.002 s; telemetry sent at 1.1
     * and 1.2 s has arrived by 1.3 s. */
    assert_int_equal(ts_fleet_coord_telemetry_count(w->c, 1), 2);
    assert_int_equal(ts_fleet_coord_last_telemetry(w->c, 1), 1201 * MS);
}

static void test_dead_from_start_and_strays(void **state)
{
    world *w = *state;
    fake_runtime *f = w->f;
    /* r0's component is down at start: nothing sent, never registered,
     * so never silent either. */
    f->component_alive[20] = 0;
    assert_int_equal(ts_fleet_agent_start(w->a[0]), TS_OK);
    fake_runtime_run(f, 1 * SEC);
    assert_int_equal(ts_fleet_agent_sent(w->a[0]), 0);
    assert_int_equal(f->n_records, 0);

    /* Strays: a wrong robot index for the sender, a short body, an unknown
     * kind. None registers anything. */
    ts_rt_message m;
    memset(&m, 0, sizeof m);
    m.from = 11;
    m.to = COORD;
    m.port = TS_PORT_FLEET;
    m.kind = TS_FLEET_REGISTER;
    m.body_len = 4;
    m.body[0] = 2; /* r2's index from r1's endpoint */
    ts_rt_send(&f->rt, &m);
    m.body[0] = 1;
    m.body_len = 3;
    ts_rt_send(&f->rt, &m);
    m.body_len = 4;
    m.kind = 99;
    ts_rt_send(&f->rt, &m);
    m.body[0] = 7;
    m.kind = TS_FLEET_TELEMETRY;
    ts_rt_send(&f->rt, &m);
    fake_runtime_run(f, 1100 * MS);
    assert_int_equal(f->n_records, 0);
    assert_int_equal(ts_fleet_coord_n_registered(w->c), 0);

    /* Telemetry from a robot never heard registers it. */
    m.body[0] = 1;
    ts_rt_send(&f->rt, &m);
    fake_runtime_run(f, 1200 * MS);
    const fake_record *r = fake_runtime_find(f, "robot_registered", 0);
    assert_non_null(r);
    assert_int_equal(r->time, 1101 * MS);
    assert_has(r->detail, "r1 registered with the fleet coordinator by its telemetry");
    assert_int_equal(ts_fleet_coord_last_telemetry(w->c, 1), 1101 * MS);
    fake_runtime_run(f, 2 * SEC);
    r = fake_runtime_find(f, "robot_silent", 0);
    assert_non_null(r);
    assert_int_equal(r->time, 1401 * MS);
}

static void test_bad_descriptions(void **state)
{
    world *w = *state;
    ts_error err;
    ts_fleet_coord *c = (ts_fleet_coord *)&err;
    ts_fleet_coord_desc cd = {COORD, agent_ep, NULL, 3, 0, 0};
    assert_int_equal(ts_fleet_coord_new(&w->f->rt, &cd, &c, &err), TS_EINVAL);
    assert_null(c);
    assert_has(err.msg, "period");
    int bad[2] = {3, -1};
    cd = (ts_fleet_coord_desc){COORD, bad, NULL, 2, 100 * MS, 0};
    assert_int_equal(ts_fleet_coord_new(&w->f->rt, &cd, &c, &err), TS_EINVAL);
    assert_has(err.msg, "robot 1");
    cd = (ts_fleet_coord_desc){COORD, agent_ep, NULL, 3, 100 * MS, -1};
    assert_int_equal(ts_fleet_coord_new(&w->f->rt, &cd, &c, &err), TS_EINVAL);

    /* silent_periods 5 and no names: silent after 5 periods, "robot 0". */
    fake_runtime *f = fake_runtime_new();
    cd = (ts_fleet_coord_desc){2, agent_ep, NULL, 1, 10 * MS, 5};
    assert_int_equal(ts_fleet_coord_new(&f->rt, &cd, &c, &err), TS_OK);
    assert_int_equal(ts_fleet_coord_start(c), TS_OK);
    ts_fleet_agent *a;
    ts_fleet_agent_desc ad = {10, 2, 0, -1, 10 * MS, 1000};
    assert_int_equal(ts_fleet_agent_new(&f->rt, &ad, &a, &err), TS_OK);
    assert_int_equal(ts_fleet_agent_start(a), TS_OK);
    fake_runtime_run(f, 35 * MS);
    f->component_alive[10] = 0; /* the agent watches its own endpoint */
    fake_runtime_run(f, 200 * MS);
    const fake_record *r = fake_runtime_find(f, "robot_silent", 0);
    assert_non_null(r);
    assert_int_equal(r->time, 31 * MS + 50 * MS);
    assert_has(r->detail, "robot 0 sent nothing for 5 periods");
    /* The telemetry size is the one declared. */
    for (size_t i = 0; i < f->n_sent; i++)
        if (f->sent[i].kind == TS_FLEET_TELEMETRY)
            assert_int_equal(f->sent[i].wire_bytes, 1000);
    ts_fleet_agent_free(a);
    ts_fleet_coord_free(c);
    fake_runtime_free(f);

    ts_fleet_agent_desc bad_a = {10, 1, 0, -1, 0, 0};
    ts_fleet_agent *b = NULL;
    assert_int_equal(ts_fleet_agent_new(&w->f->rt, &bad_a, &b, &err), TS_EINVAL);
    assert_null(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_precedence_and_order),
        cmocka_unit_test(test_merge_owns_strings),
        cmocka_unit_test(test_merge_errors),
        cmocka_unit_test_setup_teardown(test_register_silent_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_register_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_acks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_from_start_and_strays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_descriptions, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
