/*
 * collectors/incremental_mark.c — the `incremental` collector's marking
 * from the roots (incremental.c says what the collector is): objects
 * reachable from the globals and frames go grey, then black into the
 * visited space, so the scan does not trial-delete them.
 *
 * CPython 3.14.0 marks in one step at the start of a scan (mark_at_start,
 * a pause proportional to the live heap); here each collection marks what
 * its work balance allows (`markall`: everything at once).  `incremental`
 * counts objects blackened, as CPython's balance does; `eager` counts
 * references followed too, and can stop inside a container (below).
 * Marking needs no write barrier: it only decides what this scan will not
 * trial-delete, and trial deletion is correct for any set, so a mutation
 * between steps can only delay garbage to the next scan.
 */
#include "incremental_state.h"

/* Inserts gc at the head of the visited space: the grey prefix. */
static void push_grey(inc_state *s, hl_gc_head *gc)
{
    hl_gc_head *head = old_list(s, s->visited), *first = hl_gc_list_next(head);
    hl_gc_set_prev(gc, head);
    hl_gc_set_next(gc, first);
    hl_gc_set_prev(first, gc);
    hl_gc_set_next(head, gc);
}

/* An object not yet in the visited space goes grey: alive, to be followed. */
static void shade(inc_state *s, hl_object *op)
{
    if (!hl_is_container(op) || hl_gc_head_of(op)->next == 0)
        return;
    hl_gc_head *gc = hl_gc_head_of(op);
    if (space_of(gc) == s->visited)
        return; /* visited, grey, permanent, or in the set */
    leave(s, gc);
    hl_gc_list_remove(gc);
    push_grey(s, gc);
    set_bits(gc, GREY, s->visited);
}

static void shade_root(hl_object *op, void *arg)
{
    shade(arg, op);
}

static int visit_shade(hl_object *op, void *arg)
{
    shade(arg, op);
    return 0;
}

void hl_incremental_shade_frames(inc_state *s)
{
    hl_object_stack *frames = &s->base.rt->frames;
    for (size_t i = 0; i < frames->count; i++)
        shade(s, frames->items[i]);
}

/* Blackens up to `budget` grey objects: each moves to the visited space and
   its referents go grey.  Returns how many it blackened. */
size_t hl_incremental_mark(inc_state *s, size_t budget)
{
    size_t n = 0;
    hl_gc_head *visited = old_list(s, s->visited);
    while (n < budget && has_grey(s)) {
        hl_gc_head *gc = hl_gc_list_next(visited);
        hl_gc_list_move(gc, visited); /* behind the grey prefix */
        set_bits(gc, OLD, s->visited);
        hl_object *op = hl_object_of(gc);
        op->type->traverse(op, visit_shade, s);
        n++;
    }
    return n;
}

/* Eager's marking counts references, not objects: blackening a container
   of 100 000 items is 100 000 units of work, and the budget can stop it
   midway (traverse stops at a visit's nonzero return), to resume at the
   next increment by skipping what it followed already.  A partly followed
   container may change in between; what the marking then misses stays
   pending and meets trial deletion, which is correct for any set. */
typedef struct counted_marking {
    inc_state *s;
    size_t skip;   /* references followed by earlier increments */
    size_t budget; /* references this one may still follow */
} counted_marking;

static int visit_shade_counted(hl_object *op, void *arg)
{
    counted_marking *m = arg;
    if (m->skip > 0) {
        m->skip--;
        return 0;
    }
    if (m->budget == 0)
        return 1; /* stop here; resume at the next increment */
    m->budget--;
    shade(m->s, op);
    return 0;
}

/* Follows gc's references after the first `skip`, at most `budget` of
   them; remembers where it stopped.  Returns how many it followed. */
static size_t follow(inc_state *s, hl_gc_head *gc, size_t skip, size_t budget)
{
    counted_marking m = {s, skip, budget};
    hl_object *op = hl_object_of(gc);
    s->partial = NULL;
    if (op->type->traverse(op, visit_shade_counted, &m) != 0) {
        s->partial = gc;
        s->partial_done = skip + budget;
    }
    return budget - m.budget;
}

/* Blackens grey objects until `budget` units (one per object and one per
   reference followed) are spent, finishing a partly followed object first.
   Returns the objects blackened; *spent says the units. */
size_t hl_incremental_mark_counted(inc_state *s, size_t budget, size_t *spent)
{
    hl_gc_head *visited = old_list(s, s->visited);
    size_t n = 0, used = 0;
    if (s->partial && budget > 0)
        used += follow(s, s->partial, s->partial_done, budget);
    while (used < budget && has_grey(s)) {
        hl_gc_head *gc = hl_gc_list_next(visited);
        hl_gc_list_move(gc, visited);
        set_bits(gc, OLD, s->visited);
        used += 1 + follow(s, gc, 0, budget - used - 1);
        n++;
    }
    *spent = used;
    return n;
}

bool hl_incremental_marking_done(inc_state *s)
{
    return !has_grey(s) && s->partial == NULL;
}

void hl_incremental_shade_roots(inc_state *s)
{
    hl_roots_for_each(s->base.rt, shade_root, s);
}
