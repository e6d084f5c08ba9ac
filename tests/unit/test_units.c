/*
 * Tests for the unit parsers: per parser, a table of inputs with the exact
 * result or error code expected. Expected integers were worked out by hand
 * (and with exact rational arithmetic for the long ones), not by running
 * the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "toposim/error.h"
#include "toposim/units.h"

#define I64_MAX INT64_C(9223372036854775807)

typedef struct {
    const char *text;
    int rc;
    int64_t want;
} int_case;

typedef struct {
    const char *text;
    int rc;
    double want;
} real_case;

typedef int (*int_parser)(const char *, int64_t *, const char **);
typedef int (*real_parser)(const char *, double *, const char **);

/* On failure the output must be untouched and why must say something; on a
 * negative input why must say so. */
static void check_failure(const char *text, int rc, int want_rc,
                          const char *why, int untouched)
{
    if (rc != want_rc) {
        print_error("\"%s\": rc %d, expected %d (%s)\n", text, rc, want_rc,
                    why ? why : "no why");
        fail();
    }
    if (!why || !why[0]) {
        print_error("\"%s\": failed without a why\n", text);
        fail();
    }
    if (!untouched) {
        print_error("\"%s\": output written on failure\n", text);
        fail();
    }
    if (text && want_rc == TS_ERANGE) {
        const char *p = text;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '-' && !strstr(why, "must not be negative") &&
            !strstr(why, "absolute zero")) {
            print_error("\"%s\": why \"%s\" does not say negative\n", text,
                        why);
            fail();
        }
    }
}

static void run_int_cases(int_parser parse, const int_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const int_case *c = &cases[i];
        const int64_t sentinel = INT64_C(-777);
        int64_t out = sentinel;
        const char *why = "stale";
        int rc = parse(c->text, &out, &why);
        if (c->rc == TS_OK) {
            if (rc != TS_OK) {
                print_error("\"%s\": rc %d (%s), expected success\n",
                            c->text, rc, why ? why : "no why");
                fail();
            }
            if (out != c->want) {
                print_error("\"%s\": got %lld, expected %lld\n", c->text,
                            (long long)out, (long long)c->want);
                fail();
            }
            assert_null(why);
        } else {
            check_failure(c->text, rc, c->rc, why, out == sentinel);
        }
    }
}

static void run_real_cases(real_parser parse, const real_case *cases,
                           size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const real_case *c = &cases[i];
        const double sentinel = -777.0;
        double out = sentinel;
        const char *why = "stale";
        int rc = parse(c->text, &out, &why);
        if (c->rc == TS_OK) {
            if (rc != TS_OK) {
                print_error("\"%s\": rc %d (%s), expected success\n",
                            c->text, rc, why ? why : "no why");
                fail();
            }
            /* Decimal to double is correctly rounded, as the compiler's
             * reading of the literal in the table: equality is exact. */
            if (out != c->want) {
                print_error("\"%s\": got %.17g, expected %.17g\n", c->text,
                            out, c->want);
                fail();
            }
            assert_null(why);
        } else {
            check_failure(c->text, rc, c->rc, why, out == sentinel);
        }
    }
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Inputs no parser may accept. */
static const char *const garbage[] = {
    "", "   ", "\t\n", ".", "+", "-", "nan", "NaN", "inf", "infinity",
    "1e3", "0x10", "1..5", "1.2.3", "--1", "+-1", "1 0", "1,5", "abc",
};

static void test_garbage_everywhere(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(garbage); i++) {
        int64_t iv = -1;
        double dv = -1.0;
        const char *why;
        const char *t = garbage[i];
        why = NULL; assert_int_equal(ts_unit_time(t, &iv, &why), TS_EINVAL); assert_non_null(why);
        why = NULL; assert_int_equal(ts_unit_period(t, &iv, &why), TS_EINVAL); assert_non_null(why);
        why = NULL; assert_int_equal(ts_unit_bytes(t, &iv, &why), TS_EINVAL); assert_non_null(why);
        why = NULL; assert_int_equal(ts_unit_cpu(t, &iv, &why), TS_EINVAL); assert_non_null(why);
        why = NULL; assert_int_equal(ts_unit_frequency(t, &dv, &why), TS_EINVAL); assert_non_null(why);
        why = NULL; assert_int_equal(ts_unit_bitrate(t, &dv, &why), TS_EINVAL); assert_non_null(why);
        why = NULL; assert_int_equal(ts_unit_fraction(t, &dv, &why), TS_EINVAL); assert_non_null(why);
        why = NULL; assert_int_equal(ts_unit_celsius(t, &dv, &why), TS_EINVAL); assert_non_null(why);
        assert_int_equal(iv, -1);
        assert_true(dv == -1.0);
    }
}

static void test_null_text_and_why(void **state)
{
    int64_t iv = 0;
    double dv = 0;
    const char *why = NULL;
    (void)state;
    assert_int_equal(ts_unit_time(NULL, &iv, &why), TS_EINVAL);
    assert_non_null(why);
    why = NULL;
    assert_int_equal(ts_unit_celsius(NULL, &dv, &why), TS_EINVAL);
    assert_non_null(why);
    /* why may be NULL when the caller does not want the sentence */
    assert_int_equal(ts_unit_time("5parsecs", &iv, NULL), TS_EINVAL);
    assert_int_equal(ts_unit_time("-5ms", &iv, NULL), TS_ERANGE);
    assert_int_equal(ts_unit_time("5ms", &iv, NULL), TS_OK);
    assert_int_equal(iv, 5000000);
}

static const int_case time_cases[] = {
    {"2ms", TS_OK, 2000000},
    {"1.5s", TS_OK, 1500000000},
    {"250us", TS_OK, 250000},
    {"250\xC2\xB5s", TS_OK, 250000}, /* micro sign */
    {"250\xCE\xBCs", TS_OK, 250000}, /* Greek mu */
    {"1ns", TS_OK, 1},
    {"0ns", TS_OK, 0},
    {"0s", TS_OK, 0},
    {"1min", TS_OK, INT64_C(60000000000)},
    {"1.5h", TS_OK, INT64_C(5400000000000)},
    {"  2ms  ", TS_OK, 2000000},
    {"\t2ms\n", TS_OK, 2000000},
    {"2 ms", TS_OK, 2000000},
    {"+3ms", TS_OK, 3000000},
    {"007ms", TS_OK, 7000000},
    {".5s", TS_OK, 500000000},
    {"0.0000000005s", TS_OK, 1},    /* half a ns rounds up */
    {"0.0000000004999s", TS_OK, 0}, /* below half rounds down */
    {"1.0000000015s", TS_OK, 1000000002},
    {"0.1234567894ms", TS_OK, 123457},
    {"1.23456789123456789ms", TS_OK, 1234568},
    {"9223372036.854775807s", TS_OK, I64_MAX},
    {"9223372036854775807ns", TS_OK, I64_MAX},
    {"9223372036854775807.4ns", TS_OK, I64_MAX},
    {"2562047.788015215h", TS_OK, INT64_C(9223372036854774000)},
    {"9999999999999999999ns", TS_ERANGE, 0},
    {"9223372036854775808ns", TS_ERANGE, 0},
    {"9223372036854775807.5ns", TS_ERANGE, 0},
    {"9223372036.8547758075s", TS_ERANGE, 0},
    {"10000000000s", TS_ERANGE, 0},
    {"9223372036ms", TS_OK, INT64_C(9223372036000000)},
    {"9223372036855ms", TS_ERANGE, 0},
    {"153722868min", TS_ERANGE, 0},
    {"99999999999999999999999999999999ns", TS_ERANGE, 0},
    {"-5ms", TS_ERANGE, 0},
    {"-0.5s", TS_ERANGE, 0},
    {"ms", TS_EINVAL, 0},
    {"2", TS_EINVAL, 0},
    {"1 0ms", TS_EINVAL, 0},
    {"1e3ms", TS_EINVAL, 0},
    {"5parsecs", TS_EINVAL, 0},
    {"-5parsecs", TS_EINVAL, 0},
    {"2MS", TS_EINVAL, 0},
    {"2Ms", TS_EINVAL, 0},
    {"2msec", TS_EINVAL, 0},
    {"2ms5", TS_EINVAL, 0},
    {"2.ms", TS_EINVAL, 0},
    {"2 m s", TS_EINVAL, 0},
    {"2Hz", TS_EINVAL, 0},
    {"- 5ms", TS_EINVAL, 0},
    {"infs", TS_EINVAL, 0},
    {"nanms", TS_EINVAL, 0},
};

static void test_time(void **state)
{
    (void)state;
    run_int_cases(ts_unit_time, time_cases, N(time_cases));
}

static void test_time_negative_why(void **state)
{
    int64_t v = 0;
    const char *why = NULL;
    (void)state;
    assert_int_equal(ts_unit_time("-5ms", &v, &why), TS_ERANGE);
    assert_non_null(why);
    assert_non_null(strstr(why, "must not be negative"));
    why = NULL;
    assert_int_equal(ts_unit_time("garbage", &v, &why), TS_EINVAL);
    assert_non_null(strstr(why, "expected a duration"));
}

static const real_case frequency_cases[] = {
    {"30Hz", TS_OK, 30.0},
    {"1kHz", TS_OK, 1000.0},
    {"2.5GHz", TS_OK, 2.5e9},
    {"0.5Hz", TS_OK, 0.5},
    {"1.1kHz", TS_OK, 1100.0}, /* exact, not 1.1 * 1000 */
    {"433.92MHz", TS_OK, 433920000.0},
    {" 100 Hz ", TS_OK, 100.0},
    {"0.001Hz", TS_OK, 0.001},
    {"0Hz", TS_ERANGE, 0},
    {"0.0kHz", TS_ERANGE, 0},
    {"-1Hz", TS_ERANGE, 0},
    {"30hz", TS_EINVAL, 0},
    {"30HZ", TS_EINVAL, 0},
    {"30", TS_EINVAL, 0},
    {"Hz", TS_EINVAL, 0},
    {"1e3Hz", TS_EINVAL, 0},
    {"30ms", TS_EINVAL, 0},
};

static void test_frequency(void **state)
{
    char huge[420];
    double hz = -1;
    const char *why = NULL;
    (void)state;
    run_real_cases(ts_unit_frequency, frequency_cases, N(frequency_cases));
    /* 1 followed by 400 zeros does not fit a double */
    huge[0] = '1';
    memset(huge + 1, '0', 400);
    strcpy(huge + 401, "Hz");
    assert_int_equal(ts_unit_frequency(huge, &hz, &why), TS_ERANGE);
    assert_non_null(why);
    assert_true(hz == -1);
}

static const int_case period_cases[] = {
    {"1kHz", TS_OK, 1000000},
    {"30Hz", TS_OK, 33333333},
    {"1Hz", TS_OK, 1000000000},
    {"7Hz", TS_OK, 142857143},
    {"1.5Hz", TS_OK, 666666667},
    {"0.3Hz", TS_OK, INT64_C(3333333333)},
    {"2.5Hz", TS_OK, 400000000},
    {"44100Hz", TS_OK, 22676},
    {"1MHz", TS_OK, 1000},
    {"2GHz", TS_OK, 1},      /* 0.5ns rounds up */
    {"400MHz", TS_OK, 3},    /* 2.5ns rounds up */
    {"0.001Hz", TS_OK, INT64_C(1000000000000)},
    {"0.000000001Hz", TS_OK, INT64_C(1000000000000000000)},
    {"0.000000123456789Hz", TS_OK, INT64_C(8100000073710001)},
    {"123456789.123456789Hz", TS_OK, 8},
    /* 18 significant digits and a 19-digit period: beyond a double */
    {"0.000000000123456789012345678Hz", TS_OK,
     INT64_C(8100000072900000723)},
    {"1.00000000000000000001Hz", TS_OK, 1000000000}, /* 21 digits */
    {"10ms", TS_OK, 10000000},
    {"1.5s", TS_OK, 1500000000},
    {"1ns", TS_OK, 1},
    {"0.0000000000Hz", TS_ERANGE, 0},
    {"0Hz", TS_ERANGE, 0},
    {"0ms", TS_ERANGE, 0},
    {"0.0000000004s", TS_ERANGE, 0}, /* rounds to 0ns */
    {"2.1GHz", TS_ERANGE, 0},        /* 0.476ns rounds to 0 */
    {"10GHz", TS_ERANGE, 0},
    {"0.0000000001Hz", TS_ERANGE, 0}, /* 1e19 ns */
    {"0.000000000000000000000000000000000000000001Hz", TS_ERANGE, 0},
    {"10000000000s", TS_ERANGE, 0},
    {"-1Hz", TS_ERANGE, 0},
    {"-10ms", TS_ERANGE, 0},
    {"5", TS_EINVAL, 0},
    {"5parsecs", TS_EINVAL, 0},
    {"1e3Hz", TS_EINVAL, 0},
    {"30 hz", TS_EINVAL, 0},
};

static void test_period(void **state)
{
    (void)state;
    run_int_cases(ts_unit_period, period_cases, N(period_cases));
}

static const real_case bitrate_cases[] = {
    {"100Mbps", TS_OK, 1e8},
    {"1.5Gbps", TS_OK, 1.5e9},
    {"64kbps", TS_OK, 64000.0},
    {"64Kbps", TS_OK, 64000.0},
    {"9600bps", TS_OK, 9600.0},
    {"0bps", TS_OK, 0.0},
    {"0.1Mbps", TS_OK, 100000.0},
    {" 10 Gbps", TS_OK, 1e10},
    {"100Mb", TS_EINVAL, 0},
    {"100MBps", TS_EINVAL, 0},
    {"100mbps", TS_EINVAL, 0},
    {"100", TS_EINVAL, 0},
    {"-1bps", TS_ERANGE, 0},
};

static void test_bitrate(void **state)
{
    (void)state;
    run_real_cases(ts_unit_bitrate, bitrate_cases, N(bitrate_cases));
}

static const int_case bytes_cases[] = {
    {"900KiB", TS_OK, 921600},
    {"8Gi", TS_OK, INT64_C(8589934592)},
    {"1MB", TS_OK, 1000000},
    {"1kB", TS_OK, 1000},
    {"1KB", TS_OK, 1000},
    {"1k", TS_OK, 1000},
    {"2M", TS_OK, 2000000},
    {"3G", TS_OK, INT64_C(3000000000)},
    {"2T", TS_OK, INT64_C(2000000000000)},
    {"2TB", TS_OK, INT64_C(2000000000000)},
    {"1GB", TS_OK, 1000000000},
    {"512", TS_OK, 512},
    {"512B", TS_OK, 512},
    {"0", TS_OK, 0},
    {"1.5B", TS_OK, 2},
    {"1.4B", TS_OK, 1},
    {"0.5Gi", TS_OK, 536870912},
    {"1.5Ki", TS_OK, 1536},
    {"1.5KiB", TS_OK, 1536},
    {"1TiB", TS_OK, INT64_C(1099511627776)},
    {"1Ti", TS_OK, INT64_C(1099511627776)},
    {"3MiB", TS_OK, 3145728},
    {"3Mi", TS_OK, 3145728},
    {"2GiB", TS_OK, INT64_C(2147483648)},
    {"0.001Ki", TS_OK, 1},  /* 1.024 */
    {" 64 MiB ", TS_OK, 67108864},
    {"8388607TiB", TS_OK, INT64_C(9223370937343148032)},
    {"9223372036854775807", TS_OK, I64_MAX},
    {"9223372036854775807.4", TS_OK, I64_MAX},
    {"8388608TiB", TS_ERANGE, 0},
    {"9999999999Gi", TS_ERANGE, 0},
    {"9223372036854775807.5", TS_ERANGE, 0},
    {"9223372036854775808", TS_ERANGE, 0},
    {"-1B", TS_ERANGE, 0},
    {"-1", TS_ERANGE, 0},
    {"8gi", TS_EINVAL, 0},
    {"8GIB", TS_EINVAL, 0},
    {"8 G i", TS_EINVAL, 0},
    {"8Kb", TS_EINVAL, 0},
    {"8mb", TS_EINVAL, 0},
    {"8m", TS_EINVAL, 0},
    {"KiB", TS_EINVAL, 0},
    {"1.5.5MB", TS_EINVAL, 0},
    {"1e6", TS_EINVAL, 0},
};

static void test_bytes(void **state)
{
    (void)state;
    run_int_cases(ts_unit_bytes, bytes_cases, N(bytes_cases));
}

static const int_case cpu_cases[] = {
    {"500m", TS_OK, 500},
    {"2", TS_OK, 2000},
    {"1.5", TS_OK, 1500},
    {"0.0001", TS_OK, 0},  /* rounds to nothing, which is allowed */
    {"0.0005", TS_OK, 1},  /* half a millicore rounds up */
    {"0", TS_OK, 0},
    {"0m", TS_OK, 0},
    {"250.5m", TS_OK, 251},
    {" 4 ", TS_OK, 4000},
    {"0.25", TS_OK, 250},
    {"9223372036854775.807", TS_OK, I64_MAX},
    {"9223372036854775807m", TS_OK, I64_MAX},
    {"9223372036854775.808", TS_ERANGE, 0},
    {"9223372036854775808m", TS_ERANGE, 0},
    {"-500m", TS_ERANGE, 0},
    {"-1", TS_ERANGE, 0},
    {"500M", TS_EINVAL, 0},
    {"2 cores", TS_EINVAL, 0},
    {"m", TS_EINVAL, 0},
    {"1e3m", TS_EINVAL, 0},
    {"500mm", TS_EINVAL, 0},
};

static void test_cpu(void **state)
{
    (void)state;
    run_int_cases(ts_unit_cpu, cpu_cases, N(cpu_cases));
}

static const real_case fraction_cases[] = {
    {"99.9%", TS_OK, 0.999},
    {"0.999", TS_OK, 0.999},
    {"100%", TS_OK, 1.0},
    {"0%", TS_OK, 0.0},
    {"50%", TS_OK, 0.5},
    {"1", TS_OK, 1.0},
    {"0", TS_OK, 0.0},
    {"12.5 %", TS_OK, 0.125},
    {"99.99999%", TS_OK, 0.9999999},
    {"100.1%", TS_ERANGE, 0},
    {"1.0000001", TS_ERANGE, 0},
    {"150%", TS_ERANGE, 0},
    {"2", TS_ERANGE, 0},
    {"-1%", TS_ERANGE, 0},
    {"-0.5", TS_ERANGE, 0},
    {"%", TS_EINVAL, 0},
    {"99.9 percent", TS_EINVAL, 0},
    {"99.9%%", TS_EINVAL, 0},
    {"1e-3", TS_EINVAL, 0},
};

static void test_fraction(void **state)
{
    (void)state;
    run_real_cases(ts_unit_fraction, fraction_cases, N(fraction_cases));
}

static const real_case celsius_cases[] = {
    {"45C", TS_OK, 45.0},
    {"45\xC2\xB0" "C", TS_OK, 45.0},
    {"-20C", TS_OK, -20.0},
    {"85.5C", TS_OK, 85.5},
    {"+85.5C", TS_OK, 85.5},
    {"-273.15C", TS_OK, -273.15},
    {"0C", TS_OK, 0.0},
    {" 45 C ", TS_OK, 45.0},
    {"-273.16C", TS_ERANGE, 0},
    {"-300C", TS_ERANGE, 0},
    {"45", TS_EINVAL, 0},
    {"45c", TS_EINVAL, 0},
    {"45F", TS_EINVAL, 0},
    {"45K", TS_EINVAL, 0},
    {"C", TS_EINVAL, 0},
    {"\xC2\xB0" "C", TS_EINVAL, 0},
    {"45\xC2\xB0", TS_EINVAL, 0},
    {"1e2C", TS_EINVAL, 0},
};

static void test_celsius(void **state)
{
    char huge[420];
    double c = -1;
    const char *why = NULL;
    (void)state;
    run_real_cases(ts_unit_celsius, celsius_cases, N(celsius_cases));
    huge[0] = '1';
    memset(huge + 1, '0', 400);
    strcpy(huge + 401, "C");
    assert_int_equal(ts_unit_celsius(huge, &c, &why), TS_ERANGE);
    assert_non_null(why);
    assert_true(c == -1);
}

/* Long inputs: the exact paths must neither lose digits nor loop long. */
static void test_long_digit_runs(void **state)
{
    char buf[2100];
    int64_t v = -1;
    double d = -1;
    const char *why = NULL;
    (void)state;

    /* 0.000...0001s with 2000 zeros: rounds to 0ns */
    strcpy(buf, "0.");
    memset(buf + 2, '0', 2000);
    strcpy(buf + 2002, "1s");
    assert_int_equal(ts_unit_time(buf, &v, &why), TS_OK);
    assert_int_equal(v, 0);
    /* and as a frequency its period does not fit */
    strcpy(buf + 2002, "1Hz");
    v = -1;
    assert_int_equal(ts_unit_period(buf, &v, &why), TS_ERANGE);
    assert_int_equal(v, -1);
    /* 1.000...0005ms with many zeros: 1000000.000...0005ns rounds down */
    strcpy(buf, "1.");
    memset(buf + 2, '0', 1500);
    strcpy(buf + 1502, "5ms");
    assert_int_equal(ts_unit_time(buf, &v, &why), TS_OK);
    assert_int_equal(v, 1000000);
    /* 0.4999...9 bytes (1500 nines) stays below one half */
    strcpy(buf, "0.4");
    memset(buf + 3, '9', 1500);
    buf[1503] = '\0';
    assert_int_equal(ts_unit_bytes(buf, &v, &why), TS_OK);
    assert_int_equal(v, 0);
    /* 99.000...01%: digits past what a double holds are dropped */
    strcpy(buf, "99.");
    memset(buf + 3, '0', 1000);
    strcpy(buf + 1003, "1%");
    assert_int_equal(ts_unit_fraction(buf, &d, &why), TS_OK);
    assert_true(d == 0.99);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_garbage_everywhere),
        cmocka_unit_test(test_null_text_and_why),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_time_negative_why),
        cmocka_unit_test(test_frequency),
        cmocka_unit_test(test_period),
        cmocka_unit_test(test_bitrate),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_cpu),
        cmocka_unit_test(test_fraction),
        cmocka_unit_test(test_celsius),
        cmocka_unit_test(test_long_digit_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
