/*
 * allocators/jemalloc.c — `jemalloc`: jemalloc 5 (FreeBSD's and Meta's
 * allocator), loaded at run time from libjemalloc.so.2 (Debian libjemalloc2).
 *
 * Each instance owns one jemalloc arena, made with "arenas.create" and
 * thrown away with "arena.<i>.destroy", which returns every extent of the
 * arena, live blocks included, as the contract asks of destroy().
 *
 * Which entry points, and why (the fairness question).  jemalloc offers two
 * ways to reach a private arena:
 *
 *   mallocx(size, MALLOCX_ARENA(a) | MALLOCX_TCACHE(t))   per-call flags
 *   "thread.arena" = a, then plain malloc(size)            thread binding
 *
 * The flag path skips jemalloc's inlined malloc fast path and decodes the
 * flags on every call: measured on x86-64, a malloc/free pair costs 15.8 ns
 * that way against 8.6 ns through malloc/free; without a thread cache
 * (MALLOCX_TCACHE_NONE) it is 50 ns.  A program linked with jemalloc calls
 * malloc, so the figure that compares fairly with glibc, mimalloc and
 * tcmalloc is the second one.  This driver therefore binds the creating
 * thread to the instance's arena and calls the library's own malloc, calloc,
 * realloc and free: the thread cache and the fast path are jemalloc's
 * default ones.  What is measured per call is one indirect call from the
 * dispatch layer plus one through this driver's table into the library's
 * entry point, as for every loaded allocator.
 *
 * What the binding costs:
 *   - an instance belongs to the thread that created it (the harness is
 *     single-threaded); blocks it allocated may be freed from any thread;
 *   - one instance per thread at a time: while the thread is bound to one
 *     instance's arena, create() refuses a second rather than let the two
 *     share an arena that the first destroy() would pull from under the
 *     other.  Nothing here keeps global state: jemalloc's own "thread.arena"
 *     tells whether the thread is bound to a created (non-automatic) arena.
 * destroy() flushes the thread cache (it may hold blocks of the arena),
 * restores the thread's previous arena, and destroys the instance's arena.
 * jemalloc sends requests above its oversize threshold (8 MiB) to a shared
 * huge arena only when the thread's arena is an automatic one, so large
 * blocks land in the instance's arena too.
 *
 * MALLOC_CONF in the environment tunes the library as usual.  Loading it
 * after start-up needs a larger static TLS surplus (see dynlib.c).
 *
 * OS bytes: "stats.arenas.<i>.mapped" is the instance's own figure, read
 * after an "epoch" refresh.  Builds configured without statistics
 * ("config.stats" false) do not keep it, and then it is reported unknown.
 * jemalloc keeps no peak, so the peak reported is the largest figure seen
 * when stats were read: a lower bound.
 */
#include "dynlib.h"
#include "registry.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The library's entry points; each field is named after its symbol. */
typedef struct jemalloc_api {
    void *(*malloc)(size_t size);
    void *(*calloc)(size_t nelem, size_t elsize);
    void *(*realloc)(void *block, size_t size);
    void (*free)(void *block);
    int (*mallctl)(const char *name, void *old, size_t *old_size, void *new_value, size_t new_size);
    void (*malloc_stats_print)(void (*write)(void *out, const char *text), void *out,
                               const char *options);
    size_t (*malloc_usable_size)(void *block);
} jemalloc_api;

static const hl_dynlib_symbol jemalloc_symbols[] = {
    HL_DYNLIB_SYMBOL(jemalloc_api, malloc),
    HL_DYNLIB_SYMBOL(jemalloc_api, calloc),
    HL_DYNLIB_SYMBOL(jemalloc_api, realloc),
    HL_DYNLIB_SYMBOL(jemalloc_api, free),
    HL_DYNLIB_SYMBOL(jemalloc_api, mallctl),
    HL_DYNLIB_SYMBOL(jemalloc_api, malloc_stats_print),
    HL_DYNLIB_SYMBOL(jemalloc_api, malloc_usable_size),
};

static const hl_dynlib jemalloc_library = {
    .soname = "libjemalloc.so.2",
    .package = "libjemalloc2",
    .symbols = jemalloc_symbols,
    .symbol_count = sizeof jemalloc_symbols / sizeof jemalloc_symbols[0],
};

/*
 * One instance.  Invariant, between create and destroy: the creating thread
 * is bound to `arena`, which no other instance uses.
 */
typedef struct jemalloc_context {
    jemalloc_api api;        /* the library's entry points */
    void *library;           /* dlopen handle, one reference per instance */
    unsigned arena;          /* this instance's arena */
    unsigned previous_arena; /* the thread's arena before create, restored */
    bool stats;              /* the library keeps statistics ("config.stats") */
    size_t peak_mapped;      /* largest "mapped" figure read so far */
} jemalloc_context;

static int mallctl_read(jemalloc_context *c, const char *name, void *value, size_t size)
{
    return c->api.mallctl(name, value, &size, NULL, 0);
}

static void *jemalloc_create(hl_alloc_config *config)
{
    if (config->arg != NULL) {
        snprintf(config->error, config->error_size, "jemalloc takes no argument");
        return NULL;
    }
    jemalloc_context *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->library = hl_dynlib_open(&jemalloc_library, &c->api, config->error, config->error_size);
    if (c->library == NULL)
        goto fail;
    unsigned automatic_arenas;
    if (mallctl_read(c, "opt.narenas", &automatic_arenas, sizeof automatic_arenas) != 0 ||
        mallctl_read(c, "thread.arena", &c->previous_arena, sizeof c->previous_arena) != 0) {
        snprintf(config->error, config->error_size, "jemalloc: cannot read the thread's arena");
        goto fail;
    }
    if (c->previous_arena >= automatic_arenas) {
        snprintf(config->error, config->error_size,
                 "another jemalloc instance is open in this thread (arena %u); close it first",
                 c->previous_arena);
        goto fail;
    }
    size_t size = sizeof c->arena;
    if (c->api.mallctl("arenas.create", &c->arena, &size, NULL, 0) != 0) {
        snprintf(config->error, config->error_size, "jemalloc: arenas.create failed");
        goto fail;
    }
    if (c->api.mallctl("thread.arena", NULL, NULL, &c->arena, sizeof c->arena) != 0) {
        char name[64];
        snprintf(name, sizeof name, "arena.%u.destroy", c->arena);
        c->api.mallctl(name, NULL, NULL, NULL, 0);
        snprintf(config->error, config->error_size, "jemalloc: cannot bind to arena %u", c->arena);
        goto fail;
    }
    bool stats = false;
    if (mallctl_read(c, "config.stats", &stats, sizeof stats) == 0)
        c->stats = stats;
    return c;
fail:
    hl_dynlib_close(c->library);
    free(c);
    return NULL;
}

static void jemalloc_destroy(void *ctx)
{
    jemalloc_context *c = ctx;
    /* Fails harmlessly when MALLOC_CONF turned the thread cache off. */
    c->api.mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
    c->api.mallctl("thread.arena", NULL, NULL, &c->previous_arena, sizeof c->previous_arena);
    char name[64];
    snprintf(name, sizeof name, "arena.%u.destroy", c->arena);
    c->api.mallctl(name, NULL, NULL, NULL, 0);
    hl_dynlib_close(c->library);
    free(c);
}

static void *jemalloc_malloc(void *ctx, size_t size)
{
    jemalloc_context *c = ctx;
    return c->api.malloc(hl_dynlib_request(size));
}

static void *jemalloc_calloc(void *ctx, size_t nelem, size_t elsize)
{
    jemalloc_context *c = ctx;
    return c->api.calloc(1, hl_dynlib_request(nelem * elsize));
}

static void *jemalloc_realloc(void *ctx, void *block, size_t size)
{
    jemalloc_context *c = ctx;
    return c->api.realloc(block, hl_dynlib_request(size));
}

static void jemalloc_free(void *ctx, void *block)
{
    jemalloc_context *c = ctx;
    c->api.free(block);
}

/* jemalloc's own (the library's symbol, not glibc's: RTLD_LOCAL): the
   block's size class.  jemalloc cannot list an arena's blocks. */
static size_t jemalloc_usable_size(void *ctx, void *block)
{
    jemalloc_context *c = ctx;
    return c->api.malloc_usable_size(block);
}

static void jemalloc_impl_stats(void *ctx, hl_alloc_impl_stats *out)
{
    jemalloc_context *c = ctx;
    *out = (hl_alloc_impl_stats){0};
    if (!c->stats)
        return;
    uint64_t epoch = 1;
    size_t epoch_size = sizeof epoch;
    if (c->api.mallctl("epoch", &epoch, &epoch_size, &epoch, sizeof epoch) != 0)
        return;
    char name[64];
    size_t mapped;
    snprintf(name, sizeof name, "stats.arenas.%u.mapped", c->arena);
    if (mallctl_read(c, name, &mapped, sizeof mapped) != 0)
        return;
    if (mapped > c->peak_mapped)
        c->peak_mapped = mapped;
    out->mapped_bytes = mapped;
    out->peak_mapped_bytes = c->peak_mapped;
    out->mapped_known = true;
}

static void write_to_file(void *out, const char *text)
{
    fputs(text, out);
}

static void jemalloc_print_stats(void *ctx, void *out)
{
    jemalloc_context *c = ctx;
    fprintf(out, "jemalloc: instance arena %u%s\n", c->arena,
            c->stats ? "" : " (library built without statistics)");
    /* "b", "l": leave out the per-size-class tables. */
    c->api.malloc_stats_print(write_to_file, out, "bl");
}

static bool jemalloc_available(char *why, size_t why_size)
{
    return hl_dynlib_available(&jemalloc_library, why, why_size);
}

static const hl_allocator_ops jemalloc_ops = {
    .name = "jemalloc",
    .description = "jemalloc 5 from libjemalloc.so.2, one arena per instance",
    .available = jemalloc_available,
    .create = jemalloc_create,
    .destroy = jemalloc_destroy,
    .malloc = jemalloc_malloc,
    .calloc = jemalloc_calloc,
    .realloc = jemalloc_realloc,
    .free = jemalloc_free,
    .impl_stats = jemalloc_impl_stats,
    .print_stats = jemalloc_print_stats,
    .usable_size = jemalloc_usable_size,
};

const hl_allocator_ops *hl_allocator_jemalloc(void)
{
    return &jemalloc_ops;
}
