/*
 * allocators/pool_stats.c — what the pool allocators report about
 * themselves and how they check themselves, over the structures of
 * pool_arena.h; the mechanism that keeps those structures is pool_arena.c.
 *
 * Statistics.  impl_stats gives the mapped bytes and their high-water mark,
 * counted as pool_arena.h describes.  print_stats walks every carved pool
 * and prints the report of CPython's _PyObject_DebugMallocStats
 * (sys._debugmallocstats()), trimmed to what this layer keeps: per size
 * class the pools in use and their used and available blocks, then the
 * arena counters, the bytes in blocks, empty pools, pool headers and
 * quantization, and last the raw blocks, bookkeeping and mapped bytes.
 *
 * Validation.  hl_pool_validate re-encodes, as code, each invariant
 * written in pool_arena.h, so the conformance suites and debug builds can
 * ask for it after any operation:
 *   pools     a carved pool names its own arena, has a class (or none and
 *             no blocks), the capacity of that class and count <= capacity;
 *             the allocator's check covers the rest of the pool
 *   arenas    aligned to their size and marked in the radix tree; carved
 *             up to a pool boundary; freepools links only carved pools of
 *             count 0, and exactly the carved pools of count 0;
 *             nfreepools == |freepools| + (ntotalpools - carved pools)
 *   lists     the unused list is exactly the unused slots; the usable list
 *             is exactly the live arenas with nfreepools > 0, doubly linked,
 *             sorted by nfreepools ascending, and nfp2lasta[n] is the last
 *             arena of each count n on it and NULL for every other n
 *   spare     at most one live arena is wholly free
 *   radix     the shared empty leaf is all zero, and the bits set in the
 *             tree number arenas_live
 *   raw       the raw ring is doubly linked, its blocks 16-byte aligned and
 *             outside every arena; raw_blocks and raw_bytes count it
 *   counting  arenas_live == live slots == arenas_allocated -
 *             arenas_reclaimed <= arenas_peak; mapped_bytes == arenas_live *
 *             arena_bytes + raw_bytes + bookkeeping_bytes <= peak_mapped_bytes
 *   rings     the ring of class c holds exactly the used pools of class c
 *             (0 < count < capacity), each in an arena and at a pool
 *             boundary, doubly linked through its sentinel
 * Each check bounds its walk by the count it expects, so a cycle in a
 * corrupted list is reported rather than followed forever.
 */
#include "pool_arena.h"

#include <malloc.h>
#include <stdint.h>
#include <stdio.h>

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
            a->kind->ops->name, a->pool_bytes, a->arena_bytes, a->pools_per_arena);
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

static bool check_arena(const hl_arenas *a, const hl_arena *arena, size_t used_pools[],
                        char *why, size_t why_size)
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
            !a->kind->check_pool(a, pool, why, why_size))
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

/* The sentinels are never written after create: the fast paths rely on
   reading count 0, capacity 0 and a NULL free list in them. */
static bool check_sentinels(const hl_arenas *a, char *why, size_t why_size)
{
    for (uint32_t c = 0; c < HL_POOL_CLASSES; c++) {
        const hl_pool *ring = a->rings[c];
        const unsigned char *rest = (const unsigned char *)(ring + 1);
        bool clear = ring->count == 0 && ring->capacity == 0 && ring->szidx == c;
        for (size_t i = 0; clear && i < a->kind->header_bytes - sizeof *ring; i++)
            clear = rest[i] == 0;
        if (!clear)
            return FAIL("the ring sentinel of class %u was written", c);
    }
    return true;
}

bool hl_pool_validate(void *ctx, char *why, size_t why_size)
{
    const hl_arenas *a = ctx;
    if (!check_sentinels(a, why, why_size))
        return false;
    size_t used_pools[HL_POOL_CLASSES] = {0};
    size_t live = 0, with_free = 0, wholly_free = 0, unused = 0, on_unused = 0;
    for (uint32_t i = 0; i < a->table_size; i++) {
        const hl_arena *arena = &a->table[i];
        if (arena->address == 0) {
            unused++;
            continue;
        }
        if (!check_arena(a, arena, used_pools, why, why_size))
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
        if (!check_ring(a, a->rings[c], c, used_pools[c], why, why_size))
            return false;
    return true;
}
