/*
 * collectors/generational.c — `generational`: CPython 3.11/3.12's three
 * generations over the shared trial-deletion phases (gc_core.c).
 *
 *     space[0]  <- every new container         threshold 700 (3.13: 2000)
 *     space[1]  <- survivors of gen 0          threshold 10 collections of gen 0
 *     space[2]  <- survivors of gen 1          threshold 10 collections of gen 1
 *     permanent <- gc.freeze(); never collected
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
 * (700, 10, 10), "generational=3.13" for (2000, 10, 10),
 * "generational=T0,T1,T2", or "generational=stress" (a collection at every
 * container allocation, of the generation the counts above would pick).
 * T0 = 0 turns automatic collection off.
 *
 * Invariants: the three spaces and `permanent` together hold exactly the
 * tracked containers, each once (the layer's list checks); long_lived_pending
 * counts only objects promoted into generation 2 since the last full
 * collection.
 */
#include "allocator.h" /* hl_unlikely */
#include "collector_registry.h"
#include "gc_core.h"
#include "parse.h"

#include <stdio.h>
#include <string.h>

#define GENERATIONS HL_GC_GENERATIONS

typedef struct gen_state {
    hl_gc_base base;                 /* space[g]: generation g */
    size_t threshold[GENERATIONS];   /* see above */
    size_t count[GENERATIONS];       /* see above */
    size_t long_lived_total;         /* survivors of the last full collection */
    size_t long_lived_pending;       /* promoted into gen 2 since then */
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
    const char *field = arg;
    for (int g = 0; g < GENERATIONS; g++) {
        const char *end = g < GENERATIONS - 1 ? strchr(field, ',') : field + strlen(field);
        uint64_t v;
        if (end == NULL || !hl_parse_u64_span(field, (size_t)(end - field), 0, 1ull << 40, &v))
            return false;
        t[g] = (size_t)v;
        field = end + 1;
    }
    return true;
}

static bool gen_configure(void *ctx, const char *arg, char *error, size_t error_size)
{
    gen_state *s = ctx;
    size_t t[GENERATIONS] = {700, 10, 10};
    if (arg && !parse_thresholds(arg, t)) {
        snprintf(error, error_size,
                 "expected 3.11, 3.12, 3.13, stress or T0,T1,T2 (digits only), not '%s'", arg);
        return false;
    }
    memcpy(s->threshold, t, sizeof t);
    return true;
}

/* gc_collect_main's bookkeeping around the shared phases. */
static size_t collect_generation(gen_state *s, int g)
{
    if (hl_gc_is_collecting(&s->base))
        return 0;
    if (g + 1 < GENERATIONS)
        s->count[g + 1]++;
    for (int i = 0; i <= g; i++)
        s->count[i] = 0;
    for (int i = 0; i < g; i++)
        hl_gc_list_merge(&s->base.space[i], &s->base.space[g]);
    hl_gc_head *young = &s->base.space[g];
    hl_gc_head *old = g + 1 < GENERATIONS ? &s->base.space[g + 1] : young;
    bool full = g == GENERATIONS - 1;
    hl_gc_outcome out;
    size_t found = hl_gc_run(&s->base, g, full, young, old, &out);
    if (full) {
        s->long_lived_pending = 0;
        s->long_lived_total = out.reachable;
    } else if (g == GENERATIONS - 2) {
        s->long_lived_pending += out.reachable;
    }
    return found;
}

/* gc_collect_generations: the generation an automatic collection takes. */
static int gen_stress_generation(void *ctx)
{
    gen_state *s = ctx;
    for (int g = GENERATIONS - 1; g >= 0; g--) {
        if (s->count[g] <= s->threshold[g] && g > 0)
            continue;
        if (g == GENERATIONS - 1 && s->long_lived_pending < s->long_lived_total / 4)
            continue;
        return g;
    }
    return 0;
}

/* The slow path of on_alloc. */
static void collect_generations(gen_state *s)
{
    for (int g = GENERATIONS - 1; g >= 0; g--) {
        if (s->count[g] <= s->threshold[g])
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
    if (hl_unlikely(++s->count[0] > s->threshold[0] && s->threshold[0] && s->base.enabled &&
                    !hl_gc_is_collecting(&s->base)))
        collect_generations(s);
}

static void gen_on_dealloc(void *ctx)
{
    gen_state *s = ctx;
    if (s->count[0] > 0)
        s->count[0]--;
}

static size_t gen_collect(void *ctx, int generation)
{
    return collect_generation(ctx, generation);
}

static void gen_get_count(void *ctx, size_t count[GENERATIONS])
{
    memcpy(count, ((gen_state *)ctx)->count, sizeof(size_t[GENERATIONS]));
}

static void gen_get_threshold(void *ctx, size_t threshold[GENERATIONS])
{
    memcpy(threshold, ((gen_state *)ctx)->threshold, sizeof(size_t[GENERATIONS]));
}

static bool gen_set_threshold(void *ctx, const size_t threshold[GENERATIONS])
{
    memcpy(((gen_state *)ctx)->threshold, threshold, sizeof(size_t[GENERATIONS]));
    return true;
}

static void gen_freeze(void *ctx)
{
    gen_state *s = ctx;
    for (int g = 0; g < GENERATIONS; g++)
        hl_gc_list_merge(&s->base.space[g], &s->base.permanent);
    s->count[0] = 0;
}

static const hl_collector_ops generational_ops = {
    .name = "generational",
    .description = "CPython 3.11/3.12's three generations (thresholds 700,10,10; =3.13 for 2000)",
    .flags = HL_GC_FINDS_CYCLES | HL_GC_AUTOMATIC,
    .generations = GENERATIONS,
    .state_size = sizeof(gen_state),
    .configure = gen_configure,
    .on_alloc = gen_on_alloc,
    .on_dealloc = gen_on_dealloc,
    .stress_generation = gen_stress_generation,
    .collect = gen_collect,
    .get_count = gen_get_count,
    .get_threshold = gen_get_threshold,
    .set_threshold = gen_set_threshold,
    .freeze = gen_freeze,
};

const hl_collector_ops *hl_collector_generational(void)
{
    return &generational_ops;
}
