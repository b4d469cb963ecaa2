/*
 * collectors/registry.c — the one table of collectors.
 * Adding a collector is its .c file plus one line here.
 */
#include "collector_registry.h"

#include <string.h>

static const hl_collector_ops *(*const table[])(void) = {
    hl_collector_none,
    hl_collector_stw,
    hl_collector_generational,
    hl_collector_incremental,
    hl_collector_ft,
};

size_t hl_collector_count(void)
{
    return sizeof table / sizeof table[0];
}

const hl_collector_ops *hl_collector_at(size_t i)
{
    return i < hl_collector_count() ? table[i]() : NULL;
}

const hl_collector_ops *hl_collector_find(const char *name, size_t len)
{
    for (size_t i = 0; i < hl_collector_count(); i++) {
        const hl_collector_ops *ops = table[i]();
        if (strlen(ops->name) == len && memcmp(ops->name, name, len) == 0)
            return ops;
    }
    return NULL;
}

const hl_collector_ops *hl_collector_lookup(const char *spec)
{
    const char *eq = strchr(spec, '=');
    return hl_collector_find(spec, eq ? (size_t)(eq - spec) : strlen(spec));
}
