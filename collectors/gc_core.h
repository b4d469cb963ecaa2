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
    size_t unreachable;   /* found unreachable: collected + uncollectable */
    size_t collected;     /* cleared (or saved), after resurrection */
    size_t uncollectable; /* kept for legacy finalizers */
    size_t resurrected;   /* brought back by finalizers */
    size_t finalizers;    /* PEP 442 finalizers called */
    size_t visited;       /* objects in the collected set */
} hl_gc_outcome;

/*
 * Collects the objects on `young`.  Survivors (the reachable and the
 * resurrected) end up on `old`, which may be `young` itself for a collector
 * with a single space.  Must run between hl_gc_enter and hl_gc_leave.
 */
void hl_gc_collect_list(hl_runtime *rt, hl_gc_head *young, hl_gc_head *old,
                        hl_gc_outcome *out);

/* The re-entry guard: false when a collection is already running. */
bool hl_gc_enter(hl_runtime *rt);
void hl_gc_leave(hl_runtime *rt);

/* validate helper: checks a list's links and that every member is a
   tracked container not in a collection; counts members. */
bool hl_gc_list_validate(const hl_gc_head *list, size_t *count, char *why, size_t why_size);

#endif
