/*
 * allocators/debug.c — `debug`: CPython's debug memory hooks
 * (Objects/obmalloc.c, _PyMem_DebugRawAlloc and friends, 3.11 layout) as a
 * wrapper over any allocator, plus a table of every block it handed out and
 * a quarantine of freed blocks.
 *
 * The block layout, the constants and the state are in debug.h; checking
 * guards and fills and printing the reports is debug_report.c.
 *
 * Unlike CPython, which trusts the header of any pointer it is given, the
 * wrapper keeps every block it handed out, with its size, in a hash table
 * (base/hash_map.h, keyed by p).  A pointer missing from it
 * is reported as foreign without a byte of it being read, and a damaged
 * size field shows against the recorded size.
 *
 * A freed block is filled with 0xDD (DEADBYTE), guards included, and held
 * in a quarantine, a FIFO of at most `quarantine_capacity` blocks and
 * QUARANTINE_BYTES bytes.  A second free while it is there is a double
 * free; a byte no longer 0xDD when it leaves (evicted, or at destroy) is a
 * write after free.  Only then does the inner allocator get it back.
 *
 * Every detection prints one report on stderr in the form of CPython's
 * _PyObject_DebugDumpAddress (address, size, which bytes, expected and
 * found), adds one to errors_detected, and carries on without doing harm:
 * a double or foreign free is ignored, a realloc of such a pointer fails,
 * damaged guards or fills are reported once and then rewritten.  Options,
 * comma-separated: "abort" ends each report in abort(), as CPython does;
 * "quarantine=N" holds N freed blocks (0: none).
 *
 * Invariants, checked by validate():
 *   - every table entry that is live has intact guards, a size field equal
 *     to its recorded size and a known id;
 *   - every freed entry is in the quarantine, and every byte of its inner
 *     block is 0xDD;
 *   - the table holds live + quarantine_length blocks, and
 *     quarantine_bytes is the sum of the inner sizes of the quarantined
 *     blocks.
 *
 * The wrapper's own table and quarantine come from the C library, never
 * from the inner allocator, whose figures they would otherwise distort.
 */
#include "debug.h"
#include "parse.h"
#include "registry.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(offsetof(hl_debug_context, inner) == 0, "a wrapper's context starts with inner");

/* ---- the table of blocks -------------------------------------------- */

static hl_debug_block *table_find(const hl_debug_context *c, const void *data)
{
    return hl_hash_map_find(&c->table, hl_debug_key(data), sizeof(hl_debug_block));
}

/* Needs room: hl_hash_map_reserve, before the inner allocation, so that a
   block is never handed out without its entry. */
static void table_insert(hl_debug_context *c, unsigned char *data, size_t size)
{
    uint64_t key = hl_debug_key(data);
    hl_debug_block *b = hl_hash_map_insert(
        &c->table, hl_hash_map_slot(&c->table, key, sizeof(hl_debug_block)), key);
    b->size = size;
    b->freed = false;
    c->live++;
}

static void table_remove(hl_debug_context *c, hl_debug_block *block)
{
    hl_hash_map_remove(&c->table, block, sizeof *block);
}

/* ---- the quarantine ------------------------------------------------- */

/* Hands the oldest quarantined block back to the inner allocator. */
static void quarantine_release_oldest(hl_debug_context *c, const char *operation)
{
    unsigned char *data = c->quarantine[c->quarantine_first];
    c->quarantine_first = (c->quarantine_first + 1) % c->quarantine_capacity;
    c->quarantine_length--;
    hl_debug_block *b = table_find(c, data);
    hl_debug_check_freed(c, b, operation);
    c->quarantine_bytes -= hl_debug_inner_size(b->size);
    c->inner->ops->free(c->inner->ctx, data - HEAD_SIZE);
    table_remove(c, b);
}

/* Takes a block just freed; `b` is stale afterwards, as releasing another
   block moves table entries. */
static void quarantine_add(hl_debug_context *c, hl_debug_block *b)
{
    if (c->quarantine_capacity == 0) {
        c->inner->ops->free(c->inner->ctx, hl_debug_data(b) - HEAD_SIZE);
        table_remove(c, b);
        return;
    }
    unsigned char *data = hl_debug_data(b);
    size_t bytes = hl_debug_inner_size(b->size);
    if (c->quarantine_length == c->quarantine_capacity)
        quarantine_release_oldest(c, "free");
    size_t slot = (c->quarantine_first + c->quarantine_length) % c->quarantine_capacity;
    c->quarantine[slot] = data;
    c->quarantine_length++;
    c->quarantine_bytes += bytes;
    while (c->quarantine_bytes > QUARANTINE_BYTES && c->quarantine_length > 0)
        quarantine_release_oldest(c, "free");
}

/* ---- the allocator -------------------------------------------------- */

static bool parse_options(hl_debug_context *c, const char *arg, char *error, size_t error_size)
{
    c->quarantine_capacity = QUARANTINE_DEFAULT_BLOCKS;
    for (const char *option = arg; option != NULL;) {
        size_t len = strcspn(option, ",");
        bool ok = len == 5 && strncmp(option, "abort", 5) == 0;
        if (ok) {
            c->abort_on_error = true;
        } else if (len > 11 && strncmp(option, "quarantine=", 11) == 0) {
            uint64_t n;
            ok = hl_parse_u64_span(option + 11, len - 11, 0, QUARANTINE_MAX_BLOCKS, &n);
            c->quarantine_capacity = ok ? (size_t)n : 0;
        }
        if (!ok) {
            snprintf(error, error_size,
                     "debug: bad option '%.*s' (expected abort or quarantine=N, N <= %d)", (int)len,
                     option, QUARANTINE_MAX_BLOCKS);
            return false;
        }
        option = option[len] == ',' ? option + len + 1 : NULL;
    }
    return true;
}

static void *debug_create(hl_alloc_config *config)
{
    hl_debug_context *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    if (!parse_options(c, config->arg, config->error, config->error_size)) {
        free(c);
        return NULL;
    }
    bool table = hl_hash_map_init(&c->table, sizeof(hl_debug_block), TABLE_INITIAL_CAPACITY);
    c->quarantine = calloc(c->quarantine_capacity + 1, sizeof *c->quarantine);
    if (!table || c->quarantine == NULL) {
        hl_hash_map_free(&c->table);
        free(c->quarantine);
        free(c);
        return NULL;
    }
    c->inner = config->inner;
    return c;
}

static void debug_destroy(void *ctx)
{
    hl_debug_context *c = ctx;
    while (c->quarantine_length > 0)
        quarantine_release_oldest(c, "destroy");
    for (size_t i = 0; i < hl_hash_map_capacity(&c->table); i++) {
        hl_debug_block *b = hl_hash_map_at(&c->table, i);
        if (b->key == 0)
            continue;
        hl_debug_check_live(c, b, "destroy");
        c->inner->ops->free(c->inner->ctx, hl_debug_data(b) - HEAD_SIZE);
    }
    hl_allocator_close(c->inner);
    hl_hash_map_free(&c->table);
    free(c->quarantine);
    free(c);
}

static void *finish_alloc(hl_debug_context *c, unsigned char *inner, size_t size, char id)
{
    unsigned char *data = inner + HEAD_SIZE;
    hl_debug_write_guards(data, size, id);
    table_insert(c, data, size);
    return data;
}

static void *debug_malloc(void *ctx, size_t size)
{
    hl_debug_context *c = ctx;
    if (!hl_hash_map_reserve(&c->table))
        return NULL;
    unsigned char *inner = c->inner->ops->malloc(c->inner->ctx, hl_debug_inner_size(size));
    if (inner == NULL)
        return NULL;
    memset(inner + HEAD_SIZE, CLEAN_BYTE, size);
    return finish_alloc(c, inner, size, 'm');
}

static void *debug_calloc(void *ctx, size_t nelem, size_t elsize)
{
    hl_debug_context *c = ctx;
    if (!hl_hash_map_reserve(&c->table))
        return NULL;
    size_t size = nelem * elsize; /* the dispatch layer checked overflow */
    unsigned char *inner = c->inner->ops->calloc(c->inner->ctx, 1, hl_debug_inner_size(size));
    if (inner == NULL)
        return NULL;
    return finish_alloc(c, inner, size, 'c');
}

/*
 * The inner realloc does the work, so the inner allocator's own realloc is
 * what a debug stack exercises.  When it moves the block it frees the old
 * one itself: that block never enters the quarantine, and a stale pointer
 * to it is reported as foreign rather than as freed.
 */
static void *debug_realloc(void *ctx, void *block, size_t size)
{
    hl_debug_context *c = ctx;
    if (!hl_hash_map_reserve(&c->table))
        return NULL;
    hl_debug_block *b = table_find(c, block);
    if (b == NULL || b->freed) {
        hl_debug_report_bad_pointer(c, "realloc", block, b);
        return NULL;
    }
    hl_debug_check_live(c, b, "realloc");
    size_t old_size = b->size;
    unsigned char *inner =
        c->inner->ops->realloc(c->inner->ctx, hl_debug_data(b) - HEAD_SIZE, hl_debug_inner_size(size));
    if (inner == NULL)
        return NULL;
    unsigned char *data = inner + HEAD_SIZE;
    if (data == hl_debug_data(b)) {
        b->size = size;
    } else {
        table_remove(c, b);
        c->live--;
        table_insert(c, data, size);
    }
    if (size > old_size)
        memset(data + old_size, CLEAN_BYTE, size - old_size);
    hl_debug_write_guards(data, size, 'r');
    return data;
}

static void debug_free(void *ctx, void *block)
{
    hl_debug_context *c = ctx;
    hl_debug_block *b = table_find(c, block);
    if (b == NULL || b->freed) {
        hl_debug_report_bad_pointer(c, "free", block, b);
        return;
    }
    hl_debug_check_live(c, b, "free");
    memset(hl_debug_data(b) - HEAD_SIZE, DEAD_BYTE, hl_debug_inner_size(b->size));
    b->freed = true;
    c->live--;
    quarantine_add(c, b);
}

static void debug_impl_stats(void *ctx, hl_alloc_impl_stats *out)
{
    hl_debug_context *c = ctx;
    c->inner->ops->impl_stats(c->inner->ctx, out);
    out->errors_detected += c->errors_detected;
}

static bool debug_validate(void *ctx, char *why, size_t why_size)
{
    hl_debug_context *c = ctx;
    size_t live = 0, freed = 0, freed_bytes = 0;
    if (!hl_hash_map_validate(&c->table, why, why_size))
        return false;
    for (size_t i = 0; i < hl_hash_map_capacity(&c->table); i++) {
        const hl_debug_block *b = hl_hash_map_at(&c->table, i);
        if (b->key == 0)
            continue;
        if (!b->freed) {
            live++;
            const char *damage = hl_debug_live_damage(b);
            if (damage != NULL) {
                snprintf(why, why_size, "debug: block p=%p of %zu bytes: %s", (void *)hl_debug_data(b),
                         b->size, damage);
                return false;
            }
            continue;
        }
        freed++;
        freed_bytes += hl_debug_inner_size(b->size);
        size_t first = hl_debug_dead_damage(b);
        if (first != hl_debug_inner_size(b->size)) {
            const unsigned char *byte = hl_debug_data(b) - HEAD_SIZE + first;
            snprintf(why, why_size,
                     "debug: freed block p=%p of %zu bytes written after free: "
                     "at p%+ld: 0x%02x, expected 0x%02x",
                     (void *)hl_debug_data(b), b->size, (long)first - HEAD_SIZE, *byte, DEAD_BYTE);
            return false;
        }
    }
    if (live != c->live || freed != c->quarantine_length || freed_bytes != c->quarantine_bytes ||
        live + freed != c->table.count) {
        snprintf(why, why_size, "debug: counters disagree with the table (%zu live, %zu freed)",
                 live, freed);
        return false;
    }
    const hl_allocator_ops *inner = c->inner->ops;
    return inner->validate ? inner->validate(c->inner->ctx, why, why_size) : true;
}

static void debug_print_stats(void *ctx, void *out)
{
    hl_debug_context *c = ctx;
    fprintf(out,
            "debug: %zu live blocks, %zu freed blocks in quarantine (%zu bytes, "
            "at most %zu blocks), %llu errors detected\n",
            c->live, c->quarantine_length, c->quarantine_bytes, c->quarantine_capacity,
            (unsigned long long)c->errors_detected);
    if (c->inner->ops->print_stats)
        c->inner->ops->print_stats(c->inner->ctx, out);
}

/* The user's view: a live block has exactly the bytes it was requested
   with, since the tail guard follows them; anything else is not a block. */
static size_t debug_usable_size(void *ctx, void *block)
{
    hl_debug_context *c = ctx;
    const hl_debug_block *b = table_find(c, block);
    return b != NULL && !b->freed ? b->size : 0;
}

/* The inner walk sees the inner blocks, quarantined ones included; only
   those the user holds are passed on, at the address and size handed out. */
typedef struct debug_visit {
    const hl_debug_context *context;
    hl_block_visitor fn;
    void *arg;
} debug_visit;

static void visit_inner(void *inner, size_t usable, void *arg)
{
    (void)usable;
    const debug_visit *v = arg;
    const hl_debug_block *b = table_find(v->context, (unsigned char *)inner + HEAD_SIZE);
    if (b != NULL && !b->freed)
        v->fn(hl_debug_data(b), b->size, v->arg);
}

static bool debug_visit_blocks(void *ctx, hl_block_visitor fn, void *arg)
{
    hl_debug_context *c = ctx;
    debug_visit v = {.context = c, .fn = fn, .arg = arg};
    return hl_allocator_visit_blocks(c->inner, visit_inner, &v);
}

static const hl_allocator_ops debug_ops = {
    .name = "debug",
    .description = "CPython's debug hooks: guard bytes, fills, a quarantine "
                   "(debug[=abort,quarantine=N]:ALLOCATOR)",
    .is_wrapper = true,
    .create = debug_create,
    .destroy = debug_destroy,
    .malloc = debug_malloc,
    .calloc = debug_calloc,
    .realloc = debug_realloc,
    .free = debug_free,
    .impl_stats = debug_impl_stats,
    .validate = debug_validate,
    .print_stats = debug_print_stats,
    .usable_size = debug_usable_size,
    .visit_blocks = debug_visit_blocks,
};

const hl_allocator_ops *hl_allocator_debug(void)
{
    return &debug_ops;
}
