#!/usr/bin/env bash
# bench/heaps_vs_cpython.sh OUT_DIR [REPEAT] — CPython's own gc.collect() and
# heaplab's collectors on the same heaps, in the same run.
#
# For each program behind suites/data/heaps/, tools/heap_snapshot.py records
# the heap afresh (REPEAT fresh interpreters, each timing one gc.collect()
# on exactly that heap; the graph file keeps the smallest time), and then
# `heaplab heap --repeat REPEAT` replays that very graph on every tracing
# collector over the default pool allocator and over malloc, once with
# --saveall (finding only, as CPython's figure is taken: the capture tool
# times gc.collect() under DEBUG_SAVEALL, which frees nothing) and once
# freeing the garbage as well.  Writes
# OUT_DIR/cpython-heaps.jsonl (heaplab's lines, which carry cpython_ms) and
# the graphs themselves under OUT_DIR/graphs/.
set -euo pipefail
out=${1:?usage: bench/heaps_vs_cpython.sh OUT_DIR [REPEAT]}
repeat=${2:-5}
bin=${BUILD:-build}/heaplab
mkdir -p "$out/graphs"
collectors=$("$bin" list | sed -n '/^collectors/,/^suites/p' | awk 'NR>1 && /^  /{print $1}' |
    grep -v '^none$')
: >"$out/cpython-heaps.jsonl"
for program in suites/data/heaps/programs/*.py; do
    name=$(basename "$program" .py)
    graph=$out/graphs/$name.graph.gz
    /usr/bin/python3 tools/heap_snapshot.py --repeat "$repeat" -o "$graph" "$program" >&2
    for alloc in freelist_pool malloc; do
        for gc in $collectors; do
            # a heap-walking collector on an allocator it cannot walk is
            # not a stack (ft on malloc): skip the pair, fail on anything else
            if ! why=$("$bin" heap --alloc "$alloc" --gc "$gc" suites/data/heaps/tiny.graph 2>&1 >/dev/null); then
                case $why in *"cannot visit its live blocks"*) continue ;; esac
            fi
            for mode in --saveall ""; do
                "$bin" heap --alloc "$alloc" --gc "$gc" --repeat "$repeat" $mode "$graph" \
                    >>"$out/cpython-heaps.jsonl"
            done
        done
    done
done
