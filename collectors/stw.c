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
 * collection off.  gc.freeze() moves everything to a permanent list that
 * collections ignore.
 *
 * Invariants: `all` and `permanent` together hold exactly the tracked
 * containers, each once; `pending` counts allocations minus deallocations
 * of containers since the last collection, never below zero.
 */
#include "collector_registry.h"
#include "gc_core.h"
#include "runtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct stw_state {
    hl_runtime *rt;          /* for the shared phases */
    hl_gc_head all;          /* every tracked container not frozen */
    hl_gc_head permanent;    /* frozen by gc.freeze() */
    size_t threshold;        /* 0: no automatic collection */
    size_t pending;          /* allocations minus deallocations since last */
    size_t survivors;        /* containers left by the last collection */
    bool enabled;            /* automatic collection on */
    hl_gc_stats stats;
} stw_state;

static bool parse_count(const char *text, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-' || v > (1ull << 40))
        return false;
    *out = (size_t)v;
    return true;
}

static void *stw_create(hl_runtime *rt, hl_gc_config *config)
{
    size_t threshold = 700;
    if (config->arg && !parse_count(config->arg, &threshold)) {
        snprintf(config->error, config->error_size,
                 "'stw=%s': the threshold must be a count (0 turns it off)", config->arg);
        return NULL;
    }
    stw_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->rt = rt;
    hl_gc_list_init(&s->all);
    hl_gc_list_init(&s->permanent);
    s->threshold = threshold;
    s->enabled = true;
    return s;
}

static void stw_destroy(void *ctx)
{
    free(ctx);
}

static void stw_track(void *ctx, hl_object *op)
{
    stw_state *s = ctx;
    hl_gc_link(op, &s->all);
}

static void stw_untrack(void *ctx, hl_object *op)
{
    (void)ctx;
    hl_gc_unlink(op);
}

static size_t collect_all(stw_state *s)
{
    hl_gc_outcome out;
    size_t found = hl_gc_run(s->rt, 0, true, &s->all, &s->all, &s->stats, &out);
    s->pending = 0;
    s->survivors = out.visited - out.collected;
    return found;
}

/* Slow path of on_alloc, out of line. */
static void stw_maybe_collect(stw_state *s)
{
    if (s->pending > s->survivors / 4 && !hl_gc_is_collecting(s->rt))
        collect_all(s);
}

static void stw_on_alloc(void *ctx)
{
    stw_state *s = ctx;
    if (hl_unlikely(++s->pending > s->threshold && s->threshold && s->enabled))
        stw_maybe_collect(s);
}

static void stw_on_dealloc(void *ctx)
{
    stw_state *s = ctx;
    if (s->pending > 0)
        s->pending--;
}

static size_t stw_collect(void *ctx, int generation)
{
    (void)generation; /* one space: every collection is full */
    return collect_all(ctx);
}

static void stw_set_enabled(void *ctx, bool enabled)
{
    ((stw_state *)ctx)->enabled = enabled;
}

static bool stw_is_enabled(void *ctx)
{
    return ((stw_state *)ctx)->enabled;
}

static void stw_get_count(void *ctx, size_t count[HL_GC_GENERATIONS])
{
    stw_state *s = ctx;
    count[0] = s->pending;
    for (int g = 1; g < HL_GC_GENERATIONS; g++)
        count[g] = 0;
}

static void stw_stats(void *ctx, hl_gc_stats *out)
{
    *out = ((stw_state *)ctx)->stats;
}

static void stw_for_each(void *ctx, int generation, void (*fn)(hl_object *, void *),
                         void *arg)
{
    stw_state *s = ctx;
    (void)generation; /* one space */
    hl_gc_list_for_each(&s->all, fn, arg);
}

static void stw_take_all(void *ctx, hl_gc_head *list)
{
    stw_state *s = ctx;
    hl_gc_list_merge(&s->all, list);
    hl_gc_list_merge(&s->permanent, list);
    s->pending = s->survivors = 0;
}

static void stw_get_threshold(void *ctx, size_t threshold[HL_GC_GENERATIONS])
{
    stw_state *s = ctx;
    threshold[0] = s->threshold;
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
    hl_gc_list_merge(&s->all, &s->permanent);
    s->pending = 0;
}

static void stw_unfreeze(void *ctx)
{
    stw_state *s = ctx;
    hl_gc_list_merge(&s->permanent, &s->all);
}

static size_t stw_freeze_count(void *ctx)
{
    return hl_gc_list_size(&((stw_state *)ctx)->permanent);
}

static bool stw_validate(void *ctx, char *why, size_t why_size)
{
    stw_state *s = ctx;
    size_t n;
    return hl_gc_list_validate(&s->all, &n, why, why_size) &&
           hl_gc_list_validate(&s->permanent, &n, why, why_size);
}

static const hl_collector_ops stw_ops = {
    .name = "stw",
    .description = "stop-the-world trial deletion over all tracked objects (CPython's algorithm)",
    .header_size = sizeof(hl_gc_head),
    .generations = 1,
    .create = stw_create,
    .destroy = stw_destroy,
    .track = stw_track,
    .untrack = stw_untrack,
    .on_alloc = stw_on_alloc,
    .on_dealloc = stw_on_dealloc,
    .collect = stw_collect,
    .set_enabled = stw_set_enabled,
    .is_enabled = stw_is_enabled,
    .get_count = stw_get_count,
    .stats = stw_stats,
    .for_each = stw_for_each,
    .take_all = stw_take_all,
    .get_threshold = stw_get_threshold,
    .set_threshold = stw_set_threshold,
    .freeze = stw_freeze,
    .unfreeze = stw_unfreeze,
    .freeze_count = stw_freeze_count,
    .validate = stw_validate,
};

const hl_collector_ops *hl_collector_stw(void)
{
    return &stw_ops;
}
