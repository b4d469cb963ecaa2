/*
 * collectors/ft_trial.c — phases 1-3 of `ft`: trial deletion of the
 * tracked objects mark-alive did not reach, with gc_refs inside the
 * refcount word (gc_inline.h), as CPython ft's update_refs,
 * mark_heap_visitor and scan_heap_visitor.
 *
 *   1. update_refs   the one heap walk: each candidate (tracked, not
 *                    frozen, not alive) gets UNREACHABLE and gc_refs += its
 *                    count, then gc_refs -= 1 for every reference it holds
 *                    to another candidate (one pass, as CPython ft: a
 *                    candidate not walked yet starts at 0 and goes negative
 *                    for a while, hence the bias), and a slot at the back
 *                    of the collection table (ft_state.h).
 *   2. mark          over the candidates: one with gc_refs > 0 is
 *                    referenced from outside; it and everything it reaches
 *                    lose UNREACHABLE (an explicit stack; without memory
 *                    for it, a reached object gets gc_refs 1 and the pass
 *                    repeats).
 *   3. scan          over the table: every count gets its full width back;
 *                    ALIVE is cleared; what is still UNREACHABLE is
 *                    garbage: it is held (count + 1), flagged COLLECTING
 *                    and pushed on the unreachable array.  Reachable tuples
 *                    holding nothing trackable are untracked, dicts listed
 *                    for the caller to try after.
 *
 * CPython ft walks the heap for each of the three; heaplab walks it once
 * and runs 2 and 3 over the table, which costs 8 bytes per examined object
 * (kept between collections) and saves two walks of every block, live or
 * free, of the container heap.  Without the table they walk the heap.
 */
#include "ft_state.h"
#include "runtime.h"

/* How far ahead the scan of the alive part prefetches: that part is in
   marking order, not address order, so the hardware cannot guess it. */
#define FT_SCAN_AHEAD 8

/* ---- 1. update_refs ---------------------------------------------------- */

/* A candidate is split (UNREACHABLE, gc_refs at 0) the first time either
   the walk or a traverse reaches it; one with too large a count becomes
   ALIVE instead (counted in the table's front). */
static inline bool split_if_new(ft_state *s, hl_object *op, intptr_t w)
{
    if (w & HL_REF_UNREACHABLE)
        return true;
    if (hl_unlikely((w & HL_REF_COUNT_MASK) >= HL_REF_COLLECT_MAX)) {
        op->refcount = w | HL_REF_ALIVE;
        ft_table_add_alive(&s->table, op);
        return false;
    }
    op->refcount = w | HL_REF_UNREACHABLE | (HL_REF_REFS_BIAS << HL_REF_REFS_SHIFT);
    return true;
}

static int visit_decref(hl_object *op, void *arg)
{
    intptr_t w = op->refcount;
    if (!ft_is_candidate_word(w) || (w & HL_REF_ALIVE))
        return 0;
    if (split_if_new(arg, op, w))
        op->refcount -= HL_REF_REFS_ONE;
    return 0;
}

static void update_refs(void *block, size_t usable, void *arg)
{
    (void)usable;
    ft_state *s = arg;
    hl_object *op = block;
    intptr_t w = op->refcount;
    if (!ft_is_candidate_word(w) || (w & HL_REF_ALIVE))
        return;
    if (!split_if_new(s, op, w))
        return;
    op->refcount += hl_inline_split_count(op) << HL_REF_REFS_SHIFT;
    ft_table_add_candidate(&s->table, op);
    op->type->traverse(op, visit_decref, s);
}

/* ---- 2. mark ----------------------------------------------------------- */

static int visit_reachable(hl_object *op, void *arg)
{
    ft_state *s = arg;
    intptr_t w = op->refcount;
    if (w <= 0 || !(w & HL_REF_UNREACHABLE) || (w & HL_REF_FROZEN))
        return 0;
    if (ft_stack_push(&s->stack, op)) {
        op->refcount = w & ~HL_REF_UNREACHABLE;
    } else {
        /* Left for the next pass: still a candidate, now with refs. */
        hl_inline_init_refs(op, 1);
        s->overflow = true;
    }
    return 0;
}

static inline void mark_object(ft_state *s, hl_object *op)
{
    intptr_t w = op->refcount;
    if (!ft_is_candidate_word(w) || !(w & HL_REF_UNREACHABLE) || hl_inline_refs(op) == 0)
        return;
    op->refcount = w & ~HL_REF_UNREACHABLE;
    do
        op->type->traverse(op, visit_reachable, s);
    while ((op = ft_stack_pop(&s->stack)) != NULL);
}

static void mark_block(void *block, size_t usable, void *arg)
{
    (void)usable;
    mark_object(arg, block);
}

/* ---- 3. scan ----------------------------------------------------------- */

/* A reachable object, its word whole again: its type may untrack it now
   (tuples), or after every other has been seen (HL_TYPE_UNTRACK_WHEN_FULL,
   dicts), as CPython's untrack_tuples then untrack_dicts. */
static inline void scan_reachable(ft_state *s, hl_object *op)
{
    s->long_lived_total++;
    const hl_type *type = op->type;
    if (type->may_untrack == NULL)
        return;
    if (type->flags & HL_TYPE_UNTRACK_WHEN_FULL)
        (void)ft_stack_push(&s->dicts, op); /* without room it stays tracked */
    else if (type->may_untrack(s->rt, op))
        ft_clear_tracked(s, op);
}

/* A candidate after marking: reachable after all, or garbage. */
static inline void scan_candidate(ft_state *s, hl_object *op, intptr_t w)
{
    hl_inline_restore(op);
    op->refcount &= ~HL_REF_UNREACHABLE;
    if (!(w & HL_REF_UNREACHABLE)) {
        scan_reachable(s, op);
    } else if (ft_stack_push(&s->found, op)) {
        op->refcount = (op->refcount | HL_REF_COLLECTING) + 1; /* the set's hold */
        s->needs |= hl_gc_garbage_needs(op);
    } else {
        s->lost = true; /* kept for a later collection */
        s->long_lived_total++;
    }
}

static void scan_block(void *block, size_t usable, void *arg)
{
    (void)usable;
    ft_state *s = arg;
    hl_object *op = block;
    intptr_t w = op->refcount;
    if (!ft_is_candidate_word(w))
        return;
    s->visited++;
    if (w & HL_REF_ALIVE) {
        op->refcount = w & ~HL_REF_ALIVE;
        scan_reachable(s, op);
    } else {
        scan_candidate(s, op, w);
    }
}

static void scan_table(ft_state *s)
{
    ft_table *t = &s->table;
    hl_object **slot = t->slot;
    for (size_t i = 0; i < t->front; i++) {
        if (i + FT_SCAN_AHEAD < t->front)
            __builtin_prefetch(slot[i + FT_SCAN_AHEAD], 1, 3);
        hl_object *op = slot[i];
        op->refcount &= ~HL_REF_ALIVE;
        scan_reachable(s, op);
    }
    /* The back in walk (address) order, as a heap walk would find it. */
    for (size_t i = t->size; i-- > t->back;)
        scan_candidate(s, slot[i], slot[i]->refcount);
    s->visited += t->front + (t->size - t->back);
}

/* ---- the phases -------------------------------------------------------- */

void hl_ft_find_garbage(ft_state *s)
{
    ft_table *t = &s->table;
    /* When mark-alive reached every tracked object there is nothing left
       for trial deletion. */
    if (s->alive < s->tracked - s->frozen) {
        hl_allocator_visit_blocks(s->heap, update_refs, s);
        do {
            s->overflow = false;
            if (t->complete)
                for (size_t i = t->size; i-- > t->back;)
                    mark_object(s, t->slot[i]);
            else
                hl_allocator_visit_blocks(s->heap, mark_block, s);
        } while (s->overflow);
    }
    if (t->complete) {
        ft_stack_reserve(&s->found, t->size - t->back); /* garbage is among these */
        scan_table(s);
    } else
        hl_allocator_visit_blocks(s->heap, scan_block, s);
}
