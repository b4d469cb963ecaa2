#!/usr/bin/env bash
# The record=FILE wrapper and one-command capture: a replayed trace
# re-recorded through the wrapper gives back the same calls; `heaplab
# record` on a program written here yields a trace `trace --check` accepts
# and a graph heap_check.py accepts; `bench-program` replays both; bad use
# exits 2.
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh
quiet() { "$@" >/dev/null; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- the wrapper alone, under the trace verb ----
src=suites/data/traces/json_re.trace.gz
heaplab trace --alloc "record=$tmp/again.trace.gz:freelist_pool" "$src" >/dev/null
check "record= wrapper under trace replay exits 0" test $? = 0
check "the re-recorded trace loads and replays with --check" \
    quiet heaplab trace --check --alloc bitmap_pool "$tmp/again.trace.gz"
count_ops() { zcat -f "$1" | grep -c "^$2 "; }
for op in a z r; do
    check "same number of '$op' calls as the original" \
        test "$(count_ops "$src" $op)" = "$(count_ops "$tmp/again.trace.gz" $op)"
done
# The replay frees what the original left live, so frees can only grow.
check "every original free is there" \
    test "$(count_ops "$tmp/again.trace.gz" f)" -ge "$(count_ops "$src" f)"
heaplab trace --alloc "record=$tmp/plain.trace:debug:malloc" "$src" >/dev/null
check "plain (not .gz) output over a wrapper chain" \
    test "$(head -n 1 "$tmp/plain.trace")" = "heaplab-trace 1"
heaplab trace --alloc "record=$tmp/no/such/dir/x.gz:freelist_pool" "$src" >"$tmp/out" 2>"$tmp/err"
check "record= into a missing folder: exit 2, nothing on stdout" test $? = 2 -a ! -s "$tmp/out"
heaplab test --alloc record:freelist_pool --suite alloc --quick >/dev/null
check "record with no file: the contract suite passes (formats and discards)" test $? = 0

launcher=$(dirname "$HEAPLAB_BIN")/heaplab-python
if [ ! -x "$launcher" ]; then
    echo "# no $launcher: the capture checks are skipped"
    tap_done
    exit $?
fi

# ---- one-command capture of a program written here ----
cat >"$tmp/prog.py" <<'PY'
import json
class Tree:
    def __init__(self, parent, depth):
        self.parent = parent
        self.kids = [Tree(self, depth - 1) for _ in range(3)] if depth else []
class Fin:
    def __del__(self):
        pass
keep = []
for i in range(40):
    t = Tree(None, 4)
    f = Fin()
    f.cycle = f
    if i % 4 == 0:
        keep.append(t)
text = json.dumps([{"i": i, "s": "x" * (i % 50)} for i in range(3000)])
print(len(json.loads(text)))
PY
heaplab record --out "$tmp/cap" -- "$tmp/prog.py" >"$tmp/out" 2>"$tmp/err"
check "heaplab record exits 0" test $? = 0
check "the program's output is its own (printed once)" test "$(cat "$tmp/out")" = 3000
check "the recorded trace replays with --check" quiet heaplab trace --check "$tmp/cap/trace.gz"
check "the recorded graph passes heap_check.py" quiet /usr/bin/python3 tools/heap_check.py "$tmp/cap/heap.graph.gz"
heaplab bench-program --repeat 1 "$tmp/cap" >"$tmp/tables"
check "bench-program replays both and exits 0" test $? = 0
check "  ... a trace row per available allocator" grep -q '^| bitmap_pool | [0-9]' "$tmp/tables"
check "  ... every tracing collector finds CPython's count" \
    test -z "$(awk -F'|' '/^\| [a-z_]+ \| (stw|generational)/ && $5 != $6' "$tmp/tables")"

# ---- malformed use ----
while IFS='|' read -r name args; do
    [ -n "$name" ] || continue
    # shellcheck disable=SC2086
    heaplab record --out "$tmp/bad" $args >"$tmp/out" 2>"$tmp/err"
    check "record, malformed: $name exits 2, nothing run" \
        test $? = 2 -a ! -s "$tmp/out" -a ! -e "$tmp/bad"
done <<CASES
no program|--
an option instead of a program|-- -c pass
unknown allocator|--alloc nope -- $tmp/prog.py
pymalloc|--alloc pymalloc -- $tmp/prog.py
the cpython baseline|--alloc cpython -- $tmp/prog.py
CASES
heaplab bench-program "$tmp/nothing" >"$tmp/out" 2>&1
check "bench-program on a folder without a capture exits 2" test $? = 2
tap_done
