/*
 * Trace reader: loads a whole trace into memory without trusting the file.
 * HDF5 1.10 predates many fixes for malformed files, so before any data is
 * read the format attribute and version, each dataset's shape, type class
 * and size are checked; rows are read through the C structs' own compound
 * types (members matched by name, so the file's member order and packing
 * do not matter); and every row index is checked against its table.
 * Older format versions stay readable: a table newer than the file's
 * version is not looked for and loads with zero rows.
 */
#include "toposim/trace.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "toposim/alloc.h"
#include "toposim/limits.h"
#include "trace/schema.h"

/* Caps on strings a file may make us allocate. */
#define MAX_ATTR_STRING ((size_t)1 << 20)
#define MAX_SCENARIO_TEXT ((size_t)64 << 20)

typedef struct rctx {
    const char *path;
    ts_error *err;
} rctx;

/* ---- strings ---- */

/* Reads the single string held by an attribute (is_attr) or a dataset;
 * fixed-length or variable-length, at most cap bytes. *out is ts_malloc'd. */
static int read_string(const rctx *c, hid_t obj, int is_attr, const char *what,
                       size_t cap, char **out)
{
    int rc = TS_OK;
    char *vl_str = NULL;
    hid_t t = is_attr ? H5Aget_type(obj) : H5Dget_type(obj);
    hid_t sp = is_attr ? H5Aget_space(obj) : H5Dget_space(obj);
    hid_t mt = H5Tcopy(H5T_C_S1);
    *out = NULL;
    if (t < 0 || sp < 0 || mt < 0) {
        rc = ts__h5_error(c->err, TS_EFORMAT, c->path, "cannot inspect %s", what);
        goto done;
    }
    if (H5Tget_class(t) != H5T_STRING) {
        rc = ts_error_set(c->err, TS_EFORMAT, c->path, 0, "%s is not a string", what);
        goto done;
    }
    if (H5Sget_simple_extent_npoints(sp) != 1) {
        rc = ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                          "%s holds %lld values, expected one", what,
                          (long long)H5Sget_simple_extent_npoints(sp));
        goto done;
    }
    /* HDF5 will not convert between character sets: read in the file's. */
    H5T_cset_t cset = H5Tget_cset(t);
    htri_t is_vl = H5Tis_variable_str(t);
    if (cset < 0 || is_vl < 0 || H5Tset_cset(mt, cset) < 0) {
        rc = ts__h5_error(c->err, TS_EFORMAT, c->path, "cannot inspect %s", what);
        goto done;
    }
    if (is_vl) {
        herr_t r = H5Tset_size(mt, H5T_VARIABLE);
        if (r >= 0)
            r = is_attr ? H5Aread(obj, mt, &vl_str)
                        : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, &vl_str);
        if (r < 0) {
            rc = ts__h5_error(c->err, TS_EFORMAT, c->path, "cannot read %s", what);
            goto done;
        }
        size_t n = vl_str ? strnlen(vl_str, cap + 1) : 0;
        if (n > cap) {
            rc = ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                              "%s is longer than %zu bytes", what, cap);
            goto done;
        }
        *out = ts_malloc(n + 1);
        if (!*out) {
            rc = ts_error_set(c->err, TS_ENOMEM, c->path, 0, "no memory for %s", what);
            goto done;
        }
        if (n)
            memcpy(*out, vl_str, n);
        (*out)[n] = '\0';
    } else {
        size_t size = H5Tget_size(t);
        if (size == 0 || size > cap) {
            rc = ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                              "%s has %zu bytes, limit %zu", what, size, cap);
            goto done;
        }
        /* One byte more than the file's type, so a NULLPAD or SPACEPAD
         * string of full length converts without losing its last char. */
        *out = ts_calloc(1, size + 1);
        if (!*out) {
            rc = ts_error_set(c->err, TS_ENOMEM, c->path, 0, "no memory for %s", what);
            goto done;
        }
        herr_t r = H5Tset_size(mt, size + 1);
        if (r >= 0)
            r = H5Tset_strpad(mt, H5T_STR_NULLTERM);
        if (r >= 0)
            r = is_attr ? H5Aread(obj, mt, *out)
                        : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out);
        if (r < 0) {
            rc = ts__h5_error(c->err, TS_EFORMAT, c->path, "cannot read %s", what);
            ts_free(*out);
            *out = NULL;
            goto done;
        }
        (*out)[size] = '\0';
    }
done:
    if (vl_str)
        H5free_memory(vl_str);
    if (mt >= 0)
        H5Tclose(mt);
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    return rc;
}

/* Opens attribute `name` of obj; a missing one is a format error. */
static int open_attr(const rctx *c, hid_t obj, const char *obj_name, const char *name,
                     hid_t *out)
{
    *out = H5I_INVALID_HID;
    htri_t ex = H5Aexists(obj, name);
    if (ex < 0)
        return ts__h5_error(c->err, TS_EFORMAT, c->path, "cannot look up attribute %s of %s",
                            name, obj_name);
    if (ex == 0)
        return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                            "attribute %s of %s is missing", name, obj_name);
    *out = H5Aopen(obj, name, H5P_DEFAULT);
    if (*out < 0)
        return ts__h5_error(c->err, TS_EFORMAT, c->path, "cannot open attribute %s of %s",
                            name, obj_name);
    return TS_OK;
}

static int string_attr(const rctx *c, hid_t obj, const char *obj_name, const char *name,
                       char **out)
{
    hid_t a;
    char what[160];
    *out = NULL;
    int rc = open_attr(c, obj, obj_name, name, &a);
    if (rc != TS_OK)
        return rc;
    snprintf(what, sizeof what, "attribute %s of %s", name, obj_name);
    rc = read_string(c, a, 1, what, MAX_ATTR_STRING, out);
    H5Aclose(a);
    return rc;
}

/* Reads a single integer attribute converted to mem_type (a 64-bit type). */
static int int_attr(const rctx *c, hid_t obj, const char *obj_name, const char *name,
                    hid_t mem_type, void *out)
{
    hid_t a;
    int rc = open_attr(c, obj, obj_name, name, &a);
    if (rc != TS_OK)
        return rc;
    hid_t t = H5Aget_type(a);
    hid_t sp = H5Aget_space(a);
    if (t < 0 || sp < 0)
        rc = ts__h5_error(c->err, TS_EFORMAT, c->path, "cannot inspect attribute %s of %s",
                          name, obj_name);
    else if (H5Tget_class(t) != H5T_INTEGER || H5Sget_simple_extent_npoints(sp) != 1)
        rc = ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                          "attribute %s of %s is not a single integer", name, obj_name);
    else if (H5Aread(a, mem_type, out) < 0)
        rc = ts__h5_error(c->err, TS_EFORMAT, c->path, "cannot read attribute %s of %s",
                          name, obj_name);
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    H5Aclose(a);
    return rc;
}

/* 1 when obj has attribute name, 0 when not, negative on failure. */
static int has_attr(const rctx *c, hid_t obj, const char *obj_name, const char *name)
{
    htri_t ex = H5Aexists(obj, name);
    if (ex < 0)
        return ts__h5_error(c->err, TS_EFORMAT, c->path, "cannot look up attribute %s of %s",
                            name, obj_name);
    return ex > 0;
}

/* A string every reader must get: NULL becomes a copy of fallback. */
static int default_string(const rctx *c, char **field, const char *fallback)
{
    if (*field)
        return TS_OK;
    size_t n = strlen(fallback);
    *field = ts_malloc(n + 1);
    if (!*field)
        return ts_error_set(c->err, TS_ENOMEM, c->path, 0, "no memory for /meta");
    memcpy(*field, fallback, n + 1);
    return TS_OK;
}

/* The /meta attributes of format version 4; older files are full traces
 * of everything. The level must be "full" or "summary", window bounds -1
 * or ordered, and a summary trace's window length positive. */
static int read_meta_v4(const rctx *c, hid_t g, ts_trace *tr)
{
    tr->level = TS_TRACE_LEVEL_FULL;
    tr->window_start_ns = tr->window_end_ns = -1;
    tr->summary_window_ns = 0;
    if (tr->format_version < 4)
        return default_string(c, &tr->filter, "");
    char *level = NULL;
    int rc = string_attr(c, g, "/meta", "trace_level", &level);
    if (rc == TS_OK) {
        tr->level = ts_trace_level_parse(level);
        if (tr->level < 0)
            rc = ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                              "attribute trace_level of /meta is \"%.40s\", expected \"full\" "
                              "or \"summary\"", level);
    }
    ts_free(level);
    if (rc == TS_OK)
        rc = string_attr(c, g, "/meta", "trace_filter", &tr->filter);
    if (rc == TS_OK)
        rc = int_attr(c, g, "/meta", "trace_window_start_ns", H5T_NATIVE_INT64,
                      &tr->window_start_ns);
    if (rc == TS_OK)
        rc = int_attr(c, g, "/meta", "trace_window_end_ns", H5T_NATIVE_INT64,
                      &tr->window_end_ns);
    if (rc == TS_OK)
        rc = int_attr(c, g, "/meta", "summary_window_ns", H5T_NATIVE_INT64,
                      &tr->summary_window_ns);
    if (rc == TS_OK && (tr->window_start_ns < -1 || tr->window_end_ns < -1 ||
                        (tr->window_end_ns >= 0 && tr->window_end_ns <= tr->window_start_ns)))
        rc = ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                          "attributes trace_window_start_ns %lld and trace_window_end_ns %lld "
                          "of /meta are not -1 nor an ordered window",
                          (long long)tr->window_start_ns, (long long)tr->window_end_ns);
    if (rc == TS_OK && (tr->level == TS_TRACE_LEVEL_SUMMARY) != (tr->summary_window_ns > 0))
        rc = ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                          "attribute summary_window_ns of /meta is %lld at the %s level "
                          "(expected > 0 at summary, 0 at full)",
                          (long long)tr->summary_window_ns, ts_trace_level_name(tr->level));
    tr->state_window_ns = 0;
    if (rc == TS_OK && tr->format_version >= 5)
        rc = int_attr(c, g, "/meta", "state_window_ns", H5T_NATIVE_INT64,
                      &tr->state_window_ns);
    if (rc == TS_OK && tr->format_version >= 5 &&
        (tr->level == TS_TRACE_LEVEL_SUMMARY) != (tr->state_window_ns > 0))
        rc = ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                          "attribute state_window_ns of /meta is %lld at the %s level "
                          "(expected > 0 at summary, 0 at full)",
                          (long long)tr->state_window_ns, ts_trace_level_name(tr->level));
    if (rc == TS_OK)
        rc = default_string(c, &tr->filter, "");
    return rc;
}

/* The /meta attributes of format version 3; older files get the defaults
 * trace.h states. finished and requirements_declared must be 0 or 1. */
static int read_meta_v3(const rctx *c, hid_t g, ts_trace *tr)
{
    int rc = TS_OK;
    tr->finished = 1;
    tr->requirements_declared = -1;     /* decided from the table later */
    tr->wall_time_ns = -1;
    if (tr->format_version >= 3) {
        int64_t v = 0;
        rc = string_attr(c, g, "/meta", "command_line", &tr->command_line);
        if (rc == TS_OK)
            rc = string_attr(c, g, "/meta", "git_revision", &tr->git_revision);
        if (rc == TS_OK)
            rc = int_attr(c, g, "/meta", "finished", H5T_NATIVE_INT64, &v);
        if (rc == TS_OK && v != 0 && v != 1)
            rc = ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                              "attribute finished of /meta is %lld, expected 0 or 1",
                              (long long)v);
        tr->finished = (int)v;
        if (rc == TS_OK)
            rc = int_attr(c, g, "/meta", "requirements_declared", H5T_NATIVE_INT64, &v);
        if (rc == TS_OK && v != 0 && v != 1)
            rc = ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                              "attribute requirements_declared of /meta is %lld, expected "
                              "0 or 1", (long long)v);
        tr->requirements_declared = (int)v;
        /* Stamped runs only; all three or none. */
        int has = rc == TS_OK ? has_attr(c, g, "/meta", "wall_time_ns") : 0;
        if (has < 0)
            rc = has;
        if (rc == TS_OK && has) {
            rc = int_attr(c, g, "/meta", "wall_time_ns", H5T_NATIVE_INT64, &tr->wall_time_ns);
            if (rc == TS_OK && tr->wall_time_ns < 0)
                rc = ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                  "attribute wall_time_ns of /meta is negative");
            if (rc == TS_OK)
                rc = string_attr(c, g, "/meta", "host", &tr->host);
            if (rc == TS_OK)
                rc = string_attr(c, g, "/meta", "started_utc", &tr->started_utc);
        }
    }
    if (rc == TS_OK)
        rc = read_meta_v4(c, g, tr);
    if (rc == TS_OK)
        rc = default_string(c, &tr->command_line, "");
    if (rc == TS_OK)
        rc = default_string(c, &tr->git_revision, "unknown");
    return rc;
}

/* ---- root and /meta ---- */

static int read_root(const rctx *c, hid_t file, ts_trace *tr)
{
    char *format = NULL;
    int rc = string_attr(c, file, "/", "format", &format);
    if (rc != TS_OK) {
        if (rc == TS_EFORMAT)
            ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                         "not a toposim trace: the root attribute format is missing "
                         "or not a string");
        return rc;
    }
    int same = strcmp(format, TS__TRACE_FORMAT) == 0;
    if (!same)
        rc = ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                          "not a toposim trace: format is \"%.100s\", expected \"%s\"",
                          format, TS__TRACE_FORMAT);
    ts_free(format);
    if (rc != TS_OK)
        return rc;

    int64_t version = 0;
    rc = int_attr(c, file, "/", "format_version", H5T_NATIVE_INT64, &version);
    if (rc != TS_OK)
        return rc;
    if (version > TS_TRACE_FORMAT_VERSION)
        return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                            "trace format version %lld is newer than this toposim "
                            "supports (version %d); use a newer toposim",
                            (long long)version, TS_TRACE_FORMAT_VERSION);
    if (version < 1)
        return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                            "trace format version %lld is not valid (supported: 1 "
                            "to %d)", (long long)version, TS_TRACE_FORMAT_VERSION);
    tr->format_version = (int)version;
    return string_attr(c, file, "/", "toposim_version", &tr->toposim_version);
}

/* Requires `name` to be a hard link: soft and external links in a file
 * from elsewhere could point anywhere, including other files. */
static int check_hard_link(const rctx *c, hid_t file, const char *name, const char *kind)
{
    htri_t ex = H5Lexists(file, name, H5P_DEFAULT);
    if (ex < 0)
        return ts__h5_error(c->err, TS_EFORMAT, c->path, "cannot look up %s %s", kind, name);
    if (ex == 0)
        return ts_error_set(c->err, TS_EFORMAT, c->path, 0, "%s %s is missing", kind, name);
    H5L_info_t li;
    if (H5Lget_info(file, name, &li, H5P_DEFAULT) < 0)
        return ts__h5_error(c->err, TS_EFORMAT, c->path, "cannot look up %s %s", kind, name);
    if (li.type != H5L_TYPE_HARD)
        return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                            "%s %s is a soft or external link", kind, name);
    return TS_OK;
}

static int read_meta(const rctx *c, hid_t file, ts_trace *tr)
{
    int rc = check_hard_link(c, file, "/meta", "group");
    if (rc != TS_OK)
        return rc;
    hid_t g = H5Gopen2(file, "/meta", H5P_DEFAULT);
    if (g < 0)
        return ts__h5_error(c->err, TS_EFORMAT, c->path, "/meta is not a group");
    rc = string_attr(c, g, "/meta", "scenario_name", &tr->scenario_name);
    if (rc == TS_OK)
        rc = string_attr(c, g, "/meta", "scenario_path", &tr->scenario_path);
    if (rc == TS_OK)
        rc = int_attr(c, g, "/meta", "seed", H5T_NATIVE_UINT64, &tr->seed);
    if (rc == TS_OK)
        rc = int_attr(c, g, "/meta", "duration_ns", H5T_NATIVE_INT64, &tr->duration_ns);
    if (rc == TS_OK)
        rc = read_meta_v3(c, g, tr);
    if (rc == TS_OK)
        rc = check_hard_link(c, file, "/meta/scenario_text", "dataset");
    if (rc == TS_OK) {
        hid_t d = H5Dopen2(g, "scenario_text", H5P_DEFAULT);
        if (d < 0) {
            rc = ts__h5_error(c->err, TS_EFORMAT, c->path,
                              "/meta/scenario_text is not a dataset");
        } else {
            rc = read_string(c, d, 0, "dataset /meta/scenario_text", MAX_SCENARIO_TEXT,
                             &tr->scenario_text);
            H5Dclose(d);
        }
    }
    H5Gclose(g);
    return rc;
}

/* ---- tables ---- */

/* Checks that the file's compound type has every column with a class
 * ours converts from; extra members are ignored. */
static int check_columns(const rctx *c, const ts__table_schema *s, hid_t ft, int version)
{
    if (H5Tget_class(ft) != H5T_COMPOUND)
        return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                            "dataset %s is not a compound table", s->path);
    for (size_t i = 0; i < s->n_columns; i++) {
        const ts__column *col = &s->columns[i];
        if (col->since_version > version)
            continue;       /* newer than the file: filled in afterwards */
        int idx = H5Tget_member_index(ft, col->name);
        if (idx < 0)
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset %s has no column %s", s->path, col->name);
        H5T_class_t want = ts__col_class(col->kind);
        if (H5Tget_member_class(ft, (unsigned)idx) != want)
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset %s column %s is not %s", s->path, col->name,
                                want == H5T_STRING ? "a string"
                                : want == H5T_FLOAT ? "a floating-point number"
                                                    : "an integer");
        if (want == H5T_STRING) {
            /* Variable-length strings do not convert to our char arrays. */
            hid_t mt = H5Tget_member_type(ft, (unsigned)idx);
            htri_t vl = mt < 0 ? -1 : H5Tis_variable_str(mt);
            if (mt >= 0)
                H5Tclose(mt);
            if (vl != 0)
                return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                    "dataset %s column %s is not a fixed-length string",
                                    s->path, col->name);
        }
    }
    return TS_OK;
}

/* zlib's deflate shrinks data at most 1032:1 (zlib technical details,
 * "maximum compression factor"); no stored table can hold more rows. */
#define DEFLATE_MAX_RATIO 1032ULL

/* Terminates every string of every row: a file's string of exactly the
 * array length could arrive without its NUL. */
static void terminate_strings(const ts__table_schema *s, unsigned char *rows, size_t n)
{
    for (size_t i = 0; i < s->n_columns; i++) {
        const ts__column *col = &s->columns[i];
        if (col->kind != TS__COL_STR)
            continue;
        for (size_t r = 0; r < n; r++)
            rows[r * s->row_size + col->offset + col->size - 1] = '\0';
    }
}

/* Gives the columns newer than the file their stated value. */
static void fill_absent(const ts__table_schema *s, int version, unsigned char *rows, size_t n)
{
    for (size_t i = 0; i < s->n_columns; i++) {
        const ts__column *col = &s->columns[i];
        if (col->since_version <= version || col->absent == 0)
            continue;
        for (size_t r = 0; r < n; r++) {
            unsigned char *at = rows + r * s->row_size + col->offset;
            int32_t i32 = (int32_t)col->absent;
            int64_t i64 = (int64_t)col->absent;
            switch (col->kind) {
            case TS__COL_I32: case TS__COL_U32: memcpy(at, &i32, sizeof i32); break;
            case TS__COL_I64: case TS__COL_U64: memcpy(at, &i64, sizeof i64); break;
            case TS__COL_F64: memcpy(at, &col->absent, sizeof col->absent); break;
            case TS__COL_STR: break;
            }
        }
    }
}

/* Opens table s and checks what it claims before any row is read: a hard
 * link to a one-dimensional compound dataset with every column, no more
 * rows than the limit nor than its stored bytes can hold. On TS_OK the
 * caller closes *d_out. */
static int open_table(const rctx *c, hid_t file, const ts__table_schema *s, int version,
                      hid_t *d_out, size_t *n_out)
{
    *d_out = H5I_INVALID_HID;
    *n_out = 0;
    int rc = check_hard_link(c, file, s->path, "dataset");
    if (rc != TS_OK)
        return rc;
    hid_t d = H5Dopen2(file, s->path, H5P_DEFAULT);
    if (d < 0)
        return ts__h5_error(c->err, TS_EFORMAT, c->path, "%s is not a dataset", s->path);
    hid_t sp = H5Dget_space(d);
    hid_t ft = H5Dget_type(d);
    hsize_t dims[1] = { 0 };
    if (sp < 0 || ft < 0) {
        rc = ts__h5_error(c->err, TS_EFORMAT, c->path, "cannot inspect dataset %s", s->path);
        goto done;
    }
    if (H5Sget_simple_extent_type(sp) != H5S_SIMPLE ||
        H5Sget_simple_extent_ndims(sp) != 1 ||
        H5Sget_simple_extent_dims(sp, dims, NULL) != 1) {
        rc = ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                          "dataset %s is not one-dimensional", s->path);
        goto done;
    }
    if (dims[0] > ts_limit(TS_LIMIT_TRACE_ROWS)) {
        ts_limit_error(c->err, TS_LIMIT_TRACE_ROWS, c->path, 0,
                       "dataset %s has %llu rows", s->path, (unsigned long long)dims[0]);
        rc = TS_EFORMAT; /* the file's claim, not this run's resources */
        if (c->err)
            c->err->code = rc;
        goto done;
    }
    rc = check_columns(c, s, ft, version);
    if (rc != TS_OK || dims[0] == 0)
        goto done;
    size_t n = (size_t)dims[0];
    /* A row count is only a claim: the rows must fit in what the file
     * stores for them, even deflated, before anything is allocated. */
    unsigned long long packed = (unsigned long long)H5Tget_size(ft);
    unsigned long long stored = (unsigned long long)H5Dget_storage_size(d);
    if (packed == 0 || (unsigned long long)n * packed > stored * DEFLATE_MAX_RATIO + packed) {
        rc = ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                          "dataset %s claims %zu rows of %llu bytes, more than "
                          "its %llu stored bytes can hold", s->path, n, packed, stored);
        goto done;
    }
    *n_out = n;
done:
    if (ft >= 0)
        H5Tclose(ft);
    if (sp >= 0)
        H5Sclose(sp);
    if (rc != TS_OK)
        H5Dclose(d);
    else
        *d_out = d;
    return rc;
}

static int read_table(const rctx *c, hid_t file, const ts__table_schema *s, int version,
                      void **rows_out, size_t *n_out)
{
    *rows_out = NULL;
    *n_out = 0;
    hid_t d, mt = H5I_INVALID_HID;
    size_t n;
    int rc = open_table(c, file, s, version, &d, &n);
    if (rc != TS_OK || n == 0) {
        if (rc == TS_OK)
            H5Dclose(d);
        return rc;
    }
    unsigned char *rows = NULL;
    /* A compressed table of a billion equal rows is still small on disk:
     * refuse before allocating what this process cannot hold. */
    unsigned long long mem = ts_limit(TS_LIMIT_MEMORY);
    if (mem && (unsigned long long)n * s->row_size > mem / 2) {
        rc = ts_error_set(c->err, TS_ENOMEM, c->path, 0,
                          "dataset %s has %zu rows (%llu bytes), more than half "
                          "the memory this process may use (%llu bytes)", s->path, n,
                          (unsigned long long)n * s->row_size, mem);
        goto done;
    }
    rows = ts_calloc(n, s->row_size);
    if (!rows) {
        rc = ts_error_set(c->err, TS_ENOMEM, c->path, 0, "no memory for %zu rows of %s",
                          n, s->path);
        goto done;
    }
    mt = ts__mem_type(s, version);
    if (mt < 0 || H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) < 0) {
        rc = ts__h5_error(c->err, TS_EFORMAT, c->path, "cannot read dataset %s", s->path);
        goto done;
    }
    terminate_strings(s, rows, n);
    fill_absent(s, version, rows, n);
    *rows_out = rows;
    *n_out = n;
    rows = NULL;
done:
    ts_free(rows);
    if (mt >= 0)
        H5Tclose(mt);
    H5Dclose(d);
    return rc;
}

/* Rows per chunked read: whole chunks of the file's layout (each is then
 * inflated once), about CHUNK_READ_ROWS, at most CHUNK_READ_MAX. */
#define CHUNK_READ_ROWS ((size_t)1 << 16)
#define CHUNK_READ_MAX ((size_t)1 << 20)

static size_t rows_per_read(hid_t d)
{
    size_t step = CHUNK_READ_ROWS;
    hid_t dcpl = H5Dget_create_plist(d);
    hsize_t chunk[1] = { 0 };
    if (dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED && H5Pget_chunk(dcpl, 1, chunk) == 1 &&
        chunk[0] > 0) {
        size_t per = chunk[0] > CHUNK_READ_MAX ? CHUNK_READ_MAX : (size_t)chunk[0];
        step = per >= CHUNK_READ_ROWS ? per : per * (CHUNK_READ_ROWS / per);
    }
    if (dcpl >= 0)
        H5Pclose(dcpl);
    return step;
}

static int check_chunk(const rctx *c, const ts_trace *tr, int t, const unsigned char *rows,
                       size_t n, size_t first);

/* Reads table t a chunk at a time into one buffer, checks each chunk's
 * rows as check_indices checks loaded ones, and folds it. */
static int fold_table(const rctx *c, hid_t file, ts_trace *tr, int t, ts__fold *f)
{
    const ts__table_schema *s = &ts__trace_tables[t];
    int version = tr->format_version;
    hid_t d, mt = H5I_INVALID_HID, fsp = H5I_INVALID_HID, msp = H5I_INVALID_HID;
    size_t n;
    int rc = open_table(c, file, s, version, &d, &n);
    if (rc != TS_OK || n == 0) {
        if (rc == TS_OK)
            H5Dclose(d);
        return rc;
    }
    size_t step = rows_per_read(d);
    if (step > n)
        step = n;
    unsigned char *buf = ts_calloc(step, s->row_size);
    mt = ts__mem_type(s, version);
    fsp = H5Dget_space(d);
    if (!buf) {
        rc = ts_error_set(c->err, TS_ENOMEM, c->path, 0, "no memory for %zu rows of %s",
                          step, s->path);
        goto done;
    }
    if (mt < 0 || fsp < 0) {
        rc = ts__h5_error(c->err, TS_EFORMAT, c->path, "cannot read dataset %s", s->path);
        goto done;
    }
    for (size_t first = 0; first < n; first += step) {
        hsize_t start[1] = { first }, count[1] = { n - first < step ? n - first : step };
        if (msp >= 0)
            H5Sclose(msp);
        msp = H5Screate_simple(1, count, NULL);
        if (msp < 0 ||
            H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
            H5Dread(d, mt, msp, fsp, H5P_DEFAULT, buf) < 0) {
            rc = ts__h5_error(c->err, TS_EFORMAT, c->path,
                              "cannot read dataset %s rows %zu to %zu", s->path, first,
                              first + (size_t)count[0] - 1);
            goto done;
        }
        size_t got = (size_t)count[0];
        terminate_strings(s, buf, got);
        fill_absent(s, version, buf, got);
        rc = check_chunk(c, tr, t, buf, got, first);
        if (rc != TS_OK)
            goto done;
        switch (t) {
        case TS__T_MESSAGES:
            rc = ts__fold_messages(f, (const ts_trace_message *)(void *)buf, got, first,
                                   c->err);
            break;
        case TS__T_JOBS:
            rc = ts__fold_jobs(f, (const ts_trace_job *)(void *)buf, got, first, c->err);
            break;
        case TS__T_NODE_STATE:
            rc = ts__fold_node_state(f, (const ts_trace_node_state *)(void *)buf, got, c->err);
            break;
        case TS__T_LINK_STATE:
            rc = ts__fold_link_state(f, (const ts_trace_link_state *)(void *)buf, got, c->err);
            break;
        default:
            ts__fold_count(f, got);
            break;
        }
        if (rc != TS_OK)
            goto done;
    }
done:
    ts_free(buf);
    if (msp >= 0)
        H5Sclose(msp);
    if (fsp >= 0)
        H5Sclose(fsp);
    if (mt >= 0)
        H5Tclose(mt);
    H5Dclose(d);
    return rc;
}

/* Where each table lands in a ts_trace. A switch rather than an array of
 * void ** so that each field is written through its own pointer type. */
static size_t *table_count(ts_trace *tr, int id)
{
    switch (id) {
    case TS__T_NODES: return &tr->n_nodes;
    case TS__T_LINKS: return &tr->n_links;
    case TS__T_COMPONENTS: return &tr->n_components;
    case TS__T_TOPICS: return &tr->n_topics;
    case TS__T_PLACEMENT: return &tr->n_placement;
    case TS__T_REQUIREMENTS: return &tr->n_requirements;
    case TS__T_MESSAGES: return &tr->n_messages;
    case TS__T_JOBS: return &tr->n_jobs;
    case TS__T_LINK_STATE: return &tr->n_link_state;
    case TS__T_NODE_STATE: return &tr->n_node_state;
    case TS__T_CORE_STATE: return &tr->n_core_state;
    case TS__T_EVENTS: return &tr->n_events;
    case TS__T_SITES: return &tr->n_sites;
    case TS__T_POWER_MODES: return &tr->n_power_modes;
    case TS__T_POWER_LIMITS: return &tr->n_power_limits;
    case TS__T_VERSIONS: return &tr->n_versions;
    case TS__T_FAILOVER_GROUPS: return &tr->n_failover_groups;
    case TS__T_FAILOVER_BACKUPS: return &tr->n_failover_backups;
    case TS__T_SUBSCRIPTIONS: return &tr->n_subscriptions;
    case TS__T_SERVICES: return &tr->n_services;
    case TS__T_SERVICE_REPLICAS: return &tr->n_service_replicas;
    case TS__T_CLIENTS: return &tr->n_clients;
    case TS__T_FLEETS: return &tr->n_fleets;
    case TS__T_ROLLOUTS: return &tr->n_rollouts;
    case TS__T_EXPECTS: return &tr->n_expects;
    case TS__T_TOPIC_WINDOWS: return &tr->n_topic_windows;
    case TS__T_JOB_WINDOWS: return &tr->n_job_windows;
    case TS__T_HISTOGRAM_BUCKETS: return &tr->n_histogram_buckets;
    case TS__T_NODE_WINDOWS: return &tr->n_node_windows;
    case TS__T_LINK_WINDOWS: return &tr->n_link_windows;
    case TS__T_CHAINS: return &tr->n_chains;
    case TS__T_CHAIN_INSTANCES: return &tr->n_chain_instances;
    case TS__T_MEDIA: return &tr->n_media;
    case TS__T_MEDIUM_STATE: return &tr->n_medium_state;
    default: return &tr->n_component_state;
    }
}

static const void *table_rows(const ts_trace *tr, int id)
{
    switch (id) {
    case TS__T_NODES: return tr->nodes;
    case TS__T_LINKS: return tr->links;
    case TS__T_COMPONENTS: return tr->components;
    case TS__T_TOPICS: return tr->topics;
    case TS__T_PLACEMENT: return tr->placement;
    case TS__T_REQUIREMENTS: return tr->requirements;
    case TS__T_MESSAGES: return tr->messages;
    case TS__T_JOBS: return tr->jobs;
    case TS__T_LINK_STATE: return tr->link_state;
    case TS__T_NODE_STATE: return tr->node_state;
    case TS__T_CORE_STATE: return tr->core_state;
    case TS__T_EVENTS: return tr->events;
    case TS__T_SITES: return tr->sites;
    case TS__T_POWER_MODES: return tr->power_modes;
    case TS__T_POWER_LIMITS: return tr->power_limits;
    case TS__T_VERSIONS: return tr->versions;
    case TS__T_FAILOVER_GROUPS: return tr->failover_groups;
    case TS__T_FAILOVER_BACKUPS: return tr->failover_backups;
    case TS__T_SUBSCRIPTIONS: return tr->subscriptions;
    case TS__T_SERVICES: return tr->services;
    case TS__T_SERVICE_REPLICAS: return tr->service_replicas;
    case TS__T_CLIENTS: return tr->clients;
    case TS__T_FLEETS: return tr->fleets;
    case TS__T_ROLLOUTS: return tr->rollouts;
    case TS__T_EXPECTS: return tr->expects;
    case TS__T_TOPIC_WINDOWS: return tr->topic_windows;
    case TS__T_JOB_WINDOWS: return tr->job_windows;
    case TS__T_HISTOGRAM_BUCKETS: return tr->histogram_buckets;
    case TS__T_NODE_WINDOWS: return tr->node_windows;
    case TS__T_LINK_WINDOWS: return tr->link_windows;
    case TS__T_CHAINS: return tr->chains;
    case TS__T_CHAIN_INSTANCES: return tr->chain_instances;
    case TS__T_MEDIA: return tr->media;
    case TS__T_MEDIUM_STATE: return tr->medium_state;
    default: return tr->component_state;
    }
}

static void set_table_rows(ts_trace *tr, int id, void *rows)
{
    switch (id) {
    case TS__T_NODES: tr->nodes = rows; break;
    case TS__T_LINKS: tr->links = rows; break;
    case TS__T_COMPONENTS: tr->components = rows; break;
    case TS__T_TOPICS: tr->topics = rows; break;
    case TS__T_PLACEMENT: tr->placement = rows; break;
    case TS__T_REQUIREMENTS: tr->requirements = rows; break;
    case TS__T_MESSAGES: tr->messages = rows; break;
    case TS__T_JOBS: tr->jobs = rows; break;
    case TS__T_LINK_STATE: tr->link_state = rows; break;
    case TS__T_NODE_STATE: tr->node_state = rows; break;
    case TS__T_CORE_STATE: tr->core_state = rows; break;
    case TS__T_EVENTS: tr->events = rows; break;
    case TS__T_SITES: tr->sites = rows; break;
    case TS__T_POWER_MODES: tr->power_modes = rows; break;
    case TS__T_POWER_LIMITS: tr->power_limits = rows; break;
    case TS__T_VERSIONS: tr->versions = rows; break;
    case TS__T_FAILOVER_GROUPS: tr->failover_groups = rows; break;
    case TS__T_FAILOVER_BACKUPS: tr->failover_backups = rows; break;
    case TS__T_SUBSCRIPTIONS: tr->subscriptions = rows; break;
    case TS__T_SERVICES: tr->services = rows; break;
    case TS__T_SERVICE_REPLICAS: tr->service_replicas = rows; break;
    case TS__T_CLIENTS: tr->clients = rows; break;
    case TS__T_FLEETS: tr->fleets = rows; break;
    case TS__T_ROLLOUTS: tr->rollouts = rows; break;
    case TS__T_EXPECTS: tr->expects = rows; break;
    case TS__T_TOPIC_WINDOWS: tr->topic_windows = rows; break;
    case TS__T_JOB_WINDOWS: tr->job_windows = rows; break;
    case TS__T_HISTOGRAM_BUCKETS: tr->histogram_buckets = rows; break;
    case TS__T_NODE_WINDOWS: tr->node_windows = rows; break;
    case TS__T_LINK_WINDOWS: tr->link_windows = rows; break;
    case TS__T_CHAINS: tr->chains = rows; break;
    case TS__T_CHAIN_INSTANCES: tr->chain_instances = rows; break;
    case TS__T_MEDIA: tr->media = rows; break;
    case TS__T_MEDIUM_STATE: tr->medium_state = rows; break;
    default: tr->component_state = rows; break;
    }
}

/* The requirement kinds and the table each one's target indexes
 * (TS__T_NONE: no target). */
static const struct {
    const char *kind;
    int table;
    int since_version;
} requirement_kinds[] = {
    {"topic-deadline", TS__T_TOPICS, 1},
    {"component-deadline", TS__T_COMPONENTS, 1},
    {"failover", TS__T_COMPONENTS, 3},
    {"safe-state", TS__T_SITES, 3},
    {"safety-coverage", TS__T_NONE, 3},
    {"health", TS__T_NONE, 3},
    {"integration", TS__T_NONE, 3},
    {"rollout", TS__T_ROLLOUTS, 3},
    {"qos-deadline", TS__T_TOPICS, 3},
    {"service", TS__T_SERVICES, 3},
    {"thermal-headroom", TS__T_NODES, 3},
    {"power-budget", TS__T_NODES, 3},
};

static int requirement_kind(const char *kind)
{
    for (size_t i = 0; i < sizeof requirement_kinds / sizeof requirement_kinds[0]; i++)
        if (strcmp(kind, requirement_kinds[i].kind) == 0)
            return (int)i;
    return -1;
}

static int requirement_table(const char *kind)
{
    int k = requirement_kind(kind);
    return k < 0 ? TS__T_NONE : requirement_kinds[k].table;
}

/* Kinds known to the file's version, target_table agreeing with the kind
 * (filled in for older files), threshold set for older files. */
static int check_requirements(const rctx *c, ts_trace *tr)
{
    int declared = 0;
    for (size_t r = 0; r < tr->n_requirements; r++) {
        ts_trace_requirement *q = &tr->requirements[r];
        int k = requirement_kind(q->kind);
        if (k < 0 || requirement_kinds[k].since_version > tr->format_version)
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset /requirements row %zu column kind: unknown "
                                "kind \"%s\" (format version %d)", r, q->kind,
                                tr->format_version);
        int table = requirement_kinds[k].table;
        const char *name = table == TS__T_NONE ? "" : ts__trace_tables[table].name;
        if (tr->format_version < 3) {
            snprintf(q->target_table, sizeof q->target_table, "%s", name);
            q->threshold = q->min_fraction;
        } else if (strcmp(q->target_table, name) != 0) {
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset /requirements row %zu column target_table: \"%s\" "
                                "for kind %s, expected \"%s\"", r, q->target_table,
                                q->kind, name);
        }
        if (table == TS__T_NONE && q->target != -1)
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset /requirements row %zu column target: %d for kind "
                                "%s, which has no target (expected -1)", r, (int)q->target,
                                q->kind);
        declared = 1;
    }
    if (tr->requirements_declared < 0)
        tr->requirements_declared = declared;
    else if (tr->requirements_declared == 0 && declared)
        return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                            "/meta says no requirements were declared but /requirements "
                            "has %zu rows", tr->n_requirements);
    return TS_OK;
}

/* A window's histogram rows: within the table, buckets valid and
 * increasing, counts positive and summing to `values`, the greatest of
 * them (max) in the last bucket; none when there are no values. */
static int check_histogram(const rctx *c, const ts_trace *tr, const char *table, size_t r,
                           uint64_t first, int32_t n, uint64_t values, int64_t max)
{
    if (n < 0 || first > tr->n_histogram_buckets ||
        (uint64_t)n > tr->n_histogram_buckets - first)
        return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                            "dataset %s row %zu: histogram rows %llu + %d are not within "
                            "/histogram_buckets (%zu rows)", table, r,
                            (unsigned long long)first, (int)n, tr->n_histogram_buckets);
    uint64_t sum = 0;
    for (int32_t k = 0; k < n; k++) {
        const ts_hist_pair *p = &tr->histogram_buckets[first + (uint64_t)k];
        if (p->bucket < 0 || p->bucket >= TS_HIST_BUCKETS || p->count == 0 ||
            (k > 0 && p->bucket <= tr->histogram_buckets[first + (uint64_t)k - 1].bucket) ||
            p->count > UINT64_MAX - sum)
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset /histogram_buckets row %llu (of %s row %zu): bucket "
                                "%d count %llu (expected increasing buckets 0 to %d, counts "
                                "> 0)", (unsigned long long)(first + (uint64_t)k), table, r,
                                (int)p->bucket, (unsigned long long)p->count,
                                TS_HIST_BUCKETS - 1);
        sum += p->count;
    }
    if (sum != values)
        return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                            "dataset %s row %zu: its histogram holds %llu values, its counts "
                            "say %llu", table, r, (unsigned long long)sum,
                            (unsigned long long)values);
    if (values == 0 ? max != -1
                    : max < 0 || ts_hist_bucket(max) !=
                                     tr->histogram_buckets[first + (uint64_t)n - 1].bucket)
        return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                            "dataset %s row %zu: greatest value %lld does not match its "
                            "histogram (-1 when empty, else in its last bucket)", table, r,
                            (long long)max);
    return TS_OK;
}

/* A state window's span and sample counts: samples > 0, at most one per
 * nanosecond of a span that starts at 0 or later, up samples among them. */
static int check_span(const rctx *c, const char *table, size_t r, int64_t start, int64_t end,
                      int32_t samples, int32_t up)
{
    if (start < 0 || end <= start)
        return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                            "dataset %s row %zu: window (%lld, %lld] is not a time span",
                            table, r, (long long)start, (long long)end);
    if (samples <= 0 || (uint64_t)samples > (uint64_t)(end - start) || up < 0 || up > samples)
        return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                            "dataset %s row %zu: %d samples, %d of them up, in a window of "
                            "%lld ns", table, r, (int)samples, (int)up,
                            (long long)(end - start));
    return TS_OK;
}

/* The summary level's node and link windows (format 5): only in a
 * summary trace, which then has no state rows; each a time span with
 * possible counts, sums and maxima within what its samples allow. */
static int check_state_windows(const rctx *c, const ts_trace *tr)
{
    if (tr->level != TS_TRACE_LEVEL_SUMMARY && (tr->n_node_windows || tr->n_link_windows))
        return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                            "a full trace has rows in /node_windows or /link_windows "
                            "(summary tables)");
    if ((tr->n_node_windows || tr->n_link_windows) &&
        (tr->n_node_state || tr->n_link_state || tr->n_core_state))
        return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                            "a summary trace has both state windows (/node_windows, "
                            "/link_windows) and state rows (/node_state, /link_state, "
                            "/core_state)");
    for (size_t r = 0; r < tr->n_node_windows; r++) {
        const ts_trace_node_window *w = &tr->node_windows[r];
        int rc = check_span(c, "/node_windows", r, w->start_ns, w->end_ns, w->samples,
                            w->up_samples);
        if (rc != TS_OK)
            return rc;
        if (!(w->cpu_util_sum >= 0 && isfinite(w->cpu_util_sum)) ||
            !(w->gpu_util_sum >= 0 && isfinite(w->gpu_util_sum)) ||
            !(w->cpu_util_max >= 0 && isfinite(w->cpu_util_max)) ||
            !(w->gpu_util_max >= 0 && isfinite(w->gpu_util_max)))
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset /node_windows row %zu: CPU or GPU use (sums %g, %g; "
                                "peaks %g, %g) negative or not a number", r, w->cpu_util_sum,
                                w->gpu_util_sum, w->cpu_util_max, w->gpu_util_max);
        if (w->throttled_ns < 0 || w->throttled_ns > w->end_ns - w->start_ns ||
            w->memory_max_bytes < 0 || (w->up_at_end != 0 && w->up_at_end != 1))
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset /node_windows row %zu: throttled %lld ns, memory "
                                "%lld B or up_at_end %d out of range", r,
                                (long long)w->throttled_ns, (long long)w->memory_max_bytes,
                                (int)w->up_at_end);
    }
    for (size_t r = 0; r < tr->n_link_windows; r++) {
        const ts_trace_link_window *w = &tr->link_windows[r];
        int rc = check_span(c, "/link_windows", r, w->start_ns, w->end_ns, w->samples,
                            w->up_samples);
        if (rc != TS_OK)
            return rc;
        if (w->direction != 0 && w->direction != 1)
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset /link_windows row %zu column direction: %d is not "
                                "0 nor 1", r, (int)w->direction);
        if (!(w->utilisation_sum >= 0 && isfinite(w->utilisation_sum)) ||
            !(w->utilisation_max >= 0 && isfinite(w->utilisation_max)) ||
            w->queue_max_bytes < 0 || w->queue_sum_bytes < 0 ||
            (double)w->queue_sum_bytes > (double)w->queue_max_bytes * (double)w->samples)
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset /link_windows row %zu: utilisation (sum %g, peak %g) "
                                "or queue (peak %lld B, sum %lld B) out of range", r,
                                w->utilisation_sum, w->utilisation_max,
                                (long long)w->queue_max_bytes, (long long)w->queue_sum_bytes);
    }
    return TS_OK;
}

/* The summary tables: only in a summary trace; each window ordered in
 * time, its counts possible (met within delivered or finished) and its
 * histogram holding exactly its values. */
static int check_windows(const rctx *c, const ts_trace *tr)
{
    if (tr->level != TS_TRACE_LEVEL_SUMMARY &&
        (tr->n_topic_windows || tr->n_job_windows || tr->n_histogram_buckets))
        return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                            "a full trace has rows in /topic_windows, /job_windows or "
                            "/histogram_buckets (summary tables)");
    for (size_t r = 0; r < tr->n_topic_windows; r++) {
        const ts_trace_topic_window *w = &tr->topic_windows[r];
        if (w->start_ns < 0 || w->end_ns <= w->start_ns)
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset /topic_windows row %zu: window [%lld, %lld) is not "
                                "a time span", r, (long long)w->start_ns, (long long)w->end_ns);
        if (w->met > w->delivered)
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset /topic_windows row %zu: met %llu exceeds delivered "
                                "%llu", r, (unsigned long long)w->met,
                                (unsigned long long)w->delivered);
        int rc = check_histogram(c, tr, "/topic_windows", r, w->hist_first, w->hist_buckets,
                                 w->delivered, w->max_latency_ns);
        if (rc != TS_OK)
            return rc;
    }
    for (size_t r = 0; r < tr->n_job_windows; r++) {
        const ts_trace_job_window *w = &tr->job_windows[r];
        if (w->start_ns < 0 || w->end_ns <= w->start_ns)
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset /job_windows row %zu: window [%lld, %lld) is not a "
                                "time span", r, (long long)w->start_ns, (long long)w->end_ns);
        if (w->met > w->finished)
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset /job_windows row %zu: met %llu exceeds finished %llu",
                                r, (unsigned long long)w->met, (unsigned long long)w->finished);
        int rc = check_histogram(c, tr, "/job_windows", r, w->hist_first, w->hist_buckets,
                                 w->finished, w->max_response_ns);
        if (rc != TS_OK)
            return rc;
    }
    return check_state_windows(c, tr);
}

/* Every index column of rows [first, first + n) of table t (at rows) must
 * name an existing row of its table; message statuses, link directions
 * and core numbers must be possible. Used on loaded tables and on each
 * chunk of a folded one. */
static int check_chunk(const rctx *c, const ts_trace *tr, int t, const unsigned char *rows,
                       size_t n, size_t first)
{
    const ts__table_schema *s = &ts__trace_tables[t];
    for (size_t i = 0; i < s->n_columns; i++) {
        const ts__column *col = &s->columns[i];
        if (col->ref == TS__T_NONE)
            continue;
        size_t limit = *table_count((ts_trace *)tr, col->ref);
        for (size_t r = 0; r < n; r++) {
            int32_t v;
            memcpy(&v, rows + r * s->row_size + col->offset, sizeof v);
            if (v == -1 && col->ref_optional)
                continue;
            if (v < 0 || (size_t)v >= limit)
                return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                    "dataset %s row %zu column %s: %d is not %sa row "
                                    "of %s (%zu rows)", s->path, first + r, col->name,
                                    (int)v, col->ref_optional ? "-1 nor " : "",
                                    ts__trace_tables[col->ref].path, limit);
        }
    }
    if (t == TS__T_MESSAGES) {
        /* Version 1 knew statuses up to TS_MSG_IN_FLIGHT only. */
        int32_t max_status =
            tr->format_version >= 2 ? TS_MSG_RECEIVER_DOWN : TS_MSG_IN_FLIGHT;
        const ts_trace_message *m = (const ts_trace_message *)(const void *)rows;
        for (size_t r = 0; r < n; r++)
            if (m[r].status < TS_MSG_DELIVERED || m[r].status > max_status)
                return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                    "dataset /messages row %zu column status: unknown "
                                    "status %d (format version %d has 0 to %d)", first + r,
                                    (int)m[r].status, tr->format_version, (int)max_status);
    } else if (t == TS__T_LINK_STATE) {
        const ts_trace_link_state *l = (const ts_trace_link_state *)(const void *)rows;
        for (size_t r = 0; r < n; r++)
            if (l[r].direction != 0 && l[r].direction != 1)
                return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                    "dataset /link_state row %zu column direction: %d is not "
                                    "0 nor 1", first + r, (int)l[r].direction);
    } else if (t == TS__T_CORE_STATE) {
        /* Node rows were checked above, so the lookup is in bounds. */
        const ts_trace_core_state *cs = (const ts_trace_core_state *)(const void *)rows;
        for (size_t r = 0; r < n; r++) {
            int32_t cores = tr->nodes[cs[r].node].cores;
            if (cs[r].core < 0 || cs[r].core >= cores)
                return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                    "dataset /core_state row %zu column core: %d is not a "
                                    "core of node %d (%d cores)", first + r, (int)cs[r].core,
                                    (int)cs[r].node, (int)cores);
        }
    }
    return TS_OK;
}

/* Chains (v6): a positive budget, an odd stage count of at least 3 that
 * the stages string agrees with (n_stages ids, one space apart), first
 * and last naming its first and last stage; instances either an output
 * (0 <= input <= output) or a drop (input >= 0, output -1). The row
 * indices were checked with the other columns. */
static int check_chains(const rctx *c, const ts_trace *tr)
{
    for (size_t r = 0; r < tr->n_chains; r++) {
        const ts_trace_chain *ch = &tr->chains[r];
        if (ch->budget_ns <= 0 || ch->n_stages < 3 || ch->n_stages % 2 == 0)
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset /chains row %zu: budget_ns %lld, n_stages %d "
                                "(expected a budget > 0 and an odd count >= 3)", r,
                                (long long)ch->budget_ns, (int)ch->n_stages);
        int32_t words = 0;
        size_t len = strlen(ch->stages), first_len = strcspn(ch->stages, " ");
        const char *last = strrchr(ch->stages, ' ');
        for (size_t i = 0; i < len; i++) {
            int start = ch->stages[i] != ' ' && (i == 0 || ch->stages[i - 1] == ' ');
            if (ch->stages[i] == ' ' && (i == 0 || i + 1 == len || ch->stages[i + 1] == ' '))
                words = -1;
            if (words >= 0 && start)
                words++;
            if (words < 0)
                break;
        }
        last = last ? last + 1 : ch->stages;
        const char *first_name = tr->components[ch->first].name;
        const char *last_name = tr->components[ch->last].name;
        if (words != ch->n_stages || strlen(first_name) != first_len ||
            strncmp(ch->stages, first_name, first_len) != 0 || strcmp(last, last_name) != 0)
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset /chains row %zu column stages: \"%.100s\" is not "
                                "%d ids one space apart from component %s to %s", r,
                                ch->stages, (int)ch->n_stages, first_name, last_name);
    }
    for (size_t r = 0; r < tr->n_chain_instances; r++) {
        const ts_trace_chain_instance *in = &tr->chain_instances[r];
        int ok = in->dropped == 0 ? in->input_ns >= 0 && in->output_ns >= in->input_ns
                 : in->dropped == 1 ? in->input_ns >= 0 && in->output_ns == -1
                                    : 0;
        if (!ok)
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset /chain_instances row %zu: dropped %d, input_ns "
                                "%lld, output_ns %lld (expected dropped 0 with 0 <= input "
                                "<= output, or dropped 1 with input >= 0 and output -1)",
                                r, (int)in->dropped, (long long)in->input_ns,
                                (long long)in->output_ns);
    }
    return TS_OK;
}

/* Every index column must name an existing row of its table. */
/* Shared media (format 6): /media's figures are sizes (none negative,
 * the capacity a finite number), and each /medium_state row a window of
 * positive length ending at or after its length, its air time and shared
 * queue not negative. Rows are one per medium and sample period (per
 * state window at the summary level), few beside /link_state, so the
 * table is read whole even when a large full trace is folded. */
static int check_media(const rctx *c, const ts_trace *tr)
{
    for (size_t r = 0; r < tr->n_media; r++) {
        const ts_trace_medium *m = &tr->media[r];
        if (!(m->capacity_bps >= 0 && isfinite(m->capacity_bps)) || m->latency_ns < 0 ||
            m->queue_bytes < 0 || m->links < 0)
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset /media row %zu: capacity %g bit/s, latency %lld ns, "
                                "queue %lld B or links %d negative or not a number", r,
                                m->capacity_bps, (long long)m->latency_ns,
                                (long long)m->queue_bytes, (int)m->links);
    }
    for (size_t r = 0; r < tr->n_medium_state; r++) {
        const ts_trace_medium_state *m = &tr->medium_state[r];
        if (m->window_ns <= 0 || m->time_ns < m->window_ns)
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset /medium_state row %zu: a window of %lld ns ending at "
                                "%lld ns is not a time span from 0 on", r,
                                (long long)m->window_ns, (long long)m->time_ns);
        if (!(m->utilisation >= 0 && isfinite(m->utilisation)) || m->queue_bytes < 0 ||
            m->queue_packets < 0)
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset /medium_state row %zu: utilisation %g, queue %lld B "
                                "or %d packets negative or not a number", r, m->utilisation,
                                (long long)m->queue_bytes, (int)m->queue_packets);
    }
    return TS_OK;
}

static int check_indices(const rctx *c, ts_trace *tr)
{
    for (int t = 0; t < TS__T_COUNT; t++) {
        int rc = check_chunk(c, tr, t, table_rows(tr, t), *table_count(tr, t), 0);
        if (rc != TS_OK)
            return rc;
    }
    int rc = check_requirements(c, tr);
    if (rc != TS_OK)
        return rc;
    for (size_t r = 0; r < tr->n_requirements; r++) {
        const ts_trace_requirement *q = &tr->requirements[r];
        int ref = requirement_table(q->kind);
        if (ref == TS__T_NONE)
            continue;   /* no target: check_requirements saw it is -1 */
        size_t limit = *table_count(tr, ref);
        if (q->target < -1 || (q->target >= 0 && (size_t)q->target >= limit))
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset /requirements row %zu column target: %d is not "
                                "-1 nor a row of %s (%zu rows)", r, (int)q->target,
                                ts__trace_tables[ref].path, limit);
    }
    for (size_t r = 0; r < tr->n_component_state; r++) {
        const ts_trace_component_state *cs = &tr->component_state[r];
        if (cs->run < TS_TRACE_RUN_STOPPED || cs->run > TS_TRACE_RUN_ACTIVE)
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset /component_state row %zu column run: %d is not "
                                "0, 1 nor 2", r, (int)cs->run);
        /* A backup runs its group's versions, which its primary declares. */
        int32_t owner = cs->component, primary = tr->components[owner].backup_of;
        if (primary >= 0 && (size_t)primary < tr->n_components)
            owner = primary;
        if (cs->version < 0 || cs->version >= tr->components[owner].n_versions)
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset /component_state row %zu column version: %d is "
                                "not a version of component %d (%d versions)", r,
                                (int)cs->version, (int)owner,
                                (int)tr->components[owner].n_versions);
    }
    int rc_w = check_windows(c, tr);
    if (rc_w == TS_OK)
        rc_w = check_chains(c, tr);
    if (rc_w == TS_OK)
        rc_w = check_media(c, tr);
    if (rc_w != TS_OK)
        return rc_w;
    for (size_t r = 0; r < tr->n_expects; r++) {
        const ts_trace_expect *e = &tr->expects[r];
        if (e->min_count < 0 || e->max_count < -1 ||
            (e->max_count >= 0 && e->max_count < e->min_count))
            return ts_error_set(c->err, TS_EFORMAT, c->path, 0,
                                "dataset /expects row %zu: min_count %lld, max_count %lld "
                                "(expected 0 <= min <= max, or max -1)", r,
                                (long long)e->min_count, (long long)e->max_count);
    }
    return TS_OK;
}

/* ---- entry points ---- */

static unsigned long long fold_rows = TS_TRACE_FOLD_ROWS;

void ts_trace_set_fold_rows(unsigned long long rows)
{
    fold_rows = rows;
}

/* The tables with a row per message, job or sample, which folded reading
 * reads in chunks (trace.h). */
static int is_row_table(int t)
{
    return t == TS__T_MESSAGES || t == TS__T_JOBS || t == TS__T_NODE_STATE ||
           t == TS__T_LINK_STATE || t == TS__T_CORE_STATE;
}

/* 1 when a full trace's row tables hold more than fold_rows rows together
 * (trace.h, "Folded reading"). A table that cannot be sized here is left
 * to the ordinary reading, which says what is wrong with it. */
static int should_fold(hid_t file, const ts_trace *tr)
{
    if (tr->level != TS_TRACE_LEVEL_FULL)
        return 0;
    unsigned long long total = 0;
    for (int t = 0; t < TS__T_COUNT; t++) {
        const ts__table_schema *s = &ts__trace_tables[t];
        if (!is_row_table(t) || tr->format_version < s->since_version)
            continue;
        if (H5Lexists(file, s->path, H5P_DEFAULT) <= 0)
            return 0;
        hid_t d = H5Dopen2(file, s->path, H5P_DEFAULT);
        if (d < 0)
            return 0;
        hid_t sp = H5Dget_space(d);
        hsize_t dims[1] = { 0 };
        int ok = sp >= 0 && H5Sget_simple_extent_ndims(sp) == 1 &&
                 H5Sget_simple_extent_dims(sp, dims, NULL) == 1;
        if (sp >= 0)
            H5Sclose(sp);
        H5Dclose(d);
        if (!ok)
            return 0;
        total += (unsigned long long)dims[0];
    }
    return total > fold_rows;
}

static int load_here(const char *path, ts_trace **out, ts_error *err)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "trace load: no path");
    rctx c = { path, err };
    struct stat st;
    if (stat(path, &st) != 0)
        return ts_error_set(err, TS_EIO, path, 0, "cannot open trace: %s", strerror(errno));
    if (!S_ISREG(st.st_mode))
        return ts_error_set(err, TS_EIO, path, 0, "cannot open trace: not a regular file");
    ts__h5_quiet();
    htri_t is_h5 = H5Fis_hdf5(path);
    if (is_h5 < 0)
        return ts__h5_error(err, TS_EIO, path, "cannot open trace");
    if (is_h5 == 0)
        return ts_error_set(err, TS_EFORMAT, path, 0, "not an HDF5 file");

    /* STRONG: closing the file also closes anything an error path left. */
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    hid_t file = H5I_INVALID_HID;
    if (fapl >= 0 && H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) >= 0)
        file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (file < 0) {
        int rc = ts__h5_error(err, TS_EFORMAT, path, "cannot open trace as HDF5");
        if (fapl >= 0)
            H5Pclose(fapl);
        return rc;
    }
    H5Pclose(fapl);

    ts_trace *tr = ts_calloc(1, sizeof *tr);
    if (!tr) {
        H5Fclose(file);
        return ts_error_set(err, TS_ENOMEM, path, 0, "no memory for trace");
    }
    int rc = read_root(&c, file, tr);
    if (rc == TS_OK)
        rc = read_meta(&c, file, tr);
    int fold = rc == TS_OK && should_fold(file, tr);
    for (int t = 0; rc == TS_OK && t < TS__T_COUNT; t++) {
        const ts__table_schema *s = &ts__trace_tables[t];
        /* An older file has no such table; one it holds anyway under that
         * name is not part of its format and is left alone. */
        if (tr->format_version < s->since_version || (fold && is_row_table(t)))
            continue;
        void *rows = NULL;
        rc = read_table(&c, file, s, tr->format_version, &rows, table_count(tr, t));
        set_table_rows(tr, t, rows);
    }
    if (rc == TS_OK)
        rc = check_indices(&c, tr);
    if (rc == TS_OK && fold) {
        /* After the other tables are checked: the fold follows their
         * indices (failover groups, topic budgets). */
        ts__fold *f = NULL;
        rc = ts__fold_new(tr, path, &f, err);
        for (int t = 0; rc == TS_OK && t < TS__T_COUNT; t++)
            if (is_row_table(t) && tr->format_version >= ts__trace_tables[t].since_version)
                rc = fold_table(&c, file, tr, t, f);
        if (rc == TS_OK)
            rc = ts__fold_finish(f, err);
        ts__fold_free(f);
    }
    if (H5Fclose(file) < 0 && rc == TS_OK)
        rc = ts__h5_error(err, TS_EIO, path, "cannot close trace");
    if (rc != TS_OK) {
        ts_trace_free(tr);
        return rc;
    }
    *out = tr;
    return TS_OK;
}

void ts_trace_free(ts_trace *trace)
{
    if (!trace)
        return;
    ts_free(trace->toposim_version);
    ts_free(trace->scenario_name);
    ts_free(trace->scenario_path);
    ts_free(trace->scenario_text);
    ts_free(trace->nodes);
    ts_free(trace->links);
    ts_free(trace->components);
    ts_free(trace->topics);
    ts_free(trace->placement);
    ts_free(trace->requirements);
    ts_free(trace->messages);
    ts_free(trace->jobs);
    ts_free(trace->link_state);
    ts_free(trace->node_state);
    ts_free(trace->core_state);
    ts_free(trace->events);
    ts_free(trace->command_line);
    ts_free(trace->git_revision);
    ts_free(trace->host);
    ts_free(trace->started_utc);
    ts_free(trace->sites);
    ts_free(trace->power_modes);
    ts_free(trace->power_limits);
    ts_free(trace->versions);
    ts_free(trace->failover_groups);
    ts_free(trace->failover_backups);
    ts_free(trace->subscriptions);
    ts_free(trace->services);
    ts_free(trace->service_replicas);
    ts_free(trace->clients);
    ts_free(trace->fleets);
    ts_free(trace->rollouts);
    ts_free(trace->expects);
    ts_free(trace->component_state);
    ts_free(trace->filter);
    ts_free(trace->topic_windows);
    ts_free(trace->job_windows);
    ts_free(trace->histogram_buckets);
    ts_free(trace->node_windows);
    ts_free(trace->link_windows);
    ts_free(trace->chains);
    ts_free(trace->chain_instances);
    ts_free(trace->media);
    ts_free(trace->medium_state);
    ts_free(trace);
}

int ts_trace_load(const char *path, ts_trace **out, ts_error *err)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "trace load: no path");
    /* The file is read first where a crash cannot reach us (isolate.c). */
    int rc = ts__trace_probe(path, load_here, err);
    return rc == TS_OK ? load_here(path, out, err) : rc;
}
