/*
 * harness/trace_load.c — the trace loader: parses and validates a
 * `heaplab-trace 1` file (format and invariants in trace.h) into a flat
 * array of 16-byte ops, so that replay's timed loop does nothing but call
 * the allocator.
 *
 * The whole file is read up front, through the gzip-transparent line reader
 * of cli.c.  Each op line is checked against the IDs live at that point,
 * held in a hash map used at load time only, and its sparse ID is renamed
 * to a dense slot number: a freed ID's slot goes to the next allocation
 * (last freed, first reused), so the slot table is as long as the trace's
 * peak count of live blocks and replay indexes an array instead of hashing.
 *
 * Loading stops at the first malformed line, returned as "FILE:LINE: what
 * is wrong" (never printed: the loader also runs inside the parser fuzzer,
 * fuzz/trace.c); a file without a newline after its last line is malformed
 * too, plain or gzip alike.
 */
#include "trace.h"

#include "allocator.h"
#include "hash_map.h"
#include "line_reader.h"
#include "parse.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the ID map ------------------------------------------------------------
 *
 * Live IDs and their slots, used at load time only: a base/hash_map.h table
 * keyed by ID + 1 (its key 0 marks an empty entry, and ID 0 is valid), with
 * the slots of freed IDs kept for reuse.
 */

typedef struct id_entry {
    uint64_t key;  /* the block's ID in the file, plus one */
    uint64_t size; /* its size now, for the peak of live bytes */
    uint32_t slot; /* the dense slot it was renamed to */
    uint32_t line; /* where the block was allocated, for error messages */
} id_entry;

typedef struct id_map {
    hl_hash_map ids;      /* id_entry of every live ID */
    uint32_t *free_slots; /* slots of freed IDs, reused last-in first-out */
    size_t free_count;    /* slots in free_slots */
    size_t free_capacity; /* free_slots allocated */
} id_map;

static void id_map_free(id_map *m)
{
    hl_hash_map_free(&m->ids);
    free(m->free_slots);
}

/* ---- parsing -------------------------------------------------------------- */

#define MAX_FIELDS 4

static bool push_op(hl_trace *t, hl_trace_op op, hl_trace_origin origin)
{
    if (t->op_count == t->op_capacity) {
        size_t capacity = t->op_capacity ? 2 * t->op_capacity : 4096;
        hl_trace_op *ops = realloc(t->ops, capacity * sizeof *ops);
        if (ops)
            t->ops = ops;
        hl_trace_origin *origins = realloc(t->origins, capacity * sizeof *origins);
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
static bool load_line(hl_trace *t, id_map *m, char *text, uint32_t line, char *why,
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
    hl_trace_op op = {.kind = (uint32_t)(letter - letters)};
    int wanted = op.kind == HL_TRACE_FREE ? 2 : 3;
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
    if (!hl_parse_u64(field[1], 0, UINT64_MAX, &id)) {
        snprintf(why, why_size, "ID '%.20s' is not a decimal number", field[1]);
        return false;
    }
    if (id > UINT32_MAX) {
        snprintf(why, why_size, "ID %.24s is not below 2^32", field[1]);
        return false;
    }
    if (wanted == 3 && !hl_parse_u64(field[2], 0, UINT64_MAX, &size)) {
        snprintf(why, why_size, "SIZE '%.24s' is not a decimal number below 2^64", field[2]);
        return false;
    }
    if (size > HL_ALLOC_MAX_REQUEST) {
        snprintf(why, why_size, "SIZE %.24s exceeds the largest request, %zu bytes",
                 field[2], HL_ALLOC_MAX_REQUEST);
        return false;
    }
    op.size = (size_t)size;

    /* Room first for a new ID, so the entry found is where it is filled. */
    if ((op.kind == HL_TRACE_ALLOC || op.kind == HL_TRACE_ZALLOC) &&
        !hl_hash_map_reserve(&m->ids))
        goto out_of_memory;
    id_entry *e = hl_hash_map_slot(&m->ids, id + 1, sizeof *e);
    bool live = e->key != 0;
    if ((op.kind == HL_TRACE_ALLOC || op.kind == HL_TRACE_ZALLOC) && live) {
        snprintf(why, why_size, "'%c' of ID %" PRIu64 ", which is live since line %" PRIu32,
                 *letter, id, e->line);
        return false;
    }
    if ((op.kind == HL_TRACE_RESIZE || op.kind == HL_TRACE_FREE) && !live) {
        snprintf(why, why_size, "'%c' of ID %" PRIu64 ", which is not live", *letter, id);
        return false;
    }
    if (live) {
        op.slot = e->slot;
        t->live_bytes -= e->size;
        if (op.kind == HL_TRACE_RESIZE) {
            e->size = size;
            t->live_bytes += size;
        }
        if (op.kind == HL_TRACE_FREE) {
            if (m->free_count == m->free_capacity) {
                size_t capacity = m->free_capacity ? 2 * m->free_capacity : 1024;
                uint32_t *slots = realloc(m->free_slots, capacity * sizeof *slots);
                if (slots == NULL)
                    goto out_of_memory;
                m->free_slots = slots;
                m->free_capacity = capacity;
            }
            m->free_slots[m->free_count++] = e->slot;
            hl_hash_map_remove(&m->ids, e, sizeof *e);
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
        hl_hash_map_insert(&m->ids, e, id + 1);
        e->size = size;
        e->slot = op.slot;
        e->line = line;
        t->live_bytes += size;
    }
    if (t->live_bytes > t->peak_live_bytes)
        t->peak_live_bytes = t->live_bytes;
    if (push_op(t, op, (hl_trace_origin){.id = (uint32_t)id, .line = line}))
        return true;
out_of_memory:
    snprintf(why, why_size, "out of memory loading the trace");
    return false;
}

/* ---- the loader ----------------------------------------------------------- */

hl_trace *hl_trace_read(hl_line_reader *r, const char *name, char *err, size_t err_size,
                        int *status)
{
    char why[200] = "";
    size_t line = 0;
    id_map m = {0};
    *status = 2;
    hl_trace *t = calloc(1, sizeof *t);
    if (t == NULL || !hl_hash_map_init(&m.ids, sizeof(id_entry), 1024)) {
        snprintf(err, err_size, "%s: out of memory loading the trace", name);
        *status = 1;
        free(t);
        return NULL;
    }
    t->path = name;
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
        if (!load_line(t, &m, text, (uint32_t)line, why, sizeof why)) {
            if (strncmp(why, "out of memory", 13) == 0)
                *status = 1;
            goto fail;
        }
    }
    if (hl_line_reader_error(r)) {
        snprintf(why, sizeof why, "%s", hl_line_reader_error(r));
        goto fail;
    }
    if (!hl_line_reader_last_line_complete(r)) {
        line = hl_line_reader_lines(r);
        snprintf(why, sizeof why, "truncated line: no newline at the end of the file");
        goto fail;
    }
    id_map_free(&m);
    *status = 0;
    return t;
fail:
    snprintf(err, err_size, "%s:%zu: %s", name, line, why);
    id_map_free(&m);
    hl_trace_free(t);
    return NULL;
}

hl_trace *hl_trace_load(const char *path, char *err, size_t err_size, int *status)
{
    hl_line_reader *r = hl_line_reader_open(path, err, err_size);
    if (r == NULL) {
        *status = 2;
        return NULL;
    }
    hl_trace *t = hl_trace_read(r, path, err, err_size, status);
    hl_line_reader_close(r);
    return t;
}

void hl_trace_free(hl_trace *t)
{
    if (t) {
        free(t->ops);
        free(t->origins);
        free(t);
    }
}
