/*
 * Rollout controller (see deploy_rollout.h for stages, judging and the
 * records). One timer is pending at a time: the start, or the end of the
 * current soak. Everything it needs is copied at creation, so the caller's
 * description may go away; no allocation after that.
 */
#include "toposim/deploy.h"

#include "toposim/alloc.h"
#include "toposim/error.h"
#include "toposim/runtime.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum { EV_START = 1, EV_JUDGE = 2 };

#define DETAIL_MAX 256
/* A stage's robot list stops here and says how many it left out, so the
 * record stays one readable line (and fits a 192-byte trace field). */
#define LIST_MAX 140

struct ts_rollout {
    ts_runtime rt;
    ts_rollout_desc d;          /* pointers below replace the caller's */
    int *components;
    int *nodes;                 /* NULL when not given */
    char **robot_names;         /* NULL when not given */
    char *name, *from_label, *to_label;
    unsigned char *robot;       /* ts_rollout_robot per robot */
    size_t canaries;            /* clamped to n_robots */
    size_t wave;
    int first_stage, last_stage;
    int stage;                  /* -1 before the first stage */
    int64_t soak_start;
    ts_rt_timer timer;
    ts_rollout_state state;
};

const char *ts_rollout_state_name(ts_rollout_state s)
{
    switch (s) {
    case TS_ROLLOUT_IDLE: return "idle";
    case TS_ROLLOUT_WAITING: return "waiting";
    case TS_ROLLOUT_SOAKING: return "soaking";
    case TS_ROLLOUT_COMPLETE: return "complete";
    case TS_ROLLOUT_ABORTED: return "aborted";
    }
    return "unknown";
}

/* Appends printf output to buf (capacity DETAIL_MAX) without overflowing;
 * the sentence is cut, never the buffer. */
static void append(char *buf, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void append(char *buf, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 1 >= DETAIL_MAX)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, DETAIL_MAX - len, fmt, ap);
    va_end(ap);
}

static char *dup_or_null(const char *s, int *failed)
{
    if (!s)
        return NULL;
    char *c = ts_strdup(s);
    if (!c)
        *failed = 1;
    return c;
}

static void robot_name(const ts_rollout *r, size_t i, char *buf, size_t size)
{
    if (r->robot_names)
        snprintf(buf, size, "%s", r->robot_names[i]);
    else
        snprintf(buf, size, "robot %zu", i);
}

static void version_label(const ts_rollout *r, int to, char *buf, size_t size)
{
    const char *label = to ? r->to_label : r->from_label;
    if (label)
        snprintf(buf, size, "%s", label);
    else
        snprintf(buf, size, "version %d", to ? r->d.to_version : r->d.from_version);
}

static void stage_name(int stage, char *buf, size_t size)
{
    if (stage == 0)
        snprintf(buf, size, "canary");
    else
        snprintf(buf, size, "wave %d", stage);
}

static int node_of(const ts_rollout *r, size_t i)
{
    return r->nodes ? r->nodes[i] : -1;
}

/* Robots [*begin, *end) of a stage, in fleet order. */
static void stage_range(const ts_rollout *r, int stage, size_t *begin, size_t *end)
{
    size_t n = r->d.n_robots;
    if (stage == 0) {
        *begin = 0;
        *end = r->canaries;
        return;
    }
    size_t b = r->canaries + (size_t)(stage - 1) * r->wave;
    size_t e = b + r->wave;
    *begin = b < n ? b : n;
    *end = e < n ? e : n;
}

static int64_t stage_soak(const ts_rollout *r, int stage)
{
    return stage == 0 ? r->d.soak_ns : r->d.wave_soak_ns;
}

/* The endpoint that stands for robot i: the member of its replica set
 * that serves (a failover group's backup after a takeover), else the
 * robot's own component. */
static int judged_member(const ts_rollout *r, size_t i)
{
    int server = ts_ctl_server(r->d.ctl, r->components[i]);
    return server >= 0 ? server : r->components[i];
}

/* Down = the serving member (or the component), or its node when nodes
 * are known, reports 0. Unknown liveness (< 0) counts as up: the runtime
 * has no reason to think otherwise. */
static int robot_down(const ts_rollout *r, size_t i)
{
    if (ts_rt_alive(&r->rt, TS_RT_COMPONENT, judged_member(r, i)) == 0)
        return 1;
    if (r->nodes && r->nodes[i] >= 0 && ts_rt_alive(&r->rt, TS_RT_NODE, r->nodes[i]) == 0)
        return 1;
    return 0;
}

/* Tells the controller the robot's replica set runs `version`; who
 * serves is not the rollout's to change. */
static int set_version(ts_rollout *r, size_t i, int version)
{
    return ts_ctl_set_version(r->d.ctl, r->components[i], version);
}

static void on_timer(void *ctx, uint64_t arg);

static void roll_back(ts_rollout *r, const char *why_stage)
{
    char name[96], from[64];
    version_label(r, 0, from, sizeof from);
    /* Fleet order, so the rollback sequence is reproducible and matches
     * the update order of the stages. */
    for (size_t i = 0; i < r->d.n_robots; i++) {
        if (r->robot[i] != TS_ROLLOUT_ROBOT_UPDATED)
            continue;
        robot_name(r, i, name, sizeof name);
        char detail[DETAIL_MAX] = "";
        int rc = set_version(r, i, r->d.from_version);
        append(detail, "%s back to %s after the %s failed", name, from, why_stage);
        if (rc < 0)
            append(detail, " (runtime refused: %s)", ts_strerror(rc));
        r->robot[i] = TS_ROLLOUT_ROBOT_ROLLED_BACK;
        ts_rt_note(&r->rt, "rollback", r->components[i], node_of(r, i), (double)i, detail);
    }
}

static void abort_rollout(ts_rollout *r, const char *reason, double value)
{
    char stage[32], from[64];
    stage_name(r->stage, stage, sizeof stage);
    version_label(r, 0, from, sizeof from);
    size_t n_back = 0;
    for (size_t i = 0; i < r->d.n_robots; i++)
        n_back += r->robot[i] == TS_ROLLOUT_ROBOT_UPDATED;
    char detail[DETAIL_MAX] = "";
    append(detail, "aborted at %s: %s; rolling %zu robot%s back to %s", stage, reason, n_back,
           n_back == 1 ? "" : "s", from);
    r->state = TS_ROLLOUT_ABORTED;
    r->timer = 0;
    ts_rt_note(&r->rt, "rollout_abort", -1, -1, value, detail);
    roll_back(r, stage);
}

/* Switches a stage's robots and arms the end of its soak. */
static void begin_stage(ts_rollout *r, int stage)
{
    char sname[32], name[96], to[64];
    stage_name(stage, sname, sizeof sname);
    version_label(r, 1, to, sizeof to);
    size_t b, e;
    stage_range(r, stage, &b, &e);
    r->stage = stage;

    char detail[DETAIL_MAX] = "";
    append(detail, "%s: ", sname);
    size_t listed = 0;
    for (size_t i = b; i < e; i++) {
        robot_name(r, i, name, sizeof name);
        size_t len = strlen(detail);
        if (len + strlen(name) + 2 > LIST_MAX) {
            append(detail, "... (+%zu more)", e - i);
            break;
        }
        append(detail, "%s%s", listed++ ? ", " : "", name);
    }
    append(detail, " to %s", to);
    ts_rt_note(&r->rt, "rollout_stage", -1, -1, (double)stage, detail);

    for (size_t i = b; i < e; i++) {
        robot_name(r, i, name, sizeof name);
        char d[DETAIL_MAX] = "";
        if (robot_down(r, i)) {
            r->robot[i] = TS_ROLLOUT_ROBOT_SKIPPED;
            append(d, "%s is down at the %s; it stays on the old version", name, sname);
            ts_rt_note(&r->rt, "rollout_skip", r->components[i], node_of(r, i), (double)i, d);
            continue;
        }
        int rc = set_version(r, i, r->d.to_version);
        if (rc < 0) {
            r->robot[i] = TS_ROLLOUT_ROBOT_SKIPPED;
            append(d, "%s could not be switched at the %s: %s", name, sname, ts_strerror(rc));
            ts_rt_note(&r->rt, "rollout_skip", r->components[i], node_of(r, i), (double)i, d);
            continue;
        }
        r->robot[i] = TS_ROLLOUT_ROBOT_UPDATED;
        append(d, "%s now runs %s (%s)", name, to, sname);
        ts_rt_note(&r->rt, "rollout_update", r->components[i], node_of(r, i), (double)i, d);
    }

    r->state = TS_ROLLOUT_SOAKING;
    r->soak_start = ts_rt_now(&r->rt);
    int rc = ts_rt_timer_start(&r->rt, stage_soak(r, stage), on_timer, r, EV_JUDGE, &r->timer);
    if (rc < 0) {
        char reason[128];
        snprintf(reason, sizeof reason, "soak timer failed (%s)", ts_strerror(rc));
        abort_rollout(r, reason, 0.0);
    }
}

/* Judges every robot on the new version over this soak; see the header
 * for why one robot at a time. */
static void judge(ts_rollout *r)
{
    char sname[32], name[96], to[64];
    stage_name(r->stage, sname, sizeof sname);
    version_label(r, 1, to, sizeof to);
    r->timer = 0;

    size_t judged = 0;
    double worst = 0.0;
    size_t worst_robot = 0;
    int worst_member = -1;
    int have_worst = 0;
    int total_safety = 0;
    char reason[DETAIL_MAX] = "";
    double fail_value = 0.0;
    int failed = 0;

    for (size_t i = 0; i < r->d.n_robots; i++) {
        if (r->robot[i] != TS_ROLLOUT_ROBOT_UPDATED)
            continue;
        judged++;
        ts_rollout_metrics m = {0.0, 0, 1};
        int member = judged_member(r, i);
        int rc = r->d.metrics(r->d.metrics_ctx, member, r->soak_start, &m);
        robot_name(r, i, name, sizeof name);
        if (rc < 0) {
            if (!failed) {
                failed = 1;
                append(reason, "metrics unavailable for %s (%s)", name, ts_strerror(rc));
                fail_value = 0.0;
            }
            continue;
        }
        if (!have_worst || m.miss_fraction > worst) {
            worst = m.miss_fraction;
            worst_robot = i;
            worst_member = member;
            have_worst = 1;
        }
        total_safety += m.safety_events;
        if (failed)
            continue;
        /* Criteria in a fixed order, so the reported one is reproducible
         * when a robot breaks several. */
        if (m.miss_fraction > r->d.max_miss_fraction) {
            failed = 1;
            fail_value = m.miss_fraction;
            append(reason, "deadline-miss fraction %.4f > max %.4f on %s", m.miss_fraction,
                   r->d.max_miss_fraction, name);
        } else if (m.safety_events > r->d.max_safety_events) {
            failed = 1;
            fail_value = m.safety_events;
            append(reason, "safety events %d > max %d on %s", m.safety_events,
                   r->d.max_safety_events, name);
        } else if (!m.topics_flowing) {
            failed = 1;
            fail_value = 0.0;
            append(reason, "functionality: topics of %s stopped flowing", name);
        }
    }
    if (judged == 0) {
        failed = 1;
        append(reason, "no robot on %s to judge (every robot so far was down)", to);
    }

    char detail[DETAIL_MAX] = "";
    if (failed) {
        append(detail, "fail: %s (%s)", reason, sname);
    } else {
        robot_name(r, worst_robot, name, sizeof name);
        /* Name the member judged when it is not the robot's own component
         * (a backup serving after a failover). */
        char by[48] = "";
        if (worst_member >= 0 && worst_member != r->components[worst_robot])
            snprintf(by, sizeof by, ", served by component %d", worst_member);
        append(detail,
               "pass: %s, %zu robot%s on %s: worst miss fraction %.4f (%s%s) <= %.4f, "
               "safety events %d, topics flowing",
               sname, judged, judged == 1 ? "" : "s", to, worst, name, by, r->d.max_miss_fraction,
               total_safety);
    }
    ts_rt_note(&r->rt, "rollout_evaluate", -1, -1, worst, detail);

    if (failed) {
        abort_rollout(r, reason, fail_value);
        return;
    }
    if (r->stage < r->last_stage) {
        begin_stage(r, r->stage + 1);
        return;
    }
    size_t on_new = 0, skipped = 0;
    for (size_t i = 0; i < r->d.n_robots; i++) {
        on_new += r->robot[i] == TS_ROLLOUT_ROBOT_UPDATED;
        skipped += r->robot[i] == TS_ROLLOUT_ROBOT_SKIPPED;
    }
    char done[DETAIL_MAX] = "";
    append(done, "every stage passed: %zu robot%s on %s, %zu skipped (down)", on_new,
           on_new == 1 ? "" : "s", to, skipped);
    r->state = TS_ROLLOUT_COMPLETE;
    ts_rt_note(&r->rt, "rollout_complete", -1, -1, (double)on_new, done);
}

static void on_timer(void *ctx, uint64_t arg)
{
    ts_rollout *r = ctx;
    if (arg == EV_START) {
        char from[64], to[64], detail[DETAIL_MAX] = "";
        r->timer = 0;
        version_label(r, 0, from, sizeof from);
        version_label(r, 1, to, sizeof to);
        append(detail, "rolling %s from %s to %s over %zu robots: %zu canar%s soaking %g s, "
               "then waves of %zu soaking %g s",
               r->name ? r->name : "the component", from, to, r->d.n_robots, r->canaries,
               r->canaries == 1 ? "y" : "ies", (double)r->d.soak_ns / 1e9, r->wave,
               (double)r->d.wave_soak_ns / 1e9);
        ts_rt_note(&r->rt, "rollout_start", -1, -1, (double)r->d.n_robots, detail);
        begin_stage(r, r->first_stage);
    } else if (arg == EV_JUDGE && r->state == TS_ROLLOUT_SOAKING) {
        judge(r);
    }
}

static int invalid(ts_error *err, const char *what)
{
    return ts_error_set(err, TS_EINVAL, NULL, 0, "rollout: %s", what);
}

static void release(ts_rollout *r)
{
    if (r->robot_names)
        for (size_t i = 0; i < r->d.n_robots; i++)
            ts_free(r->robot_names[i]);
    ts_free(r->robot_names);
    ts_free(r->components);
    ts_free(r->nodes);
    ts_free(r->robot);
    ts_free(r->name);
    ts_free(r->from_label);
    ts_free(r->to_label);
    ts_free(r);
}

int ts_rollout_new(const ts_runtime *rt, const ts_rollout_desc *desc, ts_rollout **out,
                   ts_error *err)
{
    if (out)
        *out = NULL;
    if (!rt || !desc || !out)
        return invalid(err, "runtime, description and result are required");
    size_t n = desc->n_robots;
    if (n == 0 || !desc->components)
        return invalid(err, "needs at least one robot endpoint");
    if (!desc->metrics)
        return invalid(err, "needs a metrics callback");
    if (!desc->ctl)
        return invalid(err, "needs the component-state controller");
    if (desc->from_version < 0 || desc->to_version < 0 || desc->from_version == desc->to_version)
        return invalid(err, "from and to versions must be different indices >= 0");
    if (desc->canaries < 0)
        return invalid(err, "canaries must be >= 0");
    if (desc->soak_ns < 0 || desc->wave_soak_ns < 0)
        return invalid(err, "soak times must be >= 0");
    if (!(desc->max_miss_fraction >= 0.0))
        return invalid(err, "max miss fraction must be >= 0");
    if (desc->max_safety_events < 0)
        return invalid(err, "max safety events must be >= 0");
    if ((size_t)desc->canaries < n && desc->wave < 1)
        return invalid(err, "wave must be >= 1 when the canaries do not cover every robot");
    for (size_t i = 0; i < n; i++) {
        if (desc->components[i] < 0)
            return ts_error_set(err, TS_EINVAL, NULL, 0,
                                "rollout: robot %zu has no component endpoint", i);
        if (desc->robot_names && !desc->robot_names[i])
            return ts_error_set(err, TS_EINVAL, NULL, 0, "rollout: robot %zu has no name", i);
    }

    ts_rollout *r = ts_calloc(1, sizeof *r);
    if (!r)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "rollout: out of memory");
    r->rt = *rt;
    r->d = *desc;
    r->d.n_robots = n;
    if (r->d.wave_soak_ns == 0)
        r->d.wave_soak_ns = r->d.soak_ns;
    int failed = 0;
    r->components = ts_malloc(n * sizeof *r->components);
    r->robot = ts_calloc(n, 1);
    if (desc->nodes)
        r->nodes = ts_malloc(n * sizeof *r->nodes);
    if (desc->robot_names)
        r->robot_names = ts_calloc(n, sizeof *r->robot_names);
    failed |= !r->components || !r->robot || (desc->nodes && !r->nodes) ||
              (desc->robot_names && !r->robot_names);
    r->name = dup_or_null(desc->name, &failed);
    r->from_label = dup_or_null(desc->from_label, &failed);
    r->to_label = dup_or_null(desc->to_label, &failed);
    if (!failed) {
        memcpy(r->components, desc->components, n * sizeof *r->components);
        if (desc->nodes)
            memcpy(r->nodes, desc->nodes, n * sizeof *r->nodes);
        for (size_t i = 0; desc->robot_names && i < n; i++)
            r->robot_names[i] = dup_or_null(desc->robot_names[i], &failed);
    }
    if (failed) {
        release(r);
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "rollout: out of memory");
    }
    r->d.components = r->components;
    r->d.nodes = r->nodes;
    r->d.robot_names = (const char *const *)r->robot_names;
    r->d.name = r->name;
    r->d.from_label = r->from_label;
    r->d.to_label = r->to_label;

    r->canaries = (size_t)desc->canaries < n ? (size_t)desc->canaries : n;
    r->wave = desc->wave > 0 ? (size_t)desc->wave : 0;
    r->first_stage = r->canaries > 0 ? 0 : 1;
    if (r->canaries >= n)
        r->last_stage = 0;
    else
        r->last_stage = (int)((n - r->canaries + r->wave - 1) / r->wave);
    r->stage = -1;
    r->state = TS_ROLLOUT_IDLE;
    *out = r;
    return TS_OK;
}

int ts_rollout_start(ts_rollout *r)
{
    if (!r || r->state != TS_ROLLOUT_IDLE)
        return TS_EINVAL;
    int64_t delay = r->d.start_ns - ts_rt_now(&r->rt);
    if (delay < 0)
        delay = 0;
    int rc = ts_rt_timer_start(&r->rt, delay, on_timer, r, EV_START, &r->timer);
    if (rc < 0)
        return rc;
    r->state = TS_ROLLOUT_WAITING;
    return TS_OK;
}

void ts_rollout_free(ts_rollout *r)
{
    if (!r)
        return;
    if (r->state == TS_ROLLOUT_WAITING || r->state == TS_ROLLOUT_SOAKING)
        ts_rt_timer_cancel(&r->rt, r->timer);
    release(r);
}

ts_rollout_state ts_rollout_get_state(const ts_rollout *r)
{
    return r->state;
}

ts_rollout_robot ts_rollout_robot_state(const ts_rollout *r, size_t robot)
{
    return robot < r->d.n_robots ? (ts_rollout_robot)r->robot[robot] : TS_ROLLOUT_ROBOT_OLD;
}

int ts_rollout_stage(const ts_rollout *r)
{
    return r->stage;
}
