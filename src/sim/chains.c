/*
 * Chains through the run (chains.h). Semantics, each from its source:
 *
 * - Input stamp: a job of the first stage stamps its data with its
 *   release, the instant its sensor data is sampled (Becker et al. 2017,
 *   Sec. 3: the read instant of the first task is the chain's input).
 * - Timer stages read at their start the latest sample delivered by then
 *   ("implicit communication": read at start, write at end; Becker et al.
 *   2017, Sec. 2; the same register semantics as a ROS 2 timer callback
 *   that takes the last message a subscription cached, Teper et al. 2022,
 *   Sec. III). A sample delivered at the very nanosecond the job starts
 *   counts as read (assumption: arrivals and starts at one instant are not
 *   ordered by the job record). Samples no job read are undersampling,
 *   which data-age semantics allow (Becker et al. 2017): no instance is
 *   dropped for them.
 * - Triggered stages run once per received sample (a ROS 2 subscription
 *   callback, Casini et al. 2019, Sec. 3): the job carries its trigger's
 *   stamp; a sample that reached the stage and triggered no job before a
 *   later one did was overwritten in the KEEP_LAST queue, and its stamp,
 *   if newer than what the stage already passed on, is a dropped
 *   instance. The later one may be a job the run ended before it
 *   finished, or a sample still waiting in an executor's queue at the
 *   end: the overwrite happened all the same.
 * - Output: the end of each last-stage job that carries a stamp; data age
 *   is output minus input (Becker et al. 2017, Def. 4; Teper et al. 2022
 *   "data age" and "reaction time" from the same timestamps).
 *
 * Publishing a sample happens when the publishing job ends, so a
 * sample's send time is its job's finish time: a delivery finds its stamp
 * in the publishing stage's ring of recent jobs by that time.
 */
#include "sim/chains.h"

#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"

_Static_assert(TS_SCENARIO_CHAIN_TEXT_MAX < TS_TRACE_STAGES_LEN,
               "a chain's stage text fits the trace's /chains column");

typedef struct job_entry {
    ts_time finish;           /* its send time for what it published */
    ts_time stamp;            /* input time its data carries, -1: none */
} job_entry;

typedef struct delivery {
    ts_time received;
    ts_time stamp;
    uint64_t seq;
} delivery;

/* One component stage of a chain. */
typedef struct stage {
    int32_t chain;            /* row of /chains */
    int32_t component;
    int32_t in_topic;         /* topic from the stage before; -1 first */
    int32_t last;             /* 1: its jobs give the chain's outputs */
    job_entry *jobs;          /* ring, only if not last */
    delivery *got;            /* ring, only if not first */
    uint32_t jobs_cap, got_cap; /* their sizes (ring_size) */
    uint32_t jobs_head, jobs_count, got_head, got_count;
    /* triggered jobs: the last trigger read and the newest stamp passed
     * on or reported dropped */
    int triggered_any;
    uint64_t trigger_seq;
    ts_time newest_stamp;
} stage;

struct ts__chains {
    ts__shared sh;
    ts_trace_writer *trace;
    stage *stages;            /* chains' component stages, in chain order */
    size_t n_stages;
    job_entry *job_block;
    delivery *got_block;
    uint32_t *by_component_first, *by_component; /* CSR: stages of each */
    uint32_t *by_topic_first, *by_topic;         /* CSR: stages reading it */
    uint64_t overflows;
    uint64_t *chain_overflows;    /* of each chain */
};

/* ---- rings ---------------------------------------------------------------- */

static void overflow(ts__chains *c, const stage *st)
{
    c->overflows++;
    c->chain_overflows[st->chain]++;
}

static void push_job(stage *st, ts_time finish, ts_time stamp)
{
    uint32_t at = (st->jobs_head + st->jobs_count) % st->jobs_cap;
    if (st->jobs_count == st->jobs_cap)
        st->jobs_head = (st->jobs_head + 1) % st->jobs_cap;
    else
        st->jobs_count++;
    st->jobs[at] = (job_entry){finish, stamp};
}

static void push_delivery(stage *st, ts_time received, ts_time stamp, uint64_t seq)
{
    uint32_t at = (st->got_head + st->got_count) % st->got_cap;
    if (st->got_count == st->got_cap)
        st->got_head = (st->got_head + 1) % st->got_cap;
    else
        st->got_count++;
    st->got[at] = (delivery){received, stamp, seq};
}

static const delivery *got_at(const stage *st, uint32_t i)
{
    return &st->got[(st->got_head + i) % st->got_cap];
}

/* The stamp of the job of st that ended at `finish`; -1 when none. */
static ts_time stamp_sent_at(ts__chains *c, const stage *st, ts_time finish)
{
    for (uint32_t i = st->jobs_count; i-- > 0;) {
        const job_entry *e = &st->jobs[(st->jobs_head + i) % st->jobs_cap];
        if (e->finish == finish)
            return e->stamp;
        if (e->finish < finish)
            return -1;    /* jobs end in order: it was never recorded */
    }
    if (st->jobs_count == st->jobs_cap)
        overflow(c, st);
    return -1;
}

/* The stamp of the latest sample st received at or before t; -1 when
 * none had arrived. */
static ts_time latest_by(ts__chains *c, const stage *st, ts_time t)
{
    for (uint32_t i = st->got_count; i-- > 0;) {
        const delivery *d = got_at(st, i);
        if (d->received <= t)
            return d->stamp;
    }
    if (st->got_count == st->got_cap)
        overflow(c, st);
    return -1;
}

/* ---- rows ----------------------------------------------------------------- */

static void emit(ts__chains *c, int32_t chain, ts_time input, ts_time output)
{
    if (ts__bus_failed(c->sh.bus))
        return;
    ts_trace_chain_instance row = {chain, output < 0, input, output};
    ts_error e;
    if (ts_trace_append_chain_instance(c->trace, &row, &e) != TS_OK)
        ts__bus_fail(c->sh.bus, &e);
}

/* A triggered job of st read sample `seq`: its stamp, and every newer
 * stamp among the samples before it that triggered nothing is dropped. */
static ts_time read_trigger(ts__chains *c, stage *st, uint64_t seq)
{
    ts_time stamp = -1;
    int found = 0;
    for (uint32_t i = 0; i < st->got_count; i++)
        if (got_at(st, i)->seq == seq) {
            stamp = got_at(st, i)->stamp;
            found = 1;
        }
    if (!found && st->got_count == st->got_cap)
        overflow(c, st);
    for (uint32_t i = 0; i < st->got_count; i++) {
        const delivery *d = got_at(st, i);
        if (d->seq >= seq || (st->triggered_any && d->seq <= st->trigger_seq))
            continue;
        if (d->stamp >= 0 && d->stamp > st->newest_stamp && d->stamp != stamp) {
            emit(c, st->chain, d->stamp, -1);
            st->newest_stamp = d->stamp;
        }
    }
    st->triggered_any = 1;
    st->trigger_seq = seq;
    if (stamp > st->newest_stamp)
        st->newest_stamp = stamp;
    return stamp;
}

void ts__chains_waiting(ts__chains *c, int component, int topic, uint64_t seq)
{
    if (!c || topic < 0 || component < 0 || (size_t)component >= c->sh.s->n_components)
        return;
    for (uint32_t k = c->by_component_first[component];
         k < c->by_component_first[component + 1]; k++) {
        stage *st = &c->stages[c->by_component[k]];
        if (st->in_topic == topic)
            (void)read_trigger(c, st, seq);
    }
}

void ts__chains_job(ts__chains *c, const ts_job_record *job, int trigger_topic,
                    uint64_t trigger_seq)
{
    if (!c || job->task < 0 || (size_t)job->task >= c->sh.s->n_components)
        return;
    if (job->finish < 0) {
        /* A triggered job that never finished (the run ended, its task
         * stopped) still holds its sample: the samples overwritten before
         * it are dropped instances all the same, though it outputs and
         * publishes nothing. */
        ts__chains_waiting(c, job->task, trigger_topic, trigger_seq);
        return;
    }
    for (uint32_t k = c->by_component_first[job->task]; k < c->by_component_first[job->task + 1];
         k++) {
        stage *st = &c->stages[c->by_component[k]];
        ts_time stamp;
        if (st->in_topic < 0)
            stamp = job->release;
        else if (trigger_topic == st->in_topic)
            stamp = read_trigger(c, st, trigger_seq);
        else
            stamp = latest_by(c, st, job->start);
        if (st->last) {
            if (stamp >= 0)
                emit(c, st->chain, stamp, job->finish);
        } else {
            push_job(st, job->finish, stamp);
        }
    }
}

void ts__chains_message(void *ctx, const ts_packet *p)
{
    ts__chains *c = ctx;
    if (!c || p->status != TS_PKT_DELIVERED || p->topic < 0 ||
        (size_t)p->topic >= c->sh.s->n_topics)
        return;
    for (uint32_t k = c->by_topic_first[p->topic]; k < c->by_topic_first[p->topic + 1]; k++) {
        stage *st = &c->stages[c->by_topic[k]];
        if (st->component != p->subscriber)
            continue;
        /* The stage before it in the same chain publishes the topic. */
        ts_time stamp = stamp_sent_at(c, st - 1, p->sent);
        push_delivery(st, p->received, stamp, p->seq);
    }
}

uint64_t ts__chains_overflows(const ts__chains *c)
{
    return c ? c->overflows : 0;
}

uint64_t ts__chains_overflows_of(const ts__chains *c, size_t chain)
{
    return c && chain < c->sh.s->n_chains ? c->chain_overflows[chain] : 0;
}

/* ---- start ---------------------------------------------------------------- */

static int write_table(ts__chains *c, ts_error *err)
{
    const ts_scenario *s = c->sh.s;
    ts_trace_chain *rows = ts_calloc(s->n_chains ? s->n_chains : 1, sizeof *rows);
    if (!rows)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the chains table");
    for (size_t i = 0; i < s->n_chains; i++) {
        const ts_scenario_chain *ch = &s->chains[i];
        ts_trace_chain *r = &rows[i];
        snprintf(r->name, sizeof r->name, "%s", ch->id);
        r->budget_ns = ch->budget_ns;
        r->n_stages = (int32_t)ch->n_stages;
        r->first = ch->stages[0];
        r->last = ch->stages[ch->n_stages - 1];
        size_t at = 0;
        for (size_t k = 0; k < ch->n_stages; k++) {
            const char *id = k % 2 == 0 ? s->components[ch->stages[k]].id
                                        : s->topics[ch->stages[k]].id;
            int n = snprintf(r->stages + at, sizeof r->stages - at, "%s%s", k ? " " : "", id);
            at += n > 0 ? (size_t)n : 0;
            if (at >= sizeof r->stages)
                at = sizeof r->stages - 1;
        }
    }
    int rc = ts_trace_write_chains(c->trace, rows, s->n_chains, err);
    ts_free(rows);
    return rc;
}

/* A stage whose jobs come at a known rate: a timer's, or one job per
 * sample of a trigger topic, at that topic's period (build.c sets it).
 * Poisson and sporadic arrivals and batch jobs have none. */
static int steady(const ts_scenario_component_shared *c)
{
    return (c->arrival == TS_ARRIVAL_PERIODIC || c->arrival == TS_ARRIVAL_TRIGGER) &&
           c->period_ns > 0;
}

/* Entries of a ring through which `writer`'s samples reach `reader`
 * (a writer's ring of jobs, a reader's of deliveries), covering `window`
 * of the writer's output: TS__CHAINS_RING unless both are steady, else
 * window / the writer's period + 2 (one period's jitter either way),
 * within [TS__CHAINS_RING_MIN, TS__CHAINS_RING]. A copy's components
 * give their own periods, after its robot's overrides. */
static uint32_t ring_size(const ts_scenario *s, int writer, int reader, int64_t window)
{
    const ts_scenario_component_shared *w = s->components[writer].shared,
                                       *r = s->components[reader].shared;
    if (!steady(w) || !steady(r))
        return TS__CHAINS_RING;
    int64_t n = window / w->period_ns + 1 + 2;
    if (n < TS__CHAINS_RING_MIN)
        return TS__CHAINS_RING_MIN;
    return n > TS__CHAINS_RING ? TS__CHAINS_RING : (uint32_t)n;
}

/* The size of each ring of chain ch's stage at k (a component stage):
 * its jobs are looked up by a delivery of their samples, which left
 * within the chain's budget (a sample longer on the way misses the
 * budget anyway) and its deliveries by its job's record at the end,
 * within the budget plus its own period after its start (assumption: a
 * job ends within its period; a triggered job's sample waits in its queue
 * within the budget). What a ring misses is counted, and fails the
 * chain's gate (src/validate/chains.c). */
static void ring_sizes(const ts_scenario *s, const ts_scenario_chain *ch, size_t k,
                       uint32_t *jobs, uint32_t *got)
{
    *jobs = k + 1 < ch->n_stages
                ? ring_size(s, ch->stages[k], ch->stages[k + 2], ch->budget_ns) : 0;
    int64_t reader_period = s->components[ch->stages[k]].shared->period_ns;
    *got = k > 0 ? ring_size(s, ch->stages[k - 2], ch->stages[k],
                             ch->budget_ns + (reader_period > 0 ? reader_period : 0))
                 : 0;
}

/* CSR of stages by key (component or input topic; -1: none), in stage
 * order, so a job or delivery visits its stages in chain order. */
static int index_by(ts__chains *c, size_t n_keys, int by_topic, uint32_t **first_out,
                    uint32_t **list_out)
{
    uint32_t *first = ts_calloc(n_keys + 1, sizeof *first);
    uint32_t *list = ts_calloc(c->n_stages ? c->n_stages : 1, sizeof *list);
    uint32_t *fill = ts_calloc(n_keys ? n_keys : 1, sizeof *fill);
    *first_out = first;
    *list_out = list;
    if (!first || !list || !fill) {
        ts_free(fill);
        return TS_ENOMEM;
    }
    for (size_t i = 0; i < c->n_stages; i++) {
        int key = by_topic ? c->stages[i].in_topic : c->stages[i].component;
        if (key >= 0)
            first[key + 1]++;
    }
    for (size_t k = 0; k < n_keys; k++)
        first[k + 1] += first[k];
    for (size_t i = 0; i < c->n_stages; i++) {
        int key = by_topic ? c->stages[i].in_topic : c->stages[i].component;
        if (key >= 0)
            list[first[key] + fill[key]++] = (uint32_t)i;
    }
    ts_free(fill);
    return TS_OK;
}

int ts__chains_start(const ts__shared *sh, ts_trace_writer *trace, ts__chains **out,
                     ts_error *err)
{
    const ts_scenario *s = sh->s;
    *out = NULL;
    ts__chains tmp = {.sh = *sh, .trace = trace};
    if (s->n_chains == 0)
        return write_table(&tmp, err);
    ts__chains *c = ts_calloc(1, sizeof *c);
    if (!c)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the chains");
    *out = c;
    *c = tmp;
    /* a ring of jobs for every stage but a chain's last (whose jobs are
     * outputs, never looked up), of deliveries for every stage but its
     * first (which reads no topic), each sized by ring_sizes */
    size_t job_entries = 0, got_entries = 0;
    for (size_t i = 0; i < s->n_chains; i++) {
        const ts_scenario_chain *ch = &s->chains[i];
        c->n_stages += (ch->n_stages + 1) / 2;
        for (size_t k = 0; k < ch->n_stages; k += 2) {
            uint32_t jobs, got;
            ring_sizes(s, ch, k, &jobs, &got);
            job_entries += jobs;
            got_entries += got;
        }
    }
    c->stages = ts_calloc(c->n_stages, sizeof *c->stages);
    c->job_block = ts_calloc(job_entries ? job_entries : 1, sizeof *c->job_block);
    c->got_block = ts_calloc(got_entries ? got_entries : 1, sizeof *c->got_block);
    c->chain_overflows = ts_calloc(s->n_chains, sizeof *c->chain_overflows);
    if (!c->stages || !c->job_block || !c->got_block || !c->chain_overflows)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the chains");
    size_t at = 0, job_at = 0, got_entry = 0;
    for (size_t i = 0; i < s->n_chains; i++) {
        const ts_scenario_chain *ch = &s->chains[i];
        for (size_t k = 0; k < ch->n_stages; k += 2, at++) {
            stage *st = &c->stages[at];
            st->chain = (int32_t)i;
            st->component = ch->stages[k];
            st->in_topic = k ? ch->stages[k - 1] : -1;
            st->last = k + 1 == ch->n_stages;
            ring_sizes(s, ch, k, &st->jobs_cap, &st->got_cap);
            if (st->jobs_cap) {
                st->jobs = &c->job_block[job_at];
                job_at += st->jobs_cap;
            }
            if (st->got_cap) {
                st->got = &c->got_block[got_entry];
                got_entry += st->got_cap;
            }
            st->newest_stamp = -1;
        }
    }
    if (index_by(c, s->n_components, 0, &c->by_component_first, &c->by_component) != TS_OK ||
        index_by(c, s->n_topics, 1, &c->by_topic_first, &c->by_topic) != TS_OK)
        return ts_error_set(err, TS_ENOMEM, NULL, 0, "no memory for the chains");
    return write_table(c, err);
}

void ts__chains_free(ts__chains *c)
{
    if (!c)
        return;
    ts_free(c->stages);
    ts_free(c->job_block);
    ts_free(c->got_block);
    ts_free(c->chain_overflows);
    ts_free(c->by_component_first);
    ts_free(c->by_component);
    ts_free(c->by_topic_first);
    ts_free(c->by_topic);
    ts_free(c);
}
