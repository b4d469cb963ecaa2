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
 * One collection (the phases live in their own files):
 *
 *   0. mark alive    ft_mark.c (3.14t, gh-128807): from the runtime's roots
 *                    (hl_roots_for_each: globals and frames), everything
 *                    reachable gets ALIVE and is left out of trial
 *                    deletion: it is known to be reachable.  Above
 *                    200,000 long-lived objects through 3.14t's prefetch
 *                    ring, lists and tuples as item spans.
 *   1..3             ft_trial.c: trial deletion of the rest — one walk of
 *                    the heap (update_refs) that also lists the candidates
 *                    in the collection table (ft_state.h), then mark and
 *                    scan over the table: what is still UNREACHABLE is
 *                    held, flagged COLLECTING and pushed on the unreachable
 *                    array; reachable tuples holding nothing trackable are
 *                    untracked, then such dicts (here).
 *   4..8             hl_gc_handle_garbage_inline (gc_garbage.c): legacy
 *                    finalizers, weakrefs, PEP 442 finalizers,
 *                    resurrection, clearing — CPython's semantics, the same
 *                    code as every list collector's.
 *
 * Where it departs from CPython ft, and why: CPython walks the heap three
 * times (update_refs, mark_heap_visitor, scan_heap_visitor); heaplab walks
 * it once and runs the other two phases over the table it filled, 8 bytes
 * per examined object kept between collections.  Measured on the recorded
 * heaps (README), the walks were 44% of the collection's instructions on
 * dom.graph.gz before; without memory for the table the phases walk the
 * heap as CPython does.
 *
 * Scheduling, as CPython ft: a collection runs when the containers
 * allocated minus those freed since the last one exceed 2000 and a quarter
 * of the long-lived total (the reachable objects the last one found).
 *
 * Parameters, comma separated: `nomark` (no mark-alive phase),
 * `noprefetch` (mark-alive without the ring), `threewalks` (no collection
 * table: phases 2 and 3 walk the heap, as CPython ft), `prefetch_from=N` (the ring
 * is used when the last collection found more than N long-lived objects;
 * default 200000, 0: always), `threshold=N` (default 2000; 0: no automatic
 * collection).
 *
 * Invariants (ft_validate): every tracked block is a live container whose
 * word has INLINE and TRACKED and none of UNREACHABLE, ALIVE, COLLECTING;
 * `tracked` equals the number of such blocks; `pending` never underflows.
 */
#include "collector_registry.h"
#include "ft_state.h"
#include "parse.h"
#include "runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the stack and the table ------------------------------------------ */

/* A slot for every tracked, unfrozen object; kept between collections and
   grown with a margin.  Without memory the table is incomplete and the
   phases walk the heap. */
static void table_reset(ft_state *s)
{
    ft_table *t = &s->table;
    size_t size = s->tracked - s->frozen;
    if (s->three_walks) {
        t->complete = false; /* never allocated */
        t->size = t->front = t->back = 0;
        return;
    }
    if (size > t->capacity) {
        size_t capacity = size + size / 4 + 64;
        free(t->slot);
        t->slot = malloc(capacity * sizeof *t->slot);
        t->capacity = t->slot ? capacity : 0;
    }
    t->complete = t->slot != NULL;
    t->size = t->complete ? size : 0;
    t->front = 0;
    t->back = t->size;
}

static inline bool is_tracked_block(const hl_object *op)
{
    intptr_t w = op->refcount;
    return w > 0 && (w & HL_REF_TRACKED);
}

/* ---- a collection ------------------------------------------------------ */

static size_t collect_heap(void *ctx, hl_gc_outcome *out)
{
    ft_state *s = ctx;
    bool use_ring = s->prefetch && (s->prefetch_from == 0 || s->long_lived_total > s->prefetch_from);
    s->visited = s->long_lived_total = 0;
    s->found.count = s->dicts.count = 0;
    s->needs = 0;
    s->overflow = s->lost = false;
    s->alive = 0;
    table_reset(s);
    if (s->mark_alive)
        hl_ft_mark_alive(s, use_ring);
    hl_ft_find_garbage(s);

    /* Dicts after every tuple is decided, as CPython's untrack_dicts. */
    size_t untracked = 0;
    for (size_t i = 0; i < s->dicts.count; i++) {
        hl_object *op = s->dicts.items[i];
        if (op->type->may_untrack(s->rt, op)) {
            ft_clear_tracked(s, op);
            untracked++;
        }
    }
    out->visited = s->visited;
    out->reachable = s->long_lived_total - untracked;
    if (s->found.count == 0)
        return 0;
    return hl_gc_handle_garbage_inline(s->rt, s->found.items, s->found.count, s->needs, out);
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
        else if (strcmp(item, "threewalks") == 0)
            s->three_walks = true;
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
             "'ft=%s': expected a comma-separated list of nomark, noprefetch, threewalks, "
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
    free(s->table.slot);
}

static void ft_track(void *ctx, hl_object *op)
{
    ft_state *s = ctx;
    op->refcount |= HL_REF_TRACKED;
    s->tracked++;
}

static void ft_untrack(void *ctx, hl_object *op)
{
    ft_clear_tracked(ctx, op);
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
