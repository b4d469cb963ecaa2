/*
 * collectors/ft_state.h — the state the three files of `ft` share
 * (collectors/ft.c says what the collector is; ft_mark.c is phase 0,
 * mark-alive; ft_trial.c phases 1-3, trial deletion on what is left).
 *
 * The collection table.  One array of `size` slots, size = the tracked,
 * unfrozen objects when the collection starts, so every object the
 * collection examines has a slot and nothing grows:
 *
 *     0                front                 back                size
 *     +-----------------+---------------------+--------------------+
 *     | reached by      |        unused       | candidates, found  |
 *     | mark-alive      |                     | by the heap walk   |
 *     | (marking order) |                     | (walk order,       |
 *     |                 |                     |  from the end)     |
 *     +-----------------+---------------------+--------------------+
 *
 * The heap walk of phase 1 is then the only one: phases 2 and 3 run over
 * the table.  Invariant while `complete`: every tracked, unfrozen object
 * is in exactly one of the two parts — ALIVE ones in front, the others
 * (UNREACHABLE, split) at the back.  Without memory for the table, or if
 * the tracked count were ever short, `complete` is false and phases 2 and
 * 3 walk the heap instead, as CPython ft does (three walks).
 */
#ifndef HEAPLAB_FT_STATE_H
#define HEAPLAB_FT_STATE_H

#include "allocator.h"
#include "gc_core.h"
#include "gc_inline.h"

#include <stdlib.h>

/* The shared growable array (gc_core.h): from the C library, as a
   collection must not allocate from the heap it walks. */
typedef hl_gc_stack ft_stack;

typedef struct ft_table {
    hl_object **slot; /* capacity slots from the C library, kept between collections */
    size_t capacity;  /* slots allocated */
    size_t size;      /* slots in use this collection: tracked - frozen */
    size_t front;     /* [0, front): marked alive */
    size_t back;      /* [back, size): candidates */
    bool complete;    /* see above */
} ft_table;

typedef struct ft_state {
    hl_gc_base base;        /* first: the layer's state (rt, enabled, stats) */
    hl_runtime *rt;         /* base.rt */
    hl_allocator *heap;     /* the runtime's container allocator: containers only */
    size_t threshold;       /* 0: no automatic collection */
    size_t prefetch_from;   /* ring used above this many long-lived */
    bool mark_alive;        /* phase 0 on */
    bool prefetch;          /* phase 0 uses the ring */
    bool three_walks;       /* no table: phases 2 and 3 walk the heap */

    size_t pending;          /* allocations minus deallocations since last */
    size_t long_lived_total; /* reachable objects the last collection saw */
    size_t tracked;          /* objects with TRACKED */
    size_t frozen;           /* of those, with FROZEN */

    /* per collection */
    ft_table table;          /* the objects examined (above) */
    ft_stack stack;          /* marking */
    ft_stack found;          /* the unreachable set */
    unsigned needs;          /* hl_gc_garbage_needs of all of found */
    ft_stack dicts;          /* reachable dicts to try untracking */
    bool overflow;           /* a mark push failed: walk again */
    bool lost;               /* a push to `found` failed: kept alive */
    size_t visited;          /* candidates and alive objects examined */
    size_t alive;            /* objects mark-alive reached */
} ft_state;

/* Room for `n` items at once, when it can be had (pushes grow it anyway). */
static inline void ft_stack_reserve(ft_stack *s, size_t n)
{
    if (n <= s->capacity)
        return;
    hl_object **p = realloc(s->items, n * sizeof *p);
    if (p != NULL) {
        s->items = p;
        s->capacity = n;
    }
}

static inline bool ft_stack_push(ft_stack *s, hl_object *op)
{
    return hl_gc_stack_push(s, op);
}

/* Untracks a tracked object during a collection; a frozen one thaws (a new
   life starts unfrozen).  The layer's count is the collector's to adjust. */
static inline void ft_clear_tracked(ft_state *s, hl_object *op)
{
    if (hl_unlikely(op->refcount & HL_REF_FROZEN)) {
        op->refcount &= ~HL_REF_FROZEN;
        s->frozen--;
    }
    op->refcount &= ~HL_REF_TRACKED;
    s->tracked--;
}

static inline hl_object *ft_stack_pop(ft_stack *s)
{
    return s->count ? s->items[--s->count] : NULL;
}

/* The words are tested alone, never the type: only a tracked container's
   word has TRACKED (a non-container's word is a bare count), so one load
   tells everything, and the type is read only to traverse. */

/* Tracked and not frozen: a collection looks at it. */
static inline bool ft_is_candidate_word(intptr_t w)
{
    return w > 0 && (w & (HL_REF_TRACKED | HL_REF_FROZEN)) == HL_REF_TRACKED;
}

/* op has just become ALIVE: its slot at the table's front. */
static inline void ft_table_add_alive(ft_table *t, hl_object *op)
{
    if (hl_likely(t->front < t->back))
        t->slot[t->front++] = op;
    else
        t->complete = false;
}

/* op has just been walked as a candidate: its slot at the back. */
static inline void ft_table_add_candidate(ft_table *t, hl_object *op)
{
    if (hl_likely(t->back > t->front))
        t->slot[--t->back] = op;
    else
        t->complete = false;
}

/* Phase 0 (ft_mark.c): ALIVE on everything reachable from the roots,
   through the prefetch ring when `use_ring`.  Out of memory half way, the
   phase is undone (no object keeps ALIVE) and s->alive is 0. */
void hl_ft_mark_alive(ft_state *s, bool use_ring);

/* Phases 1-3 (ft_trial.c): trial deletion of the tracked objects mark-alive
   did not reach; leaves the unreachable set in s->found (each held and
   COLLECTING), reachable dicts to try in s->dicts, every other word whole
   again, and s->visited / s->long_lived_total counted. */
void hl_ft_find_garbage(ft_state *s);

/* Clears ALIVE on every block (the undo of phase 0). */
void hl_ft_clear_alive(ft_state *s);

#endif
