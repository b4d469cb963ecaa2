/*
 * collectors/incremental.c — `incremental`: CPython 3.14.0's incremental
 * cycle collector (Python/gc.c of 3.14.0, InternalDocs/garbage_collector.md),
 * over the shared trial-deletion phases (gc_core.c); and `incremental=eager`,
 * a variant that keeps the short pauses without CPython's backlog.
 *
 *     young      <- every new container
 *     old[v]     the visited space: survivors of this scan, and what the
 *                marking found alive
 *     old[1-v]   the pending space: still to be scanned in this scan
 *     grey       found alive by the marking, references not yet followed
 *     aging      (eager only) survivors of one young collection
 *     permanent  <- gc.freeze(); never collected
 *
 * The algorithm.  Every automatic collection (young count over threshold0)
 * is one increment: the young generation plus a slice of the pending space,
 * and the survivors join the visited space.  The slice is taken object by
 * object from the head of the pending list, each grown by the transitive
 * closure of what it reaches in the pending space, so no cycle is ever
 * split between increments (trial deletion over a set treats references
 * from outside it as external: a split cycle would survive).  When the
 * pending space is empty the scan is complete and the two spaces swap
 * roles by flipping `visited` — one bit of state, not a pass over the heap.
 * How much to take — the work to do — is CPython's rule: each increment
 * adds the new objects plus min(heap / SCAN_RATE_DIVISOR / threshold1,
 * 2 x new objects) to a running balance and spends it on the objects it
 * marks and collects; a negative balance skips the increment altogether.
 * At the start of each scan the objects reachable from the roots (globals,
 * frames) are marked alive and moved to the visited space without trial
 * deletion; later increments mark from the frames again.
 *
 * gc.collect(0) collects the young generation alone; gc.collect(1) is one
 * increment, as an automatic collection; gc.collect(2) collects everything
 * and completes the scan.  get_objects(1) lists the visited side (aging,
 * grey and old[v]), get_objects(2) the pending space, as CPython's GEN_HEAD.
 *
 * One deliberate difference: CPython 3.14.0 marks everything reachable from
 * the roots in one step at the start of a scan, a pause proportional to the
 * live heap.  Here the marking goes through the grey list and each
 * collection marks at most its work balance, so a scan's marking spreads
 * over as many collections as it needs (`incremental=markall` restores the
 * single step).  Marking needs no write barrier: it only decides what this
 * scan will not trial-delete, and trial deletion stays correct for any set,
 * so a mutation during marking can only delay garbage to the next scan.
 *
 * Why CPython's schedule leaves a backlog, and what `eager` changes.  Young
 * garbage is found only when an increment runs; while the marking step runs
 * (it collects nothing) and while the work balance is negative after it,
 * the young generation is not collected at all.  And garbage that was still
 * alive at its one young collection — an in-flight request's cycle — sits
 * in the visited space until the next scan reaches it: a whole pass over
 * the heap later, where a generational collector would find it within ten
 * young collections.  On a request loop whose cycles own large buffers,
 * that is the memory growth of gh-142516.  `eager` changes the schedule and
 * not the invariants:
 *   1. every automatic collection collects the young generation and the
 *      aging space, whatever the work balance and during marking: trial
 *      deletion of young objects alone finds every cycle whose members are
 *      all young, so young garbage never waits for the old-space schedule;
 *   2. survivors of a young collection go to `aging`, collected once more
 *      with the next young generation before they join the visited space,
 *      so a cycle that dies one collection after it was made is found at
 *      the next collection instead of a scan later;
 *   3. the trigger counts the objects the young list holds — what
 *      survived since the last collection, not CPython's net allocations
 *      — so a young list never outgrows threshold0 where old objects die
 *      as fast as new ones are kept (a cache turning over); the balance
 *      caps its heap share by the same count (assess_work says why), and
 *      marking and the pending slice spend it, while young and aging are
 *      not charged to it (select_eager says why).
 * (`eager,noaging` keeps 1 without 2, to measure what each one buys.)
 * With that trigger young and aging each hold at most about threshold0
 * objects, so a pause stays that of about 2 x threshold0 objects plus one
 * increment, whatever the heap size.
 *
 * Configuration: "incremental" is 3.14.0's (threshold0 2000, threshold1 10,
 * threshold2 unused); "incremental=A,B,..." takes comma-separated items:
 * up to three numbers for the thresholds, in order, and the words `eager`,
 * `noaging` (with eager) and `markall`.  threshold0 = 0 turns automatic
 * collection off.
 *
 * Per object, in the spare bits of hl_gc_head.next (collector.h), so the
 * header stays CPython's 16 bytes:
 *
 *     bit 1      its space: 0 or 1, compared with `visited`
 *     bits 2..3  its kind: YOUNG, AGING or GREY (on the young list) or OLD
 *
 *     base.space[0]  the young list:  [ GREY ... | YOUNG and AGING ... ]
 *     base.space[1]  old[0]           (the lists the layer knows, so its
 *     base.space[2]  old[1]            reclaim and list checks see every
 *     base.permanent gc.freeze()       tracked object)
 *
 * Grey objects are a prefix of the young list (shading inserts at its
 * head, tracking appends at its tail), so the marking pops them from the
 * head and a collection takes the rest.  In the set being collected the
 * kind says where a survivor goes: AGING (eager's young survivors) back to
 * the young list as aging, OLD to the visited space.
 *
 * Invariants (checked by inc_validate):
 *   - old[i] members are kind OLD with space bit i; young-list members are
 *     a GREY prefix with the visited bit, then YOUNG and AGING with the
 *     pending bit (1 - visited); permanent members are OLD with the
 *     visited bit; AGING appears only under `eager`;
 *   - young_members is the number of YOUNG objects on the young list;
 *   - in phase MARK under eager, no object is grey.
 * Outside a collection no object is on any other list; the layer checks
 * each list's links, so no object is on two.
 */
#include "collector_registry.h"
#include "gc_core.h"
#include "parse.h"
#include "runtime.h"

#include <stdio.h>
#include <string.h>

#define GENERATIONS HL_GC_GENERATIONS
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
static void retag_merge(hl_gc_head *from, hl_gc_head *to, unsigned kind, unsigned space)
{
    for (hl_gc_head *gc = hl_gc_list_next(from); gc != from; gc = hl_gc_list_next(gc))
        set_bits(gc, kind, space);
    hl_gc_list_merge(from, to);
}

/* ---- marking alive ------------------------------------------------------- */

/* Inserts gc at the head of the visited space: the grey prefix. */
static void push_grey(inc_state *s, hl_gc_head *gc)
{
    hl_gc_head *head = old_list(s, s->visited), *first = hl_gc_list_next(head);
    hl_gc_set_prev(gc, head);
    hl_gc_set_next(gc, first);
    hl_gc_set_prev(first, gc);
    hl_gc_set_next(head, gc);
}

/* An object not yet in the visited space goes grey: alive, to be followed. */
static void shade(inc_state *s, hl_object *op)
{
    if (!hl_is_container(op) || hl_gc_head_of(op)->next == 0)
        return;
    hl_gc_head *gc = hl_gc_head_of(op);
    if (space_of(gc) == s->visited)
        return; /* visited, grey, permanent, or in the set */
    leave(s, gc);
    hl_gc_list_remove(gc);
    push_grey(s, gc);
    set_bits(gc, GREY, s->visited);
}

static void shade_root(hl_object *op, void *arg)
{
    shade(arg, op);
}

static int visit_shade(hl_object *op, void *arg)
{
    shade(arg, op);
    return 0;
}

static void shade_frames(inc_state *s)
{
    hl_object_stack *frames = &s->base.rt->frames;
    for (size_t i = 0; i < frames->count; i++)
        shade(s, frames->items[i]);
}

static bool has_grey(inc_state *s)
{
    hl_gc_head *visited = old_list(s, s->visited), *first = hl_gc_list_next(visited);
    return first != visited && kind_of(first) == GREY;
}

/* Blackens up to `budget` grey objects: each moves to the visited space and
   its referents go grey.  Returns how many it blackened. */
static size_t mark_step(inc_state *s, size_t budget)
{
    size_t n = 0;
    hl_gc_head *visited = old_list(s, s->visited);
    while (n < budget && has_grey(s)) {
        hl_gc_head *gc = hl_gc_list_next(visited);
        hl_gc_list_move(gc, visited); /* behind the grey prefix */
        set_bits(gc, OLD, s->visited);
        hl_object *op = hl_object_of(gc);
        op->type->traverse(op, visit_shade, s);
        n++;
    }
    return n;
}

/* Eager's marking counts references, not objects: blackening a container
   of 100 000 items is 100 000 units of work, and the budget can stop it
   midway (traverse stops at a visit's nonzero return), to resume at the
   next increment by skipping what it followed already.  A partly followed
   container may change in between; what the marking then misses stays
   pending and meets trial deletion, which is correct for any set. */
typedef struct counted_marking {
    inc_state *s;
    size_t skip;   /* references followed by earlier increments */
    size_t budget; /* references this one may still follow */
} counted_marking;

static int visit_shade_counted(hl_object *op, void *arg)
{
    counted_marking *m = arg;
    if (m->skip > 0) {
        m->skip--;
        return 0;
    }
    if (m->budget == 0)
        return 1; /* stop here; resume at the next increment */
    m->budget--;
    shade(m->s, op);
    return 0;
}

/* Follows gc's references after the first `skip`, at most `budget` of
   them; remembers where it stopped.  Returns how many it followed. */
static size_t follow(inc_state *s, hl_gc_head *gc, size_t skip, size_t budget)
{
    counted_marking m = {s, skip, budget};
    hl_object *op = hl_object_of(gc);
    s->partial = NULL;
    if (op->type->traverse(op, visit_shade_counted, &m) != 0) {
        s->partial = gc;
        s->partial_done = skip + budget;
    }
    return budget - m.budget;
}

/* Blackens grey objects until `budget` units (one per object and one per
   reference followed) are spent, finishing a partly followed object first.
   Returns the objects blackened; *spent says the units. */
static size_t mark_counted(inc_state *s, size_t budget, size_t *spent)
{
    hl_gc_head *visited = old_list(s, s->visited);
    size_t n = 0, used = 0;
    if (s->partial && budget > 0)
        used += follow(s, s->partial, s->partial_done, budget);
    while (used < budget && has_grey(s)) {
        hl_gc_head *gc = hl_gc_list_next(visited);
        hl_gc_list_move(gc, visited);
        set_bits(gc, OLD, s->visited);
        used += 1 + follow(s, gc, 0, budget - used - 1);
        n++;
    }
    *spent = used;
    return n;
}

static bool marking_done(inc_state *s)
{
    return !has_grey(s) && s->partial == NULL;
}

/* ---- choosing the set ---------------------------------------------------- */

/* Moves the young list's YOUNG members (and its AGING ones when
   `with_aging`) into the set, in the visited space: young ones tagged
   `young_to`, aging ones OLD.  Returns how many. */
static size_t take_young(inc_state *s, hl_gc_head *set, unsigned young_to, bool with_aging)
{
    hl_gc_head *head = young_list(s), *gc = hl_gc_list_next(head);
    if (gc == head)
        return 0;
    size_t n = 0;
    if (!with_aging && s->aging) {
        for (hl_gc_head *next; gc != head; gc = next) {
            next = hl_gc_list_next(gc);
            if (kind_of(gc) != YOUNG)
                continue;
            hl_gc_list_move(gc, set);
            set_bits(gc, young_to, s->visited);
            n++;
        }
        s->young_members = 0;
        return n;
    }
    for (hl_gc_head *p = gc; p != head; p = hl_gc_list_next(p), n++)
        set_bits(p, kind_of(p) == YOUNG ? young_to : OLD, s->visited);
    /* Splice [gc .. tail] onto the set. */
    hl_gc_head *before = hl_gc_list_prev(gc), *tail = hl_gc_list_prev(head);
    hl_gc_set_next(before, head);
    hl_gc_set_prev(head, before);
    hl_gc_head *set_tail = hl_gc_list_prev(set);
    hl_gc_set_next(set_tail, gc);
    hl_gc_set_prev(gc, set_tail);
    hl_gc_set_next(tail, set);
    hl_gc_set_prev(set, tail);
    s->young_members = 0;
    return n;
}

typedef struct closure {
    inc_state *s;
    hl_gc_head *set;
} closure;

static int visit_pull(hl_object *op, void *arg)
{
    closure *c = arg;
    if (hl_is_container(op) && hl_gc_head_of(op)->next != 0) {
        hl_gc_head *gc = hl_gc_head_of(op);
        if (space_of(gc) != c->s->visited) {
            leave(c->s, gc);
            hl_gc_list_move(gc, c->set);
            set_bits(gc, OLD, c->s->visited);
        }
    }
    return 0;
}

/* Takes the first pending object and everything it reaches in the pending
   space (young and aging are in the set already, so the closure never runs
   through them).  Returns how many. */
static size_t take_closure(inc_state *s, hl_gc_head *set)
{
    hl_gc_head *gc = hl_gc_list_next(old_list(s, pending_space(s)));
    hl_gc_list_move(gc, set);
    set_bits(gc, OLD, s->visited);
    closure c = {s, set};
    size_t n = 0;
    for (; gc != set; gc = hl_gc_list_next(gc), n++) {
        hl_object *op = hl_object_of(gc);
        op->type->traverse(op, visit_pull, &c);
    }
    return n;
}

/* CPython's assess_work_to_do: new objects (net allocations) plus a share
   of the heap, at most twice the new objects.  Eager caps the share by
   what the young list holds instead: where old objects die as fast as new
   ones are kept the net count stays near zero and the old space, where
   the replaced objects' cycles wait, would hardly be scanned. */
static long long assess_work(inc_state *s)
{
    size_t scale = s->threshold[1] < 2 ? 2 : s->threshold[1];
    long long fresh = (long long)s->young_count;
    long long share = (long long)(s->heap_size / SCAN_RATE_DIVISOR / scale);
    long long cap = 2 * (long long)*s->trigger;
    if (share > cap)
        share = cap;
    s->young_count = 0;
    return fresh + share;
}

static size_t budget_of(long long work)
{
    return work > 0 ? (size_t)work : 0;
}

static size_t take_slice(inc_state *s, hl_gc_head *set)
{
    hl_gc_head *pending = old_list(s, pending_space(s));
    size_t size = 0;
    while ((long long)size < s->work_to_do && !hl_gc_list_is_empty(pending))
        size += take_closure(s, set);
    s->work_to_do -= (long long)size;
    return size;
}

/* The increment as CPython schedules it.  Returns the objects marked. */
static size_t select_increment(inc_state *s, hl_gc_head *set)
{
    s->work_to_do += assess_work(s);
    if (s->work_to_do < 0) {
        s->step = STEP_SKIPPED;
        return 0;
    }
    size_t marked;
    if (s->phase == PHASE_MARK) {
        s->step = STEP_MARK;
        if (!has_grey(s))
            hl_roots_for_each(s->base.rt, shade_root, s);
        marked = mark_step(s, s->mark_all ? SIZE_MAX : budget_of(s->work_to_do));
        s->work_to_do -= (long long)marked;
        if (!has_grey(s))
            s->phase = PHASE_COLLECT;
        return marked; /* the marking step collects nothing */
    }
    s->step = STEP_INCREMENT;
    shade_frames(s);
    marked = mark_step(s, s->mark_all ? SIZE_MAX : budget_of(s->work_to_do));
    s->work_to_do -= (long long)marked;
    s->work_to_do -= (long long)take_young(s, set, OLD, true);
    take_slice(s, set);
    return marked;
}

/* The eager variant: young and aging always, whatever the balance, and
   neither charged to it.  CPython charges the young list, whose length is
   the survivors since the last collection while the balance grows by the
   net allocations: where old objects die by reference counting as fast as
   new ones are kept (a cache turning over), the young list outgrows what
   the balance gains and the old space is never scanned. */
static size_t select_eager(inc_state *s, hl_gc_head *set)
{
    s->step = STEP_INCREMENT;
    s->work_to_do += assess_work(s);
    if (s->phase == PHASE_MARK) {
        hl_roots_for_each(s->base.rt, shade_root, s);
        s->phase = PHASE_COLLECT;
    } else {
        shade_frames(s);
    }
    take_young(s, set, s->aging ? AGING : OLD, true);
    size_t marked, spent;
    if (s->mark_all) {
        marked = spent = mark_step(s, SIZE_MAX);
    } else {
        marked = mark_counted(s, budget_of(s->work_to_do), &spent);
    }
    s->work_to_do -= (long long)spent;
    if (marking_done(s))
        take_slice(s, set);
    return marked;
}

/* Fills `set` for a collection of `generation`; returns the objects marked. */
static size_t select_set(inc_state *s, int generation, hl_gc_head *set)
{
    switch (generation) {
    case 0:
        s->step = STEP_YOUNG;
        s->young_count = 0;
        s->space_count[s->visited]++;
        take_young(s, set, s->aging ? AGING : OLD, false); /* aging stays */
        return 0;
    case 1:
        return s->eager ? select_eager(s, set) : select_increment(s, set);
    default:
        s->step = STEP_FULL;
        s->partial = NULL;
        retag_merge(young_list(s), set, OLD, s->visited); /* grey included */
        retag_merge(old_list(s, 0), set, OLD, s->visited);
        retag_merge(old_list(s, 1), set, OLD, s->visited);
        s->young_members = 0;
        s->young_count = 0;
        s->space_count[0] = s->space_count[1] = 0;
        return 0;
    }
}

/* ---- after the collection ------------------------------------------------ */

/* The scan is complete: the visited space becomes the pending one. */
static void complete_scan(inc_state *s)
{
    unsigned v = s->visited;
    hl_gc_head *visited = old_list(s, v);
    for (hl_gc_head *gc = hl_gc_list_next(visited); gc != visited && kind_of(gc) == GREY;
         gc = hl_gc_list_next(gc))
        set_bits(gc, OLD, v); /* marked but not followed: alive all the same */
    if (hl_gc_list_is_empty(&s->base.permanent)) {
        /* Permanent members must stay in the visited space, so the bit can
           flip only while there are none. */
        s->visited = v ^ 1;
        hl_gc_head *young = young_list(s);
        for (hl_gc_head *gc = hl_gc_list_next(young); gc != young; gc = hl_gc_list_next(gc))
            set_bits(gc, kind_of(gc), v);
    } else {
        retag_merge(old_list(s, v), old_list(s, v ^ 1), OLD, v ^ 1);
    }
    s->work_to_do = 0;
    s->phase = PHASE_MARK;
    s->partial = NULL;
}

/* Survivors of the set, the resurrected, the uncollectable and weakrefs
   whose callbacks ran all arrive on `survivors`; each joins the visited
   space, or the young list as aging (eager's young survivors). */
static void finish(inc_state *s, hl_gc_head *survivors)
{
    unsigned v = s->visited;
    hl_gc_head *next;
    for (hl_gc_head *gc = hl_gc_list_next(survivors); gc != survivors; gc = next) {
        next = hl_gc_list_next(gc);
        if (space_of(gc) != v) /* a weakref pulled in from outside the set */
            leave(s, gc);
        if (space_of(gc) == v && kind_of(gc) == AGING) {
            hl_gc_list_move(gc, young_list(s));
            set_bits(gc, AGING, v ^ 1);
        } else {
            hl_gc_list_move(gc, old_list(s, v));
            set_bits(gc, OLD, v);
        }
    }
    if (s->step == STEP_FULL ||
        (s->step == STEP_INCREMENT && hl_gc_list_is_empty(old_list(s, v ^ 1))))
        complete_scan(s);
}

/* One collection: hl_gc_run's phases, with the choice of the set and the
   filing of survivors inside the pause. */
static size_t collect(inc_state *s, int generation)
{
    hl_gc_outcome out;
    if (!hl_gc_run_begin(&s->base, generation, &out))
        return 0;
    bool full = generation == 2;
    hl_gc_head set, survivors, unreachable;
    hl_gc_list_init(&set);
    hl_gc_list_init(&survivors);
    size_t marked = select_set(s, generation, &set);
    out.visited = hl_gc_deduce_unreachable(&set, &unreachable);
    size_t unreachable_count = hl_gc_list_size(&unreachable);
    out.reachable = out.visited - unreachable_count -
                    hl_gc_untrack_atomic(s->base.rt, &set, full);
    hl_gc_list_merge(&set, &survivors);
    if (unreachable_count)
        out.found = hl_gc_handle_garbage(&s->base, &unreachable, &survivors, &out);
    finish(s, &survivors);
    out.visited += marked;
    hl_gc_run_end(&s->base, generation, full, &out);
    return out.found;
}

/* ---- the slots ------------------------------------------------------------ */

static bool parse_config(const char *arg, inc_state *s, bool *no_aging)
{
    char item[32];
    int numbers = 0;
    for (const char *p = arg;; p++) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0 || len >= sizeof item)
            return false;
        memcpy(item, p, len);
        item[len] = '\0';
        if (strcmp(item, "eager") == 0 && !s->eager)
            s->eager = true;
        else if (strcmp(item, "markall") == 0 && !s->mark_all)
            s->mark_all = true;
        else if (strcmp(item, "noaging") == 0 && !*no_aging)
            *no_aging = true;
        else if (numbers >= GENERATIONS ||
                 !hl_parse_size(item, 0, THRESHOLD_MAX, &s->threshold[numbers++]))
            return false;
        if (end == NULL)
            return true;
        p = end;
    }
}

static bool inc_configure(void *ctx, const char *arg, char *error, size_t error_size)
{
    inc_state *s = ctx;
    bool no_aging = false;
    s->threshold[0] = 2000;
    s->threshold[1] = 10;
    if (arg && !parse_config(arg, s, &no_aging)) {
        snprintf(error, error_size,
                 "expected comma-separated items: up to three thresholds (digits only), "
                 "eager, noaging, markall; or stress; not '%s'",
                 arg);
        return false;
    }
    if (no_aging && !s->eager) {
        snprintf(error, error_size, "noaging applies to eager only, in '%s'", arg);
        return false;
    }
    s->aging = s->eager && !no_aging;
    s->trigger = s->eager ? &s->young_members : &s->young_count;
    return true;
}

static void inc_track(void *ctx, hl_object *op)
{
    inc_state *s = ctx;
    hl_gc_head *gc = hl_gc_head_of(op);
    hl_gc_list_append(gc, young_list(s));
    set_bits(gc, YOUNG, pending_space(s));
    s->young_members++;
}

static void inc_untrack(void *ctx, hl_object *op)
{
    inc_state *s = ctx;
    if (hl_unlikely(hl_gc_head_of(op) == s->partial))
        s->partial = NULL;
    leave(ctx, hl_gc_head_of(op));
    hl_gc_unlink(op);
}

static void inc_on_alloc(void *ctx)
{
    inc_state *s = ctx;
    s->heap_size++;
    s->young_count++;
    if (hl_unlikely(*s->trigger > s->threshold[0] && s->threshold[0] && s->base.enabled &&
                    !hl_gc_is_collecting(&s->base)))
        collect(s, 1);
}

static void inc_on_dealloc(void *ctx)
{
    inc_state *s = ctx;
    if (s->young_count > 0)
        s->young_count--;
    if (s->heap_size > 0)
        s->heap_size--;
}

static int inc_stress_generation(void *ctx)
{
    (void)ctx;
    return 1; /* every automatic collection is an increment */
}

static size_t inc_collect(void *ctx, int generation)
{
    return collect(ctx, generation);
}

static void inc_get_count(void *ctx, size_t count[GENERATIONS])
{
    inc_state *s = ctx;
    count[0] = s->young_count;
    count[1] = s->space_count[s->visited];
    count[2] = s->space_count[pending_space(s)];
}

typedef struct kind_filter {
    unsigned kind; /* YOUNG: young only; AGING: aging and grey */
    hl_gc_object_fn fn;
    void *arg;
} kind_filter;

static void filtered(hl_object *op, void *arg)
{
    kind_filter *f = arg;
    unsigned k = kind_of(hl_gc_head_of(op));
    if ((f->kind == YOUNG) == (k == YOUNG))
        f->fn(op, f->arg);
}

/* Generation 0 is the young objects, 1 the visited side (aging, grey,
   old[visited]), 2 the pending space — CPython's GEN_HEAD. */
static void inc_for_each(void *ctx, int generation, hl_gc_object_fn fn, void *arg)
{
    inc_state *s = ctx;
    bool every = generation < 0;
    if (every) {
        hl_gc_list_for_each(young_list(s), fn, arg);
    } else if (generation <= 1) {
        kind_filter f = {generation == 0 ? YOUNG : AGING, fn, arg};
        hl_gc_list_for_each(young_list(s), filtered, &f);
    }
    if (every || generation == 1)
        hl_gc_list_for_each(old_list(s, s->visited), fn, arg);
    if (every || generation == 2)
        hl_gc_list_for_each(old_list(s, pending_space(s)), fn, arg);
    if (generation == HL_GC_EVERY_SPACE)
        hl_gc_list_for_each(&s->base.permanent, fn, arg);
}

static void inc_get_threshold(void *ctx, size_t threshold[GENERATIONS])
{
    memcpy(threshold, ((inc_state *)ctx)->threshold, sizeof(size_t[GENERATIONS]));
}

static bool inc_set_threshold(void *ctx, const size_t threshold[GENERATIONS])
{
    memcpy(((inc_state *)ctx)->threshold, threshold, sizeof(size_t[GENERATIONS]));
    return true;
}

static void inc_freeze(void *ctx)
{
    inc_state *s = ctx;
    for (int g = 0; g < GENERATIONS; g++)
        retag_merge(&s->base.space[g], &s->base.permanent, OLD, s->visited);
    s->young_members = 0;
    s->young_count = 0;
    s->partial = NULL;
}

/* Into the pending space, the oldest generation as get_objects() lists
   them (collector.h's contract; CPython 3.14 puts them in the visited
   space): the current scan will reach them. */
static void inc_unfreeze(void *ctx)
{
    inc_state *s = ctx;
    unsigned p = pending_space(s);
    retag_merge(&s->base.permanent, old_list(s, p), OLD, p);
}

static bool inc_validate(void *ctx, char *why, size_t why_size)
{
    inc_state *s = ctx;
    static const char *const kinds[] = {"old", "young", "aging", "grey"};
    unsigned v = s->visited;
    struct {
        hl_gc_head *list;
        const char *name;
    } lists[] = {{young_list(s), "the young list"},
                 {old_list(s, 0), "old[0]"},
                 {old_list(s, 1), "old[1]"},
                 {&s->base.permanent, "permanent"}};
    size_t young = 0;
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        bool in_prefix = l == 1 + v; /* the grey prefix of the visited space */
        for (hl_gc_head *gc = hl_gc_list_next(lists[l].list); gc != lists[l].list;
             gc = hl_gc_list_next(gc)) {
            unsigned k = kind_of(gc), want;
            bool ok;
            if (l == 0) {
                ok = k == YOUNG || (k == AGING && s->aging);
                want = v ^ 1;
                young += k == YOUNG;
            } else {
                in_prefix = in_prefix && k == GREY;
                ok = k == OLD || (k == GREY && in_prefix);
                want = l == 1 ? 0 : l == 2 ? 1 : v;
            }
            if (!ok || space_of(gc) != want) {
                snprintf(why, why_size, "object %p on %s is %s in space %u; expected space %u%s",
                         (void *)hl_object_of(gc), lists[l].name, kinds[k], space_of(gc), want,
                         ok ? "" : " and another kind");
                return false;
            }
        }
    }
    if (young != s->young_members) {
        snprintf(why, why_size, "%zu young objects on the young list; the count says %zu", young,
                 s->young_members);
        return false;
    }
    if (s->eager && s->phase == PHASE_MARK && has_grey(s)) {
        snprintf(why, why_size, "grey objects before the scan marked its roots");
        return false;
    }
    return true;
}

static const hl_collector_ops incremental_ops = {
    .name = "incremental",
    .description = "CPython 3.14.0's incremental collector: young + old-space increments "
                   "(2000,10; =eager for prompt young and aging collection)",
    .flags = HL_GC_FINDS_CYCLES | HL_GC_AUTOMATIC | HL_GC_MARKS_ROOTS | HL_GC_INCREMENTS |
             HL_GC_SPARE_BITS,
    .generations = GENERATIONS,
    .state_size = sizeof(inc_state),
    .configure = inc_configure,
    .track = inc_track,
    .untrack = inc_untrack,
    .on_alloc = inc_on_alloc,
    .on_dealloc = inc_on_dealloc,
    .stress_generation = inc_stress_generation,
    .collect = inc_collect,
    .get_count = inc_get_count,
    .get_threshold = inc_get_threshold,
    .set_threshold = inc_set_threshold,
    .for_each = inc_for_each,
    .freeze = inc_freeze,
    .unfreeze = inc_unfreeze,
    .validate = inc_validate,
};

const hl_collector_ops *hl_collector_incremental(void)
{
    return &incremental_ops;
}
