/*
 * The elements scenarios and hardware models share, read the same way in
 * both: quantity attributes (units.h, plus power, energy and plain numbers
 * read here), <power> with its <mode>s, <thermal>, distributions (<jitter>,
 * <exec>), <loss>, and a link's options. Reading and checking are split
 * because a node's values are a model's overridden attribute by attribute:
 * the *_read functions lay one element's attributes over what a struct
 * already holds and record which were given; the *_finish functions fill
 * defaults and check the merged result, naming the line that stands for
 * it. A distribution is checked here as ts_dist_prepare would check it,
 * so that the simulator's own preparation cannot fail later without a
 * line to name; its histogram table is never built here.
 */
#include "loader.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toposim/alloc.h"
#include "toposim/sim.h"
#include "toposim/units.h"

/* ---- tree walking -------------------------------------------------------- */

static const xmlNode *next_element(const xmlNode *n)
{
    while (n && n->type != XML_ELEMENT_NODE)
        n = n->next;
    return n;
}

const xmlNode *ts__first_child(const xmlNode *parent)
{
    return parent ? next_element(parent->children) : NULL;
}

const xmlNode *ts__next_sibling(const xmlNode *n)
{
    return next_element(n->next);
}

static int named(const xmlNode *el, const char *name)
{
    return xmlStrEqual(el->name, BAD_CAST name);
}

/* ---- tokens -------------------------------------------------------------- */

/* xs:token values reach us as written: the schema compares them with
 * leading and trailing blanks removed and inner runs collapsed, and so
 * must we (" fair " is a valid policy). */
static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *next_word(const char *p, size_t *n)
{
    while (is_blank(*p))
        p++;
    const char *start = p;
    while (*p && !is_blank(*p))
        p++;
    *n = (size_t)(p - start);
    return start;
}

int ts__token_eq(const char *a, const char *b)
{
    for (;;) {
        size_t na, nb;
        const char *wa = next_word(a, &na), *wb = next_word(b, &nb);
        if (na != nb || memcmp(wa, wb, na) != 0)
            return 0;
        if (na == 0)
            return 1;
        a = wa + na;
        b = wb + nb;
    }
}

char *ts__token_dup(const char *v)
{
    char *out = ts_malloc(strlen(v) + 1);
    if (!out)
        return NULL;
    char *w = out;
    size_t n;
    for (const char *word = next_word(v, &n); n;
         word = next_word(word + n, &n)) {
        if (w != out)
            *w++ = ' ';
        memcpy(w, word, n);
        w += n;
    }
    *w = '\0';
    return out;
}

int ts__bool_attr(const xmlNode *el, const char *attr)
{
    const char *v = ts__attr(el, attr);
    return v && (ts__token_eq(v, "true") || ts__token_eq(v, "1"));
}

/* ---- quantities ---------------------------------------------------------- */

/* A real-valued unit: its spelling and power of ten. */
typedef struct real_unit {
    const char *name;
    int exp10;
} real_unit;

static const real_unit power_units[] = {
    {"W", 0}, {"mW", -3}, {"kW", 3}, {NULL, 0}};
static const real_unit energy_units[] = {
    {"Wh", 0}, {"mWh", -3}, {"kWh", 3}, {NULL, 0}};
static const real_unit number_units[] = {{"", 0}, {NULL, 0}};

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Parses "[blanks] digits [. digits] [blanks] unit [blanks]" as units.c
 * does (no sign, no exponent, no inf or nan). The digits are rebuilt as
 * "DIGITSeEXP" without a decimal point, so strtod rounds correctly and the
 * locale's decimal separator cannot matter. */
static int parse_real(const char *text, const real_unit *units,
                      const char *expected, double *out, const char **why)
{
    char buf[96];
    size_t n = 0, n_frac = 0;
    const char *p = text;
    while (is_blank(*p))
        p++;
    if (*p == '-') {
        *why = "the value must not be negative";
        return TS_ERANGE;
    }
    if (*p == '+')
        p++;
    while (is_digit(*p)) {
        if (n >= 64)
            goto too_long;
        buf[n++] = *p++;
    }
    size_t n_int = n;
    if (*p == '.') {
        p++;
        if (!is_digit(*p)) {
            *why = expected;
            return TS_EINVAL;
        }
        while (is_digit(*p)) {
            if (n >= 64)
                goto too_long;
            buf[n++] = *p++;
            n_frac++;
        }
    }
    if (n == 0 || (n_int == 0 && n_frac == 0)) {
        *why = expected;
        return TS_EINVAL;
    }
    while (is_blank(*p))
        p++;
    const char *unit = p;
    const char *end = p + strlen(p);
    while (end > unit && is_blank(end[-1]))
        end--;
    size_t n_unit = (size_t)(end - unit);
    const real_unit *u = NULL;
    for (const real_unit *c = units; c->name; c++)
        if (strlen(c->name) == n_unit && memcmp(c->name, unit, n_unit) == 0)
            u = c;
    if (!u) {
        *why = expected;
        return TS_EINVAL;
    }
    snprintf(buf + n, sizeof buf - n, "e%d", u->exp10 - (int)n_frac);
    double v = strtod(buf, NULL);
    if (!isfinite(v)) {
        *why = "the value is too large to represent";
        return TS_ERANGE;
    }
    *out = v;
    *why = NULL;
    return TS_OK;
too_long:
    *why = "too many digits";
    return TS_ERANGE;
}

static const char POWER_EXPECTED[] =
    "expected a power such as 5W, 1.2W or 500mW (units mW, W, kW)";
static const char ENERGY_EXPECTED[] =
    "expected an energy such as 500Wh or 1.5kWh (units mWh, Wh, kWh)";
static const char NUMBER_EXPECTED[] =
    "expected a plain non-negative number such as 0.5 or 150";

int ts__quantity(const ts__at *at, const xmlNode *el, const char *attr,
                 ts__qkind kind, int64_t *i, double *d, int *present)
{
    const char *v = ts__attr(el, attr);
    const char *why = NULL;
    int rc = TS_OK;
    if (present)
        *present = v != NULL;
    if (!v)
        return TS_OK;
    switch (kind) {
    case TS__Q_TIME: rc = ts_unit_time(v, i, &why); break;
    case TS__Q_PERIOD: rc = ts_unit_period(v, i, &why); break;
    case TS__Q_BYTES: rc = ts_unit_bytes(v, i, &why); break;
    case TS__Q_BITRATE: rc = ts_unit_bitrate(v, d, &why); break;
    case TS__Q_CPU: rc = ts_unit_cpu(v, i, &why); break;
    case TS__Q_FRACTION: rc = ts_unit_fraction(v, d, &why); break;
    case TS__Q_FREQUENCY: rc = ts_unit_frequency(v, d, &why); break;
    case TS__Q_CELSIUS: rc = ts_unit_celsius(v, d, &why); break;
    case TS__Q_POWER:
        rc = parse_real(v, power_units, POWER_EXPECTED, d, &why);
        break;
    case TS__Q_ENERGY:
        rc = parse_real(v, energy_units, ENERGY_EXPECTED, d, &why);
        break;
    case TS__Q_NUMBER:
        rc = parse_real(v, number_units, NUMBER_EXPECTED, d, &why);
        break;
    }
    if (rc)
        return ts_error_set(at->err, rc, at->file, ts__line(el),
                            "%s: %s=\"%s\": %s", at->who, attr, v,
                            why ? why : "not a valid quantity");
    if ((kind == TS__Q_TIME || kind == TS__Q_PERIOD) && *i > TS_SIM_TIME_LIMIT)
        return ts_error_set(at->err, TS_ERANGE, at->file, ts__line(el),
                            "%s: %s=\"%s\" is beyond the longest time toposim "
                            "simulates, 1000000000000000000ns (about 31.7 years)",
                            at->who, attr, v);
    return TS_OK;
}

int ts__must_be_positive(const ts__at *at, const xmlNode *el,
                         const char *attr)
{
    return ts_error_set(at->err, TS_EINVAL, at->file, ts__line(el),
                        "%s: %s=\"%s\" must be greater than 0", at->who,
                        attr, ts__attr(el, attr));
}

/* Reads a real attribute; sets `bit` in *set when present. */
static int real_bit(const ts__at *at, const xmlNode *el, const char *attr,
                    ts__qkind kind, double *d, unsigned *set, unsigned bit)
{
    int present;
    int rc = ts__quantity(at, el, attr, kind, NULL, d, &present);
    if (!rc && present)
        *set |= bit;
    return rc;
}

/* ---- power --------------------------------------------------------------- */

void ts__power_fini(ts_scenario_power *p)
{
    for (size_t i = 0; i < p->n_modes; i++)
        ts_free(p->modes[i].name);
    ts_free(p->modes);
    p->modes = NULL;
    p->n_modes = 0;
    p->initial_mode = -1;
}

int ts__node_models_new(ts_scenario_node *n)
{
    ts__node_models *m = ts_calloc(1, sizeof *m);
    if (!m)
        return TS_ENOMEM;
    n->power = &m->power;       /* first member: it frees the block */
    n->thermal = &m->thermal;
    return TS_OK;
}

int ts__link_shape_new(ts_scenario_link *l)
{
    ts__link_shape *sh = ts_calloc(1, sizeof *sh);
    if (!sh)
        return TS_ENOMEM;
    l->jitter = &sh->jitter;    /* first member: it frees the block */
    l->loss = &sh->loss;
    return TS_OK;
}

int ts__power_copy(ts_scenario_power *dst, const ts_scenario_power *src)
{
    *dst = *src;
    dst->modes = NULL;
    dst->n_modes = 0;
    if (src->n_modes == 0)
        return TS_OK;
    dst->modes = ts_calloc(src->n_modes, sizeof *dst->modes);
    if (!dst->modes)
        return TS_ENOMEM;
    for (size_t i = 0; i < src->n_modes; i++) {
        dst->modes[i] = src->modes[i];
        dst->modes[i].name = ts_strdup(src->modes[i].name);
        dst->n_modes = i + 1;
        if (!dst->modes[i].name) {
            ts__power_fini(dst);
            return TS_ENOMEM;
        }
    }
    return TS_OK;
}

static int read_mode(const ts__at *at, const xmlNode *el,
                     ts_scenario_power_mode *m)
{
    int64_t unused;
    int present;
    const char *cores = ts__attr(el, "cores");
    /* xs:int >= 1 in the schema */
    m->online_cores = cores ? (int)strtol(cores, NULL, 10) : 0;
    int rc = ts__quantity(at, el, "cpu-max", TS__Q_FREQUENCY, &unused,
                          &m->cpu_max_hz, &present);
    if (!rc)
        rc = ts__quantity(at, el, "gpu-max", TS__Q_FREQUENCY, &unused,
                          &m->gpu_max_hz, &present);
    if (!rc)
        rc = ts__quantity(at, el, "budget", TS__Q_POWER, &unused,
                          &m->budget_w, &present);
    int has_limit = 0, has_release = 0;
    if (!rc)
        rc = ts__quantity(at, el, "oc-limit", TS__Q_POWER, &unused,
                          &m->oc_limit_w, &has_limit);
    if (!rc)
        rc = ts__quantity(at, el, "oc-release", TS__Q_POWER, &unused,
                          &m->oc_release_w, &has_release);
    if (rc)
        return rc;
    if (has_limit && !(m->oc_limit_w > 0))
        return ts_error_set(at->err, TS_EINVAL, at->file, ts__line(el),
                            "%s: power mode \"%s\": oc-limit=\"%s\" must be "
                            "greater than 0 W", at->who, m->name,
                            ts__attr(el, "oc-limit"));
    if (has_release && !has_limit)
        return ts_error_set(at->err, TS_EINVAL, at->file, ts__line(el),
                            "%s: power mode \"%s\": oc-release= without "
                            "oc-limit= (the release point of which limit?)",
                            at->who, m->name);
    if (has_release && !(m->oc_release_w > 0 && m->oc_release_w <= m->oc_limit_w))
        return ts_error_set(at->err, TS_EINVAL, at->file, ts__line(el),
                            "%s: power mode \"%s\": oc-release=\"%s\" must "
                            "lie in (0 W, oc-limit=\"%s\"] (the throttle is "
                            "released once the input falls back)",
                            at->who, m->name, ts__attr(el, "oc-release"),
                            ts__attr(el, "oc-limit"));
    return TS_OK;
}

int ts__power_read(const ts__at *at, const xmlNode *el,
                   ts_scenario_power *p, unsigned *set)
{
    int rc = real_bit(at, el, "idle", TS__Q_POWER, &p->idle_w, set,
                      TS__POWER_IDLE);
    if (!rc)
        rc = real_bit(at, el, "core-dyn", TS__Q_POWER, &p->core_dyn_w, set,
                      TS__POWER_CORE_DYN);
    if (!rc)
        rc = real_bit(at, el, "gpu-dyn", TS__Q_POWER, &p->gpu_dyn_w, set,
                      TS__POWER_GPU_DYN);
    if (!rc)
        rc = real_bit(at, el, "cpu-ref", TS__Q_FREQUENCY, &p->cpu_ref_hz,
                      set, TS__POWER_CPU_REF);
    if (!rc)
        rc = real_bit(at, el, "gpu-ref", TS__Q_FREQUENCY, &p->gpu_ref_hz,
                      set, TS__POWER_GPU_REF);
    if (!rc)
        rc = real_bit(at, el, "exponent", TS__Q_NUMBER, &p->dyn_exponent,
                      set, TS__POWER_EXPONENT);
    if (!rc)
        rc = real_bit(at, el, "oc-scale", TS__Q_FRACTION, &p->oc_scale,
                      set, TS__POWER_OC_SCALE);
    if (rc)
        return rc;
    if (ts__attr(el, "oc-scale") && !(p->oc_scale > 0 && p->oc_scale <= 1))
        return ts_error_set(at->err, TS_EINVAL, at->file, ts__line(el),
                            "%s: oc-scale=\"%s\" must lie in (0%%, 100%%] "
                            "(the clock multiplier while over-current "
                            "throttled)", at->who, ts__attr(el, "oc-scale"));

    size_t n = 0;
    for (const xmlNode *c = ts__first_child(el); c; c = ts__next_sibling(c))
        n++;
    if (n == 0)
        return TS_OK;
    ts__power_fini(p);
    *set |= TS__POWER_MODES;
    p->modes = ts_calloc(n, sizeof *p->modes);
    if (!p->modes)
        return ts_error_set(at->err, TS_ENOMEM, at->file, ts__line(el),
                            "out of memory");
    for (const xmlNode *c = ts__first_child(el); c; c = ts__next_sibling(c)) {
        const char *name = ts__attr(c, "name");
        for (size_t i = 0; i < p->n_modes; i++)
            if (ts__token_eq(p->modes[i].name, name))
                return ts_error_set(at->err, TS_EINVAL, at->file,
                                    ts__line(c),
                                    "%s: two power modes are named \"%s\" "
                                    "(mode names must differ)",
                                    at->who, p->modes[i].name);
        ts_scenario_power_mode *m = &p->modes[p->n_modes];
        m->name = ts__token_dup(name);
        if (!m->name)
            return ts_error_set(at->err, TS_ENOMEM, at->file, ts__line(c),
                                "out of memory");
        p->n_modes++;
        rc = read_mode(at, c, m);
        if (rc)
            return rc;
    }
    return TS_OK;
}

int ts__power_finish(const ts__at *at, int line, ts_scenario_power *p,
                     unsigned set, int cores, int gpus)
{
    static const struct {
        unsigned bit;
        const char *attr;
    } required[] = {{TS__POWER_IDLE, "idle"},
                    {TS__POWER_CORE_DYN, "core-dyn"},
                    {TS__POWER_CPU_REF, "cpu-ref"}};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!(set & required[i].bit))
            return ts_error_set(at->err, TS_EINVAL, at->file, line,
                                "%s: no %s= given (a power model needs "
                                "idle, core-dyn and cpu-ref, and gpu-ref on "
                                "a node with GPUs, from <power> or the "
                                "node's model)", at->who, required[i].attr);
    if (gpus > 0 && !(set & TS__POWER_GPU_REF))
        return ts_error_set(at->err, TS_EINVAL, at->file, line,
                            "%s: no gpu-ref= given, and the node has %d "
                            "GPU%s (GPU kernel times are given at the "
                            "reference GPU clock)",
                            at->who, gpus, gpus == 1 ? "" : "s");
    if (!(set & TS__POWER_GPU_DYN))
        p->gpu_dyn_w = 0;
    if (!(set & TS__POWER_GPU_REF))
        p->gpu_ref_hz = 0;
    if (!(set & TS__POWER_OC_SCALE))
        p->oc_scale = 0;
    if (!(set & TS__POWER_EXPONENT))
        p->dyn_exponent = 3;
    else if (!(p->dyn_exponent > 0))
        return ts_error_set(at->err, TS_EINVAL, at->file, line,
                            "%s: exponent=\"%g\" must be greater than 0 "
                            "(dynamic power grows with the clock)",
                            at->who, p->dyn_exponent);
    for (size_t i = 0; i < p->n_modes; i++)
        if (p->modes[i].online_cores > cores)
            return ts_error_set(at->err, TS_EINVAL, at->file, line,
                                "%s: power mode \"%s\" puts %d cores online "
                                "but the node has %d",
                                at->who, p->modes[i].name,
                                p->modes[i].online_cores, cores);
    p->initial_mode = p->n_modes ? 0 : -1;
    return TS_OK;
}

/* ---- thermal ------------------------------------------------------------- */

int ts__thermal_read(const ts__at *at, const xmlNode *el,
                     ts_scenario_thermal *t, unsigned *set)
{
    static const struct {
        const char *attr;
        ts__qkind kind;
        size_t offset;
        unsigned bit;
    } fields[] = {
        {"r-die-case", TS__Q_NUMBER,
         offsetof(ts_scenario_thermal, r_die_case), TS__THERMAL_R_DIE_CASE},
        {"r-case-ambient", TS__Q_NUMBER,
         offsetof(ts_scenario_thermal, r_case_ambient),
         TS__THERMAL_R_CASE_AMBIENT},
        {"r-case-ambient-fan", TS__Q_NUMBER,
         offsetof(ts_scenario_thermal, r_case_ambient_fan),
         TS__THERMAL_R_CASE_AMBIENT_FAN},
        {"c-die", TS__Q_NUMBER, offsetof(ts_scenario_thermal, c_die),
         TS__THERMAL_C_DIE},
        {"c-case", TS__Q_NUMBER, offsetof(ts_scenario_thermal, c_case),
         TS__THERMAL_C_CASE},
        {"throttle", TS__Q_CELSIUS, offsetof(ts_scenario_thermal, throttle_c),
         TS__THERMAL_THROTTLE},
        {"release", TS__Q_CELSIUS, offsetof(ts_scenario_thermal, release_c),
         TS__THERMAL_RELEASE},
        {"throttle-scale", TS__Q_FRACTION,
         offsetof(ts_scenario_thermal, throttle_scale),
         TS__THERMAL_THROTTLE_SCALE},
        {"fan-on", TS__Q_CELSIUS, offsetof(ts_scenario_thermal, fan_on_c),
         TS__THERMAL_FAN_ON},
        {"fan-off", TS__Q_CELSIUS, offsetof(ts_scenario_thermal, fan_off_c),
         TS__THERMAL_FAN_OFF},
        {"shutdown", TS__Q_CELSIUS, offsetof(ts_scenario_thermal, shutdown_c),
         TS__THERMAL_SHUTDOWN},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        double *d = (double *)(void *)((char *)t + fields[i].offset);
        int rc = real_bit(at, el, fields[i].attr, fields[i].kind, d, set,
                          fields[i].bit);
        if (rc)
            return rc;
    }
    return TS_OK;
}

int ts__thermal_finish(const ts__at *at, int line, ts_scenario_thermal *t,
                       unsigned set)
{
    static const struct {
        unsigned bit;
        const char *attr;
    } required[] = {{TS__THERMAL_R_CASE_AMBIENT, "r-case-ambient"},
                    {TS__THERMAL_C_DIE, "c-die"},
                    {TS__THERMAL_THROTTLE, "throttle"},
                    {TS__THERMAL_THROTTLE_SCALE, "throttle-scale"},
                    {TS__THERMAL_SHUTDOWN, "shutdown"}};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!(set & required[i].bit))
            return ts_error_set(at->err, TS_EINVAL, at->file, line,
                                "%s: no %s= given (a thermal model needs "
                                "r-case-ambient, c-die, throttle, "
                                "throttle-scale and shutdown, from "
                                "<thermal> or the node's model)",
                                at->who, required[i].attr);
    if (!(set & TS__THERMAL_R_DIE_CASE))
        t->r_die_case = 0;
    if (!(set & TS__THERMAL_R_CASE_AMBIENT_FAN))
        t->r_case_ambient_fan = 0;
    if (!(set & TS__THERMAL_C_CASE))
        t->c_case = 0;
    if (!(set & TS__THERMAL_RELEASE))
        t->release_c = t->throttle_c - 5;
    if (!(set & TS__THERMAL_FAN_ON))
        t->fan_on_c = 0;
    if (!(set & TS__THERMAL_FAN_OFF))
        t->fan_off_c = (set & TS__THERMAL_FAN_ON) ? t->fan_on_c - 5 : 0;

    if (!(t->r_case_ambient > 0))
        return ts_error_set(at->err, TS_EINVAL, at->file, line,
                            "%s: r-case-ambient must be greater than 0 K/W "
                            "(with no resistance to ambient the heat has "
                            "nowhere to go)", at->who);
    if (!(t->c_die > 0))
        return ts_error_set(at->err, TS_EINVAL, at->file, line,
                            "%s: c-die must be greater than 0 J/K", at->who);
    if (!(t->throttle_scale > 0))
        return ts_error_set(at->err, TS_EINVAL, at->file, line,
                            "%s: throttle-scale=%g%% must lie in (0%%, "
                            "100%%] (the clock multiplier while throttled)",
                            at->who, t->throttle_scale * 100);
    if (!(t->release_c < t->throttle_c))
        return ts_error_set(at->err, TS_EINVAL, at->file, line,
                            "%s: release=%gC must be below throttle=%gC "
                            "(throttling ends once the die has cooled "
                            "below the release point)",
                            at->who, t->release_c, t->throttle_c);
    if (!(t->shutdown_c > t->throttle_c))
        return ts_error_set(at->err, TS_EINVAL, at->file, line,
                            "%s: shutdown=%gC must be above throttle=%gC "
                            "(throttling is what should prevent a "
                            "shutdown)", at->who, t->shutdown_c,
                            t->throttle_c);
    if (t->r_case_ambient_fan > 0) {
        if (!(t->r_case_ambient_fan < t->r_case_ambient))
            return ts_error_set(at->err, TS_EINVAL, at->file, line,
                                "%s: r-case-ambient-fan=%g must be below "
                                "r-case-ambient=%g (a running fan lowers "
                                "the resistance to ambient)",
                                at->who, t->r_case_ambient_fan,
                                t->r_case_ambient);
        if (!(set & TS__THERMAL_FAN_ON))
            return ts_error_set(at->err, TS_EINVAL, at->file, line,
                                "%s: the model has a fan "
                                "(r-case-ambient-fan) but no fan-on= "
                                "temperature", at->who);
        if (!(t->fan_off_c < t->fan_on_c))
            return ts_error_set(at->err, TS_EINVAL, at->file, line,
                                "%s: fan-off=%gC must be below fan-on=%gC "
                                "(the fan stops once the die has cooled "
                                "below fan-off)",
                                at->who, t->fan_off_c, t->fan_on_c);
    }
    return TS_OK;
}

/* ---- distributions ------------------------------------------------------- */

static const char *const DIST_ATTRS[] = {"value", "min", "max", "mean",
                                         "sd", "scale", "shape"};

static const struct {
    const char *name;
    ts_dist_kind kind;
    const char *a, *b;    /* the attributes it takes, in a, b order */
    const char *usage;
} DIST_KINDS[] = {
    {"none", TS_DIST_NONE, NULL, NULL, "takes no parameters"},
    {"fixed", TS_DIST_FIXED, "value", NULL, "takes value="},
    {"uniform", TS_DIST_UNIFORM, "min", "max", "takes min= and max="},
    {"normal", TS_DIST_NORMAL, "mean", "sd", "takes mean= and sd="},
    {"exponential", TS_DIST_EXPONENTIAL, "mean", NULL, "takes mean="},
    {"pareto", TS_DIST_PARETO, "scale", "shape", "takes scale= and shape="},
    {"histogram", TS_DIST_HISTOGRAM, NULL, NULL,
     "takes <bin from= to= weight=> children"},
};

/* A duration attribute as a double number of nanoseconds. */
/* A distribution's value: a duration, or a size for a message size. */
static int dist_time(const ts__at *at, const xmlNode *el, const char *attr,
                     ts__qkind kind, double *out)
{
    int64_t ns = 0;
    int rc = ts__quantity(at, el, attr, kind, &ns, NULL, NULL);
    *out = (double)ns;
    return rc;
}

/* A histogram's bins while they are read. */
typedef struct bins {
    size_t n;
    double edges[TS_DIST_MAX_BINS + 1];
    double weights[TS_DIST_MAX_BINS];
} bins;

/* Appends the bin [b->edges[n], to) of weight w; 0 when full. */
static int push_bin(bins *b, double to, double w)
{
    if (b->n == TS_DIST_MAX_BINS)
        return 0;
    b->weights[b->n] = w;
    b->edges[++b->n] = to;
    return 1;
}

/* Moves the bins into storage the scenario owns and points d at it. */
static int keep_bins(const ts__at *at, const bins *b, ts_dist *d)
{
    ts_scenario *s = at->owner;
    if (!s)
        return ts_error_set(at->err, TS_EINVAL, at->file, 0,
                            "%s: a histogram cannot be read here", at->who);
    double **list = ts_realloc(s->dist_bins, (s->n_dist_bins + 1) * sizeof *list);
    if (!list)
        return ts_error_set(at->err, TS_ENOMEM, at->file, 0, "out of memory");
    s->dist_bins = list;
    double *own = ts_malloc((2 * b->n + 1) * sizeof *own);
    if (!own)
        return ts_error_set(at->err, TS_ENOMEM, at->file, 0, "out of memory");
    memcpy(own, b->edges, (b->n + 1) * sizeof *own);
    memcpy(own + b->n + 1, b->weights, b->n * sizeof *own);
    s->dist_bins[s->n_dist_bins++] = own;
    d->n_bins = b->n;
    d->edges = own;
    d->weights = own + b->n + 1;
    return TS_OK;
}

static int read_bins(const ts__at *at, const xmlNode *el, ts__qkind kind, ts_dist *d)
{
    double sum = 0;
    int prev_line = 0;
    bins b;
    b.n = 0;
    for (const xmlNode *c = ts__first_child(el); c; c = ts__next_sibling(c)) {
        double from, to, weight = 0;
        int rc = dist_time(at, c, "from", kind, &from);
        if (!rc)
            rc = dist_time(at, c, "to", kind, &to);
        if (!rc)
            rc = ts__quantity(at, c, "weight", TS__Q_NUMBER, NULL, &weight,
                              NULL);
        if (rc)
            return rc;
        int line = ts__line(c);
        if (!(from < to))
            return ts_error_set(at->err, TS_EINVAL, at->file, line,
                                "%s: <bin from=\"%s\" to=\"%s\">: from must "
                                "be below to", at->who, ts__attr(c, "from"),
                                ts__attr(c, "to"));
        int room = 1;
        if (b.n == 0) {
            b.edges[0] = from;
        } else if (from < b.edges[b.n]) {
            return ts_error_set(at->err, TS_EINVAL, at->file, line,
                                "%s: <bin from=\"%s\"> starts before the "
                                "bin at line %d ends (bins must be in "
                                "increasing order and must not overlap)",
                                at->who, ts__attr(c, "from"), prev_line);
        } else if (from > b.edges[b.n]) {
            /* a gap: a bin of weight 0 keeps the edges contiguous */
            room = push_bin(&b, from, 0);
        }
        if (!room || !push_bin(&b, to, weight))
            return ts_error_set(at->err, TS_EINVAL, at->file, line,
                                "%s: a histogram has at most %d bins (a gap "
                                "between two bins counts as one)",
                                at->who, TS_DIST_MAX_BINS);
        sum += weight;
        prev_line = line;
    }
    if (b.n == 0)
        return ts_error_set(at->err, TS_EINVAL, at->file, ts__line(el),
                            "%s: dist=\"histogram\" needs at least one <bin>",
                            at->who);
    if (!(sum > 0) || !isfinite(sum))
        return ts_error_set(at->err, TS_EINVAL, at->file, ts__line(el),
                            "%s: the histogram's bin weights must not all "
                            "be 0", at->who);
    return keep_bins(at, &b, d);
}

int ts__dist_read(const ts__at *at, const xmlNode *el, ts_dist *d)
{
    return ts__dist_read_as(at, el, TS__Q_TIME, d);
}

int ts__dist_read_as(const ts__at *at, const xmlNode *el, ts__qkind kind, ts_dist *d)
{
    memset(d, 0, sizeof *d);
    const char *dist = ts__attr(el, "dist");
    size_t k = 0;
    while (k < sizeof DIST_KINDS / sizeof DIST_KINDS[0] &&
           !ts__token_eq(DIST_KINDS[k].name, dist))
        k++;
    if (k == sizeof DIST_KINDS / sizeof DIST_KINDS[0]) /* schema-checked */
        return ts_error_set(at->err, TS_EINVAL, at->file, ts__line(el),
                            "%s: unknown dist=\"%s\"", at->who, dist);
    int line = ts__line(el);
    d->kind = DIST_KINDS[k].kind;
    const char *a = DIST_KINDS[k].a, *b = DIST_KINDS[k].b;
    for (size_t i = 0; i < sizeof DIST_ATTRS / sizeof DIST_ATTRS[0]; i++) {
        const char *name = DIST_ATTRS[i];
        int wanted = (a && strcmp(a, name) == 0) || (b && strcmp(b, name) == 0);
        int given = ts__attr(el, name) != NULL;
        if (wanted && !given)
            return ts_error_set(at->err, TS_EINVAL, at->file, line,
                                "%s: dist=\"%s\" needs %s= (it %s)", at->who,
                                dist, name, DIST_KINDS[k].usage);
        if (given && !wanted)
            return ts_error_set(at->err, TS_EINVAL, at->file, line,
                                "%s: %s= does not apply to dist=\"%s\" (it "
                                "%s)", at->who, name, dist,
                                DIST_KINDS[k].usage);
    }
    if (d->kind != TS_DIST_HISTOGRAM && ts__first_child(el))
        return ts_error_set(at->err, TS_EINVAL, at->file, line,
                            "%s: <bin> applies only to dist=\"histogram\"",
                            at->who);
    int rc = TS_OK;
    switch (d->kind) {
    case TS_DIST_NONE:
        break;
    case TS_DIST_FIXED:
        rc = dist_time(at, el, "value", kind, &d->a);
        break;
    case TS_DIST_UNIFORM:
        rc = dist_time(at, el, "min", kind, &d->a);
        if (!rc)
            rc = dist_time(at, el, "max", kind, &d->b);
        if (!rc && d->a > d->b)
            rc = ts_error_set(at->err, TS_EINVAL, at->file, line,
                              "%s: min=\"%s\" is above max=\"%s\"", at->who,
                              ts__attr(el, "min"), ts__attr(el, "max"));
        break;
    case TS_DIST_NORMAL:
        rc = dist_time(at, el, "mean", kind, &d->a);
        if (!rc)
            rc = dist_time(at, el, "sd", kind, &d->b);
        break;
    case TS_DIST_EXPONENTIAL:
        rc = dist_time(at, el, "mean", kind, &d->a);
        break;
    case TS_DIST_PARETO:
        rc = dist_time(at, el, "scale", kind, &d->a);
        if (!rc)
            rc = ts__quantity(at, el, "shape", TS__Q_NUMBER, NULL, &d->b,
                              NULL);
        if (!rc && !(d->a > 0))
            rc = ts__must_be_positive(at, el, "scale");
        if (!rc && !(d->b > 0))
            rc = ts__must_be_positive(at, el, "shape");
        break;
    case TS_DIST_HISTOGRAM:
        rc = read_bins(at, el, kind, d);
        break;
    }
    return rc;
}

/* ---- loss ---------------------------------------------------------------- */

static int fraction_attr(const ts__at *at, const xmlNode *el,
                         const char *attr, double *out)
{
    return ts__quantity(at, el, attr, TS__Q_FRACTION, NULL, out, NULL);
}

int ts__loss_read(const ts__at *at, const xmlNode *el, ts_scenario_loss *l,
                  int allow_none)
{
    memset(l, 0, sizeof *l);
    int line = ts__line(el);
    const char *model = ts__attr(el, "model");
    int has_p = ts__attr(el, "p") != NULL;
    int has_mean = ts__attr(el, "mean-loss") != NULL;
    int has_burst = ts__attr(el, "burst") != NULL;
    int has_four = ts__attr(el, "p-good-bad") || ts__attr(el, "p-bad-good") ||
                   ts__attr(el, "loss-good") || ts__attr(el, "loss-bad");
    int has_ge = has_mean || has_burst || has_four;

    if (model && ts__token_eq(model, "none")) {
        if (!allow_none)
            return ts_error_set(at->err, TS_EINVAL, at->file, line,
                                "%s: model=\"none\" is not a loss burst "
                                "(give p= or Gilbert-Elliott parameters)",
                                at->who);
        if (has_p || has_ge)
            return ts_error_set(at->err, TS_EINVAL, at->file, line,
                                "%s: model=\"none\" takes no parameters",
                                at->who);
        l->model = TS_LOSS_MODEL_NONE;
        return TS_OK;
    }
    int bernoulli;
    if (model)
        bernoulli = ts__token_eq(model, "bernoulli");
    else if (has_p != has_ge)
        bernoulli = has_p;
    else
        return ts_error_set(at->err, TS_EINVAL, at->file, line,
                            "%s: %s (p= for Bernoulli loss; mean-loss= and "
                            "burst=, or p-good-bad= and p-bad-good=, for "
                            "Gilbert-Elliott)", at->who,
                            has_p ? "give p= or Gilbert-Elliott parameters, "
                                    "not both"
                                  : "no loss parameters given");
    if (bernoulli) {
        if (has_ge)
            return ts_error_set(at->err, TS_EINVAL, at->file, line,
                                "%s: Bernoulli loss takes only p=", at->who);
        if (!has_p)
            return ts_error_set(at->err, TS_EINVAL, at->file, line,
                                "%s: Bernoulli loss needs p=", at->who);
        l->model = TS_LOSS_MODEL_BERNOULLI;
        return fraction_attr(at, el, "p", &l->p);
    }

    l->model = TS_LOSS_MODEL_GILBERT_ELLIOTT;
    if (has_p)
        return ts_error_set(at->err, TS_EINVAL, at->file, line,
                            "%s: p= is Bernoulli's; Gilbert-Elliott takes "
                            "mean-loss= and burst=, or p-good-bad= and "
                            "p-bad-good=", at->who);
    if ((has_mean || has_burst) && has_four)
        return ts_error_set(at->err, TS_EINVAL, at->file, line,
                            "%s: give mean-loss= and burst=, or the four "
                            "Gilbert-Elliott parameters, not both", at->who);
    int rc;
    if (has_mean || has_burst) {
        if (!has_mean || !has_burst)
            return ts_error_set(at->err, TS_EINVAL, at->file, line,
                                "%s: mean-loss= and burst= go together",
                                at->who);
        double mean, burst;
        rc = fraction_attr(at, el, "mean-loss", &mean);
        if (!rc)
            rc = ts__quantity(at, el, "burst", TS__Q_NUMBER, NULL, &burst,
                              NULL);
        if (rc)
            return rc;
        if (!(mean < 1))
            return ts_error_set(at->err, TS_EINVAL, at->file, line,
                                "%s: mean-loss=\"%s\" must be below 100%% "
                                "(a link that loses everything is a link "
                                "down)", at->who, ts__attr(el, "mean-loss"));
        if (!(burst >= 1))
            return ts_error_set(at->err, TS_EINVAL, at->file, line,
                                "%s: burst=\"%s\" must be at least 1 (the "
                                "mean number of packets lost in a row)",
                                at->who, ts__attr(el, "burst"));
        /* The usual two-parameter form: the bad state always loses and
         * lasts `burst` packets on average; the good state never loses. */
        l->loss_good = 0;
        l->loss_bad = 1;
        l->p_bad_good = 1.0 / burst;
        l->p_good_bad = l->p_bad_good * mean / (1.0 - mean);
        if (!(l->p_good_bad <= 1))
            return ts_error_set(at->err, TS_EINVAL, at->file, line,
                                "%s: mean-loss=\"%s\" with burst=\"%s\" needs "
                                "a good-to-bad probability of %g, above 1 "
                                "(raise burst or lower mean-loss)",
                                at->who, ts__attr(el, "mean-loss"),
                                ts__attr(el, "burst"), l->p_good_bad);
        return TS_OK;
    }
    if (!ts__attr(el, "p-good-bad") || !ts__attr(el, "p-bad-good"))
        return ts_error_set(at->err, TS_EINVAL, at->file, line,
                            "%s: Gilbert-Elliott loss needs mean-loss= and "
                            "burst=, or p-good-bad= and p-bad-good= (with "
                            "optional loss-good=, default 0, and "
                            "loss-bad=, default 100%%)", at->who);
    l->loss_good = 0;
    l->loss_bad = 1;
    rc = fraction_attr(at, el, "p-good-bad", &l->p_good_bad);
    if (!rc)
        rc = fraction_attr(at, el, "p-bad-good", &l->p_bad_good);
    if (!rc)
        rc = fraction_attr(at, el, "loss-good", &l->loss_good);
    if (!rc)
        rc = fraction_attr(at, el, "loss-bad", &l->loss_bad);
    return rc;
}

/* ---- link options -------------------------------------------------------- */

int ts__link_options_read(const ts__at *at, const xmlNode *el,
                          ts__link_options *o)
{
    int present, rc;
    double unused;
    const char *qp = ts__attr(el, "queue-packets");
    if (qp) {
        /* xs:int >= 0 in the schema */
        o->queue_packets = strtol(qp, NULL, 10);
        o->set |= TS__LINK_QUEUE_PACKETS;
    }
    rc = ts__quantity(at, el, "mtu", TS__Q_BYTES, &o->mtu_bytes, &unused,
                      &present);
    if (rc)
        return rc;
    if (present) {
        if (o->mtu_bytes <= 0)
            return ts__must_be_positive(at, el, "mtu");
        o->set |= TS__LINK_MTU;
    }
    rc = ts__quantity(at, el, "header", TS__Q_BYTES, &o->header_bytes,
                      &unused, &present);
    if (rc)
        return rc;
    if (present)
        o->set |= TS__LINK_HEADER;
    const char *reorder = ts__attr(el, "reorder");
    if (reorder) {
        o->reorder_allowed = ts__token_eq(reorder, "allowed");
        o->set |= TS__LINK_REORDER;
    }
    char who[360];
    ts__at sub = *at;
    sub.who = who;
    for (const xmlNode *c = ts__first_child(el); c; c = ts__next_sibling(c)) {
        snprintf(who, sizeof who, "%s <%s>", at->who,
                 (const char *)c->name);
        if (named(c, "jitter")) {
            rc = ts__dist_read(&sub, c, &o->jitter);
            o->set |= TS__LINK_JITTER;
        } else if (named(c, "loss")) {
            rc = ts__loss_read(&sub, c, &o->loss, 1);
            o->set |= TS__LINK_LOSS;
        }
        if (rc)
            return rc;
    }
    return TS_OK;
}
