/*
 * collectors/gc_core.c — the phases of a collection, shared by every
 * tracing collector.  The algorithm is CPython's (Modules/gcmodule.c as of
 * 3.8–3.12): trial deletion over the set being collected.
 *
 *   1. update_refs      gc_refs := refcount for each object in the set, and
 *                       mark it COLLECTING.
 *   2. subtract_refs    for each reference from one member to another,
 *                       gc_refs -= 1.  Now gc_refs counts the references
 *                       from outside the set.
 *   3. move_unreachable one pass over the set: an object with gc_refs > 0 is
 *                       reachable and everything it reaches is too; one with
 *                       gc_refs == 0 moves, tentatively, to `unreachable`,
 *                       and moves back if something reachable reaches it
 *                       later in the pass.  No recursion: reached objects are
 *                       appended to the list being scanned.
 *   then, on the reachable set: objects whose type's may_untrack hook says
 *   they hold nothing trackable are untracked (tuples; dicts only in a full
 *   collection); the set joins `old`.
 *   4..8 handle the unreachable set: gc_garbage.c.
 *
 * During steps 1–3 prev holds gc_refs, and `unreachable` is linked with the
 * NEXT_UNREACHABLE bit set in next; both are repaired before any code outside
 * this file runs (finalizers, clear, dealloc), so those may track, untrack
 * and free objects through the ordinary list functions.
 */
#include "gc_core.h"
#include "debug.h"
#include "runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* ---- lists ------------------------------------------------------------- */

void hl_gc_list_merge(hl_gc_head *from, hl_gc_head *to)
{
    if (hl_gc_list_is_empty(from))
        return;
    hl_gc_head *to_tail = hl_gc_list_prev(to);
    hl_gc_head *from_head = hl_gc_list_next(from);
    hl_gc_head *from_tail = hl_gc_list_prev(from);
    hl_gc_set_next(to_tail, from_head);
    hl_gc_set_prev(from_head, to_tail);
    hl_gc_set_next(from_tail, to);
    to->prev = (uintptr_t)from_tail;
    hl_gc_list_init(from);
}

size_t hl_gc_list_size(const hl_gc_head *list)
{
    size_t n = 0;
    for (const hl_gc_head *gc = hl_gc_list_next(list); gc != list; gc = hl_gc_list_next(gc))
        n++;
    return n;
}

bool hl_gc_list_validate(const hl_gc_head *list, size_t *count, char *why, size_t why_size)
{
    size_t n = 0;
    const hl_gc_head *prev = list;
    for (const hl_gc_head *gc = hl_gc_list_next(list); gc != list;
         prev = gc, gc = hl_gc_list_next(gc)) {
        const hl_object *op = hl_object_of(gc);
        if (gc->next == 0 || (gc->next & HL_GC_NEXT_UNREACHABLE)) {
            snprintf(why, why_size, "object %p: bad next link", (const void *)op);
            return false;
        }
        if (hl_gc_list_prev(gc) != prev) {
            snprintf(why, why_size, "object %p: prev link does not match", (const void *)op);
            return false;
        }
        if (gc->prev & HL_GC_PREV_COLLECTING) {
            snprintf(why, why_size, "object %p: COLLECTING outside a collection",
                     (const void *)op);
            return false;
        }
        if ((gc->prev & HL_GC_PREV_FINALIZED) && op->type->finalize == NULL) {
            snprintf(why, why_size, "object %p (%s): finalized, but its type has no finalizer",
                     (const void *)op, op->type->name);
            return false;
        }
        if (!hl_is_container(op) || op->refcount <= 0) {
            snprintf(why, why_size, "object %p (%s): tracked but %s", (const void *)op,
                     op->type->name, op->refcount <= 0 ? "dead" : "not a container");
            return false;
        }
        n++;
    }
    if (hl_gc_list_prev(list) != prev || (list->next & ~HL_GC_NEXT_MASK)) {
        snprintf(why, why_size, "list head's prev is not its last member, or it has flags");
        return false;
    }
    *count = n;
    return true;
}

/* ---- gc_refs in the prev word ------------------------------------------ */

static inline size_t gc_get_refs(const hl_gc_head *gc)
{
    return gc->prev >> HL_GC_PREV_SHIFT;
}

static inline void gc_set_refs(hl_gc_head *gc, size_t refs)
{
    gc->prev = (gc->prev & ~HL_GC_PREV_MASK) | (refs << HL_GC_PREV_SHIFT);
}

static inline void gc_reset_refs(hl_gc_head *gc, size_t refs)
{
    gc->prev = (gc->prev & HL_GC_PREV_FINALIZED) | HL_GC_PREV_COLLECTING |
               (refs << HL_GC_PREV_SHIFT);
}

static inline bool gc_is_collecting(const hl_gc_head *gc)
{
    return (gc->prev & HL_GC_PREV_COLLECTING) != 0;
}

/* ---- steps 1–3 --------------------------------------------------------- */

static size_t update_refs(hl_gc_head *containers)
{
    size_t n = 0;
    for (hl_gc_head *gc = hl_gc_list_next(containers); gc != containers;
         gc = hl_gc_list_next(gc), n++)
        gc_reset_refs(gc, (size_t)hl_object_of(gc)->refcount);
    return n;
}

static int visit_decref(hl_object *op, void *arg)
{
    (void)arg;
    if (hl_is_container(op)) {
        hl_gc_head *gc = hl_gc_head_of(op);
        if (gc_is_collecting(gc)) {
            /* Below zero: more references found than the count says. */
            hl_assert_internal(gc_get_refs(gc) > 0);
            gc->prev -= (uintptr_t)1 << HL_GC_PREV_SHIFT;
        }
    }
    return 0;
}

static void subtract_refs(hl_gc_head *containers)
{
    for (hl_gc_head *gc = hl_gc_list_next(containers); gc != containers;
         gc = hl_gc_list_next(gc)) {
        hl_object *op = hl_object_of(gc);
        op->type->traverse(op, visit_decref, NULL);
    }
}

static int visit_reachable(hl_object *op, void *arg)
{
    hl_gc_head *reachable = arg;
    if (!hl_is_container(op))
        return 0;
    hl_gc_head *gc = hl_gc_head_of(op);
    /* Not in this collection, or already scanned (scanning clears the flag). */
    if (!gc_is_collecting(gc))
        return 0;
    if (gc->next & HL_GC_NEXT_UNREACHABLE) {
        /* It had gc_refs 0 when the scan passed it, but it is reachable
           after all: unlink it by hand (the flags defeat the list functions)
           and append it to the list being scanned, which will reach it. */
        hl_gc_head *prev = hl_gc_list_prev(gc);
        hl_gc_head *next = hl_gc_list_next(gc);
        /* keeps the flag for the unreachable list, and prev's spare bits */
        prev->next = (prev->next & HL_GC_NEXT_SPARE) | (gc->next & ~HL_GC_NEXT_SPARE);
        hl_gc_set_prev(next, prev);
        hl_gc_list_append(gc, reachable);
        gc_set_refs(gc, 1);
    } else if (gc_get_refs(gc) == 0) {
        /* Not scanned yet: tell the scan it is reachable. */
        gc_set_refs(gc, 1);
    }
    return 0;
}

/*
 * Invariant of the loop: every object left of `gc` in young is reachable and
 * scanned (its prev restored, COLLECTING cleared); every object moved so far
 * to unreachable carries NEXT_UNREACHABLE.  young is singly linked while the
 * loop runs; young->prev stays its true tail because only the current object
 * can be removed and appends go through it.
 */
static void move_unreachable(hl_gc_head *young, hl_gc_head *unreachable)
{
    hl_gc_head *prev = young;
    hl_gc_head *gc = hl_gc_list_next(young);
    while (gc != young) {
        if (gc_get_refs(gc)) {
            hl_object *op = hl_object_of(gc);
            /* visit_reachable may append after gc: read gc->next after. */
            op->type->traverse(op, visit_reachable, young);
            hl_gc_set_prev(gc, prev);
            gc->prev &= ~HL_GC_PREV_COLLECTING;
            prev = gc;
        } else {
            hl_gc_set_next(prev, hl_gc_list_next(gc));
            hl_gc_head *last = (hl_gc_head *)unreachable->prev;
            last->next = (last->next & HL_GC_NEXT_SPARE) | HL_GC_NEXT_UNREACHABLE | (uintptr_t)gc;
            hl_gc_set_prev(gc, last);
            gc->next = (gc->next & HL_GC_NEXT_SPARE) | HL_GC_NEXT_UNREACHABLE |
                       (uintptr_t)unreachable;
            unreachable->prev = (uintptr_t)gc;
        }
        gc = hl_gc_list_next(prev);
    }
    young->prev = (uintptr_t)prev;
    unreachable->next &= ~HL_GC_NEXT_UNREACHABLE; /* the head got the flag too */
}

static void clear_unreachable_mask(hl_gc_head *unreachable)
{
    for (hl_gc_head *gc = hl_gc_list_next(unreachable); gc != unreachable;
         gc = hl_gc_list_next(gc))
        gc->next &= ~HL_GC_NEXT_UNREACHABLE;
}

/* Level 3: a list is well linked and each member's COLLECTING bit is as
   the phase says. */
bool hl_gc_set_validate(const hl_gc_head *list, bool collecting, char *why, size_t why_size)
{
    const hl_gc_head *prev = list;
    for (const hl_gc_head *gc = hl_gc_list_next(list); gc != list;
         prev = gc, gc = hl_gc_list_next(gc)) {
        const hl_object *op = hl_object_of(gc);
        if ((gc->next & HL_GC_NEXT_UNREACHABLE) || hl_gc_list_prev(gc) != prev ||
            gc_is_collecting(gc) != collecting || !hl_is_container(op)) {
            snprintf(why, why_size, "object %p in a collection: %s", (const void *)op,
                     gc_is_collecting(gc) != collecting ? "COLLECTING not as the phase says"
                                                        : "bad links");
            return false;
        }
    }
    if (hl_gc_list_prev(list) != prev) {
        snprintf(why, why_size, "a set's head does not end at its last member");
        return false;
    }
    return true;
}

size_t hl_gc_deduce_unreachable(hl_gc_head *set, hl_gc_head *unreachable)
{
    HL_DEBUG_VALIDATE(hl_gc_set_validate, set, false);
    size_t n = update_refs(set); /* from here to move_unreachable prev is gc_refs */
    subtract_refs(set);
    hl_gc_list_init(unreachable);
    move_unreachable(set, unreachable);
    clear_unreachable_mask(unreachable);
    HL_DEBUG_VALIDATE(hl_gc_set_validate, set, false);
    HL_DEBUG_VALIDATE(hl_gc_set_validate, unreachable, true);
    return n;
}

/* ---- untracking -------------------------------------------------------- */
/* ---- untracking -------------------------------------------------------- */

/* One pass of CPython's untrack_tuples (pass 0, every collection) or
   untrack_dicts (pass 1, full collections only) over the reachable set,
   asking each type's may_untrack hook.  Tuples go first, so a dict holding
   a tuple that turned out atomic is untracked in the same collection. */
static size_t untrack_pass(hl_runtime *rt, hl_gc_head *list, unsigned when_full)
{
    size_t n = 0;
    hl_gc_head *next;
    for (hl_gc_head *gc = hl_gc_list_next(list); gc != list; gc = next) {
        hl_object *op = hl_object_of(gc);
        const hl_type *type = op->type;
        next = hl_gc_list_next(gc);
        if (type->may_untrack && (type->flags & HL_TYPE_UNTRACK_WHEN_FULL) == when_full &&
            type->may_untrack(rt, op)) {
            hl_gc_unlink(op);
            n++;
        }
    }
    rt->gc->tracked -= n;
    return n;
}

size_t hl_gc_untrack_atomic(hl_runtime *rt, hl_gc_head *list, bool full)
{
    size_t n = untrack_pass(rt, list, 0);
    return full ? n + untrack_pass(rt, list, HL_TYPE_UNTRACK_WHEN_FULL) : n;
}

/* ---- mark alive from roots --------------------------------------------- */

typedef struct mark_state {
    hl_gc_head *alive;
    size_t moved;
} mark_state;

static int visit_mark_alive(hl_object *op, void *arg)
{
    mark_state *m = arg;
    if (!hl_is_container(op))
        return 0;
    hl_gc_head *gc = hl_gc_head_of(op);
    if (gc->next == 0 || !(gc->prev & HL_GC_PREV_COLLECTING))
        return 0; /* untracked, outside the set, or already moved */
    gc->prev &= ~HL_GC_PREV_COLLECTING;
    hl_gc_list_move(gc, m->alive);
    m->moved++;
    return 0;
}

static void mark_root(hl_object *op, void *arg)
{
    visit_mark_alive(op, arg);
}

size_t hl_gc_mark_alive_from_roots(hl_gc_base *base, hl_gc_head *set, hl_gc_head *alive)
{
    for (hl_gc_head *gc = hl_gc_list_next(set); gc != set; gc = hl_gc_list_next(gc))
        gc->prev |= HL_GC_PREV_COLLECTING;
    mark_state m = {.alive = alive};
    hl_gc_head *scanned = hl_gc_list_prev(alive); /* what was there before */
    hl_roots_for_each(base->rt, mark_root, &m);
    /* Appending to the list being walked makes this a breadth-first closure. */
    for (hl_gc_head *gc = hl_gc_list_next(scanned); gc != alive; gc = hl_gc_list_next(gc)) {
        hl_object *op = hl_object_of(gc);
        op->type->traverse(op, visit_mark_alive, &m);
    }
    for (hl_gc_head *gc = hl_gc_list_next(set); gc != set; gc = hl_gc_list_next(gc))
        gc->prev &= ~HL_GC_PREV_COLLECTING;
    return m.moved;
}

/* ---- the collection ---------------------------------------------------- */

static void run_callbacks(hl_gc_base *base, const char *phase, int generation,
                          const hl_gc_outcome *out)
{
    /* A copy: a callback may remove itself (or others) meanwhile. */
    hl_collector *c = base->collector;
    size_t n = c->callback_count;
    hl_gc_callback copy[HL_GC_MAX_CALLBACKS];
    for (size_t i = 0; i < n; i++)
        copy[i] = c->callbacks[i];
    for (size_t i = 0; i < n; i++)
        copy[i].fn(base->rt, phase, generation, out ? out->collected : 0,
                   out ? out->uncollectable : 0, copy[i].user);
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

bool hl_gc_run_begin(hl_gc_base *base, int generation, hl_gc_outcome *out)
{
    *out = (hl_gc_outcome){0};
    hl_collector *c = base->collector;
    if (c->collecting)
        return false;
    HL_DEBUG_VALIDATE(hl_collector_validate, c);
    c->collecting = true;
    if (c->callback_count)
        run_callbacks(base, "start", generation, NULL);
    out->ns = now_ns();
    return true;
}

void hl_gc_run_end(hl_gc_base *base, int generation, bool full, hl_gc_outcome *out)
{
    if (full)
        hl_clear_free_lists(base->rt);
    out->ns = now_ns() - out->ns;
    hl_gc_stats *stats = &base->stats;
    hl_gc_generation_stats *g = &stats->generation[generation];
    g->collections++;
    g->collected += out->collected;
    g->uncollectable += out->uncollectable;
    stats->finalizers_called += out->finalizers;
    stats->objects_visited += out->visited;
    stats->collect_ns += out->ns;
    if (base->collector->callback_count)
        run_callbacks(base, "stop", generation, out);
    base->collector->collecting = false;
    HL_DEBUG_VALIDATE(hl_collector_validate, base->collector);
}

size_t hl_gc_run(hl_gc_base *base, int generation, bool full, hl_gc_head *young,
                 hl_gc_head *old, hl_gc_outcome *out)
{
    if (!hl_gc_run_begin(base, generation, out))
        return 0;
    hl_gc_head unreachable;
    out->visited = hl_gc_deduce_unreachable(young, &unreachable);
    size_t unreachable_count = hl_gc_list_size(&unreachable);
    out->reachable = out->visited - unreachable_count - hl_gc_untrack_atomic(base->rt, young, full);
    if (young != old)
        hl_gc_list_merge(young, old);
    if (unreachable_count)
        out->found = hl_gc_handle_garbage(base, &unreachable, old, out);
    hl_gc_run_end(base, generation, full, out);
    return out->found;
}

size_t hl_gc_collect_all(hl_gc_base *base, hl_gc_outcome *out)
{
    int top = base->collector->ops.generations - 1;
    for (int g = 0; g < top; g++)
        hl_gc_list_merge(&base->space[g], &base->space[top]);
    return hl_gc_run(base, top, true, &base->space[top], &base->space[top], out);
}

bool hl_gc_is_collecting(const hl_gc_base *base)
{
    return base->collector->collecting;
}

bool hl_gc_stack_grow(hl_gc_stack *s)
{
    size_t capacity = s->capacity ? 2 * s->capacity : 1024;
    hl_object **p = realloc(s->items, capacity * sizeof *p);
    if (p == NULL)
        return false;
    s->items = p;
    s->capacity = capacity;
    return true;
}
