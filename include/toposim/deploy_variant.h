/*
 * Model variants: which build of a component's neural network (FP32, FP16
 * or INT8 through TensorRT, on the GPU or a DLA) runs on a node. The rule:
 * among the variants whose estimated response time meets the component's
 * deadline, the one drawing the least power; on equal power the more
 * accurate; on equal accuracy the first declared. A pinned variant is
 * honoured even when it misses (the run then shows the misses); with none
 * pinned and none meeting the deadline there is no choice. Pure code over
 * plain descriptions, owns nothing.
 */
#ifndef TOPOSIM_DEPLOY_VARIANT_H
#define TOPOSIM_DEPLOY_VARIANT_H

#include <stddef.h>
#include <stdint.h>

/* One variant as the rule sees it on one node. */
typedef struct ts_variant_option {
    const char *name;         /* "int8-gpu"; borrowed */
    int64_t response_ns;      /* estimated response time on the node;
                                 < 0: the variant cannot run there */
    double power_w;           /* power it adds while it runs */
    double accuracy;          /* in [0, 1]: larger is better */
    int64_t memory_bytes;     /* its engine and activations on the node
                                 (placement counts it; the rule does not) */
} ts_variant_option;

/* The schema allows a network at most this many variants. */
#define TS_VARIANT_MAX 64

/* Chooses among options[0..n) for a deadline of deadline_ns, or takes
 * options[pinned] when pinned >= 0 (as long as it can run on the node).
 * Writes why into reason (always NUL-terminated when size > 0): the
 * chosen variant's time against the deadline and its power, then each
 * other variant's ("variant int8-gpu: 14.6 ms meets 33.3 ms at 6 W;
 * fp32-gpu 39.8 ms misses"). Returns the chosen index, or -1 when no
 * variant meets the deadline (none pinned) or the pinned one cannot run
 * on the node. *meets (if not NULL) is 1 when the chosen one meets it. */
int ts_variant_choose(const ts_variant_option *options, size_t n,
                      int64_t deadline_ns, int pinned, int *meets,
                      char *reason, size_t size);

#endif
