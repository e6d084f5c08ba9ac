/*
 * ROS 2 executors (see executor.h). The rules, and the rclcpp source each
 * follows (rclcpp Humble, src/rclcpp/executor.cpp and
 * include/rclcpp/strategies/allocator_memory_strategy.hpp; the model of
 * Casini, Blass, Lütkebohle and Brandenburg, "Response-Time Analysis of
 * ROS 2 Processing Chains Under Reservation-Based Scheduling", ECRTS 2019,
 * section 3, and of Blass et al., "A ROS 2 Response-Time Analysis
 * Exploiting Starvation Freedom and Execution-Time Variance", RTSS 2021):
 *
 * - A polling point is Executor::wait_for_work: rcl_wait fills the wait
 *   set with the handles ready at that instant (a timer that has expired,
 *   a subscription with at least one sample). Executor::get_next_executable
 *   calls wait_for_work only when get_next_ready_executable finds nothing
 *   left in the last wait set: the ready set is refreshed only when it is
 *   empty, so a callback that becomes ready while others of the same round
 *   run waits for the next polling point, whatever its class.
 * - Executor::get_next_ready_executable_from_map takes, from what is left
 *   of the wait set, a timer first (memory_strategy get_next_timer), then
 *   a subscription, then a service, a client, a waitable. Within a class
 *   the memory strategy walks its handles in the order they were collected
 *   (callback group by callback group, entities in the order they were
 *   created). Assumption: one component is one node with its default
 *   callback group, and the process's components= order is the order
 *   they were added to the executor, so that order ranks them within a
 *   class.
 * - A subscription in the wait set runs once per round and takes one
 *   sample (execute_subscription: one rcl_take); samples left wait for the
 *   next polling point. A timer in the wait set runs once: rcl_timer_call
 *   skips the periods it overran, so expiries while it waited count once.
 * - A node's default callback group is mutually exclusive: a component's
 *   callbacks never run in parallel. The multi-threaded executor's
 *   threads each take the next ready callback whose group is free
 *   (MultiThreadedExecutor::run), and a busy group's handles are left out
 *   of the wait set (Executor::wait_for_work collects only groups that can
 *   be taken from), so a polling point skips busy components.
 * - The events executor (rclcpp::experimental::executors::EventsExecutor)
 *   queues an event per sample received and per timer expiry, and runs
 *   them first in, first out on its one thread; an event whose sample a
 *   KEEP_LAST queue has since overwritten finds nothing to take and runs
 *   nothing.
 *
 * Each callback is a job of its component's compute task (period 0: the
 * executor releases its jobs), so it competes for cores at its
 * component's priority and policy as a thread of the process would. The
 * executor's own overhead (wait, take) is not modelled (an assumption:
 * it is small against the callbacks', e.g. Casini et al. measure tens of
 * microseconds). Scheduling decisions are deferred to one event per
 * process at the current instant, so jobs finishing and samples arriving
 * at one instant are seen in insertion order, the same on every run.
 */
#include "sim/executor.h"

#include <string.h>

#include "toposim/alloc.h"

/* A sample waiting in a subscription's queue. */
typedef struct waiting {
    uint64_t tag;
    ts_time at;               /* when it arrived */
} waiting;

typedef struct member {
    int component;
    int process;
    waiting *queue;           /* subscription: samples not taken, a ring */
    ts_time timer_at;         /* timer: when it became ready */
    uint32_t q_cap, q_head, q_count;
    unsigned char timer;      /* 1: a timer or arrival callback; 0: a
                                 subscription's */
    unsigned char timer_ready;
    unsigned char busy;       /* its callback runs (or waits for a core) */
} member;

typedef struct process_state {
    int kind;                 /* ts_executor_kind */
    int threads, running;
    uint32_t first, count;    /* its members in x->members, registration
                                 order */
    uint32_t snap_count;      /* the round's ready set, at x->snap[first] */
    uint32_t *fifo;           /* events executor: member indices, a ring */
    uint32_t fifo_cap, fifo_head, fifo_count;
    ts_event_handle dispatch_ev;
    unsigned char dispatch_queued;
} process_state;

struct ts__executors {
    ts__shared sh;
    ts_compute *compute;
    void (*drop)(void *ctx, int component, uint64_t tag, uint32_t keep_last);
    void *ctx;
    int32_t *member_of;       /* per component: its member, or -1 */
    member *members;
    size_t n_members;
    process_state *procs;
    size_t n_procs;
    uint32_t *snap;           /* each process's ready set, a slice each */
};

static void fail(ts__executors *x, const char *what)
{
    ts_error e;
    ts_error_set(&e, TS_ENOMEM, NULL, 0, "%s", what);
    ts__bus_fail(x->sh.bus, &e);
}

int ts__executors_new(const ts__shared *sh, ts_compute *compute,
                      void (*drop)(void *ctx, int component, uint64_t tag, uint32_t keep_last),
                      void *ctx, ts__executors **out, ts_error *err)
{
    const ts_scenario *s = sh->s;
    *out = NULL;
    if (s->n_processes == 0)
        return TS_OK;
    ts__executors *x = ts_calloc(1, sizeof *x);
    *out = x;
    if (!x)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for executors");
    x->sh = *sh;
    x->compute = compute;
    x->drop = drop;
    x->ctx = ctx;
    size_t n = 0;
    for (size_t p = 0; p < s->n_processes; p++)
        n += s->processes[p].n_components;
    x->member_of = ts_malloc((s->n_components ? s->n_components : 1) * sizeof *x->member_of);
    x->members = ts_calloc(n ? n : 1, sizeof *x->members);
    x->snap = ts_calloc(n ? n : 1, sizeof *x->snap);
    x->procs = ts_calloc(s->n_processes, sizeof *x->procs);
    if (!x->member_of || !x->members || !x->snap || !x->procs)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for executors");
    for (size_t c = 0; c < s->n_components; c++)
        x->member_of[c] = -1;
    for (size_t p = 0; p < s->n_processes; p++) {
        const ts_scenario_process *sp = &s->processes[p];
        process_state *ps = &x->procs[p];
        ps->kind = sp->executor;
        ps->threads = sp->executor == TS_EXECUTOR_MULTI_THREADED ? sp->threads : 1;
        ps->first = (uint32_t)x->n_members;
        ps->count = (uint32_t)sp->n_components;
        for (size_t k = 0; k < sp->n_components; k++) {
            int c = sp->components[k];
            member *m = &x->members[x->n_members];
            m->component = c;
            m->process = (int)p;
            m->timer = s->components[c].trigger < 0;
            x->member_of[c] = (int32_t)x->n_members++;
        }
    }
    x->n_procs = s->n_processes;
    return TS_OK;
}

void ts__executors_free(ts__executors *x)
{
    if (!x)
        return;
    for (size_t p = 0; p < x->n_procs; p++) {
        if (x->procs[p].dispatch_queued)
            ts_engine_cancel(x->sh.engine, x->procs[p].dispatch_ev);
        ts_free(x->procs[p].fifo);
    }
    for (size_t m = 0; m < x->n_members; m++)
        ts_free(x->members[m].queue);
    ts_free(x->member_of);
    ts_free(x->members);
    ts_free(x->snap);
    ts_free(x->procs);
    ts_free(x);
}

int ts__executors_owns(const ts__executors *x, int component)
{
    return x && x->member_of[component] >= 0;
}

static int ready(const member *m)
{
    return m->timer ? m->timer_ready : m->q_count > 0;
}

/* Grows a ring of n-byte entries (doubling), keeping its order. */
static int ring_grow(void **ring, uint32_t *cap, uint32_t *head, uint32_t count, size_t size)
{
    size_t ncap = *cap ? 2 * (size_t)*cap : 8;
    if (ncap > UINT32_MAX)
        return TS_ENOMEM;
    unsigned char *r = ts_malloc(ncap * size);
    if (!r)
        return TS_ENOMEM;
    for (uint32_t i = 0; i < count; i++)
        memcpy(r + i * size, (unsigned char *)*ring + ((*head + i) % *cap) * size, size);
    ts_free(*ring);
    *ring = r;
    *cap = (uint32_t)ncap;
    *head = 0;
    return TS_OK;
}

static void fifo_push(ts__executors *x, process_state *p, uint32_t m)
{
    if (p->fifo_count == p->fifo_cap &&
        ring_grow((void **)&p->fifo, &p->fifo_cap, &p->fifo_head, p->fifo_count,
                  sizeof *p->fifo) != TS_OK) {
        fail(x, "no memory for an executor's events");
        return;
    }
    p->fifo[(p->fifo_head + p->fifo_count++) % p->fifo_cap] = m;
}

static void on_dispatch(ts_engine *engine, void *ctx, uint64_t arg);

static void request_dispatch(ts__executors *x, process_state *p)
{
    if (p->dispatch_queued || p->running >= p->threads)
        return;
    if (ts_engine_schedule(x->sh.engine, ts_engine_now(x->sh.engine), on_dispatch, x,
                           (uint64_t)(p - x->procs), &p->dispatch_ev) != TS_OK) {
        fail(x, "no memory for events");
        return;
    }
    p->dispatch_queued = 1;
}

/* A polling point: the members ready now and free, timers first, then
 * subscriptions, each in registration order. */
static void poll(ts__executors *x, process_state *p)
{
    uint32_t *snap = x->snap + p->first;
    p->snap_count = 0;
    for (int timers = 1; timers >= 0; timers--)
        for (uint32_t k = 0; k < p->count; k++) {
            const member *m = &x->members[p->first + k];
            if (m->timer == timers && !m->busy && ready(m))
                snap[p->snap_count++] = p->first + k;
        }
}

/* The next callback to run on a free thread, or -1 (none ready, or every
 * ready one's component busy). */
static int64_t next_callback(ts__executors *x, process_state *p)
{
    if (p->kind == TS_EXECUTOR_EVENTS) {
        while (p->fifo_count > 0) {
            uint32_t m = p->fifo[p->fifo_head];
            p->fifo_head = (p->fifo_head + 1) % p->fifo_cap;
            p->fifo_count--;
            if (ready(&x->members[m]))
                return m;
        }
        return -1;
    }
    /* What is left of the round, else a new polling point; a round whose
     * every component is busy (threads > 1) is left for a new one too, as
     * a thread that finds nothing it may take waits for work again. */
    uint32_t *snap = x->snap + p->first;
    for (int round = 0; round < 2; round++) {
        if (round == 1 || p->snap_count == 0) {
            poll(x, p);
            round = 1;
        }
        for (uint32_t i = 0; i < p->snap_count; i++) {
            uint32_t m = snap[i];
            if (x->members[m].busy)
                continue;
            memmove(snap + i, snap + i + 1, (p->snap_count - i - 1) * sizeof *snap);
            p->snap_count--;
            return m;
        }
    }
    return -1;
}

/* Runs member m's callback: a job of its task, carrying the sample it
 * takes. A component that cannot run (its node down, stopped, killed)
 * gives up the callback, as a dead process takes nothing. */
static void run(ts__executors *x, process_state *p, member *m)
{
    uint64_t tag = 0;
    ts_time ready_at;
    if (m->timer) {
        m->timer_ready = 0;
        ready_at = m->timer_at;
    } else {
        tag = m->queue[m->q_head].tag;
        ready_at = m->queue[m->q_head].at;
        m->q_head = (m->q_head + 1) % m->q_cap;
        m->q_count--;
    }
    if (!ts_compute_task_alive(x->compute, m->component))
        return;
    m->busy = 1;
    p->running++;
    uint64_t unused;
    /* Released at the instant it became ready, which its deadline counts
     * from (an OOM kill at this first release ends the job at once,
     * through ts__executors_job_done). */
    if (ts_compute_release(x->compute, m->component, ready_at, tag, 0, &unused) == TS_ENOMEM)
        fail(x, "no memory for released jobs");
}

static void on_dispatch(ts_engine *engine, void *ctx, uint64_t arg)
{
    (void)engine;
    ts__executors *x = ctx;
    process_state *p = &x->procs[arg];
    p->dispatch_queued = 0;
    while (p->running < p->threads && !ts__bus_failed(x->sh.bus)) {
        int64_t m = next_callback(x, p);
        if (m < 0)
            break;
        run(x, p, &x->members[m]);
    }
}

void ts__executors_timer(ts__executors *x, int component)
{
    member *m = &x->members[x->member_of[component]];
    process_state *p = &x->procs[m->process];
    if (m->timer_ready)
        return;     /* expired again before its callback ran: once */
    m->timer_ready = 1;
    m->timer_at = ts_engine_now(x->sh.engine);
    if (p->kind == TS_EXECUTOR_EVENTS)
        fifo_push(x, p, (uint32_t)x->member_of[component]);
    request_dispatch(x, p);
}

void ts__executors_sample(ts__executors *x, int component, uint64_t tag, uint32_t keep_last)
{
    member *m = &x->members[x->member_of[component]];
    process_state *p = &x->procs[m->process];
    if (keep_last > 0 && m->q_count >= keep_last) {
        /* The oldest sample goes; the instants the queue's entries became
         * ready stay where they are and the samples shift one place
         * towards the front, the newest last: the callback has been ready
         * since the first of them arrived, as for a component outside a
         * process (ts_compute_release's rule). */
        uint64_t dropped = m->queue[m->q_head].tag;
        for (uint32_t i = 0; i + 1 < m->q_count; i++)
            m->queue[(m->q_head + i) % m->q_cap].tag =
                m->queue[(m->q_head + i + 1) % m->q_cap].tag;
        m->queue[(m->q_head + m->q_count - 1) % m->q_cap].tag = tag;
        x->drop(x->ctx, component, dropped, keep_last);
        if (p->kind == TS_EXECUTOR_EVENTS)
            fifo_push(x, p, (uint32_t)x->member_of[component]);
        request_dispatch(x, p);
        return;
    }
    if (m->q_count == m->q_cap &&
        ring_grow((void **)&m->queue, &m->q_cap, &m->q_head, m->q_count, sizeof *m->queue) !=
            TS_OK) {
        fail(x, "no memory for a subscription's queue");
        return;
    }
    m->queue[(m->q_head + m->q_count++) % m->q_cap] =
        (waiting){tag, ts_engine_now(x->sh.engine)};
    if (p->kind == TS_EXECUTOR_EVENTS)
        fifo_push(x, p, (uint32_t)x->member_of[component]);
    request_dispatch(x, p);
}

void ts__executors_each_waiting(const ts__executors *x,
                                void (*fn)(void *ctx, int component, uint64_t tag), void *ctx)
{
    for (size_t k = 0; x && k < x->n_members; k++) {
        const member *m = &x->members[k];
        if (!m->timer && m->q_count > 0)
            fn(ctx, m->component, m->queue[m->q_head].tag);
    }
}

void ts__executors_job_done(ts__executors *x, const ts_job_record *job)
{
    if (!ts__executors_owns(x, job->task))
        return;
    member *m = &x->members[x->member_of[job->task]];
    if (!m->busy)
        return;
    process_state *p = &x->procs[m->process];
    m->busy = 0;
    p->running--;
    /* at the end of the run the unfinished are only reported */
    if (job->outcome != TS_JOB_UNFINISHED)
        request_dispatch(x, p);
}
