/*
 * collectors/gcmodule.c — the collector as Python's gc module sees it: the
 * module's state (gc.garbage, callbacks, debug flags, the re-entry guard)
 * lives in the hl_collector (collector.h).  A collection asked for while
 * one runs — from a finalizer, a weakref callback or a gc callback —
 * returns 0 and collects nothing (hl_gc_run_begin).
 */
#include "gc_core.h"
#include "runtime.h"

#include <string.h>

long hl_gc_collect(hl_runtime *rt, int generation)
{
    hl_collector *c = rt->gc;
    if (generation < 0 || generation >= HL_GC_GENERATIONS)
        return -1;
    if (c->collecting)
        return 0;
    int top = c->ops.generations - 1;
    return (long)c->ops.collect(c->ctx, generation < top ? generation : top);
}

void hl_gc_enable(hl_runtime *rt)
{
    hl_collector_base(rt->gc)->enabled = true;
}

void hl_gc_disable(hl_runtime *rt)
{
    hl_collector_base(rt->gc)->enabled = false;
}

bool hl_gc_isenabled(hl_runtime *rt)
{
    return hl_collector_base(rt->gc)->enabled;
}

void hl_gc_get_count(hl_runtime *rt, size_t count[HL_GC_GENERATIONS])
{
    rt->gc->ops.get_count(rt->gc->ctx, count);
}

void hl_gc_get_stats(hl_runtime *rt, hl_gc_stats *out)
{
    *out = hl_collector_base(rt->gc)->stats;
}

int hl_gc_generations(const hl_runtime *rt)
{
    return rt->gc->ops.generations;
}

unsigned hl_gc_flags(const hl_runtime *rt)
{
    return rt->gc->ops.flags;
}

bool hl_gc_is_tracked(hl_runtime *rt, const hl_object *op)
{
    return hl_is_container(op) && hl_collector_is_tracked(rt->gc, op);
}

bool hl_gc_is_finalized(hl_runtime *rt, const hl_object *op)
{
    return hl_is_container(op) && hl_collector_is_finalized(rt->gc, op);
}

int hl_traverse(hl_object *op, hl_visit_fn visit, void *arg)
{
    return op->type->traverse ? op->type->traverse(op, visit, arg) : 0;
}

void hl_gc_get_threshold(hl_runtime *rt, size_t threshold[HL_GC_GENERATIONS])
{
    rt->gc->ops.get_threshold(rt->gc->ctx, threshold);
}

int hl_gc_set_threshold(hl_runtime *rt, size_t t0, size_t t1, size_t t2)
{
    const size_t t[HL_GC_GENERATIONS] = {t0, t1, t2};
    return rt->gc->ops.set_threshold(rt->gc->ctx, t) ? 0 : -1;
}

void hl_gc_freeze(hl_runtime *rt)
{
    rt->gc->ops.freeze(rt->gc->ctx);
}

void hl_gc_unfreeze(hl_runtime *rt)
{
    rt->gc->ops.unfreeze(rt->gc->ctx);
}

size_t hl_gc_get_freeze_count(hl_runtime *rt)
{
    return rt->gc->ops.freeze_count(rt->gc->ctx);
}

void hl_gc_set_debug(hl_runtime *rt, unsigned flags)
{
    rt->gc->debug = flags;
}

unsigned hl_gc_get_debug(hl_runtime *rt)
{
    return rt->gc->debug;
}

hl_object *hl_gc_garbage(hl_runtime *rt)
{
    hl_collector *c = rt->gc;
    if (c->garbage == NULL)
        c->garbage = hl_list_new(rt, 0);
    return c->garbage;
}

int hl_gc_add_callback(hl_runtime *rt, hl_gc_callback_fn fn, void *user)
{
    hl_collector *c = rt->gc;
    if (c->callback_count == HL_GC_MAX_CALLBACKS)
        return -1;
    c->callbacks[c->callback_count++] = (hl_gc_callback){fn, user};
    return 0;
}

void hl_gc_remove_callback(hl_runtime *rt, hl_gc_callback_fn fn, void *user)
{
    hl_collector *c = rt->gc;
    for (size_t i = 0; i < c->callback_count; i++) {
        if (c->callbacks[i].fn == fn && c->callbacks[i].user == user) {
            memmove(&c->callbacks[i], &c->callbacks[i + 1],
                    (c->callback_count - i - 1) * sizeof c->callbacks[0]);
            c->callback_count--;
            return;
        }
    }
}

/* ---- object listings ------------------------------------------------- */

typedef struct listing {
    hl_runtime *rt;
    hl_object *list;   /* the result */
    hl_object *target; /* get_referrers: the object referred to */
    bool failed;
} listing;

static void append_object(hl_object *op, void *arg)
{
    listing *l = arg;
    if (!l->failed && hl_list_append(l->rt, l->list, op) < 0)
        l->failed = true;
}

/* The result list itself is tracked from birth and must not list itself,
   so it is untracked while the collector is walked. */
static hl_object *new_listing(hl_runtime *rt, listing *l)
{
    *l = (listing){.rt = rt, .list = hl_list_new(rt, 0)};
    if (l->list)
        hl_gc_untrack(rt, l->list);
    return l->list;
}

static hl_object *finish_listing(hl_runtime *rt, listing *l)
{
    hl_gc_track(rt, l->list);
    if (l->failed)
        hl_clearref(rt, &l->list);
    return l->list;
}

hl_object *hl_gc_get_objects(hl_runtime *rt, int generation)
{
    listing l;
    if (generation < -1 || generation >= rt->gc->ops.generations)
        return NULL;
    if (new_listing(rt, &l) == NULL)
        return NULL;
    rt->gc->ops.for_each(rt->gc->ctx, generation, append_object, &l);
    return finish_listing(rt, &l);
}

static int visit_append(hl_object *op, void *arg)
{
    append_object(op, arg);
    return 0;
}

hl_object *hl_gc_get_referents(hl_runtime *rt, hl_object *op)
{
    listing l;
    if (new_listing(rt, &l) == NULL)
        return NULL;
    hl_traverse(op, visit_append, &l);
    return finish_listing(rt, &l);
}

static int visit_is_target(hl_object *op, void *arg)
{
    return op == ((listing *)arg)->target;
}

static void append_if_referrer(hl_object *op, void *arg)
{
    listing *l = arg;
    if (hl_traverse(op, visit_is_target, l))
        append_object(op, l);
}

hl_object *hl_gc_get_referrers(hl_runtime *rt, hl_object *op)
{
    listing l;
    if (new_listing(rt, &l) == NULL)
        return NULL;
    l.target = op;
    rt->gc->ops.for_each(rt->gc->ctx, -1, append_if_referrer, &l);
    return finish_listing(rt, &l);
}
