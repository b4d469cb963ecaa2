/*
 * suites/refcount.c — reference counting and the built-in types, on every
 * stack.  Each case mirrors a few lines of Python, quoted above it.
 */
#include "suite.h"

#include <stdio.h>
#include <string.h>

#define LIVE() ((long)hl_runtime_live_objects(t->rt))

/* a = [1, 2, 3]; b = a; sys.getrefcount(a) - 1 == 2; del b -> 1; del a */
static hl_test_result test_alias(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(a, hl_list_new(rt, 0));
    for (int i = 1; i <= 3; i++) {
        LET(item, hl_int(rt, i));
        OK(hl_list_append(rt, a, item));
        DEL(item);
    }
    hl_object *b = a;
    hl_incref(b);
    CHECK_EQ(hl_refcount(a), 2);
    hl_decref(rt, b);
    CHECK_EQ(hl_refcount(a), 1);
    long before = LIVE();
    DEL(a);
    CHECK_EQ(LIVE(), before - 1); /* freed at once, no collection needed */
    return HL_TEST_PASS;
}

/* x = [1, 2, 3]; x = [4, 5]   -> the first list is freed on rebinding */
static hl_test_result test_rebind(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(x, hl_list_new(rt, 0));
    for (int i = 1; i <= 3; i++) {
        LET(item, hl_int(rt, i));
        OK(hl_list_append(rt, x, item));
        DEL(item);
    }
    long with_first = LIVE();
    LET(y, hl_list_new(rt, 2));
    DEL(x);
    x = y;
    CHECK_EQ(LIVE(), with_first); /* one list made, one freed */
    return HL_TEST_PASS;
}

/* o = object(); a = []; a.append(o); a[0] is o; refcount(o) == 2 */
static hl_test_result test_append_identity(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(o, hl_float(rt, 2.5));
    LET(a, hl_list_new(rt, 0));
    OK(hl_list_append(rt, a, o));
    CHECK(hl_list_get(a, 0) == o);
    CHECK_EQ(hl_refcount(o), 2);
    hl_object *popped = hl_list_pop(rt, a);
    CHECK(popped == o);
    hl_decref(rt, popped);
    CHECK_EQ(hl_refcount(o), 1);
    return HL_TEST_PASS;
}

/* Small ints -5..256 are shared; 257 and -6 are not. */
static hl_test_result test_small_ints(hl_test *t)
{
    hl_runtime *rt = t->rt;
    static const long long shared[] = {-5, 0, 100, 256};
    static const long long distinct[] = {-6, 257, 1000};
    for (size_t i = 0; i < sizeof shared / sizeof shared[0]; i++) {
        LET(a, hl_int(rt, shared[i]));
        LET(b, hl_int(rt, shared[i]));
        CHECK(a == b);
        CHECK_EQ(hl_int_value(a), shared[i]);
        DEL(a);
        DEL(b);
    }
    for (size_t i = 0; i < sizeof distinct / sizeof distinct[0]; i++) {
        LET(a, hl_int(rt, distinct[i]));
        LET(b, hl_int(rt, distinct[i]));
        CHECK(a != b);
        CHECK(hl_equal(a, b));
        DEL(a);
        DEL(b);
    }
    return HL_TEST_PASS;
}

/* CPython 3.11's list growth: appending to [] gives capacities
   4, 8, 16, 24, 32, 40, 52, 64, 76, 92, ... */
static hl_test_result test_list_growth(hl_test *t)
{
    hl_runtime *rt = t->rt;
    static const size_t expected[] = {4, 8, 16, 24, 32, 40, 52, 64, 76, 92};
    LET(a, hl_list_new(rt, 0));
    LET(none, hl_int(rt, 0));
    size_t seen = 0, last = 0;
    for (size_t i = 0; i < 80; i++) {
        OK(hl_list_append(rt, a, none));
        size_t cap = hl_list_capacity(a);
        if (cap != last) {
            CHECK(seen < sizeof expected / sizeof expected[0]);
            CHECK_EQ(cap, expected[seen]);
            seen++;
            last = cap;
        }
    }
    CHECK_EQ(hl_refcount(none) >= 81, 1);
    while (hl_list_size(a) > 0)
        hl_list_delete(rt, a, hl_list_size(a) - 1);
    CHECK_EQ(hl_list_capacity(a), 0);
    return HL_TEST_PASS;
}

/* d = {}; d[i] = str(i) for 1000 keys; order kept; delete half; lookups */
static hl_test_result test_dict(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(d, hl_dict_new(rt));
    CHECK(!hl_gc_is_tracked(rt, d)); /* holds nothing trackable yet */
    char text[32];
    for (int i = 0; i < 1000; i++) {
        LET(k, hl_int(rt, i * 7919));
        snprintf(text, sizeof text, "v%d", i);
        LET(v, hl_str(rt, text));
        OK(hl_dict_set(rt, d, k, v));
        DEL(k);
        DEL(v);
    }
    CHECK_EQ(hl_dict_size(d), 1000);
    CHECK(!hl_gc_is_tracked(rt, d)); /* ints and strs only */
    for (int i = 0; i < 1000; i += 2) {
        LET(k, hl_int(rt, i * 7919));
        CHECK_EQ(hl_dict_delete(rt, d, k), 0);
        DEL(k);
    }
    size_t pos = 0, n = 0;
    hl_object *k, *v;
    int expect = 1;
    while (hl_dict_next(d, &pos, &k, &v)) {
        CHECK_EQ(hl_int_value(k), (long long)expect * 7919);
        snprintf(text, sizeof text, "v%d", expect);
        CHECK(strcmp(hl_str_value(v), text) == 0);
        expect += 2;
        n++;
    }
    CHECK_EQ(n, 500);
    LET(key, hl_str(rt, "v1"));
    LET(one, hl_int(rt, 7919));
    CHECK(hl_dict_get(d, one) != NULL);
    CHECK(hl_dict_get(d, key) == NULL);
    LET(inner, hl_list_new(rt, 0));
    OK(hl_dict_set(rt, d, key, inner)); /* a container: now tracked */
    CHECK(hl_gc_is_tracked(rt, d));
    return HL_TEST_PASS;
}

/* t = (1, "a", 2.0); tuples and strings compare and hash by value */
static hl_test_result test_tuple_values(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(one, hl_int(rt, 1));
    LET(s, hl_str(rt, "a"));
    LET(f, hl_float(rt, 2.0));
    hl_object *items[] = {one, s, f};
    LET(a, hl_tuple_pack(rt, 3, items));
    LET(b, hl_tuple_pack(rt, 3, items));
    CHECK(a != b && hl_equal(a, b) && hl_hash(a) == hl_hash(b));
    CHECK_EQ(hl_refcount(one) >= 3, 1);
    LET(two, hl_int(rt, 2));
    CHECK(hl_equal(two, f) && hl_hash(two) == hl_hash(f)); /* 2 == 2.0 */
    LET(d, hl_dict_new(rt));
    OK(hl_dict_set(rt, d, a, s));
    CHECK(hl_dict_get(d, b) == s);
    return HL_TEST_PASS;
}

typedef struct drop_call {
    hl_runtime *rt;
    hl_object *op;
} drop_call;

static void drop_on_small_stack(void *arg)
{
    drop_call *call = arg;
    hl_decref(call->rt, call->op);
}

/* head = []; for _ in range(10**6): head = [head]; del head
   freed by refcounting alone, with constant C stack */
static hl_test_result test_long_chain(hl_test *t)
{
    hl_runtime *rt = t->rt;
    const size_t n = hl_test_scale(t, 1000000);
    LET(head, hl_list_new(rt, 0));
    for (size_t i = 0; i < n; i++) {
        LET(link, hl_list_new(rt, 1));
        OK(hl_list_append(rt, link, head));
        DEL(head);
        head = link;
    }
    long before = LIVE();
    for (size_t i = 0; i < HL_TEST_VARS; i++)
        if (t->var[i] == head)
            t->var[i] = NULL; /* the reference passes to the thread */
    drop_call call = {rt, head};
    CHECK(hl_test_on_small_stack(drop_on_small_stack, &call, HL_SMALL_STACK));
    CHECK_EQ(LIVE(), before - (long)n - 1);
    return HL_TEST_PASS;
}

/* A root (a module global, a frame) keeps what it holds alive, for
   reference counting and for the collector alike; dropping it frees it.
       g = [];  g.append(g)         # a cycle held by a global
       gc.collect() == 0            # alive through the root
       del globals()['g']; gc.collect() == 1 */
static hl_test_result test_roots(hl_test *t)
{
    hl_runtime *rt = t->rt;
    LET(g, hl_list_new(rt, 0));
    OK(hl_list_append(rt, g, g));
    OK(hl_root_add(rt, g));
    LET(frame, hl_list_new(rt, 0));
    OK(hl_frame_push(rt, frame));
    OK(hl_frame_push(rt, frame)); /* recursion: the same locals twice */
    CHECK_EQ(hl_root_count(rt), 3);
    CHECK_EQ(hl_frame_depth(rt), 2);
    long before = LIVE();
    hl_object *cycle = g; /* borrowed: the root's is the only outside one */
    DEL(g);
    DEL(frame);
    CHECK_EQ(LIVE(), before);
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    CHECK_EQ(LIVE(), before);
    CHECK_EQ(hl_root_remove(rt, cycle), 0);
    CHECK_EQ(hl_root_remove(rt, cycle), -1); /* no longer a root */
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(1));
    long cycle_freed = t->tracing ? 1 : 0;
    CHECK_EQ(LIVE(), before - cycle_freed);
    hl_frame_pop(rt);
    CHECK_EQ(LIVE(), before - cycle_freed); /* the outer frame still holds it */
    hl_frame_pop(rt);
    CHECK_EQ(LIVE(), before - cycle_freed - 1);
    CHECK_EQ(hl_root_count(rt), 0);
    char why[256];
    CHECK(hl_runtime_validate(rt, why, sizeof why));
    return HL_TEST_PASS;
}

static const hl_test_case cases[] = {
    {"alias", test_alias, false},
    {"rebind", test_rebind, false},
    {"append_identity", test_append_identity, false},
    {"small_ints", test_small_ints, false},
    {"list_growth", test_list_growth, false},
    {"dict", test_dict, false},
    {"tuple_values", test_tuple_values, false},
    {"roots", test_roots, false},
    {"long_chain_1e6", test_long_chain, true},
};

const hl_suite hl_suite_refcount = {
    .name = "refcount",
    .description = "reference counting and the built-in types",
    .cases = cases,
    .count = sizeof cases / sizeof cases[0],
};
