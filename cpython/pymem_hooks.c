/*
 * cpython/pymem_hooks.c — CPython's PyMemAllocatorEx over a heaplab
 * allocator, and the statistics line `heaplab python --stats` writes.
 *
 *      PyObject_Malloc / PyMem_Malloc          (CPython, GIL held)
 *            |  PyMemAllocatorEx, ctx = hl_allocator *
 *            v
 *      plain_* or counted_*  (here)  -->  hl_mem_* dispatch  -->  the pools
 *
 * Locking.  The pools have no locks.  CPython 3.11 calls the object and
 * mem domains only with the GIL held (its debug hooks check exactly that,
 * PyGILState_Check in _PyMem_DebugCheckGIL, for both); the raw domain is
 * called without it and is never replaced.
 *
 * Counting.  CPython frees without a size, so the dispatch layer cannot
 * count live bytes from what callers pass.  Two sets of hooks:
 *   - plain (no --stats): forward, the dispatch counts calls; free passes 0
 *     as the size, so the dispatch's live-byte figure is meaningless and
 *     never reported.  Nothing else is added to the path being measured.
 *   - counted (--stats): every block is counted at its usable size, asked
 *     of the allocator (the size class for pool blocks, malloc_usable_size
 *     for the rest) when it is made and again when it is freed, so live
 *     and peak bytes are exact.  Invariant kept in the dispatch counters:
 *     live_bytes = sum of hl_mem_usable_size over live blocks.  An
 *     allocator that cannot tell a block's size (usable_size 0) makes the
 *     figure unknown, reported as null.
 */
#include "pymem_hooks.h"

#include <Python.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* ---- plain hooks ---------------------------------------------------------- */

static void *plain_malloc(void *ctx, size_t size)
{
    return hl_mem_malloc(ctx, size);
}

static void *plain_calloc(void *ctx, size_t nelem, size_t elsize)
{
    return hl_mem_calloc(ctx, nelem, elsize);
}

static void *plain_realloc(void *ctx, void *block, size_t size)
{
    return hl_mem_realloc(ctx, block, 0, size);
}

static void plain_free(void *ctx, void *block)
{
    hl_mem_free(ctx, block, 0);
}

/* ---- counted hooks -------------------------------------------------------- */

/* The dispatch layer has just counted `requested` bytes for block; count
   its usable size instead. */
static inline void *recount(hl_allocator *a, void *block, size_t requested)
{
    if (hl_likely(block != NULL)) {
        a->counts.live_bytes += hl_mem_usable_size(a, block) - requested;
        if (a->counts.live_bytes > a->counts.peak_bytes)
            a->counts.peak_bytes = a->counts.live_bytes;
    }
    return block;
}

static void *counted_malloc(void *ctx, size_t size)
{
    return recount(ctx, hl_mem_malloc(ctx, size), size);
}

static void *counted_calloc(void *ctx, size_t nelem, size_t elsize)
{
    /* hl_mem_calloc refuses an overflowing product before counting it. */
    return recount(ctx, hl_mem_calloc(ctx, nelem, elsize), nelem * elsize);
}

static void *counted_realloc(void *ctx, void *block, size_t size)
{
    size_t old = block ? hl_mem_usable_size(ctx, block) : 0;
    return recount(ctx, hl_mem_realloc(ctx, block, old, size), size);
}

static void counted_free(void *ctx, void *block)
{
    if (block != NULL)
        hl_mem_free(ctx, block, hl_mem_usable_size(ctx, block));
}

void hl_py_hooks_install(hl_allocator *allocator, const hl_py_config *config)
{
    bool counted = config->stats[0] != '\0';
    PyMemAllocatorEx hooks = {
        .ctx = allocator,
        .malloc = counted ? counted_malloc : plain_malloc,
        .calloc = counted ? counted_calloc : plain_calloc,
        .realloc = counted ? counted_realloc : plain_realloc,
        .free = counted ? counted_free : plain_free,
    };
    PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &hooks);
    if (config->mem_domain)
        PyMem_SetAllocator(PYMEM_DOMAIN_MEM, &hooks);
}

/* ---- the statistics line --------------------------------------------------- */

/* Everything the exit handler needs; the process has one launcher. */
static struct {
    hl_allocator *allocator; /* NULL for the cpython baseline */
    const hl_py_config *config;
    int argc;
    char **argv;
} at_exit;

/* A growing line, written with one write() so that lines of concurrent
   processes never interleave (O_APPEND). */
typedef struct line_buffer {
    char text[8192];
    size_t used;
} line_buffer;

static void put(line_buffer *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(line_buffer *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->text + b->used, sizeof b->text - b->used, fmt, ap);
    va_end(ap);
    if (n > 0)
        b->used += (size_t)n < sizeof b->text - b->used ? (size_t)n
                                                         : sizeof b->text - b->used - 1;
}

/* A JSON string of at most `limit` source bytes. */
static void put_string(line_buffer *b, const char *s, size_t limit)
{
    put(b, "\"");
    for (size_t i = 0; s[i] && i < limit; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            put(b, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            put(b, "\\u%04x", c);
        else
            put(b, "%c", c);
    }
    put(b, "\"");
}

static void write_stats(void)
{
    const hl_py_config *config = at_exit.config;
    hl_allocator *a = at_exit.allocator;
    line_buffer b = {.used = 0};
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    put(&b, "{\"allocator\": ");
    put_string(&b, config->spec, 300);
    put(&b, ", \"domains\": \"%s\", \"pid\": %ld", config->mem_domain ? "obj,mem" : "obj",
        (long)getpid());
    if (a == NULL) {
        put(&b, ", \"malloc_calls\": null, \"calloc_calls\": null, \"realloc_calls\": null, "
                "\"free_calls\": null, \"failures\": null, \"live_blocks\": null, "
                "\"live_bytes\": null, \"peak_live_bytes\": null, "
                "\"peak_mapped_bytes\": null, \"errors_detected\": null");
    } else {
        hl_alloc_stats s;
        hl_allocator_stats(a, &s);
        const hl_alloc_counts *c = &s.counts;
        bool sized = hl_allocator_can_size(a);
        put(&b,
            ", \"malloc_calls\": %llu, \"calloc_calls\": %llu, \"realloc_calls\": %llu, "
            "\"free_calls\": %llu, \"failures\": %llu, \"live_blocks\": %zu",
            (unsigned long long)c->mallocs, (unsigned long long)c->callocs,
            (unsigned long long)c->reallocs, (unsigned long long)c->frees,
            (unsigned long long)c->failures, c->live_blocks);
        if (sized)
            put(&b, ", \"live_bytes\": %zu, \"peak_live_bytes\": %zu", c->live_bytes,
                c->peak_bytes);
        else
            put(&b, ", \"live_bytes\": null, \"peak_live_bytes\": null");
        if (s.impl.mapped_known)
            put(&b, ", \"peak_mapped_bytes\": %zu", s.impl.peak_mapped_bytes);
        else
            put(&b, ", \"peak_mapped_bytes\": null");
        put(&b, ", \"errors_detected\": %llu", (unsigned long long)s.impl.errors_detected);
    }
    put(&b, ", \"peak_rss_kib\": %ld, \"validate\": ", usage.ru_maxrss);
    char why[400] = "ok";
    hl_alloc_stats final;
    if (a == NULL) {
        snprintf(why, sizeof why, "n/a");
    } else if (hl_allocator_validate(a, why, sizeof why)) {
        hl_allocator_stats(a, &final);
        if (final.impl.errors_detected > 0)
            snprintf(why, sizeof why, "%llu misuses caught by the allocator",
                     (unsigned long long)final.impl.errors_detected);
        else
            snprintf(why, sizeof why, "ok");
    }
    put_string(&b, why, sizeof why);
    put(&b, ", \"argv\": ");
    char args[512];
    size_t used = 0;
    args[0] = '\0';
    for (int i = 1; i < at_exit.argc && used < sizeof args; i++) {
        int n = snprintf(args + used, sizeof args - used, "%s%s", i > 1 ? " " : "",
                         at_exit.argv[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    put_string(&b, args, 300);
    put(&b, "}\n");
    /* Opened only now: a descriptor held open for the whole run would be
       inherited and show up in the tests of fd inheritance. */
    int fd = open(config->stats, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0 || write(fd, b.text, b.used) != (ssize_t)b.used)
        fprintf(stderr, "heaplab python: cannot write stats to %s\n", config->stats);
    if (fd >= 0)
        close(fd);
}

void hl_py_stats_at_exit(hl_allocator *allocator, const hl_py_config *config, int argc,
                         char **argv)
{
    at_exit.allocator = allocator;
    at_exit.config = config;
    at_exit.argc = argc;
    at_exit.argv = argv;
    /* C's atexit, not Python's: Py_Exit (sys.exit under -c, SystemExit from
       PyErr_Print) ends the process with exit() and never returns to main. */
    atexit(write_stats);
}
