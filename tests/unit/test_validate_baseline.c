/*
 * Tests of the baseline comparison: tolerance parsing, each metric's
 * limit from hand values, and the before/after table.
 */
#include "validate_fixture.h"

/* vision's jobs take resp_ms each; the node peaks at temp_c with energy_j;
 * a failover takes failover_ms. */
static void build_run(fixture *f, double resp_ms, double temp_c, double energy_j,
                      int failover_ms, int lost)
{
    fx_init(f, "base", SEC(1));
    int vis = add_comp(f, "vision", MS(33)), b = add_comp(f, "vision_b", MS(33));
    place(f, vis, 0, 0);
    place(f, b, 0, 0);
    int t = add_topic(f, "camera_image", MS(60));
    for (int i = 0; i < 10; i++) {
        add_job(f, vis, MS(33) * i, MS(33) * i + (int64_t)(resp_ms * 1e6), MS(33) * (i + 1));
        add_msg(f, t, i < lost ? TS_MSG_LOST : TS_MSG_DELIVERED, MS(33) * i, MS(33) * i + MS(20));
        f->msgs[f->t.n_messages - 1].publisher = vis;
        f->msgs[f->t.n_messages - 1].subscriber = vis;
    }
    add_node_state(f, 0, SEC(1), 0.2, temp_c, 5, "")->energy_j = energy_j;
    add_event(f, MS(500), "failover_time", 0, b, (double)MS(failover_ms),
              "vision_b serving after the fault: within its 100.000 ms budget");
    add_event(f, MS(500), "failover", 0, b, 0, "vision: component 1 serves, replacing 0");
}

static void test_tolerance_parse(void **state)
{
    (void)state;
    ts_tolerance t = ts_tolerance_default();
    assert_true(t.p99_ratio == 0.10 && t.miss_ratio == 0.01 && t.failover_ratio == 0.10);
    assert_true(t.temp_c == 2.0 && t.energy_ratio == 0.05);
    ts_error err;
    ts_error_clear(&err);
    assert_int_equal(ts_tolerance_parse("p99=25%,temp=3C,energy=0.1", &t, &err), TS_OK);
    assert_true(t.p99_ratio == 0.25 && t.temp_c == 3.0 && t.energy_ratio == 0.1);
    assert_true(t.miss_ratio == 0.01); /* untouched */
    assert_int_equal(ts_tolerance_parse("latency=5%", &t, &err), TS_EINVAL);
    assert_non_null(strstr(err.msg, "unknown metric"));
    assert_int_equal(ts_tolerance_parse("p99", &t, &err), TS_EINVAL);
    assert_int_equal(ts_tolerance_parse("p99=-1%", &t, &err), TS_EINVAL);
    assert_int_equal(ts_tolerance_parse("p99=abc", &t, &err), TS_EINVAL);
    assert_int_equal(ts_tolerance_parse("temp=3%", &t, &err), TS_EINVAL);
}

static const ts_delta *delta(const ts_comparison *c, const char *metric, const char *item)
{
    for (size_t i = 0; i < c->n_deltas; i++)
        if (!strcmp(c->deltas[i].metric, metric) && !strcmp(c->deltas[i].item, item))
            return &c->deltas[i];
    fail_msg("no %s delta for %s", metric, item);
    return NULL;
}

static void test_compare(void **state)
{
    (void)state;
    fixture a, b;
    build_run(&a, 10, 60, 100, 20, 0);
    build_run(&b, 13, 63, 104, 21, 1); /* 30 % slower, 3 C hotter, 1 frame lost */
    ts_validation *va = validate_ok(&a), *vb = validate_ok(&b);
    ts_comparison *c = NULL;
    ts_error err;
    ts_error_clear(&err);
    assert_int_equal(ts_validation_compare(va, vb, NULL, &c, &err), TS_OK);
    assert_int_equal(c->same_scenario, 1);
    const ts_delta *d = delta(c, "p99", "vision");
    assert_true(d->before == (double)MS(10) && d->after == (double)MS(13));
    assert_true(fabs(d->limit - (double)MS(11)) < 1);
    assert_int_equal(d->regression, 1);
    d = delta(c, "miss", "camera_image");
    assert_true(d->before == 0 && fabs(d->after - 0.1) < 1e-12);
    assert_int_equal(d->regression, 1);
    d = delta(c, "failover", "vision");
    assert_int_equal(d->regression, 0); /* 21 ms within 22 */
    d = delta(c, "temp", "robot1.computer");
    assert_true(d->limit == 62);
    assert_int_equal(d->regression, 1);
    d = delta(c, "energy", "robot1.computer");
    assert_int_equal(d->regression, 0); /* 104 J within 105 */
    assert_int_equal(c->regressions, 3);

    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    ts_comparison_print_text(c, mem);
    fclose(mem);
    assert_non_null(strstr(buf, "p99      vision"));
    assert_non_null(strstr(buf, "10.00ms    13.00ms   +30.0%    11.00ms  REGRESSION"));
    assert_non_null(strstr(buf, "BASELINE: REGRESSION (3 regression(s) in"));
    free(buf);
    ts_comparison_free(c);

    /* Looser tolerances: no regression. */
    ts_tolerance tol = ts_tolerance_default();
    assert_int_equal(ts_tolerance_parse("p99=35%,miss=20%,temp=5C", &tol, &err), TS_OK);
    assert_int_equal(ts_validation_compare(va, vb, &tol, &c, &err), TS_OK);
    assert_int_equal(c->regressions, 0);
    buf = NULL;
    mem = open_memstream(&buf, &len);
    ts_comparison_print_text(c, mem);
    fclose(mem);
    assert_non_null(strstr(buf, "BASELINE: OK"));
    free(buf);
    ts_comparison_free(c);

    /* The same run compared with itself never regresses. */
    assert_int_equal(ts_validation_compare(va, va, NULL, &c, &err), TS_OK);
    assert_int_equal(c->regressions, 0);
    ts_comparison_free(c);
    assert_int_equal(ts_validation_compare(va, NULL, NULL, &c, &err), TS_EINVAL);
    assert_null(c);
    ts_validation_free(va);
    ts_validation_free(vb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tolerance_parse),
        cmocka_unit_test(test_compare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
