/*
 * suites/test_gc_uncollectable.c — legacy finalizers (tp_del) and
 * gc.garbage: the uncollectable cases of CPython's Lib/test/test_gc.py,
 * 3.11.  Each case quotes the Python it mirrors.
 *
 * The rule under test (CPython's gc_collect_main): garbage with a legacy
 * finalizer, and all it reaches, is uncollectable — kept alive, never
 * finalized, and counted both in what collect() returns and in the oldest
 * generation's `uncollectable` statistic; the objects with the finalizer
 * are listed in gc.garbage.  Once the program breaks the cycle and takes
 * an object out of gc.garbage, reference counting frees it and its tp_del
 * runs.
 *
 * On `none` collect() finds nothing: gc.garbage stays empty, and the
 * objects are reclaimed when the runtime is destroyed (ALSO_LEAKED).
 */
#include "test_gc_support.h"

/* @with_tp_del class A; class B; a = A(); a.a = a; b = B(); b.b = b
   gc.collect(); del a, b; gc.collect() != 0 — 2: a uncollectable, b
   collected; a is in gc.garbage; del obj.a; gc.garbage.remove(obj): then
   tp_del runs, by reference counting.  _newclass keeps the attributes in a
   __dict__: reachable from a, uncollectable too, yet not in gc.garbage. */
static hl_test_result check_legacy_finalizer(hl_test *t, bool with_dict)
{
    hl_runtime *rt = t->rt;
    LET(A, plain_class(t, "A", 1, NULL, count_tp_del));
    LET(B, plain_class(t, "B", 1, NULL, NULL));
    LET(a, hl_instance_new(rt, A));
    LET(b, hl_instance_new(rt, B));
    if (with_dict) {
        OK(hl_setattr(rt, a, "a", a));
        OK(hl_setattr(rt, b, "b", b));
    } else {
        hl_instance_set(rt, a, 0, a);
        hl_instance_set(rt, b, 0, b);
    }
    const hl_object *id_a = a;
    long per = with_dict ? 2 : 1; /* objects per instance */
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    uint64_t collected = stat_of(rt, false), uncollectable = stat_of(rt, true);
    DEL(a);
    DEL(b);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(2 * per));
    CHECK_EQ(stat_of(rt, false) - collected, TRACING(per));
    CHECK_EQ(stat_of(rt, true) - uncollectable, TRACING(per));
    hl_object *garbage = hl_gc_garbage(rt);
    CHECK(garbage && hl_list_size(garbage) == (size_t)TRACING(1));
    CHECK_EQ(t->counter[TP_DELS], 0);
    if (t->tracing) {
        hl_object *obj = hl_list_get(garbage, 0);
        CHECK(obj == id_a);
        if (with_dict) {
            LET(key, hl_str(rt, "a"));
            OK(hl_dict_delete(rt, hl_instance_dict(obj), key));
        } else {
            hl_instance_set(rt, obj, 0, NULL);
        }
        long before = LIVE();
        hl_list_delete(rt, garbage, 0);
        CHECK_EQ(t->counter[TP_DELS], 1);
        CHECK_EQ(LIVE(), before - per);
    }
    ALSO_LEAKED(2); /* classes A and B */
    return HL_TEST_PASS;
}

VARIANT(test_legacy_finalizer, check_legacy_finalizer(t, false))
VARIANT(test_legacy_finalizer_newclass, check_legacy_finalizer(t, true))

/* @with_tp_del class X: __init__(self, name): self.name = name
   x = X('first'); x.x = x; x.y = X('second'); del x — at shutdown
   "gc: 2 uncollectable objects", and gc.garbage lists both X's (the final
   collection is explicit here) */
static hl_test_result test_garbage_at_shutdown(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(X, plain_class(t, "X", 3, NULL, count_tp_del)); /* name, x, y */
    LET(first, hl_instance_new(rt, X));
    LET(second, hl_instance_new(rt, X));
    LET(name1, hl_str(rt, "first"));
    LET(name2, hl_str(rt, "second"));
    hl_instance_set(rt, first, 0, name1);
    hl_instance_set(rt, second, 0, name2);
    hl_instance_set(rt, first, 1, first);
    hl_instance_set(rt, first, 2, second);
    DEL(first);
    DEL(second);
    uint64_t nc = stat_of(rt, true);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(2));
    CHECK_EQ(stat_of(rt, true) - nc, TRACING(2));
    hl_object *garbage = hl_gc_garbage(rt);
    CHECK(garbage && hl_list_size(garbage) == (size_t)TRACING(2));
    if (t->tracing) {
        hl_object *g0 = hl_list_get(garbage, 0), *g1 = hl_list_get(garbage, 1);
        hl_object *x = hl_instance_get(g0, 0) == name1 ? g0 : g1;
        CHECK(hl_instance_get(x, 0) == name1 && hl_instance_get(x == g0 ? g1 : g0, 0) == name2);
        hl_instance_set(rt, x, 1, NULL);
        hl_list_clear(rt, garbage);
        CHECK_EQ(t->counter[TP_DELS], 2);
    }
    ALSO_LEAKED(1); /* class X */
    return HL_TEST_PASS;
}

static const hl_test_case cases[] = {
    {"test_legacy_finalizer", test_legacy_finalizer, false},
    {"test_legacy_finalizer_newclass", test_legacy_finalizer_newclass, false},
    {"test_garbage_at_shutdown", test_garbage_at_shutdown, false},
};

const hl_suite hl_suite_test_gc_uncollectable = {
    .name = "uncollectable",
    .description = "CPython's test_gc: legacy finalizers and gc.garbage",
    .cases = cases,
    .count = sizeof cases / sizeof cases[0],
};
