/*
 * suites/test_gc_weakref.c — weak references and the collector: the GC
 * cases of CPython's Lib/test/test_weakref.py (ReferencesTestCase) and the
 * weakref cases of test_gc.py (bug 1055820), 3.11.  Each case quotes the
 * Python it mirrors.
 *
 * The rules under test (CPython's handle_weakrefs and
 * PyObject_ClearWeakRefs): when a collection finds an object unreachable,
 * every weakref to it is cleared before any callback or finalizer runs, so
 * no callback can reach garbage through a weakref; a weakref that is itself
 * garbage is cleared and its callback never runs; a reachable weakref's
 * callback runs once.  When an object dies by reference counting, all its
 * weakrefs are cleared first and then each callback runs, and an object
 * whose count has reached zero is never handed out by a weakref again.
 *
 * Models: a bound method is an instance of class "method" holding
 * __self__; a function used as a callback is an instance of class
 * "function" (its closure in slots); a new-style class is in a cycle
 * through its __mro__ (class, dict, tuple), as every CPython class is.  A
 * weakref callback finds its test through its class's user pointer.
 * On `none` no collection runs a callback; each case says what it sees.
 */
#include "suite.h"

#define LIVE() ((long)hl_runtime_live_objects(t->rt))
#define TRACING(n) (t->tracing ? (long)(n) : 0L)

enum { CALLS, SEEN, HAPPENED }; /* t->counter[] */

static hl_object *new_class(hl_test *t, const char *name, size_t slots, hl_finalizer_fn fin)
{
    return hl_class_new(t->rt, &(hl_class_spec){.name = name, .slots = slots, .finalize = fin,
                                                 .user = t});
}

/* A class in a cycle through its __mro__: class, dict, tuple. */
static hl_object *class_with_mro(hl_test *t, const char *name, size_t slots)
{
    hl_object *cls = new_class(t, name, slots, NULL);
    hl_object *mro = cls ? hl_tuple_pack(t->rt, 1, &cls) : NULL;
    int r = mro ? hl_dict_set_str(t->rt, hl_class_dict(cls), "__mro__", mro) : -1;
    hl_xdecref(t->rt, mro);
    if (r != 0)
        hl_clearref(t->rt, &cls);
    return cls;
}
#define MRO_CLASS 3 /* objects in a class_with_mro */

/* A case that is another one with arguments. */
#define VARIANT(name, call)                                                              \
    static hl_test_result name(hl_test *t)                                               \
    {                                                                                    \
        return call;                                                                     \
    }

/* An instance with slot 0 set: a bound method (__self__), or a function
   whose closure holds `held`. */
static hl_object *holding(hl_runtime *rt, hl_object *cls, hl_object *held)
{
    hl_object *op = hl_instance_new(rt, cls);
    if (op)
        hl_instance_set(rt, op, 0, held);
    return op;
}

static hl_test *test_of(hl_object *callback)
{
    return hl_class_user(hl_instance_class(callback));
}

/* self.cbcalled += 1 */
static void count_call(hl_runtime *rt, hl_object *wr, hl_object *callback)
{
    test_of(callback)->counter[CALLS]++;
}

/* alist.append(...): the callback object is the list itself */
static void append_marker(hl_runtime *rt, hl_object *wr, hl_object *alist)
{
    hl_object *marker = hl_str(rt, "called");
    if (marker)
        (void)hl_list_append(rt, alist, marker);
    hl_xdecref(rt, marker);
}

/* ---- reference counting -------------------------------------------------- */

/* o = C(); ref = weakref.ref(o, self.callback); del o
   self.cbcalled == 1; ref() is None */
static hl_test_result test_basic_callback(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(C, new_class(t, "C", 0, NULL));
    LET(Function, new_class(t, "function", 1, NULL));
    LET(callback, hl_instance_new(rt, Function));
    LET(o, hl_instance_new(rt, C));
    LET(ref, hl_weakref_new(rt, o, callback, count_call));
    CHECK(hl_weakref_get(ref) == o && hl_weakref_callback(ref) == callback);
    DEL(o);
    CHECK(t->counter[CALLS] == 1 && hl_weakref_get(ref) == NULL);
    hl_gc_collect(rt, 2);
    CHECK_EQ(t->counter[CALLS], 1);
    return HL_TEST_PASS;
}

/* o = C(); ref1 = weakref.ref(o, self.callback); ref2 = likewise; del o
   ref1() and ref2() are None; self.cbcalled == 2 */
static hl_test_result test_multiple_callbacks(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(C, new_class(t, "C", 0, NULL));
    LET(Function, new_class(t, "function", 1, NULL));
    LET(callback, hl_instance_new(rt, Function));
    LET(o, hl_instance_new(rt, C));
    LET(ref1, hl_weakref_new(rt, o, callback, count_call));
    LET(ref2, hl_weakref_new(rt, o, callback, count_call));
    CHECK_EQ(hl_weakref_count(o), 2);
    DEL(o);
    CHECK(hl_weakref_get(ref1) == NULL && hl_weakref_get(ref2) == NULL);
    CHECK_EQ(t->counter[CALLS], 2);
    return HL_TEST_PASS;
}

/* def callback(object): self.ref()   (a weakref to the dying object)
   c = C(); self.ref = weakref.ref(c, callback); ref1 = weakref.ref(c,
   callback); del c — every weakref is cleared before any callback runs */
static void sees_cleared(hl_runtime *rt, hl_object *wr, hl_object *callback)
{
    hl_test *t = test_of(callback);
    t->counter[CALLS]++;
    for (size_t i = 0; i < 2; i++) {
        hl_object *ref = hl_instance_get(callback, i);
        t->counter[SEEN] += ref && hl_weakref_get(ref) != NULL;
    }
}

static hl_test_result test_multiple_selfref_callbacks(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(C, new_class(t, "C", 0, NULL));
    LET(Function, new_class(t, "function", 2, NULL));
    LET(callback, hl_instance_new(rt, Function));
    LET(c, hl_instance_new(rt, C));
    LET(ref, hl_weakref_new(rt, c, callback, sees_cleared));
    LET(ref1, hl_weakref_new(rt, c, callback, sees_cleared));
    hl_instance_set(rt, callback, 0, ref);
    hl_instance_set(rt, callback, 1, ref1);
    DEL(c);
    CHECK(t->counter[CALLS] == 2 && t->counter[SEEN] == 0);
    hl_instance_set(rt, callback, 0, NULL); /* the closure's cycle, dropped */
    hl_instance_set(rt, callback, 1, NULL);
    return HL_TEST_PASS;
}

/* class Target: def __del__(self): global ref_from_del;
   ref_from_del = weakref.ref(self)
   w = Target(); (dropped) — the weakref made by __del__ is cleared when
   the object goes (bug 1377858: it pointed at freed memory) */
static void ref_self(hl_runtime *rt, hl_object *self, void *user)
{
    hl_object *dict = hl_class_dict(hl_instance_class(self));
    hl_object *ref = dict ? hl_weakref_new(rt, self, NULL, NULL) : NULL;
    if (ref)
        (void)hl_dict_set_str(rt, dict, "ref_from_del", ref);
    hl_xdecref(rt, ref);
}

static hl_test_result test_ref_created_during_del(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(Target, new_class(t, "Target", 0, ref_self));
    LET(w, hl_instance_new(rt, Target));
    DEL(w);
    hl_object *ref = hl_dict_get_str(hl_class_dict(Target), "ref_from_del");
    CHECK(ref != NULL && hl_weakref_get(ref) == NULL);
    return HL_TEST_PASS;
}

/* lambda ignore: gc.collect() */
static void collect_in_callback(hl_runtime *rt, hl_object *wr, hl_object *callback)
{
    hl_test *t = test_of(callback);
    t->counter[CALLS]++;
    t->counter[SEEN] += hl_gc_collect(rt, 2) >= 0;
}

/* class C(object): pass
   c = C(); wr = weakref.ref(c, lambda ignore: gc.collect()); del c; del wr
   c1 = C(); c1.i = C(); wr = weakref.ref(c1.i, lambda ignore: gc.collect())
   c2 = C(); c2.c1 = c1; del c1; del c2
   — a callback that collects while objects are being torn down must not
   hand the dying object to the collector (bug 840829: a double free) */
static hl_test_result test_sf_bug_840829(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(C, new_class(t, "C", 1, NULL));
    LET(Function, new_class(t, "function", 1, NULL));
    LET(lambda, hl_instance_new(rt, Function));
    long before = LIVE();
    LET(c, hl_instance_new(rt, C));
    LET(wr, hl_weakref_new(rt, c, lambda, collect_in_callback));
    DEL(c);
    DEL(wr);
    LET(c1, hl_instance_new(rt, C));
    LET(i, hl_instance_new(rt, C));
    hl_instance_set(rt, c1, 0, i);
    SET(wr, hl_weakref_new(rt, i, lambda, collect_in_callback));
    DEL(i);
    LET(c2, hl_instance_new(rt, C));
    hl_instance_set(rt, c2, 0, c1);
    DEL(c1);
    DEL(c2);
    CHECK(t->counter[CALLS] == 2 && t->counter[SEEN] == 2);
    DEL(wr);
    CHECK_EQ(LIVE(), before);
    return HL_TEST_PASS;
}

/* class ObjectWithDel(Object): def __del__(self): pass
   x = ObjectWithDel(1); ref1 = weakref.ref(x, lambda ref: gc_collect())
   del x; gc_collect() — __del__ first, then the collecting callback */
static void count_del(hl_runtime *rt, hl_object *self, void *user)
{
    ((hl_test *)user)->counter[HAPPENED]++;
}

static hl_test_result test_callback_gcs(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(ObjectWithDel, new_class(t, "ObjectWithDel", 1, count_del));
    LET(Function, new_class(t, "function", 1, NULL));
    LET(lambda, hl_instance_new(rt, Function));
    LET(arg, hl_int(rt, 1));
    LET(x, holding(rt, ObjectWithDel, arg));
    LET(ref1, hl_weakref_new(rt, x, lambda, collect_in_callback));
    DEL(x);
    CHECK(t->counter[HAPPENED] == 1 && t->counter[CALLS] == 1 && t->counter[SEEN] == 1);
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    CHECK(hl_weakref_get(ref1) == NULL && t->counter[HAPPENED] == 1);
    return HL_TEST_PASS;
}

/* ---- collections ------------------------------------------------------- */

/* class J(object): pass; class II(object): def acallback(self, ignore): self.J
   I = II(); I.J = J; I.wr = weakref.ref(J, I.acallback); del I, J, II
   gc.collect() — I.wr is garbage itself, so its callback must not run (it
   would see cleared objects).  Found: J and II (class, dict, __mro__), I,
   the bound method, the weakref.  _2: II is a classic class, no cycle. */
static hl_test_result check_callback_in_cycle_j(hl_test *t, bool ii_new_style)
{
    hl_runtime *rt = t->rt;
    LET(Method, new_class(t, "method", 1, NULL));
    LET(J, class_with_mro(t, "J", 0));
    LET(II, ii_new_style ? class_with_mro(t, "II", 2) : new_class(t, "II", 2, NULL));
    LET(I, hl_instance_new(rt, II));
    hl_instance_set(rt, I, 0, J);
    LET(acallback, holding(rt, Method, I));
    LET(wr, hl_weakref_new(rt, J, acallback, count_call));
    hl_instance_set(rt, I, 1, wr);
    DEL(wr);
    DEL(acallback);
    DEL(I);
    DEL(J);
    DEL(II);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(MRO_CLASS + (ii_new_style ? MRO_CLASS : 1) + 3));
    CHECK_EQ(t->counter[CALLS], 0);
    ALSO_LEAKED(1); /* class method */
    return HL_TEST_PASS;
}

VARIANT(test_callback_in_cycle_1, check_callback_in_cycle_j(t, true))
VARIANT(test_callback_in_cycle_2, check_callback_in_cycle_j(t, false))
/* class C: def cb(self, ignore): self.me; self.c1; self.wr
   c1, c2 = C(), C(); c2.me = c2; c2.c1 = c1; c2.wr = weakref.ref(c1, c2.cb)
   del c1, c2; gc.collect() — c1 is reachable from c2 only, one way; the
   callback is garbage and never runs.  Found: c1, c2, c2.cb, the weakref.
   _4: c1 is a D (classic), c2 a C(object), and the classes go too. */
static hl_test_result check_callback_in_cycle_c(hl_test *t, bool classes_too)
{
    hl_runtime *rt = t->rt;
    LET(Method, new_class(t, "method", 1, NULL));
    LET(C, classes_too ? class_with_mro(t, "C", 3) : new_class(t, "C", 3, NULL));
    LET(D, new_class(t, "D", 0, NULL));
    LET(c1, hl_instance_new(rt, classes_too ? D : C));
    LET(c2, hl_instance_new(rt, C));
    hl_instance_set(rt, c2, 0, c2);
    hl_instance_set(rt, c2, 1, c1);
    LET(cb, holding(rt, Method, c2));
    LET(wr, hl_weakref_new(rt, c1, cb, count_call));
    hl_instance_set(rt, c2, 2, wr);
    DEL(wr);
    DEL(cb);
    DEL(c1);
    DEL(c2);
    if (classes_too) {
        DEL(C);
        DEL(D);
    }
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(4 + (classes_too ? MRO_CLASS + 1 : 0)));
    CHECK_EQ(t->counter[CALLS], 0);
    ALSO_LEAKED(classes_too ? 1 : 2); /* class method, and C */
    return HL_TEST_PASS;
}

VARIANT(test_callback_in_cycle_3, check_callback_in_cycle_c(t, false))
VARIANT(test_callback_in_cycle_4, check_callback_in_cycle_c(t, true))
/* class C(object): def acallback(self, ignore): alist.append(self.c)
   c1, c2 = C(1), C(2); c1.c = c2; c2.c = c1
   c1.wr = weakref.ref(c2, c1.acallback); c2.wr = weakref.ref(c1, c2.acallback)
   wr = weakref.ref(C, C_went_away); del c1, c2, C; alist == []
   gc.collect(): alist == ["C went away"] — the trash weakrefs were cleared
   without their callbacks; wr is reachable, so its callback ran; wr() is
   None; gc.collect() again: nothing more */
static hl_test_result test_callback_in_cycle_resurrection(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(Method, new_class(t, "method", 1, NULL));
    LET(C, class_with_mro(t, "C", 3)); /* attribute, c, wr */
    LET(alist, hl_list_new(rt, 0));
    LET(c1, hl_instance_new(rt, C));
    LET(c2, hl_instance_new(rt, C));
    hl_object *pair[2] = {c1, c2};
    for (int k = 0; k < 2; k++) {
        LET(value, hl_int(rt, k + 1));
        hl_instance_set(rt, pair[k], 0, value);
        hl_instance_set(rt, pair[k], 1, pair[1 - k]);
        LET(acallback, holding(rt, Method, pair[k]));
        LET(wr, hl_weakref_new(rt, pair[1 - k], acallback, count_call));
        hl_instance_set(rt, pair[k], 2, wr);
        DEL(wr);
        DEL(acallback);
        DEL(value);
    }
    LET(wr, hl_weakref_new(rt, C, alist, append_marker));
    DEL(c1);
    DEL(c2);
    DEL(C);
    CHECK_EQ(hl_list_size(alist), 0);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(2 + 2 + 2 + MRO_CLASS));
    CHECK(t->counter[CALLS] == 0 && hl_list_size(alist) == (size_t)TRACING(1));
    CHECK((hl_weakref_get(wr) == NULL) == t->tracing);
    hl_list_clear(rt, alist);
    CHECK(hl_gc_collect(rt, 2) == 0 && hl_list_size(alist) == 0);
    ALSO_LEAKED(1); /* class method */
    return HL_TEST_PASS;
}

/* c, d = C(), C(); c.other = d; d.other = c; callback = c.cb
   c.wr = weakref.ref(d, callback); d.wr = weakref.ref(callback, d.cb)
   external_wr = weakref.ref(callback, safe_callback)
   del callback, c, d, C; gc.collect(): alist == ["safe_callback called"],
   external_wr() is None — C.cb never runs; the external weakref to the
   (garbage) bound method is reachable and calls back; again: nothing */
static hl_test_result test_callbacks_on_callback(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(Method, new_class(t, "method", 1, NULL));
    LET(C, class_with_mro(t, "C", 2)); /* other, wr */
    LET(alist, hl_list_new(rt, 0));
    LET(c, hl_instance_new(rt, C));
    LET(d, hl_instance_new(rt, C));
    hl_instance_set(rt, c, 0, d);
    hl_instance_set(rt, d, 0, c);
    LET(callback, holding(rt, Method, c));
    LET(d_cb, holding(rt, Method, d));
    LET(c_wr, hl_weakref_new(rt, d, callback, count_call));
    LET(d_wr, hl_weakref_new(rt, callback, d_cb, count_call));
    hl_instance_set(rt, c, 1, c_wr);
    hl_instance_set(rt, d, 1, d_wr);
    LET(external_wr, hl_weakref_new(rt, callback, alist, append_marker));
    CHECK(hl_weakref_get(external_wr) == callback);
    DEL(c_wr);
    DEL(d_wr);
    DEL(d_cb);
    DEL(callback);
    DEL(c);
    DEL(d);
    DEL(C);
    CHECK_EQ(hl_list_size(alist), 0);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(2 + 2 + 2 + MRO_CLASS));
    CHECK(t->counter[CALLS] == 0 && hl_list_size(alist) == (size_t)TRACING(1));
    CHECK((hl_weakref_get(external_wr) == NULL) == t->tracing);
    hl_list_clear(rt, alist);
    CHECK(hl_gc_collect(rt, 2) == 0 && hl_list_size(alist) == 0);
    ALSO_LEAKED(1); /* class method */
    return HL_TEST_PASS;
}

static uint64_t collections(hl_runtime *rt)
{
    hl_gc_stats s;
    hl_gc_get_stats(rt, &s);
    return s.generation[0].collections + s.generation[1].collections +
           s.generation[2].collections;
}

/* gc.set_threshold(1, 1, 1); gc.collect(); class A: pass
   referenced = A(); a = A(); a.a = a; a.wr = weakref.ref(referenced)
   a = A()   (the first a is now cyclic trash, with a weakref in it)
   weakref.ref(referenced, callback)   — collections start from the
   allocations around a weakref's creation and find the trash one */
static hl_test_result test_gc_during_ref_creation(hl_test *t)
{
    hl_runtime *rt = t->rt;
    size_t thresholds[HL_GC_GENERATIONS];
    hl_gc_get_threshold(rt, thresholds);
    OK(hl_gc_set_threshold(rt, 1, 1, 1));
    hl_gc_collect(rt, 2);
    uint64_t before = collections(rt);
    LET(A, new_class(t, "A", 2, NULL));
    LET(Function, new_class(t, "function", 1, NULL));
    LET(callback, hl_instance_new(rt, Function));
    LET(referenced, hl_instance_new(rt, A));
    LET(a, hl_instance_new(rt, A));
    hl_instance_set(rt, a, 0, a);
    LET(awr, hl_weakref_new(rt, referenced, NULL, NULL));
    hl_instance_set(rt, a, 1, awr);
    DEL(awr);
    LET(first, hl_weakref_new(rt, a, NULL, NULL)); /* to see the trash go */
    DEL(a);
    SET(a, hl_instance_new(rt, A));
    LET(tmp, hl_weakref_new(rt, referenced, callback, count_call));
    DEL(tmp);
    CHECK(t->tracing ? collections(rt) > before : collections(rt) == before);
    OK(hl_gc_set_threshold(rt, thresholds[0], thresholds[1], thresholds[2]));
    hl_gc_collect(rt, 2);
    CHECK((hl_weakref_get(first) == NULL) == t->tracing);
    CHECK_EQ(hl_weakref_count(referenced), t->tracing ? 0 : 1);
    CHECK_EQ(t->counter[CALLS], 0);
    ALSO_LEAKED(3); /* the first a, its weakref, class A */
    return HL_TEST_PASS;
}

/* class A(object): pass; l = []; weakref.ref(int); a = weakref.ref(A, l.append)
   A = None; gc.collect(): a() is None; l == [a] — classes are weakly
   referable (lists are not) and die by collection, calling back */
static void append_weakref(hl_runtime *rt, hl_object *wr, hl_object *l)
{
    (void)hl_list_append(rt, l, wr);
}

static hl_test_result test_classes(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(A, class_with_mro(t, "A", 0));
    LET(l, hl_list_new(rt, 0));
    CHECK(!hl_weakref_supported(l) && hl_weakref_new(rt, l, NULL, NULL) == NULL);
    LET(a, hl_weakref_new(rt, A, l, append_weakref));
    DEL(A);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(MRO_CLASS));
    CHECK((hl_weakref_get(a) == NULL) == t->tracing);
    CHECK_EQ(hl_list_size(l), TRACING(1));
    CHECK(!t->tracing || hl_list_get(l, 0) == a);
    hl_list_clear(rt, l); /* a holds l.append, l holds a */
    return HL_TEST_PASS;
}

/* def cb(wparent): o = wself() — counts the calls, and the o that are not None */
static void parent_died(hl_runtime *rt, hl_object *wr, hl_object *cb)
{
    hl_test *t = test_of(cb);
    t->counter[CALLS]++;
    t->counter[SEEN] += hl_weakref_get(hl_instance_get(cb, 0)) != NULL;
}

/* WeakKeyDictionary's remove: del d.data[key] */
static void remove_key(hl_runtime *rt, hl_object *wr, hl_object *remover)
{
    (void)hl_dict_delete(rt, hl_instance_get(remover, 0), hl_instance_get(remover, 1));
}

/* class C: __init__(self, parent): wself = weakref.ref(self)
       def cb(wparent): o = wself()
       self.wparent = weakref.ref(parent, cb)
   d = weakref.WeakKeyDictionary(); root = c = C(None)
   for n in range(100): d[c] = c = C(c)
   del root; gc.collect()
   — root's death removes d[root], freeing its child, whose wparent callback
   then runs: the child's count is zero by then, so wself() is None even
   while its teardown is still pending (bpo-16602).  Only the last node,
   still held by c, is seen alive. */
static hl_test_result test_trashcan_16602(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(C, new_class(t, "C", 1, NULL));           /* wparent */
    LET(Cb, new_class(t, "cb", 1, NULL));         /* closure: wself */
    LET(Remover, new_class(t, "remove", 2, NULL)); /* d.data, key */
    LET(data, hl_dict_new(rt));
    LET(keyrefs, hl_list_new(rt, 0));
    LET(root, hl_instance_new(rt, C));
    hl_incref(root);
    LET(c, root);
    for (int n = 0; n < 100; n++) {
        LET(child, hl_instance_new(rt, C));
        LET(wself, hl_weakref_new(rt, child, NULL, NULL));
        LET(cb, holding(rt, Cb, wself));
        LET(wparent, hl_weakref_new(rt, c, cb, parent_died));
        hl_instance_set(rt, child, 0, wparent);
        LET(key, hl_int(rt, n));
        LET(remover, holding(rt, Remover, data));
        hl_instance_set(rt, remover, 1, key);
        LET(keyref, hl_weakref_new(rt, c, remover, remove_key));
        OK(hl_list_append(rt, keyrefs, keyref));
        OK(hl_dict_set(rt, data, key, child));
        DEL(keyref);
        DEL(remover);
        DEL(key);
        DEL(wparent);
        DEL(cb);
        DEL(wself);
        DEL(c);
        c = child;
    }
    DEL(root);
    CHECK_EQ(hl_dict_size(data), 0);
    CHECK_EQ(t->counter[CALLS], 100);
    CHECK_EQ(t->counter[SEEN], 1);
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    return HL_TEST_PASS;
}

/* callback(ignored): ouch[:] = [wr() for wr in WRs] — CALLS counts the
   runs, SEEN the entries that were not None */
static void ouch_all(hl_runtime *rt, hl_object *wr, hl_object *callback)
{
    hl_test *t = test_of(callback);
    hl_object *wrs = hl_instance_get(callback, 0);
    t->counter[CALLS]++;
    t->counter[SEEN] = 0;
    for (size_t i = 0; wrs && i < hl_list_size(wrs); i++)
        t->counter[SEEN] += hl_weakref_get(hl_list_get(wrs, i)) != NULL;
}

/* class C1055820: __init__(self, i): self.i = i; self.loop = self
   Cs = [C1055820(i) for i in range(2)]; WRs = [weakref.ref(c, callback) ...]
   gc.collect(): ouch == []; Cs = None; gc.collect(): len(ouch) == 2 and
   every entry is None — all weakrefs to the garbage are cleared before any
   callback runs, so a callback cannot resurrect a half-cleared object */
static hl_object *c1055820(hl_runtime *rt, hl_object *cls, int64_t i)
{
    hl_object *value = hl_int(rt, i);
    hl_object *op = value ? holding(rt, cls, NULL) : NULL;
    if (op) {
        hl_instance_set(rt, op, 0, op); /* self.loop = self */
        hl_instance_set(rt, op, 1, value);
    }
    hl_xdecref(rt, value);
    return op;
}

static hl_test_result test_bug1055820b(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(C1055820, new_class(t, "C1055820", 3, NULL)); /* loop, i, keep_alive */
    LET(Function, new_class(t, "function", 1, NULL));
    LET(Cs, hl_list_new(rt, 2));
    LET(WRs, hl_list_new(rt, 2));
    LET(callback, holding(rt, Function, WRs));
    for (int i = 0; i < 2; i++) {
        LET(c, c1055820(rt, C1055820, i));
        LET(wr, hl_weakref_new(rt, c, callback, ouch_all));
        OK(hl_list_append(rt, Cs, c));
        OK(hl_list_append(rt, WRs, wr));
        DEL(wr);
        DEL(c);
    }
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    CHECK_EQ(t->counter[CALLS], 0);
    DEL(Cs);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(2));
    CHECK(t->counter[CALLS] == TRACING(2) && t->counter[SEEN] == 0);
    hl_list_clear(rt, WRs); /* the closure's cycle: WRs -> wr -> callback -> WRs */
    ALSO_LEAKED(1);         /* class C1055820 */
    return HL_TEST_PASS;
}

/* GC_Detector: a C1055820(666) made trash at once, with a weakref whose
   callback sets gc_happened; then `junk.append([])` until it fires (at most
   10000 times).  Returns the weakref (held by the case). */
static void it_happened(hl_runtime *rt, hl_object *wr, hl_object *callback)
{
    test_of(callback)->counter[HAPPENED] = 1;
}

static hl_object *gc_detector(hl_test *t, hl_object *cls, hl_object *Function)
{
    hl_object *trash = c1055820(t->rt, cls, 666);
    hl_object *callback = hl_instance_new(t->rt, Function);
    hl_object *wr = trash && callback ? hl_weakref_new(t->rt, trash, callback, it_happened) : NULL;
    hl_xdecref(t->rt, callback);
    hl_xdecref(t->rt, trash);
    return wr;
}

/* junk.append([]) until the detector sees a collection; the iterations */
static int until_gc(hl_test *t, hl_object *junk)
{
    int i = 0;
    while (!t->counter[HAPPENED] && ++i <= 10000 && t->counter[CALLS] == 0) {
        hl_object *item = hl_list_new(t->rt, 0);
        if (item == NULL || hl_list_append(t->rt, junk, item) != 0)
            i = 10001;
        hl_xdecref(t->rt, item);
    }
    return i;
}

/* ouch[:] = [c2wr()] — CALLS counts the runs, SEEN the live c2 seen */
static void ouch_c2(hl_runtime *rt, hl_object *wr, hl_object *callback)
{
    hl_test *t = test_of(callback);
    t->counter[CALLS]++;
    t->counter[SEEN] += hl_weakref_get(hl_instance_get(callback, 0)) != NULL;
}

/* D(C1055820).__del__: ouch[:] = [c2wr()], c2wr found in the class dict */
static void d_del(hl_runtime *rt, hl_object *self, void *user)
{
    hl_test *t = user;
    hl_object *dict = hl_class_dict(hl_instance_class(self));
    hl_object *c2wr = dict ? hl_dict_get_str(dict, "c2wr") : NULL;
    t->counter[CALLS]++;
    t->counter[SEEN] += c2wr && hl_weakref_get(c2wr) != NULL;
}

/*
 * GCTogglingTests.test_bug1055820c (and _d, with a __del__ instead of a
 * weakref callback):
 *   c0 = C1055820(0); gc.collect()          # c0 moves to generation 2
 *   c1 = C1055820(1); c1.keep_c0_alive = c0; del c0.loop
 *   c2 = C1055820(2); c2wr = weakref.ref(c2)        # no callback
 *   c0wr = weakref.ref(c0, callback)   # callback: ouch[:] = [c2wr()]
 *   c0 = c1 = c2 = None; junk.append([]) until gc happens "naturally"
 *   len(ouch) == 1 and ouch[0] is None
 * A young collection finds c1 and c2 (not c0); clearing c1 frees c0 by
 * reference counting, whose callback (or __del__) asks c2wr for c2, which
 * is garbage: the collector cleared c2wr first, so None.  On stw the one
 * space collects c0 with them, and the answer is the same.  none never
 * collects: after 10000 appends nothing has run.
 */
static hl_test_result check_bug1055820cd(hl_test *t, bool with_del)
{
    hl_runtime *rt = t->rt;
    hl_gc_enable(rt);
    LET(C1055820, new_class(t, "C1055820", 3, NULL)); /* loop, i, keep_alive */
    LET(D, new_class(t, "D", 3, d_del));
    LET(Function, new_class(t, "function", 1, NULL));
    LET(c0, c1055820(rt, with_del ? D : C1055820, 0));
    hl_gc_collect(rt, 2);
    LET(c1, c1055820(rt, C1055820, 1));
    hl_instance_set(rt, c1, 2, c0);
    hl_instance_set(rt, c0, 0, NULL);
    LET(c2, c1055820(rt, C1055820, 2));
    LET(c2wr, hl_weakref_new(rt, c2, NULL, NULL));
    LET(callback, holding(rt, Function, c2wr));
    LET(c0wr, with_del ? hl_dict_new(rt) : hl_weakref_new(rt, c0, callback, ouch_c2));
    if (with_del)
        OK(hl_dict_set_str(rt, hl_class_dict(D), "c2wr", c2wr));
    DEL(c0);
    DEL(c1);
    DEL(c2);
    LET(junk, hl_list_new(rt, 0));
    LET(detector, gc_detector(t, C1055820, Function));
    int i = until_gc(t, junk);
    CHECK(t->tracing ? i <= 10000 && t->counter[HAPPENED] : i > 10000);
    CHECK(t->counter[CALLS] == TRACING(1) && t->counter[SEEN] == 0);
    ALSO_LEAKED(4 + 1 + (with_del ? 3 : 0)); /* c0, c1, c2, 666, the classes */
    return HL_TEST_PASS;
}

VARIANT(test_bug1055820c, check_bug1055820cd(t, false))
VARIANT(test_bug1055820d, check_bug1055820cd(t, true))
static const hl_test_case cases[] = {
    {"ReferencesTestCase.test_basic_callback", test_basic_callback, false},
    {"ReferencesTestCase.test_multiple_callbacks", test_multiple_callbacks, false},
    {"ReferencesTestCase.test_multiple_selfref_callbacks", test_multiple_selfref_callbacks,
     false},
    {"ReferencesTestCase.test_ref_created_during_del", test_ref_created_during_del, false},
    {"ReferencesTestCase.test_sf_bug_840829", test_sf_bug_840829, false},
    {"ReferencesTestCase.test_callback_gcs", test_callback_gcs, false},
    {"ReferencesTestCase.test_callback_in_cycle_1", test_callback_in_cycle_1, false},
    {"ReferencesTestCase.test_callback_in_cycle_2", test_callback_in_cycle_2, false},
    {"ReferencesTestCase.test_callback_in_cycle_3", test_callback_in_cycle_3, false},
    {"ReferencesTestCase.test_callback_in_cycle_4", test_callback_in_cycle_4, false},
    {"ReferencesTestCase.test_callback_in_cycle_resurrection",
     test_callback_in_cycle_resurrection, false},
    {"ReferencesTestCase.test_callbacks_on_callback", test_callbacks_on_callback, false},
    {"ReferencesTestCase.test_gc_during_ref_creation", test_gc_during_ref_creation, false},
    {"ReferencesTestCase.test_classes", test_classes, false},
    {"ReferencesTestCase.test_trashcan_16602", test_trashcan_16602, false},
    {"test_bug1055820b", test_bug1055820b, false},
    {"GCTogglingTests.test_bug1055820c", test_bug1055820c, false},
    {"GCTogglingTests.test_bug1055820d", test_bug1055820d, false},
};

const hl_suite hl_suite_test_gc_weakref = {
    .name = "weakref",
    .description = "CPython's test_weakref GC cases and test_gc's bug 1055820 cases",
    .cases = cases,
    .count = sizeof cases / sizeof cases[0],
};
