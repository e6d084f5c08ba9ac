/*
 * The compute model of this slice: each node has a number of identical
 * cores; each periodic task releases a job every period; a free core takes
 * the waiting job of the highest-priority task (ties: the task added first,
 * so runs are reproducible) and runs it to completion (no preemption yet).
 * A task's jobs run one at a time, in release order, as one thread would.
 */
#include "toposim/platform.h"

#include <stdlib.h>
#include <string.h>

#include "toposim/alloc.h"

typedef struct task_state {
    ts_task_desc d;
    gsl_rng *rng;
    uint64_t released;        /* jobs released so far = next job's seq */
    uint64_t started;         /* jobs started so far */
    ts_time *pending;         /* ring of release times not yet started */
    size_t pend_cap, pend_head, pend_count;
    int running;
    ts_time run_release, run_start;
    uint64_t run_seq;
} task_state;

typedef struct node_state {
    int cores, free_cores;
    int dispatch_queued;      /* a dispatch event is pending at `now` */
    size_t first, count;      /* slice of c->order */
} node_state;

struct ts_compute {
    ts_engine *engine;
    node_state *nodes;
    size_t n_nodes;
    task_state *tasks;
    size_t n_tasks, cap_tasks;
    int *order;               /* task ids by node, then priority */
    ts_job_done_fn done;
    void *ctx;
};

int ts_compute_new(ts_engine *engine, const int *cores, size_t n_nodes,
                   ts_job_done_fn done, void *ctx, ts_compute **out,
                   ts_error *err)
{
    *out = NULL;
    ts_compute *c = ts_calloc(1, sizeof *c);
    if (!c || !(c->nodes = ts_calloc(n_nodes ? n_nodes : 1, sizeof *c->nodes))) {
        ts_free(c);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for compute");
    }
    c->engine = engine;
    c->n_nodes = n_nodes;
    c->done = done;
    c->ctx = ctx;
    for (size_t i = 0; i < n_nodes; i++)
        c->nodes[i].cores = c->nodes[i].free_cores = cores[i];
    *out = c;
    return TS_OK;
}

void ts_compute_free(ts_compute *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_tasks; i++)
        ts_free(c->tasks[i].pending);
    ts_free(c->tasks);
    ts_free(c->order);
    ts_free(c->nodes);
    ts_free(c);
}

int ts_compute_add_task(ts_compute *c, const ts_task_desc *task, gsl_rng *rng,
                        ts_error *err)
{
    if (task->node < 0 || (size_t)task->node >= c->n_nodes)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "task node %d out of range",
                            task->node);
    if (c->nodes[task->node].cores < 1)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "node %d has no cores to run a task", task->node);
    if (task->period <= 0 || task->exec_min <= 0 ||
        task->exec_max < task->exec_min || task->offset < 0 || task->deadline <= 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "task timing must have period > 0, 0 < exec_min <= "
                            "exec_max, offset >= 0 and deadline > 0");
    if (c->n_tasks == c->cap_tasks) {
        size_t cap = c->cap_tasks ? 2 * c->cap_tasks : 16;
        task_state *t = ts_realloc(c->tasks, cap * sizeof *t);
        if (!t)
            return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for tasks");
        c->tasks = t;
        c->cap_tasks = cap;
    }
    task_state *t = &c->tasks[c->n_tasks];
    memset(t, 0, sizeof *t);
    t->d = *task;
    t->rng = rng;
    return (int)c->n_tasks++;
}

/* Sort key for a node's dispatch order; qsort has no context argument, so
 * the key carries what it compares. */
typedef struct order_key {
    int node, priority, id;
} order_key;

static int by_node_priority(const void *x, const void *y)
{
    const order_key *a = x, *b = y;
    if (a->node != b->node)
        return a->node < b->node ? -1 : 1;
    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

static void on_release(ts_engine *engine, void *ctx, uint64_t arg);
static void on_finish(ts_engine *engine, void *ctx, uint64_t arg);

static ts_time draw_exec(task_state *t)
{
    ts_time span = t->d.exec_max - t->d.exec_min;
    if (span == 0 || !t->rng)
        return t->d.exec_max;
    if (span < (ts_time)UINT32_MAX)
        return t->d.exec_min + (ts_time)gsl_rng_uniform_int(t->rng, (unsigned long)span + 1);
    return t->d.exec_min + (ts_time)(gsl_rng_uniform(t->rng) * (double)span);
}

static void dispatch(ts_compute *c, int node)
{
    node_state *n = &c->nodes[node];
    ts_time now = ts_engine_now(c->engine);
    /* Scans only this node's tasks, highest priority first. */
    for (size_t k = 0; k < n->count && n->free_cores > 0; k++) {
        int id = c->order[n->first + k];
        task_state *t = &c->tasks[id];
        if (t->running || t->pend_count == 0)
            continue;
        t->run_release = t->pending[t->pend_head];
        t->pend_head = (t->pend_head + 1) % t->pend_cap;
        t->pend_count--;
        t->running = 1;
        t->run_start = now;
        t->run_seq = t->started++;
        n->free_cores--;
        if (ts_engine_schedule(c->engine, now + draw_exec(t), on_finish, c,
                               (uint64_t)id, NULL) != TS_OK) {
            /* Out of event memory: the job never finishes and is reported
             * unfinished at the end rather than lost silently. */
            continue;
        }
    }
}

static void on_dispatch(ts_engine *engine, void *ctx, uint64_t arg)
{
    ts_compute *c = ctx;
    (void)engine;
    c->nodes[arg].dispatch_queued = 0;
    dispatch(c, (int)arg);
}

/* Core assignment waits for an event queued behind everything already due
 * at this instant, so jobs released (or cores freed) at the same time are
 * all seen together and the highest priority wins, whatever the order of
 * their events. */
static void request_dispatch(ts_compute *c, int node)
{
    node_state *n = &c->nodes[node];
    if (n->dispatch_queued)
        return;
    if (ts_engine_schedule(c->engine, ts_engine_now(c->engine), on_dispatch, c,
                           (uint64_t)node, NULL) == TS_OK)
        n->dispatch_queued = 1;
    else
        dispatch(c, node);
}

static int push_release(task_state *t, ts_time release)
{
    if (t->pend_count == t->pend_cap) {
        size_t cap = t->pend_cap ? 2 * t->pend_cap : 8;
        ts_time *r = ts_malloc(cap * sizeof *r);
        if (!r)
            return TS_ENOMEM;
        for (size_t i = 0; i < t->pend_count; i++)
            r[i] = t->pending[(t->pend_head + i) % t->pend_cap];
        ts_free(t->pending);
        t->pending = r;
        t->pend_cap = cap;
        t->pend_head = 0;
    }
    t->pending[(t->pend_head + t->pend_count) % t->pend_cap] = release;
    t->pend_count++;
    return TS_OK;
}

static void on_release(ts_engine *engine, void *ctx, uint64_t arg)
{
    ts_compute *c = ctx;
    task_state *t = &c->tasks[arg];
    ts_time now = ts_engine_now(engine);
    if (push_release(t, now) == TS_OK)
        t->released++;
    ts_engine_schedule(engine, now + t->d.period, on_release, c, arg, NULL);
    request_dispatch(c, t->d.node);
}

static void on_finish(ts_engine *engine, void *ctx, uint64_t arg)
{
    ts_compute *c = ctx;
    task_state *t = &c->tasks[arg];
    ts_job_record job = {
        .task = (int)arg,
        .node = t->d.node,
        .seq = t->run_seq,
        .release = t->run_release,
        .start = t->run_start,
        .finish = ts_engine_now(engine),
        .deadline = t->run_release + t->d.deadline,
    };
    t->running = 0;
    c->nodes[t->d.node].free_cores++;
    c->done(c->ctx, &job);
    request_dispatch(c, t->d.node);
}

int ts_compute_start(ts_compute *c)
{
    ts_free(c->order);
    c->order = ts_malloc((c->n_tasks ? c->n_tasks : 1) * sizeof *c->order);
    if (!c->order)
        return TS_ENOMEM;
    order_key *keys = ts_malloc((c->n_tasks ? c->n_tasks : 1) * sizeof *keys);
    if (!keys)
        return TS_ENOMEM;
    for (size_t i = 0; i < c->n_tasks; i++)
        keys[i] = (order_key){c->tasks[i].d.node, c->tasks[i].d.priority, (int)i};
    qsort(keys, c->n_tasks, sizeof *keys, by_node_priority);
    for (size_t i = 0; i < c->n_tasks; i++)
        c->order[i] = keys[i].id;
    ts_free(keys);
    for (size_t i = 0; i < c->n_nodes; i++)
        c->nodes[i].count = 0;
    for (size_t k = 0; k < c->n_tasks; k++) {
        node_state *n = &c->nodes[c->tasks[c->order[k]].d.node];
        if (n->count == 0)
            n->first = k;
        n->count++;
    }
    for (size_t i = 0; i < c->n_tasks; i++) {
        int rc = ts_engine_schedule(c->engine,
                                    ts_engine_now(c->engine) + c->tasks[i].d.offset,
                                    on_release, c, (uint64_t)i, NULL);
        if (rc != TS_OK)
            return rc;
    }
    return TS_OK;
}

void ts_compute_flush_unfinished(ts_compute *c)
{
    for (size_t i = 0; i < c->n_tasks; i++) {
        task_state *t = &c->tasks[i];
        uint64_t seq = t->started;
        if (t->running) {
            ts_job_record job = {(int)i, t->d.node, t->run_seq, t->run_release,
                                 t->run_start, -1, t->run_release + t->d.deadline};
            c->done(c->ctx, &job);
        }
        for (size_t k = 0; k < t->pend_count; k++) {
            ts_time rel = t->pending[(t->pend_head + k) % t->pend_cap];
            ts_job_record job = {(int)i, t->d.node, seq++, rel, -1, -1,
                                 rel + t->d.deadline};
            c->done(c->ctx, &job);
        }
        t->running = 0;
        t->pend_count = 0;
    }
}
