/*
 * suites/fuzz.c — differential fuzzing of a whole stack against the
 * reference model (fuzz_model.h says what it models and why).
 *
 * Each case runs thousands of random programs — objects made, linked,
 * unlinked and dropped, weakrefs with callbacks, finalizers that resurrect,
 * gc.collect(g), DEBUG_SAVEALL — on the stack and on the model at once, and
 * compares them after every operation: the number of live objects, which
 * objects died (each node owns a token object that records its own death),
 * every reference count, every object's contents and weakref, the calls of
 * each finalizer and weakref callback, what each collection returned and
 * told the gc callbacks, and the generation of every tracked object.
 * Automatic collection is off, so collections happen only where the program
 * says; a run with small thresholds, where the model could not know when a
 * collection happens, is not made.
 *
 * Program k of a case has seed `--seed` + k, so
 *     heaplab test --suite fuzz --case C --alloc A --gc G --seed S
 * runs the program with seed S first.  A failing program is cut down by
 * delta debugging (removing operations while the same kind of failure
 * remains) and printed as pseudo-Python on stderr.
 *
 * The programs run in a child process (fork), from the stack exactly as the
 * case set it up, so a crash or a hang (a 20 s watchdog per program) is
 * reported with its program like any other failure; the child then destroys
 * the stack and checks, as the harness does, that nothing leaked.  Under
 * the out-of-memory sweep (failafter=N with N < 10^9) one program runs in
 * process instead.  Environment:
 *   HEAPLAB_FUZZ_SEEDS=N  programs per case (default 600; an eighth with
 *                         --quick); `make fuzz` sets it high
 *   HEAPLAB_FUZZ_FORK=0   run in process, without minimizing (debuggers)
 */
#include "fuzz_model.h"
#include "suite.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_PROGRAMS 600
#define WATCHDOG_SECONDS 20
#define MINIMIZE_RUNS 4000
#define MINIMIZE_SECONDS 60

typedef struct fuzz_run fuzz_run;

/* Every instance's payload: its id and what its __del__ does. */
typedef struct payload {
    uint32_t id;
    uint8_t resurrect; /* as fuzz_node.resurrect */
    uint8_t into;
} payload;

/* A token: a tracked container holding nothing, owned by one node. */
typedef struct token {
    hl_object ob;
    fuzz_run *run;
    uint32_t id;
} token;

typedef enum failure_kind {
    PASSED, LIVE_COUNT, DEATH, FINALIZER, CALLBACK, ROOTS, REFCOUNT, CONTENTS, FOUND,
    GC_CALLBACKS, GENERATION, LEAK, CRASH,
} failure_kind;

/* What a program run leaves behind; in memory shared with the parent when
   it runs in a child, so a crash leaves the program that caused it. */
typedef struct fuzz_record {
    unsigned long long seed; /* the program running, or that failed */
    unsigned nops;           /* its operations so far, the last one running */
    fuzz_op ops[FUZZ_MAX_OPS];
    int result;              /* hl_test_result, or -1 while running */
    failure_kind failure;
    char message[400];
} fuzz_record;

/* The real side of one case.  object[id] is valid exactly while token[id]
   has not died (a node drops its token only when cleared or freed). */
struct fuzz_run {
    hl_test *t;
    hl_runtime *rt;
    const fuzz_shape *shape;
    hl_object *cls[2];                /* A (FUZZ_PLAIN) and F (FUZZ_FINAL) */
    hl_object *key[FUZZ_EDGES + 1];   /* dict keys 0..3; -1 holds the token */
    hl_object *garbage;               /* gc.garbage */
    size_t baseline;                  /* live objects with no program running */
    bool tearing_down;                /* finalizers no longer resurrect */
    fuzz_record *record;
    hl_object *object[FUZZ_IDS];
    hl_object *token[FUZZ_IDS];
    uint32_t token_deaths[FUZZ_IDS];
    uint32_t roots[FUZZ_IDS];         /* references the test holds */
    uint32_t finalizer_calls[FUZZ_IDS];
    uint32_t callback_calls[FUZZ_IDS];
    uint32_t uncleared_callbacks;     /* callbacks that saw a live referent */
    unsigned gc_starts, gc_stops;     /* gc callbacks since the last check */
    int gc_generation;
    size_t gc_collected, gc_uncollectable;
    fuzz_model model;
    unsigned top_id;                  /* the highest id made so far */
    char op_text[120];                /* the operation being checked */
};

/* ---- the real side's hooks --------------------------------------------- */

static int token_traverse(hl_object *op, hl_visit_fn visit, void *arg)
{
    return 0;
}

static void token_dealloc(hl_runtime *rt, hl_object *op)
{
    token *k = (token *)op;
    k->run->token_deaths[k->id]++;
    hl_object_free(rt, op, sizeof(token));
}

static const hl_type token_type = {
    .name = "token",
    .basic_size = sizeof(token),
    .flags = HL_TYPE_CONTAINER,
    .traverse = token_traverse,
    .dealloc = token_dealloc,
};

static void on_callback(hl_runtime *rt, hl_object *weakref, hl_object *callback)
{
    if (callback == NULL || callback->type != &token_type)
        return; /* shows up as a missing call */
    token *k = (token *)callback;
    k->run->callback_calls[k->id]++;
    if (hl_weakref_get(weakref) != NULL)
        k->run->uncleared_callbacks++;
}

static bool alive(const fuzz_run *r, unsigned id)
{
    return id && r->token[id] && r->token_deaths[id] == 0;
}

/* __del__: count, then keep self in a root or append it to a list. */
static void on_finalize(hl_runtime *rt, hl_object *self, void *user)
{
    fuzz_run *r = user;
    payload *p = hl_instance_payload(self);
    r->finalizer_calls[p->id]++;
    if (r->tearing_down)
        return;
    if (p->resurrect == 1) {
        hl_incref(self);
        r->roots[p->id]++;
    } else if (p->resurrect == 2 && alive(r, p->into) &&
               hl_list_size(r->object[p->into]) <= FUZZ_EDGES) {
        (void)hl_list_append(rt, r->object[p->into], self); /* refused: the sweep stops */
    }
}

static void on_gc(hl_runtime *rt, const char *phase, int generation, size_t collected,
                  size_t uncollectable, void *user)
{
    fuzz_run *r = user;
    if (strcmp(phase, "start") == 0) {
        r->gc_starts++;
    } else {
        r->gc_stops++;
        r->gc_collected = collected;
        r->gc_uncollectable = uncollectable;
    }
    r->gc_generation = generation;
}

/* ---- executing an operation ---------------------------------------------- */

static bool make(fuzz_run *r, const fuzz_op *op)
{
    hl_runtime *rt = r->rt;
    token *k = (token *)hl_object_new(rt, &token_type, sizeof(token));
    if (k == NULL)
        return false;
    k->run = r;
    k->id = op->id;
    hl_gc_track(rt, &k->ob);
    hl_object *tok = &k->ob, *o = NULL;
    r->token[op->id] = tok;
    switch ((fuzz_kind)op->kind) {
    case FUZZ_PLAIN:
    case FUZZ_FINAL:
        if ((o = hl_instance_new(rt, r->cls[op->kind])) != NULL) {
            *(payload *)hl_instance_payload(o) = (payload){.id = op->id};
            hl_instance_set(rt, o, 0, tok);
        }
        break;
    case FUZZ_LIST:
        if ((o = hl_list_new(rt, 0)) != NULL && hl_list_append(rt, o, tok) < 0)
            hl_clearref(rt, &o);
        break;
    case FUZZ_DICT:
        if ((o = hl_dict_new(rt)) != NULL && hl_dict_set(rt, o, r->key[FUZZ_EDGES], tok) < 0)
            hl_clearref(rt, &o);
        break;
    case FUZZ_TUPLE: {
        hl_object *items[1 + FUZZ_TUPLE_MAX] = {tok};
        size_t n = 1;
        for (size_t i = 0; i < FUZZ_TUPLE_MAX; i++)
            if (fuzz_model_alive(&r->model, op->arg[i]))
                items[n++] = r->object[op->arg[i]];
        o = hl_tuple_pack(rt, n, items);
        break;
    }
    case FUZZ_WEAKREF:
    case FUZZ_WEAKREF_CB:
        o = hl_weakref_new(rt, r->object[op->arg[0]], tok,
                           op->kind == FUZZ_WEAKREF_CB ? on_callback : NULL);
        break;
    case FUZZ_KINDS:
        break;
    }
    hl_decref(rt, tok);
    r->object[op->id] = o;
    r->roots[op->id] = o != NULL;
    return o != NULL;
}

static bool exec(fuzz_run *r, const fuzz_op *op, long *found)
{
    hl_runtime *rt = r->rt;
    hl_object *o = r->object[op->id], *v = r->object[op->arg[0]];
    switch ((fuzz_code)op->code) {
    case FUZZ_NEW:
        return make(r, op);
    case FUZZ_HOLD:
        hl_incref(o);
        r->roots[op->id]++;
        return true;
    case FUZZ_DROP:
        if (r->roots[op->id] > 0) { /* else the check before has failed */
            r->roots[op->id]--;
            hl_decref(rt, o);
        }
        return true;
    case FUZZ_LINK:
        if (hl_is_instance(o)) {
            hl_instance_set(rt, o, 1 + op->slot, v);
        } else if (o->type == &hl_dict_type) {
            return hl_dict_set(rt, o, r->key[op->slot], v) == 0;
        } else {
            size_t n = hl_list_size(o) - 1;
            if (n < FUZZ_EDGES)
                return hl_list_append(rt, o, v) == 0;
            hl_list_set(rt, o, 1 + op->slot % n, v);
        }
        return true;
    case FUZZ_UNLINK:
        if (hl_is_instance(o))
            hl_instance_set(rt, o, 1 + op->slot, NULL);
        else if (o->type == &hl_dict_type)
            (void)hl_dict_delete(rt, o, r->key[op->slot]);
        else if (hl_list_size(o) > 1)
            hl_list_delete(rt, o, 1 + op->slot % (hl_list_size(o) - 1));
        return true;
    case FUZZ_RESURRECT: {
        payload *p = hl_instance_payload(o);
        p->resurrect = op->arg[0] ? 2 : 1;
        p->into = op->arg[0];
        return true;
    }
    case FUZZ_COLLECT:
        *found = hl_gc_collect(rt, op->arg[0]);
        return true;
    case FUZZ_SAVEALL:
        hl_gc_set_debug(rt, op->arg[0] ? HL_GC_DEBUG_SAVEALL : 0);
        return true;
    case FUZZ_CLEAR_GARBAGE:
        hl_list_clear(rt, r->garbage);
        return true;
    }
    return true;
}

/* ---- comparing with the model -------------------------------------------- */

static hl_test_result fail(fuzz_run *r, failure_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static hl_test_result fail(fuzz_run *r, failure_kind kind, const char *fmt, ...)
{
    fuzz_record *rec = r->record;
    int n = snprintf(rec->message, sizeof rec->message, "after `%s`: ", r->op_text);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof rec->message)
        vsnprintf(rec->message + n, sizeof rec->message - (size_t)n, fmt, ap);
    va_end(ap);
    rec->failure = kind;
    return HL_TEST_FAIL;
}

static const char *const kind_name[FUZZ_KINDS] = {"A", "F", "list", "dict", "tuple",
                                                  "weakref", "weakref+callback"};

static hl_object *expected(const fuzz_run *r, unsigned id)
{
    return id ? r->object[id] : NULL;
}

/* The object's references, item by item, are the model's edges. */
static bool contents_match(const fuzz_run *r, const fuzz_node *n, hl_object *o, hl_object *tok)
{
    switch ((fuzz_kind)n->kind) {
    case FUZZ_PLAIN:
    case FUZZ_FINAL:
        for (size_t i = 0; i < FUZZ_EDGES; i++)
            if (hl_instance_get(o, 1 + i) != expected(r, n->edge[i]))
                return false;
        return hl_instance_get(o, 0) == tok;
    case FUZZ_LIST:
    case FUZZ_TUPLE: {
        bool list = n->kind == FUZZ_LIST;
        if ((list ? hl_list_size(o) : hl_tuple_size(o)) != 1u + n->count)
            return false;
        for (size_t i = 0; i <= n->count; i++)
            if ((list ? hl_list_get(o, i) : hl_tuple_get(o, i)) !=
                (i ? r->object[n->edge[i - 1]] : tok))
                return false;
        return true;
    }
    case FUZZ_DICT: {
        size_t used = 1;
        for (size_t i = 0; i < FUZZ_EDGES; i++) {
            used += n->edge[i] != 0;
            if (hl_dict_get(o, r->key[i]) != expected(r, n->edge[i]))
                return false;
        }
        return hl_dict_size(o) == used && hl_dict_get(o, r->key[FUZZ_EDGES]) == tok;
    }
    case FUZZ_WEAKREF:
    case FUZZ_WEAKREF_CB:
        return hl_weakref_get(o) == expected(r, n->referent) && hl_weakref_callback(o) == tok;
    case FUZZ_KINDS:
        break;
    }
    return false;
}

static hl_test_result check_node(fuzz_run *r, unsigned id)
{
    const fuzz_node *n = &r->model.node[id];
    const char *kind = kind_name[n->kind];
    if (r->token_deaths[id] > 1)
        return fail(r, DEATH, "x%u (%s) was freed %u times", id, kind, r->token_deaths[id]);
    if (n->token.alive != alive(r, id))
        return fail(r, DEATH, n->token.alive ? "x%u (%s) was freed; the model keeps it"
                                             : "x%u (%s) is alive; the model freed it",
                    id, kind);
    if (r->finalizer_calls[id] != n->finalizer_calls)
        return fail(r, FINALIZER, "x%u.__del__ ran %u times; the model says %u", id,
                    r->finalizer_calls[id], n->finalizer_calls);
    if (r->callback_calls[id] < n->callbacks_min || r->callback_calls[id] > n->callbacks_max)
        return fail(r, CALLBACK, "x%u's callback ran %u times; the model says %u..%u", id,
                    r->callback_calls[id], n->callbacks_min, n->callbacks_max);
    if (r->roots[id] != n->roots)
        return fail(r, ROOTS, "x%u is held %u times; the model says %u", id, r->roots[id],
                    n->roots);
    if (n->token.alive && hl_refcount(r->token[id]) != (intptr_t)n->token.refs)
        return fail(r, REFCOUNT, "x%u's token has refcount %ld; the model says %u", id,
                    (long)hl_refcount(r->token[id]), n->token.refs);
    if (!n->self.alive || !n->token.alive)
        return HL_TEST_PASS;
    hl_object *o = r->object[id];
    if (hl_refcount(o) != (intptr_t)n->self.refs)
        return fail(r, REFCOUNT, "x%u (%s) has refcount %ld; the model says %u", id, kind,
                    (long)hl_refcount(o), n->self.refs);
    if (!contents_match(r, n, o, r->token[id]))
        return fail(r, CONTENTS, "x%u (%s) does not hold what the model says", id, kind);
    return HL_TEST_PASS;
}

/* Which ref (id << 1 | part) a tracked object is, or -1 if not ours. */
static int identify(const fuzz_run *r, hl_object *op)
{
    hl_object *tok = NULL;
    if (op->type == &token_type) {
        unsigned id = ((token *)op)->id;
        return id < FUZZ_IDS && r->token[id] == op ? (int)(id << 1 | 1) : -1;
    }
    if (hl_is_instance(op))
        tok = hl_instance_slots(op) == 1 + FUZZ_EDGES ? hl_instance_get(op, 0) : NULL;
    else if (op->type == &hl_list_type)
        tok = hl_list_size(op) ? hl_list_get(op, 0) : NULL;
    else if (op->type == &hl_tuple_type)
        tok = hl_tuple_size(op) ? hl_tuple_get(op, 0) : NULL;
    else if (op->type == &hl_dict_type)
        tok = hl_dict_get(op, r->key[FUZZ_EDGES]);
    else if (op->type == &hl_weakref_type)
        tok = hl_weakref_callback(op);
    if (tok == NULL || tok->type != &token_type)
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
        int bad = -1, bad_gen = 0;
        for (size_t i = 0; i < hl_list_size(list); i++) {
            int ref = identify(r, hl_list_get(list, i));
            if (ref < 0)
                continue;
            const fuzz_node *n = &r->model.node[ref >> 1];
            const fuzz_object *o = ref & 1 ? &n->token : &n->self;
            seen[ref]++;
            if (bad < 0 && (!o->alive || o->gen != g))
                bad = ref, bad_gen = o->alive ? o->gen : -1;
        }
        hl_decref(r->rt, list);
        if (bad >= 0)
            return fail(r, GENERATION, "x%d%s is in generation %d; the model says %d",
                        bad >> 1, bad & 1 ? "'s token" : "", g, bad_gen);
    }
    for (unsigned ref = 2; ref < 2 * FUZZ_IDS; ref++) {
        const fuzz_node *n = &r->model.node[ref >> 1];
        if ((ref & 1 ? n->token.alive : n->self.alive) && seen[ref] != 1)
            return fail(r, GENERATION, "x%u%s is tracked %u times; the model says once",
                        ref >> 1, ref & 1 ? "'s token" : "", seen[ref]);
    }
    return HL_TEST_PASS;
}

static hl_test_result check(fuzz_run *r, const fuzz_op *op, long found)
{
    const fuzz_model *m = &r->model;
    if (op->code == FUZZ_COLLECT) {
        if (found != m->found)
            return fail(r, FOUND, "it returned %ld; the model says %ld", found, m->found);
        if (r->gc_starts != 1 || r->gc_stops != 1 || r->gc_generation != m->collected_generation ||
            r->gc_collected != (size_t)m->found || r->gc_uncollectable != 0)
            return fail(r, GC_CALLBACKS,
                        "gc callbacks: %u starts, %u stops, generation %d, collected %zu, "
                        "uncollectable %zu; the model says 1, 1, %d, %ld, 0",
                        r->gc_starts, r->gc_stops, r->gc_generation, r->gc_collected,
                        r->gc_uncollectable, m->collected_generation, m->found);
    } else if (r->gc_starts || r->gc_stops) {
        return fail(r, GC_CALLBACKS, "a collection ran with automatic collection off");
    }
    r->gc_starts = r->gc_stops = 0;
    if (r->uncleared_callbacks)
        return fail(r, CALLBACK, "a weakref callback ran while its weakref was still set");
    size_t live = hl_runtime_live_objects(r->rt) - r->baseline;
    if (live != m->live)
        return fail(r, LIVE_COUNT, "%zu objects alive; the model says %zu", live, m->live);
    for (unsigned id = 1; id <= r->top_id; id++) {
        if (!m->node[id].made)
            continue;
        hl_test_result res = check_node(r, id);
        if (res != HL_TEST_PASS)
            return res;
    }
    return op->code == FUZZ_COLLECT ? check_generations(r) : HL_TEST_PASS;
}

/* ---- one program ----------------------------------------------------------- */

/* Drops everything the program made, breaking every cycle first, so the
   stack is back where the case left it; true when it is. */
static bool teardown(fuzz_run *r)
{
    hl_runtime *rt = r->rt;
    r->tearing_down = true;
    hl_gc_set_debug(rt, 0);
    hl_list_clear(rt, r->garbage);
    unsigned held[FUZZ_IDS];
    size_t n = 0;
    for (unsigned id = 1; id < FUZZ_IDS; id++)
        if (r->object[id] && alive(r, id)) {
            hl_incref(r->object[id]);
            held[n++] = id;
        }
    for (size_t i = 0; i < n; i++) {
        hl_object *o = r->object[held[i]];
        if (hl_is_instance(o))
            for (size_t s = 0; s <= FUZZ_EDGES; s++)
                hl_instance_set(rt, o, s, NULL);
        else if (o->type == &hl_list_type)
            hl_list_clear(rt, o);
        else if (o->type == &hl_dict_type)
            hl_dict_clear(rt, o);
    }
    for (unsigned id = 1; id < FUZZ_IDS; id++)
        for (; r->roots[id]; r->roots[id]--)
            hl_decref(rt, r->object[id]);
    for (size_t i = 0; i < n; i++)
        hl_decref(rt, r->object[held[i]]);
    r->tearing_down = false;
    return hl_runtime_live_objects(rt) == r->baseline;
}

static void reset(fuzz_run *r)
{
    memset(r->object, 0, sizeof r->object);
    memset(r->token, 0, sizeof r->token);
    memset(r->token_deaths, 0, sizeof r->token_deaths);
    memset(r->roots, 0, sizeof r->roots);
    memset(r->finalizer_calls, 0, sizeof r->finalizer_calls);
    memset(r->callback_calls, 0, sizeof r->callback_calls);
    r->uncleared_callbacks = r->gc_starts = r->gc_stops = 0;
    r->top_id = 0;
    fuzz_model_init(&r->model, hl_gc_generations(r->rt), r->t->tracing);
}

/* Runs the program with `seed` (replay NULL: generated, ending with a full
   collection) or the operations given, checking after each. */
static hl_test_result run_program(fuzz_run *r, unsigned long long seed, const fuzz_op *replay,
                                  unsigned nreplay)
{
    fuzz_record *rec = r->record;
    uint64_t rng = seed;
    unsigned count = replay ? nreplay : r->shape->ops;
    hl_test_result result = HL_TEST_PASS;
    reset(r);
    rec->seed = seed;
    rec->nops = 0;
    rec->failure = PASSED;
    rec->message[0] = '\0';
    for (unsigned i = 0; i < count && result == HL_TEST_PASS; i++) {
        fuzz_op op = replay ? replay[i]
                     : i + 1 < count
                         ? fuzz_generate(&r->model, r->shape, &rng, r->top_id + 1)
                         : (fuzz_op){.code = FUZZ_COLLECT, .arg = {2}};
        if (!fuzz_model_valid(&r->model, &op))
            continue;
        rec->ops[rec->nops++] = op;
        fuzz_format(&r->model, &op, r->op_text, sizeof r->op_text);
        if (op.code == FUZZ_NEW && op.id > r->top_id)
            r->top_id = op.id;
        long found = 0;
        uint64_t refused = hl_runtime_out_of_memory(r->rt);
        if (!exec(r, &op, &found) || hl_runtime_out_of_memory(r->rt) != refused) {
            result = HL_TEST_OOM; /* the sweep refused an allocation: stop */
            break;
        }
        fuzz_model_apply(&r->model, &op);
        result = check(r, &op, found);
    }
    if (!teardown(r) && result == HL_TEST_PASS)
        result = fail(r, LEAK, "%zu objects left once the program's references were dropped",
                      hl_runtime_live_objects(r->rt) - r->baseline);
    return result;
}

/* ---- child processes, minimizing, printing --------------------------------- */

/* Runs fn(r, arg) in a child process on a copy of the stack as it is now;
   the failure kind it ended with (CRASH for a signal or a hang).  Without
   a child (fork refused) it reports PASSED and leaves result at -1. */
static failure_kind in_child(fuzz_run *r, void (*fn)(fuzz_run *, void *), void *arg)
{
    fflush(NULL);
    r->record->result = -1;
    r->record->failure = PASSED;
    pid_t pid = fork();
    if (pid < 0)
        return PASSED;
    if (pid == 0) {
        fn(r, arg);
        _exit(0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ;
    if (WIFSIGNALED(status) || r->record->result < 0) {
        int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        snprintf(r->record->message, sizeof r->record->message, "%s (%s)",
                 sig == SIGALRM ? "hung: no end within the watchdog's time"
                                : "crashed: the child process died",
                 sig ? strsignal(sig) : "exit without a result");
        r->record->failure = CRASH;
    }
    return r->record->failure;
}

typedef struct replay {
    const fuzz_op *ops;
    unsigned n;
    unsigned long long seed;
} replay;

static void child_replay(fuzz_run *r, void *arg)
{
    const replay *p = arg;
    alarm(WATCHDOG_SECONDS);
    r->record->result = run_program(r, p->seed, p->ops, p->n);
}

static failure_kind try_ops(fuzz_run *r, const fuzz_op *ops, unsigned n, unsigned long long seed)
{
    replay p = {ops, n, seed};
    return in_child(r, child_replay, &p);
}

/* Delta debugging over the operations: drop chunks, halving them, while the
   same kind of failure remains.  Returns the new count. */
static unsigned minimize(fuzz_run *r, fuzz_op *ops, unsigned n, failure_kind kind,
                         unsigned long long seed)
{
    static fuzz_op candidate[FUZZ_MAX_OPS];
    unsigned chunks = 2, runs = 0;
    time_t start = time(NULL);
    while (n > 1 && runs < MINIMIZE_RUNS && time(NULL) - start < MINIMIZE_SECONDS) {
        unsigned size = (n + chunks - 1) / chunks;
        bool reduced = false;
        for (unsigned from = 0; from < n && !reduced; from += size, runs++) {
            unsigned k = 0;
            for (unsigned i = 0; i < n; i++)
                if (i < from || i >= from + size)
                    candidate[k++] = ops[i];
            if (k && try_ops(r, candidate, k, seed) == kind) {
                memcpy(ops, candidate, k * sizeof *ops);
                n = k;
                chunks = chunks > 2 ? chunks - 1 : 2;
                reduced = true;
            }
        }
        if (!reduced) {
            if (chunks >= n)
                break;
            chunks = chunks * 2 < n ? chunks * 2 : n;
        }
    }
    return n;
}

static void print_program(fuzz_run *r, const fuzz_op *ops, unsigned n)
{
    fuzz_model *m = &r->model;
    fuzz_model_init(m, hl_gc_generations(r->rt), r->t->tracing);
    fprintf(stderr, "#     import gc, weakref   # xN: object N, named without being held;\n"
                    "#                          # hold/drop: a reference the test keeps\n");
    for (unsigned i = 0; i < n; i++) {
        char line[120];
        if (!fuzz_model_valid(m, &ops[i]))
            continue;
        fuzz_format(m, &ops[i], line, sizeof line);
        fuzz_model_apply(m, &ops[i]);
        fprintf(stderr, "#     %s\n", line);
    }
}

/* A failed program: cut it down (when programs run in children), print it,
   and say so in the TAP line. */
static hl_test_result report_failure(fuzz_run *r, const char *case_name, bool forking)
{
    hl_test *t = r->t;
    fuzz_record *rec = r->record;
    static fuzz_op ops[FUZZ_MAX_OPS];
    unsigned n = rec->nops;
    unsigned long long seed = rec->seed;
    failure_kind kind = rec->failure;
    char first[sizeof rec->message];
    memcpy(ops, rec->ops, n * sizeof *ops);
    snprintf(first, sizeof first, "%s", rec->message);
    if (n == 0) /* after the last program, in the child's final checks */
        return hl_test_fail(t, __FILE__, __LINE__, "%s", first);
    bool alone = forking && try_ops(r, ops, n, seed) == kind;
    if (alone)
        n = minimize(r, ops, n, kind, seed);
    if (alone)
        try_ops(r, ops, n, seed); /* for the minimal program's message */
    fprintf(stderr,
            "# fuzz/%s [%s %s]: program %llu failed %s\n"
            "# rerun: heaplab test --suite fuzz --case %s --alloc %s --gc %s --seed %llu\n"
            "# %s program (%u operations):\n",
            case_name, t->alloc_spec, t->gc_name, seed, first, case_name, t->alloc_spec,
            t->gc_name, seed, alone ? "minimal" : "the whole", n);
    print_program(r, ops, n);
    if (alone)
        fprintf(stderr, "#   which fails %s\n", rec->message);
    return hl_test_fail(t, __FILE__, __LINE__, "program %llu: %s (%s program on stderr)", seed,
                        first, alone ? "minimal" : "whole");
}

/* ---- the cases ------------------------------------------------------------- */

typedef struct batch {
    unsigned long long first; /* seed of the first program */
    unsigned count;
} batch;

/* The harness's teardown, in the child that ran the programs: the stack
   destroyed, nothing leaked, no misuse seen by the allocator. */
static hl_test_result destroy_stack(fuzz_run *r)
{
    hl_test *t = r->t;
    char why[300];
    r->record->nops = 0;
    snprintf(r->op_text, sizeof r->op_text, "the last program");
    if (!hl_runtime_validate(r->rt, why, sizeof why))
        return fail(r, LEAK, "validate: %s", why);
    hl_gc_remove_callback(r->rt, on_gc, r);
    for (size_t i = 0; i < HL_TEST_VARS; i++)
        hl_clearref(r->rt, &t->var[i]);
    hl_alloc_stats stats;
    hl_allocator_stats(hl_runtime_allocator(r->rt), &stats);
    hl_runtime_report report;
    hl_runtime_destroy(r->rt, &report);
    if (report.leaked_objects || report.live_objects || report.live_bytes || report.live_blocks)
        return fail(r, LEAK, "destroy: %zu leaked containers; %zu objects, %zu bytes left",
                    report.leaked_objects, report.live_objects, report.live_bytes);
    if (stats.impl.errors_detected)
        return fail(r, LEAK, "the allocator reported %llu misuses",
                    (unsigned long long)stats.impl.errors_detected);
    return HL_TEST_PASS;
}

static void child_batch(fuzz_run *r, void *arg)
{
    const batch *b = arg;
    hl_test_result res = HL_TEST_PASS;
    for (unsigned k = 0; k < b->count && res == HL_TEST_PASS; k++) {
        alarm(WATCHDOG_SECONDS);
        res = run_program(r, b->first + k, NULL, 0);
    }
    alarm(0);
    r->record->result = res == HL_TEST_PASS ? destroy_stack(r) : res;
}

static unsigned programs(const hl_test *t)
{
    const char *env = getenv("HEAPLAB_FUZZ_SEEDS");
    unsigned n = env && *env ? (unsigned)strtoul(env, NULL, 10) : DEFAULT_PROGRAMS;
    return t->quick && !(env && *env) ? (n + 7) / 8 : n;
}

static hl_object *hold(hl_test *t, hl_object *op, bool *ok)
{
    if (*ok && (op = hl_test_hold(t, op)) == NULL)
        *ok = false;
    return op;
}

static hl_test_result run_case(hl_test *t, const char *name, const fuzz_shape *shape)
{
    hl_runtime *rt = t->rt;
    fuzz_run *r = calloc(1, sizeof *r);
    fuzz_record *rec = mmap(NULL, sizeof *rec, PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (r == NULL || rec == MAP_FAILED) {
        free(r);
        HL_FAIL("no memory for the fuzzer's state");
    }
    *r = (fuzz_run){.t = t, .rt = rt, .shape = shape, .record = rec};
    hl_gc_disable(rt);
    bool ok = true;
    for (int k = 0; k < 2; k++)
        r->cls[k] = hold(t, hl_class_new(rt, &(hl_class_spec){
                                                 .name = k ? "F" : "A",
                                                 .slots = 1 + FUZZ_EDGES,
                                                 .finalize = k ? on_finalize : NULL,
                                                 .user = r,
                                                 .payload = sizeof(payload)}),
                         &ok);
    for (int k = 0; k <= FUZZ_EDGES; k++)
        r->key[k] = hold(t, hl_int(rt, k < FUZZ_EDGES ? k : -1), &ok);
    r->garbage = ok ? hl_gc_garbage(rt) : NULL;
    if (r->garbage == NULL || hl_gc_add_callback(rt, on_gc, r) < 0) {
        free(r);
        munmap(rec, sizeof *rec);
        HL_FAIL("cannot set the case up");
    }
    r->baseline = hl_runtime_live_objects(rt);

    /* Under the out-of-memory sweep: one program, in process. */
    const char *spec = t->alloc_spec;
    bool sweep = strncmp(spec, "failafter=", 10) == 0 && strtoull(spec + 10, NULL, 10) < 1000000000;
    const char *fork_env = getenv("HEAPLAB_FUZZ_FORK");
    bool forking = !sweep && !(fork_env && strcmp(fork_env, "0") == 0);
    batch b = {t->seed, sweep ? 1 : programs(t)};
    hl_test_result res = HL_TEST_PASS;
    if (forking && in_child(r, child_batch, &b) == PASSED && rec->result >= 0) {
        res = (hl_test_result)rec->result;
    } else if (forking && rec->failure != PASSED) {
        res = HL_TEST_FAIL;
    } else {
        forking = false;
        for (unsigned k = 0; k < b.count && res == HL_TEST_PASS; k++)
            res = run_program(r, b.first + k, NULL, 0);
    }
    if (res == HL_TEST_FAIL)
        res = report_failure(r, name, forking);
    hl_gc_remove_callback(rt, on_gc, r);
    /* Objects left behind by a failed program may still call back into r
       while the harness reclaims them: r then stays allocated on purpose. */
    if (hl_runtime_live_objects(rt) == r->baseline)
        free(r);
    munmap(rec, sizeof *rec);
    hl_gc_enable(rt);
    return res;
}

/* Weights per operation: NEW HOLD DROP LINK UNLINK RESURRECT COLLECT
   SAVEALL CLEAR_GARBAGE. */
static const fuzz_shape small_shape = {60, 10, {20, 2, 26, 34, 4, 6, 8, 1, 2}, 40};
static const fuzz_shape large_shape = {300, 40, {26, 4, 16, 26, 6, 5, 10, 1, 2}, 50};
static const fuzz_shape young_shape = {200, 24, {24, 4, 16, 22, 6, 5, 20, 1, 2}, 75};

static hl_test_result test_small(hl_test *t)
{
    return run_case(t, "small_programs", &small_shape);
}

static hl_test_result test_large(hl_test *t)
{
    return run_case(t, "large_programs", &large_shape);
}

static hl_test_result test_young(hl_test *t)
{
    return run_case(t, "young_collections", &young_shape);
}

static const hl_test_case cases[] = {
    {"small_programs", test_small, false},
    {"large_programs", test_large, false},
    {"young_collections", test_young, false},
};

const hl_suite hl_suite_fuzz = {
    .name = "fuzz",
    .description = "random programs checked against a reference model of CPython's semantics",
    .cases = cases,
    .count = sizeof cases / sizeof cases[0],
};
