/*
 * Dispatching work items to workers: the loop that hands out the runs of
 * `toposim batch` and `toposim sweep`. A dispatcher runs every item once,
 * at most `jobs` at a time, calls `work` for an item where the item runs
 * (a worker process), and `done` in the calling process as each item
 * ends, in the order they end. The local dispatcher (dispatch_local.c)
 * forks a child per item; another transport (for instance MPI ranks,
 * in a file of its own) implements the same struct and is chosen by the
 * commands through cli_dispatcher_default().
 *
 * What a command relies on, whatever the transport: `work` runs where the
 * item runs and leaves its result only in files under the command's
 * output folder (so a worker elsewhere needs that folder shared); `done`
 * reads them back and may print. A transport whose every process runs
 * the command (MPI: every rank) should call `done` on each of them for
 * every item, in one order (the order the dispatching process saw), so
 * that their state stays the same for the next dispatch (a --find-max
 * search decides its next value from it), and let only one of them print
 * and write the summary files.
 */
#ifndef TOPOSIM_CLI_DISPATCH_H
#define TOPOSIM_CLI_DISPATCH_H

#include <stddef.h>
#include <sys/types.h>

/* How one item ended. */
typedef enum cli_item_end {
    CLI_ITEM_EXITED,     /* work returned or exited: code is its exit code */
    CLI_ITEM_SIGNALED,   /* ended by signal `code` (a crash) */
    CLI_ITEM_TIMED_OUT,  /* stopped past the time limit */
    CLI_ITEM_NOT_STARTED /* no worker could be started: code is an errno */
} cli_item_end;

typedef struct cli_item_status {
    cli_item_end end;
    int code;
    double wall_s;       /* from start to end */
} cli_item_status;

typedef struct cli_dispatch_ops {
    void *ctx;
    /* Runs item i in its worker and returns the worker's exit code (the
     * local dispatcher _exits with it). stdout and stderr are the
     * worker's own; the callee redirects them if it wants a log. */
    int (*work)(void *ctx, size_t i);
    /* Item i ended (called in the dispatching process). */
    void (*done)(void *ctx, size_t i, const cli_item_status *st);
    /* Optional: a progress line may be drawn; called at most every
     * 20 ms and after each item, with the items finished and running. */
    void (*progress)(void *ctx, size_t done, size_t running, double elapsed_s);
} cli_dispatch_ops;

typedef struct cli_dispatch_config {
    size_t jobs;         /* items at a time, >= 1 */
    double timeout_s;    /* wall limit of one item, <= 0: none */
} cli_dispatch_config;

typedef struct cli_dispatcher {
    const char *name;
    /* Runs items [0, n). Returns 0, or the signal (SIGINT, SIGTERM) that
     * stopped the dispatch; the items running then are stopped too and
     * `done` is not called for them. */
    int (*run)(const cli_dispatch_config *cfg, const cli_dispatch_ops *ops, size_t n);
} cli_dispatcher;

/* Forks a process per item (the library's process-wide state is fresh in
 * each, and a crash takes only its item down). Past the time limit an
 * item gets SIGTERM, then SIGKILL 5 s later. */
extern const cli_dispatcher cli_dispatch_local;

/* The dispatcher this build uses: the local one, or in a build with
 * MPI (`make MPI=1`) started by an MPI launcher, the ranks
 * (dispatch_mpi.c). */
const cli_dispatcher *cli_dispatcher_default(void);

/* 1 in the process that calls `done` and writes summaries (always, except
 * in MPI ranks other than 0, which only run items and must stay quiet). */
int cli_dispatch_is_leader(void);

/* Processes the items are spread over by MPI (1 without it). */
int cli_dispatch_ranks(void);

/* In a forked worker process: runs item i with SIGINT and SIGTERM at
 * their defaults and _exits with work's code (never returning, never
 * running the parent's exit handlers). Shared by the transports. */
void cli_dispatch_child(const cli_dispatch_ops *ops, size_t i);

/* How a reaped worker process ended, from waitpid's status. */
cli_item_status cli_dispatch_status(int wait_status, int timed_out, double wall_s);

/* Seconds on CLOCK_MONOTONIC. */
double cli_now_s(void);

/* Creates a folder and its missing parents; 0 or -1 with errno. */
int cli_make_dir(const char *dir);

#endif
