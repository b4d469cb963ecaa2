/*
 * harness/heap.c — `heaplab heap`: replays heap graphs recorded from real
 * CPython programs (tools/heap_snapshot.py) on a stack and collects them.
 *
 * Format `heaplab-graph 1` (README.md): n lines define nodes 0..N-1 in
 * order, e lines references, f lines finalizers.  Each node becomes a
 * tracked container whose allocation is the recorded size (less CPython's
 * 16-byte GC header, which sys.getsizeof counts and which our collector adds
 * back) and at least room for its outgoing references.  The harness holds
 * EXT references to each node, exactly the references CPython's collector
 * would find coming from outside the graph, so the first collection finds
 * exactly what CPython's found; then it drops them, collects again and
 * checks that nothing is left.
 */
#include "cli.h"
#include "collector_registry.h"
#include "graph.h"
#include "object.h"
#include "allocator.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const kinds[] = {"list",     "tuple",    "dict",     "set",  "frozenset",
                                    "type",     "function", "instance", "other"};
enum { KIND_COUNT = sizeof kinds / sizeof kinds[0] };

typedef struct graph_node {
    uint64_t size;      /* recorded bytes */
    uint64_t ext;       /* references from outside the graph */
    uint32_t out_first; /* first of its edges in the edge array */
    uint32_t out_count; /* number of outgoing edges */
    uint8_t kind;       /* index into kinds */
    bool finalizer;     /* an f line named it */
} graph_node;

typedef struct graph_ref {
    uint32_t src, dst; /* node IDs (for f lines, dst is unused) */
    size_t line;       /* where it was read, for errors found at the end */
} graph_ref;

/* Invariant after loading: every edge's src and dst, and every finalizer's
   node, are below node_count; edges are grouped by source in file order. */
typedef struct hl_graph {
    const char *path;
    graph_node *node;
    size_t node_count, node_alloc;
    graph_ref *edge;
    size_t edge_count, edge_alloc;
    graph_ref *fin;
    size_t fin_count, fin_alloc;
    long long hint_nodes, hint_edges; /* from the header, -1 if absent */
    long long cpython_unreachable; /* from "# cpython-collect:", -1 if absent */
    double cpython_ms;
} graph;

static void graph_free(graph *g)
{
    free(g->node);
    free(g->edge);
    free(g->fin);
}

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap * 2 : 1024;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * elem);
    if (q == NULL)
        return false;
    *p = q;
    *cap = n;
    return true;
}

static int syntax(const graph *g, size_t line, const char *what)
{
    fprintf(stderr, "%s:%zu: %s\n", g->path, line, what);
    return HL_EXIT_USAGE;
}

/* Splits a line into at most `max` blank-separated tokens; returns how many
   there were (max + 1 when there are more). */
static size_t tokenize(char *line, char **tok, size_t max)
{
    size_t n = 0;
    for (char *p = strtok(line, " \t"); p; p = strtok(NULL, " \t")) {
        if (n == max)
            return max + 1;
        tok[n++] = p;
    }
    return n;
}

typedef enum number_status { NUMBER_OK, NUMBER_BAD, NUMBER_NEGATIVE } number_status;

static number_status parse_number(const char *text, uint64_t max, uint64_t *out)
{
    if (text[0] == '-')
        return text[1] >= '0' && text[1] <= '9' ? NUMBER_NEGATIVE : NUMBER_BAD;
    if (text[0] < '0' || text[0] > '9')
        return NUMBER_BAD;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end != '\0' || v > max)
        return NUMBER_BAD;
    *out = v;
    return NUMBER_OK;
}

/* Comments are free text, except the machine-readable line the capture
   tool writes, which must be exactly
   "# cpython-collect: unreachable=N ms=X.XXX nodes=N edges=M". */
static int parse_comment(graph *g, const char *text, size_t line)
{
    static const char tag[] = "# cpython-collect:";
    if (strncmp(text, tag, sizeof tag - 1) != 0)
        return HL_EXIT_OK;
    long long n, nodes, edges;
    unsigned long long whole, frac;
    int frac_start, frac_end, end = -1;
    if (sscanf(text, "# cpython-collect: unreachable=%lld ms=%llu.%n%llu%n nodes=%lld edges=%lld%n",
               &n, &whole, &frac_start, &frac, &frac_end, &nodes, &edges, &end) != 5 ||
        end < 0 || text[end] != '\0' || frac_end - frac_start != 3 || n < 0)
        return syntax(g, line, "bad '# cpython-collect:' line (expected unreachable=N "
                               "ms=X.XXX nodes=N edges=M)");
    g->cpython_unreachable = n;
    g->cpython_ms = (double)whole + (double)frac / 1000.0;
    return HL_EXIT_OK;
}

static int parse_header(graph *g, char *line)
{
    char *tok[8];
    size_t n = tokenize(line, tok, 4);
    if (n < 2 || strcmp(tok[0], "heaplab-graph") != 0 || strcmp(tok[1], "1") != 0)
        return syntax(g, 1, "not a heaplab-graph 1 file (bad magic line)");
    for (size_t i = 2; i < n; i++) {
        unsigned long long v;
        char extra;
        if (i < 4 && sscanf(tok[i], "nodes=%llu%c", &v, &extra) == 1)
            g->hint_nodes = (long long)v;
        else if (i < 4 && sscanf(tok[i], "edges=%llu%c", &v, &extra) == 1)
            g->hint_edges = (long long)v;
        else
            return syntax(g, 1, "bad header (expected: heaplab-graph 1 nodes=N edges=M)");
    }
    return HL_EXIT_OK;
}

#define ID_MAX ((uint64_t)UINT32_MAX - 1)
#define SIZE_MAX_RECORDED ((uint64_t)1 << 40)

static int parse_node(graph *g, char **tok, size_t n, size_t line)
{
    uint64_t id, size, ext;
    if (n != 5)
        return syntax(g, line, "n: expected n ID KIND SIZE EXT");
    if (parse_number(tok[1], ID_MAX, &id) != NUMBER_OK)
        return syntax(g, line, "n: bad node ID");
    if (id != g->node_count)
        return syntax(g, line, "n: node IDs must come in order 0, 1, 2, ...");
    if (g->edge_count || g->fin_count)
        return syntax(g, line, "n: node lines must come before e and f lines");
    size_t k = 0;
    while (k < KIND_COUNT && strcmp(kinds[k], tok[2]) != 0)
        k++;
    if (k == KIND_COUNT)
        return syntax(g, line, "n: unknown KIND (list tuple dict set frozenset type "
                               "function instance other)");
    number_status s = parse_number(tok[3], SIZE_MAX_RECORDED, &size);
    if (s != NUMBER_OK)
        return syntax(g, line, s == NUMBER_NEGATIVE ? "n: negative SIZE" : "n: bad SIZE");
    s = parse_number(tok[4], SIZE_MAX_RECORDED, &ext);
    if (s != NUMBER_OK)
        return syntax(g, line, s == NUMBER_NEGATIVE ? "n: negative EXT" : "n: bad EXT");
    if (!grow((void **)&g->node, &g->node_alloc, g->node_count + 1, sizeof *g->node))
        return syntax(g, line, "out of memory");
    g->node[g->node_count++] = (graph_node){.size = size, .ext = ext, .kind = (uint8_t)k};
    return HL_EXIT_OK;
}

static int parse_ref(graph *g, char **tok, size_t n, size_t line)
{
    bool edge = tok[0][0] == 'e';
    uint64_t a, b = 0;
    if (n != (edge ? 3u : 2u))
        return syntax(g, line, edge ? "e: expected e SRC DST" : "f: expected f ID");
    if (parse_number(tok[1], ID_MAX, &a) != NUMBER_OK ||
        (edge && parse_number(tok[2], ID_MAX, &b) != NUMBER_OK))
        return syntax(g, line, edge ? "e: bad node ID" : "f: bad node ID");
    graph_ref **list = edge ? &g->edge : &g->fin;
    size_t *count = edge ? &g->edge_count : &g->fin_count;
    size_t *alloc = edge ? &g->edge_alloc : &g->fin_alloc;
    if (!grow((void **)list, alloc, *count + 1, sizeof **list))
        return syntax(g, line, "out of memory");
    (*list)[(*count)++] = (graph_ref){(uint32_t)a, (uint32_t)b, line};
    return HL_EXIT_OK;
}

/* Checks references against the final node count; groups edges by source
   (a stable counting sort) and fills each node's out_first/out_count. */
static int finish_graph(graph *g, size_t last_line)
{
    if (g->node_count == 0)
        return syntax(g, last_line, "no nodes");
    if ((g->hint_nodes >= 0 && (size_t)g->hint_nodes != g->node_count) ||
        (g->hint_edges >= 0 && (size_t)g->hint_edges != g->edge_count))
        return syntax(g, 1, "the header's nodes=/edges= do not match the file "
                            "(truncated?)");
    for (size_t i = 0; i < g->edge_count; i++)
        if (g->edge[i].src >= g->node_count || g->edge[i].dst >= g->node_count)
            return syntax(g, g->edge[i].line, "e: reference to an undefined node");
    for (size_t i = 0; i < g->fin_count; i++) {
        if (g->fin[i].src >= g->node_count)
            return syntax(g, g->fin[i].line, "f: undefined node");
        if (g->node[g->fin[i].src].finalizer)
            return syntax(g, g->fin[i].line, "f: node already has a finalizer");
        g->node[g->fin[i].src].finalizer = true;
    }
    if (g->edge_count >= UINT32_MAX)
        return syntax(g, last_line, "too many edges");
    for (size_t i = 0; i < g->edge_count; i++)
        g->node[g->edge[i].src].out_count++;
    uint32_t first = 0;
    for (size_t i = 0; i < g->node_count; i++) {
        g->node[i].out_first = first;
        first += g->node[i].out_count;
        g->node[i].out_count = 0;
    }
    graph_ref *sorted = malloc((g->edge_count + 1) * sizeof *sorted);
    if (sorted == NULL)
        return syntax(g, last_line, "out of memory");
    for (size_t i = 0; i < g->edge_count; i++) {
        graph_node *nd = &g->node[g->edge[i].src];
        sorted[nd->out_first + nd->out_count++] = g->edge[i];
    }
    free(g->edge);
    g->edge = sorted;
    return HL_EXIT_OK;
}

static int load_graph(graph *g)
{
    char err[400];
    hl_line_reader *r = hl_line_reader_open(g->path, err, sizeof err);
    if (r == NULL) {
        fprintf(stderr, "%s\n", err);
        return HL_EXIT_USAGE;
    }
    g->cpython_unreachable = g->hint_nodes = g->hint_edges = -1;
    size_t line_no = 1;
    char *line = hl_line_reader_next(r, &line_no);
    int rc = line ? parse_header(g, line) : syntax(g, 1, "empty file (bad magic line)");
    while (rc == HL_EXIT_OK && (line = hl_line_reader_next(r, &line_no)) != NULL) {
        if (line[0] == '#') {
            rc = parse_comment(g, line, line_no);
            continue;
        }
        char *tok[6];
        size_t n = tokenize(line, tok, 5);
        if (n == 0)
            continue;
        if (strcmp(tok[0], "n") == 0)
            rc = parse_node(g, tok, n, line_no);
        else if (strcmp(tok[0], "e") == 0 || strcmp(tok[0], "f") == 0)
            rc = parse_ref(g, tok, n, line_no);
        else
            rc = syntax(g, line_no, "unknown line (expected n, e, f or #)");
    }
    if (rc == HL_EXIT_OK && hl_line_reader_error(r))
        rc = syntax(g, line_no, hl_line_reader_error(r));
    hl_line_reader_close(r);
    return rc == HL_EXIT_OK ? finish_graph(g, line_no) : rc;
}

/* ---- the replayed objects ---------------------------------------------- */

/* A replayed container: the references it held, then padding up to the
   recorded size.  Invariant: ref[0..count) are owned references or NULL
   (after clear). */
typedef struct node_object {
    hl_object ob;
    uint32_t count;    /* references */
    uint32_t bytes;    /* allocation size, header included */
    hl_object *ref[];  /* outgoing references */
} node_object;

static int node_traverse(hl_object *op, hl_visit_fn visit, void *arg)
{
    node_object *n = (node_object *)op;
    for (uint32_t i = 0; i < n->count; i++) {
        if (n->ref[i]) {
            int r = visit(n->ref[i], arg);
            if (r)
                return r;
        }
    }
    return 0;
}

static void node_clear(hl_runtime *rt, hl_object *op)
{
    node_object *n = (node_object *)op;
    for (uint32_t i = 0; i < n->count; i++)
        hl_clearref(rt, &n->ref[i]);
}

static void node_dealloc(hl_runtime *rt, hl_object *op)
{
    node_clear(rt, op);
    hl_object_free(rt, op, ((node_object *)op)->bytes);
}

/* PEP 442 finalizer of `f` nodes: does nothing; the runtime counts calls. */
static void node_finalize(hl_runtime *rt, hl_object *op)
{
    (void)rt;
    (void)op;
}

static const hl_type node_type = {
    .name = "node",
    .basic_size = sizeof(node_object),
    .flags = HL_TYPE_CONTAINER,
    .traverse = node_traverse,
    .clear = node_clear,
    .dealloc = node_dealloc,
};

static const hl_type node_finalizer_type = {
    .name = "node+finalizer",
    .basic_size = sizeof(node_object),
    .flags = HL_TYPE_CONTAINER,
    .traverse = node_traverse,
    .clear = node_clear,
    .finalize = node_finalize,
    .dealloc = node_dealloc,
};

#define CPYTHON_GC_HEAD 16 /* sys.getsizeof counts it; our collector adds its own */

typedef struct run_result {
    long unreachable;
    double collect_ms;
    uint64_t finalizers;     /* during the first collection */
    uint64_t finalizers_all; /* during the whole run */
    size_t live_after;       /* objects alive after the second collection */
    size_t leaked_objects;   /* containers destroy had to reclaim */
    size_t leaked_bytes;     /* bytes still live after destroy */
    bool out_of_memory;
} run_result;

/* save_all: collect the first time under DEBUG_SAVEALL, as the capture
   tool times CPython's collection — finding only, nothing freed — then
   release gc.garbage so the rest of the run is unchanged. */
static int replay(const graph *g, const char *alloc, const char *gc, bool save_all,
                  run_result *out)
{
    char err[300];
    *out = (run_result){0};
    hl_runtime *rt = hl_runtime_create(alloc, gc, err, sizeof err);
    if (rt == NULL) {
        fprintf(stderr, "heaplab heap: %s\n", err);
        return HL_EXIT_USAGE;
    }
    hl_gc_disable(rt); /* the graph is built whole, then collected once */
    hl_object **obj = calloc(g->node_count, sizeof *obj);
    bool ok = obj != NULL;
    for (size_t i = 0; ok && i < g->node_count; i++) {
        const graph_node *nd = &g->node[i];
        size_t need = offsetof(node_object, ref) + nd->out_count * sizeof(hl_object *);
        size_t want = nd->size > CPYTHON_GC_HEAD ? (size_t)nd->size - CPYTHON_GC_HEAD : 0;
        size_t bytes = want > need ? want : need;
        if (bytes > UINT32_MAX) {
            bytes = need;
        }
        node_object *n = (node_object *)hl_object_new(
            rt, nd->finalizer ? &node_finalizer_type : &node_type, bytes);
        if (n == NULL) {
            ok = false;
            break;
        }
        n->count = 0;
        n->bytes = (uint32_t)bytes;
        obj[i] = &n->ob;
    }
    /* References first, then tracking: an object is whole when tracked. */
    for (size_t i = 0; ok && i < g->node_count; i++) {
        const graph_node *nd = &g->node[i];
        node_object *n = (node_object *)obj[i];
        for (uint32_t e = 0; e < nd->out_count; e++) {
            hl_object *target = obj[g->edge[nd->out_first + e].dst];
            hl_incref(target);
            n->ref[n->count++] = target;
        }
        hl_gc_track(rt, obj[i]);
    }
    for (size_t i = 0; ok && i < g->node_count; i++)
        obj[i]->refcount += (intptr_t)g->node[i].ext;
    /* Drop the construction references: from here every count is exactly
       in-graph references + EXT, as in the recorded program. */
    for (size_t i = 0; obj && i < g->node_count; i++)
        if (obj[i])
            hl_decref(rt, obj[i]);

    if (ok) {
        uint64_t fin0 = hl_runtime_finalizers_run(rt);
        unsigned long long t0 = hl_now_ns();
        if (save_all)
            hl_gc_set_debug(rt, HL_GC_DEBUG_SAVEALL);
        out->unreachable = hl_gc_collect(rt, 2);
        unsigned long long t1 = hl_now_ns();
        out->collect_ms = (double)(t1 - t0) / 1e6;
        if (save_all) {
            hl_gc_set_debug(rt, 0);
            hl_list_clear(rt, hl_gc_garbage(rt));
        }
        out->finalizers = hl_runtime_finalizers_run(rt) - fin0;
        /* The EXT holders go away; the rest must now be garbage too. */
        for (size_t i = 0; i < g->node_count; i++) {
            if (g->node[i].ext == 0)
                continue;
            obj[i]->refcount -= (intptr_t)g->node[i].ext - 1;
            hl_decref(rt, obj[i]);
        }
        hl_gc_collect(rt, 2);
        out->finalizers_all = hl_runtime_finalizers_run(rt) - fin0;
        /* gc.garbage, made by --saveall, is the runtime's, not the graph's. */
        out->live_after = hl_runtime_live_objects(rt) - (save_all ? 1 : 0);
    }
    out->out_of_memory = !ok;
    free(obj);
    hl_runtime_report report;
    hl_runtime_destroy(rt, &report);
    out->leaked_objects = report.leaked_objects;
    out->leaked_bytes = report.live_bytes;
    return HL_EXIT_OK;
}

static void print_result(const graph *g, const char *alloc, const char *gc, long repeat,
                         bool save_all, const run_result *r, double median_ms, double min_ms)
{
    printf("{\"allocator\":");
    hl_json_string(stdout, alloc);
    printf(",\"collector\":");
    hl_json_string(stdout, gc);
    printf(",\"file\":");
    hl_json_string(stdout, g->path);
    printf(",\"nodes\":%zu,\"edges\":%zu,\"finalizer_nodes\":%zu,\"unreachable\":%ld", g->node_count,
           g->edge_count, g->fin_count, r->unreachable);
    if (g->cpython_unreachable >= 0)
        printf(",\"cpython_unreachable\":%lld,\"cpython_ms\":%.3f", g->cpython_unreachable,
               g->cpython_ms);
    else
        printf(",\"cpython_unreachable\":null,\"cpython_ms\":null");
    printf(",\"repeat\":%ld,\"saveall\":%s,\"collect_ms\":%.3f,\"collect_ms_min\":%.3f",
           repeat, save_all ? "true" : "false", median_ms, min_ms);
    printf(",\"finalizers_called\":%llu,\"finalizers_called_total\":%llu",
           (unsigned long long)r->finalizers, (unsigned long long)r->finalizers_all);
    printf(",\"live_after\":%zu,\"leaked_objects\":%zu,\"leaked_bytes\":%zu}\n", r->live_after,
           r->leaked_objects, r->leaked_bytes);
    fflush(stdout);
}

int hl_verb_heap(int argc, char **argv)
{
    const char *alloc = "malloc", *gc = "stw";
    long repeat = 1;
    bool save_all = false;
    int first_file = argc;
    for (int i = 1; i < argc; i++) {
        const char *v;
        bool bad = false;
        if (hl_option_value(argc, argv, &i, "--alloc", &alloc, &bad) ||
            hl_option_value(argc, argv, &i, "--gc", &gc, &bad)) {
            if (bad)
                return hl_usage_error("heap", "%s needs a value", argv[i]);
        } else if (hl_option_value(argc, argv, &i, "--repeat", &v, &bad)) {
            if (bad || !hl_parse_count(v, 100000, &repeat))
                return hl_usage_error("heap", "--repeat takes a count from 1 to 100000");
        } else if (strcmp(argv[i], "--saveall") == 0) {
            save_all = true;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return hl_usage_error("heap", "unknown option '%s'", argv[i]);
        } else {
            first_file = i;
            break;
        }
    }
    if (first_file >= argc)
        return hl_usage_error("heap", "no graph file given");
    for (int i = first_file; i < argc; i++)
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return hl_usage_error("heap", "options must come before the files ('%s')",
                                  argv[i]);
    char err[300];
    hl_runtime *probe = hl_runtime_create(alloc, gc, err, sizeof err);
    if (probe == NULL)
        return hl_usage_error("heap", "%s", err);
    bool tracing = (hl_gc_flags(probe) & HL_GC_FINDS_CYCLES) != 0;
    hl_runtime_destroy(probe, NULL);

    int status = HL_EXIT_OK;
    for (int f = first_file; f < argc; f++) {
        graph g = {.path = argv[f]};
        int rc = load_graph(&g);
        if (rc != HL_EXIT_OK) {
            graph_free(&g);
            return rc; /* malformed input: nothing printed for this file */
        }
        double *ms = calloc((size_t)repeat, sizeof *ms);
        run_result r = {0};
        for (long k = 0; ms && k < repeat; k++) {
            rc = replay(&g, alloc, gc, save_all, &r);
            if (rc != HL_EXIT_OK || r.out_of_memory)
                break;
            ms[k] = r.collect_ms;
        }
        if (ms == NULL || r.out_of_memory) {
            fprintf(stderr, "%s: out of memory while building the graph\n", g.path);
            status = HL_EXIT_FAILED;
        } else if (rc == HL_EXIT_OK) {
            double min = ms[0];
            for (long k = 1; k < repeat; k++)
                min = ms[k] < min ? ms[k] : min;
            print_result(&g, alloc, gc, repeat, save_all, &r, hl_median(ms, (size_t)repeat), min);
            bool clean = r.leaked_bytes == 0 &&
                         (!tracing || (r.live_after == 0 && r.leaked_objects == 0));
            if (!clean) {
                fprintf(stderr, "%s: objects left after the final collection\n", g.path);
                status = HL_EXIT_FAILED;
            }
            if (tracing && g.cpython_unreachable >= 0 && r.unreachable != g.cpython_unreachable) {
                fprintf(stderr, "%s: found %ld unreachable, CPython found %lld\n", g.path,
                        r.unreachable, g.cpython_unreachable);
                status = HL_EXIT_FAILED;
            }
        } else {
            status = rc;
        }
        free(ms);
        graph_free(&g);
    }
    return status;
}

/* ---- the graph API for in-process benchmarks (graph.h) --------------- */

hl_graph *hl_graph_load(const char *path)
{
    graph *g = calloc(1, sizeof *g);
    if (g == NULL)
        return NULL;
    g->path = path;
    if (load_graph(g) != HL_EXIT_OK) {
        hl_graph_free(g);
        return NULL;
    }
    return g;
}

void hl_graph_free(hl_graph *g)
{
    if (g) {
        graph_free(g);
        free(g);
    }
}

long hl_graph_cpython_unreachable(const hl_graph *g)
{
    return (long)g->cpython_unreachable;
}

double hl_graph_cpython_ms(const hl_graph *g)
{
    return g->cpython_unreachable >= 0 ? g->cpython_ms : -1.0;
}

long hl_graph_collect(const hl_graph *g, const char *alloc, const char *gc,
                      unsigned long long *collect_ns)
{
    run_result r;
    if (replay(g, alloc, gc, false, &r) != HL_EXIT_OK || r.out_of_memory)
        return -1;
    *collect_ns = (unsigned long long)(r.collect_ms * 1e6);
    const hl_collector_ops *ops = hl_collector_lookup(gc);
    bool tracing = ops && (ops->flags & HL_GC_FINDS_CYCLES);
    if (r.leaked_bytes || (tracing && (r.live_after || r.leaked_objects)))
        return -2;
    return r.unreachable;
}
