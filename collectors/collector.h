/*
 * collectors/collector.h — the collector layer of heaplab.
 *
 * Every container object (a type with HL_TYPE_CONTAINER) is allocated with
 * the collector's header in front of it, as CPython's PyGC_Head:
 *
 *     allocation start                       object pointer
 *     v                                      v
 *     +----------------+-------------------+-------------------------+
 *     | private words  | hl_gc_head        | hl_object header | ...  |
 *     | (header_size - |  next | prev+flags| refcount | type  |      |
 *     |  16, may be 0) |                   |                  |      |
 *     +----------------+-------------------+-------------------------+
 *
 * The size in front is the collector's `header_size` (a multiple of 16, at
 * least sizeof(hl_gc_head)); the hl_gc_head always sits right before the
 * object, so the object model and the shared phases (gc_core.c) reach it
 * without knowing which collector runs.
 *
 * Meaning of the hl_gc_head words, as CPython's gc (3.8 and later):
 *
 *   next   0 when the object is not tracked.  When tracked, the address of
 *          the next head in its list.  During move_unreachable, bit 0
 *          (HL_GC_NEXT_UNREACHABLE) marks members of the tentatively
 *          unreachable list; it is cleared before any other code runs.
 *   prev   bits 0..1 are flags, the rest (>> HL_GC_PREV_SHIFT) is either the
 *          previous head's address (heads are 16-byte aligned, so the low
 *          bits are free) or, during a collection, gc_refs:
 *            bit 0  HL_GC_PREV_FINALIZED   the PEP 442 finalizer has run
 *            bit 1  HL_GC_PREV_COLLECTING  in the set being collected
 *
 * Who guarantees what.  The runtime (objects/) calls track() only on an
 * untracked container and untrack() only on a tracked one, and never during
 * the phases of a collection in which lists are not well formed (finalizers
 * and weak reference callbacks run only after the lists are whole again).
 * hl_gc_collect() refuses re-entry, so collect() is never nested.
 */
#ifndef HEAPLAB_COLLECTOR_H
#define HEAPLAB_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hl_object hl_object;
typedef struct hl_runtime hl_runtime;

typedef struct hl_gc_head {
    uintptr_t next; /* see above */
    uintptr_t prev; /* see above */
} hl_gc_head;

#define HL_GC_NEXT_UNREACHABLE ((uintptr_t)1)
#define HL_GC_PREV_FINALIZED ((uintptr_t)1)
#define HL_GC_PREV_COLLECTING ((uintptr_t)2)
#define HL_GC_PREV_SHIFT 2
#define HL_GC_PREV_MASK (~(uintptr_t)0 << HL_GC_PREV_SHIFT)

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
    uint64_t objects_visited;   /* heads walked by update_refs, all collections */
    uint64_t collect_ns;        /* wall time inside collections */
} hl_gc_stats;

typedef struct hl_gc_config {
    const char *arg; /* the text after '=' in "--gc name=arg", or NULL */
    char *error;     /* create() may write a reason here on failure */
    size_t error_size;
} hl_gc_config;

/*
 * One collector.  Each lives in its own .c file whose only external symbol
 * returns its `static const` table; collectors/registry.c lists them.
 */
typedef struct hl_collector_ops {
    const char *name;        /* short name used with --gc */
    const char *description; /* one line for `heaplab list` */
    size_t header_size;      /* bytes before each container, see above */
    int generations;         /* 1 for single-space collectors */
    /* Capability: finds its objects by walking the allocator's live blocks
       (hl_allocator_visit_blocks) rather than lists, as CPython's
       free-threaded build walks its GC heap.  The runtime then allocates
       containers from a second instance of the stack's allocator, so every
       block of that instance is a container.  Requires header_size 0
       (state inline in the refcount word, object.h) and take_all NULL: the
       runtime reclaims through unfreeze and for_each instead. */
    bool walks_heap;

    void *(*create)(hl_runtime *rt, hl_gc_config *config);
    /* Called with no tracked objects left (the runtime reclaims them first). */
    void (*destroy)(void *ctx);

    void (*track)(void *ctx, hl_object *op);
    void (*untrack)(void *ctx, hl_object *op);

    /* A tracked container was allocated (before it is tracked) or freed.
       Automatic collection, where the collector has it, starts from here. */
    void (*on_alloc)(void *ctx);
    void (*on_dealloc)(void *ctx);

    /* Collects `generation` (and everything younger); returns the number of
       unreachable objects found, as gc.collect() does.  Out-of-range
       generations were rejected by the caller. */
    size_t (*collect)(void *ctx, int generation);

    void (*set_enabled)(void *ctx, bool enabled);
    bool (*is_enabled)(void *ctx);
    /* gc.get_count(): entries past `generations` are 0. */
    void (*get_count)(void *ctx, size_t count[HL_GC_GENERATIONS]);
    void (*stats)(void *ctx, hl_gc_stats *out);

    /* Calls fn on every tracked object of `generation` (-1: every
       generation, youngest first; the permanent one is never listed, as in
       gc.get_objects()).  fn must not track or untrack anything. */
    void (*for_each)(void *ctx, int generation, void (*fn)(hl_object *op, void *arg),
                     void *arg);

    /* gc.get_threshold() / gc.set_threshold(): entries past `generations`
       are ignored; set_threshold returns false on a value it rejects. */
    void (*get_threshold)(void *ctx, size_t threshold[HL_GC_GENERATIONS]);
    bool (*set_threshold)(void *ctx, const size_t threshold[HL_GC_GENERATIONS]);

    /* gc.freeze(): every tracked object moves to a permanent generation that
       collections ignore; unfreeze() moves them back into the oldest. */
    void (*freeze)(void *ctx);
    void (*unfreeze)(void *ctx);
    size_t (*freeze_count)(void *ctx);
    /* Moves every tracked object onto `list` (an initialised list head) and
       leaves the collector with none: the runtime's reclaim at destroy. */
    void (*take_all)(void *ctx, hl_gc_head *list);

    /* Checks the collector's written invariants; false and a reason if not. */
    bool (*validate)(void *ctx, char *why, size_t why_size);
} hl_collector_ops;

#endif /* HEAPLAB_COLLECTOR_H */
