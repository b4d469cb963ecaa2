/*
 * cpython/launch_config.h — what `heaplab python` hands to the launcher
 * (build/heaplab-python), and how it travels.
 *
 * The choice of allocator must reach every process of a Python program:
 * test-runner workers, subprocesses, sys.executable run under -E or -I and
 * with an empty environment.  An environment variable would not survive
 * those, so the choice travels in the executable's path.  `heaplab python`
 * makes, once per configuration, a folder in the build folder
 *
 *      BUILD/python-alloc/NAME/python3  ->  BUILD/heaplab-python   (symlink)
 *
 * where NAME encodes the configuration, and starts the launcher through that
 * symlink.  CPython sets sys.executable to the path it was started as (it
 * resolves the symlink only to look for its standard library), so every
 * child started with sys.executable comes back through the same folder and
 * decodes the same NAME.
 *
 * NAME is  SPEC~DOMAINS  or  SPEC~DOMAINS~STATS  where DOMAINS is "obj" or
 * "obj,mem" and STATS the absolute path of the --stats file; SPEC and STATS
 * are percent-encoded so that NAME holds only [A-Za-z0-9._,=+-], '%' and
 * the separators: no '/', and no ':' that would split a PATH list holding
 * the folder.  A NAME longer than NAME_MAX is refused.
 */
#ifndef HEAPLAB_LAUNCH_CONFIG_H
#define HEAPLAB_LAUNCH_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define HL_PY_LINK_DIR "python-alloc" /* folder of the configurations */
#define HL_PY_LINK_EXE "python3"      /* the symlink in each of them */
#define HL_PY_LAUNCHER "heaplab-python"
#define HL_PY_BASELINE "cpython"      /* the spec that changes nothing */
#define HL_PY_SPEC_MAX 1024

typedef struct hl_py_config {
    char spec[HL_PY_SPEC_MAX]; /* allocator spec, or "cpython" */
    bool mem_domain;           /* PYMEM_DOMAIN_MEM too, not only OBJ */
    char stats[PATH_MAX];      /* absolute path of the stats file, or "" */
} hl_py_config;

/* Writes the folder NAME of a configuration; false when it does not fit. */
bool hl_py_config_encode(const hl_py_config *config, char *name, size_t size);
/* Reads a NAME back; false when name is not one. */
bool hl_py_config_decode(const char *name, hl_py_config *config);
/* Parses "obj" or "obj,mem"; false for anything else. */
bool hl_py_parse_domains(const char *text, bool *mem_domain);

/*
 * Makes (or repairs) BUILD/python-alloc/NAME/python3 -> launcher, where
 * BUILD is the launcher's folder, and writes its path to out.  Safe to run
 * from many processes at once: a wrong or missing link is replaced by an
 * atomic rename.  On failure writes the reason to err and returns false.
 */
bool hl_py_link_make(const char *launcher, const hl_py_config *config, char *out,
                     size_t out_size, char *err, size_t err_size);

/*
 * Finds the configuration a launcher was started with: follows argv0
 * (searched in PATH when it has no '/') through its chain of symlinks until
 * a path BUILD/python-alloc/NAME/EXE whose NAME decodes.  A venv's python,
 * a symlink to such a path, therefore keeps the configuration.  Returns
 * false when there is none.
 */
bool hl_py_config_find(const char *argv0, hl_py_config *config);

/* Removes the record=FILE layers from a spec: children of a recorded
   process run on the allocator underneath, so they never write over the
   parent's trace. */
void hl_py_spec_without_record(const char *spec, char *out, size_t out_size);

/* True (with the reason in err) for a spec that cannot sit under CPython:
   one naming `pymalloc`, which is CPython's own allocator. */
bool hl_py_spec_refused(const char *spec, char *err, size_t err_size);

#endif
