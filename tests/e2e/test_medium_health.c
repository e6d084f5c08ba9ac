/*
 * Shared media through run and validate: two cameras share the Wi-Fi
 * medium "air" (tests/e2e/medium-airtime.xml, medium-saturated.xml); the
 * validator's media row shows the air time computed by hand from the
 * frame sizes, at the full and summary levels and when the full trace is
 * read folded; a saturated medium is named as the binding resource; a
 * scenario without media shows no media block.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "toposim/sim.h"
#include "toposim/trace.h"
#include "toposim/validate.h"
#include "toposim/world.h"

#include "scenario_run.h"

static ts_validation *validate(const ts_trace *t)
{
    ts_validation *v = NULL;
    ts_error err;
    ts_error_clear(&err);
    if (ts_validate(t, &v, &err) != TS_OK)
        fail_msg("ts_validate: %s", err.msg);
    return v;
}

static const ts_recommendation *rec_of(const ts_validation *v, const char *rule)
{
    for (size_t i = 0; i < v->n_recs; i++)
        if (!strcmp(v->recs[i].rule, rule))
            return &v->recs[i];
    return NULL;
}

static char *scorecard(const ts_validation *v)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    assert_non_null(mem);
    ts_validation_print_text(v, 0, mem);
    assert_int_equal(fclose(mem), 0);
    return buf;
}

/* One medium "air" of two links: its health row from /medium_state. */
static void expect_air(const ts_validation *v, double util, uint64_t sent, double score)
{
    assert_int_equal(v->n_media, 1);
    const ts_medium_health *h = &v->media[0];
    assert_string_equal(h->name, "air");
    assert_int_equal(h->links, 2);
    if (fabs(h->util_peak - util) > 1e-9 || fabs(h->util_mean - util) > 1e-9)
        fail_msg("air busy %.12f peak, %.12f mean; expected %.12f", h->util_peak, h->util_mean,
                 util);
    assert_int_equal(h->sent, sent);
    assert_int_equal(h->dropped, 0);
    assert_int_equal(h->lost, 0);
    assert_true(h->loss_rate == 0.0);
    assert_true(h->queue_peak_fraction == 0.0);
    if (fabs(h->score - score) > 1e-6)
        fail_msg("air scores %.9f, expected %.9f", h->score, score);
}

/* 12500-byte frames: 1 ms of air each at 100 Mbit/s, 2 cameras x 10
 * frames per 100 ms window: 20 % busy in every window, 200 packets over
 * the second. The link formula gives 100 x clamp(0.8 / 0.4) = 100, no
 * recommendation. The trace says which links are on the air. */
static void test_air_time_row(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("tests/e2e/medium-airtime.xml");
    assert_int_equal(t->links[ROW(t, links, "wifi_r1")].medium, 0);
    assert_int_equal(t->links[ROW(t, links, "wifi_r2")].medium, 0);
    assert_int_equal(t->links[ROW(t, links, "uplink")].medium, -1);
    ts_validation *v = validate(t);
    expect_air(v, 0.2, 200, 100.0);
    assert_null(rec_of(v, "medium-saturated"));
    char *text = scorecard(v);
    const char *row = strstr(text, "  Media (shared air time)\n");
    assert_non_null(row);
    if (!strstr(row, "  100.0    20% /   20%   0.00%          0%        0     0      2\n"))
        fail_msg("media row:\n%s", row);
    free(text);
    ts_validation_free(v);
    ts_trace_free(t);
}

/* 45000-byte frames: 3.6 ms of air each (camera 1 from 1 to 4.6 ms after
 * each 10 ms release, camera 2 from 6 to 9.6 ms: never queued), 72 ms of
 * every 100 ms window. Score 100 x (1 - 0.72) / 0.4 = 70, the least
 * healthy item (each Wi-Fi link 36 %, the uplink 20 x 36 us = 0.72 %):
 * health 70/100. Mean 72 % >= 60 % and no wired link busier: the air
 * binds. The same figures at the summary level and read folded. */
static void test_saturated_air_binds(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("tests/e2e/medium-saturated.xml");
    ts_validation *v = validate(t);
    expect_air(v, 0.72, 200, 70.0);
    assert_true(fabs(v->family_score[TS_FAMILY_HEALTH] - 0.70) < 1e-9);
    const ts_recommendation *r = rec_of(v, "medium-saturated");
    assert_non_null(r);
    assert_string_equal(r->item, "air");
    assert_string_equal(r->text,
                        "air time of air binds: 72 % busy at peak, 72 % mean over its 2 link(s), "
                        "the wired links at most 1 % (uplink): stagger the robots' phases, lower "
                        "the camera rates or add an access point");
    assert_null(rec_of(v, "link-saturated"));
    ts_validation_free(v);
    ts_trace_free(t);

    ts_run_options o = {.trace_level = TS_TRACE_LEVEL_SUMMARY};
    t = scenario_run_with("tests/e2e/medium-saturated.xml", &o);
    assert_true(t->state_window_ns > 0);
    v = validate(t);
    expect_air(v, 0.72, 200, 70.0);
    assert_non_null(rec_of(v, "medium-saturated"));
    ts_validation_free(v);
    ts_trace_free(t);

    ts_trace_set_fold_rows(1);
    t = scenario_run("tests/e2e/medium-saturated.xml");
    ts_trace_set_fold_rows(TS_TRACE_FOLD_ROWS);
    assert_true(t->folded_window_ns > 0);
    assert_int_equal(t->n_medium_state, 10); /* read whole */
    v = validate(t);
    expect_air(v, 0.72, 200, 70.0);
    assert_non_null(rec_of(v, "medium-saturated"));
    ts_validation_free(v);
    ts_trace_free(t);
}

/* The default scenario has no medium: no media rows, no block, no
 * medium recommendation, every link its own wire. */
static void test_no_media_no_block(void **state)
{
    (void)state;
    ts_trace *t = scenario_run("scenarios/humanoid-basic.xml");
    assert_int_equal(t->n_media, 0);
    for (size_t i = 0; i < t->n_links; i++)
        assert_int_equal(t->links[i].medium, -1);
    ts_validation *v = validate(t);
    assert_int_equal(v->n_media, 0);
    assert_null(rec_of(v, "medium-saturated"));
    char *text = scorecard(v);
    assert_null(strstr(text, "Media"));
    assert_non_null(strstr(text, "  Links\n"));
    free(text);
    ts_validation_free(v);
    ts_trace_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_air_time_row),
        cmocka_unit_test(test_saturated_air_binds),
        cmocka_unit_test(test_no_media_no_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
