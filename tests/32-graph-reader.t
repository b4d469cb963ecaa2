#!/usr/bin/env bash
# The graph and trace readers on hostile files: every one is refused with
# exit status 2 and its true FILE:LINE reason (nothing on stdout), and files
# asking for more memory than the run may use fail with status 1 and a
# message instead of being killed.
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

refused() { # NAME STATUS EXPECTED_STDERR_PREFIX ARGS...
    local name=$1 want_rc=$2 want=$3
    shift 3
    heaplab "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    local err
    err=$(head -c 400 "$tmp/err")
    if [ "$rc" = "$want_rc" ] && [ ! -s "$tmp/out" ] && [[ "$err" == "$want"* ]]; then
        ok "$name"
    else
        not_ok "$name (status $rc, stdout $(wc -c <"$tmp/out") bytes: $err)"
    fi
}
g=$tmp/g.graph
body='n 0 list 56 1
n 1 list 56 0
e 0 1
e 1 0'

# "no nodes" at the file's last line, not one past the end.
printf 'heaplab-graph 1\n# nothing else\n' >"$g"
refused "no nodes: reported at the last line (2)" 2 "$g:2: no nodes" heap "$g"
# Line-1 read errors, each with its own reason.
{ printf 'heaplab-graph 1 '; head -c 70000 /dev/zero | tr '\0' x; printf '\n'; } >"$tmp/long.graph"
refused "over-long first line" 2 "$tmp/long.graph:1: line too long" heap "$tmp/long.graph"
printf 'heaplab-graph\0 1\n%s\n' "$body" >"$tmp/nul1.graph"
refused "NUL in the first line" 2 "$tmp/nul1.graph:1: NUL byte in line" heap "$tmp/nul1.graph"
mkdir "$tmp/dir.graph"
refused "a directory" 2 "$tmp/dir.graph:1: read error: Is a directory" heap "$tmp/dir.graph"
refused "/dev/zero" 2 "/dev/zero:1: NUL byte in line" heap /dev/zero
: >"$tmp/empty.graph"
refused "an empty file is still 'empty file'" 2 "$tmp/empty.graph:1: empty file" heap "$tmp/empty.graph"
# A NUL in an unterminated last line is seen, not dropped.
printf 'heaplab-graph 1\n%s\ne 0 0\0garbage' "$body" >"$tmp/nul_last.graph"
refused "NUL in an unterminated last line" 2 "$tmp/nul_last.graph:6: NUL byte in line" heap "$tmp/nul_last.graph"
printf 'heaplab-graph 1\n%s\ne 0 0' "$body" >"$tmp/no_newline.graph"
refused "no newline after the last line" 2 "$tmp/no_newline.graph:6: truncated line" heap "$tmp/no_newline.graph"
# Header hints.
for hint in "nodes=-1" "nodes=18446744073709551615" "nodes=+2" "nodes=2 nodes=2" "edges=2 edges=2" \
    "nodes=0x2" "nodes=" "edges=4294967295" "nodes=2 edges=2 extra" "nodes=2 edges=2 x y"; do
    printf 'heaplab-graph 1 %s\n%s\n' "$hint" "$body" >"$g"
    refused "header hint '$hint'" 2 "$g:1: bad header" heap "$g"
done
printf 'heaplab-graph 1 nodes=2 edges=2\n%s\n' "$body" >"$g"
check "header hints that match are accepted" heaplab heap "$g"
# The cpython-collect line.
for collect in "unreachable=0 ms=-5 nodes=2 edges=2" "unreachable=0 ms=1.-12 nodes=2 edges=2" \
    "unreachable=0 ms=1e3 nodes=2 edges=2" "unreachable=-1 ms=1.000 nodes=2 edges=2" \
    "unreachable=0 ms=nan nodes=2 edges=2" "unreachable=0 ms=1.000 nodes=2" \
    "unreachable=0 ms=1.000 nodes=2 edges=2 extra=1" "unreachable=0 ms=1.000 nodes=+2 edges=2"; do
    printf 'heaplab-graph 1\n# cpython-collect: %s\n%s\n' "$collect" "$body" >"$g"
    refused "cpython-collect '$collect'" 2 "$g:2: bad '# cpython-collect:' line" heap "$g"
done
printf 'heaplab-graph 1\n# cpython-collect: unreachable=0 ms=1.000 nodes=3 edges=2\n%s\n' "$body" >"$g"
refused "cpython-collect nodes= checked against the file" 2 "$g:2: '# cpython-collect:' nodes=/edges= do not match" heap "$g"
printf 'heaplab-graph 1\n# cpython-collect: unreachable=0 ms=1.000 nodes=2 edges=9\n%s\n' "$body" >"$g"
refused "cpython-collect edges= checked against the file" 2 "$g:2: '# cpython-collect:' nodes=/edges= do not match" heap "$g"
printf 'heaplab-graph 1\n# cpython-collect: unreachable=0 ms=1.000 nodes=2 edges=2\n# cpython-collect: unreachable=0 ms=1.000 nodes=2 edges=2\n%s\n' "$body" >"$g"
refused "a second cpython-collect line" 2 "$g:3: a second" heap "$g"
# Truncated gzip says so.
gzip -c suites/data/heaps/tiny.graph | head -c 100 >"$tmp/cut.graph.gz"
refused "truncated gzip: the stream ended early" 2 "$tmp/cut.graph.gz:" heap "$tmp/cut.graph.gz"
grep -q "gzip stream ends early" "$tmp/err" && ok "truncated gzip message" || not_ok "truncated gzip message ($(cat "$tmp/err"))"
# r lines: roots.
printf 'heaplab-graph 1\n%s\nr 0\n' "$body" >"$g"
line=$(heaplab heap "$g")
check "an r line is accepted and counted" test "$(json_field "$line" root_nodes)" = 1
for bad in "r" "r x" "r -1" "r +0" "r 0 1" "r 2" "r 4294967295"; do
    printf 'heaplab-graph 1\n%s\n%s\n' "$body" "$bad" >"$g"
    refused "malformed r line '$bad'" 2 "$g:6: r: " heap "$g"
done
printf 'heaplab-graph 1\n%s\nr 1\nr 1\n' "$body" >"$g"
refused "r line twice for one node" 2 "$g:7: r: node is already a root" heap "$g"
printf 'heaplab-graph 1\nn 0 list 56 1\nr 0\nn 1 list 56 0\n' >"$g"
refused "n line after an r line" 2 "$g:4: n: node lines must come before" heap "$g"
printf 'heaplab-graph 1\nr 0\n%s\n' "$body" >"$g"
refused "r line before the node lines" 2 "$g:2: r: undefined node" heap "$g"
# Roots do not change what is found: tiny.graph with its two EXT holders as roots.
{ grep -v '^# cpython-collect' suites/data/heaps/tiny.graph; echo "r 0"; echo "r 5"; echo "r 1"; } >"$tmp/tiny_roots.graph"
for gc in $(heaplab list --names | awk '$1 == "collector" {print $2}'); do
    a=$(heaplab heap --gc "$gc" suites/data/heaps/tiny.graph)
    b=$(heaplab heap --gc "$gc" "$tmp/tiny_roots.graph")
    check "roots: $gc finds the same with r lines ($(json_field "$a" unreachable) vs $(json_field "$b" unreachable)) and leaves the same" \
        test "$(json_field "$a" unreachable)" = "$(json_field "$b" unreachable)" \
        -a "$(json_field "$a" live_after)" = "$(json_field "$b" live_after)" \
        -a "$(json_field "$a" leaked_objects)" = "$(json_field "$b" leaked_objects)" \
        -a "$(json_field "$b" leaked_bytes)" = 0
done

# The trace reader's line-1 errors too.
{ printf 'heaplab-trace 1'; head -c 70000 /dev/zero | tr '\0' x; printf '\n'; } >"$tmp/long.trace"
refused "trace: over-long first line" 2 "$tmp/long.trace:1: line too long" trace "$tmp/long.trace"
refused "trace: a directory" 2 "$tmp/dir.graph:1: read error: Is a directory" trace "$tmp/dir.graph"
printf 'heaplab-trace 1\na 1 16\nf 1\0' >"$tmp/nul.trace"
refused "trace: NUL in an unterminated last line" 2 "$tmp/nul.trace:3: NUL byte in line" trace "$tmp/nul.trace"
printf 'heaplab-trace 1\na 1 16\nf 1\n' >"$tmp/ok.trace"
refused "trace: one malformed file among good ones prints nothing" 2 "$tmp/nul.trace:3:" trace "$tmp/ok.trace" "$tmp/nul.trace"

# More than the machine can hold: status 1 and a message, never the OOM killer.
printf 'heaplab-trace 1\nz 1 4294967296\nf 1\n' >"$tmp/4g.trace"
HEAPLAB_MEMORY_CAP=1073741824 refused "trace --check of a 4 GiB block over a 1 GiB cap" 1 "$tmp/4g.trace: the trace holds up to 4294967296 bytes" \
    trace --check "$tmp/4g.trace"
{ echo "heaplab-trace 1"; for i in $(seq 1 1024); do echo "a $i 68719476736"; done; } >"$tmp/64t.trace"
refused "trace --check of 1024 live 64 GiB blocks (over any machine's memory)" 1 "$tmp/64t.trace: the trace holds up to" \
    trace --check "$tmp/64t.trace"
refused "stats of 1024 live 64 GiB blocks" 1 "$tmp/64t.trace: the trace holds up to" stats "$tmp/64t.trace"
{ echo "heaplab-graph 1"; for i in $(seq 0 99); do echo "n $i list 1000000000 1"; done; } >"$tmp/big.graph"
refused "heap: 100 GB of nodes" 1 "$tmp/big.graph: the graph needs" heap "$tmp/big.graph"
tap_done
