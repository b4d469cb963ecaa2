/*
 * suites/test_gc_callbacks.c — gc.callbacks: CPython's Lib/test/test_gc.py
 * GCCallbackTests, 3.11.  Each case quotes the Python it mirrors.
 *
 * Every collection calls each callback twice, in the order they were
 * added: all with "start" before it runs, all with "stop" after, each with
 * the generation collected and, at "stop", how many objects it collected
 * and how many it found uncollectable.  A callback may edit gc.garbage
 * (cb2 takes the test's uncollectables out).  Every stack, none included,
 * runs and reports its collections.
 */
#include "test_gc_support.h"

typedef struct visit {
    int who;        /* 1: cb1, 2: cb2 */
    bool start;     /* phase "start", else "stop" */
    int generation;
    size_t collected, uncollectable;
} visit;

/* self.visit, and cb2's cleanup of Uncollectable from gc.garbage */
typedef struct visits {
    visit v[16];
    size_t n;
    hl_object *uncollectable_class; /* borrowed: Uncollectable */
    bool cleanup;
} visits;

static void record(int who, const char *phase, int generation, size_t collected,
                   size_t uncollectable, visits *vs)
{
    if (vs->n < sizeof vs->v / sizeof vs->v[0])
        vs->v[vs->n++] = (visit){who, phase[1] == 't' && phase[2] == 'a', generation, collected,
                                 uncollectable};
}

static void cb1(hl_runtime *rt, const char *phase, int generation, size_t collected,
                size_t uncollectable, void *user)
{
    record(1, phase, generation, collected, uncollectable, user);
}

/* uc = [e for e in gc.garbage if isinstance(e, Uncollectable)]
   gc.garbage[:] = [the others]; for e in uc: e.partner = None */
static void cb2(hl_runtime *rt, const char *phase, int generation, size_t collected,
                size_t uncollectable, void *user)
{
    visits *vs = user;
    record(2, phase, generation, collected, uncollectable, vs);
    hl_object *garbage = hl_gc_garbage(rt);
    if (!vs->cleanup || phase[2] != 'o' || garbage == NULL)
        return;
    for (size_t i = hl_list_size(garbage); i-- > 0;) {
        hl_object *e = hl_list_get(garbage, i);
        if (!hl_is_instance(e) || hl_instance_class(e) != vs->uncollectable_class)
            continue;
        hl_incref(e);
        hl_list_delete(rt, garbage, i);
        hl_instance_set(rt, e, 0, NULL);
        hl_decref(rt, e);
    }
}

/* setUp: gc.disable(); gc.set_debug(0); gc.callbacks += [cb1, cb2];
   the test; tearDown: the callbacks are removed whatever happened */
static hl_test_result with_callbacks(hl_test *t, hl_test_result (*body)(hl_test *, visits *))
{
    visits vs = {.n = 0};
    hl_gc_disable(t->rt);
    hl_gc_set_debug(t->rt, 0);
    if (hl_gc_add_callback(t->rt, cb1, &vs) != 0)
        HL_FAIL("gc.callbacks.append failed");
    hl_test_result r = hl_gc_add_callback(t->rt, cb2, &vs) == 0
                           ? body(t, &vs)
                           : hl_test_fail(t, __FILE__, __LINE__, "gc.callbacks.append failed");
    hl_gc_remove_callback(t->rt, cb1, &vs);
    hl_gc_remove_callback(t->rt, cb2, &vs);
    hl_gc_enable(t->rt);
    return r;
}

/* self.preclean(); gc.collect(): cb1 and cb2 each seen twice, two "start"
   and two "stop", each with generation, collected, uncollectable.  Every
   stack runs and reports its collections, none included. */
static hl_test_result collect_body(hl_test *t, visits *vs)
{
    CHECK_EQ(hl_gc_collect(t->rt, 2), 0);
    vs->n = 0;
    CHECK_EQ(hl_gc_collect(t->rt, 2), 0);
    CHECK_EQ(vs->n, 4);
    for (size_t i = 0; i < 4; i++) {
        const visit *v = &vs->v[i];
        CHECK(v->who == (int)(i % 2) + 1 && v->start == (i < 2));
        CHECK(v->collected == 0 && v->uncollectable == 0);
        CHECK_EQ(v->generation, hl_gc_generations(t->rt) - 1);
    }
    return HL_TEST_PASS;
}

VARIANT(test_collect, with_callbacks(t, collect_body))

/* self.preclean(); gc.collect(2): every visit has generation 2 — the
   oldest; a single space reports its only generation, 0 */
static hl_test_result collect_generation_body(hl_test *t, visits *vs)
{
    vs->n = 0;
    CHECK_EQ(hl_gc_collect(t->rt, 2), 0);
    CHECK_EQ(vs->n, 4);
    for (size_t i = 0; i < vs->n; i++)
        CHECK_EQ(vs->v[i].generation, GENERATIONAL ? 2 : 0);
    return HL_TEST_PASS;
}

VARIANT(test_collect_generation, with_callbacks(t, collect_generation_body))

static bool stops_report(const visits *vs, size_t collected, size_t uncollectable)
{
    size_t stops = 0;
    for (size_t i = 0; i < vs->n; i++) {
        if (vs->v[i].start)
            continue;
        stops++;
        if (vs->v[i].collected != collected || vs->v[i].uncollectable != uncollectable)
            return false;
    }
    return stops == 2;
}

/* Uncollectable(); Uncollectable()   (a @with_tp_del pair each:
   self.partner = Uncollectable(partner=self)); C1055820(666) (self-loop)
   gc.collect(): at "stop", collected 1, uncollectable 4 (3.11); gc.garbage
   holds the 4 Uncollectables.  The test's `for e in gc.garbage` leaves e
   bound to the last one, so after cleanup=True; gc.garbage[:] = [];
   gc.collect() only the other pair is garbage: collected 0, uncollectable
   2, and cb2 empties gc.garbage.  (Then e's pair goes the same way.) */
static hl_test_result collect_garbage_body(hl_test *t, visits *vs)
{
    hl_runtime *rt = t->rt;
    LET(Uncollectable, plain_class(t, "Uncollectable", 1, NULL, count_tp_del));
    LET(C1055820, plain_class(t, "C1055820", 2, NULL, NULL)); /* loop, i */
    vs->uncollectable_class = Uncollectable;
    CHECK_EQ(hl_gc_collect(rt, 2), 0);
    vs->n = 0;
    for (int k = 0; k < 2; k++) {
        LET(self, hl_instance_new(rt, Uncollectable));
        LET(partner, hl_instance_new(rt, Uncollectable));
        hl_instance_set(rt, self, 0, partner);
        hl_instance_set(rt, partner, 0, self);
        DEL(self);
        DEL(partner);
    }
    LET(c, hl_instance_new(rt, C1055820));
    LET(i666, hl_int(rt, 666));
    hl_instance_set(rt, c, 0, c);
    hl_instance_set(rt, c, 1, i666);
    DEL(c);
    CHECK_EQ(hl_gc_collect(rt, 2), FOUND(5));
    CHECK(stops_report(vs, (size_t)TRACING(1), (size_t)TRACING(4)));
    hl_object *garbage = hl_gc_garbage(rt);
    CHECK(garbage && hl_list_size(garbage) == (size_t)TRACING(4));
    for (size_t i = 0; i < hl_list_size(garbage); i++)
        CHECK(hl_instance_class(hl_list_get(garbage, i)) == Uncollectable);
    if (!t->tracing) {
        ALSO_LEAKED(2); /* the classes */
        return HL_TEST_PASS;
    }
    LET(e, hl_list_get(garbage, hl_list_size(garbage) - 1));
    hl_incref(e);
    vs->cleanup = true;
    vs->n = 0;
    hl_list_clear(rt, garbage);
    CHECK_EQ(hl_gc_collect(rt, 2), 2);
    CHECK(stops_report(vs, 0, 2));
    CHECK(hl_list_size(garbage) == 0 && t->counter[TP_DELS] == 2);
    DEL(e);
    CHECK_EQ(hl_gc_collect(rt, 2), 2);
    CHECK(hl_list_size(garbage) == 0 && t->counter[TP_DELS] == 4);
    return HL_TEST_PASS;
}

VARIANT(test_collect_garbage, with_callbacks(t, collect_garbage_body))

static const hl_test_case cases[] = {
    {"GCCallbackTests.test_collect", test_collect, false},
    {"GCCallbackTests.test_collect_generation", test_collect_generation, false},
    {"GCCallbackTests.test_collect_garbage", test_collect_garbage, false},
};

const hl_suite hl_suite_test_gc_callbacks = {
    .name = "gc_callbacks",
    .description = "CPython's test_gc: GCCallbackTests",
    .cases = cases,
    .count = sizeof cases / sizeof cases[0],
};
