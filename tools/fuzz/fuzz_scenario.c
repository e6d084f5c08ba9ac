/*
 * libFuzzer harness: the scenario loader (XML bounds scan, libxml2 parse,
 * schema validation, the document walk, fleet expansion, meaning checks)
 * on arbitrary bytes. Any outcome but a crash, a sanitizer report or a
 * leak is fine; a load that fails must leave no scenario behind.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "toposim/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Models from the source tree's models/ (make fuzz runs from the root). */
    ts_scenario_options opts = {.models_dir = "models"};
    ts_scenario *s = NULL;
    ts_error err;
    int rc = ts_scenario_load_memory((const char *)data, size, "fuzz.xml", &opts, &s, &err);
    if (rc == TS_OK)
        ts_scenario_free(s);
    else if (s)
        abort();
    return 0;
}
