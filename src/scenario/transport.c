/*
 * The same-node transport vocabulary of a scenario: the platform's
 * <transport same-node="..."/> and a topic's transport= and loaned=
 * attributes. The schema lets any token through so that a wrong name gets
 * a message listing the right ones; what the transports cost is the
 * simulator's (src/sim/transport.c).
 */
#include <string.h>

#include "loader.h"

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
