/*
 * workloads/request_cycles.c — a request loop in which every request
 * leaves a small reference cycle owning a large buffer: an exception caught
 * in a handler whose frame keeps it (`except E as e` with the traceback
 * kept, as logging and retry code does), the frame holding the socket that
 * failed, the socket its receive buffer.  This is the shape of gh-142516
 * (urllib3/ssl memory growth under CPython 3.14's incremental collector):
 * few objects per cycle, but each pins tens of KiB until a collection
 * finds it, so the backlog is counted in bytes as much as in objects.
 *
 *     exception --> traceback --> frame --> exception     (the cycle)
 *                                   |
 *                                   +--> socket --> buffer (32 KiB, Blob)
 *
 * Per request: a frame (a list of locals) is pushed on the root frame
 * stack, the request's parsed data is built and dropped (acyclic), the
 * cycle is built and bound in the frame, the frame is popped: the cycle is
 * now garbage (hl_ledger_drop just before).  The module holds 20 000 route
 * records (about 100 000 objects) for the whole run, so full collections
 * have an old heap to walk.  --size: requests.
 */
#include "workload.h"

enum {
    ROUTES = 20000,
    BUFFER_BYTES = 32 * 1024,
    EXC_TRACEBACK = 0, EXC_ARGS = 1, EXC_SLOTS = 2,
    TB_FRAME = 0, TB_NEXT = 1, TB_SLOTS = 2,
    FRAME_LOCAL = 0, FRAME_SOCKET = 1, FRAME_SLOTS = 2,
    SOCKET_BUFFER = 0, SOCKET_SLOTS = 1,
};

/* Builds the cycle; a new reference to the exception, NULL when memory ran
   out (whatever was built is then freed or dropped by the caller). */
static hl_object *failed_request(hl_runtime *rt, hl_ledger *ledger, int64_t n)
{
    hl_object *exc = hl_ledger_node(rt, ledger, EXC_SLOTS);
    hl_object *tb = hl_ledger_node(rt, ledger, TB_SLOTS);
    hl_object *frame = hl_ledger_node(rt, ledger, FRAME_SLOTS);
    hl_object *sock = hl_ledger_node(rt, ledger, SOCKET_SLOTS);
    hl_object *buffer = hl_ledger_blob(rt, ledger, BUFFER_BYTES);
    hl_object *args = hl_int(rt, n);
    bool ok = exc && tb && frame && sock && buffer && args;
    if (ok) {
        hl_ledger_set(rt, sock, SOCKET_BUFFER, buffer);
        hl_ledger_set(rt, frame, FRAME_SOCKET, sock);
        hl_ledger_set(rt, frame, FRAME_LOCAL, exc);
        hl_ledger_set(rt, tb, TB_FRAME, frame);
        hl_ledger_set(rt, exc, EXC_TRACEBACK, tb);
        hl_ledger_set(rt, exc, EXC_ARGS, args);
    }
    hl_xdecref(rt, args);
    hl_xdecref(rt, buffer);
    hl_xdecref(rt, sock);
    hl_xdecref(rt, frame);
    hl_xdecref(rt, tb);
    if (!ok && exc) {
        hl_ledger_drop(ledger, exc); /* may already be a cycle */
        hl_clearref(rt, &exc);
    }
    return exc;
}

static bool serve(hl_workload_run *w, int64_t n)
{
    hl_runtime *rt = w->rt;
    hl_object *locals = hl_list_new(rt, 0);
    if (locals == NULL)
        return false;
    bool ok = hl_frame_push(rt, locals) == 0;
    hl_decref(rt, locals); /* the frame stack holds it, if pushed */
    if (!ok)
        return false;
    ok = hl_workload_temporaries(rt, n, 4);
    hl_object *exc = ok ? failed_request(rt, w->ledger, n) : NULL;
    ok = exc && hl_list_append(rt, locals, exc) == 0;
    if (exc) {
        hl_ledger_drop(w->ledger, exc); /* popping the frame releases it */
        hl_decref(rt, exc);
    }
    hl_frame_pop(rt);
    return ok;
}

static int run_request_cycles(hl_workload_run *w)
{
    hl_runtime *rt = w->rt;
    hl_object *module = hl_workload_module_new(rt);
    hl_object *routes = hl_list_new(rt, ROUTES);
    bool ok = module && routes && hl_dict_set_str(rt, module, "routes", routes) == 0;
    for (int64_t i = 0; ok && i < ROUTES; i++) {
        hl_object *r = hl_workload_record(rt, i);
        ok = r && hl_list_append(rt, routes, r) == 0;
        hl_xdecref(rt, r);
    }
    uint64_t seed = w->seed;
    for (uint64_t i = 0; ok && i < w->size; i++) {
        ok = serve(w, (int64_t)(hl_random_below(&seed, 1u << 20)));
        hl_workload_tick(w);
    }
    ok = ok && hl_list_size(routes) == ROUTES;
    hl_xdecref(rt, routes);
    hl_workload_module_free(rt, module);
    return ok ? 0 : -1;
}

static const hl_workload request_cycles = {
    .name = "request_cycles",
    .description = "requests each leaving an exception/traceback/frame cycle that owns a "
                   "32 KiB socket buffer (gh-142516)",
    .size_means = "requests",
    .default_size = 20000,
    .max_size = 100000000,
    .run = run_request_cycles,
};

const hl_workload *hl_workload_request_cycles(void)
{
    return &request_cycles;
}
