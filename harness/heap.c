/*
 * harness/heap.c — `heaplab heap`: replays heap graphs recorded from real
 * CPython programs (tools/heap_snapshot.py) on a stack and collects them.
 *
 * The graph is loaded and checked by harness/graph.c (format in graph.h
 * and README.md).  Each node becomes a
 * tracked container whose allocation is the recorded size (less CPython's
 * 16-byte GC header, which sys.getsizeof counts and which our collector adds
 * back) and at least room for its outgoing references.  The harness holds
 * EXT references to each node, exactly the references CPython's collector
 * would find coming from outside the graph, so the first collection finds
 * exactly what CPython's found; then it drops them, collects again and
 * checks that nothing is left.  A node named by an `r` line is registered
 * as a root (hl_root_add); the root set's reference is one of its EXT
 * references, so every count stays what the recorded program had.
 */
#include "cli.h"
#include "collector_registry.h"
#include "graph.h"
#include "object.h"
#include "allocator.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- the replayed objects ---------------------------------------------- */

/* A replayed container: the references it held, then padding up to the
   recorded size.  Invariant: ref[0..count) are owned references or NULL
   (after clear). */
typedef struct node_object {
    hl_object ob;
    uint32_t count;    /* references */
    uint32_t bytes;    /* allocation size, header included */
    hl_object *ref[];  /* outgoing references */
} node_object;

static int node_traverse(hl_object *op, hl_visit_fn visit, void *arg)
{
    node_object *n = (node_object *)op;
    for (uint32_t i = 0; i < n->count; i++) {
        if (n->ref[i]) {
            int r = visit(n->ref[i], arg);
            if (r)
                return r;
        }
    }
    return 0;
}

static void node_clear(hl_runtime *rt, hl_object *op)
{
    node_object *n = (node_object *)op;
    for (uint32_t i = 0; i < n->count; i++)
        hl_clearref(rt, &n->ref[i]);
}

static void node_dealloc(hl_runtime *rt, hl_object *op)
{
    node_clear(rt, op);
    hl_object_free(rt, op, ((node_object *)op)->bytes);
}

/* PEP 442 finalizer of `f` nodes: does nothing; the runtime counts calls. */
static void node_finalize(hl_runtime *rt, hl_object *op)
{
    (void)rt;
    (void)op;
}

static const hl_type node_type = {
    .name = "node",
    .basic_size = sizeof(node_object),
    .flags = HL_TYPE_CONTAINER,
    .traverse = node_traverse,
    .clear = node_clear,
    .dealloc = node_dealloc,
};

static const hl_type node_finalizer_type = {
    .name = "node+finalizer",
    .basic_size = sizeof(node_object),
    .flags = HL_TYPE_CONTAINER,
    .traverse = node_traverse,
    .clear = node_clear,
    .finalize = node_finalize,
    .dealloc = node_dealloc,
};

#define CPYTHON_GC_HEAD 16 /* sys.getsizeof counts it; our collector adds its own */

/* The allocation replay makes for node i: the recorded size less
   CPython's GC header, and at least room for its references. */
static size_t node_bytes(const hl_graph *g, size_t i)
{
    const hl_graph_node *nd = &g->node[i];
    size_t need = offsetof(node_object, ref) + nd->out_count * sizeof(hl_object *);
    size_t want = nd->size > CPYTHON_GC_HEAD ? (size_t)nd->size - CPYTHON_GC_HEAD : 0;
    size_t bytes = want > need ? want : need;
    return bytes > UINT32_MAX ? need : bytes;
}

/* EXT references the harness holds itself; for a root with EXT >= 1 the
   root set holds one of them. */
static uint64_t held_refs(const hl_graph_node *nd)
{
    return nd->root && nd->ext > 0 ? nd->ext - 1 : nd->ext;
}

typedef struct run_result {
    long unreachable;
    double collect_ms;
    uint64_t finalizers;     /* during the first collection */
    uint64_t finalizers_all; /* during the whole run */
    size_t live_after;       /* objects alive after the second collection */
    size_t leaked_objects;   /* containers destroy had to reclaim */
    size_t leaked_bytes;     /* bytes still live after destroy */
    bool out_of_memory;
} run_result;

/* save_all: collect the first time under DEBUG_SAVEALL, as the capture
   tool times CPython's collection — finding only, nothing freed — then
   release gc.garbage so the rest of the run is unchanged. */
static int replay(const hl_graph *g, const char *alloc, const char *gc, bool save_all,
                  run_result *out)
{
    char err[300];
    *out = (run_result){0};
    hl_runtime *rt = hl_runtime_create(alloc, gc, err, sizeof err);
    if (rt == NULL) {
        fprintf(stderr, "heaplab heap: %s\n", err);
        return HL_EXIT_USAGE;
    }
    hl_gc_disable(rt); /* the graph is built whole, then collected once */
    hl_object **obj = calloc(g->node_count, sizeof *obj);
    bool ok = obj != NULL;
    for (size_t i = 0; ok && i < g->node_count; i++) {
        size_t bytes = node_bytes(g, i);
        node_object *n = (node_object *)hl_object_new(
            rt, g->node[i].finalizer ? &node_finalizer_type : &node_type, bytes);
        if (n == NULL) {
            ok = false;
            break;
        }
        n->count = 0;
        n->bytes = (uint32_t)bytes;
        obj[i] = &n->ob;
    }
    /* References first, then tracking: an object is whole when tracked. */
    for (size_t i = 0; ok && i < g->node_count; i++) {
        const hl_graph_node *nd = &g->node[i];
        node_object *n = (node_object *)obj[i];
        for (uint32_t e = 0; e < nd->out_count; e++) {
            hl_object *target = obj[g->edge[nd->out_first + e].dst];
            hl_incref(target);
            n->ref[n->count++] = target;
        }
        hl_gc_track(rt, obj[i]);
    }
    /* Roots before the EXT references: a failed registration leaves the
       runtime's destroy to drop the ones made. */
    for (size_t i = 0; ok && i < g->root_count; i++)
        ok = hl_root_add(rt, obj[g->root[i].src]) == 0;
    /* The root set holds one of a root's EXT references; the harness holds
       the rest. */
    for (size_t i = 0; ok && i < g->node_count; i++)
        obj[i]->refcount += (intptr_t)held_refs(&g->node[i]);
    /* Drop the construction references: from here every count is exactly
       in-graph references + EXT, as in the recorded program. */
    for (size_t i = 0; obj && i < g->node_count; i++)
        if (obj[i])
            hl_decref(rt, obj[i]);

    if (ok) {
        uint64_t fin0 = hl_runtime_finalizers_run(rt);
        unsigned long long t0 = hl_now_ns();
        if (save_all)
            hl_gc_set_debug(rt, HL_GC_DEBUG_SAVEALL);
        out->unreachable = hl_gc_collect(rt, 2);
        unsigned long long t1 = hl_now_ns();
        out->collect_ms = (double)(t1 - t0) / 1e6;
        hl_object *garbage = NULL;
        if (save_all) {
            hl_gc_set_debug(rt, 0);
            /* NULL when gc.garbage could not be made: then the collection
               kept what it found alive, and the second one frees it. */
            garbage = hl_gc_garbage(rt);
            if (garbage)
                hl_list_clear(rt, garbage);
        }
        out->finalizers = hl_runtime_finalizers_run(rt) - fin0;
        /* The EXT holders and the root set go away; the rest must now be
           garbage too. */
        for (size_t i = 0; i < g->root_count; i++)
            hl_root_remove(rt, obj[g->root[i].src]);
        for (size_t i = 0; i < g->node_count; i++) {
            uint64_t held = held_refs(&g->node[i]);
            if (held == 0)
                continue;
            obj[i]->refcount -= (intptr_t)held - 1;
            hl_decref(rt, obj[i]);
        }
        hl_gc_collect(rt, 2);
        out->finalizers_all = hl_runtime_finalizers_run(rt) - fin0;
        /* gc.garbage, made by --saveall, is the runtime's, not the graph's. */
        out->live_after = hl_runtime_live_objects(rt) - (garbage ? 1 : 0);
    }
    out->out_of_memory = !ok;
    free(obj);
    hl_runtime_report report;
    hl_runtime_destroy(rt, &report);
    out->leaked_objects = report.leaked_objects;
    out->leaked_bytes = report.live_bytes;
    return HL_EXIT_OK;
}

static void print_result(const hl_graph *g, const char *alloc, const char *gc, long repeat,
                         bool save_all, const run_result *r, double median_ms, double min_ms)
{
    printf("{\"allocator\":");
    hl_json_string(stdout, alloc);
    printf(",\"collector\":");
    hl_json_string(stdout, gc);
    printf(",\"file\":");
    hl_json_string(stdout, g->path);
    printf(",\"nodes\":%zu,\"edges\":%zu,\"finalizer_nodes\":%zu,\"root_nodes\":%zu"
           ",\"unreachable\":%ld",
           g->node_count, g->edge_count, g->fin_count, g->root_count, r->unreachable);
    if (g->has_cpython)
        printf(",\"cpython_unreachable\":%llu,\"cpython_ms\":%.3f",
               (unsigned long long)g->cpython_unreachable, g->cpython_ms);
    else
        printf(",\"cpython_unreachable\":null,\"cpython_ms\":null");
    printf(",\"repeat\":%ld,\"saveall\":%s,\"collect_ms\":%.3f,\"collect_ms_min\":%.3f",
           repeat, save_all ? "true" : "false", median_ms, min_ms);
    printf(",\"finalizers_called\":%llu,\"finalizers_called_total\":%llu",
           (unsigned long long)r->finalizers, (unsigned long long)r->finalizers_all);
    printf(",\"live_after\":%zu,\"leaked_objects\":%zu,\"leaked_bytes\":%zu}\n", r->live_after,
           r->leaked_objects, r->leaked_bytes);
    fflush(stdout);
}

int hl_verb_heap(int argc, char **argv)
{
    const char *alloc = "malloc", *gc = "stw";
    long repeat = 1;
    bool save_all = false;
    int first_file = argc;
    for (int i = 1; i < argc; i++) {
        const char *v;
        bool bad = false;
        if (hl_option_value(argc, argv, &i, "--alloc", &alloc, &bad) ||
            hl_option_value(argc, argv, &i, "--gc", &gc, &bad)) {
            if (bad)
                return hl_usage_error("heap", "%s needs a value", argv[i]);
        } else if (hl_option_value(argc, argv, &i, "--repeat", &v, &bad)) {
            if (bad || !hl_parse_count(v, 100000, &repeat))
                return hl_usage_error("heap", "--repeat takes a count from 1 to 100000");
        } else if (strcmp(argv[i], "--saveall") == 0) {
            save_all = true;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return hl_usage_error("heap", "unknown option '%s'", argv[i]);
        } else {
            first_file = i;
            break;
        }
    }
    if (first_file >= argc)
        return hl_usage_error("heap", "no graph file given");
    for (int i = first_file; i < argc; i++)
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return hl_usage_error("heap", "options must come before the files ('%s')",
                                  argv[i]);
    char err[300];
    hl_runtime *probe = hl_runtime_create(alloc, gc, err, sizeof err);
    if (probe == NULL)
        return hl_usage_error("heap", "%s", err);
    bool tracing = (hl_gc_flags(probe) & HL_GC_FINDS_CYCLES) != 0;
    hl_runtime_destroy(probe, NULL);

    int status = HL_EXIT_OK;
    uint64_t cap;
    if (!hl_memory_cap(&cap))
        return hl_usage_error("heap", "HEAPLAB_MEMORY_CAP must be a byte count");
    for (int f = first_file; f < argc; f++) {
        int rc;
        hl_graph *g = hl_graph_load(argv[f], err, sizeof err, &rc);
        if (g == NULL) {
            fprintf(stderr, "%s\n", err);
            return rc; /* malformed input: nothing printed for this file */
        }
        uint64_t bytes = 0;
        for (size_t i = 0; i < g->node_count; i++)
            bytes += node_bytes(g, i);
        if (bytes > cap) {
            fprintf(stderr, "%s: the graph needs %llu bytes, more than this run may use "
                            "(%llu: half the physical memory or HEAPLAB_MEMORY_CAP)\n",
                    g->path, (unsigned long long)bytes, (unsigned long long)cap);
            hl_graph_free(g);
            return HL_EXIT_FAILED;
        }
        double *ms = calloc((size_t)repeat, sizeof *ms);
        run_result r = {0};
        for (long k = 0; ms && k < repeat; k++) {
            rc = replay(g, alloc, gc, save_all, &r);
            if (rc != HL_EXIT_OK || r.out_of_memory)
                break;
            ms[k] = r.collect_ms;
        }
        if (ms == NULL || r.out_of_memory) {
            fprintf(stderr, "%s: out of memory while building the graph\n", g->path);
            status = HL_EXIT_FAILED;
        } else if (rc == HL_EXIT_OK) {
            double min = ms[0];
            for (long k = 1; k < repeat; k++)
                min = ms[k] < min ? ms[k] : min;
            print_result(g, alloc, gc, repeat, save_all, &r, hl_median(ms, (size_t)repeat), min);
            bool clean = r.leaked_bytes == 0 &&
                         (!tracing || (r.live_after == 0 && r.leaked_objects == 0));
            if (!clean) {
                fprintf(stderr, "%s: objects left after the final collection\n", g->path);
                status = HL_EXIT_FAILED;
            }
            if (tracing && g->has_cpython && (uint64_t)r.unreachable != g->cpython_unreachable) {
                fprintf(stderr, "%s: found %ld unreachable, CPython found %llu\n", g->path,
                        r.unreachable, (unsigned long long)g->cpython_unreachable);
                status = HL_EXIT_FAILED;
            }
        } else {
            status = rc;
        }
        free(ms);
        hl_graph_free(g);
    }
    return status;
}

/* ---- the replay for in-process benchmarks (graph.h) ------------------ */

long hl_graph_collect(const hl_graph *g, const char *alloc, const char *gc,
                      unsigned long long *collect_ns)
{
    run_result r;
    if (replay(g, alloc, gc, false, &r) != HL_EXIT_OK || r.out_of_memory)
        return -1;
    *collect_ns = (unsigned long long)(r.collect_ms * 1e6);
    const hl_collector_ops *ops = hl_collector_lookup(gc);
    bool tracing = ops && (ops->flags & HL_GC_FINDS_CYCLES);
    if (r.leaked_bytes || (tracing && (r.live_after || r.leaked_objects)))
        return -2;
    return r.unreachable;
}
