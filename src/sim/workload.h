/*
 * Private to src/sim/: the workload. One compute task per component (task
 * ids equal component indices), each with its own random stream; a job
 * that finishes is a /jobs row and publishes its component's topics, each
 * sample sent to each subscriber over the network. Jobs are released by
 * a timer (periodic), by the workload's own arrival process (Poisson,
 * sporadic) or by the samples of a trigger topic a component receives,
 * which wait in a queue as deep as the subscriber's KEEP_LAST history.
 */
#ifndef TOPOSIM_SIM_WORKLOAD_H
#define TOPOSIM_SIM_WORKLOAD_H

#include "sim/bus.h"
#include "sim/recorder.h"
#include "sim/runtime_sim.h"
#include "sim/transport.h"
#include "toposim/compute.h"
#include "toposim/network.h"
#include "toposim/trace.h"

typedef struct ts__workload ts__workload;

/* A job's tag (ts_job_record.tag) names the sample that released it: the
 * trigger topic's index and the sample's seq. 0 for a job a timer or an
 * arrival process released. Seqs stay below 2^40 and topic indices below
 * 2^24 - 1 (a fleet's topics are ints, a trace's rows far fewer). */
#define TS_JOB_TAG(topic, seq) ((((uint64_t)(topic) + 1) << 40) | ((uint64_t)(seq) & ((UINT64_C(1) << 40) - 1)))
#define TS_JOB_TAG_TOPIC(tag) ((int)((tag) >> 40) - 1) /* -1: no sample */
#define TS_JOB_TAG_SEQ(tag) ((uint64_t)(tag) & ((UINT64_C(1) << 40) - 1))

/* What the workload asks of the subsystems built after it (world.c wires
 * them): whether a topic's sample goes through the DDS layer instead
 * (returns 1 when it did, with the seq its writer gave it), each finished
 * job before it publishes, (may be NULL) each sample a finished job
 * publishes: job->tag names the sample that triggered the job
 * (TS_JOB_TAG_TOPIC / _SEQ; 0 when a timer or an arrival released it),
 * topic and seq the sample it publishes, so a sample can be followed
 * through a chain of triggered components (a sample through the DDS
 * layer is reported with the seq its writer gave it, UINT64_MAX when the
 * writer rejected it), and whether subscriber slot k of a topic is owed
 * a sample now (NULL: always; discovery.h's matching when the scenario
 * declares it). */
typedef struct ts__workload_hooks {
    int (*qos_publish)(void *ctx, int topic, uint64_t *seq);
    void (*job_seen)(void *ctx, const ts_job_record *job);
    void (*sample_published)(void *ctx, const ts_job_record *job, int topic, uint64_t seq);
    int (*deliverable)(void *ctx, int topic, int k);
    /* (may be NULL) which subscriber of topic gets sample seq when
     * subscriber is one of a worker pool's replicas (the pool's one
     * pick, asked once per pooled subscriber; -1: subscriber is in no
     * pool and gets it as usual; -2: no replica takes it), and each
     * change to a triggered component's queue (+1 a sample taken in, -1
     * one dropped or its job reported) */
    int (*route)(void *ctx, int topic, uint64_t seq, int subscriber);
    void (*queued)(void *ctx, int component, int delta);
    void *ctx;
} ts__workload_hooks;

/* Adds every component's task to compute. end is the run's duration (a
 * job still unfinished at the end is a miss once its deadline falls
 * within it). Free with ts__workload_free, also after a failed start. */
int ts__workload_new(const ts__shared *sh, uint64_t seed, ts_time end, ts_trace_writer *trace,
                     ts_compute *compute, ts_network *net, ts__workload **out, ts_error *err);
void ts__workload_free(ts__workload *wl);

/* Connects what publishing needs, built after the tasks. */
void ts__workload_connect(ts__workload *wl, ts__rts *rts, ts__recorder *recorder,
                          const ts__workload_hooks *hooks);

/* Same-node samples take the transport's latency and jobs serialise
 * what they publish (transport borrowed; without one, neither). */
void ts__workload_set_transport(ts__workload *wl, ts__transport *transport);

/* The compute model's job_work for a job of component released at
 * `release` that becomes current: decides which of the component's
 * rate-limited topics it publishes and returns their serialisation work
 * (0 for a standby, which publishes nothing). */
ts_time ts__workload_job_work(ts__workload *wl, int component, ts_time release);

/* At the end of the run: fn(ctx, component, tag) for the oldest sample
 * waiting in each executor subscription's queue, which no job holds (a
 * component outside a process holds its samples in its waiting jobs,
 * reported as unfinished jobs instead). */
void ts__workload_each_waiting(const ts__workload *wl,
                               void (*fn)(void *ctx, int component, uint64_t tag), void *ctx);

/* A finished (or, at the end, unfinished) job from the compute model. */
void ts__workload_job(ts__workload *wl, const ts_job_record *job);

/* Whether topic is the trigger (trigger=) of component subscriber: only
 * then does a delivery concern the workload. O(1). */
int ts__workload_triggers(const ts__workload *wl, int topic, int subscriber);

/* A sample of topic (seq) delivered to component subscriber now: releases
 * a job when it is the component's trigger topic (a queue_drop event when
 * its queue was full). O(1); allocates only when the component's queue
 * grows past its largest size so far. */
void ts__workload_delivered(ts__workload *wl, int topic, int subscriber, uint64_t seq);

/* Adds the job counts to stats. */
void ts__workload_stats(const ts__workload *wl, ts_run_stats *stats);

#endif
