/*
 * harness/main.c — build/heaplab: one binary, one verb per capability.
 * Adding a verb is its file in harness/ plus one line in the table.
 */
#include "cli.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const hl_verb verbs[] = {
    {"list", "[--names]", "allocators, collectors and suites, with availability", hl_verb_list},
    {"test", "[--alloc A] [--gc G] [--suite S] [--case C] [--quick] [--oom N|all] [--seed N]",
     "conformance suites on every stack (TAP)", hl_verb_test},
    {"heap", "[--alloc A] [--gc G] [--repeat N] [--saveall] FILE...",
     "replay recorded CPython heap graphs and collect them", hl_verb_heap},
    {"trace", "[--alloc A] [--check] [--repeat N] FILE...",
     "replay recorded allocation traces", hl_verb_trace},
    {"stats", "[--alloc A] FILE",
     "replay a trace without freeing and print the allocator's statistics",
     hl_verb_stats},
    {"compare", "[--cpu] OLD.json NEW.json",
     "two Google Benchmark JSON files side by side: ratios, Mann-Whitney U, geomean",
     hl_verb_compare},
    {"python", "[--alloc SPEC|cpython] [--domains obj|obj,mem] [--stats FILE] [--] ARGS...",
     "run CPython 3.11 with a heaplab allocator (build/heaplab-python)", hl_verb_python},
    {"record", "[--out DIR] [--alloc SPEC] -- PROGRAM.py|-m MODULE [ARGS...]",
     "capture a Python program's allocation trace and heap graph", hl_verb_record},
    {"bench-program", "[--repeat N] DIR",
     "replay what `record` captured on every allocator and stack", hl_verb_bench_program},
    {"run", "WORKLOAD [--alloc A] [--gc G] [--size N] [--seed S] [--timeline FILE] | --list | --pauses FILE",
     "one workload under automatic collection: pauses, MMU, backlog, memory (JSON)", hl_verb_run},
};

static int usage(FILE *out)
{
    fprintf(out, "usage: heaplab VERB [OPTIONS]\n\nverbs:\n");
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        fprintf(out, "  %-6s %s\n         %s\n", verbs[i].name, verbs[i].usage,
                verbs[i].summary);
    fprintf(out, "\nexit status: 0 ok, 1 a check failed, 2 bad usage or input\n");
    return out == stdout ? HL_EXIT_OK : HL_EXIT_USAGE;
}

/*
 * jemalloc's shared library uses initial-exec TLS, which glibc can satisfy
 * for a library loaded by dlopen only from a surplus that is too small by
 * default.  heaplab loads the reference allocators late (so a missing one
 * is merely unavailable), so it restarts itself once with a larger surplus.
 * Nothing else changes: the tunable only reserves static TLS space.
 */
#define TLS_TUNABLE "glibc.rtld.optional_static_tls=16384"

static void reexec_with_tls_surplus(char **argv)
{
    const char *tunables = getenv("GLIBC_TUNABLES");
    if (getenv("HEAPLAB_NO_REEXEC") || (tunables && strstr(tunables, "optional_static_tls")))
        return;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return;
    exe[n] = '\0';
    const char *base = strrchr(exe, '/');
    if (strcmp(base ? base + 1 : exe, "heaplab") != 0)
        return; /* started through a loader or emulator: leave it alone */
    char value[1024];
    snprintf(value, sizeof value, "%s%s" TLS_TUNABLE, tunables ? tunables : "",
             tunables ? ":" : "");
    if (setenv("GLIBC_TUNABLES", value, 1) == 0 && setenv("HEAPLAB_NO_REEXEC", "1", 1) == 0)
        execv(exe, argv); /* returns only on failure: carry on without it */
}

int main(int argc, char **argv)
{
    reexec_with_tls_surplus(argv);
    if (argc < 2)
        return usage(stderr);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0)
        return usage(stdout);
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(argv[1], verbs[i].name) == 0)
            return verbs[i].run(argc - 1, argv + 1);
    fprintf(stderr, "heaplab: unknown verb '%s'\n", argv[1]);
    return usage(stderr);
}

const char *hl_verb_usage(const char *name)
{
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(name, verbs[i].name) == 0)
            return verbs[i].usage;
    return "";
}
