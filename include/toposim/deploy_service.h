/*
 * Microservices: request/response services served by replicas, with
 * discovery, health checks and load balancing, seen through runtime.h only.
 * Four objects, each bound to one component endpoint's listener:
 *
 * - ts_svc_registry: discovery (service name -> replicas in declaration
 *   order, and which of them are live) plus the health checker and the
 *   balancer. It is the service's view shared by all its callers, as a
 *   Kubernetes Service or an Envoy cluster is: one round-robin cursor and
 *   one outstanding-request count per replica, whichever client sent.
 *   The checker runs on the `checker` endpoint and hears probe replies on
 *   (checker, TS_PORT_HEALTH).
 * - ts_svc_responder: on a replica's endpoint, answers probes on
 *   TS_PORT_HEALTH while its component is alive (and marked ready).
 * - ts_svc_server: on a replica's endpoint, listens on TS_PORT_SERVICE and
 *   answers each request after a service time with a response.
 * - ts_svc_client: on a caller's endpoint, sends requests to the replica
 *   the registry picks, matches responses by request id, measures latency
 *   and times requests out.
 *
 * Health checks. With health_period_ns > 0, round k (k = 1, 2, ...) starts
 * at start + k * period: one probe to every replica, live or not. A reply
 * that arrives before start + k * period + health_timeout is a success;
 * any other outcome is a failure (a reply at exactly the timeout loses: the
 * timeout was armed first). After down_after consecutive failures a live
 * replica is taken out ("replica_down"); after up_after consecutive
 * successes an out replica is put back ("replica_up"). Both thresholds
 * default to 1, so a replica that dies just after start is out at exactly
 * start + period + timeout. Replicas start live (so a service without
 * health checks always offers all of them). While the checker's own
 * component is down it sends no probes and judges nothing.
 *
 * Balancing (both skip replicas that are out). Round robin: a cursor over
 * replica positions; a pick takes the first live replica at or after the
 * cursor, wrapping, and moves the cursor just past it (replicas A,B,C with
 * B out give A,C,A,C...). Least outstanding requests: the live replica
 * with the fewest requests sent and not yet answered or timed out; ties go
 * to the earlier replica.
 *
 * Messages. TS_PORT_SERVICE: kind TS_SVC_MSG_REQUEST (client -> replica,
 * wire_bytes = the service's request_bytes) and TS_SVC_MSG_RESPONSE
 * (replica -> client, wire_bytes = the server's response size); channel =
 * service index, seq = request id, stamp = when the client sent it, body =
 * the client's table slot (echoed). TS_PORT_HEALTH: TS_SVC_MSG_PROBE and
 * TS_SVC_MSG_PROBE_REPLY; channel = service index, seq = round, body =
 * replica position (echoed).
 *
 * Records (ts_rt_note kinds):
 *   "replica_down"       component = replica endpoint, node = its node;
 *                        value = ns since its last successful probe reply
 *                        (or since the checker started)
 *   "replica_up"         component, node as above; value = ns it was out
 *   "request_timeout"    component = client endpoint, node = client node;
 *                        value = the timeout (ns); detail names the
 *                        service, request id and replica
 *   "response_late"      component = client endpoint; value = ns from the
 *                        request's send to the late response
 *   "request_no_replica" component = client endpoint; value = service index
 *   "request_rejected"   component = client endpoint; value = the client's
 *                        max_outstanding (its table is full)
 *   "request_dropped"    component = server endpoint, node = server node;
 *                        value = the server's capacity (workers + queue)
 * Successful completions are not recorded here: the client's done callback
 * reports them and the caller records what it needs.
 *
 * Memory: every table is sized from the descriptions at creation; sending,
 * serving, answering and timing out a request allocate nothing.
 */
#ifndef TOPOSIM_DEPLOY_SERVICE_H
#define TOPOSIM_DEPLOY_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "toposim/error.h"
#include "toposim/runtime.h"

/* Message kinds within TS_PORT_SERVICE and TS_PORT_HEALTH. */
enum {
    TS_SVC_MSG_REQUEST = 1,
    TS_SVC_MSG_RESPONSE = 2,
    TS_SVC_MSG_PROBE = 1,
    TS_SVC_MSG_PROBE_REPLY = 2
};

/* Largest max_outstanding and server capacity (slot numbers share a timer
 * argument with the request id). */
#define TS_SVC_MAX_SLOTS (1 << 20)

typedef enum {
    TS_SVC_ROUND_ROBIN = 0,
    TS_SVC_LEAST_OUTSTANDING = 1
} ts_svc_balance;

/* One replica of a service: the component endpoint that serves it and the
 * node it runs on (for records; -1 when unknown). */
typedef struct ts_svc_replica {
    int endpoint;
    int node;
} ts_svc_replica;

typedef struct ts_svc_service_desc {
    const char *name;               /* unique within the registry */
    const ts_svc_replica *replicas; /* declaration order = lookup order */
    size_t n_replicas;              /* >= 1 */
    ts_svc_balance balance;
    int64_t request_bytes;          /* wire size of a request, >= 0 */
    int64_t timeout_ns;             /* request timeout, > 0 */
    int64_t health_period_ns;       /* 0: no health checks */
    int64_t health_timeout_ns;      /* 0 < timeout <= period when checked */
    int down_after;                 /* consecutive failed probes; 0 = 1 */
    int up_after;                   /* consecutive good probes; 0 = 1 */
} ts_svc_service_desc;

typedef struct ts_svc_registry_desc {
    const ts_svc_service_desc *services; /* index = service id = channel */
    size_t n_services;              /* >= 1 */
    int checker;                    /* endpoint probing; it must not host a
                                       responder too (one listener per
                                       endpoint and port); -1 only when no
                                       service has health checks */
    int checker_node;               /* for records, or -1 */
    int64_t probe_bytes;            /* wire size of a probe and its reply;
                                       0 = 64 */
} ts_svc_registry_desc;

typedef struct ts_svc_registry ts_svc_registry;

/* Copies desc (names and replica arrays included) into a new registry
 * bound to rt (whose ops and impl must outlive it); every replica live, no
 * timers yet. *out is freed with ts_svc_registry_free. Returns TS_EINVAL
 * (err says which field) or TS_ENOMEM. */
int ts_svc_registry_new(const ts_runtime *rt, const ts_svc_registry_desc *desc,
                        ts_svc_registry **out, ts_error *err) TS_MUST_USE;

/* Listens on (checker, TS_PORT_HEALTH) and arms each checked service's
 * first round one period from now; a second call does nothing. */
int ts_svc_registry_start(ts_svc_registry *reg) TS_MUST_USE;

/* Cancels the checker's timers and stops listening; liveness stays as it
 * was. Frees reg; NULL is fine. Free clients that use it first. */
void ts_svc_registry_free(ts_svc_registry *reg);

/* Index of the service with that name, or -1. */
int ts_svc_registry_find(const ts_svc_registry *reg, const char *name) TS_MUST_USE;

/* Writes the endpoints of the named service's live replicas, in
 * declaration order, to out[0..cap) and their number (which may exceed
 * cap) to *n. Returns TS_OK or TS_ENOENT for an unknown name. */
int ts_svc_registry_lookup(const ts_svc_registry *reg, const char *name, int *out,
                           size_t cap, size_t *n) TS_MUST_USE;

/* Chooses a replica for one request by the service's balance policy
 * (advancing the round-robin cursor) and writes its position to *replica.
 * Counts nothing as outstanding (the client does). Returns TS_OK, TS_EINVAL
 * for a bad service index, TS_ENOENT when no replica is live. */
int ts_svc_registry_pick(ts_svc_registry *reg, int service, int *replica) TS_MUST_USE;

/* Number of services; replicas of one (0 for a bad index). */
size_t ts_svc_registry_services(const ts_svc_registry *reg);
size_t ts_svc_registry_replicas(const ts_svc_registry *reg, int service);

/* Endpoint of a replica, or -1 for a bad index. */
int ts_svc_registry_endpoint(const ts_svc_registry *reg, int service, int replica) TS_MUST_USE;

/* 1 when the replica is in service, 0 when out, -1 for a bad index. */
int ts_svc_registry_live(const ts_svc_registry *reg, int service, int replica) TS_MUST_USE;

/* Enrols (1) or withdraws (0) a replica: a withdrawn one is never
 * picked, whatever its health (an autoscaler's starting and draining
 * replicas, as Kubernetes keeps them out of a Service's endpoints); every
 * replica starts enrolled. TS_EINVAL for a bad index. */
int ts_svc_registry_set_enrolled(ts_svc_registry *reg, int service, int replica, int enrolled) TS_MUST_USE;

/* The service's requests in flight (all replicas, all clients) summed
 * over time since the start, in request-nanoseconds: its difference over
 * an interval divided by the interval's length is the mean number in
 * flight then. 0 for a bad index. */
double ts_svc_registry_in_flight_area(const ts_svc_registry *reg, int service);

/* Requests sent to the replica and not yet answered or timed out (all
 * clients together), or -1 for a bad index. */
long ts_svc_registry_outstanding(const ts_svc_registry *reg, int service, int replica);

/* ---- replica side: health-probe responder ---- */

typedef struct ts_svc_responder ts_svc_responder;

/* Listens on (endpoint, TS_PORT_HEALTH) and answers every probe, echoing
 * it, while ts_rt_alive says the component is not down and it is ready
 * (initially ready). *out is freed with ts_svc_responder_free. */
int ts_svc_responder_new(const ts_runtime *rt, int endpoint, ts_svc_responder **out,
                         ts_error *err) TS_MUST_USE;

/* Marks the replica ready (1) or not (0): a replica that is not ready
 * (draining, starting up) lets probes go unanswered. */
void ts_svc_responder_set_ready(ts_svc_responder *r, int ready);

/* Probes answered, and probes left unanswered (down or not ready). */
uint64_t ts_svc_responder_answered(const ts_svc_responder *r);
uint64_t ts_svc_responder_ignored(const ts_svc_responder *r);

/* Stops listening and frees r; NULL is fine. */
void ts_svc_responder_free(ts_svc_responder *r);

/* ---- replica side: request server ---- */

/* Service time of one request, called when the request starts service;
 * *response_bytes comes in as the description's and may be changed. */
typedef int64_t (*ts_svc_service_time_fn)(void *ctx, const ts_rt_message *request,
                                          int64_t *response_bytes);

typedef struct ts_svc_server_desc {
    int endpoint;                   /* the replica's component */
    int node;                       /* for records, or -1 */
    int workers;                    /* requests served at once, >= 1 */
    int max_queue;                  /* requests waiting for a worker, >= 0;
                                       beyond, arrivals are dropped */
    int64_t service_time_ns;        /* fixed service time, >= 0 ... */
    ts_svc_service_time_fn service_time; /* ... unless this is set */
    void *service_ctx;
    int64_t response_bytes;         /* wire size of a response, >= 0 */
} ts_svc_server_desc;

typedef struct ts_svc_server_stats {
    uint64_t received;              /* requests accepted (served or queued) */
    uint64_t served;                /* responses sent */
    uint64_t dropped;               /* arrivals with every slot taken */
    uint64_t ignored;               /* arrivals while the component was down */
    uint64_t discarded;             /* accepted but lost to a crash/reset */
} ts_svc_server_stats;

typedef struct ts_svc_server ts_svc_server;

/* Listens on (endpoint, TS_PORT_SERVICE) with a table of workers +
 * max_queue request slots; FIFO queueing beyond the workers. A response is
 * sent only if the component is not down when its service ends; finding it
 * down discards every request it held (a crashed process loses its queue).
 * *out is freed with ts_svc_server_free. */
int ts_svc_server_new(const ts_runtime *rt, const ts_svc_server_desc *desc,
                      ts_svc_server **out, ts_error *err) TS_MUST_USE;

/* Forgets every request held (counted discarded) and cancels their
 * timers, as a process restart does; the glue calls it on crash/restart. */
void ts_svc_server_reset(ts_svc_server *s);

/* Requests in service plus waiting. */
int ts_svc_server_pending(const ts_svc_server *s) TS_MUST_USE;

/* Copies the counters. */
void ts_svc_server_stats_get(const ts_svc_server *s, ts_svc_server_stats *out);

/* Cancels timers, stops listening (detaching a colocated client) and
 * frees s; NULL is fine. */
void ts_svc_server_free(ts_svc_server *s);

/* ---- caller side: client ---- */

typedef enum {
    TS_SVC_OK = 0,                  /* response received */
    TS_SVC_TIMEOUT = 1              /* no response within the timeout */
} ts_svc_status;

/* What the done callback reports, once per request sent. */
typedef struct ts_svc_result {
    uint64_t request_id;            /* as returned by ts_svc_client_call */
    uint64_t tag;                   /* the caller's tag */
    int service;                    /* service index */
    int replica;                    /* position within the service */
    int endpoint;                   /* the replica's endpoint */
    ts_svc_status status;
    int64_t sent_ns;                /* when the request was sent */
    int64_t latency_ns;             /* response time, or the timeout */
} ts_svc_result;

/* Called after the request left the client's table (so it may call
 * ts_svc_client_call again, but must not free the client). */
typedef void (*ts_svc_done_fn)(void *ctx, const ts_svc_result *result);

typedef struct ts_svc_client_desc {
    int endpoint;                   /* the calling component */
    int node;                       /* for records, or -1 */
    ts_svc_registry *registry;      /* discovery and balancing; outlives
                                       the client */
    int max_outstanding;            /* table size, 1..TS_SVC_MAX_SLOTS */
    ts_svc_done_fn done;            /* may be NULL */
    void *done_ctx;
    ts_svc_server *colocated;       /* the server on the same endpoint, or
                                       NULL: then the server hands the
                                       client its responses (one listener
                                       per endpoint and port) */
} ts_svc_client_desc;

typedef struct ts_svc_client_stats {
    uint64_t sent;                  /* requests sent */
    uint64_t completed;             /* responses matched in time */
    uint64_t timeouts;              /* requests timed out */
    uint64_t late;                  /* responses after their timeout, or
                                       unknown ones, ignored */
    uint64_t rejected;              /* calls refused: table full */
    uint64_t no_replica;            /* calls refused: no live replica */
} ts_svc_client_stats;

typedef struct ts_svc_client ts_svc_client;

/* Listens on (endpoint, TS_PORT_SERVICE), or attaches to the colocated
 * server. *out is freed with ts_svc_client_free. */
int ts_svc_client_new(const ts_runtime *rt, const ts_svc_client_desc *desc,
                      ts_svc_client **out, ts_error *err) TS_MUST_USE;

/* Sends one request to the replica the registry picks and arms its
 * timeout; writes its id (1, 2, ... per client) to *request_id (may be
 * NULL). Returns TS_OK; TS_ERANGE when max_outstanding requests are in
 * flight ("request_rejected"); TS_ENOENT when no replica is live
 * ("request_no_replica"); TS_EINVAL for a bad service index; or the
 * runtime's error. */
int ts_svc_client_call(ts_svc_client *c, int service, uint64_t tag, uint64_t *request_id) TS_MUST_USE;

/* Requests in flight. */
int ts_svc_client_outstanding(const ts_svc_client *c) TS_MUST_USE;

/* Copies the counters. */
void ts_svc_client_stats_get(const ts_svc_client *c, ts_svc_client_stats *out);

/* Cancels every pending timeout (no callbacks; the registry's outstanding
 * counts are released), stops listening and frees c; NULL is fine. */
void ts_svc_client_free(ts_svc_client *c);

#endif
