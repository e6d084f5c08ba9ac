/*
 * Platform events: what a model reports when its state changes in a way
 * the trace must show (a link going down, a clock throttled, a component
 * killed for lack of memory). Models fill one and hand it to the callback
 * their owner gave them; the record is only valid during the call.
 */
#ifndef TOPOSIM_EVENT_H
#define TOPOSIM_EVENT_H

#include <stdint.h>

#include "toposim/sim.h"

typedef struct ts_platform_event {
    ts_time time;
    const char *kind;   /* static string, e.g. "link_down", "link_up",
                           "route_change", "throttle", "throttle_release",
                           "fan_on", "fan_off", "thermal_shutdown",
                           "oom_kill", "power_mode", "low_battery",
                           "medium_change", "loss_change", "latency_change",
                           "task_stopped", "task_started",
                           "ambient_change", "node_down", "node_up" */
    int node;           /* -1 when not applicable */
    int link;           /* -1 when not applicable */
    int component;      /* -1 when not applicable */
    double value;       /* kind-specific: temperature, clock, capacity... */
    char detail[160];   /* one human sentence */
} ts_platform_event;

typedef void (*ts_platform_event_fn)(void *ctx, const ts_platform_event *event);

#endif
