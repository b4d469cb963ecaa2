/*
 * harness/trace.c — the `trace` and `stats` verbs: replaying recorded
 * allocation traces against one allocator stack.
 *
 * A trace is the malloc/calloc/realloc/free sequence of a real program,
 * recorded by tools/trace_recorder.c and converted by tools/trace_convert.py
 * into the text format `heaplab-trace 1` (plain or gzip):
 *
 *      heaplab-trace 1
 *      # comments (program, interpreter, date) on any later line
 *      a ID SIZE     allocate SIZE bytes; the block is named ID
 *      z ID SIZE     allocate SIZE zeroed bytes (calloc)
 *      r ID SIZE     resize block ID to SIZE bytes; it keeps its ID
 *      f ID          free block ID
 *
 * Fields are separated by single spaces; IDs are below 2^32 and are live
 * from their a or z to their f, reusable afterwards.
 *
 * Two phases, so that the timed loop does nothing but call the allocator:
 *
 *   load    The whole file is parsed and validated into a flat array of
 *           16-byte ops.  Sparse IDs are renamed to dense slot numbers (a
 *           freed ID's slot goes to the next allocation), so the slot table
 *           is as long as the trace's peak count of live blocks and replay
 *           indexes an array instead of hashing.
 *   replay  One fresh allocator per repetition; only the op loop is timed.
 *           Blocks still live at the end are freed outside the timed region,
 *           and then the dispatch counters must be back at zero.
 *
 * Invariants of a loaded trace: every r and f names a slot whose block is
 * live at that point, every a and z names a slot whose block is not, and no
 * size exceeds HL_ALLOC_MAX_REQUEST.  Replay therefore checks nothing but
 * the allocator's answers.
 */
#include "allocator.h"
#include "cli.h"
#include "registry.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum op_kind { OP_ALLOC, OP_ZALLOC, OP_RESIZE, OP_FREE };

/* One replayed call, read once and in order by the timed loop. */
typedef struct trace_op {
    size_t size;   /* requested bytes; 0 for OP_FREE */
    uint32_t slot; /* dense index into the slot table */
    uint32_t kind; /* enum op_kind */
} trace_op;

/* Where an op came from: read only by --check and by error reports, so it
   is kept out of the op array the timed loop streams through. */
typedef struct trace_origin {
    uint32_t id;   /* the block's ID in the file */
    uint32_t line; /* line number in the file */
} trace_origin;

typedef struct trace {
    const char *path;
    trace_op *ops;
    trace_origin *origins; /* parallel to ops */
    size_t op_count;
    size_t op_capacity;
    uint32_t slot_count; /* peak number of blocks live at once */
} trace;

static void trace_free(trace *t)
{
    free(t->ops);
    free(t->origins);
    *t = (trace){0};
}

/* ---- load: the ID map ------------------------------------------------------
 *
 * Live IDs and their slots, used at load time only.  Open addressing with
 * linear probing; deletion shifts later entries back, so there are no
 * tombstones and `count` is the true load.  The table is kept at most half
 * full.  A key of ID_EMPTY marks a free entry (IDs are below 2^32).
 */

#define ID_EMPTY UINT64_MAX

typedef struct id_entry {
    uint64_t id;
    uint32_t slot;
    uint32_t line; /* where the block was allocated, for error messages */
} id_entry;

typedef struct id_map {
    id_entry *entries;
    size_t mask;          /* capacity - 1, capacity a power of two */
    size_t count;         /* live IDs */
    uint32_t *free_slots; /* slots of freed IDs, reused last-in first-out */
    size_t free_count;
    size_t free_capacity;
} id_map;

static size_t id_home(const id_map *m, uint64_t id)
{
    return (size_t)((id * 0x9e3779b97f4a7c15u) >> 20) & m->mask;
}

/* Returns the entry holding id, or the empty entry where it would go. */
static id_entry *id_lookup(const id_map *m, uint64_t id)
{
    size_t i = id_home(m, id);
    while (m->entries[i].id != id && m->entries[i].id != ID_EMPTY)
        i = (i + 1) & m->mask;
    return &m->entries[i];
}

static bool id_map_resize(id_map *m, size_t capacity)
{
    id_entry *old = m->entries;
    size_t old_capacity = old ? m->mask + 1 : 0;
    m->entries = malloc(capacity * sizeof *m->entries);
    if (m->entries == NULL) {
        m->entries = old;
        return false;
    }
    for (size_t i = 0; i < capacity; i++)
        m->entries[i].id = ID_EMPTY;
    m->mask = capacity - 1;
    for (size_t i = 0; i < old_capacity; i++)
        if (old[i].id != ID_EMPTY)
            *id_lookup(m, old[i].id) = old[i];
    free(old);
    return true;
}

static void id_remove(id_map *m, id_entry *e)
{
    size_t hole = (size_t)(e - m->entries);
    size_t i = hole;
    for (;;) {
        i = (i + 1) & m->mask;
        if (m->entries[i].id == ID_EMPTY)
            break;
        size_t home = id_home(m, m->entries[i].id);
        /* Move entry i into the hole unless its home lies cyclically in
           (hole, i], where the probe from home would no longer reach it. */
        if (((i - home) & m->mask) >= ((i - hole) & m->mask)) {
            m->entries[hole] = m->entries[i];
            hole = i;
        }
    }
    m->entries[hole].id = ID_EMPTY;
    m->count--;
}

static void id_map_free(id_map *m)
{
    free(m->entries);
    free(m->free_slots);
}

/* ---- load: parsing -------------------------------------------------------- */

#define MAX_FIELDS 4

/* Parses a whole field as an unsigned decimal number; values above UINT64_MAX
   saturate, which every caller rejects as too big. */
static bool parse_decimal(const char *field, uint64_t *out)
{
    if (*field == '\0')
        return false;
    uint64_t v = 0;
    for (const char *c = field; *c; c++) {
        if (*c < '0' || *c > '9')
            return false;
        unsigned digit = (unsigned)(*c - '0');
        v = v > (UINT64_MAX - digit) / 10 ? UINT64_MAX : v * 10 + digit;
    }
    *out = v;
    return true;
}

/* The line reader cannot tell whether the last line ended in a newline, so a
   plain file's last byte is read directly.  A gzip file cut short is zlib's
   to detect, through the reader. */
static bool lacks_final_newline(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return false;
    unsigned char magic[2] = {0, 0}, last = '\n';
    off_t end = lseek(fd, 0, SEEK_END);
    bool plain = end > 0 && pread(fd, magic, 2, 0) > 0 &&
                 !(magic[0] == 0x1f && magic[1] == 0x8b);
    if (plain && pread(fd, &last, 1, end - 1) != 1)
        last = '\n';
    close(fd);
    return last != '\n';
}

static bool push_op(trace *t, trace_op op, trace_origin origin)
{
    if (t->op_count == t->op_capacity) {
        size_t capacity = t->op_capacity ? 2 * t->op_capacity : 4096;
        trace_op *ops = realloc(t->ops, capacity * sizeof *ops);
        if (ops)
            t->ops = ops;
        trace_origin *origins = realloc(t->origins, capacity * sizeof *origins);
        if (origins)
            t->origins = origins;
        if (ops == NULL || origins == NULL)
            return false;
        t->op_capacity = capacity;
    }
    t->ops[t->op_count] = op;
    t->origins[t->op_count] = origin;
    t->op_count++;
    return true;
}

/* Validates one op line against the live IDs and appends it.  Writes the
   reason to why and returns false when the line is malformed. */
static bool load_line(trace *t, id_map *m, char *text, uint32_t line, char *why,
                      size_t why_size)
{
    char *field[MAX_FIELDS];
    int n = 0;
    for (char *c = text;; c++) {
        if (n == MAX_FIELDS) {
            snprintf(why, why_size, "unexpected text after the last field");
            return false;
        }
        field[n++] = c;
        c = strchr(c, ' ');
        if (c == NULL)
            break;
        *c = '\0';
    }
    for (int i = 0; i < n; i++)
        if (*field[i] == '\0') {
            snprintf(why, why_size, "%s",
                     n == 1       ? "empty line"
                     : i == n - 1 ? "trailing space"
                                  : "fields must be separated by single spaces");
            return false;
        }
    const char *letters = "azrf";
    const char *letter = strchr(letters, field[0][0]);
    if (field[0][1] != '\0' || letter == NULL) {
        snprintf(why, why_size, "unknown op '%.20s' (expected a, z, r or f)", field[0]);
        return false;
    }
    trace_op op = {.kind = (uint32_t)(letter - letters)};
    int wanted = op.kind == OP_FREE ? 2 : 3;
    if (n < wanted) {
        snprintf(why, why_size, "truncated line: '%c' needs %s", *letter,
                 wanted == 2 ? "an ID" : "an ID and a SIZE");
        return false;
    }
    if (n > wanted) {
        snprintf(why, why_size, "unexpected field '%.20s' after the %s", field[wanted],
                 wanted == 2 ? "ID" : "SIZE");
        return false;
    }
    uint64_t id, size = 0;
    if (!parse_decimal(field[1], &id)) {
        snprintf(why, why_size, "ID '%.20s' is not a decimal number", field[1]);
        return false;
    }
    if (id > UINT32_MAX) {
        snprintf(why, why_size, "ID %s is not below 2^32", field[1]);
        return false;
    }
    if (wanted == 3 && !parse_decimal(field[2], &size)) {
        snprintf(why, why_size, "SIZE '%.20s' is not a decimal number", field[2]);
        return false;
    }
    if (size > HL_ALLOC_MAX_REQUEST) {
        snprintf(why, why_size, "SIZE %s exceeds the largest request, %zu bytes",
                 field[2], HL_ALLOC_MAX_REQUEST);
        return false;
    }
    op.size = (size_t)size;

    id_entry *e = id_lookup(m, id);
    bool live = e->id == id;
    if ((op.kind == OP_ALLOC || op.kind == OP_ZALLOC) && live) {
        snprintf(why, why_size, "'%c' of ID %" PRIu64 ", which is live since line %" PRIu32,
                 *letter, id, e->line);
        return false;
    }
    if ((op.kind == OP_RESIZE || op.kind == OP_FREE) && !live) {
        snprintf(why, why_size, "'%c' of ID %" PRIu64 ", which is not live", *letter, id);
        return false;
    }
    if (live) {
        op.slot = e->slot;
        if (op.kind == OP_FREE) {
            if (m->free_count == m->free_capacity) {
                size_t capacity = m->free_capacity ? 2 * m->free_capacity : 1024;
                uint32_t *slots = realloc(m->free_slots, capacity * sizeof *slots);
                if (slots == NULL)
                    goto out_of_memory;
                m->free_slots = slots;
                m->free_capacity = capacity;
            }
            m->free_slots[m->free_count++] = e->slot;
            id_remove(m, e);
        }
    } else {
        if (m->free_count > 0) {
            op.slot = m->free_slots[--m->free_count];
        } else if (t->slot_count < UINT32_MAX) {
            op.slot = t->slot_count++;
        } else {
            snprintf(why, why_size, "more than 2^32 - 1 blocks live at once");
            return false;
        }
        if (2 * (m->count + 1) > m->mask + 1) {
            if (!id_map_resize(m, 2 * (m->mask + 1)))
                goto out_of_memory;
            e = id_lookup(m, id);
        }
        *e = (id_entry){.id = id, .slot = op.slot, .line = line};
        m->count++;
    }
    if (push_op(t, op, (trace_origin){.id = (uint32_t)id, .line = line}))
        return true;
out_of_memory:
    snprintf(why, why_size, "out of memory loading the trace");
    return false;
}

/* Loads and validates the whole of path into t; on failure prints
   "FILE:LINE: reason" to stderr and returns false. */
static bool trace_load(const char *path, trace *t)
{
    *t = (trace){.path = path};
    char why[200] = "";
    size_t line = 0;
    id_map m = {0};
    hl_line_reader *r = hl_line_reader_open(path, why, sizeof why);
    if (r == NULL) {
        fprintf(stderr, "%s\n", why);
        return false;
    }
    if (!id_map_resize(&m, 1024)) {
        snprintf(why, sizeof why, "out of memory loading the trace");
        goto fail;
    }
    char *text = hl_line_reader_next(r, &line);
    if (text == NULL && hl_line_reader_error(r) == NULL) {
        snprintf(why, sizeof why, "empty file, expected 'heaplab-trace 1'");
        goto fail;
    }
    if (text && strcmp(text, "heaplab-trace 1") != 0) {
        if (strncmp(text, "heaplab-trace ", 14) == 0)
            snprintf(why, sizeof why, "trace format version '%.20s' (this build reads 1)",
                     text + 14);
        else
            snprintf(why, sizeof why, "not a heaplab trace: the first line must be "
                                      "'heaplab-trace 1'");
        goto fail;
    }
    while (text && (text = hl_line_reader_next(r, &line)) != NULL) {
        if (text[0] == '#')
            continue;
        if (line > UINT32_MAX) {
            snprintf(why, sizeof why, "more than 2^32 - 1 lines");
            goto fail;
        }
        if (!load_line(t, &m, text, (uint32_t)line, why, sizeof why))
            goto fail;
    }
    if (hl_line_reader_error(r)) {
        snprintf(why, sizeof why, "%s", hl_line_reader_error(r));
        goto fail;
    }
    if (lacks_final_newline(path)) {
        line--; /* the reader has counted the end of file as a line */
        snprintf(why, sizeof why, "truncated line: no newline at the end of the file");
        goto fail;
    }
    hl_line_reader_close(r);
    id_map_free(&m);
    return true;
fail:
    fprintf(stderr, "%s:%zu: %s\n", path, line, why);
    hl_line_reader_close(r);
    id_map_free(&m);
    trace_free(t);
    return false;
}

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
    const trace *trace;
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
static size_t replay_fast(hl_allocator *a, const trace_op *ops, size_t count,
                          replay_slot *slots)
{
    for (size_t i = 0; i < count; i++) {
        const trace_op op = ops[i];
        replay_slot *s = &slots[op.slot];
        void *block;
        switch (op.kind) {
        case OP_ALLOC:
            block = hl_mem_malloc(a, op.size);
            break;
        case OP_ZALLOC:
            block = hl_mem_calloc(a, 1, op.size);
            break;
        case OP_RESIZE:
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
    const trace *t = rp->trace;
    hl_allocator *a = rp->allocator;
    for (size_t i = 0; i < t->op_count; i++) {
        const trace_op op = t->ops[i];
        replay_slot *s = &rp->slots[op.slot];
        check_slot *c = &rp->checks[op.slot];
        void *block;
        size_t old_size = s->size;
        switch (op.kind) {
        case OP_ALLOC:
        case OP_ZALLOC:
            block = op.kind == OP_ALLOC ? hl_mem_malloc(a, op.size)
                                        : hl_mem_calloc(a, 1, op.size);
            if (block == NULL)
                return i;
            s->block = block;
            s->size = op.size;
            c->id = t->origins[i].id;
            c->seed = mix64(((uint64_t)c->id << 32) ^ i);
            if (op.kind == OP_ZALLOC) {
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
        case OP_RESIZE:
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
    const trace *t = rp->trace;
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
    const trace *t = rp->trace;
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
static uint64_t trace_file(const trace *t, const char *spec, long repeat, bool check)
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
        if (options_done || strncmp(argv[i], "--", 2) != 0)
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
    /* A malformed file is reported and skipped; the others still run. */
    bool malformed = false, failed = false;
    for (int i = 0; i < file_count; i++) {
        trace t;
        if (!trace_load(files[i], &t)) {
            malformed = true;
            continue;
        }
        failed = trace_file(&t, spec, repeat, check) > 0 || failed;
        trace_free(&t);
    }
    free(files);
    return malformed ? HL_EXIT_USAGE : failed ? HL_EXIT_FAILED : HL_EXIT_OK;
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
        if (strncmp(argv[i], "--", 2) == 0)
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
    trace t;
    replay rp = {.trace = &t};
    if (!allocator_usable(verb, spec) || !trace_load(path, &t))
        return HL_EXIT_USAGE;
    rp.slots = calloc((size_t)t.slot_count + 1, sizeof *rp.slots);
    rp.allocator = rp.slots ? hl_allocator_open(spec, why, sizeof why) : NULL;
    if (rp.allocator == NULL) {
        fprintf(stderr, "heaplab stats: %s\n", rp.slots ? why : "out of memory");
        free(rp.slots);
        trace_free(&t);
        return HL_EXIT_USAGE;
    }
    size_t done = replay_fast(rp.allocator, t.ops, t.op_count, rp.slots);
    if (done < t.op_count)
        replay_error(&rp, done, "allocation of %zu bytes failed; replay stopped",
                     t.ops[done].size);
    hl_alloc_stats stats;
    hl_allocator_stats(rp.allocator, &stats);
    printf("# %s replayed on %s: %zu of %zu ops, %zu blocks (%zu bytes) live at the end\n",
           path, spec, done, t.op_count, stats.counts.live_blocks, stats.counts.live_bytes);
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
    trace_free(&t);
    return rp.errors > 0 ? HL_EXIT_FAILED : HL_EXIT_OK;
}
