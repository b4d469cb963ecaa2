/*
 * suites/test_gc.c — CPython's Lib/test/test_gc.py (GCTests, 3.11/3.12): the
 * collection and gc-module cases, and the tracking cases of test_tuple.py
 * and test_dict.py.  Each case quotes the Python it mirrors.  Counts are
 * CPython 3.11's (checked on the same graphs): its instances keep their
 * attributes inline, so a self-referencing instance is one object, as a
 * heaplab instance with slots is.  Where CPython asserts only "!= 0", the
 * case asserts heaplab's exact count and says what it is made of.
 *
 * Every case runs on every stack and asserts what that stack does:
 * generational is CPython's three generations exactly; stw is one space
 * (collect(g) is always full, get_count() is (allocations since the last
 * collection, 0, 0), generations 1 and 2 do not exist); none runs and
 * reports collections that find 0, and cycles live until the runtime is
 * destroyed (FOUND / ALSO_LEAKED record them).
 */
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

enum { CALLS, SEEN }; /* t->counter[]: state finalizers keep past the case */

static hl_object *new_class(hl_test *t, const char *name, size_t slots, hl_finalizer_fn fin)
{
    return hl_class_new(t->rt, &(hl_class_spec){.name = name, .slots = slots, .finalize = fin,
                                                 .user = t});
}

/* An instance whose slot 0 refers to itself (self.me = self). */
static hl_object *self_loop(hl_runtime *rt, hl_object *cls)
{
    hl_object *op = hl_instance_new(rt, cls);
    if (op)
        hl_instance_set(rt, op, 0, op);
    return op;
}

/* A class in a cycle through its method resolution order, as every CPython
   class is: A.__dict__['__mro__'] = (A, *bases) — class, dict, tuple. */
static hl_object *class_with_mro(hl_test *t, const char *name, size_t slots, size_t nbases,
                                 hl_object *const *bases)
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

static uint64_t collections(hl_runtime *rt)
{
    hl_gc_stats s;
    hl_gc_get_stats(rt, &s);
    return s.generation[0].collections + s.generation[1].collections +
           s.generation[2].collections;
}

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

/* gc.collect(); a, b, c = gc.get_count(); x = []; d, e, f = gc.get_count()
   (b, c) == (e, f) == (0, 0); a < 5 (here 0); d > a — none counts nothing */
static hl_test_result test_get_count(hl_test *t)
{
    hl_runtime *rt = t->rt;
    size_t before[HL_GC_GENERATIONS], after[HL_GC_GENERATIONS];
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    hl_gc_get_count(rt, before);
    LET(x, hl_list_new(rt, 0));
    hl_gc_get_count(rt, after);
    CHECK(before[1] == 0 && before[2] == 0 && after[1] == 0 && after[2] == 0);
    CHECK(before[0] == 0 && after[0] == (size_t)TRACING(1));
    return HL_TEST_PASS;
}

/* gc.collect(); x = []; gc.collect(0) -> (_, 1, 0); gc.collect(1) ->
   (_, 0, 1); gc.collect(2) -> (_, 0, 0).  One space has no older
   generation to count collections for: (0, 0, 0) throughout. */
static hl_test_result test_collect_generations(hl_test *t)
{
    hl_runtime *rt = t->rt;
    static const size_t expected[3][3] = {{0, 1, 0}, {0, 0, 1}, {0, 0, 0}};
    size_t count[HL_GC_GENERATIONS];
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    LET(x, hl_list_new(rt, 0));
    for (int g = 0; g < 3; g++) {
        CHECK_EQ(hl_gc_collect(rt, g), 0);
        hl_gc_get_count(rt, count);
        for (int i = 0; i < 3; i++)
            CHECK_EQ(count[i], GENERATIONAL ? expected[g][i] : 0);
    }
    return HL_TEST_PASS;
}

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
    CHECK(!hl_is_tracked(one) && !hl_is_tracked(x) && !hl_is_tracked(a) && !hl_is_tracked(d));
    LET(UserClass, new_class(t, "UserClass", 1, NULL));
    LET(UserClassSlots, new_class(t, "UserClassSlots", 0, NULL));
    LET(u, hl_instance_new(rt, UserClass));
    LET(s, hl_instance_new(rt, UserClassSlots));
    LET(l, hl_list_new(rt, 0));
    LET(wr, hl_weakref_new(rt, u, NULL, NULL));
    CHECK(hl_is_tracked(UserClass) && hl_is_tracked(u) && hl_is_tracked(s));
    CHECK(hl_is_tracked(l) && hl_is_tracked(wr));
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
    hl_gc_unfreeze(rt);
    CHECK_EQ(hl_gc_get_freeze_count(rt), 0);
    CHECK_EQ(in_generation(rt, hl_gc_generations(rt) - 1, id_l), 1);
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
   One space: always in 0; generations 1 and 2 do not exist. */
static hl_test_result test_get_objects_generations(hl_test *t)
{
    hl_runtime *rt = t->rt;
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    LET(l, hl_list_new(rt, 0));
    OK(hl_list_append(rt, l, l));
    bool gens = GENERATIONAL;
    for (int step = 0; step < 4; step++) {
        if (step > 0)
            CHECK_EQ(hl_gc_collect(rt, step - 1), 0);
        int home = gens ? (step < 2 ? step : 2) : 0;
        for (int g = 0; g < 3; g++)
            CHECK_EQ(in_generation(rt, g, l), g == home ? 1 : gens ? 0 : -1);
    }
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
    return !hl_is_tracked(op);
}

/* TupleTest.test_track_literals: x, y, z = 1.5, "a", []
   untracked by collections: (), (1,), (1, 2), (1, 2, "a"), ((1, x), y,
   (2, 3)); tracked even then: ([],), ({},), (x, y, z).  Tuples here are
   tracked from birth (CPython's constants never are); none never untracks. */
static hl_test_result test_tuple_track_literals(hl_test *t)
{
    hl_runtime *rt = t->rt;
    hl_object *n[4], *atomic[5], *mutable[3];
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
        CHECK(hl_is_tracked(atomic[i]));
    untracked_after_two(rt, z);
    for (int i = 0; i < 5; i++)
        CHECK(hl_is_tracked(atomic[i]) != t->tracing);
    for (int i = 0; i < 3; i++)
        CHECK(hl_is_tracked(mutable[i]));
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
    CHECK(!hl_is_tracked(d));
    OK(hl_dict_set(rt, d, z, one));
    CHECK(untracked_after_two(rt, d) == t->tracing);
    OK(hl_dict_set(rt, d, one, w));
    CHECK(!untracked_after_two(rt, d));
    OK(hl_dict_set(rt, d, one, one));
    CHECK(untracked_after_two(rt, d) == t->tracing);
    LET(d2, hl_dict_new(rt));
    LET(dd, hl_dict_new(rt));
    OK(hl_dict_set(rt, d2, one, dd));
    CHECK(untracked_after_two(rt, dd) && hl_is_tracked(d2));
    OK(hl_dict_set(rt, dd, one, d2));
    CHECK(hl_is_tracked(dd));
    OK(hl_dict_set(rt, dd, one, one)); /* no cycle left behind */
    LET(e, hl_dict_new(rt));
    OK(hl_dict_set(rt, e, one, w));
    LET(later, hl_tuple_pack(rt, 2, (hl_object *[]){one, y}));
    OK(hl_dict_set(rt, e, y, later) || hl_dict_set(rt, e, one, one));
    CHECK(hl_is_tracked(e) && hl_is_tracked(later));
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    CHECK_EQ(hl_is_tracked(later), !t->tracing);
    CHECK_EQ(hl_is_tracked(e), !t->tracing);
    LET(young, hl_dict_new(rt));
    OK(hl_dict_set(rt, young, one, w) || hl_dict_set(rt, young, one, one));
    CHECK_EQ(hl_gc_collect(rt, 0), 0);
    CHECK_EQ(hl_is_tracked(young), GENERATIONAL || !t->tracing);
    return HL_TEST_PASS;
}

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
    {"test_saveall", test_saveall, false},
    {"test_del", test_del, false},
    {"test_del_newclass", test_del_newclass, false},
    {"test_get_count", test_get_count, false},
    {"test_collect_generations", test_collect_generations, false},
    {"test_trashcan", test_trashcan, false},
    {"test_boom", test_boom, false},
    {"test_boom2", test_boom2, false},
    {"test_boom_new", test_boom_new, false},
    {"test_boom2_new", test_boom2_new, false},
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

const hl_suite hl_suite_test_gc = {
    .name = "test_gc",
    .description = "CPython's test_gc: graphs, gc module, generations, untracking",
    .cases = cases,
    .count = sizeof cases / sizeof cases[0],
};
