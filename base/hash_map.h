/*
 * base/hash_map.h — a small hash map from nonzero 64-bit keys to entries of
 * one fixed size, for the tables that must not slow the path they sit on:
 * the debug allocator's table of blocks (keyed by address) and the trace
 * loader's map of live IDs (keyed by ID + 1).
 *
 * Open addressing with linear probing; the home of a key is the top bits of
 * key * 2^64/phi (Fibonacci hashing), which spreads aligned addresses and
 * consecutive IDs alike.  Deletion shifts later entries of the probe run
 * back into the hole (Knuth's algorithm R), so there are no tombstones and
 * `count` is the true load.  Header-only: every call inlines into its user,
 * where the entry size is a constant.
 *
 *    entries: capacity x entry_size bytes
 *    +--------------------+--------------------+-----+
 *    | key | user fields  | 0   | (unused)     | ... |   key 0: empty
 *    +--------------------+--------------------+-----+
 *
 * An entry is the user's struct; its first member is `uint64_t key`.
 *
 * Invariants (hl_hash_map_validate): capacity is a power of two, at least
 * 2; 2 * count <= capacity; exactly `count` entries have a nonzero key,
 * each once, and every entry from a key's home up to the key is used (a
 * probe from the home reaches it without meeting an empty entry).
 *
 * The calls on the paths that matter (slot, find, remove) take the entry
 * size again, as the constant sizeof of the user's struct: indexing by a
 * constant is a shift and an add where the stored size would cost a
 * multiply per probe and a division per removal.
 *
 * Entry pointers stay valid until the next hl_hash_map_reserve that grows
 * the table or the next hl_hash_map_remove.  The table's memory comes from
 * the C library.
 */
#ifndef HEAPLAB_HASH_MAP_H
#define HEAPLAB_HASH_MAP_H

#include "debug.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct hl_hash_map {
    unsigned char *entries; /* capacity * entry_size bytes */
    size_t entry_size;      /* bytes of one entry, key first */
    size_t mask;            /* capacity - 1 */
    unsigned shift;         /* 64 - log2(capacity): the hash's top bits */
    size_t count;           /* entries with a nonzero key */
} hl_hash_map;

static inline size_t hl_hash_map_capacity(const hl_hash_map *m)
{
    return m->mask + 1;
}

/* The entry at index i (0 <= i < capacity), used or empty. */
static inline void *hl_hash_map_at(const hl_hash_map *m, size_t i)
{
    return m->entries + i * m->entry_size;
}

static inline uint64_t hl_hash_map_key_at(const hl_hash_map *m, size_t i)
{
    return *(const uint64_t *)hl_hash_map_at(m, i);
}

static inline size_t hl_hash_map_home(const hl_hash_map *m, uint64_t key)
{
    return (size_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> m->shift);
}

/* An empty table of `capacity` entries (a power of two, at least 2) of
   `entry_size` bytes each; false when memory ran out. */
static inline bool hl_hash_map_init(hl_hash_map *m, size_t entry_size, size_t capacity)
{
    unsigned bits = 0;
    while (((size_t)1 << bits) < capacity)
        bits++;
    m->entries = calloc(capacity, entry_size);
    m->entry_size = entry_size;
    m->mask = capacity - 1;
    m->shift = 64 - bits;
    m->count = 0;
    return m->entries != NULL;
}

static inline void hl_hash_map_free(hl_hash_map *m)
{
    free(m->entries);
    m->entries = NULL;
}

/* The entry at index i, for entries of entry_size bytes (the map's). */
static inline unsigned char *hl_hash_map_entry(const hl_hash_map *m, size_t i, size_t entry_size)
{
    hl_assert_internal(entry_size == m->entry_size);
    return m->entries + i * entry_size;
}

/* The entry holding key, or the empty entry where it would go. */
static inline void *hl_hash_map_slot(const hl_hash_map *m, uint64_t key, size_t entry_size)
{
    for (size_t i = hl_hash_map_home(m, key);; i = (i + 1) & m->mask) {
        unsigned char *e = hl_hash_map_entry(m, i, entry_size);
        uint64_t k = *(const uint64_t *)e;
        if (k == key || k == 0)
            return e;
    }
}

/* The entry holding key, or NULL. */
static inline void *hl_hash_map_find(const hl_hash_map *m, uint64_t key, size_t entry_size)
{
    void *e = hl_hash_map_slot(m, key, entry_size);
    return *(uint64_t *)e == key ? e : NULL;
}

/* Doubles the table; out of line, as it is rare. */
static bool hl_hash_map_grow(hl_hash_map *m) __attribute__((noinline, unused));
static bool hl_hash_map_grow(hl_hash_map *m)
{
    hl_hash_map old = *m;
    if (!hl_hash_map_init(m, old.entry_size, 2 * hl_hash_map_capacity(&old))) {
        *m = old;
        return false;
    }
    for (size_t i = 0; i <= old.mask; i++) {
        uint64_t key = hl_hash_map_key_at(&old, i);
        if (key != 0) {
            memcpy(hl_hash_map_slot(m, key, m->entry_size), hl_hash_map_at(&old, i),
                   m->entry_size);
        }
    }
    m->count = old.count;
    hl_hash_map_free(&old);
    return true;
}

/* Makes room for one more key (growing keeps the table at most half full);
   false when memory ran out.  Entry pointers are stale after it grew. */
static inline bool hl_hash_map_reserve(hl_hash_map *m)
{
    if (__builtin_expect(2 * (m->count + 1) <= hl_hash_map_capacity(m), 1))
        return true;
    return hl_hash_map_grow(m);
}

/* Puts key (absent, nonzero) into the empty entry hl_hash_map_slot gave
   for it, after hl_hash_map_reserve made room; the caller fills the other
   fields. */
static inline void *hl_hash_map_insert(hl_hash_map *m, void *slot, uint64_t key)
{
    *(uint64_t *)slot = key;
    m->count++;
    return slot;
}

/* Removes a used entry.  Later entries of its probe run may move back:
   entry pointers are stale afterwards. */
static inline void hl_hash_map_remove(hl_hash_map *m, void *entry, size_t entry_size)
{
    size_t hole = (size_t)((unsigned char *)entry - m->entries) / entry_size;
    for (size_t i = (hole + 1) & m->mask;; i = (i + 1) & m->mask) {
        uint64_t key = *(const uint64_t *)hl_hash_map_entry(m, i, entry_size);
        if (key == 0)
            break;
        /* Entry i moves into the hole unless its home lies cyclically in
           (hole, i], where a probe from the home would no longer reach it. */
        size_t home = hl_hash_map_home(m, key);
        if (((i - home) & m->mask) >= ((i - hole) & m->mask)) {
            memcpy(hl_hash_map_entry(m, hole, entry_size), hl_hash_map_entry(m, i, entry_size),
                   entry_size);
            hole = i;
        }
    }
    *(uint64_t *)hl_hash_map_entry(m, hole, entry_size) = 0;
    m->count--;
}

/* Checks the invariants above; false with the reason in why. */
static bool hl_hash_map_validate(const hl_hash_map *m, char *why, size_t why_size)
    __attribute__((unused));
static bool hl_hash_map_validate(const hl_hash_map *m, char *why, size_t why_size)
{
    size_t used = 0;
    const char *wrong = NULL;
    if (m->mask < 1 || (m->mask & (m->mask + 1)) != 0)
        wrong = "capacity not a power of two of at least 2";
    for (size_t i = 0; wrong == NULL && i <= m->mask; i++) {
        uint64_t key = hl_hash_map_key_at(m, i);
        if (key == 0)
            continue;
        used++;
        for (size_t j = hl_hash_map_home(m, key); j != i && wrong == NULL; j = (j + 1) & m->mask)
            if (hl_hash_map_key_at(m, j) == 0)
                wrong = "a key its probe cannot reach";
            else if (hl_hash_map_key_at(m, j) == key)
                wrong = "a key held twice";
    }
    if (wrong == NULL && used != m->count)
        wrong = "count differs from the used entries";
    if (wrong == NULL && 2 * m->count > m->mask + 1)
        wrong = "more than half full";
    if (wrong != NULL)
        snprintf(why, why_size, "hash map: %s", wrong);
    return wrong == NULL;
}

#endif
