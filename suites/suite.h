/*
 * suites/suite.h — conformance suites: what a test case is, how it runs on
 * a stack, and the macros that let a case read like the Python it mirrors.
 *
 *     a = []; a.append(a); del a; assert gc.collect() == 1
 *
 * becomes
 *
 *     LET(a, hl_list_new(rt, 0));
 *     OK(hl_list_append(rt, a, a));
 *     DEL(a);
 *     CHECK(hl_gc_collect(rt, 2) == FOUND(1));
 *
 * A case's variables are held in the test's table (LET), so a case that
 * stops early — a failed check, or an allocation refused by the
 * out-of-memory sweep — leaves nothing behind: teardown drops the held
 * references, destroys the runtime and checks that every object and every
 * byte came back.
 *
 * FOUND(n) is what a collection must return: n on a tracing collector, 0 on
 * `none`, where the n objects are recorded as expected leaks and teardown
 * checks that destroying the runtime reclaimed exactly that many.
 */
#ifndef HEAPLAB_SUITE_H
#define HEAPLAB_SUITE_H

#include "allocator.h"
#include "object.h"

#include <stdbool.h>
#include <stddef.h>

#define HL_TEST_VARS 64

typedef enum hl_test_result {
    HL_TEST_PASS,
    HL_TEST_FAIL,
    HL_TEST_OOM, /* stopped cleanly by a refused allocation */
} hl_test_result;

typedef struct hl_test {
    hl_runtime *rt;          /* the stack under test (runtime suites) */
    hl_allocator *alloc;     /* the allocator under test (allocator suites) */
    const char *alloc_spec;  /* as opened */
    const char *gc_name;     /* "none", "stw", ... */
    bool tracing;            /* the collector finds cycles (HL_GC_FINDS_CYCLES) */
    bool oom_sweep;          /* run by the out-of-memory sweep: allocations will fail */
    bool increments;         /* collect(1) is one increment (HL_GC_INCREMENTS) */
    bool quick;              /* smaller sizes: sanitizer or emulated runs */
    size_t expected_leaks;   /* containers `none` must reclaim at destroy */
    hl_object *var[HL_TEST_VARS]; /* held references, dropped at teardown */
    char message[512];       /* the first failure */
    unsigned long long seed; /* for randomised cases */
    int counter[4];          /* for finalizers and callbacks: outlives the case */
} hl_test;

typedef struct hl_test_case {
    const char *name;
    hl_test_result (*run)(hl_test *t);
    bool heavy; /* 10^6-object cases: left out of the out-of-memory sweep */
} hl_test_case;

typedef struct hl_suite {
    const char *name;
    const char *description;
    bool allocator_only;     /* runs once per allocator, not per stack */
    bool opens_allocator;    /* allocator_only, but each case opens its own
                                from t->alloc_spec (t->alloc stays NULL) */
    const hl_test_case *cases;
    size_t count;
} hl_suite;

/* The suites, each defined in its own file, listed in suites/suites.c. */
extern const hl_suite hl_suite_alloc_contract;
extern const hl_suite hl_suite_debug_detect;
extern const hl_suite hl_suite_refcount;
extern const hl_suite hl_suite_cycles;
extern const hl_suite hl_suite_collector_layer;
extern const hl_suite hl_suite_test_gc;
extern const hl_suite hl_suite_test_gc_module;
extern const hl_suite hl_suite_test_gc_finalization;
extern const hl_suite hl_suite_test_gc_uncollectable;
extern const hl_suite hl_suite_test_gc_callbacks;
extern const hl_suite hl_suite_test_gc_weakref;
extern const hl_suite hl_suite_test_gc_weakref_cycles;
extern const hl_suite hl_suite_fuzz;

/* The suites, in the order `heaplab test` runs them (suites/suites.c). */
size_t hl_suite_count(void);
const hl_suite *hl_suite_at(size_t i);
const hl_suite *hl_suite_find(const char *name);

/* ---- helpers behind the macros ---------------------------------------- */

hl_test_result hl_test_fail(hl_test *t, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Records op in the table; NULL (out of memory) ends the case as OOM. */
hl_object *hl_test_hold(hl_test *t, hl_object *op);
/* Drops a held reference (del a). */
void hl_test_del(hl_test *t, hl_object *op);
/* True when the runtime has refused an allocation during this case. */
bool hl_test_oom(const hl_test *t);
size_t hl_test_found(hl_test *t, size_t n);
unsigned long long hl_test_random(hl_test *t);
/* The size of a large case: `full`, a fifth with --quick, and at most 2000
   under NAME=stress, where every container allocation collects the heap. */
size_t hl_test_scale(const hl_test *t, size_t full);
/* Runs fn(arg) on a thread whose stack is only `stack_bytes` big: a case
   that must not recurse proves it by not crashing.  False if no thread. */
bool hl_test_on_small_stack(void (*fn)(void *), void *arg, size_t stack_bytes);
/* Stack for the no-recursion cases: ample for flat code, far too small
   for a recursion 10^6 deep (sanitizers enlarge frames, so allow more). */
#define HL_SMALL_STACK ((size_t)1 << 20)

#define HL_FAIL(...) return hl_test_fail(t, __FILE__, __LINE__, __VA_ARGS__)

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond))                                                                     \
            HL_FAIL("check failed: %s", #cond);                                          \
    } while (0)

#define CHECK_EQ(actual, expected)                                                       \
    do {                                                                                 \
        long long a_ = (long long)(actual), e_ = (long long)(expected);                  \
        if (a_ != e_)                                                                    \
            HL_FAIL("%s is %lld, expected %lld", #actual, a_, e_);                       \
    } while (0)

/* A mutator call returning 0 / -1. */
#define OK(call)                                                                         \
    do {                                                                                 \
        if ((call) != 0)                                                                 \
            HL_FAIL("call failed: %s", #call);                                           \
    } while (0)

/* A constructor: declares `var` and holds the new reference in the test's
   table; a NULL ends the case (as OOM when memory ran out). */
#define LET(var, expr)                                                                   \
    hl_object *var = hl_test_hold(t, (expr));                                            \
    if (var == NULL)                                                                     \
    HL_FAIL("allocation failed: %s", #expr)

/* The same for a variable already declared (x = [4, 5]). */
#define SET(var, expr)                                                                   \
    do {                                                                                 \
        if (((var) = hl_test_hold(t, (expr))) == NULL)                                   \
            HL_FAIL("allocation failed: %s", #expr);                                     \
    } while (0)

#define DEL(var) (hl_test_del(t, (var)), (var) = NULL)
#define FOUND(n) ((long)hl_test_found(t, (n)))
/* On `none`, objects that only leaked cycles keep alive (their class) are
   reclaimed at destroy too. */
#define ALSO_LEAKED(n) ((void)(t->tracing ? 0 : (t->expected_leaks += (n))))

#endif
