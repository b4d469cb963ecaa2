/*
 * bench/ci.c — the fixed workloads `make bench-ci` counts instructions of.
 *
 * Timings on a shared machine wander by more than the 3% a regression gate
 * must see; instruction counts under callgrind do not.  Each workload here
 * is a fixed amount of work on heaplab's own code — the pool allocators
 * (and malloc, for scale), every collector — built from the same functions
 * as the timed benchmarks, sized to run in seconds under valgrind.
 *
 *   heaplab-bench --heaplab_ci_list       the workload names, one a line
 *   heaplab-bench --heaplab_ci=NAME       runs one; prints "NAME OPS"
 *
 * bench/ci.sh runs each under `valgrind --tool=callgrind
 * --toggle-collect=bench_ci_measured`, so only the workload itself is
 * counted (not start-up, the dynamic loader or option parsing), divides by
 * OPS and compares instructions per operation with bench/ci-baseline.json.
 * The reference allocators (dlopen'ed libraries) are left out: their code
 * is not heaplab's and changes with the Debian package.
 */
#include "bench.h"
#include "collector_registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t (*ci_fn)(const char *alloc, const char *gc);

/* ---- allocation workloads ----------------------------------------------------- */

enum { CI_BURST = 10000, CI_ROUNDS = 20, CI_LIVE = 10000, CI_STEPS = 200000 };

static uint64_t ci_burst(const char *alloc, bool lifo)
{
    char err[200];
    hl_allocator *a = hl_allocator_open(alloc, err, sizeof err);
    void **block = calloc(CI_BURST, sizeof *block);
    size_t *size = calloc(CI_BURST, sizeof *size);
    uint64_t seed = 42, ops = 0;
    for (size_t i = 0; size && i < CI_BURST; i++)
        size[i] = bench_python_size(&seed);
    for (int r = 0; a && block && size && r < CI_ROUNDS; r++)
        if (bench_burst(a, block, size, CI_BURST, lifo))
            ops += 2 * CI_BURST;
    if (a)
        hl_allocator_close(a);
    free(block);
    free(size);
    return ops;
}

static uint64_t ci_lifo(const char *alloc, const char *gc)
{
    return ci_burst(alloc, true);
}

static uint64_t ci_fifo(const char *alloc, const char *gc)
{
    return ci_burst(alloc, false);
}

static uint64_t ci_churn_with(const char *alloc, bool python)
{
    char err[200];
    hl_allocator *a = hl_allocator_open(alloc, err, sizeof err);
    void **block = calloc(CI_LIVE, sizeof *block);
    size_t *size = calloc(CI_LIVE, sizeof *size);
    size_t *steps = malloc(2 * CI_STEPS * sizeof *steps);
    uint64_t seed = 7, ops = 0;
    bool ok = a && block && size && steps;
    for (size_t i = 0; ok && i < CI_LIVE; i++) {
        size[i] = python ? bench_python_size(&seed) : 16 + bench_random(&seed) % 497;
        ok = (block[i] = hl_mem_malloc(a, size[i])) != NULL;
    }
    for (size_t i = 0; ok && i < 2 * CI_STEPS; i += 2) {
        steps[i] = bench_random(&seed) % CI_LIVE;
        steps[i + 1] = python ? bench_python_size(&seed) : 16 + bench_random(&seed) % 497;
    }
    if (ok && bench_churn(a, block, size, steps, CI_STEPS))
        ops = 2 * CI_STEPS;
    for (size_t i = 0; a && block && i < CI_LIVE; i++)
        if (block[i])
            hl_mem_free(a, block[i], size[i]);
    if (a)
        hl_allocator_close(a);
    free(block);
    free(size);
    free(steps);
    return ops;
}

static uint64_t ci_churn(const char *alloc, const char *gc)
{
    return ci_churn_with(alloc, false);
}

static uint64_t ci_pymix(const char *alloc, const char *gc)
{
    return ci_churn_with(alloc, true);
}

static uint64_t ci_sizes(const char *alloc, const char *gc)
{
    static const size_t sizes[] = {16, 64, 256, 512, 1024, 32768};
    char err[200];
    hl_allocator *a = hl_allocator_open(alloc, err, sizeof err);
    void *block[256];
    size_t size[256];
    uint64_t ops = 0;
    for (size_t s = 0; a && s < sizeof sizes / sizeof sizes[0]; s++) {
        for (size_t i = 0; i < 256; i++)
            size[i] = sizes[s];
        for (int r = 0; r < 50; r++)
            if (bench_burst(a, block, size, 256, false))
                ops += 512;
    }
    if (a)
        hl_allocator_close(a);
    return ops;
}

static uint64_t ci_realloc(const char *alloc, const char *gc)
{
    char err[200];
    hl_allocator *a = hl_allocator_open(alloc, err, sizeof err);
    void *block[16];
    size_t capacity[16];
    uint64_t ops = 0;
    for (int r = 0; a && r < 4; r++)
        ops += bench_list_growth(a, block, capacity, 16, 4096);
    if (a)
        hl_allocator_close(a);
    return ops;
}

/* ---- object-model workloads: ops are objects made or visited ------------------ */

static hl_runtime *ci_runtime(const char *alloc, const char *gc)
{
    char err[300];
    hl_runtime *rt = hl_runtime_create(alloc, gc, err, sizeof err);
    if (rt == NULL)
        fprintf(stderr, "heaplab-bench: %s\n", err);
    return rt;
}

static uint64_t ci_gc_collect(const char *alloc, const char *gc)
{
    hl_runtime *rt = ci_runtime(alloc, gc);
    hl_object *cls = rt ? bench_node_class(rt, 0) : NULL;
    uint64_t ops = 0;
    for (int r = 0; cls && r < 20; r++) {
        unsigned long long ns;
        long found = bench_gc_collect_round(rt, cls, 100, 20, &ns);
        ops += found > 0 ? (uint64_t)found : 0;
    }
    if (rt) {
        hl_xdecref(rt, cls);
        hl_runtime_destroy(rt, NULL);
    }
    return ops;
}

static uint64_t ci_gc_traversal(const char *alloc, const char *gc)
{
    const size_t levels = 300, edges = levels * (levels - 1) / 2;
    hl_runtime *rt = ci_runtime(alloc, gc);
    hl_object *lists = rt ? bench_nested_lists(rt, levels) : NULL;
    uint64_t ops = 0;
    for (int r = 0; lists && r < 10; r++)
        if (hl_gc_collect(rt, 2) == 0)
            ops += edges;
    if (rt) {
        hl_xdecref(rt, lists);
        hl_runtime_destroy(rt, NULL);
    }
    return ops;
}

static uint64_t ci_gcbench(const char *alloc, const char *gc)
{
    static const bench_gcbench_shape shape = {12, 10, 20000, 4, 10};
    hl_runtime *rt = ci_runtime(alloc, gc);
    uint64_t ops = rt ? bench_gcbench(rt, &shape) : 0;
    if (rt)
        hl_runtime_destroy(rt, NULL);
    return ops;
}

static uint64_t ci_binary_trees(const char *alloc, const char *gc)
{
    const int depth = 12;
    hl_runtime *rt = ci_runtime(alloc, gc);
    uint64_t nodes = 0;
    bool ok = rt && bench_binary_trees(rt, depth, &nodes) == bench_binary_trees_expected(depth);
    if (rt)
        hl_runtime_destroy(rt, NULL);
    return ok ? nodes : 0;
}

static uint64_t ci_btree(const char *alloc, const char *gc)
{
    const size_t records = 5000;
    hl_runtime *rt = ci_runtime(alloc, gc);
    hl_object *tree = rt ? bench_btree_build(rt, records) : NULL;
    uint64_t ops = 0;
    for (int r = 0; tree && r < 3; r++)
        if (hl_gc_collect(rt, 2) == 0)
            ops += records;
    if (rt) {
        hl_xdecref(rt, tree);
        hl_runtime_destroy(rt, NULL);
    }
    return ops;
}

/* ---- the table ------------------------------------------------------------------ */

enum stacks {
    ALLOCATORS,   /* freelist_pool, bitmap_pool, malloc; no collector */
    TRACING,      /* freelist_pool with every collector that collects */
    ALL_GC,       /* freelist_pool with every collector, none included */
};

static const struct {
    const char *family;
    ci_fn run;
    enum stacks stacks;
} workloads[] = {
    {"alloc_lifo", ci_lifo, ALLOCATORS},
    {"alloc_fifo", ci_fifo, ALLOCATORS},
    {"alloc_churn", ci_churn, ALLOCATORS},
    {"alloc_pymix", ci_pymix, ALLOCATORS},
    {"alloc_size", ci_sizes, ALLOCATORS},
    {"alloc_realloc", ci_realloc, ALLOCATORS},
    {"gc_collect", ci_gc_collect, TRACING},
    {"gc_traversal", ci_gc_traversal, TRACING},
    {"btree_gc_only", ci_btree, TRACING},
    {"gcbench", ci_gcbench, ALL_GC},
    {"binary_trees", ci_binary_trees, ALL_GC},
};

static const char *const ci_allocators[] = {"freelist_pool", "bitmap_pool", "malloc"};

/* Calls fn(name, alloc, gc, arg) for every workload and stack. */
static bool each_case(bool (*fn)(const char *name, size_t w, const char *alloc,
                                 const char *gc, void *arg),
                      void *arg)
{
    char name[200];
    for (size_t w = 0; w < sizeof workloads / sizeof workloads[0]; w++) {
        if (workloads[w].stacks == ALLOCATORS) {
            for (size_t a = 0; a < sizeof ci_allocators / sizeof ci_allocators[0]; a++) {
                snprintf(name, sizeof name, "%s/%s", workloads[w].family, ci_allocators[a]);
                if (!fn(name, w, ci_allocators[a], "", arg))
                    return false;
            }
            continue;
        }
        for (size_t g = 0; g < hl_collector_count(); g++) {
            const char *gc = hl_collector_at(g)->name;
            if (workloads[w].stacks == TRACING && !bench_collector_traces(gc))
                continue;
            snprintf(name, sizeof name, "%s/freelist_pool/%s", workloads[w].family, gc);
            if (!fn(name, w, "freelist_pool", gc, arg))
                return false;
        }
    }
    return true;
}

static bool print_name(const char *name, size_t w, const char *alloc, const char *gc, void *arg)
{
    printf("%s\n", name);
    return true;
}

/* The one function callgrind counts (--toggle-collect): kept out of line. */
__attribute__((noinline)) uint64_t bench_ci_measured(ci_fn run, const char *alloc,
                                                     const char *gc);
__attribute__((noinline)) uint64_t bench_ci_measured(ci_fn run, const char *alloc,
                                                     const char *gc)
{
    return run(alloc, gc);
}

/* The workload to run, and what it did. */
typedef struct ci_request {
    const char *name;
    bool found;
    uint64_t ops;
} ci_request;

static bool run_named(const char *name, size_t w, const char *alloc, const char *gc, void *arg)
{
    ci_request *r = arg;
    if (strcmp(name, r->name) != 0)
        return true;
    r->found = true;
    r->ops = bench_ci_measured(workloads[w].run, alloc, gc);
    return false; /* stop: it ran */
}

int bench_ci_main(const char *name)
{
    if (name == NULL) {
        each_case(print_name, NULL);
        return 0;
    }
    ci_request r = {.name = name};
    each_case(run_named, &r);
    if (!r.found) {
        fprintf(stderr, "heaplab-bench: no CI workload named '%s'\n", name);
        return 2;
    }
    printf("%s %llu\n", name, (unsigned long long)r.ops);
    return r.ops > 0 ? 0 : 1;
}
