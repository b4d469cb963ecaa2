/*
 * allocators/allocator.h — the allocator layer of heaplab.
 *
 *      callers (object model, trace replay, suites)
 *            |  hl_mem_malloc / calloc / realloc / free   (inline, below)
 *            v
 *      +--------------------------+
 *      |  hl_allocator (dispatch) |  edge cases, overflow, byte and call counts
 *      +--------------------------+
 *            |  ops->malloc(ctx, ...)
 *            v
 *      [ wrapper: debug, failafter=N ]*    optional, each one an implementation
 *            |                             that owns an inner hl_allocator
 *            v
 *      implementation: malloc, freelist_pool, bitmap_pool, mimalloc, ...
 *
 * Semantics are CPython's PyMemAllocatorEx: a table of function pointers whose
 * first argument is the implementation's context, and free() takes no size.
 *
 * Who guarantees what.  The dispatch layer (hl_mem_*) guarantees to every
 * implementation:
 *   - calloc's nelem * elsize does not overflow, and no request exceeds
 *     HL_ALLOC_MAX_REQUEST (so size arithmetic inside implementations is safe);
 *   - realloc is never called with a NULL pointer (that is a malloc) and free
 *     is never called with NULL.
 * Every implementation guarantees to the dispatch layer:
 *   - blocks are aligned to HL_ALLOC_ALIGNMENT (16) bytes;
 *   - malloc(0) and calloc(0, 0) return a unique non-NULL block;
 *   - calloc returns zeroed memory;
 *   - realloc preserves min(old, new) bytes and leaves the old block intact
 *     when it fails;
 *   - every failure returns NULL and changes nothing;
 *   - destroy returns every byte it took from the system, even while blocks
 *     are still live.
 *
 * Byte counting.  Callers of the dispatch layer pass the requested size of
 * the block they free or resize (the object model and the trace replay both
 * know it), so live and peak requested bytes are exact without a per-block
 * header that would distort the size classes being measured.  The size only
 * feeds the counters; implementations never see it, as in PyMemAllocatorEx.
 */
#ifndef HEAPLAB_ALLOCATOR_H
#define HEAPLAB_ALLOCATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HL_ALLOC_ALIGNMENT 16
/*
 * The largest request, 2^36 bytes (64 GiB); anything larger fails in the
 * dispatch layer with NULL, counted as a failure, before an implementation
 * sees it.  One value for every build: under SAN=1 the C library's malloc
 * is AddressSanitizer's, which aborts on requests over its own maximum
 * (2^40 on x86-64) instead of returning NULL, so the cap sits well below
 * that and both builds fail such requests identically.  The trace loader
 * refuses larger sizes as malformed for the same reason.
 */
#define HL_ALLOC_MAX_REQUEST ((size_t)1 << 36)

#if defined(__GNUC__)
#define hl_likely(x) __builtin_expect(!!(x), 1)
#define hl_unlikely(x) __builtin_expect(!!(x), 0)
#else
#define hl_likely(x) (x)
#define hl_unlikely(x) (x)
#endif

typedef struct hl_allocator hl_allocator;

/*
 * What an implementation knows of its own memory.  Fields an implementation
 * cannot know stay 0 and the matching *_known flag stays false; reports print
 * "n/a" for them rather than a made-up figure.
 */
typedef struct hl_alloc_impl_stats {
    size_t mapped_bytes;      /* bytes currently obtained from the system */
    size_t peak_mapped_bytes; /* high-water mark of mapped_bytes */
    bool mapped_known;        /* false: the implementation cannot tell */
    uint64_t errors_detected; /* misuse caught by a checking wrapper (debug) */
} hl_alloc_impl_stats;

/* Counters kept by the dispatch layer; identical meaning for every stack. */
typedef struct hl_alloc_counts {
    size_t live_bytes;     /* requested bytes in live blocks */
    size_t peak_bytes;     /* high-water mark of live_bytes */
    size_t live_blocks;    /* blocks allocated and not yet freed */
    uint64_t mallocs;      /* successful malloc calls */
    uint64_t callocs;      /* successful calloc calls */
    uint64_t reallocs;     /* successful realloc calls (NULL input excluded) */
    uint64_t frees;        /* free calls with a non-NULL block */
    uint64_t failures;     /* calls that returned NULL */
} hl_alloc_counts;

typedef struct hl_alloc_stats {
    hl_alloc_counts counts;
    hl_alloc_impl_stats impl;
} hl_alloc_stats;

/*
 * Configuration handed to create().  `arg` is the text after '=' in the
 * implementation's name on the command line ("failafter=1000" -> "1000",
 * "freelist_pool=4096,262144" -> "4096,262144"), or NULL.  `inner` is set for
 * wrappers only: an allocator already opened for them, which they own from
 * then on and close in their destroy.
 */
typedef struct hl_alloc_config {
    const char *arg;
    hl_allocator *inner;
    char *error;           /* create() may write a reason here on failure */
    size_t error_size;
} hl_alloc_config;

/*
 * One implementation.  Each lives in its own .c file whose only external
 * symbol returns a pointer to its `static const` table; allocators/registry.c
 * lists them by name.
 */
typedef struct hl_allocator_ops {
    const char *name;        /* short name used on the command line */
    const char *description; /* one line for `heaplab list` */
    bool is_wrapper;         /* needs an inner allocator: "name:inner" */

    /* NULL when always available; otherwise says why it is not (e.g. the
       shared library is not installed), writing the reason to `why`. */
    bool (*available)(char *why, size_t why_size);

    void *(*create)(hl_alloc_config *config);
    void (*destroy)(void *ctx);

    void *(*malloc)(void *ctx, size_t size);
    void *(*calloc)(void *ctx, size_t nelem, size_t elsize);
    void *(*realloc)(void *ctx, void *block, size_t size);
    void (*free)(void *ctx, void *block);

    void (*impl_stats)(void *ctx, hl_alloc_impl_stats *out);

    /* Optional.  Checks every written invariant of the implementation's
       structures; returns false and describes the first violation in `why`. */
    bool (*validate)(void *ctx, char *why, size_t why_size);

    /* Optional.  Prints sys._debugmallocstats-like detail to `out` (FILE *). */
    void (*print_stats)(void *ctx, void *out);

    /* Optional.  The bytes usable at `block`, a live block of this
       allocator: exact, never an estimate, and at least the size it was
       requested with.  Lets a client that frees without a size (CPython's
       PyMem API) count live bytes exactly. */
    size_t (*usable_size)(void *ctx, void *block);

    /* Optional.  Calls fn(block, usable, arg) once for every live block
       (allocated and not freed), never for a free one; usable is what
       usable_size would return.  Within one pool blocks come in address
       order.  fn must not allocate or free on this allocator.  Returns false
       when it cannot walk its heap (a wrapper over an allocator that
       cannot).  This is how the free-threaded build's collector finds its
       objects: by walking the allocator's pages, not a list. */
    bool (*visit_blocks)(void *ctx, void (*fn)(void *block, size_t usable, void *arg),
                         void *arg);
} hl_allocator_ops;

/* The callback of visit_blocks. */
typedef void (*hl_block_visitor)(void *block, size_t usable, void *arg);

/*
 * The dispatch object.  Invariants: ops and ctx are set for its whole life;
 * counts.live_bytes <= counts.peak_bytes; counts.live_blocks equals
 * mallocs + callocs - frees (reallocs move a block, they do not add one).
 */
struct hl_allocator {
    const hl_allocator_ops *ops; /* the outermost implementation */
    void *ctx;                   /* its context */
    hl_alloc_counts counts;      /* kept by the functions below */
    char *spec;                  /* the full name it was opened with */
};

/*
 * Opens "name", "name=arg" or a wrapper chain such as
 * "debug:failafter=1000:freelist_pool".  On failure returns NULL and writes
 * a message to err (unknown name, unavailable library, bad argument).
 */
hl_allocator *hl_allocator_open(const char *spec, char *err, size_t err_size);
/* Returns everything to the system, live blocks included. */
void hl_allocator_close(hl_allocator *a);

void hl_allocator_stats(const hl_allocator *a, hl_alloc_stats *out);
bool hl_allocator_validate(const hl_allocator *a, char *why, size_t why_size);

/*
 * The optional slots, through the chain of wrappers.  A wrapper's context
 * starts with the hl_allocator * of its inner allocator (debug and failafter
 * assert it), so the capabilities of a chain are those of its innermost
 * implementation: a wrapper only translates.
 *
 * hl_mem_usable_size: 0 when the allocator cannot tell.
 * hl_allocator_visit_blocks: false when the allocator cannot walk its heap.
 * hl_allocator_can_visit / can_size: whether those two will work, without
 * calling them (for `heaplab list` and for clients choosing a strategy).
 */
size_t hl_mem_usable_size(hl_allocator *a, void *block);
bool hl_allocator_visit_blocks(hl_allocator *a, hl_block_visitor fn, void *arg);
bool hl_allocator_can_visit(const hl_allocator *a);
bool hl_allocator_can_size(const hl_allocator *a);

/* Slow paths of the inline functions below (allocators/dispatch.c). */
void *hl_mem_fail(hl_allocator *a);
void hl_mem_count_peak(hl_alloc_counts *c);

/* ---- the dispatch fast paths ------------------------------------------ */

static inline void hl_mem_count_alloc(hl_allocator *a, size_t size)
{
    a->counts.live_bytes += size;
    a->counts.live_blocks++;
    if (hl_unlikely(a->counts.live_bytes > a->counts.peak_bytes))
        hl_mem_count_peak(&a->counts);
}

static inline void *hl_mem_malloc(hl_allocator *a, size_t size)
{
    if (hl_unlikely(size > HL_ALLOC_MAX_REQUEST))
        return hl_mem_fail(a);
    void *p = a->ops->malloc(a->ctx, size);
    if (hl_unlikely(p == NULL))
        return hl_mem_fail(a);
    a->counts.mallocs++;
    hl_mem_count_alloc(a, size);
    return p;
}

static inline void *hl_mem_calloc(hl_allocator *a, size_t nelem, size_t elsize)
{
    if (hl_unlikely(elsize != 0 && nelem > HL_ALLOC_MAX_REQUEST / elsize))
        return hl_mem_fail(a);
    void *p = a->ops->calloc(a->ctx, nelem, elsize);
    if (hl_unlikely(p == NULL))
        return hl_mem_fail(a);
    a->counts.callocs++;
    hl_mem_count_alloc(a, nelem * elsize);
    return p;
}

/* old_size: the size the block was requested with (0 when block is NULL). */
static inline void *hl_mem_realloc(hl_allocator *a, void *block, size_t old_size,
                                   size_t size)
{
    if (block == NULL)
        return hl_mem_malloc(a, size);
    if (hl_unlikely(size > HL_ALLOC_MAX_REQUEST))
        return hl_mem_fail(a);
    void *p = a->ops->realloc(a->ctx, block, size);
    if (hl_unlikely(p == NULL))
        return hl_mem_fail(a);
    a->counts.reallocs++;
    a->counts.live_bytes -= old_size;
    a->counts.live_blocks--;
    hl_mem_count_alloc(a, size);
    return p;
}

/* size: the size the block was requested with. */
static inline void hl_mem_free(hl_allocator *a, void *block, size_t size)
{
    if (block == NULL)
        return;
    a->ops->free(a->ctx, block);
    a->counts.frees++;
    a->counts.live_bytes -= size;
    a->counts.live_blocks--;
}

#endif /* HEAPLAB_ALLOCATOR_H */
