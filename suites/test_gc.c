/*
 * suites/test_gc.c — CPython's Lib/test/test_gc.py (GCTests, 3.11/3.12),
 * the collection and gc-module cases, plus the tracking cases of
 * test_tuple.py and test_dict.py.  Each case quotes the Python it mirrors.
 *
 * Counts are CPython 3.11's.  There an instance keeps its attributes inline
 * (no __dict__ object unless one is asked for), so a self-referencing
 * instance is one object; a heaplab instance with slots is one object too.
 * Where CPython asserts only "!= 0" (its classes drag in half a dozen
 * objects), the case asserts heaplab's exact count and says what it is.
 *
 * Every case runs on every stack, and asserts what that stack does:
 *   generational  CPython's three generations, exactly;
 *   stw           one space: every collection is full (collect(g) for any g
 *                 collects everything), get_count() is (allocations since
 *                 the last collection, 0, 0), get_objects(1 or 2) is no
 *                 generation;
 *   none          collect() runs, reports and finds 0; cycles stay until the
 *                 runtime is destroyed (FOUND / ALSO_LEAKED record them).
 */
#include "suite.h"

#include <stdlib.h>

#define LIVE() ((long)hl_runtime_live_objects(t->rt))
#define GENERATIONAL (hl_gc_generations(t->rt) == 3)
/* What a collection returns on a tracing collector; none finds nothing. */
#define TRACING(n) (t->tracing ? (long)(n) : 0L)

enum { CALLS, SEEN }; /* t->counter[]: state finalizers keep past the case */

static hl_object *new_class(hl_test *t, const char *name, size_t slots, hl_finalizer_fn fin,
                            hl_finalizer_fn legacy)
{
    return hl_class_new(t->rt, &(hl_class_spec){.name = name, .slots = slots, .finalize = fin,
                                                 .legacy_del = legacy, .user = t});
}

/* An instance whose slot 0 refers to itself (self.me = self). */
static hl_object *self_loop(hl_runtime *rt, hl_object *cls)
{
    hl_object *op = hl_instance_new(rt, cls);
    if (op)
        hl_instance_set(rt, op, 0, op);
    return op;
}

/*
 * A class in a cycle through its own method resolution order, as every
 * CPython class is: A.__dict__['__mro__'] = (A, *bases).  Three objects:
 * the class, its dict, the tuple.
 */
static hl_object *class_with_mro(hl_test *t, const char *name, size_t slots, size_t nbases,
                                 hl_object *const *bases)
{
    hl_object *cls = new_class(t, name, slots, NULL, NULL);
    if (cls == NULL)
        return NULL;
    hl_object *items[4] = {cls};
    for (size_t i = 0; i < nbases && i < 3; i++)
        items[i + 1] = bases[i];
    hl_object *mro = hl_tuple_pack(t->rt, 1 + nbases, items);
    int r = mro ? hl_dict_set_str(t->rt, hl_class_dict(cls), "__mro__", mro) : -1;
    hl_xdecref(t->rt, mro);
    if (r != 0) {
        hl_decref(t->rt, cls);
        return NULL;
    }
    return cls;
}

static uint64_t collections(hl_runtime *rt)
{
    hl_gc_stats s;
    hl_gc_get_stats(rt, &s);
    return s.generation[0].collections + s.generation[1].collections +
           s.generation[2].collections;
}

/* 1 when op is in gc.get_objects(generation), 0 when not, -1 when there is
   no such generation. */
static int listed(hl_runtime *rt, int generation, const hl_object *op)
{
    hl_object *all = hl_gc_get_objects(rt, generation);
    if (all == NULL)
        return -1;
    int found = 0;
    for (size_t i = 0; i < hl_list_size(all); i++)
        found |= hl_list_get(all, i) == op;
    hl_decref(rt, all);
    return found;
}

/* ---- the object graphs ------------------------------------------------- */

/* l = []; l.append(l); gc.collect(); del l; gc.collect() == 1 */
static hl_test_result test_list(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(l, hl_list_new(rt, 0));
    OK(hl_list_append(rt, l, l));
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    DEL(l);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(1));
    return HL_TEST_PASS;
}

/* d = {}; d[1] = d; gc.collect(); del d; gc.collect() == 1 */
static hl_test_result test_dict(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(d, hl_dict_new(rt));
    LET(one, hl_int(rt, 1));
    OK(hl_dict_set(rt, d, one, d));
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    DEL(d);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(1));
    return HL_TEST_PASS;
}

/* l = []; t = (l,); l.append(t); gc.collect(); del t, l; gc.collect() == 2 */
static hl_test_result test_tuple(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(l, hl_list_new(rt, 0));
    LET(tup, hl_tuple_pack(rt, 1, &l));
    OK(hl_list_append(rt, l, tup));
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    DEL(tup);
    DEL(l);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(2));
    return HL_TEST_PASS;
}

/* class A: pass; A.a = A; gc.collect(); del A; gc.collect() != 0
   — here the class and its dict */
static hl_test_result test_class(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(A, new_class(t, "A", 0, NULL, NULL));
    OK(hl_dict_set_str(rt, hl_class_dict(A), "a", A));
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    DEL(A);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(2));
    return HL_TEST_PASS;
}

/* class A(object): pass; gc.collect(); del A; gc.collect() != 0
   — a class is garbage on its own through its __mro__: class, dict, tuple */
static hl_test_result test_newstyleclass(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(A, class_with_mro(t, "A", 0, 0, NULL));
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    DEL(A);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(3));
    return HL_TEST_PASS;
}

/* class A: pass; a = A(); a.a = a; gc.collect(); del a; gc.collect() != 0
   — 1 in CPython 3.11, as here */
static hl_test_result test_instance(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(A, new_class(t, "A", 1, NULL, NULL));
    LET(a, self_loop(rt, A));
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    DEL(a);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(1));
    ALSO_LEAKED(1); /* class A, held by the leaked instance */
    return HL_TEST_PASS;
}

/* a = A(); a.a = a; del a -> found; class C(B, A); a = C(); a.a = a; del a
   -> found; del B, C -> found; A.a = A(); del A -> found; then 0 */
static hl_test_result test_newinstance(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(A, class_with_mro(t, "A", 1, 0, NULL));
    LET(a, self_loop(rt, A));
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    DEL(a);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(1));
    LET(B, class_with_mro(t, "B", 1, 0, NULL));
    hl_object *bases[] = {B, A};
    LET(C, class_with_mro(t, "C", 1, 2, bases));
    LET(c, self_loop(rt, C));
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    DEL(c);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(1));
    DEL(B);
    DEL(C);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(6)); /* B and C: class, dict, __mro__ each */
    LET(inst, hl_instance_new(rt, A));
    OK(hl_dict_set_str(rt, hl_class_dict(A), "a", inst));
    DEL(inst);
    DEL(A);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(4)); /* A, its dict and __mro__, A.a */
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    return HL_TEST_PASS;
}

/* class A: def __init__(self): self.init = self.__init__
   a = A(); gc.collect(); del a; gc.collect() != 0 — 2 in CPython 3.11: the
   instance and the bound method that holds it */
static hl_test_result test_method(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(A, new_class(t, "A", 1, NULL, NULL));
    LET(Method, new_class(t, "method", 1, NULL, NULL));
    LET(a, hl_instance_new(rt, A));
    LET(bound, hl_instance_new(rt, Method));
    hl_instance_set(rt, bound, 0, a); /* __self__ */
    hl_instance_set(rt, a, 0, bound); /* a.init */
    DEL(bound);
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    DEL(a);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(2));
    ALSO_LEAKED(2); /* the two classes */
    return HL_TEST_PASS;
}

/* d = {}; exec("def f(): pass\n", d)   (f.__globals__ is d, d['f'] is f)
   gc.collect(); del d; gc.collect() == 2 */
static hl_test_result test_function(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(Function, new_class(t, "function", 1, NULL, NULL));
    LET(d, hl_dict_new(rt));
    LET(f, hl_instance_new(rt, Function));
    hl_instance_set(rt, f, 0, d); /* f.__globals__ */
    OK(hl_dict_set_str(rt, d, "f", f));
    DEL(f);
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    DEL(d);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(2));
    ALSO_LEAKED(1); /* class function */
    return HL_TEST_PASS;
}

/* def f(): frame = sys._getframe()   (the frame holds itself in a local)
   gc.collect(); f(); gc.collect() == 1 */
static hl_test_result test_frame(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(Frame, new_class(t, "frame", 3, NULL, NULL)); /* f_back, f_code, local 'frame' */
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    LET(frame, hl_instance_new(rt, Frame));
    hl_instance_set(rt, frame, 2, frame);
    DEL(frame); /* f() returns */
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(1));
    ALSO_LEAKED(1); /* class frame */
    return HL_TEST_PASS;
}

/* gc.collect(); gc.garbage == []; L = []; L.append(L)
   gc.set_debug(DEBUG_SAVEALL); del L; gc.collect(); gc.set_debug(debug)
   len(gc.garbage) == 1; gc.garbage.pop() is L */
static hl_test_result test_saveall(hl_test *t)
{
    hl_runtime *rt = t->rt;
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    hl_object *garbage = hl_gc_garbage(rt);
    CHECK(garbage != NULL);
    CHECK_EQ(hl_list_size(garbage), 0);
    LET(L, hl_list_new(rt, 0));
    OK(hl_list_append(rt, L, L));
    const hl_object *id_L = L;
    unsigned debug = hl_gc_get_debug(rt);
    hl_gc_set_debug(rt, debug | HL_GC_DEBUG_SAVEALL);
    CHECK_EQ(hl_gc_get_debug(rt), debug | HL_GC_DEBUG_SAVEALL);
    DEL(L);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(1)); /* saved objects are counted */
    hl_gc_set_debug(rt, debug);
    CHECK_EQ(hl_list_size(garbage), TRACING(1));
    if (t->tracing) {
        LET(obj, hl_list_pop(rt, garbage));
        CHECK(obj == id_L && hl_list_get(obj, 0) == obj); /* saved intact */
        long before = LIVE();
        hl_list_clear(rt, obj); /* del obj[:] */
        DEL(obj);
        CHECK_EQ(LIVE(), before - 1);
    }
    return HL_TEST_PASS;
}

/* A class whose __del__ allocates (dir(self) builds a list): every
   container allocation may start an automatic collection. */
static void dir_self(hl_runtime *rt, hl_object *self, void *user)
{
    hl_test *t = user;
    t->counter[CALLS]++;
    uint64_t before = collections(rt);
    hl_object *names = hl_list_new(rt, 0);
    for (int i = 0; names && i < 16; i++) {
        hl_object *name = hl_list_new(rt, 0);
        if (name == NULL || hl_list_append(rt, names, name) != 0)
            i = 16;
        hl_xdecref(rt, name);
    }
    hl_xdecref(rt, names);
    t->counter[SEEN] += (int)(collections(rt) - before);
}

/* thresholds = gc.get_threshold(); gc.enable(); gc.set_threshold(1)
   class A: def __del__(self): dir(self)
   a = A(); del a; gc.disable(); gc.set_threshold(*thresholds)
   — the finalizer runs once, and automatic collections run inside it on a
   tracing collector (none collects nothing automatically) */
static hl_test_result check_del(hl_test *t, bool with_dict)
{
    hl_runtime *rt = t->rt;
    size_t thresholds[HL_GC_GENERATIONS];
    hl_gc_get_threshold(rt, thresholds);
    hl_gc_enable(rt);
    OK(hl_gc_set_threshold(rt, 1, thresholds[1], thresholds[2]));
    size_t now[HL_GC_GENERATIONS];
    hl_gc_get_threshold(rt, now);
    CHECK_EQ(now[0], TRACING(1)); /* none has no thresholds: reports 0 */
    LET(A, new_class(t, "A", 1, dir_self, NULL));
    LET(a, hl_instance_new(rt, A));
    if (with_dict) { /* class A(object): instances with a __dict__ */
        LET(one, hl_int(rt, 1));
        OK(hl_setattr(rt, a, "x", one));
    }
    DEL(a);
    CHECK_EQ(t->counter[CALLS], 1);
    CHECK(t->tracing ? t->counter[SEEN] > 0 : t->counter[SEEN] == 0);
    OK(hl_gc_set_threshold(rt, thresholds[0], thresholds[1], thresholds[2]));
    return HL_TEST_PASS;
}

static hl_test_result test_del(hl_test *t)
{
    return check_del(t, false);
}

static hl_test_result test_del_newclass(hl_test *t)
{
    return check_del(t, true);
}

/* gc.collect(); a, b, c = gc.get_count(); x = []; d, e, f = gc.get_count()
   (b, c) == (e, f) == (0, 0); a < 5; d > a */
static hl_test_result test_get_count(hl_test *t)
{
    hl_runtime *rt = t->rt;
    size_t before[HL_GC_GENERATIONS], after[HL_GC_GENERATIONS];
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    hl_gc_get_count(rt, before);
    LET(x, hl_list_new(rt, 0));
    hl_gc_get_count(rt, after);
    CHECK(before[1] == 0 && before[2] == 0 && after[1] == 0 && after[2] == 0);
    CHECK_EQ(before[0], 0);                    /* nothing else allocates here */
    CHECK_EQ(after[0], TRACING(before[0] + 1)); /* none keeps no counts */
    return HL_TEST_PASS;
}

/* gc.collect(); x = []; gc.collect(0) -> (_, 1, 0); gc.collect(1) ->
   (_, 0, 1); gc.collect(2) -> (_, 0, 0).  A single space has no older
   generation to count collections for: (0, 0, 0) throughout. */
static hl_test_result test_collect_generations(hl_test *t)
{
    hl_runtime *rt = t->rt;
    size_t c[3][HL_GC_GENERATIONS];
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    LET(x, hl_list_new(rt, 0));
    for (int g = 0; g < 3; g++) {
        CHECK_EQ(hl_gc_collect(rt, g), 0);
        hl_gc_get_count(rt, c[g]);
        CHECK_EQ(c[g][0], 0);
    }
    bool gens = GENERATIONAL;
    CHECK(c[0][1] == (gens ? 1u : 0u) && c[0][2] == 0);
    CHECK(c[1][1] == 0 && c[1][2] == (gens ? 1u : 0u));
    CHECK(c[2][1] == 0 && c[2][2] == 0);
    return HL_TEST_PASS;
}

/* class Ouch: def __del__(self): Ouch.n += 1; if Ouch.n % 17 == 0: gc.collect() */
static void ouch_del(hl_runtime *rt, hl_object *self, void *user)
{
    hl_test *t = user;
    if (++t->counter[CALLS] % 17 == 0)
        t->counter[SEEN] += hl_gc_collect(rt, 2) >= 0;
}

/* t = [t, Ouch()] nested N deep; `head` is replaced by the new outermost. */
static hl_object *ouch_nest(hl_runtime *rt, hl_object *Ouch, hl_object *head, bool dict)
{
    hl_object *outer = dict ? hl_dict_new(rt) : hl_list_new(rt, 2);
    hl_object *ouch = hl_instance_new(rt, Ouch);
    hl_object *one = hl_int(rt, 1), *two = hl_int(rt, 2);
    int r = outer && ouch && one && two ? 0 : -1;
    if (r == 0 && dict)
        r = hl_dict_set(rt, outer, one, head) || hl_dict_set(rt, outer, two, ouch) ? -1 : 0;
    else if (r == 0)
        r = hl_list_append(rt, outer, head) || hl_list_append(rt, outer, ouch) ? -1 : 0;
    hl_xdecref(rt, ouch);
    hl_xdecref(rt, one);
    hl_xdecref(rt, two);
    if (r != 0)
        hl_clearref(rt, &outer);
    return outer;
}

/* gc.enable(); N = 150
   for count in range(2): t = []; t = [t, Ouch()] N times; u likewise;
                          v = {}; v = {1: v, 2: Ouch()} N times
   — deep nests freed by reference counting while finalizers collect; then
   the same nest closed into a cycle and freed by a collection */
static hl_test_result test_trashcan(hl_test *t)
{
    hl_runtime *rt = t->rt;
    const int N = 150;
    hl_gc_enable(rt);
    LET(Ouch, new_class(t, "Ouch", 0, ouch_del, NULL));
    hl_object *held[3] = {NULL, NULL, NULL};
    for (int count = 0; count < 2; count++) {
        for (int k = 0; k < 3; k++) {
            DEL(held[k]); /* rebinding t, u, v frees the previous nest */
            SET(held[k], k == 2 ? hl_dict_new(rt) : hl_list_new(rt, 0));
            for (int i = 0; i < N; i++) {
                hl_object *next = ouch_nest(rt, Ouch, held[k], k == 2);
                DEL(held[k]);
                SET(held[k], next);
            }
        }
    }
    for (int k = 0; k < 3; k++)
        DEL(held[k]);
    CHECK_EQ(t->counter[CALLS], 2 * 3 * N);
    CHECK_EQ(t->counter[SEEN], 2 * 3 * N / 17);
    LET(innermost, hl_list_new(rt, 0));
    hl_object *nest = innermost;
    hl_incref(nest);
    for (int i = 0; i < N; i++) {
        hl_object *next = ouch_nest(rt, Ouch, nest, false);
        hl_decref(rt, nest);
        nest = next;
        CHECK(nest != NULL);
    }
    int appended = hl_list_append(rt, innermost, nest); /* the innermost holds the outermost */
    hl_decref(rt, nest);
    CHECK_EQ(appended, 0);
    DEL(innermost);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(2 * N + 1)); /* N + 1 lists, N Ouch */
    CHECK_EQ(t->counter[CALLS], 2 * 3 * N + TRACING(N));
    ALSO_LEAKED(1); /* class Ouch */
    return HL_TEST_PASS;
}
