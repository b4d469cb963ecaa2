/*
 * harness/bench_program.c — `heaplab bench-program DIR`: what `heaplab
 * record` captured of one program, replayed everywhere.
 *
 *   DIR/trace.gz        replayed by `heaplab trace` on every available
 *                       allocator (one process each, as the trace verb's
 *                       figures are per process);
 *   DIR/heap.graph.gz   replayed by `heaplab heap` on every available
 *                       allocator × collector.
 *
 * Each run is this binary again, its JSON line read back; the tables are
 * Markdown, ratios against freelist_pool (the trace) and against CPython's
 * own collection of the recorded heap (the graph).  Exit status 1 when a
 * replay failed (a trace error, a collector that disagrees with CPython).
 */
#include "cli.h"
#include "collector_registry.h"
#include "registry.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUTPUT_MAX 8192

/* Runs args (args[0] a path) with stdout captured into out; returns its
   exit status or -1. */
static int capture(char *const *args, char *out, size_t size)
{
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(fd[1], STDOUT_FILENO);
        close(fd[0]);
        close(fd[1]);
        execv(args[0], args);
        _exit(127);
    }
    close(fd[1]);
    size_t used = 0;
    for (;;) {
        char sink[512];
        bool room = used + 1 < size;
        ssize_t n = read(fd[0], room ? out + used : sink, room ? size - used - 1 : sizeof sink);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (room)
            used += (size_t)n;
    }
    out[used] = '\0';
    close(fd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The value of "key" in a JSON line, as text (numbers, null), into out. */
static const char *field(const char *line, const char *key, char *out, size_t size)
{
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    const char *p = strstr(line, quoted);
    if (p == NULL)
        return "?";
    p += strlen(quoted);
    p += strspn(p, " :");
    size_t n = strcspn(p, ",}\n");
    if (n >= size)
        n = size - 1;
    memcpy(out, p, n);
    out[n] = '\0';
    return out;
}

static bool available(const hl_allocator_ops *ops)
{
    char why[200];
    return !ops->is_wrapper && (ops->available == NULL || ops->available(why, sizeof why));
}

static bool trace_table(const char *self, const char *path, const char *repeat)
{
    bool ok = true;
    double base = 0;
    printf("## Allocation trace: %s\n\n", path);
    printf("| allocator | ops | ns/op | vs freelist_pool | peak live bytes | peak mapped "
           "bytes | peak RSS KiB | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    /* freelist_pool first, so the ratio has its base. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < hl_allocator_count(); i++) {
            const hl_allocator_ops *ops = hl_allocator_at(i);
            bool first = strcmp(ops->name, "freelist_pool") == 0;
            if (!available(ops) || first != (pass == 0))
                continue;
            char alloc[128], out[OUTPUT_MAX], v[7][64];
            snprintf(alloc, sizeof alloc, "--alloc=%s", ops->name);
            char *args[] = {(char *)self, "trace", alloc, "--repeat", (char *)repeat,
                            (char *)path, NULL};
            int status = capture(args, out, sizeof out);
            ok = ok && status == 0;
            double ns = atof(field(out, "ns_per_op", v[0], sizeof v[0]));
            if (first)
                base = ns;
            char ratio[32] = "n/a";
            if (base > 0 && ns > 0)
                snprintf(ratio, sizeof ratio, "%.2f", ns / base);
            printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", ops->name,
                   field(out, "ops", v[1], sizeof v[1]), v[0], ratio,
                   field(out, "peak_live_bytes", v[2], sizeof v[2]),
                   field(out, "peak_mapped_bytes", v[3], sizeof v[3]),
                   field(out, "peak_rss_kib", v[4], sizeof v[4]),
                   status == 0 ? field(out, "errors", v[5], sizeof v[5]) : "FAILED");
        }
    printf("\n");
    return ok;
}

static bool heap_table(const char *self, const char *path, const char *repeat)
{
    bool ok = true;
    printf("## Heap graph: %s\n\n", path);
    printf("| allocator | collector | nodes | unreachable | CPython's | collect ms | CPython "
           "ms | vs CPython | left |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < hl_allocator_count(); i++) {
        const hl_allocator_ops *ops = hl_allocator_at(i);
        if (!available(ops))
            continue;
        for (size_t k = 0; k < hl_collector_count(); k++) {
            const char *gc = hl_collector_at(k)->name;
            if ((hl_collector_at(k)->flags & HL_GC_WALKS_HEAP) && ops->visit_blocks == NULL) {
                /* a heap-walking collector refuses an allocator it cannot
                   walk: the pair does not exist, it has not failed */
                printf("| %s | %s | not run: the allocator cannot visit its blocks |||||||\n",
                       ops->name, gc);
                continue;
            }
            char alloc[128], gcarg[128], out[OUTPUT_MAX], v[8][64];
            snprintf(alloc, sizeof alloc, "--alloc=%s", ops->name);
            snprintf(gcarg, sizeof gcarg, "--gc=%s", gc);
            char *args[] = {(char *)self, "heap", alloc, gcarg, "--repeat", (char *)repeat,
                            (char *)path, NULL};
            int status = capture(args, out, sizeof out);
            ok = ok && status == 0;
            double ms = atof(field(out, "collect_ms", v[0], sizeof v[0]));
            double cpy = atof(field(out, "cpython_ms", v[1], sizeof v[1]));
            char ratio[32] = "n/a";
            if (ms > 0 && cpy > 0)
                snprintf(ratio, sizeof ratio, "%.2f", ms / cpy);
            printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", ops->name, gc,
                   field(out, "nodes", v[2], sizeof v[2]),
                   status == 0 || status == 1 ? field(out, "unreachable", v[3], sizeof v[3])
                                              : "FAILED",
                   field(out, "cpython_unreachable", v[4], sizeof v[4]), v[0], v[1], ratio,
                   field(out, "leaked_objects", v[5], sizeof v[5]));
        }
    }
    printf("\n");
    return ok;
}

int hl_verb_bench_program(int argc, char **argv)
{
    const char *verb = argv[0], *repeat = "3", *dir = NULL;
    bool bad = false;
    for (int i = 1; i < argc; i++) {
        long count;
        if (hl_option_value(argc, argv, &i, "--repeat", &repeat, &bad) && !bad) {
            if (!hl_parse_count(repeat, 1000, &count))
                return hl_usage_error(verb, "--repeat wants a count from 1, not '%s'", repeat);
        } else if (bad || (argv[i][0] == '-' && argv[i][1] != '\0')) {
            return hl_usage_error(verb, bad ? "%s needs a value" : "unknown option '%s'",
                                  argv[i]);
        } else if (dir != NULL) {
            return hl_usage_error(verb, "one DIR only");
        } else {
            dir = argv[i];
        }
    }
    if (dir == NULL)
        return hl_usage_error(verb, "no DIR given (the --out of heaplab record)");
    char self[PATH_MAX], trace[PATH_MAX + 16], graph[PATH_MAX + 16];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return hl_usage_error(verb, "cannot find this program");
    self[n] = '\0';
    snprintf(trace, sizeof trace, "%s/trace.gz", dir);
    snprintf(graph, sizeof graph, "%s/heap.graph.gz", dir);
    if (access(trace, R_OK) != 0 || access(graph, R_OK) != 0)
        return hl_usage_error(verb, "%s needs trace.gz and heap.graph.gz (heaplab record)",
                              dir);
    bool ok = trace_table(self, trace, repeat);
    ok = heap_table(self, graph, repeat) && ok;
    return ok ? HL_EXIT_OK : HL_EXIT_FAILED;
}
