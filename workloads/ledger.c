/*
 * workloads/ledger.c — the two extension types whose objects the backlog
 * counts, and the drop walk (workload.h says why this makes the count
 * exact).
 *
 *     Node:  | hl_object | ledger | slots | flags | slot[0] ... slot[n-1] |
 *     Blob:  | hl_object | ledger | bytes | flags | data[bytes]            |
 *
 * A Node is a tracked container, traversed and cleared like a tuple that
 * can be mutated; a Blob holds no references and is never tracked.  Each
 * object points to its ledger (the type is static, so it cannot), so its
 * dealloc can settle the account whoever frees it.  The drop walk uses a
 * stack from the C library, not from the stack under test, so measuring
 * never shows in the measured allocator's figures.
 */
#include "workload.h"

#include <stdio.h>
#include <stdlib.h>

enum { LEDGER_DROPPED = 1u << 0 };

/* Invariant: flags has LEDGER_DROPPED exactly when the object is counted in
   its ledger's backlog; `count` is the slot count (Node) or data bytes
   (Blob), fixed at creation. */
typedef struct ledger_object {
    hl_object ob;
    hl_ledger *ledger;
    size_t count;
    unsigned flags;
} ledger_object;

typedef struct ledger_node {
    ledger_object lo;
    hl_object *slot[];
} ledger_node;

typedef struct ledger_blob {
    ledger_object lo;
    unsigned char data[];
} ledger_blob;

static size_t node_bytes(size_t slots)
{
    return sizeof(ledger_node) + slots * sizeof(hl_object *);
}

static size_t blob_bytes(size_t bytes)
{
    return sizeof(ledger_blob) + bytes;
}

static const hl_type node_type, blob_type;

static bool is_ledger_object(const hl_object *op)
{
    return op->type == &node_type || op->type == &blob_type;
}

/* The allocator block of a ledger object, collector header included. */
static size_t block_bytes(const ledger_object *o)
{
    if (o->ob.type == &blob_type)
        return blob_bytes(o->count);
    return o->ledger->header_size + node_bytes(o->count);
}

static void settle(ledger_object *o)
{
    hl_ledger *l = o->ledger;
    l->live_objects--;
    if (o->flags & LEDGER_DROPPED) {
        l->backlog_objects--;
        l->backlog_bytes -= block_bytes(o);
    }
}

/* ---- Node ------------------------------------------------------------------ */

static int node_traverse(hl_object *op, hl_visit_fn visit, void *arg)
{
    ledger_node *n = (ledger_node *)op;
    for (size_t i = 0; i < n->lo.count; i++)
        if (n->slot[i]) {
            int r = visit(n->slot[i], arg);
            if (r)
                return r;
        }
    return 0;
}

static void node_clear(hl_runtime *rt, hl_object *op)
{
    ledger_node *n = (ledger_node *)op;
    for (size_t i = 0; i < n->lo.count; i++)
        hl_clearref(rt, &n->slot[i]);
}

static void node_dealloc(hl_runtime *rt, hl_object *op)
{
    ledger_node *n = (ledger_node *)op;
    settle(&n->lo);
    node_clear(rt, op);
    hl_object_free(rt, op, node_bytes(n->lo.count));
}

static const hl_type node_type = {
    .name = "Node",
    .basic_size = sizeof(ledger_node),
    .flags = HL_TYPE_CONTAINER,
    .traverse = node_traverse,
    .clear = node_clear,
    .dealloc = node_dealloc,
};

hl_object *hl_ledger_node(hl_runtime *rt, hl_ledger *ledger, size_t slots)
{
    ledger_node *n = (ledger_node *)hl_object_new(rt, &node_type, node_bytes(slots));
    if (n == NULL)
        return NULL;
    n->lo.ledger = ledger;
    n->lo.count = slots;
    n->lo.flags = 0;
    for (size_t i = 0; i < slots; i++)
        n->slot[i] = NULL;
    ledger->live_objects++;
    hl_gc_track(rt, &n->lo.ob);
    return &n->lo.ob;
}

void hl_ledger_set(hl_runtime *rt, hl_object *node, size_t i, hl_object *value)
{
    hl_xincref(value);
    hl_setref(rt, &((ledger_node *)node)->slot[i], value);
}

hl_object *hl_ledger_get(const hl_object *node, size_t i)
{
    return ((const ledger_node *)node)->slot[i];
}

/* ---- Blob ------------------------------------------------------------------ */

static void blob_dealloc(hl_runtime *rt, hl_object *op)
{
    ledger_blob *b = (ledger_blob *)op;
    settle(&b->lo);
    hl_object_free(rt, op, blob_bytes(b->lo.count));
}

static const hl_type blob_type = {
    .name = "Blob",
    .basic_size = sizeof(ledger_blob),
    .dealloc = blob_dealloc,
};

hl_object *hl_ledger_blob(hl_runtime *rt, hl_ledger *ledger, size_t bytes)
{
    ledger_blob *b = (ledger_blob *)hl_object_new(rt, &blob_type, blob_bytes(bytes));
    if (b == NULL)
        return NULL;
    b->lo.ledger = ledger;
    b->lo.count = bytes;
    b->lo.flags = 0;
    /* Written, as a received buffer is, so its pages count as resident. */
    for (size_t i = 0; i < bytes; i += 512)
        b->data[i] = (unsigned char)i;
    ledger->live_objects++;
    return &b->lo.ob;
}

/* ---- dropping ---------------------------------------------------------------- */

static bool push(hl_ledger *l, size_t *top, hl_object *op)
{
    if (*top == l->walk_capacity) {
        size_t capacity = l->walk_capacity ? 2 * l->walk_capacity : 64;
        hl_object **walk = realloc(l->walk, capacity * sizeof *walk);
        if (walk == NULL) {
            l->failed = true;
            return false;
        }
        l->walk = walk;
        l->walk_capacity = capacity;
    }
    l->walk[(*top)++] = op;
    return true;
}

/* Marks an undropped ledger object and counts it; false if it was not one. */
static bool mark(hl_ledger *l, hl_object *op)
{
    if (!is_ledger_object(op))
        return false;
    ledger_object *o = (ledger_object *)op;
    if (o->flags & LEDGER_DROPPED)
        return false;
    o->flags |= LEDGER_DROPPED;
    size_t bytes = block_bytes(o);
    l->backlog_objects++;
    l->backlog_bytes += bytes;
    l->dropped_objects++;
    l->dropped_bytes += bytes;
    return true;
}

typedef struct walk_state {
    hl_ledger *ledger;
    size_t top;
} walk_state;

static int visit_mark(hl_object *op, void *arg)
{
    walk_state *w = arg;
    if (mark(w->ledger, op))
        push(w->ledger, &w->top, op);
    return 0;
}

void hl_ledger_drop(hl_ledger *ledger, hl_object *op)
{
    walk_state w = {ledger, 0};
    if (mark(ledger, op) && push(ledger, &w.top, op)) {
        while (w.top > 0) {
            hl_object *next = ledger->walk[--w.top];
            if (next->type == &node_type)
                node_traverse(next, visit_mark, &w);
        }
    }
    if (ledger->backlog_objects > ledger->max_objects)
        ledger->max_objects = ledger->backlog_objects;
    if (ledger->backlog_bytes > ledger->max_bytes)
        ledger->max_bytes = ledger->backlog_bytes;
}

void hl_ledger_release(hl_ledger *ledger)
{
    free(ledger->walk);
    ledger->walk = NULL;
    ledger->walk_capacity = 0;
}

void hl_ledger_init(hl_ledger *ledger, hl_runtime *rt)
{
    *ledger = (hl_ledger){0};
    /* The collector's header, measured: one node made with collection off
       (so nothing else is freed meanwhile) and its block compared with the
       object's own size. */
    hl_allocator *a = hl_runtime_allocator(rt);
    bool enabled = hl_gc_isenabled(rt);
    hl_gc_disable(rt);
    size_t before = a->counts.live_bytes;
    hl_object *probe = hl_ledger_node(rt, ledger, 0);
    if (probe) {
        ledger->header_size = a->counts.live_bytes - before - node_bytes(0);
        hl_decref(rt, probe);
    }
    if (enabled)
        hl_gc_enable(rt);
}

bool hl_ledger_validate(const hl_ledger *l, char *why, size_t why_size)
{
    if (l->backlog_objects > l->max_objects || l->backlog_bytes > l->max_bytes) {
        snprintf(why, why_size, "backlog %zu objects / %zu bytes above its maximum %zu / %zu",
                 l->backlog_objects, l->backlog_bytes, l->max_objects, l->max_bytes);
        return false;
    }
    if (l->backlog_objects > l->live_objects || l->backlog_objects > l->dropped_objects ||
        l->backlog_bytes > l->dropped_bytes || (l->backlog_objects == 0) != (l->backlog_bytes == 0)) {
        snprintf(why, why_size,
                 "backlog %zu objects / %zu bytes against %zu live, %llu / %llu dropped",
                 l->backlog_objects, l->backlog_bytes, l->live_objects,
                 (unsigned long long)l->dropped_objects, (unsigned long long)l->dropped_bytes);
        return false;
    }
    return true;
}
