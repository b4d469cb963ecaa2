/*
 * allocators/pool_arena.h — the mechanism under the pool allocators
 * (freelist_pool.c, bitmap_pool.c): arenas and the empty pools in them, the
 * radix tree that says whether an address lies in an arena, and the raw
 * blocks that bypass the pools.  CPython obmalloc's arena management, 3.10–3.13.
 * The mechanism is pool_arena.c; the statistics and the validation that
 * re-encodes the invariants below are pool_stats.c.
 *
 *      freelist_pool / bitmap_pool: size classes, blocks inside pools
 *         |  hl_arenas_take_pool / give_pool         | request 0 or > 512
 *         v                                          v
 *      hl_arenas: arena table, usable list,       raw blocks: the C library's
 *                 radix tree of arena addresses   malloc, each behind a link
 *         |  mmap / munmap of whole arenas, each aligned to its size
 *         v
 *      the operating system
 *
 *      one arena, ARENA_BYTES long and ARENA_BYTES aligned:
 *      +--------+--------+--------+-- ... --+--------+--------------------+
 *      | pool 0 | pool 1 | pool 2 |         | pool k |  never carved ...  |
 *      +--------+--------+--------+-- ... --+--------+--------------------+
 *      ^address                                      ^pool_address
 *      pools are handed out in address order the first time ("carved"), and
 *      once used and emptied they sit on the arena's freepools list.
 *
 * Geometry.  POOL_BYTES and ARENA_BYTES are powers of two with
 * 4 KiB <= POOL_BYTES <= 1 MiB and POOL_BYTES <= ARENA_BYTES <= 256 MiB, and
 * an arena at least a page; the default is CPython's 64-bit geometry, 16 KiB
 * pools in 1 MiB arenas (64 pools).  Because arenas are aligned to their
 * size, a block's pool is its address rounded down to POOL_BYTES and no
 * arena loses a pool to alignment.
 *
 * "Is this ours?"  A three-level radix tree over the 48 bits of a user-space
 * address: bits 47..39 pick a middle node, bits 38..30 a leaf, and the leaf
 * keeps one bit for each ARENA_BYTES slot of its 1 GiB span.  Nodes that
 * would be missing point at one shared empty middle node and one shared
 * all-zero leaf, so a lookup is three dependent loads and no NULL test;
 * real nodes are made when an arena is first mapped under them and kept
 * until the instance is destroyed, as in CPython.  An address with any of
 * bits 63..48 set is never ours (arenas mapped there are refused).
 *
 * Raw blocks.  Requests of 0 or over 512 bytes go to the C library's malloc,
 * as PyMem_RawMalloc does in CPython, but with a 16-byte link in front of
 * each: the raw blocks form a doubly linked ring, so destroy() can free the
 * ones still live (CPython never has to) and the count and bytes of raw
 * blocks are known.  The link keeps the 16-byte alignment malloc gives.
 *
 * Memory counted as mapped (impl_stats): whole arenas; raw blocks as
 * malloc_usable_size() reports them, link included; and the bookkeeping
 * taken from malloc: the instance struct, arena table, search fingers and
 * radix nodes.  Nothing else is taken from the system.
 */
#ifndef HEAPLAB_POOL_ARENA_H
#define HEAPLAB_POOL_ARENA_H

#include "allocator.h"
#include "pool_track.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define HL_NOINLINE __attribute__((noinline))
#else
#define HL_NOINLINE
#endif

/* ---- size classes ----------------------------------------------------- */

#define HL_POOL_ALIGNMENT_SHIFT 4
#define HL_POOL_ALIGNMENT (1u << HL_POOL_ALIGNMENT_SHIFT)
#define HL_POOL_SMALL_MAX 512u /* largest request served from a pool */
#define HL_POOL_CLASSES (HL_POOL_SMALL_MAX >> HL_POOL_ALIGNMENT_SHIFT)
#define HL_POOL_NO_CLASS UINT32_MAX /* szidx of a pool carved but never used */

#if HL_POOL_ALIGNMENT != HL_ALLOC_ALIGNMENT
#error "pool blocks must have the allocator layer's alignment"
#endif
#if HL_POOL_SMALL_MAX % HL_POOL_ALIGNMENT != 0 || HL_POOL_SMALL_MAX > 1024
#error "HL_POOL_SMALL_MAX must be a multiple of the alignment, at most 1024"
#endif

/*
 *   request size   block size   szidx
 *       1 - 16          16          0
 *      17 - 32          32          1
 *         ...          ...        ...
 *     497 - 512        512         31
 */
static inline size_t hl_pool_class_of(size_t size) /* size in 1..512 */
{
    return (size - 1) >> HL_POOL_ALIGNMENT_SHIFT;
}

static inline uint32_t hl_pool_class_size(uint32_t szidx)
{
    return (szidx + 1) << HL_POOL_ALIGNMENT_SHIFT;
}

/* ---- geometry --------------------------------------------------------- */

#define HL_POOL_DEFAULT_BYTES ((size_t)16 << 10)
#define HL_ARENA_DEFAULT_BYTES ((size_t)1 << 20)
#define HL_POOL_MIN_BYTES ((size_t)4 << 10)
#define HL_POOL_MAX_BYTES ((size_t)1 << 20)
#define HL_ARENA_MAX_BYTES ((size_t)256 << 20)

/* ---- pools ------------------------------------------------------------ */

/*
 * The first 32 bytes of every pool, whatever the allocator puts after them.
 * A pool is in one of three states, each with its own list:
 *   used   0 < count < capacity   on the ring of its size class (next, prev)
 *   full   count == capacity      on no list
 *   empty  count == 0             on its arena's freepools (next only)
 * A carved pool never used has count 0 and szidx HL_POOL_NO_CLASS; an empty
 * pool keeps the szidx and the rest of the header of its last use, so a
 * pool taken again for the same class needs no initialisation.
 */
typedef struct hl_pool {
    struct hl_pool *next; /* used: next on its class ring; empty: next free pool */
    struct hl_pool *prev; /* used: previous on its class ring */
    uint32_t count;       /* blocks handed out */
    uint32_t capacity;    /* blocks the pool holds (its class's capacity) */
    uint32_t arenaindex;  /* its arena's slot in hl_arenas.table */
    uint32_t szidx;       /* size class, or HL_POOL_NO_CLASS */
} hl_pool;

/* Class rings are circular through a sentinel pool that belongs to no arena. */
static inline void hl_pool_ring_init(hl_pool *sentinel)
{
    sentinel->next = sentinel->prev = sentinel;
}

static inline void hl_pool_ring_push(hl_pool *sentinel, hl_pool *pool)
{
    pool->prev = sentinel;
    pool->next = sentinel->next;
    sentinel->next->prev = pool;
    sentinel->next = pool;
}

static inline void hl_pool_ring_unlink(hl_pool *pool)
{
    pool->prev->next = pool->next;
    pool->next->prev = pool->prev;
    pool->next = pool->prev = NULL;
}

/* ---- arenas ----------------------------------------------------------- */

/*
 * One slot of the arena table.  A slot with address 0 is unused and on the
 * unused list (through nextarena).  A live arena satisfies
 *   nfreepools == |freepools| + (ntotalpools - carved pools),
 * and it is on the usable list exactly when nfreepools > 0.
 */
typedef struct hl_arena {
    uintptr_t address;          /* base of the mapping; 0 while unused */
    char *pool_address;         /* first pool never carved */
    uint32_t nfreepools;        /* empty pools: on freepools or never carved */
    uint32_t ntotalpools;       /* pools in the arena */
    hl_pool *freepools;         /* emptied pools, linked through next */
    struct hl_arena *nextarena; /* usable list, or unused list when unused */
    struct hl_arena *prevarena; /* usable list */
} hl_arena;

typedef struct hl_raw_link {
    struct hl_raw_link *next; /* ring of live raw blocks */
    struct hl_raw_link *prev;
} hl_raw_link; /* sits just before the raw block it links */

#define HL_RADIX_ADDRESS_BITS 48
#define HL_RADIX_TOP_SHIFT 39
#define HL_RADIX_MID_SHIFT 30
#define HL_RADIX_FANOUT 512

typedef struct hl_radix_mid {
    uint64_t *leaf[HL_RADIX_FANOUT]; /* one bit per arena slot of 1 GiB */
} hl_radix_mid;

/*
 * A kind of pool: what a pool allocator tells the shared code about itself.
 * The allocator's instance is one struct from malloc (heap_bytes long)
 * whose first member is its hl_arenas, with one ring sentinel per size
 * class at rings_offset, each a whole pool header of header_bytes, so that
 * its fast paths can read a sentinel as they read a pool.  The hooks are
 * what differs between the pools: where blocks start (layout), what only
 * the allocator can check of a pool (check_pool, called for every carved
 * pool), and which of a pool's blocks are live (visit_pool, called for a
 * carved pool with count > 0; it must call fn for each live block in
 * address order).  How a block is taken from or given back to a pool is
 * handed to the shared slow paths below as function arguments instead, so
 * that they are inlined into each allocator's slow path without an
 * indirect call.
 */
typedef struct hl_arenas hl_arenas;
typedef struct hl_pool_kind {
    const hl_allocator_ops *ops; /* its vtable: calloc, realloc call its malloc, free */
    size_t heap_bytes;           /* its instance struct, hl_arenas first */
    size_t rings_offset;         /* offset of the sentinel of class 0 in it */
    size_t header_bytes;         /* one pool header: the stride of the sentinels */
    void (*layout)(size_t pool_bytes, uint32_t szidx, uint32_t *capacity, uint32_t *offset);
    bool (*check_pool)(const hl_arenas *a, const hl_pool *pool, char *why, size_t why_size);
    void (*visit_pool)(const hl_arenas *a, hl_pool *pool, hl_block_visitor fn, void *arg);
} hl_pool_kind;

/*
 * The arena layer of one allocator instance.
 *
 * Usable list: the live arenas with nfreepools > 0, doubly linked from
 * usable, sorted by nfreepools ascending, so pools are drawn from the
 * fullest arena and nearly empty ones can drain and be unmapped.
 * Fingers (bpo-37029): nfp2lasta[n] is the last arena on the usable list
 * with nfreepools == n, or NULL when there is none; nfp2lasta[0] is NULL.
 * They let a pool be given back in O(1): an arena whose count grows by one
 * moves to just after the last arena of its old count.
 * Spare (bpo-37257): an arena that becomes wholly free is unmapped unless it
 * would be last on the usable list; so at most one live arena is wholly
 * free, and exactly one stays mapped once every block is freed.
 * The table only grows when both the usable and unused lists are empty, so
 * no pointer into the old table survives its realloc; pools name their
 * arena by index for the same reason.
 * Counting: arenas_live == live table slots == bits set in the radix tree
 * == arenas_allocated - arenas_reclaimed <= arenas_peak;
 * mapped_bytes == arenas_live * arena_bytes + raw_bytes + bookkeeping_bytes
 * <= peak_mapped_bytes; raw_blocks == |raw ring|.
 */
struct hl_arenas {
    const hl_pool_kind *kind;                 /* the pool allocator this layer serves */
    hl_pool *rings[HL_POOL_CLASSES];          /* its ring sentinel of each class */
    size_t pool_bytes;                        /* POOL_BYTES */
    uintptr_t pool_mask;                      /* ~(POOL_BYTES - 1): block -> its pool */
    size_t arena_bytes;                       /* ARENA_BYTES */
    unsigned arena_shift;                     /* log2(ARENA_BYTES) */
    uint32_t pools_per_arena;                 /* ARENA_BYTES / POOL_BYTES */
    size_t page_bytes;                        /* the system's page size */
    uint32_t class_capacity[HL_POOL_CLASSES]; /* blocks per pool, set by the allocator */
    uint32_t class_offset[HL_POOL_CLASSES];   /* offset of block 0, likewise */

    hl_arena *table;      /* arena slots, grown by doubling */
    uint32_t table_size;  /* slots in table */
    hl_arena *unused;     /* unused slots, through nextarena */
    hl_arena *usable;     /* head of the usable list: fewest free pools */
    hl_arena **nfp2lasta; /* pools_per_arena + 1 fingers */

    hl_radix_mid *radix_top[HL_RADIX_FANOUT]; /* by address bits 47..39 */
    hl_radix_mid radix_empty_mid;             /* every leaf radix_empty_leaf */
    uint64_t *radix_empty_leaf;               /* all zero, never written */
    size_t leaf_words;                        /* words in one leaf */

    hl_raw_link raw;   /* sentinel of the raw ring */
    size_t raw_blocks; /* live raw blocks */

    size_t arenas_live;        /* arenas mapped now */
    size_t arenas_peak;        /* high-water mark of arenas_live */
    uint64_t arenas_allocated; /* arenas ever mapped */
    uint64_t arenas_reclaimed; /* arenas unmapped before destroy */
    size_t raw_bytes;          /* usable bytes of live raw blocks, links included */
    size_t bookkeeping_bytes;  /* instance, table, fingers, radix nodes */
    size_t mapped_bytes;       /* everything above, plus the arenas */
    size_t peak_mapped_bytes;  /* high-water mark of mapped_bytes */
};

/* Parses "POOL_BYTES,ARENA_BYTES" (NULL: the default) and sets up an empty
   layer for the allocator `kind`; instance_bytes is the size of the struct
   that holds it.  On failure writes the reason to error and holds nothing. */
bool hl_arenas_init(hl_arenas *a, const hl_pool_kind *kind, const char *arg,
                    size_t instance_bytes, char *error, size_t error_size);

/* An empty pool from the fullest usable arena, mapping an arena when none
   has one; NULL when the system refuses.  Its prefix is as described above
   hl_pool; next and prev are NULL. */
hl_pool *hl_arenas_take_pool(hl_arenas *a);
/* Gives back a pool whose count has dropped to 0 and that is on no ring. */
void hl_arenas_give_pool(hl_arenas *a, hl_pool *pool);

static inline bool hl_arenas_owns(const hl_arenas *a, const void *block)
{
    uintptr_t address = (uintptr_t)block;
    if (hl_unlikely(address >> HL_RADIX_ADDRESS_BITS))
        return false;
    const uint64_t *leaf =
        a->radix_top[address >> HL_RADIX_TOP_SHIFT]
            ->leaf[(address >> HL_RADIX_MID_SHIFT) & (HL_RADIX_FANOUT - 1)];
    uintptr_t slot =
        (address & (((uintptr_t)1 << HL_RADIX_MID_SHIFT) - 1)) >> a->arena_shift;
    return (leaf[slot >> 6] >> (slot & 63)) & 1;
}

static inline hl_pool *hl_arenas_pool_of(const hl_arenas *a, const void *block)
{
    return (hl_pool *)((uintptr_t)block & a->pool_mask);
}

/* ---- raw blocks ------------------------------------------------------- */

/* A block from the C library behind a link on the raw ring; NULL when the
   library refuses.  zero: cleared, as calloc. */
void *hl_raw_malloc(hl_arenas *a, size_t size, bool zero);
void hl_raw_free(hl_arenas *a, void *block);

/* ---- the slow paths shared by the pool allocators ------------------------- */

/* Lays out a pool for class szidx after its last use for another class
   (or none); base.szidx and base.capacity are set already. */
typedef void (*hl_pool_init_fn)(const hl_arenas *a, hl_pool *pool);
/* Takes a free block of block_size bytes (the pool's class size, which the
   caller has at hand) from a used pool and returns it; the pool's count is
   raised by the caller afterwards. */
typedef void *(*hl_pool_take_fn)(hl_pool *pool, uint32_t block_size);
/* Marks a block of a pool free (and announces it: pool_track.h); the
   pool's count is lowered by the caller afterwards. */
typedef void (*hl_pool_put_fn)(hl_pool *pool, void *block);

#if defined(__GNUC__)
#define HL_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define HL_ALWAYS_INLINE inline
#endif

/*
 * Every malloc a fast path leaves: a raw request, a class with no used pool
 * (a pool is taken from the arenas and laid out if its last use was another
 * class), and whatever the kind's fast path declined.  A pool whose last
 * free block is taken leaves its ring: it is full.
 */
static HL_ALWAYS_INLINE void *hl_pool_malloc_slow(hl_arenas *a, size_t size,
                                                  hl_pool_init_fn init, hl_pool_take_fn take)
{
    if (size - 1 >= HL_POOL_SMALL_MAX)
        return hl_raw_malloc(a, size, false);
    uint32_t szidx = (uint32_t)hl_pool_class_of(size), block_size = hl_pool_class_size(szidx);
    hl_pool *ring = a->rings[szidx], *pool = ring->next;
    if (pool == ring) {
        pool = hl_arenas_take_pool(a);
        if (pool == NULL)
            return NULL;
        if (pool->szidx != szidx) { /* else it is as its last use left it */
            hl_track_open(pool + 1, a->pool_bytes - sizeof *pool);
            pool->szidx = szidx;
            pool->capacity = a->class_capacity[szidx];
            init(a, pool);
        }
        hl_pool_ring_push(ring, pool);
    }
    void *block = take(pool, block_size);
    if (++pool->count == pool->capacity)
        hl_pool_ring_unlink(pool); /* full */
    hl_track_alloc(block, block_size);
    return block;
}

/*
 * Every free a fast path leaves: a raw block, a pool that was full (it goes
 * first on its ring, so the next malloc of its class fills it) and a pool
 * that becomes empty (it goes back to its arena).
 */
static HL_ALWAYS_INLINE void hl_pool_free_slow(hl_arenas *a, void *block, hl_pool_put_fn put)
{
    if (!hl_arenas_owns(a, block)) {
        hl_raw_free(a, block);
        return;
    }
    hl_pool *pool = hl_arenas_pool_of(a, block);
    bool was_full = pool->count == pool->capacity;
    put(pool, block);
    if (--pool->count == 0) {
        if (!was_full)
            hl_pool_ring_unlink(pool);
        hl_arenas_give_pool(a, pool);
    } else if (was_full) {
        hl_pool_ring_push(a->rings[pool->szidx], pool);
    }
}

/* ---- vtable entries shared by the pool allocators ------------------------ */

/*
 * These take the instance itself as ctx (its hl_arenas comes first) and
 * serve as the allocator's vtable entries directly.  hl_pool_create makes
 * an instance of a kind: the arena layer, the class layouts and empty rings
 * (the allocator's create passes its kind).  calloc and realloc call back
 * into the allocator's own malloc and free through hl_arenas.kind; realloc
 * follows obmalloc: a block stays put when its class still fits it and at
 * most a quarter would be wasted, and a raw block stays raw.  destroy
 * unmaps every arena and frees every raw block, live or not, then all the
 * bookkeeping and the instance (under memcheck it first releases every
 * live pool block it announced: pool_track.h).  usable_size is a pool
 * block's class size, or what the C library gives a raw block behind its
 * link.  visit_blocks walks every carved pool that has live blocks in
 * arena-table order and address order within an arena, handing each to
 * the kind's visit_pool, then every raw block.  impl_stats, print_stats
 * and validate are in pool_stats.c; print_stats writes a
 * sys._debugmallocstats-like report to out (a FILE *).
 */
void *hl_pool_create(hl_alloc_config *config, const hl_pool_kind *kind);
void hl_pool_destroy(void *ctx);
void *hl_pool_calloc(void *ctx, size_t nelem, size_t elsize);
void *hl_pool_realloc(void *ctx, void *block, size_t size);
size_t hl_pool_usable_size(void *ctx, void *block);
bool hl_pool_visit_blocks(void *ctx, hl_block_visitor fn, void *arg);
void hl_pool_impl_stats(void *ctx, hl_alloc_impl_stats *out);
void hl_pool_print_stats(void *ctx, void *out);

/*
 * validate: every invariant written above, then each ring sentinel (count
 * and capacity 0, every byte past its prefix 0: the fast paths read them),
 * each carved pool's prefix, the kind's check_pool of it, and each class
 * ring.  False with the first violation in why.
 */
bool hl_pool_validate(void *ctx, char *why, size_t why_size);

/* Writes the message to why (when there is room) and returns false; shared
   by validation and by hl_arenas_init's refusals (pool_arena.c). */
__attribute__((format(printf, 3, 4))) bool hl_pool_refuse(char *why, size_t why_size,
                                                          const char *format, ...);

#endif
