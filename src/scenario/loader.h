/*
 * Private to src/scenario/: the state of one ts_scenario_load call, shared
 * by load.c (reading, parsing, schema validation), build.c (the document
 * walk), deploy_fields.c (the parts only the deployment code reads),
 * fleet_expand.c (fleet copies), fleet_variety.c, robot_override.c and
 * copy_refs.c (what differs between a fleet's robots: phases, clock
 * offsets, per-robot overrides, faults and expects naming copies; their
 * shared types in variety.h), models.c (hardware-model lookup and
 * loading), elements.c (the elements scenarios and models share:
 * quantities, power, thermal, distributions, loss, link options),
 * qos_import.c (QoS profiles from a Fast DDS XML profiles file) and
 * check.c (meaning checks that need the whole scenario). Nothing here is
 * part of the public API.
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

/* Which attributes of a <power> element were given (ts__power_read). */
enum {
    TS__POWER_IDLE = 1u << 0,
    TS__POWER_CORE_DYN = 1u << 1,
    TS__POWER_GPU_DYN = 1u << 2,
    TS__POWER_CPU_REF = 1u << 3,
    TS__POWER_GPU_REF = 1u << 4,
    TS__POWER_EXPONENT = 1u << 5,
    TS__POWER_MODES = 1u << 6,
    TS__POWER_OC_SCALE = 1u << 7
};

/* Which attributes of a <thermal> element were given (ts__thermal_read). */
enum {
    TS__THERMAL_R_DIE_CASE = 1u << 0,
    TS__THERMAL_R_CASE_AMBIENT = 1u << 1,
    TS__THERMAL_R_CASE_AMBIENT_FAN = 1u << 2,
    TS__THERMAL_C_DIE = 1u << 3,
    TS__THERMAL_C_CASE = 1u << 4,
    TS__THERMAL_THROTTLE = 1u << 5,
    TS__THERMAL_RELEASE = 1u << 6,
    TS__THERMAL_THROTTLE_SCALE = 1u << 7,
    TS__THERMAL_FAN_ON = 1u << 8,
    TS__THERMAL_FAN_OFF = 1u << 9,
    TS__THERMAL_SHUTDOWN = 1u << 10
};

/* Which link options were given (ts__link_options_read). */
enum {
    TS__LINK_QUEUE_PACKETS = 1u << 0,
    TS__LINK_MTU = 1u << 1,
    TS__LINK_HEADER = 1u << 2,
    TS__LINK_REORDER = 1u << 3,
    TS__LINK_JITTER = 1u << 4,
    TS__LINK_LOSS = 1u << 5
};

/* A link's options beyond latency, bandwidth and queue, as a model or a
 * <link> element gives them; `set` says which were given. */
typedef struct ts__link_options {
    unsigned set;
    int64_t queue_packets;
    int64_t mtu_bytes;
    int64_t header_bytes;
    int reorder_allowed;
    ts_dist jitter;
    ts_scenario_loss loss;
} ts__link_options;

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
    int64_t gpu_timeslice_ns;  /* 0: not given */
    int gpu_partition;         /* gpu-sharing="partition" */
    /* compute models: complete and checked when has_power / has_thermal;
     * the model owns the modes (names included) */
    int has_power;
    ts_scenario_power power;
    unsigned power_set;      /* TS__POWER_* bits the file gave */
    int has_thermal;
    ts_scenario_thermal thermal;
    unsigned thermal_set;    /* TS__THERMAL_* bits the file gave */
    /* link models */
    int64_t latency_ns;
    double bandwidth_bps;
    int64_t queue_bytes;     /* 0 when the model gives none */
    ts__link_options options;
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
    ts_scenario *owner;      /* the scenario being built */
    struct ts__variety *variety; /* what differs between a fleet's robots,
                                    from the walk to the expansion
                                    (fleet_variety.c); NULL: nothing */
} ts__loader;

/* Reads a whole file of at most `cap` bytes into a NUL-terminated buffer
 * the caller frees with ts_free. Returns TS_OK, TS_EIO (*sys_errno set),
 * TS_ERANGE (the file is larger than cap) or TS_ENOMEM. */
int ts__read_file(const char *path, size_t cap, char **text, size_t *len,
                  int *sys_errno);

/* *sys_errno of ts__read_file when path is not a regular file. */
#define TS__NOT_REGULAR (-1)

/* What a ts__read_file failure's sys_errno means, for messages. */
const char *ts__read_error_text(int sys_errno);

/* Kinds of quantity attributes (see units.h; power, energy and plain
 * numbers are read in elements.c). */
typedef enum {
    TS__Q_TIME = 0,     /* int64 ns */
    TS__Q_PERIOD,       /* int64 ns, from "1kHz" or "1ms" */
    TS__Q_BYTES,        /* int64 bytes */
    TS__Q_BITRATE,      /* double bits/s */
    TS__Q_CPU,          /* int64 millicores */
    TS__Q_FRACTION,     /* double in [0, 1] */
    TS__Q_FREQUENCY,    /* double Hz, > 0 */
    TS__Q_CELSIUS,      /* double degrees C */
    TS__Q_POWER,        /* double W: "5W", "500mW", "1.2kW" */
    TS__Q_ENERGY,       /* double Wh: "500Wh", "2kWh", "800mWh" */
    TS__Q_NUMBER        /* double, a plain non-negative decimal "0.5" */
} ts__qkind;

/* Where values are read, for errors: the file, and how the element is
 * named in messages ("jetson r1_jetson <thermal>", "model gbe <jitter>"). */
typedef struct ts__at {
    ts_error *err;
    const char *file;
    const char *who;
    ts_scenario *owner;      /* keeps the bins of the histograms read; only
                                the readers of distributions need it */
} ts__at;

/* Reads an optional quantity attribute of el; *present (if not NULL)
 * says whether it was there. Integer kinds fill *i, real kinds *d. On a
 * bad value the error names at->file, el's line, who and the attribute. */
int ts__quantity(const ts__at *at, const xmlNode *el, const char *attr,
                 ts__qkind kind, int64_t *i, double *d, int *present);

/* Whether two xs:token values are equal once blanks are trimmed and inner
 * runs collapsed, as the schema compares them. */
int ts__token_eq(const char *a, const char *b);

/* A normalized copy of an xs:token value, for the caller to ts_free;
 * NULL when memory runs out. */
char *ts__token_dup(const char *v);

/* An optional xs:boolean attribute: 1 for "true" or "1", else 0. */
int ts__bool_attr(const xmlNode *el, const char *attr);

/* Error "who: attr="value" must be greater than 0" at el's line. */
int ts__must_be_positive(const ts__at *at, const xmlNode *el,
                         const char *attr);

/* The first child element of parent (or the next sibling element of n),
 * NULL when there is none. */
const xmlNode *ts__first_child(const xmlNode *parent);
const xmlNode *ts__next_sibling(const xmlNode *n);

/* Reads the attributes of a <power> element into p, over what p already
 * holds, and or-s TS__POWER_* bits into *set. <mode> children, if any,
 * replace p's modes as a whole (p owns its modes: the old ones are
 * freed). Duplicate mode names are an error. */
int ts__power_read(const ts__at *at, const xmlNode *el,
                   ts_scenario_power *p, unsigned *set);

/* Fills defaults (gpu-dyn 0, exponent 3, gpu-ref 0 without GPUs) and
 * checks a merged power model for a node with `cores` cores and `gpus`
 * GPUs; errors name at->file:line. initial_mode is set to 0 (or -1). */
int ts__power_finish(const ts__at *at, int line, ts_scenario_power *p,
                     unsigned set, int cores, int gpus);

/* Deep copy of src's modes into dst (all of *dst is overwritten); on
 * TS_ENOMEM dst holds no modes. */
int ts__power_copy(ts_scenario_power *dst, const ts_scenario_power *src);

/* Frees p's modes and their names; p stays usable (no modes). */
void ts__power_fini(ts_scenario_power *p);

/* Reads a <thermal> element's attributes into t over what it holds,
 * or-ing TS__THERMAL_* bits into *set. */
int ts__thermal_read(const ts__at *at, const xmlNode *el,
                     ts_scenario_thermal *t, unsigned *set);

/* Fills defaults (release = throttle - 5C, fan-off = fan-on - 5C, no fan,
 * single RC) and checks a merged thermal model. */
int ts__thermal_finish(const ts__at *at, int line, ts_scenario_thermal *t,
                       unsigned set);

/* Reads a distribution element (<jitter>, <exec>) into d: its kind, the
 * parameters in ns (pareto's shape as is) and a histogram's bins (gaps
 * between bins become zero-weight bins). Checks what ts_dist_prepare
 * would, naming the line; never builds the histogram table. */
int ts__dist_read(const ts__at *at, const xmlNode *el, ts_dist *d);

/* As ts__dist_read, with its values read as `kind` (TS__Q_TIME or
 * TS__Q_BYTES: a message size's distribution). */
int ts__dist_read_as(const ts__at *at, const xmlNode *el, ts__qkind kind, ts_dist *d);

/* Reads loss attributes (<loss> or a loss-burst fault) into l. model= is
 * optional when the attributes say which; "none" only when allow_none.
 * Mean loss and burst become the four Gilbert-Elliott parameters. */
int ts__loss_read(const ts__at *at, const xmlNode *el, ts_scenario_loss *l,
                  int allow_none);

/* Reads queue-packets, mtu, header, reorder and the <jitter> and <loss>
 * children of a <link> (model or scenario) into o, setting o->set. */
int ts__link_options_read(const ts__at *at, const xmlNode *el,
                          ts__link_options *o);

/* Parses text (refusing any DOCTYPE) and validates it against the schema.
 * On success *doc is the caller's to xmlFreeDoc; on failure err names
 * file:line with libxml2's first message. */
int ts__xml_load(ts__loader *L, const char *text, size_t len,
                 const char *file, xmlDocPtr *doc);

/* The bounds ts__xml_load checks before libxml2 sees the bytes (elements,
 * attributes per element, depth: limits.h; no NUL byte), for other XML
 * files the loader reads (an imported QoS profiles file). */
int ts__xml_prescan(ts_error *err, const char *text, size_t len, const char *file);

/* Validates a parsed document against the schema again (after
 * overrides changed it); errors as ts__xml_load's. */
int ts__xml_validate(ts__loader *L, xmlDocPtr doc, const char *file);

/* Line of an element (or of an attribute's element), 0 if unknown. */
int ts__line(const xmlNode *node);

/* An override applied (override.c): the line of the element it changed,
 * so an error the changed value causes there can name the override. */
typedef struct ts__override_mark {
    int line;
    const char *text;
} ts__override_mark;

/* Applies opts->overrides to the document under root, filling marks[i]
 * for each (opts->n_overrides of them). An unknown or ambiguous path is
 * an error naming it. */
int ts__overrides_apply(xmlNode *root, const ts_scenario_options *opts, const char *file,
                        ts__override_mark *marks, ts_error *err);

/* When err is at a line an override changed, prefixes "--set PATH=VALUE: ". */
void ts__overrides_explain(const ts__override_mark *marks, size_t n, const char *file,
                           ts_error *err);

/* The value of an attribute without namespace, or NULL when absent. The
 * pointer belongs to the document and lives as long as it does. */
const char *ts__attr(const xmlNode *el, const char *name);

/* Finds (or reads and caches) the model `name` for element `elem` (at its
 * line in the scenario), which needs a model of kind `kind`. The result
 * belongs to L and stays valid until the next ts__model_get. */
int ts__model_get(ts__loader *L, const char *name, ts__model_kind kind,
                  const xmlNode *elem, const ts__model **out);

/* Where models/<file_name>.xml is, searched as hardware models are, into
 * path; TS_ENOENT, with err naming elem's line and the folders tried,
 * when there is none. */
int ts__model_path(ts__loader *L, const char *file_name, const xmlNode *elem,
                   char *path, size_t size);

struct ts__builder;

/* model= and variant= of component el (dnn.c): reads models/dnn-NAME.xml
 * into the scenario's dnns once, resolves the variant, and sets the
 * component's execution times to the largest of its variants' figures
 * (plan picks the variant per node). exec=, exec-min=, gpu-exec= and
 * <exec> are refused beside model=. */
int ts__dnn_component(struct ts__builder *b, const xmlNode *el, ts_scenario_component *c,
                      const char *who);

/* After the pin and the GPU request: a component with model= asks for a
 * GPU (or a share), and its pinned node's hardware model has figures for
 * its pinned variant (or for at least one variant). */
int ts__dnn_component_node(struct ts__builder *b, const xmlNode *el,
                           const ts_scenario_component *c, const char *who);

/* Frees the scenario's dnns. */
void ts__dnn_free(ts_scenario *s);

/* Frees the loader's model cache and schema. */
void ts__loader_fini(ts__loader *L);

/* The state of one document walk, shared by build.c (the platform,
 * components, topics, requirements, faults) and deploy_fields.c (what the
 * deployment code needs: QoS profiles, redundancy, services, policies,
 * configuration, fleets, rollouts). Arrays grow by doubling; the cap_*
 * fields hold their capacities. */
typedef struct ts__builder {
    ts__loader *L;
    ts_scenario *s;
    const char *file;
    size_t cap_sites, cap_nodes, cap_links, cap_components, cap_topics,
        cap_requirements, cap_media, cap_faults, cap_profiles, cap_services,
        cap_clients, cap_zones, cap_allows, cap_fleets, cap_rollouts,
        cap_params, cap_expects, cap_chains;
    /* id -> index + 1, one table per kind of id */
    xmlHashTablePtr site_ids, node_ids, link_ids, component_ids, topic_ids,
        medium_ids, profile_ids, zone_ids, service_ids;
    /* sites the fleets parsed so far will add: copy K of the next fleet
     * becomes site n_sites + planned_sites + K - 1 */
    size_t planned_sites;
} ts__builder;

/* Error "out of memory" at file:line; returns TS_ENOMEM. */
int ts__oom(ts__builder *b, int line);

/* Returns arr grown (zero-filled) to hold one more than n items, or NULL
 * (arr untouched) when memory runs out. */
void *ts__grow(void *arr, size_t *cap, size_t n, size_t elem);

/* Adds id -> index; returns -1 when added, the existing index for a
 * duplicate, or -2 when memory runs out. */
int ts__id_add(xmlHashTablePtr t, const char *id, size_t index);

/* The index recorded for id, or -1. */
int ts__id_find(xmlHashTablePtr t, const char *id);

/* The first child element of parent with that name, or NULL. */
const xmlNode *ts__child_named(const xmlNode *parent, const char *name);

/* "component control_loop": how messages name an element. */
void ts__who_of(const xmlNode *el, char *buf, size_t size);

/* ts__quantity with the element named by ts__who_of. */
int ts__bquantity(ts__builder *b, const xmlNode *el, const char *attr,
                  ts__qkind k, int64_t *i, double *d, int *present);

/* Error "who: attr="value" must be greater than 0" at el's line. */
int ts__bpositive(ts__builder *b, const xmlNode *el, const char *attr);

/* An xs:int attribute the schema has checked: 1 and *out set when
 * present, else 0 and *out untouched. */
int ts__int_attr(const xmlNode *el, const char *attr, int *out);

/* ---- transport.c: how same-node samples travel ---------------------------- */

/* <transport same-node="..."/> of the platform (absent: shared memory). */
int ts__walk_transport(ts__builder *b, const xmlNode *platform);

/* A topic's transport= and loaned=; refuses a loan off shared memory. */
int ts__topic_transport(ts__builder *b, const xmlNode *el, ts_scenario_topic *t);

/* ---- deploy_fields.c: what the deployment code reads ---------------------
 * Each reads one section or one element's part and resolves its
 * references; errors name the element's line. */

/* <config>: global parameters (names unique). */
int ts__walk_config(ts__builder *b, const xmlNode *config);

/* <qos-profiles>: each profile from its base (a built-in or an earlier
 * profile), with its attributes laid over. */
int ts__walk_profiles(ts__builder *b, const xmlNode *profiles);

/* qos_import.c: the Fast DDS XML profiles file <qos-profiles import=...>
 * names (relative to the scenario's folder), each <data_writer> and
 * <data_reader> profile added as a scenario profile, before the inline
 * <profile>s (which may derive from them). */
int ts__qos_import(ts__builder *b, const xmlNode *profiles);

/* <policies>' zones (before components, which name them) and its
 * default=; then, after topics, its allow rules. */
int ts__walk_zones(ts__builder *b, const xmlNode *policies);
int ts__walk_allows(ts__builder *b, const xmlNode *policies);

/* A component's inheritance from its primary, read before its own
 * attributes (which then override): backup-of, standby, takeover, and
 * every inherited field. Sets c->backup_of. */
int ts__component_backup(ts__builder *b, const xmlNode *el, int index);

/* The rest of a component's deployment attributes and children, after its
 * timing, resources and pin: robot, monitoring, safety mode, needed,
 * isolation, zone, versions; then replicas= (appending id_2...). */
int ts__component_deploy(ts__builder *b, const xmlNode *el, int index);

/* After all components: every primary with backups has a heartbeat. */
int ts__check_backups(ts__builder *b);

/* A topic's qos=, writer-qos= and reader-qos=. */
int ts__topic_qos(ts__builder *b, const xmlNode *el, ts_scenario_topic *t);

/* <services>: services, then clients (which may name later services). */
int ts__walk_services(ts__builder *b, const xmlNode *services);

/* One <fleet>: template robot, count, coordinator, per-robot overrides
 * (as params on the sites the expansion will create). */
int ts__add_fleet(ts__builder *b, const xmlNode *el);

/* <rollouts>: component, version index, stages. */
int ts__walk_rollouts(ts__builder *b, const xmlNode *rollouts);

/* ---- chains.c ------------------------------------------------------------ */

/* <chains>: each chain's id (unique), budget and stages, every topic
 * stage checked against the components around it. After topics. */
int ts__walk_chains(ts__builder *b, const xmlNode *chains);

/* ---- discovery_settings.c ------------------------------------------------ */

/* discovery_settings.c: <discovery> (absent: discovery stays off). */
int ts__walk_discovery(ts__builder *b, const xmlNode *discovery);

/* ---- requirements.c ------------------------------------------------------ */

/* <requirements>: gates (each target resolved and able to see something)
 * and <expect>s. After components, topics, services, fleets, rollouts. */
int ts__walk_requirements(ts__builder *b, const xmlNode *requirements);

/* Deep copy of a component (id, distribution, safety mode, versions) into
 * *dst, which the caller has zeroed and which owns what was copied even
 * when this fails (TS_ENOMEM) part way. For a service's replicas; a
 * fleet's copies share their template's instead (fleet_expand.c). */
int ts__component_copy(ts_scenario_component *dst,
                       const ts_scenario_component *src, const char *id);

/* Frees what a component owns (not the struct). */
void ts__component_fini(ts_scenario_component *c);

/* "<id><sep><k>" ("detector_2", "h1_rt_r3"), for the caller to ts_free;
 * NULL when memory runs out. */
char *ts__id_suffix(const char *id, const char *sep, int k);

/* The placement tier rule: whether a component with these flags belongs
 * on a robot (real-time- or safety-critical, or no tier flag at all). */
int ts__robot_tier(uint32_t flags);

/* ---- fleet_expand.c ----------------------------------------------------- */

/* Expands every fleet of a built scenario (see ts_scenario_fleet): copies
 * 1..count-1 of the template robot's site, nodes, links, components,
 * topics, per-target requirements, clients and allow rules, appended copy
 * by copy. Errors (a robot-tier template component without a pin, a copy
 * whose id is taken) name the template element's line. */
int ts__fleet_expand(ts_scenario *s, struct ts__variety *v, const char *file,
                     ts_error *err);

/* A node's power and thermal models, and a link's jitter and loss: one
 * allocation each, which the node's power (the link's jitter) pointer
 * owns; a fleet copy's pointers are its template's. */
typedef struct ts__node_models {
    ts_scenario_power power;
    ts_scenario_thermal thermal;
} ts__node_models;

typedef struct ts__link_shape {
    ts_dist jitter;
    ts_scenario_loss loss;
} ts__link_shape;

/* Gives a new node (link) its own models (shape), zeroed; TS_ENOMEM. */
int ts__node_models_new(ts_scenario_node *n);
int ts__link_shape_new(ts_scenario_link *l);

/* 1 if node, link or topic i is a fleet copy: its id is then part of a
 * block its copy's site id owns, and is not freed on its own, nor are the models, shape,
 * subscribers and model names it shares with its template (a
 * component knows it by fleet_member > 0). */
/* A component's execution time distribution, safety mode and shared
 * fields: one allocation, which its exec_dist pointer owns; a fleet
 * copy's pointers are its template's. */
typedef struct ts__component_shape {
    ts_dist exec_dist;
    ts_dist gap_dist;
    ts_safety_mode safety;
    ts_scenario_component_shared shared;
} ts__component_shape;

/* Gives a new component its own shape, zeroed; TS_ENOMEM. */
int ts__component_shape_new(ts_scenario_component *c);

/* A new topic's QoS: the zero one of a topic without qos= (never NULL).
 * ts__topic_fini frees what ts__topic_qos allocated. */
void ts__topic_init(ts_scenario_topic *t);
void ts__topic_fini(ts_scenario_topic *t);

/* 1 when site i's id is its own allocation: not a fleet copy's, or the
 * first copy's, whose id owns the fleet's block of copy ids. */
int ts__fleet_copy_site_owns(const ts_scenario *s, size_t i);
int ts__fleet_copy_node(const ts_scenario *s, size_t i);
int ts__fleet_copy_link(const ts_scenario *s, size_t i);
int ts__fleet_copy_topic(const ts_scenario *s, size_t i);
int ts__fleet_copy_process(const ts_scenario *s, size_t i);
/* 1 when chain i is a fleet copy's (its id and stages are in the fleet's
 * block). */
int ts__fleet_copy_chain(const ts_scenario *s, size_t i);

/* ---- fleet_variety.c, robot_override.c, copy_refs.c: what differs
 * between a fleet's robots ------------------------------------------------
 * Release phases (phase=, on a fleet, a component or one robot), clock
 * offsets (clock-offset=, on a fleet or one robot), per-robot overrides of
 * a template component's attributes (<robot-override set=...>) and faults
 * that name a copy. The walk records them in L->variety; the expansion
 * grafts the overrides onto the copies, remaps the faults and finally
 * sets every component's release_shift_ns. */
typedef struct ts__variety ts__variety;

/* Which table a fault's reference names. */
typedef enum { TS__REF_NODE = 0, TS__REF_LINK = 1, TS__REF_COMPONENT = 2 } ts__ref_kind;

/* A reference naming a copy's entity where an index is kept (a
 * partition's links[], an <expect>'s node and component): its kind, its
 * template's index and the copy's number, held as TS__PENDING_REF(k)
 * until the expansion puts the copy's index there. */
typedef struct ts__pending_ref {
    int kind, index, robot;
} ts__pending_ref;
#define TS__PENDING_REF(k) (-2 - (int)(k))

/* One link of a partition's links=: *link its index, or a pending code for
 * a copy's; an error at el's line when it names no link. */
int ts__variety_partition_link(ts__builder *b, const xmlNode *el, const char *name, int *link);

/* A name of a copy's node or component ("h1_rt_r3") where a reference is
 * kept by index: *code a pending code, or -1 (no error) when it names no
 * copy; TS_ENOMEM. */
int ts__variety_copy_code(ts__builder *b, const char *name, ts__ref_kind kind, int line,
                          int *code);

/* The template entity of kind a pending code stands for (-1: none, or
 * another kind) and *robot its copy's number. */
int ts__variety_pending(const ts__variety *v, int code, ts__ref_kind kind, int *robot);

/* A component's phase= (after its timing is read; index is its own). */
int ts__variety_component(ts__builder *b, const xmlNode *el, int index);

/* A <fleet>'s phase= and clock-offset= and its <robot-override>s (after
 * the fleet itself was added as s->fleets[fleet]). */
int ts__variety_fleet(ts__builder *b, const xmlNode *el, int fleet);

/* A fault's attr (naming a node, link or component) with its robot=:
 * *target gets the index of what it names (a template's entity for a
 * copy) and *robot the copy's number (-1: not a copy, the entity
 * itself). A name no entity has, nor any copy, is an error at el's line. */
int ts__variety_fault_ref(ts__builder *b, const xmlNode *el, const char *attr,
                          ts__ref_kind kind, int *target, int *robot);

/* Before the expansion: orders what the walk recorded by robot. */
void ts__variety_prepare(ts__variety *v);

/* During the expansion of fleet `fleet`, after copy `member`'s components
 * (indices from first) and topics are made: each component a
 * robot-override changed takes the overridden fields (its own shape from
 * then on, which ts_scenario_free knows by a shape that is not its
 * template's), each topic its size, rate and budget, each node its cores,
 * GPUs and memory, each link its latency, bandwidth, queue and packet
 * options; node_map and topic_map map a template node (topic) to the
 * copy's; links (n_links, the template's, in copy order) were copied to
 * first_link on. */
int ts__variety_graft(ts__variety *v, ts_scenario *s, int fleet, int member,
                      size_t first, const int *node_map, const int *topic_map,
                      const int *links, size_t n_links, size_t first_link,
                      const char *file, ts_error *err);

/* The line of the robot-override of copy `member` of fleet `fleet` that
 * set template component `comp`'s attributes, or 0: none did. */
int ts__variety_override_line(const ts__variety *v, int fleet, int member, int comp);

/* After every fleet is expanded: every component's release_shift_ns from
 * its phase and its robot's clock offset, drawn (for uniform(...)) from a
 * stream per component and per robot seeded with the scenario's seed. */
int ts__variety_timing(ts__variety *v, ts_scenario *s, const char *file,
                       ts_error *err);

/* For ts_scenario_free, before the components: frees the shapes the
 * robot-overrides gave copies (theirs, not their template's). */
void ts__variety_free_shapes(ts_scenario *s);

/* Builds an overridden copy of a component element (its template's id,
 * after every component) as add_component would, into *out (the caller
 * frees it with ts__component_fini, also on failure); the scenario's
 * components and ids are as they were. */
int ts__component_rebuild(ts__builder *b, const xmlNode *el, ts_scenario_component *out);

/* The same for a <topic> element (its id lent likewise); the caller frees
 * *out's id and subscribers and ts__topic_fini's it. */
int ts__topic_rebuild(ts__builder *b, const xmlNode *el, ts_scenario_topic *out);

/* The same for a node element of site `site` and a <link>. The caller
 * frees what they own as ts_scenario_free frees a node's (link's). */
int ts__node_rebuild(ts__builder *b, const xmlNode *el, int kind, int site,
                     ts_scenario_node *out);
int ts__link_rebuild(ts__builder *b, const xmlNode *el, ts_scenario_link *out);

/* An override path as --set and robot-override take it
 * ("ELEMENT[KEY].ATTRIBUTE=VALUE"); *value points into text. */
typedef struct ts__override_path {
    char element[64], key[256], attribute[64];
    int keyed;
} ts__override_path;
int ts__override_parse(const char *text, ts__override_path *p, const char **value,
                       ts_error *err);

/* Frees what the walk recorded (overridden components not grafted). */
void ts__variety_free(ts__variety *v);

/* Walks a validated <scenario> document into s (whose path, name and text
 * are already set): sites, nodes, media, links, configuration, QoS
 * profiles, components, topics, services, policies, fleets, rollouts,
 * requirements and faults, resolving references and checking meaning as
 * it goes. Fleets are not expanded yet. */
int ts__build(ts__loader *L, const xmlNode *root, ts_scenario *s);

/* Checks that every compute node reaches every other one over the links
 * (links are undirected); errors at the first unreachable node's line. */
int ts__check_reachable(const ts_scenario *s, const char *file,
                        ts_error *err);

/* Writes a duration readably ("1ms", "333333ns") into buf. */
void ts__format_ns(int64_t ns, char *buf, size_t size);

#endif
