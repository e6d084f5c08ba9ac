/*
 * Tests for scenario loading (src/scenario/load.c, build.c, models.c,
 * check.c): the default scenario's contents, the tests/bad/ corpus (each
 * file's error code, line and key phrase), in-memory cases, refusal of
 * DOCTYPEs, external entities and oversize input, model lookup from a
 * temporary folder, line numbers past 65535, silence on stderr, restored
 * libxml2 hooks, and clean failure when any allocation fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
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
    assert_true(c->period_ns == 1000000);
    assert_true(c->exec_ns == 200000);
    assert_true(c->exec_min_ns == 150000);
    assert_true(c->deadline_ns == 1000000); /* defaults to the period */
    assert_true(c->offset_ns == 0);
    assert_int_equal(c->priority, 90);
    assert_int_equal(c->flags,
                     TS_FLAG_REAL_TIME_CRITICAL | TS_FLAG_SAFETY_CRITICAL);
    assert_true(c->cpu_millicores == 500);
    assert_true(c->memory_bytes == 64 * MiB);
    assert_int_equal(c->pin, -1);
    int cam = ts_scenario_find_component(s, "camera_driver");
    assert_int_equal(s->components[cam].pin, j);
    assert_int_equal(s->components[cam].flags, 0);
    int vis = ts_scenario_find_component(s, "vision_processing");
    assert_true(s->components[vis].cpu_millicores == 4000);
    assert_true(s->components[vis].memory_bytes == 8 * GiB);
    assert_int_equal(s->components[vis].gpus, 1);
    assert_int_equal(s->components[vis].flags, TS_FLAG_COMPUTATION_HEAVY);
    int tel = ts_scenario_find_component(s, "telemetry");
    assert_int_equal(s->components[tel].flags, TS_FLAG_DATA_PROCESSING);
    assert_true(s->components[tel].period_ns == 100000000);

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

    free(text);
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
    {"bad-flag.xml", TS_EPARSE, 11, "'hard-real-time' is not an element"},
    {"bad-unit.xml", TS_EINVAL, 13, "latency=\"10 parsecs\": expected a duration"},
    {"doctype-entity.xml", TS_EPARSE, 6, "DOCTYPE is not allowed"},
    {"duplicate-component.xml", TS_EINVAL, 13,
     "duplicate component id \"planner\": the component at line 12"},
    {"duplicate-node.xml", TS_EINVAL, 12,
     "duplicate node id \"c1\": the computer at line 9"},
    {"exec-min-above-exec.xml", TS_EINVAL, 11, "is longer than exec=\"2ms\""},
    {"link-without-bandwidth.xml", TS_EINVAL, 13, "link l1: no bandwidth given"},
    {"malformed-unclosed-tag.xml", TS_EPARSE, 10,
     "Opening and ending tag mismatch: robot line 9 and platform"},
    {"missing-attribute.xml", TS_EPARSE, 12,
     "The attribute 'exec' is required but missing"},
    {"missing-cores.xml", TS_EINVAL, 9, "computer c2: no CPU cores given"},
    {"model-as-scenario.xml", TS_EPARSE, 7,
     "expected <scenario> as the root element, found <model>"},
    {"model-kind-mismatch.xml", TS_EINVAL, 10,
     "is a link model, but <jetson> needs a jetson model"},
    {"model-path.xml", TS_EPARSE, 9, "'../etc/passwd' is not accepted"},
    {"negative-size.xml", TS_ERANGE, 15, "size=\"-1KiB\": a size must not be negative"},
    {"overflow-unit.xml", TS_ERANGE, 7, "duration=\"99999999999s\": duration too long"},
    {"pin-to-switch.xml", TS_EINVAL, 16, "node=\"sw\" is a switch"},
    {"self-link.xml", TS_EINVAL, 13, "link loop: from and to are both \"c1\""},
    {"topic-rate-too-fast.xml", TS_EINVAL, 15,
     "(every 10ms) is faster than its publisher wheels runs (every 20ms)"},
    {"unknown-element.xml", TS_EPARSE, 8,
     "Element 'robto': This element is not expected"},
    {"unknown-link-endpoint.xml", TS_ENOENT, 14,
     "link wifi: to=\"ap2\" names no node (expected the id of a computer, "
     "jetson, server, node or switch)"},
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
    {"wrong-root.xml", TS_EPARSE, 6,
     "No matching global declaration available for the validation root"},
    {"xxe-file.xml", TS_EPARSE, 6, "DOCTYPE is not allowed"},
    {"zero-bandwidth.xml", TS_EINVAL, 12, "bandwidth=\"0Mbps\" must be greater than 0"},
    {"zero-period.xml", TS_ERANGE, 12, "rate=\"0Hz\": a rate must be greater than 0Hz"},
    {"zero-queue.xml", TS_EINVAL, 12, "queue=\"0KiB\" must be greater than 0"},
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
    assert_true(a->period_ns == 2000000);
    assert_true(a->deadline_ns == 2000000);
    assert_true(a->exec_min_ns == 100000);
    assert_int_equal(a->priority, 0);
    assert_true(a->cpu_millicores == 0);
    assert_int_equal(a->flags, 0);
    const ts_scenario_component *b = &s->components[1];
    assert_true(b->period_ns == 33333333);
    assert_true(b->offset_ns == 5000000);
    assert_true(b->deadline_ns == 10000000);
    assert_int_equal(b->priority, -3);
    assert_true(b->cpu_millicores == 1500);
    assert_int_equal(b->flags,
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
        "      <jetson id=\"j\" model=\"jetson-orin-nx-16gb\"/>\n"
        "      <switch id=\"sw\"/>\n"
        "    </robot>\n"
        "    <link id=\"a\" from=\"c\" to=\"sw\" model=\"gbe\"/>\n"
        "    <link id=\"b\" from=\"j\" to=\"sw\" model=\"gbe\"/>\n"
        "  </platform>\n"
        "  <components>\n"
        "    <component id=\"x\" rate=\"1kHz\" exec=\"1us\"/>\n"
        "    <component id=\"y\" rate=\"1kHz\" exec=\"1us\" node=\"j\"/>\n"
        "  </components>\n"
        "  <topics>\n"
        "    <topic id=\"t\" publisher=\"x\" subscribers=\"x y\" size=\"1\"/>\n"
        "  </topics>\n"
        "  <requirements><topic-deadline min=\"1%\"/></requirements>\n"
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
        cmocka_unit_test(test_bad_corpus),
        cmocka_unit_test(test_memory_minimal_defaults),
        cmocka_unit_test(test_memory_model_override),
        cmocka_unit_test(test_memory_errors),
        cmocka_unit_test(test_doctype_and_xxe_refused),
        cmocka_unit_test(test_oversize_refused),
        cmocka_unit_test(test_big_line_numbers),
        cmocka_unit_test(test_silent_and_hooks_restored),
        cmocka_unit_test(test_models_dir_option),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
