/* ts_error: code names and formatting of error details. */
#include "toposim/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *ts_strerror(int code)
{
    switch (code) {
    case TS_OK: return "success";
    case TS_EINVAL: return "invalid value";
    case TS_ENOMEM: return "out of memory";
    case TS_EPARSE: return "parse error";
    case TS_EIO: return "input/output error";
    case TS_ERANGE: return "value out of range";
    case TS_ENOENT: return "no such item";
    case TS_EINFEASIBLE: return "infeasible";
    case TS_EFORMAT: return "bad trace format";
    case TS_EINTR: return "interrupted";
    default: return "unknown error";
    }
}

void ts_error_clear(ts_error *err)
{
    if (!err)
        return;
    err->code = TS_OK;
    err->line = 0;
    err->file[0] = '\0';
    err->msg[0] = '\0';
}

int ts_error_set(ts_error *err, int code, const char *file, int line,
                 const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    err->line = line;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

void ts_error_format(const ts_error *err, char *buf, size_t size)
{
    if (size == 0)
        return;
    if (!err) {
        buf[0] = '\0';
        return;
    }
    const char *msg = err->msg[0] ? err->msg : ts_strerror(err->code);
    if (err->file[0] && err->line > 0)
        snprintf(buf, size, "%s:%d: %s", err->file, err->line, msg);
    else if (err->file[0])
        snprintf(buf, size, "%s: %s", err->file, msg);
    else
        snprintf(buf, size, "%s", msg);
}
