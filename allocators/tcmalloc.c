/*
 * allocators/tcmalloc.c — `tcmalloc`: gperftools' TCMalloc 2, loaded at run
 * time from libtcmalloc_minimal.so.4 (Debian libtcmalloc-minimal4).
 *
 * The minimal variant is the allocator without the heap profiler and heap
 * checker, the one meant for production use.  Calls go to tc_malloc,
 * tc_calloc, tc_realloc and tc_free, which are the bodies behind the
 * library's malloc and free, so the thread cache and fast path are the same
 * a program linked with tcmalloc would get.  What is measured per call is
 * one indirect call from the dispatch layer plus one through this driver's
 * table into the library's entry point, as for every loaded allocator.
 * Requests of 8 bytes or less are raised to 16 (dynlib.h): tcmalloc's
 * 8-byte class is only 8-byte aligned.
 *
 * Loaded late and RTLD_LOCAL, tcmalloc does not become the process's
 * malloc: it is a second heap beside glibc's.  Both grow with sbrk; glibc
 * copes with a break moved by someone else (a "foreign sbrk"), and tcmalloc
 * takes each sbrk region as it comes, falling back to mmap when sbrk fails.
 *
 * destroy() cannot release live blocks.  tcmalloc has one heap per process
 * and no way to discard a subset of it: blocks an instance leaves allocated
 * stay in tcmalloc's heap until the process ends (the contract's
 * "returns every byte" does not hold here).  destroy() does what tcmalloc
 * allows: it hands the thread's cache back to the central lists
 * (MallocExtension_MarkThreadIdle) and returns every free page to the system
 * (MallocExtension_ReleaseFreeMemory), so the next instance starts from a
 * released heap.  Free memory is in the same state it would be in a
 * long-running program after a ReleaseFreeMemory call.
 *
 * OS bytes: "generic.heap_size" is what tcmalloc took from the system and
 * never shrinks (tcmalloc keeps the address space and unmaps pages inside
 * it); less "tcmalloc.pageheap_unmapped_bytes" it is what is mapped now.
 * heap_size is thus the high-water mark of the page heap.  Both exclude
 * tcmalloc's own metadata and cover the whole library in this process,
 * earlier instances included.
 */
#include "dynlib.h"
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>

/* The library's entry points; each field is named after its symbol. */
typedef struct tcmalloc_api {
    void *(*tc_malloc)(size_t size);
    void *(*tc_calloc)(size_t nelem, size_t elsize);
    void *(*tc_realloc)(void *block, size_t size);
    void (*tc_free)(void *block);
    int (*MallocExtension_GetNumericProperty)(const char *property, size_t *value);
    void (*MallocExtension_MarkThreadIdle)(void);
    void (*MallocExtension_ReleaseFreeMemory)(void);
    void (*MallocExtension_GetStats)(char *buffer, int buffer_length);
    size_t (*tc_malloc_size)(void *block);
} tcmalloc_api;

static const hl_dynlib_symbol tcmalloc_symbols[] = {
    HL_DYNLIB_SYMBOL(tcmalloc_api, tc_malloc),
    HL_DYNLIB_SYMBOL(tcmalloc_api, tc_calloc),
    HL_DYNLIB_SYMBOL(tcmalloc_api, tc_realloc),
    HL_DYNLIB_SYMBOL(tcmalloc_api, tc_free),
    HL_DYNLIB_SYMBOL(tcmalloc_api, MallocExtension_GetNumericProperty),
    HL_DYNLIB_SYMBOL(tcmalloc_api, MallocExtension_MarkThreadIdle),
    HL_DYNLIB_SYMBOL(tcmalloc_api, MallocExtension_ReleaseFreeMemory),
    HL_DYNLIB_SYMBOL(tcmalloc_api, MallocExtension_GetStats),
    HL_DYNLIB_SYMBOL(tcmalloc_api, tc_malloc_size),
};

static const hl_dynlib tcmalloc_library = {
    .soname = "libtcmalloc_minimal.so.4",
    .package = "libtcmalloc-minimal4",
    .symbols = tcmalloc_symbols,
    .symbol_count = sizeof tcmalloc_symbols / sizeof tcmalloc_symbols[0],
};

/* One instance.  tcmalloc's heap is the library's; the instance only holds
   its reference to the library. */
typedef struct tcmalloc_context {
    tcmalloc_api api; /* the library's entry points */
    void *library;    /* dlopen handle, one reference per instance */
} tcmalloc_context;

static void *tcmalloc_create(hl_alloc_config *config)
{
    if (config->arg != NULL) {
        snprintf(config->error, config->error_size, "tcmalloc takes no argument");
        return NULL;
    }
    tcmalloc_context *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->library = hl_dynlib_open(&tcmalloc_library, &c->api, config->error, config->error_size);
    if (c->library == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

static void tcmalloc_destroy(void *ctx)
{
    tcmalloc_context *c = ctx;
    c->api.MallocExtension_MarkThreadIdle();
    c->api.MallocExtension_ReleaseFreeMemory();
    hl_dynlib_close(c->library);
    free(c);
}

static void *tcmalloc_malloc(void *ctx, size_t size)
{
    tcmalloc_context *c = ctx;
    return c->api.tc_malloc(hl_dynlib_request(size));
}

static void *tcmalloc_calloc(void *ctx, size_t nelem, size_t elsize)
{
    tcmalloc_context *c = ctx;
    return c->api.tc_calloc(1, hl_dynlib_request(nelem * elsize));
}

static void *tcmalloc_realloc(void *ctx, void *block, size_t size)
{
    tcmalloc_context *c = ctx;
    return c->api.tc_realloc(block, hl_dynlib_request(size));
}

static void tcmalloc_free(void *ctx, void *block)
{
    tcmalloc_context *c = ctx;
    c->api.tc_free(block);
}

/* The block's size class.  tcmalloc cannot list the blocks of its heap. */
static size_t tcmalloc_usable_size(void *ctx, void *block)
{
    tcmalloc_context *c = ctx;
    return c->api.tc_malloc_size(block);
}

static void tcmalloc_impl_stats(void *ctx, hl_alloc_impl_stats *out)
{
    tcmalloc_context *c = ctx;
    size_t heap_size = 0, unmapped = 0;
    *out = (hl_alloc_impl_stats){0};
    if (!c->api.MallocExtension_GetNumericProperty("generic.heap_size", &heap_size) ||
        !c->api.MallocExtension_GetNumericProperty("tcmalloc.pageheap_unmapped_bytes", &unmapped) ||
        unmapped > heap_size)
        return;
    out->mapped_bytes = heap_size - unmapped;
    out->peak_mapped_bytes = heap_size;
    out->mapped_known = true;
}

static void tcmalloc_print_stats(void *ctx, void *out)
{
    tcmalloc_context *c = ctx;
    enum { STATS_TEXT_SIZE = 16384 };
    char *text = malloc(STATS_TEXT_SIZE);
    if (text == NULL)
        return;
    text[0] = '\0';
    c->api.MallocExtension_GetStats(text, STATS_TEXT_SIZE);
    fputs("tcmalloc (statistics cover the whole library):\n", out);
    fputs(text, out);
    free(text);
}

static bool tcmalloc_available(char *why, size_t why_size)
{
    return hl_dynlib_available(&tcmalloc_library, why, why_size);
}

static const hl_allocator_ops tcmalloc_ops = {
    .name = "tcmalloc",
    .description = "gperftools TCMalloc from libtcmalloc_minimal.so.4 (process-wide heap)",
    .available = tcmalloc_available,
    .create = tcmalloc_create,
    .destroy = tcmalloc_destroy,
    .malloc = tcmalloc_malloc,
    .calloc = tcmalloc_calloc,
    .realloc = tcmalloc_realloc,
    .free = tcmalloc_free,
    .impl_stats = tcmalloc_impl_stats,
    .print_stats = tcmalloc_print_stats,
    .usable_size = tcmalloc_usable_size,
};

const hl_allocator_ops *hl_allocator_tcmalloc(void)
{
    return &tcmalloc_ops;
}
