/*
 * harness/compare.c — `heaplab compare [--cpu] OLD.json NEW.json`: checks
 * the arguments and hands the two Google Benchmark JSON files to
 * tools/heaplab_compare.py, which builds on Google Benchmark's own
 * compare.py (its gbench package, with scipy's Mann-Whitney U test) and adds
 * heaplab's counters, a geometric-mean line and Markdown.  README.md says
 * why the comparison is not written in C.
 *
 * The script is found next to the binary: BIN/../../tools/ for build/heaplab
 * (and build-san/, build-arm/), or HEAPLAB_TOOLS when set.
 */
#include "cli.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PYTHON "/usr/bin/python3"
#define SCRIPT "heaplab_compare.py"

/* Writes DIR/../tools/SCRIPT for the binary at exe into out; false when no
   such file is readable. */
static bool script_near(const char *exe, char *out, size_t out_size)
{
    char copy[PATH_MAX];
    if (exe == NULL || strchr(exe, '/') == NULL || strlen(exe) >= sizeof copy)
        return false;
    strcpy(copy, exe);
    int n = snprintf(out, out_size, "%s/../tools/" SCRIPT, dirname(copy));
    return n > 0 && (size_t)n < out_size && access(out, R_OK) == 0;
}

static bool find_script(char *out, size_t out_size)
{
    const char *tools = getenv("HEAPLAB_TOOLS");
    if (tools && *tools) {
        int n = snprintf(out, out_size, "%s/" SCRIPT, tools);
        return n > 0 && (size_t)n < out_size && access(out, R_OK) == 0;
    }
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len > 0) {
        self[len] = '\0';
        if (script_near(self, out, out_size))
            return true;
    }
    /* Under qemu with an explicit loader, /proc/self/exe is the loader. */
    return script_near(program_invocation_name, out, out_size);
}

int hl_verb_compare(int argc, char **argv)
{
    bool cpu = false;
    const char *files[2];
    int file_count = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--cpu") == 0)
            cpu = true;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return hl_usage_error("compare", "unknown option '%s'", argv[i]);
        else if (file_count == 2)
            return hl_usage_error("compare", "two files only, OLD and NEW");
        else
            files[file_count++] = argv[i];
    }
    if (file_count != 2)
        return hl_usage_error("compare", "needs two files, OLD and NEW");
    char script[PATH_MAX + 64];
    if (!find_script(script, sizeof script)) {
        fprintf(stderr, "heaplab compare: cannot find tools/" SCRIPT " next to the binary "
                        "(set HEAPLAB_TOOLS to its folder)\n");
        return HL_EXIT_FAILED;
    }
    char *args[6];
    int n = 0;
    args[n++] = PYTHON;
    args[n++] = script;
    if (cpu)
        args[n++] = "--cpu";
    args[n++] = (char *)files[0];
    args[n++] = (char *)files[1];
    args[n] = NULL;
    fflush(NULL);
    execv(PYTHON, args);
    fprintf(stderr, "heaplab compare: cannot run " PYTHON ": %s\n", strerror(errno));
    return HL_EXIT_FAILED;
}
