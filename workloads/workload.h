/*
 * workloads/workload.h — mutator programs for judging cycle collectors, and
 * what is measured while they run (`heaplab run`).
 *
 * A workload is one program run on one stack under automatic collection,
 * shaped like a report against a real collector: a request loop leaving
 * small cycles that own large buffers (request_cycles: gh-142516), a heap
 * growing to millions of objects (growing_heap: the Sphinx and mypy
 * reports), pyperformance's gc_collect (gc_collect_loop), binary-trees and
 * GCBench (as bench/collect.c), and a large fixed heap under request churn
 * (steady_service).  Module globals and the frames of running requests are
 * registered as the runtime's roots (hl_root_add, hl_frame_push), as an
 * interpreter's are, so collectors that mark from roots see them.
 *
 * ## The backlog, exactly
 *
 * The backlog is the set of objects that are unreachable but not yet freed:
 * cyclic garbage waiting for a collection.  It is counted exactly, not
 * estimated, by a ledger (ledger.c):
 *
 *   - Every object that can end up in cyclic garbage is made by the ledger,
 *     as an object of one of two extension types (as a C extension's
 *     objects are, and as CPython's exceptions, tracebacks and frames are):
 *     `Node`, a tracked container of n reference slots, and `Blob`, a
 *     non-container of n bytes (a bytes object, a socket buffer).  Each
 *     knows its own size: allocation block, collector header included.
 *   - When a workload is about to release the last reference from outside
 *     to a structure, it calls hl_ledger_drop on it: every ledger object
 *     reachable from it through ledger objects is marked dropped and added
 *     to the backlog (objects and bytes).  The workload then releases its
 *     references before making any other object, so no collection and no
 *     sample sees the structure between the mark and the release.
 *   - The types' dealloc subtracts a dropped object from the backlog when
 *     it is freed, whoever frees it: reference counting at once (a dropped
 *     structure that was not cyclic), a collection, or the runtime's
 *     teardown (`none`).
 *
 * Every other object a workload makes (lists, dicts, tuples, instances,
 * ints) is freed by reference counting the moment it is dropped or stays
 * reachable to the end, by construction: the workloads never put those in
 * a cycle.  So the backlog is exactly the ledger's count at every instant,
 * and its maximum is taken at every drop.  Checks: after the workload a
 * full collection must bring it to 0 on a tracing collector; on `none` it
 * equals everything dropped; after teardown it is 0 everywhere, and no
 * byte is left (tests/80-run.t).
 *
 * ## Pauses
 *
 * Every collection is timed through gc.callbacks ("start", "stop").  A
 * collector may run several collections for one stop of the program (a
 * young collection and an increment, back to back); two collections with no
 * allocator call between them are one pause, since the program cannot have
 * run in between.  MMU (minimum mutator utilization, Cheng and Blelloch):
 * for a window w, the smallest share of any w-long interval of the run left
 * to the program, computed exactly from the pause intervals.
 */
#ifndef HEAPLAB_WORKLOAD_H
#define HEAPLAB_WORKLOAD_H

#include "allocator.h"
#include "object.h"
#include "random.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the ledger: exact backlog ------------------------------------------ */

/* Invariant: backlog_* count exactly the dropped ledger objects not yet
   freed; max_* >= backlog_* at every instant; live_* count every ledger
   object not yet freed (dropped or not). */
typedef struct hl_ledger {
    size_t header_size;      /* the collector's bytes in front of a container */
    size_t backlog_objects;  /* dropped, not yet freed */
    size_t backlog_bytes;    /* their blocks, collector headers included */
    size_t max_objects;      /* high-water marks of the two */
    size_t max_bytes;
    size_t live_objects;     /* ledger objects allocated and not yet freed */
    uint64_t dropped_objects; /* every object ever dropped */
    uint64_t dropped_bytes;
    hl_object **walk;        /* scratch stack of hl_ledger_drop (libc memory) */
    size_t walk_capacity;
    bool failed;             /* the scratch stack could not grow */
} hl_ledger;

/* Starts an empty ledger for rt (measures the collector's header size). */
void hl_ledger_init(hl_ledger *ledger, hl_runtime *rt);
/* A container of `slots` reference slots (all NULL), tracked; NULL when
   memory ran out. */
hl_object *hl_ledger_node(hl_runtime *rt, hl_ledger *ledger, size_t slots);
/* node.slot[i] = value (a new reference taken; value may be NULL). */
void hl_ledger_set(hl_runtime *rt, hl_object *node, size_t i, hl_object *value);
hl_object *hl_ledger_get(const hl_object *node, size_t i);
/* A non-container owning `bytes` bytes of data; NULL when memory ran out. */
hl_object *hl_ledger_blob(hl_runtime *rt, hl_ledger *ledger, size_t bytes);
/* Marks op and every ledger object it reaches through ledger objects as
   dropped (once) and adds them to the backlog.  The caller then releases
   every outside reference to them. */
void hl_ledger_drop(hl_ledger *ledger, hl_object *op);
/* Checks the invariant above; false and a reason if it does not hold. */
bool hl_ledger_validate(const hl_ledger *ledger, char *why, size_t why_size);
/* Releases the scratch memory; the counts stay readable. */
void hl_ledger_release(hl_ledger *ledger);

/* ---- one run -------------------------------------------------------------- */

typedef struct hl_workload_run hl_workload_run;

struct hl_workload_run {
    hl_runtime *rt;
    hl_ledger *ledger;
    uint64_t size; /* --size, or the workload's default */
    uint64_t seed; /* --seed: every random choice comes from it */
    /* Called by the workload once per step (a request, a tree): the runner
       samples its timeline from here.  Cheap when it has nothing to do. */
    void (*tick)(hl_workload_run *run);
    void *runner; /* the runner's state, for tick */
};

static inline void hl_workload_tick(hl_workload_run *run)
{
    if (run->tick)
        run->tick(run);
}

typedef struct hl_workload {
    const char *name;
    const char *description; /* one line for `heaplab list` and the usage */
    const char *size_means;  /* what --size counts */
    uint64_t default_size;   /* about 1-5 s on generational on a small VM */
    uint64_t max_size;       /* larger sizes are rejected as bad usage */
    /* Runs the program; 0 when it completed and its own check passed, -1
       when memory ran out or the check failed (nothing leaks either way). */
    int (*run)(hl_workload_run *run);
} hl_workload;

size_t hl_workload_count(void);
const hl_workload *hl_workload_at(size_t i);
const hl_workload *hl_workload_find(const char *name);

/* The programs, one file each (registry.c lists them). */
const hl_workload *hl_workload_request_cycles(void);
const hl_workload *hl_workload_growing_heap(void);
const hl_workload *hl_workload_gc_collect_loop(void);
const hl_workload *hl_workload_binary_trees(void);
const hl_workload *hl_workload_gcbench(void);
const hl_workload *hl_workload_steady_service(void);

/* ---- shapes the programs share (common.c) --------------------------------- */

/* A module: a dict registered as a root global, as a module's namespace is
   (a new reference; the caller ends with hl_workload_module_free). */
hl_object *hl_workload_module_new(hl_runtime *rt);
void hl_workload_module_free(hl_runtime *rt, hl_object *module);
/* A request's short-lived data, freed by reference counting before it
   returns: a dict of `lists` lists of three (n, n) tuples each, as parsed
   headers or arguments are.  false when memory ran out. */
bool hl_workload_temporaries(hl_runtime *rt, int64_t n, int lists);
/* A long-lived record: [ (key, key + 1), {"key": key, "refs": []} ], three
   tracked containers and a tuple the collector untracks; NULL when memory
   ran out. */
hl_object *hl_workload_record(hl_runtime *rt, int64_t key);

/* ---- pause metrics (metrics.c) ---------------------------------------------- */

/* One stop of the program, in ms since the run started.  A list of pauses
   is valid when sorted, non-overlapping, and within [0, total]. */
typedef struct hl_pause {
    double start_ms;
    double end_ms;
} hl_pause;

typedef struct hl_pause_summary {
    size_t count;
    double total_ms; /* sum of the pauses */
    double p50_ms;   /* nearest-rank percentiles of the durations */
    double p99_ms;
    double max_ms;
} hl_pause_summary;

/* Fills *out; false when memory for sorting ran out. */
bool hl_pause_summarize(const hl_pause *pauses, size_t n, hl_pause_summary *out);
/* Nearest-rank percentile p (0 < p <= 100) of n sorted values; 0 for n 0. */
double hl_percentile(const double *sorted, size_t n, double p);
/* Minimum mutator utilization for windows of `window_ms` over a run of
   `run_ms`, exact; a window longer than the run is the whole run.  NaN-free:
   0 <= result <= 1. */
double hl_mmu(const hl_pause *pauses, size_t n, double run_ms, double window_ms);
/* Checks validity as above; false and a reason otherwise. */
bool hl_pauses_validate(const hl_pause *pauses, size_t n, double run_ms, char *why,
                        size_t why_size);

#endif /* HEAPLAB_WORKLOAD_H */
