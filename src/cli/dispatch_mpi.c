/*
 * The MPI dispatcher (built with `make MPI=1`): the items of a batch or a
 * sweep are spread over the ranks of `mpirun`/`srun` with dynamic load
 * balancing. Rank 0 hands out one item at a time to whichever rank asks
 * (the next item goes to the first rank that finishes, so a slow variant
 * holds up no one) and runs items itself between messages. Every rank runs
 * one item at a time, in a forked process as the local dispatcher does (a
 * crash takes only that item down); start as many ranks as cores.
 *
 * Every rank runs the whole command (SPMD), so every rank must end a
 * dispatch knowing what rank 0 knows: rank 0 calls `done` as items end;
 * when all have ended it broadcasts how each ended and in which order, and
 * the other ranks call `done` for each item in that order. A command that decides its next
 * dispatch from the results (a bisection) then decides the same on every
 * rank. Only rank 0 prints and writes summaries (cli_dispatch_is_leader).
 *
 * Items write their traces and results themselves, so the output folder
 * must be one that every rank sees (a shared file system on a cluster);
 * `done` reads them back there.
 *
 * Outside an MPI launcher (no launcher variables in the environment) the
 * local dispatcher is used, so an MPI build runs as a plain one.
 */
#ifdef TOPOSIM_MPI
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <mpi.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/dispatch.h"

#define TAG_RESULT 1     /* worker -> 0: item, end, code, wall (us); item -1: ready */
#define TAG_WORK 2       /* 0 -> worker: the item to run */
#define TAG_STOP 3       /* 0 -> worker: nothing left */
#define KILL_GRACE_S 5.0

static int mpi_started;   /* MPI_Init called by this process */
static int world_rank, world_size = 1;

static void finalize_at_exit(void)
{
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized)
        MPI_Finalize();
}

/* Open MPI, MPICH/Hydra and Slurm's PMI set these in every rank. */
static int under_launcher(void)
{
    static const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

static void start_mpi(void)
{
    static int tried;
    if (tried)
        return;
    tried = 1;
    if (!under_launcher())
        return;
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS)
        return;
    mpi_started = 1;
    atexit(finalize_at_exit);
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
}

/* ---- one item in a worker rank, through the local dispatcher ---- */

typedef struct one_item {
    const cli_dispatch_ops *ops;
    size_t item;
    cli_item_status st;
} one_item;

static int one_work(void *ctx, size_t i)
{
    (void)i;
    one_item *o = ctx;
    return o->ops->work(o->ops->ctx, o->item);
}

static void one_done(void *ctx, size_t i, const cli_item_status *st)
{
    (void)i;
    ((one_item *)ctx)->st = *st;
}

static void pack(int64_t msg[4], size_t item, const cli_item_status *st)
{
    msg[0] = (int64_t)item;
    msg[1] = st->end;
    msg[2] = st->code;
    msg[3] = (int64_t)(st->wall_s * 1e6);
}

/* How every item ended, from rank 0 to the others: end, code and wall
 * time (us) per item, then the items in the order rank 0 saw them end. */
#define SHARED_PER_ITEM 4

static int share_statuses(int64_t *table, size_t n)
{
    if (n > (size_t)INT_MAX / SHARED_PER_ITEM)
        return -1;
    return MPI_Bcast(table, (int)(SHARED_PER_ITEM * n), MPI_INT64_T, 0, MPI_COMM_WORLD) ==
                   MPI_SUCCESS
               ? 0
               : -1;
}

static int worker_run(const cli_dispatch_config *cfg, const cli_dispatch_ops *ops, size_t n)
{
    int64_t msg[4] = {-1, 0, 0, 0};
    MPI_Send(msg, 4, MPI_INT64_T, 0, TAG_RESULT, MPI_COMM_WORLD);
    for (;;) {
        int64_t item;
        MPI_Status s;
        MPI_Recv(&item, 1, MPI_INT64_T, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &s);
        if (s.MPI_TAG == TAG_STOP)
            break;
        one_item o = {ops, (size_t)item, {CLI_ITEM_NOT_STARTED, ENOMEM, 0}};
        cli_dispatch_config one_cfg = {1, cfg->timeout_s};
        cli_dispatch_ops one_ops = {&o, one_work, one_done, NULL};
        int sig = cli_dispatch_local.run(&one_cfg, &one_ops, 1);
        if (sig > 0)
            return sig;   /* interrupted: the launcher stops every rank */
        pack(msg, o.item, &o.st);
        MPI_Send(msg, 4, MPI_INT64_T, 0, TAG_RESULT, MPI_COMM_WORLD);
    }
    int64_t *table = calloc(SHARED_PER_ITEM * n + 1, sizeof *table);
    if (!table || share_statuses(table, n) != 0) {
        free(table);
        MPI_Abort(MPI_COMM_WORLD, 2);   /* this rank could not follow rank 0 */
        return -1;
    }
    const int64_t *order = table + 3 * n;
    for (size_t k = 0; k < n; k++) {
        size_t i = order[k] >= 0 && (size_t)order[k] < n ? (size_t)order[k] : k;
        cli_item_status st = {(cli_item_end)table[3 * i], (int)table[3 * i + 1],
                              (double)table[3 * i + 2] * 1e-6};
        ops->done(ops->ctx, i, &st);
    }
    free(table);
    return 0;
}

/* ---- rank 0: hands out items and runs its own between messages ---- */

static volatile sig_atomic_t stop_signal;
static void on_stop_signal(int sig) { stop_signal = sig; }

typedef struct own_slot {
    pid_t pid;
    size_t item;
    double started, term_sent;
    int timed_out;
} own_slot;

static void own_start(own_slot *s, const cli_dispatch_ops *ops, size_t i, size_t *done)
{
    fflush(NULL);   /* the child must not write the parent's buffers again */
    pid_t pid = fork();
    if (pid == 0)
        cli_dispatch_child(ops, i);   /* _exit: never MPI_Finalize in the child */
    if (pid < 0) {
        cli_item_status st = {CLI_ITEM_NOT_STARTED, errno, 0};
        (*done)++;
        ops->done(ops->ctx, i, &st);
        return;
    }
    *s = (own_slot){.pid = pid, .item = i, .started = cli_now_s()};
}

/* Returns 1 when the own item ended (and `done` was called). */
static int own_poll(own_slot *s, const cli_dispatch_config *cfg, const cli_dispatch_ops *ops)
{
    if (s->pid <= 0)
        return 0;
    int status;
    double now = cli_now_s();
    pid_t pid = waitpid(s->pid, &status, WNOHANG);
    if (pid == s->pid) {
        cli_item_status st = cli_dispatch_status(status, s->timed_out, now - s->started);
        s->pid = 0;
        ops->done(ops->ctx, s->item, &st);
        return 1;
    }
    if (cfg->timeout_s > 0 && !s->timed_out && now - s->started > cfg->timeout_s) {
        s->timed_out = 1;
        s->term_sent = now;
        kill(s->pid, SIGTERM);
    } else if (s->timed_out && now - s->term_sent > KILL_GRACE_S) {
        kill(s->pid, SIGKILL);
    }
    return 0;
}

/* Rank 0's `done`: records how the item ended for the broadcast. */
typedef struct recording {
    const cli_dispatch_ops *ops;
    int64_t *table;
    size_t n, ended;
} recording;

static void record_done(void *ctx, size_t i, const cli_item_status *st)
{
    recording *r = ctx;
    r->table[3 * r->n + r->ended++] = (int64_t)i;
    r->table[3 * i] = st->end;
    r->table[3 * i + 1] = st->code;
    r->table[3 * i + 2] = (int64_t)(st->wall_s * 1e6);
    r->ops->done(r->ops->ctx, i, st);
}

static int work_through(void *ctx, size_t i)
{
    const recording *r = ctx;
    return r->ops->work(r->ops->ctx, i);
}

static void progress_through(void *ctx, size_t done, size_t running, double elapsed_s)
{
    const recording *r = ctx;
    r->ops->progress(r->ops->ctx, done, running, elapsed_s);
}

static int leader_dispatch(const cli_dispatch_config *cfg, const cli_dispatch_ops *ops, size_t n);

static int leader_run(const cli_dispatch_config *cfg, const cli_dispatch_ops *user, size_t n)
{
    recording r = {user, calloc(SHARED_PER_ITEM * n + 1, sizeof(int64_t)), n, 0};
    if (!r.table) {
        MPI_Abort(MPI_COMM_WORLD, 2);
        return -1;
    }
    cli_dispatch_ops ops = {&r, work_through, record_done,
                            user->progress ? progress_through : NULL};
    int sig = leader_dispatch(cfg, &ops, n);
    if (sig == 0 && share_statuses(r.table, n) != 0) {
        free(r.table);
        MPI_Abort(MPI_COMM_WORLD, 2);
        return -1;
    }
    free(r.table);
    return sig;
}

static int leader_dispatch(const cli_dispatch_config *cfg, const cli_dispatch_ops *ops, size_t n)
{
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    own_slot own = {0};
    size_t next = 0, done = 0, remote_running = 0;
    int stopped = 0, workers = world_size - 1, result = 0;
    double t0 = cli_now_s(), last_progress = -1;
    while (done < n) {
        if (stop_signal) {
            if (own.pid > 0) {
                kill(own.pid, SIGTERM);
                waitpid(own.pid, NULL, 0);
            }
            result = stop_signal;
            break;
        }
        if (own.pid <= 0 && next < n) {
            own_start(&own, ops, next++, &done);
            continue;
        }
        int flag = 0;
        MPI_Status s;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &flag, &s);
        int progressed = 0;
        if (flag) {
            int64_t msg[4];
            MPI_Recv(msg, 4, MPI_INT64_T, s.MPI_SOURCE, TAG_RESULT, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
            if (msg[0] >= 0) {
                cli_item_status st = {(cli_item_end)msg[1], (int)msg[2], (double)msg[3] * 1e-6};
                remote_running--;
                done++;
                ops->done(ops->ctx, (size_t)msg[0], &st);
            }
            if (next < n) {
                int64_t item = (int64_t)next++;
                MPI_Send(&item, 1, MPI_INT64_T, s.MPI_SOURCE, TAG_WORK, MPI_COMM_WORLD);
                remote_running++;
            } else {
                MPI_Send(NULL, 0, MPI_INT64_T, s.MPI_SOURCE, TAG_STOP, MPI_COMM_WORLD);
                stopped++;
            }
            progressed = 1;
        }
        if (own_poll(&own, cfg, ops)) {
            done++;
            progressed = 1;
        }
        double now = cli_now_s();
        if (ops->progress && (progressed || now - last_progress >= 0.2)) {
            ops->progress(ops->ctx, done, remote_running + (own.pid > 0), now - t0);
            last_progress = now;
        }
        if (!progressed) {
            /* A 2 ms poll is negligible beside runs of a tenth of a second
             * and keeps both the children and the ranks answered. */
            struct timespec nap = {0, 2 * 1000 * 1000};
            nanosleep(&nap, NULL);
        }
    }
    /* Ranks still asking get told there is nothing left. */
    while (result == 0 && stopped < workers) {
        int64_t msg[4];
        MPI_Status s;
        MPI_Recv(msg, 4, MPI_INT64_T, MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &s);
        MPI_Send(NULL, 0, MPI_INT64_T, s.MPI_SOURCE, TAG_STOP, MPI_COMM_WORLD);
        stopped++;
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return result;
}

static int mpi_run(const cli_dispatch_config *cfg, const cli_dispatch_ops *ops, size_t n)
{
    return world_rank == 0 ? leader_run(cfg, ops, n) : worker_run(cfg, ops, n);
}

static const cli_dispatcher cli_dispatch_mpi = {"MPI ranks", mpi_run};

const cli_dispatcher *cli_dispatcher_default(void)
{
    start_mpi();
    /* Under a launcher even one rank runs one item at a time, so that
     * `mpirun -np 1` is the one-rank baseline of `-np N`. */
    return mpi_started ? &cli_dispatch_mpi : &cli_dispatch_local;
}

int cli_dispatch_is_leader(void)
{
    start_mpi();
    return world_rank == 0;
}

int cli_dispatch_ranks(void)
{
    start_mpi();
    return world_size;
}
#else
/* ISO C wants a translation unit to declare something. */
typedef int cli_dispatch_mpi_not_built;
#endif
