/*
 * harness/trace.h — a recorded allocation trace, loaded and validated
 * (harness/trace_load.c) for replay by the `trace` and `stats` verbs
 * (harness/trace.c).
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
 * from their a or z to their f, reusable afterwards.  Every line, the last
 * included, ends with a newline.
 *
 * Who guarantees what.  The loader rejects every file that breaks a rule
 * above, so a loaded trace holds the invariants written over hl_trace and
 * replay checks nothing but the allocator's answers.
 */
#ifndef HEAPLAB_TRACE_H
#define HEAPLAB_TRACE_H

#include <stddef.h>
#include <stdint.h>

/* The op letters a, z, r and f, in that order. */
enum hl_trace_op_kind { HL_TRACE_ALLOC, HL_TRACE_ZALLOC, HL_TRACE_RESIZE, HL_TRACE_FREE };

/* One replayed call, read once and in order by the timed loop. */
typedef struct hl_trace_op {
    size_t size;   /* requested bytes; 0 for HL_TRACE_FREE */
    uint32_t slot; /* dense index into the replay's slot table */
    uint32_t kind; /* enum hl_trace_op_kind */
} hl_trace_op;

/* Where an op came from: read only by --check and by error reports, so it
   is kept out of the op array the timed loop streams through. */
typedef struct hl_trace_origin {
    uint32_t id;   /* the block's ID in the file */
    uint32_t line; /* line number in the file */
} hl_trace_origin;

/*
 * A loaded trace.  Sparse IDs are renamed to dense slot numbers, a freed
 * ID's slot going to the next allocation, so that replay indexes an array
 * of slot_count entries instead of hashing.  Walking ops in order, with a
 * slot live from its HL_TRACE_ALLOC or HL_TRACE_ZALLOC to its HL_TRACE_FREE:
 *   - every op's slot is below slot_count, and slot_count is the peak
 *     number of slots live at once;
 *   - every HL_TRACE_RESIZE and HL_TRACE_FREE names a live slot, every
 *     HL_TRACE_ALLOC and HL_TRACE_ZALLOC a slot that is not live;
 *   - no size exceeds HL_ALLOC_MAX_REQUEST.
 * Slots may still be live after the last op; freeing them is the replay's.
 * origins[i] describes ops[i], and its lines increase with i.
 */
typedef struct hl_trace {
    const char *path;         /* as given to hl_trace_load, not copied */
    hl_trace_op *ops;         /* op_count ops, in file order */
    hl_trace_origin *origins; /* parallel to ops */
    size_t op_count;          /* ops loaded */
    size_t op_capacity;       /* ops and origins allocated, for the loader */
    uint32_t slot_count;      /* peak number of blocks live at once */
    uint64_t live_bytes;      /* requested bytes live after the last op */
    uint64_t peak_live_bytes; /* their peak over the trace */
} hl_trace;

/* Loads and validates the whole of path (which must outlive the trace).
   On malformed input or failure returns NULL, with "FILE:LINE: reason" (or
   the reason the file cannot be opened) in err and *status 2 (malformed)
   or 1 (out of memory).  hl_trace_read does the same from an open reader
   (which the caller closes); name is for messages. */
hl_trace *hl_trace_load(const char *path, char *err, size_t err_size, int *status);
struct hl_line_reader;
hl_trace *hl_trace_read(struct hl_line_reader *r, const char *name, char *err,
                        size_t err_size, int *status);
/* Frees a trace from hl_trace_load; NULL is allowed. */
void hl_trace_free(hl_trace *t);

/* Replays every op of t on a (the caller's, fresh), timing only the op loop
   into *elapsed_ns, then frees what the trace leaves live.  Returns the ops
   done: op_count unless an allocation failed.  For in-process benchmarks;
   the `trace` verb adds --check and reporting around the same loop. */
struct hl_allocator;
size_t hl_trace_replay(const hl_trace *t, struct hl_allocator *a,
                       unsigned long long *elapsed_ns);

#endif
