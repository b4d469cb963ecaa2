/*
 * objects/runtime.h — the runtime struct: everything one stack owns.
 * Private to objects/ and collectors/; tests and verbs use object.h.
 *
 * Invariants:
 *   - live_objects counts objects allocated by hl_object_new and not yet
 *     freed; the small-int cache's entries are among them.
 *   - dealloc_pending is a stack of objects whose count reached zero and
 *     whose dealloc has not run yet, linked through their refcount field
 *     as the negated address of the next one (dead objects have no other
 *     use for it), so refcount <= 0 still means dead: a weakref to a
 *     pending object reads as cleared, as CPython's does for a referent
 *     with refcount 0 (bpo-16602).  Containers on it are untracked, so a
 *     collection never sees the borrowed field.  It is empty whenever
 *     draining is false.
 *   - gc is open for the runtime's whole life; gc_header_size equals its
 *     ops.header_size.
 */
#ifndef HEAPLAB_RUNTIME_H
#define HEAPLAB_RUNTIME_H

#include "allocator.h"
#include "collector.h"
#include "object.h"

#define HL_SMALL_INT_COUNT (HL_SMALL_INT_MAX - HL_SMALL_INT_MIN + 1)

/* CPython 3.11's free list sizes. */
#define HL_FREE_LIST_LIST 80
#define HL_FREE_LIST_DICT 80
#define HL_FREE_LIST_FLOAT 100
#define HL_FREE_LIST_TUPLE 2000
#define HL_FREE_LIST_TUPLE_SIZES 20 /* tuples of 1..20 items */

/* Dead objects kept for reuse, linked through their refcount field like the
   dealloc stack (negated, so refcount <= 0 means dead here too).  Invariant: count objects on the chain, none of them
   counted in live_objects, containers among them untracked. */
typedef struct hl_free_list {
    hl_object *head;
    size_t count;
} hl_free_list;

/* A growable array of strong references (the roots, objects/roots.c).
   Invariant: count <= capacity; items[0..count) each hold one reference;
   items is NULL exactly when capacity is 0. */
typedef struct hl_object_stack {
    hl_object **items;
    size_t count;    /* entries in use */
    size_t capacity; /* entries allocated from the stack's allocator */
} hl_object_stack;

struct hl_runtime {
    hl_allocator *alloc;            /* owned; closed at destroy */
    hl_collector *gc;               /* owned; closed at destroy */
    size_t gc_header_size;          /* == gc->ops.header_size */

    hl_object *small_ints[HL_SMALL_INT_COUNT]; /* -5..256, made on first use */

    hl_object *dealloc_pending; /* trashcan stack, see above */
    bool draining;              /* a dealloc loop is running */

    hl_free_list free_list;   /* list objects */
    hl_free_list free_dict;   /* dict objects */
    hl_free_list free_float;  /* float objects */
    hl_free_list free_tuple[HL_FREE_LIST_TUPLE_SIZES + 1]; /* by size; [0] unused */

    hl_object_stack globals;  /* roots: module dicts, builtins, types */
    hl_object_stack frames;   /* roots: the frame stack, innermost last */

    size_t live_objects;     /* see above */
    uint64_t out_of_memory;  /* allocations that failed */
    uint64_t finalizers_run; /* PEP 442 finalizers run, by any path */
};

static inline hl_collector *hl_runtime_collector(const hl_runtime *rt)
{
    return rt->gc;
}

/* Used by the collectors' shared phases (collectors/gc_garbage.c). */
void hl_runtime_finalize(hl_runtime *rt, hl_object *op);

/* Drops every root (at destroy), and checks that each is alive. */
void hl_roots_clear(hl_runtime *rt);
bool hl_roots_validate(const hl_runtime *rt, char *why, size_t why_size);

/* Free lists (objects/runtime.c): pop returns NULL when empty; push returns
   false when the list is full and the caller must free the object. */
hl_object *hl_free_list_pop(hl_runtime *rt, hl_free_list *list);
bool hl_free_list_push(hl_runtime *rt, hl_free_list *list, size_t limit, hl_object *op);

/* Weak references (objects/weakref.c): the referent's list, and clearing
   it when the referent dies by reference counting (callbacks run). */
static inline hl_object **hl_weaklist_of(hl_object *op)
{
    size_t offset = op->type->weaklist_offset;
    return offset ? (hl_object **)((char *)op + offset) : NULL;
}
bool hl_is_weakref(const hl_object *op);
void hl_weakrefs_clear_and_call(hl_runtime *rt, hl_object *referent);
/* Collector side: clears one weakref (no callback) / tells whether it has
   a callback to run. */
void hl_weakref_clear_ref(hl_object *weakref);
bool hl_weakref_has_callback(const hl_object *weakref);
void hl_weakref_call(hl_runtime *rt, hl_object *weakref);

/* _PyObject_GC_MAY_BE_TRACKED: any container but an untracked tuple. */
static inline bool hl_may_be_tracked(hl_runtime *rt, const hl_object *op)
{
    return hl_is_container(op) &&
           (op->type != &hl_tuple_type || hl_collector_is_tracked(rt->gc, op));
}

#endif
