/*
 * The process's resource limits (see limits.h): a table of names,
 * defaults and current values, and the system's memory budget.
 */
#include "toposim/limits.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

typedef struct limit_info {
    const char *name;
    uint64_t def;
    const char *what;
} limit_info;

/* Defaults sit far above any real scenario and far below what would hurt:
 * the largest shipped scenario has a few hundred elements, at most ~20
 * attributes per element and 6 levels of nesting; a 16 MiB document holds
 * at most ~1.6 M elements. libxml2's own depth bound is 256. */
static const limit_info info[TS_LIMIT_COUNT] = {
    [TS_LIMIT_ELEMENTS] = {"elements", 1000000, "XML elements in one scenario or model file"},
    [TS_LIMIT_ATTRIBUTES] = {"attributes", 256, "attributes of one XML element"},
    [TS_LIMIT_DEPTH] = {"depth", 64, "nesting depth of XML elements"},
    [TS_LIMIT_FLEET_SIZE] = {"fleet-size", 10000, "robots in one <fleet> (count=)"},
    [TS_LIMIT_COMPONENTS] = {"components", 200000, "components once fleets are expanded"},
    [TS_LIMIT_CORES] = {"cores", 4096, "CPU cores of one node"},
    [TS_LIMIT_EVENTS] = {"events", 20000000, "simulation events pending at once"},
    [TS_LIMIT_JOBS] = {"jobs", 100000, "released jobs of one component waiting to run"},
    [TS_LIMIT_MEMORY] = {"memory", 0, "bytes of memory planned on (default: the least of "
                                      "physical memory, RLIMIT_AS and cgroup memory.max)"},
    [TS_LIMIT_TRACE_ROWS] = {"trace-rows", 1000000000, "rows of one trace table"},
};

static uint64_t current[TS_LIMIT_COUNT];
static int set[TS_LIMIT_COUNT];

static int valid(ts_limit_id id) { return (unsigned)id < (unsigned)TS_LIMIT_COUNT; }

uint64_t ts_limit(ts_limit_id id)
{
    if (!valid(id))
        return 0;
    if (set[id])
        return current[id];
    return id == TS_LIMIT_MEMORY ? ts_memory_budget() : info[id].def;
}

const char *ts_limit_name(ts_limit_id id) { return valid(id) ? info[id].name : "unknown"; }
uint64_t ts_limit_default(ts_limit_id id) { return valid(id) ? info[id].def : 0; }
const char *ts_limit_what(ts_limit_id id) { return valid(id) ? info[id].what : ""; }

int ts_limit_find(const char *name)
{
    for (int i = 0; name && i < TS_LIMIT_COUNT; i++)
        if (strcmp(info[i].name, name) == 0)
            return i;
    return -1;
}

int ts_limit_set(ts_limit_id id, uint64_t value)
{
    if (!valid(id) || value == 0)
        return TS_EINVAL;
    current[id] = value;
    set[id] = 1;
    return TS_OK;
}

void ts_limits_reset(void)
{
    memset(set, 0, sizeof set);
    memset(current, 0, sizeof current);
}

int ts_limit_error(ts_error *err, ts_limit_id id, const char *file, int line,
                   const char *fmt, ...)
{
    char what[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return ts_error_set(err, TS_ERANGE, file, line,
                        "%s (limit %s=%llu; raise it with --limit %s=N)",
                        what, ts_limit_name(id), (unsigned long long)ts_limit(id),
                        ts_limit_name(id));
}

uint64_t ts_memory_budget(void)
{
    uint64_t least = 0;
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
    long pages = sysconf(_SC_PHYS_PAGES);
    long page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0)
        least = (uint64_t)pages * (uint64_t)page;
#endif
    struct rlimit as;
    if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY &&
        (least == 0 || (uint64_t)as.rlim_cur < least))
        least = (uint64_t)as.rlim_cur;
    /* "max" (no limit) does not scan as a number and is skipped. */
    FILE *f = fopen("/sys/fs/cgroup/memory.max", "r");
    if (f) {
        unsigned long long max;
        if (fscanf(f, "%llu", &max) == 1 && max > 0 && (least == 0 || max < least))
            least = (uint64_t)max;
        fclose(f);
    }
    return least;
}
