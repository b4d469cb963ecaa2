/*
 * harness/list.c — `heaplab list`: what can be named on the command line,
 * and whether each allocator can run on this machine.
 */
#include "cli.h"
#include "collector_registry.h"
#include "registry.h"
#include "suite.h"

#include <string.h>

/* --names: one "KIND NAME STATE" line per name, for scripts.  KIND is
   allocator, wrapper, collector or suite; STATE is "available" or
   "unavailable" (an allocator whose shared library is missing). */
static int list_names(void)
{
    for (size_t i = 0; i < hl_allocator_count(); i++) {
        const hl_allocator_ops *ops = hl_allocator_at(i);
        char why[200] = "";
        bool ok = ops->available == NULL || ops->available(why, sizeof why);
        printf("%s %s %s\n", ops->is_wrapper ? "wrapper" : "allocator", ops->name,
               ok ? "available" : "unavailable");
    }
    for (size_t i = 0; i < hl_collector_count(); i++)
        printf("collector %s available\n", hl_collector_at(i)->name);
    for (size_t i = 0; i < hl_suite_count(); i++)
        printf("suite %s available\n", hl_suite_at(i)->name);
    return HL_EXIT_OK;
}

int hl_verb_list(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--names") == 0)
        return list_names();
    if (argc > 1)
        return argv[1][0] == '-' ? hl_usage_error("list", "unknown option '%s'", argv[1])
                                 : hl_usage_error("list", "takes no arguments but --names");
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
