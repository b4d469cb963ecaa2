/*
 * objects/sequence.c — tuple and list.
 *
 * tuple: items inline after the header; immutable once filled, so it has no
 * clear (as in CPython: a cycle through a tuple is broken by clearing the
 * mutable object in it).  list: a separate item buffer grown with CPython's
 * over-allocation (Objects/listobject.c, 3.9+): capacity for n items is
 * (n + n/8 + 6) & ~3, or (n + 3) & ~3 when one append jumps past that, and
 * the buffer shrinks when fewer than half its slots are used.
 */
#include "runtime.h"

#include <string.h>

/* Invariant: items[0..size) are set (non-NULL) once the tuple is filled. */
typedef struct tuple_object {
    hl_object ob;
    size_t size;         /* number of items */
    hl_object *items[];  /* owned references */
} tuple_object;

/* Invariant: size <= allocated; items[0..size) non-NULL owned references;
   items == NULL exactly when allocated == 0. */
typedef struct list_object {
    hl_object ob;
    size_t size;       /* items in use */
    size_t allocated;  /* slots in the items buffer */
    hl_object **items; /* buffer from the runtime's allocator */
} list_object;

/* ---- tuple ------------------------------------------------------------- */

static size_t tuple_bytes(size_t n)
{
    return offsetof(tuple_object, items) + n * sizeof(hl_object *);
}

static int tuple_traverse(hl_object *op, hl_visit_fn visit, void *arg)
{
    tuple_object *t = (tuple_object *)op;
    for (size_t i = 0; i < t->size; i++) {
        if (t->items[i]) {
            int r = visit(t->items[i], arg);
            if (r)
                return r;
        }
    }
    return 0;
}

static void tuple_dealloc(hl_runtime *rt, hl_object *op)
{
    tuple_object *t = (tuple_object *)op;
    size_t n = t->size;
    for (size_t i = n; i-- > 0;)
        hl_xdecref(rt, t->items[i]);
    if (n == 0 || n > HL_FREE_LIST_TUPLE_SIZES ||
        !hl_free_list_push(rt, &rt->free_tuple[n], HL_FREE_LIST_TUPLE, op))
        hl_object_free(rt, op, tuple_bytes(n));
}

static uint64_t tuple_hash(const hl_object *op)
{
    /* The xxHash-style mix CPython uses since 3.8. */
    const tuple_object *t = (const tuple_object *)op;
    uint64_t acc = 0x27d4eb2f165667c5u;
    for (size_t i = 0; i < t->size; i++) {
        acc += hl_hash(t->items[i]) * 0xc2b2ae3d27d4eb4fu;
        acc = (acc << 31) | (acc >> 33);
        acc *= 0x9e3779b185ebca87u;
    }
    return acc + (t->size ^ 0x27d4eb2f165667c5u ^ 3527539u);
}

static bool tuple_equal(const hl_object *a, const hl_object *b)
{
    if (b->type != &hl_tuple_type)
        return false;
    const tuple_object *x = (const tuple_object *)a, *y = (const tuple_object *)b;
    if (x->size != y->size)
        return false;
    for (size_t i = 0; i < x->size; i++)
        if (!hl_equal(x->items[i], y->items[i]))
            return false;
    return true;
}

/* _PyTuple_MaybeUntrack: a tuple holding nothing that may be tracked. */
static bool tuple_may_untrack(hl_runtime *rt, const hl_object *tuple)
{
    const tuple_object *t = (const tuple_object *)tuple;
    for (size_t i = 0; i < t->size; i++)
        if (t->items[i] == NULL || hl_may_be_tracked(rt, t->items[i]))
            return false;
    return true;
}

const hl_type hl_tuple_type = {
    .name = "tuple",
    .basic_size = sizeof(tuple_object),
    .flags = HL_TYPE_CONTAINER,
    .traverse = tuple_traverse,
    .dealloc = tuple_dealloc,
    .hash = tuple_hash,
    .equal = tuple_equal,
    .may_untrack = tuple_may_untrack,
};

hl_object *hl_tuple_new(hl_runtime *rt, size_t n)
{
    if (n > HL_ALLOC_MAX_REQUEST / sizeof(hl_object *))
        return NULL;
    tuple_object *t = NULL;
    if (n >= 1 && n <= HL_FREE_LIST_TUPLE_SIZES)
        t = (tuple_object *)hl_free_list_pop(rt, &rt->free_tuple[n]);
    if (t == NULL && (t = (tuple_object *)hl_object_new(rt, &hl_tuple_type, tuple_bytes(n))) == NULL)
        return NULL;
    t->size = n;
    memset(t->items, 0, n * sizeof(hl_object *));
    hl_gc_track(rt, &t->ob);
    return &t->ob;
}

hl_object *hl_tuple_pack(hl_runtime *rt, size_t n, hl_object *const *items)
{
    hl_object *t = hl_tuple_new(rt, n);
    if (t == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        hl_incref(items[i]);
        ((tuple_object *)t)->items[i] = items[i];
    }
    return t;
}

void hl_tuple_set_item(hl_object *tuple, size_t i, hl_object *item)
{
    ((tuple_object *)tuple)->items[i] = item;
}

hl_object *hl_tuple_get(const hl_object *tuple, size_t i)
{
    return ((const tuple_object *)tuple)->items[i];
}

size_t hl_tuple_size(const hl_object *tuple)
{
    return ((const tuple_object *)tuple)->size;
}

/* ---- list -------------------------------------------------------------- */

static int list_traverse(hl_object *op, hl_visit_fn visit, void *arg)
{
    list_object *l = (list_object *)op;
    for (size_t i = l->size; i-- > 0;) {
        int r = visit(l->items[i], arg);
        if (r)
            return r;
    }
    return 0;
}

/* Empties the list before dropping anything, so code run by the decrefs
   sees a consistent empty list (CPython's _list_clear). */
static void list_clear_items(hl_runtime *rt, list_object *l)
{
    hl_object **items = l->items;
    size_t n = l->size, allocated = l->allocated;
    l->items = NULL;
    l->size = l->allocated = 0;
    for (size_t i = n; i-- > 0;)
        hl_decref(rt, items[i]);
    hl_buffer_free(rt, items, allocated * sizeof(hl_object *));
}

static void list_clear(hl_runtime *rt, hl_object *op)
{
    list_clear_items(rt, (list_object *)op);
}

static void list_dealloc(hl_runtime *rt, hl_object *op)
{
    list_clear_items(rt, (list_object *)op);
    if (!hl_free_list_push(rt, &rt->free_list, HL_FREE_LIST_LIST, op))
        hl_object_free(rt, op, sizeof(list_object));
}

const hl_type hl_list_type = {
    .name = "list",
    .basic_size = sizeof(list_object),
    .flags = HL_TYPE_CONTAINER,
    .traverse = list_traverse,
    .clear = list_clear,
    .dealloc = list_dealloc,
};

hl_object *hl_list_new(hl_runtime *rt, size_t capacity)
{
    if (capacity > HL_ALLOC_MAX_REQUEST / sizeof(hl_object *))
        return NULL;
    list_object *l = (list_object *)hl_free_list_pop(rt, &rt->free_list);
    if (l == NULL && (l = (list_object *)hl_object_new(rt, &hl_list_type, sizeof *l)) == NULL)
        return NULL;
    l->size = 0;
    l->allocated = 0;
    l->items = NULL;
    if (capacity) {
        l->items = hl_buffer_alloc(rt, capacity * sizeof(hl_object *));
        if (l->items == NULL) {
            hl_decref(rt, &l->ob);
            return NULL;
        }
        l->allocated = capacity;
    }
    hl_gc_track(rt, &l->ob);
    return &l->ob;
}

/* CPython's list_resize: 0 on success, -1 (list unchanged) on failure. */
static int list_resize(hl_runtime *rt, list_object *l, size_t newsize)
{
    if (l->allocated >= newsize && newsize >= (l->allocated >> 1)) {
        l->size = newsize;
        return 0;
    }
    size_t allocated = (newsize + (newsize >> 3) + 6) & ~(size_t)3;
    if (newsize > l->size && newsize - l->size > allocated - newsize)
        allocated = (newsize + 3) & ~(size_t)3;
    if (newsize == 0)
        allocated = 0;
    if (allocated > HL_ALLOC_MAX_REQUEST / sizeof(hl_object *))
        return -1;
    hl_object **items;
    if (allocated == 0) {
        hl_buffer_free(rt, l->items, l->allocated * sizeof(hl_object *));
        items = NULL;
    } else {
        items = hl_buffer_resize(rt, l->items, l->allocated * sizeof(hl_object *),
                                 allocated * sizeof(hl_object *));
        if (items == NULL)
            return -1;
    }
    l->items = items;
    l->allocated = allocated;
    l->size = newsize;
    return 0;
}

int hl_list_append(hl_runtime *rt, hl_object *list, hl_object *item)
{
    list_object *l = (list_object *)list;
    size_t n = l->size;
    if (hl_likely(n < l->allocated)) {
        l->size = n + 1;
    } else if (list_resize(rt, l, n + 1) < 0) {
        return -1;
    }
    hl_incref(item);
    l->items[n] = item;
    return 0;
}

void hl_list_set(hl_runtime *rt, hl_object *list, size_t i, hl_object *item)
{
    list_object *l = (list_object *)list;
    hl_incref(item);
    hl_setref(rt, &l->items[i], item);
}

hl_object *hl_list_get(const hl_object *list, size_t i)
{
    return ((const list_object *)list)->items[i];
}

size_t hl_list_size(const hl_object *list)
{
    return ((const list_object *)list)->size;
}

size_t hl_list_capacity(const hl_object *list)
{
    return ((const list_object *)list)->allocated;
}

void hl_list_delete(hl_runtime *rt, hl_object *list, size_t i)
{
    list_object *l = (list_object *)list;
    hl_object *item = l->items[i];
    memmove(&l->items[i], &l->items[i + 1], (l->size - i - 1) * sizeof(hl_object *));
    /* Shrinking never fails for lack of memory in a way that matters: on
       failure the buffer simply stays larger. */
    if (list_resize(rt, l, l->size - 1) < 0)
        l->size--;
    hl_decref(rt, item);
}

hl_object *hl_list_pop(hl_runtime *rt, hl_object *list)
{
    list_object *l = (list_object *)list;
    if (l->size == 0)
        return NULL;
    hl_object *item = l->items[l->size - 1];
    if (list_resize(rt, l, l->size - 1) < 0)
        l->size--;
    return item; /* the list's reference passes to the caller */
}

void hl_list_clear(hl_runtime *rt, hl_object *list)
{
    list_clear_items(rt, (list_object *)list);
}
