/*
 * JUnit XML for CI: one testsuite per scenario, named after it, with one
 * testcase per gate whose classname is toposim.<scenario>.<family>; the
 * seed, version and family scores as properties (percentages rounded to
 * 0.1); time is the run's wall time when the trace has it, else 0; the
 * family body of the scorecard as system-out. The layout follows the
 * Jenkins xUnit plugin's junit-10.xsd (jenkinsci/xunit-plugin,
 * src/main/resources/org/jenkinsci/plugins/xunit/types/model/xsd/), and
 * tests/junit.xsd checks it in the suite.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "util/atomic_file.h"
#include "validate/validate_internal.h"

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
        size_t len = ts__utf8_next(s, &cp);
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
            fputs(TS__REPLACEMENT, out);
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

/* A class name part: XML-safe already, but dots would add levels to the
 * CI's package tree, so they become underscores. */
static void class_part(FILE *out, const char *name)
{
    char buf[TS_TRACE_NAME_LEN + 1];
    snprintf(buf, sizeof buf, "%s", name[0] ? name : "unnamed");
    for (char *p = buf; *p; p++)
        if (*p == '.' || *p == ' ')
            *p = '_';
    xml_text(out, buf, 1);
}

static void property(FILE *out, const char *name, const char *value)
{
    fputs("      <property name=\"", out);
    xml_text(out, name, 1);
    fputs("\" value=\"", out);
    xml_text(out, value, 1);
    fputs("\"/>\n", out);
}

/* A fraction as a percentage rounded to 0.1 ("99.4%"). */
static const char *rounded_pct(char *buf, size_t size, double f)
{
    if (isnan(f))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.1f%%", 100.0 * f);
    return buf;
}

/* "YYYY-MM-DDTHH:MM:SS" with an optional fraction and zone ("Z" or
 * "+HH:MM"): the lexical form of xs:dateTime. */
static int is_datetime(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t i = 0;
    for (; shape[i]; i++)
        if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
            return 0;
    s += i;
    if (*s == '.') {
        s++;
        if (!(*s >= '0' && *s <= '9'))
            return 0;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (*s == 'Z')
        s++;
    else if ((*s == '+' || *s == '-') && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' &&
             s[2] <= '9' && s[3] == ':' && s[4] >= '0' && s[4] <= '9' && s[5] >= '0' &&
             s[5] <= '9')
        s += 6;
    return *s == '\0';
}

static void junit_body(const ts_validation *v, FILE *out)
{
    size_t failed = ts__failed_gates(v);
    char buf[TS__LINE_MAX], req[32], act[32], time[32];
    /* An absent gate list still yields one failing testcase: zero gates
     * is never a pass, also for CI. */
    size_t tests = v->n_gates ? v->n_gates : 1;
    if (!v->n_gates)
        failed = 1;
    snprintf(time, sizeof time, "%.3f", isnan(v->wall_time_s) ? 0.0 : v->wall_time_s);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fprintf(out, "<testsuites name=\"toposim\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
            "time=\"%s\">\n", tests, failed, time);
    fputs("  <testsuite name=\"", out);
    xml_text(out, v->scenario_name[0] ? v->scenario_name : "unnamed", 1);
    fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" time=\"%s\"",
            tests, failed, time);
    /* Host and start time exist only in a stamped trace; the start time
     * is written only when it has the xs:dateTime shape JUnit wants. */
    if (v->host[0]) {
        fputs(" hostname=\"", out);
        xml_text(out, v->host, 1);
        fputc('"', out);
    }
    if (is_datetime(v->started_utc)) {
        fputs(" timestamp=\"", out);
        xml_text(out, v->started_utc, 1);
        fputc('"', out);
    }
    fputs(">\n", out);
    fputs("    <properties>\n", out);
    snprintf(buf, sizeof buf, "%" PRIu64, v->seed);
    property(out, "seed", buf);
    property(out, "toposim_version", v->toposim_version[0] ? v->toposim_version : "unknown");
    property(out, "git_revision", v->git_revision[0] ? v->git_revision : "unknown");
    if (v->command_line[0])
        property(out, "command_line", v->command_line);
    snprintf(buf, sizeof buf, "%" PRId64, v->duration_ns);
    property(out, "duration_ns", buf);
    property(out, "finished", v->finished ? "true" : "false");
    property(out, "overall_compliance", rounded_pct(req, sizeof req, v->overall));
    for (int f = TS_FAMILY_PERFORMANCE; f <= TS_FAMILY_INTEGRATION; f++) {
        if (f == TS_FAMILY_HEALTH)
            snprintf(req, sizeof req, "%.1f", 100.0 * v->family_score[f]);
        else
            rounded_pct(req, sizeof req, v->family_score[f]);
        property(out, ts_family_name((ts_family)f), req);
    }
    fputs("    </properties>\n", out);
    for (size_t i = 0; i < v->n_gates; i++) {
        const ts_gate *g = &v->gates[i];
        fputs("    <testcase classname=\"toposim.", out);
        class_part(out, v->scenario_name);
        fprintf(out, ".%s\" name=\"", ts_family_name(g->family));
        xml_text(out, g->name, 1);
        if (g->pass) {
            fputs("\" time=\"0\"/>\n", out);
            continue;
        }
        /* Percentages in messages are rounded (CI shows them as text). */
        if (g->unit == TS_UNIT_FRACTION) {
            rounded_pct(req, sizeof req, g->required);
            rounded_pct(act, sizeof act, g->actual);
        } else {
            ts__fmt_gate_value(req, sizeof req, g, g->required);
            ts__fmt_gate_value(act, sizeof act, g, g->actual);
        }
        snprintf(buf, sizeof buf, "%s %s %s, actual %s, worst: %s",
                 g->name, g->at_most ? "at most" : "required", req, act,
                 g->worst[0] ? g->worst : "-");
        fputs("\" time=\"0\">\n      <failure type=\"", out);
        xml_text(out, g->name, 1);
        fputs("\" message=\"", out);
        xml_text(out, buf, 1);
        fputs("\">", out);
        xml_text(out, g->message, 0);
        fputs("</failure>\n    </testcase>\n", out);
    }
    if (!v->n_gates) {
        fputs("    <testcase classname=\"toposim.", out);
        class_part(out, v->scenario_name);
        fputs(".run\" name=\"gates\" time=\"0\">\n      <failure type=\"no-gates\" "
              "message=\"no gate was evaluated\">zero gates never pass</failure>\n"
              "    </testcase>\n", out);
    }
    fputs("    <system-out>\n", out);
    ts__sink sink = {xml_line, out};
    ts__emit_families(v, 0, &sink);
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
