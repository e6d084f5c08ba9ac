/*
 * Traces are hostile input (src/trace/isolate.c, reader.c): a crash while
 * parsing becomes "trace is corrupt" in the caller, a row count the file
 * cannot hold is refused before anything is allocated, and random byte
 * changes never crash the reader nor turn a changed table into a PASS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>
#include <hdf5.h>

#include "toposim/scenario.h"
#include "toposim/trace.h"
#include "toposim/validate.h"
#include "toposim/world.h"
#include "trace/schema.h"

#define MS INT64_C(1000000)

static char good_path[64];

/* The scenarios whose traces are mutated: $TOPOSIM_MUTATION_SCENARIOS
 * (names in scenarios/, blank-separated; `make fuzz-smoke` gives three),
 * else the default one. Their traces are good_path (the first) and
 * extra_paths. */
#define MAX_TRACES 4
static char extra_paths[MAX_TRACES][80];
static char scenario_names[MAX_TRACES][64];
static int n_traces;

/* A passing scenario, run for 300 ms so the file stays small. */
static int make_trace(const char *name, const char *path)
{
    ts_scenario *s = NULL;
    ts_plan *plan = NULL;
    ts_error err;
    char file[128];
    snprintf(file, sizeof file, "scenarios/%s.xml", name);
    if (ts_scenario_load(file, NULL, &s, &err) != TS_OK ||
        ts_plan_new(s, &plan, &err) != TS_OK) {
        fprintf(stderr, "setup: %s\n", err.msg);
        ts_scenario_free(s);
        return -1;
    }
    ts_run_options o = {.trace_path = path, .duration_ns = 300 * MS};
    int rc = ts_world_run(s, plan, &o, NULL, &err);
    if (rc != TS_OK)
        fprintf(stderr, "setup: %s: %s\n", file, err.msg);
    ts_plan_free(plan);
    ts_scenario_free(s);
    return rc == TS_OK ? 0 : -1;
}

static const char *trace_path(int i)
{
    return i == 0 ? good_path : extra_paths[i];
}

static int setup(void **state)
{
    (void)state;
    const char *list = getenv("TOPOSIM_MUTATION_SCENARIOS");
    if (!list || !*list)
        list = "humanoid-basic";
    n_traces = 0;
    for (const char *p = list; *p && n_traces < MAX_TRACES;) {
        size_t n = strcspn(p, " ");
        if (n > 0 && n < sizeof scenario_names[0]) {
            memcpy(scenario_names[n_traces], p, n);
            scenario_names[n_traces][n] = '\0';
            n_traces++;
        }
        p += n;
        p += strspn(p, " ");
    }
    snprintf(good_path, sizeof good_path, "/tmp/test_trace_hostile_%ld.h5", (long)getpid());
    for (int i = 1; i < n_traces; i++)
        snprintf(extra_paths[i], sizeof extra_paths[i], "/tmp/test_trace_hostile_%ld_%d.h5",
                 (long)getpid(), i);
    for (int i = 0; i < n_traces; i++)
        if (make_trace(scenario_names[i], trace_path(i)) != 0)
            return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < n_traces; i++)
        unlink(trace_path(i));
    return 0;
}

static int load_killed(const char *path, ts_trace **out, ts_error *err)
{
    (void)path;
    (void)out;
    (void)err;
    /* What a wild write inside the library ends in, without a sanitizer's
     * report in the way. */
    raise(SIGKILL);
    return TS_OK;
}

static int load_refusing(const char *path, ts_trace **out, ts_error *err)
{
    *out = NULL;
    return ts_error_set(err, TS_EFORMAT, path, 0, "dataset /jobs is not a dataset");
}

static void test_crash_while_reading_is_corrupt(void **state)
{
    (void)state;
    ts_error err;
    ts_error_clear(&err);
    assert_int_equal(ts__trace_probe(good_path, load_killed, &err), TS_EFORMAT);
    assert_non_null(strstr(err.msg, "trace is corrupt"));
    assert_non_null(strstr(err.msg, "crashed"));
    assert_string_equal(err.file, good_path);
}

static void test_refusal_comes_back(void **state)
{
    (void)state;
    ts_error err;
    ts_error_clear(&err);
    assert_int_equal(ts__trace_probe(good_path, load_refusing, &err), TS_EFORMAT);
    assert_string_equal(err.msg, "dataset /jobs is not a dataset");
}

static void copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    assert_non_null(a);
    assert_non_null(b);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0)
        assert_int_equal(fwrite(buf, 1, n, b), n);
    fclose(a);
    assert_int_equal(fclose(b), 0);
}

/* A dataset that says it has 4e8 rows but stores a few chunks must be
 * refused by its storage size, not allocated. */
static void test_row_count_beyond_storage(void **state)
{
    (void)state;
    char path[80];
    snprintf(path, sizeof path, "/tmp/test_trace_hostile_rows_%ld.h5", (long)getpid());
    copy_file(good_path, path);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    hid_t d = H5Dopen2(f, "/jobs", H5P_DEFAULT);
    assert_true(d >= 0);
    hsize_t dims[1] = {400000000};
    assert_true(H5Dset_extent(d, dims) >= 0);
    H5Dclose(d);
    assert_true(H5Fclose(f) >= 0);

    ts_trace *t = NULL;
    ts_error err;
    assert_int_equal(ts_trace_load(path, &t, &err), TS_EFORMAT);
    assert_null(t);
    assert_non_null(strstr(err.msg, "/jobs claims 400000000 rows"));
    unlink(path);
}

/* 1 when any table's rows differ. Rows are read into zeroed memory, so
 * padding compares equal. */
static const char *tables_differ(const ts_trace *a, const ts_trace *b)
{
#define DIFF(table) \
    if (a->n_##table != b->n_##table || \
        (a->n_##table && memcmp(a->table, b->table, a->n_##table * sizeof a->table[0]))) \
        return "/" #table;
    DIFF(nodes) DIFF(links) DIFF(components) DIFF(topics) DIFF(placement)
    DIFF(requirements) DIFF(messages) DIFF(jobs) DIFF(link_state) DIFF(node_state)
    DIFF(core_state) DIFF(events) DIFF(sites) DIFF(power_modes) DIFF(versions)
    DIFF(failover_groups) DIFF(failover_backups) DIFF(subscriptions) DIFF(services)
    DIFF(service_replicas) DIFF(clients) DIFF(fleets) DIFF(rollouts) DIFF(expects)
    DIFF(component_state) DIFF(topic_windows) DIFF(job_windows) DIFF(histogram_buckets)
    DIFF(node_windows) DIFF(link_windows)
#undef DIFF
    if (a->seed != b->seed || a->duration_ns != b->duration_ns || a->finished != b->finished ||
        a->requirements_declared != b->requirements_declared)
        return "/meta";
    return NULL;
}

static unsigned char *read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    unsigned char *buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* `count` files with 1 to 4 random bytes of the trace at `good` changed
 * (fixed seed): each is refused with a reason, or read whole; one read
 * whole whose tables changed must not pass every gate. The original
 * passes, so a pass is what a changed file could wrongly keep. */
static void mutate_trace(const char *name, const char *good, int count, unsigned long seed)
{
    ts_error err;
    ts_trace *orig = NULL;
    assert_int_equal(ts_trace_load(good, &orig, &err), TS_OK);
    ts_validation *v0 = NULL;
    assert_int_equal(ts_validate(orig, &v0, &err), TS_OK);
    assert_true(v0->all_pass);
    ts_validation_free(v0);

    size_t len;
    unsigned char *bytes = read_whole(good, &len);
    unsigned char *copy = malloc(len);
    assert_non_null(copy);
    char path[80];
    snprintf(path, sizeof path, "/tmp/test_trace_hostile_mut_%ld.h5", (long)getpid());
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(rng, seed);
    size_t refused = 0, read_same = 0, read_changed = 0;
    for (int i = 0; i < count; i++) {
        memcpy(copy, bytes, len);
        int flips = 1 + (int)gsl_rng_uniform_int(rng, 4);
        for (int k = 0; k < flips; k++)
            copy[gsl_rng_uniform_int(rng, len)] = (unsigned char)gsl_rng_uniform_int(rng, 256);
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(copy, 1, len, f), len);
        assert_int_equal(fclose(f), 0);

        ts_trace *t = NULL;
        ts_error_clear(&err);
        int rc = ts_trace_load(path, &t, &err);
        if (rc != TS_OK) {
            assert_null(t);
            assert_true(err.msg[0] != '\0');
            refused++;
            continue;
        }
        const char *changed = tables_differ(orig, t);
        if (!changed) {
            read_same++;
        } else {
            read_changed++;
            ts_validation *v = NULL;
            if (ts_validate(t, &v, &err) == TS_OK) {
                if (v->all_pass)
                    fail_msg("%s mutation %d: %s changed, yet every gate passed", name, i,
                             changed);
                ts_validation_free(v);
            }
        }
        ts_trace_free(t);
    }
    print_message("  %s: %d mutations: %zu refused, %zu read unchanged, %zu read changed\n",
                  name, count, refused, read_same, read_changed);
    assert_int_equal(refused + read_same + read_changed, (size_t)count);
    assert_true(refused > (size_t)count / 2);
    gsl_rng_free(rng);
    free(copy);
    free(bytes);
    ts_trace_free(orig);
    unlink(path);
}

/* 200 mutations of each trace ($TOPOSIM_MUTATIONS to change the count;
 * `make fuzz-smoke` asks 1000 of each of three). */
static void test_mutated_files(void **state)
{
    (void)state;
    const char *env = getenv("TOPOSIM_MUTATIONS");
    int count = env && atoi(env) > 0 ? atoi(env) : 200;
    for (int i = 0; i < n_traces; i++)
        mutate_trace(scenario_names[i], trace_path(i), count, 20261204ul + (unsigned long)i);
    /* The same files read in chunks and folded (trace.h, "Folded
     * reading"), as a large full trace is: a quarter as many mutations. */
    ts_trace_set_fold_rows(0);
    for (int i = 0; i < n_traces; i++) {
        char name[96];
        snprintf(name, sizeof name, "%s (folded)", scenario_names[i]);
        mutate_trace(name, trace_path(i), count / 4 > 20 ? count / 4 : 20,
                     20261206ul + (unsigned long)i);
    }
    ts_trace_set_fold_rows(TS_TRACE_FOLD_ROWS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crash_while_reading_is_corrupt),
        cmocka_unit_test(test_refusal_comes_back),
        cmocka_unit_test(test_row_count_beyond_storage),
        cmocka_unit_test(test_mutated_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
