/*
 * suites/test_gc_module.c — the gc module's own functions, as CPython's
 * Lib/test/test_gc.py (GCTests, 3.11/3.12) tests them: DEBUG_SAVEALL,
 * get_count and the generations, get_referents and get_referrers,
 * is_tracked, get_stats, freeze and get_objects; and the untracking cases
 * of test_tuple.py and test_dict.py.  Each case quotes the Python it
 * mirrors.
 *
 * Every case runs on every stack and asserts what that stack does:
 * generational is CPython's three generations exactly; stw is one space
 * (collect(g) is always full, get_count() is (allocations since the last
 * collection, 0, 0), generations 1 and 2 do not exist); none runs and
 * reports collections that find 0, counts nothing, never untracks, and
 * cycles live until the runtime is destroyed (FOUND records them).
 */
#include "test_gc_support.h"

/* The size of gc.get_objects(generation), -1 when there is no such
   generation; *found tells whether op is in it. */
static long listed(hl_runtime *rt, int generation, const hl_object *op, int *found)
{
    hl_object *all = hl_gc_get_objects(rt, generation);
    long n = all ? (long)hl_list_size(all) : -1;
    *found = all ? 0 : -1;
    for (long i = 0; i < n; i++)
        *found |= hl_list_get(all, (size_t)i) == op;
    hl_xdecref(rt, all);
    return n;
}

static int in_generation(hl_runtime *rt, int generation, const hl_object *op)
{
    int found;
    listed(rt, generation, op, &found);
    return found;
}

/* gc.collect(); gc.garbage == []; L = []; L.append(L)
   gc.set_debug(DEBUG_SAVEALL); del L; gc.collect(); gc.set_debug(debug)
   len(gc.garbage) == 1; gc.garbage.pop() is L — saved intact, and counted */
static hl_test_result test_saveall(hl_test *t)
{
    hl_runtime *rt = t->rt;
    hl_object *garbage = hl_gc_garbage(rt);
    CHECK(garbage != NULL && hl_gc_collect(rt, 2) == 0 && hl_list_size(garbage) == 0);
    LET(L, hl_list_new(rt, 0));
    OK(hl_list_append(rt, L, L));
    const hl_object *id_L = L;
    unsigned debug = hl_gc_get_debug(rt);
    hl_gc_set_debug(rt, debug | HL_GC_DEBUG_SAVEALL);
    CHECK_EQ(hl_gc_get_debug(rt), debug | HL_GC_DEBUG_SAVEALL);
    DEL(L);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(1));
    hl_gc_set_debug(rt, debug);
    CHECK_EQ(hl_list_size(garbage), TRACING(1));
    if (t->tracing) {
        LET(obj, hl_list_pop(rt, garbage));
        CHECK(obj == id_L && hl_list_get(obj, 0) == obj);
        long before = LIVE();
        hl_list_clear(rt, obj); /* del obj[:] */
        DEL(obj);
        CHECK_EQ(LIVE(), before - 1);
    }
    return HL_TEST_PASS;
}

/* gc.collect(); a, b, c = gc.get_count(); x = []; d, e, f = gc.get_count()
   (b, c) == (e, f) == (0, 0); a < 5 (here 0); d > a — none counts nothing */
static hl_test_result test_get_count(hl_test *t)
{
    hl_runtime *rt = t->rt;
    size_t before[HL_GC_GENERATIONS], after[HL_GC_GENERATIONS];
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    hl_gc_disable(rt); /* counts are read between allocations (stress) */
    hl_gc_get_count(rt, before);
    LET(x, hl_list_new(rt, 0));
    hl_gc_get_count(rt, after);
    hl_gc_enable(rt);
    CHECK(before[1] == 0 && before[2] == 0 && after[1] == 0 && after[2] == 0);
    CHECK(before[0] == 0 && after[0] == (size_t)TRACING(1));
    return HL_TEST_PASS;
}

/* gc.collect(); x = []; gc.collect(0) -> (_, 1, 0); gc.collect(1) ->
   (_, 0, 1); gc.collect(2) -> (_, 0, 0).  One space has no older
   generation to count collections for: (0, 0, 0) throughout.  An
   incremental collector counts young collections per old space, and
   what one increment does to the counts depends on where its scan is:
   CPython 3.14's test checks collect(0) only, and so does this one
   (collect(1) must still find nothing and leave the old counts alone
   but for a completed scan, which swaps them). */
static hl_test_result test_collect_generations(hl_test *t)
{
    hl_runtime *rt = t->rt;
    static const size_t expected[3][3] = {{0, 1, 0}, {0, 0, 1}, {0, 0, 0}};
    size_t count[HL_GC_GENERATIONS];
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    hl_gc_disable(rt); /* only the case's collections count (stress) */
    LET(x, hl_list_new(rt, 0));
    for (int g = 0; g < 3; g++) {
        CHECK_EQ(hl_gc_collect(rt, g), 0);
        hl_gc_get_count(rt, count);
        if (t->increments && g == 1) {
            CHECK(count[1] + count[2] == 1);
            continue;
        }
        for (int i = 0; i < 3; i++)
            CHECK_EQ(count[i], GENERATIONAL ? expected[g][i] : 0);
    }
    hl_gc_enable(rt);
    return HL_TEST_PASS;
}

/* sorted(gc.get_referents(*objs)) == expected, all ints 0..7 */
static bool referents_are(hl_runtime *rt, hl_object *const *objs, size_t nobjs,
                          const int64_t *expected, size_t n)
{
    size_t seen[8] = {0}, count = 0; /* how often each value was seen */
    for (size_t k = 0; k < nobjs; k++) {
        hl_object *got = hl_gc_get_referents(rt, objs[k]);
        if (got == NULL)
            return false;
        for (size_t i = 0; i < hl_list_size(got); i++, count++) {
            hl_object *item = hl_list_get(got, i);
            if (item->type == &hl_int_type && (uint64_t)hl_int_value(item) < 8)
                seen[hl_int_value(item)]++;
        }
        hl_decref(rt, got);
    }
    for (size_t i = 0; i < n; i++)
        if (seen[expected[i]]-- == 0)
            return false;
    return count == n;
}

/* alist = [1, 3, 5]: sorted(gc.get_referents(alist)) == alist, and for
   tuple(alist); {1: 3, 5: 7} -> [1, 3, 5, 7]; [1, 2], {3: 4}, (0, 0, 0)
   -> [0, 0, 0, 1, 2, 3, 4]; 1, 'a', 4j -> [].  Read backwards:
   gc.get_referrers(x) finds exactly the two containers holding x. */
static hl_test_result test_get_referents(hl_test *t)
{
    hl_runtime *rt = t->rt;
    static const int64_t odd[] = {1, 3, 5}, pairs[] = {1, 3, 5, 7};
    static const int64_t mixed[] = {0, 0, 0, 1, 2, 3, 4};
    hl_object *n[8];
    for (int i = 0; i < 8; i++)
        SET(n[i], hl_int(rt, i));
    LET(alist, hl_list_new(rt, 0));
    OK(hl_list_append(rt, alist, n[1]) || hl_list_append(rt, alist, n[3]) ||
       hl_list_append(rt, alist, n[5]));
    LET(atuple, hl_tuple_pack(rt, 3, (hl_object *[]){n[1], n[3], n[5]}));
    LET(adict, hl_dict_new(rt));
    OK(hl_dict_set(rt, adict, n[1], n[3]) || hl_dict_set(rt, adict, n[5], n[7]));
    CHECK(referents_are(rt, &alist, 1, odd, 3) && referents_are(rt, &atuple, 1, odd, 3));
    CHECK(referents_are(rt, &adict, 1, pairs, 4));
    LET(l12, hl_list_new(rt, 2));
    OK(hl_list_append(rt, l12, n[1]) || hl_list_append(rt, l12, n[2]));
    LET(d34, hl_dict_new(rt));
    OK(hl_dict_set(rt, d34, n[3], n[4]));
    LET(t000, hl_tuple_pack(rt, 3, (hl_object *[]){n[0], n[0], n[0]}));
    CHECK(referents_are(rt, (hl_object *[]){l12, d34, t000}, 3, mixed, 7));
    LET(a, hl_str(rt, "a"));
    LET(x, hl_float(rt, 4.0));
    CHECK(referents_are(rt, (hl_object *[]){n[1], a, x}, 3, NULL, 0));
    LET(holder1, hl_list_new(rt, 1));
    LET(holder2, hl_dict_new(rt));
    OK(hl_list_append(rt, holder1, alist) || hl_dict_set(rt, holder2, n[1], alist));
    LET(referrers, hl_gc_get_referrers(rt, alist));
    CHECK_EQ(hl_list_size(referrers), 2);
    hl_object *r0 = hl_list_get(referrers, 0), *r1 = hl_list_get(referrers, 1);
    CHECK((r0 == holder1 && r1 == holder2) || (r0 == holder2 && r1 == holder1));
    return HL_TEST_PASS;
}

/* gc.is_tracked(1), (1.0), ("a"), ({}) are False; gc.is_tracked(UserClass),
   (UserClass()), ([]) are True; so are UserClassSlots() (__slots__ = ())
   and a weakref — CPython 3.11 and 3.12 agree on each */
static hl_test_result test_is_tracked(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(one, hl_int(rt, 1));
    LET(x, hl_float(rt, 1.0));
    LET(a, hl_str(rt, "a"));
    LET(d, hl_dict_new(rt));
    CHECK(!hl_gc_is_tracked(rt, one) && !hl_gc_is_tracked(rt, x) && !hl_gc_is_tracked(rt, a) && !hl_gc_is_tracked(rt, d));
    LET(UserClass, new_class(t, "UserClass", 1, NULL));
    LET(UserClassSlots, new_class(t, "UserClassSlots", 0, NULL));
    LET(u, hl_instance_new(rt, UserClass));
    LET(s, hl_instance_new(rt, UserClassSlots));
    LET(l, hl_list_new(rt, 0));
    LET(wr, hl_weakref_new(rt, u, NULL, NULL));
    CHECK(hl_gc_is_tracked(rt, UserClass) && hl_gc_is_tracked(rt, u) && hl_gc_is_tracked(rt, s));
    CHECK(hl_gc_is_tracked(rt, l) && hl_gc_is_tracked(rt, wr));
    return HL_TEST_PASS;
}

/* len(gc.get_stats()) == 3; gc.disable(); old = gc.get_stats()
   gc.collect(0): one more collection of generation 0, none of 1 and 2;
   gc.collect(2): one more of 2, 0 and 1 unchanged.  One space has one
   entry, and collect(2) is a collection of it. */
static hl_test_result test_get_stats(hl_test *t)
{
    hl_runtime *rt = t->rt;
    static const uint64_t three[2][3] = {{1, 0, 0}, {1, 0, 1}}, one[2][3] = {{1, 0, 0}, {2, 0, 0}};
    hl_gc_stats old, now;
    hl_gc_disable(rt);
    hl_gc_get_stats(rt, &old);
    for (int k = 0; k < 2; k++) {
        CHECK_EQ(hl_gc_collect(rt, 2 * k), 0);
        hl_gc_get_stats(rt, &now);
        for (int g = 0; g < 3; g++)
            CHECK_EQ(now.generation[g].collections - old.generation[g].collections,
                     (GENERATIONAL ? three : one)[k][g]);
    }
    hl_gc_enable(rt);
    return HL_TEST_PASS;
}

/* gc.freeze(); gc.get_freeze_count() > 0; gc.unfreeze(); count == 0
   — and what it is for: frozen garbage is neither listed nor collected
   until unfrozen, into the oldest generation */
static hl_test_result test_freeze(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(l, hl_list_new(rt, 0));
    OK(hl_list_append(rt, l, l));
    const hl_object *id_l = l;
    hl_gc_freeze(rt);
    CHECK(hl_gc_get_freeze_count(rt) > 0 && in_generation(rt, -1, l) == 0);
    DEL(l);
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    hl_gc_disable(rt); /* the listing allocates: no collection in between */
    hl_gc_unfreeze(rt);
    CHECK_EQ(hl_gc_get_freeze_count(rt), 0);
    long listed = in_generation(rt, hl_gc_generations(rt) - 1, id_l);
    hl_gc_enable(rt);
    CHECK_EQ(listed, 1);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(1));
    return HL_TEST_PASS;
}

/* gc.collect(); l = []; l.append(l); any(l is e for e in gc.get_objects())
   — and the listing never lists itself */
static hl_test_result test_get_objects(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(l, hl_list_new(rt, 0));
    OK(hl_list_append(rt, l, l));
    CHECK_EQ(in_generation(rt, -1, l), 1);
    LET(all, hl_gc_get_objects(rt, -1));
    for (size_t i = 0; i < hl_list_size(all); i++)
        CHECK(hl_list_get(all, i) != all);
    DEL(all);
    COLLECT_AFTER_DEL(l, 1);
    return HL_TEST_PASS;
}

/* l = []; l.append(l): in get_objects(generation=0) only; gc.collect(0)
   -> in 1 only; gc.collect(1) -> in 2 only; gc.collect(2) -> in 2 only.
   One space: always in 0; generations 1 and 2 do not exist.  Increments:
   after collect(1), in 1 (the visited space) or, if that increment
   completed the scan, in 2 — once either way. */
static hl_test_result test_get_objects_generations(hl_test *t)
{
    hl_runtime *rt = t->rt;
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    hl_gc_disable(rt); /* listings allocate: only the case's collections (stress) */
    LET(l, hl_list_new(rt, 0));
    OK(hl_list_append(rt, l, l));
    bool gens = GENERATIONAL;
    for (int step = 0; step < 4; step++) {
        if (step > 0)
            CHECK_EQ(hl_gc_collect(rt, step - 1), 0);
        int home = gens ? (step < 2 ? step : 2) : 0;
        if (t->increments && step == 2) {
            CHECK_EQ(in_generation(rt, 0, l), 0);
            CHECK_EQ(in_generation(rt, 1, l) + in_generation(rt, 2, l), 1);
            continue;
        }
        for (int g = 0; g < 3; g++)
            CHECK_EQ(in_generation(rt, g, l), g == home ? 1 : gens ? 0 : -1);
    }
    hl_gc_enable(rt);
    COLLECT_AFTER_DEL(l, 1);
    return HL_TEST_PASS;
}

/* len(gc.get_objects()) == len(gc.get_objects(generation=None)) — and the
   generations together; gc.get_objects(1000) and (-1000) raise ValueError
   (here NULL), as does a generation one space does not have */
static hl_test_result test_get_objects_arguments(hl_test *t)
{
    hl_runtime *rt = t->rt;
    int found;
    LET(l, hl_list_new(rt, 0));
    long all = listed(rt, -1, l, &found), sum = 0;
    CHECK(all >= 1 && found == 1);
    for (int g = 0; g < hl_gc_generations(rt); g++)
        sum += listed(rt, g, l, &found);
    CHECK_EQ(sum, all);
    CHECK(hl_gc_get_objects(rt, 1000) == NULL && hl_gc_get_objects(rt, -1000) == NULL);
    CHECK(hl_gc_get_objects(rt, hl_gc_generations(rt)) == NULL);
    return HL_TEST_PASS;
}

/* ---- untracking: test_tuple.py and test_dict.py ------------------------ */

/* _not_tracked: two collections (nested containers may need both) */
static bool untracked_after_two(hl_runtime *rt, const hl_object *op)
{
    hl_gc_collect(rt, 2);
    hl_gc_collect(rt, 2);
    return !hl_gc_is_tracked(rt, op);
}

/* TupleTest.test_track_literals: x, y, z = 1.5, "a", []
   untracked by collections: (), (1,), (1, 2), (1, 2, "a"), ((1, x), y,
   (2, 3)); tracked even then: ([],), ({},), (x, y, z).  Tuples here are
   tracked from birth (CPython's constants never are); none never untracks. */
static hl_test_result test_tuple_track_literals(hl_test *t)
{
    hl_runtime *rt = t->rt;
    hl_object *n[4], *atomic[5], *mutable[3];
    hl_gc_disable(rt); /* tracked until a collection, which the case runs */
    for (int i = 0; i < 4; i++)
        SET(n[i], hl_int(rt, i));
    LET(x, hl_float(rt, 1.5));
    LET(y, hl_str(rt, "a"));
    LET(z, hl_list_new(rt, 0));
    LET(e, hl_dict_new(rt));
    LET(inner1, hl_tuple_pack(rt, 2, (hl_object *[]){n[1], x}));
    LET(inner2, hl_tuple_pack(rt, 2, (hl_object *[]){n[2], n[3]}));
    SET(atomic[0], hl_tuple_new(rt, 0));
    SET(atomic[1], hl_tuple_pack(rt, 1, (hl_object *[]){n[1]}));
    SET(atomic[2], hl_tuple_pack(rt, 2, (hl_object *[]){n[1], n[2]}));
    SET(atomic[3], hl_tuple_pack(rt, 3, (hl_object *[]){n[1], n[2], y}));
    SET(atomic[4], hl_tuple_pack(rt, 3, (hl_object *[]){inner1, y, inner2}));
    SET(mutable[0], hl_tuple_pack(rt, 1, (hl_object *[]){z}));
    SET(mutable[1], hl_tuple_pack(rt, 1, (hl_object *[]){e}));
    SET(mutable[2], hl_tuple_pack(rt, 3, (hl_object *[]){x, y, z}));
    DEL(inner1);
    DEL(inner2);
    for (int i = 0; i < 5; i++)
        CHECK(hl_gc_is_tracked(rt, atomic[i]));
    untracked_after_two(rt, z);
    for (int i = 0; i < 5; i++)
        CHECK(hl_gc_is_tracked(rt, atomic[i]) != t->tracing);
    for (int i = 0; i < 3; i++)
        CHECK(hl_gc_is_tracked(rt, mutable[i]));
    hl_gc_enable(rt);
    return HL_TEST_PASS;
}

/* DictTest.test_track_dynamic: y, z, w = "a", (1, object()), []
   d = dict(); d[1] = "a"; d[y] = 2: untracked; d[z] = 3: untracked after
   collections; d[4] = w: tracked; d[4] = None: untracked again;
   d = {}; dd = {}; d[1] = dd: dd untracked, d tracked; dd[1] = d: tracked.
   Also true of CPython 3.11/3.12: one full collection untracks a dict whose
   only container is an atomic tuple made after it (all tuples are
   untracked before any dict); a young collection never untracks dicts. */
static hl_test_result test_dict_track_dynamic(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(one, hl_int(rt, 1));
    LET(y, hl_str(rt, "a"));
    LET(w, hl_list_new(rt, 0));
    LET(z, hl_tuple_pack(rt, 2, (hl_object *[]){one, y}));
    LET(d, hl_dict_new(rt));
    OK(hl_dict_set(rt, d, one, y) || hl_dict_set(rt, d, y, one));
    CHECK(!hl_gc_is_tracked(rt, d));
    OK(hl_dict_set(rt, d, z, one));
    CHECK(untracked_after_two(rt, d) == t->tracing);
    OK(hl_dict_set(rt, d, one, w));
    CHECK(!untracked_after_two(rt, d));
    OK(hl_dict_set(rt, d, one, one));
    CHECK(untracked_after_two(rt, d) == t->tracing);
    LET(d2, hl_dict_new(rt));
    LET(dd, hl_dict_new(rt));
    OK(hl_dict_set(rt, d2, one, dd));
    CHECK(untracked_after_two(rt, dd) && hl_gc_is_tracked(rt, d2));
    OK(hl_dict_set(rt, dd, one, d2));
    CHECK(hl_gc_is_tracked(rt, dd));
    OK(hl_dict_set(rt, dd, one, one)); /* no cycle left behind */
    LET(e, hl_dict_new(rt));
    OK(hl_dict_set(rt, e, one, w));
    LET(later, hl_tuple_pack(rt, 2, (hl_object *[]){one, y}));
    OK(hl_dict_set(rt, e, y, later) || hl_dict_set(rt, e, one, one));
    CHECK(hl_gc_is_tracked(rt, e) && hl_gc_is_tracked(rt, later));
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    CHECK_EQ(hl_gc_is_tracked(rt, later), !t->tracing);
    CHECK_EQ(hl_gc_is_tracked(rt, e), !t->tracing);
    LET(young, hl_dict_new(rt));
    OK(hl_dict_set(rt, young, one, w) || hl_dict_set(rt, young, one, one));
    CHECK_EQ(hl_gc_collect(rt, 0), 0);
    CHECK_EQ(hl_gc_is_tracked(rt, young), GENERATIONAL || !t->tracing);
    return HL_TEST_PASS;
}

static const hl_test_case cases[] = {
    {"test_saveall", test_saveall, false},
    {"test_get_count", test_get_count, false},
    {"test_collect_generations", test_collect_generations, false},
    {"test_get_referents", test_get_referents, false},
    {"test_is_tracked", test_is_tracked, false},
    {"test_get_stats", test_get_stats, false},
    {"test_freeze", test_freeze, false},
    {"test_get_objects", test_get_objects, false},
    {"test_get_objects_generations", test_get_objects_generations, false},
    {"test_get_objects_arguments", test_get_objects_arguments, false},
    {"TupleTest.test_track_literals", test_tuple_track_literals, false},
    {"DictTest.test_track_dynamic", test_dict_track_dynamic, false},
};

const hl_suite hl_suite_test_gc_module = {
    .name = "gc_module",
    .description = "CPython's test_gc: gc module functions, generations, untracking",
    .cases = cases,
    .count = sizeof cases / sizeof cases[0],
};
