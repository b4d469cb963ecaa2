#!/usr/bin/env bash
# The capture pipeline on programs the repository does not ship: record a
# fresh heap from a small program written here, check it with the
# independent Python checker, and replay it: every tracing collector must
# find exactly CPython's count.
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh
python=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/prog.py" <<'PY'
import collections, json, random
random.seed(7)
class Node:
    def __init__(self, parent):
        self.parent = parent
        self.children = []
        if parent is not None:
            parent.children.append(self)
class Finalized:
    def __del__(self):
        pass
keep = []
for i in range(300):
    root = Node(None)
    for j in range(5):
        Node(root).data = {"i": i, "j": j, "s": [str(j)] * 3}
    if i % 3 == 0:
        keep.append(root)            # live; the rest are garbage cycles
    f = Finalized()
    f.self = f
    if i % 10 == 0:
        keep.append(f)
doc = json.loads(json.dumps({"k%d" % i: list(range(i % 7)) for i in range(200)}))
d = collections.OrderedDict((k, v) for k, v in doc.items())
d["self"] = d
del d
PY
check "heap_snapshot.py records a fresh program" \
    "$python" tools/heap_snapshot.py -o "$tmp/fresh.graph.gz" "$tmp/prog.py"
check "heap_check.py agrees with CPython's count" "$python" tools/heap_check.py "$tmp/fresh.graph.gz"
collectors=$(heaplab list --names | awk '$1 == "collector" {print $2}')
for gc in $collectors; do
    line=$(heaplab heap --gc "$gc" "$tmp/fresh.graph.gz")
    found=$(json_field "$line" unreachable)
    want=$(json_field "$line" cpython_unreachable)
    [ "$gc" = none ] && want=0
    check "fresh heap [$gc]: found $found, expected $want" test -n "$found" -a "$found" = "$want"
done
# Roots: the capture writes r lines (module dicts, sys, builtins, types,
# live frames), the checker accepts them, heap registers them.
roots=$(gzip -dc "$tmp/fresh.graph.gz" | grep -c '^r ')
check "the fresh graph has r lines ($roots)" test "$roots" -gt 10
line=$(heaplab heap "$tmp/fresh.graph.gz")
check "heap registers them (root_nodes $(json_field "$line" root_nodes))" test "$(json_field "$line" root_nodes)" = "$roots"
printf 'heaplab-graph 1\nn 0 list 56 0\nn 1 list 56 0\ne 0 1\ne 1 0\nr 0\n' >"$tmp/dead_root.graph"
"$python" tools/heap_check.py "$tmp/dead_root.graph" >/dev/null
check "heap_check: an r line on an unreachable node is a mismatch (status 1)" test $? = 1
for bad in "r" "r 2" "r -1" "r 0 0"; do
    printf 'heaplab-graph 1\nn 0 list 56 1\nn 1 list 56 0\n%s\n' "$bad" >"$tmp/bad_root.graph"
    err=$("$python" tools/heap_check.py "$tmp/bad_root.graph" 2>&1 >/dev/null)
    check "heap_check: '$bad' -> FILE:4, status 2 ($err)" test $? = 2 -a "${err#"$tmp/bad_root.graph:4:"}" != "$err"
done
printf 'heaplab-graph 1\nn 0 list 56 1\nr 0\nr 0\n' >"$tmp/twice.graph"
err=$("$python" tools/heap_check.py "$tmp/twice.graph" 2>&1 >/dev/null)
check "heap_check: a second r line for a node -> FILE:4 ($err)" test $? = 2 -a "${err#"$tmp/twice.graph:4:"}" != "$err"
tap_done
