/*
 * Private to src/sim/: processing chains followed through the run, with
 * the cause-effect semantics of the automotive and ROS 2 literature
 * (Becker et al., "End-to-end timing analysis of cause-effect chains in
 * automotive embedded systems", JSA 2017 / RTCSA 2016; Casini et al.,
 * "Response-time analysis of ROS 2 processing chains under reservation-
 * based scheduling", ECRTS 2019; Teper et al., "End-to-end timing analysis
 * in ROS 2", RTSS 2022). Every job of a chain's first component stamps its
 * data with its release time; a later stage's job carries the stamp of the
 * sample it read; every output of the last stage is a /chain_instances
 * row with that stamp (the input time) and the job's end (the output
 * time), so data age and reaction time come from the trace. /chains is
 * written at the start. Everything is allocated at the start: per stage a
 * fixed ring of recent jobs (to find the stamp a published sample
 * carries) and of recent deliveries (to find what a job read); an entry
 * pushed out of a ring before it was needed is counted, never grown.
 *
 * A job triggered by a sample (trigger=) names it in its record's tag
 * (TS_JOB_TAG in workload.h); world.c's job hook passes the tag's topic
 * and sequence number, topic -1 for a timer job.
 */
#ifndef TOPOSIM_SIM_CHAINS_H
#define TOPOSIM_SIM_CHAINS_H

#include "sim/bus.h"
#include "toposim/compute.h"
#include "toposim/network.h"
#include "toposim/trace.h"

typedef struct ts__chains ts__chains;

/* Most entries a stage keeps of its recent jobs and of its recent
 * deliveries. A job reads a sample delivered within the last RING
 * deliveries of its input topic and a delivery finds its publisher's job
 * within that job's last RING jobs unless the stages run at rates more
 * than RING apart or samples spend longer than RING periods on the way;
 * what falls out is counted (ts__chains_overflows). Between two periodic
 * stages a ring covers the chain's budget of the writer's periods
 * instead (chains.c, ring_size), at least RING_MIN entries: a fleet
 * keeps a chain per robot. */
#define TS__CHAINS_RING 64
#define TS__CHAINS_RING_MIN 8

/* Follows the scenario's chains; writes /chains. NULL *out (and TS_OK)
 * without chains, which every other call accepts. Free with
 * ts__chains_free, also after a failed start. */
int ts__chains_start(const ts__shared *sh, ts_trace_writer *trace, ts__chains **out,
                     ts_error *err);
void ts__chains_free(ts__chains *c);

/* A job of any component, finished or not (the compute model's record,
 * given before the job publishes). trigger_topic -1: a timer job, which
 * reads the latest sample its input topic delivered by the job's start
 * (implicit communication, Becker et al.); else the job that sample
 * (trigger_topic, trigger_seq) triggered, which reads that sample, and
 * samples of the topic that arrived before it and triggered no job are
 * dropped chain instances. Allocates nothing. */
void ts__chains_job(ts__chains *c, const ts_job_record *job, int trigger_topic,
                    uint64_t trigger_seq);

/* At the end of the run, sample seq of topic still waits in component's
 * subscription queue, held by no job: the samples of the topic that
 * arrived before it and triggered no job were overwritten, dropped chain
 * instances as for ts__chains_job. Allocates nothing. */
void ts__chains_waiting(ts__chains *c, int component, int topic, uint64_t seq);

/* A topic sample's outcome as the recorder records it (ctx is the
 * chains); only deliveries to a chain stage are kept. Allocates nothing. */
void ts__chains_message(void *ctx, const ts_packet *p);

/* Entries that left a ring before they were needed (0 in a run whose
 * rates and delays the rings cover): instances not recorded. */
uint64_t ts__chains_overflows(const ts__chains *c);

/* ... of chain `chain` (a row of /chains). */
uint64_t ts__chains_overflows_of(const ts__chains *c, size_t chain);

#endif
