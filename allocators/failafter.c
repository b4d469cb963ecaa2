/*
 * allocators/failafter.c — `failafter=N`: a wrapper whose Nth allocation and
 * every later one fail.
 *
 * The out-of-memory driver of the suite, in the spirit of SQLite's mem0.c
 * and its fault injector: "failafter=1:malloc" fails from the first call,
 * "failafter=1000:malloc" lets 999 allocations through.  Every call of
 * malloc, calloc or realloc counts as one allocation, whether or not the
 * inner allocator then succeeds; once the count is used up the wrapper
 * returns NULL without calling the inner allocator, which is exactly the
 * contract's failure (nothing changes, a realloc'ed block stays intact).
 * free always reaches the inner allocator, so a program can clean up after
 * the failure.  The count belongs to the instance: opening the stack again
 * starts over.
 */
#include "parse.h"
#include "registry.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

/* Invariant: `allowed` allocations may still reach `inner`; at 0 every
   allocation fails. */
typedef struct failafter_context {
    hl_allocator *inner; /* first, as allocator.h asks of wrappers; owned */
    uint64_t allowed;    /* allocations still allowed through */
} failafter_context;

_Static_assert(offsetof(failafter_context, inner) == 0, "a wrapper's context starts with inner");

static void *failafter_create(hl_alloc_config *config)
{
    uint64_t n;
    if (config->arg == NULL || !hl_parse_u64(config->arg, 1, UINT64_MAX, &n)) {
        snprintf(config->error, config->error_size,
                 "failafter needs a count N >= 1, as in failafter=1000 (got %s%s%s)",
                 config->arg ? "'" : "", config->arg ? config->arg : "none",
                 config->arg ? "'" : "");
        return NULL;
    }
    failafter_context *c = malloc(sizeof *c);
    if (c == NULL)
        return NULL;
    c->inner = config->inner;
    c->allowed = n - 1;
    return c;
}

static void failafter_destroy(void *ctx)
{
    failafter_context *c = ctx;
    hl_allocator_close(c->inner);
    free(c);
}

static void *failafter_malloc(void *ctx, size_t size)
{
    failafter_context *c = ctx;
    if (hl_unlikely(c->allowed == 0))
        return NULL;
    c->allowed--;
    return c->inner->ops->malloc(c->inner->ctx, size);
}

static void *failafter_calloc(void *ctx, size_t nelem, size_t elsize)
{
    failafter_context *c = ctx;
    if (hl_unlikely(c->allowed == 0))
        return NULL;
    c->allowed--;
    return c->inner->ops->calloc(c->inner->ctx, nelem, elsize);
}

static void *failafter_realloc(void *ctx, void *block, size_t size)
{
    failafter_context *c = ctx;
    if (hl_unlikely(c->allowed == 0))
        return NULL;
    c->allowed--;
    return c->inner->ops->realloc(c->inner->ctx, block, size);
}

static void failafter_free(void *ctx, void *block)
{
    failafter_context *c = ctx;
    c->inner->ops->free(c->inner->ctx, block);
}

static void failafter_impl_stats(void *ctx, hl_alloc_impl_stats *out)
{
    failafter_context *c = ctx;
    c->inner->ops->impl_stats(c->inner->ctx, out);
}

static bool failafter_validate(void *ctx, char *why, size_t why_size)
{
    failafter_context *c = ctx;
    const hl_allocator_ops *inner = c->inner->ops;
    return inner->validate ? inner->validate(c->inner->ctx, why, why_size) : true;
}

static void failafter_print_stats(void *ctx, void *out)
{
    failafter_context *c = ctx;
    fprintf(out, "failafter: %llu allocations still allowed\n", (unsigned long long)c->allowed);
    if (c->inner->ops->print_stats)
        c->inner->ops->print_stats(c->inner->ctx, out);
}

/* Neither counts as an allocation: they only read the inner allocator. */
static size_t failafter_usable_size(void *ctx, void *block)
{
    failafter_context *c = ctx;
    return hl_mem_usable_size(c->inner, block);
}

static bool failafter_visit_blocks(void *ctx, hl_block_visitor fn, void *arg)
{
    failafter_context *c = ctx;
    return hl_allocator_visit_blocks(c->inner, fn, arg);
}

static const hl_allocator_ops failafter_ops = {
    .name = "failafter",
    .description = "the Nth allocation and all later ones fail (failafter=N:ALLOCATOR)",
    .is_wrapper = true,
    .create = failafter_create,
    .destroy = failafter_destroy,
    .malloc = failafter_malloc,
    .calloc = failafter_calloc,
    .realloc = failafter_realloc,
    .free = failafter_free,
    .impl_stats = failafter_impl_stats,
    .validate = failafter_validate,
    .print_stats = failafter_print_stats,
    .usable_size = failafter_usable_size,
    .visit_blocks = failafter_visit_blocks,
};

const hl_allocator_ops *hl_allocator_failafter(void)
{
    return &failafter_ops;
}
