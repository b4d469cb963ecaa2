/*
 * bench/alloc.c — allocation patterns, run on every allocator that can run
 * here (the registry's, wrappers excluded; unavailable ones are skipped).
 *
 *   alloc_lifo      a burst of N requests from the CPython size mix, freed
 *                   newest first: temporaries, the free-list fast path
 *   alloc_fifo      the same burst freed oldest first: pools emptied in the
 *                   order they were filled
 *   alloc_churn     a live set of N blocks (10^3..10^6, uniform 16..512
 *                   bytes); each step frees a random block and allocates a
 *                   new one of a random size: fragmentation under churn
 *   alloc_size      256 blocks of one size, allocated then freed: every
 *                   obmalloc class boundary and sizes past 512 bytes
 *   alloc_realloc   16 lists grown together, one append at a time, through
 *                   CPython's list over-allocation (list_resize, 3.9+)
 *   alloc_pymix     the churn with CPython's size mix, live set 10^5
 *
 * Only the steps are timed.  Each iteration is a batch of allocator calls,
 * so the cost of the loop itself is spread over the batch; `ops_per_iter`
 * says how many calls, so ns/op = real_time / ops_per_iter.  The first byte
 * of every new block is written so that allocators handing out untouched
 * pages pay for the fault, as real callers do (trace replay does the same).
 * Memory counters: bench.h, bench_memory_counters.
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

/* The blocks a pattern works on; slot i is block[i], requested size[i]. */
typedef struct work {
    void **block;
    size_t *size;
    size_t count;    /* slots */
    size_t *steps;   /* churn: the precomputed (slot, size) steps, pairs */
    size_t step_count;
    size_t next_step;
    size_t param;    /* the pattern's argument */
    bool live;       /* block[] holds live blocks between steps (churn) */
} work;

typedef struct pattern {
    const char *family;
    const char *arg_name;
    /* Untimed: sizes, slots, and for churn the initial live set. */
    bool (*setup)(work *w, hl_allocator *a);
    /* One timed iteration; false when an allocation failed. */
    bool (*step)(work *w, hl_allocator *a);
    size_t (*ops_per_step)(const work *w);
} pattern;

/* ---- the workloads (also run by bench/ci.c) ------------------------------- */

static inline void *touched(void *block, size_t size)
{
    if (block && size > 0)
        *(volatile unsigned char *)block = 1;
    return block;
}

bool bench_burst(hl_allocator *a, void **block, const size_t *size, size_t n, bool lifo)
{
    for (size_t i = 0; i < n; i++)
        if (touched(block[i] = hl_mem_malloc(a, size[i]), size[i]) == NULL)
            return false;
    if (lifo)
        for (size_t i = n; i-- > 0;)
            hl_mem_free(a, block[i], size[i]);
    else
        for (size_t i = 0; i < n; i++)
            hl_mem_free(a, block[i], size[i]);
    return true;
}

/* steps: `count` pairs (slot, size); every slot holds a live block. */
bool bench_churn(hl_allocator *a, void **block, size_t *size, const size_t *steps,
                 size_t count)
{
    for (size_t i = 0; i < count; i++) {
        size_t slot = steps[2 * i], want = steps[2 * i + 1];
        hl_mem_free(a, block[slot], size[slot]);
        size[slot] = want;
        if (touched(block[slot] = hl_mem_malloc(a, want), want) == NULL)
            return false;
    }
    return true;
}

/* CPython's list_resize for an append to a list of `size` items (3.9+). */
static size_t list_grown_capacity(size_t size)
{
    size_t newsize = size + 1;
    return (newsize + (newsize >> 3) + 6) & ~(size_t)3;
}

/* Grows `lists` item arrays (block[i], NULL at first) to n items each, one
   append per list in turn, then frees them; returns the calls made, 0 when
   an allocation failed. */
size_t bench_list_growth(hl_allocator *a, void **block, size_t *capacity, size_t lists,
                         size_t n)
{
    size_t calls = 0;
    for (size_t i = 0; i < lists; i++) {
        block[i] = NULL;
        capacity[i] = 0;
    }
    for (size_t item = 0; item < n; item++)
        for (size_t i = 0; i < lists; i++) {
            if (item < capacity[i])
                continue;
            size_t grown = list_grown_capacity(item);
            void *p = hl_mem_realloc(a, block[i], capacity[i] * sizeof(void *),
                                     grown * sizeof(void *));
            if (p == NULL)
                return 0;
            ((void **)p)[item] = p; /* the append itself writes the new slot */
            block[i] = p;
            capacity[i] = grown;
            calls++;
        }
    for (size_t i = 0; i < lists; i++) {
        hl_mem_free(a, block[i], capacity[i] * sizeof(void *));
        block[i] = NULL;
    }
    return calls + lists;
}

/* ---- patterns -------------------------------------------------------------- */

static bool alloc_slots(work *w, size_t count)
{
    w->count = count;
    w->block = calloc(count, sizeof *w->block);
    w->size = calloc(count, sizeof *w->size);
    return w->block && w->size;
}

static bool burst_setup(work *w, hl_allocator *a)
{
    if (!alloc_slots(w, w->param))
        return false;
    uint64_t seed = 42;
    for (size_t i = 0; i < w->count; i++)
        w->size[i] = bench_python_size(&seed);
    return true;
}

static bool lifo_step(work *w, hl_allocator *a)
{
    return bench_burst(a, w->block, w->size, w->count, true);
}

static bool fifo_step(work *w, hl_allocator *a)
{
    return bench_burst(a, w->block, w->size, w->count, false);
}

static size_t burst_ops(const work *w)
{
    return 2 * w->count;
}

enum { CHURN_BATCH = 4096, CHURN_STEPS = 1 << 16 };

/* Fills the live set and precomputes CHURN_STEPS steps, so the timed loop
   draws no random numbers; python: sizes from the CPython mix, else 16..512. */
static bool churn_fill(work *w, hl_allocator *a, bool python)
{
    if (!alloc_slots(w, w->param))
        return false;
    w->step_count = CHURN_STEPS;
    w->steps = malloc(2 * CHURN_STEPS * sizeof *w->steps);
    if (w->steps == NULL)
        return false;
    uint64_t seed = 7;
    w->live = true;
    for (size_t i = 0; i < 2 * CHURN_STEPS; i += 2) {
        w->steps[i] = (size_t)(bench_random(&seed) % w->count);
        w->steps[i + 1] = python ? bench_python_size(&seed)
                                 : 16 + (size_t)(bench_random(&seed) % 497);
    }
    for (size_t i = 0; i < w->count; i++) {
        w->size[i] = python ? bench_python_size(&seed) : 16 + (size_t)(bench_random(&seed) % 497);
        if (touched(w->block[i] = hl_mem_malloc(a, w->size[i]), w->size[i]) == NULL)
            return false;
    }
    return true;
}

static bool churn_setup(work *w, hl_allocator *a)
{
    return churn_fill(w, a, false);
}

static bool pymix_setup(work *w, hl_allocator *a)
{
    return churn_fill(w, a, true);
}

static bool churn_step(work *w, hl_allocator *a)
{
    bool ok = bench_churn(a, w->block, w->size, w->steps + 2 * w->next_step, CHURN_BATCH);
    w->next_step = (w->next_step + CHURN_BATCH) % w->step_count;
    return ok;
}

static size_t churn_ops(const work *w)
{
    return 2 * CHURN_BATCH;
}

enum { SIZE_BURST = 256, LISTS = 16 };

static bool size_setup(work *w, hl_allocator *a)
{
    if (!alloc_slots(w, SIZE_BURST))
        return false;
    for (size_t i = 0; i < w->count; i++)
        w->size[i] = w->param;
    return true;
}

static bool size_step(work *w, hl_allocator *a)
{
    return bench_burst(a, w->block, w->size, w->count, false);
}

static bool realloc_setup(work *w, hl_allocator *a)
{
    return alloc_slots(w, LISTS);
}

static bool realloc_step(work *w, hl_allocator *a)
{
    return bench_list_growth(a, w->block, w->size, LISTS, w->param) > 0;
}

static size_t realloc_ops(const work *w)
{
    size_t calls = 0;
    for (size_t capacity = 0, item = 0; item < w->param; item++)
        if (item >= capacity) {
            capacity = list_grown_capacity(item);
            calls++;
        }
    return LISTS * (calls + 1);
}

static const pattern lifo = {"alloc_lifo", "burst", burst_setup, lifo_step, burst_ops};
static const pattern fifo = {"alloc_fifo", "burst", burst_setup, fifo_step, burst_ops};
static const pattern churn = {"alloc_churn", "live", churn_setup, churn_step, churn_ops};
static const pattern sizes = {"alloc_size", "bytes", size_setup, size_step, burst_ops};
static const pattern growth = {"alloc_realloc", "items", realloc_setup, realloc_step,
                               realloc_ops};
static const pattern pymix = {"alloc_pymix", "live", pymix_setup, churn_step, churn_ops};

/* ---- the benchmark --------------------------------------------------------- */

static void work_free(work *w, hl_allocator *a)
{
    for (size_t i = 0; a && w->live && i < w->count; i++)
        if (w->block[i]) {
            hl_mem_free(a, w->block[i], w->size[i]);
            w->block[i] = NULL;
        }
    free(w->block);
    free(w->size);
    free(w->steps);
}

static void run_pattern(hl_bench_state *state, void *arg)
{
    const bench_case *c = arg;
    const pattern *p = c->data;
    work w = {.param = (size_t)hl_bench_range_arg(state, 0)};
    bench_rss rss;
    bench_rss_start(&rss);
    hl_allocator *a = bench_allocator(state, c->alloc);
    if (a == NULL)
        return;
    if (!p->setup(&w, a)) {
        hl_bench_skip(state, "out of memory in setup");
        work_free(&w, a);
        hl_allocator_close(a);
        return;
    }
    bool ok = true;
    bench_perf perf;
    bench_perf_begin(&perf);
    while (ok && hl_bench_keep_running(state))
        ok = p->step(&w, a);
    size_t ops = p->ops_per_step(&w);
    bench_perf_end(&perf, state, (double)ops * (double)hl_bench_iterations_done(state));
    if (!ok)
        hl_bench_skip(state, "allocation failed");
    hl_alloc_stats peak, after_free;
    hl_allocator_stats(a, &peak);
    work_free(&w, a);
    hl_allocator_stats(a, &after_free);
    hl_bench_counter(state, "ops_per_iter", (double)ops, HL_COUNTER_DEFAULT);
    hl_bench_set_items_processed(state, (int64_t)ops * hl_bench_iterations_done(state));
    bench_memory_counters(state, &rss, &peak, &after_free);
    hl_allocator_close(a);
}

static void add(const bench_options *o, const char *alloc, const pattern *p,
                const int64_t *args, size_t count)
{
    bench_case *c = bench_case_new(o, alloc, NULL);
    c->data = p;
    hl_bench *b = hl_bench_arg_name(bench_register(p->family, run_pattern, c), p->arg_name);
    for (size_t i = 0; i < count; i++)
        hl_bench_arg(b, args[i]);
}

void bench_register_alloc(const bench_options *o)
{
    static const int64_t bursts[] = {1000, 100000};
    static const int64_t lives[] = {1000, 10000, 100000, 1000000};
    static const int64_t lives_quick[] = {1000, 100000};
    static const int64_t size_list[] = {16,  32,  48,   64,   96,    128,    192,    256,
                                        384, 512, 1024, 4096, 32768, 262144, 1048576};
    static const int64_t size_quick[] = {16, 64, 256, 512, 4096, 1048576};
    static const int64_t items[] = {64, 4096, 262144};
    static const int64_t pymix_live[] = {100000};
    const char *names[32];
    size_t n = bench_allocators(names, 32);
    for (size_t i = 0; i < n; i++) {
        add(o, names[i], &lifo, bursts, 2);
        add(o, names[i], &fifo, bursts, 2);
        if (o->quick)
            add(o, names[i], &churn, lives_quick, 2);
        else
            add(o, names[i], &churn, lives, 4);
        if (o->quick)
            add(o, names[i], &sizes, size_quick, sizeof size_quick / sizeof size_quick[0]);
        else
            add(o, names[i], &sizes, size_list, sizeof size_list / sizeof size_list[0]);
        add(o, names[i], &growth, items, o->quick ? 2 : 3);
        add(o, names[i], &pymix, pymix_live, 1);
    }
}
