/*
 * objects/weakref.c — weak references, as CPython's weakref.ref.
 *
 * A referent that supports weak references (a type with weaklist_offset)
 * keeps the head of a doubly linked list of the weakrefs to it:
 *
 *     referent.weaklist -> wr1 <-> wr2 <-> ... (prev/next in each weakref)
 *
 * A weakref is a container: it holds its callback object strongly (visited
 * by traverse) and its referent not at all.  Invariants: a weakref is on its
 * referent's list exactly while `referent` is non-NULL; a cleared weakref
 * (referent NULL) never becomes live again.
 *
 * When the referent dies by reference counting, every weakref to it is
 * cleared and each one's callback runs once (PyObject_ClearWeakRefs).  When
 * a collection finds the referent unreachable, the shared phases
 * (collectors/gc_core.c) clear the weakrefs first and call back only those
 * weakrefs that are themselves reachable, as CPython's handle_weakrefs.
 */
#include "runtime.h"

#include <stddef.h>

typedef struct weakref_object {
    hl_object ob;
    hl_object *referent;          /* not owned; NULL once cleared */
    hl_object *callback;          /* owned, may be NULL */
    hl_weakref_fn fn;             /* called with (weakref, callback) */
    struct weakref_object *prev;  /* in the referent's list */
    struct weakref_object *next;
} weakref_object;

static void unlink_ref(weakref_object *wr)
{
    hl_object **head = hl_weaklist_of(wr->referent);
    if (wr->prev)
        wr->prev->next = wr->next;
    else
        *head = (hl_object *)wr->next;
    if (wr->next)
        wr->next->prev = wr->prev;
    wr->prev = wr->next = NULL;
    wr->referent = NULL;
}

void hl_weakref_clear_ref(hl_object *weakref)
{
    weakref_object *wr = (weakref_object *)weakref;
    if (wr->referent)
        unlink_ref(wr);
}

static int weakref_traverse(hl_object *op, hl_visit_fn visit, void *arg)
{
    weakref_object *wr = (weakref_object *)op;
    return wr->callback ? visit(wr->callback, arg) : 0;
}

static void weakref_clear(hl_runtime *rt, hl_object *op)
{
    weakref_object *wr = (weakref_object *)op;
    hl_weakref_clear_ref(op);
    hl_clearref(rt, &wr->callback);
}

static void weakref_dealloc(hl_runtime *rt, hl_object *op)
{
    weakref_clear(rt, op);
    hl_object_free(rt, op, sizeof(weakref_object));
}

const hl_type hl_weakref_type = {
    .name = "weakref",
    .basic_size = sizeof(weakref_object),
    .flags = HL_TYPE_CONTAINER,
    .traverse = weakref_traverse,
    .clear = weakref_clear,
    .dealloc = weakref_dealloc,
};

bool hl_is_weakref(const hl_object *op)
{
    return op->type == &hl_weakref_type;
}

bool hl_weakref_supported(const hl_object *op)
{
    return op->type->weaklist_offset != 0;
}

hl_object *hl_weakref_new(hl_runtime *rt, hl_object *referent, hl_object *callback,
                          hl_weakref_fn fn)
{
    if (!hl_weakref_supported(referent))
        return NULL;
    weakref_object *wr =
        (weakref_object *)hl_object_new(rt, &hl_weakref_type, sizeof(weakref_object));
    if (wr == NULL)
        return NULL;
    hl_object **head = hl_weaklist_of(referent);
    wr->referent = referent;
    wr->callback = callback;
    hl_xincref(callback);
    wr->fn = fn;
    wr->prev = NULL;
    wr->next = (weakref_object *)*head;
    if (wr->next)
        wr->next->prev = wr;
    *head = &wr->ob;
    hl_gc_track(rt, &wr->ob);
    return &wr->ob;
}

hl_object *hl_weakref_get(const hl_object *weakref)
{
    /* A referent whose count reached zero is dead even while it waits for
       its dealloc (runtime.h): wr() is None then. */
    hl_object *referent = ((const weakref_object *)weakref)->referent;
    return referent && hl_is_alive(referent) ? referent : NULL;
}

hl_object *hl_weakref_callback(const hl_object *weakref)
{
    return ((const weakref_object *)weakref)->callback;
}

bool hl_weakref_has_callback(const hl_object *weakref)
{
    const weakref_object *wr = (const weakref_object *)weakref;
    return wr->fn != NULL;
}

size_t hl_weakref_count(const hl_object *referent)
{
    size_t n = 0;
    hl_object **head = hl_weaklist_of((hl_object *)referent);
    for (weakref_object *wr = head ? (weakref_object *)*head : NULL; wr; wr = wr->next)
        n++;
    return n;
}

/* Runs the callback of a cleared weakref once; the caller holds a
   reference to the weakref. */
void hl_weakref_call(hl_runtime *rt, hl_object *weakref)
{
    weakref_object *wr = (weakref_object *)weakref;
    hl_weakref_fn fn = wr->fn;
    if (fn == NULL)
        return;
    wr->fn = NULL;
    fn(rt, weakref, wr->callback);
}

void hl_weakrefs_clear_and_call(hl_runtime *rt, hl_object *referent)
{
    hl_object **head = hl_weaklist_of(referent);
    /* Clear them all first, so no callback sees a weakref still pointing at
       the dying object, then call back in list order. */
    weakref_object *pending = NULL, *last = NULL;
    while (*head) {
        weakref_object *wr = (weakref_object *)*head;
        unlink_ref(wr);
        /* A weakref whose own count reached zero is dead, even while it
           waits on the dealloc stack: no callback (PyObject_ClearWeakRefs
           calls back only weakrefs with a positive count). */
        if (wr->fn == NULL || !hl_is_alive(&wr->ob))
            continue;
        hl_incref(&wr->ob); /* alive until its callback has run */
        wr->next = NULL;
        if (last)
            last->next = wr;
        else
            pending = wr;
        last = wr;
    }
    while (pending) {
        weakref_object *wr = pending;
        pending = wr->next;
        wr->next = NULL;
        hl_weakref_call(rt, &wr->ob);
        hl_decref(rt, &wr->ob);
    }
}
