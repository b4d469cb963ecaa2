/*
 * harness/run.c — `heaplab run`: one workload (workloads/) on one stack
 * under automatic collection, measured, as one JSON line.
 *
 *   total_ms            the program, start to end (collections included;
 *                       making and destroying the stack excluded)
 *   gc_ms, collections  time stopped for collection, and how many stops
 *   pause_p50/p99/max   nearest-rank percentiles of the stops
 *   mmu_1/10/100ms      minimum mutator utilization, exact (metrics.c)
 *   backlog_max_*       the most unreachable-but-unfreed objects and bytes
 *                       at any instant (the ledger, workload.h)
 *   peak_mapped_bytes   the allocator's high-water mark (null: it cannot tell)
 *   peak_rss_kib        the process's resident high-water mark
 *   objects_scanned     the collector's objects_visited over the program
 *
 * then the same pause figures on the program's own CPU clock (total_cpu_ms,
 * gc_cpu_ms, pause_p50/p99/max_cpu_ms, mmu_1/10/100ms_cpu: time on
 * CLOCK_THREAD_CPUTIME_ID, so a pause does not grow while the machine runs
 * something else; on an idle machine they match the wall-clock ones), and
 * then what the checks use: backlog_end_* after one more full collection
 * (0 on a tracing collector; everything dropped on `none`), leaked_objects
 * (containers the teardown had to reclaim) and live_bytes_after (0, or the
 * exit status is 1).
 *
 * Stops are timed through gc.callbacks; two collections with no allocator
 * call between them are one stop.  --timeline FILE writes CSV rows of three
 * kinds: `s,t_ms,live_bytes,backlog_objects,backlog_bytes,rss_kib` samples
 * (about every 2 ms, taken from the workload's ticks and after
 * collections), `p,start_ms,end_ms` for each stop, and `m,window_ms,mmu`
 * for the MMU curve from 1 ms to 1 s.
 *
 * `heaplab run --list` names the workloads, what --size counts and its
 * default.  `heaplab run --pauses FILE` computes the same pause figures from a file
 * instead: a first line `heaplab-pauses 1 total_ms=T`, then one
 * `START_MS END_MS` line per pause (sorted, not overlapping, inside
 * [0, T]); a way to put CPython's own gc.callbacks timings through the same
 * arithmetic, and the metrics' test.
 */
#include "cli.h"
#include "parse.h"
#include "workload.h"

#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SAMPLE_EVERY_NS 2000000ull /* timeline resolution */

/* One run's measuring state.  Invariant: pauses[0..count) are sorted, do
   not overlap, and lie inside [0, now] in ms since origin_ns; the last one
   ended when the allocator had made calls_at_stop calls. */
typedef struct runner {
    hl_runtime *rt;
    hl_ledger ledger;
    hl_workload_run run;
    unsigned long long origin_ns;  /* the program's start */
    unsigned long long started_ns; /* of the collection running now */
    unsigned long long cpu_origin_ns;  /* the same on the thread's CPU clock */
    unsigned long long cpu_started_ns;
    hl_pause *cpu_pauses; /* pauses[i] on the CPU clock; same count */
    uint64_t calls_at_stop;        /* allocator calls when the last one stopped */
    hl_pause *pauses;              /* libc memory, never the stack's */
    size_t count, capacity;
    uint64_t gc_runs; /* collections, before merging into stops */
    bool merge;       /* the running collection continues the last stop */
    bool failed;      /* out of memory for the pause list */
    FILE *timeline;   /* NULL without --timeline */
    int statm;        /* /proc/self/statm, for the timeline's rss */
    unsigned long long last_sample_ns;
    unsigned ticks;
} runner;

static double ms_since(const runner *r, unsigned long long ns)
{
    return (double)(ns - r->origin_ns) / 1e6;
}

static unsigned long long cpu_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static double cpu_ms_since(const runner *r, unsigned long long ns)
{
    return (double)(ns - r->cpu_origin_ns) / 1e6;
}

static uint64_t allocator_calls(hl_runtime *rt)
{
    const hl_alloc_counts *c = &hl_runtime_allocator(rt)->counts;
    return c->mallocs + c->callocs + c->reallocs + c->frees;
}

static long rss_kib(int statm)
{
    char text[128];
    ssize_t n = statm >= 0 ? pread(statm, text, sizeof text - 1, 0) : -1;
    if (n <= 0)
        return -1;
    text[n] = '\0';
    unsigned long size, resident;
    if (sscanf(text, "%lu %lu", &size, &resident) != 2)
        return -1;
    return (long)(resident * (unsigned long)sysconf(_SC_PAGESIZE) / 1024);
}

static void sample(runner *r, unsigned long long now)
{
    r->last_sample_ns = now;
    fprintf(r->timeline, "s,%.4f,%zu,%zu,%zu,%ld\n", ms_since(r, now),
            hl_runtime_allocator(r->rt)->counts.live_bytes, r->ledger.backlog_objects,
            r->ledger.backlog_bytes, rss_kib(r->statm));
}

static void tick(hl_workload_run *run)
{
    runner *r = run->runner;
    if (++r->ticks % 16 != 0)
        return;
    unsigned long long now = hl_now_ns();
    if (now - r->last_sample_ns >= SAMPLE_EVERY_NS)
        sample(r, now);
}

static void on_collection(hl_runtime *rt, const char *phase, int generation, size_t collected,
                          size_t uncollectable, void *user)
{
    runner *r = user;
    unsigned long long now = hl_now_ns();
    unsigned long long cpu = cpu_now_ns();
    if (strcmp(phase, "start") == 0) {
        r->started_ns = now;
        r->cpu_started_ns = cpu;
        r->merge = r->count > 0 && allocator_calls(rt) == r->calls_at_stop;
        return;
    }
    r->gc_runs++;
    r->calls_at_stop = allocator_calls(rt);
    if (r->merge) {
        r->pauses[r->count - 1].end_ms = ms_since(r, now);
        r->cpu_pauses[r->count - 1].end_ms = cpu_ms_since(r, cpu);
    } else {
        if (r->count == r->capacity) {
            size_t capacity = r->capacity ? 2 * r->capacity : 4096;
            hl_pause *p = realloc(r->pauses, capacity * sizeof *p);
            if (p != NULL)
                r->pauses = p;
            hl_pause *c = p ? realloc(r->cpu_pauses, capacity * sizeof *c) : NULL;
            if (c == NULL) {
                r->failed = true;
                return;
            }
            r->cpu_pauses = c;
            r->capacity = capacity;
        }
        r->cpu_pauses[r->count] =
            (hl_pause){cpu_ms_since(r, r->cpu_started_ns), cpu_ms_since(r, cpu)};
        r->pauses[r->count++] = (hl_pause){ms_since(r, r->started_ns), ms_since(r, now)};
    }
    if (r->timeline && now - r->last_sample_ns >= SAMPLE_EVERY_NS)
        sample(r, now);
}

/* ---- output -------------------------------------------------------------------- */

/* The pause fields, names suffixed with `suffix` ("" or "_cpu"); the
   collections count only without a suffix. */
static void print_pause_fields(const hl_pause *pauses, size_t n, double total_ms,
                               const hl_pause_summary *s, const char *suffix)
{
    printf("\"total%s_ms\": %.3f, \"gc%s_ms\": %.3f, ", suffix, total_ms, suffix, s->total_ms);
    if (suffix[0] == '\0')
        printf("\"collections\": %zu, ", s->count);
    printf("\"pause_p50%s_ms\": %.4f, \"pause_p99%s_ms\": %.4f, \"pause_max%s_ms\": %.4f, "
           "\"mmu_1ms%s\": %.4f, \"mmu_10ms%s\": %.4f, \"mmu_100ms%s\": %.4f",
           suffix, s->p50_ms, suffix, s->p99_ms, suffix, s->max_ms, suffix,
           hl_mmu(pauses, n, total_ms, 1), suffix, hl_mmu(pauses, n, total_ms, 10), suffix,
           hl_mmu(pauses, n, total_ms, 100));
}

static void write_timeline_tail(runner *r, double total_ms)
{
    for (size_t i = 0; i < r->count; i++)
        fprintf(r->timeline, "p,%.4f,%.4f\n", r->pauses[i].start_ms, r->pauses[i].end_ms);
    /* 1 ms to 1 s, evenly on a log scale. */
    for (int i = 0; i <= 60; i++) {
        double w = pow(10.0, i / 20.0);
        fprintf(r->timeline, "m,%.4f,%.5f\n", w, hl_mmu(r->pauses, r->count, total_ms, w));
    }
}

/* ---- one run --------------------------------------------------------------------- */

typedef struct run_options {
    const hl_workload *workload;
    const char *alloc, *gc, *timeline;
    uint64_t size, seed;
} run_options;

static int run_workload(const run_options *o)
{
    char err[300];
    runner r = {.statm = -1};
    FILE *timeline = NULL;
    if (o->timeline && (timeline = fopen(o->timeline, "w")) == NULL) {
        fprintf(stderr, "heaplab run: %s: cannot write\n", o->timeline);
        return HL_EXIT_USAGE;
    }
    r.rt = hl_runtime_create(o->alloc, o->gc, err, sizeof err);
    if (r.rt == NULL) {
        if (timeline)
            fclose(timeline);
        return hl_usage_error("run", "%s", err);
    }
    hl_runtime *rt = r.rt;
    hl_ledger_init(&r.ledger, rt);
    r.run = (hl_workload_run){.rt = rt, .ledger = &r.ledger, .size = o->size, .seed = o->seed,
                              .runner = &r};
    if (timeline) {
        r.timeline = timeline;
        r.run.tick = tick;
        r.statm = open("/proc/self/statm", O_RDONLY);
        fprintf(timeline, "# heaplab run %s --alloc %s --gc %s --size %" PRIu64 "\n",
                o->workload->name, o->alloc, o->gc, o->size);
    }
    bool ok = hl_gc_add_callback(rt, on_collection, &r) == 0;
    hl_gc_stats before, after;
    hl_gc_get_stats(rt, &before);
    r.cpu_origin_ns = cpu_now_ns();
    r.origin_ns = hl_now_ns();
    r.calls_at_stop = allocator_calls(rt);
    if (timeline)
        sample(&r, r.origin_ns);
    ok = ok && o->workload->run(&r.run) == 0;
    unsigned long long end_ns = hl_now_ns(), cpu_end_ns = cpu_now_ns();
    if (timeline)
        sample(&r, end_ns);
    double total_ms = ms_since(&r, end_ns), total_cpu_ms = cpu_ms_since(&r, cpu_end_ns);
    hl_gc_get_stats(rt, &after);
    hl_gc_remove_callback(rt, on_collection, &r);
    long peak_rss = hl_peak_rss_kib();
    hl_alloc_stats astats;
    hl_allocator_stats(hl_runtime_allocator(rt), &astats);

    /* What a full collection leaves: nothing on a tracing collector. */
    hl_gc_collect(rt, 2);
    size_t end_objects = r.ledger.backlog_objects, end_bytes = r.ledger.backlog_bytes;
    uint64_t oom = hl_runtime_out_of_memory(rt);
    hl_runtime_report report;
    hl_runtime_destroy(rt, &report);

    hl_pause_summary s, cpu;
    ok = ok && !r.failed && !r.ledger.failed && hl_pause_summarize(r.pauses, r.count, &s) &&
         hl_pause_summarize(r.cpu_pauses, r.count, &cpu);
    char why[200] = "";
    if (!hl_ledger_validate(&r.ledger, why, sizeof why)) {
        fprintf(stderr, "heaplab run: the backlog ledger is inconsistent: %s\n", why);
        ok = false;
    }
    if (ok && (!hl_pauses_validate(r.pauses, r.count, total_ms, why, sizeof why) ||
               !hl_pauses_validate(r.cpu_pauses, r.count, total_cpu_ms, why, sizeof why))) {
        fprintf(stderr, "heaplab run: the pause record is inconsistent: %s\n", why);
        ok = false;
    }
    int status = HL_EXIT_OK;
    if (!ok) {
        fprintf(stderr, "heaplab run %s [%s %s]: %s\n", o->workload->name, o->alloc, o->gc,
                oom ? "out of memory" : "the program's own check failed");
        status = HL_EXIT_FAILED;
    } else {
        printf("{\"workload\": ");
        hl_json_string(stdout, o->workload->name);
        printf(", \"allocator\": ");
        hl_json_string(stdout, o->alloc);
        printf(", \"collector\": ");
        hl_json_string(stdout, o->gc);
        printf(", \"size\": %" PRIu64 ", \"seed\": %" PRIu64 ", ", o->size, o->seed);
        print_pause_fields(r.pauses, r.count, total_ms, &s, "");
        printf(", \"backlog_max_objects\": %zu, \"backlog_max_bytes\": %zu, ",
               r.ledger.max_objects, r.ledger.max_bytes);
        if (astats.impl.mapped_known)
            printf("\"peak_mapped_bytes\": %zu, ", astats.impl.peak_mapped_bytes);
        else
            printf("\"peak_mapped_bytes\": null, ");
        printf("\"peak_rss_kib\": %ld, \"objects_scanned\": %" PRIu64 ", "
               "\"gc_runs\": %" PRIu64 ", \"dropped_objects\": %" PRIu64 ", "
               "\"dropped_bytes\": %" PRIu64 ", \"backlog_end_objects\": %zu, "
               "\"backlog_end_bytes\": %zu, \"leaked_objects\": %zu, "
               "\"live_bytes_after\": %zu, ",
               peak_rss, after.objects_visited - before.objects_visited, r.gc_runs,
               r.ledger.dropped_objects, r.ledger.dropped_bytes, end_objects, end_bytes,
               report.leaked_objects, report.live_bytes);
        print_pause_fields(r.cpu_pauses, r.count, total_cpu_ms, &cpu, "_cpu");
        printf("}\n");
        fflush(stdout);
    }
    if (report.live_bytes || report.live_objects || r.ledger.backlog_objects ||
        r.ledger.backlog_bytes || r.ledger.live_objects) {
        fprintf(stderr,
                "heaplab run %s [%s %s]: left after teardown: %zu bytes, %zu objects, "
                "backlog %zu objects / %zu bytes, %zu ledger objects\n",
                o->workload->name, o->alloc, o->gc, report.live_bytes, report.live_objects,
                r.ledger.backlog_objects, r.ledger.backlog_bytes, r.ledger.live_objects);
        status = HL_EXIT_FAILED;
    }
    if (timeline) {
        if (ok)
            write_timeline_tail(&r, total_ms);
        if (fclose(timeline) != 0 && status == HL_EXIT_OK) {
            fprintf(stderr, "heaplab run: %s: write failed\n", o->timeline);
            status = HL_EXIT_FAILED;
        }
    }
    if (r.statm >= 0)
        close(r.statm);
    hl_ledger_release(&r.ledger);
    free(r.pauses);
    free(r.cpu_pauses);
    return status;
}

/* ---- --pauses FILE ------------------------------------------------------------------ */

static int pauses_malformed(hl_line_reader *in, const char *path, size_t line, const char *what,
                            hl_pause *pauses)
{
    fprintf(stderr, "%s:%zu: %s\n", path, line, what);
    hl_line_reader_close(in);
    free(pauses);
    return HL_EXIT_USAGE;
}

/* Two fields separated by one space, each a real in parse.h's form. */
static bool parse_two(char *text, double *a, double *b)
{
    char *space = strchr(text, ' ');
    if (space == NULL)
        return false;
    *space = '\0';
    return hl_parse_real(text, 1e12, a) && hl_parse_real(space + 1, 1e12, b);
}

static int run_pause_file(const char *path)
{
    char err[300];
    hl_line_reader *in = hl_line_reader_open(path, err, sizeof err);
    if (in == NULL) {
        fprintf(stderr, "%s\n", err);
        return HL_EXIT_USAGE;
    }
    hl_pause *pauses = NULL;
    size_t n = 0, capacity = 0, line_number = 0, last = 0;
    double total = -1;
    char *line;
    while ((line = hl_line_reader_next(in, &line_number)) != NULL) {
        last = line_number;
        if (total < 0) {
            const char *magic = "heaplab-pauses 1 total_ms=";
            if (strncmp(line, magic, strlen(magic)) != 0 ||
                !hl_parse_real(line + strlen(magic), 1e12, &total))
                return pauses_malformed(in, path, line_number,
                                        "expected 'heaplab-pauses 1 total_ms=T'", pauses);
            continue;
        }
        if (line[0] == '#' || line[0] == '\0')
            continue;
        hl_pause p;
        if (!parse_two(line, &p.start_ms, &p.end_ms))
            return pauses_malformed(in, path, line_number, "expected 'START_MS END_MS'",
                                    pauses);
        char why[200];
        if (n == capacity) {
            capacity = capacity ? 2 * capacity : 256;
            hl_pause *grown = realloc(pauses, capacity * sizeof *grown);
            if (grown == NULL)
                return pauses_malformed(in, path, line_number, "out of memory", pauses);
            pauses = grown;
        }
        pauses[n++] = p;
        if (!hl_pauses_validate(pauses, n, total, why, sizeof why))
            return pauses_malformed(in, path, line_number, why, pauses);
    }
    if (hl_line_reader_error(in))
        return pauses_malformed(in, path, line_number, hl_line_reader_error(in), pauses);
    if (total < 0)
        return pauses_malformed(in, path, 1, "empty file", pauses);
    if (!hl_line_reader_last_line_complete(in))
        return pauses_malformed(in, path, last, "truncated: no newline at the end",
                                pauses);
    hl_line_reader_close(in);
    hl_pause_summary s;
    if (!hl_pause_summarize(pauses, n, &s)) {
        free(pauses);
        fprintf(stderr, "heaplab run: out of memory\n");
        return HL_EXIT_FAILED;
    }
    printf("{\"file\": ");
    hl_json_string(stdout, path);
    printf(", ");
    print_pause_fields(pauses, n, total, &s, "");
    printf("}\n");
    free(pauses);
    return HL_EXIT_OK;
}

/* ---- the verb ------------------------------------------------------------------------- */

int hl_verb_run(int argc, char **argv)
{
    run_options o = {.alloc = "freelist_pool", .gc = "generational", .seed = 1};
    const char *size = NULL, *seed = NULL, *pauses = NULL, *name = NULL;
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < hl_workload_count(); i++) {
            const hl_workload *w = hl_workload_at(i);
            printf("%-16s %s; --size: %s, default %" PRIu64 "\n", w->name, w->description,
                   w->size_means, w->default_size);
        }
        return HL_EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        bool bad = false;
        if (hl_option_value(argc, argv, &i, "--alloc", &o.alloc, &bad) ||
            hl_option_value(argc, argv, &i, "--gc", &o.gc, &bad) ||
            hl_option_value(argc, argv, &i, "--size", &size, &bad) ||
            hl_option_value(argc, argv, &i, "--seed", &seed, &bad) ||
            hl_option_value(argc, argv, &i, "--timeline", &o.timeline, &bad) ||
            hl_option_value(argc, argv, &i, "--pauses", &pauses, &bad)) {
            if (bad)
                return hl_usage_error("run", "%s needs a value", argv[i]);
        } else if (argv[i][0] == '-') {
            return hl_usage_error("run", "unknown option '%s'", argv[i]);
        } else if (name) {
            return hl_usage_error("run", "one workload at a time ('%s' and '%s')", name,
                                  argv[i]);
        } else {
            name = argv[i];
        }
    }
    if (pauses) {
        if (name || size || seed || o.timeline)
            return hl_usage_error("run", "--pauses FILE takes no workload or other option");
        return run_pause_file(pauses);
    }
    if (name == NULL || (o.workload = hl_workload_find(name)) == NULL) {
        char known[400] = "";
        for (size_t i = 0; i < hl_workload_count(); i++)
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
                     i ? ", " : "", hl_workload_at(i)->name);
        if (name == NULL)
            return hl_usage_error("run", "no workload given (one of: %s)", known);
        return hl_usage_error("run", "unknown workload '%s' (one of: %s)", name, known);
    }
    o.size = o.workload->default_size;
    if (size && !hl_parse_u64(size, 1, o.workload->max_size, &o.size))
        return hl_usage_error("run", "--size for %s is a count from 1 to %" PRIu64 " (%s), "
                                     "not '%s'",
                              name, o.workload->max_size, o.workload->size_means, size);
    if (seed && !hl_parse_u64(seed, 0, UINT64_MAX, &o.seed))
        return hl_usage_error("run", "--seed is a count from 0, not '%s'", seed);
    if (o.timeline && o.timeline[0] == '\0')
        return hl_usage_error("run", "--timeline needs a file name");
    return run_workload(&o);
}
