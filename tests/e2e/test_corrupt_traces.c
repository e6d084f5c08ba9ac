/*
 * Twenty corrupt traces through `toposim validate`: truncated, bytes
 * flipped, tables missing, columns of the wrong type, indexes out of range
 * and bad /meta attributes; and fourteen summary traces whose node and
 * link windows are missing, of the wrong type, out of range or at odds
 * with themselves; twelve traces whose /chains or /chain_instances are
 * missing, mistyped or inconsistent; ten whose /media, /medium_state or a
 * link's medium are missing, mistyped or out of range (read whole and
 * folded); the twenty again read in chunks
 * (--fold-rows 0). Each
 * is made from a real run's trace and must
 * exit 2 with its cause named on stderr: never a signal, a hang, a PASS or
 * HDF5's own error stack.
 */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <hdf5.h>

#include "shell_capture.h"

static char bin[PATH_MAX];
static char tmpdir[] = "/tmp/toposim-corrupt-XXXXXX";
static char base[PATH_MAX + 16];
static char summary_base[PATH_MAX + 16];  /* the same run at the summary level */
static char chain_base[PATH_MAX + 16];    /* a run with a processing chain */
static char media_base[PATH_MAX + 16];    /* a run with a shared medium */
static char out_text[1 << 16];
static char err_text[1 << 16];

#define shell TS_TEST_SHELL

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* ---- the corruptions ---- */

static void truncate_to(const char *path, double fraction)
{
    assert_int_equal(truncate(path, (off_t)((double)file_size(path) * fraction)), 0);
}

static void flip_byte(const char *path, long offset)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, offset, SEEK_SET), 0);
    int c = fgetc(f);
    assert_true(c != EOF);
    assert_int_equal(fseek(f, offset, SEEK_SET), 0);
    fputc(c ^ 0xff, f);
    fclose(f);
}

/* File offset of the first chunk of a chunked dataset (its data bytes). */
static long first_chunk_offset(const char *path, const char *dataset)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(file, dataset, H5P_DEFAULT);
    assert_true(d >= 0);
    hsize_t offset[1];
    unsigned mask;
    haddr_t addr;
    hsize_t size;
    hid_t sp = H5Dget_space(d);
    assert_true(H5Dget_chunk_info(d, sp, 0, offset, &mask, &addr, &size) >= 0);
    H5Sclose(sp);
    H5Dclose(d);
    H5Fclose(file);
    return (long)addr + (long)size / 2;
}

static void delete_object(const char *path, const char *name)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(file >= 0);
    assert_true(H5Ldelete(file, name, H5P_DEFAULT) >= 0);
    H5Fclose(file);
}

/* Replaces a table by one of `n` rows of `type` (zero bytes). */
static void replace_table(const char *path, const char *name, hid_t type, hsize_t n)
{
    delete_object(path, name);
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t sp = H5Screate_simple(1, &n, NULL);
    hid_t d = H5Dcreate2(file, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(d >= 0);
    void *zeros = calloc((size_t)n ? (size_t)n : 1, H5Tget_size(type));
    assert_true(H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros) >= 0);
    free(zeros);
    H5Dclose(d);
    H5Sclose(sp);
    H5Fclose(file);
}

/* A copy of table `name`'s type with member `column` made a double. */
static void retype_column(const char *path, const char *name, const char *column)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t ft = H5Dget_type(d);
    hid_t sp = H5Dget_space(d);
    hsize_t n = 0;
    H5Sget_simple_extent_dims(sp, &n, NULL);
    int members = H5Tget_nmembers(ft);
    size_t size = 0;
    for (int i = 0; i < members; i++)
        size += 8 + H5Tget_size(H5Tget_member_type(ft, (unsigned)i));
    hid_t t = H5Tcreate(H5T_COMPOUND, size);
    size_t at = 0;
    for (int i = 0; i < members; i++) {
        char *m = H5Tget_member_name(ft, (unsigned)i);
        hid_t mt = H5Tget_member_type(ft, (unsigned)i);
        hid_t use = strcmp(m, column) == 0 ? H5T_IEEE_F64LE : mt;
        H5Tinsert(t, m, at, use);
        at += H5Tget_size(use);
        H5Tclose(mt);
        H5free_memory(m);
    }
    H5Tpack(t);
    H5Sclose(sp);
    H5Tclose(ft);
    H5Dclose(d);
    H5Fclose(file);
    replace_table(path, name, t, n ? n : 1);
    H5Tclose(t);
}

/* Sets integer column `column` of row `row` of table `name` to v. */
static void set_cell(const char *path, const char *name, hsize_t row, const char *column,
                     long long v)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    assert_true(d >= 0);
    hid_t mem = H5Tcreate(H5T_COMPOUND, sizeof(long long));
    H5Tinsert(mem, column, 0, H5T_NATIVE_LLONG);
    hid_t sp = H5Dget_space(d);
    hsize_t one = 1;
    assert_true(H5Sselect_hyperslab(sp, H5S_SELECT_SET, &row, NULL, &one, NULL) >= 0);
    hid_t ms = H5Screate_simple(1, &one, NULL);
    assert_true(H5Dwrite(d, mem, ms, sp, H5P_DEFAULT, &v) >= 0);
    H5Sclose(ms);
    H5Sclose(sp);
    H5Tclose(mem);
    H5Dclose(d);
    H5Fclose(file);
}

static void set_int_attr(const char *path, const char *object, const char *attr, long long v)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t g = H5Oopen(file, object, H5P_DEFAULT);
    assert_true(g >= 0);
    hid_t a = H5Aopen(g, attr, H5P_DEFAULT);
    assert_true(a >= 0);
    assert_true(H5Awrite(a, H5T_NATIVE_LLONG, &v) >= 0);
    H5Aclose(a);
    H5Oclose(g);
    H5Fclose(file);
}

/* ---- the cases ---- */

typedef struct corruption {
    const char *what;
    void (*make)(const char *path);
    const char *cause;      /* on stderr */
} corruption;

static void trunc25(const char *p) { truncate_to(p, 0.25); }
static void trunc50(const char *p) { truncate_to(p, 0.50); }
static void trunc90(const char *p) { truncate_to(p, 0.90); }
static void trunc0(const char *p) { truncate_to(p, 0.0); }
static void flip_signature(const char *p) { flip_byte(p, 1); }
static void flip_superblock(const char *p) { flip_byte(p, 20); }
static void flip_messages_data(const char *p) { flip_byte(p, first_chunk_offset(p, "/messages")); }
static void flip_jobs_data(const char *p) { flip_byte(p, first_chunk_offset(p, "/jobs")); }
static void no_messages(const char *p) { delete_object(p, "/messages"); }
static void no_jobs(const char *p) { delete_object(p, "/jobs"); }
static void no_meta(const char *p) { delete_object(p, "/meta"); }
static void no_topics(const char *p) { delete_object(p, "/topics"); }
static void float_topic(const char *p) { retype_column(p, "/messages", "topic"); }
static void float_seq(const char *p) { retype_column(p, "/jobs", "seq"); }
static void jobs_not_a_table(const char *p) { replace_table(p, "/jobs", H5T_STD_I32LE, 4); }
static void topic_out_of_range(const char *p) { set_cell(p, "/messages", 0, "topic", 99999); }
static void status_out_of_range(const char *p) { set_cell(p, "/messages", 1, "status", 77); }
static void node_out_of_range(const char *p) { set_cell(p, "/node_state", 0, "node", -3); }
static void future_version(const char *p) { set_int_attr(p, "/", "format_version", 999); }
static void finished_not_boolean(const char *p) { set_int_attr(p, "/meta", "finished", 7); }

static const corruption cases[] = {
    {"truncated to 25 %", trunc25, "the file is truncated"},
    {"truncated to 50 %", trunc50, "the file is truncated"},
    {"truncated to 90 %", trunc90, "the file is truncated"},
    {"empty", trunc0, "not an HDF5 file"},
    {"signature byte flipped", flip_signature, "not an HDF5 file"},
    {"superblock byte flipped", flip_superblock, "checksum does not match"},
    {"/messages data byte flipped", flip_messages_data, "/messages"},
    {"/jobs data byte flipped", flip_jobs_data, "/jobs"},
    {"/messages missing", no_messages, "/messages is missing"},
    {"/jobs missing", no_jobs, "/jobs is missing"},
    {"/meta missing", no_meta, "/meta"},
    {"/topics missing", no_topics, "/topics is missing"},
    {"/messages topic a float", float_topic, "topic"},
    {"/jobs seq a float", float_seq, "seq"},
    {"/jobs not a table", jobs_not_a_table, "/jobs"},
    {"/messages topic out of range", topic_out_of_range, "/messages row 0 column topic"},
    {"/messages status unknown", status_out_of_range, "/messages row 1 column status"},
    {"/node_state node out of range", node_out_of_range, "/node_state row 0 column node"},
    {"format version from the future", future_version, "format version 999 is newer"},
    {"finished neither 0 nor 1", finished_not_boolean, "finished"},
};

/* A summary trace's node and link windows (format 5). */
static void no_node_windows(const char *p) { delete_object(p, "/node_windows"); }
static void no_link_windows(const char *p) { delete_object(p, "/link_windows"); }
static void float_window_samples(const char *p) { retype_column(p, "/node_windows", "samples"); }
static void link_windows_not_a_table(const char *p)
{
    replace_table(p, "/link_windows", H5T_STD_I32LE, 4);
}
static void window_node_out_of_range(const char *p)
{
    set_cell(p, "/node_windows", 0, "node", 99999);
}
static void window_link_out_of_range(const char *p)
{
    set_cell(p, "/link_windows", 1, "link", -2);
}
static void window_direction(const char *p) { set_cell(p, "/link_windows", 0, "direction", 3); }
static void window_no_samples(const char *p) { set_cell(p, "/node_windows", 2, "samples", 0); }
static void window_backwards(const char *p) { set_cell(p, "/link_windows", 2, "end_ns", -5); }
static void window_up_beyond(const char *p)
{
    set_cell(p, "/link_windows", 3, "up_samples", 1000000);
}
static void window_throttled_beyond(const char *p)
{
    set_cell(p, "/node_windows", 1, "throttled_ns", 1LL << 60);
}
static void window_queue_sum_beyond(const char *p)
{
    set_cell(p, "/link_windows", 0, "queue_sum_bytes", 1LL << 60);
}
static void no_state_window(const char *p) { set_int_attr(p, "/meta", "state_window_ns", 0); }
/* The windows beside state rows, as if both levels were written. */
static void windows_and_rows(const char *p)
{
    delete_object(p, "/node_state");
    hid_t file = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(H5Lcreate_hard(file, "/node_windows", file, "/node_state", H5P_DEFAULT,
                               H5P_DEFAULT) >= 0);
    H5Fclose(file);
}

static const corruption summary_cases[] = {
    {"/node_windows missing", no_node_windows, "/node_windows is missing"},
    {"/link_windows missing", no_link_windows, "/link_windows is missing"},
    {"/node_windows samples a float", float_window_samples, "samples"},
    {"/link_windows not a table", link_windows_not_a_table, "/link_windows"},
    {"/node_windows node out of range", window_node_out_of_range,
     "/node_windows row 0 column node"},
    {"/link_windows link out of range", window_link_out_of_range,
     "/link_windows row 1 column link"},
    {"/link_windows direction unknown", window_direction,
     "/link_windows row 0 column direction"},
    {"/node_windows without samples", window_no_samples, "/node_windows row 2"},
    {"/link_windows ending before it starts", window_backwards, "/link_windows row 2"},
    {"/link_windows more up samples than samples", window_up_beyond, "/link_windows row 3"},
    {"/node_windows throttled longer than the window", window_throttled_beyond,
     "/node_windows row 1"},
    {"/link_windows queue sum beyond its peak", window_queue_sum_beyond, "/link_windows row 0"},
    {"state_window_ns 0 at the summary level", no_state_window, "state_window_ns"},
    {"/node_state of another table's rows", windows_and_rows, "/node_state"},
};

/* A trace's chains and their instances (format 6). */
static void no_chains(const char *p) { delete_object(p, "/chains"); }
static void no_chain_instances(const char *p) { delete_object(p, "/chain_instances"); }
static void instances_not_a_table(const char *p)
{
    replace_table(p, "/chain_instances", H5T_STD_I32LE, 4);
}
static void float_instance_input(const char *p)
{
    retype_column(p, "/chain_instances", "input_ns");
}
static void instance_chain_out_of_range(const char *p)
{
    set_cell(p, "/chain_instances", 0, "chain", 5);
}
static void instance_output_before_input(const char *p)
{
    set_cell(p, "/chain_instances", 2, "output_ns", 5);
}
static void instance_dropped_unknown(const char *p)
{
    set_cell(p, "/chain_instances", 1, "dropped", 2);
}
static void instance_dropped_with_output(const char *p)
{
    set_cell(p, "/chain_instances", 3, "dropped", 1);
}
static void chain_even_stages(const char *p) { set_cell(p, "/chains", 0, "n_stages", 4); }
static void chain_no_budget(const char *p) { set_cell(p, "/chains", 0, "budget_ns", 0); }
static void chain_last_out_of_range(const char *p) { set_cell(p, "/chains", 0, "last", 77); }
static void chain_first_not_first(const char *p) { set_cell(p, "/chains", 0, "first", 2); }

static const corruption chain_cases[] = {
    {"/chains missing", no_chains, "/chains is missing"},
    {"/chain_instances missing", no_chain_instances, "/chain_instances is missing"},
    {"/chain_instances not a table", instances_not_a_table, "/chain_instances"},
    {"/chain_instances input_ns a float", float_instance_input, "input_ns"},
    {"/chain_instances chain out of range", instance_chain_out_of_range,
     "/chain_instances row 0 column chain"},
    {"/chain_instances output before input", instance_output_before_input,
     "/chain_instances row 2"},
    {"/chain_instances dropped neither 0 nor 1", instance_dropped_unknown,
     "/chain_instances row 1"},
    {"/chain_instances dropped with an output", instance_dropped_with_output,
     "/chain_instances row 3"},
    {"/chains with an even stage count", chain_even_stages, "/chains row 0"},
    {"/chains without a budget", chain_no_budget, "/chains row 0"},
    {"/chains last out of range", chain_last_out_of_range, "/chains row 0 column last"},
    {"/chains first not its first stage", chain_first_not_first, "/chains row 0 column stages"},
};

/* A trace's shared media (format 6). */
static void no_media(const char *p) { delete_object(p, "/media"); }
static void no_medium_state(const char *p) { delete_object(p, "/medium_state"); }
static void float_medium_sent(const char *p) { retype_column(p, "/medium_state", "sent_packets"); }
static void medium_out_of_range(const char *p) { set_cell(p, "/medium_state", 0, "medium", 7); }
static void medium_negative(const char *p) { set_cell(p, "/medium_state", 3, "medium", -1); }
static void link_medium_out_of_range(const char *p) { set_cell(p, "/links", 1, "medium", 9); }
static void medium_no_window(const char *p) { set_cell(p, "/medium_state", 1, "window_ns", 0); }
static void medium_window_before_0(const char *p)
{
    set_cell(p, "/medium_state", 0, "window_ns", 200000000);
}
static void medium_queue_negative(const char *p)
{
    set_cell(p, "/medium_state", 2, "queue_bytes", -5);
}
static void media_queue_negative(const char *p) { set_cell(p, "/media", 0, "queue_bytes", -1); }

static const corruption media_cases[] = {
    {"/media missing", no_media, "/media is missing"},
    {"/medium_state missing", no_medium_state, "/medium_state is missing"},
    {"/medium_state sent_packets a float", float_medium_sent, "sent_packets"},
    {"/medium_state medium out of range", medium_out_of_range,
     "/medium_state row 0 column medium"},
    {"/medium_state medium -1", medium_negative, "/medium_state row 3 column medium"},
    {"/links medium out of range", link_medium_out_of_range, "/links row 1 column medium"},
    {"/medium_state window of 0 ns", medium_no_window, "/medium_state row 1"},
    {"/medium_state window starting before 0", medium_window_before_0, "/medium_state row 0"},
    {"/medium_state queue negative", medium_queue_negative, "/medium_state row 2"},
    {"/media queue negative", media_queue_negative, "/media row 0"},
};

static int setup(void **state)
{
    (void)state;
    const char *b = getenv("TOPOSIM_BIN");
    if (!realpath(b ? b : "build/toposim", bin) || !mkdtemp(tmpdir))
        return -1;
    snprintf(base, sizeof base, "%s/base.h5", tmpdir);
    char cmd[3 * PATH_MAX];
    snprintf(cmd, sizeof cmd, "%s run -q --duration 2s scenarios/wifi-loss-burst.xml -o %s", bin,
             base);
    /* HDF5's own messages on the test's stderr would hide ours. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (system(cmd) != 0)
        return -1;
    snprintf(summary_base, sizeof summary_base, "%s/summary.h5", tmpdir);
    snprintf(cmd, sizeof cmd,
             "%s run -q --duration 2s --trace summary scenarios/wifi-loss-burst.xml -o %s", bin,
             summary_base);
    if (system(cmd) != 0)
        return -1;
    snprintf(chain_base, sizeof chain_base, "%s/chain.h5", tmpdir);
    snprintf(cmd, sizeof cmd, "%s run -q tests/e2e/chain-three-stage.xml -o %s", bin,
             chain_base);
    if (system(cmd) != 0)
        return -1;
    snprintf(media_base, sizeof media_base, "%s/media.h5", tmpdir);
    snprintf(cmd, sizeof cmd, "%s run -q tests/e2e/medium-airtime.xml -o %s", bin, media_base);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_base_is_sound(void **state)
{
    (void)state;
    int rc = shell("%s validate %s", bin, base);
    assert_true(rc == 0 || rc == 1);
}

static int run_cases(const char *from, const corruption *list, size_t n);

/* Options given to every `validate` of run_cases. */
static const char *validate_options = "";

static void test_each_corruption_is_named(void **state)
{
    (void)state;
    assert_int_equal(run_cases(base, cases, sizeof cases / sizeof cases[0]), 0);
}

/* The same corruptions read in chunks and folded, as a large full trace
 * is read (trace.h, "Folded reading"): a chunk that cannot be read or
 * holds a bad row names its table. */
static void test_each_corruption_is_named_folded(void **state)
{
    (void)state;
    validate_options = "--fold-rows 0";
    int bad = run_cases(base, cases, sizeof cases / sizeof cases[0]);
    validate_options = "";
    assert_int_equal(bad, 0);
}

/* The same for the summary level's state windows. */
static void test_each_window_corruption_is_named(void **state)
{
    (void)state;
    int rc = shell("%s validate %s", bin, summary_base);
    assert_true(rc == 0 || rc == 1);
    assert_int_equal(run_cases(summary_base, summary_cases,
                               sizeof summary_cases / sizeof summary_cases[0]), 0);
}

/* The same for processing chains: the validator never scores a chain
 * table it cannot trust. */
static void test_each_chain_corruption_is_named(void **state)
{
    (void)state;
    int rc = shell("%s validate %s", bin, chain_base);
    assert_true(rc == 0 || rc == 1);
    assert_int_equal(run_cases(chain_base, chain_cases,
                               sizeof chain_cases / sizeof chain_cases[0]), 0);
}

/* The same for shared media, read whole and with the rest folded. */
static void test_each_media_corruption_is_named(void **state)
{
    (void)state;
    int rc = shell("%s validate %s", bin, media_base);
    assert_true(rc == 0 || rc == 1);
    size_t n = sizeof media_cases / sizeof media_cases[0];
    assert_int_equal(run_cases(media_base, media_cases, n), 0);
    validate_options = "--fold-rows 0";
    int bad = run_cases(media_base, media_cases, n);
    validate_options = "";
    assert_int_equal(bad, 0);
}

static int run_cases(const char *from, const corruption *cases, size_t n)
{
    char path[PATH_MAX + 32];
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/bad%02zu.h5", tmpdir, i);
        assert_int_equal(shell("cp %s %s", from, path), 0);
        cases[i].make(path);
        /* timeout: a hang is a failure too (124) */
        int rc = shell("timeout 120 %s validate %s %s", bin, validate_options, path);
        if (rc != 2 || !strstr(err_text, cases[i].cause) || strstr(err_text, "HDF5-DIAG") ||
            strstr(err_text, "(HDF5: ") || strstr(out_text, "PASS")) {
            print_error("%s: exit %d, stderr \"%.300s\" (expected exit 2 naming \"%s\")\n",
                        cases[i].what, rc, err_text, cases[i].cause);
            bad++;
        }
        unlink(path);
    }
    return bad;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_is_sound),
        cmocka_unit_test(test_each_corruption_is_named),
        cmocka_unit_test(test_each_corruption_is_named_folded),
        cmocka_unit_test(test_each_window_corruption_is_named),
        cmocka_unit_test(test_each_chain_corruption_is_named),
        cmocka_unit_test(test_each_media_corruption_is_named),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
