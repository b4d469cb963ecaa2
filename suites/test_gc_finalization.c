/*
 * suites/test_gc_finalization.c — finalizers and resurrection: CPython's
 * Lib/test/test_finalization.py (PEP 442, and its legacy tp_del classes)
 * and the finalizer and resurrection cases of test_gc.py, 3.11.  Each case
 * quotes the Python it mirrors; every count was checked against CPython
 * 3.11 and 3.12 on the same object graph (instances without a __dict__
 * object, as 3.11's inline attributes and heaplab's slots are).  test_gc's
 * gc.garbage cases are in test_gc_uncollectable.c, its gc.callbacks cases
 * in test_gc_callbacks.c.
 *
 * The rules under test, in CPython's order (gc_collect_main): objects with
 * a legacy finalizer, and all they reach, are uncollectable — kept in
 * gc.garbage, never finalized; weakrefs to the rest are cleared; PEP 442
 * finalizers run, once ever per object; what they made reachable again is
 * resurrected, and not counted; the rest is freed and counted.  A death by
 * reference counting runs __del__ first (weakrefs survive a resurrection),
 * then clears weakrefs, then tp_del — every time, it may resurrect again.
 *
 * On `none` collect() finalizes nothing: each case checks that, and the
 * objects, their classes and the class's survivor list are reclaimed when
 * the runtime is destroyed (ALSO_LEAKED).  Finalizers keep their records in
 * t->counter[], never in C locals, because on `none` they run at destroy.
 */
#include "test_gc_support.h"

/* The side effect of a finalizer (test_finalization's class families). */
enum kind { SIMPLE, RESURRECTOR, SUICIDAL };
enum shape { ALONE, SELF_CYCLE, CHAINED };

/* Each instance's payload: what check_sanity needs. */
typedef struct node_state {
    const hl_object *id; /* id(self) when made */
    enum kind kind;
    enum shape shape;
    bool legacy;   /* the side effect belongs to tp_del, not __del__ */
    bool suicided; /* SUICIDAL, after its side effect */
    int dels;      /* __del__ calls on this object: at most 1 */
} node_state;

enum { LEFT, RIGHT }; /* slots; a self-cycle keeps `ref` in LEFT */

/* The class's survivors list (NonGCSimpleBase.survivors), or NULL once the
   class has been cleared (at destroy on `none`). */
static hl_object *survivors_of(const hl_object *self)
{
    hl_object *dict = hl_class_dict(hl_instance_class(self));
    return dict ? hl_dict_get_str(dict, "survivors") : NULL;
}

static void resurrect(hl_runtime *rt, hl_object *self)
{
    hl_object *list = survivors_of(self);
    if (list)
        (void)hl_list_append(rt, list, self);
}

static bool is_suicided(const hl_object *op)
{
    return ((node_state *)hl_instance_payload((hl_object *)op))->suicided;
}

/* SimpleBase / SelfCycleBase / ChainedBase.check_sanity, NULL-safe. */
static bool sane(hl_object *self)
{
    node_state *s = hl_instance_payload(self);
    hl_object *left = hl_instance_get(self, LEFT), *right = hl_instance_get(self, RIGHT);
    if (s->id != self || s->dels > 1)
        return false;
    if (s->shape == SELF_CYCLE)
        return left == self;
    if (s->shape != CHAINED)
        return true;
    if (s->suicided)
        return left == NULL && right == NULL;
    if (left == NULL || right == NULL)
        return false;
    return hl_instance_get(left, RIGHT) == (is_suicided(left) ? NULL : self) &&
           hl_instance_get(right, LEFT) == (is_suicided(right) ? NULL : self);
}

static void side_effect(hl_runtime *rt, hl_object *self)
{
    node_state *s = hl_instance_payload(self);
    if (s->kind == RESURRECTOR) {
        resurrect(rt, self);
    } else if (s->kind == SUICIDAL) {
        s->suicided = true;
        hl_instance_set(rt, self, LEFT, NULL);
        hl_instance_set(rt, self, RIGHT, NULL);
    }
}

/* NonGCSimpleBase.__del__ (LegacyBase.__del__ records only). */
static void base_del(hl_runtime *rt, hl_object *self, void *user)
{
    hl_test *t = user;
    node_state *s = hl_instance_payload(self);
    if (t->counter[CLEANING])
        return;
    s->dels++;
    t->counter[DELS]++;
    t->counter[ERRORS] += !sane(self);
    if (!s->legacy)
        side_effect(rt, self);
}

/* LegacyBase.__tp_del__ */
static void base_tp_del(hl_runtime *rt, hl_object *self, void *user)
{
    hl_test *t = user;
    if (t->counter[CLEANING])
        return;
    t->counter[TP_DELS]++;
    t->counter[ERRORS] += !sane(self);
    side_effect(rt, self);
}

/* A test class with a survivors list in its dict: three objects. */
static hl_object *fin_class(hl_test *t, const char *name, bool legacy)
{
    hl_runtime *rt = t->rt;
    hl_object *cls = hl_class_new(rt, &(hl_class_spec){
                                          .name = name, .slots = 2, .finalize = base_del,
                                          .legacy_del = legacy ? base_tp_del : NULL, .user = t,
                                          .payload = sizeof(node_state)});
    hl_object *list = cls ? hl_list_new(rt, 0) : NULL;
    int r = list ? hl_dict_set_str(rt, hl_class_dict(cls), "survivors", list) : -1;
    hl_xdecref(rt, list);
    if (r != 0)
        hl_clearref(rt, &cls);
    return cls;
}
#define CLASS_OBJECTS 3 /* the class, its dict, the survivors list */

static hl_object *new_node(hl_runtime *rt, hl_object *cls, enum kind kind, enum shape shape)
{
    hl_object *op = hl_instance_new(rt, cls);
    if (op == NULL)
        return NULL;
    node_state *s = hl_instance_payload(op);
    *s = (node_state){.id = op, .kind = kind, .shape = shape,
                      .legacy = (op->type->flags & HL_TYPE_LEGACY_DEL) != 0};
    if (shape == SELF_CYCLE)
        hl_instance_set(rt, op, LEFT, op); /* self.ref = self */
    return op;
}

static hl_object *survivors(hl_object *cls)
{
    return hl_dict_get_str(hl_class_dict(cls), "survivors");
}

/* ---- test_finalization.py ---------------------------------------------- */

/* SimpleFinalizationTest: s = Simple(); wr = weakref.ref(s); del s
   gc.collect(): one __del__, no survivors, wr() is None; again after
   another collect.  _resurrect: s survives and, being alive, keeps its
   weakref; survivors.clear(): no second __del__, and wr() is None.  No
   cycle: reference counting does it all, on every stack. */
static hl_test_result check_simple(hl_test *t, enum kind kind)
{
    hl_runtime *rt = t->rt;
    LET(Simple, fin_class(t, "Simple", false));
    LET(s, new_node(rt, Simple, kind, ALONE));
    const hl_object *id = s;
    LET(wr, hl_weakref_new(rt, s, NULL, NULL));
    DEL(s);
    hl_gc_collect(rt, 2);
    CHECK(t->counter[DELS] == 1 && t->counter[ERRORS] == 0);
    CHECK_EQ(hl_list_size(survivors(Simple)), kind == RESURRECTOR);
    CHECK(hl_weakref_get(wr) == (kind == RESURRECTOR ? id : NULL));
    hl_list_clear(rt, survivors(Simple));
    hl_gc_collect(rt, 2);
    CHECK(t->counter[DELS] == 1 && hl_weakref_get(wr) == NULL);
    return HL_TEST_PASS;
}
VARIANT(test_simple, check_simple(t, SIMPLE))
VARIANT(test_simple_resurrect, check_simple(t, RESURRECTOR))

/* SelfCycleFinalizationTest: s = SimpleSelfCycle() (s.ref = s);
   wr = weakref.ref(s); del s; gc.collect(): one __del__, wr() is None —
   for the resurrector too (weakrefs are cleared before finalizers run);
   survivors.clear(); gc.collect(): no second __del__, s is gone.  What the
   two collections return (3.11): 1, 0; resurrector 0, 1; the suicide
   (self.ref = None in __del__) dies of refcounting in its finalizer: 0, 0. */
static hl_test_result check_self_cycle(hl_test *t, enum kind kind)
{
    hl_runtime *rt = t->rt;
    LET(Cls, fin_class(t, "SelfCycle", false));
    LET(s, new_node(rt, Cls, kind, SELF_CYCLE));
    LET(wr, hl_weakref_new(rt, s, NULL, NULL));
    long before = LIVE();
    DEL(s);
    CHECK_EQ(hl_gc_collect(rt, 2), TRACING(kind == SIMPLE));
    CHECK(t->counter[DELS] == TRACING(1) && t->counter[ERRORS] == 0);
    CHECK_EQ(hl_list_size(survivors(Cls)), TRACING(kind == RESURRECTOR));
    CHECK((hl_weakref_get(wr) == NULL) == t->tracing);
    hl_list_clear(rt, survivors(Cls));
    CHECK_EQ(hl_gc_collect(rt, 2), TRACING(kind == RESURRECTOR));
    CHECK(t->counter[DELS] == TRACING(1) && LIVE() == before - TRACING(1));
    ALSO_LEAKED(1 + CLASS_OBJECTS);
    return HL_TEST_PASS;
}
VARIANT(test_self_cycle_simple, check_self_cycle(t, SIMPLE))
VARIANT(test_self_cycle_resurrect, check_self_cycle(t, RESURRECTOR))
VARIANT(test_self_cycle_suicide, check_self_cycle(t, SUICIDAL))

/*
 * CycleChainFinalizationTest: nodes = [cls() for cls in classes];
 * nodes[i].left = nodes[i-1], nodes[i-1].right = nodes[i] (a ring);
 * wrs = [weakref.ref(n) for n in nodes]; del nodes; gc.collect():
 * every node's __del__ ran once and saw a sane ring, survivors are the
 * resurrectors, every wr() is None; survivors.clear(); gc.collect(): no
 * second __del__, no survivors.  `first` and `second` are what the two
 * collections return in CPython 3.11 for that ring.
 */
static hl_test_result check_chain(hl_test *t, const enum kind *kinds, int n, long first,
                                  long second)
{
    hl_runtime *rt = t->rt;
    LET(Node, fin_class(t, "Chained", false));
    LET(wrs, hl_list_new(rt, 0));
    hl_object *nodes[6];
    int resurrectors = 0;
    for (int i = 0; i < n; i++) {
        SET(nodes[i], new_node(rt, Node, kinds[i], CHAINED));
        resurrectors += kinds[i] == RESURRECTOR;
    }
    for (int i = 0; i < n; i++) {
        hl_object *left = nodes[(i + n - 1) % n];
        hl_instance_set(rt, nodes[i], LEFT, left);
        hl_instance_set(rt, left, RIGHT, nodes[i]);
        LET(wr, hl_weakref_new(rt, nodes[i], NULL, NULL));
        OK(hl_list_append(rt, wrs, wr));
        DEL(wr);
    }
    for (int i = 0; i < n; i++)
        DEL(nodes[i]);
    CHECK_EQ(hl_gc_collect(rt, 2), TRACING(first));
    CHECK(t->counter[DELS] == TRACING(n) && t->counter[ERRORS] == 0);
    CHECK_EQ(hl_list_size(survivors(Node)), TRACING(resurrectors));
    for (int i = 0; i < n; i++)
        CHECK((hl_weakref_get(hl_list_get(wrs, (size_t)i)) == NULL) == t->tracing);
    hl_list_clear(rt, survivors(Node));
    CHECK_EQ(hl_gc_collect(rt, 2), TRACING(second));
    CHECK(t->counter[DELS] == TRACING(n) && hl_list_size(survivors(Node)) == 0);
    ALSO_LEAKED(n + CLASS_OBJECTS);
    return HL_TEST_PASS;
}

#define S SIMPLE
#define R RESURRECTOR
#define X SUICIDAL
#define CHAIN(name, first, second, ...)                                                    \
    static hl_test_result name(hl_test *t)                                                 \
    {                                                                                      \
        static const enum kind kinds[] = {__VA_ARGS__};                                    \
        return check_chain(t, kinds, sizeof kinds / sizeof kinds[0], first, second);       \
    }
CHAIN(test_homogenous, 3, 0, S, S, S)
CHAIN(test_homogenous_resurrect, 0, 3, R, R, R)
CHAIN(test_homogenous_suicidal, 0, 0, X, X, X)
CHAIN(test_heterogenous_suicidal_one, 0, 0, X, S, X, S)
CHAIN(test_heterogenous_suicidal_two, 4, 0, X, X, S, S)
CHAIN(test_heterogenous_resurrect_one, 0, 4, R, S, R, S)
CHAIN(test_heterogenous_resurrect_two, 0, 6, R, S, X, R, S, X)
CHAIN(test_heterogenous_resurrect_three, 0, 6, R, R, S, S, X, X)
#undef S
#undef R
#undef X

/* LegacyFinalizationTest: s = Legacy(); wr = weakref.ref(s); del s
   gc.collect(): __del__ once, tp_del once, wr() is None.  _resurrect: tp_del
   stores s (wr() is None all the same: cleared before tp_del);
   survivors.clear(): __del__ still once, tp_del twice — it resurrects
   every time; the test's exit stops that, and s is freed. */
static hl_test_result check_legacy(hl_test *t, enum kind kind)
{
    hl_runtime *rt = t->rt;
    bool res = kind == RESURRECTOR;
    LET(Legacy, fin_class(t, "Legacy", true));
    LET(s, new_node(rt, Legacy, kind, ALONE));
    LET(wr, hl_weakref_new(rt, s, NULL, NULL));
    DEL(s);
    for (int round = 1; round <= 2; round++) {
        hl_gc_collect(rt, 2);
        CHECK(t->counter[DELS] == 1 && t->counter[TP_DELS] == (res ? round : 1));
        CHECK(t->counter[ERRORS] == 0 && hl_weakref_get(wr) == NULL);
        CHECK_EQ(hl_list_size(survivors(Legacy)), res);
        if (round == 1)
            hl_list_clear(rt, survivors(Legacy));
    }
    long before = LIVE();
    t->counter[CLEANING] = 1;
    hl_list_clear(rt, survivors(Legacy));
    CHECK_EQ(LIVE(), before - res);
    return HL_TEST_PASS;
}
VARIANT(test_legacy, check_legacy(t, SIMPLE))
VARIANT(test_legacy_resurrect, check_legacy(t, RESURRECTOR))

/* LegacyFinalizationTest.test_legacy_self_cycle: s = LegacySelfCycle()
   del s; gc.collect(): no __del__, no tp_del, gc.garbage == [s], wr() is
   not None; gc.garbage[0].ref = None; then clearing gc.garbage frees it */
static hl_test_result test_legacy_self_cycle(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(Legacy, fin_class(t, "LegacySelfCycle", true));
    LET(s, new_node(rt, Legacy, SIMPLE, SELF_CYCLE));
    const hl_object *id = s;
    LET(wr, hl_weakref_new(rt, s, NULL, NULL));
    DEL(s);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(1)); /* uncollectable, counted */
    CHECK(t->counter[DELS] == 0 && t->counter[TP_DELS] == 0 &&
          hl_list_size(survivors(Legacy)) == 0);
    hl_object *garbage = hl_gc_garbage(rt);
    CHECK(garbage && hl_list_size(garbage) == (size_t)TRACING(1));
    CHECK(hl_weakref_get(wr) == id);
    if (t->tracing) {
        hl_instance_set(rt, hl_list_get(garbage, 0), LEFT, NULL); /* .ref = None */
        t->counter[CLEANING] = 1;
        hl_list_clear(rt, garbage);
        CHECK(hl_list_size(garbage) == 0 && hl_weakref_get(wr) == NULL);
    }
    ALSO_LEAKED(CLASS_OBJECTS);
    return HL_TEST_PASS;
}

/* ---- test_gc.py: finalizers and resurrection --------------------------- */

/* gc.is_finalized(3) is False; class Lazarus: __del__: storage.append(self)
   lazarus = Lazarus(); not finalized; del lazarus; gc.collect()
   lazarus = storage.pop(); gc.is_finalized(lazarus) */
static hl_test_result test_is_finalized(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(three, hl_int(rt, 3));
    CHECK(!hl_gc_is_finalized(rt, three));
    LET(Lazarus, fin_class(t, "Lazarus", false));
    LET(lazarus, new_node(rt, Lazarus, RESURRECTOR, ALONE));
    CHECK(!hl_gc_is_finalized(rt, lazarus));
    DEL(lazarus);
    hl_gc_collect(rt, 2);
    SET(lazarus, hl_list_pop(rt, hl_dict_get_str(hl_class_dict(Lazarus), "survivors")));
    CHECK(hl_gc_is_finalized(rt, lazarus));
    long before = LIVE();
    DEL(lazarus);
    CHECK(LIVE() == before - 1 && t->counter[DELS] == 1); /* no second __del__ */
    return HL_TEST_PASS;
}

static void drop_attr(hl_runtime *rt, hl_object *self, void *user)
{
    ((hl_test *)user)->counter[DELS]++;
    hl_instance_set(rt, self, 1, NULL); /* self.attr = None */
}

/* class A: pass; class B: __init__(self, x): self.x = x;
   __del__(self): self.attr = None
   a = A(); b = B(A()); a.attr = b; b.attr = a; (dropped) gc.collect()
   — B's __del__ breaks the cycle while the collector walks it; all three
   die of reference counting inside the finalizer pass: 0 counted (3.11) */
static hl_test_result test_bug21435(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(A, plain_class(t, "A", 1, NULL, NULL));
    LET(B, plain_class(t, "B", 2, drop_attr, NULL)); /* x, attr */
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    long before = LIVE();
    LET(a, hl_instance_new(rt, A));
    LET(x, hl_instance_new(rt, A));
    LET(b, hl_instance_new(rt, B));
    hl_instance_set(rt, b, 0, x);
    hl_instance_set(rt, a, 0, b);
    hl_instance_set(rt, b, 1, a);
    DEL(x);
    DEL(a);
    DEL(b);
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    CHECK_EQ(t->counter[DELS], TRACING(1));
    CHECK_EQ(LIVE(), before + (t->tracing ? 0 : 3));
    ALSO_LEAKED(3 + 2); /* a, b, b.x and both classes */
    return HL_TEST_PASS;
}

/* class Lazarus(A): __del__: resurrected += 1; instances.append(self)
   (A: self.me = self); gc.disable(); laz = Lazarus(); del laz
   gc.collect(): resurrected == 1; instances.clear(); gc.collect():
   resurrected still 1 — SelfCycleFinalizationTest.test_simple_resurrect's
   graph, which checks the same (and the weakref) */
VARIANT(test_resurrection_only_happens_once_per_object, check_self_cycle(t, RESURRECTOR))

/* class Cargo: self.me = self; class Lazarus: __del__: instances.append(self)
   laz.cargo = cargo; cargo.laz = laz; del laz, cargo; gc.collect():
   one instance resurrected, and instance.cargo is cargo — resurrection
   keeps everything the survivor reaches */
static hl_test_result test_resurrection_is_transitive(hl_test *t)
{
    hl_runtime *rt = t->rt;
    hl_gc_disable(rt);
    LET(Lazarus, fin_class(t, "Lazarus", false));
    LET(Cargo, plain_class(t, "Cargo", 2, NULL, NULL)); /* me, laz */
    LET(laz, new_node(rt, Lazarus, RESURRECTOR, ALONE));
    LET(cargo, hl_instance_new(rt, Cargo));
    hl_instance_set(rt, cargo, 0, cargo);
    hl_instance_set(rt, laz, LEFT, cargo);
    hl_instance_set(rt, cargo, 1, laz);
    const hl_object *cargo_id = cargo;
    DEL(laz);
    DEL(cargo);
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    CHECK_EQ(hl_list_size(survivors(Lazarus)), TRACING(1));
    if (t->tracing) {
        LET(instance, hl_list_pop(rt, hl_dict_get_str(hl_class_dict(Lazarus), "survivors")));
        CHECK(hl_instance_get(instance, LEFT) == cargo_id);
        CHECK(hl_instance_get(cargo_id, 1) == instance);
        DEL(instance);
    }
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(2));
    hl_gc_enable(rt);
    ALSO_LEAKED(CLASS_OBJECTS + 1); /* and class Cargo */
    return HL_TEST_PASS;
}

static bool make_garbage(hl_runtime *rt, hl_object *cls, int n)
{
    for (int i = 0; i < n; i++) {
        hl_object *op = hl_instance_new(rt, cls);
        if (op == NULL)
            return false;
        hl_instance_set(rt, op, 0, op);
        hl_decref(rt, op);
    }
    return true;
}

/* N = 100; class A: self.me = self; class Z(A): __del__: zs.append(self)
   N A(): collect() == N, stats collected +N; Z(): collect() == 0, stats
   unchanged (resurrected objects are not counted); N A() and Z():
   collect() == N; zs.clear(): collect() == 2 (3.11) */
static hl_test_result test_resurrection_does_not_block_cleanup_of_other_objects(hl_test *t)
{
    hl_runtime *rt = t->rt;
    const int N = 100;
    hl_gc_disable(rt);
    LET(A, plain_class(t, "A", 1, NULL, NULL));
    LET(Z, fin_class(t, "Z", false));
    uint64_t c = stat_of(rt, false), nc = stat_of(rt, true);
    CHECK(make_garbage(rt, A, N));
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(N));
    CHECK_EQ(stat_of(rt, false) - c, TRACING(N));
    c = stat_of(rt, false);
    LET(z, new_node(rt, Z, RESURRECTOR, SELF_CYCLE));
    DEL(z);
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    CHECK_EQ(stat_of(rt, false) - c, 0);
    CHECK(make_garbage(rt, A, N));
    SET(z, new_node(rt, Z, RESURRECTOR, SELF_CYCLE));
    DEL(z);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(N));
    CHECK_EQ(stat_of(rt, false) - c, TRACING(N));
    CHECK_EQ(hl_list_size(survivors(Z)), TRACING(2));
    c = stat_of(rt, false);
    hl_list_clear(rt, survivors(Z));
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(2));
    CHECK_EQ(stat_of(rt, false) - c, TRACING(2));
    CHECK_EQ(stat_of(rt, true), nc);
    hl_gc_enable(rt);
    ALSO_LEAKED(1 + CLASS_OBJECTS); /* class A; Z's class, dict and zs */
    return HL_TEST_PASS;
}

static const hl_test_case cases[] = {
    {"SimpleFinalizationTest.test_simple", test_simple, false},
    {"SimpleFinalizationTest.test_simple_resurrect", test_simple_resurrect, false},
    {"SelfCycleFinalizationTest.test_simple", test_self_cycle_simple, false},
    {"SelfCycleFinalizationTest.test_simple_resurrect", test_self_cycle_resurrect, false},
    {"SelfCycleFinalizationTest.test_simple_suicide", test_self_cycle_suicide, false},
    {"CycleChainFinalizationTest.test_homogenous", test_homogenous, false},
    {"CycleChainFinalizationTest.test_homogenous_resurrect", test_homogenous_resurrect, false},
    {"CycleChainFinalizationTest.test_homogenous_suicidal", test_homogenous_suicidal, false},
    {"CycleChainFinalizationTest.test_heterogenous_suicidal_one",
     test_heterogenous_suicidal_one, false},
    {"CycleChainFinalizationTest.test_heterogenous_suicidal_two",
     test_heterogenous_suicidal_two, false},
    {"CycleChainFinalizationTest.test_heterogenous_resurrect_one",
     test_heterogenous_resurrect_one, false},
    {"CycleChainFinalizationTest.test_heterogenous_resurrect_two",
     test_heterogenous_resurrect_two, false},
    {"CycleChainFinalizationTest.test_heterogenous_resurrect_three",
     test_heterogenous_resurrect_three, false},
    {"LegacyFinalizationTest.test_legacy", test_legacy, false},
    {"LegacyFinalizationTest.test_legacy_resurrect", test_legacy_resurrect, false},
    {"LegacyFinalizationTest.test_legacy_self_cycle", test_legacy_self_cycle, false},
    {"test_is_finalized", test_is_finalized, false},
    {"test_bug21435", test_bug21435, false},
    {"test_resurrection_only_happens_once_per_object",
     test_resurrection_only_happens_once_per_object, false},
    {"test_resurrection_is_transitive", test_resurrection_is_transitive, false},
    {"test_resurrection_does_not_block_cleanup_of_other_objects",
     test_resurrection_does_not_block_cleanup_of_other_objects, false},
};

const hl_suite hl_suite_test_gc_finalization = {
    .name = "finalization",
    .description = "CPython's test_finalization, test_gc's finalizer and resurrection cases",
    .cases = cases,
    .count = sizeof cases / sizeof cases[0],
};
