/*
 * suites/alloc_contract.c — the allocator contract (allocator.h), run on
 * every allocator, wrapper and reference allocator through the dispatch
 * layer: alignment, malloc(0), calloc, realloc, free(NULL), and a long
 * random run against a shadow model in which every block carries a pattern
 * derived from its identity, so overlap and corruption show as a mismatch.
 * The runner checks afterwards that live bytes and blocks are back to zero.
 */
#include "suite.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ALIGNED(p) (((uintptr_t)(p) & (HL_ALLOC_ALIGNMENT - 1)) == 0)

static unsigned char pattern_byte(size_t id, size_t offset)
{
    return (unsigned char)((id * 131u + offset * 7u + (offset >> 8)) | 1u);
}

static void fill(unsigned char *p, size_t id, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        p[i] = pattern_byte(id, i);
}

/* Index of the first byte that does not match, or `to` when all do. */
static size_t verify(const unsigned char *p, size_t id, size_t to)
{
    for (size_t i = 0; i < to; i++)
        if (p[i] != pattern_byte(id, i))
            return i;
    return to;
}

static hl_test_result test_alignment(hl_test *t)
{
    enum { MAX = 4096 };
    unsigned char **blocks = calloc(MAX + 1, sizeof *blocks);
    CHECK(blocks != NULL);
    hl_test_result r = HL_TEST_PASS;
    for (size_t n = 1; n <= MAX && r == HL_TEST_PASS; n++) {
        blocks[n] = hl_mem_malloc(t->alloc, n);
        if (blocks[n] == NULL || !ALIGNED(blocks[n]))
            r = hl_test_fail(t, __FILE__, __LINE__, "malloc(%zu) gave %p", n,
                             (void *)blocks[n]);
        else
            fill(blocks[n], n, 0, n);
    }
    for (size_t n = 1; n <= MAX; n++) {
        if (blocks[n] == NULL)
            continue;
        if (r == HL_TEST_PASS && verify(blocks[n], n, n) != n)
            r = hl_test_fail(t, __FILE__, __LINE__, "block of %zu bytes overwritten", n);
        hl_mem_free(t->alloc, blocks[n], n);
    }
    free(blocks);
    return r;
}

static hl_test_result test_malloc_zero(hl_test *t)
{
    enum { N = 64 };
    void *p[N] = {0};
    hl_test_result r = HL_TEST_PASS;
    for (size_t i = 0; i < N && r == HL_TEST_PASS; i++) {
        p[i] = i % 2 ? hl_mem_malloc(t->alloc, 0) : hl_mem_calloc(t->alloc, 0, 0);
        if (p[i] == NULL || !ALIGNED(p[i]))
            r = hl_test_fail(t, __FILE__, __LINE__, "malloc(0) gave %p", p[i]);
        for (size_t j = 0; j < i && r == HL_TEST_PASS; j++)
            if (p[j] == p[i])
                r = hl_test_fail(t, __FILE__, __LINE__, "malloc(0) returned %p twice", p[i]);
    }
    for (size_t i = 0; i < N; i++)
        hl_mem_free(t->alloc, p[i], 0);
    hl_mem_free(t->alloc, NULL, 0); /* free(NULL) does nothing */
    return r;
}

static hl_test_result test_calloc(hl_test *t)
{
    static const size_t sizes[] = {1, 8, 16, 24, 100, 256, 511, 512, 513, 4096, 70000};
    enum { COUNT = sizeof sizes / sizeof sizes[0] };
    /* Dirty blocks of every size first, so calloc may be handed them back. */
    for (size_t i = 0; i < COUNT; i++) {
        unsigned char *p = hl_mem_malloc(t->alloc, sizes[i]);
        CHECK(p != NULL);
        memset(p, 0xAB, sizes[i]);
        hl_mem_free(t->alloc, p, sizes[i]);
    }
    for (size_t i = 0; i < COUNT; i++) {
        unsigned char *p = hl_mem_calloc(t->alloc, sizes[i], 1);
        CHECK(p != NULL && ALIGNED(p));
        size_t bad = sizes[i];
        for (size_t j = 0; j < sizes[i]; j++)
            if (p[j] != 0) {
                bad = j;
                break;
            }
        hl_mem_free(t->alloc, p, sizes[i]);
        if (bad != sizes[i])
            HL_FAIL("calloc(%zu): byte %zu is not zero", sizes[i], bad);
    }
    void *huge = hl_mem_calloc(t->alloc, SIZE_MAX / 2, 4);
    CHECK(huge == NULL); /* nelem * elsize overflows */
    return HL_TEST_PASS;
}

static hl_test_result test_realloc(hl_test *t)
{
    static const size_t steps[] = {0, 1, 15, 16, 17, 48, 500, 512, 513, 1000, 5000,
                                   70000, 3000, 512, 100, 16, 1, 0, 33};
    enum { COUNT = sizeof steps / sizeof steps[0] };
    unsigned char *p = hl_mem_realloc(t->alloc, NULL, 0, 10); /* realloc(NULL) */
    CHECK(p != NULL && ALIGNED(p));
    size_t size = 10;
    fill(p, 77, 0, size);
    for (size_t i = 0; i < COUNT; i++) {
        unsigned char *q = hl_mem_realloc(t->alloc, p, size, steps[i]);
        if (q == NULL) {
            hl_mem_free(t->alloc, p, size);
            HL_FAIL("realloc(%zu -> %zu) failed", size, steps[i]);
        }
        size_t keep = size < steps[i] ? size : steps[i];
        size_t bad = verify(q, 77, keep);
        if (bad != keep || !ALIGNED(q)) {
            hl_mem_free(t->alloc, q, steps[i]);
            HL_FAIL("realloc(%zu -> %zu) lost byte %zu", size, steps[i], bad);
        }
        fill(q, 77, keep, steps[i]);
        p = q;
        size = steps[i];
    }
    hl_mem_free(t->alloc, p, size);
    return HL_TEST_PASS;
}

/*
 * Random operations against a shadow table of live blocks.  The size mix is
 * Python's: mostly small objects, some buffers, rare large ones.  validate()
 * runs after every step for the first stretch and then periodically.
 */
typedef struct shadow_block {
    unsigned char *p;
    size_t size;
    size_t id;
} shadow_block;

static size_t random_size(hl_test *t)
{
    unsigned long long r = hl_test_random(t);
    switch (r % 16) {
    case 0: return (size_t)(r >> 8) % 4096;
    case 1: return (r >> 8) % 64 == 0 ? (size_t)(r >> 16) % (1u << 20) : 600;
    default: return (size_t)(r >> 8) % 512 + 1;
    }
}

static hl_test_result test_random(hl_test *t)
{
    const size_t ops = t->quick ? 100000 : 1000000;
    const size_t slots = 4096;
    const size_t validate_every_step = 20000;
    shadow_block *live = calloc(slots, sizeof *live);
    CHECK(live != NULL);
    char why[300];
    size_t next_id = 1;
    hl_test_result r = HL_TEST_PASS;
    for (size_t op = 0; op < ops && r == HL_TEST_PASS; op++) {
        shadow_block *b = &live[hl_test_random(t) % slots];
        unsigned long long action = hl_test_random(t) % 8;
        if (b->p == NULL) {
            size_t n = random_size(t);
            b->p = action == 0 ? hl_mem_calloc(t->alloc, n, 1) : hl_mem_malloc(t->alloc, n);
            if (b->p == NULL || !ALIGNED(b->p)) {
                r = hl_test_fail(t, __FILE__, __LINE__, "op %zu: alloc(%zu) gave %p", op,
                                 n, (void *)b->p);
                b->p = NULL;
                break;
            }
            if (action == 0)
                for (size_t i = 0; i < n; i++)
                    if (b->p[i]) {
                        r = hl_test_fail(t, __FILE__, __LINE__, "op %zu: calloc dirty", op);
                        break;
                    }
            b->size = n;
            b->id = next_id++;
            fill(b->p, b->id, 0, n);
        } else {
            size_t bad = verify(b->p, b->id, b->size);
            if (bad != b->size) {
                r = hl_test_fail(t, __FILE__, __LINE__,
                                 "op %zu: block %zu (%zu bytes) corrupted at byte %zu", op,
                                 b->id, b->size, bad);
                break;
            }
            if (action < 3) {
                size_t n = random_size(t);
                unsigned char *q = hl_mem_realloc(t->alloc, b->p, b->size, n);
                if (q == NULL || !ALIGNED(q)) {
                    r = hl_test_fail(t, __FILE__, __LINE__, "op %zu: realloc failed", op);
                    break;
                }
                size_t keep = b->size < n ? b->size : n;
                if (verify(q, b->id, keep) != keep) {
                    b->p = q;
                    b->size = n;
                    r = hl_test_fail(t, __FILE__, __LINE__, "op %zu: realloc lost data", op);
                    break;
                }
                fill(q, b->id, keep, n);
                b->p = q;
                b->size = n;
            } else {
                hl_mem_free(t->alloc, b->p, b->size);
                b->p = NULL;
            }
        }
        if ((op < validate_every_step || op % 4096 == 0) &&
            !hl_allocator_validate(t->alloc, why, sizeof why))
            r = hl_test_fail(t, __FILE__, __LINE__, "op %zu: validate: %s", op, why);
    }
    for (size_t i = 0; i < slots; i++)
        if (live[i].p)
            hl_mem_free(t->alloc, live[i].p, live[i].size);
    free(live);
    if (r == HL_TEST_PASS && !hl_allocator_validate(t->alloc, why, sizeof why))
        HL_FAIL("after freeing everything: validate: %s", why);
    return r;
}

static const hl_test_case cases[] = {
    {"alignment", test_alignment, false},
    {"malloc_zero", test_malloc_zero, false},
    {"calloc", test_calloc, false},
    {"realloc", test_realloc, false},
    {"random_1e6", test_random, true},
};

const hl_suite hl_suite_alloc_contract = {
    .name = "alloc",
    .description = "the allocator contract on every allocator and wrapper",
    .allocator_only = true,
    .cases = cases,
    .count = sizeof cases / sizeof cases[0],
};
