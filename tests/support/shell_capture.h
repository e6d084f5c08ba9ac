/*
 * Running a command line from an end-to-end test with its output captured:
 * what the binary printed is read back into buffers the test owns, so its
 * assertions can search them.
 */
#ifndef TOPOSIM_TEST_SHELL_CAPTURE_H
#define TOPOSIM_TEST_SHELL_CAPTURE_H

#include <stddef.h>

/* Reads up to size - 1 bytes of path into buf, NUL-terminated; an empty
 * string when the file cannot be read. */
void ts_test_slurp(const char *path, char *buf, size_t size);

/* Runs the shell command line cmd with stdin from /dev/null and stdout and
 * stderr captured through files in dir, then read into out and err (each
 * NUL-terminated). Fails the test unless the command exited normally;
 * returns its exit code. */
int ts_test_shell_capture(const char *dir, const char *cmd, char *out, size_t out_size,
                          char *err, size_t err_size);

/* The same with the command line formatted as printf does (at most 8 KiB). */
int ts_test_shellf(const char *dir, char *out, size_t out_size, char *err, size_t err_size,
                   const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* For a test file with `tmpdir`, `out_text` and `err_text` arrays: runs a
 * formatted command line with its output captured there. */
#define TS_TEST_SHELL(...)                                                              \
    ts_test_shellf(tmpdir, out_text, sizeof out_text, err_text, sizeof err_text, __VA_ARGS__)

#endif
