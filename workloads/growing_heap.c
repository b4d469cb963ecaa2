/*
 * workloads/growing_heap.c — a long-lived heap that grows steadily to
 * millions of objects while temporaries churn: the shape of a docs build
 * or a type checker (Sphinx, gh-124567; mypy, mypy#21403), where most
 * objects made are kept to the end and collections keep walking an old
 * heap that only grows.
 *
 * Per step: one record (a list, a tuple, a dict, a list of references: four
 * containers and an int) is added to the current module's list, and refers
 * to a random earlier record (the cross-references of a symbol table); the
 * step's parsing temporaries are built and dropped; every eighth step also
 * drops a small cycle (a node pair, one of them pointing at the new record
 * as an AST node points at its symbol), the cyclic garbage such programs
 * make along the way.  A new module (a list of 1 000 records, registered as
 * a root global) starts every 1 000 steps.  --size: records; the default
 * 400 000 ends with about 2 million objects.
 */
#include "workload.h"

enum { PER_MODULE = 1000, CYCLE_EVERY = 8 };

static bool drop_cycle(hl_workload_run *w, hl_object *record)
{
    hl_runtime *rt = w->rt;
    hl_object *a = hl_ledger_node(w->rt, w->ledger, 2), *b = hl_ledger_node(rt, w->ledger, 2);
    bool ok = a && b;
    if (ok) {
        hl_ledger_set(rt, a, 0, b);
        hl_ledger_set(rt, b, 0, a);
        hl_ledger_set(rt, a, 1, record);
        hl_ledger_drop(w->ledger, a);
    }
    hl_xdecref(rt, a);
    hl_xdecref(rt, b);
    return ok;
}

static int run_growing_heap(hl_workload_run *w)
{
    hl_runtime *rt = w->rt;
    hl_object *program = hl_workload_module_new(rt);
    hl_object *modules = hl_list_new(rt, 0), *current = NULL;
    bool ok = program && modules && hl_dict_set_str(rt, program, "modules", modules) == 0;
    uint64_t seed = w->seed;
    for (uint64_t i = 0; ok && i < w->size; i++) {
        if (i % PER_MODULE == 0) {
            current = hl_list_new(rt, 0);
            ok = current && hl_list_append(rt, modules, current) == 0;
            hl_xdecref(rt, current); /* the modules list holds it */
            if (!ok)
                break;
        }
        hl_object *record = hl_workload_record(rt, (int64_t)i);
        ok = record && hl_list_append(rt, current, record) == 0;
        if (ok && i > 0) {
            uint64_t j = hl_random_below(&seed, i);
            hl_object *module = hl_list_get(modules, j / PER_MODULE);
            hl_object *target = hl_list_get(module, j % PER_MODULE);
            hl_object *refs = hl_dict_get_str(hl_list_get(record, 1), "refs");
            ok = hl_list_append(rt, refs, target) == 0;
        }
        ok = ok && hl_workload_temporaries(rt, (int64_t)i, 2);
        if (ok && i % CYCLE_EVERY == 0)
            ok = drop_cycle(w, record);
        hl_xdecref(rt, record);
        hl_workload_tick(w);
    }
    size_t kept = 0;
    for (size_t m = 0; modules && m < hl_list_size(modules); m++)
        kept += hl_list_size(hl_list_get(modules, m));
    ok = ok && kept == w->size;
    /* The record graph is acyclic (references point to older records), so
       dropping the modules frees it all by reference counting. */
    hl_xdecref(rt, modules);
    hl_workload_module_free(rt, program);
    return ok ? 0 : -1;
}

static const hl_workload growing_heap = {
    .name = "growing_heap",
    .description = "a long-lived heap growing to millions of objects while temporaries churn "
                   "(Sphinx, mypy)",
    .size_means = "records kept (about 5 objects each)",
    .default_size = 400000,
    .max_size = 100000000,
    .run = run_growing_heap,
};

const hl_workload *hl_workload_growing_heap(void)
{
    return &growing_heap;
}
