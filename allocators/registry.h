/*
 * allocators/registry.h — every allocator implementation's one external
 * symbol, and lookup by short name.
 */
#ifndef HEAPLAB_ALLOCATOR_REGISTRY_H
#define HEAPLAB_ALLOCATOR_REGISTRY_H

#include "allocator.h"

const hl_allocator_ops *hl_allocator_malloc(void);
const hl_allocator_ops *hl_allocator_freelist_pool(void);
const hl_allocator_ops *hl_allocator_bitmap_pool(void);
const hl_allocator_ops *hl_allocator_jemalloc(void);
const hl_allocator_ops *hl_allocator_mimalloc(void);
const hl_allocator_ops *hl_allocator_tcmalloc(void);
const hl_allocator_ops *hl_allocator_pymalloc(void);
const hl_allocator_ops *hl_allocator_debug(void);
const hl_allocator_ops *hl_allocator_failafter(void);
const hl_allocator_ops *hl_allocator_record(void);

size_t hl_allocator_count(void);
const hl_allocator_ops *hl_allocator_at(size_t i);
/* name need not be NUL-terminated: len bytes are compared. */
const hl_allocator_ops *hl_allocator_find(const char *name, size_t len);

#endif
