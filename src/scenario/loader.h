/*
 * Private to src/scenario/: the state of one ts_scenario_load call, shared
 * by load.c (reading, parsing, schema validation, the document walk),
 * models.c (hardware-model lookup and loading) and check.c (meaning checks
 * that need the whole scenario). Nothing here is part of the public API.
 */
#ifndef TOPOSIM_SCENARIO_LOADER_H
#define TOPOSIM_SCENARIO_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "toposim/error.h"
#include "toposim/scenario.h"

/* Largest scenario or model file we read: far above any real scenario,
 * small enough that a wrong path (a log, /dev/zero) fails fast. */
#define TS__MAX_DOC_BYTES ((size_t)16 << 20)

typedef enum {
    TS__MODEL_COMPUTER = 0,
    TS__MODEL_JETSON = 1,
    TS__MODEL_SERVER = 2,
    TS__MODEL_CLOUD = 3,
    TS__MODEL_LINK = 4
} ts__model_kind;

/* One hardware model as read from models/<name>.xml. */
typedef struct ts__model {
    char *name;
    char *path;              /* the file it came from */
    ts__model_kind kind;
    /* compute models */
    int cores;
    int64_t memory_bytes;
    int gpus;
    int64_t gpu_memory_bytes;
    /* link models */
    int64_t latency_ns;
    double bandwidth_bps;
    int64_t queue_bytes;     /* 0 when the model gives none */
} ts__model;

/* The first libxml2 error of a parse or validation, captured rather than
 * printed. */
typedef struct ts__xml_error {
    int seen;
    long line;
    char msg[768];
} ts__xml_error;

typedef struct ts__loader {
    const char *file;        /* the scenario's name in errors */
    const ts_scenario_options *opts;
    ts_error *err;
    xmlSchemaPtr schema;     /* parsed once per load from the embedded XSD */
    ts__xml_error xerr;
    ts__model *models;       /* models read so far, in first-use order */
    size_t n_models, cap_models;
} ts__loader;

/* Reads a whole file of at most `cap` bytes into a NUL-terminated buffer
 * the caller frees with ts_free. Returns TS_OK, TS_EIO (*sys_errno set),
 * TS_ERANGE (the file is larger than cap) or TS_ENOMEM. */
int ts__read_file(const char *path, size_t cap, char **text, size_t *len,
                  int *sys_errno);

/* Parses text (refusing any DOCTYPE) and validates it against the schema.
 * On success *doc is the caller's to xmlFreeDoc; on failure err names
 * file:line with libxml2's first message. */
int ts__xml_load(ts__loader *L, const char *text, size_t len,
                 const char *file, xmlDocPtr *doc);

/* Line of an element (or of an attribute's element), 0 if unknown. */
int ts__line(const xmlNode *node);

/* The value of an attribute without namespace, or NULL when absent. The
 * pointer belongs to the document and lives as long as it does. */
const char *ts__attr(const xmlNode *el, const char *name);

/* Finds (or reads and caches) the model `name` for element `elem` (at its
 * line in the scenario), which needs a model of kind `kind`. The result
 * belongs to L and stays valid until the next ts__model_get. */
int ts__model_get(ts__loader *L, const char *name, ts__model_kind kind,
                  const xmlNode *elem, const ts__model **out);

/* Frees the loader's model cache and schema. */
void ts__loader_fini(ts__loader *L);

/* Walks a validated <scenario> document into s (whose path, name and text
 * are already set): sites, nodes, links, components, topics and
 * requirements, resolving references and checking meaning as it goes. */
int ts__build(ts__loader *L, const xmlNode *root, ts_scenario *s);

/* Checks that every compute node reaches every other one over the links
 * (links are undirected); errors at the first unreachable node's line. */
int ts__check_reachable(const ts_scenario *s, const char *file,
                        ts_error *err);

/* Writes a duration readably ("1ms", "333333ns") into buf. */
void ts__format_ns(int64_t ns, char *buf, size_t size);

#endif
