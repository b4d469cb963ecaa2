/*
 * collectors/gc_garbage.c — what happens to the unreachable set, shared by
 * every tracing collector, list or header-less; CPython's gc_collect_main
 * after deduce_unreachable (3.11–3.12), in its order:
 *
 *   4. legacy finalizers  objects whose type has a legacy `del` (tp_del),
 *                         and everything they reach, are uncollectable:
 *                         they leave the set and, at the end, go to
 *                         gc.garbage (the tp_del ones); they survive.
 *   5. weak references    every weakref to an unreachable object is
 *                         cleared; callbacks run only for weakrefs that are
 *                         themselves reachable (a callback of a weakref that
 *                         is garbage could see cleared objects).
 *   6. finalizers         PEP 442: each unreachable object whose finalizer
 *                         has not run gets it called, once ever.
 *   7. resurrection       the set is examined again on its own: what a
 *                         finalizer made reachable from outside survives.
 *   8. delete_garbage     the rest are cleared (tp_clear) so reference
 *                         counting frees them — or, under DEBUG_SAVEALL,
 *                         appended to gc.garbage instead.
 *
 * The set, whichever collector found it, is an array in which every member
 * is held by one strong reference the set owns, as CPython's free-threaded
 * build holds its worklists (it merges the refcount and adds one).  Holding
 * makes the outside code steps 5, 6 and 8 run (callbacks, finalizers,
 * clear, dealloc) unable to free a member under the loop, so each step is
 * a plain walk over the array.  Membership is the COLLECTING bit the
 * collector put on every member: in the hl_gc_head's prev word for a list
 * collector (hl_gc_handle_garbage builds the array from its list), in the
 * refcount word for one without a header (hl_gc_handle_garbage_inline).
 * Step 7 borrows the refcount word's gc_refs field (gc_inline.h) for both:
 * no code outside this file runs while it is split.
 *
 * Invariants: between steps, a member is exactly an object of the array
 * with COLLECTING set, holding the set's reference (NULL entries are
 * members already released); on return no object has COLLECTING and every
 * hold is released.  Scratch arrays come from the C library: the stack's
 * allocator may be the one failing, and a collection that cannot get its
 * scratch space keeps everything (survivors are always safe).
 */
#include "gc_core.h"
#include "debug.h"
#include "gc_inline.h"
#include "runtime.h"

#include <stdlib.h>

/* The unreachable set (see above). */
typedef struct garbage_set {
    hl_runtime *rt;
    hl_object **member; /* count entries, each held, or NULL once released */
    size_t count;
    bool in_header;     /* COLLECTING is in hl_gc_head.prev, not in the word */
    hl_gc_head *old;    /* a list collector's survivors' list; NULL without one */
} garbage_set;

static inline bool is_member(const garbage_set *g, const hl_object *op)
{
    if (!hl_is_container(op))
        return false;
    if (g->in_header)
        return (hl_gc_head_of(op)->prev & HL_GC_PREV_COLLECTING) != 0;
    return hl_inline_has(op, HL_REF_COLLECTING);
}

static inline void leave_set(const garbage_set *g, hl_object *op)
{
    if (g->in_header)
        hl_gc_head_of(op)->prev &= ~HL_GC_PREV_COLLECTING;
    else
        op->refcount &= ~HL_REF_COLLECTING;
}

static bool has_legacy_finalizer(const hl_object *op)
{
    return (op->type->flags & HL_TYPE_LEGACY_DEL) && op->type->legacy_del;
}

static void append_garbage(hl_runtime *rt, hl_object *op)
{
    hl_object *garbage = hl_gc_garbage(rt); /* made on first use; NULL on failure */
    if (garbage)
        (void)hl_list_append(rt, garbage, op); /* on failure it just survives */
}

/* Every member leaves the set and its hold is released: it survives. */
static void keep_all(garbage_set *g)
{
    for (size_t i = 0; i < g->count; i++)
        if (g->member[i] && is_member(g, g->member[i]))
            leave_set(g, g->member[i]);
    for (size_t i = 0; i < g->count; i++)
        if (g->member[i])
            hl_decref(g->rt, g->member[i]);
    g->count = 0;
}

/* Drops the entries that left the set by this file's hand (their holds
   are released where they went), keeping the order. */
static void compact(garbage_set *g)
{
    size_t kept = 0;
    for (size_t i = 0; i < g->count; i++)
        if (is_member(g, g->member[i]))
            g->member[kept++] = g->member[i];
    g->count = kept;
}

/*
 * After outside code ran: a member it left with no reference but the
 * set's would have died of reference counting there and then had the set
 * not held it, and would not be counted: release it now, and again for
 * what its death leaves unreferenced.  (Outside code cannot take a member
 * out of the set otherwise: a held object is never deallocated, and only
 * a collection or a dealloc untracks.)  The array is compacted only when
 * something was released.
 */
static void release_dead(garbage_set *g)
{
    bool released = false;
    for (bool again = true; again;) {
        again = false;
        for (size_t i = 0, n = g->count; i < n; i++) {
            hl_object *op = g->member[i];
            if (op == NULL || hl_refcount(op) != 1)
                continue;
            leave_set(g, op);
            g->member[i] = NULL;
            hl_decref(g->rt, op);
            released = again = true;
        }
    }
    if (released) {
        size_t kept = 0;
        for (size_t i = 0; i < g->count; i++)
            if (g->member[i])
                g->member[kept++] = g->member[i];
        g->count = kept;
    }
}

/* An array of objects with room for every member (no growth needed). */
typedef struct member_stack {
    const garbage_set *set;
    hl_object **items;
    size_t count;
} member_stack;

/* A member reached: it leaves the set, onto the stack (still held). */
static int visit_take(hl_object *op, void *arg)
{
    member_stack *to = arg;
    if (is_member(to->set, op)) {
        leave_set(to->set, op);
        to->items[to->count++] = op;
    }
    return 0;
}

/* ---- 4. legacy finalizers ---------------------------------------------- */

/* Moves the members with a legacy del, and every member they reach, out
   of the set into `finalizers` (breadth first, still held).  False when
   there was no room for them (nothing moved). */
static bool move_legacy_finalizers(garbage_set *g, member_stack *finalizers)
{
    for (size_t i = 0; i < g->count; i++) {
        hl_object *op = g->member[i];
        if (!has_legacy_finalizer(op))
            continue;
        /* Room for the whole closure, taken only when there is one. */
        if (finalizers->items == NULL &&
            (finalizers->items = malloc(g->count * sizeof *finalizers->items)) == NULL)
            return false;
        leave_set(g, op);
        finalizers->items[finalizers->count++] = op;
    }
    for (size_t i = 0; i < finalizers->count; i++)
        finalizers->items[i]->type->traverse(finalizers->items[i], visit_take, finalizers);
    if (finalizers->count)
        compact(g);
    return true;
}

/* ---- 5. weak references ------------------------------------------------ */


/* Returns the weakrefs freed by their callbacks; `called` says whether any
   callback ran (outside code that may have dropped members). */
static size_t handle_weakrefs(garbage_set *g, bool *called)
{
    hl_runtime *rt = g->rt;
    hl_gc_stack calls = {0};
    for (size_t i = 0; i < g->count; i++) {
        hl_object *op = g->member[i];
        if (hl_is_weakref(op))
            hl_weakref_clear_ref(op); /* garbage itself: never calls back */
        hl_object **weaklist = hl_weaklist_of(op);
        if (weaklist == NULL)
            continue;
        while (*weaklist) {
            hl_object *wr = *weaklist;
            hl_weakref_clear_ref(wr);
            if (!hl_weakref_has_callback(wr) || !hl_gc_is_tracked(rt, wr) || is_member(g, wr))
                continue;
            /* Out of scratch memory the callback is lost, as it would be
               had the weakref died first; nothing is left dangling. */
            if (!hl_gc_stack_push(&calls, wr))
                continue;
            hl_incref(wr);
            /* A list collector's weakref whose callback runs joins the
               survivors' generation, as CPython moves it through
               wrcb_to_call to `old` (where it goes if it lives on). */
            if (g->old)
                hl_gc_list_move(hl_gc_head_of(wr), g->old);
        }
    }
    size_t freed = 0;
    *called = calls.count > 0;
    for (size_t i = 0; i < calls.count; i++) {
        hl_object *wr = calls.items[i];
        hl_weakref_call(rt, wr);
        if (hl_refcount(wr) == 1)
            freed++; /* ours was the last reference */
        hl_decref(rt, wr);
    }
    free(calls.items);
    return freed;
}

/* ---- 6. finalizers ----------------------------------------------------- */

static size_t finalize_garbage(garbage_set *g)
{
    size_t called = 0;
    for (size_t i = 0; i < g->count; i++) {
        hl_object *op = g->member[i];
        if (op->type->finalize && !hl_gc_is_finalized(g->rt, op)) {
            hl_runtime_finalize(g->rt, op);
            called++;
        }
    }
    return called;
}

/* ---- 7. resurrection --------------------------------------------------- */

static int visit_subtract(hl_object *op, void *arg)
{
    if (is_member(arg, op) && hl_inline_has(op, HL_REF_UNREACHABLE))
        op->refcount -= HL_REF_REFS_ONE;
    return 0;
}

/*
 * Trial deletion again, over the set alone: gc_refs := count minus the
 * set's hold minus the references from other members.  A member with
 * references from outside, and every member it reaches, was resurrected
 * by a finalizer: it leaves the set onto `stack`.  Returns how many.
 */
static size_t remove_resurrected(garbage_set *g, member_stack *stack)
{
    hl_object **set = g->member;
    size_t n = g->count;
    for (size_t i = 0; i < n; i++) {
        hl_object *op = set[i];
        intptr_t count = hl_refcount(op);
        if (count >= HL_REF_COLLECT_MAX)
            continue; /* too many to split: counted as resurrected below */
        op->refcount |= HL_REF_UNREACHABLE;
        hl_inline_init_refs(op, count - 1);
    }
    for (size_t i = 0; i < n; i++)
        if (hl_inline_has(set[i], HL_REF_UNREACHABLE))
            set[i]->type->traverse(set[i], visit_subtract, g);
    stack->count = 0;
    for (size_t i = 0; i < n; i++) {
        hl_object *op = set[i];
        if (hl_inline_has(op, HL_REF_UNREACHABLE)) {
            bool outside = hl_inline_refs(op) > 0;
            hl_inline_restore(op);
            op->refcount &= ~HL_REF_UNREACHABLE;
            if (!outside)
                continue;
        }
        if (is_member(g, op)) {
            leave_set(g, op);
            stack->items[stack->count++] = op;
        }
    }
    /* What the resurrected reach is resurrected too. */
    for (size_t i = 0; i < stack->count; i++)
        stack->items[i]->type->traverse(stack->items[i], visit_take, stack);
    return stack->count;
}

/* ---- all of it --------------------------------------------------------- */

/* `needs` is the union of hl_gc_garbage_needs over the members.  Steps are
   skipped when no member needs them, and the passes that only tidy the
   set when nothing could have changed it: no member left for the
   uncollectable, no callback or finalizer ran. */
static size_t handle_set(garbage_set *g, unsigned needs, hl_gc_outcome *out)
{
    hl_runtime *rt = g->rt;
    member_stack finalizers = {g, NULL, 0};
    if ((needs & HL_GC_NEEDS_LEGACY) && !move_legacy_finalizers(g, &finalizers)) {
        keep_all(g);
        return 0;
    }
    if (needs & HL_GC_NEEDS_WEAKREFS) {
        bool called;
        out->collected += handle_weakrefs(g, &called);
        if (called)
            release_dead(g);
    }
    if (needs & HL_GC_NEEDS_FINALIZE)
        out->finalizers = finalize_garbage(g);
    if (out->finalizers) {
        release_dead(g);
        member_stack resurrected = {g, malloc((g->count ? g->count : 1) * sizeof(hl_object *)), 0};
        if (resurrected.items == NULL) {
            /* Resurrection cannot be told apart: everything left survives,
               which is always safe. */
            keep_all(g);
        } else {
            out->resurrected = remove_resurrected(g, &resurrected);
            if (out->resurrected)
                compact(g);
            for (size_t i = 0; i < resurrected.count; i++)
                hl_decref(rt, resurrected.items[i]); /* the set's hold */
            free(resurrected.items);
        }
    }

    /* 8. delete_garbage: each member is cleared, then its hold released;
       the others are still held, so none is freed under the loop. */
    out->collected += g->count;
    bool save_all = (hl_runtime_collector(rt)->debug & HL_GC_DEBUG_SAVEALL) != 0;
    hl_object *const *set = g->member;
    for (size_t i = 0, n = g->count; i < n; i++) {
        hl_object *op = set[i];
        leave_set(g, op);
        if (save_all)
            append_garbage(rt, op);
        else if (op->type->clear)
            op->type->clear(rt, op);
        hl_decref(rt, op);
    }

    out->uncollectable = finalizers.count;
    for (size_t i = 0; i < finalizers.count; i++) {
        hl_object *op = finalizers.items[i];
        if (save_all || has_legacy_finalizer(op))
            append_garbage(rt, op);
        hl_decref(rt, op);
    }
    free(finalizers.items);
    return out->collected + out->uncollectable;
}

size_t hl_gc_handle_garbage_inline(hl_runtime *rt, hl_object **set, size_t n, unsigned needs,
                                   hl_gc_outcome *out)
{
    garbage_set g = {rt, set, n, false, NULL};
    return handle_set(&g, needs, out);
}

/*
 * A list collector's set: its members are held and listed in an array;
 * they stay linked on `unreachable` all along, so what is still there at
 * the end — the uncollectable, the resurrected, whatever outside code kept
 * alive — is exactly what survived, and joins `old`.  (What died unlinked
 * itself when it was untracked.)
 */
size_t hl_gc_handle_garbage(hl_gc_base *base, hl_gc_head *unreachable, hl_gc_head *old,
                            hl_gc_outcome *out)
{
    HL_DEBUG_VALIDATE(hl_gc_set_validate, unreachable, true);
    garbage_set g = {base->rt, NULL, 0, true, old};
    unsigned needs = 0;
    size_t capacity = 0;
    for (hl_gc_head *gc = hl_gc_list_next(unreachable); gc != unreachable;
         gc = hl_gc_list_next(gc)) {
        hl_object *op = hl_object_of(gc);
        if (hl_unlikely(g.count == capacity)) {
            capacity = capacity ? 2 * capacity : 256;
            hl_object **p = realloc(g.member, capacity * sizeof *p);
            if (p == NULL) {
                /* No room to work: everything survives, unheld. */
                for (size_t i = 0; i < g.count; i++)
                    hl_decref(base->rt, g.member[i]);
                free(g.member);
                for (gc = hl_gc_list_next(unreachable); gc != unreachable;
                     gc = hl_gc_list_next(gc))
                    gc->prev &= ~HL_GC_PREV_COLLECTING;
                hl_gc_list_merge(unreachable, old);
                return 0;
            }
            g.member = p;
        }
        hl_incref(op);
        g.member[g.count++] = op;
        needs |= hl_gc_garbage_needs(op);
    }
    hl_object **member = g.member; /* handle_set may shrink g.count, not move it */
    size_t found = handle_set(&g, needs, out);
    free(member);
    HL_DEBUG_VALIDATE(hl_gc_set_validate, unreachable, false);
    hl_gc_list_merge(unreachable, old);
    return found;
}
