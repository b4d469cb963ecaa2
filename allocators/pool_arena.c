/*
 * allocators/pool_arena.c — the mechanism freelist_pool and bitmap_pool
 * share: the arenas and their free pools, the arena radix tree, raw blocks,
 * and the vtable entries that do not depend on how a pool tracks its
 * blocks.  Structures and invariants are in pool_arena.h; the statistics
 * and the validation that checks those invariants are in pool_stats.c.
 *
 * Arena management follows CPython obmalloc (3.10–3.13): new_arena(),
 * allocate_from_new_pool() and insert_to_freepool() there are new_arena(),
 * hl_arenas_take_pool() and hl_arenas_give_pool() here, with the same
 * usable-list order, fingers and spare rule.  Two departures: arenas come
 * from mmap aligned to their size (so no pool is lost to alignment and the
 * radix tree needs one bit per arena instead of CPython's head/tail
 * offsets), and the spare rule is also right for an arena of a single pool,
 * which CPython's geometry never has.
 */
#include "pool_arena.h"
#include "parse.h"
#include "pool_track.h"

#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

_Static_assert(_Alignof(max_align_t) >= HL_POOL_ALIGNMENT,
               "malloc must give 16-byte alignment for raw blocks");
_Static_assert(sizeof(hl_raw_link) == HL_POOL_ALIGNMENT,
               "the raw link must keep the block 16-byte aligned");
_Static_assert(sizeof(hl_pool) % HL_POOL_ALIGNMENT == 0, "pool prefix size");
_Static_assert(HL_ARENA_MAX_BYTES <= (size_t)1 << HL_RADIX_MID_SHIFT,
               "an arena must fit in the span of one radix leaf");

#define INITIAL_TABLE_SLOTS 16

bool hl_pool_refuse(char *why, size_t why_size, const char *format, ...)
{
    if (why != NULL && why_size > 0) {
        va_list args;
        va_start(args, format);
        vsnprintf(why, why_size, format, args);
        va_end(args);
    }
    return false;
}

static void count_mapped(hl_arenas *a, size_t bytes)
{
    a->mapped_bytes += bytes;
    if (a->mapped_bytes > a->peak_mapped_bytes)
        a->peak_mapped_bytes = a->mapped_bytes;
}

static bool is_power_of_two(size_t n)
{
    return n != 0 && (n & (n - 1)) == 0;
}

/* ---- set-up and tear-down ---------------------------------------------- */

bool hl_arenas_init(hl_arenas *a, const hl_pool_kind *kind, const char *arg,
                    size_t instance_bytes, char *error, size_t error_size)
{
    size_t pool = HL_POOL_DEFAULT_BYTES, arena = HL_ARENA_DEFAULT_BYTES;
    if (arg != NULL) {
        const char *comma = strchr(arg, ',');
        uint64_t pool_arg, arena_arg;
        if (comma == NULL ||
            !hl_parse_u64_span(arg, (size_t)(comma - arg), 0, SIZE_MAX, &pool_arg) ||
            !hl_parse_u64(comma + 1, 0, SIZE_MAX, &arena_arg))
            return hl_pool_refuse(
                error, error_size,
                "expected POOL_BYTES,ARENA_BYTES such as 16384,1048576, not '%s'", arg);
        pool = (size_t)pool_arg;
        arena = (size_t)arena_arg;
    }
    long page = sysconf(_SC_PAGESIZE);
    size_t page_bytes = page > 0 ? (size_t)page : 4096;
    if (!is_power_of_two(pool) || pool < HL_POOL_MIN_BYTES || pool > HL_POOL_MAX_BYTES ||
        !is_power_of_two(arena) || arena < pool || arena > HL_ARENA_MAX_BYTES ||
        arena < page_bytes)
        return hl_pool_refuse(
            error, error_size,
            "%zu,%zu: POOL_BYTES must be a power of two from %zu to %zu, "
            "ARENA_BYTES one from POOL_BYTES and the page size (%zu) to %zu",
            pool, arena, HL_POOL_MIN_BYTES, HL_POOL_MAX_BYTES, page_bytes,
            HL_ARENA_MAX_BYTES);

    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->pool_bytes = pool;
    a->pool_mask = ~(uintptr_t)(pool - 1);
    a->arena_bytes = arena;
    while (((size_t)1 << a->arena_shift) < arena)
        a->arena_shift++;
    a->pools_per_arena = (uint32_t)(arena / pool);
    a->page_bytes = page_bytes;
    a->leaf_words = ((((size_t)1 << HL_RADIX_MID_SHIFT) >> a->arena_shift) + 63) / 64;
    a->nfp2lasta = calloc(a->pools_per_arena + 1, sizeof *a->nfp2lasta);
    a->radix_empty_leaf = calloc(a->leaf_words, sizeof *a->radix_empty_leaf);
    if (a->nfp2lasta == NULL || a->radix_empty_leaf == NULL) {
        free(a->nfp2lasta);
        free(a->radix_empty_leaf);
        return hl_pool_refuse(error, error_size, "out of memory");
    }
    for (size_t i = 0; i < HL_RADIX_FANOUT; i++) {
        a->radix_empty_mid.leaf[i] = a->radix_empty_leaf;
        a->radix_top[i] = &a->radix_empty_mid;
    }
    a->raw.next = a->raw.prev = &a->raw;
    a->bookkeeping_bytes = instance_bytes +
                           (a->pools_per_arena + 1) * sizeof *a->nfp2lasta +
                           a->leaf_words * sizeof *a->radix_empty_leaf;
    count_mapped(a, a->bookkeeping_bytes);
    return true;
}

/* Unmaps an arena, leaving no poison behind for whoever maps there next. */
static void unmap_arena(const hl_arenas *a, uintptr_t address)
{
    hl_track_open((void *)address, a->arena_bytes);
    munmap((void *)address, a->arena_bytes);
}

static void release_block(void *block, size_t usable, void *arg)
{
    (void)arg;
    hl_track_free(block, usable);
}

static void visit_pools(const hl_arenas *a, hl_block_visitor fn, void *arg);

static void release_all(hl_arenas *a)
{
    if (hl_track_release_at_destroy())
        visit_pools(a, release_block, NULL);
    for (uint32_t i = 0; i < a->table_size; i++)
        if (a->table[i].address != 0)
            unmap_arena(a, a->table[i].address);
    free(a->table);
    for (hl_raw_link *link = a->raw.next, *next; link != &a->raw; link = next) {
        next = link->next;
        free(link);
    }
    for (size_t i = 0; i < HL_RADIX_FANOUT; i++) {
        hl_radix_mid *mid = a->radix_top[i];
        if (mid == &a->radix_empty_mid)
            continue;
        for (size_t j = 0; j < HL_RADIX_FANOUT; j++)
            if (mid->leaf[j] != a->radix_empty_leaf)
                free(mid->leaf[j]);
        free(mid);
    }
    free(a->radix_empty_leaf);
    free(a->nfp2lasta);
}

/* ---- the radix tree ---------------------------------------------------- */

/* Marks an arena mapped or not, making the nodes on its path if missing. */
static bool radix_mark(hl_arenas *a, uintptr_t address, bool mapped)
{
    hl_radix_mid **mid = &a->radix_top[address >> HL_RADIX_TOP_SHIFT];
    if (*mid == &a->radix_empty_mid) {
        hl_radix_mid *fresh = malloc(sizeof *fresh);
        if (fresh == NULL)
            return false;
        for (size_t i = 0; i < HL_RADIX_FANOUT; i++)
            fresh->leaf[i] = a->radix_empty_leaf;
        *mid = fresh;
        a->bookkeeping_bytes += sizeof *fresh;
        count_mapped(a, sizeof *fresh);
    }
    uint64_t **leaf =
        &(*mid)->leaf[(address >> HL_RADIX_MID_SHIFT) & (HL_RADIX_FANOUT - 1)];
    if (*leaf == a->radix_empty_leaf) {
        uint64_t *fresh = calloc(a->leaf_words, sizeof *fresh);
        if (fresh == NULL)
            return false;
        *leaf = fresh;
        a->bookkeeping_bytes += a->leaf_words * sizeof *fresh;
        count_mapped(a, a->leaf_words * sizeof *fresh);
    }
    size_t slot = (address & (((uintptr_t)1 << HL_RADIX_MID_SHIFT) - 1)) >> a->arena_shift;
    uint64_t bit = (uint64_t)1 << (slot & 63);
    (*leaf)[slot >> 6] = mapped ? (*leaf)[slot >> 6] | bit : (*leaf)[slot >> 6] & ~bit;
    return true;
}

/* ---- arenas ------------------------------------------------------------- */

/* ARENA_BYTES of fresh memory aligned to ARENA_BYTES: map enough to contain
   an aligned stretch and unmap what lies either side of it. */
static void *map_arena(const hl_arenas *a)
{
    size_t size = a->arena_bytes, span = 2 * size - a->page_bytes;
    char *mapped =
        mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED)
        return NULL;
    uintptr_t start = ((uintptr_t)mapped + size - 1) & ~(uintptr_t)(size - 1);
    size_t head = start - (uintptr_t)mapped, tail = span - head - size;
    if (head > 0)
        munmap(mapped, head);
    if (tail > 0)
        munmap((char *)start + size, tail);
    if (start >> HL_RADIX_ADDRESS_BITS) {
        munmap((void *)start, size);
        return NULL;
    }
    return (void *)start;
}

static hl_arena *new_arena(hl_arenas *a)
{
    if (a->unused == NULL) {
        uint32_t old = a->table_size, slots = old ? 2 * old : INITIAL_TABLE_SLOTS;
        if (slots <= old)
            return NULL;
        hl_arena *table = realloc(a->table, slots * sizeof *table);
        if (table == NULL)
            return NULL;
        a->table = table; /* safe: see "The table only grows" in pool_arena.h */
        for (uint32_t i = old; i < slots; i++)
            table[i] = (hl_arena){.nextarena = i + 1 < slots ? &table[i + 1] : NULL};
        a->unused = &table[old];
        a->table_size = slots;
        a->bookkeeping_bytes += (slots - old) * sizeof *table;
        count_mapped(a, (slots - old) * sizeof *table);
    }
    void *base = map_arena(a);
    if (base == NULL)
        return NULL;
    hl_track_open(base, a->arena_bytes);
    if (!radix_mark(a, (uintptr_t)base, true)) {
        munmap(base, a->arena_bytes);
        return NULL;
    }
    hl_arena *arena = a->unused;
    a->unused = arena->nextarena;
    *arena = (hl_arena){
        .address = (uintptr_t)base,
        .pool_address = base,
        .nfreepools = a->pools_per_arena,
        .ntotalpools = a->pools_per_arena,
    };
    a->arenas_allocated++;
    if (++a->arenas_live > a->arenas_peak)
        a->arenas_peak = a->arenas_live;
    count_mapped(a, a->arena_bytes);
    return arena;
}

static void unlink_usable(hl_arenas *a, hl_arena *arena)
{
    if (arena->prevarena != NULL)
        arena->prevarena->nextarena = arena->nextarena;
    else
        a->usable = arena->nextarena;
    if (arena->nextarena != NULL)
        arena->nextarena->prevarena = arena->prevarena;
    arena->nextarena = arena->prevarena = NULL;
}

hl_pool *hl_arenas_take_pool(hl_arenas *a)
{
    if (a->usable == NULL) {
        hl_arena *fresh = new_arena(a);
        if (fresh == NULL)
            return NULL;
        a->usable = fresh;
        a->nfp2lasta[fresh->nfreepools] = fresh;
    }
    /* The head has the fewest free pools, so taking one keeps the list
       sorted; only the fingers move. */
    hl_arena *arena = a->usable;
    uint32_t nf = arena->nfreepools;
    if (a->nfp2lasta[nf] == arena)
        a->nfp2lasta[nf] = NULL;
    if (nf > 1)
        a->nfp2lasta[nf - 1] = arena;
    hl_pool *pool = arena->freepools;
    if (pool != NULL) {
        arena->freepools = pool->next;
    } else {
        pool = (hl_pool *)arena->pool_address;
        arena->pool_address += a->pool_bytes;
        *pool = (hl_pool){.arenaindex = (uint32_t)(arena - a->table),
                          .szidx = HL_POOL_NO_CLASS};
    }
    arena->nfreepools = --nf;
    if (nf == 0)
        unlink_usable(a, arena); /* wholly allocated */
    pool->next = pool->prev = NULL;
    return pool;
}

static void release_arena(hl_arenas *a, hl_arena *arena)
{
    radix_mark(a, arena->address, false); /* cannot fail: its nodes exist */
    unmap_arena(a, arena->address);
    arena->address = 0;
    arena->nextarena = a->unused;
    a->unused = arena;
    a->arenas_live--;
    a->arenas_reclaimed++;
    a->mapped_bytes -= a->arena_bytes;
}

void hl_arenas_give_pool(hl_arenas *a, hl_pool *pool)
{
    hl_arena *arena = &a->table[pool->arenaindex];
    pool->next = arena->freepools;
    arena->freepools = pool;
    uint32_t nf = arena->nfreepools;
    hl_arena *lastnf = a->nfp2lasta[nf]; /* NULL when nf == 0 */
    if (lastnf == arena) {
        hl_arena *prev = arena->prevarena;
        a->nfp2lasta[nf] = prev != NULL && prev->nfreepools == nf ? prev : NULL;
    }
    arena->nfreepools = ++nf;
    bool listed = nf > 1; /* a full arena is on no list */

    /* Wholly free: unmap it unless it would be last on the usable list, the
       one spare that stops a loop from mapping an arena on every pass. */
    if (nf == arena->ntotalpools && (listed ? arena->nextarena : a->usable) != NULL) {
        if (listed)
            unlink_usable(a, arena);
        release_arena(a, arena);
        return;
    }
    if (!listed) { /* was full: it has the fewest free pools of all */
        arena->prevarena = NULL;
        arena->nextarena = a->usable;
        if (a->usable != NULL)
            a->usable->prevarena = arena;
        a->usable = arena;
        if (a->nfp2lasta[1] == NULL)
            a->nfp2lasta[1] = arena;
        return;
    }
    if (a->nfp2lasta[nf] == NULL)
        a->nfp2lasta[nf] = arena;
    if (arena == lastnf)
        return; /* it was the last of its old count: still in order */
    /* Slide right, to just after the last arena of its old count. */
    unlink_usable(a, arena);
    arena->prevarena = lastnf;
    arena->nextarena = lastnf->nextarena;
    if (arena->nextarena != NULL)
        arena->nextarena->prevarena = arena;
    lastnf->nextarena = arena;
}

/* ---- raw blocks ---------------------------------------------------------- */

void *hl_raw_malloc(hl_arenas *a, size_t size, bool zero)
{
    hl_raw_link *link = zero ? calloc(1, sizeof *link + size) : malloc(sizeof *link + size);
    if (link == NULL)
        return NULL;
    link->prev = &a->raw;
    link->next = a->raw.next;
    a->raw.next->prev = link;
    a->raw.next = link;
    a->raw_blocks++;
    size_t bytes = malloc_usable_size(link);
    a->raw_bytes += bytes;
    count_mapped(a, bytes);
    return link + 1;
}

/* NULL on failure, the block left as it was and still on the ring. */
static void *raw_realloc(hl_arenas *a, void *block, size_t size)
{
    hl_raw_link *link = (hl_raw_link *)block - 1;
    size_t old_bytes = malloc_usable_size(link);
    hl_raw_link *moved = realloc(link, sizeof *moved + size);
    if (moved == NULL)
        return NULL;
    moved->next->prev = moved; /* the neighbours still name the old place */
    moved->prev->next = moved;
    size_t bytes = malloc_usable_size(moved);
    a->raw_bytes += bytes - old_bytes;
    a->mapped_bytes -= old_bytes;
    count_mapped(a, bytes);
    return moved + 1;
}

void hl_raw_free(hl_arenas *a, void *block)
{
    hl_raw_link *link = (hl_raw_link *)block - 1;
    link->prev->next = link->next;
    link->next->prev = link->prev;
    size_t bytes = malloc_usable_size(link);
    a->raw_blocks--;
    a->raw_bytes -= bytes;
    a->mapped_bytes -= bytes;
    free(link);
}

/* ---- vtable entries --------------------------------------------------- */

void *hl_pool_create(hl_alloc_config *config, const hl_pool_kind *kind)
{
    hl_arenas *a = malloc(kind->heap_bytes);
    if (a == NULL)
        return NULL;
    if (!hl_arenas_init(a, kind, config->arg, kind->heap_bytes, config->error,
                        config->error_size)) {
        free(a);
        return NULL;
    }
    for (uint32_t c = 0; c < HL_POOL_CLASSES; c++) {
        kind->layout(a->pool_bytes, c, &a->class_capacity[c], &a->class_offset[c]);
        hl_pool *ring = (hl_pool *)((char *)a + kind->rings_offset + c * kind->header_bytes);
        memset(ring, 0, kind->header_bytes); /* count and capacity 0: see the fast paths */
        ring->szidx = c;
        hl_pool_ring_init(ring);
        a->rings[c] = ring;
    }
    return a;
}

void hl_pool_destroy(void *ctx)
{
    release_all(ctx);
    free(ctx);
}

void *hl_pool_calloc(void *ctx, size_t nelem, size_t elsize)
{
    size_t size = nelem * elsize; /* the dispatch layer rules out overflow */
    if (size - 1 >= HL_POOL_SMALL_MAX)
        return hl_raw_malloc(ctx, size, true);
    void *block = ((hl_arenas *)ctx)->kind->ops->malloc(ctx, size);
    if (block != NULL)
        memset(block, 0, size);
    return block;
}

void *hl_pool_realloc(void *ctx, void *block, size_t size)
{
    hl_arenas *a = ctx;
    /* A raw block stays raw: realloc cannot know how many of its bytes are
       meaningful, so taking it into a pool would copy a guess (obmalloc). */
    if (!hl_arenas_owns(a, block))
        return raw_realloc(a, block, size);
    size_t block_size = hl_pool_class_size(hl_arenas_pool_of(a, block)->szidx);
    size_t keep = block_size;
    if (size <= block_size) {
        /* Shrink in place unless a quarter or more would be wasted: copying
           costs time, not copying costs memory; obmalloc's compromise. */
        if (4 * size > 3 * block_size)
            return block;
        keep = size;
    }
    void *moved = a->kind->ops->malloc(ctx, size);
    if (moved == NULL)
        return NULL;
    memcpy(moved, block, keep);
    a->kind->ops->free(ctx, block);
    return moved;
}

size_t hl_pool_usable_size(void *ctx, void *block)
{
    hl_arenas *a = ctx;
    if (hl_arenas_owns(a, block))
        return hl_pool_class_size(hl_arenas_pool_of(a, block)->szidx);
    return malloc_usable_size((hl_raw_link *)block - 1) - sizeof(hl_raw_link);
}

static void visit_pools(const hl_arenas *a, hl_block_visitor fn, void *arg)
{
    for (uint32_t i = 0; i < a->table_size; i++) {
        const hl_arena *arena = &a->table[i];
        if (arena->address == 0)
            continue;
        for (char *p = (char *)arena->address; p < arena->pool_address; p += a->pool_bytes) {
            hl_pool *pool = (hl_pool *)p;
            if (pool->count > 0)
                a->kind->visit_pool(a, pool, fn, arg);
        }
    }
}

bool hl_pool_visit_blocks(void *ctx, hl_block_visitor fn, void *arg)
{
    const hl_arenas *a = ctx;
    visit_pools(a, fn, arg);
    for (const hl_raw_link *link = a->raw.next; link != &a->raw; link = link->next)
        fn((void *)(link + 1), malloc_usable_size((void *)link) - sizeof *link, arg);
    return true;
}
