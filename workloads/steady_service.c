/*
 * workloads/steady_service.c — a long-running service: a large live heap
 * of fixed size (a cache of `size` records, about six objects each, a root
 * global) under a stream of requests.  Each request runs in a frame on the
 * root frame stack, builds and drops its parsed data, replaces a random
 * cache entry one time in four (so old objects keep dying and young ones
 * keep being promoted, and the old generation's count keeps growing), and
 * one time in eight leaves a handler <-> child cycle holding a 1 KiB
 * response.  The heap neither grows nor shrinks, so what matters is how
 * long each collection stops the service: pauses and MMU.
 * --size: cache entries; the run serves 4 * size requests.
 */
#include "workload.h"

enum { REQUESTS_PER_ENTRY = 4, REPLACE_EVERY = 4, CYCLE_EVERY = 8, RESPONSE_BYTES = 1024 };

static bool leave_cycle(hl_workload_run *w, hl_object *locals)
{
    hl_runtime *rt = w->rt;
    hl_object *handler = hl_ledger_node(rt, w->ledger, 2);
    hl_object *child = hl_ledger_node(rt, w->ledger, 2);
    hl_object *response = hl_ledger_blob(rt, w->ledger, RESPONSE_BYTES);
    bool ok = handler && child && response && hl_list_append(rt, locals, handler) == 0;
    if (handler && child && response) {
        hl_ledger_set(rt, handler, 0, child);
        hl_ledger_set(rt, child, 0, handler);
        hl_ledger_set(rt, child, 1, response);
    }
    if (handler)
        hl_ledger_drop(w->ledger, handler); /* popping the frame releases it */
    hl_xdecref(rt, response);
    hl_xdecref(rt, child);
    hl_xdecref(rt, handler);
    return ok;
}

static bool serve(hl_workload_run *w, hl_object *cache, uint64_t step, uint64_t *seed)
{
    hl_runtime *rt = w->rt;
    hl_object *locals = hl_list_new(rt, 0);
    if (locals == NULL)
        return false;
    bool ok = hl_frame_push(rt, locals) == 0;
    hl_decref(rt, locals);
    if (!ok)
        return false;
    ok = hl_workload_temporaries(rt, (int64_t)step, 4);
    if (ok && step % REPLACE_EVERY == 0) {
        hl_object *record = hl_workload_record(rt, (int64_t)step);
        if ((ok = record != NULL)) {
            hl_list_set(rt, cache, (size_t)hl_random_below(seed, hl_list_size(cache)), record);
            hl_decref(rt, record);
        }
    }
    if (ok && step % CYCLE_EVERY == 0)
        ok = leave_cycle(w, locals);
    hl_frame_pop(rt);
    return ok;
}

static int run_steady_service(hl_workload_run *w)
{
    hl_runtime *rt = w->rt;
    hl_object *module = hl_workload_module_new(rt);
    hl_object *cache = hl_list_new(rt, (size_t)w->size);
    bool ok = module && cache && hl_dict_set_str(rt, module, "cache", cache) == 0;
    for (uint64_t i = 0; ok && i < w->size; i++) {
        hl_object *record = hl_workload_record(rt, (int64_t)i);
        ok = record && hl_list_append(rt, cache, record) == 0;
        hl_xdecref(rt, record);
    }
    uint64_t seed = w->seed;
    for (uint64_t step = 0; ok && step < REQUESTS_PER_ENTRY * w->size; step++) {
        ok = serve(w, cache, step, &seed);
        hl_workload_tick(w);
    }
    ok = ok && hl_list_size(cache) == w->size;
    hl_xdecref(rt, cache);
    hl_workload_module_free(rt, module);
    return ok ? 0 : -1;
}

static const hl_workload steady_service = {
    .name = "steady_service",
    .description = "a fixed large live heap (a cache) under request churn: pauses",
    .size_means = "cache entries (about 6 objects each); 4 requests per entry",
    .default_size = 100000,
    .max_size = 10000000,
    .run = run_steady_service,
};

const hl_workload *hl_workload_steady_service(void)
{
    return &steady_service;
}
