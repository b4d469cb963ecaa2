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
            # a collector that walks its heap refuses an allocator that cannot visit
            heaplab test --alloc "$alloc" --gc "$gc" --suite cycles --case self_list >/dev/null 2>&1 || continue
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
# The table of suites/data/heaps/README.md states each recorded graph's
# counts: they must be the file's own, and heap must register every r line
# as a root (the shipped graphs have roots, so mark-alive has work to do).
readme=suites/data/heaps/README.md
for graph in suites/data/heaps/*.graph.gz; do
    name=$(basename "$graph")
    row=$(grep "^| \`$name\` | [0-9]" "$readme" | tr -d '|`')
    read -r _ nodes edges roots finals unreachable <<<"$row"
    counts=$(gzip -dc "$graph" | awk '
        NR == 1 { split($3, n, "="); split($4, e, "=") }
        /^r / { r++ } /^f / { f++ }
        /^# cpython-collect:/ { split($3, u, "=") }
        END { print n[2], e[2], r + 0, f + 0, u[2] }')
    check "README's counts for $name ($nodes $edges $roots $finals $unreachable) are the file's ($counts)" \
        test -n "$nodes" -a "$nodes $edges $roots $finals $unreachable" = "$counts"
    line=$(heaplab heap --gc stw "$graph")
    check "heap registers the $roots roots of $name" \
        test "$roots" -gt 0 -a "$(json_field "$line" root_nodes)" = "$roots"
done
# A graph whose recorded count disagrees is reported, exit status 1.
heaplab heap --gc stw suites/data/heaps/tiny_mismatch.graph >/dev/null 2>&1
check "a recorded count that disagrees fails with status 1" test $? = 1
tap_done
