/*
 * collectors/stw.c — `stw`: stop-the-world trial deletion over every tracked
 * object, CPython's algorithm (gc_core.c) without generations.
 *
 * Every collection examines the whole heap, so its cost is proportional to
 * the number of live containers.  Automatic collection keeps that amortized
 * linear: it runs when the containers allocated (minus those freed) since
 * the last collection exceed both `threshold` (default 700, CPython's
 * generation-0 threshold) and a quarter of the containers that survived the
 * last collection — the same 25% rule CPython applies before a full
 * collection.  "stw=N" sets the threshold; "stw=0" turns automatic
 * collection off.
 *
 * Invariants: `all` holds exactly the tracked containers, each once;
 * `pending` never exceeds the containers allocated since the last
 * collection.
 */
#include "collector_registry.h"
#include "gc_core.h"
#include "runtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct stw_state {
    hl_runtime *rt;          /* for the shared phases */
    hl_gc_head all;          /* every tracked container */
    size_t threshold;        /* 0: no automatic collection */
    size_t pending;          /* allocations minus deallocations since last */
    size_t survivors;        /* containers left by the last collection */
    bool enabled;            /* automatic collection on */
    hl_gc_stats stats;
} stw_state;

static void *stw_create(hl_runtime *rt, hl_gc_config *config)
{
    size_t threshold = 700;
    if (config->arg) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(config->arg, &end, 10);
        if (errno || end == config->arg || *end || config->arg[0] == '-' ||
            v > (1ull << 40)) {
            snprintf(config->error, config->error_size,
                     "'stw=%s': the threshold must be a count (0 turns it off)", config->arg);
            return NULL;
        }
        threshold = (size_t)v;
    }
    stw_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->rt = rt;
    hl_gc_list_init(&s->all);
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
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    hl_gc_outcome out;
    hl_gc_collect_list(s->rt, &s->all, &s->all, &out);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    hl_gc_generation_stats *g = &s->stats.generation[0];
    g->collections++;
    g->collected += out.collected;
    g->uncollectable += out.uncollectable;
    s->stats.finalizers_called += out.finalizers;
    s->stats.objects_visited += out.visited;
    s->stats.collect_ns += (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000u +
                           (uint64_t)(t1.tv_nsec - t0.tv_nsec);
    s->pending = 0;
    s->survivors = out.visited - out.collected;
    return out.unreachable;
}

/* Slow path of on_alloc, out of line. */
static void stw_maybe_collect(stw_state *s)
{
    if (s->pending <= s->survivors / 4 || !hl_gc_enter(s->rt))
        return;
    collect_all(s);
    hl_gc_leave(s->rt);
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

static void stw_for_each(void *ctx, void (*fn)(hl_object *, void *), void *arg)
{
    stw_state *s = ctx;
    for (hl_gc_head *gc = hl_gc_list_next(&s->all); gc != &s->all; gc = hl_gc_list_next(gc))
        fn(hl_object_of(gc), arg);
}

static void stw_take_all(void *ctx, hl_gc_head *list)
{
    stw_state *s = ctx;
    hl_gc_list_merge(&s->all, list);
    s->pending = s->survivors = 0;
}

static bool stw_validate(void *ctx, char *why, size_t why_size)
{
    stw_state *s = ctx;
    size_t n;
    return hl_gc_list_validate(&s->all, &n, why, why_size);
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
    .validate = stw_validate,
};

const hl_collector_ops *hl_collector_stw(void)
{
    return &stw_ops;
}
