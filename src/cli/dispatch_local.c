/* The local dispatcher: a process per item, at most `jobs` at a time,
 * polled with waitpid. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/dispatch.h"
#include "util/atomic_file.h"

/* Grace between SIGTERM and SIGKILL for an item past its limit. */
#define DISPATCH_KILL_GRACE_S 5.0

typedef struct slot {
    size_t item;
    pid_t pid;
    double started, term_sent;
    int timed_out;
} slot;

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig) { stop_signal = sig; }

double cli_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cli_make_dir(const char *dir)
{
    char path[TS__PATH_MAX];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = path + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(path, 0777) != 0 && errno != EEXIST)
                return -1;
            *p = c;
            if (c == '\0')
                break;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

void cli_dispatch_child(const cli_dispatch_ops *ops, size_t i)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    int rc = ops->work(ops->ctx, i);
    fflush(NULL);
    _exit(rc);
}

cli_item_status cli_dispatch_status(int wait_status, int timed_out, double wall_s)
{
    cli_item_status st = {CLI_ITEM_EXITED, 0, wall_s};
    if (timed_out) {
        st.end = CLI_ITEM_TIMED_OUT;
    } else if (WIFSIGNALED(wait_status)) {
        st.end = CLI_ITEM_SIGNALED;
        st.code = WTERMSIG(wait_status);
    } else {
        st.code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
    }
    return st;
}

static int local_run(const cli_dispatch_config *cfg, const cli_dispatch_ops *ops, size_t n)
{
    size_t jobs = cfg->jobs ? cfg->jobs : 1;
    slot *slots = calloc(jobs, sizeof *slots);
    if (!slots)
        return -1;
    size_t next = 0, running = 0, done = 0;
    double t0 = cli_now_s(), last_progress = -1;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int result = 0;

    while (done < n) {
        if (stop_signal) {
            for (size_t k = 0; k < jobs; k++)
                if (slots[k].pid > 0)
                    kill(slots[k].pid, SIGTERM);
            while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
                ;
            result = stop_signal;
            break;
        }
        while (running < jobs && next < n) {
            size_t k = 0;
            while (slots[k].pid > 0)
                k++;
            size_t i = next++;
            fflush(NULL);   /* the child must not write the parent's buffers again */
            pid_t pid = fork();
            if (pid == 0)
                cli_dispatch_child(ops, i);
            if (pid < 0) {
                cli_item_status st = {CLI_ITEM_NOT_STARTED, errno, 0};
                done++;
                ops->done(ops->ctx, i, &st);
                continue;
            }
            slots[k] = (slot){.item = i, .pid = pid, .started = cli_now_s()};
            running++;
        }
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        double now = cli_now_s();
        if (pid > 0) {
            for (size_t k = 0; k < jobs; k++) {
                if (slots[k].pid != pid)
                    continue;
                cli_item_status st =
                    cli_dispatch_status(status, slots[k].timed_out, now - slots[k].started);
                slots[k].pid = 0;
                running--;
                done++;
                ops->done(ops->ctx, slots[k].item, &st);
                break;
            }
            if (ops->progress) {
                ops->progress(ops->ctx, done, running, now - t0);
                last_progress = now;
            }
            continue;
        }
        for (size_t k = 0; cfg->timeout_s > 0 && k < jobs; k++) {
            slot *s = &slots[k];
            if (s->pid <= 0)
                continue;
            if (!s->timed_out && now - s->started > cfg->timeout_s) {
                s->timed_out = 1;
                s->term_sent = now;
                kill(s->pid, SIGTERM);
            } else if (s->timed_out && now - s->term_sent > DISPATCH_KILL_GRACE_S) {
                kill(s->pid, SIGKILL);
            }
        }
        if (ops->progress && now - last_progress >= 0.2) {
            ops->progress(ops->ctx, done, running, now - t0);
            last_progress = now;
        }
        /* Polling every 20 ms is negligible beside runs of a tenth of a
         * second and more, and keeps the time limits without a timer per
         * child. */
        struct timespec nap = {0, 20 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    free(slots);
    return result;
}

const cli_dispatcher cli_dispatch_local = {"local processes", local_run};

#ifndef TOPOSIM_MPI
const cli_dispatcher *cli_dispatcher_default(void) { return &cli_dispatch_local; }
int cli_dispatch_is_leader(void) { return 1; }
int cli_dispatch_ranks(void) { return 1; }
#endif
