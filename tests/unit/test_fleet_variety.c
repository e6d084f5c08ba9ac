/*
 * Fleet variety at load (src/scenario/fleet_variety.c): release phases
 * and clock offsets to the nanosecond (fixed, folded, and uniform draws
 * reproduced from the named GSL streams), which of fleet, component and
 * robot wins, per-robot overrides of a template component, faults naming
 * a copy, two fleets of two templates in one scenario, errors naming
 * file and line, and allocation failures at every step.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <gsl/gsl_rng.h>

#include "toposim/alloc.h"
#include "toposim/scenario.h"
#include "toposim/sim.h"

#define MS 1000000LL

/* Two templates: h1 (a computer and a camera board) and w1 (a cart). */
#define PLATFORM                                                                  \
    "  <platform>\n"                                                     /* 2 */  \
    "    <robot id=\"h1\">\n"                                            /* 3 */  \
    "      <computer id=\"h1_rt\" cores=\"4\" memory=\"4GiB\"/>\n"       /* 4 */  \
    "      <computer id=\"h1_cam\" cores=\"2\" memory=\"2GiB\"/>\n"      /* 5 */  \
    "    </robot>\n"                                                     /* 6 */  \
    "    <robot id=\"w1\">\n"                                            /* 7 */  \
    "      <computer id=\"w1_cpu\" cores=\"2\" memory=\"2GiB\"/>\n"      /* 8 */  \
    "    </robot>\n"                                                     /* 9 */  \
    "    <edge id=\"e1\"><server id=\"s1\" cores=\"16\" memory=\"32GiB\"/></edge>\n" \
    "    <link id=\"h1_bus\" from=\"h1_rt\" to=\"h1_cam\" latency=\"1us\" bandwidth=\"1Gbps\"/>\n" \
    "    <link id=\"h1_wifi\" from=\"h1_cam\" to=\"s1\" latency=\"1ms\" bandwidth=\"100Mbps\"/>\n" \
    "    <link id=\"w1_wifi\" from=\"w1_cpu\" to=\"s1\" latency=\"1ms\" bandwidth=\"100Mbps\"/>\n" \
    "  </platform>\n"                                                    /* 14 */ \
    "  <components>\n"                                                   /* 15 */ \
    "    <component id=\"control\" rate=\"1kHz\" exec=\"100us\" node=\"h1_rt\" offset=\"%s\"%s/>\n" \
    "    <component id=\"camera\" rate=\"50Hz\" exec=\"2ms\" node=\"h1_cam\"%s/>\n" \
    "    <component id=\"drive\" rate=\"100Hz\" exec=\"1ms\" node=\"w1_cpu\"/>\n" \
    "  </components>\n"                                                  /* 19 */

static ts_scenario *load(const char *text, ts_error *err)
{
    ts_scenario *s = NULL;
    int rc = ts_scenario_load_memory(text, strlen(text), "variety.xml", NULL, &s, err);
    if (rc != TS_OK)
        return NULL;
    return s;
}

/* A scenario of PLATFORM with the control loop's offset and extra
 * attributes, the camera's extra attributes, and what follows the
 * components (fleets, faults). */
static ts_scenario *load_with(const char *offset, const char *control, const char *camera,
                              const char *rest, ts_error *err)
{
    static char doc[8192];
    int n = snprintf(doc, sizeof doc,
                     "<scenario duration=\"1s\" seed=\"%s\">\n" PLATFORM "%s</scenario>\n", "77",
                     offset, control, camera, rest);
    assert_true(n > 0 && (size_t)n < sizeof doc);
    return load(doc, err);
}

static const ts_scenario_component *comp(const ts_scenario *s, const char *id)
{
    int i = ts_scenario_find_component(s, id);
    if (i < 0)
        fail_msg("no component %s", id);
    return &s->components[i];
}

/* The draw fleet_variety.c makes: lo + floor(u * (hi - lo)) from the
 * stream ts_rng_new(seed, name). */
static int64_t uniform_draw(uint64_t seed, const char *name, int64_t lo, int64_t hi)
{
    gsl_rng *r = ts_rng_new(seed, name);
    assert_non_null(r);
    int64_t v = lo + (int64_t)floor(gsl_rng_uniform(r) * (double)(hi - lo));
    gsl_rng_free(r);
    return v;
}

/* ---- phases and clock offsets ------------------------------------------- */

static void fixed_phase_and_precedence(void **state)
{
    (void)state;
    ts_error err;
    /* fleet 3ms; the camera's own 5ms; robot r2's 7ms for all its
     * components; r3's clock offset -1.5ms over the fleet's phases */
    ts_scenario *s = load_with(
        "0ms", "", " phase=\"5ms\"",
        "  <fleet id=\"f\" template=\"h1\" count=\"4\" phase=\"3ms\">\n"
        "    <robot-override robot=\"r2\" phase=\"7ms\"/>\n"
        "    <robot-override robot=\"r3\" clock-offset=\"-1.5ms\"/>\n"
        "  </fleet>\n",
        &err);
    if (!s)
        fail_msg("%s:%d: %s", err.file, err.line, err.msg);
    assert_int_equal(comp(s, "control")->release_shift_ns, 3 * MS);
    assert_int_equal(comp(s, "camera")->release_shift_ns, 5 * MS);
    assert_int_equal(comp(s, "control_r1")->release_shift_ns, 3 * MS);
    assert_int_equal(comp(s, "camera_r1")->release_shift_ns, 5 * MS);
    assert_int_equal(comp(s, "control_r2")->release_shift_ns, 7 * MS);
    assert_int_equal(comp(s, "camera_r2")->release_shift_ns, 7 * MS);
    /* 3ms - 1.5ms; 5ms - 1.5ms */
    assert_int_equal(comp(s, "control_r3")->release_shift_ns, 1500000);
    assert_int_equal(comp(s, "camera_r3")->release_shift_ns, 3500000);
    /* the other template's robot is in no fleet: no shift */
    assert_int_equal(comp(s, "drive")->release_shift_ns, 0);
    ts_scenario_free(s);
}

static void negative_start_folds_into_the_period(void **state)
{
    (void)state;
    ts_error err;
    /* control: 1 ms period, offset 0: a -2.25ms clock offset starts it at
     * 0.75ms (shift 0.75ms); the camera (20 ms, offset 0) at 17.75ms. */
    ts_scenario *s = load_with("0ms", "", "",
                               "  <fleet id=\"f\" template=\"h1\" count=\"2\" "
                               "clock-offset=\"-2.25ms\"/>\n",
                               &err);
    if (!s)
        fail_msg("%s:%d: %s", err.file, err.line, err.msg);
    assert_int_equal(comp(s, "control_r1")->release_shift_ns, 750000);
    assert_int_equal(comp(s, "camera_r1")->release_shift_ns, 17750000);
    ts_scenario_free(s);
    /* an offset of 5ms less 2.25ms stays ahead: 2.75ms, shift -2.25ms */
    s = load_with("5ms", "", "",
                  "  <fleet id=\"f\" template=\"h1\" count=\"2\" clock-offset=\"-2.25ms\"/>\n",
                  &err);
    assert_non_null(s);
    assert_int_equal(comp(s, "control_r1")->shared->offset_ns + comp(s, "control_r1")->release_shift_ns,
                     2750000);
    ts_scenario_free(s);
}

static void uniform_draws_are_the_named_streams(void **state)
{
    (void)state;
    ts_error err;
    ts_scenario *s = load_with("0ms", "", "",
                               "  <fleet id=\"f\" template=\"h1\" count=\"6\" "
                               "phase=\"uniform(0,period)\" "
                               "clock-offset=\"uniform(-1ms,1ms)\"/>\n",
                               &err);
    if (!s)
        fail_msg("%s:%d: %s", err.file, err.line, err.msg);
    const char *robots[] = {"h1", "h1_r1", "h1_r2", "h1_r3", "h1_r4", "h1_r5"};
    const char *cams[] = {"camera", "camera_r1", "camera_r2", "camera_r3", "camera_r4",
                          "camera_r5"};
    int64_t seen[6];
    for (int k = 0; k < 6; k++) {
        char name[64];
        snprintf(name, sizeof name, "%s/phase", cams[k]);
        int64_t phase = uniform_draw(77, name, 0, 20 * MS);
        snprintf(name, sizeof name, "%s/clock-offset", robots[k]);
        int64_t clock = uniform_draw(77, name, -1 * MS, 1 * MS);
        int64_t start = phase + clock;
        if (start < 0)
            start += 20 * MS;
        assert_int_equal(comp(s, cams[k])->release_shift_ns, start);
        seen[k] = start;
        for (int j = 0; j < k; j++)
            assert_true(seen[j] != start);
    }
    /* the same document loads to the same draws; another seed, others */
    ts_scenario *again = load_with("0ms", "", "",
                                   "  <fleet id=\"f\" template=\"h1\" count=\"6\" "
                                   "phase=\"uniform(0,period)\" "
                                   "clock-offset=\"uniform(-1ms,1ms)\"/>\n",
                                   &err);
    assert_non_null(again);
    for (size_t i = 0; i < s->n_components; i++)
        assert_int_equal(s->components[i].release_shift_ns, again->components[i].release_shift_ns);
    ts_scenario_free(again);
    ts_scenario_free(s);
}

/* ---- per-robot overrides ------------------------------------------------ */

static void robot_override_changes_one_copy(void **state)
{
    (void)state;
    ts_error err;
    ts_scenario *s = load_with(
        "0ms", "", "",
        "  <fleet id=\"f\" template=\"h1\" count=\"4\">\n"
        "    <robot-override robot=\"r2\" set=\"component[camera].rate=25Hz\"/>\n"
        "    <robot-override robot=\"r2\" set=\"component[camera].exec=3ms\"/>\n"
        "    <robot-override robot=\"r3\" set=\"component[camera].phase=4ms\"/>\n"
        "    <robot-override robot=\"r1\" set=\"component[camera].node=h1_rt\"/>\n"
        "  </fleet>\n",
        &err);
    if (!s)
        fail_msg("%s:%d: %s", err.file, err.line, err.msg);
    const ts_scenario_component *t = comp(s, "camera"), *r2 = comp(s, "camera_r2");
    assert_int_equal(t->shared->period_ns, 20 * MS);
    assert_int_equal(t->shared->exec_ns, 2 * MS);
    assert_int_equal(r2->shared->period_ns, 40 * MS);
    assert_int_equal(r2->shared->exec_ns, 3 * MS);
    assert_true(r2->shared != t->shared);
    /* the rest of the copy is the template's */
    assert_int_equal(r2->shared->deadline_ns, 40 * MS); /* its own rate's */
    assert_int_equal(r2->fleet_member, 2);
    assert_string_equal(s->nodes[r2->pin].id, "h1_cam_r2");
    /* r3: only the phase */
    assert_true(comp(s, "camera_r3")->shared != t->shared);
    assert_int_equal(comp(s, "camera_r3")->shared->period_ns, 20 * MS);
    assert_int_equal(comp(s, "camera_r3")->release_shift_ns, 4 * MS);
    /* r1: its camera on its own copy of h1_rt */
    assert_string_equal(s->nodes[comp(s, "camera_r1")->pin].id, "h1_rt_r1");
    assert_string_equal(s->nodes[t->pin].id, "h1_cam");
    /* untouched copies share the template's */
    assert_true(comp(s, "control_r2")->shared == comp(s, "control")->shared);
    ts_scenario_free(s);
}

static void robot_override_changes_one_copys_topic(void **state)
{
    (void)state;
    ts_error err;
    ts_scenario *s = load_with(
        "0ms", "", "",
        "  <topics>\n"
        "    <topic id=\"frames\" publisher=\"camera\" subscribers=\"control\" size=\"64KiB\" "
        "budget=\"10ms\"/>\n"
        "  </topics>\n"
        "  <fleet id=\"f\" template=\"h1\" count=\"3\">\n"
        "    <robot-override robot=\"r1\" set=\"topic[frames].size=256KiB\"/>\n"
        "    <robot-override robot=\"r1\" set=\"topic[frames].budget=30ms\"/>\n"
        "    <robot-override robot=\"r2\" set=\"topic[frames].rate=25Hz\"/>\n"
        "  </fleet>\n",
        &err);
    if (!s)
        fail_msg("%s:%d: %s", err.file, err.line, err.msg);
    const ts_scenario_topic *t0 = &s->topics[ts_scenario_find_topic(s, "frames")];
    const ts_scenario_topic *t1 = &s->topics[ts_scenario_find_topic(s, "frames_r1")];
    const ts_scenario_topic *t2 = &s->topics[ts_scenario_find_topic(s, "frames_r2")];
    assert_int_equal(t0->size_bytes, 64 * 1024);
    assert_int_equal(t0->budget_ns, 10 * MS);
    assert_int_equal(t0->period_ns, 0);
    assert_int_equal(t1->size_bytes, 256 * 1024);
    assert_int_equal(t1->budget_ns, 30 * MS);
    assert_int_equal(t2->size_bytes, 64 * 1024);
    assert_int_equal(t2->period_ns, 40 * MS);
    /* still the copy's own publisher and subscriber */
    assert_int_equal(t1->publisher, ts_scenario_find_component(s, "camera_r1"));
    assert_int_equal(t1->subscribers[0], ts_scenario_find_component(s, "control_r1"));
    ts_scenario_free(s);
    /* what the copies share is the template's */
    s = load_with("0ms", "", "",
                  "  <topics>\n"
                  "    <topic id=\"frames\" publisher=\"camera\" subscribers=\"control\" "
                  "size=\"64KiB\"/>\n"
                  "  </topics>\n"
                  "  <fleet id=\"f\" template=\"h1\" count=\"3\">\n"
                  "    <robot-override robot=\"r1\" set=\"topic[frames].qos=sensor_data\"/>\n"
                  "  </fleet>\n",
                  &err);
    assert_null(s);
    assert_int_equal(err.line, 24);
    assert_non_null(strstr(err.msg, "qos= is the same on every robot of a fleet"));
    /* a value the file would refuse is refused here */
    s = load_with("0ms", "", "",
                  "  <topics>\n"
                  "    <topic id=\"frames\" publisher=\"camera\" subscribers=\"control\" "
                  "size=\"64KiB\"/>\n"
                  "  </topics>\n"
                  "  <fleet id=\"f\" template=\"h1\" count=\"3\">\n"
                  "    <robot-override robot=\"r2\" set=\"topic[frames].rate=100Hz\"/>\n"
                  "  </fleet>\n",
                  &err);
    assert_null(s);
    assert_int_equal(err.line, 24);
    assert_non_null(strstr(err.msg, "robot-override robot=\"r2\" set=\"topic[frames].rate=100Hz\": "
                                    "topic frames: rate=\"100Hz\" (every 10ms) is faster than "
                                    "its publisher camera runs"));
}

static void robot_override_changes_one_copys_node_and_link(void **state)
{
    (void)state;
    ts_error err;
    ts_scenario *s = load_with(
        "0ms", "", "",
        "  <fleet id=\"f\" template=\"h1\" count=\"3\">\n"
        "    <robot-override robot=\"r1\" set=\"computer[h1_rt].cores=2\"/>\n"
        "    <robot-override robot=\"r1\" set=\"node[h1_rt].memory=1GiB\"/>\n"
        "    <robot-override robot=\"r2\" set=\"link[h1_wifi].bandwidth=20Mbps\"/>\n"
        "    <robot-override robot=\"r2\" set=\"link[h1_wifi].latency=5ms\"/>\n"
        "  </fleet>\n",
        &err);
    if (!s)
        fail_msg("%s:%d: %s", err.file, err.line, err.msg);
    const ts_scenario_node *n0 = &s->nodes[ts_scenario_find_node(s, "h1_rt")];
    const ts_scenario_node *n1 = &s->nodes[ts_scenario_find_node(s, "h1_rt_r1")];
    const ts_scenario_node *n2 = &s->nodes[ts_scenario_find_node(s, "h1_rt_r2")];
    assert_int_equal(n0->cores, 4);
    assert_int_equal(n0->memory_bytes, 4LL << 30);
    assert_int_equal(n1->cores, 2);
    assert_int_equal(n1->memory_bytes, 1LL << 30);
    assert_int_equal(n2->cores, 4);
    const ts_scenario_link *l0 = &s->links[ts_scenario_find_link(s, "h1_wifi")];
    const ts_scenario_link *l1 = &s->links[ts_scenario_find_link(s, "h1_wifi_r1")];
    const ts_scenario_link *l2 = &s->links[ts_scenario_find_link(s, "h1_wifi_r2")];
    assert_true(l0->bandwidth_bps == 100e6 && l1->bandwidth_bps == 100e6);
    assert_true(l2->bandwidth_bps == 20e6);
    assert_int_equal(l2->latency_ns, 5 * MS);
    assert_int_equal(l0->latency_ns, 1 * MS);
    /* its ends are still the copy's */
    assert_string_equal(s->nodes[l2->a].id, "h1_cam_r2");
    assert_string_equal(s->nodes[l2->b].id, "s1");
    ts_scenario_free(s);
    /* a component pinned to core 3 does not fit a copy of 2 cores */
    s = load_with("0ms", " cores=\"3\"", "",
                  "  <fleet id=\"f\" template=\"h1\" count=\"3\">\n"
                  "    <robot-override robot=\"r1\" set=\"computer[h1_rt].cores=2\"/>\n"
                  "  </fleet>\n",
                  &err);
    assert_null(s);
    assert_int_equal(err.line, 21);
    assert_non_null(strstr(err.msg, "robot r1's h1_rt_r1 would have 2 cores, but its component "
                                    "control_r1 is pinned to cores beyond them"));
}

/* ---- faults naming copies ----------------------------------------------- */

static void faults_name_copies(void **state)
{
    (void)state;
    ts_error err;
    ts_scenario *s = load_with(
        "0ms", "", "",
        "  <fleet id=\"f\" template=\"h1\" count=\"4\"/>\n"
        "  <fleet id=\"carts\" template=\"w1\" count=\"3\"/>\n"
        "  <requirements>\n"
        "    <expect event=\"fault:node-crash\" node=\"h1_rt_r3\"/>\n"
        "    <expect event=\"fault:component-crash\" component=\"drive_r2\" node=\"w1_cpu_r2\"/>\n"
        "    <expect event=\"fault:node-crash\" node=\"h1_rt\"/>\n"
        "  </requirements>\n"
        "  <faults>\n"
        "    <node-crash node=\"h1_rt_r3\" at=\"100ms\"/>\n"
        "    <node-crash node=\"h1_rt\" robot=\"r2\" at=\"200ms\"/>\n"
        "    <component-crash component=\"drive_r2\" at=\"300ms\"/>\n"
        "    <link-down link=\"h1_wifi\" robot=\"r1\" at=\"400ms\"/>\n"
        "    <link-down link=\"w1_wifi_r1\" at=\"500ms\"/>\n"
        "    <node-crash node=\"h1_rt\" robot=\"r0\" at=\"600ms\"/>\n"
        "    <component-crash component=\"camera\" at=\"700ms\"/>\n"
        "    <partition links=\"h1_wifi_r1 w1_wifi_r2 h1_bus\" at=\"800ms\"/>\n"
        "    <partition links=\"h1_wifi h1_bus\" robot=\"r3\" at=\"900ms\"/>\n"
        "  </faults>\n",
        &err);
    if (!s)
        fail_msg("%s:%d: %s", err.file, err.line, err.msg);
    assert_int_equal(s->faults[0].target, ts_scenario_find_node(s, "h1_rt_r3"));
    assert_int_equal(s->faults[0].robot, 3);
    assert_int_equal(s->faults[1].target, ts_scenario_find_node(s, "h1_rt_r2"));
    assert_int_equal(s->faults[1].robot, 2);
    assert_int_equal(s->faults[2].target, ts_scenario_find_component(s, "drive_r2"));
    assert_int_equal(s->faults[3].target, ts_scenario_find_link(s, "h1_wifi_r1"));
    assert_int_equal(s->faults[4].target, ts_scenario_find_link(s, "w1_wifi_r1"));
    /* r0 is the template itself */
    assert_int_equal(s->faults[5].target, ts_scenario_find_node(s, "h1_rt"));
    assert_int_equal(s->faults[5].robot, -1);
    assert_int_equal(s->faults[6].target, ts_scenario_find_component(s, "camera"));
    assert_int_equal(s->faults[6].robot, -1);
    /* <expect>s naming copies */
    assert_int_equal(s->n_expects, 3);
    assert_int_equal(s->expects[0].node, ts_scenario_find_node(s, "h1_rt_r3"));
    assert_int_equal(s->expects[0].component, -1);
    assert_int_equal(s->expects[1].component, ts_scenario_find_component(s, "drive_r2"));
    assert_int_equal(s->expects[1].node, ts_scenario_find_node(s, "w1_cpu_r2"));
    assert_int_equal(s->expects[2].node, ts_scenario_find_node(s, "h1_rt"));
    /* a partition's links, each its own copy's (or the template's) */
    assert_int_equal(s->n_faults, 9);
    assert_int_equal(s->faults[7].n_links, 3);
    assert_int_equal(s->faults[7].links[0], ts_scenario_find_link(s, "h1_wifi_r1"));
    assert_int_equal(s->faults[7].links[1], ts_scenario_find_link(s, "w1_wifi_r2"));
    assert_int_equal(s->faults[7].links[2], ts_scenario_find_link(s, "h1_bus"));
    assert_int_equal(s->faults[8].links[0], ts_scenario_find_link(s, "h1_wifi_r3"));
    assert_int_equal(s->faults[8].links[1], ts_scenario_find_link(s, "h1_bus_r3"));
    ts_scenario_free(s);
}

/* ---- heterogeneous fleets ----------------------------------------------- */

static void two_templates_in_one_scenario(void **state)
{
    (void)state;
    ts_error err;
    ts_scenario *s = load_with(
        "0ms", "", "",
        "  <fleet id=\"humanoids\" template=\"h1\" count=\"3\" phase=\"2ms\"/>\n"
        "  <fleet id=\"carts\" template=\"w1\" count=\"5\" phase=\"uniform(0,period)\">\n"
        "    <robot-override robot=\"r4\" set=\"component[drive].rate=50Hz\"/>\n"
        "  </fleet>\n",
        &err);
    if (!s)
        fail_msg("%s:%d: %s", err.file, err.line, err.msg);
    /* 2 + 2 humanoid copies' sites beside the edge rack, 4 carts' */
    assert_int_equal(s->n_sites, 3 + 2 + 4);
    assert_int_equal(s->n_components, 3 + 2 * 2 + 4);
    assert_int_equal(comp(s, "camera_r2")->release_shift_ns, 2 * MS);
    assert_int_equal(comp(s, "control_r1")->release_shift_ns, 2 * MS);
    for (int k = 1; k < 5; k++) {
        char id[32], name[48];
        snprintf(id, sizeof id, "drive_r%d", k);
        snprintf(name, sizeof name, "%s/phase", id);
        int64_t period = k == 4 ? 20 * MS : 10 * MS;
        const ts_scenario_component *c = comp(s, id);
        assert_int_equal(c->shared->period_ns, period);
        assert_int_equal(c->release_shift_ns, uniform_draw(77, name, 0, period));
        assert_int_equal(s->sites[c->site].fleet, 1);
    }
    assert_true(ts_scenario_find_component(s, "drive_r5") < 0);
    assert_true(ts_scenario_find_component(s, "camera_r3") < 0);
    ts_scenario_free(s);
}

/* ---- errors ------------------------------------------------------------- */

typedef struct bad {
    const char *camera, *rest;
    int code, line;
    const char *phrase;
} bad;

static void errors_name_file_and_line(void **state)
{
    (void)state;
    static const bad cases[] = {
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\">\n"
             "    <robot-override robot=\"r0\" set=\"component[camera].rate=25Hz\"/>\n"
             "  </fleet>\n",
         TS_EINVAL, 21, "r0 is the template robot h1 itself"},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\">\n"
             "    <robot-override robot=\"r1\" set=\"component[camera].id=cam\"/>\n"
             "  </fleet>\n",
         TS_EINVAL, 21, "id= is the same on every robot of a fleet"},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\">\n"
             "    <robot-override robot=\"r1\" set=\"component[camera].rate=25Hz\"/>\n"
             "    <robot-override robot=\"r1\" set=\"component[camera].rate=30Hz\"/>\n"
             "  </fleet>\n",
         TS_EINVAL, 22, "robot r1 sets this attribute twice"},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\">\n"
             "    <robot-override robot=\"r1\"/>\n"
             "  </fleet>\n",
         TS_EINVAL, 21, "changes nothing"},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\">\n"
             "    <robot-override robot=\"r1\" phase=\"1ms\"/>\n"
             "    <robot-override robot=\"r1\" phase=\"2ms\"/>\n"
             "  </fleet>\n",
         TS_EINVAL, 22, "the robot's phase is given twice (first at line 21)"},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\">\n"
             "    <robot-override robot=\"r1\" set=\"component[drive].rate=25Hz\"/>\n"
             "  </fleet>\n",
         TS_ENOENT, 21, "no component of the template robot h1 has the id \"drive\""},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\">\n"
             "    <robot-override robot=\"r1\" set=\"medium[air].capacity=8Mbps\"/>\n"
             "  </fleet>\n",
         TS_EINVAL, 21, "expected component[ID].ATTRIBUTE, topic[ID], node[ID] or link[ID]"},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\">\n"
             "    <robot-override robot=\"r1\" set=\"node[s1].cores=8\"/>\n"
             "  </fleet>\n",
         TS_ENOENT, 21, "no compute node of the template robot h1 has the id \"s1\""},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\">\n"
             "    <robot-override robot=\"r1\" set=\"computer[h1_rt].model=jetson-orin-nx-16gb\"/>\n"
             "  </fleet>\n",
         TS_EINVAL, 21, "model= is the same on every robot of a fleet"},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\">\n"
             "    <robot-override robot=\"r1\" set=\"jetson[h1_rt].cores=2\"/>\n"
             "  </fleet>\n",
         TS_EINVAL, 21, "h1_rt is a computer, not a jetson"},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\">\n"
             "    <robot-override robot=\"r1\" set=\"link[h1_bus].to=s1\"/>\n"
             "  </fleet>\n",
         TS_EINVAL, 21, "to= is the same on every robot of a fleet"},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\">\n"
             "    <robot-override robot=\"r1\" set=\"link[h1_bus].bandwidth=0bps\"/>\n"
             "  </fleet>\n",
         TS_EINVAL, 21, "robot-override robot=\"r1\" set=\"link[h1_bus].bandwidth=0bps\": "
                        "link h1_bus: bandwidth=\"0bps\" must be greater than 0"},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\">\n"
             "    <robot-override robot=\"r1\" set=\"component[camera].node=w1_cpu\"/>\n"
             "  </fleet>\n",
         TS_EINVAL, 21, "it would move camera off the robot"},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\">\n"
             "    <robot-override robot=\"r1\" set=\"component[camera].exec=fast\"/>\n"
             "  </fleet>\n",
         TS_EINVAL, 21, "robot-override robot=\"r1\" set=\"component[camera].exec=fast\": "
                        "component camera: exec=\"fast\""},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\" phase=\"-1ms\"/>\n",
         TS_EINVAL, 20, "a phase must not be negative"},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\" phase=\"uniform(5ms,1ms)\"/>\n",
         TS_EINVAL, 20, "its low bound is above its high bound"},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\" clock-offset=\"uniform(0,period)\"/>\n",
         TS_EINVAL, 20, "\"period\" is a bound of a phase only"},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\" phase=\"normal(0,1ms)\"/>\n",
         TS_EINVAL, 20, "fleet f: phase=\"normal(0,1ms)\""},
        /* past the 20 ms camera period: empty, found when drawn */
        {" phase=\"uniform(30ms,period)\"", "", TS_EINVAL, 17,
         "phase=\"uniform(30ms,period)\": for component camera (period 20ms)"},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\"/>\n"
             "  <faults><node-crash node=\"h1_rt\" robot=\"r4\" at=\"1ms\"/></faults>\n",
         TS_EINVAL, 21, "node-crash: robot=\"r4\" names no robot of fleet f (its robots are "
                        "r0, the template, to r3)"},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\"/>\n"
             "  <faults><node-crash node=\"s1\" robot=\"r1\" at=\"1ms\"/></faults>\n",
         TS_EINVAL, 21, "node-crash: robot=\"r1\", but node s1 is on no fleet's template robot"},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\"/>\n"
             "  <faults><link-down link=\"h1_wifi_r0\" at=\"1ms\"/></faults>\n",
         TS_ENOENT, 21, "link-down: link=\"h1_wifi_r0\" names no link"},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\"/>\n"
             "  <requirements><expect event=\"fault:node-crash\" node=\"h1_rt_r4\"/>"
             "</requirements>\n",
         TS_ENOENT, 21, "node=\"h1_rt_r4\" names no node"},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\"/>\n"
             "  <faults><partition links=\"h1_bus_r2 h1_bus_r2\" at=\"1ms\"/></faults>\n",
         TS_EINVAL, 21, "partition: link \"h1_bus_r2\" is listed twice"},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\"/>\n"
             "  <faults><partition links=\"h1_bus h1_wifi_r5\" at=\"1ms\"/></faults>\n",
         TS_ENOENT, 21, "partition: links=\"h1_wifi_r5\" names no link: h1_wifi is on robot h1"},
        {"", "  <fleet id=\"f\" template=\"h1\" count=\"4\"/>\n"
             "  <faults><component-crash component=\"camera_r7\" at=\"1ms\"/></faults>\n",
         TS_ENOENT, 21, "camera is on robot h1, the template of fleet f, whose copies are "
                        "camera_r1 to camera_r3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ts_error err;
        long live = ts_alloc_live();
        ts_scenario *s = load_with("0ms", "", cases[i].camera, cases[i].rest, &err);
        if (s || err.code != cases[i].code || err.line != cases[i].line ||
            !strstr(err.msg, cases[i].phrase))
            fail_msg("case %zu: got %d at line %d: %s", i, err.code, err.line, err.msg);
        assert_string_equal(err.file, "variety.xml");
        assert_int_equal(ts_alloc_live(), live);
    }
}

/* Every allocation of a load with all of the above fails in turn: an
 * out-of-memory error and nothing left allocated, until the load goes
 * through. */
static void allocation_failures(void **state)
{
    (void)state;
    long live = ts_alloc_live();
    int done = 0, failures = 0;
    for (long n = 1; n < 3000 && !done; n++) {
        ts_error err;
        ts_alloc_fail_after(n);
        ts_scenario *s = load_with(
            "0ms", "", " phase=\"uniform(0,period)\"",
            "  <topics><topic id=\"frames\" publisher=\"camera\" subscribers=\"control\" "
            "size=\"64KiB\" qos=\"sensor_data\"/></topics>\n"
            "  <fleet id=\"f\" template=\"h1\" count=\"4\" clock-offset=\"uniform(-1ms,1ms)\">\n"
            "    <robot-override robot=\"r2\" set=\"component[camera].rate=25Hz\" "
            "phase=\"1ms\"/>\n"
            "    <robot-override robot=\"r3\" set=\"component[control].exec=200us\"/>\n"
            "    <robot-override robot=\"r3\" set=\"topic[frames].size=1KiB\"/>\n"
            "    <robot-override robot=\"r1\" set=\"node[h1_cam].cores=1\"/>\n"
            "    <robot-override robot=\"r1\" set=\"link[h1_wifi].bandwidth=1Mbps\"/>\n"
            "  </fleet>\n"
            "  <faults><node-crash node=\"h1_rt_r3\" at=\"1ms\"/>"
            "<partition links=\"h1_wifi_r2 h1_bus\" at=\"2ms\"/></faults>\n",
            &err);
        ts_alloc_fail_after(0);
        if (s) {
            assert_int_equal(comp(s, "camera_r2")->shared->period_ns, 40 * MS);
            ts_scenario_free(s);
            done = 1;
        } else {
            if (err.code != TS_ENOMEM)
                fail_msg("n=%ld: %d %s", n, err.code, err.msg);
            failures++;
        }
        assert_int_equal(ts_alloc_live(), live);
    }
    assert_true(done);
    assert_true(failures > 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixed_phase_and_precedence),
        cmocka_unit_test(negative_start_folds_into_the_period),
        cmocka_unit_test(uniform_draws_are_the_named_streams),
        cmocka_unit_test(robot_override_changes_one_copy),
        cmocka_unit_test(robot_override_changes_one_copys_topic),
        cmocka_unit_test(robot_override_changes_one_copys_node_and_link),
        cmocka_unit_test(faults_name_copies),
        cmocka_unit_test(two_templates_in_one_scenario),
        cmocka_unit_test(errors_name_file_and_line),
        cmocka_unit_test(allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
