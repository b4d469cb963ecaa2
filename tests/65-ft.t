#!/usr/bin/env bash
# `ft`, the collector that walks its allocator's blocks: it runs only where
# the allocator can visit them (a clear refusal elsewhere, and the matrix
# leaves those pairs out by capability); its parameters are parsed
# strictly; every variant (without mark-alive, without the prefetch ring,
# with the ring on small heaps, with CPython's three heap walks instead of
# the collection table) passes the suites, finds what the others find
# under automatic collection, and finds CPython's counts on the recorded
# heaps.  The whole matrix (10-conformance.t) and
# the OOM sweep (15-oom.t) run it too.
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh

# usage_error NAME ARGS...: exit 2, a message on stderr, nothing on stdout
usage_error() {
    local name=$1 out err rc
    shift
    out=$(heaplab "$@" 2>/tmp/heaplab-ft-err.$$)
    rc=$?
    err=$(cat /tmp/heaplab-ft-err.$$)
    rm -f /tmp/heaplab-ft-err.$$
    if [ "$rc" -eq 2 ] && [ -z "$out" ] && [ -n "$err" ]; then
        ok "$name"
    else
        not_ok "$name (exit $rc, stdout '${out:0:80}')"
    fi
}

for alloc in malloc; do
    usage_error "ft refuses $alloc (cannot visit its blocks)" test --alloc "$alloc" --gc ft
    msg=$(heaplab test --alloc "$alloc" --gc ft 2>&1 >/dev/null)
    check "the refusal says why" grep -q "cannot visit its live blocks" <<<"$msg"
    usage_error "heap --alloc $alloc --gc ft is refused" heap --alloc "$alloc" --gc ft \
        suites/data/heaps/classes.graph.gz
done

out=$(heaplab test --suite cycles --case self_list --gc ft)
rc=$?
check "the matrix skips ft on malloc by capability" grep -q "^# skipped: ft on malloc" <<<"$out"
check "and runs it where it can" grep -q "^ok .*\[freelist_pool ft\]" <<<"$out"
check "the matrix exits 0" test "$rc" -eq 0

for spec in ft=bogus ft= ft=nomark, ft=,nomark ft=threshold=+5 ft=threshold=-1 \
    "ft=threshold= 5" ft=prefetch_from=1e3 ft=threshold=99999999999999999999 ft=NOMARK \
    ft=threewalks=1 ft=three_walks; do
    usage_error "--gc '$spec' is refused" test --alloc freelist_pool --gc "$spec"
done

args=(--quick)
[ -n "$HEAPLAB_RUN" ] && args+=(--suite cycles)
for spec in ft=nomark ft=noprefetch ft=prefetch_from=0 ft=nomark,noprefetch ft=threewalks; do
    for alloc in freelist_pool bitmap_pool; do
        out=$(heaplab test --alloc "$alloc" --gc "$spec" "${args[@]}")
        rc=$?
        fails=$(grep -c "^not ok" <<<"$out")
        check "every suite passes on $alloc $spec" test "$rc" -eq 0 -a "$fails" -eq 0
    done
done

# mimalloc is a shared library that may be missing (it is, for arm64 under
# qemu): the heaps run on it only where `list --names` says it is available.
heap_allocs="freelist_pool bitmap_pool debug:freelist_pool"
heaplab list --names | grep -qx "allocator mimalloc available" && heap_allocs="$heap_allocs mimalloc"
for alloc in $heap_allocs; do
    for spec in ft ft=nomark ft=prefetch_from=0 ft=threewalks; do
        out=$(heaplab heap --alloc "$alloc" --gc "$spec" suites/data/heaps/*.graph.gz)
        rc=$?
        same=0
        while read -r line; do
            [ "$(json_field "$line" unreachable)" = "$(json_field "$line" cpython_unreachable)" ] &&
                [ "$(json_field "$line" leaked_objects)" = 0 ] && same=$((same + 1))
        done <<<"$out"
        check "heap: CPython's counts on every recorded heap ($alloc $spec)" \
            test "$rc" -eq 0 -a "$same" -eq "$(ls suites/data/heaps/*.graph.gz | wc -l)"
    done
done

# The variants differ in how much mark-alive reaches and in how the heap
# is walked, never in what a collection finds: the same program under
# automatic collection must see the same collections, backlog and end.
# growing_heap holds its records in a root list longer than the prefetch
# ring, so with the ring on everywhere (prefetch_from=0) the list's items
# go through the span stack.
summary() {
    local line
    line=$(heaplab run growing_heap --alloc freelist_pool --gc "$1" --size 3000) || return 1
    for f in collections backlog_max_objects backlog_end_objects live_bytes_after objects_scanned; do
        printf '%s ' "$(json_field "$line" "$f")"
    done
}
want=$(summary ft=nomark)
for spec in ft ft=noprefetch ft=prefetch_from=0 ft=threewalks ft=prefetch_from=0,threewalks; do
    got=$(summary "$spec")
    check "run growing_heap: $spec finds what ft=nomark finds ($got / $want)" \
        test -n "$want" -a "$got" = "$want"
done

out=$(heaplab heap --gc ft suites/data/heaps/classes.graph.gz)
check "heap --gc ft without --alloc runs on freelist_pool" \
    test "$(json_field "$out" allocator)" = '"freelist_pool"'

tap_done
