/*
 * collectors/ft_mark.c — phase 0 of `ft`: mark alive from the roots, as
 * CPython 3.14t's gc_mark_alive_from_roots (gh-128807), with or without
 * its prefetch buffer.
 *
 * Everything reachable from the runtime's roots (hl_roots_for_each:
 * globals and frames) gets ALIVE and a slot at the front of the
 * collection table; trial deletion then leaves it out: it is known to be
 * reachable.  An object another root cannot see (an untracked holder, a
 * reference from C) is simply not marked and goes through trial deletion,
 * which is always correct.
 *
 * Without the ring: a depth-first walk with an explicit stack; each object
 * is examined as soon as a traverse reports it.
 *
 * With the ring (3.14t's gc_mark_buffer): a pointer is prefetched when it
 * enters a FIFO of FT_RING entries and examined only when it leaves, so the
 * cache miss of reading an object overlaps the work on the ones before it.
 * Pointers that find the ring full wait on the stack.  A list's or tuple's
 * items enter as one *span* (sequence, first index, end) instead of one
 * pointer each, unless the ring has room for all of them: a long list
 * would otherwise fill the stack with one entry per item.  When the ring
 * holds FT_RING_LOW entries or fewer it is primed up to FT_RING_HIGH from
 * the newest span, else from the stack — only that far, so a prefetch has
 * time to land and the stack stays shallow (3.14t's 256 / 8 / 16).
 * 3.14t uses the ring above 200,000 long-lived objects, where the heap no
 * longer fits in the caches; `ft=prefetch_from=N` moves that line.
 */
#include "ft_state.h"
#include "runtime.h"

#define FT_RING 256      /* entries, a power of two */
#define FT_RING_LOW 8    /* prime the ring when it holds this few */
#define FT_RING_HIGH 16  /* ... up to this many */

#if FT_RING & (FT_RING - 1) || FT_RING_LOW >= FT_RING_HIGH || FT_RING_HIGH >= FT_RING
#error "the ring must be a power of two above FT_RING_HIGH > FT_RING_LOW"
#endif

/* ---- without the ring -------------------------------------------------- */

static int visit_alive(hl_object *op, void *arg)
{
    ft_state *s = arg;
    intptr_t w = op->refcount;
    if (!ft_is_candidate_word(w) || (w & HL_REF_ALIVE))
        return 0;
    op->refcount = w | HL_REF_ALIVE;
    s->alive++;
    ft_table_add_alive(&s->table, op);
    if (!ft_stack_push(&s->stack, op))
        s->overflow = true;
    return 0;
}

static void root_alive(hl_object *op, void *arg)
{
    visit_alive(op, arg);
}

static void propagate_alive(ft_state *s)
{
    hl_object *op;
    while (!s->overflow && (op = ft_stack_pop(&s->stack)) != NULL)
        op->type->traverse(op, visit_alive, s);
}

/* ---- with the ring ----------------------------------------------------- */

/* Items [next, end) of a list or tuple, not yet in the ring.  Nothing
   runs during marking that could change the sequence. */
typedef struct ft_span {
    hl_object *seq;
    size_t next, end;
} ft_span;

/* Invariant: in - out <= FT_RING; entries [out, in) (mod FT_RING) were
   prefetched and wait to be examined, oldest first. */
typedef struct ring_mark {
    ft_state *s;
    unsigned in, out;
    ft_span *spans; /* a stack, from the C library */
    size_t span_count, span_capacity;
    hl_object *slot[FT_RING];
} ring_mark;

static inline unsigned ring_length(const ring_mark *m)
{
    return m->in - m->out;
}

static inline void ring_put(ring_mark *m, hl_object *op)
{
    __builtin_prefetch(op, 1, 3);
    m->slot[m->in++ & (FT_RING - 1)] = op;
}

static inline hl_object *item_of(const hl_object *seq, size_t i)
{
    return seq->type == &hl_list_type ? hl_list_get(seq, i) : hl_tuple_get(seq, i);
}

static int visit_alive_ring(hl_object *op, void *arg)
{
    ring_mark *m = arg;
    if (ring_length(m) < FT_RING)
        ring_put(m, op);
    else if (!ft_stack_push(&m->s->stack, op))
        m->s->overflow = true;
    return 0;
}

static void root_alive_ring(hl_object *op, void *arg)
{
    visit_alive_ring(op, arg);
}

static void push_span(ring_mark *m, hl_object *seq, size_t next, size_t end)
{
    if (m->span_count == m->span_capacity) {
        size_t capacity = m->span_capacity ? 2 * m->span_capacity : 64;
        ft_span *p = realloc(m->spans, capacity * sizeof *p);
        if (p == NULL) {
            m->s->overflow = true;
            return;
        }
        m->spans = p;
        m->span_capacity = capacity;
    }
    m->spans[m->span_count++] = (ft_span){seq, next, end};
}

/* A list's or tuple's items: into the ring now if they all fit, else as
   one span. */
static void enqueue_items(ring_mark *m, hl_object *seq, size_t n)
{
    if (n == 0)
        return;
    if (FT_RING - ring_length(m) < n) {
        push_span(m, seq, 0, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        hl_object *item = item_of(seq, i);
        if (item)
            ring_put(m, item);
    }
}

/* Up to FT_RING_HIGH entries, from the newest span or else the stack. */
static void prime(ring_mark *m)
{
    unsigned room = FT_RING_HIGH - ring_length(m);
    if (m->span_count) {
        ft_span *span = &m->spans[m->span_count - 1];
        while (room && span->next < span->end) {
            hl_object *item = item_of(span->seq, span->next++);
            if (item) {
                ring_put(m, item);
                room--;
            }
        }
        if (span->next == span->end)
            m->span_count--;
        return;
    }
    ft_stack *stack = &m->s->stack;
    while (room-- && stack->count)
        ring_put(m, stack->items[--stack->count]);
}

static void propagate_alive_ring(ring_mark *m)
{
    ft_state *s = m->s;
    while (!s->overflow) {
        if (ring_length(m) <= FT_RING_LOW) {
            prime(m);
            if (ring_length(m) == 0) {
                if (m->span_count == 0 && s->stack.count == 0)
                    return;
                continue; /* a span of NULL items ran out: prime again */
            }
        }
        hl_object *op = m->slot[m->out++ & (FT_RING - 1)];
        intptr_t w = op->refcount;
        if (!ft_is_candidate_word(w) || (w & HL_REF_ALIVE))
            continue;
        op->refcount = w | HL_REF_ALIVE;
        s->alive++;
        ft_table_add_alive(&s->table, op);
        const hl_type *type = op->type;
        if (type == &hl_list_type)
            enqueue_items(m, op, hl_list_size(op));
        else if (type == &hl_tuple_type)
            enqueue_items(m, op, hl_tuple_size(op));
        else
            type->traverse(op, visit_alive_ring, m);
    }
}

/* ---- the phase --------------------------------------------------------- */

static void clear_alive_block(void *block, size_t usable, void *arg)
{
    (void)usable, (void)arg;
    hl_object *op = block;
    if (op->refcount > 0)
        op->refcount &= ~HL_REF_ALIVE;
}

void hl_ft_clear_alive(ft_state *s)
{
    hl_allocator_visit_blocks(s->heap, clear_alive_block, s);
}

void hl_ft_mark_alive(ft_state *s, bool use_ring)
{
    s->stack.count = 0;
    if (use_ring) {
        ring_mark *m = malloc(sizeof *m);
        if (m == NULL)
            return; /* the phase is an optimisation: skip it */
        *m = (ring_mark){.s = s};
        hl_roots_for_each(s->rt, root_alive_ring, m);
        propagate_alive_ring(m);
        free(m->spans);
        free(m);
    } else {
        hl_roots_for_each(s->rt, root_alive, s);
        propagate_alive(s);
    }
    if (s->overflow) {
        /* Out of memory half way: no object may keep ALIVE (some of what
           it reaches may not have it), so the phase is undone, as CPython
           ft does. */
        hl_ft_clear_alive(s);
        s->stack.count = 0;
        s->overflow = false;
        s->alive = 0;
        s->table.front = 0;
    }
}
