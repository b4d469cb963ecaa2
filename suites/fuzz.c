/*
 * suites/fuzz.c — differential fuzzing of a whole stack against the
 * reference model of suites/fuzz_model.h (which says what it models).
 *
 * Each case runs many random programs — objects made, linked, unlinked and
 * dropped, weakrefs with callbacks, finalizers that resurrect, gc.collect(g),
 * DEBUG_SAVEALL — on the stack and on the model at once, and compares them
 * (fuzz_check.c; programs are made and printed by fuzz_program.c)
 * after every operation: the number of live objects, which objects died
 * (each node owns a token object that records its own death), every
 * reference count, every object's contents and weakref, the calls of each
 * finalizer and weakref callback, and after each collection what it
 * returned, what the gc callbacks heard and the generation of every tracked
 * object.  Automatic collection is off: the model cannot know when a
 * threshold would fire.  Under NAME=stress it is on, a collection at every
 * container allocation, and each operation is checked only for what stays
 * predictable (check_loose).
 *
 * Program k of a case has seed `--seed` + k, so
 *     heaplab test --suite fuzz --case C --alloc A --gc G --seed S
 * runs the program with seed S first.  The programs run in a child process
 * (fork) on a copy of the stack as the case set it up, so a crash or a hang
 * (a watchdog per program) is a failure like any other.  After each
 * program the stack must be back where the case left it: no object, block
 * or byte more, invariants intact, no misuse seen by the allocator.
 * A failed program is cut down by delta debugging — operations removed
 * while the same kind of failure remains, each try in a fresh child — and
 * printed as pseudo-Python on stderr.  Under the out-of-memory sweep
 * (t->oom_sweep) one program runs in process instead.
 *
 * Environment:
 *   HEAPLAB_FUZZ_SEEDS=N     programs per case (default 600; 75 with --quick)
 *   HEAPLAB_FUZZ_FORK=0      run in process, unminimized (for a debugger)
 *   HEAPLAB_FUZZ_SELFTEST=model|crash|twice   tests/60-fuzz.t: a wrong model
 *                            (one more object expected from every collection
 *                            that finds any), a crash in every weakref
 *                            callback, or every __del__ counted twice
 */
#include "fuzz_run.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void live_memory(hl_runtime *rt, hl_alloc_stats *stats);

#define DEFAULT_PROGRAMS 600
#define WATCHDOG_SECONDS 20  /* per program; they take milliseconds */
#define MINIMIZE_TRIES 4000
#define MINIMIZE_SECONDS 60

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

const hl_type fuzz_token_type = {
    .name = "token",
    .basic_size = sizeof(token),
    .flags = HL_TYPE_CONTAINER,
    .traverse = token_traverse,
    .dealloc = token_dealloc,
};

static void on_callback(hl_runtime *rt, hl_object *weakref, hl_object *callback)
{
    if (callback == NULL || callback->type != &fuzz_token_type)
        return; /* shows up as a missing call */
    token *k = (token *)callback;
    if (strcmp(k->run->selftest, "crash") == 0)
        raise(SIGSEGV);
    k->run->callback_calls[k->id]++;
    k->run->uncleared_callbacks += hl_weakref_get(weakref) != NULL;
}

/* __del__: count, then keep self in a root, or append it to the list it
   holds unless that is full. */
static void on_finalize(hl_runtime *rt, hl_object *self, void *user)
{
    fuzz_run *r = user;
    payload *p = hl_instance_payload(self);
    hl_object *into = hl_instance_get(self, SLOT_INTO);
    r->finalizer_calls[p->id] += 1 + (strcmp(r->selftest, "twice") == 0);
    if (r->tearing_down || !p->resurrect) {
        return;
    } else if (into == NULL) {
        hl_incref(self);
        r->roots[p->id]++;
    } else if (hl_list_size(into) <= FUZZ_EDGES) {
        (void)hl_list_append(rt, into, self); /* refused: the sweep stops */
    }
}

static void on_gc(hl_runtime *rt, const char *phase, int generation, size_t collected,
                  size_t uncollectable, void *user)
{
    fuzz_run *r = user;
    bool start = strcmp(phase, "start") == 0;
    r->gc_starts += start;
    r->gc_stops += !start;
    r->gc_generation = generation;
    r->gc_collected = collected;
    r->gc_uncollectable = uncollectable;
}

/* ---- executing an operation ---------------------------------------------- */

static bool make(fuzz_run *r, const fuzz_op *op)
{
    hl_runtime *rt = r->rt;
    token *k = (token *)hl_object_new(rt, &fuzz_token_type, sizeof(token));
    if (k == NULL)
        return false;
    *k = (token){.ob = k->ob, .run = r, .id = op->id};
    hl_gc_track(rt, &k->ob);
    hl_object *tok = &k->ob, *o = NULL;
    hl_object *items[1 + FUZZ_TUPLE_MAX] = {tok};
    size_t n = 1;
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
    case FUZZ_TUPLE:
        for (size_t i = 0; i < FUZZ_TUPLE_MAX; i++)
            if (fuzz_model_alive(&r->model, op->arg[i]) && (!r->loose || fuzz_alive(r, op->arg[i])))
                items[n++] = r->object[op->arg[i]];
        o = hl_tuple_pack(rt, n, items);
        break;
    case FUZZ_WEAKREF:
    case FUZZ_WEAKREF_CB:
        if (r->loose && !fuzz_alive(r, op->arg[0])) {
            o = hl_list_new(rt, 0); /* stands in; only checked loosely */
            if (o && hl_list_append(rt, o, tok) < 0)
                hl_clearref(rt, &o);
            break;
        }
        o = hl_weakref_new(rt, r->object[op->arg[0]], tok,
                           op->kind == FUZZ_WEAKREF_CB ? on_callback : NULL);
        break;
    case FUZZ_KINDS:
        break;
    }
    r->token[op->id] = tok;
    hl_decref(rt, tok);
    r->object[op->id] = o;
    r->roots[op->id] = o != NULL;
    return o != NULL;
}

static bool exec_op(fuzz_run *r, const fuzz_op *op, long *found);

/*
 * Runs op on the stack; false when an allocation was refused.  Loose (with
 * automatic collection on): the objects the operation names are held while
 * it runs, as Python's evaluation stack holds its operands — any allocation
 * inside may collect, and a name does not keep its object alive.
 */
static bool exec(fuzz_run *r, const fuzz_op *op, long *found)
{
    if (!r->loose)
        return exec_op(r, op, found);
    hl_object *held[1 + FUZZ_TUPLE_MAX];
    size_t n = 0;
    if (op->code != FUZZ_NEW && fuzz_alive(r, op->id))
        hl_incref(held[n++] = r->object[op->id]);
    for (size_t i = 0; i < FUZZ_TUPLE_MAX; i++)
        if (fuzz_alive(r, op->arg[i]) && (op->code == FUZZ_NEW || i == 0) &&
            op->code != FUZZ_COLLECT && op->code != FUZZ_SAVEALL)
            hl_incref(held[n++] = r->object[op->arg[i]]);
    bool done = exec_op(r, op, found);
    for (size_t i = 0; i < n; i++)
        hl_decref(r->rt, held[i]);
    return done;
}

static bool exec_op(fuzz_run *r, const fuzz_op *op, long *found)
{
    hl_runtime *rt = r->rt;
    /* Loose: the model may keep what a collection already freed. */
    if (r->loose && op->code != FUZZ_NEW && op->code != FUZZ_COLLECT &&
        op->code != FUZZ_SAVEALL && op->code != FUZZ_CLEAR_GARBAGE &&
        (!fuzz_alive(r, op->id) || (op->arg[0] && !fuzz_alive(r, op->arg[0]))))
        return true;
    hl_object *o = r->object[op->id], *v = r->object[op->arg[0]];
    bool instance = o && hl_is_instance(o), dict = o && o->type == &hl_dict_type;
    size_t items = o && o->type == &hl_list_type ? hl_list_size(o) - 1 : 0;
    switch ((fuzz_code)op->code) {
    case FUZZ_NEW:
        return make(r, op);
    case FUZZ_HOLD:
        hl_incref(o);
        r->roots[op->id]++;
        break;
    case FUZZ_DROP:
        if (r->roots[op->id] > 0) { /* else the check before has failed */
            r->roots[op->id]--;
            hl_decref(rt, o);
        }
        break;
    case FUZZ_LINK:
        if (instance)
            hl_instance_set(rt, o, 1 + op->slot, v);
        else if (dict)
            return hl_dict_set(rt, o, r->key[op->slot], v) == 0;
        else if (items < FUZZ_EDGES)
            return hl_list_append(rt, o, v) == 0;
        else
            hl_list_set(rt, o, 1 + op->slot % items, v);
        break;
    case FUZZ_UNLINK:
        if (instance)
            hl_instance_set(rt, o, 1 + op->slot, NULL);
        else if (dict)
            (void)hl_dict_delete(rt, o, r->key[op->slot]);
        else if (items)
            hl_list_delete(rt, o, 1 + op->slot % items);
        break;
    case FUZZ_RESURRECT:
        ((payload *)hl_instance_payload(o))->resurrect = true;
        hl_instance_set(rt, o, SLOT_INTO, r->object[op->arg[0]]);
        break;
    case FUZZ_COLLECT:
        *found = hl_gc_collect(rt, op->arg[0]);
        break;
    case FUZZ_SAVEALL:
        hl_gc_set_debug(rt, op->arg[0] ? HL_GC_DEBUG_SAVEALL : 0);
        break;
    case FUZZ_CLEAR_GARBAGE:
        hl_list_clear(rt, r->garbage);
        break;
    }
    return true;
}

/* ---- one program ----------------------------------------------------------- */

/* Empties every object the program made, so every cycle is broken, and
   drops the test's references; then the stack must be back where the case
   left it: no object, block or byte more (free lists emptied), invariants
   intact, no misuse seen by the allocator. */
static hl_test_result teardown(fuzz_run *r)
{
    hl_runtime *rt = r->rt;
    unsigned held[FUZZ_IDS], n = 0;
    r->tearing_down = true;
    hl_gc_set_debug(rt, 0);
    hl_list_clear(rt, r->garbage);
    for (unsigned id = 1; id < FUZZ_IDS; id++)
        if (r->object[id] && fuzz_alive(r, id))
            hl_incref(r->object[held[n++] = id]);
    for (unsigned i = 0; i < n; i++) {
        hl_object *o = r->object[held[i]];
        for (size_t s = 0; hl_is_instance(o) && s < SLOTS; s++)
            hl_instance_set(rt, o, s, NULL);
        if (o->type == &hl_list_type)
            hl_list_clear(rt, o);
        else if (o->type == &hl_dict_type)
            hl_dict_clear(rt, o);
    }
    for (unsigned id = 1; id < FUZZ_IDS; id++)
        for (; r->roots[id]; r->roots[id]--)
            hl_decref(rt, r->object[id]);
    for (unsigned i = 0; i < n; i++)
        hl_decref(rt, r->object[held[i]]);
    r->tearing_down = false;
    hl_clear_free_lists(rt);
    hl_alloc_stats stats;
    live_memory(rt, &stats);
    char why[300] = "";
    snprintf(r->op_text, sizeof r->op_text, "the end");
    if (hl_runtime_live_objects(rt) != r->baseline || stats.counts.live_bytes != r->bytes ||
        stats.counts.live_blocks != r->blocks)
        return fuzz_fail(r, LEAK, "%ld objects, %ld bytes in %ld blocks more than before the program, "
                             "once every object was emptied and every reference dropped",
                    (long)(hl_runtime_live_objects(rt) - r->baseline),
                    (long)(stats.counts.live_bytes - r->bytes),
                    (long)(stats.counts.live_blocks - r->blocks));
    if (stats.impl.errors_detected || !hl_runtime_validate(rt, why, sizeof why))
        return fuzz_fail(r, LEAK, "%llu misuses seen by the allocator; validate: %s",
                    (unsigned long long)stats.impl.errors_detected, why[0] ? why : "ok");
    return HL_TEST_PASS;
}

/* Runs the program with `seed` (replay NULL: generated, and ending with a
   full collection) or the operations given, checking after each. */
static hl_test_result run_program(fuzz_run *r, unsigned long long seed, const fuzz_op *replay,
                                  unsigned nreplay)
{
    fuzz_record *rec = r->record;
    uint64_t rng = seed;
    unsigned count = replay ? nreplay : r->shape->ops;
    hl_test_result result = HL_TEST_PASS;
    memset(r->object, 0, offsetof(fuzz_run, gc_generation) - offsetof(fuzz_run, object));
    fuzz_model_init(&r->model, hl_gc_generations(r->rt), r->t->tracing, r->t->increments);
    r->top_id = 0;
    *rec = (fuzz_record){.seed = seed, .result = rec->result};
    for (unsigned i = 0; i < count && result == HL_TEST_PASS; i++) {
        fuzz_op op = replay          ? replay[i]
                     : i + 1 < count ? fuzz_generate(&r->model, r->shape, &rng, r->top_id + 1)
                                     : (fuzz_op){.code = FUZZ_COLLECT, .arg = {2}};
        if (!fuzz_model_valid(&r->model, &op))
            continue;
        rec->ops[rec->nops++] = op;
        fuzz_format(&r->model, &op, r->op_text, sizeof r->op_text);
        if (op.code == FUZZ_NEW && op.id > r->top_id)
            r->top_id = op.id;
        long found = 0;
        uint64_t refused = hl_runtime_out_of_memory(r->rt);
        if (!exec(r, &op, &found) || hl_runtime_out_of_memory(r->rt) != refused)
            result = HL_TEST_OOM; /* the sweep refused an allocation: stop there */
        else
            fuzz_model_apply(&r->model, &op),
                result = r->loose ? fuzz_check_loose(r) : fuzz_check(r, &op, found);
    }
    return teardown(r) == HL_TEST_FAIL ? HL_TEST_FAIL : result;
}

/* ---- children, minimizing, printing -------------------------------------- */

typedef struct batch {
    unsigned long long first; /* seed of the first program */
    unsigned count;           /* programs */
    const fuzz_op *ops;       /* or one program of n operations */
    unsigned n;
} batch;

static void child_main(fuzz_run *r, const batch *b)
{
    hl_test_result res = HL_TEST_PASS;
    for (unsigned k = 0; k < b->count && res == HL_TEST_PASS; k++) {
        alarm(WATCHDOG_SECONDS);
        res = run_program(r, b->first + k, b->ops, b->n);
    }
    alarm(0);
    r->record->result = res;
}

/* Runs the batch in a child on a copy of the stack as it is now: the kind
   of failure it ended with, CRASH for a signal or a hang; -1 if no child. */
static int in_child(fuzz_run *r, const batch *b)
{
    fuzz_record *rec = r->record;
    fflush(NULL);
    rec->result = -1;
    rec->failure = PASSED;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        child_main(r, b);
        _exit(0);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if ((WIFSIGNALED(status) || rec->result < 0) && rec->failure == PASSED) {
        int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        snprintf(rec->message, sizeof rec->message, "%s (%s)",
                 sig == SIGALRM ? "hung: no end within the watchdog's time"
                                : "crashed: the child process died",
                 sig ? strsignal(sig) : "no result");
        rec->failure = CRASH;
    }
    return (int)rec->failure;
}

typedef struct minimizing {
    fuzz_run *run;
    unsigned long long seed;
    int kind;        /* the failure to keep */
    time_t deadline;
} minimizing;

static bool still_fails(void *arg, const fuzz_op *ops, unsigned n)
{
    minimizing *m = arg;
    batch b = {.first = m->seed, .count = 1, .ops = ops, .n = n};
    return time(NULL) < m->deadline && in_child(m->run, &b) == m->kind;
}

/* A failed program: cut it down (when programs run in children), print it
   on stderr, and say so in the TAP line. */
static hl_test_result report_failure(fuzz_run *r, const char *case_name, bool forking)
{
    hl_test *t = r->t;
    fuzz_record *rec = r->record;
    fuzz_op *ops = r->failed;
    unsigned n = rec->nops;
    unsigned long long seed = rec->seed;
    int kind = (int)rec->failure;
    char first[sizeof rec->message];
    memcpy(ops, rec->ops, n * sizeof *ops);
    snprintf(first, sizeof first, "%s", rec->message);
    /* Alone, from the stack as the case set it up: does it still fail? */
    batch b = {.first = seed, .count = 1, .ops = ops, .n = n};
    bool alone = forking && in_child(r, &b) == kind;
    if (alone) {
        minimizing m = {r, seed, kind, time(NULL) + MINIMIZE_SECONDS};
        b.n = n = fuzz_minimize(ops, n, r->candidate, MINIMIZE_TRIES, still_fails, &m);
        in_child(r, &b); /* for the minimal program's own message */
    }
    fprintf(stderr, "# fuzz/%s [%s %s]: program %llu: %s\n", case_name, t->alloc_spec,
            t->gc_name, seed, first);
    fprintf(stderr, "# rerun: heaplab test --suite fuzz --case %s --alloc %s --gc %s --seed %llu\n",
            case_name, t->alloc_spec, t->gc_name, alone || !forking ? seed : t->seed);
    fprintf(stderr, "# %s (%u operations):\n",
            alone     ? "the minimal program"
            : forking ? "the program; alone it passes, so the programs before it matter"
                      : "the program",
            n);
    fuzz_model_init(&r->model, hl_gc_generations(r->rt), t->tracing, t->increments);
    fuzz_print(stderr, &r->model, ops, n);
    if (alone)
        fprintf(stderr, "# which fails: %s\n", rec->message);
    return hl_test_fail(t, __FILE__, __LINE__, "program %llu: %s (program on stderr)", seed,
                        first);
}

/* ---- the cases ------------------------------------------------------------- */

/* Once one step failed, later ones still ran: their new references are
   dropped here, not leaked. */
static hl_object *hold(hl_test *t, hl_object *op, bool *ok)
{
    if (!*ok) {
        hl_xdecref(t->rt, op);
        return NULL;
    }
    if ((op = hl_test_hold(t, op)) == NULL)
        *ok = false;
    return op;
}

/* Live memory of both the stack's allocators (objects and containers). */
static void live_memory(hl_runtime *rt, hl_alloc_stats *stats)
{
    hl_allocator_stats(hl_runtime_allocator(rt), stats);
    if (hl_runtime_container_allocator(rt) != hl_runtime_allocator(rt)) {
        hl_alloc_stats containers;
        hl_allocator_stats(hl_runtime_container_allocator(rt), &containers);
        stats->counts.live_bytes += containers.counts.live_bytes;
        stats->counts.live_blocks += containers.counts.live_blocks;
    }
}

static hl_test_result run_case(hl_test *t, const char *name, const fuzz_shape *shape)
{
    hl_runtime *rt = t->rt;
    fuzz_run *r = calloc(1, sizeof *r);
    fuzz_record *rec = mmap(NULL, sizeof *rec, PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    const char *selftest = getenv("HEAPLAB_FUZZ_SELFTEST");
    if (r == NULL || rec == MAP_FAILED) {
        free(r);
        HL_FAIL("no memory for the fuzzer's state");
    }
    *r = (fuzz_run){.t = t, .rt = rt, .shape = shape, .record = rec,
                    .selftest = selftest ? selftest : ""};
    hl_gc_disable(rt);
    bool ok = true;
    for (int k = 0; k < 2; k++)
        r->cls[k] = hold(t, hl_class_new(rt, &(hl_class_spec){
                                                 .name = k ? "F" : "A",
                                                 .slots = SLOTS,
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
    hl_clear_free_lists(rt);
    hl_alloc_stats stats;
    live_memory(rt, &stats);
    r->baseline = hl_runtime_live_objects(rt);
    r->bytes = stats.counts.live_bytes;
    r->blocks = stats.counts.live_blocks;
    r->loose = (hl_gc_flags(rt) & HL_GC_STRESS) != 0;
    if (r->loose)
        hl_gc_enable(rt);

    const char *env = getenv("HEAPLAB_FUZZ_SEEDS"), *fork_env = getenv("HEAPLAB_FUZZ_FORK");
    bool sweep = t->oom_sweep;
    bool forking = !sweep && !(fork_env && strcmp(fork_env, "0") == 0);
    batch b = {.first = t->seed,
               .count = env && *env ? (unsigned)strtoul(env, NULL, 10) : DEFAULT_PROGRAMS};
    if (sweep)
        b.count = 1;
    else if (t->quick && !(env && *env))
        b.count /= 8;
    hl_test_result res = HL_TEST_PASS;
    int failure = forking ? in_child(r, &b) : -1;
    if (failure > PASSED)
        res = HL_TEST_FAIL;
    else if (failure == PASSED)
        res = (hl_test_result)rec->result;
    for (unsigned k = 0; failure < 0 && k < b.count && res == HL_TEST_PASS; k++)
        res = run_program(r, b.first + k, NULL, 0);
    if (res == HL_TEST_FAIL)
        res = report_failure(r, name, failure >= 0);
    hl_gc_remove_callback(rt, on_gc, r);
    hl_gc_enable(rt);
    munmap(rec, sizeof *rec);
    /* Objects a failed program left may still call back into r while the
       harness reclaims them: r then stays allocated, on purpose. */
    if (hl_runtime_live_objects(rt) == r->baseline)
        free(r);
    return res;
}

/* Operations per program; nodes alive before making more is discouraged;
   weights of NEW HOLD DROP LINK UNLINK RESURRECT COLLECT SAVEALL
   CLEAR_GARBAGE; the percentage of collections of generation 0; weights of
   A F list dict tuple weakref weakref+callback.  young_collections leans
   on finalizers and weakrefs across generations. */
static const fuzz_shape small_shape = {60, 10, {20, 2, 26, 34, 4, 6, 8, 1, 2}, 40,
                                       {22, 22, 16, 14, 12, 10, 4}};
static const fuzz_shape large_shape = {300, 40, {26, 4, 16, 26, 6, 5, 10, 1, 2}, 50,
                                       {22, 22, 16, 14, 12, 10, 4}};
static const fuzz_shape young_shape = {200, 24, {24, 4, 20, 26, 4, 10, 16, 1, 2}, 70,
                                       {14, 30, 12, 8, 6, 8, 22}};

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
    .description = "random programs against a reference model of CPython's semantics",
    .cases = cases,
    .count = sizeof cases / sizeof cases[0],
};
