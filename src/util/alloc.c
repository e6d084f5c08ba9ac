/* The allocation hook: counts live blocks and can fail the Nth request. */
#include "toposim/alloc.h"

#include <stdlib.h>
#include <string.h>

/* Plain counters, not atomics: the library is single-threaded per process
 * (batch runs use processes). */
static long live_blocks;
static long fail_countdown;
static long requests;

long ts_alloc_requests(void) { return requests; }

static int should_fail(void)
{
    requests++;
    if (fail_countdown <= 0)
        return 0;
    return --fail_countdown == 0;
}

void *ts_malloc(size_t size)
{
    if (should_fail())
        return NULL;
    void *p = malloc(size ? size : 1);
    if (p)
        live_blocks++;
    return p;
}

void *ts_calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p)
        live_blocks++;
    return p;
}

void *ts_realloc(void *ptr, size_t size)
{
    if (should_fail())
        return NULL;
    void *p = realloc(ptr, size ? size : 1);
    if (p && !ptr)
        live_blocks++;
    return p;
}

void ts_free(void *ptr)
{
    if (!ptr)
        return;
    live_blocks--;
    free(ptr);
}

char *ts_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = ts_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void ts_alloc_fail_after(long n) { fail_countdown = n; }

long ts_alloc_live(void) { return live_blocks; }
