/*
 * harness/test.c — `heaplab test`: every conformance suite on every stack,
 * reported as TAP.
 *
 * The matrix: allocator suites run once per allocator; runtime suites once
 * per (allocator x collector).  By default the allocators are every
 * available implementation plus the wrappers over the first of them; --alloc
 * and --gc narrow it to one.  After each case, teardown checks what every
 * case must leave behind: the runtime's and allocator's invariants hold,
 * destroying the runtime reclaims exactly the cycles `none` was expected to
 * leak, and then no object, block or byte is live.
 *
 * --oom N adds the out-of-memory sweep: each runtime case runs again under
 * failafter=k for k = 1, 2, ... (up to N, or until the case no longer meets
 * a refused allocation with "all"); every run must end passed or stopped
 * cleanly, with nothing leaked.  Cases of 10^6 objects are left out of the
 * sweep, and say so.
 */
#include "cli.h"
#include "collector_registry.h"
#include "registry.h"
#include "suite.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STACK_NAMES 32

typedef struct test_options {
    const char *alloc;    /* NULL: the default matrix */
    const char *gc;       /* NULL: every collector */
    const char *suite;    /* NULL: every suite */
    const char *only_case;
    bool quick;
    long oom_limit;       /* 0: no sweep; -1: until every case passes */
    unsigned long long seed;
} test_options;

typedef struct tap {
    unsigned long number;
    unsigned long failed;
} tap;

static void tap_line(tap *out, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void tap_line(tap *out, bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s %lu - ", ok ? "ok" : "not ok", ++out->number);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    if (!ok)
        out->failed++;
}

/* ---- running one case -------------------------------------------------- */

static hl_test_result run_allocator_case(const hl_suite *s, const hl_test_case *c,
                                         const char *spec, const test_options *opt, char *msg,
                                         size_t msg_size)
{
    char err[300];
    hl_test t = {.alloc_spec = spec, .quick = opt->quick, .seed = opt->seed};
    if (s->opens_allocator) {
        hl_test_result r = c->run(&t);
        snprintf(msg, msg_size, "%s", t.message);
        return r;
    }
    t.alloc = hl_allocator_open(spec, err, sizeof err);
    if (t.alloc == NULL) {
        snprintf(msg, msg_size, "cannot open: %s", err);
        return HL_TEST_FAIL;
    }
    hl_test_result r = c->run(&t);
    char why[300];
    if (r == HL_TEST_PASS && !hl_allocator_validate(t.alloc, why, sizeof why))
        r = hl_test_fail(&t, __FILE__, __LINE__, "validate: %s", why);
    if (r == HL_TEST_PASS && (t.alloc->counts.live_bytes || t.alloc->counts.live_blocks))
        r = hl_test_fail(&t, __FILE__, __LINE__, "%zu bytes in %zu blocks still live",
                         t.alloc->counts.live_bytes, t.alloc->counts.live_blocks);
    hl_alloc_stats stats;
    hl_allocator_stats(t.alloc, &stats);
    if (r == HL_TEST_PASS && stats.impl.errors_detected)
        r = hl_test_fail(&t, __FILE__, __LINE__, "the allocator reported %llu misuses",
                         (unsigned long long)stats.impl.errors_detected);
    hl_allocator_close(t.alloc);
    snprintf(msg, msg_size, "%s", t.message);
    return r;
}

static hl_test_result run_runtime_case(const hl_test_case *c, const char *alloc,
                                       const char *gc, bool sweeping, const test_options *opt,
                                       char *msg, size_t msg_size)
{
    char err[300];
    hl_test t = {.alloc_spec = alloc, .gc_name = gc, .quick = opt->quick, .seed = opt->seed,
                 .oom_sweep = sweeping};
    t.rt = hl_runtime_create(alloc, gc, err, sizeof err);
    if (t.rt == NULL) {
        snprintf(msg, msg_size, "cannot create the stack: %s", err);
        /* Under the sweep, a refused allocation while creating is clean. */
        return sweeping ? HL_TEST_OOM : HL_TEST_FAIL;
    }
    t.tracing = (hl_gc_flags(t.rt) & HL_GC_FINDS_CYCLES) != 0;
    t.increments = (hl_gc_flags(t.rt) & HL_GC_INCREMENTS) != 0;
    hl_test_result r = c->run(&t);
    char why[300];
    if (!hl_runtime_validate(t.rt, why, sizeof why))
        r = hl_test_fail(&t, __FILE__, __LINE__, "validate after the case: %s", why),
        r = HL_TEST_FAIL;
    for (size_t i = 0; i < HL_TEST_VARS; i++)
        hl_clearref(t.rt, &t.var[i]);
    if (r != HL_TEST_FAIL && !hl_runtime_validate(t.rt, why, sizeof why)) {
        hl_test_fail(&t, __FILE__, __LINE__, "validate after teardown: %s", why);
        r = HL_TEST_FAIL;
    }
    hl_alloc_stats stats, container_stats = {0};
    hl_allocator_stats(hl_runtime_allocator(t.rt), &stats);
    if (hl_runtime_container_allocator(t.rt) != hl_runtime_allocator(t.rt))
        hl_allocator_stats(hl_runtime_container_allocator(t.rt), &container_stats);
    stats.impl.errors_detected += container_stats.impl.errors_detected;
    bool oom = hl_test_oom(&t);
    hl_runtime_report report;
    hl_runtime_destroy(t.rt, &report);
    t.rt = NULL;
    if (r == HL_TEST_PASS && !oom && report.leaked_objects != t.expected_leaks)
        r = hl_test_fail(&t, __FILE__, __LINE__,
                         "destroy reclaimed %zu leaked containers, expected %zu",
                         report.leaked_objects, t.expected_leaks);
    if (r != HL_TEST_FAIL && (report.live_objects || report.live_bytes || report.live_blocks)) {
        hl_test_fail(&t, __FILE__, __LINE__, "leak: %zu objects, %zu bytes in %zu blocks",
                     report.live_objects, report.live_bytes, report.live_blocks);
        r = HL_TEST_FAIL;
    }
    if (r != HL_TEST_FAIL && stats.impl.errors_detected) {
        hl_test_fail(&t, __FILE__, __LINE__, "the allocator reported %llu misuses",
                     (unsigned long long)stats.impl.errors_detected);
        r = HL_TEST_FAIL;
    }
    snprintf(msg, msg_size, "%s", t.message);
    return r;
}

static void report(tap *out, hl_test_result r, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void report(tap *out, hl_test_result r, const char *msg, const char *fmt, ...)
{
    char name[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    tap_line(out, r == HL_TEST_PASS, "%s", name);
    if (r != HL_TEST_PASS)
        printf("# %s\n", msg[0] ? msg : "failed");
}

/* failafter=k for k = 1, 2, ...: every run passes or stops cleanly. */
static void oom_sweep(tap *out, const hl_suite *s, const hl_test_case *c, const char *alloc,
                      const char *gc, const test_options *opt)
{
    if (c->heavy) {
        tap_line(out, true, "oom/%s/%s [%s %s] # SKIP 10^6 objects: too many failure points",
                 s->name, c->name, alloc, gc);
        return;
    }
    char spec[200], msg[600] = "";
    long k;
    for (k = 1; opt->oom_limit < 0 || k <= opt->oom_limit; k++) {
        snprintf(spec, sizeof spec, "failafter=%ld:%s", k, alloc);
        hl_test_result r = run_runtime_case(c, spec, gc, true, opt, msg, sizeof msg);
        if (r == HL_TEST_FAIL) {
            report(out, r, msg, "oom/%s/%s [%s %s] allocation %ld refused", s->name,
                   c->name, alloc, gc, k);
            return;
        }
        if (r == HL_TEST_PASS)
            break; /* the case makes fewer than k allocations */
    }
    tap_line(out, true, "oom/%s/%s [%s %s] %ld failure points%s", s->name, c->name, alloc,
             gc, k - 1, opt->oom_limit > 0 && k > opt->oom_limit ? " (bound reached)" : "");
}

/* ---- the matrix -------------------------------------------------------- */

typedef struct name_list {
    char *name[MAX_STACK_NAMES];
    size_t count;
} name_list;

static void add_name(name_list *l, const char *name)
{
    if (l->count < MAX_STACK_NAMES)
        l->name[l->count++] = strdup(name);
}

static void free_names(name_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->name[i]);
}

static void default_allocators(name_list *out)
{
    const char *first = NULL;
    for (size_t i = 0; i < hl_allocator_count(); i++) {
        const hl_allocator_ops *ops = hl_allocator_at(i);
        char why[200];
        if (ops->is_wrapper || (ops->available && !ops->available(why, sizeof why)))
            continue;
        add_name(out, ops->name);
        if (first == NULL || strcmp(ops->name, "freelist_pool") == 0)
            first = ops->name;
    }
    for (size_t i = 0; i < hl_allocator_count() && first; i++) {
        const hl_allocator_ops *ops = hl_allocator_at(i);
        if (!ops->is_wrapper)
            continue;
        char spec[200];
        if (strcmp(ops->name, "failafter") == 0)
            snprintf(spec, sizeof spec, "failafter=1000000000:%s", first);
        else
            snprintf(spec, sizeof spec, "%s:%s", ops->name, first);
        add_name(out, spec);
    }
}

/*
 * A collector that walks its heap (HL_GC_WALKS_HEAP) runs only on an allocator
 * that can visit its blocks; the matrix leaves the other pairs out by that
 * capability, saying so once per pair as a TAP comment when `say`.
 */
static bool pair_supported(const char *alloc, const char *gc, FILE *say)
{
    const char *eq = strchr(gc, '=');
    const hl_collector_ops *ops = hl_collector_find(gc, eq ? (size_t)(eq - gc) : strlen(gc));
    if (ops == NULL || !(ops->flags & HL_GC_WALKS_HEAP))
        return true;
    char err[300];
    hl_allocator *a = hl_allocator_open(alloc, err, sizeof err);
    bool ok = a == NULL || hl_allocator_can_visit(a); /* an open failure is the case's */
    hl_allocator_close(a);
    if (!ok && say)
        fprintf(say, "# skipped: %s on %s (the allocator cannot visit its blocks)\n", gc, alloc);
    return ok;
}

static int run_matrix(const test_options *opt)
{
    name_list allocs = {0}, gcs = {0};
    if (opt->alloc)
        add_name(&allocs, opt->alloc);
    else
        default_allocators(&allocs);
    if (opt->gc)
        add_name(&gcs, opt->gc);
    else
        for (size_t i = 0; i < hl_collector_count(); i++)
            add_name(&gcs, hl_collector_at(i)->name);
    for (size_t ai = 0; ai < allocs.count; ai++)
        for (size_t gi = 0; gi < gcs.count; gi++)
            (void)pair_supported(allocs.name[ai], gcs.name[gi], stdout);

    tap out = {0};
    char msg[600];
    for (size_t si = 0; si < hl_suite_count(); si++) {
        const hl_suite *s = hl_suite_at(si);
        if (opt->suite && strcmp(opt->suite, s->name) != 0)
            continue;
        for (size_t ci = 0; ci < s->count; ci++) {
            const hl_test_case *c = &s->cases[ci];
            if (opt->only_case && strcmp(opt->only_case, c->name) != 0)
                continue;
            for (size_t ai = 0; ai < allocs.count; ai++) {
                if (s->allocator_only) {
                    hl_test_result r =
                        run_allocator_case(s, c, allocs.name[ai], opt, msg, sizeof msg);
                    report(&out, r, msg, "%s/%s [%s]", s->name, c->name, allocs.name[ai]);
                    continue;
                }
                for (size_t gi = 0; gi < gcs.count; gi++) {
                    if (!pair_supported(allocs.name[ai], gcs.name[gi], NULL))
                        continue;
                    hl_test_result r = run_runtime_case(c, allocs.name[ai], gcs.name[gi],
                                                        false, opt, msg, sizeof msg);
                    report(&out, r, msg, "%s/%s [%s %s]", s->name, c->name,
                           allocs.name[ai], gcs.name[gi]);
                    if (opt->oom_limit != 0 && strncmp(allocs.name[ai], "failafter", 9))
                        oom_sweep(&out, s, c, allocs.name[ai], gcs.name[gi], opt);
                }
            }
        }
    }
    printf("1..%lu\n", out.number);
    free_names(&allocs);
    free_names(&gcs);
    return out.failed ? HL_EXIT_FAILED : HL_EXIT_OK;
}

/* Whether a case of that name exists (in suite, when given): a --case
   that matches nothing would otherwise run zero tests and pass. */
static bool case_exists(const char *suite, const char *name)
{
    for (size_t i = 0; i < hl_suite_count(); i++) {
        const hl_suite *s = hl_suite_at(i);
        if (suite && strcmp(suite, s->name) != 0)
            continue;
        for (size_t k = 0; k < s->count; k++)
            if (strcmp(s->cases[k].name, name) == 0)
                return true;
    }
    return false;
}

int hl_verb_test(int argc, char **argv)
{
    test_options opt = {.seed = 20261121};
    for (int i = 1; i < argc; i++) {
        const char *v;
        bool bad = false;
        if (hl_option_value(argc, argv, &i, "--alloc", &opt.alloc, &bad) ||
            hl_option_value(argc, argv, &i, "--gc", &opt.gc, &bad) ||
            hl_option_value(argc, argv, &i, "--suite", &opt.suite, &bad) ||
            hl_option_value(argc, argv, &i, "--case", &opt.only_case, &bad)) {
            if (bad)
                return hl_usage_error("test", "%s needs a value", argv[i]);
        } else if (hl_option_value(argc, argv, &i, "--oom", &v, &bad)) {
            long n;
            if (bad)
                return hl_usage_error("test", "--oom needs a value");
            if (strcmp(v, "all") == 0)
                opt.oom_limit = -1;
            else if (hl_parse_count(v, 1L << 30, &n))
                opt.oom_limit = n;
            else
                return hl_usage_error("test", "--oom takes a count or 'all', not '%s'", v);
        } else if (hl_option_value(argc, argv, &i, "--seed", &v, &bad)) {
            long n;
            if (bad || !hl_parse_count(v, 1L << 62, &n))
                return hl_usage_error("test", "--seed takes a positive number");
            opt.seed = (unsigned long long)n;
        } else if (strcmp(argv[i], "--quick") == 0) {
            opt.quick = true;
        } else {
            return hl_usage_error("test", "unknown argument '%s'", argv[i]);
        }
    }
    if (opt.suite && hl_suite_find(opt.suite) == NULL)
        return hl_usage_error("test", "unknown suite '%s' (see `heaplab list`)", opt.suite);
    if (opt.only_case && !case_exists(opt.suite, opt.only_case))
        return hl_usage_error("test", "no case '%s'%s%s", opt.only_case,
                              opt.suite ? " in suite " : "", opt.suite ? opt.suite : "");
    char err[300];
    if (opt.alloc) {
        hl_allocator *a = hl_allocator_open(opt.alloc, err, sizeof err);
        if (a == NULL)
            return hl_usage_error("test", "%s", err);
        hl_allocator_close(a);
    }
    if (opt.gc) {
        /* The collector's spec alone: on an allocator any collector runs on. */
        hl_runtime *rt = hl_runtime_create(opt.alloc ? opt.alloc : "freelist_pool", opt.gc, err,
                                           sizeof err);
        if (rt == NULL)
            return hl_usage_error("test", "%s", err);
        hl_runtime_destroy(rt, NULL);
    }
    return run_matrix(&opt);
}
