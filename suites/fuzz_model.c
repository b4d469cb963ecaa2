/*
 * suites/fuzz_model.c — the reference model of the differential fuzzer
 * (its programs are fuzz_program.c).  The semantics are
 * written out in fuzz_model.h; this file only follows them, with graph
 * searches over its own arrays and nothing from the collectors.
 *
 * An object is named by a ref: id << 1 for the node, id << 1 | 1 for its
 * token.  A cascade of frees is a loop over `pending` (objects whose count
 * reached zero), in whatever order; the outcome does not depend on it
 * except for the weakref callbacks that fuzz_model.h describes, which
 * settle_callbacks() turns into ranges once the cascade is over.
 */
#include "fuzz_model.h"

#include <stdio.h>
#include <string.h>

#define REFS (2 * FUZZ_IDS)
#define OUT_MAX (FUZZ_EDGES + 2) /* edges, the __del__ target, the token */

static fuzz_object *object(fuzz_model *m, unsigned ref)
{
    fuzz_node *n = &m->node[ref >> 1];
    return ref & 1 ? &n->token : &n->self;
}

bool fuzz_kind_is_instance(unsigned kind)
{
    return kind == FUZZ_PLAIN || kind == FUZZ_FINAL;
}

bool fuzz_kind_is_mutable(unsigned kind)
{
    return kind == FUZZ_PLAIN || kind == FUZZ_FINAL || kind == FUZZ_LIST || kind == FUZZ_DICT;
}

static bool is_weakref(unsigned kind)
{
    return kind == FUZZ_WEAKREF || kind == FUZZ_WEAKREF_CB;
}

bool fuzz_model_alive(const fuzz_model *m, unsigned id)
{
    return id != 0 && id < FUZZ_IDS && m->node[id].self.alive;
}

/* The strong references node `id` holds, as refs: its edges, the list its
   __del__ appends to, and its token, last. */
static size_t out_refs(const fuzz_model *m, unsigned id, unsigned out[OUT_MAX])
{
    const fuzz_node *n = &m->node[id];
    size_t k = 0;
    bool ordered = n->kind == FUZZ_LIST || n->kind == FUZZ_TUPLE;
    size_t edges = ordered ? n->count : fuzz_kind_is_mutable(n->kind) ? FUZZ_EDGES : 0;
    for (size_t i = 0; i < edges; i++)
        if (n->edge[i])
            out[k++] = (unsigned)n->edge[i] << 1;
    if (n->into)
        out[k++] = (unsigned)n->into << 1;
    out[k++] = id << 1 | 1;
    return k;
}

void fuzz_model_init(fuzz_model *m, int generations, bool tracing, bool increments)
{
    memset(m, 0, sizeof *m);
    m->generations = generations > 0 ? generations : 1;
    m->tracing = tracing;
    m->increments = increments;
}

/* ---- reference counting -------------------------------------------------- */

static void release(fuzz_model *m, unsigned ref)
{
    fuzz_object *o = object(m, ref);
    if (--o->refs == 0)
        m->pending[m->npending++] = (uint16_t)ref;
}

/* __del__: keeps self in a root, or appends it to the list it holds (if
   not full).  It only ever adds references, so it never frees anything. */
static void run_finalizer(fuzz_model *m, unsigned id)
{
    fuzz_node *n = &m->node[id];
    n->finalized = true;
    n->finalizer_calls++;
    if (!n->resurrect) {
        return;
    } else if (!n->into) {
        n->roots++;
        n->self.refs++;
    } else if (m->node[n->into].count < FUZZ_EDGES) {
        fuzz_node *list = &m->node[n->into];
        list->edge[list->count++] = (uint8_t)id;
        n->self.refs++;
    }
}

/* PyObject_ClearWeakRefs at a refcount death: every weakref to x still
   linked is cleared; those with callbacks become candidates.  A weakref
   freed earlier in this cascade is a candidate too: the real order may
   have freed it later. */
static void clear_weakrefs(fuzz_model *m, unsigned x)
{
    for (unsigned w = 1; w < FUZZ_IDS; w++) {
        fuzz_node *wr = &m->node[w];
        if (!wr->made || !is_weakref(wr->kind) || wr->referent != x ||
            (!wr->self.alive && wr->self.died != m->stamp))
            continue;
        wr->referent = 0;
        if (wr->kind == FUZZ_WEAKREF_CB) {
            m->candidate[m->ncandidates][0] = (uint8_t)w;
            m->candidate[m->ncandidates][1] = (uint8_t)x;
            m->ncandidates++;
        }
    }
}

static void free_node(fuzz_model *m, unsigned id)
{
    fuzz_node *n = &m->node[id];
    if (n->kind == FUZZ_FINAL && !n->finalized) {
        n->self.gen = 0; /* re-tracked for the finalizer, as subtype_dealloc */
        n->self.refs = 1;
        run_finalizer(m, id);
        if (--n->self.refs > 0)
            return; /* resurrected, weakrefs intact */
    }
    clear_weakrefs(m, id);
    n->self.alive = false;
    n->self.died = m->stamp;
    m->live--;
    unsigned out[OUT_MAX];
    size_t k = out_refs(m, id, out);
    for (size_t i = 0; i < k; i++)
        release(m, out[i]);
}

/* Does x reach w through nodes freed in this cascade?  Then w was still
   referenced when x's weakrefs were cleared. */
static bool reaches(const fuzz_model *m, unsigned x, unsigned w)
{
    uint8_t stack[FUZZ_IDS];
    bool seen[FUZZ_IDS] = {false};
    size_t top = 0;
    stack[top++] = (uint8_t)x;
    seen[x] = true;
    while (top) {
        unsigned id = stack[--top];
        unsigned out[OUT_MAX];
        size_t k = out_refs(m, id, out);
        for (size_t i = 0; i + 1 < k; i++) { /* the last is the token */
            unsigned y = out[i] >> 1;
            if (y == w)
                return true;
            const fuzz_object *o = &m->node[y].self;
            if (!seen[y] && !o->alive && o->died == m->stamp) {
                seen[y] = true;
                stack[top++] = (uint8_t)y;
            }
        }
    }
    return false;
}

static void settle_callbacks(fuzz_model *m)
{
    for (size_t i = 0; i < m->ncandidates; i++) {
        fuzz_node *wr = &m->node[m->candidate[i][0]];
        if (wr->self.alive || reaches(m, m->candidate[i][1], m->candidate[i][0]))
            wr->callbacks_min++;
        wr->callbacks_max++;
    }
    m->ncandidates = 0;
}

static void drain(fuzz_model *m)
{
    if (m->npending == 0)
        return;
    m->stamp++;
    while (m->npending) {
        unsigned ref = m->pending[--m->npending];
        fuzz_object *o = object(m, ref);
        if (!o->alive || o->refs > 0)
            continue;
        if (ref & 1) {
            o->alive = false;
            o->died = m->stamp;
            m->live--;
        } else {
            free_node(m, ref >> 1);
        }
    }
    settle_callbacks(m);
}

/* ---- collection ---------------------------------------------------------- */

enum { OUTSIDE, REACHABLE, UNREACHABLE };

/* Marks REACHABLE what the objects with gc_refs > 0 reach within the
   UNREACHABLE-marked set: the graph search behind both passes. */
static void mark_reachable(fuzz_model *m, uint8_t mark[REFS], const int32_t gc_refs[REFS])
{
    uint16_t stack[REFS];
    size_t top = 0;
    for (unsigned r = 2; r < REFS; r++)
        if (mark[r] == UNREACHABLE && gc_refs[r] > 0) {
            mark[r] = REACHABLE;
            stack[top++] = (uint16_t)r;
        }
    while (top) {
        unsigned r = stack[--top];
        if (r & 1)
            continue; /* tokens hold nothing */
        unsigned out[OUT_MAX];
        size_t k = out_refs(m, r >> 1, out);
        for (size_t i = 0; i < k; i++)
            if (mark[out[i]] == UNREACHABLE) {
                mark[out[i]] = REACHABLE;
                stack[top++] = (uint16_t)out[i];
            }
    }
}

/* gc_refs = references from outside the UNREACHABLE-marked set. */
static void external_refs(fuzz_model *m, const uint8_t mark[REFS], int32_t gc_refs[REFS])
{
    for (unsigned r = 2; r < REFS; r++)
        gc_refs[r] = mark[r] == UNREACHABLE ? (int32_t)object(m, r)->refs : 0;
    for (unsigned id = 1; id < FUZZ_IDS; id++) {
        if (mark[id << 1] != UNREACHABLE)
            continue;
        unsigned out[OUT_MAX];
        size_t k = out_refs(m, id, out);
        for (size_t i = 0; i < k; i++)
            if (mark[out[i]] == UNREACHABLE)
                gc_refs[out[i]]--;
    }
}

static long collect(fuzz_model *m, int requested)
{
    int top = m->generations - 1;
    int g = requested < top ? requested : top;
    uint8_t older = (uint8_t)(g + 1 < top ? g + 1 : top);
    m->collected_generation = g;
    if (!m->tracing)
        return 0;
    uint8_t mark[REFS];
    int32_t gc_refs[REFS];
    for (unsigned r = 0; r < REFS; r++) {
        const fuzz_object *o = object(m, r);
        mark[r] = r >= 2 && o->alive && o->gen <= g ? UNREACHABLE : OUTSIDE;
    }
    external_refs(m, mark, gc_refs);
    mark_reachable(m, mark, gc_refs);
    for (unsigned r = 2; r < REFS; r++)
        if (mark[r] == REACHABLE)
            object(m, r)->gen = older;

    /* handle_weakrefs */
    for (unsigned w = 1; w < FUZZ_IDS; w++) {
        fuzz_node *wr = &m->node[w];
        if (!wr->self.alive || !is_weakref(wr->kind))
            continue;
        if (wr->referent && mark[wr->referent << 1] == UNREACHABLE) {
            wr->referent = 0;
            if (wr->kind == FUZZ_WEAKREF_CB && mark[w << 1] != UNREACHABLE) {
                wr->callbacks_min++;
                wr->callbacks_max++;
                wr->self.gen = older;
            }
        }
        if (mark[w << 1] == UNREACHABLE)
            wr->referent = 0;
    }
    /* finalize_garbage */
    for (unsigned id = 1; id < FUZZ_IDS; id++) {
        fuzz_node *n = &m->node[id];
        if (mark[id << 1] == UNREACHABLE && n->kind == FUZZ_FINAL && !n->finalized)
            run_finalizer(m, id);
    }
    /* handle_resurrected_objects */
    external_refs(m, mark, gc_refs);
    mark_reachable(m, mark, gc_refs);
    long found = 0;
    for (unsigned r = 2; r < REFS; r++) {
        fuzz_object *o = object(m, r);
        if (mark[r] == REACHABLE) {
            o->gen = older;
        } else if (mark[r] == UNREACHABLE) {
            found++;
            if (m->saveall) {
                o->saved++;
                o->refs++;
                o->gen = older;
            }
        }
    }
    if (m->saveall || found == 0)
        return found;
    /* delete_garbage: the unreachable are freed; what they held outside
       the set loses a reference, and may cascade. */
    for (unsigned r = 2; r < REFS; r++)
        if (mark[r] == UNREACHABLE) {
            object(m, r)->alive = false;
            m->live--;
        }
    for (unsigned id = 1; id < FUZZ_IDS; id++) {
        if (mark[id << 1] != UNREACHABLE)
            continue;
        unsigned out[OUT_MAX];
        size_t k = out_refs(m, id, out);
        for (size_t i = 0; i < k; i++)
            if (mark[out[i]] != UNREACHABLE)
                release(m, out[i]);
    }
    drain(m);
    return found;
}

/* ---- operations ---------------------------------------------------------- */

/* Will a finalizer other than x's still append to list y?  At most one may:
   the order in which one collection runs finalizers is not specified, so
   two appending to one list would leave it in either order. */
bool fuzz_model_targeted(const fuzz_model *m, unsigned y, unsigned x)
{
    for (unsigned id = 1; id < FUZZ_IDS; id++) {
        const fuzz_node *n = &m->node[id];
        if (id != x && n->self.alive && n->kind == FUZZ_FINAL && !n->finalized && n->into == y)
            return true;
    }
    return false;
}

bool fuzz_model_valid(const fuzz_model *m, const fuzz_op *op)
{
    const fuzz_node *n = &m->node[op->id];
    switch ((fuzz_code)op->code) {
    case FUZZ_NEW:
        if (op->id == 0 || n->made || op->kind >= FUZZ_KINDS)
            return false;
        return !is_weakref(op->kind) ||
               (fuzz_model_alive(m, op->arg[0]) &&
                fuzz_kind_is_instance(m->node[op->arg[0]].kind));
    case FUZZ_HOLD:
        return fuzz_model_alive(m, op->id);
    case FUZZ_DROP:
        return fuzz_model_alive(m, op->id) && n->roots > 0;
    case FUZZ_LINK:
        return fuzz_model_alive(m, op->id) && fuzz_kind_is_mutable(n->kind) &&
               op->slot < FUZZ_EDGES && fuzz_model_alive(m, op->arg[0]);
    case FUZZ_UNLINK:
        return fuzz_model_alive(m, op->id) && fuzz_kind_is_mutable(n->kind) &&
               op->slot < FUZZ_EDGES;
    case FUZZ_RESURRECT:
        return fuzz_model_alive(m, op->id) && n->kind == FUZZ_FINAL &&
               (op->arg[0] == 0 || (fuzz_model_alive(m, op->arg[0]) &&
                                    m->node[op->arg[0]].kind == FUZZ_LIST &&
                                    !fuzz_model_targeted(m, op->arg[0], op->id)));
    case FUZZ_COLLECT:
        return op->arg[0] < 3;
    case FUZZ_SAVEALL:
    case FUZZ_CLEAR_GARBAGE:
        return true;
    }
    return false;
}

static void make(fuzz_model *m, const fuzz_op *op)
{
    fuzz_node *n = &m->node[op->id];
    n->made = true;
    n->kind = op->kind;
    n->self = (fuzz_object){.alive = true, .refs = 1};
    n->token = (fuzz_object){.alive = true, .refs = 1};
    n->roots = 1;
    m->live += 2;
    if (op->kind == FUZZ_TUPLE) {
        for (size_t i = 0; i < FUZZ_TUPLE_MAX; i++)
            if (fuzz_model_alive(m, op->arg[i])) {
                n->edge[n->count++] = op->arg[i];
                m->node[op->arg[i]].self.refs++;
            }
    } else if (is_weakref(op->kind)) {
        n->referent = op->arg[0];
    }
}

/* x.s<slot> = y; for a list, append while not full, else replace. */
static void link(fuzz_model *m, fuzz_node *n, unsigned slot, unsigned y)
{
    m->node[y].self.refs++;
    unsigned i = slot;
    if (n->kind == FUZZ_LIST) {
        if (n->count < FUZZ_EDGES) {
            n->edge[n->count++] = (uint8_t)y;
            return;
        }
        i = slot % n->count;
    }
    unsigned old = n->edge[i];
    n->edge[i] = (uint8_t)y;
    if (old)
        release(m, old << 1);
}

static void unlink_slot(fuzz_model *m, fuzz_node *n, unsigned slot)
{
    unsigned old;
    if (n->kind == FUZZ_LIST) {
        if (n->count == 0)
            return;
        unsigned i = slot % n->count;
        old = n->edge[i];
        memmove(&n->edge[i], &n->edge[i + 1], (size_t)(n->count - i - 1));
        n->edge[--n->count] = 0;
    } else {
        old = n->edge[slot];
        n->edge[slot] = 0;
    }
    if (old)
        release(m, old << 1);
}

void fuzz_model_apply(fuzz_model *m, const fuzz_op *op)
{
    fuzz_node *n = &m->node[op->id];
    switch ((fuzz_code)op->code) {
    case FUZZ_NEW:
        make(m, op);
        break;
    case FUZZ_HOLD:
        n->roots++;
        n->self.refs++;
        break;
    case FUZZ_DROP:
        n->roots--;
        release(m, (unsigned)op->id << 1);
        break;
    case FUZZ_LINK:
        link(m, n, op->slot, op->arg[0]);
        break;
    case FUZZ_UNLINK:
        unlink_slot(m, n, op->slot);
        break;
    case FUZZ_RESURRECT:
        n->resurrect = true;
        if (op->arg[0])
            m->node[op->arg[0]].self.refs++;
        if (n->into)
            release(m, (unsigned)n->into << 1);
        n->into = op->arg[0];
        break;
    case FUZZ_COLLECT:
        m->found = collect(m, op->arg[0]);
        break;
    case FUZZ_SAVEALL:
        m->saveall = op->arg[0] != 0;
        break;
    case FUZZ_CLEAR_GARBAGE:
        for (unsigned r = 2; r < REFS; r++) {
            fuzz_object *o = object(m, r);
            for (; o->alive && o->saved; o->saved--)
                release(m, r);
        }
        break;
    }
    drain(m);
}
