/*
 * The bus: per kind, a short fixed list of subscribers, so a post costs
 * the subscribers of its kind and no string compare or allocation.
 * Delivery order is subscription order (kind's own, then catch-all): it
 * fixes the order of trace rows, which must not change between runs.
 */
#include "sim/bus.h"

#include "toposim/alloc.h"

#define SUBS_PER_KIND 4
#define SUBS_ALL 4

typedef struct sub {
    ts__bus_fn fn;
    void *ctx;
} sub;

struct ts__bus {
    ts_engine *engine;
    sub kind[TS_EV_COUNT][SUBS_PER_KIND];
    unsigned char n_kind[TS_EV_COUNT];
    sub all[SUBS_ALL];
    int n_all;
    int failed;
    ts_error first_error;
};

ts__bus *ts__bus_new(ts_engine *engine)
{
    ts__bus *b = ts_calloc(1, sizeof *b);
    if (b)
        b->engine = engine;
    return b;
}

void ts__bus_free(ts__bus *bus)
{
    ts_free(bus);
}

int ts__bus_subscribe(ts__bus *bus, ts_event_kind kind, ts__bus_fn fn, void *ctx)
{
    if ((unsigned)kind >= (unsigned)TS_EV_COUNT || !fn)
        return TS_EINVAL;
    if (bus->n_kind[kind] == SUBS_PER_KIND)
        return TS_ERANGE;
    bus->kind[kind][bus->n_kind[kind]++] = (sub){fn, ctx};
    return TS_OK;
}

int ts__bus_subscribe_all(ts__bus *bus, ts__bus_fn fn, void *ctx)
{
    if (!fn)
        return TS_EINVAL;
    if (bus->n_all == SUBS_ALL)
        return TS_ERANGE;
    bus->all[bus->n_all++] = (sub){fn, ctx};
    return TS_OK;
}

void ts__bus_post(ts__bus *bus, const ts_platform_event *ev)
{
    if ((unsigned)ev->kind < (unsigned)TS_EV_COUNT)
        for (int i = 0; i < bus->n_kind[ev->kind]; i++)
            bus->kind[ev->kind][i].fn(bus->kind[ev->kind][i].ctx, ev);
    for (int i = 0; i < bus->n_all; i++)
        bus->all[i].fn(bus->all[i].ctx, ev);
}

void ts__bus_fail(ts__bus *bus, const ts_error *e)
{
    if (!bus->failed) {
        bus->failed = 1;
        bus->first_error = *e;
        ts_engine_stop(bus->engine);
    }
}

int ts__bus_failed(const ts__bus *bus)
{
    return bus->failed;
}

const ts_error *ts__bus_error(const ts__bus *bus)
{
    return &bus->first_error;
}
