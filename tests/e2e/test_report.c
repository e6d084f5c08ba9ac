/*
 * End to end through the toposim binary: `toposim report` on the trace of
 * every example scenario exits 0 and writes non-empty PNG and SVG images
 * and an index.html whose every image and link names a non-empty file of
 * the folder, and which links every image written; the default folder;
 * without gnuplot (or with one that fails) it exits 2 and still leaves
 * the data files and scripts; a corrupt trace exits 2 naming the file.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "shell_capture.h"

static char bin[PATH_MAX];
static char tmpdir[] = "/tmp/toposim-report-XXXXXX";
static char out_text[1 << 16];
static char err_text[1 << 16];
static char html[1 << 21];

#define shell TS_TEST_SHELL

static int setup(void **state)
{
    (void)state;
    const char *b = getenv("TOPOSIM_BIN");
    /* Absolute: some cases run from another folder. */
    b = b ? b : "build/toposim";
    char cwd[PATH_MAX / 2];
    if (b[0] == '/')
        snprintf(bin, sizeof bin, "%s", b);
    else if (getcwd(cwd, sizeof cwd))
        snprintf(bin, sizeof bin, "%s/%s", cwd, b);
    else
        return -1;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static off_t file_size(const char *dir, const char *name)
{
    char path[2048];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : -1;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* Every src="..." and href="..." of the page names a non-empty file of
 * dir (anchors "#..." aside, and nothing from the network); returns the
 * number of images (img src) it shows. Fails when a PNG or SVG of the
 * folder is not linked. */
static size_t check_page(const char *dir, const char *scenario)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/index.html", dir);
    ts_test_slurp(path, html, sizeof html);
    if (!strstr(html, "</html>"))
        fail_msg("%s: index.html missing or cut short", scenario);
    size_t images = 0;
    static const char *const attrs[] = {"src=\"", "href=\""};
    for (int a = 0; a < 2; a++)
        for (const char *p = html; (p = strstr(p, attrs[a])) != NULL;) {
            p += strlen(attrs[a]);
            const char *end = strchr(p, '"');
            assert_non_null(end);
            char target[512];
            snprintf(target, sizeof target, "%.*s", (int)(end - p), p);
            p = end;
            if (target[0] == '#')
                continue;
            if (strchr(target, ':') || strchr(target, '/'))
                fail_msg("%s: the page reaches outside its folder: %s", scenario, target);
            if (file_size(dir, target) <= 0)
                fail_msg("%s: the page names %s, which is missing or empty", scenario, target);
            images += a == 0;
        }
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    size_t png = 0, svg = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                fail_msg("%s: a temporary file is left: %s", scenario, e->d_name);
            continue;
        }
        int is_png = has_suffix(e->d_name, ".png"), is_svg = has_suffix(e->d_name, ".svg");
        if (!is_png && !is_svg)
            continue;
        png += is_png;
        svg += is_svg;
        char quoted[512];
        snprintf(quoted, sizeof quoted, "\"%s\"", e->d_name);
        if (!strstr(html, quoted))
            fail_msg("%s: image %s is not on the page", scenario, e->d_name);
        /* The bytes are what the name says. */
        char head[16] = "";
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *fp = fopen(path, "rb");
        assert_non_null(fp);
        size_t got = fread(head, 1, sizeof head - 1, fp);
        fclose(fp);
        if (is_png && (got < 8 || memcmp(head, "\x89PNG\r\n\x1a\n", 8) != 0))
            fail_msg("%s: %s is not a PNG", scenario, e->d_name);
        if (is_svg) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            static char svgtext[1 << 16];
            ts_test_slurp(path, svgtext, sizeof svgtext);
            if (!strstr(svgtext, "<svg"))
                fail_msg("%s: %s is not an SVG", scenario, e->d_name);
        }
    }
    closedir(d);
    if (png == 0 || svg == 0 || png != svg)
        fail_msg("%s: %zu PNG and %zu SVG images", scenario, png, svg);
    return images;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_every_example_scenario(void **state)
{
    (void)state;
    DIR *d = opendir("scenarios");
    assert_non_null(d);
    char *names[64];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 64)
        if (has_suffix(e->d_name, ".xml"))
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    assert_true(n >= 10);
    for (size_t i = 0; i < n; i++) {
        char stem[256];
        snprintf(stem, sizeof stem, "%.*s", (int)(strlen(names[i]) - 4), names[i]);
        int rc = shell("%s run -q scenarios/%s -o %s/%s.h5", bin, names[i], tmpdir, stem);
        if (rc != 0)
            fail_msg("run %s: exit %d: %s", names[i], rc, err_text);
        rc = shell("%s report %s/%s.h5 -o %s/%s-report", bin, tmpdir, stem, tmpdir, stem);
        if (rc != 0)
            fail_msg("report %s: exit %d: %s%s", names[i], rc, out_text, err_text);
        assert_non_null(strstr(out_text, "index.html"));
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/%s-report", tmpdir, stem);
        size_t images = check_page(dir, stem);
        /* At least a latency or response plot, the timeline and the
         * placement. */
        if (images < 3)
            fail_msg("%s: only %zu images on the page", stem, images);
        assert_non_null(strstr(html, "<th>seed</th>"));
        assert_non_null(strstr(html, "toposim version"));
        assert_true(strstr(html, ">PASS</span>") || strstr(html, ">FAIL</span>"));
        assert_non_null(strstr(html, "placement-000-nodes.png"));
        assert_non_null(strstr(html, "timeline-000-events.png"));
        free(names[i]);
    }
}

static void test_default_folder_and_same_bytes(void **state)
{
    (void)state;
    int rc = shell("%s run -q scenarios/edge-failover.xml -o %s/ef.h5", bin, tmpdir);
    assert_int_equal(rc, 0);
    /* Run from tmpdir: the report goes to results/ef-report/ there. */
    rc = shell("cd %s && %s report ef.h5", tmpdir, bin);
    if (rc != 0)
        fail_msg("report: exit %d: %s", rc, err_text);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/results/ef-report", tmpdir);
    check_page(dir, "edge-failover (default folder)");
    /* The same trace again: the same data files and scripts. */
    rc = shell("%s report %s/ef.h5 -o %s/ef-again", bin, tmpdir, tmpdir);
    assert_int_equal(rc, 0);
    rc = shell("cd %s && diff -r -x '*.png' -x '*.svg' -x index.html results/ef-report "
               "ef-again && echo same", tmpdir);
    if (rc != 0 || strcmp(out_text, "same\n") != 0)
        fail_msg("two reports of one trace differ:\n%s%s", out_text, err_text);
}

static void test_without_gnuplot(void **state)
{
    (void)state;
    int rc = shell("%s run -q scenarios/wifi-loss-burst.xml -o %s/wl.h5", bin, tmpdir);
    assert_int_equal(rc, 0);
    /* gnuplot not on PATH: exit 2, said on stderr, data and scripts there. */
    rc = shell("PATH=/nonexistent-folder %s report %s/wl.h5 -o %s/wl-none", bin, tmpdir,
               tmpdir);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err_text, "gnuplot is not on PATH"));
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/wl-none", tmpdir);
    assert_true(file_size(dir, "report.gp") > 0);
    assert_true(file_size(dir, "timeline-000-events.csv") > 0);
    assert_true(file_size(dir, "timeline-000-events.gp") > 0);
    assert_true(file_size(dir, "index.html") > 0);
    assert_int_equal(file_size(dir, "timeline-000-events.png"), -1);
    /* The scripts work later, run by hand in the folder. */
    rc = shell("cd %s && gnuplot timeline-000-events.gp && test -s timeline-000-events.png "
               "&& test -s timeline-000-events.svg && echo drawn", dir);
    assert_int_equal(rc, 0);
    assert_string_equal(out_text, "drawn\n");

    /* A gnuplot that does not run (exits 1): exit 2 too. */
    rc = shell("%s report %s/wl.h5 -o %s/wl-false --gnuplot /bin/false", bin, tmpdir, tmpdir);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err_text, "failed with exit 1"));
    snprintf(dir, sizeof dir, "%s/wl-false", tmpdir);
    assert_true(file_size(dir, "report.gp") > 0);
    rc = shell("ls -a %s | grep -c -e '\\.png' -e '\\.svg' -e tmp-", dir);
    assert_string_equal(out_text, "0\n");

    /* One that hangs is stopped at the time limit. */
    char hang[1024];
    snprintf(hang, sizeof hang, "%s/hanging-gnuplot", tmpdir);
    FILE *fp = fopen(hang, "w");
    assert_non_null(fp);
    fputs("#!/bin/sh\nsleep 30\n", fp);
    fclose(fp);
    chmod(hang, 0755);
    rc = shell("%s report %s/wl.h5 -o %s/wl-hang --gnuplot %s --timeout 0.5", bin, tmpdir,
               tmpdir, hang);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err_text, "was stopped"));
}

static void test_bad_input(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/garbage.h5", tmpdir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("this is not an HDF5 file\n", fp);
    fclose(fp);
    int rc = shell("%s report %s -o %s/garbage-report", bin, path, tmpdir);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err_text, "garbage.h5"));
    rc = shell("%s report %s/missing.h5", bin, tmpdir);
    assert_int_equal(rc, 2);
    rc = shell("%s report", bin);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err_text, "expected exactly one TRACE.h5"));
    rc = shell("%s report --help", bin);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out_text, "--gnuplot PATH"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_example_scenario),
        cmocka_unit_test(test_default_folder_and_same_bytes),
        cmocka_unit_test(test_without_gnuplot),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
