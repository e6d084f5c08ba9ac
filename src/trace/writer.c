/*
 * Trace writer: creates the HDF5 file under a temporary name, lays out
 * every dataset at open (so the layout never depends on which tables a run
 * fills), buffers rows in a fixed block per table and appends a block at a
 * time through HDF5 packet tables, then publishes the file on commit.
 * A table's block is made at its first row, not at open: a run fills only
 * some tables (the summary level none of the per-message ones, the full
 * level none of the windows), and the 4096-row blocks of the others were
 * 4 MB held from open to commit. A static table's block goes as soon as
 * the table is written, as nothing is added to it later.
 *
 * Why packet tables (H5PT) and not H5TB: H5TBmake_table takes no dataset
 * creation property list, so it cannot turn off modification times (nor
 * choose shuffle), while H5PTcreate copies the caller's list (HDF5 1.10
 * hl/src/H5PT.c, H5PTcreate). H5PTappend writes records in the dataset's
 * own type, so rows are packed into that (padding-free) layout here: no
 * compiler padding or bytes after a string's NUL ever reach the file,
 * which keeps reruns bit-identical.
 */
#include "toposim/trace.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "toposim/alloc.h"
#include "toposim/limits.h"
#include "trace/schema.h"
#include "util/atomic_file.h"

#ifndef TOPOSIM_VERSION
#define TOPOSIM_VERSION "unknown"
#endif


/* `git describe --always --dirty` of the source tree, generated at build
 * time (build/gen/revision.c); "unknown" outside a git checkout. */
extern const char ts__git_revision[];

typedef struct wtable {
    const ts__table_schema *s;
    hid_t pt;                 /* packet table, or H5I_INVALID_HID */
    size_t packed_off[TS__TRACE_MAX_COLUMNS];
    size_t packed_size;
    unsigned char *block;     /* chunk_rows packed rows; NULL until the
                                 first row, and after a static table's */
    size_t n_block;           /* rows waiting in block */
    uint64_t rows;            /* rows accepted so far */
    int written;              /* static table: its write call happened */
} wtable;

struct ts_trace_writer {
    hid_t file;
    wtable t[TS__T_COUNT];
    int broken;               /* a write failed: commit must not publish */
    int finished;             /* the run reached its end */
    int stamp;                /* record host and wall time at commit */
    int compress;             /* a ts_trace_compress */
    uint64_t max_rows;        /* the trace-rows limit, read once at open */
    struct timespec opened;   /* CLOCK_MONOTONIC at open, when stamped */
    char started_utc[32];     /* wall clock at open, when stamped */
    char tmp[TS__PATH_MAX];
    char final[TS__PATH_MAX];
};

/* ---- attributes ---- */

static int set_string_attr(ts_trace_writer *w, const char *obj, const char *name,
                           const char *value, ts_error *err)
{
    if (H5LTset_attribute_string(w->file, obj, name, value ? value : "") < 0)
        return ts__h5_error(err, TS_EIO, w->final, "cannot write attribute %s of %s",
                            name, obj);
    return TS_OK;
}

/* A scalar numeric attribute: h5py shows it as a number, not an array. */
static int set_scalar_attr(ts_trace_writer *w, hid_t loc, const char *obj,
                           const char *name, hid_t file_type, hid_t mem_type,
                           const void *value, ts_error *err)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = sp < 0 ? -1 : H5Acreate2(loc, name, file_type, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, mem_type, value);
    int code = TS_OK;
    if (rc < 0)
        code = ts__h5_error(err, TS_EIO, w->final, "cannot write attribute %s of %s",
                            name, obj);
    if (a >= 0)
        H5Aclose(a);
    if (sp >= 0)
        H5Sclose(sp);
    return code;
}

/* ---- creation ---- */

/* Every object gets a creation list without modification times. */
static hid_t no_times_plist(hid_t cls)
{
    hid_t p = H5Pcreate(cls);
    if (p >= 0 && H5Pset_obj_track_times(p, 0) < 0) {
        H5Pclose(p);
        return -1;
    }
    return p;
}

static int write_meta(ts_trace_writer *w, const ts_trace_meta *meta, ts_error *err)
{
    static const ts_trace_meta empty = { NULL, NULL, NULL, 0, 0, NULL, 0, 0, 0,
                                         TS_TRACE_LEVEL_FULL, NULL, -1, -1, 0, 0 };
    const ts_trace_meta *m = meta ? meta : &empty;
    int32_t version = TS_TRACE_FORMAT_VERSION;
    int rc = set_string_attr(w, "/", "format", TS__TRACE_FORMAT, err);
    if (rc == TS_OK)
        rc = set_scalar_attr(w, w->file, "/", "format_version", H5T_STD_I32LE,
                             H5T_NATIVE_INT32, &version, err);
    if (rc == TS_OK)
        rc = set_string_attr(w, "/", "toposim_version", TOPOSIM_VERSION, err);
    if (rc != TS_OK)
        return rc;

    hid_t gcpl = no_times_plist(H5P_GROUP_CREATE);
    hid_t g = gcpl < 0 ? -1 : H5Gcreate2(w->file, "/meta", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    if (g < 0)
        rc = ts__h5_error(err, TS_EIO, w->final, "cannot create group /meta");
    if (gcpl >= 0)
        H5Pclose(gcpl);
    if (rc != TS_OK)
        return rc;
    rc = set_string_attr(w, "/meta", "scenario_name", m->scenario_name, err);
    if (rc == TS_OK)
        rc = set_string_attr(w, "/meta", "scenario_path", m->scenario_path, err);
    if (rc == TS_OK)
        rc = set_scalar_attr(w, g, "/meta", "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64,
                             &m->seed, err);
    if (rc == TS_OK)
        rc = set_scalar_attr(w, g, "/meta", "duration_ns", H5T_STD_I64LE,
                             H5T_NATIVE_INT64, &m->duration_ns, err);
    if (rc == TS_OK)
        rc = set_string_attr(w, "/meta", "toposim_version", TOPOSIM_VERSION, err);
    if (rc == TS_OK)
        rc = set_string_attr(w, "/meta", "command_line", m->command_line, err);
    if (rc == TS_OK)
        rc = set_string_attr(w, "/meta", "git_revision",
                             ts__git_revision[0] ? ts__git_revision : "unknown", err);
    int32_t declared = m->requirements_declared ? 1 : 0;
    if (rc == TS_OK)
        rc = set_scalar_attr(w, g, "/meta", "requirements_declared", H5T_STD_I32LE,
                             H5T_NATIVE_INT32, &declared, err);
    if (rc == TS_OK)
        rc = set_string_attr(w, "/meta", "trace_level", ts_trace_level_name(m->level), err);
    if (rc == TS_OK)
        rc = set_string_attr(w, "/meta", "trace_filter", m->filter, err);
    int summary = m->level == TS_TRACE_LEVEL_SUMMARY;
    int64_t bounds[4] = {m->window_start_ns, m->window_end_ns,
                         summary ? m->summary_window_ns : 0, summary ? m->state_window_ns : 0};
    static const char *const bound_names[4] = {"trace_window_start_ns", "trace_window_end_ns",
                                               "summary_window_ns", "state_window_ns"};
    for (int i = 0; i < 4 && rc == TS_OK; i++)
        rc = set_scalar_attr(w, g, "/meta", bound_names[i], H5T_STD_I64LE, H5T_NATIVE_INT64,
                             &bounds[i], err);
    if (rc != TS_OK) {
        H5Gclose(g);
        return rc;
    }

    /* The scenario document as one scalar fixed-length string. */
    const char *text = m->scenario_text ? m->scenario_text : "";
    hid_t st = ts__string_type(strlen(text) + 1);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t dcpl = no_times_plist(H5P_DATASET_CREATE);
    hid_t d = (st < 0 || sp < 0 || dcpl < 0) ? -1
              : H5Dcreate2(g, "scenario_text", st, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    herr_t wr = d < 0 ? -1 : H5Dwrite(d, st, H5S_ALL, H5S_ALL, H5P_DEFAULT, text);
    if (wr < 0)
        rc = ts__h5_error(err, TS_EIO, w->final, "cannot write dataset /meta/scenario_text");
    if (d >= 0)
        H5Dclose(d);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (sp >= 0)
        H5Sclose(sp);
    if (st >= 0)
        H5Tclose(st);
    H5Gclose(g);
    return rc;
}

static int describe_table(ts_trace_writer *w, const ts__table_schema *s, ts_error *err)
{
    char units[512];
    char name[96];
    if (ts__units_string(s, units, sizeof units) != TS_OK)
        return ts_error_set(err, TS_ERANGE, w->final, 0, "units of %s too long", s->path);
    int rc = set_string_attr(w, s->path, "units", units, err);
    if (rc == TS_OK)
        rc = set_string_attr(w, s->path, "description", s->description, err);
    for (size_t i = 0; rc == TS_OK && i < s->n_columns; i++) {
        const ts__column *c = &s->columns[i];
        if (c->unit) {
            snprintf(name, sizeof name, "%s_unit", c->name);
            rc = set_string_attr(w, s->path, name, c->unit, err);
        }
        if (rc == TS_OK) {
            snprintf(name, sizeof name, "%s_description", c->name);
            rc = set_string_attr(w, s->path, name, c->description, err);
        }
    }
    return rc;
}

static int create_table(ts_trace_writer *w, wtable *t, const ts__table_schema *s,
                        ts_error *err)
{
    t->s = s;
    hid_t ft = ts__file_type(s, t->packed_off);
    hid_t dcpl = no_times_plist(H5P_DATASET_CREATE);
    /* Fletcher-32 last, so it sums the bytes as stored: a reader finds a
     * changed chunk instead of scoring it (H5Pset_fletcher32; HDF5 checks
     * it on every read unless told not to, H5Pset_edc_check). */
    int level = w->compress == TS_TRACE_COMPRESS_NONE  ? 0
                : w->compress == TS_TRACE_COMPRESS_MAX ? 9
                                                       : 1;
    int ok = ft >= 0 && dcpl >= 0 &&
             (level == 0 || (H5Pset_shuffle(dcpl) >= 0 && H5Pset_deflate(dcpl, (unsigned)level) >= 0)) &&
             H5Pset_fletcher32(dcpl) >= 0;
    if (ok) {
        t->packed_size = H5Tget_size(ft);
        /* H5PTcreate adds the chunking and the unlimited extent. */
        t->pt = H5PTcreate(w->file, s->path, ft, (hsize_t)s->chunk_rows, dcpl);
        ok = t->pt >= 0;
    }
    int rc = ok ? TS_OK
                : ts__h5_error(err, TS_EIO, w->final, "cannot create dataset %s", s->path);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (ft >= 0)
        H5Tclose(ft);
    if (rc != TS_OK)
        return rc;
    return describe_table(w, s, err);
}

/* ---- rows ---- */

/* Copies the columns of one row struct into packed layout. A string is
 * copied up to its NUL (at most size-1 bytes) and zero-filled after it, so
 * the file never holds garbage past the end and every name is terminated. */
static void pack_row(const wtable *t, const void *row, unsigned char *dst)
{
    const unsigned char *src = row;
    const ts__table_schema *s = t->s;
    for (size_t i = 0; i < s->n_columns; i++) {
        const ts__column *c = &s->columns[i];
        unsigned char *d = dst + t->packed_off[i];
        if (c->kind == TS__COL_STR) {
            size_t n = strnlen((const char *)src + c->offset, c->size - 1);
            memcpy(d, src + c->offset, n);
            memset(d + n, 0, c->size - n);
        } else {
            memcpy(d, src + c->offset, c->size);
        }
    }
}

static int flush_table(ts_trace_writer *w, wtable *t, ts_error *err)
{
    if (t->n_block == 0)
        return TS_OK;
    if (H5PTappend(t->pt, t->n_block, t->block) < 0) {
        w->broken = 1;
        return ts__h5_error(err, TS_EIO, w->final, "cannot write %zu rows to dataset %s",
                            t->n_block, t->s->path);
    }
    t->n_block = 0;
    return TS_OK;
}

static int put_row(ts_trace_writer *w, wtable *t, const void *row, ts_error *err)
{
    if (t->rows >= w->max_rows)
        return ts_limit_error(err, TS_LIMIT_TRACE_ROWS, w->final, 0,
                              "dataset %s would get %llu rows", t->s->path,
                              (unsigned long long)t->rows + 1);
    /* zeroed, as every block was when made at open */
    if (!t->block && !(t->block = ts_calloc(t->s->chunk_rows, t->packed_size)))
        return ts_error_set(err, TS_ENOMEM, w->final, 0, "no memory for %s buffer",
                            t->s->path);
    pack_row(t, row, t->block + t->n_block * t->packed_size);
    t->n_block++;
    t->rows++;
    if (t->n_block == t->s->chunk_rows)
        return flush_table(w, t, err);
    return TS_OK;
}

static int write_static(ts_trace_writer *w, int id, const void *rows, size_t n,
                        ts_error *err)
{
    if (!w || (n > 0 && !rows))
        return ts_error_set(err, TS_EINVAL, NULL, 0, "trace writer: no writer or rows");
    wtable *t = &w->t[id];
    if (w->broken)
        return ts_error_set(err, TS_EIO, w->final, 0, "an earlier write failed");
    if (t->written)
        return ts_error_set(err, TS_EINVAL, w->final, 0, "dataset %s written twice",
                            t->s->path);
    t->written = 1;
    const unsigned char *p = rows;
    int rc = TS_OK;
    for (size_t i = 0; rc == TS_OK && i < n; i++)
        rc = put_row(w, t, p + i * t->s->row_size, err);
    if (rc == TS_OK)
        rc = flush_table(w, t, err);
    if (rc != TS_OK)
        w->broken = 1;  /* a half-written table must not be published */
    ts_free(t->block);  /* written once: no row comes later */
    t->block = NULL;
    t->n_block = 0;
    return rc;
}

int ts_trace_write_nodes(ts_trace_writer *w, const ts_trace_node *rows, size_t n, ts_error *err)
{
    return write_static(w, TS__T_NODES, rows, n, err);
}

int ts_trace_write_links(ts_trace_writer *w, const ts_trace_link *rows, size_t n, ts_error *err)
{
    return write_static(w, TS__T_LINKS, rows, n, err);
}

int ts_trace_write_media(ts_trace_writer *w, const ts_trace_medium *rows, size_t n, ts_error *err)
{
    return write_static(w, TS__T_MEDIA, rows, n, err);
}

int ts_trace_write_components(ts_trace_writer *w, const ts_trace_component *rows, size_t n,
                              ts_error *err)
{
    return write_static(w, TS__T_COMPONENTS, rows, n, err);
}

int ts_trace_write_topics(ts_trace_writer *w, const ts_trace_topic *rows, size_t n, ts_error *err)
{
    return write_static(w, TS__T_TOPICS, rows, n, err);
}

int ts_trace_write_placement(ts_trace_writer *w, const ts_trace_placement *rows, size_t n,
                             ts_error *err)
{
    return write_static(w, TS__T_PLACEMENT, rows, n, err);
}

int ts_trace_write_requirements(ts_trace_writer *w, const ts_trace_requirement *rows, size_t n,
                                ts_error *err)
{
    return write_static(w, TS__T_REQUIREMENTS, rows, n, err);
}

int ts_trace_write_sites(ts_trace_writer *w, const ts_trace_site *rows, size_t n, ts_error *err)
{
    return write_static(w, TS__T_SITES, rows, n, err);
}

int ts_trace_write_power_modes(ts_trace_writer *w, const ts_trace_power_mode *rows, size_t n,
                               ts_error *err)
{
    return write_static(w, TS__T_POWER_MODES, rows, n, err);
}

int ts_trace_write_power_limits(ts_trace_writer *w, const ts_trace_power_limit *rows, size_t n,
                                ts_error *err)
{
    return write_static(w, TS__T_POWER_LIMITS, rows, n, err);
}

int ts_trace_write_versions(ts_trace_writer *w, const ts_trace_version *rows, size_t n,
                            ts_error *err)
{
    return write_static(w, TS__T_VERSIONS, rows, n, err);
}

int ts_trace_write_failover_groups(ts_trace_writer *w, const ts_trace_failover_group *rows,
                                   size_t n, ts_error *err)
{
    return write_static(w, TS__T_FAILOVER_GROUPS, rows, n, err);
}

int ts_trace_write_failover_backups(ts_trace_writer *w, const ts_trace_failover_backup *rows,
                                    size_t n, ts_error *err)
{
    return write_static(w, TS__T_FAILOVER_BACKUPS, rows, n, err);
}

int ts_trace_write_subscriptions(ts_trace_writer *w, const ts_trace_subscription *rows,
                                 size_t n, ts_error *err)
{
    return write_static(w, TS__T_SUBSCRIPTIONS, rows, n, err);
}

int ts_trace_add_subscriptions(ts_trace_writer *w, const ts_trace_subscription *rows, size_t n,
                               ts_error *err)
{
    if (!w || (n > 0 && !rows))
        return ts_error_set(err, TS_EINVAL, NULL, 0, "trace writer: no writer or rows");
    wtable *t = &w->t[TS__T_SUBSCRIPTIONS];
    if (w->broken)
        return ts_error_set(err, TS_EIO, w->final, 0, "an earlier write failed");
    if (t->written)
        return ts_error_set(err, TS_EINVAL, w->final, 0, "dataset %s written twice",
                            t->s->path);
    const unsigned char *p = (const unsigned char *)rows;
    int rc = TS_OK;
    for (size_t i = 0; rc == TS_OK && i < n; i++)
        rc = put_row(w, t, p + i * t->s->row_size, err);
    if (rc != TS_OK)
        w->broken = 1;
    return rc;
}

int ts_trace_write_services(ts_trace_writer *w, const ts_trace_service *rows, size_t n,
                            ts_error *err)
{
    return write_static(w, TS__T_SERVICES, rows, n, err);
}

int ts_trace_write_service_replicas(ts_trace_writer *w, const ts_trace_service_replica *rows,
                                    size_t n, ts_error *err)
{
    return write_static(w, TS__T_SERVICE_REPLICAS, rows, n, err);
}

int ts_trace_write_clients(ts_trace_writer *w, const ts_trace_client *rows, size_t n,
                           ts_error *err)
{
    return write_static(w, TS__T_CLIENTS, rows, n, err);
}

int ts_trace_write_fleets(ts_trace_writer *w, const ts_trace_fleet *rows, size_t n,
                          ts_error *err)
{
    return write_static(w, TS__T_FLEETS, rows, n, err);
}

int ts_trace_write_rollouts(ts_trace_writer *w, const ts_trace_rollout *rows, size_t n,
                            ts_error *err)
{
    return write_static(w, TS__T_ROLLOUTS, rows, n, err);
}

int ts_trace_write_expects(ts_trace_writer *w, const ts_trace_expect *rows, size_t n,
                           ts_error *err)
{
    return write_static(w, TS__T_EXPECTS, rows, n, err);
}

int ts_trace_write_chains(ts_trace_writer *w, const ts_trace_chain *rows, size_t n,
                          ts_error *err)
{
    return write_static(w, TS__T_CHAINS, rows, n, err);
}

static int append(ts_trace_writer *w, int id, const void *row, ts_error *err)
{
    if (!w || !row)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "trace writer: no writer or row");
    if (w->broken)
        return ts_error_set(err, TS_EIO, w->final, 0, "an earlier write failed");
    return put_row(w, &w->t[id], row, err);
}

int ts_trace_append_message(ts_trace_writer *w, const ts_trace_message *row, ts_error *err)
{
    return append(w, TS__T_MESSAGES, row, err);
}

int ts_trace_append_job(ts_trace_writer *w, const ts_trace_job *row, ts_error *err)
{
    return append(w, TS__T_JOBS, row, err);
}

int ts_trace_append_chain_instance(ts_trace_writer *w, const ts_trace_chain_instance *row,
                                   ts_error *err)
{
    return append(w, TS__T_CHAIN_INSTANCES, row, err);
}

int ts_trace_append_link_state(ts_trace_writer *w, const ts_trace_link_state *row,
                               ts_error *err)
{
    return append(w, TS__T_LINK_STATE, row, err);
}

int ts_trace_append_node_state(ts_trace_writer *w, const ts_trace_node_state *row,
                               ts_error *err)
{
    return append(w, TS__T_NODE_STATE, row, err);
}

int ts_trace_append_core_state(ts_trace_writer *w, const ts_trace_core_state *row,
                               ts_error *err)
{
    return append(w, TS__T_CORE_STATE, row, err);
}

int ts_trace_append_event(ts_trace_writer *w, const ts_trace_event *row, ts_error *err)
{
    return append(w, TS__T_EVENTS, row, err);
}

int ts_trace_append_component_state(ts_trace_writer *w, const ts_trace_component_state *row,
                                    ts_error *err)
{
    return append(w, TS__T_COMPONENT_STATE, row, err);
}

int ts_trace_append_node_window(ts_trace_writer *w, const ts_trace_node_window *row,
                                ts_error *err)
{
    return append(w, TS__T_NODE_WINDOWS, row, err);
}

int ts_trace_append_link_window(ts_trace_writer *w, const ts_trace_link_window *row,
                                ts_error *err)
{
    return append(w, TS__T_LINK_WINDOWS, row, err);
}

int ts_trace_append_medium_state(ts_trace_writer *w, const ts_trace_medium_state *row,
                                 ts_error *err)
{
    return append(w, TS__T_MEDIUM_STATE, row, err);
}

/* A window's histogram goes first, so its row can name where it starts. */
static int append_window(ts_trace_writer *w, int id, void *row, uint64_t *first, int32_t *count,
                         const ts_hist_pair *buckets, size_t n, ts_error *err)
{
    if (!w || !row || (n > 0 && !buckets) || n > INT32_MAX)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "trace writer: no writer, row or buckets");
    if (w->broken)
        return ts_error_set(err, TS_EIO, w->final, 0, "an earlier write failed");
    wtable *h = &w->t[TS__T_HISTOGRAM_BUCKETS];
    *first = h->rows;
    *count = (int32_t)n;
    int rc = TS_OK;
    for (size_t i = 0; rc == TS_OK && i < n; i++)
        rc = put_row(w, h, &buckets[i], err);
    if (rc == TS_OK)
        rc = put_row(w, &w->t[id], row, err);
    if (rc != TS_OK)
        w->broken = 1;  /* buckets without their window must not be published */
    return rc;
}

int ts_trace_append_topic_window(ts_trace_writer *w, const ts_trace_topic_window *row,
                                 const ts_hist_pair *buckets, size_t n, ts_error *err)
{
    if (!row)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "trace writer: no row");
    ts_trace_topic_window r = *row;
    return append_window(w, TS__T_TOPIC_WINDOWS, &r, &r.hist_first, &r.hist_buckets, buckets,
                         n, err);
}

int ts_trace_append_job_window(ts_trace_writer *w, const ts_trace_job_window *row,
                               const ts_hist_pair *buckets, size_t n, ts_error *err)
{
    if (!row)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "trace writer: no row");
    ts_trace_job_window r = *row;
    return append_window(w, TS__T_JOB_WINDOWS, &r, &r.hist_first, &r.hist_buckets, buckets, n,
                         err);
}

void ts_trace_writer_set_finished(ts_trace_writer *w)
{
    if (w)
        w->finished = 1;
}

/* The attributes known only at the end: finished, and when stamped the
 * host, the start time and the wall time the run took. */
static int write_end_meta(ts_trace_writer *w, ts_error *err)
{
    hid_t g = H5Gopen2(w->file, "/meta", H5P_DEFAULT);
    if (g < 0)
        return ts__h5_error(err, TS_EIO, w->final, "cannot open group /meta");
    int32_t finished = w->finished ? 1 : 0;
    int rc = set_scalar_attr(w, g, "/meta", "finished", H5T_STD_I32LE, H5T_NATIVE_INT32,
                             &finished, err);
    if (rc == TS_OK && w->stamp) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t wall = (int64_t)(now.tv_sec - w->opened.tv_sec) * 1000000000LL +
                       (int64_t)(now.tv_nsec - w->opened.tv_nsec);
        char host[256] = "";
        if (gethostname(host, sizeof host - 1) != 0)
            snprintf(host, sizeof host, "unknown");
        rc = set_string_attr(w, "/meta", "host", host, err);
        if (rc == TS_OK)
            rc = set_string_attr(w, "/meta", "started_utc", w->started_utc, err);
        if (rc == TS_OK)
            rc = set_scalar_attr(w, g, "/meta", "wall_time_ns", H5T_STD_I64LE,
                                 H5T_NATIVE_INT64, &wall, err);
    }
    H5Gclose(g);
    return rc;
}

/* ---- lifetime ---- */

/* Closes every HDF5 handle; returns 0 or -1 when any close failed. */
/* Set when HDF5 failed to close a file (a full disk, say): HDF5 1.10
 * keeps such a file half-closed, and its exit handler then crashes in
 * H5F__close_cb trying to close it again. */
static int h5_unusable;

int ts_trace_library_unusable(void)
{
    return h5_unusable;
}

static int close_all(ts_trace_writer *w)
{
    int bad = 0;
    for (int i = 0; i < TS__T_COUNT; i++) {
        if (w->t[i].pt >= 0 && H5PTclose(w->t[i].pt) < 0)
            bad = 1;
        w->t[i].pt = H5I_INVALID_HID;
    }
    if (w->file >= 0 && H5Fclose(w->file) < 0)
        bad = h5_unusable = 1;
    w->file = H5I_INVALID_HID;
    return bad ? -1 : 0;
}

static void free_writer(ts_trace_writer *w)
{
    for (int i = 0; i < TS__T_COUNT; i++)
        ts_free(w->t[i].block);
    ts_free(w);
}

int ts_trace_compress_parse(const char *name)
{
    static const char *const names[] = {"none", "fast", "max"};
    for (int i = 0; i < 3; i++)
        if (name && strcmp(name, names[i]) == 0)
            return TS_TRACE_COMPRESS_NONE + i;
    return -1;
}

int ts_trace_level_parse(const char *name)
{
    if (name && strcmp(name, "full") == 0)
        return TS_TRACE_LEVEL_FULL;
    if (name && strcmp(name, "summary") == 0)
        return TS_TRACE_LEVEL_SUMMARY;
    return -1;
}

const char *ts_trace_level_name(int level)
{
    return level == TS_TRACE_LEVEL_SUMMARY ? "summary" : "full";
}

int ts_trace_writer_open(const char *final_path, const ts_trace_meta *meta,
                         ts_trace_writer **out, ts_error *err)
{
    if (out)
        *out = NULL;
    if (!final_path || !final_path[0] || !out)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "trace writer: no path");
    ts__h5_quiet();
    ts_trace_writer *w = ts_calloc(1, sizeof *w);
    if (!w)
        return ts_error_set(err, TS_ENOMEM, final_path, 0, "no memory for trace writer");
    w->file = H5I_INVALID_HID;
    w->compress = meta ? meta->compress : TS_TRACE_COMPRESS_DEFAULT;
    w->max_rows = ts_limit(TS_LIMIT_TRACE_ROWS);
    for (int i = 0; i < TS__T_COUNT; i++)
        w->t[i].pt = H5I_INVALID_HID;
    if (snprintf(w->final, sizeof w->final, "%s", final_path) >= (int)sizeof w->final ||
        ts__temp_path_for(final_path, w->tmp, sizeof w->tmp) != TS_OK) {
        ts_free(w);
        return ts_error_set(err, TS_ERANGE, final_path, 0, "path too long");
    }

    /* The root group takes its creation properties from the file creation
     * list, so times are switched off there too. The 1.10 object formats
     * give the superblock, every object header and every chunk index a
     * checksum that HDF5 verifies when it reads them. The 1.8 formats
     * index chunks with version 1 B-trees, which have none: one changed
     * byte there made a chunk look unwritten, and HDF5 then reads its rows
     * as fill values without an error (seen: /link_state read as zeros
     * that passed every gate). HDF5 1.10 or later reads these files. */
    hid_t fcpl = no_times_plist(H5P_FILE_CREATE);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    int ok = fcpl >= 0 && fapl >= 0 &&
             H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_V110) >= 0 &&
             H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) >= 0 &&
             /* No raw-data chunk cache: every append is one whole chunk
              * (or the last, partial one), never read back, so a cache
              * only held a second copy of each table's last chunk, up to
              * 1 MiB per table (H5Pset_cache, HDF5 1.10 reference manual:
              * rdcc_nbytes 0 disables it). */
             H5Pset_cache(fapl, 0, 0, 0, 1.0) >= 0;
    if (ok)
        w->file = H5Fcreate(w->tmp, H5F_ACC_TRUNC, fcpl, fapl);
    int rc = TS_OK;
    if (w->file < 0)
        rc = ts__h5_error(err, TS_EIO, final_path, "cannot create %s", w->tmp);
    if (fcpl >= 0)
        H5Pclose(fcpl);
    if (fapl >= 0)
        H5Pclose(fapl);

    if (rc == TS_OK && meta && meta->stamp) {
        /* Only a stamped run reads the clocks: anything else must give
         * the same bytes on every rerun. */
        w->stamp = 1;
        clock_gettime(CLOCK_MONOTONIC, &w->opened);
        time_t t = time(NULL);
        struct tm utc;
        if (gmtime_r(&t, &utc))
            strftime(w->started_utc, sizeof w->started_utc, "%Y-%m-%dT%H:%M:%SZ", &utc);
    }
    if (rc == TS_OK)
        rc = write_meta(w, meta, err);
    for (int i = 0; rc == TS_OK && i < TS__T_COUNT; i++)
        rc = create_table(w, &w->t[i], &ts__trace_tables[i], err);
    if (rc != TS_OK) {
        int created = w->file >= 0;
        close_all(w);
        if (created)
            unlink(w->tmp);
        free_writer(w);
        return rc;
    }
    *out = w;
    return TS_OK;
}

int ts_trace_writer_commit(ts_trace_writer *w, ts_error *err)
{
    if (!w)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "trace writer: none to commit");
    int rc = TS_OK;
    if (w->broken)
        rc = ts_error_set(err, TS_EIO, w->final, 0, "an earlier write failed");
    for (int i = 0; rc == TS_OK && i < TS__T_COUNT; i++)
        rc = flush_table(w, &w->t[i], err);
    if (rc == TS_OK)
        rc = write_end_meta(w, err);
    for (int i = 0; i < TS__T_COUNT; i++) {
        if (w->t[i].pt >= 0 && H5PTclose(w->t[i].pt) < 0 && rc == TS_OK)
            rc = ts__h5_error(err, TS_EIO, w->final, "cannot close dataset %s",
                              w->t[i].s->path);
        w->t[i].pt = H5I_INVALID_HID;
    }
    /* Anything still open would be written only when it closes: with
     * STRONG close H5Fclose would close it silently, so count first. */
    ssize_t open_objs = H5Fget_obj_count(w->file, H5F_OBJ_ALL);
    if (rc == TS_OK && open_objs != 1)
        rc = ts_error_set(err, TS_EIO, w->final, 0,
                          "%zd HDF5 objects open at commit, expected only the file",
                          open_objs);
    if (H5Fclose(w->file) < 0) {
        h5_unusable = 1;
        if (rc == TS_OK)
            rc = ts__h5_error(err, TS_EIO, w->final, "cannot close %s", w->tmp);
    }
    w->file = H5I_INVALID_HID;
    if (rc == TS_OK)
        rc = ts__publish_file(w->tmp, w->final, err);
    else
        unlink(w->tmp);
    free_writer(w);
    return rc;
}

void ts_trace_writer_abort(ts_trace_writer *w)
{
    if (!w)
        return;
    close_all(w);
    unlink(w->tmp);
    free_writer(w);
}
