/*
 * suites/suites.c — the one table of conformance suites.
 * Adding a suite is its .c file plus one line here.
 */
#include "suite.h"

#include <string.h>

static const hl_suite *const table[] = {
    &hl_suite_alloc_contract,
    &hl_suite_debug_detect,
    &hl_suite_refcount,
    &hl_suite_cycles,
    &hl_suite_collector_layer,
    &hl_suite_test_gc,
    &hl_suite_test_gc_module,
    &hl_suite_test_gc_finalization,
    &hl_suite_test_gc_uncollectable,
    &hl_suite_test_gc_callbacks,
    &hl_suite_test_gc_weakref,
    &hl_suite_test_gc_weakref_cycles,
    &hl_suite_fuzz,
};

size_t hl_suite_count(void)
{
    return sizeof table / sizeof table[0];
}

const hl_suite *hl_suite_at(size_t i)
{
    return i < hl_suite_count() ? table[i] : NULL;
}

const hl_suite *hl_suite_find(const char *name)
{
    for (size_t i = 0; i < hl_suite_count(); i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}
