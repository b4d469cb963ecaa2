/*
 * objects/roots.c — the runtime's root set: globals and the frame stack.
 *
 * Two hl_object_stacks in the runtime, grown by doubling from the stack's
 * own allocator, so their memory is counted and freed like any other and an
 * out-of-memory sweep reaches the growth path.  A root holds a strong
 * reference, which is what makes it alive for reference counting and for
 * trial deletion alike; collectors that mark from roots read them through
 * hl_roots_for_each.
 */
#include "runtime.h"

#include <stdio.h>

#define ROOTS_INITIAL_CAPACITY 16

static int stack_push(hl_runtime *rt, hl_object_stack *stack, hl_object *op)
{
    if (stack->count == stack->capacity) {
        size_t capacity = stack->capacity ? stack->capacity * 2 : ROOTS_INITIAL_CAPACITY;
        hl_object **items = hl_buffer_resize(rt, stack->items,
                                             stack->capacity * sizeof *items,
                                             capacity * sizeof *items);
        if (items == NULL)
            return -1;
        stack->items = items;
        stack->capacity = capacity;
    }
    hl_incref(op);
    stack->items[stack->count++] = op;
    return 0;
}

static void stack_release(hl_runtime *rt, hl_object_stack *stack)
{
    /* Innermost first, and each entry leaves the stack before its
       reference is dropped, so a dealloc that looks at the roots never
       sees a dead one. */
    while (stack->count > 0) {
        hl_object *op = stack->items[--stack->count];
        hl_decref(rt, op);
    }
    hl_buffer_free(rt, stack->items, stack->capacity * sizeof *stack->items);
    stack->items = NULL;
    stack->capacity = 0;
}

int hl_root_add(hl_runtime *rt, hl_object *op)
{
    return stack_push(rt, &rt->globals, op);
}

int hl_root_remove(hl_runtime *rt, hl_object *op)
{
    hl_object_stack *g = &rt->globals;
    for (size_t i = g->count; i-- > 0;) {
        if (g->items[i] != op)
            continue;
        for (size_t j = i + 1; j < g->count; j++)
            g->items[j - 1] = g->items[j];
        g->count--;
        hl_decref(rt, op);
        return 0;
    }
    return -1;
}

int hl_frame_push(hl_runtime *rt, hl_object *frame)
{
    return stack_push(rt, &rt->frames, frame);
}

void hl_frame_pop(hl_runtime *rt)
{
    hl_object_stack *f = &rt->frames;
    if (f->count == 0)
        return;
    hl_object *op = f->items[--f->count];
    hl_decref(rt, op);
}

size_t hl_root_count(const hl_runtime *rt)
{
    return rt->globals.count + rt->frames.count;
}

size_t hl_frame_depth(const hl_runtime *rt)
{
    return rt->frames.count;
}

void hl_roots_for_each(hl_runtime *rt, void (*fn)(hl_object *op, void *arg), void *arg)
{
    for (size_t i = 0; i < rt->globals.count; i++)
        fn(rt->globals.items[i], arg);
    for (size_t i = 0; i < rt->frames.count; i++)
        fn(rt->frames.items[i], arg);
}

void hl_roots_clear(hl_runtime *rt)
{
    stack_release(rt, &rt->frames);
    stack_release(rt, &rt->globals);
}

static bool stack_validate(const hl_object_stack *stack, const char *what, char *why,
                           size_t why_size)
{
    if (stack->count > stack->capacity || (stack->items == NULL) != (stack->capacity == 0)) {
        snprintf(why, why_size, "%s: count %zu, capacity %zu", what, stack->count,
                 stack->capacity);
        return false;
    }
    for (size_t i = 0; i < stack->count; i++) {
        if (stack->items[i] == NULL || !hl_is_alive(stack->items[i])) {
            snprintf(why, why_size, "%s: entry %zu is dead", what, i);
            return false;
        }
    }
    return true;
}

bool hl_roots_validate(const hl_runtime *rt, char *why, size_t why_size)
{
    return stack_validate(&rt->globals, "root globals", why, why_size) &&
           stack_validate(&rt->frames, "root frames", why, why_size);
}
