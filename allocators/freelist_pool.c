/*
 * allocators/freelist_pool.c — `freelist_pool`: CPython's obmalloc with the
 * 64-bit geometry of 3.10–3.13, every free block of a pool linked through
 * its own first word.
 *
 * Strategy.  Requests of 1..512 bytes are rounded up to a multiple of 16 and
 * served from pools of POOL_BYTES (16 KiB) that hold blocks of one size
 * only; pools come from arenas of ARENA_BYTES (1 MiB) mapped from the
 * system (pool_arena.c).  Requests of 0 or over 512 bytes, and realloc of
 * such blocks, go to the C library's malloc ("raw blocks").  The geometry is
 * the create() argument "POOL_BYTES,ARENA_BYTES"; "4096,262144" is the
 * classic one of CPython 3.9 and before.
 *
 *   size class     blocks per 16 KiB pool     blocks per 4 KiB pool
 *   0:  16 bytes            1021                       253
 *   1:  32 bytes             510                       126
 *   7: 128 bytes             127                        31
 *  31: 512 bytes              31                         7
 *
 * One pool ("virgin" blocks are carved lazily, one ahead of need, never
 * all at once, so a pool touches only the pages it has used):
 *
 *                   block 0  block 1  block 2  block 3
 *   +-------------+--------+--------+--------+--------+--------------+-----+
 *   | header (48) |  used  |  free  |  used  |  free  |  virgin ...  |waste|
 *   +-------------+--------+--------+--------+--------+--------------+-----+
 *                                                     ^nextoffset
 *   freeblock -> block 3 -> block 1 -> NULL: a LIFO list through the first
 *   word of each free block.  maxnextoffset = POOL_BYTES - size, the offset
 *   of the last block that fits.
 *
 * Fast paths (instructions measured with callgrind: see "Cost" below).
 * malloc pops the first block of the first used pool of its class; one
 * unlikely branch covers "no used pool" (the class ring holds only its
 * sentinel, whose freeblock is NULL) and "this is the pool's last listed
 * block", after which one more block must be carved or the pool becomes
 * full.  free pushes the block on its pool's list; one unlikely branch
 * covers raw blocks, a pool that was full (it rejoins its ring) and a pool
 * that becomes empty (it goes back to its arena).
 *
 * Differences from CPython's obmalloc.  Arenas are aligned to their size,
 * so no pool is lost to alignment and the radix tree holds a bit per arena;
 * raw blocks carry a 16-byte link so destroy() can free them; the state is
 * one struct per instance instead of a process-wide one; the class rings
 * have real sentinels rather than obmalloc's overlapping usedpools trick.
 *
 * Cost.  A malloc+free pair of a 64-byte block whose pool stays in use,
 * called through the vtable, is 58 instructions with gcc 12.2 -O2 on x86-64
 * (malloc 17, free 32, the calling loop 9) and 56 with clang 14 -O2:
 * valgrind --tool=callgrind over runs of N and 2N pairs, the difference
 * divided by N.  19 of free's 32 are the radix-tree lookup.
 */
#include "pool_arena.h"
#include "registry.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct freelist_block {
    struct freelist_block *next; /* next free block of the pool, or NULL */
} freelist_block;

/*
 * A pool header.  With size the class's block size and
 *   virgin = nextoffset <= maxnextoffset ? (maxnextoffset - nextoffset) / size + 1 : 0,
 * every pool in use satisfies
 *   base.count + |freeblock list| + virgin == base.capacity
 *     == (POOL_BYTES - 48) / size,
 * every block on the freeblock list lies on the block grid below nextoffset,
 * once; and by state (see hl_pool):
 *   used   0 < count < capacity, freeblock != NULL    its class ring
 *   full   count == capacity, freeblock == NULL       no list
 *   empty  count == 0, the rest kept as last used     its arena's freepools
 * A pool on a ring never has an empty freeblock list: the block after the
 * last listed one is carved as soon as that one is handed out.
 */
typedef struct freelist_pool {
    hl_pool base;              /* ring links, count, capacity, arena, class */
    freelist_block *freeblock; /* free blocks, last-freed first; NULL when full */
    uint32_t nextoffset;       /* offset of the first virgin block */
    uint32_t maxnextoffset;    /* POOL_BYTES - size: the last block's offset */
} freelist_pool;

#define POOL_OVERHEAD ((uint32_t)sizeof(freelist_pool))
_Static_assert(sizeof(freelist_pool) == 48, "obmalloc's 64-bit pool header is 48 bytes");
_Static_assert(sizeof(freelist_pool) % HL_POOL_ALIGNMENT == 0, "blocks must stay aligned");

/*
 * One allocator instance.  usedpools[c] is the sentinel of the ring of
 * class c (hl_arenas.rings[c] points at it): its freeblock stays NULL and
 * its count 0, and the ring holds exactly the used pools of class c, the
 * one malloc draws from first.
 */
typedef struct freelist_heap {
    hl_arenas arenas;                         /* first: see hl_pool_destroy and kin */
    freelist_pool usedpools[HL_POOL_CLASSES]; /* ring sentinels */
} freelist_heap;

_Static_assert(offsetof(freelist_heap, arenas) == 0,
               "hl_pool_* vtable entries take the heap for its arenas");

static freelist_block *carve(freelist_pool *pool, uint32_t size)
{
    freelist_block *block = (freelist_block *)((char *)pool + pool->nextoffset);
    pool->nextoffset += size;
    return block;
}

/* The link of a free block, read by the allocator itself; the block stays
   closed to everyone else (pool_track.h).  Empty in ordinary builds. */
static inline freelist_block *next_free(freelist_block *block)
{
    hl_track_open(block, sizeof *block);
    freelist_block *next = block->next;
    hl_track_close(block, sizeof *block);
    return next;
}

/* ---- the hooks of the shared slow paths (pool_arena.h) ------------------- */

static void freelist_layout(size_t pool_bytes, uint32_t szidx, uint32_t *capacity, uint32_t *offset)
{
    *capacity = (uint32_t)((pool_bytes - POOL_OVERHEAD) / hl_pool_class_size(szidx));
    *offset = POOL_OVERHEAD;
}

/* An empty list and every block virgin. */
static void init_pool(const hl_arenas *a, hl_pool *base)
{
    freelist_pool *pool = (freelist_pool *)base;
    pool->freeblock = NULL;
    pool->nextoffset = POOL_OVERHEAD;
    pool->maxnextoffset = (uint32_t)a->pool_bytes - hl_pool_class_size(base->szidx);
}

/* The first listed block, or the first virgin one of a pool just laid out;
   when that empties the list, the next virgin block is carved onto it, so
   a pool on a ring always has a listed block. */
static void *take_block(hl_pool *base, uint32_t size)
{
    freelist_pool *pool = (freelist_pool *)base;
    freelist_block *block = pool->freeblock;
    if (block != NULL)
        pool->freeblock = next_free(block);
    else
        block = carve(pool, size);
    if (pool->freeblock == NULL && pool->nextoffset <= pool->maxnextoffset) {
        pool->freeblock = carve(pool, size);
        pool->freeblock->next = NULL;
        hl_track_close(pool->freeblock, size);
    }
    return block;
}

/* Pushes a block on its pool's list and closes it to everyone else. */
static inline void put_block(hl_pool *base, void *block)
{
    freelist_pool *pool = (freelist_pool *)base;
    ((freelist_block *)block)->next = pool->freeblock;
    pool->freeblock = block;
    hl_track_free(block, hl_pool_class_size(base->szidx));
}

/* ---- the fast paths ------------------------------------------------------ */

static HL_NOINLINE void *freelist_malloc_slow(freelist_heap *h, size_t size)
{
    return hl_pool_malloc_slow(&h->arenas, size, init_pool, take_block);
}

static void *freelist_malloc(void *ctx, size_t size)
{
    freelist_heap *h = ctx;
    if (hl_likely(size - 1 < HL_POOL_SMALL_MAX)) {
        size_t szidx = hl_pool_class_of(size);
        freelist_pool *pool = (freelist_pool *)h->usedpools[szidx].base.next;
        freelist_block *block = pool->freeblock;
        if (hl_likely(block != NULL)) {
            hl_track_open(block, sizeof *block); /* handed out next, or the slow path's */
            freelist_block *next = block->next;
            if (hl_likely(next != NULL)) {
                pool->freeblock = next;
                pool->base.count++;
                hl_track_alloc(block, hl_pool_class_size((uint32_t)szidx));
                return block;
            }
        }
    }
    return freelist_malloc_slow(h, size);
}

static HL_NOINLINE void freelist_free_slow(freelist_heap *h, void *block)
{
    hl_pool_free_slow(&h->arenas, block, put_block);
}

static void freelist_free(void *ctx, void *block)
{
    freelist_heap *h = ctx;
    if (hl_likely(hl_arenas_owns(&h->arenas, block))) {
        freelist_pool *pool = (freelist_pool *)hl_arenas_pool_of(&h->arenas, block);
        if (hl_likely(pool->freeblock != NULL && pool->base.count > 1)) {
            put_block(&pool->base, block);
            pool->base.count--;
            return;
        }
    }
    freelist_free_slow(h, block);
}

/* ---- the other hooks of the kind ----------------------------------------- */

/* The counting identity and the free list of one carved pool. */
static bool freelist_check_pool(const hl_arenas *a, const hl_pool *base, char *why, size_t why_size)
{
    const freelist_pool *pool = (const freelist_pool *)base;
    if (base->szidx == HL_POOL_NO_CLASS)
        return true; /* carved, never used: nothing but the prefix is set */
    uint32_t size = hl_pool_class_size(base->szidx);
    uint32_t next = pool->nextoffset, max = pool->maxnextoffset;
    if (max != a->pool_bytes - size || next < POOL_OVERHEAD || (next - POOL_OVERHEAD) % size != 0 ||
        next > max + size)
        return hl_pool_refuse(why, why_size, "pool %p of class %u: nextoffset %u, maxnextoffset %u",
                              (const void *)pool, base->szidx, next, max);
    size_t virgin = next <= max ? (max - next) / size + 1 : 0, listed = 0;
    uint64_t seen[HL_POOL_MAX_BYTES / HL_POOL_ALIGNMENT / 64];
    for (size_t w = 0; w < (base->capacity + 63) / 64; w++)
        seen[w] = 0;
    for (freelist_block *b = pool->freeblock; b != NULL; b = next_free(b)) {
        uintptr_t offset = (uintptr_t)b - (uintptr_t)pool;
        size_t index = (offset - POOL_OVERHEAD) / size;
        if ((uintptr_t)b < (uintptr_t)pool + POOL_OVERHEAD || offset >= next ||
            (offset - POOL_OVERHEAD) % size != 0 || ++listed > base->capacity ||
            (seen[index / 64] >> (index % 64) & 1))
            return hl_pool_refuse(why, why_size, "pool %p of class %u: bad free block %p",
                                  (const void *)pool, base->szidx, (const void *)b);
        seen[index / 64] |= (uint64_t)1 << (index % 64);
    }
    if (base->count + listed + virgin != base->capacity)
        return hl_pool_refuse(
            why, why_size, "pool %p of class %u: %u in use + %zu free + %zu virgin != %u",
            (const void *)pool, base->szidx, base->count, listed, virgin, base->capacity);
    if ((pool->freeblock == NULL) != (base->count == base->capacity))
        return hl_pool_refuse(why, why_size,
                              "pool %p: free list empty but not full, or full "
                              "with a free list",
                              (const void *)pool);
    return true;
}

/*
 * The live blocks of one pool: the carved blocks below nextoffset that are
 * not on the free list.  One pass down the list marks its members in a
 * bitmap of the carved blocks; a full pool (no list) skips even that.  The
 * live ones are then the clear bits, found a word at a time.
 */
static void freelist_visit_pool(const hl_arenas *a, hl_pool *base, hl_block_visitor fn, void *arg)
{
    (void)a;
    freelist_pool *pool = (freelist_pool *)base;
    uint32_t size = hl_pool_class_size(base->szidx);
    uint32_t carved = (pool->nextoffset - POOL_OVERHEAD) / size;
    char *first = (char *)pool + POOL_OVERHEAD;
    uint64_t listed[HL_POOL_MAX_BYTES / HL_POOL_ALIGNMENT / 64];
    uint32_t words = (carved + 63) / 64;
    memset(listed, 0, words * sizeof *listed);
    if (carved % 64 != 0)
        listed[words - 1] = ~(uint64_t)0 << (carved % 64); /* past the last carved block */
    if (base->count != carved)
        for (freelist_block *b = pool->freeblock; b != NULL; b = next_free(b)) {
            uint32_t index = (uint32_t)((const char *)b - first) / size;
            listed[index / 64] |= (uint64_t)1 << (index % 64);
        }
    for (uint32_t w = 0; w < words; w++)
        for (uint64_t live = ~listed[w]; live != 0; live &= live - 1) {
            uint32_t index = w * 64 + (uint32_t)__builtin_ctzll(live);
            fn(first + (size_t)index * size, size, arg);
        }
}

static const hl_pool_kind freelist_kind;

static void *freelist_create(hl_alloc_config *config)
{
    return hl_pool_create(config, &freelist_kind);
}

static const hl_allocator_ops freelist_ops = {
    .name = "freelist_pool",
    .description = "CPython obmalloc: 16-byte classes to 512, pools with free lists, arenas",
    .create = freelist_create,
    .destroy = hl_pool_destroy,
    .malloc = freelist_malloc,
    .calloc = hl_pool_calloc,
    .realloc = hl_pool_realloc,
    .free = freelist_free,
    .impl_stats = hl_pool_impl_stats,
    .validate = hl_pool_validate,
    .print_stats = hl_pool_print_stats,
    .usable_size = hl_pool_usable_size,
    .visit_blocks = hl_pool_visit_blocks,
};

static const hl_pool_kind freelist_kind = {
    .ops = &freelist_ops,
    .heap_bytes = sizeof(freelist_heap),
    .rings_offset = offsetof(freelist_heap, usedpools),
    .header_bytes = sizeof(freelist_pool),
    .layout = freelist_layout,
    .check_pool = freelist_check_pool,
    .visit_pool = freelist_visit_pool,
};

const hl_allocator_ops *hl_allocator_freelist_pool(void)
{
    return &freelist_ops;
}
