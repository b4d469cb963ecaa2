/*
 * allocators/pool_arena.c — what freelist_pool and bitmap_pool share: the
 * arenas and their free pools, the arena radix tree, raw blocks, and the
 * vtable entries, statistics and validation that do not depend on how a
 * pool tracks its blocks.  Structures and invariants are in pool_arena.h.
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

static bool parse_bytes(const char **text, size_t *out)
{
    const char *s = *text;
    size_t n = 0;
    if (*s < '0' || *s > '9')
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (n > (SIZE_MAX - 9) / 10)
            return false;
        n = n * 10 + (size_t)(*s - '0');
    }
    *text = s;
    *out = n;
    return true;
}

/* ---- set-up and tear-down ---------------------------------------------- */

bool hl_arenas_init(hl_arenas *a, const hl_allocator_ops *ops, const char *arg,
                    size_t instance_bytes, char *error, size_t error_size)
{
    size_t pool = HL_POOL_DEFAULT_BYTES, arena = HL_ARENA_DEFAULT_BYTES;
    if (arg != NULL) {
        const char *s = arg;
        if (!parse_bytes(&s, &pool) || *s++ != ',' || !parse_bytes(&s, &arena) ||
            *s != '\0')
            return hl_pool_refuse(
                error, error_size,
                "expected POOL_BYTES,ARENA_BYTES such as 16384,1048576, not '%s'", arg);
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
    a->ops = ops;
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

static void release_all(hl_arenas *a)
{
    for (uint32_t i = 0; i < a->table_size; i++)
        if (a->table[i].address != 0)
            munmap((void *)a->table[i].address, a->arena_bytes);
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
    munmap((void *)arena->address, a->arena_bytes);
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
    void *block = ((hl_arenas *)ctx)->ops->malloc(ctx, size);
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
    void *moved = a->ops->malloc(ctx, size);
    if (moved == NULL)
        return NULL;
    memcpy(moved, block, keep);
    a->ops->free(ctx, block);
    return moved;
}

/* ---- statistics ---------------------------------------------------------- */

void hl_pool_impl_stats(void *ctx, hl_alloc_impl_stats *out)
{
    const hl_arenas *a = ctx;
    out->mapped_bytes = a->mapped_bytes;
    out->peak_mapped_bytes = a->peak_mapped_bytes;
    out->mapped_known = true;
}

static void print_line(FILE *f, const char *label, uint64_t value)
{
    if (label[0] == '\0')
        fputc('\n', f);
    else
        fprintf(f, "%-40s = %15llu\n", label, (unsigned long long)value);
}

void hl_pool_print_stats(void *ctx, void *out)
{
    const hl_arenas *a = ctx;
    FILE *f = out;
    size_t pools[HL_POOL_CLASSES] = {0}, used[HL_POOL_CLASSES] = {0};
    size_t avail[HL_POOL_CLASSES] = {0}, unused_pools = 0, headers = 0, quantization = 0;
    uint64_t used_bytes = 0, avail_bytes = 0;
    for (uint32_t i = 0; i < a->table_size; i++) {
        const hl_arena *arena = &a->table[i];
        if (arena->address == 0)
            continue;
        unused_pools += arena->nfreepools;
        for (char *p = (char *)arena->address; p < arena->pool_address;
             p += a->pool_bytes) {
            const hl_pool *pool = (const hl_pool *)p;
            if (pool->count == 0)
                continue;
            uint32_t c = pool->szidx, size = hl_pool_class_size(c);
            pools[c]++;
            used[c] += pool->count;
            avail[c] += pool->capacity - pool->count;
            used_bytes += (uint64_t)pool->count * size;
            avail_bytes += (uint64_t)(pool->capacity - pool->count) * size;
            headers += a->class_offset[c];
            quantization += a->pool_bytes - a->class_offset[c] - pool->capacity * size;
        }
    }
    fprintf(f,
            "%s: %zu-byte pools in %zu-byte arenas (%u pools each)\n\n"
            "class   size   num pools   blocks in use  avail blocks\n"
            "-----   ----   ---------   -------------  ------------\n",
            a->ops->name, a->pool_bytes, a->arena_bytes, a->pools_per_arena);
    for (uint32_t c = 0; c < HL_POOL_CLASSES; c++)
        if (pools[c] != 0)
            fprintf(f, "%5u   %4u   %9zu   %13zu  %12zu\n", c, hl_pool_class_size(c),
                    pools[c], used[c], avail[c]);
    char label[64];
    print_line(f, "", 0);
    print_line(f, "# arenas allocated total", a->arenas_allocated);
    print_line(f, "# arenas reclaimed", a->arenas_reclaimed);
    print_line(f, "# arenas highwater mark", a->arenas_peak);
    print_line(f, "# arenas allocated current", a->arenas_live);
    snprintf(label, sizeof label, "%zu arenas * %zu bytes/arena", a->arenas_live,
             a->arena_bytes);
    print_line(f, label, (uint64_t)a->arenas_live * a->arena_bytes);
    print_line(f, "", 0);
    print_line(f, "# bytes in allocated blocks", used_bytes);
    print_line(f, "# bytes in available blocks", avail_bytes);
    snprintf(label, sizeof label, "%zu unused pools * %zu bytes", unused_pools,
             a->pool_bytes);
    print_line(f, label, (uint64_t)unused_pools * a->pool_bytes);
    print_line(f, "# bytes lost to pool headers", headers);
    print_line(f, "# bytes lost to quantization", quantization);
    print_line(f, "", 0);
    print_line(f, "# raw blocks (0 or over 512 bytes)", a->raw_blocks);
    print_line(f, "# bytes in raw blocks, links included", a->raw_bytes);
    print_line(f, "# bytes of bookkeeping", a->bookkeeping_bytes);
    print_line(f, "# bytes mapped", a->mapped_bytes);
    print_line(f, "# bytes mapped, high-water mark", a->peak_mapped_bytes);
}

/* ---- validation ---------------------------------------------------------- */

/* Every check below reports into the caller's why and why_size. */
#define FAIL(...) hl_pool_refuse(why, why_size, __VA_ARGS__)

static bool check_pool_prefix(const hl_arenas *a, const hl_arena *arena,
                              const hl_pool *pool, char *why, size_t why_size)
{
    if (pool->arenaindex != (uint32_t)(arena - a->table))
        return FAIL("pool %p names arena %u but lies in arena %u", (const void *)pool,
                    pool->arenaindex, (unsigned)(arena - a->table));
    if (pool->szidx == HL_POOL_NO_CLASS)
        return pool->count == 0 || FAIL("pool %p was never used but counts %u blocks",
                                        (const void *)pool, pool->count);
    if (pool->szidx >= HL_POOL_CLASSES)
        return FAIL("pool %p has size class %u", (const void *)pool, pool->szidx);
    if (pool->capacity != a->class_capacity[pool->szidx] || pool->count > pool->capacity)
        return FAIL("pool %p of class %u: %u of %u blocks in use, class holds %u",
                    (const void *)pool, pool->szidx, pool->count, pool->capacity,
                    a->class_capacity[pool->szidx]);
    return true;
}

static bool check_arena(const hl_arenas *a, const hl_arena *arena, const void *heap,
                        hl_pool_check check, size_t used_pools[], char *why,
                        size_t why_size)
{
    uintptr_t base = arena->address, carved_end = (uintptr_t)arena->pool_address;
    const void *at = (const void *)base;
    if ((base & (a->arena_bytes - 1)) != 0)
        return FAIL("arena %p is not aligned to its size", at);
    if (!hl_arenas_owns(a, at) || !hl_arenas_owns(a, (const char *)at + a->arena_bytes - 1))
        return FAIL("arena %p is missing from the radix tree", at);
    if (arena->ntotalpools != a->pools_per_arena || carved_end < base ||
        carved_end > base + a->arena_bytes || (carved_end - base) % a->pool_bytes != 0)
        return FAIL("arena %p: %u pools, carved up to %p", at, arena->ntotalpools,
                    (void *)arena->pool_address);
    size_t carved = (carved_end - base) / a->pool_bytes, listed = 0;
    for (const hl_pool *p = arena->freepools; p != NULL; p = p->next) {
        uintptr_t address = (uintptr_t)p;
        if (++listed > carved || address < base || address >= carved_end ||
            (address & ~a->pool_mask) != 0)
            return FAIL("freepools of arena %p links %p, no carved pool", at,
                        (const void *)p);
        if (p->count != 0)
            return FAIL("pool %p on freepools has %u blocks in use", (const void *)p,
                        p->count);
    }
    if (arena->nfreepools != listed + (arena->ntotalpools - carved))
        return FAIL("arena %p: nfreepools %u, %zu listed free, %zu never carved", at,
                    arena->nfreepools, listed, arena->ntotalpools - carved);
    size_t empty = 0;
    for (char *p = (char *)base; p < arena->pool_address; p += a->pool_bytes) {
        const hl_pool *pool = (const hl_pool *)p;
        if (!check_pool_prefix(a, arena, pool, why, why_size) ||
            !check(heap, pool, why, why_size))
            return false;
        if (pool->count == 0)
            empty++;
        else if (pool->count < pool->capacity)
            used_pools[pool->szidx]++;
    }
    return empty == listed ||
           FAIL("arena %p: %zu pools are empty but %zu on freepools", at, empty, listed);
}

static bool in_table(const hl_arenas *a, const hl_arena *x)
{
    return x >= a->table && x < a->table + a->table_size;
}

static bool check_usable(const hl_arenas *a, size_t expected, char *why, size_t why_size)
{
    size_t listed = 0, counts = 0, fingers = 0;
    const hl_arena *prev = NULL;
    for (const hl_arena *x = a->usable; x != NULL; prev = x, x = x->nextarena) {
        if (!in_table(a, x) || (x->nextarena != NULL && !in_table(a, x->nextarena)) ||
            ++listed > expected)
            return FAIL("usable list links %p, no arena of its own", (const void *)x);
        if (x->address == 0 || x->prevarena != prev || x->nfreepools == 0 ||
            (prev != NULL && prev->nfreepools > x->nfreepools))
            return FAIL("usable list out of order at %p (%u free pools, after %u)",
                        (const void *)x->address, x->nfreepools,
                        prev ? prev->nfreepools : 0);
        if (x->nextarena == NULL || x->nextarena->nfreepools != x->nfreepools) {
            counts++;
            if (a->nfp2lasta[x->nfreepools] != x)
                return FAIL("finger %u misses its last arena %p", x->nfreepools,
                            (const void *)x->address);
        }
    }
    for (uint32_t n = 0; n <= a->pools_per_arena; n++)
        fingers += a->nfp2lasta[n] != NULL;
    if (listed != expected || fingers != counts)
        return FAIL("usable list holds %zu arenas of %zu with free pools; %zu fingers for "
                    "%zu counts",
                    listed, expected, fingers, counts);
    return true;
}

static bool check_radix(const hl_arenas *a, char *why, size_t why_size)
{
    size_t bits = 0;
    for (size_t w = 0; w < a->leaf_words; w++)
        if (a->radix_empty_leaf[w] != 0)
            return FAIL("the shared empty radix leaf was written");
    for (size_t i = 0; i < HL_RADIX_FANOUT; i++) {
        const hl_radix_mid *mid = a->radix_top[i];
        for (size_t j = 0; mid != &a->radix_empty_mid && j < HL_RADIX_FANOUT; j++)
            for (size_t w = 0; mid->leaf[j] != a->radix_empty_leaf && w < a->leaf_words;
                 w++)
                bits += (size_t)__builtin_popcountll(mid->leaf[j][w]);
    }
    return bits == a->arenas_live ||
           FAIL("radix tree marks %zu arenas, %zu are live", bits, a->arenas_live);
}

static bool check_raw(const hl_arenas *a, char *why, size_t why_size)
{
    size_t blocks = 0, bytes = 0;
    const hl_raw_link *prev = &a->raw;
    for (const hl_raw_link *link = a->raw.next; link != &a->raw;
         prev = link, link = link->next) {
        if (++blocks > a->raw_blocks || link->prev != prev)
            return FAIL("raw ring broken at %p after %zu blocks", (const void *)link,
                        blocks);
        if (((uintptr_t)(link + 1) & (HL_POOL_ALIGNMENT - 1)) != 0 ||
            hl_arenas_owns(a, link + 1))
            return FAIL("raw block %p misaligned or inside an arena",
                        (const void *)(link + 1));
        bytes += malloc_usable_size((void *)link);
    }
    if (a->raw.prev != prev || blocks != a->raw_blocks || bytes != a->raw_bytes)
        return FAIL("raw ring: %zu blocks of %zu bytes, counted %zu of %zu", blocks, bytes,
                    a->raw_blocks, a->raw_bytes);
    return true;
}

static bool check_ring(const hl_arenas *a, const hl_pool *sentinel, uint32_t szidx,
                       size_t used_pools, char *why, size_t why_size)
{
    size_t length = 0;
    const hl_pool *prev = sentinel;
    for (const hl_pool *p = sentinel->next; p != sentinel; prev = p, p = p->next) {
        if (++length > used_pools || !hl_arenas_owns(a, p) || hl_arenas_pool_of(a, p) != p)
            return FAIL("ring of class %u links %p beyond its %zu used pools", szidx,
                        (const void *)p, used_pools);
        if (p->prev != prev || p->szidx != szidx || p->count == 0 ||
            p->count >= p->capacity)
            return FAIL("pool %p on ring %u: class %u, %u of %u blocks used",
                        (const void *)p, szidx, p->szidx, p->count, p->capacity);
    }
    if (sentinel->prev != prev || length != used_pools)
        return FAIL("ring of class %u holds %zu pools, %zu are in use", szidx, length,
                    used_pools);
    return true;
}

bool hl_arenas_validate(const hl_arenas *a, const hl_pool *const rings[HL_POOL_CLASSES],
                        const void *heap, hl_pool_check check, char *why, size_t why_size)
{
    size_t used_pools[HL_POOL_CLASSES] = {0};
    size_t live = 0, with_free = 0, wholly_free = 0, unused = 0, on_unused = 0;
    for (uint32_t i = 0; i < a->table_size; i++) {
        const hl_arena *arena = &a->table[i];
        if (arena->address == 0) {
            unused++;
            continue;
        }
        if (!check_arena(a, arena, heap, check, used_pools, why, why_size))
            return false;
        live++;
        with_free += arena->nfreepools > 0;
        wholly_free += arena->nfreepools == arena->ntotalpools;
    }
    for (const hl_arena *x = a->unused; x != NULL; x = x->nextarena)
        if (!in_table(a, x) || x->address != 0 || ++on_unused > unused)
            return FAIL("unused list links %p, no unused slot", (const void *)x);
    if (on_unused != unused)
        return FAIL("%zu unused slots but %zu on the unused list", unused, on_unused);
    if (!check_usable(a, with_free, why, why_size))
        return false;
    if (wholly_free > 1)
        return FAIL("%zu arenas are wholly free; one spare is the most", wholly_free);
    if (live != a->arenas_live || a->arenas_allocated - a->arenas_reclaimed != live ||
        live > a->arenas_peak)
        return FAIL("%zu arenas live; counted %zu (peak %zu), %llu - %llu", live,
                    a->arenas_live, a->arenas_peak, (unsigned long long)a->arenas_allocated,
                    (unsigned long long)a->arenas_reclaimed);
    if (!check_radix(a, why, why_size) || !check_raw(a, why, why_size))
        return false;
    size_t mapped = live * a->arena_bytes + a->raw_bytes + a->bookkeeping_bytes;
    if (mapped != a->mapped_bytes || mapped > a->peak_mapped_bytes)
        return FAIL("mapped bytes %zu (peak %zu), should be %zu", a->mapped_bytes,
                    a->peak_mapped_bytes, mapped);
    for (uint32_t c = 0; c < HL_POOL_CLASSES; c++)
        if (!check_ring(a, rings[c], c, used_pools[c], why, why_size))
            return false;
    return true;
}
