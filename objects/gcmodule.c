/*
 * objects/gcmodule.c — the collector as Python's gc module sees it.  The
 * re-entry rule lives in hl_gc_run (collectors/gc_core.c): a collection
 * asked for while one runs — from a finalizer, a weakref callback or a gc
 * callback — returns 0 and collects nothing.
 */
#include "gc_core.h"
#include "runtime.h"

#include <string.h>

long hl_gc_collect(hl_runtime *rt, int generation)
{
    if (generation < 0 || generation >= HL_GC_GENERATIONS)
        return -1;
    if (hl_gc_is_collecting(rt))
        return 0;
    int top = rt->gc_ops->generations - 1;
    return (long)rt->gc_ops->collect(rt->gc, generation < top ? generation : top);
}

void hl_gc_enable(hl_runtime *rt)
{
    rt->gc_ops->set_enabled(rt->gc, true);
}

void hl_gc_disable(hl_runtime *rt)
{
    rt->gc_ops->set_enabled(rt->gc, false);
}

bool hl_gc_isenabled(hl_runtime *rt)
{
    return rt->gc_ops->is_enabled(rt->gc);
}

void hl_gc_get_count(hl_runtime *rt, size_t count[HL_GC_GENERATIONS])
{
    rt->gc_ops->get_count(rt->gc, count);
}

void hl_gc_get_stats(hl_runtime *rt, hl_gc_stats *out)
{
    rt->gc_ops->stats(rt->gc, out);
}

int hl_gc_generations(const hl_runtime *rt)
{
    return rt->gc_ops->generations;
}

int hl_traverse(hl_object *op, hl_visit_fn visit, void *arg)
{
    return op->type->traverse ? op->type->traverse(op, visit, arg) : 0;
}

void hl_gc_get_threshold(hl_runtime *rt, size_t threshold[HL_GC_GENERATIONS])
{
    rt->gc_ops->get_threshold(rt->gc, threshold);
}

int hl_gc_set_threshold(hl_runtime *rt, size_t t0, size_t t1, size_t t2)
{
    const size_t t[HL_GC_GENERATIONS] = {t0, t1, t2};
    return rt->gc_ops->set_threshold(rt->gc, t) ? 0 : -1;
}

void hl_gc_freeze(hl_runtime *rt)
{
    rt->gc_ops->freeze(rt->gc);
}

void hl_gc_unfreeze(hl_runtime *rt)
{
    rt->gc_ops->unfreeze(rt->gc);
}

size_t hl_gc_get_freeze_count(hl_runtime *rt)
{
    return rt->gc_ops->freeze_count(rt->gc);
}

void hl_gc_set_debug(hl_runtime *rt, unsigned flags)
{
    rt->gc_debug = flags;
}

unsigned hl_gc_get_debug(hl_runtime *rt)
{
    return rt->gc_debug;
}

hl_object *hl_gc_garbage(hl_runtime *rt)
{
    if (rt->garbage == NULL)
        rt->garbage = hl_list_new(rt, 0);
    return rt->garbage;
}

int hl_gc_add_callback(hl_runtime *rt, hl_gc_callback_fn fn, void *user)
{
    if (rt->callback_count == HL_GC_MAX_CALLBACKS)
        return -1;
    rt->callbacks[rt->callback_count++] = (hl_gc_callback){fn, user};
    return 0;
}

void hl_gc_remove_callback(hl_runtime *rt, hl_gc_callback_fn fn, void *user)
{
    for (size_t i = 0; i < rt->callback_count; i++) {
        if (rt->callbacks[i].fn == fn && rt->callbacks[i].user == user) {
            memmove(&rt->callbacks[i], &rt->callbacks[i + 1],
                    (rt->callback_count - i - 1) * sizeof rt->callbacks[0]);
            rt->callback_count--;
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
    if (generation < -1 || generation >= rt->gc_ops->generations)
        return NULL;
    if (new_listing(rt, &l) == NULL)
        return NULL;
    rt->gc_ops->for_each(rt->gc, generation, append_object, &l);
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
    rt->gc_ops->for_each(rt->gc, -1, append_if_referrer, &l);
    return finish_listing(rt, &l);
}
