/*
 * The component-state controller: the one owner of what every component
 * of a deployment is doing. Failover groups, rollouts, safe-state
 * supervisors and the access policy ask it and tell it; none of them sets
 * a component's state whole. It combines, per component:
 *   - the failover role (serving, standby, stopped) and whether the
 *     component serves in its safety mode, told by its failover group;
 *   - the version it runs, told by a rollout for the whole replica set
 *     (a primary and its backups run the same software);
 *   - whether a safe-state stop halted it, decided here from the robot's
 *     stop category (IEC 60204-1, 9.2.2: categories 0 and the power-off
 *     phase of 1 stop everything on the robot; the stop phase of 1 and 2
 *     stop all but the safety-critical components); a halt is final;
 *   - the access policy's allow decision for data-plane messages.
 * The effective state is {halted ? STOPPED : role, safety mode, version}.
 * Whenever it changes, and only then, the controller hands it to the
 * runtime (ts_rt_apply_component), which starts, stops or reconfigures
 * the process: the runtime applies, the controller decides. Nothing else
 * calls ts_rt_apply_component (tools/check-deploy-includes.sh checks it).
 *
 * Endpoints. Components are endpoints 0 .. n_components - 1; node agents
 * (a node's supervisor daemon) follow: node n's agent is endpoint
 * n_components + n. A site's agent is that of its first node that hosts
 * agents (not a switch).
 *
 * Replica sets. A failover group registers its members (primary first);
 * a component in no group is a set of one. The serving member of a set
 * is the first member, in registration order, whose effective state is
 * ACTIVE and whose process is alive: the one a rollout must judge.
 *
 * Memory: every table is sized at creation; asking and telling allocate
 * nothing.
 */
#ifndef TOPOSIM_DEPLOY_CONTROLLER_H
#define TOPOSIM_DEPLOY_CONTROLLER_H

#include <stddef.h>
#include <stdint.h>

#include "toposim/deploy_failover.h"
#include "toposim/deploy_policy.h"
#include "toposim/error.h"
#include "toposim/runtime.h"

typedef struct ts_ctl_desc {
    size_t n_components;
    const int *node_of;             /* per component: its node, or -1 */
    const unsigned char *safety_critical; /* per component: 1 keeps running
                                       through a controlled stop; NULL: none */
    size_t n_nodes;
    const int *node_site;           /* per node: its site, or -1; NULL: none */
    const unsigned char *node_hosts_agent; /* per node: 1 runs an agent
                                       (not a switch); NULL: all do */
    size_t n_sites;
    size_t n_topics;
    const int *topic_publisher;     /* per topic: its publisher, or -1 */
} ts_ctl_desc;

typedef struct ts_ctl ts_ctl;

/* A controller over rt (borrowed; it must outlive it) for desc (copied):
 * every component ACTIVE, safety mode 0, version 0, not halted, as the
 * runtime starts them. Free with ts_ctl_free. TS_EINVAL / TS_ENOMEM. */
int ts_ctl_new(const ts_runtime *rt, const ts_ctl_desc *desc, ts_ctl **out,
               ts_error *err) TS_MUST_USE;

/* Frees; NULL is fine. Borrowed policies are not freed. */
void ts_ctl_free(ts_ctl *ctl);

/* ---- endpoints ---------------------------------------------------------- */

/* Number of endpoints: components then node agents. */
int ts_ctl_endpoint_count(const ts_ctl *ctl);

/* The node an endpoint runs on, or -1. */
int ts_ctl_endpoint_node(const ts_ctl *ctl, int endpoint);

/* 1 when the endpoint is a node agent rather than a component. */
int ts_ctl_is_agent(const ts_ctl *ctl, int endpoint);

/* The agent endpoint of a node, or -1 for a bad index. */
int ts_ctl_node_agent(const ts_ctl *ctl, int node);

/* The agent endpoint of a site (its first node hosting agents), or -1. */
int ts_ctl_site_agent(const ts_ctl *ctl, int site);

/* ---- telling ------------------------------------------------------------ */

/* Registers a replica set: members[0] the primary, then its backups. A
 * component belongs to at most one set (TS_EINVAL otherwise). */
int ts_ctl_add_replicas(ts_ctl *ctl, const int *members, size_t n) TS_MUST_USE;

/* Failover: the component's role and whether it serves in safety mode.
 * Returns the runtime's answer when the effective state changed. */
int ts_ctl_set_role(ts_ctl *ctl, int component, ts_rt_run_state role,
                    int safety_mode) TS_MUST_USE;

/* Rollout: every member of the component's replica set runs `version`;
 * who serves is untouched. The first runtime error, or 0. */
int ts_ctl_set_version(ts_ctl *ctl, int component, int version) TS_MUST_USE;

/* A safe-state supervisor's hook (ctx is the controller): halts the
 * robot's components as its stop category and phase say, in component
 * order. */
void ts_ctl_safe_state(void *ctx, const ts_safe_event *ev);

/* The access policy to enforce (both borrowed; NULL: allow everything). */
void ts_ctl_set_policy(ts_ctl *ctl, const ts_policy *policy, ts_policy_checker *checker);

/* ---- asking ------------------------------------------------------------- */

/* The effective state as last applied; all zero for a bad index. */
ts_rt_component_state ts_ctl_state(const ts_ctl *ctl, int component);

/* The failover role as told (what the component announces in its
 * heartbeats), or -1 for a bad index. */
int ts_ctl_role(const ts_ctl *ctl, int component);

/* 1 when halted by a safe-state stop. */
int ts_ctl_halted(const ts_ctl *ctl, int component);

/* 1 when the component publishes and answers: effective ACTIVE and its
 * process alive. */
int ts_ctl_serves(const ts_ctl *ctl, int component);

/* The member of the component's replica set that serves, or -1. */
int ts_ctl_server(const ts_ctl *ctl, int component);

/* 1 when a message may leave its sender: a stopped component sends only
 * liveness heartbeats (its agent stands for it); data-plane traffic (a
 * topic's samples from its publisher, service requests) must be allowed by
 * the policy, which records violations. Node agents always may. */
int ts_ctl_may_send(ts_ctl *ctl, const ts_rt_message *msg);

/* 1 when an endpoint takes delivery on a port (a stopped component hears
 * only liveness heartbeats). */
int ts_ctl_may_receive(const ts_ctl *ctl, int endpoint, int port);

/* The policy's decision for from -> to on topic (-1: not a topic):
 * allows records a violation when it denies, permits records nothing.
 * 1 for endpoints that are not components, or with no policy. */
int ts_ctl_allows(ts_ctl *ctl, int from, int to, int topic);
int ts_ctl_permits(const ts_ctl *ctl, int from, int to, int topic);

#endif
