/*
 * The engine's queue benchmark: the classic HOLD model (pop the earliest
 * event, push one at now + a random increment, so the number pending stays
 * N) for N = 1e3, 1e5, 1e6, on
 *   engine  the full ts_engine (build-selected queue), each event a no-op
 *           action that reschedules itself;
 *   ladder  the ladder queue alone (queue_ladder.c);
 *   heapq   the engine's former binary heap alone (queue_heap.c);
 *   heap    a plain array binary heap of (time, seq) keys written here: the
 *           baseline the targets are stated against.
 * Two increment shapes: "exp", exponential with mean 1 us; "sim", shaped
 * like the simulator's events (periodic jobs at 1 ms, 2 ms and 10 ms,
 * message hops 2-2.1 ms ahead, serialisations under 100 us, and 10 % at
 * the same instant). Increments are pre-drawn into a table from one GSL
 * stream, so the generator's cost is not in the timing.
 *
 * The machine is shared and noisy, so the contenders run in interleaved
 * rounds inside one process (A B C D, A B C D, ...) and the figures are
 * medians over rounds; the ratio column is the median of the per-round
 * ratios engine / heap.
 *
 * Memory per pending event, measured two ways after filling (the timed
 * HOLD phase allocates nothing, so this is the peak of the steady state):
 * "alloc" is the growth of glibc's in-use bytes (mallinfo2: arena + mmap)
 * divided by N, i.e. exactly what the arrays hold including the slack of
 * growth by doubling; "RSS" is the growth of VmRSS from /proc/self/status,
 * the pages actually touched. The kernel updates RSS lazily (in batches of
 * up to 64 page faults per task), so RSS is only meaningful at large N.
 * Each (implementation, N) memory figure comes from a freshly forked child
 * so one measurement's freed memory cannot hide or inflate the next's.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "toposim/sim.h"

#include "engine/queue_impls.h"

#define INC_N (1u << 14) /* 128 KiB of increments: stays in L2 */
#define INC_MASK (INC_N - 1)
#define ROUNDS 7
#define ROUND_SECONDS 0.08
#define START_CAPACITY 1024

static ts_time inc[INC_N];

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Reads a "Key:   123 kB" line of /proc/self/status; -1 if absent. */
static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    size_t n = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0 && line[n] == ':') {
            kb = strtol(line + n + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

static size_t malloc_in_use(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

/* ---- contenders: fill(n) then hold(ops) ---- */

/* (a) the engine */

typedef struct hold_state {
    uint64_t remaining;
    uint32_t next;
} hold_state;

static ts_engine *eng;
static hold_state eng_h;

static void hold(ts_engine *e, void *ctx, uint64_t arg)
{
    hold_state *h = ctx;
    ts_time at = ts_engine_now(e) + inc[h->next++ & INC_MASK];
    if (ts_engine_schedule(e, at, hold, h, arg, NULL) != 0)
        abort();
    if (--h->remaining == 0)
        ts_engine_stop(e);
}

static void engine_fill(size_t n)
{
    eng = ts_engine_new(START_CAPACITY);
    if (!eng)
        abort();
    eng_h.next = 0;
    for (size_t i = 0; i < n; i++)
        if (ts_engine_schedule(eng, inc[eng_h.next++ & INC_MASK], hold, &eng_h, i, NULL) != 0)
            abort();
}

static void engine_hold(uint64_t ops)
{
    eng_h.remaining = ops;
    if (ts_engine_run(eng, TS_TIME_MAX) != ops)
        abort();
}

static void engine_done(void)
{
    ts_engine_free(eng);
}

/* (b, c) a queue implementation alone, with ids handed out as the engine
 * hands out pool slots (the id just popped is pushed again). */

typedef struct queue_impl {
    ts_queue *(*make)(size_t);
    void (*destroy)(ts_queue *);
    int (*push)(ts_queue *, uint32_t, ts_queue_key);
    uint32_t (*pop)(ts_queue *, ts_queue_key *);
} queue_impl;

static const queue_impl ladder_impl = {ts__ladderq_new, ts__ladderq_free,
                                       ts__ladderq_push, ts__ladderq_pop};
static const queue_impl heapq_impl = {ts__heapq_new, ts__heapq_free,
                                      ts__heapq_push, ts__heapq_pop};

typedef struct queue_run {
    const queue_impl *impl;
    ts_queue *q;
    uint64_t seq;
    uint32_t next;
} queue_run;

static queue_run ladder_run = {&ladder_impl, NULL, 0, 0};
static queue_run heapq_run = {&heapq_impl, NULL, 0, 0};

static void queue_fill(queue_run *r, size_t n)
{
    r->q = r->impl->make(START_CAPACITY);
    if (!r->q)
        abort();
    r->seq = 0;
    r->next = 0;
    for (size_t i = 0; i < n; i++) {
        ts_queue_key k = {inc[r->next++ & INC_MASK], r->seq++};
        if (r->impl->push(r->q, (uint32_t)i, k) != 0)
            abort();
    }
}

static void queue_hold(queue_run *r, uint64_t ops)
{
    const queue_impl *qi = r->impl;
    ts_queue *q = r->q;
    uint64_t seq = r->seq;
    uint32_t next = r->next;
    for (uint64_t i = 0; i < ops; i++) {
        ts_queue_key k;
        uint32_t id = qi->pop(q, &k);
        ts_queue_key nk = {k.time + inc[next++ & INC_MASK], seq++};
        if (qi->push(q, id, nk) != 0)
            abort();
    }
    r->seq = seq;
    r->next = next;
}

static void ladder_fill(size_t n) { queue_fill(&ladder_run, n); }
static void ladder_hold(uint64_t ops) { queue_hold(&ladder_run, ops); }
static void ladder_done(void) { ladder_run.impl->destroy(ladder_run.q); }
static void heapq_fill(size_t n) { queue_fill(&heapq_run, n); }
static void heapq_hold(uint64_t ops) { queue_hold(&heapq_run, ops); }
static void heapq_done(void) { heapq_run.impl->destroy(heapq_run.q); }

/* (d) the baseline: a plain array binary heap of (time, seq) */

typedef struct key {
    ts_time time;
    uint64_t seq;
} key;

typedef struct heap {
    key *a;
    size_t n;
    size_t cap;
} heap;

static inline int less(key x, key y)
{
    return x.time < y.time || (x.time == y.time && x.seq < y.seq);
}

static void heap_push(heap *h, key k)
{
    if (h->n == h->cap) {
        h->cap *= 2;
        h->a = realloc(h->a, h->cap * sizeof *h->a);
        if (!h->a)
            abort();
    }
    size_t i = h->n++;
    while (i > 0 && less(k, h->a[(i - 1) / 2])) {
        h->a[i] = h->a[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->a[i] = k;
}

static key heap_pop(heap *h)
{
    key top = h->a[0];
    key last = h->a[--h->n];
    size_t i = 0, n = h->n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && less(h->a[c + 1], h->a[c]))
            c++;
        if (!less(h->a[c], last))
            break;
        h->a[i] = h->a[c];
        i = c;
    }
    h->a[i] = last;
    return top;
}

static heap hp;
static uint64_t heap_seq;
static uint32_t heap_next;

static void heap_fill(size_t n)
{
    hp.a = malloc(START_CAPACITY * sizeof(key));
    hp.n = 0;
    hp.cap = START_CAPACITY;
    if (!hp.a)
        abort();
    heap_seq = 0;
    heap_next = 0;
    for (size_t i = 0; i < n; i++) {
        key k = {inc[heap_next++ & INC_MASK], heap_seq++};
        heap_push(&hp, k);
    }
}

static void heap_hold(uint64_t ops)
{
    for (uint64_t i = 0; i < ops; i++) {
        key k = heap_pop(&hp);
        key nk = {k.time + inc[heap_next++ & INC_MASK], heap_seq++};
        heap_push(&hp, nk);
    }
}

static void heap_done(void)
{
    free(hp.a);
}

typedef struct contender {
    const char *name;
    void (*fill)(size_t);
    void (*hold)(uint64_t);
    void (*done)(void);
} contender;

enum { ENGINE, LADDER, HEAPQ, HEAP, NCONT };

static const contender contenders[NCONT] = {
    {"engine", engine_fill, engine_hold, engine_done},
    {"ladder", ladder_fill, ladder_hold, ladder_done},
    {"heapq", heapq_fill, heapq_hold, heapq_done},
    {"heap", heap_fill, heap_hold, heap_done},
};

/* ---- increments ---- */

static void draw_exponential(gsl_rng *r)
{
    for (size_t i = 0; i < INC_N; i++)
        inc[i] = (ts_time)(gsl_ran_exponential(r, 1000.0) + 0.5);
}

/* Shaped like a robot fleet's events: periodic jobs, message hops over a
 * 2 ms link, serialisations, and work released at the same instant. */
static void draw_sim(gsl_rng *r)
{
    for (size_t i = 0; i < INC_N; i++) {
        double u = gsl_rng_uniform(r);
        if (u < 0.10)
            inc[i] = 0;
        else if (u < 0.30)
            inc[i] = TS_MS;
        else if (u < 0.40)
            inc[i] = 2 * TS_MS;
        else if (u < 0.50)
            inc[i] = 10 * TS_MS;
        else if (u < 0.75)
            inc[i] = 2 * TS_MS + (ts_time)gsl_rng_uniform_int(r, 100000);
        else
            inc[i] = (ts_time)gsl_rng_uniform_int(r, 100000);
    }
}

/* ---- measurement ---- */

typedef struct rates {
    double median[NCONT];
    double ratio;           /* median over rounds of engine / heap */
    double ladder_ratio;    /* median over rounds of ladder / heapq */
} rates;

/* Fills every contender to n, warms each up with a full turnover, then
 * times them in interleaved rounds. */
static void measure_rates(size_t n, rates *out)
{
    double rate[NCONT][ROUNDS], ratio[ROUNDS], lratio[ROUNDS];
    uint64_t chunk = n < 100000 ? 100000 : n / 4;
    for (int c = 0; c < NCONT; c++) {
        contenders[c].fill(n);
        contenders[c].hold(n > 100000 ? n : 100000);
    }
    for (int r = 0; r < ROUNDS; r++) {
        for (int c = 0; c < NCONT; c++) {
            uint64_t ops = 0;
            double t = 0;
            while (t < ROUND_SECONDS) {
                double t0 = seconds();
                contenders[c].hold(chunk);
                t += seconds() - t0;
                ops += chunk;
            }
            rate[c][r] = (double)ops / t;
        }
        ratio[r] = rate[ENGINE][r] / rate[HEAP][r];
        lratio[r] = rate[LADDER][r] / rate[HEAPQ][r];
    }
    for (int c = 0; c < NCONT; c++) {
        gsl_sort(rate[c], 1, ROUNDS);
        out->median[c] = gsl_stats_median_from_sorted_data(rate[c], 1, ROUNDS);
        contenders[c].done();
    }
    gsl_sort(ratio, 1, ROUNDS);
    gsl_sort(lratio, 1, ROUNDS);
    out->ratio = gsl_stats_median_from_sorted_data(ratio, 1, ROUNDS);
    out->ladder_ratio = gsl_stats_median_from_sorted_data(lratio, 1, ROUNDS);
}

typedef struct memory {
    double alloc_bytes, rss_bytes;
} memory;

static void measure_memory(int c, size_t n, memory *out)
{
    size_t a0 = malloc_in_use();
    long r0 = status_kb("VmRSS");
    contenders[c].fill(n);
    out->alloc_bytes = (double)(malloc_in_use() - a0) / (double)n;
    out->rss_bytes = 1024.0 * (double)(status_kb("VmRSS") - r0) / (double)n;
    contenders[c].done();
}

/* Runs fn in a fresh child and copies its result back through a pipe. */
typedef void (*child_fn)(int c, size_t n, void *out);

static void rates_child(int c, size_t n, void *out)
{
    (void)c;
    measure_rates(n, out);
}

static void memory_child(int c, size_t n, void *out)
{
    measure_memory(c, n, out);
}

static int in_child(child_fn fn, int c, size_t n, void *out, size_t size)
{
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(fd[0]);
        char buf[512];
        fn(c, n, buf);
        ssize_t w = write(fd[1], buf, size);
        _exit(w == (ssize_t)size ? 0 : 1);
    }
    close(fd[1]);
    ssize_t got = read(fd[0], out, size);
    close(fd[0]);
    int status;
    waitpid(pid, &status, 0);
    if (got != (ssize_t)size || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    return 0;
}

static int run_shape(const char *shape, size_t n, int with_memory)
{
    rates r;
    if (in_child(rates_child, 0, n, &r, sizeof r) != 0)
        return -1;
    printf("%-4s %9zu  %9.2e %9.2e %9.2e %9.2e  %7.2fx %7.2fx", shape, n,
           r.median[ENGINE], r.median[LADDER], r.median[HEAPQ], r.median[HEAP],
           r.ratio, r.ladder_ratio);
    if (with_memory) {
        memory me, mh;
        if (in_child(memory_child, ENGINE, n, &me, sizeof me) != 0 ||
            in_child(memory_child, HEAP, n, &mh, sizeof mh) != 0)
            return -1;
        printf("  %6.1f %6.1f  %6.1f %6.1f", me.alloc_bytes, me.rss_bytes,
               mh.alloc_bytes, mh.rss_bytes);
    }
    printf("%s\n", n >= 100000 && r.ratio < 1.5 ? "  (below 1.5x)" : "");
    return 0;
}

int main(void)
{
    static const size_t sizes[] = {1000, 100000, 1000000};
    enum { NS = sizeof sizes / sizeof *sizes };
    gsl_rng *r = ts_rng_new(1, "bench_engine");
    if (!r)
        return 1;
    printf("event queue, HOLD model: events/s (median of %d interleaved rounds "
           "of >= %.2f s)\ntarget: engine at least 1.5x the plain binary heap "
           "at 1e5 and 1e6 pending\n", ROUNDS, ROUND_SECONDS);
    printf("memory per pending event after filling: alloc = malloc'd bytes "
           "(mallinfo2), RSS = VmRSS growth\n(RSS is counted lazily by the "
           "kernel: trust it only at large N); both grow by doubling from "
           "%d\n\n", START_CAPACITY);
    printf("%-4s %9s  %9s %9s %9s %9s  %8s %8s  %13s  %13s\n", "inc", "pending",
           "engine", "ladder", "heapq", "heap", "eng/heap", "lad/hpq",
           "engine B/ev", "heap B/ev");
    printf("%-4s %9s  %9s %9s %9s %9s  %8s %8s  %6s %6s  %6s %6s\n", "", "", "",
           "", "", "", "", "", "alloc", "RSS", "alloc", "RSS");
    draw_exponential(r);
    for (size_t i = 0; i < NS; i++)
        if (run_shape("exp", sizes[i], 1) != 0)
            goto fail;
    draw_sim(r);
    for (size_t i = 0; i < NS; i++)
        if (run_shape("sim", sizes[i], 0) != 0)
            goto fail;
    gsl_rng_free(r);
    return 0;
fail:
    fprintf(stderr, "bench_engine: a measurement failed\n");
    gsl_rng_free(r);
    return 1;
}
