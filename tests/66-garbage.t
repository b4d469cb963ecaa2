#!/usr/bin/env bash
# The garbage steps every collector shares (collectors/gc_garbage.c): what
# the fuzzer once caught there, rerun by seed.
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh

# A reachable weakref whose callback runs in a young collection joins the
# survivors' generation, as in CPython (gc.c moves it through wrcb_to_call
# to `old`); the set-based steps once left it where it was.
for gc in generational incremental; do
    out=$(heaplab test --suite fuzz --case young_collections --alloc freelist_pool --gc "$gc" \
        --seed 20261204 2>&1)
    check "fuzz seed 20261204 on $gc: a called-back weakref moves to the older generation" \
        grep -q "^ok 1 " <<<"$out"
done

tap_done
