/*
 * toposim error reporting: small negative codes (as libuv) plus a ts_error
 * object that carries the detail, file:line where there is one (as SQLite
 * keeps it on the handle). Library code fills a ts_error and returns the
 * code; it never prints or exits. Only src/cli/ prints.
 */
#ifndef TOPOSIM_ERROR_H
#define TOPOSIM_ERROR_H

#include <stddef.h>

enum {
    TS_OK = 0,
    TS_EINVAL = -1,      /* a value is not what was expected */
    TS_ENOMEM = -2,      /* an allocation failed */
    TS_EPARSE = -3,      /* a document could not be parsed or validated */
    TS_EIO = -4,         /* a file could not be read or written */
    TS_ERANGE = -5,      /* a number is out of range (overflow, negative) */
    TS_ENOENT = -6,      /* a referenced thing does not exist */
    TS_EINFEASIBLE = -7, /* no placement satisfies the constraints */
    TS_EFORMAT = -8,     /* a trace file is not in the expected format */
    TS_EINTR = -9        /* interrupted (a signal) before the work was done */
};

/* The detail of the last error; file is empty and line 0 when unknown. */
typedef struct ts_error {
    int code;
    int line;
    char file[512];
    char msg[1024];
} ts_error;

/* Returns a static, human-readable name for an error code. */
const char *ts_strerror(int code);

/* Resets err (if not NULL) to "no error". */
void ts_error_clear(ts_error *err);

/* Fills err (if not NULL) with code, file (may be NULL), line and a
 * printf-style message; returns code so callers can `return ts_error_set(..)`. */
int ts_error_set(ts_error *err, int code, const char *file, int line,
                 const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* Writes "file:line: message" (or just "message" without a file) into buf. */
void ts_error_format(const ts_error *err, char *buf, size_t size);

#endif
