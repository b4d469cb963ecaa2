/*
 * bench/main.c — build/heaplab-bench: heaplab's benchmarks under Google
 * Benchmark.  Every --benchmark_* option is Google Benchmark's own
 * (--benchmark_filter, --benchmark_out=FILE, --benchmark_out_format=json,
 * --benchmark_repetitions, --benchmark_context=k=v, ...); this program adds:
 *
 *   --heaplab_quick         small sizes and short runs (make bench QUICK=1)
 *   --heaplab_out_dir=DIR   where gc_pauses writes its timelines
 *   --heaplab_ci_list       list the callgrind workloads (bench/ci.c)
 *   --heaplab_ci=NAME       run one of them instead of the benchmarks
 *
 * Benchmark names are FAMILY/ALLOCATOR[/COLLECTOR][/ARG]; bench/report.py
 * groups them by family into one table each.  Run from the top of the tree:
 * the trace and heap suites read suites/data.
 */
#include "bench.h"
#include "cli.h"

#include <stdio.h>
#include <string.h>

/* The verb table lives in harness/main.c, which this binary leaves out;
   cli.c's usage messages ask it for a verb's usage. */
const char *hl_verb_usage(const char *name)
{
    return "";
}

/* Takes heaplab's own options out of argv (Google Benchmark rejects what
   it does not know); false on a malformed one. */
static bool take_options(int *argc, char **argv, bench_options *o, const char **ci,
                         bool *ci_list)
{
    int kept = 1;
    for (int i = 1; i < *argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--heaplab_quick") == 0)
            o->quick = true;
        else if (strncmp(arg, "--heaplab_out_dir=", 18) == 0)
            o->out_dir = arg + 18;
        else if (strcmp(arg, "--heaplab_ci_list") == 0)
            *ci_list = true;
        else if (strncmp(arg, "--heaplab_ci=", 13) == 0)
            *ci = arg + 13;
        else if (strncmp(arg, "--heaplab", 9) == 0) {
            fprintf(stderr, "heaplab-bench: unknown option '%s'\n", arg);
            return false;
        } else
            argv[kept++] = argv[i];
    }
    *argc = kept;
    argv[kept] = NULL;
    return true;
}

int main(int argc, char **argv)
{
    bench_options options = {0};
    const char *ci = NULL;
    bool ci_list = false;
    if (!take_options(&argc, argv, &options, &ci, &ci_list))
        return 2;
    if (ci_list || ci)
        return bench_ci_main(ci);

    char perf[200];
    bool counters = bench_perf_status(perf, sizeof perf);
    char text[240];
    snprintf(text, sizeof text, "%s: %s", counters ? "yes" : "not supported", perf);
    hl_bench_add_context("heaplab_quick", options.quick ? "yes" : "no");
    hl_bench_add_context("heaplab_perf_counters", text);
    bench_register_alloc(&options);
    bench_register_traces(&options);
    bench_register_collect(&options);
    bench_register_btree(&options);
    bench_register_heaps(&options);
    bench_register_pauses(&options);
    bench_register_design(&options);
    bench_register_reference(&options);
    bench_register_scale(&options);
    int status = hl_bench_main(argc, argv);
    bench_traces_free();
    bench_heaps_free();
    bench_cases_free();
    return status;
}
