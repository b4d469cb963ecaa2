/*
 * allocators/dispatch.c — opening allocators by name and the slow paths of
 * the inline dispatch functions in allocator.h.
 *
 * A spec is a chain "wrapper[=arg]:...:implementation[=arg]".  It is opened
 * from the innermost name outwards, so each wrapper receives a complete
 * allocator as its inner one; a failure part-way closes what was opened.
 */
#include "allocator.h"
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *hl_mem_fail(hl_allocator *a)
{
    a->counts.failures++;
    return NULL;
}

void hl_mem_count_peak(hl_alloc_counts *c)
{
    c->peak_bytes = c->live_bytes;
}

static hl_allocator *open_layer(const char *spec, size_t len, hl_allocator *inner,
                                char *err, size_t err_size)
{
    const char *eq = memchr(spec, '=', len);
    size_t name_len = eq ? (size_t)(eq - spec) : len;
    const hl_allocator_ops *ops = hl_allocator_find(spec, name_len);
    if (ops == NULL) {
        snprintf(err, err_size, "unknown allocator '%.*s' (see `heaplab list`)",
                 (int)name_len, spec);
        return NULL;
    }
    if (ops->is_wrapper != (inner != NULL)) {
        snprintf(err, err_size,
                 ops->is_wrapper ? "'%s' is a wrapper: write %s:ALLOCATOR"
                                 : "'%s' is not a wrapper and must come last",
                 ops->name, ops->name);
        return NULL;
    }
    char why[200] = "";
    if (ops->available && !ops->available(why, sizeof why)) {
        snprintf(err, err_size, "allocator '%s' is unavailable: %s", ops->name, why);
        return NULL;
    }
    char *arg = NULL;
    if (eq) {
        size_t arg_len = len - name_len - 1;
        arg = malloc(arg_len + 1);
        if (arg == NULL) {
            snprintf(err, err_size, "out of memory");
            return NULL;
        }
        memcpy(arg, eq + 1, arg_len);
        arg[arg_len] = '\0';
    }
    hl_allocator *a = calloc(1, sizeof *a);
    char reason[200] = "";
    hl_alloc_config config = {
        .arg = arg, .inner = inner, .error = reason, .error_size = sizeof reason};
    void *ctx = a ? ops->create(&config) : NULL;
    free(arg);
    if (ctx == NULL) {
        snprintf(err, err_size, "cannot create allocator '%.*s': %s", (int)len, spec,
                 reason[0] ? reason : "out of memory");
        free(a);
        return NULL;
    }
    a->ops = ops;
    a->ctx = ctx;
    return a;
}

hl_allocator *hl_allocator_open(const char *spec, char *err, size_t err_size)
{
    size_t len = strlen(spec);
    if (len == 0) {
        snprintf(err, err_size, "empty allocator name");
        return NULL;
    }
    hl_allocator *a = NULL;
    size_t end = len;
    for (;;) {
        size_t start = end;
        while (start > 0 && spec[start - 1] != ':')
            start--;
        if (start == end) {
            snprintf(err, err_size, "empty name in allocator chain '%s'", spec);
            goto fail;
        }
        hl_allocator *outer = open_layer(spec + start, end - start, a, err, err_size);
        if (outer == NULL)
            goto fail;
        a = outer;
        if (start == 0)
            break;
        end = start - 1;
    }
    a->spec = strdup(spec);
    if (a->spec == NULL) {
        snprintf(err, err_size, "out of memory");
        goto fail;
    }
    return a;
fail:
    if (a)
        hl_allocator_close(a);
    return NULL;
}

void hl_allocator_close(hl_allocator *a)
{
    if (a == NULL)
        return;
    a->ops->destroy(a->ctx); /* a wrapper closes its own inner allocator */
    free(a->spec);
    free(a);
}

void hl_allocator_stats(const hl_allocator *a, hl_alloc_stats *out)
{
    out->counts = a->counts;
    out->impl = (hl_alloc_impl_stats){0};
    a->ops->impl_stats(a->ctx, &out->impl);
}

bool hl_allocator_validate(const hl_allocator *a, char *why, size_t why_size)
{
    if (a->counts.live_bytes > a->counts.peak_bytes) {
        snprintf(why, why_size, "live bytes %zu above peak %zu", a->counts.live_bytes,
                 a->counts.peak_bytes);
        return false;
    }
    uint64_t made = a->counts.mallocs + a->counts.callocs;
    if (made - a->counts.frees != a->counts.live_blocks) {
        snprintf(why, why_size, "live blocks %zu but %llu made and %llu freed",
                 a->counts.live_blocks, (unsigned long long)made,
                 (unsigned long long)a->counts.frees);
        return false;
    }
    return a->ops->validate ? a->ops->validate(a->ctx, why, why_size) : true;
}

size_t hl_mem_usable_size(hl_allocator *a, void *block)
{
    if (block == NULL || a->ops->usable_size == NULL)
        return 0;
    return a->ops->usable_size(a->ctx, block);
}

bool hl_allocator_visit_blocks(hl_allocator *a, hl_block_visitor fn, void *arg)
{
    if (a->ops->visit_blocks == NULL)
        return false;
    return a->ops->visit_blocks(a->ctx, fn, arg);
}

/* Every layer of the chain down to the implementation has the slot: see
   "A wrapper's context" in allocator.h. */
bool hl_allocator_can_visit(const hl_allocator *a)
{
    for (;; a = *(hl_allocator *const *)a->ctx) {
        if (a->ops->visit_blocks == NULL)
            return false;
        if (!a->ops->is_wrapper)
            return true;
    }
}

bool hl_allocator_can_size(const hl_allocator *a)
{
    for (;; a = *(hl_allocator *const *)a->ctx) {
        if (a->ops->usable_size == NULL)
            return false;
        if (!a->ops->is_wrapper)
            return true;
    }
}
