/*
 * Private to src/sim/: DDS discovery over the simulated network, when the
 * scenario declares <discovery>. One participant per node that hosts a
 * component; each announces itself (SPDP) to the others, first a burst
 * then at a period, and on learning of a peer sends it its endpoints
 * (SEDP), re-sent until acknowledged. A writer-reader pair matches when
 * both sides have accepted the other's endpoints; a sample published
 * before that is not delivered and is counted. The subsystem owns the
 * match state of every (topic, subscriber) pair; the trace gets
 * "dds_discovery" at the start, "dds_match" and "dds_unmatched_samples"
 * per pair as it matches, "dds_no_match" at the end for the rest.
 */
#ifndef TOPOSIM_SIM_DISCOVERY_H
#define TOPOSIM_SIM_DISCOVERY_H

#include "sim/bus.h"
#include "toposim/network.h"

/* The topic label of discovery's own packets (topic samples have >= 0). */
#define TS__DISCOVERY_TOPIC (-2)

typedef struct ts__discovery ts__discovery;

/* What discovery tells the subsystems built after it (world.c wires it):
 * a pair matched, so the DDS layer connects its writer and reader; the
 * return is how many samples written before the match the reader still
 * gets from the writer's history (TRANSIENT_LOCAL), else 0. */
typedef struct ts__discovery_hooks {
    uint64_t (*matched)(void *ctx, int topic, int subscriber_slot);
    void *ctx;
} ts__discovery_hooks;

/* *out stays NULL when the scenario has no <discovery>. Participants
 * join from the scenario's start=; free with ts__discovery_free, also
 * after a failed start. */
int ts__discovery_start(const ts__shared *sh, ts_network *net, ts__discovery **out,
                        ts_error *err);
void ts__discovery_free(ts__discovery *d);

/* Sets the match hook (before the run). */
void ts__discovery_connect(ts__discovery *d, const ts__discovery_hooks *hooks);

/* 1 when subscriber slot k of topic has matched its writer (always when d
 * is NULL); else counts one sample it will not get and returns 0. */
int ts__discovery_deliverable(ts__discovery *d, int topic, int k);

/* 1 when topic's slot k is matched now (always when d is NULL); counts
 * nothing. */
int ts__discovery_matched(const ts__discovery *d, int topic, int k);

/* A packet of discovery's own (topic TS__DISCOVERY_TOPIC) is done. */
void ts__discovery_packet(ts__discovery *d, const ts_packet *p);

/* At the end: "dds_no_match" (and its unmatched samples) for every pair
 * that never matched. d may be NULL. */
void ts__discovery_finish(ts__discovery *d);

#endif
