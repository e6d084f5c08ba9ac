/*
 * Tests of the validator's writers: the text scorecard grouped by family
 * with fleet roll-up, JSON (checked by a strict RFC 8259 parser) and
 * JUnit (parsed with libxml2 and validated against tests/junit.xsd with
 * xmllint, as CI would read it).
 */
#include "validate_fixture.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

/* A fleet of three robots, each with a camera topic and a controller:
 * camera_image, camera_image_r1, camera_image_r2 (r1 the worst at 50 %),
 * and a gate over all topics at 90 % that fails on r1. */
static void build_fleet(fixture *f)
{
    fx_init(f, "fleet", MS(100));
    static const char *const suffix[] = {"", "_r1", "_r2"};
    for (int r = 0; r < 3; r++) {
        char name[64];
        snprintf(name, sizeof name, "ctrl%s", suffix[r]);
        int c = add_comp(f, name, MS(10));
        place(f, c, 0, 0);
        snprintf(name, sizeof name, "camera_image%s", suffix[r]);
        int t = add_topic(f, name, MS(5));
        for (int i = 0; i < 4; i++) {
            int late = r == 1 && i < 2;
            add_msg(f, t, TS_MSG_DELIVERED, MS(10 * i), MS(10 * i) + (late ? MS(6) : MS(1)));
            f->msgs[f->t.n_messages - 1].publisher = c;
            f->msgs[f->t.n_messages - 1].subscriber = c;
        }
        add_job(f, c, 0, MS(1), MS(10));
    }
    add_req(f, "topic-deadline", -1, 0.9);
}

static int longest_line(const char *text)
{
    int longest = 0;
    while (*text) {
        int n = 0;
        const unsigned char *p = (const unsigned char *)text;
        size_t bytes = strcspn(text, "\n");
        for (size_t i = 0; i < bytes; i++)
            n += (p[i] & 0xC0) != 0x80; /* characters, not bytes */
        if (n > longest)
            longest = n;
        text += bytes + (text[bytes] == '\n');
    }
    return longest;
}

static void test_text_scorecard(void **state)
{
    (void)state;
    fixture f;
    build_fleet(&f);
    ts_validation *v = validate_ok(&f);
    char *text = capture_text(v, 0);
    assert_non_null(strstr(text, "scenario:  fleet"));
    assert_non_null(strstr(text, "simulated: 100.0ms (100000000 ns), seed 42"));
    assert_non_null(strstr(text, "overall compliance: 50.000%"));
    /* Families in order, each with its score. */
    const char *perf = strstr(text, "Performance 50.000% (6 items)");
    const char *safety = strstr(text, "Safety coverage 100.000% (0 checks, 0 not exercised)");
    const char *health = strstr(text, "Health 100.0/100");
    const char *integ = strstr(text, "Integration 100.000%");
    assert_true(perf && safety && health && integ);
    assert_true(perf < safety && safety < health && health < integ);
    /* The fleet rolls up: one row for three copies, the worst named. */
    assert_non_null(strstr(text, "camera_image \xC3\x97" "3"));
    assert_non_null(strstr(text, "      camera_image \xC3\x97" "3: worst r1 (camera_image_r1) "
                                 "50.000%\n"));
    assert_null(strstr(text, "camera_image_r2"));
    assert_non_null(strstr(text, "ctrl \xC3\x97" "3"));
    assert_non_null(strstr(text, "FAIL  required  90.000%  actual  50.000%  topic-deadline:all\n"));
    assert_non_null(strstr(text, "topic camera_image_r1 met 2 of 4 samples"));
    assert_non_null(strstr(text, "RESULT: FAIL (1 of 11 gates failed)"));
    if (longest_line(text) > 100)
        fail_msg("a line over 100 columns:\n%s", text);
    free(text);

    /* --detail lists every copy. */
    text = capture_text(v, 1);
    assert_non_null(strstr(text, "camera_image_r2"));
    assert_non_null(strstr(text, "camera_image_r1"));
    assert_null(strstr(text, "\xC3\x97" "3"));
    free(text);
    ts_validation_free(v);

    /* A name with a control character and one too long for its column. */
    build_fleet(&f);
    snprintf(f.topics[1].name, sizeof f.topics[1].name, "im\x1b[2Ju");
    snprintf(f.comps[2].name, sizeof f.comps[2].name,
             "planner_with_a_very_long_name_that_fills_the_column_0123456789");
    f.reqs[0].threshold = 0.5;
    v = validate_ok(&f);
    text = capture_text(v, 0);
    assert_null(strchr(text, '\x1b'));
    assert_non_null(strstr(text, "im?[2Ju"));
    assert_non_null(strstr(text, "planner_with_a_very_l~"));
    assert_non_null(strstr(text, "RESULT: PASS (11/11 gates)"));
    if (longest_line(text) > 100)
        fail_msg("a line over 100 columns:\n%s", text);
    free(text);
    ts_validation_free(v);

    /* An unfinished run fails its run gate and says so at the top. */
    build_fleet(&f);
    f.t.finished = 0;
    f.reqs[0].threshold = 0.5;
    v = validate_ok(&f);
    text = capture_text(v, 0);
    assert_non_null(strstr(text, "RUN DID NOT FINISH"));
    assert_non_null(strstr(text, "FAIL  at most         0  actual        1  run:finished"));
    assert_int_equal(v->all_pass, 0);
    free(text);
    ts_validation_free(v);

    /* Zero gates is never a pass, even in a hand-made validation. */
    ts_validation none = {.scenario_name = "none", .overall = 1};
    text = capture_text(&none, 0);
    assert_non_null(strstr(text, "RESULT: FAIL (no gates)"));
    free(text);
}

/* ---- JSON: a strict syntax check (RFC 8259 grammar) ---- */

static void js_ws(const char **p)
{
    while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
        (*p)++;
}

static int js_value(const char **p, int depth);

static int js_string(const char **p)
{
    if (**p != '"')
        return 0;
    (*p)++;
    while (**p != '"') {
        unsigned char c = (unsigned char)**p;
        if (c < 0x20)
            return 0;
        if (c == '\\') {
            (*p)++;
            if (**p && strchr("\"\\/bfnrt", **p)) {
                (*p)++;
            } else if (**p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!isxdigit((unsigned char)(*p)[i]))
                        return 0;
                *p += 5;
            } else {
                return 0;
            }
        } else {
            (*p)++;
        }
    }
    (*p)++;
    return 1;
}

static int js_digits(const char **p)
{
    if (!isdigit((unsigned char)**p))
        return 0;
    while (isdigit((unsigned char)**p))
        (*p)++;
    return 1;
}

static int js_number(const char **p)
{
    if (**p == '-')
        (*p)++;
    if (**p == '0')
        (*p)++;
    else if (!js_digits(p))
        return 0;
    if (**p == '.') {
        (*p)++;
        if (!js_digits(p))
            return 0;
    }
    if (**p == 'e' || **p == 'E') {
        (*p)++;
        if (**p == '+' || **p == '-')
            (*p)++;
        if (!js_digits(p))
            return 0;
    }
    return 1;
}

static int js_members(const char **p, int depth, char close, int keyed)
{
    (*p)++;
    js_ws(p);
    if (**p == close) {
        (*p)++;
        return 1;
    }
    for (;;) {
        js_ws(p);
        if (keyed) {
            if (!js_string(p))
                return 0;
            js_ws(p);
            if (**p != ':')
                return 0;
            (*p)++;
        }
        if (!js_value(p, depth + 1))
            return 0;
        js_ws(p);
        if (**p == close) {
            (*p)++;
            return 1;
        }
        if (**p != ',')
            return 0;
        (*p)++;
    }
}

static int js_value(const char **p, int depth)
{
    if (depth > 32)
        return 0;
    js_ws(p);
    switch (**p) {
    case '{': return js_members(p, depth, '}', 1);
    case '[': return js_members(p, depth, ']', 0);
    case '"': return js_string(p);
    case 't': return strncmp(*p, "true", 4) == 0 ? (*p += 4, 1) : 0;
    case 'f': return strncmp(*p, "false", 5) == 0 ? (*p += 5, 1) : 0;
    case 'n': return strncmp(*p, "null", 4) == 0 ? (*p += 4, 1) : 0;
    default: return js_number(p);
    }
}

static int json_valid(const char *text)
{
    const char *p = text;
    if (!js_value(&p, 0))
        return 0;
    js_ws(&p);
    return *p == '\0';
}

static void test_json_checker_rejects(void **state)
{
    (void)state;
    /* The checker itself must be able to fail. */
    assert_true(json_valid("{\"a\": [1, 2.5e-3, null, true, \"x\\u0001\"]}"));
    assert_false(json_valid("{\"a\": NaN}"));
    assert_false(json_valid("{\"a\": \"x\"y\"}"));
    assert_false(json_valid("{\"a\": \"tab\there\"}"));
    assert_false(json_valid("{\"a\": 1,}"));
    assert_false(json_valid("{\"a\": 1} x"));
}

static void test_json(void **state)
{
    (void)state;
    fixture f;
    build_fleet(&f);
    snprintf(f.scenario, sizeof f.scenario, "demo \"v2\"");
    snprintf(f.topics[2].name, sizeof f.topics[2].name, "i\"m\\u\x01\n\xff");
    ts_validation *v = validate_ok(&f);
    char *json = capture_json(v);
    if (!json_valid(json))
        fail_msg("invalid JSON:\n%s", json);
    assert_non_null(strstr(json, "\"scenario\": \"demo \\\"v2\\\"\""));
    assert_non_null(strstr(json, "\"seed\": 42"));
    assert_non_null(strstr(json, "\"toposim_version\": \"0.1.0\""));
    assert_non_null(strstr(json, "\"wall_time_s\": null"));
    assert_non_null(strstr(json, "\"finished\": true"));
    assert_non_null(strstr(json, "\"pass\": false"));
    assert_non_null(strstr(json, "\"overall\": 0.5"));
    assert_non_null(strstr(json, "\"performance\": {\"score\": 0.5, \"items\": 6}"));
    assert_non_null(strstr(json, "\"safety\": {\"score\": 1, \"items\": 0, \"not_exercised\": 0}"));
    assert_non_null(strstr(json, "\"name\": \"i\\\"m\\\\u\\u0001\\n\xEF\xBF\xBD\""));
    /* Every copy is there, with its roll-up and copy label. */
    assert_non_null(strstr(json, "\"name\": \"camera_image_r1\", \"total\": 4, \"met\": 2, "
                                 "\"lost\": 0, \"lost_in_failover\": 0, \"compliance\": 0.5, "
                                 "\"p50_ns\": 3500000, \"p90_ns\": 6000000, \"p99_ns\": 6000000, "
                                 "\"p999_ns\": 6000000, \"max_ns\": 6000000, \"budget_ns\": 5000000, "
                                 "\"rollup\": \"camera_image\", \"copy\": \"r1\"}"));
    assert_non_null(strstr(json, "{\"name\": \"topic-deadline:all\", \"family\": \"performance\", "
                                 "\"unit\": \"fraction\", \"compare\": \"at_least\", "
                                 "\"required\": 0.9, \"actual\": 0.5, \"worst\": \"camera_image_r1\", "
                                 "\"declared\": true, \"pass\": false"));
    assert_non_null(strstr(json, "\"recommendations\": [\n    {\"rule\": \"topic-late\""));
    free(json);
    ts_validation_free(v);

    /* Hand-made values JSON cannot carry come out as null. */
    ts_score score = {.kind = TS_SCORE_TOPIC, .name = "x", .compliance = NAN,
                      .p50_ns = -1, .p90_ns = -1, .p99_ns = -1, .p999_ns = -1, .max_ns = -1};
    ts_gate gate = {.name = "topic-deadline:x", .required = INFINITY, .actual = NAN};
    ts_validation hand = {.scores = &score, .n_scores = 1, .gates = &gate, .n_gates = 1,
                          .wall_time_s = NAN};
    json = capture_json(&hand);
    if (!json_valid(json))
        fail_msg("invalid JSON:\n%s", json);
    assert_non_null(strstr(json, "\"compliance\": null"));
    assert_non_null(strstr(json, "\"required\": null, \"actual\": null, \"worst\": null"));
    assert_non_null(strstr(json, "\"components\": []"));
    free(json);
}

/* ---- JUnit ---- */

static char tmpdir[64];

static int make_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ts_validate_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    DIR *d = opendir(tmpdir);
    if (d) {
        struct dirent *e;
        char path[512];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
            if (remove(path) != 0)
                rmdir(path);
        }
        closedir(d);
    }
    rmdir(tmpdir);
    return 0;
}

static int count_entries(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static int count_elements(xmlNode *node, const char *name)
{
    int n = 0;
    for (; node; node = node->next)
        if (node->type == XML_ELEMENT_NODE) {
            if (xmlStrcmp(node->name, (const xmlChar *)name) == 0)
                n++;
            n += count_elements(node->children, name);
        }
    return n;
}

static xmlNode *find_element(xmlNode *node, const char *name)
{
    for (; node; node = node->next)
        if (node->type == XML_ELEMENT_NODE) {
            if (xmlStrcmp(node->name, (const xmlChar *)name) == 0)
                return node;
            xmlNode *in = find_element(node->children, name);
            if (in)
                return in;
        }
    return NULL;
}

static void assert_prop(xmlNode *node, const char *name, const char *want)
{
    xmlChar *got = xmlGetProp(node, (const xmlChar *)name);
    assert_non_null(got);
    assert_string_equal((const char *)got, want);
    xmlFree(got);
}

/* Runs xmllint with tests/junit.xsd on path; its exit status. */
static int xsd_check(const char *path)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "xmllint --noout --schema tests/junit.xsd '%s' 2>/dev/null", path);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_junit_schema_can_fail(void **state)
{
    (void)state;
    /* The schema check itself must be able to fail. */
    char path[128];
    snprintf(path, sizeof path, "%s/bad.xml", tmpdir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("<testsuites><testsuite tests=\"-1\"><testcase/></testsuite></testsuites>\n", fp);
    fclose(fp);
    assert_int_not_equal(xsd_check(path), 0);
    remove(path);
}

static void test_junit(void **state)
{
    (void)state;
    fixture f;
    build_fleet(&f);
    snprintf(f.scenario, sizeof f.scenario, "a<b>&\"c\"\x02");
    snprintf(f.topics[2].name, sizeof f.topics[2].name, "cam<&>\"'\tx\x03");
    f.t.wall_time_ns = 1234567890;
    ts_validation *v = validate_ok(&f);
    char path[128];
    snprintf(path, sizeof path, "%s/junit.xml", tmpdir);
    ts_error err;
    ts_error_clear(&err);
    assert_int_equal(ts_validation_write_junit(v, path, &err), TS_OK);
    assert_int_equal(count_entries(tmpdir), 1); /* no temporary left */
    assert_int_equal(xsd_check(path), 0);

    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xmlNode *root = xmlDocGetRootElement(doc);
    assert_string_equal((const char *)root->name, "testsuites");
    assert_prop(root, "tests", "11");
    assert_prop(root, "failures", "1");
    assert_prop(root, "time", "1.235");
    xmlNode *suite = find_element(root->children, "testsuite");
    assert_non_null(suite);
    assert_prop(suite, "name", "a<b>&\"c\"\xEF\xBF\xBD"); /* named after the scenario */
    assert_prop(suite, "failures", "1");
    assert_prop(suite, "time", "1.235");
    assert_int_equal(count_elements(root, "testsuite"), 1);
    assert_int_equal(count_elements(root, "testcase"), 11);
    assert_int_equal(count_elements(root, "failure"), 1);

    xmlNode *tc = find_element(root->children, "testcase");
    assert_prop(tc, "classname", "toposim.a<b>&\"c\"\xEF\xBF\xBD.performance");
    assert_prop(tc, "name", "topic-deadline:all");
    xmlNode *failure = find_element(root->children, "failure");
    /* Percentages in the message are rounded. */
    xmlChar *msg = xmlGetProp(failure, (const xmlChar *)"message");
    assert_string_equal((const char *)msg,
                        "topic-deadline:all required 90.0%, actual 50.0%, worst: camera_image_r1");
    xmlFree(msg);

    /* Seed and version as properties. */
    int seen = 0;
    for (xmlNode *p = find_element(root->children, "property"); p; p = p->next) {
        if (p->type != XML_ELEMENT_NODE)
            continue;
        xmlChar *name = xmlGetProp(p, (const xmlChar *)"name");
        if (!xmlStrcmp(name, (const xmlChar *)"seed"))
            assert_prop(p, "value", "42"), seen |= 1;
        if (!xmlStrcmp(name, (const xmlChar *)"toposim_version"))
            assert_prop(p, "value", "0.1.0"), seen |= 2;
        if (!xmlStrcmp(name, (const xmlChar *)"performance"))
            assert_prop(p, "value", "50.0%"), seen |= 4;
        xmlFree(name);
    }
    assert_int_equal(seen, 7);

    xmlNode *out = find_element(root->children, "system-out");
    assert_non_null(out);
    xmlChar *body = xmlNodeGetContent(out);
    assert_non_null(strstr((const char *)body, "camera_image \xC3\x97" "2"));
    xmlFree(body);
    xmlFreeDoc(doc);
    ts_validation_free(v);

    /* All passing: zero failures, replacing the earlier file. */
    build_fleet(&f);
    f.reqs[0].threshold = 0.5;
    v = validate_ok(&f);
    assert_int_equal(ts_validation_write_junit(v, path, &err), TS_OK);
    assert_int_equal(xsd_check(path), 0);
    doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    assert_prop(xmlDocGetRootElement(doc), "failures", "0");
    assert_prop(xmlDocGetRootElement(doc), "time", "0.000");
    assert_int_equal(count_elements(xmlDocGetRootElement(doc), "failure"), 0);
    xmlFreeDoc(doc);
    ts_validation_free(v);

    /* Zero gates still yields a failing testcase. */
    ts_validation none = {.scenario_name = "", .wall_time_s = NAN};
    assert_int_equal(ts_validation_write_junit(&none, path, &err), TS_OK);
    assert_int_equal(xsd_check(path), 0);
    doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    assert_prop(xmlDocGetRootElement(doc), "failures", "1");
    assert_int_equal(count_elements(xmlDocGetRootElement(doc), "failure"), 1);
    xmlFreeDoc(doc);
}

static void test_junit_unwritable(void **state)
{
    (void)state;
    fixture f;
    build_fleet(&f);
    ts_validation *v = validate_ok(&f);
    ts_error err;

    const char *missing = "/nonexistent-toposim-dir/junit.xml";
    ts_error_clear(&err);
    assert_int_equal(ts_validation_write_junit(v, missing, &err), TS_EIO);
    assert_string_equal(err.file, missing);
    struct stat st;
    assert_int_not_equal(stat(missing, &st), 0);

    /* The final name is taken by a folder: the rename fails at the very end
     * and the temporary must be gone. */
    char dir[128], target[160];
    snprintf(dir, sizeof dir, "%s/sub", tmpdir);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(target, sizeof target, "%s/junit.xml", dir);
    assert_int_equal(mkdir(target, 0700), 0);
    ts_error_clear(&err);
    assert_int_equal(ts_validation_write_junit(v, target, &err), TS_EIO);
    assert_string_equal(err.file, target);
    assert_int_equal(count_entries(dir), 1);
    assert_int_equal(rmdir(target), 0);
    assert_int_equal(rmdir(dir), 0);

    assert_int_equal(ts_validation_write_junit(v, "", &err), TS_EINVAL);
    ts_validation_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_scorecard),
        cmocka_unit_test(test_json_checker_rejects),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_junit_schema_can_fail),
        cmocka_unit_test(test_junit),
        cmocka_unit_test(test_junit_unwritable),
    };
    int rc = cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
    xmlCleanupParser();
    return rc;
}
