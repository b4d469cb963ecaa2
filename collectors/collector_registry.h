/*
 * collectors/collector_registry.h — every collector's one external symbol,
 * and lookup by short name.
 */
#ifndef HEAPLAB_COLLECTOR_REGISTRY_H
#define HEAPLAB_COLLECTOR_REGISTRY_H

#include "collector.h"

const hl_collector_ops *hl_collector_none(void);
const hl_collector_ops *hl_collector_stw(void);
const hl_collector_ops *hl_collector_generational(void);
const hl_collector_ops *hl_collector_incremental(void);
const hl_collector_ops *hl_collector_ft(void);

size_t hl_collector_count(void);
const hl_collector_ops *hl_collector_at(size_t i);
/* name need not be NUL-terminated: len bytes are compared. */
const hl_collector_ops *hl_collector_find(const char *name, size_t len);
/* The table of a spec's name ("stw=700" -> stw's), NULL if unknown.  Its
   flags say what the collector can do without opening it. */
const hl_collector_ops *hl_collector_lookup(const char *spec);

#endif
