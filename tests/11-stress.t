#!/usr/bin/env bash
# GC stress scheduling (Lua's HARDMEMTESTS): every collector that collects
# automatically runs every runtime suite — the differential fuzzer included,
# with automatic collection on and its loose checks — as NAME=stress, a
# collection at every container allocation, on the default pool and on
# malloc.  --quick sizes: a stress run collects the whole heap at every
# allocation.  A collector that takes no "stress" (it never collects by
# itself) is skipped and says so.
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh
collectors=$(heaplab list | sed -n '/^collectors/,/^suites/p' | awk 'NR>1 && /^  [a-z]/ {print $1}')
for gc in $collectors; do
    for alloc in freelist_pool malloc; do
        out=$(heaplab test --quick --gc "$gc=stress" --alloc "$alloc" 2>&1)
        rc=$?
        if [ "$rc" = 2 ]; then
            ok "$gc=stress [$alloc] # SKIP $gc does not collect automatically"
            continue
        fi
        cases=$(grep -c '^ok ' <<<"$out")
        failed=$(grep -c '^not ok ' <<<"$out")
        grep -A1 '^not ok ' <<<"$out" | sed 's/^/# /' | head -40
        check "$gc=stress [$alloc]: $cases cases pass, $failed fail" \
            test "$rc" = 0 -a "$failed" = 0 -a "$cases" -gt 0
    done
done
tap_done
