/*
 * bench/pauses.c — gc_pauses: how long an allocation-heavy program stops
 * for collection, and how much of any window of time is left to it.
 *
 * The mutator is a small request-serving loop: each request builds a dict
 * of lists and tuples, wraps it in an instance, sometimes ties it into a
 * reference cycle (a parent <-> child pair), and sometimes keeps it in a
 * long-lived cache of 25 000 entries, replacing an older one.  So the
 * young objects mostly die young, some garbage is cyclic, and the old
 * generation keeps growing slowly and turning over — the case generational
 * collection exists for.  Automatic collection decides when to collect.
 *
 * Every collection is recorded through gc.callbacks (hl_gc_add_callback):
 * the clock is read at "start" and at "stop", so a pause is exactly the
 * time the program was stopped, automatic or not, whatever the collector.
 * Reported: the number of pauses, p50 / p99 / max, the total, the overall
 * mutator utilization, and the minimum mutator utilization (MMU, Cheng and
 * Blelloch): for a window w, the smallest fraction of any w-long interval of
 * the run left to the mutator.  With --heaplab_out_dir the whole timeline
 * goes to pauses-GC-ALLOC.csv and the MMU curve (w = 1 ms..1 s) to
 * mmu-GC-ALLOC.csv, for the report's plots.
 */
#include "bench.h"
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pause {
    double start_ms; /* since the mutator started */
    double end_ms;
    int generation;
} pause;

/* The pauses of one run, in time order (collections never overlap). */
typedef struct timeline {
    unsigned long long origin_ns;
    unsigned long long started_ns; /* of the collection running now */
    pause *pauses;
    size_t count, capacity;
    bool out_of_memory;
} timeline;

static void on_collection(hl_runtime *rt, const char *phase, int generation,
                          size_t collected, size_t uncollectable, void *user)
{
    timeline *t = user;
    unsigned long long now = hl_now_ns();
    if (strcmp(phase, "start") == 0) {
        t->started_ns = now;
        return;
    }
    if (t->count == t->capacity) {
        size_t capacity = t->capacity ? 2 * t->capacity : 1024;
        pause *p = realloc(t->pauses, capacity * sizeof *p);
        if (p == NULL) {
            t->out_of_memory = true;
            return;
        }
        t->pauses = p;
        t->capacity = capacity;
    }
    t->pauses[t->count++] = (pause){(double)(t->started_ns - t->origin_ns) / 1e6,
                                    (double)(now - t->origin_ns) / 1e6, generation};
}

/* ---- the mutator ------------------------------------------------------------ */

/* Entries of the long-lived cache: about 18 tracked containers each, so a
   full collection walks some 450 000 objects, tens of milliseconds — long
   enough to show in the MMU curve, short enough that windows near 100 ms
   still leave the program some time. */
enum { CACHE = 25000 };

/* One request; false when memory ran out. */
static bool serve(hl_runtime *rt, hl_object *cls, hl_object *cache, uint64_t *seed,
                  uint64_t step)
{
    static const char *const keys[4] = {"path", "headers", "args", "body"};
    hl_object *request = hl_dict_new(rt);
    bool ok = request != NULL;
    for (int k = 0; ok && k < 4; k++) {
        hl_object *list = hl_list_new(rt, 0);
        ok = list != NULL;
        for (int i = 0; ok && i < 3; i++) {
            hl_object *n = hl_int(rt, (int64_t)(step * 4 + (uint64_t)i) + 1000);
            hl_object *pair[2] = {n, n};
            hl_object *t = n ? hl_tuple_pack(rt, 2, pair) : NULL;
            ok = t && hl_list_append(rt, list, t) == 0;
            hl_xdecref(rt, t);
            hl_xdecref(rt, n);
        }
        ok = ok && hl_dict_set_str(rt, request, keys[k], list) == 0;
        hl_xdecref(rt, list);
    }
    hl_object *handler = ok ? hl_instance_new(rt, cls) : NULL;
    if ((ok = handler != NULL)) {
        hl_instance_set(rt, handler, 0, request);
        if (step % 8 == 0) { /* parent <-> child: garbage only a collection frees */
            hl_object *child = hl_instance_new(rt, cls);
            if ((ok = child != NULL)) {
                hl_instance_set(rt, child, 1, handler);
                hl_instance_set(rt, handler, 1, child);
                hl_decref(rt, child);
            }
        }
        if (step % 4 == 0)
            hl_list_set(rt, cache, (size_t)(bench_random(seed) % CACHE), handler);
    }
    hl_xdecref(rt, handler);
    hl_xdecref(rt, request);
    return ok;
}

/* ---- statistics ------------------------------------------------------------- */

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted values. */
static double percentile(const double *sorted, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t rank = (size_t)ceil(p / 100.0 * (double)n);
    return sorted[rank == 0 ? 0 : rank - 1];
}

/* Collection time inside [from, to]. */
static double gc_time_in(const timeline *t, double from, double to)
{
    size_t lo = 0, hi = t->count; /* first pause ending after `from` */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->pauses[mid].end_ms <= from)
            lo = mid + 1;
        else
            hi = mid;
    }
    double sum = 0;
    for (size_t i = lo; i < t->count && t->pauses[i].start_ms < to; i++) {
        double a = fmax(from, t->pauses[i].start_ms), b = fmin(to, t->pauses[i].end_ms);
        sum += b > a ? b - a : 0;
    }
    return sum;
}

/* Minimum mutator utilization for windows of w ms over a run of total ms.
   The worst window starts where a pause starts or ends where one ends, so
   only those are tried (plus the run's two ends). */
static double mmu(const timeline *t, double total, double w)
{
    if (w >= total)
        return fmax(0.0, 1.0 - gc_time_in(t, 0, total) / total);
    double worst = 0;
    for (size_t i = 0; i <= t->count; i++) {
        double starts[2] = {i < t->count ? t->pauses[i].start_ms : 0,
                            i < t->count ? t->pauses[i].end_ms - w : total - w};
        for (int k = 0; k < 2; k++) {
            double s = fmin(fmax(starts[k], 0), total - w);
            worst = fmax(worst, gc_time_in(t, s, s + w));
        }
    }
    return fmax(0.0, 1.0 - worst / w); /* rounding must not make it negative */
}

static void write_files(const bench_case *c, const timeline *t, double total)
{
    if (c->options->out_dir == NULL)
        return;
    char path[600];
    snprintf(path, sizeof path, "%s/pauses-%s-%s.csv", c->options->out_dir, c->gc, c->alloc);
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "start_ms,duration_ms,generation\n");
        for (size_t i = 0; i < t->count; i++)
            fprintf(f, "%.4f,%.4f,%d\n", t->pauses[i].start_ms,
                    t->pauses[i].end_ms - t->pauses[i].start_ms, t->pauses[i].generation);
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/mmu-%s-%s.csv", c->options->out_dir, c->gc, c->alloc);
    if ((f = fopen(path, "w")) != NULL) {
        fprintf(f, "window_ms,mmu\n");
        /* 1 ms to 1 s, evenly on a log scale: past 100 ms too, so that the
           curve still shows where it rises when a full collection takes
           longer than that. */
        for (int i = 0; i <= 60; i++) {
            double w = pow(10.0, i / 20.0);
            fprintf(f, "%.4f,%.5f\n", w, mmu(t, total, w));
        }
        fclose(f);
    }
}

static void run_pauses(hl_bench_state *state, void *arg)
{
    const bench_case *c = arg;
    uint64_t steps = (uint64_t)c->param;
    hl_runtime *rt = bench_runtime(state, c);
    if (rt == NULL)
        return;
    timeline t = {0};
    hl_class_spec spec = {.name = "Handler", .slots = 2};
    hl_object *cls = hl_class_new(rt, &spec), *cache = hl_list_new(rt, CACHE);
    bool ok = cls && cache && hl_gc_add_callback(rt, on_collection, &t) == 0;
    hl_object *zero = hl_int(rt, 0); /* the cache starts full of 0s */
    for (size_t i = 0; ok && i < CACHE; i++)
        ok = zero && hl_list_append(rt, cache, zero) == 0;
    hl_xdecref(rt, zero);
    uint64_t seed = 3;
    double total = 0;
    while (ok && hl_bench_keep_running(state)) {
        t.count = 0;
        t.origin_ns = hl_now_ns();
        for (uint64_t step = 0; ok && step < steps; step++)
            ok = serve(rt, cls, cache, &seed, step);
        total = (double)(hl_now_ns() - t.origin_ns) / 1e6;
    }
    if (!ok || t.out_of_memory)
        hl_bench_skip(state, "out of memory");
    double *durations = malloc((t.count + 1) * sizeof *durations), gc_total = 0;
    for (size_t i = 0; durations && i < t.count; i++) {
        durations[i] = t.pauses[i].end_ms - t.pauses[i].start_ms;
        gc_total += durations[i];
    }
    if (durations && ok) {
        qsort(durations, t.count, sizeof *durations, compare_double);
        hl_bench_counter(state, "pauses", (double)t.count, HL_COUNTER_DEFAULT);
        hl_bench_counter(state, "p50_ms", percentile(durations, t.count, 50), HL_COUNTER_DEFAULT);
        hl_bench_counter(state, "p99_ms", percentile(durations, t.count, 99), HL_COUNTER_DEFAULT);
        hl_bench_counter(state, "max_ms", t.count ? durations[t.count - 1] : 0,
                         HL_COUNTER_DEFAULT);
        hl_bench_counter(state, "gc_total_ms", gc_total, HL_COUNTER_DEFAULT);
        hl_bench_counter(state, "utilization", total > 0 ? 1 - gc_total / total : 1,
                         HL_COUNTER_DEFAULT);
        hl_bench_counter(state, "mmu_1ms", mmu(&t, total, 1), HL_COUNTER_DEFAULT);
        hl_bench_counter(state, "mmu_10ms", mmu(&t, total, 10), HL_COUNTER_DEFAULT);
        hl_bench_counter(state, "mmu_100ms", mmu(&t, total, 100), HL_COUNTER_DEFAULT);
        write_files(c, &t, total);
    }
    free(durations);
    hl_gc_remove_callback(rt, on_collection, &t);
    hl_xdecref(rt, cache);
    hl_xdecref(rt, cls);
    hl_runtime_destroy(rt, NULL);
    free(t.pauses);
}

void bench_register_pauses(const bench_options *o)
{
    const char *gcs[16];
    size_t ng = bench_collectors(gcs, 16);
    for (size_t g = 0; g < ng; g++) {
        if (!bench_collector_traces(gcs[g]))
            continue;
        bench_case *c = bench_case_new(o, "freelist_pool", gcs[g]);
        c->param = o->quick ? 40000 : 400000;
        hl_bench *b = hl_bench_iterations(bench_register("gc_pauses", run_pauses, c), 1);
        hl_bench_unit(b, HL_BENCH_MS);
    }
}
