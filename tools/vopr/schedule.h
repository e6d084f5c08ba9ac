/*
 * Fault schedules for simulation testing: from a loaded scenario and a
 * seed, a random timeline of faults written with the scenario's own ids
 * (node and component crashes with or without restart, link downs,
 * partitions, loss bursts, latency spikes, medium changes, ambient
 * temperature and power-mode changes), added to the scenario's document
 * as XML so that the normal loader checks it like any other input. The
 * same scenario, seed and duration give the same document.
 */
#ifndef TOPOSIM_VOPR_SCHEDULE_H
#define TOPOSIM_VOPR_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "toposim/error.h"
#include "toposim/scenario.h"

/* The fault kinds a schedule draws from, in the order counts are kept. */
enum {
    VOPR_NODE_CRASH,
    VOPR_COMPONENT_CRASH,
    VOPR_LINK_DOWN,
    VOPR_PARTITION,
    VOPR_LOSS_BURST,
    VOPR_LATENCY_SPIKE,
    VOPR_MEDIUM_CHANGE,
    VOPR_AMBIENT,
    VOPR_POWER_MODE,
    VOPR_FAULT_KINDS
};

/* Element name of a fault kind, as the schema spells it. */
const char *vopr_fault_name(int kind);

/* What a schedule holds. */
typedef struct vopr_schedule_info {
    int n_faults;                   /* faults added (the scenario's own
                                       are kept besides) */
    int per_kind[VOPR_FAULT_KINDS];
    int64_t max_extra_latency_ns;   /* largest latency-spike extra= or
                                       medium-change latency= drawn: the
                                       delay a heartbeat may gain */
} vopr_schedule_info;

/* Draws 1 to 8 faults for scenario s (loaded from its file, whose text
 * s->text is) from seed, every one starting within [0, duration_ns), and
 * returns the scenario document with them appended to its <faults>
 * element (made when absent). *text is the caller's to free with free();
 * *info is filled. TS_ENOMEM, or TS_EPARSE when s->text does not parse. */
int vopr_schedule_build(const ts_scenario *s, uint64_t seed, int64_t duration_ns,
                        char **text, size_t *len, vopr_schedule_info *info,
                        ts_error *err);

#endif
