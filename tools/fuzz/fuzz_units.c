/*
 * libFuzzer harness: every unit parser of units.h on arbitrary text. Each
 * must accept or refuse with a reason, never read past the string, and
 * never return a negative quantity or an out-of-range fraction.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "toposim/units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so reading past its NUL is an ASan report. */
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    const char *why = NULL;
    int64_t i = 0;
    double d = 0;
    if (ts_unit_time(text, &i, &why) == 0 && i < 0)
        abort();
    if (ts_unit_period(text, &i, &why) == 0 && i <= 0)
        abort();
    if (ts_unit_bytes(text, &i, &why) == 0 && i < 0)
        abort();
    if (ts_unit_cpu(text, &i, &why) == 0 && i < 0)
        abort();
    if (ts_unit_frequency(text, &d, &why) == 0 && !(d > 0))
        abort();
    if (ts_unit_bitrate(text, &d, &why) == 0 && !(d >= 0))
        abort();
    if (ts_unit_fraction(text, &d, &why) == 0 && !(d >= 0 && d <= 1))
        abort();
    if (ts_unit_celsius(text, &d, &why) == 0 && !(d >= -273.15))
        abort();
    if (ts_unit_time(text, &i, &why) != 0 && !why)
        abort();
    free(text);
    return 0;
}
