/*
 * Request/response services and the access policy, from the scenario onto
 * the deployment code's objects on the simulated runtime.
 *
 * Services: one registry (discovery, health checks, balancing) whose
 * health checker runs on the node agent of the first client's node (the
 * client side discovers, as Kubernetes' kube-proxy does); a responder and
 * a server on each replica, answering after the replica's execution time;
 * a client per scenario client, calling at its rate while it serves, or
 * (per="job") once per job of its component that finishes while it
 * serves, told by the workload's job hook (ts__services_job). Each
 * completed or timed-out request is one "response" or "request_timeout"
 * event.
 *
 * Policy: zones and allow-lists compiled here and handed to the
 * component-state controller, which decides on every topic sample and
 * request (data-plane traffic); the deployment code's own control traffic
 * (heartbeats, health probes, fleet registration) is not filtered, as a
 * service mesh exempts its control plane.
 */
#include "sim/services.h"

#include "sim/autoscalers.h"

#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"
#include "toposim/deploy.h"

typedef struct client_state {
    struct ts__services *v;
    size_t index;               /* scenario client */
    size_t step;                /* its next <rate-step> */
    int64_t period_ns;          /* its rate now */
    int32_t next_per_job;       /* the component's next per-job client, or -1 */
    ts_svc_client *client;
} client_state;

struct ts__services {
    ts__shared sh;
    ts__rts *rts;
    const ts_runtime *rt;
    ts_ctl *ctl;
    ts_svc_registry *registry;
    ts__autoscalers *autoscalers;
    ts_svc_responder **responders;   /* per component, or NULL */
    ts_svc_server **servers;         /* per component, or NULL */
    client_state *clients;
    size_t n_clients;
    int32_t *per_job_first;          /* per component: its first per-job
                                        client, or -1; NULL: none at all */
    ts_policy *policy;
    ts_policy_checker *checker;
};

static void on_done(void *ctx, const ts_svc_result *r)
{
    client_state *cs = ctx;
    const ts__shared *w = &cs->v->sh;
    const ts_scenario_client *sc = &w->s->clients[cs->index];
    if (r->status != TS_SVC_OK)
        return;     /* the deployment code recorded the timeout itself */
    char detail[160];
    snprintf(detail, sizeof detail, "%s: request %llu to %s answered",
             w->s->services[sc->service].id, (unsigned long long)r->request_id,
             w->s->components[r->endpoint].id);
    ts_platform_event ev = {ts_engine_now(w->engine), TS_EV_RESPONSE,
                            w->plan->node_of[sc->component], -1, sc->component,
                            (double)r->latency_ns, "", NULL};
    snprintf(ev.detail, sizeof ev.detail, "%s", detail);
    ts__bus_post(w->bus, &ev);
}

/* One call, while the calling component serves. A full queue or no live
 * replica the client records itself; the runtime failing (no memory for
 * a timer or a packet) ends the run rather than pass for a lost request
 * (returns 0 then). */
static int client_call(client_state *cs)
{
    const ts__shared *w = &cs->v->sh;
    const ts_scenario_client *sc = &w->s->clients[cs->index];
    if (!ts__rts_serving(cs->v->rts, sc->component) ||
        ts_rt_alive(cs->v->rt, TS_RT_COMPONENT, sc->component) != 1)
        return 1;
    int rc = ts_svc_client_call(cs->client, sc->service, 0, NULL);
    if (rc < 0 && rc != TS_ERANGE && rc != TS_ENOENT) {
        ts_error e;
        ts_error_set(&e, rc, w->s->path, sc->line, "this client's request could not be sent");
        ts__bus_fail(w->bus, &e);
        return 0;
    }
    return 1;
}

void ts__services_job(ts__services *v, const ts_job_record *job)
{
    /* only a job that ran to its end calls (one killed or left unfinished
     * at the end of the run produced nothing to ask about) */
    if (!v || !v->per_job_first || job->finish < 0)
        return;
    for (int32_t i = v->per_job_first[job->task]; i >= 0; i = v->clients[i].next_per_job)
        if (!client_call(&v->clients[i]))
            return;
}

static void on_call(ts_engine *engine, void *ctx, uint64_t arg)
{
    client_state *cs = ctx;
    const ts__shared *w = &cs->v->sh;
    const ts_scenario_client *sc = &w->s->clients[cs->index];
    (void)arg;
    if (!client_call(cs))
        return;
    /* A load ramp: the rate of the last step reached applies from the
     * first call at or after its time. */
    while (cs->step < sc->n_steps && ts_engine_now(engine) >= sc->steps[cs->step].at_ns)
        cs->period_ns = sc->steps[cs->step++].period_ns;
    if (ts_engine_schedule(engine, ts_engine_now(engine) + cs->period_ns, on_call, cs, 0,
                           NULL) != TS_OK) {
        ts_error e;
        ts_error_set(&e, TS_ENOMEM, w->s->path, sc->line, "cannot schedule this client's calls");
        ts__bus_fail(w->bus, &e);
    }
}

static int build_services(ts__services *v, ts_error *err)
{
    const ts__shared *w = &v->sh;
    const ts_scenario *s = w->s;
    size_t nc = s->n_components;
    size_t total = 0;
    for (size_t i = 0; i < s->n_services; i++)
        total += s->services[i].n_replicas;
    ts_svc_service_desc *sd = ts_calloc(s->n_services, sizeof *sd);
    ts_svc_replica *reps = ts_calloc(total ? total : 1, sizeof *reps);
    v->responders = ts_calloc(nc, sizeof *v->responders);
    v->servers = ts_calloc(nc, sizeof *v->servers);
    v->clients = ts_calloc(s->n_clients ? s->n_clients : 1, sizeof *v->clients);
    int rc = TS_OK;
    if (!sd || !reps || !v->responders || !v->servers || !v->clients) {
        rc = ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for services");
        goto out;
    }
    size_t at = 0;
    for (size_t i = 0; i < s->n_services; i++) {
        const ts_scenario_service *ss = &s->services[i];
        sd[i] = (ts_svc_service_desc){
            .name = ss->id,
            .replicas = &reps[at],
            .n_replicas = ss->n_replicas,
            .balance = ss->least_outstanding ? TS_SVC_LEAST_OUTSTANDING : TS_SVC_ROUND_ROBIN,
            .request_bytes = ss->request_bytes,
            .timeout_ns = ss->timeout_ns,
            .health_period_ns = ss->health_period_ns,
            .health_timeout_ns = ss->health_timeout_ns,
        };
        for (size_t k = 0; k < ss->n_replicas; k++) {
            int c = ss->replicas[k];
            reps[at++] = (ts_svc_replica){c, w->plan->node_of[c]};
            if (!v->responders[c] &&
                (rc = ts_svc_responder_new(v->rt, c, &v->responders[c], err)) != TS_OK)
                goto out;
            if (!v->servers[c]) {
                ts_svc_server_desc d = {
                    .endpoint = c,
                    .node = w->plan->node_of[c],
                    .workers = 1,
                    .max_queue = 64,
                    .service_time_ns = s->components[c].shared->exec_ns,
                    .response_bytes = ss->response_bytes,
                };
                if ((rc = ts_svc_server_new(v->rt, &d, &v->servers[c], err)) != TS_OK)
                    goto out;
            }
        }
    }
    int checker_node = s->n_clients ? w->plan->placement[s->clients[0].component].node
                                    : w->plan->placement[s->services[0].replicas[0]].node;
    ts_svc_registry_desc rd = {
        .services = sd,
        .n_services = s->n_services,
        .checker = ts_ctl_node_agent(v->ctl, checker_node),
        .checker_node = checker_node,
    };
    if ((rc = ts_svc_registry_new(v->rt, &rd, &v->registry, err)) != TS_OK)
        goto out;
    for (size_t i = 0; i < s->n_clients; i++) {
        const ts_scenario_client *sc = &s->clients[i];
        client_state *cs = &v->clients[i];
        cs->v = v;
        cs->index = i;
        cs->period_ns = sc->period_ns;
        cs->next_per_job = -1;
        ts_svc_client_desc cd = {
            .endpoint = sc->component,
            .node = w->plan->node_of[sc->component],
            .registry = v->registry,
            .max_outstanding = 64,
            .done = on_done,
            .done_ctx = cs,
            .colocated = v->servers[sc->component],
        };
        if ((rc = ts_svc_client_new(v->rt, &cd, &cs->client, err)) != TS_OK)
            goto out;
        v->n_clients++;
    }
    if ((rc = ts_svc_registry_start(v->registry)) != TS_OK) {
        ts_error_set(err, rc, s->path, 0, "cannot start the service registry");
        goto out;
    }
    if ((rc = ts__autoscalers_start(w, v->rts, v->registry, &v->autoscalers, err)) != TS_OK)
        goto out;
    /* Per-job clients listed per component, in scenario order (the
     * order a finished job's calls go out in). */
    for (size_t i = v->n_clients; i-- > 0;) {
        if (!s->clients[i].per_job)
            continue;
        if (!v->per_job_first) {
            if (!(v->per_job_first = ts_malloc(nc * sizeof *v->per_job_first))) {
                rc = ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for services");
                goto out;
            }
            for (size_t c = 0; c < nc; c++)
                v->per_job_first[c] = -1;
        }
        v->clients[i].next_per_job = v->per_job_first[s->clients[i].component];
        v->per_job_first[s->clients[i].component] = (int32_t)i;
    }
    for (size_t i = 0; i < v->n_clients; i++)
        if (!s->clients[i].per_job &&
            (rc = ts_engine_schedule(w->engine, ts_engine_now(w->engine), on_call,
                                     &v->clients[i], 0, NULL)) != TS_OK) {
            ts_error_set(err, rc, s->path, s->clients[i].line, "cannot start this client");
            goto out;
        }
out:
    ts_free(sd);
    ts_free(reps);
    return rc;
}

static int build_policy(ts__services *v, ts_error *err)
{
    const ts_scenario *s = v->sh.s;
    if (s->n_zones == 0 && s->n_allows == 0 && !s->default_deny)
        return TS_OK;
    size_t nc = s->n_components;
    int *zone_of = ts_malloc((nc ? nc : 1) * sizeof *zone_of);
    ts_policy_zone_rule *zr = ts_calloc(s->n_allows ? s->n_allows : 1, sizeof *zr);
    ts_policy_topic_rule *tr = ts_calloc(s->n_allows ? s->n_allows : 1, sizeof *tr);
    int rc = TS_OK;
    if (!zone_of || !zr || !tr) {
        rc = ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the policy");
        goto out;
    }
    for (size_t c = 0; c < nc; c++)
        zone_of[c] = s->components[c].zone;
    size_t nz = 0, nt = 0;
    for (size_t i = 0; i < s->n_allows; i++) {
        const ts_scenario_allow *a = &s->allows[i];
        if (a->topic >= 0)
            tr[nt++] = (ts_policy_topic_rule){a->topic,
                                              a->publish ? TS_POLICY_PUBLISH : TS_POLICY_SUBSCRIBE,
                                              a->component, -1};
        else
            zr[nz++] = (ts_policy_zone_rule){a->from_zone, a->to_zone};
    }
    ts_policy_desc d = {
        .n_components = nc,
        .zone_of = zone_of,
        .n_zones = s->n_zones,
        .n_topics = s->n_topics,
        .zone_rules = zr,
        .n_zone_rules = nz,
        .topic_rules = tr,
        .n_topic_rules = nt,
        .default_deny = s->default_deny,
    };
    if ((rc = ts_policy_new(&d, &v->policy, err)) == TS_OK)
        rc = ts_policy_checker_new(v->rt, v->policy, 0, &v->checker, err);
    if (rc == TS_OK)
        ts_ctl_set_policy(v->ctl, v->policy, v->checker);
out:
    ts_free(zone_of);
    ts_free(zr);
    ts_free(tr);
    return rc;
}

int ts__services_start(const ts__shared *sh, ts__rts *rts, ts__services **out, ts_error *err)
{
    const ts_scenario *s = sh->s;
    *out = NULL;
    if (s->n_services == 0 && s->n_zones == 0 && s->n_allows == 0 && !s->default_deny)
        return TS_OK;
    ts__services *v = ts_calloc(1, sizeof *v);
    *out = v;
    if (!v)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for services");
    v->sh = *sh;
    v->rts = rts;
    v->rt = ts__rts_runtime(rts);
    v->ctl = ts__rts_ctl(rts);
    int rc = TS_OK;
    if (s->n_services)
        rc = build_services(v, err);
    if (rc == TS_OK)
        rc = build_policy(v, err);
    return rc;
}

void ts__services_free(ts__services *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n_clients; i++)
        ts_svc_client_free(v->clients[i].client);
    ts__autoscalers_free(v->autoscalers);
    ts_svc_registry_free(v->registry);
    for (size_t c = 0; c < v->sh.s->n_components; c++) {
        if (v->servers)
            ts_svc_server_free(v->servers[c]);
        if (v->responders)
            ts_svc_responder_free(v->responders[c]);
    }
    ts_ctl_set_policy(v->ctl, NULL, NULL);
    ts_policy_checker_free(v->checker);
    ts_policy_free(v->policy);
    ts_free(v->clients);
    ts_free(v->per_job_first);
    ts_free(v->servers);
    ts_free(v->responders);
    ts_free(v);
}
