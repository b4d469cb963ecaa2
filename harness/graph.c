/*
 * harness/graph.c — the `heaplab-graph 1` loader (format in graph.h and
 * README.md): reads a whole file, checks every rule, and hands the `heap`
 * verb a graph whose invariants (graph.h) replay can rely on.
 *
 * Every number goes through base/parse.h, so "-1", "+5", "2^64" and
 * friends are rejected the same way everywhere.  Errors are returned as
 * "FILE:LINE: what is wrong", never printed: the loader also runs inside
 * the parser fuzzer (fuzz/graph.c).
 */
#include "graph.h"
#include "parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const hl_graph_kinds[] = {"list",     "tuple",    "dict",     "set",   "frozenset",
                                      "type",     "function", "instance", "other", NULL};

#define ID_MAX ((uint64_t)UINT32_MAX - 1)    /* node IDs fit a uint32_t */
#define SIZE_MAX_RECORDED ((uint64_t)1 << 40) /* SIZE and EXT */
#define MS_MAX 1e9                            /* CPython's collection time */

enum { STATUS_OK = 0, STATUS_FAILED = 1, STATUS_MALFORMED = 2 };

/* The loader's state: the graph being built and the first error. */
typedef struct loader {
    hl_graph *g;
    const char *name;
    char *err;
    size_t err_size;
    int status;
} loader;

static int syntax(loader *ld, size_t line, const char *what)
{
    snprintf(ld->err, ld->err_size, "%s:%zu: %s", ld->name, line, what);
    ld->status = STATUS_MALFORMED;
    return STATUS_MALFORMED;
}

static int out_of_memory(loader *ld, size_t line)
{
    snprintf(ld->err, ld->err_size, "%s:%zu: out of memory loading the graph", ld->name, line);
    ld->status = STATUS_FAILED;
    return STATUS_FAILED;
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

/* Splits a line at blanks into at most `max` tokens; returns how many there
   were (max + 1 when there are more).  Reentrant, unlike strtok. */
static size_t tokenize(char *line, char **tok, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            return n;
        if (n == max)
            return max + 1;
        tok[n++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (*p)
            *p++ = '\0';
    }
}

/* "key=VALUE" with VALUE a count in [0, max]. */
static bool parse_keyed(const char *tok, const char *key, uint64_t max, uint64_t *out)
{
    size_t n = strlen(key);
    return strncmp(tok, key, n) == 0 && tok[n] == '=' && hl_parse_u64(tok + n + 1, 0, max, out);
}

/* Comments are free text, except the machine-readable line the capture
   tool writes, which must be exactly
   "# cpython-collect: unreachable=N ms=X.XXX nodes=N edges=M". */
static int parse_comment(loader *ld, char *text, size_t line)
{
    static const char tag[] = "# cpython-collect:";
    if (strncmp(text, tag, sizeof tag - 1) != 0)
        return STATUS_OK;
    hl_graph *g = ld->g;
    if (g->has_cpython)
        return syntax(ld, line, "a second '# cpython-collect:' line");
    char *tok[5];
    size_t n = tokenize(text + sizeof tag - 1, tok, 4);
    if (n != 4 || !parse_keyed(tok[0], "unreachable", ID_MAX + 1, &g->cpython_unreachable) ||
        strncmp(tok[1], "ms=", 3) != 0 || !hl_parse_real(tok[1] + 3, MS_MAX, &g->cpython_ms) ||
        strchr(tok[1], '.') == NULL || strlen(strchr(tok[1], '.')) != 4 ||
        !parse_keyed(tok[2], "nodes", ID_MAX + 1, &g->cpython_nodes) ||
        !parse_keyed(tok[3], "edges", UINT32_MAX - 1, &g->cpython_edges))
        return syntax(ld, line, "bad '# cpython-collect:' line (expected unreachable=N "
                                "ms=X.XXX nodes=N edges=M, plain decimal numbers)");
    g->has_cpython = true;
    g->cpython_line = line;
    return STATUS_OK;
}

static int parse_header(loader *ld, char *line)
{
    hl_graph *g = ld->g;
    char *tok[4];
    size_t n = tokenize(line, tok, 4);
    if (n < 2 || strcmp(tok[0], "heaplab-graph") != 0 || strcmp(tok[1], "1") != 0)
        return syntax(ld, 1, "not a heaplab-graph 1 file (bad magic line)");
    if (n > 4) /* tokenize stored only the first four */
        return syntax(ld, 1, "bad header (expected: heaplab-graph 1 nodes=N edges=M, "
                             "each at most once)");
    for (size_t i = 2; i < n; i++) {
        if (strncmp(tok[i], "nodes=", 6) == 0 && !g->has_hint_nodes)
            g->has_hint_nodes = parse_keyed(tok[i], "nodes", ID_MAX + 1, &g->hint_nodes);
        else if (strncmp(tok[i], "edges=", 6) == 0 && !g->has_hint_edges)
            g->has_hint_edges = parse_keyed(tok[i], "edges", UINT32_MAX - 1, &g->hint_edges);
        else
            return syntax(ld, 1, "bad header (expected: heaplab-graph 1 nodes=N edges=M, "
                                 "each at most once)");
        if (!(strncmp(tok[i], "nodes=", 6) == 0 ? g->has_hint_nodes : g->has_hint_edges))
            return syntax(ld, 1, "bad header: nodes= takes 0..2^32-1 and edges= "
                                 "0..2^32-2, plain decimal");
    }
    return STATUS_OK;
}

static int parse_node(loader *ld, char **tok, size_t n, size_t line)
{
    hl_graph *g = ld->g;
    uint64_t id, size, ext;
    if (n != 5)
        return syntax(ld, line, "n: expected n ID KIND SIZE EXT");
    if (!hl_parse_u64(tok[1], 0, ID_MAX, &id))
        return syntax(ld, line, "n: bad node ID");
    if (g->edge_count || g->fin_count || g->root_count)
        return syntax(ld, line, "n: node lines must come before e, f and r lines");
    if (id != g->node_count)
        return syntax(ld, line, "n: node IDs must come in order 0, 1, 2, ...");
    size_t k = 0;
    while (hl_graph_kinds[k] && strcmp(hl_graph_kinds[k], tok[2]) != 0)
        k++;
    if (hl_graph_kinds[k] == NULL)
        return syntax(ld, line, "n: unknown KIND (list tuple dict set frozenset type "
                                "function instance other)");
    if (!hl_parse_u64(tok[3], 0, SIZE_MAX_RECORDED, &size))
        return syntax(ld, line, tok[3][0] == '-' ? "n: negative SIZE"
                                                 : "n: bad SIZE (0..2^40, plain decimal)");
    if (!hl_parse_u64(tok[4], 0, SIZE_MAX_RECORDED, &ext))
        return syntax(ld, line, tok[4][0] == '-' ? "n: negative EXT"
                                                 : "n: bad EXT (0..2^40, plain decimal)");
    if (!grow((void **)&g->node, &g->node_alloc, g->node_count + 1, sizeof *g->node))
        return out_of_memory(ld, line);
    g->node[g->node_count++] = (hl_graph_node){.size = size, .ext = ext, .kind = (uint8_t)k};
    return STATUS_OK;
}

/* e, f and r lines.  f and r name a node, which must exist already (node
   lines come first) and be named at most once by each letter. */
static int parse_ref(loader *ld, char **tok, size_t n, size_t line)
{
    hl_graph *g = ld->g;
    char letter = tok[0][0];
    bool edge = letter == 'e';
    uint64_t a, b = 0;
    if (n != (edge ? 3u : 2u))
        return syntax(ld, line, edge ? "e: expected e SRC DST"
                                : letter == 'f' ? "f: expected f ID" : "r: expected r ID");
    if (!hl_parse_u64(tok[1], 0, ID_MAX, &a) || (edge && !hl_parse_u64(tok[2], 0, ID_MAX, &b)))
        return syntax(ld, line, edge ? "e: bad node ID"
                                : letter == 'f' ? "f: bad node ID" : "r: bad node ID");
    hl_graph_ref **list = edge ? &g->edge : letter == 'f' ? &g->fin : &g->root;
    size_t *count = edge ? &g->edge_count : letter == 'f' ? &g->fin_count : &g->root_count;
    size_t *alloc = edge ? &g->edge_alloc : letter == 'f' ? &g->fin_alloc : &g->root_alloc;
    if (letter == 'r') {
        if (a >= g->node_count)
            return syntax(ld, line, "r: undefined node (r lines come after the node lines)");
        if (g->node[a].root)
            return syntax(ld, line, "r: node is already a root");
        g->node[a].root = true;
    }
    if (edge && g->edge_count >= UINT32_MAX - 1)
        return syntax(ld, line, "too many edges (at most 2^32-2)");
    if (!grow((void **)list, alloc, *count + 1, sizeof **list))
        return out_of_memory(ld, line);
    (*list)[(*count)++] = (hl_graph_ref){(uint32_t)a, (uint32_t)b, line};
    return STATUS_OK;
}

/* Checks references against the final node count; groups edges by source
   (a stable counting sort) and fills each node's out_first/out_count. */
static int finish_graph(loader *ld, size_t last_line)
{
    hl_graph *g = ld->g;
    if (g->node_count == 0)
        return syntax(ld, last_line, "no nodes");
    if ((g->has_hint_nodes && g->hint_nodes != g->node_count) ||
        (g->has_hint_edges && g->hint_edges != g->edge_count))
        return syntax(ld, 1, "the header's nodes=/edges= do not match the file (truncated?)");
    if (g->has_cpython && (g->cpython_nodes != g->node_count || g->cpython_edges != g->edge_count))
        return syntax(ld, g->cpython_line,
                      "'# cpython-collect:' nodes=/edges= do not match the file");
    if (g->has_cpython && g->cpython_unreachable > g->node_count)
        return syntax(ld, g->cpython_line,
                      "'# cpython-collect:' unreachable= exceeds the node count");
    for (size_t i = 0; i < g->edge_count; i++)
        if (g->edge[i].src >= g->node_count || g->edge[i].dst >= g->node_count)
            return syntax(ld, g->edge[i].line, "e: reference to an undefined node");
    for (size_t i = 0; i < g->fin_count; i++) {
        if (g->fin[i].src >= g->node_count)
            return syntax(ld, g->fin[i].line, "f: undefined node");
        if (g->node[g->fin[i].src].finalizer)
            return syntax(ld, g->fin[i].line, "f: node already has a finalizer");
        g->node[g->fin[i].src].finalizer = true;
    }
    for (size_t i = 0; i < g->edge_count; i++)
        g->node[g->edge[i].src].out_count++;
    uint32_t first = 0;
    for (size_t i = 0; i < g->node_count; i++) {
        g->node[i].out_first = first;
        first += g->node[i].out_count;
        g->node[i].out_count = 0;
    }
    hl_graph_ref *sorted = malloc((g->edge_count + 1) * sizeof *sorted);
    if (sorted == NULL)
        return out_of_memory(ld, last_line);
    for (size_t i = 0; i < g->edge_count; i++) {
        hl_graph_node *nd = &g->node[g->edge[i].src];
        sorted[nd->out_first + nd->out_count++] = g->edge[i];
    }
    free(g->edge);
    g->edge = sorted;
    g->edge_alloc = g->edge_count + 1;
    return STATUS_OK;
}

static int read_lines(loader *ld, hl_line_reader *r)
{
    size_t line_no;
    char *line = hl_line_reader_next(r, &line_no);
    if (line == NULL)
        return syntax(ld, line_no, hl_line_reader_error(r) ? hl_line_reader_error(r)
                                                           : "empty file (bad magic line)");
    int rc = parse_header(ld, line);
    while (rc == STATUS_OK && (line = hl_line_reader_next(r, &line_no)) != NULL) {
        if (line[0] == '#') {
            rc = parse_comment(ld, line, line_no);
            continue;
        }
        char *tok[6];
        size_t n = tokenize(line, tok, 5);
        if (n == 0)
            continue;
        if (strcmp(tok[0], "n") == 0)
            rc = parse_node(ld, tok, n, line_no);
        else if (strcmp(tok[0], "e") == 0 || strcmp(tok[0], "f") == 0 ||
                 strcmp(tok[0], "r") == 0)
            rc = parse_ref(ld, tok, n, line_no);
        else
            rc = syntax(ld, line_no, "unknown line (expected n, e, f, r or #)");
    }
    if (rc != STATUS_OK)
        return rc;
    if (hl_line_reader_error(r))
        return syntax(ld, line_no, hl_line_reader_error(r));
    if (!hl_line_reader_last_line_complete(r))
        return syntax(ld, hl_line_reader_lines(r),
                      "truncated line: no newline at the end of the file");
    return finish_graph(ld, hl_line_reader_lines(r));
}

hl_graph *hl_graph_read(hl_line_reader *r, const char *name, char *err, size_t err_size,
                        int *status)
{
    loader ld = {.name = name, .err = err, .err_size = err_size};
    ld.g = calloc(1, sizeof *ld.g);
    if (ld.g == NULL) {
        snprintf(err, err_size, "%s: out of memory loading the graph", name);
        *status = STATUS_FAILED;
        return NULL;
    }
    ld.g->path = name;
    if (read_lines(&ld, r) != STATUS_OK) {
        hl_graph_free(ld.g);
        *status = ld.status;
        return NULL;
    }
    *status = STATUS_OK;
    return ld.g;
}

hl_graph *hl_graph_load(const char *path, char *err, size_t err_size, int *status)
{
    hl_line_reader *r = hl_line_reader_open(path, err, err_size);
    if (r == NULL) {
        *status = STATUS_MALFORMED;
        return NULL;
    }
    hl_graph *g = hl_graph_read(r, path, err, err_size, status);
    hl_line_reader_close(r);
    return g;
}

void hl_graph_free(hl_graph *g)
{
    if (g) {
        free(g->node);
        free(g->edge);
        free(g->fin);
        free(g->root);
        free(g);
    }
}

long hl_graph_cpython_unreachable(const hl_graph *g)
{
    return g->has_cpython ? (long)g->cpython_unreachable : -1;
}

double hl_graph_cpython_ms(const hl_graph *g)
{
    return g->has_cpython ? g->cpython_ms : -1.0;
}
