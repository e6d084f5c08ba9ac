/*
 * The validator's autoscaling report (src/validate/autoscaling.c) on
 * hand-built traces: replica-hours and cost from the billed counts the
 * records carry, cold-start intervals (a ready replica's, a cancelled
 * one's, one still starting at the end), the latency split by the send
 * instant, the gate failing without evidence, and records whose values
 * no autoscaler writes refused.
 */
#include "validate_fixture.h"

/* Service "infer" served by srv0 and srv1, called by gw. */
typedef struct world {
    fixture f;
    ts_trace_service_replica reps[2];
    int srv0, srv1, gw;
} world;

static void world_init(world *w, int64_t duration)
{
    fx_init(&w->f, "as", duration);
    w->srv0 = add_comp(&w->f, "srv0", 0);
    w->srv1 = add_comp(&w->f, "srv1", 0);
    w->gw = add_comp(&w->f, "gw", 0);
    w->f.t.n_services = 1;
    snprintf(w->f.services[0].name, sizeof w->f.services[0].name, "infer");
    w->f.services[0].n_replicas = 2;
    w->f.services[0].timeout_ns = SEC(1);
    w->reps[0] = (ts_trace_service_replica){0, w->srv0};
    w->reps[1] = (ts_trace_service_replica){0, w->srv1};
    w->f.t.service_replicas = w->reps;
    w->f.t.n_service_replicas = 2;
    w->f.t.n_clients = 1;
    w->f.clients[0] = (ts_trace_client){.component = w->gw, .service = 0, .period_ns = MS(10)};
}

/* Price 2 an hour. srv0 billed from 0; srv1 launched at 10 s, ready at
 * 12 s, stopped at 31 s; run 60 s: 1 x 10 + 2 x 21 + 1 x 29 = 81
 * replica-seconds, 0.0225 h, cost 0.045. Responses sent at 5 s (10 ms),
 * 11 s (300 ms: in the cold start) and 40 s (12 ms). */
static void test_cost_and_cold_latency(void **state)
{
    (void)state;
    world w;
    world_init(&w, SEC(60));
    fixture *f = &w.f;
    add_event(f, 0, "autoscale", -1, w.srv0, 2.0, "policy");
    add_event(f, 0, "replica_start", -1, w.srv0, 1, "running from the start");
    add_event(f, 0, "replica_ready", -1, w.srv0, 1, "running from the start");
    add_event(f, SEC(5) + MS(10), "response", -1, w.gw, (double)MS(10), "infer: answered");
    add_event(f, SEC(10), "autoscale_eval", -1, w.srv0, 1.5, "");
    add_event(f, SEC(10), "scale_out", -1, w.srv0, 2, "");
    add_event(f, SEC(10), "replica_start", -1, w.srv1, 2, "launched");
    add_event(f, SEC(11) + MS(300), "response", -1, w.gw, (double)MS(300), "infer: answered");
    add_event(f, SEC(12), "replica_ready", -1, w.srv1, 2, "cold start over");
    add_event(f, SEC(30), "autoscale_eval", -1, w.srv0, 0.2, "");
    add_event(f, SEC(30), "scale_in", -1, w.srv0, 1, "");
    add_event(f, SEC(31), "replica_stopped", -1, w.srv1, 1, "drained");
    add_event(f, SEC(40) + MS(12), "response", -1, w.gw, (double)MS(12), "infer: answered");
    ts_validation *v = validate_ok(f);
    assert_int_equal(v->n_autoscaling, 1);
    const ts_autoscale_report *r = &v->autoscaling[0];
    assert_string_equal(r->service, "infer");
    assert_true(fabs(r->replica_hours - 81.0 / 3600.0) < 1e-15);
    assert_true(fabs(r->cost - 2.0 * 81.0 / 3600.0) < 1e-15);
    assert_int_equal(r->billed_min, 1);
    assert_int_equal(r->billed_peak, 2);
    assert_int_equal(r->decisions, 2);
    assert_int_equal(r->scale_outs, 1);
    assert_int_equal(r->scale_ins, 1);
    assert_int_equal(r->cold_starts, 1);
    assert_int_equal(r->cold_ns, SEC(2));
    assert_int_equal(r->cold_responses, 1);
    assert_int_equal(r->cold_p99_ns, MS(300));
    assert_int_equal(r->steady_responses, 2);
    assert_int_equal(r->steady_p50_ns, MS(11));   /* between 10 and 12 ms */
    const ts_gate *g = gate_named(v, "autoscale:infer");
    assert_non_null(g);
    assert_true(g->pass);
    ts_validation_free(v);
}

/* A launch cancelled at 3 s is a cold start [1, 3) that never served; one
 * still starting at the end (launched at 8 s, run 10 s) counts to the
 * end. Overlapping intervals count once. */
static void test_cancelled_and_unfinished_cold_starts(void **state)
{
    (void)state;
    world w;
    world_init(&w, SEC(10));
    fixture *f = &w.f;
    add_event(f, 0, "autoscale", -1, w.srv0, 1.0, "policy");
    add_event(f, 0, "replica_start", -1, w.srv0, 1, "");
    add_event(f, 0, "replica_ready", -1, w.srv0, 1, "");
    add_event(f, SEC(1), "replica_start", -1, w.srv1, 2, "");
    add_event(f, SEC(3), "replica_stopped", -1, w.srv1, 1, "cancelled while starting");
    add_event(f, SEC(8), "replica_start", -1, w.srv1, 2, "");
    add_event(f, SEC(9), "response", -1, w.gw, (double)MS(10), "");
    add_event(f, SEC(9), "autoscale_eval", -1, w.srv0, 1.0, "");
    ts_validation *v = validate_ok(f);
    const ts_autoscale_report *r = &v->autoscaling[0];
    assert_int_equal(r->cold_ns, SEC(2) + SEC(2));
    /* billed: 1 x 1 + 2 x 2 + 1 x 5 + 2 x 2 = 14 replica-seconds */
    assert_true(fabs(r->replica_hours - 14.0 / 3600.0) < 1e-15);
    assert_int_equal(r->cold_responses, 1);       /* sent 8.99 s */
    assert_int_equal(r->steady_responses, 0);
    assert_int_equal(r->steady_p99_ns, -1);
    ts_validation_free(v);
}

/* No decision and no answer: no evidence, the gate fails. */
static void test_gate_fails_closed(void **state)
{
    (void)state;
    world w;
    world_init(&w, SEC(10));
    add_event(&w.f, 0, "autoscale", -1, w.srv0, 1.0, "policy");
    add_event(&w.f, 0, "replica_start", -1, w.srv0, 1, "");
    ts_validation *v = validate_ok(&w.f);
    const ts_gate *g = gate_named(v, "autoscale:infer");
    assert_non_null(g);
    assert_false(g->pass);
    assert_non_null(strstr(g->message, "no evidence"));
    assert_false(v->all_pass);
    ts_validation_free(v);
}

/* A worker pool: wk and wk_2 replicas of no service (replica_of wk).
 * Price 1 an hour; wk billed from 0, wk_2 launched at 4 s, ready at 6 s,
 * stopped at 16 s; run 20 s: 1 x 4 + 2 x 12 + 1 x 4 = 32 replica-seconds.
 * Jobs released at 1 s (4 ms), 5 s (40 ms: in the cold start) and 10 s
 * (6 ms); one released at 19 s never finishes and is left out. Without
 * a finished job the gate fails closed. */
static void test_worker_pool(void **state)
{
    (void)state;
    for (int finished = 0; finished < 2; finished++) {
        world w;
        world_init(&w, SEC(20));
        fixture *f = &w.f;
        int wk = add_comp(f, "wk", MS(100)), wk2 = add_comp(f, "wk_2", MS(100));
        f->comps[wk].replica_of = f->comps[wk2].replica_of = wk;
        add_event(f, 0, "autoscale", -1, wk, 1.0, "policy");
        add_event(f, 0, "replica_start", -1, wk, 1, "");
        add_event(f, 0, "replica_ready", -1, wk, 1, "");
        add_event(f, SEC(4), "autoscale_eval", -1, wk, 3.0, "");
        add_event(f, SEC(4), "scale_out", -1, wk, 2, "");
        add_event(f, SEC(4), "replica_start", -1, wk2, 2, "");
        add_event(f, SEC(6), "replica_ready", -1, wk2, 2, "");
        add_event(f, SEC(14), "autoscale_eval", -1, wk, 0.2, "");
        add_event(f, SEC(14), "scale_in", -1, wk, 1, "");
        add_event(f, SEC(16), "replica_stopped", -1, wk2, 1, "");
        if (finished) {
            add_job(f, wk, SEC(1), SEC(1) + MS(4), SEC(2));
            add_job(f, wk2, SEC(5), SEC(5) + MS(40), SEC(6));
            add_job(f, wk, SEC(10), SEC(10) + MS(6), SEC(11));
        }
        add_job(f, wk, SEC(19), -1, SEC(30));
        ts_validation *v = validate_ok(f);
        assert_int_equal(v->n_autoscaling, 1);
        const ts_autoscale_report *r = &v->autoscaling[0];
        assert_string_equal(r->service, "wk");
        assert_int_equal(r->workers, 1);
        assert_true(fabs(r->replica_hours - 32.0 / 3600.0) < 1e-15);
        assert_int_equal(r->cold_ns, SEC(2));
        assert_int_equal(r->cold_responses, (uint64_t)finished);
        assert_int_equal(r->steady_responses, 2 * (uint64_t)finished);
        if (finished) {
            assert_int_equal(r->cold_p99_ns, MS(40));
            assert_int_equal(r->steady_p50_ns, MS(5));
        }
        const ts_gate *g = gate_named(v, "autoscale:wk");
        assert_non_null(g);
        assert_int_equal(g->pass, finished);
        ts_validation_free(v);
    }
}

/* Values no autoscaler writes: a NaN or fractional count, a negative
 * price, an autoscale record on a component that serves no service. */
static void test_refuses_impossible_records(void **state)
{
    (void)state;
    for (int k = 0; k < 4; k++) {
        world w;
        world_init(&w, SEC(10));
        int on = k == 3 ? w.gw : w.srv0;
        add_event(&w.f, 0, "autoscale", -1, on, k == 2 ? -1.0 : 1.0, "policy");
        add_event(&w.f, 0, "replica_start", -1, w.srv0, k == 0 ? NAN : k == 1 ? 1.5 : 1, "");
        ts_validation *v = NULL;
        ts_error err;
        assert_int_equal(ts_validate(&w.f.t, &v, &err), TS_EFORMAT);
        assert_null(v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cost_and_cold_latency),
        cmocka_unit_test(test_cancelled_and_unfinished_cold_starts),
        cmocka_unit_test(test_gate_fails_closed),
        cmocka_unit_test(test_worker_pool),
        cmocka_unit_test(test_refuses_impossible_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
