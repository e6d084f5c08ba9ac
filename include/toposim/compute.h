/*
 * The compute model on the engine: nodes with cores, GPUs and memory
 * running periodic tasks' jobs. Real-time tasks (policy FIFO) follow
 * SCHED_FIFO: fixed priorities, preemptive, equal priorities in FIFO order;
 * the others (policy FAIR) share what the real-time tasks leave by a
 * CFS-like weighted round robin with a quantum. Work is given at a
 * reference clock and progresses at the node's current speed (power modes,
 * throttling); GPU kernels queue per node for a whole GPU, or share a
 * GPU they are bound to by round-robin time slices; memory is accounted and
 * exhaustion kills the offending task with an event. The model owns its
 * state; results leave through callbacks, and the owner samples the
 * per-node counters below.
 */
#ifndef TOPOSIM_COMPUTE_H
#define TOPOSIM_COMPUTE_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "toposim/dist.h"
#include "toposim/error.h"
#include "toposim/event.h"
#include "toposim/sim.h"

/* ---- Compute ---- */

enum {
    TS_SCHED_FIFO = 0,  /* fixed priority, preemptive (real-time class) */
    TS_SCHED_FAIR = 1   /* weighted fair share below every FIFO task */
};

#define TS_COMPUTE_WEIGHT_DEFAULT 1024
#define TS_COMPUTE_QUANTUM_DEFAULT (4 * TS_MS)
/* A time-sliced GPU's slice: 1024 us, the default TSG timeslice of
 * NVIDIA's Tegra GPU driver (nvgpu, include/nvgpu/tsg.h,
 * NVGPU_TSG_TIMESLICE_DEFAULT_US; it allows 1 ms to 50 ms). Discrete
 * GPUs' driver slice is not published: using it there is an assumption. */
#define TS_COMPUTE_GPU_TIMESLICE_DEFAULT (1024 * TS_US)

/* A task bound to a node: a job every period from offset, due `deadline`
 * after its release; with period 0, a job only when its owner calls
 * ts_compute_release (a callback on a message's arrival, a sporadic
 * source). A task is one thread: its jobs run one at a time, in release
 * order. Every field after exec_max is optional: zero means the feature
 * is off or takes its default. */
typedef struct ts_task_desc {
    int node;
    int priority;             /* FIFO tasks: larger first */
    ts_time period, offset, deadline, exec_min, exec_max;
    int policy;               /* TS_SCHED_FIFO (0) or TS_SCHED_FAIR */
    int weight;               /* FAIR share weight; 0: 1024 */
    uint64_t affinity;        /* bit i: may run on core i; 0: any core */
    int reserve_cores;        /* 1: the affinity cores run only tasks that
                                 reserved them (needs an affinity) */
    ts_dist exec;             /* CPU work per job at the reference clock;
                                 kind NONE: uniform in [exec_min, exec_max].
                                 A histogram must be prepared and outlive
                                 the model (its table is borrowed). */
    ts_time gpu_ns;           /* GPU kernel per job at the reference GPU
                                 clock, after the CPU part; 0: none */
    int shared_gpu;           /* 1 + the node's GPU its kernels share by
                                 time slices with the other tasks bound
                                 there (round robin, the node's GPU time
                                 slice each); 0: kernels queue FIFO for
                                 any of the node's GPUs no task is bound
                                 to (a whole GPU) */
    int gpu_partition_milli;  /* with shared_gpu: its kernels run on a hard
                                 partition of that GPU (as a MIG instance)
                                 at this many thousandths of the GPU's
                                 throughput, beside the other partitions,
                                 never waiting for them; 0: time-sliced */
    int64_t memory_bytes;     /* resident from the first release; 0: none */
    double gpu_power_w;       /* what its kernel draws on a whole or
                                 time-sliced GPU at the reference GPU
                                 clock, in place of the node's per-GPU
                                 dynamic power (a model variant's figure,
                                 README "Model variants"); 0: the node's.
                                 Not applied on a partition. */
    int gang_gpus;            /* > 1 (whole GPUs, shared_gpu 0): its kernel
                                 needs this many of the node's whole GPUs
                                 at once (gang scheduling) and its gpu_ns
                                 is split evenly across them; 0 or 1: one */
    const char *component;    /* name in event details (copied); NULL:
                                 "task <id>" */
} ts_task_desc;

/* How a reported job ended. */
enum {
    TS_JOB_DONE = 0,          /* finished normally */
    TS_JOB_UNFINISHED = 1,    /* still running or waiting at the end */
    TS_JOB_KILLED = 2,        /* its task was OOM-killed */
    TS_JOB_NODE_DOWN = 3,     /* its node went down */
    TS_JOB_STOPPED = 4        /* its task was stopped (crash, standby,
                                 rollout) by ts_compute_set_task_running */
};

typedef struct ts_job_record {
    int task, node;
    uint64_t seq;
    ts_time release, start, finish, deadline; /* start/finish -1 if never */
    int outcome;              /* TS_JOB_* */
    int preemptions;          /* times it lost its core before its CPU part
                                 ended (a higher priority, a fair slice, an
                                 offlined core) */
    ts_time work;             /* drawn CPU work (with job_work's) at the
                                 reference clock; 0 when the job never
                                 became current */
    ts_time cpu_finish;       /* end of its CPU part, -1 if not reached */
    ts_time gpu_start;        /* its kernel's start, -1 if none yet */
    uint64_t tag;             /* the tag its release was given
                                 (ts_compute_release); 0 for a timer's */
} ts_job_record;

typedef void (*ts_job_done_fn)(void *ctx, const ts_job_record *job);

/* Called whenever a node's busy core or busy GPU count changes (once per
 * instant, after that instant's scheduling decisions); running partitions
 * count as their shares summed, rounded up to whole GPUs. It may call
 * back into the model. */
typedef void (*ts_compute_load_fn)(void *ctx, int node, int busy_cores,
                                   int busy_gpus);

/* The same, also when only the following change: of the busy GPUs, how
 * many run a kernel with its own power (gpu_power_w) and those powers
 * summed (at the reference GPU clock). */
typedef void (*ts_compute_load_ex_fn)(void *ctx, int node, int busy_cores,
                                      int busy_gpus, int own_power_gpus,
                                      double own_power_w);

/* Called when a release would make more than max_waiting jobs of one task
 * wait (its jobs arrive faster than they finish); the release is dropped.
 * waiting is the number already waiting. */
typedef void (*ts_compute_overflow_fn)(void *ctx, int task, size_t waiting);

/* CPU work (reference ns, >= 0) to add to a task's job that becomes
 * current now, released at `release` (work that depends on what reached
 * the task or what the job will send, such as deserialisation and
 * serialisation). It must not call back into the model. */
typedef ts_time (*ts_compute_work_fn)(void *ctx, int task, ts_time release);

typedef struct ts_compute_config {
    size_t n_nodes;
    const int *cores;              /* per node, >= 0 (copied) */
    const int *gpus;               /* per node, >= 0; NULL: no GPUs */
    const int64_t *memory_bytes;   /* per node; NULL or 0: unlimited */
    ts_time quantum;               /* fair-share slice; 0: 4 ms */
    const ts_time *gpu_timeslice;  /* per node: time slice of its shared
                                      GPUs, >= 0; NULL or 0: 1024 us */
    ts_job_done_fn done;           /* required */
    ts_compute_load_fn load;       /* NULL: not observed */
    ts_compute_load_ex_fn load_ex; /* called instead of load when set */
    ts_platform_event_fn event;    /* "oom_kill", "node_down", "node_up",
                                      "task_stopped", "task_started";
                                      NULL: not reported */
    void *ctx;                     /* passed to all the callbacks */
    size_t max_waiting;            /* released jobs one task may have
                                      waiting; 0: unbounded */
    ts_compute_overflow_fn overflow; /* a release beyond max_waiting;
                                        NULL: dropped unreported */
    ts_compute_work_fn job_work;   /* added to each job's drawn work when
                                      it becomes current; NULL: none */
} ts_compute_config;

typedef struct ts_compute ts_compute;

/* A compute model for cfg->n_nodes nodes, all up, every core online, at
 * the reference speed. Caller frees with ts_compute_free. */
int ts_compute_new(ts_engine *engine, const ts_compute_config *cfg,
                   ts_compute **out, ts_error *err);
void ts_compute_free(ts_compute *c);

/* Adds a task (before ts_compute_start); rng (borrowed, must outlive c)
 * draws its execution times. Returns the task id (>= 0, in order of
 * addition) or a negative TS_ code. */
int ts_compute_add_task(ts_compute *c, const ts_task_desc *task, gsl_rng *rng,
                        ts_error *err);

/* Checks affinities against reserved cores and schedules every task's
 * first release; call once before running. */
int ts_compute_start(ts_compute *c, ts_error *err);

/* Releases a job of a task now, carrying tag to its record: for a task
 * with period 0 (any task accepts it). Its release instant is `release`
 * (<= now; a callback an executor took later than it became ready keeps
 * the instant it became ready, which ranks it and sets its deadline), or
 * now when release is -1. As a timer's release, it records
 * nothing while the task's node is down or the task is stopped or
 * OOM-killed (returns TS_OK), and claims the task's memory first. With
 * keep_last > 0 the task keeps at most keep_last released jobs that have
 * not started (as a subscription's KEEP_LAST history keeps samples its
 * callback has not taken): when full, the oldest one's tag is given up
 * (*dropped = that tag, return 1) and its place goes to the next one in
 * release order, the job keeping its earlier release instant (it became
 * ready then) and taking the next tag. Returns TS_OK, 1 on such a drop,
 * TS_EINVAL for a bad task or a model not started, or TS_ERANGE when the
 * model's max_waiting bound is reached (reported to overflow). Allocates
 * only when the task's queue grows past its largest size so far. */
int ts_compute_release(ts_compute *c, int task, ts_time release, uint64_t tag,
                       uint32_t keep_last, uint64_t *dropped);

/* Reports jobs released but not finished (running, waiting or on a GPU)
 * with finish -1 and outcome TS_JOB_UNFINISHED, task by task in release
 * order. */
void ts_compute_flush_unfinished(ts_compute *c);

/* ---- Changes from the power, thermal and fault models (any time) ---- */

/* Sets a node's CPU and GPU speed relative to the reference clocks (> 0;
 * 1.0 = reference). Running jobs and kernels keep the work done so far and
 * finish their remaining work at the new speed from now. */
int ts_compute_set_speed(ts_compute *c, int node, double cpu_scale,
                         double gpu_scale);

/* Keeps cores 0..n-1 online (n clamped to the node's cores); jobs on the
 * others are preempted and requeued. */
int ts_compute_set_online_cores(ts_compute *c, int node, int n);

/* Takes a node down (its running, waiting and GPU jobs are reported with
 * finish -1 and outcome TS_JOB_NODE_DOWN, its memory is freed, releases
 * record nothing until it is up) or brings it up again (every task,
 * OOM-killed ones included, restarts as after a reboot; tasks stopped by
 * ts_compute_set_task_running stay stopped). Reports "node_down" /
 * "node_up"; setting the current state does nothing. */
int ts_compute_set_node_up(ts_compute *c, int node, int up);

/* ---- Sampling (exact at the current engine time) ---- */

typedef struct ts_compute_node_stat {
    int up;
    int cores, online_cores, busy_cores;
    int gpus, busy_gpus;
    int run_queue;            /* released jobs waiting for a core */
    int64_t memory_used, memory_bytes;   /* memory_bytes 0: unlimited */
    double cpu_scale, gpu_scale;
    ts_time core_busy_ns;     /* cumulative busy time summed over cores */
    ts_time online_core_ns;   /* cumulative online cores x time while up,
                                 the denominator of CPU utilisation */
    ts_time gpu_busy_ns;      /* cumulative busy time summed over GPUs (a
                                 running partition counts its share) */
} ts_compute_node_stat;

/* Fills *out with node's state now; TS_EINVAL for a bad node. */
int ts_compute_node_stat_get(const ts_compute *c, int node,
                             ts_compute_node_stat *out);

/* Cumulative busy time of one core up to now (-1 for a bad node/core). */
ts_time ts_compute_core_busy_ns(const ts_compute *c, int node, int core);

/* Stops (running 0) or starts a task's process, as a crash, a cold
 * standby or a rollout does, whether its node is up or down. Stopping
 * reports its current and waiting jobs now with finish -1 and outcome
 * TS_JOB_STOPPED, frees its core, GPU and GPU-queue place for the others
 * at once, releases its memory and skips its releases (recording nothing;
 * the release timer keeps its phase, as while its node is down). Starting
 * resumes with its next release on that grid, which claims its memory
 * again under the OOM rule; a start also revives an OOM-killed task (a
 * fresh process). Reports "task_stopped" / "task_started"; setting the
 * current state does nothing. Allowed before ts_compute_start. TS_OK or
 * TS_EINVAL for a bad task. */
int ts_compute_set_task_running(ts_compute *c, int task, int running);

/* Changes a task's timing from its next release on (safety mode, a new
 * version): period (ignored for a task with period 0, whose releases
 * stay its owner's), and execution time uniform in [exec_min, exec_max]
 * (0 values keep the current ones; giving either bound replaces the
 * task's distribution, if any, by the range). Jobs already released keep
 * the work of the timing they were released under; deadline and GPU time
 * are unchanged. A new period re-arms the release timer for the last
 * release instant on its grid (skipped ones included) plus the new
 * period, or now if that is past; before the first release the first
 * release stays at the offset. Nothing changes on an error: TS_EINVAL for
 * a bad task, a negative value or a range that is not 0 < min <= max,
 * TS_ENOMEM when the timer cannot be re-armed. */
int ts_compute_set_task_timing(ts_compute *c, int task, ts_time period,
                               ts_time exec_min, ts_time exec_max);

/* 1 when the node is up, 0 when down or not a node. O(1), for
 * per-message liveness checks (ts_compute_node_stat_get is O(1) too, but
 * fills a whole sample). */
int ts_compute_node_up(const ts_compute *c, int node);

/* 1 while a task can run: its node is up, it is started and it is not
 * OOM-killed; 0 otherwise or for a bad task. */
int ts_compute_task_alive(const ts_compute *c, int task);

/* 1 unless the task was stopped with ts_compute_set_task_running (its
 * node's state and OOM kills do not count); 0 for a bad task. */
int ts_compute_task_running(const ts_compute *c, int task);

#endif
