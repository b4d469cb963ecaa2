/*
 * suites/test_gc_weakref_cycles.c — weak references and the collector: the
 * GC cases of CPython's Lib/test/test_weakref.py (ReferencesTestCase) and
 * the weakref cases of test_gc.py (bug 1055820), 3.11.  Each case quotes
 * the Python it mirrors.
 *
 * The rules under test (CPython's handle_weakrefs): when a collection finds
 * an object unreachable, every weakref to it is cleared before any
 * callback or finalizer runs, so no callback can reach garbage through a
 * weakref; a weakref that is itself garbage is cleared and its callback
 * never runs; a reachable weakref's callback runs once.
 *
 * On `none` no collection runs a callback; each case says what it sees.
 */
#include "test_gc_support.h"

/* alist.append(...): the callback object is the list itself */
static void append_marker(hl_runtime *rt, hl_object *wr, hl_object *alist)
{
    hl_object *marker = hl_str(rt, "called");
    if (marker)
        (void)hl_list_append(rt, alist, marker);
    hl_xdecref(rt, marker);
}

/* owner.<slot> = weakref.ref(referent, owner.<method>), the method being
   one that counts its calls: the bound method and the weakref are held by
   owner alone */
static int set_weakref(hl_runtime *rt, hl_object *owner, size_t slot, hl_object *referent,
                       hl_object *Method)
{
    hl_object *method = holding(rt, Method, owner);
    hl_object *wr = method ? hl_weakref_new(rt, referent, method, count_call) : NULL;
    if (wr)
        hl_instance_set(rt, owner, slot, wr);
    hl_xdecref(rt, wr);
    hl_xdecref(rt, method);
    return wr ? 0 : -1;
}

/* class J(object): pass; class II(object): def acallback(self, ignore): self.J
   I = II(); I.J = J; I.wr = weakref.ref(J, I.acallback); del I, J, II
   gc.collect() — I.wr is garbage itself, so its callback must not run (it
   would see cleared objects).  Found: J and II (class, dict, __mro__), I,
   the bound method, the weakref.  _2: II is a classic class, no cycle. */
static hl_test_result check_callback_in_cycle_j(hl_test *t, bool ii_new_style)
{
    hl_runtime *rt = t->rt;
    LET(Method, new_class(t, "method", 1, NULL));
    LET(J, class_with_mro(t, "J", 0, 0, NULL));
    LET(II, ii_new_style ? class_with_mro(t, "II", 2, 0, NULL) : new_class(t, "II", 2, NULL));
    LET(I, hl_instance_new(rt, II));
    hl_instance_set(rt, I, 0, J);
    OK(set_weakref(rt, I, 1, J, Method));
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
    LET(C, classes_too ? class_with_mro(t, "C", 3, 0, NULL) : new_class(t, "C", 3, NULL));
    LET(D, new_class(t, "D", 0, NULL));
    LET(c1, hl_instance_new(rt, classes_too ? D : C));
    LET(c2, hl_instance_new(rt, C));
    hl_instance_set(rt, c2, 0, c2);
    hl_instance_set(rt, c2, 1, c1);
    OK(set_weakref(rt, c2, 2, c1, Method));
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

/* The end the two cases below share, once their garbage is dropped (two
   instances, two bound methods, two weakrefs, class C): alist == [];
   gc.collect(): alist holds one marker — only the reachable weakref
   `survivor` called back — and survivor() is None; again: nothing more */
static hl_test_result only_reachable_called_back(hl_test *t, hl_object *alist,
                                                  hl_object *survivor)
{
    hl_runtime *rt = t->rt;
    CHECK_EQ(hl_list_size(alist), 0);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(2 + 2 + 2 + MRO_CLASS));
    CHECK(t->counter[CALLS] == 0 && hl_list_size(alist) == (size_t)TRACING(1));
    CHECK((hl_weakref_get(survivor) == NULL) == t->tracing);
    hl_list_clear(rt, alist);
    CHECK(hl_gc_collect(rt, 2) == 0 && hl_list_size(alist) == 0);
    ALSO_LEAKED(1); /* class method */
    return HL_TEST_PASS;
}

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
    LET(C, class_with_mro(t, "C", 3, 0, NULL)); /* attribute, c, wr */
    LET(alist, hl_list_new(rt, 0));
    LET(c1, hl_instance_new(rt, C));
    LET(c2, hl_instance_new(rt, C));
    hl_object *pair[2] = {c1, c2};
    for (int k = 0; k < 2; k++) {
        LET(value, hl_int(rt, k + 1));
        hl_instance_set(rt, pair[k], 0, value);
        hl_instance_set(rt, pair[k], 1, pair[1 - k]);
        OK(set_weakref(rt, pair[k], 2, pair[1 - k], Method));
        DEL(value);
    }
    LET(wr, hl_weakref_new(rt, C, alist, append_marker));
    DEL(c1);
    DEL(c2);
    DEL(C);
    return only_reachable_called_back(t, alist, wr);
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
    LET(C, class_with_mro(t, "C", 2, 0, NULL)); /* other, wr */
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
    return only_reachable_called_back(t, alist, external_wr);
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
    LET(A, class_with_mro(t, "A", 0, 0, NULL));
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
    while (!t->counter[HAPPENED] && ++i <= 10000) {
        hl_object *item = hl_list_new(t->rt, 0);
        if (item == NULL || hl_list_append(t->rt, junk, item) != 0)
            i = 10001;
        hl_xdecref(t->rt, item);
    }
    return i;
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
 *
 * The answer rests on c1 and c2 being young when they are dropped, as they
 * are in CPython's run (no collection falls inside the setup at threshold
 * 2000).  Under a schedule that collects inside the setup (NAME=stress,
 * threshold0 1) they survive into older spaces while alive.  Generations
 * still collect them together: c2 is never older than c1, and a collection
 * takes every younger generation.  An old space scanned in increments
 * (HL_GC_INCREMENTS) does not: a slice can end between c1 and c2, and then
 * c0's callback finds c2 alive and intact, which is no bug (CPython 3.14's
 * increments split them the same way; its own test keeps this assertion
 * and only raises the iteration bound).  So on such a collector the setup
 * runs with automatic collection off, keeping c1 and c2 young.
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
    if (t->increments)
        hl_gc_disable(rt); /* c1 and c2 stay young until dropped: see above */
    LET(c1, c1055820(rt, C1055820, 1));
    hl_instance_set(rt, c1, 2, c0);
    hl_instance_set(rt, c0, 0, NULL);
    LET(c2, c1055820(rt, C1055820, 2));
    LET(c2wr, hl_weakref_new(rt, c2, NULL, NULL));
    LET(callback, holding(rt, Function, c2wr));
    LET(c0wr, with_del ? hl_dict_new(rt) : hl_weakref_new(rt, c0, callback, count_live_referent));
    if (with_del)
        OK(hl_dict_set_str(rt, hl_class_dict(D), "c2wr", c2wr));
    DEL(c0);
    DEL(c1);
    DEL(c2);
    hl_gc_enable(rt);
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
    {"ReferencesTestCase.test_callback_in_cycle_1", test_callback_in_cycle_1, false},
    {"ReferencesTestCase.test_callback_in_cycle_2", test_callback_in_cycle_2, false},
    {"ReferencesTestCase.test_callback_in_cycle_3", test_callback_in_cycle_3, false},
    {"ReferencesTestCase.test_callback_in_cycle_4", test_callback_in_cycle_4, false},
    {"ReferencesTestCase.test_callback_in_cycle_resurrection",
     test_callback_in_cycle_resurrection, false},
    {"ReferencesTestCase.test_callbacks_on_callback", test_callbacks_on_callback, false},
    {"ReferencesTestCase.test_gc_during_ref_creation", test_gc_during_ref_creation, false},
    {"ReferencesTestCase.test_classes", test_classes, false},
    {"test_bug1055820b", test_bug1055820b, false},
    {"GCTogglingTests.test_bug1055820c", test_bug1055820c, false},
    {"GCTogglingTests.test_bug1055820d", test_bug1055820d, false},
};

const hl_suite hl_suite_test_gc_weakref_cycles = {
    .name = "weakref_cycles",
    .description = "CPython's test_weakref and test_gc: weakrefs in collections",
    .cases = cases,
    .count = sizeof cases / sizeof cases[0],
};
