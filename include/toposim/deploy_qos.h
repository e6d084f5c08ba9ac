/*
 * DDS / ROS 2 QoS: the policies as plain data (ts_qos, what a writer offers
 * and a reader requests), the built-in profiles, the request-versus-offered
 * compatibility rules, and the writer and reader state machines that give
 * the policies their meaning over runtime.h's datagrams, as RTPS does over
 * UDP. A ts_qos_domain owns every writer and reader of one runtime and is
 * the only listener on TS_PORT_TOPIC of the endpoints it serves.
 *
 * Matching (ts_qos_connect) stands for DDS discovery: instantaneous and
 * loss-free, it checks the RxO rules and tells each side where the other's
 * sequence numbers start. An incompatible pair never connects; each side
 * records "qos_incompatible" once per pair.
 *
 * Protocol on TS_PORT_TOPIC (channel = topic index):
 *   DATA        writer -> reader; seq = sample sequence number (from 1),
 *               stamp = the sample's source time, wire_bytes = sample_bytes
 *               + TS_QOS_DATA_OVERHEAD_BYTES.
 *   HEARTBEAT   writer -> reliable reader while it has unacknowledged
 *               samples (every heartbeat_ns) and in answer to a NACK of
 *               samples it no longer has; body = the writer's oldest retained
 *               seq, the first seq not expired by lifespan, the last seq
 *               written (RTPS HEARTBEAT firstSN/lastSN plus the lifespan
 *               watermark).
 *   ACKNACK     reliable reader -> writer on every HEARTBEAT and whenever a
 *               DATA opens a new gap; seq = cumulative ack (every seq below
 *               is received or given up), body = bitmap of the missing seqs
 *               from there (up to 256, as RTPS's SequenceNumberSet). The
 *               writer retransmits each missing seq still in its history
 *               and not expired; for one it no longer has it answers with a
 *               HEARTBEAT so the reader can give it up.
 *   LIVELINESS  writer -> every matched reader: an assertion (AUTOMATIC
 *               every lease/3 without a write; MANUAL_BY_TOPIC on
 *               ts_qos_writer_assert_liveliness).
 * Reliability is thus NACK-driven with heartbeats for tail losses: a lost
 * sample is re-sent one round trip after a later one reveals the gap, or
 * after the next heartbeat when nothing follows it.
 *
 * Records (ts_rt_note kinds; node = -1, the runtime fills it):
 *   "qos_incompatible"          component = writer, then reader endpoint;
 *                               value = policy (ts_qos_policy); detail
 *                               starts with the policy name
 *   "write_rejected"            component = writer; value = max_samples
 *                               (KEEP_ALL history full of samples some
 *                               reliable reader has not acknowledged)
 *   "samples_lost"              component = reader; value = count (skipped:
 *                               never received and no longer available)
 *   "sample_expired"            component = reader; value = count (older
 *                               than the writer's lifespan on arrival or at
 *                               delivery, or expired in the writer's history
 *                               before it could be re-sent)
 *   "offered_deadline_missed"   component = writer; value = total so far
 *   "requested_deadline_missed" component = reader; value = total so far
 *   "liveliness_lost"           component = reader; value = the lease (ns);
 *                               detail names the writer endpoint
 *   "liveliness_regained"       component = reader; value = ns it was lost
 *
 * Timers of an endpoint the runtime reports down (alive() == 0) do nothing
 * but re-arm: a dead process neither sends nor records. No allocation per
 * message: histories and reorder windows are sized at creation and match
 * time (only a KEEP_ALL writer without max_samples grows, by doubling).
 */
#ifndef TOPOSIM_DEPLOY_QOS_H
#define TOPOSIM_DEPLOY_QOS_H

#include <stddef.h>
#include <stdint.h>

#include "toposim/error.h"
#include "toposim/qos.h"
#include "toposim/runtime.h"

/* The QoS policies, profiles and their names are the vocabulary of
 * toposim/qos.h, shared with the scenario loader. */


/* ---- Compatibility (DDS request-versus-offered) ------------------------ */


/* 1 when a writer offering *offered may serve a reader requesting
 * *requested, else 0 and *policy (if not NULL) names the first failing
 * policy, checked in the order RELIABILITY, DURABILITY, DEADLINE,
 * LIVELINESS ("" when compatible). */
int ts_qos_compatible(const ts_qos *offered, const ts_qos *requested, const char **policy);

/* Same, returning the failing policy (TS_QOS_POLICY_NONE when compatible). */
ts_qos_policy ts_qos_check(const ts_qos *offered, const ts_qos *requested);


/* ---- Wire protocol ------------------------------------------------------ */

enum {
    TS_QOS_MSG_DATA = 1,
    TS_QOS_MSG_HEARTBEAT = 2,
    TS_QOS_MSG_ACKNACK = 3,
    TS_QOS_MSG_LIVELINESS = 4
};

/* Bytes on the wire beyond the payload, after the RTPS 2.x layout: message
 * header 20, INFO_TS 12, DATA submessage header 24, encapsulation 4. */
#define TS_QOS_DATA_OVERHEAD_BYTES 60
/* Header 20 + HEARTBEAT submessage 32. */
#define TS_QOS_HEARTBEAT_BYTES 52
/* Header 20 + ACKNACK submessage 60 (its SequenceNumberSet holds 256
 * bits). */
#define TS_QOS_ACKNACK_BYTES 80
/* Header 20 + a participant-message DATA carrying the assertion. */
#define TS_QOS_LIVELINESS_BYTES 68
/* Largest number of missing seqs one ACKNACK names. */
#define TS_QOS_NACK_BITS 256
/* Heartbeat period when a writer description leaves it 0. Fast DDS
 * defaults to 3 s (WriterTimes::heartbeat_period, docs.ros.org fastdds
 * API); 100 ms keeps tail-loss recovery within a robot's control cycles. */
#define TS_QOS_HEARTBEAT_DEFAULT_NS 100000000LL
/* Reorder window of a reliable KEEP_ALL reader when neither side bounds
 * its history. */
#define TS_QOS_WINDOW_UNBOUNDED 1024

/* ---- Writers, readers and their domain ---------------------------------- */

typedef struct ts_qos_domain ts_qos_domain;
typedef struct ts_qos_writer ts_qos_writer;
typedef struct ts_qos_reader ts_qos_reader;

/* One sample handed to the application, in order. */
typedef struct ts_qos_sample {
    int topic;
    int writer;             /* writer endpoint */
    int reader;             /* reader endpoint */
    uint64_t seq;
    int64_t stamp;          /* source time (the write) */
    int64_t arrival;        /* when its DATA reached the reader */
    int64_t delivered;      /* now (later than arrival when it waited for
                               an earlier sample) */
    int64_t bytes;          /* payload size */
} ts_qos_sample;

typedef void (*ts_qos_deliver_fn)(void *ctx, const ts_qos_sample *sample);

typedef struct ts_qos_writer_desc {
    int topic;              /* channel on the wire */
    const char *name;       /* topic name for record details; may be NULL
                               (copied, truncated to 47 bytes) */
    int endpoint;           /* publishing component */
    ts_qos qos;             /* offered */
    int64_t sample_bytes;   /* payload per sample, >= 0 */
    int64_t heartbeat_ns;   /* 0: TS_QOS_HEARTBEAT_DEFAULT_NS */
} ts_qos_writer_desc;

typedef struct ts_qos_reader_desc {
    int topic;
    const char *name;       /* as the writer's */
    int endpoint;           /* subscribing component */
    ts_qos qos;             /* requested */
    ts_qos_deliver_fn on_sample; /* may be NULL */
    void *ctx;
} ts_qos_reader_desc;

/* One topic as the scenario declares it: a writer and its readers. */
typedef struct ts_qos_topic_desc {
    int topic;
    const char *name;
    int writer;             /* endpoint */
    ts_qos writer_qos;
    int64_t sample_bytes;
    int64_t heartbeat_ns;   /* 0: default */
    const int *readers;     /* endpoints, n_readers of them */
    const ts_qos *reader_qos; /* one per reader */
    size_t n_readers;
    ts_qos_deliver_fn on_sample; /* for every reader; may be NULL */
    void *ctx;
} ts_qos_topic_desc;

typedef struct ts_qos_writer_stats {
    uint64_t written;       /* samples accepted by write */
    uint64_t rejected;      /* writes refused (KEEP_ALL full) */
    uint64_t data_sent;     /* DATA datagrams, first sends and replays */
    uint64_t retransmitted; /* DATA re-sent on a NACK */
    uint64_t heartbeats;
    uint64_t liveliness_sent;
    uint64_t deadline_missed;
    size_t matched;         /* connected readers */
    size_t history;         /* samples retained now */
} ts_qos_writer_stats;

typedef struct ts_qos_reader_stats {
    uint64_t received;      /* DATA datagrams that arrived */
    uint64_t delivered;
    uint64_t duplicates;
    uint64_t lost;          /* given up (samples_lost) */
    uint64_t expired;       /* discarded by lifespan (sample_expired) */
    uint64_t dropped_late;  /* best effort: older than the last delivered */
    uint64_t acknacks;
    uint64_t deadline_missed;
    size_t matched;         /* connected writers */
} ts_qos_reader_stats;

/* A domain on rt (which must outlive it); free with ts_qos_domain_free. */
int ts_qos_domain_new(const ts_runtime *rt, ts_qos_domain **out, ts_error *err);

/* Cancels every timer, stops listening and frees the domain with all its
 * writers and readers; NULL is fine. */
void ts_qos_domain_free(ts_qos_domain *d);

/* A writer owned by d (freed with it). One writer per (endpoint, topic).
 * Its offered-deadline clock starts at its first write; AUTOMATIC
 * liveliness assertions start now. */
int ts_qos_writer_new(ts_qos_domain *d, const ts_qos_writer_desc *desc, ts_qos_writer **out,
                      ts_error *err);

/* A reader owned by d (freed with it). One reader per (endpoint, topic).
 * Its requested-deadline clock starts at its first match. */
int ts_qos_reader_new(ts_qos_domain *d, const ts_qos_reader_desc *desc, ts_qos_reader **out,
                      ts_error *err);

/* The writer or reader d holds for (endpoint, topic), or NULL. */
ts_qos_writer *ts_qos_domain_writer(const ts_qos_domain *d, int endpoint, int topic);
ts_qos_reader *ts_qos_domain_reader(const ts_qos_domain *d, int endpoint, int topic);

/* Matches w with r (same topic, else TS_EINVAL): 1 when they are (now or
 * already) connected, 0 when their QoS is incompatible (recorded once per
 * pair on both sides), or a negative TS_ code. A TRANSIENT_LOCAL writer
 * replays its retained, unexpired samples to a TRANSIENT_LOCAL reader (the
 * last `depth` of them for a KEEP_LAST reader); a VOLATILE one starts the
 * reader at its next write. */
int ts_qos_connect(ts_qos_writer *w, ts_qos_reader *r, ts_error *err);

/* Creates the topic's writer and a reader per entry (reusing a reader d
 * already holds for that endpoint and topic) and connects each. writer and
 * readers (n_readers slots) may be NULL; incompatible pairs are recorded,
 * not errors. */
int ts_qos_topic_new(ts_qos_domain *d, const ts_qos_topic_desc *desc, ts_qos_writer **writer,
                     ts_qos_reader **readers, ts_error *err);

/* Writes one sample with source time stamp_ns (< 0: now; never earlier
 * than the previous write's, as lifespan expiry is taken to follow seq
 * order) to every matched reader, in match order; *seq (may be NULL) gets
 * its sequence number. TS_ERANGE, with a
 * "write_rejected" record, when a KEEP_ALL history is full of samples a
 * reliable reader has not acknowledged (DDS would block up to
 * max_blocking_time; a simulation cannot block, so the caller decides). */
int ts_qos_writer_write(ts_qos_writer *w, int64_t stamp_ns, uint64_t *seq);

/* Asserts liveliness explicitly (MANUAL_BY_TOPIC's assert_liveliness; also
 * allowed for AUTOMATIC). */
int ts_qos_writer_assert_liveliness(ts_qos_writer *w);

void ts_qos_writer_get_stats(const ts_qos_writer *w, ts_qos_writer_stats *out);
void ts_qos_reader_get_stats(const ts_qos_reader *r, ts_qos_reader_stats *out);

/* What the object was described with. */
const ts_qos *ts_qos_writer_qos(const ts_qos_writer *w);
const ts_qos *ts_qos_reader_qos(const ts_qos_reader *r);
int ts_qos_writer_endpoint(const ts_qos_writer *w);
int ts_qos_reader_endpoint(const ts_qos_reader *r);
int ts_qos_writer_topic(const ts_qos_writer *w);
int ts_qos_reader_topic(const ts_qos_reader *r);

/* ---- Internals shared by src/deploy/qos_*.c (not for callers) ---------- */

const ts_runtime *ts__qos_domain_rt(const ts_qos_domain *d);
int ts__qos_domain_add(ts_qos_domain *d, int endpoint, int topic, ts_qos_writer *w,
                       ts_qos_reader *r, ts_error *err);
void ts__qos_writer_receive(ts_qos_writer *w, const ts_rt_message *m);
void ts__qos_reader_receive(ts_qos_reader *r, const ts_rt_message *m);
void ts__qos_writer_free(ts_qos_writer *w);
void ts__qos_reader_free(ts_qos_reader *r);
const char *ts__qos_writer_name(const ts_qos_writer *w);
const ts_runtime *ts__qos_writer_rt(const ts_qos_writer *w);
/* 1 when r's endpoint is already matched with w. */
int ts__qos_writer_has_reader(const ts_qos_writer *w, int reader_endpoint);
/* 1 the first time the incompatible pair (w, r) is reported, then 0. */
int ts__qos_writer_first_report(ts_qos_writer *w, const ts_qos_reader *r);
/* The first seq a newly matched reader requesting *requested should get. */
uint64_t ts__qos_writer_start_seq(ts_qos_writer *w, const ts_qos *requested);
int ts__qos_writer_attach(ts_qos_writer *w, int reader_endpoint, const ts_qos *requested,
                          uint64_t start);
int ts__qos_reader_attach(ts_qos_reader *r, int writer_endpoint, const ts_qos *offered,
                          uint64_t start);

#endif
