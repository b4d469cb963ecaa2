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
 * single step).  The grey objects are the head of the visited space, so
 * the rest of a collection never walks them.  Marking needs no write barrier: it only decides what this
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
 *      not charged to it (select_eager says why);
 *   4. threshold0 is 1000 by default, not 2000: young garbage waits for
 *      at most one threshold0 of new containers, so the backlog's peak is
 *      about threshold0's worth of young garbage — request_cycles' 2 500
 *      objects at 2000 (2.7x generational's at 700), 1 250 at 1000.  The
 *      pause and the GC time do not grow with it: an increment's work
 *      (young, aging, the heap share) scales with threshold0, and so does
 *      the mutator time between increments;
 *   5. the marking is charged one unit per object and per reference it
 *      follows, and stops inside a container when the budget runs out, to
 *      resume there next time (incremental_mark.c): blackening a cache of
 *      100 000 entries was one unit and a 10 ms pause;
 *   6. pending slices are taken only once the marking is done: a slice's
 *      closure taken before it runs through every live structure the
 *      marking has not reached yet, a whole cache in one increment.
 * (`eager,noaging` keeps 1 without 2, to measure what each one buys.)
 * With that trigger young and aging each hold at most about threshold0
 * objects, so a pause stays that of about 2 x threshold0 objects plus one
 * increment, whatever the heap size.
 *
 * Configuration: "incremental" is 3.14.0's (threshold0 2000, threshold1 10,
 * threshold2 unused; eager's threshold0 1000); "incremental=A,B,..." takes
 * comma-separated items: up to three numbers for the thresholds, in order,
 * and the words `eager`, `noaging` (with eager) and `markall`.
 * threshold0 = 0 turns automatic collection off.
 *
 * The files: this one the slots; incremental_state.h the state, the bits
 * and the invariants; incremental_mark.c the marking from the roots;
 * incremental_scan.c the choice of each collection's set and what follows
 * it.
 */
#include "collector_registry.h"
#include "incremental_state.h"
#include "parse.h"

#include <stdio.h>
#include <string.h>

/* ---- the slots ------------------------------------------------------------ */

static bool parse_config(const char *arg, inc_state *s, bool *no_aging, bool *thresholds_given)
{
    char item[32];
    int numbers = 0;
    *thresholds_given = false;
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
        else
            *thresholds_given = true;
        if (end == NULL)
            return true;
        p = end;
    }
}

static bool inc_configure(void *ctx, const char *arg, char *error, size_t error_size)
{
    inc_state *s = ctx;
    bool no_aging = false, thresholds_given = false;
    s->threshold[0] = 2000;
    s->threshold[1] = 10;
    if (arg && !parse_config(arg, s, &no_aging, &thresholds_given)) {
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
    if (s->eager && !thresholds_given)
        s->threshold[0] = EAGER_THRESHOLD0;
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
        hl_incremental_collect(s, 1);
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
    return hl_incremental_collect(ctx, generation);
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
    if (s->partial && (kind_of(s->partial) != OLD || space_of(s->partial) != v)) {
        snprintf(why, why_size, "the partly followed object %p is not black in the visited space",
                 (void *)hl_object_of(s->partial));
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
                   "(2000,10; =eager: young and aging at every collection, threshold0 1000)",
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
