/*
 * The power manager: deployment code that chooses a Jetson's power mode
 * (nvpmodel's) for one node of a robot from what it measures through
 * runtime.h: the draw of the robot's battery, the node's CPU use and its
 * thermal headroom. It only asks (ts_rt_set_power_mode): the platform owns
 * the node's mode and applies it. Every change it asks for is recorded as
 * "power_mode_change" with its reason.
 *
 * Every period it reads the node's state and, over the period just past,
 * the battery's drain (its charge fallen, per second) and the CPU use of
 * the online cores, then in this order:
 *   1. battery: if the charge left, less the reserve, would not last to
 *      the end of the mission at the drain just measured, it moves one
 *      mode down;
 *   2. thermal: if the die is within headroom_c of its throttle point, it
 *      moves one mode down;
 *   3. workload: if the online cores were busy at least raise_util of the
 *      period (the die being out of the headroom band, or rule 2 would
 *      have acted), and the battery would last in the next mode up (its
 *      drain projected by scaling the node's own draw by the ratio of the
 *      two modes' labels), it moves one mode up.
 * "Down" is the mode with the greatest label below the current one's,
 * "up" the one with the least label above; a mode without a label (MAXN)
 * ranks above all. One step per period, so the next decision measures
 * the mode it chose. Choices (assumptions, not NVIDIA guidance): one step
 * at a time, labels as the ratio of draws between modes.
 *
 * Memory: the modes are copied at creation; a decision allocates nothing.
 */
#ifndef TOPOSIM_DEPLOY_POWER_H
#define TOPOSIM_DEPLOY_POWER_H

#include <stddef.h>
#include <stdint.h>

#include "toposim/error.h"
#include "toposim/runtime.h"

/* One of the node's power modes, in the platform's index order. */
typedef struct ts_pm_mode {
    const char *name;           /* copied */
    double label_w;             /* its budget (label); 0: none (MAXN) */
} ts_pm_mode;

typedef struct ts_pm_desc {
    int node;                   /* the node whose mode it chooses */
    const ts_pm_mode *modes;    /* copied; at least two */
    size_t n_modes;
    int64_t period_ns;          /* between decisions, > 0 */
    int64_t end_ns;             /* when the mission ends: the battery
                                   must last until then */
    double reserve_wh;          /* charge to keep at the end, >= 0 */
    double headroom_c;          /* thermal band below the throttle point;
                                   0: no thermal rule */
    double raise_util;          /* CPU use that asks for a higher mode,
                                   in (0, 1]; 0: never raises */
} ts_pm_desc;

typedef struct ts_pm ts_pm;

/* Creates a manager bound to rt; nothing runs until ts_pm_start. The
 * caller frees with ts_pm_free. NULL with err set (TS_EINVAL, TS_ENOMEM). */
ts_pm *ts_pm_new(const ts_runtime *rt, const ts_pm_desc *desc, ts_error *err);

/* Takes the first reading now and decides every period from then on. */
int ts_pm_start(ts_pm *pm) TS_MUST_USE;

/* Cancels its timer and frees; NULL is fine. */
void ts_pm_free(ts_pm *pm);

/* Changes asked for so far. */
size_t ts_pm_changes(const ts_pm *pm);

#endif
