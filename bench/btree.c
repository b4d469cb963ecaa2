/*
 * bench/btree.c — btree_gc_only: pyperformance's bm_btree heap (a B-tree
 * of minimum degree 16 from Durus, CLRS 19.3 deletion), grown to 200 000
 * records, 20% of them deleted and reinserted, then collected; only the
 * collection is timed.  The heap is what a long-running program holds: one
 * large interconnected graph, nothing to collect, every object visited.
 *
 * Shapes as in the Python program:
 *   BNode   __slots__ items (a list of (key, record) tuples) and nodes (a
 *           list of BNodes, or None for a leaf)
 *   BTree   __slots__ root
 *   Record  a plain instance whose __dict__ holds a (int), b (str
 *           "node N"), c (N % 100 random bytes), d (float), e (one of 31
 *           shared strings), f (None, True or False)
 * Keys are inserted in a shuffled order, so nodes and records end up
 * scattered through memory, as the original intends; the deleted keys are
 * the lowest 20%, reinserted afterwards.
 */
#include "bench.h"
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>

enum { MIN_DEGREE = 16, MAX_ITEMS = 2 * MIN_DEGREE - 1 };
enum { ITEMS = 0, NODES = 1 }; /* BNode slots */

typedef struct btree {
    hl_runtime *rt;
    hl_object *node_class; /* BNode */
    bool failed;           /* an allocation failed; the tree is unusable */
} btree;

static hl_object *items_of(const hl_object *node)
{
    return hl_instance_get(node, ITEMS);
}

static hl_object *nodes_of(const hl_object *node)
{
    return hl_instance_get(node, NODES);
}

static bool is_leaf(const hl_object *node)
{
    return nodes_of(node) == NULL;
}

static int64_t key_of(const hl_object *item)
{
    return hl_int_value(hl_tuple_get(item, 0));
}

/* Sets node.slot = value and drops the caller's reference to value. */
static void put(btree *t, hl_object *node, size_t slot, hl_object *value)
{
    if (value == NULL) {
        t->failed = true;
        return;
    }
    hl_instance_set(t->rt, node, slot, value);
    hl_decref(t->rt, value);
}

/* ---- list helpers: list.insert, slices and concatenation ------------------ */

static void list_insert(btree *t, hl_object *list, size_t position, hl_object *item)
{
    if (hl_list_append(t->rt, list, item) != 0) {
        t->failed = true;
        return;
    }
    for (size_t j = hl_list_size(list) - 1; j > position; j--)
        hl_list_set(t->rt, list, j, hl_list_get(list, j - 1));
    hl_list_set(t->rt, list, position, item);
}

/* a[lo:hi] + [middle] + b[...], any part may be empty (NULL). */
static hl_object *list_join(btree *t, hl_object *a, size_t lo, size_t hi, hl_object *middle,
                            hl_object *b)
{
    hl_object *out = hl_list_new(t->rt, 0);
    bool ok = out != NULL;
    for (size_t i = lo; ok && a && i < hi; i++)
        ok = hl_list_append(t->rt, out, hl_list_get(a, i)) == 0;
    if (ok && middle)
        ok = hl_list_append(t->rt, out, middle) == 0;
    for (size_t i = 0; ok && b && i < hl_list_size(b); i++)
        ok = hl_list_append(t->rt, out, hl_list_get(b, i)) == 0;
    if (!ok && out) {
        hl_decref(t->rt, out);
        out = NULL;
    }
    return out;
}

static hl_object *new_node(btree *t)
{
    hl_object *node = hl_instance_new(t->rt, t->node_class);
    if (node)
        put(t, node, ITEMS, hl_list_new(t->rt, 0));
    else
        t->failed = true;
    return node;
}

/* ---- insertion ------------------------------------------------------------- */

static size_t position_of(const hl_object *node, int64_t key)
{
    const hl_object *items = items_of(node);
    size_t n = hl_list_size(items);
    for (size_t i = 0; i < n; i++)
        if (key_of(hl_list_get(items, i)) >= key)
            return i;
    return n;
}

static void split_child(btree *t, hl_object *parent, size_t position, hl_object *child)
{
    hl_object *bigger = new_node(t);
    if (bigger == NULL)
        return;
    const size_t middle = MIN_DEGREE - 1;
    hl_object *items = items_of(child);
    hl_object *splitting = hl_list_get(items, middle);
    hl_incref(splitting); /* child.items is replaced below */
    put(t, bigger, ITEMS, list_join(t, items, middle + 1, hl_list_size(items), NULL, NULL));
    put(t, child, ITEMS, list_join(t, items, 0, middle, NULL, NULL));
    if (!is_leaf(child)) {
        hl_object *nodes = nodes_of(child);
        put(t, bigger, NODES, list_join(t, nodes, middle + 1, hl_list_size(nodes), NULL, NULL));
        put(t, child, NODES, list_join(t, nodes, 0, middle + 1, NULL, NULL));
    }
    list_insert(t, items_of(parent), position, splitting);
    list_insert(t, nodes_of(parent), position + 1, bigger);
    hl_decref(t->rt, splitting);
    hl_decref(t->rt, bigger);
}

static void insert_item(btree *t, hl_object *node, hl_object *item)
{
    int64_t key = key_of(item);
    while (!t->failed) {
        hl_object *items = items_of(node);
        size_t position = position_of(node, key);
        if (position < hl_list_size(items) && key_of(hl_list_get(items, position)) == key) {
            hl_list_set(t->rt, items, position, item);
            return;
        }
        if (is_leaf(node)) {
            list_insert(t, items, position, item);
            return;
        }
        hl_object *child = hl_list_get(nodes_of(node), position);
        if (hl_list_size(items_of(child)) == MAX_ITEMS) {
            split_child(t, node, position, child);
            int64_t split_key = key_of(hl_list_get(items, position));
            if (key == split_key) {
                hl_list_set(t->rt, items, position, item);
                return;
            }
            if (key > split_key)
                position++;
        }
        node = hl_list_get(nodes_of(node), position);
    }
}

static void tree_add(btree *t, hl_object *tree, int64_t key, hl_object *record)
{
    hl_object *root = hl_instance_get(tree, 0);
    if (hl_list_size(items_of(root)) == MAX_ITEMS) {
        hl_object *top = new_node(t);
        if (top == NULL)
            return;
        hl_object *nodes = hl_list_new(t->rt, 1);
        if (nodes && hl_list_append(t->rt, nodes, root) != 0)
            t->failed = true;
        put(t, top, NODES, nodes);
        if (!t->failed)
            split_child(t, top, 0, root);
        hl_instance_set(t->rt, tree, 0, top);
        hl_decref(t->rt, top);
        root = top;
    }
    hl_object *k = hl_int(t->rt, key);
    hl_object *pair[2] = {k, record};
    hl_object *item = k ? hl_tuple_pack(t->rt, 2, pair) : NULL;
    if (item)
        insert_item(t, root, item);
    else
        t->failed = true;
    hl_xdecref(t->rt, item);
    hl_xdecref(t->rt, k);
}

/* ---- deletion (CLRS 19.3, as the Durus code pyperformance runs) ------------ */

static bool is_big(const hl_object *node)
{
    return node && hl_list_size(items_of(node)) >= MIN_DEGREE;
}

static hl_object *extreme_item(hl_object *node, bool max)
{
    while (!is_leaf(node)) {
        hl_object *nodes = nodes_of(node);
        node = hl_list_get(nodes, max ? hl_list_size(nodes) - 1 : 0);
    }
    hl_object *items = items_of(node);
    return hl_list_get(items, max ? hl_list_size(items) - 1 : 0);
}

static void node_delete(btree *t, hl_object *self, int64_t key);

/* self.items[p] = the extreme item of `from`, removed from there. */
static void replace_with_extreme(btree *t, hl_object *self, size_t p, hl_object *from, bool max)
{
    hl_object *extreme = extreme_item(from, max);
    hl_incref(extreme); /* deleting it from `from` drops a reference */
    node_delete(t, from, key_of(extreme));
    hl_list_set(t->rt, items_of(self), p, extreme);
    hl_decref(t->rt, extreme);
}

/* node.items = left.items + [separator] + right.items, nodes likewise. */
static void merge(btree *t, hl_object *node, hl_object *left, hl_object *separator,
                  hl_object *right)
{
    put(t, node, ITEMS, list_join(t, items_of(left), 0, hl_list_size(items_of(left)),
                                  separator, items_of(right)));
    if (!is_leaf(node))
        put(t, node, NODES, list_join(t, nodes_of(left), 0, hl_list_size(nodes_of(left)),
                                      NULL, nodes_of(right)));
}

static void node_delete(btree *t, hl_object *self, int64_t key)
{
    hl_runtime *rt = t->rt;
    hl_object *items = items_of(self);
    size_t p = position_of(self, key);
    bool matches = p < hl_list_size(items) && key_of(hl_list_get(items, p)) == key;
    if (is_leaf(self)) {
        if (matches)
            hl_list_delete(rt, items, p);
        return;
    }
    hl_object *nodes = nodes_of(self);
    hl_object *node = hl_list_get(nodes, p);
    hl_object *lower = p > 0 ? hl_list_get(nodes, p - 1) : NULL;
    hl_object *upper = p + 1 < hl_list_size(nodes) ? hl_list_get(nodes, p + 1) : NULL;
    if (matches) {
        if (is_big(node)) {
            replace_with_extreme(t, self, p, node, true);
        } else if (is_big(upper)) {
            replace_with_extreme(t, self, p, upper, false);
        } else {
            hl_object *extreme = extreme_item(upper, false);
            hl_incref(extreme);
            node_delete(t, upper, key_of(extreme));
            merge(t, node, node, extreme, upper);
            hl_decref(rt, extreme);
            hl_list_delete(rt, items, p);
            hl_list_delete(rt, nodes, p + 1);
        }
    } else {
        hl_incref(node); /* merges below may remove it from self.nodes */
        if (!is_big(node)) {
            if (is_big(lower)) {
                hl_object *lower_items = items_of(lower);
                list_insert(t, items_of(node), 0, hl_list_get(items, p - 1));
                hl_list_set(rt, items, p - 1, hl_list_get(lower_items, hl_list_size(lower_items) - 1));
                hl_list_delete(rt, lower_items, hl_list_size(lower_items) - 1);
                if (!is_leaf(node)) {
                    hl_object *lower_nodes = nodes_of(lower);
                    list_insert(t, nodes_of(node), 0,
                                hl_list_get(lower_nodes, hl_list_size(lower_nodes) - 1));
                    hl_list_delete(rt, lower_nodes, hl_list_size(lower_nodes) - 1);
                }
            } else if (is_big(upper)) {
                hl_object *upper_items = items_of(upper);
                if (hl_list_append(rt, items_of(node), hl_list_get(items, p)) != 0)
                    t->failed = true;
                hl_list_set(rt, items, p, hl_list_get(upper_items, 0));
                hl_list_delete(rt, upper_items, 0);
                if (!is_leaf(node)) {
                    hl_object *upper_nodes = nodes_of(upper);
                    if (hl_list_append(rt, nodes_of(node), hl_list_get(upper_nodes, 0)) != 0)
                        t->failed = true;
                    hl_list_delete(rt, upper_nodes, 0);
                }
            } else if (lower) {
                merge(t, node, lower, hl_list_get(items, p - 1), node);
                hl_list_delete(rt, items, p - 1);
                hl_list_delete(rt, nodes, p - 1);
            } else {
                merge(t, node, node, hl_list_get(items, p), upper);
                hl_list_delete(rt, items, p);
                hl_list_delete(rt, nodes, p + 1);
            }
        }
        if (!t->failed)
            node_delete(t, node, key);
        hl_decref(rt, node);
    }
    if (hl_list_size(items_of(self)) == 0) {
        /* The root lost its last item: it takes over its only child. */
        hl_object *child = hl_list_get(nodes_of(self), 0);
        hl_incref(child);
        hl_instance_set(rt, self, ITEMS, items_of(child));
        hl_instance_set(rt, self, NODES, nodes_of(child));
        hl_decref(rt, child);
    }
}

/* ---- records and the benchmark --------------------------------------------- */

/* Record(a, b, c, d, e, f) as make_records builds it; NULL on failure. */
static hl_object *make_record(hl_runtime *rt, hl_object *cls, int64_t id, uint64_t *seed,
                              hl_object *const *shared)
{
    char text[32], bytes[100];
    snprintf(text, sizeof text, "node %lld", (long long)id);
    for (int64_t i = 0; i < id % 100; i++)
        bytes[i] = (char)bench_random(seed);
    uint64_t choice = bench_random(seed) % 3;
    hl_object *value[6] = {
        hl_int(rt, id),
        hl_str(rt, text),
        hl_str_sized(rt, bytes, (size_t)(id % 100)),
        hl_float(rt, (double)(bench_random(seed) >> 11) / 9007199254740992.0),
        shared[bench_random(seed) % 31],
        hl_int(rt, (int64_t)choice), /* None, True, False: cached singletons */
    };
    static const char *const names[6] = {"a", "b", "c", "d", "e", "f"};
    hl_object *record = hl_instance_new(rt, cls);
    bool ok = record != NULL;
    hl_incref(value[4]);
    for (int i = 0; i < 6; i++) {
        ok = ok && value[i] != NULL && hl_setattr(rt, record, names[i], value[i]) == 0;
        hl_xdecref(rt, value[i]);
    }
    if (!ok && record) {
        hl_decref(rt, record);
        record = NULL;
    }
    return record;
}

/* Builds the tree in rt; returns it (a new reference) or NULL. */
hl_object *bench_btree_build(hl_runtime *rt, size_t count)
{
    btree t = {.rt = rt};
    hl_class_spec node_spec = {.name = "BNode", .slots = 2};
    hl_class_spec tree_spec = {.name = "BTree", .slots = 1};
    hl_class_spec record_spec = {.name = "Record"};
    t.node_class = hl_class_new(rt, &node_spec);
    hl_object *tree_class = hl_class_new(rt, &tree_spec);
    hl_object *record_class = hl_class_new(rt, &record_spec);
    hl_object *records = hl_list_new(rt, count), *shared[31] = {0}, *tree = NULL;
    size_t *ids = malloc(count * sizeof *ids);
    uint64_t seed = 0;
    bool ok = t.node_class && tree_class && record_class && records && ids;
    for (int i = 0; ok && i < 31; i++) {
        char text[16];
        snprintf(text, sizeof text, "%d", i);
        ok = (shared[i] = hl_str(rt, text)) != NULL;
    }
    for (size_t id = 0; ok && id < count; id++) {
        hl_object *r = make_record(rt, record_class, (int64_t)id, &seed, shared);
        ok = r && hl_list_append(rt, records, r) == 0;
        hl_xdecref(rt, r);
        ids[id] = id;
    }
    for (size_t i = count; ok && i > 1; i--) { /* random.shuffle */
        size_t j = (size_t)(bench_random(&seed) % i), swap = ids[i - 1];
        ids[i - 1] = ids[j];
        ids[j] = swap;
    }
    if (ok && (tree = hl_instance_new(rt, tree_class)) != NULL) {
        hl_object *root = new_node(&t);
        if (root)
            put(&t, tree, 0, root);
        for (size_t i = 0; !t.failed && i < count; i++)
            tree_add(&t, tree, (int64_t)ids[i], hl_list_get(records, ids[i]));
        size_t remake = count / 5; /* RECREATE_FRACTION */
        for (size_t id = 0; !t.failed && id < remake; id++)
            node_delete(&t, hl_instance_get(tree, 0), (int64_t)id);
        for (size_t id = 0; !t.failed && id < remake; id++)
            tree_add(&t, tree, (int64_t)id, hl_list_get(records, id));
        ok = !t.failed;
    }
    for (int i = 0; i < 31; i++)
        hl_xdecref(rt, shared[i]);
    free(ids);
    hl_xdecref(rt, records);
    hl_xdecref(rt, record_class);
    hl_xdecref(rt, tree_class);
    hl_xdecref(rt, t.node_class);
    if (!ok && tree) {
        hl_decref(rt, tree);
        tree = NULL;
    }
    return tree;
}

/* Items in the subtree, for the consistency check after building. */
static size_t count_items(const hl_object *node)
{
    size_t n = hl_list_size(items_of(node));
    const hl_object *nodes = nodes_of(node);
    for (size_t i = 0; nodes && i < hl_list_size(nodes); i++)
        n += count_items(hl_list_get(nodes, i));
    return n;
}

static void run_btree(hl_bench_state *state, void *arg)
{
    const bench_case *c = arg;
    hl_runtime *rt = bench_runtime(state, c);
    if (rt == NULL)
        return;
    unsigned long long start = hl_now_ns();
    hl_object *tree = bench_btree_build(rt, (size_t)c->param);
    double build_ms = (double)(hl_now_ns() - start) / 1e6;
    if (tree == NULL || count_items(hl_instance_get(tree, 0)) != (size_t)c->param)
        hl_bench_skip(state, "the B-tree was not built whole");
    hl_gc_collect(rt, 2); /* the program's own gc.collect() after make_tree */
    while (tree && hl_bench_keep_running(state)) {
        start = hl_now_ns();
        long found = hl_gc_collect(rt, 2);
        hl_bench_set_iteration_time(state, (double)(hl_now_ns() - start) / 1e9);
        if (found != 0) {
            hl_bench_skip(state, "the collection found garbage where there is none");
            break;
        }
    }
    hl_bench_counter(state, "build_ms", build_ms, HL_COUNTER_DEFAULT);
    hl_bench_counter(state, "records", (double)c->param, HL_COUNTER_DEFAULT);
    bench_gc_counters(state, rt);
    hl_xdecref(rt, tree);
    hl_runtime_destroy(rt, NULL);
}

void bench_register_btree(const bench_options *o)
{
    const char *allocs[4], *gcs[16];
    size_t na = bench_object_allocators(allocs, 4), ng = bench_collectors(gcs, 16);
    for (size_t a = 0; a < na; a++)
        for (size_t g = 0; g < ng; g++) {
            if (!bench_collector_traces(gcs[g]))
                continue;
            bench_case *c = bench_case_new(o, allocs[a], gcs[g]);
            c->param = o->quick ? 20000 : 200000;
            hl_bench *b = hl_bench_manual_time(bench_register("btree_gc_only", run_btree, c));
            hl_bench_iterations(hl_bench_unit(b, HL_BENCH_MS), o->quick ? 3 : 10);
        }
}
