/*
 * allocators/dynlib.h — loading a reference allocator's shared library at
 * run time.
 *
 * The reference allocators (jemalloc, mimalloc, tcmalloc, pymalloc) are
 * never linked into heaplab: each driver names its library by soname and the
 * entry points it calls, and this layer dlopen()s the library and fills the
 * driver's table of function pointers.  A machine without the library (the
 * aarch64 cross build, a bare container) still builds and runs heaplab; the
 * allocator is merely unavailable, with a reason that names the package.
 *
 * How a library is opened, and why:
 *   RTLD_NOW       every symbol is bound before the first measured call, so
 *                  no lazy binding is timed;
 *   RTLD_LOCAL     the library's malloc/free do not interpose the process
 *                  allocator: the C library, heaplab's own bookkeeping and
 *                  the other drivers keep using glibc, and each reference
 *                  allocator serves only the calls its driver makes;
 *   RTLD_NODELETE  the library stays mapped after the last dlclose.  These
 *                  libraries register thread-exit destructors and atexit
 *                  handlers, and tcmalloc and pymalloc keep heap state that
 *                  outlives an instance; unmapping them would leave those
 *                  pointing at nothing.  Opens and closes still pair up, so
 *                  each instance owns one reference.
 *
 * Under valgrind, run with --soname-synonyms=somalloc=nouserintercepts.  By
 * default valgrind replaces malloc and free in every library that exports
 * them, and the three allocator libraries do: jemalloc and tcmalloc would
 * then silently be valgrind's heap, and mimalloc, whose mi_free is the same
 * function as its free, would get valgrind's free for blocks of its own.
 */
#ifndef HEAPLAB_ALLOCATOR_DYNLIB_H
#define HEAPLAB_ALLOCATOR_DYNLIB_H

#include "allocator.h"

#include <stdbool.h>
#include <stddef.h>

/* One entry point: its exported name and the slot in the driver's table of
   function pointers (a struct whose fields are all function pointers). */
typedef struct hl_dynlib_symbol {
    const char *name; /* exported name, looked up with dlsym */
    size_t offset;    /* offset of its function pointer in the table */
    bool optional;    /* when missing, leave the slot NULL rather than fail */
} hl_dynlib_symbol;

/* A field named after the symbol it holds.  (clang-format 14 mangles a
   stringised name inside braces, hence the guard.) */
/* clang-format off */
#define HL_DYNLIB_SYMBOL(table_type, field) {#field, offsetof(table_type, field), false}
#define HL_DYNLIB_OPTIONAL(table_type, field) {#field, offsetof(table_type, field), true}
/* clang-format on */

typedef struct hl_dynlib {
    const char *soname;              /* e.g. "libjemalloc.so.2" */
    const char *package;             /* Debian package that installs it */
    const hl_dynlib_symbol *symbols; /* entry points the driver calls */
    size_t symbol_count;
} hl_dynlib;

/*
 * Loads the library and stores every symbol's address in `table` (NULL: only
 * check that they exist).  Returns the handle for hl_dynlib_close, or NULL
 * with the reason in `why`: library not installed (naming the package),
 * library too old (naming the missing symbol), or the loader's own message.
 */
void *hl_dynlib_open(const hl_dynlib *lib, void *table, char *why, size_t why_size);
void hl_dynlib_close(void *handle);

/* The `available` method of a driver: opens the library and closes it. */
bool hl_dynlib_available(const hl_dynlib *lib, char *why, size_t why_size);

/*
 * jemalloc, mimalloc and tcmalloc serve requests of 8 bytes or less from an
 * 8-byte size class, whose blocks are only 8-byte aligned; the contract says
 * 16.  Their drivers therefore never ask for less than 16 bytes.  This costs
 * nothing above 8 bytes, where every size class of the three is a multiple of
 * 16, and glibc's smallest chunk is larger still.
 */
static inline size_t hl_dynlib_request(size_t size)
{
    return size < HL_ALLOC_ALIGNMENT ? HL_ALLOC_ALIGNMENT : size;
}

#endif
