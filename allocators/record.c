/*
 * allocators/record.c — `record=FILE`: a wrapper that passes every call to
 * its inner allocator and writes the call sequence as an allocation trace
 * (`heaplab-trace 1`, see harness/trace.h), so that whatever runs on it — a
 * trace replay, the object model, CPython under `heaplab python` — can be
 * replayed later with `heaplab trace`.
 *
 * Under CPython it sees exactly the object domain's requests, with no
 * LD_PRELOAD and no PYTHONMALLOC=malloc in between.
 *
 * Blocks are named by ID, not address.  A table maps each live block's
 * address to its ID; a freed ID is reused by the next allocation (most
 * recently freed first), so IDs stay as few as the peak number of live
 * blocks and the replay's slot table stays small.  Lines are formatted
 * into a buffer of our own and handed to zlib in large pieces: gzip when
 * FILE ends in ".gz", plain text otherwise.  FILE must not contain ':',
 * which separates the layers of a spec.
 *
 * A process that ends without destroying the allocator (CPython never
 * frees everything) still gets a complete file: an atexit handler flushes
 * every recorder the process opened.  A forked child shares the file with
 * its parent, so only the process that created the recorder writes; in a
 * child the wrapper only forwards.
 *
 * Invariants (checked by validate):
 *   - the table holds exactly the live blocks: its count equals the number
 *     of IDs handed out minus the IDs on the free stack;
 *   - every table entry's ID is below next_id and not on the free stack.
 */
#include "registry.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define BUFFER_BYTES (256u * 1024)
#define LINE_MAX_BYTES 48 /* "r 4294967295 18446744073709551615\n" fits */

/* One slot of the open-addressing table: address -> ID.  block NULL is
   empty; deletion shifts later entries back, so there are no tombstones. */
typedef struct record_entry {
    void *block;
    uint32_t id;
} record_entry;

typedef struct record_context {
    hl_allocator *inner;          /* first, as in every wrapper; owned */
    gzFile out;                   /* NULL once closed or after a write error */
    pid_t owner;                  /* the process that writes */
    record_entry *table;          /* capacity entries, a power of two */
    size_t capacity, count;       /* slots, live blocks */
    uint32_t *free_ids;           /* stack of IDs whose block was freed */
    size_t free_count, free_capacity;
    uint32_t next_id;             /* IDs below it have been handed out */
    uint64_t lost;                /* calls not recorded (table or ID exhaustion) */
    struct record_context *next;  /* the process's open recorders */
    size_t used;                  /* bytes in buffer */
    char buffer[BUFFER_BYTES];
} record_context;

_Static_assert(offsetof(record_context, inner) == 0, "a wrapper's context starts with inner");

static record_context *open_recorders;

/* ---- output --------------------------------------------------------------- */

static void flush(record_context *c)
{
    if (c->out != NULL && c->used > 0 &&
        gzwrite(c->out, c->buffer, (unsigned)c->used) != (int)c->used) {
        fprintf(stderr, "record: write error; the trace is incomplete\n");
        gzclose(c->out);
        c->out = NULL;
    }
    c->used = 0;
}

static char *put_number(char *p, uint64_t v)
{
    char digits[24];
    int n = 0;
    do
        digits[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n > 0)
        *p++ = digits[--n];
    return p;
}

/* Writes "op id[ size]\n". */
static void emit(record_context *c, char op, uint32_t id, size_t size, bool with_size)
{
    if (hl_unlikely(c->used + LINE_MAX_BYTES > BUFFER_BYTES))
        flush(c);
    char *p = c->buffer + c->used;
    *p++ = op;
    *p++ = ' ';
    p = put_number(p, id);
    if (with_size) {
        *p++ = ' ';
        p = put_number(p, size);
    }
    *p++ = '\n';
    c->used = (size_t)(p - c->buffer);
}

static void close_output(record_context *c)
{
    if (c->out == NULL)
        return;
    if (c->owner == getpid()) {
        if (c->lost > 0) {
            fprintf(stderr, "record: %llu calls could not be recorded\n",
                    (unsigned long long)c->lost);
        }
        flush(c);
        if (c->out != NULL)
            gzclose(c->out);
    }
    c->out = NULL;
}

static void close_all_at_exit(void)
{
    for (record_context *c = open_recorders; c != NULL; c = c->next)
        close_output(c);
}

/* ---- the address table ------------------------------------------------------ */

static size_t slot_of(const record_context *c, const void *block)
{
    uint64_t h = (uint64_t)(uintptr_t)block * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> 20) & (c->capacity - 1);
}

static bool grow_table(record_context *c)
{
    size_t old_capacity = c->capacity;
    record_entry *old = c->table;
    record_entry *table = calloc(old_capacity * 2, sizeof *table);
    if (table == NULL)
        return false;
    c->table = table;
    c->capacity = old_capacity * 2;
    for (size_t i = 0; i < old_capacity; i++) {
        if (old[i].block == NULL)
            continue;
        size_t s = slot_of(c, old[i].block);
        while (table[s].block != NULL)
            s = (s + 1) & (c->capacity - 1);
        table[s] = old[i];
    }
    free(old);
    return true;
}

/* Names a new block; false (nothing changed) when out of memory or IDs. */
static bool add_block(record_context *c, void *block, uint32_t *id)
{
    if (hl_unlikely(2 * (c->count + 1) > c->capacity) && !grow_table(c))
        return false;
    if (c->free_count > 0) {
        *id = c->free_ids[--c->free_count];
    } else {
        if (c->next_id == UINT32_MAX)
            return false;
        *id = c->next_id++;
    }
    size_t s = slot_of(c, block);
    while (c->table[s].block != NULL)
        s = (s + 1) & (c->capacity - 1);
    c->table[s] = (record_entry){block, *id};
    c->count++;
    return true;
}

static size_t find_slot(const record_context *c, const void *block)
{
    size_t s = slot_of(c, block);
    while (c->table[s].block != NULL && c->table[s].block != block)
        s = (s + 1) & (c->capacity - 1);
    return s;
}

/* Removes the entry at slot s, shifting back the entries after it. */
static void remove_slot(record_context *c, size_t s)
{
    size_t mask = c->capacity - 1;
    c->table[s].block = NULL;
    c->count--;
    for (size_t j = (s + 1) & mask; c->table[j].block != NULL; j = (j + 1) & mask) {
        size_t home = slot_of(c, c->table[j].block);
        /* The entry at j may move to s when s lies on its probe path. */
        if (((j - home) & mask) >= ((j - s) & mask)) {
            c->table[s] = c->table[j];
            c->table[j].block = NULL;
            s = j;
        }
    }
}

static void release_id(record_context *c, uint32_t id)
{
    if (c->free_count == c->free_capacity) {
        size_t n = c->free_capacity ? 2 * c->free_capacity : 4096;
        uint32_t *ids = realloc(c->free_ids, n * sizeof *ids);
        if (ids == NULL) {
            c->lost++; /* the ID is simply never reused */
            return;
        }
        c->free_ids = ids;
        c->free_capacity = n;
    }
    c->free_ids[c->free_count++] = id;
}

/* ---- the wrapper ----------------------------------------------------------- */

static bool recording(const record_context *c)
{
    return c->out != NULL && c->owner == getpid();
}

static void note_alloc(record_context *c, void *block, char op, size_t size)
{
    uint32_t id;
    if (block == NULL || !recording(c))
        return;
    if (add_block(c, block, &id))
        emit(c, op, id, size, true);
    else
        c->lost++;
}

static void *record_malloc(void *ctx, size_t size)
{
    record_context *c = ctx;
    void *p = c->inner->ops->malloc(c->inner->ctx, size);
    note_alloc(c, p, 'a', size);
    return p;
}

static void *record_calloc(void *ctx, size_t nelem, size_t elsize)
{
    record_context *c = ctx;
    void *p = c->inner->ops->calloc(c->inner->ctx, nelem, elsize);
    note_alloc(c, p, 'z', nelem * elsize); /* the dispatch layer checked the product */
    return p;
}

static void *record_realloc(void *ctx, void *block, size_t size)
{
    record_context *c = ctx;
    void *p = c->inner->ops->realloc(c->inner->ctx, block, size);
    if (p == NULL || !recording(c))
        return p;
    size_t s = find_slot(c, block);
    if (c->table[s].block == NULL) { /* not seen: made before recording began */
        c->lost++;
        return p;
    }
    uint32_t id = c->table[s].id;
    if (p != block) {
        remove_slot(c, s);
        s = find_slot(c, p);
        c->table[s] = (record_entry){p, id};
        c->count++;
    }
    emit(c, 'r', id, size, true);
    return p;
}

static void record_free(void *ctx, void *block)
{
    record_context *c = ctx;
    if (recording(c)) {
        size_t s = find_slot(c, block);
        if (c->table[s].block != NULL) {
            uint32_t id = c->table[s].id;
            remove_slot(c, s);
            emit(c, 'f', id, 0, false);
            release_id(c, id);
        } else {
            c->lost++;
        }
    }
    c->inner->ops->free(c->inner->ctx, block);
}

static void *record_create(hl_alloc_config *config)
{
    /* Plain `record:ALLOCATOR` (as the conformance matrix names every
       wrapper) formats and discards: the wrapper's whole cost, no file. */
    const char *path = config->arg ? config->arg : "/dev/null";
    if (path[0] == '\0') {
        snprintf(config->error, config->error_size,
                 "record needs a file: record=FILE:ALLOCATOR");
        return NULL;
    }
    record_context *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    size_t len = strlen(path);
    bool gz = len > 3 && strcmp(path + len - 3, ".gz") == 0;
    c->capacity = 1u << 16;
    c->table = calloc(c->capacity, sizeof *c->table);
    c->out = c->table ? gzopen(path, gz ? "wb1" : "wT") : NULL;
    if (c->out == NULL) {
        snprintf(config->error, config->error_size, "cannot write '%s'", path);
        free(c->table);
        free(c);
        return NULL;
    }
    gzbuffer(c->out, 1u << 20);
    c->inner = config->inner;
    c->owner = getpid();
    static const char header[] = "heaplab-trace 1\n# recorded by the record= wrapper\n";
    memcpy(c->buffer, header, sizeof header - 1);
    c->used = sizeof header - 1;
    static bool registered;
    if (!registered)
        registered = atexit(close_all_at_exit) == 0;
    c->next = open_recorders;
    open_recorders = c;
    return c;
}

static void record_destroy(void *ctx)
{
    record_context *c = ctx;
    close_output(c);
    for (record_context **p = &open_recorders; *p != NULL; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    hl_allocator_close(c->inner);
    free(c->table);
    free(c->free_ids);
    free(c);
}

static void record_impl_stats(void *ctx, hl_alloc_impl_stats *out)
{
    record_context *c = ctx;
    c->inner->ops->impl_stats(c->inner->ctx, out);
}

static bool record_validate(void *ctx, char *why, size_t why_size)
{
    record_context *c = ctx;
    if (c->count != (size_t)c->next_id - c->free_count) {
        snprintf(why, why_size, "record: %zu blocks in the table, %zu IDs in use", c->count,
                 (size_t)c->next_id - c->free_count);
        return false;
    }
    for (size_t i = 0; i < c->capacity; i++)
        if (c->table[i].block != NULL && c->table[i].id >= c->next_id) {
            snprintf(why, why_size, "record: ID %u never handed out", c->table[i].id);
            return false;
        }
    const hl_allocator_ops *inner = c->inner->ops;
    return inner->validate ? inner->validate(c->inner->ctx, why, why_size) : true;
}

static size_t record_usable_size(void *ctx, void *block)
{
    record_context *c = ctx;
    return hl_mem_usable_size(c->inner, block);
}

static bool record_visit_blocks(void *ctx, hl_block_visitor fn, void *arg)
{
    record_context *c = ctx;
    return hl_allocator_visit_blocks(c->inner, fn, arg);
}

static void record_print_stats(void *ctx, void *out)
{
    record_context *c = ctx;
    fprintf(out, "record: %zu blocks live, %u IDs, %llu calls not recorded\n", c->count,
            c->next_id, (unsigned long long)c->lost);
    if (c->inner->ops->print_stats)
        c->inner->ops->print_stats(c->inner->ctx, out);
}

static const hl_allocator_ops record_ops = {
    .name = "record",
    .description = "writes every call as a heaplab-trace 1 file (record=FILE:ALLOCATOR)",
    .is_wrapper = true,
    .create = record_create,
    .destroy = record_destroy,
    .malloc = record_malloc,
    .calloc = record_calloc,
    .realloc = record_realloc,
    .free = record_free,
    .impl_stats = record_impl_stats,
    .validate = record_validate,
    .print_stats = record_print_stats,
    .usable_size = record_usable_size,
    .visit_blocks = record_visit_blocks,
};

const hl_allocator_ops *hl_allocator_record(void)
{
    return &record_ops;
}
