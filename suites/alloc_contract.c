/*
 * suites/alloc_contract.c — the allocator contract (allocator.h), run on
 * every allocator, wrapper and reference allocator through the dispatch
 * layer: alignment, malloc(0), calloc, realloc, free(NULL), and a long
 * random run against a shadow model in which every block carries a pattern
 * derived from its identity, so overlap and corruption show as a mismatch.
 * The runner checks afterwards that live bytes and blocks are back to zero.
 * The optional slots (usable_size, visit_blocks) are checked where an
 * allocator has them: every usable byte can be written, and a walk of the
 * heap finds exactly the blocks the shadow holds.
 */
#include "registry.h"
#include "suite.h"

#include <stdint.h>
#include <stdio.h>
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

/*
 * Requests over HL_ALLOC_MAX_REQUEST fail with NULL and count as failures
 * in every build: under SAN=1, 2^40 bytes used to reach AddressSanitizer's
 * malloc and abort the process.  The block being resized stays intact.
 * Over a failafter wrapper with one allocation left, the refused requests
 * must not use it up: they never reach an implementation.
 */
static hl_test_result test_huge_request(hl_test *t)
{
    static const size_t sizes[] = {HL_ALLOC_MAX_REQUEST + 1, (size_t)1 << 40,
                                   SIZE_MAX / 2, SIZE_MAX};
    CHECK(HL_ALLOC_MAX_REQUEST == (size_t)1 << 36); /* the documented value */
    unsigned char *p = hl_mem_malloc(t->alloc, 40);
    CHECK(p != NULL);
    fill(p, 5, 0, 40);
    uint64_t failures = t->alloc->counts.failures;
    size_t refused = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        refused += hl_mem_malloc(t->alloc, sizes[i]) == NULL;
        refused += hl_mem_calloc(t->alloc, sizes[i], 1) == NULL;
        refused += hl_mem_calloc(t->alloc, 1, sizes[i]) == NULL;
        refused += hl_mem_realloc(t->alloc, p, 40, sizes[i]) == NULL;
    }
    refused += hl_mem_calloc(t->alloc, (size_t)1 << 20, (size_t)1 << 20) == NULL;
    size_t intact = verify(p, 5, 40);
    hl_mem_free(t->alloc, p, 40);
    CHECK_EQ(refused, 17);
    CHECK_EQ(t->alloc->counts.failures - failures, 17);
    CHECK_EQ(intact, 40);

    char err[200];
    hl_allocator *last = hl_allocator_open("failafter=2:malloc", err, sizeof err);
    CHECK(last != NULL);
    void *huge = hl_mem_malloc(last, HL_ALLOC_MAX_REQUEST + 1);
    void *small = hl_mem_malloc(last, 16); /* the one allocation allowed */
    if (small != NULL)
        hl_mem_free(last, small, 16);
    hl_allocator_close(last);
    CHECK(huge == NULL);
    CHECK(small != NULL);
    return HL_TEST_PASS;
}

/*
 * usable_size and visit_blocks against a shadow of the live blocks, after
 * random churn of mallocs, callocs, reallocs and frees of every size (raw
 * blocks included).  Each block is filled over all its usable bytes, so a
 * usable_size that promises bytes belonging to another block shows as a
 * pattern mismatch.  A pool reports its class size; the debug wrapper the
 * size requested.  A walk must give every live block once with its usable
 * size, in address order within a pool, and nothing else.
 */
typedef struct usable_block {
    unsigned char *p;
    size_t size;   /* requested */
    size_t usable; /* from usable_size, all of it filled */
    size_t id;
} usable_block;

typedef struct visit_record {
    usable_block *blocks;
    size_t count;    /* calls of the visitor */
    size_t capacity; /* entries in blocks */
} visit_record;

static void record_block(void *block, size_t usable, void *arg)
{
    visit_record *v = arg;
    if (v->count < v->capacity)
        v->blocks[v->count] = (usable_block){.p = block, .usable = usable};
    v->count++;
}

static int by_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const usable_block *)a)->p,
              y = (uintptr_t)((const usable_block *)b)->p;
    return (x > y) - (x < y);
}

static bool is_pool(const hl_allocator *a)
{
    return a->ops == hl_allocator_freelist_pool() || a->ops == hl_allocator_bitmap_pool();
}

/* What usable_size must say of a block of n bytes just allocated, or 0 for
   "at least n".  (A pool's realloc keeps a block in a larger class when
   little would be wasted, so a resized block only promises "at least".) */
static size_t expected_usable(const hl_allocator *a, size_t n)
{
    if (a->ops == hl_allocator_debug())
        return n;
    return is_pool(a) && n >= 1 && n <= 512 ? (n + 15) & ~(size_t)15 : 0;
}

/* A pool block of a pool allocator: its class size is a multiple of 16 up
   to 512, which no raw block's usable size is (0 bytes: under 16; the
   others: over 512). */
static bool pool_block(const hl_allocator *a, const usable_block *b)
{
    return is_pool(a) && b->usable >= 16 && b->usable <= 512 && b->usable % 16 == 0;
}

/* One walk against the shadow; the first problem goes to `why`.  The
   second half of v->blocks holds the shadow's side. */
static bool check_walk(hl_test *t, const usable_block *live, size_t slots, visit_record *v,
                       char *why, size_t why_size)
{
    v->count = 0;
    if (!hl_allocator_visit_blocks(t->alloc, record_block, v)) {
        snprintf(why, why_size, "visit_blocks failed on an allocator that can visit");
        return false;
    }
    usable_block *shadow = v->blocks + v->capacity;
    size_t held = 0;
    for (size_t i = 0; i < slots; i++)
        if (live[i].p != NULL)
            shadow[held++] = live[i];
    if (v->count != held) {
        snprintf(why, why_size, "the walk found %zu blocks, %zu are live", v->count, held);
        return false;
    }
    /* Two pool blocks in one 4 KiB stretch share a pool (pools are at
       least 4 KiB and aligned to their size): they must come in order. */
    for (size_t i = 1; i < v->count; i++) {
        const usable_block *before = &v->blocks[i - 1], *now = &v->blocks[i];
        if (pool_block(t->alloc, before) && pool_block(t->alloc, now) && now->p < before->p &&
            (((uintptr_t)before->p ^ (uintptr_t)now->p) >> 12) == 0) {
            snprintf(why, why_size, "block %p visited after %p in the same pool",
                     (void *)now->p, (void *)before->p);
            return false;
        }
    }
    qsort(v->blocks, v->count, sizeof *v->blocks, by_address);
    qsort(shadow, held, sizeof *shadow, by_address);
    for (size_t i = 0; i < held; i++)
        if (v->blocks[i].p != shadow[i].p || v->blocks[i].usable != shadow[i].usable) {
            snprintf(why, why_size, "walk gave %p (%zu usable), the shadow has %p (%zu usable)",
                     (void *)v->blocks[i].p, v->blocks[i].usable, (void *)shadow[i].p,
                     shadow[i].usable);
            return false;
        }
    return true;
}

/* Takes a block just (re)allocated into the shadow; false with the reason
   when its usable size is wrong. */
static bool take_block(hl_test *t, usable_block *b, unsigned char *p, size_t n, size_t id,
                       bool can_size, bool resized, char *why, size_t why_size)
{
    *b = (usable_block){.p = p, .size = n, .usable = n, .id = id};
    if (!can_size)
        return true;
    size_t usable = hl_mem_usable_size(t->alloc, p);
    size_t expected = resized && is_pool(t->alloc) ? 0 : expected_usable(t->alloc, n);
    if (usable < n || (expected != 0 && usable != expected)) {
        snprintf(why, why_size, "usable_size of a %zu-byte block is %zu, expected %s%zu", n,
                 usable, expected ? "" : "at least ", expected ? expected : n);
        return false;
    }
    b->usable = usable;
    fill(p, id, 0, usable);
    return true;
}

static hl_test_result test_usable_and_visit(hl_test *t)
{
    bool can_size = hl_allocator_can_size(t->alloc), can_visit = hl_allocator_can_visit(t->alloc);
    visit_record empty = {0};
    if (!can_size) {
        unsigned char *p = hl_mem_malloc(t->alloc, 24);
        CHECK(p != NULL);
        size_t usable = hl_mem_usable_size(t->alloc, p);
        hl_mem_free(t->alloc, p, 24);
        CHECK_EQ(usable, 0);
    }
    CHECK(hl_allocator_visit_blocks(t->alloc, record_block, &empty) == can_visit);
    CHECK_EQ(empty.count, 0); /* nothing live yet */
    if (!can_visit && !can_size)
        return HL_TEST_PASS;

    const size_t slots = 2048, ops = t->quick ? 60000 : 300000, walk_every = 10000;
    usable_block *live = calloc(slots, sizeof *live);
    visit_record v = {.blocks = calloc(2 * slots, sizeof *v.blocks), .capacity = slots};
    if (live == NULL || v.blocks == NULL) {
        free(live);
        free(v.blocks);
        HL_FAIL("out of memory for the shadow");
    }
    char why[300] = "";
    size_t next_id = 1;
    hl_test_result r = HL_TEST_PASS;
    for (size_t op = 0; op < ops && r == HL_TEST_PASS; op++) {
        usable_block *b = &live[hl_test_random(t) % slots];
        unsigned long long action = hl_test_random(t) % 8;
        if (b->p != NULL && verify(b->p, b->id, b->usable) != b->usable) {
            r = hl_test_fail(t, __FILE__, __LINE__, "op %zu: block %zu corrupted", op, b->id);
            break;
        }
        if (b->p != NULL && action >= 3) {
            hl_mem_free(t->alloc, b->p, b->size);
            b->p = NULL;
        } else {
            size_t n = random_size(t);
            bool resized = b->p != NULL;
            unsigned char *q = resized ? hl_mem_realloc(t->alloc, b->p, b->size, n)
                               : action == 0 ? hl_mem_calloc(t->alloc, n, 1)
                                             : hl_mem_malloc(t->alloc, n);
            if (q == NULL) {
                r = hl_test_fail(t, __FILE__, __LINE__, "op %zu: allocation of %zu failed", op, n);
                break;
            }
            if (!take_block(t, b, q, n, next_id++, can_size, resized, why, sizeof why))
                r = hl_test_fail(t, __FILE__, __LINE__, "op %zu: %s", op, why);
        }
        if (r == HL_TEST_PASS && can_visit && op % walk_every == 0 &&
            !check_walk(t, live, slots, &v, why, sizeof why))
            r = hl_test_fail(t, __FILE__, __LINE__, "op %zu: %s", op, why);
    }
    if (r == HL_TEST_PASS && can_visit && !check_walk(t, live, slots, &v, why, sizeof why))
        r = hl_test_fail(t, __FILE__, __LINE__, "after the churn: %s", why);
    for (size_t i = 0; i < slots; i++)
        if (live[i].p != NULL) {
            hl_mem_free(t->alloc, live[i].p, live[i].size);
            live[i].p = NULL;
        }
    if (r == HL_TEST_PASS && can_visit && !check_walk(t, live, slots, &v, why, sizeof why))
        r = hl_test_fail(t, __FILE__, __LINE__, "after freeing everything: %s", why);
    free(live);
    free(v.blocks);
    return r;
}

static const hl_test_case cases[] = {
    {"alignment", test_alignment, false},
    {"malloc_zero", test_malloc_zero, false},
    {"calloc", test_calloc, false},
    {"realloc", test_realloc, false},
    {"random_1e6", test_random, true},
    {"huge_request", test_huge_request, false},
    {"usable_and_visit", test_usable_and_visit, true},
};

const hl_suite hl_suite_alloc_contract = {
    .name = "alloc",
    .description = "the allocator contract on every allocator and wrapper",
    .allocator_only = true,
    .cases = cases,
    .count = sizeof cases / sizeof cases[0],
};
