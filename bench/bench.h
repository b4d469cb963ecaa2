/*
 * bench/bench.h — what heaplab's benchmark programs share: the run's
 * options, the stacks to run on, memory measurements, hardware counters,
 * one deterministic random generator, and the workloads bench/ci.c reuses.
 *
 *   bench/gbench.h/.cc Google Benchmark's C API (the only C++)
 *   bench/main.c       build/heaplab-bench: options, registration, the run
 *   bench/common.c     cases, stacks, resident memory, CPython's size mix
 *   bench/perf.c       hardware counters, where the machine has them
 *   bench/alloc.c      allocation patterns on every available allocator
 *   bench/traces.c     recorded allocation traces, replayed in-process
 *   bench/collect.c    collection benchmarks on every collector
 *   bench/btree.c      pyperformance's B-tree heap for btree_gc_only
 *   bench/heaps.c      recorded CPython heaps, collected in full
 *   bench/pauses.c     pause times and minimum mutator utilization
 *   bench/reference.c  bdwgc and manual-memory versions of the same programs
 *   bench/ci.c         the fixed workloads `make bench-ci` counts under callgrind
 *   bench/run.sh, report.py, tables.py, ci.sh, ci_compare.py   the drivers
 *
 * Every benchmark registers one case per stack it runs on; a case carries
 * the allocator and collector specs and its workload's parameters, and
 * lives until the run ends.
 */
#ifndef HEAPLAB_BENCH_H
#define HEAPLAB_BENCH_H

#include "allocator.h"
#include "gbench.h"
#include "object.h"
#include "random.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bench_options {
    bool quick;          /* --heaplab_quick: small sizes, one repetition */
    const char *out_dir; /* --heaplab_out_dir: pause timelines go here */
} bench_options;

#define BENCH_SPEC_MAX 64

/* One registered benchmark's parameters; owned by the case list. */
typedef struct bench_case {
    char alloc[BENCH_SPEC_MAX]; /* allocator spec, "" when not used */
    char gc[BENCH_SPEC_MAX];    /* collector spec, "" when not used */
    const bench_options *options;
    int64_t param;              /* workload-specific */
    const void *data;           /* workload-specific, borrowed */
    struct bench_case *next;    /* the case list */
} bench_case;

/* A case for (alloc, gc), freed by bench_cases_free at the end of the run. */
bench_case *bench_case_new(const bench_options *options, const char *alloc, const char *gc);
void bench_cases_free(void);
/* "family/alloc/gc" (empty parts left out), registered with fn and c. */
hl_bench *bench_register(const char *family, hl_bench_fn fn, bench_case *c);

/* ---- the stacks ------------------------------------------------------------ */

/* Names of the allocators that can run here (wrappers excluded), in
   registry order; returns how many were stored. */
size_t bench_allocators(const char **names, size_t max);
/* Names of every collector in the registry. */
size_t bench_collectors(const char **names, size_t max);
/* The allocators the object-model benchmarks run on: the default pool and
   the C library, as named by the brief of those suites. */
size_t bench_object_allocators(const char **names, size_t max);
/* false for `none`, which never collects: collection-timed benchmarks skip it. */
bool bench_collector_traces(const char *gc);

/* ---- memory --------------------------------------------------------------- */

/*
 * Resident memory of this process, from /proc/self/status.  The kernel's
 * high-water mark (VmHWM) is reset to the current resident size by writing
 * 5 to /proc/self/clear_refs, so a benchmark's peak is "high-water mark
 * after, less resident size before" even late in a long run.  The C
 * library's malloc is trimmed first (malloc_trim), or memory it kept from
 * earlier benchmarks would hide its growth.  Allocators that keep a
 * process-wide heap (tcmalloc, pymalloc) may still reuse what earlier
 * benchmarks of the same process left them: run.sh runs one process per
 * allocator, and the figures remain a lower bound for those two.
 */
typedef struct bench_rss {
    long before_kib; /* VmRSS when bench_rss_start ran */
    bool resettable; /* clear_refs accepted the reset */
} bench_rss;

void bench_rss_start(bench_rss *r);
/* Growth of the high-water mark since bench_rss_start, KiB (-1 unknown). */
long bench_rss_peak_kib(const bench_rss *r);
/* Resident now less resident at start, KiB (may be negative). */
long bench_rss_now_kib(const bench_rss *r);

/*
 * The memory counters every allocation benchmark reports:
 *   peak_rss_kib         growth of the resident high-water mark
 *   rss_per_live         that growth over the peak of requested live bytes
 *   mapped_per_live      the allocator's own peak mapped bytes over the same
 *                        (when the allocator can tell)
 *   mapped_after_free    bytes the allocator still holds once every block
 *                        is freed (when it can tell)
 *   rss_after_free_kib   resident growth left once every block is freed
 * `peak` is the allocator's statistics before freeing, `after_free` after.
 */
void bench_memory_counters(hl_bench_state *state, const bench_rss *rss,
                           const hl_alloc_stats *peak, const hl_alloc_stats *after_free);

/* ---- hardware counters (perf.c) ------------------------------------------ */

#define BENCH_PERF_EVENTS 4

typedef struct bench_perf {
    int fd[BENCH_PERF_EVENTS]; /* -1 when not open */
    int leader;                /* fd[0] once the group is open, else -1 */
} bench_perf;

/* Whether counters can be read here; why: the events, or the reason not. */
bool bench_perf_status(char *why, size_t why_size);
/* Opens and starts the counters (silently nothing where unsupported). */
void bench_perf_begin(bench_perf *p);
/* Stops them and reports each per operation: count / ops. */
void bench_perf_end(bench_perf *p, hl_bench_state *state, double ops);
void bench_perf_discard(bench_perf *p);

/* ---- randomness ----------------------------------------------------------- */

/* base/random.h's SplitMix64: fixed seeds, so every allocator sees the
   same sequence. */
static inline uint64_t bench_random(uint64_t *state)
{
    return hl_random_next(state);
}

/* A request size drawn from the size mix of CPython programs (alloc.c). */
size_t bench_python_size(uint64_t *state);

/* ---- the workloads, shared by the benchmarks and bench/ci.c ---------------- */

/* alloc.c: a burst of n blocks freed newest first (lifo) or oldest first;
   a churn of `count` (slot, size) steps over live blocks; `lists` item
   arrays grown to n items by CPython's list over-allocation, then freed
   (returns the calls made, 0 on failure). */
bool bench_burst(hl_allocator *a, void **block, const size_t *size, size_t n, bool lifo);
bool bench_churn(hl_allocator *a, void **block, size_t *size, const size_t *steps,
                 size_t count);
size_t bench_list_growth(hl_allocator *a, void **block, size_t *capacity, size_t lists,
                         size_t n);

/* collect.c */
typedef struct bench_gcbench_shape {
    int stretch_depth;    /* 18 in Boehm's program */
    int long_lived_depth; /* 16 */
    size_t array_size;    /* 500 000 */
    int min_depth;        /* 4 */
    int max_depth;        /* 16 */
} bench_gcbench_shape;

extern const bench_gcbench_shape bench_gcbench_full, bench_gcbench_quick;

/* class Node with two attribute slots and `payload` opaque bytes */
hl_object *bench_node_class(hl_runtime *rt, size_t payload);
/* One round of pyperformance's gc_collect: cycles of links + 1 nodes made
   and dropped, then gc.collect(), timed into *collect_ns; returns what it
   found, -1 when memory ran out. */
long bench_gc_collect_round(hl_runtime *rt, hl_object *node_class, size_t cycles,
                            size_t links, unsigned long long *collect_ns);
/* gc_traversal's nested lists (a new reference, NULL when memory ran out). */
hl_object *bench_nested_lists(hl_runtime *rt, size_t levels);
/* GCBench; returns the nodes built, 0 on failure. */
uint64_t bench_gcbench(hl_runtime *rt, const bench_gcbench_shape *shape);
/* binary-trees; returns the sum of the checks it prints. */
uint64_t bench_binary_trees(hl_runtime *rt, int max_depth, uint64_t *nodes);
uint64_t bench_binary_trees_expected(int max_depth);
/* reference.c: binary-trees with explicit frees; a = NULL: libc directly. */
uint64_t bench_binary_trees_manual(hl_allocator *a, int max_depth);
/* btree.c: pyperformance's B-tree of `count` records (a new reference). */
hl_object *bench_btree_build(hl_runtime *rt, size_t count);

/* ---- registration of each suite ------------------------------------------- */

void bench_register_alloc(const bench_options *o);
void bench_register_traces(const bench_options *o);
void bench_register_collect(const bench_options *o);
void bench_register_btree(const bench_options *o);
void bench_register_heaps(const bench_options *o);
void bench_register_pauses(const bench_options *o);
void bench_register_design(const bench_options *o);
void bench_register_reference(const bench_options *o);
void bench_register_scale(const bench_options *o);
/* ci.c: lists the workloads (name NULL) or runs one; the exit status. */
int bench_ci_main(const char *name);
/* What the trace and heap suites loaded, released at the end of the run. */
void bench_traces_free(void);
void bench_heaps_free(void);

/* Opens a runtime or skips the benchmark with the reason; NULL then. */
hl_runtime *bench_runtime(hl_bench_state *state, const bench_case *c);
/* Opens an allocator or skips the benchmark with the reason; NULL then. */
hl_allocator *bench_allocator(hl_bench_state *state, const char *spec);

/* Collector counters of a finished object-model run: collections (and
   those of the oldest generation, full_collections), time spent collecting
   (gc_ms) and objects visited. */
void bench_gc_counters(hl_bench_state *state, hl_runtime *rt);

#endif /* HEAPLAB_BENCH_H */
