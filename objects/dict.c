/*
 * objects/dict.c — dict: CPython's compact, insertion-ordered hash table
 * (Objects/dictobject.c since 3.6).
 *
 *     keys buffer (one allocation)
 *     +---------------------------+-----------------------------------+
 *     | indices[size]  (int32_t)  | entries[usable]  {hash, key, val} |
 *     +---------------------------+-----------------------------------+
 *       EMPTY -1, DUMMY -2, or      in insertion order; a deleted
 *       an index into entries       entry has key == NULL
 *
 * size is a power of two >= 8, usable = size * 2 / 3; probing is CPython's
 * perturbed sequence i = (5i + perturb + 1) mod size.  When the entries are
 * used up the table is rebuilt at the smallest size >= 3 * used, dropping
 * deleted entries.  An empty dict owns no buffer.
 *
 * Tracking, as CPython 3.11–3.13: a new dict is untracked and becomes
 * tracked when a key or value that may be tracked is stored in it (any
 * container but an untracked tuple).
 *
 * Invariants: used <= nentries <= usable; used counts entries with a key;
 * every entry with a key is reachable from exactly one index slot; the
 * number of DUMMY slots equals nentries - used.
 */
#include "runtime.h"

#include <string.h>

#define DICT_MIN_SIZE 8
#define IX_EMPTY (-1)
#define IX_DUMMY (-2)

typedef struct dict_entry {
    uint64_t hash;
    hl_object *key;   /* owned; NULL once deleted */
    hl_object *value; /* owned; NULL once deleted */
} dict_entry;

typedef struct dict_object {
    hl_object ob;
    size_t used;          /* live entries */
    size_t nentries;      /* entries written, deleted ones included */
    size_t size;          /* index slots, a power of two; 0 when no buffer */
    size_t usable;        /* entry slots */
    int32_t *indices;     /* start of the keys buffer */
    dict_entry *entries;  /* right after the indices */
} dict_object;

static size_t keys_bytes(size_t size, size_t usable)
{
    return size * sizeof(int32_t) + usable * sizeof(dict_entry);
}

static size_t usable_for(size_t size)
{
    return (size << 1) / 3;
}

static int dict_traverse(hl_object *op, hl_visit_fn visit, void *arg)
{
    dict_object *d = (dict_object *)op;
    for (size_t i = 0; i < d->nentries; i++) {
        dict_entry *e = &d->entries[i];
        if (e->key == NULL)
            continue;
        int r = visit(e->key, arg);
        if (r == 0)
            r = visit(e->value, arg);
        if (r)
            return r;
    }
    return 0;
}

/* Detaches the table first, so code run by the decrefs sees an empty dict. */
static void dict_clear_entries(hl_runtime *rt, dict_object *d)
{
    int32_t *indices = d->indices;
    dict_entry *entries = d->entries;
    size_t n = d->nentries, size = d->size, usable = d->usable;
    d->indices = NULL;
    d->entries = NULL;
    d->used = d->nentries = d->size = d->usable = 0;
    for (size_t i = 0; i < n; i++) {
        if (entries[i].key) {
            hl_decref(rt, entries[i].key);
            hl_decref(rt, entries[i].value);
        }
    }
    if (indices)
        hl_buffer_free(rt, indices, keys_bytes(size, usable));
}

static void dict_clear(hl_runtime *rt, hl_object *op)
{
    dict_clear_entries(rt, (dict_object *)op);
}

static void dict_dealloc(hl_runtime *rt, hl_object *op)
{
    dict_clear_entries(rt, (dict_object *)op);
    if (!hl_free_list_push(rt, &rt->free_dict, HL_FREE_LIST_DICT, op))
        hl_object_free(rt, op, sizeof(dict_object));
}

static bool dict_may_untrack(hl_runtime *rt, const hl_object *dict);

const hl_type hl_dict_type = {
    .name = "dict",
    .basic_size = sizeof(dict_object),
    .flags = HL_TYPE_CONTAINER | HL_TYPE_UNTRACK_WHEN_FULL,
    .may_untrack = dict_may_untrack,
    .traverse = dict_traverse,
    .clear = dict_clear,
    .dealloc = dict_dealloc,
};

hl_object *hl_dict_new(hl_runtime *rt)
{
    dict_object *d = (dict_object *)hl_free_list_pop(rt, &rt->free_dict);
    if (d == NULL && (d = (dict_object *)hl_object_new(rt, &hl_dict_type, sizeof *d)) == NULL)
        return NULL;
    d->used = d->nentries = d->size = d->usable = 0;
    d->indices = NULL;
    d->entries = NULL;
    return &d->ob; /* untracked until it holds something trackable */
}

/* Index slot of key, or of the empty slot where it would go. */
static size_t lookup_slot(const dict_object *d, const hl_object *key, uint64_t hash,
                          int32_t *ix_out)
{
    size_t mask = d->size - 1;
    size_t i = (size_t)hash & mask;
    uint64_t perturb = hash;
    for (;;) {
        int32_t ix = d->indices[i];
        if (ix == IX_EMPTY) {
            *ix_out = IX_EMPTY;
            return i;
        }
        if (ix >= 0) {
            const dict_entry *e = &d->entries[ix];
            if (e->key == key || (e->hash == hash && hl_equal(e->key, key))) {
                *ix_out = ix;
                return i;
            }
        }
        perturb >>= 5;
        i = (i * 5 + (size_t)perturb + 1) & mask;
    }
}

static size_t empty_slot(const dict_object *d, uint64_t hash)
{
    size_t mask = d->size - 1;
    size_t i = (size_t)hash & mask;
    uint64_t perturb = hash;
    while (d->indices[i] != IX_EMPTY) {
        perturb >>= 5;
        i = (i * 5 + (size_t)perturb + 1) & mask;
    }
    return i;
}

/* Rebuilds the table at the smallest size >= minused (CPython passes
   GROWTH_RATE = 3 * used), keeping only live entries. */
static int dict_resize(hl_runtime *rt, dict_object *d, size_t minused)
{
    size_t size = DICT_MIN_SIZE;
    while (size < minused) {
        if (size > ((size_t)1 << 30))
            return -1;
        size <<= 1;
    }
    size_t usable = usable_for(size);
    int32_t *indices = hl_buffer_alloc(rt, keys_bytes(size, usable));
    if (indices == NULL)
        return -1;
    dict_entry *entries = (dict_entry *)(indices + size);
    memset(indices, 0xff, size * sizeof(int32_t)); /* all IX_EMPTY */
    size_t n = 0;
    dict_object fresh = {.size = size, .indices = indices, .entries = entries};
    for (size_t i = 0; i < d->nentries; i++) {
        if (d->entries[i].key == NULL)
            continue;
        entries[n] = d->entries[i];
        indices[empty_slot(&fresh, entries[n].hash)] = (int32_t)n;
        n++;
    }
    if (d->indices)
        hl_buffer_free(rt, d->indices, keys_bytes(d->size, d->usable));
    d->indices = indices;
    d->entries = entries;
    d->size = size;
    d->usable = usable;
    d->nentries = n;
    return 0;
}

/* _PyDict_MaybeUntrack: a dict holding nothing that may be tracked. */
static bool dict_may_untrack(hl_runtime *rt, const hl_object *dict)
{
    const dict_object *d = (const dict_object *)dict;
    for (size_t i = 0; i < d->nentries; i++) {
        const dict_entry *e = &d->entries[i];
        if (e->key && (hl_may_be_tracked(rt, e->key) || hl_may_be_tracked(rt, e->value)))
            return false;
    }
    return true;
}

int hl_dict_set(hl_runtime *rt, hl_object *dict, hl_object *key, hl_object *value)
{
    dict_object *d = (dict_object *)dict;
    uint64_t hash = hl_hash(key);
    int32_t ix = IX_EMPTY;
    size_t slot = 0;
    if (d->size)
        slot = lookup_slot(d, key, hash, &ix);
    if (!hl_collector_is_tracked(rt->gc, dict) &&
        (hl_may_be_tracked(rt, key) || hl_may_be_tracked(rt, value)))
        hl_gc_track(rt, dict);
    if (ix >= 0) {
        hl_incref(value);
        hl_setref(rt, &d->entries[ix].value, value);
        return 0;
    }
    if (d->nentries == d->usable) {
        if (dict_resize(rt, d, (d->used + 1) * 3) < 0)
            return -1;
        slot = empty_slot(d, hash);
    }
    dict_entry *e = &d->entries[d->nentries];
    hl_incref(key);
    hl_incref(value);
    e->hash = hash;
    e->key = key;
    e->value = value;
    d->indices[slot] = (int32_t)d->nentries;
    d->nentries++;
    d->used++;
    return 0;
}

int hl_dict_set_str(hl_runtime *rt, hl_object *dict, const char *key, hl_object *value)
{
    hl_object *k = hl_str(rt, key);
    if (k == NULL)
        return -1;
    int r = hl_dict_set(rt, dict, k, value);
    hl_decref(rt, k);
    return r;
}

hl_object *hl_dict_get(const hl_object *dict, const hl_object *key)
{
    const dict_object *d = (const dict_object *)dict;
    if (d->used == 0)
        return NULL;
    int32_t ix;
    lookup_slot(d, key, hl_hash(key), &ix);
    return ix >= 0 ? d->entries[ix].value : NULL;
}

hl_object *hl_dict_get_str(const hl_object *dict, const char *key)
{
    /* A stack str with the same layout would need the type's internals;
       scan instead: attribute dicts are small. */
    const dict_object *d = (const dict_object *)dict;
    size_t len = strlen(key);
    for (size_t i = 0; i < d->nentries; i++) {
        const dict_entry *e = &d->entries[i];
        if (e->key && e->key->type == &hl_str_type && hl_str_length(e->key) == len &&
            memcmp(hl_str_value(e->key), key, len) == 0)
            return e->value;
    }
    return NULL;
}

int hl_dict_delete(hl_runtime *rt, hl_object *dict, const hl_object *key)
{
    dict_object *d = (dict_object *)dict;
    if (d->used == 0)
        return -1;
    int32_t ix;
    size_t slot = lookup_slot(d, key, hl_hash(key), &ix);
    if (ix < 0)
        return -1;
    dict_entry *e = &d->entries[ix];
    hl_object *old_key = e->key, *old_value = e->value;
    d->indices[slot] = IX_DUMMY;
    e->key = e->value = NULL;
    d->used--;
    hl_decref(rt, old_key);
    hl_decref(rt, old_value);
    return 0;
}

size_t hl_dict_size(const hl_object *dict)
{
    return ((const dict_object *)dict)->used;
}

bool hl_dict_next(const hl_object *dict, size_t *pos, hl_object **key, hl_object **value)
{
    const dict_object *d = (const dict_object *)dict;
    while (*pos < d->nentries) {
        const dict_entry *e = &d->entries[(*pos)++];
        if (e->key) {
            *key = e->key;
            *value = e->value;
            return true;
        }
    }
    return false;
}

void hl_dict_clear(hl_runtime *rt, hl_object *dict)
{
    dict_clear_entries(rt, (dict_object *)dict);
}
