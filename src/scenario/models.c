/*
 * Hardware models: a scenario names a model (model="jetson-orin-nx-16gb")
 * and the loader reads models/<name>.xml, validated by the same schema.
 * Where models/ is looked for, in order: the options' models_dir;
 * $TOPOSIM_MODELS (a ':'-separated list); models/ inside the scenario's
 * folder, beside it and one level further up (so scenarios/x.xml and
 * tests/bad/x.xml both find the repository's ./models); then, relative to
 * the running executable, ../share/toposim/models (an installed copy) and
 * ../models (build/toposim in a checkout). The first file found wins, so
 * a scenario's own models shadow the library's.
 */
#include "loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "toposim/alloc.h"
#include "toposim/units.h"

enum { PATH_CAP = 4096 };

static const char *const kind_names[] = {"computer", "jetson", "server",
                                         "cloud", "link"};

/* Model names are file names: [a-z0-9._-]+, so never a path. */
static int valid_model_name(const char *name)
{
    if (!name || !*name)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

/* The search: candidate folders in order, the first hit, and the list of
 * folders tried (for the "unknown model" message). */
typedef struct finder {
    const char *name;
    int found;
    char path[PATH_CAP];
    char looked[600];
    size_t n_looked;
} finder;

static void try_dir(finder *f, const char *dir, size_t dir_len)
{
    if (f->found || dir_len == 0)
        return;
    char path[PATH_CAP];
    int n = snprintf(path, sizeof path, "%.*s/%s.xml", (int)dir_len, dir,
                     f->name);
    if (n < 0 || (size_t)n >= sizeof path)
        return;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        memcpy(f->path, path, (size_t)n + 1);
        f->found = 1;
        return;
    }
    size_t used = strlen(f->looked);
    if (used + 8 < sizeof f->looked)
        snprintf(f->looked + used, sizeof f->looked - used, "%s%.*s",
                 f->n_looked ? ", " : "", (int)dir_len, dir);
    f->n_looked++;
}

static void try_joined(finder *f, const char *base, const char *rest)
{
    char dir[PATH_CAP];
    int n;
    if (strcmp(base, ".") == 0)
        n = snprintf(dir, sizeof dir, "%s", rest);
    else
        n = snprintf(dir, sizeof dir, "%s/%s", base, rest);
    if (n > 0 && (size_t)n < sizeof dir)
        try_dir(f, dir, (size_t)n);
}

/* Copies the folder part of path into dir ("." when there is none). */
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

static void search(finder *f, const ts__loader *L)
{
    if (L->opts && L->opts->models_dir && *L->opts->models_dir)
        try_dir(f, L->opts->models_dir, strlen(L->opts->models_dir));

    const char *env = getenv("TOPOSIM_MODELS");
    while (env && *env) {
        const char *colon = strchr(env, ':');
        size_t n = colon ? (size_t)(colon - env) : strlen(env);
        try_dir(f, env, n);
        env = colon ? colon + 1 : NULL;
    }

    char dir[PATH_CAP];
    dir_of(L->file, dir, sizeof dir);
    try_joined(f, dir, "models");
    try_joined(f, dir, "../models");
    try_joined(f, dir, "../../models");

    char exe[PATH_CAP];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        dir_of(exe, dir, sizeof dir);
        try_joined(f, dir, "../share/toposim/models");
        try_joined(f, dir, "../models");
    }
}

int ts__model_path(ts__loader *L, const char *file_name, const xmlNode *elem,
                   char *path, size_t size)
{
    finder f;
    memset(&f, 0, sizeof f);
    f.name = file_name;
    search(&f, L);
    const char *id = ts__attr(elem, "id");
    if (!f.found)
        return ts_error_set(L->err, TS_ENOENT, L->file, ts__line(elem),
                            "%s %s: unknown model \"%s\": no %s.xml in %s",
                            (const char *)elem->name, id ? id : "", file_name,
                            file_name, f.looked);
    snprintf(path, size, "%s", f.path);
    return TS_OK;
}

/* Adds where the model was used to an error raised inside a model file,
 * so the reader can find both ends. */
static int used_at(int rc, ts__loader *L, const char *name,
                   const xmlNode *elem)
{
    size_t n = strlen(L->err ? L->err->msg : "");
    if (L->err && n + 1 < sizeof L->err->msg)
        snprintf(L->err->msg + n, sizeof L->err->msg - n,
                 " (model \"%s\" used by <%s id=\"%s\"> at %s:%d)", name,
                 (const char *)elem->name,
                 ts__attr(elem, "id") ? ts__attr(elem, "id") : "",
                 L->file, ts__line(elem));
    return rc;
}

static int positive(ts__loader *L, const char *path, const char *name,
                    const xmlNode *el, const char *attr, int ok)
{
    if (ok)
        return TS_OK;
    return ts_error_set(L->err, TS_EINVAL, path, ts__line(el),
                        "model %s: %s=\"%s\" must be greater than 0", name,
                        attr, ts__attr(el, attr));
}

static int int_attr(const xmlNode *el, const char *attr, int *out)
{
    const char *v = ts__attr(el, attr);
    if (!v)
        return 0;
    /* The schema already holds it to xs:int. */
    *out = (int)strtol(v, NULL, 10);
    return 1;
}

/* Reads a compute model's <power> and <thermal> children; each must be
 * complete on its own, since any node may use the model as it is. */
static int read_compute_parts(ts__loader *L, const char *path,
                              const char *name, const xmlNode *compute,
                              ts__model *m)
{
    char who[320];
    ts__at at = {L->err, path, who, L->owner};
    for (const xmlNode *c = ts__first_child(compute); c;
         c = ts__next_sibling(c)) {
        int rc;
        snprintf(who, sizeof who, "model %s <%s>", name,
                 (const char *)c->name);
        if (xmlStrEqual(c->name, BAD_CAST "power")) {
            m->has_power = 1;
            rc = ts__power_read(&at, c, &m->power, &m->power_set);
            if (!rc)
                rc = ts__power_finish(&at, ts__line(c), &m->power,
                                      m->power_set, m->cores, m->gpus);
        } else {
            m->has_thermal = 1;
            rc = ts__thermal_read(&at, c, &m->thermal, &m->thermal_set);
            if (!rc)
                rc = ts__thermal_finish(&at, ts__line(c), &m->thermal,
                                        m->thermal_set);
        }
        if (rc)
            return rc;
    }
    return TS_OK;
}

/* Fills m from a validated <model> document. */
static int read_model(ts__loader *L, const char *path, const char *name,
                      const xmlNode *root, ts__model *m)
{
    int line = ts__line(root);
    if (!xmlStrEqual(root->name, BAD_CAST "model"))
        return ts_error_set(L->err, TS_EPARSE, path, line,
                            "expected <model> as the root element of a "
                            "model file, found <%s>",
                            (const char *)root->name);
    const char *declared = ts__attr(root, "name");
    if (!declared || strcmp(declared, name) != 0)
        return ts_error_set(L->err, TS_EINVAL, path, line,
                            "the model calls itself name=\"%s\" but its "
                            "file is %s.xml (they must agree)",
                            declared ? declared : "", name);
    const char *kind = ts__attr(root, "kind");
    int k = -1;
    for (int i = 0; kind && i < 5; i++)
        if (strcmp(kind, kind_names[i]) == 0)
            k = i;
    if (k < 0)
        return ts_error_set(L->err, TS_EINVAL, path, line,
                            "model %s: unknown kind \"%s\"", name,
                            kind ? kind : "");
    m->kind = (ts__model_kind)k;

    const xmlNode *el = root->children;
    while (el && el->type != XML_ELEMENT_NODE)
        el = el->next;
    if (!el)
        return ts_error_set(L->err, TS_EPARSE, path, line,
                            "model %s: expected a <compute> or <link> "
                            "element", name);
    int is_link = xmlStrEqual(el->name, BAD_CAST "link");
    if (is_link != (m->kind == TS__MODEL_LINK))
        return ts_error_set(L->err, TS_EINVAL, path, ts__line(el),
                            "model %s: kind=\"%s\" needs a <%s> element, "
                            "not <%s>", name, kind,
                            m->kind == TS__MODEL_LINK ? "link" : "compute",
                            (const char *)el->name);

    char who[320];
    snprintf(who, sizeof who, "model %s", name);
    ts__at at = {L->err, path, who, L->owner};
    int rc, present;
    double unused_d;
    int64_t unused_i;
    if (is_link) {
        rc = ts__quantity(&at, el, "latency", TS__Q_TIME, &m->latency_ns,
                          &unused_d, &present);
        if (!rc)
            rc = ts__quantity(&at, el, "bandwidth", TS__Q_BITRATE, &unused_i,
                              &m->bandwidth_bps, &present);
        if (!rc)
            rc = positive(L, path, name, el, "bandwidth",
                          m->bandwidth_bps > 0);
        if (!rc)
            rc = ts__quantity(&at, el, "queue", TS__Q_BYTES, &m->queue_bytes,
                              &unused_d, &present);
        if (!rc && present)
            rc = positive(L, path, name, el, "queue", m->queue_bytes > 0);
        if (!rc)
            rc = ts__link_options_read(&at, el, &m->options);
        return rc;
    }
    int_attr(el, "cores", &m->cores);
    int_attr(el, "gpus", &m->gpus);
    rc = ts__quantity(&at, el, "memory", TS__Q_BYTES, &m->memory_bytes,
                      &unused_d, &present);
    if (!rc)
        rc = positive(L, path, name, el, "memory", m->memory_bytes > 0);
    if (!rc)
        rc = ts__quantity(&at, el, "gpu-memory", TS__Q_BYTES,
                          &m->gpu_memory_bytes, &unused_d, &present);
    if (!rc)
        rc = ts__quantity(&at, el, "gpu-timeslice", TS__Q_TIME,
                          &m->gpu_timeslice_ns, &unused_d, &present);
    if (!rc && present)
        rc = positive(L, path, name, el, "gpu-timeslice", m->gpu_timeslice_ns > 0);
    const char *sharing = ts__attr(el, "gpu-sharing");
    m->gpu_partition = sharing && ts__token_eq(sharing, "partition");
    if (!rc)
        rc = read_compute_parts(L, path, name, el, m);
    return rc;
}

/* Reads models/<name>.xml into a new cache slot. */
static int load_model(ts__loader *L, const char *name, const xmlNode *elem,
                      const ts__model **out)
{
    finder f;
    memset(&f, 0, sizeof f);
    f.name = name;
    search(&f, L);
    int line = ts__line(elem);
    const char *id = ts__attr(elem, "id");
    if (!f.found)
        return ts_error_set(L->err, TS_ENOENT, L->file, line,
                            "%s %s: unknown model \"%s\": no %s.xml in %s",
                            (const char *)elem->name, id ? id : "", name,
                            name, f.looked);

    char *text;
    size_t len;
    int sys_errno;
    int rc = ts__read_file(f.path, TS__MAX_DOC_BYTES, &text, &len,
                           &sys_errno);
    if (rc == TS_EIO)
        return ts_error_set(L->err, TS_EIO, L->file, line,
                            "%s %s: cannot read model file %s: %s",
                            (const char *)elem->name, id ? id : "", f.path,
                            ts__read_error_text(sys_errno));
    if (rc == TS_ERANGE)
        return ts_error_set(L->err, TS_EINVAL, L->file, line,
                            "%s %s: model file %s is larger than %zu MiB",
                            (const char *)elem->name, id ? id : "", f.path,
                            TS__MAX_DOC_BYTES >> 20);
    if (rc)
        return ts_error_set(L->err, rc, L->file, line, "out of memory");

    if (L->n_models == L->cap_models) {
        size_t cap = L->cap_models ? L->cap_models * 2 : 8;
        ts__model *grown = ts_realloc(L->models, cap * sizeof *grown);
        if (!grown) {
            ts_free(text);
            return ts_error_set(L->err, TS_ENOMEM, L->file, line,
                                "out of memory");
        }
        L->models = grown;
        L->cap_models = cap;
    }
    ts__model m;
    memset(&m, 0, sizeof m);
    m.power.initial_mode = -1;

    xmlDocPtr doc = NULL;
    rc = ts__xml_load(L, text, len, f.path, &doc);
    if (rc == TS_OK)
        rc = read_model(L, f.path, name, xmlDocGetRootElement(doc), &m);
    xmlFreeDoc(doc);
    ts_free(text);
    if (rc) {
        ts__power_fini(&m.power);
        return used_at(rc, L, name, elem);
    }

    m.name = ts_strdup(name);
    m.path = ts_strdup(f.path);
    if (!m.name || !m.path) {
        ts__power_fini(&m.power);
        ts_free(m.name);
        ts_free(m.path);
        return ts_error_set(L->err, TS_ENOMEM, L->file, line,
                            "out of memory");
    }
    L->models[L->n_models] = m;
    *out = &L->models[L->n_models++];
    return TS_OK;
}

int ts__model_get(ts__loader *L, const char *name, ts__model_kind kind,
                  const xmlNode *elem, const ts__model **out)
{
    *out = NULL;
    int line = ts__line(elem);
    const char *id = ts__attr(elem, "id");
    if (!valid_model_name(name))
        return ts_error_set(L->err, TS_EINVAL, L->file, line,
                            "%s %s: model=\"%s\" is not a model name "
                            "(expected a-z, 0-9, '.', '_' or '-'; a model is "
                            "named, not given by path)",
                            (const char *)elem->name, id ? id : "", name);

    const ts__model *m = NULL;
    for (size_t i = 0; i < L->n_models && !m; i++)
        if (strcmp(L->models[i].name, name) == 0)
            m = &L->models[i];
    if (!m) {
        int rc = load_model(L, name, elem, &m);
        if (rc)
            return rc;
    }
    if (m->kind != kind)
        return ts_error_set(L->err, TS_EINVAL, L->file, line,
                            "%s %s: model \"%s\" (%s) is a %s model, but "
                            "<%s> needs a %s model",
                            (const char *)elem->name, id ? id : "", name,
                            m->path, kind_names[m->kind],
                            (const char *)elem->name, kind_names[kind]);
    *out = m;
    return TS_OK;
}
