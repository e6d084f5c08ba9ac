/* toposim batch's results: JUnit files read back, the summary CSV and the
 * combined JUnit file (libxml2 reads and writes the XML). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "cli/batch_junit.h"
#include "util/atomic_file.h"

/* A validate JUnit file holds a testcase per gate: a few KiB. Anything far
 * larger is not one (and is not parsed). */
#define BATCH_JUNIT_MAX_BYTES (16L * 1024 * 1024)

static const char *const verdict_names[] = {
    [BATCH_PASS] = "PASS",       [BATCH_FAIL] = "FAIL",   [BATCH_NO_FIT] = "DOES-NOT-FIT",
    [BATCH_INVALID] = "INVALID",
    [BATCH_NOT_RUN] = "NOT-RUN", [BATCH_CRASH] = "CRASH", [BATCH_TIMEOUT] = "TIMEOUT",
};

const char *batch_verdict_name(batch_verdict v)
{
    return (unsigned)v < sizeof verdict_names / sizeof *verdict_names ? verdict_names[v] : "?";
}

static int is_element(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && !xmlStrcmp(n->name, (const xmlChar *)name);
}

static xmlDocPtr read_junit(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > BATCH_JUNIT_MAX_BYTES)
        return NULL;
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                                XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS);
    if (!doc)
        return NULL;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (!root || !is_element(root, "testsuites")) {
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

static void append_name(char *list, size_t size, const char *name)
{
    size_t k = strlen(list);
    if (k + 1 >= size)
        return;
    snprintf(list + k, size - k, "%s%s", k ? ";" : "", name);
}

void batch_junit_read(const char *path, batch_result *r)
{
    r->gates = r->failures = 0;
    r->failed_gates[0] = '\0';
    xmlDocPtr doc = read_junit(path);
    if (!doc) {
        r->verdict = BATCH_INVALID;
        snprintf(r->why, sizeof r->why, "%s is missing or not a JUnit file", path);
        return;
    }
    for (xmlNodePtr s = xmlDocGetRootElement(doc)->children; s; s = s->next) {
        if (!is_element(s, "testsuite"))
            continue;
        for (xmlNodePtr c = s->children; c; c = c->next) {
            if (!is_element(c, "testcase"))
                continue;
            r->gates++;
            int failed = 0;
            for (xmlNodePtr o = c->children; o; o = o->next)
                failed |= is_element(o, "failure") || is_element(o, "error");
            if (!failed)
                continue;
            r->failures++;
            xmlChar *name = xmlGetProp(c, (const xmlChar *)"name");
            append_name(r->failed_gates, sizeof r->failed_gates,
                        name ? (const char *)name : "?");
            xmlFree(name);
        }
    }
    xmlFreeDoc(doc);
    if (r->gates == 0) {
        r->verdict = BATCH_INVALID;
        snprintf(r->why, sizeof r->why, "%s holds no gate", path);
    } else {
        r->verdict = r->failures ? BATCH_FAIL : BATCH_PASS;
    }
}

/* Printable ASCII, newlines and tabs kept: a log may hold any bytes (a
 * scenario's path, a library's message), and XML and CSV must not. */
static void printable(char *s)
{
    for (; *s; s++)
        if ((*s < 0x20 && *s != '\n' && *s != '\t') || (unsigned char)*s >= 0x7f)
            *s = '?';
}

void batch_log_tail(const char *path, char *buf, size_t size)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f || size < 2)
        goto out;
    if (fseek(f, 0, SEEK_END) != 0)
        goto out;
    long len = ftell(f);
    long want = (long)size - 1;
    long from = len > want ? len - want : 0;
    if (len < 0 || fseek(f, from, SEEK_SET) != 0)
        goto out;
    size_t got = fread(buf, 1, size - 1, f);
    buf[got] = '\0';
    /* Start at a whole line when the log was cut. */
    char *nl = from > 0 ? strchr(buf, '\n') : NULL;
    if (nl)
        memmove(buf, nl + 1, strlen(nl + 1) + 1);
    printable(buf);
out:
    if (f)
        fclose(f);
}

void batch_log_first_error(const char *path, char *buf, size_t size)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    char line[1024];
    /* The first 1000 lines at most: a log is ours, but may be long. */
    for (int i = 0; i < 1000 && fgets(line, sizeof line, f); i++) {
        if (strncmp(line, "toposim", 7) != 0)
            continue;
        line[strcspn(line, "\n")] = '\0';
        snprintf(buf, size, "%s", line);
        printable(buf);
        break;
    }
    fclose(f);
}

/* A CSV field: quoted when it holds a separator, a quote or a line break;
 * one that a spreadsheet would take for a formula (= + - @) gets a
 * leading apostrophe (OWASP, "CSV Injection"). */
static void csv_field(FILE *f, const char *s, int last)
{
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", s);
    printable(buf);
    int formula = buf[0] == '=' || buf[0] == '+' || buf[0] == '-' || buf[0] == '@';
    if (formula || strpbrk(buf, ",\"\n\t")) {
        fputc('"', f);
        if (formula)
            fputc('\'', f);
        for (const char *p = buf; *p; p++) {
            if (*p == '"')
                fputc('"', f);
            fputc(*p == '\n' ? ' ' : *p, f);
        }
        fputc('"', f);
    } else {
        fputs(buf, f);
    }
    fputc(last ? '\n' : ',', f);
}

int batch_write_summary(const char *path, const char *const *scenarios,
                        const char *const *stems, const batch_result *results,
                        size_t n, ts_error *err)
{
    ts__atomic_file af;
    if (ts__atomic_open(&af, path, err) != TS_OK)
        return err->code;
    fputs("scenario,name,verdict,gates,failed,failed_gates,why\n", af.fp);
    for (size_t i = 0; i < n; i++) {
        const batch_result *r = &results[i];
        char gates[32], failed[32];
        int judged = r->verdict == BATCH_PASS || r->verdict == BATCH_FAIL;
        snprintf(gates, sizeof gates, "%zu", judged ? r->gates : 0);
        snprintf(failed, sizeof failed, "%zu", judged ? r->failures : 0);
        csv_field(af.fp, scenarios[i], 0);
        csv_field(af.fp, stems[i], 0);
        csv_field(af.fp, batch_verdict_name(r->verdict), 0);
        csv_field(af.fp, gates, 0);
        csv_field(af.fp, failed, 0);
        csv_field(af.fp, judged ? r->failed_gates : "", 0);
        csv_field(af.fp, judged ? "" : r->why, 1);
    }
    return ts__atomic_commit(&af, err);
}

static const char *error_type(batch_verdict v)
{
    switch (v) {
    case BATCH_NO_FIT: return "does-not-fit";
    case BATCH_INVALID: return "invalid-trace";
    case BATCH_NOT_RUN: return "not-run";
    case BATCH_CRASH: return "crash";
    case BATCH_TIMEOUT: return "timeout";
    default: return "error";
    }
}

static void set_count(xmlNodePtr n, const char *name, size_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%zu", v);
    xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)buf);
}

/* A testsuite for a scenario that was not judged: one testcase in error. */
static xmlNodePtr error_suite(xmlDocPtr doc, const char *scenario, const char *stem,
                              const batch_result *r, double wall_s)
{
    char path[1024], time[32], why[1400];
    snprintf(path, sizeof path, "%s", scenario);
    printable(path);
    snprintf(why, sizeof why, "%s: %s", path, r->why);
    printable(why);
    snprintf(time, sizeof time, "%.3f", wall_s > 0 ? wall_s : 0.0);
    xmlNodePtr suite = xmlNewDocNode(doc, NULL, (const xmlChar *)"testsuite", NULL);
    xmlSetProp(suite, (const xmlChar *)"name", (const xmlChar *)stem);
    /* Not fitting is the deployment's failure; the others are errors. */
    int no_fit = r->verdict == BATCH_NO_FIT;
    set_count(suite, "tests", 1);
    set_count(suite, "failures", no_fit ? 1 : 0);
    set_count(suite, "errors", no_fit ? 0 : 1);
    set_count(suite, "skipped", 0);
    xmlSetProp(suite, (const xmlChar *)"time", (const xmlChar *)time);
    xmlNodePtr tc = xmlNewChild(suite, NULL, (const xmlChar *)"testcase", NULL);
    char classname[300];
    snprintf(classname, sizeof classname, "toposim.%s.batch", stem);
    xmlSetProp(tc, (const xmlChar *)"classname", (const xmlChar *)classname);
    xmlSetProp(tc, (const xmlChar *)"name",
               (const xmlChar *)(no_fit ? "placement" : "run-and-validate"));
    xmlSetProp(tc, (const xmlChar *)"time", (const xmlChar *)time);
    /* xmlNewTextChild escapes the text; xmlNewChild would not. */
    xmlNodePtr e = xmlNewTextChild(tc, NULL, (const xmlChar *)(no_fit ? "failure" : "error"),
                                   (const xmlChar *)r->log_tail);
    xmlSetProp(e, (const xmlChar *)"type", (const xmlChar *)error_type(r->verdict));
    xmlSetProp(e, (const xmlChar *)"message", (const xmlChar *)why);
    return suite;
}

int batch_write_junit(const char *path, const char *const *scenarios,
                      const char *const *stems, const char *const *junits,
                      const batch_result *results, const double *wall_s, size_t n,
                      ts_error *err)
{
    xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlNodePtr root = xmlNewDocNode(doc, NULL, (const xmlChar *)"testsuites", NULL);
    if (!doc || !root) {
        xmlFreeDoc(doc);
        return ts_error_set(err, TS_ENOMEM, path, 0, "out of memory");
    }
    xmlDocSetRootElement(doc, root);
    size_t tests = 0, failures = 0, errors = 0;
    double time = 0;
    for (size_t i = 0; i < n; i++) {
        const batch_result *r = &results[i];
        time += wall_s[i] > 0 ? wall_s[i] : 0;
        xmlDocPtr child = NULL;
        if (r->verdict == BATCH_PASS || r->verdict == BATCH_FAIL)
            child = read_junit(junits[i]);
        if (child) {
            /* Copied as validate wrote them: a testsuite per scenario. */
            for (xmlNodePtr s = xmlDocGetRootElement(child)->children; s; s = s->next)
                if (is_element(s, "testsuite"))
                    xmlAddChild(root, xmlDocCopyNode(s, doc, 1));
            xmlFreeDoc(child);
            tests += r->gates;
            failures += r->failures;
        } else {
            batch_result gone = *r;
            if (r->verdict == BATCH_PASS || r->verdict == BATCH_FAIL) {
                gone.verdict = BATCH_INVALID;
                snprintf(gone.why, sizeof gone.why, "its JUnit file %s could not be read again",
                         junits[i]);
            }
            xmlAddChild(root, error_suite(doc, scenarios[i], stems[i], &gone, wall_s[i]));
            tests++;
            if (gone.verdict == BATCH_NO_FIT)
                failures++;
            else
                errors++;
        }
    }
    char buf[32];
    xmlSetProp(root, (const xmlChar *)"name", (const xmlChar *)"toposim batch");
    set_count(root, "tests", tests);
    set_count(root, "failures", failures);
    set_count(root, "errors", errors);
    snprintf(buf, sizeof buf, "%.3f", time);
    xmlSetProp(root, (const xmlChar *)"time", (const xmlChar *)buf);

    ts__atomic_file af;
    if (ts__atomic_open(&af, path, err) != TS_OK) {
        xmlFreeDoc(doc);
        return err->code;
    }
    int wrote = xmlDocFormatDump(af.fp, doc, 1);
    xmlFreeDoc(doc);
    if (wrote < 0) {
        ts__atomic_abort(&af);
        return ts_error_set(err, TS_EIO, path, 0, "cannot write the JUnit file");
    }
    return ts__atomic_commit(&af, err);
}
