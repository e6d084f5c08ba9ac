/*
 * Hostile inputs through the toposim binary: documents built to cost
 * quadratic time or unbounded memory, numbers at the edge of int64, NUL
 * bytes, and scenarios that pass one command and fail the next. Each must
 * end quickly with exit 2 and an error naming file:line and, for a
 * resource, the limit and the flag that raises it.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "shell_capture.h"
#include "toposim/trace.h"

static char bin[1024];
static char tmpdir[] = "/tmp/toposim-hostile-XXXXXX";
static char out_text[1 << 16];
static char err_text[1 << 16];

/* Runs `toposim ARGS` with output captured; returns its exit code. */
static int toposim(const char *fmt, ...)
{
    char args[4096], cmd[6144];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "%s %s", bin, args);
    return ts_test_shell_capture(tmpdir, cmd, out_text, sizeof out_text, err_text,
                                 sizeof err_text);
}

/* Writes len bytes to tmpdir/name; returns the path (static buffer). */
static const char *write_file(const char *name, const char *text, size_t len)
{
    static char path[1200];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* A small scenario: two computers behind switch sw on one robot, a
 * 100 Hz topic from a (on c1) to b (on c2) through sw. %s slots: extra
 * attributes of component a, of link l1, the <faults> content, extra
 * platform elements. */
static const char scenario_fmt[] =
    "<?xml version=\"1.0\"?>\n"
    "<scenario name=\"h\" seed=\"1\" duration=\"1s\">\n"
    "  <platform>\n"
    "    <robot id=\"r1\">\n"
    "      <computer id=\"c1\" cores=\"4\" memory=\"8GiB\"/>\n"
    "      <computer id=\"c2\" cores=\"4\" memory=\"8GiB\"/>\n"
    "      <switch id=\"sw\"/>\n"
    "%s"
    "    </robot>\n"
    "    <link id=\"l1\" from=\"c1\" to=\"sw\" latency=\"1ms\" bandwidth=\"1Gbps\"%s/>\n"
    "    <link id=\"l2\" from=\"c2\" to=\"sw\" latency=\"1ms\" bandwidth=\"1Gbps\"/>\n"
    "  </platform>\n"
    "  <components>\n"
    "    <component id=\"a\" %s node=\"c1\"/>\n"
    "    <component id=\"b\" rate=\"100Hz\" exec=\"1ms\" cpu=\"100m\" memory=\"1MiB\" "
    "node=\"c2\"/>\n"
    "  </components>\n"
    "  <topics>\n"
    "    <topic id=\"t\" publisher=\"a\" subscribers=\"b\" size=\"1KiB\" rate=\"100Hz\"/>\n"
    "  </topics>\n"
    "  <faults>\n%s  </faults>\n"
    "</scenario>\n";

static const char *scenario(const char *name, const char *platform_extra,
                            const char *link_extra, const char *component_a,
                            const char *faults)
{
    static char text[8192];
    int n = snprintf(text, sizeof text, scenario_fmt, platform_extra, link_extra,
                     component_a, faults);
    return write_file(name, text, (size_t)n);
}

#define PLAIN_A "rate=\"100Hz\" exec=\"1ms\" cpu=\"100m\" memory=\"1MiB\""

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int setup(void **state)
{
    (void)state;
    const char *b = getenv("TOPOSIM_BIN");
    snprintf(bin, sizeof bin, "%s", b ? b : "build/toposim");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* 100,000 attributes on one element cost libxml2 25 s of CPU; refused in
 * well under a second, naming the line and the limit. */
static void test_attribute_bomb_refused_fast(void **state)
{
    (void)state;
    size_t cap = 2u << 20, n = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    n += (size_t)snprintf(text + n, cap - n,
                          "<?xml version=\"1.0\"?>\n<scenario name=\"x\">\n<platform");
    for (int i = 0; i < 100000; i++)
        n += (size_t)snprintf(text + n, cap - n, " a%d=\"1\"", i);
    n += (size_t)snprintf(text + n, cap - n, "/>\n</scenario>\n");
    const char *path = write_file("attrs.xml", text, n);
    free(text);
    double t0 = wall_seconds();
    assert_int_equal(toposim("check %s", path), 2);
    double took = wall_seconds() - t0;
    assert_true(took < 1.0);
    assert_non_null(strstr(err_text, "attrs.xml:3:"));
    assert_non_null(strstr(err_text, "limit attributes=256"));
    assert_non_null(strstr(err_text, "--limit attributes="));
}

/* Elements in total and nesting depth have their limits too. */
static void test_element_count_and_depth_limits(void **state)
{
    (void)state;
    char text[4096];
    int n = snprintf(text, sizeof text, "<?xml version=\"1.0\"?>\n<scenario name=\"x\">\n");
    for (int i = 0; i < 100; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, "<a>");
    n += snprintf(text + n, sizeof text - (size_t)n, "\n");
    for (int i = 0; i < 100; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, "</a>");
    n += snprintf(text + n, sizeof text - (size_t)n, "\n</scenario>\n");
    const char *path = write_file("deep.xml", text, (size_t)n);
    assert_int_equal(toposim("check %s", path), 2);
    assert_non_null(strstr(err_text, "deep.xml:3:"));
    assert_non_null(strstr(err_text, "limit depth=64"));

    path = scenario("count.xml", "", "", PLAIN_A, "");
    assert_int_equal(toposim("check %s", path), 0);
    assert_int_equal(toposim("check --limit elements=10 %s", path), 2);
    assert_non_null(strstr(err_text, "count.xml:14:"));  /* the 11th element: component b */
    assert_non_null(strstr(err_text, "limit elements=10;"));
    assert_int_equal(toposim("check --limit elements=nope %s", path), 2);
    assert_non_null(strstr(err_text, "--limit elements"));
    assert_int_equal(toposim("check --limit no-such=1 %s", path), 2);
    assert_non_null(strstr(err_text, "fleet-size"));
}

/* A fleet of ten million robots, or of INT_MAX, is refused at its line
 * before anything is copied; so are components beyond the limit. */
static void test_fleet_and_component_limits(void **state)
{
    (void)state;
    char text[4096];
    const char *fmt =
        "<?xml version=\"1.0\"?>\n"
        "<scenario name=\"f\" seed=\"1\" duration=\"1s\">\n"
        "  <platform>\n"
        "    <robot id=\"r1\"><computer id=\"c1\" cores=\"4\" memory=\"8GiB\"/></robot>\n"
        "    <cloud id=\"k\"><node id=\"k1\" cores=\"4\" memory=\"8GiB\"/></cloud>\n"
        "    <link id=\"l\" from=\"c1\" to=\"k1\" latency=\"1ms\" bandwidth=\"1Gbps\"/>\n"
        "  </platform>\n"
        "  <components>\n"
        "    <component id=\"a\" rate=\"10Hz\" exec=\"1ms\" cpu=\"100m\" memory=\"1MiB\" "
        "node=\"c1\"/>\n"
        "  </components>\n"
        "  <fleet id=\"fl\" template=\"r1\" count=\"%s\"/>\n"
        "</scenario>\n";
    const char *counts[] = {"10000000", "2147483647"};
    for (int i = 0; i < 2; i++) {
        int n = snprintf(text, sizeof text, fmt, counts[i]);
        const char *path = write_file("fleet.xml", text, (size_t)n);
        assert_int_equal(toposim("check %s", path), 2);
        assert_non_null(strstr(err_text, "fleet.xml:11:"));
        assert_non_null(strstr(err_text, "limit fleet-size=10000;"));
        assert_null(strstr(err_text, "out of memory"));
    }
    int n = snprintf(text, sizeof text, fmt, "50");
    const char *path = write_file("fleet.xml", text, (size_t)n);
    assert_int_equal(toposim("check %s", path), 0);
    assert_int_equal(toposim("check --limit components=20 %s", path), 2);
    assert_non_null(strstr(err_text, "fleet.xml:11:"));
    assert_non_null(strstr(err_text, "limit components=20;"));
    assert_int_equal(toposim("check --limit fleet-size=49 %s", path), 2);
}

/* A node of a hundred million cores is refused at its line. */
static void test_core_limit(void **state)
{
    (void)state;
    const char *path = scenario("cores.xml",
                                "      <computer id=\"big\" cores=\"100000000\" "
                                "memory=\"8GiB\"/>\n",
                                "", PLAIN_A, "");
    assert_int_equal(toposim("check %s", path), 2);
    assert_non_null(strstr(err_text, "cores.xml:8:"));
    assert_non_null(strstr(err_text, "limit cores=4096;"));
    assert_non_null(strstr(err_text, "--limit cores=N"));
}

/* A component released every nanosecond with 100 us of work piles up
 * jobs without end: the run stops at the jobs limit, exit 2, no trace. */
static void test_job_pile_up_stops_the_run(void **state)
{
    (void)state;
    const char *path = scenario("pile.xml", "", "", "rate=\"1ns\" exec=\"100us\" cpu=\"100m\" memory=\"1MiB\"", "");
    double t0 = wall_seconds();
    assert_int_equal(toposim("run -q %s -o %s/pile.h5", path, tmpdir), 2);
    assert_true(wall_seconds() - t0 < 5.0);
    assert_non_null(strstr(err_text, "pile.xml:13:"));
    assert_non_null(strstr(err_text, "component a"));
    assert_non_null(strstr(err_text, "limit jobs=100000;"));
    char trace[1200];
    snprintf(trace, sizeof trace, "%s/pile.h5", tmpdir);
    assert_int_equal(access(trace, F_OK), -1);
    /* raised, a shorter run of the same pile fits */
    assert_int_equal(toposim("run -q --duration 10us --limit jobs=20000 %s -o %s/pile.h5",
                             path, tmpdir), 0);
    unlink(trace);
}

/* Times at the edge of int64 (a latency spike or fault duration of
 * 2^63-1 ns was undefined behaviour in the faults timeline) are refused
 * where they are read; the longest accepted time runs. */
static void test_times_beyond_the_limit_refused(void **state)
{
    (void)state;
    const char *path = scenario("spike.xml", "", "", PLAIN_A,
                                "    <latency-spike link=\"l1\" at=\"100ms\" duration=\"1s\" "
                                "extra=\"9223372036854775807ns\"/>\n");
    assert_int_equal(toposim("check %s", path), 2);
    assert_non_null(strstr(err_text, "spike.xml:20:"));
    assert_non_null(strstr(err_text, "extra=\"9223372036854775807ns\" is beyond"));
    path = scenario("down.xml", "", "", PLAIN_A,
                    "    <link-down link=\"l1\" at=\"100ms\" "
                    "duration=\"9223372036854775807ns\"/>\n");
    assert_int_equal(toposim("check %s", path), 2);
    assert_non_null(strstr(err_text, "down.xml:20:"));
    assert_non_null(strstr(err_text, "duration="));
    path = scenario("edge.xml", "", "", PLAIN_A,
                    "    <link-down link=\"l1\" at=\"100ms\" "
                    "duration=\"1000000000000000000ns\"/>\n"
                    "    <latency-spike link=\"l2\" at=\"100ms\" "
                    "duration=\"1000000000000000000ns\" extra=\"1000000000000000000ns\"/>\n");
    assert_int_equal(toposim("run -q %s -o %s/edge.h5", path, tmpdir), 0);
    assert_int_equal(toposim("run -q --duration 9223372036854775807ns %s -o %s/edge.h5",
                             path, tmpdir), 2);
    assert_non_null(strstr(err_text, "beyond the longest time"));
    char trace[1200];
    snprintf(trace, sizeof trace, "%s/edge.h5", tmpdir);
    unlink(trace);
}

/* A NUL byte is an error with its line, even after </scenario>. */
static void test_nul_byte_refused(void **state)
{
    (void)state;
    char text[8192];
    int n = snprintf(text, sizeof text, scenario_fmt, "", "", PLAIN_A, "");
    memcpy(text + n, "\0junk\n", 6);
    const char *path = write_file("nul.xml", text, (size_t)n + 6);
    assert_int_equal(toposim("check %s", path), 2);
    assert_non_null(strstr(err_text, "nul.xml:22:"));
    assert_non_null(strstr(err_text, "NUL byte"));
    /* and inside an attribute value */
    n = snprintf(text, sizeof text, scenario_fmt, "", "", PLAIN_A, "");
    char *at = strstr(text, "id=\"c2\"");
    at[5] = '\0';
    path = write_file("nul2.xml", text, (size_t)n);
    assert_int_equal(toposim("check %s", path), 2);
    assert_non_null(strstr(err_text, "nul2.xml:6:"));
}

/* An MTU no larger than the header passed check and failed run without a
 * line: check refuses it at the link's line, as run does. */
static void test_mtu_not_above_header_refused_by_check(void **state)
{
    (void)state;
    const char *path = scenario("mtu.xml", "", " mtu=\"1B\" header=\"64B\"", PLAIN_A, "");
    assert_int_equal(toposim("check %s", path), 2);
    assert_non_null(strstr(err_text, "mtu.xml:9:"));
    assert_non_null(strstr(err_text, "must exceed the header"));
    assert_int_equal(toposim("run -q %s -o %s/mtu.h5", path, tmpdir), 2);
    assert_non_null(strstr(err_text, "mtu.xml:9:"));
    path = scenario("mtu-ok.xml", "", " mtu=\"1500B\" header=\"64B\"", PLAIN_A, "");
    assert_int_equal(toposim("check %s", path), 0);
}

/* check places the components: what plan cannot place, check refuses,
 * naming the component's line. */
static void test_check_runs_placement(void **state)
{
    (void)state;
    const char *path = scenario("place.xml", "", "",
                                "rate=\"100Hz\" exec=\"1ms\" cpu=\"100m\" memory=\"64GiB\"", "");
    assert_int_equal(toposim("plan %s", path), 3);
    assert_non_null(strstr(err_text, "place.xml:13: component a"));
    assert_int_equal(toposim("check %s", path), 3);
    assert_non_null(strstr(err_text, "place.xml:13: component a"));
}

static int files_equal(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        if (ca != cb)
            same = 0;
        if (ca == EOF || cb == EOF)
            break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

/* The same scenario through three spellings of its path (relative, with
 * ./ and .., absolute) gives the same trace bytes. */
static void test_trace_bytes_independent_of_path_spelling(void **state)
{
    (void)state;
    scenario("same.xml", "", "", PLAIN_A, "");
    char dir_name[256];
    snprintf(dir_name, sizeof dir_name, "%s", strrchr(tmpdir, '/') + 1);
    const char *spellings[3][2] = {
        {"same.xml", "a.h5"}, {"./../%s/same.xml", "b.h5"}, {"%s/same.xml", "c.h5"}};
    char cmd[8192], traces[3][1200], cwd[1024];
    assert_non_null(getcwd(cwd, sizeof cwd));
    for (int i = 0; i < 3; i++) {
        char path[1200];
        snprintf(path, sizeof path, spellings[i][0], i == 1 ? dir_name : tmpdir);
        snprintf(traces[i], sizeof traces[i], "%s/%s", tmpdir, spellings[i][1]);
        snprintf(cmd, sizeof cmd, "cd %s && %s%s%s run -q %s -o %s", tmpdir,
                 bin[0] == '/' ? "" : cwd, bin[0] == '/' ? "" : "/", bin, path, traces[i]);
        assert_int_equal(ts_test_shell_capture(tmpdir, cmd, out_text, sizeof out_text,
                                               err_text, sizeof err_text), 0);
    }
    assert_true(files_equal(traces[0], traces[1]));
    assert_true(files_equal(traces[0], traces[2]));
    ts_trace *t = NULL;
    ts_error err;
    assert_int_equal(ts_trace_load(traces[0], &t, &err), TS_OK);
    /* inside the working folder: relative to it, so a clone elsewhere
     * records the same bytes */
    assert_string_equal(t->scenario_path, "same.xml");
    ts_trace_free(t);
    /* outside it: canonical and absolute */
    snprintf(cmd, sizeof cmd, "cd / && %s%s%s run -q %s/./same.xml -o %s", bin[0] == '/' ? "" : cwd,
             bin[0] == '/' ? "" : "/", bin, tmpdir, traces[1]);
    assert_int_equal(ts_test_shell_capture(tmpdir, cmd, out_text, sizeof out_text, err_text,
                                           sizeof err_text),
                     0);
    assert_int_equal(ts_trace_load(traces[1], &t, &err), TS_OK);
    assert_int_equal(t->scenario_path[0], '/');
    assert_non_null(strstr(t->scenario_path, "/same.xml"));
    assert_null(strstr(t->scenario_path, "/./"));
    ts_trace_free(t);
    for (int i = 0; i < 3; i++)
        unlink(traces[i]);
}

/* Messages sent from `from` to 1.9 s (the last ones may still be in
 * flight when the 2 s run ends): how many, how many were delivered, and
 * how many within `within` ns. */
static void count_after(const ts_trace *t, int64_t from, int64_t within, size_t *sent,
                        size_t *on_time, size_t *delivered)
{
    *sent = *on_time = *delivered = 0;
    for (size_t i = 0; i < t->n_messages; i++) {
        const ts_trace_message *m = &t->messages[i];
        if (m->send_ns < from || m->send_ns >= 1900000000)
            continue;
        (*sent)++;
        if (m->status == TS_MSG_DELIVERED) {
            (*delivered)++;
            if (m->recv_ns - m->send_ns <= within)
                (*on_time)++;
        }
    }
}

static const char crash_fmt[] =
    "<?xml version=\"1.0\"?>\n"
    "<scenario name=\"crash\" seed=\"1\" duration=\"2s\">\n"
    "  <platform>\n"
    "    <robot id=\"r1\">\n"
    "      <computer id=\"c1\" cores=\"4\" memory=\"8GiB\"/>\n"
    "      <computer id=\"c2\" cores=\"4\" memory=\"8GiB\"/>\n"
    "      <switch id=\"sw\"/>\n"
    "    </robot>\n"
    "    <link id=\"l1\" from=\"c1\" to=\"sw\" latency=\"1ms\" bandwidth=\"1Gbps\"/>\n"
    "    <link id=\"l2\" from=\"c2\" to=\"sw\" latency=\"1ms\" bandwidth=\"1Gbps\"/>\n"
    "%s"
    "  </platform>\n"
    "  <components>\n"
    "    <component id=\"a\" rate=\"100Hz\" exec=\"1ms\" cpu=\"100m\" memory=\"1MiB\" "
    "node=\"c1\"/>\n"
    "    <component id=\"b\" rate=\"100Hz\" exec=\"1ms\" cpu=\"100m\" memory=\"1MiB\" "
    "node=\"c2\"/>\n"
    "  </components>\n"
    "  <topics>\n"
    "    <topic id=\"t\" publisher=\"a\" subscribers=\"b\" size=\"1KiB\" rate=\"100Hz\"/>\n"
    "  </topics>\n"
    "  <faults>\n"
    "    <node-crash node=\"sw\" at=\"500ms\"%s/>\n"
    "  </faults>\n"
    "</scenario>\n";

static ts_trace *run_crash(const char *name, const char *extra_link, const char *duration)
{
    char text[4096];
    int n = snprintf(text, sizeof text, crash_fmt, extra_link, duration);
    const char *path = write_file(name, text, (size_t)n);
    char trace[1200];
    snprintf(trace, sizeof trace, "%s/crash.h5", tmpdir);
    assert_int_equal(toposim("run -q %s -o %s", path, trace), 0);
    ts_trace *t = NULL;
    ts_error err;
    assert_int_equal(ts_trace_load(trace, &t, &err), TS_OK);
    unlink(trace);
    return t;
}

/* A crashed switch forwards nothing: every message through it after the
 * crash is dropped (none delivered), those on its links at the crash are
 * reported as on a link that went down. */
static void test_crashed_switch_drops_traffic(void **state)
{
    (void)state;
    ts_trace *t = run_crash("crash.xml", "", "");
    size_t sent, on_time, delivered;
    count_after(t, 0, 3000000, &sent, &on_time, &delivered);
    assert_true(sent > 150);
    count_after(t, 500000000, 3000000, &sent, &on_time, &delivered);
    assert_true(sent > 80);
    assert_int_equal(delivered, 0);
    size_t no_route = 0;
    for (size_t i = 0; i < t->n_messages; i++)
        if (t->messages[i].send_ns >= 500000000)
            no_route += t->messages[i].status == TS_MSG_NO_ROUTE;
    assert_true(no_route > 80);
    /* before the crash, everything arrived at its normal latency */
    size_t before = 0, ok = 0;
    for (size_t i = 0; i < t->n_messages; i++)
        if (t->messages[i].send_ns < 490000000) {
            before++;
            ok += t->messages[i].status == TS_MSG_DELIVERED;
        }
    assert_int_equal(ok, before);
    ts_trace_free(t);

    /* restarted after 500 ms, it forwards again */
    t = run_crash("crash-restart.xml", "", " duration=\"500ms\"");
    count_after(t, 1100000000, 3000000, &sent, &on_time, &delivered);
    assert_true(sent > 70);
    assert_int_equal(delivered, sent);
    count_after(t, 510000000, 3000000, &sent, &on_time, &delivered);
    assert_true(sent - delivered > 40);
    ts_trace_free(t);
}

/* With a second path (a slower direct link), traffic goes around the
 * crashed switch: delivered, at the other path's latency. */
static void test_crashed_switch_routed_around(void **state)
{
    (void)state;
    ts_trace *t = run_crash("crash-alt.xml",
                            "    <link id=\"direct\" from=\"c1\" to=\"c2\" latency=\"10ms\" "
                            "bandwidth=\"1Gbps\"/>\n", "");
    size_t sent, on_time, delivered;
    count_after(t, 510000000, 3000000, &sent, &on_time, &delivered);
    assert_true(sent > 80);
    assert_int_equal(delivered, sent);   /* all of them, the long way */
    assert_int_equal(on_time, 0);        /* none at the switch path's latency */
    count_after(t, 0, 3000000, &sent, &on_time, &delivered);
    assert_true(on_time > 40);           /* before the crash: through sw */
    ts_trace_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attribute_bomb_refused_fast),
        cmocka_unit_test(test_element_count_and_depth_limits),
        cmocka_unit_test(test_fleet_and_component_limits),
        cmocka_unit_test(test_core_limit),
        cmocka_unit_test(test_job_pile_up_stops_the_run),
        cmocka_unit_test(test_times_beyond_the_limit_refused),
        cmocka_unit_test(test_nul_byte_refused),
        cmocka_unit_test(test_mtu_not_above_header_refused_by_check),
        cmocka_unit_test(test_check_runs_placement),
        cmocka_unit_test(test_trace_bytes_independent_of_path_spelling),
        cmocka_unit_test(test_crashed_switch_drops_traffic),
        cmocka_unit_test(test_crashed_switch_routed_around),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
