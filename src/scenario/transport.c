/*
 * The same-node transport vocabulary of a scenario: the platform's
 * <transport same-node="..."> with the <cost> figures it replaces, and a
 * topic's transport= and loaned= attributes. The schema lets any token through so that a wrong name gets
 * a message listing the right ones; what the transports cost is the
 * simulator's (src/sim/transport.c).
 */
#include <math.h>
#include <string.h>

#include "loader.h"

static const char *const cost_names[TS_COST_PATHS] = {
    [TS_COST_SHM] = "shm",
    [TS_COST_LOANED] = "loaned",
    [TS_COST_UDP_LOOPBACK] = "udp-loopback",
    [TS_COST_INTRA_PROCESS] = "intra-process",
    [TS_COST_SERIALISE] = "serialise",
};

/* <cost path= latency= bandwidth=>: replaces that path's figures. */
static int read_cost(ts__builder *b, const xmlNode *el, const int *line_of)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    const char *path = ts__attr(el, "path");
    int k = 0;
    while (k < TS_COST_PATHS && !ts__token_eq(path, cost_names[k]))
        k++;
    if (k == TS_COST_PATHS)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "cost: path=\"%s\" is no cost the model has (expected shm, "
                            "loaned, udp-loopback, intra-process or serialise)", path);
    if (line_of[k])
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "cost: a second path=\"%s\" (the first is at line %d)",
                            cost_names[k], line_of[k]);
    ts_scenario_cost *c = &s->transport_cost[k];
    int present;
    int rc = ts__bquantity(b, el, "latency", TS__Q_TIME, &c->fixed_ns, NULL, &present);
    if (rc)
        return rc;
    if (!present)
        c->fixed_ns = -1;
    double bps;
    rc = ts__bquantity(b, el, "bandwidth", TS__Q_BITRATE, NULL, &bps, &present);
    if (rc)
        return rc;
    if (present) {
        if (!(bps > 0))
            return ts__bpositive(b, el, "bandwidth");
        /* 8 bits a byte: ps per byte = 8e12 / (bit/s), to the nearest ps */
        double ps = nearbyint(8e12 / bps);
        c->ps_per_byte = ps < 9e18 ? (int64_t)ps : INT64_MAX;
    }
    return TS_OK;
}

static const struct {
    const char *name;
    ts_transport_kind kind;
} transport_names[] = {
    {"shm", TS_TRANSPORT_SHM},
    {"udp-loopback", TS_TRANSPORT_UDP_LOOPBACK},
    {"intra-process", TS_TRANSPORT_INTRA_PROCESS},
};

#define TRANSPORT_CHOICES "shm, udp-loopback or intra-process"

/* attr's transport name into *out; 0 and *out untouched when absent. */
static int read_kind(ts__builder *b, const xmlNode *el, const char *attr,
                     ts_transport_kind *out)
{
    const char *v = ts__attr(el, attr);
    if (!v)
        return TS_OK;
    for (size_t i = 0; i < sizeof transport_names / sizeof transport_names[0]; i++)
        if (ts__token_eq(v, transport_names[i].name)) {
            *out = transport_names[i].kind;
            return TS_OK;
        }
    char who[320];
    ts__who_of(el, who, sizeof who);
    return ts_error_set(b->L->err, TS_EINVAL, b->file, ts__line(el),
                        "%s: %s=\"%s\" is no transport (expected " TRANSPORT_CHOICES ")",
                        who, attr, v);
}

int ts__walk_transport(ts__builder *b, const xmlNode *platform)
{
    b->s->same_node_transport = TS_TRANSPORT_SHM;
    for (int k = 0; k < TS_COST_PATHS; k++)
        b->s->transport_cost[k] = (ts_scenario_cost){-1, -1};
    const xmlNode *el = ts__child_named(platform, "transport");
    if (!el)
        return TS_OK;
    for (const xmlNode *c = ts__next_sibling(el); c; c = ts__next_sibling(c))
        if (strcmp((const char *)c->name, "transport") == 0)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, ts__line(c),
                                "platform: a second <transport> (the first is at "
                                "line %d; one platform has one same-node default)",
                                ts__line(el));
    ts_transport_kind kind = TS_TRANSPORT_SHM;
    int rc = read_kind(b, el, "same-node", &kind);
    b->s->same_node_transport = (int)kind;
    int line_of[TS_COST_PATHS] = {0};
    for (const xmlNode *c = ts__first_child(el); c && !rc; c = ts__next_sibling(c)) {
        rc = read_cost(b, c, line_of);
        if (!rc) {
            for (int k = 0; k < TS_COST_PATHS; k++)
                if (!line_of[k] && ts__token_eq(ts__attr(c, "path"), cost_names[k]))
                    line_of[k] = ts__line(c);
        }
    }
    return rc;
}

int ts__topic_transport(ts__builder *b, const xmlNode *el, ts_scenario_topic *t)
{
    ts_transport_kind kind = TS_TRANSPORT_DEFAULT;
    int rc = read_kind(b, el, "transport", &kind);
    if (rc)
        return rc;
    t->transport = (unsigned char)kind;
    t->loaned = (unsigned char)ts__bool_attr(el, "loaned");
    /* A loan is a chunk of shared memory the publisher writes in place
     * (rclcpp's borrow_loaned_message, iceoryx's loan): no other
     * transport has one to give. */
    if (t->loaned && kind != TS_TRANSPORT_DEFAULT && kind != TS_TRANSPORT_SHM)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, ts__line(el),
                            "topic %s: loaned=\"true\" needs shared memory, but "
                            "transport=\"%s\" (loaned messages are shared-memory "
                            "chunks: use transport=\"shm\" or drop loaned)",
                            t->id, ts__attr(el, "transport"));
    return TS_OK;
}
