/* Command lines with captured output, for end-to-end tests. */
#define _POSIX_C_SOURCE 200809L
#include "shell_capture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <cmocka.h>

void ts_test_slurp(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;
    if (f) {
        n = fread(buf, 1, size - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
}

int ts_test_shellf(const char *dir, char *out, size_t out_size, char *err, size_t err_size,
                   const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof cmd);
    return ts_test_shell_capture(dir, cmd, out, out_size, err, err_size);
}

int ts_test_shell_capture(const char *dir, const char *cmd, char *out, size_t out_size,
                          char *err, size_t err_size)
{
    char line[8192], out_path[1200], err_path[1200];
    snprintf(out_path, sizeof out_path, "%s/stdout", dir);
    snprintf(err_path, sizeof err_path, "%s/stderr", dir);
    /* Braces: a list of commands ("cd D && a; b") is captured whole, not
     * only its last command. */
    snprintf(line, sizeof line, "{ %s\n} >%s 2>%s </dev/null", cmd, out_path, err_path);
    int status = system(line);
    ts_test_slurp(out_path, out, out_size);
    ts_test_slurp(err_path, err, err_size);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}
