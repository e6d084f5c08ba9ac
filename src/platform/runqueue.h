/*
 * The compute model's run queues (internal to src/platform): every node's
 * ready tasks, those with a current job waiting for a core, ordered by the
 * rank the dispatcher uses, so the best ready task is found without
 * looking at the others.
 *
 * A node's tasks are grouped at build time into classes of equal allowed
 * cores (affinity after reserved cores). Within a class, fixed-priority
 * (FIFO) tasks sit in one heap per priority level, ordered by (release,
 * task id), under a bitmap of non-empty levels, so the best level is a
 * count-leading-zeros away; fair tasks sit in one heap ordered by (virtual
 * runtime, task id). A class's head is its best ready task: its best FIFO
 * task if any, else its best fair task. Each node keeps its non-empty
 * classes in a heap by head rank, and its classes with ready fair tasks in
 * a heap by smallest virtual runtime. Per operation the cost is a few
 * heap steps: logarithmic in the tasks of one level or class and in the
 * node's classes, never a scan of the node's tasks (a search for the best
 * task that may use some cores also sets aside, once each, the classes it
 * passes over). Everything is allocated at build time.
 *
 * The keys (release, virtual runtime) are copied in at push and must not
 * change while a task is queued; the dispatcher guarantees that (a waiting
 * task's job and virtual runtime change only once it runs again).
 */
#ifndef TOPOSIM_PLATFORM_RUNQUEUE_H
#define TOPOSIM_PLATFORM_RUNQUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "toposim/sim.h"

/* What the run queues need to know of a task, fixed at build time. */
typedef struct ts__rq_task {
    int node;
    int fair;                 /* 0: FIFO class, 1: fair class */
    int priority;             /* FIFO: larger first */
    uint64_t mask;            /* allowed cores among 0..63 */
    int any_high;             /* allowed on every core >= 64 */
} ts__rq_task;

typedef struct ts__runq ts__runq;

/* Run queues for n_nodes nodes of node_cores[i] cores and n_tasks tasks
 * (ids 0..n_tasks-1, each on tasks[id].node), all empty. Caller frees with
 * ts__runq_free. TS_OK or TS_ENOMEM. */
int ts__runq_new(size_t n_nodes, const int *node_cores, size_t n_tasks,
                 const ts__rq_task *tasks, ts__runq **out);
void ts__runq_free(ts__runq *rq);

/* Number of 64-bit words in a core bitmap of this node. */
size_t ts__runq_words(const ts__runq *rq, int node);

/* The task's allowed cores as a bitmap of ts__runq_words words. */
const uint64_t *ts__runq_allowed(const ts__runq *rq, int task);

/* Queues a ready task (not queued) with its current job's release and its
 * virtual runtime (fair tasks). */
void ts__runq_push(ts__runq *rq, int task, ts_time release, double vr);

/* Takes a task out of its node's queue; nothing if it is not queued. */
void ts__runq_remove(ts__runq *rq, int task);

/* 1 if the task is queued. */
int ts__runq_queued(const ts__runq *rq, int task);

/* Ready tasks of a node, all and fair ones. */
int ts__runq_count(const ts__runq *rq, int node);
int ts__runq_fair_count(const ts__runq *rq, int node);

/* Smallest virtual runtime among the node's ready fair tasks; INFINITY
 * when none. */
double ts__runq_min_fair_vr(const ts__runq *rq, int node);

/* The best-ranked ready task of the node, or -1 when none is queued. */
int ts__runq_top(const ts__runq *rq, int node);

/* The best-ranked ready task of the node that may run on a core of
 * `free_cores` (a bitmap of ts__runq_words words), or -1. Classes whose
 * cores are all outside free_cores are parked on the way (their tasks
 * cannot run on any of those cores, and the caller only ever shrinks
 * free_cores) until ts__runq_unpark; the caller must unpark before it
 * pushes again. */
int ts__runq_best(ts__runq *rq, int node, const uint64_t *free_cores);

/* Returns the node's parked classes to its queue. */
void ts__runq_unpark(ts__runq *rq, int node);

#endif
