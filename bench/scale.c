/*
 * bench/scale.c — the collector at a million live objects.
 *
 * gc_live: 10^6 live tracked containers (instances of a two-slot class,
 * each holding the next, all held by one list) and nothing to free; only
 * the full collection is timed.  The counter ns_per_object is the time over
 * the number of tracked objects examined — the figure CPython's collector
 * is known by (its gc.collect() on such a heap costs tens of ns each).
 *
 * gc_young: the same 10^6 live objects, promoted to the oldest generation
 * by one full collection, then an allocation-heavy mutator (short-lived
 * lists, dicts and cycles) under automatic collection.  Every collection is
 * timed through gc.callbacks and sorted by generation: the young pauses
 * (generations 0 and 1) are what generational collection promises to keep
 * short however large the old heap; full collections are counted apart.
 */
#include "bench.h"
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pause_log {
    unsigned long long started_ns; /* of the collection running now */
    double *young_ms;              /* pauses of generations 0 and 1 */
    size_t young, capacity;
    size_t full;                   /* collections of the oldest generation */
    double full_ms;                /* their total */
    int oldest;                    /* the collector's oldest generation */
} pause_log;

static void on_collection(hl_runtime *rt, const char *phase, int generation,
                          size_t collected, size_t uncollectable, void *user)
{
    (void)rt, (void)collected, (void)uncollectable;
    pause_log *log = user;
    unsigned long long now = hl_now_ns();
    if (strcmp(phase, "start") == 0) {
        log->started_ns = now;
        return;
    }
    double ms = (double)(now - log->started_ns) / 1e6;
    if (generation == log->oldest) {
        log->full++;
        log->full_ms += ms;
        return;
    }
    if (log->young == log->capacity) {
        size_t capacity = log->capacity ? 2 * log->capacity : 4096;
        double *p = realloc(log->young_ms, capacity * sizeof *p);
        if (p == NULL)
            return;
        log->young_ms = p;
        log->capacity = capacity;
    }
    log->young_ms[log->young++] = ms;
}

/* The live heap: `count` instances in one list, each linked to the next. */
static hl_object *build_live(hl_runtime *rt, size_t count)
{
    hl_object *cls = bench_node_class(rt, 0);
    hl_object *all = cls ? hl_list_new(rt, count) : NULL;
    hl_object *prev = NULL;
    for (size_t i = 0; all && i < count; i++) {
        hl_object *node = hl_instance_new(rt, cls);
        if (node == NULL || hl_list_append(rt, all, node) < 0) {
            hl_xdecref(rt, node);
            hl_clearref(rt, &all);
            break;
        }
        if (prev)
            hl_instance_set(rt, prev, 0, node);
        prev = node;
        hl_decref(rt, node);
    }
    hl_xdecref(rt, cls);
    return all;
}

static void run_gc_live(hl_bench_state *state, void *arg)
{
    const bench_case *c = arg;
    size_t count = (size_t)c->param;
    hl_runtime *rt = bench_runtime(state, c);
    if (rt == NULL)
        return;
    hl_gc_disable(rt);
    hl_object *all = build_live(rt, count);
    /* The list is a module global, as in the Python program: a root, which
       collectors that mark alive from roots start from (others ignore it). */
    if (all != NULL && hl_root_add(rt, all) < 0)
        hl_clearref(rt, &all);
    if (all == NULL) {
        hl_runtime_destroy(rt, NULL);
        hl_bench_skip(state, "out of memory building the live heap");
        return;
    }
    hl_gc_collect(rt, 2); /* settle: later collections see a steady heap */
    hl_gc_stats before;
    hl_gc_get_stats(rt, &before);
    double total_ns = 0;
    while (hl_bench_keep_running(state)) {
        unsigned long long t0 = hl_now_ns();
        long found = hl_gc_collect(rt, 2);
        unsigned long long t1 = hl_now_ns();
        if (found != 0) {
            hl_bench_skip(state, "the live heap had garbage");
            break;
        }
        hl_bench_set_iteration_time(state, (double)(t1 - t0) / 1e9);
        total_ns += (double)(t1 - t0);
    }
    hl_gc_stats after;
    hl_gc_get_stats(rt, &after);
    double visited = (double)(after.objects_visited - before.objects_visited);
    if (visited > 0)
        hl_bench_counter(state, "ns_per_object", total_ns / visited, HL_COUNTER_DEFAULT);
    hl_bench_counter(state, "live_objects", (double)hl_runtime_live_objects(rt),
                     HL_COUNTER_DEFAULT);
    (void)hl_root_remove(rt, all);
    hl_decref(rt, all);
    hl_runtime_destroy(rt, NULL);
}

static int compare_ms(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile(const double *sorted, size_t n, double p)
{
    return n ? sorted[(size_t)(p * (double)(n - 1) + 0.5)] : 0;
}

/* One mutator step: short-lived containers, a quarter of them cyclic. */
static bool churn(hl_runtime *rt, size_t i)
{
    hl_object *l = hl_list_new(rt, 0);
    hl_object *d = hl_dict_new(rt);
    bool ok = l && d && hl_list_append(rt, l, d) == 0;
    if (ok && i % 4 == 0)
        ok = hl_dict_set_str(rt, d, "back", l) == 0;
    hl_xdecref(rt, l);
    hl_xdecref(rt, d);
    return ok;
}

static void run_gc_young(hl_bench_state *state, void *arg)
{
    const bench_case *c = arg;
    size_t count = (size_t)c->param, steps = count / 2;
    hl_runtime *rt = bench_runtime(state, c);
    if (rt == NULL)
        return;
    pause_log log = {.oldest = hl_gc_generations(rt) - 1};
    hl_gc_disable(rt);
    hl_object *all = build_live(rt, count);
    hl_gc_collect(rt, 2); /* the live heap is old now */
    hl_gc_enable(rt);
    if (all == NULL || hl_gc_add_callback(rt, on_collection, &log) < 0) {
        hl_xdecref(rt, all);
        hl_runtime_destroy(rt, NULL);
        hl_bench_skip(state, "out of memory building the live heap");
        return;
    }
    while (hl_bench_keep_running(state)) {
        unsigned long long t0 = hl_now_ns();
        for (size_t i = 0; i < steps; i++)
            if (!churn(rt, i))
                break;
        hl_bench_set_iteration_time(state, (double)(hl_now_ns() - t0) / 1e9);
    }
    hl_gc_remove_callback(rt, on_collection, &log);
    qsort(log.young_ms, log.young, sizeof *log.young_ms, compare_ms);
    hl_bench_counter(state, "young_pauses", (double)log.young, HL_COUNTER_DEFAULT);
    hl_bench_counter(state, "young_p50_ms", percentile(log.young_ms, log.young, 0.50),
                     HL_COUNTER_DEFAULT);
    hl_bench_counter(state, "young_p99_ms", percentile(log.young_ms, log.young, 0.99),
                     HL_COUNTER_DEFAULT);
    hl_bench_counter(state, "young_max_ms",
                     log.young ? log.young_ms[log.young - 1] : 0, HL_COUNTER_DEFAULT);
    hl_bench_counter(state, "full_collections", (double)log.full, HL_COUNTER_DEFAULT);
    hl_bench_counter(state, "full_ms", log.full_ms, HL_COUNTER_DEFAULT);
    free(log.young_ms);
    hl_decref(rt, all);
    hl_runtime_destroy(rt, NULL);
}

void bench_register_scale(const bench_options *o)
{
    const char *allocs[4], *gcs[16];
    size_t na = bench_object_allocators(allocs, 4), ng = bench_collectors(gcs, 16);
    int64_t count = o->quick ? 100000 : 1000000;
    for (size_t a = 0; a < na; a++) {
        for (size_t g = 0; g < ng; g++) {
            if (!bench_collector_traces(gcs[g]))
                continue;
            /* ft also without mark-alive and without its prefetch ring. */
            static const char *const ft_variants[] = {"", "=nomark", "=noprefetch"};
            size_t variants = strcmp(gcs[g], "ft") == 0 ? 3 : 1;
            hl_bench *b = NULL;
            for (size_t v = 0; v < variants; v++) {
                char spec[BENCH_SPEC_MAX];
                snprintf(spec, sizeof spec, "%s%s", gcs[g], ft_variants[v]);
                bench_case *cl = bench_case_new(o, allocs[a], spec);
                cl->param = count;
                b = hl_bench_manual_time(bench_register("gc_live", run_gc_live, cl));
                hl_bench_repetitions(hl_bench_unit(b, HL_BENCH_MS), o->quick ? 1 : 3);
            }
            if (strcmp(gcs[g], "generational") != 0)
                continue; /* young pauses need generations */
            bench_case *cy = bench_case_new(o, allocs[a], gcs[g]);
            cy->param = count;
            b = hl_bench_manual_time(bench_register("gc_young", run_gc_young, cy));
            hl_bench_iterations(hl_bench_unit(b, HL_BENCH_MS), 1);
        }
    }
}
