/*
 * objects/runtime.h — the runtime struct: everything one stack owns.
 * Private to objects/ and collectors/; tests and verbs use object.h.
 *
 * Invariants:
 *   - live_objects counts objects allocated by hl_object_new and not yet
 *     freed; the small-int cache's entries are among them.
 *   - dealloc_pending is a stack of objects whose count reached zero and
 *     whose dealloc has not run yet, linked through their refcount field
 *     (dead objects have no other use for it).  Containers on it are
 *     untracked, so a collection never sees the borrowed field.  It is empty
 *     whenever draining is false.
 *   - collecting is true exactly while a collection runs; it makes
 *     hl_gc_collect and automatic collection return without collecting.
 */
#ifndef HEAPLAB_RUNTIME_H
#define HEAPLAB_RUNTIME_H

#include "allocator.h"
#include "collector.h"
#include "object.h"

#define HL_SMALL_INT_COUNT (HL_SMALL_INT_MAX - HL_SMALL_INT_MIN + 1)

struct hl_runtime {
    hl_allocator *alloc;            /* owned; closed at destroy */
    const hl_collector_ops *gc_ops; /* the collector's table */
    void *gc;                       /* its context */
    size_t gc_header_size;          /* == gc_ops->header_size */

    hl_object *small_ints[HL_SMALL_INT_COUNT]; /* -5..256, made on first use */

    hl_object *dealloc_pending; /* trashcan stack, see above */
    bool draining;              /* a dealloc loop is running */
    bool collecting;            /* a collection is running */

    size_t live_objects;     /* see above */
    uint64_t out_of_memory;  /* allocations that failed */
    uint64_t finalizers_run; /* PEP 442 finalizers run, by any path */
};

/* Used by the collectors' shared phases (collectors/gc_core.c). */
void hl_runtime_finalize(hl_runtime *rt, hl_object *op);

#endif
