/* A sweep's results: each run's result file read back fail-closed, the
 * replications of a variant folded into means, 95 % confidence
 * intervals and a binding gate, and the summary files written. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include <hdf5.h>
#include <hdf5_hl.h>

#include "cli/sweep.h"
#include "util/atomic_file.h"

static const char *const family_names[SWEEP_N_FAMILIES] = {"performance", "safety", "health",
                                                           "integration"};

const char *sweep_family_name(size_t f) { return f < SWEEP_N_FAMILIES ? family_names[f] : "?"; }

/* ---- one run's result file ---- */

void sweep_result_read(const char *path, sweep_run *run)
{
    free(run->gates);
    run->gates = NULL;
    run->n_gates = 0;
    for (size_t f = 0; f < SWEEP_N_FAMILIES; f++)
        run->family[f] = NAN;
    FILE *f = fopen(path, "r");
    run->verdict = BATCH_INVALID;
    if (!f) {
        snprintf(run->why, sizeof run->why, "no result file (%s)", path);
        return;
    }
    char line[512];
    int header = 0, end = 0, all_pass = -1;
    size_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!header) {
            header = !strcmp(line, "toposim-sweep-result 1");
            if (!header)
                break;
            continue;
        }
        char name[160], unit[16];
        double x, req;
        int pass, at_most, n = 0;
        if (sscanf(line, "family %159s %lf%n", name, &x, &n) == 2 && !line[n]) {
            for (size_t k = 0; k < SWEEP_N_FAMILIES; k++)
                if (!strcmp(name, family_names[k]))
                    run->family[k] = x;
        } else if (sscanf(line, "gate %d %d %lf %lf %15s %159s%n", &pass, &at_most, &x, &req,
                          unit, name, &n) == 6 && !line[n] && (pass == 0 || pass == 1)) {
            if (run->n_gates == cap) {
                cap = cap ? 2 * cap : 16;
                sweep_gate *g = realloc(run->gates, cap * sizeof *g);
                if (!g)
                    break;
                run->gates = g;
            }
            sweep_gate *g = &run->gates[run->n_gates++];
            snprintf(g->name, sizeof g->name, "%s", name);
            snprintf(g->unit, sizeof g->unit, "%s", unit);
            g->pass = pass;
            g->at_most = at_most;
            g->actual = x;
            g->required = req;
        } else if (sscanf(line, "all-pass %d%n", &pass, &n) == 1 && !line[n]) {
            all_pass = pass;
        } else if (!strcmp(line, "end")) {
            end = 1;
            break;
        } else {
            break;
        }
    }
    fclose(f);
    /* No end line, no gate or a verdict that contradicts the gates: the
     * file says nothing, which is never a pass. */
    size_t failing = 0;
    for (size_t k = 0; k < run->n_gates; k++)
        failing += !run->gates[k].pass;
    if (!end || run->n_gates == 0 || all_pass != (failing == 0)) {
        snprintf(run->why, sizeof run->why, "the result file %s is incomplete", path);
        return;
    }
    run->verdict = failing ? BATCH_FAIL : BATCH_PASS;
}

/* ---- folding the replications ---- */

double sweep_margin(double actual, double required, int at_most)
{
    double d = at_most ? required - actual : actual - required;
    return required != 0 ? d / fabs(required) : d;
}

/* How bad a verdict is for a variant: the worst replication's decides. */
static int severity(batch_verdict v)
{
    switch (v) {
    case BATCH_PASS: return 0;
    case BATCH_FAIL: return 1;
    case BATCH_NO_FIT: return 2;
    case BATCH_NOT_RUN: return 3;
    case BATCH_INVALID: return 4;
    case BATCH_TIMEOUT: return 5;
    case BATCH_CRASH: return 6;
    }
    return 6;
}

static void mean_ci(const double *x, size_t n, double *mean, double *ci)
{
    if (n == 0) {
        *mean = *ci = NAN;
        return;
    }
    *mean = gsl_stats_mean(x, 1, n);
    /* One replication gives no spread: the half-width is NaN, not 0, so
     * that nobody reads it as certainty. */
    if (n < 2) {
        *ci = NAN;
        return;
    }
    double sd = gsl_stats_sd(x, 1, n);
    *ci = gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * sd / sqrt((double)n);
}

static long gate_index(sweep_summary *s, const sweep_gate *gate)
{
    for (size_t k = 0; k < s->n_gate_names; k++)
        if (!strcmp(s->gate_names[k], gate->name))
            return (long)k;
    char(*g)[160] = realloc(s->gate_names, (s->n_gate_names + 1) * sizeof *g);
    if (!g)
        return -2;
    s->gate_names = g;
    sweep_gate *info = realloc(s->gate_info, (s->n_gate_names + 1) * sizeof *info);
    if (!info)
        return -2;
    s->gate_info = info;
    info[s->n_gate_names] = *gate;
    snprintf(g[s->n_gate_names], sizeof g[0], "%s", gate->name);
    return (long)s->n_gate_names++;
}

/* Among passing gates: a gate exactly at its threshold (no event of a
 * kind allowed none, 100 % coverage asked 100 %) is a yes/no check with
 * no headroom to measure, so the least positive margin binds, and a zero
 * one only when no gate has a positive margin. */
static int better_headroom(double m, double best)
{
    if (m > 0 && best > 0)
        return m < best;
    return m > 0 || (best <= 0 && m < best);
}

int sweep_variant_fold(sweep_summary *s, sweep_variant *v)
{
    v->verdict = BATCH_PASS;
    v->why[0] = v->binding[0] = '\0';
    v->binding_margin = NAN;
    v->scored = 0;
    for (size_t r = 0; r < v->n_runs; r++) {
        const sweep_run *run = &v->runs[r];
        if (severity(run->verdict) > severity(v->verdict)) {
            v->verdict = run->verdict;
            if (run->verdict != BATCH_FAIL)
                snprintf(v->why, sizeof v->why, "seed %02zu: %.480s", r, run->why);
        }
        v->scored += run->verdict == BATCH_PASS || run->verdict == BATCH_FAIL;
        for (size_t g = 0; g < run->n_gates; g++)
            if (gate_index(s, &run->gates[g]) < 0)
                return -1;
    }
    free(v->gates);
    v->n_gates = s->n_gate_names;
    v->gates = calloc(v->n_gates ? v->n_gates : 1, sizeof *v->gates);
    double *x = malloc((v->n_runs ? v->n_runs : 1) * sizeof *x);
    if (!v->gates || !x) {
        free(x);
        return -1;
    }
    for (size_t f = 0; f < SWEEP_N_FAMILIES; f++) {
        size_t n = 0;
        for (size_t r = 0; r < v->n_runs; r++)
            if (v->runs[r].verdict == BATCH_PASS || v->runs[r].verdict == BATCH_FAIL)
                x[n++] = v->runs[r].family[f];
        mean_ci(x, n, &v->family_mean[f], &v->family_ci95[f]);
    }
    double worst_failing = INFINITY, least_passing = INFINITY;
    long fail_at = -1, pass_at = -1;
    for (size_t g = 0; g < v->n_gates; g++) {
        sweep_gate_stats *st = &v->gates[g];
        size_t n = 0;
        st->pass = 1;
        st->margin = INFINITY;
        st->required = NAN;
        for (size_t r = 0; r < v->n_runs; r++) {
            const sweep_run *run = &v->runs[r];
            if (run->verdict != BATCH_PASS && run->verdict != BATCH_FAIL)
                continue;
            for (size_t k = 0; k < run->n_gates; k++) {
                const sweep_gate *rg = &run->gates[k];
                if (strcmp(rg->name, s->gate_names[g]) != 0)
                    continue;
                x[n++] = rg->actual;
                st->pass &= rg->pass;
                st->required = rg->required;
                double m = sweep_margin(rg->actual, rg->required, rg->at_most);
                /* NaN (nothing measured) counts as the worst margin. */
                if (isnan(m))
                    m = -INFINITY;
                if (m < st->margin)
                    st->margin = m;
                break;
            }
        }
        st->present = n > 0;
        if (!st->present) {
            st->pass = 0;
            st->mean = st->ci95 = st->margin = NAN;
            continue;
        }
        mean_ci(x, n, &st->mean, &st->ci95);
        /* The binding gate: the failing one furthest below its threshold,
         * or, when all pass, the one nearest to it. */
        if (!st->pass && (fail_at < 0 || st->margin < worst_failing)) {
            worst_failing = st->margin;
            fail_at = (long)g;
        } else if (st->pass && (pass_at < 0 || better_headroom(st->margin, least_passing))) {
            least_passing = st->margin;
            pass_at = (long)g;
        }
    }
    long at = fail_at >= 0 ? fail_at : pass_at;
    if (at >= 0) {
        snprintf(v->binding, sizeof v->binding, "%s", s->gate_names[at]);
        v->binding_margin = fail_at >= 0 ? worst_failing : least_passing;
    }
    free(x);
    if (v->verdict == BATCH_NO_FIT) {
        /* The placement's error names the constraint that binds. */
        snprintf(v->binding, sizeof v->binding, "placement");
        v->binding_margin = NAN;
    }
    if (isinf(v->binding_margin))
        v->binding_margin = NAN;
    return 0;
}

/* ---- sweep.csv and runs.csv ---- */

static void csv_text(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\n\r")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
}

/* Numbers with 17 significant digits (a double read back is the same
 * double); NaN as "nan", which pandas, gnuplot and strtod read. */
static void csv_num(FILE *f, double x)
{
    if (isnan(x))
        fputs(",nan", f);
    else
        fprintf(f, ",%.17g", x);
}

int sweep_write_csv(const sweep_summary *s, const char *path, ts_error *err)
{
    ts__atomic_file af;
    if (ts__atomic_open(&af, path, err) != TS_OK)
        return err->code;
    FILE *f = af.fp;
    fputs("variant", f);
    for (size_t p = 0; p < s->n_params; p++) {
        fputc(',', f);
        csv_text(f, s->params[p].path);
        fputc(',', f);
        char col[256];
        snprintf(col, sizeof col, "%s/value", s->params[p].path);
        csv_text(f, col);
    }
    fputs(",seeds,seed_list,scored,verdict,binding_gate,margin,why", f);
    for (size_t k = 0; k < SWEEP_N_FAMILIES; k++)
        fprintf(f, ",%s/mean,%s/ci95", family_names[k], family_names[k]);
    static const char *const gate_cols[] = {"pass", "mean", "ci95", "required"};
    for (size_t g = 0; g < s->n_gate_names; g++)
        for (size_t c = 0; c < 4; c++) {
            char col[200];
            snprintf(col, sizeof col, "%s/%s", s->gate_names[g], gate_cols[c]);
            fputc(',', f);
            csv_text(f, col);
        }
    fputc('\n', f);
    for (size_t i = 0; i < s->n_variants; i++) {
        const sweep_variant *v = &s->variants[i];
        fprintf(f, "%zu", v->index);
        for (size_t p = 0; p < s->n_params; p++) {
            fputc(',', f);
            csv_text(f, v->values[p].text);
            csv_num(f, v->values[p].num);
        }
        fprintf(f, ",%zu,", v->n_runs);
        for (size_t r = 0; r < v->n_runs; r++)
            fprintf(f, "%s%llu", r ? ";" : "", (unsigned long long)v->runs[r].seed);
        fprintf(f, ",%zu,%s,", v->scored, batch_verdict_name(v->verdict));
        csv_text(f, v->binding);
        csv_num(f, v->binding_margin);
        fputc(',', f);
        csv_text(f, v->why);
        for (size_t k = 0; k < SWEEP_N_FAMILIES; k++) {
            csv_num(f, v->family_mean[k]);
            csv_num(f, v->family_ci95[k]);
        }
        for (size_t g = 0; g < s->n_gate_names; g++) {
            const sweep_gate_stats *st = g < v->n_gates ? &v->gates[g] : NULL;
            if (!st || !st->present) {
                fputs(",,,,", f);   /* not judged in this variant */
                continue;
            }
            fprintf(f, ",%d", st->pass);
            csv_num(f, st->mean);
            csv_num(f, st->ci95);
            csv_num(f, st->required);
        }
        fputc('\n', f);
    }
    return ts__atomic_commit(&af, err);
}

int sweep_write_runs(const sweep_summary *s, const char *path, ts_error *err)
{
    ts__atomic_file af;
    if (ts__atomic_open(&af, path, err) != TS_OK)
        return err->code;
    FILE *f = af.fp;
    fputs("variant,replication,seed,verdict,wall_s,trace,why,command\n", f);
    for (size_t i = 0; i < s->n_variants; i++) {
        const sweep_variant *v = &s->variants[i];
        for (size_t r = 0; r < v->n_runs; r++) {
            const sweep_run *run = &v->runs[r];
            fprintf(f, "%zu,%zu,%llu,%s,%.3f,", v->index, r, (unsigned long long)run->seed,
                    batch_verdict_name(run->verdict), run->wall_s);
            csv_text(f, run->trace);
            fputc(',', f);
            csv_text(f, run->verdict == BATCH_PASS || run->verdict == BATCH_FAIL ? "" : run->why);
            fputc(',', f);
            csv_text(f, run->command);
            fputc('\n', f);
        }
    }
    return ts__atomic_commit(&af, err);
}

/* ---- sweep.h5 ---- */

/* A dataset of fixed-length strings (the longest one's length), of one
 * dimension (n) or two (rows x n / rows). */
/* Dataset creation without modification times: two sweeps of the same
 * grid write the same bytes (as traces do), whichever machine or rank
 * ran them. */
static hid_t untimed_dcpl(void)
{
    static hid_t dcpl = -1;
    if (dcpl < 0) {
        dcpl = H5Pcreate(H5P_DATASET_CREATE);
        if (dcpl >= 0 && H5Pset_obj_track_times(dcpl, 0) < 0) {
            H5Pclose(dcpl);
            dcpl = -1;
        }
    }
    return dcpl;
}

static int h5_dataset(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                      const void *buf)
{
    hid_t dcpl = untimed_dcpl();
    hid_t space = dcpl < 0 ? -1 : H5Screate_simple(rank, dims, NULL);
    hid_t ds = space < 0 ? -1 : H5Dcreate2(loc, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    herr_t rc = ds < 0 ? -1 : H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    if (ds >= 0 && H5Dclose(ds) < 0)
        rc = -1;
    if (space >= 0)
        H5Sclose(space);
    return rc < 0 || ds < 0 ? -1 : 0;
}

static int h5_strings2(hid_t loc, const char *name, const char *const *items, size_t n,
                       size_t rows)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        if (strlen(items[i]) + 1 > len)
            len = strlen(items[i]) + 1;
    char *buf = calloc(n ? n : 1, len);
    if (!buf)
        return -1;
    for (size_t i = 0; i < n; i++)
        memcpy(buf + i * len, items[i], strlen(items[i]));
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, len);
    H5Tset_strpad(type, H5T_STR_NULLTERM);
    hsize_t dims[2] = {rows, rows ? n / rows : 0};
    if (!rows)
        dims[0] = n;
    hid_t space = H5Screate_simple(rows ? 2 : 1, dims, NULL);
    hid_t ds = untimed_dcpl() < 0 ? -1
                                    : H5Dcreate2(loc, name, type, space, H5P_DEFAULT, untimed_dcpl(), H5P_DEFAULT);
    herr_t rc = ds < 0 ? -1 : H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    if (ds >= 0)
        H5Dclose(ds);
    H5Sclose(space);
    H5Tclose(type);
    free(buf);
    return rc < 0 ? -1 : 0;
}

static int h5_strings(hid_t loc, const char *name, const char *const *items, size_t n)
{
    return h5_strings2(loc, name, items, n, 0);
}

static int h5_doubles(hid_t loc, const char *name, int rank, const hsize_t *dims, const double *x)
{
    return h5_dataset(loc, name, H5T_NATIVE_DOUBLE, rank, dims, x);
}

int sweep_write_h5(const sweep_summary *s, const char *path, ts_error *err)
{
    char tmp[TS__PATH_MAX];
    if (ts__temp_path_for(path, tmp, sizeof tmp) != TS_OK)
        return ts_error_set(err, TS_ERANGE, path, 0, "path too long");
    size_t V = s->n_variants, P = s->n_params, G = s->n_gate_names, F = SWEEP_N_FAMILIES;
    size_t cells = (V ? V : 1) * (P + G + F + 1);
    double *num = malloc(cells * sizeof *num);
    const char **text = malloc(cells * sizeof *text);
    int8_t *pass = malloc((V ? V : 1) * (G ? G : 1));
    if (!num || !text || !pass) {
        free(num);
        free(text);
        free(pass);
        return ts_error_set(err, TS_ENOMEM, path, 0, "out of memory");
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);   /* the root group untimed too */
    if (fcpl >= 0 && H5Pset_obj_track_times(fcpl, 0) < 0) {
        H5Pclose(fcpl);
        fcpl = -1;
    }
    hid_t file = fcpl < 0 ? -1 : H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    if (fcpl >= 0)
        H5Pclose(fcpl);
    int bad = file < 0;
    if (!bad) {
        unsigned long seed = (unsigned long)s->base_seed;
        unsigned seeds = s->seeds;
        bad |= H5LTset_attribute_string(file, "/", "command_line", s->command_line) < 0;
        bad |= H5LTset_attribute_string(file, "/", "scenario", s->scenario) < 0;
        bad |= H5LTset_attribute_ulong(file, "/", "base_seed", &seed, 1) < 0;
        bad |= H5LTset_attribute_uint(file, "/", "seeds", &seeds, 1) < 0;
        int version = 1;
        bad |= H5LTset_attribute_int(file, "/", "format", &version, 1) < 0;

        hsize_t d1[1], d2[2];
        const char *const *names;
        /* Parameters: paths, values as written, values in base units. */
        for (size_t p = 0; p < P; p++)
            text[p] = s->params[p].path;
        bad |= h5_strings(file, "param_paths", text, P);
        for (size_t i = 0; i < V; i++)
            for (size_t p = 0; p < P; p++) {
                text[i * P + p] = s->variants[i].values[p].text;
                num[i * P + p] = s->variants[i].values[p].num;
            }
        bad |= h5_strings2(file, "param_text", text, V * P, V);   /* V x P */
        d2[0] = V;
        d2[1] = P;
        bad |= h5_doubles(file, "param_value", 2, d2, num);
        /* A variant per row. */
        d1[0] = V;
        for (size_t i = 0; i < V; i++)
            num[i] = (double)s->variants[i].index;
        bad |= h5_doubles(file, "variant", 1, d1, num);
        /* Each replication's seed: V x seeds. */
        uint64_t *seeds_buf = calloc((V ? V : 1) * (s->seeds ? s->seeds : 1), sizeof *seeds_buf);
        if (!seeds_buf) {
            bad = 1;
        } else {
            for (size_t i = 0; i < V; i++)
                for (size_t r = 0; r < s->variants[i].n_runs && r < s->seeds; r++)
                    seeds_buf[i * s->seeds + r] = s->variants[i].runs[r].seed;
            d2[0] = V;
            d2[1] = s->seeds;
            bad |= h5_dataset(file, "seed", H5T_NATIVE_UINT64, 2, d2, seeds_buf) < 0;
            free(seeds_buf);
        }
        for (size_t i = 0; i < V; i++)
            num[i] = (double)s->variants[i].scored;
        bad |= h5_doubles(file, "scored", 1, d1, num);
        for (size_t i = 0; i < V; i++)
            text[i] = batch_verdict_name(s->variants[i].verdict);
        bad |= h5_strings(file, "verdict", text, V);
        for (size_t i = 0; i < V; i++)
            text[i] = s->variants[i].binding;
        bad |= h5_strings(file, "binding_gate", text, V);
        for (size_t i = 0; i < V; i++)
            num[i] = s->variants[i].binding_margin;
        bad |= h5_doubles(file, "margin", 1, d1, num);
        for (size_t i = 0; i < V; i++)
            text[i] = s->variants[i].why;
        bad |= h5_strings(file, "why", text, V);
        /* Families: V x 4. */
        names = (const char *const *)family_names;
        bad |= h5_strings(file, "family_names", names, F);
        d2[1] = F;
        for (size_t i = 0; i < V; i++)
            for (size_t k = 0; k < F; k++)
                num[i * F + k] = s->variants[i].family_mean[k];
        bad |= h5_doubles(file, "family_mean", 2, d2, num);
        for (size_t i = 0; i < V; i++)
            for (size_t k = 0; k < F; k++)
                num[i * F + k] = s->variants[i].family_ci95[k];
        bad |= h5_doubles(file, "family_ci95", 2, d2, num);
        /* Gates: V x G; pass -1 where the variant judged no such gate. */
        for (size_t g = 0; g < G; g++)
            text[g] = s->gate_names[g];
        bad |= h5_strings(file, "gate_names", text, G);
        for (size_t g = 0; g < G; g++)
            text[g] = s->gate_info[g].unit;
        bad |= h5_strings(file, "gate_units", text, G);
        d2[1] = G;
        for (size_t i = 0; i < V; i++)
            for (size_t g = 0; g < G; g++) {
                const sweep_variant *v = &s->variants[i];
                pass[i * G + g] = g < v->n_gates && v->gates[g].present ? (int8_t)v->gates[g].pass : -1;
            }
        bad |= h5_dataset(file, "gate_pass", H5T_NATIVE_INT8, 2, d2, pass) < 0;
        static const char *const what[] = {"gate_mean", "gate_ci95", "gate_required"};
        for (size_t w = 0; w < 3; w++) {
            for (size_t i = 0; i < V; i++)
                for (size_t g = 0; g < G; g++) {
                    const sweep_variant *v = &s->variants[i];
                    const sweep_gate_stats *st = g < v->n_gates && v->gates[g].present ? &v->gates[g] : NULL;
                    num[i * G + g] = !st ? NAN : w == 0 ? st->mean : w == 1 ? st->ci95 : st->required;
                }
            bad |= h5_doubles(file, what[w], 2, d2, num);
        }
        bad |= H5Fclose(file) < 0;
    }
    free(num);
    free(text);
    free(pass);
    if (bad) {
        remove(tmp);
        return ts_error_set(err, TS_EIO, path, 0, "cannot write the sweep's HDF5 summary");
    }
    return ts__publish_file(tmp, path, err);
}

int sweep_write_gates(const sweep_summary *s, const char *path, ts_error *err)
{
    ts__atomic_file af;
    if (ts__atomic_open(&af, path, err) != TS_OK)
        return err->code;
    fputs("gate,unit,at_most\n", af.fp);
    for (size_t g = 0; g < s->n_gate_names; g++) {
        csv_text(af.fp, s->gate_names[g]);
        fprintf(af.fp, ",%s,%d\n", s->gate_info[g].unit, s->gate_info[g].at_most);
    }
    return ts__atomic_commit(&af, err);
}
