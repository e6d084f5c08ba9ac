/*
 * Formatting shared by the validator's writers. Names come from a trace
 * that may have been built by hand or converted from logs, so they are
 * untrusted bytes: invalid UTF-8 and control characters are replaced.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "validate/validate_internal.h"

/* ---- UTF-8 ---- */

/* Decodes one sequence at s; returns its length, or 1 with *cp = U+FFFD for
 * a malformed, overlong or surrogate sequence (a NUL ends any sequence). */
size_t ts__utf8_next(const unsigned char *s, uint32_t *cp)
{
    unsigned c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2; v = c & 0x1F; min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3; v = c & 0x0F; min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4; v = c & 0x07; min = 0x10000;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = v;
    return len;
}

static int is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

/* Copies name into dst for a terminal: control characters become '?' and
 * malformed bytes U+FFFD. With width >= 0 the result has at most width
 * characters, cut with a trailing '~', and with pad exactly width. */
const char *ts__term_text(char *dst, size_t size, const char *name, int width,
                             int pad)
{
    const unsigned char *s = (const unsigned char *)(name ? name : "");
    size_t total = 0;
    for (const unsigned char *p = s; *p;) {
        uint32_t cp;
        p += ts__utf8_next(p, &cp);
        total++;
    }
    int cut = width >= 0 && total > (size_t)width;
    size_t keep = cut ? (width > 0 ? (size_t)width - 1 : 0) : total;
    size_t o = 0, n = 0;
    while (*s && n < keep && o + 5 < size) {
        uint32_t cp;
        size_t len = ts__utf8_next(s, &cp);
        if (is_control(cp)) {
            dst[o++] = '?';
        } else if (cp == 0xFFFD) {
            memcpy(dst + o, TS__REPLACEMENT, 3);
            o += 3;
        } else {
            memcpy(dst + o, s, len);
            o += len;
        }
        s += len;
        n++;
    }
    if (cut && width > 0 && o + 1 < size) {
        dst[o++] = '~';
        n++;
    }
    while (pad && width >= 0 && n < (size_t)width && o + 1 < size) {
        dst[o++] = ' ';
        n++;
    }
    dst[o] = '\0';
    return dst;
}

size_t ts__text_width(const char *name)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; n++) {
        uint32_t cp;
        p += ts__utf8_next(p, &cp);
    }
    return n;
}

/* ---- Human units ---- */

/* Four significant digits of a value in some unit: "1.965", "12.35",
 * "412.3". */
static void fmt_sig4(char *buf, size_t size, double value, const char *unit)
{
    int decimals = value < 9.9995 ? 3 : value < 99.995 ? 2 : 1;
    snprintf(buf, size, "%.*f%s", decimals, value, unit);
}

/* A duration in the largest unit that keeps it under 1000 after rounding,
 * e.g. "850ns", "412.3us", "1.965ms", "10.00s"; "-" for no sample. */
const char *ts__fmt_dur(char *buf, size_t size, int64_t ns)
{
    double v = (double)ns;
    if (ns < 0)
        snprintf(buf, size, "-");
    else if (ns < 1000)
        snprintf(buf, size, "%" PRId64 "ns", ns);
    else if (v < 999950.0)
        fmt_sig4(buf, size, v / 1e3, "us");
    else if (v < 999950000.0)
        fmt_sig4(buf, size, v / 1e6, "ms");
    else
        fmt_sig4(buf, size, v / 1e9, "s");
    return buf;
}

/* A fraction as a percentage with three decimals, truncated rather than
 * rounded so that anything short of all met never shows as 100.000%. The
 * 1e-6 absorbs the binary error of fractions such as 0.999. */
const char *ts__fmt_pct(char *buf, size_t size, double fraction)
{
    double milli = floor(fraction * 1e5 + 1e-6);
    snprintf(buf, size, "%.3f%%", milli / 1e3);
    return buf;
}

/* The shortest "%.*g" that reads back as the same double: 0.99, not
 * 0.98999999999999999. */
const char *ts__fmt_double(char *buf, size_t size, double d)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, d);
        if (!isfinite(d) || strtod(buf, NULL) == d)
            break;
    }
    return buf;
}


/* A gate's figure in its unit. */
const char *ts__fmt_gate_value(char *buf, size_t size, const ts_gate *g, double value)
{
    if (isnan(value)) {
        snprintf(buf, size, "-");
        return buf;
    }
    switch (g->unit) {
    case TS_UNIT_FRACTION: return ts__fmt_pct(buf, size, value);
    case TS_UNIT_SCORE100: snprintf(buf, size, "%.1f", value); break;
    case TS_UNIT_NS: return ts__fmt_dur(buf, size, (int64_t)llround(value));
    case TS_UNIT_CELSIUS: snprintf(buf, size, "%.2fC", value); break;
    case TS_UNIT_WATT: snprintf(buf, size, "%.2fW", value); break;
    default: snprintf(buf, size, "%.0f", value); break;
    }
    return buf;
}

void ts__emit(const ts__sink *sink, const char *fmt, ...)
{
    char buf[TS__LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    sink->line(sink->ctx, buf);
}

size_t ts__failed_gates(const ts_validation *v)
{
    size_t failed = 0;
    for (size_t i = 0; i < v->n_gates; i++)
        if (!v->gates[i].pass)
            failed++;
    return failed;
}
