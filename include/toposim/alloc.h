/*
 * toposim's one allocation hook (as Lua's allocator): every heap allocation
 * in the library goes through these, so a test build can fail the Nth
 * allocation and count what is still live at exit.
 */
#ifndef TOPOSIM_ALLOC_H
#define TOPOSIM_ALLOC_H

#include <stddef.h>

/* malloc/calloc/realloc/free through the hook; same contracts as libc. */
void *ts_malloc(size_t size);
void *ts_calloc(size_t count, size_t size);
void *ts_realloc(void *ptr, size_t size);
void ts_free(void *ptr);

/* Duplicates a NUL-terminated string; the caller frees with ts_free. */
char *ts_strdup(const char *s);

/* Test hook: make the Nth allocation from now fail (0 disables). */
void ts_alloc_fail_after(long n);

/* Number of allocations made through the hook and not yet freed. */
long ts_alloc_live(void);

/* Allocation requests made through the hook so far, failed ones too (so
 * a test knows how many a piece of work makes, and whether the one it
 * failed was reached). */
long ts_alloc_requests(void);

#endif
