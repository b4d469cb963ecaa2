/*
 * cpython/launcher.c — build/heaplab-python: Debian's CPython 3.11, linked
 * statically from libpython3.11.a as /usr/bin/python3.11 is, with a heaplab
 * allocator as CPython's object allocator.
 *
 * It is started by `heaplab python` (harness/python.c) through a symlink
 * whose folder names the configuration (launch_config.h), and by every
 * child the program starts with sys.executable, which is that same symlink.
 *
 * The order of installation is the whole trick (PEP 445):
 *
 *   1. Py_PreInitializeFromBytesArgs, with the same pre-configuration
 *      Py_BytesMain uses: it reads PYTHONMALLOC, -X dev, -E and -I and
 *      installs CPython's own allocators for all three domains.
 *   2. PyMem_SetAllocator for PYMEM_DOMAIN_OBJ (and PYMEM_DOMAIN_MEM with
 *      --domains obj,mem; never RAW, which CPython calls without the GIL).
 *      Installing before step 1 would be undone by it.  Nothing has been
 *      allocated in those domains yet: pre-initialization uses RAW only.
 *   3. If step 1 installed CPython's debug hooks (PYTHONMALLOC=debug,
 *      pymalloc_debug, malloc_debug, -X dev), PyMem_SetupDebugHooks puts
 *      them back on top of the heaplab allocator.
 *   4. Py_BytesMain, which finds the runtime pre-initialized and keeps it.
 *
 * Started without a configuration (run directly, or through a copy of the
 * binary) it is the `cpython` baseline: nothing is replaced.
 */
#include "launch_config.h"
#include "pymem_hooks.h"

#include <Python.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Exit status for a configuration the launcher cannot honour; `heaplab
   python` checks everything first, so this means a stale or forged link. */
#define LAUNCH_FAILED 2

static hl_py_config config;

#if defined(__SANITIZE_ADDRESS__)
/* Under `make SAN=1`: CPython leaves memory allocated at exit by design,
   which is not a heaplab leak; the allocators' own leaks are checked by
   the conformance suites. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}
#endif

/* The path children must run: the same configuration minus record=FILE
   layers, made if needed.  Falls back to argv0 when it cannot be made. */
static char *child_executable(const char *argv0)
{
    hl_py_config child = config;
    hl_py_spec_without_record(config.spec, child.spec, sizeof child.spec);
    if (strcmp(child.spec, config.spec) == 0)
        return (char *)argv0;
    static char path[PATH_MAX];
    char self[PATH_MAX], err[300];
    if (realpath("/proc/self/exe", self) == NULL ||
        !hl_py_link_make(self, &child, path, sizeof path, err, sizeof err)) {
        fprintf(stderr, "heaplab-python: children will record too: %s\n", err);
        return (char *)argv0;
    }
    return path;
}

static bool debug_hooks_requested(void)
{
    const char *name = _PyMem_GetCurrentAllocatorName();
    size_t n = name ? strlen(name) : 0;
    return n >= 5 && strcmp(name + n - 5, "debug") == 0;
}

int main(int argc, char **argv)
{
    if (argc < 1)
        return LAUNCH_FAILED;
    if (!hl_py_config_find(argv[0], &config))
        return Py_BytesMain(argc, argv);

    PyPreConfig preconfig;
    PyPreConfig_InitPythonConfig(&preconfig);
    PyStatus status = Py_PreInitializeFromBytesArgs(&preconfig, argc, argv);
    if (PyStatus_Exception(status))
        Py_ExitStatusException(status);

    hl_allocator *allocator = NULL;
    if (strcmp(config.spec, HL_PY_BASELINE) != 0) {
        char err[300];
        if (hl_py_spec_refused(config.spec, err, sizeof err)) {
            fprintf(stderr, "heaplab-python: %s\n", err);
            return LAUNCH_FAILED;
        }
        allocator = hl_allocator_open(config.spec, err, sizeof err);
        if (allocator == NULL) {
            fprintf(stderr, "heaplab-python: %s\n", err);
            return LAUNCH_FAILED;
        }
        bool debug = debug_hooks_requested();
        hl_py_hooks_install(allocator, &config);
        if (debug)
            PyMem_SetupDebugHooks();
        argv[0] = child_executable(argv[0]);
    }
    if (config.stats[0] != '\0')
        hl_py_stats_at_exit(allocator, &config, argc, argv);
    return Py_BytesMain(argc, argv);
}
