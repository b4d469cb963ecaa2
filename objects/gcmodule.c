/*
 * objects/gcmodule.c — the collector as Python's gc module sees it.  The
 * runtime owns the re-entry rule: a collection started while another runs
 * (a finalizer calling gc.collect()) returns 0 and collects nothing.
 */
#include "gc_core.h"
#include "runtime.h"

long hl_gc_collect(hl_runtime *rt, int generation)
{
    if (generation < 0 || generation >= HL_GC_GENERATIONS)
        return -1;
    if (!hl_gc_enter(rt))
        return 0;
    int top = rt->gc_ops->generations - 1;
    size_t found = rt->gc_ops->collect(rt->gc, generation < top ? generation : top);
    hl_gc_leave(rt);
    return (long)found;
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
