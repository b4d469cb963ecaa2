/*
 * allocators/bitmap_pool.c — `bitmap_pool`: obmalloc's size classes, pools
 * and arenas (pool_arena.c), but each pool records which blocks are in use
 * in an occupancy bitmap in its header instead of a list through its free
 * blocks.  Same geometry and argument as freelist_pool: 16-byte classes up
 * to 512 bytes, "POOL_BYTES,ARENA_BYTES" (default 16384,1048576), requests
 * of 0 or over 512 bytes to the C library.
 *
 * One pool (bit i of the map set: block i handed out; bits past the last
 * block are set too, so they are never chosen):
 *
 *   +-------------+------------------+------+-------+-------+-- ... --+-----+
 *   | header (48) | map: capacity/64 | pad  | block | block |         |waste|
 *   |             | words, rounded up| to 16|   0   |   1   |         |     |
 *   +-------------+------------------+------+-------+-------+-- ... --+-----+
 *                 ^hint: every word below it is full       ^first_offset
 *
 *   block size   blocks per 16 KiB pool, bitmap (free list)   per 4 KiB pool
 *       16             1013 (1021)                              251 (253)
 *       32              508  (510)                              126 (126)
 *       64              254  (255)                               63  (63)
 *   128-512            same as the free list                 same
 *
 * malloc takes the lowest clear bit of the word at hint (count trailing
 * zeros of its complement); when that word is full the slow path scans up
 * from it.  free clears the block's bit, found by multiplying the block's
 * offset by a per-class reciprocal instead of dividing, and lowers hint.
 *
 * Trade-off against the free list (freelist_pool.c):
 *   - Metadata: one bit per block in the header, 8 to 128 bytes a pool at
 *     16 KiB; it costs up to 8 blocks of the 16-byte class (0.8 %) and none
 *     from 128 bytes up.  The free list needs no space beyond the header:
 *     its links live in the free blocks themselves.
 *   - Cache lines: malloc and free touch the pool header and one map word
 *     (the first two words share the header's line) and never the block.
 *     The free list reads the popped block's first word, which may be cold
 *     if it was freed long ago, and writes the freed block's.
 *   - Work: the free list pops in O(1) and carves a pool lazily, one block
 *     ahead.  The bitmap needs no carving (taking the lowest clear bit also
 *     touches a fresh pool's pages in order) but clears its map when a pool
 *     is first used for a class, and a full hint word sends malloc to the
 *     slow path's scan of up to capacity/64 words.  Lowest-address-first
 *     reuse keeps live blocks packed at a pool's start; the free list
 *     reuses the last block freed, likely still in cache.
 *   - Safety: freed blocks are never written, so a use-after-free write
 *     cannot corrupt the allocator (with the free list it can redirect a
 *     later malloc to any address), and a double free clears a bit that is
 *     already clear, leaving a count that validate reports, instead of
 *     listing the block twice so that it is handed out twice.
 *
 * Cost.  A malloc+free pair of a 64-byte block whose pool stays in use,
 * called through the vtable, is 89 instructions with gcc 12.2 -O2 on x86-64
 * (malloc 32, free 48, the calling loop 9) and 84 with clang 14 -O2:
 * valgrind --tool=callgrind over runs of N and 2N pairs, the difference
 * divided by N.  freelist_pool's pair is 58: free spends the same 19 on the
 * radix-tree lookup, then 8 more turning the address into a bit index.
 */
#include "pool_arena.h"
#include "registry.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A pool header, followed by its map of words = ceil(capacity / 64) words.
 * With padding = the bits of map[words - 1] at or above capacity % 64,
 * every pool that has been used satisfies
 *   popcount(map) == base.count + |padding|, the padding bits all set,
 *   every map word below hint is all ones, and hint <= words;
 * a used pool therefore has a clear bit at or above hint.  By state (see
 * hl_pool): used 0 < count < capacity, on its class ring; full count ==
 * capacity, on no list; empty count == 0, so its map is clear but for the
 * padding and hint is 0, which lets it be taken again for the same class
 * without initialisation.
 */
typedef struct bitmap_pool {
    hl_pool base;          /* ring links, count, capacity, arena, class */
    uint32_t hint;         /* every map word below it is full */
    uint32_t block_size;   /* bytes per block, from the class */
    uint32_t first_offset; /* offset of block 0 from the pool's start */
    uint32_t reciprocal;   /* ceil(2^31 / (block_size / 16)): offset -> index */
} bitmap_pool;

_Static_assert(sizeof(bitmap_pool) == 48, "the map follows a 48-byte header");

/*
 * One allocator instance.  usedpools[c] is the sentinel of the ring of
 * class c (hl_arenas.rings[c] points at it): count and capacity 0, so the
 * fast path never reads its map, and the ring holds exactly the used pools
 * of class c.
 */
typedef struct bitmap_heap {
    hl_arenas arenas;                       /* first: see hl_pool_destroy and kin */
    bitmap_pool usedpools[HL_POOL_CLASSES]; /* ring sentinels */
} bitmap_heap;

_Static_assert(offsetof(bitmap_heap, arenas) == 0,
               "hl_pool_* vtable entries take the heap for its arenas");

static inline uint64_t *pool_map(bitmap_pool *pool)
{
    return (uint64_t *)(pool + 1);
}

static uint32_t map_words(uint32_t capacity)
{
    return (capacity + 63) / 64;
}

static uint32_t first_offset(uint32_t capacity)
{
    uint32_t header = (uint32_t)sizeof(bitmap_pool) + map_words(capacity) * 8;
    return (header + HL_POOL_ALIGNMENT - 1) & ~(HL_POOL_ALIGNMENT - 1);
}

static uint32_t reciprocal(uint32_t szidx)
{
    return (uint32_t)((((uint64_t)1 << 31) + szidx) / (szidx + 1));
}

/* Exact for every block offset: index * (szidx + 1) * reciprocal stays
   below index * 2^31 + 2^31 as long as index < 2^31 / 32. */
static inline uint32_t block_index(const bitmap_pool *pool, const void *block)
{
    uint64_t units =
        ((uintptr_t)block - (uintptr_t)pool - pool->first_offset) >> HL_POOL_ALIGNMENT_SHIFT;
    return (uint32_t)((units * pool->reciprocal) >> 31);
}

/* ---- the hooks of the shared slow paths (pool_arena.h) ------------------- */

/* As many blocks as fit after the header and a map with a bit for each. */
static void bitmap_layout(size_t pool_bytes, uint32_t szidx, uint32_t *capacity, uint32_t *offset)
{
    uint32_t size = hl_pool_class_size(szidx);
    uint32_t n = ((uint32_t)pool_bytes - (uint32_t)sizeof(bitmap_pool)) / size;
    while (first_offset(n) + n * size > pool_bytes)
        n--;
    *capacity = n;
    *offset = first_offset(n);
}

/* A clear map (but for the padding bits) and the class's constants. */
static void init_pool(const hl_arenas *a, hl_pool *base)
{
    bitmap_pool *pool = (bitmap_pool *)base;
    uint32_t capacity = base->capacity, words = map_words(capacity);
    pool->hint = 0;
    pool->block_size = hl_pool_class_size(base->szidx);
    pool->first_offset = a->class_offset[base->szidx];
    pool->reciprocal = reciprocal(base->szidx);
    uint64_t *map = pool_map(pool);
    memset(map, 0, words * sizeof *map);
    if (capacity % 64 != 0)
        map[words - 1] = ~(uint64_t)0 << (capacity % 64);
}

/* The lowest clear bit at or above hint: the fast path found the hint word
   full, or declined a pool about to fill. */
static void *take_block(hl_pool *base, uint32_t block_size)
{
    (void)block_size; /* the pool's own, in its header */
    bitmap_pool *pool = (bitmap_pool *)base;
    uint64_t *map = pool_map(pool);
    uint32_t w = pool->hint;
    while (~map[w] == 0) /* ends: a used pool has a clear bit at or above hint */
        w++;
    uint32_t index = w * 64 + (uint32_t)__builtin_ctzll(~map[w]);
    map[w] |= map[w] + 1;
    pool->hint = w;
    return (char *)pool + pool->first_offset + (size_t)index * pool->block_size;
}

/* Clears the block's bit, lowers hint, and announces the block free. */
static inline void put_block(hl_pool *base, void *block)
{
    bitmap_pool *pool = (bitmap_pool *)base;
    hl_track_free(block, pool->block_size);
    uint32_t index = block_index(pool, block), w = index / 64;
    pool_map(pool)[w] &= ~((uint64_t)1 << (index % 64));
    pool->hint = w < pool->hint ? w : pool->hint;
}

/* ---- the fast paths ------------------------------------------------------ */

static HL_NOINLINE void *bitmap_malloc_slow(bitmap_heap *h, size_t size)
{
    return hl_pool_malloc_slow(&h->arenas, size, init_pool, take_block);
}

static void *bitmap_malloc(void *ctx, size_t size)
{
    bitmap_heap *h = ctx;
    if (hl_likely(size - 1 < HL_POOL_SMALL_MAX)) {
        bitmap_pool *pool = (bitmap_pool *)h->usedpools[hl_pool_class_of(size)].base.next;
        if (hl_likely(pool->base.count + 1 < pool->base.capacity)) {
            size_t w = pool->hint;
            uint64_t bits = pool_map(pool)[w];
            if (hl_likely(~bits != 0)) {
                size_t index = w * 64 + (size_t)__builtin_ctzll(~bits);
                pool_map(pool)[w] = bits | (bits + 1); /* sets the lowest clear bit */
                pool->base.count++;
                char *block = (char *)pool + pool->first_offset + index * pool->block_size;
                hl_track_alloc(block, pool->block_size);
                return block;
            }
        }
    }
    return bitmap_malloc_slow(h, size);
}

static HL_NOINLINE void bitmap_free_slow(bitmap_heap *h, void *block)
{
    hl_pool_free_slow(&h->arenas, block, put_block);
}

static void bitmap_free(void *ctx, void *block)
{
    bitmap_heap *h = ctx;
    if (hl_likely(hl_arenas_owns(&h->arenas, block))) {
        bitmap_pool *pool = (bitmap_pool *)hl_arenas_pool_of(&h->arenas, block);
        uint32_t count = pool->base.count;
        if (hl_likely(count > 1 && count < pool->base.capacity)) {
            put_block(&pool->base, block);
            pool->base.count = count - 1;
            return;
        }
    }
    bitmap_free_slow(h, block);
}

/* ---- the other hooks of the kind ----------------------------------------- */

/* The header and the map of one carved pool against the identities above. */
static bool bitmap_check_pool(const hl_arenas *a, const hl_pool *base, char *why, size_t why_size)
{
    const bitmap_pool *pool = (const bitmap_pool *)base;
    if (base->szidx == HL_POOL_NO_CLASS)
        return true; /* carved, never used: nothing but the prefix is set */
    uint32_t words = map_words(base->capacity), rest = base->capacity % 64;
    if (pool->block_size != hl_pool_class_size(base->szidx) ||
        pool->first_offset != a->class_offset[base->szidx] ||
        pool->reciprocal != reciprocal(base->szidx) || pool->hint > words)
        return hl_pool_refuse(why, why_size, "pool %p of class %u: header fields wrong",
                              (const void *)pool, base->szidx);
    const uint64_t *map = (const uint64_t *)(pool + 1);
    uint64_t padding = rest != 0 ? ~(uint64_t)0 << rest : 0;
    if ((map[words - 1] & padding) != padding)
        return hl_pool_refuse(why, why_size, "pool %p: a bit past its last block is clear",
                              (const void *)pool);
    size_t set = 0;
    for (uint32_t w = 0; w < words; w++) {
        if (w < pool->hint && ~map[w] != 0)
            return hl_pool_refuse(why, why_size, "pool %p: word %u below hint %u has room",
                                  (const void *)pool, w, pool->hint);
        set += (size_t)__builtin_popcountll(map[w]);
    }
    set -= (size_t)__builtin_popcountll(padding);
    if (set != base->count)
        return hl_pool_refuse(why, why_size, "pool %p of class %u: %zu bits set, count %u",
                              (const void *)pool, base->szidx, set, base->count);
    return true;
}

/* The live blocks of one pool are its set bits, less the padding bits
   past the last block, found a word at a time. */
static void bitmap_visit_pool(const hl_arenas *a, hl_pool *base, hl_block_visitor fn, void *arg)
{
    (void)a;
    bitmap_pool *pool = (bitmap_pool *)base;
    const uint64_t *map = pool_map(pool);
    uint32_t words = map_words(base->capacity), rest = base->capacity % 64;
    char *first = (char *)pool + pool->first_offset;
    for (uint32_t w = 0; w < words; w++) {
        uint64_t live = map[w];
        if (w == words - 1 && rest != 0)
            live &= ~(~(uint64_t)0 << rest);
        for (; live != 0; live &= live - 1) {
            uint32_t index = w * 64 + (uint32_t)__builtin_ctzll(live);
            fn(first + (size_t)index * pool->block_size, pool->block_size, arg);
        }
    }
}

static const hl_pool_kind bitmap_kind;

static void *bitmap_create(hl_alloc_config *config)
{
    return hl_pool_create(config, &bitmap_kind);
}

static const hl_allocator_ops bitmap_ops = {
    .name = "bitmap_pool",
    .description = "obmalloc's classes, pools and arenas with an occupancy bitmap per pool",
    .create = bitmap_create,
    .destroy = hl_pool_destroy,
    .malloc = bitmap_malloc,
    .calloc = hl_pool_calloc,
    .realloc = hl_pool_realloc,
    .free = bitmap_free,
    .impl_stats = hl_pool_impl_stats,
    .validate = hl_pool_validate,
    .print_stats = hl_pool_print_stats,
    .usable_size = hl_pool_usable_size,
    .visit_blocks = hl_pool_visit_blocks,
};

static const hl_pool_kind bitmap_kind = {
    .ops = &bitmap_ops,
    .heap_bytes = sizeof(bitmap_heap),
    .rings_offset = offsetof(bitmap_heap, usedpools),
    .header_bytes = sizeof(bitmap_pool),
    .layout = bitmap_layout,
    .check_pool = bitmap_check_pool,
    .visit_pool = bitmap_visit_pool,
};

const hl_allocator_ops *hl_allocator_bitmap_pool(void)
{
    return &bitmap_ops;
}
