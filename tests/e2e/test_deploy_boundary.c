/*
 * The deployment code sees the world only through runtime.h and deploy.h:
 * the build's include check passes on src/deploy and fails, naming the
 * file and line, when a file there includes an engine, platform, sim,
 * trace or HDF5 header, or when a file other than the component-state
 * controller applies a component's state through the runtime.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

static int run_check(const char *dir, char *out, size_t size)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "bash tools/check-deploy-includes.sh %s 2>&1", dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_real_deploy_code_passes(void **state)
{
    (void)state;
    char out[4096];
    assert_int_equal(run_check("src/deploy", out, sizeof out), 0);
    assert_string_equal(out, "");
}

static void test_forbidden_includes_fail(void **state)
{
    (void)state;
    const char *forbidden[] = {"\"toposim/sim.h\"", "<toposim/platform.h>",
                               "\"toposim/trace.h\"", "<hdf5.h>",
                               "\"engine/queue.h\"", "\"toposim/scenario.h\""};
    for (size_t i = 0; i < sizeof forbidden / sizeof *forbidden; i++) {
        char dir[] = "/tmp/toposim-deploy-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char path[256];
        snprintf(path, sizeof path, "%s/policy.c", dir);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "#include \"toposim/deploy.h\"\n#include <string.h>\n#include %s\n",
                forbidden[i]);
        fclose(f);
        char out[4096];
        assert_int_equal(run_check(dir, out, sizeof out), 1);
        char where[300];
        snprintf(where, sizeof where, "%s:3:", path);
        if (!strstr(out, where))
            fail_msg("no %s in: %s", where, out);
        unlink(path);
        rmdir(dir);
    }
}

/* Only the controller hands a state to the runtime: a rollout (or any
 * other file) calling ts_rt_apply_component is refused, by file and line. */
static void test_apply_outside_controller_fails(void **state)
{
    (void)state;
    char dir[] = "/tmp/toposim-deploy-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], ok[256];
    snprintf(path, sizeof path, "%s/rollout.c", dir);
    snprintf(ok, sizeof ok, "%s/component_state.c", dir);
    const char *body = "#include \"toposim/deploy.h\"\n"
                       "static int f(const ts_runtime *rt, const ts_rt_component_state *st)\n"
                       "{ return ts_rt_apply_component(rt, 0, st); }\n";
    FILE *f = fopen(ok, "w");
    assert_non_null(f);
    fputs(body, f);
    fclose(f);
    char out[4096];
    assert_int_equal(run_check(dir, out, sizeof out), 0);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(body, f);
    fclose(f);
    assert_int_equal(run_check(dir, out, sizeof out), 1);
    char where[300];
    snprintf(where, sizeof where, "%s:3: only component_state.c", path);
    if (!strstr(out, where))
        fail_msg("no %s in: %s", where, out);
    unlink(path);
    unlink(ok);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_deploy_code_passes),
        cmocka_unit_test(test_forbidden_includes_fail),
        cmocka_unit_test(test_apply_outside_controller_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
