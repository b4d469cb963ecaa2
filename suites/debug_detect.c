/*
 * suites/debug_detect.c — the `debug` wrapper catches each misuse it is
 * meant to, over every allocator of the matrix: one case per detection.
 *
 * Each case stacks a fresh `debug` over the allocator under test, commits
 * exactly one misuse, and checks that exactly one error was counted and
 * that the report on stderr names the address and what was found.  The
 * report is captured (stderr is redirected to a temporary file around the
 * misuse), so a passing run stays quiet.  The misuse itself is harmless by
 * construction: the wrapper ignores a double or foreign free, and the bytes
 * written out of bounds fall in its own guards or quarantined fill.
 */
#include "suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct detection {
    hl_allocator *debug;  /* debug over the allocator under test */
    int saved_stderr;     /* the real stderr while the report is captured */
    FILE *report;         /* where it goes */
    char text[4096];      /* what it said */
} detection;

/* debug[=options] over the allocator under test (whose own leading debug
   layer, in the matrix's debug:POOL, is replaced rather than doubled). */
static bool open_debug(hl_test *t, detection *d, const char *options)
{
    char spec[256], err[300];
    const char *base = t->alloc_spec;
    if (strncmp(base, "debug", 5) == 0 && strchr(base, ':'))
        base = strchr(base, ':') + 1;
    snprintf(spec, sizeof spec, "debug%s%s:%s", options ? "=" : "", options ? options : "",
             base);
    d->debug = hl_allocator_open(spec, err, sizeof err);
    d->report = NULL;
    return d->debug != NULL;
}

static void capture(detection *d)
{
    fflush(stderr);
    d->report = tmpfile();
    d->saved_stderr = d->report ? dup(STDERR_FILENO) : -1;
    if (d->saved_stderr >= 0)
        dup2(fileno(d->report), STDERR_FILENO);
}

static void release(detection *d)
{
    fflush(stderr);
    d->text[0] = '\0';
    if (d->saved_stderr >= 0) {
        dup2(d->saved_stderr, STDERR_FILENO);
        close(d->saved_stderr);
        d->saved_stderr = -1;
    }
    if (d->report) {
        rewind(d->report);
        size_t n = fread(d->text, 1, sizeof d->text - 1, d->report);
        d->text[n] = '\0';
        fclose(d->report);
        d->report = NULL;
    }
}

static uint64_t errors(const detection *d)
{
    hl_alloc_stats s;
    hl_allocator_stats(d->debug, &s);
    return s.impl.errors_detected;
}

/* Ends a case: one error, a report naming `address` and `phrase`. */
static hl_test_result finish(hl_test *t, detection *d, const void *address, const char *phrase)
{
    release(d);
    uint64_t n = errors(d);
    hl_allocator_close(d->debug);
    char addr[32];
    snprintf(addr, sizeof addr, "%p", address);
    if (n != 1)
        HL_FAIL("%llu errors detected, expected 1; report: %s", (unsigned long long)n, d->text);
    if (strstr(d->text, addr) == NULL || strstr(d->text, phrase) == NULL)
        HL_FAIL("the report does not name %s and '%s': %s", addr, phrase, d->text);
    return HL_TEST_PASS;
}

#define OPEN(d, options)                                                                 \
    detection d;                                                                         \
    if (!open_debug(t, &d, options))                                                     \
    HL_FAIL("cannot open debug over %s", t->alloc_spec)

/* p = malloc(24); p[24] = 'x'; free(p) */
static hl_test_result test_overrun(hl_test *t)
{
    OPEN(d, NULL);
    unsigned char *p = hl_mem_malloc(d.debug, 24);
    CHECK(p != NULL);
    capture(&d);
    p[24] = 'x';
    hl_mem_free(d.debug, p, 24);
    return finish(t, &d, p, "buffer overrun");
}

/* p = malloc(24); p[-1] = 'x'; free(p) */
static hl_test_result test_underrun(hl_test *t)
{
    OPEN(d, NULL);
    unsigned char *p = hl_mem_malloc(d.debug, 24);
    CHECK(p != NULL);
    capture(&d);
    p[-1] = 'x';
    hl_mem_free(d.debug, p, 24);
    return finish(t, &d, p, "buffer underrun");
}

/* free(p); free(p) */
static hl_test_result test_double_free(hl_test *t)
{
    OPEN(d, NULL);
    unsigned char *p = hl_mem_malloc(d.debug, 40);
    CHECK(p != NULL);
    hl_mem_free(d.debug, p, 40);
    capture(&d);
    d.debug->ops->free(d.debug->ctx, p); /* past the counting layer: it is misuse */
    return finish(t, &d, p, "already freed");
}

/* free(q) for a q this allocator never handed out */
static hl_test_result test_foreign_free(hl_test *t)
{
    OPEN(d, NULL);
    unsigned char *q = malloc(64); /* the C library's, not ours */
    CHECK(q != NULL);
    capture(&d);
    d.debug->ops->free(d.debug->ctx, q);
    hl_test_result r = finish(t, &d, q, "did not hand out");
    free(q);
    return r;
}

/* p = malloc(32); free(p); p[8] = 'x'; free(malloc(16)) — with a one-block
   quarantine the second free evicts p, whose fill is then checked */
static hl_test_result test_write_after_free(hl_test *t)
{
    OPEN(d, "quarantine=1");
    unsigned char *p = hl_mem_malloc(d.debug, 32);
    unsigned char *q = hl_mem_malloc(d.debug, 16);
    CHECK(p != NULL && q != NULL);
    hl_mem_free(d.debug, p, 32);
    capture(&d);
    p[8] = 'x'; /* the block sits in the quarantine, still mapped */
    char why[200];
    bool valid = hl_allocator_validate(d.debug, why, sizeof why);
    hl_mem_free(d.debug, q, 16);
    hl_test_result r = finish(t, &d, p, "written after free");
    if (r == HL_TEST_PASS && valid)
        HL_FAIL("validate() did not notice the write after free");
    return r;
}

static const hl_test_case cases[] = {
    {"overrun", test_overrun, false},
    {"underrun", test_underrun, false},
    {"double_free", test_double_free, false},
    {"foreign_free", test_foreign_free, false},
    {"write_after_free", test_write_after_free, false},
};

const hl_suite hl_suite_debug_detect = {
    .name = "debug",
    .description = "the debug wrapper's detections, each over every allocator",
    .allocator_only = true,
    .opens_allocator = true, /* jemalloc allows one instance per thread */
    .cases = cases,
    .count = sizeof cases / sizeof cases[0],
};
