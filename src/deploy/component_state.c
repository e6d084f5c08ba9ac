/*
 * The component-state controller (see deploy_controller.h): per component
 * the failover role, safety mode, version and halt, combined into one
 * effective state that only this file hands to the runtime.
 */
#include "toposim/deploy_controller.h"

#include <string.h>

#include "toposim/alloc.h"
#include "toposim/deploy_service.h"
#include "toposim/error.h"

struct ts_ctl {
    const ts_runtime *rt;
    size_t nc, nn, ns, nt;
    int *node_of;               /* per component */
    unsigned char *critical;    /* per component */
    int *node_site;             /* per node */
    int *site_agent;            /* per site: agent endpoint or -1 */
    int *topic_publisher;       /* per topic */
    /* what each teller said */
    unsigned char *role;        /* ts_rt_run_state, from failover */
    unsigned char *safety;      /* safety mode, from failover */
    int *version;               /* from rollouts */
    unsigned char *halted;      /* from a safe-state stop */
    /* replica sets: a component's set is its primary's; members chained
     * in registration order from the primary */
    int *primary;
    int *next;
    ts_rt_component_state *applied; /* the effective state last applied */
    const ts_policy *policy;
    ts_policy_checker *checker;
};

static int component_ok(const ts_ctl *ctl, int c)
{
    return c >= 0 && (size_t)c < ctl->nc;
}

void ts_ctl_free(ts_ctl *ctl)
{
    if (!ctl)
        return;
    ts_free(ctl->node_of);
    ts_free(ctl->critical);
    ts_free(ctl->node_site);
    ts_free(ctl->site_agent);
    ts_free(ctl->topic_publisher);
    ts_free(ctl->role);
    ts_free(ctl->safety);
    ts_free(ctl->version);
    ts_free(ctl->halted);
    ts_free(ctl->primary);
    ts_free(ctl->next);
    ts_free(ctl->applied);
    ts_free(ctl);
}

int ts_ctl_new(const ts_runtime *rt, const ts_ctl_desc *d, ts_ctl **out, ts_error *err)
{
    if (out)
        *out = NULL;
    if (!rt || !d || !out || (d->n_components && !d->node_of) ||
        (d->n_topics && !d->topic_publisher))
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "controller: runtime, description, placement and topic publishers "
                            "are required");
    ts_ctl *ctl = ts_calloc(1, sizeof *ctl);
    if (!ctl)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "controller: out of memory");
    size_t nc = d->n_components, nn = d->n_nodes, ns = d->n_sites, nt = d->n_topics;
    ctl->rt = rt;
    ctl->nc = nc;
    ctl->nn = nn;
    ctl->ns = ns;
    ctl->nt = nt;
    /* ts_calloc allocates at least one byte for a zero count. */
    ctl->node_of = ts_malloc(nc * sizeof *ctl->node_of);
    ctl->critical = ts_calloc(nc, 1);
    ctl->node_site = ts_malloc(nn * sizeof *ctl->node_site);
    ctl->site_agent = ts_malloc(ns * sizeof *ctl->site_agent);
    ctl->topic_publisher = ts_malloc(nt * sizeof *ctl->topic_publisher);
    ctl->role = ts_calloc(nc, 1);
    ctl->safety = ts_calloc(nc, 1);
    ctl->version = ts_calloc(nc, sizeof *ctl->version);
    ctl->halted = ts_calloc(nc, 1);
    ctl->primary = ts_malloc(nc * sizeof *ctl->primary);
    ctl->next = ts_malloc(nc * sizeof *ctl->next);
    ctl->applied = ts_calloc(nc, sizeof *ctl->applied);
    if (!ctl->node_of || !ctl->critical || !ctl->node_site || !ctl->site_agent ||
        !ctl->topic_publisher || !ctl->role || !ctl->safety || !ctl->version || !ctl->halted ||
        !ctl->primary || !ctl->next || !ctl->applied) {
        ts_ctl_free(ctl);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "controller: out of memory");
    }
    for (size_t c = 0; c < nc; c++) {
        int node = d->node_of[c];
        if (node < -1 || (node >= 0 && (size_t)node >= nn)) {
            ts_ctl_free(ctl);
            return ts_error_set(err, TS_EINVAL, NULL, 0, "controller: component %zu on node %d "
                                "of %zu", c, node, nn);
        }
        ctl->node_of[c] = node;
        ctl->critical[c] = d->safety_critical ? d->safety_critical[c] != 0 : 0;
        ctl->role[c] = TS_RT_ACTIVE;
        ctl->applied[c] = (ts_rt_component_state){TS_RT_ACTIVE, 0, 0};
        ctl->primary[c] = (int)c;
        ctl->next[c] = -1;
    }
    for (size_t s = 0; s < ns; s++)
        ctl->site_agent[s] = -1;
    /* A site's agent lives on its first node that hosts agents. */
    for (size_t n = 0; n < nn; n++) {
        int site = d->node_site ? d->node_site[n] : -1;
        ctl->node_site[n] = site >= 0 && (size_t)site < ns ? site : -1;
        int hosts = d->node_hosts_agent ? d->node_hosts_agent[n] != 0 : 1;
        if (ctl->node_site[n] >= 0 && hosts && ctl->site_agent[site] < 0)
            ctl->site_agent[site] = (int)(nc + n);
    }
    for (size_t t = 0; t < nt; t++)
        ctl->topic_publisher[t] = d->topic_publisher[t];
    *out = ctl;
    return TS_OK;
}

/* ---- endpoints ---------------------------------------------------------- */

int ts_ctl_endpoint_count(const ts_ctl *ctl)
{
    return (int)(ctl->nc + ctl->nn);
}

int ts_ctl_endpoint_node(const ts_ctl *ctl, int e)
{
    if (e < 0 || (size_t)e >= ctl->nc + ctl->nn)
        return -1;
    return (size_t)e < ctl->nc ? ctl->node_of[e] : (int)((size_t)e - ctl->nc);
}

int ts_ctl_is_agent(const ts_ctl *ctl, int e)
{
    return e >= 0 && (size_t)e >= ctl->nc && (size_t)e < ctl->nc + ctl->nn;
}

int ts_ctl_node_agent(const ts_ctl *ctl, int node)
{
    return node >= 0 && (size_t)node < ctl->nn ? (int)(ctl->nc + (size_t)node) : -1;
}

int ts_ctl_site_agent(const ts_ctl *ctl, int site)
{
    return site >= 0 && (size_t)site < ctl->ns ? ctl->site_agent[site] : -1;
}

/* ---- the one place a decided state reaches the runtime ----------------- */

static int commit(ts_ctl *ctl, int c)
{
    ts_rt_component_state eff = {
        ctl->halted[c] ? TS_RT_STOPPED : (ts_rt_run_state)ctl->role[c],
        ctl->safety[c],
        ctl->version[c],
    };
    ts_rt_component_state *cur = &ctl->applied[c];
    if (eff.run == cur->run && eff.safety_mode == cur->safety_mode && eff.version == cur->version)
        return TS_OK;
    *cur = eff;
    return ts_rt_apply_component(ctl->rt, c, &eff);
}

/* ---- telling ------------------------------------------------------------ */

int ts_ctl_add_replicas(ts_ctl *ctl, const int *members, size_t n)
{
    if (!ctl || !members || n == 0)
        return TS_EINVAL;
    for (size_t i = 0; i < n; i++) {
        int c = members[i];
        if (!component_ok(ctl, c) || ctl->primary[c] != c || ctl->next[c] >= 0)
            return TS_EINVAL;   /* unknown, or already in a set */
        for (size_t j = 0; j < i; j++)
            if (members[j] == c)
                return TS_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        ctl->primary[members[i]] = members[0];
        ctl->next[members[i]] = i + 1 < n ? members[i + 1] : -1;
    }
    return TS_OK;
}

int ts_ctl_set_role(ts_ctl *ctl, int c, ts_rt_run_state role, int safety_mode)
{
    if (!ctl || !component_ok(ctl, c) || role < TS_RT_STOPPED || role > TS_RT_ACTIVE)
        return TS_EINVAL;
    ctl->role[c] = (unsigned char)role;
    ctl->safety[c] = safety_mode != 0;
    return commit(ctl, c);
}

int ts_ctl_set_version(ts_ctl *ctl, int c, int version)
{
    if (!ctl || !component_ok(ctl, c) || version < 0)
        return TS_EINVAL;
    int rc = TS_OK;
    for (int m = ctl->primary[c]; m >= 0; m = ctl->next[m]) {
        ctl->version[m] = version;
        int r = commit(ctl, m);
        if (r < 0 && rc == TS_OK)
            rc = r;
    }
    return rc;
}

void ts_ctl_safe_state(void *ctx, const ts_safe_event *ev)
{
    ts_ctl *ctl = ctx;
    int everything = ev->category == 0 || ev->phase == TS_SAFE_POWER_OFF;
    /* Component order, so the stops (and their trace rows) are
     * reproducible. A runtime refusing a stop cannot be helped here: the
     * supervisor has already recorded the command. */
    for (size_t c = 0; c < ctl->nc; c++) {
        int node = ctl->node_of[c];
        if (node < 0 || ctl->node_site[node] != ev->robot)
            continue;
        if (!everything && ctl->critical[c])
            continue;
        ctl->halted[c] = 1;
        int rc = commit(ctl, (int)c);
        (void)rc;
    }
}

void ts_ctl_set_policy(ts_ctl *ctl, const ts_policy *policy, ts_policy_checker *checker)
{
    ctl->policy = policy;
    ctl->checker = checker;
}

/* ---- asking ------------------------------------------------------------- */

ts_rt_component_state ts_ctl_state(const ts_ctl *ctl, int c)
{
    ts_rt_component_state none = {TS_RT_STOPPED, 0, 0};
    return ctl && component_ok(ctl, c) ? ctl->applied[c] : none;
}

int ts_ctl_role(const ts_ctl *ctl, int c)
{
    return ctl && component_ok(ctl, c) ? ctl->role[c] : -1;
}

int ts_ctl_halted(const ts_ctl *ctl, int c)
{
    return ctl && component_ok(ctl, c) ? ctl->halted[c] : 0;
}

int ts_ctl_serves(const ts_ctl *ctl, int c)
{
    return ctl && component_ok(ctl, c) && ctl->applied[c].run == TS_RT_ACTIVE &&
           ts_rt_alive(ctl->rt, TS_RT_COMPONENT, c) != 0;
}

int ts_ctl_server(const ts_ctl *ctl, int c)
{
    if (!ctl || !component_ok(ctl, c))
        return -1;
    for (int m = ctl->primary[c]; m >= 0; m = ctl->next[m])
        if (ts_ctl_serves(ctl, m))
            return m;
    return -1;
}

int ts_ctl_allows(ts_ctl *ctl, int from, int to, int topic)
{
    if (!ctl->checker || !component_ok(ctl, from) || !component_ok(ctl, to))
        return 1;
    return ts_policy_checker_check(ctl->checker, from, to, topic) != 0;
}

int ts_ctl_permits(const ts_ctl *ctl, int from, int to, int topic)
{
    if (!ctl->policy || !component_ok(ctl, from) || !component_ok(ctl, to))
        return 1;
    ts_policy_verdict v;
    return ts_policy_may_send(ctl->policy, from, to, topic, &v) == 1;
}

int ts_ctl_may_send(ts_ctl *ctl, const ts_rt_message *msg)
{
    int from = msg->from;
    if (!component_ok(ctl, from))
        return 1;   /* a node agent: control plane */
    if (msg->port != TS_PORT_LIVENESS && ctl->applied[from].run == TS_RT_STOPPED)
        return 0;
    /* Data plane obeys the policy: a topic's samples from its writer and
     * service requests (acknowledgements flowing back to a writer belong
     * to an allowed flow; heartbeats, probes and registration are the
     * deployment's control plane, exempt as a service mesh exempts its
     * own). */
    int topic_data = msg->port == TS_PORT_TOPIC && msg->channel >= 0 &&
                     (size_t)msg->channel < ctl->nt &&
                     ctl->topic_publisher[msg->channel] == from;
    if (topic_data)
        return ts_ctl_allows(ctl, from, msg->to, msg->channel);
    if (msg->port == TS_PORT_SERVICE && msg->kind == TS_SVC_MSG_REQUEST)
        return ts_ctl_allows(ctl, from, msg->to, -1);
    return 1;
}

int ts_ctl_may_receive(const ts_ctl *ctl, int e, int port)
{
    if (!component_ok(ctl, e))
        return 1;
    return port == TS_PORT_LIVENESS || ctl->applied[e].run != TS_RT_STOPPED;
}
