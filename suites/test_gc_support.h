/*
 * suites/test_gc_support.h — what the suites derived from CPython's
 * test_gc.py, test_finalization.py and test_weakref.py share: the result
 * macros, the counter slots, and the classes that model Python objects.
 * Static inline only, for suites/test_gc*.c.
 *
 * Models: a new-style class is in a cycle through its __mro__ (class,
 * dict, tuple), as every CPython class is; a bound method is an instance
 * of class "method" holding __self__; a function used as a weakref
 * callback is an instance of class "function" (its closure in slots), and
 * finds its test through its class's user pointer.
 */
#ifndef HEAPLAB_TEST_GC_SUPPORT_H
#define HEAPLAB_TEST_GC_SUPPORT_H

#include "suite.h"

#define LIVE() ((long)hl_runtime_live_objects(t->rt))
#define GENERATIONAL (hl_gc_generations(t->rt) == 3)
/* What a collection returns on a tracing collector; none finds nothing. */
#define TRACING(n) (t->tracing ? (long)(n) : 0L)
/* gc.collect(); del var; assert gc.collect() == n */
#define COLLECT_AFTER_DEL(var, n)                                                        \
    do {                                                                                 \
        CHECK_EQ(hl_gc_collect(rt, 2), 0);                                               \
        DEL(var);                                                                        \
        CHECK_EQ(hl_gc_collect(rt, 2), FOUND(n));                                        \
    } while (0)
/* A case that is another one with arguments. */
#define VARIANT(name, call)                                                              \
    static hl_test_result name(hl_test *t)                                               \
    {                                                                                    \
        return call;                                                                     \
    }

/* t->counter[] slots: finalizers and callbacks keep their records there,
   never in C locals, because on `none` they run when the runtime is
   destroyed.  Callbacks count their CALLS, what they have SEEN, and whether
   an awaited event HAPPENED; */
enum { CALLS, SEEN, HAPPENED };
/* the finalization suites count __del__ and tp_del calls and failed sanity
   checks, and set CLEANING when the case tears down (finalizers then do
   nothing). */
enum { DELS, TP_DELS, ERRORS, CLEANING };

/* A class whose instances have `slots` slots, a finalizer and optionally
   a legacy (tp_del) one; both are given the test. */
static inline hl_object *plain_class(hl_test *t, const char *name, size_t slots,
                                     hl_finalizer_fn fin, hl_finalizer_fn legacy)
{
    return hl_class_new(t->rt, &(hl_class_spec){.name = name, .slots = slots, .finalize = fin,
                                                 .legacy_del = legacy, .user = t});
}

static inline hl_object *new_class(hl_test *t, const char *name, size_t slots,
                                   hl_finalizer_fn fin)
{
    return plain_class(t, name, slots, fin, NULL);
}

/* A class in a cycle through its method resolution order, as every CPython
   class is: A.__dict__['__mro__'] = (A, *bases) — class, dict, tuple. */
static inline hl_object *class_with_mro(hl_test *t, const char *name, size_t slots,
                                        size_t nbases, hl_object *const *bases)
{
    hl_object *items[3] = {new_class(t, name, slots, NULL)};
    for (size_t i = 0; i < nbases && i < 2; i++)
        items[i + 1] = bases[i];
    hl_object *mro = items[0] ? hl_tuple_pack(t->rt, 1 + nbases, items) : NULL;
    int r = mro ? hl_dict_set_str(t->rt, hl_class_dict(items[0]), "__mro__", mro) : -1;
    hl_xdecref(t->rt, mro);
    if (r != 0)
        hl_clearref(t->rt, &items[0]);
    return items[0];
}
#define MRO_CLASS 3 /* objects in a class_with_mro without bases */

/* Collections run so far, all generations together. */
static inline uint64_t collections(hl_runtime *rt)
{
    hl_gc_stats s;
    hl_gc_get_stats(rt, &s);
    return s.generation[0].collections + s.generation[1].collections +
           s.generation[2].collections;
}

/* The oldest generation's collected (or uncollectable) statistic. */
static inline uint64_t stat_of(hl_runtime *rt, bool uncollectable)
{
    hl_gc_stats s;
    hl_gc_get_stats(rt, &s);
    hl_gc_generation_stats *g = &s.generation[hl_gc_generations(rt) - 1];
    return uncollectable ? g->uncollectable : g->collected;
}

static inline void count_tp_del(hl_runtime *rt, hl_object *self, void *user)
{
    ((hl_test *)user)->counter[TP_DELS]++;
}

/* An instance with slot 0 set: a bound method (__self__), or a function
   whose closure holds `held`. */
static inline hl_object *holding(hl_runtime *rt, hl_object *cls, hl_object *held)
{
    hl_object *op = hl_instance_new(rt, cls);
    if (op)
        hl_instance_set(rt, op, 0, held);
    return op;
}

static inline hl_test *test_of(hl_object *callback)
{
    return hl_class_user(hl_instance_class(callback));
}

/* self.cbcalled += 1 */
static inline void count_call(hl_runtime *rt, hl_object *wr, hl_object *callback)
{
    test_of(callback)->counter[CALLS]++;
}

/* A callback whose closure holds a weakref (wself, c2wr): CALLS counts the
   runs, SEEN the runs in which that weakref still gave its object. */
static inline void count_live_referent(hl_runtime *rt, hl_object *wr, hl_object *callback)
{
    hl_test *t = test_of(callback);
    t->counter[CALLS]++;
    t->counter[SEEN] += hl_weakref_get(hl_instance_get(callback, 0)) != NULL;
}

#endif
