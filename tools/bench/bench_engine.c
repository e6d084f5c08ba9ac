/*
 * The engine's queue benchmark: the classic HOLD model (pop the earliest
 * event, push one at now + a random increment, so the number pending stays
 * N) for N = 1e3, 1e5, 1e6, run on (a) the full ts_engine, each event a
 * no-op action that reschedules itself, and (b) a plain array binary heap of
 * (time, seq) keys written here as the baseline. Both draw the same
 * exponential increments (mean 1 us) from one GSL stream, pre-drawn into a
 * table so the random generator's cost is not in the timing.
 *
 * Memory per pending event, measured two ways after filling (the timed
 * HOLD phase allocates nothing, so this is the peak of the steady state):
 * "alloc" is the growth of glibc's in-use bytes (mallinfo2: arena + mmap)
 * divided by N, i.e. exactly what the arrays hold including the slack of
 * growth by doubling; "RSS" is the growth of VmRSS from /proc/self/status,
 * the pages actually touched. The kernel updates RSS lazily (in batches of
 * up to 64 page faults per task), so RSS is only meaningful at large N. Both
 * implementations start at capacity 1024 and grow by doubling; each
 * (implementation, N) runs in a freshly forked child so one measurement's
 * freed memory cannot hide or inflate the next's.
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

#include "toposim/sim.h"

#define INC_N (1u << 14) /* 128 KiB of increments: stays in L2 */
#define INC_MASK (INC_N - 1)
#define ROUNDS 3
#define ROUND_SECONDS 0.25
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

typedef struct result {
    double rate;
    double alloc_bytes;
    double rss_bytes;
} result;

typedef struct mem_mark {
    size_t alloc;
    long rss_kb;
} mem_mark;

static mem_mark mark(void)
{
    mem_mark m = {malloc_in_use(), status_kb("VmRSS")};
    return m;
}

static void per_event(mem_mark before, size_t n, result *out)
{
    mem_mark after = mark();
    out->alloc_bytes = (double)(after.alloc - before.alloc) / (double)n;
    out->rss_bytes = 1024.0 * (double)(after.rss_kb - before.rss_kb) / (double)n;
}

/* ---- (a) the engine ---- */

typedef struct hold_state {
    uint64_t remaining;
    uint32_t next;
} hold_state;

static void hold(ts_engine *e, void *ctx, uint64_t arg)
{
    hold_state *h = ctx;
    ts_time at = ts_engine_now(e) + inc[h->next++ & INC_MASK];
    if (ts_engine_schedule(e, at, hold, h, arg, NULL) != 0)
        abort();
    if (--h->remaining == 0)
        ts_engine_stop(e);
}

static double engine_ops(ts_engine *e, hold_state *h, uint64_t ops)
{
    h->remaining = ops;
    double t0 = seconds();
    uint64_t ran = ts_engine_run(e, TS_TIME_MAX);
    double t1 = seconds();
    if (ran != ops)
        abort();
    return t1 - t0;
}

static void bench_engine(size_t n, result *out)
{
    mem_mark m0 = mark();
    ts_engine *e = ts_engine_new(START_CAPACITY);
    if (!e)
        abort();
    hold_state h = {0, 0};
    for (size_t i = 0; i < n; i++)
        if (ts_engine_schedule(e, inc[h.next++ & INC_MASK], hold, &h, i, NULL) != 0)
            abort();
    per_event(m0, n, out);
    engine_ops(e, &h, n > 100000 ? n : 100000); /* warm-up: a full turnover */
    out->rate = 0;
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t ops = 0;
        double t = 0;
        while (t < ROUND_SECONDS) {
            t += engine_ops(e, &h, 1000000);
            ops += 1000000;
        }
        if (ops / t > out->rate)
            out->rate = ops / t;
    }
    if (ts_engine_pending(e) != n)
        abort();
    ts_engine_free(e);
}

/* ---- (b) the baseline: a plain array binary heap of (time, seq) ---- */

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

static uint64_t heap_seq;
static uint32_t heap_next;

static double heap_ops(heap *h, uint64_t ops)
{
    double t0 = seconds();
    for (uint64_t i = 0; i < ops; i++) {
        key k = heap_pop(h);
        key nk = {k.time + inc[heap_next++ & INC_MASK], heap_seq++};
        heap_push(h, nk);
    }
    double t1 = seconds();
    return t1 - t0;
}

static void bench_heap(size_t n, result *out)
{
    mem_mark m0 = mark();
    heap h = {malloc(START_CAPACITY * sizeof(key)), 0, START_CAPACITY};
    if (!h.a)
        abort();
    heap_seq = 0;
    heap_next = 0;
    for (size_t i = 0; i < n; i++) {
        key k = {inc[heap_next++ & INC_MASK], heap_seq++};
        heap_push(&h, k);
    }
    per_event(m0, n, out);
    heap_ops(&h, n > 100000 ? n : 100000);
    out->rate = 0;
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t ops = 0;
        double t = 0;
        while (t < ROUND_SECONDS) {
            t += heap_ops(&h, 1000000);
            ops += 1000000;
        }
        if (ops / t > out->rate)
            out->rate = ops / t;
    }
    if (h.n != n)
        abort();
    free(h.a);
}

/* ---- driver ---- */

/* Runs one measurement in a fresh child so earlier sizes' freed memory
 * neither hides nor inflates this one's resident growth. */
static int measure(void (*fn)(size_t, result *), size_t n, result *out)
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
        result r;
        fn(n, &r);
        ssize_t w = write(fd[1], &r, sizeof r);
        _exit(w == (ssize_t)sizeof r ? 0 : 1);
    }
    close(fd[1]);
    ssize_t got = read(fd[0], out, sizeof *out);
    close(fd[0]);
    int status;
    waitpid(pid, &status, 0);
    if (got != (ssize_t)sizeof *out || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    return 0;
}

int main(void)
{
    gsl_rng *r = ts_rng_new(1, "bench_engine");
    if (!r)
        return 1;
    for (size_t i = 0; i < INC_N; i++)
        inc[i] = (ts_time)(gsl_ran_exponential(r, 1000.0) + 0.5);
    gsl_rng_free(r);

    static const size_t sizes[] = {1000, 100000, 1000000};
    printf("HOLD model, exponential increments (mean 1 us); rate = best of %d "
           "rounds of >= %.2f s\n", ROUNDS, ROUND_SECONDS);
    printf("memory per pending event after filling: alloc = malloc'd bytes "
           "(mallinfo2), RSS = VmRSS growth\n(RSS is counted lazily by the "
           "kernel: trust it only at large N); both grow by doubling from "
           "%d\n\n", START_CAPACITY);
    printf("%10s  %12s  %12s  %8s  %21s  %21s\n", "", "", "", "",
           "engine B/event", "heap B/event");
    printf("%10s  %12s  %12s  %8s  %10s  %10s  %10s  %10s\n", "pending N",
           "engine ev/s", "heap ev/s", "eng/heap", "alloc", "RSS", "alloc",
           "RSS");
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        result a, b;
        if (measure(bench_engine, sizes[i], &a) != 0 ||
            measure(bench_heap, sizes[i], &b) != 0) {
            fprintf(stderr, "bench_engine: measurement for N=%zu failed\n", sizes[i]);
            return 1;
        }
        printf("%10zu  %12.3e  %12.3e  %8.2f  %10.1f  %10.1f  %10.1f  %10.1f\n",
               sizes[i], a.rate, b.rate, a.rate / b.rate, a.alloc_bytes,
               a.rss_bytes, b.alloc_bytes, b.rss_bytes);
    }
    return 0;
}
