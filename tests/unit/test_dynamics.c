/* Tests for src/platform/dynamics.c on the engine, with stub callbacks
 * that record every call: throttling engages and releases at the analytic
 * crossing times of a single RC (the hysteresis), energy equals a
 * hand-computed integral, a power mode caps cores and clocks, the battery
 * reports low charge at (capacity - threshold) / P, an ambient change
 * drives a thermal shutdown at its analytic time, a crash stops the power,
 * callbacks may re-enter, and many load changes allocate nothing and miss
 * no crossing. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "toposim/alloc.h"
#include "toposim/dynamics.h"

#define MAXREC 64

typedef struct call {
    ts_time t;
    int node;
    double a, b;
} call;

typedef struct evrec {
    ts_time t;
    char kind[32];
    int node;
    double value;
    char detail[160];
    double die_c;   /* the node's die temperature as queried in the call */
} evrec;

typedef struct rec {
    ts_engine *e;
    ts_dynamics *dyn;
    call speed[MAXREC];
    size_t n_speed;
    call cores[MAXREC];
    size_t n_cores;
    call up[MAXREC];
    size_t n_up;
    evrec ev[MAXREC];
    size_t n_ev;
    double reenter_cores;   /* >= 0: a throttled speed makes the "compute
                               model" report this many busy cores */
    int reenter_mode;       /* >= 0: the next reduced speed switches the
                               node to this mode from inside the callback */
} rec;

static void cb_speed(void *ctx, int node, double cpu, double gpu)
{
    rec *r = ctx;
    assert_true(r->n_speed < MAXREC);
    r->speed[r->n_speed++] = (call){ts_engine_now(r->e), node, cpu, gpu};
    if (r->reenter_cores >= 0 && cpu < 1)
        assert_int_equal(ts_dynamics_set_load(r->dyn, node, r->reenter_cores, 0),
                         TS_OK);
    if (r->reenter_mode >= 0 && cpu < 1) {
        int mode = r->reenter_mode;
        r->reenter_mode = -1;
        assert_int_equal(ts_dynamics_set_mode(r->dyn, node, mode), TS_OK);
    }
}

static void cb_cores(void *ctx, int node, int n)
{
    rec *r = ctx;
    assert_true(r->n_cores < MAXREC);
    r->cores[r->n_cores++] = (call){ts_engine_now(r->e), node, n, 0};
}

static void cb_up(void *ctx, int node, int up)
{
    rec *r = ctx;
    assert_true(r->n_up < MAXREC);
    r->up[r->n_up++] = (call){ts_engine_now(r->e), node, up, 0};
}

static void cb_event(void *ctx, const ts_platform_event *ev)
{
    rec *r = ctx;
    assert_true(r->n_ev < MAXREC);
    evrec *x = &r->ev[r->n_ev++];
    x->t = ev->time;
    assert_true(ev->time == ts_engine_now(r->e));
    snprintf(x->kind, sizeof x->kind, "%s", ts_event_kind_name(ev->kind));
    x->node = ev->node;
    x->value = ev->value;
    snprintf(x->detail, sizeof x->detail, "%s", ev->detail);
    x->die_c = NAN;
    if (r->dyn && ev->node >= 0) {
        ts_dyn_state st;
        assert_int_equal(ts_dynamics_state(r->dyn, ev->node, &st), TS_OK);
        x->die_c = st.die_c;
    }
}

static void rec_init(rec *r, ts_engine *e)
{
    memset(r, 0, sizeof *r);
    r->e = e;
    r->reenter_cores = -1;
    r->reenter_mode = -1;
}

static ts_dynamics_config config(rec *r, const ts_dyn_node_desc *nodes,
                                 size_t n, const ts_battery_desc *bats,
                                 size_t nb)
{
    ts_dynamics_config c = {0};
    c.nodes = nodes;
    c.n_nodes = n;
    c.batteries = bats;
    c.n_batteries = nb;
    c.ambient_c = 25;
    c.ctx = r;
    c.set_speed = cb_speed;
    c.set_online_cores = cb_cores;
    c.set_node_up = cb_up;
    c.on_event = cb_event;
    return c;
}

static const evrec *find_event(const rec *r, const char *kind, size_t nth)
{
    for (size_t i = 0; i < r->n_ev; i++)
        if (strcmp(r->ev[i].kind, kind) == 0 && nth-- == 0)
            return &r->ev[i];
    return NULL;
}

static size_t count_events(const rec *r, const char *kind)
{
    size_t k = 0;
    for (size_t i = 0; i < r->n_ev; i++)
        k += strcmp(r->ev[i].kind, kind) == 0;
    return k;
}

static double secs(ts_time t) { return (double)t * 1e-9; }

/* A node with 4 cores of 5 W each at the reference clock and a single RC
 * of R = 2 K/W, C = 10 J/K (tau 20 s); throttle at 60 C to x0.5, release
 * at 50 C. */
static ts_dyn_node_desc hot_node(void)
{
    ts_dyn_node_desc d = {0};
    d.cores = 4;
    d.has_power = 1;
    d.power.idle_w = 0;
    d.power.core_dyn_w = 5;
    d.power.cpu_ref_hz = 2e9;
    d.power.dyn_exponent = 3;
    d.power.initial_mode = -1;
    d.has_thermal = 1;
    d.thermal.r_die_case = 0.5;
    d.thermal.r_case_ambient = 1.5;
    d.thermal.c_die = 10;
    d.thermal.throttle_c = 60;
    d.thermal.release_c = 50;
    d.thermal.throttle_scale = 0.5;
    d.battery = -1;
    return d;
}

/* ---- throttling with hysteresis ---- */

static void test_throttle_hysteresis(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    rec r;
    rec_init(&r, e);
    ts_dyn_node_desc nd = hot_node();
    ts_dynamics_config cfg = config(&r, &nd, 1, NULL, 0);
    ts_error err;
    assert_int_equal(ts_dynamics_new(e, &cfg, &r.dyn, &err), TS_OK);
    assert_int_equal(ts_dynamics_start(r.dyn), TS_OK);
    assert_int_equal(ts_dynamics_set_load(r.dyn, 0, 4, 0), TS_OK);
    /* start: 4 cores online, full speed */
    assert_int_equal(r.n_cores, 1);
    assert_int_equal((int)r.cores[0].a, 4);
    assert_int_equal(r.n_speed, 1);
    assert_true(r.speed[0].a == 1.0);

    const double tau = 20, ta = 25;
    /* 20 W: steady 65 C; 60 C at tau ln(40/5) */
    double t1 = tau * log(40.0 / 5.0);
    /* throttled: 20 W x 0.125 = 2.5 W, steady 30 C; 60 -> 50 C takes
     * tau ln(30/20) */
    double t2 = t1 + tau * log(30.0 / 20.0);
    /* released: 20 W again, 50 -> 60 C takes tau ln(15/5) */
    double t3 = t2 + tau * log(15.0 / 5.0);

    /* halfway, the die follows Ta + P R (1 - e^{-t/tau}) */
    ts_engine_run(e, 30 * TS_S);
    ts_dyn_state st;
    assert_int_equal(ts_dynamics_state(r.dyn, 0, &st), TS_OK);
    assert_true(fabs(st.die_c - (ta + 40 * (1 - exp(-30 / tau)))) < 1e-9);
    assert_true(st.power_w == 20);
    assert_int_equal(st.throttle_level, 0);

    ts_engine_run(e, 75 * TS_S); /* the next release is at t3 + 8.1 s */
    const evrec *th = find_event(&r, "throttle", 0);
    const evrec *rel = find_event(&r, "throttle_release", 0);
    const evrec *th2 = find_event(&r, "throttle", 1);
    assert_non_null(th);
    assert_non_null(rel);
    assert_non_null(th2);
    assert_true(fabs(secs(th->t) - t1) < 1e-6);
    assert_true(fabs(secs(rel->t) - t2) < 1e-6);
    assert_true(fabs(secs(th2->t) - t3) < 1e-6);
    assert_true(fabs(th->die_c - 60) < 1e-6);
    assert_true(fabs(rel->die_c - 50) < 1e-6);
    assert_int_equal(count_events(&r, "throttle"), 2);
    assert_int_equal(count_events(&r, "throttle_release"), 1);
    /* the speed callback saw x0.5, x1, x0.5 at those times */
    assert_int_equal(r.n_speed, 4);
    assert_true(r.speed[1].a == 0.5 && r.speed[1].t == th->t);
    assert_true(r.speed[2].a == 1.0 && r.speed[2].t == rel->t);
    assert_true(r.speed[3].a == 0.5 && r.speed[3].t == th2->t);
    /* throttled now: 2.5 W and the clock halved */
    assert_int_equal(ts_dynamics_state(r.dyn, 0, &st), TS_OK);
    assert_int_equal(st.throttle_level, 1);
    assert_true(st.power_w == 2.5);
    assert_true(st.cpu_hz == 1e9);
    ts_dynamics_free(r.dyn);
    ts_engine_free(e);
}

/* A callback that changes the load from inside the dynamics' update (the
 * compute model reacting to the new clock) is taken into account. */
static void test_reentrant_load(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    rec r;
    rec_init(&r, e);
    r.reenter_cores = 2;
    ts_dyn_node_desc nd = hot_node();
    ts_dynamics_config cfg = config(&r, &nd, 1, NULL, 0);
    assert_int_equal(ts_dynamics_new(e, &cfg, &r.dyn, NULL), TS_OK);
    assert_int_equal(ts_dynamics_start(r.dyn), TS_OK);
    assert_int_equal(ts_dynamics_set_load(r.dyn, 0, 4, 0), TS_OK);
    double t1 = 20 * log(8.0);
    ts_engine_run(e, (ts_time)(t1 * 1e9) + TS_MS);
    ts_dyn_state st;
    assert_int_equal(ts_dynamics_state(r.dyn, 0, &st), TS_OK);
    assert_int_equal(st.throttle_level, 1);
    /* 2 cores x 5 W x 0.125 */
    assert_true(fabs(st.power_w - 1.25) < 1e-12);
    /* 1.25 W: steady 27.5 C; 60 -> 50 C takes 20 ln(32.5 / 22.5) */
    ts_engine_run(e, 200 * TS_S);
    const evrec *rel = find_event(&r, "throttle_release", 0);
    assert_non_null(rel);
    assert_true(fabs(secs(rel->t) - (t1 + 20 * log(32.5 / 22.5))) < 1e-6);
    ts_dynamics_free(r.dyn);
    ts_engine_free(e);
}

/* ---- energy ---- */

typedef struct step {
    ts_time at;
    int kind;       /* 0 load, 1 mode */
    double cores, gpus;
    int mode;
} step;

static const step pattern[] = {
    {0, 0, 2, 0, 0},
    {1500 * TS_MS, 0, 4, 1, 0},
    {2250 * TS_MS, 0, 0, 0, 0},
    {4 * TS_S, 0, 1, 0, 0},
    {5 * TS_S, 1, 0, 0, 1},
    {5500 * TS_MS, 0, 2.5, 0, 0},
};

typedef struct energy_ctx {
    rec *r;
    double sum_j;       /* sampled power x 1 ms */
} energy_ctx;

static void do_step(ts_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    rec *r = ctx;
    const step *s = &pattern[arg];
    if (s->kind == 0)
        assert_int_equal(ts_dynamics_set_load(r->dyn, 0, s->cores, s->gpus),
                         TS_OK);
    else
        assert_int_equal(ts_dynamics_set_mode(r->dyn, 0, s->mode), TS_OK);
}

static void sample(ts_engine *e, void *ctx, uint64_t arg)
{
    energy_ctx *c = ctx;
    ts_dyn_state st;
    assert_int_equal(ts_dynamics_state(c->r->dyn, 0, &st), TS_OK);
    c->sum_j += st.power_w * 1e-3;
    if (arg + 1 < 6000)
        ts_engine_schedule(e, ts_engine_now(e) + TS_MS, sample, c, arg + 1, NULL);
}

static void test_energy(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(64);
    rec r;
    rec_init(&r, e);
    static const ts_power_mode modes[] = {{"MAXN", 0, 0, 0, 0, 0, 0},
                                          {"half", 0, 1e9, 0, 5, 0, 0}};
    ts_dyn_node_desc nd = {0};
    nd.cores = 4;
    nd.gpus = 1;
    nd.has_power = 1;
    nd.power.idle_w = 3;
    nd.power.core_dyn_w = 2;
    nd.power.gpu_dyn_w = 8;
    nd.power.cpu_ref_hz = 2e9;
    nd.power.gpu_ref_hz = 1e9;
    nd.power.dyn_exponent = 3;
    nd.power.modes = modes;
    nd.power.n_modes = 2;
    nd.power.initial_mode = 0;
    nd.battery = 0;
    ts_battery_desc bat = {"r1", 1.0, 0};
    ts_dynamics_config cfg = config(&r, &nd, 1, &bat, 1);
    assert_int_equal(ts_dynamics_new(e, &cfg, &r.dyn, NULL), TS_OK);
    assert_int_equal(ts_dynamics_start(r.dyn), TS_OK);
    for (size_t i = 0; i < sizeof pattern / sizeof pattern[0]; i++)
        assert_int_equal(ts_engine_schedule(e, pattern[i].at, do_step, &r, i,
                                            NULL), TS_OK);
    energy_ctx c = {&r, 0};
    /* sampled at the end of each millisecond, after that instant's steps:
     * so the sample at k ms holds the power of [k, k+1) ms */
    ts_engine_schedule(e, 0, sample, &c, 0, NULL);
    ts_engine_run(e, 6 * TS_S);
    /* by hand: [0,1.5) 3+2x2 = 7 W; [1.5,2.25) 3+4x2+8 = 19 W; [2.25,4)
     * 3 W; [4,5) 5 W; [5,5.5) half clock, one core: 3 + 2/8 = 3.25 W;
     * [5.5,6) 3 + 2.5 x 2/8 = 3.625 W */
    double want = 7 * 1.5 + 19 * 0.75 + 3 * 1.75 + 5 * 1 + 3.25 * 0.5 +
                  3.625 * 0.5;
    double got = ts_dynamics_energy_j(r.dyn, 0);
    assert_true(fabs(got - want) < 1e-9 * want);
    assert_true(fabs(c.sum_j - want) < 1e-9 * want);
    ts_dyn_state st;
    assert_int_equal(ts_dynamics_state(r.dyn, 0, &st), TS_OK);
    assert_true(fabs(st.energy_j - want) < 1e-9 * want);
    assert_true(fabs(st.battery_wh - (1.0 - want / 3600)) < 1e-12);
    assert_true(isnan(st.die_c));
    ts_dynamics_free(r.dyn);
    ts_engine_free(e);
}

/* ---- power modes ---- */

static void test_power_mode(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    rec r;
    rec_init(&r, e);
    static const ts_power_mode modes[] = {{"MAXN", 0, 0, 0, 40, 0, 0},
                                          {"10W", 4, 1.2e9, 0.5e9, 10, 0, 0}};
    ts_dyn_node_desc nd = {0};
    nd.cores = 8;
    nd.gpus = 1;
    nd.has_power = 1;
    nd.power.idle_w = 5;
    nd.power.core_dyn_w = 1.5;
    nd.power.gpu_dyn_w = 10;
    nd.power.cpu_ref_hz = 2e9;
    nd.power.gpu_ref_hz = 1e9;
    nd.power.modes = modes;
    nd.power.n_modes = 2;
    nd.power.initial_mode = 0;
    nd.battery = -1;
    ts_dynamics_config cfg = config(&r, &nd, 1, NULL, 0);
    assert_int_equal(ts_dynamics_new(e, &cfg, &r.dyn, NULL), TS_OK);
    assert_int_equal(ts_dynamics_start(r.dyn), TS_OK);
    assert_int_equal(ts_dynamics_set_load(r.dyn, 0, 6, 1), TS_OK);
    ts_dyn_state st;
    assert_int_equal(ts_dynamics_state(r.dyn, 0, &st), TS_OK);
    assert_string_equal(st.mode_name, "MAXN");
    assert_int_equal(st.online_cores, 8);
    assert_true(fabs(st.power_w - (5 + 6 * 1.5 + 10)) < 1e-12);
    assert_int_equal(r.n_cores, 1);
    assert_int_equal((int)r.cores[0].a, 8);

    ts_engine_run(e, TS_S);
    assert_int_equal(ts_dynamics_set_mode(r.dyn, 0, 1), TS_OK);
    /* online cores 4 and clocks 0.6 / 0.5 pushed, one event */
    assert_int_equal(r.n_cores, 2);
    assert_int_equal((int)r.cores[1].a, 4);
    assert_true(r.cores[1].t == TS_S);
    assert_int_equal(r.n_speed, 2);
    assert_true(fabs(r.speed[1].a - 0.6) < 1e-15);
    assert_true(fabs(r.speed[1].b - 0.5) < 1e-15);
    const evrec *pm = find_event(&r, "power_mode", 0);
    assert_non_null(pm);
    assert_true(pm->t == TS_S);
    assert_true(pm->value == 10);
    assert_non_null(strstr(pm->detail, "10W"));
    assert_int_equal(ts_dynamics_state(r.dyn, 0, &st), TS_OK);
    assert_string_equal(st.mode_name, "10W");
    assert_int_equal(st.online_cores, 4);
    assert_true(fabs(st.cpu_hz - 1.2e9) < 1e-3);
    assert_true(fabs(st.gpu_hz - 0.5e9) < 1e-3);
    assert_true(st.budget_w == 10);
    /* 6 busy cores asked, 4 online: 5 + 4 x 1.5 x 0.216 + 10 x 0.125 */
    assert_true(fabs(st.power_w - (5 + 4 * 1.5 * 0.216 + 1.25)) < 1e-12);
    /* a mode the node does not have */
    assert_int_equal(ts_dynamics_set_mode(r.dyn, 0, 2), TS_EINVAL);
    assert_int_equal(ts_dynamics_set_mode(r.dyn, 3, 0), TS_EINVAL);
    /* back to MAXN, then to 10W with a callback that reverts to MAXN from
     * inside set_speed: MAXN's outputs are the last ones pushed */
    assert_int_equal(ts_dynamics_set_mode(r.dyn, 0, 0), TS_OK);
    r.reenter_mode = 0;
    assert_int_equal(ts_dynamics_set_mode(r.dyn, 0, 1), TS_OK);
    assert_int_equal(count_events(&r, "power_mode"), 4);
    assert_int_equal((int)r.cores[r.n_cores - 1].a, 8);
    assert_true(r.speed[r.n_speed - 1].a == 1 && r.speed[r.n_speed - 1].b == 1);
    assert_int_equal(ts_dynamics_state(r.dyn, 0, &st), TS_OK);
    assert_string_equal(st.mode_name, "MAXN");
    assert_true(fabs(st.power_w - (5 + 6 * 1.5 + 10)) < 1e-12);
    ts_dynamics_free(r.dyn);
    ts_engine_free(e);
}

/* A kernel with its own power (a model variant) draws that in place of
 * gpu_dyn, scaled with the GPU clock as gpu_dyn is (exponent 3 here):
 * idle 5 W, two GPUs at gpu_dyn 10 W; one runs a 4 W kernel. */
static void test_own_gpu_power(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    rec r;
    rec_init(&r, e);
    static const ts_power_mode modes[] = {{"MAXN", 0, 0, 0, 40, 0, 0},
                                          {"half", 0, 0, 0.5e9, 10, 0, 0}};
    ts_dyn_node_desc nd = {0};
    nd.cores = 8;
    nd.gpus = 2;
    nd.has_power = 1;
    nd.power.idle_w = 5;
    nd.power.core_dyn_w = 1.5;
    nd.power.gpu_dyn_w = 10;
    nd.power.cpu_ref_hz = 2e9;
    nd.power.gpu_ref_hz = 1e9;
    nd.power.modes = modes;
    nd.power.n_modes = 2;
    nd.battery = -1;
    ts_dynamics_config cfg = config(&r, &nd, 1, NULL, 0);
    assert_int_equal(ts_dynamics_new(e, &cfg, &r.dyn, NULL), TS_OK);
    assert_int_equal(ts_dynamics_start(r.dyn), TS_OK);
    ts_dyn_state st;
    /* both GPUs busy, one with its own 4 W: 5 + 10 + 4 */
    assert_int_equal(ts_dynamics_set_load_ex(r.dyn, 0, 0, 2, 1, 4), TS_OK);
    assert_int_equal(ts_dynamics_state(r.dyn, 0, &st), TS_OK);
    assert_true(fabs(st.power_w - 19) < 1e-12);
    /* only the own-power kernel: 5 + 4 */
    assert_int_equal(ts_dynamics_set_load_ex(r.dyn, 0, 0, 1, 1, 4), TS_OK);
    assert_int_equal(ts_dynamics_state(r.dyn, 0, &st), TS_OK);
    assert_true(fabs(st.power_w - 9) < 1e-12);
    /* at half the GPU clock: 5 + 4 x 0.125 */
    assert_int_equal(ts_dynamics_set_mode(r.dyn, 0, 1), TS_OK);
    assert_int_equal(ts_dynamics_state(r.dyn, 0, &st), TS_OK);
    assert_true(fabs(st.power_w - 5.5) < 1e-12);
    /* plain set_load has none: 5 + 10 x 0.125 */
    assert_int_equal(ts_dynamics_set_load(r.dyn, 0, 0, 1), TS_OK);
    assert_int_equal(ts_dynamics_state(r.dyn, 0, &st), TS_OK);
    assert_true(fabs(st.power_w - 6.25) < 1e-12);
    /* more own-power GPUs than busy ones, or a bad power: refused */
    assert_int_equal(ts_dynamics_set_load_ex(r.dyn, 0, 0, 1, 2, 4), TS_EINVAL);
    assert_int_equal(ts_dynamics_set_load_ex(r.dyn, 0, 0, 1, 1, -1), TS_EINVAL);
    assert_int_equal(ts_dynamics_set_load_ex(r.dyn, 0, 0, 1, 1, NAN), TS_EINVAL);
    ts_dynamics_free(r.dyn);
    ts_engine_free(e);
}

/* ---- over-current protection ---- */

/* Idle 2 W, 4 W a busy core at 1 GHz, exponent 2; mode "oc" throttles
 * above 10 W (clocks x0.5) and releases at 8 W; mode "free" has no limit.
 * Three busy cores ask 14 W: throttled, drawing 2 + 3 x 4 x 0.25 = 5 W,
 * the clocks pushed at 0.5. Two ask 10 W, not above the limit but above
 * the release point: it holds. One asks 6 W: released. Throttled again
 * at 3 cores, a switch to "free" releases it (no limit); a crash leaves
 * the state alone, and throttle_level carries bit 2. */
static void test_over_current(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    rec r;
    rec_init(&r, e);
    static const ts_power_mode modes[] = {{"oc", 0, 0, 0, 10, 10, 8}, {"free", 0, 0, 0, 0, 0, 0}};
    ts_dyn_node_desc nd = {0};
    nd.cores = 4;
    nd.has_power = 1;
    nd.power.idle_w = 2;
    nd.power.core_dyn_w = 4;
    nd.power.cpu_ref_hz = 1e9;
    nd.power.dyn_exponent = 2;
    nd.power.oc_scale = 0.5;
    nd.power.modes = modes;
    nd.power.n_modes = 2;
    nd.power.initial_mode = 0;
    nd.battery = -1;
    ts_dynamics_config cfg = config(&r, &nd, 1, NULL, 0);
    assert_int_equal(ts_dynamics_new(e, &cfg, &r.dyn, NULL), TS_OK);
    assert_int_equal(ts_dynamics_start(r.dyn), TS_OK);
    ts_dyn_state st;
    assert_int_equal(ts_dynamics_set_load(r.dyn, 0, 2, 0), TS_OK);
    assert_int_equal(count_events(&r, "oc_throttle"), 0);
    assert_int_equal(ts_dynamics_set_load(r.dyn, 0, 3, 0), TS_OK);
    const evrec *th = find_event(&r, "oc_throttle", 0);
    assert_non_null(th);
    assert_true(th->value == 14);
    assert_true(r.speed[r.n_speed - 1].a == 0.5);
    assert_int_equal(ts_dynamics_state(r.dyn, 0, &st), TS_OK);
    assert_int_equal(st.throttle_level, TS_THROTTLE_OC);
    assert_int_equal(st.oc_throttled, 1);
    assert_true(st.oc_limit_w == 10);
    assert_true(fabs(st.power_w - 5) < 1e-12);
    assert_true(st.cpu_hz == 0.5e9);
    assert_int_equal(ts_dynamics_set_load(r.dyn, 0, 2, 0), TS_OK);
    assert_int_equal(count_events(&r, "oc_release"), 0);
    assert_int_equal(ts_dynamics_set_load(r.dyn, 0, 1, 0), TS_OK);
    const evrec *rel = find_event(&r, "oc_release", 0);
    assert_non_null(rel);
    assert_true(rel->value == 6);
    assert_true(r.speed[r.n_speed - 1].a == 1.0);
    assert_int_equal(ts_dynamics_set_load(r.dyn, 0, 3, 0), TS_OK);
    assert_int_equal(count_events(&r, "oc_throttle"), 2);
    assert_int_equal(ts_dynamics_set_node_up(r.dyn, 0, 0), TS_OK);
    assert_int_equal(count_events(&r, "oc_release"), 1);
    assert_int_equal(ts_dynamics_set_node_up(r.dyn, 0, 1), TS_OK);
    assert_int_equal(ts_dynamics_state(r.dyn, 0, &st), TS_OK);
    assert_int_equal(st.oc_throttled, 1);
    assert_int_equal(ts_dynamics_set_mode(r.dyn, 0, 1), TS_OK);
    assert_int_equal(count_events(&r, "oc_release"), 2);
    assert_int_equal(ts_dynamics_state(r.dyn, 0, &st), TS_OK);
    assert_int_equal(st.throttle_level, 0);
    assert_true(fabs(st.power_w - 14) < 1e-12);
    ts_dynamics_free(r.dyn);
    ts_engine_free(e);
}

/* ---- battery ---- */

static void bump_load(ts_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    rec *r = ctx;
    assert_int_equal(ts_dynamics_set_load(r->dyn, (int)arg, 1, 0), TS_OK);
}

static void test_low_battery(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    rec r;
    rec_init(&r, e);
    /* a 1 Wh battery (3600 J) low at 20 % (720 J) shared by a 10 W and a
     * 6 W node; the second draws 4 W more from 100 s */
    ts_dyn_node_desc nd[3] = {{0}};
    for (int i = 0; i < 3; i++) {
        nd[i].cores = 1;
        nd[i].has_power = 1;
        nd[i].power.initial_mode = -1;
        nd[i].battery = 0;
    }
    nd[0].power.idle_w = 10;
    nd[1].power.idle_w = 6;
    nd[1].power.core_dyn_w = 4;
    nd[2].power.idle_w = 50; /* on no battery */
    nd[2].battery = -1;
    ts_battery_desc bat = {"r1", 1.0, 0.2};
    ts_dynamics_config cfg = config(&r, nd, 3, &bat, 1);
    assert_int_equal(ts_dynamics_new(e, &cfg, &r.dyn, NULL), TS_OK);
    assert_int_equal(ts_dynamics_start(r.dyn), TS_OK);
    ts_engine_schedule(e, 100 * TS_S, bump_load, &r, 1, NULL);
    ts_engine_run(e, 100 * TS_S);
    /* 1600 J used */
    assert_true(fabs(ts_dynamics_battery_wh(r.dyn, 0) - (1 - 1600.0 / 3600)) <
                1e-12);
    ts_engine_run(e, 400 * TS_S);
    /* the last 2880 - 1600 = 1280 J above the threshold at 20 W: 64 s */
    assert_int_equal(count_events(&r, "low_battery"), 1);
    const evrec *lb = find_event(&r, "low_battery", 0);
    assert_true(fabs(secs(lb->t) - 164) < 1e-6);
    assert_true(fabs(lb->value - 0.2) < 1e-9);
    assert_int_equal(lb->node, 0);
    ts_dyn_state st;
    assert_int_equal(ts_dynamics_state(r.dyn, 2, &st), TS_OK);
    assert_true(st.battery_wh == -1);
    assert_true(ts_dynamics_battery_wh(r.dyn, 1) == -1);

    /* a constant load alone: t = (capacity - threshold) / P */
    ts_dynamics_free(r.dyn);
    ts_engine_free(e);
    e = ts_engine_new(16);
    rec_init(&r, e);
    cfg = config(&r, nd, 1, &bat, 1);
    assert_int_equal(ts_dynamics_new(e, &cfg, &r.dyn, NULL), TS_OK);
    assert_int_equal(ts_dynamics_start(r.dyn), TS_OK);
    ts_engine_run(e, 1000 * TS_S);
    lb = find_event(&r, "low_battery", 0);
    assert_non_null(lb);
    assert_true(fabs(secs(lb->t) - (3600 - 720) / 10.0) < 1e-6);
    assert_int_equal(count_events(&r, "low_battery"), 1);
    ts_dynamics_free(r.dyn);
    ts_engine_free(e);
}

/* ---- ambient, shutdown, crash ---- */

static void heat_wave(ts_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    rec *r = ctx;
    assert_int_equal(ts_dynamics_set_ambient(r->dyn, -1, 45), TS_OK);
}

static void test_ambient_shutdown(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    rec r;
    rec_init(&r, e);
    ts_dyn_node_desc nd = hot_node();
    nd.thermal.throttle_c = 0; /* no throttling: straight to shutdown */
    nd.thermal.shutdown_c = 80;
    ts_dynamics_config cfg = config(&r, &nd, 1, NULL, 0);
    assert_int_equal(ts_dynamics_new(e, &cfg, &r.dyn, NULL), TS_OK);
    assert_int_equal(ts_dynamics_start(r.dyn), TS_OK);
    assert_int_equal(ts_dynamics_set_load(r.dyn, 0, 4, 0), TS_OK);
    /* 20 W at 25 C tends to 65 C; at 10 s the ambient rises to 45 C and
     * the die tends to 85 C, crossing 80 C at 10 + tau ln((85-T0)/5) */
    ts_engine_schedule(e, 10 * TS_S, heat_wave, &r, 0, NULL);
    double t0 = 25 + 40 * (1 - exp(-10 / 20.0));
    double ts = 10 + 20 * log((85 - t0) / 5);
    ts_engine_run(e, 200 * TS_S);
    const evrec *amb = find_event(&r, "ambient_change", 0);
    assert_non_null(amb);
    assert_true(amb->t == 10 * TS_S && amb->value == 45 && amb->node == -1);
    const evrec *sd = find_event(&r, "thermal_shutdown", 0);
    assert_non_null(sd);
    assert_true(fabs(secs(sd->t) - ts) < 1e-6);
    assert_int_equal(r.n_up, 1);
    assert_int_equal((int)r.up[0].a, 0);
    assert_true(r.up[0].t == sd->t);
    /* down: no power, energy frozen at its value at the shutdown, and it
     * cools toward 45 C */
    ts_dyn_state st;
    assert_int_equal(ts_dynamics_state(r.dyn, 0, &st), TS_OK);
    assert_int_equal(st.up, 0);
    assert_int_equal(st.thermal_shutdown, 1);
    assert_true(st.power_w == 0);
    assert_true(fabs(st.energy_j - 20 * secs(sd->t)) < 1e-9 * st.energy_j);
    double cool = secs(200 * TS_S - sd->t);
    assert_true(fabs(st.die_c - (45 + (80 - 45) * exp(-cool / 20))) < 1e-6);
    /* it stays down */
    assert_int_equal(ts_dynamics_set_node_up(r.dyn, 0, 1), TS_EINVAL);
    assert_int_equal(count_events(&r, "thermal_shutdown"), 1);
    ts_dynamics_free(r.dyn);
    ts_engine_free(e);
}

static void test_crash_and_fan(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    rec r;
    rec_init(&r, e);
    ts_dyn_node_desc nd = hot_node();
    nd.thermal.throttle_c = 0;
    /* two nodes with a fan: 20 W gives 25 + 20 x 2.5 = 75 C without it and
     * 25 + 20 x 1.3 = 51 C with it */
    nd.thermal.r_die_case = 0.5;
    nd.thermal.r_case_ambient = 2.0;
    nd.thermal.r_case_ambient_fan = 0.8;
    nd.thermal.c_die = 5;
    nd.thermal.c_case = 50;
    nd.thermal.fan_on_c = 45;
    nd.thermal.fan_off_c = 35;
    ts_dynamics_config cfg = config(&r, &nd, 1, NULL, 0);
    assert_int_equal(ts_dynamics_new(e, &cfg, &r.dyn, NULL), TS_OK);
    assert_int_equal(ts_dynamics_start(r.dyn), TS_OK);
    assert_int_equal(ts_dynamics_set_load(r.dyn, 0, 4, 0), TS_OK);
    ts_engine_run(e, 2000 * TS_S);
    const evrec *on = find_event(&r, "fan_on", 0);
    assert_non_null(on);
    assert_true(fabs(on->die_c - 45) < 1e-6);
    /* the event's time is the thermal model's crossing time */
    ts_thermal_state s0 = {25, 25};
    double want = ts_thermal_time_to(&nd.thermal, 0, &s0, 20, 25, 45,
                                     INFINITY, NULL);
    assert_true(fabs(secs(on->t) - want) < 1e-6);
    ts_dyn_state st;
    assert_int_equal(ts_dynamics_state(r.dyn, 0, &st), TS_OK);
    assert_int_equal(st.fan_on, 1);
    assert_true(fabs(st.die_c - 51) < 1e-6);
    double e0 = st.energy_j;
    assert_true(fabs(e0 - 20 * 2000) < 1e-9 * e0);
    /* a crash: no power, the fan stops, the node cools to ambient */
    assert_int_equal(ts_dynamics_set_node_up(r.dyn, 0, 0), TS_OK);
    assert_non_null(find_event(&r, "fan_off", 0));
    ts_engine_run(e, 4000 * TS_S);
    assert_int_equal(ts_dynamics_state(r.dyn, 0, &st), TS_OK);
    assert_true(st.power_w == 0 && st.up == 0);
    assert_true(st.energy_j == e0);
    assert_true(fabs(st.die_c - 25) < 1e-3);
    assert_int_equal(count_events(&r, "fan_on"), 1); /* none while down */
    /* a restart: power again, speeds pushed again */
    size_t n_speed = r.n_speed;
    assert_int_equal(ts_dynamics_set_node_up(r.dyn, 0, 1), TS_OK);
    assert_int_equal(r.n_speed, n_speed + 1);
    assert_int_equal(ts_dynamics_state(r.dyn, 0, &st), TS_OK);
    assert_true(st.power_w == 20 && st.up == 1);
    ts_dynamics_free(r.dyn);
    ts_engine_free(e);
}

/* ---- many load changes: nothing allocated, no crossing missed ---- */

typedef struct stress {
    rec r;
    size_t n_throttle, n_release, n_fan_on, n_fan_off;
    double worst;   /* largest |die - threshold| at a threshold event */
} stress;

static void flip(ts_engine *e, void *ctx, uint64_t arg)
{
    stress *s = ctx;
    /* 10 s light (0 or 1 busy cores, flipping every millisecond), 10 s
     * heavy (3 or 4) */
    double cores = (double)((arg / 10000) % 2 ? 3 + arg % 2 : arg % 2);
    assert_int_equal(ts_dynamics_set_load(s->r.dyn, 0, cores, 0), TS_OK);
    if (arg < 80000)
        ts_engine_schedule(e, ts_engine_now(e) + TS_MS, flip, s, arg + 1, NULL);
}

static void on_stress_event(void *ctx, const ts_platform_event *ev)
{
    stress *s = ctx;
    ts_dyn_state st;
    assert_int_equal(ts_dynamics_state(s->r.dyn, 0, &st), TS_OK);
    double want = NAN;
    if (ev->kind == TS_EV_THROTTLE)
        want = 60, s->n_throttle++;
    else if (ev->kind == TS_EV_THROTTLE_RELEASE)
        want = 50, s->n_release++;
    else if (ev->kind == TS_EV_FAN_ON)
        want = 45, s->n_fan_on++;
    else if (ev->kind == TS_EV_FAN_OFF)
        want = 40, s->n_fan_off++;
    assert_false(isnan(want));
    double d = fabs(st.die_c - want);
    if (d > s->worst)
        s->worst = d;
}

static void test_many_changes(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    stress s;
    memset(&s, 0, sizeof s);
    rec_init(&s.r, e);
    ts_dyn_node_desc nd = hot_node();
    /* two nodes (the root finder and the re-checks are exercised), fan */
    nd.thermal.c_die = 2;
    nd.thermal.c_case = 3;
    nd.power.core_dyn_w = 8;  /* heavy: 28 W, 75 C even with the fan */
    nd.thermal.r_case_ambient_fan = 1.3;
    nd.thermal.fan_on_c = 45;
    nd.thermal.fan_off_c = 40;
    nd.thermal.shutdown_c = 100;
    ts_dynamics_config cfg = config(&s.r, &nd, 1, NULL, 0);
    cfg.ctx = &s;
    cfg.on_event = on_stress_event;
    cfg.set_speed = NULL;
    cfg.set_online_cores = NULL;
    assert_int_equal(ts_dynamics_new(e, &cfg, &s.r.dyn, NULL), TS_OK);
    assert_int_equal(ts_dynamics_start(s.r.dyn), TS_OK);
    ts_engine_schedule(e, 0, flip, &s, 0, NULL);
    ts_engine_run(e, 100 * TS_MS);
    long live = ts_alloc_live();
    ts_engine_run(e, 90 * TS_S);
    assert_int_equal(ts_alloc_live(), live);
    assert_true(ts_engine_pending(e) <= 1);
    /* every threshold event came at its crossing, none late */
    assert_true(s.n_throttle >= 3 && s.n_release >= 3);
    assert_true(s.n_fan_on >= 3 && s.n_fan_off >= 3);
    assert_true(s.worst < 1e-6);
    ts_dynamics_free(s.r.dyn);
    ts_engine_free(e);
}

/* ---- nodes without a model ---- */

/* Plain nodes (no power, no thermal model) between modelled ones: they
 * draw nothing at any load, keep their ambient and up state, raise no
 * callbacks, and leave the modelled nodes' indices, events and shared
 * battery exactly as they would be. */
static void test_plain_nodes(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    rec r;
    rec_init(&r, e);
    ts_dyn_node_desc nd[4] = {{0}};
    nd[0].cores = 2;
    nd[0].battery = 0;          /* plain, on the battery */
    nd[1] = hot_node();
    nd[1].battery = 0;
    nd[2].cores = 8;
    nd[2].gpus = 1;
    nd[2].battery = -1;         /* plain, no battery */
    nd[3] = hot_node();
    ts_battery_desc bat = {"r0", 1.0, 0};
    ts_dynamics_config cfg = config(&r, nd, 4, &bat, 1);
    assert_int_equal(ts_dynamics_new(e, &cfg, &r.dyn, NULL), TS_OK);
    assert_int_equal(ts_dynamics_start(r.dyn), TS_OK);
    /* only the modelled nodes learn their clocks and cores */
    assert_int_equal(r.n_speed, 2);
    assert_int_equal(r.speed[0].node, 1);
    assert_int_equal(r.speed[1].node, 3);
    assert_int_equal(ts_dynamics_set_load(r.dyn, 0, 2, 0), TS_OK);
    assert_int_equal(ts_dynamics_set_load(r.dyn, 2, 8, 1), TS_OK);
    assert_int_equal(ts_dynamics_set_load(r.dyn, 2, -1, 0), TS_EINVAL);
    assert_int_equal(ts_dynamics_set_load(r.dyn, 1, 4, 0), TS_OK);
    assert_int_equal(ts_dynamics_set_load(r.dyn, 3, 4, 0), TS_OK);
    assert_int_equal(ts_dynamics_set_mode(r.dyn, 2, 0), TS_EINVAL);
    ts_engine_run(e, 100 * TS_S);
    /* the battery pays for node 1 alone */
    double used_wh = ts_dynamics_energy_j(r.dyn, 1) / 3600;
    assert_true(used_wh > 0);
    assert_true(fabs(ts_dynamics_battery_wh(r.dyn, 0) - (1 - used_wh)) < 1e-12);
    /* both hot nodes throttle, each under its own index */
    const evrec *t1 = find_event(&r, "throttle", 0), *t2 = find_event(&r, "throttle", 1);
    assert_non_null(t1);
    assert_non_null(t2);
    assert_int_equal(t1->node, 1);
    assert_int_equal(t2->node, 3);
    ts_dyn_state st;
    assert_int_equal(ts_dynamics_state(r.dyn, 2, &st), TS_OK);
    assert_int_equal(st.up, 1);
    assert_int_equal(st.mode, -1);
    assert_string_equal(st.mode_name, "");
    assert_int_equal(st.online_cores, 8);
    assert_true(st.cpu_scale == 1 && st.gpu_scale == 1);
    assert_true(st.power_w == 0 && st.energy_j == 0);
    assert_true(isnan(st.die_c) && isnan(st.case_c));
    assert_true(st.ambient_c == 25);
    assert_true(st.battery_wh == -1);
    assert_int_equal(ts_dynamics_state(r.dyn, 0, &st), TS_OK);
    assert_true(fabs(st.battery_wh - ts_dynamics_battery_wh(r.dyn, 0)) == 0);
    assert_true(ts_dynamics_energy_j(r.dyn, 0) == 0);
    assert_true(ts_dynamics_energy_j(r.dyn, 1) > 0);
    /* ambient: one node, then everywhere */
    assert_int_equal(ts_dynamics_set_ambient(r.dyn, 2, 40), TS_OK);
    assert_int_equal(ts_dynamics_state(r.dyn, 2, &st), TS_OK);
    assert_true(st.ambient_c == 40);
    assert_int_equal(ts_dynamics_state(r.dyn, 0, &st), TS_OK);
    assert_true(st.ambient_c == 25);
    assert_int_equal(ts_dynamics_set_ambient(r.dyn, -1, 30), TS_OK);
    assert_int_equal(ts_dynamics_state(r.dyn, 0, &st), TS_OK);
    assert_true(st.ambient_c == 30);
    assert_int_equal(ts_dynamics_state(r.dyn, 3, &st), TS_OK);
    assert_true(st.ambient_c == 30);
    /* a crash and restart of a plain node: no callbacks, state follows */
    size_t speeds = r.n_speed;
    assert_int_equal(ts_dynamics_set_node_up(r.dyn, 2, 0), TS_OK);
    assert_int_equal(ts_dynamics_state(r.dyn, 2, &st), TS_OK);
    assert_int_equal(st.up, 0);
    assert_int_equal(ts_dynamics_set_node_up(r.dyn, 2, 1), TS_OK);
    assert_int_equal(ts_dynamics_state(r.dyn, 2, &st), TS_OK);
    assert_int_equal(st.up, 1);
    assert_int_equal(r.n_speed, speeds);
    assert_int_equal(ts_dynamics_state(r.dyn, 4, &st), TS_EINVAL);
    ts_dynamics_free(r.dyn);
    ts_engine_free(e);
}

static void test_bad_config(void **state)
{
    (void)state;
    ts_engine *e = ts_engine_new(16);
    rec r;
    rec_init(&r, e);
    ts_error err;
    ts_dyn_node_desc nd = hot_node();
    nd.thermal.release_c = 70;
    ts_dynamics_config cfg = config(&r, &nd, 1, NULL, 0);
    ts_dynamics *dyn = (ts_dynamics *)&r;
    assert_int_equal(ts_dynamics_new(e, &cfg, &dyn, &err), TS_EINVAL);
    assert_null(dyn);
    nd = hot_node();
    nd.battery = 0; /* no such battery */
    assert_int_equal(ts_dynamics_new(e, &cfg, &dyn, &err), TS_EINVAL);
    ts_battery_desc bat = {"r", 0, 0.1};
    cfg = config(&r, &nd, 1, &bat, 1);
    assert_int_equal(ts_dynamics_new(e, &cfg, &dyn, &err), TS_EINVAL);
    /* allocation failures are reported, not crashed on */
    bat.capacity_wh = 10;
    static const ts_power_mode modes[] = {{"a", 0, 0, 0, 0, 0, 0}, {"b", 1, 0, 0, 0, 0, 0}};
    nd.power.modes = modes;
    nd.power.n_modes = 2;
    for (long k = 1; k < 12; k++) {
        ts_alloc_fail_after(k);
        int rc = ts_dynamics_new(e, &cfg, &dyn, &err);
        ts_alloc_fail_after(0);
        if (rc == TS_OK)
            ts_dynamics_free(dyn);
        else
            assert_int_equal(rc, TS_ENOMEM);
    }
    ts_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_throttle_hysteresis),
        cmocka_unit_test(test_reentrant_load),
        cmocka_unit_test(test_energy),
        cmocka_unit_test(test_power_mode),
        cmocka_unit_test(test_own_gpu_power),
        cmocka_unit_test(test_over_current),
        cmocka_unit_test(test_low_battery),
        cmocka_unit_test(test_ambient_shutdown),
        cmocka_unit_test(test_crash_and_fan),
        cmocka_unit_test(test_many_changes),
        cmocka_unit_test(test_plain_nodes),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
