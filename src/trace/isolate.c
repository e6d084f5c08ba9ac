/*
 * A trace is hostile input: one changed byte can send HDF5 1.10 out of
 * bounds inside its own decoders (seen in H5Aexists and in
 * H5T__conv_struct_opt), where no check of ours runs. So the first parse
 * of a file happens in a child process. A crash or a hang there becomes
 * "trace is corrupt" in the parent, which reads the file itself only once
 * the child has read all of it without harm.
 *
 * Why a child process and not a signal handler or a check of our own: the
 * library's state after a wild write cannot be trusted, so recovering in
 * the same process (siglongjmp out of SIGSEGV) could go on with corrupted
 * memory; and checking every HDF5 structure ourselves would mean
 * re-implementing its file format. The price is reading the file twice.
 */
#include "schema.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Longest the child may take; a corrupt file that makes the library loop
 * for ever must still end in an answer. Far above any real trace's time. */
#define PROBE_SECONDS 600

/* What the child reports through the pipe. */
typedef struct probe_result {
    int rc;
    ts_error err;
} probe_result;

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static ssize_t read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

int ts__trace_probe(const char *path, ts__trace_load_fn load, ts_error *err)
{
    int fd[2];
    if (pipe(fd) != 0)
        return ts_error_set(err, TS_EIO, path, 0, "cannot check the trace: pipe: %s",
                            strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fd[0]);
        close(fd[1]);
        return ts_error_set(err, TS_EIO, path, 0, "cannot check the trace: fork: %s",
                            strerror(e));
    }
    if (pid == 0) {
        close(fd[0]);
        /* A core dump of a crash we expect and report is noise. */
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        alarm(PROBE_SECONDS);
        probe_result r;
        memset(&r, 0, sizeof r);
        ts_error_clear(&r.err);
        ts_trace *tr = NULL;
        r.rc = load(path, &tr, &r.err);
        ts_trace_free(tr);
        int ok = write_all(fd[1], &r, sizeof r) == 0;
        /* _exit: HDF5's exit handlers walk state a corrupt file may have
         * damaged, and the parent owns every stream. */
        _exit(ok ? 0 : 1);
    }
    close(fd[1]);
    probe_result r;
    ssize_t got = read_all(fd[0], &r, sizeof r);
    close(fd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        if (sig == SIGALRM)
            return ts_error_set(err, TS_EFORMAT, path, 0,
                                "trace is corrupt: reading it did not finish in %d s",
                                PROBE_SECONDS);
        return ts_error_set(err, TS_EFORMAT, path, 0,
                            "trace is corrupt: the HDF5 library crashed reading it "
                            "(signal %d, %s)", sig, strsignal(sig));
    }
    if (got != (ssize_t)sizeof r || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return ts_error_set(err, TS_EFORMAT, path, 0,
                            "trace is corrupt: reading it failed without a reason "
                            "(status %d)", status);
    if (r.rc != TS_OK) {
        if (err) {
            *err = r.err;
            err->file[sizeof err->file - 1] = '\0';
            err->msg[sizeof err->msg - 1] = '\0';
        }
        return r.rc;
    }
    return TS_OK;
}
