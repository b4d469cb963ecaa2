/*
 * base/debug.h — assertion tiers under one switch, as mimalloc's MI_DEBUG.
 *
 *   HL_DEBUG 0   nothing is checked (make)
 *   HL_DEBUG 1   hl_assert: cheap preconditions at the layers' entries
 *                (tracking an untracked container, freeing a dead object)
 *   HL_DEBUG 2   + hl_assert_internal: invariants inside an algorithm
 *                (gc_refs never below zero, the unreachable set marked);
 *                make SAN=1 builds this level
 *   HL_DEBUG 3   + HL_DEBUG_VALIDATE: the expensive validators (the
 *                collector's lists, counts and bits) before, between and
 *                after the phases of every collection, as CPython's
 *                GC_DEBUG validate_list
 *
 * `make DEBUG=N` builds level N into build-debugN/.  A failed check prints
 * FILE:LINE and what failed on stderr and aborts.
 */
#ifndef HEAPLAB_BASE_DEBUG_H
#define HEAPLAB_BASE_DEBUG_H

#ifndef HL_DEBUG
#define HL_DEBUG 0
#endif
#if HL_DEBUG < 0 || HL_DEBUG > 3
#error "HL_DEBUG is 0, 1, 2 or 3 (base/debug.h)"
#endif

void hl_debug_fail(const char *file, int line, const char *what, const char *why)
    __attribute__((noreturn));

#define HL_CHECK_(cond) \
    ((cond) ? (void)0 : hl_debug_fail(__FILE__, __LINE__, #cond, NULL))

#if HL_DEBUG >= 1
#define hl_assert(cond) HL_CHECK_(cond)
#else
#define hl_assert(cond) ((void)0)
#endif

#if HL_DEBUG >= 2
#define hl_assert_internal(cond) HL_CHECK_(cond)
#else
#define hl_assert_internal(cond) ((void)0)
#endif

/* Runs a validator `fn(args..., why, sizeof why)` at level 3 and fails with
   its reason. */
#if HL_DEBUG >= 3
#define HL_DEBUG_VALIDATE(fn, ...)                                          \
    do {                                                                    \
        char hl_why_[300] = "";                                             \
        if (!fn(__VA_ARGS__, hl_why_, sizeof hl_why_))                      \
            hl_debug_fail(__FILE__, __LINE__, #fn, hl_why_);                \
    } while (0)
#else
#define HL_DEBUG_VALIDATE(fn, ...) ((void)0)
#endif

#endif /* HEAPLAB_BASE_DEBUG_H */
