/*
 * collectors/collector.h — the collector layer of heaplab.
 *
 *      object model (objects/)            gc module (collectors/gcmodule.c)
 *            |  hl_collector_track / on_alloc / ...   (inline, below)
 *            v
 *      +-------------------------------+
 *      |  hl_collector (dispatch)      |  defaults for every optional slot,
 *      |  + the gc module's state      |  stress scheduling, validate tiers,
 *      +-------------------------------+  gc.garbage, callbacks, debug flags
 *            |  ops.collect(ctx, g) ...
 *            v
 *      implementation: none, stw, generational, ...  (one .c file each)
 *            |  hl_gc_run / hl_gc_deduce_unreachable / hl_gc_handle_garbage
 *            v
 *      shared phases: gc_core.c (trial deletion), gc_garbage.c (finalizers,
 *      weak references, gc.garbage, delete)
 *
 * A collector is one .c file whose only external symbol returns its
 * `static const hl_collector_ops`, plus one line in collectors/registry.c.
 * It sets only the slots it has: hl_collector_open() copies the table and
 * fills every NULL slot with the default written next to it below.
 *
 * ---- the GC header of a list collector -----------------------------------
 *
 * Every container object (a type with HL_TYPE_CONTAINER) is allocated with
 * `header_size` bytes in front of it.  A list collector (every collector
 * without HL_GC_WALKS_HEAP) has header_size >= 16 and the last 16 bytes are
 * an hl_gc_head, CPython's PyGC_Head:
 *
 *     allocation start                       object pointer
 *     v                                      v
 *     +----------------+-------------------+-------------------------+
 *     | private words  | hl_gc_head        | hl_object header | ...  |
 *     | (header_size - |  next | prev+flags| refcount | type  |      |
 *     |  16, may be 0) |                   |                  |      |
 *     +----------------+-------------------+-------------------------+
 *
 *   next   0 when the object is not tracked.  When tracked, the address of
 *          the next head in its list (16-byte aligned) plus bits 0..3:
 *            bit 0      HL_GC_NEXT_UNREACHABLE  member of the tentatively
 *                       unreachable list during move_unreachable only
 *            bits 1..3  HL_GC_NEXT_SPARE  the collector's own per-object
 *                       bits (an old-space or visited bit); every list
 *                       function keeps them as they are
 *   prev   bits 0..1 are flags, the rest (>> HL_GC_PREV_SHIFT) is either the
 *          previous head's address or, during a collection, gc_refs:
 *            bit 0  HL_GC_PREV_FINALIZED   the PEP 442 finalizer has run
 *            bit 1  HL_GC_PREV_COLLECTING  in the set being collected
 *
 * ---- what a heap-walking collector must provide ---------------------------
 *
 * A collector with HL_GC_WALKS_HEAP keeps no lists (CPython's free-threaded
 * collector): it may declare header_size 0 and finds its objects by walking
 * the allocator's blocks.  The layer then never reads a header word, so it
 * must set every slot marked [walker] below: track, untrack, is_tracked,
 * is_finalized, set_finalized, reset_object, for_each, collect, freeze,
 * unfreeze, freeze_count.  Its per-object state (tracked bit, finalized bit,
 * gc_refs during a collection) lives where it chooses: a header of its own
 * (header_size 16 without list links) or, with header_size 0, the top byte
 * of the refcount word (object.h), as ft does.  A header-less collector's
 * tracked state is then HL_REF_TRACKED and its finalized state
 * HL_REF_FINALIZED: the object model tests TRACKED inline when a container
 * dies (before calling untrack), and a word it has just set to a bare count
 * (a new object, or one reused from a free list) is untracked and not
 * finalized without a call to reset_object.  Further:
 *   - it wraps its collection in hl_gc_run_begin / hl_gc_run_end (re-entry
 *     guard, gc callbacks, statistics, free lists);
 *   - the shared garbage phases (hl_gc_handle_garbage) take the unreachable
 *     set as an hl_gc_head list carrying COLLECTING; a collector with a
 *     16-byte header of its own can link it there for the length of the
 *     phases; with header_size 0 it hands the set as an array of members
 *     to hl_gc_handle_garbage_inline (gc_garbage.c), the same steps that
 *     list collectors reach through hl_gc_handle_garbage;
 *   - the layer counts tracked objects at hl_gc_track / hl_gc_untrack
 *     (hl_collector.tracked): a collector that untracks on its own (as
 *     hl_gc_untrack_atomic does) subtracts what it untracked;
 *   - the runtime's reclaim at destroy walks for_each(HL_GC_EVERY_SPACE)
 *     and untracks through ops.untrack, a chunk at a time.
 *
 * Who guarantees what.  The object model calls track() only on an untracked
 * container and untrack() only on a tracked one, and never while the phases
 * of a collection have lists half-formed (finalizers and weakref callbacks
 * run only after the lists are whole again).  The layer refuses a collection
 * while one runs (collect() from a finalizer returns 0), so ops.collect is
 * never nested; generations passed to collect are in range.
 */
#ifndef HEAPLAB_COLLECTOR_H
#define HEAPLAB_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hl_object hl_object;
typedef struct hl_runtime hl_runtime;
typedef struct hl_collector hl_collector;

typedef struct hl_gc_head {
    uintptr_t next; /* see above */
    uintptr_t prev; /* see above */
} hl_gc_head;

#define HL_GC_NEXT_UNREACHABLE ((uintptr_t)1)
#define HL_GC_NEXT_SPARE ((uintptr_t)0xe)
#define HL_GC_NEXT_MASK (~(uintptr_t)0xf)
#define HL_GC_PREV_FINALIZED ((uintptr_t)1)
#define HL_GC_PREV_COLLECTING ((uintptr_t)2)
#define HL_GC_PREV_SHIFT 2
#define HL_GC_PREV_MASK (~(uintptr_t)0 << HL_GC_PREV_SHIFT)

static inline hl_gc_head *hl_gc_head_of(const hl_object *op)
{
    return (hl_gc_head *)op - 1;
}

static inline hl_object *hl_object_of(const hl_gc_head *gc)
{
    return (hl_object *)(gc + 1);
}

#define HL_GC_GENERATIONS 3 /* the most any collector reports counts for */

/* Per generation, as gc.get_stats(). */
typedef struct hl_gc_generation_stats {
    uint64_t collections;   /* collections of this generation */
    uint64_t collected;     /* unreachable objects freed (or saved) */
    uint64_t uncollectable; /* unreachable objects kept for legacy finalizers */
} hl_gc_generation_stats;

typedef struct hl_gc_stats {
    hl_gc_generation_stats generation[HL_GC_GENERATIONS];
    uint64_t finalizers_called; /* PEP 442 finalizers run by collections */
    uint64_t objects_visited;   /* objects examined, all collections */
    uint64_t collect_ns;        /* wall time inside collections */
} hl_gc_stats;

/* Capabilities: the harness, the suites and the layer decide on these,
   never on a collector's name. */
enum {
    HL_GC_FINDS_CYCLES = 1u << 0,  /* collect() frees unreachable cycles */
    HL_GC_AUTOMATIC = 1u << 1,     /* collects from on_alloc; NAME=stress works */
    HL_GC_WALKS_HEAP = 1u << 2,    /* no hl_gc_head lists: see above */
    HL_GC_MARKS_ROOTS = 1u << 3,   /* reads hl_roots_for_each before trial deletion */
    HL_GC_INCREMENTS = 1u << 4,    /* collect(1) is one increment of an old space
                                      scanned in slices (CPython 3.14), not a
                                      generation: its set is not predictable */
    HL_GC_SPARE_BITS = 1u << 5,    /* keeps its own state in next's spare bits */
    HL_GC_STRESS = 1u << 8,        /* set by the layer: opened as NAME=stress */
};

/*
 * The state every collector's context starts with (its first member), made
 * and initialised by the layer: `space` are its generation lists (youngest
 * first; a single-space collector uses space[0]), `permanent` what
 * gc.freeze() set aside.  The default slots work on these.  Invariant (list
 * collectors): space[0..generations) and permanent together hold exactly
 * the tracked containers, each once.
 */
typedef struct hl_gc_base {
    hl_runtime *rt;            /* the stack: for the shared phases */
    hl_collector *collector;   /* the dispatch object that owns this state */
    hl_gc_head space[HL_GC_GENERATIONS]; /* tracked objects, by generation */
    hl_gc_head permanent;      /* frozen by gc.freeze() */
    bool enabled;              /* gc.enable(): automatic collection allowed */
    bool stress;               /* NAME=stress: a collection at every container allocation */
    hl_gc_stats stats;         /* gc.get_stats(), kept by hl_gc_run */
} hl_gc_base;

/* Passed to ops.for_each for every space, permanent included (the
   runtime's reclaim at destroy); -1 is every space gc.get_objects() lists. */
#define HL_GC_EVERY_SPACE (-2)

typedef void (*hl_gc_object_fn)(hl_object *op, void *arg);

/*
 * One collector.  Slots marked "default:" may be NULL.
 */
typedef struct hl_collector_ops {
    const char *name;        /* short name used with --gc */
    const char *description; /* one line for `heaplab list` */
    unsigned flags;          /* HL_GC_* */
    size_t header_size;      /* default: sizeof(hl_gc_head); 0 only with WALKS_HEAP */
    int generations;         /* default: 1 */
    size_t state_size;       /* bytes of the context; default: sizeof(hl_gc_base) */

    /* Reads the text after '=' in "--gc name=arg" (NULL without one) into
       the context, which is zeroed and has its base set.  Returns false
       with a reason in `error`.  Default: rejects any argument.  "stress"
       is handled by the layer before this for HL_GC_AUTOMATIC collectors. */
    bool (*configure)(void *ctx, const char *arg, char *error, size_t error_size);
    /* Releases what configure took; the layer frees the context.
       Default: nothing.  Called with no tracked objects left. */
    void (*destroy)(void *ctx);

    /* [walker] Default: append to space[0] / unlink. */
    void (*track)(void *ctx, hl_object *op);
    void (*untrack)(void *ctx, hl_object *op);

    /* A container was allocated (before it is tracked) or freed.  Automatic
       collection starts from on_alloc.  Default: nothing. */
    void (*on_alloc)(void *ctx);
    void (*on_dealloc)(void *ctx);
    /* Which generation automatic collection would collect now, or -1 for
       none: the stress schedule collects that one, or generation 0 on -1.
       Default: 0. */
    int (*stress_generation)(void *ctx);

    /* [walker] Collects `generation` (and everything younger); returns the
       number of unreachable objects found, as gc.collect() does.  Default:
       every space as one set with hl_gc_run when FINDS_CYCLES, else a
       collection of the empty set (callbacks and statistics still run). */
    size_t (*collect)(void *ctx, int generation);

    /* gc.get_count(): entries past `generations` are 0.  Default: zeros. */
    void (*get_count)(void *ctx, size_t count[HL_GC_GENERATIONS]);
    /* gc.get_threshold() / gc.set_threshold(): entries past `generations`
       are ignored; set_threshold returns false on a value it rejects.
       Default: zeros / accepted and meaningless. */
    void (*get_threshold)(void *ctx, size_t threshold[HL_GC_GENERATIONS]);
    bool (*set_threshold)(void *ctx, const size_t threshold[HL_GC_GENERATIONS]);

    /* [walker] Calls fn on every tracked object of `generation` (-1: every
       generation, youngest first, not the permanent one, as
       gc.get_objects(); HL_GC_EVERY_SPACE: permanent too).  fn must not
       track or untrack anything.  Default: walks the base's lists. */
    void (*for_each)(void *ctx, int generation, hl_gc_object_fn fn, void *arg);

    /* [walker] gc.freeze(): every tracked object moves to a permanent
       generation that collections ignore; unfreeze() moves them back into
       the oldest.  Default: on the base's lists. */
    void (*freeze)(void *ctx);
    void (*unfreeze)(void *ctx);
    size_t (*freeze_count)(void *ctx);

    /* [walker] Per-object state.  Default: the hl_gc_head bits. */
    bool (*is_tracked)(void *ctx, const hl_object *op);
    bool (*is_finalized)(void *ctx, const hl_object *op);
    void (*set_finalized)(void *ctx, hl_object *op);
    /* A container's memory was (re)used for a new object: untracked, not
       finalized. */
    void (*reset_object)(void *ctx, hl_object *op);

    /* Checks the collector's own written invariants (counts, bits); the
       layer has already checked the base's lists.  Default: nothing more. */
    bool (*validate)(void *ctx, char *why, size_t why_size);
} hl_collector_ops;

/* ---- the dispatch object -------------------------------------------- */

#define HL_GC_MAX_CALLBACKS 16

typedef void (*hl_gc_callback_fn)(hl_runtime *rt, const char *phase, int generation,
                                  size_t collected, size_t uncollectable, void *user);

typedef struct hl_gc_callback {
    hl_gc_callback_fn fn;
    void *user;
} hl_gc_callback;

/*
 * One open collector and the gc module's state.  Invariants: ops has every
 * slot set; ctx starts with an hl_gc_base whose collector is this object;
 * collecting is true exactly while a collection (or its callbacks) runs;
 * outside a collection and reclaim, tracked equals the total length of the
 * base's lists
 * (every track adds one, every untrack — the object model's, the shared
 * phases' untracking of atomic objects, reclaim — takes one).
 */
struct hl_collector {
    hl_collector_ops ops; /* the implementation's table, defaults filled in */
    void *ctx;            /* its state, starting with hl_gc_base */
    bool lists;           /* !(ops.flags & HL_GC_WALKS_HEAP) */
    size_t tracked;       /* tracked containers: the lists' lengths sum to it */
    bool reclaiming;      /* hl_collector_reclaim runs: some are on its lists */
    bool collecting;      /* the re-entry guard */
    unsigned debug;       /* gc.set_debug() flags */
    hl_object *garbage;   /* gc.garbage, made on first use */
    hl_gc_callback callbacks[HL_GC_MAX_CALLBACKS]; /* gc.callbacks */
    size_t callback_count;
    void (*stressed_on_alloc)(void *ctx); /* NAME=stress: the collector's own on_alloc */
    hl_gc_head *young;    /* &base->space[0] when track and untrack are the
                             default slots and no SPARE_BITS (none, stw,
                             generational): the object model then links and
                             unlinks inline, below; NULL: through ops */
};

/*
 * Opens "name" or "name=arg" for the stack rt.  NULL and a message in err
 * on failure (unknown name, bad argument, out of memory).
 */
hl_collector *hl_collector_open(const char *spec, hl_runtime *rt, char *err, size_t err_size);
/* Frees every tracked object by clearing it (the runtime's destroy: cycles
   a collector never found).  Returns how many there were. */
size_t hl_collector_reclaim(hl_collector *c);
void hl_collector_close(hl_collector *c);
/* The layer's list checks, then ops.validate. */
bool hl_collector_validate(hl_collector *c, char *why, size_t why_size);

static inline hl_gc_base *hl_collector_base(const hl_collector *c)
{
    return (hl_gc_base *)c->ctx;
}

/* ---- the fast paths the object model calls --------------------------- */

static inline bool hl_collector_is_tracked(const hl_collector *c, const hl_object *op)
{
    if (c->lists)
        return hl_gc_head_of(op)->next != 0;
    return c->ops.is_tracked(c->ctx, op);
}

static inline bool hl_collector_is_finalized(const hl_collector *c, const hl_object *op)
{
    if (c->lists)
        return (hl_gc_head_of(op)->prev & HL_GC_PREV_FINALIZED) != 0;
    return c->ops.is_finalized(c->ctx, op);
}

static inline void hl_collector_set_finalized(hl_collector *c, hl_object *op)
{
    if (c->lists)
        hl_gc_head_of(op)->prev |= HL_GC_PREV_FINALIZED;
    else
        c->ops.set_finalized(c->ctx, op);
}

static inline void hl_collector_reset_object(hl_collector *c, hl_object *op)
{
    if (c->lists)
        *hl_gc_head_of(op) = (hl_gc_head){0};
    else
        c->ops.reset_object(c->ctx, op);
}

/*
 * Tracking, as the object model does it: the default track and untrack
 * slots inline, for the collectors that keep them and no spare bits
 * (c->young set), with one unlikely branch to the slots for the others.
 * Every container takes this path at birth and death, so it is written out
 * here rather than reached through two calls, and it leans on what such a
 * collector's words hold outside a collection: next is a bare address (no
 * spare bits; UNREACHABLE is set only inside move_unreachable), a list
 * head's prev too, and an untracked object's prev holds only flags.  The
 * flags of a neighbour's prev are kept.
 */
static inline void hl_collector_track(hl_collector *c, hl_object *op)
{
    hl_gc_head *list = c->young;
    c->tracked++;
    if (__builtin_expect(list == NULL, 0)) {
        c->ops.track(c->ctx, op);
        return;
    }
    hl_gc_head *gc = hl_gc_head_of(op);
    hl_gc_head *last = (hl_gc_head *)list->prev;
    gc->prev |= (uintptr_t)last;
    gc->next = (uintptr_t)list;
    last->next = (uintptr_t)gc;
    list->prev = (uintptr_t)gc;
}

static inline void hl_collector_untrack(hl_collector *c, hl_object *op)
{
    c->tracked--;
    if (__builtin_expect(c->young == NULL, 0)) {
        c->ops.untrack(c->ctx, op);
        return;
    }
    hl_gc_head *gc = hl_gc_head_of(op);
    hl_gc_head *prev = (hl_gc_head *)(gc->prev & HL_GC_PREV_MASK);
    hl_gc_head *next = (hl_gc_head *)gc->next;
    prev->next = (uintptr_t)next;
    next->prev = (next->prev & ~HL_GC_PREV_MASK) | (uintptr_t)prev;
    gc->next = 0;
    gc->prev &= HL_GC_PREV_FINALIZED; /* CPython keeps only this bit */
}

#endif /* HEAPLAB_COLLECTOR_H */
