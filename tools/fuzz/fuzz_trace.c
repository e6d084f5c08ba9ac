/*
 * libFuzzer harness: the trace reader on arbitrary files. Each input is
 * written to a temporary file and loaded through ts_trace_load, which
 * first parses it in a child process (src/trace/isolate.c): a crash inside
 * HDF5 there is the reader's "corrupt" answer, not a finding. A load that
 * fails must say why and leave no trace behind.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "toposim/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/toposim-fuzz-trace-%ld.h5", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    size_t wrote = fwrite(data, 1, size, f);
    if (fclose(f) != 0 || wrote != size)
        return 0;
    ts_trace *t = NULL;
    ts_error err;
    ts_error_clear(&err);
    if (ts_trace_load(path, &t, &err) == TS_OK)
        ts_trace_free(t);
    else if (t || !err.msg[0])
        abort();
    unlink(path);
    return 0;
}
