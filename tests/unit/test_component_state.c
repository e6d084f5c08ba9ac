/*
 * The component-state controller (src/deploy/component_state.c) through
 * the fake runtime. Two robots: robot 0 has nodes 0 (computer) and 1
 * (switch) and 2 (computer), robot 1 has node 3; components 0..5:
 *   0 on node 0, safety-critical (primary of the set {0, 1})
 *   1 on node 2, safety-critical (its backup)
 *   2 on node 0, not critical
 *   3 on node 3 (robot 1), not critical
 *   4 on node 2, publisher of topic 0, zone 0
 *   5 on node 3, subscriber, zone 1
 * Endpoints 6..9 are the node agents.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_runtime.h"
#include "toposim/alloc.h"
#include "toposim/deploy.h"

typedef struct fixture {
    fake_runtime *f;
    ts_ctl *ctl;
} fixture;

static const int node_of[6] = {0, 2, 0, 3, 2, 3};
static const unsigned char critical[6] = {1, 1, 0, 0, 0, 0};
static const int node_site[4] = {0, 0, 0, 1};
static const unsigned char hosts[4] = {1, 0, 1, 1};
static const int publisher[1] = {4};

static void setup(fixture *x)
{
    memset(x, 0, sizeof *x);
    x->f = fake_runtime_new();
    assert_non_null(x->f);
    ts_ctl_desc d = {
        .n_components = 6, .node_of = node_of, .safety_critical = critical,
        .n_nodes = 4, .node_site = node_site, .node_hosts_agent = hosts,
        .n_sites = 2, .n_topics = 1, .topic_publisher = publisher,
    };
    ts_error err;
    assert_int_equal(ts_ctl_new(&x->f->rt, &d, &x->ctl, &err), TS_OK);
    int set[2] = {0, 1};
    assert_int_equal(ts_ctl_add_replicas(x->ctl, set, 2), TS_OK);
}

static void teardown(fixture *x)
{
    ts_ctl_free(x->ctl);
    fake_runtime_free(x->f);
    assert_int_equal(ts_alloc_live(), 0);
}

static void endpoints_and_agents(void **state)
{
    (void)state;
    fixture x;
    setup(&x);
    assert_int_equal(ts_ctl_endpoint_count(x.ctl), 10);
    assert_int_equal(ts_ctl_endpoint_node(x.ctl, 1), 2);
    assert_int_equal(ts_ctl_endpoint_node(x.ctl, 6 + 3), 3);
    assert_int_equal(ts_ctl_endpoint_node(x.ctl, 10), -1);
    assert_true(ts_ctl_is_agent(x.ctl, 7));
    assert_false(ts_ctl_is_agent(x.ctl, 5));
    assert_int_equal(ts_ctl_node_agent(x.ctl, 2), 8);
    assert_int_equal(ts_ctl_node_agent(x.ctl, 4), -1);
    assert_int_equal(ts_ctl_site_agent(x.ctl, 0), 6);       /* node 0 */
    assert_int_equal(ts_ctl_site_agent(x.ctl, 1), 6 + 3);   /* node 3 */
    assert_int_equal(ts_ctl_site_agent(x.ctl, 2), -1);
    teardown(&x);
}

/* Roles and versions are told separately and combined: a rollout's
 * version reaches every member of the set and changes nobody's role. */
static void version_and_role_combine(void **state)
{
    (void)state;
    fixture x;
    setup(&x);
    assert_int_equal(ts_ctl_set_role(x.ctl, 1, TS_RT_STANDBY, 0), TS_OK);
    assert_int_equal(x.f->n_changes, 1);
    /* Telling the same again applies nothing. */
    assert_int_equal(ts_ctl_set_role(x.ctl, 1, TS_RT_STANDBY, 0), TS_OK);
    assert_int_equal(x.f->n_changes, 1);
    assert_int_equal(ts_ctl_set_version(x.ctl, 0, 2), TS_OK);
    assert_int_equal(x.f->n_changes, 3);
    assert_int_equal(x.f->component[0].run, TS_RT_ACTIVE);
    assert_int_equal(x.f->component[0].version, 2);
    assert_int_equal(x.f->component[1].run, TS_RT_STANDBY);   /* still standby */
    assert_int_equal(x.f->component[1].version, 2);
    /* Told through the backup, the version reaches the primary too. */
    assert_int_equal(ts_ctl_set_version(x.ctl, 1, 1), TS_OK);
    assert_int_equal(ts_ctl_state(x.ctl, 0).version, 1);
    /* A component alone is a set of one. */
    assert_int_equal(ts_ctl_set_version(x.ctl, 2, 1), TS_OK);
    assert_int_equal(ts_ctl_state(x.ctl, 3).version, 0);
    /* The backup takes over in safety mode; the version stays. */
    x.f->component_alive[0] = 0;
    assert_int_equal(ts_ctl_server(x.ctl, 0), -1);
    assert_int_equal(ts_ctl_set_role(x.ctl, 0, TS_RT_STANDBY, 0), TS_OK);
    assert_int_equal(ts_ctl_set_role(x.ctl, 1, TS_RT_ACTIVE, 1), TS_OK);
    ts_rt_component_state st = ts_ctl_state(x.ctl, 1);
    assert_int_equal(st.run, TS_RT_ACTIVE);
    assert_int_equal(st.safety_mode, 1);
    assert_int_equal(st.version, 1);
    assert_int_equal(ts_ctl_server(x.ctl, 0), 1);
    assert_int_equal(ts_ctl_server(x.ctl, 1), 1);
    /* The primary back, as a standby: still one server. */
    x.f->component_alive[0] = 1;
    assert_false(ts_ctl_serves(x.ctl, 0));
    assert_int_equal(ts_ctl_server(x.ctl, 0), 1);
    /* Bad input. */
    int again[2] = {1, 2};
    assert_int_equal(ts_ctl_add_replicas(x.ctl, again, 2), TS_EINVAL);
    assert_int_equal(ts_ctl_set_role(x.ctl, 6, TS_RT_ACTIVE, 0), TS_EINVAL);
    assert_int_equal(ts_ctl_set_version(x.ctl, -1, 1), TS_EINVAL);
    teardown(&x);
}

/* What each stop category stops (IEC 60204-1, 9.2.2): a controlled stop
 * halts robot 0's components but its safety-critical ones; power off
 * halts them all; robot 1 is untouched; a halt outlasts a later role. */
static void stop_categories(void **state)
{
    (void)state;
    fixture x;
    setup(&x);
    ts_safe_event stop = {0, 2, TS_SAFE_STOP, 0, 0};
    ts_ctl_safe_state(x.ctl, &stop);
    assert_int_equal(x.f->component[0].run, TS_RT_ACTIVE);
    assert_int_equal(x.f->component[1].run, TS_RT_ACTIVE);
    assert_int_equal(x.f->component[2].run, TS_RT_STOPPED);
    assert_int_equal(x.f->component[3].run, TS_RT_ACTIVE);
    assert_int_equal(x.f->component[4].run, TS_RT_STOPPED);
    assert_int_equal(x.f->n_changes, 2);
    assert_true(ts_ctl_halted(x.ctl, 2));
    assert_int_equal(ts_ctl_set_role(x.ctl, 2, TS_RT_ACTIVE, 1), TS_OK);
    assert_int_equal(x.f->component[2].run, TS_RT_STOPPED);
    assert_int_equal(ts_ctl_role(x.ctl, 2), TS_RT_ACTIVE);
    ts_safe_event off = {0, 1, TS_SAFE_POWER_OFF, 0, 0};
    ts_ctl_safe_state(x.ctl, &off);
    assert_int_equal(x.f->component[0].run, TS_RT_STOPPED);
    assert_int_equal(x.f->component[1].run, TS_RT_STOPPED);
    assert_int_equal(x.f->component[3].run, TS_RT_ACTIVE);
    /* Category 0 on robot 1: everything there at once. */
    ts_safe_event cat0 = {1, 0, TS_SAFE_POWER_OFF, 0, 3};
    ts_ctl_safe_state(x.ctl, &cat0);
    assert_int_equal(x.f->component[3].run, TS_RT_STOPPED);
    assert_int_equal(x.f->component[5].run, TS_RT_STOPPED);
    teardown(&x);
}

/* A stopped component sends and hears only liveness heartbeats; node
 * agents are never stopped. */
static void stopped_sends_only_heartbeats(void **state)
{
    (void)state;
    fixture x;
    setup(&x);
    assert_int_equal(ts_ctl_set_role(x.ctl, 4, TS_RT_STOPPED, 0), TS_OK);
    ts_rt_message m = {.from = 4, .to = 5, .port = TS_PORT_TOPIC, .channel = 0};
    assert_false(ts_ctl_may_send(x.ctl, &m));
    m.port = TS_PORT_LIVENESS;
    assert_true(ts_ctl_may_send(x.ctl, &m));
    assert_false(ts_ctl_may_receive(x.ctl, 4, TS_PORT_TOPIC));
    assert_true(ts_ctl_may_receive(x.ctl, 4, TS_PORT_LIVENESS));
    m.from = 7;
    m.port = TS_PORT_FLEET;
    assert_true(ts_ctl_may_send(x.ctl, &m));
    assert_true(ts_ctl_may_receive(x.ctl, 7, TS_PORT_HEALTH));
    /* Standby components send (acks, heartbeats) but do not serve. */
    assert_int_equal(ts_ctl_set_role(x.ctl, 4, TS_RT_STANDBY, 0), TS_OK);
    m.from = 4;
    m.port = TS_PORT_TOPIC;
    assert_true(ts_ctl_may_send(x.ctl, &m));
    assert_false(ts_ctl_serves(x.ctl, 4));
    teardown(&x);
}

/* The policy's decision for data: zone 0 may not send to zone 1. A
 * topic's samples from its publisher and service requests are denied and
 * recorded; an acknowledgement back to a writer and heartbeats pass. */
static void policy_decides_data_plane(void **state)
{
    (void)state;
    fixture x;
    setup(&x);
    int zone_of[6] = {-1, -1, -1, -1, 0, 1};
    ts_policy_desc pd = {.n_components = 6, .zone_of = zone_of, .n_zones = 2,
                         .n_topics = 1, .default_deny = 1};
    ts_policy *p;
    ts_policy_checker *c;
    ts_error err;
    assert_int_equal(ts_policy_new(&pd, &p, &err), TS_OK);
    assert_int_equal(ts_policy_checker_new(&x.f->rt, p, 0, &c, &err), TS_OK);
    ts_rt_message m = {.from = 4, .to = 5, .port = TS_PORT_TOPIC, .channel = 0};
    assert_true(ts_ctl_may_send(x.ctl, &m));      /* no policy yet */
    ts_ctl_set_policy(x.ctl, p, c);
    assert_false(ts_ctl_may_send(x.ctl, &m));
    assert_int_equal(fake_runtime_count(x.f, "policy_violation"), 1);
    ts_rt_message ack = {.from = 5, .to = 4, .port = TS_PORT_TOPIC, .channel = 0};
    assert_true(ts_ctl_may_send(x.ctl, &ack));
    ts_rt_message req = {.from = 4, .to = 5, .port = TS_PORT_SERVICE,
                         .kind = TS_SVC_MSG_REQUEST, .channel = -1};
    assert_false(ts_ctl_may_send(x.ctl, &req));
    m.port = TS_PORT_LIVENESS;
    assert_true(ts_ctl_may_send(x.ctl, &m));
    assert_false(ts_ctl_permits(x.ctl, 4, 5, 0));
    assert_true(ts_ctl_permits(x.ctl, 5, 4, -1) == ts_ctl_allows(x.ctl, 5, 4, -1));
    assert_true(ts_ctl_allows(x.ctl, 4, 8, 0));   /* an agent: not the policy's */
    ts_ctl_set_policy(x.ctl, NULL, NULL);
    ts_policy_checker_free(c);
    ts_policy_free(p);
    teardown(&x);
}

static void bad_descriptions(void **state)
{
    (void)state;
    fake_runtime *f = fake_runtime_new();
    ts_ctl *ctl = (ts_ctl *)f;
    ts_error err;
    int bad_node[1] = {7};
    ts_ctl_desc d = {.n_components = 1, .node_of = bad_node, .n_nodes = 2};
    assert_int_equal(ts_ctl_new(&f->rt, &d, &ctl, &err), TS_EINVAL);
    assert_null(ctl);
    d.node_of = NULL;
    assert_int_equal(ts_ctl_new(&f->rt, &d, &ctl, &err), TS_EINVAL);
    assert_int_equal(ts_ctl_new(NULL, &d, &ctl, &err), TS_EINVAL);
    fake_runtime_free(f);
    assert_int_equal(ts_alloc_live(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(endpoints_and_agents),
        cmocka_unit_test(version_and_role_combine),
        cmocka_unit_test(stop_categories),
        cmocka_unit_test(stopped_sends_only_heartbeats),
        cmocka_unit_test(policy_decides_data_plane),
        cmocka_unit_test(bad_descriptions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
