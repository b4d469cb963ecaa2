/*
 * allocators/malloc.c — `malloc`: every request straight to the C library.
 *
 * The baseline every other allocator is compared with.  glibc already meets
 * the 16-byte alignment and the unique-pointer rule for malloc(0) on the
 * platforms heaplab targets; the requests are still rounded to at least one
 * byte so the contract does not hang on a libc detail.
 *
 * OS bytes: glibc's mallinfo2() reports what its arenas and mmapped chunks
 * hold for the whole process, not just for this stack, so this driver
 * reports it as unknown rather than as its own figure.
 */
#include "registry.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

/* No state: the C library is process-wide.  The context is a dummy byte so
   create() has something non-NULL to return. */
static char malloc_context;

static void *malloc_create(hl_alloc_config *config)
{
    if (config->arg != NULL) { /* "malloc=garbage" must not pass silently */
        snprintf(config->error, config->error_size, "malloc takes no parameter (got '%s')",
                 config->arg);
        return NULL;
    }
    return &malloc_context;
}

static void malloc_destroy(void *ctx)
{
    (void)ctx;
}

static void *malloc_malloc(void *ctx, size_t size)
{
    (void)ctx;
    return malloc(size ? size : 1);
}

static void *malloc_calloc(void *ctx, size_t nelem, size_t elsize)
{
    (void)ctx;
    if (nelem == 0 || elsize == 0)
        nelem = elsize = 1;
    return calloc(nelem, elsize);
}

static void *malloc_realloc(void *ctx, void *block, size_t size)
{
    (void)ctx;
    return realloc(block, size ? size : 1);
}

static void malloc_free(void *ctx, void *block)
{
    (void)ctx;
    free(block);
}

static void malloc_impl_stats(void *ctx, hl_alloc_impl_stats *out)
{
    (void)ctx;
    *out = (hl_alloc_impl_stats){0};
}

/* Exact for glibc: the chunk's usable bytes, which realloc may grow into.
   The C library cannot list its blocks, so there is no visit_blocks. */
static size_t malloc_usable(void *ctx, void *block)
{
    (void)ctx;
    return malloc_usable_size(block);
}

static const hl_allocator_ops malloc_ops = {
    .name = "malloc",
    .description = "the C library's malloc, every request passed straight through",
    .create = malloc_create,
    .destroy = malloc_destroy,
    .malloc = malloc_malloc,
    .calloc = malloc_calloc,
    .realloc = malloc_realloc,
    .free = malloc_free,
    .impl_stats = malloc_impl_stats,
    .usable_size = malloc_usable,
};

const hl_allocator_ops *hl_allocator_malloc(void)
{
    return &malloc_ops;
}
