/*
 * Model variants: a component's model="yolov8s" names a neural network
 * whose builds (FP32, FP16, INT8 through TensorRT, on the GPU or a DLA)
 * models/dnn-yolov8s.xml describes, per hardware model, with their
 * execution time, memory, power and accuracy (README, "Model variants").
 * The file is found as hardware models are (models.c), read once per
 * scenario into s->dnns, and validated by the same schema. variant= pins
 * one build; otherwise plan chooses per node (src/sim/plan_variants.c).
 */
#include "loader.h"

#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"

enum { PATH_CAP = 4096 };

static const char *const precision_names[] = {"fp32", "fp16", "int8"};
static const char *const engine_names[] = {"gpu", "dla"};

const ts_scenario_dnn_figures *ts_scenario_dnn_on(const ts_scenario_dnn_variant *v,
                                                  const char *module)
{
    for (size_t i = 0; module && i < v->n_on; i++)
        if (strcmp(v->on[i].module, module) == 0)
            return &v->on[i];
    return NULL;
}

static int token_index(const char *value, const char *const *names, int n)
{
    for (int i = 0; value && i < n; i++)
        if (ts__token_eq(value, names[i]))
            return i;
    return -1;
}

static size_t count_children(const xmlNode *parent)
{
    size_t n = 0;
    for (const xmlNode *c = ts__first_child(parent); c; c = ts__next_sibling(c))
        n++;
    return n;
}

static int oom(ts__loader *L, const char *path, const xmlNode *el)
{
    return ts_error_set(L->err, TS_ENOMEM, path, ts__line(el), "out of memory");
}

/* One <on model=...> of a variant. */
static int read_figures(ts__loader *L, const char *path, const char *who,
                        const xmlNode *el, ts_scenario_dnn_figures *f)
{
    ts__at at = {L->err, path, who, L->owner};
    int present;
    int rc = ts__quantity(&at, el, "exec", TS__Q_TIME, &f->exec_ns, NULL, &present);
    if (!rc)
        rc = ts__quantity(&at, el, "accel-exec", TS__Q_TIME, &f->accel_exec_ns, NULL,
                          &present);
    if (!rc)
        rc = ts__quantity(&at, el, "memory", TS__Q_BYTES, &f->memory_bytes, NULL,
                          &present);
    if (!rc)
        rc = ts__quantity(&at, el, "power", TS__Q_POWER, NULL, &f->power_w, &present);
    if (rc)
        return rc;
    const char *zero = f->exec_ns <= 0         ? "exec"
                       : f->accel_exec_ns <= 0 ? "accel-exec"
                                               : NULL;
    if (zero)
        return ts_error_set(L->err, TS_EINVAL, path, ts__line(el),
                            "%s: %s=\"%s\" must be greater than 0", who, zero,
                            ts__attr(el, zero));
    f->module = ts_strdup(ts__attr(el, "model"));
    return f->module ? TS_OK : oom(L, path, el);
}

static int read_variant(ts__loader *L, const char *path, const char *name,
                        const xmlNode *el, ts_scenario_dnn_variant *v)
{
    char who[320];
    snprintf(who, sizeof who, "model %s <variant name=\"%s\">", name,
             ts__attr(el, "name"));
    ts__at at = {L->err, path, who, L->owner};
    v->precision = (ts_dnn_precision)token_index(ts__attr(el, "precision"),
                                                 precision_names, 3);
    v->engine = (ts_dnn_engine)token_index(ts__attr(el, "engine"), engine_names, 2);
    int rc = ts__quantity(&at, el, "accuracy", TS__Q_FRACTION, NULL, &v->accuracy, NULL);
    if (rc)
        return rc;
    v->name = ts_strdup(ts__attr(el, "name"));
    v->on = ts_calloc(count_children(el) + 1, sizeof *v->on);
    if (!v->name || !v->on)
        return oom(L, path, el);
    for (const xmlNode *c = ts__first_child(el); c; c = ts__next_sibling(c)) {
        const char *module = ts__attr(c, "model");
        if (ts_scenario_dnn_on(v, module))
            return ts_error_set(L->err, TS_EINVAL, path, ts__line(c),
                                "%s: figures for model \"%s\" given twice", who,
                                module);
        rc = read_figures(L, path, who, c, &v->on[v->n_on]);
        if (rc)
            return rc;
        v->n_on++;
    }
    return TS_OK;
}

/* Fills d from a validated document whose file is dnn-<name>.xml. */
static int read_dnn(ts__loader *L, const char *path, const char *name,
                    const xmlNode *root, ts_scenario_dnn *d)
{
    int line = ts__line(root);
    if (!xmlStrEqual(root->name, BAD_CAST "dnn"))
        return ts_error_set(L->err, TS_EPARSE, path, line,
                            "expected <dnn> as the root element of a network's "
                            "file, found <%s>", (const char *)root->name);
    const char *declared = ts__attr(root, "name");
    if (!declared || strcmp(declared, name) != 0)
        return ts_error_set(L->err, TS_EINVAL, path, line,
                            "the network calls itself name=\"%s\" but its file "
                            "is dnn-%s.xml (they must agree)",
                            declared ? declared : "", name);
    d->variants = ts_calloc(count_children(root) + 1, sizeof *d->variants);
    if (!d->variants)
        return oom(L, path, root);
    for (const xmlNode *c = ts__first_child(root); c; c = ts__next_sibling(c)) {
        const char *vname = ts__attr(c, "name");
        for (size_t i = 0; i < d->n_variants; i++)
            if (strcmp(d->variants[i].name, vname) == 0)
                return ts_error_set(L->err, TS_EINVAL, path, ts__line(c),
                                    "model %s: variant \"%s\" declared twice",
                                    name, vname);
        /* counted before it is read, so a half-read variant is freed too */
        int rc = read_variant(L, path, name, c, &d->variants[d->n_variants++]);
        if (rc)
            return rc;
    }
    return TS_OK;
}

static void dnn_fini(ts_scenario_dnn *d)
{
    for (size_t i = 0; i < d->n_variants; i++) {
        ts_scenario_dnn_variant *v = &d->variants[i];
        for (size_t k = 0; k < v->n_on; k++)
            ts_free(v->on[k].module);
        ts_free(v->on);
        ts_free(v->name);
    }
    ts_free(d->variants);
    ts_free(d->name);
    ts_free(d->path);
}

void ts__dnn_free(ts_scenario *s)
{
    for (size_t i = 0; i < s->n_dnns; i++)
        dnn_fini(&s->dnns[i]);
    ts_free(s->dnns);
    s->dnns = NULL;
    s->n_dnns = 0;
}

/* Index of network `name` in s->dnns, read from models/dnn-NAME.xml on
 * first use, into *index; TS_OK or the error, with err set. */
static int dnn_index(ts__builder *b, const char *name, const xmlNode *elem, int *index)
{
    ts_scenario *s = b->s;
    for (size_t i = 0; i < s->n_dnns; i++)
        if (strcmp(s->dnns[i].name, name) == 0) {
            *index = (int)i;
            return TS_OK;
        }
    ts__loader *L = b->L;
    if (s->n_dnns >= UINT16_MAX - 1)
        return ts_error_set(L->err, TS_EINVAL, b->file, ts__line(elem),
                            "too many networks named by model= (at most %d)",
                            UINT16_MAX - 1);
    char file_name[300], path[PATH_CAP];
    snprintf(file_name, sizeof file_name, "dnn-%s", name);
    int rc = ts__model_path(L, file_name, elem, path, sizeof path);
    if (rc) {
        size_t n = L->err ? strlen(L->err->msg) : sizeof L->err->msg;
        if (n + 1 < sizeof L->err->msg)
            snprintf(L->err->msg + n, sizeof L->err->msg - n,
                     " (model=\"%s\" names a network, read from "
                     "models/dnn-%s.xml)", name, name);
        return rc;
    }
    char *text;
    size_t len;
    int sys_errno;
    rc = ts__read_file(path, TS__MAX_DOC_BYTES, &text, &len, &sys_errno);
    if (rc) {
        return ts_error_set(L->err, rc == TS_ENOMEM ? TS_ENOMEM : TS_EIO, b->file,
                     ts__line(elem), "model %s: cannot read %s: %s", name, path,
                     rc == TS_EIO ? ts__read_error_text(sys_errno)
                     : rc == TS_ERANGE ? "the file is too large"
                                       : "out of memory");
    }
    ts_scenario_dnn *grown = ts_realloc(s->dnns, (s->n_dnns + 1) * sizeof *grown);
    if (!grown) {
        ts_free(text);
        return oom(L, b->file, elem);
    }
    s->dnns = grown;
    ts_scenario_dnn *d = &s->dnns[s->n_dnns];
    memset(d, 0, sizeof *d);
    xmlDocPtr doc = NULL;
    rc = ts__xml_load(L, text, len, path, &doc);
    if (rc == TS_OK)
        rc = read_dnn(L, path, name, xmlDocGetRootElement(doc), d);
    xmlFreeDoc(doc);
    ts_free(text);
    if (rc == TS_OK) {
        d->name = ts_strdup(name);
        d->path = ts_strdup(path);
        if (!d->name || !d->path)
            rc = oom(L, b->file, elem);
    }
    if (rc) {
        dnn_fini(d);
        return rc;
    }
    *index = (int)s->n_dnns++;
    return TS_OK;
}

static void list_variants(const ts_scenario_dnn *d, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < d->n_variants && used + 1 < size; i++) {
        int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                         d->variants[i].name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

int ts__dnn_component(ts__builder *b, const xmlNode *el, ts_scenario_component *c,
                      const char *who)
{
    int line = ts__line(el);
    const char *model = ts__attr(el, "model");
    static const char *const refused[] = {"exec", "exec-min", "gpu-exec"};
    for (size_t i = 0; i < 3; i++)
        if (ts__attr(el, refused[i]))
            return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                "%s: %s=\"%s\" beside model=\"%s\": the "
                                "model's variants give the execution times "
                                "(leave %s= out)", who, refused[i],
                                ts__attr(el, refused[i]), model, refused[i]);
    if (ts__child_named(el, "version"))
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: <version> beside model=\"%s\": versions of "
                            "a component with model variants are not "
                            "supported (give each build its own component)",
                            who, model);
    if (ts__child_named(el, "exec"))
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: an <exec> element beside model=\"%s\": the "
                            "model's variants give the execution times", who,
                            model);
    int k = -1;
    int rc = dnn_index(b, model, el, &k);
    if (rc)
        return rc;
    const ts_scenario_dnn *d = &b->s->dnns[k];
    c->shared->dnn = (uint16_t)(k + 1);
    c->shared->dnn_variant = 0;
    const char *variant = ts__attr(el, "variant");
    if (variant) {
        for (size_t i = 0; i < d->n_variants; i++)
            if (strcmp(d->variants[i].name, variant) == 0)
                c->shared->dnn_variant = (uint16_t)(i + 1);
        if (!c->shared->dnn_variant) {
            char names[256];
            list_variants(d, names, sizeof names);
            return ts_error_set(b->L->err, TS_ENOENT, b->file, line,
                                "%s: variant=\"%s\" is no variant of model "
                                "\"%s\" (%s declares %s)", who, variant, model,
                                d->path, names);
        }
    }
    /* Until plan picks a variant for its node, the component's times are
     * the largest any candidate variant takes anywhere: what code that
     * knows nothing of variants (and the trace's component table) sees. */
    int64_t exec = 0, accel = 0;
    for (size_t i = 0; i < d->n_variants; i++) {
        if (c->shared->dnn_variant && i + 1 != c->shared->dnn_variant)
            continue;
        for (size_t j = 0; j < d->variants[i].n_on; j++) {
            const ts_scenario_dnn_figures *f = &d->variants[i].on[j];
            if (f->exec_ns > exec)
                exec = f->exec_ns;
            if (f->accel_exec_ns > accel)
                accel = f->accel_exec_ns;
        }
    }
    if (exec <= 0)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: model \"%s\" (%s) gives no figures for %s",
                            who, model, d->path,
                            variant ? variant : "any variant");
    memset(c->shared->exec_dist, 0, sizeof *c->shared->exec_dist);
    c->shared->exec_ns = exec;
    c->shared->exec_min_ns = exec;
    c->shared->gpu_exec_ns = accel;
    return TS_OK;
}

int ts__dnn_component_node(ts__builder *b, const xmlNode *el,
                           const ts_scenario_component *c, const char *who)
{
    if (!c->shared->dnn)
        return TS_OK;
    int line = ts__line(el);
    const ts_scenario_dnn *d = &b->s->dnns[c->shared->dnn - 1];
    if (c->shared->gpus < 1 && c->shared->gpu_share_milli == 0)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: model=\"%s\" runs a network on the GPU or a "
                            "DLA, which the run models on the node's GPU: ask "
                            "for one (gpus=\"1\") or a share (gpus=\"0.5\")",
                            who, d->name);
    if (c->pin < 0)
        return TS_OK;
    const ts_scenario_node *n = &b->s->nodes[c->pin];
    const char *module = n->model ? n->model : "(inline, no hardware model)";
    if (c->shared->dnn_variant) {
        const ts_scenario_dnn_variant *v = &d->variants[c->shared->dnn_variant - 1];
        if (ts_scenario_dnn_on(v, n->model))
            return TS_OK;
        if (v->engine == TS_DNN_DLA)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                "%s: variant=\"%s\" of model \"%s\" runs on a "
                                "DLA, and node %s (%s) has none: %s gives it "
                                "figures only for modules with a DLA (pick a "
                                "GPU variant, or pin it to such a module)",
                                who, v->name, d->name, n->id, module, d->path);
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "%s: variant=\"%s\" of model \"%s\" has no figures "
                            "for node %s (%s) in %s", who, v->name, d->name,
                            n->id, module, d->path);
    }
    for (size_t i = 0; i < d->n_variants; i++)
        if (ts_scenario_dnn_on(&d->variants[i], n->model))
            return TS_OK;
    return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                        "%s: model \"%s\" has no variant with figures for node "
                        "%s (%s) in %s", who, d->name, n->id, module, d->path);
}
