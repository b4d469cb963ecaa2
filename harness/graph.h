/*
 * harness/graph.h — recorded heap graphs (`heaplab-graph 1`, README.md)
 * behind an interface, for the `heap` verb and for in-process benchmarks.
 */
#ifndef HEAPLAB_GRAPH_H
#define HEAPLAB_GRAPH_H

typedef struct hl_graph hl_graph;

/* Loads and checks a graph file (plain or gzip); NULL after printing
   "FILE:LINE: what is wrong".  path is kept, not copied. */
hl_graph *hl_graph_load(const char *path);
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
