/*
 * Crash-safe output shared by every writer of result files: write under a
 * temporary name in the same folder, flush and fsync, rename to the final
 * name, fsync the folder. A crashed or interrupted run never leaves a file
 * that looks finished.
 */
#ifndef TOPOSIM_UTIL_ATOMIC_FILE_H
#define TOPOSIM_UTIL_ATOMIC_FILE_H

#include <stdio.h>

#include "toposim/error.h"

#define TS__PATH_MAX 4096

/* Fills buf with the temporary name used for final_path ("DIR/.NAME.tmp-PID").
 * Returns TS_OK or TS_ERANGE when it does not fit. */
int ts__temp_path_for(const char *final_path, char *buf, size_t size);

/* fsyncs tmp_path, renames it to final_path and fsyncs the folder. On
 * failure removes tmp_path and fills err. */
int ts__publish_file(const char *tmp_path, const char *final_path, ts_error *err);

/* TS_OK when final_path may receive a result: it does not exist yet, or
 * it is a regular file that is none of the n inputs (same device and
 * inode, whatever the spelling). Otherwise TS_EIO naming why: a
 * device, FIFO or folder would be replaced by the rename, and an input
 * would be destroyed by its own command. */
int ts__check_output(const char *final_path, const char *const *inputs, size_t n,
                     ts_error *err);

/* A stdio stream whose contents appear at `final` only on commit. */
typedef struct ts__atomic_file {
    FILE *fp;
    char tmp[TS__PATH_MAX];
    char final[TS__PATH_MAX];
} ts__atomic_file;

/* Opens f->fp for writing under the temporary name. */
int ts__atomic_open(ts__atomic_file *f, const char *final_path, ts_error *err);

/* Flushes, closes and publishes; on any failure the temporary is removed. */
int ts__atomic_commit(ts__atomic_file *f, ts_error *err);

/* Closes and removes the temporary file. */
void ts__atomic_abort(ts__atomic_file *f);

#endif
