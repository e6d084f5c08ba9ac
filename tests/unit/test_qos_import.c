/*
 * Tests for src/scenario/qos_import.c: a Fast DDS XML profiles file
 * (tests/qos-import/fastdds_profiles.xml) imported by
 * tests/qos-import/scenario.xml gives each topic exactly the file's QoS,
 * field by field; bad files fail with file:line and what was expected;
 * unsupported elements are named in one warning each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "toposim/error.h"
#include "toposim/qos.h"
#include "toposim/scenario.h"

#define MS INT64_C(1000000)

static void assert_qos_equal(const ts_qos *a, const ts_qos *b)
{
    assert_int_equal(a->reliability, b->reliability);
    assert_int_equal(a->history, b->history);
    assert_int_equal(a->depth, b->depth);
    assert_int_equal(a->max_samples, b->max_samples);
    assert_int_equal(a->durability, b->durability);
    assert_int_equal(a->deadline_ns, b->deadline_ns);
    assert_int_equal(a->lifespan_ns, b->lifespan_ns);
    assert_int_equal(a->liveliness, b->liveliness);
    assert_int_equal(a->lease_ns, b->lease_ns);
}

/* stderr into a file for the duration of a load, then its text. */
typedef struct capture {
    int saved;
    char path[64];
} capture;

static void capture_start(capture *c)
{
    snprintf(c->path, sizeof c->path, "/tmp/ts_qos_import_XXXXXX");
    int fd = mkstemp(c->path);
    assert_true(fd >= 0);
    fflush(stderr);
    c->saved = dup(2);
    assert_true(c->saved >= 0);
    assert_true(dup2(fd, 2) >= 0);
    close(fd);
}

static void capture_end(capture *c, char *buf, size_t size)
{
    fflush(stderr);
    assert_true(dup2(c->saved, 2) >= 0);
    close(c->saved);
    FILE *f = fopen(c->path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
    unlink(c->path);
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_import_matches_file(void **state)
{
    (void)state;
    capture c;
    capture_start(&c);
    ts_scenario *s = NULL;
    ts_error err;
    int rc = ts_scenario_load("tests/qos-import/scenario.xml", NULL, &s, &err);
    char out[4096];
    capture_end(&c, out, sizeof out);
    if (rc != TS_OK)
        fail_msg("%s:%d: %s", err.file, err.line, err.msg);

    /* camera_offered, <data_writer> at line 9 */
    ts_qos cam = {
        .reliability = TS_QOS_BEST_EFFORT, .history = TS_QOS_KEEP_LAST, .depth = 5,
        .max_samples = 0, .durability = TS_QOS_VOLATILE, .deadline_ns = 33333333,
        .lifespan_ns = 100 * MS, .liveliness = TS_QOS_AUTOMATIC, .lease_ns = 1000 * MS};
    /* planner_wants, <data_reader>: depth is the default's (10), unused by
     * KEEP_ALL; DURATION_INFINITY is 0 */
    ts_qos plan = {
        .reliability = TS_QOS_RELIABLE, .history = TS_QOS_KEEP_ALL, .depth = 10,
        .max_samples = 0, .durability = TS_QOS_TRANSIENT_LOCAL, .deadline_ns = 0,
        .lifespan_ns = 0, .liveliness = TS_QOS_MANUAL_BY_TOPIC, .lease_ns = 2500 * MS};
    ts_qos slow = cam; /* inline <profile> derived from the imported one */
    slow.depth = 2;
    slow.deadline_ns = 100 * MS;

    int t = ts_scenario_find_topic(s, "camera_image");
    assert_true(t >= 0);
    assert_true(s->topics[t].has_qos);
    assert_qos_equal(s->topics[t].writer_qos, &cam);
    assert_qos_equal(s->topics[t].reader_qos, &cam);
    t = ts_scenario_find_topic(s, "plan_input");
    assert_true(t >= 0);
    assert_qos_equal(s->topics[t].writer_qos, &slow);
    assert_qos_equal(s->topics[t].reader_qos, &plan);

    /* the imported profiles are scenario profiles, in the file's order */
    assert_int_equal(s->n_qos_profiles, 3);
    assert_string_equal(s->qos_profiles[0].id, "camera_offered");
    assert_string_equal(s->qos_profiles[1].id, "planner_wants");
    assert_string_equal(s->qos_profiles[2].id, "camera_slow");

    /* one warning per unsupported element, with file:line */
    assert_int_equal(count_of(out, "warning:"), 3);
    assert_non_null(strstr(out, "fastdds_profiles.xml:6: warning: <participant> in <profiles>"));
    assert_non_null(strstr(out, "fastdds_profiles.xml:29: warning: <name> in <topic>"));
    assert_non_null(strstr(out, "fastdds_profiles.xml:35: warning: <max_blocking_time> in "
                                "<reliability>"));
    ts_scenario_free(s);
}

/* ---- bad inputs, each written to a folder of its own ---------------------- */

#define SCENARIO_HEAD                                                          \
    "<scenario duration=\"1s\"><platform>\n"                                   \
    "<robot id=\"r\"><computer id=\"c\" cores=\"2\" memory=\"1Gi\"/></robot>\n" \
    "</platform>\n"
#define SCENARIO_TAIL                                                          \
    "<components><component id=\"a\" rate=\"1kHz\" exec=\"1us\"/></components>\n" \
    "<topics><topic id=\"t\" publisher=\"a\" subscribers=\"a\" size=\"1B\"/></topics>\n" \
    "</scenario>\n"

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Loads a scenario whose <qos-profiles> is `profiles_el` beside a profiles
 * file p.xml holding `file` (none when NULL); returns the load's code and
 * fills err and the captured stderr. */
static int load_pair(const char *profiles_el, const char *file, ts_error *err, char *out,
                     size_t out_size)
{
    char dir[] = "/tmp/ts_qos_import_dir_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char scen[8192];
    snprintf(scen, sizeof scen, SCENARIO_HEAD "%s\n" SCENARIO_TAIL, profiles_el);
    write_file(dir, "s.xml", scen);
    if (file)
        write_file(dir, "p.xml", file);
    char path[256];
    snprintf(path, sizeof path, "%s/s.xml", dir);
    capture c;
    capture_start(&c);
    ts_scenario *s = NULL;
    int rc = ts_scenario_load(path, NULL, &s, err);
    capture_end(&c, out, out_size);
    ts_scenario_free(s);
    snprintf(path, sizeof path, "%s/s.xml", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/p.xml", dir);
    unlink(path);
    rmdir(dir);
    return rc;
}

#define IMPORT "<qos-profiles import=\"p.xml\"/>"

static void expect_error(const char *profiles_el, const char *file, int code,
                         const char *err_file_end, int line, const char *msg_part)
{
    ts_error err;
    char out[4096];
    int rc = load_pair(profiles_el, file, &err, out, sizeof out);
    if (rc != code || err.line != line || !strstr(err.msg, msg_part) ||
        strlen(err.file) < strlen(err_file_end) ||
        strcmp(err.file + strlen(err.file) - strlen(err_file_end), err_file_end) != 0)
        fail_msg("got %d at %s:%d: %s; expected %d at ...%s:%d with \"%s\"", rc, err.file,
                 err.line, err.msg, code, err_file_end, line, msg_part);
}

#define DW(body) "<dds><profiles>\n<data_writer profile_name=\"w\">\n" body "\n</data_writer>\n</profiles></dds>\n"

static void test_bad_inputs(void **state)
{
    (void)state;
    /* missing file: the scenario's line of <qos-profiles> */
    expect_error(IMPORT, NULL, TS_ENOENT, "s.xml", 4, "import=\"p.xml\": cannot read");
    expect_error(IMPORT, DW("<qos><reliability><kind>SURE</kind></reliability></qos>"),
                 TS_EINVAL, "p.xml", 3, "<reliability><kind>SURE</kind>: expected BEST_EFFORT "
                 "or RELIABLE");
    expect_error(IMPORT, DW("<qos><durability><kind>PERSISTENT</kind></durability></qos>"),
                 TS_EINVAL, "p.xml", 3, "toposim does not model PERSISTENT");
    expect_error(IMPORT, DW("<qos><liveliness><kind>MANUAL_BY_PARTICIPANT</kind>"
                            "</liveliness></qos>"),
                 TS_EINVAL, "p.xml", 3, "toposim does not model MANUAL_BY_PARTICIPANT");
    expect_error(IMPORT, DW("<topic><historyQos><depth>0</depth></historyQos></topic>"),
                 TS_EINVAL, "p.xml", 3, "<historyQos><depth>0</depth>: expected a whole number");
    expect_error(IMPORT, DW("<qos><deadline><period><sec>0</sec></period></deadline></qos>"),
                 TS_EINVAL, "p.xml", 3, "a zero duration is not accepted");
    expect_error(IMPORT, DW("<qos><lifespan><duration><sec>1</sec><nanosec>1000000000"
                            "</nanosec></duration></lifespan></qos>"),
                 TS_EINVAL, "p.xml", 3, "expected nanoseconds below one second");
    expect_error(IMPORT, "<profiles>\n<data_writer profile_name=\"x\"/>\n"
                         "<data_reader profile_name=\"x\"/>\n</profiles>\n",
                 TS_EINVAL, "p.xml", 3, "<data_reader profile_name=\"x\"> and the "
                 "<data_writer> at line 2 share a name");
    expect_error("<qos-profiles import=\"p.xml\">\n<profile id=\"w\"/>\n</qos-profiles>",
                 DW(""), TS_EINVAL, "s.xml", 5, "profile w: the <data_writer profile_name="
                 "\"w\"> at ");
    expect_error(IMPORT, "<profiles><data_writer profile_name=\"standard\"/></profiles>",
                 TS_EINVAL, "p.xml", 1, "is a built-in profile's name");
    expect_error(IMPORT, "<profiles><data_writer profile_name=\"a/b\"/></profiles>",
                 TS_EINVAL, "p.xml", 1, "not a name a topic's qos= can give");
    expect_error(IMPORT, "<participant/>", TS_EINVAL, "p.xml", 1,
                 "expected a Fast DDS profiles file");
    expect_error(IMPORT, "<!DOCTYPE dds [<!ENTITY x \"y\">]><dds/>", TS_EPARSE, "p.xml", 1,
                 "a DOCTYPE is not allowed");
    expect_error(IMPORT, "<dds><profiles>", TS_EPARSE, "p.xml", 1, "not well-formed");
    /* an absolute path is taken as it is */
    expect_error("<qos-profiles import=\"/nonexistent/p.xml\"/>", NULL, TS_ENOENT, "s.xml", 4,
                 "cannot read /nonexistent/p.xml");
    /* the scenario's limits hold for the imported file too */
    char deep[2048] = "<dds><profiles>";
    for (int i = 0; i < 100; i++)
        strcat(deep, "<x>");
    expect_error(IMPORT, deep, TS_ERANGE, "p.xml", 1, "elements nested more than");
}

static void test_unsupported_warns(void **state)
{
    (void)state;
    ts_error err;
    char out[4096];
    /* <ownership>, a whole <transport_descriptors> and <log>:
     * one warning each, children not looked at */
    int rc = load_pair("<qos-profiles import=\"p.xml\"/>",
                       "<dds xmlns=\"http://www.eprosima.com/XMLSchemas/fastRTPS_Profiles\">\n"
                       "<profiles>\n"
                       "<transport_descriptors><transport_descriptor><transport_id>u"
                       "</transport_id></transport_descriptor></transport_descriptors>\n"
                       "<data_reader profile_name=\"r\">\n"
                       "<qos><ownership><kind>EXCLUSIVE</kind></ownership>\n"
                       "<reliability><kind>RELIABLE</kind></reliability></qos>\n"
                       "</data_reader>\n</profiles>\n<log/>\n</dds>\n",
                       &err, out, sizeof out);
    if (rc != TS_OK)
        fail_msg("%s:%d: %s", err.file, err.line, err.msg);
    assert_int_equal(count_of(out, "warning:"), 3);
    assert_non_null(strstr(out, "p.xml:3: warning: <transport_descriptors> in <profiles>"));
    assert_non_null(strstr(out, "p.xml:5: warning: <ownership> in <qos>"));
    assert_non_null(strstr(out, "p.xml:9: warning: <log> in <dds>"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_matches_file),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_unsupported_warns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
