/*
 * harness/graph.h — recorded heap graphs (`heaplab-graph 1`, README.md):
 * the loader (harness/graph.c) and the replay (harness/heap.c), for the
 * `heap` verb, in-process benchmarks and the parser fuzzer.
 *
 *      heaplab-graph 1 nodes=N edges=M    the counts are optional hints
 *      # comments; one is read: "# cpython-collect: unreachable=U ms=X
 *        nodes=N edges=M", CPython's own collection of that heap
 *      n ID KIND SIZE EXT                 nodes 0..N-1, in order, first
 *      e SRC DST                          a reference
 *      f ID                               the node has a finalizer
 *      r ID                               the node is a known-alive root
 *
 * The loader returns errors instead of printing them or exiting, and keeps
 * no state outside the graph, so it can run inside a fuzzer.
 */
#ifndef HEAPLAB_GRAPH_H
#define HEAPLAB_GRAPH_H

#include "line_reader.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hl_graph_node {
    uint64_t size;      /* recorded bytes */
    uint64_t ext;       /* references from outside the graph */
    uint32_t out_first; /* first of its edges in the edge array */
    uint32_t out_count; /* number of outgoing edges */
    uint8_t kind;       /* index into hl_graph_kinds */
    bool finalizer;     /* an f line named it */
    bool root;          /* an r line named it */
} hl_graph_node;

typedef struct hl_graph_ref {
    uint32_t src, dst; /* node IDs (for f and r lines, dst is unused) */
    size_t line;       /* where it was read, for errors found at the end */
} hl_graph_ref;

/*
 * A loaded graph.  Invariants: every edge's src and dst, every finalizer's
 * and every root's node are below node_count, and no node is named twice
 * by f or by r lines; edges are grouped by source in file order
 * (node[i].out_first..+out_count); node_count >= 1, edge_count < 2^32.
 */
typedef struct hl_graph {
    const char *path;           /* as given, not copied */
    hl_graph_node *node;
    size_t node_count, node_alloc;
    hl_graph_ref *edge;
    size_t edge_count, edge_alloc;
    hl_graph_ref *fin;          /* f lines */
    size_t fin_count, fin_alloc;
    hl_graph_ref *root;         /* r lines */
    size_t root_count, root_alloc;
    bool has_hint_nodes, has_hint_edges; /* the header gave nodes= / edges= */
    uint64_t hint_nodes, hint_edges;
    bool has_cpython;           /* a "# cpython-collect:" line was read */
    size_t cpython_line;        /* where */
    uint64_t cpython_unreachable, cpython_nodes, cpython_edges;
    double cpython_ms;
} hl_graph;

extern const char *const hl_graph_kinds[]; /* KIND names, NULL-terminated */

/*
 * Reads a whole graph from r (the caller closes r); name is for messages.
 * On failure returns NULL, writes "NAME:LINE: what is wrong" to err and
 * sets *status to 2 (malformed input) or 1 (out of memory).
 */
hl_graph *hl_graph_read(hl_line_reader *r, const char *name, char *err, size_t err_size,
                        int *status);
/* Opens and reads path (plain or gzip), the same way. */
hl_graph *hl_graph_load(const char *path, char *err, size_t err_size, int *status);
void hl_graph_free(hl_graph *g);
/* The "# cpython-collect:" figures: -1 when the file has none. */
long hl_graph_cpython_unreachable(const hl_graph *g);
double hl_graph_cpython_ms(const hl_graph *g);
/*
 * Builds g in a fresh runtime for (alloc, gc), times the first full
 * collection into *collect_ns, drops the EXT references, collects again and
 * destroys the runtime.  Returns what the first collection found; -1 when
 * the stack could not be made or memory ran out, -2 when anything was left.
 */
long hl_graph_collect(const hl_graph *g, const char *alloc, const char *gc,
                      unsigned long long *collect_ns);

#endif
