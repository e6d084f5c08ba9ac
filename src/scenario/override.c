/*
 * Overrides ("--set PATH=VALUE"): one attribute of the parsed document
 * changed before the schema and the meaning checks see it, so an override
 * is held to exactly the rules of the file (units, ranges, references),
 * and a fleet's template is changed before it is copied.
 *
 * PATH is ELEMENT[KEY].ATTRIBUTE or ELEMENT.ATTRIBUTE. ELEMENT is an
 * element name of the scenario ("node" also names every kind of node:
 * computer, jetson, server, switch); KEY is the element's id (or, for
 * elements without one, its name, topic, component, node or link
 * attribute); without a KEY the document must hold exactly one such
 * element (fleet.count, scenario.duration).
 */
#include <stdio.h>
#include <string.h>

#include <libxml/tree.h>

#include "loader.h"
#include "toposim/alloc.h"

static const char *const node_kinds[] = {"node", "computer", "jetson", "server", "switch", NULL};
/* What identifies an element that has no id, in this order. */
static const char *const key_attributes[] = {"id", "name", "topic", "component", "node",
                                             "link", NULL};

typedef ts__override_path override_path;

static int plain_name(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

/* Splits "ELEMENT[KEY].ATTRIBUTE=VALUE"; *value points into text. */
int ts__override_parse(const char *text, override_path *p, const char **value,
                          ts_error *err)
{
    static const char expected[] =
        "expected PATH=VALUE with PATH as ELEMENT[ID].ATTRIBUTE or ELEMENT.ATTRIBUTE "
        "(e.g. fleet.count=40, link[wifi].bandwidth=50Mbps)";
    memset(p, 0, sizeof *p);
    const char *eq = strchr(text, '=');
    if (!eq)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "--set %s: %s", text, expected);
    *value = eq + 1;
    const char *bracket = memchr(text, '[', (size_t)(eq - text));
    const char *dot;
    size_t n_element;
    if (bracket) {
        const char *close = memchr(bracket, ']', (size_t)(eq - bracket));
        if (!close || close[1] != '.')
            return ts_error_set(err, TS_EINVAL, NULL, 0, "--set %s: %s", text, expected);
        size_t n_key = (size_t)(close - bracket - 1);
        if (n_key == 0 || n_key >= sizeof p->key)
            return ts_error_set(err, TS_EINVAL, NULL, 0, "--set %s: %s", text, expected);
        memcpy(p->key, bracket + 1, n_key);
        p->keyed = 1;
        n_element = (size_t)(bracket - text);
        dot = close + 1;
    } else {
        dot = memchr(text, '.', (size_t)(eq - text));
        if (!dot)
            return ts_error_set(err, TS_EINVAL, NULL, 0, "--set %s: %s", text, expected);
        n_element = (size_t)(dot - text);
    }
    size_t n_attribute = (size_t)(eq - dot - 1);
    if (!plain_name(text, n_element) || n_element >= sizeof p->element ||
        !plain_name(dot + 1, n_attribute) || n_attribute >= sizeof p->attribute)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "--set %s: %s", text, expected);
    memcpy(p->element, text, n_element);
    memcpy(p->attribute, dot + 1, n_attribute);
    return TS_OK;
}

static int names_element(const char *wanted, const xmlNode *el)
{
    const char *name = (const char *)el->name;
    if (!strcmp(wanted, name))
        return 1;
    if (strcmp(wanted, "node") != 0)
        return 0;
    for (const char *const *k = node_kinds; *k; k++)
        if (!strcmp(*k, name))
            return 1;
    return 0;
}

static const char *element_key(const xmlNode *el)
{
    for (const char *const *k = key_attributes; *k; k++) {
        const char *v = ts__attr(el, *k);
        if (v)
            return v;
    }
    return NULL;
}

typedef struct match {
    xmlNode *first;
    size_t count;
} match;

static void find(xmlNode *el, const override_path *p, match *m)
{
    for (; el; el = el->next) {
        if (el->type != XML_ELEMENT_NODE)
            continue;
        if (names_element(p->element, el)) {
            const char *key = p->keyed ? element_key(el) : NULL;
            if (!p->keyed || (key && !strcmp(key, p->key))) {
                if (!m->first)
                    m->first = el;
                m->count++;
            }
        }
        find(el->children, p, m);
    }
}

/* The keys of the elements ELEMENT names, comma-separated, for an error
 * that says which exist. */
static void list_keys_at(const xmlNode *el, const char *element, char *out, size_t size,
                         size_t *n)
{
    for (; el; el = el->next) {
        if (el->type != XML_ELEMENT_NODE)
            continue;
        const char *key = names_element(element, el) ? element_key(el) : NULL;
        if (key) {
            size_t k = strlen(out);
            if (*n == 8 && k + 5 < size)
                snprintf(out + k, size - k, ", ...");
            else if (*n < 8 && k + strlen(key) + 3 < size)
                snprintf(out + k, size - k, "%s%s", k ? ", " : "", key);
            (*n)++;
        }
        list_keys_at(el->children, element, out, size, n);
    }
}

static void list_keys(const xmlNode *root, const char *element, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    list_keys_at(root, element, out, size, &n);
}

int ts__overrides_apply(xmlNode *root, const ts_scenario_options *opts, const char *file,
                        ts__override_mark *marks, ts_error *err)
{
    for (size_t i = 0; i < opts->n_overrides; i++) {
        const char *text = opts->overrides[i];
        override_path p;
        const char *value = NULL;
        int rc = ts__override_parse(text, &p, &value, err);
        if (rc != TS_OK)
            return rc;
        match m = {NULL, 0};
        find(root, &p, &m);
        if (m.count == 0 && p.keyed) {
            char known[512];
            list_keys(root, p.element, known, sizeof known);
            return ts_error_set(err, TS_ENOENT, file, 0, "--set %s: no <%s> has the id \"%s\"%s%s%s",
                                text, p.element, p.key, known[0] ? " (there are: " : "", known,
                                known[0] ? ")" : "");
        }
        if (m.count == 0)
            return ts_error_set(err, TS_ENOENT, file, 0, "--set %s: the scenario has no <%s>",
                                text, p.element);
        if (m.count > 1)
            return p.keyed
                ? ts_error_set(err, TS_EINVAL, file, ts__line(m.first),
                               "--set %s: %zu <%s> elements are named \"%s\"", text, m.count,
                               p.element, p.key)
                : ts_error_set(err, TS_EINVAL, file, ts__line(m.first),
                               "--set %s: the scenario has %zu <%s> elements; name one as "
                               "%s[ID].%s",
                               text, m.count, p.element, p.element, p.attribute);
        if (!xmlSetProp(m.first, BAD_CAST p.attribute, BAD_CAST value))
            return ts_error_set(err, TS_ENOMEM, file, 0, "--set %s: out of memory", text);
        marks[i].line = ts__line(m.first);
        marks[i].text = text;
    }
    return TS_OK;
}

void ts__overrides_explain(const ts__override_mark *marks, size_t n, const char *file,
                           ts_error *err)
{
    if (!err || err->code == TS_OK || err->line <= 0 || strcmp(err->file, file) != 0)
        return;
    for (size_t i = 0; i < n; i++) {
        if (marks[i].line != err->line || !marks[i].text)
            continue;
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        snprintf(err->msg, sizeof err->msg, "--set %.200s: %.780s", marks[i].text, msg);
        return;
    }
}
