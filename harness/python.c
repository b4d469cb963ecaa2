/*
 * harness/python.c — the verbs that run real CPython on heaplab's
 * allocators:
 *
 *   python         runs build/heaplab-python (cpython/launcher.c) with an
 *                  allocator spec, through the per-configuration symlink of
 *                  cpython/launch_config.h, so that every child process the
 *                  program starts runs the same configuration;
 *   record         runs a program twice under it: once with a record=FILE
 *                  wrapper for its allocation trace, once under
 *                  tools/heap_snapshot.py for its heap graph;
 *   bench-program  replays what `record` wrote on every allocator (`trace`)
 *                  and every stack (`heap`), and prints the tables.
 *
 * Everything is checked before Python starts: a bad spec, `pymalloc` or a
 * bad --domains is a usage error (exit 2) with nothing run.  After that the
 * exit status and output are the Python program's own (exec, not a child).
 */
#include "cli.h"
#include "collector_registry.h"
#include "launch_config.h"
#include "registry.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_SPEC "freelist_pool"
#define TLS_TUNABLE "glibc.rtld.optional_static_tls=16384"

/* This binary's folder (the build folder), from /proc/self/exe. */
static bool build_folder(char *out, size_t size)
{
    char self[PATH_MAX];
    if (realpath("/proc/self/exe", self) == NULL)
        return false;
    char *slash = strrchr(self, '/');
    if (slash == NULL)
        return false;
    *slash = '\0';
    int n = snprintf(out, size, "%s", self);
    return n > 0 && (size_t)n < size;
}

/* Checks a spec for use under CPython: known, available, creatable, not
   pymalloc.  "cpython" is the baseline and always fine. */
static bool spec_usable(const char *verb, const char *spec)
{
    char why[300] = "";
    if (strcmp(spec, HL_PY_BASELINE) == 0)
        return true;
    if (hl_py_spec_refused(spec, why, sizeof why)) {
        hl_usage_error(verb, "%s", why);
        return false;
    }
    hl_allocator *a = hl_allocator_open(spec, why, sizeof why);
    if (a == NULL) {
        hl_usage_error(verb, "%s", why);
        return false;
    }
    hl_allocator_close(a);
    return true;
}

/* An absolute form of path (which need not exist yet). */
static bool absolute_path(const char *path, char *out, size_t size)
{
    char cwd[PATH_MAX];
    int n = path[0] == '/' ? snprintf(out, size, "%s", path)
            : getcwd(cwd, sizeof cwd) ? snprintf(out, size, "%s/%s", cwd, path)
                                      : -1;
    return n > 0 && (size_t)n < size;
}

/* ---- python ---------------------------------------------------------------- */

int hl_verb_python(int argc, char **argv)
{
    const char *verb = argv[0], *spec = DEFAULT_SPEC, *domains = "obj", *stats = NULL;
    bool bad = false;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (hl_option_value(argc, argv, &i, "--alloc", &spec, &bad) && !bad)
            continue;
        if (hl_option_value(argc, argv, &i, "--domains", &domains, &bad) && !bad)
            continue;
        if (hl_option_value(argc, argv, &i, "--stats", &stats, &bad) && !bad)
            continue;
        return hl_usage_error(verb, bad ? "%s needs a value" : "unknown option '%s'",
                              argv[i]);
    }
    hl_py_config config = {.mem_domain = false};
    if (!hl_py_parse_domains(domains, &config.mem_domain))
        return hl_usage_error(verb, "--domains is obj or obj,mem, not '%s'", domains);
    if (strlen(spec) >= sizeof config.spec)
        return hl_usage_error(verb, "allocator spec too long");
    snprintf(config.spec, sizeof config.spec, "%s", spec);
    if (!spec_usable(verb, spec))
        return HL_EXIT_USAGE;
    if (stats != NULL && (stats[0] == '\0' || !absolute_path(stats, config.stats,
                                                             sizeof config.stats)))
        return hl_usage_error(verb, "bad --stats path '%s'", stats);

    char build[PATH_MAX], launcher[PATH_MAX], link[PATH_MAX], err[400];
    if (!build_folder(build, sizeof build) ||
        snprintf(launcher, sizeof launcher, "%s/" HL_PY_LAUNCHER, build) >=
            (int)sizeof launcher) {
        fprintf(stderr, "heaplab %s: cannot find this program's folder\n", verb);
        return HL_EXIT_USAGE;
    }
    if (access(launcher, X_OK) != 0) {
        fprintf(stderr, "heaplab %s: %s is missing (it needs libpython3.11-dev; run make)\n",
                verb, launcher);
        return HL_EXIT_USAGE;
    }
    if (!hl_py_link_make(launcher, &config, link, sizeof link, err, sizeof err))
        return hl_usage_error(verb, "%s", err);

    /* jemalloc's initial-exec TLS needs glibc's surplus (see main.c); a
       child started with an empty environment inherits nothing, so only
       the programs that need it get the variable. */
    if (strstr(spec, "jemalloc") != NULL) {
        const char *tunables = getenv("GLIBC_TUNABLES");
        if (tunables == NULL || strstr(tunables, "optional_static_tls") == NULL)
            setenv("GLIBC_TUNABLES", TLS_TUNABLE, 1);
    } else if (getenv("HEAPLAB_NO_REEXEC") != NULL) {
        /* The variables main.c set for heaplab itself are not the program's. */
        unsetenv("HEAPLAB_NO_REEXEC");
        const char *tunables = getenv("GLIBC_TUNABLES");
        if (tunables != NULL && strcmp(tunables, TLS_TUNABLE) == 0)
            unsetenv("GLIBC_TUNABLES");
    }
    char **args = calloc((size_t)(argc - i + 2), sizeof *args);
    if (args == NULL)
        return HL_EXIT_USAGE;
    args[0] = link;
    for (int k = i; k < argc; k++)
        args[k - i + 1] = argv[k];
    fflush(NULL);
    execv(link, args);
    fprintf(stderr, "heaplab %s: cannot run %s: %s\n", verb, link, strerror(errno));
    free(args);
    return HL_EXIT_USAGE;
}

/* ---- running this binary again ------------------------------------------------ */

/* Runs argv (argv[0] a path) and waits; with `capture`, its stdout goes to
   capture (a NUL-terminated buffer of size bytes, truncated), with
   `quiet_out` to the file quiet_out.  Returns the exit status, 128+signal,
   or -1 when it cannot run. */
static int run_program(char *const *args, char *capture, size_t size, const char *quiet_out)
{
    int pipe_fd[2] = {-1, -1};
    if (capture != NULL && pipe(pipe_fd) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (capture != NULL) {
            dup2(pipe_fd[1], STDOUT_FILENO);
            close(pipe_fd[0]);
            close(pipe_fd[1]);
        } else if (quiet_out != NULL && freopen(quiet_out, "w", stdout) == NULL) {
            _exit(127);
        }
        execv(args[0], args);
        _exit(127);
    }
    if (capture != NULL) {
        close(pipe_fd[1]);
        size_t used = 0;
        ssize_t n;
        char sink[4096];
        while ((n = read(pipe_fd[0], used + 1 < size ? capture + used : sink,
                         used + 1 < size ? size - used - 1 : sizeof sink)) > 0 ||
               (n < 0 && errno == EINTR))
            if (n > 0 && used + 1 < size)
                used += (size_t)n;
        capture[used] = '\0';
        close(pipe_fd[0]);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- record ------------------------------------------------------------------- */

#define TRACE_NAME "trace.gz"
#define GRAPH_NAME "heap.graph.gz"

int hl_verb_record(int argc, char **argv)
{
    const char *verb = argv[0], *out = NULL, *spec = DEFAULT_SPEC;
    bool bad = false;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (hl_option_value(argc, argv, &i, "--out", &out, &bad) && !bad)
            continue;
        if (hl_option_value(argc, argv, &i, "--alloc", &spec, &bad) && !bad)
            continue;
        return hl_usage_error(verb, bad ? "%s needs a value" : "unknown option '%s'",
                              argv[i]);
    }
    bool module = i < argc && strcmp(argv[i], "-m") == 0;
    if (i + module >= argc)
        return hl_usage_error(verb, "no program: give PROGRAM.py [ARGS] or -m MODULE [ARGS]");
    if (!module && argv[i][0] == '-')
        return hl_usage_error(verb, "'%s': the program is PROGRAM.py or -m MODULE", argv[i]);
    if (strcmp(spec, HL_PY_BASELINE) == 0 || strstr(spec, "record=") != NULL)
        return hl_usage_error(verb, "--alloc names a heaplab allocator, not '%s'", spec);
    if (!spec_usable(verb, spec))
        return HL_EXIT_USAGE;
    char dir[PATH_MAX], build[PATH_MAX], self[PATH_MAX + 16], tool[PATH_MAX + 64];
    if (out == NULL) {
        const char *base = strrchr(argv[i + module], '/');
        base = base ? base + 1 : argv[i + module];
        snprintf(dir, sizeof dir, "%.*s.heaplab", (int)strcspn(base, "."), base);
    } else if (!absolute_path(out, dir, sizeof dir)) {
        return hl_usage_error(verb, "bad --out '%s'", out);
    }
    if (strchr(dir, ':') != NULL)
        return hl_usage_error(verb, "--out must not contain ':' (it names a record=FILE)");
    if (!build_folder(build, sizeof build))
        return hl_usage_error(verb, "cannot find this program's folder");
    snprintf(self, sizeof self, "%s/heaplab", build);
    snprintf(tool, sizeof tool, "%s/../tools/heap_snapshot.py", build);
    if (access(tool, R_OK) != 0)
        return hl_usage_error(verb, "%s is missing", tool);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "heaplab %s: cannot create %s: %s\n", verb, dir, strerror(errno));
        return HL_EXIT_USAGE;
    }

    int nargs = argc - i;
    char **args = calloc((size_t)nargs + 12, sizeof *args);
    char alloc[PATH_MAX + HL_PY_SPEC_MAX], graph[PATH_MAX + 32], quiet[PATH_MAX + 32];
    if (args == NULL)
        return HL_EXIT_USAGE;
    snprintf(alloc, sizeof alloc, "--alloc=record=%s/" TRACE_NAME ":%s", dir, spec);
    snprintf(graph, sizeof graph, "%s/" GRAPH_NAME, dir);
    snprintf(quiet, sizeof quiet, "%s/graph-run.stdout", dir);

    /* Run 1: the program as it is, its allocation trace recorded. */
    int n = 0;
    args[n++] = self;
    args[n++] = "python";
    args[n++] = alloc;
    args[n++] = "--";
    for (int k = i; k < argc; k++)
        args[n++] = argv[k];
    args[n] = NULL;
    fprintf(stderr, "heaplab record: run 1 of 2: the program, its trace to %s/" TRACE_NAME
                    "\n", dir);
    int status = run_program(args, NULL, 0, NULL);
    if (status != 0)
        fprintf(stderr, "heaplab record: the program exited with status %d\n", status);

    /* Run 2: the program under heap_snapshot.py (collector disabled, as
       that tool documents), its output kept out of the way. */
    char alloc2[HL_PY_SPEC_MAX + 16];
    snprintf(alloc2, sizeof alloc2, "--alloc=%s", spec);
    n = 0;
    args[n++] = self;
    args[n++] = "python";
    args[n++] = alloc2;
    args[n++] = "--";
    args[n++] = tool;
    args[n++] = "-o";
    args[n++] = graph;
    for (int k = i; k < argc; k++)
        args[n++] = argv[k];
    args[n] = NULL;
    fprintf(stderr, "heaplab record: run 2 of 2: its heap graph to %s (program output in %s)\n",
            graph, quiet);
    int graph_status = run_program(args, NULL, 0, quiet);
    free(args);
    if (graph_status != 0) {
        fprintf(stderr, "heaplab record: the heap snapshot failed (status %d)\n",
                graph_status);
        return HL_EXIT_FAILED;
    }
    fprintf(stderr, "heaplab record: done; replay with: heaplab bench-program %s\n", dir);
    return status == 0 ? HL_EXIT_OK : HL_EXIT_FAILED;
}
