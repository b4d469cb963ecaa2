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
 * The word in front of each head (header_size is 32; the 16 bytes before
 * hl_gc_head are this collector's) records where a tracked object is:
 *
 *     bit 0      its space: 0 or 1, compared with `visited`
 *     bits 1..3  its list: one of enum list_id
 *
 * Invariants (checked by inc_validate):
 *   - every tracked container is on exactly one of the lists, and its word
 *     names that list; members[l] is the length of list l;
 *   - old[i] members have space bit i; young and aging members have the
 *     pending bit (1 - visited); grey and permanent members the visited bit;
 *   - in phase MARK no roots have been pushed yet for this scan.
 * Outside a collection no object is on a SET list; during one, the set
 * being collected is a temporary list whose members say SET.
 */
#include "collector_registry.h"
#include "gc_core.h"
#include "parse.h"
#include "runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GENERATIONS HL_GC_GENERATIONS
#define SCAN_RATE_DIVISOR 10 /* threshold1 10 scans 1% of the heap per increment */
#define THRESHOLD_MAX ((size_t)1 << 40)

enum list_id {
    L_YOUNG,
    L_AGING,
    L_OLD0, /* L_OLD0 + space */
    L_OLD1,
    L_GREY,
    L_PERMANENT,
    L_SET,       /* in the set being collected; goes to the visited space */
    L_SET_YOUNG, /* the same, from young; eager sends it to aging */
    L_LISTS
};

#define L_KEPT L_SET /* lists below this are kept between collections */

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
    hl_runtime *rt;
    hl_gc_head list[L_KEPT]; /* by list_id */
    size_t members[L_LISTS]; /* length of each kept list; SET entries unused */
    unsigned visited;        /* the visited space, 0 or 1 */
    scan_phase phase;
    bool eager;              /* the variant: see above */
    bool aging;              /* eager's second mechanism (off: `noaging`) */
    bool mark_all;           /* CPython's one-step marking */
    bool no_aging;           /* as parsed: `noaging` */
    bool enabled;            /* automatic collection on */
    size_t young_count;      /* allocations minus deallocations since the last
                                young collection or increment (>= 0) */
    const size_t *trigger;   /* compared with threshold0: &young_count, or
                                eager's &members[L_YOUNG] */
    size_t heap_size;        /* containers allocated minus freed */
    size_t space_count[2];   /* young collections since the space was visited
                                (gc.get_count()'s second and third entries) */
    size_t threshold[GENERATIONS];
    long long work_to_do;    /* the balance, see above */
    int generation;          /* of the collection running, for select/finish */
    step_kind step;          /* what it turned out to be */
    hl_gc_stats stats;
} inc_state;

/* ---- the word in front of the head --------------------------------------- */

static inline uintptr_t *word_of(hl_gc_head *gc)
{
    return (uintptr_t *)gc - 1;
}

static inline unsigned space_of(hl_gc_head *gc)
{
    return (unsigned)(*word_of(gc) & 1);
}

static inline unsigned list_of(hl_gc_head *gc)
{
    return (unsigned)(*word_of(gc) >> 1);
}

static inline void set_word(hl_gc_head *gc, unsigned list, unsigned space)
{
    *word_of(gc) = (uintptr_t)list << 1 | space;
}

static inline unsigned pending_space(const inc_state *s)
{
    return s->visited ^ 1;
}

/* Moves gc from wherever it is to kept list `to`, keeping the counts. */
static void move_to(inc_state *s, hl_gc_head *gc, unsigned to, unsigned space)
{
    s->members[list_of(gc)]--;
    hl_gc_list_move(gc, &s->list[to]);
    set_word(gc, to, space);
    s->members[to]++;
}

/* Moves gc into the set being collected, in the visited space. */
static void move_to_set(inc_state *s, hl_gc_head *gc, hl_gc_head *set, unsigned tag)
{
    s->members[list_of(gc)]--;
    hl_gc_list_move(gc, set);
    set_word(gc, tag, s->visited);
}

/* Moves a whole kept list into the set (one pass to retag, one splice). */
static size_t take_list(inc_state *s, unsigned from, hl_gc_head *set, unsigned tag)
{
    hl_gc_head *head = &s->list[from];
    for (hl_gc_head *gc = hl_gc_list_next(head); gc != head; gc = hl_gc_list_next(gc))
        set_word(gc, tag, s->visited);
    size_t n = s->members[from];
    s->members[from] = 0;
    hl_gc_list_merge(head, set);
    return n;
}

/* Sets every member of a kept list to `space` (after a flip). */
static void set_list_space(inc_state *s, unsigned l, unsigned space)
{
    hl_gc_head *head = &s->list[l];
    for (hl_gc_head *gc = hl_gc_list_next(head); gc != head; gc = hl_gc_list_next(gc))
        set_word(gc, l, space);
}

/* ---- marking alive ------------------------------------------------------- */

/* An object not yet in the visited space goes grey: alive, to be followed. */
static inline bool shade(inc_state *s, hl_object *op)
{
    if (!hl_is_container(op) || !hl_is_tracked(op))
        return false;
    hl_gc_head *gc = hl_gc_head_of(op);
    if (space_of(gc) == s->visited)
        return false; /* visited, grey, permanent, or in the set */
    move_to(s, gc, L_GREY, s->visited);
    return true;
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
    hl_object_stack *frames = &s->rt->frames;
    for (size_t i = 0; i < frames->count; i++)
        shade(s, frames->items[i]);
}

/* Blackens up to `budget` grey objects: each moves to the visited space and
   its referents go grey.  Returns how many it blackened. */
static size_t mark_step(inc_state *s, size_t budget)
{
    hl_gc_head *grey = &s->list[L_GREY];
    size_t n = 0;
    while (n < budget && !hl_gc_list_is_empty(grey)) {
        hl_gc_head *gc = hl_gc_list_next(grey);
        move_to(s, gc, L_OLD0 + s->visited, s->visited);
        hl_object *op = hl_object_of(gc);
        op->type->traverse(op, visit_shade, s);
        n++;
    }
    return n;
}

/* ---- choosing an increment ----------------------------------------------- */

typedef struct closure {
    inc_state *s;
    hl_gc_head *set;
} closure;

static int visit_pull(hl_object *op, void *arg)
{
    closure *c = arg;
    if (hl_is_container(op) && hl_is_tracked(op)) {
        hl_gc_head *gc = hl_gc_head_of(op);
        if (space_of(gc) != c->s->visited)
            move_to_set(c->s, gc, c->set, L_SET);
    }
    return 0;
}

/* Takes the first pending object and everything it reaches in the pending
   space (young and aging are in the set already).  Returns how many. */
static size_t take_closure(inc_state *s, hl_gc_head *set)
{
    hl_gc_head *gc = hl_gc_list_next(&s->list[L_OLD0 + pending_space(s)]);
    move_to_set(s, gc, set, L_SET);
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

/* The increment as CPython schedules it. */
static size_t select_increment(inc_state *s, hl_gc_head *set)
{
    s->work_to_do += assess_work(s);
    if (s->work_to_do < 0) {
        s->step = STEP_SKIPPED;
        return 0;
    }
    size_t marked = 0;
    if (s->phase == PHASE_MARK) {
        s->step = STEP_MARK;
        if (hl_gc_list_is_empty(&s->list[L_GREY]))
            hl_roots_for_each(s->rt, shade_root, s);
        marked = mark_step(s, s->mark_all ? SIZE_MAX : budget_of(s->work_to_do));
        s->work_to_do -= (long long)marked;
        if (hl_gc_list_is_empty(&s->list[L_GREY]))
            s->phase = PHASE_COLLECT;
        return marked; /* the marking step collects nothing */
    }
    s->step = STEP_INCREMENT;
    shade_frames(s);
    marked = mark_step(s, s->mark_all ? SIZE_MAX : budget_of(s->work_to_do));
    s->work_to_do -= (long long)marked;
    size_t size = take_list(s, L_YOUNG, set, L_SET);
    hl_gc_head *pending = &s->list[L_OLD0 + pending_space(s)];
    while ((long long)size < s->work_to_do && !hl_gc_list_is_empty(pending))
        size += take_closure(s, set);
    s->work_to_do -= (long long)size;
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
        hl_roots_for_each(s->rt, shade_root, s);
        s->phase = PHASE_COLLECT;
    } else {
        shade_frames(s);
    }
    take_list(s, L_YOUNG, set, s->aging ? L_SET_YOUNG : L_SET);
    take_list(s, L_AGING, set, L_SET);
    size_t marked = mark_step(s, s->mark_all ? SIZE_MAX : budget_of(s->work_to_do));
    s->work_to_do -= (long long)marked;
    hl_gc_head *pending = &s->list[L_OLD0 + pending_space(s)];
    size_t slice = 0;
    while ((long long)slice < s->work_to_do && !hl_gc_list_is_empty(pending))
        slice += take_closure(s, set);
    s->work_to_do -= (long long)slice;
    return marked;
}

static size_t select_set(void *ctx, hl_gc_head *set)
{
    inc_state *s = ctx;
    switch (s->generation) {
    case 0:
        s->step = STEP_YOUNG;
        s->young_count = 0;
        s->space_count[s->visited]++;
        take_list(s, L_YOUNG, set, s->aging ? L_SET_YOUNG : L_SET);
        return 0;
    case 1:
        return s->eager ? select_eager(s, set) : select_increment(s, set);
    default:
        s->step = STEP_FULL;
        for (unsigned l = 0; l < L_PERMANENT; l++)
            take_list(s, l, set, L_SET);
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
    if (!hl_gc_list_is_empty(&s->list[L_GREY])) {
        for (hl_gc_head *gc = hl_gc_list_next(&s->list[L_GREY]); gc != &s->list[L_GREY];
             gc = hl_gc_list_next(gc))
            set_word(gc, L_OLD0 + v, v);
        s->members[L_OLD0 + v] += s->members[L_GREY];
        s->members[L_GREY] = 0;
        hl_gc_list_merge(&s->list[L_GREY], &s->list[L_OLD0 + v]);
    }
    if (hl_gc_list_is_empty(&s->list[L_PERMANENT])) {
        /* Permanent members must stay in the visited space, so the bit can
           flip only while there are none. */
        s->visited = v ^ 1;
        set_list_space(s, L_YOUNG, v);
        set_list_space(s, L_AGING, v);
    } else {
        set_list_space(s, L_OLD0 + v, v ^ 1);
        s->members[L_OLD0 + (v ^ 1)] += s->members[L_OLD0 + v];
        s->members[L_OLD0 + v] = 0;
        hl_gc_list_merge(&s->list[L_OLD0 + v], &s->list[L_OLD0 + (v ^ 1)]);
    }
    s->work_to_do = 0;
    s->phase = PHASE_MARK;
}

/* Survivors of the set, the resurrected, the uncollectable and weakrefs
   whose callbacks ran all arrive on `survivors`; each joins the visited
   space (or aging, for eager's young survivors). */
static void finish(void *ctx, hl_gc_head *survivors)
{
    inc_state *s = ctx;
    unsigned v = s->visited;
    hl_gc_head *next;
    for (hl_gc_head *gc = hl_gc_list_next(survivors); gc != survivors; gc = next) {
        next = hl_gc_list_next(gc);
        unsigned from = list_of(gc);
        if (from < L_KEPT)
            s->members[from]--; /* a weakref pulled in from outside the set */
        unsigned to = from == L_SET_YOUNG ? L_AGING : L_OLD0 + v;
        hl_gc_list_move(gc, &s->list[to]);
        set_word(gc, to, to == L_AGING ? v ^ 1 : v);
        s->members[to]++;
    }
    if (s->step == STEP_FULL ||
        (s->step == STEP_INCREMENT && hl_gc_list_is_empty(&s->list[L_OLD0 + (v ^ 1)])))
        complete_scan(s);
}

/* ---- the vtable ---------------------------------------------------------- */

static size_t collect(inc_state *s, int generation)
{
    if (hl_gc_is_collecting(s->rt))
        return 0;
    s->generation = generation;
    hl_gc_head set, survivors;
    hl_gc_list_init(&set);
    hl_gc_list_init(&survivors);
    hl_gc_outcome out;
    return hl_gc_run_steps(s->rt, generation, generation == 2,
                           &(hl_gc_steps){select_set, finish, s}, &set, &survivors,
                           &s->stats, &out);
}

static bool parse_config(const char *arg, inc_state *s)
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
        else if (strcmp(item, "noaging") == 0 && !s->no_aging)
            s->no_aging = true;
        else if (numbers >= GENERATIONS ||
                 !hl_parse_size(item, 0, THRESHOLD_MAX, &s->threshold[numbers++]))
            return false;
        if (end == NULL)
            return true;
        p = end;
    }
}

static void *inc_create(hl_runtime *rt, hl_gc_config *config)
{
    inc_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->threshold[0] = 2000;
    s->threshold[1] = 10;
    if (config->arg && !parse_config(config->arg, s)) {
        snprintf(config->error, config->error_size,
                 "'incremental=%s': expected comma-separated items: up to three "
                 "thresholds, eager, noaging, markall",
                 config->arg);
        free(s);
        return NULL;
    }
    if (s->no_aging && !s->eager) {
        snprintf(config->error, config->error_size,
                 "'incremental=%s': noaging applies to eager only", config->arg);
        free(s);
        return NULL;
    }
    s->aging = s->eager && !s->no_aging;
    s->trigger = s->eager ? &s->members[L_YOUNG] : &s->young_count;
    s->rt = rt;
    for (unsigned l = 0; l < L_KEPT; l++)
        hl_gc_list_init(&s->list[l]);
    s->enabled = true;
    return s;
}

static void inc_destroy(void *ctx)
{
    free(ctx);
}

static void inc_track(void *ctx, hl_object *op)
{
    inc_state *s = ctx;
    hl_gc_head *gc = hl_gc_head_of(op);
    hl_gc_list_append(gc, &s->list[L_YOUNG]);
    set_word(gc, L_YOUNG, pending_space(s));
    s->members[L_YOUNG]++;
}

static void inc_untrack(void *ctx, hl_object *op)
{
    inc_state *s = ctx;
    s->members[list_of(hl_gc_head_of(op))]--;
    hl_gc_unlink(op);
}

static void inc_on_alloc(void *ctx)
{
    inc_state *s = ctx;
    s->heap_size++;
    s->young_count++;
    if (hl_unlikely(*s->trigger > s->threshold[0] && s->threshold[0] && s->enabled &&
                    !hl_gc_is_collecting(s->rt)))
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

static size_t inc_collect(void *ctx, int generation)
{
    return collect(ctx, generation);
}

static void inc_set_enabled(void *ctx, bool enabled)
{
    ((inc_state *)ctx)->enabled = enabled;
}

static bool inc_is_enabled(void *ctx)
{
    return ((inc_state *)ctx)->enabled;
}

static void inc_get_count(void *ctx, size_t count[GENERATIONS])
{
    inc_state *s = ctx;
    count[0] = s->young_count;
    count[1] = s->space_count[s->visited];
    count[2] = s->space_count[pending_space(s)];
}

static void inc_stats(void *ctx, hl_gc_stats *out)
{
    *out = ((inc_state *)ctx)->stats;
}

static void inc_for_each(void *ctx, int generation, void (*fn)(hl_object *, void *), void *arg)
{
    inc_state *s = ctx;
    unsigned v = s->visited;
    const unsigned order[] = {L_YOUNG, L_AGING, L_GREY, L_OLD0 + v, L_OLD0 + (v ^ 1)};
    const int gen_of[] = {0, 1, 1, 1, 2};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (generation < 0 || generation == gen_of[i])
            hl_gc_list_for_each(&s->list[order[i]], fn, arg);
}

static void inc_take_all(void *ctx, hl_gc_head *list)
{
    inc_state *s = ctx;
    for (unsigned l = 0; l < L_KEPT; l++) {
        hl_gc_list_merge(&s->list[l], list);
        s->members[l] = 0;
    }
    s->young_count = 0;
}

static void inc_get_threshold(void *ctx, size_t threshold[GENERATIONS])
{
    memcpy(threshold, ((inc_state *)ctx)->threshold, sizeof(size_t) * GENERATIONS);
}

static bool inc_set_threshold(void *ctx, const size_t threshold[GENERATIONS])
{
    memcpy(((inc_state *)ctx)->threshold, threshold, sizeof(size_t) * GENERATIONS);
    return true;
}

static void inc_freeze(void *ctx)
{
    inc_state *s = ctx;
    for (unsigned l = 0; l < L_PERMANENT; l++) {
        hl_gc_head *head = &s->list[l];
        for (hl_gc_head *gc = hl_gc_list_next(head); gc != head; gc = hl_gc_list_next(gc))
            set_word(gc, L_PERMANENT, s->visited);
        s->members[L_PERMANENT] += s->members[l];
        s->members[l] = 0;
        hl_gc_list_merge(head, &s->list[L_PERMANENT]);
    }
    s->young_count = 0;
}

/* Into the pending space, the oldest generation as get_objects() lists
   them (collector.h's contract; CPython 3.14 puts them in the visited one):
   the current scan will reach them. */
static void inc_unfreeze(void *ctx)
{
    inc_state *s = ctx;
    unsigned p = pending_space(s);
    hl_gc_head *head = &s->list[L_PERMANENT];
    for (hl_gc_head *gc = hl_gc_list_next(head); gc != head; gc = hl_gc_list_next(gc))
        set_word(gc, L_OLD0 + p, p);
    s->members[L_OLD0 + p] += s->members[L_PERMANENT];
    s->members[L_PERMANENT] = 0;
    hl_gc_list_merge(head, &s->list[L_OLD0 + p]);
}

static size_t inc_freeze_count(void *ctx)
{
    return ((inc_state *)ctx)->members[L_PERMANENT];
}

static bool inc_validate(void *ctx, char *why, size_t why_size)
{
    inc_state *s = ctx;
    static const char *const names[] = {"young", "aging", "old[0]", "old[1]", "grey",
                                        "permanent"};
    for (unsigned l = 0; l < L_KEPT; l++) {
        size_t n;
        if (!hl_gc_list_validate(&s->list[l], &n, why, why_size))
            return false;
        if (n != s->members[l]) {
            snprintf(why, why_size, "%s holds %zu objects; its count says %zu", names[l], n,
                     s->members[l]);
            return false;
        }
        unsigned want = l == L_OLD0 || l == L_OLD1 ? l - L_OLD0
                        : l == L_YOUNG || l == L_AGING ? pending_space(s)
                                                       : s->visited;
        hl_gc_head *head = &s->list[l];
        for (hl_gc_head *gc = hl_gc_list_next(head); gc != head; gc = hl_gc_list_next(gc)) {
            if (list_of(gc) != l || space_of(gc) != want) {
                snprintf(why, why_size,
                         "object %p on %s says list %u space %u; expected list %u space %u",
                         (void *)hl_object_of(gc), names[l], list_of(gc), space_of(gc), l, want);
                return false;
            }
        }
    }
    if (!s->aging && s->members[L_AGING]) {
        snprintf(why, why_size, "aging holds objects but is not in use");
        return false;
    }
    if (s->phase == PHASE_MARK && s->members[L_GREY] && s->eager) {
        snprintf(why, why_size, "grey objects before the scan marked its roots");
        return false;
    }
    return true;
}

static const hl_collector_ops incremental_ops = {
    .name = "incremental",
    .description = "CPython 3.14.0's incremental collector: young + old-space increments "
                   "(2000,10; =eager for prompt young and aging collection)",
    .header_size = 2 * sizeof(hl_gc_head),
    .generations = GENERATIONS,
    .create = inc_create,
    .destroy = inc_destroy,
    .track = inc_track,
    .untrack = inc_untrack,
    .on_alloc = inc_on_alloc,
    .on_dealloc = inc_on_dealloc,
    .collect = inc_collect,
    .set_enabled = inc_set_enabled,
    .is_enabled = inc_is_enabled,
    .get_count = inc_get_count,
    .stats = inc_stats,
    .for_each = inc_for_each,
    .take_all = inc_take_all,
    .get_threshold = inc_get_threshold,
    .set_threshold = inc_set_threshold,
    .freeze = inc_freeze,
    .unfreeze = inc_unfreeze,
    .freeze_count = inc_freeze_count,
    .validate = inc_validate,
};

const hl_collector_ops *hl_collector_incremental(void)
{
    return &incremental_ops;
}
