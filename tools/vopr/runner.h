/*
 * One schedule of simulation testing, in process: a fault schedule drawn
 * for a scenario (schedule.h), loaded through the normal loader, planned
 * and run through the library to a temporary trace, the trace read back
 * with the library's reader and held to the invariants (invariants.h),
 * the trace removed. The seed decides everything: the faults and the
 * run's random draws, so one seed replays one schedule exactly.
 */
#ifndef TOPOSIM_VOPR_RUNNER_H
#define TOPOSIM_VOPR_RUNNER_H

#include <stdint.h>

#include "invariants.h"
#include "schedule.h"
#include "toposim/scenario.h"

/* Time a heartbeat may spend on the way beyond the schedule's largest
 * added latency: the route's own latency and queueing on these
 * scenarios' links, with room to spare (see README, Simulation testing). */
#define VOPR_SLACK_NS 100000000LL

typedef enum {
    VOPR_PASS = 0,
    VOPR_BROKEN = 1,         /* an invariant does not hold */
    VOPR_BAD_SCHEDULE = 2,   /* the loader refused the schedule: a
                                generator bug */
    VOPR_RUN_ERROR = 3       /* the run or the trace read failed */
} vopr_verdict;

typedef struct vopr_result {
    vopr_verdict verdict;
    vopr_violation violation;   /* VOPR_BROKEN */
    char error[1100];           /* VOPR_BAD_SCHEDULE, VOPR_RUN_ERROR */
    vopr_schedule_info info;
    int64_t duration_ns;
} vopr_result;

/* Runs the schedule `seed` draws for base (the scenario as loaded from
 * its file), writing its trace in folder dir (removed after), or to
 * keep_trace when that is not NULL (kept, for a replay to look into).
 * st (may be NULL) is added to. With doc_out non-NULL the schedule's
 * document is also handed back (free() it). Returns TS_OK whatever the
 * verdict, or TS_ENOMEM. */
int vopr_run_schedule(const ts_scenario *base, uint64_t seed, const char *dir,
                      const char *keep_trace, vopr_result *res, vopr_check_stats *st,
                      char **doc_out);

/* The seed of schedule `index` of a campaign with base seed `base`
 * (splitmix64 of base + index x its increment: neighbouring indices and
 * bases give unrelated seeds). */
uint64_t vopr_schedule_seed(uint64_t base, uint64_t index);

#endif
