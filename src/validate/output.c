/*
 * The validator's writers: a text scorecard sized for a 100-column
 * terminal, one JSON object, and JUnit XML for CI. Names come from a trace
 * that may have been built by hand or converted from logs, so every writer
 * treats them as untrusted bytes: invalid UTF-8 and control characters are
 * replaced, and each format's special characters are escaped.
 */
#include "toposim/validate.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/atomic_file.h"
#include "validate/validate_internal.h"

#define LINE_MAX_BYTES 2048
#define TERM_COLUMNS 100
#define NAME_COL_MAX 30   /* topic/component names: the topic table is 100 wide */
#define GATE_TAIL_MAX (TERM_COLUMNS - 44) /* after "  PASS  required ...  " */
#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

/* ---- UTF-8 ---- */

/* Decodes one sequence at s; returns its length, or 1 with *cp = U+FFFD for
 * a malformed, overlong or surrogate sequence (a NUL ends any sequence). */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
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
static const char *term_text(char *dst, size_t size, const char *name, int width,
                             int pad)
{
    const unsigned char *s = (const unsigned char *)(name ? name : "");
    size_t total = 0;
    for (const unsigned char *p = s; *p;) {
        uint32_t cp;
        p += utf8_next(p, &cp);
        total++;
    }
    int cut = width >= 0 && total > (size_t)width;
    size_t keep = cut ? (width > 0 ? (size_t)width - 1 : 0) : total;
    size_t o = 0, n = 0;
    while (*s && n < keep && o + 5 < size) {
        uint32_t cp;
        size_t len = utf8_next(s, &cp);
        if (is_control(cp)) {
            dst[o++] = '?';
        } else if (cp == 0xFFFD) {
            memcpy(dst + o, REPLACEMENT, 3);
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

static size_t text_width(const char *name)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; n++) {
        uint32_t cp;
        p += utf8_next(p, &cp);
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
static const char *fmt_dur(char *buf, size_t size, int64_t ns)
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
static const char *fmt_pct(char *buf, size_t size, double fraction)
{
    double milli = floor(fraction * 1e5 + 1e-6);
    snprintf(buf, size, "%.3f%%", milli / 1e3);
    return buf;
}

/* The shortest "%.*g" that reads back as the same double: 0.99, not
 * 0.98999999999999999. */
static const char *fmt_double(char *buf, size_t size, double d)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, d);
        if (!isfinite(d) || strtod(buf, NULL) == d)
            break;
    }
    return buf;
}

/* ---- Line sinks: the scorecard goes to a terminal or into JUnit ---- */

typedef struct line_sink {
    void (*line)(void *ctx, const char *text);
    void *ctx;
} line_sink;

static void emit(const line_sink *sink, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void emit(const line_sink *sink, const char *fmt, ...)
{
    char buf[LINE_MAX_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    sink->line(sink->ctx, buf);
}

static int name_column(const ts_validation *v, ts_score_kind kind)
{
    size_t w = 4; /* "name" */
    for (size_t i = 0; i < v->n_scores; i++)
        if (v->scores[i].kind == kind) {
            size_t n = text_width(v->scores[i].name);
            if (n > w)
                w = n;
        }
    return (int)(w > NAME_COL_MAX ? NAME_COL_MAX : w);
}

static void emit_topics(const ts_validation *v, const line_sink *sink)
{
    char name[LINE_MAX_BYTES / 4], pct[32], p50[32], p99[32], max[32], budget[32];
    int w = name_column(v, TS_SCORE_TOPIC);
    emit(sink, "Topics (latency of delivered samples)");
    emit(sink, "  %s %8s %8s %6s %10s %7s %7s %7s %7s",
         term_text(name, sizeof name, "name", w, 1), "samples", "met", "lost",
         "compliance", "p50", "p99", "max", "budget");
    size_t shown = 0;
    for (size_t i = 0; i < v->n_scores; i++) {
        const ts_score *s = &v->scores[i];
        if (s->kind != TS_SCORE_TOPIC)
            continue;
        emit(sink, "  %s %8" PRIu64 " %8" PRIu64 " %6" PRIu64 " %10s %7s %7s %7s %7s",
             term_text(name, sizeof name, s->name, w, 1), s->total, s->met, s->lost,
             fmt_pct(pct, sizeof pct, s->compliance),
             fmt_dur(p50, sizeof p50, s->p50_ns), fmt_dur(p99, sizeof p99, s->p99_ns),
             fmt_dur(max, sizeof max, s->max_ns),
             s->budget_ns > 0 ? fmt_dur(budget, sizeof budget, s->budget_ns) : "none");
        shown++;
    }
    if (!shown)
        emit(sink, "  (no topics)");
}

static void emit_components(const ts_validation *v, const line_sink *sink)
{
    char name[LINE_MAX_BYTES / 4], pct[32], p50[32], p99[32], max[32], deadline[32];
    int w = name_column(v, TS_SCORE_COMPONENT);
    emit(sink, "Components (response time of finished jobs)");
    emit(sink, "  %s %8s %8s %10s %7s %7s %7s %8s",
         term_text(name, sizeof name, "name", w, 1), "jobs", "met", "compliance",
         "p50", "p99", "max", "deadline");
    size_t shown = 0;
    for (size_t i = 0; i < v->n_scores; i++) {
        const ts_score *s = &v->scores[i];
        if (s->kind != TS_SCORE_COMPONENT)
            continue;
        emit(sink, "  %s %8" PRIu64 " %8" PRIu64 " %10s %7s %7s %7s %8s",
             term_text(name, sizeof name, s->name, w, 1), s->total, s->met,
             fmt_pct(pct, sizeof pct, s->compliance),
             fmt_dur(p50, sizeof p50, s->p50_ns), fmt_dur(p99, sizeof p99, s->p99_ns),
             fmt_dur(max, sizeof max, s->max_ns),
             fmt_dur(deadline, sizeof deadline, s->budget_ns));
        shown++;
    }
    if (!shown)
        emit(sink, "  (no components)");
}

static void emit_scores(const ts_validation *v, const line_sink *sink)
{
    emit_topics(v, sink);
    emit(sink, "%s", "");
    emit_components(v, sink);
}

static size_t failed_gates(const ts_validation *v)
{
    size_t failed = 0;
    for (size_t i = 0; i < v->n_gates; i++)
        if (!v->gates[i].pass)
            failed++;
    return failed;
}

static void print_line(void *ctx, const char *text)
{
    fputs(text, (FILE *)ctx);
    fputc('\n', (FILE *)ctx);
}

/* The part of a gate line after the figures: its name, plus the worst target
 * when the name does not already say it (gates over all targets). */
static void gate_tail(char *buf, size_t size, const ts_gate *g)
{
    const char *colon = strchr(g->name, ':');
    const char *target = colon ? colon + 1 : g->name;
    if (!g->worst[0])
        snprintf(buf, size, "%s (no targets)", g->name);
    else if (strcmp(g->worst, target) != 0)
        snprintf(buf, size, "%s (worst: %s)", g->name, g->worst);
    else
        snprintf(buf, size, "%s", g->name);
}

void ts_validation_print_text(const ts_validation *v, FILE *out)
{
    if (!v || !out)
        return;
    line_sink sink = {print_line, out};
    char text[LINE_MAX_BYTES / 2], dur[32], req[32], act[32];
    emit(&sink, "toposim scorecard");
    emit(&sink, "  scenario:  %s", term_text(text, sizeof text, v->scenario_name, -1, 0));
    emit(&sink, "  simulated: %s (%" PRId64 " ns)", fmt_dur(dur, sizeof dur, v->duration_ns),
         v->duration_ns);
    emit(&sink, "%s", "");
    emit_scores(v, &sink);
    emit(&sink, "%s", "");

    /* Figures first, names last: the columns stay aligned whatever the
     * names, and a long name is cut to keep the line within TERM_COLUMNS. */
    emit(&sink, "Gates");
    for (size_t i = 0; i < v->n_gates; i++) {
        const ts_gate *g = &v->gates[i];
        char tail[LINE_MAX_BYTES / 4];
        gate_tail(tail, sizeof tail, g);
        emit(&sink, "  %s  required %8s  actual %8s  %s", g->pass ? "PASS" : "FAIL",
             fmt_pct(req, sizeof req, g->required), fmt_pct(act, sizeof act, g->actual),
             term_text(text, sizeof text, tail, GATE_TAIL_MAX, 0));
    }
    if (!v->n_gates)
        emit(&sink, "  (no gates)");
    emit(&sink, "%s", "");

    size_t failed = failed_gates(v);
    if (failed == 0)
        emit(&sink, "RESULT: PASS (%zu/%zu gates)", v->n_gates, v->n_gates);
    else
        emit(&sink, "RESULT: FAIL (%zu of %zu gates failed)", failed, v->n_gates);
}

/* ---- JSON ---- */

/* A JSON string; U+2028/2029 are escaped too so the output is also safe to
 * embed in JavaScript. */
static void json_string(FILE *out, const char *text)
{
    const unsigned char *s = (const unsigned char *)(text ? text : "");
    fputc('"', out);
    while (*s) {
        uint32_t cp;
        size_t len = utf8_next(s, &cp);
        switch (cp) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\b': fputs("\\b", out); break;
        case '\f': fputs("\\f", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (cp < 0x20 || cp == 0x2028 || cp == 0x2029)
                fprintf(out, "\\u%04x", (unsigned)cp);
            else if (cp == 0xFFFD)
                fputs(REPLACEMENT, out);
            else
                fwrite(s, 1, len, out);
        }
        s += len;
    }
    fputc('"', out);
}

/* Null for NaN and infinities, which JSON cannot carry. */
static void json_double(FILE *out, double d)
{
    char buf[40];
    fputs(isfinite(d) ? fmt_double(buf, sizeof buf, d) : "null", out);
}

static void json_ns(FILE *out, int64_t ns)
{
    if (ns < 0)
        fputs("null", out);
    else
        fprintf(out, "%" PRId64, ns);
}

static void json_score(FILE *out, const ts_score *s)
{
    fprintf(out, "{\"index\": %d, \"name\": ", (int)s->index);
    json_string(out, s->name);
    fprintf(out, ", \"total\": %" PRIu64 ", \"met\": %" PRIu64, s->total, s->met);
    if (s->kind == TS_SCORE_TOPIC)
        fprintf(out, ", \"lost\": %" PRIu64, s->lost);
    fputs(", \"compliance\": ", out);
    json_double(out, s->compliance);
    fputs(", \"p50_ns\": ", out);
    json_ns(out, s->p50_ns);
    fputs(", \"p99_ns\": ", out);
    json_ns(out, s->p99_ns);
    fputs(", \"max_ns\": ", out);
    json_ns(out, s->max_ns);
    fprintf(out, ", \"%s\": %" PRId64 "}",
            s->kind == TS_SCORE_TOPIC ? "budget_ns" : "deadline_ns", s->budget_ns);
}

static void json_scores(FILE *out, const ts_validation *v, ts_score_kind kind)
{
    size_t shown = 0;
    fputc('[', out);
    for (size_t i = 0; i < v->n_scores; i++) {
        if (v->scores[i].kind != kind)
            continue;
        fputs(shown++ ? ",\n    " : "\n    ", out);
        json_score(out, &v->scores[i]);
    }
    fputs(shown ? "\n  ]" : "]", out);
}

void ts_validation_print_json(const ts_validation *v, FILE *out)
{
    if (!v || !out)
        return;
    fputs("{\n  \"scenario\": ", out);
    json_string(out, v->scenario_name);
    fprintf(out, ",\n  \"duration_ns\": %" PRId64 ",\n  \"pass\": %s,\n  \"topics\": ",
            v->duration_ns, v->all_pass ? "true" : "false");
    json_scores(out, v, TS_SCORE_TOPIC);
    fputs(",\n  \"components\": ", out);
    json_scores(out, v, TS_SCORE_COMPONENT);
    fputs(",\n  \"gates\": [", out);
    for (size_t i = 0; i < v->n_gates; i++) {
        const ts_gate *g = &v->gates[i];
        fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", out);
        json_string(out, g->name);
        fputs(", \"required\": ", out);
        json_double(out, g->required);
        fputs(", \"actual\": ", out);
        json_double(out, g->actual);
        fputs(", \"worst\": ", out);
        if (g->worst[0])
            json_string(out, g->worst);
        else
            fputs("null", out);
        fprintf(out, ", \"pass\": %s}", g->pass ? "true" : "false");
    }
    fputs(v->n_gates ? "\n  ]\n}\n" : "]\n}\n", out);
}

/* ---- JUnit XML ---- */

/* Writes text as XML 1.0 character data (attr = 0) or an attribute value
 * (attr = 1, quoted with '"'). Characters XML 1.0 cannot carry at all, even
 * as references (most C0 controls, U+FFFE, U+FFFF), and malformed bytes
 * become U+FFFD; in attributes tab and line breaks are kept as references so
 * attribute normalisation does not turn them into blanks. */
static void xml_text(FILE *out, const char *text, int attr)
{
    const unsigned char *s = (const unsigned char *)(text ? text : "");
    while (*s) {
        uint32_t cp;
        size_t len = utf8_next(s, &cp);
        if (cp == '&')
            fputs("&amp;", out);
        else if (cp == '<')
            fputs("&lt;", out);
        else if (cp == '>')
            fputs("&gt;", out);
        else if (cp == '"' && attr)
            fputs("&quot;", out);
        else if (cp == '\r' || (attr && (cp == '\t' || cp == '\n')))
            fprintf(out, "&#%u;", (unsigned)cp);
        else if ((cp < 0x20 && cp != '\t' && cp != '\n') || cp == 0xFFFE ||
                 cp == 0xFFFF || cp == 0xFFFD)
            fputs(REPLACEMENT, out);
        else
            fwrite(s, 1, len, out);
        s += len;
    }
}

static void xml_line(void *ctx, const char *text)
{
    xml_text((FILE *)ctx, text, 0);
    fputc('\n', (FILE *)ctx);
}

static void junit_body(const ts_validation *v, FILE *out)
{
    size_t failed = failed_gates(v);
    char req[32], act[32], msg[LINE_MAX_BYTES];
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fprintf(out, "<testsuites name=\"toposim\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n",
            v->n_gates, failed);
    fprintf(out, "  <testsuite name=\"toposim\" tests=\"%zu\" failures=\"%zu\" errors=\"0\""
            " skipped=\"0\" time=\"0\">\n", v->n_gates, failed);
    fputs("    <properties>\n      <property name=\"scenario\" value=\"", out);
    xml_text(out, v->scenario_name, 1);
    fprintf(out, "\"/>\n      <property name=\"duration_ns\" value=\"%" PRId64 "\"/>\n"
            "    </properties>\n", v->duration_ns);
    for (size_t i = 0; i < v->n_gates; i++) {
        const ts_gate *g = &v->gates[i];
        fputs("    <testcase classname=\"toposim.gates\" name=\"", out);
        xml_text(out, g->name, 1);
        if (g->pass) {
            fputs("\" time=\"0\"/>\n", out);
            continue;
        }
        snprintf(msg, sizeof msg, "required >= %s, actual %s, worst: %s",
                 fmt_pct(req, sizeof req, g->required), fmt_pct(act, sizeof act, g->actual),
                 g->worst[0] ? g->worst : "-");
        fputs("\" time=\"0\">\n      <failure type=\"deadline\" message=\"", out);
        xml_text(out, msg, 1);
        fputs("\">", out);
        snprintf(msg, sizeof msg, "compliance %s is below the required %s "
                 "(worst target: %s)", fmt_double(act, sizeof act, g->actual),
                 fmt_double(req, sizeof req, g->required), g->worst[0] ? g->worst : "-");
        xml_text(out, msg, 0);
        fputs("</failure>\n    </testcase>\n", out);
    }
    fputs("    <system-out>\n", out);
    line_sink sink = {xml_line, out};
    emit_scores(v, &sink);
    fputs("    </system-out>\n  </testsuite>\n</testsuites>\n", out);
}

int ts_validation_write_junit(const ts_validation *v, const char *path, ts_error *err)
{
    if (!v || !path || !*path)
        return ts_error_set(err, TS_EINVAL, path, 0, "JUnit: no validation or path");
    ts__atomic_file f;
    int rc = ts__atomic_open(&f, path, err);
    if (rc == TS_ERANGE)
        return ts_error_set(err, TS_EIO, path, 0, "JUnit: path too long");
    if (rc)
        return rc;
    junit_body(v, f.fp);
    return ts__atomic_commit(&f, err);
}
