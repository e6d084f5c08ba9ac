/*
 * <qos-profiles import="FILE">: reads a Fast DDS XML profiles file and
 * adds each <data_writer> and <data_reader> profile as a scenario QoS
 * profile of the same name, so a deployment's existing DDS configuration
 * is simulated as written rather than retyped.
 *
 * The syntax followed is Fast DDS's XML profiles reference (eProsima,
 * "XML profiles", docs/fastdds/xml_configuration/common.rst, datawriter.rst
 * and datareader.rst in github.com/eProsima/Fast-DDS-docs;
 * https://fast-dds.docs.eprosima.com/en/latest/fastdds/xml_configuration/common.html):
 * root <dds><profiles> or <profiles>, namespace
 * http://www.eprosima.com/XMLSchemas/fastRTPS_Profiles (or none); in a
 * profile, <topic><historyQos><kind>/<depth> and <qos> with
 * <reliability><kind>, <durability><kind>, <deadline><period>,
 * <lifespan><duration>, <liveliness><kind>/<lease_duration>; durations
 * are <sec>/<nanosec>, DURATION_INFINITY (or DURATION_INFINITE_SEC and
 * DURATION_INFINITE_NSEC) meaning infinite.
 *
 * Mapping decisions (README, "QoS profiles from Fast DDS"):
 * - fields the file leaves out take the scenario's default profile (ROS
 *   2's rmw default: reliable, volatile, keep last 10), as an inline
 *   <profile> without base= does, not Fast DDS's per-entity defaults: the
 *   file is read as rmw_fastrtps applies it, over ROS 2's defaults;
 * - a scenario profile is one QoS for both sides of a topic, so a
 *   <data_writer> and a <data_reader> of the same name are an error naming
 *   both lines (rename one; topics pick sides with writer-qos= and
 *   reader-qos=);
 * - TRANSIENT and PERSISTENT durability and MANUAL_BY_PARTICIPANT
 *   liveliness are refused: toposim does not model them, and reading them
 *   as something weaker would simulate a different system;
 * - a zero duration is refused: toposim reads 0 as infinite;
 * - every other element is named in one warning on stderr (file:line) and
 *   ignored, its children with it.
 *
 * The file is treated as hostile, as a scenario is: at most 1 MiB, the
 * element, attribute and depth limits of limits.h checked before libxml2
 * parses it, no DOCTYPE (so no entities), no network.
 */
#include "loader.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "toposim/alloc.h"
#include "toposim/qos.h"

#define FASTDDS_NS "http://www.eprosima.com/XMLSchemas/fastRTPS_Profiles"

/* A profiles file is a few KiB; a wrong path (a log, a disk image) should
 * fail at once. */
#define MAX_PROFILES_BYTES ((size_t)1 << 20)

enum { PATH_CAP = 4096, VALUE_CAP = 64 };

typedef struct importer {
    ts__builder *b;
    const xmlNode *owner;   /* the <qos-profiles> element */
    char path[PATH_CAP];    /* the file as opened, for messages */
    size_t first;           /* index of the first imported profile */
    int *lines;             /* per imported profile: its line in the file */
    int *readers;           /* per imported profile: 1 for <data_reader> */
    size_t cap;
} importer;

static int fail(importer *im, const xmlNode *el, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* An error at the profiles file's line of el. */
static int fail(importer *im, const xmlNode *el, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ts_error_set(im->b->L->err, TS_EINVAL, im->path, ts__line(el), "%s", msg);
}

/* el is Fast DDS's element `name`: in its namespace or in none. */
static int is(const xmlNode *el, const char *name)
{
    if (!el || !xmlStrEqual(el->name, BAD_CAST name))
        return 0;
    return !el->ns || !el->ns->href || xmlStrEqual(el->ns->href, BAD_CAST FASTDDS_NS);
}

/* One warning per element toposim does not read; its children are not
 * looked at (one line for a whole <transport_descriptors>, not fifty). */
static void unsupported(const importer *im, const xmlNode *el, const char *within)
{
    fprintf(stderr,
            "%s:%d: warning: <%s> in <%s> is not imported (toposim reads "
            "reliability, durability, history, deadline, lifespan and "
            "liveliness); ignored\n",
            im->path, ts__line(el), (const char *)el->name, within);
}

/* el's text with blanks trimmed into buf; an element with child elements
 * or a value longer than any Fast DDS keyword is an error. */
static int text_of(importer *im, const xmlNode *el, char *buf, size_t size)
{
    if (ts__first_child(el))
        return fail(im, el, "<%s> holds elements; expected a value",
                    (const char *)el->name);
    xmlChar *raw = xmlNodeGetContent(el);
    const char *v = raw ? (const char *)raw : "";
    while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
        v++;
    size_t n = strlen(v);
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' ||
                     v[n - 1] == '\n'))
        n--;
    int rc = TS_OK;
    if (n >= size)
        rc = fail(im, el, "<%s> holds a value of %zu characters; expected a "
                  "number or a Fast DDS keyword", (const char *)el->name, n);
    else {
        memcpy(buf, v, n);
        buf[n] = '\0';
    }
    xmlFree(raw);
    return rc;
}

/* A decimal integer in [0, hi], digits only. */
static int parse_uint(const char *s, unsigned long long hi, unsigned long long *out)
{
    if (!*s)
        return 0;
    unsigned long long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        v = v * 10 + (unsigned long long)(*p - '0');
        if (v > hi)
            return 0;
    }
    *out = v;
    return 1;
}

/* <kind> of a policy: one of names (their index into *out); `refused`
 * (and `refused2`), a Fast DDS kind toposim does not model, gets its own
 * message. */
static int read_kind(importer *im, const xmlNode *el, const char *policy,
                     const char *const *names, int n, const char *refused,
                     const char *refused2, int *out)
{
    char v[VALUE_CAP];
    int rc = text_of(im, el, v, sizeof v);
    if (rc)
        return rc;
    for (int i = 0; i < n; i++)
        if (strcmp(v, names[i]) == 0) {
            *out = i;
            return TS_OK;
        }
    char list[200] = "";
    for (int i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                 i ? (i + 1 == n ? " or " : ", ") : "", names[i]);
    if ((refused && strcmp(v, refused) == 0) || (refused2 && strcmp(v, refused2) == 0))
        return fail(im, el, "<%s><kind>%s</kind>: toposim does not model %s "
                    "(expected %s)", policy, v, v, list);
    return fail(im, el, "<%s><kind>%s</kind>: expected %s", policy, v, list);
}

/* A DurationType (<sec>, <nanosec>) into ns, 0 for infinite. */
static int read_duration(importer *im, const xmlNode *el, const char *policy,
                         int64_t *ns)
{
    unsigned long long sec = 0, nsec = 0;
    int infinite = 0;
    for (const xmlNode *c = ts__first_child(el); c; c = ts__next_sibling(c)) {
        char v[VALUE_CAP];
        if (is(c, "sec")) {
            int rc = text_of(im, c, v, sizeof v);
            if (rc)
                return rc;
            if (strcmp(v, "DURATION_INFINITY") == 0 ||
                strcmp(v, "DURATION_INFINITE_SEC") == 0)
                infinite = 1;
            else if (!parse_uint(v, INT32_MAX, &sec))
                return fail(im, c, "<%s><sec>%s</sec>: expected whole seconds "
                            "(0 to 2147483647) or DURATION_INFINITY", policy, v);
            else if (sec == INT32_MAX)
                infinite = 1; /* Fast DDS's c_TimeInfinite.seconds */
        } else if (is(c, "nanosec")) {
            int rc = text_of(im, c, v, sizeof v);
            if (rc)
                return rc;
            if (strcmp(v, "DURATION_INFINITE_NSEC") == 0)
                infinite = 1;
            else if (!parse_uint(v, UINT32_MAX, &nsec))
                return fail(im, c, "<%s><nanosec>%s</nanosec>: expected "
                            "nanoseconds (0 to 999999999) or "
                            "DURATION_INFINITE_NSEC", policy, v);
            else if (nsec == UINT32_MAX)
                infinite = 1;
            else if (nsec > 999999999ULL)
                return fail(im, c, "<%s><nanosec>%s</nanosec>: expected "
                            "nanoseconds below one second (0 to 999999999)",
                            policy, v);
        } else {
            unsupported(im, c, (const char *)el->name);
        }
    }
    if (infinite) {
        *ns = 0;
        return TS_OK;
    }
    if (sec == 0 && nsec == 0)
        return fail(im, el, "<%s>: a zero duration is not accepted (toposim "
                    "reads 0 as infinite); expected a positive time or "
                    "<sec>DURATION_INFINITY</sec>", policy);
    /* at most 2^31 s: fits in int64 ns */
    *ns = (int64_t)sec * INT64_C(1000000000) + (int64_t)nsec;
    return TS_OK;
}

static const char *const RELIABILITY[] = {"BEST_EFFORT", "RELIABLE"};
static const char *const DURABILITY[] = {"VOLATILE", "TRANSIENT_LOCAL"};
static const char *const HISTORY[] = {"KEEP_LAST", "KEEP_ALL"};
static const char *const LIVELINESS[] = {"AUTOMATIC", "MANUAL_BY_TOPIC"};

/* <topic>: only <historyQos> is QoS; name, dataType and resource limits
 * are not. */
static int read_topic(importer *im, const xmlNode *topic, ts_qos_override *ov)
{
    for (const xmlNode *c = ts__first_child(topic); c; c = ts__next_sibling(c)) {
        if (!is(c, "historyQos")) {
            unsupported(im, c, "topic");
            continue;
        }
        for (const xmlNode *h = ts__first_child(c); h; h = ts__next_sibling(h)) {
            int rc = TS_OK;
            if (is(h, "kind")) {
                int k;
                rc = read_kind(im, h, "historyQos", HISTORY, 2, NULL, NULL, &k);
                ov->value.history = (ts_qos_history)k;
                ov->set |= TS_QOS_SET_HISTORY;
            } else if (is(h, "depth")) {
                char v[VALUE_CAP];
                unsigned long long d;
                rc = text_of(im, h, v, sizeof v);
                if (!rc && (!parse_uint(v, INT_MAX, &d) || d < 1))
                    rc = fail(im, h, "<historyQos><depth>%s</depth>: expected "
                              "a whole number from 1 to %d", v, INT_MAX);
                if (!rc) {
                    ov->value.depth = (int)d;
                    ov->set |= TS_QOS_SET_DEPTH;
                }
            } else {
                unsupported(im, h, "historyQos");
            }
            if (rc)
                return rc;
        }
    }
    return TS_OK;
}

/* One policy of <qos>: its <kind> and/or its duration child. */
static int read_policy(importer *im, const xmlNode *p, ts_qos_override *ov)
{
    const char *name = (const char *)p->name;
    int rc = TS_OK;
    for (const xmlNode *c = ts__first_child(p); c && !rc; c = ts__next_sibling(c)) {
        int k;
        if (is(p, "reliability") && is(c, "kind")) {
            rc = read_kind(im, c, name, RELIABILITY, 2, NULL, NULL, &k);
            ov->value.reliability = (ts_qos_reliability)k;
            ov->set |= TS_QOS_SET_RELIABILITY;
        } else if (is(p, "durability") && is(c, "kind")) {
            rc = read_kind(im, c, name, DURABILITY, 2, "TRANSIENT", "PERSISTENT", &k);
            ov->value.durability = (ts_qos_durability)k;
            ov->set |= TS_QOS_SET_DURABILITY;
        } else if (is(p, "liveliness") && is(c, "kind")) {
            rc = read_kind(im, c, name, LIVELINESS, 2, "MANUAL_BY_PARTICIPANT", NULL, &k);
            ov->value.liveliness = (ts_qos_liveliness)k;
            ov->set |= TS_QOS_SET_LIVELINESS;
        } else if (is(p, "liveliness") && is(c, "lease_duration")) {
            rc = read_duration(im, c, "lease_duration", &ov->value.lease_ns);
            ov->set |= TS_QOS_SET_LEASE;
        } else if (is(p, "deadline") && is(c, "period")) {
            rc = read_duration(im, c, "deadline", &ov->value.deadline_ns);
            ov->set |= TS_QOS_SET_DEADLINE;
        } else if (is(p, "lifespan") && is(c, "duration")) {
            rc = read_duration(im, c, "lifespan", &ov->value.lifespan_ns);
            ov->set |= TS_QOS_SET_LIFESPAN;
        } else {
            unsupported(im, c, name);
        }
    }
    return rc;
}

static int read_qos(importer *im, const xmlNode *qos, ts_qos_override *ov)
{
    int rc = TS_OK;
    for (const xmlNode *c = ts__first_child(qos); c && !rc; c = ts__next_sibling(c)) {
        if (is(c, "reliability") || is(c, "durability") || is(c, "liveliness") ||
            is(c, "deadline") || is(c, "lifespan"))
            rc = read_policy(im, c, ov);
        else
            unsupported(im, c, "qos");
    }
    return rc;
}

/* Whether name can be written in a topic's qos= (the schema's id). */
static int valid_id(const char *name)
{
    const char *p = name;
    if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_'))
        return 0;
    for (p++; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
              (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
            return 0;
    return 1;
}

static const char *kind_of(int reader)
{
    return reader ? "data_reader" : "data_writer";
}

/* One <data_writer> or <data_reader>, added as scenario profile
 * profile_name. */
static int import_profile(importer *im, const xmlNode *el, int reader)
{
    ts__builder *b = im->b;
    ts_scenario *s = b->s;
    const char *kind = kind_of(reader);
    const char *name = ts__attr(el, "profile_name");
    if (!name || !*name)
        return fail(im, el, "<%s> without profile_name=: expected the name "
                    "topics use in qos=, writer-qos= or reader-qos=", kind);
    if (!valid_id(name))
        return fail(im, el, "<%s profile_name=\"%s\">: not a name a topic's "
                    "qos= can give (expected a letter or '_', then letters, "
                    "digits, '_', '.' or '-')", kind, name);
    ts_qos tmp;
    if (ts_qos_builtin(name, &tmp) == TS_OK)
        return fail(im, el, "<%s profile_name=\"%s\">: \"%s\" is a built-in "
                    "profile's name (rename the profile)", kind, name, name);

    ts_qos_override ov;
    memset(&ov, 0, sizeof ov);
    int rc = TS_OK;
    for (const xmlNode *c = ts__first_child(el); c && !rc; c = ts__next_sibling(c)) {
        if (is(c, "qos"))
            rc = read_qos(im, c, &ov);
        else if (is(c, "topic"))
            rc = read_topic(im, c, &ov);
        else
            unsupported(im, c, kind);
    }
    if (rc)
        return rc;
    ts_qos base, q;
    ts_error why;
    ts_error_clear(&why);
    if (ts_qos_builtin_role("default", reader ? TS_QOS_READER : TS_QOS_WRITER, &base) !=
            TS_OK ||
        ts_qos_derive(&base, &ov, &q, &why) != TS_OK)
        return fail(im, el, "<%s profile_name=\"%s\">: %s", kind, name, why.msg);

    int line = ts__line(im->owner);
    ts_scenario_qos_profile *ps = ts__grow(s->qos_profiles, &b->cap_profiles,
                                           s->n_qos_profiles, sizeof *ps);
    if (!ps)
        return ts__oom(b, line);
    s->qos_profiles = ps;
    size_t k = s->n_qos_profiles - im->first;
    if (k >= im->cap) {
        size_t cap = im->cap ? im->cap * 2 : 16;
        int *l = ts_realloc(im->lines, cap * sizeof *l);
        if (l)
            im->lines = l;
        int *r = l ? ts_realloc(im->readers, cap * sizeof *r) : NULL;
        if (!r)
            return ts__oom(b, line);
        im->readers = r;
        im->cap = cap;
    }
    int prev = ts__id_add(b->profile_ids, name, s->n_qos_profiles);
    if (prev == -2)
        return ts__oom(b, line);
    if (prev >= 0) {
        size_t pk = (size_t)prev - im->first;
        return fail(im, el, "<%s profile_name=\"%s\"> and the <%s> at line %d "
                    "share a name: a scenario profile is one QoS for both "
                    "sides of a topic (rename one; a topic names each side "
                    "with writer-qos= and reader-qos=)",
                    kind, name, kind_of(im->readers[pk]), im->lines[pk]);
    }
    im->lines[k] = ts__line(el);
    im->readers[k] = reader;
    ts_scenario_qos_profile *p = &s->qos_profiles[s->n_qos_profiles++];
    p->line = line; /* the scenario's line: where the profile entered it */
    p->qos = q;
    p->id = ts_strdup(name);
    return p->id ? TS_OK : ts__oom(b, line);
}

/* SAX internalSubset: any DOCTYPE ends the parse (no entities, ever). */
static void refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
                           const xmlChar *system_id)
{
    (void)name;
    (void)external_id;
    (void)system_id;
    xmlParserCtxtPtr ctxt = ctx;
    int *line = ctxt->_private;
    if (line && *line == 0)
        *line = (ctxt->input && ctxt->input->line > 0) ? ctxt->input->line : 1;
    xmlStopParser(ctxt);
}

static int parse(importer *im, const char *text, size_t len, xmlDocPtr *out)
{
    ts__loader *L = im->b->L;
    *out = NULL;
    if (len == 0)
        return ts_error_set(L->err, TS_EPARSE, im->path, 1, "the profiles file is empty");
    int rc = ts__xml_prescan(L->err, text, len, im->path);
    if (rc)
        return rc;
    xmlParserCtxtPtr ctxt = xmlCreateMemoryParserCtxt(text, (int)len);
    if (!ctxt)
        return ts_error_set(L->err, TS_ENOMEM, im->path, 0,
                            "out of memory creating the XML parser");
    /* Never XML_PARSE_NOENT, XML_PARSE_DTDLOAD or XML_PARSE_HUGE. */
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_BIG_LINES);
    int doctype_line = 0;
    ctxt->_private = &doctype_line;
    ctxt->sax->internalSubset = refuse_doctype;
    L->xerr.seen = 0;
    xmlParseDocument(ctxt);
    xmlDocPtr doc = ctxt->myDoc;
    int well_formed = ctxt->wellFormed;
    ctxt->myDoc = NULL;
    xmlFreeParserCtxt(ctxt);
    if (doctype_line) {
        xmlFreeDoc(doc);
        return ts_error_set(L->err, TS_EPARSE, im->path, doctype_line,
                            "a DOCTYPE is not allowed in an imported profiles "
                            "file (no DTD, no entities)");
    }
    if (!well_formed || !doc) {
        xmlFreeDoc(doc);
        return ts_error_set(L->err, TS_EPARSE, im->path, L->xerr.seen ? (int)L->xerr.line : 0,
                            "not well-formed XML%s%s", L->xerr.seen ? ": " : "",
                            L->xerr.seen ? L->xerr.msg : "");
    }
    *out = doc;
    return TS_OK;
}

/* <profiles>: the data_writer and data_reader profiles; the rest (a
 * participant, transports, topic profiles) warned about. */
static int walk_profiles(importer *im, const xmlNode *profiles)
{
    int rc = TS_OK;
    for (const xmlNode *c = ts__first_child(profiles); c && !rc; c = ts__next_sibling(c)) {
        if (is(c, "data_writer") || is(c, "publisher"))
            rc = import_profile(im, c, 0);
        else if (is(c, "data_reader") || is(c, "subscriber"))
            rc = import_profile(im, c, 1);
        else
            unsupported(im, c, "profiles");
    }
    return rc;
}

/* An inline <profile> of the same name as an imported one: both named. */
static int check_inline(importer *im)
{
    ts__builder *b = im->b;
    for (const xmlNode *c = ts__first_child(im->owner); c; c = ts__next_sibling(c)) {
        const char *id = ts__attr(c, "id");
        int k = id ? ts__id_find(b->profile_ids, id) : -1;
        if (k < 0 || (size_t)k < im->first)
            continue;
        size_t pk = (size_t)k - im->first;
        return ts_error_set(b->L->err, TS_EINVAL, b->file, ts__line(c),
                            "profile %s: the <%s profile_name=\"%s\"> at %s:%d, "
                            "imported by <qos-profiles import=...>, has the same "
                            "name (rename one)",
                            id, kind_of(im->readers[pk]), id, im->path, im->lines[pk]);
    }
    return TS_OK;
}

static void dir_of(const char *path, char *dir, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, size, ".");
    else if (slash == path)
        snprintf(dir, size, "/");
    else
        snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

int ts__qos_import(ts__builder *b, const xmlNode *profiles)
{
    const char *file = ts__attr(profiles, "import");
    int line = ts__line(profiles);
    importer im;
    memset(&im, 0, sizeof im);
    im.b = b;
    im.owner = profiles;
    im.first = b->s->n_qos_profiles;
    int n;
    if (file[0] == '/') {
        n = snprintf(im.path, sizeof im.path, "%s", file);
    } else {
        char dir[PATH_CAP];
        dir_of(b->file, dir, sizeof dir);
        n = snprintf(im.path, sizeof im.path, "%s/%s", dir, file);
    }
    if (n < 0 || (size_t)n >= sizeof im.path)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "qos-profiles: import=\"%s\" makes a path longer than "
                            "%d bytes", file, PATH_CAP - 1);
    char *text = NULL;
    size_t len = 0;
    int sys_errno = 0;
    int rc = ts__read_file(im.path, MAX_PROFILES_BYTES, &text, &len, &sys_errno);
    if (rc == TS_EIO)
        return ts_error_set(b->L->err, TS_ENOENT, b->file, line,
                            "qos-profiles: import=\"%s\": cannot read %s: %s "
                            "(the path is relative to the scenario's folder)",
                            file, im.path, ts__read_error_text(sys_errno));
    if (rc == TS_ERANGE)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "qos-profiles: import=\"%s\": %s is larger than "
                            "%zu KiB, too large for a profiles file",
                            file, im.path, MAX_PROFILES_BYTES >> 10);
    if (rc)
        return ts__oom(b, line);

    xmlDocPtr doc = NULL;
    rc = parse(&im, text, len, &doc);
    ts_free(text);
    if (!rc) {
        const xmlNode *root = xmlDocGetRootElement(doc);
        const xmlNode *p = NULL;
        if (is(root, "profiles")) {
            p = root;
        } else if (is(root, "dds")) {
            for (const xmlNode *c = ts__first_child(root); c; c = ts__next_sibling(c)) {
                if (is(c, "profiles") && !p)
                    p = c;
                else
                    unsupported(&im, c, "dds");
            }
        }
        if (!p)
            rc = fail(&im, root, "expected a Fast DDS profiles file: a <dds> "
                      "root holding <profiles>, or a <profiles> root (namespace "
                      FASTDDS_NS " or none), found <%s>",
                      root ? (const char *)root->name : "");
        else
            rc = walk_profiles(&im, p);
    }
    if (!rc)
        rc = check_inline(&im);
    xmlFreeDoc(doc);
    ts_free(im.lines);
    ts_free(im.readers);
    return rc;
}
