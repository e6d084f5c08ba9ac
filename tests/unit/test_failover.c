/* Primary/backup failover through the fake runtime: exact takeover times
 * for hot, warm and cold standby, chains of failures, lost and jittered
 * heartbeats, fencing, aborted takeovers and rejoin after a restart.
 * Heartbeats every 10 ms from t = 0, 1 ms latency: the primary's
 * heartbeats arrive at 1, 11, 21, ... ms. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_runtime.h"
#include "toposim/alloc.h"
#include "toposim/deploy_failover.h"

#define MS 1000000LL
#define P 1                     /* primary component */
#define B1 2
#define B2 3
#define SUP 9                   /* supervisor endpoint (nobody listens) */

typedef struct fixture {
    fake_runtime *f;
    ts_failover *g;
    ts_fo_member_desc mem[3];
    ts_failover_desc d;
} fixture;

static void setup(fixture *x, size_t n, ts_fo_standby b1, ts_fo_standby b2)
{
    memset(x, 0, sizeof *x);
    x->f = fake_runtime_new();
    assert_non_null(x->f);
    x->mem[0] = (ts_fo_member_desc){P, 100, TS_FO_HOT, -1};
    x->mem[1] = (ts_fo_member_desc){B1, 101, b1, -1};
    x->mem[2] = (ts_fo_member_desc){B2, 102, b2, -1};
    x->d = (ts_failover_desc){.id = 7, .name = "safety_monitor", .members = x->mem,
                              .n_members = n, .heartbeat_ns = 10 * MS,
                              .detector = {.kind = TS_FD_TIMEOUT, .misses = 3},
                              .supervisor = SUP, .ctl = x->f->ctl};
}

static void create(fixture *x)
{
    ts_error err;
    x->g = ts_failover_new(&x->f->rt, &x->d, &err);
    assert_non_null(x->g);
    assert_int_equal(ts_failover_start(x->g), TS_OK);
}

static void teardown(fixture *x)
{
    ts_failover_free(x->g);
    fake_runtime_free(x->f);
    assert_int_equal(ts_alloc_live(), 0);
}

static void kill_at(fixture *x, int component, int64_t t)
{
    fake_runtime_run(x->f, t);
    x->f->component_alive[component] = 0;
}

/* The nth state change of a component after `from`, or NULL. */
static const fake_component_change *change(const fixture *x, int component, int64_t from, size_t nth)
{
    for (size_t i = 0; i < x->f->n_changes; i++) {
        const fake_component_change *c = &x->f->changes[i];
        if (c->component == component && c->time >= from && nth-- == 0)
            return c;
    }
    return NULL;
}

static size_t sent_from(const fixture *x, int from, int64_t after)
{
    /* The fake keeps no send times: count heartbeats by their stamp. */
    size_t n = 0;
    for (size_t i = 0; i < x->f->n_sent; i++)
        n += x->f->sent[i].from == from && x->f->sent[i].port == TS_PORT_LIVENESS &&
             x->f->sent[i].stamp > after;
    return n;
}

static void initial_states_and_heartbeats(void **state)
{
    (void)state;
    fixture x;
    setup(&x, 3, TS_FO_WARM, TS_FO_COLD);
    create(&x);
    fake_runtime_run(x.f, 25 * MS);
    assert_int_equal(x.f->component[P].run, TS_RT_ACTIVE);
    assert_int_equal(x.f->component[P].safety_mode, 0);
    assert_int_equal(x.f->component[B1].run, TS_RT_STANDBY);
    assert_int_equal(x.f->component[B2].run, TS_RT_STOPPED);
    /* The controller applies changes only: the primary starts ACTIVE. */
    assert_int_equal(x.f->n_changes, 2);
    /* Ticks at 0, 10, 20: each member to the two others and the supervisor. */
    assert_int_equal(fake_runtime_sent(x.f, TS_PORT_LIVENESS, TS_HB_MSG_HEARTBEAT), 3 * 3 * 3);
    const ts_rt_message *m = &x.f->sent[0];
    assert_int_equal(m->from, P);
    assert_int_equal(m->channel, 7);
    assert_int_equal(m->wire_bytes, TS_HB_WIRE_BYTES);
    ts_hb_body b;
    assert_int_equal(ts_hb_body_decode(m, &b), TS_OK);
    assert_int_equal(b.role, TS_HB_ROLE_ACTIVE);
    assert_int_equal(b.rank, 0);
    assert_int_equal(b.incarnation, 0);
    int to_sup = 0;
    for (size_t i = 0; i < x.f->n_sent; i++)
        to_sup += x.f->sent[i].to == SUP;
    assert_int_equal(to_sup, 9);
    /* The cold backup's agent heartbeats too, saying it is stopped. */
    for (size_t i = 0; i < x.f->n_sent; i++)
        if (x.f->sent[i].from == B2) {
            assert_int_equal(ts_hb_body_decode(&x.f->sent[i], &b), TS_OK);
            assert_int_equal(b.role, TS_HB_ROLE_STOPPED);
            assert_int_equal(b.rank, 2);
        }
    assert_int_equal(fake_runtime_count(x.f, "failover"), 0);
    assert_int_equal(ts_failover_active(x.g), 0);
    teardown(&x);
}

/* Primary dies at 25 ms; its last heartbeat arrived at 21 ms; N = 3 at
 * 10 ms: the hot backup suspects and serves at exactly 51 ms. */
static void hot_takeover_exact(void **state)
{
    (void)state;
    fixture x;
    setup(&x, 2, TS_FO_HOT, TS_FO_HOT);
    create(&x);
    kill_at(&x, P, 25 * MS);
    fake_runtime_run(x.f, 300 * MS);
    assert_int_equal(fake_runtime_count(x.f, "failover_decision"), 1);
    assert_int_equal(fake_runtime_count(x.f, "failover"), 1);
    const fake_record *d = fake_runtime_find(x.f, "failover_decision", 0);
    const fake_record *r = fake_runtime_find(x.f, "failover", 0);
    assert_int_equal(d->time, 51 * MS);
    assert_int_equal(r->time, 51 * MS);
    assert_int_equal(r->component, B1);
    assert_int_equal(r->node, 101);
    assert_true(r->value == 30.0 * MS);
    assert_true(d->value == 30.0 * MS);
    assert_true(r->time - 25 * MS <= 3 * 10 * MS); /* within period x N */
    const fake_component_change *c = change(&x, B1, 1, 0);
    assert_non_null(c);
    assert_int_equal(c->time, 51 * MS);
    assert_int_equal(c->state.run, TS_RT_ACTIVE);
    assert_int_equal(c->state.safety_mode, 1);
    /* A dead primary is not fenced; it is told its backup role, so that
     * it cannot serve again when its process comes back. */
    c = change(&x, P, 1, 0);
    assert_non_null(c);
    assert_int_equal(c->time, 51 * MS);
    assert_int_equal(c->state.run, TS_RT_STANDBY);
    assert_null(change(&x, P, 1, 1));
    assert_int_equal(fake_runtime_count(x.f, "fence"), 0);
    assert_int_equal(ts_failover_active(x.g), 1);
    assert_int_equal(ts_failover_count(x.g), 1);
    /* The new active member announces itself. */
    ts_hb_body b;
    const ts_rt_message *last = NULL;
    for (size_t i = 0; i < x.f->n_sent; i++)
        if (x.f->sent[i].from == B1)
            last = &x.f->sent[i];
    assert_int_equal(ts_hb_body_decode(last, &b), TS_OK);
    assert_int_equal(b.role, TS_HB_ROLE_ACTIVE);
    /* The dead primary sent nothing after it died. */
    assert_int_equal(sent_from(&x, P, 25 * MS), 0);
    teardown(&x);
}

static void warm_and_cold_delays(void **state)
{
    (void)state;
    fixture x;
    setup(&x, 2, TS_FO_WARM, TS_FO_HOT);
    create(&x);
    kill_at(&x, P, 25 * MS);
    fake_runtime_run(x.f, 300 * MS);
    assert_int_equal(fake_runtime_find(x.f, "failover_decision", 0)->time, 51 * MS);
    const fake_record *r = fake_runtime_find(x.f, "failover", 0);
    assert_int_equal(r->time, 56 * MS);
    assert_true(r->value == 35.0 * MS);
    assert_int_equal(change(&x, B1, 1, 0)->time, 56 * MS);
    teardown(&x);

    setup(&x, 2, TS_FO_COLD, TS_FO_HOT);
    create(&x);
    assert_int_equal(x.f->component[B1].run, TS_RT_STOPPED);
    kill_at(&x, P, 25 * MS);
    fake_runtime_run(x.f, 400 * MS);
    assert_int_equal(fake_runtime_count(x.f, "failover"), 0);
    fake_runtime_run(x.f, 1000 * MS);
    r = fake_runtime_find(x.f, "failover", 0);
    assert_int_equal(r->time, 551 * MS);
    assert_true(r->value == 530.0 * MS);
    const fake_component_change *c = change(&x, B1, 1, 0);
    assert_int_equal(c->state.run, TS_RT_ACTIVE); /* STOPPED -> ACTIVE */
    assert_int_equal(c->state.safety_mode, 1);
    teardown(&x);

    /* An explicit takeover delay overrides the kind's default. */
    setup(&x, 2, TS_FO_WARM, TS_FO_HOT);
    x.mem[1].takeover_ns = 12 * MS;
    create(&x);
    kill_at(&x, P, 25 * MS);
    fake_runtime_run(x.f, 300 * MS);
    assert_int_equal(fake_runtime_find(x.f, "failover", 0)->time, 63 * MS);
    teardown(&x);
}

static void second_backup(void **state)
{
    (void)state;
    fixture x;
    /* Both the primary and the first backup die: the second one, which
     * suspects both, takes over; the first never acts. */
    setup(&x, 3, TS_FO_HOT, TS_FO_HOT);
    create(&x);
    kill_at(&x, P, 25 * MS);
    x.f->component_alive[B1] = 0;
    fake_runtime_run(x.f, 300 * MS);
    assert_int_equal(fake_runtime_count(x.f, "failover"), 1);
    const fake_record *r = fake_runtime_find(x.f, "failover", 0);
    assert_int_equal(r->component, B2);
    assert_int_equal(r->time, 51 * MS);
    assert_true(r->value == 30.0 * MS);
    assert_null(change(&x, B1, 1, 0));
    assert_int_equal(ts_failover_active(x.g), 2);
    teardown(&x);

    /* One after the other: B1 at 51 ms, then B1 dies at 105 ms (its last
     * heartbeat arrived at 101 ms) and B2 serves at 131 ms. While B1
     * lives, B2 waits for it although it also suspects the primary. */
    setup(&x, 3, TS_FO_HOT, TS_FO_HOT);
    create(&x);
    kill_at(&x, P, 25 * MS);
    kill_at(&x, B1, 105 * MS);
    fake_runtime_run(x.f, 400 * MS);
    assert_int_equal(fake_runtime_count(x.f, "failover"), 2);
    assert_int_equal(fake_runtime_find(x.f, "failover", 0)->component, B1);
    r = fake_runtime_find(x.f, "failover", 1);
    assert_int_equal(r->component, B2);
    assert_int_equal(r->time, 131 * MS);
    assert_true(r->value == 30.0 * MS);
    assert_non_null(strstr(r->detail, "replacing 2"));
    assert_int_equal(ts_failover_count(x.g), 2);
    teardown(&x);
}

/* Deterministic jitter: the latency changes every few ms between 0.2 and
 * 7 ms (heartbeats may even overtake each other). */
static void no_takeover_with_jitter(void **state)
{
    (void)state;
    for (int kind = 0; kind < 2; kind++) {
        fixture x;
        setup(&x, 3, TS_FO_HOT, TS_FO_WARM);
        x.d.detector.kind = kind ? TS_FD_PHI : TS_FD_TIMEOUT;
        create(&x);
        uint32_t lcg = 12345;
        for (int64_t t = 0; t < 3000 * MS; t += 3 * MS) {
            lcg = lcg * 1664525u + 1013904223u;
            x.f->latency_ns = 200000 + (int64_t)(lcg >> 8) % (7 * MS - 200000);
            fake_runtime_run(x.f, t);
        }
        assert_int_equal(fake_runtime_count(x.f, "failover_decision"), 0);
        assert_int_equal(fake_runtime_count(x.f, "failover"), 0);
        assert_int_equal(x.f->component[P].run, TS_RT_ACTIVE);
        assert_true(x.f->delivered > 1500);
        teardown(&x);
    }
}

typedef struct dropper {
    int from;
    uint64_t lo, hi;            /* drop seq in [lo, hi] from `from` */
} dropper;

static int drop_fn(void *ctx, const ts_rt_message *m)
{
    const dropper *d = ctx;
    return m->from == d->from && m->seq >= d->lo && m->seq <= d->hi;
}

/* Heartbeat k (seq k) is sent at (k - 1) * 10 ms. With a 2 ms margin,
 * losing two in a row is tolerated; losing three is a (false) suspicion,
 * and the still-running primary is fenced. */
static void lost_heartbeats_and_fencing(void **state)
{
    (void)state;
    fixture x;
    setup(&x, 2, TS_FO_HOT, TS_FO_HOT);
    x.d.detector.margin_ns = 2 * MS;
    dropper dr = {P, 4, 5}; /* sent at 30 and 40 ms */
    x.f->drop = drop_fn;
    x.f->drop_ctx = &dr;
    create(&x);
    fake_runtime_run(x.f, 500 * MS);
    assert_int_equal(x.f->dropped, 4); /* to B1 and to the supervisor */
    assert_int_equal(fake_runtime_count(x.f, "failover"), 0);
    teardown(&x);

    setup(&x, 2, TS_FO_HOT, TS_FO_HOT);
    x.d.detector.margin_ns = 2 * MS;
    dr = (dropper){P, 4, 6}; /* 30, 40, 50 ms: last arrival 21 ms */
    x.f->drop = drop_fn;
    x.f->drop_ctx = &dr;
    create(&x);
    fake_runtime_run(x.f, 500 * MS);
    assert_int_equal(fake_runtime_count(x.f, "failover"), 1);
    const fake_record *r = fake_runtime_find(x.f, "failover", 0);
    assert_int_equal(r->time, 53 * MS);
    assert_true(r->value == 32.0 * MS);
    /* Fencing: the primary is alive, so it is stopped, at the takeover. */
    assert_int_equal(fake_runtime_count(x.f, "fence"), 1);
    const fake_record *fr = fake_runtime_find(x.f, "fence", 0);
    assert_int_equal(fr->component, P);
    assert_int_equal(fr->node, 100);
    assert_int_equal(fr->time, 53 * MS);
    assert_true(fr->value == (double)B1);
    const fake_component_change *c = change(&x, P, 1, 0);
    assert_non_null(c);
    assert_int_equal(c->time, 53 * MS);
    assert_int_equal(c->state.run, TS_RT_STOPPED);
    /* The fenced primary is silent (its tick at 60 ms sends nothing)
     * until it hears B1 announce that it serves (sent at 60 ms, heard at
     * 61 ms); then it rejoins as the last backup and heartbeats again
     * from its tick at 70 ms, and B1 keeps serving. */
    assert_int_equal(sent_from(&x, P, 53 * MS) - sent_from(&x, P, 69 * MS), 0);
    assert_true(sent_from(&x, P, 69 * MS) > 0);
    assert_int_equal(fake_runtime_count(x.f, "rejoin"), 1);
    const fake_record *rj = fake_runtime_find(x.f, "rejoin", 0);
    assert_int_equal(rj->component, P);
    assert_int_equal(rj->time, 61 * MS);
    assert_true(rj->value == 2.0);
    assert_int_equal(ts_failover_member_fenced(x.g, 0), 0);
    assert_int_equal(ts_failover_member_rank(x.g, 0), 2);
    assert_int_equal(x.f->component[P].run, TS_RT_STANDBY);
    assert_int_equal(x.f->component[B1].run, TS_RT_ACTIVE);
    assert_int_equal(fake_runtime_count(x.f, "failover"), 1);
    teardown(&x);
}

/* A false suspicion must not cost the group its fenced member for good:
 * the primary fenced at 53 ms (as above) rejoins at 61 ms, and when B1
 * dies at 95 ms (its last heartbeat, sent at 90 ms, heard at 91 ms) the
 * old primary suspects it at 91 + 30 + 2 (margin) ms and, hot, serves. Before
 * fenced members rejoined, nobody served from 95 ms on although the
 * primary's process was alive. */
static void fenced_member_serves_again(void **state)
{
    (void)state;
    fixture x;
    setup(&x, 2, TS_FO_HOT, TS_FO_HOT);
    x.d.detector.margin_ns = 2 * MS;
    dropper dr = {P, 4, 6};
    x.f->drop = drop_fn;
    x.f->drop_ctx = &dr;
    create(&x);
    kill_at(&x, B1, 95 * MS);
    fake_runtime_run(x.f, 500 * MS);
    assert_int_equal(fake_runtime_count(x.f, "fence"), 1);
    assert_int_equal(fake_runtime_count(x.f, "failover"), 2);
    const fake_record *r = fake_runtime_find(x.f, "failover", 1);
    assert_int_equal(r->component, P);
    assert_int_equal(r->time, 123 * MS);
    assert_int_equal(x.f->component[P].run, TS_RT_ACTIVE);
    assert_int_equal(x.f->component[P].safety_mode, 1);
    teardown(&x);
}

/* A warm backup with a 20 ms takeover decides at 51 ms, but the primary is
 * heard again at 61 ms: at 71 ms it abandons the takeover. */
static void aborted_takeover(void **state)
{
    (void)state;
    fixture x;
    setup(&x, 2, TS_FO_WARM, TS_FO_HOT);
    x.mem[1].takeover_ns = 20 * MS;
    dropper dr = {P, 4, 6};
    x.f->drop = drop_fn;
    x.f->drop_ctx = &dr;
    create(&x);
    fake_runtime_run(x.f, 300 * MS);
    assert_int_equal(fake_runtime_find(x.f, "failover_decision", 0)->time, 51 * MS);
    assert_int_equal(fake_runtime_count(x.f, "failover"), 0);
    const fake_record *a = fake_runtime_find(x.f, "failover_aborted", 0);
    assert_non_null(a);
    assert_int_equal(a->time, 71 * MS);
    assert_true(a->value == 20.0 * MS);
    assert_null(change(&x, B1, 1, 0));
    assert_null(change(&x, P, 1, 0));
    teardown(&x);
}

/* The group is freed in the middle of a takeover delay: nothing fires
 * afterwards (ASan would see a use after free). */
static void free_during_takeover(void **state)
{
    (void)state;
    fixture x;
    setup(&x, 2, TS_FO_COLD, TS_FO_HOT);
    create(&x);
    kill_at(&x, P, 25 * MS);
    fake_runtime_run(x.f, 100 * MS);
    assert_int_equal(fake_runtime_count(x.f, "failover_decision"), 1);
    ts_failover_free(x.g);
    x.g = NULL;
    fake_runtime_run(x.f, 2000 * MS);
    assert_int_equal(fake_runtime_count(x.f, "failover"), 0);
    teardown(&x);
}

/* Stale or duplicated heartbeats say nothing about the present. */
static void stale_heartbeat_ignored(void **state)
{
    (void)state;
    for (int fresh = 0; fresh < 2; fresh++) {
        fixture x;
        setup(&x, 2, TS_FO_HOT, TS_FO_HOT);
        create(&x);
        kill_at(&x, P, 25 * MS);
        fake_runtime_run(x.f, 45 * MS);
        ts_rt_message m = x.f->sent[0]; /* P's first heartbeat, seq 1 */
        assert_int_equal(m.from, P);
        m.to = B1;
        if (fresh)
            m.seq = 1000;
        x.f->listeners[B1][TS_PORT_LIVENESS].fn(x.f->listeners[B1][TS_PORT_LIVENESS].ctx, &m);
        fake_runtime_run(x.f, 300 * MS);
        assert_int_equal(fake_runtime_find(x.f, "failover", 0)->time, fresh ? 75 * MS : 51 * MS);
        teardown(&x);
    }
}

/* The primary dies at 25 ms, B1 serves at 51 ms; the primary's process is
 * back at 200.5 ms, which its next tick (210 ms) notices: it rejoins as
 * the last backup, in STANDBY, and does not take the service back. When B1
 * dies later, the old primary takes over as a backup would. */
static void rejoin_after_restart(void **state)
{
    (void)state;
    fixture x;
    setup(&x, 2, TS_FO_HOT, TS_FO_HOT);
    create(&x);
    kill_at(&x, P, 25 * MS);
    fake_runtime_run(x.f, 200 * MS + 500000);
    x.f->component_alive[P] = 1;
    /* Back but not yet rejoined: it does not serve (no split brain). */
    fake_runtime_run(x.f, 205 * MS);
    assert_int_equal(ts_ctl_serves(x.f->ctl, P), 0);
    assert_int_equal(ts_ctl_server(x.f->ctl, P), B1);
    fake_runtime_run(x.f, 500 * MS);
    assert_int_equal(fake_runtime_count(x.f, "rejoin"), 1);
    const fake_record *j = fake_runtime_find(x.f, "rejoin", 0);
    assert_int_equal(j->time, 210 * MS);
    assert_int_equal(j->component, P);
    assert_true(j->value == 2.0);
    assert_int_equal(ts_failover_member_rank(x.g, 0), 2);
    /* STANDBY since B1's takeover; rejoining changes nothing. */
    const fake_component_change *c = change(&x, P, 1, 0);
    assert_non_null(c);
    assert_int_equal(c->time, 51 * MS);
    assert_int_equal(c->state.run, TS_RT_STANDBY);
    assert_int_equal(c->state.safety_mode, 0);
    assert_null(change(&x, P, 52 * MS, 0)); /* no fail-back */
    assert_int_equal(fake_runtime_count(x.f, "failover"), 1);
    assert_int_equal(ts_failover_active(x.g), 1);
    /* Its heartbeats carry the new incarnation and rank. */
    const ts_rt_message *last = NULL;
    for (size_t i = 0; i < x.f->n_sent; i++)
        if (x.f->sent[i].from == P)
            last = &x.f->sent[i];
    ts_hb_body b;
    assert_int_equal(ts_hb_body_decode(last, &b), TS_OK);
    assert_int_equal(b.incarnation, 1);
    assert_int_equal(b.rank, 2);
    assert_int_equal(b.role, TS_HB_ROLE_STANDBY);

    kill_at(&x, B1, 505 * MS);
    fake_runtime_run(x.f, 800 * MS);
    assert_int_equal(fake_runtime_count(x.f, "failover"), 2);
    const fake_record *r = fake_runtime_find(x.f, "failover", 1);
    assert_int_equal(r->component, P);
    assert_int_equal(r->time, 531 * MS);
    c = change(&x, P, 211 * MS, 0);
    assert_int_equal(c->state.run, TS_RT_ACTIVE);
    assert_int_equal(c->state.safety_mode, 1);
    teardown(&x);
}

/* B1 dies at 5 ms, having heard the primary at rank 0. The primary
 * crashes and restarts twice, and each time rejoins (ranks 2, then 3) and
 * takes over again from the silent B1. When B1 comes back at 309.5 ms it
 * rejoins at rank 2 from what it knew (the primary's rank 0, its own 1)
 * and then hears the primary serving at rank 3, "below" it: it must not
 * take over from nobody (two would serve), but wait for the serving
 * member to fail like any member ranked above. */
static void stale_rank_after_long_outage(void **state)
{
    (void)state;
    fixture x;
    setup(&x, 2, TS_FO_HOT, TS_FO_HOT);
    create(&x);
    kill_at(&x, B1, 5 * MS);
    /* down over one heartbeat tick each time (at 110 and 210 ms) */
    for (int k = 1; k <= 2; k++) {
        kill_at(&x, P, k * 100 * MS + MS);
        fake_runtime_run(x.f, k * 100 * MS + 15 * MS);
        x.f->component_alive[P] = 1;
    }
    /* B1 is back just before its tick at 310 ms, after the primary's
     * beat of 300 ms arrived: it rejoins before it hears the primary. */
    fake_runtime_run(x.f, 309 * MS + 500000);
    assert_int_equal(fake_runtime_count(x.f, "rejoin"), 2);
    assert_int_equal(ts_failover_member_rank(x.g, 0), 3);
    assert_int_equal(x.f->component[P].run, TS_RT_ACTIVE);
    size_t failovers = fake_runtime_count(x.f, "failover");
    x.f->component_alive[B1] = 1;
    fake_runtime_run(x.f, 600 * MS);
    assert_int_equal(ts_failover_member_rank(x.g, 1), 2);
    assert_int_equal(fake_runtime_count(x.f, "failover"), failovers);
    assert_int_equal(x.f->component[P].run, TS_RT_ACTIVE);
    assert_int_equal(x.f->component[B1].run, TS_RT_STANDBY);
    /* ... and takes over, fencing nobody, when the primary dies. */
    kill_at(&x, P, 605 * MS);
    fake_runtime_run(x.f, 900 * MS);
    assert_int_equal(fake_runtime_count(x.f, "failover"), failovers + 1);
    assert_int_equal(x.f->component[B1].run, TS_RT_ACTIVE);
    assert_int_equal(fake_runtime_count(x.f, "fence"), 0);
    teardown(&x);
}

/* With a phi detector the takeover comes at the hand-computed crossing:
 * 100 intervals of exactly 10 ms, sigma floored to 2 ms, threshold 8:
 * 10 ms + Q^-1(1e-8) * 2 ms = 21.224002488 ms after the last arrival. */
static void phi_takeover_exact(void **state)
{
    (void)state;
    fixture x;
    setup(&x, 2, TS_FO_HOT, TS_FO_HOT);
    x.d.detector = (ts_fd_desc){.kind = TS_FD_PHI, .phi_threshold = 8, .min_std_ns = 2 * MS};
    create(&x);
    kill_at(&x, P, 1005 * MS);
    fake_runtime_run(x.f, 1500 * MS);
    const fake_record *r = fake_runtime_find(x.f, "failover", 0);
    assert_non_null(r);
    assert_int_equal(r->time, 1001 * MS + 21224003);
    assert_true(r->value == 21224003.0);
    teardown(&x);
}

static void bad_descriptions(void **state)
{
    (void)state;
    fixture x;
    ts_error err;
    setup(&x, 2, TS_FO_HOT, TS_FO_HOT);
    x.d.heartbeat_ns = 0;
    assert_null(ts_failover_new(&x.f->rt, &x.d, &err));
    assert_int_equal(err.code, TS_EINVAL);
    x.d.heartbeat_ns = 10 * MS;
    x.mem[1].component = P;
    assert_null(ts_failover_new(&x.f->rt, &x.d, &err));
    x.mem[1].component = SUP;
    assert_null(ts_failover_new(&x.f->rt, &x.d, &err));
    x.mem[1].component = B1;
    x.d.detector.phi_threshold = -2;
    x.d.detector.kind = TS_FD_PHI;
    assert_null(ts_failover_new(&x.f->rt, &x.d, &err));
    assert_int_equal(err.code, TS_EINVAL);
    x.d.n_members = 0;
    assert_null(ts_failover_new(&x.f->rt, &x.d, &err));
    teardown(&x);
}

static void allocation_failures(void **state)
{
    (void)state;
    for (long n = 1; n < 40; n++) {
        fixture x;
        setup(&x, 3, TS_FO_HOT, TS_FO_COLD);
        x.d.detector.kind = TS_FD_PHI;
        ts_error err;
        ts_alloc_fail_after(n);
        x.g = ts_failover_new(&x.f->rt, &x.d, &err);
        ts_alloc_fail_after(0);
        if (x.g) {
            assert_int_equal(ts_failover_start(x.g), TS_OK);
            fake_runtime_run(x.f, 50 * MS);
        } else {
            assert_int_equal(err.code, TS_ENOMEM);
        }
        teardown(&x);
    }
}

/* A send the runtime refuses is recorded as such ("send_failed", naming
 * the sender), never passed off as network loss; a heartbeat timer the
 * runtime refuses stops the beats with a record, not silently. */
static void failed_sends_are_not_loss(void **state)
{
    (void)state;
    fixture x;
    setup(&x, 2, TS_FO_HOT, TS_FO_HOT);
    x.f->fail_sends = 1;
    create(&x);
    fake_runtime_run(x.f, 5 * MS);
    /* The tick at 0: each member to the other and the supervisor. */
    assert_int_equal(fake_runtime_count(x.f, "send_failed"), 4);
    const fake_record *r = fake_runtime_find(x.f, "send_failed", 0);
    assert_int_equal(r->component, P);
    assert_true(r->value == (double)TS_EIO);
    assert_non_null(strstr(r->detail, "not network loss"));
    assert_int_equal(x.f->dropped, 0);
    assert_int_equal(x.f->delivered, 0);
    x.f->fail_sends = 0;
    x.f->timers_left = 0;
    fake_runtime_run(x.f, 15 * MS);
    assert_int_equal(fake_runtime_count(x.f, "heartbeat_stopped"), 2);
    teardown(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(initial_states_and_heartbeats),
        cmocka_unit_test(hot_takeover_exact),
        cmocka_unit_test(warm_and_cold_delays),
        cmocka_unit_test(second_backup),
        cmocka_unit_test(no_takeover_with_jitter),
        cmocka_unit_test(lost_heartbeats_and_fencing),
        cmocka_unit_test(fenced_member_serves_again),
        cmocka_unit_test(aborted_takeover),
        cmocka_unit_test(free_during_takeover),
        cmocka_unit_test(stale_heartbeat_ignored),
        cmocka_unit_test(rejoin_after_restart),
        cmocka_unit_test(stale_rank_after_long_outage),
        cmocka_unit_test(phi_takeover_exact),
        cmocka_unit_test(bad_descriptions),
        cmocka_unit_test(allocation_failures),
        cmocka_unit_test(failed_sends_are_not_loss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
