/*
 * suites/fuzz_run.h — the real side of the differential fuzzer, shared by
 * suites/fuzz.c (running programs on a stack, in child processes) and
 * suites/fuzz_check.c (comparing the stack with the model after each
 * operation).  Private to those two files.
 */
#ifndef HEAPLAB_FUZZ_RUN_H
#define HEAPLAB_FUZZ_RUN_H

#include "fuzz_model.h"
#include "suite.h"

typedef struct fuzz_run fuzz_run;

/* An instance's payload: its id and whether its __del__ keeps it. */
typedef struct payload {
    uint32_t id;
    bool resurrect;
} payload;

/* Instance slots: the token, s0..s3, the list __del__ appends self to. */
#define SLOT_INTO (1 + FUZZ_EDGES)
#define SLOTS (2 + FUZZ_EDGES)

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

/* What a program run leaves behind; in memory shared with the parent, so a
   child that crashes leaves the program that made it crash. */
typedef struct fuzz_record {
    unsigned long long seed; /* the program running, or that failed */
    unsigned nops;           /* its operations so far, the last one running */
    fuzz_op ops[FUZZ_MAX_OPS];
    int result;              /* hl_test_result, or -1 while running */
    failure_kind failure;
    char message[400];
} fuzz_record;

/* The real side of one case.  object[id] is valid exactly while token[id]
   has not died: a node drops its token only when it is cleared or freed. */
struct fuzz_run {
    hl_test *t;
    hl_runtime *rt;
    const fuzz_shape *shape;
    const char *selftest;             /* HEAPLAB_FUZZ_SELFTEST, or "" */
    hl_object *cls[2];                /* A (FUZZ_PLAIN) and F (FUZZ_FINAL) */
    hl_object *key[FUZZ_EDGES + 1];   /* dict keys 0..3; -1 holds the token */
    hl_object *garbage;               /* gc.garbage */
    size_t baseline, bytes, blocks;   /* live objects, bytes and blocks with no
                                         program running (free lists empty) */
    bool tearing_down;                /* finalizers no longer resurrect */
    bool loose;                       /* automatic collection on (NAME=stress):
                                         check_loose instead of check */
    fuzz_record *record;
    /* From here to gc_stops: the program's, zeroed when one starts. */
    hl_object *object[FUZZ_IDS];      /* object[0] stays NULL: id 0 is none */
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
    fuzz_op failed[FUZZ_MAX_OPS];     /* a failed program, being minimized */
    fuzz_op candidate[FUZZ_MAX_OPS];  /* it with some operations removed */
};


extern const hl_type fuzz_token_type;

static inline bool fuzz_alive(const fuzz_run *r, unsigned id)
{
    return id && r->token[id] && r->token_deaths[id] == 0;
}

/* Records the first failure of the program (fuzz_check.c). */
hl_test_result fuzz_fail(fuzz_run *r, failure_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Which ref (id << 1 | part) a tracked object is, or -1 if not ours. */
int fuzz_identify(const fuzz_run *r, hl_object *op);
/* After op (which returned `found` if a collection): the stack against the
   model, or — loose, with automatic collection on — what stays predictable. */
hl_test_result fuzz_check(fuzz_run *r, const fuzz_op *op, long found);
hl_test_result fuzz_check_loose(fuzz_run *r);

#endif
