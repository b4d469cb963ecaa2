/*
 * workloads/common.c — shapes several programs share: a module namespace
 * held as a root, a request's short-lived data, a long-lived record.  All
 * of it is acyclic: reference counting frees it the moment it is dropped,
 * so none of it is ever in the backlog (workload.h).
 */
#include "workload.h"

hl_object *hl_workload_module_new(hl_runtime *rt)
{
    hl_object *module = hl_dict_new(rt);
    if (module && hl_root_add(rt, module) != 0)
        hl_clearref(rt, &module);
    return module;
}

void hl_workload_module_free(hl_runtime *rt, hl_object *module)
{
    if (module == NULL)
        return;
    hl_dict_clear(rt, module);
    hl_root_remove(rt, module);
    hl_decref(rt, module);
}

static hl_object *pair(hl_runtime *rt, int64_t a, int64_t b)
{
    hl_object *x = hl_int(rt, a), *y = hl_int(rt, b);
    hl_object *items[2] = {x, y};
    hl_object *t = x && y ? hl_tuple_pack(rt, 2, items) : NULL;
    hl_xdecref(rt, x);
    hl_xdecref(rt, y);
    return t;
}

bool hl_workload_temporaries(hl_runtime *rt, int64_t n, int lists)
{
    static const char *const keys[] = {"path", "headers", "args", "body", "cookies", "query"};
    hl_object *request = hl_dict_new(rt);
    bool ok = request != NULL;
    for (int k = 0; ok && k < lists; k++) {
        hl_object *list = hl_list_new(rt, 0);
        ok = list != NULL;
        for (int i = 0; ok && i < 3; i++) {
            hl_object *t = pair(rt, n + i + 1000, n);
            ok = t && hl_list_append(rt, list, t) == 0;
            hl_xdecref(rt, t);
        }
        ok = ok && hl_dict_set_str(rt, request, keys[k % 6], list) == 0;
        hl_xdecref(rt, list);
    }
    hl_xdecref(rt, request);
    return ok;
}

hl_object *hl_workload_record(hl_runtime *rt, int64_t key)
{
    hl_object *record = hl_list_new(rt, 2), *t = pair(rt, key, key + 1);
    hl_object *attrs = hl_dict_new(rt), *refs = hl_list_new(rt, 0), *k = hl_int(rt, key);
    bool ok = record && t && attrs && refs && k && hl_dict_set_str(rt, attrs, "key", k) == 0 &&
              hl_dict_set_str(rt, attrs, "refs", refs) == 0 &&
              hl_list_append(rt, record, t) == 0 && hl_list_append(rt, record, attrs) == 0;
    hl_xdecref(rt, t);
    hl_xdecref(rt, attrs);
    hl_xdecref(rt, refs);
    hl_xdecref(rt, k);
    if (!ok)
        hl_xdecref(rt, record);
    return ok ? record : NULL;
}
