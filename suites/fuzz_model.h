/*
 * suites/fuzz_model.h — the programs of the differential fuzzer
 * (suites/fuzz.c) and its reference model of Python's memory semantics.
 *
 * A program is a list of mutator operations on numbered objects, read like
 * Python: x3 = F(); x3.s0 = x4; drop(x3); gc.collect(0).  The model runs the
 * same program on a graph of its own and says what CPython 3.11 would do:
 * which objects are alive, what each collection returns, which finalizers
 * and weakref callbacks run, and in which generation every survivor sits.
 * It shares no code with the collectors: reachability is recomputed here
 * from the model's own edges and reference counts, by plain graph search.
 *
 * Every node owns a token — a tracked container that holds nothing and
 * records its own death — so a node's id is readable from the heap and the
 * test sees each death.  Tokens are model objects too: `part` 0 of an id is
 * the node, part 1 its token, and they may sit in different generations.
 *
 * Semantics, in CPython 3.11's order (Modules/gcmodule.c, gc_collect_main):
 *
 *   refcounting  a reference count of zero frees an object at once.  If it
 *                has an unrun __del__, that runs first (once ever), with the
 *                object re-tracked into generation 0; if __del__ keeps it,
 *                it lives on with its weakrefs intact.  Otherwise its
 *                weakrefs are cleared and their callbacks run (for weakrefs
 *                still alive), then its references are dropped, cascading.
 *   collect(g)   candidates: tracked objects of generations <= g.  External
 *                references: those not from candidates.  Unreachable: the
 *                candidates no candidate with external references reaches.
 *                The reachable move to generation min(g + 1, oldest).  Then:
 *                weakrefs to unreachable objects, and unreachable weakrefs,
 *                are cleared; callbacks run for the cleared weakrefs that are
 *                not unreachable themselves (each moves to the older
 *                generation, even from an older one); unrun finalizers of
 *                unreachable objects run; what is again reachable from
 *                outside the unreachable set is resurrected (into the older
 *                generation); the rest is freed — or, under DEBUG_SAVEALL,
 *                appended to gc.garbage — and counted.  gc.collect()
 *                returns that count (resurrected objects are not in it).
 *
 * A finalizer (class F's __del__) counts its call and, once the program
 * set x.on_del, keeps self alive: with a new test reference (hold), or
 * appended to a list x holds (on_del = y.append), unless y has 4 items.
 * At most one pending finalizer appends to any one list: the order in which
 * a collection runs finalizers is not specified, and two would fill it in
 * either order.  Weakref callbacks only count their calls.
 *
 * One point CPython leaves to the order in which a cascade frees objects:
 * whether a weakref that dies in the same cascade as its referent gets its
 * callback.  It does when the referent reaches the weakref through objects
 * dying in that cascade (the weakref then outlives the clearing); otherwise
 * either answer is right, and the model gives a range.
 */
#ifndef HEAPLAB_FUZZ_MODEL_H
#define HEAPLAB_FUZZ_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FUZZ_IDS 256      /* object ids 1..255 in one program; 0 is none */
#define FUZZ_MAX_OPS 400  /* operations in one program */
#define FUZZ_EDGES 4      /* slots of an instance, keys of a dict, list items */
#define FUZZ_TUPLE_MAX 3  /* items of a tuple */

typedef enum fuzz_kind {
    FUZZ_PLAIN,      /* A(): an instance with slots s0..s3 */
    FUZZ_FINAL,      /* F(): the same with a __del__ (PEP 442) */
    FUZZ_LIST,       /* [] */
    FUZZ_DICT,       /* {} with keys 0..3 */
    FUZZ_TUPLE,      /* (x, y, ...) */
    FUZZ_WEAKREF,    /* weakref.ref(x) */
    FUZZ_WEAKREF_CB, /* weakref.ref(x, callback) */
    FUZZ_KINDS
} fuzz_kind;

typedef enum fuzz_code {
    FUZZ_NEW,           /* x<id> = kind(arg...): tuple items, weakref referent */
    FUZZ_HOLD,          /* the test takes one more reference to x<id> */
    FUZZ_DROP,          /* the test drops one of its references */
    FUZZ_LINK,          /* x<id>.s<slot> = x<arg0>; a list appends while it has
                           fewer than 4 items, then replaces item slot % 4 */
    FUZZ_UNLINK,        /* del x<id>.s<slot>; a list: del item slot % len */
    FUZZ_RESURRECT,     /* x<id>.on_del = hold (arg0 0) or x<arg0>.append: its
                           __del__ will keep it in a root, or append it to
                           the list, which it holds in a slot of its own */
    FUZZ_COLLECT,       /* gc.collect(arg0) */
    FUZZ_SAVEALL,       /* gc.set_debug(arg0 ? DEBUG_SAVEALL : 0) */
    FUZZ_CLEAR_GARBAGE, /* gc.garbage.clear() */
} fuzz_code;

typedef struct fuzz_op {
    uint8_t code; /* fuzz_code */
    uint8_t kind; /* fuzz_kind: made (FUZZ_NEW) or acted on */
    uint8_t id;   /* the object made or acted on */
    uint8_t slot; /* FUZZ_LINK, FUZZ_UNLINK: 0..FUZZ_EDGES-1 */
    uint8_t arg[FUZZ_TUPLE_MAX];
} fuzz_op;

/* A node or a token.  Invariant: while alive, refs counts the test's
   references, those from gc.garbage and those from live nodes (their edges,
   and each live node's reference to its own token) — exactly the real
   reference count. */
typedef struct fuzz_object {
    bool alive;
    uint8_t gen;    /* generation, 0 youngest */
    uint32_t refs;  /* strong references, as the real reference count */
    uint32_t saved; /* of which from gc.garbage */
    uint32_t died;  /* the cascade that freed it (see fuzz_model.stamp) */
} fuzz_object;

typedef struct fuzz_node {
    fuzz_object self, token; /* parts 0 and 1 */
    bool made;
    uint8_t kind;
    uint8_t count;            /* items of a list or tuple */
    uint8_t edge[FUZZ_EDGES]; /* targets: by slot (instance, dict; 0 none),
                                 in order (list, tuple) */
    uint8_t referent;         /* weakref: 0 once cleared */
    bool resurrect;           /* __del__ keeps self: in a root, or `into` */
    uint8_t into;             /* F: a list it holds, __del__ appends self to */
    bool finalized;
    uint32_t roots;           /* references the test holds */
    uint32_t finalizer_calls;
    uint32_t callbacks_min, callbacks_max; /* weakref callbacks expected */
} fuzz_node;

typedef struct fuzz_model {
    fuzz_node node[FUZZ_IDS];
    int generations; /* of the collector: 1 for a single space */
    bool tracing;    /* false: collect() never finds anything */
    bool increments; /* collect(1) is one increment (CPython 3.14), whose set
                        depends on list order and a work balance the model
                        does not keep: never generated, collect(2) instead */
    bool saveall;
    size_t live;     /* objects alive, nodes and tokens */
    uint32_t stamp;  /* cascades so far */
    long found;      /* what the last collect returned */
    int collected_generation; /* the generation it collected */
    uint16_t pending[4 * FUZZ_IDS];   /* objects whose count reached 0 */
    size_t npending;
    uint8_t candidate[FUZZ_IDS][2];   /* (weakref, referent) this cascade */
    size_t ncandidates;
} fuzz_model;

/* The mix of operations a case generates. */
typedef struct fuzz_shape {
    unsigned ops;      /* operations per program */
    unsigned max_live; /* nodes alive before making more is discouraged */
    unsigned weight[FUZZ_CLEAR_GARBAGE + 1]; /* per fuzz_code */
    unsigned young;    /* percent of collections of generation 0 */
    unsigned kind_weight[FUZZ_KINDS]; /* of the objects made, per fuzz_kind */
} fuzz_shape;

void fuzz_model_init(fuzz_model *m, int generations, bool tracing, bool increments);
/* Whether op means something now (objects it names alive, of the right
   kind); a program with ops removed simply skips those that do not. */
bool fuzz_model_valid(const fuzz_model *m, const fuzz_op *op);
/* Applies a valid op; for FUZZ_COLLECT sets m->found. */
void fuzz_model_apply(fuzz_model *m, const fuzz_op *op);
/* Whether x<id> is alive (0 and unmade ids are not). */
bool fuzz_model_alive(const fuzz_model *m, unsigned id);
/* Will a finalizer other than x<x>'s append itself to list x<y>? */
bool fuzz_model_targeted(const fuzz_model *m, unsigned y, unsigned x);
/* Is kind an instance (supports weakrefs, has slots)? */
bool fuzz_kind_is_instance(unsigned kind);
bool fuzz_kind_is_mutable(unsigned kind);

/* The next operation of a random program, from the model's state. */
fuzz_op fuzz_generate(const fuzz_model *m, const fuzz_shape *shape, uint64_t *rng,
                      unsigned next_id);
/* One line of pseudo-Python for a valid op, as it acts in state m. */
void fuzz_format(const fuzz_model *m, const fuzz_op *op, char *buf, size_t size);

/* Delta debugging (ddmin over complements): removes chunks of operations,
   ever smaller, while fails(arg, ops, n) holds, for at most `tries` calls;
   returns the operations left.  scratch has room for n. */
unsigned fuzz_minimize(fuzz_op *ops, unsigned n, fuzz_op *scratch, unsigned tries,
                       bool (*fails)(void *arg, const fuzz_op *ops, unsigned n), void *arg);
/* Prints the program as pseudo-Python comment lines, running it on m (an
   initialised model) to say what each operation does. */
void fuzz_print(FILE *out, fuzz_model *m, const fuzz_op *ops, unsigned n);

#endif
