/*
 * Shared media in the validator (trace /media and /medium_state): each
 * medium's health row folds its windows with hand-computed figures and
 * the link formula, enters the health family's least healthy item, shows
 * in the text and JSON scorecards, and a medium whose air time is as busy
 * as a saturated link gets the medium-saturated recommendation. A trace
 * without media prints no media block.
 */
#include "validate_fixture.h"

#include "toposim/scenario.h"
#include "validate/validate_internal.h"

typedef struct media_fixture {
    fixture f;
    ts_trace_medium media[2];
    ts_trace_medium_state rows[8];
} media_fixture;

/* The robot reaches the edge over link "wifi" (37 % busy, healthy),
 * attached to medium "air" (1 MiB shared queue), then the wired link
 * "uplink" (20 % busy, on no medium). */
static void build(media_fixture *m)
{
    fixture *f = &m->f;
    memset(m->media, 0, sizeof m->media);
    memset(m->rows, 0, sizeof m->rows);
    fx_init(f, "media", SEC(1));
    f->t.format_version = 6;
    int edge = add_node(f, "edge1", "edge");
    int l = add_link(f, "wifi", 0, edge, US(500), 600e6, 4 << 20);
    f->links[l].medium = 0;
    add_link_state(f, l, 0, SEC(1), 0.37, 100, 0, 0, 0);
    l = add_link(f, "uplink", 0, edge, US(50), 10e9, 4 << 20);
    f->links[l].medium = -1;
    add_link_state(f, l, 0, SEC(1), 0.20, 100, 0, 0, 0);
    add_node_state(f, 0, SEC(1), 0.2, 50, 5, "");
    snprintf(m->media[0].name, sizeof m->media[0].name, "air");
    m->media[0].capacity_bps = 100e6;
    m->media[0].queue_bytes = 1 << 20;
    m->media[0].links = 1;
    f->t.media = m->media;
    f->t.n_media = 1;
    f->t.medium_state = m->rows;
}

static void add_row(media_fixture *m, int64_t end_ns, int64_t window_ns, double u,
                    int64_t queue_bytes, uint64_t sent, uint64_t dropped, uint64_t lost)
{
    ts_trace_medium_state *r = &m->rows[m->f.t.n_medium_state++];
    r->medium = 0;
    r->time_ns = end_ns;
    r->window_ns = window_ns;
    r->utilisation = u;
    r->queue_bytes = queue_bytes;
    r->sent_packets = sent;
    r->dropped_packets = dropped;
    r->lost_packets = lost;
}

/* Two windows of unequal length (a summary trace's last window is short):
 * 100 ms fully busy, then 300 ms idle. Peak 1.0; mean (1.0 x 100 + 0 x
 * 300) / 400 = 0.25 (weighted by window, not 0.5 per row); 100 sent, 1
 * dropped: loss 1 / 100 = 1 %; queue 768 KiB of 1 MiB = 0.75 at peak.
 * Link formula: f_util = clamp(0.75 / 0.4) = 1, f_loss = 1 - 0.01 / 0.05
 * = 0.8, f_queue = (1 - 0.75) / 0.5 = 0.5: 100 x 1 x 0.8 x 0.5 = 40,
 * below 50 (unhealthy) and the least healthy item of the family. */
static void test_medium_health_row(void **state)
{
    (void)state;
    media_fixture m;
    build(&m);
    add_row(&m, MS(100), MS(100), 1.0, 768 << 10, 60, 1, 0);
    add_row(&m, MS(400), MS(300), 0.0, 0, 40, 0, 0);
    ts_validation *v = validate_ok(&m.f);
    assert_int_equal(v->n_media, 1);
    const ts_medium_health *h = &v->media[0];
    assert_string_equal(h->name, "air");
    assert_int_equal(h->links, 1);
    assert_true(h->util_peak == 1.0);
    assert_true(fabs(h->util_mean - 0.25) < 1e-12);
    assert_int_equal(h->sent, 100);
    assert_int_equal(h->dropped, 1);
    assert_int_equal(h->lost, 0);
    assert_true(fabs(h->loss_rate - 0.01) < 1e-12);
    assert_true(fabs(h->queue_peak_fraction - 0.75) < 1e-12);
    assert_true(fabs(h->score - 40.0) < 1e-9);
    /* The link rule's function gives the same figure. */
    ts_link_health as_link = {.util_mean = 0.25, .loss_rate = 0.01, .queue_peak_fraction = 0.75};
    assert_true(fabs(ts__link_health_score(&as_link) - h->score) < 1e-12);
    const ts_check *k = check_named(v, "medium", "air");
    assert_non_null(k);
    assert_int_equal(k->family, TS_FAMILY_HEALTH);
    assert_int_equal(k->status, TS_CHECK_FAIL);
    /* Links 100 x clamp(0.63 / 0.4) = 100 and 100, node healthy: the
     * medium is the least healthy of the four items. */
    assert_int_equal(v->family_items[TS_FAMILY_HEALTH], 4);
    assert_true(fabs(v->family_score[TS_FAMILY_HEALTH] - 0.40) < 1e-9);
    /* Peak 100 % >= 90 %, the wired uplink 20 %: the air binds (wifi, on
     * the medium, is not a wired link). */
    const ts_recommendation *r = rec_of(v, "medium-saturated");
    assert_non_null(r);
    assert_string_equal(r->item, "air");
    assert_string_equal(r->text,
                        "air time of air binds: 100 % busy at peak, 25 % mean over its 1 link(s), "
                        "the wired links at most 20 % (uplink): stagger the robots' phases, lower "
                        "the camera rates or add an access point");
    assert_null(rec_of(v, "link-saturated"));
    ts_validation_free(v);
}

/* The recommendation mirrors the link thresholds: 90 % at peak or 60 %
 * mean. 89 % peak and 59 % mean: silent, and healthy (score 100 x
 * clamp(0.41 / 0.4) = 100); 60 % mean alone: fires. */
static void test_medium_thresholds(void **state)
{
    (void)state;
    media_fixture m;
    build(&m);
    add_row(&m, MS(100), MS(100), 0.89, 0, 10, 0, 0);
    add_row(&m, MS(200), MS(100), 0.29, 0, 10, 0, 0);
    ts_validation *v = validate_ok(&m.f);
    assert_true(fabs(v->media[0].util_mean - 0.59) < 1e-12);
    assert_true(fabs(v->media[0].score - 100.0) < 1e-9);
    assert_null(rec_of(v, "medium-saturated"));
    assert_int_equal(check_named(v, "medium", "air")->status, TS_CHECK_PASS);
    ts_validation_free(v);

    build(&m);
    add_row(&m, MS(100), MS(100), 0.60, 0, 10, 0, 0);
    v = validate_ok(&m.f);
    /* 100 x (1 - 0.6) / 0.4 = 100: healthy, yet the air is the resource
     * that fills first. */
    assert_true(fabs(v->media[0].score - 100.0) < 1e-9);
    assert_non_null(rec_of(v, "medium-saturated"));
    ts_validation_free(v);
}

/* A wired link busier than the air: the air is not what binds; the
 * medium's recommendation says so and names the link, which gets its own
 * link-saturated recommendation. */
static void test_wire_busier_than_air(void **state)
{
    (void)state;
    media_fixture m;
    build(&m);
    m.f.link_state[1].utilisation = 0.95;
    add_row(&m, MS(100), MS(100), 0.91, 0, 10, 0, 0);
    ts_validation *v = validate_ok(&m.f);
    const ts_recommendation *r = rec_of(v, "medium-saturated");
    assert_non_null(r);
    assert_string_equal(r->text, "air time of air is 91 % busy at peak (91 % mean over its 1 "
                                 "link(s)), second to link uplink at 95 %: stagger the robots' "
                                 "phases, lower the camera rates or add an access point");
    r = rec_of(v, "link-saturated");
    assert_non_null(r);
    assert_string_equal(r->item, "uplink");
    ts_validation_free(v);
}

/* A medium without rows is not measured: no check, no row in the text,
 * no recommendation, and the family counts the link and node only. */
static void test_medium_without_samples(void **state)
{
    (void)state;
    media_fixture m;
    build(&m);
    ts_validation *v = validate_ok(&m.f);
    assert_int_equal(v->n_media, 1);
    assert_true(isnan(v->media[0].score));
    assert_null(check_named(v, "medium", "air"));
    assert_int_equal(v->family_items[TS_FAMILY_HEALTH], 3);
    ts_validation_free(v);
}

/* The text scorecard's media block follows Links; JSON lists "media". */
static void test_medium_output(void **state)
{
    (void)state;
    media_fixture m;
    build(&m);
    add_row(&m, MS(100), MS(100), 1.0, 768 << 10, 60, 1, 0);
    add_row(&m, MS(400), MS(300), 0.0, 0, 40, 0, 0);
    ts_validation *v = validate_ok(&m.f);
    char *text = capture_text(v, 0);
    const char *links = strstr(text, "  Links\n");
    const char *media = strstr(text, "  Media (shared air time)\n");
    const char *nodes = strstr(text, "  Nodes\n");
    assert_non_null(links);
    assert_non_null(media);
    assert_true(links < media && media < nodes);
    if (!strstr(media, " 40.0   100% /   25%   1.00%         75%        1     0      1\n"))
        fail_msg("media row not as computed:\n%s", media);
    free(text);
    char *json = capture_json(v);
    if (!strstr(json, "\"media\": [\n    {\"name\": \"air\", \"score\": 40, \"links\": 1, "
                      "\"util_peak\": 1, \"util_mean\": 0.25, \"sent_packets\": 100, "
                      "\"dropped_packets\": 1, \"lost_packets\": 0, \"loss_rate\": 0.01, "
                      "\"queue_peak_fraction\": 0.75}\n  ]"))
        fail_msg("JSON media list not as computed:\n%s", json);
    free(json);
    ts_validation_free(v);

    /* No media: no block in the text, an empty list in JSON. */
    fixture f;
    fx_init(&f, "no-media", SEC(1));
    add_node_state(&f, 0, SEC(1), 0.2, 50, 5, "");
    v = validate_ok(&f);
    assert_int_equal(v->n_media, 0);
    text = capture_text(v, 0);
    assert_null(strstr(text, "Media"));
    free(text);
    json = capture_json(v);
    assert_non_null(strstr(json, "\"media\": []"));
    free(json);
    ts_validation_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_medium_health_row),
        cmocka_unit_test(test_medium_thresholds),
        cmocka_unit_test(test_wire_busier_than_air),
        cmocka_unit_test(test_medium_without_samples),
        cmocka_unit_test(test_medium_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
