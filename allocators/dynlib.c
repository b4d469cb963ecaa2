/*
 * allocators/dynlib.c — dlopen() of a reference allocator's library and the
 * lookup of its entry points (see dynlib.h for the flags and their reasons).
 *
 * The one loader failure that needs explaining is static TLS.  jemalloc
 * (2.6 KiB) and tcmalloc keep their thread caches in initial-exec TLS, which
 * a library loaded after start-up must take from the small surplus glibc
 * reserves when the process starts (about 1.6 KiB by default).  jemalloc
 * does not fit; the glibc tunable below enlarges the surplus, and it has to
 * be in the environment when the process starts.
 */
#include "dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* The table's slots are function pointers written from dlsym's void *. */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
               "function and object pointers must have one size for dlsym");

#define STATIC_TLS_TUNABLE "GLIBC_TUNABLES=glibc.rtld.optional_static_tls=16384"

static void explain_dlopen_failure(const hl_dynlib *lib, const char *message, char *why,
                                   size_t why_size)
{
    if (message == NULL)
        message = "unknown dlopen error";
    if (strstr(message, "No such file") != NULL)
        snprintf(why, why_size, "%s not found: install %s", lib->soname, lib->package);
    else if (strstr(message, "static TLS") != NULL)
        snprintf(why, why_size,
                 "%s needs more static TLS than glibc reserves for dlopen: "
                 "start heaplab with %s",
                 lib->soname, STATIC_TLS_TUNABLE);
    else
        snprintf(why, why_size, "%s", message);
}

void *hl_dynlib_open(const hl_dynlib *lib, void *table, char *why, size_t why_size)
{
    void *handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (handle == NULL) {
        explain_dlopen_failure(lib, dlerror(), why, why_size);
        return NULL;
    }
    for (size_t i = 0; i < lib->symbol_count; i++) {
        const hl_dynlib_symbol *symbol = &lib->symbols[i];
        void *address = dlsym(handle, symbol->name);
        if (address == NULL && !symbol->optional) {
            snprintf(why, why_size, "%s has no symbol %s: %s is too old", lib->soname, symbol->name,
                     lib->package);
            dlclose(handle);
            return NULL;
        }
        if (table != NULL)
            memcpy((char *)table + symbol->offset, &address, sizeof address);
    }
    return handle;
}

void hl_dynlib_close(void *handle)
{
    if (handle != NULL)
        dlclose(handle);
}

bool hl_dynlib_available(const hl_dynlib *lib, char *why, size_t why_size)
{
    void *handle = hl_dynlib_open(lib, NULL, why, why_size);
    hl_dynlib_close(handle);
    return handle != NULL;
}
