/*
 * objects/runtime.c — one stack's lifetime, allocation of objects, and the
 * reference-counting dealloc loop.
 *
 * The dealloc loop is CPython's trashcan made unconditional: an object whose
 * count reaches zero is pushed on dealloc_pending, and only the outermost
 * hl_dealloc pops and destroys objects; a dealloc that drops further
 * references merely pushes them.  The C stack therefore stays flat however
 * long the chain of objects being freed, at the cost of one pointer store per
 * object.  Objects are destroyed in LIFO order, so a long chain is freed from
 * its head, each link released right after the one that owned it.
 */
#include "runtime.h"
#include "collector_registry.h"
#include "debug.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- memory ------------------------------------------------------------ */

static void *out_of_memory(hl_runtime *rt)
{
    rt->out_of_memory++;
    return NULL;
}

void *hl_buffer_alloc(hl_runtime *rt, size_t size)
{
    void *p = hl_mem_malloc(rt->alloc, size);
    return hl_likely(p != NULL) ? p : out_of_memory(rt);
}

void *hl_buffer_resize(hl_runtime *rt, void *block, size_t old_size, size_t size)
{
    void *p = hl_mem_realloc(rt->alloc, block, old_size, size);
    return hl_likely(p != NULL) ? p : out_of_memory(rt);
}

void hl_buffer_free(hl_runtime *rt, void *block, size_t size)
{
    hl_mem_free(rt->alloc, block, size);
}

/* A header other than a bare hl_gc_head: private words in front of it
   (zeroed: untracked, not finalized), or a walker's own header.  With none
   at all the collector's bits are in the refcount word, already bare. */
static void init_other_header(hl_runtime *rt, char *mem, size_t header, hl_object *op)
{
    if (header == 0)
        return;
    memset(mem, 0, header);
    if (!rt->gc->lists)
        rt->gc->ops.reset_object(rt->gc->ctx, op);
}

hl_object *hl_object_new(hl_runtime *rt, const hl_type *type, size_t size)
{
    bool container = (type->flags & HL_TYPE_CONTAINER) != 0;
    size_t header = container ? rt->gc_header_size : 0;
    char *mem = hl_mem_malloc(container ? rt->gc_alloc : rt->alloc, header + size);
    if (hl_unlikely(mem == NULL))
        return out_of_memory(rt);
    hl_object *op = (hl_object *)(mem + header);
    op->refcount = 1;
    op->type = type;
    rt->live_objects++;
    if (container) {
        if (hl_likely(header == sizeof(hl_gc_head)))
            *(hl_gc_head *)mem = (hl_gc_head){0}; /* untracked, not finalized */
        else
            init_other_header(rt, mem, header, op);
        rt->gc->ops.on_alloc(rt->gc->ctx);
    }
    return op;
}

void hl_object_free(hl_runtime *rt, hl_object *op, size_t size)
{
    bool container = hl_is_container(op);
    size_t header = container ? rt->gc_header_size : 0;
    hl_mem_free(container ? rt->gc_alloc : rt->alloc, (char *)op - header, header + size);
    rt->live_objects--;
    if (container)
        rt->gc->ops.on_dealloc(rt->gc->ctx);
}

void hl_gc_track(hl_runtime *rt, hl_object *op)
{
    hl_assert(hl_is_container(op) && !hl_collector_is_tracked(rt->gc, op));
    hl_collector_track(rt->gc, op);
}

void hl_gc_untrack(hl_runtime *rt, hl_object *op)
{
    hl_assert(hl_is_container(op) && hl_collector_is_tracked(rt->gc, op));
    hl_collector_untrack(rt->gc, op);
}

/* ---- dealloc ----------------------------------------------------------- */

/*
 * Runs a finalizer with the object temporarily alive, as CPython's
 * PyObject_CallFinalizerFromDealloc.  Returns true when the finalizer
 * resurrected the object (its count is above zero again).
 */
static bool finalize_from_dealloc(hl_runtime *rt, hl_object *op,
                                  void (*fn)(hl_runtime *, hl_object *))
{
    hl_gc_track(rt, op); /* visible to collections the finalizer runs */
    hl_set_refcount(op, 1);
    fn(rt, op);
    if ((--op->refcount & HL_REF_COUNT_MASK) > 0)
        return true; /* resurrected: stays tracked */
    hl_gc_untrack(rt, op);
    return false;
}

static void dealloc_one(hl_runtime *rt, hl_object *op)
{
    const hl_type *type = op->type;
    if (type->finalize && !hl_collector_is_finalized(rt->gc, op)) {
        hl_runtime_finalize(rt, op);
        if (hl_is_alive(op))
            return;
    }
    hl_object **weaklist = hl_weaklist_of(op);
    if (weaklist && *weaklist)
        hl_weakrefs_clear_and_call(rt, op);
    if (type->legacy_del && (type->flags & HL_TYPE_LEGACY_DEL) &&
        finalize_from_dealloc(rt, op, type->legacy_del))
        return;
    type->dealloc(rt, op);
}

void hl_runtime_finalize(hl_runtime *rt, hl_object *op)
{
    /* Only called on a dead object from dealloc_one, or by the collector on
       an object it keeps alive; the finalized bit makes it happen once. */
    hl_collector_set_finalized(rt->gc, op);
    rt->finalizers_run++;
    if (hl_refcount(op) == 0)
        finalize_from_dealloc(rt, op, op->type->finalize);
    else
        op->type->finalize(rt, op);
}

/* The outermost hl_dealloc's loop: destroys objects until none is pending.
   Out of line, so that the nested calls (most of them) only push. */
static __attribute__((noinline)) void drain(hl_runtime *rt)
{
    hl_object *op;
    rt->draining = true;
    while ((op = rt->dealloc_pending) != NULL) {
        uintptr_t link = (uintptr_t)-op->refcount;
        rt->dealloc_pending = (hl_object *)(link & ~HL_DEAD_FINALIZED);
        op->refcount = (intptr_t)(link & HL_DEAD_FINALIZED) << HL_REF_FINALIZED_SHIFT;
        dealloc_one(rt, op);
    }
    rt->draining = false;
}

/* Pushes an untracked dead object on dealloc_pending, and drains the stack
   unless an outer hl_dealloc does. */
static inline void push_pending(hl_runtime *rt, hl_object *op)
{
    /* A header-less collector's FINALIZED rides the link (runtime.h),
       moved without a branch: only ft ever sets it. */
    uintptr_t link = (uintptr_t)rt->dealloc_pending |
                     (((uintptr_t)op->refcount >> HL_REF_FINALIZED_SHIFT) & HL_DEAD_FINALIZED);
    op->refcount = -(intptr_t)link;
    rt->dealloc_pending = op;
    if (!rt->draining)
        drain(rt);
}

/* hl_dealloc of a container when the collector's track and untrack are its
   own: a header-less collector's TRACKED bit is read from the refcount word
   (collector.h), so only its untrack is a call. */
static __attribute__((noinline)) void dealloc_own_tracking(hl_runtime *rt, hl_object *op)
{
    hl_collector *c = rt->gc;
    if (c->lists                 ? hl_gc_head_of(op)->next != 0
        : c->ops.header_size == 0 ? (op->refcount & HL_REF_TRACKED) != 0
                                  : c->ops.is_tracked(c->ctx, op)) {
        c->tracked--;
        c->ops.untrack(c->ctx, op);
    }
    push_pending(rt, op);
}

/*
 * A dying container is untracked first: inline for the collectors with the
 * default slots (c->young), through one tail call for the others, so that
 * the common path needs no stack frame.
 */
void hl_dealloc(hl_runtime *rt, hl_object *op)
{
    hl_assert(op->refcount >= 0 && hl_refcount(op) == 0);
    if (hl_is_container(op)) {
        hl_collector *c = rt->gc;
        if (hl_unlikely(c->young == NULL)) {
            dealloc_own_tracking(rt, op);
            return;
        }
        if (hl_gc_head_of(op)->next != 0)
            hl_collector_untrack(c, op);
    }
    push_pending(rt, op);
}

/* ---- free lists -------------------------------------------------------- */

hl_object *hl_free_list_pop(hl_runtime *rt, hl_free_list *list)
{
    hl_object *op = list->head;
    if (op == NULL)
        return NULL;
    list->head = (hl_object *)-op->refcount;
    list->count--;
    op->refcount = 1;
    /* Nothing to reset: hl_dealloc untracked it, and only a type with a
       finalizer is ever FINALIZED (gc_core.c checks), which no free-listed
       type has; a header-less collector's bits went with the count. */
    hl_assert_internal(!hl_is_container(op) || (!hl_collector_is_tracked(rt->gc, op) &&
                                                !hl_collector_is_finalized(rt->gc, op)));
    rt->live_objects++;
    return op;
}

bool hl_free_list_push(hl_runtime *rt, hl_free_list *list, size_t limit, hl_object *op)
{
    if (list->count >= limit)
        return false;
    op->refcount = -(intptr_t)list->head;
    list->head = op;
    list->count++;
    rt->live_objects--;
    return true;
}

static void free_list_clear(hl_runtime *rt, hl_free_list *list, size_t (*size)(hl_object *))
{
    while (list->head) {
        hl_object *op = hl_free_list_pop(rt, list);
        hl_object_free(rt, op, size(op));
    }
}

static size_t list_object_size(hl_object *op)
{
    return op->type->basic_size;
}

static size_t tuple_object_size(hl_object *op)
{
    return op->type->basic_size + hl_tuple_size(op) * sizeof(hl_object *);
}

void hl_clear_free_lists(hl_runtime *rt)
{
    free_list_clear(rt, &rt->free_list, list_object_size);
    free_list_clear(rt, &rt->free_dict, list_object_size);
    free_list_clear(rt, &rt->free_float, list_object_size);
    for (size_t n = 1; n <= HL_FREE_LIST_TUPLE_SIZES; n++)
        free_list_clear(rt, &rt->free_tuple[n], tuple_object_size);
}

size_t hl_free_list_size(hl_runtime *rt, const hl_type *type, size_t tuple_size)
{
    if (type == &hl_list_type)
        return rt->free_list.count;
    if (type == &hl_dict_type)
        return rt->free_dict.count;
    if (type == &hl_float_type)
        return rt->free_float.count;
    if (type == &hl_tuple_type && tuple_size >= 1 && tuple_size <= HL_FREE_LIST_TUPLE_SIZES)
        return rt->free_tuple[tuple_size].count;
    return 0;
}

/* ---- lifetime ---------------------------------------------------------- */

hl_runtime *hl_runtime_create(const char *alloc_spec, const char *gc_spec, char *err,
                              size_t err_size)
{
    hl_runtime *rt = calloc(1, sizeof *rt);
    if (rt == NULL) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    rt->alloc = hl_allocator_open(alloc_spec, err, err_size);
    if (rt->alloc == NULL)
        goto fail;
    /* A collector that walks its heap gets its containers in an allocator
       instance of their own, so every live block there is a container (as
       CPython's free-threaded build keeps GC objects in their own heap). */
    rt->gc_alloc = rt->alloc;
    const char *eq = strchr(gc_spec, '=');
    const hl_collector_ops *ops =
        hl_collector_find(gc_spec, eq ? (size_t)(eq - gc_spec) : strlen(gc_spec));
    if (ops && (ops->flags & HL_GC_WALKS_HEAP)) {
        rt->gc_alloc = hl_allocator_open(alloc_spec, err, err_size);
        if (rt->gc_alloc == NULL)
            goto fail;
    }
    rt->gc = hl_collector_open(gc_spec, rt, err, err_size);
    if (rt->gc == NULL)
        goto fail;
    rt->gc_header_size = rt->gc->ops.header_size;
    return rt;
fail:
    if (rt->gc_alloc != rt->alloc)
        hl_allocator_close(rt->gc_alloc);
    hl_allocator_close(rt->alloc);
    free(rt);
    return NULL;
}

void hl_runtime_destroy(hl_runtime *rt, hl_runtime_report *report)
{
    if (rt == NULL)
        return;
    hl_runtime_report r = {0};
    hl_clearref(rt, &rt->gc->garbage);
    rt->gc->callback_count = 0;
    hl_roots_clear(rt);
    r.leaked_objects = hl_collector_reclaim(rt->gc);
    hl_clear_free_lists(rt);
    for (size_t i = 0; i < HL_SMALL_INT_COUNT; i++)
        hl_clearref(rt, &rt->small_ints[i]);
    hl_collector_close(rt->gc);
    r.live_objects = rt->live_objects;
    r.live_bytes = rt->alloc->counts.live_bytes;
    r.live_blocks = rt->alloc->counts.live_blocks;
    if (rt->gc_alloc != rt->alloc) {
        r.live_bytes += rt->gc_alloc->counts.live_bytes;
        r.live_blocks += rt->gc_alloc->counts.live_blocks;
        hl_allocator_close(rt->gc_alloc);
    }
    if (report)
        *report = r;
    hl_allocator_close(rt->alloc);
    free(rt);
}

hl_allocator *hl_runtime_allocator(hl_runtime *rt)
{
    return rt->alloc;
}

hl_allocator *hl_runtime_container_allocator(hl_runtime *rt)
{
    return rt->gc_alloc;
}

bool hl_runtime_validate(hl_runtime *rt, char *why, size_t why_size)
{
    if (rt->dealloc_pending != NULL) {
        snprintf(why, why_size, "objects waiting for dealloc outside the dealloc loop");
        return false;
    }
    return hl_roots_validate(rt, why, why_size) &&
           hl_collector_validate(rt->gc, why, why_size) &&
           hl_allocator_validate(rt->alloc, why, why_size) &&
           (rt->gc_alloc == rt->alloc || hl_allocator_validate(rt->gc_alloc, why, why_size));
}

const char *hl_runtime_collector_name(const hl_runtime *rt)
{
    return rt->gc->ops.name;
}

size_t hl_runtime_live_objects(const hl_runtime *rt)
{
    return rt->live_objects;
}

uint64_t hl_runtime_out_of_memory(const hl_runtime *rt)
{
    return rt->out_of_memory;
}

uint64_t hl_runtime_finalizers_run(const hl_runtime *rt)
{
    return rt->finalizers_run;
}
