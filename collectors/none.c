/*
 * collectors/none.c — `none`: reference counting only.
 *
 * collect() never finds anything: a cycle stays alive until the runtime is
 * destroyed.  The collector still keeps every container on one list, so the
 * runtime can reclaim those cycles at destroy and report how many there were
 * — which is exactly the leak a refcount-only Python would have.
 *
 * collect() still runs a collection over an empty set, so gc callbacks,
 * statistics and free-list clearing behave as on any collector; it simply
 * never finds anything.  gc.freeze() moves everything to `permanent`.
 *
 * Invariant: `all` and `permanent` together hold exactly the tracked
 * containers, each once.
 */
#include "collector_registry.h"
#include "gc_core.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct none_state {
    hl_runtime *rt;       /* for hl_gc_run */
    hl_gc_head all;       /* every tracked container not frozen */
    hl_gc_head permanent; /* frozen by gc.freeze() */
    bool enabled;   /* only reported: there is nothing to enable */
    hl_gc_stats stats;
} none_state;

static void *none_create(hl_runtime *rt, hl_gc_config *config)
{
    if (config->arg) {
        snprintf(config->error, config->error_size, "'none' takes no argument");
        return NULL;
    }
    none_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->rt = rt;
    hl_gc_list_init(&s->all);
    hl_gc_list_init(&s->permanent);
    s->enabled = true;
    return s;
}

static void none_destroy(void *ctx)
{
    free(ctx);
}

static void none_track(void *ctx, hl_object *op)
{
    none_state *s = ctx;
    hl_gc_link(op, &s->all);
}

static void none_untrack(void *ctx, hl_object *op)
{
    (void)ctx;
    hl_gc_unlink(op);
}

static void none_on_alloc(void *ctx)
{
    (void)ctx;
}

static void none_on_dealloc(void *ctx)
{
    (void)ctx;
}

static size_t none_collect(void *ctx, int generation)
{
    none_state *s = ctx;
    hl_gc_head nothing;
    hl_gc_outcome out;
    hl_gc_list_init(&nothing);
    return hl_gc_run(s->rt, generation, true, &nothing, &nothing, &s->stats, &out);
}

static void none_set_enabled(void *ctx, bool enabled)
{
    ((none_state *)ctx)->enabled = enabled;
}

static bool none_is_enabled(void *ctx)
{
    return ((none_state *)ctx)->enabled;
}

static void none_get_count(void *ctx, size_t count[HL_GC_GENERATIONS])
{
    (void)ctx;
    for (int g = 0; g < HL_GC_GENERATIONS; g++)
        count[g] = 0;
}

static void none_stats(void *ctx, hl_gc_stats *out)
{
    *out = ((none_state *)ctx)->stats;
}

static void none_for_each(void *ctx, int generation, void (*fn)(hl_object *, void *),
                          void *arg)
{
    none_state *s = ctx;
    (void)generation; /* one space */
    hl_gc_list_for_each(&s->all, fn, arg);
}

static void none_take_all(void *ctx, hl_gc_head *list)
{
    none_state *s = ctx;
    hl_gc_list_merge(&s->all, list);
    hl_gc_list_merge(&s->permanent, list);
}

static void none_get_threshold(void *ctx, size_t threshold[HL_GC_GENERATIONS])
{
    (void)ctx;
    threshold[0] = threshold[1] = threshold[2] = 0;
}

static bool none_set_threshold(void *ctx, const size_t threshold[HL_GC_GENERATIONS])
{
    (void)ctx;
    (void)threshold;
    return true; /* accepted and meaningless: nothing collects automatically */
}

static void none_freeze(void *ctx)
{
    none_state *s = ctx;
    hl_gc_list_merge(&s->all, &s->permanent);
}

static void none_unfreeze(void *ctx)
{
    none_state *s = ctx;
    hl_gc_list_merge(&s->permanent, &s->all);
}

static size_t none_freeze_count(void *ctx)
{
    return hl_gc_list_size(&((none_state *)ctx)->permanent);
}

static bool none_validate(void *ctx, char *why, size_t why_size)
{
    none_state *s = ctx;
    size_t n;
    return hl_gc_list_validate(&s->all, &n, why, why_size) &&
           hl_gc_list_validate(&s->permanent, &n, why, why_size);
}

static const hl_collector_ops none_ops = {
    .name = "none",
    .description = "reference counting only; cycles live until the runtime is destroyed",
    .header_size = sizeof(hl_gc_head),
    .generations = 1,
    .create = none_create,
    .destroy = none_destroy,
    .track = none_track,
    .untrack = none_untrack,
    .on_alloc = none_on_alloc,
    .on_dealloc = none_on_dealloc,
    .collect = none_collect,
    .set_enabled = none_set_enabled,
    .is_enabled = none_is_enabled,
    .get_count = none_get_count,
    .stats = none_stats,
    .for_each = none_for_each,
    .take_all = none_take_all,
    .get_threshold = none_get_threshold,
    .set_threshold = none_set_threshold,
    .freeze = none_freeze,
    .unfreeze = none_unfreeze,
    .freeze_count = none_freeze_count,
    .validate = none_validate,
};

const hl_collector_ops *hl_collector_none(void)
{
    return &none_ops;
}
