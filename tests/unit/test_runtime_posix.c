/*
 * The seam, proved: the deployment code of scenarios/safety-hot-standby.xml
 * (safety_monitor with a hot standby) runs on the POSIX runtime, one
 * process per node, with real timers and UDP datagrams on 127.0.0.1. The
 * primary's process is killed (SIGKILL: a real crash); the backup's
 * process suspects it after missed heartbeats, decides, serves. Its
 * decisions must come in the order the simulated run of the same scenario
 * records them. Times are scaled up for a loaded machine (heartbeat 20 ms,
 * 3 misses and a 200 ms margin instead of 2 ms and none) and only the
 * order of decisions is compared, never their times. A first test checks
 * the runtime's own promises in one process.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "scenario_run.h"
#include "toposim/deploy.h"
#include "toposim/runtime_posix.h"
#include "toposim/scenario.h"

#define MS INT64_C(1000000)
#define HEARTBEAT (20 * MS)
#define MARGIN (200 * MS)
#define KILL_AT (400 * MS)      /* the primary's crash */
#define RUN_UNTIL (1100 * MS)   /* the backup's process stops here */

typedef struct setup {
    ts_scenario *s;
    int primary, backup;
    size_t n;                   /* endpoints: the scenario's components */
    uint16_t *ports;
    int *fds;
} setup;

/* What a child process writes to its pipe, one line each. */
typedef struct line_sink {
    FILE *out;
} line_sink;

static void on_record(void *ctx, int64_t t, const ts_rt_record *rec)
{
    line_sink *k = ctx;
    fprintf(k->out, "record %lld %s %d\n", (long long)t, rec->kind, rec->component);
    fflush(k->out);
}

static void on_apply(void *ctx, int64_t t, int component, const ts_rt_component_state *st)
{
    line_sink *k = ctx;
    fprintf(k->out, "apply %lld %d %d %d\n", (long long)t, component, (int)st->run,
            st->safety_mode);
    fflush(k->out);
}

static void sleep_until(int64_t abs_ns)
{
    struct timespec ts = {(time_t)(abs_ns / 1000000000), (long)(abs_ns % 1000000000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
        ;
}

/* One node's process: the endpoint `self` runs here, the failover group's
 * deployment code as agents.c builds it from the scenario. Never returns. */
static void node_process(const setup *x, int self, int64_t epoch, int until_fd_out)
{
    FILE *out = fdopen(until_fd_out, "w");
    if (!out)
        _exit(3);
    line_sink sink = {out};
    for (size_t e = 0; e < x->n; e++)
        if ((int)e != self)
            close(x->fds[e]);
    int *fds = malloc(x->n * sizeof *fds);
    int *node_of = malloc(x->n * sizeof *node_of);
    if (!fds || !node_of)
        _exit(3);
    for (size_t e = 0; e < x->n; e++) {
        fds[e] = (int)e == self ? x->fds[e] : -1;
        node_of[e] = -1;
    }
    ts_rt_posix_desc d = {x->n, x->ports, fds, epoch, on_record, &sink, on_apply, &sink};
    ts_rt_posix *p;
    ts_ctl *ctl;
    ts_error err;
    if (ts_rt_posix_new(&d, &p, &err) != TS_OK)
        _exit(4);
    const ts_runtime *rt = ts_rt_posix_runtime(p);
    ts_ctl_desc cd = {.n_components = x->n, .node_of = node_of};
    if (ts_ctl_new(rt, &cd, &ctl, &err) != TS_OK)
        _exit(5);
    const ts_scenario_component *pc = &x->s->components[x->primary];
    ts_fo_member_desc mem[2] = {
        {x->primary, pc->pin, TS_FO_HOT, -1},
        {x->backup, x->s->components[x->backup].pin, TS_FO_HOT,
         x->s->components[x->backup].shared->takeover_ns},
    };
    ts_failover_desc gd = {
        .id = x->primary,
        .name = pc->id,
        .members = mem,
        .n_members = 2,
        .heartbeat_ns = HEARTBEAT,
        .detector = {.kind = TS_FD_TIMEOUT, .misses = pc->shared->misses, .margin_ns = MARGIN},
        .supervisor = -1,
        .ctl = ctl,
    };
    ts_failover *g = ts_failover_new(rt, &gd, &err);
    if (!g)
        _exit(6);
    sleep_until(epoch);
    if (ts_failover_start(g) != TS_OK || ts_rt_posix_run(p, RUN_UNTIL) != TS_OK)
        _exit(7);
    fprintf(out, "serves %d %d\n", self, ts_ctl_serves(ctl, self));
    fprintf(out, "server %d\n", ts_ctl_server(ctl, x->primary));
    fclose(out);
    _exit(0);
}

typedef struct decision {
    char what[48];
    int component;
    int64_t t;
} decision;

/* Reads a child's lines: records and applied states, in its order. */
static size_t read_lines(int fd, decision *out, size_t cap, int *serves, int *server)
{
    FILE *in = fdopen(fd, "r");
    assert_non_null(in);
    char line[256];
    size_t n = 0;
    while (fgets(line, sizeof line, in)) {
        long long t;
        char kind[48];
        int c, run, safety;
        if (sscanf(line, "record %lld %47s %d", &t, kind, &c) == 3 && n < cap) {
            snprintf(out[n].what, sizeof out[n].what, "%s", kind);
            out[n].component = c;
            out[n++].t = t;
        } else if (sscanf(line, "apply %lld %d %d %d", &t, &c, &run, &safety) == 4 && n < cap) {
            snprintf(out[n].what, sizeof out[n].what, "apply:%d:%d", run, safety);
            out[n].component = c;
            out[n++].t = t;
        } else if (sscanf(line, "serves %d %d", &c, &run) == 2) {
            *serves = run;
        } else if (sscanf(line, "server %d", &c) == 1) {
            *server = c;
        }
    }
    fclose(in);
    return n;
}

static int is_decision(const char *kind)
{
    static const char *const kinds[] = {"failover_decision", "failover", "failover_aborted",
                                        "fence", "rejoin", "safe_state"};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (!strcmp(kind, kinds[i]))
            return 1;
    return 0;
}

static void failover_matches_simulation(void **state)
{
    (void)state;
    const char *path = "scenarios/safety-hot-standby.xml";
    setup x = {0};
    ts_error err;
    assert_int_equal(ts_scenario_load(path, NULL, &x.s, &err), TS_OK);
    x.primary = ts_scenario_find_component(x.s, "safety_monitor");
    x.backup = ts_scenario_find_component(x.s, "safety_monitor_b");
    assert_true(x.primary >= 0 && x.backup >= 0);
    x.n = x.s->n_components;
    x.ports = calloc(x.n, sizeof *x.ports);
    x.fds = calloc(x.n, sizeof *x.fds);
    assert_non_null(x.ports);
    assert_non_null(x.fds);
    for (size_t e = 0; e < x.n; e++)
        assert_int_equal(ts_rt_posix_socket(&x.fds[e], &x.ports[e], &err), TS_OK);

    /* The simulated run: the backup's decisions in the trace's order. */
    ts_trace *t = scenario_run(path);
    const char *sim[8];
    size_t n_sim = 0;
    int64_t sim_failover = -1;
    for (size_t i = 0; i < t->n_events && n_sim < 8; i++)
        if (t->events[i].component == x.backup && is_decision(t->events[i].kind)) {
            sim[n_sim++] = t->events[i].kind;
            if (!strcmp(t->events[i].kind, "failover"))
                sim_failover = t->events[i].time_ns;
        }
    assert_int_equal(n_sim, 2);
    assert_string_equal(sim[0], "failover_decision");
    assert_string_equal(sim[1], "failover");
    /* ... and it serves: its safety_status_b samples flow from then on. */
    int status_b = ts_scenario_find_topic(x.s, "safety_status_b");
    int64_t first_b = -1;
    for (size_t i = 0; i < t->n_messages; i++)
        if (t->messages[i].topic == status_b && (first_b < 0 || t->messages[i].send_ns < first_b))
            first_b = t->messages[i].send_ns;
    assert_true(first_b >= sim_failover);

    /* The real run: one process per node. */
    int pipes[2][2];
    pid_t pid[2];
    int who[2] = {x.primary, x.backup};
    int64_t epoch = ts_rt_posix_clock() + 100 * MS;
    for (int k = 0; k < 2; k++) {
        assert_int_equal(pipe(pipes[k]), 0);
        fflush(NULL);
        pid[k] = fork();
        assert_true(pid[k] >= 0);
        if (pid[k] == 0) {
            close(pipes[k][0]);
            if (k == 1)
                close(pipes[0][0]);
            node_process(&x, who[k], epoch, pipes[k][1]);
        }
        close(pipes[k][1]);
    }
    for (size_t e = 0; e < x.n; e++)
        close(x.fds[e]);
    sleep_until(epoch + KILL_AT);
    assert_int_equal(kill(pid[0], SIGKILL), 0);
    int64_t killed = ts_rt_posix_clock() - epoch;
    int status;
    assert_int_equal(waitpid(pid[0], &status, 0), pid[0]);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(waitpid(pid[1], &status, 0), pid[1]);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    decision prim[64], back[64];
    int p_serves = -1, p_server = -2, b_serves = -1, b_server = -2;
    size_t n_prim = read_lines(pipes[0][0], prim, 64, &p_serves, &p_server);
    size_t n_back = read_lines(pipes[1][0], back, 64, &b_serves, &b_server);
    /* The primary, until killed, decided nothing. */
    for (size_t i = 0; i < n_prim; i++)
        assert_false(is_decision(prim[i].what));
    /* The backup: the same decisions in the same order as simulated. */
    const char *real[8];
    size_t n_real = 0;
    int64_t decided = -1, served = -1, failover = -1;
    for (size_t i = 0; i < n_back; i++) {
        if (back[i].component == x.backup && is_decision(back[i].what) && n_real < 8) {
            real[n_real++] = back[i].what;
            if (!strcmp(back[i].what, "failover_decision"))
                decided = back[i].t;
            if (!strcmp(back[i].what, "failover"))
                failover = back[i].t;
        }
        if (back[i].component == x.backup && !strcmp(back[i].what, "apply:2:1"))
            served = back[i].t;
    }
    print_message("killed at %.1f ms; backup decided at %.1f ms, serving at %.1f ms\n",
                  (double)killed / 1e6, (double)decided / 1e6, (double)served / 1e6);
    assert_int_equal(n_real, n_sim);
    for (size_t i = 0; i < n_sim; i++)
        assert_string_equal(real[i], sim[i]);
    /* Suspect (decide), serve in safety mode, record the failover: in that
     * order, and only after the crash. */
    assert_true(decided >= killed);
    assert_true(served >= decided && failover >= served);
    assert_int_equal(b_serves, 1);
    assert_int_equal(b_server, x.backup);

    ts_trace_free(t);
    free(x.ports);
    free(x.fds);
    ts_scenario_free(x.s);
}

/* One process, two endpoints here and one elsewhere: timers fire in
 * deadline order (ties in start order), a cancelled one never fires, a
 * datagram goes round over 127.0.0.1, liveness is "runs here", and a
 * send the runtime refuses is recorded as send_failed. */
typedef struct loop_log {
    int order[8];
    int n;
    ts_rt_message got;
    int received;
    int records;
    char kind[32];
} loop_log;

static void tick(void *ctx, uint64_t arg)
{
    loop_log *l = ctx;
    if (l->n < 8)
        l->order[l->n++] = (int)arg;
}

static void hear(void *ctx, const ts_rt_message *m)
{
    loop_log *l = ctx;
    l->got = *m;
    l->received++;
}

static void note(void *ctx, int64_t t, const ts_rt_record *rec)
{
    (void)t;
    loop_log *l = ctx;
    l->records++;
    snprintf(l->kind, sizeof l->kind, "%s", rec->kind);
}

static void timers_datagrams_liveness(void **state)
{
    (void)state;
    uint16_t ports[3];
    int fds[3];
    ts_error err;
    for (int e = 0; e < 3; e++)
        assert_int_equal(ts_rt_posix_socket(&fds[e], &ports[e], &err), TS_OK);
    close(fds[2]);
    fds[2] = -1;                /* endpoint 2 runs elsewhere */
    loop_log log;
    memset(&log, 0, sizeof log);
    ts_rt_posix_desc d = {3, ports, fds, ts_rt_posix_clock(), note, &log, NULL, NULL};
    ts_rt_posix *p;
    assert_int_equal(ts_rt_posix_new(&d, &p, &err), TS_OK);
    const ts_runtime *rt = ts_rt_posix_runtime(p);
    ts_rt_timer cancelled;
    assert_int_equal(ts_rt_timer_start(rt, 30 * MS, tick, &log, 3, NULL), TS_OK);
    assert_int_equal(ts_rt_timer_start(rt, 10 * MS, tick, &log, 1, NULL), TS_OK);
    assert_int_equal(ts_rt_timer_start(rt, 20 * MS, tick, &log, 9, &cancelled), TS_OK);
    assert_int_equal(ts_rt_timer_start(rt, 10 * MS, tick, &log, 2, NULL), TS_OK);
    ts_rt_timer_cancel(rt, cancelled);
    assert_int_equal(ts_rt_listen(rt, 1, TS_PORT_USER, hear, &log), TS_OK);
    ts_rt_message m = {.from = 0, .to = 1, .port = TS_PORT_USER, .kind = 7, .channel = -3,
                       .seq = 1ull << 40, .stamp = -5, .wire_bytes = 100, .body_len = 2,
                       .body = {0xab, 0xcd}};
    assert_int_equal(ts_rt_send(rt, &m), TS_OK);
    assert_int_equal(ts_rt_posix_run(p, 60 * MS), TS_OK);
    assert_true(ts_rt_now(rt) >= 60 * MS);
    assert_int_equal(log.n, 3);
    assert_int_equal(log.order[0], 1);
    assert_int_equal(log.order[1], 2);
    assert_int_equal(log.order[2], 3);
    assert_int_equal(log.received, 1);
    assert_int_equal(log.got.from, 0);
    assert_int_equal(log.got.kind, 7);
    assert_int_equal(log.got.channel, -3);
    assert_true(log.got.seq == 1ull << 40);
    assert_int_equal(log.got.stamp, -5);
    assert_int_equal(log.got.body_len, 2);
    assert_int_equal(log.got.body[1], 0xcd);
    assert_int_equal(ts_rt_alive(rt, TS_RT_COMPONENT, 1), 1);
    assert_int_equal(ts_rt_alive(rt, TS_RT_COMPONENT, 2), 0);
    assert_int_equal(ts_rt_alive(rt, TS_RT_NODE, 0), -1);
    /* Sending to an endpoint elsewhere is fine; from one is refused. */
    m.to = 2;
    assert_int_equal(ts_rt_send(rt, &m), TS_OK);
    m.from = 2;
    assert_int_equal(ts_rt_send(rt, &m), TS_EINVAL);
    assert_int_equal(log.records, 1);
    assert_string_equal(log.kind, "send_failed");
    ts_rt_posix_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(timers_datagrams_liveness),
        cmocka_unit_test(failover_matches_simulation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
