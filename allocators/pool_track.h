/*
 * allocators/pool_track.h — telling a memory checker which bytes inside the
 * pools are blocks in use, so that it sees a use after free of an object
 * that lives in a pool (the idea of mimalloc's track.h).
 *
 * To AddressSanitizer and to valgrind's memcheck a pool is one big mapping
 * that heaplab owns: every byte of it is addressable whether or not a block
 * there is handed out, so a program that reads an object after freeing it
 * reads the pool's own memory and nothing is reported.  The pools therefore
 * announce their blocks:
 *
 *   AddressSanitizer (make SAN=1; __SANITIZE_ADDRESS__ or clang's
 *   address_sanitizer feature): a freed block is poisoned and a block is
 *   unpoisoned when it is handed out, so any access to a free block is a
 *   "use-after-poison" report naming the address.
 *
 *   memcheck (make VALGRIND=1, which defines HL_VALGRIND): blocks are
 *   announced with VALGRIND_MALLOCLIKE_BLOCK / VALGRIND_FREELIKE_BLOCK, so
 *   memcheck treats them as heap blocks: an access to a freed one is an
 *   "Invalid read/write ... inside a block of size N free'd" with both
 *   stacks, a block handed out reads as undefined until written, and blocks
 *   still live when the pool is destroyed are released first (no false
 *   leak).  The client requests cost instructions on every malloc and free
 *   even outside valgrind (README, "Pools under memory checkers"), which is
 *   why they are a build flag rather than always compiled in.
 *
 *   Otherwise every function here is empty and compiles to nothing.
 *
 * A block is announced with its class size, not the size requested: the
 * pool does not know the request, and a realloc may grow a block in place
 * up to its class size.  What the pools' own code touches is never
 * reported: pool headers (and bitmap_pool's map in them) are never
 * poisoned; a free block's link word, which freelist_pool reads and writes,
 * is opened (made addressable and defined) around each access and closed
 * again; a pool taken for another size class is opened whole before its new
 * layout is written; an arena is opened when mapped and before it is
 * unmapped, so no poison outlives the mapping.
 */
#ifndef HEAPLAB_POOL_TRACK_H
#define HEAPLAB_POOL_TRACK_H

#include <stdbool.h>
#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#define HL_TRACK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HL_TRACK_ASAN 1
#endif
#endif

#if defined(HL_TRACK_ASAN)
#include <sanitizer/asan_interface.h>
#endif
#if defined(HL_VALGRIND) && HL_VALGRIND
#define HL_TRACK_VALGRIND 1
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>
#endif

/* A block of `size` bytes is handed out. */
static inline void hl_track_alloc(void *block, size_t size)
{
    (void)block, (void)size;
#if defined(HL_TRACK_ASAN)
    ASAN_UNPOISON_MEMORY_REGION(block, size);
#endif
#if defined(HL_TRACK_VALGRIND)
    VALGRIND_MALLOCLIKE_BLOCK(block, size, 0, 0);
#endif
}

/* A block of `size` bytes handed out earlier is free again: any access is
   a use after free until it is handed out anew. */
static inline void hl_track_free(void *block, size_t size)
{
    (void)block, (void)size;
#if defined(HL_TRACK_ASAN)
    ASAN_POISON_MEMORY_REGION(block, size);
#endif
#if defined(HL_TRACK_VALGRIND)
    VALGRIND_FREELIKE_BLOCK(block, 0);
#endif
}

/* The allocator itself is about to read or write [start, start + size) of
   free memory (a link word, a pool being laid out again, an arena). */
static inline void hl_track_open(void *start, size_t size)
{
    (void)start, (void)size;
#if defined(HL_TRACK_ASAN)
    ASAN_UNPOISON_MEMORY_REGION(start, size);
#endif
#if defined(HL_TRACK_VALGRIND)
    VALGRIND_MAKE_MEM_DEFINED(start, size);
#endif
}

/* ... and is done with it: it is free memory again. */
static inline void hl_track_close(void *start, size_t size)
{
    (void)start, (void)size;
#if defined(HL_TRACK_ASAN)
    ASAN_POISON_MEMORY_REGION(start, size);
#endif
#if defined(HL_TRACK_VALGRIND)
    VALGRIND_MAKE_MEM_NOACCESS(start, size);
#endif
}

/* Whether blocks still live at destroy must be released one by one: only
   memcheck keeps per-block records that would otherwise read as leaks. */
static inline bool hl_track_release_at_destroy(void)
{
#if defined(HL_TRACK_VALGRIND)
    return RUNNING_ON_VALGRIND != 0;
#else
    return false;
#endif
}

#endif
