/*
 * bench/traces.c — alloc_trace: every shipped recorded trace
 * (suites/data/traces/NAME.trace.gz) replayed in-process on every available
 * allocator, through the loader and the timed loop of `heaplab trace`
 * (harness/trace.h).
 *
 * One iteration is one whole replay on a fresh allocator; only the op loop
 * is timed (manual time), as in the verb.  A trace is loaded on first use
 * and kept for every allocator after it.  Besides the memory counters of
 * bench.h: ops_per_iter (the trace's op count).  Peak RSS includes the
 * replay's slot table, 16 bytes per block live at the trace's peak, the
 * same for every allocator.
 *
 * The whole-process figure, start-up and loading included, is hyperfine's
 * (bench/run.sh runs `heaplab trace` once per allocator).
 */
#include "bench.h"
#include "trace.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A trace file and, once a benchmark has needed it, its loaded ops. */
typedef struct trace_file {
    char path[512];
    char name[128]; /* the file name without .trace.gz */
    hl_trace *trace;
    bool failed; /* loading failed once: do not retry */
} trace_file;

static trace_file *files;
static size_t file_count;

static hl_trace *trace_of(trace_file *f)
{
    if (f->trace == NULL && !f->failed) {
        char err[300];
        int status;
        f->trace = hl_trace_load(f->path, err, sizeof err, &status);
        f->failed = f->trace == NULL;
        if (f->failed)
            fprintf(stderr, "%s\n", err);
    }
    return f->trace;
}

static void run_trace(hl_bench_state *state, void *arg)
{
    const bench_case *c = arg;
    trace_file *f = (trace_file *)c->data;
    hl_trace *t = trace_of(f);
    if (t == NULL) {
        hl_bench_skip(state, "the trace did not load (see stderr)");
        return;
    }
    bench_rss rss;
    bench_rss_start(&rss);
    hl_alloc_stats stats = {0};
    bench_perf perf;
    bench_perf_begin(&perf);
    while (hl_bench_keep_running(state)) {
        hl_allocator *a = bench_allocator(state, c->alloc);
        if (a == NULL)
            return;
        unsigned long long ns = 0;
        size_t done = hl_trace_replay(t, a, &ns);
        hl_allocator_stats(a, &stats);
        hl_allocator_close(a);
        if (done < t->op_count) {
            bench_perf_discard(&perf);
            hl_bench_skip(state, "an allocation failed during the replay");
            return;
        }
        hl_bench_set_iteration_time(state, (double)ns / 1e9);
    }
    size_t ops = t->op_count;
    /* Counted around whole iterations: each opens and closes its allocator. */
    bench_perf_end(&perf, state, (double)ops * (double)hl_bench_iterations_done(state));
    hl_bench_counter(state, "ops_per_iter", (double)ops, HL_COUNTER_DEFAULT);
    hl_bench_set_items_processed(state, (int64_t)ops * hl_bench_iterations_done(state));
    /* The replay frees what the trace leaves live, so the one set of
       statistics holds both the peaks and what is mapped after freeing. */
    bench_memory_counters(state, &rss, &stats, &stats);
}

void bench_register_traces(const bench_options *o)
{
    glob_t g;
    if (glob("suites/data/traces/*.trace.gz", 0, NULL, &g) != 0)
        return;
    files = calloc(g.gl_pathc, sizeof *files);
    file_count = files ? g.gl_pathc : 0;
    for (size_t i = 0; i < file_count; i++) {
        trace_file *f = &files[i];
        snprintf(f->path, sizeof f->path, "%s", g.gl_pathv[i]);
        const char *base = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
        snprintf(f->name, sizeof f->name, "%.*s", (int)strcspn(base, "."), base);
    }
    globfree(&g);
    const char *names[32];
    size_t n = bench_allocators(names, 32);
    for (size_t i = 0; i < file_count; i++)
        for (size_t k = 0; k < n; k++) {
            bench_case *c = bench_case_new(o, names[k], NULL);
            c->data = &files[i];
            char family[160];
            snprintf(family, sizeof family, "alloc_trace/%s", files[i].name);
            hl_bench_manual_time(bench_register(family, run_trace, c));
        }
}

void bench_traces_free(void)
{
    for (size_t i = 0; i < file_count; i++)
        hl_trace_free(files[i].trace);
    free(files);
    files = NULL;
    file_count = 0;
}
