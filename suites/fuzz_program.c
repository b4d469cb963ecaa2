/*
 * suites/fuzz_program.c — the differential fuzzer's programs: generating
 * one from the model's state (a weighted choice of operation and of the
 * objects it names), formatting and printing it as pseudo-Python, and
 * cutting a failing one down by delta debugging.  The model they are
 * generated against is fuzz_model.c.
 */
#include "fuzz_model.h"
#include "random.h"

#include <stdio.h>
#include <string.h>

static bool is_weakref(unsigned kind)
{
    return kind == FUZZ_WEAKREF || kind == FUZZ_WEAKREF_CB;
}

/* One of ids (ascending), half the time among the six newest: programs
   then build small local structures, cycles among them, and drop them. */
static unsigned pick(uint64_t *rng, const uint8_t *ids, size_t n)
{
    uint64_t r = hl_random_next(rng);
    if (n > 6 && (r & 1))
        return ids[n - 6 + (r >> 1) % 6];
    return n ? ids[(r >> 1) % n] : 0;
}

static unsigned weighted(uint64_t *rng, const unsigned *weight, size_t n)
{
    unsigned total = 0;
    for (size_t i = 0; i < n; i++)
        total += weight[i];
    unsigned r = total ? (unsigned)(hl_random_next(rng) % total) : 0;
    for (size_t i = 0; i < n; i++) {
        if (r < weight[i])
            return (unsigned)i;
        r -= weight[i];
    }
    return 0;
}

fuzz_op fuzz_generate(const fuzz_model *m, const fuzz_shape *shape, uint64_t *rng,
                      unsigned next_id)
{
    enum { ALIVE, MUTABLE, INSTANCE, UNFINALIZED, FREE_LIST, ROOTED, SETS };
    uint8_t set[SETS][FUZZ_IDS];
    size_t size[SETS] = {0};
    for (unsigned id = 1; id < FUZZ_IDS; id++) {
        const fuzz_node *n = &m->node[id];
        bool in[SETS] = {n->self.alive, fuzz_kind_is_mutable(n->kind),
                         fuzz_kind_is_instance(n->kind), n->kind == FUZZ_FINAL && !n->finalized,
                         n->kind == FUZZ_LIST && !fuzz_model_targeted(m, id, 0), n->roots > 0};
        for (int k = 0; k < SETS && n->self.alive; k++)
            if (in[k])
                set[k][size[k]++] = (uint8_t)id;
    }
    fuzz_op op = {.code = (uint8_t)weighted(rng, shape->weight, FUZZ_CLEAR_GARBAGE + 1)};
    if (m->saveall && hl_random_next(rng) % 8 == 0)
        op.code = FUZZ_SAVEALL; /* DEBUG_SAVEALL stays on for a few operations only */
    if (op.code == FUZZ_NEW && size[ALIVE] >= shape->max_live)
        op.code = size[ROOTED] ? FUZZ_DROP : FUZZ_COLLECT;
    if ((op.code == FUZZ_HOLD && !size[ALIVE]) || (op.code == FUZZ_DROP && !size[ROOTED]) ||
        ((op.code == FUZZ_LINK || op.code == FUZZ_UNLINK) && !size[MUTABLE]) ||
        (op.code == FUZZ_RESURRECT && !size[UNFINALIZED]))
        op.code = FUZZ_NEW;
    if (op.code == FUZZ_NEW && next_id >= FUZZ_IDS)
        op.code = FUZZ_COLLECT;
#define PICK(k) ((uint8_t)pick(rng, set[k], size[k]))
    switch ((fuzz_code)op.code) {
    case FUZZ_NEW:
        op.id = (uint8_t)next_id;
        op.kind = (uint8_t)weighted(rng, shape->kind_weight, FUZZ_KINDS);
        if (is_weakref(op.kind) && !size[INSTANCE])
            op.kind = FUZZ_PLAIN;
        for (unsigned i = 0, k = (unsigned)(hl_random_next(rng) % 4);
             op.kind == FUZZ_TUPLE && i < k && i < FUZZ_TUPLE_MAX; i++)
            op.arg[i] = PICK(ALIVE);
        if (is_weakref(op.kind))
            op.arg[0] = PICK(INSTANCE);
        return op;
    case FUZZ_HOLD:
        op.id = PICK(ALIVE);
        break;
    case FUZZ_DROP:
        op.id = PICK(ROOTED);
        break;
    case FUZZ_LINK:
        op.arg[0] = PICK(ALIVE);
        /* fall through */
    case FUZZ_UNLINK:
        op.id = PICK(MUTABLE);
        op.slot = (uint8_t)(hl_random_next(rng) % FUZZ_EDGES);
        break;
    case FUZZ_RESURRECT:
        op.id = PICK(UNFINALIZED);
        if (hl_random_next(rng) % 5 < 2)
            op.arg[0] = PICK(FREE_LIST);
        break;
    case FUZZ_COLLECT:
        op.arg[0] = hl_random_next(rng) % 100 < shape->young ? 0 : (uint8_t)(1 + hl_random_next(rng) % 2);
        if (m->increments && op.arg[0] == 1)
            op.arg[0] = 2;
        break;
    case FUZZ_SAVEALL:
        op.arg[0] = !m->saveall;
        break;
    case FUZZ_CLEAR_GARBAGE:
        break;
    }
#undef PICK
    op.kind = m->node[op.id].kind;
    return op;
}

void fuzz_format(const fuzz_model *m, const fuzz_op *op, char *buf, size_t size)
{
    static const char *const made[FUZZ_KINDS] = {"A()", "F()", "[]", "{}", "(", "weakref.ref(",
                                                 "weakref.ref("};
    const fuzz_node *n = &m->node[op->id];
    unsigned x = op->id, y = op->arg[0], s = op->slot, at = n->count ? s % n->count : 0;
    bool list = n->kind == FUZZ_LIST, dict = n->kind == FUZZ_DICT;
    char items[48] = "";
    switch ((fuzz_code)op->code) {
    case FUZZ_NEW:
        for (size_t i = 0, len = 0; op->kind == FUZZ_TUPLE && i < FUZZ_TUPLE_MAX; i++)
            if (fuzz_model_alive(m, op->arg[i]))
                len += (size_t)snprintf(items + len, sizeof items - len, "x%u, ", op->arg[i]);
        if (op->kind == FUZZ_TUPLE)
            strcat(items, ")");
        else if (is_weakref(op->kind))
            snprintf(items, sizeof items, "x%u%s)", y,
                     op->kind == FUZZ_WEAKREF_CB ? ", callback" : "");
        snprintf(buf, size, "x%u = %s%s", x, made[op->kind], items);
        return;
    case FUZZ_HOLD:
    case FUZZ_DROP:
        snprintf(buf, size, "%s(x%u)", op->code == FUZZ_HOLD ? "hold" : "drop", x);
        return;
    case FUZZ_LINK:
        if (list && n->count < FUZZ_EDGES)
            snprintf(buf, size, "x%u.append(x%u)", x, y);
        else
            snprintf(buf, size, list || dict ? "x%u[%u] = x%u" : "x%u.s%u = x%u", x,
                     list ? at : s, y);
        return;
    case FUZZ_UNLINK:
        snprintf(buf, size,
                 list ? n->count ? "del x%u[%u]" : "x%u.clear()  # empty already"
                 : dict ? "x%u.pop(%u, None)"
                        : "x%u.s%u = None",
                 x, list ? at : s);
        return;
    case FUZZ_RESURRECT:
        if (y)
            snprintf(buf, size, "x%u.on_del = x%u.append  # unless it has 4 items", x, y);
        else
            snprintf(buf, size, "x%u.on_del = hold", x);
        return;
    case FUZZ_COLLECT:
        snprintf(buf, size, "gc.collect(%u)", y);
        return;
    case FUZZ_SAVEALL:
        snprintf(buf, size, "gc.set_debug(%s)", y ? "gc.DEBUG_SAVEALL" : "0");
        return;
    case FUZZ_CLEAR_GARBAGE:
        snprintf(buf, size, "gc.garbage.clear()");
        return;
    }
}

unsigned fuzz_minimize(fuzz_op *ops, unsigned n, fuzz_op *scratch, unsigned tries,
                       bool (*fails)(void *arg, const fuzz_op *ops, unsigned n), void *arg)
{
    unsigned chunks = 2;
    while (n > 1 && tries) {
        unsigned size = (n + chunks - 1) / chunks, k = 0;
        for (unsigned from = 0; from < n && k == 0 && tries; from += size, tries--) {
            for (unsigned i = 0; i < n; i++)
                if (i < from || i >= from + size)
                    scratch[k++] = ops[i];
            if (k && fails(arg, scratch, k))
                memcpy(ops, scratch, (n = k) * sizeof *ops);
            else
                k = 0;
        }
        if (k)
            chunks = chunks > 2 ? chunks - 1 : 2;
        else if (chunks >= n)
            break;
        else
            chunks = chunks * 2 < n ? chunks * 2 : n;
    }
    return n;
}

void fuzz_print(FILE *out, fuzz_model *m, const fuzz_op *ops, unsigned n)
{
    char line[120];
    fprintf(out, "#     # xN names object N without holding it; hold(x) and drop(x) take and\n"
                 "#     # drop one of the test's references (a new object comes with one);\n"
                 "#     # each object owns a token object, so counts include the tokens\n");
    for (unsigned i = 0; i < n; i++) {
        if (!fuzz_model_valid(m, &ops[i]))
            continue;
        fuzz_format(m, &ops[i], line, sizeof line);
        fuzz_model_apply(m, &ops[i]);
        fprintf(out, "#     %s\n", line);
    }
    fprintf(out, "#     # the end: every object emptied, every reference dropped\n");
}
