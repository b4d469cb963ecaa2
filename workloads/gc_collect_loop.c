/*
 * workloads/gc_collect_loop.c — pyperformance's gc_collect: a round makes
 * 100 cycles of 21 nodes each (a node's next and prev, as its Node class
 * links them), drops them all, and calls gc.collect(); rounds repeat.  The
 * explicit collection is a pause like any other; automatic collections
 * still run while the cycles are made.  CPython measured this program at
 * 20.8 s under 3.14's incremental collector against 3.3 s before (#129210).
 * --size: rounds.
 */
#include "workload.h"

enum { CYCLES = 100, LINKS = 20, NEXT = 0, PREV = 1 };

/* A ring of links + 1 nodes; a new reference to its head, NULL when memory
   ran out (a partial ring is dropped and freed). */
static hl_object *make_cycle(hl_runtime *rt, hl_ledger *ledger)
{
    hl_object *head = hl_ledger_node(rt, ledger, 2), *current = head;
    if (head == NULL)
        return NULL;
    hl_incref(current);
    bool ok = true;
    for (int i = 0; ok && i < LINKS; i++) {
        hl_object *next = hl_ledger_node(rt, ledger, 2);
        if ((ok = next != NULL)) {
            hl_ledger_set(rt, current, NEXT, next);
            hl_ledger_set(rt, next, PREV, current);
        }
        hl_decref(rt, current);
        current = next;
    }
    if (ok) {
        hl_ledger_set(rt, current, NEXT, head);
        hl_ledger_set(rt, head, PREV, current);
        hl_decref(rt, current);
        return head;
    }
    hl_ledger_drop(ledger, head);
    hl_decref(rt, head);
    return NULL;
}

static int run_gc_collect_loop(hl_workload_run *w)
{
    hl_runtime *rt = w->rt;
    hl_object *module = hl_workload_module_new(rt);
    bool ok = module != NULL;
    for (uint64_t round = 0; ok && round < w->size; round++) {
        /* The round's frame: its locals are the list of cycles. */
        hl_object *all = hl_list_new(rt, 0);
        ok = all && hl_frame_push(rt, all) == 0;
        hl_xdecref(rt, all);
        if (!ok)
            break;
        for (int c = 0; ok && c < CYCLES; c++) {
            hl_object *head = make_cycle(rt, w->ledger);
            ok = head && hl_list_append(rt, all, head) == 0;
            if (head && !ok)
                hl_ledger_drop(w->ledger, head);
            hl_xdecref(rt, head);
        }
        /* del all_cycles; gc.collect() */
        for (size_t i = 0; i < hl_list_size(all); i++)
            hl_ledger_drop(w->ledger, hl_list_get(all, i));
        hl_frame_pop(rt);
        ok = ok && hl_gc_collect(rt, 2) >= 0;
        hl_workload_tick(w);
    }
    hl_workload_module_free(rt, module);
    return ok ? 0 : -1;
}

static const hl_workload gc_collect_loop = {
    .name = "gc_collect_loop",
    .description = "pyperformance's gc_collect: 100 cycles of 21 nodes made and dropped, "
                   "gc.collect(), repeated",
    .size_means = "rounds",
    .default_size = 5000,
    .max_size = 100000000,
    .run = run_gc_collect_loop,
};

const hl_workload *hl_workload_gc_collect_loop(void)
{
    return &gc_collect_loop;
}
