/*
 * The model-variant rule (deploy_variant.h): the least power among the
 * variants that meet the deadline, then the best accuracy, then the
 * first declared. Why power first: on a battery-powered robot the
 * deadline is the hard requirement and energy the budget, and TensorRT's
 * reduced precisions trade accuracy for both (NVIDIA TensorRT Developer
 * Guide, "Working with Quantized Types"); accuracy only breaks ties, since
 * a scenario that needs a floor on accuracy pins its variant.
 */
#include "toposim/deploy_variant.h"

#include <stdarg.h>
#include <stdio.h>

static int meets_deadline(const ts_variant_option *o, int64_t deadline_ns)
{
    return o->response_ns >= 0 && o->response_ns <= deadline_ns;
}

/* Whether a is preferred to b, both meeting the deadline. */
static int better(const ts_variant_option *a, const ts_variant_option *b)
{
    if (a->power_w != b->power_w)
        return a->power_w < b->power_w;
    return a->accuracy > b->accuracy;
}

/* printf onto the end of reason, truncating quietly. */
static void append(char *reason, size_t size, size_t *used, const char *fmt, ...)
{
    if (*used + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(reason + *used, size - *used, fmt, ap);
    va_end(ap);
    if (n > 0)
        *used += (size_t)n < size - *used ? (size_t)n : size - *used - 1;
}

static double ms(int64_t ns)
{
    return (double)ns / 1e6;
}

int ts_variant_choose(const ts_variant_option *options, size_t n,
                      int64_t deadline_ns, int pinned, int *meets,
                      char *reason, size_t size)
{
    int pinned_ok = pinned >= 0 && (size_t)pinned < n;
    int pick = -1;
    if (pinned_ok) {
        if (options[pinned].response_ns >= 0)
            pick = pinned;
    } else {
        /* declaration order settles what power and accuracy leave equal */
        for (size_t i = 0; i < n; i++)
            if (meets_deadline(&options[i], deadline_ns) &&
                (pick < 0 || better(&options[i], &options[pick])))
                pick = (int)i;
    }
    int ok = pick >= 0 && meets_deadline(&options[pick], deadline_ns);
    if (meets)
        *meets = ok;

    size_t used = 0;
    if (size)
        reason[0] = '\0';
    if (pick >= 0)
        append(reason, size, &used, "%svariant %s: %.3g ms %s %.3g ms at %.3g W",
               pinned_ok ? "pinned " : "", options[pick].name,
               ms(options[pick].response_ns), ok ? "meets" : "misses",
               ms(deadline_ns), options[pick].power_w);
    else if (pinned_ok)
        append(reason, size, &used, "pinned variant %s cannot run on this node",
               options[pinned].name);
    else
        append(reason, size, &used, "no variant meets %.3g ms", ms(deadline_ns));
    for (size_t i = 0; i < n; i++) {
        const ts_variant_option *o = &options[i];
        if ((int)i == pick || (pinned_ok && (int)i == pinned))
            continue;
        if (o->response_ns < 0)
            append(reason, size, &used, "; %s cannot run here", o->name);
        else if (meets_deadline(o, deadline_ns))
            append(reason, size, &used, "; %s %.3g ms meets at %.3g W", o->name,
                   ms(o->response_ns), o->power_w);
        else
            append(reason, size, &used, "; %s %.3g ms misses", o->name,
                   ms(o->response_ns));
    }
    return pick;
}
