/*
 * objects/class.c — user classes and their instances.
 *
 * A class object embeds the hl_type of its instances, as a CPython heap type
 * is itself the type of its instances; an instance's type pointer points
 * into its class, and the instance holds a reference to the class (visited
 * by traverse, so class <-> instance cycles are found).  The type's finalize
 * and legacy_del slots are set only when the class has them, so the
 * collector's "has a finalizer" test is the same pointer test as for any
 * type.
 *
 *     instance:  | hl_object | dict | weaklist | slots[n] | payload bytes |
 */
#include "runtime.h"

#include <stddef.h>
#include <string.h>

/* Invariant: instance_type.name points into `name`'s text; the class is
   alive while any instance is (each holds a reference). */
typedef struct class_object {
    hl_object ob;
    hl_type instance_type;     /* the type of this class's instances */
    hl_object *name;           /* str, owned */
    hl_object *dict;           /* class attributes, owned */
    hl_finalizer_fn finalize;  /* __del__ or NULL */
    hl_finalizer_fn legacy_del; /* tp_del or NULL */
    void *user;                /* passed to both */
    size_t slots;              /* attribute slots per instance */
    size_t payload;            /* opaque bytes per instance */
    hl_object *weaklist;       /* weakrefs to the class */
} class_object;

typedef struct instance_object {
    hl_object ob;
    hl_object *dict;     /* __dict__, made on first hl_setattr; owned */
    hl_object *weaklist; /* weakrefs to the instance */
    hl_object *slot[];   /* `slots` owned references (NULL = unset) */
} instance_object;

static class_object *class_of(const hl_object *inst)
{
    return (class_object *)((char *)inst->type - offsetof(class_object, instance_type));
}

static size_t instance_bytes(const class_object *c)
{
    return offsetof(instance_object, slot) + c->slots * sizeof(hl_object *) + c->payload;
}

/* ---- instances --------------------------------------------------------- */

static int instance_traverse(hl_object *op, hl_visit_fn visit, void *arg)
{
    instance_object *o = (instance_object *)op;
    class_object *c = class_of(op);
    int r = visit(&c->ob, arg);
    if (r == 0 && o->dict)
        r = visit(o->dict, arg);
    for (size_t i = 0; r == 0 && i < c->slots; i++)
        if (o->slot[i])
            r = visit(o->slot[i], arg);
    return r;
}

static void instance_clear(hl_runtime *rt, hl_object *op)
{
    instance_object *o = (instance_object *)op;
    class_object *c = class_of(op);
    for (size_t i = 0; i < c->slots; i++)
        hl_clearref(rt, &o->slot[i]);
    hl_clearref(rt, &o->dict);
}

static void instance_dealloc(hl_runtime *rt, hl_object *op)
{
    class_object *c = class_of(op);
    instance_clear(rt, op);
    hl_object_free(rt, op, instance_bytes(c));
    hl_decref(rt, &c->ob); /* last: the type must outlive the free */
}

static void instance_finalize(hl_runtime *rt, hl_object *op)
{
    class_object *c = class_of(op);
    c->finalize(rt, op, c->user);
}

static void instance_legacy_del(hl_runtime *rt, hl_object *op)
{
    class_object *c = class_of(op);
    c->legacy_del(rt, op, c->user);
}

bool hl_is_instance(const hl_object *op)
{
    return op->type->dealloc == instance_dealloc;
}

hl_object *hl_instance_new(hl_runtime *rt, hl_object *cls)
{
    class_object *c = (class_object *)cls;
    size_t bytes = instance_bytes(c);
    instance_object *o = (instance_object *)hl_object_new(rt, &c->instance_type, bytes);
    if (o == NULL)
        return NULL;
    memset((char *)o + sizeof(hl_object), 0, bytes - sizeof(hl_object));
    hl_incref(cls);
    hl_gc_track(rt, &o->ob);
    return &o->ob;
}

hl_object *hl_instance_class(const hl_object *inst)
{
    return &class_of(inst)->ob;
}

void hl_instance_set(hl_runtime *rt, hl_object *inst, size_t i, hl_object *value)
{
    hl_xincref(value);
    hl_setref(rt, &((instance_object *)inst)->slot[i], value);
}

hl_object *hl_instance_get(const hl_object *inst, size_t i)
{
    return ((const instance_object *)inst)->slot[i];
}

size_t hl_instance_slots(const hl_object *inst)
{
    return class_of(inst)->slots;
}

void *hl_instance_payload(hl_object *inst)
{
    return &((instance_object *)inst)->slot[class_of(inst)->slots];
}

hl_object *hl_instance_dict(const hl_object *inst)
{
    return ((const instance_object *)inst)->dict;
}

int hl_setattr(hl_runtime *rt, hl_object *inst, const char *name, hl_object *value)
{
    instance_object *o = (instance_object *)inst;
    if (o->dict == NULL && (o->dict = hl_dict_new(rt)) == NULL)
        return -1;
    return hl_dict_set_str(rt, o->dict, name, value);
}

hl_object *hl_getattr(const hl_object *inst, const char *name)
{
    const instance_object *o = (const instance_object *)inst;
    return o->dict ? hl_dict_get_str(o->dict, name) : NULL;
}

/* ---- classes ----------------------------------------------------------- */

static int class_traverse(hl_object *op, hl_visit_fn visit, void *arg)
{
    class_object *c = (class_object *)op;
    int r = c->dict ? visit(c->dict, arg) : 0;
    if (r == 0 && c->name)
        r = visit(c->name, arg);
    return r;
}

static void class_clear(hl_runtime *rt, hl_object *op)
{
    /* The name stays: instances still alive read their type's name. */
    hl_clearref(rt, &((class_object *)op)->dict);
}

static void class_dealloc(hl_runtime *rt, hl_object *op)
{
    class_object *c = (class_object *)op;
    hl_clearref(rt, &c->dict);
    hl_clearref(rt, &c->name);
    hl_object_free(rt, op, sizeof(class_object));
}

const hl_type hl_class_type = {
    .name = "type",
    .basic_size = sizeof(class_object),
    .flags = HL_TYPE_CONTAINER,
    .traverse = class_traverse,
    .clear = class_clear,
    .dealloc = class_dealloc,
    .weaklist_offset = offsetof(class_object, weaklist),
};

hl_object *hl_class_new(hl_runtime *rt, const hl_class_spec *spec)
{
    if (spec->slots > 1u << 20 || spec->payload > 1u << 20)
        return NULL;
    class_object *c = (class_object *)hl_object_new(rt, &hl_class_type, sizeof *c);
    if (c == NULL)
        return NULL;
    c->name = NULL;
    c->dict = NULL;
    c->weaklist = NULL;
    c->finalize = spec->finalize;
    c->legacy_del = spec->legacy_del;
    c->user = spec->user;
    c->slots = spec->slots;
    c->payload = (spec->payload + 15) & ~(size_t)15;
    c->instance_type = (hl_type){
        .name = "instance",
        .basic_size = instance_bytes(c),
        .flags = HL_TYPE_CONTAINER | (spec->legacy_del ? HL_TYPE_LEGACY_DEL : 0),
        .traverse = instance_traverse,
        .clear = instance_clear,
        .finalize = spec->finalize ? instance_finalize : NULL,
        .dealloc = instance_dealloc,
        .legacy_del = spec->legacy_del ? instance_legacy_del : NULL,
        .weaklist_offset = offsetof(instance_object, weaklist),
    };
    c->name = hl_str(rt, spec->name ? spec->name : "?");
    c->dict = c->name ? hl_dict_new(rt) : NULL;
    if (c->dict == NULL) {
        hl_decref(rt, &c->ob);
        return NULL;
    }
    c->instance_type.name = hl_str_value(c->name);
    hl_gc_track(rt, &c->ob);
    return &c->ob;
}

hl_object *hl_class_dict(const hl_object *cls)
{
    return ((const class_object *)cls)->dict;
}

void *hl_class_user(const hl_object *cls)
{
    return ((const class_object *)cls)->user;
}
