/*
 * collectors/gc_core.h — what every tracing collector shares: the list
 * operations on hl_gc_head and the phases of a collection (finding the
 * unreachable set, finalizers, resurrection, clearing), written once.
 *
 * Lists are circular and doubly linked through hl_gc_head; a list is named
 * by a head that belongs to no object.  The list functions keep the flag
 * bits of prev (FINALIZED, COLLECTING) as they are.
 */
#ifndef HEAPLAB_GC_CORE_H
#define HEAPLAB_GC_CORE_H

#include "collector.h"
#include "object.h"

static inline hl_gc_head *hl_gc_list_next(const hl_gc_head *gc)
{
    return (hl_gc_head *)gc->next;
}

static inline hl_gc_head *hl_gc_list_prev(const hl_gc_head *gc)
{
    return (hl_gc_head *)(gc->prev & HL_GC_PREV_MASK);
}

static inline void hl_gc_set_prev(hl_gc_head *gc, hl_gc_head *prev)
{
    gc->prev = (gc->prev & ~HL_GC_PREV_MASK) | (uintptr_t)prev;
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
    hl_gc_head *last = (hl_gc_head *)list->prev;
    hl_gc_set_prev(node, last);
    last->next = (uintptr_t)node;
    node->next = (uintptr_t)list;
    list->prev = (uintptr_t)node;
}

static inline void hl_gc_list_remove(hl_gc_head *node)
{
    hl_gc_head *prev = hl_gc_list_prev(node);
    hl_gc_head *next = hl_gc_list_next(node);
    prev->next = (uintptr_t)next;
    hl_gc_set_prev(next, prev);
}

static inline void hl_gc_list_move(hl_gc_head *node, hl_gc_head *list)
{
    hl_gc_list_remove(node);
    hl_gc_list_append(node, list);
}

/* Calls fn on every object of the list; fn must not change the list. */
static inline void hl_gc_list_for_each(hl_gc_head *list, void (*fn)(hl_object *, void *),
                                       void *arg)
{
    for (hl_gc_head *gc = hl_gc_list_next(list); gc != list; gc = hl_gc_list_next(gc))
        fn(hl_object_of(gc), arg);
}

/* Appends every node of `from` to `to`; `from` is left empty. */
void hl_gc_list_merge(hl_gc_head *from, hl_gc_head *to);
size_t hl_gc_list_size(const hl_gc_head *list);

/* The generic track and untrack every list-based collector uses. */
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
 * the gc callbacks ("start", "stop"), the statistics of `generation`, the
 * free lists (emptied by a full collection), timing.  Survivors — the
 * reachable, the resurrected, the uncollectable — end up on `old`, which is
 * `young` itself for a full collection of a single space.  `full` says the
 * collection covers every generation (dicts are untracked only then, as in
 * CPython).  Returns the number found; refuses re-entry (returns 0).
 */
size_t hl_gc_run(hl_runtime *rt, int generation, bool full, hl_gc_head *young,
                 hl_gc_head *old, hl_gc_stats *stats, hl_gc_outcome *out);

/*
 * hl_gc_run for a collector that chooses its set inside the collection, so
 * that the choosing is part of the pause the gc callbacks see: with the
 * re-entry guard held, after the "start" callbacks and on the clock,
 * select(ctx, young) fills `young` (initialised and empty) and returns the
 * objects it visited to choose (added to objects_visited); after the
 * phases, finish(ctx, old) files the survivors gathered on `old`.
 * Neither may run code outside the collector.
 */
typedef struct hl_gc_steps {
    size_t (*select)(void *ctx, hl_gc_head *set);
    void (*finish)(void *ctx, hl_gc_head *survivors);
    void *ctx;
} hl_gc_steps;

size_t hl_gc_run_steps(hl_runtime *rt, int generation, bool full, const hl_gc_steps *steps,
                       hl_gc_head *young, hl_gc_head *old, hl_gc_stats *stats,
                       hl_gc_outcome *out);

/* The re-entry guard: true while a collection (or its callbacks) runs. */
bool hl_gc_is_collecting(const hl_runtime *rt);

/* Internal to the shared phases (gc_core.c, gc_garbage.c). */
size_t hl_gc_deduce_unreachable(hl_gc_head *set, hl_gc_head *unreachable);
size_t hl_gc_handle_garbage(hl_runtime *rt, hl_gc_head *unreachable, hl_gc_head *old,
                            hl_gc_outcome *out);

/* validate helper: checks a list's links and that every member is a
   tracked container not in a collection; counts members. */
bool hl_gc_list_validate(const hl_gc_head *list, size_t *count, char *why, size_t why_size);

#endif
