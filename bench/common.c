/*
 * bench/common.c — the helpers every benchmark file shares (bench.h): the
 * case list, the stacks to run on, resident-memory measurement, the memory
 * and collector counters, and the CPython request-size mix.
 */
#include "bench.h"
#include "collector_registry.h"
#include "parse.h"
#include "registry.h"

#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- cases ----------------------------------------------------------------- */

/* Every case ever made, newest first; freed once the run is over. */
static bench_case *cases;

bench_case *bench_case_new(const bench_options *options, const char *alloc, const char *gc)
{
    bench_case *c = calloc(1, sizeof *c);
    if (c == NULL) {
        fprintf(stderr, "heaplab-bench: out of memory registering benchmarks\n");
        exit(2);
    }
    snprintf(c->alloc, sizeof c->alloc, "%s", alloc ? alloc : "");
    snprintf(c->gc, sizeof c->gc, "%s", gc ? gc : "");
    c->options = options;
    c->next = cases;
    cases = c;
    return c;
}

void bench_cases_free(void)
{
    while (cases) {
        bench_case *next = cases->next;
        free(cases);
        cases = next;
    }
}

hl_bench *bench_register(const char *family, hl_bench_fn fn, bench_case *c)
{
    char name[256];
    int n = snprintf(name, sizeof name, "%s", family);
    if (c->alloc[0])
        n += snprintf(name + n, sizeof name - (size_t)n, "/%s", c->alloc);
    if (c->gc[0])
        snprintf(name + n, sizeof name - (size_t)n, "/%s", c->gc);
    return hl_bench_unit(hl_bench_register(name, fn, c), HL_BENCH_NS);
}

/* ---- stacks ---------------------------------------------------------------- */

size_t bench_allocators(const char **names, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < hl_allocator_count() && n < max; i++) {
        const hl_allocator_ops *ops = hl_allocator_at(i);
        char why[200];
        if (ops->is_wrapper || (ops->available && !ops->available(why, sizeof why)))
            continue;
        names[n++] = ops->name;
    }
    return n;
}

size_t bench_collectors(const char **names, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < hl_collector_count() && n < max; i++)
        names[n++] = hl_collector_at(i)->name;
    return n;
}

size_t bench_object_allocators(const char **names, size_t max)
{
    static const char *const wanted[] = {"freelist_pool", "malloc"};
    size_t n = 0;
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0] && n < max; i++)
        if (hl_allocator_find(wanted[i], strlen(wanted[i])))
            names[n++] = wanted[i];
    return n;
}

bool bench_collector_traces(const char *gc)
{
    return strcmp(gc, "none") != 0;
}

hl_runtime *bench_runtime(hl_bench_state *state, const bench_case *c)
{
    char err[300];
    hl_runtime *rt = hl_runtime_create(c->alloc, c->gc, err, sizeof err);
    if (rt == NULL)
        hl_bench_skip(state, err);
    return rt;
}

hl_allocator *bench_allocator(hl_bench_state *state, const char *spec)
{
    char err[300];
    hl_allocator *a = hl_allocator_open(spec, err, sizeof err);
    if (a == NULL)
        hl_bench_skip(state, err);
    return a;
}

/* ---- resident memory ------------------------------------------------------- */

/* A "Name:   1234 kB" field of /proc/self/status, or -1. */
static long status_kib(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1;
    char line[256];
    long value = -1;
    size_t len = strlen(field);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, len) == 0 && line[len] == ':') {
            /* "VmHWM:\t   1234 kB" */
            const char *digits = line + len + 1 + strspn(line + len + 1, " \t");
            uint64_t v;
            if (hl_parse_u64_span(digits, strspn(digits, "0123456789"), 0, LONG_MAX, &v))
                value = (long)v;
            break;
        }
    fclose(f);
    return value;
}

void bench_rss_start(bench_rss *r)
{
    /* glibc keeps what earlier benchmarks of this process freed and reuses
       it without growing; returning it first makes the C library's growth
       comparable with that of the allocators that unmap on destroy. */
    malloc_trim(0);
    FILE *f = fopen("/proc/self/clear_refs", "w");
    r->resettable = f != NULL && fputs("5", f) >= 0;
    if (f && fclose(f) != 0)
        r->resettable = false;
    r->before_kib = status_kib("VmRSS");
}

long bench_rss_peak_kib(const bench_rss *r)
{
    long hwm = status_kib("VmHWM");
    if (!r->resettable || hwm < 0 || r->before_kib < 0)
        return -1;
    return hwm - r->before_kib;
}

long bench_rss_now_kib(const bench_rss *r)
{
    long rss = status_kib("VmRSS");
    return rss < 0 || r->before_kib < 0 ? 0 : rss - r->before_kib;
}

void bench_memory_counters(hl_bench_state *state, const bench_rss *rss,
                           const hl_alloc_stats *peak, const hl_alloc_stats *after_free)
{
    long peak_kib = bench_rss_peak_kib(rss);
    double live = (double)peak->counts.peak_bytes;
    if (peak_kib >= 0) {
        hl_bench_counter(state, "peak_rss_kib", (double)peak_kib, HL_COUNTER_DEFAULT);
        if (live > 0)
            hl_bench_counter(state, "rss_per_live", (double)peak_kib * 1024.0 / live,
                             HL_COUNTER_DEFAULT);
    }
    hl_bench_counter(state, "peak_live_bytes", live, HL_COUNTER_DEFAULT);
    if (peak->impl.mapped_known && live > 0)
        hl_bench_counter(state, "mapped_per_live", (double)peak->impl.peak_mapped_bytes / live,
                         HL_COUNTER_DEFAULT);
    if (after_free->impl.mapped_known)
        hl_bench_counter(state, "mapped_after_free", (double)after_free->impl.mapped_bytes,
                         HL_COUNTER_DEFAULT);
    hl_bench_counter(state, "rss_after_free_kib", (double)bench_rss_now_kib(rss),
                     HL_COUNTER_DEFAULT);
}

void bench_gc_counters(hl_bench_state *state, hl_runtime *rt)
{
    hl_gc_stats s;
    hl_gc_get_stats(rt, &s);
    uint64_t collections = 0;
    for (int g = 0; g < HL_GC_GENERATIONS; g++)
        collections += s.generation[g].collections;
    hl_bench_counter(state, "collections", (double)collections, HL_COUNTER_DEFAULT);
    int oldest = hl_gc_generations(rt) - 1;
    hl_bench_counter(state, "full_collections",
                     (double)s.generation[oldest < 0 ? 0 : oldest].collections,
                     HL_COUNTER_DEFAULT);
    hl_bench_counter(state, "gc_ms", (double)s.collect_ns / 1e6, HL_COUNTER_DEFAULT);
    hl_bench_counter(state, "objects_visited", (double)s.objects_visited, HL_COUNTER_DEFAULT);
}

/* ---- the CPython request-size mix ----------------------------------------------
 *
 * malloc, calloc request sizes of the three recorded programs in
 * suites/data/traces (1.2 million requests, CPython 3.11 under
 * PYTHONMALLOC=malloc), per 100 000 requests, by upper bound: a size is
 * drawn uniformly between the previous bound (exclusive) and its own.  Two
 * thirds of all requests are 64 bytes or less; 2.4% exceed obmalloc's
 * 512-byte limit.
 */
static const struct {
    uint32_t bound;
    uint32_t weight;
} python_sizes[] = {
    {16, 4015},  {32, 14627}, {48, 15399}, {64, 32594}, {80, 11503},  {96, 1546},
    {112, 902},  {128, 1368}, {144, 120},  {160, 2420}, {176, 927},   {192, 723},
    {208, 2150}, {224, 1122}, {240, 3481}, {256, 2142}, {272, 979},   {288, 126},
    {304, 394},  {320, 116},  {336, 27},   {352, 22},   {368, 25},    {384, 18},
    {400, 584},  {416, 18},   {432, 31},   {448, 40},   {464, 106},   {480, 16},
    {496, 10},   {512, 31},   {4096, 2330}, {65536, 86}, {1048576, 2},
};

size_t bench_python_size(uint64_t *state)
{
    uint64_t r = bench_random(state);
    uint32_t pick = (uint32_t)(r % 100000);
    uint32_t low = 0;
    for (size_t i = 0; i < sizeof python_sizes / sizeof python_sizes[0]; i++) {
        if (pick < python_sizes[i].weight)
            return low + 1 + (size_t)((r >> 32) % (python_sizes[i].bound - low));
        pick -= python_sizes[i].weight;
        low = python_sizes[i].bound;
    }
    return 64; /* unreachable: the weights sum to 100 000 */
}
