/*
 * bench/design.c — gc_design: pause, throughput and memory backlog of a
 * collector measured together, on three mutators shaped like the reports
 * that decided CPython 3.14's incremental collector (gh-142516, gh-142001,
 * What's New 3.14):
 *
 *   steady_service  a large live heap held by a root (module globals),
 *                   served by a loop of requests: 32 lookups of random
 *                   records (work that allocates nothing), temporaries, a
 *                   parent <-> child cycle every 8th request, and every
 *                   4th request replaces a random record of the heap (one
 *                   record in 16 is itself a cycle, so old garbage appears)
 *   growing_heap    the same requests while the rooted heap grows by one
 *                   record every other request, from nothing
 *   request_cycles  a small rooted heap; every request leaves a cycle of
 *                   three objects owning a 16 KiB buffer (an exception /
 *                   traceback / socket shape), alive while the request is
 *                   in flight (8 requests at a time) and garbage after
 *
 * Pauses come from gc.callbacks ("start" to "stop": everything a
 * collection does), as in gc_pauses; MMU over windows of 1, 10 and 100 ms.
 * Each is reported twice: on the wall clock, and (cpu_*) on this thread's
 * CPU clock, where a window is w ms of the program's own CPU time — on a
 * shared machine the wall clock also counts the time the thread waited
 * for a core, inside pauses and out.
 * The backlog is exact: the mutator knows how many objects it holds
 * reachable (the baseline, the records it keeps, the requests in flight),
 * and every object alive beyond that is unreachable and not yet freed.
 * Acyclic garbage dies by reference counting at once, so the backlog is
 * cyclic garbage waiting for a collection.  It is sampled after every
 * request; backlog_max_bytes counts it at the bytes one request's cycle
 * holds (request_cycles only: the other two leave cycles of varying size).
 */
#include "bench.h"
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { IN_FLIGHT = 8, BUFFER = 16384, MAX_PAUSES = 1 << 20, READS = 32 };

/* Pauses in time order, on one clock. */
typedef struct design_timeline {
    double *start_ms, *end_ms;
    size_t count;
} design_timeline;

typedef struct design_run {
    unsigned long long origin_ns, started_ns;
    unsigned long long origin_cpu_ns, started_cpu_ns;
    design_timeline wall, cpu; /* the same pauses on the two clocks */
    bool out_of_memory;
    hl_runtime *rt;
    hl_object *cls;     /* Record: 3 slots */
    hl_object *heap;    /* the rooted list of records */
    size_t *record_objects; /* objects each record holds */
    size_t expected;    /* objects known reachable */
    size_t backlog_max;
    size_t reads;           /* what read_records saw, kept so it is done */
    size_t request_objects; /* what one request's cycle holds (request_cycles) */
    hl_object *flight[IN_FLIGHT];
    size_t flight_objects[IN_FLIGHT];
    uint64_t seed;
} design_run;

/* On a shared machine a wall-clock pause includes time the thread was not
   running; its CPU time does not, so both are reported. */
static unsigned long long thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000u + (unsigned long long)ts.tv_nsec;
}

static void on_collection(hl_runtime *rt, const char *phase, int generation,
                          size_t collected, size_t uncollectable, void *user)
{
    design_run *r = user;
    unsigned long long now = hl_now_ns();
    unsigned long long cpu = thread_cpu_ns();
    if (strcmp(phase, "start") == 0) {
        r->started_ns = now;
        r->started_cpu_ns = cpu;
        return;
    }
    if (r->wall.count == MAX_PAUSES) {
        r->out_of_memory = true;
        return;
    }
    r->wall.start_ms[r->wall.count] = (double)(r->started_ns - r->origin_ns) / 1e6;
    r->wall.end_ms[r->wall.count++] = (double)(now - r->origin_ns) / 1e6;
    r->cpu.start_ms[r->cpu.count] = (double)(r->started_cpu_ns - r->origin_cpu_ns) / 1e6;
    r->cpu.end_ms[r->cpu.count++] = (double)(cpu - r->origin_cpu_ns) / 1e6;
}

/* Collection time inside [from, to]. */
static double gc_time_in(const design_timeline *r, double from, double to)
{
    double sum = 0;
    for (size_t i = 0; i < r->count && r->start_ms[i] < to; i++) {
        double a = fmax(from, r->start_ms[i]), b = fmin(to, r->end_ms[i]);
        sum += b > a ? b - a : 0;
    }
    return sum;
}

/* Minimum mutator utilization (Cheng and Blelloch) for windows of w ms:
   the worst window starts at a pause's start or ends at a pause's end. */
static double mmu(const design_timeline *r, double total, double w)
{
    if (w >= total)
        return fmax(0.0, 1.0 - gc_time_in(r, 0, total) / total);
    double worst = 0;
    size_t lo = 0;
    for (size_t i = 0; i < r->count; i++) {
        while (lo < r->count && r->end_ms[lo] <= r->start_ms[i] - w)
            lo++;
        double starts[2] = {r->start_ms[i], r->end_ms[i] - w};
        for (int k = 0; k < 2; k++) {
            double s = fmin(fmax(starts[k], 0), total - w), sum = 0;
            for (size_t j = lo; j < r->count && r->start_ms[j] < s + w; j++) {
                double a = fmax(s, r->start_ms[j]), b = fmin(s + w, r->end_ms[j]);
                sum += b > a ? b - a : 0;
            }
            worst = fmax(worst, sum);
        }
    }
    return fmax(0.0, 1.0 - worst / w);
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static bool timeline_alloc(design_timeline *t)
{
    t->start_ms = malloc(MAX_PAUSES * sizeof(double));
    t->end_ms = malloc(MAX_PAUSES * sizeof(double));
    return t->start_ms && t->end_ms;
}

static void timeline_free(design_timeline *t)
{
    free(t->start_ms);
    free(t->end_ms);
}

/* The pause statistics and MMU of one clock: names prefixed by `clock`
   ("" wall time, "cpu_" this thread's CPU time). */
static void report_clock(hl_bench_state *state, const char *clock, const design_timeline *t,
                         double total)
{
    double *d = malloc((t->count + 1) * sizeof *d), gc = 0;
    if (d == NULL)
        return;
    for (size_t i = 0; i < t->count; i++)
        gc += d[i] = t->end_ms[i] - t->start_ms[i];
    qsort(d, t->count, sizeof *d, compare_double);
    size_t n = t->count, p99 = n ? (size_t)ceil(0.99 * (double)n) - 1 : 0;
    const struct {
        const char *name;
        double value;
    } out[] = {{"total_ms", total},
               {"gc_ms", gc},
               {"pause_p50_ms", n ? d[(n - 1) / 2] : 0},
               {"pause_p99_ms", n ? d[p99] : 0},
               {"pause_max_ms", n ? d[n - 1] : 0},
               {"mmu_1ms", mmu(t, total, 1)},
               {"mmu_10ms", mmu(t, total, 10)},
               {"mmu_100ms", mmu(t, total, 100)}};
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s%s", clock, out[i].name);
        hl_bench_counter(state, name, out[i].value, HL_COUNTER_DEFAULT);
    }
    free(d);
}

/* ---- the mutator ----------------------------------------------------------- */

static size_t live(const design_run *r)
{
    return hl_runtime_live_objects(r->rt);
}

/* A record: an instance holding a dict of two lists of two tuples, each
   holding an empty list and a small int (12 containers, no cycle); one in
   16 also points at a child instance that points back.  Returns it (a new
   reference) and its object count in *objects. */
static hl_object *make_record(design_run *r, bool cyclic, size_t *objects)
{
    hl_runtime *rt = r->rt;
    size_t before = live(r);
    hl_object *rec = hl_instance_new(rt, r->cls), *d = hl_dict_new(rt);
    bool ok = rec && d;
    for (int k = 0; ok && k < 2; k++) {
        hl_object *list = hl_list_new(rt, 0);
        ok = list != NULL;
        for (int i = 0; ok && i < 2; i++) {
            hl_object *inner = hl_list_new(rt, 0), *n = hl_int(rt, i);
            hl_object *items[2] = {inner, n};
            hl_object *t = inner && n ? hl_tuple_pack(rt, 2, items) : NULL;
            ok = t && hl_list_append(rt, list, t) == 0;
            hl_xdecref(rt, t);
            hl_xdecref(rt, inner);
            hl_xdecref(rt, n);
        }
        ok = ok && hl_dict_set_str(rt, d, k ? "b" : "a", list) == 0;
        hl_xdecref(rt, list);
    }
    if (ok)
        hl_instance_set(rt, rec, 0, d);
    if (ok && cyclic) {
        hl_object *child = hl_instance_new(rt, r->cls);
        if ((ok = child != NULL)) {
            hl_instance_set(rt, child, 1, rec);
            hl_instance_set(rt, rec, 1, child);
            hl_decref(rt, child);
        }
    }
    hl_xdecref(rt, d);
    if (!ok) {
        hl_xdecref(rt, rec);
        return NULL;
    }
    *objects = live(r) - before;
    return rec;
}

/* The work of a request that allocates nothing: READS lookups of random
   records of the heap, as a service reads its data.  Without it the loop
   would be all allocation, and no collector could leave the program half
   of any window. */
static size_t read_records(design_run *r)
{
    size_t n = hl_list_size(r->heap), seen = 0;
    for (int i = 0; n && i < READS; i++) {
        hl_object *rec = hl_list_get(r->heap, (size_t)(bench_random(&r->seed) % n));
        hl_object *d = hl_instance_get(rec, 0);
        seen += d && hl_dict_size(d) ? 1 : 0;
    }
    return seen;
}

/* A request: temporaries, and a cycle (always with `buffer`, else every
   8th) kept in flight for IN_FLIGHT requests. */
static bool serve(design_run *r, uint64_t step, const char *buffer)
{
    hl_runtime *rt = r->rt;
    r->reads += read_records(r);
    size_t before = live(r);
    hl_object *req = hl_dict_new(rt), *tmp = hl_list_new(rt, 0);
    bool ok = req && tmp;
    for (int i = 0; ok && i < 6; i++) {
        hl_object *items[2] = {req, req}; /* acyclic: req holds nothing here */
        hl_object *t = hl_tuple_pack(rt, 2, items);
        ok = t && hl_list_append(rt, tmp, t) == 0;
        hl_xdecref(rt, t);
    }
    hl_object *keep = NULL;
    if (ok && (buffer || step % 8 == 0)) {
        hl_object *a = hl_instance_new(rt, r->cls), *b = hl_instance_new(rt, r->cls);
        hl_object *buf = buffer ? hl_str_sized(rt, buffer, BUFFER) : NULL;
        ok = a && b && (buf || !buffer);
        if (ok) {
            hl_instance_set(rt, a, 0, b);
            hl_instance_set(rt, b, 0, a);
            if (buf)
                hl_instance_set(rt, a, 1, buf);
            hl_instance_set(rt, b, 2, req);
            keep = a;
            hl_incref(a);
        }
        hl_xdecref(rt, a);
        hl_xdecref(rt, b);
        hl_xdecref(rt, buf);
    }
    hl_xdecref(rt, tmp);
    hl_xdecref(rt, req);
    if (!ok) {
        hl_xdecref(rt, keep);
        return false;
    }
    /* What this request holds now; then the oldest in flight finishes. */
    size_t slot = step % IN_FLIGHT;
    size_t held = keep ? live(r) - before : 0;
    hl_object *done = r->flight[slot];
    r->expected -= r->flight_objects[slot];
    r->flight[slot] = keep;
    r->flight_objects[slot] = held;
    r->expected += held;
    hl_xdecref(rt, done);
    return true;
}

static bool replace_record(design_run *r, size_t i)
{
    size_t n;
    hl_object *rec = make_record(r, bench_random(&r->seed) % 16 == 0, &n);
    if (rec == NULL)
        return false;
    r->expected += n;
    size_t old = r->record_objects[i];
    hl_list_set(r->rt, r->heap, i, rec); /* the old record dies or turns garbage */
    hl_decref(r->rt, rec);
    r->expected -= old;
    r->record_objects[i] = n;
    return true;
}

static bool grow(design_run *r)
{
    size_t n;
    hl_object *rec = make_record(r, bench_random(&r->seed) % 16 == 0, &n);
    bool ok = rec && hl_list_append(r->rt, r->heap, rec) == 0;
    hl_xdecref(r->rt, rec);
    if (ok) {
        r->record_objects[hl_list_size(r->heap) - 1] = n;
        r->expected += n;
    }
    return ok;
}

static void sample(design_run *r)
{
    size_t now = live(r);
    size_t backlog = now > r->expected ? now - r->expected : 0;
    if (backlog > r->backlog_max)
        r->backlog_max = backlog;
}

typedef enum workload { STEADY, GROWING, REQUEST_CYCLES } workload;

static const char *const workload_names[] = {"steady_service", "growing_heap",
                                             "request_cycles"};

static void run_design(hl_bench_state *state, void *arg)
{
    const bench_case *c = arg;
    workload w = (workload)(intptr_t)c->data;
    size_t records = (size_t)c->param, requests = w == GROWING ? 2 * records : records;
    if (w == STEADY)
        requests = c->options->quick ? 100000 : 400000;
    if (w == REQUEST_CYCLES)
        records = 10000, requests = c->options->quick ? 50000 : 200000;
    design_run r = {.seed = 7};
    bool have = timeline_alloc(&r.wall) && timeline_alloc(&r.cpu);
    r.record_objects = calloc(records + 1, sizeof(size_t));
    char *buffer = w == REQUEST_CYCLES ? calloc(1, BUFFER) : NULL;
    r.rt = bench_runtime(state, c);
    if (r.rt == NULL || !have || !r.record_objects || (w == REQUEST_CYCLES && !buffer))
        goto out;
    hl_class_spec spec = {.name = "Record", .slots = 3};
    r.cls = hl_class_new(r.rt, &spec);
    r.heap = hl_list_new(r.rt, 0);
    bool ok = r.cls && r.heap && hl_root_add(r.rt, r.heap) == 0;
    for (size_t i = 0; ok && w != GROWING && i < records; i++)
        ok = grow(&r);
    hl_gc_collect(r.rt, 2);
    r.expected = live(&r);
    ok = ok && hl_gc_add_callback(r.rt, on_collection, &r) == 0;
    hl_gc_stats before, after;
    hl_gc_get_stats(r.rt, &before);
    double total = 0, total_cpu = 0;
    size_t per_request_bytes = 0;
    while (ok && hl_bench_keep_running(state)) {
        r.wall.count = r.cpu.count = 0;
        r.origin_ns = hl_now_ns();
        r.origin_cpu_ns = thread_cpu_ns();
        for (uint64_t step = 0; ok && step < requests; step++) {
            hl_alloc_stats a0, a1;
            if (step == 0 && buffer)
                hl_allocator_stats(hl_runtime_allocator(r.rt), &a0);
            ok = serve(&r, step, buffer);
            if (step == 0 && buffer) {
                hl_allocator_stats(hl_runtime_allocator(r.rt), &a1);
                per_request_bytes = a1.counts.live_bytes - a0.counts.live_bytes;
                r.request_objects = r.flight_objects[0];
            }
            if (ok && w == STEADY && step % 4 == 0)
                ok = replace_record(&r, (size_t)(bench_random(&r.seed) % records));
            if (ok && w == GROWING && step % 2 == 0)
                ok = grow(&r);
            sample(&r);
        }
        total = (double)(hl_now_ns() - r.origin_ns) / 1e6;
        total_cpu = (double)(thread_cpu_ns() - r.origin_cpu_ns) / 1e6;
    }
    hl_gc_get_stats(r.rt, &after);
    if (!ok || r.out_of_memory) {
        hl_bench_skip(state, "out of memory");
    } else {
        hl_bench_counter(state, "collections", (double)r.wall.count, HL_COUNTER_DEFAULT);
        report_clock(state, "", &r.wall, total);
        report_clock(state, "cpu_", &r.cpu, total_cpu);
        hl_bench_counter(state, "backlog_max_objects", (double)r.backlog_max,
                         HL_COUNTER_DEFAULT);
        if (buffer && r.request_objects)
            hl_bench_counter(state, "backlog_max_bytes",
                             (double)(r.backlog_max / r.request_objects * per_request_bytes),
                             HL_COUNTER_DEFAULT);
        hl_bench_counter(state, "records_seen", (double)r.reads, HL_COUNTER_DEFAULT);
        hl_bench_counter(state, "objects_visited",
                         (double)(after.objects_visited - before.objects_visited),
                         HL_COUNTER_DEFAULT);
    }
    hl_gc_remove_callback(r.rt, on_collection, &r);
    for (size_t i = 0; i < IN_FLIGHT; i++)
        hl_xdecref(r.rt, r.flight[i]);
    hl_xdecref(r.rt, r.heap);
    hl_xdecref(r.rt, r.cls);
out:
    if (r.rt)
        hl_runtime_destroy(r.rt, NULL);
    free(buffer);
    free(r.record_objects);
    timeline_free(&r.wall);
    timeline_free(&r.cpu);
}

void bench_register_design(const bench_options *o)
{
    static const char *const gcs[] = {"generational=3.13", "generational", "incremental",
                                      "incremental=eager", "incremental=eager,noaging",
                                      "incremental=markall"};
    for (int w = STEADY; w <= REQUEST_CYCLES; w++) {
        for (size_t g = 0; g < sizeof gcs / sizeof gcs[0]; g++) {
            bench_case *c = bench_case_new(o, "freelist_pool", gcs[g]);
            c->param = o->quick ? 50000 : 200000; /* records */
            c->data = (const void *)(intptr_t)w;
            char family[64];
            snprintf(family, sizeof family, "gc_design/%s", workload_names[w]);
            hl_bench *b = hl_bench_iterations(bench_register(family, run_design, c), 1);
            hl_bench_unit(b, HL_BENCH_MS);
        }
    }
}
