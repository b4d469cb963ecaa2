#!/usr/bin/env bash
# The out-of-memory sweep over the `heap` and `trace` verbs: every
# allocation of the run is refused in turn (failafter=k for k = 1 .. past
# the run's last allocation), on every collector, with and without
# --saveall / --check.  Each run must end with status 0, or 1 and a message;
# never a crash, a sanitizer report or a leak (LeakSanitizer fails the run
# under SAN=1).
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# tiny.graph with roots, so the root set's allocations are swept too.
graph=$tmp/tiny_roots.graph
{ cat suites/data/heaps/tiny.graph; echo "r 0"; echo "r 5"; echo "r 1"; } >"$graph"
trace=$tmp/small.trace
printf 'heaplab-trace 1\na 1 16\nz 2 100\nr 1 40\na 3 5000\nr 3 70000\na 4 600\nf 2\nf 1\nf 4\n' >"$trace"

sweep() { # NAME BOUND ARGS-with-@K@...: runs every k in 1..BOUND
    local name=$1 bound=$2
    shift 2
    local k bad="" rc args
    for k in $(seq 1 "$bound"); do
        args=("${@//@K@/$k}")
        heaplab "${args[@]}" >"$tmp/out" 2>"$tmp/err"
        rc=$?
        if [ "$rc" = 0 ]; then
            [ -s "$tmp/out" ] || bad="$bad k=$k(no output)"
        elif [ "$rc" = 1 ]; then
            [ -s "$tmp/err" ] || bad="$bad k=$k(status 1, no message)"
        else
            bad="$bad k=$k(status $rc: $(head -c 200 "$tmp/err"))"
        fi
        grep -q "Sanitizer\|runtime error" "$tmp/err" && bad="$bad k=$k(sanitizer)"
    done
    # At the bound nothing is refused any more: the sweep covered every
    # allocation the run makes.
    if [ -z "$bad" ] && [ "$rc" = 0 ]; then ok "$name: k = 1..$bound"; else not_ok "$name:$bad"; fi
}

# The replay allocates the 8 nodes, the root set and gc.garbage: 16 is past
# its last allocation, and the final run must succeed.  Under qemu, the pool
# alone.
allocs="freelist_pool malloc"
[ -n "$HEAPLAB_RUN" ] && allocs=freelist_pool
for gc in $(heaplab list --names | awk '$1 == "collector" {print $2}'); do
    for alloc in $allocs; do
        sweep "heap --gc $gc over $alloc" 16 heap --alloc "failafter=@K@:$alloc" --gc "$gc" "$graph"
        sweep "heap --gc $gc --saveall over $alloc" 16 heap --alloc "failafter=@K@:$alloc" --gc "$gc" \
            --saveall "$graph"
    done
done
# The trace makes 6 allocations (a, z, r, a, r, a): 8 is past them.
for alloc in $allocs bitmap_pool; do
    sweep "trace over $alloc" 8 trace --alloc "failafter=@K@:$alloc" "$trace"
    sweep "trace --check over $alloc" 8 trace --check --alloc "failafter=@K@:$alloc" "$trace"
    sweep "stats over $alloc" 8 stats --alloc "failafter=@K@:$alloc" "$trace"
done
# The segfault of issue 9, by name: gc.garbage's list cannot be made.
heaplab heap --alloc failafter=9:malloc --gc stw --saveall suites/data/heaps/tiny.graph >/dev/null 2>&1
rc=$?
check "heap --alloc failafter=9:malloc --gc stw --saveall tiny.graph: status $rc, no crash" test "$rc" -le 1
tap_done
