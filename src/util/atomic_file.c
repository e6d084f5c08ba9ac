/* Crash-safe publication of result files (see atomic_file.h). */
#include "util/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ts__temp_path_for(const char *final_path, char *buf, size_t size)
{
    const char *slash = strrchr(final_path, '/');
    int dir_len = slash ? (int)(slash - final_path + 1) : 0;
    const char *base = slash ? slash + 1 : final_path;
    int n = snprintf(buf, size, "%.*s.%s.tmp-%ld", dir_len, final_path, base,
                     (long)getpid());
    if (n < 0 || (size_t)n >= size)
        return TS_ERANGE;
    return TS_OK;
}

static void fsync_parent_dir(const char *path)
{
    char dir[TS__PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        /* Best effort: some file systems refuse fsync on folders. */
        (void)fsync(fd);
        close(fd);
    }
}

/* The folder the result goes in must exist and take new files: said in
 * words here, where HDF5 would otherwise report its own open flags. */
static int check_folder(const char *final_path, ts_error *err)
{
    const char *slash = strrchr(final_path, '/');
    char dir[TS__PATH_MAX];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == final_path)
        snprintf(dir, sizeof dir, "/");
    else if ((size_t)(slash - final_path) < sizeof dir)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - final_path), final_path);
    else
        return ts_error_set(err, TS_EIO, final_path, 0, "the path is too long");
    struct stat st;
    if (stat(dir, &st) != 0) {
        int e = errno;
        return ts_error_set(err, TS_EIO, final_path, 0, "cannot write here: the folder %s %s",
                            dir, e == ENOENT ? "does not exist" : strerror(e));
    }
    if (!S_ISDIR(st.st_mode))
        return ts_error_set(err, TS_EIO, final_path, 0,
                            "cannot write here: %s is not a folder", dir);
    if (access(dir, W_OK | X_OK) != 0) {
        int e = errno;
        return ts_error_set(err, TS_EIO, final_path, 0,
                            "cannot create files in the folder %s: %s", dir, strerror(e));
    }
    return TS_OK;
}

int ts__check_output(const char *final_path, const char *const *inputs, size_t n,
                     ts_error *err)
{
    int rc = check_folder(final_path, err);
    if (rc != TS_OK)
        return rc;
    struct stat out;
    if (stat(final_path, &out) != 0)
        return TS_OK; /* not there yet: creating it is the writer's test */
    if (!S_ISREG(out.st_mode))
        return ts_error_set(err, TS_EIO, final_path, 0,
                            "is not a regular file: results are written under a "
                            "temporary name and renamed, which would replace this %s",
                            S_ISDIR(out.st_mode) ? "folder"
                            : S_ISFIFO(out.st_mode) ? "FIFO"
                            : S_ISCHR(out.st_mode) || S_ISBLK(out.st_mode) ? "device"
                            : "special file");
    for (size_t i = 0; i < n; i++) {
        struct stat in;
        if (inputs[i] && stat(inputs[i], &in) == 0 && in.st_dev == out.st_dev &&
            in.st_ino == out.st_ino)
            return ts_error_set(err, TS_EIO, final_path, 0,
                                "is also this command's input %s: writing the result "
                                "would destroy it", inputs[i]);
    }
    return TS_OK;
}

int ts__publish_file(const char *tmp_path, const char *final_path, ts_error *err)
{
    /* Checked again at the last moment: the target may have appeared. */
    int rc = ts__check_output(final_path, NULL, 0, err);
    if (rc != TS_OK) {
        unlink(tmp_path);
        return rc;
    }
    int fd = open(tmp_path, O_RDONLY);
    if (fd < 0) {
        int e = errno;
        unlink(tmp_path);
        return ts_error_set(err, TS_EIO, final_path, 0, "cannot reopen %s: %s",
                            tmp_path, strerror(e));
    }
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp_path);
        return ts_error_set(err, TS_EIO, final_path, 0, "fsync failed: %s",
                            strerror(e));
    }
    close(fd);
    if (rename(tmp_path, final_path) != 0) {
        int e = errno;
        unlink(tmp_path);
        return ts_error_set(err, TS_EIO, final_path, 0, "cannot rename %s: %s",
                            tmp_path, strerror(e));
    }
    fsync_parent_dir(final_path);
    return TS_OK;
}

int ts__atomic_open(ts__atomic_file *f, const char *final_path, ts_error *err)
{
    f->fp = NULL;
    if (snprintf(f->final, sizeof f->final, "%s", final_path) >= (int)sizeof f->final ||
        ts__temp_path_for(final_path, f->tmp, sizeof f->tmp) != TS_OK)
        return ts_error_set(err, TS_ERANGE, final_path, 0, "path too long");
    f->fp = fopen(f->tmp, "w");
    if (!f->fp)
        return ts_error_set(err, TS_EIO, final_path, 0, "cannot create %s: %s",
                            f->tmp, strerror(errno));
    return TS_OK;
}

int ts__atomic_commit(ts__atomic_file *f, ts_error *err)
{
    int bad = ferror(f->fp) || fflush(f->fp) != 0;
    int e = errno;
    if (fclose(f->fp) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    f->fp = NULL;
    if (bad) {
        unlink(f->tmp);
        return ts_error_set(err, TS_EIO, f->final, 0, "write failed: %s",
                            strerror(e));
    }
    return ts__publish_file(f->tmp, f->final, err);
}

void ts__atomic_abort(ts__atomic_file *f)
{
    if (f->fp)
        fclose(f->fp);
    f->fp = NULL;
    unlink(f->tmp);
}
