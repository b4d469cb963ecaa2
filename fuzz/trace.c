/*
 * fuzz/trace.c — libFuzzer target for the allocation trace loader
 * (harness/trace_load.c).  Every input must be either loaded, with the
 * invariants trace.h promises (the replay checks none of them), or refused
 * with a "NAME:LINE: reason" message and status 1 or 2.
 */
#include "allocator.h"
#include "fuzz_input.h"
#include "trace.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[400] = "";
    hl_line_reader *r = fuzz_reader(data, size, err, sizeof err);
    if (r == NULL)
        return 0;
    int status = -1;
    hl_trace *t = hl_trace_read(r, "fuzz-input", err, sizeof err, &status);
    hl_line_reader_close(r);
    if (t == NULL) {
        if ((status != 1 && status != 2) || strncmp(err, "fuzz-input:", 11) != 0)
            abort();
        return 0;
    }
    if (status != 0)
        abort();
    /* Walk the ops as replay does: r and f name a live slot, a and z one
       that is not, every slot below slot_count, no size over the cap. */
    unsigned char *live = calloc((size_t)t->slot_count + 1, 1);
    if (live == NULL)
        abort();
    for (size_t i = 0; i < t->op_count; i++) {
        const hl_trace_op *op = &t->ops[i];
        if (op->slot >= t->slot_count || op->size > HL_ALLOC_MAX_REQUEST || op->kind > 3)
            abort();
        bool allocates = op->kind == HL_TRACE_ALLOC || op->kind == HL_TRACE_ZALLOC;
        if (allocates == (live[op->slot] != 0))
            abort();
        live[op->slot] = op->kind != HL_TRACE_FREE;
        if (i > 0 && t->origins[i].line <= t->origins[i - 1].line)
            abort();
    }
    free(live);
    hl_trace_free(t);
    return 0;
}
