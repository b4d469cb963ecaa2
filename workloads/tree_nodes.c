/*
 * workloads/tree_nodes.c — binary-trees' and GCBench's node builders
 * (tree_nodes.h).  Recursive as the Python programs are: a tree's depth is
 * at most a few dozen, so the C stack stays small.
 */
#include "tree_nodes.h"

/* make_tree(d) = (make_tree(d-1), make_tree(d-1)) if d else (None, None) */
hl_object *hl_tree_tuples(hl_runtime *rt, int depth)
{
    hl_object *node = hl_tuple_new(rt, 2);
    if (node == NULL || depth == 0)
        return node;
    hl_object *left = hl_tree_tuples(rt, depth - 1);
    hl_object *right = left ? hl_tree_tuples(rt, depth - 1) : NULL;
    hl_tuple_set_item(node, 0, left);
    hl_tuple_set_item(node, 1, right);
    if (right == NULL)
        hl_clearref(rt, &node); /* the items set are released with it */
    return node;
}

uint64_t hl_tree_tuples_check(const hl_object *node)
{
    const hl_object *left = hl_tuple_get(node, 0);
    return left == NULL ? 1
                        : 1 + hl_tree_tuples_check(left) +
                              hl_tree_tuples_check(hl_tuple_get(node, 1));
}

/* Populate for depth >= 1; the depth test sits before each recursive call
   rather than at the top, which saves a call per leaf (1.6 % of GCBench's
   instructions). */
static bool populate(hl_runtime *rt, hl_object *node_class, int depth, hl_object *node)
{
    hl_object *left = hl_instance_new(rt, node_class);
    hl_object *right = hl_instance_new(rt, node_class);
    bool ok = left && right;
    if (ok) {
        hl_instance_set(rt, node, HL_TREE_LEFT, left);
        hl_instance_set(rt, node, HL_TREE_RIGHT, right);
        ok = depth == 1 || (populate(rt, node_class, depth - 1, left) &&
                            populate(rt, node_class, depth - 1, right));
    }
    hl_xdecref(rt, left);
    hl_xdecref(rt, right);
    return ok;
}

bool hl_tree_populate(hl_runtime *rt, hl_object *node_class, int depth, hl_object *node)
{
    return depth <= 0 || populate(rt, node_class, depth, node);
}

hl_object *hl_tree_make(hl_runtime *rt, hl_object *node_class, int depth)
{
    if (depth <= 0)
        return hl_instance_new(rt, node_class);
    hl_object *left = hl_tree_make(rt, node_class, depth - 1);
    hl_object *right = left ? hl_tree_make(rt, node_class, depth - 1) : NULL;
    hl_object *node = right ? hl_instance_new(rt, node_class) : NULL;
    if (node) {
        hl_instance_set(rt, node, HL_TREE_LEFT, left);
        hl_instance_set(rt, node, HL_TREE_RIGHT, right);
    }
    hl_xdecref(rt, left);
    hl_xdecref(rt, right);
    return node;
}
