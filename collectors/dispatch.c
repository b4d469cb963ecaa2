/*
 * collectors/dispatch.c — opening a collector: the registry lookup, its
 * parameter, the default of every optional slot (all of them here, in one
 * place), the stress schedule, and what the runtime asks at destroy
 * (reclaim) and in validate.
 *
 * The defaults are those of a list collector whose context starts with an
 * hl_gc_base: tracked objects on base->space[0..generations), frozen ones
 * on base->permanent.  A collector overrides what it does differently;
 * a heap-walking one (HL_GC_WALKS_HEAP) must override every slot that
 * touches the lists, and open refuses it otherwise.
 */
#include "collector_registry.h"
#include "gc_core.h"
#include "runtime.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- defaults ----------------------------------------------------------- */

static bool default_configure(void *ctx, const char *arg, char *error, size_t error_size)
{
    hl_gc_base *base = ctx;
    if (arg == NULL)
        return true;
    snprintf(error, error_size, "'%s' takes no parameter%s", base->collector->ops.name,
             base->collector->ops.flags & HL_GC_AUTOMATIC ? " but 'stress'" : "");
    return false;
}

static void default_nothing(void *ctx)
{
    (void)ctx;
}

static void default_track(void *ctx, hl_object *op)
{
    hl_gc_link(op, &((hl_gc_base *)ctx)->space[0]);
}

static void default_untrack(void *ctx, hl_object *op)
{
    (void)ctx;
    hl_gc_unlink(op);
}

static int default_stress_generation(void *ctx)
{
    (void)ctx;
    return 0;
}

static size_t default_collect(void *ctx, int generation)
{
    hl_gc_base *base = ctx;
    hl_gc_outcome out;
    if (base->collector->ops.flags & HL_GC_FINDS_CYCLES)
        return hl_gc_collect_all(base, &out);
    hl_gc_head nothing;
    hl_gc_list_init(&nothing);
    return hl_gc_run(base, generation, true, &nothing, &nothing, &out);
}

static void default_get_count(void *ctx, size_t count[HL_GC_GENERATIONS])
{
    (void)ctx;
    for (int g = 0; g < HL_GC_GENERATIONS; g++)
        count[g] = 0;
}

static bool default_set_threshold(void *ctx, const size_t threshold[HL_GC_GENERATIONS])
{
    (void)ctx;
    (void)threshold;
    return true; /* accepted and meaningless: nothing collects automatically */
}

static void default_for_each(void *ctx, int generation, hl_gc_object_fn fn, void *arg)
{
    hl_gc_base *base = ctx;
    for (int g = 0; g < base->collector->ops.generations; g++)
        if (generation < 0 || g == generation)
            hl_gc_list_for_each(&base->space[g], fn, arg);
    if (generation == HL_GC_EVERY_SPACE)
        hl_gc_list_for_each(&base->permanent, fn, arg);
}

static void default_freeze(void *ctx)
{
    hl_gc_base *base = ctx;
    for (int g = 0; g < base->collector->ops.generations; g++)
        hl_gc_list_merge(&base->space[g], &base->permanent);
}

static void default_unfreeze(void *ctx)
{
    hl_gc_base *base = ctx;
    hl_gc_list_merge(&base->permanent, &base->space[base->collector->ops.generations - 1]);
}

static size_t default_freeze_count(void *ctx)
{
    return hl_gc_list_size(&((hl_gc_base *)ctx)->permanent);
}

static bool default_validate(void *ctx, char *why, size_t why_size)
{
    (void)ctx;
    (void)why;
    (void)why_size;
    return true;
}

/* The stress schedule (Lua's HARDMEMTESTS): after the collector's own
   on_alloc, a collection of the generation automatic collection would
   pick.  The original on_alloc is kept in the context's collector. */
static void stress_on_alloc(void *ctx)
{
    hl_gc_base *base = ctx;
    hl_collector *c = base->collector;
    c->stressed_on_alloc(ctx);
    if (base->enabled && !c->collecting) {
        int g = c->ops.stress_generation(ctx);
        c->ops.collect(ctx, g < 0 ? 0 : g);
    }
}

#define DEFAULT(slot, fn)       \
    do {                        \
        if (ops->slot == NULL)  \
            ops->slot = fn;     \
    } while (0)

/* Fills the NULL slots; false if a heap-walking collector left one of its
   mandatory slots empty. */
static bool fill_defaults(hl_collector_ops *ops)
{
    if (ops->flags & HL_GC_WALKS_HEAP) {
        if (!ops->track || !ops->untrack || !ops->is_tracked || !ops->is_finalized ||
            !ops->set_finalized || !ops->reset_object || !ops->for_each || !ops->collect ||
            !ops->freeze || !ops->unfreeze || !ops->freeze_count)
            return false;
    } else if (ops->header_size < sizeof(hl_gc_head)) {
        ops->header_size = sizeof(hl_gc_head);
    }
    if (ops->generations <= 0)
        ops->generations = 1;
    if (ops->generations > HL_GC_GENERATIONS)
        return false;
    if (ops->state_size < sizeof(hl_gc_base))
        ops->state_size = sizeof(hl_gc_base);
    DEFAULT(configure, default_configure);
    DEFAULT(destroy, default_nothing);
    DEFAULT(track, default_track);
    DEFAULT(untrack, default_untrack);
    DEFAULT(on_alloc, default_nothing);
    DEFAULT(on_dealloc, default_nothing);
    DEFAULT(stress_generation, default_stress_generation);
    DEFAULT(collect, default_collect);
    DEFAULT(get_count, default_get_count);
    DEFAULT(get_threshold, default_get_count);
    DEFAULT(set_threshold, default_set_threshold);
    DEFAULT(for_each, default_for_each);
    DEFAULT(freeze, default_freeze);
    DEFAULT(unfreeze, default_unfreeze);
    DEFAULT(freeze_count, default_freeze_count);
    DEFAULT(validate, default_validate);
    /* is_tracked .. reset_object: list collectors use the inline paths. */
    return true;
}

/* ---- open and close ---------------------------------------------------- */

hl_collector *hl_collector_open(const char *spec, hl_runtime *rt, char *err, size_t err_size)
{
    const char *eq = strchr(spec, '=');
    size_t name_len = eq ? (size_t)(eq - spec) : strlen(spec);
    const hl_collector_ops *found = hl_collector_find(spec, name_len);
    if (found == NULL) {
        snprintf(err, err_size, "unknown collector '%.*s' (see `heaplab list`)",
                 (int)name_len, spec);
        return NULL;
    }
    hl_collector *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    c->ops = *found;
    if (!fill_defaults(&c->ops)) {
        snprintf(err, err_size, "collector '%s' leaves a mandatory slot empty", found->name);
        free(c);
        return NULL;
    }
    c->lists = !(c->ops.flags & HL_GC_WALKS_HEAP);
    bool default_tracking = found->track == NULL && found->untrack == NULL &&
                            !(found->flags & HL_GC_SPARE_BITS);
    hl_gc_base *base = c->ctx = calloc(1, c->ops.state_size);
    if (base == NULL) {
        snprintf(err, err_size, "out of memory");
        free(c);
        return NULL;
    }
    base->rt = rt;
    base->collector = c;
    base->enabled = true;
    for (int g = 0; g < HL_GC_GENERATIONS; g++)
        hl_gc_list_init(&base->space[g]);
    hl_gc_list_init(&base->permanent);
    if (default_tracking && c->lists)
        c->young = &base->space[0]; /* the default slots, inline (collector.h) */

    const char *arg = eq ? eq + 1 : NULL;
    if (arg && strcmp(arg, "stress") == 0 && (c->ops.flags & HL_GC_AUTOMATIC)) {
        base->stress = true;
        c->ops.flags |= HL_GC_STRESS;
        arg = NULL;
        c->stressed_on_alloc = c->ops.on_alloc;
        c->ops.on_alloc = stress_on_alloc;
    }
    char reason[200] = "";
    if (!c->ops.configure(base, arg, reason, sizeof reason)) {
        snprintf(err, err_size, "cannot create collector '%s': %s", spec,
                 reason[0] ? reason : "out of memory");
        free(base);
        free(c);
        return NULL;
    }
    return c;
}

void hl_collector_close(hl_collector *c)
{
    if (c == NULL)
        return;
    c->ops.destroy(c->ctx);
    free(c->ctx);
    free(c);
}

/* ---- reclaim at destroy ------------------------------------------------ */

/*
 * Frees what reference counting alone cannot: every tracked object is kept
 * alive while each is cleared, then released.  Clearing can run finalizers
 * that make new objects, so this repeats until the collector holds nothing
 * (bounded: a finalizer that always resurrects would otherwise spin).
 */
static size_t reclaim_lists(hl_collector *c)
{
    hl_gc_base *base = c->ctx;
    size_t reclaimed = 0;
    for (int round = 0; round < 64; round++) {
        hl_gc_head all, done;
        hl_gc_list_init(&all);
        hl_gc_list_init(&done);
        for (int g = 0; g < c->ops.generations; g++)
            hl_gc_list_merge(&base->space[g], &all);
        hl_gc_list_merge(&base->permanent, &all);
        if (hl_gc_list_is_empty(&all))
            break;
        for (hl_gc_head *gc = hl_gc_list_next(&all); gc != &all; gc = hl_gc_list_next(gc))
            hl_incref(hl_object_of(gc));
        while (!hl_gc_list_is_empty(&all)) {
            hl_gc_head *gc = hl_gc_list_next(&all);
            hl_object *op = hl_object_of(gc);
            hl_gc_list_move(gc, &done);
            reclaimed++;
            if (op->type->clear)
                op->type->clear(base->rt, op);
        }
        /* Release in order; objects freed meanwhile left the list.  A
           survivor (held by an uncleared object) is dropped from accounting;
           it shows up in live_objects. */
        while (!hl_gc_list_is_empty(&done)) {
            hl_object *op = hl_object_of(hl_gc_list_next(&done));
            hl_gc_unlink(op); /* dealloc must not unlink it again */
            c->tracked--;
            hl_decref(base->rt, op);
        }
    }
    return reclaimed;
}

#define RECLAIM_CHUNK 4096

typedef struct reclaim_chunk {
    hl_object *op[RECLAIM_CHUNK];
    size_t count;
} reclaim_chunk;

static void gather(hl_object *op, void *arg)
{
    reclaim_chunk *chunk = arg;
    if (chunk->count < RECLAIM_CHUNK)
        chunk->op[chunk->count++] = op;
}

static void count_one(hl_object *op, void *arg)
{
    (void)op;
    ++*(size_t *)arg;
}

/* The same through for_each, for a collector without lists: each round
   counts what is tracked, then keeps alive, untracks, clears and releases
   a chunk at a time until that many were handled. */
static size_t reclaim_walking(hl_collector *c)
{
    hl_runtime *rt = hl_collector_base(c)->rt;
    static_assert(RECLAIM_CHUNK * sizeof(hl_object *) <= 64 * 1024, "C stack use");
    reclaim_chunk chunk;
    size_t reclaimed = 0;
    for (int round = 0; round < 64; round++) {
        size_t tracked = 0, handled = 0;
        c->ops.for_each(c->ctx, HL_GC_EVERY_SPACE, count_one, &tracked);
        if (tracked == 0)
            break;
        reclaimed += tracked;
        while (handled < tracked) {
            chunk.count = 0;
            c->ops.for_each(c->ctx, HL_GC_EVERY_SPACE, gather, &chunk);
            if (chunk.count == 0)
                break;
            for (size_t i = 0; i < chunk.count; i++) {
                hl_incref(chunk.op[i]);
                c->ops.untrack(c->ctx, chunk.op[i]);
                c->tracked--;
            }
            for (size_t i = 0; i < chunk.count; i++)
                if (chunk.op[i]->type->clear)
                    chunk.op[i]->type->clear(rt, chunk.op[i]);
            for (size_t i = 0; i < chunk.count; i++)
                hl_decref(rt, chunk.op[i]);
            handled += chunk.count;
        }
    }
    return reclaimed;
}

size_t hl_collector_reclaim(hl_collector *c)
{
    c->reclaiming = true;
    size_t n = c->lists ? reclaim_lists(c) : reclaim_walking(c);
    c->reclaiming = false;
    return n;
}

/* ---- validate ---------------------------------------------------------- */

bool hl_collector_validate(hl_collector *c, char *why, size_t why_size)
{
    hl_gc_base *base = c->ctx;
    if (base->collector != c || c->collecting) {
        snprintf(why, why_size, "collector state: %s",
                 c->collecting ? "collecting outside a collection" : "base not its own");
        return false;
    }
    if (c->lists) {
        size_t n, total = 0;
        for (int g = 0; g < c->ops.generations; g++) {
            if (!hl_gc_list_validate(&base->space[g], &n, why, why_size))
                return false;
            total += n;
        }
        for (int g = c->ops.generations; g < HL_GC_GENERATIONS; g++)
            if (!hl_gc_list_is_empty(&base->space[g])) {
                snprintf(why, why_size, "space %d used by a %d-generation collector", g,
                         c->ops.generations);
                return false;
            }
        if (!hl_gc_list_validate(&base->permanent, &n, why, why_size))
            return false;
        if (total + n != c->tracked && !c->reclaiming) {
            snprintf(why, why_size, "%zu objects tracked, but the lists hold %zu (%zu frozen)",
                     c->tracked, total + n, n);
            return false;
        }
    }
    return c->ops.validate(c->ctx, why, why_size);
}
