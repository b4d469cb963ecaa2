/*
 * workloads/trees.c — the two classic tree programs, as bench/collect.c
 * runs them (same node shapes), under automatic collection:
 *
 *   binary_trees  the Benchmarks Game program, Python's tuple version:
 *                 (left, right) tuples with (None, None) leaves; a stretch
 *                 tree of depth size + 1, a long-lived tree of depth size
 *                 (a root global), then 2^(size - d + 4) trees of each depth
 *                 d = 4, 6, ... size, each checked and dropped.
 *   gcbench       Boehm's GCBench: Node instances (a class with two slots and
 *                 two ints of payload); a stretch tree of depth size + 2, a
 *                 long-lived tree of depth size and an array of
 *                 500 000 * 2^(size - 16) floats (root globals), then trees
 *                 of depth 4, 6, ... size built top-down and bottom-up.
 *
 * Both make no cycles: every tree dies by reference counting, so their
 * backlog is 0 by construction and collections only cost (the young
 * collections walk trees that are still being built).  --size: depth.
 */
#include "tree_nodes.h"
#include "workload.h"

/* ---- binary-trees ----------------------------------------------------------- */

static int run_binary_trees(hl_workload_run *w)
{
    hl_runtime *rt = w->rt;
    const int min_depth = 4, max_depth = (int)w->size;
    hl_object *module = hl_workload_module_new(rt);
    hl_object *stretch = module ? hl_tree_tuples(rt, max_depth + 1) : NULL;
    bool ok = stretch && hl_tree_tuples_check(stretch) == hl_tree_size(max_depth + 1);
    hl_xdecref(rt, stretch);
    hl_object *long_lived = ok ? hl_tree_tuples(rt, max_depth) : NULL;
    ok = long_lived && hl_dict_set_str(rt, module, "long_lived_tree", long_lived) == 0;
    hl_xdecref(rt, long_lived);
    for (int depth = min_depth; ok && depth <= max_depth; depth += 2) {
        uint64_t iterations = (uint64_t)1 << (max_depth - depth + min_depth);
        for (uint64_t i = 0; ok && i < iterations; i++) {
            hl_object *tree = hl_tree_tuples(rt, depth);
            ok = tree && hl_tree_tuples_check(tree) == hl_tree_size(depth);
            hl_xdecref(rt, tree);
            hl_workload_tick(w);
        }
    }
    ok = ok && hl_tree_tuples_check(long_lived) == hl_tree_size(max_depth);
    hl_workload_module_free(rt, module);
    return ok ? 0 : -1;
}

static const hl_workload binary_trees = {
    .name = "binary_trees",
    .description = "the Benchmarks Game's binary-trees, Python's tuple version",
    .size_means = "maximum depth",
    .default_size = 16,
    .max_size = 24,
    .run = run_binary_trees,
};

const hl_workload *hl_workload_binary_trees(void)
{
    return &binary_trees;
}

/* ---- GCBench ------------------------------------------------------------------ */

static int run_gcbench(hl_workload_run *w)
{
    hl_runtime *rt = w->rt;
    const int min_depth = 4, depth_max = (int)w->size, stretch_depth = depth_max + 2;
    size_t array_size = depth_max >= 16 ? (size_t)500000 << (depth_max - 16)
                                        : (size_t)500000 >> (16 - depth_max);
    hl_object *module = hl_workload_module_new(rt);
    hl_class_spec spec = {.name = "Node", .slots = 2, .payload = 2 * sizeof(int)};
    hl_object *cls = module ? hl_class_new(rt, &spec) : NULL;
    bool ok = cls && hl_dict_set_str(rt, module, "Node", cls) == 0;
    hl_object *stretch = ok ? hl_tree_make(rt, cls, stretch_depth) : NULL;
    ok = stretch != NULL;
    hl_xdecref(rt, stretch);

    hl_object *long_lived = ok ? hl_instance_new(rt, cls) : NULL;
    ok = long_lived && hl_dict_set_str(rt, module, "long_lived", long_lived) == 0 &&
         hl_tree_populate(rt, cls, depth_max, long_lived);
    hl_object *array = ok ? hl_list_new(rt, array_size) : NULL;
    hl_object *zero = hl_float(rt, 0.0);
    ok = array && zero && hl_dict_set_str(rt, module, "array", array) == 0;
    for (size_t i = 0; ok && i < array_size; i++)
        ok = hl_list_append(rt, array, zero) == 0;
    for (size_t i = 1; ok && i < array_size / 2; i++) {
        hl_object *value = hl_float(rt, 1.0 / (double)i);
        if ((ok = value != NULL)) {
            hl_list_set(rt, array, i, value);
            hl_decref(rt, value);
        }
    }
    hl_xdecref(rt, zero);

    for (int depth = min_depth; ok && depth <= depth_max; depth += 2) {
        size_t iterations = 2 * hl_tree_size(stretch_depth) / hl_tree_size(depth);
        for (size_t i = 0; ok && i < iterations; i++) {
            hl_object *temp = hl_instance_new(rt, cls);
            ok = temp && hl_tree_populate(rt, cls, depth, temp);
            hl_xdecref(rt, temp);
            hl_workload_tick(w);
        }
        for (size_t i = 0; ok && i < iterations; i++) {
            hl_object *temp = hl_tree_make(rt, cls, depth);
            ok = temp != NULL;
            hl_xdecref(rt, temp);
            hl_workload_tick(w);
        }
    }
    ok = ok && hl_instance_get(long_lived, HL_TREE_LEFT) != NULL &&
         (array_size < 8 || hl_float_value(hl_list_get(array, 3)) == 1.0 / 3);
    hl_xdecref(rt, long_lived);
    hl_xdecref(rt, array);
    hl_xdecref(rt, cls);
    hl_workload_module_free(rt, module);
    return ok ? 0 : -1;
}

static const hl_workload gcbench = {
    .name = "gcbench",
    .description = "Boehm's GCBench with Node instances (two slots, two ints)",
    .size_means = "long-lived tree depth (16 is Boehm's; stretch tree 2 deeper)",
    .default_size = 15,
    .max_size = 22,
    .run = run_gcbench,
};

const hl_workload *hl_workload_gcbench(void)
{
    return &gcbench;
}
