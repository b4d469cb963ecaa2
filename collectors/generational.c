/*
 * collectors/generational.c — `generational`: CPython 3.11/3.12's three
 * generations over the shared trial-deletion phases (gc_core.c).
 *
 *     gen 0  <- every new container         threshold 700 (3.13: 2000)
 *     gen 1  <- survivors of gen 0          threshold 10 collections of gen 0
 *     gen 2  <- survivors of gen 1          threshold 10 collections of gen 1
 *     permanent  <- gc.freeze(); never collected
 *
 * Counts, as CPython keeps them: count[0] is container allocations minus
 * deallocations (never below zero); count[g] for g > 0 is the number of
 * collections of generation g-1 since generation g was last collected.
 * Collecting generation g merges 0..g-1 into it, adds one to count[g+1],
 * zeroes count[0..g], and moves the survivors to g+1 (g itself for g = 2).
 * An automatic collection starts from a container allocation when count[0]
 * exceeds threshold[0]; it collects the oldest generation whose count
 * exceeds its threshold, except that generation 2 is collected only when
 * the objects that survived a gen-1 collection since the last full one
 * (long_lived_pending) exceed 25% of those that survived the last full one
 * (long_lived_total) — a manual collect(2) ignores that rule.
 *
 * Configuration: "generational" or "generational=3.11" / "=3.12" for
 * (700, 10, 10), "generational=3.13" for (2000, 10, 10), or
 * "generational=T0,T1,T2".  T0 = 0 turns automatic collection off.
 *
 * Invariants: the three generation lists and `permanent` together hold
 * exactly the tracked containers, each once; long_lived_pending counts only
 * objects promoted into generation 2 since the last full collection.
 */
#include "collector_registry.h"
#include "gc_core.h"
#include "runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GENERATIONS HL_GC_GENERATIONS

typedef struct gen_space {
    hl_gc_head head;  /* its containers */
    size_t threshold; /* see above */
    size_t count;     /* see above */
} gen_space;

typedef struct gen_state {
    hl_runtime *rt;
    gen_space gen[GENERATIONS];
    hl_gc_head permanent;      /* frozen by gc.freeze() */
    size_t long_lived_total;   /* survivors of the last full collection */
    size_t long_lived_pending; /* promoted into gen 2 since then */
    bool enabled;              /* automatic collection on */
    hl_gc_stats stats;
} gen_state;

static bool parse_thresholds(const char *arg, size_t t[GENERATIONS])
{
    static const struct {
        const char *name;
        size_t t[GENERATIONS];
    } presets[] = {{"3.11", {700, 10, 10}}, {"3.12", {700, 10, 10}}, {"3.13", {2000, 10, 10}}};
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        if (strcmp(arg, presets[i].name) == 0) {
            memcpy(t, presets[i].t, sizeof presets[i].t);
            return true;
        }
    }
    unsigned long long a, b, c;
    char end;
    if (sscanf(arg, "%llu,%llu,%llu%c", &a, &b, &c, &end) != 3 || strchr(arg, '-') ||
        a > (1ull << 40) || b > (1ull << 40) || c > (1ull << 40))
        return false;
    t[0] = (size_t)a;
    t[1] = (size_t)b;
    t[2] = (size_t)c;
    return true;
}

static void *gen_create(hl_runtime *rt, hl_gc_config *config)
{
    size_t t[GENERATIONS] = {700, 10, 10};
    if (config->arg && !parse_thresholds(config->arg, t)) {
        snprintf(config->error, config->error_size,
                 "'generational=%s': expected 3.11, 3.12, 3.13 or T0,T1,T2", config->arg);
        return NULL;
    }
    gen_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->rt = rt;
    for (int g = 0; g < GENERATIONS; g++) {
        hl_gc_list_init(&s->gen[g].head);
        s->gen[g].threshold = t[g];
    }
    hl_gc_list_init(&s->permanent);
    s->enabled = true;
    return s;
}

static void gen_destroy(void *ctx)
{
    free(ctx);
}

static void gen_track(void *ctx, hl_object *op)
{
    gen_state *s = ctx;
    hl_gc_link(op, &s->gen[0].head);
}

static void gen_untrack(void *ctx, hl_object *op)
{
    (void)ctx;
    hl_gc_unlink(op);
}

/* gc_collect_main's bookkeeping around the shared phases. */
static size_t collect_generation(gen_state *s, int g)
{
    if (hl_gc_is_collecting(s->rt))
        return 0;
    if (g + 1 < GENERATIONS)
        s->gen[g + 1].count++;
    for (int i = 0; i <= g; i++)
        s->gen[i].count = 0;
    for (int i = 0; i < g; i++)
        hl_gc_list_merge(&s->gen[i].head, &s->gen[g].head);
    hl_gc_head *young = &s->gen[g].head;
    hl_gc_head *old = g + 1 < GENERATIONS ? &s->gen[g + 1].head : young;
    bool full = g == GENERATIONS - 1;
    hl_gc_outcome out;
    size_t found = hl_gc_run(s->rt, g, full, young, old, &s->stats, &out);
    if (full) {
        s->long_lived_pending = 0;
        s->long_lived_total = out.reachable;
    } else if (g == GENERATIONS - 2) {
        s->long_lived_pending += out.reachable;
    }
    return found;
}

/* gc_collect_generations: the slow path of on_alloc. */
static void collect_generations(gen_state *s)
{
    for (int g = GENERATIONS - 1; g >= 0; g--) {
        if (s->gen[g].count <= s->gen[g].threshold)
            continue;
        if (g == GENERATIONS - 1 && s->long_lived_pending < s->long_lived_total / 4)
            continue;
        collect_generation(s, g);
        return;
    }
}

static void gen_on_alloc(void *ctx)
{
    gen_state *s = ctx;
    if (hl_unlikely(++s->gen[0].count > s->gen[0].threshold && s->gen[0].threshold &&
                    s->enabled && !hl_gc_is_collecting(s->rt)))
        collect_generations(s);
}

static void gen_on_dealloc(void *ctx)
{
    gen_state *s = ctx;
    if (s->gen[0].count > 0)
        s->gen[0].count--;
}

static size_t gen_collect(void *ctx, int generation)
{
    return collect_generation(ctx, generation);
}

static void gen_set_enabled(void *ctx, bool enabled)
{
    ((gen_state *)ctx)->enabled = enabled;
}

static bool gen_is_enabled(void *ctx)
{
    return ((gen_state *)ctx)->enabled;
}

static void gen_get_count(void *ctx, size_t count[GENERATIONS])
{
    gen_state *s = ctx;
    for (int g = 0; g < GENERATIONS; g++)
        count[g] = s->gen[g].count;
}

static void gen_stats(void *ctx, hl_gc_stats *out)
{
    *out = ((gen_state *)ctx)->stats;
}

static void gen_for_each(void *ctx, int generation, void (*fn)(hl_object *, void *), void *arg)
{
    gen_state *s = ctx;
    for (int g = 0; g < GENERATIONS; g++) {
        if (generation < 0 || g == generation)
            hl_gc_list_for_each(&s->gen[g].head, fn, arg);
    }
}

static void gen_take_all(void *ctx, hl_gc_head *list)
{
    gen_state *s = ctx;
    for (int g = 0; g < GENERATIONS; g++) {
        hl_gc_list_merge(&s->gen[g].head, list);
        s->gen[g].count = 0;
    }
    hl_gc_list_merge(&s->permanent, list);
    s->long_lived_pending = s->long_lived_total = 0;
}

static void gen_get_threshold(void *ctx, size_t threshold[GENERATIONS])
{
    gen_state *s = ctx;
    for (int g = 0; g < GENERATIONS; g++)
        threshold[g] = s->gen[g].threshold;
}

static bool gen_set_threshold(void *ctx, const size_t threshold[GENERATIONS])
{
    gen_state *s = ctx;
    for (int g = 0; g < GENERATIONS; g++)
        s->gen[g].threshold = threshold[g];
    return true;
}

static void gen_freeze(void *ctx)
{
    gen_state *s = ctx;
    for (int g = 0; g < GENERATIONS; g++)
        hl_gc_list_merge(&s->gen[g].head, &s->permanent);
    s->gen[0].count = 0;
}

static void gen_unfreeze(void *ctx)
{
    gen_state *s = ctx;
    hl_gc_list_merge(&s->permanent, &s->gen[GENERATIONS - 1].head);
}

static size_t gen_freeze_count(void *ctx)
{
    return hl_gc_list_size(&((gen_state *)ctx)->permanent);
}

static bool gen_validate(void *ctx, char *why, size_t why_size)
{
    gen_state *s = ctx;
    size_t n;
    for (int g = 0; g < GENERATIONS; g++)
        if (!hl_gc_list_validate(&s->gen[g].head, &n, why, why_size))
            return false;
    return hl_gc_list_validate(&s->permanent, &n, why, why_size);
}

static const hl_collector_ops generational_ops = {
    .name = "generational",
    .description = "CPython 3.11/3.12's three generations (thresholds 700,10,10; =3.13 for 2000)",
    .header_size = sizeof(hl_gc_head),
    .generations = GENERATIONS,
    .create = gen_create,
    .destroy = gen_destroy,
    .track = gen_track,
    .untrack = gen_untrack,
    .on_alloc = gen_on_alloc,
    .on_dealloc = gen_on_dealloc,
    .collect = gen_collect,
    .set_enabled = gen_set_enabled,
    .is_enabled = gen_is_enabled,
    .get_count = gen_get_count,
    .stats = gen_stats,
    .for_each = gen_for_each,
    .take_all = gen_take_all,
    .get_threshold = gen_get_threshold,
    .set_threshold = gen_set_threshold,
    .freeze = gen_freeze,
    .unfreeze = gen_unfreeze,
    .freeze_count = gen_freeze_count,
    .validate = gen_validate,
};

const hl_collector_ops *hl_collector_generational(void)
{
    return &generational_ops;
}
