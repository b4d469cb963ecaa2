/*
 * allocators/debug_report.c — what the debug wrapper (debug.c) finds and
 * how it says so: the guard bytes and fills of debug.h checked word by word,
 * and one report per detection on stderr in the form of CPython's
 * _PyObject_DebugDumpAddress (address, size, which bytes, expected and
 * found).  After a report the damage is repaired (guards rewritten, the
 * dead fill restored) so each is reported once; with "abort" the report
 * ends in abort(), as CPython's does.
 */
#include "debug.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- guards and fills ----------------------------------------------- */

void hl_debug_write_guards(unsigned char *data, size_t size, char id)
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
const char *hl_debug_live_damage(const hl_debug_block *b)
{
    const unsigned char *head = hl_debug_data(b) - HEAD_SIZE;
    if (!all_bytes(head + ID_OFFSET + 1, HEAD_GUARD_SIZE, FORBIDDEN_BYTE))
        return "bad leading pad byte (buffer underrun)";
    if (!known_id(head[ID_OFFSET]))
        return "bad API id (buffer underrun)";
    if (stored_size(hl_debug_data(b)) != b->size)
        return "size field overwritten (buffer underrun)";
    if (!all_bytes(hl_debug_data(b) + b->size, TAIL_SIZE, FORBIDDEN_BYTE))
        return "bad trailing pad byte (buffer overrun)";
    return NULL;
}

/* Offset from the inner block of the first byte that is not DEAD_BYTE, or
   the inner size when the fill is intact. */
size_t hl_debug_dead_damage(const hl_debug_block *b)
{
    return first_other_byte(hl_debug_data(b) - HEAD_SIZE, hl_debug_inner_size(b->size), DEAD_BYTE);
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
static void dump_live(const hl_debug_block *b)
{
    const unsigned char *head = hl_debug_data(b) - HEAD_SIZE;
    unsigned char id = head[ID_OFFSET];
    fprintf(stderr, "Debug memory block at address p=%p:", (void *)hl_debug_data(b));
    if (known_id(id))
        fprintf(stderr, " API '%c'\n", id);
    else
        fprintf(stderr, " API id 0x%02x *** OUCH (expected 'm', 'c' or 'r')\n", id);
    fprintf(stderr, "    %zu bytes originally requested\n", b->size);
    if (stored_size(hl_debug_data(b)) != b->size)
        fprintf(stderr, "    The size field at p-16 reads %llu *** OUCH\n",
                (unsigned long long)stored_size(hl_debug_data(b)));
    dump_pad(head + ID_OFFSET + 1, HEAD_GUARD_SIZE, "p-7", "p", -HEAD_GUARD_SIZE);
    char where[64];
    snprintf(where, sizeof where, "tail=p+%zu=%p", b->size, (void *)(hl_debug_data(b) + b->size));
    dump_pad(hl_debug_data(b) + b->size, TAIL_SIZE, where, "tail", 0);
    dump_data(hl_debug_data(b), b->size);
}

/* The bytes of a quarantined block that are no longer DEAD_BYTE. */
static void dump_freed(const hl_debug_block *b, size_t first)
{
    const unsigned char *start = hl_debug_data(b) - HEAD_SIZE;
    size_t n = hl_debug_inner_size(b->size);
    fprintf(stderr, "Freed memory block at address p=%p:\n", (void *)hl_debug_data(b));
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

static void report_done(hl_debug_context *c)
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
void hl_debug_check_live(hl_debug_context *c, const hl_debug_block *b, const char *operation)
{
    const char *damage = hl_debug_live_damage(b);
    if (damage == NULL)
        return;
    fprintf(stderr, "heaplab debug: %s, found by %s(p=%p)\n", damage, operation, (void *)hl_debug_data(b));
    dump_live(b);
    report_done(c);
    unsigned char id = hl_debug_data(b)[ID_OFFSET - HEAD_SIZE];
    hl_debug_write_guards(hl_debug_data(b), b->size, known_id(id) ? (char)id : 'm');
}

/* Ends the report on a freed block, whose fill is then restored so that a
   write after free is reported once. */
static void report_freed(hl_debug_context *c, const hl_debug_block *b, size_t first)
{
    dump_freed(b, first);
    report_done(c);
    memset(hl_debug_data(b) - HEAD_SIZE, DEAD_BYTE, hl_debug_inner_size(b->size));
}

void hl_debug_check_freed(hl_debug_context *c, const hl_debug_block *b, const char *operation)
{
    size_t first = hl_debug_dead_damage(b);
    if (first == hl_debug_inner_size(b->size))
        return;
    fprintf(stderr, "heaplab debug: write after free, found by %s(p=%p)\n", operation,
            (void *)hl_debug_data(b));
    report_freed(c, b, first);
}

/* A pointer that is not live: freed earlier (still quarantined) or never
   handed out.  Only addresses are compared; the pointer is not read. */
void hl_debug_report_bad_pointer(hl_debug_context *c, const char *operation, const void *p,
                                 const hl_debug_block *b)
{
    const char *outcome = strcmp(operation, "free") == 0 ? "ignored" : "refused";
    if (b != NULL) {
        fprintf(stderr, "heaplab debug: %s(p=%p) of a block already freed; %s\n", operation, p,
                outcome);
        report_freed(c, b, hl_debug_dead_damage(b));
        return;
    }
    fprintf(stderr,
            "heaplab debug: %s(p=%p) of a pointer this allocator did not hand out "
            "(or freed long ago); %s\n",
            operation, p, outcome);
    for (size_t i = 0; i < hl_hash_map_capacity(&c->table); i++) {
        const hl_debug_block *e = hl_hash_map_at(&c->table, i);
        uintptr_t start = (uintptr_t)e->key;
        if (e->key == 0 || (uintptr_t)p < start - HEAD_SIZE ||
            (uintptr_t)p >= start + e->size + TAIL_SIZE)
            continue;
        long offset = (long)((uintptr_t)p - start);
        fprintf(stderr, "    It points %ld bytes %s the start of the %s block p=%p of %zu bytes.\n",
                offset < 0 ? -offset : offset, offset < 0 ? "before" : "past",
                e->freed ? "freed" : "live", (void *)hl_debug_data(e), e->size);
    }
    report_done(c);
}
