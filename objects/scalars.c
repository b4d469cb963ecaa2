/*
 * objects/scalars.c — int, float and str: immutable, never tracked, holding
 * no references.  ints are machine-sized (int64_t); -5..256 come from the
 * runtime's small-int cache, made on first use, so creating 100 twice gives
 * the same object and 1000 twice gives two.  Hashes follow CPython's for
 * ints (value, with -1 mapped to -2) and use FNV-1a for str.
 */
#include "runtime.h"

#include <math.h>
#include <string.h>

typedef struct int_object {
    hl_object ob;
    int64_t value;
} int_object;

typedef struct float_object {
    hl_object ob;
    double value;
} float_object;

/* Invariant: bytes[length] == '\0'. */
typedef struct str_object {
    hl_object ob;
    size_t length; /* bytes, terminator excluded */
    char bytes[];  /* the text */
} str_object;

static void int_dealloc(hl_runtime *rt, hl_object *op)
{
    hl_object_free(rt, op, sizeof(int_object));
}

static uint64_t int_hash(const hl_object *op)
{
    int64_t v = ((const int_object *)op)->value;
    return (uint64_t)(v == -1 ? -2 : v);
}

static bool number_equal(const hl_object *a, const hl_object *b);

const hl_type hl_int_type = {
    .name = "int",
    .basic_size = sizeof(int_object),
    .dealloc = int_dealloc,
    .hash = int_hash,
    .equal = number_equal,
};

hl_object *hl_int(hl_runtime *rt, int64_t value)
{
    bool small = value >= HL_SMALL_INT_MIN && value <= HL_SMALL_INT_MAX;
    hl_object **cached = small ? &rt->small_ints[value - HL_SMALL_INT_MIN] : NULL;
    if (cached && *cached) {
        hl_incref(*cached);
        return *cached;
    }
    int_object *o = (int_object *)hl_object_new(rt, &hl_int_type, sizeof *o);
    if (o == NULL)
        return NULL;
    o->value = value;
    if (cached) {
        hl_incref(&o->ob); /* the cache's own reference */
        *cached = &o->ob;
    }
    return &o->ob;
}

int64_t hl_int_value(const hl_object *op)
{
    return ((const int_object *)op)->value;
}

static void float_dealloc(hl_runtime *rt, hl_object *op)
{
    if (!hl_free_list_push(rt, &rt->free_float, HL_FREE_LIST_FLOAT, op))
        hl_object_free(rt, op, sizeof(float_object));
}

static uint64_t float_hash(const hl_object *op)
{
    double v = ((const float_object *)op)->value;
    if (v == floor(v) && fabs(v) < 9.2e18) /* equal ints and floats hash alike */
        return int_hash(&(int_object){.value = (int64_t)v}.ob);
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return bits * 0x9e3779b97f4a7c15u;
}

const hl_type hl_float_type = {
    .name = "float",
    .basic_size = sizeof(float_object),
    .dealloc = float_dealloc,
    .hash = float_hash,
    .equal = number_equal,
};

hl_object *hl_float(hl_runtime *rt, double value)
{
    float_object *o = (float_object *)hl_free_list_pop(rt, &rt->free_float);
    if (o == NULL && (o = (float_object *)hl_object_new(rt, &hl_float_type, sizeof *o)) == NULL)
        return NULL;
    o->value = value;
    return &o->ob;
}

double hl_float_value(const hl_object *op)
{
    return ((const float_object *)op)->value;
}

static double number_value(const hl_object *op)
{
    return op->type == &hl_int_type ? (double)hl_int_value(op) : hl_float_value(op);
}

static bool number_equal(const hl_object *a, const hl_object *b)
{
    bool a_num = a->type == &hl_int_type || a->type == &hl_float_type;
    bool b_num = b->type == &hl_int_type || b->type == &hl_float_type;
    if (!a_num || !b_num)
        return false;
    if (a->type == &hl_int_type && b->type == &hl_int_type)
        return hl_int_value(a) == hl_int_value(b);
    return number_value(a) == number_value(b);
}

static size_t str_size(size_t length)
{
    return offsetof(str_object, bytes) + length + 1;
}

static void str_dealloc(hl_runtime *rt, hl_object *op)
{
    hl_object_free(rt, op, str_size(((str_object *)op)->length));
}

static uint64_t str_hash(const hl_object *op)
{
    const str_object *s = (const str_object *)op;
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < s->length; i++)
        h = (h ^ (unsigned char)s->bytes[i]) * 0x100000001b3u;
    return h;
}

static bool str_equal(const hl_object *a, const hl_object *b)
{
    if (b->type != &hl_str_type)
        return false;
    const str_object *x = (const str_object *)a, *y = (const str_object *)b;
    return x->length == y->length && memcmp(x->bytes, y->bytes, x->length) == 0;
}

const hl_type hl_str_type = {
    .name = "str",
    .basic_size = offsetof(str_object, bytes) + 1,
    .dealloc = str_dealloc,
    .hash = str_hash,
    .equal = str_equal,
};

hl_object *hl_str_sized(hl_runtime *rt, const char *bytes, size_t length)
{
    if (length > HL_ALLOC_MAX_REQUEST)
        return NULL;
    str_object *o = (str_object *)hl_object_new(rt, &hl_str_type, str_size(length));
    if (o == NULL)
        return NULL;
    o->length = length;
    memcpy(o->bytes, bytes, length);
    o->bytes[length] = '\0';
    return &o->ob;
}

hl_object *hl_str(hl_runtime *rt, const char *text)
{
    return hl_str_sized(rt, text, strlen(text));
}

const char *hl_str_value(const hl_object *op)
{
    return ((const str_object *)op)->bytes;
}

size_t hl_str_length(const hl_object *op)
{
    return ((const str_object *)op)->length;
}

/* ---- equality and hash for any object ---------------------------------- */

bool hl_equal(const hl_object *a, const hl_object *b)
{
    if (a == b)
        return true;
    return a->type->equal ? a->type->equal(a, b) : false;
}

uint64_t hl_hash(const hl_object *op)
{
    if (op->type->hash)
        return op->type->hash(op);
    uint64_t addr = (uint64_t)(uintptr_t)op; /* identity, as object.__hash__ */
    return (addr >> 4) | (addr << 60);
}
