/*
 * End to end through the toposim binary: the default scenario runs and
 * validates with exit 0, the trace has the documented layout, equal seeds
 * give byte-identical traces and different seeds different job times, bad
 * inputs exit 2 with file:line and leave no trace behind, a failed gate
 * exits 1, usage errors exit 2.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "shell_capture.h"
#include "toposim/trace.h"

static char bin[1024];
static char tmpdir[] = "/tmp/toposim-e2e-XXXXXX";
static char out_text[1 << 16];
static char err_text[1 << 16];

/* Runs `toposim ARGS` with stdout/stderr captured; returns its exit code. */
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

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Files in tmpdir other than the captured stdout/stderr. */
static int stray_files(void)
{
    DIR *d = opendir(tmpdir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
            strcmp(e->d_name, "stdout") && strcmp(e->d_name, "stderr"))
            n++;
    closedir(d);
    return n;
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

static int setup(void **state)
{
    (void)state;
    const char *b = getenv("TOPOSIM_BIN");
    snprintf(bin, sizeof bin, "%s", b ? b : "build/toposim");
    if (!mkdtemp(tmpdir))
        return -1;
    return exists(bin) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_default_scenario_runs_and_validates(void **state)
{
    (void)state;
    assert_int_equal(toposim("run scenarios/humanoid-basic.xml -o %s/basic.h5", tmpdir), 0);
    assert_non_null(strstr(out_text, "trace:"));
    assert_int_equal(toposim("validate %s/basic.h5 --junit %s/basic.junit.xml", tmpdir, tmpdir), 0);
    assert_non_null(strstr(out_text, "PASS"));
    assert_null(strstr(out_text, "FAIL"));
    char junit[1200];
    snprintf(junit, sizeof junit, "%s/basic.junit.xml", tmpdir);
    assert_true(exists(junit));
    assert_int_equal(toposim("validate --json %s/basic.h5", tmpdir), 0);
    assert_non_null(strstr(out_text, "\"pass\": true") ? strstr(out_text, "\"pass\": true")
                                                       : strstr(out_text, "\"pass\":true"));

    /* The trace holds the scenario's tables and real traffic. */
    char path[1200];
    snprintf(path, sizeof path, "%s/basic.h5", tmpdir);
    ts_trace *t = NULL;
    ts_error err;
    assert_int_equal(ts_trace_load(path, &t, &err), TS_OK);
    assert_int_equal(t->format_version, TS_TRACE_FORMAT_VERSION);
    assert_int_equal(t->seed, 42);
    assert_int_equal(t->duration_ns, 10000000000LL);
    assert_true(t->n_components >= 8);
    assert_int_equal(t->n_placement, t->n_components);
    assert_true(t->n_messages > 10000);
    assert_true(t->n_jobs > 10000);
    assert_non_null(strstr(t->scenario_text, "<scenario"));
    ts_trace_free(t);
    unlink(path);
    unlink(junit);
}

static void test_h5dump_shows_documented_layout(void **state)
{
    (void)state;
    if (system("command -v h5dump >/dev/null 2>&1") != 0)
        skip();
    assert_int_equal(toposim("run -q --duration 50ms scenarios/humanoid-basic.xml -o %s/l.h5", tmpdir), 0);
    char cmd[1400], out[1200];
    snprintf(out, sizeof out, "%s/layout.txt", tmpdir);
    snprintf(cmd, sizeof cmd, "h5dump -H %s/l.h5 > %s 2>&1", tmpdir, out);
    assert_int_equal(system(cmd), 0);
    static char dump[1 << 18]; /* the header dump of format 6 passes 128 KiB */
    ts_test_slurp(out, dump, sizeof dump);
    const char *expect[] = {
        "ATTRIBUTE \"format_version\"", "GROUP \"meta\"", "DATASET \"scenario_text\"",
        "DATASET \"nodes\"", "DATASET \"links\"", "DATASET \"components\"",
        "DATASET \"topics\"", "DATASET \"placement\"", "DATASET \"requirements\"",
        "DATASET \"messages\"", "DATASET \"jobs\"", "\"send_ns\"", "\"recv_ns\"",
        "\"release_ns\"", "\"finish_ns\"", "\"deadline_ns\"", "ATTRIBUTE \"units\"",
    };
    for (size_t i = 0; i < sizeof expect / sizeof *expect; i++)
        if (!strstr(dump, expect[i]))
            fail_msg("h5dump -H lacks %s", expect[i]);
    unlink(out);
    snprintf(out, sizeof out, "%s/l.h5", tmpdir);
    unlink(out);
}

static void load_jobs(const char *path, ts_trace **t)
{
    ts_error err;
    assert_int_equal(ts_trace_load(path, t, &err), TS_OK);
}

static void test_same_seed_identical_other_seed_differs(void **state)
{
    (void)state;
    char a[1200], b[1200], c[1200];
    snprintf(a, sizeof a, "%s/a.h5", tmpdir);
    snprintf(b, sizeof b, "%s/b.h5", tmpdir);
    snprintf(c, sizeof c, "%s/c.h5", tmpdir);
    assert_int_equal(toposim("run -q --duration 1s --seed 7 scenarios/humanoid-basic.xml -o %s", a), 0);
    assert_int_equal(toposim("run -q --duration 1s --seed 7 scenarios/humanoid-basic.xml -o %s", b), 0);
    assert_int_equal(toposim("run -q --duration 1s --seed 8 scenarios/humanoid-basic.xml -o %s", c), 0);
    assert_true(files_equal(a, b));
    ts_trace *ta, *tc;
    load_jobs(a, &ta);
    load_jobs(c, &tc);
    /* Execution times are drawn per job: another seed moves finish times. */
    size_t n = ta->n_jobs < tc->n_jobs ? ta->n_jobs : tc->n_jobs;
    size_t differing = 0;
    for (size_t i = 0; i < n; i++)
        differing += ta->jobs[i].finish_ns != tc->jobs[i].finish_ns;
    assert_true(differing > n / 10);
    ts_trace_free(ta);
    ts_trace_free(tc);
    unlink(a);
    unlink(b);
    unlink(c);
}

/* Every example scenario, run twice with its own seed, gives the same
 * bytes: determinism holds for every model and the deployment code. */
static void test_every_scenario_reproducible(void **state)
{
    (void)state;
    DIR *d = opendir("scenarios");
    assert_non_null(d);
    struct dirent *e;
    int checked = 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".xml"))
            continue;
        char a[1200], b[1200];
        snprintf(a, sizeof a, "%s/r1.h5", tmpdir);
        snprintf(b, sizeof b, "%s/r2.h5", tmpdir);
        assert_int_equal(toposim("run -q scenarios/%s -o %s", e->d_name, a), 0);
        assert_int_equal(toposim("run -q scenarios/%s -o %s", e->d_name, b), 0);
        if (!files_equal(a, b))
            fail_msg("scenarios/%s: two runs differ", e->d_name);
        unlink(a);
        unlink(b);
        checked++;
    }
    closedir(d);
    assert_true(checked >= 10);
}

/* Bad input: exit 2, "FILE:LINE:" on stderr, and nothing left in tmpdir. */
static void expect_bad(const char *file, int line, const char *phrase, int check_rc)
{
    /* An infeasible placement (check's 3) is run's 3 too; else bad input. */
    int want = check_rc == 3 ? 3 : 2;
    int rc = toposim("run %s -o %s/bad.h5", file, tmpdir);
    if (rc != want)
        fail_msg("%s: exit %d, stderr: %s", file, rc, err_text);
    char where[1200];
    snprintf(where, sizeof where, "%s:%d:", file, line);
    if (!strstr(err_text, where))
        fail_msg("%s: stderr lacks '%s': %s", file, where, err_text);
    if (phrase && !strstr(err_text, phrase))
        fail_msg("%s: stderr lacks '%s': %s", file, phrase, err_text);
    assert_int_equal(stray_files(), 0);
    /* check places the components too, so it refuses an infeasible plan
     * at the same line. */
    assert_int_equal(toposim("check %s", file), check_rc);
    if (check_rc && !strstr(err_text, where))
        fail_msg("check %s: stderr lacks '%s': %s", file, where, err_text);
}

static void test_bad_inputs_exit_2_with_file_line(void **state)
{
    (void)state;
    expect_bad("tests/e2e/bad-malformed.xml", 9, NULL, 2);
    expect_bad("tests/e2e/bad-dangling.xml", 10, "ap9", 2);
    expect_bad("tests/e2e/bad-unit.xml", 11, "10 parsecs", 2);
    /* A scenario whose components do not fit is a result (exit 3), not
     * bad input. */
    expect_bad("tests/e2e/bad-infeasible.xml", 12, "memory", 3);
    assert_int_equal(toposim("plan tests/e2e/bad-infeasible.xml"), 3);
    assert_non_null(strstr(err_text, "tests/e2e/bad-infeasible.xml:12:"));
    /* A binding constraint other than a resource: isolation. */
    assert_int_equal(toposim("plan tests/e2e/bad-isolation.xml"), 3);
    assert_non_null(strstr(err_text, "tests/e2e/bad-isolation.xml:13: component monitor_b"));
    assert_non_null(strstr(err_text, "isolation"));
    /* GPU shares fit but their GPU memory on the one GPU left does not. */
    assert_int_equal(toposim("plan tests/e2e/bad-gpu-share-memory.xml"), 3);
    assert_non_null(strstr(err_text, "tests/e2e/bad-gpu-share-memory.xml:20: component "
                                     "vision_2: no edge node has 20GiB GPU memory on one "
                                     "GPU free"));
}

static void test_failed_gate_exits_1(void **state)
{
    (void)state;
    assert_int_equal(toposim("run -q tests/e2e/overloaded.xml -o %s/over.h5", tmpdir), 0);
    assert_int_equal(toposim("validate %s/over.h5 --junit %s/over.xml", tmpdir, tmpdir), 1);
    assert_non_null(strstr(out_text, "FAIL"));
    char junit[1200];
    snprintf(junit, sizeof junit, "%s/over.xml", tmpdir);
    static char xml[1 << 16];
    ts_test_slurp(junit, xml, sizeof xml);
    assert_non_null(strstr(xml, "<failure"));
    unlink(junit);
    snprintf(junit, sizeof junit, "%s/over.h5", tmpdir);
    unlink(junit);
}

static void test_usage_and_help(void **state)
{
    (void)state;
    assert_int_equal(toposim(""), 2);
    assert_int_equal(toposim("frobnicate"), 2);
    assert_int_equal(toposim("--help"), 0);
    const char *cmds[] = {"check", "plan", "run", "validate"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(toposim("%s --help", cmds[i]), 0);
        assert_non_null(strstr(out_text, "usage: toposim"));
        assert_int_equal(toposim("%s", cmds[i]), 2);
        assert_int_equal(toposim("%s --no-such-option x", cmds[i]), 2);
    }
    assert_int_equal(toposim("run --seed -3 scenarios/humanoid-basic.xml"), 2);
    assert_int_equal(toposim("run --duration 10parsecs scenarios/humanoid-basic.xml"), 2);
    assert_int_equal(toposim("validate %s/missing.h5", tmpdir), 2);
    assert_int_equal(toposim("validate scenarios/humanoid-basic.xml"), 2);
    assert_int_equal(stray_files(), 0);
}

static void test_check_and_plan(void **state)
{
    (void)state;
    assert_int_equal(toposim("check scenarios/humanoid-basic.xml"), 0);
    assert_non_null(strstr(out_text, "ok"));
    assert_int_equal(toposim("plan scenarios/humanoid-basic.xml"), 0);
    const char *expect[] = {"control_loop", "h1_rt", "real-time-critical",
                            "vision_processing", "computation-heavy",
                            "telemetry", "data-processing", "cloud"};
    for (size_t i = 0; i < sizeof expect / sizeof *expect; i++)
        if (!strstr(out_text, expect[i]))
            fail_msg("plan output lacks %s:\n%s", expect[i], out_text);
}

/* A disk that fills up mid-run (a file size limit stands in for it, no
 * mount needed): a clear error, exit 2, no signal from HDF5's exit
 * handler, and no file left behind. */
static void test_full_disk_clean_error(void **state)
{
    (void)state;
    const int limits_kib[] = {8, 64, 512};
    for (size_t i = 0; i < sizeof limits_kib / sizeof limits_kib[0]; i++) {
        char cmd[4096];
        snprintf(cmd, sizeof cmd,
                 "trap '' XFSZ; ulimit -f %d; exec %s run "
                 "scenarios/jetson-thermal-throttle.xml -o %s/full/x.h5",
                 limits_kib[i], bin, tmpdir);
        char dir[1100];
        snprintf(dir, sizeof dir, "%s/full", tmpdir);
        assert_int_equal(mkdir(dir, 0700), 0);
        int rc = ts_test_shell_capture(tmpdir, cmd, out_text, sizeof out_text, err_text,
                                       sizeof err_text);
        assert_int_equal(rc, 2);
        assert_non_null(strstr(err_text, "x.h5"));
        assert_non_null(strstr(err_text, "cannot"));
        DIR *d = opendir(dir);
        assert_non_null(d);
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                fail_msg("left behind at %d KiB: %s", limits_kib[i], e->d_name);
        closedir(d);
        assert_int_equal(rmdir(dir), 0);
    }
}

/* Outputs never destroy inputs or special files; reads never block on a
 * FIFO; a models folder given by name must exist; a report that cannot be
 * written is not a success. */
static void test_inputs_and_special_files_guarded(void **state)
{
    (void)state;
    char scen[1100], trace[1100], fifo[1100];
    snprintf(scen, sizeof scen, "%s/mine.xml", tmpdir);
    snprintf(trace, sizeof trace, "%s/mine.h5", tmpdir);
    snprintf(fifo, sizeof fifo, "%s/fifo.xml", tmpdir);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cp scenarios/humanoid-basic.xml %s", scen);
    assert_int_equal(system(cmd), 0);

    assert_int_equal(toposim("run %s -o %s", scen, scen), 2);
    assert_non_null(strstr(err_text, "would destroy it"));
    assert_true(files_equal(scen, "scenarios/humanoid-basic.xml"));

    assert_int_equal(toposim("run %s -o /dev/null", scen), 2);
    assert_non_null(strstr(err_text, "not a regular file"));
    struct stat st;
    assert_int_equal(stat("/dev/null", &st), 0);
    assert_true(S_ISCHR(st.st_mode));

    assert_int_equal(toposim("run %s -o %s", scen, trace), 0);
    /* the same file through another spelling is still the input */
    assert_int_equal(toposim("validate --junit %s/../%s/mine.h5 %s", tmpdir,
                             strrchr(tmpdir, '/') + 1, trace), 2);
    assert_non_null(strstr(err_text, "would destroy it"));
    assert_int_equal(toposim("validate %s", trace), 0);

    /* in a group: the capture's own redirection comes after it */
    snprintf(cmd, sizeof cmd, "{ %s validate --json %s >/dev/full; }", bin, trace);
    assert_int_equal(ts_test_shell_capture(tmpdir, cmd, out_text, sizeof out_text, err_text,
                                           sizeof err_text), 2);
    assert_non_null(strstr(err_text, "cannot write to standard output"));

    assert_int_equal(mkfifo(fifo, 0600), 0);
    snprintf(cmd, sizeof cmd, "timeout 20 %s check %s", bin, fifo);
    assert_int_equal(ts_test_shell_capture(tmpdir, cmd, out_text, sizeof out_text, err_text,
                                           sizeof err_text), 2);
    assert_non_null(strstr(err_text, "not a regular file"));
    unlink(fifo);

    assert_int_equal(toposim("check --models %s/nonexistent %s", tmpdir, scen), 2);
    assert_non_null(strstr(err_text, "models folder given does not exist"));
    unlink(scen);
    unlink(trace);
}

/* A star fleet (bench_xml.h's form) of n robots, 100 ms, optionally with
 * <trace level=...>, written to tmpdir/name. */
static void write_star(const char *name, int n, const char *level)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "<scenario name=\"star\" seed=\"1\" duration=\"100ms\">\n<platform>\n"
               "<robot id=\"r0\"><computer id=\"r0_pc\" cores=\"1\" memory=\"1GiB\"/></robot>\n"
               "<edge id=\"site\"><server id=\"edge\" cores=\"8\" memory=\"256GiB\"/></edge>\n"
               "<link id=\"r0_l\" from=\"r0_pc\" to=\"edge\" bandwidth=\"100Mbps\" "
               "latency=\"2ms\"/>\n</platform>\n<components>\n"
               "<component id=\"r0_pub\" rate=\"100Hz\" exec=\"1us\" cpu=\"100m\" "
               "memory=\"1MiB\" node=\"r0_pc\"/>\n"
               "<component id=\"sink\" rate=\"1Hz\" exec=\"1us\" cpu=\"100m\" memory=\"1MiB\" "
               "node=\"edge\"/>\n</components>\n<topics>\n"
               "<topic id=\"r0_msg\" publisher=\"r0_pub\" subscribers=\"sink\" size=\"1000B\" "
               "budget=\"10ms\"/>\n</topics>\n");
    if (n > 1)
        fprintf(f, "<fleet id=\"star\" template=\"r0\" count=\"%d\"/>\n", n);
    if (level)
        fprintf(f, "<trace level=\"%s\"/>\n", level);
    fprintf(f, "</scenario>\n");
    fclose(f);
}

static int level_of(const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    ts_trace *t = NULL;
    ts_error err;
    assert_int_equal(ts_trace_load(path, &t, &err), TS_OK);
    int level = t->level;
    ts_trace_free(t);
    unlink(path);
    return level;
}

/* The trace level: summary by default above 100 robots (said on stderr),
 * --trace and <trace level=> choose it, bad or contradictory options
 * exit 2. */
static void test_trace_level_choice(void **state)
{
    (void)state;
    write_star("fleet101.xml", 101, NULL);
    write_star("fleet100.xml", 100, NULL);
    write_star("one.xml", 1, "summary");
    assert_int_equal(toposim("run -q %s/fleet101.xml -o %s/a.h5", tmpdir, tmpdir), 0);
    assert_non_null(strstr(err_text, "101 robots, more than 100: writing a summary trace"));
    assert_int_equal(level_of("a.h5"), TS_TRACE_LEVEL_SUMMARY);
    assert_int_equal(toposim("run -q %s/fleet100.xml -o %s/b.h5", tmpdir, tmpdir), 0);
    assert_null(strstr(err_text, "summary"));
    assert_int_equal(level_of("b.h5"), TS_TRACE_LEVEL_FULL);
    assert_int_equal(toposim("run -q --trace full %s/fleet101.xml -o %s/c.h5", tmpdir, tmpdir),
                     0);
    assert_null(strstr(err_text, "summary"));
    assert_int_equal(level_of("c.h5"), TS_TRACE_LEVEL_FULL);
    assert_int_equal(toposim("run -q %s/one.xml -o %s/d.h5", tmpdir, tmpdir), 0);
    assert_int_equal(level_of("d.h5"), TS_TRACE_LEVEL_SUMMARY);
    assert_int_equal(toposim("run -q --trace full %s/one.xml -o %s/e.h5", tmpdir, tmpdir), 0);
    assert_int_equal(level_of("e.h5"), TS_TRACE_LEVEL_FULL);

    assert_int_equal(toposim("run --trace partial %s/one.xml -o %s/f.h5", tmpdir, tmpdir), 2);
    assert_non_null(strstr(err_text, "--trace expects full or summary"));
    assert_int_equal(toposim("run --trace summary --trace-filter topic=r0_msg %s/one.xml -o "
                             "%s/f.h5", tmpdir, tmpdir), 2);
    assert_int_equal(toposim("run --trace-window 5s..1s %s/one.xml -o %s/f.h5", tmpdir, tmpdir),
                     2);
    assert_int_equal(toposim("run --trace full --trace-filter topic=nope %s/one.xml -o %s/f.h5",
                             tmpdir, tmpdir), 2);
    assert_non_null(strstr(err_text, "topic=nope"));
    assert_false(exists("f.h5"));
    char path[1200];
    snprintf(path, sizeof path, "%s/f.h5", tmpdir);
    assert_false(exists(path));
}

/* --set on run, check and plan: the value changes the run, the trace's
 * command line records it, and a bad one is exit 2 naming it. */
static void test_overrides_on_the_command_line(void **state)
{
    (void)state;
    assert_int_equal(toposim("check --set fleet.count=6 scenarios/canary-rollback.xml"), 0);
    assert_non_null(strstr(out_text, "ok (14 nodes"));
    assert_int_equal(toposim("plan --set 'node[h1_rt].cores=2' scenarios/canary-rollback.xml"), 0);
    assert_int_equal(toposim("run -q --duration 1s --set fleet.count=3 "
                             "--set 'link[h1_wifi].bandwidth=50Mbps' "
                             "scenarios/canary-rollback.xml -o %s/set.h5", tmpdir), 0);
    char path[1200];
    snprintf(path, sizeof path, "%s/set.h5", tmpdir);
    ts_trace *t = NULL;
    ts_error err;
    assert_int_equal(ts_trace_load(path, &t, &err), TS_OK);
    assert_non_null(strstr(t->command_line,
                           "--set fleet.count=3 --set 'link[h1_wifi].bandwidth=50Mbps'"));
    assert_int_equal(t->n_nodes, 4 + 2 * 2);
    ts_trace_free(t);
    unlink(path);
    assert_int_equal(toposim("run -q --set 'link[wifi].bandwidth=5' scenarios/canary-rollback.xml "
                             "-o %s/set.h5", tmpdir), 2);
    assert_non_null(strstr(err_text, "--set link[wifi].bandwidth=5: no <link> has the id"));
    assert_int_equal(toposim("check --set fleet.count=many scenarios/canary-rollback.xml"), 2);
    assert_non_null(strstr(err_text, "canary-rollback.xml:56: --set fleet.count=many"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_scenario_runs_and_validates),
        cmocka_unit_test(test_h5dump_shows_documented_layout),
        cmocka_unit_test(test_same_seed_identical_other_seed_differs),
        cmocka_unit_test(test_every_scenario_reproducible),
        cmocka_unit_test(test_bad_inputs_exit_2_with_file_line),
        cmocka_unit_test(test_failed_gate_exits_1),
        cmocka_unit_test(test_usage_and_help),
        cmocka_unit_test(test_check_and_plan),
        cmocka_unit_test(test_full_disk_clean_error),
        cmocka_unit_test(test_inputs_and_special_files_guarded),
        cmocka_unit_test(test_trace_level_choice),
        cmocka_unit_test(test_overrides_on_the_command_line),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
