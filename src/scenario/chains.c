/*
 * <chains>: processing chains (cause-effect chains in the sense of Becker
 * et al., "End-to-end timing analysis of cause-effect chains in
 * automotive embedded systems", JSA 2017, and of the ROS 2 analyses of
 * Casini et al., ECRTS 2019, and Teper et al., RTSS 2022): a component
 * whose job takes the input, then topic and component in turn, the last
 * component's job giving the output. Each topic must carry data from the
 * stage before it to the stage after it, so a chain the run could never
 * complete is refused here, naming the stage's line and what it expected.
 */
#include "loader.h"

#include <stdio.h>
#include <string.h>

#include "toposim/alloc.h"

/* Whether topic t is subscribed by component c. */
static int subscribes(const ts_scenario_topic *t, int c)
{
    for (uint32_t i = 0; i < t->n_subscribers; i++)
        if (t->subscribers[i] == c)
            return 1;
    return 0;
}

/* One <stage>: exactly one of component= and topic=, the kind its place
 * asks for (components at even places), naming an existing item; the
 * index is appended to ch->stages. */
static int read_stage(ts__builder *b, ts_scenario_chain *ch, const xmlNode *el, size_t place)
{
    int line = ts__line(el);
    const char *comp = ts__attr(el, "component"), *topic = ts__attr(el, "topic");
    int want_component = place % 2 == 0;
    const char *want = want_component ? "component" : "topic";
    if ((comp != NULL) == (topic != NULL))
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "chain %s: stage %zu must have exactly one of component= and "
                            "topic= (expected %s=, as stages alternate component, topic, "
                            "component)", ch->id, place + 1, want);
    if (want_component != (comp != NULL))
        return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                            "chain %s: stage %zu is a %s, expected a %s (stages alternate "
                            "component, topic, component, starting with a component)",
                            ch->id, place + 1, comp ? "component" : "topic", want);
    int idx = comp ? ts__id_find(b->component_ids, comp) : ts__id_find(b->topic_ids, topic);
    if (idx < 0)
        return ts_error_set(b->L->err, TS_ENOENT, b->file, line,
                            "chain %s: stage %zu %s=\"%s\" names no %s (expected the id of a "
                            "<%s>)", ch->id, place + 1, want, comp ? comp : topic, want, want);
    const ts_scenario *s = b->s;
    if (comp) {
        for (size_t k = 0; k < ch->n_stages; k += 2)
            if (ch->stages[k] == idx)
                return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                    "chain %s: component %s appears twice (stages %zu and "
                                    "%zu); a chain visits each component once", ch->id,
                                    comp, k + 1, place + 1);
        if (place > 0) {
            const ts_scenario_topic *t = &s->topics[ch->stages[place - 1]];
            if (!subscribes(t, idx))
                return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                    "chain %s: component %s does not subscribe to topic %s "
                                    "(the stage before it); expected one of the topic's "
                                    "subscribers", ch->id, comp, t->id);
        }
    } else {
        const ts_scenario_topic *t = &s->topics[idx];
        int prev = ch->stages[place - 1];
        if (t->publisher != prev)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                "chain %s: topic %s is published by %s, not by %s (the "
                                "stage before it); expected a topic %s publishes", ch->id,
                                topic, s->components[t->publisher].id, s->components[prev].id,
                                s->components[prev].id);
    }
    ch->stages[ch->n_stages++] = idx;
    return TS_OK;
}

static int add_chain(ts__builder *b, const xmlNode *el)
{
    ts_scenario *s = b->s;
    int line = ts__line(el);
    const char *id = ts__attr(el, "id");
    for (size_t i = 0; i < s->n_chains; i++)
        if (strcmp(s->chains[i].id, id) == 0)
            return ts_error_set(b->L->err, TS_EINVAL, b->file, line,
                                "duplicate chain id \"%s\": the chain at line %d already "
                                "uses it", id, s->chains[i].line);
    ts_scenario_chain *grown = ts__grow(s->chains, &b->cap_chains, s->n_chains, sizeof *grown);
    if (!grown)
        return ts__oom(b, line);
    s->chains = grown;
    ts_scenario_chain *ch = &s->chains[s->n_chains++];
    memset(ch, 0, sizeof *ch);
    ch->line = line;
    ch->id = ts_strdup(id);
    size_t n = 0;
    for (const xmlNode *c = ts__first_child(el); c; c = ts__next_sibling(c))
        n++;
    ch->stages = ts_calloc(n ? n : 1, sizeof *ch->stages);
    if (!ch->id || !ch->stages)
        return ts__oom(b, line);
    int rc = ts__bquantity(b, el, "budget", TS__Q_TIME, &ch->budget_ns, NULL, NULL);
    if (rc)
        return rc;
    if (ch->budget_ns <= 0)
        return ts__bpositive(b, el, "budget");
    size_t place = 0, text = 0;
    const xmlNode *last = el;
    for (const xmlNode *c = ts__first_child(el); c && !rc; c = ts__next_sibling(c), place++) {
        rc = read_stage(b, ch, c, place);
        last = c;
        if (!rc) {
            const char *sid = place % 2 == 0 ? s->components[ch->stages[place]].id
                                             : s->topics[ch->stages[place]].id;
            text += strlen(sid) + (place > 0);
        }
    }
    if (rc)
        return rc;
    if (ch->n_stages < 3 || ch->n_stages % 2 == 0)
        return ts_error_set(b->L->err, TS_EINVAL, b->file, ts__line(last),
                            "chain %s: ends with topic %s; expected a component after it "
                            "(a chain starts and ends with a component)", ch->id,
                            s->topics[ch->stages[ch->n_stages - 1]].id);
    if (text > TS_SCENARIO_CHAIN_TEXT_MAX)
        return ts_error_set(b->L->err, TS_ERANGE, b->file, line,
                            "chain %s: its stage ids take %zu characters joined, more than "
                            "the %d a trace holds; expected fewer or shorter stages", ch->id,
                            text, TS_SCENARIO_CHAIN_TEXT_MAX);
    return TS_OK;
}

int ts__walk_chains(ts__builder *b, const xmlNode *chains)
{
    int rc = TS_OK;
    for (const xmlNode *c = ts__first_child(chains); c && !rc; c = ts__next_sibling(c))
        rc = add_chain(b, c);
    return rc;
}
