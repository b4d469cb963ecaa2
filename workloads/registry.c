/*
 * workloads/registry.c — the table of workloads `heaplab run` knows, in
 * the order reports list them.
 */
#include "workload.h"

#include <string.h>

static const hl_workload *(*const workloads[])(void) = {
    hl_workload_request_cycles, hl_workload_growing_heap, hl_workload_gc_collect_loop,
    hl_workload_binary_trees,   hl_workload_gcbench,      hl_workload_steady_service,
};

size_t hl_workload_count(void)
{
    return sizeof workloads / sizeof workloads[0];
}

const hl_workload *hl_workload_at(size_t i)
{
    return i < hl_workload_count() ? workloads[i]() : NULL;
}

const hl_workload *hl_workload_find(const char *name)
{
    for (size_t i = 0; i < hl_workload_count(); i++)
        if (strcmp(workloads[i]()->name, name) == 0)
            return workloads[i]();
    return NULL;
}
