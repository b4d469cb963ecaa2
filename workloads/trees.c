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
#include "workload.h"

static size_t tree_size(int depth)
{
    return ((size_t)1 << (depth + 1)) - 1;
}

/* ---- binary-trees ----------------------------------------------------------- */

static hl_object *bottom_up_tree(hl_runtime *rt, int depth)
{
    hl_object *node = hl_tuple_new(rt, 2);
    if (node == NULL || depth == 0)
        return node;
    hl_object *left = bottom_up_tree(rt, depth - 1);
    hl_object *right = left ? bottom_up_tree(rt, depth - 1) : NULL;
    hl_tuple_set_item(node, 0, left);
    hl_tuple_set_item(node, 1, right);
    if (right == NULL)
        hl_clearref(rt, &node);
    return node;
}

static uint64_t item_check(const hl_object *node)
{
    const hl_object *left = hl_tuple_get(node, 0);
    return left == NULL ? 1 : 1 + item_check(left) + item_check(hl_tuple_get(node, 1));
}

static int run_binary_trees(hl_workload_run *w)
{
    hl_runtime *rt = w->rt;
    const int min_depth = 4, max_depth = (int)w->size;
    hl_object *module = hl_workload_module_new(rt);
    hl_object *stretch = module ? bottom_up_tree(rt, max_depth + 1) : NULL;
    bool ok = stretch && item_check(stretch) == tree_size(max_depth + 1);
    hl_xdecref(rt, stretch);
    hl_object *long_lived = ok ? bottom_up_tree(rt, max_depth) : NULL;
    ok = long_lived && hl_dict_set_str(rt, module, "long_lived_tree", long_lived) == 0;
    hl_xdecref(rt, long_lived);
    for (int depth = min_depth; ok && depth <= max_depth; depth += 2) {
        uint64_t iterations = (uint64_t)1 << (max_depth - depth + min_depth);
        for (uint64_t i = 0; ok && i < iterations; i++) {
            hl_object *tree = bottom_up_tree(rt, depth);
            ok = tree && item_check(tree) == tree_size(depth);
            hl_xdecref(rt, tree);
            hl_workload_tick(w);
        }
    }
    ok = ok && item_check(long_lived) == tree_size(max_depth);
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

enum { LEFT = 0, RIGHT = 1 };

static bool populate(hl_runtime *rt, hl_object *cls, int depth, hl_object *node)
{
    if (depth <= 0)
        return true;
    hl_object *left = hl_instance_new(rt, cls), *right = hl_instance_new(rt, cls);
    bool ok = left && right;
    if (ok) {
        hl_instance_set(rt, node, LEFT, left);
        hl_instance_set(rt, node, RIGHT, right);
        ok = populate(rt, cls, depth - 1, left) && populate(rt, cls, depth - 1, right);
    }
    hl_xdecref(rt, left);
    hl_xdecref(rt, right);
    return ok;
}

static hl_object *make_tree(hl_runtime *rt, hl_object *cls, int depth)
{
    if (depth <= 0)
        return hl_instance_new(rt, cls);
    hl_object *left = make_tree(rt, cls, depth - 1);
    hl_object *right = left ? make_tree(rt, cls, depth - 1) : NULL;
    hl_object *node = right ? hl_instance_new(rt, cls) : NULL;
    if (node) {
        hl_instance_set(rt, node, LEFT, left);
        hl_instance_set(rt, node, RIGHT, right);
    }
    hl_xdecref(rt, left);
    hl_xdecref(rt, right);
    return node;
}

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
    hl_object *stretch = ok ? make_tree(rt, cls, stretch_depth) : NULL;
    ok = stretch != NULL;
    hl_xdecref(rt, stretch);

    hl_object *long_lived = ok ? hl_instance_new(rt, cls) : NULL;
    ok = long_lived && hl_dict_set_str(rt, module, "long_lived", long_lived) == 0 &&
         populate(rt, cls, depth_max, long_lived);
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
        size_t iterations = 2 * tree_size(stretch_depth) / tree_size(depth);
        for (size_t i = 0; ok && i < iterations; i++) {
            hl_object *temp = hl_instance_new(rt, cls);
            ok = temp && populate(rt, cls, depth, temp);
            hl_xdecref(rt, temp);
            hl_workload_tick(w);
        }
        for (size_t i = 0; ok && i < iterations; i++) {
            hl_object *temp = make_tree(rt, cls, depth);
            ok = temp != NULL;
            hl_xdecref(rt, temp);
            hl_workload_tick(w);
        }
    }
    ok = ok && hl_instance_get(long_lived, LEFT) != NULL &&
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
