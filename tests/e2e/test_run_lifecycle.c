/*
 * A run's life outside the simulation, end to end through the binary: a
 * SIGTERM leaves nothing in the output folder and exits 143; with
 * --keep-partial a SIGINT leaves a valid trace that validate fails as
 * unfinished; the default results folder is made when missing, a missing
 * folder given with -o is named in words (not HDF5's); a terminal gets a
 * progress line, a pipe and -q do not.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "shell_capture.h"

static char bin[PATH_MAX];
static char scenarios[PATH_MAX];
static char tmpdir[] = "/tmp/toposim-life-XXXXXX";
static char outdir[PATH_MAX + 16];  /* the runs' output folder */
static char out_text[1 << 16];
static char err_text[1 << 16];

#define shell TS_TEST_SHELL

/* Names in dir (but . and ..), joined by spaces into buf; their count. */
static int list_dir(const char *dir, char *buf, size_t size)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    size_t at = 0;
    buf[0] = '\0';
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            n++;
            at += (size_t)snprintf(buf + at, at < size ? size - at : 0, "%s ", e->d_name);
        }
    closedir(d);
    return n;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Starts `toposim run SCENARIO --duration 3600s -o OUT [extra]` with its
 * output in tmpdir/run.err, waits (up to 60 s) until its temporary trace
 * is in outdir and it has run a little, sends sig and returns the wait
 * status. */
static int run_and_signal(const char *out, const char *extra, int sig)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err_path[PATH_MAX + 16];
        snprintf(err_path, sizeof err_path, "%s/run.err", tmpdir);
        int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0)
            _exit(99);
        dup2(fd, 1);
        dup2(fd, 2);
        char scen[PATH_MAX + 32];
        snprintf(scen, sizeof scen, "%s/humanoid-basic.xml", scenarios);
        if (extra)
            execl(bin, bin, "run", scen, "--duration", "3600s", "-o", out, extra, (char *)NULL);
        else
            execl(bin, bin, "run", scen, "--duration", "3600s", "-o", out, (char *)NULL);
        _exit(98);
    }
    char names[4096];
    int seen = 0;
    for (int i = 0; i < 600 && !seen; i++) {
        sleep_ms(100);
        seen = list_dir(outdir, names, sizeof names) > 0 && strstr(names, ".tmp-") != NULL;
    }
    assert_true(seen);
    sleep_ms(300);          /* well into the run */
    assert_int_equal(kill(pid, sig), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    char err_path[PATH_MAX + 16];
    snprintf(err_path, sizeof err_path, "%s/run.err", tmpdir);
    ts_test_slurp(err_path, err_text, sizeof err_text);
    return status;
}

static int setup(void **state)
{
    (void)state;
    const char *b = getenv("TOPOSIM_BIN");
    if (!realpath(b ? b : "build/toposim", bin) || !realpath("scenarios", scenarios) ||
        !mkdtemp(tmpdir))
        return -1;
    snprintf(outdir, sizeof outdir, "%s/out", tmpdir);
    return mkdir(outdir, 0700);
}

static int teardown(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_sigterm_leaves_nothing(void **state)
{
    (void)state;
    char out[PATH_MAX + 32], names[4096];
    snprintf(out, sizeof out, "%s/long.h5", outdir);
    int status = run_and_signal(out, NULL, SIGTERM);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 143);
    assert_non_null(strstr(err_text, "stopped by SIGTERM"));
    assert_non_null(strstr(err_text, "no trace written"));
    assert_int_equal(list_dir(outdir, names, sizeof names), 0);
}

static void test_keep_partial_is_valid_but_fails(void **state)
{
    (void)state;
    char out[PATH_MAX + 32], names[4096];
    snprintf(out, sizeof out, "%s/partial.h5", outdir);
    int status = run_and_signal(out, "--keep-partial", SIGINT);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 130);
    assert_non_null(strstr(err_text, "partial trace"));
    /* the trace under its final name, no temporary beside it */
    assert_int_equal(list_dir(outdir, names, sizeof names), 1);
    assert_string_equal(names, "partial.h5 ");
    assert_int_equal(shell("%s validate %s", bin, out), 1);
    assert_non_null(strstr(out_text, "RUN DID NOT FINISH"));
    assert_non_null(strstr(out_text, "run:finished"));
    unlink(out);
}

static void test_output_folders(void **state)
{
    (void)state;
    char work[PATH_MAX + 16], path[PATH_MAX + 64];
    snprintf(work, sizeof work, "%s/fresh", tmpdir);
    assert_int_equal(mkdir(work, 0700), 0);
    /* the default folder, made where the run is started */
    assert_int_equal(shell("cd %s && %s run -q --duration 1s %s/wifi-loss-burst.xml", work, bin,
                           scenarios), 0);
    snprintf(path, sizeof path, "%s/results/wifi-loss-burst.h5", work);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > 0);
    /* a folder given with -o must exist, and is named in words */
    assert_int_equal(shell("%s run -q --duration 1s %s/wifi-loss-burst.xml -o %s/nope/x.h5", bin,
                           scenarios, work), 2);
    assert_non_null(strstr(err_text, "does not exist"));
    assert_null(strstr(err_text, "HDF5"));
    assert_null(strstr(err_text, "errno"));
    snprintf(path, sizeof path, "%s/nope", work);
    assert_int_equal(stat(path, &st), -1);
}

static void test_progress_only_on_a_terminal(void **state)
{
    (void)state;
    char out[PATH_MAX + 32];
    snprintf(out, sizeof out, "%s/progress.h5", tmpdir);
    /* a pipe: quiet */
    assert_int_equal(shell("%s run --duration 20s %s/humanoid-basic.xml -o %s", bin, scenarios,
                           out), 0);
    assert_null(strstr(err_text, "\r"));
    assert_null(strstr(err_text, "left"));
    /* a terminal (script(1) gives the run a pseudo-terminal) */
    if (shell("command -v script") != 0) {
        skip();
        return;
    }
    assert_int_equal(shell("script -qec '%s run --duration 20s %s/humanoid-basic.xml -o %s' "
                           "/dev/null",
                           bin, scenarios, out),
                     0);
    assert_non_null(strstr(out_text, "\r  simulated "));
    assert_non_null(strstr(out_text, "events/s"));
    assert_non_null(strstr(out_text, " left"));
    /* and -q silences it there too */
    assert_int_equal(shell("script -qec '%s run -q --duration 20s %s/humanoid-basic.xml -o %s' "
                           "/dev/null",
                           bin, scenarios, out),
                     0);
    assert_null(strstr(out_text, "simulated "));
    unlink(out);
}

static long size_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* The three compression settings give the same verdict from traces of
 * falling size; an unknown one is a usage error. */
static void test_trace_compression(void **state)
{
    (void)state;
    static const char *const names[] = {"none", "fast", "max"};
    char path[3][PATH_MAX + 32];
    char verdict[3][256];
    for (int i = 0; i < 3; i++) {
        snprintf(path[i], sizeof path[i], "%s/c_%s.h5", tmpdir, names[i]);
        assert_int_equal(shell("%s run -q --trace-compress %s --duration 2s "
                               "%s/humanoid-basic.xml -o %s",
                               bin, names[i], scenarios, path[i]),
                         0);
        assert_int_equal(shell("%s validate %s", bin, path[i]), 0);
        const char *r = strstr(out_text, "RESULT:");
        assert_non_null(r);
        snprintf(verdict[i], sizeof verdict[i], "%.*s", (int)strcspn(r, "\n"), r);
    }
    assert_string_equal(verdict[0], verdict[1]);
    assert_string_equal(verdict[1], verdict[2]);
    assert_true(size_of(path[0]) > 2 * size_of(path[1]));
    assert_true(size_of(path[1]) >= size_of(path[2]));
    assert_int_equal(shell("%s run --trace-compress zstd %s/humanoid-basic.xml -o %s", bin,
                           scenarios, path[0]),
                     2);
    assert_non_null(strstr(err_text, "none, fast or max"));
    for (int i = 0; i < 3; i++)
        unlink(path[i]);
}

/* out_text with every run of white space made one space. */
static void squeeze_output(void)
{
    size_t j = 0;
    for (size_t i = 0; out_text[i]; i++) {
        int space = out_text[i] == ' ' || out_text[i] == '\n' || out_text[i] == '\t';
        if (space && j > 0 && out_text[j - 1] == ' ')
            continue;
        out_text[j++] = space ? ' ' : out_text[i];
    }
    out_text[j] = '\0';
}

/* A fleet's /subscriptions is written in blocks of 1024 rows: 2500 robots
 * give 2500 rows, each robot's topic to the one sink, in topic order. */
static void test_subscriptions_in_blocks(void **state)
{
    (void)state;
    char scen[PATH_MAX + 32], trace[PATH_MAX + 32];
    snprintf(scen, sizeof scen, "%s/star.xml", tmpdir);
    snprintf(trace, sizeof trace, "%s/star.h5", tmpdir);
    FILE *f = fopen(scen, "w");
    assert_non_null(f);
    fputs("<?xml version=\"1.0\"?>\n<scenario name=\"star\" seed=\"1\" duration=\"20ms\">\n"
          "<platform><robot id=\"r0\"><computer id=\"r0_pc\" cores=\"1\" memory=\"1GiB\"/>"
          "</robot><edge id=\"site\"><server id=\"edge\" cores=\"8\" memory=\"256GiB\"/></edge>"
          "<link id=\"r0_l\" from=\"r0_pc\" to=\"edge\" bandwidth=\"100Mbps\" latency=\"2ms\"/>"
          "</platform><components>"
          "<component id=\"r0_pub\" rate=\"100Hz\" exec=\"1us\" cpu=\"100m\" memory=\"1MiB\" "
          "node=\"r0_pc\"/><component id=\"sink\" rate=\"1Hz\" exec=\"1us\" cpu=\"100m\" "
          "memory=\"1MiB\" node=\"edge\"/></components><topics>"
          "<topic id=\"r0_msg\" publisher=\"r0_pub\" subscribers=\"sink\" size=\"1000B\"/>"
          "</topics><fleet id=\"star\" template=\"r0\" count=\"2500\"/></scenario>\n", f);
    fclose(f);
    assert_int_equal(shell("%s run -q %s -o %s", bin, scen, trace), 0);
    assert_int_equal(shell("h5ls %s/subscriptions", trace), 0);
    assert_non_null(strstr(out_text, "{2500/"));
    /* rows 0, 1023, 1024 and 2499: topic k to the sink (component 1) */
    assert_int_equal(shell("h5dump -d /subscriptions -s 1023 -c 2 -m %%d %s", trace), 0);
    squeeze_output();
    assert_non_null(strstr(out_text, "(1023): { 1023, 1,"));
    assert_non_null(strstr(out_text, "(1024): { 1024, 1,"));
    assert_int_equal(shell("h5dump -d /subscriptions -s 2499 -c 1 -m %%d %s", trace), 0);
    squeeze_output();
    assert_non_null(strstr(out_text, "(2499): { 2499, 1,"));
    unlink(scen);
    unlink(trace);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigterm_leaves_nothing),
        cmocka_unit_test(test_keep_partial_is_valid_but_fails),
        cmocka_unit_test(test_output_folders),
        cmocka_unit_test(test_progress_only_on_a_terminal),
        cmocka_unit_test(test_trace_compression),
        cmocka_unit_test(test_subscriptions_in_blocks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
