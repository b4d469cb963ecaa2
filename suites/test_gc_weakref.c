/*
 * suites/test_gc_weakref.c — weak references to objects that die by
 * reference counting: the callback cases of CPython's
 * Lib/test/test_weakref.py (ReferencesTestCase), 3.11.  Each case quotes
 * the Python it mirrors.  Weakrefs met by a collection are in
 * test_gc_weakref_cycles.c.
 *
 * The rules under test (CPython's PyObject_ClearWeakRefs): when an object
 * dies by reference counting, all its weakrefs are cleared first and then
 * each callback runs, once; a callback may collect while objects are being
 * torn down; and an object whose count has reached zero is never handed
 * out by a weakref again.  These cases leave no cycle for a collection to
 * find, so every stack answers alike.
 */
#include "test_gc_support.h"

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
        LET(wparent, hl_weakref_new(rt, c, cb, count_live_referent));
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

static const hl_test_case cases[] = {
    {"ReferencesTestCase.test_basic_callback", test_basic_callback, false},
    {"ReferencesTestCase.test_multiple_callbacks", test_multiple_callbacks, false},
    {"ReferencesTestCase.test_multiple_selfref_callbacks", test_multiple_selfref_callbacks,
     false},
    {"ReferencesTestCase.test_ref_created_during_del", test_ref_created_during_del, false},
    {"ReferencesTestCase.test_sf_bug_840829", test_sf_bug_840829, false},
    {"ReferencesTestCase.test_callback_gcs", test_callback_gcs, false},
    {"ReferencesTestCase.test_trashcan_16602", test_trashcan_16602, false},
};

const hl_suite hl_suite_test_gc_weakref = {
    .name = "weakref",
    .description = "CPython's test_weakref: callbacks on death by reference counting",
    .cases = cases,
    .count = sizeof cases / sizeof cases[0],
};
