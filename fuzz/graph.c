/*
 * fuzz/graph.c — libFuzzer target for the heap graph loader
 * (harness/graph.c).  Every input must be either loaded, with the
 * invariants graph.h promises, or refused with a "NAME:LINE: reason"
 * message and status 1 or 2; ASan and UBSan watch the rest.
 */
#include "fuzz_input.h"
#include "graph.h"

#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[400] = "";
    hl_line_reader *r = fuzz_reader(data, size, err, sizeof err);
    if (r == NULL)
        return 0;
    int status = -1;
    hl_graph *g = hl_graph_read(r, "fuzz-input", err, sizeof err, &status);
    hl_line_reader_close(r);
    if (g == NULL) {
        if ((status != 1 && status != 2) || strncmp(err, "fuzz-input:", 11) != 0)
            abort(); /* a refusal always says where and why */
        return 0;
    }
    if (status != 0 || g->node_count == 0)
        abort();
    /* graph.h's invariants, which replay relies on without checking. */
    size_t edges = 0;
    for (size_t i = 0; i < g->node_count; i++) {
        const hl_graph_node *nd = &g->node[i];
        if (nd->out_first != edges || nd->kind >= 9)
            abort();
        for (uint32_t e = 0; e < nd->out_count; e++)
            if (g->edge[nd->out_first + e].src != i ||
                g->edge[nd->out_first + e].dst >= g->node_count)
                abort();
        edges += nd->out_count;
    }
    if (edges != g->edge_count)
        abort();
    for (size_t i = 0; i < g->fin_count; i++)
        if (g->fin[i].src >= g->node_count || !g->node[g->fin[i].src].finalizer)
            abort();
    for (size_t i = 0; i < g->root_count; i++)
        if (g->root[i].src >= g->node_count || !g->node[g->root[i].src].root)
            abort();
    hl_graph_free(g);
    return 0;
}
