/* Tests of the HDF5 trace writer and reader (src/trace/). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "toposim/alloc.h"
#include "toposim/limits.h"
#include "toposim/trace.h"
#include "trace/schema.h"

#define N_MESSAGES 10000   /* more than two 4096-row blocks */
#define N_JOBS 4097        /* one block and one row */
#define N_LINK_STATE 4100  /* one 4096-row block and some */
#define N_NODE_STATE 4097
#define N_CORE_STATE 8193  /* two blocks and one row */
#define N_EVENTS 2049      /* events go in 1024-row blocks: two and one row */

typedef struct fixture {
    char dir[64];
} fixture;

/* ---- helpers ---- */

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/test_trace_XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    DIR *d = opendir(f->dir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name);
            chmod(p, 0700);
            if (rmdir(p) != 0)
                unlink(p);
        }
        closedir(d);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static void path_in(const fixture *f, const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", f->dir, name);
}

/* Number of entries in the folder; the name of the last one in `last`. */
static int count_entries(const char *dir, char *last, size_t size)
{
    int n = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        if (last)
            snprintf(last, size, "%s", e->d_name);
    }
    closedir(d);
    return n;
}

/* Fills a char array with n copies of c then a NUL (n < size). */
static void fill_str(char *dst, size_t size, char c, size_t n)
{
    memset(dst, 0, size);
    memset(dst, c, n);
}

static unsigned char *read_all(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    long n = ftell(fp);
    assert_true(n > 0);
    rewind(fp);
    unsigned char *buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *size = (size_t)n;
    return buf;
}

/* ---- a complete example trace ---- */

typedef struct content {
    ts_trace_node nodes[3];
    ts_trace_link links[2];
    ts_trace_component comps[3];
    ts_trace_topic topics[2];
    ts_trace_placement place[3];
    ts_trace_requirement reqs[2];
    ts_trace_site sites[1];
} content;

static const char *SCENARIO_TEXT =
    "<scenario name=\"unit\">\n  <robot id=\"r1\"/>\n</scenario>\n";

static void make_content(content *c)
{
    /* Garbage-filled first so padding and bytes after NULs are not zero:
     * the writer must not let them reach the file. */
    memset(c, 0xA5, sizeof *c);
    for (int i = 0; i < 3; i++) {
        ts_trace_node *n = &c->nodes[i];
        fill_str(n->name, sizeof n->name, (char)('a' + i), TS_TRACE_NAME_LEN - 1);
        snprintf(n->kind, sizeof n->kind, "%s", i == 2 ? "switch" : "jetson");
        snprintf(n->tier, sizeof n->tier, "%s", i == 2 ? "network" : "robot");
        snprintf(n->site, sizeof n->site, "%s", i == 2 ? "" : "r1");
        n->cores = 6 + i;
        n->memory_bytes = (int64_t)8 << 30;
        n->gpus = i == 2 ? 0 : 1;
        n->site_row = i == 2 ? -1 : 0;
        n->throttle_c = i == 2 ? NAN : 85.0 + i;
        n->shutdown_c = i == 2 ? NAN : 100.0;
        snprintf(n->power_mode, sizeof n->power_mode, "%s", i == 2 ? "" : "15W");
    }
    /* Full length in every short field too. */
    fill_str(c->nodes[0].kind, sizeof c->nodes[0].kind, 'k', 15);
    fill_str(c->nodes[0].tier, sizeof c->nodes[0].tier, 't', 15);
    fill_str(c->nodes[0].site, sizeof c->nodes[0].site, 's', TS_TRACE_NAME_LEN - 1);
    for (int i = 0; i < 2; i++) {
        ts_trace_link *l = &c->links[i];
        snprintf(l->name, sizeof l->name, "link%d", i);
        l->node_a = i;
        l->node_b = 2;
        l->latency_ns = 250000 + i;
        l->bandwidth_bps = 1e9 / (i + 1);
        l->queue_bytes = 65536;
        l->medium = -1;
    }
    for (int i = 0; i < 3; i++) {
        ts_trace_component *k = &c->comps[i];
        snprintf(k->name, sizeof k->name, "comp%d", i);
        k->flags = (uint32_t)(1u << i);
        k->period_ns = 10000000 * (i + 1);
        k->deadline_ns = 9000000;
        k->exec_ns = 1000000 + i;
        k->cpu_millicores = 500;
        k->memory_bytes = 1 << 20;
        k->gpus = i == 1;
        k->priority = -i;
        k->robot = i == 2 ? -1 : 0;
        k->needed = i == 0;
        k->backup_of = i == 1 ? 0 : -1;
        k->replica_of = -1;
        snprintf(k->isolation, sizeof k->isolation, "%s", i == 0 ? "core" : "none");
        snprintf(k->zone, sizeof k->zone, "%s", i == 0 ? "control" : "");
        k->n_versions = 1 + (i == 0);
    }
    for (int i = 0; i < 2; i++) {
        ts_trace_topic *t = &c->topics[i];
        snprintf(t->name, sizeof t->name, "/topic/%d", i);
        t->publisher = i;
        t->size_bytes = 1024 * (i + 1);
        t->period_ns = 0;
        t->budget_ns = 5000000;
        t->n_subscribers = 2 - i;
    }
    for (int i = 0; i < 3; i++) {
        ts_trace_placement *p = &c->place[i];
        p->component = i;
        p->node = i % 2;
        fill_str(p->rule, sizeof p->rule, 'r', sizeof p->rule - 1);
        fill_str(p->reason, sizeof p->reason, (char)('x' + i), TS_TRACE_REASON_LEN - 1);
        p->reserved_cores = i == 0 ? (UINT64_C(1) << 63) | 6 : 0;
        p->fell_back = i == 2;
    }
    snprintf(c->reqs[0].kind, sizeof c->reqs[0].kind, "topic-deadline");
    c->reqs[0].target = -1;
    c->reqs[0].min_fraction = 0.99;
    snprintf(c->reqs[0].target_table, sizeof c->reqs[0].target_table, "topics");
    c->reqs[0].threshold = 0.99;
    c->reqs[0].line = 12;
    snprintf(c->reqs[1].kind, sizeof c->reqs[1].kind, "component-deadline");
    c->reqs[1].target = 2;
    c->reqs[1].min_fraction = 0.5;
    snprintf(c->reqs[1].target_table, sizeof c->reqs[1].target_table, "components");
    c->reqs[1].threshold = 0.5;
    c->reqs[1].line = 13;
    ts_trace_site *st = &c->sites[0];
    snprintf(st->name, sizeof st->name, "r1");
    snprintf(st->tier, sizeof st->tier, "robot");
    st->battery_wh = 99.5;
    st->safe_state_category = 1;
    st->safe_state_budget_ns = TS_TRACE_SAFE_STATE_BUDGET_NS;
    st->budget_declared = 0;
    st->fleet = -1;
    st->fleet_member = -1;
}

static ts_trace_message make_message(size_t i)
{
    ts_trace_message m;
    memset(&m, 0, sizeof m);
    m.topic = (int32_t)(i % 2);
    m.publisher = (int32_t)(i % 2);
    m.subscriber = 2;
    m.status = (int32_t)(i % 6);  /* every status, 0 to TS_MSG_LINK_DOWN */
    m.seq = i;
    m.send_ns = (int64_t)i * 1000;
    m.recv_ns = m.status == TS_MSG_DELIVERED ? m.send_ns + 777 : -1;
    m.bytes = 1024 + (int64_t)i;
    return m;
}

static ts_trace_job make_job(size_t i)
{
    ts_trace_job j;
    memset(&j, 0, sizeof j);
    j.component = (int32_t)(i % 3);
    j.node = (int32_t)(i % 2);
    j.seq = i / 3;
    j.release_ns = (int64_t)i * 10000;
    j.start_ns = i % 5 == 0 ? -1 : j.release_ns + 10;
    j.finish_ns = i % 5 == 0 ? -1 : j.release_ns + 20;
    j.deadline_ns = j.release_ns + 9000;
    return j;
}

/* Rows of the state tables and events; indices fit make_content (3 nodes
 * of 6, 7 and 8 cores, 2 links, 3 components). */
static ts_trace_link_state make_link_state(size_t i)
{
    ts_trace_link_state l;
    memset(&l, 0, sizeof l);
    l.link = (int32_t)(i % 2);
    l.direction = (int32_t)((i / 2) % 2);
    l.time_ns = (int64_t)(i / 4 + 1) * 100000000;
    l.utilisation = (double)(i % 101) / 100.0;
    l.queue_bytes = (int64_t)i * 1500;
    l.queue_packets = (int32_t)(i % 17);
    l.up = i % 9 != 0;
    l.sent_packets = (UINT64_C(1) << 63) + i;  /* the top bit survives */
    l.dropped_packets = i % 7;
    l.lost_packets = i % 11;
    return l;
}

static ts_trace_node_state make_node_state(size_t i)
{
    ts_trace_node_state n;
    memset(&n, 0, sizeof n);
    n.node = (int32_t)(i % 3);
    n.up = i % 13 != 0;
    n.time_ns = (int64_t)(i / 3 + 1) * 100000000;
    n.cpu_util = (double)(i % 100) / 100.0;
    n.gpu_util = (double)(i % 50) / 50.0;
    n.online_cores = 4 + (int32_t)(i % 3);
    n.busy_cores = (int32_t)(i % 4);
    n.run_queue = (int32_t)(i % 5);
    n.throttle_level = (int32_t)(i % 3);
    n.cpu_freq_hz = 729.6e6 + (double)i;
    n.gpu_freq_hz = 918e6 - (double)i;
    n.memory_used_bytes = (int64_t)i << 20;
    /* The switch (node 2) has no thermal model nor battery. */
    n.temp_die_c = n.node == 2 ? NAN : 25.0 + (double)i * 0.01;
    n.temp_case_c = n.node == 2 ? NAN : 24.0 + (double)i * 0.005;
    n.power_w = 7.5 + (double)(i % 10);
    n.energy_j = (double)i * 1.25;
    n.battery_wh = n.node == 2 ? -1.0 : 500.0 - (double)i * 1e-3;
    n.fan_on = (int32_t)(i % 2);
    if (i % 4 == 0)
        fill_str(n.power_mode, sizeof n.power_mode, 'M', sizeof n.power_mode - 1);
    else if (i % 4 == 1)
        snprintf(n.power_mode, sizeof n.power_mode, "15W");
    return n;
}

static ts_trace_core_state make_core_state(size_t i)
{
    ts_trace_core_state c;
    memset(&c, 0, sizeof c);
    c.node = (int32_t)(i % 2);
    c.core = (int32_t)((i / 2) % 6);
    c.time_ns = (int64_t)(i / 12 + 1) * 100000000;
    c.utilisation = (double)(i % 7) / 7.0;
    return c;
}

static ts_trace_event make_event(size_t i)
{
    ts_trace_event e;
    memset(&e, 0, sizeof e);
    e.time_ns = (int64_t)i * 3000000;
    if (i % 5 == 0)
        fill_str(e.kind, sizeof e.kind, 'K', sizeof e.kind - 1);
    else
        snprintf(e.kind, sizeof e.kind, "%s", i % 2 ? "throttle" : "fault:link-down");
    e.node = i % 4 == 0 ? -1 : (int32_t)(i % 3);
    e.link = i % 3 == 0 ? -1 : (int32_t)(i % 2);
    e.component = i % 4 == 3 ? -1 : (int32_t)(i % 3);
    e.value = (double)i * 0.5;
    if (i % 7 == 0)
        fill_str(e.detail, sizeof e.detail, 'D', TS_TRACE_REASON_LEN - 1);
    else
        snprintf(e.detail, sizeof e.detail, "event %zu happened", i);
    return e;
}

static ts_trace_meta make_meta(void)
{
    ts_trace_meta m = { "unit-scenario", "scenarios/unit.xml", SCENARIO_TEXT,
                        UINT64_C(0xFEDCBA9876543210), INT64_C(60000000000),
                        "toposim run -o unit.h5 scenarios/unit.xml", 1, 0, 0,
                        TS_TRACE_LEVEL_FULL, NULL, -1, -1, 0, 0 };
    return m;
}

/* Rows of each appended table in an example trace. */
typedef struct counts {
    size_t messages, jobs, link_state, node_state, core_state, events;
} counts;

/* Which row the next example gets wrong, for the reader's checks. */
enum { T_NONE, T_MESSAGES, T_LINK_STATE, T_NODE_STATE, T_CORE_STATE, T_EVENTS };
typedef struct mutation {
    int table;      /* T_* */
    size_t row;
    const char *column;
    int32_t value;
} mutation;

static void mutate(const mutation *m, int table, size_t i, void *row)
{
    if (!m || m->table != table || m->row != i)
        return;
    int32_t *field = NULL;
    if (table == T_MESSAGES) {
        ts_trace_message *r = row;
        field = strcmp(m->column, "status") == 0 ? &r->status : NULL;
    } else if (table == T_LINK_STATE) {
        ts_trace_link_state *r = row;
        field = strcmp(m->column, "link") == 0 ? &r->link : &r->direction;
    } else if (table == T_NODE_STATE) {
        ts_trace_node_state *r = row;
        field = &r->node;
    } else if (table == T_CORE_STATE) {
        ts_trace_core_state *r = row;
        field = strcmp(m->column, "node") == 0 ? &r->node : &r->core;
    } else if (table == T_EVENTS) {
        ts_trace_event *r = row;
        field = strcmp(m->column, "node") == 0  ? &r->node
                : strcmp(m->column, "link") == 0 ? &r->link
                                                 : &r->component;
    }
    assert_non_null(field);
    *field = m->value;
}

/* Writes the example trace to path with n rows in each appended table,
 * one row changed by bad (NULL: none). */
static void write_example_full(const char *path, const counts *n, const mutation *bad)
{
    content c;
    make_content(&c);
    ts_trace_meta meta = make_meta();
    ts_error err;
    ts_trace_writer *w = NULL;
    assert_int_equal(ts_trace_writer_open(path, &meta, &w, &err), TS_OK);
    assert_int_equal(ts_trace_write_nodes(w, c.nodes, 3, &err), TS_OK);
    assert_int_equal(ts_trace_write_links(w, c.links, 2, &err), TS_OK);
    assert_int_equal(ts_trace_write_components(w, c.comps, 3, &err), TS_OK);
    assert_int_equal(ts_trace_write_topics(w, c.topics, 2, &err), TS_OK);
    assert_int_equal(ts_trace_write_placement(w, c.place, 3, &err), TS_OK);
    assert_int_equal(ts_trace_write_requirements(w, c.reqs, 2, &err), TS_OK);
    assert_int_equal(ts_trace_write_sites(w, c.sites, 1, &err), TS_OK);
    /* Interleaved as a run would append them. */
    size_t most = n->messages;
    if (n->jobs > most) most = n->jobs;
    if (n->link_state > most) most = n->link_state;
    if (n->node_state > most) most = n->node_state;
    if (n->core_state > most) most = n->core_state;
    if (n->events > most) most = n->events;
    for (size_t i = 0; i < most; i++) {
        if (i < n->messages) {
            ts_trace_message m = make_message(i);
            mutate(bad, T_MESSAGES, i, &m);
            assert_int_equal(ts_trace_append_message(w, &m, &err), TS_OK);
        }
        if (i < n->jobs) {
            ts_trace_job j = make_job(i);
            assert_int_equal(ts_trace_append_job(w, &j, &err), TS_OK);
        }
        if (i < n->link_state) {
            ts_trace_link_state l = make_link_state(i);
            mutate(bad, T_LINK_STATE, i, &l);
            assert_int_equal(ts_trace_append_link_state(w, &l, &err), TS_OK);
        }
        if (i < n->node_state) {
            ts_trace_node_state s = make_node_state(i);
            mutate(bad, T_NODE_STATE, i, &s);
            assert_int_equal(ts_trace_append_node_state(w, &s, &err), TS_OK);
        }
        if (i < n->core_state) {
            ts_trace_core_state k = make_core_state(i);
            mutate(bad, T_CORE_STATE, i, &k);
            assert_int_equal(ts_trace_append_core_state(w, &k, &err), TS_OK);
        }
        if (i < n->events) {
            ts_trace_event e = make_event(i);
            mutate(bad, T_EVENTS, i, &e);
            assert_int_equal(ts_trace_append_event(w, &e, &err), TS_OK);
        }
    }
    assert_int_equal(ts_trace_writer_commit(w, &err), TS_OK);
}

/* The example with a few rows in each of the newer tables. */
static void write_example(const char *path, size_t n_messages, size_t n_jobs)
{
    counts n = { n_messages, n_jobs, 20, 20, 20, 20 };
    write_example_full(path, &n, NULL);
}

/* ---- tests ---- */

static void test_round_trip(void **state)
{
    fixture *f = *state;
    char path[256];
    path_in(f, "round.h5", path, sizeof path);
    counts cnt = { N_MESSAGES, N_JOBS, N_LINK_STATE, N_NODE_STATE, N_CORE_STATE, N_EVENTS };
    write_example_full(path, &cnt, NULL);

    ts_trace *t = NULL;
    ts_error err;
    int rc = ts_trace_load(path, &t, &err);
    assert_int_equal(rc, TS_OK);
    assert_non_null(t);
    content c;
    make_content(&c);

    assert_int_equal(t->format_version, TS_TRACE_FORMAT_VERSION);
    assert_string_equal(t->toposim_version, TOPOSIM_VERSION);
    assert_string_equal(t->scenario_name, "unit-scenario");
    assert_string_equal(t->scenario_path, "scenarios/unit.xml");
    assert_string_equal(t->scenario_text, SCENARIO_TEXT);
    assert_true(t->seed == UINT64_C(0xFEDCBA9876543210));
    assert_true(t->duration_ns == INT64_C(60000000000));

    assert_int_equal(t->n_nodes, 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(t->nodes[i].name, c.nodes[i].name);
        assert_int_equal(strlen(t->nodes[i].name), TS_TRACE_NAME_LEN - 1);
        assert_string_equal(t->nodes[i].kind, c.nodes[i].kind);
        assert_string_equal(t->nodes[i].tier, c.nodes[i].tier);
        assert_string_equal(t->nodes[i].site, c.nodes[i].site);
        assert_int_equal(t->nodes[i].cores, 6 + i);
        assert_true(t->nodes[i].memory_bytes == (int64_t)8 << 30);
        assert_int_equal(t->nodes[i].gpus, i == 2 ? 0 : 1);
    }
    assert_int_equal(strlen(t->nodes[0].kind), 15);
    assert_int_equal(strlen(t->nodes[0].site), TS_TRACE_NAME_LEN - 1);

    assert_int_equal(t->n_links, 2);
    assert_string_equal(t->links[1].name, "link1");
    assert_int_equal(t->links[1].node_a, 1);
    assert_int_equal(t->links[1].node_b, 2);
    assert_true(t->links[1].latency_ns == 250001);
    assert_true(t->links[1].bandwidth_bps == 5e8);
    assert_true(t->links[0].queue_bytes == 65536);

    assert_int_equal(t->n_components, 3);
    for (int i = 0; i < 3; i++) {
        const ts_trace_component *k = &t->components[i];
        assert_string_equal(k->name, c.comps[i].name);
        assert_int_equal(k->flags, 1u << i);
        assert_true(k->period_ns == 10000000 * (i + 1));
        assert_true(k->deadline_ns == 9000000);
        assert_true(k->exec_ns == 1000000 + i);
        assert_true(k->cpu_millicores == 500);
        assert_true(k->memory_bytes == 1 << 20);
        assert_int_equal(k->gpus, i == 1);
        assert_int_equal(k->priority, -i);
    }

    assert_int_equal(t->n_topics, 2);
    assert_string_equal(t->topics[1].name, "/topic/1");
    assert_int_equal(t->topics[1].publisher, 1);
    assert_true(t->topics[1].size_bytes == 2048);
    assert_true(t->topics[1].budget_ns == 5000000);
    assert_int_equal(t->topics[0].n_subscribers, 2);

    assert_int_equal(t->n_placement, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(t->placement[i].component, i);
        assert_int_equal(t->placement[i].node, i % 2);
        assert_int_equal(strlen(t->placement[i].rule), 31);
        assert_int_equal(strlen(t->placement[i].reason), TS_TRACE_REASON_LEN - 1);
        assert_string_equal(t->placement[i].reason, c.place[i].reason);
    }

    assert_int_equal(t->n_requirements, 2);
    assert_string_equal(t->requirements[0].kind, "topic-deadline");
    assert_int_equal(t->requirements[0].target, -1);
    assert_true(t->requirements[0].min_fraction == 0.99);
    assert_string_equal(t->requirements[1].kind, "component-deadline");
    assert_int_equal(t->requirements[1].target, 2);

    assert_int_equal(t->n_messages, N_MESSAGES);
    for (size_t i = 0; i < N_MESSAGES; i++) {
        ts_trace_message m = make_message(i);
        assert_memory_equal(&t->messages[i], &m, sizeof m);
    }
    assert_int_equal(t->n_jobs, N_JOBS);
    for (size_t i = 0; i < N_JOBS; i++) {
        ts_trace_job j = make_job(i);
        assert_memory_equal(&t->jobs[i], &j, sizeof j);
    }

    /* The state tables and events: every byte, NaN and -1 included. */
    assert_int_equal(t->n_link_state, N_LINK_STATE);
    for (size_t i = 0; i < N_LINK_STATE; i++) {
        ts_trace_link_state l = make_link_state(i);
        assert_memory_equal(&t->link_state[i], &l, sizeof l);
    }
    assert_true(t->link_state[4099].sent_packets == (UINT64_C(1) << 63) + 4099);
    assert_true(t->link_state[4099].utilisation == 0.59);
    assert_int_equal(t->n_node_state, N_NODE_STATE);
    for (size_t i = 0; i < N_NODE_STATE; i++) {
        ts_trace_node_state n = make_node_state(i);
        assert_memory_equal(&t->node_state[i], &n, sizeof n);
    }
    /* Row 4097 - 1 = 4096 sits alone in the second block (node 1). */
    assert_true(t->node_state[4096].temp_die_c == 25.0 + 4096 * 0.01);
    assert_int_equal(strlen(t->node_state[4096].power_mode), 31);
    assert_string_equal(t->node_state[4093].power_mode, "15W");
    assert_string_equal(t->node_state[4094].power_mode, "");
    for (size_t i = 2; i < N_NODE_STATE; i += 3) {  /* node 2: no thermal model */
        assert_true(isnan(t->node_state[i].temp_die_c));
        assert_true(isnan(t->node_state[i].temp_case_c));
        assert_true(t->node_state[i].battery_wh == -1.0);
    }
    assert_false(isnan(t->node_state[0].temp_die_c));
    assert_int_equal(t->n_core_state, N_CORE_STATE);
    for (size_t i = 0; i < N_CORE_STATE; i++) {
        ts_trace_core_state k = make_core_state(i);
        assert_memory_equal(&t->core_state[i], &k, sizeof k);
    }
    assert_int_equal(t->n_events, N_EVENTS);
    for (size_t i = 0; i < N_EVENTS; i++) {
        ts_trace_event e = make_event(i);
        assert_memory_equal(&t->events[i], &e, sizeof e);
    }
    assert_int_equal(strlen(t->events[2045].kind), 31);           /* 2045 % 5 == 0 */
    assert_int_equal(strlen(t->events[2044].detail), TS_TRACE_REASON_LEN - 1); /* % 7 */
    assert_string_equal(t->events[2048].detail, "event 2048 happened");
    assert_int_equal(t->events[2048].node, -1);
    assert_int_equal(t->events[2046].link, -1);
    assert_int_equal(t->events[2047].component, -1);
    ts_trace_free(t);
}

/* A string that fills its array without a NUL comes back cut to size-1
 * characters, and bytes after a NUL do not survive. */
static void test_unterminated_strings(void **state)
{
    fixture *f = *state;
    char path[256];
    path_in(f, "unterminated.h5", path, sizeof path);
    ts_trace_node n[2];
    memset(n, 'Z', sizeof n);
    memcpy(n[1].name, "ab\0cdef", 7);
    n[0].cores = n[1].cores = 1;
    n[0].memory_bytes = n[1].memory_bytes = 1;
    n[0].gpus = n[1].gpus = 0;
    n[0].site_row = n[1].site_row = -1;
    ts_error err;
    ts_trace_writer *w = NULL;
    assert_int_equal(ts_trace_writer_open(path, NULL, &w, &err), TS_OK);
    assert_int_equal(ts_trace_write_nodes(w, n, 2, &err), TS_OK);
    assert_int_equal(ts_trace_writer_commit(w, &err), TS_OK);

    ts_trace *t = NULL;
    assert_int_equal(ts_trace_load(path, &t, &err), TS_OK);
    char expect[TS_TRACE_NAME_LEN];
    fill_str(expect, sizeof expect, 'Z', TS_TRACE_NAME_LEN - 1);
    assert_string_equal(t->nodes[0].name, expect);
    assert_int_equal(strlen(t->nodes[0].kind), 15);
    assert_string_equal(t->nodes[1].name, "ab");
    ts_trace_free(t);
}

static void test_empty_tables(void **state)
{
    fixture *f = *state;
    char path[256];
    path_in(f, "empty.h5", path, sizeof path);
    ts_error err;
    ts_trace_writer *w = NULL;
    assert_int_equal(ts_trace_writer_open(path, NULL, &w, &err), TS_OK);
    assert_int_equal(ts_trace_write_links(w, NULL, 0, &err), TS_OK);
    assert_int_equal(ts_trace_writer_commit(w, &err), TS_OK);

    ts_trace *t = NULL;
    assert_int_equal(ts_trace_load(path, &t, &err), TS_OK);
    assert_int_equal(t->n_nodes + t->n_links + t->n_components + t->n_topics +
                     t->n_placement + t->n_requirements + t->n_messages + t->n_jobs +
                     t->n_link_state + t->n_node_state + t->n_core_state + t->n_events,
                     0);
    assert_null(t->events);
    assert_string_equal(t->scenario_name, "");
    assert_string_equal(t->scenario_text, "");
    assert_true(t->seed == 0);
    ts_trace_free(t);

    /* Every table exists in the file, one-dimensional with zero rows. */
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(file >= 0);
    const char *names[] = { "/nodes", "/links", "/components", "/topics",
                            "/placement", "/requirements", "/messages", "/jobs",
                            "/link_state", "/node_state", "/core_state", "/events" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        hid_t d = H5Dopen2(file, names[i], H5P_DEFAULT);
        assert_true(d >= 0);
        hid_t sp = H5Dget_space(d);
        hsize_t dims[1] = { 99 }, maxd[1] = { 0 };
        assert_int_equal(H5Sget_simple_extent_dims(sp, dims, maxd), 1);
        assert_true(dims[0] == 0);
        assert_true(maxd[0] == H5S_UNLIMITED);
        H5Sclose(sp);
        H5Dclose(d);
    }
    H5Fclose(file);
}

/* Attributes a user of h5py or h5dump relies on, and the storage layout. */
static void test_self_describing(void **state)
{
    fixture *f = *state;
    char path[256];
    path_in(f, "attrs.h5", path, sizeof path);
    write_example(path, 10, 10);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(file >= 0);
    char buf[512];
    int version = 0;
    assert_true(H5LTget_attribute_string(file, "/", "format", buf) >= 0);
    assert_string_equal(buf, "toposim-trace");
    assert_true(H5LTget_attribute_int(file, "/", "format_version", &version) >= 0);
    assert_int_equal(version, TS_TRACE_FORMAT_VERSION);
    assert_true(H5LTget_attribute_string(file, "/meta", "toposim_version", buf) >= 0);
    assert_string_equal(buf, TOPOSIM_VERSION);
    assert_true(H5LTget_attribute_string(file, "/messages", "units", buf) >= 0);
    assert_string_equal(buf, "send_ns=ns;recv_ns=ns;bytes=B");
    assert_true(H5LTget_attribute_string(file, "/links", "units", buf) >= 0);
    assert_string_equal(buf, "latency_ns=ns;bandwidth_bps=bit/s;queue_bytes=B");
    assert_true(H5LTget_attribute_string(file, "/jobs", "start_ns_unit", buf) >= 0);
    assert_string_equal(buf, "ns");
    assert_true(H5LTget_attribute_string(file, "/jobs", "description", buf) >= 0);
    assert_true(strlen(buf) > 10);
    assert_true(H5LTget_attribute_string(file, "/link_state", "units", buf) >= 0);
    assert_string_equal(buf, "time_ns=ns;utilisation=1;queue_bytes=B;queue_packets=1;"
                             "sent_packets=1;dropped_packets=1;lost_packets=1");
    assert_true(H5LTget_attribute_string(file, "/node_state", "units", buf) >= 0);
    assert_string_equal(buf, "time_ns=ns;cpu_util=1;gpu_util=1;online_cores=1;busy_cores=1;"
                             "run_queue=1;cpu_freq_hz=Hz;gpu_freq_hz=Hz;"
                             "memory_used_bytes=B;temp_die_c=degC;temp_case_c=degC;"
                             "power_w=W;energy_j=J;battery_wh=Wh");
    assert_true(H5LTget_attribute_string(file, "/core_state", "units", buf) >= 0);
    assert_string_equal(buf, "time_ns=ns;utilisation=1");
    assert_true(H5LTget_attribute_string(file, "/events", "units", buf) >= 0);
    assert_string_equal(buf, "time_ns=ns");
    assert_true(H5LTget_attribute_string(file, "/node_state", "temp_die_c_unit", buf) >= 0);
    assert_string_equal(buf, "degC");
    assert_true(H5LTget_attribute_string(file, "/node_state", "temp_die_c_description",
                                         buf) >= 0);
    assert_non_null(strstr(buf, "NaN"));
    assert_true(H5LTget_attribute_string(file, "/events", "node_description", buf) >= 0);
    assert_non_null(strstr(buf, "-1"));
    /* Columns without a unit have a description but no unit attribute. */
    assert_true(H5Aexists_by_name(file, "/events", "kind_description", H5P_DEFAULT) > 0);
    assert_true(H5Aexists_by_name(file, "/events", "kind_unit", H5P_DEFAULT) == 0);
    assert_true(H5Aexists_by_name(file, "/link_state", "direction_unit", H5P_DEFAULT) == 0);
    assert_true(H5LTget_attribute_string(file, "/messages", "status_description", buf) >= 0);
    assert_non_null(strstr(buf, "5 on a link that went down"));

    /* The 1.8 formats: the superblock and object headers carry
     * checksums. */
    H5F_info2_t finfo;
    assert_true(H5Fget_info2(file, &finfo) >= 0);
    assert_true(finfo.super.version >= 2);

    /* No object carries a modification time (0 when not tracked). */
    const char *objs[] = { "/", "/meta", "/meta/scenario_text", "/messages", "/nodes",
                           "/link_state", "/node_state", "/core_state", "/events" };
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) {
        H5O_info_t info;
        assert_true(H5Oget_info_by_name2(file, objs[i], &info, H5O_INFO_TIME,
                                         H5P_DEFAULT) >= 0);
        assert_true(info.mtime == 0);
        assert_true(info.ctime == 0);
    }

    /* Chunked, shuffled, deflated and checksummed, name as fixed-length
     * string. */
    hid_t d = H5Dopen2(file, "/messages", H5P_DEFAULT);
    hid_t dcpl = H5Dget_create_plist(d);
    assert_int_equal(H5Pget_layout(dcpl), H5D_CHUNKED);
    hsize_t chunk[1];
    assert_int_equal(H5Pget_chunk(dcpl, 1, chunk), 1);
    assert_true(chunk[0] == 4096);
    assert_int_equal(H5Pget_nfilters(dcpl), 3);
    unsigned flags, cd[4];
    size_t ncd = 4;
    assert_int_equal(H5Pget_filter2(dcpl, 0, &flags, &ncd, cd, 0, NULL, NULL),
                     H5Z_FILTER_SHUFFLE);
    ncd = 4;
    assert_int_equal(H5Pget_filter2(dcpl, 1, &flags, &ncd, cd, 0, NULL, NULL),
                     H5Z_FILTER_DEFLATE);
    assert_int_equal(cd[0], 1); /* the default: fast */
    ncd = 4;
    assert_int_equal(H5Pget_filter2(dcpl, 2, &flags, &ncd, cd, 0, NULL, NULL),
                     H5Z_FILTER_FLETCHER32);
    H5Pclose(dcpl);
    hid_t ft = H5Dget_type(d);
    assert_int_equal(H5Tget_size(ft), 48);  /* packed: 4 x int32 + 4 x 64-bit */
    H5Tclose(ft);
    H5Dclose(d);

    /* Packed sizes of the newer tables, and the events' shorter chunks. */
    static const struct { const char *path; size_t size; hsize_t chunk; } packed[] = {
        { "/link_state", 4 * 4 + 6 * 8, 4096 },
        { "/node_state", 7 * 4 + 11 * 8 + 32, 4096 },
        { "/core_state", 2 * 4 + 2 * 8, 4096 },
        { "/events", 8 + 32 + 3 * 4 + 8 + TS_TRACE_REASON_LEN, 1024 },
    };
    for (size_t i = 0; i < sizeof packed / sizeof packed[0]; i++) {
        d = H5Dopen2(file, packed[i].path, H5P_DEFAULT);
        assert_true(d >= 0);
        ft = H5Dget_type(d);
        assert_int_equal(H5Tget_size(ft), packed[i].size);
        H5Tclose(ft);
        dcpl = H5Dget_create_plist(d);
        assert_int_equal(H5Pget_chunk(dcpl, 1, chunk), 1);
        assert_true(chunk[0] == packed[i].chunk);
        assert_int_equal(H5Pget_nfilters(dcpl), 3);
        H5Pclose(dcpl);
        H5Dclose(d);
    }

    d = H5Dopen2(file, "/nodes", H5P_DEFAULT);
    ft = H5Dget_type(d);
    int idx = H5Tget_member_index(ft, "name");
    assert_true(idx >= 0);
    hid_t st = H5Tget_member_type(ft, (unsigned)idx);
    assert_int_equal(H5Tget_class(st), H5T_STRING);
    assert_int_equal(H5Tis_variable_str(st), 0);
    assert_int_equal(H5Tget_size(st), TS_TRACE_NAME_LEN);
    assert_int_equal(H5Tget_strpad(st), H5T_STR_NULLTERM);
    /* Packed: no padding between cores (int32) and memory_bytes. */
    assert_int_equal(H5Tget_size(ft), 64 + 16 + 16 + 64 + 4 + 8 + 4 + 4 + 8 + 8 + 32);
    H5Tclose(st);
    H5Tclose(ft);
    H5Dclose(d);
    H5Fclose(file);
}

/* Waits until the wall-clock second changes, so a timestamp would differ. */
static void next_second(void)
{
    time_t t0 = time(NULL);
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    while (time(NULL) == t0)
        nanosleep(&ts, NULL);
}

static void test_identical_bytes(void **state)
{
    fixture *f = *state;
    char a[256], b[256];
    path_in(f, "a.h5", a, sizeof a);
    path_in(f, "b.h5", b, sizeof b);
    /* NaN temperatures and partial blocks in every row table included. */
    counts n = { 5000, 100, 4100, 50, 50, 1100 };
    write_example_full(a, &n, NULL);
    next_second();
    write_example_full(b, &n, NULL);
    size_t na, nb;
    unsigned char *ba = read_all(a, &na);
    unsigned char *bb = read_all(b, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(ba, bb, na);
    free(ba);
    free(bb);
}

static void test_commit_publishes(void **state)
{
    fixture *f = *state;
    char path[256], name[256];
    path_in(f, "out.h5", path, sizeof path);
    ts_trace_meta meta = make_meta();
    ts_error err;
    ts_trace_writer *w = NULL;
    assert_int_equal(ts_trace_writer_open(path, &meta, &w, &err), TS_OK);
    /* Before commit only the temporary exists, and it does not look final. */
    assert_int_equal(count_entries(f->dir, name, sizeof name), 1);
    assert_true(name[0] == '.');
    assert_non_null(strstr(name, ".tmp-"));
    assert_int_equal(access(path, F_OK), -1);
    ts_trace_message m = make_message(0);
    assert_int_equal(ts_trace_append_message(w, &m, &err), TS_OK);
    assert_int_equal(ts_trace_writer_commit(w, &err), TS_OK);
    assert_int_equal(count_entries(f->dir, name, sizeof name), 1);
    assert_string_equal(name, "out.h5");
}

static void test_abort_leaves_nothing(void **state)
{
    fixture *f = *state;
    char path[256];
    path_in(f, "aborted.h5", path, sizeof path);
    ts_error err;
    ts_trace_writer *w = NULL;
    assert_int_equal(ts_trace_writer_open(path, NULL, &w, &err), TS_OK);
    for (size_t i = 0; i < 5000; i++) {  /* some blocks reach the file */
        ts_trace_message m = make_message(i);
        assert_int_equal(ts_trace_append_message(w, &m, &err), TS_OK);
    }
    ts_trace_writer_abort(w);
    ts_trace_writer_abort(NULL);
    assert_int_equal(count_entries(f->dir, NULL, 0), 0);
}

static void test_write_twice_refused(void **state)
{
    fixture *f = *state;
    char path[256];
    path_in(f, "twice.h5", path, sizeof path);
    content c;
    make_content(&c);
    ts_error err;
    ts_trace_writer *w = NULL;
    assert_int_equal(ts_trace_writer_open(path, NULL, &w, &err), TS_OK);
    assert_int_equal(ts_trace_write_nodes(w, c.nodes, 3, &err), TS_OK);
    assert_int_equal(ts_trace_write_nodes(w, c.nodes, 3, &err), TS_EINVAL);
    assert_non_null(strstr(err.msg, "/nodes"));
    ts_trace_writer_abort(w);
    assert_int_equal(count_entries(f->dir, NULL, 0), 0);
}

static void test_future_version_refused(void **state)
{
    fixture *f = *state;
    char path[256];
    path_in(f, "future.h5", path, sizeof path);
    write_example(path, 3, 3);
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(file >= 0);
    hid_t a = H5Aopen(file, "format_version", H5P_DEFAULT);
    assert_true(a >= 0);
    int v = TS_TRACE_FORMAT_VERSION + 1;
    assert_true(H5Awrite(a, H5T_NATIVE_INT, &v) >= 0);
    H5Aclose(a);
    H5Fclose(file);

    ts_trace *t = (ts_trace *)1;
    ts_error err;
    assert_int_equal(ts_trace_load(path, &t, &err), TS_EFORMAT);
    assert_null(t);
    char expect[64];
    snprintf(expect, sizeof expect, "version %d", TS_TRACE_FORMAT_VERSION + 1);
    assert_non_null(strstr(err.msg, expect));
    snprintf(expect, sizeof expect, "(version %d)", TS_TRACE_FORMAT_VERSION);
    assert_non_null(strstr(err.msg, expect));
    assert_string_equal(err.file, path);
}

/* Rewrites the root attribute format_version of an existing file. */
static void set_version(const char *path, int v)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(file >= 0);
    hid_t a = H5Aopen(file, "format_version", H5P_DEFAULT);
    assert_true(a >= 0);
    assert_true(H5Awrite(a, H5T_NATIVE_INT, &v) >= 0);
    H5Aclose(a);
    H5Fclose(file);
}

static void make_version2(const char *path);

/* Turns a file into the shape version 1 wrote: version 2's (see
 * make_version2) without state tables and events, format_version 1. */
static void make_version1(const char *path)
{
    static const char *newer[] = { "/link_state", "/node_state", "/core_state", "/events" };
    make_version2(path);
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(file >= 0);
    for (size_t i = 0; i < sizeof newer / sizeof newer[0]; i++)
        assert_true(H5Ldelete(file, newer[i], H5P_DEFAULT) >= 0);
    H5Fclose(file);
    set_version(path, 1);
}

static void test_version1_accepted(void **state)
{
    fixture *f = *state;
    char path[256];
    path_in(f, "v1.h5", path, sizeof path);
    write_example(path, 4, 5);  /* message statuses 0 to 3: all known to v1 */
    make_version1(path);
    ts_trace *t = NULL;
    ts_error err;
    int rc = ts_trace_load(path, &t, &err);
    if (rc != TS_OK)
        fail_msg("load: %s", err.msg);
    assert_int_equal(t->format_version, 1);
    assert_int_equal(t->n_nodes, 3);
    assert_int_equal(t->n_links, 2);
    assert_int_equal(t->n_messages, 4);
    assert_int_equal(t->messages[3].status, TS_MSG_IN_FLIGHT);
    assert_int_equal(t->n_jobs, 5);
    ts_trace_job j = make_job(4);
    assert_memory_equal(&t->jobs[4], &j, sizeof j);
    assert_int_equal(t->n_link_state + t->n_node_state + t->n_core_state + t->n_events, 0);
    assert_null(t->link_state);
    assert_null(t->node_state);
    assert_null(t->core_state);
    assert_null(t->events);
    ts_trace_free(t);

    /* Tables a version 1 file holds under the newer names are not its
     * format's: they are not read, even when they would not pass. */
    write_example(path, 4, 5);
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(H5Ldelete(file, "/core_state", H5P_DEFAULT) >= 0);
    H5Fclose(file);
    set_version(path, 1);
    assert_int_equal(ts_trace_load(path, &t, &err), TS_OK);
    assert_int_equal(t->n_events + t->n_link_state + t->n_node_state, 0);
    ts_trace_free(t);
    /* ...while version 2 needs every table. */
    set_version(path, 2);
    assert_int_equal(ts_trace_load(path, &t, &err), TS_EFORMAT);
    assert_null(t);
    assert_non_null(strstr(err.msg, "/core_state is missing"));

    /* Status 4 (lost) did not exist in version 1. */
    write_example(path, 5, 5);
    make_version1(path);
    assert_int_equal(ts_trace_load(path, &t, &err), TS_EFORMAT);
    assert_null(t);
    assert_non_null(strstr(err.msg, "/messages row 4 column status: unknown status 4"));
    assert_non_null(strstr(err.msg, "format version 1 has 0 to 3"));

    /* Version 0 never existed. */
    write_example(path, 3, 3);
    set_version(path, 0);
    assert_int_equal(ts_trace_load(path, &t, &err), TS_EFORMAT);
    assert_non_null(strstr(err.msg, "version 0 is not valid"));
}

/* Each index column of the newer tables is checked against its table. */
static void test_state_indices_refused(void **state)
{
    fixture *f = *state;
    static const struct {
        mutation bad;
        const char *expect;
    } cases[] = {
        { { T_MESSAGES, 7, "status", 7 },
          "/messages row 7 column status: unknown status 7 (format version" },
        { { T_MESSAGES, 7, "status", -1 }, "/messages row 7 column status: unknown status -1" },
        { { T_LINK_STATE, 3, "link", 2 },
          "/link_state row 3 column link: 2 is not a row of /links (2 rows)" },
        { { T_LINK_STATE, 4, "link", -1 }, "/link_state row 4 column link: -1 is not a row" },
        { { T_LINK_STATE, 5, "direction", 2 },
          "/link_state row 5 column direction: 2 is not 0 nor 1" },
        { { T_LINK_STATE, 5, "direction", -1 }, "/link_state row 5 column direction: -1" },
        { { T_NODE_STATE, 19, "node", 3 },
          "/node_state row 19 column node: 3 is not a row of /nodes (3 rows)" },
        { { T_CORE_STATE, 0, "node", 3 }, "/core_state row 0 column node: 3" },
        { { T_CORE_STATE, 0, "node", -1 }, "/core_state row 0 column node: -1" },
        /* row 2 is on node 0, 6 cores; row 3 on node 1, 7 cores */
        { { T_CORE_STATE, 2, "core", 6 },
          "/core_state row 2 column core: 6 is not a core of node 0 (6 cores)" },
        { { T_CORE_STATE, 3, "core", -1 }, "/core_state row 3 column core: -1" },
        { { T_EVENTS, 1, "node", -2 },
          "/events row 1 column node: -2 is not -1 nor a row of /nodes (3 rows)" },
        { { T_EVENTS, 1, "node", 3 }, "/events row 1 column node: 3 is not -1 nor a row" },
        { { T_EVENTS, 2, "link", 2 },
          "/events row 2 column link: 2 is not -1 nor a row of /links (2 rows)" },
        { { T_EVENTS, 2, "component", 3 },
          "/events row 2 column component: 3 is not -1 nor a row of /components" },
    };
    char path[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(path, sizeof path, "%s/bad%zu.h5", f->dir, i);
        counts n = { 10, 3, 20, 20, 20, 20 };
        write_example_full(path, &n, &cases[i].bad);
        ts_trace *t = (ts_trace *)1;
        ts_error err;
        assert_int_equal(ts_trace_load(path, &t, &err), TS_EFORMAT);
        assert_null(t);
        if (!strstr(err.msg, cases[i].expect))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg, cases[i].expect);
    }
    /* The edges that are valid: the last core of a node, -1 in events. */
    static const mutation good[] = {
        { T_CORE_STATE, 3, "core", 6 },   /* node 1 has 7 cores */
        { T_EVENTS, 1, "link", -1 },
        { T_EVENTS, 1, "component", 2 },
        { T_MESSAGES, 2, "status", TS_MSG_LINK_DOWN },
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        snprintf(path, sizeof path, "%s/good%zu.h5", f->dir, i);
        counts n = { 10, 3, 20, 20, 20, 20 };
        write_example_full(path, &n, &good[i]);
        ts_trace *t = NULL;
        ts_error err;
        if (ts_trace_load(path, &t, &err) != TS_OK)
            fail_msg("good case %zu: %s", i, err.msg);
        ts_trace_free(t);
    }
}

static void test_not_hdf5(void **state)
{
    fixture *f = *state;
    char path[256];
    path_in(f, "garbage.h5", path, sizeof path);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (int i = 0; i < 200; i++)
        fputs("this is not an HDF5 file, only text\n", fp);
    fclose(fp);
    ts_trace *t = NULL;
    ts_error err;
    assert_int_equal(ts_trace_load(path, &t, &err), TS_EFORMAT);
    assert_null(t);
    assert_non_null(strstr(err.msg, "HDF5"));

    /* An HDF5 signature followed by garbage. */
    fp = fopen(path, "wb");
    assert_non_null(fp);
    fwrite("\211HDF\r\n\032\n", 1, 8, fp);
    for (int i = 0; i < 512; i++)
        fputc((i * 37) & 0xFF, fp);
    fclose(fp);
    assert_true(ts_trace_load(path, &t, &err) < 0);
    assert_null(t);

    path_in(f, "missing.h5", path, sizeof path);
    assert_int_equal(ts_trace_load(path, &t, &err), TS_EIO);
    assert_null(t);
}

static void test_bad_subscriber_refused(void **state)
{
    fixture *f = *state;
    char path[256];
    path_in(f, "badsub.h5", path, sizeof path);
    content c;
    make_content(&c);
    ts_error err;
    ts_trace_writer *w = NULL;
    assert_int_equal(ts_trace_writer_open(path, NULL, &w, &err), TS_OK);
    assert_int_equal(ts_trace_write_nodes(w, c.nodes, 3, &err), TS_OK);
    assert_int_equal(ts_trace_write_components(w, c.comps, 3, &err), TS_OK);
    assert_int_equal(ts_trace_write_topics(w, c.topics, 2, &err), TS_OK);
    assert_int_equal(ts_trace_write_sites(w, c.sites, 1, &err), TS_OK);
    for (size_t i = 0; i < 20; i++) {
        ts_trace_message m = make_message(i);
        if (i == 17)
            m.subscriber = 3;  /* components has rows 0..2 */
        assert_int_equal(ts_trace_append_message(w, &m, &err), TS_OK);
    }
    assert_int_equal(ts_trace_writer_commit(w, &err), TS_OK);

    ts_trace *t = NULL;
    assert_int_equal(ts_trace_load(path, &t, &err), TS_EFORMAT);
    assert_null(t);
    assert_non_null(strstr(err.msg, "/messages row 17 column subscriber: 3"));
    assert_non_null(strstr(err.msg, "/components (3 rows)"));
}

static void test_missing_table_refused(void **state)
{
    fixture *f = *state;
    char path[256];
    path_in(f, "nojobs.h5", path, sizeof path);
    write_example(path, 3, 3);
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(H5Ldelete(file, "/jobs", H5P_DEFAULT) >= 0);
    H5Fclose(file);
    ts_trace *t = NULL;
    ts_error err;
    assert_int_equal(ts_trace_load(path, &t, &err), TS_EFORMAT);
    assert_null(t);
    assert_non_null(strstr(err.msg, "/jobs is missing"));
}

/* Replaces /requirements by a table built here with the given type. */
static void replace_requirements(const char *path, hid_t type, const void *rows, hsize_t n)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(file >= 0);
    assert_true(H5Ldelete(file, "/requirements", H5P_DEFAULT) >= 0);
    hid_t sp = H5Screate_simple(1, &n, NULL);
    hid_t d = H5Dcreate2(file, "/requirements", type, sp, H5P_DEFAULT, H5P_DEFAULT,
                         H5P_DEFAULT);
    assert_true(d >= 0);
    assert_true(H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) >= 0);
    H5Dclose(d);
    H5Sclose(sp);
    H5Fclose(file);
}

/* Another writer's member order, packing and extra columns do not matter;
 * a column of the wrong class does. */
static void test_foreign_layout(void **state)
{
    fixture *f = *state;
    char path[256];
    path_in(f, "foreign.h5", path, sizeof path);
    write_example(path, 3, 3);

    struct foreign {
        double min_fraction;
        int64_t extra;
        int16_t target;       /* a smaller integer converts */
        char kind[40];        /* a longer string converts */
    } rows[2] = { { 0.25, 7, 1, "topic-deadline" }, { 0.75, 8, -1, "component-deadline" } };
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, 40);
    hid_t ct = H5Tcreate(H5T_COMPOUND, sizeof(struct foreign));
    H5Tinsert(ct, "min_fraction", HOFFSET(struct foreign, min_fraction), H5T_NATIVE_DOUBLE);
    H5Tinsert(ct, "extra", HOFFSET(struct foreign, extra), H5T_NATIVE_INT64);
    H5Tinsert(ct, "target", HOFFSET(struct foreign, target), H5T_NATIVE_INT16);
    H5Tinsert(ct, "kind", HOFFSET(struct foreign, kind), st);
    replace_requirements(path, ct, rows, 2);
    H5Tclose(ct);
    /* The version 2 layout (no target_table, threshold, line). */
    set_version(path, 2);

    ts_trace *t = NULL;
    ts_error err;
    assert_int_equal(ts_trace_load(path, &t, &err), TS_OK);
    assert_int_equal(t->n_requirements, 2);
    assert_string_equal(t->requirements[0].kind, "topic-deadline");
    assert_int_equal(t->requirements[0].target, 1);
    assert_true(t->requirements[0].min_fraction == 0.25);
    assert_string_equal(t->requirements[1].kind, "component-deadline");
    assert_int_equal(t->requirements[1].target, -1);
    assert_true(t->requirements[1].min_fraction == 0.75);
    ts_trace_free(t);

    /* target as a float: refused, naming the dataset and column. */
    struct wrong {
        char kind[32];
        double target;
        double min_fraction;
    } bad[1] = { { "topic-deadline", 1.0, 0.5 } };
    H5Tset_size(st, 32);
    ct = H5Tcreate(H5T_COMPOUND, sizeof(struct wrong));
    H5Tinsert(ct, "kind", HOFFSET(struct wrong, kind), st);
    H5Tinsert(ct, "target", HOFFSET(struct wrong, target), H5T_NATIVE_DOUBLE);
    H5Tinsert(ct, "min_fraction", HOFFSET(struct wrong, min_fraction), H5T_NATIVE_DOUBLE);
    replace_requirements(path, ct, bad, 1);
    H5Tclose(ct);
    H5Tclose(st);
    assert_int_equal(ts_trace_load(path, &t, &err), TS_EFORMAT);
    assert_null(t);
    assert_non_null(strstr(err.msg, "/requirements column target is not an integer"));
}

static void test_two_dimensional_refused(void **state)
{
    fixture *f = *state;
    char path[256];
    path_in(f, "twod.h5", path, sizeof path);
    write_example(path, 3, 3);
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(H5Ldelete(file, "/nodes", H5P_DEFAULT) >= 0);
    hsize_t dims[2] = { 2, 2 };
    hid_t sp = H5Screate_simple(2, dims, NULL);
    hid_t d = H5Dcreate2(file, "/nodes", H5T_NATIVE_INT, sp, H5P_DEFAULT, H5P_DEFAULT,
                         H5P_DEFAULT);
    assert_true(d >= 0);
    H5Dclose(d);
    H5Sclose(sp);
    H5Fclose(file);
    ts_trace *t = NULL;
    ts_error err;
    assert_int_equal(ts_trace_load(path, &t, &err), TS_EFORMAT);
    assert_non_null(strstr(err.msg, "/nodes is not one-dimensional"));
}

/* A table claiming more rows than the reader accepts is refused before
 * anything is allocated (extending a chunked dataset costs no disk). */
static void test_too_many_rows_refused(void **state)
{
    fixture *f = *state;
    char path[256];
    path_in(f, "huge.h5", path, sizeof path);
    write_example(path, 3, 3);
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = H5Dopen2(file, "/jobs", H5P_DEFAULT);
    assert_true(d >= 0);
    hsize_t n = 1000000001ull;
    assert_true(H5Dset_extent(d, &n) >= 0);
    H5Dclose(d);
    H5Fclose(file);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size < 1000000);
    ts_trace *t = NULL;
    ts_error err;
    assert_int_equal(ts_trace_load(path, &t, &err), TS_EFORMAT);
    assert_null(t);
    assert_non_null(strstr(err.msg, "/jobs has 1000000001 rows"));
    assert_non_null(strstr(err.msg, "--limit trace-rows="));

    /* The bound is the trace-rows limit: lowered, a small table is refused. */
    path_in(f, "small.h5", path, sizeof path);
    write_example(path, 3, 3);
    assert_int_equal(ts_limit_set(TS_LIMIT_TRACE_ROWS, 2), TS_OK);
    int rc = ts_trace_load(path, &t, &err);
    ts_limits_reset();
    assert_int_equal(rc, TS_EFORMAT);
    assert_non_null(strstr(err.msg, "limit trace-rows=2;"));
    assert_int_equal(ts_trace_load(path, &t, &err), TS_OK);
    ts_trace_free(t);
}

/* ---- format version 3 ---- */

#define N_COMPONENT_STATE 4100   /* one 4096-row block and some */

/* The example's version 3 tables, every row zero-filled first so a loaded
 * row compares equal byte for byte. Indices fit make_content: 3 nodes (2
 * is a switch), 3 components (1 backs up 0), 2 topics. */
typedef struct v3content {
    ts_trace_site sites[2];
    ts_trace_fleet fleets[1];
    ts_trace_power_mode modes[2];
    ts_trace_version versions[4];
    ts_trace_failover_group groups[1];
    ts_trace_failover_backup backups[1];
    ts_trace_subscription subs[2];
    ts_trace_service services[1];
    ts_trace_service_replica replicas[1];
    ts_trace_client clients[1];
    ts_trace_rollout rollouts[1];
    ts_trace_expect expects[2];
    ts_trace_requirement reqs[12];
} v3content;

static const struct {
    const char *kind, *table;
    int32_t target;
    double threshold;
} V3_REQS[12] = {
    {"topic-deadline", "topics", 1, 0.99},
    {"component-deadline", "components", -1, 0.5},
    {"failover", "components", 0, NAN},
    {"safe-state", "sites", 0, NAN},
    {"safety-coverage", "", -1, 0.9},
    {"health", "", -1, 80},
    {"integration", "", -1, NAN},
    {"rollout", "rollouts", 0, NAN},
    {"qos-deadline", "topics", -1, 0},
    {"service", "services", 0, 0.95},
    {"thermal-headroom", "nodes", 1, 5},
    {"power-budget", "nodes", -1, NAN},
};

static void make_v3(v3content *x)
{
    memset(x, 0, sizeof *x);
    snprintf(x->sites[0].name, TS_TRACE_NAME_LEN, "r1");
    snprintf(x->sites[0].tier, 16, "robot");
    x->sites[0].battery_wh = 99.5;
    x->sites[0].safe_state_category = 1;
    x->sites[0].safe_state_budget_ns = TS_TRACE_SAFE_STATE_BUDGET_NS;
    x->sites[0].fleet = 0;
    x->sites[0].fleet_member = 0;
    snprintf(x->sites[1].name, TS_TRACE_NAME_LEN, "e1");
    snprintf(x->sites[1].tier, 16, "edge");
    x->sites[1].safe_state_category = -1;
    x->sites[1].fleet = -1;
    x->sites[1].fleet_member = -1;
    snprintf(x->fleets[0].name, TS_TRACE_NAME_LEN, "humanoids");
    x->fleets[0].count = 1;
    x->fleets[0].coordinator = -1;
    for (int i = 0; i < 2; i++) {
        ts_trace_power_mode *m = &x->modes[i];
        snprintf(m->name, sizeof m->name, "%s", i ? "7W" : "15W");
        m->online_cores = i ? 4 : 0;
        m->cpu_max_hz = i ? 1.2e9 : 0;
        m->budget_w = i ? 7 : 15;
        m->initial = !i;
    }
    int nv[3] = {2, 1, 1}, k = 0;
    for (int c = 0; c < 3; c++)
        for (int v = 0; v < nv[c]; v++, k++) {
            x->versions[k].component = c;
            x->versions[k].index = v;
            snprintf(x->versions[k].name, sizeof x->versions[k].name, "v%d", v + 1);
            x->versions[k].period_ns = 10000000 * (c + 1);
            x->versions[k].exec_ns = 1000000 + c + v;
        }
    snprintf(x->groups[0].detector, 16, "phi");
    x->groups[0].heartbeat_ns = 2000000;
    x->groups[0].misses = 3;
    x->groups[0].phi_threshold = 6.5;
    x->groups[0].failover_budget_ns = 10000000;
    x->groups[0].n_backups = 1;
    x->backups[0].component = 1;
    snprintf(x->backups[0].standby, 8, "warm");
    x->backups[0].takeover_ns = 5000000;
    for (int i = 0; i < 2; i++) {
        ts_trace_subscription *s = &x->subs[i];
        s->topic = i;
        s->subscriber = 2;
        s->has_qos = 1;
        snprintf(s->writer_reliability, 16, "%s", i ? "BEST_EFFORT" : "RELIABLE");
        snprintf(s->reader_reliability, 16, "RELIABLE");
        snprintf(s->writer_durability, 16, "VOLATILE");
        fill_str(s->reader_durability, 16, 'd', 15);
        s->writer_deadline_ns = 10000000;
        s->reader_deadline_ns = i ? 0 : 10000000;
        s->matched = !i;
        snprintf(s->incompatible_policy, 16, "%s", i ? "RELIABILITY" : "");
        s->allowed = 1;
    }
    snprintf(x->services[0].name, TS_TRACE_NAME_LEN, "detect");
    x->services[0].n_replicas = 1;
    snprintf(x->services[0].balance, 24, "least_outstanding");
    x->services[0].timeout_ns = 50000000;
    x->replicas[0].component = 2;
    x->clients[0].component = 1;
    x->clients[0].period_ns = 33333333;
    x->clients[0].answered = (UINT64_C(1) << 40) + 3;  /* wide counts survive */
    x->clients[0].timeouts = 2;
    x->clients[0].rejected = 1;
    x->clients[0].no_replica = 4;
    x->clients[0].requests = x->clients[0].answered + 2 + 1 + 4;
    x->rollouts[0].to_version = 1;
    snprintf(x->rollouts[0].to_name, 32, "v2");
    x->rollouts[0].start_ns = 1000000000;
    x->rollouts[0].robots = 1;
    x->rollouts[0].canaries = 1;
    x->rollouts[0].soak_ns = 2000000000;
    x->rollouts[0].wave = 1;
    x->rollouts[0].wave_soak_ns = 2000000000;
    x->rollouts[0].max_miss_fraction = 0.01;
    x->rollouts[0].expected_end_ns = 3000000000;
    snprintf(x->expects[0].event, 32, "rollout_abort");
    x->expects[0].component = 0;
    x->expects[0].node = -1;
    x->expects[0].min_count = 1;
    x->expects[0].max_count = -1;
    x->expects[0].line = 40;
    fill_str(x->expects[1].event, 32, 'e', 31);
    x->expects[1].component = -1;
    x->expects[1].node = 1;
    x->expects[1].min_count = 0;
    x->expects[1].max_count = 0;
    x->expects[1].line = 41;
    for (int i = 0; i < 12; i++) {
        ts_trace_requirement *r = &x->reqs[i];
        snprintf(r->kind, sizeof r->kind, "%s", V3_REQS[i].kind);
        snprintf(r->target_table, sizeof r->target_table, "%s", V3_REQS[i].table);
        r->target = V3_REQS[i].target;
        r->threshold = V3_REQS[i].threshold;
        int fraction = i < 2 || i == 4 || i == 9;
        r->min_fraction = fraction ? r->threshold : 0;
        r->line = 30 + i;
    }
}

static ts_trace_component_state make_component_state(size_t i)
{
    ts_trace_component_state s;
    memset(&s, 0, sizeof s);
    s.time_ns = (int64_t)i * 1000;
    s.component = (int32_t)(i % 3);
    s.serving = i % 2 == 0;
    s.run = (int32_t)(i % 3);
    s.alive = i % 5 != 0;
    s.version = s.component == 0 ? (int32_t)(i % 2) : 0;
    s.safety_mode = i % 7 == 0;
    return s;
}

/* The example of write_example_full with every table of version 3, n
 * component_state rows, finished as given, stamped as given. The base
 * content's components get the version counts make_v3 lists. */
static void write_v3_example(const char *path, const v3content *x, size_t n, int finished,
                             int stamp)
{
    content c;
    make_content(&c);
    ts_trace_meta meta = make_meta();
    meta.stamp = stamp;
    ts_error err;
    ts_trace_writer *w = NULL;
    assert_int_equal(ts_trace_writer_open(path, &meta, &w, &err), TS_OK);
    assert_int_equal(ts_trace_write_nodes(w, c.nodes, 3, &err), TS_OK);
    assert_int_equal(ts_trace_write_links(w, c.links, 2, &err), TS_OK);
    assert_int_equal(ts_trace_write_components(w, c.comps, 3, &err), TS_OK);
    assert_int_equal(ts_trace_write_topics(w, c.topics, 2, &err), TS_OK);
    assert_int_equal(ts_trace_write_placement(w, c.place, 3, &err), TS_OK);
    assert_int_equal(ts_trace_write_requirements(w, x->reqs, 12, &err), TS_OK);
    assert_int_equal(ts_trace_write_sites(w, x->sites, 2, &err), TS_OK);
    assert_int_equal(ts_trace_write_fleets(w, x->fleets, 1, &err), TS_OK);
    assert_int_equal(ts_trace_write_power_modes(w, x->modes, 2, &err), TS_OK);
    assert_int_equal(ts_trace_write_versions(w, x->versions, 4, &err), TS_OK);
    assert_int_equal(ts_trace_write_failover_groups(w, x->groups, 1, &err), TS_OK);
    assert_int_equal(ts_trace_write_failover_backups(w, x->backups, 1, &err), TS_OK);
    assert_int_equal(ts_trace_write_subscriptions(w, x->subs, 2, &err), TS_OK);
    assert_int_equal(ts_trace_write_services(w, x->services, 1, &err), TS_OK);
    assert_int_equal(ts_trace_write_service_replicas(w, x->replicas, 1, &err), TS_OK);
    assert_int_equal(ts_trace_write_clients(w, x->clients, 1, &err), TS_OK);
    assert_int_equal(ts_trace_write_rollouts(w, x->rollouts, 1, &err), TS_OK);
    assert_int_equal(ts_trace_write_expects(w, x->expects, 2, &err), TS_OK);
    for (size_t i = 0; i < n; i++) {
        ts_trace_component_state s = make_component_state(i);
        assert_int_equal(ts_trace_append_component_state(w, &s, &err), TS_OK);
    }
    if (finished)
        ts_trace_writer_set_finished(w);
    assert_int_equal(ts_trace_writer_commit(w, &err), TS_OK);
}

#define ASSERT_ROWS(t, field, count, rows)                                  \
    do {                                                                    \
        assert_int_equal((t)->n_##field, (count));                          \
        assert_memory_equal((t)->field, (rows), (count) * sizeof (rows)[0]); \
    } while (0)

static void test_v3_round_trip(void **state)
{
    fixture *f = *state;
    char path[256];
    path_in(f, "v3.h5", path, sizeof path);
    v3content x;
    make_v3(&x);
    write_v3_example(path, &x, N_COMPONENT_STATE, 1, 0);
    ts_trace *t = NULL;
    ts_error err;
    int rc = ts_trace_load(path, &t, &err);
    if (rc != TS_OK)
        fail_msg("load: %s", err.msg);
    assert_int_equal(t->format_version, TS_TRACE_FORMAT_VERSION);
    assert_string_equal(t->command_line, "toposim run -o unit.h5 scenarios/unit.xml");
    assert_true(t->git_revision[0] != '\0');
    assert_int_equal(t->finished, 1);
    assert_int_equal(t->requirements_declared, 1);
    assert_null(t->host);
    assert_null(t->started_utc);
    assert_true(t->wall_time_ns == -1);
    ASSERT_ROWS(t, sites, 2, x.sites);
    ASSERT_ROWS(t, fleets, 1, x.fleets);
    ASSERT_ROWS(t, power_modes, 2, x.modes);
    ASSERT_ROWS(t, versions, 4, x.versions);
    ASSERT_ROWS(t, failover_groups, 1, x.groups);
    ASSERT_ROWS(t, failover_backups, 1, x.backups);
    ASSERT_ROWS(t, subscriptions, 2, x.subs);
    ASSERT_ROWS(t, services, 1, x.services);
    ASSERT_ROWS(t, service_replicas, 1, x.replicas);
    ASSERT_ROWS(t, clients, 1, x.clients);
    ASSERT_ROWS(t, rollouts, 1, x.rollouts);
    ASSERT_ROWS(t, expects, 2, x.expects);
    assert_int_equal(strlen(t->expects[1].event), 31);
    assert_int_equal(strlen(t->subscriptions[0].reader_durability), 15);
    assert_int_equal(t->n_requirements, 12);
    for (size_t i = 0; i < 12; i++) {
        const ts_trace_requirement *r = &t->requirements[i];
        assert_string_equal(r->kind, V3_REQS[i].kind);
        assert_string_equal(r->target_table, V3_REQS[i].table);
        assert_int_equal(r->target, V3_REQS[i].target);
        if (isnan(V3_REQS[i].threshold))
            assert_true(isnan(r->threshold));
        else
            assert_true(r->threshold == V3_REQS[i].threshold);
        assert_int_equal(r->line, 30 + (int)i);
    }
    assert_int_equal(t->n_component_state, N_COMPONENT_STATE);
    for (size_t i = 0; i < N_COMPONENT_STATE; i++) {
        ts_trace_component_state s = make_component_state(i);
        assert_memory_equal(&t->component_state[i], &s, sizeof s);
    }
    /* The columns version 3 added to older tables. */
    content c;
    make_content(&c);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(t->nodes[i].site_row, c.nodes[i].site_row);
        assert_string_equal(t->nodes[i].power_mode, c.nodes[i].power_mode);
        assert_int_equal(isnan(t->nodes[i].throttle_c), i == 2);
        assert_int_equal(t->components[i].robot, c.comps[i].robot);
        assert_int_equal(t->components[i].needed, c.comps[i].needed);
        assert_int_equal(t->components[i].backup_of, c.comps[i].backup_of);
        assert_int_equal(t->components[i].replica_of, -1);
        assert_string_equal(t->components[i].isolation, c.comps[i].isolation);
        assert_string_equal(t->components[i].zone, c.comps[i].zone);
        assert_int_equal(t->components[i].n_versions, c.comps[i].n_versions);
        assert_true(t->placement[i].reserved_cores == c.place[i].reserved_cores);
        assert_int_equal(t->placement[i].fell_back, c.place[i].fell_back);
    }
    assert_true(t->placement[0].reserved_cores >> 63);  /* the top core survives */
    ts_trace_free(t);
}

/* finished is 0 unless the run said it ended; a stamp adds host, start
 * and wall time, and nothing varies between runs without one. */
static void test_finished_and_stamp(void **state)
{
    fixture *f = *state;
    char path[256];
    path_in(f, "unfinished.h5", path, sizeof path);
    v3content x;
    make_v3(&x);
    write_v3_example(path, &x, 3, 0, 0);
    ts_trace *t = NULL;
    ts_error err;
    assert_int_equal(ts_trace_load(path, &t, &err), TS_OK);
    assert_int_equal(t->finished, 0);
    ts_trace_free(t);

    path_in(f, "stamped.h5", path, sizeof path);
    write_v3_example(path, &x, 3, 1, 1);
    assert_int_equal(ts_trace_load(path, &t, &err), TS_OK);
    assert_int_equal(t->finished, 1);
    assert_non_null(t->host);
    assert_true(t->host[0] != '\0');
    assert_non_null(t->started_utc);
    assert_int_equal(strlen(t->started_utc), 20);   /* 2026-12-04T18:00:00Z */
    assert_int_equal(t->started_utc[19], 'Z');
    assert_true(t->wall_time_ns >= 0 && t->wall_time_ns < INT64_C(60000000000));
    ts_trace_free(t);

    /* A stamp without its wall time is not a stamp: refused. */
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t g = H5Gopen2(file, "/meta", H5P_DEFAULT);
    assert_true(H5Adelete(g, "host") >= 0);
    H5Gclose(g);
    H5Fclose(file);
    assert_int_equal(ts_trace_load(path, &t, &err), TS_EFORMAT);
    assert_non_null(strstr(err.msg, "attribute host of /meta is missing"));
}

/* Rewrites a table keeping only the columns a file of `version` had. */
static void keep_columns_of(hid_t file, const char *table, int version)
{
    const ts__table_schema *s = NULL;
    for (int i = 0; i < TS__T_COUNT; i++)
        if (strcmp(ts__trace_tables[i].path, table) == 0)
            s = &ts__trace_tables[i];
    assert_non_null(s);
    hid_t d = H5Dopen2(file, table, H5P_DEFAULT);
    hid_t ft = H5Dget_type(d);
    hid_t sp = H5Dget_space(d);
    hsize_t n = 0;
    H5Sget_simple_extent_dims(sp, &n, NULL);
    size_t size = 0;
    for (size_t i = 0; i < s->n_columns; i++)
        if (s->columns[i].since_version <= version)
            size += s->columns[i].size;
    hid_t nt = H5Tcreate(H5T_COMPOUND, size);
    size_t at = 0;
    for (size_t i = 0; i < s->n_columns; i++) {
        if (s->columns[i].since_version > version)
            continue;
        int idx = H5Tget_member_index(ft, s->columns[i].name);
        hid_t mt = H5Tget_member_type(ft, (unsigned)idx);
        assert_true(H5Tinsert(nt, s->columns[i].name, at, mt) >= 0);
        at += H5Tget_size(mt);
        H5Tclose(mt);
    }
    unsigned char *buf = calloc(n ? n : 1, size);
    assert_true(H5Dread(d, nt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    H5Dclose(d);
    assert_true(H5Ldelete(file, table, H5P_DEFAULT) >= 0);
    hsize_t max = H5S_UNLIMITED, chunk = 16;
    hid_t sp2 = H5Screate_simple(1, &n, &max);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &chunk);
    d = H5Dcreate2(file, table, nt, sp2, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    assert_true(d >= 0);
    assert_true(H5Dwrite(d, nt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(sp2);
    H5Sclose(sp);
    H5Tclose(nt);
    H5Tclose(ft);
    free(buf);
}

/* Turns a version 3 file into what version 2 wrote: none of the newer
 * tables, columns or /meta attributes. */
static void make_version2(const char *path)
{
    static const char *tables[] = {
        "/sites", "/power_modes", "/versions", "/failover_groups", "/failover_backups",
        "/subscriptions", "/services", "/service_replicas", "/clients", "/fleets",
        "/rollouts", "/expects", "/component_state" };
    static const char *attrs[] = { "command_line", "git_revision", "finished",
                                   "requirements_declared" };
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(file >= 0);
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        assert_true(H5Ldelete(file, tables[i], H5P_DEFAULT) >= 0);
    hid_t g = H5Gopen2(file, "/meta", H5P_DEFAULT);
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
        assert_true(H5Adelete(g, attrs[i]) >= 0);
    H5Gclose(g);
    keep_columns_of(file, "/nodes", 2);
    keep_columns_of(file, "/components", 2);
    keep_columns_of(file, "/placement", 2);
    keep_columns_of(file, "/requirements", 2);
    H5Fclose(file);
    set_version(path, 2);
}

static void test_version2_accepted(void **state)
{
    fixture *f = *state;
    char path[256];
    path_in(f, "v2.h5", path, sizeof path);
    write_example(path, 6, 5);
    make_version2(path);
    ts_trace *t = NULL;
    ts_error err;
    int rc = ts_trace_load(path, &t, &err);
    if (rc != TS_OK)
        fail_msg("load: %s", err.msg);
    assert_int_equal(t->format_version, 2);
    /* /meta as trace.h states for older files. */
    assert_string_equal(t->command_line, "");
    assert_string_equal(t->git_revision, "unknown");
    assert_int_equal(t->finished, 1);
    assert_int_equal(t->requirements_declared, 1);
    assert_null(t->host);
    assert_true(t->wall_time_ns == -1);
    /* The newer tables are empty, the newer columns at their defaults. */
    assert_int_equal(t->n_sites + t->n_power_modes + t->n_versions + t->n_failover_groups +
                     t->n_failover_backups + t->n_subscriptions + t->n_services +
                     t->n_service_replicas + t->n_clients + t->n_fleets + t->n_rollouts +
                     t->n_expects + t->n_component_state, 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(t->nodes[i].site_row, -1);
        assert_true(isnan(t->nodes[i].throttle_c) && isnan(t->nodes[i].shutdown_c));
        assert_string_equal(t->nodes[i].power_mode, "");
        assert_int_equal(t->nodes[i].cores, 6 + i);
        assert_int_equal(t->components[i].robot, -1);
        assert_int_equal(t->components[i].backup_of, -1);
        assert_int_equal(t->components[i].replica_of, -1);
        assert_int_equal(t->components[i].needed, 0);
        assert_int_equal(t->components[i].n_versions, 1);
        assert_string_equal(t->components[i].isolation, "");
        assert_true(t->placement[i].reserved_cores == 0);
    }
    assert_string_equal(t->requirements[0].target_table, "topics");
    assert_string_equal(t->requirements[1].target_table, "components");
    assert_true(t->requirements[0].threshold == 0.99);
    assert_true(t->requirements[1].threshold == 0.5);
    assert_int_equal(t->requirements[1].line, 0);
    assert_int_equal(t->n_messages, 6);
    assert_int_equal(t->n_events, 20);
    ts_trace_free(t);

    /* Without requirements a version 2 file declared none. */
    write_example(path, 6, 5);
    make_version2(path);
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = H5Dopen2(file, "/requirements", H5P_DEFAULT);
    hsize_t zero = 0;
    assert_true(H5Dset_extent(d, &zero) >= 0);
    H5Dclose(d);
    H5Fclose(file);
    assert_int_equal(ts_trace_load(path, &t, &err), TS_OK);
    assert_int_equal(t->requirements_declared, 0);
    ts_trace_free(t);

    /* The kinds version 3 added do not exist in a version 2 file. */
    struct v2req {
        char kind[32];
        int32_t target;
        double min_fraction;
    } rows[1] = { { "health", -1, 0 } };
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, 32);
    hid_t ct = H5Tcreate(H5T_COMPOUND, sizeof(struct v2req));
    H5Tinsert(ct, "kind", HOFFSET(struct v2req, kind), st);
    H5Tinsert(ct, "target", HOFFSET(struct v2req, target), H5T_NATIVE_INT32);
    H5Tinsert(ct, "min_fraction", HOFFSET(struct v2req, min_fraction), H5T_NATIVE_DOUBLE);
    replace_requirements(path, ct, rows, 1);
    H5Tclose(ct);
    H5Tclose(st);
    assert_int_equal(ts_trace_load(path, &t, &err), TS_EFORMAT);
    assert_non_null(strstr(err.msg, "/requirements row 0 column kind: unknown kind \"health\" "
                                    "(format version 2)"));
}

/* Overwrites one int32 column of one row of a table in place. */
static void poke_i32(const char *path, const char *table, hsize_t row, const char *column,
                     int32_t value)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = H5Dopen2(file, table, H5P_DEFAULT);
    assert_true(d >= 0);
    hid_t mt = H5Tcreate(H5T_COMPOUND, sizeof(int32_t));
    H5Tinsert(mt, column, 0, H5T_NATIVE_INT32);
    hid_t fs = H5Dget_space(d);
    assert_true(H5Sselect_elements(fs, H5S_SELECT_SET, 1, &row) >= 0);
    hsize_t one = 1;
    hid_t ms = H5Screate_simple(1, &one, NULL);
    assert_true(H5Dwrite(d, mt, ms, fs, H5P_DEFAULT, &value) >= 0);
    H5Sclose(ms);
    H5Sclose(fs);
    H5Tclose(mt);
    H5Dclose(d);
    H5Fclose(file);
}

/* Overwrites one string column of one row. */
static void poke_str(const char *path, const char *table, hsize_t row, const char *column,
                     size_t size, const char *value)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = H5Dopen2(file, table, H5P_DEFAULT);
    assert_true(d >= 0);
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, size);
    hid_t mt = H5Tcreate(H5T_COMPOUND, size);
    H5Tinsert(mt, column, 0, st);
    char buf[64] = "";
    snprintf(buf, sizeof buf, "%s", value);
    hid_t fs = H5Dget_space(d);
    assert_true(H5Sselect_elements(fs, H5S_SELECT_SET, 1, &row) >= 0);
    hsize_t one = 1;
    hid_t ms = H5Screate_simple(1, &one, NULL);
    assert_true(H5Dwrite(d, mt, ms, fs, H5P_DEFAULT, buf) >= 0);
    H5Sclose(ms);
    H5Sclose(fs);
    H5Tclose(mt);
    H5Tclose(st);
    H5Dclose(d);
    H5Fclose(file);
}

/* Every index of the newer tables is checked, and so are their values. */
static void test_v3_corrupt_refused(void **state)
{
    fixture *f = *state;
    char path[256];
    path_in(f, "v3bad.h5", path, sizeof path);
    v3content x;
    make_v3(&x);
    static const struct {
        const char *table, *column;
        hsize_t row;
        int32_t value;
        const char *expect;
    } ints[] = {
        { "/nodes", "site_row", 0, 2, "/nodes row 0 column site_row: 2 is not -1 nor a row of "
                                      "/sites (2 rows)" },
        { "/components", "backup_of", 1, 3, "/components row 1 column backup_of: 3" },
        { "/sites", "fleet", 1, 1, "/sites row 1 column fleet: 1 is not -1 nor a row of /fleets" },
        { "/power_modes", "node", 1, -1, "/power_modes row 1 column node: -1 is not a row" },
        { "/failover_backups", "group", 0, 1,
          "/failover_backups row 0 column group: 1 is not a row of /failover_groups (1 rows)" },
        { "/subscriptions", "topic", 1, 2, "/subscriptions row 1 column topic: 2" },
        { "/service_replicas", "service", 0, 1, "/service_replicas row 0 column service: 1" },
        { "/clients", "component", 0, 3, "/clients row 0 column component: 3" },
        { "/rollouts", "component", 0, 5, "/rollouts row 0 column component: 5" },
        { "/expects", "node", 1, 3, "/expects row 1 column node: 3 is not -1 nor a row of "
                                    "/nodes" },
        { "/component_state", "component", 7, 3, "/component_state row 7 column component: 3" },
        { "/component_state", "run", 8, 3, "/component_state row 8 column run: 3 is not 0, 1 "
                                           "nor 2" },
        { "/component_state", "version", 9, 2,
          "/component_state row 9 column version: 2 is not a version of component 0 (2 "
          "versions)" },
        { "/requirements", "target", 3, 2,
          "/requirements row 3 column target: 2 is not -1 nor a row of /sites (2 rows)" },
        { "/requirements", "target", 5, 0,
          "/requirements row 5 column target: 0 for kind health, which has no target" },
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        write_v3_example(path, &x, 20, 1, 0);
        poke_i32(path, ints[i].table, ints[i].row, ints[i].column, ints[i].value);
        ts_trace *t = (ts_trace *)1;
        ts_error err;
        int rc = ts_trace_load(path, &t, &err);
        if (rc != TS_EFORMAT)
            fail_msg("case %zu loaded (%d)", i, rc);
        assert_null(t);
        if (!strstr(err.msg, ints[i].expect))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg, ints[i].expect);
    }
    static const struct {
        const char *table, *column;
        hsize_t row;
        size_t size;
        const char *value, *expect;
    } strs[] = {
        { "/requirements", "kind", 2, 32, "fail-over",
          "/requirements row 2 column kind: unknown kind \"fail-over\"" },
        { "/requirements", "target_table", 10, 16, "links",
          "/requirements row 10 column target_table: \"links\" for kind thermal-headroom, "
          "expected \"nodes\"" },
    };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        write_v3_example(path, &x, 20, 1, 0);
        poke_str(path, strs[i].table, strs[i].row, strs[i].column, strs[i].size, strs[i].value);
        ts_trace *t = (ts_trace *)1;
        ts_error err;
        assert_int_equal(ts_trace_load(path, &t, &err), TS_EFORMAT);
        assert_null(t);
        if (!strstr(err.msg, strs[i].expect))
            fail_msg("string case %zu: \"%s\" lacks \"%s\"", i, err.msg, strs[i].expect);
    }

    /* An expectation whose bounds cross. */
    x.expects[0].max_count = 0;
    write_v3_example(path, &x, 20, 1, 0);
    ts_trace *t = NULL;
    ts_error err;
    assert_int_equal(ts_trace_load(path, &t, &err), TS_EFORMAT);
    assert_non_null(strstr(err.msg, "/expects row 0: min_count 1, max_count 0"));
    make_v3(&x);

    /* A version 3 file needs every newer table, column and attribute. */
    static const char *tables[] = { "/sites", "/expects", "/component_state", "/clients" };
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        write_v3_example(path, &x, 20, 1, 0);
        hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
        assert_true(H5Ldelete(file, tables[i], H5P_DEFAULT) >= 0);
        H5Fclose(file);
        assert_int_equal(ts_trace_load(path, &t, &err), TS_EFORMAT);
        char expect[64];
        snprintf(expect, sizeof expect, "dataset %s is missing", tables[i]);
        assert_non_null(strstr(err.msg, expect));
    }
    write_v3_example(path, &x, 20, 1, 0);
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    keep_columns_of(file, "/placement", 2);
    H5Fclose(file);
    assert_int_equal(ts_trace_load(path, &t, &err), TS_EFORMAT);
    assert_non_null(strstr(err.msg, "dataset /placement has no column reserved_cores"));
    static const char *attrs[] = { "finished", "requirements_declared", "command_line",
                                   "git_revision" };
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
        write_v3_example(path, &x, 20, 1, 0);
        file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
        hid_t g = H5Gopen2(file, "/meta", H5P_DEFAULT);
        assert_true(H5Adelete(g, attrs[i]) >= 0);
        H5Gclose(g);
        H5Fclose(file);
        assert_int_equal(ts_trace_load(path, &t, &err), TS_EFORMAT);
        char expect[96];
        snprintf(expect, sizeof expect, "attribute %s of /meta is missing", attrs[i]);
        assert_non_null(strstr(err.msg, expect));
    }
    /* finished is 0 or 1; a file claiming no requirements has none. */
    write_v3_example(path, &x, 20, 1, 0);
    file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    int two = 2, zero = 0;
    assert_true(H5LTset_attribute_int(file, "/meta", "finished", &two, 1) >= 0);
    H5Fclose(file);
    assert_int_equal(ts_trace_load(path, &t, &err), TS_EFORMAT);
    assert_non_null(strstr(err.msg, "attribute finished of /meta is 2, expected 0 or 1"));
    write_v3_example(path, &x, 20, 1, 0);
    file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(H5LTset_attribute_int(file, "/meta", "requirements_declared", &zero, 1) >= 0);
    H5Fclose(file);
    assert_int_equal(ts_trace_load(path, &t, &err), TS_EFORMAT);
    assert_non_null(strstr(err.msg, "no requirements were declared but /requirements has 12"));
}

static void test_unwritable_folder(void **state)
{
    fixture *f = *state;
    char dir[256], path[300];
    ts_error err;
    ts_trace_writer *w = (ts_trace_writer *)1;

    /* A folder that does not exist. */
    snprintf(path, sizeof path, "%s/no/such/folder/t.h5", f->dir);
    assert_int_equal(ts_trace_writer_open(path, NULL, &w, &err), TS_EIO);
    assert_null(w);
    assert_string_equal(err.file, path);

    /* A folder without write permission (root ignores it, so check). */
    path_in(f, "ro", dir, sizeof dir);
    assert_int_equal(mkdir(dir, 0500), 0);
    snprintf(path, sizeof path, "%s/t.h5", dir);
    if (access(dir, W_OK) != 0) {
        assert_int_equal(ts_trace_writer_open(path, NULL, &w, &err), TS_EIO);
        assert_null(w);
        assert_non_null(strstr(err.msg, "cannot create"));
    }
    /* A folder no one may create files in, even root. */
    assert_int_equal(ts_trace_writer_open("/proc/toposim-test-trace.h5", NULL, &w, &err),
                     TS_EIO);
    assert_null(w);
    assert_int_equal(count_entries(dir, NULL, 0), 0);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    ts_error err;
    ts_trace_writer *w = NULL;
    ts_trace *t = NULL;
    assert_int_equal(ts_trace_writer_open(NULL, NULL, &w, &err), TS_EINVAL);
    assert_int_equal(ts_trace_writer_commit(NULL, &err), TS_EINVAL);
    assert_int_equal(ts_trace_append_message(NULL, NULL, &err), TS_EINVAL);
    assert_int_equal(ts_trace_append_link_state(NULL, NULL, &err), TS_EINVAL);
    assert_int_equal(ts_trace_append_node_state(NULL, NULL, &err), TS_EINVAL);
    assert_int_equal(ts_trace_append_core_state(NULL, NULL, &err), TS_EINVAL);
    assert_int_equal(ts_trace_append_event(NULL, NULL, &err), TS_EINVAL);
    assert_int_equal(ts_trace_load(NULL, &t, &err), TS_EINVAL);
    ts_trace_free(NULL);
}

static int group_teardown(void **state)
{
    (void)state;
    /* Frees HDF5's one-time allocations so leak checkers see only ours. */
    H5close();
    if (ts_alloc_live() != 0) {
        fprintf(stderr, "%ld allocations still live\n", ts_alloc_live());
        return -1;
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unterminated_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_self_describing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identical_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_publishes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_twice_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_future_version_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version1_accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_indices_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_hdf5, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_subscriber_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_table_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_dimensional_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_rows_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v3_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_finished_and_stamp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version2_accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v3_corrupt_refused, setup, teardown),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, group_teardown);
}
