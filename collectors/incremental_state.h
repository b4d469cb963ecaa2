/*
 * collectors/incremental_state.h — the state of the `incremental` collector
 * (incremental.c says what it is), shared by its three files and by nothing
 * else: the one struct, the per-object bits, the lists and their
 * invariants, and the calls the files make to one another.
 *
 * Per object, in the spare bits of hl_gc_head.next (collector.h), so the
 * header stays CPython's 16 bytes:
 *
 *     bit 1      its space: 0 or 1, compared with `visited`
 *     bits 2..3  its kind: YOUNG or AGING (on the young list), GREY or OLD
 *
 *     base.space[0]  the young list:  [ YOUNG and AGING ... ]
 *     base.space[1]  old[0]           (the lists the layer knows, so its
 *     base.space[2]  old[1]            reclaim and list checks see every
 *     base.permanent gc.freeze()       tracked object)
 *
 *     old[visited]:  [ GREY ... | OLD ... ]
 *
 * Grey objects are a prefix of the visited space (shading inserts at its
 * head; the marking pops them from the head and appends them, black, to
 * its tail, where survivors arrive too), so finding them is one look at
 * the head and nothing else ever walks them.  In the set being collected the
 * kind says where a survivor goes: AGING (eager's young survivors) back to
 * the young list as aging, OLD to the visited space.
 *
 * Invariants (checked by inc_validate):
 *   - old[i] members are kind OLD with space bit i, after a GREY prefix in
 *     old[visited] only; young-list members are YOUNG and AGING with the
 *     pending bit (1 - visited); permanent members are OLD with the
 *     visited bit; AGING appears only under `eager`;
 *   - young_members is the number of YOUNG objects on the young list;
 *   - in phase MARK under eager, no object is grey;
 *   - `partial`, when set, is a tracked black object in old[visited].
 * Outside a collection no object is on any other list; the layer checks
 * each list's links, so no object is on two.
 */
#ifndef HL_INCREMENTAL_STATE_H
#define HL_INCREMENTAL_STATE_H

#include "gc_core.h"
#include "runtime.h"

#define GENERATIONS HL_GC_GENERATIONS
#define EAGER_THRESHOLD0 1000 /* eager's default: incremental.c says why */
#define SCAN_RATE_DIVISOR 10 /* threshold1 10 scans 1% of the heap per increment */
#define THRESHOLD_MAX ((size_t)1 << 40)

/* The spare bits of next. */
#define SPACE_BIT ((uintptr_t)2)
#define KIND_SHIFT 2
#define KIND_MASK ((uintptr_t)0xc)

/* OLD is 0: a head whose spare bits nobody set reads as an old object,
   which no count follows. */
enum kind { OLD, YOUNG, AGING, GREY };

typedef enum scan_phase {
    PHASE_MARK,   /* the scan has not marked from the roots yet */
    PHASE_COLLECT /* roots pushed; increments take from the pending space */
} scan_phase;

/* What the running collection does, for finish(). */
typedef enum step_kind {
    STEP_SKIPPED,   /* a negative balance: nothing collected */
    STEP_MARK,      /* CPython's marking step: nothing collected */
    STEP_YOUNG,     /* gc.collect(0) */
    STEP_INCREMENT, /* young (and aging) plus a slice of the pending space */
    STEP_FULL       /* everything */
} step_kind;

typedef struct inc_state {
    hl_gc_base base;         /* space[0] young, space[1..2] old[0..1] */
    unsigned visited;        /* the visited space, 0 or 1 */
    scan_phase phase;
    step_kind step;          /* what the running collection turned out to be */
    bool eager;              /* the variant: see above */
    bool aging;              /* eager's second mechanism (off: `noaging`) */
    bool mark_all;           /* CPython's one-step marking */
    size_t young_members;    /* YOUNG objects on the young list */
    size_t young_count;      /* allocations minus deallocations since the last
                                young collection or increment (>= 0) */
    const size_t *trigger;   /* compared with threshold0: &young_count, or
                                eager's &young_members */
    size_t heap_size;        /* containers allocated minus freed */
    size_t space_count[2];   /* young collections since the space was visited
                                (gc.get_count()'s second and third entries) */
    size_t threshold[GENERATIONS];
    long long work_to_do;    /* the balance, see above */
    hl_gc_head *partial;     /* eager: a black object whose references the
                                marking has followed only in part, or NULL */
    size_t partial_done;     /* how many of them it has followed */
} inc_state;

/* ---- the bits ------------------------------------------------------------ */

static inline unsigned space_of(const hl_gc_head *gc)
{
    return (gc->next & SPACE_BIT) != 0;
}

static inline unsigned kind_of(const hl_gc_head *gc)
{
    return (unsigned)((gc->next & KIND_MASK) >> KIND_SHIFT);
}

static inline void set_bits(hl_gc_head *gc, unsigned kind, unsigned space)
{
    gc->next = (gc->next & ~HL_GC_NEXT_SPARE) | (uintptr_t)kind << KIND_SHIFT |
               (space ? SPACE_BIT : 0);
}

static inline unsigned pending_space(const inc_state *s)
{
    return s->visited ^ 1;
}

static inline hl_gc_head *young_list(inc_state *s)
{
    return &s->base.space[0];
}

static inline hl_gc_head *old_list(inc_state *s, unsigned space)
{
    return &s->base.space[1 + space];
}

/* Only the young list holds YOUNG objects: leaving it keeps the count. */
static inline void leave(inc_state *s, hl_gc_head *gc)
{
    if (kind_of(gc) == YOUNG)
        s->young_members--;
}

/* Moves a list's members, retagged, to the end of `to`. */
static inline void retag_merge(hl_gc_head *from, hl_gc_head *to, unsigned kind, unsigned space)
{
    for (hl_gc_head *gc = hl_gc_list_next(from); gc != from; gc = hl_gc_list_next(gc))
        set_bits(gc, kind, space);
    hl_gc_list_merge(from, to);
}

static inline bool has_grey(inc_state *s)
{
    hl_gc_head *visited = old_list(s, s->visited), *first = hl_gc_list_next(visited);
    return first != visited && kind_of(first) == GREY;
}

/* incremental_mark.c */
void hl_incremental_shade_roots(inc_state *s);  /* globals and frames go grey */
void hl_incremental_shade_frames(inc_state *s); /* the frames alone */
size_t hl_incremental_mark(inc_state *s, size_t budget);
size_t hl_incremental_mark_counted(inc_state *s, size_t budget, size_t *spent);
bool hl_incremental_marking_done(inc_state *s);

/* incremental_scan.c: one collection of `generation`; returns gc.collect()'s
   count. */
size_t hl_incremental_collect(inc_state *s, int generation);

#endif
