/*
 * allocators/mimalloc.c — `mimalloc`: Microsoft's mimalloc 2, loaded at run
 * time from libmimalloc.so.2 (Debian libmimalloc2.0).
 *
 * Each instance owns a first-class heap (mi_heap_new) and allocates through
 * the heap API: mi_heap_malloc, mi_heap_calloc, mi_heap_realloc, and mi_free
 * (which finds the heap from the block).  destroy() calls mi_heap_destroy,
 * which frees every page of the heap, live blocks included, as the contract
 * asks, and then mi_collect(true): left to itself mimalloc would keep the
 * freed pages resident in its segment cache until later allocations let it
 * purge them (measured: 200 MiB of 280 MiB still resident after the heap
 * was destroyed); after the collection resident memory is back to where it
 * was before the instance.
 *
 * Fairness.  mi_heap_malloc(heap, n) runs the same inlined small-object path
 * as mi_malloc(n), which only adds a thread-local load of the default heap:
 * measured on x86-64 both cost 13 ns per malloc/free pair (within noise).
 * What is measured per call is one indirect call from the dispatch layer
 * plus one through this driver's table into the library's entry point, as
 * for every loaded allocator.  Requests of 8 bytes or less are raised to 16
 * (dynlib.h): mimalloc's 8-byte class is only 8-byte aligned.
 *
 * A mimalloc heap belongs to the thread that made it: an instance allocates
 * only from the thread that created it (the harness is single-threaded);
 * its blocks may be freed from any thread.  Under valgrind, see dynlib.h.
 *
 * OS bytes: mi_process_info reports the bytes mimalloc has committed and
 * their peak.  They cover the whole library in this process, not just this
 * heap: every other mimalloc heap, and the segments earlier instances left
 * in mimalloc's cache.  heaplab's own bookkeeping never uses mimalloc, so
 * with one instance open they are that instance's footprint.
 */
#include "dynlib.h"
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct mi_heap_s mi_heap_t;
typedef struct mi_heap_area_s mi_heap_area_t; /* read by mimalloc only */
typedef bool(mi_block_visit_fun)(const mi_heap_t *heap, const mi_heap_area_t *area, void *block,
                                 size_t block_size, void *arg);

/* The library's entry points; each field is named after its symbol. */
typedef struct mimalloc_api {
    mi_heap_t *(*mi_heap_new)(void);
    void (*mi_heap_destroy)(mi_heap_t *heap);
    void *(*mi_heap_malloc)(mi_heap_t *heap, size_t size);
    void *(*mi_heap_calloc)(mi_heap_t *heap, size_t count, size_t size);
    void *(*mi_heap_realloc)(mi_heap_t *heap, void *block, size_t size);
    void (*mi_free)(void *block);
    void (*mi_collect)(bool force);
    void (*mi_process_info)(size_t *elapsed_msecs, size_t *user_msecs, size_t *system_msecs,
                            size_t *current_rss, size_t *peak_rss, size_t *current_commit,
                            size_t *peak_commit, size_t *page_faults);
    void (*mi_stats_print_out)(void (*write)(const char *text, void *out), void *out);
    int (*mi_version)(void);
    size_t (*mi_usable_size)(const void *block);
    bool (*mi_heap_visit_blocks)(const mi_heap_t *heap, bool visit_all_blocks,
                                 mi_block_visit_fun *visitor, void *arg);
} mimalloc_api;

static const hl_dynlib_symbol mimalloc_symbols[] = {
    HL_DYNLIB_SYMBOL(mimalloc_api, mi_heap_new),
    HL_DYNLIB_SYMBOL(mimalloc_api, mi_heap_destroy),
    HL_DYNLIB_SYMBOL(mimalloc_api, mi_heap_malloc),
    HL_DYNLIB_SYMBOL(mimalloc_api, mi_heap_calloc),
    HL_DYNLIB_SYMBOL(mimalloc_api, mi_heap_realloc),
    HL_DYNLIB_SYMBOL(mimalloc_api, mi_free),
    HL_DYNLIB_SYMBOL(mimalloc_api, mi_collect),
    HL_DYNLIB_SYMBOL(mimalloc_api, mi_process_info),
    HL_DYNLIB_SYMBOL(mimalloc_api, mi_stats_print_out),
    HL_DYNLIB_SYMBOL(mimalloc_api, mi_version),
    HL_DYNLIB_SYMBOL(mimalloc_api, mi_usable_size),
    HL_DYNLIB_SYMBOL(mimalloc_api, mi_heap_visit_blocks),
};

static const hl_dynlib mimalloc_library = {
    .soname = "libmimalloc.so.2",
    .package = "libmimalloc2.0",
    .symbols = mimalloc_symbols,
    .symbol_count = sizeof mimalloc_symbols / sizeof mimalloc_symbols[0],
};

/* One instance: every block it handed out lives in `heap`. */
typedef struct mimalloc_context {
    mimalloc_api api; /* the library's entry points */
    void *library;    /* dlopen handle, one reference per instance */
    mi_heap_t *heap;  /* this instance's heap, destroyed with it */
} mimalloc_context;

static void *mimalloc_create(hl_alloc_config *config)
{
    if (config->arg != NULL) {
        snprintf(config->error, config->error_size, "mimalloc takes no argument");
        return NULL;
    }
    mimalloc_context *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->library = hl_dynlib_open(&mimalloc_library, &c->api, config->error, config->error_size);
    if (c->library == NULL)
        goto fail;
    c->heap = c->api.mi_heap_new();
    if (c->heap == NULL) {
        snprintf(config->error, config->error_size, "mimalloc: mi_heap_new failed");
        goto fail;
    }
    return c;
fail:
    hl_dynlib_close(c->library);
    free(c);
    return NULL;
}

static void mimalloc_destroy(void *ctx)
{
    mimalloc_context *c = ctx;
    c->api.mi_heap_destroy(c->heap);
    c->api.mi_collect(true);
    hl_dynlib_close(c->library);
    free(c);
}

static void *mimalloc_malloc(void *ctx, size_t size)
{
    mimalloc_context *c = ctx;
    return c->api.mi_heap_malloc(c->heap, hl_dynlib_request(size));
}

static void *mimalloc_calloc(void *ctx, size_t nelem, size_t elsize)
{
    mimalloc_context *c = ctx;
    return c->api.mi_heap_calloc(c->heap, 1, hl_dynlib_request(nelem * elsize));
}

static void *mimalloc_realloc(void *ctx, void *block, size_t size)
{
    mimalloc_context *c = ctx;
    return c->api.mi_heap_realloc(c->heap, block, hl_dynlib_request(size));
}

static void mimalloc_free(void *ctx, void *block)
{
    mimalloc_context *c = ctx;
    c->api.mi_free(block);
}

static void mimalloc_impl_stats(void *ctx, hl_alloc_impl_stats *out)
{
    mimalloc_context *c = ctx;
    size_t elapsed, user, system, rss, peak_rss, commit, peak_commit, faults;
    c->api.mi_process_info(&elapsed, &user, &system, &rss, &peak_rss, &commit, &peak_commit,
                           &faults);
    *out = (hl_alloc_impl_stats){
        .mapped_bytes = commit, .peak_mapped_bytes = peak_commit, .mapped_known = true};
}

static void write_to_file(const char *text, void *out)
{
    fputs(text, out);
}

static void mimalloc_print_stats(void *ctx, void *out)
{
    mimalloc_context *c = ctx;
    int version = c->api.mi_version();
    fprintf(out, "mimalloc %d.%d.%d (statistics cover the whole library):\n", version / 100,
            version / 10 % 10, version % 10);
    c->api.mi_stats_print_out(write_to_file, out);
}

static size_t mimalloc_usable_size(void *ctx, void *block)
{
    mimalloc_context *c = ctx;
    return c->api.mi_usable_size(block);
}

/* mi_heap_visit_blocks calls the visitor once per area (page) with a NULL
   block, then once per live block of the area in address order. */
typedef struct mimalloc_visit {
    mimalloc_context *context;
    hl_block_visitor fn;
    void *arg;
} mimalloc_visit;

static bool visit_one(const mi_heap_t *heap, const mi_heap_area_t *area, void *block,
                      size_t block_size, void *arg)
{
    (void)heap, (void)area, (void)block_size;
    mimalloc_visit *v = arg;
    if (block != NULL)
        v->fn(block, v->context->api.mi_usable_size(block), v->arg);
    return true;
}

static bool mimalloc_visit_blocks(void *ctx, hl_block_visitor fn, void *arg)
{
    mimalloc_context *c = ctx;
    mimalloc_visit v = {.context = c, .fn = fn, .arg = arg};
    /* Its result only says whether a visitor stopped the walk, or (2.0)
       that the heap has no page; visit_one never stops it. */
    c->api.mi_heap_visit_blocks(c->heap, true, visit_one, &v);
    return true;
}

static bool mimalloc_available(char *why, size_t why_size)
{
    return hl_dynlib_available(&mimalloc_library, why, why_size);
}

static const hl_allocator_ops mimalloc_ops = {
    .name = "mimalloc",
    .description = "mimalloc 2 from libmimalloc.so.2, one heap per instance",
    .available = mimalloc_available,
    .create = mimalloc_create,
    .destroy = mimalloc_destroy,
    .malloc = mimalloc_malloc,
    .calloc = mimalloc_calloc,
    .realloc = mimalloc_realloc,
    .free = mimalloc_free,
    .impl_stats = mimalloc_impl_stats,
    .print_stats = mimalloc_print_stats,
    .usable_size = mimalloc_usable_size,
    .visit_blocks = mimalloc_visit_blocks,
};

const hl_allocator_ops *hl_allocator_mimalloc(void)
{
    return &mimalloc_ops;
}
