// bench/gbench.cc — the C API of bench/gbench.h over Google Benchmark 1.7.
//
// The handles are the library's own objects, cast: hl_bench_state * is a
// benchmark::State *, hl_bench * a benchmark::internal::Benchmark *.  No
// state is kept here beyond what the library keeps, so the JSON it writes is
// exactly what a C++ benchmark would have written.
#include "gbench.h"

#include <benchmark/benchmark.h>

namespace {

benchmark::State *state_of(hl_bench_state *s)
{
    return reinterpret_cast<benchmark::State *>(s);
}

const benchmark::State *state_of(const hl_bench_state *s)
{
    return reinterpret_cast<const benchmark::State *>(s);
}

benchmark::internal::Benchmark *bench_of(hl_bench *b)
{
    return reinterpret_cast<benchmark::internal::Benchmark *>(b);
}

hl_bench *handle_of(benchmark::internal::Benchmark *b)
{
    return reinterpret_cast<hl_bench *>(b);
}

benchmark::Counter::Flags counter_flags(unsigned flags)
{
    int out = benchmark::Counter::kDefaults;
    if (flags & HL_COUNTER_RATE)
        out |= benchmark::Counter::kIsRate;
    if (flags & HL_COUNTER_PER_ITERATION)
        out |= benchmark::Counter::kAvgIterations;
    if (flags & HL_COUNTER_INVERT)
        out |= benchmark::Counter::kInvert;
    return static_cast<benchmark::Counter::Flags>(out);
}

benchmark::TimeUnit time_unit(hl_bench_time_unit unit)
{
    switch (unit) {
    case HL_BENCH_US:
        return benchmark::kMicrosecond;
    case HL_BENCH_MS:
        return benchmark::kMillisecond;
    case HL_BENCH_S:
        return benchmark::kSecond;
    default:
        return benchmark::kNanosecond;
    }
}

} // namespace

extern "C" {

hl_bench *hl_bench_register(const char *name, hl_bench_fn fn, void *arg)
{
    return handle_of(benchmark::RegisterBenchmark(
        name, [fn, arg](benchmark::State &state) {
            fn(reinterpret_cast<hl_bench_state *>(&state), arg);
        }));
}

hl_bench *hl_bench_arg(hl_bench *b, int64_t value)
{
    return handle_of(bench_of(b)->Arg(value));
}

hl_bench *hl_bench_args(hl_bench *b, const int64_t *values, size_t count)
{
    return handle_of(bench_of(b)->Args(std::vector<int64_t>(values, values + count)));
}

hl_bench *hl_bench_range(hl_bench *b, int64_t start, int64_t limit)
{
    return handle_of(bench_of(b)->Range(start, limit));
}

hl_bench *hl_bench_range_multiplier(hl_bench *b, int multiplier)
{
    return handle_of(bench_of(b)->RangeMultiplier(multiplier));
}

hl_bench *hl_bench_arg_name(hl_bench *b, const char *name)
{
    return handle_of(bench_of(b)->ArgName(name));
}

hl_bench *hl_bench_iterations(hl_bench *b, int64_t iterations)
{
    return handle_of(bench_of(b)->Iterations(iterations));
}

hl_bench *hl_bench_repetitions(hl_bench *b, int repetitions)
{
    return handle_of(bench_of(b)->Repetitions(repetitions));
}

hl_bench *hl_bench_min_time(hl_bench *b, double seconds)
{
    return handle_of(bench_of(b)->MinTime(seconds));
}

hl_bench *hl_bench_manual_time(hl_bench *b)
{
    return handle_of(bench_of(b)->UseManualTime());
}

hl_bench *hl_bench_unit(hl_bench *b, hl_bench_time_unit unit)
{
    return handle_of(bench_of(b)->Unit(time_unit(unit)));
}

bool hl_bench_keep_running(hl_bench_state *state)
{
    return state_of(state)->KeepRunning();
}

bool hl_bench_keep_running_batch(hl_bench_state *state, int64_t n)
{
    return state_of(state)->KeepRunningBatch(n);
}

void hl_bench_pause(hl_bench_state *state)
{
    state_of(state)->PauseTiming();
}

void hl_bench_resume(hl_bench_state *state)
{
    state_of(state)->ResumeTiming();
}

int64_t hl_bench_range_arg(const hl_bench_state *state, size_t index)
{
    return state_of(state)->range(index);
}

int64_t hl_bench_iterations_done(const hl_bench_state *state)
{
    return state_of(state)->iterations();
}

void hl_bench_set_iteration_time(hl_bench_state *state, double seconds)
{
    state_of(state)->SetIterationTime(seconds);
}

void hl_bench_set_items_processed(hl_bench_state *state, int64_t items)
{
    state_of(state)->SetItemsProcessed(items);
}

void hl_bench_set_bytes_processed(hl_bench_state *state, int64_t bytes)
{
    state_of(state)->SetBytesProcessed(bytes);
}

void hl_bench_counter(hl_bench_state *state, const char *name, double value, unsigned flags)
{
    state_of(state)->counters[name] = benchmark::Counter(value, counter_flags(flags));
}

void hl_bench_set_label(hl_bench_state *state, const char *label)
{
    state_of(state)->SetLabel(label);
}

void hl_bench_skip(hl_bench_state *state, const char *why)
{
    state_of(state)->SkipWithError(why);
}

void hl_bench_add_context(const char *key, const char *value)
{
    benchmark::AddCustomContext(key, value);
}

int hl_bench_main(int argc, char **argv)
{
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

} // extern "C"
