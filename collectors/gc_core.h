/*
 * collectors/gc_core.h — what the collectors share: the list operations on
 * hl_gc_head and the phases of a collection (finding the unreachable set,
 * finalizers, resurrection, clearing), written once.
 *
 * Lists are circular and doubly linked through hl_gc_head; a list is named
 * by a head that belongs to no object.  The list functions keep the flag
 * bits of prev (FINALIZED, COLLECTING) and the spare bits of next
 * (HL_GC_NEXT_SPARE) as they are; a list head never has spare bits set.
 */
#ifndef HEAPLAB_GC_CORE_H
#define HEAPLAB_GC_CORE_H

#include "allocator.h"
#include "collector.h"
#include "object.h"

static inline hl_gc_head *hl_gc_list_next(const hl_gc_head *gc)
{
    return (hl_gc_head *)(gc->next & HL_GC_NEXT_MASK);
}

static inline hl_gc_head *hl_gc_list_prev(const hl_gc_head *gc)
{
    return (hl_gc_head *)(gc->prev & HL_GC_PREV_MASK);
}

static inline void hl_gc_set_prev(hl_gc_head *gc, hl_gc_head *prev)
{
    gc->prev = (gc->prev & ~HL_GC_PREV_MASK) | (uintptr_t)prev;
}

static inline void hl_gc_set_next(hl_gc_head *gc, hl_gc_head *next)
{
    gc->next = (gc->next & HL_GC_NEXT_SPARE) | (uintptr_t)next;
}

static inline void hl_gc_list_init(hl_gc_head *list)
{
    list->next = list->prev = (uintptr_t)list;
}

static inline bool hl_gc_list_is_empty(const hl_gc_head *list)
{
    return list->next == (uintptr_t)list;
}

static inline void hl_gc_list_append(hl_gc_head *node, hl_gc_head *list)
{
    hl_gc_head *last = hl_gc_list_prev(list);
    hl_gc_set_prev(node, last);
    hl_gc_set_next(last, node);
    hl_gc_set_next(node, list);
    list->prev = (uintptr_t)node;
}

static inline void hl_gc_list_remove(hl_gc_head *node)
{
    hl_gc_head *prev = hl_gc_list_prev(node);
    hl_gc_head *next = hl_gc_list_next(node);
    hl_gc_set_next(prev, next);
    hl_gc_set_prev(next, prev);
}

static inline void hl_gc_list_move(hl_gc_head *node, hl_gc_head *list)
{
    hl_gc_list_remove(node);
    hl_gc_list_append(node, list);
}

/* Calls fn on every object of the list; fn must not change the list. */
static inline void hl_gc_list_for_each(hl_gc_head *list, hl_gc_object_fn fn, void *arg)
{
    for (hl_gc_head *gc = hl_gc_list_next(list); gc != list; gc = hl_gc_list_next(gc))
        fn(hl_object_of(gc), arg);
}

/* Appends every node of `from` to `to`; `from` is left empty. */
void hl_gc_list_merge(hl_gc_head *from, hl_gc_head *to);
size_t hl_gc_list_size(const hl_gc_head *list);

/* The generic track and untrack of every list collector. */
static inline void hl_gc_link(hl_object *op, hl_gc_head *list)
{
    hl_gc_list_append(hl_gc_head_of(op), list);
}

static inline void hl_gc_unlink(hl_object *op)
{
    hl_gc_head *gc = hl_gc_head_of(op);
    hl_gc_list_remove(gc);
    gc->next = 0;
    gc->prev &= HL_GC_PREV_FINALIZED; /* CPython keeps only this bit */
}

/* What one collection found, for the collector's statistics. */
typedef struct hl_gc_outcome {
    size_t found;         /* gc.collect()'s result: collected + uncollectable */
    size_t collected;     /* freed (or saved), plus weakrefs freed by callbacks */
    size_t uncollectable; /* kept alive by legacy finalizers */
    size_t resurrected;   /* brought back by finalizers */
    size_t finalizers;    /* PEP 442 finalizers called */
    size_t visited;       /* objects in the collected set */
    size_t reachable;     /* of those, reachable and still tracked: they joined old */
    uint64_t ns;          /* wall time, callbacks excluded */
} hl_gc_outcome;

/*
 * One collection of the objects on `young`, with everything around it:
 * hl_gc_run_begin, trial deletion (hl_gc_deduce_unreachable), untracking of
 * what may be untracked, hl_gc_handle_garbage, hl_gc_run_end.  Survivors —
 * the reachable, the resurrected, the uncollectable — end up on `old`,
 * which is `young` itself for a full collection of a single space.  `full`
 * says the collection covers every generation (dicts are untracked and the
 * free lists emptied only then, as in CPython).  Returns the number found;
 * refuses re-entry (returns 0).
 */
size_t hl_gc_run(hl_gc_base *base, int generation, bool full, hl_gc_head *young,
                 hl_gc_head *old, hl_gc_outcome *out);

/*
 * The two halves of hl_gc_run, for a collector that runs its own phases
 * between them (an incremental or heap-walking one).  begin returns false,
 * doing nothing, when a collection already runs; otherwise it sets the
 * re-entry guard, calls the "start" callbacks and starts the clock.  end
 * empties the free lists when `full`, adds `out` to the statistics of
 * `generation`, calls the "stop" callbacks and clears the guard.
 */
bool hl_gc_run_begin(hl_gc_base *base, int generation, hl_gc_outcome *out);
void hl_gc_run_end(hl_gc_base *base, int generation, bool full, hl_gc_outcome *out);

/*
 * Which of steps 4-7 (gc_garbage.c) an unreachable object gives work to:
 * a legacy del, weak references (it is one, or can be referred to), a
 * PEP 442 finalizer.  A step no member needs is skipped; on most heaps
 * only step 8, clearing, has work.
 */
enum {
    HL_GC_NEEDS_LEGACY = 1,
    HL_GC_NEEDS_WEAKREFS = 2,
    HL_GC_NEEDS_FINALIZE = 4,
};

static inline unsigned hl_gc_garbage_needs(const hl_object *op)
{
    const hl_type *type = op->type;
    unsigned needs = (type->flags & HL_TYPE_LEGACY_DEL) && type->legacy_del ? HL_GC_NEEDS_LEGACY : 0;
    if (type->weaklist_offset || type == &hl_weakref_type)
        needs |= HL_GC_NEEDS_WEAKREFS;
    if (type->finalize)
        needs |= HL_GC_NEEDS_FINALIZE;
    return needs;
}

/*
 * Steps 4–8 of gc_garbage.c for a collector whose state lives in the
 * refcount word (header_size 0, object.h): the unreachable set is the
 * array `set` of `n` objects, each flagged HL_REF_COLLECTING and held by
 * one strong reference the set owns; no other object is flagged.  `needs`
 * is the union of hl_gc_garbage_needs over the set, which the caller
 * computes while it builds the set.  Same semantics and counts as
 * hl_gc_handle_garbage; every hold is released and every flag cleared on
 * return.  `set` stays the caller's.  Must run between hl_gc_run_begin and
 * hl_gc_run_end.
 */
size_t hl_gc_handle_garbage_inline(hl_runtime *rt, hl_object **set, size_t n, unsigned needs,
                                   hl_gc_outcome *out);

/* The re-entry guard: true while a collection (or its callbacks) runs. */
bool hl_gc_is_collecting(const hl_gc_base *base);

/*
 * Trial deletion of an arbitrary list `set` (steps 1-3 of gc_core.c): the
 * members not reachable from outside the set move to `unreachable` (which
 * this initialises), with COLLECTING set; the rest stay on `set` with it
 * cleared.  Returns the size of `set` on entry.  References from outside
 * the set — a root, an object of another space — count as external.
 */
size_t hl_gc_deduce_unreachable(hl_gc_head *set, hl_gc_head *unreachable);

/*
 * Everything after trial deletion, on the list the caller built of the
 * unreachable set (members carrying COLLECTING, nothing else does): legacy
 * finalizers, weak references, PEP 442 finalizers, resurrection, delete or
 * DEBUG_SAVEALL.  Survivors go to `old`.  Returns collected + uncollectable
 * and fills those fields of `out`.  Must run between hl_gc_run_begin and
 * hl_gc_run_end.
 */
size_t hl_gc_handle_garbage(hl_gc_base *base, hl_gc_head *unreachable, hl_gc_head *old,
                            hl_gc_outcome *out);

/*
 * Marks COLLECTING on every member of `set` reachable from the runtime's
 * roots (hl_roots_for_each) through members of `set` — the "mark alive"
 * step of CPython 3.14 — and moves them to `alive`; what is left on `set` is
 * what trial deletion still has to examine.  COLLECTING is cleared again on
 * everything moved.  Returns how many were moved.
 */
size_t hl_gc_mark_alive_from_roots(hl_gc_base *base, hl_gc_head *set, hl_gc_head *alive);

/* Untracks the members of `list` whose type's may_untrack says so (tuples;
   dicts as well when `full`), as CPython's untrack_tuples/untrack_dicts.
   Returns how many. */
size_t hl_gc_untrack_atomic(hl_runtime *rt, hl_gc_head *list, bool full);

/* The same during a collection: links, and every member's COLLECTING bit
   equal to `collecting` (checked between the phases at HL_DEBUG 3). */
bool hl_gc_set_validate(const hl_gc_head *list, bool collecting, char *why, size_t why_size);

/* validate helper: checks a list's links and that every member is a live,
   tracked container outside any collection; counts members. */
bool hl_gc_list_validate(const hl_gc_head *list, size_t *count, char *why, size_t why_size);

/* Used by collect() of collectors that keep one space: a full collection
   of base->space[0] (after merging the other spaces into it). */
size_t hl_gc_collect_all(hl_gc_base *base, hl_gc_outcome *out);

/* A growable array of object pointers from the C library (a marking stack,
   a found set, the weakrefs whose callbacks run): items[0..count) in use,
   capacity allocated.  A failed push leaves it as it was. */
typedef struct hl_gc_stack {
    hl_object **items;
    size_t count, capacity;
} hl_gc_stack;

bool hl_gc_stack_grow(hl_gc_stack *s);

static inline bool hl_gc_stack_push(hl_gc_stack *s, hl_object *op)
{
    if (hl_unlikely(s->count == s->capacity) && !hl_gc_stack_grow(s))
        return false;
    s->items[s->count++] = op;
    return true;
}

#endif
