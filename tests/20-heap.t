#!/usr/bin/env bash
# Real heaps from real CPython programs: every tracing collector finds
# exactly what CPython's gc.collect() found on the same heap, `none` finds 0,
# and nothing is left behind.
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh
collectors=$(heaplab list --names | awk '$1 == "collector" {print $2}')
allocs="malloc"
heaplab list --names | grep -q '^allocator freelist_pool available$' && allocs="$allocs freelist_pool"
for graph in suites/data/heaps/*.graph.gz suites/data/heaps/tiny.graph; do
    for gc in $collectors; do
        for alloc in $allocs; do
            line=$(heaplab heap --alloc "$alloc" --gc "$gc" "$graph")
            rc=$?
            found=$(json_field "$line" unreachable)
            want=$(json_field "$line" cpython_unreachable)
            [ "$gc" = none ] && want=0
            leaked=$(json_field "$line" leaked_bytes)
            check "heap $(basename "$graph") [$alloc $gc]: found $found, expected $want, leaked $leaked bytes" \
                test "$rc" = 0 -a -n "$found" -a "$found" = "$want" -a "$leaked" = 0
        done
    done
done
# A graph whose recorded count disagrees is reported, exit status 1.
heaplab heap --gc stw suites/data/heaps/tiny_mismatch.graph >/dev/null 2>&1
check "a recorded count that disagrees fails with status 1" test $? = 1
tap_done
