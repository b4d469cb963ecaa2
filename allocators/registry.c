/*
 * allocators/registry.c — the one table of allocator implementations.
 * Adding an allocator is its .c file plus one line here.
 */
#include "registry.h"

#include <string.h>

static const hl_allocator_ops *(*const table[])(void) = {
    hl_allocator_malloc,
    hl_allocator_freelist_pool,
    hl_allocator_bitmap_pool,
    hl_allocator_jemalloc,
    hl_allocator_mimalloc,
    hl_allocator_tcmalloc,
    hl_allocator_pymalloc,
    hl_allocator_debug,
    hl_allocator_failafter,
    hl_allocator_record,
};

size_t hl_allocator_count(void)
{
    return sizeof table / sizeof table[0];
}

const hl_allocator_ops *hl_allocator_at(size_t i)
{
    return i < hl_allocator_count() ? table[i]() : NULL;
}

const hl_allocator_ops *hl_allocator_find(const char *name, size_t len)
{
    for (size_t i = 0; i < hl_allocator_count(); i++) {
        const hl_allocator_ops *ops = table[i]();
        if (strlen(ops->name) == len && memcmp(ops->name, name, len) == 0)
            return ops;
    }
    return NULL;
}
