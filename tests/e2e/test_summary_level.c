/*
 * The summary trace level against the full one: the same scenario run at
 * both levels gives the validator the same verdict on every gate (same
 * actual values), the same counts per topic and component, the same
 * checks, failovers and recommendations, and percentiles within the
 * histograms' documented error (toposim/histogram.h). Scenarios: the
 * default one, one with a loss burst, two with failover, one whose Jetson
 * throttles, and tests/e2e/summary-health-gates.xml whose power, thermal and
 * health gates are declared. The node and link health figures agree too
 * (compare_health). And a full trace
 * limited by --trace-filter and --trace-window keeps only those rows and
 * fails closed. A full trace folded into windows while reading (large
 * traces; forced in test_folded) gives the same as a summary trace does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_run.h"
#include "toposim/histogram.h"
#include "toposim/report.h"
#include "toposim/trace.h"
#include "toposim/validate.h"
#include "toposim/world.h"

static ts_validation *validate(const ts_trace *t)
{
    ts_validation *v = NULL;
    ts_error err;
    if (ts_validate(t, &v, &err) != TS_OK)
        fail_msg("validate: %s", err.msg);
    return v;
}

static void assert_percentile_close(const char *item, const char *which, int64_t full,
                                    int64_t summary)
{
    if (full < 0 || summary < 0) {
        if (full != summary)
            fail_msg("%s %s: %lld at full, %lld at summary", item, which, (long long)full,
                     (long long)summary);
        return;
    }
    /* Both round to the nearest ns. */
    double allowed = (double)full * TS_HIST_REL_ERROR + 1.0;
    if (fabs((double)summary - (double)full) > allowed)
        fail_msg("%s %s: %lld at full, %lld at summary, allowed %.0f", item, which,
                 (long long)full, (long long)summary, allowed);
}

/* Exactly equal, NaN equal to NaN. */
static int same(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

/* Equal within the rounding of sums added in another grouping. */
static int close_to(double a, double b)
{
    return same(a, b) || fabs(a - b) <= 1e-12 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

#define SAME(what, x, y, item)                                                            \
    do {                                                                                  \
        if (!same((double)(x), (double)(y)))                                              \
            fail_msg("%s %s %s: %.17g at full, %.17g at summary", path, item, what,       \
                     (double)(x), (double)(y));                                           \
    } while (0)
#define CLOSE(what, x, y, item)                                                           \
    do {                                                                                  \
        if (!close_to((x), (y)))                                                          \
            fail_msg("%s %s %s: %.17g at full, %.17g at summary", path, item, what,       \
                     (double)(x), (double)(y));                                           \
    } while (0)

/* The health family's figures per link and node: from the summary level's
 * windows (format 5) as from the full level's rows, the peaks, counts,
 * time throttled, energy, battery, queue and loss figures bit-equal, the
 * mean use (sums added per window) within rounding, and so the scores. */
static void compare_health(const char *path, const ts_trace *full, const ts_trace *sum,
                           const ts_validation *a, const ts_validation *b)
{
    assert_true(sum->state_window_ns > 0 || sum->folded_window_ns > 0);
    assert_true((full->n_node_state > 0) == (sum->n_node_windows > 0));
    assert_true((full->n_link_state > 0) == (sum->n_link_windows > 0));
    assert_int_equal(sum->n_node_state + sum->n_link_state + sum->n_core_state, 0);
    assert_int_equal(a->n_links, b->n_links);
    for (size_t i = 0; i < a->n_links; i++) {
        const ts_link_health *x = &a->links[i], *y = &b->links[i];
        SAME("util_peak", x->util_peak, y->util_peak, x->name);
        CLOSE("util_mean", x->util_mean, y->util_mean, x->name);
        SAME("sent", x->sent, y->sent, x->name);
        SAME("dropped", x->dropped, y->dropped, x->name);
        SAME("lost", x->lost, y->lost, x->name);
        SAME("loss_rate", x->loss_rate, y->loss_rate, x->name);
        SAME("queue_peak_fraction", x->queue_peak_fraction, y->queue_peak_fraction, x->name);
        SAME("inflation", x->inflation, y->inflation, x->name);
        SAME("up_fraction", x->up_fraction, y->up_fraction, x->name);
        CLOSE("score", x->score, y->score, x->name);
    }
    assert_int_equal(a->n_nodes, b->n_nodes);
    for (size_t i = 0; i < a->n_nodes; i++) {
        const ts_node_health *x = &a->nodes[i], *y = &b->nodes[i];
        SAME("temp_peak_c", x->temp_peak_c, y->temp_peak_c, x->name);
        SAME("headroom_c", x->headroom_c, y->headroom_c, x->name);
        SAME("throttled_ns", x->throttled_ns, y->throttled_ns, x->name);
        SAME("power_peak_w", x->power_peak_w, y->power_peak_w, x->name);
        SAME("power_budget_w", x->power_budget_w, y->power_budget_w, x->name);
        assert_string_equal(x->power_mode, y->power_mode);
        SAME("energy_j", x->energy_j, y->energy_j, x->name);
        SAME("cpu_peak", x->cpu_peak, y->cpu_peak, x->name);
        SAME("gpu_peak", x->gpu_peak, y->gpu_peak, x->name);
        CLOSE("cpu_mean", x->cpu_mean, y->cpu_mean, x->name);
        CLOSE("gpu_mean", x->gpu_mean, y->gpu_mean, x->name);
        SAME("mem_peak_fraction", x->mem_peak_fraction, y->mem_peak_fraction, x->name);
        SAME("battery_end_wh", x->battery_end_wh, y->battery_end_wh, x->name);
        SAME("up_fraction", x->up_fraction, y->up_fraction, x->name);
        CLOSE("score", x->score, y->score, x->name);
    }
}

/* A recommendation's text with each p99 figure ("p99 response 4.1ms",
 * "p99 4.1ms": a percentile, within the histograms' error) left out. */
static const char *without_percentile(const char *text, char *buf, size_t size)
{
    snprintf(buf, size, "%s", text);
    for (char *p = strstr(buf, "p99 "); p; p = strstr(p, "p99 ")) {
        p += strlen("p99 ");
        if (!strncmp(p, "response ", strlen("response ")))
            p += strlen("response ");
        size_t n = strcspn(p, " )");
        memmove(p, p + n, strlen(p + n) + 1);
    }
    return buf;
}

/* The validator's verdicts from a full trace loaded whole (full) and from
 * the same run as summary windows (sum): a summary trace, or the full one
 * folded while reading. */
static void compare_pair(const char *path, ts_trace *full, ts_trace *sum)
{
    assert_true(sum->n_topic_windows > 0);
    assert_true(sum->n_messages < full->n_messages);
    ts_validation *a = validate(full), *b = validate(sum);
    compare_health(path, full, sum, a, b);

    assert_int_equal(a->n_gates, b->n_gates);
    for (size_t i = 0; i < a->n_gates; i++) {
        assert_string_equal(a->gates[i].name, b->gates[i].name);
        if (a->gates[i].pass != b->gates[i].pass)
            fail_msg("%s: gate %s %s at full, %s at summary", path, a->gates[i].name,
                     a->gates[i].pass ? "passes" : "fails", b->gates[i].pass ? "passes" : "fails");
        /* Folded state windows are longer than the summary level's, so a
         * health score's mean use may differ in its last bits. */
        if (!(sum->folded_window_ns > 0 ? close_to(a->gates[i].actual, b->gates[i].actual)
                                        : same(a->gates[i].actual, b->gates[i].actual)))
            fail_msg("%s: gate %s actual %.17g vs %.17g", path, a->gates[i].name,
                     a->gates[i].actual, b->gates[i].actual);
        assert_string_equal(a->gates[i].message, b->gates[i].message);
    }
    assert_int_equal(a->all_pass, b->all_pass);
    assert_int_equal(a->n_scores, b->n_scores);
    for (size_t i = 0; i < a->n_scores; i++) {
        const ts_score *x = &a->scores[i], *y = &b->scores[i];
        assert_string_equal(x->name, y->name);
        if (x->total != y->total || x->met != y->met || x->lost != y->lost ||
            x->lost_in_failover != y->lost_in_failover)
            fail_msg("%s %s: total/met/lost/in failover %llu/%llu/%llu/%llu at full, "
                     "%llu/%llu/%llu/%llu at summary", path, x->name,
                     (unsigned long long)x->total, (unsigned long long)x->met,
                     (unsigned long long)x->lost, (unsigned long long)x->lost_in_failover,
                     (unsigned long long)y->total, (unsigned long long)y->met,
                     (unsigned long long)y->lost, (unsigned long long)y->lost_in_failover);
        assert_true(x->compliance == y->compliance);
        assert_int_equal(x->max_ns, y->max_ns);
        assert_percentile_close(x->name, "p50", x->p50_ns, y->p50_ns);
        assert_percentile_close(x->name, "p90", x->p90_ns, y->p90_ns);
        assert_percentile_close(x->name, "p99", x->p99_ns, y->p99_ns);
        assert_percentile_close(x->name, "p99.9", x->p999_ns, y->p999_ns);
    }
    assert_int_equal(a->n_checks, b->n_checks);
    for (size_t i = 0; i < a->n_checks; i++) {
        assert_int_equal(a->checks[i].status, b->checks[i].status);
        assert_string_equal(a->checks[i].detail, b->checks[i].detail);
    }
    assert_int_equal(a->n_failovers, b->n_failovers);
    for (size_t i = 0; i < a->n_failovers; i++)
        assert_int_equal(a->failovers[i].samples_lost, b->failovers[i].samples_lost);
    assert_int_equal(a->n_recs, b->n_recs);
    for (size_t i = 0; i < a->n_recs; i++) {
        char x[1024], y[1024];
        assert_string_equal(without_percentile(a->recs[i].text, x, sizeof x),
                            without_percentile(b->recs[i].text, y, sizeof y));
    }
    ts_validation_free(a);
    ts_validation_free(b);
    ts_trace_free(full);
    ts_trace_free(sum);
}

/* The report of a summary trace draws each topic's CDF from the
 * histograms (a point per bucket, ending at 1) and says on its page what
 * it draws from windows. gnuplot need not be there: the data files and
 * the page are written either way. */
static void test_report_from_summary(void **state)
{
    (void)state;
    ts_run_options o = {.trace_level = TS_TRACE_LEVEL_SUMMARY};
    ts_trace *t = scenario_run_with("scenarios/wifi-loss-burst.xml", &o);
    ts_validation *v = validate(t);
    char dir[] = "/tmp/toposim-summary-report-XXXXXX";
    assert_non_null(mkdtemp(dir));
    ts_report_options ro = {.out_dir = dir, .trace_path = "summary.h5",
                            .gnuplot = "/nonexistent/gnuplot"};
    ts_report_result res;
    ts_error err;
    ts_report_write(t, v, &ro, &res, &err);
    char path[256], line[256];
    snprintf(path, sizeof path, "%s/latency-cdf-000-%s.csv", dir, t->topics[0].name);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("no CDF data file %s", path);
    double x = 0, frac = 0;
    size_t points = 0;
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f) && sscanf(line, "%lf,%lf", &x, &frac) == 2)
        points++;
    fclose(f);
    assert_true(points >= 2);
    assert_true(fabs(frac - 1.0) < 1e-9);
    snprintf(path, sizeof path, "%s/index.html", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    static char page[1 << 20];
    size_t n = fread(page, 1, sizeof page - 1, f);
    page[n] = '\0';
    fclose(f);
    assert_non_null(strstr(page, "Summary trace: latency CDFs are drawn from log-bucketed"));
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    ts_validation_free(v);
    ts_trace_free(t);
}

static void compare(const char *path)
{
    ts_run_options o = {.trace_level = TS_TRACE_LEVEL_SUMMARY};
    ts_trace *full = scenario_run(path);
    ts_trace *sum = scenario_run_with(path, &o);
    assert_int_equal(sum->level, TS_TRACE_LEVEL_SUMMARY);
    compare_pair(path, full, sum);
}

/* A full trace read in chunks and folded into windows (trace.h, "Folded
 * reading"; forced here by a fold threshold of 0 rows) against the same
 * trace loaded whole: the same verdicts, counts and health figures,
 * percentiles within the histograms' error, and the rows a summary trace
 * keeps (in flight, failover subscribers, unfinished jobs) kept. */
static void compare_folded(const char *path)
{
    ts_trace *full = scenario_run(path);
    ts_trace_set_fold_rows(0);
    ts_trace *folded = scenario_run(path);
    ts_trace_set_fold_rows(TS_TRACE_FOLD_ROWS);
    assert_int_equal(full->folded_window_ns, 0);
    assert_true(folded->folded_window_ns >= 1000000000LL);
    assert_int_equal(folded->level, TS_TRACE_LEVEL_FULL);
    assert_int_equal(folded->folded_rows, full->n_messages + full->n_jobs + full->n_node_state +
                                              full->n_link_state + full->n_core_state);
    for (size_t i = 0; i < folded->n_messages; i++)
        assert_true(folded->messages[i].status == TS_MSG_IN_FLIGHT ||
                    folded->n_failover_groups > 0);
    for (size_t i = 0; i < folded->n_jobs; i++)
        assert_int_equal(folded->jobs[i].finish_ns, -1);
    compare_pair(path, full, folded);
}

static void test_folded(void **state)
{
    (void)state;
    compare_folded("scenarios/humanoid-basic.xml");
    compare_folded("scenarios/wifi-loss-burst.xml");
    compare_folded("scenarios/edge-failover.xml");
    compare_folded("scenarios/safety-hot-standby.xml");
    compare_folded("scenarios/jetson-thermal-throttle.xml");
    compare_folded("tests/e2e/summary-health-gates.xml");
}

static void test_humanoid_basic(void **state)
{
    (void)state;
    compare("scenarios/humanoid-basic.xml");
}

static void test_loss(void **state)
{
    (void)state;
    compare("scenarios/wifi-loss-burst.xml");
}

static void test_failover(void **state)
{
    (void)state;
    compare("scenarios/edge-failover.xml");
}

static void test_hot_standby(void **state)
{
    (void)state;
    compare("scenarios/safety-hot-standby.xml");
}

static void test_thermal_throttle(void **state)
{
    (void)state;
    compare("scenarios/jetson-thermal-throttle.xml");
}

/* Power budget, thermal headroom and health gates. */
static void test_health_gates(void **state)
{
    (void)state;
    compare("tests/e2e/summary-health-gates.xml");
}

static const ts_gate *gate_named(const ts_validation *v, const char *name)
{
    for (size_t i = 0; i < v->n_gates; i++)
        if (!strcmp(v->gates[i].name, name))
            return &v->gates[i];
    fail_msg("no gate %s", name);
    return NULL;
}

/* A full trace limited to one topic and a window keeps only those rows,
 * and the validator fails closed: the trace says it is filtered, the
 * kept topic is judged, the others have no evidence and fail. */
static void test_filter_and_window(void **state)
{
    (void)state;
    ts_run_options o = {.trace_filter = "topic=joint_states",
                        .trace_window_start_ns = 2000000000LL,
                        .trace_window_end_ns = 5000000000LL};
    ts_trace *t = scenario_run_with("scenarios/humanoid-basic.xml", &o);
    int js = ROW(t, topics, "joint_states");
    assert_string_equal(t->filter, "topic=joint_states");
    assert_true(t->window_start_ns == 2000000000LL && t->window_end_ns == 5000000000LL);
    assert_true(t->n_messages > 0);
    for (size_t i = 0; i < t->n_messages; i++) {
        assert_int_equal(t->messages[i].topic, js);
        assert_true(t->messages[i].send_ns >= 2000000000LL &&
                    t->messages[i].send_ns < 5000000000LL);
    }
    assert_int_equal(t->n_jobs, 0);
    ts_validation *v = validate(t);
    assert_false(v->all_pass);
    const ts_gate *g = gate_named(v, "run:trace-complete");
    assert_false(g->pass);
    assert_non_null(strstr(g->message, "filtered"));
    assert_true(gate_named(v, "topic-deadline:joint_states")->pass);
    assert_false(gate_named(v, "component-deadline:control_loop")->pass);
    ts_validation_free(v);
    ts_trace_free(t);

    /* Unfiltered, the same scenario passes and has no such gate. */
    t = scenario_run("scenarios/humanoid-basic.xml");
    v = validate(t);
    assert_true(v->all_pass);
    for (size_t i = 0; i < v->n_gates; i++)
        assert_string_not_equal(v->gates[i].name, "run:trace-complete");
    ts_validation_free(v);
    ts_trace_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_humanoid_basic),
        cmocka_unit_test(test_loss),
        cmocka_unit_test(test_failover),
        cmocka_unit_test(test_hot_standby),
        cmocka_unit_test(test_thermal_throttle),
        cmocka_unit_test(test_health_gates),
        cmocka_unit_test(test_filter_and_window),
        cmocka_unit_test(test_report_from_summary),
        cmocka_unit_test(test_folded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
