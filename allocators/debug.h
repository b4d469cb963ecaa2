/*
 * allocators/debug.h — the debug wrapper's block layout, constants and
 * state, shared by debug.c (the table of blocks, the quarantine and the
 * allocator entry points) and debug_report.c (checking guards and fills,
 * and the reports).  Nothing outside those two files includes it.
 *
 * Each block asks the inner allocator for 24 bytes more than requested and
 * hands out the address 16 bytes in, which keeps the inner allocator's
 * 16-byte alignment:
 *
 *   inner block
 *   v
 *   +----------------+----+----------+--------------------+------------+
 *   | size (8 bytes) | id | 7 x 0xFD | n bytes of data    | 8 x 0xFD   |
 *   +----------------+----+----------+--------------------+------------+
 *                                     ^ p (handed out)     ^ tail = p + n
 *
 *   size   the requested n, as CPython stores it;
 *   id     the call that made the block: 'm' malloc, 'c' calloc,
 *          'r' realloc (CPython stores its API domain here);
 *   0xFD   FORBIDDENBYTE guards: overwriting one is an overrun (tail) or
 *          an underrun (head);
 *   data   0xCD (CLEANBYTE) after malloc and in the part realloc adds, so
 *          reading it uninitialised shows; calloc's data stays zero.
 */
#ifndef HEAPLAB_ALLOCATOR_DEBUG_H
#define HEAPLAB_ALLOCATOR_DEBUG_H

#include "allocator.h"
#include "hash_map.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FORBIDDEN_BYTE 0xFD
#define CLEAN_BYTE 0xCD
#define DEAD_BYTE 0xDD

#define HEAD_SIZE 16 /* size field, id, 7 guard bytes */
#define ID_OFFSET 8  /* of the id byte, from the start of the head */
#define HEAD_GUARD_SIZE (HEAD_SIZE - ID_OFFSET - 1)
#define TAIL_SIZE 8

#define TABLE_INITIAL_CAPACITY 1024         /* slots; a power of two */
#define QUARANTINE_DEFAULT_BLOCKS 1024      /* freed blocks held back */
#define QUARANTINE_MAX_BLOCKS (1 << 24)     /* largest quarantine=N */
#define QUARANTINE_BYTES ((size_t)16 << 20) /* inner bytes held back */
#define DUMP_DIFFERENCES 16                 /* damaged bytes listed in one report */

_Static_assert(HEAD_SIZE % HL_ALLOC_ALIGNMENT == 0, "the head must keep the alignment");

/* One block handed out: an entry of the table (base/hash_map.h), keyed by
   its address. */
typedef struct hl_debug_block {
    uint64_t key; /* the address handed out (p); 0 marks an empty entry */
    size_t size;  /* bytes requested */
    bool freed;   /* in the quarantine, filled with DEAD_BYTE */
} hl_debug_block;

static inline uint64_t hl_debug_key(const void *data)
{
    return (uint64_t)(uintptr_t)data;
}

/* The address handed out for the block. */
static inline unsigned char *hl_debug_data(const hl_debug_block *b)
{
    return (unsigned char *)(uintptr_t)b->key;
}

/* One instance; its invariants are in debug.c's header comment. */
typedef struct hl_debug_context {
    hl_allocator *inner;        /* first, as allocator.h asks of wrappers; owned */
    hl_hash_map table;          /* hl_debug_block entries: live and freed blocks */
    size_t live;                /* blocks handed out, not yet freed */
    unsigned char **quarantine; /* ring of freed blocks' data pointers */
    size_t quarantine_capacity; /* ring slots; 0: no quarantine */
    size_t quarantine_first;    /* ring index of the oldest block */
    size_t quarantine_length;   /* blocks in the ring */
    size_t quarantine_bytes;    /* their inner sizes, summed */
    bool abort_on_error;        /* "abort": abort() after a report */
    uint64_t errors_detected;   /* reports printed */
} hl_debug_context;

/* Bytes asked of the inner allocator for a block of `size`. */
static inline size_t hl_debug_inner_size(size_t size)
{
    return HEAD_SIZE + size + TAIL_SIZE;
}

/* ---- debug_report.c ------------------------------------------------------ */

/* Writes the size field, the id and both guards around data. */
void hl_debug_write_guards(unsigned char *data, size_t size, char id);
/* What is wrong with a live block's guards, or NULL. */
const char *hl_debug_live_damage(const hl_debug_block *b);
/* Offset from the inner block of the first byte of a freed block that is
   not DEAD_BYTE, or its inner size when the fill is intact. */
size_t hl_debug_dead_damage(const hl_debug_block *b);
/* Reports damage to a live block's guards once (they are then rewritten),
   naming the operation that found it. */
void hl_debug_check_live(hl_debug_context *c, const hl_debug_block *b, const char *operation);
/* Reports a write after free in a quarantined block once (its fill is then
   restored). */
void hl_debug_check_freed(hl_debug_context *c, const hl_debug_block *b, const char *operation);
/* Reports an operation on a pointer that is not live: b is its quarantined
   entry when it was freed, or NULL when it was never handed out.  Only
   addresses are compared; the pointer is not read. */
void hl_debug_report_bad_pointer(hl_debug_context *c, const char *operation, const void *p,
                                 const hl_debug_block *b);

#endif
