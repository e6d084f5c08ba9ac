/*
 * Private to src/sim/: topics that declare QoS, through the deployment
 * code's DDS layer on the runtime, with the /messages rows the
 * application would see (delivered, lost when skipped, in flight at the
 * end).
 */
#ifndef TOPOSIM_SIM_QOS_TOPICS_H
#define TOPOSIM_SIM_QOS_TOPICS_H

#include "sim/bus.h"
#include "sim/discovery.h"
#include "sim/recorder.h"
#include "sim/runtime_sim.h"
#include "sim/transport.h"

typedef struct ts__qos_topics ts__qos_topics;

/* A writer per QoS topic and a reader per subscriber (*out stays NULL
 * when no topic declares QoS), matched at once, or, with disc (may be
 * NULL), each pair when discovery matches it (ts__qos_matched). Free with
 * ts__qos_free, also after a failed start. */
int ts__qos_start(const ts__shared *sh, ts__rts *rts, ts__recorder *recorder,
                  ts__discovery *disc, ts__qos_topics **out, ts_error *err);

/* Discovery matched subscriber slot k of topic: connects the pair (q may
 * be NULL, the topic may have no QoS: nothing to do, 0). Returns how many
 * samples written before the match the reader gets from the writer's
 * retained history (TRANSIENT_LOCAL on both sides, at most the reader's
 * KEEP_LAST depth; lifespan expiry not counted). */
uint64_t ts__qos_matched(ts__qos_topics *q, int topic, int k);
void ts__qos_free(ts__qos_topics *q);

/* Publishes a sample of topic; 1 when it went through the DDS layer
 * (q may be NULL: 0), with *seq the writer's seq for it (UINT64_MAX when
 * the writer rejected it). */
int ts__qos_publish(ts__qos_topics *q, int topic, uint64_t *seq);

/* fn(ctx, topic, subscriber, seq) for each sample a reader delivers to
 * its application, after its /messages row (a triggered component's
 * release). */
void ts__qos_on_deliver(ts__qos_topics *q, void (*fn)(void *ctx, int topic, int subscriber,
                                                      uint64_t seq), void *ctx);

/* Each sample a reader delivers is owed deserialisation by its
 * subscriber (transport borrowed; q may be NULL). */
void ts__qos_set_transport(ts__qos_topics *q, ts__transport *transport);

/* Records the samples still owed at the end as in flight. */
void ts__qos_finish(ts__qos_topics *q);

#endif
