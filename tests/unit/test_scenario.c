/*
 * Tests for scenario loading (src/scenario/load.c, build.c, models.c,
 * check.c, deploy_fields.c, fleet_expand.c): the default scenario's
 * contents, the tests/bad/ corpus (each file's error code, line and key
 * phrase), in-memory cases, refusal of DOCTYPEs, external entities and
 * oversize input, model lookup from a temporary folder, line numbers past
 * 65535, silence on stderr, restored libxml2 hooks, every deployment
 * element to exact values (QoS profiles derived from the built-ins,
 * backups, replicas, versions, services, policies, rollouts), fleet
 * expansion (ids, pins, links, shared subscribers, duplicated
 * requirements, per-robot overrides), and clean failure when any
 * allocation fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/xmlerror.h>

#include "toposim/alloc.h"
#include "toposim/error.h"
#include "toposim/scenario.h"

#define KiB ((int64_t)1024)
#define MiB (KiB * 1024)
#define GiB (MiB * 1024)

static const char HUMANOID[] = "scenarios/humanoid-basic.xml";

/* ---- helpers ------------------------------------------------------------ */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

/* 1-based line of the first occurrence of needle in text, 0 if none. */
static int line_of(const char *text, const char *needle)
{
    const char *hit = strstr(text, needle);
    if (!hit)
        return 0;
    int line = 1;
    for (const char *p = text; p < hit; p++)
        if (*p == '\n')
            line++;
    return line;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static int load_mem(const char *text, const char *name,
                    const ts_scenario_options *opts, ts_scenario **s,
                    ts_error *err)
{
    return ts_scenario_load_memory(text, strlen(text), name, opts, s, err);
}

static void expect_error(const char *text, int code, int line,
                         const char *phrase)
{
    ts_scenario *s = (ts_scenario *)1;
    ts_error err;
    ts_scenario_options opts = {.models_dir = "models"};
    int rc = load_mem(text, "mem.xml", &opts, &s, &err);
    if (rc != code || err.line != line || !strstr(err.msg, phrase))
        print_error("got %d at line %d: %s\n", rc, err.line, err.msg);
    assert_int_equal(rc, code);
    assert_null(s);
    assert_string_equal(err.file, "mem.xml");
    assert_int_equal(err.line, line);
    assert_non_null(strstr(err.msg, phrase));
}

/* A small valid platform, for in-memory cases to build on. */
#define PLATFORM_2                                                        \
    "  <platform>\n"                                                     \
    "    <robot id=\"r1\">\n"                                            \
    "      <computer id=\"c1\" cores=\"2\" memory=\"1GiB\"/>\n"          \
    "      <computer id=\"c2\" cores=\"4\" memory=\"2GiB\"/>\n"          \
    "    </robot>\n"                                                     \
    "    <link id=\"l1\" from=\"c1\" to=\"c2\" latency=\"1ms\""          \
    " bandwidth=\"1Gbps\"/>\n"                                           \
    "  </platform>\n"

/* ---- the default scenario ----------------------------------------------- */

static void test_humanoid_basic(void **state)
{
    (void)state;
    long live = ts_alloc_live();
    ts_scenario *s = NULL;
    ts_error err;
    int rc = ts_scenario_load(HUMANOID, NULL, &s, &err);
    if (rc)
        print_error("%s:%d: %s\n", err.file, err.line, err.msg);
    assert_int_equal(rc, TS_OK);
    assert_non_null(s);

    size_t len;
    char *text = slurp(HUMANOID, &len);
    assert_string_equal(s->text, text);
    assert_string_equal(s->path, HUMANOID);
    assert_string_equal(s->name, "humanoid-basic");
    assert_true(s->seed == 42);
    assert_true(s->duration_ns == INT64_C(10000000000));

    assert_int_equal(s->n_sites, 3);
    assert_int_equal(s->n_nodes, 9);
    assert_int_equal(s->n_links, 8);
    assert_int_equal(s->n_components, 8);
    assert_int_equal(s->n_topics, 7);
    assert_int_equal(s->n_requirements, 4);

    assert_string_equal(s->sites[0].id, "humanoid1");
    assert_int_equal(s->sites[0].tier, TS_TIER_ROBOT);
    assert_string_equal(s->sites[1].id, "edge_rack1");
    assert_int_equal(s->sites[1].tier, TS_TIER_EDGE);
    assert_string_equal(s->sites[2].id, "eu_west");
    assert_int_equal(s->sites[2].tier, TS_TIER_CLOUD);

    /* inline computer */
    int rt = ts_scenario_find_node(s, "h1_rt");
    assert_int_equal(rt, 0);
    assert_int_equal(s->nodes[rt].kind, TS_NODE_COMPUTER);
    assert_int_equal(s->nodes[rt].tier, TS_TIER_ROBOT);
    assert_int_equal(s->nodes[rt].site, 0);
    assert_null(s->nodes[rt].model);
    assert_int_equal(s->nodes[rt].cores, 8);
    assert_true(s->nodes[rt].memory_bytes == 16 * GiB);
    assert_int_equal(s->nodes[rt].gpus, 0);
    assert_int_equal(s->nodes[rt].line, line_of(text, "id=\"h1_rt\""));

    /* model-supplied: Jetson Orin NX 16GB has 8 cores, 16GB, 1 GPU */
    int j = ts_scenario_find_node(s, "h1_jetson");
    assert_true(j >= 0);
    assert_int_equal(s->nodes[j].kind, TS_NODE_JETSON);
    assert_string_equal(s->nodes[j].model, "jetson-orin-nx-16gb");
    assert_int_equal(s->nodes[j].cores, 8);
    assert_true(s->nodes[j].memory_bytes == 16 * GiB);
    assert_int_equal(s->nodes[j].gpus, 1);
    assert_true(s->nodes[j].gpu_memory_bytes == 16 * GiB);

    /* model + overrides: inline wins, the rest comes from the model */
    int e2 = ts_scenario_find_node(s, "edge2");
    assert_true(e2 >= 0);
    assert_int_equal(s->nodes[e2].kind, TS_NODE_SERVER);
    assert_int_equal(s->nodes[e2].tier, TS_TIER_EDGE);
    assert_int_equal(s->nodes[e2].site, 1);
    assert_int_equal(s->nodes[e2].cores, 16);
    assert_true(s->nodes[e2].memory_bytes == 128 * GiB);
    assert_int_equal(s->nodes[e2].gpus, 1);
    assert_true(s->nodes[e2].gpu_memory_bytes == 48 * GiB);
    int e1 = ts_scenario_find_node(s, "edge1");
    assert_int_equal(s->nodes[e1].cores, 32);
    assert_int_equal(s->nodes[e1].gpus, 2);
    int c1 = ts_scenario_find_node(s, "cloud1");
    assert_int_equal(s->nodes[c1].kind, TS_NODE_CLOUD);
    assert_int_equal(s->nodes[c1].tier, TS_TIER_CLOUD);
    assert_int_equal(s->nodes[c1].cores, 16);
    assert_true(s->nodes[c1].memory_bytes == 64 * GiB);

    /* switches: network tier, site of their enclosure or -1 */
    int sw = ts_scenario_find_node(s, "h1_switch");
    assert_int_equal(s->nodes[sw].kind, TS_NODE_SWITCH);
    assert_int_equal(s->nodes[sw].tier, TS_TIER_NETWORK);
    assert_int_equal(s->nodes[sw].site, 0);
    assert_int_equal(s->nodes[sw].cores, 0);
    int ap = ts_scenario_find_node(s, "ap1");
    assert_int_equal(s->nodes[ap].tier, TS_TIER_NETWORK);
    assert_int_equal(s->nodes[ap].site, -1);

    /* wifi: latency and bandwidth from the wifi6 model, queue overridden */
    const ts_scenario_link *wifi = NULL;
    for (size_t i = 0; i < s->n_links; i++)
        if (strcmp(s->links[i].id, "wifi") == 0)
            wifi = &s->links[i];
    assert_non_null(wifi);
    assert_string_equal(wifi->model, "wifi6");
    assert_int_equal(wifi->a, sw);
    assert_int_equal(wifi->b, ap);
    assert_true(wifi->latency_ns == 3000000);
    assert_true(wifi->bandwidth_bps == 600e6);
    assert_true(wifi->queue_bytes == 4 * MiB);
    assert_int_equal(wifi->line, line_of(text, "<link id=\"wifi\""));
    /* h1_eth_rt: everything from the gbe model */
    assert_string_equal(s->links[0].id, "h1_eth_rt");
    assert_true(s->links[0].latency_ns == 50000);
    assert_true(s->links[0].bandwidth_bps == 1e9);
    assert_true(s->links[0].queue_bytes == 256 * KiB);

    int cl = ts_scenario_find_component(s, "control_loop");
    assert_int_equal(cl, 0);
    const ts_scenario_component *c = &s->components[cl];
    assert_true(c->shared->period_ns == 1000000);
    assert_true(c->shared->exec_ns == 200000);
    assert_true(c->shared->exec_min_ns == 150000);
    assert_true(c->shared->deadline_ns == 1000000); /* defaults to the period */
    assert_true(c->shared->offset_ns == 0);
    assert_int_equal(c->shared->priority, 90);
    assert_int_equal(c->shared->flags,
                     TS_FLAG_REAL_TIME_CRITICAL | TS_FLAG_SAFETY_CRITICAL);
    assert_true(c->shared->cpu_millicores == 500);
    assert_true(c->shared->memory_bytes == 64 * MiB);
    assert_int_equal(c->pin, -1);
    int cam = ts_scenario_find_component(s, "camera_driver");
    assert_int_equal(s->components[cam].pin, j);
    assert_int_equal(s->components[cam].shared->flags, 0);
    int vis = ts_scenario_find_component(s, "vision_processing");
    assert_true(s->components[vis].shared->cpu_millicores == 4000);
    assert_true(s->components[vis].shared->memory_bytes == 8 * GiB);
    assert_int_equal(s->components[vis].shared->gpus, 1);
    assert_int_equal(s->components[vis].shared->flags, TS_FLAG_COMPUTATION_HEAVY);
    int tel = ts_scenario_find_component(s, "telemetry");
    assert_int_equal(s->components[tel].shared->flags, TS_FLAG_DATA_PROCESSING);
    assert_true(s->components[tel].shared->period_ns == 100000000);

    int ci = ts_scenario_find_topic(s, "camera_image");
    assert_true(ci >= 0);
    const ts_scenario_topic *t = &s->topics[ci];
    assert_true(t->size_bytes == 921600);
    assert_true(t->period_ns == 33333333);
    assert_true(t->budget_ns == 60000000);
    assert_int_equal(t->publisher, cam);
    assert_int_equal(t->n_subscribers, 1);
    assert_int_equal(t->subscribers[0], vis);
    const ts_scenario_topic *js = &s->topics[0];
    assert_string_equal(js->id, "joint_states");
    assert_int_equal(js->n_subscribers, 2);
    assert_int_equal(js->subscribers[0],
                     ts_scenario_find_component(s, "balance_controller"));
    assert_int_equal(js->subscribers[1],
                     ts_scenario_find_component(s, "safety_monitor"));

    assert_int_equal(s->requirements[0].kind, TS_REQ_TOPIC_DEADLINE);
    assert_int_equal(s->requirements[0].target, 0);
    assert_true(s->requirements[0].min_fraction > 0.99899 &&
                s->requirements[0].min_fraction < 0.99901);
    assert_int_equal(s->requirements[1].kind, TS_REQ_COMPONENT_DEADLINE);
    assert_int_equal(s->requirements[1].target, cl);
    assert_true(s->requirements[1].min_fraction == 1.0);
    assert_int_equal(s->requirements[2].target, -1);
    assert_int_equal(s->requirements[3].target, -1);
    assert_true(s->requirements[3].min_fraction > 0.98999 &&
                s->requirements[3].min_fraction < 0.99001);

    assert_int_equal(ts_scenario_find_node(s, "nope"), -1);
    assert_int_equal(ts_scenario_find_component(s, "nope"), -1);
    assert_int_equal(ts_scenario_find_topic(s, "nope"), -1);
    assert_int_equal(ts_scenario_find_link(s, "nope"), -1);
    assert_int_equal(ts_scenario_find_link(s, "wifi"), (int)(wifi - s->links));
    assert_int_equal(ts_scenario_find_link(s, "h1_eth_rt"), 0);

    /* issue-4 defaults: nothing declared, nothing changes */
    assert_true(s->ambient_c == 25.0);
    assert_true(s->sample_period_ns == 100000000);
    assert_int_equal(s->n_media, 0);
    assert_int_equal(s->n_faults, 0);
    assert_null(s->faults);
    assert_true(s->sites[0].battery_wh == 0);
    assert_false(s->nodes[rt].has_power);
    assert_false(s->nodes[rt].has_thermal);
    assert_int_equal(s->nodes[rt].power->initial_mode, -1);
    assert_int_equal(s->nodes[sw].power->initial_mode, -1);
    for (size_t i = 0; i < s->n_links; i++) {
        assert_int_equal(s->links[i].medium, -1);
        assert_int_equal(s->links[i].loss->model, TS_LOSS_MODEL_NONE);
        assert_int_equal(s->links[i].reorder_allowed, 0);
        assert_true(s->links[i].mtu_bytes == 0);
        assert_null(s->links[i].jitter->table);
    }
    for (size_t i = 0; i < s->n_components; i++) {
        assert_int_equal(s->components[i].shared->exec_dist->kind, TS_DIST_NONE);
        assert_int_equal(s->components[i].shared->policy, 0);
        assert_int_equal(s->components[i].shared->weight, 1024);
        assert_true(s->components[i].shared->affinity == 0);
        assert_int_equal(s->components[i].shared->reserve_cores, 0);
        assert_true(s->components[i].shared->gpu_exec_ns == 0);
    }

    /* the model library's power, modes and thermal reach the Jetson */
    const ts_scenario_node *jn = &s->nodes[j];
    assert_true(jn->has_power);
    assert_true(jn->power->idle_w == 4.0);
    assert_true(jn->power->core_dyn_w == 1.5);
    assert_true(jn->power->gpu_dyn_w == 9.0);
    assert_true(jn->power->cpu_ref_hz == 2e9);
    assert_true(jn->power->gpu_ref_hz == 918e6);
    assert_true(jn->power->dyn_exponent == 2.0);
    assert_int_equal(jn->power->n_modes, 4);
    assert_int_equal(jn->power->initial_mode, 0); /* the first: MAXN */
    assert_string_equal(jn->power->modes[0].name, "MAXN");
    assert_int_equal(jn->power->modes[0].online_cores, 0);
    assert_true(jn->power->modes[0].cpu_max_hz == 0);
    assert_true(jn->power->modes[0].budget_w == 0);
    assert_string_equal(jn->power->modes[2].name, "15W");
    assert_int_equal(jn->power->modes[2].online_cores, 4);
    assert_true(jn->power->modes[2].cpu_max_hz == 1651.2e6);
    assert_true(jn->power->modes[2].gpu_max_hz == 612e6);
    assert_true(jn->power->modes[2].budget_w == 15.0);
    /* MAXN at full load reaches the module's 25W */
    assert_true(jn->power->idle_w + 8 * jn->power->core_dyn_w +
                    jn->power->gpu_dyn_w == 25.0);
    assert_true(jn->has_thermal);
    assert_true(jn->thermal->throttle_c == 99.0);
    assert_true(jn->thermal->release_c == 94.0);
    assert_true(jn->thermal->shutdown_c == 104.5);
    assert_true(jn->thermal->throttle_scale == 0.6);
    assert_true(jn->thermal->fan_on_c == 74.0);
    assert_true(jn->thermal->fan_off_c == 70.0);
    assert_true(jn->thermal->r_case_ambient_fan == 1.2);
    assert_true(jn->thermal->c_case == 120.0);
    /* the edge server has power but neither modes nor thermal */
    assert_true(s->nodes[e2].has_power);
    assert_int_equal(s->nodes[e2].power->n_modes, 0);
    assert_int_equal(s->nodes[e2].power->initial_mode, -1);
    assert_true(s->nodes[e2].power->gpu_ref_hz == 2.52e9);
    assert_true(s->nodes[e2].power->dyn_exponent == 3.0); /* default */
    assert_false(s->nodes[e2].has_thermal);

    /* link models: Wi-Fi and WAN jitter, loss-free */
    assert_int_equal(wifi->jitter->kind, TS_DIST_EXPONENTIAL);
    assert_true(wifi->jitter->a == 500000.0);
    const ts_scenario_link *wan = &s->links[ts_scenario_find_link(s, "wan")];
    assert_int_equal(wan->jitter->kind, TS_DIST_NORMAL);
    assert_true(wan->jitter->a == 200000.0 && wan->jitter->b == 100000.0);
    assert_int_equal(s->links[0].jitter->kind, TS_DIST_NONE); /* gbe */

    free(text);
    ts_scenario_free(s);
    assert_int_equal(ts_alloc_live(), live);
}

/* gpus="0.25" is a share of one GPU (thousandths), gpu-memory= the
 * component's GPU memory, gpu-timeslice= the node's slice; gpus="1" stays
 * a whole GPU with no share. */
static void test_gpu_shares_load(void **state)
{
    (void)state;
    ts_scenario *s;
    ts_error err;
    long live = ts_alloc_live();
    assert_int_equal(ts_scenario_load("scenarios/shared-gpu.xml", NULL, &s, &err), TS_OK);
    const ts_scenario_component *v = &s->components[ts_scenario_find_component(s, "vision_0")];
    assert_int_equal(v->shared->gpus, 0);
    assert_int_equal(v->shared->gpu_share_milli, 250);
    assert_true(v->shared->gpu_memory_bytes == 8 * GiB);
    const ts_scenario_component *d = &s->components[ts_scenario_find_component(s, "detector")];
    assert_int_equal(d->shared->gpus, 1);
    assert_int_equal(d->shared->gpu_share_milli, 0);
    assert_true(d->shared->gpu_memory_bytes == 40 * GiB);
    const ts_scenario_node *n = &s->nodes[ts_scenario_find_node(s, "edge1")];
    assert_true(n->gpu_timeslice_ns == 1000000);
    assert_int_equal(n->gpus, 2);
    assert_int_equal(n->gpu_partition, 0);
    ts_scenario_free(s);
    assert_int_equal(ts_scenario_load("tests/e2e/shared-gpu-partition.xml", NULL, &s, &err),
                     TS_OK);
    assert_int_equal(s->nodes[ts_scenario_find_node(s, "edge1")].gpu_partition, 1);
    ts_scenario_free(s);
    assert_int_equal(ts_alloc_live(), live);
}

/* ---- the tests/bad/ corpus ---------------------------------------------- */

typedef struct bad_case {
    const char *file;
    int code;
    int line;
    const char *phrase;
} bad_case;

static const bad_case bad_cases[] = {
    {"autoscale-bad-target.xml", TS_EINVAL, 24,
     "autoscale: target=\"cpu\": expected a plain non-negative number"},
    {"autoscale-max-above-replicas.xml", TS_EINVAL, 24,
     "service infer: autoscale max=\"4\" exceeds the 2 replicas declared"},
    {"autoscale-min-above-max.xml", TS_EINVAL, 24,
     "service infer: autoscale max=\"2\" is below min=\"3\""},
    {"autoscale-min-above-replicas.xml", TS_EINVAL, 24,
     "service infer: autoscale min=\"3\" exceeds the 2 replicas declared"},
    {"autoscale-min-zero.xml", TS_EINVAL, 24,
     "service infer: autoscale min=\"0\" must be at least 1"},
    {"autoscale-no-target.xml", TS_EPARSE, 24,
     "Element 'autoscale': The attribute 'target' is required"},
    {"autoscale-zero-period.xml", TS_EINVAL, 24,
     "autoscale: period=\"0s\" must be greater than 0"},
    {"rate-step-out-of-order.xml", TS_EINVAL, 27,
     "client front: rate-step at=\"3s\" must be after 0 and after the step before it"},
    {"affinity-core-beyond-node.xml", TS_EINVAL, 12,
     "component a: cores=\"1 2\" names core 2, but node c1 has 2 cores "
     "(0 to 1)"},
    {"allow-from-zone-alone.xml", TS_EINVAL, 18,
     "allow: from-zone= and to-zone= go together"},
    {"allow-publish-and-subscribe.xml", TS_EINVAL, 23,
     "allow: a topic rule names component= and one of publish= or "
     "subscribe="},
    {"allow-unknown-component.xml", TS_ENOENT, 23,
     "allow: component=\"b\" names no component"},
    {"allow-unknown-topic.xml", TS_ENOENT, 20,
     "allow: publish=\"scan\" names no topic"},
    {"allow-unknown-zone.xml", TS_ENOENT, 18,
     "allow: to-zone=\"edge\" names no zone"},
    {"allow-zone-and-component.xml", TS_EINVAL, 24,
     "allow: zones and a component in one rule"},
    {"ambient-fault-no-thermal.xml", TS_EINVAL, 11,
     "ambient: node \"c1\" has no thermal model"},
    {"backup-before-primary.xml", TS_ENOENT, 17,
     "component a_b: backup-of=\"a\" names the component at line"},
    {"backup-exec-min-above-primary-exec.xml", TS_EINVAL, 19,
     "component a_b: exec-min=\"2ms\" is longer than the exec=1ms it "
     "takes from its primary"},
    {"backup-of-backup.xml", TS_EINVAL, 20,
     "component a_c: backup-of=\"a_b\" names a backup (of a); every "
     "backup names the primary itself"},
    {"backup-of-itself.xml", TS_EINVAL, 17,
     "component a: backup-of=\"a\" names the component itself"},
    {"backup-primary-without-heartbeat.xml", TS_EINVAL, 17,
     "component a has a backup (a_b, line"},
    {"backup-same-node.xml", TS_EINVAL, 19,
     "component a_b: node=\"c1\" is where its primary a runs; a backup "
     "needs another node, unless the primary has "
     "core-redundancy=\"true\""},
    {"backup-with-heartbeat.xml", TS_EINVAL, 18,
     "component a_b: heartbeat= is for the primary a"},
    {"bad-flag.xml", TS_EPARSE, 11, "'hard-real-time' is not an element"},
    {"bad-unit.xml", TS_EINVAL, 13, "latency=\"10 parsecs\": expected a duration"},
    {"chain-duplicate-id.xml", TS_EINVAL, 25,
     "duplicate chain id \"p\": the chain at line 20 already uses it"},
    {"chain-ends-with-topic.xml", TS_EINVAL, 24,
     "chain p: ends with topic objects; expected a component after it"},
    {"chain-not-subscribed.xml", TS_EINVAL, 23,
     "chain p: component vis does not subscribe to topic raw (the stage before it); "
     "expected one of the topic's subscribers"},
    {"chain-stage-both.xml", TS_EINVAL, 21,
     "chain p: stage 1 must have exactly one of component= and topic="},
    {"chain-starts-with-topic.xml", TS_EINVAL, 21,
     "chain p: stage 1 is a topic, expected a component"},
    {"chain-topic-wrong-publisher.xml", TS_EINVAL, 22,
     "chain p: topic objects is published by vis, not by cam (the stage before it); "
     "expected a topic cam publishes"},
    {"chain-unknown-component.xml", TS_ENOENT, 23,
     "chain p: stage 3 component=\"vison\" names no component"},
    {"chain-zero-budget.xml", TS_EINVAL, 20,
     "chain p: budget=\"0ms\" must be greater than 0"},
    {"client-no-rate.xml", TS_EINVAL, 26, "client front: neither rate= nor per=\"job\""},
    {"client-per-and-rate.xml", TS_EINVAL, 26,
     "client front: per=\"job\" and rate=\"30Hz\" both given"},
    {"client-per-unknown.xml", TS_EPARSE, 26,
     "The value 'sample' is not an element of the set {'job'}"},
    {"client-per-with-rate-step.xml", TS_EINVAL, 27,
     "client front: <rate-step> with per=\"job\" (expected no steps"},
    {"client-unknown-component.xml", TS_ENOENT, 21,
     "client: component=\"vision\" names no component"},
    {"client-unknown-service.xml", TS_ENOENT, 21,
     "client a: service=\"detekt\" names no service"},
    {"component-pin-other-robot.xml", TS_EINVAL, 20,
     "component a: node=\"c1\" is on robot r1, but the component belongs "
     "to robot r2"},
    {"component-robot-is-edge.xml", TS_EINVAL, 17,
     "component a: robot=\"e1\" is an edge, not a robot"},
    {"component-unknown-robot.xml", TS_ENOENT, 17,
     "component a: robot=\"r9\" names no robot"},
    {"component-unknown-zone.xml", TS_ENOENT, 18,
     "component a: zone=\"safty\" names no zone (declare it with <zone "
     "id=\"safty\"/> in <policies>)"},
    {"config-duplicate-param.xml", TS_EINVAL, 18,
     "config: parameter \"max_speed\" is set twice (first at line"},
    {"dist-missing-parameter.xml", TS_EINVAL, 13,
     "link l1 <jitter>: dist=\"normal\" needs sd="},
    {"dist-uniform-reversed.xml", TS_EINVAL, 13,
     "link l1 <jitter>: min=\"2ms\" is above max=\"1ms\""},
    {"doctype-entity.xml", TS_EPARSE, 6, "DOCTYPE is not allowed"},
    {"duplicate-component.xml", TS_EINVAL, 13,
     "duplicate component id \"planner\": the component at line 12"},
    {"duplicate-fleet.xml", TS_EINVAL, 22,
     "duplicate fleet id \"f\": the fleet at line"},
    {"duplicate-medium.xml", TS_EINVAL, 10,
     "duplicate medium id \"air\": the medium at line 9 already uses it"},
    {"duplicate-node.xml", TS_EINVAL, 12,
     "duplicate node id \"c1\": the computer at line 9"},
    {"duplicate-profile.xml", TS_EINVAL, 18,
     "duplicate QoS profile id \"cmd\": the profile at line"},
    {"duplicate-service.xml", TS_EINVAL, 21,
     "duplicate service id \"detect\": the service at line"},
    {"duplicate-version.xml", TS_EINVAL, 19,
     "component a: version \"v2\" is declared twice (the first at line"},
    {"duplicate-zone.xml", TS_EINVAL, 18,
     "duplicate zone id \"safety\": the zone at line"},
    {"exec-min-above-exec.xml", TS_EINVAL, 11, "is longer than exec=\"2ms\""},
    {"exec-pareto-no-mean.xml", TS_EINVAL, 13,
     "component a <exec>: the distribution has no finite mean"},
    {"fault-names-no-copy.xml", TS_ENOENT, 23,
     "node-crash: node=\"h1_rt_r4\" names no node: h1_rt is on robot h1, the "
     "template of fleet f, whose copies are h1_rt_r1 to h1_rt_r3"},
    {"fault-unknown-component.xml", TS_ENOENT, 20,
     "component-crash: component=\"planner\" names no component"},
    {"fault-unknown-link.xml", TS_ENOENT, 14,
     "link-down: link=\"wfi\" names no link"},
    {"fault-unknown-medium.xml", TS_ENOENT, 14,
     "medium-change: medium=\"ap2_air\" names no medium"},
    {"fault-unknown-mode.xml", TS_EINVAL, 15,
     "power-mode: node j1: mode=\"MAXN\" is not one of its power modes "
     "(15W, 7W)"},
    {"fault-unknown-node.xml", TS_ENOENT, 10,
     "node-crash: node=\"c3\" names no node"},
    {"fleet-coordinator-on-template.xml", TS_EINVAL, 19,
     "fleet f: coordinator=\"a\" belongs to the template robot r1"},
    {"fleet-copy-id-taken.xml", TS_EINVAL, 9,
     "fleet f: copy 1 of node c1 is named \"c1_r1\", which the node at "
     "line"},
    {"fleet-override-index-too-large.xml", TS_EINVAL, 24,
     "fleet f: <robot index=\"3\"> is past its last robot (count=\"3\" "
     "makes robots 0 to 2, 0 being r1 itself)"},
    {"fleet-override-index-twice.xml", TS_EINVAL, 21,
     "fleet f: robot 1 already has overrides at line"},
    {"fleet-override-param-twice.xml", TS_EINVAL, 25,
     "fleet f: robot 1 sets \"max_speed\" twice (first at line"},
    {"fleet-override-unknown-param.xml", TS_ENOENT, 20,
     "fleet f: robot 1 overrides \"max_sped\", which <config> does not "
     "declare"},
    {"fleet-phase-bad-expression.xml", TS_EINVAL, 19,
     "fleet f: phase=\"uniform(0,perod)\": expected a duration"},
    {"fleet-robot-override-bad-value.xml", TS_EPARSE, 21,
     "robot-override robot=\"r2\" set=\"component[camera_driver].priority=high\": "
     "Element 'component', attribute 'priority': 'high' is not a valid value"},
    {"fleet-robot-override-unknown-component.xml", TS_ENOENT, 21,
     "fleet f: robot-override set=\"component[lidar_driver].rate=10Hz\": no "
     "component of the template robot h1 has the id \"lidar_driver\""},
    {"fleet-robot-override-unknown-robot.xml", TS_EINVAL, 21,
     "fleet f: robot=\"r9\" names no robot of it (its robots are r0, the "
     "template, to r3)"},
    {"fleet-template-not-robot.xml", TS_EINVAL, 19,
     "fleet f: template=\"e1\" is an edge, not a robot"},
    {"fleet-template-twice.xml", TS_EINVAL, 20,
     "fleet g: robot r1 is already the template of fleet f (line"},
    {"fleet-unknown-coordinator.xml", TS_ENOENT, 19,
     "fleet f: coordinator=\"coord\" names no component"},
    {"fleet-unknown-template.xml", TS_ENOENT, 19,
     "fleet f: template=\"h1\" names no robot"},
    {"fleet-unpinned-robot-component.xml", TS_EINVAL, 20,
     "component a: robot r1 is the template of fleet f, whose copies "
     "must be pinned"},
    {"gpu-exec-without-gpu.xml", TS_EINVAL, 11,
     "component a: gpu-exec=\"2ms\" but the component asks for no GPU"},
    {"gpu-memory-bad-unit.xml", TS_EINVAL, 10,
     "component a: gpu-memory=\"2GHz\": expected a size"},
    {"gpu-memory-without-gpu.xml", TS_EINVAL, 10,
     "component a: gpu-memory=\"2GiB\" but the component asks for no GPU"},
    {"gpu-share-above-one.xml", TS_EINVAL, 10,
     "component a: gpus=\"1.5\" is more than one GPU but not whole (a "
     "share time-slices one GPU: from 0.001 to 0.999"},
    {"gpu-share-four-decimals.xml", TS_EPARSE, 10,
     "attribute 'gpus': [facet 'pattern'] The value '0.2500'"},
    {"gpu-sharing-unknown.xml", TS_EPARSE, 8,
     "attribute 'gpu-sharing': [facet 'enumeration'] The value 'mps'"},
    {"gpu-timeslice-zero.xml", TS_EINVAL, 7,
     "server s1: gpu-timeslice=\"0ms\" must be greater than 0"},
    {"gpu-zero-with-gpu-exec.xml", TS_EINVAL, 10,
     "component a: gpu-exec=\"2ms\" but the component asks for no GPU"},
    {"histogram-overlap.xml", TS_EINVAL, 15,
     "component a <exec>: <bin from=\"150us\"> starts before the bin at "
     "line 14 ends"},
    {"histogram-unordered.xml", TS_EINVAL, 15,
     "component a <exec>: <bin from=\"100us\"> starts before the bin at "
     "line 14 ends (bins must be in increasing order and must not "
     "overlap)"},
    {"link-unknown-medium.xml", TS_ENOENT, 11,
     "link wifi: medium=\"ap_air\" names no medium"},
    {"link-without-bandwidth.xml", TS_EINVAL, 13, "link l1: no bandwidth given"},
    {"loss-burst-below-one.xml", TS_EINVAL, 16,
     "loss-burst: burst=\"0.5\" must be at least 1"},
    {"loss-mean-loss-total.xml", TS_EINVAL, 14,
     "link l1 <loss>: mean-loss=\"100%\" must be below 100%"},
    {"loss-probability-out-of-range.xml", TS_ERANGE, 14,
     "link l1 <loss>: p-good-bad=\"120%\": a fraction must lie between 0% "
     "and 100%"},
    {"loss-transition-above-one.xml", TS_EINVAL, 14,
     "link l1 <loss>: mean-loss=\"90%\" with burst=\"1\" needs a "
     "good-to-bad probability of 9, above 1"},
    {"low-battery-without-battery.xml", TS_EINVAL, 8,
     "robot r1: low-battery=\"20%\" but no battery= capacity"},
    {"malformed-unclosed-tag.xml", TS_EPARSE, 10,
     "Opening and ending tag mismatch: robot line 9 and platform"},
    {"medium-profile-not-increasing.xml", TS_EINVAL, 12,
     "medium ap1_air: <at time=\"3s\"> is not after the point at line 11 "
     "(profile times must increase)"},
    {"missing-attribute.xml", TS_EPARSE, 12,
     "The attribute 'rate' is required but missing"},
    {"missing-cores.xml", TS_EINVAL, 9, "computer c2: no CPU cores given"},
    {"missing-exec.xml", TS_EINVAL, 11,
     "component a: no execution time given"},
    {"mode-without-power-modes.xml", TS_EINVAL, 9,
     "computer c1: mode=\"MAXN\" but the node has no power modes"},
    {"model-as-scenario.xml", TS_EPARSE, 7,
     "expected <scenario> as the root element, found <model>"},
    {"model-dla-without-dla.xml", TS_EINVAL, 10,
     "component det: variant=\"int8-dla\" of model \"yolov8s\" runs on a DLA, "
     "and node j1 (jetson-orin-nano-8gb) has none"},
    {"model-kind-mismatch.xml", TS_EINVAL, 10,
     "is a link model, but <jetson> needs a jetson model"},
    {"model-mode-cores-override.xml", TS_EINVAL, 11,
     "jetson j1 <power>: power mode \"25W\" puts 8 cores online but the "
     "node has 6"},
    {"model-no-figures.xml", TS_EINVAL, 10,
     "component det: model \"yolov8s\" has no variant with figures for node j1 "
     "(jetson-agx-orin-64gb)"},
    {"model-path.xml", TS_EPARSE, 9, "'../etc/passwd' is not accepted"},
    {"model-unknown-network.xml", TS_ENOENT, 10,
     "component det: unknown model \"dnn-yolov9q\": no dnn-yolov9q.xml in "},
    {"model-unknown-variant.xml", TS_ENOENT, 10,
     "component det: variant=\"int4-gpu\" is no variant of model \"yolov8s\""},
    {"model-with-exec.xml", TS_EINVAL, 10,
     "component det: exec=\"5ms\" beside model=\"yolov8s\": the model's "
     "variants give the execution times"},
    {"model-with-version.xml", TS_EINVAL, 11,
     "component det: <version> beside model=\"yolov8s\""},
    {"model-without-gpu.xml", TS_EINVAL, 10,
     "component det: model=\"yolov8s\" runs a network on the GPU or a DLA"},
    {"negative-size.xml", TS_ERANGE, 15, "size=\"-1KiB\": a size must not be negative"},
    {"overflow-unit.xml", TS_ERANGE, 7, "duration=\"99999999999s\": duration too long"},
    {"partition-no-links.xml", TS_EPARSE, 15,
     "Element 'partition', attribute 'links': [facet 'minLength']"},
    {"pin-to-switch.xml", TS_EINVAL, 16, "node=\"sw\" is a switch"},
    {"power-missing-cpu-ref.xml", TS_EINVAL, 10,
     "computer c1 <power>: no cpu-ref= given"},
    {"power-manager-one-mode.xml", TS_EINVAL, 13,
     "robot r1: <power-manager node=\"c1\">: the node has 1 power mode, a manager needs two"},
    {"power-manager-other-robot.xml", TS_EINVAL, 14,
     "robot r1: <power-manager node=\"c2\"> names no node of this robot"},
    {"power-manager-twice.xml", TS_EINVAL, 15,
     "robot r1: a second <power-manager> (the one at line 14"},
    {"power-manager-zero-period.xml", TS_EINVAL, 14, "period=\"0s\" must be greater than 0"},
    {"power-oc-limit-zero.xml", TS_EINVAL, 10,
     "power mode \"10W\": oc-limit=\"0W\" must be greater than 0 W"},
    {"power-oc-release-above-limit.xml", TS_EINVAL, 10,
     "power mode \"10W\": oc-release=\"12W\" must lie in (0 W, oc-limit=\"10W\"]"},
    {"power-oc-release-without-limit.xml", TS_EINVAL, 10,
     "power mode \"10W\": oc-release= without oc-limit="},
    {"power-oc-scale-zero.xml", TS_EINVAL, 9,
     "computer c1 <power>: oc-scale=\"0%\" must lie in (0%, 100%]"},
    {"power-mode-too-many-cores.xml", TS_EINVAL, 10,
     "computer c1 <power>: power mode \"MAXN\" puts 8 cores online but the "
     "node has 4"},
    {"profile-base-declared-later.xml", TS_ENOENT, 18,
     "profile a: base=\"b\" is the profile at line"},
    {"profile-base-self.xml", TS_EINVAL, 17,
     "profile cmd: base=\"cmd\" is the profile itself"},
    {"profile-builtin-name.xml", TS_EINVAL, 17,
     "profile real_time: \"real_time\" is a built-in profile's name"},
    {"profile-depth-above-max-samples.xml", TS_EINVAL, 18,
     "profile cmd: depth 20 is above max-samples 10"},
    {"profile-unknown-base.xml", TS_ENOENT, 18,
     "profile cmd: base=\"realtime\" names no QoS profile (expected a "
     "built-in one: real_time, standard,"},
    {"profile-zero-depth.xml", TS_EINVAL, 17,
     "profile cmd: depth=\"0\" must be at least 1"},
    {"replica-id-taken.xml", TS_EINVAL, 19,
     "component a: its replica \"a_2\" (replicas=\"2\") takes the id of "
     "the component at line"},
    {"reserve-cores-without-list.xml", TS_EINVAL, 12,
     "component a: reserve-cores=\"true\" needs a cores= list"},
    {"rollout-to-current-version.xml", TS_EINVAL, 22,
     "rollout of a: to=\"v1\" is the version it already runs"},
    {"rollout-too-many-canaries.xml", TS_EINVAL, 23,
     "rollout of a: canaries=\"3\" but only 2 robots run it"},
    {"rollout-unknown-component.xml", TS_ENOENT, 22,
     "rollout: component=\"vision\" names no component"},
    {"rollout-unknown-version.xml", TS_ENOENT, 22,
     "rollout of a: to=\"v3\" names no version of it (it has v1, v2;"},
    {"safe-state-budget-without-safe-state.xml", TS_EINVAL, 8,
     "robot r1: safe-state-budget=\"50ms\" but no safe-state= to reach"},
    {"self-link.xml", TS_EINVAL, 13, "link loop: from and to are both \"c1\""},
    {"service-health-timeout-without-period.xml", TS_EINVAL, 20,
     "service detect: health-timeout= but no health-period="},
    {"service-unknown-component.xml", TS_ENOENT, 20,
     "service detect: component=\"detector\" names no component"},
    {"standby-without-backup.xml", TS_EINVAL, 17,
     "component a: standby= applies to a backup (add backup-of="},
    {"thermal-fan-off-above-fan-on.xml", TS_EINVAL, 11,
     "jetson j1 <thermal>: fan-off=65C must be below fan-on=60C"},
    {"thermal-release-above-throttle.xml", TS_EINVAL, 11,
     "computer c1 <thermal>: release=90C must be below throttle=85C"},
    {"thermal-shutdown-below-throttle.xml", TS_EINVAL, 11,
     "jetson j1 <thermal>: shutdown=95C must be above throttle=99C"},
    {"thermal-zero-throttle-scale.xml", TS_EINVAL, 11,
     "jetson j1 <thermal>: throttle-scale=0% must lie in (0%, 100%]"},
    {"topic-rate-too-fast.xml", TS_EINVAL, 15,
     "(every 10ms) is faster than its publisher wheels runs (every 20ms)"},
    {"topic-unknown-qos.xml", TS_ENOENT, 21,
     "topic t: reader-qos=\"fast\" names no QoS profile"},
    {"unknown-backup-primary.xml", TS_ENOENT, 18,
     "component a_b: backup-of=\"planner\" names no component"},
    {"unknown-element.xml", TS_EPARSE, 8,
     "Element 'robto': This element is not expected"},
    {"unknown-link-endpoint.xml", TS_ENOENT, 14,
     "link wifi: to=\"ap2\" names no node (expected the id of a computer, "
     "jetson, server, node or switch)"},
    {"unknown-mode.xml", TS_EINVAL, 9,
     "jetson j1: mode=\"20W\" is not one of its power modes (MAXN, 10W, "
     "15W, 25W)"},
    {"unknown-model.xml", TS_ENOENT, 10,
     "jetson j1: unknown model \"jetson-orin-mega\": no jetson-orin-mega.xml in "},
    {"unknown-pin.xml", TS_ENOENT, 10, "node=\"c9\" names no node"},
    {"unknown-publisher.xml", TS_ENOENT, 15,
     "topic scan: publisher=\"lidar_driver\" names no component"},
    {"unknown-requirement-target.xml", TS_ENOENT, 19,
     "topic=\"joint_state\" names no topic"},
    {"unknown-subscriber.xml", TS_ENOENT, 15,
     "subscriber \"motorz\" names no component"},
    {"unreachable-node.xml", TS_EINVAL, 17,
     "node cloud1 cannot be reached from h1_rt over the declared links"},
    {"version-exec-min-above-exec.xml", TS_EINVAL, 18,
     "component a <version v2>: exec-min=\"3ms\" is longer than its exec "
     "(1ms)"},
    {"wrong-root.xml", TS_EPARSE, 6,
     "No matching global declaration available for the validation root"},
    {"xxe-file.xml", TS_EPARSE, 6, "DOCTYPE is not allowed"},
    {"zero-bandwidth.xml", TS_EINVAL, 12, "bandwidth=\"0Mbps\" must be greater than 0"},
    {"zero-misses.xml", TS_EINVAL, 17,
     "component a: misses=\"0\" must be at least 1"},
    {"zero-period.xml", TS_ERANGE, 12, "rate=\"0Hz\": a rate must be greater than 0Hz"},
    {"zero-queue.xml", TS_EINVAL, 12, "queue=\"0KiB\" must be greater than 0"},
    {"zero-replicas.xml", TS_EINVAL, 17,
     "component a: replicas=\"0\" must be at least 1"},
    {"trigger-unknown-topic.xml", TS_ENOENT, 11,
     "component detector: trigger=\"imgae\" names no topic"},
    {"trigger-not-subscribed.xml", TS_EINVAL, 11,
     "component detector: trigger=\"image\" names a topic it does not subscribe to"},
    {"trigger-with-rate.xml", TS_EINVAL, 11,
     "component detector: trigger=\"image\" with rate=\"30Hz\""},
    {"trigger-loop.xml", TS_EINVAL, 11,
     "component a: its trigger=\"from_b\" comes back to it through a loop"},
    {"poisson-zero-rate.xml", TS_ERANGE, 11,
     "component source: rate=\"0Hz\": a rate must be greater than 0Hz"},
    {"poisson-no-rate.xml", TS_EINVAL, 11,
     "component source: arrival=\"poisson\" needs rate="},
    {"sporadic-no-min.xml", TS_EINVAL, 11,
     "component source: arrival=\"sporadic\" needs min-interarrival="},
    {"sporadic-with-rate.xml", TS_EINVAL, 11,
     "component source: rate= does not apply to arrival=\"sporadic\""},
    {"gap-on-periodic.xml", TS_EINVAL, 12,
     "component source: <gap> applies to arrival=\"sporadic\""},
    {"topic-size-twice.xml", TS_EINVAL, 15,
     "topic image <size>: size=\"1MiB\" and a <size> distribution both give"},
    {"topic-size-pareto-no-mean.xml", TS_EINVAL, 15,
     "topic image <size>: the distribution has no finite mean"},
    {"process-two-nodes.xml", TS_EINVAL, 21,
     "process p: component detector must be pinned (node=) to the node of the "
     "process's other components, c1"},
    {"fleet-process-off-robot.xml", TS_EINVAL, 19,
     "process perception: component mapper must be pinned (node=) to the node of "
     "the process's other components, h1_cpu (a process runs on one node)"},
    {"fleet-process-override-moves.xml", TS_EINVAL, 21,
     "process perception: on robot r2 (fleet trio) its component vision_r2 is on "
     "node h1_aux_r2 and camera_r2 on node h1_cpu_r2"},
    {"fleet-process-copy-id-taken.xml", TS_EINVAL, 19,
     "fleet trio: copy 1 of process perception is named \"perception_r1\", which "
     "the process at line 20 already uses"},
    {"fleet-copy-id-too-long.xml", TS_EINVAL, 12,
     "...xxxxxxx_r1\" is 65 characters long (at most 63"},
    {"fleet-chain-copy-id-taken.xml", TS_EINVAL, 23,
     "fleet trio: copy 1 of chain perception is named \"perception_r1\", which "
     "the chain at line 28 already uses"},
    {"process-unknown-component.xml", TS_ENOENT, 21,
     "process p: component \"tracker\" names no component"},
    {"process-component-twice.xml", TS_EINVAL, 22,
     "process q: component camera is already in process p"},
    {"process-threads-single.xml", TS_EINVAL, 21,
     "process p: threads= applies to executor=\"multi-threaded\""},
    {"process-multi-no-threads.xml", TS_EINVAL, 21,
     "process p: executor=\"multi-threaded\" needs threads="},
    {"zero-weight.xml", TS_EINVAL, 11,
     "component a: weight=\"0\" must be greater than 0"},
    {"expect-bad-event.xml", TS_EPARSE, 24,
     "The value 'Rollout Abort' is not accepted by the pattern"},
    {"expect-max-below-min.xml", TS_EINVAL, 24,
     "expect: max=\"2\" is below min=\"3\""},
    {"expect-no-event.xml", TS_EPARSE, 24,
     "Element 'expect': The attribute 'event' is required"},
    {"expect-unknown-component.xml", TS_ENOENT, 24,
     "expect: component=\"zz\" names no component"},
    {"expect-unknown-node.xml", TS_ENOENT, 24,
     "expect: node=\"n9\" names no node"},
    {"gate-failover-no-backup.xml", TS_EINVAL, 24,
     "failover: component a has no backup: a failover gate needs a failover group"},
    {"gate-failover-no-group.xml", TS_EINVAL, 24,
     "failover: the scenario has no failover group to judge"},
    {"gate-failover-unknown-component.xml", TS_ENOENT, 24,
     "failover: component=\"zz\" names no component"},
    {"gate-health-above-100.xml", TS_EINVAL, 24,
     "health: min=\"120\": a health score runs from 0 to 100"},
    {"gate-integration-attribute.xml", TS_EPARSE, 24,
     "Element 'integration', attribute 'min': The attribute 'min' is not allowed"},
    {"gate-power-budget-no-budget.xml", TS_EINVAL, 24,
     "power-budget: node c1 has no power mode with a budget"},
    {"gate-power-budget-unknown-node.xml", TS_ENOENT, 24,
     "power-budget: node=\"j9\" names no node"},
    {"gate-qos-deadline-negative-max.xml", TS_EPARSE, 24,
     "Element 'qos-deadline', attribute 'max'"},
    {"gate-qos-deadline-no-deadline.xml", TS_EINVAL, 24,
     "qos-deadline: topic t1 has no QoS deadline"},
    {"gate-rollout-not-rolled-out.xml", TS_ENOENT, 24,
     "rollout: component=\"a\" is rolled out by no <rollout>"},
    {"gate-safe-state-not-robot.xml", TS_EINVAL, 24,
     "safe-state: robot=\"e1\" names an edge rack, expected a robot's id"},
    {"gate-safe-state-undeclared.xml", TS_EINVAL, 24,
     "safe-state: robot r1 declares no safe state"},
    {"gate-safe-state-unknown-robot.xml", TS_ENOENT, 24,
     "safe-state: robot=\"r9\" names no robot"},
    {"gate-safety-coverage-above-one.xml", TS_ERANGE, 24,
     "safety-coverage: min=\"150%\": a fraction must lie between 0% and 100%"},
    {"gate-safety-coverage-no-min.xml", TS_EPARSE, 24,
     "Element 'safety-coverage': The attribute 'min' is required"},
    {"gate-service-none.xml", TS_EINVAL, 24,
     "service: the scenario has no <service> to judge"},
    {"gate-thermal-headroom-bad-unit.xml", TS_EINVAL, 24,
     "thermal-headroom: min=\"5 parsecs\": expected a temperature"},
    {"gate-thermal-headroom-no-model.xml", TS_EINVAL, 24,
     "thermal-headroom: node c1 has no thermal model"},
    {"gate-service-unknown.xml", TS_ENOENT, 24,
     "service: service=\"zz\" names no service"},
    {"gate-service-no-min.xml", TS_EPARSE, 24,
     "Element 'service': The attribute 'min' is required"},
    {"gate-qos-deadline-unknown-topic.xml", TS_ENOENT, 24,
     "qos-deadline: topic=\"t9\" names no topic"},
    {"gate-health-no-min.xml", TS_EPARSE, 24,
     "Element 'health': The attribute 'min' is required"},
    {"gate-thermal-headroom-no-min.xml", TS_EPARSE, 24,
     "Element 'thermal-headroom': The attribute 'min' is required"},
    {"expect-negative-min.xml", TS_EPARSE, 24,
     "Element 'expect', attribute 'min'"},
    {"gate-unknown-element.xml", TS_EPARSE, 24,
     "This element is not expected"},
    {"transport-unknown.xml", TS_EINVAL, 9,
     "transport: same-node=\"tcp\" is no transport (expected shm, udp-loopback or "
     "intra-process)"},
    {"transport-twice.xml", TS_EINVAL, 10,
     "a second <transport> (the first is at line 9"},
    {"topic-transport-unknown.xml", TS_EINVAL, 19,
     "topic t: transport=\"iceoryx\" is no transport"},
    {"transport-cost-unknown-path.xml", TS_EINVAL, 10,
     "cost: path=\"tcp\" is no cost the model has (expected shm, loaned, "
     "udp-loopback, intra-process or serialise)"},
    {"transport-cost-twice.xml", TS_EINVAL, 11,
     "cost: a second path=\"serialise\" (the first is at line 10)"},
    {"transport-cost-zero-bandwidth.xml", TS_EINVAL, 10,
     "cost: bandwidth=\"0bps\" must be greater than 0"},
    {"topic-loaned-udp.xml", TS_EINVAL, 16,
     "topic t: loaned=\"true\" needs shared memory, but transport=\"udp-loopback\""},
    {"discovery-bad-unit.xml", TS_EINVAL, 18,
     "discovery: join-interval=\"5 robots\": expected a duration"},
    {"discovery-before-requirements.xml", TS_EPARSE, 19,
     "Element 'requirements': This element is not expected"},
    {"discovery-lease-not-above-period.xml", TS_EINVAL, 18,
     "discovery: lease=\"5s\" must be longer than the announcement period"},
    {"discovery-negative-count.xml", TS_EPARSE, 18,
     "Element 'discovery', attribute 'initial-announcements'"},
    {"discovery-twice.xml", TS_EPARSE, 19,
     "Element 'discovery': This element is not expected"},
    {"discovery-zero-period.xml", TS_EINVAL, 18,
     "discovery: period=\"0s\" must be greater than 0"},
    {"discovery-zero-size.xml", TS_EINVAL, 18,
     "discovery: spdp-size=\"0B\" must be greater than 0"},
    {"worker-autoscale-untriggered.xml", TS_EINVAL, 21,
     "component work: <autoscale> sizes message-triggered workers by their queue"},
    {"worker-autoscale-metric.xml", TS_EINVAL, 21,
     "component work: autoscale metric=\"in-flight\" does not apply here (expected metric=\"queue\""},
    {"worker-autoscale-max.xml", TS_EINVAL, 21,
     "component work: autoscale max=\"3\" exceeds the 2 replicas declared"},
    {"rate-step-periodic.xml", TS_EINVAL, 20,
     "component src: <rate-step> applies to arrival=\"poisson\" or \"sporadic\""},
    {"rate-step-order.xml", TS_EINVAL, 21,
     "component src: rate-step at=\"1s\" must be after 0 and after the step before it"},
    {"batch-rate.xml", TS_EINVAL, 19,
     "component job: rate= does not apply to arrival=\"batch\""},
    {"batch-gpus-node.xml", TS_EINVAL, 19,
     "component train: a batch job with gpus=\"4\" needs node= naming a node with at least 4 GPUs"},
};

static const bad_case *bad_case_for(const char *file)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++)
        if (strcmp(bad_cases[i].file, file) == 0)
            return &bad_cases[i];
    return NULL;
}

static void check_bad_file(const char *name, const bad_case *bc)
{
    char path[512];
    snprintf(path, sizeof path, "tests/bad/%s", name);
    ts_scenario *s = (ts_scenario *)1;
    ts_error err;
    long live = ts_alloc_live();
    int rc = ts_scenario_load(path, NULL, &s, &err);
    if (rc != bc->code || err.line != bc->line || !strstr(err.msg, bc->phrase))
        print_error("%s: got %d (%s) at line %d: %s\n", name, rc,
                    ts_strerror(rc), err.line, err.msg);
    assert_true(rc < 0);
    assert_null(s);
    assert_int_equal(err.code, rc);
    assert_string_equal(err.file, path);
    assert_true(err.line > 0);
    assert_int_equal(rc, bc->code);
    assert_int_equal(err.line, bc->line);
    assert_non_null(strstr(err.msg, bc->phrase));
    assert_int_equal(ts_alloc_live(), live);
}

/* Every file in tests/bad/ has an expectation and fails as expected; every
 * expectation has its file. */
static void test_bad_corpus(void **state)
{
    (void)state;
    DIR *d = opendir("tests/bad");
    assert_non_null(d);
    size_t seen = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        const bad_case *bc = bad_case_for(e->d_name);
        if (!bc)
            print_error("tests/bad/%s has no expectation in test_scenario.c\n",
                        e->d_name);
        assert_non_null(bc);
        check_bad_file(e->d_name, bc);
        seen++;
    }
    closedir(d);
    assert_int_equal(seen, sizeof bad_cases / sizeof bad_cases[0]);
}

/* ---- in-memory cases ---------------------------------------------------- */

static void test_memory_minimal_defaults(void **state)
{
    (void)state;
    const char *text =
        "<scenario duration=\"250ms\">\n" PLATFORM_2
        "  <components>\n"
        "    <component id=\"a\" rate=\"2ms\" exec=\"100us\"/>\n"
        "    <component id=\"b\" rate=\"30Hz\" exec=\"1ms\" offset=\"5ms\"\n"
        "               deadline=\"10ms\" priority=\"-3\" cpu=\"1.5\"\n"
        "               flags=\"  data-processing\n computation-heavy \"/>\n"
        "  </components>\n"
        "  <topics>\n"
        "    <topic id=\"t\" publisher=\"a\" subscribers=\"a b\" size=\"10\"/>\n"
        "  </topics>\n"
        "</scenario>\n";
    ts_scenario *s;
    ts_error err;
    ts_scenario_options opts = {.models_dir = "models"};
    int rc = load_mem(text, "some/dir/mini.xml", &opts, &s, &err);
    if (rc)
        print_error("%s:%d: %s\n", err.file, err.line, err.msg);
    assert_int_equal(rc, TS_OK);
    assert_string_equal(s->name, "mini");
    assert_string_equal(s->path, "some/dir/mini.xml");
    assert_true(s->seed == 1);
    assert_true(s->duration_ns == 250000000);
    assert_true(s->links[0].queue_bytes == 64 * KiB); /* default queue */
    assert_null(s->links[0].model);
    assert_int_equal(s->links[0].a, 0);
    assert_int_equal(s->links[0].b, 1);
    const ts_scenario_component *a = &s->components[0];
    assert_true(a->shared->period_ns == 2000000);
    assert_true(a->shared->deadline_ns == 2000000);
    assert_true(a->shared->exec_min_ns == 100000);
    assert_int_equal(a->shared->priority, 0);
    assert_true(a->shared->cpu_millicores == 0);
    assert_int_equal(a->shared->flags, 0);
    const ts_scenario_component *b = &s->components[1];
    assert_true(b->shared->period_ns == 33333333);
    assert_true(b->shared->offset_ns == 5000000);
    assert_true(b->shared->deadline_ns == 10000000);
    assert_int_equal(b->shared->priority, -3);
    assert_true(b->shared->cpu_millicores == 1500);
    assert_int_equal(b->shared->flags,
                     TS_FLAG_DATA_PROCESSING | TS_FLAG_COMPUTATION_HEAVY);
    const ts_scenario_topic *t = &s->topics[0];
    assert_true(t->size_bytes == 10);
    assert_true(t->period_ns == 0); /* every publisher job */
    assert_true(t->budget_ns == 0); /* no budget */
    assert_int_equal(t->n_subscribers, 2);
    assert_int_equal(t->subscribers[0], 0); /* its own publisher is fine */
    assert_int_equal(t->subscribers[1], 1);
    assert_int_equal(t->line, 17); /* the flags value spans two lines */
    assert_string_equal(ts_tier_name(TS_TIER_NETWORK), "network");
    assert_string_equal(ts_node_kind_name(TS_NODE_JETSON), "jetson");
    ts_scenario_free(s);

    /* a NULL name stands in as "<memory>"; seed takes all 64 bits */
    const char *one =
        "<scenario duration=\"1s\" seed=\"18446744073709551615\"><platform>"
        "<robot id=\"r\"><computer id=\"c\" cores=\"1\" memory=\"1Mi\"/>"
        "<switch id=\"s\"/></robot></platform></scenario>";
    rc = ts_scenario_load_memory(one, strlen(one), NULL, NULL, &s, &err);
    assert_int_equal(rc, TS_OK);
    assert_string_equal(s->path, "<memory>");
    assert_true(s->seed == UINT64_MAX);
    /* a single compute node and an unlinked switch need no links */
    assert_int_equal(s->n_nodes, 2);
    assert_int_equal(s->n_links, 0);
    ts_scenario_free(s);
}

static void test_memory_model_override(void **state)
{
    (void)state;
    const char *text =
        "<scenario duration=\"1s\"><platform>\n"
        "<robot id=\"r\">\n"
        "  <jetson id=\"j\" model=\"jetson-orin-nano-8gb\" cores=\"4\"/>\n"
        "  <jetson id=\"k\" model=\"jetson-agx-orin-64gb\" gpu-memory=\"32GiB\"/>\n"
        "</robot>\n"
        "<link id=\"l\" from=\"j\" to=\"k\" model=\"wan\" latency=\"0s\"/>\n"
        "</platform></scenario>";
    ts_scenario *s;
    ts_error err;
    ts_scenario_options opts = {.models_dir = "models"};
    int rc = load_mem(text, "ovr.xml", &opts, &s, &err);
    if (rc)
        print_error("%s:%d: %s\n", err.file, err.line, err.msg);
    assert_int_equal(rc, TS_OK);
    assert_int_equal(s->nodes[0].cores, 4);                /* inline */
    assert_true(s->nodes[0].memory_bytes == 8 * GiB);      /* model */
    assert_int_equal(s->nodes[1].cores, 12);
    assert_true(s->nodes[1].memory_bytes == 64 * GiB);
    assert_true(s->nodes[1].gpu_memory_bytes == 32 * GiB); /* inline */
    assert_true(s->links[0].latency_ns == 0);              /* inline 0 */
    assert_true(s->links[0].bandwidth_bps == 1e9);
    assert_true(s->links[0].queue_bytes == 1 * MiB);
    ts_scenario_free(s);
}

/* ---- the issue-4 elements -------------------------------------------------- */

/* Every new element and attribute, parsed to exact values. */
static const char FULL[] =
    "<scenario name=\"x\" seed=\"1\" duration=\"10s\" ambient=\"31.5C\"\n"
    "          sample-period=\"50ms\">\n"                                    
    "  <platform>\n"                                                         
    "    <robot id=\"r1\" battery=\"500Wh\" low-battery=\"20%\">\n"          
    "      <jetson id=\"r1_jetson\" model=\"jetson-orin-nx-16gb\" mode=\" 15W \"/>\n"
    "      <computer id=\"r1_rt\" cores=\"8\" memory=\"16GiB\" mode=\"ECO\">\n"
    "        <power idle=\"5W\" core-dyn=\"1.2W\" gpu-dyn=\"0W\" cpu-ref=\"2GHz\"\n"
    "               gpu-ref=\"1GHz\" exponent=\"3\">\n"                      
    "          <mode name=\"MAXN\" cores=\"8\" cpu-max=\"2GHz\" gpu-max=\"1GHz\" budget=\"40W\"/>\n"
    "          <mode name=\"ECO\" cores=\"2\" cpu-max=\"800MHz\" budget=\"500mW\"/>\n"
    "        </power>\n"
    "        <thermal r-die-case=\"0.5\" r-case-ambient=\"2.0\" r-case-ambient-fan=\"0.8\"\n"
    "                 c-die=\"5\" c-case=\"150\" throttle=\"85C\" release=\"80C\"\n"
    "                 throttle-scale=\"60%\" fan-on=\"60C\" fan-off=\"50C\" shutdown=\"105C\"/>\n"
    "      </computer>\n"
    "    </robot>\n"
    "    <medium id=\"ap1_air\" capacity=\"600Mbps\" latency=\"1ms\" queue=\"4MiB\">\n"
    "      <at time=\"5s\" capacity=\"150Mbps\" latency=\"4ms\"/>\n"
    "      <at time=\"6s\" latency=\"2ms\"/>\n"
    "      <at time=\"7s\" capacity=\"300Mbps\"/>\n"
    "    </medium>\n"
    "    <medium id=\"cell\" capacity=\"100Mbps\"/>\n"
    "    <switch id=\"ap1\"/>\n"
    "    <link id=\"wifi\" from=\"r1_jetson\" to=\"ap1\" medium=\"ap1_air\" latency=\"0s\"\n"
    "          bandwidth=\"600Mbps\" queue=\"4MiB\" queue-packets=\"1000\" mtu=\"1500B\"\n"
    "          header=\"40B\" reorder=\"forbidden\">\n"
    "      <jitter dist=\"normal\" mean=\"500us\" sd=\"200us\"/>\n"
    "      <loss model=\"gilbert-elliott\" mean-loss=\"2%\" burst=\"5\"/>\n"
    "    </link>\n"
    "    <link id=\"air2\" from=\"r1_rt\" to=\"ap1\" medium=\"cell\" reorder=\" allowed \">\n"
    "      <loss p=\"1%\"/>\n"
    "      <jitter dist=\"uniform\" min=\"1us\" max=\"3us\"/>\n"
    "    </link>\n"
    "    <link id=\"ge4\" from=\"r1_rt\" to=\"r1_jetson\" model=\"wifi6\">\n"
    "      <loss p-good-bad=\"1%\" p-bad-good=\"25%\" loss-good=\"0.1%\" loss-bad=\"50%\"/>\n"
    "      <jitter dist=\"pareto\" scale=\"10us\" shape=\"2.5\"/>\n"
    "    </link>\n"
    "    <link id=\"quiet\" from=\"r1_rt\" to=\"r1_jetson\" model=\"wifi6\" mtu=\"9000B\">\n"
    "      <jitter dist=\"none\"/>\n"
    "      <loss model=\"none\"/>\n"
    "    </link>\n"
    "    <link id=\"fixedj\" from=\"r1_rt\" to=\"r1_jetson\" model=\"gbe\">\n"
    "      <jitter dist=\"fixed\" value=\"7us\"/>\n"
    "    </link>\n"
    "  </platform>\n"
    "  <components>\n"
    "    <component id=\"c1\" rate=\"1kHz\" exec=\"300us\" policy=\"fifo\" priority=\"80\"\n"
    "               node=\"r1_rt\" cores=\"0 1\" reserve-cores=\"true\" gpu-exec=\"2ms\"\n"
    "               gpus=\"1\" weight=\"2048\">\n"
    "      <exec dist=\"normal\" mean=\"250us\" sd=\"30us\"/>\n"
    "    </component>\n"
    "    <component id=\"c2\" rate=\"100Hz\" policy=\" fair \" weight=\"512\" cores=\"7\">\n"
    "      <exec dist=\"histogram\">\n"
    "        <bin from=\"100us\" to=\"200us\" weight=\"3\"/>\n"
    "        <bin from=\"300us\" to=\"400us\" weight=\"1\"/>\n"
    "        <bin from=\"400us\" to=\"450us\" weight=\"0.5\"/>\n"
    "      </exec>\n"
    "    </component>\n"
    "    <component id=\"c3\" rate=\"100Hz\"><exec dist=\"uniform\" min=\"1ms\" max=\"2ms\"/></component>\n"
    "    <component id=\"c4\" rate=\"100Hz\"><exec dist=\"exponential\" mean=\"1ms\"/></component>\n"
    "    <component id=\"c5\" rate=\"100Hz\"><exec dist=\"fixed\" value=\"3ms\"/></component>\n"
    "    <component id=\"c6\" rate=\"100Hz\"><exec dist=\"pareto\" scale=\"1ms\" shape=\"3\"/></component>\n"
    "  </components>\n"
    "  <faults>\n"
    "    <link-down link=\"wifi\" at=\"2s\" duration=\"500ms\"/>\n"        
    "    <ambient at=\"1s\" temperature=\"45C\"/>\n"                        
    "    <loss-burst link=\"wifi\" at=\"3s\" duration=\"1s\" mean-loss=\"40%\" burst=\"10\"/>\n"
    "    <node-crash node=\"r1_rt\" at=\"1s\" duration=\"1s\"/>\n"          
    "    <power-mode node=\"r1_jetson\" at=\"6s\" mode=\"10W\"/>\n"         
    "    <latency-spike link=\"ge4\" at=\"1s\" duration=\"1s\" extra=\"20ms\"/>\n"
    "    <medium-change medium=\"ap1_air\" at=\"7s\" duration=\"1s\" capacity=\"50Mbps\" latency=\"8ms\"/>\n"
    "    <partition at=\"9s\" duration=\"200ms\" links=\"wifi  air2\"/>\n"
    "    <loss-burst link=\"air2\" at=\"20s\" p=\"30%\"/>\n"
    "    <ambient node=\"r1_jetson\" at=\"1s\" duration=\"2s\" temperature=\"-5C\"/>\n"
    "  </faults>\n"
    "</scenario>\n";

static void test_full_format(void **state)
{
    (void)state;
    long live = ts_alloc_live();
    ts_scenario *s;
    ts_error err;
    ts_scenario_options opts = {.models_dir = "models"};
    int rc = load_mem(FULL, "full.xml", &opts, &s, &err);
    if (rc)
        print_error("%s:%d: %s\n", err.file, err.line, err.msg);
    assert_int_equal(rc, TS_OK);

    assert_true(s->ambient_c == 31.5);
    assert_true(s->sample_period_ns == 50000000);
    assert_true(s->sites[0].battery_wh == 500.0);
    assert_true(s->sites[0].low_battery_fraction == 0.2);

    /* mode= picks by name, blanks trimmed as xs:token */
    const ts_scenario_node *j = &s->nodes[0];
    assert_string_equal(j->model, "jetson-orin-nx-16gb");
    assert_int_equal(j->power->initial_mode, 2);
    assert_string_equal(j->power->modes[2].name, "15W");

    /* a fully inline power and thermal model */
    const ts_scenario_node *c = &s->nodes[1];
    assert_true(c->has_power);
    assert_true(c->power->idle_w == 5.0);
    assert_true(c->power->core_dyn_w == 1.2);
    assert_true(c->power->gpu_dyn_w == 0.0);
    assert_true(c->power->cpu_ref_hz == 2e9);
    assert_true(c->power->gpu_ref_hz == 1e9);
    assert_true(c->power->dyn_exponent == 3.0);
    assert_int_equal(c->power->n_modes, 2);
    assert_int_equal(c->power->initial_mode, 1);
    assert_string_equal(c->power->modes[0].name, "MAXN");
    assert_int_equal(c->power->modes[0].online_cores, 8);
    assert_true(c->power->modes[0].cpu_max_hz == 2e9);
    assert_true(c->power->modes[0].gpu_max_hz == 1e9);
    assert_true(c->power->modes[0].budget_w == 40.0);
    assert_string_equal(c->power->modes[1].name, "ECO");
    assert_int_equal(c->power->modes[1].online_cores, 2);
    assert_true(c->power->modes[1].cpu_max_hz == 800e6);
    assert_true(c->power->modes[1].gpu_max_hz == 0);
    assert_true(c->power->modes[1].budget_w == 0.5);
    assert_true(c->has_thermal);
    assert_true(c->thermal->r_die_case == 0.5);
    assert_true(c->thermal->r_case_ambient == 2.0);
    assert_true(c->thermal->r_case_ambient_fan == 0.8);
    assert_true(c->thermal->c_die == 5.0);
    assert_true(c->thermal->c_case == 150.0);
    assert_true(c->thermal->throttle_c == 85.0);
    assert_true(c->thermal->release_c == 80.0);
    assert_true(c->thermal->throttle_scale == 0.6);
    assert_true(c->thermal->fan_on_c == 60.0);
    assert_true(c->thermal->fan_off_c == 50.0);
    assert_true(c->thermal->shutdown_c == 105.0);

    /* media and their profiles; a point's missing value carries on */
    assert_int_equal(s->n_media, 2);
    const ts_scenario_medium *m = &s->media[0];
    assert_string_equal(m->id, "ap1_air");
    assert_int_equal(m->line, line_of(FULL, "<medium id=\"ap1_air\""));
    assert_true(m->capacity_bps == 600e6);
    assert_true(m->latency_ns == 1000000);
    assert_true(m->queue_bytes == 4 * MiB);
    assert_int_equal(m->n_profile, 3);
    assert_true(m->profile[0].at_ns == INT64_C(5000000000));
    assert_true(m->profile[0].capacity_bps == 150e6);
    assert_true(m->profile[0].latency_ns == 4000000);
    assert_true(m->profile[1].at_ns == INT64_C(6000000000));
    assert_true(m->profile[1].capacity_bps == 150e6);
    assert_true(m->profile[1].latency_ns == 2000000);
    assert_true(m->profile[2].capacity_bps == 300e6);
    assert_true(m->profile[2].latency_ns == 2000000);
    assert_true(s->media[1].latency_ns == 0);
    assert_true(s->media[1].queue_bytes == 64 * KiB); /* default */
    assert_int_equal(s->media[1].n_profile, 0);

    /* links: options, jitter, loss */
    int wi = ts_scenario_find_link(s, "wifi");
    const ts_scenario_link *w = &s->links[wi];
    assert_int_equal(w->medium, 0);
    assert_true(w->latency_ns == 0);
    assert_true(w->bandwidth_bps == 600e6);
    assert_true(w->queue_bytes == 4 * MiB);
    assert_true(w->queue_packets == 1000);
    assert_true(w->mtu_bytes == 1500);
    assert_true(w->header_bytes == 40);
    assert_int_equal(w->reorder_allowed, 0);
    assert_int_equal(w->jitter->kind, TS_DIST_NORMAL);
    assert_true(w->jitter->a == 500000.0 && w->jitter->b == 200000.0);
    assert_null(w->jitter->table);
    /* Gilbert-Elliott from mean loss and burst, exactly as scenario.h
     * states the conversion */
    assert_int_equal(w->loss->model, TS_LOSS_MODEL_GILBERT_ELLIOTT);
    double pbg = 1.0 / 5.0, pgb = pbg * 0.02 / (1.0 - 0.02);
    assert_true(w->loss->p_bad_good == pbg);
    assert_true(w->loss->p_good_bad == pgb);
    assert_true(w->loss->loss_good == 0.0 && w->loss->loss_bad == 1.0);
    /* ...which is the chain whose stationary loss is 2% in bursts of 5 */
    double pi_bad = w->loss->p_good_bad /
                    (w->loss->p_good_bad + w->loss->p_bad_good);
    assert_true(fabs(pi_bad - 0.02) < 1e-15);
    assert_true(fabs(1.0 / w->loss->p_bad_good - 5.0) < 1e-15);

    const ts_scenario_link *a2 = &s->links[ts_scenario_find_link(s, "air2")];
    assert_int_equal(a2->medium, 1);
    assert_true(a2->bandwidth_bps == 100e6); /* the medium's capacity */
    assert_true(a2->latency_ns == 0);
    assert_int_equal(a2->reorder_allowed, 1);
    assert_int_equal(a2->loss->model, TS_LOSS_MODEL_BERNOULLI);
    assert_true(a2->loss->p == 0.01);
    assert_int_equal(a2->jitter->kind, TS_DIST_UNIFORM);
    assert_true(a2->jitter->a == 1000.0 && a2->jitter->b == 3000.0);

    const ts_scenario_link *g4 = &s->links[ts_scenario_find_link(s, "ge4")];
    assert_int_equal(g4->medium, -1);
    assert_true(g4->latency_ns == 3000000); /* the wifi6 model's */
    assert_int_equal(g4->loss->model, TS_LOSS_MODEL_GILBERT_ELLIOTT);
    assert_true(g4->loss->p_good_bad == 0.01);
    assert_true(g4->loss->p_bad_good == 0.25);
    assert_true(g4->loss->loss_good == 0.001);
    assert_true(g4->loss->loss_bad == 0.5);
    assert_int_equal(g4->jitter->kind, TS_DIST_PARETO);
    assert_true(g4->jitter->a == 10000.0 && g4->jitter->b == 2.5);

    /* a link's own <jitter>/<loss> replace its model's */
    const ts_scenario_link *q = &s->links[ts_scenario_find_link(s, "quiet")];
    assert_int_equal(q->jitter->kind, TS_DIST_NONE);
    assert_int_equal(q->loss->model, TS_LOSS_MODEL_NONE);
    assert_true(q->mtu_bytes == 9000);
    assert_true(q->queue_packets == 0);
    const ts_scenario_link *fj = &s->links[ts_scenario_find_link(s, "fixedj")];
    assert_int_equal(fj->jitter->kind, TS_DIST_FIXED);
    assert_true(fj->jitter->a == 7000.0);

    /* components */
    const ts_scenario_component *c1 = &s->components[0];
    assert_int_equal(c1->shared->exec_dist->kind, TS_DIST_NORMAL);
    assert_true(c1->shared->exec_dist->a == 250000.0 && c1->shared->exec_dist->b == 30000.0);
    /* unbounded: exec_ns is the mean (truncation at 0 is 8 sd away) */
    assert_true(c1->shared->exec_ns == 250000);
    assert_true(c1->shared->exec_min_ns == c1->shared->exec_ns);
    assert_int_equal(c1->shared->policy, 0);
    assert_int_equal(c1->shared->priority, 80);
    assert_int_equal(c1->shared->weight, 2048);
    assert_true(c1->shared->affinity == 0x3);
    assert_int_equal(c1->shared->reserve_cores, 1);
    assert_true(c1->shared->gpu_exec_ns == 2000000);
    assert_int_equal(c1->pin, 1);

    const ts_scenario_component *c2 = &s->components[1];
    assert_int_equal(c2->shared->policy, 1);
    assert_int_equal(c2->shared->weight, 512);
    assert_true(c2->shared->affinity == UINT64_C(1) << 7);
    assert_int_equal(c2->shared->exec_dist->kind, TS_DIST_HISTOGRAM);
    /* the gap 200us..300us becomes a bin of weight 0 */
    assert_int_equal(c2->shared->exec_dist->n_bins, 4);
    const double edges[] = {100000, 200000, 300000, 400000, 450000};
    const double weights[] = {3, 0, 1, 0.5};
    for (int i = 0; i < 5; i++)
        assert_true(c2->shared->exec_dist->edges[i] == edges[i]);
    for (int i = 0; i < 4; i++)
        assert_true(c2->shared->exec_dist->weights[i] == weights[i]);
    assert_null(c2->shared->exec_dist->table); /* the simulator prepares it */
    assert_true(c2->shared->exec_ns == 450000); /* bounded: its largest value */

    assert_true(s->components[2].shared->exec_ns == 2000000); /* uniform: max */
    assert_true(s->components[3].shared->exec_ns == 1000000); /* exponential: mean */
    assert_true(s->components[4].shared->exec_ns == 3000000); /* fixed */
    assert_true(s->components[5].shared->exec_ns == 1500000); /* pareto: 3*1ms/2 */

    /* faults: by time, document order among equal times */
    assert_int_equal(s->n_faults, 10);
    const struct {
        ts_fault_kind kind;
        int64_t at_ms;
        int line;
    } order[] = {
        {TS_FAULT_AMBIENT, 1000, line_of(FULL, "<ambient at=")},
        {TS_FAULT_NODE_CRASH, 1000, line_of(FULL, "<node-crash")},
        {TS_FAULT_LATENCY_SPIKE, 1000, line_of(FULL, "<latency-spike")},
        {TS_FAULT_AMBIENT, 1000, line_of(FULL, "<ambient node=")},
        {TS_FAULT_LINK_DOWN, 2000, line_of(FULL, "<link-down")},
        {TS_FAULT_LOSS_BURST, 3000, line_of(FULL, "<loss-burst link=\"wifi\"")},
        {TS_FAULT_POWER_MODE, 6000, line_of(FULL, "<power-mode")},
        {TS_FAULT_MEDIUM, 7000, line_of(FULL, "<medium-change")},
        {TS_FAULT_PARTITION, 9000, line_of(FULL, "<partition")},
        {TS_FAULT_LOSS_BURST, 20000, line_of(FULL, "<loss-burst link=\"air2\"")},
    };
    /* document order differs from time order */
    assert_true(order[4].line < order[0].line);
    const ts_scenario_fault *f = s->faults;
    assert_int_equal(f[0].target, -1);         /* every node */
    assert_true(f[0].value == 45.0);
    assert_true(f[0].duration_ns == 0);         /* to the end */
    assert_int_equal(f[1].target, 1);           /* r1_rt */
    assert_true(f[1].duration_ns == 1000000000);
    assert_int_equal(f[2].target, ts_scenario_find_link(s, "ge4"));
    assert_true(f[2].value == 20e6);
    assert_true(f[2].extra_ns == 20000000);
    assert_int_equal(f[3].target, 0);
    assert_true(f[3].value == -5.0);
    assert_true(f[3].duration_ns == 2000000000);
    assert_int_equal(f[4].target, wi);
    assert_true(f[4].duration_ns == 500000000);
    assert_int_equal(f[5].loss.model, TS_LOSS_MODEL_GILBERT_ELLIOTT);
    assert_true(f[5].loss.p_bad_good == 1.0 / 10.0);
    assert_true(f[5].loss.p_good_bad == (1.0 / 10.0) * 0.4 / (1.0 - 0.4));
    assert_int_equal(f[6].target, 0);
    assert_int_equal(f[6].mode, 1);             /* 10W */
    assert_int_equal(f[7].target, 0);           /* ap1_air */
    assert_true(f[7].value == 50e6);
    assert_true(f[7].extra_ns == 8000000);
    assert_int_equal(f[8].n_links, 2);
    assert_int_equal(f[8].links[0], wi);
    assert_int_equal(f[8].links[1], ts_scenario_find_link(s, "air2"));
    /* past the duration: allowed, it simply never happens */
    assert_int_equal(f[9].loss.model, TS_LOSS_MODEL_BERNOULLI);
    assert_true(f[9].loss.p == 0.3);
    assert_true(f[9].at_ns > s->duration_ns);

    ts_scenario_free(s);
    assert_int_equal(ts_alloc_live(), live);
}

/* A node's <power>/<thermal> override its model attribute by attribute;
 * modes given inline replace the model's list; defaults fill the rest. */
static void test_power_thermal_override(void **state)
{
    (void)state;
    const char *text =
        "<scenario duration=\"1s\"><platform>\n"
        "<robot id=\"r\">\n"
        "  <jetson id=\"a\" model=\"jetson-orin-nx-16gb\" mode=\"25W\">\n"
        "    <power idle=\"6W\" exponent=\"2.5\"/>\n"
        "    <thermal throttle=\"97C\" r-case-ambient-fan=\"1\"/>\n"
        "  </jetson>\n"
        "  <jetson id=\"b\" model=\"jetson-agx-orin-64gb\" mode=\"LOW\">\n"
        "    <power><mode name=\"HIGH\"/><mode name=\"LOW\" cores=\"2\"/></power>\n"
        "  </jetson>\n"
        "  <jetson id=\"c\" model=\"jetson-orin-nano-8gb\"/>\n"
        "  <computer id=\"d\" cores=\"2\" memory=\"1GiB\">\n"
        "    <thermal r-case-ambient=\"3\" c-die=\"2\" throttle=\"90C\"\n"
        "             throttle-scale=\"100%\" shutdown=\"100C\"/>\n"
        "    <power idle=\"1W\" core-dyn=\"0.5W\" cpu-ref=\"1GHz\"/>\n"
        "  </computer>\n"
        "  <computer id=\"e\" cores=\"2\" memory=\"1GiB\">\n"
        "    <thermal r-case-ambient=\"3\" r-case-ambient-fan=\"1\" c-die=\"2\"\n"
        "             throttle=\"90C\" throttle-scale=\"50%\" shutdown=\"100C\"\n"
        "             fan-on=\"70C\"/>\n"
        "  </computer>\n"
        "  <switch id=\"sw\"/>\n"
        "</robot>\n"
        "<link id=\"l1\" from=\"a\" to=\"sw\" model=\"gbe\"/>\n"
        "<link id=\"l2\" from=\"b\" to=\"sw\" model=\"gbe\"/>\n"
        "<link id=\"l3\" from=\"c\" to=\"sw\" model=\"gbe\"/>\n"
        "<link id=\"l4\" from=\"d\" to=\"sw\" model=\"gbe\"/>\n"
        "<link id=\"l5\" from=\"e\" to=\"sw\" model=\"gbe\"/>\n"
        "</platform></scenario>";
    ts_scenario *s;
    ts_error err;
    ts_scenario_options opts = {.models_dir = "models"};
    long live = ts_alloc_live();
    int rc = load_mem(text, "ovr.xml", &opts, &s, &err);
    if (rc)
        print_error("%s:%d: %s\n", err.file, err.line, err.msg);
    assert_int_equal(rc, TS_OK);

    const ts_scenario_node *a = &s->nodes[0];
    assert_true(a->power->idle_w == 6.0);          /* inline */
    assert_true(a->power->dyn_exponent == 2.5);    /* inline */
    assert_true(a->power->core_dyn_w == 1.5);      /* model */
    assert_true(a->power->cpu_ref_hz == 2e9);      /* model */
    assert_int_equal(a->power->n_modes, 4);        /* model's modes */
    assert_int_equal(a->power->initial_mode, 3);   /* 25W */
    assert_true(a->thermal->throttle_c == 97.0);   /* inline */
    assert_true(a->thermal->r_case_ambient_fan == 1.0);
    assert_true(a->thermal->release_c == 94.0);    /* model */
    assert_true(a->thermal->shutdown_c == 104.5);  /* model */
    assert_true(a->thermal->r_case_ambient == 3.0);

    const ts_scenario_node *b = &s->nodes[1];
    assert_int_equal(b->power->n_modes, 2);        /* replaced as a whole */
    assert_string_equal(b->power->modes[0].name, "HIGH");
    assert_int_equal(b->power->modes[1].online_cores, 2);
    assert_int_equal(b->power->initial_mode, 1);
    assert_true(b->power->gpu_dyn_w == 38.0);      /* model */

    const ts_scenario_node *cn = &s->nodes[2];
    assert_int_equal(cn->power->initial_mode, 0);  /* default: the first */
    assert_string_equal(cn->power->modes[0].name, "15W");

    /* defaults of an inline model */
    const ts_scenario_node *d = &s->nodes[3];
    assert_true(d->power->gpu_dyn_w == 0.0);
    assert_true(d->power->gpu_ref_hz == 0.0);
    assert_true(d->power->dyn_exponent == 3.0);
    assert_int_equal(d->power->n_modes, 0);
    assert_int_equal(d->power->initial_mode, -1);
    assert_null(d->model);
    assert_true(d->thermal->release_c == 85.0);    /* throttle - 5C */
    assert_true(d->thermal->r_die_case == 0.0);
    assert_true(d->thermal->c_case == 0.0);        /* single RC */
    assert_true(d->thermal->r_case_ambient_fan == 0.0); /* no fan */
    assert_true(d->thermal->throttle_scale == 1.0);
    const ts_scenario_node *e = &s->nodes[4];
    assert_false(e->has_power);
    assert_true(e->has_thermal);
    assert_true(e->thermal->fan_off_c == 65.0);    /* fan-on - 5C */

    ts_scenario_free(s);
    assert_int_equal(ts_alloc_live(), live);
}

/* Meaning checks of the issue-4 elements not covered by tests/bad/. */
static void test_new_element_errors(void **state)
{
    (void)state;
#define ROBOT_2                                                              \
    "<scenario duration=\"1s\"><platform>\n"                                 \
    "<robot id=\"r\"><computer id=\"c\" cores=\"2\" memory=\"1Gi\"/>\n"      \
    "<computer id=\"d\" cores=\"2\" memory=\"1Gi\"/></robot>\n"
    /* loss: p with GE parameters; model contradicting attributes */
    expect_error(ROBOT_2 "<link id=\"l\" from=\"c\" to=\"d\" model=\"gbe\">\n"
                 "<loss p=\"1%\" mean-loss=\"1%\" burst=\"2\"/></link>\n"
                 "</platform></scenario>",
                 TS_EINVAL, 5, "give p= or Gilbert-Elliott parameters, not both");
    expect_error(ROBOT_2 "<link id=\"l\" from=\"c\" to=\"d\" model=\"gbe\">\n"
                 "<loss model=\"bernoulli\" mean-loss=\"1%\"/></link>\n"
                 "</platform></scenario>",
                 TS_EINVAL, 5, "Bernoulli loss takes only p=");
    expect_error(ROBOT_2 "<link id=\"l\" from=\"c\" to=\"d\" model=\"gbe\">\n"
                 "<loss model=\"gilbert-elliott\"/></link>\n"
                 "</platform></scenario>",
                 TS_EINVAL, 5, "Gilbert-Elliott loss needs mean-loss= and burst=");
    expect_error(ROBOT_2 "<link id=\"l\" from=\"c\" to=\"d\" model=\"gbe\">\n"
                 "<loss mean-loss=\"1%\"/></link>\n"
                 "</platform></scenario>",
                 TS_EINVAL, 5, "mean-loss= and burst= go together");
    expect_error(ROBOT_2 "<link id=\"l\" from=\"c\" to=\"d\" model=\"gbe\">\n"
                 "<loss mean-loss=\"1%\" burst=\"2\" p-bad-good=\"1%\"/></link>\n"
                 "</platform></scenario>",
                 TS_EINVAL, 5, "not both");
    expect_error(ROBOT_2 "<link id=\"l\" from=\"c\" to=\"d\" model=\"gbe\">\n"
                 "<loss/></link>\n</platform></scenario>",
                 TS_EINVAL, 5, "no loss parameters given");
    expect_error(ROBOT_2 "<link id=\"l\" from=\"c\" to=\"d\" model=\"gbe\"/>\n"
                 "</platform><faults>\n"
                 "<loss-burst link=\"l\" at=\"1s\" model=\"none\"/>\n"
                 "</faults></scenario>",
                 TS_EINVAL, 6, "loss-burst: model=\"none\" is not a loss burst");
    /* distributions */
    expect_error(ROBOT_2 "<link id=\"l\" from=\"c\" to=\"d\" model=\"gbe\">\n"
                 "<jitter dist=\"normal\" mean=\"1us\" sd=\"1us\" min=\"1us\"/>"
                 "</link>\n</platform></scenario>",
                 TS_EINVAL, 5, "min= does not apply to dist=\"normal\"");
    expect_error(ROBOT_2 "<link id=\"l\" from=\"c\" to=\"d\" model=\"gbe\">\n"
                 "<jitter dist=\"fixed\" value=\"1us\">\n"
                 "<bin from=\"1us\" to=\"2us\" weight=\"1\"/></jitter>"
                 "</link>\n</platform></scenario>",
                 TS_EINVAL, 5, "<bin> applies only to dist=\"histogram\"");
    expect_error(ROBOT_2 "<link id=\"l\" from=\"c\" to=\"d\" model=\"gbe\">\n"
                 "<jitter dist=\"histogram\"/></link>\n</platform></scenario>",
                 TS_EINVAL, 5, "needs at least one <bin>");
    expect_error(ROBOT_2 "<link id=\"l\" from=\"c\" to=\"d\" model=\"gbe\">\n"
                 "<jitter dist=\"histogram\">\n"
                 "<bin from=\"1us\" to=\"2us\" weight=\"0\"/></jitter>"
                 "</link>\n</platform></scenario>",
                 TS_EINVAL, 5, "bin weights must not all be 0");
    expect_error(ROBOT_2 "<link id=\"l\" from=\"c\" to=\"d\" model=\"gbe\">\n"
                 "<jitter dist=\"histogram\">\n"
                 "<bin from=\"2us\" to=\"2us\" weight=\"1\"/></jitter>"
                 "</link>\n</platform></scenario>",
                 TS_EINVAL, 6, "from must be below to");
    expect_error(ROBOT_2 "<link id=\"l\" from=\"c\" to=\"d\" model=\"gbe\">\n"
                 "<jitter dist=\"pareto\" scale=\"0us\" shape=\"1\"/>"
                 "</link>\n</platform></scenario>",
                 TS_EINVAL, 5, "scale=\"0us\" must be greater than 0");
    expect_error(ROBOT_2 "<link id=\"l\" from=\"c\" to=\"d\" model=\"gbe\">\n"
                 "<jitter dist=\"pareto\" scale=\"1us\" shape=\"-1\"/>"
                 "</link>\n</platform></scenario>",
                 TS_ERANGE, 5, "shape=\"-1\": the value must not be negative");
    expect_error(ROBOT_2 "</platform><components>\n"
                 "<component id=\"a\" rate=\"1kHz\"><exec dist=\"none\"/>"
                 "</component>\n</components></scenario>",
                 TS_EINVAL, 5, "dist=\"none\" gives no execution time");
    expect_error(ROBOT_2 "</platform><components>\n"
                 "<component id=\"a\" rate=\"1kHz\"><exec dist=\"fixed\" "
                 "value=\"0ns\"/></component>\n</components></scenario>",
                 TS_EINVAL, 5, "the execution time must be greater than 0");
    /* a histogram's 64-bin limit counts the gaps */
    {
        char text[8192];
        int n = snprintf(text, sizeof text, "%s",
                         ROBOT_2 "</platform><components>\n"
                                 "<component id=\"a\" rate=\"1kHz\">"
                                 "<exec dist=\"histogram\">\n");
        for (int i = 0; i < 33; i++)
            n += snprintf(text + n, sizeof text - (size_t)n,
                          "<bin from=\"%dus\" to=\"%dus\" weight=\"1\"/>\n",
                          2 * i, 2 * i + 1);
        snprintf(text + n, sizeof text - (size_t)n,
                 "</exec></component></components></scenario>");
        expect_error(text, TS_EINVAL, 38, "a histogram has at most 64 bins");
    }
    /* power and thermal */
#define ONE_NODE(inner)                                                      \
    "<scenario duration=\"1s\"><platform>\n"                                \
    "<robot id=\"r\"><computer id=\"c\" cores=\"2\" memory=\"1Gi\"\n"       \
    "  gpus=\"1\">\n" inner "\n</computer></robot></platform></scenario>"
#define THERMAL_OK "r-case-ambient=\"2\" c-die=\"1\" throttle=\"90C\" "     \
                   "throttle-scale=\"50%\" shutdown=\"100C\""
    expect_error(ONE_NODE("<thermal " THERMAL_OK " r-case-ambient-fan=\"2\" "
                          "fan-on=\"60C\"/>"),
                 TS_EINVAL, 4, "r-case-ambient-fan=2 must be below r-case-ambient=2");
    expect_error(ONE_NODE("<thermal " THERMAL_OK " r-case-ambient-fan=\"1\"/>"),
                 TS_EINVAL, 4, "has a fan (r-case-ambient-fan) but no fan-on=");
    expect_error(ONE_NODE("<thermal r-case-ambient=\"1\"/>"),
                 TS_EINVAL, 4, "computer c <thermal>: no c-die= given");
    expect_error(ONE_NODE("<thermal r-case-ambient=\"2\" c-die=\"0\" "
                          "throttle=\"90C\" throttle-scale=\"50%\" "
                          "shutdown=\"100C\"/>"),
                 TS_EINVAL, 4, "c-die must be greater than 0 J/K");
    expect_error(ONE_NODE("<thermal r-case-ambient=\"2\" c-die=\"1\" "
                          "throttle=\"hot\" throttle-scale=\"50%\" "
                          "shutdown=\"100C\"/>"),
                 TS_EINVAL, 4, "throttle=\"hot\": expected a temperature");
    expect_error(ONE_NODE("<power idle=\"1W\" core-dyn=\"1W\" cpu-ref=\"1GHz\"/>"),
                 TS_EINVAL, 4, "no gpu-ref= given, and the node has 1 GPU");
    expect_error(ONE_NODE("<power idle=\"1W\" core-dyn=\"1W\" cpu-ref=\"1GHz\" "
                          "gpu-ref=\"1GHz\" exponent=\"0\"/>"),
                 TS_EINVAL, 4, "exponent=\"0\" must be greater than 0");
    expect_error(ONE_NODE("<power idle=\"5 watts\"/>"),
                 TS_EINVAL, 4, "idle=\"5 watts\": expected a power such as 5W");
    expect_error(ONE_NODE("<power idle=\"1W\" core-dyn=\"1W\" cpu-ref=\"1GHz\" "
                          "gpu-ref=\"1GHz\">\n<mode name=\"A\"/>\n"
                          "<mode name=\" A\"/></power>"),
                 TS_EINVAL, 6, "two power modes are named \"A\"");
    /* scenario, site and medium quantities */
    expect_error("<scenario duration=\"1s\" sample-period=\"0s\"><platform>"
                 "<switch id=\"s\"/></platform></scenario>",
                 TS_EINVAL, 1, "sample-period=\"0s\" must be greater than 0");
    expect_error("<scenario duration=\"1s\" ambient=\"cold\"><platform>"
                 "<switch id=\"s\"/></platform></scenario>",
                 TS_EINVAL, 1, "ambient=\"cold\": expected a temperature");
    expect_error("<scenario duration=\"1s\"><platform>\n"
                 "<robot id=\"r\" battery=\"0Wh\"/></platform></scenario>",
                 TS_EINVAL, 2, "robot r: battery=\"0Wh\" must be greater than 0");
    expect_error("<scenario duration=\"1s\"><platform>\n"
                 "<robot id=\"r\" battery=\"5 Ah\"/></platform></scenario>",
                 TS_EINVAL, 2, "expected an energy such as 500Wh");
    expect_error("<scenario duration=\"1s\"><platform>\n"
                 "<medium id=\"m\" capacity=\"0Mbps\"/></platform></scenario>",
                 TS_EINVAL, 2, "medium m: capacity=\"0Mbps\" must be greater than 0");
    expect_error("<scenario duration=\"1s\"><platform>\n"
                 "<medium id=\"m\" capacity=\"1Mbps\">\n"
                 "<at time=\"1s\" capacity=\"0bps\"/></medium>"
                 "</platform></scenario>",
                 TS_EINVAL, 3, "medium m: <at capacity=\"0bps\"> must be greater than 0");
    /* faults */
    expect_error(ROBOT_2 "<link id=\"l\" from=\"c\" to=\"d\" model=\"gbe\"/>\n"
                 "</platform><faults>\n"
                 "<latency-spike link=\"l\" at=\"1s\" extra=\"0s\"/>\n"
                 "</faults></scenario>",
                 TS_EINVAL, 6, "extra=\"0s\" must be greater than 0");
    expect_error(ROBOT_2 "<link id=\"l\" from=\"c\" to=\"d\" model=\"gbe\"/>\n"
                 "</platform><faults>\n"
                 "<partition at=\"1s\" links=\"l l\"/>\n"
                 "</faults></scenario>",
                 TS_EINVAL, 6, "partition: link \"l\" is listed twice");
    expect_error(ROBOT_2 "<link id=\"l\" from=\"c\" to=\"d\" model=\"gbe\"/>\n"
                 "</platform><faults>\n"
                 "<partition at=\"1s\" links=\"l m\"/>\n"
                 "</faults></scenario>",
                 TS_ENOENT, 6, "partition: links=\"...\" names \"m\", which is no link");
    expect_error(ROBOT_2 "<link id=\"l\" from=\"c\" to=\"d\" model=\"gbe\"/>\n"
                 "</platform><faults>\n"
                 "<power-mode node=\"c\" at=\"1s\" mode=\"MAXN\"/>\n"
                 "</faults></scenario>",
                 TS_EINVAL, 6, "power-mode: node c: mode=\"MAXN\" but the node has no power modes");
    expect_error("<scenario duration=\"1s\"><platform>\n"
                 "<medium id=\"m\" capacity=\"1Mbps\"/></platform><faults>\n"
                 "<medium-change medium=\"m\" at=\"1s\" capacity=\"0Mbps\" "
                 "latency=\"1ms\"/></faults></scenario>",
                 TS_EINVAL, 3, "medium-change: capacity=\"0Mbps\" must be greater than 0");
    expect_error("<scenario duration=\"1s\"><platform>\n"
                 "<switch id=\"s\"/></platform><faults>\n"
                 "<ambient node=\"s\" at=\"1s\" temperature=\"1C\"/>"
                 "</faults></scenario>",
                 TS_EINVAL, 3, "ambient: node \"s\" has no thermal model");
    /* components */
    expect_error(ROBOT_2 "</platform><components>\n"
                 "<component id=\"a\" rate=\"1kHz\" exec=\"1us\" cores=\"1 0 1\"/>"
                 "\n</components></scenario>",
                 TS_EINVAL, 5, "cores=\"1 0 1\" lists core 1 twice");
    expect_error(ROBOT_2 "</platform><components>\n"
                 "<component id=\"a\" rate=\"1kHz\" exec=\"1us\" cores=\"64\"/>"
                 "\n</components></scenario>",
                 TS_EPARSE, 5, "attribute 'cores'");
#undef ONE_NODE
#undef THERMAL_OK
#undef ROBOT_2
}

static void test_memory_errors(void **state)
{
    (void)state;
    expect_error("<scenario duration=\"1s\">\n" PLATFORM_2
                 "  <components>\n"
                 "    <component id=\"a\" rate=\"1kHz\" exec=\"1ms\"/>\n"
                 "  </components>\n"
                 "  <topics>\n"
                 "    <topic id=\"t\" publisher=\"a\" subscribers=\"a\" size=\"1\"/>\n"
                 "    <topic id=\"t\" publisher=\"a\" subscribers=\"a\" size=\"1\"/>\n"
                 "  </topics>\n"
                 "</scenario>\n",
                 TS_EINVAL, 14, "duplicate topic id \"t\": the topic at line 13");
    expect_error("<scenario duration=\"1s\">\n" PLATFORM_2
                 "  <components>\n"
                 "    <component id=\"a\" rate=\"1kHz\" exec=\"1ms\"/>\n"
                 "  </components>\n"
                 "  <topics>\n"
                 "    <topic id=\"t\" publisher=\"a\" subscribers=\"a a\" size=\"1\"/>\n"
                 "  </topics>\n"
                 "</scenario>\n",
                 TS_EINVAL, 13, "subscriber \"a\" is listed twice");
    expect_error("<scenario duration=\"1s\"><platform>\n"
                 "<robot id=\"x\"><computer id=\"c\" cores=\"1\" memory=\"1Gi\"/></robot>\n"
                 "<edge id=\"x\"/>\n"
                 "</platform></scenario>",
                 TS_EINVAL, 3, "duplicate site id \"x\": the robot at line 2");
    expect_error("<scenario duration=\"1s\"><platform>\n"
                 "<robot id=\"r\"><computer id=\"c\" cores=\"1\" memory=\"1Gi\"/>\n"
                 "<computer id=\"d\" cores=\"1\" memory=\"1Gi\"/></robot>\n"
                 "<link id=\"l\" from=\"c\" to=\"d\" model=\"gbe\"/>\n"
                 "<link id=\"l\" from=\"d\" to=\"c\" model=\"gbe\"/>\n"
                 "</platform></scenario>",
                 TS_EINVAL, 5, "duplicate link id \"l\": the link at line 4");
    expect_error("<scenario duration=\"0s\"><platform>\n"
                 "<robot id=\"r\"><computer id=\"c\" cores=\"1\" memory=\"1Gi\"/></robot>\n"
                 "</platform></scenario>",
                 TS_EINVAL, 1, "duration=\"0s\" must be greater than 0");
    expect_error("<scenario duration=\"1s\"><platform>\n"
                 "<robot id=\"r\"><computer id=\"c\" cores=\"1\" memory=\"0\"/></robot>\n"
                 "</platform></scenario>",
                 TS_EINVAL, 2, "computer c: memory=\"0\" must be greater than 0");
    expect_error("<scenario duration=\"1s\"><platform>\n"
                 "<robot id=\"r\"><computer id=\"c\" cores=\"0\" memory=\"1\"/></robot>\n"
                 "</platform></scenario>",
                 TS_EPARSE, 2, "attribute 'cores'");
    expect_error("<scenario duration=\"1s\"><platform>\n"
                 "<robot id=\"r\"><computer id=\"c\" cores=\"1\" memory=\"1\"/></robot>\n"
                 "</platform><components>\n"
                 "<component id=\"a\" rate=\"1kHz\" exec=\"0ms\"/>\n"
                 "</components></scenario>",
                 TS_EINVAL, 4, "component a: exec=\"0ms\" must be greater than 0");
    expect_error("<scenario duration=\"1s\"><platform>\n"
                 "<robot id=\"r\"><computer id=\"c\" cores=\"1\" memory=\"1\"/></robot>\n"
                 "</platform><components>\n"
                 "<component id=\"a\" rate=\"1kHz\" exec=\"1ms\" cpu=\"-1\"/>\n"
                 "</components></scenario>",
                 TS_ERANGE, 4, "cpu=\"-1\": a CPU amount must not be negative");
    expect_error("<scenario duration=\"1s\"><platform>\n"
                 "<robot id=\"r\"><computer id=\"c\" cores=\"1\" memory=\"1\"/></robot>\n"
                 "</platform><components>\n"
                 "<component id=\"a\" rate=\"1kHz\" exec=\"1ms\"/>\n"
                 "</components><requirements>\n"
                 "<component-deadline min=\"101%\"/>\n"
                 "</requirements></scenario>",
                 TS_ERANGE, 6, "min=\"101%\": a fraction must lie between");
    expect_error("<scenario duration=\"1s\"><platform>\n"
                 "<robot id=\"r\"><computer id=\"c\" cores=\"1\" memory=\"1\"/></robot>\n"
                 "</platform><components>\n"
                 "<component id=\"a\" rate=\"1kHz\" exec=\"1ms\"/>\n"
                 "</components><requirements>\n"
                 "<component-deadline component=\"b\" min=\"1%\"/>\n"
                 "</requirements></scenario>",
                 TS_ENOENT, 6, "component-deadline: component=\"b\" names no component");
    expect_error("<scenario duration=\"1s\"><platform>\n"
                 "<robot id=\"r\"><computer id=\"c\" cores=\"1\" memory=\"1\"/></robot>\n"
                 "</platform><components>\n"
                 "<component id=\"a\" rate=\"1kHz\" exec=\"1ms\"/>\n"
                 "</components><topics>\n"
                 "<topic id=\"t\" publisher=\"a\" subscribers=\"a\" size=\"0B\"/>\n"
                 "</topics></scenario>",
                 TS_EINVAL, 6, "topic t: size=\"0B\" must be greater than 0");
    /* a link with no latency from anywhere */
    expect_error("<scenario duration=\"1s\"><platform>\n"
                 "<robot id=\"r\"><computer id=\"c\" cores=\"1\" memory=\"1Gi\"/>\n"
                 "<computer id=\"d\" cores=\"1\" memory=\"1Gi\"/></robot>\n"
                 "<link id=\"l\" from=\"c\" to=\"d\" bandwidth=\"1Gbps\"/>\n"
                 "</platform></scenario>",
                 TS_EINVAL, 4, "link l: no latency given");
    /* a cloud model on an edge server */
    expect_error("<scenario duration=\"1s\"><platform>\n"
                 "<edge id=\"e\"><server id=\"s\" model=\"cloud-vm-16\"/></edge>\n"
                 "</platform></scenario>",
                 TS_EINVAL, 2, "is a cloud model, but <server> needs a server model");
    /* stray blanks around an id are refused by the schema */
    expect_error("<scenario duration=\"1s\"><platform>\n"
                 "<robot id=\" r \"><computer id=\"c\" cores=\"1\" memory=\"1Gi\"/></robot>\n"
                 "</platform></scenario>",
                 TS_EPARSE, 2, "Element 'robot', attribute 'id'");
    /* an XML namespace makes it a different element */
    expect_error("<scenario xmlns=\"urn:x\" duration=\"1s\"><platform/></scenario>",
                 TS_EPARSE, 1, "No matching global declaration");
    expect_error("", TS_EPARSE, 1, "empty");
    expect_error("<scenario duration=\"1s\">\n<platform>\n</scenario>", TS_EPARSE,
                 3, "not well-formed XML");
}

/* ---- hostile input ------------------------------------------------------ */

static void test_doctype_and_xxe_refused(void **state)
{
    (void)state;
    /* XXE: the entity would pull /etc/passwd into an id */
    expect_error("<?xml version=\"1.0\"?>\n"
                 "<!DOCTYPE scenario [\n"
                 "  <!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n"
                 "]>\n"
                 "<scenario name=\"&xxe;\" duration=\"1s\"><platform/></scenario>\n",
                 TS_EPARSE, 2, "DOCTYPE is not allowed");
    /* an external DTD alone */
    expect_error("<!DOCTYPE scenario SYSTEM \"file:///etc/passwd\">\n"
                 "<scenario duration=\"1s\"><platform/></scenario>\n",
                 TS_EPARSE, 1, "DOCTYPE is not allowed");
    /* parameter entities reaching out over the network */
    expect_error("<!DOCTYPE scenario [ <!ENTITY % p SYSTEM "
                 "\"http://127.0.0.1:9/x.dtd\"> %p; ]>\n"
                 "<scenario duration=\"1s\"><platform/></scenario>\n",
                 TS_EPARSE, 1, "DOCTYPE is not allowed");
    /* an undeclared entity is simply not well-formed */
    expect_error("<scenario name=\"&xxe;\" duration=\"1s\"><platform/></scenario>",
                 TS_EPARSE, 1, "xxe");
}

static void test_oversize_refused(void **state)
{
    (void)state;
    char dir[] = "/tmp/toposim-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/huge.xml", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    /* sparse: 16 MiB + 1 byte of zeros without writing them */
    assert_int_equal(ftruncate(fd, (off_t)(16 * MiB + 1)), 0);
    close(fd);
    ts_scenario *s;
    ts_error err;
    long live = ts_alloc_live();
    int rc = ts_scenario_load(path, NULL, &s, &err);
    assert_int_equal(rc, TS_EINVAL);
    assert_null(s);
    assert_string_equal(err.file, path);
    assert_non_null(strstr(err.msg, "too large"));
    assert_int_equal(ts_alloc_live(), live);
    unlink(path);
    rmdir(dir);

    size_t n = (size_t)(16 * MiB + 1);
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, ' ', n);
    rc = ts_scenario_load_memory(big, n, "big.xml", NULL, &s, &err);
    assert_int_equal(rc, TS_EINVAL);
    assert_non_null(strstr(err.msg, "too large"));
    free(big);

    rc = ts_scenario_load("tests/bad/no-such-file.xml", NULL, &s, &err);
    assert_int_equal(rc, TS_EIO);
    assert_string_equal(err.file, "tests/bad/no-such-file.xml");
    assert_non_null(strstr(err.msg, "cannot read"));
}

/* Line numbers stay right past 65535 (XML_PARSE_BIG_LINES). */
static void test_big_line_numbers(void **state)
{
    (void)state;
    const char *head = "<scenario duration=\"1s\"><platform>\n"
                       "<robot id=\"r\"><computer id=\"c\" cores=\"1\" "
                       "memory=\"1Gi\"/></robot>";
    size_t pad = 70000;
    const char *tails[2] = {
        "<bogus/></platform></scenario>\n",
        "<link id=\"l\" from=\"c\" to=\"nowhere\" model=\"gbe\"/>"
        "</platform></scenario>\n"};
    const char *phrase[2] = {"Element 'bogus'", "names no node"};
    int code[2] = {TS_EPARSE, TS_ENOENT};
    for (int k = 0; k < 2; k++) {
        size_t n = strlen(head) + pad + strlen(tails[k]) + 1;
        char *text = malloc(n);
        assert_non_null(text);
        strcpy(text, head);
        memset(text + strlen(head), '\n', pad);
        strcpy(text + strlen(head) + pad, tails[k]);
        ts_scenario *s;
        ts_error err;
        ts_scenario_options opts = {.models_dir = "models"};
        int rc = load_mem(text, "long.xml", &opts, &s, &err);
        assert_int_equal(rc, code[k]);
        assert_int_equal(err.line, 2 + (int)pad);
        assert_non_null(strstr(err.msg, phrase[k]));
        free(text);
    }
}

static void my_handler(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    (void)e;
}

/* No byte reaches stderr, and the libxml2 hooks are the caller's again. */
static void test_silent_and_hooks_restored(void **state)
{
    (void)state;
    int marker;
    xmlSetStructuredErrorFunc(&marker, my_handler);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    assert_true(dup2(fileno(tmp), 2) >= 0);
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "tests/bad/%s", bad_cases[i].file);
        ts_scenario *s;
        ts_error err;
        assert_true(ts_scenario_load(path, NULL, &s, &err) < 0);
    }
    fflush(stderr);
    assert_true(dup2(saved, 2) >= 0);
    close(saved);
    fseek(tmp, 0, SEEK_END);
    long written = ftell(tmp);
    fclose(tmp);
    assert_int_equal(written, 0);
    assert_ptr_equal(xmlStructuredError, my_handler);
    assert_ptr_equal(xmlStructuredErrorContext, &marker);
    xmlSetStructuredErrorFunc(NULL, NULL);
}

/* ---- models from a temporary folder -------------------------------------- */

static const char CUSTOM_MODEL[] =
    "<!-- test board -->\n"
    "<model name=\"custom-board\" kind=\"jetson\">\n"
    "  <compute cores=\"3\" memory=\"3GiB\" gpus=\"1\" gpu-memory=\"3GiB\"/>\n"
    "</model>\n";

static const char CUSTOM_SCENARIO[] =
    "<scenario duration=\"1s\">\n"
    "  <platform>\n"
    "    <robot id=\"r\">\n"
    "      <jetson id=\"j\" model=\"custom-board\"/>\n"
    "    </robot>\n"
    "  </platform>\n"
    "</scenario>\n";

static void test_models_dir_option(void **state)
{
    (void)state;
    char dir[] = "/tmp/toposim-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char mdir[256], sdir[256], mpath[300], spath[300], local[300],
        lpath[320];
    snprintf(mdir, sizeof mdir, "%s/mymodels", dir);
    snprintf(sdir, sizeof sdir, "%s/scen", dir);
    snprintf(mpath, sizeof mpath, "%s/custom-board.xml", mdir);
    snprintf(spath, sizeof spath, "%s/s.xml", sdir);
    assert_int_equal(mkdir(mdir, 0755), 0);
    assert_int_equal(mkdir(sdir, 0755), 0);
    write_file(mpath, CUSTOM_MODEL);
    write_file(spath, CUSTOM_SCENARIO);
    unsetenv("TOPOSIM_MODELS");

    ts_scenario *s;
    ts_error err;
    /* not found without being told where */
    int rc = ts_scenario_load(spath, NULL, &s, &err);
    assert_int_equal(rc, TS_ENOENT);
    assert_string_equal(err.file, spath);
    assert_int_equal(err.line, 4);
    assert_non_null(strstr(err.msg, "unknown model \"custom-board\""));
    assert_non_null(strstr(err.msg, "/scen/models"));

    /* found through the options */
    ts_scenario_options opts = {.models_dir = mdir};
    rc = ts_scenario_load(spath, &opts, &s, &err);
    if (rc)
        print_error("%s:%d: %s\n", err.file, err.line, err.msg);
    assert_int_equal(rc, TS_OK);
    assert_int_equal(s->nodes[0].cores, 3);
    assert_true(s->nodes[0].memory_bytes == 3 * GiB);
    assert_string_equal(s->nodes[0].model, "custom-board");
    ts_scenario_free(s);

    /* found through $TOPOSIM_MODELS (a list) */
    char env[600];
    snprintf(env, sizeof env, "/nonexistent:%s", mdir);
    setenv("TOPOSIM_MODELS", env, 1);
    rc = ts_scenario_load(spath, NULL, &s, &err);
    assert_int_equal(rc, TS_OK);
    ts_scenario_free(s);
    unsetenv("TOPOSIM_MODELS");

    /* a models/ folder beside the scenario shadows the options' one */
    snprintf(local, sizeof local, "%s/models", sdir);
    snprintf(lpath, sizeof lpath, "%s/custom-board.xml", local);
    assert_int_equal(mkdir(local, 0755), 0);
    write_file(lpath, "<model name=\"custom-board\" kind=\"jetson\">\n"
                      "  <compute cores=\"5\" memory=\"5GiB\"/>\n"
                      "</model>\n");
    rc = ts_scenario_load(spath, NULL, &s, &err);
    assert_int_equal(rc, TS_OK);
    assert_int_equal(s->nodes[0].cores, 5);
    assert_int_equal(s->nodes[0].gpus, 0);
    ts_scenario_free(s);

    /* an error inside a model names the model file and its line, and
     * where it was used */
    write_file(lpath, "<model name=\"custom-board\" kind=\"jetson\">\n"
                      "  <compute cores=\"5\"\n"
                      "           memory=\"5 bananas\"/>\n"
                      "</model>\n");
    rc = ts_scenario_load(spath, NULL, &s, &err);
    assert_int_equal(rc, TS_EINVAL);
    assert_string_equal(err.file, lpath);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.msg, "memory=\"5 bananas\""));
    assert_non_null(strstr(err.msg, "used by <jetson id=\"j\">"));

    /* a model whose name does not match its file */
    write_file(lpath, "<model name=\"other\" kind=\"jetson\">\n"
                      "  <compute cores=\"5\" memory=\"5GiB\"/>\n"
                      "</model>\n");
    rc = ts_scenario_load(spath, NULL, &s, &err);
    assert_int_equal(rc, TS_EINVAL);
    assert_string_equal(err.file, lpath);
    assert_int_equal(err.line, 1);
    assert_non_null(strstr(err.msg, "name=\"other\""));

    /* a model file that is not well-formed */
    write_file(lpath, "<model name=\"custom-board\" kind=\"jetson\">\n"
                      "  <compute cores=\"5\" memory=\"5GiB\">\n"
                      "</model>\n");
    rc = ts_scenario_load(spath, NULL, &s, &err);
    assert_int_equal(rc, TS_EPARSE);
    assert_string_equal(err.file, lpath);
    assert_int_equal(err.line, 3);

    /* a kind without its element */
    write_file(lpath, "<model name=\"custom-board\" kind=\"jetson\">\n"
                      "  <link latency=\"1ms\" bandwidth=\"1Gbps\"/>\n"
                      "</model>\n");
    rc = ts_scenario_load(spath, NULL, &s, &err);
    assert_int_equal(rc, TS_EINVAL);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.msg, "needs a <compute> element"));

    unlink(lpath);
    rmdir(local);
    unlink(mpath);
    unlink(spath);
    rmdir(mdir);
    rmdir(sdir);
    rmdir(dir);
}

/* Power, thermal and link options inside model files: read, checked on
 * their own (errors name the model file), then overridden by nodes. */
static void test_model_parts(void **state)
{
    (void)state;
    char dir[] = "/tmp/toposim-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char board[300], lnk[300];
    snprintf(board, sizeof board, "%s/board.xml", dir);
    snprintf(lnk, sizeof lnk, "%s/radio.xml", dir);
    write_file(board,
               "<model name=\"board\" kind=\"computer\">\n"
               "  <compute cores=\"4\" memory=\"4GiB\">\n"
               "    <thermal r-case-ambient=\"2\" c-die=\"3\" throttle=\"80C\"\n"
               "             throttle-scale=\"75%\" shutdown=\"95C\"/>\n"
               "    <power idle=\"2W\" core-dyn=\"0.5W\" cpu-ref=\"1.8GHz\">\n"
               "      <mode name=\"fast\"/><mode name=\"slow\" cores=\"2\" cpu-max=\"900MHz\"/>\n"
               "    </power>\n"
               "  </compute>\n"
               "</model>\n");
    write_file(lnk,
               "<model name=\"radio\" kind=\"link\">\n"
               "  <link latency=\"2ms\" bandwidth=\"50Mbps\" mtu=\"1400B\" header=\"60B\"\n"
               "        queue-packets=\"64\" reorder=\"allowed\">\n"
               "    <loss p=\"0.5%\"/>\n"
               "    <jitter dist=\"exponential\" mean=\"1ms\"/>\n"
               "  </link>\n"
               "</model>\n");
    const char *text =
        "<scenario duration=\"1s\"><platform>\n"
        "<robot id=\"r\">\n"
        "  <computer id=\"a\" model=\"board\" mode=\"slow\"/>\n"
        "  <computer id=\"b\" model=\"board\"><thermal throttle-scale=\"50%\"/></computer>\n"
        "</robot>\n"
        "<link id=\"l\" from=\"a\" to=\"b\" model=\"radio\" header=\"0B\" reorder=\"forbidden\"/>\n"
        "</platform></scenario>";
    ts_scenario *s;
    ts_error err;
    ts_scenario_options opts = {.models_dir = dir};
    long live = ts_alloc_live();
    int rc = load_mem(text, "parts.xml", &opts, &s, &err);
    if (rc)
        print_error("%s:%d: %s\n", err.file, err.line, err.msg);
    assert_int_equal(rc, TS_OK);
    assert_int_equal(s->nodes[0].power->initial_mode, 1);
    assert_true(s->nodes[0].power->modes[1].cpu_max_hz == 900e6);
    assert_true(s->nodes[0].power->cpu_ref_hz == 1.8e9);
    assert_true(s->nodes[0].thermal->throttle_scale == 0.75);
    assert_true(s->nodes[0].thermal->release_c == 75.0);
    assert_int_equal(s->nodes[1].power->initial_mode, 0);
    assert_true(s->nodes[1].thermal->throttle_scale == 0.5);
    /* the two nodes own separate copies of the model's modes */
    assert_ptr_not_equal(s->nodes[0].power->modes, s->nodes[1].power->modes);
    const ts_scenario_link *k = &s->links[0];
    assert_true(k->mtu_bytes == 1400);
    assert_true(k->header_bytes == 0);       /* inline 0 overrides 60B */
    assert_true(k->queue_packets == 64);
    assert_int_equal(k->reorder_allowed, 0); /* inline */
    assert_int_equal(k->loss->model, TS_LOSS_MODEL_BERNOULLI);
    assert_true(k->loss->p == 0.005);
    assert_int_equal(k->jitter->kind, TS_DIST_EXPONENTIAL);
    assert_true(k->jitter->a == 1e6);
    ts_scenario_free(s);
    assert_int_equal(ts_alloc_live(), live);

    /* an incomplete power model in a model file: the file's line, and
     * where it was used */
    write_file(board,
               "<model name=\"board\" kind=\"computer\">\n"
               "  <compute cores=\"4\" memory=\"4GiB\">\n"
               "    <power idle=\"2W\" core-dyn=\"0.5W\"/>\n"
               "  </compute>\n"
               "</model>\n");
    rc = load_mem(text, "parts.xml", &opts, &s, &err);
    assert_int_equal(rc, TS_EINVAL);
    assert_string_equal(err.file, board);
    assert_int_equal(err.line, 3);
    assert_non_null(strstr(err.msg, "model board <power>: no cpu-ref= given"));
    assert_non_null(strstr(err.msg, "used by <computer id=\"a\"> at parts.xml:3"));
    /* a mode wider than the model's own cores */
    write_file(board,
               "<model name=\"board\" kind=\"computer\">\n"
               "  <compute cores=\"4\" memory=\"4GiB\">\n"
               "    <power idle=\"2W\" core-dyn=\"0.5W\" cpu-ref=\"1GHz\">\n"
               "      <mode name=\"all\" cores=\"6\"/></power>\n"
               "  </compute>\n"
               "</model>\n");
    rc = load_mem(text, "parts.xml", &opts, &s, &err);
    assert_int_equal(rc, TS_EINVAL);
    assert_string_equal(err.file, board);
    assert_int_equal(err.line, 3);
    assert_non_null(strstr(err.msg, "power mode \"all\" puts 6 cores online but the node has 4"));
    /* a bad distribution in a link model */
    write_file(lnk,
               "<model name=\"radio\" kind=\"link\">\n"
               "  <link latency=\"2ms\" bandwidth=\"50Mbps\">\n"
               "    <jitter dist=\"exponential\" mean=\"1ms\" sd=\"1ms\"/>\n"
               "  </link>\n"
               "</model>\n");
    const char *plain =
        "<scenario duration=\"1s\"><platform>\n"
        "<robot id=\"r\"><computer id=\"a\" cores=\"1\" memory=\"1Gi\"/>\n"
        "<computer id=\"b\" cores=\"1\" memory=\"1Gi\"/></robot>\n"
        "<link id=\"l\" from=\"a\" to=\"b\" model=\"radio\"/>\n"
        "</platform></scenario>";
    rc = load_mem(plain, "parts.xml", &opts, &s, &err);
    assert_int_equal(rc, TS_EINVAL);
    if (strcmp(err.file, lnk) != 0)
        print_error("%s:%d: %s\n", err.file, err.line, err.msg);
    assert_string_equal(err.file, lnk);
    assert_int_equal(err.line, 3);
    assert_non_null(strstr(err.msg, "model radio <jitter>: sd= does not apply"));
    assert_int_equal(ts_alloc_live(), live);
    unlink(board);
    unlink(lnk);
    rmdir(dir);
}

/* ---- deployment elements ------------------------------------------------- */

#define MS_NS ((int64_t)1000000)

/* Every deployment element and attribute once, with known values. */
static const char DEPLOY_DOC[] =
    "<scenario duration=\"10s\">\n"                                        /* 1 */
    "  <platform>\n"
    "    <robot id=\"h1\" safe-state=\"stop-1\" safe-state-budget=\"100ms\">\n"
    "      <computer id=\"h1_rt\" cores=\"4\" memory=\"4GiB\"/>\n"
    "      <computer id=\"h1_rt2\" cores=\"4\" memory=\"4GiB\"/>\n"       /* 5 */
    "      <switch id=\"h1_sw\"/>\n"
    "    </robot>\n"
    "    <robot id=\"h2\" safe-state=\" stop-0 \">\n"
    "      <computer id=\"h2_rt\" cores=\"2\" memory=\"1GiB\"/>\n"
    "    </robot>\n"                                                       /* 10 */
    "    <edge id=\"e1\"><server id=\"s1\" cores=\"16\" memory=\"64GiB\"/>"
    "<server id=\"s2\" cores=\"16\" memory=\"64GiB\"/></edge>\n"
    "    <link id=\"a\" from=\"h1_rt\" to=\"h1_sw\" latency=\"1us\" bandwidth=\"1Gbps\"/>\n"
    "    <link id=\"b\" from=\"h1_rt2\" to=\"h1_sw\" latency=\"1us\" bandwidth=\"1Gbps\"/>\n"
    "    <link id=\"c\" from=\"h1_sw\" to=\"s1\" latency=\"1ms\" bandwidth=\"1Gbps\"/>\n"
    "    <link id=\"d\" from=\"s2\" to=\"s1\" latency=\"1us\" bandwidth=\"10Gbps\"/>\n" /* 15 */
    "    <link id=\"e\" from=\"h2_rt\" to=\"s1\" latency=\"1ms\" bandwidth=\"1Gbps\"/>\n"
    "  </platform>\n"
    "  <config>\n"
    "    <param name=\"max_speed\" value=\"1.5m/s\"/>\n"
    "    <param name=\"mode\" value=\" normal walk \"/>\n"                 /* 20 */
    "  </config>\n"
    "  <qos-profiles>\n"
    "    <profile id=\"cmd\" base=\"real_time\" depth=\"2\" deadline=\"5ms\"/>\n"
    "    <profile id=\"cmd2\" base=\"cmd\" reliability=\"best-effort\" lifespan=\"50ms\"\n"
    "             liveliness=\"manual-by-topic\" lease=\"1s\"/>\n"        /* 25 */
    "    <profile id=\"plain\" history=\"keep-all\" max-samples=\"100\"\n"
    "             durability=\"transient-local\" deadline=\"infinite\"/>\n"
    "  </qos-profiles>\n"
    "  <components>\n"
    "    <component id=\"safety_monitor\" rate=\"200Hz\" exec=\"100us\" cpu=\"250m\"\n" /* 30 */
    "               memory=\"64MiB\" priority=\"95\" node=\"h1_rt\" robot=\"h1\"\n"
    "               flags=\"safety-critical real-time-critical\" heartbeat=\"2ms\"\n"
    "               detector=\"phi\" phi=\"6.5\" failover-budget=\"10ms\"\n"
    "               isolation=\"highest\" zone=\"safety\" core-redundancy=\"true\">\n"
    "      <safety-mode rate=\"100Hz\" exec=\"150us\">\n"                  /* 35 */
    "        <param name=\"speed_limit\" value=\"0.5m/s\"/>\n"
    "        <param name=\"gait\" value=\"crawl\"/>\n"
    "      </safety-mode>\n"
    "      <version id=\"v2\" rate=\"30Hz\" exec=\"15ms\" exec-min=\"12ms\" cpu=\"2\"\n"
    "               memory=\"1GiB\"/>\n"                                   /* 40 */
    "      <version id=\"v3\" exec=\"90us\"/>\n"
    "    </component>\n"
    "    <component id=\"safety_monitor_b\" backup-of=\"safety_monitor\" standby=\"warm\"\n"
    "               node=\"h1_rt\"/>\n"
    "    <component id=\"safety_monitor_c\" backup-of=\"safety_monitor\" standby=\"cold\"\n" /* 45 */
    "               takeover=\"1ms\" node=\"h1_rt2\" rate=\"100Hz\" exec=\"200us\"\n"
    "               zone=\"perception\" needed=\"false\" cores=\"1\">\n"
    "      <safety-mode exec=\"50us\"/>\n"
    "    </component>\n"
    "    <component id=\"detector\" rate=\"30Hz\" exec=\"10ms\" gpus=\"0\" version=\"r1.0\"\n" /* 50 */
    "               flags=\"computation-heavy\" replicas=\"3\" zone=\"perception\"\n"
    "               needed=\"true\" misses=\"5\" heartbeat=\"10ms\" isolation=\"node\"/>\n"
    "    <component id=\"vision\" rate=\"30Hz\" exec=\"5ms\" node=\"h1_rt2\"\n"
    "               zone=\"perception\"/>\n"
    "    <component id=\"other\" rate=\"1Hz\" exec=\"1ms\" node=\"h2_rt\"/>\n" /* 55 */
    "    <component id=\"loose\" rate=\"1Hz\" exec=\"1ms\" flags=\"data-processing\"/>\n"
    "  </components>\n"
    "  <topics>\n"
    "    <topic id=\"status\" publisher=\"safety_monitor\" subscribers=\"vision\"\n"
    "           size=\"64B\" qos=\"cmd2\"/>\n"                            /* 60 */
    "    <topic id=\"img\" publisher=\"vision\" subscribers=\"detector detector_3\"\n"
    "           size=\"1MiB\" writer-qos=\"sensor_data\" reader-qos=\"best_effort\"/>\n"
    "    <topic id=\"w_only\" publisher=\"vision\" subscribers=\"loose\" size=\"1KiB\"\n"
    "           writer-qos=\"plain\"/>\n"
    "    <topic id=\"sys\" publisher=\"vision\" subscribers=\"loose\" size=\"1KiB\"\n" /* 65 */
    "           qos=\"rmw_qos_profile_system_default\"/>\n"
    "    <topic id=\"bare\" publisher=\"loose\" subscribers=\"vision\" size=\"1KiB\"/>\n"
    "  </topics>\n"
    "  <services>\n"
    "    <client component=\"vision\" service=\"detect\" rate=\"30Hz\"/>\n" /* 70 */
    "    <service id=\"detect\" component=\"detector_2\" lb=\"least-outstanding\"\n"
    "             health-period=\"100ms\" health-timeout=\"50ms\" request=\"64KiB\"\n"
    "             response=\"4KiB\" timeout=\"100ms\"/>\n"
    "    <service id=\"log\" component=\"loose\" request=\"1KiB\" response=\"1B\"\n"
    "             timeout=\"1s\" health-period=\"1s\"/>\n"                /* 75 */
    "  </services>\n"
    "  <policies default=\"deny\">\n"
    "    <zone id=\"safety\"/>\n"
    "    <allow from-zone=\"perception\" to-zone=\"safety\"/>\n"
    "    <zone id=\"perception\"/>\n"                                      /* 80 */
    "    <allow component=\"vision\" publish=\"img\"/>\n"
    "    <allow component=\"detector_3\" subscribe=\"img\"/>\n"
    "  </policies>\n"
    "  <rollouts>\n"
    "    <rollout component=\"safety_monitor\" to=\"v3\" start=\"5s\" soak=\"10s\"\n" /* 85 */
    "             wave=\"2\" wave-soak=\"5s\" max-miss=\"1%\" canaries=\"1\"/>\n"
    "    <!-- the defaults: see the fleet test -->\n"
    "  </rollouts>\n"
    "  <faults>\n"
    "    <component-crash component=\"safety_monitor\" at=\"2s\" duration=\"1s\"/>\n" /* 90 */
    "    <node-crash node=\"s2\" at=\"1s\"/>\n"
    "  </faults>\n"
    "</scenario>\n";

/* The QoS fields one by one against the issue's and rmw's values. */
static void assert_qos(const ts_qos *q, ts_qos_reliability rel,
                       ts_qos_history hist, int depth, int max,
                       ts_qos_durability dur, int64_t deadline,
                       int64_t lifespan, ts_qos_liveliness live, int64_t lease)
{
    assert_int_equal(q->reliability, rel);
    assert_int_equal(q->history, hist);
    assert_int_equal(q->depth, depth);
    assert_int_equal(q->max_samples, max);
    assert_int_equal(q->durability, dur);
    assert_true(q->deadline_ns == deadline);
    assert_true(q->lifespan_ns == lifespan);
    assert_int_equal(q->liveliness, live);
    assert_true(q->lease_ns == lease);
}

static ts_scenario *load_ok(const char *text, const char *name)
{
    ts_scenario *s = NULL;
    ts_error err;
    ts_scenario_options opts = {.models_dir = "models"};
    int rc = load_mem(text, name, &opts, &s, &err);
    if (rc)
        print_error("%s:%d: %s\n", err.file, err.line, err.msg);
    assert_int_equal(rc, TS_OK);
    return s;
}

static void test_deploy_elements(void **state)
{
    (void)state;
    long live = ts_alloc_live();
    ts_scenario *s = load_ok(DEPLOY_DOC, "deploy.xml");

    /* sites: safe states; no fleet */
    assert_int_equal(s->n_sites, 3);
    assert_int_equal(s->sites[0].safe_state_category, 1);
    assert_true(s->sites[0].safe_state_budget_ns == 100 * MS_NS);
    assert_int_equal(s->sites[1].safe_state_category, 0);
    assert_true(s->sites[1].safe_state_budget_ns == 0);
    assert_int_equal(s->sites[2].safe_state_category, -1);
    for (size_t i = 0; i < s->n_sites; i++) {
        assert_int_equal(s->sites[i].fleet, -1);
        assert_int_equal(s->sites[i].fleet_member, -1);
    }

    /* config: globals in order, values as written */
    assert_int_equal(s->n_params, 2);
    assert_string_equal(s->params[0].name, "max_speed");
    assert_string_equal(s->params[0].value, "1.5m/s");
    assert_int_equal(s->params[0].site, -1);
    assert_int_equal(s->params[0].line, 19);
    assert_string_equal(s->params[1].value, " normal walk ");

    /* profiles: real_time (keep last 1, reliable, volatile, deadline 10ms)
     * with depth 2 and deadline 5ms; then best effort with a lifespan and
     * a manual lease over that; then rmw's default (keep last 10,
     * reliable, volatile) made keep-all, transient-local */
    assert_int_equal(s->n_qos_profiles, 3);
    assert_string_equal(s->qos_profiles[0].id, "cmd");
    assert_int_equal(s->qos_profiles[0].line, 23);
    assert_qos(&s->qos_profiles[0].qos, TS_QOS_RELIABLE, TS_QOS_KEEP_LAST, 2,
               0, TS_QOS_VOLATILE, 5 * MS_NS, 0, TS_QOS_AUTOMATIC, 0);
    assert_qos(&s->qos_profiles[1].qos, TS_QOS_BEST_EFFORT, TS_QOS_KEEP_LAST,
               2, 0, TS_QOS_VOLATILE, 5 * MS_NS, 50 * MS_NS,
               TS_QOS_MANUAL_BY_TOPIC, 1000 * MS_NS);
    assert_qos(&s->qos_profiles[2].qos, TS_QOS_RELIABLE, TS_QOS_KEEP_ALL, 10,
               100, TS_QOS_TRANSIENT_LOCAL, 0, 0, TS_QOS_AUTOMATIC, 0);

    /* components: the replicas follow their first */
    assert_int_equal(s->n_components, 9);
    static const char *const ids[] = {
        "safety_monitor", "safety_monitor_b", "safety_monitor_c",
        "detector", "detector_2", "detector_3", "vision", "other", "loose"};
    for (size_t i = 0; i < 9; i++)
        assert_string_equal(s->components[i].id, ids[i]);
    assert_int_equal(ts_scenario_find_component(s, "detector_3"), 5);

    const ts_scenario_component *p = &s->components[0];
    assert_int_equal(p->backup_of, -1);
    assert_int_equal(p->shared->detector, TS_DETECT_PHI);
    assert_true(p->shared->heartbeat_ns == 2 * MS_NS);
    assert_int_equal(p->shared->misses, 3);
    assert_true(p->shared->phi_threshold == 6.5);
    assert_true(p->shared->failover_budget_ns == 10 * MS_NS);
    assert_int_equal(p->shared->core_redundancy, 1);
    assert_int_equal(p->shared->needed, 1); /* safety-critical */
    assert_int_equal(p->shared->isolation, TS_ISOLATION_HIGHEST);
    assert_int_equal(p->zone, 0);
    assert_int_equal(p->replica_of, -1);
    assert_int_equal(p->site, 0);
    assert_true(p->shared->safety->period_ns == 10 * MS_NS);
    assert_true(p->shared->safety->exec_ns == 150000);
    assert_int_equal(p->shared->safety->n_params, 2);
    assert_string_equal(p->shared->safety->param_names[0], "speed_limit");
    assert_string_equal(p->shared->safety->param_values[0], "0.5m/s");
    assert_string_equal(p->shared->safety->param_names[1], "gait");
    assert_string_equal(p->shared->safety->param_values[1], "crawl");
    /* versions: the declared one as v1, then v2 and v3 as written */
    assert_int_equal(p->shared->n_versions, 3);
    assert_string_equal(p->shared->versions[0].id, "v1");
    assert_true(p->shared->versions[0].period_ns == 5 * MS_NS);
    assert_true(p->shared->versions[0].exec_ns == 100000);
    assert_true(p->shared->versions[0].exec_min_ns == 100000);
    assert_true(p->shared->versions[0].cpu_millicores == 250);
    assert_true(p->shared->versions[0].memory_bytes == 64 * MiB);
    assert_int_equal(p->shared->versions[0].line, 30);
    assert_string_equal(p->shared->versions[1].id, "v2");
    assert_true(p->shared->versions[1].period_ns == 33333333);
    assert_true(p->shared->versions[1].exec_ns == 15 * MS_NS);
    assert_true(p->shared->versions[1].exec_min_ns == 12 * MS_NS);
    assert_true(p->shared->versions[1].cpu_millicores == 2000);
    assert_true(p->shared->versions[1].memory_bytes == GiB);
    assert_int_equal(p->shared->versions[1].line, 39);
    assert_string_equal(p->shared->versions[2].id, "v3");
    assert_true(p->shared->versions[2].period_ns == 0); /* unchanged */
    assert_true(p->shared->versions[2].exec_ns == 90000);
    assert_true(p->shared->versions[2].exec_min_ns == 90000); /* as exec */
    assert_true(p->shared->versions[2].cpu_millicores == 0);

    /* a warm backup: everything from its primary but the pin; its own
     * copy of the safety mode */
    const ts_scenario_component *b = &s->components[1];
    assert_int_equal(b->backup_of, 0);
    assert_int_equal(b->shared->standby, TS_STANDBY_WARM);
    assert_true(b->shared->takeover_ns == 5 * MS_NS);
    assert_true(b->shared->period_ns == 5 * MS_NS);
    assert_true(b->shared->deadline_ns == 5 * MS_NS);
    assert_true(b->shared->exec_ns == 100000);
    assert_true(b->shared->exec_min_ns == 100000);
    assert_true(b->shared->cpu_millicores == 250);
    assert_true(b->shared->memory_bytes == 64 * MiB);
    assert_int_equal(b->shared->priority, 95);
    assert_int_equal(b->shared->flags,
                     TS_FLAG_SAFETY_CRITICAL | TS_FLAG_REAL_TIME_CRITICAL);
    assert_int_equal(b->pin, ts_scenario_find_node(s, "h1_rt"));
    assert_int_equal(b->zone, 0);
    assert_int_equal(b->site, 0);
    assert_int_equal(b->shared->isolation, TS_ISOLATION_HIGHEST);
    assert_int_equal(b->shared->core_redundancy, 1);
    assert_int_equal(b->shared->needed, 1);
    assert_true(b->shared->heartbeat_ns == 0); /* the primary's to give */
    assert_int_equal(b->shared->misses, 3);
    assert_true(b->shared->safety->period_ns == 10 * MS_NS);
    assert_int_equal(b->shared->safety->n_params, 2);
    assert_ptr_not_equal(b->shared->safety->param_names, p->shared->safety->param_names);
    assert_string_equal(b->shared->safety->param_values[1], "crawl");
    assert_int_equal(b->shared->n_versions, 1);
    assert_string_equal(b->shared->versions[0].id, "v1");
    assert_true(b->shared->versions[0].period_ns == 5 * MS_NS);

    /* a cold backup with its own timing, zone and safety mode; needed
     * stays implied by the inherited safety-critical flag */
    const ts_scenario_component *c = &s->components[2];
    assert_int_equal(c->backup_of, 0);
    assert_int_equal(c->shared->standby, TS_STANDBY_COLD);
    assert_true(c->shared->takeover_ns == MS_NS);
    assert_true(c->shared->period_ns == 10 * MS_NS);
    assert_true(c->shared->deadline_ns == 10 * MS_NS);
    assert_true(c->shared->exec_ns == 200000);
    assert_true(c->shared->exec_min_ns == 200000);
    assert_int_equal(c->zone, 1);
    assert_int_equal(c->shared->needed, 1);
    assert_true(c->shared->affinity == 2);
    assert_true(c->shared->safety->period_ns == 0);
    assert_true(c->shared->safety->exec_ns == 50000);
    assert_int_equal(c->shared->safety->n_params, 0);

    /* replicas: copies of the first, all pointing at it */
    for (int i = 3; i <= 5; i++) {
        const ts_scenario_component *d = &s->components[i];
        assert_int_equal(d->replica_of, 3);
        assert_true(d->shared->period_ns == 33333333);
        assert_true(d->shared->exec_ns == 10 * MS_NS);
        assert_int_equal(d->shared->flags, TS_FLAG_COMPUTATION_HEAVY);
        assert_int_equal(d->zone, 1);
        assert_int_equal(d->shared->needed, 1);
        assert_int_equal(d->shared->misses, 5);
        assert_true(d->shared->heartbeat_ns == 10 * MS_NS);
        assert_int_equal(d->shared->detector, TS_DETECT_TIMEOUT);
        assert_true(d->shared->phi_threshold == 8);
        assert_int_equal(d->shared->isolation, TS_ISOLATION_NODE);
        assert_int_equal(d->pin, -1);
        assert_int_equal(d->site, -1);
        assert_int_equal(d->shared->n_versions, 1);
        assert_string_equal(d->shared->versions[0].id, "r1.0");
        assert_int_equal(d->line, 50);
    }
    /* defaults elsewhere; a pin on a robot's node makes it that robot's */
    const ts_scenario_component *v = &s->components[6];
    assert_int_equal(v->site, 0);
    assert_int_equal(v->shared->needed, 0);
    assert_int_equal(v->shared->isolation, TS_ISOLATION_NONE);
    assert_int_equal(v->replica_of, -1);
    assert_int_equal(v->backup_of, -1);
    assert_int_equal(v->shared->standby, TS_STANDBY_HOT);
    assert_true(v->shared->takeover_ns == 0);
    assert_int_equal(v->shared->weight, 1024);
    assert_int_equal(s->components[7].site, 1);
    assert_int_equal(s->components[8].site, -1);
    assert_int_equal(s->components[8].zone, -1);

    /* topics: one profile for both sides, one per side, the other side
     * rmw's default, system_default per role, and none */
    const ts_scenario_topic *t = &s->topics[0];
    assert_int_equal(t->has_qos, 1);
    assert_qos(t->writer_qos, TS_QOS_BEST_EFFORT, TS_QOS_KEEP_LAST, 2, 0,
               TS_QOS_VOLATILE, 5 * MS_NS, 50 * MS_NS, TS_QOS_MANUAL_BY_TOPIC,
               1000 * MS_NS);
    assert_memory_equal(t->writer_qos, t->reader_qos, sizeof *t->writer_qos);
    t = &s->topics[1];
    assert_int_equal(t->has_qos, 1);
    assert_qos(t->writer_qos, TS_QOS_BEST_EFFORT, TS_QOS_KEEP_LAST, 5, 0,
               TS_QOS_VOLATILE, 0, 0, TS_QOS_AUTOMATIC, 0);
    assert_qos(t->reader_qos, TS_QOS_BEST_EFFORT, TS_QOS_KEEP_LAST, 100, 0,
               TS_QOS_VOLATILE, 0, 0, TS_QOS_AUTOMATIC, 0);
    assert_int_equal(t->subscribers[1], 5);
    t = &s->topics[2];
    assert_qos(t->writer_qos, TS_QOS_RELIABLE, TS_QOS_KEEP_ALL, 10, 100,
               TS_QOS_TRANSIENT_LOCAL, 0, 0, TS_QOS_AUTOMATIC, 0);
    assert_qos(t->reader_qos, TS_QOS_RELIABLE, TS_QOS_KEEP_LAST, 10, 0,
               TS_QOS_VOLATILE, 0, 0, TS_QOS_AUTOMATIC, 0);
    t = &s->topics[3]; /* Fast DDS's defaults: writer and reader differ */
    assert_qos(t->writer_qos, TS_QOS_RELIABLE, TS_QOS_KEEP_LAST, 1, 0,
               TS_QOS_TRANSIENT_LOCAL, 0, 0, TS_QOS_AUTOMATIC, 0);
    assert_qos(t->reader_qos, TS_QOS_BEST_EFFORT, TS_QOS_KEEP_LAST, 1, 0,
               TS_QOS_VOLATILE, 0, 0, TS_QOS_AUTOMATIC, 0);
    t = &s->topics[4];
    assert_int_equal(t->has_qos, 0);
    ts_qos zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(t->writer_qos, &zero, sizeof zero);

    /* services: the whole replica group, whichever member is named */
    assert_int_equal(s->n_services, 2);
    const ts_scenario_service *sv = &s->services[0];
    assert_string_equal(sv->id, "detect");
    assert_int_equal(sv->n_replicas, 3);
    assert_int_equal(sv->replicas[0], 3);
    assert_int_equal(sv->replicas[1], 4);
    assert_int_equal(sv->replicas[2], 5);
    assert_int_equal(sv->least_outstanding, 1);
    assert_true(sv->health_period_ns == 100 * MS_NS);
    assert_true(sv->health_timeout_ns == 50 * MS_NS);
    assert_true(sv->request_bytes == 64 * KiB);
    assert_true(sv->response_bytes == 4 * KiB);
    assert_true(sv->timeout_ns == 100 * MS_NS);
    assert_int_equal(sv->line, 71);
    sv = &s->services[1];
    assert_int_equal(sv->n_replicas, 1);
    assert_int_equal(sv->replicas[0], 8);
    assert_int_equal(sv->least_outstanding, 0);
    assert_true(sv->health_timeout_ns == 1000 * MS_NS); /* the period */
    assert_int_equal(s->n_clients, 1);
    assert_int_equal(s->clients[0].component, 6);
    assert_int_equal(s->clients[0].service, 0); /* declared after it */
    assert_true(s->clients[0].period_ns == 33333333);
    assert_int_equal(s->clients[0].line, 70);

    /* policies */
    assert_int_equal(s->default_deny, 1);
    assert_int_equal(s->n_zones, 2);
    assert_string_equal(s->zones[1].id, "perception");
    assert_int_equal(s->n_allows, 3);
    const ts_scenario_allow *a = &s->allows[0];
    assert_int_equal(a->from_zone, 1);
    assert_int_equal(a->to_zone, 0);
    assert_int_equal(a->component, -1);
    assert_int_equal(a->topic, -1);
    a = &s->allows[1];
    assert_int_equal(a->from_zone, -1);
    assert_int_equal(a->component, 6);
    assert_int_equal(a->topic, 1);
    assert_int_equal(a->publish, 1);
    a = &s->allows[2];
    assert_int_equal(a->component, 5);
    assert_int_equal(a->publish, 0);
    assert_int_equal(a->line, 82);

    /* rollouts: the version's index, the defaults */
    assert_int_equal(s->n_rollouts, 1);
    const ts_scenario_rollout *r = &s->rollouts[0];
    assert_string_equal(r->component, "safety_monitor");
    assert_int_equal(r->to_version, 2);
    assert_true(r->start_ns == 5000 * MS_NS);
    assert_int_equal(r->canaries, 1);
    assert_true(r->soak_ns == 10000 * MS_NS);
    assert_int_equal(r->wave, 2);
    assert_true(r->wave_soak_ns == 5000 * MS_NS);
    assert_true(fabs(r->max_miss_fraction - 0.01) < 1e-12);

    /* faults: the component crash, in time order */
    assert_int_equal(s->n_faults, 2);
    assert_int_equal(s->faults[1].kind, TS_FAULT_COMPONENT_CRASH);
    assert_int_equal(s->faults[1].target, 0);
    assert_true(s->faults[1].at_ns == 2000 * MS_NS);
    assert_true(s->faults[1].duration_ns == 1000 * MS_NS);
    assert_int_equal(s->faults[1].line, 90);
    assert_int_equal(s->n_fleets, 0);
    ts_scenario_free(s);
    assert_int_equal(ts_alloc_live(), live);
}

/* A template robot of three nodes joined to the edge over Wi-Fi, made a
 * fleet of three. */
static const char FLEET_DOC[] =
    "<scenario duration=\"10s\">\n"                                        /* 1 */
    "  <platform>\n"
    "    <robot id=\"h1\" battery=\"500Wh\" safe-state=\"stop-2\">\n"
    "      <computer id=\"h1_rt\" cores=\"4\" memory=\"4GiB\"/>\n"
    "      <jetson id=\"h1_j\" model=\"jetson-orin-nx-16gb\" mode=\"15W\"/>\n" /* 5 */
    "      <switch id=\"h1_sw\"/>\n"
    "    </robot>\n"
    "    <edge id=\"e\"><server id=\"s1\" cores=\"16\" memory=\"64GiB\"/>"
    "<switch id=\"tor\"/></edge>\n"
    "    <cloud id=\"c\"><node id=\"cl1\" cores=\"8\" memory=\"32GiB\"/></cloud>\n"
    "    <switch id=\"ap\"/>\n"                                            /* 10 */
    "    <medium id=\"air\" capacity=\"600Mbps\"/>\n"
    "    <link id=\"l_rt\" from=\"h1_rt\" to=\"h1_sw\" model=\"gbe\"/>\n"
    "    <link id=\"l_j\" from=\"h1_j\" to=\"h1_sw\" model=\"gbe\"/>\n"
    "    <link id=\"wifi\" from=\"h1_sw\" to=\"ap\" medium=\"air\" latency=\"2ms\"/>\n"
    "    <link id=\"up\" from=\"ap\" to=\"tor\" model=\"10gbe\"/>\n"      /* 15 */
    "    <link id=\"s1l\" from=\"s1\" to=\"tor\" model=\"10gbe\"/>\n"
    "    <link id=\"wan\" from=\"tor\" to=\"cl1\" model=\"wan\"/>\n"
    "  </platform>\n"
    "  <config>\n"
    "    <param name=\"max_speed\" value=\"1.5m/s\"/>\n"                   /* 20 */
    "    <param name=\"gain\" value=\"2\"/>\n"
    "  </config>\n"
    "  <components>\n"
    "    <component id=\"ctrl\" rate=\"1kHz\" exec=\"100us\" robot=\"h1\" node=\"h1_rt\"\n"
    "               flags=\"real-time-critical\" heartbeat=\"1ms\"/>\n"  /* 25 */
    "    <component id=\"ctrl_b\" backup-of=\"ctrl\" node=\"h1_j\"/>\n"
    "    <component id=\"cam\" rate=\"30Hz\" exec=\"2ms\" node=\"h1_j\">\n"
    "      <version id=\"v2\" exec=\"3ms\"/>\n"
    "    </component>\n"
    "    <component id=\"vis\" rate=\"30Hz\" exec=\"10ms\" robot=\"h1\"\n" /* 30 */
    "               flags=\"computation-heavy\" replicas=\"2\"/>\n"
    "    <component id=\"coord\" rate=\"1Hz\" exec=\"1ms\" flags=\"data-processing\"/>\n"
    "    <component id=\"archive\" rate=\"1Hz\" exec=\"1ms\" flags=\"data-processing\"/>\n"
    "  </components>\n"
    "  <topics>\n"                                                         /* 35 */
    "    <topic id=\"img\" publisher=\"cam\" subscribers=\"vis vis_2\" size=\"1MiB\"\n"
    "           qos=\"sensor_data\"/>\n"
    "    <topic id=\"telem\" publisher=\"ctrl\" subscribers=\"coord\" size=\"1KiB\"/>\n"
    "    <topic id=\"cmd\" publisher=\"coord\" subscribers=\"ctrl archive\" size=\"1KiB\"/>\n"
    "    <topic id=\"arch\" publisher=\"coord\" subscribers=\"archive\" size=\"1KiB\"/>\n" /* 40 */
    "  </topics>\n"
    "  <services>\n"
    "    <service id=\"plan\" component=\"coord\" request=\"1KiB\" response=\"1KiB\"\n"
    "             timeout=\"1s\"/>\n"
    "    <client component=\"ctrl\" service=\"plan\" rate=\"10Hz\"/>\n"   /* 45 */
    "    <client component=\"archive\" service=\"plan\" rate=\"1Hz\"/>\n"
    "  </services>\n"
    "  <policies>\n"
    "    <zone id=\"z\"/>\n"
    "    <allow from-zone=\"z\" to-zone=\"z\"/>\n"                         /* 50 */
    "    <allow component=\"cam\" publish=\"img\"/>\n"
    "    <allow component=\"coord\" subscribe=\"telem\"/>\n"
    "    <allow component=\"archive\" subscribe=\"arch\"/>\n"
    "  </policies>\n"
    "  <fleet id=\"f1\" template=\"h1\" count=\"3\" coordinator=\"coord\">\n" /* 55 */
    "    <robot index=\"2\"><param name=\"max_speed\" value=\"0.8m/s\"/></robot>\n"
    "    <robot index=\"0\"><param name=\"gain\" value=\"3\"/>"
    "<param name=\"max_speed\" value=\"1m/s\"/></robot>\n"
    "  </fleet>\n"
    "  <rollouts>\n"
    "    <rollout component=\"cam\" to=\"v2\" start=\"1s\" soak=\"2s\" canaries=\"3\"/>\n" /* 60 */
    "  </rollouts>\n"
    "  <requirements>\n"
    "    <topic-deadline topic=\"img\" min=\"99%\"/>\n"
    "    <component-deadline component=\"ctrl\" min=\"100%\"/>\n"
    "    <topic-deadline min=\"99%\"/>\n"                                  /* 65 */
    "    <topic-deadline topic=\"arch\" min=\"90%\"/>\n"
    "  </requirements>\n"
    "  <faults><node-crash node=\"h1_rt\" at=\"1s\"/></faults>\n"
    "</scenario>\n";

static int find_site(const ts_scenario *s, const char *id)
{
    for (size_t i = 0; i < s->n_sites; i++)
        if (strcmp(s->sites[i].id, id) == 0)
            return (int)i;
    return -1;
}

static void test_fleet_expansion(void **state)
{
    (void)state;
    long live = ts_alloc_live();
    ts_scenario *s = load_ok(FLEET_DOC, "fleet.xml");

    /* sites: the copies after the declared ones, copy by copy */
    assert_int_equal(s->n_sites, 5);
    static const char *const sites[] = {"h1", "e", "c", "h1_r1", "h1_r2"};
    static const int member[] = {0, -1, -1, 1, 2};
    for (int i = 0; i < 5; i++) {
        assert_string_equal(s->sites[i].id, sites[i]);
        assert_int_equal(s->sites[i].fleet, member[i] < 0 ? -1 : 0);
        assert_int_equal(s->sites[i].fleet_member, member[i]);
    }
    assert_int_equal(s->sites[4].tier, TS_TIER_ROBOT);
    assert_true(s->sites[4].battery_wh == 500);
    assert_int_equal(s->sites[4].safe_state_category, 2);
    assert_int_equal(s->sites[4].line, 3);
    assert_int_equal(s->n_fleets, 1);
    assert_string_equal(s->fleets[0].id, "f1");
    assert_int_equal(s->fleets[0].template_site, 0);
    assert_int_equal(s->fleets[0].count, 3);
    assert_int_equal(s->fleets[0].coordinator, 5);
    assert_int_equal(s->fleets[0].line, 55);

    /* nodes: the robot's three (its switch too), per copy */
    static const char *const nodes[] = {
        "h1_rt", "h1_j", "h1_sw", "s1", "tor", "cl1", "ap",
        "h1_rt_r1", "h1_j_r1", "h1_sw_r1", "h1_rt_r2", "h1_j_r2", "h1_sw_r2"};
    assert_int_equal(s->n_nodes, 13);
    for (int i = 0; i < 13; i++)
        assert_string_equal(s->nodes[i].id, nodes[i]);
    const ts_scenario_node *j2 = &s->nodes[11];
    assert_int_equal(j2->site, 4);
    assert_int_equal(j2->kind, TS_NODE_JETSON);
    assert_string_equal(j2->model, "jetson-orin-nx-16gb");
    /* a copy shares its template's model name and models */
    assert_ptr_equal(j2->model, s->nodes[1].model);
    assert_ptr_equal(j2->power, s->nodes[1].power);
    assert_ptr_equal(j2->thermal, s->nodes[1].thermal);
    assert_string_equal(j2->power->modes[j2->power->initial_mode].name, "15W");
    assert_int_equal(s->nodes[12].kind, TS_NODE_SWITCH);
    assert_int_equal(s->nodes[12].site, 4);
    assert_int_equal(s->nodes[9].line, 6);

    /* links: inside the robot both ends follow; Wi-Fi keeps its access
     * point and its medium */
    static const struct {
        const char *id;
        int a, b;
    } links[] = {{"l_rt", 0, 2},     {"l_j", 1, 2},      {"wifi", 2, 6},
                 {"up", 6, 4},       {"s1l", 3, 4},      {"wan", 4, 5},
                 {"l_rt_r1", 7, 9},  {"l_j_r1", 8, 9},   {"wifi_r1", 9, 6},
                 {"l_rt_r2", 10, 12}, {"l_j_r2", 11, 12}, {"wifi_r2", 12, 6}};
    assert_int_equal(s->n_links, 12);
    for (int i = 0; i < 12; i++) {
        assert_string_equal(s->links[i].id, links[i].id);
        assert_int_equal(s->links[i].a, links[i].a);
        assert_int_equal(s->links[i].b, links[i].b);
    }
    assert_int_equal(s->links[11].medium, 0);
    assert_true(s->links[11].latency_ns == 2 * MS_NS);
    assert_string_equal(s->links[9].model, "gbe");
    assert_int_equal(s->links[11].line, 14);
    assert_ptr_equal(s->links[11].jitter, s->links[2].jitter);
    assert_ptr_equal(s->links[11].loss, s->links[2].loss);

    /* components: the template's four (vis_2 too), per copy; pins onto
     * the copy's nodes; backup and replica references within the copy */
    static const struct {
        const char *id;
        int pin, site, backup_of, replica_of;
    } comps[] = {
        {"ctrl", 0, 0, -1, -1},        {"ctrl_b", 1, 0, 0, -1},
        {"cam", 1, 0, -1, -1},         {"vis", -1, 0, -1, 3},
        {"vis_2", -1, 0, -1, 3},       {"coord", -1, -1, -1, -1},
        {"archive", -1, -1, -1, -1},   {"ctrl_r1", 7, 3, -1, -1},
        {"ctrl_b_r1", 8, 3, 7, -1},    {"cam_r1", 8, 3, -1, -1},
        {"vis_r1", -1, 3, -1, 10},     {"vis_2_r1", -1, 3, -1, 10},
        {"ctrl_r2", 10, 4, -1, -1},    {"ctrl_b_r2", 11, 4, 12, -1},
        {"cam_r2", 11, 4, -1, -1},     {"vis_r2", -1, 4, -1, 15},
        {"vis_2_r2", -1, 4, -1, 15}};
    assert_int_equal(s->n_components, 17);
    for (int i = 0; i < 17; i++) {
        const ts_scenario_component *c = &s->components[i];
        assert_string_equal(c->id, comps[i].id);
        assert_int_equal(c->pin, comps[i].pin);
        assert_int_equal(c->site, comps[i].site);
        assert_int_equal(c->backup_of, comps[i].backup_of);
        assert_int_equal(c->replica_of, comps[i].replica_of);
        /* Each copy knows its template and robot number: components 0-4
         * are the template's (member 0), 7-11 copy 1, 12-16 copy 2. */
        int member = i < 5 ? 0 : i < 7 ? -1 : i < 12 ? 1 : 2;
        int tmpl = member < 0 ? -1 : member == 0 ? i : (i - 7) % 5;
        assert_int_equal(c->fleet_member, member);
        assert_int_equal(c->fleet_template, tmpl);
    }
    const ts_scenario_component *cam2 = &s->components[14];
    assert_int_equal(cam2->shared->n_versions, 2);
    assert_string_equal(cam2->shared->versions[1].id, "v2");
    assert_true(cam2->shared->versions[1].exec_ns == 3 * MS_NS);
    /* a copy reads its template's versions rather than a copy of them */
    assert_ptr_equal(cam2->shared->versions, s->components[2].shared->versions);
    assert_int_equal(cam2->line, 27);
    assert_true(s->components[13].shared->heartbeat_ns == 0);
    assert_true(s->components[12].shared->heartbeat_ns == MS_NS);
    assert_int_equal(s->components[13].shared->standby, TS_STANDBY_HOT);

    /* topics: those a copied component uses; coord and archive stay
     * shared; arch (cloud only) is not copied */
    static const struct {
        const char *id;
        int pub;
        int subs[2];
        size_t n;
    } topics[] = {
        {"img", 2, {3, 4}, 2},      {"telem", 0, {5, -1}, 1},
        {"cmd", 5, {0, 6}, 2},      {"arch", 5, {6, -1}, 1},
        {"img_r1", 9, {10, 11}, 2}, {"telem_r1", 7, {5, -1}, 1},
        {"cmd_r1", 5, {7, 6}, 2},   {"img_r2", 14, {15, 16}, 2},
        {"telem_r2", 12, {5, -1}, 1}, {"cmd_r2", 5, {12, 6}, 2}};
    assert_int_equal(s->n_topics, 10);
    for (int i = 0; i < 10; i++) {
        const ts_scenario_topic *t = &s->topics[i];
        assert_string_equal(t->id, topics[i].id);
        assert_int_equal(t->publisher, topics[i].pub);
        assert_int_equal(t->n_subscribers, topics[i].n);
        for (size_t k = 0; k < t->n_subscribers; k++)
            assert_int_equal(t->subscribers[k], topics[i].subs[k]);
    }
    assert_int_equal(s->topics[7].has_qos, 1);
    assert_int_equal(s->topics[7].writer_qos->depth, 5); /* sensor_data */
    assert_true(s->topics[7].size_bytes == MiB);

    /* requirements aimed at copies are duplicated; the rest stay */
    static const struct {
        ts_requirement_kind kind;
        int target;
        int line;
    } reqs[] = {{TS_REQ_TOPIC_DEADLINE, 0, 63},
                {TS_REQ_COMPONENT_DEADLINE, 0, 64},
                {TS_REQ_TOPIC_DEADLINE, -1, 65},
                {TS_REQ_TOPIC_DEADLINE, 3, 66},
                {TS_REQ_TOPIC_DEADLINE, 4, 63},
                {TS_REQ_COMPONENT_DEADLINE, 7, 64},
                {TS_REQ_TOPIC_DEADLINE, 7, 63},
                {TS_REQ_COMPONENT_DEADLINE, 12, 64}};
    assert_int_equal(s->n_requirements, 8);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(s->requirements[i].kind, reqs[i].kind);
        assert_int_equal(s->requirements[i].target, reqs[i].target);
        assert_int_equal(s->requirements[i].line, reqs[i].line);
    }
    assert_true(s->requirements[6].min_fraction == s->requirements[0].min_fraction);

    /* clients of copied components, and allow rules naming a copied
     * component or topic */
    assert_int_equal(s->n_clients, 4);
    assert_int_equal(s->clients[2].component, 7);
    assert_int_equal(s->clients[3].component, 12);
    assert_int_equal(s->clients[3].service, 0);
    assert_int_equal(s->n_services, 1);
    assert_int_equal(s->services[0].n_replicas, 1);
    assert_int_equal(s->n_allows, 8);
    static const int allow_comp[] = {9, 5, 14, 5};
    static const int allow_topic[] = {4, 5, 7, 8};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(s->allows[4 + i].component, allow_comp[i]);
        assert_int_equal(s->allows[4 + i].topic, allow_topic[i]);
        assert_int_equal(s->allows[4 + i].publish, i % 2 == 0);
        assert_int_equal(s->allows[4 + i].from_zone, -1);
    }

    /* parameters: globals, then overrides on the robot they name */
    assert_int_equal(s->n_params, 5);
    assert_int_equal(s->params[0].site, -1);
    assert_int_equal(s->params[1].site, -1);
    assert_string_equal(s->params[2].name, "max_speed");
    assert_string_equal(s->params[2].value, "0.8m/s");
    assert_int_equal(s->params[2].site, find_site(s, "h1_r2"));
    assert_int_equal(s->params[3].site, find_site(s, "h1"));
    assert_string_equal(s->params[3].value, "3");
    assert_int_equal(s->params[4].site, 0);
    assert_int_equal(s->params[4].line, 57);

    /* rollouts and faults name the template's entities */
    assert_int_equal(s->n_rollouts, 1);
    assert_string_equal(s->rollouts[0].component, "cam");
    assert_int_equal(s->rollouts[0].to_version, 1);
    assert_int_equal(s->rollouts[0].canaries, 3);
    assert_int_equal(s->rollouts[0].wave, 1);
    assert_true(s->rollouts[0].wave_soak_ns == 2000 * MS_NS);
    assert_true(s->rollouts[0].max_miss_fraction == 0);
    assert_int_equal(s->n_faults, 1);
    assert_int_equal(s->faults[0].target, 0);
    ts_scenario_free(s);
    assert_int_equal(ts_alloc_live(), live);
}

/* A fleet of one is its template, marked; a fleet of 1000 stays fast. */
static void test_fleet_sizes(void **state)
{
    (void)state;
    const char *one =
        "<scenario duration=\"1s\"><platform>\n"
        "<robot id=\"r\"><computer id=\"c\" cores=\"1\" memory=\"1Gi\"/></robot>\n"
        "</platform>\n"
        "<components><component id=\"x\" rate=\"1Hz\" exec=\"1ms\" node=\"c\"/>"
        "</components>\n"
        "<fleet id=\"f\" template=\"r\" count=\"1\"/></scenario>\n";
    ts_scenario *s = load_ok(one, "one.xml");
    assert_int_equal(s->n_sites, 1);
    assert_int_equal(s->sites[0].fleet, 0);
    assert_int_equal(s->sites[0].fleet_member, 0);
    assert_int_equal(s->n_components, 1);
    assert_int_equal(s->fleets[0].coordinator, -1);
    ts_scenario_free(s);

    const char *many =
        "<scenario duration=\"1s\"><platform>\n"
        "<robot id=\"r\"><computer id=\"c\" cores=\"1\" memory=\"1Gi\"/></robot>\n"
        "<cloud id=\"k\"><node id=\"n\" cores=\"1\" memory=\"1Gi\"/></cloud>\n"
        "<link id=\"l\" from=\"c\" to=\"n\" latency=\"1ms\" bandwidth=\"1Gbps\"/>\n"
        "</platform>\n"
        "<components><component id=\"x\" rate=\"1Hz\" exec=\"1ms\" node=\"c\"/>"
        "<component id=\"y\" rate=\"1Hz\" exec=\"1ms\" node=\"n\"/>"
        "</components>\n"
        "<topics><topic id=\"t\" publisher=\"x\" subscribers=\"y\" size=\"1\"/></topics>\n"
        "<fleet id=\"f\" template=\"r\" count=\"1000\" coordinator=\"y\"/></scenario>\n";
    s = load_ok(many, "many.xml");
    assert_int_equal(s->n_sites, 1001);
    assert_int_equal(s->n_nodes, 1001);
    assert_int_equal(s->n_links, 1000);
    assert_int_equal(s->n_components, 1001);
    assert_int_equal(s->n_topics, 1000);
    assert_string_equal(s->sites[1000].id, "r_r999");
    assert_int_equal(s->sites[1000].fleet_member, 999);
    assert_string_equal(s->topics[999].id, "t_r999");
    assert_int_equal(s->topics[999].publisher, ts_scenario_find_component(s, "x_r999"));
    assert_int_equal(s->topics[999].subscribers[0], 1);
    assert_int_equal(s->links[999].a, ts_scenario_find_node(s, "c_r999"));
    assert_int_equal(s->links[999].b, 1);
    ts_scenario_free(s);
}

/* Value checks that share their wording with older ones, and what the
 * schema refuses. */
static void test_deploy_errors(void **state)
{
    (void)state;
#define R1                                                                   \
    "<scenario duration=\"1s\"><platform>\n"                                 \
    "<robot id=\"r\"><computer id=\"c\" cores=\"2\" memory=\"1Gi\"/>\n"      \
    "<computer id=\"d\" cores=\"2\" memory=\"1Gi\"/></robot>\n"              \
    "<link id=\"l\" from=\"c\" to=\"d\" latency=\"1us\" bandwidth=\"1Gbps\"/>" \
    "</platform>\n"
    /* line 5 onwards is the test's */
    expect_error(R1 "<components>\n<component id=\"a\" exec=\"1ms\"/>\n"
                 "</components></scenario>",
                 TS_EPARSE, 6,
                 "The attribute 'rate' is required but missing (only a "
                 "backup-of= component takes its primary's)");
    expect_error(R1 "<components>\n<component id=\"a\" rate=\"1kHz\" "
                 "exec=\"1us\" heartbeat=\"0ms\"/>\n</components></scenario>",
                 TS_EINVAL, 6, "component a: heartbeat=\"0ms\" must be greater than 0");
    expect_error(R1 "<components>\n<component id=\"a\" rate=\"1kHz\" "
                 "exec=\"1us\" phi=\"0\"/>\n</components></scenario>",
                 TS_EINVAL, 6, "component a: phi=\"0\" must be greater than 0");
    expect_error(R1 "<components>\n<component id=\"a\" rate=\"1kHz\" "
                 "exec=\"1us\" takeover=\"soon\"/>\n</components></scenario>",
                 TS_EINVAL, 6, "component a: takeover= applies to a backup");
    expect_error(R1 "<components>\n<component id=\"a\" rate=\"1kHz\" "
                 "exec=\"1us\" heartbeat=\"1ms\"/>\n<component id=\"b\" "
                 "backup-of=\"a\" takeover=\"soon\" node=\"d\"/>\n"
                 "</components></scenario>",
                 TS_EINVAL, 7, "component b: takeover=\"soon\": expected a duration");
    expect_error(R1 "<components>\n<component id=\"a\" rate=\"1kHz\" exec=\"1us\">\n"
                 "<safety-mode exec=\"0us\"/></component>\n</components></scenario>",
                 TS_EINVAL, 7, "safety-mode: exec=\"0us\" must be greater than 0");
    expect_error(R1 "<components>\n<component id=\"a\" rate=\"1kHz\" exec=\"1us\">\n"
                 "<version id=\"v2\" exec=\"0ms\"/></component>\n</components></scenario>",
                 TS_EINVAL, 7, "version v2: exec=\"0ms\" must be greater than 0");
    expect_error(R1 "<components>\n<component id=\"a\" rate=\"1kHz\" exec=\"1us\">\n"
                 "<version id=\"v1\" exec=\"2us\"/></component>\n</components></scenario>",
                 TS_EINVAL, 7, "component a: version \"v1\" is declared twice (it is "
                 "the component's own version, set by version= or \"v1\", at line 6)");
    expect_error(R1 "<components>\n<component id=\"a\" rate=\"1kHz\" "
                 "exec=\"1us\" replicas=\"2\"/>\n<component id=\"a_2\" "
                 "rate=\"1kHz\" exec=\"1us\"/>\n</components></scenario>",
                 TS_EINVAL, 7, "duplicate component id \"a_2\": the component at "
                 "line 6 already uses it");
    expect_error(R1 "<components>\n<component id=\"a\" rate=\"1kHz\" exec=\"1us\"/>\n"
                 "</components><services>\n<service id=\"s\" component=\"a\" "
                 "request=\"0B\" response=\"1B\" timeout=\"1s\"/>\n"
                 "</services></scenario>",
                 TS_EINVAL, 8, "service s: request=\"0B\" must be greater than 0");
    expect_error(R1 "<components>\n<component id=\"a\" rate=\"1kHz\" exec=\"1us\"/>\n"
                 "</components><services>\n<service id=\"s\" component=\"a\" "
                 "request=\"1B\" response=\"1B\" timeout=\"0s\"/>\n"
                 "</services></scenario>",
                 TS_EINVAL, 8, "service s: timeout=\"0s\" must be greater than 0");
    expect_error(R1 "<qos-profiles>\n<profile id=\"p\" deadline=\"forever\"/>\n"
                 "</qos-profiles></scenario>",
                 TS_EINVAL, 6, "profile p: deadline=\"forever\": expected a duration");
    expect_error(R1 "<qos-profiles>\n<profile id=\"p\" reliability=\"sure\"/>\n"
                 "</qos-profiles></scenario>",
                 TS_EPARSE, 6, "attribute 'reliability'");
    expect_error(R1 "<components>\n<component id=\"a\" rate=\"1kHz\" exec=\"1us\" "
                 "node=\"c\"/>\n</components>\n"
                 "<fleet id=\"f\" template=\"r\" count=\"0\"/></scenario>",
                 TS_EPARSE, 8, "attribute 'count'");
    expect_error(R1 "<components>\n<component id=\"a\" rate=\"1kHz\" exec=\"1us\"/>\n"
                 "</components><topics><topic id=\"t\" publisher=\"a\" "
                 "subscribers=\"a\" size=\"1\"/></topics>\n<policies>\n"
                 "<allow/></policies></scenario>",
                 TS_EINVAL, 9, "allow: the rule allows nothing");
    /* a site out of order: <config> after <components> */
    expect_error(R1 "<components/>\n<config/></scenario>",
                 TS_EPARSE, 6, "Element 'config': This element is not expected");
#undef R1
}

/* Failing each allocation in turn while loading the two deployment
 * documents: every load fails cleanly until enough succeed. */
static void test_deploy_allocation_failures(void **state)
{
    (void)state;
    const char *docs[] = {DEPLOY_DOC, FLEET_DOC};
    ts_scenario_options opts = {.models_dir = "models"};
    for (size_t d = 0; d < 2; d++) {
        long live = ts_alloc_live();
        int done = 0, failures = 0;
        for (long n = 1; n < 2000 && !done; n++) {
            ts_scenario *s = NULL;
            ts_error err;
            ts_alloc_fail_after(n);
            int rc = load_mem(docs[d], "oom.xml", &opts, &s, &err);
            ts_alloc_fail_after(0);
            if (rc == TS_OK) {
                assert_true(s->n_components == (d == 0 ? 9 : 17));
                ts_scenario_free(s);
                done = 1;
            } else {
                if (rc != TS_ENOMEM)
                    print_error("doc %zu, n=%ld: %d %s\n", d, n, rc, err.msg);
                assert_int_equal(rc, TS_ENOMEM);
                assert_null(s);
                failures++;
            }
            assert_int_equal(ts_alloc_live(), live);
        }
        assert_true(done);
        assert_true(failures > 50);
    }
}

/* ---- requirements and expectations --------------------------------------- */

/* Every gate once, with and without its target, and <expect>s. */
static const char GATES_DOC[] =
    "<scenario duration=\"10s\">\n"                                        /* 1 */
    "  <platform>\n"
    "    <robot id=\"r1\" safe-state=\"stop-1\">\n"
    "      <computer id=\"c1\" cores=\"4\" memory=\"4GiB\"/>\n"
    "      <jetson id=\"j1\" model=\"jetson-orin-nano-8gb\"/>\n"          /* 5 */
    "    </robot>\n"
    "    <robot id=\"r2\" safe-state=\"stop-0\" safe-state-budget=\"50ms\">\n"
    "      <computer id=\"c2\" cores=\"2\" memory=\"1GiB\"/>\n"
    "    </robot>\n"
    "    <edge id=\"e1\"><server id=\"s1\" cores=\"16\" memory=\"64GiB\"/></edge>\n" /* 10 */
    "    <link id=\"l1\" from=\"c1\" to=\"j1\" latency=\"1us\" bandwidth=\"1Gbps\"/>\n"
    "    <link id=\"l2\" from=\"j1\" to=\"s1\" latency=\"1ms\" bandwidth=\"1Gbps\"/>\n"
    "    <link id=\"l3\" from=\"c2\" to=\"s1\" latency=\"1ms\" bandwidth=\"1Gbps\"/>\n"
    "  </platform>\n"
    "  <components>\n"                                                     /* 15 */
    "    <component id=\"mon\" rate=\"100Hz\" exec=\"100us\" node=\"c1\" heartbeat=\"2ms\"\n"
    "               flags=\"safety-critical\" failover-budget=\"10ms\">\n"
    "      <version id=\"v2\" exec=\"200us\"/>\n"
    "    </component>\n"
    "    <component id=\"mon_b\" backup-of=\"mon\" standby=\"hot\" node=\"j1\"/>\n" /* 20 */
    "    <component id=\"det\" rate=\"10Hz\" exec=\"1ms\" node=\"s1\"/>\n"
    "  </components>\n"
    "  <topics>\n"
    "    <topic id=\"t1\" publisher=\"mon\" subscribers=\"det\" size=\"1KiB\" qos=\"real_time\"/>\n"
    "  </topics>\n"                                                        /* 25 */
    "  <services>\n"
    "    <service id=\"svc\" component=\"det\" request=\"1KiB\" response=\"1KiB\" timeout=\"50ms\"/>\n"
    "  </services>\n"
    "  <rollouts>\n"
    "    <rollout component=\"mon\" to=\"v2\" start=\"1s\" soak=\"2s\"/>\n" /* 30 */
    "  </rollouts>\n"
    "  <requirements>\n"
    "    <topic-deadline topic=\"t1\" min=\"99%\"/>\n"
    "    <failover component=\"mon\"/>\n"
    "    <failover/>\n"                                                    /* 35 */
    "    <safe-state robot=\"r2\"/>\n"
    "    <safe-state/>\n"
    "    <safety-coverage min=\"90%\"/>\n"
    "    <health min=\"75.5\"/>\n"
    "    <integration/>\n"                                                 /* 40 */
    "    <rollout component=\"mon\"/>\n"
    "    <rollout/>\n"
    "    <qos-deadline topic=\"t1\" max=\"3\"/>\n"
    "    <qos-deadline/>\n"
    "    <service service=\"svc\" min=\"0.95\"/>\n"                       /* 45 */
    "    <thermal-headroom node=\"j1\" min=\"5C\"/>\n"
    "    <power-budget node=\"j1\"/>\n"
    "    <power-budget/>\n"
    "    <expect event=\"rollout_abort\" component=\"mon\" node=\"c1\" min=\"1\" max=\"1\"/>\n"
    "    <expect event=\"fault:node-crash\"/>\n"                          /* 50 */
    "    <expect event=\"node_down\" min=\"0\" max=\"0\"/>\n"
    "  </requirements>\n"
    "</scenario>\n";

static void test_requirements_and_expects(void **state)
{
    (void)state;
    ts_scenario *s = load_ok(GATES_DOC, "gates.xml");
    int mon = ts_scenario_find_component(s, "mon");
    int j1 = ts_scenario_find_node(s, "j1");
    static const struct {
        ts_requirement_kind kind;
        const char *name;
        int line;
        int target_is_mon, object;   /* object: -1, or 1 meaning "the named one" */
        double min_fraction, threshold; /* threshold -1: NaN */
    } want[] = {
        {TS_REQ_TOPIC_DEADLINE, "topic-deadline", 33, 0, -1, 0.99, 0.99},
        {TS_REQ_FAILOVER, "failover", 34, 1, -1, 0, -1},
        {TS_REQ_FAILOVER, "failover", 35, 0, -1, 0, -1},
        {TS_REQ_SAFE_STATE, "safe-state", 36, 0, 1, 0, -1},
        {TS_REQ_SAFE_STATE, "safe-state", 37, 0, -1, 0, -1},
        {TS_REQ_SAFETY_COVERAGE, "safety-coverage", 38, 0, -1, 0.9, 0.9},
        {TS_REQ_HEALTH, "health", 39, 0, -1, 0, 75.5},
        {TS_REQ_INTEGRATION, "integration", 40, 0, -1, 0, -1},
        {TS_REQ_ROLLOUT, "rollout", 41, 0, 0, 0, -1},
        {TS_REQ_ROLLOUT, "rollout", 42, 0, -1, 0, -1},
        {TS_REQ_QOS_DEADLINE, "qos-deadline", 43, 0, 1, 0, 3},
        {TS_REQ_QOS_DEADLINE, "qos-deadline", 44, 0, -1, 0, 0},
        {TS_REQ_SERVICE, "service", 45, 0, 0, 0.95, 0.95},
        {TS_REQ_THERMAL_HEADROOM, "thermal-headroom", 46, 0, 1, 0, 5},
        {TS_REQ_POWER_BUDGET, "power-budget", 47, 0, 1, 0, -1},
        {TS_REQ_POWER_BUDGET, "power-budget", 48, 0, -1, 0, -1},
    };
    assert_int_equal(s->n_requirements, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < s->n_requirements; i++) {
        const ts_scenario_requirement *r = &s->requirements[i];
        assert_int_equal(r->kind, want[i].kind);
        assert_string_equal(ts_requirement_kind_name(r->kind), want[i].name);
        assert_int_equal(r->line, want[i].line);
        if (r->kind == TS_REQ_TOPIC_DEADLINE)
            assert_int_equal(r->target, ts_scenario_find_topic(s, "t1"));
        else
            assert_int_equal(r->target, want[i].target_is_mon ? mon : -1);
        int object = want[i].object;
        if (object == 1)
            object = r->kind == TS_REQ_SAFE_STATE     ? 1 /* r2 */
                     : r->kind == TS_REQ_QOS_DEADLINE ? ts_scenario_find_topic(s, "t1")
                                                      : j1;
        assert_int_equal(r->object, object);
        assert_true(r->min_fraction == want[i].min_fraction);
        if (want[i].threshold < 0)
            assert_true(isnan(r->threshold));
        else
            assert_true(r->threshold == want[i].threshold);
    }
    assert_string_equal(s->sites[1].id, "r2");
    /* The default budget is the trace's business: the scenario keeps 0. */
    assert_true(s->sites[0].safe_state_budget_ns == 0);

    assert_int_equal(s->n_expects, 3);
    assert_string_equal(s->expects[0].event, "rollout_abort");
    assert_int_equal(s->expects[0].component, mon);
    assert_int_equal(s->expects[0].node, ts_scenario_find_node(s, "c1"));
    assert_true(s->expects[0].min_count == 1 && s->expects[0].max_count == 1);
    assert_int_equal(s->expects[0].line, 49);
    assert_string_equal(s->expects[1].event, "fault:node-crash");
    assert_int_equal(s->expects[1].component, -1);
    assert_int_equal(s->expects[1].node, -1);
    assert_true(s->expects[1].min_count == 1 && s->expects[1].max_count == -1);
    assert_true(s->expects[2].min_count == 0 && s->expects[2].max_count == 0);
    ts_scenario_free(s);

    /* Every allocation failing in turn leaves nothing behind. */
    ts_scenario_options opts = {.models_dir = "models"};
    long live = ts_alloc_live();
    int done = 0;
    for (long n = 1; n < 4000 && !done; n++) {
        ts_scenario *t = NULL;
        ts_error err;
        ts_alloc_fail_after(n);
        int rc = load_mem(GATES_DOC, "oom.xml", &opts, &t, &err);
        ts_alloc_fail_after(0);
        if (rc == TS_OK) {
            assert_int_equal(t->n_expects, 3);
            ts_scenario_free(t);
            done = 1;
        } else {
            assert_int_equal(rc, TS_ENOMEM);
            assert_null(t);
        }
        assert_int_equal(ts_alloc_live(), live);
    }
    assert_true(done);
}

/* ---- allocation failures ------------------------------------------------- */

/* Failing each allocation in turn: every load fails with TS_ENOMEM and
 * leaves nothing behind, until enough succeed for the load to complete. */
static void test_allocation_failures(void **state)
{
    (void)state;
    const char *text =
        "<scenario duration=\"1s\">\n"
        "  <platform>\n"
        "    <robot id=\"r\">\n"
        "      <computer id=\"c\" cores=\"2\" memory=\"1GiB\"/>\n"
        "      <jetson id=\"j\" model=\"jetson-orin-nx-16gb\" mode=\"15W\"/>\n"
        "      <jetson id=\"k\" model=\"jetson-orin-nx-16gb\">\n"
        "        <power><mode name=\"x\"/><mode name=\"y\"/></power></jetson>\n"
        "      <switch id=\"sw\"/>\n"
        "    </robot>\n"
        "    <medium id=\"m\" capacity=\"1Mbps\"><at time=\"1s\"/></medium>\n"
        "    <link id=\"a\" from=\"c\" to=\"sw\" model=\"gbe\"/>\n"
        "    <link id=\"b\" from=\"j\" to=\"sw\" model=\"wifi6\" medium=\"m\"/>\n"
        "    <link id=\"d\" from=\"k\" to=\"sw\" model=\"gbe\"/>\n"
        "  </platform>\n"
        "  <components>\n"
        "    <component id=\"x\" rate=\"1kHz\" exec=\"1us\"/>\n"
        "    <component id=\"y\" rate=\"1kHz\" exec=\"1us\" node=\"j\"/>\n"
        "  </components>\n"
        "  <topics>\n"
        "    <topic id=\"t\" publisher=\"x\" subscribers=\"x y\" size=\"1\"/>\n"
        "  </topics>\n"
        "  <requirements><topic-deadline min=\"1%\"/></requirements>\n"
        "  <faults><partition at=\"2s\" links=\"a b\"/>\n"
        "    <node-crash node=\"k\" at=\"1s\"/>\n"
        "    <partition at=\"1s\" links=\"d\"/></faults>\n"
        "</scenario>\n";
    ts_scenario_options opts = {.models_dir = "models"};
    long live = ts_alloc_live();
    int done = 0, failures = 0;
    for (long n = 1; n < 500 && !done; n++) {
        ts_scenario *s = NULL;
        ts_error err;
        ts_alloc_fail_after(n);
        int rc = load_mem(text, "oom.xml", &opts, &s, &err);
        ts_alloc_fail_after(0);
        if (rc == TS_OK) {
            assert_int_equal(s->n_topics, 1);
            assert_int_equal(s->n_faults, 3);
            assert_int_equal(s->faults[0].kind, TS_FAULT_NODE_CRASH);
            assert_int_equal(s->nodes[2].power->n_modes, 2);
            ts_scenario_free(s);
            done = 1;
        } else {
            if (rc != TS_ENOMEM)
                print_error("n=%ld: %d %s\n", n, rc, err.msg);
            assert_int_equal(rc, TS_ENOMEM);
            assert_null(s);
            failures++;
        }
        assert_int_equal(ts_alloc_live(), live);
    }
    assert_true(done);
    /* every string, array and model of the scenario is an allocation */
    assert_true(failures > 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_humanoid_basic),
        cmocka_unit_test(test_gpu_shares_load),
        cmocka_unit_test(test_bad_corpus),
        cmocka_unit_test(test_memory_minimal_defaults),
        cmocka_unit_test(test_memory_model_override),
        cmocka_unit_test(test_memory_errors),
        cmocka_unit_test(test_full_format),
        cmocka_unit_test(test_power_thermal_override),
        cmocka_unit_test(test_new_element_errors),
        cmocka_unit_test(test_doctype_and_xxe_refused),
        cmocka_unit_test(test_oversize_refused),
        cmocka_unit_test(test_big_line_numbers),
        cmocka_unit_test(test_silent_and_hooks_restored),
        cmocka_unit_test(test_models_dir_option),
        cmocka_unit_test(test_model_parts),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_deploy_elements),
        cmocka_unit_test(test_fleet_expansion),
        cmocka_unit_test(test_fleet_sizes),
        cmocka_unit_test(test_deploy_errors),
        cmocka_unit_test(test_deploy_allocation_failures),
        cmocka_unit_test(test_requirements_and_expects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
