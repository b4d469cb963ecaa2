/*
 * objects/object.h — heaplab's object model: a small CPython.
 *
 * Every object starts with an hl_object header: a reference count and a type
 * pointer (CPython's PyObject).  Container types — those that can hold
 * references to other objects — are allocated with the collector's header in
 * front of them (collectors/collector.h) and are tracked by the collector.
 *
 *     type      container  tracked while alive     mutable
 *     int       no         never                   no; -5..256 cached
 *     float     no         never                   no
 *     str       no         never                   no
 *     tuple     yes        from creation           no
 *     list      yes        from creation           yes; CPython growth
 *     dict      yes        from creation           yes; insertion order
 *     class     yes        from creation           attribute dict
 *     instance  yes        from creation           slots + optional dict
 *
 * Reference counting is CPython's: a new object has count 1 and belongs to
 * its creator; hl_decref frees it the moment its count reaches zero.  Freeing
 * cascades through an explicit work list in the runtime, never through C
 * recursion (CPython's trashcan), so dropping a chain of a million lists uses
 * constant C stack.
 *
 * Conventions, as in CPython's C API:
 *   - constructors return a new reference, or NULL when memory ran out (the
 *     runtime's `out_of_memory` counter says so and nothing leaks);
 *   - functions that store an object take their own reference to it
 *     (hl_list_append increfs its argument, like PyList_Append), except
 *     hl_tuple_set_item, which steals it like PyTuple_SET_ITEM;
 *   - getters return borrowed references;
 *   - functions that can fail return 0 on success and -1 on failure.
 *
 * Every call takes the runtime first: all state of one stack lives there,
 * so one process can run every stack in turn.
 */
#ifndef HEAPLAB_OBJECT_H
#define HEAPLAB_OBJECT_H

#include "collector.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hl_type hl_type;

/*
 * The refcount word.  Its low 56 bits count references; the byte above
 * belongs to a collector that keeps no header in front of its objects
 * (HL_GC_WALKS_HEAP with header_size 0, e.g. `ft`), which has nowhere else
 * to keep its per-object state, as CPython's free-threaded build keeps
 * ob_gc_bits in the object:
 *
 *    63   62     61      60      59     58    57     56    55          0
 *   +---+------+-------+-------+------+-----+------+-----+-------------+
 *   | 0 |spare |TRACKED|FINAL- |UNREA-|ALIVE|FROZEN|COLL-|  count      |
 *   |   |      |       | IZED  |CHABLE|     |      |ECT- |  (56 bits)  |
 *   +---+------+-------+-------+------+-----+------+-----+-------------+
 *
 * Only such a collector sets these bits, and only on its containers (it
 * reads them through its is_tracked/is_finalized slots); during a
 * collection it may also borrow bits 28..55 (collectors/gc_inline.h).  A
 * list collector's words are bare counts.
 *
 * Bit 63 is never set on a live object: a dead object's word is negative
 * (the dealloc stack and the free lists link through it, runtime.h), so
 * `refcount <= 0` still means dead.  Everything that reads a count goes
 * through hl_refcount (masked); hl_decref tests the masked count.
 *
 * Invariant: hl_refcount > 0 for every object reachable from C code; a
 * freed object's memory is returned to the allocator.
 */
struct hl_object {
    intptr_t refcount;  /* the word above */
    const hl_type *type; /* never NULL */
};

#define HL_REF_COUNT_BITS 56
#define HL_REF_COUNT_MASK (((intptr_t)1 << HL_REF_COUNT_BITS) - 1)
#define HL_REF_COLLECTING ((intptr_t)1 << 56)
#define HL_REF_FROZEN ((intptr_t)1 << 57)
#define HL_REF_ALIVE ((intptr_t)1 << 58)
#define HL_REF_UNREACHABLE ((intptr_t)1 << 59)
#define HL_REF_FINALIZED_SHIFT 60
#define HL_REF_FINALIZED ((intptr_t)1 << HL_REF_FINALIZED_SHIFT)
#define HL_REF_TRACKED ((intptr_t)1 << 61)
#define HL_REF_FLAGS (~HL_REF_COUNT_MASK & INTPTR_MAX)
/* A dead object's link keeps FINALIZED in its bit 0 (runtime.h). */
#define HL_DEAD_FINALIZED ((uintptr_t)1)

typedef int (*hl_visit_fn)(hl_object *op, void *arg);

enum {
    HL_TYPE_CONTAINER = 1u << 0,  /* has a gc header; traverse and clear set */
    HL_TYPE_LEGACY_DEL = 1u << 1, /* legacy tp_del: uncollectable in a cycle */
    HL_TYPE_UNTRACK_WHEN_FULL = 1u << 2, /* may_untrack asked in full collections only */
};

/*
 * A type, as CPython's PyTypeObject reduced to what memory management needs.
 * traverse calls visit once per reference the object holds (stopping at the
 * first non-zero return and returning it); clear drops every reference the
 * object holds (leaving it in a state dealloc can still handle); finalize is
 * PEP 442's tp_finalize; dealloc drops the references and frees the memory.
 * may_untrack (optional) says a reachable object holds nothing that may be
 * tracked, so a collection can untrack it (CPython's _PyTuple_MaybeUntrack,
 * asked in every collection, and _PyDict_MaybeUntrack, asked only in full
 * ones: HL_TYPE_UNTRACK_WHEN_FULL).
 */
struct hl_type {
    const char *name;
    size_t basic_size; /* bytes of a fixed-size instance, header included */
    unsigned flags;    /* HL_TYPE_* */
    int (*traverse)(hl_object *op, hl_visit_fn visit, void *arg);
    void (*clear)(hl_runtime *rt, hl_object *op);
    void (*finalize)(hl_runtime *rt, hl_object *op);
    void (*dealloc)(hl_runtime *rt, hl_object *op);
    void (*legacy_del)(hl_runtime *rt, hl_object *op); /* with HL_TYPE_LEGACY_DEL */
    size_t weaklist_offset; /* where the object keeps its weakref list; 0: none */
    uint64_t (*hash)(const hl_object *op);             /* NULL: by identity */
    bool (*equal)(const hl_object *a, const hl_object *b); /* NULL: identity */
    bool (*may_untrack)(hl_runtime *rt, const hl_object *op); /* see above */
};

/* ---- the runtime: one stack ------------------------------------------- */

typedef struct hl_runtime_report {
    size_t leaked_objects; /* containers still tracked at destroy, reclaimed */
    size_t live_objects;   /* objects still allocated after reclaiming: a bug */
    size_t live_bytes;     /* allocator bytes still live after reclaiming */
    size_t live_blocks;    /* allocator blocks still live after reclaiming */
} hl_runtime_report;

/*
 * Creates a stack from an allocator spec ("malloc", "debug:freelist_pool")
 * and a collector spec ("none", "stw", "generational=700,10,10").  NULL and a
 * message in err on failure.
 */
hl_runtime *hl_runtime_create(const char *alloc_spec, const char *gc_spec, char *err,
                              size_t err_size);
/*
 * Reclaims every object still alive (tracked containers are cleared, so
 * cycles the collector never saw are freed; their number is reported as
 * leaked), releases the caches, fills *report (may be NULL), then closes the
 * collector and the allocator.
 */
void hl_runtime_destroy(hl_runtime *rt, hl_runtime_report *report);

struct hl_allocator *hl_runtime_allocator(hl_runtime *rt);
/* Where containers live: the same allocator, or for a collector that walks
   its heap (HL_GC_WALKS_HEAP) a second instance of the same spec, so that
   every live block of it is a container. */
struct hl_allocator *hl_runtime_container_allocator(hl_runtime *rt);
/* Checks the collector's and the allocator's invariants. */
bool hl_runtime_validate(hl_runtime *rt, char *why, size_t why_size);
const char *hl_runtime_collector_name(const hl_runtime *rt);
size_t hl_runtime_live_objects(const hl_runtime *rt);
uint64_t hl_runtime_out_of_memory(const hl_runtime *rt);
/* PEP 442 finalizers run so far, by collections and by refcounting. */
uint64_t hl_runtime_finalizers_run(const hl_runtime *rt);

/* ---- reference counting ---------------------------------------------- */

void hl_dealloc(hl_runtime *rt, hl_object *op);

static inline void hl_incref(hl_object *op)
{
    op->refcount++;
}

static inline void hl_xincref(hl_object *op)
{
    if (op)
        op->refcount++;
}

static inline void hl_decref(hl_runtime *rt, hl_object *op)
{
    /* The shift drops the collector's byte: one instruction more than a
       plain test, no 64-bit mask to load. */
    if (((uintptr_t)--op->refcount << (64 - HL_REF_COUNT_BITS)) == 0)
        hl_dealloc(rt, op);
}

static inline void hl_xdecref(hl_runtime *rt, hl_object *op)
{
    if (op)
        hl_decref(rt, op);
}

/* Replaces *slot with value (a new reference, may be NULL), dropping the old
   one last, as Py_SETREF: the old object's dealloc sees a consistent slot. */
static inline void hl_setref(hl_runtime *rt, hl_object **slot, hl_object *value)
{
    hl_object *old = *slot;
    *slot = value;
    hl_xdecref(rt, old);
}

/* Drops the reference in *slot and sets it to NULL, as Py_CLEAR. */
static inline void hl_clearref(hl_runtime *rt, hl_object **slot)
{
    hl_setref(rt, slot, NULL);
}

/* The count, without the collector's bits; 0 for a dead object. */
static inline intptr_t hl_refcount(const hl_object *op)
{
    return op->refcount < 0 ? 0 : op->refcount & HL_REF_COUNT_MASK;
}

/* Sets the count, keeping the collector's bits (a live object only). */
static inline void hl_set_refcount(hl_object *op, intptr_t count)
{
    op->refcount = (op->refcount & HL_REF_FLAGS) | count;
}

/* Alive: a positive count (dead words are negative or count 0). */
static inline bool hl_is_alive(const hl_object *op)
{
    return hl_refcount(op) > 0;
}

static inline bool hl_is_container(const hl_object *op)
{
    return (op->type->flags & HL_TYPE_CONTAINER) != 0;
}


/* ---- roots: what the runtime knows to be alive ------------------------- */

/*
 * CPython's known-alive roots: module globals, sys and builtins, type
 * dicts, and the frames of the running code.  A workload (or a replayed
 * heap's `r` nodes) registers them here; the runtime holds a strong
 * reference to each, and collectors that mark from roots before trial
 * deletion (the incremental and free-threaded designs) start from them.
 * Collectors that do not use roots behave exactly as without them, since a
 * root's reference comes from outside the heap.
 *
 * Globals are a set in insertion order; frames are a stack.  The same
 * object may be registered more than once (each registration holds its own
 * reference).  Registering takes memory from the stack's allocator and can
 * fail (-1, nothing changed); removing never fails on a registered object.
 */
int hl_root_add(hl_runtime *rt, hl_object *op);
/* Drops the most recent registration of op; -1 if op is not a root. */
int hl_root_remove(hl_runtime *rt, hl_object *op);
int hl_frame_push(hl_runtime *rt, hl_object *frame);
/* Pops the innermost frame; the stack must not be empty. */
void hl_frame_pop(hl_runtime *rt);
size_t hl_root_count(const hl_runtime *rt);  /* globals and frames */
size_t hl_frame_depth(const hl_runtime *rt); /* frames alone */
/* Calls fn on every root, globals first (oldest first), then frames
   (outermost first).  fn must not add or remove roots. */
void hl_roots_for_each(hl_runtime *rt, void (*fn)(hl_object *op, void *arg), void *arg);

/* ---- the collector, as the gc module (collectors/gcmodule.c) ----------- */

/* gc.is_tracked(op) / gc.is_finalized(op): false for non-containers. */
bool hl_gc_is_tracked(hl_runtime *rt, const hl_object *op);
bool hl_gc_is_finalized(hl_runtime *rt, const hl_object *op);
/* The collector's capabilities (HL_GC_FINDS_CYCLES, ...: collector.h). */
unsigned hl_gc_flags(const hl_runtime *rt);

/* gc.collect(generation): the number of unreachable objects found.  Returns
   0 without collecting when a collection is already running (a finalizer
   calling collect), and -1 for a generation out of range. */
long hl_gc_collect(hl_runtime *rt, int generation);
void hl_gc_enable(hl_runtime *rt);
void hl_gc_disable(hl_runtime *rt);
bool hl_gc_isenabled(hl_runtime *rt);
void hl_gc_get_count(hl_runtime *rt, size_t count[HL_GC_GENERATIONS]);
void hl_gc_get_stats(hl_runtime *rt, hl_gc_stats *out);
int hl_gc_generations(const hl_runtime *rt);
/* Visits each reference op holds, as gc.get_referents (untracked ok). */
int hl_traverse(hl_object *op, hl_visit_fn visit, void *arg);

/* gc.get_threshold() / gc.set_threshold(t0, t1, t2); -1 when rejected. */
void hl_gc_get_threshold(hl_runtime *rt, size_t threshold[HL_GC_GENERATIONS]);
int hl_gc_set_threshold(hl_runtime *rt, size_t t0, size_t t1, size_t t2);
/* gc.freeze() / gc.unfreeze() / gc.get_freeze_count() */
void hl_gc_freeze(hl_runtime *rt);
void hl_gc_unfreeze(hl_runtime *rt);
size_t hl_gc_get_freeze_count(hl_runtime *rt);

/* gc.set_debug() / gc.get_debug(): only DEBUG_SAVEALL changes behaviour —
   every unreachable object goes to gc.garbage instead of being freed. */
#define HL_GC_DEBUG_SAVEALL 32 /* CPython's value */
void hl_gc_set_debug(hl_runtime *rt, unsigned flags);
unsigned hl_gc_get_debug(hl_runtime *rt);
/* gc.garbage: a list owned by the runtime (borrowed; made on first use, NULL
   when that failed).  Objects in it stay alive until the case clears it. */
hl_object *hl_gc_garbage(hl_runtime *rt);

/* gc.callbacks: called with phase "start" before and "stop" after every
   collection, automatic ones included, with the generation and (at stop)
   the counts collected and uncollectable.  A callback may allocate and
   drop references but not collect (collect() returns 0 inside). */
int hl_gc_add_callback(hl_runtime *rt, hl_gc_callback_fn fn, void *user);
void hl_gc_remove_callback(hl_runtime *rt, hl_gc_callback_fn fn, void *user);

/* gc.get_objects(generation) (-1: all), gc.get_referents(op),
   gc.get_referrers(op): new lists, NULL when out of memory. */
hl_object *hl_gc_get_objects(hl_runtime *rt, int generation);
hl_object *hl_gc_get_referents(hl_runtime *rt, hl_object *op);
hl_object *hl_gc_get_referrers(hl_runtime *rt, hl_object *op);

/* The type free lists (CPython 3.11's sizes: list 80, dict 80, float 100,
   tuples of 1..20 items 2000 each).  A full collection empties them. */
void hl_clear_free_lists(hl_runtime *rt);
size_t hl_free_list_size(hl_runtime *rt, const hl_type *type, size_t tuple_size);

/* ---- allocation, for the types ---------------------------------------- */

/* A new object of `size` bytes (header included) with refcount 1; containers
   get the collector's header and stay untracked until hl_gc_track. */
hl_object *hl_object_new(hl_runtime *rt, const hl_type *type, size_t size);
/* Frees an object's memory; size as passed to hl_object_new. */
void hl_object_free(hl_runtime *rt, hl_object *op, size_t size);
void hl_gc_track(hl_runtime *rt, hl_object *op);
void hl_gc_untrack(hl_runtime *rt, hl_object *op);
/* Raw memory for an object's own buffers (list items, dict tables). */
void *hl_buffer_alloc(hl_runtime *rt, size_t size);
void *hl_buffer_resize(hl_runtime *rt, void *block, size_t old_size, size_t size);
void hl_buffer_free(hl_runtime *rt, void *block, size_t size);

/* ---- int, float, str --------------------------------------------------- */

extern const hl_type hl_int_type, hl_float_type, hl_str_type;

#define HL_SMALL_INT_MIN (-5)
#define HL_SMALL_INT_MAX 256

hl_object *hl_int(hl_runtime *rt, int64_t value);
int64_t hl_int_value(const hl_object *op);
hl_object *hl_float(hl_runtime *rt, double value);
double hl_float_value(const hl_object *op);
hl_object *hl_str(hl_runtime *rt, const char *text);
hl_object *hl_str_sized(hl_runtime *rt, const char *bytes, size_t length);
const char *hl_str_value(const hl_object *op);
size_t hl_str_length(const hl_object *op);

/* Equality and hash as the dict uses them (value for int/float/str/tuple). */
bool hl_equal(const hl_object *a, const hl_object *b);
uint64_t hl_hash(const hl_object *op);

/* ---- tuple ------------------------------------------------------------- */

extern const hl_type hl_tuple_type;

/* A tuple of n NULL items to be filled with hl_tuple_set_item. */
hl_object *hl_tuple_new(hl_runtime *rt, size_t n);
/* Builds (items[0], ..., items[n-1]), taking new references. */
hl_object *hl_tuple_pack(hl_runtime *rt, size_t n, hl_object *const *items);
/* Steals the reference to item; for filling a new tuple. */
void hl_tuple_set_item(hl_object *tuple, size_t i, hl_object *item);
hl_object *hl_tuple_get(const hl_object *tuple, size_t i);
size_t hl_tuple_size(const hl_object *tuple);

/* ---- list -------------------------------------------------------------- */

extern const hl_type hl_list_type;

hl_object *hl_list_new(hl_runtime *rt, size_t capacity);
int hl_list_append(hl_runtime *rt, hl_object *list, hl_object *item);
/* list[i] = item (0 <= i < size). */
void hl_list_set(hl_runtime *rt, hl_object *list, size_t i, hl_object *item);
hl_object *hl_list_get(const hl_object *list, size_t i);
size_t hl_list_size(const hl_object *list);
size_t hl_list_capacity(const hl_object *list);
/* del list[i] */
void hl_list_delete(hl_runtime *rt, hl_object *list, size_t i);
/* Removes and returns the last item (a new reference), NULL when empty. */
hl_object *hl_list_pop(hl_runtime *rt, hl_object *list);
/* list.clear() */
void hl_list_clear(hl_runtime *rt, hl_object *list);

/* ---- dict -------------------------------------------------------------- */

extern const hl_type hl_dict_type;

hl_object *hl_dict_new(hl_runtime *rt);
int hl_dict_set(hl_runtime *rt, hl_object *dict, hl_object *key, hl_object *value);
int hl_dict_set_str(hl_runtime *rt, hl_object *dict, const char *key, hl_object *value);
/* Borrowed reference, NULL when absent. */
hl_object *hl_dict_get(const hl_object *dict, const hl_object *key);
hl_object *hl_dict_get_str(const hl_object *dict, const char *key);
/* 0 when removed, -1 when absent. */
int hl_dict_delete(hl_runtime *rt, hl_object *dict, const hl_object *key);
size_t hl_dict_size(const hl_object *dict);
/* Iteration in insertion order: *pos starts at 0; false at the end. */
bool hl_dict_next(const hl_object *dict, size_t *pos, hl_object **key, hl_object **value);
void hl_dict_clear(hl_runtime *rt, hl_object *dict);

/* ---- weak references ------------------------------------------------- */

/*
 * weakref.ref(referent, callback).  Only instances and classes can be
 * referred to weakly (as in CPython, not lists, dicts or tuples).  The
 * weakref does not keep its referent alive; it keeps its callback object
 * alive.  When the referent dies — by reference counting, or found
 * unreachable by a collection — the weakref is cleared (hl_weakref_get
 * returns NULL, i.e. wr() is None) and, if the weakref itself is still
 * alive and reachable, fn(rt, weakref, callback) is called once.
 */
typedef void (*hl_weakref_fn)(hl_runtime *rt, hl_object *weakref, hl_object *callback);

extern const hl_type hl_weakref_type;

/* NULL (and nothing made) when referent cannot be weakly referenced. */
hl_object *hl_weakref_new(hl_runtime *rt, hl_object *referent, hl_object *callback,
                          hl_weakref_fn fn);
hl_object *hl_weakref_get(const hl_object *weakref); /* borrowed, or NULL */
hl_object *hl_weakref_callback(const hl_object *weakref);
bool hl_weakref_supported(const hl_object *op);
size_t hl_weakref_count(const hl_object *referent);

/* ---- user classes and their instances ---------------------------------- */

/*
 * A class is an object that embeds the type of its instances, as a CPython
 * heap type does; instances hold a reference to their class.  A class may
 * give its instances a finalizer (PEP 442 __del__), called with the class's
 * `user` pointer, and a legacy `del` (tp_del) that makes them uncollectable
 * when found in a cycle.
 */
typedef void (*hl_finalizer_fn)(hl_runtime *rt, hl_object *self, void *user);

typedef struct hl_class_spec {
    const char *name;
    size_t slots;             /* attribute slots per instance */
    hl_finalizer_fn finalize; /* __del__, PEP 442 semantics; may be NULL */
    hl_finalizer_fn legacy_del; /* tp_del; may be NULL */
    void *user;               /* passed to finalize and legacy_del */
    size_t payload;           /* extra opaque bytes per instance */
} hl_class_spec;

extern const hl_type hl_class_type;

hl_object *hl_class_new(hl_runtime *rt, const hl_class_spec *spec);
/* The class's attribute dict (A.x = ...), created with the class. */
hl_object *hl_class_dict(const hl_object *cls);
void *hl_class_user(const hl_object *cls);
bool hl_is_instance(const hl_object *op);
hl_object *hl_instance_new(hl_runtime *rt, hl_object *cls);
hl_object *hl_instance_class(const hl_object *inst);
/* inst.slot[i] = value (new reference taken; value may be NULL). */
void hl_instance_set(hl_runtime *rt, hl_object *inst, size_t i, hl_object *value);
hl_object *hl_instance_get(const hl_object *inst, size_t i);
size_t hl_instance_slots(const hl_object *inst);
void *hl_instance_payload(hl_object *inst);
/* inst.name = value through the instance's __dict__, created on first use. */
int hl_setattr(hl_runtime *rt, hl_object *inst, const char *name, hl_object *value);
hl_object *hl_getattr(const hl_object *inst, const char *name);
hl_object *hl_instance_dict(const hl_object *inst);

#endif /* HEAPLAB_OBJECT_H */
