/*
 * bench/gbench.h — Google Benchmark (Debian's libbenchmark 1.7) from C.
 *
 * heaplab's benchmarks are C; Google Benchmark is C++.  bench/gbench.cc is
 * the only C++ in the tree: it wraps benchmark::State and
 * benchmark::internal::Benchmark behind the opaque handles below, so a
 * benchmark reads like its C++ counterpart:
 *
 *     static void lifo(hl_bench_state *state, void *arg)
 *     {
 *         int64_t n = hl_bench_range_arg(state, 0);
 *         while (hl_bench_keep_running(state))
 *             ...one burst of n allocations and n frees...
 *         hl_bench_set_items_processed(state, 2 * n * hl_bench_iterations_done(state));
 *     }
 *     ...
 *     hl_bench_arg(hl_bench_register("alloc_lifo/malloc", lifo, NULL), 10000);
 *
 * Output, console or JSON (--benchmark_out=FILE --benchmark_out_format=json),
 * is Google Benchmark's own and unchanged, so its tools/compare.py and
 * `heaplab compare` read it.
 *
 * The loop costs one call into the library per iteration (the C++ loop is
 * inlined, this one cannot be), a few nanoseconds: every benchmark here does
 * a batch of operations per iteration, so that cost is spread over the batch.
 */
#ifndef HEAPLAB_GBENCH_H
#define HEAPLAB_GBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hl_bench_state hl_bench_state; /* a benchmark::State */
typedef struct hl_bench hl_bench;             /* a registered benchmark */
typedef void (*hl_bench_fn)(hl_bench_state *state, void *arg);

typedef enum hl_bench_time_unit {
    HL_BENCH_NS,
    HL_BENCH_US,
    HL_BENCH_MS,
    HL_BENCH_S,
} hl_bench_time_unit;

/* benchmark::Counter::Flags, by meaning (gbench.cc maps them). */
enum {
    HL_COUNTER_DEFAULT = 0,       /* the value as given */
    HL_COUNTER_RATE = 1u << 0,    /* divided by the run's time */
    HL_COUNTER_PER_ITERATION = 1u << 1, /* divided by the iteration count */
    HL_COUNTER_INVERT = 1u << 2,  /* 1 / value, applied last */
};

/* ---- registration: returns the benchmark, for chaining -------------------- */

/* name is copied; arg is passed to every call of fn and must outlive the run. */
hl_bench *hl_bench_register(const char *name, hl_bench_fn fn, void *arg);
hl_bench *hl_bench_arg(hl_bench *b, int64_t value);
/* One run with several arguments, read with hl_bench_range_arg(state, i). */
hl_bench *hl_bench_args(hl_bench *b, const int64_t *values, size_t count);
/* Runs at start, start*m, start*m^2, ... up to limit (m = 8 unless set). */
hl_bench *hl_bench_range(hl_bench *b, int64_t start, int64_t limit);
hl_bench *hl_bench_range_multiplier(hl_bench *b, int multiplier);
/* Names the first argument in the benchmark's name ("live:1000"). */
hl_bench *hl_bench_arg_name(hl_bench *b, const char *name);
/* A fixed iteration count instead of Google Benchmark's own estimate. */
hl_bench *hl_bench_iterations(hl_bench *b, int64_t iterations);
hl_bench *hl_bench_repetitions(hl_bench *b, int repetitions);
hl_bench *hl_bench_min_time(hl_bench *b, double seconds);
/* The benchmark reports its own time per iteration (hl_bench_set_iteration_time). */
hl_bench *hl_bench_manual_time(hl_bench *b);
hl_bench *hl_bench_unit(hl_bench *b, hl_bench_time_unit unit);

/* ---- inside a benchmark ---------------------------------------------------- */

/* The loop: true while another iteration is wanted (timing runs meanwhile). */
bool hl_bench_keep_running(hl_bench_state *state);
/* As above, n iterations at a time; the count may overshoot by up to n. */
bool hl_bench_keep_running_batch(hl_bench_state *state, int64_t n);
/* Stop and restart the clock around work that must not be measured. */
void hl_bench_pause(hl_bench_state *state);
void hl_bench_resume(hl_bench_state *state);
int64_t hl_bench_range_arg(const hl_bench_state *state, size_t index);
int64_t hl_bench_iterations_done(const hl_bench_state *state);
/* With hl_bench_manual_time: the seconds this iteration took. */
void hl_bench_set_iteration_time(hl_bench_state *state, double seconds);
void hl_bench_set_items_processed(hl_bench_state *state, int64_t items);
void hl_bench_set_bytes_processed(hl_bench_state *state, int64_t bytes);
/* A user counter, written to JSON under its name; flags: HL_COUNTER_*. */
void hl_bench_counter(hl_bench_state *state, const char *name, double value,
                      unsigned flags);
void hl_bench_set_label(hl_bench_state *state, const char *label);
/* Marks the run as failed with a reason; the caller then returns without
   finishing the loop (Google Benchmark reports the reason, no timings). */
void hl_bench_skip(hl_bench_state *state, const char *why);

/* ---- the run ---------------------------------------------------------------- */

/* A key and value added to the JSON "context" (machine, versions). */
void hl_bench_add_context(const char *key, const char *value);
/* Parses Google Benchmark's --benchmark_* options, runs the registered
   benchmarks that match, and returns the process's exit status (1 when an
   option was not understood). */
int hl_bench_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif /* HEAPLAB_GBENCH_H */
