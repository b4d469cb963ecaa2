/*
 * suites/fuzz_check.c — the differential fuzzer's comparison of a stack
 * with the reference model after each operation (fuzz.c runs the
 * programs): the live count, which objects died, every reference count,
 * every object's contents and weakref, the calls of each finalizer and
 * callback, what a collection returned and what the gc callbacks heard,
 * and the generation of every tracked object; or, with automatic
 * collection on (NAME=stress), only what stays predictable.
 */
#include "fuzz_run.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

hl_test_result fuzz_fail(fuzz_run *r, failure_kind kind, const char *fmt, ...)
{
    fuzz_record *rec = r->record;
    if (rec->failure != PASSED)
        return HL_TEST_FAIL;
    int n = snprintf(rec->message, sizeof rec->message, "after `%s`: ", r->op_text);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof rec->message)
        vsnprintf(rec->message + n, sizeof rec->message - (size_t)n, fmt, ap);
    va_end(ap);
    rec->failure = kind;
    return HL_TEST_FAIL;
}

/* Item by item, the object holds its token and the model's edges. */
static bool contents_match(const fuzz_run *r, const fuzz_node *n, hl_object *o, hl_object *tok)
{
    bool list = n->kind == FUZZ_LIST;
    size_t used = 1;
    switch ((fuzz_kind)n->kind) {
    case FUZZ_PLAIN:
    case FUZZ_FINAL:
        for (size_t i = 0; i < FUZZ_EDGES; i++)
            if (hl_instance_get(o, 1 + i) != r->object[n->edge[i]])
                return false;
        return hl_instance_get(o, 0) == tok && hl_instance_get(o, SLOT_INTO) == r->object[n->into];
    case FUZZ_LIST:
    case FUZZ_TUPLE:
        if ((list ? hl_list_size(o) : hl_tuple_size(o)) != 1u + n->count)
            return false;
        for (size_t i = 0; i <= n->count; i++)
            if ((list ? hl_list_get(o, i) : hl_tuple_get(o, i)) !=
                (i ? r->object[n->edge[i - 1]] : tok))
                return false;
        return true;
    case FUZZ_DICT:
        for (size_t i = 0; i < FUZZ_EDGES; i++) {
            used += n->edge[i] != 0;
            if (hl_dict_get(o, r->key[i]) != r->object[n->edge[i]])
                return false;
        }
        return hl_dict_size(o) == used && hl_dict_get(o, r->key[FUZZ_EDGES]) == tok;
    case FUZZ_WEAKREF:
    case FUZZ_WEAKREF_CB:
        return hl_weakref_get(o) == r->object[n->referent] &&
               hl_weakref_callback(o) == tok;
    case FUZZ_KINDS:
        break;
    }
    return false;
}

static hl_test_result check_node(fuzz_run *r, unsigned id)
{
    static const char *const kind_name[FUZZ_KINDS] = {"A", "F", "list", "dict", "tuple",
                                                      "weakref", "weakref+callback"};
    const fuzz_node *n = &r->model.node[id];
    const char *kind = kind_name[n->kind];
    hl_object *o = r->object[id], *tok = r->token[id];
    if (r->token_deaths[id] > 1)
        return fuzz_fail(r, DEATH, "x%u (%s) was freed %u times", id, kind, r->token_deaths[id]);
    if (n->token.alive != fuzz_alive(r, id))
        return fuzz_fail(r, DEATH, n->token.alive ? "x%u (%s) was freed; the model keeps it"
                                             : "x%u (%s) is alive; the model freed it",
                    id, kind);
    if (r->finalizer_calls[id] != n->finalizer_calls)
        return fuzz_fail(r, FINALIZER, "x%u.__del__ ran %u times; the model says %u", id,
                    r->finalizer_calls[id], n->finalizer_calls);
    if (r->callback_calls[id] < n->callbacks_min || r->callback_calls[id] > n->callbacks_max)
        return fuzz_fail(r, CALLBACK, "x%u's callback ran %u times; the model says %u..%u", id,
                    r->callback_calls[id], n->callbacks_min, n->callbacks_max);
    if (r->roots[id] != n->roots)
        return fuzz_fail(r, ROOTS, "x%u is held %u times; the model says %u", id, r->roots[id],
                    n->roots);
    if (n->token.alive && hl_refcount(tok) != (intptr_t)n->token.refs)
        return fuzz_fail(r, REFCOUNT, "x%u's token has refcount %ld; the model says %u", id,
                    (long)hl_refcount(tok), n->token.refs);
    if (!n->self.alive || !n->token.alive)
        return HL_TEST_PASS;
    if (hl_refcount(o) != (intptr_t)n->self.refs)
        return fuzz_fail(r, REFCOUNT, "x%u (%s) has refcount %ld; the model says %u", id, kind,
                    (long)hl_refcount(o), n->self.refs);
    if (!contents_match(r, n, o, tok))
        return fuzz_fail(r, CONTENTS, "x%u (%s) does not hold what the model says", id, kind);
    return HL_TEST_PASS;
}

int fuzz_identify(const fuzz_run *r, hl_object *op)
{
    hl_object *tok = NULL;
    if (op->type == &fuzz_token_type) {
        unsigned id = ((token *)op)->id;
        return r->token[id] == op ? (int)(id << 1 | 1) : -1;
    }
    if (hl_is_instance(op))
        tok = hl_instance_slots(op) == SLOTS ? hl_instance_get(op, 0) : NULL;
    else if (op->type == &hl_list_type)
        tok = hl_list_size(op) ? hl_list_get(op, 0) : NULL;
    else if (op->type == &hl_tuple_type)
        tok = hl_tuple_size(op) ? hl_tuple_get(op, 0) : NULL;
    else if (op->type == &hl_dict_type)
        tok = hl_dict_get(op, r->key[FUZZ_EDGES]);
    else if (op->type == &hl_weakref_type)
        tok = hl_weakref_callback(op);
    if (tok == NULL || tok->type != &fuzz_token_type)
        return -1;
    unsigned id = ((token *)tok)->id;
    return r->object[id] == op ? (int)(id << 1) : -1;
}

/* Every object the model has alive is tracked once, in its generation. */
static hl_test_result check_generations(fuzz_run *r)
{
    uint8_t seen[2 * FUZZ_IDS] = {0};
    for (int g = 0; g < hl_gc_generations(r->rt); g++) {
        hl_object *list = hl_gc_get_objects(r->rt, g);
        if (list == NULL)
            return HL_TEST_OOM;
        int bad = -1, model_gen = 0;
        for (size_t i = 0; i < hl_list_size(list); i++) {
            int ref = fuzz_identify(r, hl_list_get(list, i));
            if (ref < 0)
                continue;
            const fuzz_node *n = &r->model.node[ref >> 1];
            const fuzz_object *o = ref & 1 ? &n->token : &n->self;
            if (++seen[ref] && bad < 0 && (!o->alive || o->gen != g))
                bad = ref, model_gen = o->alive ? o->gen : -1;
        }
        hl_decref(r->rt, list);
        if (bad >= 0)
            return fuzz_fail(r, GENERATION, "x%d%s is in generation %d; the model says %d",
                        bad >> 1, bad & 1 ? "'s token" : "", g, model_gen);
    }
    for (unsigned ref = 2; ref < 2 * FUZZ_IDS; ref++) {
        const fuzz_node *n = &r->model.node[ref >> 1];
        if ((ref & 1 ? n->token.alive : n->self.alive) && seen[ref] != 1)
            return fuzz_fail(r, GENERATION, "x%u%s is tracked %u times; the model says once",
                        ref >> 1, ref & 1 ? "'s token" : "", seen[ref]);
    }
    return HL_TEST_PASS;
}

hl_test_result fuzz_check(fuzz_run *r, const fuzz_op *op, long found)
{
    const fuzz_model *m = &r->model;
    long expected = m->found + (m->found && strcmp(r->selftest, "model") == 0);
    if (op->code == FUZZ_COLLECT) {
        if (found != expected)
            return fuzz_fail(r, FOUND, "it returned %ld; the model says %ld", found, expected);
        if (r->gc_starts != 1 || r->gc_stops != 1 || r->gc_generation != m->collected_generation ||
            r->gc_collected != (size_t)m->found || r->gc_uncollectable != 0)
            return fuzz_fail(r, GC_CALLBACKS,
                        "gc callbacks: %u starts, %u stops, generation %d, collected %zu, "
                        "uncollectable %zu; the model says 1, 1, %d, %ld, 0",
                        r->gc_starts, r->gc_stops, r->gc_generation, r->gc_collected,
                        r->gc_uncollectable, m->collected_generation, m->found);
    } else if (r->gc_starts || r->gc_stops) {
        return fuzz_fail(r, GC_CALLBACKS, "a collection ran with automatic collection off");
    }
    r->gc_starts = r->gc_stops = 0;
    if (r->uncleared_callbacks)
        return fuzz_fail(r, CALLBACK, "a weakref callback ran while its weakref was still set");
    size_t live = hl_runtime_live_objects(r->rt) - r->baseline;
    if (live != m->live)
        return fuzz_fail(r, LIVE_COUNT, "%zu objects alive; the model says %zu", live, m->live);
    for (unsigned id = 1; id <= r->top_id; id++) {
        hl_test_result res = m->node[id].made ? check_node(r, id) : HL_TEST_PASS;
        if (res != HL_TEST_PASS)
            return res;
    }
    return op->code == FUZZ_COLLECT ? check_generations(r) : HL_TEST_PASS;
}

typedef struct reach {
    const fuzz_run *run;
    uint8_t *reached;
    unsigned *stack;
    unsigned count;
} reach;

static int visit_reach(hl_object *op, void *arg)
{
    reach *w = arg;
    int ref = fuzz_identify(w->run, op);
    if (ref >= 0 && !(ref & 1) && !w->reached[ref >> 1]) {
        w->reached[ref >> 1] = 1;
        w->stack[w->count++] = (unsigned)ref >> 1;
    }
    return 0;
}

/*
 * With automatic collection on (NAME=stress) a collection runs at every
 * container allocation, when the model cannot know what it finds; only what
 * stays predictable is checked: every collection that started stopped, no
 * object freed twice, no finalizer or callback run twice, no callback saw
 * its referent, and nothing reachable from the test's references (what the
 * test holds, finalizers' resurrections included) freed or cleared.  The
 * end of the program is checked as always (teardown).
 */
hl_test_result fuzz_check_loose(fuzz_run *r)
{
    if (r->gc_starts != r->gc_stops)
        return fuzz_fail(r, GC_CALLBACKS, "%u collections started, %u stopped", r->gc_starts,
                    r->gc_stops);
    r->gc_starts = r->gc_stops = 0;
    if (r->uncleared_callbacks)
        return fuzz_fail(r, CALLBACK, "a weakref callback ran while its weakref was still set");
    uint8_t reached[FUZZ_IDS] = {0};
    unsigned stack[FUZZ_IDS];
    reach w = {.run = r, .reached = reached, .stack = stack};
    for (unsigned id = 1; id <= r->top_id; id++) {
        if (r->token_deaths[id] > 1)
            return fuzz_fail(r, DEATH, "x%u was freed %u times", id, r->token_deaths[id]);
        if (r->finalizer_calls[id] > 1)
            return fuzz_fail(r, FINALIZER, "x%u.__del__ ran %u times", id, r->finalizer_calls[id]);
        if (r->callback_calls[id] > 1)
            return fuzz_fail(r, CALLBACK, "x%u's callback ran %u times", id, r->callback_calls[id]);
        if (r->roots[id] && !reached[id]) {
            if (!fuzz_alive(r, id))
                return fuzz_fail(r, DEATH, "x%u is held by the test but was freed", id);
            reached[id] = 1;
            stack[w.count++] = id;
        }
    }
    while (w.count > 0) {
        unsigned id = stack[--w.count];
        if (!fuzz_alive(r, id) || fuzz_identify(r, r->object[id]) != (int)(id << 1))
            return fuzz_fail(r, DEATH, "x%u is reachable but was %s", id,
                        fuzz_alive(r, id) ? "cleared" : "freed");
        hl_traverse(r->object[id], visit_reach, &w);
    }
    return HL_TEST_PASS;
}

