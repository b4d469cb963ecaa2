/*
 * collectors/gc_inline.h — gc_refs inside the refcount word, for a
 * collector that keeps no header in front of its objects (object.h draws
 * the word).  CPython's free-threaded build computes gc_refs in ob_tid, a
 * word it can recompute afterwards; heaplab's objects have no such word,
 * so during a collection the count's 56 bits are split in two:
 *
 *     63      56 55                    28 27                     0
 *    +----------+------------------------+------------------------+
 *    | flags    | gc_refs + 2^27         | count                  |
 *    +----------+------------------------+------------------------+
 *
 * The bias keeps the field non-negative while references are subtracted
 * before the object's own count is added (CPython ft's single pass does
 * the same with a signed ob_tid).  It works for counts below 2^27
 * (HL_REF_COLLECT_MAX): every subtraction is one reference the object
 * really holds, so the field never goes below 0 nor above 2^28 - 1.  An
 * object with a larger count is not split: the collection treats it as
 * known alive (ALIVE), which is conservative — kept, never wrongly freed.
 *
 * Invariant: outside a collection every live word has bits 28..55 as part
 * of its count and UNREACHABLE, ALIVE and COLLECTING clear.
 */
#ifndef HEAPLAB_GC_INLINE_H
#define HEAPLAB_GC_INLINE_H

#include "object.h"

#define HL_REF_REFS_SHIFT 28
#define HL_REF_COLLECT_MAX ((intptr_t)1 << 27)
#define HL_REF_REFS_BIAS ((intptr_t)1 << 27)
#define HL_REF_LOW_MASK (((intptr_t)1 << HL_REF_REFS_SHIFT) - 1)
#define HL_REF_REFS_MASK (HL_REF_COUNT_MASK & ~HL_REF_LOW_MASK)
#define HL_REF_REFS_ONE ((intptr_t)1 << HL_REF_REFS_SHIFT)

#if HL_REF_COUNT_BITS != 2 * HL_REF_REFS_SHIFT
#error "the split count must fill the count bits exactly"
#endif

/* A word's gc state bits are meaningful only on a live word. */
static inline bool hl_inline_has(const hl_object *op, intptr_t bits)
{
    intptr_t w = op->refcount;
    return w > 0 && (w & bits) == bits;
}

/* Starts gc_refs at `refs` (the count must be below HL_REF_COLLECT_MAX). */
static inline void hl_inline_init_refs(hl_object *op, intptr_t refs)
{
    op->refcount = (op->refcount & ~HL_REF_REFS_MASK) |
                   ((refs + HL_REF_REFS_BIAS) << HL_REF_REFS_SHIFT);
}

static inline intptr_t hl_inline_refs(const hl_object *op)
{
    return ((op->refcount & HL_REF_REFS_MASK) >> HL_REF_REFS_SHIFT) - HL_REF_REFS_BIAS;
}

/* The split count (bits 0..27) while gc_refs is in use. */
static inline intptr_t hl_inline_split_count(const hl_object *op)
{
    return op->refcount & HL_REF_LOW_MASK;
}

/* Gives the count its full 56 bits back. */
static inline void hl_inline_restore(hl_object *op)
{
    op->refcount &= ~HL_REF_REFS_MASK;
}

#endif
