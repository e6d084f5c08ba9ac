/* Tests for the model-variant rule (src/deploy/variant.c): the least power
 * among the variants that meet the deadline, accuracy on equal power,
 * declaration order on equal accuracy; a pinned variant honoured even when
 * it misses; no choice when none meets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "toposim/deploy_variant.h"

#define MS(x) ((int64_t)((x) * 1000000.0))

static void test_lowest_power_meeting_deadline(void **state)
{
    (void)state;
    /* fp32 misses; fp16 and int8 meet: int8 draws less */
    ts_variant_option v[] = {{"fp32-gpu", MS(39.8), 9.0, 0.447, 0},
                             {"fp16-gpu", MS(16.0), 7.5, 0.447, 0},
                             {"int8-gpu", MS(14.6), 6.0, 0.412, 0}};
    char why[256];
    int meets = -1;
    assert_int_equal(ts_variant_choose(v, 3, MS(33.3), -1, &meets, why, sizeof why), 2);
    assert_int_equal(meets, 1);
    assert_string_equal(why, "variant int8-gpu: 14.6 ms meets 33.3 ms at 6 W; "
                             "fp32-gpu 39.8 ms misses; fp16-gpu 16 ms meets at 7.5 W");
}

static void test_power_beats_speed(void **state)
{
    (void)state;
    /* a faster variant drawing more power loses while both meet */
    ts_variant_option v[] = {{"fast", MS(5), 8.0, 0.5, 0}, {"slow", MS(30), 3.0, 0.5, 0}};
    assert_int_equal(ts_variant_choose(v, 2, MS(33.3), -1, NULL, NULL, 0), 1);
    /* until the slow one misses */
    assert_int_equal(ts_variant_choose(v, 2, MS(20), -1, NULL, NULL, 0), 0);
}

static void test_accuracy_breaks_power_tie(void **state)
{
    (void)state;
    ts_variant_option v[] = {{"a", MS(10), 4.0, 0.40, 0},
                             {"b", MS(12), 4.0, 0.45, 0},
                             {"c", MS(11), 4.0, 0.45, 0}};
    /* b and c tie on power and accuracy: b is declared first */
    assert_int_equal(ts_variant_choose(v, 3, MS(20), -1, NULL, NULL, 0), 1);
}

static void test_deadline_is_inclusive(void **state)
{
    (void)state;
    ts_variant_option v[] = {{"exact", MS(20), 1.0, 0.1, 0}, {"other", MS(1), 2.0, 0.1, 0}};
    assert_int_equal(ts_variant_choose(v, 2, MS(20), -1, NULL, NULL, 0), 0);
    assert_int_equal(ts_variant_choose(v, 2, MS(20) - 1, -1, NULL, NULL, 0), 1);
}

static void test_none_meets(void **state)
{
    (void)state;
    ts_variant_option v[] = {{"fp32-gpu", MS(40), 9.0, 0.447, 0}, {"int8-gpu", MS(35), 6.0, 0.412, 0}};
    char why[128];
    int meets = 1;
    assert_int_equal(ts_variant_choose(v, 2, MS(33.3), -1, &meets, why, sizeof why), -1);
    assert_int_equal(meets, 0);
    assert_string_equal(why, "no variant meets 33.3 ms; fp32-gpu 40 ms misses; "
                             "int8-gpu 35 ms misses");
}

static void test_unavailable_never_chosen(void **state)
{
    (void)state;
    /* a DLA build on a module without a DLA: no figures, never chosen */
    ts_variant_option v[] = {{"int8-dla", -1, 1.0, 0.41, 0}, {"int8-gpu", MS(10), 6.0, 0.41, 0}};
    char why[128];
    assert_int_equal(ts_variant_choose(v, 2, MS(33.3), -1, NULL, why, sizeof why), 1);
    assert_non_null(strstr(why, "; int8-dla cannot run here"));
    /* pinned there: refused */
    assert_int_equal(ts_variant_choose(v, 2, MS(33.3), 0, NULL, why, sizeof why), -1);
    assert_string_equal(why, "pinned variant int8-dla cannot run on this node; "
                             "int8-gpu 10 ms meets at 6 W");
}

static void test_pinned_honoured_when_missing(void **state)
{
    (void)state;
    ts_variant_option v[] = {{"fp32-gpu", MS(39.8), 9.0, 0.447, 0}, {"int8-gpu", MS(14.6), 6.0, 0.412, 0}};
    char why[128];
    int meets = 1;
    assert_int_equal(ts_variant_choose(v, 2, MS(33.3), 0, &meets, why, sizeof why), 0);
    assert_int_equal(meets, 0);
    assert_string_equal(why, "pinned variant fp32-gpu: 39.8 ms misses 33.3 ms at 9 W; "
                             "int8-gpu 14.6 ms meets at 6 W");
}

static void test_reason_truncates_safely(void **state)
{
    (void)state;
    ts_variant_option v[] = {{"fp32-gpu", MS(39.8), 9.0, 0.447, 0}, {"int8-gpu", MS(14.6), 6.0, 0.412, 0}};
    char why[16];
    memset(why, 'x', sizeof why);
    assert_int_equal(ts_variant_choose(v, 2, MS(33.3), -1, NULL, why, sizeof why), 1);
    assert_int_equal(strlen(why), sizeof why - 1);
    assert_memory_equal(why, "variant int8-gp", 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lowest_power_meeting_deadline),
        cmocka_unit_test(test_power_beats_speed),
        cmocka_unit_test(test_accuracy_breaks_power_tie),
        cmocka_unit_test(test_deadline_is_inclusive),
        cmocka_unit_test(test_none_meets),
        cmocka_unit_test(test_unavailable_never_chosen),
        cmocka_unit_test(test_pinned_honoured_when_missing),
        cmocka_unit_test(test_reason_truncates_safely),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
