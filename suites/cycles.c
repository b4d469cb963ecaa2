/*
 * suites/cycles.c — reference cycles, on every stack.  On a tracing
 * collector each collection must find exactly CPython's count; on `none` it
 * finds 0, the objects demonstrably stay alive, and destroying the runtime
 * reclaims exactly them (FOUND records the expected leaks).
 */
#include "suite.h"

#define LIVE() ((long)hl_runtime_live_objects(t->rt))

/* After a collection that should free n objects: they are gone on a
   tracing collector and all still there on `none`. */
#define CHECK_FREED(before, n) CHECK_EQ(LIVE(), (before) - (t->tracing ? (long)(n) : 0))

/* a = []; a.append(a); del a; gc.collect() == 1 */
static hl_test_result test_self_list(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(a, hl_list_new(rt, 0));
    OK(hl_list_append(rt, a, a));
    long before = LIVE();
    DEL(a);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(1));
    CHECK_FREED(before, 1);
    return HL_TEST_PASS;
}

/* l = []; t = (l,); l.append(t); del l, t; gc.collect() == 2 */
static hl_test_result test_list_tuple(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(l, hl_list_new(rt, 0));
    LET(tup, hl_tuple_pack(rt, 1, &l));
    OK(hl_list_append(rt, l, tup));
    long before = LIVE();
    DEL(l);
    DEL(tup);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(2));
    CHECK_FREED(before, 2);
    return HL_TEST_PASS;
}

/* class A: pass   (slots) ; a, b = A(), A(); a.x = b; b.x = a; del a, b
   -> 2 instances; the class stays alive through our own reference */
static hl_test_result test_instance_pair(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(cls, hl_class_new(rt, &(hl_class_spec){.name = "A", .slots = 1}));
    LET(a, hl_instance_new(rt, cls));
    LET(b, hl_instance_new(rt, cls));
    hl_instance_set(rt, a, 0, b);
    hl_instance_set(rt, b, 0, a);
    long before = LIVE();
    DEL(a);
    DEL(b);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(2));
    CHECK_FREED(before, 2);
    ALSO_LEAKED(1); /* class A */
    return HL_TEST_PASS;
}

/* d = {}; d[1] = d; del d; gc.collect() == 1 */
static hl_test_result test_self_dict(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(d, hl_dict_new(rt));
    LET(one, hl_int(rt, 1));
    OK(hl_dict_set(rt, d, one, d));
    CHECK(hl_gc_is_tracked(rt, d));
    long before = LIVE();
    DEL(d);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(1));
    CHECK_FREED(before, 1);
    return HL_TEST_PASS;
}

/* a = []; a.append(a); tail = [[[ ]]] hanging off the cycle -> 4 */
static hl_test_result test_cycle_with_tail(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(a, hl_list_new(rt, 0));
    OK(hl_list_append(rt, a, a));
    LET(t1, hl_list_new(rt, 0));
    LET(t2, hl_dict_new(rt));
    LET(t3, hl_list_new(rt, 0));
    LET(key, hl_str(rt, "k"));
    OK(hl_list_append(rt, a, t1));
    OK(hl_list_append(rt, t1, t2));
    OK(hl_dict_set(rt, t2, key, t3));
    DEL(t1);
    DEL(t2);
    DEL(t3);
    long before = LIVE();
    DEL(a);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(4));
    /* the key str goes with the dict on a tracing collector */
    CHECK_EQ(LIVE(), before - (t->tracing ? 4 : 0));
    return HL_TEST_PASS;
}

/* root = [cycle]: a cycle reachable from a live root survives intact */
static hl_test_result test_reachable_cycle(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(root, hl_list_new(rt, 0));
    LET(a, hl_list_new(rt, 0));
    LET(b, hl_list_new(rt, 0));
    OK(hl_list_append(rt, a, b));
    OK(hl_list_append(rt, b, a));
    OK(hl_list_append(rt, root, a));
    DEL(b);
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    DEL(a);
    long before = LIVE();
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    CHECK_EQ(LIVE(), before);
    hl_object *x = hl_list_get(root, 0);
    hl_object *y = hl_list_get(x, 0);
    CHECK(hl_list_get(y, 0) == x && hl_refcount(x) == 2 && hl_refcount(y) == 1);
    hl_list_clear(rt, root); /* now the pair is garbage */
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(2));
    return HL_TEST_PASS;
}

/* pyperformance gc_collect: 100 cycles of 21 nodes -> 2100 */
static hl_test_result test_100_cycles(hl_test *t)
{
    hl_runtime *rt = t->rt;
    hl_gc_disable(rt); /* every node must be found by the one collection */
    LET(cls, hl_class_new(rt, &(hl_class_spec){.name = "Node", .slots = 2}));
    for (int c = 0; c < 100; c++) {
        LET(first, hl_instance_new(rt, cls));
        hl_object *prev = first;
        for (int i = 1; i < 21; i++) {
            LET(node, hl_instance_new(rt, cls));
            hl_instance_set(rt, prev, 0, node);
            hl_instance_set(rt, node, 1, prev);
            if (prev != first)
                DEL(prev);
            prev = node;
        }
        hl_instance_set(rt, prev, 0, first);
        hl_instance_set(rt, first, 1, prev);
        DEL(prev);
        DEL(first);
    }
    long before = LIVE();
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(2100));
    CHECK_FREED(before, 2100);
    ALSO_LEAKED(1); /* class Node */
    hl_gc_enable(rt);
    return HL_TEST_PASS;
}

/* gc.collect() with nothing to collect -> 0, and live objects untouched */
static hl_test_result test_nothing(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(a, hl_list_new(rt, 0));
    LET(d, hl_dict_new(rt));
    OK(hl_list_append(rt, a, d));
    long before = LIVE();
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    CHECK_EQ(hl_gc_collect(rt, 0), 0);
    CHECK_EQ(LIVE(), before);
    return HL_TEST_PASS;
}

typedef struct collect_call {
    hl_test *t;
    long found;
} collect_call;

static void collect_on_small_stack(void *arg)
{
    collect_call *call = arg;
    call->found = hl_gc_collect(call->t->rt, 2);
}

/* nodes = [[] for _ in range(10**6)]; each holds the next, the last the
   first; del nodes; gc.collect() == 10**6 — found and freed with flat stack */
static hl_test_result test_big_cycle(hl_test *t)
{
    hl_runtime *rt = t->rt;
    const long n = (long)hl_test_scale(t, 1000000);
    hl_gc_disable(rt);
    LET(first, hl_list_new(rt, 1));
    hl_object *prev = first;
    for (long i = 1; i < n; i++) {
        LET(node, hl_list_new(rt, 1));
        OK(hl_list_append(rt, prev, node));
        if (prev != first)
            DEL(prev);
        prev = node;
    }
    OK(hl_list_append(rt, prev, first));
    if (prev != first)
        DEL(prev);
    long before = LIVE();
    DEL(first);
    collect_call call = {t, -1};
    CHECK(hl_test_on_small_stack(collect_on_small_stack, &call, HL_SMALL_STACK));
    CHECK_EQ(call.found, FOUND((size_t)n));
    CHECK_FREED(before, n);
    hl_gc_enable(rt);
    return HL_TEST_PASS;
}

static void count_finalizer(hl_runtime *rt, hl_object *self, void *user)
{
    (void)rt;
    (void)self;
    ++*(int *)user;
}

/* class A: def __del__(self): calls += 1
   a = A(); a.self = a; del a; gc.collect() == 1; calls == 1; again: 0, 1 */
static hl_test_result test_finalizer_once(hl_test *t)
{
    hl_runtime *rt = t->rt;
    int *calls = &t->counter[0]; /* `none` calls it after the case returns */
    LET(cls, hl_class_new(rt, &(hl_class_spec){
                              .name = "A", .slots = 1, .finalize = count_finalizer,
                              .user = calls}));
    LET(a, hl_instance_new(rt, cls));
    hl_instance_set(rt, a, 0, a);
    DEL(a);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(1));
    CHECK_EQ(*calls, t->tracing ? 1 : 0);
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    CHECK_EQ(*calls, t->tracing ? 1 : 0);
    ALSO_LEAKED(1); /* class A; on `none` the finalizer runs at reclaim */
    return HL_TEST_PASS;
}

static const hl_test_case cases[] = {
    {"self_list", test_self_list, false},
    {"list_tuple", test_list_tuple, false},
    {"instance_pair", test_instance_pair, false},
    {"self_dict", test_self_dict, false},
    {"cycle_with_tail", test_cycle_with_tail, false},
    {"reachable_cycle", test_reachable_cycle, false},
    {"100_cycles_x_21", test_100_cycles, false},
    {"nothing_to_collect", test_nothing, false},
    {"big_cycle_1e6", test_big_cycle, true},
    {"finalizer_once", test_finalizer_once, false},
};

const hl_suite hl_suite_cycles = {
    .name = "cycles",
    .description = "reference cycles: CPython's counts, or none's honest 0",
    .cases = cases,
    .count = sizeof cases / sizeof cases[0],
};
