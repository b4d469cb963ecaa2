/*
 * collectors/ft.c — `ft`: the collector of CPython's free-threaded build
 * (3.13t/3.14t, Python/gc_free_threading.c), run single-threaded.
 *
 * No generations and no list.  Containers carry no header: a container's
 * gc state is the top byte of its refcount word (object.h draws it) and,
 * during a collection, gc_refs borrows half of the count's bits
 * (gc_inline.h).  Tracking is one bit.  A collection finds the tracked
 * objects by walking the allocator's live blocks, as CPython ft walks the
 * mimalloc heap that holds only GC objects: the runtime gives this
 * collector's containers their own instance of the stack's allocator
 * (the `walks_heap` capability), so every live block there is a container
 * — a live object or a dead one on a type free list (negative word).
 *
 * One collection, every phase over the whole heap:
 *
 *   0. mark alive    (3.14t, gh-128807) from the runtime's roots
 *                    (hl_roots_for_each: globals and frames), everything
 *                    reachable gets ALIVE and is left out of the trial
 *                    deletion below: it is known to be reachable.  With
 *                    the prefetch buffer, visited pointers go through a
 *                    ring of FT_RING entries, each prefetched when it
 *                    enters and examined when it leaves, so the cache miss
 *                    of reading an object overlaps the work on the ones
 *                    before it (3.14t uses it above 200,000 long-lived
 *                    objects; `ft=prefetch_from=N` moves that line).
 *   1. update_refs   walk: each candidate (tracked, not frozen, not alive)
 *                    gets UNREACHABLE and gc_refs += its count, then
 *                    gc_refs -= 1 for every reference it holds to another
 *                    candidate (one pass, as CPython ft: a candidate not
 *                    walked yet starts at 0 and goes negative for a while,
 *                    hence the bias).
 *   2. mark          walk: a candidate with gc_refs > 0 is referenced from
 *                    outside; it and everything it reaches lose UNREACHABLE
 *                    (an explicit stack; without memory for it, a reached
 *                    object gets gc_refs 1 and the walk repeats).
 *   3. scan          walk: every count gets its full width back; ALIVE is
 *                    cleared; what is still UNREACHABLE is garbage: it is
 *                    held (count + 1), flagged COLLECTING and pushed on the
 *                    unreachable array.  Reachable tuples holding nothing
 *                    trackable are untracked, then such dicts.
 *   4..8             hl_gc_handle_garbage_inline (gc_garbage_inline.c):
 *                    legacy finalizers, weakrefs, PEP 442 finalizers,
 *                    resurrection, clearing — CPython's semantics, shared.
 *
 * Scheduling, as CPython ft: a collection runs when the containers
 * allocated minus those freed since the last one exceed 2000 and a quarter
 * of the long-lived total (the reachable objects the last one found).
 *
 * Parameters, comma separated: `nomark` (no mark-alive phase),
 * `noprefetch` (mark-alive without the ring), `prefetch_from=N` (the ring
 * is used when the last collection found more than N long-lived objects;
 * default 200000, 0: always), `threshold=N` (default 2000; 0: no automatic
 * collection).
 *
 * Invariants (ft_validate): every tracked block is a live container whose
 * word has INLINE and TRACKED and none of UNREACHABLE, ALIVE, COLLECTING;
 * `tracked` equals the number of such blocks; `pending` never underflows.
 */
#include "collector_registry.h"
#include "gc_core.h"
#include "gc_inline.h"
#include "parse.h"
#include "runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FT_RING 256         /* prefetch ring entries, a power of two */
#define FT_RING_REFILL 192  /* refill from the stack below this many */

/* A growable array of object pointers from the C library (a collection
   must not allocate from the heap it walks). */
typedef struct ft_stack {
    hl_object **items;
    size_t count, capacity;
} ft_stack;

/* The prefetch ring: entries [tail, head) (mod FT_RING) were prefetched
   and wait to be examined, oldest first. */
typedef struct ft_ring {
    hl_object *slot[FT_RING];
    unsigned head, tail; /* head - tail == entries waiting */
} ft_ring;

typedef struct ft_state {
    hl_gc_base base;        /* first: the layer's state (rt, enabled, stats) */
    hl_runtime *rt;         /* base.rt */
    hl_allocator *heap;     /* the runtime's container allocator: containers only */
    size_t threshold;       /* 0: no automatic collection */
    size_t prefetch_from;   /* ring used above this many long-lived */
    bool mark_alive;        /* phase 0 on */
    bool prefetch;          /* phase 0 uses the ring */

    size_t pending;          /* allocations minus deallocations since last */
    size_t long_lived_total; /* reachable objects the last collection saw */
    size_t tracked;          /* objects with TRACKED */
    size_t frozen;           /* of those, with FROZEN */

    /* per collection */
    ft_stack stack;          /* marking */
    ft_stack found;          /* the unreachable set */
    ft_stack dicts;          /* reachable dicts to try untracking */
    bool overflow;           /* a mark push failed: walk again */
    bool lost;               /* a push to `found` failed: kept alive */
    size_t visited;          /* candidates and alive objects walked */
    size_t alive;            /* objects mark-alive reached */
} ft_state;

/* ---- the stack --------------------------------------------------------- */

static bool stack_grow(ft_stack *s)
{
    size_t capacity = s->capacity ? 2 * s->capacity : 1024;
    hl_object **p = realloc(s->items, capacity * sizeof *p);
    if (p == NULL)
        return false;
    s->items = p;
    s->capacity = capacity;
    return true;
}

static inline bool stack_push(ft_stack *s, hl_object *op)
{
    if (hl_unlikely(s->count == s->capacity) && !stack_grow(s))
        return false;
    s->items[s->count++] = op;
    return true;
}

static inline hl_object *stack_pop(ft_stack *s)
{
    return s->count ? s->items[--s->count] : NULL;
}

/* ---- the word ----------------------------------------------------------

   The visitors below test the word alone, never the type: only a tracked
   container's word has TRACKED (a non-container's word is a bare count), so
   one load tells everything, and the type is read only to traverse. */

/* Tracked and not frozen: a collection looks at it. */
static inline bool is_candidate_word(intptr_t w)
{
    return w > 0 && (w & (HL_REF_TRACKED | HL_REF_FROZEN)) == HL_REF_TRACKED;
}

static inline bool is_tracked_block(const hl_object *op)
{
    intptr_t w = op->refcount;
    return w > 0 && (w & HL_REF_TRACKED);
}

/* ---- 0. mark alive ----------------------------------------------------- */

static void abort_mark_alive(ft_state *s);

/* Without the ring: examine now, push what must be traversed. */
static int visit_alive(hl_object *op, void *arg)
{
    ft_state *s = arg;
    intptr_t w = op->refcount;
    if (!is_candidate_word(w) || (w & HL_REF_ALIVE))
        return 0;
    op->refcount = w | HL_REF_ALIVE;
    s->alive++;
    if (!stack_push(&s->stack, op))
        s->overflow = true;
    return 0;
}

static void root_alive(hl_object *op, void *arg)
{
    visit_alive(op, arg);
}

static void propagate_alive(ft_state *s)
{
    hl_object *op;
    while (!s->overflow && (op = stack_pop(&s->stack)) != NULL)
        op->type->traverse(op, visit_alive, s);
}

/* With the ring: a pointer is prefetched when it enters and examined when
   it leaves.  Pointers that find the ring full wait on the stack, and are
   prefetched when they move into it. */
typedef struct ring_mark {
    ft_state *s;
    ft_ring ring;
} ring_mark;

static inline void ring_put(ft_ring *r, hl_object *op)
{
    __builtin_prefetch(op, 1, 3);
    r->slot[r->head++ & (FT_RING - 1)] = op;
}

static int visit_alive_ring(hl_object *op, void *arg)
{
    ring_mark *m = arg;
    if (m->ring.head - m->ring.tail < FT_RING)
        ring_put(&m->ring, op);
    else if (!stack_push(&m->s->stack, op))
        m->s->overflow = true;
    return 0;
}

static void root_alive_ring(hl_object *op, void *arg)
{
    visit_alive_ring(op, arg);
}

static void propagate_alive_ring(ring_mark *m)
{
    ft_ring *r = &m->ring;
    ft_stack *stack = &m->s->stack;
    for (;;) {
        while (r->head - r->tail < FT_RING_REFILL && stack->count)
            ring_put(r, stack->items[--stack->count]);
        if (r->head == r->tail || m->s->overflow)
            return;
        hl_object *op = r->slot[r->tail++ & (FT_RING - 1)];
        intptr_t w = op->refcount;
        if (!is_candidate_word(w) || (w & HL_REF_ALIVE))
            continue;
        op->refcount = w | HL_REF_ALIVE;
        m->s->alive++;
        op->type->traverse(op, visit_alive_ring, m);
    }
}

static void mark_alive_from_roots(ft_state *s, bool use_ring)
{
    s->stack.count = 0;
    if (use_ring) {
        ring_mark *m = malloc(sizeof *m);
        if (m == NULL)
            return; /* the phase is an optimisation: skip it */
        m->s = s;
        m->ring.head = m->ring.tail = 0;
        hl_roots_for_each(s->rt, root_alive_ring, m);
        propagate_alive_ring(m);
        free(m);
    } else {
        hl_roots_for_each(s->rt, root_alive, s);
        propagate_alive(s);
    }
    if (s->overflow)
        abort_mark_alive(s);
}

static void clear_alive_block(void *block, size_t usable, void *arg)
{
    (void)usable, (void)arg;
    hl_object *op = block;
    if (op->refcount > 0)
        op->refcount &= ~HL_REF_ALIVE;
}

/* Out of memory half way: no object may keep ALIVE (some of what it
   reaches may not have it), so the phase is undone, as CPython ft does. */
static void abort_mark_alive(ft_state *s)
{
    hl_allocator_visit_blocks(s->heap, clear_alive_block, s);
    s->stack.count = 0;
    s->overflow = false;
    s->alive = 0;
}

/* ---- 1. update_refs ---------------------------------------------------- */

/* A candidate is split (UNREACHABLE, gc_refs at 0) the first time either
   walk reaches it; one with too large a count becomes ALIVE instead. */
static inline bool split_if_new(hl_object *op, intptr_t w)
{
    if (w & HL_REF_UNREACHABLE)
        return true;
    if ((w & HL_REF_COUNT_MASK) >= HL_REF_COLLECT_MAX) {
        op->refcount = w | HL_REF_ALIVE;
        return false;
    }
    op->refcount = w | HL_REF_UNREACHABLE | (HL_REF_REFS_BIAS << HL_REF_REFS_SHIFT);
    return true;
}

static int visit_decref(hl_object *op, void *arg)
{
    (void)arg;
    intptr_t w = op->refcount;
    if (!is_candidate_word(w) || (w & HL_REF_ALIVE))
        return 0;
    if (split_if_new(op, w))
        op->refcount -= HL_REF_REFS_ONE;
    return 0;
}

static void update_refs(void *block, size_t usable, void *arg)
{
    (void)usable;
    hl_object *op = block;
    intptr_t w = op->refcount;
    if (!is_candidate_word(w) || (w & HL_REF_ALIVE))
        return;
    if (!split_if_new(op, w))
        return;
    op->refcount += hl_inline_split_count(op) << HL_REF_REFS_SHIFT;
    op->type->traverse(op, visit_decref, arg);
}

/* ---- 2. mark ----------------------------------------------------------- */

static int visit_reachable(hl_object *op, void *arg)
{
    ft_state *s = arg;
    intptr_t w = op->refcount;
    if (w <= 0 || !(w & HL_REF_UNREACHABLE) || (w & HL_REF_FROZEN))
        return 0;
    if (stack_push(&s->stack, op)) {
        op->refcount = w & ~HL_REF_UNREACHABLE;
    } else {
        /* Left for the next walk: still a candidate, now with refs. */
        hl_inline_init_refs(op, 1);
        s->overflow = true;
    }
    return 0;
}

static void mark_block(void *block, size_t usable, void *arg)
{
    (void)usable;
    ft_state *s = arg;
    hl_object *op = block;
    intptr_t w = op->refcount;
    if (!is_candidate_word(w) || !(w & HL_REF_UNREACHABLE) || hl_inline_refs(op) == 0)
        return;
    op->refcount = w & ~HL_REF_UNREACHABLE;
    do
        op->type->traverse(op, visit_reachable, s);
    while ((op = stack_pop(&s->stack)) != NULL);
}

/* ---- 3. scan ----------------------------------------------------------- */

static void untrack(ft_state *s, hl_object *op)
{
    if (hl_unlikely(op->refcount & HL_REF_FROZEN)) {
        op->refcount &= ~HL_REF_FROZEN; /* a new life starts unfrozen */
        s->frozen--;
    }
    op->refcount &= ~HL_REF_TRACKED;
    s->tracked--;
}

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
        (void)stack_push(&s->dicts, op); /* without room it stays tracked */
    else if (type->may_untrack(s->rt, op))
        untrack(s, op);
}

static void scan_block(void *block, size_t usable, void *arg)
{
    (void)usable;
    ft_state *s = arg;
    hl_object *op = block;
    intptr_t w = op->refcount;
    if (!is_candidate_word(w))
        return;
    s->visited++;
    if (w & HL_REF_ALIVE) {
        op->refcount = w & ~HL_REF_ALIVE;
        scan_reachable(s, op);
        return;
    }
    hl_inline_restore(op);
    op->refcount &= ~HL_REF_UNREACHABLE;
    if (!(w & HL_REF_UNREACHABLE)) {
        scan_reachable(s, op);
    } else if (stack_push(&s->found, op)) {
        op->refcount = (op->refcount | HL_REF_COLLECTING) + 1; /* the set's hold */
    } else {
        s->lost = true; /* kept for a later collection */
        s->long_lived_total++;
    }
}

/* ---- a collection ------------------------------------------------------ */

static size_t collect_heap(void *ctx, hl_gc_outcome *out)
{
    ft_state *s = ctx;
    bool use_ring = s->prefetch && (s->prefetch_from == 0 || s->long_lived_total > s->prefetch_from);
    s->visited = s->long_lived_total = 0;
    s->found.count = s->dicts.count = 0;
    s->overflow = s->lost = false;
    s->alive = 0;
    if (s->mark_alive)
        mark_alive_from_roots(s, use_ring);
    /* When mark-alive reached every tracked object there is nothing left
       for trial deletion: walks 1 and 2 would only skip ALIVE objects. */
    if (s->alive < s->tracked - s->frozen) {
        hl_allocator_visit_blocks(s->heap, update_refs, s);
        do {
            s->overflow = false;
            hl_allocator_visit_blocks(s->heap, mark_block, s);
        } while (s->overflow);
    }
    hl_allocator_visit_blocks(s->heap, scan_block, s);

    /* Dicts after every tuple is decided, as CPython's untrack_dicts. */
    size_t untracked = 0;
    for (size_t i = 0; i < s->dicts.count; i++) {
        hl_object *op = s->dicts.items[i];
        if (op->type->may_untrack(s->rt, op)) {
            untrack(s, op);
            untracked++;
        }
    }
    out->visited = s->visited;
    out->reachable = s->long_lived_total - untracked;
    if (s->found.count == 0)
        return 0;
    return hl_gc_handle_garbage_inline(s->rt, s->found.items, s->found.count, out);
}

static size_t collect_all(ft_state *s)
{
    hl_gc_outcome out;
    if (!hl_gc_run_begin(&s->base, 0, &out))
        return 0;
    out.found = collect_heap(s, &out);
    hl_gc_run_end(&s->base, 0, true, &out);
    s->pending = 0;
    return out.found;
}

/* ---- the interface ----------------------------------------------------- */

static bool parse_params(const char *arg, ft_state *s, char *error, size_t error_size)
{
    char buf[200];
    if (strlen(arg) >= sizeof buf)
        goto bad;
    strcpy(buf, arg);
    for (char *item = buf, *next; item; item = next) {
        next = strchr(item, ',');
        if (next)
            *next++ = '\0';
        if (strcmp(item, "nomark") == 0)
            s->mark_alive = false;
        else if (strcmp(item, "noprefetch") == 0)
            s->prefetch = false;
        else if (strncmp(item, "prefetch_from=", 14) == 0) {
            if (!hl_parse_size(item + 14, 0, (size_t)1 << 40, &s->prefetch_from))
                goto bad;
        } else if (strncmp(item, "threshold=", 10) == 0) {
            if (!hl_parse_size(item + 10, 0, (size_t)1 << 40, &s->threshold))
                goto bad;
        } else
            goto bad;
    }
    return true;
bad:
    snprintf(error, error_size,
             "'ft=%s': expected a comma-separated list of nomark, noprefetch, "
             "prefetch_from=N, threshold=N",
             arg);
    return false;
}

static bool ft_configure(void *ctx, const char *arg, char *error, size_t error_size)
{
    ft_state *s = ctx;
    s->rt = s->base.rt;
    s->heap = hl_runtime_container_allocator(s->rt);
    if (!hl_allocator_can_visit(s->heap)) {
        snprintf(error, error_size,
                 "allocator '%s' cannot visit its live blocks, which ft walks to find its "
                 "objects (freelist_pool, bitmap_pool and mimalloc can)",
                 s->heap->spec);
        return false;
    }
    s->threshold = 2000;
    s->prefetch_from = 200000;
    s->mark_alive = s->prefetch = true;
    return arg == NULL || parse_params(arg, s, error, error_size);
}

static void ft_destroy(void *ctx)
{
    ft_state *s = ctx;
    free(s->stack.items);
    free(s->found.items);
    free(s->dicts.items);
}

static void ft_track(void *ctx, hl_object *op)
{
    ft_state *s = ctx;
    op->refcount |= HL_REF_TRACKED;
    s->tracked++;
}

static void ft_untrack(void *ctx, hl_object *op)
{
    untrack(ctx, op);
}

/* Slow path of on_alloc, out of line. */
static void ft_maybe_collect(ft_state *s)
{
    if (s->pending > s->long_lived_total / 4 && !hl_gc_is_collecting(&s->base))
        collect_all(s);
}

static void ft_on_alloc(void *ctx)
{
    ft_state *s = ctx;
    if (hl_unlikely(++s->pending > s->threshold && s->threshold && s->base.enabled))
        ft_maybe_collect(s);
}

static void ft_on_dealloc(void *ctx)
{
    ft_state *s = ctx;
    if (s->pending > 0)
        s->pending--;
}

static size_t ft_collect(void *ctx, int generation)
{
    (void)generation; /* one space: every collection is full */
    return collect_all(ctx);
}

static void ft_get_count(void *ctx, size_t count[HL_GC_GENERATIONS])
{
    count[0] = ((ft_state *)ctx)->pending;
    for (int g = 1; g < HL_GC_GENERATIONS; g++)
        count[g] = 0;
}

/* for_each calls fn during the walk: fn neither tracks nor untracks (the
   layer's contract), so it frees no container and the walk stays valid;
   what it allocates (a list's items) comes from the other allocator. */
typedef struct for_each_walk {
    hl_gc_object_fn fn;
    void *arg;
    intptr_t skip; /* FROZEN, or 0 to list the permanent space too */
} for_each_walk;

static void for_each_block(void *block, size_t usable, void *arg)
{
    (void)usable;
    for_each_walk *f = arg;
    hl_object *op = block;
    intptr_t w = op->refcount;
    if (w > 0 && (w & HL_REF_TRACKED) && !(w & f->skip))
        f->fn(op, f->arg);
}

static void ft_for_each(void *ctx, int generation, hl_gc_object_fn fn, void *arg)
{
    ft_state *s = ctx;
    for_each_walk f = {fn, arg, generation == HL_GC_EVERY_SPACE ? 0 : HL_REF_FROZEN};
    hl_allocator_visit_blocks(s->heap, for_each_block, &f);
}

static void ft_get_threshold(void *ctx, size_t threshold[HL_GC_GENERATIONS])
{
    threshold[0] = ((ft_state *)ctx)->threshold;
    threshold[1] = threshold[2] = 0;
}

static bool ft_set_threshold(void *ctx, const size_t threshold[HL_GC_GENERATIONS])
{
    ((ft_state *)ctx)->threshold = threshold[0];
    return true;
}

typedef struct freeze_walk {
    bool freeze;
    size_t count;
} freeze_walk;

static void freeze_block(void *block, size_t usable, void *arg)
{
    (void)usable;
    freeze_walk *f = arg;
    hl_object *op = block;
    if (!is_tracked_block(op))
        return;
    if (f->freeze)
        op->refcount |= HL_REF_FROZEN;
    else
        op->refcount &= ~HL_REF_FROZEN;
}

static void ft_freeze(void *ctx)
{
    ft_state *s = ctx;
    freeze_walk f = {true, 0};
    hl_allocator_visit_blocks(s->heap, freeze_block, &f);
    s->frozen = s->tracked;
    s->pending = 0;
}

static void ft_unfreeze(void *ctx)
{
    ft_state *s = ctx;
    freeze_walk f = {false, 0};
    hl_allocator_visit_blocks(s->heap, freeze_block, &f);
    s->frozen = 0;
}

static size_t ft_freeze_count(void *ctx)
{
    return ((ft_state *)ctx)->frozen;
}

typedef struct validate_walk {
    size_t tracked, frozen;
    const hl_object *bad;
    const char *why;
} validate_walk;

static void validate_block(void *block, size_t usable, void *arg)
{
    validate_walk *v = arg;
    const hl_object *op = block;
    intptr_t w = op->refcount;
    if (v->bad || w <= 0)
        return; /* found bad already, or dead on a type free list */
    if (usable < sizeof(hl_object))
        v->why = "a live block smaller than an object";
    else if (!hl_is_container(op))
        v->why = "a live block of the container heap is not a container";
    else if (w & (HL_REF_UNREACHABLE | HL_REF_ALIVE | HL_REF_COLLECTING | ((intptr_t)1 << 62)))
        v->why = "collection bits outside a collection";
    else if (!(w & HL_REF_TRACKED) && (w & HL_REF_FROZEN))
        v->why = "frozen but not tracked";
    v->tracked += (w & HL_REF_TRACKED) != 0;
    v->frozen += (w & HL_REF_FROZEN) != 0;
    if (v->why)
        v->bad = op;
}

static bool ft_validate(void *ctx, char *why, size_t why_size)
{
    ft_state *s = ctx;
    validate_walk v = {0, 0, NULL, NULL};
    if (!hl_allocator_visit_blocks(s->heap, validate_block, &v)) {
        snprintf(why, why_size, "ft: the allocator stopped visiting its blocks");
        return false;
    }
    if (v.bad) {
        snprintf(why, why_size, "ft: object %p (%s): %s", (const void *)v.bad,
                 v.bad->type->name, v.why);
        return false;
    }
    if (v.tracked != s->tracked || v.frozen != s->frozen) {
        snprintf(why, why_size,
                 "ft: %zu tracked blocks (%zu frozen), but %zu tracked (%zu frozen) counted",
                 v.tracked, v.frozen, s->tracked, s->frozen);
        return false;
    }
    return true;
}

/* ---- per-object state, read by the object model ------------------------ */

static bool ft_is_tracked(void *ctx, const hl_object *op)
{
    (void)ctx;
    return (op->refcount & HL_REF_TRACKED) != 0;
}

static bool ft_is_finalized(void *ctx, const hl_object *op)
{
    (void)ctx;
    return (op->refcount & HL_REF_FINALIZED) != 0;
}

static void ft_set_finalized(void *ctx, hl_object *op)
{
    (void)ctx;
    op->refcount |= HL_REF_FINALIZED;
}

static void ft_reset_object(void *ctx, hl_object *op)
{
    (void)ctx;
    op->refcount &= HL_REF_COUNT_MASK; /* untracked, not finalized */
}

static const hl_collector_ops ft_ops = {
    .name = "ft",
    .description = "CPython's free-threaded collector: no generations, no list; walks the "
                   "allocator's blocks, marks alive from roots (prefetch ring), then trial "
                   "deletion",
    .flags = HL_GC_FINDS_CYCLES | HL_GC_AUTOMATIC | HL_GC_WALKS_HEAP | HL_GC_MARKS_ROOTS,
    .header_size = 0,
    .state_size = sizeof(ft_state),
    .configure = ft_configure,
    .destroy = ft_destroy,
    .track = ft_track,
    .untrack = ft_untrack,
    .on_alloc = ft_on_alloc,
    .on_dealloc = ft_on_dealloc,
    .collect = ft_collect,
    .get_count = ft_get_count,
    .get_threshold = ft_get_threshold,
    .set_threshold = ft_set_threshold,
    .for_each = ft_for_each,
    .freeze = ft_freeze,
    .unfreeze = ft_unfreeze,
    .freeze_count = ft_freeze_count,
    .is_tracked = ft_is_tracked,
    .is_finalized = ft_is_finalized,
    .set_finalized = ft_set_finalized,
    .reset_object = ft_reset_object,
    .validate = ft_validate,
};

const hl_collector_ops *hl_collector_ft(void)
{
    return &ft_ops;
}
