/*
 * allocators/pymalloc.c — `pymalloc`: CPython 3.11's object allocator
 * (Objects/obmalloc.c), loaded at run time from libpython3.11.so.1.0 (Debian
 * libpython3.11).
 *
 * Calls go to PyObject_Malloc, PyObject_Calloc, PyObject_Realloc and
 * PyObject_Free, exactly what CPython's objects get: requests up to 512
 * bytes come from pymalloc's pools (on 64-bit builds, 16-byte size classes
 * in 16 KiB pools in 1 MiB arenas), larger ones and size 0 go on to the C
 * library's malloc through PyMem_RawMalloc, which turns 0 into 1.  The
 * interpreter is never initialised; in 3.11 the allocator's state is plain
 * static data inside libpython, set up at compile time, so these functions
 * work without it.  3.12 moved that state into the interpreter, where it
 * does not exist before Py_Initialize; that is why only 3.11 is loaded.
 *
 * Fairness.  What is measured per call is one indirect call from the
 * dispatch layer plus one through this driver's table into the library's
 * entry point, as for every loaded allocator; inside, PyObject_Malloc makes
 * its own indirect call through CPython's allocator table, a cost every
 * CPython object pays too.  No GIL is taken: the harness is single-threaded
 * and pymalloc itself is not thread-safe.
 *
 * destroy() cannot release live blocks.  pymalloc has one state per process
 * and no way to discard part of it: blocks an instance leaves allocated
 * stay in their pools until the process ends (the contract's "returns every
 * byte" does not hold here), and a later instance starts with the pools and
 * arenas the earlier ones left.  pymalloc itself returns an arena to the
 * system as soon as all its pools are empty, so an instance that freed all
 * its blocks leaves nothing behind but its requests above 512 bytes, which
 * glibc handled.
 *
 * OS bytes: libpython exports no figure for the bytes its arenas hold (only
 * _PyObject_DebugMallocStats prints them), so they are reported unknown.
 * print_stats prints that report, the one sys._debugmallocstats() shows.
 */
#include "dynlib.h"
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>

/* The library's entry points; each field is named after its symbol. */
typedef struct pymalloc_api {
    void *(*PyObject_Malloc)(size_t size);
    void *(*PyObject_Calloc)(size_t nelem, size_t elsize);
    void *(*PyObject_Realloc)(void *block, size_t size);
    void (*PyObject_Free)(void *block);
    int (*_PyObject_DebugMallocStats)(FILE *out); /* optional: private API */
} pymalloc_api;

static const hl_dynlib_symbol pymalloc_symbols[] = {
    HL_DYNLIB_SYMBOL(pymalloc_api, PyObject_Malloc),
    HL_DYNLIB_SYMBOL(pymalloc_api, PyObject_Calloc),
    HL_DYNLIB_SYMBOL(pymalloc_api, PyObject_Realloc),
    HL_DYNLIB_SYMBOL(pymalloc_api, PyObject_Free),
    HL_DYNLIB_OPTIONAL(pymalloc_api, _PyObject_DebugMallocStats),
};

static const hl_dynlib pymalloc_library = {
    .soname = "libpython3.11.so.1.0",
    .package = "libpython3.11",
    .symbols = pymalloc_symbols,
    .symbol_count = sizeof pymalloc_symbols / sizeof pymalloc_symbols[0],
};

/* One instance.  pymalloc's pools are the library's; the instance only
   holds its reference to the library. */
typedef struct pymalloc_context {
    pymalloc_api api; /* the library's entry points */
    void *library;    /* dlopen handle, one reference per instance */
} pymalloc_context;

static void *pymalloc_create(hl_alloc_config *config)
{
    if (config->arg != NULL) {
        snprintf(config->error, config->error_size, "pymalloc takes no argument");
        return NULL;
    }
    pymalloc_context *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->library = hl_dynlib_open(&pymalloc_library, &c->api, config->error, config->error_size);
    if (c->library == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

static void pymalloc_destroy(void *ctx)
{
    pymalloc_context *c = ctx;
    hl_dynlib_close(c->library);
    free(c);
}

static void *pymalloc_malloc(void *ctx, size_t size)
{
    pymalloc_context *c = ctx;
    return c->api.PyObject_Malloc(size);
}

static void *pymalloc_calloc(void *ctx, size_t nelem, size_t elsize)
{
    pymalloc_context *c = ctx;
    return c->api.PyObject_Calloc(nelem, elsize);
}

static void *pymalloc_realloc(void *ctx, void *block, size_t size)
{
    pymalloc_context *c = ctx;
    return c->api.PyObject_Realloc(block, size);
}

static void pymalloc_free(void *ctx, void *block)
{
    pymalloc_context *c = ctx;
    c->api.PyObject_Free(block);
}

static void pymalloc_impl_stats(void *ctx, hl_alloc_impl_stats *out)
{
    (void)ctx;
    *out = (hl_alloc_impl_stats){0};
}

static void pymalloc_print_stats(void *ctx, void *out)
{
    pymalloc_context *c = ctx;
    if (c->api._PyObject_DebugMallocStats == NULL || !c->api._PyObject_DebugMallocStats(out))
        fputs("pymalloc: this libpython keeps no allocator statistics\n", out);
}

static bool pymalloc_available(char *why, size_t why_size)
{
    return hl_dynlib_available(&pymalloc_library, why, why_size);
}

static const hl_allocator_ops pymalloc_ops = {
    .name = "pymalloc",
    .description = "CPython 3.11's PyObject_Malloc from libpython3.11.so.1.0 (process-wide)",
    .available = pymalloc_available,
    .create = pymalloc_create,
    .destroy = pymalloc_destroy,
    .malloc = pymalloc_malloc,
    .calloc = pymalloc_calloc,
    .realloc = pymalloc_realloc,
    .free = pymalloc_free,
    .impl_stats = pymalloc_impl_stats,
    .print_stats = pymalloc_print_stats,
};

const hl_allocator_ops *hl_allocator_pymalloc(void)
{
    return &pymalloc_ops;
}
