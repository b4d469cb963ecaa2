/*
 * collectors/stw.c — `stw`: stop-the-world trial deletion over every tracked
 * object, CPython's algorithm (gc_core.c, gc_garbage.c) without generations.
 *
 * Every collection examines the whole heap, so its cost is proportional to
 * the number of live containers.  Automatic collection keeps that amortized
 * linear: it runs when the containers allocated (minus those freed) since
 * the last collection exceed both `threshold` (default 700, CPython's
 * generation-0 threshold) and a quarter of the containers that survived the
 * last collection — the same 25% rule CPython applies before a full
 * collection.  "stw=N" sets the threshold; "stw=0" turns automatic
 * collection off; "stw=stress" collects at every container allocation.
 * Tracking, listing and freezing are the layer's defaults over space[0].
 *
 * Invariant: `pending` counts allocations minus deallocations of containers
 * since the last collection or gc.freeze(), never below zero.
 */
#include "allocator.h" /* hl_unlikely */
#include "collector_registry.h"
#include "gc_core.h"
#include "parse.h"

#include <stdio.h>

typedef struct stw_state {
    hl_gc_base base;  /* space[0]: every tracked container not frozen */
    size_t threshold; /* 0: no automatic collection */
    size_t pending;   /* see above */
    size_t survivors; /* containers left by the last collection */
} stw_state;

static bool stw_configure(void *ctx, const char *arg, char *error, size_t error_size)
{
    stw_state *s = ctx;
    s->threshold = 700;
    if (arg && !hl_parse_size(arg, 0, (size_t)1 << 40, &s->threshold)) {
        snprintf(error, error_size,
                 "the threshold must be a count of digits (0 turns it off) or 'stress', not '%s'",
                 arg);
        return false;
    }
    return true;
}

static size_t stw_collect(void *ctx, int generation)
{
    stw_state *s = ctx;
    hl_gc_outcome out;
    (void)generation; /* one space: every collection is full */
    size_t found = hl_gc_collect_all(&s->base, &out);
    s->pending = 0;
    s->survivors = out.visited - out.collected;
    return found;
}

/* Slow path of on_alloc, out of line. */
static void stw_maybe_collect(stw_state *s)
{
    if (s->pending > s->survivors / 4 && !hl_gc_is_collecting(&s->base))
        stw_collect(s, 0);
}

static void stw_on_alloc(void *ctx)
{
    stw_state *s = ctx;
    if (hl_unlikely(++s->pending > s->threshold && s->threshold && s->base.enabled))
        stw_maybe_collect(s);
}

static void stw_on_dealloc(void *ctx)
{
    stw_state *s = ctx;
    if (s->pending > 0)
        s->pending--;
}

static void stw_get_count(void *ctx, size_t count[HL_GC_GENERATIONS])
{
    count[0] = ((stw_state *)ctx)->pending;
    count[1] = count[2] = 0;
}

static void stw_get_threshold(void *ctx, size_t threshold[HL_GC_GENERATIONS])
{
    threshold[0] = ((stw_state *)ctx)->threshold;
    threshold[1] = threshold[2] = 0;
}

static bool stw_set_threshold(void *ctx, const size_t threshold[HL_GC_GENERATIONS])
{
    ((stw_state *)ctx)->threshold = threshold[0];
    return true;
}

static void stw_freeze(void *ctx)
{
    stw_state *s = ctx;
    hl_gc_list_merge(&s->base.space[0], &s->base.permanent);
    s->pending = 0;
}

static const hl_collector_ops stw_ops = {
    .name = "stw",
    .description = "stop-the-world trial deletion over all tracked objects (CPython's algorithm)",
    .flags = HL_GC_FINDS_CYCLES | HL_GC_AUTOMATIC,
    .state_size = sizeof(stw_state),
    .configure = stw_configure,
    .on_alloc = stw_on_alloc,
    .on_dealloc = stw_on_dealloc,
    .collect = stw_collect,
    .get_count = stw_get_count,
    .get_threshold = stw_get_threshold,
    .set_threshold = stw_set_threshold,
    .freeze = stw_freeze,
};

const hl_collector_ops *hl_collector_stw(void)
{
    return &stw_ops;
}
