/* Running gnuplot (and Graphviz dot): fork and exec of the program with
 * its script file, never a shell; its exit status checked; killed, with
 * anything it started, when it runs past its time limit. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report/report_internal.h"

static int executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int ts__find_program(const char *program, char *buf, size_t size, ts_error *err)
{
    if (strchr(program, '/')) {
        if (!executable(program))
            return ts_error_set(err, TS_ENOENT, program, 0, "is not an executable file");
        snprintf(buf, size, "%s", program);
        return TS_OK;
    }
    /* PATH as execvp reads it (POSIX, "exec"): an empty entry is ".". */
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    for (const char *p = path;;) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        int n = len ? snprintf(buf, size, "%.*s/%s", (int)len, p, program)
                    : snprintf(buf, size, "./%s", program);
        if (n > 0 && (size_t)n < size && executable(buf))
            return TS_OK;
        if (!end)
            break;
        p = end + 1;
    }
    return ts_error_set(err, TS_ENOENT, NULL, 0, "%s is not on PATH", program);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Keeps the last bytes of the program's stderr. */
typedef struct tail {
    char buf[1024];
    size_t n;
} tail;

static int drain(int fd, tail *t)
{
    char chunk[512];
    ssize_t got = read(fd, chunk, sizeof chunk);
    if (got <= 0)
        return got == 0 || (errno != EINTR && errno != EAGAIN) ? -1 : 0;
    for (ssize_t i = 0; i < got; i++) {
        if (t->n == sizeof t->buf) {
            memmove(t->buf, t->buf + sizeof t->buf / 2, sizeof t->buf / 2);
            t->n = sizeof t->buf / 2;
        }
        t->buf[t->n++] = chunk[i];
    }
    return 1;
}

/* The last non-empty line of what the program said. */
static const char *last_line(tail *t)
{
    while (t->n > 0 && (t->buf[t->n - 1] == '\n' || t->buf[t->n - 1] == ' '))
        t->n--;
    t->buf[t->n < sizeof t->buf ? t->n : sizeof t->buf - 1] = '\0';
    char *nl = strrchr(t->buf, '\n');
    const char *line = nl ? nl + 1 : t->buf;
    return line;
}

int ts__run_program(char *const argv[], const char *cwd, double timeout_s, ts_error *err)
{
    int pipefd[2];
    if (pipe(pipefd) != 0)
        return ts_error_set(err, TS_EIO, NULL, 0, "cannot run %s: pipe: %s", argv[0],
                            strerror(errno));
    fcntl(pipefd[0], F_SETFD, FD_CLOEXEC);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        return ts_error_set(err, TS_EIO, NULL, 0, "cannot run %s: fork: %s", argv[0],
                            strerror(e));
    }
    if (pid == 0) {
        /* The child: only async-signal-safe calls until exec. Its own
         * process group, so a timeout kills whatever it started too. */
        setpgid(0, 0);
        int null = open("/dev/null", O_RDWR);
        if (null < 0 || chdir(cwd) != 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
            dup2(pipefd[1], 2) < 0)
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    close(pipefd[1]);
    fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
    tail said = {{0}, 0};
    int status = 0, open_fd = 1, timed_out = 0;
    double deadline = now_s() + timeout_s;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            status = -1;
            break;
        }
        if (now_s() > deadline) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            timed_out = 1;
            break;
        }
        if (open_fd) {
            struct pollfd pfd = {pipefd[0], POLLIN, 0};
            if (poll(&pfd, 1, 20) > 0 && drain(pipefd[0], &said) < 0)
                open_fd = 0;
        } else {
            struct timespec nap = {0, 20 * 1000 * 1000};
            nanosleep(&nap, NULL);
        }
    }
    while (open_fd && drain(pipefd[0], &said) > 0)
        ;
    close(pipefd[0]);
    if (timed_out)
        return ts_error_set(err, TS_EIO, NULL, 0, "%s ran longer than %g s and was stopped",
                            argv[0], timeout_s);
    if (status == -1 || !WIFEXITED(status)) {
        if (status != -1 && WIFSIGNALED(status))
            return ts_error_set(err, TS_EIO, NULL, 0, "%s was killed by signal %d",
                                argv[0], WTERMSIG(status));
        return ts_error_set(err, TS_EIO, NULL, 0, "%s did not exit normally", argv[0]);
    }
    int code = WEXITSTATUS(status);
    if (code == 127 || code == 126)
        return ts_error_set(err, TS_EIO, NULL, 0, "cannot start %s (exit %d)%s%s", argv[0],
                            code, said.n ? ": " : "", said.n ? last_line(&said) : "");
    if (code != 0)
        return ts_error_set(err, TS_EIO, NULL, 0, "%s failed with exit %d%s%s", argv[0], code,
                            said.n ? ": " : "", said.n ? last_line(&said) : "");
    return TS_OK;
}
