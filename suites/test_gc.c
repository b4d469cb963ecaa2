/*
 * suites/test_gc.c — CPython's Lib/test/test_gc.py (GCTests, 3.11/3.12): the
 * object graphs a collection must find, and the finalizers that run around
 * it (test_del, test_trashcan, the Boom cases).  Each case quotes the Python
 * it mirrors.  Counts are CPython 3.11's (checked on the same graphs): its
 * instances keep their attributes inline, so a self-referencing instance is
 * one object, as a heaplab instance with slots is.  Where CPython asserts
 * only "!= 0", the case asserts heaplab's exact count and says what it is
 * made of.  The gc module's own functions are in test_gc_module.c.
 *
 * Every case runs on every stack and asserts what that stack does: a full
 * collection on generational or stw finds the garbage; none runs and
 * reports collections that find 0, and cycles live until the runtime is
 * destroyed (FOUND / ALSO_LEAKED record them).
 */
#include "test_gc_support.h"

/* An instance whose slot 0 refers to itself (self.me = self). */
static hl_object *self_loop(hl_runtime *rt, hl_object *cls)
{
    hl_object *op = hl_instance_new(rt, cls);
    if (op)
        hl_instance_set(rt, op, 0, op);
    return op;
}

/* ---- the object graphs ------------------------------------------------- */

/* l = []; l.append(l); gc.collect(); del l; gc.collect() == 1 */
static hl_test_result test_list(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(l, hl_list_new(rt, 0));
    OK(hl_list_append(rt, l, l));
    COLLECT_AFTER_DEL(l, 1);
    return HL_TEST_PASS;
}

/* d = {}; d[1] = d; gc.collect(); del d; gc.collect() == 1 */
static hl_test_result test_dict(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(d, hl_dict_new(rt));
    LET(one, hl_int(rt, 1));
    OK(hl_dict_set(rt, d, one, d));
    COLLECT_AFTER_DEL(d, 1);
    return HL_TEST_PASS;
}

/* l = []; t = (l,); l.append(t); gc.collect(); del t, l; gc.collect() == 2 */
static hl_test_result test_tuple(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(l, hl_list_new(rt, 0));
    LET(tup, hl_tuple_pack(rt, 1, &l));
    OK(hl_list_append(rt, l, tup));
    DEL(tup);
    COLLECT_AFTER_DEL(l, 2);
    return HL_TEST_PASS;
}

/* class A: pass; A.a = A; gc.collect(); del A; gc.collect() != 0
   — the class and its dict */
static hl_test_result test_class(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(A, new_class(t, "A", 0, NULL));
    OK(hl_dict_set_str(rt, hl_class_dict(A), "a", A));
    COLLECT_AFTER_DEL(A, 2);
    return HL_TEST_PASS;
}

/* class A(object): pass; gc.collect(); del A; gc.collect() != 0
   — garbage on its own through its __mro__: class, dict, tuple */
static hl_test_result test_newstyleclass(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(A, class_with_mro(t, "A", 0, 0, NULL));
    COLLECT_AFTER_DEL(A, 3);
    return HL_TEST_PASS;
}

/* class A: pass; a = A(); a.a = a; gc.collect(); del a; gc.collect() != 0
   — 1 in CPython 3.11, as here */
static hl_test_result test_instance(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(A, new_class(t, "A", 1, NULL));
    LET(a, self_loop(rt, A));
    COLLECT_AFTER_DEL(a, 1);
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
    COLLECT_AFTER_DEL(a, 1);
    LET(B, class_with_mro(t, "B", 1, 0, NULL));
    LET(C, class_with_mro(t, "C", 1, 2, (hl_object *[]){B, A}));
    LET(c, self_loop(rt, C));
    COLLECT_AFTER_DEL(c, 1);
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
   a = A(); gc.collect(); del a; gc.collect() != 0 — 2 in CPython 3.11:
   the instance and the bound method holding it */
static hl_test_result test_method(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(A, new_class(t, "A", 1, NULL));
    LET(Method, new_class(t, "method", 1, NULL));
    LET(a, hl_instance_new(rt, A));
    LET(bound, hl_instance_new(rt, Method));
    hl_instance_set(rt, bound, 0, a); /* __self__ */
    hl_instance_set(rt, a, 0, bound); /* a.init */
    DEL(bound);
    COLLECT_AFTER_DEL(a, 2);
    ALSO_LEAKED(2); /* the two classes */
    return HL_TEST_PASS;
}

/* d = {}; exec("def f(): pass\n", d)   (f.__globals__ is d, d['f'] is f)
   gc.collect(); del d; gc.collect() == 2 */
static hl_test_result test_function(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(Function, new_class(t, "function", 1, NULL));
    LET(d, hl_dict_new(rt));
    LET(f, hl_instance_new(rt, Function));
    hl_instance_set(rt, f, 0, d); /* f.__globals__ */
    OK(hl_dict_set_str(rt, d, "f", f));
    DEL(f);
    COLLECT_AFTER_DEL(d, 2);
    ALSO_LEAKED(1); /* class function */
    return HL_TEST_PASS;
}

/* def f(): frame = sys._getframe()   (the frame holds itself in a local)
   gc.collect(); f(); gc.collect() == 1 */
static hl_test_result test_frame(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(Frame, new_class(t, "frame", 3, NULL)); /* f_back, f_code, local 'frame' */
    LET(frame, hl_instance_new(rt, Frame));
    hl_instance_set(rt, frame, 2, frame);
    COLLECT_AFTER_DEL(frame, 1); /* f() returns */
    ALSO_LEAKED(1);              /* class frame */
    return HL_TEST_PASS;
}

/* ---- finalizers around a collection ------------------------------------ */

/* class A: def __del__(self): dir(self) — dir() builds a list; here of
   lists, so each allocation may start an automatic collection */
static void dir_self(hl_runtime *rt, hl_object *self, void *user)
{
    hl_test *t = user;
    uint64_t before = collections(rt);
    hl_object *names = hl_list_new(rt, 0);
    for (int i = 0; names && i < 16; i++) {
        hl_object *name = hl_list_new(rt, 0);
        if (name == NULL || hl_list_append(rt, names, name) != 0)
            i = 16;
        hl_xdecref(rt, name);
    }
    hl_xdecref(rt, names);
    t->counter[CALLS]++;
    t->counter[SEEN] += (int)(collections(rt) - before);
}

/* thresholds = gc.get_threshold(); gc.enable(); gc.set_threshold(1)
   a = A(); del a; gc.set_threshold(*thresholds) — __del__ runs once, and on
   a tracing collector automatic collections run inside it.  _newclass: the
   instance has a __dict__. */
static hl_test_result check_del(hl_test *t, bool with_dict)
{
    hl_runtime *rt = t->rt;
    size_t old[HL_GC_GENERATIONS], now[HL_GC_GENERATIONS];
    hl_gc_get_threshold(rt, old);
    hl_gc_enable(rt);
    OK(hl_gc_set_threshold(rt, 1, old[1], old[2]));
    hl_gc_get_threshold(rt, now);
    CHECK_EQ(now[0], TRACING(1)); /* none has no thresholds: reports 0 */
    LET(A, new_class(t, "A", 1, dir_self));
    LET(a, hl_instance_new(rt, A));
    LET(one, hl_int(rt, 1));
    if (with_dict)
        OK(hl_setattr(rt, a, "x", one));
    DEL(a);
    CHECK_EQ(t->counter[CALLS], 1);
    CHECK(t->tracing ? t->counter[SEEN] > 0 : t->counter[SEEN] == 0);
    OK(hl_gc_set_threshold(rt, old[0], old[1], old[2]));
    return HL_TEST_PASS;
}
VARIANT(test_del, check_del(t, false))
VARIANT(test_del_newclass, check_del(t, true))

/* class Ouch: def __del__(self): Ouch.n += 1; if Ouch.n % 17 == 0: gc.collect() */
static void ouch_del(hl_runtime *rt, hl_object *self, void *user)
{
    hl_test *t = user;
    if (++t->counter[CALLS] % 17 == 0)
        t->counter[SEEN] += hl_gc_collect(rt, 2) >= 0;
}

/* [head, Ouch()], or {1: head, 2: Ouch()} */
static hl_object *ouch_nest(hl_runtime *rt, hl_object *Ouch, hl_object *head, bool dict)
{
    hl_object *outer = dict ? hl_dict_new(rt) : hl_list_new(rt, 2);
    hl_object *ouch = hl_instance_new(rt, Ouch), *one = hl_int(rt, 1), *two = hl_int(rt, 2);
    int r = outer && ouch && one && two ? 0 : -1;
    if (r == 0)
        r = dict ? hl_dict_set(rt, outer, one, head) || hl_dict_set(rt, outer, two, ouch)
                 : hl_list_append(rt, outer, head) || hl_list_append(rt, outer, ouch);
    hl_xdecref(rt, ouch);
    hl_xdecref(rt, one);
    hl_xdecref(rt, two);
    if (r != 0)
        hl_clearref(rt, &outer);
    return outer;
}

/* gc.enable(); N = 150; for count in range(2): t = []; t = [t, Ouch()] N
   times; u likewise; v = {}; v = {1: v, 2: Ouch()} N times — deep nests
   freed by reference counting while finalizers collect; then one closed
   into a cycle, freed by a collection that runs the finalizers */
static hl_test_result test_trashcan(hl_test *t)
{
    hl_runtime *rt = t->rt;
    const int N = 150;
    hl_gc_enable(rt);
    LET(Ouch, new_class(t, "Ouch", 0, ouch_del));
    hl_object *held[3] = {NULL, NULL, NULL}; /* t, u, v */
    for (int count = 0; count < 2; count++) {
        for (int k = 0; k < 3; k++) {
            DEL(held[k]); /* rebinding frees the previous nest */
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
    CHECK(t->counter[CALLS] == 2 * 3 * N && t->counter[SEEN] == 2 * 3 * N / 17);
    LET(innermost, hl_list_new(rt, 0));
    hl_object *nest = innermost;
    hl_incref(nest);
    for (int i = 0; i < N && nest; i++) {
        hl_object *next = ouch_nest(rt, Ouch, nest, false);
        hl_decref(rt, nest);
        nest = next;
    }
    int appended = nest ? hl_list_append(rt, innermost, nest) : -1;
    hl_xdecref(rt, nest);
    CHECK_EQ(appended, 0);
    DEL(innermost);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(2 * N + 1)); /* N + 1 lists, N Ouch */
    CHECK_EQ(t->counter[CALLS], 2 * 3 * N + TRACING(N));
    ALSO_LEAKED(1); /* class Ouch */
    return HL_TEST_PASS;
}

/* class Boom: def __getattr__(self, name): del self.attr; raise AttributeError
   a, b = Boom(), Boom(); a.attr = b; b.attr = a; gc.collect()
   garbagelen = len(gc.garbage); del a, b; gc.collect() == 2 (3.11)
   len(gc.garbage) == garbagelen — whether garbage has a finalizer is read
   from its type: no code runs, nothing is kept.  Boom2 holds x = 0 too; the
   _new classes are in their own __mro__ cycle, collected at the end. */
static hl_test_result check_boom(hl_test *t, bool boom2, bool new_style)
{
    hl_runtime *rt = t->rt;
    LET(Boom, new_style ? class_with_mro(t, "Boom_New", 2, 0, NULL)
                        : new_class(t, "Boom", 2, NULL));
    LET(a, hl_instance_new(rt, Boom));
    LET(b, hl_instance_new(rt, Boom));
    LET(zero, hl_int(rt, 0));
    hl_instance_set(rt, a, 0, b);
    hl_instance_set(rt, b, 0, a);
    hl_instance_set(rt, a, 1, boom2 ? zero : NULL);
    hl_instance_set(rt, b, 1, boom2 ? zero : NULL);
    hl_object *garbage = hl_gc_garbage(rt);
    CHECK(garbage && hl_gc_collect(rt, 2) == 0);
    size_t garbagelen = hl_list_size(garbage);
    uint64_t finalizers = hl_runtime_finalizers_run(rt);
    DEL(a);
    DEL(b);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(2));
    CHECK(hl_list_size(garbage) == garbagelen && hl_runtime_finalizers_run(rt) == finalizers);
    if (new_style)
        COLLECT_AFTER_DEL(Boom, 3);
    ALSO_LEAKED(new_style ? 0 : 1); /* class Boom, held by the leaked pair */
    return HL_TEST_PASS;
}
VARIANT(test_boom, check_boom(t, false, false))
VARIANT(test_boom2, check_boom(t, true, false))
VARIANT(test_boom_new, check_boom(t, false, true))
VARIANT(test_boom2_new, check_boom(t, true, true))

static const hl_test_case cases[] = {
    {"test_list", test_list, false},
    {"test_dict", test_dict, false},
    {"test_tuple", test_tuple, false},
    {"test_class", test_class, false},
    {"test_newstyleclass", test_newstyleclass, false},
    {"test_instance", test_instance, false},
    {"test_newinstance", test_newinstance, false},
    {"test_method", test_method, false},
    {"test_function", test_function, false},
    {"test_frame", test_frame, false},
    {"test_del", test_del, false},
    {"test_del_newclass", test_del_newclass, false},
    {"test_trashcan", test_trashcan, false},
    {"test_boom", test_boom, false},
    {"test_boom2", test_boom2, false},
    {"test_boom_new", test_boom_new, false},
    {"test_boom2_new", test_boom2_new, false},
};

const hl_suite hl_suite_test_gc = {
    .name = "test_gc",
    .description = "CPython's test_gc: object graphs, and the finalizers around a collection",
    .cases = cases,
    .count = sizeof cases / sizeof cases[0],
};
