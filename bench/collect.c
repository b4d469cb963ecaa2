/*
 * bench/collect.c — collection benchmarks through the object model, on
 * every collector in the registry and on the default pool (freelist_pool)
 * and the C library's malloc.
 *
 *   gc_collect     pyperformance bm_gc_collect: 100 cycles of 21 Node
 *                  instances (next, prev) made and dropped; only the
 *                  gc.collect() that frees them is timed
 *   gc_traversal   pyperformance bm_gc_traversal: 1000 nested lists, level
 *                  n holding n references to level n-1 (499 500 edges), all
 *                  reachable; only gc.collect() is timed, which finds nothing
 *   gcbench        Boehm's GCBench: a stretch tree of depth 18, a long-lived
 *                  tree of depth 16 and an array of 500 000 slots (half of
 *                  them floats) kept throughout, then trees of depth 4, 6,
 *                  ... 16 built top-down (Populate) and bottom-up (MakeTree)
 *                  2 * TreeSize(18) / TreeSize(d) times each; whole run timed
 *   binary_trees   the Benchmarks Game program at depth 18, Python's tuple
 *                  version: (left, right) tuples, (None, None) leaves;
 *                  whole run timed
 *
 * Nodes are shaped as in the Python programs: GCBench's and gc_collect's
 * Node is a class with two attribute slots (3.11 keeps such attributes
 * inline, without a __dict__) and, for GCBench, the two ints i and j as
 * payload; bench/reference.c builds the same shapes under bdwgc and malloc.
 * `none` runs gcbench and binary_trees (reference counting alone frees all
 * of it, the floor) but not the collection-timed ones, where it would time
 * nothing.  Automatic collection stays on where the programs run with it.
 */
#include "bench.h"
#include "cli.h"
#include "tree_nodes.h"

#include <stdio.h>

/* ---- gc_collect ------------------------------------------------------------ */

enum { NODE_NEXT = 0, NODE_PREV = 1 };

hl_object *bench_node_class(hl_runtime *rt, size_t payload)
{
    hl_class_spec spec = {.name = "Node", .slots = 2, .payload = payload};
    return hl_class_new(rt, &spec);
}

/* node.next = next; next.prev = node (Node.link_next) */
static void link_next(hl_runtime *rt, hl_object *node, hl_object *next)
{
    hl_instance_set(rt, node, NODE_NEXT, next);
    hl_instance_set(rt, next, NODE_PREV, node);
}

/* One round of bm_gc_collect: returns what the timed collect found (-1 when
   memory ran out) and its time in *collect_ns. */
long bench_gc_collect_round(hl_runtime *rt, hl_object *node_class, size_t cycles,
                            size_t links, unsigned long long *collect_ns)
{
    hl_object *all = hl_list_new(rt, 0);
    if (all == NULL)
        return -1;
    bool ok = true;
    for (size_t c = 0; ok && c < cycles; c++) {
        hl_object *current = hl_instance_new(rt, node_class), *head = current;
        ok = current != NULL && hl_list_append(rt, all, current) == 0;
        for (size_t i = 0; ok && i < links; i++) {
            hl_object *next = hl_instance_new(rt, node_class);
            if ((ok = next != NULL))
                link_next(rt, current, next);
            hl_decref(rt, current);
            current = next;
        }
        if (ok) {
            link_next(rt, current, head);
            hl_decref(rt, current);
        } else if (current) {
            hl_decref(rt, current);
        }
    }
    hl_decref(rt, all);
    unsigned long long start = hl_now_ns();
    long found = hl_gc_collect(rt, 2);
    *collect_ns = hl_now_ns() - start;
    return ok ? found : -1;
}

static void run_gc_collect(hl_bench_state *state, void *arg)
{
    const bench_case *c = arg;
    hl_runtime *rt = bench_runtime(state, c);
    if (rt == NULL)
        return;
    hl_object *node_class = bench_node_class(rt, 0);
    hl_gc_collect(rt, 2);
    long found = 0;
    while (node_class && hl_bench_keep_running(state)) {
        unsigned long long ns;
        found = bench_gc_collect_round(rt, node_class, 100, 20, &ns);
        if (found < 100 * 21) {
            hl_bench_skip(state, "the collection found fewer than 2100 objects");
            break;
        }
        hl_bench_set_iteration_time(state, (double)ns / 1e9);
    }
    hl_bench_counter(state, "found", (double)found, HL_COUNTER_DEFAULT);
    bench_gc_counters(state, rt);
    hl_xdecref(rt, node_class);
    hl_runtime_destroy(rt, NULL);
}

/* ---- gc_traversal ---------------------------------------------------------- */

/* create_recursive_containers(levels): NULL when memory ran out. */
hl_object *bench_nested_lists(hl_runtime *rt, size_t levels)
{
    hl_object *current = hl_list_new(rt, 0);
    for (size_t n = 0; current && n < levels; n++) {
        hl_object *next = hl_list_new(rt, n);
        for (size_t i = 0; next && i < n; i++)
            if (hl_list_append(rt, next, current) != 0) {
                hl_decref(rt, next);
                next = NULL;
            }
        hl_decref(rt, current);
        current = next;
    }
    return current;
}

static void run_gc_traversal(hl_bench_state *state, void *arg)
{
    const bench_case *c = arg;
    hl_runtime *rt = bench_runtime(state, c);
    if (rt == NULL)
        return;
    hl_object *lists = bench_nested_lists(rt, (size_t)c->param);
    if (lists == NULL)
        hl_bench_skip(state, "out of memory");
    hl_gc_collect(rt, 2);
    while (lists && hl_bench_keep_running(state)) {
        unsigned long long start = hl_now_ns();
        long found = hl_gc_collect(rt, 2);
        hl_bench_set_iteration_time(state, (double)(hl_now_ns() - start) / 1e9);
        if (found != 0) {
            hl_bench_skip(state, "the collection found garbage where there is none");
            break;
        }
    }
    hl_bench_counter(state, "edges", (double)(c->param * (c->param - 1) / 2),
                     HL_COUNTER_DEFAULT);
    bench_gc_counters(state, rt);
    hl_xdecref(rt, lists);
    hl_runtime_destroy(rt, NULL);
}

/* ---- GCBench --------------------------------------------------------------- */

/* The node builders are workloads/tree_nodes.c's, shared with `heaplab run`. */

/* Returns the nodes built, 0 when memory ran out. */
uint64_t bench_gcbench(hl_runtime *rt, const bench_gcbench_shape *shape)
{
    hl_object *cls = bench_node_class(rt, 2 * sizeof(int));
    if (cls == NULL)
        return 0;
    uint64_t nodes = 0;
    bool ok = true;
    hl_object *stretch = hl_tree_make(rt, cls, shape->stretch_depth);
    ok = stretch != NULL;
    hl_xdecref(rt, stretch);
    nodes += hl_tree_size(shape->stretch_depth);

    hl_object *long_lived = ok ? hl_instance_new(rt, cls) : NULL;
    ok = long_lived && hl_tree_populate(rt, cls, shape->long_lived_depth, long_lived);
    nodes += hl_tree_size(shape->long_lived_depth);

    /* array[i] = 1.0 / i for the first half, 0.0 (one shared float) after */
    hl_object *array = ok ? hl_list_new(rt, shape->array_size) : NULL;
    hl_object *zero = hl_float(rt, 0.0);
    ok = array && zero;
    for (size_t i = 0; ok && i < shape->array_size; i++)
        ok = hl_list_append(rt, array, zero) == 0;
    for (size_t i = 0; ok && i < shape->array_size / 2; i++) {
        hl_object *value = hl_float(rt, 1.0 / (double)i);
        if ((ok = value != NULL)) {
            hl_list_set(rt, array, i, value);
            hl_decref(rt, value);
        }
    }
    hl_xdecref(rt, zero);

    for (int depth = shape->min_depth; ok && depth <= shape->max_depth; depth += 2) {
        size_t iterations = 2 * hl_tree_size(shape->stretch_depth) / hl_tree_size(depth);
        for (size_t i = 0; ok && i < iterations; i++) {
            hl_object *temp = hl_instance_new(rt, cls);
            ok = temp && hl_tree_populate(rt, cls, depth, temp);
            hl_xdecref(rt, temp);
        }
        for (size_t i = 0; ok && i < iterations; i++) {
            hl_object *temp = hl_tree_make(rt, cls, depth);
            ok = temp != NULL;
            hl_xdecref(rt, temp);
        }
        nodes += 2 * iterations * hl_tree_size(depth);
    }
    /* Both must have survived every collection. */
    ok = ok && hl_instance_get(long_lived, HL_TREE_LEFT) != NULL &&
         hl_float_value(hl_list_get(array, 1000)) == 1.0 / 1000;
    hl_xdecref(rt, long_lived);
    hl_xdecref(rt, array);
    hl_decref(rt, cls);
    return ok ? nodes : 0;
}

/* ---- binary-trees ---------------------------------------------------------- */

/* Returns the sum of every check, as the program prints them; 0 when memory
   ran out.  *nodes: the tuples built. */
uint64_t bench_binary_trees(hl_runtime *rt, int max_depth, uint64_t *nodes)
{
    const int min_depth = 4;
    int stretch_depth = max_depth + 1;
    uint64_t total = 0;
    *nodes = 0;
    hl_object *stretch = hl_tree_tuples(rt, stretch_depth);
    if (stretch == NULL)
        return 0;
    total += hl_tree_tuples_check(stretch);
    hl_decref(rt, stretch);
    hl_object *long_lived = hl_tree_tuples(rt, max_depth);
    if (long_lived == NULL)
        return 0;
    *nodes += hl_tree_size(stretch_depth) + hl_tree_size(max_depth);
    for (int depth = min_depth; depth <= max_depth; depth += 2) {
        uint64_t iterations = (uint64_t)1 << (max_depth - depth + min_depth);
        for (uint64_t i = 0; i < iterations; i++) {
            hl_object *tree = hl_tree_tuples(rt, depth);
            if (tree == NULL) {
                hl_decref(rt, long_lived);
                return 0;
            }
            total += hl_tree_tuples_check(tree);
            hl_decref(rt, tree);
        }
        *nodes += iterations * hl_tree_size(depth);
    }
    total += hl_tree_tuples_check(long_lived);
    hl_decref(rt, long_lived);
    return total;
}

/* The checks binary-trees prints sum to this for every depth. */
uint64_t bench_binary_trees_expected(int max_depth)
{
    uint64_t total = hl_tree_size(max_depth + 1) + hl_tree_size(max_depth);
    for (int depth = 4; depth <= max_depth; depth += 2)
        total += ((uint64_t)1 << (max_depth - depth + 4)) * hl_tree_size(depth);
    return total;
}

/* ---- whole-program benchmarks ---------------------------------------------- */

/* One whole run of a program on rt: the nodes it built, 0 when it failed
   (out of memory, or its own check). */
typedef uint64_t (*program_fn)(hl_runtime *rt, const bench_case *c);

static uint64_t gcbench_program(hl_runtime *rt, const bench_case *c)
{
    return bench_gcbench(rt, c->data);
}

static uint64_t binary_trees_program(hl_runtime *rt, const bench_case *c)
{
    int depth = (int)c->param;
    uint64_t nodes;
    return bench_binary_trees(rt, depth, &nodes) == bench_binary_trees_expected(depth) ? nodes
                                                                                       : 0;
}

/* Times whole runs of the program, then reports its nodes, peak RSS and the
   collector's counters. */
static void run_program(hl_bench_state *state, const bench_case *c, program_fn program,
                        const char *failure)
{
    bench_rss rss;
    bench_rss_start(&rss);
    hl_runtime *rt = bench_runtime(state, c);
    if (rt == NULL)
        return;
    uint64_t nodes = 0;
    bench_perf perf;
    bench_perf_begin(&perf);
    while (hl_bench_keep_running(state))
        if ((nodes = program(rt, c)) == 0) {
            hl_bench_skip(state, failure);
            break;
        }
    bench_perf_end(&perf, state, (double)nodes * (double)hl_bench_iterations_done(state));
    hl_bench_counter(state, "nodes", (double)nodes, HL_COUNTER_DEFAULT);
    hl_bench_counter(state, "peak_rss_kib", (double)bench_rss_peak_kib(&rss),
                     HL_COUNTER_DEFAULT);
    bench_gc_counters(state, rt);
    hl_runtime_destroy(rt, NULL);
}

static void run_gcbench(hl_bench_state *state, void *arg)
{
    run_program(state, arg, gcbench_program, "out of memory, or the long-lived data was lost");
}

static void run_binary_trees(hl_bench_state *state, void *arg)
{
    run_program(state, arg, binary_trees_program, "out of memory, or a wrong check sum");
}

const bench_gcbench_shape bench_gcbench_full = {18, 16, 500000, 4, 16};
const bench_gcbench_shape bench_gcbench_quick = {14, 12, 50000, 4, 12};

void bench_register_collect(const bench_options *o)
{
    const char *allocs[4], *gcs[16];
    size_t na = bench_object_allocators(allocs, 4), ng = bench_collectors(gcs, 16);
    int repetitions = o->quick ? 1 : 3;
    for (size_t a = 0; a < na; a++)
        for (size_t g = 0; g < ng; g++) {
            bench_case *c;
            hl_bench *b;
            if (bench_collector_traces(gcs[g])) {
                c = bench_case_new(o, allocs[a], gcs[g]);
                b = hl_bench_manual_time(bench_register("gc_collect", run_gc_collect, c));
                hl_bench_unit(b, HL_BENCH_US);
                c = bench_case_new(o, allocs[a], gcs[g]);
                c->param = 1000;
                b = hl_bench_manual_time(bench_register("gc_traversal", run_gc_traversal, c));
                hl_bench_unit(b, HL_BENCH_US);
            }
            c = bench_case_new(o, allocs[a], gcs[g]);
            c->data = o->quick ? &bench_gcbench_quick : &bench_gcbench_full;
            b = hl_bench_iterations(bench_register("gcbench", run_gcbench, c), 1);
            hl_bench_repetitions(hl_bench_unit(b, HL_BENCH_MS), repetitions);
            c = bench_case_new(o, allocs[a], gcs[g]);
            c->param = o->quick ? 14 : 18;
            b = hl_bench_iterations(bench_register("binary_trees", run_binary_trees, c), 1);
            hl_bench_repetitions(hl_bench_unit(b, HL_BENCH_MS), repetitions);
        }
}
