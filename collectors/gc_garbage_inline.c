/*
 * collectors/gc_garbage_inline.c — steps 4–8 of a collection (gc_garbage.c
 * says what each one means and why it comes in that order) for a collector
 * without lists, as CPython's free-threaded build runs them: the
 * unreachable set is an array, each member held by one strong reference
 * the set owns (CPython ft merges the refcount and adds one), and
 * membership is the HL_REF_COLLECTING bit of the member's refcount word.
 *
 * Holding every member makes the outside code these steps run
 * (finalizers, weakref callbacks, clear) unable to free a member under
 * the loop, so each step is a plain walk over the array; the list version
 * instead re-reads the head of its list after every call out.
 *
 * Invariants: on entry and between steps, a member is exactly an object
 * of `set[0..n)` with COLLECTING set, and each holds the set's reference;
 * on return no object has COLLECTING and every hold is released.
 * Scratch arrays come from the C library: the stack's allocator may be the
 * one failing, and a collection that cannot get its scratch space keeps
 * everything (survivors are always safe).
 */
#include "gc_core.h"
#include "gc_inline.h"
#include "runtime.h"

#include <stdlib.h>

static inline bool is_member(const hl_object *op)
{
    return hl_is_container(op) && hl_inline_has(op, HL_REF_COLLECTING);
}

static inline void leave_set(hl_object *op)
{
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

/* Keeps the members still flagged, in order; returns how many.  NULL
   entries are members already released. */
static size_t compact(hl_object **set, size_t n)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (set[i] && is_member(set[i]))
            set[kept++] = set[i];
    return kept;
}

/*
 * A member that outside code (a callback, a finalizer) left with no
 * reference but the set's would have died of reference counting there and
 * then in the list version, and would not be counted: release it now, and
 * again for what its death leaves unreferenced.
 */
static void release_dead(hl_runtime *rt, hl_object **set, size_t n)
{
    for (bool again = true; again;) {
        again = false;
        for (size_t i = 0; i < n; i++) {
            hl_object *op = set[i];
            if (op == NULL || hl_refcount(op) != 1)
                continue;
            leave_set(op);
            set[i] = NULL;
            hl_decref(rt, op);
            again = true;
        }
    }
}

/* Every member leaves the set and its hold is released: it survives. */
static void keep_all(hl_runtime *rt, hl_object **set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (set[i] && is_member(set[i]))
            leave_set(set[i]);
    for (size_t i = 0; i < n; i++)
        if (set[i])
            hl_decref(rt, set[i]);
}

/* An array of objects with room for every member (no growth needed). */
typedef struct member_stack {
    hl_object **items;
    size_t count;
} member_stack;

static int visit_take(hl_object *op, void *arg)
{
    member_stack *to = arg;
    if (is_member(op)) {
        leave_set(op);
        to->items[to->count++] = op;
    }
    return 0;
}

/* ---- 4. legacy finalizers ---------------------------------------------- */

/* Moves the members with a legacy del, and every member they reach, out
   of the set into `finalizers` (breadth first, still held). */
static bool move_legacy_finalizers(hl_object **set, size_t n, member_stack *finalizers)
{
    for (size_t i = 0; i < n; i++)
        if (has_legacy_finalizer(set[i])) {
            /* Room for the whole closure, taken only when there is one. */
            if (finalizers->items == NULL &&
                (finalizers->items = malloc(n * sizeof *finalizers->items)) == NULL)
                return false;
            leave_set(set[i]);
            finalizers->items[finalizers->count++] = set[i];
        }
    for (size_t i = 0; i < finalizers->count; i++)
        finalizers->items[i]->type->traverse(finalizers->items[i], visit_take, finalizers);
    return true;
}

/* ---- 5. weak references ------------------------------------------------ */

typedef struct weakref_calls {
    hl_object **items;
    size_t count, capacity;
} weakref_calls;

static bool calls_push(weakref_calls *calls, hl_object *wr)
{
    if (calls->count == calls->capacity) {
        size_t capacity = calls->capacity ? 2 * calls->capacity : 16;
        hl_object **p = realloc(calls->items, capacity * sizeof *p);
        if (p == NULL)
            return false;
        calls->items = p;
        calls->capacity = capacity;
    }
    calls->items[calls->count++] = wr;
    return true;
}

/* Returns the weakrefs freed by their callbacks; `called` says whether any
   callback ran (outside code that may have dropped members). */
static size_t handle_weakrefs(hl_runtime *rt, hl_object **set, size_t n, bool *called)
{
    weakref_calls calls = {0};
    for (size_t i = 0; i < n; i++) {
        hl_object *op = set[i];
        if (hl_is_weakref(op))
            hl_weakref_clear_ref(op); /* garbage itself: never calls back */
        hl_object **weaklist = hl_weaklist_of(op);
        if (weaklist == NULL)
            continue;
        while (*weaklist) {
            hl_object *wr = *weaklist;
            hl_weakref_clear_ref(wr);
            if (!hl_weakref_has_callback(wr) || !hl_gc_is_tracked(rt, wr) || is_member(wr))
                continue;
            /* Out of scratch memory the callback is lost, as it would be
               had the weakref died first; nothing is left dangling. */
            if (calls_push(&calls, wr))
                hl_incref(wr);
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

static size_t finalize_garbage(hl_runtime *rt, hl_object **set, size_t n)
{
    size_t called = 0;
    for (size_t i = 0; i < n; i++) {
        hl_object *op = set[i];
        if (op->type->finalize && !hl_gc_is_finalized(rt, op)) {
            hl_runtime_finalize(rt, op);
            called++;
        }
    }
    return called;
}

/* ---- 7. resurrection --------------------------------------------------- */

static int visit_subtract(hl_object *op, void *arg)
{
    (void)arg;
    if (is_member(op) && hl_inline_has(op, HL_REF_UNREACHABLE))
        op->refcount -= HL_REF_REFS_ONE;
    return 0;
}

/*
 * Trial deletion again, over the set alone: gc_refs := count minus the
 * set's hold minus the references from other members.  A member with
 * references from outside, and every member it reaches, was resurrected
 * by a finalizer: it leaves the set.  Returns the number resurrected.
 */
static size_t remove_resurrected(hl_object **set, size_t n, member_stack *stack)
{
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
            set[i]->type->traverse(set[i], visit_subtract, NULL);
    stack->count = 0;
    for (size_t i = 0; i < n; i++) {
        hl_object *op = set[i];
        bool split = hl_inline_has(op, HL_REF_UNREACHABLE);
        if (split) {
            bool outside = hl_inline_refs(op) > 0;
            hl_inline_restore(op);
            op->refcount &= ~HL_REF_UNREACHABLE;
            if (!outside)
                continue;
        }
        if (is_member(op)) {
            leave_set(op);
            stack->items[stack->count++] = op;
        }
    }
    /* What the resurrected reach is resurrected too. */
    for (size_t i = 0; i < stack->count; i++)
        stack->items[i]->type->traverse(stack->items[i], visit_take, stack);
    return stack->count;
}

/* ---- all of it --------------------------------------------------------- */

size_t hl_gc_handle_garbage_inline(hl_runtime *rt, hl_object **set, size_t n,
                                   hl_gc_outcome *out)
{
    /* The uncollectable: members with a legacy del and what they reach.
       Without room to work, every member survives this collection. */
    member_stack finalizers = {NULL, 0};
    if (!move_legacy_finalizers(set, n, &finalizers)) {
        keep_all(rt, set, n);
        return 0;
    }
    hl_object **uncollectable = finalizers.items;
    size_t uncollectable_count = finalizers.count;
    member_stack scratch = {NULL, 0}; /* for resurrection, made when needed */
    /* Each pass below that only reads the set is skipped when nothing
       could have changed it: no member moved to the uncollectable, no
       callback or finalizer ran. */
    size_t m = uncollectable_count ? compact(set, n) : n;

    bool called;
    out->collected += handle_weakrefs(rt, set, m, &called);
    if (called) {
        release_dead(rt, set, m);
        m = compact(set, m);
    }
    out->finalizers = finalize_garbage(rt, set, m);
    if (out->finalizers) {
        release_dead(rt, set, m);
        m = compact(set, m);
        scratch.items = malloc((m ? m : 1) * sizeof *scratch.items);
        if (scratch.items == NULL) {
            /* Finalizers ran, but resurrection cannot be told apart:
               everything left survives, which is always safe. */
            keep_all(rt, set, m);
            m = 0;
        } else {
            out->resurrected = remove_resurrected(set, m, &scratch);
            for (size_t i = 0; i < scratch.count; i++)
                hl_decref(rt, scratch.items[i]); /* the set's hold */
            m = compact(set, m);
        }
    }

    /* 8. delete_garbage: each member is cleared, then its hold released;
       the others are still held, so none is freed under the loop. */
    out->collected += m;
    bool save_all = (hl_runtime_collector(rt)->debug & HL_GC_DEBUG_SAVEALL) != 0;
    for (size_t i = 0; i < m; i++) {
        hl_object *op = set[i];
        leave_set(op);
        if (save_all)
            append_garbage(rt, op);
        else if (op->type->clear)
            op->type->clear(rt, op);
        hl_decref(rt, op);
    }

    out->uncollectable = uncollectable_count;
    for (size_t i = 0; i < uncollectable_count; i++) {
        hl_object *op = uncollectable[i];
        if (save_all || has_legacy_finalizer(op))
            append_garbage(rt, op);
        hl_decref(rt, op);
    }
    free(uncollectable);
    free(scratch.items);
    return out->collected + out->uncollectable;
}
