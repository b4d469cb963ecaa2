/*
 * workloads/tree_nodes.h — the node builders of the two classic tree
 * programs, shared by their workloads (workloads/trees.c, under automatic
 * collection with pauses measured) and their benchmarks (bench/collect.c,
 * timed whole and counted by `make bench-ci`), so that both run the very
 * same code path through the object model.
 *
 *   binary-trees  (left, right) tuples with (None, None) leaves: the
 *                 Benchmarks Game program, Python's tuple version.
 *   GCBench       Node instances of a class with two slots (LEFT, RIGHT),
 *                 built top-down (Populate) or bottom-up (MakeTree).
 *
 * Every builder returns NULL (or false) when memory ran out, having
 * released whatever it had made: nothing leaks on the out-of-memory paths.
 */
#ifndef HEAPLAB_TREE_NODES_H
#define HEAPLAB_TREE_NODES_H

#include "object.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Nodes in a complete binary tree of `depth` (a lone leaf has depth 0). */
static inline size_t hl_tree_size(int depth)
{
    return ((size_t)1 << (depth + 1)) - 1;
}

/* binary-trees' bottom_up_tree(depth): a new reference. */
hl_object *hl_tree_tuples(hl_runtime *rt, int depth);
/* binary-trees' item_check: the nodes of a tree hl_tree_tuples made. */
uint64_t hl_tree_tuples_check(const hl_object *node);

/* GCBench's Node slots. */
enum { HL_TREE_LEFT = 0, HL_TREE_RIGHT = 1 };

/* GCBench's Populate(depth, node): gives node two children, recursively. */
bool hl_tree_populate(hl_runtime *rt, hl_object *node_class, int depth, hl_object *node);
/* GCBench's MakeTree(depth): a new reference. */
hl_object *hl_tree_make(hl_runtime *rt, hl_object *node_class, int depth);

#endif
