/*
 * bench/heaps.c — gc_heap: a full collection of every shipped heap recorded
 * from a real CPython program (suites/data/heaps/NAME.graph.gz), on every
 * tracing collector and both object-model allocators, through the loader
 * and the replay of `heaplab heap` (harness/graph.h).
 *
 * Each iteration rebuilds the graph in a fresh runtime (not timed) and times
 * the first collection, the one that finds the recorded garbage and frees
 * it — the figure `heaplab heap` prints as collect_ms (the build and the
 * second, emptying collection are not timed).  A collection that does not
 * find what CPython found fails the benchmark.  The file's
 * "# cpython-collect:" time is reported as cpython_ms, for reference only:
 * CPython's was taken under DEBUG_SAVEALL, finding the garbage without
 * freeing it, so the fair comparison is `heaplab heap --saveall`, which
 * bench/run.sh runs and the report tables.
 */
#include "bench.h"
#include "graph.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct heap_file {
    char path[512];
    char name[128]; /* the file name without .graph.gz */
    hl_graph *graph;
    bool failed;
} heap_file;

static heap_file *files;
static size_t file_count;

static hl_graph *graph_of(heap_file *f)
{
    if (f->graph == NULL && !f->failed) {
        char err[300];
        int status;
        f->graph = hl_graph_load(f->path, err, sizeof err, &status);
        f->failed = f->graph == NULL;
        if (f->failed)
            fprintf(stderr, "%s\n", err);
    }
    return f->graph;
}

static void run_heap(hl_bench_state *state, void *arg)
{
    const bench_case *c = arg;
    hl_graph *g = graph_of((heap_file *)c->data);
    if (g == NULL) {
        hl_bench_skip(state, "the graph did not load (see stderr)");
        return;
    }
    long expected = hl_graph_cpython_unreachable(g), found = 0;
    double best_ms = 0;
    while (hl_bench_keep_running(state)) {
        unsigned long long ns = 0;
        found = hl_graph_collect(g, c->alloc, c->gc, &ns);
        if (found < 0 || (expected >= 0 && found != expected)) {
            hl_bench_skip(state, found == -2 ? "objects were left after the last collection"
                                 : found < 0 ? "the stack could not be made, or memory ran out"
                                             : "the collection did not find what CPython found");
            return;
        }
        double ms = (double)ns / 1e6;
        best_ms = best_ms == 0 || ms < best_ms ? ms : best_ms;
        hl_bench_set_iteration_time(state, ms / 1e3);
    }
    hl_bench_counter(state, "unreachable", (double)found, HL_COUNTER_DEFAULT);
    hl_bench_counter(state, "collect_ms_min", best_ms, HL_COUNTER_DEFAULT);
    double cpython_ms = hl_graph_cpython_ms(g);
    if (cpython_ms > 0)
        hl_bench_counter(state, "cpython_ms", cpython_ms, HL_COUNTER_DEFAULT);
}

void bench_register_heaps(const bench_options *o)
{
    glob_t g;
    if (glob("suites/data/heaps/*.graph.gz", 0, NULL, &g) != 0)
        return;
    files = calloc(g.gl_pathc, sizeof *files);
    file_count = files ? g.gl_pathc : 0;
    for (size_t i = 0; i < file_count; i++) {
        heap_file *f = &files[i];
        snprintf(f->path, sizeof f->path, "%s", g.gl_pathv[i]);
        const char *base = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
        snprintf(f->name, sizeof f->name, "%.*s", (int)strcspn(base, "."), base);
    }
    globfree(&g);
    const char *allocs[4], *gcs[16];
    size_t na = bench_object_allocators(allocs, 4), ng = bench_collectors(gcs, 16);
    for (size_t i = 0; i < file_count; i++)
        for (size_t a = 0; a < na; a++)
            for (size_t k = 0; k < ng; k++) {
                if (!bench_collector_traces(gcs[k]))
                    continue;
                bench_case *c = bench_case_new(o, allocs[a], gcs[k]);
                c->data = &files[i];
                char family[160];
                snprintf(family, sizeof family, "gc_heap/%s", files[i].name);
                hl_bench *b = hl_bench_manual_time(bench_register(family, run_heap, c));
                hl_bench_iterations(hl_bench_unit(b, HL_BENCH_MS), o->quick ? 2 : 7);
            }
}

void bench_heaps_free(void)
{
    for (size_t i = 0; i < file_count; i++)
        hl_graph_free(files[i].graph);
    free(files);
    files = NULL;
    file_count = 0;
}
