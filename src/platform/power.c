/*
 * The power model of a node, as pure math: an idle floor plus a dynamic
 * part per busy core and per busy GPU that scales with (f / f_ref)^e, e = 3
 * by default (dynamic power ~ f V^2 with the voltage following the clock
 * on a DVFS curve), and nvpmodel-style power modes that cap the online
 * cores and the CPU and GPU clocks, and may carry the module's
 * over-current limits (what the dynamics model throttles on).
 */
#include <math.h>

#include "toposim/dynamics.h"

static double exponent(const ts_power_desc *d)
{
    return d->dyn_exponent > 0 ? d->dyn_exponent : 3.0;
}

/* x^e, exact for the common e = 3 and for x = 1. */
static double scale_pow(double x, double e)
{
    if (x == 1.0)
        return 1.0;
    if (e == 3.0)
        return x * x * x;
    return pow(x, e);
}

int ts_power_check(const ts_power_desc *d, int cores, ts_error *err)
{
    if (!d)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "no power description");
    const double v[] = {d->idle_w, d->core_dyn_w, d->gpu_dyn_w, d->cpu_ref_hz,
                        d->gpu_ref_hz, d->dyn_exponent};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (!isfinite(v[i]) || v[i] < 0)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "power: powers, clocks and the exponent must "
                                "be finite and >= 0");
    if (!isfinite(d->oc_scale) || d->oc_scale < 0 || d->oc_scale > 1)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "power: the over-current clock scale must be "
                            "in (0, 1]");
    if (d->n_modes > 0 && !d->modes)
        return ts_error_set(err, TS_EINVAL, NULL, 0, "power: modes missing");
    if (d->n_modes > 0 && d->initial_mode >= (int)d->n_modes)
        return ts_error_set(err, TS_EINVAL, NULL, 0,
                            "power: initial mode %d out of range",
                            d->initial_mode);
    for (size_t i = 0; i < d->n_modes; i++) {
        const ts_power_mode *m = &d->modes[i];
        const char *name = m->name ? m->name : "?";
        if (m->online_cores < 0 || m->online_cores > cores)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "power mode %s: %d online cores on a node of "
                                "%d", name, m->online_cores, cores);
        if (!isfinite(m->cpu_max_hz) || m->cpu_max_hz < 0 ||
            !isfinite(m->gpu_max_hz) || m->gpu_max_hz < 0 ||
            !isfinite(m->budget_w) || m->budget_w < 0)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "power mode %s: clocks and budget must be "
                                ">= 0", name);
        if (!isfinite(m->oc_limit_w) || m->oc_limit_w < 0 ||
            !isfinite(m->oc_release_w) || m->oc_release_w < 0 ||
            m->oc_release_w > m->oc_limit_w ||
            (m->oc_release_w > 0 && !(m->oc_limit_w > 0)))
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "power mode %s: the over-current release "
                                "must lie in (0, limit] and needs a limit",
                                name);
        if ((m->cpu_max_hz > 0 && !(d->cpu_ref_hz > 0)) ||
            (m->gpu_max_hz > 0 && !(d->gpu_ref_hz > 0)))
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "power mode %s caps a clock without a "
                                "reference clock", name);
    }
    return TS_OK;
}

double ts_power_watts(const ts_power_desc *d, double busy_cores,
                      double busy_gpus, double cpu_scale, double gpu_scale)
{
    double e = exponent(d);
    double p = d->idle_w;
    if (busy_cores > 0)
        p += busy_cores * d->core_dyn_w * scale_pow(cpu_scale, e);
    if (busy_gpus > 0)
        p += busy_gpus * d->gpu_dyn_w * scale_pow(gpu_scale, e);
    return p;
}

double ts_power_gpu_scaled(const ts_power_desc *d, double watts, double gpu_scale)
{
    return watts > 0 ? watts * scale_pow(gpu_scale, exponent(d)) : 0;
}

void ts_power_mode_caps(const ts_power_desc *d, int mode, int cores,
                        ts_power_caps *out)
{
    out->online_cores = cores > 0 ? cores : 0;
    out->cpu_scale = 1.0;
    out->gpu_scale = 1.0;
    out->budget_w = 0;
    out->oc_limit_w = 0;
    out->oc_release_w = 0;
    out->oc_scale = d->oc_scale > 0 ? d->oc_scale : TS_POWER_OC_SCALE;
    if (mode < 0 || (size_t)mode >= d->n_modes || !d->modes)
        return;
    const ts_power_mode *m = &d->modes[mode];
    if (m->online_cores > 0 && m->online_cores < out->online_cores)
        out->online_cores = m->online_cores;
    if (m->cpu_max_hz > 0 && d->cpu_ref_hz > 0)
        out->cpu_scale = m->cpu_max_hz / d->cpu_ref_hz;
    if (m->gpu_max_hz > 0 && d->gpu_ref_hz > 0)
        out->gpu_scale = m->gpu_max_hz / d->gpu_ref_hz;
    out->budget_w = m->budget_w;
    out->oc_limit_w = m->oc_limit_w;
    out->oc_release_w = m->oc_release_w > 0 ? m->oc_release_w : m->oc_limit_w;
}
