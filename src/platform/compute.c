/*
 * The compute model (see compute.h). Each node holds cores, GPUs and a
 * memory budget. A task is one thread: its current job is either waiting
 * for a core, running on one, or (its CPU part done) waiting for or running
 * on a GPU; later releases wait in the task's ring in release order.
 *
 * Scheduling decisions for a node are taken by one deferred "dispatch"
 * event queued behind everything already due at that instant, so jobs
 * released and cores freed at the same time are all seen together and the
 * outcome does not depend on the order of their events. A dispatch charges
 * the running jobs' progress, walks the node's runnable tasks in rank order
 * and assigns cores greedily, then (re)arms one event per busy core: the
 * end of its CPU work or of its fair slice. The walk merges the running
 * tasks (at most one per core, sorted here only when a waiting task
 * outranks one of them) with the waiting ones, kept ranked in the node's
 * run queues (runqueue.h), and stops when the cores are all given. So a
 * dispatch costs time linear in the node's cores plus a few heap steps per
 * core handed out, logarithmic in the waiting tasks; it never scans the
 * node's tasks. Nothing is allocated per event (the release rings grow by
 * doubling; everything else is sized at start).
 *
 * A task's release timer ticks on its grid from the start whatever
 * happens; a tick records nothing while the task's node is down, the task
 * is OOM-killed or stopped, so the task resumes in its original phase. A
 * task of period 0 has no timer: its owner releases its jobs
 * (ts_compute_release), each with a tag the job's record carries, under
 * the same rules, and may bound the releases waiting to start (a
 * subscription's KEEP_LAST queue).
 *
 * A GPU is whole, time-sliced or partitioned. Kernels of tasks not bound to a
 * GPU queue FIFO (by submission, then task id) for any GPU of the node no
 * task is bound to. Tasks bound to a GPU (ts_task_desc.shared_gpu, a
 * fraction of one GPU in the scenario) share it as CUDA contexts share a
 * GPU without MPS: one context runs at a time, and contexts with a ready
 * kernel take turns, each for the GPU's time slice (NVIDIA's
 * "Time-Slicing GPUs in Kubernetes" and MPS documentation: time-sliced
 * replicas interleave, one context's work at a time, with no memory or
 * fault isolation; the slice is the driver's TSG timeslice, see
 * TS_COMPUTE_GPU_TIMESLICE_DEFAULT). The rule, decided at the node's
 * dispatch so simultaneous events give one outcome:
 *  - an idle GPU starts the first ready context at once, with a fresh
 *    slice;
 *  - the running context keeps the GPU while no other is ready; its slice
 *    renews every timeslice from its start (slice boundaries at start +
 *    k x timeslice), so a context that arrives waits for the next
 *    boundary, not for a whole new slice;
 *  - at a boundary with another context ready, the running one goes to the
 *    back of the round-robin ring, after the kernels submitted at that same
 *    instant (those join in task id order), and the ring's head runs;
 *  - a kernel that ends gives the GPU to the ring's head at once.
 * The switch itself costs nothing (an assumption: nvgpu does not count the
 * context load in the slice, and its cost is not published). A kernel's
 * gpu_start is when it first ran.
 * A task bound with a partition (ts_task_desc.gpu_partition_milli) owns a
 * hard slice of its GPU instead, as a MIG instance owns its SMs (NVIDIA
 * Multi-Instance GPU User Guide: each instance has dedicated compute and
 * memory paths, for predictable throughput): its kernel starts at once on
 * its own partition unit and runs at that share of the GPU's throughput
 * whatever the others do. Real MIG profiles come in sevenths of an A100
 * or H100; any share is allowed here (an idealisation). A partition
 * counts its share of a GPU's busy time; the load observer counts a GPU
 * busy per whole GPU of busy partitions, rounded up.
 *
 * Work is kept in reference-clock nanoseconds as a double (exact for
 * integers below 2^53 ns, about 104 days, and for the power-of-two speeds
 * the tests use) and progresses at the node's current speed.
 */
#include "toposim/compute.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/runqueue.h"
#include "toposim/alloc.h"

enum {
    T_IDLE,        /* no current job */
    T_CPU,         /* current job has CPU work left (running or waiting) */
    T_GPU_SUBMIT,  /* CPU part done; kernel enters the queue at dispatch */
    T_GPU_QUEUED,  /* kernel waiting for a GPU */
    T_GPU_RUN,     /* kernel on a GPU */
    T_DEAD         /* OOM-killed until its node or it restarts */
};

/* A release not yet current. Its work is drawn when it becomes current,
 * unless a timing change came first: then it was drawn at the change, with
 * the timing it was released under. */
typedef struct pend_entry {
    ts_time release;
    ts_time work;             /* -1: not drawn yet */
    uint64_t tag;             /* given by ts_compute_release; 0: a timer's */
} pend_entry;

/* A task: its node is its own; the rest of its description, timing
 * included, is shared with every task described the same way (a fleet's
 * copies of one component), which took 160 of a task's 408 bytes. A
 * timing change (ts_compute_set_task_timing) points the task at the
 * description with the new timing, made on first use and shared too (a
 * rollout changes every copy alike). */
typedef struct task_state {
    const ts_task_desc *d;    /* shared; its node and component are not
                                 used */
    gsl_rng *rng;
    ts_time last_tick;        /* its last firing, recorded or skipped */
    ts_event_handle rel_ev;   /* its next firing; 0: none */
    uint64_t mask;            /* allowed cores among 0..63 */
    double vr;                /* fair virtual runtime, ns x 1024 / weight */
    uint64_t next_seq;
    pend_entry *pending;      /* ring of releases not yet current, when
                                 more than fit in pend_inline; else NULL */
    pend_entry pend_inline[1];/* the ring while it is this small (nearly
                                 always: a second waiting release means the
                                 task is two periods behind): no allocation
                                 per task, and no separate cache line per
                                 release; one entry, not two, as a fleet has
                                 a task per robot */
    /* the current job */
    uint64_t seq;
    uint64_t tag;
    ts_time release, start, cpu_end, gpu_start, work;
    double remaining;         /* CPU, then GPU, work left at the reference */
    int node;
    int core, gpu;            /* local index while running there, else -1 */
    int rank;                 /* dispatch scratch, running tasks: position
                                 among them in rank order */
    int preemptions;          /* of the current job */
    uint32_t name;            /* 1 + its offset in c->names; 0: none */
    uint32_t pend_cap, pend_head, pend_count;
    /* small states and yes/no states, a byte each */
    unsigned char state;      /* T_* */
    unsigned char exec_dist;  /* 1: work drawn from d->exec; 0: uniform in
                                 [exec_min, exec_max] */
    unsigned char was_running;/* dispatch scratch: lost its core this round */
    unsigned char sticky;     /* dispatch scratch, running tasks: fair
                                 slice not over */
    unsigned char gpu_listed; /* in its node's GPU submission list */
    unsigned char fresh;      /* waiting in its node's fresh list */
    unsigned char mem_held;
    unsigned char stopped;    /* set by ts_compute_set_task_running */
    unsigned char ticked;     /* the release timer has fired */
    unsigned char any_high;   /* may use cores >= 64 (affinity 0) */
} task_state;

static pend_entry *pend_ring(task_state *t)
{
    return t->pending ? t->pending : t->pend_inline;
}

typedef struct unit_state {   /* a core or a GPU */
    int node;
    int task;                 /* -1 idle */
    int next;                 /* dispatch scratch: assignment this round */
    int ev_completion;        /* 1: ev ends the work, 0: ends a slice */
    ts_time mark;             /* progress charged up to here */
    ts_time busy_since, busy_acc;
    ts_time slice_start;      /* cores: start of the fair slice */
    ts_time ev_time;
    ts_event_handle ev;       /* 0: none pending */
} unit_state;

/* What only a node with GPUs has: in a fleet most nodes have none, and
 * these 40 bytes (with two task-sized lists) were in every node. */
typedef struct gpu_node {
    ts_time acc, mark;        /* busy GPU time, charged up to mark */
    uint32_t gpu0;            /* first GPU in c->gpus */
    uint32_t q_first;         /* its slices of c->gq and c->gsub, task_count
                                 long (set at start) */
    uint32_t q_head, q_count; /* GPU FIFO: ring in c->gq at q_first */
    uint32_t sub_count;       /* tasks that entered T_GPU_SUBMIT since the
                                 last dispatch, listed in c->gsub at
                                 q_first */
    int busy;
    int rep;                  /* last reported to the load observer */
    int own_rep;              /* of those, running kernels with their own
                                 power, last reported */
    double own_w_rep;         /* their power, last reported */
    ts_time timeslice;        /* of its time-sliced GPUs */
    uint32_t shared;          /* how many of its GPUs are time-sliced or
                                 partitioned */
    uint32_t part0, n_parts;  /* its partition units in c->parts */
    int64_t part_busy;        /* thousandths of a GPU its running
                                 partitions hold */
    ts_time part_acc;         /* their busy time, ns x thousandths,
                                 charged up to mark */
} gpu_node;

/* A time-sliced GPU's round robin: the tasks bound to it with a kernel
 * ready and not running, oldest turn first. Only GPUs some task is bound
 * to have one (cap > 0). */
typedef struct gpu_share {
    uint32_t first, cap;      /* its ring in c->gring: the tasks bound */
    uint32_t head, count;
    int32_t parted;           /* thousandths of it held by partitions */
} gpu_share;

typedef struct node_state {
    int64_t mem_limit, mem_used;
    double cpu_scale, gpu_scale;
    double fresh_min_vr;      /* least vruntime of fresh fair tasks */
    double min_vr;            /* monotonic floor of runnable fair vruntimes */
    ts_event_handle dispatch_ev; /* the pending dispatch, for ts_compute_free */
    uint64_t reserved;        /* cores reserved by some task */
    ts_time busy_acc, busy_mark;
    ts_time online_acc, online_mark;
    int cores, gpus, online;
    /* Positions and counts in 32 bits, as a node per robot makes this
     * struct a fleet's: ts_compute_new bounds cores and GPUs, and task
     * ids are ints. */
    uint32_t core0;           /* first core in c->cores */
    int32_t gpu_node;         /* its GPU state in c->gpu_nodes; -1: no GPU */
    uint32_t task_first, task_count; /* slice of c->node_tasks, ids ascending */
    int busy_cores;
    int rep_cores;            /* last reported to the load observer */
    int pending_jobs;         /* releases waiting in the node's tasks' rings */
    uint32_t n_fresh;         /* tasks made ready since the last dispatch,
                                 listed in c->fresh at task_first; the
                                 dispatch places them or queues them */
    unsigned char up;
    unsigned char fair_waiting; /* a FAIR task waited at the last dispatch */
    unsigned char dispatch_queued;
} node_state;

struct ts_compute {
    ts_engine *engine;
    node_state *nodes;
    size_t n_nodes;
    uint8_t *node_up;         /* nodes[i].up, packed: the run asks it per
                                 message, and a 224-byte node_state per ask
                                 is a cache miss at fleet scale; both are
                                 set only by ts_compute_set_node_up */
    unit_state *cores, *gpus;
    gpu_node *gpu_nodes;      /* the nodes with GPUs, in node order */
    task_state *tasks;
    size_t n_tasks, cap_tasks;
    char *names;              /* the tasks' names, NUL-terminated, in one
                                 block (tasks keep offsets) */
    size_t names_len, names_cap;
    ts_task_desc **descs;     /* the distinct shared descriptions, each in
                                 its own block (tasks point at them) */
    size_t n_descs, cap_descs;
    int *desc_index;          /* open-addressing hash set of descs (index,
                                 -1: empty), desc_slots of them, a power
                                 of two at least twice n_descs */
    size_t desc_slots;
    int *node_tasks;          /* task ids grouped by node, ascending */
    int *gq;                  /* GPU queue rings, one slice per GPU node */
    int *gsub;                /* GPU submission lists, one slice per GPU node */
    gpu_share *gshare;        /* per GPU (set at start) */
    int *gring;               /* time-sliced GPUs' rings */
    unit_state *parts;        /* GPU partitions, one per task bound with
                                 one, grouped by node (set at start) */
    int *part_of;             /* per task: its partition unit, or -1;
                                 NULL when no task has one (a fleet's
                                 worth of ints otherwise) */
    int *fresh;               /* fresh ready lists, one slice per node */
    ts__runq *rq;             /* waiting tasks, ranked (built at start) */
    /* dispatch scratch, sized by the largest node */
    int *occupants;           /* running tasks in rank order */
    int *displaced;           /* tasks that left their core this round */
    uint64_t *free_cores;     /* online cores not yet given this round */
    uint64_t *idle_cores;     /* online cores idle before this round */
    ts_time quantum;
    int started;
    ts_job_done_fn done;
    ts_compute_load_fn load;
    ts_compute_load_ex_fn load_ex;
    int any_gpu_power;        /* some task's kernel has its own power */
    ts_platform_event_fn event;
    void *ctx;
    size_t max_waiting;       /* 0: unbounded */
    ts_compute_overflow_fn overflow;
    ts_compute_work_fn job_work;
};

/* The node's GPU state; NULL when it has no GPU. */
static inline gpu_node *gpu_of(const ts_compute *c, const node_state *n)
{
    return n->gpu_node >= 0 ? &c->gpu_nodes[n->gpu_node] : NULL;
}

/* ---- Construction ---- */

int ts_compute_new(ts_engine *engine, const ts_compute_config *cfg,
                   ts_compute **out, ts_error *err)
{
    *out = NULL;
    if (!cfg || !cfg->done || (cfg->n_nodes && !cfg->cores) || cfg->quantum < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "compute needs core counts, a done callback and a "
                            "quantum >= 0");
    size_t n_cores = 0, n_gpus = 0, n_gpu_nodes = 0;
    for (size_t i = 0; i < cfg->n_nodes; i++) {
        if (cfg->cores[i] < 0 || (cfg->gpus && cfg->gpus[i] < 0) ||
            (cfg->memory_bytes && cfg->memory_bytes[i] < 0) ||
            (cfg->gpu_timeslice && cfg->gpu_timeslice[i] < 0))
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "node %zu: negative cores, GPUs, memory or GPU "
                                "time slice", i);
        n_cores += (size_t)cfg->cores[i];
        n_gpus += cfg->gpus ? (size_t)cfg->gpus[i] : 0;
        n_gpu_nodes += cfg->gpus && cfg->gpus[i] > 0;
    }
    if (n_cores > UINT32_MAX || n_gpus > UINT32_MAX)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "more than 2^32 cores or GPUs in all");
    ts_compute *c = ts_calloc(1, sizeof *c);
    if (!c)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for compute");
    c->nodes = ts_calloc(cfg->n_nodes ? cfg->n_nodes : 1, sizeof *c->nodes);
    c->node_up = ts_calloc(cfg->n_nodes ? cfg->n_nodes : 1, 1);
    c->cores = ts_calloc(n_cores ? n_cores : 1, sizeof *c->cores);
    c->gpus = ts_calloc(n_gpus ? n_gpus : 1, sizeof *c->gpus);
    c->gpu_nodes = ts_calloc(n_gpu_nodes ? n_gpu_nodes : 1, sizeof *c->gpu_nodes);
    if (!c->nodes || !c->node_up || !c->cores || !c->gpus || !c->gpu_nodes) {
        ts_compute_free(c);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for compute");
    }
    c->engine = engine;
    c->n_nodes = cfg->n_nodes;
    c->quantum = cfg->quantum ? cfg->quantum : TS_COMPUTE_QUANTUM_DEFAULT;
    c->done = cfg->done;
    c->load = cfg->load;
    c->load_ex = cfg->load_ex;
    c->event = cfg->event;
    c->ctx = cfg->ctx;
    c->max_waiting = cfg->max_waiting;
    c->overflow = cfg->overflow;
    c->job_work = cfg->job_work;
    size_t core = 0, gpu = 0, gpu_nodes = 0;
    for (size_t i = 0; i < cfg->n_nodes; i++) {
        node_state *n = &c->nodes[i];
        n->cores = n->online = cfg->cores[i];
        n->gpus = cfg->gpus ? cfg->gpus[i] : 0;
        n->mem_limit = cfg->memory_bytes ? cfg->memory_bytes[i] : 0;
        n->up = 1;
        c->node_up[i] = 1;
        n->cpu_scale = n->gpu_scale = 1.0;
        n->fresh_min_vr = INFINITY;
        n->core0 = (uint32_t)core;
        n->gpu_node = -1;
        if (n->gpus > 0) {
            n->gpu_node = (int32_t)gpu_nodes;
            gpu_node *g = &c->gpu_nodes[gpu_nodes++];
            g->gpu0 = (uint32_t)gpu;
            g->timeslice = cfg->gpu_timeslice && cfg->gpu_timeslice[i] > 0
                               ? cfg->gpu_timeslice[i]
                               : TS_COMPUTE_GPU_TIMESLICE_DEFAULT;
        }
        for (int k = 0; k < n->cores; k++, core++)
            c->cores[core] = (unit_state){.node = (int)i, .task = -1, .next = -1};
        for (int k = 0; k < n->gpus; k++, gpu++)
            c->gpus[gpu] = (unit_state){.node = (int)i, .task = -1, .next = -1};
    }
    *out = c;
    return TS_OK;
}

void ts_compute_free(ts_compute *c)
{
    if (!c)
        return;
    /* Cancel what the model has pending (cores' and GPUs' ends, release
     * timers), as ts_dynamics_free does, so the engine can run on without
     * calling into freed memory; stale handles are harmless. */
    for (size_t i = 0; i < c->n_nodes; i++) {
        const node_state *n = &c->nodes[i];
        for (int k = 0; k < n->cores; k++)
            if (c->cores[n->core0 + (size_t)k].ev)
                ts_engine_cancel(c->engine, c->cores[n->core0 + (size_t)k].ev);
        for (int g = 0; g < n->gpus; g++)
            if (c->gpus[gpu_of(c, n)->gpu0 + (size_t)g].ev)
                ts_engine_cancel(c->engine, c->gpus[gpu_of(c, n)->gpu0 + (size_t)g].ev);
        if (n->dispatch_queued)
            ts_engine_cancel(c->engine, n->dispatch_ev);
        const gpu_node *g = gpu_of(c, n);
        for (uint32_t k = 0; g && c->parts && k < g->n_parts; k++)
            if (c->parts[g->part0 + k].ev)
                ts_engine_cancel(c->engine, c->parts[g->part0 + k].ev);
    }
    for (size_t i = 0; i < c->n_tasks; i++) {
        if (c->tasks[i].rel_ev)
            ts_engine_cancel(c->engine, c->tasks[i].rel_ev);
        ts_free(c->tasks[i].pending);
    }
    ts_free(c->names);
    ts_free(c->tasks);
    for (size_t i = 0; i < c->n_descs; i++)
        ts_free(c->descs[i]);
    ts_free(c->descs);
    ts_free(c->desc_index);
    ts_free(c->node_tasks);
    ts_free(c->gq);
    ts_free(c->gsub);
    ts_free(c->gshare);
    ts_free(c->gring);
    ts_free(c->parts);
    ts_free(c->part_of);
    ts_free(c->fresh);
    ts__runq_free(c->rq);
    ts_free(c->occupants);
    ts_free(c->displaced);
    ts_free(c->free_cores);
    ts_free(c->idle_cores);
    ts_free(c->cores);
    ts_free(c->gpus);
    ts_free(c->gpu_nodes);
    ts_free(c->nodes);
    ts_free(c->node_up);
    ts_free(c);
}

/* ---- Shared task descriptions ---- */

/* What tasks share of a description: all but what each keeps itself. */
static ts_task_desc shared_part(const ts_task_desc *t)
{
    ts_task_desc d;
    memset(&d, 0, sizeof d);
    d.node = -1;
    d.period = t->period;
    d.exec_min = t->exec_min;
    d.exec_max = t->exec_max;
    d.priority = t->priority;
    d.offset = t->offset;
    d.deadline = t->deadline;
    d.policy = t->policy;
    d.weight = t->weight;
    d.affinity = t->affinity;
    d.reserve_cores = t->reserve_cores;
    d.exec = t->exec;
    d.gpu_ns = t->gpu_ns;
    d.shared_gpu = t->shared_gpu;
    d.gpu_partition_milli = t->gpu_partition_milli;
    d.memory_bytes = t->memory_bytes;
    d.gpu_power_w = t->gpu_power_w;
    d.gang_gpus = t->gang_gpus;
    return d;
}

/* Doubles compared bit for bit: the same bits draw the same values. */
static int same_double(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static int same_shared_part(const ts_task_desc *a, const ts_task_desc *b)
{
    return a->period == b->period && a->exec_min == b->exec_min &&
           a->exec_max == b->exec_max &&
           a->priority == b->priority && a->offset == b->offset &&
           a->deadline == b->deadline && a->policy == b->policy &&
           a->weight == b->weight && a->affinity == b->affinity &&
           a->reserve_cores == b->reserve_cores && a->gpu_ns == b->gpu_ns &&
           a->shared_gpu == b->shared_gpu &&
           a->gpu_partition_milli == b->gpu_partition_milli && a->memory_bytes == b->memory_bytes &&
           a->gang_gpus == b->gang_gpus && a->exec.kind == b->exec.kind &&
           same_double(a->gpu_power_w, b->gpu_power_w) &&
           same_double(a->exec.a, b->exec.a) && same_double(a->exec.b, b->exec.b) &&
           a->exec.n_bins == b->exec.n_bins && a->exec.edges == b->exec.edges &&
           a->exec.weights == b->exec.weights && a->exec.table == b->exec.table &&
           a->exec.owned == b->exec.owned;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    /* FNV-1a over the value's 8 bytes */
    for (int i = 0; i < 8; i++, v >>= 8)
        h = (h ^ (v & 0xffu)) * 1099511628211u;
    return h;
}

static uint64_t double_bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static size_t shared_part_hash(const ts_task_desc *d)
{
    uint64_t h = 14695981039346656037u;
    h = mix(h, (uint64_t)d->period);
    h = mix(h, (uint64_t)d->exec_min);
    h = mix(h, (uint64_t)d->exec_max);
    h = mix(h, (uint64_t)(int64_t)d->priority);
    h = mix(h, (uint64_t)d->offset);
    h = mix(h, (uint64_t)d->deadline);
    h = mix(h, (uint64_t)(int64_t)d->policy);
    h = mix(h, (uint64_t)(int64_t)d->weight);
    h = mix(h, d->affinity);
    h = mix(h, (uint64_t)d->gpu_ns);
    h = mix(h, (uint64_t)(int64_t)d->shared_gpu);
    h = mix(h, (uint64_t)(int64_t)d->gpu_partition_milli);
    h = mix(h, (uint64_t)d->memory_bytes);
    h = mix(h, (uint64_t)d->exec.kind);
    h = mix(h, double_bits(d->exec.a));
    h = mix(h, double_bits(d->exec.b));
    return (size_t)h;
}

/* Doubles the hash set (or makes its first 16 slots). TS_OK or
 * TS_ENOMEM, the set untouched. */
static int grow_desc_index(ts_compute *c)
{
    size_t slots = c->desc_slots ? 2 * c->desc_slots : 16;
    int *index = ts_malloc(slots * sizeof *index);
    if (!index)
        return TS_ENOMEM;
    for (size_t i = 0; i < slots; i++)
        index[i] = -1;
    for (size_t k = 0; k < c->n_descs; k++) {
        size_t i = shared_part_hash(c->descs[k]) & (slots - 1);
        while (index[i] >= 0)
            i = (i + 1) & (slots - 1);
        index[i] = (int)k;
    }
    ts_free(c->desc_index);
    c->desc_index = index;
    c->desc_slots = slots;
    return TS_OK;
}

/* The shared description for `task`, made on first use; NULL when out of
 * memory. */
static const ts_task_desc *shared_desc(ts_compute *c, const ts_task_desc *task)
{
    ts_task_desc key = shared_part(task);
    if (2 * (c->n_descs + 1) > c->desc_slots && grow_desc_index(c) != TS_OK)
        return NULL;
    size_t mask = c->desc_slots - 1, i = shared_part_hash(&key) & mask;
    for (; c->desc_index[i] >= 0; i = (i + 1) & mask)
        if (same_shared_part(c->descs[c->desc_index[i]], &key))
            return c->descs[c->desc_index[i]];
    if (c->n_descs == c->cap_descs) {
        size_t cap = c->cap_descs ? 2 * c->cap_descs : 8;
        ts_task_desc **descs = ts_realloc(c->descs, cap * sizeof *descs);
        if (!descs)
            return NULL;
        c->descs = descs;
        c->cap_descs = cap;
    }
    ts_task_desc *d = ts_malloc(sizeof *d);
    if (!d)
        return NULL;
    *d = key;
    c->descs[c->n_descs] = d;
    c->desc_index[i] = (int)c->n_descs++;
    return d;
}

/* Appends the task's name to the names block (one allocation for a
 * fleet's names, grown by doubling, instead of one each). */
static int add_name(ts_compute *c, task_state *t, const char *name)
{
    size_t len = strlen(name) + 1;
    if (len > UINT32_MAX - 1 - c->names_len)
        return TS_ENOMEM;
    if (c->names_len + len > c->names_cap) {
        size_t cap = c->names_cap ? 2 * c->names_cap : 256;
        while (cap < c->names_len + len)
            cap *= 2;
        char *names = ts_realloc(c->names, cap);
        if (!names)
            return TS_ENOMEM;
        c->names = names;
        c->names_cap = cap;
    }
    memcpy(c->names + c->names_len, name, len);
    t->name = (uint32_t)(c->names_len + 1);
    c->names_len += len;
    return TS_OK;
}

int ts_compute_add_task(ts_compute *c, const ts_task_desc *task, gsl_rng *rng,
                        ts_error *err)
{
    if (c->started)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "tasks must be added before the model starts");
    if (task->node < 0 || (size_t)task->node >= c->n_nodes)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "task node %d out of range",
                            task->node);
    const node_state *n = &c->nodes[task->node];
    if (n->cores < 1)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "node %d has no cores to run a task", task->node);
    int dist = task->exec.kind != TS_DIST_NONE;
    if (task->period < 0 || task->offset < 0 || task->deadline <= 0 ||
        (!dist && (task->exec_min <= 0 || task->exec_max < task->exec_min)))
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "task timing must have period >= 0, 0 < exec_min <= "
                            "exec_max, offset >= 0 and deadline > 0");
    if (dist && ((int)task->exec.kind < TS_DIST_FIXED ||
                 task->exec.kind > TS_DIST_HISTOGRAM ||
                 (task->exec.kind == TS_DIST_HISTOGRAM && !task->exec.table)))
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "execution-time distribution is unknown or not "
                            "prepared");
    if (task->policy != TS_SCHED_FIFO && task->policy != TS_SCHED_FAIR)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "unknown policy %d",
                            task->policy);
    if (!(task->gpu_power_w >= 0) || !isfinite(task->gpu_power_w))
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "a kernel's own GPU power must be finite and >= 0");
    if (task->weight < 0 || task->gpu_ns < 0 || task->memory_bytes < 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "weight, GPU time and memory must be >= 0");
    if (task->gang_gpus < 0 || (task->gang_gpus > 1 && (task->shared_gpu ||
                                                         task->gang_gpus > n->gpus)))
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "task needs %d whole GPUs at once but node %d has %d (or "
                            "its kernels share one GPU)", task->gang_gpus, task->node,
                            n->gpus);
    if (task->gpu_ns > 0 && n->gpus < 1)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "task needs a GPU but node %d has none", task->node);
    if (task->shared_gpu < 0 || task->shared_gpu > n->gpus)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "task bound to GPU %d but node %d has %d GPU%s",
                            task->shared_gpu - 1, task->node, n->gpus,
                            n->gpus == 1 ? "" : "s");
    if (task->gpu_partition_milli < 0 || task->gpu_partition_milli > 1000 ||
        (task->gpu_partition_milli > 0 && !task->shared_gpu))
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "a GPU partition is 1 to 1000 thousandths of the "
                            "GPU the task is bound to (got %d, bound to %d)",
                            task->gpu_partition_milli, task->shared_gpu - 1);
    if (n->cores < 64 && (task->affinity >> n->cores) != 0)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "affinity names a core beyond node %d's %d cores",
                            task->node, n->cores);
    if (task->reserve_cores && !task->affinity)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "reserving cores needs an affinity list");
    if (c->n_tasks == c->cap_tasks) {
        size_t cap = c->cap_tasks ? 2 * c->cap_tasks : 16;
        task_state *t = ts_realloc(c->tasks, cap * sizeof *t);
        if (!t)
            return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for tasks");
        c->tasks = t;
        c->cap_tasks = cap;
    }
    const ts_task_desc *shared = shared_desc(c, task);
    if (!shared)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for tasks");
    task_state *t = &c->tasks[c->n_tasks];
    memset(t, 0, sizeof *t);
    t->d = shared;
    t->node = task->node;
    t->exec_dist = task->exec.kind != TS_DIST_NONE;
    if (task->component && add_name(c, t, task->component) != TS_OK)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for tasks");
    t->rng = rng;
    t->pend_cap = sizeof t->pend_inline / sizeof t->pend_inline[0];
    t->core = t->gpu = -1;
    if (task->gpu_power_w > 0)
        c->any_gpu_power = 1;
    return (int)c->n_tasks++;
}

/* ---- Helpers ---- */

/* Wall time to do `work` reference ns at `scale`, rounded up so a job
 * never ends before its work is done; the slack absorbs the rounding of
 * charging progress piecewise. */
static ts_time span(double work, double scale)
{
    double t = work / scale;
    if (!(t > 1e-6))
        return 0;
    if (t > 4e18)
        return (ts_time)4e18;
    return (ts_time)ceil(t - 1e-6);
}

static ts_time add_sat(ts_time a, ts_time b)
{
    return b > TS_TIME_MAX - a ? TS_TIME_MAX : a + b;
}

static const char *task_name(const ts_compute *c, const task_state *t, int id, char *buf,
                             size_t n)
{
    if (t->name)
        return c->names + t->name - 1;
    snprintf(buf, n, "task %d", id);
    return buf;
}

static void emit(ts_compute *c, ts_event_kind kind, int node, int task,
                 double value, const char *detail)
{
    if (!c->event)
        return;
    ts_platform_event ev = {.time = ts_engine_now(c->engine), .kind = kind,
                            .node = node, .link = -1, .component = task,
                            .value = value};
    snprintf(ev.detail, sizeof ev.detail, "%s", detail);
    c->event(c->ctx, &ev);
}

static int allowed(const task_state *t, int core)
{
    return core < 64 ? (int)((t->mask >> core) & 1u) : t->any_high;
}

static ts_time draw_exec(task_state *t)
{
    if (t->exec_dist) {
        double x = t->rng ? ts_dist_draw(&t->d->exec, t->rng) : ts_dist_mean(&t->d->exec);
        if (!(x >= 0))
            x = 0;
        return x > 1e15 ? (ts_time)1e15 : (ts_time)llround(x);
    }
    ts_time span_ns = t->d->exec_max - t->d->exec_min;
    if (span_ns == 0 || !t->rng)
        return t->d->exec_max;
    if (span_ns < (ts_time)UINT32_MAX)
        return t->d->exec_min +
               (ts_time)gsl_rng_uniform_int(t->rng, (unsigned long)span_ns + 1);
    return t->d->exec_min + (ts_time)(gsl_rng_uniform(t->rng) * (double)span_ns);
}

static void node_busy_mark(const ts_compute *c, node_state *n, ts_time now)
{
    n->busy_acc += (ts_time)n->busy_cores * (now - n->busy_mark);
    n->busy_mark = now;
    gpu_node *g = gpu_of(c, n);
    if (g) {
        g->acc += (ts_time)g->busy * (now - g->mark);
        g->part_acc += (ts_time)g->part_busy * (now - g->mark);
        g->mark = now;
    }
    if (n->up)
        n->online_acc += (ts_time)n->online * (now - n->online_mark);
    n->online_mark = now;
}

static void unit_occupy(unit_state *u, int task, ts_time now)
{
    u->task = task;
    u->mark = now;
    u->busy_since = now;
}

static void unit_vacate(unit_state *u, ts_time now)
{
    u->busy_acc += now - u->busy_since;
    u->task = -1;
}

static void unit_cancel(ts_compute *c, unit_state *u)
{
    if (u->ev)
        ts_engine_cancel(c->engine, u->ev);
    u->ev = 0;
}

/* A partition's speed: its share of the GPU's. */
static double part_speed(const node_state *n, const task_state *t)
{
    return n->gpu_scale * (double)t->d->gpu_partition_milli / 1000.0;
}

/* Charges the progress of every running job and kernel on the node up to
 * now at the current speeds. O(cores + GPUs + partitions). */
static void account(ts_compute *c, int node)
{
    node_state *n = &c->nodes[node];
    ts_time now = ts_engine_now(c->engine);
    for (int k = 0; k < n->cores; k++) {
        unit_state *u = &c->cores[n->core0 + (size_t)k];
        if (u->task < 0 || u->mark == now)
            continue;
        task_state *t = &c->tasks[u->task];
        double dt = (double)(now - u->mark);
        t->remaining -= dt * n->cpu_scale;
        if (t->d->policy == TS_SCHED_FAIR)
            t->vr += dt * (1024.0 / (t->d->weight ? t->d->weight
                                                    : TS_COMPUTE_WEIGHT_DEFAULT));
        u->mark = now;
    }
    for (int g = 0; g < n->gpus; g++) {
        unit_state *u = &c->gpus[gpu_of(c, n)->gpu0 + (size_t)g];
        if (u->task < 0 || u->mark == now)
            continue;
        c->tasks[u->task].remaining -= (double)(now - u->mark) * n->gpu_scale;
        u->mark = now;
    }
    const gpu_node *gn = gpu_of(c, n);
    for (uint32_t k = 0; gn && c->parts && k < gn->n_parts; k++) {
        unit_state *u = &c->parts[gn->part0 + k];
        if (u->task < 0 || u->mark == now)
            continue;
        task_state *t = &c->tasks[u->task];
        t->remaining -= (double)(now - u->mark) * part_speed(n, t);
        u->mark = now;
    }
}

static void on_dispatch(ts_engine *engine, void *ctx, uint64_t arg);
static void on_part(ts_engine *engine, void *ctx, uint64_t arg);
static void on_core(ts_engine *engine, void *ctx, uint64_t arg);
static void on_gpu(ts_engine *engine, void *ctx, uint64_t arg);
static void on_release(ts_engine *engine, void *ctx, uint64_t arg);

static void request_dispatch(ts_compute *c, int node)
{
    node_state *n = &c->nodes[node];
    if (n->dispatch_queued)
        return;
    if (ts_engine_schedule(c->engine, ts_engine_now(c->engine), on_dispatch, c,
                           (uint64_t)node, &n->dispatch_ev) == TS_OK)
        n->dispatch_queued = 1;
    else
        on_dispatch(c->engine, c, (uint64_t)node);
}

/* (Re)arms a unit's event for `at` unless already armed for that time. */
static void arm(ts_compute *c, unit_state *u, size_t index, ts_time at,
                int completion, ts_event_fn fn)
{
    u->ev_completion = completion;
    if (u->ev && u->ev_time == at)
        return;
    unit_cancel(c, u);
    u->ev_time = at;
    /* Out of event memory the job never ends and is reported unfinished
     * at the end rather than lost silently. */
    if (ts_engine_schedule(c->engine, at, fn, c, (uint64_t)index, &u->ev) != TS_OK)
        u->ev = 0;
}

static void arm_core(ts_compute *c, node_state *n, size_t index)
{
    unit_state *u = &c->cores[index];
    ts_time now = ts_engine_now(c->engine);
    if (u->task < 0) {
        unit_cancel(c, u);
        return;
    }
    task_state *t = &c->tasks[u->task];
    ts_time end = add_sat(now, span(t->remaining, n->cpu_scale));
    /* Slices are timed only while another fair task waits: a lone fair
     * task runs on without an event per quantum. */
    if (t->d->policy == TS_SCHED_FAIR && n->fair_waiting) {
        ts_time slice = add_sat(u->slice_start, c->quantum);
        if (slice < end) {
            arm(c, u, index, slice, 0, on_core);
            return;
        }
    }
    arm(c, u, index, end, 1, on_core);
}

/* The time-sliced GPU's ring, or NULL for a whole GPU. */
static gpu_share *share_of(const ts_compute *c, size_t index)
{
    return c->gshare && c->gshare[index].cap ? &c->gshare[index] : NULL;
}

/* The first slice boundary after now of the context on a time-sliced GPU:
 * slices renew every timeslice from its start. */
static ts_time next_boundary(const unit_state *u, ts_time slice, ts_time now)
{
    ts_time k = (now - u->slice_start) / slice + 1;
    return k > (TS_TIME_MAX - u->slice_start) / slice ? TS_TIME_MAX
                                                      : u->slice_start + k * slice;
}

/* 1 when now is a slice boundary of the GPU's running context. */
static int slice_over(const unit_state *u, ts_time slice, ts_time now)
{
    return now > u->slice_start && (now - u->slice_start) % slice == 0;
}

/* How many whole GPUs a task's kernel holds at once. */
static int gang_of(const task_state *t)
{
    return t->d->gang_gpus > 1 ? t->d->gang_gpus : 1;
}

/* 1 when the node's g-th GPU is a whole one that is free. */
static int whole_free(const ts_compute *c, const gpu_node *gn, int g)
{
    size_t index = gn->gpu0 + (size_t)g;
    return c->gpus[index].task < 0 && !share_of(c, index) && !c->gshare[index].parted;
}

/* Frees the GPUs a gang kernel holds besides its first (cancelled and
 * vacated at now). */
static void release_gang(ts_compute *c, node_state *n, int id, ts_time now)
{
    gpu_node *gn = gpu_of(c, n);
    const task_state *t = &c->tasks[id];
    for (int g = 0; g < n->gpus; g++) {
        unit_state *u = &c->gpus[gn->gpu0 + (size_t)g];
        if (g == t->gpu || u->task != id)
            continue;
        unit_cancel(c, u);
        unit_vacate(u, now);
        gn->busy--;
    }
}

/* The end of the running kernel, or the next slice boundary when another
 * context waits and the boundary comes first. */
static void arm_gpu(ts_compute *c, node_state *n, size_t index)
{
    unit_state *u = &c->gpus[index];
    if (u->task < 0) {
        unit_cancel(c, u);
        return;
    }
    ts_time now = ts_engine_now(c->engine);
    const task_state *t = &c->tasks[u->task];
    int gang = gang_of(t);
    if (gang > 1) {
        /* one event for the gang, on its first GPU: every GPU it holds
         * runs its share, so the work left goes gang times as fast */
        if (index != gpu_of(c, n)->gpu0 + (size_t)t->gpu) {
            unit_cancel(c, u);
            return;
        }
        arm(c, u, index, add_sat(now, span(t->remaining, n->gpu_scale * gang)), 1, on_gpu);
        return;
    }
    ts_time end = add_sat(now, span(t->remaining, n->gpu_scale));
    const gpu_share *s = share_of(c, index);
    if (s && s->count) {
        ts_time b = next_boundary(u, gpu_of(c, n)->timeslice, now);
        if (b < end) {
            arm(c, u, index, b, 0, on_gpu);
            return;
        }
    }
    arm(c, u, index, end, 1, on_gpu);
}

/* The end of the kernel on a partition unit. */
static void arm_part(ts_compute *c, node_state *n, size_t index)
{
    unit_state *u = &c->parts[index];
    if (u->task < 0) {
        unit_cancel(c, u);
        return;
    }
    const task_state *t = &c->tasks[u->task];
    arm(c, u, index, add_sat(ts_engine_now(c->engine), span(t->remaining, part_speed(n, t))),
        1, on_part);
}

/* The floor a waking fair task's virtual runtime is raised to, so a task
 * that slept does not claim the CPU time it did not use (as CFS places a
 * waking entity at min_vruntime). */
static double fair_floor(ts_compute *c, const task_state *self)
{
    int node = self->node;
    node_state *n = &c->nodes[node];
    /* The node's runnable fair tasks: running ones (on its cores, offline
     * ones included), waiting ones (queued) and the caller itself while
     * it is between the two (its previous job just left its core). */
    double lo = ts__runq_min_fair_vr(c->rq, node);
    if (n->fresh_min_vr < lo)
        lo = n->fresh_min_vr;
    for (int k = 0; k < n->cores; k++) {
        int id = c->cores[n->core0 + (size_t)k].task;
        if (id >= 0 && c->tasks[id].d->policy == TS_SCHED_FAIR &&
            c->tasks[id].vr < lo)
            lo = c->tasks[id].vr;
    }
    if (self->state == T_CPU && self->vr < lo)
        lo = self->vr;
    if (lo != INFINITY && lo > n->min_vr)
        n->min_vr = lo;
    return n->min_vr;
}

/* Makes the oldest waiting release the current job, or leaves the task
 * idle. The execution time is drawn here, so each task's stream is used
 * in job order whatever the interleaving with other tasks. */
static void next_job(ts_compute *c, int id)
{
    task_state *t = &c->tasks[id];
    if (t->pend_count == 0) {
        t->state = T_IDLE;
        return;
    }
    pend_entry p = pend_ring(t)[t->pend_head];
    t->pend_head = (t->pend_head + 1) % t->pend_cap;
    t->pend_count--;
    c->nodes[t->node].pending_jobs--;
    t->release = p.release;
    t->tag = p.tag;
    t->seq = t->next_seq++;
    t->start = t->cpu_end = t->gpu_start = -1;
    t->preemptions = 0;
    t->work = p.work >= 0 ? p.work : draw_exec(t);
    if (c->job_work) {
        ts_time extra = c->job_work(c->ctx, id, t->release);
        t->work = extra > TS_TIME_MAX - t->work ? TS_TIME_MAX : t->work + extra;
    }
    t->remaining = (double)t->work;
    if (t->d->policy == TS_SCHED_FAIR) {
        double floor = fair_floor(c, t);
        if (t->vr < floor)
            t->vr = floor;
    }
    t->state = T_CPU;
    /* Off a core, the job waits, fresh until the next dispatch places or
     * queues it (most are placed at once: they never touch the run
     * queue); on one (a thread going straight on to its next job), it is
     * among the running. */
    if (t->core < 0) {
        node_state *n = &c->nodes[t->node];
        c->fresh[n->task_first + n->n_fresh++] = id;
        t->fresh = 1;
        if (t->d->policy == TS_SCHED_FAIR && t->vr < n->fresh_min_vr)
            n->fresh_min_vr = t->vr;
    }
}

static ts_job_record current_record(const task_state *t, int id, ts_time finish,
                                    int outcome)
{
    return (ts_job_record){
        .task = id, .node = t->node, .seq = t->seq, .release = t->release,
        .start = t->start, .finish = finish,
        .deadline = t->release + t->d->deadline, .outcome = outcome,
        .preemptions = t->preemptions, .work = t->work,
        .cpu_finish = t->cpu_end, .gpu_start = t->gpu_start, .tag = t->tag};
}

/* Reports the current job as finished now and moves to the next one;
 * with on_core, the task is still on its core and the next job starts
 * there now. */
static void finish_job(ts_compute *c, int id, int on_core)
{
    task_state *t = &c->tasks[id];
    ts_time now = ts_engine_now(c->engine);
    ts_job_record job = current_record(t, id, now, TS_JOB_DONE);
    next_job(c, id);
    if (on_core)
        t->start = now;
    c->done(c->ctx, &job);
}

/* ---- Dispatch ---- */

/* Rank order of runnable tasks on a node, a strict total order so every
 * decision is reproducible:
 *  - every FIFO task before every FAIR task (the real-time class is
 *    above the fair class, as in Linux);
 *  - FIFO: higher priority first; at equal priority a running job first
 *    (SCHED_FIFO never preempts for an equal priority), then the earlier
 *    release (FIFO order), then the lower task id;
 *  - FAIR: a running task whose slice is not over first, then the lower
 *    virtual runtime, then the lower task id.
 * Ties end at the task id rather than at event order, so simultaneous
 * releases are ranked the same whatever order their events ran in. The
 * run queues keep waiting tasks in this same order (runqueue.c). */
static int ranks_before(const task_state *a, int ia, const task_state *b, int ib)
{
    if (a->d->policy != b->d->policy)
        return a->d->policy == TS_SCHED_FIFO;
    if (a->d->policy == TS_SCHED_FIFO) {
        if (a->d->priority != b->d->priority)
            return a->d->priority > b->d->priority;
        int ra = a->core >= 0, rb = b->core >= 0;
        if (ra != rb)
            return ra;
        if (a->release != b->release)
            return a->release < b->release;
    } else {
        /* sticky is scratch of running tasks: a waiting one has none */
        int sa = a->core >= 0 && a->sticky, sb = b->core >= 0 && b->sticky;
        if (sa != sb)
            return sa;
        if (a->vr != b->vr)
            return a->vr < b->vr;
    }
    return ia < ib;
}

static int bit_test(const uint64_t *w, int k)
{
    return (int)((w[(unsigned)k / 64] >> ((unsigned)k % 64)) & 1u);
}

static void bit_clear(uint64_t *w, int k)
{
    w[(unsigned)k / 64] &= ~((uint64_t)1 << ((unsigned)k % 64));
}

/* A core for task id among the cores not yet given this round: its own if
 * still usable, else the lowest-numbered allowed core that was idle, else
 * the allowed core whose running job ranks lowest (lowest number on
 * ties); -1 if every allowed core went to a higher rank. Greedy in rank
 * order, as Linux's push/pull balancing, it is not an optimal matching
 * under affinities. */
static int pick_core(ts_compute *c, const node_state *n, int id, size_t words)
{
    const task_state *t = &c->tasks[id];
    if (t->core >= 0 && t->core < n->online && bit_test(c->free_cores, t->core) &&
        allowed(t, t->core))
        return t->core;
    const uint64_t *ok = ts__runq_allowed(c->rq, id);
    for (size_t w = 0; w < words; w++) {
        uint64_t x = ok[w] & c->free_cores[w] & c->idle_cores[w];
        if (x)
            return (int)(64 * w) + __builtin_ctzll(x);
    }
    int best = -1, best_rank = -1;
    for (size_t w = 0; w < words; w++) {
        for (uint64_t x = ok[w] & c->free_cores[w]; x; x &= x - 1) {
            int k = (int)(64 * w) + __builtin_ctzll(x);
            int r = c->tasks[c->cores[n->core0 + (size_t)k].task].rank;
            if (r > best_rank) {
                best_rank = r;
                best = k;
            }
        }
    }
    return best;
}

static void notify_load(ts_compute *c, int node)
{
    node_state *n = &c->nodes[node];
    gpu_node *g = gpu_of(c, n);
    int busy_gpus = g ? g->busy + (int)((g->part_busy + 999) / 1000) : 0;
    /* Whole and time-sliced GPUs running a kernel with its own power:
     * O(the node's GPUs), and only once some task has such a kernel. */
    int own = 0;
    double own_w = 0;
    for (int k = 0; g && c->any_gpu_power && k < n->gpus; k++) {
        int id = c->gpus[g->gpu0 + (size_t)k].task;
        if (id >= 0 && c->tasks[id].d->gpu_power_w > 0) {
            own++;
            own_w += c->tasks[id].d->gpu_power_w;
        }
    }
    if (n->busy_cores == n->rep_cores &&
        (!g || (busy_gpus == g->rep && own == g->own_rep && own_w == g->own_w_rep)))
        return;
    n->rep_cores = n->busy_cores;
    if (g) {
        g->rep = busy_gpus;
        g->own_rep = own;
        g->own_w_rep = own_w;
    }
    if (c->load_ex)
        c->load_ex(c->ctx, node, n->busy_cores, busy_gpus, own, own_w);
    else if (c->load)
        c->load(c->ctx, node, n->busy_cores, busy_gpus);
}

/* Appends a task to the back of a time-sliced GPU's round robin. */
static void share_push(ts_compute *c, size_t index, int id)
{
    gpu_share *s = &c->gshare[index];
    c->gring[s->first + (s->head + s->count++) % s->cap] = id;
}

/* Takes the task whose turn it is off a time-sliced GPU's round robin. */
static int share_pop(ts_compute *c, size_t index)
{
    gpu_share *s = &c->gshare[index];
    int id = c->gring[s->first + s->head];
    s->head = (s->head + 1) % s->cap;
    s->count--;
    return id;
}

/* Takes a task out of a time-sliced GPU's round robin, keeping the
 * others' order (a stop; off the hot path). */
static void share_remove(ts_compute *c, size_t index, int id)
{
    gpu_share *s = &c->gshare[index];
    int *ring = c->gring + s->first;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < s->count; i++) {
        int x = ring[(s->head + i) % s->cap];
        if (x != id)
            ring[(s->head + kept++) % s->cap] = x;
    }
    s->count = kept;
}

/* The node's time-sliced GPUs at a dispatch (the rule is in the opening
 * comment): a context whose slice is over while another waits goes to the
 * back of the ring; an idle GPU takes the ring's head. O(GPUs). */
static void dispatch_shared(ts_compute *c, node_state *n, gpu_node *gn,
                            ts_time now)
{
    for (int g = 0; g < n->gpus; g++) {
        size_t index = gn->gpu0 + (size_t)g;
        gpu_share *s = share_of(c, index);
        if (!s)
            continue;
        unit_state *u = &c->gpus[index];
        if (u->task >= 0 && s->count && slice_over(u, gn->timeslice, now)) {
            int id = u->task;
            node_busy_mark(c, n, now);
            unit_cancel(c, u);
            unit_vacate(u, now);
            gn->busy--;
            c->tasks[id].gpu = -1;
            c->tasks[id].state = T_GPU_QUEUED;
            share_push(c, index, id);
        }
        if (u->task < 0 && s->count) {
            int id = share_pop(c, index);
            task_state *t = &c->tasks[id];
            t->state = T_GPU_RUN;
            t->gpu = g;
            if (t->gpu_start < 0)
                t->gpu_start = now;
            node_busy_mark(c, n, now);
            gn->busy++;
            unit_occupy(u, id, now);
            u->slice_start = now;
        }
        arm_gpu(c, n, index);
    }
}

static void dispatch_gpus(ts_compute *c, int node, ts_time now)
{
    node_state *n = &c->nodes[node];
    gpu_node *gn = gpu_of(c, n);
    if (!gn)
        return;               /* nothing is ever submitted there */
    int *ring = c->gq + gn->q_first;
    size_t cap = n->task_count;
    /* Kernels submitted at one instant enter the FIFO by task id: sort the
     * few submitted since the last dispatch (insertion sort). */
    int *sub = c->gsub + gn->q_first;
    for (size_t i = 1; i < gn->sub_count; i++) {
        int id = sub[i];
        size_t j = i;
        for (; j > 0 && sub[j - 1] > id; j--)
            sub[j] = sub[j - 1];
        sub[j] = id;
    }
    for (size_t i = 0; i < gn->sub_count; i++) {
        task_state *t = &c->tasks[sub[i]];
        t->gpu_listed = 0;
        if (t->state != T_GPU_SUBMIT)
            continue;
        t->state = T_GPU_QUEUED;
        if (t->d->gpu_partition_milli) {
            /* its own partition: never taken by another task */
            size_t index = (size_t)c->part_of[sub[i]];
            t->state = T_GPU_RUN;
            t->gpu = t->d->shared_gpu - 1;
            t->gpu_start = now;
            node_busy_mark(c, n, now);
            gn->part_busy += t->d->gpu_partition_milli;
            unit_occupy(&c->parts[index], sub[i], now);
            arm_part(c, n, index);
            continue;
        }
        if (t->d->shared_gpu) {
            share_push(c, gn->gpu0 + (size_t)(t->d->shared_gpu - 1), sub[i]);
            continue;
        }
        ring[(gn->q_head + gn->q_count++) % cap] = sub[i];
    }
    gn->sub_count = 0;
    if (gn->shared)
        dispatch_shared(c, n, gn, now);
    /* FIFO: the head takes the lowest free GPU, a gang kernel the lowest
     * gang_gpus free ones once that many are free at once; until then
     * the kernels behind it wait too (no backfill: as Slurm's
     * sched/builtin, where once a job is left pending no job behind it in
     * the partition starts; slurm.schedmd.com/sched_config.html). */
    for (int g = 0; gn->q_count;) {
        int id = ring[gn->q_head];
        task_state *t = &c->tasks[id];
        int need = gang_of(t);
        if (need > 1) {
            int free = 0;
            for (int k = g; k < n->gpus; k++)
                free += whole_free(c, gn, k);
            if (free < need)
                break;
        }
        while (g < n->gpus && !whole_free(c, gn, g))
            g++;
        if (g >= n->gpus)
            break;
        gn->q_head = (gn->q_head + 1) % cap;
        gn->q_count--;
        t->state = T_GPU_RUN;
        t->gpu = g;
        t->gpu_start = now;
        node_busy_mark(c, n, now);
        for (int k = g, held = 0; held < need; k++)
            if (whole_free(c, gn, k)) {
                gn->busy++;
                unit_occupy(&c->gpus[gn->gpu0 + (size_t)k], id, now);
                held++;
            }
        arm_gpu(c, n, gn->gpu0 + (size_t)g);
    }
}

/* 1 if the task may use a core of the set. */
static int fits(const ts_compute *c, int id, const uint64_t *set, size_t words)
{
    const uint64_t *ok = ts__runq_allowed(c->rq, id);
    for (size_t w = 0; w < words; w++)
        if (ok[w] & set[w])
            return 1;
    return 0;
}

/* Decides, in rank order, which runnable task gets which core: fills each
 * core's `next`, queues the fresh tasks left waiting and returns 1 when a
 * FAIR task is left waiting. Three streams of runnable tasks are merged
 * best first: the running ones, the fresh ones (made ready since the last
 * dispatch) and the queued ones, until the cores are all given. */
static int assign_cores(ts_compute *c, int node, ts_time now)
{
    node_state *n = &c->nodes[node];
    size_t words = ts__runq_words(c->rq, node);
    for (size_t w = 0; w < words; w++) {
        int below = n->online - 64 * (int)w;   /* online cores in word w */
        c->free_cores[w] = below >= 64 ? UINT64_MAX
                           : below <= 0 ? 0 : ((uint64_t)1 << below) - 1;
    }

    /* The running tasks, the one that ranks last, and whether any sits on
     * a core just taken offline. */
    int *occ = c->occupants;
    int n_occ = 0, last = -1, offline = 0;
    unit_state *cores = c->cores + n->core0;
    for (size_t w = 0; w < words; w++) {
        int k0 = 64 * (int)w, k1 = n->cores < k0 + 64 ? n->cores : k0 + 64;
        uint64_t idle = 0;
        for (int k = k0; k < k1; k++) {
            unit_state *u = &cores[k];
            u->next = -1;
            if (u->task < 0) {
                idle |= (uint64_t)1 << (k - k0);
                continue;
            }
            int id = u->task;
            c->tasks[id].sticky = now < add_sat(u->slice_start, c->quantum);
            occ[n_occ++] = id;
            offline |= k >= n->online;
            if (last < 0 || ranks_before(&c->tasks[last], last, &c->tasks[id], id))
                last = id;
        }
        c->idle_cores[w] = idle & c->free_cores[w];   /* online idle cores */
    }

    /* The fresh tasks in rank order (insertion sort: usually one or two). */
    int *fresh = c->fresh + n->task_first;
    int n_fresh = (int)n->n_fresh;
    for (int i = 1; i < n_fresh; i++) {
        int id = fresh[i], j = i;
        while (j > 0 && ranks_before(&c->tasks[id], id, &c->tasks[fresh[j - 1]],
                                     fresh[j - 1])) {
            fresh[j] = fresh[j - 1];
            j--;
        }
        fresh[j] = id;
    }

    /* Common case: every running task ranks before every waiting one and
     * none sits on an offline core. The walk would then keep each on its
     * core before it reached a waiting task: do that without ranking the
     * running tasks, and walk the waiting ones over the idle cores.
     * Otherwise rank the running tasks (insertion sort: one per core). */
    int top = ts__runq_top(c->rq, node);
    int left = n->online, next_occ = 0, next_fresh = 0, fair_waiting = 0;
    if (!offline && (n_occ == 0 ||
                     ((top < 0 || ranks_before(&c->tasks[last], last,
                                               &c->tasks[top], top)) &&
                      (n_fresh == 0 || ranks_before(&c->tasks[last], last,
                                                    &c->tasks[fresh[0]], fresh[0]))))) {
        for (int i = 0; i < n_occ; i++) {
            int k = c->tasks[occ[i]].core;
            c->cores[n->core0 + (size_t)k].next = occ[i];
            bit_clear(c->free_cores, k);
        }
        left -= n_occ;
        next_occ = n_occ;
    } else {
        for (int i = 1; i < n_occ; i++) {
            int id = occ[i], j = i;
            while (j > 0 && ranks_before(&c->tasks[id], id, &c->tasks[occ[j - 1]],
                                         occ[j - 1])) {
                occ[j] = occ[j - 1];
                j--;
            }
            occ[j] = id;
        }
        for (int i = 0; i < n_occ; i++)
            c->tasks[occ[i]].rank = i;
    }

    /* The walk. A waiting task none of whose cores is left cannot get one
     * later in the walk either: the run queue parks such classes, and such
     * fresh tasks are passed over (they are queued below). A fresh task
     * placed here is marked -1 in the list. */
    while (left > 0) {
        while (next_fresh < n_fresh &&
               !fits(c, fresh[next_fresh], c->free_cores, words))
            next_fresh++;
        int head = ts__runq_best(c->rq, node, c->free_cores);
        int id = next_occ < n_occ ? occ[next_occ] : -1, from = 0;
        if (next_fresh < n_fresh &&
            (id < 0 || ranks_before(&c->tasks[fresh[next_fresh]], fresh[next_fresh],
                                    &c->tasks[id], id))) {
            id = fresh[next_fresh];
            from = 1;
        }
        if (head >= 0 && (id < 0 || ranks_before(&c->tasks[head], head,
                                                 &c->tasks[id], id))) {
            id = head;
            from = 2;
        }
        if (id < 0)
            break;
        if (from == 0)
            next_occ++;
        else if (from == 1) {
            fresh[next_fresh++] = -1;
            c->tasks[id].fresh = 0;
        }
        else
            ts__runq_remove(c->rq, head);
        int k = pick_core(c, n, id, words);
        if (k < 0) {          /* only a running task can miss here */
            fair_waiting |= c->tasks[id].d->policy == TS_SCHED_FAIR;
            continue;
        }
        c->cores[n->core0 + (size_t)k].next = id;
        bit_clear(c->free_cores, k);
        left--;
    }
    for (; next_occ < n_occ; next_occ++)
        fair_waiting |= c->tasks[occ[next_occ]].d->policy == TS_SCHED_FAIR;
    ts__runq_unpark(c->rq, node);

    /* Fresh tasks left waiting join the run queue. */
    for (int i = 0; i < n_fresh; i++) {
        if (fresh[i] < 0)
            continue;
        task_state *t = &c->tasks[fresh[i]];
        t->fresh = 0;
        ts__runq_push(c->rq, fresh[i], t->release, t->vr);
    }
    n->n_fresh = 0;
    n->fresh_min_vr = INFINITY;
    return fair_waiting || ts__runq_fair_count(c->rq, node) > 0;
}

static void dispatch(ts_compute *c, int node)
{
    node_state *n = &c->nodes[node];
    ts_time now = ts_engine_now(c->engine);
    if (!n->up) {
        notify_load(c, node);
        return;
    }
    account(c, node);
    dispatch_gpus(c, node, now);
    n->fair_waiting = assign_cores(c, node, now);

    /* Apply: vacate first, so a task moving between cores is never seen
     * on two; then occupy. */
    node_busy_mark(c, n, now);
    int n_displaced = 0;
    for (int k = 0; k < n->cores; k++) {
        unit_state *u = &c->cores[n->core0 + (size_t)k];
        if (u->task >= 0 && u->task != u->next) {
            task_state *t = &c->tasks[u->task];
            t->core = -1;
            /* Placed and displaced within one instant, a job never ran. */
            if (t->start == now)
                t->start = -1;
            else
                t->was_running = 1;
            c->displaced[n_displaced++] = u->task;
            unit_vacate(u, now);
            n->busy_cores--;
        }
    }
    for (int k = 0; k < n->cores; k++) {
        size_t index = n->core0 + (size_t)k;
        unit_state *u = &c->cores[index];
        if (u->next >= 0 && u->task != u->next) {
            task_state *t = &c->tasks[u->next];
            unit_occupy(u, u->next, now);
            n->busy_cores++;
            u->slice_start = now;
            t->core = k;
            t->was_running = 0;
            if (t->start < 0)
                t->start = now;
        } else if (u->task >= 0 && !c->tasks[u->task].sticky) {
            /* Kept by rank with its slice over: a fresh slice. */
            u->slice_start = now;
        }
        arm_core(c, n, index);
    }
    /* Tasks that lost their core and got none wait ranked again. */
    for (int i = 0; i < n_displaced; i++) {
        int id = c->displaced[i];
        task_state *t = &c->tasks[id];
        if (t->was_running) {
            t->preemptions++;
            t->was_running = 0;
        }
        if (t->core < 0)
            ts__runq_push(c->rq, id, t->release, t->vr);
    }
    notify_load(c, node);
}

static void on_dispatch(ts_engine *engine, void *ctx, uint64_t arg)
{
    ts_compute *c = ctx;
    (void)engine;
    c->nodes[arg].dispatch_queued = 0;
    dispatch(c, (int)arg);
}

/* ---- Events ---- */

static void on_core(ts_engine *engine, void *ctx, uint64_t arg)
{
    ts_compute *c = ctx;
    unit_state *u = &c->cores[arg];
    int node = u->node;
    u->ev = 0;
    account(c, node);
    if (u->ev_completion && u->task >= 0) {
        node_state *n = &c->nodes[node];
        ts_time now = ts_engine_now(engine);
        int id = u->task;
        task_state *t = &c->tasks[id];
        t->cpu_end = now;
        if (t->d->gpu_ns == 0 && t->pend_count > 0) {
            /* A thread with its next job already due does not block, so
             * it keeps its core (and its fair slice), as under Linux. */
            finish_job(c, id, 1);
        } else {
            node_busy_mark(c, n, now);
            unit_vacate(u, now);
            n->busy_cores--;
            t->core = -1;
            if (t->d->gpu_ns > 0) {
                t->state = T_GPU_SUBMIT;
                if (!t->gpu_listed) {
                    /* a task with GPU work runs only where there are GPUs
                     * (ts_compute_add_task) */
                    gpu_node *gn = gpu_of(c, n);
                    c->gsub[gn->q_first + gn->sub_count++] = id;
                    t->gpu_listed = 1;
                }
                t->remaining = (double)t->d->gpu_ns;
            } else {
                finish_job(c, id, 0);
            }
        }
    }
    /* A slice end only needs the re-ranking. */
    request_dispatch(c, node);
}

static void on_gpu(ts_engine *engine, void *ctx, uint64_t arg)
{
    ts_compute *c = ctx;
    unit_state *u = &c->gpus[arg];
    int node = u->node;
    node_state *n = &c->nodes[node];
    ts_time now = ts_engine_now(engine);
    u->ev = 0;
    int id = u->task;
    if (id >= 0 && !u->ev_completion) {
        /* a slice boundary: the dispatch turns the round robin */
        account(c, node);
    } else if (id >= 0) {
        account(c, node);
        node_busy_mark(c, n, now);
        if (gang_of(&c->tasks[id]) > 1)
            release_gang(c, n, id, now);
        unit_vacate(u, now);
        gpu_of(c, n)->busy--;
        c->tasks[id].gpu = -1;
        finish_job(c, id, 0);
    }
    request_dispatch(c, node);
}

static void on_part(ts_engine *engine, void *ctx, uint64_t arg)
{
    ts_compute *c = ctx;
    unit_state *u = &c->parts[arg];
    int node = u->node;
    node_state *n = &c->nodes[node];
    ts_time now = ts_engine_now(engine);
    u->ev = 0;
    int id = u->task;
    if (id >= 0) {
        account(c, node);
        node_busy_mark(c, n, now);
        unit_vacate(u, now);
        gpu_of(c, n)->part_busy -= c->tasks[id].d->gpu_partition_milli;
        c->tasks[id].gpu = -1;
        finish_job(c, id, 0);
    }
    request_dispatch(c, node);
}

static int push_release(ts_compute *c, task_state *t, ts_time release, uint64_t tag)
{
    if (c->max_waiting && t->pend_count >= c->max_waiting) {
        if (c->overflow)
            c->overflow(c->ctx, (int)(t - c->tasks), t->pend_count);
        return TS_ERANGE;
    }
    pend_entry *ring = pend_ring(t);
    if (t->pend_count == t->pend_cap) {
        size_t cap = t->pend_cap ? 2 * (size_t)t->pend_cap : 8;
        pend_entry *r = cap <= UINT32_MAX ? ts_malloc(cap * sizeof *r) : NULL;
        if (!r)
            return TS_ENOMEM;
        for (size_t i = 0; i < t->pend_count; i++)
            r[i] = ring[(t->pend_head + i) % t->pend_cap];
        ts_free(t->pending);
        t->pending = ring = r;
        t->pend_cap = (uint32_t)cap;
        t->pend_head = 0;
    }
    ring[(t->pend_head + t->pend_count) % t->pend_cap] =
        (pend_entry){.release = release, .work = -1, .tag = tag};
    t->pend_count++;
    c->nodes[t->node].pending_jobs++;
    return TS_OK;
}

/* The first release of a task (since start or its node's restart) makes
 * its memory resident; if that overflows the node, this task is the one
 * killed, and the job it was releasing is reported as killed. */
static int claim_memory(ts_compute *c, int id, ts_time now, uint64_t tag)
{
    task_state *t = &c->tasks[id];
    node_state *n = &c->nodes[t->node];
    if (t->mem_held || t->d->memory_bytes == 0)
        return 1;
    if (n->mem_limit > 0 && t->d->memory_bytes > n->mem_limit - n->mem_used) {
        t->state = T_DEAD;
        t->seq = t->next_seq++;
        t->release = now;
        t->tag = tag;
        t->start = t->cpu_end = t->gpu_start = -1;
        t->work = 0;
        t->preemptions = 0;
        ts_job_record job = current_record(t, id, -1, TS_JOB_KILLED);
        char name[32], detail[160];
        snprintf(detail, sizeof detail,
                 "%s killed: needs %lld bytes, node %d has %lld of %lld in use",
                 task_name(c, t, id, name, sizeof name),
                 (long long)t->d->memory_bytes, t->node,
                 (long long)n->mem_used, (long long)n->mem_limit);
        emit(c, TS_EV_OOM_KILL, t->node, id, (double)t->d->memory_bytes, detail);
        c->done(c->ctx, &job);
        return 0;
    }
    n->mem_used += t->d->memory_bytes;
    t->mem_held = 1;
    return 1;
}

static void on_release(ts_engine *engine, void *ctx, uint64_t arg)
{
    ts_compute *c = ctx;
    int id = (int)arg;
    task_state *t = &c->tasks[id];
    ts_time now = ts_engine_now(engine);
    /* The timer keeps its phase while the task cannot run, so it resumes
     * on its original release grid. */
    t->last_tick = now;
    t->ticked = 1;
    if (ts_engine_schedule(engine, add_sat(now, t->d->period), on_release, c,
                           arg, &t->rel_ev) != TS_OK)
        t->rel_ev = 0;
    if (!c->nodes[t->node].up || t->state == T_DEAD || t->stopped)
        return;
    if (!claim_memory(c, id, now, 0))
        return;
    if (push_release(c, t, now, 0) != TS_OK)
        return;
    if (t->state == T_IDLE) {
        if (t->d->policy == TS_SCHED_FAIR)
            account(c, t->node);  /* the floor needs current vruntimes */
        next_job(c, id);
        request_dispatch(c, t->node);
    }
}

int ts_compute_release(ts_compute *c, int task, ts_time release, uint64_t tag,
                       uint32_t keep_last, uint64_t *dropped)
{
    ts_time now = ts_engine_now(c->engine);
    if (!c->started || task < 0 || (size_t)task >= c->n_tasks || release > now ||
        release < -1)
        return TS_EINVAL;
    task_state *t = &c->tasks[task];
    if (!c->nodes[t->node].up || t->state == T_DEAD || t->stopped)
        return TS_OK;
    if (!claim_memory(c, task, now, tag))
        return TS_OK;
    /* The jobs not started yet: the current one while it waits for its
     * first core, then the ring. A full queue gives up its oldest tag;
     * the job that held it stays (it was released, its callback ready,
     * at its own instant) and takes the next tag in order, so the tags
     * shift one place towards the front and the newest goes last. */
    int current_waits = t->state == T_CPU && t->start < 0;
    if (keep_last > 0 && t->pend_count + (uint32_t)current_waits >= keep_last) {
        pend_entry *ring = pend_ring(t);
        uint64_t *front = current_waits ? &t->tag : &ring[t->pend_head].tag;
        *dropped = *front;
        uint32_t n = t->pend_count - (uint32_t)!current_waits;
        uint32_t at = current_waits ? t->pend_head : (t->pend_head + 1) % t->pend_cap;
        for (uint32_t i = 0; i < n; i++) {
            *front = ring[at].tag;
            front = &ring[at].tag;
            at = (at + 1) % t->pend_cap;
        }
        *front = tag;
        return 1;
    }
    int rc = push_release(c, t, release >= 0 ? release : now, tag);
    if (rc != TS_OK)
        return rc;
    if (t->state == T_IDLE) {
        if (t->d->policy == TS_SCHED_FAIR)
            account(c, t->node);
        next_job(c, task);
        request_dispatch(c, t->node);
    }
    return TS_OK;
}

/* ---- Start and end ---- */

/* The run queues, from the tasks' nodes, classes, priorities and allowed
 * cores (t->mask and t->any_high, set by ts_compute_start). */
static int build_runq(ts_compute *c)
{
    size_t nt = c->n_tasks ? c->n_tasks : 1, nn = c->n_nodes ? c->n_nodes : 1;
    ts__rq_task *desc = ts_malloc(nt * sizeof *desc);
    int *cores = ts_malloc(nn * sizeof *cores);
    int rc = TS_ENOMEM;
    if (desc && cores) {
        for (size_t i = 0; i < c->n_nodes; i++)
            cores[i] = c->nodes[i].cores;
        for (size_t i = 0; i < c->n_tasks; i++) {
            const task_state *t = &c->tasks[i];
            desc[i] = (ts__rq_task){.node = t->node,
                                    .fair = t->d->policy == TS_SCHED_FAIR,
                                    .priority = t->d->priority, .mask = t->mask,
                                    .any_high = t->any_high};
        }
        ts__runq_free(c->rq);
        c->rq = NULL;
        rc = ts__runq_new(c->n_nodes, cores, c->n_tasks, desc, &c->rq);
    }
    ts_free(desc);
    ts_free(cores);
    return rc;
}

/* The partition units, one per task bound with a partition, grouped by
 * node in task order within it. TS_OK or TS_ENOMEM. */
static int build_parts(ts_compute *c, size_t parts)
{
    c->parts = ts_calloc(parts, sizeof *c->parts);
    c->part_of = ts_malloc(c->n_tasks * sizeof *c->part_of);
    if (!c->parts || !c->part_of)
        return TS_ENOMEM;
    uint32_t next = 0;
    for (size_t i = 0; i < c->n_tasks; i++)
        c->part_of[i] = -1;
    for (size_t nd = 0; nd < c->n_nodes; nd++) {
        node_state *n = &c->nodes[nd];
        gpu_node *g = gpu_of(c, n);
        if (!g)
            continue;
        g->part0 = next;
        for (size_t k = 0; k < n->task_count; k++) {
            int id = c->node_tasks[n->task_first + k];
            if (!c->tasks[id].d->gpu_partition_milli)
                continue;
            c->parts[next] = (unit_state){.node = (int)nd, .task = -1, .next = -1};
            c->part_of[id] = (int)next++;
        }
        g->n_parts = next - g->part0;
    }
    return TS_OK;
}

/* The time-sliced GPUs' rings, sized by the tasks bound to each, and the
 * check that a node's unbound GPU tasks have a GPU no task is bound to. */
static int build_shares(ts_compute *c, ts_error *err)
{
    size_t n_gpus = 0;
    for (size_t i = 0; i < c->n_nodes; i++)
        n_gpus += (size_t)c->nodes[i].gpus;
    c->gshare = ts_calloc(n_gpus ? n_gpus : 1, sizeof *c->gshare);
    if (!c->gshare)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for compute");
    size_t bound = 0, parts = 0;
    for (size_t i = 0; i < c->n_tasks; i++) {
        const task_state *t = &c->tasks[i];
        if (!t->d->shared_gpu)
            continue;
        gpu_node *g = gpu_of(c, &c->nodes[t->node]);
        gpu_share *s = &c->gshare[g->gpu0 + (size_t)(t->d->shared_gpu - 1)];
        if (s->cap == 0 && s->parted == 0)
            g->shared++;
        if (t->d->gpu_partition_milli) {
            s->parted += t->d->gpu_partition_milli;
            parts++;
            if (s->parted > 1000) {
                char name[32];
                return ts_error_set(err, TS_EINFEASIBLE, NULL, 0,
                                    "%s: the partitions of GPU %d of node %d add "
                                    "up to more than one GPU",
                                    task_name(c, t, (int)i, name, sizeof name),
                                    t->d->shared_gpu - 1, t->node);
            }
            continue;
        }
        s->cap++;
        bound++;
    }
    for (size_t nd = 0; nd < c->n_nodes; nd++) {
        const gpu_node *g = gpu_of(c, &c->nodes[nd]);
        for (int k = 0; g && k < c->nodes[nd].gpus; k++) {
            const gpu_share *sh = &c->gshare[g->gpu0 + (size_t)k];
            if (sh->cap && sh->parted)
                return ts_error_set(err, TS_EINFEASIBLE, NULL, 0,
                                    "GPU %d of node %zu has both time-sliced tasks "
                                    "and partitions: a GPU is shared one way", k, nd);
        }
    }
    if (parts > 0 && build_parts(c, parts) != TS_OK)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for compute");
    c->gring = ts_malloc((bound ? bound : 1) * sizeof *c->gring);
    if (!c->gring)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for compute");
    uint32_t first = 0;
    for (size_t k = 0; k < n_gpus; k++) {
        c->gshare[k].first = first;
        first += c->gshare[k].cap;
    }
    for (size_t i = 0; i < c->n_tasks; i++) {
        const task_state *t = &c->tasks[i];
        const gpu_node *g = gpu_of(c, &c->nodes[t->node]);
        if (t->d->gpu_ns > 0 && !t->d->shared_gpu && g->shared == (uint32_t)c->nodes[t->node].gpus) {
            char name[32];
            return ts_error_set(err, TS_EINFEASIBLE, NULL, 0,
                                "%s needs a whole GPU but every GPU of node %d "
                                "is time-sliced or partitioned by tasks bound "
                                "to it",
                                task_name(c, t, (int)i, name, sizeof name), t->node);
        }
    }
    return TS_OK;
}

int ts_compute_start(ts_compute *c, ts_error *err)
{
    if (c->started)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "compute already started");
    size_t nt = c->n_tasks ? c->n_tasks : 1;
    /* The task array grew by doubling; a fleet's worth of slack would
     * stay for the whole run. */
    if (c->cap_tasks > nt) {
        /* A copy, not a shrinking realloc: that may fail and leave the
         * slack, which no caller would ever hear of. */
        task_state *fit = ts_malloc(nt * sizeof *fit);
        if (!fit)
            return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for compute tasks");
        memcpy(fit, c->tasks, nt * sizeof *fit);
        ts_free(c->tasks);
        c->tasks = fit;
        c->cap_tasks = nt;
    }
    c->node_tasks = ts_malloc(nt * sizeof *c->node_tasks);
    c->fresh = ts_malloc(nt * sizeof *c->fresh);
    if (!c->node_tasks || !c->fresh)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for compute");
    /* Counting sort by node keeps ids ascending within a node. */
    for (size_t i = 0; i < c->n_nodes; i++)
        c->nodes[i].task_count = 0;
    for (size_t i = 0; i < c->n_tasks; i++)
        c->nodes[c->tasks[i].node].task_count++;
    size_t first = 0, most_cores = 1, gpu_tasks = 0;
    for (size_t i = 0; i < c->n_nodes; i++) {
        c->nodes[i].task_first = first;
        first += c->nodes[i].task_count;
        gpu_node *g = gpu_of(c, &c->nodes[i]);
        if (g) {
            g->q_first = (uint32_t)gpu_tasks;
            gpu_tasks += c->nodes[i].task_count;
        }
        if ((size_t)c->nodes[i].cores > most_cores)
            most_cores = (size_t)c->nodes[i].cores;
        c->nodes[i].task_count = 0;
    }
    for (size_t i = 0; i < c->n_tasks; i++) {
        node_state *n = &c->nodes[c->tasks[i].node];
        c->node_tasks[n->task_first + n->task_count++] = (int)i;
        if (c->tasks[i].d->reserve_cores)
            n->reserved |= c->tasks[i].d->affinity;
    }
    /* GPU queues and submission lists only for the GPU nodes' tasks */
    c->gq = ts_malloc((gpu_tasks ? gpu_tasks : 1) * sizeof *c->gq);
    c->gsub = ts_malloc((gpu_tasks ? gpu_tasks : 1) * sizeof *c->gsub);
    if (!c->gq || !c->gsub)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for compute");
    int shares_rc = build_shares(c, err);
    if (shares_rc != TS_OK)
        return shares_rc;
    /* A gang needs that many whole GPUs: GPUs bound to time-sliced or
     * partitioned tasks are never free for it, and it would wait forever
     * at the head of its node's queue. O(tasks x GPUs), at load. */
    for (size_t i = 0; i < c->n_tasks; i++) {
        const task_state *t = &c->tasks[i];
        if (gang_of(t) < 2)
            continue;
        const node_state *n = &c->nodes[t->node];
        const gpu_node *gn = gpu_of(c, n);
        int whole = 0;
        for (int g = 0; gn && g < n->gpus; g++)
            whole += !share_of(c, gn->gpu0 + (size_t)g) && !c->gshare[gn->gpu0 + (size_t)g].parted;
        if (whole < gang_of(t))
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "task %zu needs %d whole GPUs at once but node %d has %d not "
                                "bound to shared or partitioned tasks", i, gang_of(t), t->node,
                                whole);
    }
    size_t words = (most_cores + 63) / 64;
    c->occupants = ts_malloc(most_cores * sizeof *c->occupants);
    c->displaced = ts_malloc(most_cores * sizeof *c->displaced);
    c->free_cores = ts_malloc(words * sizeof *c->free_cores);
    c->idle_cores = ts_malloc(words * sizeof *c->idle_cores);
    if (!c->occupants || !c->displaced || !c->free_cores || !c->idle_cores)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for compute");
    for (size_t i = 0; i < c->n_tasks; i++) {
        task_state *t = &c->tasks[i];
        const node_state *n = &c->nodes[t->node];
        uint64_t all = n->cores >= 64 ? UINT64_MAX : ((uint64_t)1 << n->cores) - 1;
        t->any_high = t->d->affinity == 0;
        if (t->d->reserve_cores)
            t->mask = t->d->affinity;
        else
            t->mask = (t->d->affinity ? t->d->affinity : all) & ~n->reserved;
        if (t->mask == 0 && !(t->any_high && n->cores > 64)) {
            char name[32];
            return ts_error_set(err, TS_EINFEASIBLE, NULL, 0,
                                "%s has no core on node %d: all its cores are "
                                "reserved by other tasks",
                                task_name(c, t, (int)i, name, sizeof name), t->node);
        }
    }
    if (build_runq(c) != TS_OK)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for compute");
    c->started = 1;
    ts_time now = ts_engine_now(c->engine);
    for (size_t i = 0; i < c->n_nodes; i++) {
        node_state *n = &c->nodes[i];
        n->busy_mark = n->online_mark = now;
        if (gpu_of(c, n))
            gpu_of(c, n)->mark = now;
    }
    for (size_t i = 0; i < c->n_tasks; i++) {
        if (c->tasks[i].d->period == 0)
            continue;   /* released by its owner (ts_compute_release) */
        int rc = ts_engine_schedule(c->engine, now + c->tasks[i].d->offset,
                                    on_release, c, (uint64_t)i,
                                    &c->tasks[i].rel_ev);
        if (rc != TS_OK)
            return ts_error_set(err, rc, NULL, 0, "cannot schedule releases");
    }
    return TS_OK;
}

/* Takes a task off its node's fresh list (a stop or a crash between its
 * release and the dispatch); O(fresh tasks), off the hot path. */
static void fresh_remove(ts_compute *c, int id)
{
    node_state *n = &c->nodes[c->tasks[id].node];
    int *list = c->fresh + n->task_first;
    size_t kept = 0;
    n->fresh_min_vr = INFINITY;
    for (size_t i = 0; i < n->n_fresh; i++) {
        const task_state *t = &c->tasks[list[i]];
        if (list[i] == id)
            continue;
        list[kept++] = list[i];
        if (t->d->policy == TS_SCHED_FAIR && t->vr < n->fresh_min_vr)
            n->fresh_min_vr = t->vr;
    }
    n->n_fresh = kept;
    c->tasks[id].fresh = 0;
}

/* Reports the current and waiting jobs of a task as ended with `outcome`
 * and leaves it idle; the caller has taken it off its core and GPU. */
static void drop_jobs(ts_compute *c, int id, int outcome)
{
    task_state *t = &c->tasks[id];
    int had = t->state != T_IDLE && t->state != T_DEAD;
    ts_job_record cur = current_record(t, id, -1, outcome);
    if (t->state != T_DEAD)   /* killed tasks stay so until a restart */
        t->state = T_IDLE;
    t->core = t->gpu = -1;
    if (t->fresh)
        fresh_remove(c, id);
    else if (c->rq)
        ts__runq_remove(c->rq, id);
    if (had)
        c->done(c->ctx, &cur);
    while (t->pend_count) {
        ts_time rel = pend_ring(t)[t->pend_head].release;
        uint64_t tag = pend_ring(t)[t->pend_head].tag;
        t->pend_head = (t->pend_head + 1) % t->pend_cap;
        t->pend_count--;
        c->nodes[t->node].pending_jobs--;
        ts_job_record job = {.task = id, .node = t->node, .seq = t->next_seq++,
                             .release = rel, .start = -1, .finish = -1,
                             .deadline = rel + t->d->deadline, .outcome = outcome,
                             .cpu_finish = -1, .gpu_start = -1, .tag = tag};
        c->done(c->ctx, &job);
    }
}

/* Stops everything running on a node's cores and GPUs at `now` and empties
 * its GPU queue (the end of a run, a node going down). */
static void halt_units(ts_compute *c, node_state *n, ts_time now)
{
    for (int k = 0; k < n->cores; k++) {
        unit_state *u = &c->cores[n->core0 + (size_t)k];
        unit_cancel(c, u);
        if (u->task >= 0)
            unit_vacate(u, now);
    }
    n->busy_cores = 0;
    gpu_node *gn = gpu_of(c, n);
    if (!gn)
        return;
    for (int g = 0; g < n->gpus; g++) {
        unit_state *u = &c->gpus[gn->gpu0 + (size_t)g];
        unit_cancel(c, u);
        if (u->task >= 0)
            unit_vacate(u, now);
    }
    gn->busy = 0;
    gn->q_count = 0;
    for (int g = 0; g < n->gpus && gn->shared; g++)
        if (share_of(c, gn->gpu0 + (size_t)g))
            c->gshare[gn->gpu0 + (size_t)g].count = 0;
    for (uint32_t k = 0; c->parts && k < gn->n_parts; k++) {
        unit_state *u = &c->parts[gn->part0 + k];
        unit_cancel(c, u);
        if (u->task >= 0)
            unit_vacate(u, now);
    }
    gn->part_busy = 0;
    for (size_t i = 0; i < gn->sub_count; i++)
        c->tasks[c->gsub[gn->q_first + i]].gpu_listed = 0;
    gn->sub_count = 0;
}

void ts_compute_flush_unfinished(ts_compute *c)
{
    ts_time now = ts_engine_now(c->engine);
    for (size_t i = 0; i < c->n_nodes; i++) {
        node_state *n = &c->nodes[i];
        account(c, (int)i);
        node_busy_mark(c, n, now);
        halt_units(c, n, now);
    }
    for (size_t i = 0; i < c->n_tasks; i++)
        drop_jobs(c, (int)i, TS_JOB_UNFINISHED);
}

/* ---- Changes ---- */

static int bad_node(const ts_compute *c, int node)
{
    return node < 0 || (size_t)node >= c->n_nodes;
}

int ts_compute_set_speed(ts_compute *c, int node, double cpu_scale,
                         double gpu_scale)
{
    if (bad_node(c, node) || !(cpu_scale > 0) || !(gpu_scale > 0) ||
        !isfinite(cpu_scale) || !isfinite(gpu_scale))
        return TS_EINVAL;
    node_state *n = &c->nodes[node];
    account(c, node);
    n->cpu_scale = cpu_scale;
    n->gpu_scale = gpu_scale;
    for (int k = 0; k < n->cores; k++)
        arm_core(c, n, n->core0 + (size_t)k);
    for (int g = 0; g < n->gpus; g++)
        arm_gpu(c, n, gpu_of(c, n)->gpu0 + (size_t)g);
    const gpu_node *gn = gpu_of(c, n);
    for (uint32_t k = 0; gn && c->parts && k < gn->n_parts; k++)
        arm_part(c, n, gn->part0 + k);
    return TS_OK;
}

int ts_compute_set_online_cores(ts_compute *c, int node, int count)
{
    if (bad_node(c, node) || count < 0)
        return TS_EINVAL;
    node_state *n = &c->nodes[node];
    if (count > n->cores)
        count = n->cores;
    if (count == n->online)
        return TS_OK;
    node_busy_mark(c, n, ts_engine_now(c->engine));
    n->online = count;
    if (c->started)
        request_dispatch(c, node);
    return TS_OK;
}

int ts_compute_set_node_up(ts_compute *c, int node, int up)
{
    if (bad_node(c, node))
        return TS_EINVAL;
    node_state *n = &c->nodes[node];
    up = up != 0;
    if (up == n->up)
        return TS_OK;
    ts_time now = ts_engine_now(c->engine);
    char detail[160];
    node_busy_mark(c, n, now);
    c->node_up[node] = (uint8_t)up;
    if (up) {
        n->up = 1;
        /* A reboot: OOM-killed tasks start again with their next release. */
        for (size_t k = 0; k < n->task_count; k++) {
            task_state *t = &c->tasks[c->node_tasks[n->task_first + k]];
            if (t->state == T_DEAD)
                t->state = T_IDLE;
        }
        snprintf(detail, sizeof detail, "node %d is up", node);
        emit(c, TS_EV_NODE_UP, node, -1, 1, detail);
        return TS_OK;
    }
    account(c, node);
    n->up = 0;
    halt_units(c, n, now);
    n->mem_used = 0;
    n->min_vr = 0;
    n->fair_waiting = 0;
    for (size_t k = 0; k < n->task_count; k++) {
        task_state *t = &c->tasks[c->node_tasks[n->task_first + k]];
        t->mem_held = 0;
        t->vr = 0;
    }
    snprintf(detail, sizeof detail, "node %d is down", node);
    emit(c, TS_EV_NODE_DOWN, node, -1, 0, detail);
    for (size_t k = 0; k < n->task_count; k++)
        drop_jobs(c, c->node_tasks[n->task_first + k], TS_JOB_NODE_DOWN);
    if (c->started)
        request_dispatch(c, node);
    return TS_OK;
}

static int bad_task(const ts_compute *c, int task)
{
    return task < 0 || (size_t)task >= c->n_tasks;
}

/* Takes a task out of its node's GPU FIFO, keeping the others' order. */
static void gq_remove(ts_compute *c, node_state *n, int id)
{
    gpu_node *gn = gpu_of(c, n);
    int *ring = c->gq + gn->q_first;
    size_t cap = n->task_count, kept = 0;
    for (size_t i = 0; i < gn->q_count; i++) {
        int x = ring[(gn->q_head + i) % cap];
        if (x != id)
            ring[(gn->q_head + kept++) % cap] = x;
    }
    gn->q_count = kept;
}

int ts_compute_set_task_running(ts_compute *c, int task, int running)
{
    if (bad_task(c, task))
        return TS_EINVAL;
    task_state *t = &c->tasks[task];
    int node = t->node;
    node_state *n = &c->nodes[node];
    running = running != 0;
    if (running == !t->stopped)
        return TS_OK;
    char buf[32], detail[160];
    const char *name = task_name(c, t, task, buf, sizeof buf);
    if (running) {
        t->stopped = 0;
        /* A fresh process: an OOM kill does not outlive it. */
        if (t->state == T_DEAD)
            t->state = T_IDLE;
        snprintf(detail, sizeof detail, "%s started on node %d", name, node);
        emit(c, TS_EV_TASK_STARTED, node, task, 1, detail);
        return TS_OK;
    }
    t->stopped = 1;
    ts_time now = ts_engine_now(c->engine);
    if (c->started) {
        account(c, node);
        node_busy_mark(c, n, now);
    }
    if (t->core >= 0) {
        unit_state *u = &c->cores[n->core0 + (size_t)t->core];
        unit_cancel(c, u);
        unit_vacate(u, now);
        n->busy_cores--;
    }
    if (t->state == T_GPU_RUN && t->d->gpu_partition_milli) {
        unit_state *u = &c->parts[c->part_of[task]];
        unit_cancel(c, u);
        unit_vacate(u, now);
        gpu_of(c, n)->part_busy -= t->d->gpu_partition_milli;
    } else if (t->state == T_GPU_RUN && t->gpu >= 0) {
        if (gang_of(t) > 1)
            release_gang(c, n, task, now);
        unit_state *u = &c->gpus[gpu_of(c, n)->gpu0 + (size_t)t->gpu];
        unit_cancel(c, u);
        unit_vacate(u, now);
        gpu_of(c, n)->busy--;
    } else if (t->state == T_GPU_QUEUED && t->d->shared_gpu) {
        share_remove(c, gpu_of(c, n)->gpu0 + (size_t)(t->d->shared_gpu - 1), task);
    } else if (t->state == T_GPU_QUEUED) {
        gq_remove(c, n, task);
    }
    if (t->mem_held) {
        n->mem_used -= t->d->memory_bytes;
        t->mem_held = 0;
    }
    /* A restarted process is placed at the fair floor, like a new one. */
    t->vr = 0;
    snprintf(detail, sizeof detail, "%s stopped on node %d", name, node);
    emit(c, TS_EV_TASK_STOPPED, node, task, 0, detail);
    drop_jobs(c, task, TS_JOB_STOPPED);
    if (c->started)
        request_dispatch(c, node);
    return TS_OK;
}

int ts_compute_set_task_timing(ts_compute *c, int task, ts_time period,
                               ts_time exec_min, ts_time exec_max)
{
    if (bad_task(c, task) || period < 0 || exec_min < 0 || exec_max < 0)
        return TS_EINVAL;
    task_state *t = &c->tasks[task];
    if (t->d->period == 0)
        period = 0;     /* its releases are its owner's */
    int range = exec_min > 0 || exec_max > 0;
    ts_time lo = exec_min > 0 ? exec_min : t->d->exec_min;
    ts_time hi = exec_max > 0 ? exec_max : t->d->exec_max;
    if (range && (lo <= 0 || hi < lo))
        return TS_EINVAL;
    /* The description with the new timing, found or made before anything
     * changes, so that running out of memory changes nothing. */
    ts_task_desc key = *t->d;
    if (period > 0)
        key.period = period;
    if (range) {
        key.exec_min = lo;
        key.exec_max = hi;
    }
    const ts_task_desc *d = shared_desc(c, &key);
    if (!d)
        return TS_ENOMEM;
    if (period > 0 && c->started && t->ticked) {
        ts_time now = ts_engine_now(c->engine);
        ts_time at = add_sat(t->last_tick, period);
        if (at < now)
            at = now;
        /* Arm the new timer before dropping the old one, so running out of
         * event memory leaves the task on its old grid, not without one. */
        ts_event_handle ev;
        if (ts_engine_schedule(c->engine, at, on_release, c, (uint64_t)task,
                               &ev) != TS_OK)
            return TS_ENOMEM;
        if (t->rel_ev)
            ts_engine_cancel(c->engine, t->rel_ev);
        t->rel_ev = ev;
    }
    if (range) {
        /* Waiting jobs were released under the old timing: draw their work
         * with it now, in job order, before it is replaced. */
        for (size_t i = 0; i < t->pend_count; i++) {
            pend_entry *p = &pend_ring(t)[(t->pend_head + i) % t->pend_cap];
            if (p->work < 0)
                p->work = draw_exec(t);
        }
        t->exec_dist = 0;
    }
    t->d = d;
    return TS_OK;
}

/* ---- Sampling ---- */

int ts_compute_node_stat_get(const ts_compute *c, int node,
                             ts_compute_node_stat *out)
{
    if (bad_node(c, node))
        return TS_EINVAL;
    const node_state *n = &c->nodes[node];
    const gpu_node *g = gpu_of(c, n);
    ts_time now = ts_engine_now(c->engine);
    /* Released jobs waiting for a core: later releases in the rings, and
     * current jobs in the run queue. */
    int waiting = n->pending_jobs + (int)n->n_fresh +
                  (c->rq ? ts__runq_count(c->rq, node) : 0);
    *out = (ts_compute_node_stat){
        .up = n->up, .cores = n->cores, .online_cores = n->online,
        .busy_cores = n->busy_cores, .gpus = n->gpus, .busy_gpus = g ? g->busy : 0,
        .run_queue = waiting, .memory_used = n->mem_used,
        .memory_bytes = n->mem_limit, .cpu_scale = n->cpu_scale,
        .gpu_scale = n->gpu_scale,
        .core_busy_ns = n->busy_acc + (ts_time)n->busy_cores * (now - n->busy_mark),
        .online_core_ns = n->online_acc +
                          (n->up ? (ts_time)n->online * (now - n->online_mark) : 0),
        .gpu_busy_ns = g ? g->acc + (ts_time)g->busy * (now - g->mark) +
                               (g->part_acc + (ts_time)g->part_busy * (now - g->mark)) / 1000
                         : 0};
    return TS_OK;
}

int ts_compute_node_up(const ts_compute *c, int node)
{
    return !bad_node(c, node) && c->node_up[node];
}

ts_time ts_compute_core_busy_ns(const ts_compute *c, int node, int core)
{
    if (bad_node(c, node) || core < 0 || core >= c->nodes[node].cores)
        return -1;
    const unit_state *u = &c->cores[c->nodes[node].core0 + (size_t)core];
    return u->busy_acc + (u->task >= 0 ? ts_engine_now(c->engine) - u->busy_since : 0);
}

int ts_compute_task_alive(const ts_compute *c, int task)
{
    if (task < 0 || (size_t)task >= c->n_tasks)
        return 0;
    const task_state *t = &c->tasks[task];
    return c->node_up[t->node] && t->state != T_DEAD && !t->stopped;
}

int ts_compute_task_running(const ts_compute *c, int task)
{
    if (task < 0 || (size_t)task >= c->n_tasks)
        return 0;
    return !c->tasks[task].stopped;
}
