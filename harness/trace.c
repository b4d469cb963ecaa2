/*
 * harness/trace.c — the `trace` and `stats` verbs: replaying recorded
 * allocation traces (harness/trace.h) against one allocator stack.
 *
 * Two phases, so that the timed loop does nothing but call the allocator:
 *
 *   load    hl_trace_load (trace_load.c) parses and validates the whole file
 *           into a flat array of 16-byte ops whose IDs are renamed to dense
 *           slot numbers, the slot table being as long as the trace's peak
 *           count of live blocks.
 *   replay  One fresh allocator per repetition; only the op loop is timed.
 *           Blocks still live at the end are freed outside the timed region,
 *           and then the dispatch counters must be back at zero.
 *
 * A loaded trace holds the invariants written in trace.h (every r and f
 * names a live slot, every a and z one that is not, no size exceeds
 * HL_ALLOC_MAX_REQUEST), so replay checks nothing but the allocator's
 * answers: failed allocations, errors the allocator detects itself, and
 * the dispatch counters once every block is freed.  --check adds the
 * contents: calloc'd blocks must read zero, and every block carries a
 * pattern of its own, verified across each resize, at its free and at the
 * end; the allocator's validate function runs after the replay and after
 * the final frees.
 *
 * Output: `trace` prints one JSON line per file, `stats` the allocator's
 * statistics as text.
 */
#include "allocator.h"
#include "cli.h"
#include "registry.h"
#include "trace.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- replay ----------------------------------------------------------------
 *
 * A slot's block is non-NULL exactly while the trace has it live, and its
 * size is the size it was last requested with, which is what hl_mem_free
 * and hl_mem_realloc are passed so the dispatch counters stay exact.
 */

typedef struct replay_slot {
    void *block; /* NULL while not live */
    size_t size; /* requested size of the live block */
} replay_slot;

/* --check state of a slot: the seed of the pattern its block is filled with,
   from the ID and the index of the allocating op, so a block left over from
   an earlier life of the same ID does not match. */
typedef struct check_slot {
    uint64_t seed;
    uint32_t id;
} check_slot;

typedef struct replay {
    const hl_trace *trace;
    hl_allocator *allocator;
    replay_slot *slots;
    check_slot *checks; /* NULL without --check */
    uint64_t errors;
    unsigned reported; /* errors printed so far; the rest are only counted */
} replay;

#define REPORT_LIMIT 5

static void replay_error(replay *rp, size_t op_index, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Counts an error and prints the first few, at the op's line (op_index ==
   op_count means after the last op). */
static void replay_error(replay *rp, size_t op_index, const char *fmt, ...)
{
    rp->errors++;
    if (rp->reported++ >= REPORT_LIMIT)
        return;
    if (op_index < rp->trace->op_count)
        fprintf(stderr, "%s:%" PRIu32 ": ", rp->trace->path,
                rp->trace->origins[op_index].line);
    else
        fprintf(stderr, "%s: after the last op: ", rp->trace->path);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/*
 * The timed loop.  Returns the index of the op whose allocation failed, or
 * op_count.  The first byte of each new block is written so that allocators
 * which hand out untouched pages pay for the page fault, as a real caller
 * would.
 */
static size_t replay_fast(hl_allocator *a, const hl_trace_op *ops, size_t count,
                          replay_slot *slots)
{
    for (size_t i = 0; i < count; i++) {
        const hl_trace_op op = ops[i];
        replay_slot *s = &slots[op.slot];
        void *block;
        switch (op.kind) {
        case HL_TRACE_ALLOC:
            block = hl_mem_malloc(a, op.size);
            break;
        case HL_TRACE_ZALLOC:
            block = hl_mem_calloc(a, 1, op.size);
            break;
        case HL_TRACE_RESIZE:
            block = hl_mem_realloc(a, s->block, s->size, op.size);
            if (hl_unlikely(block == NULL))
                return i;
            s->block = block;
            s->size = op.size;
            continue;
        default:
            hl_mem_free(a, s->block, s->size);
            s->block = NULL;
            continue;
        }
        if (hl_unlikely(block == NULL))
            return i;
        if (op.size > 0)
            *(unsigned char *)block = (unsigned char)i;
        s->block = block;
        s->size = op.size;
    }
    return count;
}

size_t hl_trace_replay(const hl_trace *t, hl_allocator *a, unsigned long long *elapsed_ns)
{
    replay rp = {.trace = t, .allocator = a};
    rp.slots = malloc(((size_t)t->slot_count + 1) * sizeof *rp.slots);
    if (rp.slots == NULL)
        return 0;
    /* Touched before the clock starts, as the verb does: page faults on
       the slot table are not the allocator's. */
    memset(rp.slots, 0, ((size_t)t->slot_count + 1) * sizeof *rp.slots);
    unsigned long long t0 = hl_now_ns();
    size_t done = replay_fast(a, t->ops, t->op_count, rp.slots);
    *elapsed_ns = hl_now_ns() - t0;
    for (uint32_t slot = 0; slot < t->slot_count; slot++)
        hl_mem_free(a, rp.slots[slot].block, rp.slots[slot].size);
    free(rp.slots);
    return done;
}

/* ---- --check: patterns ---------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9u;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

/*
 * Byte k of a block with seed s is byte k % 8 of the native representation
 * of word k / 8 below: one multiplication, so that filling megabyte blocks
 * stays cheap, and distinct for neighbouring words, so that data moved by a
 * word or more does not match.  Blocks are 16-byte aligned, so whole words
 * are written and compared with one 8-byte copy each.
 */
static uint64_t pattern_word(uint64_t seed, size_t word_index)
{
    return (seed + word_index) * 0x9e3779b97f4a7c15u;
}

static unsigned char pattern_byte(uint64_t seed, size_t k)
{
    uint64_t word = pattern_word(seed, k / 8);
    unsigned char bytes[8];
    memcpy(bytes, &word, 8);
    return bytes[k % 8];
}

static void pattern_fill(unsigned char *block, size_t from, size_t to, uint64_t seed)
{
    size_t k = from;
    for (; k < to && k % 8 != 0; k++)
        block[k] = pattern_byte(seed, k);
    for (; k + 8 <= to; k += 8) {
        uint64_t word = pattern_word(seed, k / 8);
        memcpy(block + k, &word, 8);
    }
    for (; k < to; k++)
        block[k] = pattern_byte(seed, k);
}

/* Returns the offset of the first byte in [from, to) not matching, or to. */
static size_t pattern_verify(const unsigned char *block, size_t from, size_t to,
                             uint64_t seed)
{
    size_t k = from;
    for (; k < to && k % 8 != 0; k++)
        if (block[k] != pattern_byte(seed, k))
            return k;
    for (; k + 8 <= to; k += 8) {
        uint64_t word = pattern_word(seed, k / 8), found;
        memcpy(&found, block + k, 8);
        if (found != word)
            break;
    }
    for (; k < to; k++)
        if (block[k] != pattern_byte(seed, k))
            return k;
    return to;
}

static void check_range(replay *rp, size_t op_index, uint32_t slot, const char *when,
                        size_t from, size_t to)
{
    const check_slot *c = &rp->checks[slot];
    const unsigned char *block = rp->slots[slot].block;
    size_t bad = pattern_verify(block, from, to, c->seed);
    if (bad < to)
        replay_error(rp, op_index,
                     "check: %s ID %" PRIu32 ": byte %zu of %zu is 0x%02x, expected 0x%02x",
                     when, c->id, bad, rp->slots[slot].size, block[bad],
                     pattern_byte(c->seed, bad));
}

/* The loop of --check: like replay_fast, plus pattern writes and checks. */
static size_t replay_checked(replay *rp)
{
    const hl_trace *t = rp->trace;
    hl_allocator *a = rp->allocator;
    for (size_t i = 0; i < t->op_count; i++) {
        const hl_trace_op op = t->ops[i];
        replay_slot *s = &rp->slots[op.slot];
        check_slot *c = &rp->checks[op.slot];
        void *block;
        size_t old_size = s->size;
        switch (op.kind) {
        case HL_TRACE_ALLOC:
        case HL_TRACE_ZALLOC:
            block = op.kind == HL_TRACE_ALLOC ? hl_mem_malloc(a, op.size)
                                        : hl_mem_calloc(a, 1, op.size);
            if (block == NULL)
                return i;
            s->block = block;
            s->size = op.size;
            c->id = t->origins[i].id;
            c->seed = mix64(((uint64_t)c->id << 32) ^ i);
            if (op.kind == HL_TRACE_ZALLOC) {
                const unsigned char *bytes = block;
                for (size_t k = 0; k < op.size; k++)
                    if (bytes[k] != 0) {
                        replay_error(rp, i, "check: z ID %" PRIu32 ": byte %zu of %zu is "
                                            "0x%02x, expected zero",
                                     c->id, k, op.size, bytes[k]);
                        break;
                    }
            }
            pattern_fill(block, 0, op.size, c->seed);
            break;
        case HL_TRACE_RESIZE:
            /* The part realloc may discard is checked before, the part it
               must keep after: together the whole old block. */
            check_range(rp, i, op.slot, "before r of", op.size < old_size ? op.size : 0,
                        op.size < old_size ? old_size : 0);
            block = hl_mem_realloc(a, s->block, old_size, op.size);
            if (block == NULL)
                return i;
            s->block = block;
            s->size = op.size;
            check_range(rp, i, op.slot, "after r of", 0,
                        op.size < old_size ? op.size : old_size);
            if (op.size > old_size)
                pattern_fill(block, old_size, op.size, c->seed);
            break;
        default:
            check_range(rp, i, op.slot, "f of", 0, old_size);
            hl_mem_free(a, s->block, old_size);
            s->block = NULL;
            break;
        }
    }
    return t->op_count;
}

/* ---- replay: one repetition ----------------------------------------------- */

typedef struct replay_result {
    double ns_per_op;
    size_t peak_live_bytes;
    hl_alloc_impl_stats impl; /* as of the end of the replay */
} replay_result;

/* Frees every block still live (verifying it under --check), then checks the
   dispatch counters are back at zero. */
static void replay_finish(replay *rp)
{
    const hl_trace *t = rp->trace;
    for (uint32_t slot = 0; slot < t->slot_count; slot++) {
        replay_slot *s = &rp->slots[slot];
        if (s->block == NULL)
            continue;
        if (rp->checks)
            check_range(rp, t->op_count, slot, "left at the end:", 0, s->size);
        hl_mem_free(rp->allocator, s->block, s->size);
        s->block = NULL;
    }
    const hl_alloc_counts *c = &rp->allocator->counts;
    if (c->live_bytes != 0 || c->live_blocks != 0)
        replay_error(rp, t->op_count,
                     "counters not back to zero after freeing every block: "
                     "%zu bytes in %zu blocks",
                     c->live_bytes, c->live_blocks);
}

static void validate_allocator(replay *rp, const char *when)
{
    char why[200] = "";
    if (!hl_allocator_validate(rp->allocator, why, sizeof why))
        replay_error(rp, rp->trace->op_count, "allocator invalid %s: %s", when, why);
}

/* Replays t once on a fresh allocator; errors are added to rp->errors. */
static bool replay_once(replay *rp, const char *spec, replay_result *out)
{
    const hl_trace *t = rp->trace;
    char why[200] = "";
    rp->allocator = hl_allocator_open(spec, why, sizeof why);
    if (rp->allocator == NULL) {
        fprintf(stderr, "heaplab trace: %s\n", why);
        return false;
    }
    memset(rp->slots, 0, t->slot_count * sizeof *rp->slots);
    unsigned long long start = hl_now_ns();
    size_t done = rp->checks ? replay_checked(rp)
                             : replay_fast(rp->allocator, t->ops, t->op_count, rp->slots);
    unsigned long long elapsed = hl_now_ns() - start;
    if (done < t->op_count)
        replay_error(rp, done, "allocation of %zu bytes failed; replay stopped",
                     t->ops[done].size);
    out->ns_per_op = done ? (double)elapsed / (double)done : 0.0;
    hl_alloc_stats stats;
    hl_allocator_stats(rp->allocator, &stats);
    out->peak_live_bytes = stats.counts.peak_bytes;
    out->impl = stats.impl;
    rp->errors += stats.impl.errors_detected;
    if (rp->checks)
        validate_allocator(rp, "after the replay");
    replay_finish(rp);
    if (rp->checks)
        validate_allocator(rp, "after freeing every block");
    hl_allocator_close(rp->allocator);
    rp->allocator = NULL;
    return true;
}

/* ---- the verbs ------------------------------------------------------------ */

/* freelist_pool is the CPython-like default; plain malloc if not built in. */
static const char *default_allocator(void)
{
    return hl_allocator_find("freelist_pool", 13) ? "freelist_pool" : "malloc";
}

/* Opens and closes spec once, so a bad name is reported before any loading. */
static bool allocator_usable(const char *verb, const char *spec)
{
    char why[200] = "";
    hl_allocator *a = hl_allocator_open(spec, why, sizeof why);
    if (a == NULL) {
        fprintf(stderr, "heaplab %s: %s\n", verb, why);
        return false;
    }
    hl_allocator_close(a);
    return true;
}

/* Prints one JSON line for a replayed file; returns its error count. */
static uint64_t trace_file(const hl_trace *t, const char *spec, long repeat, bool check)
{
    replay rp = {.trace = t};
    double *ns = malloc((size_t)repeat * sizeof *ns);
    rp.slots = malloc(((size_t)t->slot_count + 1) * sizeof *rp.slots);
    if (check)
        rp.checks = malloc(((size_t)t->slot_count + 1) * sizeof *rp.checks);
    size_t peak_live = 0, peak_mapped = 0;
    bool mapped_known = true;
    bool ok = ns && rp.slots && (rp.checks || !check);
    if (!ok)
        fprintf(stderr, "heaplab trace: %s: out of memory\n", t->path);
    for (long i = 0; ok && i < repeat; i++) {
        replay_result result;
        ok = replay_once(&rp, spec, &result);
        if (!ok)
            break;
        ns[i] = result.ns_per_op;
        if (result.peak_live_bytes > peak_live)
            peak_live = result.peak_live_bytes;
        if (result.impl.peak_mapped_bytes > peak_mapped)
            peak_mapped = result.impl.peak_mapped_bytes;
        mapped_known = mapped_known && result.impl.mapped_known;
    }
    if (ok) {
        double fastest = ns[0];
        for (long i = 1; i < repeat; i++)
            fastest = ns[i] < fastest ? ns[i] : fastest;
        printf("{\"allocator\": ");
        hl_json_string(stdout, spec);
        printf(", \"file\": ");
        hl_json_string(stdout, t->path);
        printf(", \"ops\": %zu, \"repeat\": %ld, \"ns_per_op\": %.2f, "
               "\"ns_per_op_min\": %.2f, \"peak_live_bytes\": %zu, ",
               t->op_count, repeat, hl_median(ns, (size_t)repeat), fastest, peak_live);
        if (mapped_known)
            printf("\"peak_mapped_bytes\": %zu, ", peak_mapped);
        else
            printf("\"peak_mapped_bytes\": null, ");
        /* Process-wide (getrusage), so it includes the loaded trace and every
           earlier file and repetition: compare it only between separate
           processes, one per allocator, in an order the user chooses. */
        printf("\"peak_rss_kib\": %ld, \"errors\": %" PRIu64 ", \"check\": %s}\n",
               hl_peak_rss_kib(), rp.errors, check ? "true" : "false");
        fflush(stdout);
    }
    free(ns);
    free(rp.slots);
    free(rp.checks);
    return ok ? rp.errors : rp.errors + 1;
}

/* The memory cap (cli.h): a trace whose live bytes peak above it fails
   before its first allocation. */
static bool trace_fits(const hl_trace *t, uint64_t cap)
{
    if (t->peak_live_bytes <= cap)
        return true;
    fprintf(stderr, "%s: the trace holds up to %" PRIu64 " bytes live, more than this run "
                    "may use (%" PRIu64 ": half the physical memory or HEAPLAB_MEMORY_CAP)\n",
            t->path, t->peak_live_bytes, cap);
    return false;
}

int hl_verb_trace(int argc, char **argv)
{
    const char *verb = argv[0], *spec = NULL, *value = NULL;
    long repeat = 1;
    bool check = false, bad = false, options_done = false;
    char **files = malloc((size_t)argc * sizeof *files);
    int file_count = 0;
    if (files == NULL) {
        fprintf(stderr, "heaplab %s: out of memory\n", verb);
        return HL_EXIT_USAGE;
    }
    for (int i = 1; i < argc; i++) {
        if (options_done || argv[i][0] != '-' || argv[i][1] == '\0')
            files[file_count++] = argv[i];
        else if (strcmp(argv[i], "--") == 0)
            options_done = true;
        else if (strcmp(argv[i], "--check") == 0)
            check = true;
        else if (hl_option_value(argc, argv, &i, "--alloc", &spec, &bad) && !bad)
            continue;
        else if (hl_option_value(argc, argv, &i, "--repeat", &value, &bad) && !bad) {
            if (!hl_parse_count(value, 1000000, &repeat)) {
                free(files);
                return hl_usage_error(verb, "--repeat wants a count from 1, not '%s'",
                                      value);
            }
        } else {
            free(files);
            return hl_usage_error(verb, bad ? "%s needs a value" : "unknown option '%s'",
                                  argv[i]);
        }
    }
    if (file_count == 0) {
        free(files);
        return hl_usage_error(verb, "no trace FILE given");
    }
    if (spec == NULL)
        spec = default_allocator();
    if (!allocator_usable(verb, spec)) {
        free(files);
        return HL_EXIT_USAGE;
    }
    uint64_t cap;
    if (!hl_memory_cap(&cap)) {
        free(files);
        return hl_usage_error(verb, "HEAPLAB_MEMORY_CAP must be a byte count");
    }
    /* Every file is loaded and checked before anything runs: a malformed
       one prints nothing on stdout at all. */
    hl_trace **traces = calloc((size_t)file_count, sizeof *traces);
    int status = traces ? HL_EXIT_OK : HL_EXIT_FAILED;
    if (traces == NULL)
        fprintf(stderr, "heaplab %s: out of memory\n", verb);
    for (int i = 0; traces && i < file_count; i++) {
        char err[300];
        int rc;
        traces[i] = hl_trace_load(files[i], err, sizeof err, &rc);
        if (traces[i] == NULL) {
            fprintf(stderr, "%s\n", err);
            status = rc > status ? rc : status;
        }
    }
    for (int i = 0; status == HL_EXIT_OK && i < file_count; i++) {
        if (!trace_fits(traces[i], cap))
            status = HL_EXIT_FAILED;
        else if (trace_file(traces[i], spec, repeat, check) > 0)
            status = HL_EXIT_FAILED;
    }
    for (int i = 0; traces && i < file_count; i++)
        hl_trace_free(traces[i]);
    free(traces);
    free(files);
    return status;
}

static void print_counts(const hl_alloc_stats *s)
{
    const hl_alloc_counts *c = &s->counts;
    printf("live bytes          %zu\n", c->live_bytes);
    printf("peak live bytes     %zu\n", c->peak_bytes);
    printf("live blocks         %zu\n", c->live_blocks);
    printf("mallocs             %" PRIu64 "\n", c->mallocs);
    printf("callocs             %" PRIu64 "\n", c->callocs);
    printf("reallocs            %" PRIu64 "\n", c->reallocs);
    printf("frees               %" PRIu64 "\n", c->frees);
    printf("failures            %" PRIu64 "\n", c->failures);
    if (s->impl.mapped_known)
        printf("mapped bytes        %zu\npeak mapped bytes   %zu\n", s->impl.mapped_bytes,
               s->impl.peak_mapped_bytes);
    else
        printf("mapped bytes        n/a\npeak mapped bytes   n/a\n");
}

int hl_verb_stats(int argc, char **argv)
{
    const char *verb = argv[0], *spec = NULL, *path = NULL;
    bool bad = false;
    for (int i = 1; i < argc; i++) {
        if (hl_option_value(argc, argv, &i, "--alloc", &spec, &bad) && !bad)
            continue;
        if (bad)
            return hl_usage_error(verb, "%s needs a value", argv[i]);
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return hl_usage_error(verb, "unknown option '%s'", argv[i]);
        if (path)
            return hl_usage_error(verb, "one trace FILE only");
        path = argv[i];
    }
    if (path == NULL)
        return hl_usage_error(verb, "no trace FILE given");
    if (spec == NULL)
        spec = default_allocator();
    char why[200] = "";
    if (!allocator_usable(verb, spec))
        return HL_EXIT_USAGE;
    uint64_t cap;
    if (!hl_memory_cap(&cap))
        return hl_usage_error(verb, "HEAPLAB_MEMORY_CAP must be a byte count");
    int rc;
    hl_trace *t = hl_trace_load(path, why, sizeof why, &rc);
    if (t == NULL) {
        fprintf(stderr, "%s\n", why);
        return rc;
    }
    if (!trace_fits(t, cap)) {
        hl_trace_free(t);
        return HL_EXIT_FAILED;
    }
    replay rp = {.trace = t};
    rp.slots = calloc((size_t)t->slot_count + 1, sizeof *rp.slots);
    rp.allocator = rp.slots ? hl_allocator_open(spec, why, sizeof why) : NULL;
    if (rp.allocator == NULL) {
        fprintf(stderr, "heaplab stats: %s\n", rp.slots ? why : "out of memory");
        free(rp.slots);
        hl_trace_free(t);
        return HL_EXIT_USAGE;
    }
    size_t done = replay_fast(rp.allocator, t->ops, t->op_count, rp.slots);
    if (done < t->op_count)
        replay_error(&rp, done, "allocation of %zu bytes failed; replay stopped",
                     t->ops[done].size);
    hl_alloc_stats stats;
    hl_allocator_stats(rp.allocator, &stats);
    printf("# %s replayed on %s: %zu of %zu ops, %zu blocks (%zu bytes) live at the end\n",
           path, spec, done, t->op_count, stats.counts.live_blocks, stats.counts.live_bytes);
    if (rp.allocator->ops->print_stats)
        rp.allocator->ops->print_stats(rp.allocator->ctx, stdout);
    else
        print_counts(&stats);
    replay_finish(&rp);
    hl_allocator_stats(rp.allocator, &stats);
    if (stats.impl.mapped_known)
        printf("# after freeing every block: mapped bytes %zu\n", stats.impl.mapped_bytes);
    else
        printf("# after freeing every block: mapped bytes n/a\n");
    hl_allocator_close(rp.allocator);
    free(rp.slots);
    hl_trace_free(t);
    return rp.errors > 0 ? HL_EXIT_FAILED : HL_EXIT_OK;
}
