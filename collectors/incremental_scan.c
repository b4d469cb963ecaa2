/*
 * collectors/incremental_scan.c — one collection of the `incremental`
 * collector (incremental.c says what the collector is): the choice of its
 * set — the young generation, eager's aging space, a slice of the pending
 * space grown by transitive closure — by the work-to-do rule, trial
 * deletion of the set through the shared phases (gc_core.h), and the
 * filing of survivors, with the end of a scan when the pending space is
 * empty.
 */
#include "incremental_state.h"

/* ---- choosing the set ---------------------------------------------------- */

/* Moves the young list's YOUNG members (and its AGING ones when
   `with_aging`) into the set, in the visited space: young ones tagged
   `young_to`, aging ones OLD.  Returns how many. */
static size_t take_young(inc_state *s, hl_gc_head *set, unsigned young_to, bool with_aging)
{
    hl_gc_head *head = young_list(s), *gc = hl_gc_list_next(head);
    if (gc == head)
        return 0;
    size_t n = 0;
    if (!with_aging && s->aging) {
        for (hl_gc_head *next; gc != head; gc = next) {
            next = hl_gc_list_next(gc);
            if (kind_of(gc) != YOUNG)
                continue;
            hl_gc_list_move(gc, set);
            set_bits(gc, young_to, s->visited);
            n++;
        }
        s->young_members = 0;
        return n;
    }
    for (hl_gc_head *p = gc; p != head; p = hl_gc_list_next(p), n++)
        set_bits(p, kind_of(p) == YOUNG ? young_to : OLD, s->visited);
    /* Splice [gc .. tail] onto the set. */
    hl_gc_head *before = hl_gc_list_prev(gc), *tail = hl_gc_list_prev(head);
    hl_gc_set_next(before, head);
    hl_gc_set_prev(head, before);
    hl_gc_head *set_tail = hl_gc_list_prev(set);
    hl_gc_set_next(set_tail, gc);
    hl_gc_set_prev(gc, set_tail);
    hl_gc_set_next(tail, set);
    hl_gc_set_prev(set, tail);
    s->young_members = 0;
    return n;
}

typedef struct closure {
    inc_state *s;
    hl_gc_head *set;
} closure;

static int visit_pull(hl_object *op, void *arg)
{
    closure *c = arg;
    if (hl_is_container(op) && hl_gc_head_of(op)->next != 0) {
        hl_gc_head *gc = hl_gc_head_of(op);
        if (space_of(gc) != c->s->visited) {
            leave(c->s, gc);
            hl_gc_list_move(gc, c->set);
            set_bits(gc, OLD, c->s->visited);
        }
    }
    return 0;
}

/* Takes the first pending object and everything it reaches in the pending
   space (young and aging are in the set already, so the closure never runs
   through them).  Returns how many. */
static size_t take_closure(inc_state *s, hl_gc_head *set)
{
    hl_gc_head *gc = hl_gc_list_next(old_list(s, pending_space(s)));
    hl_gc_list_move(gc, set);
    set_bits(gc, OLD, s->visited);
    closure c = {s, set};
    size_t n = 0;
    for (; gc != set; gc = hl_gc_list_next(gc), n++) {
        hl_object *op = hl_object_of(gc);
        op->type->traverse(op, visit_pull, &c);
    }
    return n;
}

/* CPython's assess_work_to_do: new objects (net allocations) plus a share
   of the heap, at most twice the new objects.  Eager caps the share by
   what the young list holds instead: where old objects die as fast as new
   ones are kept the net count stays near zero and the old space, where
   the replaced objects' cycles wait, would hardly be scanned. */
static long long assess_work(inc_state *s)
{
    size_t scale = s->threshold[1] < 2 ? 2 : s->threshold[1];
    long long fresh = (long long)s->young_count;
    long long share = (long long)(s->heap_size / SCAN_RATE_DIVISOR / scale);
    long long cap = 2 * (long long)*s->trigger;
    if (share > cap)
        share = cap;
    s->young_count = 0;
    return fresh + share;
}

static size_t budget_of(long long work)
{
    return work > 0 ? (size_t)work : 0;
}

static size_t take_slice(inc_state *s, hl_gc_head *set)
{
    hl_gc_head *pending = old_list(s, pending_space(s));
    size_t size = 0;
    while ((long long)size < s->work_to_do && !hl_gc_list_is_empty(pending))
        size += take_closure(s, set);
    s->work_to_do -= (long long)size;
    return size;
}

/* The increment as CPython schedules it.  Returns the objects marked. */
static size_t select_increment(inc_state *s, hl_gc_head *set)
{
    s->work_to_do += assess_work(s);
    if (s->work_to_do < 0) {
        s->step = STEP_SKIPPED;
        return 0;
    }
    size_t marked;
    if (s->phase == PHASE_MARK) {
        s->step = STEP_MARK;
        if (!has_grey(s))
            hl_incremental_shade_roots(s);
        marked = hl_incremental_mark(s, s->mark_all ? SIZE_MAX : budget_of(s->work_to_do));
        s->work_to_do -= (long long)marked;
        if (!has_grey(s))
            s->phase = PHASE_COLLECT;
        return marked; /* the marking step collects nothing */
    }
    s->step = STEP_INCREMENT;
    hl_incremental_shade_frames(s);
    marked = hl_incremental_mark(s, s->mark_all ? SIZE_MAX : budget_of(s->work_to_do));
    s->work_to_do -= (long long)marked;
    s->work_to_do -= (long long)take_young(s, set, OLD, true);
    take_slice(s, set);
    return marked;
}

/* The eager variant: young and aging always, whatever the balance, and
   neither charged to it.  CPython charges the young list, whose length is
   the survivors since the last collection while the balance grows by the
   net allocations: where old objects die by reference counting as fast as
   new ones are kept (a cache turning over), the young list outgrows what
   the balance gains and the old space is never scanned. */
static size_t select_eager(inc_state *s, hl_gc_head *set)
{
    s->step = STEP_INCREMENT;
    s->work_to_do += assess_work(s);
    if (s->phase == PHASE_MARK) {
        hl_incremental_shade_roots(s);
        s->phase = PHASE_COLLECT;
    } else {
        hl_incremental_shade_frames(s);
    }
    take_young(s, set, s->aging ? AGING : OLD, true);
    size_t marked, spent;
    if (s->mark_all) {
        marked = spent = hl_incremental_mark(s, SIZE_MAX);
    } else {
        marked = hl_incremental_mark_counted(s, budget_of(s->work_to_do), &spent);
    }
    s->work_to_do -= (long long)spent;
    /* Before the marking is done a slice's closure would run through every
       live structure it has not reached yet: a whole cache at once. */
    if (hl_incremental_marking_done(s))
        take_slice(s, set);
    return marked;
}

/* Fills `set` for a collection of `generation`; returns the objects marked. */
static size_t select_set(inc_state *s, int generation, hl_gc_head *set)
{
    switch (generation) {
    case 0:
        s->step = STEP_YOUNG;
        s->young_count = 0;
        s->space_count[s->visited]++;
        take_young(s, set, s->aging ? AGING : OLD, false); /* aging stays */
        return 0;
    case 1:
        return s->eager ? select_eager(s, set) : select_increment(s, set);
    default:
        s->step = STEP_FULL;
        s->partial = NULL;
        retag_merge(young_list(s), set, OLD, s->visited); /* grey included */
        retag_merge(old_list(s, 0), set, OLD, s->visited);
        retag_merge(old_list(s, 1), set, OLD, s->visited);
        s->young_members = 0;
        s->young_count = 0;
        s->space_count[0] = s->space_count[1] = 0;
        return 0;
    }
}

/* ---- after the collection ------------------------------------------------ */

/* The scan is complete: the visited space becomes the pending one. */
static void complete_scan(inc_state *s)
{
    unsigned v = s->visited;
    hl_gc_head *visited = old_list(s, v);
    for (hl_gc_head *gc = hl_gc_list_next(visited); gc != visited && kind_of(gc) == GREY;
         gc = hl_gc_list_next(gc))
        set_bits(gc, OLD, v); /* marked but not followed: alive all the same */
    if (hl_gc_list_is_empty(&s->base.permanent)) {
        /* Permanent members must stay in the visited space, so the bit can
           flip only while there are none. */
        s->visited = v ^ 1;
        hl_gc_head *young = young_list(s);
        for (hl_gc_head *gc = hl_gc_list_next(young); gc != young; gc = hl_gc_list_next(gc))
            set_bits(gc, kind_of(gc), v);
    } else {
        retag_merge(old_list(s, v), old_list(s, v ^ 1), OLD, v ^ 1);
    }
    s->work_to_do = 0;
    s->phase = PHASE_MARK;
    s->partial = NULL;
}

/* Survivors of the set, the resurrected, the uncollectable and weakrefs
   whose callbacks ran all arrive on `survivors`; each joins the visited
   space, or the young list as aging (eager's young survivors). */
static void finish(inc_state *s, hl_gc_head *survivors)
{
    unsigned v = s->visited;
    hl_gc_head *next;
    for (hl_gc_head *gc = hl_gc_list_next(survivors); gc != survivors; gc = next) {
        next = hl_gc_list_next(gc);
        if (space_of(gc) != v) /* a weakref pulled in from outside the set */
            leave(s, gc);
        if (space_of(gc) == v && kind_of(gc) == AGING) {
            hl_gc_list_move(gc, young_list(s));
            set_bits(gc, AGING, v ^ 1);
        } else {
            hl_gc_list_move(gc, old_list(s, v));
            set_bits(gc, OLD, v);
        }
    }
    if (s->step == STEP_FULL ||
        (s->step == STEP_INCREMENT && hl_gc_list_is_empty(old_list(s, v ^ 1))))
        complete_scan(s);
}

/* One collection: hl_gc_run's phases, with the choice of the set and the
   filing of survivors inside the pause. */
size_t hl_incremental_collect(inc_state *s, int generation)
{
    hl_gc_outcome out;
    if (!hl_gc_run_begin(&s->base, generation, &out))
        return 0;
    bool full = generation == 2;
    hl_gc_head set, survivors, unreachable;
    hl_gc_list_init(&set);
    hl_gc_list_init(&survivors);
    size_t marked = select_set(s, generation, &set);
    out.visited = hl_gc_deduce_unreachable(&set, &unreachable);
    size_t unreachable_count = hl_gc_list_size(&unreachable);
    out.reachable = out.visited - unreachable_count -
                    hl_gc_untrack_atomic(s->base.rt, &set, full);
    hl_gc_list_merge(&set, &survivors);
    if (unreachable_count)
        out.found = hl_gc_handle_garbage(&s->base, &unreachable, &survivors, &out);
    finish(s, &survivors);
    out.visited += marked;
    hl_gc_run_end(&s->base, generation, full, &out);
    return out.found;
}

