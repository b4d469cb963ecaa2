/*
 * bench/perf.c — hardware counters around a benchmark's loop, where the
 * machine has them: cycles, instructions, cache misses and data-TLB read
 * misses, counted in user space for this thread through perf_event_open(2),
 * reported per operation as the user counters cycles_per_op,
 * instructions_per_op, cache_misses_per_op and dtlb_misses_per_op.
 *
 * Google Benchmark can count through libpfm (--benchmark_perf_counters),
 * but Debian's libbenchmark is built without it, hence these few lines.
 * Virtual machines often expose no counters at all (perf stat prints
 * "<not supported>"); then perf_event_open fails, nothing is reported, and
 * bench_perf_status says why, for the report.
 */
#include "bench.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
    const char *counter; /* user counter name */
    uint32_t type;
    uint64_t config;
} events[BENCH_PERF_EVENTS] = {
    {"cycles_per_op", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    {"instructions_per_op", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
    {"cache_misses_per_op", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES},
    {"dtlb_misses_per_op", PERF_TYPE_HW_CACHE,
     PERF_COUNT_HW_CACHE_DTLB | (PERF_COUNT_HW_CACHE_OP_READ << 8) |
         (PERF_COUNT_HW_CACHE_RESULT_MISS << 16)},
};

static int open_event(size_t i, int group)
{
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = events[i].type;
    attr.config = events[i].config;
    attr.disabled = group < 0; /* the leader starts the whole group */
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    return (int)syscall(SYS_perf_event_open, &attr, 0, -1, group, 0);
}

bool bench_perf_status(char *why, size_t why_size)
{
    int fd = open_event(1, -1);
    if (fd < 0) {
        snprintf(why, why_size, "perf_event_open: %s", strerror(errno));
        return false;
    }
    close(fd);
    snprintf(why, why_size, "cycles, instructions, cache misses, dTLB read misses");
    return true;
}

void bench_perf_begin(bench_perf *p)
{
    memset(p->fd, -1, sizeof p->fd);
    p->leader = -1;
    for (size_t i = 0; i < BENCH_PERF_EVENTS; i++) {
        p->fd[i] = open_event(i, p->leader);
        if (p->fd[i] < 0) { /* all or nothing: partial groups mislead */
            bench_perf_discard(p);
            return;
        }
        if (p->leader < 0)
            p->leader = p->fd[i];
    }
    ioctl(p->leader, PERF_EVENT_IOC_RESET, PERF_IOC_FLAG_GROUP);
    ioctl(p->leader, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP);
}

void bench_perf_discard(bench_perf *p)
{
    for (size_t i = 0; i < BENCH_PERF_EVENTS; i++)
        if (p->fd[i] >= 0)
            close(p->fd[i]);
    memset(p->fd, -1, sizeof p->fd);
    p->leader = -1;
}

void bench_perf_end(bench_perf *p, hl_bench_state *state, double ops)
{
    if (p->leader < 0)
        return;
    ioctl(p->leader, PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP);
    for (size_t i = 0; i < BENCH_PERF_EVENTS && ops > 0; i++) {
        uint64_t count = 0;
        if (read(p->fd[i], &count, sizeof count) == (ssize_t)sizeof count)
            hl_bench_counter(state, events[i].counter, (double)count / ops, HL_COUNTER_DEFAULT);
    }
    bench_perf_discard(p);
}
