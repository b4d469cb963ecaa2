/*
 * harness/list.c — `heaplab list`: what can be named on the command line,
 * and whether each allocator can run on this machine.
 */
#include "cli.h"
#include "collector_registry.h"
#include "registry.h"
#include "suite.h"

int hl_verb_list(int argc, char **argv)
{
    if (argc > 1)
        return hl_usage_error("list", "takes no arguments");
    printf("allocators (--alloc NAME, wrappers as WRAPPER:NAME):\n");
    for (size_t i = 0; i < hl_allocator_count(); i++) {
        const hl_allocator_ops *ops = hl_allocator_at(i);
        char why[200] = "";
        bool ok = ops->available == NULL || ops->available(why, sizeof why);
        printf("  %-14s %-8s %s\n", ops->name, ops->is_wrapper ? "wrapper" : "",
               ops->description);
        if (!ok)
            printf("  %-14s unavailable: %s\n", "", why);
    }
    printf("collectors (--gc NAME):\n");
    for (size_t i = 0; i < hl_collector_count(); i++) {
        const hl_collector_ops *ops = hl_collector_at(i);
        printf("  %-14s %s\n", ops->name, ops->description);
    }
    printf("suites (--suite NAME):\n");
    for (size_t i = 0; i < hl_suite_count(); i++) {
        const hl_suite *s = hl_suite_at(i);
        printf("  %-14s %zu cases, %s\n", s->name, s->count, s->description);
    }
    return HL_EXIT_OK;
}
