/* A sweep's values: comma lists and LO..HI:STEP ranges with units, the
 * numbers in base units, and the seeds of the replications. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/sweep.h"
#include "toposim/units.h"

static double classify(const char *text, const char **unit);

double sweep_numeric(const char *text)
{
    const char *unit;
    return classify(text, &unit);
}

const char *sweep_base_unit(const char *text)
{
    const char *unit;
    classify(text, &unit);
    return unit;
}

static double classify(const char *text, const char **unit)
{
    const char *why = NULL;
    *unit = "";
    char *end;
    errno = 0;
    double d = strtod(text, &end);
    /* A bare number: only decimal digits, a point and an exponent (no
     * "inf", "nan" or hexadecimal, which strtod would take). */
    if (end != text && *end == '\0' && !errno && strspn(text, "0123456789.eE+-") == strlen(text))
        return d;
    int64_t i64;
    if (ts_unit_time(text, &i64, &why) == 0 && !why) {
        *unit = "s";
        return (double)i64 * 1e-9;
    }
    why = NULL;
    if (ts_unit_frequency(text, &d, &why) == 0 && !why) {
        *unit = "Hz";
        return d;
    }
    why = NULL;
    if (ts_unit_bitrate(text, &d, &why) == 0 && !why) {
        *unit = "bit/s";
        return d;
    }
    why = NULL;
    if (ts_unit_bytes(text, &i64, &why) == 0 && !why) {
        *unit = "B";
        return (double)i64;
    }
    why = NULL;
    size_t n = strlen(text);
    if (n > 1 && text[n - 1] == 'm' && ts_unit_cpu(text, &i64, &why) == 0 && !why) {
        *unit = "cores";
        return (double)i64 * 1e-3;
    }
    why = NULL;
    if (n > 1 && text[n - 1] == '%' && ts_unit_fraction(text, &d, &why) == 0 && !why) {
        *unit = "fraction";
        return d;
    }
    why = NULL;
    if (ts_unit_celsius(text, &d, &why) == 0 && !why) {
        *unit = "C";
        return d;
    }
    return NAN;
}

/* Splits "12.5Mbps" into 12.5 and "Mbps"; the number's digits after the
 * point in *decimals, and whether it is a whole number written without a
 * point or exponent. -1 when it does not start with a plain number. */
static int split_quantity(const char *text, double *x, char *suffix, size_t size, int *decimals,
                          int *integer)
{
    const char *p = text;
    if (*p == '-' || *p == '+')
        p++;
    size_t digits = strspn(p, "0123456789");
    const char *q = p + digits;
    *decimals = 0;
    *integer = 1;
    if (*q == '.') {
        size_t frac = strspn(q + 1, "0123456789");
        *decimals = (int)frac;
        *integer = 0;
        digits += frac;
        q += 1 + frac;
    }
    if (digits == 0)
        return -1;
    if ((*q == 'e' || *q == 'E') && (isdigit((unsigned char)q[1]) ||
                                     ((q[1] == '-' || q[1] == '+') && isdigit((unsigned char)q[2])))) {
        *integer = 0;
        *decimals = 6;
        q++;
        if (*q == '-' || *q == '+')
            q++;
        q += strspn(q, "0123456789");
    }
    char num[64];
    if ((size_t)(q - text) >= sizeof num || strlen(q) >= size)
        return -1;
    memcpy(num, text, (size_t)(q - text));
    num[q - text] = '\0';
    errno = 0;
    *x = strtod(num, NULL);
    if (errno || !isfinite(*x))
        return -1;
    snprintf(suffix, size, "%s", q);
    return 0;
}

void sweep_format_value(double x, int decimals, const char *suffix, sweep_value *out)
{
    if (decimals <= 0)
        snprintf(out->text, sizeof out->text, "%.0f%s", x, suffix);
    else
        snprintf(out->text, sizeof out->text, "%.*f%s", decimals, x, suffix);
    if (decimals > 0 && strchr(out->text, '.')) {
        /* 0.50 -> 0.5: the shortest spelling of the same number. */
        char *dot = strchr(out->text, '.');
        char *end = dot + 1 + strspn(dot + 1, "0123456789");
        char *last = end;
        while (last > dot + 1 && last[-1] == '0')
            last--;
        if (last == dot + 1)
            last = dot;
        memmove(last, end, strlen(end) + 1);
    }
    out->num = sweep_numeric(out->text);
}

/* The suffix the parts of a range share: each part's own, or none. */
static int common_suffix(char *have, const char *part)
{
    if (!part[0])
        return 0;
    if (!have[0]) {
        strcpy(have, part);
        return 0;
    }
    return strcmp(have, part) ? -1 : 0;
}

int sweep_parse_range(const char *text, sweep_range *r, char *why, size_t size)
{
    memset(r, 0, sizeof *r);
    const char *dots = strstr(text, "..");
    char lo[64], sfx_lo[32], sfx_hi[32];
    int dl, dh, il, ih;
    if (!dots || (size_t)(dots - text) >= sizeof lo) {
        snprintf(why, size, "expected LO..HI");
        return -1;
    }
    memcpy(lo, text, (size_t)(dots - text));
    lo[dots - text] = '\0';
    if (split_quantity(lo, &r->lo, sfx_lo, sizeof sfx_lo, &dl, &il) != 0 ||
        split_quantity(dots + 2, &r->hi, sfx_hi, sizeof sfx_hi, &dh, &ih) != 0) {
        snprintf(why, size, "LO and HI must be numbers, with the attribute's unit if it has one");
        return -1;
    }
    if (common_suffix(r->suffix, sfx_lo) || common_suffix(r->suffix, sfx_hi)) {
        snprintf(why, size, "LO and HI have different units (%s, %s); write both in one unit",
                 sfx_lo, sfx_hi);
        return -1;
    }
    if (!(r->hi > r->lo)) {
        snprintf(why, size, "HI must be greater than LO");
        return -1;
    }
    r->integer = il && ih;
    r->decimals = dl > dh ? dl : dh;
    return 0;
}

int sweep_parse_resolution(const char *text, const sweep_range *r, double *res, int *decimals,
                           char *why, size_t size)
{
    char sfx[32], have[32];
    int integer;
    snprintf(have, sizeof have, "%s", r->suffix);
    if (split_quantity(text, res, sfx, sizeof sfx, decimals, &integer) != 0 ||
        common_suffix(have, sfx) != 0 || !(*res > 0)) {
        snprintf(why, size, "--resolution '%s': expected a number above 0 in the range's unit%s%s",
                 text, r->suffix[0] ? " " : "", r->suffix);
        return -1;
    }
    return 0;
}

static int add_value(sweep_param *p, const char *text, size_t n)
{
    if (n == 0 || n >= sizeof p->values[0].text)
        return -1;
    sweep_value *v = &p->values[p->n_values++];
    memcpy(v->text, text, n);
    v->text[n] = '\0';
    v->num = sweep_numeric(v->text);
    return 0;
}

int sweep_parse_set(const char *arg, sweep_param *p, char *why, size_t size)
{
    memset(p, 0, sizeof *p);
    p->arg = arg;
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof p->path) {
        snprintf(why, size, "--set %s: expected PATH=VALUES (e.g. fleet.count=10..40:2, "
                 "link[wifi].bandwidth=50Mbps,100Mbps)", arg);
        return -1;
    }
    memcpy(p->path, arg, (size_t)(eq - arg));
    p->path[eq - arg] = '\0';
    const char *values = eq + 1;
    const char *dots = strstr(values, "..");
    if (!dots) {
        size_t n = 1;
        for (const char *c = values; *c; c++)
            n += *c == ',';
        if (n > SWEEP_MAX_VALUES) {
            snprintf(why, size, "--set %s: %zu values, more than the cap of %d", arg, n,
                     SWEEP_MAX_VALUES);
            return -1;
        }
        p->values = calloc(n, sizeof *p->values);
        if (!p->values) {
            snprintf(why, size, "--set %s: out of memory", arg);
            return -1;
        }
        for (const char *c = values;;) {
            size_t k = strcspn(c, ",");
            if (add_value(p, c, k) != 0) {
                snprintf(why, size, "--set %s: %s", arg,
                         k ? "a value longer than 63 characters" : "an empty value in the list");
                sweep_param_free(p);
                return -1;
            }
            if (!c[k])
                break;
            c += k + 1;
        }
        return 0;
    }
    /* LO..HI:STEP */
    const char *colon = strrchr(dots, ':');
    char range[128], msg[256];
    sweep_range r;
    if (!colon || (size_t)(colon - values) >= sizeof range) {
        snprintf(why, size, "--set %s: a range needs a step, LO..HI:STEP (e.g. 10..40:2)", arg);
        return -1;
    }
    memcpy(range, values, (size_t)(colon - values));
    range[colon - values] = '\0';
    if (sweep_parse_range(range, &r, msg, sizeof msg) != 0) {
        snprintf(why, size, "--set %s: %s", arg, msg);
        return -1;
    }
    double step;
    int step_decimals;
    if (sweep_parse_resolution(colon + 1, &r, &step, &step_decimals, msg, sizeof msg) != 0) {
        snprintf(why, size, "--set %s: the step '%s' must be a number above 0 in the range's "
                 "unit%s%s", arg, colon + 1, r.suffix[0] ? " " : "", r.suffix);
        return -1;
    }
    double count = floor((r.hi - r.lo) / step + 1e-9) + 1;
    if (!(count <= SWEEP_MAX_VALUES)) {
        snprintf(why, size, "--set %s: %.0f values, more than the cap of %d; take a larger "
                 "step", arg, count, SWEEP_MAX_VALUES);
        return -1;
    }
    int decimals = step_decimals > r.decimals ? step_decimals : r.decimals;
    p->values = calloc((size_t)count, sizeof *p->values);
    if (!p->values) {
        snprintf(why, size, "--set %s: out of memory", arg);
        return -1;
    }
    for (size_t k = 0; k < (size_t)count; k++) {
        /* From LO by whole steps, not by adding: no drift over a long range. */
        sweep_format_value(r.lo + (double)k * step, decimals, r.suffix, &p->values[k]);
        p->n_values++;
        if (r.suffix[0] && isnan(p->values[k].num)) {
            snprintf(why, size, "--set %s: '%s' is no quantity toposim reads (units: s, ms, "
                     "Hz, Mbps, MiB, m, %%, C, ...)", arg, p->values[k].text);
            sweep_param_free(p);
            return -1;
        }
    }
    return 0;
}

void sweep_param_free(sweep_param *p)
{
    free(p->values);
    p->values = NULL;
    p->n_values = 0;
}

/* SplitMix64's finaliser (Steele, Lea, Flood 2014): every input bit
 * reaches every output bit. */
static uint64_t mix(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t sweep_seed(uint64_t base, const sweep_param *params, const sweep_value *const *values,
                    size_t n_params, unsigned rep)
{
    uint64_t h = 0xcbf29ce484222325ull;   /* FNV-1a 64 */
    for (size_t i = 0; i < n_params; i++) {
        char line[320];
        if (isnan(values[i]->num))
            snprintf(line, sizeof line, "%s=%s\n", params[i].path, values[i]->text);
        else
            snprintf(line, sizeof line, "%s=%.17g\n", params[i].path, values[i]->num);
        for (const char *c = line; *c; c++) {
            h ^= (unsigned char)*c;
            h *= 0x100000001b3ull;
        }
    }
    return mix(base ^ mix(h ^ mix(rep))) >> 11;
}
