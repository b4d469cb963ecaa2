/*
 * allocators/debug.c — `debug`: CPython's debug memory hooks
 * (Objects/obmalloc.c, _PyMem_DebugRawAlloc and friends, 3.11 layout) as a
 * wrapper over any allocator, plus a table of every block it handed out and
 * a quarantine of freed blocks.
 *
 * Each block asks the inner allocator for 24 bytes more than requested and
 * hands out the address 16 bytes in, which keeps the inner allocator's
 * 16-byte alignment:
 *
 *   inner block
 *   v
 *   +----------------+----+----------+--------------------+------------+
 *   | size (8 bytes) | id | 7 x 0xFD | n bytes of data    | 8 x 0xFD   |
 *   +----------------+----+----------+--------------------+------------+
 *                                     ^ p (handed out)     ^ tail = p + n
 *
 *   size   the requested n, as CPython stores it;
 *   id     the call that made the block: 'm' malloc, 'c' calloc,
 *          'r' realloc (CPython stores its API domain here);
 *   0xFD   FORBIDDENBYTE guards: overwriting one is an overrun (tail) or
 *          an underrun (head);
 *   data   0xCD (CLEANBYTE) after malloc and in the part realloc adds, so
 *          reading it uninitialised shows; calloc's data stays zero.
 *
 * Unlike CPython, which trusts the header of any pointer it is given, the
 * wrapper keeps every block it handed out, with its size, in a hash table
 * (open addressing, linear probing, keyed by p).  A pointer missing from it
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
 *   - count == live + quarantine_length, and quarantine_bytes is the sum of
 *     the inner sizes of the quarantined blocks.
 *
 * The wrapper's own table and quarantine come from the C library, never
 * from the inner allocator, whose figures they would otherwise distort.
 */
#include "registry.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORBIDDEN_BYTE 0xFD
#define CLEAN_BYTE 0xCD
#define DEAD_BYTE 0xDD

#define HEAD_SIZE 16 /* size field, id, 7 guard bytes */
#define ID_OFFSET 8  /* of the id byte, from the start of the head */
#define HEAD_GUARD_SIZE (HEAD_SIZE - ID_OFFSET - 1)
#define TAIL_SIZE 8

#define TABLE_INITIAL_CAPACITY 1024         /* slots; a power of two */
#define QUARANTINE_DEFAULT_BLOCKS 1024      /* freed blocks held back */
#define QUARANTINE_MAX_BLOCKS (1 << 24)     /* largest quarantine=N */
#define QUARANTINE_BYTES ((size_t)16 << 20) /* inner bytes held back */
#define DUMP_DIFFERENCES 16                 /* damaged bytes listed in one report */

_Static_assert(HEAD_SIZE % HL_ALLOC_ALIGNMENT == 0, "the head must keep the alignment");

/* One block handed out.  data == NULL marks an empty slot. */
typedef struct debug_block {
    unsigned char *data; /* the address handed out (p) */
    size_t size;         /* bytes requested */
    bool freed;          /* in the quarantine, filled with DEAD_BYTE */
} debug_block;

/* One instance; the invariants are in the header comment. */
typedef struct debug_context {
    hl_allocator *inner;        /* first, as allocator.h asks of wrappers; owned */
    debug_block *table;         /* capacity slots, at most half used */
    size_t capacity;            /* a power of two */
    size_t count;               /* used slots: live and freed blocks */
    size_t live;                /* blocks handed out, not yet freed */
    unsigned char **quarantine; /* ring of freed blocks' data pointers */
    size_t quarantine_capacity; /* ring slots; 0: no quarantine */
    size_t quarantine_first;    /* ring index of the oldest block */
    size_t quarantine_length;   /* blocks in the ring */
    size_t quarantine_bytes;    /* their inner sizes, summed */
    bool abort_on_error;        /* "abort": abort() after a report */
    uint64_t errors_detected;   /* reports printed */
} debug_context;

_Static_assert(offsetof(debug_context, inner) == 0, "a wrapper's context starts with inner");

static size_t inner_size(size_t size)
{
    return HEAD_SIZE + size + TAIL_SIZE;
}

/* ---- the table of blocks -------------------------------------------- */

static size_t home_slot(const debug_context *c, const void *data)
{
    uint64_t h = (uint64_t)(uintptr_t)data * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h ^ (h >> 29)) & (c->capacity - 1);
}

static debug_block *table_find(const debug_context *c, const void *data)
{
    for (size_t i = home_slot(c, data);; i = (i + 1) & (c->capacity - 1)) {
        if (c->table[i].data == data)
            return &c->table[i];
        if (c->table[i].data == NULL)
            return NULL;
    }
}

static void table_put(debug_context *c, debug_block block)
{
    size_t i = home_slot(c, block.data);
    while (c->table[i].data != NULL)
        i = (i + 1) & (c->capacity - 1);
    c->table[i] = block;
}

/* Makes room for one more entry; entry pointers are stale afterwards. */
static bool table_reserve(debug_context *c)
{
    if ((c->count + 1) * 2 <= c->capacity)
        return true;
    debug_block *old = c->table;
    size_t old_capacity = c->capacity;
    debug_block *table = calloc(old_capacity * 2, sizeof *table);
    if (table == NULL)
        return false;
    c->table = table;
    c->capacity = old_capacity * 2;
    for (size_t i = 0; i < old_capacity; i++)
        if (old[i].data != NULL)
            table_put(c, old[i]);
    free(old);
    return true;
}

static void table_insert(debug_context *c, unsigned char *data, size_t size)
{
    table_put(c, (debug_block){.data = data, .size = size});
    c->count++;
    c->live++;
}

/* Backward-shift deletion: later entries of the probe run move up, so no
   tombstones are needed. */
static void table_remove(debug_context *c, debug_block *block)
{
    size_t mask = c->capacity - 1;
    size_t hole = (size_t)(block - c->table);
    for (size_t i = (hole + 1) & mask; c->table[i].data != NULL; i = (i + 1) & mask) {
        size_t home = home_slot(c, c->table[i].data);
        bool stays = hole < i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (!stays) {
            c->table[hole] = c->table[i];
            hole = i;
        }
    }
    c->table[hole].data = NULL;
    c->count--;
}

/* ---- guards and fills ----------------------------------------------- */

static void write_guards(unsigned char *data, size_t size, char id)
{
    unsigned char *head = data - HEAD_SIZE;
    uint64_t stored = size;
    memcpy(head, &stored, sizeof stored);
    head[ID_OFFSET] = (unsigned char)id;
    memset(head + ID_OFFSET + 1, FORBIDDEN_BYTE, HEAD_GUARD_SIZE);
    memset(data + size, FORBIDDEN_BYTE, TAIL_SIZE);
}

static uint64_t stored_size(const unsigned char *data)
{
    uint64_t size;
    memcpy(&size, data - HEAD_SIZE, sizeof size);
    return size;
}

static bool known_id(unsigned char id)
{
    return id == 'm' || id == 'c' || id == 'r';
}

/* Offset of the first byte of [start, start + n) that is not `byte`, or n
   when there is none; words at a time, as blocks can be large. */
static size_t first_other_byte(const unsigned char *start, size_t n, unsigned char byte)
{
    uint64_t pattern = UINT64_C(0x0101010101010101) * byte;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t word;
        memcpy(&word, start + i, sizeof word);
        if (word != pattern)
            break;
    }
    for (; i < n; i++)
        if (start[i] != byte)
            return i;
    return n;
}

static bool all_bytes(const unsigned char *start, size_t n, unsigned char byte)
{
    return first_other_byte(start, n, byte) == n;
}

/* What is wrong with a live block's guards, or NULL. */
static const char *live_damage(const debug_block *b)
{
    const unsigned char *head = b->data - HEAD_SIZE;
    if (!all_bytes(head + ID_OFFSET + 1, HEAD_GUARD_SIZE, FORBIDDEN_BYTE))
        return "bad leading pad byte (buffer underrun)";
    if (!known_id(head[ID_OFFSET]))
        return "bad API id (buffer underrun)";
    if (stored_size(b->data) != b->size)
        return "size field overwritten (buffer underrun)";
    if (!all_bytes(b->data + b->size, TAIL_SIZE, FORBIDDEN_BYTE))
        return "bad trailing pad byte (buffer overrun)";
    return NULL;
}

/* Offset from the inner block of the first byte that is not DEAD_BYTE, or
   the inner size when the fill is intact. */
static size_t dead_damage(const debug_block *b)
{
    return first_other_byte(b->data - HEAD_SIZE, inner_size(b->size), DEAD_BYTE);
}

/* ---- reports -------------------------------------------------------- */

/* The n guard bytes at `pad`, called `where`; byte i is named base+first+i. */
static void dump_pad(const unsigned char *pad, size_t n, const char *where, const char *base,
                     long first)
{
    fprintf(stderr, "    The %zu pad bytes at %s are ", n, where);
    if (all_bytes(pad, n, FORBIDDEN_BYTE)) {
        fputs("FORBIDDENBYTE, as expected.\n", stderr);
        return;
    }
    fprintf(stderr, "not all FORBIDDENBYTE (0x%02x):\n", FORBIDDEN_BYTE);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "        at %s%+ld: 0x%02x%s\n", base, first + (long)i, pad[i],
                pad[i] == FORBIDDEN_BYTE ? "" : " *** OUCH");
}

/* Up to 8 bytes at the start of the data and 8 at the end, as CPython. */
static void dump_data(const unsigned char *data, size_t size)
{
    fputs("    Data at p:", stderr);
    for (size_t i = 0; i < size; i++) {
        if (i == 8 && size > 16) {
            fputs(" ...", stderr);
            i = size - 8;
        }
        fprintf(stderr, " %02x", data[i]);
    }
    fputs(size ? "\n" : " none\n", stderr);
}

/* _PyObject_DebugDumpAddress for a live block.  The recorded size is used
   throughout, so a damaged size field cannot lead the dump astray. */
static void dump_live(const debug_block *b)
{
    const unsigned char *head = b->data - HEAD_SIZE;
    unsigned char id = head[ID_OFFSET];
    fprintf(stderr, "Debug memory block at address p=%p:", (void *)b->data);
    if (known_id(id))
        fprintf(stderr, " API '%c'\n", id);
    else
        fprintf(stderr, " API id 0x%02x *** OUCH (expected 'm', 'c' or 'r')\n", id);
    fprintf(stderr, "    %zu bytes originally requested\n", b->size);
    if (stored_size(b->data) != b->size)
        fprintf(stderr, "    The size field at p-16 reads %llu *** OUCH\n",
                (unsigned long long)stored_size(b->data));
    dump_pad(head + ID_OFFSET + 1, HEAD_GUARD_SIZE, "p-7", "p", -HEAD_GUARD_SIZE);
    char where[64];
    snprintf(where, sizeof where, "tail=p+%zu=%p", b->size, (void *)(b->data + b->size));
    dump_pad(b->data + b->size, TAIL_SIZE, where, "tail", 0);
    dump_data(b->data, b->size);
}

/* The bytes of a quarantined block that are no longer DEAD_BYTE. */
static void dump_freed(const debug_block *b, size_t first)
{
    const unsigned char *start = b->data - HEAD_SIZE;
    size_t n = inner_size(b->size);
    fprintf(stderr, "Freed memory block at address p=%p:\n", (void *)b->data);
    fprintf(stderr, "    %zu bytes originally requested\n", b->size);
    if (first == n) {
        fputs("    Its DEADBYTE fill is intact.\n", stderr);
        return;
    }
    fprintf(stderr, "    Bytes no longer DEADBYTE (0x%02x):\n", DEAD_BYTE);
    size_t damaged = 0;
    for (size_t i = first; i < n; i++)
        if (start[i] != DEAD_BYTE && damaged++ < DUMP_DIFFERENCES)
            fprintf(stderr, "        at p%+ld: 0x%02x *** OUCH\n", (long)i - HEAD_SIZE, start[i]);
    fprintf(stderr, "    %zu of its %zu bytes (guards included) were written after free.\n",
            damaged, n);
}

static void report_done(debug_context *c)
{
    c->errors_detected++;
    if (c->abort_on_error) {
        fputs("heaplab debug: aborting (debug=abort)\n", stderr);
        fflush(stderr);
        abort();
    }
    fflush(stderr);
}

/* Reports damage to a live block once: the guards are then rewritten. */
static void check_live(debug_context *c, const debug_block *b, const char *operation)
{
    const char *damage = live_damage(b);
    if (damage == NULL)
        return;
    fprintf(stderr, "heaplab debug: %s, found by %s(p=%p)\n", damage, operation, (void *)b->data);
    dump_live(b);
    report_done(c);
    unsigned char id = b->data[ID_OFFSET - HEAD_SIZE];
    write_guards(b->data, b->size, known_id(id) ? (char)id : 'm');
}

/* Ends the report on a freed block, whose fill is then restored so that a
   write after free is reported once. */
static void report_freed(debug_context *c, const debug_block *b, size_t first)
{
    dump_freed(b, first);
    report_done(c);
    memset(b->data - HEAD_SIZE, DEAD_BYTE, inner_size(b->size));
}

static void check_freed(debug_context *c, const debug_block *b, const char *operation)
{
    size_t first = dead_damage(b);
    if (first == inner_size(b->size))
        return;
    fprintf(stderr, "heaplab debug: write after free, found by %s(p=%p)\n", operation,
            (void *)b->data);
    report_freed(c, b, first);
}

/* A pointer that is not live: freed earlier (still quarantined) or never
   handed out.  Only addresses are compared; the pointer is not read. */
static void report_bad_pointer(debug_context *c, const char *operation, const void *p,
                               const debug_block *b)
{
    const char *outcome = strcmp(operation, "free") == 0 ? "ignored" : "refused";
    if (b != NULL) {
        fprintf(stderr, "heaplab debug: %s(p=%p) of a block already freed; %s\n", operation, p,
                outcome);
        report_freed(c, b, dead_damage(b));
        return;
    }
    fprintf(stderr,
            "heaplab debug: %s(p=%p) of a pointer this allocator did not hand out "
            "(or freed long ago); %s\n",
            operation, p, outcome);
    for (size_t i = 0; i < c->capacity; i++) {
        const debug_block *e = &c->table[i];
        uintptr_t start = (uintptr_t)e->data;
        if (e->data == NULL || (uintptr_t)p < start - HEAD_SIZE ||
            (uintptr_t)p >= start + e->size + TAIL_SIZE)
            continue;
        long offset = (long)((uintptr_t)p - start);
        fprintf(stderr, "    It points %ld bytes %s the start of the %s block p=%p of %zu bytes.\n",
                offset < 0 ? -offset : offset, offset < 0 ? "before" : "past",
                e->freed ? "freed" : "live", (void *)e->data, e->size);
    }
    report_done(c);
}

/* ---- the quarantine ------------------------------------------------- */

/* Hands the oldest quarantined block back to the inner allocator. */
static void quarantine_release_oldest(debug_context *c, const char *operation)
{
    unsigned char *data = c->quarantine[c->quarantine_first];
    c->quarantine_first = (c->quarantine_first + 1) % c->quarantine_capacity;
    c->quarantine_length--;
    debug_block *b = table_find(c, data);
    check_freed(c, b, operation);
    c->quarantine_bytes -= inner_size(b->size);
    c->inner->ops->free(c->inner->ctx, data - HEAD_SIZE);
    table_remove(c, b);
}

/* Takes a block just freed; `b` is stale afterwards, as releasing another
   block moves table entries. */
static void quarantine_add(debug_context *c, debug_block *b)
{
    if (c->quarantine_capacity == 0) {
        c->inner->ops->free(c->inner->ctx, b->data - HEAD_SIZE);
        table_remove(c, b);
        return;
    }
    unsigned char *data = b->data;
    size_t bytes = inner_size(b->size);
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

static bool parse_options(debug_context *c, const char *arg, char *error, size_t error_size)
{
    c->quarantine_capacity = QUARANTINE_DEFAULT_BLOCKS;
    for (const char *option = arg; option != NULL;) {
        size_t len = strcspn(option, ",");
        bool ok = len == 5 && strncmp(option, "abort", 5) == 0;
        if (ok) {
            c->abort_on_error = true;
        } else if (strncmp(option, "quarantine=", 11) == 0 && option[11] >= '0' &&
                   option[11] <= '9') {
            char *end;
            unsigned long long n = strtoull(option + 11, &end, 10); /* ULLONG_MAX on overflow */
            ok = end == option + len && n <= QUARANTINE_MAX_BLOCKS;
            c->quarantine_capacity = (size_t)n;
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
    debug_context *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    if (!parse_options(c, config->arg, config->error, config->error_size)) {
        free(c);
        return NULL;
    }
    c->capacity = TABLE_INITIAL_CAPACITY;
    c->table = calloc(c->capacity, sizeof *c->table);
    c->quarantine = calloc(c->quarantine_capacity + 1, sizeof *c->quarantine);
    if (c->table == NULL || c->quarantine == NULL) {
        free(c->table);
        free(c->quarantine);
        free(c);
        return NULL;
    }
    c->inner = config->inner;
    return c;
}

static void debug_destroy(void *ctx)
{
    debug_context *c = ctx;
    while (c->quarantine_length > 0)
        quarantine_release_oldest(c, "destroy");
    for (size_t i = 0; i < c->capacity; i++) {
        debug_block *b = &c->table[i];
        if (b->data == NULL)
            continue;
        check_live(c, b, "destroy");
        c->inner->ops->free(c->inner->ctx, b->data - HEAD_SIZE);
    }
    hl_allocator_close(c->inner);
    free(c->table);
    free(c->quarantine);
    free(c);
}

static void *finish_alloc(debug_context *c, unsigned char *inner, size_t size, char id)
{
    unsigned char *data = inner + HEAD_SIZE;
    write_guards(data, size, id);
    table_insert(c, data, size);
    return data;
}

static void *debug_malloc(void *ctx, size_t size)
{
    debug_context *c = ctx;
    if (!table_reserve(c))
        return NULL;
    unsigned char *inner = c->inner->ops->malloc(c->inner->ctx, inner_size(size));
    if (inner == NULL)
        return NULL;
    memset(inner + HEAD_SIZE, CLEAN_BYTE, size);
    return finish_alloc(c, inner, size, 'm');
}

static void *debug_calloc(void *ctx, size_t nelem, size_t elsize)
{
    debug_context *c = ctx;
    if (!table_reserve(c))
        return NULL;
    size_t size = nelem * elsize; /* the dispatch layer checked overflow */
    unsigned char *inner = c->inner->ops->calloc(c->inner->ctx, 1, inner_size(size));
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
    debug_context *c = ctx;
    if (!table_reserve(c))
        return NULL;
    debug_block *b = table_find(c, block);
    if (b == NULL || b->freed) {
        report_bad_pointer(c, "realloc", block, b);
        return NULL;
    }
    check_live(c, b, "realloc");
    size_t old_size = b->size;
    unsigned char *inner =
        c->inner->ops->realloc(c->inner->ctx, b->data - HEAD_SIZE, inner_size(size));
    if (inner == NULL)
        return NULL;
    unsigned char *data = inner + HEAD_SIZE;
    if (data == b->data) {
        b->size = size;
    } else {
        table_remove(c, b);
        c->live--;
        table_insert(c, data, size);
    }
    if (size > old_size)
        memset(data + old_size, CLEAN_BYTE, size - old_size);
    write_guards(data, size, 'r');
    return data;
}

static void debug_free(void *ctx, void *block)
{
    debug_context *c = ctx;
    debug_block *b = table_find(c, block);
    if (b == NULL || b->freed) {
        report_bad_pointer(c, "free", block, b);
        return;
    }
    check_live(c, b, "free");
    memset(b->data - HEAD_SIZE, DEAD_BYTE, inner_size(b->size));
    b->freed = true;
    c->live--;
    quarantine_add(c, b);
}

static void debug_impl_stats(void *ctx, hl_alloc_impl_stats *out)
{
    debug_context *c = ctx;
    c->inner->ops->impl_stats(c->inner->ctx, out);
    out->errors_detected += c->errors_detected;
}

static bool debug_validate(void *ctx, char *why, size_t why_size)
{
    debug_context *c = ctx;
    size_t live = 0, freed = 0, freed_bytes = 0;
    for (size_t i = 0; i < c->capacity; i++) {
        const debug_block *b = &c->table[i];
        if (b->data == NULL)
            continue;
        if (!b->freed) {
            live++;
            const char *damage = live_damage(b);
            if (damage != NULL) {
                snprintf(why, why_size, "debug: block p=%p of %zu bytes: %s", (void *)b->data,
                         b->size, damage);
                return false;
            }
            continue;
        }
        freed++;
        freed_bytes += inner_size(b->size);
        size_t first = dead_damage(b);
        if (first != inner_size(b->size)) {
            const unsigned char *byte = b->data - HEAD_SIZE + first;
            snprintf(why, why_size,
                     "debug: freed block p=%p of %zu bytes written after free: "
                     "at p%+ld: 0x%02x, expected 0x%02x",
                     (void *)b->data, b->size, (long)first - HEAD_SIZE, *byte, DEAD_BYTE);
            return false;
        }
    }
    if (live != c->live || freed != c->quarantine_length || freed_bytes != c->quarantine_bytes ||
        live + freed != c->count) {
        snprintf(why, why_size, "debug: counters disagree with the table (%zu live, %zu freed)",
                 live, freed);
        return false;
    }
    const hl_allocator_ops *inner = c->inner->ops;
    return inner->validate ? inner->validate(c->inner->ctx, why, why_size) : true;
}

static void debug_print_stats(void *ctx, void *out)
{
    debug_context *c = ctx;
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
    debug_context *c = ctx;
    const debug_block *b = table_find(c, block);
    return b != NULL && !b->freed ? b->size : 0;
}

/* The inner walk sees the inner blocks, quarantined ones included; only
   those the user holds are passed on, at the address and size handed out. */
typedef struct debug_visit {
    const debug_context *context;
    hl_block_visitor fn;
    void *arg;
} debug_visit;

static void visit_inner(void *inner, size_t usable, void *arg)
{
    (void)usable;
    const debug_visit *v = arg;
    const debug_block *b = table_find(v->context, (unsigned char *)inner + HEAD_SIZE);
    if (b != NULL && !b->freed)
        v->fn(b->data, b->size, v->arg);
}

static bool debug_visit_blocks(void *ctx, hl_block_visitor fn, void *arg)
{
    debug_context *c = ctx;
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
