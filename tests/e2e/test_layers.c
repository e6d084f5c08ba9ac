/*
 * The module table of src/README.md holds: tools/check-layers.sh passes on
 * the real tree, and fails, naming file and line, on a tree where the
 * platform includes the trace or the scenario loader includes the
 * deployment code; a module may include what its row lists; and src/sim's
 * files include each other without a cycle (a file and its header are one
 * node), the check naming the cycle when a tree has one.
 */
#define _POSIX_C_SOURCE 200809L
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

static int run_check(const char *root, char *out, size_t size)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "bash tools/check-layers.sh %s 2>&1", root);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void write_file(const char *root, const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A tree with the real module table and empty module folders. */
static void make_tree(char *root)
{
    assert_non_null(mkdtemp(root));
    const char *dirs[] = {"src", "include", "include/toposim", "src/util", "src/engine",
                          "src/platform", "src/qos", "src/deploy", "src/scenario",
                          "src/sim", "src/trace", "src/validate", "src/cli", "src/rt_posix"};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", root, dirs[i]);
        assert_int_equal(mkdir(path, 0755), 0);
    }
    FILE *in = fopen("src/README.md", "r");
    assert_non_null(in);
    char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, in);
    fclose(in);
    buf[n] = '\0';
    write_file(root, "src/README.md", buf);
}

static void test_real_tree_passes(void **state)
{
    (void)state;
    char out[4096];
    assert_int_equal(run_check(".", out, sizeof out), 0);
    assert_string_equal(out, "");
}

static void test_crossings_fail_with_file_and_line(void **state)
{
    (void)state;
    const struct { const char *file, *text, *expect; } cases[] = {
        {"src/platform/network.c", "#include <string.h>\n#include \"toposim/trace.h\"\n",
         "src/platform/network.c:2: module platform may not include 'toposim/trace.h'"},
        {"src/scenario/fields.c", "#include \"toposim/deploy_qos.h\"\n",
         "src/scenario/fields.c:1: module scenario may not include 'toposim/deploy_qos.h'"},
        {"src/engine/queue.c", "#include <hdf5.h>\n",
         "src/engine/queue.c:1: module engine may not include 'hdf5.h'"},
        {"src/validate/score.c", "#include \"sim/world_internal.h\"\n",
         "src/validate/score.c:1: module validate may not include 'sim/world_internal.h'"},
        {"src/deploy/policy.c", "#include <unistd.h>\n",
         "src/deploy/policy.c:1: module deploy may not include 'unistd.h'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char root[] = "/tmp/toposim-layers-XXXXXX";
        make_tree(root);
        write_file(root, cases[i].file, cases[i].text);
        char out[4096];
        assert_int_equal(run_check(root, out, sizeof out), 1);
        if (!strstr(out, cases[i].expect))
            fail_msg("expected \"%s\" in:\n%s", cases[i].expect, out);
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf %s", root);
        assert_int_equal(system(cmd), 0);
    }
}

static void test_listed_modules_pass(void **state)
{
    (void)state;
    char root[] = "/tmp/toposim-layers-XXXXXX";
    make_tree(root);
    write_file(root, "include/toposim/qos.h", "#include <stdint.h>\n#include \"toposim/error.h\"\n");
    write_file(root, "include/toposim/error.h", "#include <stdio.h>\n");
    write_file(root, "src/scenario/fields.c",
               "#include \"toposim/qos.h\"\n#include <libxml/parser.h>\n#include \"loader.h\"\n");
    write_file(root, "src/sim/world.c", "#include \"toposim/trace.h\"\n#include <gsl/gsl_rng.h>\n");
    char out[4096];
    int rc = run_check(root, out, sizeof out);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
    if (rc != 0)
        fail_msg("exit %d:\n%s", rc, out);
}

/* src/sim's subsystems: a -> b -> c -> a through headers and a .c file
 * (c.c counts as c.h's node) fails naming the loop; the same files
 * without the closing include pass. */
static void test_sim_include_cycle_fails(void **state)
{
    (void)state;
    for (int closed = 1; closed >= 0; closed--) {
        char root[] = "/tmp/toposim-layers-XXXXXX";
        make_tree(root);
        write_file(root, "src/sim/a.h", "#include \"toposim/world.h\"\n");
        write_file(root, "src/sim/a.c", "#include \"sim/a.h\"\n#include \"sim/b.h\"\n");
        write_file(root, "src/sim/b.h", "#include \"sim/c.h\"\n");
        write_file(root, "src/sim/c.h", "#include <stddef.h>\n");
        write_file(root, "src/sim/c.c", closed ? "#include \"sim/c.h\"\n#include \"a.h\"\n"
                                               : "#include \"sim/c.h\"\n");
        char out[4096];
        int rc = run_check(root, out, sizeof out);
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf %s", root);
        assert_int_equal(system(cmd), 0);
        if (closed) {
            assert_int_equal(rc, 1);
            if (!strstr(out, "src/sim: include cycle: a -> b -> c -> a"))
                fail_msg("expected the cycle a -> b -> c -> a in:\n%s", out);
        } else if (rc != 0) {
            fail_msg("exit %d without a cycle:\n%s", rc, out);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_tree_passes),
        cmocka_unit_test(test_crossings_fail_with_file_and_line),
        cmocka_unit_test(test_listed_modules_pass),
        cmocka_unit_test(test_sim_include_cycle_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
