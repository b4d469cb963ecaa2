/*
 * collectors/gc_garbage.c — what happens to the unreachable set, shared by
 * every tracing collector; CPython's gc_collect_main after
 * deduce_unreachable (3.11–3.12), in its order:
 *
 *   4. legacy finalizers  objects whose type has a legacy `del` (tp_del),
 *                         and everything they reach, are uncollectable:
 *                         they move to `finalizers` and, at the end, to
 *                         gc.garbage (the tp_del ones) and the old space.
 *   5. weak references    every weakref to an unreachable object is
 *                         cleared; callbacks run only for weakrefs that are
 *                         themselves reachable (a callback of a weakref that
 *                         is garbage could see cleared objects).
 *   6. finalizers         PEP 442: each unreachable object whose finalizer
 *                         has not run gets it called, once ever.
 *   7. resurrection       the unreachable set is examined again on its own:
 *                         what a finalizer made reachable from outside
 *                         survives, into `old`.
 *   8. delete_garbage     the rest are cleared (tp_clear) so reference
 *                         counting frees them — or, under DEBUG_SAVEALL,
 *                         appended to gc.garbage instead.
 *
 * On entry the unreachable list is a normal list (NEXT_UNREACHABLE cleared)
 * and its members carry COLLECTING; nothing else does.  Steps 5, 6 and 8
 * run code outside the collector (callbacks, finalizers, clear, dealloc),
 * which may free any object and track new ones: each loop therefore always
 * takes the first object of its list and moves it before calling out.
 */
#include "gc_core.h"
#include "debug.h"
#include "runtime.h"

static inline bool is_collecting(const hl_gc_head *gc)
{
    return (gc->prev & HL_GC_PREV_COLLECTING) != 0;
}

static void clear_collecting(hl_gc_head *list)
{
    for (hl_gc_head *gc = hl_gc_list_next(list); gc != list; gc = hl_gc_list_next(gc))
        gc->prev &= ~HL_GC_PREV_COLLECTING;
}

/* ---- 4. legacy finalizers ---------------------------------------------- */

static bool has_legacy_finalizer(const hl_object *op)
{
    return (op->type->flags & HL_TYPE_LEGACY_DEL) && op->type->legacy_del;
}

static void move_legacy_finalizers(hl_gc_head *unreachable, hl_gc_head *finalizers)
{
    hl_gc_head *next;
    for (hl_gc_head *gc = hl_gc_list_next(unreachable); gc != unreachable; gc = next) {
        next = hl_gc_list_next(gc);
        if (has_legacy_finalizer(hl_object_of(gc))) {
            gc->prev &= ~HL_GC_PREV_COLLECTING;
            hl_gc_list_move(gc, finalizers);
        }
    }
}

static int visit_move(hl_object *op, void *arg)
{
    if (hl_is_container(op)) {
        hl_gc_head *gc = hl_gc_head_of(op);
        if (is_collecting(gc)) {
            gc->prev &= ~HL_GC_PREV_COLLECTING;
            hl_gc_list_move(gc, arg);
        }
    }
    return 0;
}

/* Appending to the list being walked makes this a breadth-first closure. */
static void move_legacy_finalizer_reachable(hl_gc_head *finalizers)
{
    for (hl_gc_head *gc = hl_gc_list_next(finalizers); gc != finalizers;
         gc = hl_gc_list_next(gc)) {
        hl_object *op = hl_object_of(gc);
        op->type->traverse(op, visit_move, finalizers);
    }
}

static void handle_legacy_finalizers(hl_runtime *rt, hl_gc_head *finalizers, hl_gc_head *old)
{
    unsigned debug = hl_runtime_collector(rt)->debug;
    for (hl_gc_head *gc = hl_gc_list_next(finalizers); gc != finalizers;
         gc = hl_gc_list_next(gc)) {
        hl_object *op = hl_object_of(gc);
        if ((debug & HL_GC_DEBUG_SAVEALL) || has_legacy_finalizer(op)) {
            hl_object *garbage = hl_gc_garbage(rt);
            if (garbage)
                (void)hl_list_append(rt, garbage, op); /* on failure it just survives */
        }
    }
    hl_gc_list_merge(finalizers, old);
}

/* ---- 5. weak references ------------------------------------------------ */

/* Returns the number of weakrefs freed once their callbacks had run, which
   CPython adds to the collected count. */
static size_t handle_weakrefs(hl_runtime *rt, hl_gc_head *unreachable, hl_gc_head *old)
{
    hl_gc_head to_call;
    hl_gc_list_init(&to_call);
    for (hl_gc_head *gc = hl_gc_list_next(unreachable); gc != unreachable;
         gc = hl_gc_list_next(gc)) {
        hl_object *op = hl_object_of(gc);
        if (hl_is_weakref(op))
            hl_weakref_clear_ref(op); /* garbage itself: never calls back */
        hl_object **weaklist = hl_weaklist_of(op);
        if (weaklist == NULL)
            continue;
        while (*weaklist) {
            hl_object *wr = *weaklist;
            hl_weakref_clear_ref(wr);
            if (!hl_weakref_has_callback(wr) || hl_gc_head_of(wr)->next == 0 ||
                is_collecting(hl_gc_head_of(wr)))
                continue;
            hl_incref(wr);
            hl_gc_list_move(hl_gc_head_of(wr), &to_call);
        }
    }
    size_t freed = 0;
    while (!hl_gc_list_is_empty(&to_call)) {
        hl_gc_head *gc = hl_gc_list_next(&to_call);
        hl_object *wr = hl_object_of(gc);
        hl_weakref_call(rt, wr);
        hl_decref(rt, wr);
        if (hl_gc_list_next(&to_call) == gc)
            hl_gc_list_move(gc, old); /* still alive */
        else
            freed++;
    }
    return freed;
}

/* ---- 6. finalizers ----------------------------------------------------- */

static size_t finalize_garbage(hl_runtime *rt, hl_gc_head *collectable)
{
    size_t called = 0;
    hl_gc_head seen;
    hl_gc_list_init(&seen);
    while (!hl_gc_list_is_empty(collectable)) {
        hl_gc_head *gc = hl_gc_list_next(collectable);
        hl_object *op = hl_object_of(gc);
        hl_gc_list_move(gc, &seen);
        if (op->type->finalize && !(gc->prev & HL_GC_PREV_FINALIZED)) {
            hl_incref(op);
            hl_runtime_finalize(rt, op);
            called++;
            hl_decref(rt, op);
        }
    }
    hl_gc_list_merge(&seen, collectable);
    return called;
}

/* ---- 8. delete_garbage ------------------------------------------------- */

static void delete_garbage(hl_runtime *rt, hl_gc_head *collectable, hl_gc_head *old)
{
    bool save_all = (hl_runtime_collector(rt)->debug & HL_GC_DEBUG_SAVEALL) != 0;
    while (!hl_gc_list_is_empty(collectable)) {
        hl_gc_head *gc = hl_gc_list_next(collectable);
        hl_object *op = hl_object_of(gc);
        if (save_all) {
            hl_object *garbage = hl_gc_garbage(rt);
            if (garbage)
                (void)hl_list_append(rt, garbage, op);
            hl_gc_list_move(gc, old);
            continue;
        }
        if (op->type->clear) {
            hl_incref(op);
            op->type->clear(rt, op);
            hl_decref(rt, op);
        }
        if (hl_gc_list_next(collectable) == gc)
            hl_gc_list_move(gc, old); /* still alive: it may die later */
    }
}

/* ---- all of it --------------------------------------------------------- */

size_t hl_gc_handle_garbage(hl_gc_base *base, hl_gc_head *unreachable, hl_gc_head *old,
                            hl_gc_outcome *out)
{
    hl_runtime *rt = base->rt;
    HL_DEBUG_VALIDATE(hl_gc_set_validate, unreachable, true);
    hl_gc_head finalizers, final_unreachable;
    hl_gc_list_init(&finalizers);
    move_legacy_finalizers(unreachable, &finalizers);
    move_legacy_finalizer_reachable(&finalizers);

    out->collected += handle_weakrefs(rt, unreachable, old);
    out->finalizers = finalize_garbage(rt, unreachable);

    /* 7: what is reachable again from outside the set was resurrected.
       Only a finalizer can resurrect (weakref callbacks reachable from
       outside cannot reach the set), so without one the pass is skipped. */
    if (out->finalizers) {
        clear_collecting(unreachable);
        hl_gc_deduce_unreachable(unreachable, &final_unreachable);
        clear_collecting(unreachable);
        out->resurrected = hl_gc_list_size(unreachable);
        hl_gc_list_merge(unreachable, old);
    } else {
        hl_gc_list_init(&final_unreachable);
        hl_gc_list_merge(unreachable, &final_unreachable);
    }

    HL_DEBUG_VALIDATE(hl_gc_set_validate, &final_unreachable, true);
    HL_DEBUG_VALIDATE(hl_gc_set_validate, old, false);
    out->collected += hl_gc_list_size(&final_unreachable);
    clear_collecting(&final_unreachable);
    delete_garbage(rt, &final_unreachable, old);

    out->uncollectable = hl_gc_list_size(&finalizers);
    handle_legacy_finalizers(rt, &finalizers, old);
    return out->collected + out->uncollectable;
}
