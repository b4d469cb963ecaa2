/*
 * bench/reference.c — the same programs outside heaplab's object model, as
 * references for bench/collect.c:
 *
 *   gcbench/bdwgc, binary_trees/bdwgc
 *       the Boehm-Demers-Weiser collector (Debian's libgc 8.2): nodes from
 *       GC_MALLOC, never freed, found by conservative mark-sweep.  GCBench's
 *       Node is Boehm's own {left, right, i, j}; binary-trees' node is the
 *       {left, right} pair.  Marking stays on one thread, as heaplab's
 *       collectors do: libgc starts parallel markers only once the program
 *       starts a thread, which this one never does.
 *   binary_trees/manual/ALLOC
 *       the program with explicit frees, through heaplab's allocator
 *       interface, on every allocator available (mimalloc among them)
 *   binary_trees/manual/libc
 *       the same with malloc and free called directly: the floor, without
 *       the dispatch layer's indirect call and counting
 *
 * bdwgc is one heap per process that never shrinks; bench/run.sh runs these
 * in a process of their own.
 */
#include "bench.h"

#include <gc.h>
#include <stdlib.h>

/* ---- bdwgc ----------------------------------------------------------------- */

typedef struct gc_node {
    struct gc_node *left, *right;
    int i, j;
} gc_node;

static size_t tree_size(int depth)
{
    return ((size_t)1 << (depth + 1)) - 1;
}

static gc_node *gc_new_node(gc_node *left, gc_node *right)
{
    gc_node *n = GC_MALLOC(sizeof *n);
    if (n) {
        n->left = left;
        n->right = right;
    }
    return n;
}

static void gc_populate(int depth, gc_node *node)
{
    if (depth <= 0)
        return;
    node->left = gc_new_node(NULL, NULL);
    node->right = gc_new_node(NULL, NULL);
    gc_populate(depth - 1, node->left);
    gc_populate(depth - 1, node->right);
}

static gc_node *gc_make_tree(int depth)
{
    if (depth <= 0)
        return gc_new_node(NULL, NULL);
    gc_node *left = gc_make_tree(depth - 1);
    return gc_new_node(left, gc_make_tree(depth - 1));
}

/* Boehm's GCBench with the shape of bench/collect.c; returns nodes built. */
static uint64_t gc_gcbench(const bench_gcbench_shape *shape)
{
    uint64_t nodes = tree_size(shape->stretch_depth);
    gc_node *volatile temp = gc_make_tree(shape->stretch_depth);
    temp = NULL;
    gc_node *volatile long_lived = gc_new_node(NULL, NULL);
    gc_populate(shape->long_lived_depth, long_lived);
    nodes += tree_size(shape->long_lived_depth);
    double *volatile array = GC_MALLOC_ATOMIC(shape->array_size * sizeof(double));
    for (size_t i = 0; i < shape->array_size / 2; i++)
        array[i] = 1.0 / (double)i;
    for (int depth = shape->min_depth; depth <= shape->max_depth; depth += 2) {
        size_t iterations = 2 * tree_size(shape->stretch_depth) / tree_size(depth);
        for (size_t i = 0; i < iterations; i++) {
            temp = gc_new_node(NULL, NULL);
            gc_populate(depth, temp);
            temp = NULL;
        }
        for (size_t i = 0; i < iterations; i++) {
            temp = gc_make_tree(depth);
            temp = NULL;
        }
        nodes += 2 * iterations * tree_size(depth);
    }
    bool ok = long_lived->left != NULL && array[1000] == 1.0 / 1000;
    return ok ? nodes : 0;
}

typedef struct pair_node {
    struct pair_node *left, *right;
} pair_node;

static pair_node *gc_pair_tree(int depth)
{
    pair_node *n = GC_MALLOC(sizeof *n);
    if (n && depth > 0) {
        n->left = gc_pair_tree(depth - 1);
        n->right = gc_pair_tree(depth - 1);
    }
    return n;
}

static uint64_t pair_check(const pair_node *n)
{
    return n->left == NULL ? 1 : 1 + pair_check(n->left) + pair_check(n->right);
}

static uint64_t gc_binary_trees(int max_depth)
{
    uint64_t total = pair_check(gc_pair_tree(max_depth + 1));
    pair_node *volatile long_lived = gc_pair_tree(max_depth);
    for (int depth = 4; depth <= max_depth; depth += 2) {
        uint64_t iterations = (uint64_t)1 << (max_depth - depth + 4);
        for (uint64_t i = 0; i < iterations; i++)
            total += pair_check(gc_pair_tree(depth));
    }
    return total + pair_check(long_lived);
}

static void bdwgc_counters(hl_bench_state *state, const bench_rss *rss, GC_word gc_before,
                           unsigned long ms_before)
{
    hl_bench_counter(state, "collections", (double)(GC_get_gc_no() - gc_before),
                     HL_COUNTER_DEFAULT);
    hl_bench_counter(state, "gc_ms", (double)(GC_get_full_gc_total_time() - ms_before),
                     HL_COUNTER_DEFAULT);
    hl_bench_counter(state, "heap_bytes", (double)GC_get_heap_size(), HL_COUNTER_DEFAULT);
    hl_bench_counter(state, "peak_rss_kib", (double)bench_rss_peak_kib(rss), HL_COUNTER_DEFAULT);
}

/* Started on first use, so processes that run no bdwgc case never map its heap. */
static void bdwgc_start(void)
{
    static bool started;
    if (!started) {
        GC_INIT();
        GC_start_performance_measurement();
        started = true;
    }
}

static void run_bdwgc(hl_bench_state *state, void *arg)
{
    const bench_case *c = arg;
    bdwgc_start();
    GC_gcollect(); /* start from an empty heap: earlier runs left garbage */
    bench_rss rss;
    bench_rss_start(&rss);
    GC_word gc_before = GC_get_gc_no();
    unsigned long ms_before = GC_get_full_gc_total_time();
    uint64_t nodes = 0;
    bench_perf perf;
    bench_perf_begin(&perf);
    while (hl_bench_keep_running(state)) {
        if (c->data) {
            nodes = gc_gcbench(c->data);
        } else {
            int depth = (int)c->param;
            uint64_t expected = bench_binary_trees_expected(depth);
            nodes = gc_binary_trees(depth) == expected ? expected : 0;
        }
        if (nodes == 0) {
            bench_perf_discard(&perf);
            hl_bench_skip(state, "a wrong result: memory ran out or was reclaimed too early");
            return;
        }
    }
    bench_perf_end(&perf, state, (double)nodes * (double)hl_bench_iterations_done(state));
    if (c->data)
        hl_bench_counter(state, "nodes", (double)nodes, HL_COUNTER_DEFAULT);
    bdwgc_counters(state, &rss, gc_before, ms_before);
}

/* ---- manual memory ----------------------------------------------------------- */

static pair_node *manual_tree(hl_allocator *a, int depth)
{
    pair_node *n = hl_mem_malloc(a, sizeof *n);
    if (n == NULL)
        return NULL;
    n->left = n->right = NULL;
    if (depth > 0) {
        n->left = manual_tree(a, depth - 1);
        n->right = manual_tree(a, depth - 1);
    }
    return n;
}

static void manual_free(hl_allocator *a, pair_node *n)
{
    if (n->left) {
        manual_free(a, n->left);
        manual_free(a, n->right);
    }
    hl_mem_free(a, n, sizeof *n);
}

static pair_node *libc_tree(int depth)
{
    pair_node *n = malloc(sizeof *n);
    if (n == NULL)
        return NULL;
    n->left = n->right = NULL;
    if (depth > 0) {
        n->left = libc_tree(depth - 1);
        n->right = libc_tree(depth - 1);
    }
    return n;
}

static void libc_free(pair_node *n)
{
    if (n->left) {
        libc_free(n->left);
        libc_free(n->right);
    }
    free(n);
}

/* Builds, checks and frees one tree; a = NULL: malloc and free directly.
   Out of memory shows as a wrong check sum (a NULL node is a leaf). */
static uint64_t manual_round(hl_allocator *a, int depth)
{
    pair_node *tree = a ? manual_tree(a, depth) : libc_tree(depth);
    if (tree == NULL)
        return 0;
    uint64_t check = pair_check(tree);
    if (a)
        manual_free(a, tree);
    else
        libc_free(tree);
    return check;
}

uint64_t bench_binary_trees_manual(hl_allocator *a, int max_depth)
{
    uint64_t total = manual_round(a, max_depth + 1);
    pair_node *long_lived = a ? manual_tree(a, max_depth) : libc_tree(max_depth);
    if (long_lived == NULL)
        return 0;
    for (int depth = 4; depth <= max_depth; depth += 2) {
        uint64_t iterations = (uint64_t)1 << (max_depth - depth + 4);
        for (uint64_t i = 0; i < iterations; i++)
            total += manual_round(a, depth);
    }
    total += pair_check(long_lived);
    if (a)
        manual_free(a, long_lived);
    else
        libc_free(long_lived);
    return total;
}

static void run_manual(hl_bench_state *state, void *arg)
{
    const bench_case *c = arg;
    int depth = (int)c->param;
    bench_rss rss;
    bench_rss_start(&rss);
    hl_allocator *a = NULL;
    if (c->alloc[0] && (a = bench_allocator(state, c->alloc)) == NULL)
        return;
    uint64_t nodes = bench_binary_trees_expected(depth); /* one check per node */
    bench_perf perf;
    bench_perf_begin(&perf);
    while (hl_bench_keep_running(state))
        if (bench_binary_trees_manual(a, depth) != nodes) {
            hl_bench_skip(state, "out of memory");
            break;
        }
    bench_perf_end(&perf, state, (double)nodes * (double)hl_bench_iterations_done(state));
    hl_bench_counter(state, "peak_rss_kib", (double)bench_rss_peak_kib(&rss), HL_COUNTER_DEFAULT);
    if (a)
        hl_allocator_close(a);
}

void bench_register_reference(const bench_options *o)
{
    int repetitions = o->quick ? 1 : 3;
    int depth = o->quick ? 14 : 18;
    bench_case *c = bench_case_new(o, NULL, NULL);
    c->data = o->quick ? &bench_gcbench_quick : &bench_gcbench_full;
    hl_bench *b = hl_bench_iterations(bench_register("gcbench/bdwgc", run_bdwgc, c), 1);
    hl_bench_repetitions(hl_bench_unit(b, HL_BENCH_MS), repetitions);
    c = bench_case_new(o, NULL, NULL);
    c->param = depth;
    b = hl_bench_iterations(bench_register("binary_trees/bdwgc", run_bdwgc, c), 1);
    hl_bench_repetitions(hl_bench_unit(b, HL_BENCH_MS), repetitions);
    c = bench_case_new(o, NULL, NULL);
    c->param = depth;
    b = hl_bench_iterations(bench_register("binary_trees/manual/libc", run_manual, c), 1);
    hl_bench_repetitions(hl_bench_unit(b, HL_BENCH_MS), repetitions);
    const char *names[32];
    size_t n = bench_allocators(names, 32);
    for (size_t i = 0; i < n; i++) {
        c = bench_case_new(o, names[i], NULL);
        c->param = depth;
        b = hl_bench_iterations(bench_register("binary_trees/manual", run_manual, c), 1);
        hl_bench_repetitions(hl_bench_unit(b, HL_BENCH_MS), repetitions);
    }
}
