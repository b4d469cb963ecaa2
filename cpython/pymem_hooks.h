/*
 * cpython/pymem_hooks.h — a heaplab allocator behind CPython's PEP 445
 * allocator API, and the per-process statistics line.
 */
#ifndef HEAPLAB_PYMEM_HOOKS_H
#define HEAPLAB_PYMEM_HOOKS_H

#include "allocator.h"
#include "launch_config.h"

/*
 * Installs `allocator` (already opened, kept for the life of the process)
 * as PYMEM_DOMAIN_OBJ, and PYMEM_DOMAIN_MEM too when config->mem_domain.
 * With config->stats set every call also keeps exact live bytes (see
 * pymem_hooks.c); without it the hooks only forward and count calls.
 * Must run after pre-initialization and before Py_BytesMain.
 */
void hl_py_hooks_install(hl_allocator *allocator, const hl_py_config *config);

/*
 * Arranges for one JSON line describing this process to be appended to
 * config->stats when the process exits through exit() or a return from
 * main (os._exit and fatal signals write nothing).  allocator is NULL for
 * the cpython baseline, whose calls heaplab does not see.
 */
void hl_py_stats_at_exit(hl_allocator *allocator, const hl_py_config *config, int argc,
                         char **argv);

#endif
