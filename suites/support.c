/*
 * suites/support.c — the helpers behind suite.h's macros.
 */
#include "suite.h"
#include "random.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool hl_test_oom(const hl_test *t)
{
    if (t->rt)
        return hl_runtime_out_of_memory(t->rt) > 0;
    return t->alloc && t->alloc->counts.failures > 0;
}

hl_test_result hl_test_fail(hl_test *t, const char *file, int line, const char *fmt, ...)
{
    if (t->message[0] == '\0') {
        int n = snprintf(t->message, sizeof t->message, "%s:%d: ", file, line);
        va_list ap;
        va_start(ap, fmt);
        if (n > 0 && (size_t)n < sizeof t->message)
            vsnprintf(t->message + n, sizeof t->message - (size_t)n, fmt, ap);
        va_end(ap);
    }
    /* After a refused allocation, stopping is the clean outcome the
       out-of-memory sweep asks for; teardown still checks for leaks. */
    return hl_test_oom(t) ? HL_TEST_OOM : HL_TEST_FAIL;
}

hl_object *hl_test_hold(hl_test *t, hl_object *op)
{
    if (op == NULL)
        return NULL;
    for (size_t i = 0; i < HL_TEST_VARS; i++) {
        if (t->var[i] == NULL) {
            t->var[i] = op;
            return op;
        }
    }
    /* A case with more live variables than the table is a bug in the case. */
    hl_decref(t->rt, op);
    snprintf(t->message, sizeof t->message, "more than %d variables held", HL_TEST_VARS);
    return NULL;
}

void hl_test_del(hl_test *t, hl_object *op)
{
    if (op == NULL)
        return;
    for (size_t i = 0; i < HL_TEST_VARS; i++) {
        if (t->var[i] == op) {
            t->var[i] = NULL;
            hl_decref(t->rt, op);
            return;
        }
    }
    /* Not held: the case owns it some other way; drop it all the same. */
    hl_decref(t->rt, op);
}

size_t hl_test_found(hl_test *t, size_t n)
{
    if (t->tracing)
        return n;
    t->expected_leaks += n;
    return 0;
}

unsigned long long hl_test_random(hl_test *t)
{
    uint64_t state = t->seed;
    uint64_t r = hl_random_next(&state);
    t->seed = state;
    return r;
}

size_t hl_test_scale(const hl_test *t, size_t full)
{
    if (t->rt && (hl_gc_flags(t->rt) & HL_GC_STRESS))
        return full < 2000 ? full : 2000;
    return t->quick ? full / 5 : full;
}

typedef struct small_stack_call {
    void (*fn)(void *);
    void *arg;
} small_stack_call;

static void *small_stack_main(void *p)
{
    small_stack_call *call = p;
    call->fn(call->arg);
    return NULL;
}

bool hl_test_on_small_stack(void (*fn)(void *), void *arg, size_t stack_bytes)
{
    pthread_attr_t attr;
    pthread_t thread;
    small_stack_call call = {fn, arg};
    if (pthread_attr_init(&attr) != 0)
        return false;
    bool ok = pthread_attr_setstacksize(&attr, stack_bytes) == 0 &&
              pthread_create(&thread, &attr, small_stack_main, &call) == 0;
    pthread_attr_destroy(&attr);
    if (ok)
        pthread_join(thread, NULL);
    return ok;
}
