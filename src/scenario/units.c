/*
 * Quantities with units, parsed exactly. Integer results (nanoseconds,
 * bytes, millicores) are computed from the decimal digits with integer
 * arithmetic, so "9223372036.854775807s" is INT64_MAX and not a rounded
 * double; fractional results round to nearest, halves away from zero.
 * Real results (hertz, bits/s, fractions, degrees) go through strtod on a
 * rebuilt "DIGITSeEXP" string that has no decimal point, so the C library's
 * correct rounding applies and the current locale cannot change the result.
 *
 * Accepted syntax, on purpose narrower than strtod's:
 *   [blanks] [+|-] digits [. digits] [blanks] unit [blanks]
 * where either digit run may be empty but not both, and a '.' needs a digit
 * after it ("5.ms" is refused, ".5ms" is fine). Exponents ("1e3ms"), hex,
 * "inf" and "nan" are refused as garbage: a scenario is read by people, and
 * "1e3ms" is more likely a typo than a wish. Units are case-sensitive
 * ("mb" is not "MB", and "Mb" would be megabits).
 */
#include "toposim/units.h"

#include "toposim/error.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* A number as written, split into its digit runs, plus the unit token. */
typedef struct {
    bool negative;
    const char *int_digits;   /* may be empty */
    size_t n_int;
    const char *frac_digits;  /* digits after '.', may be empty */
    size_t n_frac;
    const char *unit;         /* blank-trimmed, may be empty */
    size_t n_unit;
} num_text;

/* A unit: its spelling and either an integer multiplier (for exact integer
 * results) or a power of ten (for real results). */
typedef struct {
    const char *name;
    int64_t mult;
    int exp10;
} unit_def;

static bool is_blank(char c)
{
    /* ASCII only: XML attribute values may carry tabs or newlines. */
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Splits text into sign, digits and unit; false when there is no number. */
static bool scan(const char *text, num_text *nt)
{
    const char *p = text;
    const char *end;

    if (!text)
        return false;
    memset(nt, 0, sizeof *nt);
    while (is_blank(*p))
        p++;
    if (*p == '+' || *p == '-') {
        nt->negative = (*p == '-');
        p++;
    }
    nt->int_digits = p;
    while (is_digit(*p))
        p++;
    nt->n_int = (size_t)(p - nt->int_digits);
    nt->frac_digits = p;
    if (*p == '.') {
        const char *f = p + 1;
        while (is_digit(*f))
            f++;
        if (f == p + 1)
            return false; /* "5." or "." */
        nt->frac_digits = p + 1;
        nt->n_frac = (size_t)(f - (p + 1));
        p = f;
    }
    if (nt->n_int + nt->n_frac == 0)
        return false;
    while (is_blank(*p))
        p++;
    end = p + strlen(p);
    while (end > p && is_blank(end[-1]))
        end--;
    nt->unit = p;
    nt->n_unit = (size_t)(end - p);
    return true;
}

/* Finds the unit token in a table terminated by a NULL name. */
static const unit_def *find_unit(const num_text *nt, const unit_def *table)
{
    for (const unit_def *u = table; u->name; u++)
        if (strlen(u->name) == nt->n_unit &&
            memcmp(u->name, nt->unit, nt->n_unit) == 0)
            return u;
    return NULL;
}

/* Digit i of the number read as one run "int_digits frac_digits". */
static int digit_at(const num_text *nt, size_t i)
{
    return i < nt->n_int ? nt->int_digits[i] - '0'
                         : nt->frac_digits[i - nt->n_int] - '0';
}

static bool is_zero(const num_text *nt)
{
    for (size_t i = 0; i < nt->n_int + nt->n_frac; i++)
        if (digit_at(nt, i) != 0)
            return false;
    return true;
}

/* Computes round(number * mult) exactly into *out; false when it exceeds
 * INT64_MAX. The fractional part is multiplied as a decimal integer from its
 * last digit up, so the carry out is floor(mult * 0.F) and the last digit
 * produced is the first decimal of the product, which decides rounding. */
static bool scale_exact(const num_text *nt, int64_t mult, int64_t *out)
{
    uint64_t v = 0;
    uint64_t carry = 0;
    unsigned last = 0;

    for (size_t i = 0; i < nt->n_int; i++) {
        unsigned d = (unsigned)(nt->int_digits[i] - '0');
        if (v > ((uint64_t)INT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (v != 0 && v > (uint64_t)INT64_MAX / (uint64_t)mult)
        return false;
    v *= (uint64_t)mult;
    /* carry < mult holds throughout, so d * mult + carry < 11 * mult,
     * far below 2^64 for every multiplier in the tables (at most 2^40 and
     * 3600e9). */
    for (size_t i = nt->n_frac; i-- > 0;) {
        uint64_t t = (uint64_t)(nt->frac_digits[i] - '0') * (uint64_t)mult +
                     carry;
        last = (unsigned)(t % 10);
        carry = t / 10;
    }
    if (last >= 5)
        carry++;
    if (v > (uint64_t)INT64_MAX - carry)
        return false;
    *out = (int64_t)(v + carry);
    return true;
}

/* Converts number * 10^exp10 to the nearest double (may be inf). */
static double to_double(const num_text *nt, int exp10)
{
    /* 40 significant digits are far more than a double resolves; dropped
     * digits are counted into the exponent. */
    enum { MAX_SIG = 40 };
    char buf[MAX_SIG + 32];
    size_t n = 0;
    size_t total = nt->n_int + nt->n_frac;
    size_t i = 0;
    long long e = (long long)exp10 - (long long)nt->n_frac;
    char *w;

    while (i < total && digit_at(nt, i) == 0)
        i++;
    if (i == total)
        return 0.0;
    for (; i < total; i++) {
        if (n < MAX_SIG)
            buf[n++] = (char)('0' + digit_at(nt, i));
        else
            e++;
    }
    /* Beyond +-100000 strtod saturates to inf or 0 anyway. */
    if (e > 100000)
        e = 100000;
    if (e < -100000)
        e = -100000;
    w = buf + n;
    *w++ = 'e';
    if (e < 0) {
        *w++ = '-';
        e = -e;
    }
    {
        char rev[8];
        int k = 0;
        do {
            rev[k++] = (char)('0' + e % 10);
            e /= 10;
        } while (e > 0);
        while (k > 0)
            *w++ = rev[--k];
    }
    *w = '\0';
    return strtod(buf, NULL);
}

static int fail(const char **why, int code, const char *sentence)
{
    if (why)
        *why = sentence;
    return code;
}

static int ok(const char **why)
{
    if (why)
        *why = NULL;
    return TS_OK;
}

/* ---- durations ---------------------------------------------------------- */

static const unit_def time_units[] = {
    {"ns", 1, 0},
    {"us", 1000, 0},
    {"\xC2\xB5s", 1000, 0}, /* U+00B5 MICRO SIGN */
    {"\xCE\xBCs", 1000, 0}, /* U+03BC GREEK SMALL LETTER MU */
    {"ms", 1000000, 0},
    {"s", 1000000000, 0},
    {"min", INT64_C(60000000000), 0},
    {"h", INT64_C(3600000000000), 0},
    {NULL, 0, 0}};

static const char TIME_EXPECTED[] =
    "expected a duration such as 2ms, 250us or 1.5s (units ns, us, ms, s, "
    "min, h)";

int ts_unit_time(const char *text, int64_t *ns, const char **why)
{
    num_text nt;
    const unit_def *u;
    int64_t v;

    if (!scan(text, &nt) || !(u = find_unit(&nt, time_units)))
        return fail(why, TS_EINVAL, TIME_EXPECTED);
    if (nt.negative)
        return fail(why, TS_ERANGE, "a duration must not be negative");
    if (!scale_exact(&nt, u->mult, &v))
        return fail(why, TS_ERANGE,
                    "duration too long: at most 9223372036.854775807s "
                    "(2^63-1 ns, about 292 years)");
    *ns = v;
    return ok(why);
}

/* ---- frequencies and periods ------------------------------------------- */

static const unit_def freq_units[] = {
    {"Hz", 1, 0},
    {"kHz", 1000, 3},
    {"MHz", 1000000, 6},
    {"GHz", 1000000000, 9},
    {NULL, 0, 0}};

static const char FREQ_EXPECTED[] =
    "expected a frequency such as 30Hz, 1kHz or 2.5GHz (units Hz, kHz, MHz, "
    "GHz)";

int ts_unit_frequency(const char *text, double *hz, const char **why)
{
    num_text nt;
    const unit_def *u;
    double v;

    if (!scan(text, &nt) || !(u = find_unit(&nt, freq_units)))
        return fail(why, TS_EINVAL, FREQ_EXPECTED);
    if (nt.negative)
        return fail(why, TS_ERANGE, "a frequency must not be negative");
    v = to_double(&nt, u->exp10);
    if (v == 0.0)
        return fail(why, TS_ERANGE, "a frequency must be greater than 0Hz");
    if (!isfinite(v))
        return fail(why, TS_ERANGE, "frequency too large to represent");
    *hz = v;
    return ok(why);
}

static const char PERIOD_RANGE[] =
    "period out of range: expected a frequency of at most 2GHz (period at "
    "least 1ns) and a period of at most 2^63-1 ns";

/* Computes round(1e9 / (number * 10^exp10)) into *ns; the number is not 0.
 * With the significant digits as an integer D and hz = D * 10^E, the period
 * is 10^(9-E) / D, done as long division so no digit is lost. */
static int period_from_hz(const num_text *nt, int exp10, int64_t *ns,
                          const char **why)
{
    size_t total = nt->n_int + nt->n_frac;
    size_t first = 0, last = total - 1;
    long long e, p;
    uint64_t d = 0, r = 0, q = 0;

    while (digit_at(nt, first) == 0)
        first++;
    while (digit_at(nt, last) == 0)
        last--;
    if (last - first + 1 > 18) {
        /* More significant digits than the long division below can hold
         * in 64 bits: fall back to a double quotient. */
        double hz = to_double(nt, exp10);
        double period = 1e9 / hz;
        if (!(period < 9223372036854775807.0) || llround(period) <= 0)
            return fail(why, TS_ERANGE, PERIOD_RANGE);
        *ns = (int64_t)llround(period);
        return ok(why);
    }
    for (size_t i = first; i <= last; i++)
        d = d * 10 + (uint64_t)digit_at(nt, i);
    e = (long long)exp10 - (long long)nt->n_frac + (long long)(total - 1 - last);
    p = 9 - e;
    if (p < 0) /* hz >= 1e10: the period is at most 0.1ns */
        return fail(why, TS_ERANGE, PERIOD_RANGE);
    /* Divide the decimal "1 followed by p zeros" by d; r < d < 10^18, so
     * r * 10 + 1 stays below 2^64. q overflows within about 37 digits,
     * which bounds the loop however small the frequency. */
    for (long long i = 0; i <= p; i++) {
        uint64_t qd;
        r = r * 10 + (i == 0 ? 1 : 0);
        qd = r / d;
        r %= d;
        if (q > ((uint64_t)INT64_MAX - qd) / 10)
            return fail(why, TS_ERANGE, PERIOD_RANGE);
        q = q * 10 + qd;
    }
    if (r >= d - r) /* remainder at least half of d: round up */
        q++;
    if (q == 0 || q > (uint64_t)INT64_MAX)
        return fail(why, TS_ERANGE, PERIOD_RANGE);
    *ns = (int64_t)q;
    return ok(why);
}

int ts_unit_period(const char *text, int64_t *ns, const char **why)
{
    static const char expected[] =
        "expected a rate such as 30Hz or 1kHz, or a period such as 10ms or "
        "1.5s";
    num_text nt;
    const unit_def *u;

    if (!scan(text, &nt))
        return fail(why, TS_EINVAL, expected);
    if ((u = find_unit(&nt, freq_units))) {
        if (nt.negative)
            return fail(why, TS_ERANGE, "a rate must not be negative");
        if (is_zero(&nt))
            return fail(why, TS_ERANGE, "a rate must be greater than 0Hz");
        return period_from_hz(&nt, u->exp10, ns, why);
    }
    if ((u = find_unit(&nt, time_units))) {
        int64_t v;
        if (nt.negative)
            return fail(why, TS_ERANGE, "a period must not be negative");
        if (!scale_exact(&nt, u->mult, &v))
            return fail(why, TS_ERANGE, PERIOD_RANGE);
        if (v == 0)
            return fail(why, TS_ERANGE,
                        "a period must be greater than 0 (at least 1ns)");
        *ns = v;
        return ok(why);
    }
    return fail(why, TS_EINVAL, expected);
}

/* ---- bit rates ---------------------------------------------------------- */

static const unit_def bitrate_units[] = {
    {"bps", 1, 0},
    {"kbps", 1000, 3},
    {"Kbps", 1000, 3},
    {"Mbps", 1000000, 6},
    {"Gbps", 1000000000, 9},
    {NULL, 0, 0}};

int ts_unit_bitrate(const char *text, double *bps, const char **why)
{
    num_text nt;
    const unit_def *u;
    double v;

    if (!scan(text, &nt) || !(u = find_unit(&nt, bitrate_units)))
        return fail(why, TS_EINVAL,
                    "expected a bit rate such as 100Mbps or 1.5Gbps (units "
                    "bps, kbps, Mbps, Gbps)");
    if (nt.negative)
        return fail(why, TS_ERANGE, "a bit rate must not be negative");
    v = to_double(&nt, u->exp10);
    if (!isfinite(v))
        return fail(why, TS_ERANGE, "bit rate too large to represent");
    *bps = v;
    return ok(why);
}

/* ---- sizes -------------------------------------------------------------- */

static const unit_def byte_units[] = {
    {"", 1, 0}, /* a bare number is bytes */
    {"B", 1, 0},
    {"kB", 1000, 0},
    {"KB", 1000, 0},
    {"MB", 1000000, 0},
    {"GB", 1000000000, 0},
    {"TB", INT64_C(1000000000000), 0},
    {"KiB", INT64_C(1) << 10, 0},
    {"MiB", INT64_C(1) << 20, 0},
    {"GiB", INT64_C(1) << 30, 0},
    {"TiB", INT64_C(1) << 40, 0},
    {"Ki", INT64_C(1) << 10, 0},
    {"Mi", INT64_C(1) << 20, 0},
    {"Gi", INT64_C(1) << 30, 0},
    {"Ti", INT64_C(1) << 40, 0},
    {"k", 1000, 0},
    {"M", 1000000, 0},
    {"G", 1000000000, 0},
    {"T", INT64_C(1000000000000), 0},
    {NULL, 0, 0}};

int ts_unit_bytes(const char *text, int64_t *bytes, const char **why)
{
    num_text nt;
    const unit_def *u;
    int64_t v;

    if (!scan(text, &nt) || !(u = find_unit(&nt, byte_units)))
        return fail(why, TS_EINVAL,
                    "expected a size such as 900KiB, 8Gi, 1MB or a number of "
                    "bytes (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB, Ki, "
                    "Mi, Gi, Ti, k, M, G, T)");
    if (nt.negative)
        return fail(why, TS_ERANGE, "a size must not be negative");
    if (!scale_exact(&nt, u->mult, &v))
        return fail(why, TS_ERANGE,
                    "size too large: at most 2^63-1 bytes (8EiB)");
    *bytes = v;
    return ok(why);
}

/* ---- CPU ---------------------------------------------------------------- */

static const unit_def cpu_units[] = {
    {"", 1000, 0}, /* a bare number is cores */
    {"m", 1, 0},
    {NULL, 0, 0}};

int ts_unit_cpu(const char *text, int64_t *millicores, const char **why)
{
    num_text nt;
    const unit_def *u;
    int64_t v;

    if (!scan(text, &nt) || !(u = find_unit(&nt, cpu_units)))
        return fail(why, TS_EINVAL,
                    "expected CPU as millicores such as 500m or as cores such "
                    "as 2 or 1.5");
    if (nt.negative)
        return fail(why, TS_ERANGE, "a CPU amount must not be negative");
    if (!scale_exact(&nt, u->mult, &v))
        return fail(why, TS_ERANGE,
                    "CPU amount too large: at most 2^63-1 millicores");
    *millicores = v;
    return ok(why);
}

/* ---- fractions ---------------------------------------------------------- */

static const unit_def fraction_units[] = {
    {"", 1, 0}, /* a bare fraction such as 0.999 */
    {"%", 1, -2},
    {NULL, 0, 0}};

int ts_unit_fraction(const char *text, double *fraction, const char **why)
{
    num_text nt;
    const unit_def *u;
    double v;

    if (!scan(text, &nt) || !(u = find_unit(&nt, fraction_units)))
        return fail(why, TS_EINVAL,
                    "expected a percentage such as 99.9% or a fraction such "
                    "as 0.999");
    if (nt.negative)
        return fail(why, TS_ERANGE, "a fraction must not be negative");
    v = to_double(&nt, u->exp10);
    if (!(v <= 1.0))
        return fail(why, TS_ERANGE,
                    "a fraction must lie between 0% and 100% (0 and 1)");
    *fraction = v;
    return ok(why);
}

/* ---- temperatures ------------------------------------------------------- */

static const unit_def celsius_units[] = {
    {"C", 1, 0},
    {"\xC2\xB0" "C", 1, 0}, /* U+00B0 DEGREE SIGN */
    {NULL, 0, 0}};

int ts_unit_celsius(const char *text, double *celsius, const char **why)
{
    num_text nt;
    const unit_def *u;
    double v;

    if (!scan(text, &nt) || !(u = find_unit(&nt, celsius_units)))
        return fail(why, TS_EINVAL,
                    "expected a temperature such as 45C, 85.5C or -20C");
    v = to_double(&nt, u->exp10);
    if (!isfinite(v))
        return fail(why, TS_ERANGE, "temperature too large to represent");
    if (nt.negative && v != 0.0)
        v = -v; /* "-0C" stays +0.0 */
    /* -273.15 as a double is exactly what "-273.15C" parses to, so absolute
     * zero itself is accepted. */
    if (v < -273.15)
        return fail(why, TS_ERANGE,
                    "temperature below absolute zero (-273.15C)");
    *celsius = v;
    return ok(why);
}
