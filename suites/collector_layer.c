/*
 * suites/collector_layer.c — the pieces of collectors/gc_core.h that a
 * collector with phases of its own (incremental, mark-alive) builds on,
 * checked on every stack's collector state: trial deletion of a set the
 * caller chose, mark-alive from the runtime's roots, the garbage phases on
 * an unreachable list the caller built, the spare bits of the GC header,
 * and validate catching a broken invariant.  On a collector without lists
 * (HL_GC_WALKS_HEAP) the list cases have nothing to check and pass.
 */
#include "gc_core.h"
#include "runtime.h"
#include "suite.h"

#include <string.h>

/* Moves op from the collector's lists onto `set`, still tracked, as a
   collector of its own moves objects between its spaces.  give_back files
   them again through the collector's own untrack and track: merging the set
   into the youngest list would keep whatever per-object state the
   collector holds in the spare bits of next (HL_GC_SPARE_BITS), and an
   object it had tagged old would sit on its young list. */
static void borrow(hl_runtime *rt, hl_object *op, hl_gc_head *set)
{
    (void)rt;
    hl_gc_list_move(hl_gc_head_of(op), set);
}

static void give_back(hl_runtime *rt, hl_gc_head *set)
{
    while (!hl_gc_list_is_empty(set)) {
        hl_object *op = hl_object_of(hl_gc_list_next(set));
        hl_gc_untrack(rt, op);
        hl_gc_track(rt, op);
    }
}

static bool on_list(const hl_gc_head *list, const hl_object *op)
{
    for (const hl_gc_head *gc = hl_gc_list_next(list); gc != list; gc = hl_gc_list_next(gc))
        if (hl_object_of(gc) == op)
            return true;
    return false;
}

/* root = [a]; a = [b]; c = [d]; d = [c]: from the roots, root, a and b are
   alive; c and d (held only by the case) are left for trial deletion. */
static hl_test_result test_mark_alive(hl_test *t)
{
    hl_runtime *rt = t->rt;
    hl_collector *c = hl_runtime_collector(rt);
    if (!c->lists)
        return HL_TEST_PASS;
    LET(root, hl_list_new(rt, 0));
    LET(a, hl_list_new(rt, 0));
    LET(b, hl_list_new(rt, 0));
    LET(cc, hl_list_new(rt, 0));
    LET(d, hl_list_new(rt, 0));
    OK(hl_list_append(rt, root, a));
    OK(hl_list_append(rt, a, b));
    OK(hl_list_append(rt, cc, d));
    OK(hl_list_append(rt, d, cc));
    OK(hl_root_add(rt, root));
    hl_gc_head set, alive;
    hl_gc_list_init(&set);
    hl_gc_list_init(&alive);
    hl_object *all[] = {d, cc, b, a, root};
    for (size_t i = 0; i < 5; i++)
        borrow(rt, all[i], &set);
    size_t moved = hl_gc_mark_alive_from_roots(hl_collector_base(c), &set, &alive);
    bool right = moved == 3 && hl_gc_list_size(&alive) == 3 && hl_gc_list_size(&set) == 2 &&
                 on_list(&alive, root) && on_list(&alive, a) && on_list(&alive, b) &&
                 on_list(&set, cc) && on_list(&set, d);
    char why[200] = "";
    size_t n;
    bool valid = hl_gc_list_validate(&set, &n, why, sizeof why) &&
                 hl_gc_list_validate(&alive, &n, why, sizeof why);
    give_back(rt, &set);
    give_back(rt, &alive);
    OK(hl_root_remove(rt, root));
    hl_list_clear(rt, cc); /* no cycle left for teardown */
    CHECK(right);
    if (!valid)
        HL_FAIL("%s", why);
    return HL_TEST_PASS;
}

/* On a set of our choosing: x <-> y dropped, z held.  Trial deletion finds
   x and y; the garbage phases free them; z stays on the set. */
static hl_test_result test_collect_a_set(hl_test *t)
{
    hl_runtime *rt = t->rt;
    hl_collector *c = hl_runtime_collector(rt);
    if (!c->lists)
        return HL_TEST_PASS;
    LET(x, hl_list_new(rt, 0));
    LET(y, hl_list_new(rt, 0));
    LET(z, hl_list_new(rt, 0));
    OK(hl_list_append(rt, x, y));
    OK(hl_list_append(rt, y, x));
    hl_object *cycle[] = {x, y};
    hl_gc_disable(rt); /* nothing else collects them first (stress) */
    DEL(x);
    DEL(y);
    long before = (long)hl_runtime_live_objects(rt);
    hl_gc_base *base = hl_collector_base(c);
    hl_gc_head set, unreachable;
    hl_gc_list_init(&set);
    hl_gc_outcome out;
    size_t examined = 0, found = 0;
    bool z_left = false;
    /* Objects move between spaces only inside a collection, as the
       layer's validate (HL_DEBUG 3) expects. */
    if (hl_gc_run_begin(base, 0, &out)) {
        borrow(rt, cycle[0], &set);
        borrow(rt, cycle[1], &set);
        borrow(rt, z, &set);
        examined = hl_gc_deduce_unreachable(&set, &unreachable);
        found = hl_gc_handle_garbage(base, &unreachable, &set, &out);
        z_left = hl_gc_list_size(&set) == 1 && on_list(&set, z);
        give_back(rt, &set);
        hl_gc_run_end(base, 0, false, &out);
    }
    hl_gc_enable(rt);
    CHECK_EQ(examined, 3);
    CHECK_EQ(found, 2);
    CHECK(z_left);
    CHECK_EQ((long)hl_runtime_live_objects(rt), before - 2);
    return HL_TEST_PASS;
}

/* validate checks the counting identity: a tracked count one off is caught. */
static hl_test_result test_validate_counts(hl_test *t)
{
    hl_runtime *rt = t->rt;
    hl_collector *c = hl_runtime_collector(rt);
    if (!c->lists)
        return HL_TEST_PASS;
    LET(a, hl_list_new(rt, 0));
    char why[200];
    CHECK(hl_runtime_validate(rt, why, sizeof why));
    c->tracked++;
    bool caught = !hl_runtime_validate(rt, why, sizeof why);
    c->tracked--;
    CHECK(caught);
    CHECK(strstr(why, "tracked") != NULL);
    CHECK(hl_runtime_validate(rt, why, sizeof why));
    return HL_TEST_PASS;
}

/* The spare bits of hl_gc_head.next survive every list operation, a
   collection included, and are the collector's alone.  A collector that
   keeps its state there (HL_GC_SPARE_BITS) is the one writer: the case
   cannot write them behind its back. */
static hl_test_result test_spare_bits(hl_test *t)
{
    hl_runtime *rt = t->rt;
    hl_collector *c = hl_runtime_collector(rt);
    if (!c->lists || (c->ops.flags & HL_GC_SPARE_BITS))
        return HL_TEST_PASS;
    LET(keep, hl_list_new(rt, 0));
    LET(a, hl_list_new(rt, 0));
    LET(b, hl_list_new(rt, 0));
    OK(hl_list_append(rt, a, b));
    OK(hl_list_append(rt, b, a));
    OK(hl_list_append(rt, keep, a));
    hl_object *marked[] = {keep, a, b};
    for (size_t i = 0; i < 3; i++)
        hl_gc_head_of(marked[i])->next |= (uintptr_t)(2 << (i % 3)) & HL_GC_NEXT_SPARE;
    CHECK(hl_runtime_validate(rt, t->message, sizeof t->message));
    hl_gc_collect(rt, 0);
    hl_gc_collect(rt, 2);
    hl_gc_freeze(rt);
    hl_gc_unfreeze(rt);
    bool kept = true;
    for (size_t i = 0; i < 3; i++) {
        hl_gc_head *gc = hl_gc_head_of(marked[i]);
        kept = kept && (gc->next & HL_GC_NEXT_SPARE) == ((uintptr_t)(2 << (i % 3)) & HL_GC_NEXT_SPARE);
        gc->next &= ~HL_GC_NEXT_SPARE;
    }
    hl_list_clear(rt, a); /* no cycle left for teardown */
    CHECK(kept);
    return HL_TEST_PASS;
}

/* validate reports a broken list instead of passing it. */
static hl_test_result test_validate_catches(hl_test *t)
{
    hl_runtime *rt = t->rt;
    hl_collector *c = hl_runtime_collector(rt);
    if (!c->lists)
        return HL_TEST_PASS;
    LET(a, hl_list_new(rt, 0));
    LET(b, hl_list_new(rt, 0));
    char why[200];
    CHECK(hl_runtime_validate(rt, why, sizeof why));
    hl_gc_head *gc = hl_gc_head_of(b);
    uintptr_t saved = gc->prev;
    gc->prev |= HL_GC_PREV_COLLECTING; /* a member marked outside a collection */
    bool caught = !hl_runtime_validate(rt, why, sizeof why);
    gc->prev = saved;
    CHECK(caught);
    CHECK(hl_runtime_validate(rt, why, sizeof why));
    return HL_TEST_PASS;
}

static const hl_test_case cases[] = {
    {"mark_alive_from_roots", test_mark_alive, false},
    {"collect_a_chosen_set", test_collect_a_set, false},
    {"spare_header_bits", test_spare_bits, false},
    {"validate_catches", test_validate_catches, false},
    {"validate_counts", test_validate_counts, false},
};

const hl_suite hl_suite_collector_layer = {
    .name = "collector_layer",
    .description = "the shared phases a collector of its own builds on",
    .cases = cases,
    .count = sizeof cases / sizeof cases[0],
};
